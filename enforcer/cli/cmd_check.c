// SPDX-License-Identifier: GPL-2.0-only
/* `optguard check` and `explain`: a policy read and asked questions, nothing loaded. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cgns_probe.h"
#include "cgroup.h"
#include "bind.h"
#include "cmds.h"
#include "encode.h"
#include "gaps.h"
#include "log.h"
#include "policy.h"
#include "bpf/decide.h"

static void say_stderr(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/*
 * What `run` would refuse on this kernel: force rules naming a point whose
 * bpf_setsockopt support the probe did not find.  Printed as FILE:LINE
 * errors, counted in the return value.  Probing needs root (it loads
 * programs and makes a child cgroup); without it, a note says so.
 */
static int check_kernel_force(struct og_policy *p)
{
	struct og_force_probe pr;

	if (!policy_forces(p, OG_AT_ALL))
		return 0;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: note: whether this kernel can force at the points the force rules "
			"name (or `at` defaults to) is not checked (needs root)\n", p->path);
		return 0;
	}
	if (force_probe(&pr) || !pr.probed) {
		fprintf(stderr, "%s: note: this kernel could not be probed for force support: %s\n",
			p->path, pr.reason);
		return 0;
	}
	return force_policy_unsupported(p, &pr, NULL, say_stderr);
}

/*
 * In a cgroup namespace, learn (root: a BPF probe) the real depth of the
 * cgroup2 mount before the policy's cgroups are resolved; without it the
 * policy refuses scopes that name a cgroup, saying why (policy/placement.c).
 */
static void resolve_cgns(const char *file)
{
	char msg[1024];

	if (geteuid() == 0 && cgns_resolve(msg, sizeof(msg)) == 0 && msg[0])
		fprintf(stderr, "%s: note: %s\n", file, msg);
}

/*
 * What gets past which rule, as far as the file alone tells (the kernel the
 * daemon will run on decides whether the LSM hook runs): README, "What
 * optguard can and cannot see".
 */
static void check_gaps(const char *file, const struct og_policy *p)
{
	char all[1024], value[1024];
	size_t n, nv;

	n = gaps_list(p, OG_GAP_COMPAT_ALL, all, sizeof(all));
	nv = gaps_list(p, OG_GAP_COMPAT_VALUE, value, sizeof(value));
	if (n)
		printf("%s: note: 32-bit (compat) callers bypass rule%s %s where the LSM hook cannot "
		       "run (cgroup-only); where it runs, %s%s%s\n", file, n == 1 ? "" : "s", all,
		       !nv ? "it enforces them all" :
		       p->compat_allow ? "they still bypass (compat = allow) " :
		       "it refuses them (compat = deny) for ", nv ? value : "", "");
	n = gaps_list(p, OG_GAP_CMSG, all, sizeof(all));
	if (n)
		printf("%s: note: sendmsg control messages bypass rule%s %s where the LSM hook cannot "
		       "run; where it runs, lsm/socket_sendmsg refuses a value %s would change\n",
		       file, n == 1 ? "" : "s", all, n == 1 ? "it" : "they");
}

/*
 * Patterns and units that match no cgroup now: valid, the daemon binds the
 * cgroups that appear (a path not made yet is noted by the parser).
 */
static void check_waiting(const char *file, const struct og_policy *p)
{
	struct og_bind_table t;
	size_t s, c, i;

	if (bindings_static(p, &t))
		return;
	for (s = 0; s < p->nscopes; s++) {
		for (c = 0; c < p->scopes[s].ncgroups; c++) {
			const struct og_scope_cgroup *sel = &p->scopes[s].cgroups[c];

			if (sel->kind == OG_SEL_PATH)
				continue;
			for (i = 0; i < t.n; i++)
				if (t.b[i].scope == s && t.b[i].sel == c)
					break;
			if (i == t.n)
				printf("%s:%d: note: scope '%s': %s '%s' matches no cgroup now: the "
				       "daemon binds the scope to those that appear\n", file, sel->line,
				       p->scopes[s].name, sel->kind == OG_SEL_UNIT ? "unit" : "pattern",
				       sel->path);
		}
	}
	bindings_free(&t);
}

int cmd_check(int argc, char **argv)
{
	struct og_policy *p = NULL;
	struct og_diag diag = {};
	size_t i, ndeny = 0;
	int ret, nbad;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: optguard check FILE\n");
		return 2;
	}
	resolve_cgns(argv[1]);
	ret = policy_load(argv[1], &p, &diag);
	diag_print(&diag);
	if (ret) {
		fprintf(stderr, "%s: %zu error%s\n", argv[1], diag.nerrors,
			diag.nerrors == 1 ? "" : "s");
		diag_free(&diag);
		return 1;
	}
	warn_whole_host(p);
	nbad = check_kernel_force(p);
	if (nbad) {
		fprintf(stderr, "%s: %d error%s: this kernel cannot run it\n", argv[1], nbad,
			nbad == 1 ? "" : "s");
		diag_free(&diag);
		policy_free(p);
		return 1;
	}
	for (i = 0; i < p->nrules; i++)
		ndeny += p->rules[i].action == OG_ACT_DENY;
	printf("%s: ok: %zu rule%s (%zu deny), %zu scope%s, mode %s, default %s, cgroup %s\n",
	       argv[1], p->nrules, p->nrules == 1 ? "" : "s", ndeny, p->nscopes,
	       p->nscopes == 1 ? "" : "s", p->mode == OG_MODE_AUDIT ? "audit" : "enforce",
	       action_name(p->default_action), p->cgroup);
	check_gaps(argv[1], p);
	check_waiting(argv[1], p);
	diag_free(&diag);
	policy_free(p);
	return 0;
}

/* OPTION as the policy writes it: a name, or LEVEL:OPTNAME. */
static int option_arg(const char *s, int *level, int *optname, const struct og_option **opt)
{
	const struct og_option *o = option_by_name(s);
	char lv[64], *colon, *end;
	long n;

	if (o) {
		*level = o->level;
		*optname = o->optname;
		*opt = o;
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(lv))
		return -EINVAL;
	memcpy(lv, s, colon - s);
	lv[colon - s] = '\0';
	if (level_parse(lv, level))
		return -EINVAL;
	errno = 0;
	n = strtol(colon + 1, &end, 0);
	if (errno || *end || end == colon + 1 || n < 0 || n > INT_MAX)
		return -EINVAL;
	*optname = n;
	*opt = option_by_number(*level, n);
	return 0;
}

static int uid_arg(const char *s, __u32 *uid)
{
	struct passwd *pw;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!errno && *s && !*end && n < OG_UID_ANY) {
		*uid = n;
		return 0;
	}
	pw = getpwnam(s);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}

static const char *scope_name(const struct og_scope *s)
{
	return s ? s->name : "*";
}

static void print_rule_effect(const struct og_rule_def *r)
{
	char a[64], b[64];
	size_t i;

	switch (r->action) {
	case OG_ACT_CLAMP:
		if (r->has_min)
			value_format(r->vtype, &r->min, a, sizeof(a));
		if (r->has_max)
			value_format(r->vtype, &r->max, b, sizeof(b));
		printf("clamp into [%s, %s]\n", r->has_min ? a : "-inf", r->has_max ? b : "+inf");
		return;
	case OG_ACT_REWRITE:
	case OG_ACT_FORCE:
		value_format(r->vtype, &r->value, a, sizeof(a));
		if (r->action == OG_ACT_FORCE)
			printf("force %s (on_change = %s)", a,
			       r->on_change == OG_ONCHANGE_DENY ? "deny" :
			       r->on_change == OG_ONCHANGE_ALLOW ? "allow" : "rewrite");
		else
			printf("rewrite to %s", a);
		break;
	case OG_ACT_DENY:
		printf("deny with %s", errno_name(r->err));
		break;
	default:
		printf("%s", action_name(r->action));
	}
	for (i = 0; i < r->nexcept; i++) {
		value_format(r->vtype, &r->except[i], a, sizeof(a));
		printf("%s%s", i ? ", " : ", except for ", a);
	}
	printf("\n");
}

static void usage_explain(void)
{
	fprintf(stderr, "usage: optguard explain [--policy FILE] [--cgroup DIR] [--uid UID] OPTION "
		"[VALUE]\n");
}

/* What the policy does with one setsockopt(level, optname[, value]) call: 0 or 1. */
static int explain_call(const struct og_policy *p, const char *cg, __u32 uid, int level,
			int optname, const struct og_option *opt, const char *value)
{
	const struct og_rule_def *win;
	size_t i;

	printf("call:     setsockopt(%s, %s", level_name(level) ? level_name(level) : "?",
	       opt ? opt->name : "?");
	if (!opt)
		printf(" [%d:%d]", level, optname);
	printf("%s%s) by uid %u in %s\n", value ? ", " : "", value ? value : "", uid, cg);
	if (!path_within(cg, p->cgroup)) {
		printf("verdict:  not checked: %s is outside the policy's cgroup %s\n", cg, p->cgroup);
		return 0;
	}
	win = policy_match(p, level, optname, cg, uid);
	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];
		int rank;

		if (!rule_has_opt(r, level, optname))
			continue;
		rank = scope_rank(r->scope, cg, uid);
		printf("%s rule %s (%s:%d), scope %s: %s%s%s\n",
		       r == win ? "wins:    " : "candidate:", r->name, p->path, r->line,
		       scope_name(r->scope),
		       rank < 0 ? "does not match this caller" :
		       rank == 0 ? "matches everyone ('*': least specific)" :
		       rank == 1 ? "matches by uid" :
		       rank & 1 ? "matches by cgroup and uid" : "matches by cgroup",
		       r->optspec ? "; option = " : "", r->optspec ? r->optspec : "");
	}
	if (!win) {
		if (p->default_action == OG_ACT_DENY)
			printf("verdict:  deny with %s (no rule matches: default = deny)\n",
			       errno_name(p->default_err));
		else
			printf("verdict:  allow (no rule matches: default = allow)\n");
		return 0;
	}
	printf("rule:     ");
	print_rule_effect(win);
	if (rule_forces_at(win)) {
		struct og_policy one = *p;

		/* the winning rule only: does this kernel honour its points? */
		one.rules = (struct og_rule_def *)win;
		one.nrules = 1;
		if (check_kernel_force(&one))
			printf("kernel:   this kernel cannot force it at every point it names: "
			       "optguard run refuses this policy here\n");
		/* the points as run would force them (a defaulted at less what the kernel lacks) */
		printf("at:       %s%s%s%s%s%s; telemetry %s; on_unforceable %s\n",
		       win->at & OG_AT_CREATE ? "create " : "",
		       win->at & OG_AT_CONNECT ? "connect " : "",
		       win->at & OG_AT_ESTABLISHED ? "established " : "",
		       win->at & OG_AT_SEND ? "send " : "",
		       win->at ? "" : "nowhere ",
		       win->at_default ? "(no `at`: the default create, connect, less the points "
		       "this kernel lacks)" : "(the rule's `at`)", win->telemetry ? "on" : "off",
		       win->deny_unforceable ? "deny" : "allow");
	}
	if (value) {
		struct og_value v;
		struct og_val req = {}, eff;
		struct og_rule kr;
		char a[64], b[64];
		__u32 err;
		int verdict;

		if (value_parse(win->vtype, value, &v)) {
			log_warnx("explain: '%s' is not a %s value", value,
				  vtype_name(win->vtype));
			return 1;
		}
		req.num = v.num;
		memcpy(req.str, v.str, OG_STR_MAX);
		if (encode_rule(win, 1, &kr)) {
			printf("verdict:  allow (the rule does nothing at setsockopt)\n");
			return 0;
		}
		/* this option of the rule, read as the kernel reads it */
		kr.flags = (kr.flags & ~OG_RF_READ) | read_flags(opt);
		/* the value as the program reads it from a 4-byte int (8: SO_MAX_PACING_RATE) */
		if (win->vtype != OG_VT_STR && !(kr.flags & OG_RF_U64) &&
		    og_from_u32(kr.vtype, kr.flags, (__u32)req.num) != req.num) {
			req.num = og_from_u32(kr.vtype, kr.flags, (__u32)req.num);
			v.num = req.num;
			value_format(win->vtype, &v, b, sizeof(b));
			printf("value:    the kernel reads %s as %s (%s 32-bit int)\n", value, b,
			       og_unsigned(kr.vtype, kr.flags) ? "an unsigned" : "a");
		}
		verdict = og_decide(&kr, &req, win->vtype != OG_VT_OPAQUE, &eff, &err);
		memcpy(v.str, eff.str, OG_STR_MAX);
		v.num = eff.num;
		value_format(win->vtype, &v, b, sizeof(b));
		snprintf(a, sizeof(a), "%s", value);
		printf("verdict:  %s", action_name(verdict));
		if (verdict == OG_ACT_DENY)
			printf(" with %s", errno_name(err));
		else if (verdict == OG_ACT_REWRITE || verdict == OG_ACT_CLAMP)
			printf(": %s -> %s", a, b);
		printf("%s\n", p->mode == OG_MODE_AUDIT ? " (audit mode: logged, not enforced)" : "");
	}
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "uid", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = NULL, *cg_arg = NULL, *uid_s = NULL;
	const struct og_option *opt = NULL;
	const struct og_family *fam;
	struct og_policy *p = NULL;
	struct og_diag diag = {};
	char cg[PATH_MAX];
	int c, level = 0, optname = 0, ret = 1;
	__u32 uid = getuid();
	size_t i, nmembers;

	while ((c = getopt_long(argc, argv, "p:c:u:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			path = optarg;
			break;
		case 'c':
			cg_arg = optarg;
			break;
		case 'u':
			uid_s = optarg;
			break;
		case 'h':
			usage_explain();
			return 0;
		default:
			usage_explain();
			return 2;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		usage_explain();
		return 2;
	}
	/* a family: each of its options in turn */
	fam = family_by_name(argv[optind]);
	for (nmembers = 1; fam && nmembers < OG_FAMILY_MAX && fam->members[nmembers]; nmembers++)
		;
	if (!fam && option_arg(argv[optind], &level, &optname, &opt)) {
		log_warnx("explain: unknown option '%s' (see 'optguard options'; or LEVEL:OPTNAME)",
			  argv[optind]);
		return 2;
	}
	if (uid_s && uid_arg(uid_s, &uid)) {
		log_warnx("explain: unknown user '%s'", uid_s);
		return 2;
	}
	if (!path)
		path = policy_default_path();
	resolve_cgns(path);
	if (policy_load(path, &p, &diag)) {
		diag_print(&diag);
		diag_free(&diag);
		return 1;
	}
	diag_free(&diag);
	if (cg_arg && cg_arg[0] != '/') {
		log_warnx("explain: --cgroup needs an absolute directory, got '%s'", cg_arg);
		goto out;
	}
	if (path_normalize(cg_arg ? cg_arg : p->cgroup, cg, sizeof(cg))) {
		log_warnx("explain: --cgroup: path too long");
		goto out;
	}
	printf("policy:   %s (mode %s, default %s)\n", path,
	       p->mode == OG_MODE_AUDIT ? "audit" : "enforce", action_name(p->default_action));
	ret = 0;
	for (i = 0; i < nmembers && !ret; i++) {
		if (fam) {
			opt = option_by_name(fam->members[i]);
			level = opt->level;
			optname = opt->optname;
			printf("%s%s of %s:\n", i ? "\n" : "", opt->name, fam->name);
		}
		ret = explain_call(p, cg, uid, level, optname, opt,
				   argc - optind == 2 ? argv[optind + 1] : NULL);
	}
out:
	policy_free(p);
	return ret;
}
