/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which option this kernel's bpf_setsockopt takes at which force point:
 * measured by the force probe (bpf/probe/), never derived from a version.
 */
#ifndef OPTGUARD_PROBE_H_USER
#define OPTGUARD_PROBE_H_USER

#include <stdbool.h>

#include "policy.h"

#define OG_FP_SETSOCKOPT	(1u << 3)	/* on_change at the app's own call: always */

struct og_probe_row {
	const struct og_option *opt;
	unsigned int points;	/* OG_FP_* this kernel honours */
	int err[3];		/* per point bit 0..2: errno of the refusal, or -1: not reached */
};

struct og_force_probe {
	bool probed;		/* false: reason says why */
	char reason[256];
	char create_reason[256];	/* why nothing can be forced at create, or "" */
	struct og_probe_row rows[40];
	size_t nrows;
};

/* Probe (root; makes and removes a child cgroup of the cgroup2 mount): 0 or -errno. */
int force_probe(struct og_force_probe *pr);
/* The row of @o, or NULL (not forceable, or not probed). */
const struct og_probe_row *force_probe_row(const struct og_force_probe *pr,
					   const struct og_option *o);
/* Why @o cannot be forced at @point (one OG_FP_* bit), for messages. */
void force_probe_why(const struct og_force_probe *pr, const struct og_option *o,
		     unsigned int point, char *buf, size_t len);
const char *force_point_name(unsigned int point);

/*
 * Each point a force rule of @p names that this kernel cannot honour: one
 * the probe @pr did not find bpf_setsockopt taking the option at, or one
 * whose programs did not load (@unloaded, indexed create, connect,
 * established: why not, or NULL when loaded or not known yet).  @say gets
 * a FILE:LINE message (no newline) for each.  Returns how many.
 */
int force_policy_unsupported(const struct og_policy *p, const struct og_force_probe *pr,
			     const char *const unloaded[3], void (*say)(const char *msg));

#endif
