// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pass 2 of the policy parser: validate the [enforcer], [scope:NAME] and
 * [rule:NAME] sections that pass 1 collected (see policy.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "cgroup.h"
#include "policy_int.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *sec_kind_name(enum sec_kind k)
{
	return k == SEC_SCOPE ? "scope:" : k == SEC_RULE ? "rule:" : "";
}

/* Point slots[i] at the key named keys[i]; unknown and repeated keys are errors. */
static void collect(struct parser *ps, const struct section *s, const char *const *keys,
		    size_t nkeys, const struct kv **slots)
{
	size_t i, k;

	for (k = 0; k < nkeys; k++)
		slots[k] = NULL;
	for (i = 0; i < s->nkvs; i++) {
		const struct kv *kv = &s->kvs[i];

		for (k = 0; k < nkeys; k++)
			if (!strcmp(kv->key, keys[k]))
				break;
		if (k == nkeys)
			perr(ps, kv->line, "unknown key '%s' in [%s%s]", kv->key,
			     s->kind == SEC_ENFORCER ? "enforcer" : sec_kind_name(s->kind),
			     s->name);
		else if (slots[k])
			perr(ps, kv->line, "duplicate key '%s' (first at line %d)", kv->key,
			     slots[k]->line);
		else
			slots[k] = kv;
	}
}

/* errno = or default_errno = that errno_parse() refused: say why. */
static void bad_errno(struct parser *ps, const struct kv *kv)
{
	const char *v = kv->val + (kv->val[0] == '-');

	if (*v && strspn(v, "0123456789") == strlen(v))
		perr(ps, kv->line, "%s '%s' is out of range (1 to 4095, or a name such as EPERM)",
		     kv->key, kv->val);
	else
		perr(ps, kv->line, "unknown errno '%s'", kv->val);
}

/* Index of kv->val in names (a NULL-terminated list), or -1 after an error. */
static int parse_enum(struct parser *ps, const struct kv *kv, const char *const *names)
{
	char expect[128] = "";
	size_t i, o = 0;

	for (i = 0; names[i]; i++)
		if (!strcmp(kv->val, names[i]))
			return (int)i;
	for (i = 0; names[i] && o < sizeof(expect); i++)
		o += snprintf(expect + o, sizeof(expect) - o, "%s%s", i ? " | " : "", names[i]);
	perr(ps, kv->line, "invalid %s '%s' (expected %s)", kv->key, kv->val, expect);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	return s;
}

/*
 * The comma-separated items of kv->val, trimmed, in one allocation: *items
 * points into *store.  -1 after an error (an empty item), else the count.
 */
static long split_list(struct parser *ps, const struct kv *kv, char **store, char ***items)
{
	char *copy, *p, *comma, **v = NULL, **nv;
	long n = 0;

	copy = pstrdup(ps, kv->val);
	if (!copy)
		return -1;
	for (p = copy;; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		p = trim(p);
		if (!*p) {
			perr(ps, kv->line, "empty item in the list of '%s'", kv->key);
			goto fail;
		}
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			ps->oom = true;
			goto fail;
		}
		v = nv;
		v[n++] = p;
		if (!comma)
			break;
	}
	*store = copy;
	*items = v;
	return n;
fail:
	free(v);
	free(copy);
	return -1;
}

/* Resolve a cgroup directory; an error (naming the path) and -1 when it is not one. */
static int cgroup_dir(struct parser *ps, int line, const char *raw, char **path, __u64 *id,
		      int *level)
{
	char norm[PATH_MAX];
	int ret;

	if (raw[0] != '/') {
		perr(ps, line, "cgroup '%s' is not an absolute path", raw);
		return -1;
	}
	if (path_normalize(raw, norm, sizeof(norm))) {
		perr(ps, line, "cgroup path '%s' is too long", raw);
		return -1;
	}
	ret = cg_info(norm, id, level);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		perr(ps, line, "cgroup directory '%s' does not exist", raw);
		return -1;
	case -ENOTDIR:
		perr(ps, line, "cgroup '%s' is not a directory", raw);
		return -1;
	case -EXDEV:
		perr(ps, line, "cgroup '%s' is not on the cgroup2 file system", raw);
		return -1;
	default:
		perr(ps, line, "cgroup '%s': %s", raw, strerror(-ret));
		return -1;
	}
	*path = pstrdup(ps, norm);
	return *path ? 0 : -1;
}

/* ---- [enforcer] -------------------------------------------------------- */

static const char *const enforcer_keys[] = {
	"mode", "default", "default_errno", "cgroup", "lsm", "log", "log_file", "log_rate",
	"pin_dir", "log_force", "guard", "compat", "watch", "metrics",
};
enum { EK_MODE, EK_DEFAULT, EK_ERRNO, EK_CGROUP, EK_LSM, EK_LOG, EK_LOG_FILE, EK_LOG_RATE,
       EK_PIN_DIR, EK_LOG_FORCE, EK_GUARD, EK_COMPAT, EK_WATCH, EK_METRICS, EK_N };

int policy_metrics_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon, *h = s;
	unsigned long port;
	size_t hl;
	char *end;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -EINVAL;
	hl = colon - s;
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return -EINVAL;
		h = s + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port == 0 || port > 65535)
		return -EINVAL;
	if (s[0] != '[' && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static void absolute_path(struct parser *ps, const struct kv *kv, bool dash_ok, char **out)
{
	char norm[PATH_MAX];

	if (dash_ok && (!strcmp(kv->val, "-") || !strcmp(kv->val, "stdout"))) {
		free(*out);
		*out = pstrdup(ps, "-");
		return;
	}
	if (kv->val[0] != '/' || path_normalize(kv->val, norm, sizeof(norm))) {
		perr(ps, kv->line, "%s '%s' is not an absolute path%s", kv->key, kv->val,
		     dash_ok ? ", '-' or stdout" : "");
		return;
	}
	free(*out);
	*out = pstrdup(ps, norm);
}

void enforcer_build(struct parser *ps, struct og_policy *p)
{
	static const char *const modes[] = { "enforce", "audit", NULL };
	static const char *const defaults[] = { "allow", "deny", NULL };
	static const char *const lsms[] = { "auto", "require", "off", NULL };
	static const char *const logs[] = { "json", "text", "syslog", "none", NULL };
	static const char *const log_forces[] = { "errors", "all", NULL };
	static const char *const guards[] = { "on", "off", NULL };
	static const char *const compats[] = { "deny", "allow", NULL };
	const struct section *s = NULL;
	const struct kv *k[EK_N];
	char mnt[PATH_MAX];
	unsigned long rate;
	char *end;
	size_t i;
	int v;

	for (i = 0; i < ps->nsecs && !s; i++)
		if (ps->secs[i].kind == SEC_ENFORCER)
			s = &ps->secs[i];
	if (s)
		collect(ps, s, enforcer_keys, EK_N, k);
	else
		memset(k, 0, sizeof(k));

	if (k[EK_MODE] && (v = parse_enum(ps, k[EK_MODE], modes)) >= 0)
		p->mode = v ? OG_MODE_AUDIT : OG_MODE_ENFORCE;
	if (k[EK_DEFAULT] && (v = parse_enum(ps, k[EK_DEFAULT], defaults)) >= 0)
		p->default_action = v ? OG_ACT_DENY : OG_ACT_ALLOW;
	if (k[EK_ERRNO]) {
		if (errno_parse(k[EK_ERRNO]->val, &v))
			bad_errno(ps, k[EK_ERRNO]);
		else
			p->default_err = v;
		if (p->default_action != OG_ACT_DENY)
			pwarn(ps, k[EK_ERRNO]->line,
			      "warning: default_errno has no effect unless default = deny");
	}
	if (k[EK_LSM] && (v = parse_enum(ps, k[EK_LSM], lsms)) >= 0)
		p->lsm = (enum og_lsm_mode)v;
	if (k[EK_LOG] && (v = parse_enum(ps, k[EK_LOG], logs)) >= 0)
		p->log = (enum og_log_kind)v;
	if (k[EK_LOG_FORCE] && (v = parse_enum(ps, k[EK_LOG_FORCE], log_forces)) >= 0)
		p->log_force = v;
	if (k[EK_GUARD] && (v = parse_enum(ps, k[EK_GUARD], guards)) >= 0)
		p->guard_off = v;
	if (k[EK_COMPAT] && (v = parse_enum(ps, k[EK_COMPAT], compats)) >= 0)
		p->compat_allow = v;
	if (k[EK_WATCH] && (v = parse_enum(ps, k[EK_WATCH], guards)) >= 0)
		p->watch = !v;
	if (k[EK_METRICS] && strcmp(k[EK_METRICS]->val, "off")) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (policy_metrics_addr(k[EK_METRICS]->val, &ss, &sl))
			perr(ps, k[EK_METRICS]->line, "metrics '%s' is not ADDR:PORT (an IPv4 "
			     "address, or an IPv6 one in brackets, and a port) or off",
			     k[EK_METRICS]->val);
		else
			p->metrics = pstrdup(ps, k[EK_METRICS]->val);
	}
	if (k[EK_LOG_FILE])
		absolute_path(ps, k[EK_LOG_FILE], true, &p->log_file);
	if (k[EK_PIN_DIR])
		absolute_path(ps, k[EK_PIN_DIR], false, &p->pin_dir);
	if (k[EK_LOG_RATE]) {
		const char *r = k[EK_LOG_RATE]->val;

		errno = 0;
		rate = strtoul(r, &end, 10);
		if (*r < '0' || *r > '9' || *end || errno || rate > UINT_MAX)
			perr(ps, k[EK_LOG_RATE]->line,
			     "invalid log_rate '%s' (events per second per rule, 0 = unlimited)",
			     r);
		else
			p->log_rate = (unsigned int)rate;
	}
	if (k[EK_CGROUP]) {
		cgroup_dir(ps, k[EK_CGROUP]->line, k[EK_CGROUP]->val, &p->cgroup, &p->cgroup_id,
			   &p->cgroup_level);
	} else if (cg2_mount(mnt, sizeof(mnt))) {
		perr(ps, s ? s->line : 0,
		     "no cgroup2 file system is mounted: set cgroup in [enforcer]");
	} else {
		cgroup_dir(ps, s ? s->line : 0, mnt, &p->cgroup, &p->cgroup_id, &p->cgroup_level);
		p->cgroup_whole_host = true;
	}
}

/* ---- [scope:NAME] ------------------------------------------------------ */

static const char *const scope_keys[] = { "cgroup", "uid" };

static void scope_cgroups(struct parser *ps, const struct og_policy *p, struct og_scope *sc,
			  const struct kv *kv, bool *bad)
{
	char *store, **items;
	long n, i;
	size_t j;

	n = split_list(ps, kv, &store, &items);
	if (n < 0) {
		*bad = true;
		return;
	}
	sc->cgroups = calloc(n, sizeof(*sc->cgroups));
	if (!sc->cgroups) {
		ps->oom = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		struct og_scope_cgroup c = { 0 };

		if (cgroup_dir(ps, kv->line, items[i], &c.path, &c.id, &c.level)) {
			*bad = true;
			continue;
		}
		for (j = 0; j < sc->ncgroups; j++)
			if (sc->cgroups[j].id == c.id)
				break;
		if (j < sc->ncgroups) {
			perr(ps, kv->line, "cgroup '%s' is listed twice", items[i]);
		} else if (p->cgroup && !path_within(c.path, p->cgroup)) {
			perr(ps, kv->line, "cgroup '%s' is outside the enforcer cgroup '%s': %s",
			     items[i], p->cgroup, "it would never be enforced");
		} else if (c.level >= OG_CG_LEVELS) {
			perr(ps, kv->line,
			     "cgroup '%s' is %d levels deep; at most %d are supported", items[i],
			     c.level, OG_CG_LEVELS - 1);
		} else {
			sc->cgroups[sc->ncgroups++] = c;
			continue;
		}
		*bad = true;
		free(c.path);
	}
	free(items);
	free(store);
}

static int uid_resolve(struct parser *ps, int line, const char *s, __u32 *uid)
{
	struct passwd pw, *res = NULL;
	unsigned long n;
	char *end, *buf;
	long sz;
	int ret;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		n = strtoul(s, &end, 10);
		/* (uid_t)-1 is the kernel's "no uid" and OG_UID_ANY */
		if (*end || errno || n >= OG_UID_ANY) {
			perr(ps, line, "invalid uid '%s'", s);
			return -1;
		}
		*uid = (__u32)n;
		return 0;
	}
	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	if (sz < 16384)
		sz = 16384;
	buf = malloc(sz);
	if (!buf) {
		ps->oom = true;
		return -1;
	}
	ret = getpwnam_r(s, &pw, buf, sz, &res);
	if (res)
		*uid = (__u32)pw.pw_uid;
	else if (ret && ret != ENOENT && ret != ESRCH)
		perr(ps, line, "cannot look up user '%s': %s", s, strerror(ret));
	else
		perr(ps, line, "unknown user '%s'", s);
	free(buf);
	return res ? 0 : -1;
}

static void scope_uids(struct parser *ps, struct og_scope *sc, const struct kv *kv, bool *bad)
{
	char *store, **items;
	long n, i;
	size_t j;
	__u32 uid = 0;

	n = split_list(ps, kv, &store, &items);
	if (n < 0) {
		*bad = true;
		return;
	}
	sc->uids = calloc(n, sizeof(*sc->uids));
	if (!sc->uids) {
		ps->oom = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (uid_resolve(ps, kv->line, items[i], &uid)) {
			*bad = true;
			continue;
		}
		for (j = 0; j < sc->nuids; j++)
			if (sc->uids[j] == uid)
				break;
		if (j < sc->nuids) {
			perr(ps, kv->line, "uid %u ('%s') is listed twice", uid, items[i]);
			*bad = true;
			continue;
		}
		sc->uids[sc->nuids++] = uid;
	}
	free(items);
	free(store);
}

void scope_build(struct parser *ps, const struct og_policy *p, const struct section *s,
			struct og_scope *sc, bool *bad)
{
	const struct kv *k[2];

	sc->name = pstrdup(ps, s->name);
	sc->line = s->line;
	collect(ps, s, scope_keys, ARRAY_SIZE(scope_keys), k);
	if (k[0])
		scope_cgroups(ps, p, sc, k[0], bad);
	if (k[1])
		scope_uids(ps, sc, k[1], bad);
	if (!k[0] && !k[1])
		pwarn(ps, s->line, "warning: scope '%s' has no selectors: it matches every caller, "
		      "like '*'", s->name);
}

/* ---- [rule:NAME] ------------------------------------------------------- */

static const char *const rule_keys[] = {
	"scope", "option", "action", "errno", "except", "min", "max", "value", "at", "on_change",
};
enum { RK_SCOPE, RK_OPTION, RK_ACTION, RK_ERRNO, RK_EXCEPT, RK_MIN, RK_MAX, RK_VALUE, RK_AT,
       RK_ON_CHANGE, RK_N };

const char *const *policy_keys(const char *section, size_t *n)
{
	if (!strcmp(section, "enforcer")) {
		*n = ARRAY_SIZE(enforcer_keys);
		return enforcer_keys;
	}
	if (!strcmp(section, "scope")) {
		*n = ARRAY_SIZE(scope_keys);
		return scope_keys;
	}
	if (!strcmp(section, "rule")) {
		*n = ARRAY_SIZE(rule_keys);
		return rule_keys;
	}
	*n = 0;
	return NULL;
}

/* in enum og_action order from OG_ACT_ALLOW */
static const char *const action_names[] = {
	"allow", "deny", "rewrite", "clamp", "force", "audit", NULL,
};

/* The actions each key goes with (errno on force: only with on_change = deny). */
static const unsigned int rule_key_actions[RK_N] = {
	[RK_SCOPE] = ~0u,
	[RK_OPTION] = ~0u,
	[RK_ACTION] = ~0u,
	[RK_ERRNO] = ACT_BIT(OG_ACT_DENY) | ACT_BIT(OG_ACT_FORCE),
	[RK_EXCEPT] = ACT_BIT(OG_ACT_DENY) | ACT_BIT(OG_ACT_REWRITE),
	[RK_MIN] = ACT_BIT(OG_ACT_CLAMP),
	[RK_MAX] = ACT_BIT(OG_ACT_CLAMP),
	[RK_VALUE] = ACT_BIT(OG_ACT_REWRITE) | ACT_BIT(OG_ACT_FORCE),
	[RK_AT] = ACT_BIT(OG_ACT_FORCE),
	[RK_ON_CHANGE] = ACT_BIT(OG_ACT_FORCE),
};

void optref_label(int level, int optname, char *buf, size_t len)
{
	const struct og_option *o = option_by_number(level, optname);
	const char *l = level_name(level);

	if (o)
		snprintf(buf, len, "%s", o->name);
	else if (l)
		snprintf(buf, len, "%s:%d", l, optname);
	else
		snprintf(buf, len, "%d:%d", level, optname);
}

void option_label(const struct og_rule_def *r, char *buf, size_t len)
{
	const char *l = level_name(r->level);

	if (r->optspec)
		snprintf(buf, len, "%s", r->optspec);
	else if (r->opt)
		snprintf(buf, len, "%s", r->opt->name);
	else if (l)
		snprintf(buf, len, "%s:%d", l, r->optname);
	else
		snprintf(buf, len, "%d:%d", r->level, r->optname);
}

static const char *vtype_expect(enum og_vtype t)
{
	switch (t) {
	case OG_VT_INT:
	case OG_VT_SIZE:
		return "an integer from -2147483648 to 2147483647 (decimal or 0x hex, K/M/G "
		       "suffixes)";
	case OG_VT_UINT:
		return "an unsigned integer (decimal or 0x hex, K/M/G suffixes)";
	case OG_VT_BOOL:
		return "on/off, yes/no, true/false or 1/0";
	case OG_VT_STR:
		return "1 to 15 printable characters without blanks or commas";
	case OG_VT_DSCP:
		return "a DSCP name (CS0-CS7, AF11-AF43, EF, VA, LE) or a TOS byte 0-255";
	default:
		return "nothing: the option's value is opaque";
	}
}

/* Parse one value for rule @r, with the option's own limits: 0, or -1 after an error. */
static int rule_value(struct parser *ps, const struct og_rule_def *r, int line, const char *s,
		      struct og_value *v)
{
	char label[64];
	size_t i;

	option_label(r, label, sizeof(label));
	if (value_parse(r->vtype, s, v)) {
		perr(ps, line, "invalid value '%s' for %s: expected %s", s, label,
		     vtype_expect(r->vtype));
		return -1;
	}
	for (i = 0; i < rule_nopts(r); i++) {
		struct og_optref o = rule_opt(r, i);

		/* only SO_MAX_PACING_RATE is read as 64 bits; other uints are a __u32 */
		if (r->vtype == OG_VT_UINT && (__u64)v->num > UINT32_MAX &&
		    !(o.opt && (o.opt->kread & OG_KR_U64))) {
			perr(ps, line, "value '%s' for %s does not fit 32 bits", s, label);
			return -1;
		}
		/* a size, or an int the kernel takes as unsigned or refuses below 0 */
		if (o.opt && option_nonneg(o.opt) && r->vtype != OG_VT_UINT && v->num < 0) {
			perr(ps, line, "value '%s' for %s is negative: %s", s, label,
			     o.opt->kread & OG_KR_U32 ? "the kernel reads it as an unsigned number" :
			     o.opt->kread & OG_KR_NONNEG ? "the kernel refuses negative values" :
			     "a size is never negative");
			return -1;
		}
		/* bpf_setsockopt(TCP_CONGESTION) refuses a name shorter than 2 bytes */
		if (o.opt && o.level == IPPROTO_TCP && o.optname == TCP_CONGESTION &&
		    strlen(v->str) < 2) {
			perr(ps, line, "congestion control name '%s' is too short (at least 2 "
			     "characters)", s);
			return -1;
		}
	}
	return 0;
}

static void rule_except(struct parser *ps, struct og_rule_def *r, const struct kv *kv)
{
	char *store, **items;
	size_t max = r->vtype == OG_VT_STR ? OG_EXCEPT_STR_MAX : OG_EXCEPT_MAX;
	long n, i;

	if (r->vtype == OG_VT_OPAQUE) {
		perr(ps, kv->line,
		     "except needs a comparable value; this option's value is opaque");
		return;
	}
	n = split_list(ps, kv, &store, &items);
	if (n < 0)
		return;
	if ((size_t)n > max)
		perr(ps, kv->line, "too many except values (%ld, at most %zu)", n, max);
	/* its own allocation: most rules have none, and a rule is much smaller without */
	r->except = calloc(n < (long)max ? n : (long)max, sizeof(*r->except));
	if (!r->except && n) {
		ps->oom = true;
		n = 0;
	}
	for (i = 0; i < n && (size_t)i < max; i++)
		if (!rule_value(ps, r, kv->line, items[i], &r->except[r->nexcept]))
			r->nexcept++;
	free(items);
	free(store);
}

static void rule_at(struct parser *ps, struct og_rule_def *r, const struct kv *kv)
{
	static const char *const points[] = { "create", "connect", "established" };
	char *store, **items;
	unsigned int at = 0;
	long n, i;
	size_t j;

	n = split_list(ps, kv, &store, &items);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ARRAY_SIZE(points); j++)
			if (!strcmp(items[i], points[j]))
				break;
		if (j == ARRAY_SIZE(points)) {
			perr(ps, kv->line,
			     "invalid at '%s' (expected create, connect, established)", items[i]);
			at = 0;
			break;
		}
		at |= 1u << j;
	}
	if (at)
		r->at = at;
	free(items);
	free(store);
}

static bool clamp_le(enum og_vtype t, const struct og_value *a, const struct og_value *b)
{
	return t == OG_VT_UINT ? (__u64)a->num <= (__u64)b->num : a->num <= b->num;
}

static void actions_list(unsigned int mask, char *buf, size_t len)
{
	size_t o = 0;
	int a;

	buf[0] = '\0';
	for (a = OG_ACT_ALLOW; a < OG_ACT_MAX && o < len; a++)
		if (mask & ACT_BIT(a))
			o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
				      action_name((enum og_action)a));
}

/* The action and the keys that go with it; *k are the rule's keys by RK_*. */
static void rule_action(struct parser *ps, const struct section *s, struct og_rule_def *r,
			const struct kv **k)
{
	static const char *const on_changes[] = { "rewrite", "deny", "allow", NULL };
	unsigned int mask = ~0u, force = 0;
	char label[64], list[128], a[32], b[32];
	size_t i;
	int v;

	/*
	 * Every option of the rule must take the action; force needs one that
	 * bpf_setsockopt can set (the others get on_change at setsockopt).
	 */
	for (i = 0; i < rule_nopts(r); i++) {
		const struct og_option *o = rule_opt(r, i).opt;

		mask &= o ? o->actions : ACTS_ANY;
		force |= o ? o->actions & ACT_BIT(OG_ACT_FORCE) : 0;
	}
	mask = (mask & ~ACT_BIT(OG_ACT_FORCE)) | force;

	v = parse_enum(ps, k[RK_ACTION], action_names);
	if (v < 0)
		return;
	r->action = (enum og_action)(OG_ACT_ALLOW + v);
	option_label(r, label, sizeof(label));
	if (!(mask & ACT_BIT(r->action))) {
		actions_list(mask, list, sizeof(list));
		if (r->action == OG_ACT_FORCE)
			perr(ps, k[RK_ACTION]->line,
			     "force on %s: bpf_setsockopt cannot set %s (it takes %s)",
			     label, r->nmore ? "any of its options" : "this option", list);
		else
			perr(ps, k[RK_ACTION]->line,
			     "action %s does not fit %s (%s value); it takes %s",
			     action_name(r->action), label, vtype_name(r->vtype), list);
		return;
	}
	for (i = 0; i < RK_N; i++) {
		if (k[i] && !(rule_key_actions[i] & ACT_BIT(r->action))) {
			perr(ps, k[i]->line, "key '%s' does not apply to action %s", rule_keys[i],
			     action_name(r->action));
			k[i] = NULL;
		}
	}

	switch (r->action) {
	case OG_ACT_DENY:
		r->err = EPERM;
		if (k[RK_ERRNO] && errno_parse(k[RK_ERRNO]->val, &r->err))
			bad_errno(ps, k[RK_ERRNO]);
		if (k[RK_EXCEPT])
			rule_except(ps, r, k[RK_EXCEPT]);
		break;
	case OG_ACT_REWRITE:
		if (!k[RK_VALUE])
			perr(ps, s->line, "rewrite needs a value");
		else if (!rule_value(ps, r, k[RK_VALUE]->line, k[RK_VALUE]->val, &r->value))
			r->has_value = true;
		if (k[RK_EXCEPT])
			rule_except(ps, r, k[RK_EXCEPT]);
		break;
	case OG_ACT_CLAMP:
		if (!k[RK_MIN] && !k[RK_MAX])
			perr(ps, s->line, "clamp needs min or max");
		if (k[RK_MIN] && !rule_value(ps, r, k[RK_MIN]->line, k[RK_MIN]->val, &r->min))
			r->has_min = true;
		if (k[RK_MAX] && !rule_value(ps, r, k[RK_MAX]->line, k[RK_MAX]->val, &r->max))
			r->has_max = true;
		if (r->has_min && r->has_max && !clamp_le(r->vtype, &r->min, &r->max)) {
			value_format(r->vtype, &r->min, a, sizeof(a));
			value_format(r->vtype, &r->max, b, sizeof(b));
			perr(ps, k[RK_MAX]->line, "min %s is greater than max %s", a, b);
		}
		break;
	case OG_ACT_FORCE:
		/* create and connect: the value holds from the start and after routing */
		r->at = OG_AT_CREATE | OG_AT_CONNECT;
		r->on_change = OG_ONCHANGE_REWRITE;
		if (!k[RK_VALUE])
			perr(ps, s->line, "force needs a value");
		else if (!rule_value(ps, r, k[RK_VALUE]->line, k[RK_VALUE]->val, &r->value))
			r->has_value = true;
		/* bpf_setsockopt takes SO_MAX_PACING_RATE as an int only */
		if (r->has_value && r->opt && (r->opt->kread & OG_KR_U64) &&
		    (__u64)r->value.num > UINT32_MAX) {
			perr(ps, k[RK_VALUE]->line, "force value '%s' for %s does not fit 32 bits "
			     "(bpf_setsockopt takes an int)", k[RK_VALUE]->val, r->opt->name);
			r->has_value = false;
		}
		if (k[RK_AT])
			rule_at(ps, r, k[RK_AT]);
		if (k[RK_ON_CHANGE] && (v = parse_enum(ps, k[RK_ON_CHANGE], on_changes)) >= 0)
			r->on_change = (enum og_on_change)v;
		if (r->on_change == OG_ONCHANGE_DENY)
			r->err = EPERM;
		if (k[RK_ERRNO] && r->on_change != OG_ONCHANGE_DENY)
			perr(ps, k[RK_ERRNO]->line,
			     "key 'errno' applies to force only with on_change = deny");
		else if (k[RK_ERRNO] && errno_parse(k[RK_ERRNO]->val, &r->err))
			bad_errno(ps, k[RK_ERRNO]);
		break;
	default:
		break;
	}
}

/* Add one option to @refs unless there: 0, or -1 after an error. */
static int optref_add(struct parser *ps, const struct kv *kv, struct og_optref *refs, size_t *n,
		      const char *item, const struct og_option *o, int level, int optname)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (refs[i].level == level && refs[i].optname == optname) {
			perr(ps, kv->line, "option '%s' names %s twice", kv->val, item);
			return -1;
		}
	}
	if (*n == OG_RULE_OPTS_MAX) {
		perr(ps, kv->line, "option '%s' names more than %d options", kv->val,
		     OG_RULE_OPTS_MAX);
		return -1;
	}
	refs[(*n)++] = (struct og_optref){ .opt = o, .level = level, .optname = optname };
	return 0;
}

/*
 * option = NAME, LEVEL:OPTNAME, a family (DSCP, SO_RCVBUF* ...) or a list of
 * them: one rule for all, so every option must take the same values.
 * 0, or -1 after an error.
 */
static int rule_options(struct parser *ps, struct og_rule_def *r, const struct kv *kv)
{
	struct og_optref refs[OG_RULE_OPTS_MAX] = {};
	const struct og_family *f;
	const struct og_option *o;
	char *store, **items;
	size_t n = 0, j;
	long ni, i;
	int level, optname, ret = 0;

	ni = split_list(ps, kv, &store, &items);
	if (ni < 0)
		return -1;
	for (i = 0; i < ni && !ret; i++) {
		f = family_by_name(items[i]);
		for (j = 0; f && j < OG_FAMILY_MAX && f->members[j] && !ret; j++) {
			o = option_by_name(f->members[j]);
			ret = optref_add(ps, kv, refs, &n, o->name, o, o->level, o->optname);
		}
		if (f)
			continue;
		if (option_parse(items[i], &o, &level, &optname)) {
			perr(ps, kv->line, "unknown option '%s' (a name or family from `optguard "
			     "options`, or LEVEL:OPTNAME)", items[i]);
			ret = -1;
		} else {
			ret = optref_add(ps, kv, refs, &n, items[i], o, level, optname);
		}
	}
	for (j = 1; j < n && !ret; j++) {
		enum og_vtype a = refs[0].opt ? refs[0].opt->vtype : OG_VT_OPAQUE;
		enum og_vtype b = refs[j].opt ? refs[j].opt->vtype : OG_VT_OPAQUE;

		if (a != b) {
			perr(ps, kv->line, "option '%s': %s takes %s values and %s %s values: "
			     "a rule covers options of one value type", kv->val,
			     refs[0].opt ? refs[0].opt->name : items[0], vtype_name(a),
			     refs[j].opt ? refs[j].opt->name : "the other", vtype_name(b));
			ret = -1;
		}
	}
	if (!ret) {
		r->opt = refs[0].opt;
		r->level = refs[0].level;
		r->optname = refs[0].optname;
		if (n > 1) {
			r->more = calloc(n - 1, sizeof(*r->more));
			f = ni == 1 ? family_by_name(items[0]) : NULL;
			r->optspec = pstrdup(ps, f ? f->name : kv->val);
			if (!r->more)
				ps->oom = true;
			else
				memcpy(r->more, refs + 1, (n - 1) * sizeof(*r->more));
			r->nmore = r->more ? n - 1 : 0;
		}
	}
	free(items);
	free(store);
	return ret;
}

void rule_build(struct parser *ps, struct og_policy *p, const struct section *s,
		       struct og_rule_def *r, bool *bad)
{
	const struct kv *k[RK_N];
	bool opt_ok = false;
	size_t i;

	r->name = pstrdup(ps, s->name);
	r->line = s->line;
	collect(ps, s, rule_keys, RK_N, k);

	if (k[RK_SCOPE] && strcmp(k[RK_SCOPE]->val, "*")) {
		long si = nh_get(&ps->scope_names, SEC_SCOPE, k[RK_SCOPE]->val);

		i = si < 0 ? p->nscopes : (size_t)si;
		if (i == p->nscopes) {
			perr(ps, k[RK_SCOPE]->line, "unknown scope '%s'", k[RK_SCOPE]->val);
			*bad = true;
		} else {
			r->scope = &p->scopes[i];
			*bad |= ps->scope_bad[i];
		}
	}
	if (!k[RK_OPTION]) {
		perr(ps, s->line, "rule '%s' has no option", s->name);
		*bad = true;
	} else if (rule_options(ps, r, k[RK_OPTION])) {
		*bad = true;
	} else {
		r->vtype = r->opt ? r->opt->vtype : OG_VT_OPAQUE;
		opt_ok = true;
	}
	if (!k[RK_ACTION])
		perr(ps, s->line, "rule '%s' has no action", s->name);
	else if (opt_ok)
		rule_action(ps, s, r, k);
	else
		parse_enum(ps, k[RK_ACTION], action_names);	/* values need the option */
}
