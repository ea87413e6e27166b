// SPDX-License-Identifier: GPL-2.0-only
/* Enforcement that outlives the daemon (pins.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pins.h"

int pins_bpffs(const char *pin_dir)
{
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (strncmp(pin_dir, "/sys/fs/bpf/", 12) != 0)
		return 0;	/* elsewhere: the administrator's mount */
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		log_warn("cannot mount bpffs on /sys/fs/bpf");
		return -errno;
	}
	log_info("mounted bpffs on /sys/fs/bpf");
	return 0;
}

/* pin_dir/dN, for N the pid of the daemon that made it */
static int is_daemon_dir(const struct dirent *e)
{
	const char *p = e->d_name;

	if (p[0] != 'd' || !p[1])
		return 0;
	for (p++; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int pins_open_old(const char *pin_dir, struct og_old_pins *old)
{
	struct dirent *e, *f;
	DIR *d, *sub;
	char path[1024];

	memset(old, 0, sizeof(*old));
	d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) && old->ndirs < 8) {
		if (!is_daemon_dir(e))
			continue;
		snprintf(old->dirs[old->ndirs], sizeof(old->dirs[0]), "%s/%s", pin_dir, e->d_name);
		sub = opendir(old->dirs[old->ndirs]);
		old->ndirs++;
		if (!sub)
			continue;
		while ((f = readdir(sub)) && old->nlinks < OG_MAX_OLD_LINKS) {
			struct bpf_link *l;

			if (strncmp(f->d_name, "link-", 5) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", old->dirs[old->ndirs - 1], f->d_name);
			l = bpf_link__open(path);
			if (l)
				old->links[old->nlinks++] = l;
			else
				log_warn("cannot open the pinned link %s", path);
		}
		closedir(sub);
	}
	closedir(d);
	if (old->nlinks)
		log_info("taking over from the enforcement pinned under %s (%zu links): the new "
			 "programs attach first, then the old ones detach", pin_dir, old->nlinks);
	return 0;
}

static int pin_one(struct bpf_link *l, const char *dir, const char *name)
{
	char path[1024];

	if (!l)
		return 0;
	snprintf(path, sizeof(path), "%s/link-%s", dir, name);
	if (bpf_link__pin(l, path)) {
		log_warn("cannot pin %s", path);
		return -errno;
	}
	return 0;
}

int pins_save(struct og_bpf *b, const char *pin_dir, char *dir, size_t len)
{
	static const char *const force_names[] = { "sock-create", "connect4", "connect6",
						   "sockops", "post-create" };
	char path[1024];
	size_t i;
	int ret;

	ret = pins_bpffs(pin_dir);
	if (ret)
		return ret;
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		ret = -errno;
		log_warn("%s", pin_dir);
		return ret;
	}
	snprintf(dir, len, "%s/d%d", pin_dir, getpid());
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		log_warn("%s", dir);
		return ret;
	}
	if ((ret = pin_one(b->link, dir, "setsockopt")) || (ret = pin_one(b->lsm_link, dir, "lsm")) ||
	    (ret = pin_one(b->uring_link, dir, "lsm-uring")) ||
	    (ret = pin_one(b->cmsg_link, dir, "lsm-sendmsg")))
		return ret;
	for (i = 0; i < sizeof(force_names) / sizeof(force_names[0]); i++)
		if ((ret = pin_one(b->force_links[i], dir, force_names[i])))
			return ret;
	snprintf(path, sizeof(path), "%s/counters", dir);
	if (bpf_obj_pin(og_bpf_counters_fd(b), path)) {
		ret = -errno;
		log_warn("cannot pin %s", path);
		return ret;
	}
	return 0;
}

/* Unlink every entry of @dir and remove it: 0 or -errno; *n += links removed. */
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
		/*
		 * A link's last reference dropped by the unlink is put from a
		 * workqueue (6.12, 6.18): the program kept running after unload
		 * returned, the longer the more LSM links.  Held here, the last
		 * reference is this fd, whose close detaches at once.
		 */
		lfd = strncmp(e->d_name, "link-", 5) ? -1 : bpf_obj_get(path);
		if (unlink(path)) {
			if (lfd >= 0)
				close(lfd);
			if (errno == EISDIR || errno == EPERM) {
				ret = remove_dir(path, n) ?: ret;
				continue;
			}
			ret = -errno;
			log_warn("cannot remove %s", path);
			continue;
		}
		if (lfd >= 0)
			close(lfd);
		if (n && !strncmp(e->d_name, "link-", 5))
			(*n)++;
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT) {
		ret = -errno;
		log_warn("cannot remove %s", dir);
	}
	return ret;
}

void pins_drop_old(struct og_old_pins *old)
{
	size_t i;

	for (i = 0; i < old->ndirs; i++)
		remove_dir(old->dirs[i], NULL);
	/* unpinned: closing the last fd detaches them */
	for (i = 0; i < old->nlinks; i++)
		bpf_link__destroy(old->links[i]);
	memset(old, 0, sizeof(*old));
}

void pins_keep_old(struct og_old_pins *old)
{
	size_t i;

	for (i = 0; i < old->nlinks; i++) {
		bpf_link__disconnect(old->links[i]);
		bpf_link__destroy(old->links[i]);
	}
	memset(old, 0, sizeof(*old));
}

int pins_remove_all(const char *pin_dir, size_t *n)
{
	*n = 0;
	return remove_dir(pin_dir, n);
}
