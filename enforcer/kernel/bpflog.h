/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libbpf's messages during a load that may fail on purpose (load.c): kept,
 * not printed, and shown with -v only.
 */
#ifndef OPTGUARD_BPFLOG_H
#define OPTGUARD_BPFLOG_H

#include <bpf/libbpf.h>

/* From now on libbpf's messages go to the kept log (emptied): the previous printer. */
libbpf_print_fn_t bpflog_quiet(void);
/* Print again with @old (what bpflog_quiet() returned). */
void bpflog_restore(libbpf_print_fn_t old);
/* The end of what was kept: the verifier's reason is its last lines. */
const char *bpflog_text(void);

#endif
