// SPDX-License-Identifier: GPL-2.0-only
/*
 * sockops: force at `established`, and the telemetry of the sockets of
 * rules that ask for it.
 *
 * ACTIVE/PASSIVE_ESTABLISHED_CB compute the socket's plan from its own
 * cgroup and uid (an accepted socket has its listener's) and apply the
 * `at = established` entries; an active connection skips those that also
 * name connect (forced there, before the SYN; the application's attempts
 * since went through on_change).  This is also where TCP_BPF_IW belongs:
 * the kernel sets the initial window just before this callback.  An MPTCP
 * connection's subflows are TCP sockets with the MPTCP socket's cgroup:
 * they are forced here like any TCP connection.
 *
 * Telemetry (`telemetry = on`): such a socket kept its plan since
 * sock_create (cloned to accepted sockets); it is applied instead, and the
 * socket gets the STATE, RTO and RETRANS callbacks, OR-ed into the flags
 * already set since the helper replaces them; on the move to TCP_CLOSE each
 * telemetry rule that forced the socket adds the socket's counters to its
 * totals and, with log_force = all, logs a close event.  Every return is 1:
 * sock_ops has no verdict to give here.
 */
#include "../force.bpf.h"

#define OG_TELEMETRY_FLAGS \
	(BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RTO_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG)

/* entries of rules that asked for telemetry and forced a value on the socket */
static __always_inline int tele_ent(const struct og_force_ent *e)
{
	return e->done && (e->flags & OG_FE_TELEMETRY);
}

static __always_inline void kept_established(struct bpf_sock_ops *skops, struct og_sk_plan *p)
{
	struct og_counters *c;
	int i, forced = 0, deny = 0;
	__u32 id;

	force_apply(skops, p, OG_FP_ESTABLISHED, 0, skops->family, SOCK_STREAM, OG_HOOK_SOCKOPS,
		    0, &deny);
	for (i = 0; i < OG_FORCE_MAX; i++) {
		if (i >= p->n)
			break;
		if (!tele_ent(&p->ent[i]))	/* bounds: i < OG_FORCE_MAX */
			continue;
		id = p->ent[i].rule_id;
		c = bpf_map_lookup_elem(&og_counters, &id);
		if (c)
			c->connections++;
		forced = 1;
	}
	if (!forced)
		return;	/* no telemetry rule forced this socket: no extra callbacks */
	p->start_ns = bpf_ktime_get_ns();
	p->retransmits = 0;
	p->rtos = 0;
	/* the helper replaces the set: keep what others turned on */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | OG_TELEMETRY_FLAGS);
}

static __always_inline void plan_closed(struct bpf_sock_ops *skops, struct og_sk_plan *p)
{
	__u32 gen = p->gen & 1, id;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_call call = { .family = skops->family, .type = SOCK_STREAM,
				.hook = OG_HOOK_SOCKOPS };
	__u64 life = p->start_ns ? bpf_ktime_get_ns() - p->start_ns : 0;
	struct og_counters *c;
	int i;

	if (p->flags & OG_PL_CLOSED)
		return;
	p->flags |= OG_PL_CLOSED;
	for (i = 0; i < OG_FORCE_MAX; i++) {
		struct og_force_ent *e;
		struct og_val v = {};

		if (i >= p->n)
			break;
		e = &p->ent[i];	/* bounds: i < OG_FORCE_MAX */
		if (!tele_ent(e))
			continue;	/* not a telemetry rule, or it forced nothing here */
		id = e->rule_id;
		c = bpf_map_lookup_elem(&og_counters, &id);
		if (c && p->start_ns) {
			c->closes++;
			c->retransmits += p->retransmits;
			c->rtos += p->rtos;
			c->lifetime_ns += life;
		}
		if (!cfg->log_force)
			continue;	/* counted: the totals are in status and the summary */
		call.level = e->level;
		call.optname = e->optname;
		ent_value(e, &v);
		account_ext(&call, gen, cfg, id, OG_ACT_FORCE, 0, e->vtype, 1, &v, &v, p, 1, life);
	}
}

/* The stateless path: the plan of this socket now, its established entries applied. */
static __always_inline void force_established(struct bpf_sock_ops *skops, struct bpf_sock *sk,
					      __u32 op)
{
	__u32 gen = og_active_gen & 1, family = skops->family;
	struct og_sk_plan *p;
	int deny = 0;

	if (!(og_force_info[gen] & OG_SI_RULES))
		return;	/* this policy forces nothing */
	if (family == AF_INET6 &&
	    v4_mapped(skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2]))
		family |= OG_FAM_MAPPED;
	p = plan_build_tcp(gen, sk, family);
	if (!p)
		return;	/* nothing forced on this socket */
	force_apply(skops, p, OG_FP_ESTABLISHED,
		    op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ? OG_FP_CONNECT : 0, skops->family,
		    SOCK_STREAM, OG_HOOK_SOCKOPS, 0, &deny);
}

SEC("sockops")
int og_sockops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk;
	struct og_sk_plan *p;
	__u32 op = skops->op;

	switch (op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		sk = skops->sk;
		if (!sk)
			return 1;	/* no full socket */
		p = plan_kept(sk);
		if (p)
			kept_established(skops, p);
		else
			force_established(skops, sk, op);
		return 1;
	case BPF_SOCK_OPS_RETRANS_CB:
	case BPF_SOCK_OPS_RTO_CB:
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE)
			break;
		return 1;	/* a state change before the close: nothing to do */
	default:
		return 1;	/* not a callback optguard uses */
	}
	/* only telemetry sockets asked for these callbacks */
	sk = skops->sk;
	if (!sk)
		return 1;	/* no full socket */
	p = bpf_sk_storage_get(&og_plans, sk, NULL, 0);
	if (!p)
		return 1;	/* not a telemetry socket */
	switch (op) {
	case BPF_SOCK_OPS_RETRANS_CB:
		p->retransmits++;
		break;
	case BPF_SOCK_OPS_RTO_CB:
		p->rtos++;
		break;
	case BPF_SOCK_OPS_STATE_CB:	/* to TCP_CLOSE */
		plan_closed(skops, p);
		break;
	}
	return 1;	/* sock_ops: always 1 */
}
