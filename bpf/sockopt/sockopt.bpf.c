// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/setsockopt: the value-aware enforcement point.
 *
 * Attached with a link at the top of the policy's cgroup, so it runs after
 * any program attached below and sees the value they left.  The rule lookup
 * is described in optguard.h; the decision in decide.h.  A call whose option
 * has no rule costs one array load (BENCH.md P1).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "optguard.h"
#include "decide.h"

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile int has_retval = 0;	/* bpf_{get,set}_retval (5.18+) */
const volatile int page_size = 4096;
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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);	/* sized by the loader */
} og_events SEC(".maps");

/* Leave the call to the kernel as the application made it. */
static __always_inline int pass(struct bpf_sockopt *ctx, int optlen)
{
	/* the program saw only the first page: let the kernel use the user's buffer */
	if (optlen > page_size)
		ctx->optlen = 0;
	return 1;	/* go on */
}

static __always_inline struct og_rule *find_rule(__u32 gen, __u32 slot, __u32 si)
{
	struct og_rule_key k = { .slot = gen << 31 | slot };
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct og_rule *r;
	int i;

	/* deepest cgroup first: a deeper scope beats a shallower one */
	if (si & OG_SI_LEVELS) {
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

/* Read the value as the kernel will: returns its width in bytes, 0 if unreadable. */
static __always_inline int read_val(struct bpf_sockopt *ctx, __u8 vtype, __u8 flags, int optlen,
				    struct og_val *v)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	int i;

	if (vtype == OG_VT_OPAQUE)
		return 0;
	if (vtype == OG_VT_STR) {
		/* the kernel takes at most OG_STR_MAX - 1 bytes, up to a NUL */
		for (i = 0; i < OG_STR_MAX - 1; i++) {
			if (i >= optlen || p + i + 1 > end)	/* bounds check */
				break;
			if (!p[i])
				break;
			v->str[i] = p[i];
		}
		return i > 0 ? OG_STR_MAX : 0;
	}
	if (vtype == OG_VT_UINT && optlen >= 8 && p + 8 <= end) {	/* bounds check */
		v->num = *(__u64 *)p;
		return 8;
	}
	if (optlen >= 4 && p + 4 <= end) {	/* bounds check */
		if (vtype == OG_VT_UINT)
			v->num = *(__u32 *)p;
		else
			v->num = (__s64) *(__s32 *)p;
		return 4;
	}
	if (optlen >= 1 && (flags & OG_RF_BYTE_OK) && p + 1 <= end) {	/* bounds check */
		v->num = *p;
		return 1;
	}
	return 0;
}

/* Give the kernel @v instead of the application's value; 0 or -1 if it does not fit. */
static __always_inline int write_val(struct bpf_sockopt *ctx, __u8 vtype, int width,
				     const struct og_val *v)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	int i, n = 0;

	if (vtype == OG_VT_STR) {
		if (p + OG_STR_MAX > end)	/* bounds check: the kernel's buffer is >= 16 bytes */
			return -1;
		for (i = 0; i < OG_STR_MAX; i++) {
			p[i] = v->str[i];
			if (v->str[i] && i == n)
				n++;
		}
		ctx->optlen = n;
		return 0;
	}
	if (width == 8) {
		if (p + 8 > end)	/* bounds check */
			return -1;
		*(__u64 *)p = v->num;
	} else if (width == 1) {
		if (p + 1 > end)	/* bounds check */
			return -1;
		*p = v->num;
	} else {
		/* an int, also when the application's value could not be read */
		if (p + 4 > end)	/* bounds check */
			return -1;
		*(__u32 *)p = v->num;
		width = 4;
	}
	/* also for optlen > PAGE_SIZE: the kernel then takes our buffer */
	ctx->optlen = width;
	return 0;
}

static __always_inline void account(struct bpf_sockopt *ctx, __u32 gen,
				    const struct og_gen_config *cfg, __u32 rule_id, int verdict, __u32 err, __u8 vtype, int have,
				    const struct og_val *req, const struct og_val *eff,
				    int level, int optname)
{
	struct og_counters *c = bpf_map_lookup_elem(&og_counters, &rule_id);
	struct bpf_sock *sk = ctx->sk;
	struct og_event *e;
	struct og_rate *rt;
	__u64 now, pid_tgid;

	if (!c)
		return;
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
			if (__sync_fetch_and_add(&rt->count, 1) >= cfg->log_rate) {
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
	pid_tgid = bpf_get_current_pid_tgid();
	e->ts_ns = now;
	e->cgid = bpf_get_current_cgroup_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->rule_id = rule_id;
	e->level = level;
	e->optname = optname;
	e->err = err;
	e->family = sk ? sk->family : 0;
	e->type = sk ? sk->type : 0;
	e->hook = OG_HOOK_CGROUP_SOCKOPT;
	e->action = verdict;
	e->mode = cfg->mode;
	e->vtype = vtype;
	e->flags = (vtype == OG_VT_STR ? OG_EV_STR : 0) | (have ? 0 : OG_EV_NOVAL) |
		   gen << OG_EV_GEN_SHIFT;
	e->requested = req->num;
	e->effective = eff->num;
	__builtin_memcpy(e->req_str, req->str, OG_STR_MAX);
	__builtin_memcpy(e->eff_str, eff->str, OG_STR_MAX);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/*
	 * A wake-up per event would cost more than the call itself (BENCH.md
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

static __always_inline int deny(__u32 err)
{
	if (has_retval)
		bpf_set_retval(-(int)err);
	return 0;	/* deny: EPERM, or err where bpf_set_retval exists */
}

SEC("cgroup/setsockopt")
int og_setsockopt(struct bpf_sockopt *ctx)
{
	/* read ctx fields once (clang may otherwise re-read a modified ctx pointer) */
	int level = ctx->level, optname = ctx->optname, optlen = ctx->optlen;
	__u32 gen = og_active_gen & 1;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_val req = {}, eff = {};
	struct og_rule *r;
	int slot, width, verdict;
	__u32 si, err, uslot;

	slot = og_slot_fixed(level, optname);
	if (slot < 0) {
		__u64 ok = og_other_key(level, optname);
		__u32 *s;

		if (!cfg->other_slots)
			goto no_rule;
		s = bpf_map_lookup_elem(&og_other_slots, &ok);
		if (!s)
			goto no_rule;
		slot = *s;
	}
	uslot = slot;
	/* keep clang from folding the check into the signed value */
	asm volatile("" : "+r"(uslot));
	if (uslot >= OG_NSLOTS)
		goto no_rule;
	si = og_slot_info[gen][uslot];
	if (!(si & OG_SI_RULES))
		goto no_rule;
	r = find_rule(gen, uslot, si);
	if (!r)
		goto no_rule;

	/* a program attached below already failed the call: nothing to decide */
	if (has_retval && bpf_get_retval())
		return pass(ctx, optlen);	/* go on: the earlier errno stands */

	width = read_val(ctx, r->vtype, r->flags, optlen, &req);
	verdict = og_decide(r, &req, width > 0, &eff, &err);
	account(ctx, gen, cfg, r->id, verdict, err, r->vtype, width > 0, &req, &eff, level, optname);
	if (cfg->mode == OG_MODE_AUDIT)
		return pass(ctx, optlen);	/* go on: audit changes nothing */
	switch (verdict) {
	case OG_ACT_DENY:
		return deny(err);
	case OG_ACT_REWRITE:
	case OG_ACT_CLAMP:
		if (write_val(ctx, r->vtype, width, &eff))
			return deny(EPERM);	/* deny: fail closed if the value cannot be set */
		return 1;	/* go on with our value */
	}
	return pass(ctx, optlen);

no_rule:
	if (cfg->default_action != OG_ACT_DENY)
		return pass(ctx, optlen);	/* go on: default allow */
	if (has_retval && bpf_get_retval())
		return pass(ctx, optlen);	/* go on: the earlier errno stands */
	account(ctx, gen, cfg, cfg->default_id, OG_ACT_DENY, cfg->default_err, OG_VT_OPAQUE, 0, &req,
		&eff, level, optname);
	if (cfg->mode == OG_MODE_AUDIT)
		return pass(ctx, optlen);	/* go on: audit changes nothing */
	return deny(cfg->default_err);
}
