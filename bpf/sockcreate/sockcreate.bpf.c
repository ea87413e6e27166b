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
 * telemetry rules costs this program one array load per socket.  This
 * program cannot set options itself (no bpf_setsockopt in CGROUP_SOCK
 * programs).
 */
#include "../force.bpf.h"

SEC("cgroup/sock_create")
int og_sock_create(struct bpf_sock *sk)
{
	__u32 gen = og_active_gen & 1;
	struct og_sk_plan *p;

	if (!(og_force_info[gen] & OG_FI_TELEMETRY))
		return 1;	/* allow: no rule of this policy asks for telemetry */
	p = plan_build(gen, sk->family, sk->type, sk->protocol);
	if (!p || !plan_has_telemetry(p))
		return 1;	/* allow: nothing to keep for this socket */
	/* the scratch plan is the storage's initial value */
	bpf_sk_storage_get(&og_plans, sk, p, BPF_SK_STORAGE_GET_F_CREATE);
	return 1;	/* allow: creation never fails because of a force rule */
}
