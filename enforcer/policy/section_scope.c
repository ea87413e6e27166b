// SPDX-License-Identifier: GPL-2.0-only
/* Pass 2 of the parser: [scope:NAME] sections, their cgroups and uids. */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "section.h"

const char *const scope_keys[] = { "cgroup", "uid" };
const size_t scope_nkeys = ARRAY_SIZE(scope_keys);

static void scope_cgroups(struct parser *ps, const struct og_policy *p, struct og_scope *sc,
			  const struct kv *kv, bool *bad)
{
	char *store, **items;
	long n, i;
	size_t j;

	n = split_list(ps, kv, &store, &items);
	if (n < 0) {
		*bad = true;
		return;
	}
	sc->cgroups = calloc(n, sizeof(*sc->cgroups));
	if (!sc->cgroups) {
		ps->oom = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		struct og_scope_cgroup c = { 0 };

		if (cgroup_dir(ps, kv->line, items[i], &c.path, &c.id, &c.level)) {
			*bad = true;
			continue;
		}
		for (j = 0; j < sc->ncgroups; j++)
			if (sc->cgroups[j].id == c.id)
				break;
		if (j < sc->ncgroups) {
			perr(ps, kv->line, "cgroup '%s' is listed twice", items[i]);
		} else if (p->cgroup && !path_within(c.path, p->cgroup)) {
			perr(ps, kv->line, "cgroup '%s' is outside the enforcer cgroup '%s': %s",
			     items[i], p->cgroup, "it would never be enforced");
		} else if (c.level >= OG_CG_LEVELS) {
			perr(ps, kv->line,
			     "cgroup '%s' is %d levels deep; at most %d are supported", items[i],
			     c.level, OG_CG_LEVELS - 1);
		} else {
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
	const struct kv *k[2];

	sc->name = pstrdup(ps, s->name);
	sc->line = s->line;
	collect(ps, s, scope_keys, ARRAY_SIZE(scope_keys), k);
	if (k[0])
		scope_cgroups(ps, p, sc, k[0], bad);
	if (k[1])
		scope_uids(ps, sc, k[1], bad);
	if (!k[0] && !k[1])
		pwarn(ps, s->line, "warning: scope '%s' has no selectors: it matches every caller, "
		      "like '*'", s->name);
}
