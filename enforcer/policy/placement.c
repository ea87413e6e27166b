// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the policy's cgroups lie, as far as the file system tells: whether
 * their depths are the kernel's (cgroup namespaces, base/cgroupns.h), and
 * whether an unprivileged user may move processes out of them (delegation).
 *
 * Delegation: the kernel lets a process be moved from cgroup S to cgroup T
 * by whoever may write the cgroup.procs of T and of the nearest common
 * ancestor of S and T (cgroup v2's migration rule).  A cgroup whose
 * cgroup.procs an unprivileged user may write (owned by a uid other than 0,
 * or writable by others, or by a group other than 0) is a delegation
 * boundary: below it, that user moves its processes freely.  A policy
 * attached at a cgroup below a boundary covers only part of what the user
 * controls: the user moves its processes to a sibling, outside the policy.
 * Attaching at the topmost boundary closes that (above it, the user may not
 * write the common ancestor).  The same holds for a scope's cgroup below a
 * boundary inside the policy's cgroup: the user moves processes in and out
 * of the scope.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "cgroupns.h"
#include "parser.h"

/* The line of KEY in the section of (KIND, NAME); @dflt when it is not there. */
static int key_line(const struct parser *ps, enum sec_kind kind, const char *name,
		    const char *key, int dflt)
{
	size_t i, j;

	for (i = 0; i < ps->nsecs; i++) {
		const struct section *s = &ps->secs[i];

		if (s->kind != kind || (name && (!s->name || strcmp(s->name, name))))
			continue;
		for (j = 0; j < s->nkvs && s->kvs; j++)
			if (!strcmp(s->kvs[j].key, key))
				return s->kvs[j].line;
	}
	return dflt;
}

void check_cgns(struct parser *ps, const struct og_policy *p)
{
	char why[1024];
	size_t i;
	int base;

	if (!cgns_base(&base, why, sizeof(why)))
		return;
	for (i = 0; i < p->nscopes; i++) {
		const struct og_scope *s = &p->scopes[i];

		if (!s->ncgroups)
			continue;
		perr(ps, key_line(ps, SEC_SCOPE, s->name, "cgroup", s->line),
		     "scope %s: cannot match cgroup %s at the depth the kernel counts: %s",
		     s->name, s->cgroups[0].path, why);
	}
}

/*
 * Is @dir a delegation boundary?  @who then names who may write its
 * cgroup.procs: 1; 0: only root; -errno.
 */
static int delegated(const char *dir, char *who, size_t len)
{
	char procs[PATH_MAX + 16];
	struct stat st;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	if (stat(procs, &st) < 0)
		return -errno;
	if (st.st_uid != 0) {
		struct passwd *pw = getpwuid(st.st_uid);

		snprintf(who, len, "owned by uid %u%s%s%s", (unsigned int)st.st_uid,
			 pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "");
		return 1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(who, len, "writable by every user");
		return 1;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != 0) {
		struct group *gr = getgrgid(st.st_gid);

		snprintf(who, len, "writable by group %u%s%s%s", (unsigned int)st.st_gid,
			 gr ? " (" : "", gr ? gr->gr_name : "", gr ? ")" : "");
		return 1;
	}
	return 0;
}

/*
 * The delegation boundaries strictly above @path, up to and including
 * @top: the nearest in @near (with @who), the topmost in @topmost.  1 when
 * there is one, else 0.
 */
static int boundaries(const char *path, const char *top, char *near, char *who, size_t wlen,
		      char *topmost)
{
	char cur[PATH_MAX], w[256];
	int found = 0;
	char *slash;

	if (strlen(path) >= sizeof(cur))
		return 0;
	strcpy(cur, path);
	while (strcmp(cur, top) && path_within(cur, top)) {
		slash = strrchr(cur, '/');
		if (!slash || slash == cur)
			break;
		*slash = '\0';
		if (delegated(cur, w, sizeof(w)) != 1)
			continue;
		if (!found) {
			strcpy(near, cur);
			snprintf(who, wlen, "%s", w);
		}
		strcpy(topmost, cur);
		found = 1;
	}
	return found;
}

void check_delegation(struct parser *ps, const struct og_policy *p)
{
	char mnt[PATH_MAX], near[PATH_MAX], topmost[PATH_MAX], who[256];
	size_t i, j;

	if (!p->cgroup || cg2_mount(mnt, sizeof(mnt)))
		return;
	if (boundaries(p->cgroup, mnt, near, who, sizeof(who), topmost))
		pwarn(ps, key_line(ps, SEC_ENFORCER, NULL, "cgroup", 0),
		      "warning: the policy's cgroup %s lies below a delegated cgroup: %s "
		      "(cgroup.procs %s) lets that user move its processes out of %s, where no "
		      "rule applies; attach at %s instead (cgroup = %s)",
		      p->cgroup, near, who, p->cgroup, topmost, topmost);
	for (i = 0; i < p->nscopes; i++) {
		const struct og_scope *s = &p->scopes[i];

		for (j = 0; j < s->ncgroups; j++) {
			if (!boundaries(s->cgroups[j].path, p->cgroup, near, who, sizeof(who),
					topmost))
				continue;
			pwarn(ps, key_line(ps, SEC_SCOPE, s->name, "cgroup", s->line),
			      "warning: scope %s: cgroup %s lies below a delegated cgroup: %s "
			      "(cgroup.procs %s) lets that user move its processes out of the "
			      "scope and into it; scope %s instead", s->name, s->cgroups[j].path,
			      near, who, topmost);
		}
	}
}
