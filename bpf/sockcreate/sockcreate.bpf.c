// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/sock_create: give a socket its force plan when it is made.
 *
 * The creating task is current here (uid, cgroup ancestry), which it is
 * not in every sock_ops callback: the plan is built once, here, and kept in
 * the socket's storage for the connect, established and create points (and
 * cloned to the sockets a listener accepts).  A socket whose scope forces
 * nothing gets no storage and, later, no extra callbacks.  This program
 * cannot set options itself (no bpf_setsockopt in CGROUP_SOCK programs).
 */
#include "../force.bpf.h"

SEC("cgroup/sock_create")
int og_sock_create(struct bpf_sock *sk)
{
	__u32 gen = og_active_gen & 1;
	struct og_sk_plan *p;

	if (!(og_force_info[gen] & OG_SI_RULES))
		return 1;	/* allow: this policy forces nothing */
	p = plan_build(gen, sk->family, sk->type, sk->protocol);
	if (!p)
		return 1;	/* allow: nothing forced on this socket */
	/* the scratch plan is the storage's initial value */
	bpf_sk_storage_get(&og_plans, sk, p, BPF_SK_STORAGE_GET_F_CREATE);
	return 1;	/* allow: creation never fails because of a force rule */
}
