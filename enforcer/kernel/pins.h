/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enforcement that outlives the daemon: each daemon pins its links
 * and its counters in its own directory, pin_dir/inst-ID, ID the daemon
 * instance's id (random, made at start: never a PID, which repeats in PID
 * namespaces, every container's daemon being PID 1).  A new daemon
 * attaches its programs next to the pinned ones (both run: calls are never
 * unchecked), pins its own, and only then detaches and unpins the old ones.
 * `optguard unload` removes everything.
 */
#ifndef OPTGUARD_PINS_H
#define OPTGUARD_PINS_H

#include <stddef.h>

#include "loader.h"

#define OG_MAX_OLD_LINKS 64
/* the owner of pins and pin directories: (uid_t)-2, a uid no process has (pins.c) */
#define OG_PIN_OWNER ((unsigned int)-2)
/* pin_dir/inst-ID/rebound: the links to a recreated enforcer cgroup (pins_repin()) */
#define OG_PIN_REBOUND "rebound"
/* a daemon's pin directory: pin_dir/inst-ID, ID 16 lowercase hex digits */
#define OG_PIN_SUB_PREFIX "inst-"

struct og_old_pins {
	struct bpf_link *links[OG_MAX_OLD_LINKS];
	size_t nlinks;
	char dirs[8][512];	/* the directories of earlier daemons */
	size_t ndirs;
};

struct dirent;
/* A daemon's directory, inst-ID (ID 16 hex digits) or an earlier version's dN: 1, else 0 */
int pins_is_daemon_dir(const struct dirent *e);
/* Mount bpffs on /sys/fs/bpf when pin_dir is below it and nothing is mounted there. */
int pins_bpffs(const char *pin_dir);
/* Open the links earlier daemons pinned under @pin_dir (they stay attached). */
int pins_open_old(const char *pin_dir, struct og_old_pins *old);
/*
 * Pin @b's links and counters in pin_dir/inst-@instance, a directory this
 * makes (one that exists is an error: never another daemon's); its path
 * into @dir.  On failure what it made is removed and @dir is "": what
 * earlier daemons pinned is never touched.  0 or -errno.
 */
int pins_save(struct og_bpf *b, const char *pin_dir, const char *instance, char *dir,
	      size_t len);
/*
 * After og_bpf_reattach(): pin @b's cgroup links in @dir/rebound (made by
 * pins_save(), owned by root: writable without capabilities), replacing
 * those of an earlier recreation.  0 or -errno.
 */
int pins_repin(struct og_bpf *b, const char *dir);
/* Detach the old links and remove their pins (after pins_save). */
void pins_drop_old(struct og_old_pins *old);
/* Close the old links' fds without touching their pins (they stay attached). */
void pins_keep_old(struct og_old_pins *old);
/*
 * How many of @b's links are no longer attached or no longer pinned in @dir
 * (their names and what is wrong in @why): what a stop leaves enforced.
 */
int pins_verify(struct og_bpf *b, const char *dir, char *why, size_t len);
/*
 * For `status`: every link pinned in @dir (a daemon's directory) opened and checked to
 * be attached, the setsockopt one present.  How many problems, named in @why.
 */
int pins_check_dir(const char *dir, char *why, size_t len);
/*
 * Is @pin_dir one optguard pins into (on bpffs, and holding a daemon's
 * directory or nothing)?  0; -ENOENT when it does not exist; -EINVAL, with
 * why it is not in @why; or another -errno.
 */
int pins_recognise(const char *pin_dir, char *why, size_t len);
/*
 * Remove what optguard pinned under @pin_dir (its daemons' directories: links and
 * counters), then the directory: the links detach.  Count them in *n.
 * Anything else stays, with a warning, and -ENOTEMPTY.
 */
int pins_remove_all(const char *pin_dir, size_t *n);
/* The same for one daemon's directory. */
int pins_remove_sub(const char *dir, size_t *n);

#endif
