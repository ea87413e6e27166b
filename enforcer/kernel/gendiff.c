// SPDX-License-Identifier: GPL-2.0-only
/* What a generation holds, and what makes it hold another (gens.h): no map, no kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "gens.h"

void gen_set_put(struct og_gen_set *s)
{
	if (s && --s->refs == 0) {
		free(s->keys);
		free(s->vals);
		free(s);
	}
}

static int idx_cmp(const void *a, const void *b, void *keys)
{
	const struct og_rule_key *k = keys;

	return og_key_cmp(&k[*(const __u32 *)a], &k[*(const __u32 *)b]);
}

struct og_gen_set *gen_set_new(const struct og_rule_key *keys, const void *vals, size_t vsize,
			       size_t n)
{
	struct og_gen_set *s = calloc(1, sizeof(*s));
	__u32 *idx = malloc((n ? n : 1) * sizeof(*idx));
	size_t i;

	if (!s || !idx)
		goto fail;
	s->refs = 1;
	s->n = n;
	s->vsize = vsize;
	s->keys = malloc((n ? n : 1) * sizeof(*s->keys));
	s->vals = malloc((n ? n : 1) * vsize);
	if (!s->keys || !s->vals)
		goto fail;
	for (i = 0; i < n; i++)
		idx[i] = i;
	if (n)
		qsort_r(idx, n, sizeof(*idx), idx_cmp, (void *)keys);
	for (i = 0; i < n; i++) {
		s->keys[i] = keys[idx[i]];
		memcpy(s->vals + i * vsize, (const char *)vals + (size_t)idx[i] * vsize, vsize);
	}
	free(idx);
	return s;
fail:
	free(idx);
	if (s) {
		free(s->keys);
		free(s->vals);
		free(s);
	}
	return NULL;
}

long gen_set_find(const struct og_gen_set *s, const struct og_rule_key *k)
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = og_key_cmp(&s->keys[mid], k);

		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int gen_diff(const struct og_gen_set *have, const struct og_gen_set *want, __u32 gen,
	     struct og_gen_diff *d)
{
	static const struct og_gen_set none;
	const struct og_gen_set *h = have ? have : &none, *w = want ? want : &none;
	size_t vsize = w->vsize ? w->vsize : h->vsize;
	size_t i = 0, j = 0;
	int c;

	memset(d, 0, sizeof(*d));
	d->vsize = vsize;
	d->del = malloc((h->n ? h->n : 1) * sizeof(*d->del));
	d->upd = malloc((w->n ? w->n : 1) * sizeof(*d->upd));
	d->vals = malloc((w->n ? w->n : 1) * (vsize ? vsize : 1));
	if (!d->del || !d->upd || !d->vals) {
		gen_diff_free(d);
		return -ENOMEM;
	}
	/* both sorted: one merge */
	while (i < h->n || j < w->n) {
		c = i == h->n ? 1 : j == w->n ? -1 : og_key_cmp(&h->keys[i], &w->keys[j]);
		if (c < 0) {
			d->del[d->ndel] = h->keys[i++];
			d->del[d->ndel++].slot |= gen << 31;
			continue;
		}
		if (c > 0 || memcmp(h->vals + i * vsize, w->vals + j * vsize, vsize)) {
			d->upd[d->nupd] = w->keys[j];
			d->upd[d->nupd].slot |= gen << 31;
			memcpy(d->vals + d->nupd * vsize, w->vals + j * vsize, vsize);
			d->nupd++;
		}
		if (c == 0)
			i++;
		j++;
	}
	return 0;
}

void gen_diff_free(struct og_gen_diff *d)
{
	free(d->del);
	free(d->upd);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}
