// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm_cgroup/socket_post_create: force the plan's `at = create` entries on
 * a socket just made, before the application sees it.
 *
 * Needs BPF_LSM_CGROUP (6.0+) and a kernel that takes LSM programs; the
 * loader turns it off where the probe says otherwise, and the object loads
 * without it.  The plan was built moments earlier by cgroup/sock_create,
 * which the kernel runs inside the family's create (inet_create), before
 * this hook.  libbpf does not attach lsm_cgroup programs by itself: the
 * loader attaches it to the policy's cgroup.  Every return is 1: a failing
 * force never fails the socket.
 */
#include "../force.bpf.h"

SEC("lsm_cgroup/socket_post_create")
int BPF_PROG(og_post_create, struct socket *sock, int family, int type, int protocol, int kern)
{
	struct og_sk_plan *p;
	struct sock *sk;

	if (kern)
		return 1;	/* allow: the kernel's own sockets are not the policy's */
	sk = sock->sk;
	if (!sk)
		return 1;	/* allow: newer verifiers see sock->sk as maybe NULL */
	p = bpf_sk_storage_get(&og_plans, sk, NULL, 0);
	if (!p)
		return 1;	/* allow: nothing forced on this socket */
	force_apply(sk, p, OG_FP_CREATE, family, type, OG_HOOK_POST_CREATE, 1);
	return 1;	/* allow: a failing force never fails the socket */
}
