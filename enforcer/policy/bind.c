// SPDX-License-Identifier: GPL-2.0-only
/* Selectors and binding tables (bind.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bind.h"
#include "cgroup.h"
#include "cgroupns.h"

bool bind_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int bind_prio(const struct og_scope_cgroup *sel)
{
	const char *c;
	int lit = 0;

	switch (sel->kind) {
	case OG_SEL_PATH:
		return 2 << 20;
	case OG_SEL_UNIT:
		return 1 << 20;
	case OG_SEL_GLOB:
		break;
	}
	for (c = sel->path; *c && lit < (1 << 20) - 1; c++)
		if (!strchr("*?[]", *c))
			lit++;
	return lit;
}

/* The next component of *@p ('/'-separated): its length, *@p moved past it; 0 at the end. */
static size_t next_comp(const char **p, const char **start)
{
	const char *s = *p;
	size_t n;

	while (*s == '/')
		s++;
	n = strcspn(s, "/");
	*start = s;
	*p = s + n;
	return n;
}

/*
 * Compare @path with the pattern @pat component by component: the number
 * of components of @path that match (all of them: its count), or -1 at the
 * first that does not; *@npat gets the pattern's count.
 */
static int comp_match(const char *pat, const char *path, int *npat)
{
	char pc[NAME_MAX + 1], xc[NAME_MAX + 1];
	const char *ps, *xs;
	size_t pn, xn;
	int matched = 0, n = 0;
	const char *p = pat, *x = path;

	while ((pn = next_comp(&p, &ps)))
		n++;
	*npat = n;
	p = pat;
	while ((xn = next_comp(&x, &xs))) {
		pn = next_comp(&p, &ps);
		if (!pn || pn > NAME_MAX || xn > NAME_MAX)
			return -1;
		memcpy(pc, ps, pn);
		pc[pn] = '\0';
		memcpy(xc, xs, xn);
		xc[xn] = '\0';
		if (fnmatch(pc, xc, FNM_PERIOD))
			return -1;
		matched++;
	}
	return matched;
}

/*
 * The real depth of the cgroup2 mount's root (cgroupns.h): levels are the
 * kernel's, counted from the real root, whatever namespace optguard is in.
 */
static int mount_base(void)
{
	int base;

	return cgns_base(&base, NULL, 0) ? 0 : base;
}

static int depth_below(const char *mnt, const char *path)
{
	const char *r;
	int d = mount_base();

	if (!path_within(path, mnt))
		return -1;
	for (r = path + strlen(mnt); *r; r++)
		if (*r == '/' && r[1])
			d++;
	return d;
}

int bind_match(const struct og_scope_cgroup *sel, const char *mnt, const char *enf,
	       const char *path)
{
	const char *base;
	int npat, m;

	(void)mnt;
	switch (sel->kind) {
	case OG_SEL_PATH:
		return !strcmp(sel->path, path);
	case OG_SEL_GLOB:
		m = comp_match(sel->path, path, &npat);
		return m >= 0 && m == npat;
	case OG_SEL_UNIT:
		if (!path_within(path, enf))
			return 0;
		base = strrchr(path, '/');
		return base && !strcmp(base + 1, sel->path);
	}
	return 0;
}

int bind_below(const struct og_scope_cgroup *sel, const char *mnt, const char *enf,
	       const char *path)
{
	int npat, m;

	(void)mnt;
	switch (sel->kind) {
	case OG_SEL_PATH:
		return path_within(sel->path, path) && strcmp(sel->path, path);
	case OG_SEL_GLOB:
		m = comp_match(sel->path, path, &npat);
		return m >= 0 && m < npat;
	case OG_SEL_UNIT:
		return path_within(path, enf);
	}
	return 0;
}

int bind_covers(const struct og_scope_cgroup *sel, const char *mnt, const char *enf,
		const char *path)
{
	char buf[PATH_MAX];
	int best = -1;
	size_t n;

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	/* the caller's cgroup, then each ancestor: the deepest that matches */
	for (;;) {
		if (bind_match(sel, mnt, enf, buf)) {
			best = depth_below(mnt, buf);
			break;
		}
		n = strlen(buf);
		while (n > 1 && buf[n - 1] != '/')
			n--;
		if (n <= 1)
			break;
		buf[n - 1] = '\0';
	}
	return best;
}

int bindings_add(struct og_bind_table *t, size_t *cap, const struct og_binding *b)
{
	if (t->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct og_binding *nb = realloc(t->b, ncap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		t->b = nb;
		*cap = ncap;
	}
	t->b[t->n++] = *b;
	return 0;
}

struct walk {
	const struct og_policy *p;
	const char *mnt;
	struct og_bind_table *t;
	size_t cap;
	int ret;
};

/* Bind @path to every selector naming it; then the directories below that one could name. */
static void walk_dir(struct walk *w, const char *path, int depth)
{
	bool below = false;
	struct dirent *e;
	struct stat st;
	size_t s, c;
	DIR *d;

	for (s = 0; s < w->p->nscopes && !w->ret; s++) {
		const struct og_scope *sc = &w->p->scopes[s];

		for (c = 0; c < sc->ncgroups && !w->ret; c++) {
			const struct og_scope_cgroup *sel = &sc->cgroups[c];

			if (sel->kind == OG_SEL_PATH)
				continue;	/* bindings_static() stats it */
			if (bind_below(sel, w->mnt, w->p->cgroup, path))
				below = true;
			if (depth >= OG_CG_LEVELS || !bind_match(sel, w->mnt, w->p->cgroup, path) ||
			    stat(path, &st))
				continue;
			w->ret = bindings_add(w->t, &w->cap, &(struct og_binding){
				.scope = s, .sel = c, .id = st.st_ino, .level = depth,
				.prio = bind_prio(sel) });
		}
	}
	if (!below || w->ret || !(d = opendir(path)))
		return;
	while ((e = readdir(d)) && !w->ret) {
		char sub[PATH_MAX];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "",
				     e->d_name) >= sizeof(sub))
			continue;
		walk_dir(w, sub, depth + 1);
	}
	closedir(d);
}

int bindings_static(const struct og_policy *p, struct og_bind_table *out)
{
	char mnt[PATH_MAX];
	struct walk w = { .p = p, .t = out };
	size_t s;
	bool any = false;

	memset(out, 0, sizeof(*out));
	if (cg2_mount(mnt, sizeof(mnt)))
		return 0;
	for (s = 0; s < p->nscopes && !w.ret; s++) {
		const struct og_scope *sc = &p->scopes[s];
		size_t c;

		for (c = 0; c < sc->ncgroups && !w.ret; c++) {
			const struct og_scope_cgroup *sel = &sc->cgroups[c];
			__u64 id;
			int level;

			if (sel->kind != OG_SEL_PATH) {
				any = true;
				continue;
			}
			if (cg_info(sel->path, &id, &level) || level >= OG_CG_LEVELS)
				continue;	/* not there (yet) */
			w.ret = bindings_add(out, &w.cap, &(struct og_binding){
				.scope = s, .sel = c, .id = id, .level = level,
				.prio = bind_prio(sel) });
		}
	}
	w.mnt = mnt;
	if (any && !w.ret)
		walk_dir(&w, mnt, mount_base());
	if (w.ret)
		bindings_free(out);
	return w.ret;
}

void bindings_free(struct og_bind_table *t)
{
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct og_binding *x = a, *y = b;

	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return y->prio - x->prio;	/* the highest first */
}

static int id_cmp(const void *a, const void *b)
{
	const struct og_scope_cgroup *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int bind_expand(const struct og_policy *p, const struct og_bind_table *t, struct og_bind_expand *x)
{
	struct og_binding *v;
	size_t n = 0, i, s, o = 0, first;

	memset(x, 0, sizeof(*x));
	x->scopes = calloc(p->nscopes + 1, sizeof(*x->scopes));
	v = malloc((t->n ? t->n : 1) * sizeof(*v));
	x->cgs = calloc(t->n ? t->n : 1, sizeof(*x->cgs));
	if (!x->scopes || !v || !x->cgs) {
		free(v);
		bind_expand_free(x);
		return -ENOMEM;
	}
	if (t->n) {
		memcpy(v, t->b, t->n * sizeof(*v));
		qsort(v, t->n, sizeof(*v), ent_cmp);
	}
	for (s = 0; s < p->nscopes; s++) {
		first = o;
		while (n < t->n && v[n].scope < s)
			n++;
		for (; n < t->n && v[n].scope == s; n++) {
			/* one entry per cgroup of a scope: its best selector */
			if (o > first && x->cgs[o - 1].id == v[n].id)
				continue;
			x->cgs[o++] = (struct og_scope_cgroup){ .kind = OG_SEL_PATH, .id = v[n].id,
							      .level = v[n].level, .prio = v[n].prio };
		}
		x->scopes[s] = (struct og_scope_binding){ .cg = x->cgs + first, .n = o - first };
	}
	x->b = (struct og_bindings){ .scope = x->scopes, .nscopes = p->nscopes };
	/* a cgroup in two scopes? */
	if (o > 1) {
		struct og_scope_cgroup *c = malloc(o * sizeof(*c));

		if (c) {
			memcpy(c, x->cgs, o * sizeof(*c));
			qsort(c, o, sizeof(*c), id_cmp);
			for (i = 1; i < o && !x->b.shared; i++)
				x->b.shared = c[i].id == c[i - 1].id;
			free(c);
		} else {
			x->b.shared = true;
		}
	}
	free(v);
	return 0;
}

void bind_expand_free(struct og_bind_expand *x)
{
	free(x->scopes);
	free(x->cgs);
	memset(x, 0, sizeof(*x));
}
