// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of P4's (bench/README.md): what the kernel's own mechanisms cost on a
 * loopback connect + accept + close, without optguard's logic.  Used only by
 * bench/bench_connect.c, attached in these combinations (F1 ... F5):
 *
 *   F1  fl_connect4 + fl_sockops_force: the same three values optguard's
 *       P4 row forces (SO_MARK, TCP_CONGESTION=reno, SO_KEEPALIVE), by
 *       constant bpf_setsockopt calls, at connect (client) and at
 *       PASSIVE_ESTABLISHED (the accepted socket); no telemetry, no state
 *   F2  F1 + STATE/RTO/RETRANS callbacks turned on for both sockets, as the
 *       force issue's telemetry requires (fl_sockops_tele)
 *   F3  F2 + a per-socket record in a preallocated hash keyed by the socket
 *       cookie, made at established, deleted at TCP_CLOSE (fl_sockops_hash)
 *   F4  F2 + a per-socket record in sk_storage made at established
 *       (fl_sockops_storage)
 *   F5  what optguard's telemetry (P4t) uses of the kernel, without its
 *       logic: a per-socket record the size of optguard's plan (struct
 *       og_sk_plan) in sk_storage made at socket creation (fl_sock_create)
 *       and cloned to the accepted socket, read where optguard reads it (at
 *       connect: fl_connect4_kept; at established, where the STATE/RTO/
 *       RETRANS callbacks are turned on, and at the move to TCP_CLOSE:
 *       fl_sockops_kept); the same three constant values forced
 *   F6  an empty cgroup/sendmsg4 program (fl_sendmsg4_empty): the hook's
 *       own price per datagram (the kernel locks the socket around it)
 *   F7  cgroup/sendmsg4 (fl_sendmsg4), P4u's floor: per datagram, one
 *       bpf_getsockopt(IP_TOS) and a bpf_setsockopt where it differs
 *       (optguard's send point without its plan)
 *
 * F3's and F4's records are small (struct fl_rec); F5's is a plan's size.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "optguard.h"

char LICENSE[] SEC("license") = "GPL";

#define FL_TELEMETRY_FLAGS \
	(BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RTO_CB_FLAG | BPF_SOCK_OPS_RETRANS_CB_FLAG)

struct fl_rec {
	__u64 start_ns;
	__u32 pid, uid;
	__u64 cgid;
	char comm[16];
	__u32 rules[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, struct fl_rec);
	__uint(max_entries, 65536);
} fl_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fl_rec);
} fl_storage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct og_sk_plan);	/* optguard's kept plan: the same slab */
} fl_cloned SEC(".maps");

/* SO_MARK = 42, TCP_CONGESTION = reno, SO_KEEPALIVE = 1 */
static __always_inline void force3(void *ctx)
{
	char cc[16] = "reno";
	int v = 42;

	bpf_setsockopt(ctx, 1, 36, &v, sizeof(v));
	bpf_setsockopt(ctx, 6, 13, cc, sizeof(cc));
	v = 1;
	bpf_setsockopt(ctx, 1, 9, &v, sizeof(v));
}

static __always_inline int established(const struct bpf_sock_ops *s)
{
	return s->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ||
	       s->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB;
}

static __always_inline int closing(const struct bpf_sock_ops *s)
{
	return s->op == BPF_SOCK_OPS_STATE_CB && s->args[1] == BPF_TCP_CLOSE;
}

/* the accepted socket gets the values here; the client got them at connect */
static __always_inline void force_passive(struct bpf_sock_ops *s)
{
	if (s->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		force3(s);
}

SEC("cgroup/connect4")
int fl_connect4(struct bpf_sock_addr *ctx)
{
	force3(ctx);
	return 1;	/* allow */
}

SEC("sockops")
int fl_sockops_force(struct bpf_sock_ops *s)
{
	force_passive(s);
	return 1;
}

SEC("sockops")
int fl_sockops_tele(struct bpf_sock_ops *s)
{
	if (established(s)) {
		force_passive(s);
		bpf_sock_ops_cb_flags_set(s, s->bpf_sock_ops_cb_flags | FL_TELEMETRY_FLAGS);
	}
	return 1;
}

SEC("sockops")
int fl_sockops_hash(struct bpf_sock_ops *s)
{
	struct fl_rec *r;
	__u64 k;

	if (established(s)) {
		struct fl_rec n = { .start_ns = bpf_ktime_get_ns() };

		force_passive(s);
		k = bpf_get_socket_cookie(s);
		bpf_map_update_elem(&fl_hash, &k, &n, BPF_ANY);
		bpf_sock_ops_cb_flags_set(s, s->bpf_sock_ops_cb_flags | FL_TELEMETRY_FLAGS);
	} else if (closing(s)) {
		k = bpf_get_socket_cookie(s);
		r = bpf_map_lookup_elem(&fl_hash, &k);
		if (r) {
			r->start_ns = bpf_ktime_get_ns() - r->start_ns;
			bpf_map_delete_elem(&fl_hash, &k);
		}
	}
	return 1;
}

SEC("sockops")
int fl_sockops_storage(struct bpf_sock_ops *s)
{
	struct bpf_sock *sk = s->sk;
	struct fl_rec *r;

	if (!sk)
		return 1;
	if (established(s)) {
		force_passive(s);
		r = bpf_sk_storage_get(&fl_storage, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
		if (r)
			r->start_ns = bpf_ktime_get_ns();
		bpf_sock_ops_cb_flags_set(s, s->bpf_sock_ops_cb_flags | FL_TELEMETRY_FLAGS);
	} else if (closing(s)) {
		r = bpf_sk_storage_get(&fl_storage, sk, NULL, 0);
		if (r)
			r->start_ns = bpf_ktime_get_ns() - r->start_ns;
	}
	return 1;
}

SEC("cgroup/sock_create")
int fl_sock_create(struct bpf_sock *sk)
{
	struct og_sk_plan *p = bpf_sk_storage_get(&fl_cloned, sk, NULL,
						  BPF_SK_STORAGE_GET_F_CREATE);

	if (p)
		p->n = 3;
	return 1;	/* allow */
}

/* F5: the client's record read before its values are forced */
SEC("cgroup/connect4")
int fl_connect4_kept(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct og_sk_plan *p;

	if (!sk)
		return 1;
	p = bpf_sk_storage_get(&fl_cloned, sk, NULL, 0);
	if (p && p->n)
		force3(ctx);
	return 1;	/* allow */
}

/* F5: the record read at established (callbacks on) and at the close */
SEC("sockops")
int fl_sockops_kept(struct bpf_sock_ops *s)
{
	struct bpf_sock *sk = s->sk;
	struct og_sk_plan *p;

	if (!sk || !(established(s) || closing(s)))
		return 1;
	p = bpf_sk_storage_get(&fl_cloned, sk, NULL, 0);
	if (!p)
		return 1;
	if (closing(s)) {
		p->start_ns = bpf_ktime_get_ns() - p->start_ns;
		return 1;
	}
	force_passive(s);
	p->start_ns = bpf_ktime_get_ns();
	bpf_sock_ops_cb_flags_set(s, s->bpf_sock_ops_cb_flags | FL_TELEMETRY_FLAGS);
	return 1;
}

/* F6: nothing */
SEC("cgroup/sendmsg4")
int fl_sendmsg4_empty(struct bpf_sock_addr *ctx)
{
	return 1;	/* allow */
}

/* F7: IP_TOS = AF41 (0x88) with the socket's ECN bits, set only where it differs */
SEC("cgroup/sendmsg4")
int fl_sendmsg4(struct bpf_sock_addr *ctx)
{
	int cur = 0, want;

	if (bpf_getsockopt(ctx, 0, 1, &cur, sizeof(cur)))
		cur = 0;
	want = 0x88 | (cur & 3);
	if (cur != want)
		bpf_setsockopt(ctx, 0, 1, &want, sizeof(want));
	return 1;	/* allow */
}
