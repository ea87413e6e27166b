// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/connect4 and connect6: force the `at = connect` entries before
 * the SYN leaves (TCP) or the peer is set (UDP), in the connecting task's
 * context.  Nothing is kept per socket: the plan is computed here, from the
 * socket's own cgroup and uid for TCP (bpf_skc_to_tcp_sock), from the
 * connecting task's for other sockets (UDP, and an MPTCP socket, whose
 * subflows are forced at established).  A socket of a telemetry rule has
 * its plan kept since sock_create: that one is applied instead.
 *
 * An AF_INET6 socket connecting to a v4-mapped address (::ffff:a.b.c.d)
 * sends IPv4 packets: its plan takes the IPv4 entries too (IP_TOS), so
 * that a DSCP rule marks them.  A value the kernel refuses is logged with
 * its errno and the connect goes on, unless the rule says
 * on_unforceable = deny: then the connect fails with EPERM.
 */
#include "../force.bpf.h"

static __always_inline int force_connect(struct bpf_sock_addr *ctx, __u32 family)
{
	__u32 gen = og_active_gen & 1;
	struct bpf_sock *sk = ctx->sk;
	struct og_sk_plan *p;
	int deny = 0;

	if (!(og_force_info[gen] & OG_SI_RULES) || !sk)
		return 1;	/* allow: this policy forces nothing, or no socket */
	p = plan_kept(sk);
	if (!p) {
		if (family == AF_INET6 &&
		    v4_mapped(ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2]))
			family |= OG_FAM_MAPPED;
		if (sk->type == SOCK_STREAM && sk->protocol == IPPROTO_TCP) {
			/* the socket's identity; the event's caller is the task */
			p = plan_build_tcp(gen, sk, family);
		} else {
			p = plan_build(gen, family, sk->type, sk->protocol);
		}
		if (!p)
			return 1;	/* allow: nothing forced on this socket */
	}
	force_apply(ctx, p, OG_FP_CONNECT, 0, ctx->family, ctx->type, OG_HOOK_CONNECT,
		    OG_FA_TASK, &deny);
	return deny ? 0 : 1;	/* 0: refused (EPERM), on_unforceable = deny */
}

SEC("cgroup/connect4")
int og_connect4(struct bpf_sock_addr *ctx)
{
	return force_connect(ctx, AF_INET);
}

SEC("cgroup/connect6")
int og_connect6(struct bpf_sock_addr *ctx)
{
	return force_connect(ctx, AF_INET6);
}
