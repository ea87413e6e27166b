/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bindings: which cgroups a scope's selectors (path, glob, unit) name now.
 * A binding table, made into struct og_bindings (bind_expand()), is what the
 * expansion (expand.c) takes the scopes' cgroup ids from; the daemon fills it and keeps it current (daemon/bindings.c),
 * `check` and `explain` use the cgroups that exist when they run
 * (bindings_static()).  Pure: no inotify, no BPF.
 *
 * Precedence of selectors (optguard.ini(5), "Precedence"): a deeper cgroup
 * wins and, at one depth, a scope with a uid; that is the kernel's key
 * order.  When one cgroup is bound by selectors of several scopes for the
 * same option and uid (only patterns and units can do that: two literal
 * paths that could are refused by the parser), the selector of highest
 * bind_prio() wins: a path, then a unit, then the glob with the most
 * literal characters; a tie goes to the rule written first.
 */
#ifndef OPTGUARD_BIND_H
#define OPTGUARD_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include "expand.h"
#include "policy.h"

struct og_binding {
	size_t scope;		/* index into og_policy.scopes */
	size_t sel;		/* index into that scope's cgroups */
	__u64 id;		/* the cgroup bound */
	int level;		/* its depth below the cgroup2 mount */
	int prio;		/* bind_prio() of the selector */
};

struct og_bind_table {
	struct og_binding *b;
	size_t n;
};

/* The precedence of @sel among selectors binding one cgroup: higher wins. */
int bind_prio(const struct og_scope_cgroup *sel);
/* Does @s hold a glob metacharacter (*, ?, [)? */
bool bind_is_glob(const char *s);
/*
 * Does selector @sel name the cgroup directory @path (absolute, normalised),
 * the cgroup2 mount being @mnt and the enforcer's cgroup @enf?  1 or 0.
 */
int bind_match(const struct og_scope_cgroup *sel, const char *mnt, const char *enf,
	       const char *path);
/*
 * Could @sel name a cgroup strictly below @path (so that the daemon must
 * watch @path for new directories)?  1 or 0.
 */
int bind_below(const struct og_scope_cgroup *sel, const char *mnt, const char *enf,
	       const char *path);
/*
 * The depth at which @sel covers a caller in @path (its cgroup or the
 * ancestor @sel names), or -1: for `explain`, which has no ids.
 */
int bind_covers(const struct og_scope_cgroup *sel, const char *mnt, const char *enf,
		const char *path);
/*
 * The table of the cgroups that exist now for @p's selectors, found by
 * walking the cgroup2 tree: what `check`, `explain` and the start use.
 * 0 or -ENOMEM; free with bindings_free().
 */
int bindings_static(const struct og_policy *p, struct og_bind_table *out);
void bindings_free(struct og_bind_table *t);
/*
 * @t as the expansion (expand.h) takes it: for each scope of @p the cgroups
 * it is bound to (one entry per cgroup, with the bind_prio() of its best
 * selector in that scope), and x->b.shared when a cgroup is bound to two
 * scopes.  0 or -ENOMEM; free with bind_expand_free().
 */
struct og_bind_expand {
	struct og_bindings b;
	struct og_scope_binding *scopes;
	struct og_scope_cgroup *cgs;
};

int bind_expand(const struct og_policy *p, const struct og_bind_table *t, struct og_bind_expand *x);
void bind_expand_free(struct og_bind_expand *x);

/* Append one binding: 0 or -ENOMEM (@cap: the table's capacity). */
int bindings_add(struct og_bind_table *t, size_t *cap, const struct og_binding *b);

#endif
