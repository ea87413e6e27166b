// SPDX-License-Identifier: GPL-2.0-only
/* Pass 2 of the parser: [scope:NAME] sections, their cgroups and uids. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "section.h"

const char *const scope_keys[] = { "cgroup", "uid", "unit" };
const size_t scope_nkeys = ARRAY_SIZE(scope_keys);

/*
 * One `cgroup =` item: a directory (which need not exist yet: the daemon
 * binds it when it appears) or a glob pattern (fnmatch(3) per component),
 * below the cgroup2 mount and the enforcer's cgroup.  0, or -1 with an error.
 */
static int scope_selector(struct parser *ps, const struct og_policy *p, int line,
			  const char *raw, struct og_scope_cgroup *c)
{
	char norm[PATH_MAX], mnt[PATH_MAX];
	const char *r;
	int ret;

	if (!bind_is_glob(raw)) {
		c->kind = OG_SEL_PATH;
		ret = cg_info(raw, &c->id, &c->level);
		if (ret != -ENOENT)
			return cgroup_dir(ps, line, raw, &c->path, &c->id, &c->level);
	} else {
		c->kind = OG_SEL_GLOB;
	}
	/* not there yet, or a pattern: checked as text against the mount */
	if (raw[0] != '/') {
		perr(ps, line, "cgroup '%s' is not an absolute path", raw);
		return -1;
	}
	if (path_normalize(raw, norm, sizeof(norm))) {
		perr(ps, line, "cgroup path '%s' is too long", raw);
		return -1;
	}
	if (cg2_mount(mnt, sizeof(mnt)) || !path_within(norm, mnt) || !strcmp(norm, mnt)) {
		perr(ps, line, "cgroup '%s' is not below the cgroup2 mount%s%s", raw,
		     mnt[0] ? " " : "", mnt[0] ? mnt : "");
		return -1;
	}
	c->id = 0;
	c->level = 0;
	for (r = norm + strlen(mnt); *r; r++)
		if (*r == '/' && r[1])
			c->level++;
	c->path = pstrdup(ps, norm);
	if (!c->path)
		return -1;
	/* it must be able to name the enforcer's cgroup or one below it */
	if (p->cgroup && !bind_below(c, mnt, p->cgroup, p->cgroup) &&
	    !bind_match(c, mnt, p->cgroup, p->cgroup) &&
	    !(c->kind == OG_SEL_PATH && path_within(norm, p->cgroup))) {
		perr(ps, line, "cgroup '%s' is outside the enforcer cgroup '%s': %s", raw,
		     p->cgroup, "it would never be enforced");
		free(c->path);
		c->path = NULL;
		return -1;
	}
	if (c->kind == OG_SEL_PATH)
		pwarn(ps, line, "note: cgroup '%s' does not exist yet: the daemon binds the scope "
		      "to it when it appears", raw);
	return 0;
}

static void scope_cgroups(struct parser *ps, const struct og_policy *p, struct og_scope *sc,
			  const struct kv *kv, bool *bad, bool units)
{
	char *store, **items;
	long n, i;
	size_t j;

	n = split_list(ps, kv, &store, &items);
	if (n < 0) {
		*bad = true;
		return;
	}
	if (n) {
		struct og_scope_cgroup *nc = realloc(sc->cgroups, (sc->ncgroups + n) *
						     sizeof(*sc->cgroups));

		if (!nc) {
			ps->oom = true;
			n = 0;
		} else {
			sc->cgroups = nc;
		}
	}
	for (i = 0; i < n; i++) {
		struct og_scope_cgroup c = { 0 };

		c.line = kv->line;
		if (units) {
			c.kind = OG_SEL_UNIT;
			c.level = -1;
			if (!items[i][0] || strchr(items[i], '/') || !strcmp(items[i], ".") ||
			    !strcmp(items[i], "..") || strlen(items[i]) > NAME_MAX) {
				perr(ps, kv->line, "unit '%s' is not a unit name (a cgroup directory "
				     "name, such as nginx.service)", items[i]);
				*bad = true;
				continue;
			}
			c.path = pstrdup(ps, items[i]);
			if (!c.path) {
				*bad = true;
				continue;
			}
		} else if (scope_selector(ps, p, kv->line, items[i], &c)) {
			*bad = true;
			continue;
		}
		for (j = 0; j < sc->ncgroups; j++)
			if (sc->cgroups[j].kind == c.kind &&
			    (c.id ? sc->cgroups[j].id == c.id : !strcmp(sc->cgroups[j].path, c.path)))
				break;
		if (j < sc->ncgroups) {
			perr(ps, kv->line, "%s '%s' is listed twice", units ? "unit" : "cgroup",
			     items[i]);
		} else if (c.kind == OG_SEL_PATH && c.id && p->cgroup &&
			   !path_within(c.path, p->cgroup)) {
			perr(ps, kv->line, "cgroup '%s' is outside the enforcer cgroup '%s': %s",
			     items[i], p->cgroup, "it would never be enforced");
		} else if (c.level >= OG_CG_LEVELS) {
			perr(ps, kv->line,
			     "cgroup '%s' is %d levels deep; at most %d are supported", items[i],
			     c.level, OG_CG_LEVELS - 1);
		} else {
			c.prio = bind_prio(&c);
			sc->cgroups[sc->ncgroups++] = c;
			continue;
		}
		*bad = true;
		free(c.path);
	}
	free(items);
	free(store);
}

static int uid_resolve(struct parser *ps, int line, const char *s, __u32 *uid)
{
	struct passwd pw, *res = NULL;
	unsigned long n;
	char *end, *buf;
	long sz;
	int ret;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		n = strtoul(s, &end, 10);
		/* (uid_t)-1 is the kernel's "no uid" and OG_UID_ANY */
		if (*end || errno || n >= OG_UID_ANY) {
			perr(ps, line, "invalid uid '%s'", s);
			return -1;
		}
		*uid = (__u32)n;
		return 0;
	}
	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	if (sz < 16384)
		sz = 16384;
	buf = malloc(sz);
	if (!buf) {
		ps->oom = true;
		return -1;
	}
	ret = getpwnam_r(s, &pw, buf, sz, &res);
	if (res)
		*uid = (__u32)pw.pw_uid;
	else if (ret && ret != ENOENT && ret != ESRCH)
		perr(ps, line, "cannot look up user '%s': %s", s, strerror(ret));
	else
		perr(ps, line, "unknown user '%s'", s);
	free(buf);
	return res ? 0 : -1;
}

static void scope_uids(struct parser *ps, struct og_scope *sc, const struct kv *kv, bool *bad)
{
	char *store, **items;
	long n, i;
	size_t j;
	__u32 uid = 0;

	n = split_list(ps, kv, &store, &items);
	if (n < 0) {
		*bad = true;
		return;
	}
	sc->uids = calloc(n, sizeof(*sc->uids));
	if (!sc->uids) {
		ps->oom = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (uid_resolve(ps, kv->line, items[i], &uid)) {
			*bad = true;
			continue;
		}
		for (j = 0; j < sc->nuids; j++)
			if (sc->uids[j] == uid)
				break;
		if (j < sc->nuids) {
			perr(ps, kv->line, "uid %u ('%s') is listed twice", uid, items[i]);
			*bad = true;
			continue;
		}
		sc->uids[sc->nuids++] = uid;
	}
	free(items);
	free(store);
}

void scope_build(struct parser *ps, const struct og_policy *p, const struct section *s,
		 struct og_scope *sc, bool *bad)
{
	const struct kv *k[3];

	sc->name = pstrdup(ps, s->name);
	sc->line = s->line;
	collect(ps, s, scope_keys, ARRAY_SIZE(scope_keys), k);
	if (k[0])
		scope_cgroups(ps, p, sc, k[0], bad, false);
	if (k[2])
		scope_cgroups(ps, p, sc, k[2], bad, true);
	if (k[1])
		scope_uids(ps, sc, k[1], bad);
	if (!k[0] && !k[1] && !k[2])
		pwarn(ps, s->line, "warning: scope '%s' has no selectors: it matches every caller, "
		      "like '*'", s->name);
}
