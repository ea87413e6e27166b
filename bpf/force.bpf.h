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

/* Does the option of @e apply to a socket of this family, type and protocol? */
static __always_inline int ent_fits(const struct og_force_ent *e, __u32 family, __u32 type,
				    __u32 protocol)
{
	switch (e->level) {
	case 6:		/* IPPROTO_TCP: TCP sockets only */
		return type == SOCK_STREAM && protocol == IPPROTO_TCP;
	case 0:		/* IPPROTO_IP: the kernel takes IP_TOS on AF_INET sockets only */
		return family == AF_INET;
	case 41:	/* IPPROTO_IPV6 */
		return family == AF_INET6;
	}
	return 1;	/* SOL_SOCKET: every socket */
}

/*
 * Add the entries of @s that no more specific key decided (the walk is most
 * specific first); returns @done with what @s decides added.  @sock is
 * family << 16 | type << 8 | protocol (a subprogram takes five arguments).
 * Global, not static: the verifier checks it once instead of at each of the
 * up to 2 * OG_CG_LEVELS + 2 calls of the key walk.
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

struct walk_ctx {
	__u32 gen, fi, uid, done, sock;
};

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

/* bpf_loop callback: cgroup level OG_CG_LEVELS - 1 - @idx, deepest first.  0: go on. */
static long walk_level(__u32 idx, void *data)
{
	struct walk_ctx *w = data;
	__u32 key = 0, level = OG_CG_LEVELS - 1 - idx;
	struct og_sk_plan *p;
	__u64 cgid;

	if (level >= OG_CG_LEVELS || !(w->fi & (1u << level)))
		return 0;	/* go on: no scope at this level */
	cgid = bpf_get_current_ancestor_cgroup_id(level);
	if (!cgid)
		return 0;	/* go on: the task is not that deep */
	p = bpf_map_lookup_elem(&og_plan_scratch, &key);
	if (!p)
		return 1;	/* stop: cannot happen */
	walk_key(w, p, cgid);
	return 0;	/* go on */
}

/*
 * Build, in og_plan_scratch, the plan of a socket made now by the current
 * task.  Returns it if it has entries, else NULL.  The key walk is
 * find_rule()'s, its levels in a bpf_loop so that the verifier checks one.
 */
static __always_inline struct og_sk_plan *plan_build(__u32 gen, __u32 family, __u32 type,
						     __u32 protocol)
{
	struct walk_ctx w = {
		.gen = gen,
		.fi = og_force_info[gen],
		.uid = (__u32)bpf_get_current_uid_gid(),
		.sock = family << 16 | (type & 0xff) << 8 | (protocol & 0xff),
	};
	struct og_sk_plan *p;
	__u32 key = 0;

	if (!(w.fi & OG_SI_RULES))
		return NULL;
	p = bpf_map_lookup_elem(&og_plan_scratch, &key);
	if (!p)
		return NULL;
	p->n = 0;
	if ((w.fi & OG_SI_LEVELS) && has_task_helpers)
		bpf_loop(OG_CG_LEVELS, walk_level, &w, 0);
	if (w.fi & OG_SI_ANYCG)
		walk_key(&w, p, 0);
	if (!p->n)
		return NULL;
	p->gen = gen;
	p->flags = 0;
	p->cgid = bpf_get_current_cgroup_id();
	p->pid = bpf_get_current_pid_tgid() >> 32;
	p->uid = w.uid;
	bpf_get_current_comm(p->comm, sizeof(p->comm));
	p->start_ns = 0;
	p->retransmits = 0;
	p->rtos = 0;
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

/*
 * Apply the entries of @p whose `at` names @point to the socket of @ctx
 * (a context bpf_setsockopt takes), except those that already took at
 * connect on this socket; mark where each took in its `done`.  A value the
 * kernel refuses gives an event with its errno and the socket goes on: the
 * caller never fails the socket.  One that takes is counted, and logged
 * only with log_force = all or in audit mode (an event per forced value on
 * every connection costs more than the forcing).  @task: the current task
 * made the call (else @p's creator is the event's caller).  Returns how many
 * entries took.
 */
static __always_inline int force_apply(void *ctx, struct og_sk_plan *p, __u32 point, __u16 family,
				       __u16 type, __u8 hook, const int task)
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
		if (!(e->at & point) || (e->done & OG_FP_CONNECT))
			continue;
		if (cfg->mode == OG_MODE_AUDIT) {
			ret = 0;	/* audit: log what would be forced, change nothing */
		} else if (e->len == OG_STR_MAX) {
			char buf[OG_STR_MAX];

			__builtin_memcpy(buf, e->str, OG_STR_MAX);
			ret = bpf_setsockopt(ctx, e->level, e->optname, buf, OG_STR_MAX);
		} else {
			int val = (int)e->num;

			ret = bpf_setsockopt(ctx, e->level, e->optname, &val, sizeof(val));
		}
		if (!ret) {
			e->done |= point;
			done++;
			if (!cfg->log_force && cfg->mode != OG_MODE_AUDIT) {
				count_forced(e->rule_id);
				continue;
			}
		}
		call.level = e->level;
		call.optname = e->optname;
		ent_value(e, &v);
		if (task)
			account(&call, gen, cfg, e->rule_id, OG_ACT_FORCE, ret < 0 ? -ret : 0,
				e->vtype, 1, &v, &v);
		else
			account_ext(&call, gen, cfg, e->rule_id, OG_ACT_FORCE, ret < 0 ? -ret : 0,
				    e->vtype, 1, &v, &v, p, 0, 0);
	}
	return done;
}

#endif /* OPTGUARD_FORCE_BPF_H */
