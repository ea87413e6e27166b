// SPDX-License-Identifier: GPL-2.0-only
/*
 * The force probe (caps.h): attach bpf/probe/ to a child cgroup made for
 * the purpose, make one IPv4 and one IPv6 loopback connection from a
 * process inside it, and read what bpf_setsockopt returned for each option
 * at each point.  Everything made is removed again, also on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "log.h"
#include "caps.h"
#include "bpf/probe/probe.h"
#include "probe.skel.h"

/* a harmless value per forceable option: the kernel's default, or close to it */
static const struct {
	const char *name;
	int num;
	const char *str;
} probe_vals[] = {
	{ "SO_REUSEADDR", 1, NULL }, { "SO_SNDBUF", 65536, NULL }, { "SO_RCVBUF", 65536, NULL },
	{ "SO_KEEPALIVE", 1, NULL }, { "SO_PRIORITY", 0, NULL }, { "SO_REUSEPORT", 0, NULL },
	{ "SO_RCVLOWAT", 1, NULL }, { "SO_BINDTODEVICE", 0, "lo" }, { "SO_MARK", 0, NULL },
	{ "SO_MAX_PACING_RATE", -1, NULL }, { "SO_BINDTOIFINDEX", 0, NULL /* lo's index */ },
	{ "SO_TXREHASH", -1, NULL }, { "IP_TOS", 0, NULL }, { "TCP_NODELAY", 1, NULL },
	{ "TCP_MAXSEG", 0, NULL }, { "TCP_KEEPIDLE", 7200, NULL }, { "TCP_KEEPINTVL", 75, NULL },
	{ "TCP_KEEPCNT", 9, NULL }, { "TCP_SYNCNT", 6, NULL }, { "TCP_WINDOW_CLAMP", 262140, NULL },
	{ "TCP_CONGESTION", 0, "reno" }, { "TCP_THIN_LINEAR_TIMEOUTS", 0, NULL },
	{ "TCP_USER_TIMEOUT", 0, NULL }, { "TCP_NOTSENT_LOWAT", -1, NULL },
	{ "TCP_SAVE_SYN", 0, NULL }, { "TCP_BPF_IW", 10, NULL },
	{ "TCP_BPF_SNDCWND_CLAMP", 0x7fffffff, NULL }, { "TCP_BPF_DELACK_MAX", 40000, NULL },
	{ "TCP_BPF_RTO_MIN", 200000, NULL }, { "IPV6_TCLASS", 0, NULL },
	{ "IPV6_AUTOFLOWLABEL", 1, NULL },
};

const char *force_point_name(unsigned int point)
{
	switch (point) {
	case OG_FP_CREATE:
		return "create";
	case OG_FP_CONNECT:
		return "connect";
	case OG_FP_ESTABLISHED:
		return "established";
	case OG_FP_SEND:
		return "send";
	case OG_FP_SETSOCKOPT:
		return "setsockopt";
	}
	return "?";
}

static int point_bit(unsigned int point)
{
	return point == OG_FP_CREATE ? 0 : point == OG_FP_CONNECT ? 1 :
	       point == OG_FP_ESTABLISHED ? 2 : 3;
}

/* Forced at create by cgroup/sock_create itself (struct bpf_sock's mark, priority). */
static bool create_direct_opt(const struct og_option *o)
{
	return o && (!strcmp(o->name, "SO_MARK") || !strcmp(o->name, "SO_PRIORITY"));
}

/* The @unloaded index of @pt for @o: SO_MARK/SO_PRIORITY at create need the force group only. */
static int unloaded_bit(const struct og_option *o, unsigned int pt)
{
	return pt == OG_FP_CREATE && create_direct_opt(o) ? 1 : point_bit(pt);
}

/* Why @unloaded (indexed create, connect, established, send) says @pt cannot run for @o, or NULL. */
static const char *unloaded_why(const char *const unloaded[4], const struct og_option *o,
				unsigned int pt)
{
	if (!unloaded)
		return NULL;
	return unloaded[unloaded_bit(o, pt)];
}

/*
 * force_probe_why(), and for send a probe that reached no option there
 * (one without the send point's programs) says so.
 */
static void send_why(const struct og_force_probe *pr, const struct og_option *o,
		     unsigned int pt, char *why, size_t len)
{
	size_t i;

	if (pt == OG_FP_SEND && pr->probed) {
		for (i = 0; i < pr->nrows && !(pr->rows[i].points & OG_FP_SEND); i++)
			;
		if (i == pr->nrows) {
			snprintf(why, len, "the force probe found no option it can force at send "
				 "(cgroup/sendmsg4/6)");
			return;
		}
	}
	force_probe_why(pr, o, pt, why, len);
}

/* Why @r cannot be forced at @pt (one OG_FP_* bit) on this kernel, in @why: 0 if it can. */
static int point_why(const struct og_rule_def *r, const struct og_force_probe *pr,
		     const char *const unloaded[4], unsigned int pt, char *why, size_t len,
		     const char **optname)
{
	const struct og_probe_row *row;
	size_t o;

	for (o = 0; o < rule_nopts(r); o++) {
		const struct og_option *opt = rule_opt(r, o).opt;

		/* each option of a family that a force rule sets (encode_force.c) */
		if (!optref_forceable(rule_opt(r, o)))
			continue;
		row = force_probe_row(pr, opt);
		*optname = opt->name;
		if (!row || !(row->points & pt)) {
			send_why(pr, opt, pt, why, len);
			return 1;
		}
		if (unloaded_why(unloaded, opt, pt)) {
			snprintf(why, len, "%s", unloaded_why(unloaded, opt, pt));
			return 1;
		}
	}
	return 0;
}

static void points_list(unsigned int at, char *buf, size_t len)
{
	unsigned int pt;
	size_t o = 0;

	buf[0] = '\0';
	for (pt = OG_FP_CREATE; pt <= OG_FP_SEND && o < len; pt <<= 1)
		if (at & pt)
			o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "", force_point_name(pt));
}

/*
 * A rule without `at` (at_default): the default's points this kernel cannot
 * force at are dropped from r->at, each with a warning; none left is an
 * error that says where the points came from and what to write instead.
 */
static int default_at(struct og_policy *p, struct og_rule_def *r, const struct og_force_probe *pr,
		      const char *const unloaded[4], void (*say)(const char *msg))
{
	char why[400], whys[900], msg[1400], left[64], can[64];
	unsigned int pt, drop = 0, ok = 0;
	const char *name = "";

	for (pt = OG_FP_CREATE; pt <= OG_FP_SEND; pt <<= 1)
		if (point_why(r, pr, unloaded, pt, why, sizeof(why), &name))
			drop |= r->at & pt;
		else if (pt != OG_FP_SEND)
			ok |= pt;	/* send: only for UDP; the default never chooses it */
	if (!drop)
		return 0;
	if (!(r->at & ~drop)) {
		size_t n = 0;

		for (pt = OG_FP_CREATE; pt <= OG_FP_SEND && n < sizeof(whys); pt <<= 1) {
			if (!(drop & pt))
				continue;
			point_why(r, pr, unloaded, pt, why, sizeof(why), &name);
			n += snprintf(whys + n, sizeof(whys) - n, "%s%s: %s", n ? "; " : "",
				      force_point_name(pt), why);
		}
		points_list(ok, can, sizeof(can));
		snprintf(msg, sizeof(msg), "%s:%d: rule %s: cannot force %s on this kernel: `at` "
			 "defaults to create, connect, and this kernel can force it at neither (%s); "
			 "%s%s%s", p->path, r->line, r->name, r->optspec ? r->optspec : name, whys,
			 ok ? "name the points it can with `at = " : "it cannot force it at any point "
			 "(`optguard options` lists what it can)", ok ? can : "", ok ? "`" : "");
		say(msg);
		return 1;
	}
	points_list(r->at & ~drop, left, sizeof(left));
	for (pt = OG_FP_CREATE; pt <= OG_FP_SEND; pt <<= 1) {
		if (!(drop & pt))
			continue;
		point_why(r, pr, unloaded, pt, why, sizeof(why), &name);
		snprintf(msg, sizeof(msg), "%s:%d: warning: rule %s: forcing at %s only: `at` "
			 "defaults to create, connect, and this kernel cannot force %s at %s (%s); "
			 "write `at = %s` to say so", p->path, r->line, r->name, left, name,
			 force_point_name(pt), why, left);
		say(msg);
	}
	r->at &= ~drop;
	return 0;
}

int force_policy_unsupported(struct og_policy *p, const struct og_force_probe *pr,
			     const char *const unloaded[4], void (*say)(const char *msg))
{
	char why[400], msg[800];
	unsigned int pt;
	size_t i, o;
	int bad = 0;

	for (i = 0; i < p->nrules; i++) {
		struct og_rule_def *r = &p->rules[i];
		const struct og_probe_row *row;
		const char *w;

		if (!rule_forces_at(r))
			continue;
		if (r->at_default) {
			bad += default_at(p, r, pr, unloaded, say);
			continue;
		}
		/* each option of a family that a force rule sets (encode_force.c) */
		for (o = 0; o < rule_nopts(r); o++) {
			const struct og_option *opt = rule_opt(r, o).opt;

			if (!optref_forceable(rule_opt(r, o)))
				continue;
			row = force_probe_row(pr, opt);
			for (pt = OG_FP_CREATE; pt <= OG_FP_SEND; pt <<= 1) {
				if (!(r->at & pt))
					continue;
				if (!row || !(row->points & pt))
					send_why(pr, opt, pt, why, sizeof(why));
				else if ((w = unloaded_why(unloaded, opt, pt)))
					snprintf(why, sizeof(why), "%s", w);
				else
					continue;
				snprintf(msg, sizeof(msg), "%s:%d: rule %s: cannot force %s at %s "
					 "on this kernel: %s", p->path, r->line, r->name, opt->name,
					 force_point_name(pt), why);
				say(msg);
				bad++;
			}
		}
	}
	return bad;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* One loopback connection of @family, accepted and closed, from this process. */
static int one_conn(int family)
{
	struct sockaddr_storage ss = {};
	socklen_t sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int l, c = -1, a = -1, ret = -1;

	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	}
	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&ss, sl) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&ss, &sl))
		goto out;
	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, sl))
		goto out;
	a = accept(l, NULL, NULL);
	ret = a < 0 ? -1 : 0;
out:
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	close(l);
	return ret;
}

/*
 * One unconnected UDP datagram to a loopback socket of this process, sent
 * with sendto() (the send point); @mapped: from an AF_INET6 socket to
 * ::ffff:127.0.0.1.
 */
static int one_udp(int family, bool mapped)
{
	struct sockaddr_storage ss = {};
	socklen_t sl;
	int r, s = -1, ret = -1;
	char b = 0;

	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		sl = sizeof(struct sockaddr_in6);
	}
	r = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r < 0)
		return -1;
	if (bind(r, (struct sockaddr *)&ss, sl) || getsockname(r, (struct sockaddr *)&ss, &sl))
		goto out;
	if (mapped) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 m = { .sin6_family = AF_INET6, .sin6_port = in->sin_port };

		m.sin6_addr.s6_addr[10] = m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m.sin6_addr.s6_addr[12], &in->sin_addr, 4);
		memcpy(&ss, &m, sizeof(m));
		sl = sizeof(m);
	}
	s = socket(mapped ? AF_INET6 : family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && sendto(s, &b, 1, 0, (struct sockaddr *)&ss, sl) == 1)
		ret = 0;
out:
	if (s >= 0)
		close(s);
	close(r);
	return ret;
}

/* The child: join @cg, make the connections, exit. */
static void probe_child(const char *cg)
{
	char path[4300];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(2);
	close(fd);
	one_conn(AF_INET);
	one_conn(AF_INET6);
	one_udp(AF_INET, false);
	one_udp(AF_INET6, false);
	one_udp(AF_INET, true);
	_exit(0);
}

static int load(struct probe_bpf **out, bool create, bool send)
{
	libbpf_print_fn_t old = libbpf_set_print(silent);
	struct probe_bpf *skel = probe_bpf__open();
	int ret;

	if (!skel) {
		libbpf_set_print(old);
		return -errno;
	}
	bpf_program__set_autoload(skel->progs.og_probe_create, create);
	bpf_program__set_autoload(skel->progs.og_probe_send4, send);
	bpf_program__set_autoload(skel->progs.og_probe_send6, send);
	ret = probe_bpf__load(skel);
	libbpf_set_print(old);
	if (ret) {
		probe_bpf__destroy(skel);
		return ret;
	}
	*out = skel;
	return 0;
}

/* Fill the rows from the probe's results. */
static void rows_fill(struct og_force_probe *pr, const struct probe_bpf *skel,
		      const int *row_of_slot, size_t nslots)
{
	size_t s;

	for (s = 0; s < nslots; s++) {
		struct og_probe_row *r = &pr->rows[row_of_slot[s]];
		int v6 = r->opt->level == IPPROTO_IPV6;
		int pp[4][2] = {
			{ v6 ? OG_PP_CREATE6 : OG_PP_CREATE4, -1 },
			{ v6 ? OG_PP_CONNECT6 : OG_PP_CONNECT4, -1 },
			{ v6 ? OG_PP_ACTIVE6 : OG_PP_ACTIVE4, v6 ? OG_PP_PASSIVE6 : OG_PP_PASSIVE4 },
			{ v6 ? OG_PP_SEND6 : OG_PP_SEND4, -1 },
		};
		int b, k, mret;

		for (b = 0; b < 4; b++) {
			int err = 0;

			for (k = 0; k < 2 && pp[b][k] >= 0; k++) {
				int ret = skel->bss->og_probe_ret[pp[b][k]][s];

				if (ret == OG_PROBE_UNSET)
					err = -1;
				else if (ret < 0 && err == 0)
					err = -ret;
			}
			/* SO_MARK, SO_PRIORITY: cgroup/sock_create writes them where it ran */
			if (b == 0 && err && create_direct_opt(r->opt) &&
			    skel->bss->og_probe_ret[v6 ? OG_PP_SKCREATE6 : OG_PP_SKCREATE4][s] == 0)
				err = 0;
			r->err[b] = err;
			if (!err)
				r->points |= 1u << b;
		}
		mret = skel->bss->og_probe_ret[OG_PP_SEND4M][s];
		r->err_mapped = mret == OG_PROBE_UNSET ? -1 : mret < 0 ? -mret : 0;
		/* the kernel sets the initial window when the connection is established */
		if (!strcmp(r->opt->name, "TCP_BPF_IW")) {
			r->points &= ~(OG_FP_CREATE | OG_FP_CONNECT);
			r->err[0] = r->err[1] = EINVAL;
		}
	}
}

int force_probe(struct og_force_probe *pr)
{
	struct bpf_link *links[7] = {};
	struct probe_bpf *skel = NULL;
	int row_of_slot[OG_PROBE_MAX];
	char cg2[4096], cg[4200];
	size_t i, j, n = 0;
	int fd = -1, ret, status;
	bool create = true, send = true;
	pid_t pid;

	memset(pr, 0, sizeof(*pr));
	for (i = 0; i < og_options_count && pr->nrows < sizeof(pr->rows) / sizeof(pr->rows[0]);
	     i++) {
		if (!og_options[i].forceable)
			continue;
		pr->rows[pr->nrows].opt = &og_options[i];
		pr->rows[pr->nrows].err[0] = pr->rows[pr->nrows].err[1] = -1;
		pr->rows[pr->nrows].err[2] = pr->rows[pr->nrows].err[3] = -1;
		pr->rows[pr->nrows].err_mapped = -1;
		pr->nrows++;
	}
	if (geteuid() != 0) {
		snprintf(pr->reason, sizeof(pr->reason), "not probed: needs root");
		return -EPERM;
	}
	/*
	 * The lsm_cgroup program (6.0+, BPF LSM) and bpf_setsockopt in the
	 * sendmsg hooks (5.12+) each may be refused: drop one, then the other,
	 * then both.
	 */
	ret = load(&skel, true, true);
	if (ret) {
		int e_create = ret, e_send = ret;	/* each refused with the other */

		ret = load(&skel, false, true);
		if (!ret) {
			create = false;
		} else {
			e_send = ret;	/* refused without the lsm_cgroup program */
			ret = load(&skel, true, false);
			if (!ret) {
				send = false;
			} else {
				e_create = ret;	/* refused without the send programs */
				ret = load(&skel, false, false);
				create = send = false;
			}
		}
		if (!create)
			snprintf(pr->create_reason, sizeof(pr->create_reason),
				 "the kernel refused the lsm_cgroup/socket_post_create program (%s)",
				 strerror(-e_create));
		if (!send)
			snprintf(pr->send_reason, sizeof(pr->send_reason),
				 "the kernel refused a cgroup/sendmsg4/6 program calling "
				 "bpf_setsockopt (%s; it takes it from Linux 5.12)", strerror(-e_send));
	}
	if (ret) {
		snprintf(pr->reason, sizeof(pr->reason),
			 "not probed: the kernel refused the probe programs (connect4/6, sockops): %s",
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < pr->nrows && n < OG_PROBE_MAX; i++) {
		const struct og_option *o = pr->rows[i].opt;
		struct og_probe_opt *po = &skel->bss->og_probe_opts[n];

		for (j = 0; j < sizeof(probe_vals) / sizeof(probe_vals[0]); j++)
			if (!strcmp(probe_vals[j].name, o->name))
				break;
		if (j == sizeof(probe_vals) / sizeof(probe_vals[0]))
			continue;	/* no harmless value known: reported as not reached */
		po->level = o->level;
		po->optname = o->optname;
		po->num = probe_vals[j].num;
		if (!strcmp(o->name, "SO_BINDTOIFINDEX"))
			po->num = if_nametoindex("lo");
		po->len = o->vtype == OG_VT_STR ? OG_STR_MAX : 4;
		if (probe_vals[j].str)
			snprintf(po->str, sizeof(po->str), "%s", probe_vals[j].str);
		row_of_slot[n++] = i;
	}
	skel->bss->og_probe_n = n;
	for (i = 0; i < OG_PP_MAX; i++)
		for (j = 0; j < OG_PROBE_MAX; j++)
			skel->bss->og_probe_ret[i][j] = OG_PROBE_UNSET;

	ret = cg2_mount(cg2, sizeof(cg2));
	if (ret) {
		snprintf(pr->reason, sizeof(pr->reason), "not probed: no cgroup2 mount");
		goto out;
	}
	/*
	 * A name of its own, never a pid (every container's daemon is pid 1):
	 * one that exists belongs to another daemon's probe, and is an error.
	 */
	{
		unsigned long long r = 0;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
			ret = -errno;
			snprintf(pr->reason, sizeof(pr->reason), "not probed: getrandom: %s",
				 strerror(errno));
			goto out;
		}
		snprintf(cg, sizeof(cg), "%s/optguard-probe-%016llx", cg2, r);
	}
	if (mkdir(cg, 0700)) {
		ret = -errno;
		snprintf(pr->reason, sizeof(pr->reason), "not probed: mkdir %.200s: %s", cg,
			 strerror(errno));
		goto out;
	}
	fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_cg;
	}
	links[0] = bpf_program__attach_cgroup(skel->progs.og_probe_connect4, fd);
	links[1] = bpf_program__attach_cgroup(skel->progs.og_probe_connect6, fd);
	links[2] = bpf_program__attach_cgroup(skel->progs.og_probe_sockops, fd);
	if (create) {
		links[3] = bpf_program__attach_cgroup(skel->progs.og_probe_create, fd);
		if (!links[3])
			snprintf(pr->create_reason, sizeof(pr->create_reason),
				 "cannot attach an lsm_cgroup/socket_post_create program: %s",
				 strerror(errno));
	}
	if (!links[0] || !links[1] || !links[2]) {
		ret = -errno;
		snprintf(pr->reason, sizeof(pr->reason),
			 "not probed: cannot attach the probe programs: %s", strerror(errno));
		goto out_links;
	}
	/* SO_MARK, SO_PRIORITY written at create (the row says not reached where it fails) */
	links[4] = bpf_program__attach_cgroup(skel->progs.og_probe_sock_create, fd);
	if (send) {
		links[5] = bpf_program__attach_cgroup(skel->progs.og_probe_send4, fd);
		links[6] = bpf_program__attach_cgroup(skel->progs.og_probe_send6, fd);
		if (!links[5] || !links[6])
			snprintf(pr->send_reason, sizeof(pr->send_reason),
				 "cannot attach a cgroup/sendmsg4/6 program: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_links;
	}
	if (pid == 0)
		probe_child(cg);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rows_fill(pr, skel, row_of_slot, n);
	if (!links[3] && !pr->create_reason[0])
		snprintf(pr->create_reason, sizeof(pr->create_reason),
			 "no lsm_cgroup/socket_post_create program");
	pr->probed = true;
	ret = 0;
out_links:
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (links[i])
			bpf_link__destroy(links[i]);
	close(fd);
out_cg:
	rmdir(cg);
out:
	probe_bpf__destroy(skel);
	return ret;
}

const struct og_probe_row *force_probe_row(const struct og_force_probe *pr,
					   const struct og_option *o)
{
	size_t i;

	for (i = 0; i < pr->nrows; i++)
		if (pr->rows[i].opt == o)
			return &pr->rows[i];
	return NULL;
}

void force_probe_why(const struct og_force_probe *pr, const struct og_option *o,
		     unsigned int point, char *buf, size_t len)
{
	const struct og_probe_row *r = force_probe_row(pr, o);
	int err;

	if (!pr->probed) {
		snprintf(buf, len, "%s", pr->reason);
		return;
	}
	if (!r) {
		snprintf(buf, len, "bpf_setsockopt does not take %s", o ? o->name : "it");
		return;
	}
	if (point == OG_FP_SEND && pr->send_reason[0]) {
		snprintf(buf, len, "%s", pr->send_reason);
		return;
	}
	if (point == OG_FP_CREATE && pr->create_reason[0] && !create_direct_opt(o)) {
		snprintf(buf, len, "%s", pr->create_reason);
		return;
	}
	if (point == OG_FP_CREATE || point == OG_FP_CONNECT)
		if (!strcmp(o->name, "TCP_BPF_IW")) {
			snprintf(buf, len, "the kernel sets the initial window when the connection "
				 "is established: force it there");
			return;
		}
	err = r->err[point_bit(point)];
	if (err < 0)
		snprintf(buf, len, "the probe did not reach %s for %s%s", force_point_name(point),
			 o->name, o->level == IPPROTO_IPV6 ? " (no IPv6 loopback?)" : "");
	else
		snprintf(buf, len, "this kernel's bpf_setsockopt refuses %s at %s (%s)", o->name,
			 force_point_name(point), strerror(err));
}
