/* SPDX-License-Identifier: GPL-2.0-only */
/* The build's minimal BTF for the CO-RE relocations of the cgroup programs (minbtf.c). */
#ifndef OPTGUARD_MINBTF_H
#define OPTGUARD_MINBTF_H

#include <stddef.h>

/*
 * A file holding it (a memfd; its /proc/self/fd path into @path), for
 * bpf_object_open_opts.btf_custom_path: the fd to close after the load, or -1.
 */
int min_btf_open(char *path, size_t len);

#endif
