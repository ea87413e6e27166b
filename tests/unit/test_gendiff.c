// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generation diff (enforcer/kernel/gendiff.c): what a reload writes into
 * the idle generation of og_rules or og_force to make it hold the new
 * policy.  Exactly the keys removed (to delete), and the keys added or whose
 * value changed (to update, with the new value), each with the generation
 * bit of the generation written; nothing for a key that stays as it is.
 * The real gen_set_new() and gen_diff() are called, no map, no kernel; a
 * random case is checked against a plain quadratic reference.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gens.h"
#include "tap.h"

#define GEN_BIT	(1u << 31)

static struct og_rule_key key(__u32 slot, __u32 uid, __u64 cgid)
{
	return (struct og_rule_key){ .slot = slot, .uid = uid, .cgid = cgid };
}

static bool key_eq(const struct og_rule_key *a, const struct og_rule_key *b)
{
	return a->slot == b->slot && a->uid == b->uid && a->cgid == b->cgid;
}

/* Is @k (with @gen's bit) among the @n keys of @ks?  Its index, or -1. */
static long in(const struct og_rule_key *ks, size_t n, struct og_rule_key k, __u32 gen)
{
	size_t i;

	k.slot |= gen << 31;
	for (i = 0; i < n; i++)
		if (key_eq(&ks[i], &k))
			return i;
	return -1;
}

static struct og_gen_set *set_of(const struct og_rule_key *k, const struct og_rule *v, size_t n)
{
	struct og_gen_set *s = gen_set_new(k, v, sizeof(*v), n);

	if (!s)
		exit(2);
	return s;
}

static struct og_rule rule(__u32 id, __u64 hi)
{
	struct og_rule r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.hi = hi;
	return r;
}

/* A reload that adds, changes and removes one key each, and keeps one. */
static void test_edit(void)
{
	/* unsorted on purpose: encodings are not sorted */
	struct og_rule_key hk[] = { key(3, 0, 0), key(1, 0, 0), key(2, 1000, 0) };
	struct og_rule hv[] = { rule(3, 30), rule(1, 10), rule(2, 20) };
	struct og_rule_key wk[] = { key(4, 0, 7), key(2, 1000, 0), key(3, 0, 0) };
	struct og_rule wv[] = { rule(4, 40), rule(2, 20), rule(3, 31) };
	struct og_gen_set *have = set_of(hk, hv, 3), *want = set_of(wk, wv, 3);
	struct og_gen_diff d;
	long at;

	if (!ASSERT_OK(gen_diff(have, want, 1, &d), "edit: diff computed"))
		return;
	ASSERT_EQ(d.ndel, 1, "edit: one key to delete");
	ASSERT_TRUE(d.ndel == 1 && key_eq(&d.del[0], &(struct og_rule_key){ 1 | GEN_BIT, 0, 0 }),
		    "edit: the key removed is deleted, with generation 1's bit");
	ASSERT_EQ(d.nupd, 2, "edit: two keys to write (one added, one changed)");
	ASSERT_EQ(d.vsize, sizeof(struct og_rule), "edit: values are the map's");
	at = in(d.upd, d.nupd, key(4, 0, 7), 1);
	ASSERT_TRUE(at >= 0 && ((struct og_rule *)d.vals)[at].hi == 40,
		    "edit: the key added is written with its value");
	at = in(d.upd, d.nupd, key(3, 0, 0), 1);
	ASSERT_TRUE(at >= 0 && ((struct og_rule *)d.vals)[at].hi == 31,
		    "edit: the key whose value changed is written with the new value");
	ASSERT_EQ(in(d.upd, d.nupd, key(2, 1000, 0), 1), -1,
		  "edit: the key that stays as it is is not written");
	gen_diff_free(&d);

	/* the same into generation 0: no generation bit */
	if (ASSERT_OK(gen_diff(have, want, 0, &d), "edit, generation 0: diff computed")) {
		ASSERT_TRUE(d.ndel == 1 && d.del[0].slot == 1,
			    "edit, generation 0: the deleted key has no generation bit");
		ASSERT_TRUE(in(d.upd, d.nupd, key(4, 0, 7), 0) >= 0 &&
			    in(d.upd, d.nupd, key(3, 0, 0), 0) >= 0,
			    "edit, generation 0: the written keys have no generation bit");
		gen_diff_free(&d);
	}
	gen_set_put(have);
	gen_set_put(want);
}

/* Nothing to nothing, nothing to all, all to nothing, the same to the same. */
static void test_whole(void)
{
	struct og_rule_key k[] = { key(5, 0, 0), key(5, 0, 9), key(5, 1, 0), key(6, 0, 0) };
	struct og_rule v[] = { rule(1, 1), rule(2, 2), rule(3, 3), rule(4, 4) };
	struct og_gen_set *a = set_of(k, v, 4), *b = set_of(k, v, 4);
	struct og_gen_diff d;
	size_t i;
	bool all;

	if (ASSERT_OK(gen_diff(NULL, NULL, 1, &d), "empty to empty: diff computed")) {
		ASSERT_TRUE(d.ndel == 0 && d.nupd == 0, "empty to empty: nothing written");
		gen_diff_free(&d);
	}
	if (ASSERT_OK(gen_diff(NULL, a, 1, &d), "empty to a policy: diff computed")) {
		ASSERT_TRUE(d.ndel == 0 && d.nupd == 4, "empty to a policy: every key written");
		for (i = 0, all = d.nupd == 4; i < 4 && all; i++)
			all = in(d.upd, d.nupd, k[i], 1) >= 0;
		ASSERT_TRUE(all, "empty to a policy: keys that differ only by uid or cgroup "
			    "are distinct keys");
		gen_diff_free(&d);
	}
	if (ASSERT_OK(gen_diff(a, NULL, 1, &d), "a policy to empty: diff computed")) {
		ASSERT_TRUE(d.ndel == 4 && d.nupd == 0, "a policy to empty: every key deleted");
		gen_diff_free(&d);
	}
	if (ASSERT_OK(gen_diff(a, b, 1, &d), "the same policy again: diff computed")) {
		ASSERT_TRUE(d.ndel == 0 && d.nupd == 0, "the same policy again: nothing written");
		gen_diff_free(&d);
	}
	for (i = 0, all = true; i < 4; i++)
		all = all && gen_set_find(a, &k[i]) >= 0 &&
		      !memcmp(a->vals + gen_set_find(a, &k[i]) * a->vsize, &v[i], sizeof(v[i]));
	ASSERT_TRUE(all, "a set finds each of its keys, with its value");
	ASSERT_EQ(gen_set_find(a, &(struct og_rule_key){ 5, 2, 0 }), -1,
		  "a set does not find a key it lacks");
	gen_set_put(a);
	gen_set_put(b);
}

/* Random policies against the plain reference: deleted = have - want, written = the rest. */
static void test_random(void)
{
	enum { N = 600, ROUNDS = 20 };
	static struct og_rule_key hk[N], wk[N];
	static struct og_rule hv[N], wv[N];
	int round, bad = 0;

	srand(17);
	for (round = 0; round < ROUNDS; round++) {
		size_t nh = 0, nw = 0, i, j, ndel = 0, nupd = 0;
		__u32 gen = round & 1;
		struct og_gen_set *h, *w;
		struct og_gen_diff d;

		/* key x of a space of N, in each with odds 3 in 5: they overlap, no duplicates */
		for (i = 0; i < N; i++) {
			struct og_rule_key k = key(i % 97, i / 97, i % 5 ? 0 : 4242);

			if (rand() % 5 < 3) {
				hk[nh] = k;
				hv[nh++] = rule(i, rand() % 3);
			}
			if (rand() % 5 < 3) {
				wk[nw] = k;
				wv[nw++] = rule(i, rand() % 3);
			}
		}
		h = set_of(hk, hv, nh);
		w = set_of(wk, wv, nw);
		if (gen_diff(h, w, gen, &d)) {
			bad++;
			break;
		}
		for (i = 0; i < nh; i++) {
			long at = in(wk, nw, hk[i], 0);

			if (at < 0) {
				ndel++;
				bad += in(d.del, d.ndel, hk[i], gen) < 0;
			}
		}
		for (j = 0; j < nw; j++) {
			long at = in(hk, nh, wk[j], 0), u = in(d.upd, d.nupd, wk[j], gen);

			if (at < 0 || memcmp(&hv[at], &wv[j], sizeof(wv[j]))) {
				nupd++;
				bad += u < 0 || memcmp(d.vals + u * d.vsize, &wv[j], sizeof(wv[j]));
			}
		}
		bad += ndel != d.ndel || nupd != d.nupd;
		gen_diff_free(&d);
		gen_set_put(h);
		gen_set_put(w);
	}
	ASSERT_EQ(bad, 0, "20 random reloads: exactly the keys removed deleted, the keys "
		  "added or changed written with their values");
}

int main(void)
{
	test_edit();
	test_whole();
	test_random();
	return done_testing();
}
