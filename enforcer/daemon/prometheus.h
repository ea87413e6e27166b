/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-rule counters as a Prometheus text file, for node_exporter's
 * textfile collector (`optguard status --prometheus FILE`):
 *
 *   optguard_info{mode,default,hooks,policy,policy_sha256}   gauge, always 1
 *   optguard_daemon_running, optguard_lsm_active             gauges, 0 or 1
 *   optguard_rule_{decisions,events,events_suppressed,events_dropped}_total{rule}
 *   optguard_rule_{connections,closes,retransmits,rtos}_total{rule}   force rules
 *
 * The counters start at 0 when a daemon loads a policy (a reload too):
 * Prometheus' rate() takes that as a counter reset.
 */
#ifndef OPTGUARD_PROMETHEUS_H
#define OPTGUARD_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bpf/optguard.h"

struct og_prom_info {
	const char *mode;		/* enforce | audit */
	const char *default_action;	/* allow | deny */
	const char *hooks;		/* as the state file names them */
	const char *policy;		/* the policy file */
	const char *sha256;		/* its hash */
	bool daemon;			/* a daemon runs (else: pinned enforcement only) */
	bool lsm;			/* the LSM hook enforces (else cgroup-only) */
};

struct og_prom_rule {
	const char *name;
	struct og_counters c;		/* summed over the CPUs */
};

/*
 * Write a label value escaped as the exposition format wants it: \\, \" and
 * \n; bytes that are not UTF-8 become U+FFFD (node_exporter rejects a file
 * that is not UTF-8 as a whole).
 */
void prom_escape(FILE *f, const char *s);
/* The whole text; 0, or -EIO when @f failed. */
int prom_format(FILE *f, const struct og_prom_info *info, const struct og_prom_rule *rules,
		size_t nrules);
/*
 * Write it to @path atomically: a temporary file in the same directory,
 * mode 0644, fsync, rename; node_exporter never sees half a file.  "-" is
 * stdout.  0, or -errno (logged, the temporary file removed).
 */
int prom_write(const char *path, const struct og_prom_info *info,
	       const struct og_prom_rule *rules, size_t nrules);

#endif
