// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/sock_create: keep the plan of a socket whose rules ask for
 * telemetry (`telemetry = on`).
 *
 * Forcing itself keeps nothing per socket: every point computes the plan
 * from the socket's cgroup and uid.  Telemetry needs a record that lives as
 * long as the socket (established time, retransmits, the close): a socket
 * whose plan has an entry of a telemetry rule gets its plan in storage here,
 * where the creating task is current, and every point then applies that
 * kept plan (cloned to the sockets a listener accepts).  A policy without
 * telemetry rules costs this program one array load per socket.  It
 * cannot call bpf_setsockopt (no such helper in CGROUP_SOCK programs).
 *
 * It may also write struct bpf_sock's mark and priority: SO_MARK and
 * SO_PRIORITY at create need no lsm_cgroup (create_direct()), which this
 * program does where lsm_cgroup/socket_post_create is not loaded.
 */
#include "../force.bpf.h"

/*
 * Set by the loader: the lsm_cgroup/socket_post_create program (lsm/create.bpf.c)
 * is loaded and forces every `at = create` entry itself.
 */
const volatile int post_create_loaded = 0;

#define OG_SOL_SOCKET	1
#define OG_SO_PRIORITY	12
#define OG_SO_MARK	36

/*
 * Where lsm_cgroup/socket_post_create is not loaded: write the plan's `at =
 * create` entries for SO_MARK and SO_PRIORITY into the socket, as
 * setsockopt would (sk_mark, sk_priority; no capability check, like
 * bpf_setsockopt).  Counted like force_apply() counts: a decision, an event
 * only with log_force = all or in audit mode (which changes nothing).
 */
static __always_inline void create_direct(struct bpf_sock *sk, const struct og_sk_plan *p)
{
	__u32 gen = p->gen & 1;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_call call = { .family = sk->family, .type = sk->type,
				.hook = OG_HOOK_SOCK_CREATE };
	__u32 mark = 0, prio = 0;
	int i, set_mark = 0, set_prio = 0;

	for (i = 0; i < OG_FORCE_MAX; i++) {
		const struct og_force_ent *e;
		struct og_val v = {};

		if (i >= p->n)
			break;
		e = &p->ent[i];	/* bounds: i < OG_FORCE_MAX */
		if (!(e->at & OG_FP_CREATE) || e->level != OG_SOL_SOCKET ||
		    (e->optname != OG_SO_MARK && e->optname != OG_SO_PRIORITY))
			continue;
		if (cfg->mode != OG_MODE_AUDIT) {
			if (e->optname == OG_SO_MARK) {
				mark = (__u32)e->num;
				set_mark = 1;
			} else {
				prio = (__u32)e->num;
				set_prio = 1;
			}
			if (!cfg->log_force) {
				count_forced(e->rule_id);
				continue;
			}
		}
		call.level = e->level;
		call.optname = e->optname;
		v.num = e->num;
		account(&call, gen, cfg, e->rule_id, OG_ACT_FORCE, 0, e->vtype, 1, &v, &v);
	}
	/*
	 * Stored after the loop, each at its own constant offset: a store whose
	 * ctx offset depends on a branch is refused ("dereference of modified
	 * ctx ptr"), which clang makes of one if/else.
	 */
	if (set_mark)
		sk->mark = mark;
	if (set_prio)
		sk->priority = prio;
}

SEC("cgroup/sock_create")
int og_sock_create(struct bpf_sock *sk)
{
	__u32 gen = og_active_gen & 1;
	struct og_sk_plan *p;
	__u32 fi = og_force_info[gen];
	int direct = !post_create_loaded && (fi & OG_FI_CREATE_SK);

	if (!(fi & OG_FI_TELEMETRY) && !direct)
		return 1;	/* allow: no telemetry rule, nothing to write here */
	p = plan_build(gen, sk->family, sk->type, sk->protocol);
	if (!p)
		return 1;	/* allow: nothing forced on this socket */
	if (direct)
		create_direct(sk, p);
	if (!plan_has_telemetry(p))
		return 1;	/* allow: nothing to keep for this socket */
	plan_identify(p);
	/* the scratch plan is the storage's initial value */
	bpf_sk_storage_get(&og_plans, sk, p, BPF_SK_STORAGE_GET_F_CREATE);
	return 1;	/* allow: creation never fails because of a force rule */
}
