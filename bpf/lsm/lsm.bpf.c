// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm/socket_setsockopt: the complete deny.
 *
 * The kernel runs this hook before the cgroup one and for every caller,
 * 32-bit compat syscalls included (the cgroup hook skips those).  It sees
 * no value, so it enforces only what needs none: a rule whose action is
 * deny without `except`, and `default = deny`.  Everything value-aware
 * stays with the cgroup program.  The hook is global: it acts only for
 * callers inside the policy's cgroup (og_root_cgroup).
 */
#include "../common.bpf.h"

SEC("lsm/socket_setsockopt")
int BPF_PROG(og_lsm_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	__u32 gen = og_active_gen & 1;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_val none = {};
	struct og_call call;
	struct og_rule *r;
	struct sock *sk;
	__u32 id, err;

	if (ret) {
		/* an earlier LSM program denied: pass its errno on */
		if (ret < -OG_MAX_ERRNO || ret > 0)
			return -EPERM;	/* deny: not an errno, as far as the verifier knows */
		return ret;	/* deny with the earlier errno */
	}
	if (probe_tgid && (bpf_get_current_pid_tgid() >> 32) == probe_tgid)
		__sync_fetch_and_add(&og_lsm_probe_hits, 1);
	/* (not bpf_get_current_ancestor_cgroup_id: 5.10's LSM programs lack it) */
	if (bpf_current_task_under_cgroup(&og_root_cgroup, 0) != 1)
		return 0;	/* allow: the caller is outside the policy's cgroup */

	r = lookup_rule(gen, cfg, level, optname);
	if (!r)
		goto no_rule;
	if (r->action != OG_ACT_DENY || r->nexcept)
		return 0;	/* allow: value-aware, the cgroup program decides */
	id = r->id;
	err = r->err;
	goto deny;

no_rule:
	if (cfg->default_action != OG_ACT_DENY)
		return 0;	/* allow: default allow */
	id = cfg->default_id;
	err = cfg->default_err;
deny:
	call.level = level;
	call.optname = optname;
	call.type = sock->type;
	sk = sock->sk;
	/* newer verifiers treat sock->sk as possibly NULL */
	call.family = sk ? sk->__sk_common.skc_family : 0;
	call.hook = OG_HOOK_LSM;
	account(&call, gen, cfg, id, OG_ACT_DENY, err, OG_VT_OPAQUE, 0, &none, &none);
	if (cfg->mode == OG_MODE_AUDIT)
		return 0;	/* allow: audit changes nothing */
	return og_neg_errno(err);	/* deny */
}
