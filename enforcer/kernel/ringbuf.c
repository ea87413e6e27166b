// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event ring buffer's wake protocol (loader.h): poll while events flow,
 * sleep without a timeout once idle, with og_consumer_sleeping telling the
 * programs when a wake-up is needed (bpf/common.bpf.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>

#include <bpf/libbpf.h>

#include "loader.h"
#include "optguard.skel.h"

/*
 * Wait up to @timeout_ms for a wake-up (@sigmask in place while waiting:
 * epoll_pwait), then read what is queued, also when the wait timed out: the
 * programs submit without a wake-up while the daemon polls, so the timeout
 * is the poll (ring_buffer__poll() reads only after a wake-up).  The number
 * of records read, or -errno.
 */
static int rb_pwait(struct ring_buffer *rb, int timeout_ms, const sigset_t *sigmask)
{
	struct epoll_event ev;

	if (epoll_pwait(ring_buffer__epoll_fd(rb), &ev, 1, timeout_ms, sigmask) < 0)
		return -errno;
	return ring_buffer__consume(rb);
}

int og_bpf_events_wait(struct og_bpf *b, struct ring_buffer *rb, int *idle)
{
	return og_bpf_events_pwait(b, rb, idle, NULL);
}

int og_bpf_events_pwait(struct og_bpf *b, struct ring_buffer *rb, int *idle,
			const sigset_t *sigmask)
{
	volatile __u32 *sleeping = &b->skel->bss->og_consumer_sleeping;
	int n;

	if (*idle < OG_IDLE_POLLS) {
		n = rb_pwait(rb, OG_POLL_MS, sigmask);
	} else {
		/* idle: announce the sleep, then look once more before it */
		__atomic_store_n(sleeping, 1, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		n = ring_buffer__consume(rb);
		if (n == 0)
			n = rb_pwait(rb, b->idle_timeout_ms > 0 ? b->idle_timeout_ms : -1, sigmask);
		__atomic_store_n(sleeping, 0, __ATOMIC_SEQ_CST);
	}
	if (n > 0)
		*idle = 0;
	else if (n == 0)
		(*idle)++;
	return n;
}

int og_bpf_events_fd(struct og_bpf *b)
{
	return bpf_map__fd(b->skel->maps.og_events);
}
