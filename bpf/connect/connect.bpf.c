// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/connect4 and connect6: force the plan's `at = connect` entries
 * before the SYN leaves (TCP) or the peer is set (UDP), in the connecting
 * task's context.  The plan was built when the socket was made
 * (sockcreate/); a socket without one costs one storage lookup.  Family and
 * type filters were applied when the plan was built.  A value the kernel
 * refuses is logged with its errno: the connect always goes on.
 */
#include "../force.bpf.h"

static __always_inline int force_connect(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct og_sk_plan *p;

	if (!sk)
		return 1;	/* allow: no socket to force */
	p = bpf_sk_storage_get(&og_plans, sk, NULL, 0);
	if (!p)
		return 1;	/* allow: nothing forced on this socket */
	force_apply(ctx, p, OG_FP_CONNECT, ctx->family, ctx->type, OG_HOOK_CONNECT, 1);
	return 1;	/* allow: a failing force never blocks the connect */
}

SEC("cgroup/connect4")
int og_connect4(struct bpf_sock_addr *ctx)
{
	return force_connect(ctx);	/* always 1: allow */
}

SEC("cgroup/connect6")
int og_connect6(struct bpf_sock_addr *ctx)
{
	return force_connect(ctx);	/* always 1: allow */
}
