/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the benchmark programs share: time and medians, a child cgroup of
 * their own (never the root) that they move into and remove on exit, and
 * loading optguard from policy text.  Header-only: each bench/NAME.c is one
 * program (Makefile), and this is included once per program.
 */
#ifndef OPTGUARD_BENCH_H
#define OPTGUARD_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "encode.h"
#include "loader.h"
#include "policy.h"

static char cg_dir[4096], cg_orig[4096], cg_sub[4200];
static int cg_fd = -1;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

/* the ring buffer callback of both benchmarks: the events they drained */
static unsigned long long consumed;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	if (size >= sizeof(struct og_event))
		consumed++;
	return 0;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		die(path);
	close(fd);
}

static void on_signal(int sig)
{
	(void)sig;
	exit(130);	/* atexit: leave and remove the cgroups; the links die with us */
}

static void cg_leave(void)
{
	char procs[4200];

	if (cg_fd < 0)
		return;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_orig);
	write_file(procs, "0");
	close(cg_fd);
	cg_fd = -1;
	if (cg_sub[0] && rmdir(cg_sub))
		fprintf(stderr, "bench: rmdir %s: %s\n", cg_sub, strerror(errno));
	if (rmdir(cg_dir))
		fprintf(stderr, "bench: rmdir %s: %s\n", cg_dir, strerror(errno));
}

/*
 * Move into $cg2/optguard-bench-NAME-PID (never the root); with @sub, make
 * an empty cgroup SUB below it too.  Removed at exit and on SIGINT/SIGTERM.
 */
static void cg_enter(const char *name, const char *sub)
{
	char mnt[4096], procs[4200];

	if (cg2_mount(mnt, sizeof(mnt)) || cg_of_pid(0, cg_orig, sizeof(cg_orig))) {
		fprintf(stderr, "bench: no cgroup2 mount\n");
		exit(1);
	}
	snprintf(cg_dir, sizeof(cg_dir), "%.4000s/optguard-bench-%s-%d", mnt, name, getpid());
	if (mkdir(cg_dir, 0755))
		die(cg_dir);
	if (sub) {
		snprintf(cg_sub, sizeof(cg_sub), "%s/%s", cg_dir, sub);
		if (mkdir(cg_sub, 0755)) {
			rmdir(cg_dir);
			die(cg_sub);
		}
	}
	cg_fd = open(cg_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		die(cg_dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_dir);
	write_file(procs, "0");
	atexit(cg_leave);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

/* Load optguard with the policy text @ini (its cgroup is ours) and limits @lim. */
static void load_optguard_lim(struct og_bpf *b, const char *ini, size_t len,
			      struct og_bpf_limits lim)
{
	struct og_policy *p = NULL;
	struct og_diag d = {};
	struct og_encoding enc;
	size_t i;

	if (policy_load_buffer("bench.ini", ini, len, &p, &d)) {
		for (i = 0; i < d.nmsgs; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		exit(1);
	}
	diag_free(&d);
	if (policy_encode(p, &enc))
		exit(1);
	lim.max_keys = enc.nkeys > enc.nfkeys ? enc.nkeys : enc.nfkeys;
	lim.max_ids = enc.nids;
	if (og_bpf_load(b, &lim) || og_bpf_install(b, &enc) < 0)
		exit(1);
	encoding_free(&enc);
	policy_free(p);
}

/* The rounds a figure's median may take (each program's own count is at most this). */
#define BENCH_MAXROUNDS	101

/* Attach the NULL-terminated @progs to the bench's cgroup (cg_enter()). */
static inline void bench_attach(struct bpf_program **progs, struct bpf_link **links)
{
	int i;

	for (i = 0; progs[i]; i++) {
		links[i] = bpf_program__attach_cgroup(progs[i], cg_fd);
		if (!links[i])
			die("attach");
	}
}

/* Destroy the first @n of @links (NULL ones are skipped) and clear them. */
static inline void bench_detach(struct bpf_link **links, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
}

/* The median over the rounds of t[ref][r] / t[s][r]: the rate of s over ref's. */
static inline double bench_ratio(long long t[][BENCH_MAXROUNDS], int s, int ref, int nrounds)
{
	long long q[BENCH_MAXROUNDS];
	int r;

	for (r = 0; r < nrounds; r++)
		q[r] = t[ref][r] * 100000 / t[s][r];
	return median(q, nrounds) / 100000.0;
}

#endif
