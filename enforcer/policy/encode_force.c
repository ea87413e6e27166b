// SPDX-License-Identifier: GPL-2.0-only
/*
 * Force rules -> og_force (optguard.h, "Forcing values onto sockets"): one
 * set per scope key, holding the force indexes its rules decide and the
 * entries of those that force.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

/* the policy's points are the kernel's: OG_AT_* bit for OG_FP_* bit */
_Static_assert(OG_AT_CREATE == OG_FP_CREATE && OG_AT_CONNECT == OG_FP_CONNECT &&
	       OG_AT_ESTABLISHED == OG_FP_ESTABLISHED && OG_AT_SEND == OG_FP_SEND,
	       "OG_AT_* and OG_FP_* differ");

static bool forces(const struct og_rule_def *d)
{
	return rule_forces_at(d);
}

/* The force index of (level, optname), or -1 if the policy forces it nowhere. */
static int force_index(const struct og_policy *p, int level, int optname, size_t *nforced,
		       int *lv, int *on, bool add)
{
	size_t i;

	for (i = 0; i < *nforced; i++)
		if (lv[i] == level && on[i] == optname)
			return i;
	if (!add)
		return -1;
	(void)p;
	if (*nforced >= OG_FORCE_MAX)
		return -E2BIG;
	lv[*nforced] = level;
	on[*nforced] = optname;
	return (*nforced)++;
}

static struct og_force_set *set_of(struct og_encoding *enc, size_t *cap, __u32 uid, __u64 cgid,
				   int level)
{
	size_t i;

	for (i = 0; i < enc->nfkeys; i++)
		if (enc->fkeys[i].uid == uid && enc->fkeys[i].cgid == cgid)
			return &enc->fsets[i];
	if (enc->nfkeys == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct og_rule_key *k = realloc(enc->fkeys, ncap * sizeof(*k));
		struct og_force_set *s;

		if (!k)
			return NULL;
		enc->fkeys = k;
		s = realloc(enc->fsets, ncap * sizeof(*s));
		if (!s)
			return NULL;
		enc->fsets = s;
		*cap = ncap;
	}
	enc->fkeys[enc->nfkeys] = (struct og_rule_key){ .slot = 0, .uid = uid, .cgid = cgid };
	memset(&enc->fsets[enc->nfkeys], 0, sizeof(enc->fsets[0]));
	enc->force_info |= OG_SI_RULES;
	if (uid != OG_UID_ANY)
		enc->force_info |= OG_SI_UID;
	if (cgid)
		enc->force_info |= 1u << level;
	else
		enc->force_info |= OG_SI_ANYCG;
	return &enc->fsets[enc->nfkeys++];
}

static void ent_fill(const struct og_rule_def *d, struct og_optref m, __u32 id,
		     struct og_force_ent *e)
{
	memset(e, 0, sizeof(*e));
	e->rule_id = id;
	e->level = m.level;
	e->optname = m.optname;
	e->at = d->at & (OG_FP_CREATE | OG_FP_CONNECT | OG_FP_ESTABLISHED | OG_FP_SEND);
	e->flags = (d->telemetry ? OG_FE_TELEMETRY : 0) |
		   (d->deny_unforceable ? OG_FE_DENY_UNFORCEABLE : 0);
	e->vtype = d->vtype;
	e->len = d->vtype == OG_VT_STR ? OG_STR_MAX : 4;
	if (e->len == OG_STR_MAX)
		memcpy(e->str, d->value.str, OG_STR_MAX);
	else
		e->num = d->value.num;
}

/* What encode_force() carries from key to key. */
struct force_keys {
	const struct og_policy *p;
	struct og_encoding *enc;
	size_t cap, n;
	int lv[OG_FORCE_MAX], on[OG_FORCE_MAX];
	/* per set, the prio (bind.h) that claimed each force index: the higher wins */
	int (*claim)[OG_FORCE_MAX];
	size_t claim_cap;
};

/* Every rule of a forced option claims it at its keys: the most specific one wins. */
static int add(void *ctx, const struct og_key *k)
{
	struct force_keys *fk = ctx;
	const struct og_rule_def *d = &fk->p->rules[k->rule];
	int idx = force_index(fk->p, k->o.level, k->o.optname, &fk->n, fk->lv, fk->on, false);
	struct og_force_set *s;
	size_t at;

	if (idx < 0)
		return 0;
	s = set_of(fk->enc, &fk->cap, k->uid, k->cgid, k->cglevel);
	if (!s)
		return -ENOMEM;
	at = s - fk->enc->fsets;
	if (fk->cap > fk->claim_cap) {
		int (*nc)[OG_FORCE_MAX] = realloc(fk->claim, fk->cap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		fk->claim = nc;
		fk->claim_cap = fk->cap;
	}
	if (s->claimed & (1u << idx)) {
		/* a cgroup bound to two scopes: the more specific selector's rule decides */
		if (fk->claim[at][idx] >= k->prio)
			return 0;
		s->forced &= ~(1u << idx);
	}
	fk->claim[at][idx] = k->prio;
	s->claimed |= 1u << idx;
	if (forces(d) && optref_forceable(k->o)) {
		s->forced |= 1u << idx;
		ent_fill(d, k->o, rule_id(d, k->rule), &s->ent[idx]);
	}
	return 0;
}

int encode_force(const struct og_policy *p, const struct og_bindings *b,
		 struct og_encoding *enc)
{
	struct force_keys fk = { .p = p, .enc = enc };
	size_t i, o;
	int ret;

	/*
	 * A family's options are forced each where the kernel takes it (IP_TOS on
	 * AF_INET, IPV6_TCLASS on AF_INET6: ent_fits()); those bpf_setsockopt
	 * cannot set (SO_RCVBUFFORCE) only get on_change at setsockopt.
	 */
	for (i = 0; i < p->nrules; i++) {
		if (!forces(&p->rules[i]))
			continue;
		for (o = 0; o < rule_nopts(&p->rules[i]); o++) {
			struct og_optref m = rule_opt(&p->rules[i], o);

			if (!optref_forceable(m))
				continue;
			ret = force_index(p, m.level, m.optname, &fk.n, fk.lv, fk.on, true);
			if (ret < 0)
				return ret;
		}
	}
	enc->nforced = fk.n;
	if (!fk.n)
		return 0;
	ret = expand_policy(p, b, NULL, add, &fk);
	free(fk.claim);
	if (ret)
		return ret;
	/* what the points need besides the keys (optguard.h, og_force_info) */
	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *d = &p->rules[i];

		if (!forces(d))
			continue;
		if (d->telemetry)
			enc->force_info |= OG_FI_TELEMETRY;
		if (d->at & OG_AT_SEND)
			enc->force_info |= OG_FI_SEND;
		if (!(d->at & OG_AT_CREATE))
			continue;
		for (o = 0; o < rule_nopts(d); o++) {
			struct og_optref m = rule_opt(d, o);

			if (optref_forceable(m) && m.level == SOL_SOCKET &&
			    (m.optname == SO_MARK || m.optname == SO_PRIORITY))
				enc->force_info |= OG_FI_CREATE_SK;
		}
	}
	return 0;
}
