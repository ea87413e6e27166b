// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/README.md P1, P2 and P3: the setsockopt hot path, as ratios measured in one
 * run.  A and B are attached in turn to a child cgroup this process moves
 * into (A B A B ...); each round times ROUND_CALLS setsockopt(SO_SNDBUF)
 * calls; a figure is the median of the rounds.  Absolute nanoseconds are
 * printed for context only.
 *
 *   P1  no rule matches, policy of 1 and of 100k rules   optguard / empty program
 *   P2  a rule clamps the call and an event is logged     optguard / empty program
 *   P3  the empty program                                 empty / no program
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bench.h"
#include "log.h"
#include "empty.skel.h"
#include "optguard.skel.h"

#define ROUNDS		9
#define ROUND_CALLS	200000
#define BIG_RULES	100000

static volatile int stop_consumer;

/* ns per setsockopt call over ROUND_CALLS calls */
static long long time_calls(int fd, int val)
{
	long long t0 = now_ns();
	int i;

	for (i = 0; i < ROUND_CALLS; i++)
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)) < 0) {
			perror("bench: setsockopt");
			exit(1);
		}
	return (now_ns() - t0) / ROUND_CALLS;
}

static struct og_bpf *consumer_bpf;

/* The daemon's consumer loop (og_bpf_events_wait), in a thread. */
static void *consumer(void *arg)
{
	struct ring_buffer *rb = arg;
	int idle = 0;

	while (!stop_consumer)
		og_bpf_events_wait(consumer_bpf, rb, &idle);
	ring_buffer__consume(rb);
	return NULL;
}

/* Load optguard with the policy text @ini (its cgroup is ours). */
static void load_optguard(struct og_bpf *b, const char *ini, size_t len)
{
	load_optguard_lim(b, ini, len, (struct og_bpf_limits){ .ringbuf_bytes = 16u << 20 });
}

static struct bpf_link *attach(struct bpf_program *prog)
{
	struct bpf_link *l = bpf_program__attach_cgroup(prog, cg_fd);

	if (!l) {
		fprintf(stderr, "bench: attach: %s\n", strerror(errno));
		exit(1);
	}
	return l;
}

/*
 * Rounds of A then B; A or B NULL means no program.  Prints the medians and
 * their ratio, and returns the ratio.
 */
static double ab(const char *id, const char *what, struct bpf_program *a, struct bpf_program *b,
		 int val, const char *target)
{
	long long ta[ROUNDS], tb[ROUNDS];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int r;

	time_calls(fd, val);	/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		struct bpf_link *l;

		l = a ? attach(a) : NULL;
		ta[r] = time_calls(fd, val);
		bpf_link__destroy(l);
		l = b ? attach(b) : NULL;
		tb[r] = time_calls(fd, val);
		bpf_link__destroy(l);
	}
	close(fd);
	long long ma = median(ta, ROUNDS), mb = median(tb, ROUNDS);
	double ratio = (double)ma / (double)mb;

	printf("%-3s %-52s A %4lld ns  B %4lld ns  A/B %.3f  (target %s)\n", id, what, ma, mb,
	       ratio, target);
	return ratio;
}

static char *big_policy(size_t *len)
{
	size_t cap = (size_t)BIG_RULES * 96 + 256, o = 0, i;
	char *s = malloc(cap);

	if (!s)
		exit(1);
	o += snprintf(s + o, cap - o, "[enforcer]\ncgroup = %s\nlog = none\n", cg_dir);
	/* 100k rules for SO_MARK, one per uid: none matches SO_SNDBUF */
	for (i = 0; i < BIG_RULES; i++)
		o += snprintf(s + o, cap - o, "[scope:u%zu]\nuid = %zu\n[rule:r%zu]\nscope = u%zu\n"
			      "option = SO_MARK\naction = deny\n", i, 200000 + i, i, i);
	*len = o;
	return s;
}

int main(void)
{
	struct empty_bpf *empty;
	struct og_bpf og1 = {}, og2 = {};
	static struct og_bpf og3;
	struct ring_buffer *rb;
	pthread_t th;
	char ini[8192], *big;
	size_t len;
	int n;

	if (geteuid() != 0) {
		fprintf(stderr, "bench: needs root\n");
		return 77;
	}
	log_init("bench", 0);
	libbpf_set_print(NULL);
	cg_enter("sockopt", NULL);
	printf("optguard hot-path benchmark: %d rounds x %d setsockopt(SO_SNDBUF) calls, "
	       "A and B interleaved, medians\n", ROUNDS, ROUND_CALLS);

	empty = empty_bpf__open_and_load();
	if (!empty) {
		fprintf(stderr, "bench: cannot load the empty program\n");
		return 1;
	}

	if (getenv("OG_BENCH_ONLY_P2"))
		goto p2;
	/* P1, 1 rule: SO_MARK denied, the call is SO_SNDBUF */
	n = snprintf(ini, sizeof(ini), "[enforcer]\ncgroup = %s\nlog = none\n"
		     "[rule:no-mark]\noption = SO_MARK\naction = deny\n", cg_dir);
	load_optguard(&og1, ini, n);
	ab("P1", "no rule matches, policy of 1 rule", og1.skel->progs.og_setsockopt,
	   empty->progs.og_empty, 65536, "<= 1.05");

	big = big_policy(&len);
	load_optguard(&og2, big, len);
	free(big);
	ab("P1", "no rule matches, policy of 100k rules", og2.skel->progs.og_setsockopt,
	   empty->progs.og_empty, 65536, "<= 1.05");
	og_bpf_close(&og1);
	og_bpf_close(&og2);
p2:

	/* the clamp alone, for the split of P2's cost */
	{
		struct og_bpf og4;

		n = snprintf(ini, sizeof(ini), "[enforcer]\ncgroup = %s\nlog = none\n"
			     "[rule:sndbuf]\noption = SO_SNDBUF\naction = clamp\nmax = 64K\n",
			     cg_dir);
		load_optguard(&og4, ini, n);
		ab("P2-", "a rule clamps the call, no event (log = none)",
		   og4.skel->progs.og_setsockopt, empty->progs.og_empty, 1 << 20, "report only");
		og_bpf_close(&og4);
	}

	/* P2: SO_SNDBUF clamped, every call logged and consumed by a thread */
	n = snprintf(ini, sizeof(ini), "[enforcer]\ncgroup = %s\nlog = json\nlog_rate = 0\n"
		     "[rule:sndbuf]\noption = SO_SNDBUF\naction = clamp\nmax = 64K\n", cg_dir);
	load_optguard(&og3, ini, n);
	rb = ring_buffer__new(og_bpf_events_fd(&og3), on_event, NULL, NULL);
	consumer_bpf = &og3;
	if (!rb || pthread_create(&th, NULL, consumer, rb))
		return 1;
	ab("P2", "a rule clamps the call, event logged", og3.skel->progs.og_setsockopt,
	   empty->progs.og_empty, 1 << 20, "<= 1.25");
	stop_consumer = 1;
	pthread_join(th, NULL);
	{
		struct og_counters c[2];

		og_bpf_counters(&og3, c, 2);
		printf("    P2 accounting: %llu decisions, %llu events (%llu consumed), %llu dropped, "
		       "%llu suppressed\n", (unsigned long long)c[1].decisions,
		       (unsigned long long)c[1].events, consumed, (unsigned long long)c[1].dropped,
		       (unsigned long long)c[1].suppressed);
	}
	ring_buffer__free(rb);

	ab("P3", "empty program vs no program (the kernel's price)", empty->progs.og_empty, NULL,
	   65536, "report only");

	og_bpf_close(&og3);
	empty_bpf__destroy(empty);
	return 0;
}
