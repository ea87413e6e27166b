// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm/socket_setsockopt: the complete deny, and the compat gate.
 *
 * The kernel runs this hook before the cgroup one and for every caller,
 * 32-bit compat syscalls included (the cgroup hook skips those).  It sees
 * no value, so it enforces only what needs none: a rule whose action is
 * deny without `except`, and `default = deny`.  Everything value-aware
 * stays with the cgroup program, but for a caller the kernel will not show
 * to it: a compat caller (in_compat_syscall(), or an io_uring ring created
 * by one: lsm/uring_cmd marks those) of an option a value-aware rule
 * decides is refused here with the rule's errno (`compat = deny`, the
 * default), or let through (`compat = allow`); an audit rule logs it.  The
 * hook is global: it acts only for callers inside the policy's cgroup
 * (og_root_cgroup).
 */
#include <bpf/bpf_core_read.h>
#include "../common.bpf.h"

/* Set by the loader: bpf_task_pt_regs (5.15+) for the x32 check. */
const volatile int has_task_pt_regs = 0;

#define OG_TS_COMPAT		0x0002		/* arch/x86: thread_info.status, 32-bit syscall */
#define OG_X32_SYSCALL_BIT	0x40000000	/* arch/x86: orig_ax of an x32 syscall */

/*
 * Threads whose next setsockopt comes from a compat io_uring ring: tid ->
 * the socket (lsm/uring_cmd writes it just before the kernel calls
 * do_sock_setsockopt(.., compat = true, ..) in the same thread).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} og_compat_ring SEC(".maps");

/*
 * x86-64's in_compat_syscall(): TS_COMPAT in the thread's status (an
 * int $0x80, sysenter or 32-bit syscall entry sets it, the return to user
 * mode clears it), or the x32 bit in orig_ax.
 */
static __always_inline int og_in_compat_syscall(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	if (BPF_CORE_READ(t, thread_info.status) & OG_TS_COMPAT)
		return 1;
	if (has_task_pt_regs) {
		struct pt_regs *regs = (void *)bpf_task_pt_regs(bpf_get_current_task_btf());

		if (regs && (BPF_CORE_READ(regs, orig_ax) & OG_X32_SYSCALL_BIT))
			return 1;
	}
	return 0;
}

/* Will the kernel skip the cgroup hook for this call (the `compat` of do_sock_setsockopt)? */
static __always_inline int og_compat_call(struct socket *sock)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *s;

	if (og_in_compat_syscall())
		return 1;
	s = bpf_map_lookup_elem(&og_compat_ring, &tid);
	if (!s)
		return 0;
	if (*s != (__u64)sock)
		return 0;
	bpf_map_delete_elem(&og_compat_ring, &tid);
	return 1;
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(og_lsm_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	__u32 gen = og_active_gen & 1;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_val none = {};
	__u32 id, err, evflags = 0;
	struct og_call call;
	struct og_rule *r;
	struct sock *sk;
	int verdict = OG_ACT_DENY;

	if (ret) {
		/* an earlier LSM program denied: pass its errno on */
		if (ret < -OG_MAX_ERRNO || ret > 0)
			return -EPERM;	/* deny: not an errno, as far as the verifier knows */
		return ret;	/* deny with the earlier errno */
	}
	if (probe_tgid) {
		struct bpf_pidns_info ns = {};

		if (probe_ns_ino ? !bpf_get_ns_current_pid_tgid(probe_ns_dev, probe_ns_ino, &ns,
								 sizeof(ns)) && ns.tgid == probe_tgid :
				   (bpf_get_current_pid_tgid() >> 32) == probe_tgid)
			__sync_fetch_and_add(&og_lsm_probe_hits, 1);
	}
	/* (not bpf_get_current_ancestor_cgroup_id: 5.10's LSM programs lack it) */
	if (bpf_current_task_under_cgroup(&og_root_cgroup, 0) != 1)
		return 0;	/* allow: the caller is outside the policy's cgroup */

	r = lookup_rule(gen, cfg, level, optname);
	if (!r)
		goto no_rule;
	if (r->action == OG_ACT_ALLOW)
		return 0;	/* allow: an allow rule */
	if (r->action == OG_ACT_DENY && !r->nexcept) {
		id = r->id;
		err = r->err;
		goto deny;
	}
	/* compat = allow: nothing to tell apart (the task and ring lookups are skipped) */
	if (!cfg->compat && r->action != OG_ACT_AUDIT)
		return 0;	/* allow: the cgroup program decides, or compat = allow lets it by */
	/* value-aware: the cgroup program decides, if the kernel runs it for this call */
	if (!og_compat_call(sock))
		return 0;	/* allow: a 64-bit call, the cgroup program sees its value */
	id = r->id;
	err = r->err ? r->err : EPERM;
	evflags = OG_EV_COMPAT;
	if (r->action == OG_ACT_AUDIT) {
		/* an audit rule changes nothing: log the call the cgroup hook will not see */
		verdict = OG_ACT_AUDIT;
		err = 0;
	}
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
	account_full(&call, gen, cfg, id, verdict, err, OG_VT_OPAQUE, 0, &none, &none, NULL, 0, 0,
		     evflags);
	if (verdict == OG_ACT_AUDIT || cfg->mode == OG_MODE_AUDIT)
		return 0;	/* allow: audit changes nothing */
	return og_neg_errno(err);	/* deny */
}
