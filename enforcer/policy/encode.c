// SPDX-License-Identifier: GPL-2.0-only
/* Policy -> the maps of optguard.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "gaps.h"

__u32 read_flags(const struct og_option *o)
{
	__u32 f = 0;

	if (!o)
		return 0;
	if (o->byte_ok)
		f |= OG_RF_BYTE_OK;
	if (o->kread & OG_KR_U32)
		f |= OG_RF_U32;
	if (o->kread & OG_KR_U64)
		f |= OG_RF_U64;
	if (o->kread & OG_KR_LEN0)
		f |= OG_RF_LEN0;
	return f;
}

int encode_rule(const struct og_rule_def *d, __u32 id, struct og_rule *out)
{
	struct og_rule r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.vtype = d->vtype == OG_VT_SIZE ? OG_VT_INT : d->vtype;
	/* read the value as the kernel does (options.h, OG_KR_*) */
	r.flags |= read_flags(d->opt);
	r.action = d->action;
	r.err = d->err;
	if (d->action == OG_ACT_FORCE) {
		/* at setsockopt, a force rule is what on_change says of the app's own attempt */
		switch (d->on_change) {
		case OG_ONCHANGE_REWRITE:
			r.action = OG_ACT_REWRITE;
			break;
		case OG_ONCHANGE_DENY:
			r.action = OG_ACT_DENY;
			/* the forced value itself may still be set */
			if (r.vtype == OG_VT_STR)
				memcpy(r.except.strs[0], d->value.str, OG_STR_MAX);
			else
				r.except.ints[0] = d->value.num;
			r.nexcept = 1;
			break;
		case OG_ONCHANGE_ALLOW:
			/* still shadows less specific rules for this option */
			r.action = OG_ACT_ALLOW;
			break;
		}
	}
	if (d->has_value || d->action == OG_ACT_FORCE) {
		r.value = d->value.num;
		memcpy(r.str, d->value.str, OG_STR_MAX);
	}
	if (d->has_min) {
		r.flags |= OG_RF_HAS_MIN;
		r.lo = d->min.num;
	}
	if (d->has_max) {
		r.flags |= OG_RF_HAS_MAX;
		r.hi = d->max.num;
	}
	if (d->action != OG_ACT_FORCE) {
		r.nexcept = d->nexcept;
		for (i = 0; i < d->nexcept; i++) {
			if (r.vtype == OG_VT_STR)
				memcpy(r.except.strs[i], d->except[i].str, OG_STR_MAX);
			else
				r.except.ints[i] = d->except[i].num;
		}
	}
	if (r.action == OG_ACT_NONE)
		return -ENOENT;
	*out = r;
	return 0;
}

static int slot_of(struct og_encoding *enc, int level, int optname)
{
	int slot = og_slot_fixed(level, optname);
	__u64 key = og_other_key(level, optname);
	size_t i;

	if (slot >= 0)
		return slot;
	for (i = 0; i < enc->nother; i++)
		if (enc->other[i].key == key)
			return enc->other[i].slot;
	if (enc->nother >= OG_NSLOTS_OTHER)
		return -E2BIG;
	slot = OG_NSLOTS_FIXED + enc->nother;
	enc->other[enc->nother].key = key;
	enc->other[enc->nother].slot = slot;
	enc->nother++;
	return slot;
}

/* What policy_encode() carries from key to key of one rule. */
struct rule_keys {
	struct og_encoding *enc;
	size_t cap;
	struct og_rule r;	/* the rule's behaviour, read as option `opt` is read */
	size_t opt;
	int slot;		/* of option `opt` */
};

static int add_key(void *ctx, const struct og_key *k)
{
	struct rule_keys *rk = ctx;
	struct og_encoding *enc = rk->enc;

	/* a family's options: the same rule (id, action, values) under each key */
	if (k->opt != rk->opt || rk->slot < 0) {
		/* each option read as the kernel reads that one */
		rk->r.flags = (rk->r.flags & ~OG_RF_READ) | read_flags(k->o.opt);
		rk->slot = slot_of(enc, k->o.level, k->o.optname);
		rk->opt = k->opt;
		if (rk->slot < 0)
			return rk->slot;
	}
	if (enc->nkeys == rk->cap) {
		size_t ncap = rk->cap ? rk->cap * 2 : 64;
		struct og_rule_key *nk = realloc(enc->keys, ncap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		enc->keys = nk;
		struct og_rule *v = realloc(enc->vals, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		enc->vals = v;
		int *pr = realloc(enc->kprio, ncap * sizeof(*pr));

		if (!pr)
			return -ENOMEM;
		enc->kprio = pr;
		rk->cap = ncap;
	}
	enc->kprio[enc->nkeys] = k->prio;
	enc->keys[enc->nkeys] = (struct og_rule_key){ .slot = rk->slot, .uid = k->uid,
						      .cgid = k->cgid };
	enc->vals[enc->nkeys] = rk->r;
	enc->nkeys++;
	enc->slot_info[rk->slot] |= OG_SI_RULES;
	if (k->uid != OG_UID_ANY)
		enc->slot_info[rk->slot] |= OG_SI_UID;
	if (k->cgid)
		enc->slot_info[rk->slot] |= 1u << k->cglevel;
	else
		enc->slot_info[rk->slot] |= OG_SI_ANYCG;
	return 0;
}

static int key_prio_cmp(const void *a, const void *b, void *arg)
{
	const struct og_encoding *enc = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = og_key_cmp(&enc->keys[i], &enc->keys[j]);

	if (c)
		return c;
	if (enc->kprio[i] != enc->kprio[j])
		return enc->kprio[j] - enc->kprio[i];	/* the highest first */
	return i < j ? -1 : i > j;		/* then the rule written first */
}

/*
 * A cgroup bound to two scopes (patterns, units: bind.h) may get two keys
 * for one option and uid: the kernel holds one, that of the selector of
 * highest prio; the others go.
 */
static int dedup_keys(struct og_encoding *enc)
{
	size_t n = enc->nkeys ? enc->nkeys : 1, i, o = 0;
	size_t *idx = malloc(n * sizeof(*idx));
	struct og_rule_key *k = malloc(n * sizeof(*k));
	struct og_rule *v = malloc(n * sizeof(*v));

	if (!idx || !k || !v) {
		free(idx);
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < enc->nkeys; i++)
		idx[i] = i;
	qsort_r(idx, enc->nkeys, sizeof(*idx), key_prio_cmp, enc);
	for (i = 0; i < enc->nkeys; i++) {
		const struct og_rule_key *x = &enc->keys[idx[i]];

		if (o && k[o - 1].slot == x->slot && k[o - 1].uid == x->uid &&
		    k[o - 1].cgid == x->cgid)
			continue;
		k[o] = *x;
		v[o++] = enc->vals[idx[i]];
	}
	memcpy(enc->keys, k, o * sizeof(*k));
	memcpy(enc->vals, v, o * sizeof(*v));
	enc->nkeys = o;
	free(idx);
	free(k);
	free(v);
	return 0;
}

int policy_encode(const struct og_policy *p, struct og_encoding *enc)
{
	return policy_encode_bound(p, NULL, enc);
}

int policy_encode_bound(const struct og_policy *p, const struct og_bindings *b,
			struct og_encoding *enc)
{
	struct rule_keys rk = { .enc = enc };
	size_t i, o;
	int ret = 0;

	memset(enc, 0, sizeof(*enc));
	enc->cfg.mode = p->mode;
	enc->cfg.default_action = p->default_action;
	enc->cfg.default_err = p->default_err;
	enc->cfg.default_id = 0;
	enc->cfg.log = p->log != OG_LOG_NONE;
	enc->cfg.log_rate = p->log_rate;
	enc->cfg.log_force = p->log_force;
	enc->cfg.compat = !p->compat_allow;
	enc->cfg.cmsg = policy_needs_cmsg(p);
	enc->nids = 1;
	for (i = 0; i < p->nrules; i++)
		if (rule_id(&p->rules[i], i) >= enc->nids)
			enc->nids = rule_id(&p->rules[i], i) + 1;

	for (i = 0; i < p->nrules && !ret; i++) {
		const struct og_rule_def *d = &p->rules[i];

		if (encode_rule(d, rule_id(d, i), &rk.r))
			continue;
		/* the slots of its options, whether or not its scope is bound to a cgroup now */
		for (o = 0; o < rule_nopts(d) && !ret; o++)
			if (slot_of(enc, rule_opt(d, o).level, rule_opt(d, o).optname) < 0)
				ret = -E2BIG;
		rk.slot = -1;
		if (!ret)
		ret = expand_rule(p, b, i, add_key, &rk);
	}
	enc->cfg.other_slots = enc->nother;
	if (!ret && b && b->shared)
		ret = dedup_keys(enc);
	if (!ret)
		ret = encode_force(p, b, enc);
	if (ret)
		encoding_free(enc);
	return ret;
}

void encoding_free(struct og_encoding *enc)
{
	free(enc->keys);
	free(enc->vals);
	free(enc->kprio);
	enc->kprio = NULL;
	free(enc->fkeys);
	free(enc->fsets);
	enc->keys = NULL;
	enc->vals = NULL;
	enc->nkeys = 0;
	enc->fkeys = NULL;
	enc->fsets = NULL;
	enc->nfkeys = 0;
}
