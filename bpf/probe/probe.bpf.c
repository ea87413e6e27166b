// SPDX-License-Identifier: GPL-2.0-only
/*
 * The force probe: at every point optguard forces at, call bpf_setsockopt
 * for each option of og_probe_opts with a harmless value and keep what it
 * returned.  The daemon attaches it to a child cgroup it makes for the
 * purpose, runs one IPv4 and one IPv6 loopback connection from a process
 * inside, reads og_probe_ret and removes everything: which option this
 * kernel takes at which point is measured, never derived from a version.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "optguard.h"
#include "probe/probe.h"

char LICENSE[] SEC("license") = "GPL";

struct og_probe_opt og_probe_opts[OG_PROBE_MAX];
__u32 og_probe_n;
__s32 og_probe_ret[OG_PP_MAX][OG_PROBE_MAX];

static __always_inline void try_all(void *ctx, __u32 point)
{
	int i;

	if (point >= OG_PP_MAX)	/* bounds check */
		return;
	for (i = 0; i < OG_PROBE_MAX; i++) {
		struct og_probe_opt *o = &og_probe_opts[i];
		int ret;

		if (i >= og_probe_n)
			break;
		if (o->len == OG_STR_MAX) {
			char buf[OG_STR_MAX];

			__builtin_memcpy(buf, o->str, OG_STR_MAX);
			ret = bpf_setsockopt(ctx, o->level, o->optname, buf, OG_STR_MAX);
		} else {
			int v = o->num;

			ret = bpf_setsockopt(ctx, o->level, o->optname, &v, sizeof(v));
		}
		og_probe_ret[point][i] = ret;
	}
}

SEC("cgroup/connect4")
int og_probe_connect4(struct bpf_sock_addr *ctx)
{
	try_all(ctx, OG_PP_CONNECT4);
	return 1;	/* allow */
}

SEC("cgroup/connect6")
int og_probe_connect6(struct bpf_sock_addr *ctx)
{
	try_all(ctx, OG_PP_CONNECT6);
	return 1;	/* allow */
}

SEC("sockops")
int og_probe_sockops(struct bpf_sock_ops *skops)
{
	int v6 = skops->family == 10;

	if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		try_all(skops, v6 ? OG_PP_ACTIVE6 : OG_PP_ACTIVE4);
	else if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		try_all(skops, v6 ? OG_PP_PASSIVE6 : OG_PP_PASSIVE4);
	return 1;	/* sock_ops: always 1 */
}

/*
 * The send point: the child's unconnected UDP sends (sendto 127.0.0.1, ::1
 * and ::ffff:127.0.0.1 from an AF_INET6 socket).  A kernel whose sendmsg
 * hooks lack bpf_setsockopt (before 5.12) refuses these programs: the probe
 * then loads without them and says so.
 */
SEC("cgroup/sendmsg4")
int og_probe_send4(struct bpf_sock_addr *ctx)
{
	try_all(ctx, ctx->family == 10 ? OG_PP_SEND4M : OG_PP_SEND4);
	return 1;	/* allow */
}

SEC("cgroup/sendmsg6")
int og_probe_send6(struct bpf_sock_addr *ctx)
{
	try_all(ctx, OG_PP_SEND6);
	return 1;	/* allow */
}

/*
 * SO_MARK and SO_PRIORITY at create without lsm_cgroup: cgroup/sock_create
 * writes struct bpf_sock's mark and priority (the verifier decides whether
 * it may; the write itself cannot fail).  0 in og_probe_ret: it ran and wrote.
 */
SEC("cgroup/sock_create")
int og_probe_sock_create(struct bpf_sock *sk)
{
	__u32 point = sk->family == 10 ? OG_PP_SKCREATE6 : OG_PP_SKCREATE4;
	int i;

	if (sk->type != 1)	/* SOCK_STREAM: the probe's connections */
		return 1;	/* allow */
	for (i = 0; i < OG_PROBE_MAX; i++) {
		struct og_probe_opt *o = &og_probe_opts[i];

		if (i >= og_probe_n)
			break;
		if (o->level != 1)	/* SOL_SOCKET */
			continue;
		if (o->optname == 36)		/* SO_MARK */
			sk->mark = o->num;
		else if (o->optname == 12)	/* SO_PRIORITY */
			sk->priority = o->num;
		else
			continue;
		og_probe_ret[point][i] = 0;
	}
	return 1;	/* allow */
}

SEC("lsm_cgroup/socket_post_create")
int BPF_PROG(og_probe_create, struct socket *sock, int family, int type, int protocol, int kern)
{
	struct sock *sk;

	if (kern || type != 1)	/* SOCK_STREAM: the probe's sockets */
		return 1;	/* allow */
	sk = sock->sk;
	if (!sk)
		return 1;	/* allow: newer verifiers see sock->sk as maybe NULL */
	try_all(sk, family == 10 ? OG_PP_CREATE6 : OG_PP_CREATE4);
	return 1;	/* allow */
}
