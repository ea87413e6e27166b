// SPDX-License-Identifier: GPL-2.0-only
/*
 * What optguard pinned, removed (pins.h): `optguard unload`, a start that
 * failed, and a new daemon taking over from the old ones.  Only what
 * optguard made goes; anything else found there stays, with a warning.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pins.h"

/*
 * The programs of the links being removed: the kernel frees a program's id
 * once its last link released it, which some kernels do after the close
 * returns (5.10, and 6.12+ from a workqueue; the longer the more LSM links,
 * seconds under emulation).  unload waits for that, so that what it says
 * ("unloaded") is true when it says it.
 */
static __u32 gone_progs[32];
static size_t ngone;

static void note_prog(int link_fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (ngone < sizeof(gone_progs) / sizeof(gone_progs[0]) &&
	    !bpf_obj_get_info_by_fd(link_fd, &info, &len) && info.prog_id)
		gone_progs[ngone++] = info.prog_id;
}

/* Until every program noted is gone: 0, or -ETIMEDOUT after @ms. */
static int wait_progs_gone(int ms)
{
	struct timespec ts = { 0, 10 * 1000000 };
	size_t i, left;
	int t, fd;

	for (t = 0; t <= ms; t += 10) {
		for (i = 0, left = 0; i < ngone; i++) {
			fd = bpf_prog_get_fd_by_id(gone_progs[i]);
			if (fd >= 0) {
				close(fd);
				left++;
			}
		}
		if (!left) {
			ngone = 0;
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	ngone = 0;
	return -ETIMEDOUT;
}

/* What optguard pins in a daemon's directory (pin_dir/inst-ID): link-NAME, counters, rebound/ */
static bool is_our_pin(const char *name)
{
	return !strncmp(name, "link-", 5) || !strcmp(name, "counters") ||
	       !strcmp(name, OG_PIN_REBOUND);
}

/*
 * Remove what optguard pinned in @dir (a daemon's directory) and the directory: 0 or
 * -errno; *n += links removed.  Anything else found there stays (and so does
 * the directory), with a warning: never remove what optguard did not make.
 */
static int remove_dir(const char *dir, size_t *n)
{
	struct dirent *e;
	char path[1024];
	DIR *d = opendir(dir);
	int ret = 0, lfd;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!is_our_pin(e->d_name)) {
			log_warnx("%s: not pinned by optguard: left as it is", path);
			ret = -ENOTEMPTY;
			continue;
		}
		/* the links to a recreated enforcer cgroup (pins_repin()) */
		if (!strcmp(e->d_name, OG_PIN_REBOUND)) {
			int r = remove_dir(path, n);

			ret = ret ?: r;
			continue;
		}
		/*
		 * A link is released when its last reference goes: the pin's goes
		 * in a deferred work item (seconds late under load), an fd's when it
		 * is closed.  Holding one across the unlink makes the close below the
		 * last: the link is detached when this returns, not some time later.
		 */
		lfd = strncmp(e->d_name, "link-", 5) ? -1 : bpf_obj_get(path);
		if (lfd >= 0)
			note_prog(lfd);
		if (unlink(path)) {
			ret = -errno;
			log_warn("cannot remove %s", path);
		} else if (n && lfd >= 0) {
			(*n)++;
		}
		if (lfd >= 0)
			close(lfd);
	}
	closedir(d);
	if (ret != -ENOTEMPTY && rmdir(dir) && errno != ENOENT) {
		ret = -errno;
		log_warn("cannot remove %s", dir);
	}
	return ret;
}

int pins_recognise(const char *pin_dir, char *why, size_t len)
{
	struct statfs sfs;
	struct dirent *e;
	int ours = 0, other = 0;
	DIR *d;

	if (statfs(pin_dir, &sfs))
		return errno == ENOENT ? -ENOENT : -errno;
	if (sfs.f_type != BPF_FS_MAGIC) {
		snprintf(why, len, "%s is not on bpffs", pin_dir);
		return -EINVAL;
	}
	d = opendir(pin_dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (pins_is_daemon_dir(e))
			ours++;
		else
			other++;
	}
	closedir(d);
	if (other && !ours) {
		snprintf(why, len, "%s holds %d entr%s and no optguard daemon's directory "
			 "(" OG_PIN_SUB_PREFIX "ID)",
			 pin_dir, other, other == 1 ? "y" : "ies");
		return -EINVAL;
	}
	return 0;
}

int pins_remove_all(const char *pin_dir, size_t *n)
{
	struct dirent *e;
	char path[1024];
	int ret = 0, r;
	DIR *d;

	*n = 0;
	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, e->d_name);
		if (!pins_is_daemon_dir(e)) {
			log_warnx("%s: not pinned by optguard: left as it is", path);
			ret = -ENOTEMPTY;
			continue;
		}
		r = remove_dir(path, n);
		ret = ret ?: r;
	}
	closedir(d);
	if (!ret && rmdir(pin_dir) && errno != ENOENT) {
		ret = -errno;
		log_warn("cannot remove %s", pin_dir);
	}
	if (wait_progs_gone(10000)) {
		log_warnx("%s: a program is still loaded 10 s after its links were removed", pin_dir);
		ret = ret ?: -ETIMEDOUT;
	}
	return ret;
}

int pins_remove_sub(const char *dir, size_t *n)
{
	*n = 0;
	return remove_dir(dir, n);
}
