/* SPDX-License-Identifier: GPL-2.0-only */
/* Load the BPF programs, install a policy into them, attach them. */
#ifndef OPTGUARD_LOADER_H
#define OPTGUARD_LOADER_H

#include <signal.h>
#include <stdbool.h>

#include "caps.h"
#include "encode.h"
#include "policy.h"
#include "progs.h"

struct optguard_bpf;
struct bpf_link;
struct ring_buffer;
struct og_gen_set;

/* What became of a group of programs (progs.h) on this kernel. */
struct og_group_state {
	bool loaded;		/* the kernel took its programs */
	bool active;		/* ... and they are attached (the LSM's seen to run) */
	char reason[320];	/* why not, for the warnings and `status` ("": no reason) */
};

struct og_bpf {
	struct optguard_bpf *skel;
	struct bpf_link *links[OG_MAX_PROGS];	/* og_progs[i]'s link, NULL: not attached */
	struct og_group_state grp[OG_NGROUPS];
	struct og_caps caps;	/* what the kernel offers, as probed for the load */
	size_t key_cap;		/* og_rules entries: both generations */
	size_t id_cap;		/* og_counters entries */
	/* what each generation of og_rules [0] and og_force [1] holds (NULL: nothing) */
	struct og_gen_set *held[2][OG_NGENS];
	bool unknown[2][OG_NGENS];	/* an update failed: what it holds is not known */
	int reattached;		/* times the cgroup links were attached to a recreated cgroup */
	int idle_timeout_ms;	/* the longest idle wait (0: none, wait for an event) */
	/* lsm/bpf and lsm/bpf_map guarding the objects above (guard.c), NULL when off */
	struct guard_bpf *guard;
	struct bpf_link *guard_links[2];
	bool guard_active;
	char guard_reason[320];	/* why not */
};

/* One link @b holds: its pin name and the hook it is on. */
struct og_link_ref {
	struct bpf_link *link;
	const char *pin;	/* pin_dir/inst-ID/link-<pin> */
	const char *hook;	/* "cgroup/setsockopt", "lsm/bpf (guard)" ... */
	bool cgroup;		/* on the policy's cgroup (OG_ATTACH_CGROUP) */
};
/* Every link @b holds, the programs' (og_progs order) then the guard's: how many. */
size_t og_bpf_links(const struct og_bpf *b, struct og_link_ref *out, size_t n);
#define OG_MAX_LINKS	(OG_MAX_PROGS + 2)

struct og_bpf_limits {
	size_t max_keys;	/* rule keys of one generation */
	size_t max_ids;		/* rule ids */
	size_t ringbuf_bytes;	/* power of two, page multiple */
	enum og_lsm_mode lsm;	/* off: do not even try */
	bool force_create;	/* the policy forces at create: load lsm_cgroup/socket_post_create */
	bool skip_force;	/* the policy forces nothing: no sock_create, connect4/6, sockops */
	bool force_send;	/* the policy forces at send: load cgroup/sendmsg4/6 */
	bool want_cmsg;		/* the policy constrains an option a cmsg sets: lsm/socket_sendmsg */
};

/*
 * Open and load (load.c): every group of programs (progs.h) the policy and
 * the kernel allow, falling back through og_load_combos[] when the kernel
 * refuses some; b->grp[] says what loaded and why not.  The cgroup/setsockopt
 * program always loads, else -errno (the libbpf message was printed).
 */
int og_bpf_load(struct og_bpf *b, const struct og_bpf_limits *lim);
/*
 * Fill the idle generation with @enc, then make it the active one in a
 * single store: no call ever sees half of a policy.  Returns the generation
 * now active, or -E2BIG when @enc does not fit the maps as loaded (a restart
 * is needed), or another -errno.
 */
int og_bpf_install(struct og_bpf *b, const struct og_encoding *enc);
/*
 * After og_bpf_install(): wait until no program can still be reading the
 * generation it replaced (an RCU grace period), then make that generation
 * hold the same as the active one, so that the next install writes only
 * what its policy changes.  Off the path to the new policy; where the wait
 * is not possible the generation stays as it is, and the next install
 * writes what differs from it.  0 or -errno.
 */
int og_bpf_mirror(struct og_bpf *b);
/*
 * A change of bindings only (daemon/bindings.c; gens.c): @enc is the policy in force
 * with keys added for cgroups just made and removed for cgroups gone, which
 * no task can have been in before (made) or be in now (removed).  Written
 * key by key into the active generation, each key in one map update, and
 * into the idle one where it holds the same (mirrored); the level bits of
 * slot_info are set first.  No flip, no grace period: a call finds a new
 * cgroup's key or does not, never half a policy.  -EAGAIN when what the
 * active generation holds is not known (og_bpf_verify()): og_bpf_install()
 * then.  0 or -errno.
 */
int og_bpf_rebind(struct og_bpf *b, const struct og_encoding *enc);
/*
 * The enforcer's cgroup was removed and made again at @path (attach.c):
 * attach the cgroup rows of og_progs[] that were attached to the old one
 * to the new one, point the LSM programs' cgroup array at it, and drop the
 * links of the old one.  All or nothing: on failure the old links stay
 * (to retry).  0 or -errno.
 */
int og_bpf_reattach(struct og_bpf *b, const char *path);
/*
 * Attach what loaded: the LSM programs globally (lsm/socket_setsockopt is
 * checked to run, else detached with the reason in b->grp[OG_G_LSM]), the
 * others to the cgroup directory @path, with links: 0 or -errno.
 */
int og_bpf_attach(struct og_bpf *b, const char *path);
/*
 * The hooks attached, by their section names ("lsm/socket_setsockopt,
 * cgroup/setsockopt, cgroup/sock_create ..."), from the links held and the
 * kernel's information on each: 0, or -ENAMETOOLONG when cut to fit @len.
 */
int og_bpf_hooks(const struct og_bpf *b, char *buf, size_t len);
/*
 * Compare what both generations of the rule and force maps hold with what
 * this daemon installed: 0 when they agree; else how many maps differ,
 * with what differs in @why, and both generations marked unknown so that the
 * next og_bpf_install() rewrites them whole (which restores them).
 */
int og_bpf_verify(struct og_bpf *b, char *why, size_t len);
/*
 * Where BPF LSM runs (b->grp[OG_G_LSM].active): load and attach the guard (bpf/guard/),
 * which refuses to every process but this one the bpf() commands that
 * detach optguard's links or write its maps.  Call after og_bpf_attach().
 * 0, or -errno with b->guard_reason saying why (the rest works on).
 */
int og_guard_start(struct og_bpf *b);
void og_guard_close(struct og_bpf *b);
/* Per-rule counters summed over CPUs; @out has b->id_cap entries. */
int og_bpf_counters(struct og_bpf *b, struct og_counters *out, size_t n);
/* Set rule @id's counters to 0 on every CPU (an id given to a new rule): 0 or -errno. */
int og_bpf_counters_zero(struct og_bpf *b, __u32 id);
int og_bpf_events_fd(struct og_bpf *b);
int og_bpf_counters_fd(struct og_bpf *b);

#define OG_POLL_MS	10	/* while events flow: latency of an event */
#define OG_IDLE_POLLS	100	/* empty polls (1 s) before waiting without a timeout */
/*
 * Wait for events and hand them to @rb's callback; @idle counts empty polls
 * (start at 0).  Wakes
 * up every OG_POLL_MS while events flow, never while idle.  Returns the
 * number of events, or -EINTR on a signal.
 */
int og_bpf_events_wait(struct og_bpf *b, struct ring_buffer *rb, int *idle);
/*
 * The same, with the signal mask @sigmask (NULL: unchanged) in place while
 * it waits, atomically (epoll_pwait): a daemon that blocks its signals
 * outside the wait cannot miss one that arrives just before it.
 */
int og_bpf_events_pwait(struct og_bpf *b, struct ring_buffer *rb, int *idle,
			const sigset_t *sigmask);
/* Detach and free everything. */
void og_bpf_close(struct og_bpf *b);

#endif
