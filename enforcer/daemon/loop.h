/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's event sources besides the ring buffer, in one table: the
 * control socket, the policy directory's inotify, the metrics listener,
 * and whatever else a feature adds (loop_add()).  Their fds join the ring
 * buffer's epoll set, so one wait (og_bpf_events_pwait(), which also lets
 * the signals in) wakes for any of them; loop_dispatch() then calls the
 * handler of each fd that is ready.
 */
#ifndef OPTGUARD_LOOP_H
#define OPTGUARD_LOOP_H

#define OG_LOOP_MAX 16

typedef void (*og_fd_fn)(void *ctx, int fd);

struct og_loop {
	int epfd;		/* the ring buffer's epoll fd */
	struct {
		int fd;
		og_fd_fn fn;
		void *ctx;
		const char *name;
	} h[OG_LOOP_MAX];
	int n;
};

/* Start a table whose fds join @epfd's epoll set. */
void loop_init(struct og_loop *l, int epfd);
/* Call @fn(@ctx, @fd) whenever @fd is readable: 0, -ENOSPC, or -errno (logged). */
int loop_add(struct og_loop *l, int fd, og_fd_fn fn, void *ctx, const char *name);
/* Forget @fd (the caller closes it). */
void loop_del(struct og_loop *l, int fd);
/* Call the handler of every fd readable now; never waits. */
void loop_dispatch(struct og_loop *l);

#endif
