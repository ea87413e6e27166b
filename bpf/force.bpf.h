/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Forcing values onto sockets: the maps of optguard.h's "Forcing values"
 * comment, the plan a socket gets when it is made, and applying the plan's
 * entries at a point with bpf_setsockopt.  Included once, by optguard.bpf.c,
 * after common.bpf.h; the programs live in sockcreate/, connect/, sockops/
 * and lsm/create.bpf.c.
 */
#ifndef OPTGUARD_FORCE_BPF_H
#define OPTGUARD_FORCE_BPF_H

#include "common.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define AF_INET		2
#define AF_INET6	10
#define SOCK_STREAM	1
#define IPPROTO_TCP	6

/* Written by the daemon with slot_info: OG_SI_* bits of the og_force keys. */
__u32 og_force_info[OG_NGENS];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct og_rule_key);	/* slot = gen << 31 */
	__type(value, struct og_force_set);
	__uint(max_entries, 1);		/* sized by the loader */
} og_force SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);	/* accepted sockets inherit it */
	__type(key, int);
	__type(value, struct og_sk_plan);
} og_plans SEC(".maps");

/* a plan is built here before it is known to be worth a socket's storage */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct og_sk_plan);
	__uint(max_entries, 1);
} og_plan_scratch SEC(".maps");

/*
 * The `sock` argument of plan_merge(): family << 16 | type << 8 | protocol,
 * the protocol squeezed into 8 bits (IPPROTO_MPTCP is 262) and the family
 * marked where an AF_INET6 socket talks to a v4-mapped peer: its packets
 * are IPv4, and IP_TOS is their DSCP.
 */
#define IPPROTO_MPTCP	262
#define OG_PROTO_MPTCP	0xff
#define OG_FAM_MAPPED	0x100	/* AF_INET6 | OG_FAM_MAPPED: a v4-mapped peer */

/* Is the IPv6 address whose first three words (network order) are these v4-mapped? */
static __always_inline int v4_mapped(__u32 w0, __u32 w1, __u32 w2)
{
	return !w0 && !w1 && w2 == bpf_htonl(0x0000ffff);
}

static __always_inline __u32 sock_key(__u32 family, __u32 type, __u32 protocol)
{
	__u32 proto = protocol == IPPROTO_MPTCP ? OG_PROTO_MPTCP : protocol & 0xff;

	if (proto == OG_PROTO_MPTCP && protocol != IPPROTO_MPTCP)
		proto = 0xfe;	/* not MPTCP, whatever else it is */
	return (family & 0xffff) << 16 | (type & 0xff) << 8 | proto;
}

/* Does the option of @e apply to a socket of this family, type and protocol? */
static __always_inline int ent_fits(const struct og_force_ent *e, __u32 family, __u32 type,
				    __u32 protocol)
{
	switch (e->level) {
	case 6:		/* IPPROTO_TCP: TCP sockets only (an MPTCP socket's subflows are TCP) */
		return type == SOCK_STREAM && protocol == IPPROTO_TCP;
	case 0:		/* IPPROTO_IP: IPv4 packets, of an AF_INET or a v4-mapped AF_INET6 socket */
		return family == AF_INET || family == (AF_INET6 | OG_FAM_MAPPED);
	case 41:	/* IPPROTO_IPV6 */
		return (family & 0xff) == AF_INET6;
	}
	return 1;	/* SOL_SOCKET: every socket */
}

/*
 * Add the entries of @s that no more specific key decided (the walk is most
 * specific first); returns @done with what @s decides added.  @sock is
 * sock_key().  Global, not static: the verifier checks it once instead of at
 * each of the up to 2 * OG_CG_LEVELS + 2 calls of the key walk.
 */
__noinline __u32 plan_merge(const struct og_force_set *s, struct og_sk_plan *p, __u32 done,
			    __u32 sock)
{
	__u32 todo, family = sock >> 16, type = (sock >> 8) & 0xff, protocol = sock & 0xff;
	int j;

	/* a global function, verified once for any caller: its pointers may be NULL */
	if (!s || !p)
		return done;
	todo = s->forced & ~done;

	for (j = 0; j < OG_FORCE_MAX; j++) {
		__u16 n = p->n;

		if (!(todo & (1u << j)))
			continue;
		if (!ent_fits(&s->ent[j], family, type, protocol))
			continue;
		if (n >= OG_FORCE_MAX)	/* bounds check: cannot happen, n <= forced bits */
			break;
		p->ent[n] = s->ent[j];
		p->n = n + 1;
	}
	return done | s->claimed;
}

/*
 * Whose plan a point computes: the socket's own cgroup and uid (the TCP
 * points: read from the socket, which an accepted socket has from its
 * listener), or, where @cgrp is 0, the current task's (create, and the UDP
 * points, which run in the sending task).
 */
struct walk_ctx {
	__u32 gen, fi, uid, done, sock;
	__s32 cglevel;	/* the socket's cgroup's level */
	__u64 cgrp;	/* the socket's struct cgroup *, as a number; 0: the task's */
};

/* kernels before 6.1 keep the ids of a cgroup's ancestors, not pointers */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* The id of the ancestor at @level of the cgroup @w names, or 0. */
static __always_inline __u64 sk_ancestor_id(const struct walk_ctx *w, __u32 level)
{
	__u64 a = 0, id = 0;

	if ((__s32)level > w->cglevel)
		return 0;	/* the socket's cgroup is not that deep */
	if (bpf_core_field_exists(struct cgroup, ancestors)) {
		struct cgroup *cg = (struct cgroup *)w->cgrp;

		if (bpf_probe_read_kernel(&a, sizeof(a), (void *)w->cgrp +
					  bpf_core_field_offset(struct cgroup, ancestors) +
					  level * sizeof(__u64)) || !a)
			return 0;
		(void)cg;
		return BPF_CORE_READ((struct cgroup *)a, kn, id);
	}
	if (bpf_core_field_exists(struct cgroup___ids, ancestor_ids))
		bpf_probe_read_kernel(&id, sizeof(id), (void *)w->cgrp +
				      bpf_core_field_offset(struct cgroup___ids, ancestor_ids) +
				      level * sizeof(__u64));
	return id;
}

/* Merge the sets at the keys of one pair (uid or ANY, @cgid). */
static __always_inline void walk_key(struct walk_ctx *w, struct og_sk_plan *p, __u64 cgid)
{
	struct og_rule_key k = { .slot = w->gen << 31, .cgid = cgid };
	struct og_force_set *s;

	if (w->fi & OG_SI_UID) {
		k.uid = w->uid;
		s = bpf_map_lookup_elem(&og_force, &k);
		if (s)
			w->done = plan_merge(s, p, w->done, w->sock);
	}
	k.uid = OG_UID_ANY;
	s = bpf_map_lookup_elem(&og_force, &k);
	if (s)
		w->done = plan_merge(s, p, w->done, w->sock);
}

/* One cgroup level of the walk: the ancestor @cgid's keys.  0: go on. */
static __always_inline long walk_ancestor(struct walk_ctx *w, __u64 cgid)
{
	struct og_sk_plan *p;
	__u32 key = 0;

	if (!cgid)
		return 0;	/* go on: the cgroup is not that deep */
	p = bpf_map_lookup_elem(&og_plan_scratch, &key);
	if (!p)
		return 1;	/* stop: cannot happen */
	walk_key(w, p, cgid);
	return 0;	/* go on */
}

/*
 * bpf_loop callbacks: cgroup level OG_CG_LEVELS - 1 - @idx, deepest first,
 * of the current task's cgroup or of the socket's.  Two of them: sock_ops
 * programs lack bpf_get_current_ancestor_cgroup_id, and the verifier checks
 * every call a callback makes.
 */
static long walk_level_task(__u32 idx, void *data)
{
	struct walk_ctx *w = data;
	__u32 level = OG_CG_LEVELS - 1 - idx;

	if (level >= OG_CG_LEVELS || !(w->fi & (1u << level)))
		return 0;	/* go on: no scope at this level */
	return walk_ancestor(w, bpf_get_current_ancestor_cgroup_id(level));
}

static long walk_level_sk(__u32 idx, void *data)
{
	struct walk_ctx *w = data;
	__u32 level = OG_CG_LEVELS - 1 - idx;

	if (level >= OG_CG_LEVELS || !(w->fi & (1u << level)))
		return 0;	/* go on: no scope at this level */
	return walk_ancestor(w, sk_ancestor_id(w, level));
}

/*
 * Build, in og_plan_scratch, the plan of a socket for the identity in @w
 * (gen, uid, cgrp, cglevel and sock set by the caller).  Returns it if it
 * has entries, else NULL.  The key walk is find_rule()'s, its levels in a
 * bpf_loop so that the verifier checks one; @sk_only (a literal): @w names
 * a socket's cgroup, never the task's.  Nothing is kept: each point
 * builds the plan again (a reload in between changes what the socket gets).
 */
static __always_inline struct og_sk_plan *plan_walk(struct walk_ctx *w, const int sk_only)
{
	struct og_sk_plan *p;
	__u32 key = 0;

	w->fi = og_force_info[w->gen & 1];
	w->done = 0;
	if (!(w->fi & OG_SI_RULES))
		return NULL;
	p = bpf_map_lookup_elem(&og_plan_scratch, &key);
	if (!p)
		return NULL;
	p->n = 0;
	if ((w->fi & OG_SI_LEVELS) && w->cgrp)
		bpf_loop(OG_CG_LEVELS, walk_level_sk, w, 0);
	else if ((w->fi & OG_SI_LEVELS) && has_task_helpers && !sk_only)
		bpf_loop(OG_CG_LEVELS, walk_level_task, w, 0);
	if (w->fi & OG_SI_ANYCG)
		walk_key(w, p, 0);
	if (!p->n)
		return NULL;
	p->gen = w->gen;
	p->flags = 0;
	p->start_ns = 0;
	p->retransmits = 0;
	p->rtos = 0;
	return p;
}

/* The plan of a socket made, connected or sending now by the current task. */
static __always_inline struct og_sk_plan *plan_build(__u32 gen, __u32 family, __u32 type,
						     __u32 protocol)
{
	struct walk_ctx w = {
		.gen = gen,
		.uid = (__u32)bpf_get_current_uid_gid(),
		.sock = sock_key(family, type, protocol),
	};
	struct og_sk_plan *p = plan_walk(&w, 0);

	if (!p)
		return NULL;
	p->uid = w.uid;
	return p;	/* the caller is current: its events name it (OG_FA_TASK) */
}

/*
 * Name the current task as @p's creator: the caller of the events a kept
 * (telemetry) plan gives where no task is current (sock_ops).  Only for a
 * plan that is kept: three helper calls a datagram or a connect need not pay.
 */
static __always_inline void plan_identify(struct og_sk_plan *p)
{
	p->cgid = bpf_get_current_cgroup_id();
	p->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(p->comm, sizeof(p->comm));
}

/*
 * The plan of the TCP socket @sk (any socket pointer a program has) from
 * its own cgroup and uid, or NULL: nothing forced, or not a TCP socket.
 * @family may carry OG_FAM_MAPPED.  The event's caller is the socket's uid
 * and cgroup (no pid: no task made this call).
 */
static __always_inline struct og_sk_plan *plan_build_tcp(__u32 gen, void *sk, __u32 family)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct walk_ctx w = { .gen = gen, .sock = sock_key(family, SOCK_STREAM, IPPROTO_TCP) };
	struct og_sk_plan *p;
	struct cgroup *cg;
	struct sock *s;

	if (!tp)
		return NULL;
	s = (struct sock *)tp;
	w.uid = BPF_CORE_READ(s, sk_uid.val);
	cg = BPF_CORE_READ(s, sk_cgrp_data.cgroup);
	if (!cg)
		return NULL;	/* cannot happen: every socket has a cgroup */
	w.cgrp = (__u64)cg;
	w.cglevel = BPF_CORE_READ(cg, level);
	p = plan_walk(&w, 1);
	if (!p)
		return NULL;
	p->cgid = BPF_CORE_READ(cg, kn, id);
	p->pid = 0;
	p->uid = w.uid;
	__builtin_memset(p->comm, 0, sizeof(p->comm));
	return p;
}

/* The forced value of @e as an event carries it (@v zeroed by the caller). */
static __always_inline void ent_value(const struct og_force_ent *e, struct og_val *v)
{
	if (e->len == OG_STR_MAX)
		__builtin_memcpy(v->str, e->str, OG_STR_MAX);
	else
		v->num = e->num;
}

/*
 * A forced value that took: counted, not logged (an event only with
 * log_force = all): decisions = events + suppressed + dropped + unlogged.
 */
static __always_inline void count_forced(__u32 rule_id)
{
	struct og_counters *c = bpf_map_lookup_elem(&og_counters, &rule_id);

	if (c) {
		c->decisions++;
		c->unlogged++;
	}
}

#define SOL_IP		0
#define IP_TOS		1
#define SOL_IPV6	41
#define IPV6_TCLASS	67

/*
 * The value to write for a DSCP entry: the forced DSCP bits with the ECN
 * bits (0x03) the socket has now, which the application chose (or the
 * kernel's ECN machinery manages): forcing a DSCP never clears them.
 */
static __always_inline int dscp_value(void *ctx, const struct og_force_ent *e)
{
	int cur = 0;

	if (bpf_getsockopt(ctx, e->level, e->optname, &cur, sizeof(cur)))
		cur = 0;
	return (int)og_dscp_keep_ecn(e->num, (__u32)cur);
}

/* force_apply() @flags */
#define OG_FA_TASK	(1u << 0)	/* the current task made the call (else @p's socket) */

/*
 * Apply the entries of @p whose `at` names @point to the socket of @ctx
 * (a context bpf_setsockopt takes), except those whose `at` is in @skip
 * (an active connection's established point skips what connect forced) or
 * that already took at connect on this socket (a kept telemetry plan); mark
 * where each took in its `done`.  A value the kernel refuses gives an event
 * with its errno and the socket goes on, unless the entry's rule says
 * on_unforceable = deny: then *@deny is set and the caller refuses the
 * connect or send.  One that takes is counted, and logged only with
 * log_force = all or in audit mode (an event per forced value on every
 * connection costs more than the forcing).  Returns how many entries took.
 */
static __always_inline int force_apply(void *ctx, struct og_sk_plan *p, __u32 point, __u32 skip,
				       __u16 family, __u16 type, __u8 hook, __u32 flags,
				       int *deny)
{
	__u32 gen = p->gen & 1;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_call call = { .family = family, .type = type, .hook = hook };
	int i, ret, done = 0;

	for (i = 0; i < OG_FORCE_MAX; i++) {
		struct og_force_ent *e;
		struct og_val v = {};

		if (i >= p->n)
			break;
		e = &p->ent[i];	/* bounds: i < OG_FORCE_MAX */
		if (!(e->at & point) || (e->at & skip) || (e->done & OG_FP_CONNECT))
			continue;
		if (cfg->mode == OG_MODE_AUDIT) {
			ret = 0;	/* audit: log what would be forced, change nothing */
		} else if (e->len == OG_STR_MAX) {
			char buf[OG_STR_MAX];

			__builtin_memcpy(buf, e->str, OG_STR_MAX);
			ret = bpf_setsockopt(ctx, e->level, e->optname, buf, OG_STR_MAX);
		} else {
			int val = (int)e->num;

			if (e->vtype == OG_VT_DSCP)
				val = dscp_value(ctx, e);
			ret = bpf_setsockopt(ctx, e->level, e->optname, &val, sizeof(val));
		}
		if (!ret) {
			e->done |= point;
			done++;
			if (!cfg->log_force && cfg->mode != OG_MODE_AUDIT) {
				count_forced(e->rule_id);
				continue;
			}
		} else if (e->flags & OG_FE_DENY_UNFORCEABLE) {
			*deny = 1;
		}
		call.level = e->level;
		call.optname = e->optname;
		ent_value(e, &v);
		if (flags & OG_FA_TASK)
			account(&call, gen, cfg, e->rule_id, OG_ACT_FORCE, ret < 0 ? -ret : 0,
				e->vtype, 1, &v, &v);
		else
			account_ext(&call, gen, cfg, e->rule_id, OG_ACT_FORCE, ret < 0 ? -ret : 0,
				    e->vtype, 1, &v, &v, p, 0, 0);
	}
	return done;
}

/* Does an entry of @p ask for telemetry (a plan kept in the socket's storage)? */
static __always_inline int plan_has_telemetry(const struct og_sk_plan *p)
{
	int i;

	for (i = 0; i < OG_FORCE_MAX; i++) {
		if (i >= p->n)
			break;
		if (p->ent[i].flags & OG_FE_TELEMETRY)
			return 1;
	}
	return 0;
}

/* The kept plan of a telemetry socket, or NULL (also: no rule asks for telemetry). */
static __always_inline struct og_sk_plan *plan_kept(struct bpf_sock *sk)
{
	if (!(og_force_info[og_active_gen & 1] & OG_FI_TELEMETRY) &&
	    !(og_force_info[(og_active_gen & 1) ^ 1] & OG_FI_TELEMETRY))
		return NULL;
	return bpf_sk_storage_get(&og_plans, sk, NULL, 0);
}

#endif /* OPTGUARD_FORCE_BPF_H */
