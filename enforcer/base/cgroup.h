/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup v2 helpers: where it is mounted, what a directory's id and depth are. */
#ifndef OPTGUARD_CGROUP_H
#define OPTGUARD_CGROUP_H

#include <linux/types.h>
#include <stddef.h>

/* The cgroup2 mount point from /proc/self/mountinfo: 0, or -ENOENT. */
int cg2_mount(char *buf, size_t len);
/*
 * Id (the kernel's cgroup id, as bpf_get_current_cgroup_id() gives it) and
 * level (depth below the real root, as the kernel counts: cgroupns.h) of the
 * directory @path.  -ENOENT, -ENOTDIR,
 * or -EXDEV when @path is not on the cgroup2 file system.
 */
int cg_info(const char *path, __u64 *id, int *level);
/* @path with "//", "/./" and a trailing '/' removed, into @buf: 0 or -ENAMETOOLONG. */
int path_normalize(const char *path, char *buf, size_t len);
/* Is @path @dir or below it (both normalised, absolute)? */
int path_within(const char *path, const char *dir);
/* The cgroup2 path (relative to the mount, "/a/b") of cgroup @id, or -ENOENT. */
int cg_path_by_id(__u64 id, char *buf, size_t len);
/* The cgroup2 directory (absolute) of process @pid ("self" for 0). */
int cg_of_pid(int pid, char *buf, size_t len);

#endif
