/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bindings that follow paths (bindings.c): the daemon keeps each scope's
 * selectors (cgroup paths, patterns, units) bound to the cgroups there now,
 * and watches the enforcer's own cgroup, with inotify on the cgroup2
 * directories that could hold one (mkdir and rmdir on cgroupfs raise
 * IN_CREATE and IN_DELETE), and a full rescan when the queue overflows.
 */
#ifndef OPTGUARD_BINDINGS_H
#define OPTGUARD_BINDINGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "bind.h"
#include "policy.h"

struct og_bound {
	size_t scope, sel;	/* in the policy the binder follows */
	__u64 id;
	int level;
	char *path;
	long long since;	/* CLOCK_REALTIME, ns */
	bool reported;		/* its bind event was written */
};

struct og_sel_ref {
	size_t scope, sel;
};

struct og_watch {
	int wd;
	char *path;
	bool seen;		/* a rescan found it still wanted */
};

/* What a drain of the queue changed (binder_read()). */
#define OG_BIND_CHANGED		(1u << 0)	/* bindings added or removed */
#define OG_BIND_FULL		(1u << 1)	/* ... not only for cgroups made or removed */
#define OG_BIND_ENF_GONE	(1u << 2)	/* the enforcer's cgroup was removed */
#define OG_BIND_ENF_NEW		(1u << 3)	/* the enforcer's cgroup was made again */
#define OG_BIND_KEYS_DONE	(1u << 4)	/* the binder thread wrote the keys already */

struct og_binder {
	int fd;			/* inotify, non-blocking */
	char mnt[4096];
	const struct og_policy *pol;
	struct og_scope_cgroup enf;	/* the enforcer's cgroup, as a path selector */
	struct og_sel_ref *sel;	/* the policy's selectors */
	size_t nsel;
	struct og_watch *w;
	size_t nw, wcap;
	struct og_bound *b;
	size_t nb, bcap;
	/* what was removed since the last binder_take_removed() */
	struct og_bound *gone;
	size_t ngone, gcap;
	__u64 enf_id;		/* the enforcer's cgroup now (0: gone) */
	long long enf_since;	/* when it went, or was made again (0: as at start) */
	unsigned int flags;	/* OG_BIND_* since the last binder_read() */
	unsigned long long overflows;
	/* the binder thread (binder_thread_start()) */
	pthread_mutex_t lock;	/* the binder, and what its fast path writes */
	bool threaded;
	pthread_t thread;
	int wake_fd;		/* eventfd: the thread woke the main loop */
	int stop_fd;		/* eventfd: the thread stops */
	unsigned int pending;	/* OG_BIND_* the main loop has not handled */
	int (*fast)(void *ctx);	/* writes the keys of cgroups made or removed: 0 or -errno */
	void *ctx;
	char how[160];		/* how the thread runs (its scheduling), for the start line */
};

/*
 * Start following @p's selectors and its enforcer cgroup (whose id at start
 * is @p->cgroup_id): inotify watches first, then a scan, so that nothing made
 * meanwhile is missed.  0 or -errno.
 */
int binder_start(struct og_binder *B, const struct og_policy *p);
/* Follow @p instead (a reload): a full rescan; OG_BIND_* of what changed. */
unsigned int binder_set_policy(struct og_binder *B, const struct og_policy *p);
/* Read what the queue holds, without waiting: OG_BIND_* of what changed. */
unsigned int binder_read(struct og_binder *B);
/*
 * A thread of its own that waits on the inotify queue and, for cgroups made
 * or removed, calls @fast(@ctx) at once (it writes their keys: the window,
 * P9), then wakes the main loop through binder_wake_fd(), which does the rest
 * (binder_take()).  It runs SCHED_FIFO (priority 1) where the daemon may
 * (it is woken by mkdir and rmdir only, and does some 20-50 us of work;
 * RLIMIT_RTTIME bounds it), else as the daemon does; it drops every
 * capability itself first (they are per thread).  Everything else that
 * touches the binder, or what @fast writes, holds binder_lock().  Call while
 * holding the lock, before the main thread drops its capabilities.  0 or
 * -errno (the main loop then reads the queue itself).
 */
int binder_thread_start(struct og_binder *B, int (*fast)(void *ctx), void *ctx);
/* The fd the main loop waits on: the thread's eventfd, or the inotify fd. */
int binder_wake_fd(const struct og_binder *B);
/*
 * Under binder_lock(): what changed since the last call (OG_BIND_*; with
 * OG_BIND_KEYS_DONE the thread wrote the keys already).  Without the thread,
 * reads the queue and calls fast() itself.
 */
unsigned int binder_take(struct og_binder *B);
void binder_lock(struct og_binder *B);
void binder_unlock(struct og_binder *B);
/* The table the encoding takes the scopes' cgroup ids from: 0 or -ENOMEM. */
int binder_table(const struct og_binder *B, struct og_bind_table *out);
/* The path of a bound (or the enforcer's) cgroup @id, or NULL. */
const char *binder_path(const struct og_binder *B, __u64 id);
/*
 * For the state file: one line per binding ("bound=SCOPE ID SINCE PATH")
 * and per selector with none ("waiting=SCOPE KIND SELECTOR").
 */
void binder_state(const struct og_binder *B, FILE *f);
/*
 * One event line (@kind json or text) per binding made and per binding gone
 * since the last call, handed to @emit: "event":"bind" or "unbind", with the
 * scope, the cgroup's path and id.
 */
void binder_report(struct og_binder *B, enum og_log_kind kind,
		   void (*emit)(void *ctx, const char *line), void *ctx);
void binder_free(struct og_binder *B);

#endif
