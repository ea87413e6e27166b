// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's fd handlers (loop.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>

#include "log.h"
#include "loop.h"

/*
 * The tag our fds carry in the epoll set: the ring buffer's own entries
 * carry their ring's index, which a wake-up does not read (the wait reads
 * every ring, then we look at every fd).
 */
#define LOOP_TAG 0xffff0000u

void loop_init(struct og_loop *l, int epfd)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epfd;
}

int loop_add(struct og_loop *l, int fd, og_fd_fn fn, void *ctx, const char *name)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LOOP_TAG + l->n };

	if (l->n >= OG_LOOP_MAX) {
		log_warnx("%s: more than %d event sources", name, OG_LOOP_MAX);
		return -ENOSPC;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int ret = -errno;

		log_warn("%s: epoll", name);
		return ret;
	}
	l->h[l->n].fd = fd;
	l->h[l->n].fn = fn;
	l->h[l->n].ctx = ctx;
	l->h[l->n].name = name;
	l->n++;
	return 0;
}

void loop_del(struct og_loop *l, int fd)
{
	int i;

	for (i = 0; i < l->n; i++) {
		if (l->h[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->h[i] = l->h[--l->n];
		return;
	}
}

void loop_dispatch(struct og_loop *l)
{
	struct pollfd p[OG_LOOP_MAX];
	int i, n = l->n;

	if (n <= 0 || n > OG_LOOP_MAX)
		return;
	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = l->h[i].fd, .events = POLLIN };
	if (poll(p, (nfds_t)n, 0) <= 0)
		return;
	/* a handler may add or remove entries: call by the fds polled */
	for (i = 0; i < n; i++) {
		int j;

		if (!(p[i].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		for (j = 0; j < l->n; j++)
			if (l->h[j].fd == p[i].fd) {
				l->h[j].fn(l->h[j].ctx, p[i].fd);
				break;
			}
	}
}
