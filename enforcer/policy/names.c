// SPDX-License-Identifier: GPL-2.0-only
/* The name index of the policy parser (names.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

static size_t nh_hash(int kind, const char *name)
{
	size_t h = 14695981039346656037ull ^ (size_t)kind;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return h ^ (h >> 29);	/* FNV's low bits alone index the table poorly */
}

long nh_get(const struct name_hash *h, int kind, const char *name)
{
	size_t hash, i;
	unsigned int tag;

	if (!h->cap)
		return -1;
	hash = nh_hash(kind, name);
	tag = (unsigned int)(hash >> 32);
	for (i = hash & (h->cap - 1); h->e[i].name; i = (i + 1) & (h->cap - 1))
		if (h->e[i].tag == tag && h->e[i].kind == kind && !strcmp(h->e[i].name, name))
			return h->e[i].idx;
	return -1;
}

static int nh_grow(struct name_hash *h, size_t cap)
{
	struct name_hash g = { .cap = cap };
	size_t i, j;

	g.e = calloc(g.cap, sizeof(*g.e));
	if (!g.e)
		return -ENOMEM;
	for (i = 0; i < h->cap; i++) {
		if (!h->e[i].name)
			continue;
		for (j = (nh_hash(h->e[i].kind, h->e[i].name)) & (g.cap - 1); g.e[j].name;
		     j = (j + 1) & (g.cap - 1))
			;
		g.e[j] = h->e[i];
		g.n++;
	}
	free(h->e);
	*h = g;
	return 0;
}

int nh_reserve(struct name_hash *h, size_t n)
{
	size_t cap = h->cap ? h->cap : 64;

	while ((h->n + n) * 2 > cap)
		cap *= 2;
	return cap > h->cap ? nh_grow(h, cap) : 0;
}

long nh_add(struct name_hash *h, int kind, const char *name, long idx)
{
	size_t hash, i;
	unsigned int tag;

	if ((h->n + 1) * 2 > h->cap && nh_grow(h, h->cap ? h->cap * 2 : 64))
		return -ENOMEM;
	hash = nh_hash(kind, name);
	tag = (unsigned int)(hash >> 32);
	for (i = hash & (h->cap - 1); h->e[i].name; i = (i + 1) & (h->cap - 1))
		if (h->e[i].tag == tag && h->e[i].kind == kind && !strcmp(h->e[i].name, name))
			return h->e[i].idx;
	h->e[i] = (struct name_ent){ .name = name, .tag = tag, .kind = kind, .idx = idx };
	h->n++;
	return -1;
}

int nh_put(struct name_hash *h, int kind, const char *name, long idx)
{
	size_t hash, i;

	if ((h->n + 1) * 2 > h->cap && nh_grow(h, h->cap ? h->cap * 2 : 64))
		return -ENOMEM;
	hash = nh_hash(kind, name);
	for (i = hash & (h->cap - 1); h->e[i].name; i = (i + 1) & (h->cap - 1))
		;
	h->e[i] = (struct name_ent){ .name = name, .tag = (unsigned int)(hash >> 32), .kind = kind,
				     .idx = idx };
	h->n++;
	return 0;
}

void nh_free(struct name_hash *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}
