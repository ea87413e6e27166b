/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one expansion of a policy into the keys the kernel finds rules by
 * (bpf/optguard.h, struct og_rule_key): rule x option x uid x cgroup, and
 * the precedence among the rules a caller matches (the most specific wins).
 * Encoding (encode.c, encode_force.c), validation's duplicate check
 * (validate.c) and `explain` (policy_match, scope_rank) all go through here.
 *
 * The cgroups of a scope come from a binding table, never straight from the
 * scope: struct og_bindings maps each scope to the cgroups its selectors stand
 * for now.  NULL stands for the table the parser resolved (og_scope.cgroups);
 * a caller that follows cgroups as they appear and go fills a table of its
 * own, and the same expansion gives the keys of that moment.
 */
#ifndef OPTGUARD_EXPAND_H
#define OPTGUARD_EXPAND_H

#include "policy.h"

/* The cgroups one scope is bound to: the elements are not owned. */
struct og_scope_binding {
	const struct og_scope_cgroup *cg;
	size_t n;
};

/*
 * scope[i] binds p->scopes[i]; a scope past nscopes is bound to no cgroup.
 * Whoever fills it keeps what the parser checks of a cgroup (section_scope.c):
 * ids distinct within a scope, levels below OG_CG_LEVELS, paths normalised.
 */
struct og_bindings {
	const struct og_scope_binding *scope;
	size_t nscopes;
	bool shared;		/* a cgroup is bound to two scopes: keys ordered by prio */
};

/*
 * Does @s select callers by cgroup?  Such a scope bound to no cgroup has no
 * keys at all: it is never '*'.  (Today the only cgroup selector is a list of
 * directories resolved at parse time.)
 */
static inline bool scope_selects_cgroups(const struct og_scope *s)
{
	return s && s->ncgroups;
}

/* The cgroups @s of @p is bound to in @b (NULL: as parsed); @s not NULL. */
struct og_scope_binding scope_bound(const struct og_policy *p, const struct og_bindings *b,
				    const struct og_scope *s);

/* One key of one rule, as the kernel would install it. */
struct og_key {
	size_t rule;		/* index in p->rules */
	size_t opt;		/* its option rule_opt(r, opt) ... */
	struct og_optref o;	/* ... which is this */
	__u32 uid;		/* OG_UID_ANY: the scope names no uid */
	__u64 cgid;		/* 0: the scope names no cgroup */
	int cglevel;		/* depth of cgid below the cgroup2 mount (0 without) */
	int prio;		/* bind_prio() of the selector that bound cgid (bind.h; 0 without) */
};

/* Called for each key; a non-zero return stops the expansion and is returned. */
typedef int (*og_key_fn)(void *ctx, const struct og_key *k);

/*
 * The keys of rule @i of @p: for each of its options, for each cgroup of its
 * scope (or none), for each uid (or none).  A family's options are keys of
 * their own.  0, or what @fn returned.
 */
int expand_rule(const struct og_policy *p, const struct og_bindings *b, size_t i,
		og_key_fn fn, void *ctx);
/* The keys of every rule of @p, in rule order; @skip[i] (may be NULL) leaves rule i out. */
int expand_policy(const struct og_policy *p, const struct og_bindings *b, const bool *skip,
		  og_key_fn fn, void *ctx);

/*
 * Two rules with one key: the kernel cannot install both.  @fn is called once
 * per later rule (the higher index) that shares a key with an earlier one:
 * with the earliest such rule, and the option (level, optname) of the first
 * shared key in (level, optname, uid, cgroup) order.
 */
typedef void (*og_dup_fn)(void *ctx, size_t first, size_t later, int level, int optname);
/* 0 or -ENOMEM; rules with @skip[i] set take no part. */
int expand_duplicates(const struct og_policy *p, const struct og_bindings *b, const bool *skip,
		      og_dup_fn fn, void *ctx);

/*
 * Precedence, as the kernel's lookup (bpf/optguard.h) ranks the keys that
 * match a caller in cgroup @cgroup_path (absolute) with @uid: higher wins,
 * -1: @s does not match.  '*' is 0, a uid scope 1, a cgroup scope
 * 2 * (level of its deepest cgroup holding the caller + 1), + 1 with a uid.
 */
int expand_rank(const struct og_policy *p, const struct og_bindings *b,
		const struct og_scope *s, const char *cgroup_path, __u32 uid);
/* The rule of @p that decides (option, cgroup path, uid): NULL = none (the default). */
const struct og_rule_def *expand_match(const struct og_policy *p, const struct og_bindings *b,
				       int level, int optname, const char *cgroup_path,
				       __u32 uid);

#endif
