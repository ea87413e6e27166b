/* SPDX-License-Identifier: GPL-2.0-only */
/* Load the BPF programs, install a policy into them, attach them. */
#ifndef OPTGUARD_LOADER_H
#define OPTGUARD_LOADER_H

#include <stdbool.h>

#include "encode.h"

struct sockopt_bpf;
struct bpf_link;
struct ring_buffer;

struct og_bpf {
	struct sockopt_bpf *skel;
	struct bpf_link *link;	/* cgroup/setsockopt on the policy's cgroup */
	size_t key_cap;		/* og_rules entries: both generations */
	size_t id_cap;		/* og_counters entries */
	bool has_retval;	/* errno of a deny is the rule's, not only EPERM */
};

struct og_bpf_limits {
	size_t max_keys;	/* rule keys of one generation */
	size_t max_ids;		/* rule ids */
	size_t ringbuf_bytes;	/* power of two, page multiple */
};

/* Open and load.  0 or -errno (the libbpf message was printed). */
int og_bpf_load(struct og_bpf *b, const struct og_bpf_limits *lim);
/*
 * Fill the idle generation with @enc, then make it the active one in a
 * single store: no call ever sees half of a policy.  Returns the generation
 * now active, or -E2BIG when @enc does not fit the maps as loaded (a restart
 * is needed), or another -errno.
 */
int og_bpf_install(struct og_bpf *b, const struct og_encoding *enc);
/* Attach to the cgroup directory @path with a link: 0 or -errno. */
int og_bpf_attach(struct og_bpf *b, const char *path);
/* Per-rule counters summed over CPUs; @out has b->id_cap entries. */
int og_bpf_counters(struct og_bpf *b, struct og_counters *out, size_t n);
int og_bpf_events_fd(struct og_bpf *b);

#define OG_POLL_MS	10	/* while events flow: latency of an event */
#define OG_IDLE_POLLS	100	/* empty polls (1 s) before waiting without a timeout */
/*
 * Wait for events and hand them to @rb's callback; @idle counts empty polls
 * (start at 0).  Wakes
 * up every OG_POLL_MS while events flow, never while idle.  Returns the
 * number of events, or -EINTR on a signal.
 */
int og_bpf_events_wait(struct og_bpf *b, struct ring_buffer *rb, int *idle);
/* Detach and free everything. */
void og_bpf_close(struct og_bpf *b);

#endif
