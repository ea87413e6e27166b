/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Depths in the real cgroup hierarchy, whatever cgroup namespace optguard
 * runs in.  The kernel (bpf_get_current_ancestor_cgroup_id) counts a
 * cgroup's level from the real root; a path below the cgroup2 mount counts
 * from the mount's root, which in a cgroup namespace with its own cgroup2
 * mount (a container) is the namespace's root, not the real one.  The depth
 * of the mount's root ("the base") is added to every depth cg_info() gives.
 *
 * In the initial cgroup namespace the base is read from /proc/self/mountinfo
 * (the mount's root, a real path: 0 for an ordinary mount, N for a bind
 * mount of a cgroup N levels down).  In another namespace the paths there
 * are relative to the namespace's root, whose real depth only the kernel
 * knows: cgns_settle() takes it from a probe (kernel/cgns_probe.c) that
 * reads the real level of optguard's own cgroup.
 */
#ifndef OPTGUARD_CGROUPNS_H
#define OPTGUARD_CGROUPNS_H

#include <stdbool.h>
#include <stddef.h>

/* 1: the initial cgroup namespace; 0: another one; -errno: cannot tell. */
int cgns_initial(void);
/*
 * The real depth of the cgroup2 mount's root: 0, or -ENXIO when optguard
 * runs in a cgroup namespace and no probe settled it (@why, if not NULL,
 * says so), or another -errno.
 */
int cgns_base(int *level, char *why, size_t len);
/*
 * Settle the base from @self_level, the real level of the calling process's
 * cgroup as the kernel reports it: 0, or -errno with @why.  @self_path is the
 * cgroup the process was in at the probe ("0::" line of /proc/self/cgroup,
 * relative to the namespace's root).
 */
int cgns_settle(int self_level, const char *self_path, char *why, size_t len);
/* The "0::" path of /proc/self/cgroup (relative to the namespace's root). */
int cgns_self_path(char *buf, size_t len);
/* The root of the cgroup2 mount in /proc/self/mountinfo (relative to the namespace's root). */
int cgns_mount_root(char *buf, size_t len);
/*
 * Depth of @path relative to its start: one per component, -1 per "..";
 * -EINVAL for a "." or ".." after a name (not what the kernel writes).
 */
int cgns_path_delta(const char *path, int *delta);

#endif
