// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/sendmsg4 and sendmsg6: force the `at = send` entries on a UDP
 * socket each time it sends a datagram that carries an address (sendto(),
 * sendmsg() with msg_name: the kernel runs these programs for unconnected
 * sends only), in the sender's context, with the socket locked.
 *
 * No per-socket state: the plan is built for each datagram from the
 * sender's cgroup and uid (plan_build()), and each entry costs one
 * bpf_getsockopt; bpf_setsockopt runs, and the decision is counted, only
 * where the socket's value differs from the forced one (an application
 * that changed it since, or the first datagram).  A DSCP value keeps the
 * application's ECN bits.  A value the kernel refuses is an event with its
 * errno (each datagram: rate limited like every event).  The send always
 * goes on.
 *
 * sendmsg4 also runs for a v4-mapped destination of an AF_INET6 socket
 * (udpv6_sendmsg hands those to udp_sendmsg): the datagram is IPv4, so the
 * plan is built for AF_INET (IP_TOS, not IPV6_TCLASS), whatever the
 * socket's family; where the kernel's bpf_setsockopt refuses IP_TOS on an
 * AF_INET6 socket, that refusal is the event.
 *
 * bpf_setsockopt from these hooks: Linux 5.12+ (net/core/filter.c,
 * sock_addr_func_proto); the force probe tries it (caps_force.c).
 *
 * The datagram being sent: newer kernels copy the socket's TOS (IPv4,
 * ipcm_init_sk) and TCLASS (IPv6, ipcm6_init_sk) into the datagram's cookie
 * before this hook runs, so a value forced here holds from the socket's
 * next datagram on (measured on 6.18: the first datagram of a socket keeps
 * its old TOS; tests/71-force-send.t).  Kernels that read inet->tos when
 * they build the packet (6.1, read in its source, not measured here) mark
 * the first one too.  SO_MARK and
 * SO_PRIORITY are best forced at create (sockcreate/).
 */
#include "../force.bpf.h"

#define OG_SEND_V4	2	/* AF_INET */
#define OG_SEND_V6	10	/* AF_INET6 */

/* One entry of the plan on the socket of @ctx: compare, set where it differs, count. */
static __always_inline void send_ent(struct bpf_sock_addr *ctx, const struct og_force_ent *e,
				     __u32 gen, const struct og_gen_config *cfg,
				     struct og_call *call)
{
	struct og_val req = {}, eff = {};
	int ret = 0, have;

	if (e->len == OG_STR_MAX) {
		char cur[OG_STR_MAX] = {}, want[OG_STR_MAX];

		__builtin_memcpy(want, e->str, OG_STR_MAX);
		have = !bpf_getsockopt(ctx, e->level, e->optname, cur, OG_STR_MAX);
		if (have && ((__u64 *)cur)[0] == ((__u64 *)want)[0] &&
		    ((__u64 *)cur)[1] == ((__u64 *)want)[1])
			return;	/* in place: nothing to do, nothing counted */
		if (cfg->mode != OG_MODE_AUDIT)
			ret = bpf_setsockopt(ctx, e->level, e->optname, want, OG_STR_MAX);
		__builtin_memcpy(req.str, cur, OG_STR_MAX);
		__builtin_memcpy(eff.str, want, OG_STR_MAX);
	} else {
		int cur = 0, want = (int)e->num;

		have = !bpf_getsockopt(ctx, e->level, e->optname, &cur, sizeof(cur));
		if (e->vtype == OG_VT_DSCP)	/* keep the application's ECN bits */
			want = (want & OG_DSCP_MASK) | (have ? cur & 3 : 0);
		if (have && cur == want)
			return;	/* in place: nothing to do, nothing counted */
		if (cfg->mode != OG_MODE_AUDIT)
			ret = bpf_setsockopt(ctx, e->level, e->optname, &want, sizeof(want));
		req.num = (__u32)cur;
		eff.num = (__u32)want;
	}
	if (!ret && !cfg->log_force && cfg->mode != OG_MODE_AUDIT) {
		count_forced(e->rule_id);
		return;
	}
	call->level = e->level;
	call->optname = e->optname;
	account(call, gen, cfg, e->rule_id, OG_ACT_FORCE, ret < 0 ? -ret : 0, e->vtype, have,
		&req, &eff);
}

/* @family: the datagram's (AF_INET from sendmsg4, also for a v4-mapped AF_INET6 socket). */
static __always_inline int force_send(struct bpf_sock_addr *ctx, __u32 family)
{
	__u32 gen = og_active_gen & 1;
	const struct og_gen_config *cfg;
	struct og_call call = {};
	struct og_sk_plan *p;
	int i;

	if (!(og_force_info[gen] & OG_FI_SEND))
		return 1;	/* allow: nothing forced at send */
	p = plan_build(gen, family, ctx->type, ctx->protocol);
	if (!p)
		return 1;	/* allow: nothing forced on this sender's sockets */
	cfg = &og_cfg[gen];
	call.family = ctx->family;	/* the socket's */
	call.type = ctx->type;
	call.hook = OG_HOOK_UDP_SEND;
	for (i = 0; i < OG_FORCE_MAX; i++) {
		const struct og_force_ent *e;

		if (i >= p->n)
			break;
		e = &p->ent[i];	/* bounds: i < OG_FORCE_MAX */
		if (e->at & OG_FP_SEND)
			send_ent(ctx, e, gen, cfg, &call);
	}
	return 1;	/* allow: a failing force never blocks the send */
}

SEC("cgroup/sendmsg4")
int og_sendmsg4(struct bpf_sock_addr *ctx)
{
	return force_send(ctx, OG_SEND_V4);	/* always 1: allow */
}

SEC("cgroup/sendmsg6")
int og_sendmsg6(struct bpf_sock_addr *ctx)
{
	return force_send(ctx, OG_SEND_V6);	/* always 1: allow */
}
