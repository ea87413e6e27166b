/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The running daemon's state, for `optguard status` in another shell: a
 * lock (one daemon per pin_dir), a state file in /run/optguard and the
 * per-rule counters map pinned under pin_dir.  All keyed by pin_dir's
 * name, so that test daemons never touch a production daemon's files.
 */
#ifndef OPTGUARD_STATE_H
#define OPTGUARD_STATE_H

#include <stdbool.h>

#include "policy.h"

#define OG_RUN_DIR	"/run/optguard"

struct og_state {
	int lock_fd;
	char lock_path[512];
	char state_path[512];
	char pin_path[512];	/* pinned counters, "" when not pinned */
};

/*
 * Take the lock of @pin_dir: 0, or -EBUSY when another daemon holds it
 * (the message names its pid), or another -errno.
 */
int state_lock(struct og_state *st, const char *pin_dir);
/* Pin the counters map (fd @map_fd) under pin_dir, mounting bpffs on /sys/fs/bpf if needed. */
int state_pin_counters(struct og_state *st, const char *pin_dir, int map_fd);
/* Write the state file atomically (temp file + rename). */
int state_write(struct og_state *st, const struct og_policy *p, const char *policy_path,
		const char *hooks, const char *lsm_reason, bool has_retval);
/* Remove the state file and the pin, release the lock. */
void state_release(struct og_state *st);

/* The paths of @pin_dir's state file and pinned counters. */
void state_paths(const char *pin_dir, char *state, size_t slen, char *pin, size_t plen);

#endif
