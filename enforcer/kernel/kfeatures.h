/* SPDX-License-Identifier: GPL-2.0-only */
/* (not features.h: that name would shadow glibc's <features.h>) */
/*
 * What this kernel offers optguard, probed (never derived from the version):
 * for `optguard options` and the start-up messages.
 */
#ifndef OPTGUARD_KFEATURES_H
#define OPTGUARD_KFEATURES_H

#include <stdbool.h>

struct og_features {
	bool probed;		/* false: could not probe (not root) */
	bool lsm_listed;	/* "bpf" in /sys/kernel/security/lsm */
	bool lsm_list_known;	/* securityfs told us */
	bool lsm_loadable;	/* BPF_PROG_TYPE_LSM programs load */
	bool set_retval;	/* bpf_set_retval in cgroup/setsockopt */
	bool task_helpers;	/* pid, comm and cgroup ancestry in cgroup programs */
	char lsm_list[256];
};

/* Fill @f: 0, or -EPERM when not root (f->probed false). */
int features_probe(struct og_features *f);
/* One line per feature, for humans. */
void features_print(const struct og_features *f);

#endif
