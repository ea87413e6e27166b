// SPDX-License-Identifier: GPL-2.0-only
/* cgroup v2 helpers (see cgroup.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "cgroupns.h"

int cg2_mount(char *buf, size_t len)
{
	static char cached[4096];
	char line[8192];
	FILE *f;
	int ret = -ENOENT;

	if (cached[0]) {
		if (strlen(cached) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, cached);
		return 0;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype src superopts */
		char *sep = strstr(line, " - ");
		char mnt[4096];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		/* mountinfo escapes spaces as \040; a cgroup2 mount with one is not supported */
		if (strlen(mnt) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(cached, mnt);
		strcpy(buf, mnt);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int path_normalize(const char *path, char *buf, size_t len)
{
	size_t o = 0;
	const char *p = path;

	if (len < 2)
		return -ENAMETOOLONG;
	while (*p) {
		if (*p == '/') {
			while (*p == '/')
				p++;
			if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
				p++;
				continue;
			}
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			buf[o++] = '/';
			continue;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		buf[o++] = *p++;
	}
	while (o > 1 && buf[o - 1] == '/')
		o--;
	if (o == 0 && path[0] == '/')
		buf[o++] = '/';
	buf[o] = '\0';
	return 0;
}

int path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int cg_info(const char *path, __u64 *id, int *level)
{
	char mnt[4096], norm[4096];
	struct statfs sfs;
	struct stat st;
	const char *rel;
	int depth = 0, base = 0, ret;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (statfs(path, &sfs) < 0)
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EXDEV;
	ret = cg2_mount(mnt, sizeof(mnt));
	if (ret)
		return ret;
	ret = path_normalize(path, norm, sizeof(norm));
	if (ret)
		return ret;
	if (!path_within(norm, mnt))
		return -EXDEV;	/* a bind mount elsewhere: depth unknown */
	for (rel = norm + strlen(mnt); *rel; rel++)
		if (*rel == '/' && rel[1])
			depth++;
	/*
	 * Levels count from the real root, as the kernel's do; in a cgroup
	 * namespace whose base no probe settled, from the mount's root (the
	 * policy checks say so: policy/placement.c).
	 */
	if (cgns_base(&base, NULL, 0))
		base = 0;
	/* cgroup2 inode numbers are the kernfs ids bpf_get_current_cgroup_id() returns */
	*id = st.st_ino;
	*level = base + depth;
	return 0;
}

static __u64 walk_id;
static char *walk_out;
static size_t walk_len;
static size_t walk_mnt_len;
static int walk_found;

static int walk_cb(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D || sb->st_ino != walk_id)
		return 0;
	const char *rel = fpath + walk_mnt_len;

	if (!*rel)
		rel = "/";
	if (strlen(rel) < walk_len) {
		strcpy(walk_out, rel);
		walk_found = 1;
	}
	return 1;
}

int cg_path_by_id(__u64 id, char *buf, size_t len)
{
	char mnt[4096];
	int ret = cg2_mount(mnt, sizeof(mnt));

	if (ret)
		return ret;
	walk_id = id;
	walk_out = buf;
	walk_len = len;
	walk_mnt_len = strlen(mnt);
	walk_found = 0;
	/* FTW_PHYS: never follow links; FTW_MOUNT: stay on cgroup2 */
	nftw(mnt, walk_cb, 32, FTW_PHYS | FTW_MOUNT);
	return walk_found ? 0 : -ENOENT;
}

int cg_of_pid(int pid, char *buf, size_t len)
{
	char path[64], line[4096], mnt[4096];
	FILE *f;
	int ret = -ENOENT;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (cg2_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if ((size_t)snprintf(buf, len, "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "")
		    >= len)
			ret = -ENAMETOOLONG;
		else
			ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
