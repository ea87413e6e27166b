// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/README.md P4 and P4t: the loopback TCP connect + accept + close rate
 * with three options forced at connect and established, as ratios measured
 * in one run.  The setups below are attached in turn to a child cgroup this
 * process moves into; both ends of every connection are made in it, so both
 * carry the forced values.  Each round times ROUND_CONNS connections on a
 * fresh listener under every setup, in an order that rotates from round to
 * round; a ratio is the median over the rounds of the ratio within a round
 * (the two setups ran seconds apart).  Absolute figures are for context.
 *
 *   A  optguard's force programs (sock_create, connect4/6, sockops) and its
 *      cgroup/setsockopt program, SO_MARK=42, TCP_CONGESTION=reno and
 *      SO_KEEPALIVE forced at connect and established, no telemetry (the
 *      stateless path: each point computes the socket's plan), log = json
 *      with the default log_rate, events drained by a thread as the daemon
 *      does
 *   T  the same with `telemetry = on` on the three rules: the plan kept in
 *      sk_storage from sock_create (cloned on accept), the STATE/RTO/RETRANS
 *      callbacks, the totals at TCP_CLOSE
 *   B  no program
 *   C  A's programs with the rules scoped to a cgroup the bench is not in:
 *      the price an unmarked socket pays
 *   F1 ... F5  the floor (bench/bpf/floor/floor.bpf.c): the kernel's own
 *      mechanisms without optguard's logic; F1 is the three constant
 *      bpf_setsockopt calls, F5 what T uses (callbacks, a plan-sized record
 *      made at create, cloned on accept, read at connect, established and
 *      close)
 *
 * Rows: P4 = A/B (target >= 0.93), P4/F1 = A/F1 (>= 0.97), P4t = T/F5
 * (>= 0.97); C/B, T/B and F<n>/B are reported.  As rates: >= 1 is faster.
 * OG_BENCH_ROUNDS=n sets the rounds (default ROUNDS, at least 7 for a
 * figure).  OG_BENCH_PROG_STATS=1 also prints each program's mean run time
 * (the kernel's bpf_stats, on for the run: it slows every setup a little).
 * P4u, the UDP send rate, is bench_send.c.
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

#define ROUNDS		41
#define ROUND_CONNS	4000
#define NPROGS		5	/* optguard's: sock_create, connect4/6, sockops, setsockopt */
#define MAXPROGS	(NPROGS + 1)
#define NRULES		3	/* rule ids 1..3: mark, cc, ka */
#define NFLOORS		5	/* F1 ... F5 */
#define MAXROUNDS	BENCH_MAXROUNDS

/* the setups, in the order of the first round */
enum { S_A, S_B, S_C, S_T, S_F1, S_F5 = S_F1 + NFLOORS - 1, NSETUPS };

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

/* optguard's programs, NULL-terminated */
static void progs_of(struct og_bpf *b, struct bpf_program **p)
{
	p[0] = b->skel->progs.og_sock_create;
	p[1] = b->skel->progs.og_connect4;
	p[2] = b->skel->progs.og_connect6;
	p[3] = b->skel->progs.og_sockops;
	p[4] = b->skel->progs.og_setsockopt;
	p[5] = NULL;
}

/* The programs of floor row F<n> (1..NFLOORS), NULL-terminated. */
static void floor_progs(struct floor_bpf *f, int n, struct bpf_program **p)
{
	struct bpf_program *tele = f->progs.fl_sockops_tele;

	memset(p, 0, sizeof(*p) * MAXPROGS);
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
		p[0] = f->progs.fl_connect4_kept;
		p[1] = f->progs.fl_sockops_kept;
		p[2] = f->progs.fl_sock_create;
		break;
	}
}

static int listener(struct sockaddr_in *sa)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };	/* one_conn() */
	socklen_t sl = sizeof(*sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) ||
	    bind(l, (struct sockaddr *)sa, sl) || listen(l, 128) ||
	    getsockname(l, (struct sockaddr *)sa, &sl))
		die("listener");
	return l;
}

/*
 * One connection: connect, accept, close.  The accepted side closes first,
 * with a zero linger (a RST; set on the listener, outside the timing, and
 * inherited): no TIME_WAIT socket on either side.  With
 * the server's TIME_WAIT sockets left (a FIN close), a later SYN of the
 * same ports was answered by a TIME_WAIT socket half the time (random
 * timestamp offsets fail its PAWS check) and the connect waited for SYN
 * retransmits, up to minutes on one round; the client closing first runs
 * out of ephemeral ports.  @check: return the client's mark and congestion
 * control in @mark and @cc.
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

static const char *rule_fmt =
	"[rule:%s]\n%soption = %s\naction = force\nvalue = %s\nat = connect, established\n%s";

/*
 * The policy of A (@never and @tele false), C (@never: the rules scoped to
 * a cgroup the bench is not in) or T (@tele: telemetry = on on each rule).
 */
static int policy_text(char *buf, size_t len, bool never, bool tele)
{
	static const char *rules[NRULES][3] = {
		{ "mark", "SO_MARK", "42" },
		{ "cc", "TCP_CONGESTION", "reno" },
		{ "ka", "SO_KEEPALIVE", "on" },
	};
	const char *sc = never ? "scope = never\n" : "", *te = tele ? "telemetry = on\n" : "";
	int n, i;

	n = snprintf(buf, len, "[enforcer]\ncgroup = %s\nlog = json\n", cg_dir);
	if (never)
		n += snprintf(buf + n, len - n, "[scope:never]\ncgroup = %s\n", cg_sub);
	for (i = 0; i < NRULES; i++)
		n += snprintf(buf + n, len - n, rule_fmt, rules[i][0], sc, rules[i][1],
			      rules[i][2], te);
	return n;
}

/* With OG_BENCH_PROG_STATS set: each program's runs and mean run time (bpf_stats). */
static void print_prog_stats(const char *row, struct bpf_program **progs, int nconns)
{
	int i;

	for (i = 0; progs[i]; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len) ||
		    !info.run_cnt)
			continue;
		printf("    %-3s %-18s %8llu runs %6llu ns/run %6llu ns/connection\n", row,
		       bpf_program__name(progs[i]), (unsigned long long)info.run_cnt,
		       (unsigned long long)(info.run_time_ns / info.run_cnt),
		       (unsigned long long)(info.run_time_ns / nconns));
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

static void row(const char *id, const char *what, long long t[][MAXROUNDS], int s, int ref,
		int nrounds, const char *target)
{
	static const char *names[NSETUPS] = { "A", "B", "C", "T", "F1", "F2", "F3", "F4", "F5" };
	long long ms[MAXROUNDS], mr[MAXROUNDS];

	memcpy(ms, t[s], sizeof(ms));
	memcpy(mr, t[ref], sizeof(mr));
	printf("%-6s %-52s %-2s %6lld ns  %-2s %6lld ns  %-2s/%-2s %.3f  (%s)\n", id, what,
	       names[s], median(ms, nrounds), names[ref], median(mr, nrounds), names[s],
	       names[ref], bench_ratio(t, s, ref, nrounds), target);
}

int main(void)
{
	static struct og_bpf oga, ogc, ogt;
	static long long t[NSETUPS][MAXROUNDS];
	struct bpf_program *progs[NSETUPS][MAXPROGS] = {};
	struct bpf_link *links[MAXPROGS] = {};
	static const char *floor_what[NFLOORS] = {
		"F1 3 values forced by constant bpf_setsockopt",
		"F2 F1 + STATE/RTO/RETRANS callbacks on both sockets",
		"F3 F2 + a small record in a prealloc hash (cookie)",
		"F4 F2 + a small record in sk_storage at established",
		"F5 F2 + a plan-sized sk_storage record made at create, "
		"cloned on accept, read at connect, established, close",
	};
	struct floor_bpf *fl;
	struct ring_buffer *rb;
	char ini[4096], defcc[16] = "", what[128];
	const char *env = getenv("OG_BENCH_ROUNDS");
	int nrounds = env ? atoi(env) : ROUNDS;
	pthread_t th;
	FILE *f;
	int r, i, s, n, stats_fd;

	if (geteuid() != 0) {
		fprintf(stderr, "bench: needs root\n");
		return 77;
	}
	if (nrounds < 1 || nrounds > MAXROUNDS) {
		fprintf(stderr, "bench: OG_BENCH_ROUNDS: 1 to %d\n", MAXROUNDS);
		return 2;
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
	       "A B C T F1-F5 interleaved (rotating order), medians of per-round ratios\n",
	       nrounds, ROUND_CONNS);

	n = policy_text(ini, sizeof(ini), false, false);
	load_optguard(&oga, ini, n);
	n = policy_text(ini, sizeof(ini), true, false);
	load_optguard(&ogc, ini, n);
	n = policy_text(ini, sizeof(ini), false, true);
	load_optguard(&ogt, ini, n);
	fl = floor_bpf__open_and_load();
	if (!fl)
		die("the floor programs (bench/bpf/floor)");
	progs_of(&oga, progs[S_A]);
	progs_of(&ogc, progs[S_C]);
	progs_of(&ogt, progs[S_T]);
	for (i = 0; i < NFLOORS; i++)
		floor_progs(fl, i + 1, progs[S_F1 + i]);
	rb = ring_buffer__new(og_bpf_events_fd(&oga), on_event, NULL, NULL);
	if (!rb || ring_buffer__add(rb, og_bpf_events_fd(&ogc), on_event, NULL) ||
	    ring_buffer__add(rb, og_bpf_events_fd(&ogt), on_event, NULL) ||
	    pthread_create(&th, NULL, consumer, rb))
		die("ring buffer");

	stats_fd = getenv("OG_BENCH_PROG_STATS") ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	time_conns();	/* warm up */
	for (r = 0; r < nrounds; r++) {
		for (i = 0; i < NSETUPS; i++) {
			s = (i + r) % NSETUPS;
			bench_attach(progs[s], links);
			if (s == S_A || s == S_T)
				verify(s == S_A ? "A" : "T", 42, "reno");
			else if (s == S_C)
				verify("C", 0, defcc);
			t[s][r] = time_conns();
			bench_detach(links, MAXPROGS);
		}
	}
	stop_consumer = 1;
	pthread_join(th, NULL);

	row("P4", "3 options forced at connect+established, no telemetry", t, S_A, S_B, nrounds,
	    "target >= 0.93");
	row("P4/F1", "the same vs the kernel's 3 constant bpf_setsockopt", t, S_A, S_F1, nrounds,
	    "target >= 0.97");
	row("P4t", "the same with telemetry = on, vs F5", t, S_T, S_F5, nrounds,
	    "target >= 0.97");
	row("P4t/B", "the same with telemetry = on, vs no programs", t, S_T, S_B, nrounds,
	    "report only");
	row("P4C", "A's rules scoped to another cgroup", t, S_C, S_B, nrounds, "report only");
	for (i = 0; i < NFLOORS; i++) {
		snprintf(what, sizeof(what), "%.52s", floor_what[i] + 3);
		row(i ? "" : "floor", what, t, S_F1 + i, S_B, nrounds, "report only");
	}
	printf("    F5: %s\n", floor_what[4] + 3);
	for (s = 0; s < NSETUPS; s++) {
		long long m[MAXROUNDS];

		memcpy(m, t[s], sizeof(m));
		t[s][0] = median(m, nrounds);
	}
	printf("    rates: A %.0f/s  B %.0f/s  C %.0f/s  T %.0f/s  F1 %.0f/s  F5 %.0f/s; "
	       "%llu events consumed\n", 1e9 / t[S_A][0], 1e9 / t[S_B][0], 1e9 / t[S_C][0],
	       1e9 / t[S_T][0], 1e9 / t[S_F1][0], 1e9 / t[S_F5][0], consumed);
	print_counters("A", &oga);
	print_counters("C", &ogc);
	print_counters("T", &ogt);
	if (stats_fd >= 0) {
		n = nrounds * (ROUND_CONNS + 1);
		print_prog_stats("A", progs[S_A], n);
		print_prog_stats("C", progs[S_C], n);
		print_prog_stats("T", progs[S_T], n);
		print_prog_stats("F1", progs[S_F1], n);	/* its connect4 is F2-F4's too */
		print_prog_stats("F5", progs[S_F5], n);
		close(stats_fd);
	}

	floor_bpf__destroy(fl);
	ring_buffer__free(rb);
	og_bpf_close(&oga);
	og_bpf_close(&ogc);
	og_bpf_close(&ogt);
	return 0;
}
