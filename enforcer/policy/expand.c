// SPDX-License-Identifier: GPL-2.0-only
/* Rule x option x uid x cgroup -> keys, and precedence (expand.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "bind.h"
#include "cgroup.h"
#include "expand.h"

struct og_scope_binding scope_bound(const struct og_policy *p, const struct og_bindings *b,
				    const struct og_scope *s)
{
	size_t i;

	if (!b)
		return (struct og_scope_binding){ .cg = s->cgroups, .n = s->ncgroups };
	i = (size_t)(s - p->scopes);
	if (i >= b->nscopes || !b->scope)
		return (struct og_scope_binding){ 0 };
	return b->scope[i];
}

int expand_rule(const struct og_policy *p, const struct og_bindings *b, size_t i,
		og_key_fn fn, void *ctx)
{
	const struct og_rule_def *r = &p->rules[i];
	const struct og_scope *s = r->scope;
	struct og_scope_binding bound = { 0 };
	size_t nu = s && s->nuids ? s->nuids : 1, nc = 1, o, c, u;
	struct og_key k = { .rule = i };
	int ret;

	if (scope_selects_cgroups(s)) {
		bound = scope_bound(p, b, s);
		nc = bound.n;
	}
	for (o = 0; o < rule_nopts(r); o++) {
		k.opt = o;
		k.o = rule_opt(r, o);
		for (c = 0; c < nc; c++) {
			/* a path not made yet, a pattern, a unit: no cgroup until one is bound */
			if (bound.cg && !bound.cg[c].id)
				continue;
			k.cgid = bound.cg ? bound.cg[c].id : 0;
			k.cglevel = bound.cg ? bound.cg[c].level : 0;
			k.prio = bound.cg ? bound.cg[c].prio : 0;
			for (u = 0; u < nu; u++) {
				k.uid = s && s->nuids ? s->uids[u] : OG_UID_ANY;
				ret = fn(ctx, &k);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

int expand_policy(const struct og_policy *p, const struct og_bindings *b, const bool *skip,
		  og_key_fn fn, void *ctx)
{
	size_t i;
	int ret;

	for (i = 0; i < p->nrules; i++) {
		if (skip && skip[i])
			continue;
		ret = expand_rule(p, b, i, fn, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- duplicate keys ------------------------------------------------------ */

struct dkey {
	int level, optname;
	__u32 uid;
	__u64 cgid;
	size_t rule;
};

struct dkeys {
	struct dkey *k;
	size_t n, cap;
};

static int dkey_cmp(const void *a, const void *b)
{
	const struct dkey *x = a, *y = b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->optname != y->optname)
		return x->optname < y->optname ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->cgid != y->cgid)
		return x->cgid < y->cgid ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int dkey_add(void *ctx, const struct og_key *k)
{
	struct dkeys *d = ctx;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 256;
		struct dkey *nk = realloc(d->k, ncap * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		d->k = nk;
		d->cap = ncap;
	}
	/* no uid is its own key (OG_UID_ANY), distinct from every real uid */
	d->k[d->n++] = (struct dkey){ .level = k->o.level, .optname = k->o.optname,
				      .uid = k->uid, .cgid = k->cgid, .rule = k->rule };
	return 0;
}

/* Sorting the keys finds every shared one in O(n log n), whatever the policy size. */
int expand_duplicates(const struct og_policy *p, const struct og_bindings *b, const bool *skip,
		      og_dup_fn fn, void *ctx)
{
	struct dkeys d = { 0 };
	size_t i, first;
	bool *reported;
	int ret;

	reported = calloc(p->nrules + 1, sizeof(*reported));
	if (!reported)
		return -ENOMEM;
	ret = expand_policy(p, b, skip, dkey_add, &d);
	if (ret)
		goto out;
	if (d.n)	/* qsort(NULL, 0, ...) is undefined */
		qsort(d.k, d.n, sizeof(*d.k), dkey_cmp);
	for (first = 0, i = 1; i < d.n; i++) {
		const struct dkey *f = &d.k[first], *k = &d.k[i];

		if (f->level != k->level || f->optname != k->optname || f->uid != k->uid ||
		    f->cgid != k->cgid) {
			first = i;
			continue;
		}
		/* f is the earliest rule with this key; k a later one (or the same again) */
		if (reported[k->rule] || k->rule == f->rule)
			continue;
		reported[k->rule] = true;
		fn(ctx, f->rule, k->rule, k->level, k->optname);
	}
out:
	free(d.k);
	free(reported);
	return ret;
}

/* ---- precedence (mirrors the kernel lookup in bpf/optguard.h) ------------ */

static int rank(const struct og_scope *s, struct og_scope_binding bound, const char *cgroup_path,
		__u32 uid)
{
	char norm[PATH_MAX], mnt[PATH_MAX] = "";
	int deepest = -1, at;
	size_t i;
	bool uid_ok = false;

	if (!s || (!scope_selects_cgroups(s) && !s->nuids))
		return 0;
	for (i = 0; i < s->nuids; i++)
		uid_ok |= s->uids[i] == uid;
	if (s->nuids && !uid_ok)
		return -1;
	if (!scope_selects_cgroups(s))
		return 1;
	if (!cgroup_path || path_normalize(cgroup_path, norm, sizeof(norm)))
		return -1;
	for (i = 0; i < bound.n; i++) {
		if (!bound.cg[i].path)
			continue;
		if (bound.cg[i].kind == OG_SEL_PATH) {
			at = path_within(norm, bound.cg[i].path) ? bound.cg[i].level : -1;
		} else {
			/* a pattern or unit: the deepest of the caller's cgroup and ancestors it names */
			if (!mnt[0] && cg2_mount(mnt, sizeof(mnt)))
				return -1;
			at = bind_covers(&bound.cg[i], mnt, mnt, norm);
		}
		if (at > deepest)
			deepest = at;
	}
	if (deepest < 0)
		return -1;
	return 2 * (deepest + 1) + (s->nuids ? 1 : 0);
}

int expand_rank(const struct og_policy *p, const struct og_bindings *b,
		const struct og_scope *s, const char *cgroup_path, __u32 uid)
{
	struct og_scope_binding bound = { 0 };

	if (scope_selects_cgroups(s))
		bound = scope_bound(p, b, s);
	return rank(s, bound, cgroup_path, uid);
}

const struct og_rule_def *expand_match(const struct og_policy *p, const struct og_bindings *b,
				       int level, int optname, const char *cgroup_path,
				       __u32 uid)
{
	const struct og_rule_def *best = NULL;
	int best_rank = -1, r;
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		if (!rule_has_opt(&p->rules[i], level, optname))
			continue;
		r = expand_rank(p, b, p->rules[i].scope, cgroup_path, uid);
		if (r > best_rank) {
			best = &p->rules[i];
			best_rank = r;
		}
	}
	return best;
}

/* The parser's bindings: what `explain` and `check` see. */
int scope_rank(const struct og_scope *s, const char *cgroup_path, __u32 uid)
{
	struct og_scope_binding bound = { 0 };

	if (scope_selects_cgroups(s))
		bound = (struct og_scope_binding){ .cg = s->cgroups, .n = s->ncgroups };
	return rank(s, bound, cgroup_path, uid);
}

const struct og_rule_def *policy_match(const struct og_policy *p, int level, int optname,
				       const char *cgroup_path, __u32 uid)
{
	return expand_match(p, NULL, level, optname, cgroup_path, uid);
}
