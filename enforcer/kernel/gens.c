// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generations of og_rules and og_force in the maps (loader.h, gens.h):
 * install a policy into the idle one and switch, mirror, verify.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gens.h"
#include "loader.h"
#include "log.h"
#include "optguard.skel.h"

/* Delete every key of generation @gen (what it holds is not known). */
static int clear_gen(int fd, __u32 gen)
{
	struct og_rule_key k, next, *prev = NULL;
	struct og_rule_key *dels = NULL;
	size_t n = 0, cap = 0, i;
	int ret = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if ((next.slot >> 31) == gen) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct og_rule_key *d = realloc(dels, ncap * sizeof(*d));

				if (!d) {
					free(dels);
					return -ENOMEM;
				}
				dels = d;
				cap = ncap;
			}
			dels[n++] = next;
		}
		k = next;
		prev = &k;
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &dels[i]) && errno != ENOENT)
			ret = -errno;
	free(dels);
	return ret;
}

/* Batched (one syscall per 4096 keys) where the kernel has it, else one by one. */
static int update_keys(int fd, const struct og_rule_key *k, const char *v, size_t vsize, size_t n)
{
	size_t i, done = 0;

	while (done < n) {
		__u32 count = n - done > 4096 ? 4096 : n - done;

		if (bpf_map_update_batch(fd, k + done, v + done * vsize, &count, NULL))
			break;	/* EINVAL on kernels without batch ops for this map: below */
		done += count;
	}
	for (i = done; i < n; i++)
		if (bpf_map_update_elem(fd, &k[i], v + i * vsize, BPF_ANY))
			return -errno;
	return 0;
}

static int delete_keys(int fd, const struct og_rule_key *k, size_t n)
{
	__u32 count = n;
	size_t i;

	if (n && bpf_map_delete_batch(fd, k, &count, NULL)) {
		/* no batch delete here (or a key already gone): one by one */
		for (i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, &k[i]) && errno != ENOENT)
				return -errno;
	}
	return 0;
}

/*
 * Make generation @gen of map @fd hold @want (NULL: nothing), writing only
 * what differs from what it holds (*@have, gen_diff()): a reload that
 * changes a few rules of a big policy costs a few map updates (bench/README.md P6).  On
 * failure what the generation holds is not known any more: the next call
 * empties it first.
 */
static int sync_gen(int fd, __u32 gen, struct og_gen_set **have, bool *unknown,
		    struct og_gen_set *want)
{
	struct og_gen_diff d;
	int ret;

	if (*have == want && !*unknown)
		return 0;
	if (*unknown) {
		ret = clear_gen(fd, gen);
		if (ret)
			return ret;
		gen_set_put(*have);
		*have = NULL;
		*unknown = false;
	}
	ret = gen_diff(*have, want, gen, &d);
	/* gone first: the map is sized for one policy per generation, not two */
	if (!ret)
		ret = delete_keys(fd, d.del, d.ndel);
	if (!ret)
		ret = update_keys(fd, d.upd, d.vals, d.vsize, d.nupd);
	gen_diff_free(&d);
	if (ret) {
		*unknown = true;
		return ret;
	}
	gen_set_put(*have);
	*have = want;
	if (want)
		want->refs++;
	return 0;
}

/* The active generation of map @fd against @want: keys missing, foreign or changed. */
static size_t verify_gen(int fd, __u32 gen, const struct og_gen_set *want, size_t vsize,
			 size_t *missing, size_t *foreign, size_t *changed)
{
	struct og_rule_key k, next, *prev = NULL;
	char val[1024];
	size_t found = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if ((next.slot >> 31) != gen)
			continue;
		next.slot &= ~(1U << 31);
		long at = gen_set_find(want, &next);

		if (at < 0) {
			(*foreign)++;
			continue;
		}
		found++;
		if (vsize <= sizeof(val) && bpf_map_lookup_elem(fd, &k, val) == 0 &&
		    memcmp(val, want->vals + (size_t)at * vsize, vsize))
			(*changed)++;
	}
	*missing += (want ? want->n : 0) - found;
	return *missing + *foreign + *changed;
}

int og_bpf_verify(struct og_bpf *b, char *why, size_t len)
{
	static const char *const what[2] = { "rule", "force" };
	size_t vsizes[2] = { sizeof(struct og_rule), sizeof(struct og_force_set) };
	int m, bad = 0;

	why[0] = '\0';
	for (m = 0; m < 2; m++) {
		int fd = bpf_map__fd(m ? b->skel->maps.og_force : b->skel->maps.og_rules);
		size_t missing = 0, foreign = 0, changed = 0, at = strlen(why);
		size_t diff = 0;
		__u32 g;

		/*
		 * Both generations: the idle one is what the next reload writes only
		 * the differences into, so a key changed there would go live with it.
		 * One whose update failed is skipped: the next install rewrites it whole.
		 */
		for (g = 0; g < OG_NGENS; g++)
			if (!b->unknown[m][g])
				diff += verify_gen(fd, g, b->held[m][g], vsizes[m], &missing,
						   &foreign, &changed);
		if (!diff)
			continue;
		snprintf(why + at, len - at, "%s%zu %s keys missing, %zu foreign, %zu changed",
			 at ? "; " : "", missing, what[m], foreign, changed);
		/* what either generation holds is no longer known: the next install clears it */
		b->unknown[m][0] = b->unknown[m][1] = true;
		bad++;
	}
	return bad;
}

int og_bpf_install(struct og_bpf *b, const struct og_encoding *enc)
{
	struct optguard_bpf *s = b->skel;
	int rules_fd = bpf_map__fd(s->maps.og_rules);
	int other_fd = bpf_map__fd(s->maps.og_other_slots);
	int force_fd = bpf_map__fd(s->maps.og_force);
	__u32 active = __atomic_load_n(&s->bss->og_active_gen, __ATOMIC_ACQUIRE) & 1;
	__u32 idle = active ^ 1;
	struct og_gen_set *rules, *force;
	size_t i;
	int ret;

	if (enc->nkeys > b->key_cap / 2 || enc->nids > b->id_cap) {
		log_warnx("bpf: the policy needs %zu keys and %zu rule ids, the maps were sized "
			  "for %zu and %zu: restart optguard to load it", enc->nkeys, enc->nids,
			  b->key_cap / 2, b->id_cap);
		return -E2BIG;
	}
	if (enc->nfkeys > b->key_cap / 2) {
		log_warnx("bpf: the policy needs %zu force keys, the map was sized for %zu: "
			  "restart optguard to load it", enc->nfkeys, b->key_cap / 2);
		return -E2BIG;
	}
	rules = gen_set_new(enc->keys, enc->vals, sizeof(*enc->vals), enc->nkeys);
	force = gen_set_new(enc->fkeys, enc->fsets, sizeof(*enc->fsets), enc->nfkeys);
	if (!rules || !force) {
		gen_set_put(rules);
		gen_set_put(force);
		return -ENOMEM;
	}
	ret = sync_gen(rules_fd, idle, &b->held[0][idle], &b->unknown[0][idle], rules);
	if (ret) {
		log_warnx("bpf: cannot add the rules: %s", strerror(-ret));
		goto out;
	}
	/* other slots are shared by both generations: only ever added */
	for (i = 0; i < enc->nother; i++) {
		if (bpf_map_update_elem(other_fd, &enc->other[i].key, &enc->other[i].slot,
					BPF_ANY)) {
			ret = -errno;
			log_warn("bpf: cannot add an option slot");
			goto out;
		}
	}
	/* the force keys follow the same generation: filled while idle, live with the flip */
	ret = sync_gen(force_fd, idle, &b->held[1][idle], &b->unknown[1][idle], force);
	if (ret) {
		log_warnx("bpf: cannot add the force keys: %s", strerror(-ret));
		goto out;
	}
	s->bss->og_force_info[idle] = enc->force_info;
	memcpy(s->bss->og_slot_info[idle], enc->slot_info, sizeof(enc->slot_info));
	s->bss->og_cfg[idle] = enc->cfg;
	s->bss->og_cfg[idle].lsm = b->grp[OG_G_LSM].active;
	/* the switch: one aligned 32-bit store, after everything above is visible */
	__atomic_store_n(&s->bss->og_active_gen, idle, __ATOMIC_RELEASE);
	ret = idle;
out:
	gen_set_put(rules);
	gen_set_put(force);
	return ret;
}

int og_bpf_rebind(struct og_bpf *b, const struct og_encoding *enc)
{
	struct optguard_bpf *s = b->skel;
	int fds[2] = { bpf_map__fd(s->maps.og_rules), bpf_map__fd(s->maps.og_force) };
	int other_fd = bpf_map__fd(s->maps.og_other_slots);
	__u32 active = __atomic_load_n(&s->bss->og_active_gen, __ATOMIC_ACQUIRE) & 1;
	__u32 idle = active ^ 1, g;
	struct og_gen_set *want[2];
	bool both[2];
	size_t i;
	int m, ret = 0;

	/* what the active generation holds must be known, else a full install */
	if (b->unknown[0][active] || b->unknown[1][active])
		return -EAGAIN;
	if (enc->nkeys > b->key_cap / 2 || enc->nids > b->id_cap || enc->nfkeys > b->key_cap / 2)
		return -E2BIG;
	want[0] = gen_set_new(enc->keys, enc->vals, sizeof(*enc->vals), enc->nkeys);
	want[1] = gen_set_new(enc->fkeys, enc->fsets, sizeof(*enc->fsets), enc->nfkeys);
	if (!want[0] || !want[1]) {
		ret = -ENOMEM;
		goto out;
	}
	/* the idle generation too, where it holds what the active one does (mirrored) */
	for (m = 0; m < 2; m++)
		both[m] = b->held[m][idle] == b->held[m][active] && !b->unknown[m][idle];
	for (i = 0; i < enc->nother; i++)
		if (bpf_map_update_elem(other_fd, &enc->other[i].key, &enc->other[i].slot,
					BPF_ANY)) {
			ret = -errno;
			goto out;
		}
	/*
	 * The levels first (a level with no key yet costs a lookup that misses),
	 * then the keys: a new cgroup's keys appear one by one, each in one map
	 * update; a removed cgroup's go, and no task can be in it any more.
	 */
	for (g = 0; g < OG_NGENS; g++) {
		if (g != active && !both[0])
			continue;
		for (i = 0; i < OG_NSLOTS; i++)
			__atomic_or_fetch(&s->bss->og_slot_info[g][i], enc->slot_info[i],
					  __ATOMIC_RELEASE);
		__atomic_or_fetch(&s->bss->og_force_info[g], enc->force_info, __ATOMIC_RELEASE);
	}
	for (m = 0; m < 2 && !ret; m++) {
		ret = sync_gen(fds[m], active, &b->held[m][active], &b->unknown[m][active], want[m]);
		if (!ret && both[m])
			ret = sync_gen(fds[m], idle, &b->held[m][idle], &b->unknown[m][idle],
				       want[m]);
	}
out:
	gen_set_put(want[0]);
	gen_set_put(want[1]);
	return ret;
}

int og_bpf_mirror(struct og_bpf *b)
{
	__u32 active = __atomic_load_n(&b->skel->bss->og_active_gen, __ATOMIC_ACQUIRE) & 1;
	__u32 old = active ^ 1;
	int ret, m;

	if (b->held[0][old] == b->held[0][active] && b->held[1][old] == b->held[1][active] &&
	    !b->unknown[0][old] && !b->unknown[1][old])
		return 0;
	/*
	 * A program that read og_active_gen before the switch may still be
	 * looking the old generation up: they run inside rcu_read_lock(), and
	 * MEMBARRIER_CMD_GLOBAL is synchronize_rcu().  With one CPU online it
	 * returns at once, without a grace period (and nohz_full refuses it):
	 * the old generation then stays as it is, and the next install brings it
	 * up to date from what it holds.
	 */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return 0;
	for (m = 0; m < 2; m++) {
		int fd = bpf_map__fd(m ? b->skel->maps.og_force : b->skel->maps.og_rules);

		ret = sync_gen(fd, old, &b->held[m][old], &b->unknown[m][old], b->held[m][active]);
		if (ret)
			return ret;
	}
	return 0;
}

void gens_release(struct og_bpf *b)
{
	int m, g;

	for (m = 0; m < 2; m++)
		for (g = 0; g < OG_NGENS; g++) {
			gen_set_put(b->held[m][g]);
			b->held[m][g] = NULL;
		}
}
