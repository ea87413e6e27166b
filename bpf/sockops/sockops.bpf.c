// SPDX-License-Identifier: GPL-2.0-only
/*
 * sockops: force at `established` and the telemetry of forced sockets.
 *
 * ACTIVE/PASSIVE_ESTABLISHED_CB apply the plan's `at = established`
 * entries (an accepted socket has its listener's plan: the storage is
 * cloned).  This is also where TCP_BPF_IW belongs: the kernel sets the
 * initial window just before this callback, overwriting one forced
 * earlier.  connect4/6 already run before the SYN, so TCP_CONNECT_CB adds
 * nothing and is not used.
 *
 * Sockets on which a forced value took (and only those) then get the
 * STATE, RTO and RETRANS callbacks, OR-ed into the flags already set since
 * the helper replaces them; on the move to TCP_CLOSE each rule that forced
 * the socket adds the socket's counters to its per-rule totals, and, with
 * log_force = all, logs a close event with them.  Every return is 1:
 * sock_ops has no verdict to give here.
 */
#include "../force.bpf.h"

#define OG_TELEMETRY_FLAGS \
	(BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RTO_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG)

static __always_inline void plan_established(struct bpf_sock_ops *skops, struct og_sk_plan *p)
{
	struct og_counters *c;
	int i, forced = 0;
	__u32 id;

	force_apply(skops, p, OG_FP_ESTABLISHED, skops->family, SOCK_STREAM, OG_HOOK_SOCKOPS, 0);
	for (i = 0; i < OG_FORCE_MAX; i++) {
		if (i >= p->n)
			break;
		if (!p->ent[i].done)	/* bounds: i < OG_FORCE_MAX */
			continue;	/* nothing of this rule took here */
		id = p->ent[i].rule_id;
		c = bpf_map_lookup_elem(&og_counters, &id);
		if (c)
			c->connections++;
		forced = 1;
	}
	if (!forced)
		return;	/* not a forced socket: no telemetry, no extra callbacks */
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
		if (!e->done)
			continue;	/* this rule forced nothing here */
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

SEC("sockops")
int og_sockops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk;
	struct og_sk_plan *p;
	__u32 op = skops->op;

	switch (op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
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
	sk = skops->sk;
	if (!sk)
		return 1;	/* no full socket */
	p = bpf_sk_storage_get(&og_plans, sk, NULL, 0);
	if (!p)
		return 1;	/* unmarked: nothing forced, no telemetry */
	switch (op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		plan_established(skops, p);
		break;
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
