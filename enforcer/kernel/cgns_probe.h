/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real level of the calling process's cgroup, as the kernel counts it
 * (bpf_get_current_ancestor_cgroup_id), and with it the base of the depths
 * in a cgroup namespace (base/cgroupns.h).
 */
#ifndef OPTGUARD_CGNS_PROBE_H
#define OPTGUARD_CGNS_PROBE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Run a tiny program (BPF_PROG_TEST_RUN, in this process) that reads the
 * ids of the caller's cgroup ancestors at each level: *@level is the level
 * of the caller's own cgroup, *@id its id.  Root only.  0 or -errno, @why.
 */
int cgns_probe_self(int *level, __u64 *id, char *why, size_t len);
/*
 * In the initial cgroup namespace: 0, nothing to do.  In another: probe,
 * settle the base (cgns_settle()), and say in @msg where the namespace's
 * cgroup2 mount lies in the real hierarchy.  0, or -errno with @msg the reason.
 */
int cgns_resolve(char *msg, size_t len);

#endif
