// SPDX-License-Identifier: GPL-2.0-only
/*
 * A setsockopt client for the tests, built with -m32 so that the call goes
 * through the kernel's compat path (the one the cgroup hook skips).
 *
 *   sockopt [-6] [-d] [-u UID] LEVEL OPTNAME INT
 *   sockopt -g [-c] [-6] [-d] [-u UID] LEVEL OPTNAME
 *   sockopt -g -c -m [-u UID] LEVEL OPTNAME
 *
 * Sets an int option and prints what getsockopt reads back: "set=0 get=N" or
 * "set=-1 errno=N".  -6 uses an AF_INET6 socket, -d a datagram one, -u UID
 * drops to that uid (setgid and setuid) before the socket is created.  The
 * VM selftests run it built 64-bit and 32-bit (-m32 -static).
 *
 * -g sets nothing: it reads the option right after socket() and prints
 * "get=N" (what a force rule put there at create).  With -c it first makes
 * a loopback TCP connection to a listener of its own and prints the
 * connected socket's value and the accepted one's: "get=N acc=M" (forced
 * at connect or established).  -m connects an AF_INET6 socket to an IPv4
 * listener through its v4-mapped address (::ffff:127.0.0.1): the socket's
 * packets are IPv4.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

static int getint(int fd, int level, int optname, int *out)
{
	socklen_t len = sizeof(*out);

	*out = 0;
	return getsockopt(fd, level, optname, out, &len);
}

/*
 * Connect @fd to a loopback listener made here; returns the accepted socket or -1.
 * @mapped: @fd is AF_INET6, the listener AF_INET, reached at ::ffff:127.0.0.1.
 */
static int loop_connect(int fd, int family, int mapped)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 m6;
	socklen_t sl;
	int l, a;

	if (mapped)
		family = AF_INET;
	sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	}
	l = socket(family, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, sl) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&ss, &sl)) {
		perror("listener");
		return -1;
	}
	if (mapped) {
		memset(&m6, 0, sizeof(m6));
		m6.sin6_family = AF_INET6;
		m6.sin6_port = ((struct sockaddr_in *)&ss)->sin_port;
		inet_pton(AF_INET6, "::ffff:127.0.0.1", &m6.sin6_addr);
		memcpy(&ss, &m6, sizeof(m6));
		sl = sizeof(m6);
	}
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		perror("connect");
		return -1;
	}
	a = accept(l, NULL, NULL);
	if (a < 0)
		perror("accept");
	close(l);
	return a;
}

/* -g: read only, after socket() or (-c) after a loopback connection. */
static int get_only(int fd, int family, int conn, int mapped, int level, int optname)
{
	int got, acc = -1, a;

	if (!conn) {
		if (getint(fd, level, optname, &got) < 0) {
			printf("get=? errno=%d\n", errno);
			return 0;
		}
		printf("get=%d\n", got);
		return 0;
	}
	a = loop_connect(fd, family, mapped);
	if (a < 0)
		return 1;
	if (getint(fd, level, optname, &got) < 0 || getint(a, level, optname, &acc) < 0) {
		printf("get=? errno=%d\n", errno);
		return 0;
	}
	printf("get=%d acc=%d\n", got, acc);
	close(a);
	return 0;
}

int main(int argc, char **argv)
{
	int family = AF_INET, type = SOCK_STREAM, c, fd, level, optname, val, got = 0;
	int get = 0, conn = 0, mapped = 0;
	socklen_t len = sizeof(got);
	long uid = -1;
	char *end;

	while ((c = getopt(argc, argv, "6cdgmu:")) != -1) {
		if (c == '6') {
			family = AF_INET6;
		} else if (c == 'm') {
			family = AF_INET6;
			mapped = 1;
		} else if (c == 'c') {
			conn = 1;
		} else if (c == 'd') {
			type = SOCK_DGRAM;
		} else if (c == 'g') {
			get = 1;
		} else if (c == 'u') {
			uid = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || uid < 0)
				return 2;
		} else {
			return 2;
		}
	}
	if (argc - optind != (get ? 2 : 3) || (conn && (!get || type != SOCK_STREAM)) ||
	    (mapped && !conn)) {
		fprintf(stderr, "usage: sockopt [-6] [-d] [-u UID] LEVEL OPTNAME INT\n"
			"       sockopt -g [-c] [-6] [-d] [-u UID] LEVEL OPTNAME\n"
			"       sockopt -g -c -m [-u UID] LEVEL OPTNAME\n");
		return 2;
	}
	if (uid >= 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0)) {
		perror("setuid");
		return 1;
	}
	level = atoi(argv[optind]);
	optname = atoi(argv[optind + 1]);
	fd = socket(family, type, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (get)
		return get_only(fd, family, conn, mapped, level, optname);
	val = (int)strtol(argv[optind + 2], NULL, 0);
	if (setsockopt(fd, level, optname, &val, sizeof(val)) < 0) {
		printf("set=-1 errno=%d\n", errno);
		return 0;
	}
	if (getsockopt(fd, level, optname, &got, &len) < 0) {
		printf("set=0 get=? errno=%d\n", errno);
		return 0;
	}
	printf("set=0 get=%d\n", got);
	close(fd);
	return 0;
}
