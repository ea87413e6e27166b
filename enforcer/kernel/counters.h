/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-rule counters (struct og_counters), summed over the CPUs. */
#ifndef OPTGUARD_COUNTERS_H
#define OPTGUARD_COUNTERS_H

#include <linux/types.h>
#include <stddef.h>

#include "bpf/optguard.h"

/* Rules 0..n-1 of the per-CPU counters map @fd into @out: 0 or -errno. */
int counters_read(int fd, struct og_counters *out, size_t n);

#endif
