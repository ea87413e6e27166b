// SPDX-License-Identifier: GPL-2.0-only
/* systemd readiness notification (notify.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/* Send the datagram @msg (@n bytes) to $NOTIFY_SOCKET: 0 (also without one) or -errno */
static int notify_send(const char *msg, size_t n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	size_t plen;
	ssize_t w;
	int fd, ret = 0;

	if (!path || !path[0])
		return 0;
	/* a path, or an abstract name ('@' stands for the leading NUL) */
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path)) {
		log_warnx("notify: NOTIFY_SOCKET '%s' is not a socket path or abstract name", path);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	/* an abstract name is exactly plen bytes long; a path ends at its NUL */
	salen = offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/');

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		log_warn("notify: socket");
		return ret;
	}
	w = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (w != (ssize_t)n) {
		ret = w < 0 ? -errno : -EIO;	/* a datagram goes whole or not at all */
		log_warnx("notify: cannot notify systemd at %s: %s", path, strerror(-ret));
	}
	close(fd);
	return ret;
}

int notify_ready(const char *status)
{
	char msg[1024];
	size_t i;
	int n;

	n = snprintf(msg, sizeof(msg), "READY=1\n%s%s", status ? "STATUS=" : "",
		     status ? status : "");
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;	/* a long status is cut, readiness still sent */
	for (i = sizeof("READY=1\n") - 1; i < (size_t)n; i++)
		if (msg[i] == '\n')	/* one STATUS= line: a newline would start a new field */
			msg[i] = ' ';
	return notify_send(msg, n);
}

int notify_reloading(void)
{
	struct timespec ts;
	char msg[128];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		     (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000);
	return notify_send(msg, n);
}

int notify_stopping(void)
{
	return notify_send("STOPPING=1", sizeof("STOPPING=1") - 1);
}
