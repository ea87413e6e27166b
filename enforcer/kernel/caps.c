// SPDX-License-Identifier: GPL-2.0-only
/* What this kernel offers optguard (caps.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "caps.h"
#include "loader.h"
#include "log.h"

/* Is "bpf" among the active LSMs?  Where securityfs does not tell, it may be. */
static int probe_lsm_listed(struct og_caps *c)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	char buf[256], *tok, *save;
	size_t n;

	if (!f)
		return 1;
	n = fread(c->lsm_list, 1, sizeof(c->lsm_list) - 1, f);
	fclose(f);
	c->lsm_list[n] = '\0';
	c->lsm_list[strcspn(c->lsm_list, "\n")] = '\0';
	c->lsm_list_known = true;
	snprintf(buf, sizeof(buf), "%s", c->lsm_list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "bpf"))
			return 1;
	return 0;
}

/* a trivial LSM program: refused, it is not worth loading the whole object to learn it */
static int probe_lsm_progs(struct og_caps *c)
{
	(void)c;
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LSM, NULL) > 0;
}

static int probe_set_retval(struct og_caps *c)
{
	(void)c;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_FUNC_set_retval, NULL) > 0;
}

static int probe_task_helpers(struct og_caps *c)
{
	(void)c;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT,
				       BPF_FUNC_get_current_ancestor_cgroup_id, NULL) > 0;
}

static int probe_bpf_loop(struct og_caps *c)
{
	(void)c;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK, BPF_FUNC_loop, NULL) > 0;
}

/* reads the kernel's BTF (some 100 ms): only where an LSM program is wanted */
static int probe_uring_hook(struct og_caps *c)
{
	(void)c;
	return libbpf_find_vmlinux_btf_id("uring_cmd", BPF_LSM_MAC) >= 0;
}

/* the same in every tracing-based program type */
static int probe_task_pt_regs(struct og_caps *c)
{
	(void)c;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_pt_regs, NULL) > 0;
}

static const struct {
	int (*probe)(struct og_caps *c);	/* 1: there */
	bool bpf;		/* loads a program: root only */
	const char *label;	/* `options` (NULL: not shown) */
	const char *cost;	/* `options`: what its absence costs */
	const char *why_not;	/* the reason, in messages */
} caps[OG_NCAPS] = {
	[OG_CAP_LSM_LISTED] = { probe_lsm_listed, false, NULL, NULL,
				"'bpf' is not among the kernel's active LSMs" },
	[OG_CAP_LSM_PROGS] = { probe_lsm_progs, true, "LSM programs load",
			       "deny runs cgroup-only: 32-bit callers not checked",
			       "the kernel refuses BPF LSM programs (BPF_PROG_TYPE_LSM)" },
	[OG_CAP_SET_RETVAL] = { probe_set_retval, true, "bpf_set_retval (rule errno)",
				"every deny gives EPERM", "the kernel lacks bpf_set_retval" },
	[OG_CAP_TASK_HELPERS] = { probe_task_helpers, true, "cgroup ancestry, pid, comm",
				  "cgroup scopes cannot be enforced",
				  "this kernel's cgroup programs lack "
				  "bpf_get_current_ancestor_cgroup_id" },
	[OG_CAP_BPF_LOOP] = { probe_bpf_loop, true, "bpf_loop (force programs)",
			      "nothing forced at create, connect, established",
			      "the kernel lacks the bpf_loop helper (Linux 5.17+) the force "
			      "programs use" },
	[OG_CAP_URING_HOOK] = { probe_uring_hook, false, "uring_cmd LSM hook",
				"compat io_uring rings are not told apart",
				"the kernel has no uring_cmd LSM hook (Linux 6.0+)" },
	[OG_CAP_TASK_PT_REGS] = { probe_task_pt_regs, true, NULL, NULL,
				  "the kernel lacks bpf_task_pt_regs (Linux 5.15+)" },
};

void caps_probe(struct og_caps *c, unsigned int which)
{
	int i;

	for (i = 0; i < OG_NCAPS; i++) {
		if (!(which & OG_CBIT(i)) || (c->probed & OG_CBIT(i)))
			continue;
		if (caps[i].bpf && geteuid() != 0) {
			c->need_root = true;
			continue;
		}
		c->probed |= OG_CBIT(i);
		if (caps[i].probe(c) > 0)
			c->have |= OG_CBIT(i);
	}
}

bool caps_has(const struct og_caps *c, enum og_cap cap)
{
	return c->have & OG_CBIT(cap);
}

void caps_why_not(const struct og_caps *c, enum og_cap cap, char *buf, size_t len)
{
	if (cap == OG_CAP_LSM_LISTED)
		snprintf(buf, len, "%s (%s): boot with lsm=%s,bpf", caps[cap].why_not, c->lsm_list,
			 c->lsm_list);
	else
		snprintf(buf, len, "%s", cap < OG_NCAPS ? caps[cap].why_not : "?");
}

void caps_print(struct og_caps *c)
{
	int i;

	caps_probe(c, ~0u);
	printf("kernel features (probed):\n");
	if (c->lsm_list_known)
		printf("  %-35s%s (bpf %s)\n", "active LSMs:", c->lsm_list,
		       caps_has(c, OG_CAP_LSM_LISTED) ? "listed" : "NOT listed");
	else
		printf("  %-35sunknown (securityfs not mounted)\n", "active LSMs:");
	if (c->need_root) {
		printf("  %-35sneed root\n", "BPF program probes:");
		return;
	}
	for (i = 0; i < OG_NCAPS; i++) {
		char label[64];

		if (!caps[i].label)
			continue;
		snprintf(label, sizeof(label), "%s:", caps[i].label);
		printf("  %-35s%s%s%s%s\n", label, caps_has(c, i) ? "yes" : "no",
		       caps_has(c, i) ? "" : " (", caps_has(c, i) ? "" : caps[i].cost,
		       caps_has(c, i) ? "" : ")");
	}
}

const char *caps_errno_text(const struct og_caps *c)
{
	return caps_has(c, OG_CAP_SET_RETVAL) ? "rule errno" : "EPERM only (no bpf_set_retval)";
}

bool caps_lsm_runs(const __u64 *hits)
{
	__u64 before = __atomic_load_n(hits, __ATOMIC_SEQ_CST);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return false;
	/* the result does not matter (a policy may deny it): only that the hook saw it */
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	close(fd);
	return __atomic_load_n(hits, __ATOMIC_SEQ_CST) != before;
}

/* Does any scope name a cgroup?  The cgroup program then needs cgroup ancestry. */
static bool uses_cgroup_scopes(const struct og_policy *p)
{
	size_t i;

	for (i = 0; i < p->nscopes; i++)
		if (p->scopes[i].ncgroups)
			return true;
	return false;
}

int caps_check(const struct og_bpf *b, const struct og_policy *p, const char *path,
	       bool attached)
{
	const struct og_group_state *lsm = &b->grp[OG_G_LSM];

	if (attached) {
		if (lsm->active)
			return 0;
		if (p->lsm == OG_LSM_REQUIRE) {
			log_warnx("%s: lsm = require, but %s: refusing to start", path, lsm->reason);
			return -1;
		}
		log_warnx("warning: running cgroup-only (%s): 32-bit (compat) callers and sockets "
			  "created outside %s are not checked", lsm->reason, p->cgroup);
		return 0;
	}
	if (p->lsm == OG_LSM_REQUIRE && !lsm->loaded) {
		log_warnx("%s: lsm = require, but %s: refusing to start", path, lsm->reason);
		return -1;
	}
	if (!caps_has(&b->caps, OG_CAP_TASK_HELPERS) && uses_cgroup_scopes(p)) {
		log_warnx("%s: this kernel's cgroup programs lack bpf_get_current_ancestor_cgroup_id, "
			  "so scopes that name a cgroup cannot be enforced: refusing to start", path);
		return -1;
	}
	if (!caps_has(&b->caps, OG_CAP_SET_RETVAL))
		log_warnx("warning: this kernel lacks bpf_set_retval: a deny made by the cgroup "
			  "hook returns EPERM, whatever the rule's errno");
	return 0;
}

static void say_warn(const char *msg)
{
	log_warnx("%s", msg);
}

int caps_check_force(const struct og_force_probe *pr, struct og_policy *p,
		     const struct og_bpf *b)
{
	const char *unloaded[4] = { 0 };
	size_t i;
	int bad = 0;

	if (!pr) {
		for (i = 0; i < p->nrules; i++) {
			const struct og_rule_def *r = &p->rules[i];

			if (!rule_forces_at(r))
				continue;
			log_warnx("%s:%d: rule %s: the kernel was not probed for force support at "
				  "start (the policy in force had no force rule): restart optguard",
				  p->path, r->line, r->name);
			bad = 1;
		}
		return bad ? -EOPNOTSUPP : 0;
	}
	if (b) {
		const struct og_group_state *create = &b->grp[OG_G_CREATE];
		const struct og_group_state *force = &b->grp[OG_G_FORCE];

		unloaded[0] = create->loaded ? NULL : create->reason;
		unloaded[1] = unloaded[2] = force->loaded ? NULL : force->reason;
		unloaded[3] = b->grp[OG_G_SEND].loaded ? NULL : b->grp[OG_G_SEND].reason;
	}
	return force_policy_unsupported(p, pr, unloaded, say_warn) ? -EOPNOTSUPP : 0;
}
