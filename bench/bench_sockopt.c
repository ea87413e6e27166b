// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/README.md P1, P2 and P3: the setsockopt hot path, as ratios measured in one
 * run.  A and B are attached in turn to a child cgroup this process moves
 * into (A B A B ...); each round times ROUND_CALLS setsockopt(SO_SNDBUF)
 * calls; a figure is the median of the rounds.  Absolute nanoseconds are
 * printed for context only.
 *
 *   P1  no rule matches, policy of 1 and of 100k rules   optguard / empty program
 *       (the 100k-rule policy is written to a file and loaded by `optguard
 *       run`, as a user would: the daemon's cgroup/setsockopt program on one
 *       child cgroup, the empty program on another; this process moves
 *       between them, each with a socket it made there)
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
#include <sys/wait.h>
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

static char og_cg[4200], empty_cg[4200], pin_dir[256], policy_dir[64];
static pid_t daemon_pid;

/* in the cgroup @dir from now on */
static void move_to(const char *dir)
{
	char procs[4300];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	write_file(procs, "0");
}

/* The daemon stopped and unloaded, the child cgroups and the policy file removed (atexit). */
static void daemon_cleanup(void)
{
	char cmd[512];
	int st;

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, &st, 0);
		daemon_pid = 0;
	}
	if (pin_dir[0]) {
		snprintf(cmd, sizeof(cmd), "'%s' unload --pin-dir %s > /dev/null",
			 getenv("OPTGUARD") ? getenv("OPTGUARD") : "./optguard", pin_dir);
		if (system(cmd))
			fprintf(stderr, "bench: %s failed\n", cmd);
		pin_dir[0] = '\0';
	}
	move_to(cg_dir);
	if (og_cg[0])
		rmdir(og_cg);
	if (empty_cg[0])
		rmdir(empty_cg);
	if (policy_dir[0]) {
		snprintf(cmd, sizeof(cmd), "%s/policy.ini", policy_dir);
		unlink(cmd);
		rmdir(policy_dir);
	}
}

/*
 * `optguard run --policy FILE` (the binary in $OPTGUARD, else ./optguard),
 * until it says it enforces; exits on failure.
 */
static void daemon_start(const char *file)
{
	const char *bin = getenv("OPTGUARD") ? getenv("OPTGUARD") : "./optguard";
	char line[4096];
	int pfd[2];
	FILE *f;

	if (pipe(pfd))
		die("pipe");
	daemon_pid = fork();
	if (daemon_pid < 0)
		die("fork");
	if (daemon_pid == 0) {
		move_to(cg_dir);	/* not in a cgroup the benchmark removes */
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execl(bin, "optguard", "run", "--policy", file, (char *)NULL);
		fprintf(stderr, "bench: exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "optguard: enforcing ")) {
			/* its later lines go nowhere: the pipe is left open, unread, small */
			return;
		}
		fputs(line, stderr);
	}
	fprintf(stderr, "bench: optguard run --policy %s did not start\n", file);
	exit(1);
}

/* Rounds of A (socket @fa, made in @ca) then B (@fb, made in @cb), as ab() */
static double ab_cgroups(const char *id, const char *what, int fa, const char *ca, int fb,
			 const char *cb, int val, const char *target)
{
	long long ta[ROUNDS], tb[ROUNDS];
	int r;

	move_to(ca);
	time_calls(fa, val);	/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		move_to(ca);
		ta[r] = time_calls(fa, val);
		move_to(cb);
		tb[r] = time_calls(fb, val);
	}
	move_to(cg_dir);
	long long ma = median(ta, ROUNDS), mb = median(tb, ROUNDS);
	double ratio = (double)ma / (double)mb;

	printf("%-3s %-52s A %4lld ns  B %4lld ns  A/B %.3f  (target %s)\n", id, what, ma, mb,
	       ratio, target);
	return ratio;
}

static char *big_policy(const char *cgroup, const char *pins, size_t *len);

/* P1 with 100k rules: through a policy file and `optguard run` */
static void p1_big_via_run(struct empty_bpf *empty)
{
	char file[128], *big;
	struct bpf_link *l;
	size_t len;
	int fd, fa, fb;

	snprintf(og_cg, sizeof(og_cg), "%s/og", cg_dir);
	snprintf(empty_cg, sizeof(empty_cg), "%s/empty", cg_dir);
	if (mkdir(og_cg, 0755) || mkdir(empty_cg, 0755))
		die("mkdir");
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/optguard-bench-%d", getpid());
	snprintf(policy_dir, sizeof(policy_dir), "/tmp/optguard-bench-XXXXXX");
	if (!mkdtemp(policy_dir))
		die("mkdtemp");
	atexit(daemon_cleanup);
	snprintf(file, sizeof(file), "%s/policy.ini", policy_dir);
	big = big_policy(og_cg, pin_dir, &len);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, big, len) != (ssize_t)len || close(fd))
		die(file);
	free(big);
	printf("    P1 100k: %s (%zu bytes) loaded by optguard run\n", file, len);
	daemon_start(file);

	fd = open(empty_cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	l = fd < 0 ? NULL : bpf_program__attach_cgroup(empty->progs.og_empty, fd);
	if (!l)
		die("attach the empty program");
	close(fd);
	/* a socket's cgroup programs are those of the cgroup it was made in */
	move_to(og_cg);
	fa = socket(AF_INET, SOCK_STREAM, 0);
	move_to(empty_cg);
	fb = socket(AF_INET, SOCK_STREAM, 0);
	move_to(cg_dir);
	if (fa < 0 || fb < 0)
		die("socket");
	ab_cgroups("P1", "no rule matches, policy of 100k rules (optguard run)", fa, og_cg, fb,
		   empty_cg, 65536, "<= 1.05");
	close(fa);
	close(fb);
	bpf_link__destroy(l);
	daemon_cleanup();
}

static char *big_policy(const char *cgroup, const char *pins, size_t *len)
{
	size_t cap = (size_t)BIG_RULES * 96 + 512, o = 0, i;
	char *s = malloc(cap);

	if (!s)
		exit(1);
	o += snprintf(s + o, cap - o, "[enforcer]\ncgroup = %s\npin_dir = %s\nlog = none\n",
		      cgroup, pins);
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
	struct og_bpf og1 = {};
	static struct og_bpf og3;
	struct ring_buffer *rb;
	pthread_t th;
	char ini[8192];
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

	og_bpf_close(&og1);
	p1_big_via_run(empty);
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
