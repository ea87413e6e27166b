// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of the benchmarks (bench/README.md): a cgroup/setsockopt program that does nothing, so
 * that the kernel's own hook cost is measured.  Used only by bench/.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/setsockopt")
int og_empty(struct bpf_sockopt *ctx)
{
	return 1;	/* go on */
}
