// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of notify_ready(), notify_reloading() and notify_stopping()
 * (enforcer/daemon/notify.c): the datagrams systemd's
 * sd_notify protocol expects, on a path socket and on an abstract one
 * ("@name"), a no-op without NOTIFY_SOCKET, errors for a bad address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "tap.h"

/* A datagram socket bound to @name ('@' = abstract); -1 on failure */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	socklen_t len;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@');
	if (bind(fd, (struct sockaddr *)&sa, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The one datagram waiting on @fd, as a string; "" when there is none */
static const char *recv_msg(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/optguard-notify.XXXXXX", path[128], abs[64], big[2000];
	int fd;

	unsetenv("NOTIFY_SOCKET");
	ASSERT_OK(notify_ready("enforcing"), "no NOTIFY_SOCKET: notify_ready is a no-op");

	if (!ASSERT_NONNULL(mkdtemp(dir), "mkdtemp"))
		return done_testing();
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	if (ASSERT_TRUE(fd >= 0, "bind a datagram socket at a path")) {
		setenv("NOTIFY_SOCKET", path, 1);
		ASSERT_OK(notify_ready("enforcing p.ini (2 rules)"), "path socket: sent");
		ASSERT_STREQ(recv_msg(fd), "READY=1\nSTATUS=enforcing p.ini (2 rules)",
			     "path socket: READY=1 and STATUS=");
		ASSERT_OK(notify_ready(NULL), "no status: sent");
		ASSERT_STREQ(recv_msg(fd), "READY=1\n", "no status: READY=1 alone");
		ASSERT_OK(notify_ready("line one\nline two"), "status with a newline: sent");
		ASSERT_STREQ(recv_msg(fd), "READY=1\nSTATUS=line one line two",
			     "status with a newline: one STATUS= line");
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ASSERT_OK(notify_ready(big), "a long status: sent, cut");
		ASSERT_STRSTR(recv_msg(fd), "READY=1\nSTATUS=xxx", "a long status: still READY=1");
		{
			struct timespec ts;
			unsigned long long before, usec = 0;
			const char *m;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			before = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
			ASSERT_OK(notify_reloading(), "reloading: sent");
			m = recv_msg(fd);
			ASSERT_TRUE(!strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27),
				    "reloading: RELOADING=1 then MONOTONIC_USEC=");
			sscanf(m + 27, "%llu", &usec);
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ASSERT_TRUE(usec >= before && usec <= ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000,
				    "reloading: MONOTONIC_USEC is CLOCK_MONOTONIC now, in us");
			ASSERT_OK(notify_stopping(), "stopping: sent");
			ASSERT_STREQ(recv_msg(fd), "STOPPING=1", "stopping: STOPPING=1");
		}
		close(fd);
	}

	snprintf(abs, sizeof(abs), "@optguard-notify-test-%d", getpid());
	fd = listener(abs);
	if (ASSERT_TRUE(fd >= 0, "bind an abstract datagram socket")) {
		setenv("NOTIFY_SOCKET", abs, 1);
		ASSERT_OK(notify_ready("enforcing"), "abstract socket: sent");
		ASSERT_STREQ(recv_msg(fd), "READY=1\nSTATUS=enforcing",
			     "abstract socket: READY=1 and STATUS=");
		close(fd);
	}

	unlink(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ASSERT_EQ(notify_ready("x"), -ENOENT, "a socket path nobody listens on: -ENOENT");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ASSERT_EQ(notify_ready("x"), -EINVAL, "neither a path nor '@name': -EINVAL");
	rmdir(dir);
	return done_testing();
}
