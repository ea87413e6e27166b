// SPDX-License-Identifier: GPL-2.0-only
/* The build's minimal BTF (minbtf.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minbtf.h"
/* og_min_btf[]: the build's minimal BTF for the CO-RE relocations (Makefile) */
#include "optguard.min_btf.h"

/*
 * The CO-RE relocations of the cgroup programs (setsockopt, sock_create,
 * connect4/6, sockops) name only the context structures of the BPF UAPI
 * (struct bpf_sockopt, bpf_sock, bpf_sock_addr, bpf_sock_ops), whose layout
 * is the kernel's ABI.  Relocating them against the few types the build
 * took from its vmlinux BTF (bpftool gen min_core_btf) gives the same
 * offsets as against the running kernel's BTF, without parsing its several
 * MiB (about 100 ms, most of a start: bench/README.md P8).  The LSM programs read struct
 * socket and struct sock, internal to each kernel: a load that takes them
 * in uses the running kernel's BTF (og_groups[].kernel_btf, progs.c), as
 * does any load the small BTF fails.
 */
int min_btf_open(char *path, size_t len)
{
	int fd = memfd_create("optguard-min-btf", MFD_CLOEXEC);
	size_t off = 0;
	ssize_t w;

	if (fd < 0)
		return -1;
	while (off < sizeof(og_min_btf)) {
		w = write(fd, og_min_btf + off, sizeof(og_min_btf) - off);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += w;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}
