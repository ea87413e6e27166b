// SPDX-License-Identifier: GPL-2.0-only
/*
 * optguard's BPF object: every program in one object, so that they share
 * one set of maps and globals (common.bpf.h).  Each program keeps its own
 * file, and its row in og_progs[] (enforcer/kernel/progs.c: its group, pin
 * and where it attaches), by which the loader turns off those this kernel
 * cannot load.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";	/* LSM programs need a GPL-compatible licence */

#include "sockopt/sockopt.bpf.c"
#include "lsm/lsm.bpf.c"
#include "lsm/uring.bpf.c"
#include "lsm/sendmsg.bpf.c"

/* forcing values onto sockets: plan at creation, then create, connect, established; send */
#include "force.bpf.h"
#include "sockcreate/sockcreate.bpf.c"
#include "connect/connect.bpf.c"
#include "sockops/sockops.bpf.c"
#include "send/send.bpf.c"
#include "lsm/create.bpf.c"
