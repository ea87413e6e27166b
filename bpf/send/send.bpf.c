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
 * errno (each datagram: rate limited like every event).  The send goes on,
 * unless the entry's rule says on_unforceable = deny: then a refused value,
 * or (where the probe measured the first datagram leaves unmarked,
 * send_first_unmarked) a TOS/TCLASS/mark/priority that had to change for
 * this datagram, refuses it: sendto() fails with EPERM, and an event of the
 * rule (action force, errno EPERM or the refusal's) says so.  The socket
 * has the value by then: the application's retry goes out marked.
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
 * the first one too.  The force probe measures which (send_first): the
 * daemon warns where it is not marked.  SO_MARK and
 * SO_PRIORITY are best forced at create (sockcreate/).
 */
#include "../force.bpf.h"

#define OG_SEND_V4	2	/* AF_INET */
#define OG_SEND_V6	10	/* AF_INET6 */

/*
 * The force probe measured that the first datagram of a fresh socket leaves
 * without the TOS [0] / TCLASS [1] forced for it (og_force_probe.send_first,
 * set by the loader): the kernel copies the socket's TOS, TCLASS, mark and
 * priority into the datagram before this hook.  An on_unforceable = deny
 * entry that had to change one of those then refuses the datagram.
 */
const volatile int send_first_unmarked[2] = { 0, 0 };

#define SO_PRIORITY_	12
#define SO_MARK_	36

/* An option the kernel copies into the datagram's cookie before this hook. */
static __always_inline int send_copied(const struct og_force_ent *e)
{
	return (e->level == SOL_IP && e->optname == IP_TOS) ||
	       (e->level == SOL_IPV6 && e->optname == IPV6_TCLASS) ||
	       (e->level == 1 /* SOL_SOCKET */ &&
		(e->optname == SO_MARK_ || e->optname == SO_PRIORITY_));
}

/*
 * One entry of the plan on the socket of @ctx: compare, set where it
 * differs, count.  Returns 1 where the datagram must be refused: the entry
 * says on_unforceable = deny and bpf_setsockopt failed, or the value had to
 * change on a kernel that sent this datagram with the old one (@copied).
 */
static __always_inline int send_ent(struct bpf_sock_addr *ctx, const struct og_force_ent *e,
				    __u32 gen, const struct og_gen_config *cfg,
				    struct og_call *call, int copied)
{
	struct og_val req = {}, eff = {};
	int ret = 0, have, refuse = 0;

	if (e->len == OG_STR_MAX) {
		char cur[OG_STR_MAX] = {}, want[OG_STR_MAX];

		__builtin_memcpy(want, e->str, OG_STR_MAX);
		have = !bpf_getsockopt(ctx, e->level, e->optname, cur, OG_STR_MAX);
		if (have && ((__u64 *)cur)[0] == ((__u64 *)want)[0] &&
		    ((__u64 *)cur)[1] == ((__u64 *)want)[1])
			return 0;	/* in place: nothing to do, nothing counted */
		if (cfg->mode != OG_MODE_AUDIT)
			ret = bpf_setsockopt(ctx, e->level, e->optname, want, OG_STR_MAX);
		__builtin_memcpy(req.str, cur, OG_STR_MAX);
		__builtin_memcpy(eff.str, want, OG_STR_MAX);
	} else {
		int cur = 0, want = (int)e->num;

		have = !bpf_getsockopt(ctx, e->level, e->optname, &cur, sizeof(cur));
		if (e->vtype == OG_VT_DSCP)	/* keep the application's ECN bits */
			want = (int)og_dscp_keep_ecn(want, have ? (__u32)cur : 0);
		if (have && cur == want)
			return 0;	/* in place: nothing to do, nothing counted */
		if (cfg->mode != OG_MODE_AUDIT)
			ret = bpf_setsockopt(ctx, e->level, e->optname, &want, sizeof(want));
		req.num = (__u32)cur;
		eff.num = (__u32)want;
	}
	if (cfg->mode == OG_MODE_AUDIT || !(e->flags & OG_FE_DENY_UNFORCEABLE))
		refuse = 0;
	else if (ret < 0)
		refuse = 1;	/* the rule's errno, then EPERM for the send */
	else if (copied && send_copied(e))
		refuse = 1, ret = -EPERM;	/* took for the next datagram: refuse this one */
	if (!ret && !cfg->log_force && cfg->mode != OG_MODE_AUDIT) {
		count_forced(e->rule_id);
		return 0;
	}
	call->level = e->level;
	call->optname = e->optname;
	account(call, gen, cfg, e->rule_id, OG_ACT_FORCE, ret < 0 ? -ret : 0, e->vtype, have,
		&req, &eff);
	return refuse;
}

/* @family: the datagram's (AF_INET from sendmsg4, also for a v4-mapped AF_INET6 socket). */
static __always_inline int force_send(struct bpf_sock_addr *ctx, __u32 family)
{
	__u32 gen = og_active_gen & 1;
	const struct og_gen_config *cfg;
	struct og_call call = {};
	struct og_sk_plan *p;
	int i, refuse = 0, copied = send_first_unmarked[family == OG_SEND_V6];

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
		if ((e->at & OG_FP_SEND) && send_ent(ctx, e, gen, cfg, &call, copied))
			refuse = 1;	/* every entry still goes on: the retry has them all */
	}
	/* 0: sendto() fails with EPERM; 1: allow (a failing force blocks only with deny) */
	return refuse ? 0 : 1;
}

SEC("cgroup/sendmsg4")
int og_sendmsg4(struct bpf_sock_addr *ctx)
{
	return force_send(ctx, OG_SEND_V4);	/* 1 allow, 0 refuse (on_unforceable = deny) */
}

SEC("cgroup/sendmsg6")
int og_sendmsg6(struct bpf_sock_addr *ctx)
{
	return force_send(ctx, OG_SEND_V6);	/* 1 allow, 0 refuse (on_unforceable = deny) */
}
