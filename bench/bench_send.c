// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/README.md P4u: the rate of sendto() on an unconnected loopback UDP
 * socket with a DSCP forced at send, as a ratio measured in one run.  The
 * setups are attached in turn to a child cgroup this process moves into;
 * each round times ROUND_SENDS datagrams of 64 bytes from a fresh socket to
 * a receiver that a thread drains, under every setup, in an order that
 * rotates from round to round; a ratio is the median over the rounds of the
 * ratio within a round.  Absolute figures are for context.
 *
 *   U  optguard with `option = DSCP`, `action = force`, `value = AF41`,
 *      `at = send` (log = json, the default log_rate): the programs it
 *      attaches for that policy (sock_create, connect4/6, sockops,
 *      setsockopt, sendmsg4/6); per datagram sendmsg4 builds the sender's
 *      plan and reads the socket's IP_TOS, and sets it only where it
 *      differs (the first datagram of each socket)
 *   B  no program
 *   F6 the floor (bench/bpf/floor/): an empty cgroup/sendmsg4 program, the
 *      hook's own price
 *   F7 the floor: a constant cgroup/sendmsg4 program doing the same
 *      getsockopt, compare and setsockopt without a plan
 *
 * Rows: P4u = U/B (target >= 0.95); U/F7, F6/B and F7/B reported.  Where the
 * kernel refuses bpf_setsockopt in sendmsg programs (before 5.12), the row
 * is printed as skipped with the loader's reason.  OG_BENCH_ROUNDS=n sets
 * the rounds; OG_BENCH_PROG_STATS=1 prints each program's mean run time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "log.h"
#include "floor.skel.h"
#include "optguard.skel.h"

#define ROUNDS		41
#define ROUND_SENDS	20000
#define MAXROUNDS	BENCH_MAXROUNDS
#define MAXPROGS	8
#define AF41_TOS	0x88	/* DSCP 34 << 2 */

enum { S_U, S_B, S_F6, S_F7, NSETUPS };

static volatile int stop_drain;

/* Drain the ring buffer every OG_POLL_MS as the daemon does (a refused force is an event). */
static void *consumer(void *arg)
{
	struct ring_buffer *rb = arg;

	while (!stop_drain)
		ring_buffer__poll(rb, OG_POLL_MS);
	ring_buffer__consume(rb);
	return NULL;
}

/*
 * The receiver: read and drop every datagram until told to stop, polling
 * (MSG_DONTWAIT) rather than sleeping: a sleeping reader makes each
 * datagram a wake-up, and how often one is needed varied the rounds by
 * more than the programs cost.
 */
static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char buf[2048];

	while (!stop_drain)
		(void)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	return NULL;
}

static int udp_bound(struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	struct timeval tv = { .tv_usec = 100000 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), big = 4 << 20;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sl) ||
	    getsockname(fd, (struct sockaddr *)sa, &sl) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("receiver");
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return fd;
}

/* ns per datagram over ROUND_SENDS sendto() calls from a fresh unconnected socket */
static long long time_sends(const struct sockaddr_in *dst)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), i;
	char msg[64] = "optguard";
	long long t0, t;

	if (fd < 0)
		die("socket");
	t0 = now_ns();
	for (i = 0; i < ROUND_SENDS; i++)
		if (sendto(fd, msg, sizeof(msg), 0, (const struct sockaddr *)dst,
			   sizeof(*dst)) != sizeof(msg))
			die("sendto");
	t = (now_ns() - t0) / ROUND_SENDS;
	close(fd);
	return t;
}

/*
 * The TOS of the second datagram of a fresh socket, as the receiver sees
 * it (IP_RECVTOS): the forced value (U, F6) or 0 (B).  The first one may
 * carry the socket's old TOS: newer kernels copy it before the hook runs.
 */
static void verify(const char *row, int want)
{
	struct sockaddr_in sa;
	int r = udp_bound(&sa), s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, i;
	int tos = -1;

	if (s < 0 || setsockopt(r, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on)))
		die("verify");
	for (i = 0; i < 2; i++) {
		char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;

		if (sendto(s, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1 ||
		    recvmsg(r, &mh, 0) < 0)
			die("verify: send or receive");
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
				tos = *(unsigned char *)CMSG_DATA(c);
	}
	close(s);
	close(r);
	if (tos != want) {
		fprintf(stderr, "bench: row %s: the second datagram has TOS 0x%02x, expected "
			"0x%02x\n", row, tos, want);
		exit(1);
	}
}

static void row(const char *id, const char *what, long long t[][MAXROUNDS], int s, int ref,
		int nrounds, const char *target)
{
	static const char *names[NSETUPS] = { "U", "B", "F6", "F7" };
	long long ms[MAXROUNDS], mr[MAXROUNDS];

	memcpy(ms, t[s], sizeof(ms));
	memcpy(mr, t[ref], sizeof(mr));
	printf("%-6s %-52s %-2s %6lld ns  %-2s %6lld ns  %-2s/%-2s %.3f  (%s)\n", id, what,
	       names[s], median(ms, nrounds), names[ref], median(mr, nrounds), names[s],
	       names[ref], bench_ratio(t, s, ref, nrounds), target);
}

static void print_prog_stats(const char *row, struct bpf_program **progs, long long n)
{
	int i;

	for (i = 0; progs[i]; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len) ||
		    !info.run_cnt)
			continue;
		printf("    %-3s %-18s %8llu runs %6llu ns/run %6llu ns/datagram\n", row,
		       bpf_program__name(progs[i]), (unsigned long long)info.run_cnt,
		       (unsigned long long)(info.run_time_ns / info.run_cnt),
		       (unsigned long long)(info.run_time_ns / n));
	}
}

int main(void)
{
	static struct og_bpf og;
	static long long t[NSETUPS][MAXROUNDS];
	struct bpf_program *progs[NSETUPS][MAXPROGS] = {};
	struct bpf_link *links[MAXPROGS] = {};
	struct og_bpf_limits lim = { .ringbuf_bytes = 16u << 20, .lsm = OG_LSM_OFF,
				     .force_send = true };
	const char *env = getenv("OG_BENCH_ROUNDS");
	int nrounds = env ? atoi(env) : ROUNDS, r, i, s, n, rfd, stats_fd;
	struct og_counters c[2];
	struct sockaddr_in dst;
	struct floor_bpf *fl;
	char ini[4096];
	struct ring_buffer *rb;
	pthread_t th, th_rb;

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
	cg_enter("send", NULL);
	printf("optguard send benchmark: %d rounds x %d loopback UDP sendto (unconnected, 64 "
	       "bytes, a receiver draining), U B F6 F7 interleaved (rotating order), medians of "
	       "per-round ratios\n", nrounds, ROUND_SENDS);

	n = snprintf(ini, sizeof(ini),
		     "[enforcer]\ncgroup = %s\nlog = json\n"
		     "[rule:dscp]\noption = DSCP\naction = force\nvalue = AF41\nat = send\n",
		     cg_dir);
	load_optguard_lim(&og, ini, n, lim);
	if (!og.grp[OG_G_FORCE].loaded || !og.grp[OG_G_SEND].loaded) {
		printf("P4u    %-52s skipped: %s\n", "UDP sendto rate, DSCP forced at send",
		       og.grp[OG_G_FORCE].loaded ? og.grp[OG_G_SEND].reason :
		       og.grp[OG_G_FORCE].reason);
		og_bpf_close(&og);
		return 0;
	}
	fl = floor_bpf__open_and_load();
	if (!fl)
		die("the floor programs (bench/bpf/floor)");
	progs[S_U][0] = og.skel->progs.og_sock_create;
	progs[S_U][1] = og.skel->progs.og_connect4;
	progs[S_U][2] = og.skel->progs.og_connect6;
	progs[S_U][3] = og.skel->progs.og_sockops;
	progs[S_U][4] = og.skel->progs.og_setsockopt;
	progs[S_U][5] = og.skel->progs.og_sendmsg4;
	progs[S_U][6] = og.skel->progs.og_sendmsg6;
	progs[S_F6][0] = fl->progs.fl_sendmsg4_empty;
	progs[S_F7][0] = fl->progs.fl_sendmsg4;

	rb = ring_buffer__new(og_bpf_events_fd(&og), on_event, NULL, NULL);
	if (!rb || pthread_create(&th_rb, NULL, consumer, rb))
		die("ring buffer");
	rfd = udp_bound(&dst);
	if (pthread_create(&th, NULL, drain, &rfd))
		die("receiver thread");
	stats_fd = getenv("OG_BENCH_PROG_STATS") ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	time_sends(&dst);	/* warm up */
	for (r = 0; r < nrounds; r++) {
		for (i = 0; i < NSETUPS; i++) {
			s = (i + r) % NSETUPS;
			bench_attach(progs[s], links);
			verify(s == S_U ? "U" : s == S_B ? "B" : s == S_F6 ? "F6" : "F7",
			       s == S_B || s == S_F6 ? 0 : AF41_TOS);
			t[s][r] = time_sends(&dst);
			bench_detach(links, MAXPROGS);
		}
	}
	stop_drain = 1;
	pthread_join(th, NULL);
	pthread_join(th_rb, NULL);
	close(rfd);

	row("P4u", "UDP sendto rate, DSCP forced at send, vs no programs", t, S_U, S_B, nrounds,
	    "target >= 0.95");
	row("P4u/F7", "the same vs a constant getsockopt+setsockopt program", t, S_U, S_F7,
	    nrounds, "report only");
	row("floor", "F6 an empty sendmsg4 program, vs no programs", t, S_F6, S_B, nrounds,
	    "report only");
	row("", "F7 constant sendmsg4 IP_TOS force, vs no programs", t, S_F7, S_B, nrounds,
	    "report only");
	if (!og_bpf_counters(&og, c, 2))
		printf("    U rule dscp %llu decisions (one per socket: set where it differs), "
		       "%llu events, %llu unlogged; %llu events consumed\n",
		       (unsigned long long)c[1].decisions, (unsigned long long)c[1].events,
		       (unsigned long long)c[1].unlogged, consumed);
	if (stats_fd >= 0) {
		long long sends = (long long)nrounds * (ROUND_SENDS + 2);

		print_prog_stats("U", progs[S_U], sends);
		print_prog_stats("F6", progs[S_F6], sends);
		print_prog_stats("F7", progs[S_F7], sends);
		close(stats_fd);
	}
	floor_bpf__destroy(fl);
	ring_buffer__free(rb);
	og_bpf_close(&og);
	return 0;
}
