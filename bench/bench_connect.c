// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/README.md P4: the loopback TCP connect + accept + close rate with three
 * options forced at connect and established, as ratios measured in one run.
 * The programs are attached in turn to a child cgroup this process moves
 * into (A B C A B C ...); both ends of every connection are made in it, so
 * both carry a plan.  Each round times ROUND_CONNS connections on a fresh
 * listener; a figure is the median of the rounds.  Absolute figures are
 * printed for context only.
 *
 *   A  optguard's force programs (sock_create, connect4/6, sockops) and its
 *      cgroup/setsockopt program, SO_MARK, TCP_CONGESTION=reno and
 *      SO_KEEPALIVE forced at connect and established, log = json with the
 *      default log_rate, events drained by a thread as the daemon does
 *   B  no program
 *   C  the same programs, with the same rules scoped to a cgroup the bench
 *      is not in: the price an unmarked socket pays
 *
 * P4 is A/B of the rates (target >= 0.90); C/B is reported beside it.
 * F1 ... F5 (report only) are the floor: the kernel's own mechanisms that
 * the force issue's rows need, without optguard (bench/bpf/floor/floor.bpf.c
 * says what each one attaches), interleaved with A, B and C in the same rounds.
 * OG_BENCH_PROG_STATS=1 also prints each program's mean run time (the
 * kernel's bpf_stats, turned on for the run: it slows A and C a little).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "log.h"
#include "floor.skel.h"
#include "optguard.skel.h"

#define ROUNDS		9
#define ROUND_CONNS	4000
#define NPROGS		5
#define NRULES		3	/* rule ids 1..3: mark, cc, ka */
#define NFLOORS		5	/* F1 ... F5 */

static volatile int stop_consumer;

/*
 * Drain both ring buffers in a thread, every OG_POLL_MS as the daemon does
 * while events flow (it never sleeps here: C writes no events at all).
 */
static void *consumer(void *arg)
{
	struct ring_buffer *rb = arg;

	while (!stop_consumer)
		ring_buffer__poll(rb, OG_POLL_MS);
	ring_buffer__consume(rb);
	return NULL;
}

/* Load optguard with the policy text @ini (its cgroup is ours); the force programs must load. */
static void load_optguard(struct og_bpf *b, const char *ini, size_t len)
{
	load_optguard_lim(b, ini, len,
			  (struct og_bpf_limits){ .ringbuf_bytes = 16u << 20, .lsm = OG_LSM_OFF });
	if (!b->grp[OG_G_FORCE].loaded) {
		fprintf(stderr, "bench: the kernel refused the force programs: %s\n",
			b->grp[OG_G_FORCE].reason);
		exit(77);
	}
}

static void progs_of(struct og_bpf *b, struct bpf_program **p)
{
	p[0] = b->skel->progs.og_sock_create;
	p[1] = b->skel->progs.og_connect4;
	p[2] = b->skel->progs.og_connect6;
	p[3] = b->skel->progs.og_sockops;
	p[4] = b->skel->progs.og_setsockopt;
}

/* Attach the @progs (NULL: none) to our cgroup, or detach them (@links set). */
static void attach(struct bpf_program **progs, struct bpf_link **links)
{
	int i;

	for (i = 0; progs && i < NPROGS; i++) {
		links[i] = bpf_program__attach_cgroup(progs[i], cg_fd);
		if (!links[i])
			die("attach");
	}
}

static void detach(struct bpf_link **links)
{
	int i;

	for (i = 0; i < NPROGS; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
}

/* The programs of floor row F<n> (1..NFLOORS), NULL-terminated. */
static void floor_progs(struct floor_bpf *f, int n, struct bpf_program **p)
{
	struct bpf_program *tele = f->progs.fl_sockops_tele;

	memset(p, 0, sizeof(*p) * (NPROGS + 1));
	p[0] = f->progs.fl_connect4;
	switch (n) {
	case 1:
		p[1] = f->progs.fl_sockops_force;
		break;
	case 2:
		p[1] = tele;
		break;
	case 3:
		p[1] = f->progs.fl_sockops_hash;
		break;
	case 4:
		p[1] = f->progs.fl_sockops_storage;
		break;
	case 5:
		p[1] = tele;
		p[2] = f->progs.fl_sock_create;
		break;
	}
}

/* Attach the NULL-terminated @progs to our cgroup. */
static void attach_list(struct bpf_program **progs, struct bpf_link **links)
{
	int i;

	for (i = 0; progs[i]; i++) {
		links[i] = bpf_program__attach_cgroup(progs[i], cg_fd);
		if (!links[i])
			die("attach");
	}
}

static int listener(struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)sa, sl) || listen(l, 128) ||
	    getsockname(l, (struct sockaddr *)sa, &sl))
		die("listener");
	return l;
}

/*
 * One connection: connect, accept, close.  The accepted side closes first,
 * so the TIME_WAIT sockets are the server's (a later SYN of the same ports
 * takes one over) and the client's ephemeral ports never run out.  @check:
 * return the client's mark and congestion control in @mark and @cc.
 */
static void one_conn(int l, const struct sockaddr_in *sa, int *mark, char *cc)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), a;
	socklen_t len;

	if (c < 0 || connect(c, (const struct sockaddr *)sa, sizeof(*sa)))
		die("connect");
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		die("accept");
	if (mark) {
		len = sizeof(*mark);
		if (getsockopt(c, SOL_SOCKET, SO_MARK, mark, &len))
			die("getsockopt SO_MARK");
		len = 16;
		if (getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, &len))
			die("getsockopt TCP_CONGESTION");
	}
	close(a);
	close(c);
}

/* ns per connection over ROUND_CONNS connections on a fresh listener */
static long long time_conns(void)
{
	struct sockaddr_in sa;
	int l = listener(&sa), i;
	long long t0 = now_ns(), t;

	for (i = 0; i < ROUND_CONNS; i++)
		one_conn(l, &sa, NULL, NULL);
	t = (now_ns() - t0) / ROUND_CONNS;
	close(l);
	return t;
}

/* The forced values arrived (A) or did not (C): a bench of a no-op proves nothing. */
static void verify(const char *row, int want_mark, const char *want_cc)
{
	struct sockaddr_in sa;
	int l = listener(&sa), mark = -1;
	char cc[16] = "";

	one_conn(l, &sa, &mark, cc);
	close(l);
	if (mark != want_mark || strcmp(cc, want_cc)) {
		fprintf(stderr, "bench: row %s: the client has mark %d and %s, expected %d and %s\n",
			row, mark, cc, want_mark, want_cc);
		exit(1);
	}
}

static const char *rules_fmt =
	"[rule:mark]\n%soption = SO_MARK\naction = force\nvalue = 42\nat = connect, established\n"
	"[rule:cc]\n%soption = TCP_CONGESTION\naction = force\nvalue = reno\n"
	"at = connect, established\n"
	"[rule:ka]\n%soption = SO_KEEPALIVE\naction = force\nvalue = on\n"
	"at = connect, established\n";

static int policy_text(char *buf, size_t len, bool never)
{
	const char *sc = never ? "scope = never\n" : "";
	int n;

	n = snprintf(buf, len, "[enforcer]\ncgroup = %s\nlog = json\n", cg_dir);
	if (never)
		n += snprintf(buf + n, len - n, "[scope:never]\ncgroup = %s\n", cg_sub);
	n += snprintf(buf + n, len - n, rules_fmt, sc, sc, sc);
	return n;
}

/* With OG_BENCH_PROG_STATS set: each program's runs and mean run time (bpf_stats). */
static void print_prog_stats(const char *row, struct bpf_program **progs)
{
	int i;

	for (i = 0; i < NPROGS; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len) ||
		    !info.run_cnt)
			continue;
		printf("    %s %-16s %8llu runs %6llu ns/run %6llu ns/connection\n", row,
		       bpf_program__name(progs[i]), (unsigned long long)info.run_cnt,
		       (unsigned long long)(info.run_time_ns / info.run_cnt),
		       (unsigned long long)(info.run_time_ns / (ROUNDS * (ROUND_CONNS + 1))));
	}
}

static void print_counters(const char *row, struct og_bpf *b)
{
	static const char *names[NRULES + 1] = { "", "mark", "cc", "ka" };
	struct og_counters c[NRULES + 1];
	int i;

	if (og_bpf_counters(b, c, NRULES + 1))
		return;
	for (i = 1; i <= NRULES; i++)
		printf("    %s rule %-4s %8llu decisions %6llu events %8llu suppressed %llu dropped "
		       "%8llu connections %8llu closes\n", row, names[i],
		       (unsigned long long)c[i].decisions, (unsigned long long)c[i].events,
		       (unsigned long long)c[i].suppressed, (unsigned long long)c[i].dropped,
		       (unsigned long long)c[i].connections, (unsigned long long)c[i].closes);
}

int main(void)
{
	static struct og_bpf oga, ogc;
	struct bpf_program *pa[NPROGS], *pc[NPROGS];
	struct bpf_link *links[NPROGS] = {};
	long long ta[ROUNDS], tb[ROUNDS], tc[ROUNDS], tf[NFLOORS][ROUNDS], ma, mb, mc, mf;
	struct bpf_program *pf[NFLOORS][NPROGS + 1];
	static const char *floor_what[NFLOORS] = {
		"3 values forced by constant bpf_setsockopt, no telemetry",
		"F1 + STATE/RTO/RETRANS callbacks on both sockets",
		"F2 + a per-socket record in a prealloc hash (cookie)",
		"F2 + a per-socket record in sk_storage at established",
		"F2 + sk_storage made at create, cloned on accept",
	};
	struct floor_bpf *fl;
	struct ring_buffer *rb;
	char ini[4096], defcc[16] = "";
	pthread_t th;
	FILE *f;
	int r, n, stats_fd;

	if (geteuid() != 0) {
		fprintf(stderr, "bench: needs root\n");
		return 77;
	}
	log_init("bench", 0);
	libbpf_set_print(NULL);
	cg_enter("connect", "never");
	f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "re");
	if (!f || !fgets(defcc, sizeof(defcc), f))
		die("tcp_congestion_control");
	fclose(f);
	defcc[strcspn(defcc, "\n")] = '\0';
	printf("optguard connect benchmark: %d rounds x %d loopback TCP connect+accept+close, "
	       "A B C interleaved, medians\n", ROUNDS, ROUND_CONNS);

	n = policy_text(ini, sizeof(ini), false);
	load_optguard(&oga, ini, n);
	n = policy_text(ini, sizeof(ini), true);
	load_optguard(&ogc, ini, n);
	fl = floor_bpf__open_and_load();
	if (!fl)
		die("the floor programs (bench/bpf/floor)");
	for (r = 0; r < NFLOORS; r++)
		floor_progs(fl, r + 1, pf[r]);
	progs_of(&oga, pa);
	progs_of(&ogc, pc);
	rb = ring_buffer__new(og_bpf_events_fd(&oga), on_event, NULL, NULL);
	if (!rb || ring_buffer__add(rb, og_bpf_events_fd(&ogc), on_event, NULL) ||
	    pthread_create(&th, NULL, consumer, rb))
		die("ring buffer");

	stats_fd = getenv("OG_BENCH_PROG_STATS") ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	time_conns();	/* warm up */
	for (r = 0; r < ROUNDS; r++) {
		attach(pa, links);
		verify("A", 42, "reno");
		ta[r] = time_conns();
		detach(links);
		tb[r] = time_conns();
		attach(pc, links);
		verify("C", 0, defcc);
		tc[r] = time_conns();
		detach(links);
		for (n = 0; n < NFLOORS; n++) {
			attach_list(pf[n], links);
			tf[n][r] = time_conns();
			detach(links);
		}
	}
	stop_consumer = 1;
	pthread_join(th, NULL);

	ma = median(ta, ROUNDS);
	mb = median(tb, ROUNDS);
	mc = median(tc, ROUNDS);
	printf("P4  %-56s A %6lld ns  B %6lld ns  A/B %.3f  (target >= 0.90)\n",
	       "connect rate, 3 options forced at connect+established", ma, mb,
	       (double)mb / (double)ma);
	printf("P4C %-56s C %6lld ns  B %6lld ns  C/B %.3f  (report only)\n",
	       "connect rate, the same rules scoped to another cgroup", mc, mb,
	       (double)mb / (double)mc);
	for (n = 0; n < NFLOORS; n++) {
		mf = median(tf[n], ROUNDS);
		printf("P4F%d %-55s F %6lld ns  B %6lld ns  F/B %.3f  (floor, report only)\n", n + 1,
		       floor_what[n], mf, mb, (double)mb / (double)mf);
	}
	printf("    rates: A %.0f/s  B %.0f/s  C %.0f/s; %llu events consumed\n", 1e9 / ma,
	       1e9 / mb, 1e9 / mc, consumed);
	print_counters("A", &oga);
	print_counters("C", &ogc);
	if (stats_fd >= 0) {
		print_prog_stats("A", pa);
		print_prog_stats("C", pc);
		close(stats_fd);
	}

	floor_bpf__destroy(fl);
	ring_buffer__free(rb);
	og_bpf_close(&oga);
	og_bpf_close(&ogc);
	return 0;
}
