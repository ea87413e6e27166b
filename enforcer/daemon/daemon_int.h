/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside `optguard run`: the daemon's state and what its files share.
 * run.c: the start as named phases, the loop, the stop; reload.c: reading
 * the policy and putting it in force; sources.c: the event sources besides
 * the ring buffer (control socket, policy directory watch, /metrics).
 */
#ifndef OPTGUARD_DAEMON_INT_H
#define OPTGUARD_DAEMON_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "bindings.h"
#include "caps.h"
#include "control.h"
#include "events.h"
#include "loader.h"
#include "loop.h"
#include "pins.h"
#include "policy.h"
#include "state.h"

#define CG_CACHE	64

struct cg_entry {
	__u64 id;
	char path[512];
	int ok;
};

struct daemon {
	const char *policy_path;
	int insecure;
	struct og_policy *pol;
	char **names[OG_NGENS];		/* rule names by id, per generation */
	size_t nnames[OG_NGENS];
	struct og_bpf bpf;
	struct og_force_probe *probe;	/* NULL: the policy at start forced nothing */
	struct og_sink sink;
	struct og_state st;
	struct og_old_pins old;		/* what an earlier daemon left pinned */
	char pin_sub[512];		/* pin_dir/inst-ID: our pins ("" until made) */
	char hooks[256];		/* what is attached, for the start line and `status` */
	char policy_abs[4096];		/* policy_path made absolute */
	bool pinned;			/* enforcement outlives us from here on */
	bool quit;			/* a stop request came (control socket) */
	bool unloading;			/* ... from `optguard unload`, which removes the pins */
	struct og_counters *seen;	/* losses already reported, per rule id */
	long long loss_check;		/* CLOCK_MONOTONIC of the last check */
	long long verify_check;		/* CLOCK_MONOTONIC of the last integrity check */
	int cur_gen;			/* the generation in force */
	struct ring_buffer *rb;
	long long rt_offset;		/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	struct og_binder bind;		/* the cgroups the selectors name now (bindings.c) */
	bool bind_on;			/* ... followed (else as they were at start) */
	bool bind_held;			/* this thread holds binder_lock() */
	char cg_bound[4096];		/* a bound cgroup's path, copied under the lock */
	struct cg_entry cg[CG_CACHE];
	unsigned int cg_next;
	struct og_loop loop;		/* the fd sources (loop.h) */
	struct og_control ctl;		/* the control socket */
	int watch_fd;			/* inotify on the policy's directory; -1: watch = off */
	int watch_timer;		/* timerfd: the directory settled, look at the file */
	char refused_sha[65];		/* the last file content a watch reload refused */
	int metrics_fd;			/* the /metrics listener; -1: metrics = off */
	size_t reserve;			/* heap kept for reloads (prefault_heap()) */
	char line[16384];
};

long long d_clock_ns(clockid_t c);
/* reload.c */
void d_names_free(char **names, size_t n);
struct og_policy *d_load_policy(struct daemon *d);
int d_install(struct daemon *d, const struct og_policy *p);
/*
 * Reload the policy file in one step (the old policy stays if it is not
 * valid), say so to systemd, and log the outcome; a refused reload is also
 * an event.  @trigger: "SIGHUP", "control" or "watch".  With @answer, the
 * answer for `optguard reload` (malloc'd: "ok" or "refused", then the text).
 * 0 in force, -1 refused.
 */
int d_reload(struct daemon *d, const char *trigger, const char **status, char **answer);
/* The sha256 of the file at @path now ("" when it cannot be read). */
void d_file_sha256(const char *path, char out[65]);
/* run.c */
int d_write_state(struct daemon *d);
/* The state file's key=value lines into @f (the control socket's status answer). */
void d_state_format(struct daemon *d, FILE *f);
void d_report_gaps(const struct daemon *d, const struct og_policy *p);
int d_verify(struct daemon *d, bool restore);
void d_notify_ready(struct daemon *d);
/*
 * follow.c: the daemon's part of the bindings (bindings.c).
 *   d_bind_begin()   phase "load", before the load: watches, then the first scan;
 *   d_bind_thread()  phase "sources": the binder's thread, its wake-up fd in the loop;
 *   d_bind_hold()    the loop, around a reload, an integrity check and the handlers;
 *   d_bind_release() the loop before the wait, and at the stop;
 *   d_bind_end()     the stop.
 * The binder's wake-up fd (loop.h) calls d_follow_bindings().
 */
void d_bind_begin(struct daemon *d);
void d_bind_thread(struct daemon *d);
void d_bind_hold(struct daemon *d);
void d_bind_release(struct daemon *d);
void d_bind_end(struct daemon *d);
/* The bind and unbind events of what changed, to the sink. */
void d_bind_report(struct daemon *d);
/* @p with the scopes' cgroups as bound now, through the one expansion (expand.h) */
int d_encode_bound(struct daemon *d, const struct og_policy *p, struct og_encoding *enc);
/* sources.c: each 0 (also when off) or -errno, before the privileges go */
int d_control_start(struct daemon *d);
int d_watch_start(struct daemon *d);
int d_metrics_start(struct daemon *d);
void d_sources_close(struct daemon *d);

#endif
