// SPDX-License-Identifier: GPL-2.0-only
/*
 * optguard's BPF object: every program in one object, so that they share
 * one set of maps and globals (common.bpf.h).  Each program keeps its own
 * file; the loader turns off those this kernel cannot load.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";	/* LSM programs need a GPL-compatible licence */

#include "sockopt/sockopt.bpf.c"
#include "lsm/lsm.bpf.c"
