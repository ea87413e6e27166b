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

#include "bind.h"
#include "encode.h"

static bool forces(const struct og_rule_def *d)
{
	return d->action == OG_ACT_FORCE && (d->at & (OG_AT_CREATE | OG_AT_CONNECT |
						      OG_AT_ESTABLISHED));
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
	e->at = d->at & (OG_FP_CREATE | OG_FP_CONNECT | OG_FP_ESTABLISHED);
	e->vtype = d->vtype;
	e->len = d->vtype == OG_VT_STR ? OG_STR_MAX : 4;
	if (e->len == OG_STR_MAX)
		memcpy(e->str, d->value.str, OG_STR_MAX);
	else
		e->num = d->value.num;
}

/*
 * The bind_prio() that claimed each force index of each set (a cgroup bound
 * by two scopes: the higher wins, as for og_rules keys; encode.c).
 */
static int (*claim_prio)[OG_FORCE_MAX];
static size_t claim_cap;

static int add(struct og_encoding *enc, size_t *cap, const struct og_rule_def *d,
	       struct og_optref m, __u32 id, int idx, __u32 uid, __u64 cgid, int level, int prio)
{
	struct og_force_set *s = set_of(enc, cap, uid, cgid, level);
	size_t at;

	if (!s)
		return -ENOMEM;
	at = s - enc->fsets;
	if (*cap > claim_cap) {
		int (*np)[OG_FORCE_MAX] = realloc(claim_prio, *cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		claim_prio = np;
		claim_cap = *cap;
	}
	if (s->claimed & (1u << idx)) {
		if (claim_prio[at][idx] >= prio)
			return 0;	/* a more specific selector's rule decides it here */
		s->forced &= ~(1u << idx);
	}
	claim_prio[at][idx] = prio;
	s->claimed |= 1u << idx;
	if (forces(d) && optref_forceable(m)) {
		s->forced |= 1u << idx;
		ent_fill(d, m, id, &s->ent[idx]);
	}
	return 0;
}

int encode_force(const struct og_policy *p, const struct og_bind_index *ix,
		 struct og_encoding *enc)
{
	int lv[OG_FORCE_MAX], on[OG_FORCE_MAX];
	size_t i, c, u, o, cap = 0, n = 0;
	int ret = 0;

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
			ret = force_index(p, m.level, m.optname, &n, lv, on, true);
			if (ret < 0)
				return ret;
		}
	}
	enc->nforced = n;
	ret = 0;
	/* every rule of a forced option claims it at its keys: the most specific one wins */
	for (i = 0; i < p->nrules && !ret; i++) {
		const struct og_rule_def *d = &p->rules[i];
		const struct og_scope *s = d->scope;

		for (o = 0; o < rule_nopts(d) && !ret; o++) {
			struct og_optref m = rule_opt(d, o);
			int idx = force_index(p, m.level, m.optname, &n, lv, on, false);

			if (idx < 0)
				continue;
			if (!s || (!s->ncgroups && !s->nuids)) {
				ret = add(enc, &cap, d, m, rule_id(d, i), idx, OG_UID_ANY, 0, 0, 0);
				continue;
			}
			if (!s->ncgroups) {
				for (u = 0; u < s->nuids && !ret; u++)
					ret = add(enc, &cap, d, m, rule_id(d, i), idx, s->uids[u], 0, 0,
						  0);
				continue;
			}
			/* the cgroups the scope is bound to now (bind.h) */
			for (c = ix->first[s - p->scopes]; c < ix->first[s - p->scopes + 1] && !ret;
			     c++) {
				const struct og_bind_ent *cg = &ix->v[c];

				if (!s->nuids)
					ret = add(enc, &cap, d, m, rule_id(d, i), idx, OG_UID_ANY, cg->id,
						  cg->level, cg->prio);
				for (u = 0; u < s->nuids && !ret; u++)
					ret = add(enc, &cap, d, m, rule_id(d, i), idx, s->uids[u],
						  cg->id, cg->level, cg->prio);
			}
		}
	}
	free(claim_prio);
	claim_prio = NULL;
	claim_cap = 0;
	return ret;
}
