// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm_cgroup/socket_post_create: force the plan's `at = create` entries on
 * a socket just made, before the application sees it.
 *
 * Needs BPF_LSM_CGROUP (6.0+) and a kernel that takes LSM programs; the
 * loader turns it off where the probe says otherwise, and the object loads
 * without it.  The plan is computed here, from the creating task (current:
 * the socket's cgroup and uid are its), unless cgroup/sock_create, which
 * the kernel runs inside the family's create before this hook, kept one for
 * a telemetry rule.  libbpf does not attach lsm_cgroup programs by itself: the
 * loader attaches it to the policy's cgroup.  Every return is 1: a failing
 * force never fails the socket.
 */
#include "../force.bpf.h"

SEC("lsm_cgroup/socket_post_create")
int BPF_PROG(og_post_create, struct socket *sock, int family, int type, int protocol, int kern)
{
	__u32 gen = og_active_gen & 1;
	struct og_sk_plan *p;
	struct sock *sk;
	int deny = 0;

	if (kern)
		return 1;	/* allow: the kernel's own sockets are not the policy's */
	if (!(og_force_info[gen] & OG_SI_RULES))
		return 1;	/* allow: this policy forces nothing */
	sk = sock->sk;
	if (!sk)
		return 1;	/* allow: newer verifiers see sock->sk as maybe NULL */
	p = bpf_sk_storage_get(&og_plans, sk, NULL, 0);	/* a telemetry socket's kept plan */
	if (!p)
		p = plan_build(gen, family, type, protocol);
	if (!p)
		return 1;	/* allow: nothing forced on this socket */
	force_apply(sk, p, OG_FP_CREATE, 0, family, type, OG_HOOK_POST_CREATE, OG_FA_TASK, &deny);
	return 1;	/* allow: a failing force never fails the socket */
}
