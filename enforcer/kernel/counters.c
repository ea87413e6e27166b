// SPDX-License-Identifier: GPL-2.0-only
/* Per-rule counters summed over the CPUs (counters.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "loader.h"
#include "optguard.skel.h"

static void add(struct og_counters *s, const struct og_counters *per, int ncpu)
{
	int c;

	for (c = 0; c < ncpu; c++) {
		s->decisions += per[c].decisions;
		s->events += per[c].events;
		s->suppressed += per[c].suppressed;
		s->dropped += per[c].dropped;
		s->connections += per[c].connections;
		s->retransmits += per[c].retransmits;
		s->rtos += per[c].rtos;
		s->closes += per[c].closes;
		s->lifetime_ns += per[c].lifetime_ns;
		s->unlogged += per[c].unlogged;
	}
}

#define BATCH	1024

/*
 * BPF_MAP_LOOKUP_BATCH (5.6+): a few syscalls for the whole map, not one per
 * rule (a 10k-rule policy: 20k lookups took ~30 ms, in the daemon's loop once
 * a second while events flow, and before a SIGHUP was seen to).  -errno when
 * the kernel has no batch lookup for this map: the caller reads one by one.
 */
static int read_batch(int fd, struct og_counters *out, size_t n, int ncpu)
{
	struct og_counters *vals = malloc((size_t)BATCH * ncpu * sizeof(*vals));
	__u32 *keys = malloc(BATCH * sizeof(*keys)), token = 0, count, i;
	void *in = NULL;
	size_t done = 0;
	int ret = 0;

	if (!vals || !keys) {
		ret = -ENOMEM;
		goto out;
	}
	while (done < n) {
		count = n - done < BATCH ? n - done : BATCH;
		ret = bpf_map_lookup_batch(fd, in, &token, keys, vals, &count, NULL);
		if (ret && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (i = 0; i < count; i++)
			if (keys[i] < n)
				add(&out[keys[i]], vals + (size_t)i * ncpu, ncpu);
		done += count;
		if (ret || count == 0) {	/* ENOENT: the end of the map */
			ret = 0;
			break;
		}
		in = &token;
	}
out:
	free(vals);
	free(keys);
	return ret;
}

int counters_read(int fd, struct og_counters *out, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct og_counters *per;
	__u32 id;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	memset(out, 0, n * sizeof(*out));
	if (n == 0 || read_batch(fd, out, n, ncpu) == 0)
		return 0;
	memset(out, 0, n * sizeof(*out));
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (id = 0; id < n; id++) {
		if (bpf_map_lookup_elem(fd, &id, per))
			continue;	/* beyond the map: a rule id of a bigger policy */
		add(&out[id], per, ncpu);
	}
	free(per);
	return 0;
}

int og_bpf_counters(struct og_bpf *b, struct og_counters *out, size_t n)
{
	if (n > b->id_cap) {
		memset(out + b->id_cap, 0, (n - b->id_cap) * sizeof(*out));
		n = b->id_cap;
	}
	return counters_read(bpf_map__fd(b->skel->maps.og_counters), out, n);
}

int og_bpf_counters_zero(struct og_bpf *b, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct og_counters *z;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	z = calloc(ncpu, sizeof(*z));
	if (!z)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.og_counters), &id, z, BPF_ANY))
		ret = -errno;
	free(z);
	return ret;
}

int og_bpf_counters_fd(struct og_bpf *b)
{
	return bpf_map__fd(b->skel->maps.og_counters);
}
