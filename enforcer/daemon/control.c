// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's control socket (control.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

int control_listen(struct og_control *c, const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, ret;

	c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	ret = unix_addr(path, &sa);
	if (ret) {
		log_warnx("control socket %s: %s", path, strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		log_warn("control socket: socket");
		return ret;
	}
	/* what is there is a killed daemon's socket: we hold the lock of this pin_dir */
	if (unlink(path) && errno != ENOENT) {
		ret = -errno;
		log_warn("control socket %s: cannot remove the old one", path);
		close(fd);
		return ret;
	}
	old = umask(0177);	/* made 0600: no moment where others may connect */
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!ret && (chmod(path, 0600) || listen(fd, 8)))
		ret = -errno;
	if (ret) {
		errno = -ret;
		log_warn("control socket %s", path);
		close(fd);
		unlink(path);
		return ret;
	}
	c->fd = fd;
	return 0;
}

/* Read one line (without its newline) from @fd within @ms: its length or -errno */
static ssize_t read_line(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len) {
		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		n += r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return n;
}

int control_accept(struct og_control *c, char *req, size_t len)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char why[128];
	int fd;

	if (c->fd < 0)
		return -1;
	fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
		log_warn("control socket: SO_PEERCRED");
		close(fd);
		return -1;
	}
	if (cred.uid != 0) {
		snprintf(why, sizeof(why), "uid %u is not root: refused\n", cred.uid);
		log_warnx("control socket: a peer with uid %u: refused", cred.uid);
		control_answer(fd, "error", why);
		return -1;
	}
	/* one short line: a peer that says nothing holds the daemon 1 s at most */
	if (read_line(fd, req, len, 1000) <= 0) {
		control_answer(fd, "error", "no request within 1 s\n");
		return -1;
	}
	return fd;
}

void control_answer(int fd, const char *status, const char *text)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	const char *parts[2] = { status, text ? text : "" };
	size_t i, n, off;
	ssize_t w;

	for (i = 0; i < 2; i++) {
		n = strlen(parts[i]);
		for (off = 0; off < n;) {
			w = send(fd, parts[i] + off, n - off, MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN && poll(&p, 1, 1000) > 0)
				continue;
			if (w <= 0)
				goto out;	/* a peer that went away or reads nothing */
			off += w;
		}
		if (i == 0 && send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
			goto out;
	}
out:
	close(fd);
}

void control_close(struct og_control *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	unlink(c->path);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int control_call(const char *path, const char *req, int timeout_ms, char **answer)
{
	struct pollfd p = { .events = POLLIN };
	long long end = now_ms() + timeout_ms;
	size_t n = 0, cap = 4096;
	struct sockaddr_un sa;
	char *buf = NULL, *nb;
	int fd, ret;
	ssize_t r;

	ret = unix_addr(path, &sa);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    dprintf(fd, "%s\n", req) < 0 || shutdown(fd, SHUT_WR)) {
		ret = -errno;
		goto out;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	p.fd = fd;
	for (;;) {
		long long left = end - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			ret = -ETIMEDOUT;
			goto out;
		}
		if (n + 1 >= cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	*answer = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}
