// SPDX-License-Identifier: GPL-2.0-only
/* Per-rule counters summed over the CPUs (counters.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

int counters_read(int fd, struct og_counters *out, size_t n)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct og_counters *per;
	__u32 id;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (id = 0; id < n; id++) {
		struct og_counters *s = &out[id];

		memset(s, 0, sizeof(*s));
		if (bpf_map_lookup_elem(fd, &id, per))
			continue;	/* beyond the map: a rule id of a bigger policy */
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
		}
	}
	free(per);
	return 0;
}
