// SPDX-License-Identifier: GPL-2.0-only
/*
 * The setsockopt client of bench/daemon.sh (P5, P6, P8): setsockopt(SO_MARK)
 * on one TCP socket, in a tight loop or paced, from a cgroup it joins
 * itself.  A C program so that what is measured is optguard, not the start-up
 * or the loop of an interpreter.  Not a benchmark by itself: `make bench`
 * builds it and daemon.sh runs it.
 *
 *   hammer [-c CGROUP] [-t SECONDS] [-s STOPFILE] [-r READYFILE] [-i USEC]
 *          [-u ERRNO] [-w ERRNO] [-v VALUE]
 *
 *   -c  join the cgroup v2 directory CGROUP first
 *   -t  stop after SECONDS (default 20)
 *   -s  stop once STOPFILE exists (looked for about every millisecond); with
 *       -w, not before the watched errno was seen (a starved hammer still
 *       reports it), -t still applies
 *   -r  create READYFILE once the first call returned
 *   -i  sleep USEC microseconds between calls (default 0: no pause)
 *   -u  stop at the first call that fails with ERRNO (0: with any errno)
 *   -w  remember when a call first failed with ERRNO
 *   -v  the value set (default 1)
 *
 * Prints one line: "calls=N allowed=N first=NS seconds=S allowed_from=NS
 * allowed_to=NS errnos=E1,E2" where first is the CLOCK_REALTIME (ns since the
 * epoch, as `date +%s%N`) of the first call that failed with the -u or -w
 * errno (0: none did), allowed counts the calls that succeeded (the first and
 * the last of them at allowed_from and allowed_to) and seconds is how long it
 * called.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: hammer [-c CGROUP] [-t SECONDS] [-s STOPFILE] [-r READYFILE] "
		"[-i USEC] [-u ERRNO] [-w ERRNO] [-v VALUE]\n");
	exit(2);
}

static int join_cgroup(const char *dir)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "hammer: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cg = NULL, *stop = NULL, *ready = NULL;
	long long t_end, t0, now, first = 0, calls = 0, allowed = 0, a_first = 0, a_last = 0;
	double seconds = 20;
	long interval_us = 0;
	int until = -1, watch = -1, value = 1, fd, c, i;
	unsigned char seen[4096 / 8] = {};	/* errnos seen */
	struct timespec pause;

	while ((c = getopt(argc, argv, "c:t:s:r:i:u:w:v:")) != -1) {
		switch (c) {
		case 'c': cg = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 's': stop = optarg; break;
		case 'r': ready = optarg; break;
		case 'i': interval_us = atol(optarg); break;
		case 'u': until = atoi(optarg); break;
		case 'w': watch = atoi(optarg); break;
		case 'v': value = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || seconds <= 0 || interval_us < 0)
		usage();
	if (cg && join_cgroup(cg))
		return 1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "hammer: socket: %s\n", strerror(errno));
		return 1;
	}
	pause.tv_sec = interval_us / 1000000;
	pause.tv_nsec = interval_us % 1000000 * 1000;
	t0 = clock_ns(CLOCK_MONOTONIC);
	t_end = t0 + (long long)(seconds * 1e9);
	for (;;) {
		/* a batch of calls between looks at the clock and the stop file */
		for (i = 0; i < 256; i++) {
			calls++;
			if (setsockopt(fd, SOL_SOCKET, SO_MARK, &value, sizeof(value)) == 0) {
				a_last = clock_ns(CLOCK_REALTIME);
				if (!allowed++)
					a_first = a_last;
			} else {
				int e = errno;

				if (e > 0 && e < 4096)
					seen[e / 8] |= 1 << (e % 8);
				if (!first && (e == watch || e == until || (until == 0)))
					first = clock_ns(CLOCK_REALTIME);
				if (until >= 0 && (until == 0 || e == until))
					goto done;
			}
			if (interval_us) {
				nanosleep(&pause, NULL);
				break;
			}
		}
		if (ready) {
			int r = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

			if (r >= 0)
				close(r);
			ready = NULL;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= t_end)
			break;
		if (stop && (watch < 0 || first) && access(stop, F_OK) == 0)
			break;
	}
done:
	now = clock_ns(CLOCK_MONOTONIC);
	printf("calls=%lld allowed=%lld first=%lld seconds=%.3f allowed_from=%lld allowed_to=%lld "
	       "started=%lld errnos=", calls, allowed, first, (now - t0) / 1e9, a_first, a_last,
	       t0 + clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
	for (i = 1, c = 0; i < 4096; i++)
		if (seen[i / 8] & (1 << (i % 8)))
			printf("%s%d", c++ ? "," : "", i);
	printf("\n");
	close(fd);
	return 0;
}
