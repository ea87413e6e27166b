/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every optguard BPF program shares: the maps and globals of
 * optguard.h, the slot and rule lookup, and the accounting of a decision
 * (counters, log_rate, the event).  Included once, by optguard.bpf.c, so
 * that the cgroup and LSM programs share one set of maps.
 */
#ifndef OPTGUARD_COMMON_BPF_H
#define OPTGUARD_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "optguard.h"
#include "decide.h"

#define EPERM 1

/* Set by the loader before load. */
const volatile int has_retval = 0;	/* bpf_{get,set}_retval (5.18+) */
const volatile int has_task_helpers = 1;	/* pid, comm, ancestor cgroup in cgroup programs */
const volatile int page_size = 4096;
/*
 * the daemon's start-up probe: the LSM program counts its calls.  The
 * daemon is known by its tgid as its own PID namespace numbers it (the
 * namespace's nsfs dev and inode): in a container getpid() is not the
 * kernel's global tgid.  probe_ns_ino 0: the global tgid (no /proc).
 */
const volatile __u32 probe_tgid = 0;
const volatile __u64 probe_ns_dev = 0;
const volatile __u64 probe_ns_ino = 0;
__u64 og_lsm_probe_hits;
const volatile __u64 wake_bytes = 1 << 18;	/* wake the daemon when this much is queued */

/* Written by the daemon through the mmap'ed .bss; see optguard.h. */
__u32 og_active_gen;
__u32 og_consumer_sleeping;	/* the daemon waits without a timeout: wake it */
struct og_gen_config og_cfg[OG_NGENS];
__u32 og_slot_info[OG_NGENS][OG_NSLOTS];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct og_rule_key);
	__type(value, struct og_rule);
	__uint(max_entries, 1);		/* sized by the loader */
} og_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);		/* og_other_key(level, optname) */
	__type(value, __u32);		/* slot */
	__uint(max_entries, OG_NSLOTS_OTHER);
} og_other_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);		/* rule id */
	__type(value, struct og_counters);
	__uint(max_entries, 1);		/* sized by the loader */
} og_counters SEC(".maps");

/* log_rate: one-second windows per rule, shared by all CPUs */
struct og_rate {
	__u64 window;			/* start of the current second */
	__u64 count;			/* events in it */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct og_rate);
	__uint(max_entries, 1);		/* sized by the loader */
} og_rate SEC(".maps");

/* the policy's cgroup: the LSM program, which is global, acts only below it */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} og_root_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);	/* sized by the loader */
} og_events SEC(".maps");

/* What a hook knows of the call it decides. */
/*
 * An errno as the kernel takes it: newer verifiers check that LSM programs
 * return, and bpf_set_retval() gets, a value in [-MAX_ERRNO, 0].
 */
#define OG_MAX_ERRNO 4095

static __always_inline int og_neg_errno(__u32 err)
{
	/* the policy allows 1..4095 only: the mask changes nothing but proves the range */
	__s64 e = err & OG_MAX_ERRNO, r = 0;

	if (!e)
		e = EPERM;
	/* 0 - e as a subtraction: 6.12's verifier loses the bounds of a negation */
	asm volatile("%[r] -= %[e]" : [r] "+r"(r) : [e] "r"(e));
	return r;
}

struct og_call {
	int level, optname;
	__u16 family, type;
	__u8 hook;		/* enum og_hook */
};

/* The slot of (level, optname) in generation @cfg, or -1: no rule can exist. */
static __always_inline int find_slot(const struct og_gen_config *cfg, int level, int optname)
{
	int slot = og_slot_fixed(level, optname);

	if (slot < 0) {
		__u64 ok = og_other_key(level, optname);
		__u32 *s;

		if (!cfg->other_slots)
			return -1;
		s = bpf_map_lookup_elem(&og_other_slots, &ok);
		if (!s)
			return -1;
		slot = *s;
	}
	return slot;
}

static __always_inline struct og_rule *find_rule(__u32 gen, __u32 slot, __u32 si)
{
	struct og_rule_key k = { .slot = gen << 31 | slot };
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct og_rule *r;
	int i;

	/* deepest cgroup first: a deeper scope beats a shallower one */
	if ((si & OG_SI_LEVELS) && has_task_helpers) {
		for (i = OG_CG_LEVELS - 1; i >= 0; i--) {
			if (!(si & (1u << i)))
				continue;
			k.cgid = bpf_get_current_ancestor_cgroup_id(i);
			if (!k.cgid)
				continue;	/* the caller is not that deep */
			if (si & OG_SI_UID) {
				k.uid = uid;
				r = bpf_map_lookup_elem(&og_rules, &k);
				if (r)
					return r;
			}
			k.uid = OG_UID_ANY;
			r = bpf_map_lookup_elem(&og_rules, &k);
			if (r)
				return r;
		}
	}
	if (si & OG_SI_ANYCG) {
		k.cgid = 0;
		if (si & OG_SI_UID) {
			k.uid = uid;
			r = bpf_map_lookup_elem(&og_rules, &k);
			if (r)
				return r;
		}
		k.uid = OG_UID_ANY;
		return bpf_map_lookup_elem(&og_rules, &k);
	}
	return NULL;
}

/* The rule that decides (level, optname) for the caller in generation @gen, or NULL. */
static __always_inline struct og_rule *lookup_rule(__u32 gen, const struct og_gen_config *cfg,
						   int level, int optname)
{
	int s = find_slot(cfg, level, optname);
	__u32 slot, si;

	if (s < 0)
		return NULL;
	slot = s;
	/* keep clang from folding the check into the signed value */
	asm volatile("" : "+r"(slot));
	if (slot >= OG_NSLOTS)
		return NULL;
	si = og_slot_info[gen][slot];	/* a call whose option has no rule stops here */
	if (!(si & OG_SI_RULES))
		return NULL;
	return find_rule(gen, slot, si);
}

/*
 * Count a decision and log it (rate limited, drops counted).  @call holds
 * what the hook knows of the call.  @who is NULL where the current task made
 * the call; sock_ops callbacks, which may run in softirq, pass the plan of
 * the socket instead (its creator is the event's caller).  @close makes it a
 * close event (OG_EV_CLOSE) with @who's telemetry, not a decision; @evflags
 * are OG_EV_* bits the hook adds (why it decided: OG_EV_COMPAT).  Callers
 * pass literals for @who and @close, so each program keeps only its branch.
 */
static __always_inline void account_full(const struct og_call *call, __u32 gen,
					 const struct og_gen_config *cfg, __u32 rule_id,
					 int verdict, __u32 err, __u8 vtype, int have,
					 const struct og_val *req, const struct og_val *eff,
					 const struct og_sk_plan *who, int close, __u64 lifetime,
					 __u32 evflags)
{
	struct og_counters *c = bpf_map_lookup_elem(&og_counters, &rule_id);
	struct og_event *e;
	struct og_rate *rt;
	__u64 now, pid_tgid;

	if (!c)
		return;
	/*
	 * A close event counts as a decision too: for every rule
	 * decisions = events + suppressed + dropped + unlogged (optguard.h)
	 */
	c->decisions++;
	if (!cfg->log)
		return;
	now = bpf_ktime_get_ns();
	if (cfg->log_rate) {
		rt = bpf_map_lookup_elem(&og_rate, &rule_id);
		if (rt) {
			/* racy window reset: at worst a few extra events near a boundary */
			if (now - rt->window >= 1000000000ull) {
				rt->window = now;
				rt->count = 0;
			}
			/* no fetching atomics: 5.10 lacks them (BPF_STX reserved fields) */
			__sync_fetch_and_add(&rt->count, 1);
			if (rt->count > cfg->log_rate) {
				c->suppressed++;
				return;
			}
		}
	}
	e = bpf_ringbuf_reserve(&og_events, sizeof(*e), 0);
	if (!e) {
		c->dropped++;
		return;
	}
	c->events++;
	e->ts_ns = now;
	if (who) {
		e->cgid = who->cgid;
		e->pid = who->pid;
		e->tid = who->pid;
		e->uid = who->uid;
		__builtin_memcpy(e->comm, who->comm, sizeof(e->comm));
	} else {
		/* 5.10's cgroup programs have neither: events then carry pid 0 and no comm */
		pid_tgid = has_task_helpers ? bpf_get_current_pid_tgid() : 0;
		e->cgid = bpf_get_current_cgroup_id();
		e->pid = pid_tgid >> 32;
		e->tid = (__u32)pid_tgid;
		e->uid = (__u32)bpf_get_current_uid_gid();
		if (has_task_helpers)
			bpf_get_current_comm(e->comm, sizeof(e->comm));
		else
			__builtin_memset(e->comm, 0, sizeof(e->comm));
	}
	e->rule_id = rule_id;
	e->level = call->level;
	e->optname = call->optname;
	e->err = err;
	e->family = call->family;
	e->type = call->type;
	e->hook = call->hook;
	e->action = verdict;
	e->mode = cfg->mode;
	e->vtype = vtype;
	e->flags = (vtype == OG_VT_STR ? OG_EV_STR : 0) | (have ? 0 : OG_EV_NOVAL) |
		   gen << OG_EV_GEN_SHIFT | evflags;
	e->requested = req->num;
	e->effective = eff->num;
	__builtin_memcpy(e->req_str, req->str, OG_STR_MAX);
	__builtin_memcpy(e->eff_str, eff->str, OG_STR_MAX);
	if (close && who) {
		e->flags |= OG_EV_CLOSE;
		e->tele_lifetime_ns = lifetime;
		e->tele_retransmits = who->retransmits;
		e->tele_rtos = who->rtos;
	} else {
		e->tele_lifetime_ns = 0;
		e->tele_retransmits = 0;
		e->tele_rtos = 0;
	}
	/*
	 * A wake-up per event would cost more than the call itself (bench/README.md
	 * P2): the daemon polls every few ms while events flow, and is woken
	 * only when the buffer fills up or when it has gone to sleep.
	 */
	if (bpf_ringbuf_query(&og_events, BPF_RB_AVAIL_DATA) > wake_bytes)
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	else
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	/*
	 * Read after the commit (a full barrier): either the daemon sees our
	 * record before it sleeps, or we see its flag and wake it.
	 */
	if (*(volatile __u32 *)&og_consumer_sleeping) {
		__u64 wake = 0;	/* shorter than an event: the daemon skips it */

		bpf_ringbuf_output(&og_events, &wake, sizeof(wake), BPF_RB_FORCE_WAKEUP);
	}
}

static __always_inline void account_ext(const struct og_call *call, __u32 gen,
					const struct og_gen_config *cfg, __u32 rule_id,
					int verdict, __u32 err, __u8 vtype, int have,
					const struct og_val *req, const struct og_val *eff,
					const struct og_sk_plan *who, int close, __u64 lifetime)
{
	account_full(call, gen, cfg, rule_id, verdict, err, vtype, have, req, eff, who, close,
		     lifetime, 0);
}

static __always_inline void account(const struct og_call *call, __u32 gen,
				    const struct og_gen_config *cfg, __u32 rule_id, int verdict,
				    __u32 err, __u8 vtype, int have, const struct og_val *req,
				    const struct og_val *eff)
{
	account_ext(call, gen, cfg, rule_id, verdict, err, vtype, have, req, eff, NULL, 0, 0);
}

#endif /* OPTGUARD_COMMON_BPF_H */
