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
#include <stdio.h>

#include "policy.h"


#define OG_RUN_DIR	"/run/optguard"

struct og_state {
	int lock_fd;
	char lock_path[512];
	char state_path[512];
	char sock_path[512];	/* the control socket (control.h) */
	char instance[17];	/* this daemon: 16 hex digits, random, made at start */
	char pin_path[600];	/* pinned counters (pins.h), for `status` */
	char integrity[1100];	/* "ok", or what the last check found wrong */
	const char *bindings;	/* lines of binder_state() (bindings.h), or NULL */
};

/*
 * Take the lock of @pin_dir and make this daemon's instance id (written
 * into the lock file: "instance ID"): 0, or -EBUSY when another daemon
 * holds it (the message names its instance), or another -errno.
 */
int state_lock(struct og_state *st, const char *pin_dir);
/*
 * Write the state file atomically (temp file + rename); @names: the rule
 * names by id; @bypass: which rules compat callers and control messages get
 * past ("" when none).
 */
int state_write(struct og_state *st, const struct og_policy *p, const char *policy_path,
		const char *hooks, const char *lsm_reason, const char *errno_text, char *const *names,
		size_t nnames, const char *bypass);
/* The same key=value lines into @f (the control socket's status answer). */
void state_format(FILE *f, const struct og_state *st, const struct og_policy *p,
		  const char *policy_path, const char *hooks, const char *lsm_reason,
		  const char *errno_text, char *const *names, size_t nnames, const char *bypass);
/*
 * Release the lock and remove the lock file; the state file and pins stay
 * (enforcement outlives the daemon).
 */
void state_release(struct og_state *st);
/*
 * Remove the lock file of @pin_dir when no daemon holds it (a daemon that
 * was killed): 0 (also when there is none), -EBUSY when a daemon runs, or
 * another -errno.
 */
int state_lock_remove(const char *pin_dir);

/* The path of @pin_dir's state file (and of its lock, with .lock for .state). */
void state_paths(const char *pin_dir, char *state, size_t slen);
/* Does a daemon hold @pin_dir's lock (is one running, in any PID namespace)? */
bool state_lock_held(const char *pin_dir);
/* The path of @pin_dir's control socket (NAME.sock beside the state file). */
void state_sock_path(const char *pin_dir, char *buf, size_t len);
/* A new instance id: 16 lowercase hex digits from getrandom(2); 0 or -errno. */
int state_instance_new(char id[17]);

#endif
