// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm/uring_cmd: mark setsockopt commands of compat io_uring rings.
 *
 * A ring created by a 32-bit (compat) process keeps that for life
 * (ctx->compat; from 7.x IO_RING_F_COMPAT in ctx->int_flags), and its
 * SOCKET_URING_OP_SETSOCKOPT commands (6.7+) go to do_sock_setsockopt(..,
 * compat = true, ..), which skips the cgroup hook, whoever submits them: a
 * 64-bit process the ring fd was passed to, an io-wq worker, the SQPOLL
 * thread.  This hook (security_uring_cmd, 6.0+) runs in that same thread
 * right before, and sees the command and its ring; it records (thread,
 * socket) for lsm/socket_setsockopt, which then treats the call as compat.
 * It never refuses anything itself: the setsockopt hook decides, with the
 * level and option the kernel actually uses (the SQE may sit in memory the
 * application can still write).  Loaded where the kernel has the hook.
 */
#include <bpf/bpf_core_read.h>

#define OG_URING_OP_SETSOCKOPT	3	/* SOCKET_URING_OP_SETSOCKOPT, uapi io_uring.h */
#define OG_IO_RING_F_COMPAT	(1u << 11)	/* io_uring.h, int_flags (7.x) */

/* io_ring_ctx from 7.x: the bitfields became bits of int_flags */
struct io_ring_ctx___flags {
	unsigned int int_flags;
} __attribute__((preserve_access_index));

static __always_inline int og_ring_compat(struct io_ring_ctx *ctx)
{
	struct io_ring_ctx___flags *c = (void *)ctx;

	if (bpf_core_field_exists(ctx->compat))
		return BPF_CORE_READ_BITFIELD_PROBED(ctx, compat);
	if (bpf_core_field_exists(c->int_flags))
		return !!(BPF_CORE_READ(c, int_flags) & OG_IO_RING_F_COMPAT);
	return 1;	/* a layout not known: treat the ring as compat (fail closed) */
}

SEC("lsm/uring_cmd")
int BPF_PROG(og_lsm_uring_cmd, struct io_uring_cmd *ioucmd, int ret)
{
	struct io_kiocb *req = (void *)ioucmd;	/* cmd_to_io_kiocb(): the command is at its start */
	__u32 tid;
	__u64 sock;

	if (ret) {
		if (ret < -OG_MAX_ERRNO || ret > 0)
			return -EPERM;	/* deny: not an errno, as far as the verifier knows */
		return ret;	/* deny with the earlier errno */
	}
	if (BPF_CORE_READ(ioucmd, cmd_op) != OG_URING_OP_SETSOCKOPT)
		return 0;	/* allow: not a setsockopt (or not a socket: the pointer will not match) */
	if (bpf_current_task_under_cgroup(&og_root_cgroup, 0) != 1)
		return 0;	/* allow: the caller is outside the policy's cgroup */
	if (!og_ring_compat(BPF_CORE_READ(req, ctx)))
		return 0;	/* allow: a 64-bit ring, the cgroup hook will run */
	tid = (__u32)bpf_get_current_pid_tgid();
	sock = (__u64)BPF_CORE_READ(ioucmd, file, private_data);
	bpf_map_update_elem(&og_compat_ring, &tid, &sock, BPF_ANY);
	return 0;	/* allow: lsm/socket_setsockopt decides */
}
