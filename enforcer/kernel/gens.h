/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two generations of og_rules and og_force (bpf/optguard.h): what each
 * holds (struct og_gen_set), and what a reload writes into the idle one to
 * make it hold a new policy: only the keys added, changed or removed
 * (gendiff.c, pure).  gens.c writes that into the maps.
 */
#ifndef OPTGUARD_GENS_H
#define OPTGUARD_GENS_H

#include <stddef.h>
#include <linux/types.h>

#include "bpf/optguard.h"

struct og_bpf;

/*
 * What one generation holds: keys (without the generation bit) sorted, and
 * their values.  Shared, counted, by the two generations once they hold the
 * same.
 */
struct og_gen_set {
	int refs;
	size_t n, vsize;
	struct og_rule_key *keys;
	char *vals;
};

/* @n keys and values (@vsize bytes each) of an encoding, sorted by key: NULL when out of memory. */
struct og_gen_set *gen_set_new(const struct og_rule_key *keys, const void *vals, size_t vsize,
			       size_t n);
void gen_set_put(struct og_gen_set *s);
/* Where @k (generation bit cleared) is in @s (NULL: empty), or -1. */
long gen_set_find(const struct og_gen_set *s, const struct og_rule_key *k);

/* What a generation's map needs written; keys carry the generation bit. */
struct og_gen_diff {
	struct og_rule_key *del;	/* keys to delete */
	size_t ndel;
	struct og_rule_key *upd;	/* keys to add or change, */
	char *vals;			/* with their values */
	size_t nupd, vsize;
};

/*
 * What makes generation @gen, holding @have (NULL: nothing), hold @want
 * (NULL: nothing): the keys it holds that @want lacks, and those @want has
 * that it lacks or holds with another value; nothing else.  0 or -ENOMEM.
 */
int gen_diff(const struct og_gen_set *have, const struct og_gen_set *want, __u32 gen,
	     struct og_gen_diff *d);
void gen_diff_free(struct og_gen_diff *d);

/* Drop what @b's generations are recorded to hold (og_bpf_close). */
void gens_release(struct og_bpf *b);

#endif
