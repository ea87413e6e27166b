// SPDX-License-Identifier: GPL-2.0-only
/* Real cgroup depths in and out of cgroup namespaces (see cgroupns.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "cgroupns.h"

/* include/linux/proc_ns.h: the inode of the initial cgroup namespace */
#define OG_PROC_CGROUP_INIT_INO 0xEFFFFFFBU

static int base_level = -1;	/* the real depth of the mount's root, once known */

int cgns_initial(void)
{
	struct stat st;

	if (stat("/proc/self/ns/cgroup", &st) < 0)
		return errno == ENOENT ? 1 : -errno;	/* a kernel without cgroup namespaces */
	return st.st_ino == OG_PROC_CGROUP_INIT_INO;
}

int cgns_path_delta(const char *path, int *delta)
{
	const char *p = path, *e;
	bool named = false;
	int d = 0;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = p + strcspn(p, "/");
		if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return -EINVAL;
			d--;
		} else if (e - p == 1 && p[0] == '.') {
			return -EINVAL;
		} else {
			named = true;
			d++;
		}
		p = e;
	}
	*delta = d;
	return 0;
}

int cgns_mount_root(char *buf, size_t len)
{
	char line[8192], root[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	/* the first cgroup2 line, the one cg2_mount() takes */
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s", root) != 1)
			continue;
		ret = strlen(root) < len ? 0 : -ENAMETOOLONG;
		if (!ret)
			strcpy(buf, root);
		break;
	}
	fclose(f);
	return ret;
}

int cgns_self_path(char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3) != 0)
			continue;
		ret = strlen(line + 3) < len ? 0 : -ENAMETOOLONG;
		if (!ret)
			strcpy(buf, line + 3);
		break;
	}
	fclose(f);
	return ret;
}

int cgns_base(int *level, char *why, size_t len)
{
	char root[4096], mnt[4096];
	int ret, d;

	if (base_level >= 0) {
		*level = base_level;
		return 0;
	}
	ret = cgns_initial();
	if (ret < 0) {
		if (why)
			snprintf(why, len, "cannot read /proc/self/ns/cgroup: %s", strerror(-ret));
		return ret;
	}
	if (cg2_mount(mnt, sizeof(mnt)) || cgns_mount_root(root, sizeof(root))) {
		if (why)
			snprintf(why, len, "no cgroup2 mount in /proc/self/mountinfo");
		return -ENOENT;
	}
	if (!ret) {
		if (why)
			snprintf(why, len, "optguard runs in a cgroup namespace: the depth of its "
				 "cgroup2 mount %s (root %s in the namespace) in the real hierarchy "
				 "is not known (it needs root and the kernel's "
				 "bpf_get_current_ancestor_cgroup_id to probe it)", mnt, root);
		return -ENXIO;
	}
	/* the initial namespace: mountinfo gives the mount's root as a real path */
	if (cgns_path_delta(root, &d) || d < 0) {
		if (why)
			snprintf(why, len, "the cgroup2 mount %s has the root '%s'", mnt, root);
		return -EINVAL;
	}
	base_level = d;
	*level = d;
	return 0;
}

int cgns_settle(int self_level, const char *self_path, char *why, size_t len)
{
	char root[4096], mnt[4096];
	int dself, droot, ns_level;

	if (cg2_mount(mnt, sizeof(mnt)) || cgns_mount_root(root, sizeof(root))) {
		snprintf(why, len, "no cgroup2 mount in /proc/self/mountinfo");
		return -ENOENT;
	}
	if (cgns_path_delta(self_path, &dself) || cgns_path_delta(root, &droot)) {
		snprintf(why, len, "cannot read the cgroup paths '%s' (this process) and '%s' "
			 "(the cgroup2 mount's root)", self_path, root);
		return -EINVAL;
	}
	/* both paths start at the namespace's root: its real depth is the difference */
	ns_level = self_level - dself;
	if (ns_level < 0 || ns_level + droot < 0) {
		snprintf(why, len, "the kernel puts this process's cgroup at depth %d, which cannot "
			 "be %s below the cgroup2 mount's root %s", self_level, self_path, root);
		return -EINVAL;
	}
	base_level = ns_level + droot;
	return 0;
}
