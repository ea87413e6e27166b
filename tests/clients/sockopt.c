// SPDX-License-Identifier: GPL-2.0-only
/*
 * A setsockopt client for the tests, built with -m32 so that the call goes
 * through the kernel's compat path (the one the cgroup hook skips).
 *
 *   sockopt [-6] [-d] [-u UID] LEVEL OPTNAME INT
 *
 * Sets an int option and prints what getsockopt reads back: "set=0 get=N" or
 * "set=-1 errno=N".  -6 uses an AF_INET6 socket, -d a datagram one, -u UID
 * drops to that uid (setgid and setuid) before the socket is created.  The
 * VM selftests run it built 64-bit and 32-bit (-m32 -static).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int family = AF_INET, type = SOCK_STREAM, c, fd, level, optname, val, got = 0;
	socklen_t len = sizeof(got);
	long uid = -1;
	char *end;

	while ((c = getopt(argc, argv, "6du:")) != -1) {
		if (c == '6') {
			family = AF_INET6;
		} else if (c == 'd') {
			type = SOCK_DGRAM;
		} else if (c == 'u') {
			uid = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || uid < 0)
				return 2;
		} else {
			return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: sockopt [-6] [-d] [-u UID] LEVEL OPTNAME INT\n");
		return 2;
	}
	if (uid >= 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0)) {
		perror("setuid");
		return 1;
	}
	level = atoi(argv[optind]);
	optname = atoi(argv[optind + 1]);
	val = (int)strtol(argv[optind + 2], NULL, 0);
	fd = socket(family, type, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
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
