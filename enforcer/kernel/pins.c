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
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <stdbool.h>

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

/*
 * A daemon's directory: pin_dir/inst-ID (ID: the daemon instance's 16 hex
 * digits, OG_PIN_SUB_PREFIX), or pin_dir/dN, the name an earlier version
 * gave it (N a pid), still taken over and unloaded.
 */
int pins_is_daemon_dir(const struct dirent *e)
{
	const char *p = e->d_name;
	size_t n = strlen(OG_PIN_SUB_PREFIX), i;

	if (!strncmp(p, OG_PIN_SUB_PREFIX, n)) {
		for (i = 0, p += n; p[i]; i++)
			if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
				return 0;
		return i == 16;
	}
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
		if (!pins_is_daemon_dir(e))
			continue;
		snprintf(old->dirs[old->ndirs], sizeof(old->dirs[0]), "%s/%s", pin_dir, e->d_name);
		old->ndirs++;
		/* its links, and those to a recreated enforcer cgroup (pins_repin()) */
		for (int r = 0; r < 2; r++) {
			char sdir[700];

			snprintf(sdir, sizeof(sdir), "%s%s", old->dirs[old->ndirs - 1],
				 r ? "/" OG_PIN_REBOUND : "");
			sub = opendir(sdir);
			if (!sub)
				continue;
			while ((f = readdir(sub)) && old->nlinks < OG_MAX_OLD_LINKS) {
				struct bpf_link *l;

				if (strncmp(f->d_name, "link-", 5) != 0)
					continue;
				snprintf(path, sizeof(path), "%s/%s", sdir, f->d_name);
				l = bpf_link__open(path);
				if (l)
					old->links[old->nlinks++] = l;
				else
					log_warn("cannot open the pinned link %s", path);
			}
			closedir(sub);
		}
	}
	closedir(d);
	if (old->nlinks)
		log_info("taking over from the enforcement pinned under %s (%zu links): the new "
			 "programs attach first, then the old ones detach", pin_dir, old->nlinks);
	return 0;
}

/*
 * A pin is opened (BPF_OBJ_GET) through the file's permission bits, and
 * BPF_LINK_DETACH on the fd checks nothing more: a uid 0 process without
 * capabilities owns a root-owned pin, so it could chmod and then open it.
 * Pins and their directories are therefore owned by OG_PIN_OWNER, a uid no
 * process has, with no permission bits but search on the directories: only
 * CAP_DAC_OVERRIDE (and CAP_CHOWN/CAP_FOWNER to change that) gets in.  The
 * daemon, with no capability left after start, can still stat its pins.
 */
static int protect(const char *path, mode_t mode)
{
	if (chmod(path, mode) || chown(path, OG_PIN_OWNER, OG_PIN_OWNER)) {
		log_warn("cannot protect %s", path);
		return -errno;
	}
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
	return protect(path, 0);
}

/* mkdir -p, each directory 0700: -1 with errno (EEXIST when @path itself exists) */
static int mkdir_p(const char *path)
{
	char buf[1024], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700);
}

/* Pin everything into @dir, which this daemon made: 0 or -errno */
static int pin_all(struct og_bpf *b, const char *pin_dir, const char *dir)
{
	struct og_link_ref links[OG_MAX_LINKS];
	char path[1024];
	size_t i, n;
	int ret;

	n = og_bpf_links(b, links, OG_MAX_LINKS);
	for (i = 0; i < n; i++)
		if ((ret = pin_one(links[i].link, dir, links[i].pin)))
			return ret;
	/*
	 * Where the links to a recreated enforcer cgroup go (pins_repin()): made
	 * now, owned by root, since the daemon has no capability left to write
	 * into the protected directory when that happens.
	 */
	snprintf(path, sizeof(path), "%s/" OG_PIN_REBOUND, dir);
	if (mkdir(path, 0700) && errno != EEXIST) {
		ret = -errno;
		log_warn("%s", path);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/counters", dir);
	if (bpf_obj_pin(og_bpf_counters_fd(b), path)) {
		ret = -errno;
		log_warn("cannot pin %s", path);
		return ret;
	}
	if ((ret = protect(path, 0)) || (ret = protect(dir, 0111)) || (ret = protect(pin_dir, 0111)))
		return ret;
	return 0;
}

int pins_save(struct og_bpf *b, const char *pin_dir, const char *instance, char *dir,
	      size_t len)
{
	size_t n;
	int ret;

	ret = pins_bpffs(pin_dir);
	if (ret)
		return ret;
	if (mkdir_p(pin_dir) && errno != EEXIST) {
		ret = -errno;
		log_warn("%s", pin_dir);
		return ret;
	}
	/*
	 * Ours alone: a directory that exists is another daemon's (never
	 * ours to pin into, nor to remove), so EEXIST is an error.
	 */
	snprintf(dir, len, "%s/" OG_PIN_SUB_PREFIX "%s", pin_dir, instance);
	if (mkdir(dir, 0700)) {
		ret = -errno;
		log_warn("%s", dir);
		dir[0] = '\0';
		return ret;
	}
	ret = pin_all(b, pin_dir, dir);
	if (ret) {
		/* what this daemon made goes; what earlier daemons pinned stays in force */
		pins_remove_sub(dir, &n);
		dir[0] = '\0';
	}
	return ret;
}

/* A link of ours still attached where we attached it (not detached by someone)? */
static bool link_attached(struct bpf_link *l)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len))
		return false;
	switch (info.type) {
	case BPF_LINK_TYPE_CGROUP:
		return info.cgroup.cgroup_id != 0;
	case BPF_LINK_TYPE_TRACING:
		return info.tracing.attach_type != 0 || info.prog_id != 0;
	default:
		return info.prog_id != 0;
	}
}

int pins_check_dir(const char *dir, char *why, size_t len)
{
	char path[1024];
	struct dirent *e;
	bool has_sockopt = false;
	int bad = 0;
	DIR *d;

	why[0] = '\0';
	d = opendir(dir);
	if (!d) {
		snprintf(why, len, "%s: %s", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		size_t at = strlen(why);
		int fd;

		if (strncmp(e->d_name, "link-", 5))
			continue;
		if (!strcmp(e->d_name, "link-setsockopt"))
			has_sockopt = true;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			snprintf(why + at, len - at, "%s%s: %s", at ? ", " : "", e->d_name + 5,
				 strerror(errno));
			bad++;
			continue;
		}
		struct bpf_link *l = bpf_link__open(path);

		if (l && !link_attached(l)) {
			/* the enforcer's cgroup made again: its links are in inst-ID/rebound */
			char rp[1100];

			bpf_link__destroy(l);
			snprintf(rp, sizeof(rp), "%s/" OG_PIN_REBOUND "/%s", dir, e->d_name);
			l = access(rp, F_OK) ? bpf_link__open(path) : bpf_link__open(rp);
		}
		if (!l || !link_attached(l)) {
			snprintf(why + at, len - at, "%s%s detached", at ? ", " : "", e->d_name + 5);
			bad++;
		}
		if (l)
			bpf_link__destroy(l);
		close(fd);
	}
	closedir(d);
	if (!has_sockopt) {
		size_t at = strlen(why);

		snprintf(why + at, len - at, "%ssetsockopt link not pinned", at ? ", " : "");
		bad++;
	}
	return bad;
}

int pins_verify(struct og_bpf *b, const char *dir, char *why, size_t len)
{
	struct og_link_ref links[OG_MAX_LINKS];
	size_t i, n = og_bpf_links(b, links, OG_MAX_LINKS);
	char path[1024];
	struct stat st;
	int bad = 0;

	why[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t at = strlen(why);

		/* the cgroup links of a recreated cgroup: pins_repin() */
		snprintf(path, sizeof(path), "%s%s/link-%s", dir,
			 b->reattached && links[i].cgroup ? "/" OG_PIN_REBOUND : "",
			 links[i].pin);
		if (!link_attached(links[i].link)) {
			snprintf(why + at, len - at, "%s%s detached", at ? ", " : "", links[i].pin);
			bad++;
		} else if (stat(path, &st)) {
			snprintf(why + at, len - at, "%s%s unpinned (%s)", at ? ", " : "", links[i].pin,
				 strerror(errno));
			bad++;
		}
	}
	return bad;
}

void pins_drop_old(struct og_old_pins *old)
{
	size_t i, n;

	for (i = 0; i < old->ndirs; i++)
		pins_remove_sub(old->dirs[i], &n);
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

int pins_repin(struct og_bpf *b, const char *dir)
{
	struct og_link_ref links[OG_MAX_LINKS];
	size_t i, n = og_bpf_links(b, links, OG_MAX_LINKS);
	char sub[700], path[1024];
	int ret;

	snprintf(sub, sizeof(sub), "%s/" OG_PIN_REBOUND, dir);
	/* the pins of an earlier recreation: their links are gone with that cgroup */
	for (i = 0; i < og_nprogs; i++)
		if (og_progs[i].attach == OG_ATTACH_CGROUP) {
			snprintf(path, sizeof(path), "%s/link-%s", sub, og_progs[i].pin);
			unlink(path);
		}
	for (i = 0; i < n; i++) {
		if (!links[i].cgroup)
			continue;
		snprintf(path, sizeof(path), "%s/link-%s", sub, links[i].pin);
		if (bpf_link__pin(links[i].link, path)) {
			ret = -errno;
			log_warn("cannot pin %s", path);
			return ret;
		}
	}
	return 0;
}
