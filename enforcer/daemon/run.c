// SPDX-License-Identifier: GPL-2.0-only
/*
 * `optguard run`: the start as named phases (phases[] below: policy, lock,
 * kernel, load, attach, pin, sources, ready), then the loop, which alone
 * waits for the event sources (the ring buffer, the signals, and the fd
 * table of loop.h: control socket, policy watch, /metrics), then the stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "caps.h"
#include "cgns_probe.h"
#include "cgroup.h"
#include "daemon.h"
#include "daemon_int.h"
#include "encode.h"
#include "events.h"
#include "gaps.h"
#include "loader.h"
#include "log.h"
#include "notify.h"
#include "policy.h"
#include "pins.h"
#include "privs.h"
#include "state.h"

#define RINGBUF_BYTES	(2u << 20)	/* mapped twice into the daemon: 4 MiB of its RSS (P7) */

/*
 * How often the daemon checks what is attached and what the maps hold
 * (d_verify()): a detached link or an emptied map is noticed within this, at
 * the price of one wake-up per interval when idle (BENCH.md P7).
 */
#define OG_VERIFY_MS 10000

static volatile sig_atomic_t got_quit, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_quit = 1;
}

long long d_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *cg_lookup(struct daemon *d, __u64 id)
{
	struct cg_entry *e;
	unsigned int i;
	const char *bound = NULL;

	if (d->bind_on && !d->bind_held) {
		/* the binder thread may change the table: copy under its lock */
		binder_lock(&d->bind);
		bound = binder_path(&d->bind, id);
		if (bound)
			snprintf(d->cg_bound, sizeof(d->cg_bound), "%s", bound);
		binder_unlock(&d->bind);
		if (bound)
			return d->cg_bound;
	} else if (d->bind_on) {
		bound = binder_path(&d->bind, id);
		if (bound)
			return bound;
	}
	for (i = 0; i < CG_CACHE; i++)
		if (d->cg[i].id == id)
			return d->cg[i].ok ? d->cg[i].path : NULL;
	e = &d->cg[d->cg_next++ % CG_CACHE];
	e->id = id;
	e->ok = cg_path_by_id(id, e->path, sizeof(e->path)) == 0;
	return e->ok ? e->path : NULL;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct og_event *e = data;
	struct og_event_names n;
	__u32 gen = e->flags >> OG_EV_GEN_SHIFT;

	if (size < sizeof(*e))
		return 0;
	n.rule = e->rule_id == OG_GUARD_RULE_ID ? "(guard)" :
		 e->rule_id < d->nnames[gen] && d->names[gen][e->rule_id] ?
		 d->names[gen][e->rule_id] : "(unknown)";
	n.cgroup = cg_lookup(d, e->cgid);
	n.realtime_ns = (long long)e->ts_ns + d->rt_offset;
	if (event_format(d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT, e, &n, d->line,
			 sizeof(d->line)) < 0) {
		/* a cgroup path that escapes too long: the line keeps its id, never a cut line */
		n.cgroup = NULL;
		event_format(d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT, e, &n,
			     d->line, sizeof(d->line));
	}
	sink_write(&d->sink, d->line);
	return 0;
}

/*
 * A summary line per rule that lost events since the last check (log_rate,
 * or a full ring buffer): nothing is dropped silently.  At most once a
 * second while events flow, and when the daemon stops.
 */
static void report_losses(struct daemon *d, bool now)
{
	long long t = d_clock_ns(CLOCK_MONOTONIC);
	struct og_counters *c;
	size_t i, n;

	if (!now && t - d->loss_check < 1000000000LL)
		return;
	d->loss_check = t;
	n = d->bpf.id_cap;
	if (!d->seen && !(d->seen = calloc(n, sizeof(*d->seen))))
		return;
	c = calloc(n, sizeof(*c));
	if (!c || og_bpf_counters(&d->bpf, c, n)) {
		free(c);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned long long sup = c[i].suppressed - d->seen[i].suppressed;
		unsigned long long drop = c[i].dropped - d->seen[i].dropped;
		int gen = d->cur_gen;

		if (!sup && !drop)
			continue;
		summary_format(d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT,
			       i < d->nnames[gen] && d->names[gen][i] ? d->names[gen][i] : "(unknown)",
			       sup, drop,
			       d_clock_ns(CLOCK_REALTIME), d->line, sizeof(d->line));
		sink_write(&d->sink, d->line);
		d->seen[i] = c[i];
	}
	free(c);
}


/*
 * The rules of @p a 32-bit (compat) caller or a sendmsg control message
 * gets past with the hooks this daemon has (README: "What optguard can and
 * cannot see"), one sentence each into @compat and @cmsg ("" when none).
 * @refused: the compat callers the LSM hook refuses (compat = deny).
 */
static void gaps_text(const struct daemon *d, const struct og_policy *p, char *compat,
		      char *refused, char *cmsg, size_t len)
{
	const struct og_group_state *lsm = &d->bpf.grp[OG_G_LSM];
	const struct og_group_state *uring = &d->bpf.grp[OG_G_URING];
	const struct og_group_state *cm = &d->bpf.grp[OG_G_CMSG];
	char names[1024];
	size_t n;

	compat[0] = refused[0] = cmsg[0] = '\0';
	if (!lsm->active) {
		n = gaps_list(p, OG_GAP_COMPAT_ALL, names, sizeof(names));
		if (n)
			snprintf(compat, len, "32-bit (compat) callers bypass rule%s %s (the kernel "
				 "skips the cgroup hook for compat syscalls and compat io_uring "
				 "rings; no LSM hook: %s)", n == 1 ? "" : "s", names,
				 lsm->reason);
	} else {
		n = gaps_list(p, OG_GAP_COMPAT_VALUE, names, sizeof(names));
		if (n && p->compat_allow)
			snprintf(compat, len, "32-bit (compat) callers bypass rule%s %s "
				 "(compat = allow)", n == 1 ? "" : "s", names);
		else if (n)
			snprintf(refused, len, "32-bit (compat) callers of rule%s %s are refused "
				 "by the LSM hook (compat = deny)%s%s", n == 1 ? "" : "s", names,
				 uring->active ? "" : "; compat io_uring rings submitted to by "
				 "64-bit threads are not told apart: ",
				 uring->active ? "" : uring->reason);
	}
	n = gaps_list(p, OG_GAP_CMSG, names, sizeof(names));
	if (n && !cm->active)
		snprintf(cmsg, len, "sendmsg control messages (IP_TOS, IP_TTL, SO_MARK, SO_PRIORITY, "
			 "IPV6_TCLASS, IPV6_HOPLIMIT) bypass rule%s %s (%s)", n == 1 ? "" : "s",
			 names, lsm->active ? cm->reason : lsm->reason);
}

/* The bindings' lines of the state (bindings.c), read under the binder's lock: malloc'd or NULL. */
static char *bindings_text(struct daemon *d)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *m;

	if (!d->bind_on || !(m = open_memstream(&text, &tlen)))
		return NULL;
	if (!d->bind_held)
		binder_lock(&d->bind);
	binder_state(&d->bind, m);
	if (!d->bind_held)
		binder_unlock(&d->bind);
	fclose(m);
	return text;
}

/* What `optguard status` reads. */
int d_write_state(struct daemon *d)
{
	char compat[1600], refused[1600], cmsg[1600], bypass[3300];
	char *text = bindings_text(d);
	int ret;

	gaps_text(d, d->pol, compat, refused, cmsg, sizeof(compat));
	snprintf(bypass, sizeof(bypass), "%s%s%s", compat, compat[0] && cmsg[0] ? "; " : "", cmsg);
	d->st.bindings = text;
	ret = state_write(&d->st, d->pol, d->policy_path, d->hooks,
			  d->bpf.grp[OG_G_LSM].active ? "" : d->bpf.grp[OG_G_LSM].reason,
			  caps_errno_text(&d->bpf.caps),
			  d->names[d->cur_gen], d->nnames[d->cur_gen], bypass);
	d->st.bindings = NULL;
	free(text);
	return ret;
}

void d_state_format(struct daemon *d, FILE *f)
{
	char compat[1600], refused[1600], cmsg[1600], bypass[3300];
	char *text = bindings_text(d);

	gaps_text(d, d->pol, compat, refused, cmsg, sizeof(compat));
	snprintf(bypass, sizeof(bypass), "%s%s%s", compat, compat[0] && cmsg[0] ? "; " : "", cmsg);
	d->st.bindings = text;
	state_format(f, &d->st, d->pol, d->policy_path, d->hooks,
		     d->bpf.grp[OG_G_LSM].active ? "" : d->bpf.grp[OG_G_LSM].reason,
		     caps_errno_text(&d->bpf.caps),
		     d->names[d->cur_gen], d->nnames[d->cur_gen], bypass);
	d->st.bindings = NULL;
	free(text);
}

/* Say, once, at start and on a reload, which rules what gets past. */
void d_report_gaps(const struct daemon *d, const struct og_policy *p)
{
	char compat[1600], refused[1600], cmsg[1600];

	gaps_text(d, p, compat, refused, cmsg, sizeof(compat));
	if (compat[0])
		log_warnx("warning: %s", compat);
	if (refused[0])
		log_info("%s", refused);
	if (cmsg[0])
		log_warnx("warning: %s", cmsg);
}

/*
 * Make @bytes of heap resident again after malloc_trim(), and leave them free
 * in the heap (M_TRIM_THRESHOLD): a reload's allocations then take pages the
 * process already has.  A page fault costs ~30 us on the development VM; a
 * reload of a 10k-rule policy touches some 3000 fresh pages, which made its
 * parse 40 ms instead of 10 (P6).  The price is RSS in proportion to the
 * policy (what parsing it took at start; a bigger reload keeps its own
 * peak), a few hundred KiB for a small one (P7).
 */
static void prefault_heap(size_t bytes)
{
	char *p = bytes ? malloc(bytes) : NULL;
	size_t page = sysconf(_SC_PAGESIZE), i;

	if (!p)
		return;
	for (i = 0; i < bytes; i += page)
		((volatile char *)p)[i] = 0;
	free(p);
}

/*
 * Integrity, verified against the kernel, never assumed: our links still
 * attached and pinned, the rule and force maps holding exactly what this
 * daemon installed.  Anything else (root detached a link, emptied a map) is
 * reported on stderr, as an event and in the state file `status` reads; map
 * contents are restored at once (the install rewrites what is not known),
 * a detached link needs a restart (the daemon has no capability left to
 * attach).  Returns how many problems were found.
 */
int d_verify(struct daemon *d, bool restore)
{
	char links[512], maps[512], ts[40];
	long long now = d_clock_ns(CLOCK_REALTIME);
	time_t secs = now / 1000000000LL;
	int bad_links, bad_maps;
	struct tm tm;

	d->verify_check = d_clock_ns(CLOCK_MONOTONIC);
	if (d->bind_on && !d->bind.enf_id)
		return 1;	/* the enforcer's cgroup is gone: d_follow_bindings() said so */
	bad_links = pins_verify(&d->bpf, d->pin_sub, links, sizeof(links));
	bad_maps = og_bpf_verify(&d->bpf, maps, sizeof(maps));
	if (!bad_links && !bad_maps) {
		if (strcmp(d->st.integrity, "ok")) {
			snprintf(d->st.integrity, sizeof(d->st.integrity), "ok");
			d_write_state(d);
		}
		return 0;
	}
	snprintf(d->st.integrity, sizeof(d->st.integrity), "%s%s%s%s", bad_links ? links : "",
		 bad_links && bad_maps ? "; " : "", bad_maps ? maps : "",
		 bad_links ? " (links: restart optguard)" : "");
	log_warnx("integrity: %s", d->st.integrity);
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (d->sink.kind == OG_LOG_JSON)
		snprintf(d->line, sizeof(d->line), "{\"ts\":\"%s\",\"event\":\"integrity\","
			 "\"problem\":\"%s\",\"restored\":%s}", ts, d->st.integrity,
			 bad_maps && restore && !bad_links ? "true" : "false");
	else
		snprintf(d->line, sizeof(d->line), "%s event=integrity problem=\"%s\"", ts,
			 d->st.integrity);
	sink_write(&d->sink, d->line);
	sink_flush(&d->sink);
	if (bad_maps && restore) {
		if (d_install(d, d->pol) == 0 && og_bpf_verify(&d->bpf, maps, sizeof(maps)) == 0) {
			log_info("integrity: the maps hold the policy in force again");
			if (!bad_links)
				snprintf(d->st.integrity, sizeof(d->st.integrity), "ok (restored at %s)",
					 ts);
		}
		og_bpf_mirror(&d->bpf);
	}
	d_write_state(d);
	return bad_links + bad_maps;
}


static void summary(struct daemon *d)
{
	struct og_counters *c = calloc(d->bpf.id_cap, sizeof(*c));
	struct og_counters t = {};
	size_t i;

	if (!c)
		return;
	if (og_bpf_counters(&d->bpf, c, d->bpf.id_cap) == 0) {
		for (i = 0; i < d->bpf.id_cap; i++) {
			t.decisions += c[i].decisions;
			t.events += c[i].events;
			t.dropped += c[i].dropped;
			t.suppressed += c[i].suppressed;
			t.unlogged += c[i].unlogged;
		}
		/* decisions = events + suppressed + dropped + unlogged */
		log_info("stopping: %llu decisions, %llu events, %llu suppressed by log_rate, "
			 "%llu dropped (ring buffer full), %llu forced values counted, not logged "
			 "(log_force)", (unsigned long long)t.decisions, (unsigned long long)t.events,
			 (unsigned long long)t.suppressed, (unsigned long long)t.dropped,
			 (unsigned long long)t.unlogged);
		/* telemetry of the sockets force rules touched */
		for (i = 0; i < d->pol->nrules; i++) {
			__u32 id = rule_id(&d->pol->rules[i], i);
			const struct og_counters *r = &c[id < d->bpf.id_cap ? id : 0];

			if (!rule_forces_at(&d->pol->rules[i]) || id >= d->bpf.id_cap ||
			    !r->connections)
				continue;
			log_info("rule %s: %llu connections, %llu closed (mean lifetime %llu ms), "
				 "%llu retransmits, %llu RTO events", d->pol->rules[i].name,
				 (unsigned long long)r->connections, (unsigned long long)r->closes,
				 (unsigned long long)(r->closes ? r->lifetime_ns / r->closes / 1000000 :
				 0), (unsigned long long)r->retransmits, (unsigned long long)r->rtos);
		}
	}
	free(c);
}

void d_notify_ready(struct daemon *d)
{
	char st[256];

	snprintf(st, sizeof(st), "enforcing %s (%zu rules, %s)", d->policy_path, d->pol->nrules,
		 d->bpf.grp[OG_G_LSM].active ? "LSM and cgroup hooks" : "cgroup-only");
	notify_ready(st);	/* systemd Type=notify; nothing without NOTIFY_SOCKET */
}

static void usage_run(void)
{
	fprintf(stderr, "usage: optguard run [--policy FILE] [--insecure-policy]\n");
}

/* The command line: 0, or the exit status (after usage or an error) + 1. */
static int parse_args(struct daemon *d, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "insecure-policy", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			d->policy_path = optarg;
			break;
		case 'I':
			d->insecure = 1;
			break;
		case 'h':
			usage_run();
			return 0 + 1;
		default:
			usage_run();
			return 2 + 1;
		}
	}
	if (optind != argc) {
		log_warnx("run: unexpected argument '%s'", argv[optind]);
		usage_run();
		return 2 + 1;
	}
	if (geteuid() != 0) {
		log_warnx("run: must be run as root (it loads BPF programs)");
		return 1 + 1;
	}
	return 0;
}

/* Phase "policy": read and validate the policy file. */
static int phase_policy(struct daemon *d)
{
	/*
	 * Not dumpable, from the start: ptrace, pidfd_getfd() and /proc/PID/fd
	 * then need CAP_SYS_PTRACE, so a uid 0 process without capabilities
	 * cannot take the map and link fds the daemon holds (dropping capabilities
	 * later does not change dumpability by itself).
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		log_warn("run: cannot make the daemon non-dumpable");
	if (!d->policy_path)
		d->policy_path = policy_default_path();
	/*
	 * Absolute, for `status` and for the reloads after a chdir; not
	 * resolved: a symlink swapped for a new policy is read anew on SIGHUP.
	 */
	if (d->policy_path[0] != '/') {
		char cwd[2048], abs[sizeof(d->policy_abs)];

		if (getcwd(cwd, sizeof(cwd)) &&
		    (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, d->policy_path) < sizeof(abs) &&
		    path_normalize(abs, d->policy_abs, sizeof(d->policy_abs)) == 0)
			d->policy_path = d->policy_abs;
	}
	/*
	 * Memory a reload needs stays with the daemon (see prefault_heap()):
	 * blocks below 32 MiB from the heap, and the heap not shrunk by free().
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	/* in a cgroup namespace: the real depth of the cgroup2 mount, before any depth is used */
	{
		char why[1024] = "";

		if (cgns_resolve(why, sizeof(why)))
			log_warnx("warning: %s", why);	/* a policy whose scopes name a cgroup is refused */
		else if (why[0])
			log_info("%s", why);
	}
	d->pol = d_load_policy(d);
	return d->pol ? 0 : -EINVAL;
}

/* Phase "lock": one daemon per pin_dir; what earlier daemons pinned, opened. */
static int phase_lock(struct daemon *d)
{
	int ret = state_lock(&d->st, d->pol->pin_dir);

	if (ret)
		return ret;
	if (pins_open_old(d->pol->pin_dir, &d->old))
		log_warn("%s: cannot read what earlier daemons pinned", d->pol->pin_dir);
	return 0;
}

/* Phase "kernel": force rules this kernel cannot honour refuse the start. */
static int phase_kernel(struct daemon *d)
{
	if (!policy_forces(d->pol, OG_AT_ALL))
		return 0;
	d->probe = calloc(1, sizeof(*d->probe));
	if (!d->probe)
		return -ENOMEM;
	if (force_probe(d->probe))
		log_warnx("warning: %s", d->probe->reason);
	if (caps_check_force(d->probe, d->pol, NULL)) {
		log_warnx("%s: force rules this kernel cannot honour: refusing to start",
			  d->policy_path);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Phase "load": the event sink, the programs and maps, the policy in the maps. */
static int phase_load(struct daemon *d)
{
	struct og_bpf_limits lim;
	struct og_encoding enc;
	struct sigaction sa;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the wait must see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = sink_open(&d->sink, d->pol->log, d->pol->log_file);
	if (ret)
		return ret;
	d_bind_begin(d);
	lim.max_keys = 4096;
	lim.max_ids = 1024;
	if (policy_encode(d->pol, &enc) == 0) {
		if (enc.nkeys * 2 > lim.max_keys)
			lim.max_keys = enc.nkeys * 2;
		if (enc.nids * 2 > lim.max_ids)
			lim.max_ids = enc.nids * 2;
		encoding_free(&enc);
	}
	/* the heap as parsing and encoding the policy left it: about what a reload of it takes */
	d->reserve = mallinfo2().arena;
	lim.ringbuf_bytes = RINGBUF_BYTES;
	lim.lsm = d->pol->lsm;
	lim.force_create = policy_forces(d->pol, OG_AT_CREATE);
	lim.force_send = policy_forces(d->pol, OG_AT_SEND);
	/* a policy that forces nothing at start cannot gain force rules by a reload */
	lim.skip_force = !d->probe;
	lim.want_cmsg = d->pol->lsm != OG_LSM_OFF && policy_needs_cmsg(d->pol);
	ret = og_bpf_load(&d->bpf, &lim);
	if (ret)
		return ret;
	if (d->probe && caps_check_force(d->probe, d->pol, &d->bpf)) {
		log_warnx("%s: force rules this kernel cannot honour: refusing to start",
			  d->policy_path);
		return -EOPNOTSUPP;
	}
	if (caps_check(&d->bpf, d->pol, d->policy_path, false))
		return -EOPNOTSUPP;
	ret = d_install(d, d->pol);
	if (ret)
		return ret;
	d->rb = ring_buffer__new(og_bpf_events_fd(&d->bpf), handle_event, d, NULL);
	if (!d->rb) {
		ret = -errno;
		log_warn("cannot open the event ring buffer");
		return ret;
	}
	d->rt_offset = d_clock_ns(CLOCK_REALTIME) - d_clock_ns(CLOCK_MONOTONIC);
	return 0;
}

/* Phase "attach": the programs on their hooks (next to what earlier daemons left). */
static int phase_attach(struct daemon *d)
{
	int ret = og_bpf_attach(&d->bpf, d->pol->cgroup);

	if (ret)
		return ret;
	if (caps_check(&d->bpf, d->pol, d->policy_path, true))
		return -EOPNOTSUPP;
	/* where BPF LSM runs, nobody but this daemon detaches or writes what it attached */
	if (d->bpf.grp[OG_G_LSM].active && !d->pol->guard_off) {
		if (og_guard_start(&d->bpf))
			log_warnx("warning: %s: optguard's links and maps are not guarded against "
				  "root", d->bpf.guard_reason);
		else
			log_info("guard: lsm/bpf refuses to any process but this daemon the bpf() "
				 "commands that detach optguard's links or write its maps (guard = off "
				 "turns it off)");
	}
	og_bpf_hooks(&d->bpf, d->hooks, sizeof(d->hooks));
	d_report_gaps(d, d->pol);
	return 0;
}

/*
 * Phase "pin": make before break.  Ours are attached and pinned in a
 * directory of this instance before the old ones go; if pinning fails, what
 * earlier daemons pinned stays in force (pins_save() removes only its own).
 */
static int phase_pin(struct daemon *d)
{
	int ret = pins_save(&d->bpf, d->pol->pin_dir, d->st.instance, d->pin_sub,
			    sizeof(d->pin_sub));

	if (ret)
		return ret;
	pins_drop_old(&d->old);
	snprintf(d->st.pin_path, sizeof(d->st.pin_path), "%s/counters", d->pin_sub);
	d->pinned = true;
	snprintf(d->st.integrity, sizeof(d->st.integrity), "ok");
	return d_write_state(d);
}

/* Phase "sources": the control socket, the policy watch, /metrics (loop.h). */
static int phase_sources(struct daemon *d)
{
	int ret;

	loop_init(&d->loop, ring_buffer__epoll_fd(d->rb));
	if ((ret = d_control_start(d)) || (ret = d_watch_start(d)) || (ret = d_metrics_start(d)))
		return ret;
	d_bind_thread(d);
	return 0;
}

/* Phase "ready": privileges dropped, systemd told, the idle generation filled. */
static int phase_ready(struct daemon *d)
{
	int ret;

	/* everything privileged is done: what follows needs no capability */
	/* give back what loading took (vmlinux BTF, verifier logs): P7's RSS */
	malloc_trim(0);
	prefault_heap(d->reserve);
	ret = privs_drop();
	if (ret)
		return ret;
	log_info("enforcing %s (%zu rules, mode %s, default %s) on %s with %s%s",
		 d->policy_path, d->pol->nrules, d->pol->mode == OG_MODE_AUDIT ? "audit" : "enforce",
		 action_name(d->pol->default_action), d->pol->cgroup, d->hooks,
		 d->bpf.grp[OG_G_LSM].active ? "" : " (cgroup-only)");
	if (d->bpf.grp[OG_G_CMSG].active)
		log_info("sendmsg control messages are checked (lsm/socket_sendmsg)");
	d_notify_ready(d);
	/* the idle generation too holds the policy: a reload writes only what it changes */
	if (og_bpf_mirror(&d->bpf))
		log_warnx("cannot fill the idle generation (a reload will)");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct daemon *d);
} phases[] = {
	{ "policy", phase_policy },
	{ "lock", phase_lock },
	{ "kernel", phase_kernel },
	{ "load", phase_load },
	{ "attach", phase_attach },
	{ "pin", phase_pin },
	{ "sources", phase_sources },
	{ "ready", phase_ready },
};

/*
 * The loop: every event source is waited for here, in one wait.  The
 * signals are blocked but while the loop waits (epoll_pwait): one that
 * comes while the loop works waits for the next wait, which it ends at
 * once, and none is lost between the check and the wait.  The fds of the
 * table (loop.h) are in the ring buffer's epoll set: their handlers run
 * after the wait.  0 when asked to stop, -errno when the ring buffer fails.
 */
static int run_loop(struct daemon *d)
{
	sigset_t sigs, waitmask;
	int idle = 0, n;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, &waitmask);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	d->verify_check = d_clock_ns(CLOCK_MONOTONIC);
	d->bpf.idle_timeout_ms = OG_VERIFY_MS;
	while (!got_quit && !d->quit) {
		/* a reload and the integrity check hold the binder thread off meanwhile */
		if (got_hup || d_clock_ns(CLOCK_MONOTONIC) - d->verify_check >=
		    OG_VERIFY_MS * 1000000LL)
			d_bind_hold(d);
		if (got_hup) {
			got_hup = 0;
			d_reload(d, "SIGHUP", NULL, NULL);
		}
		if (d_clock_ns(CLOCK_MONOTONIC) - d->verify_check >= OG_VERIFY_MS * 1000000LL)
			d_verify(d, true);
		d_bind_release(d);
		n = og_bpf_events_pwait(&d->bpf, d->rb, &idle, &waitmask);
		/* the handlers (control socket, watch: reloads; the bindings) with it held too */
		d_bind_hold(d);
		loop_dispatch(&d->loop);
		d_bind_release(d);
		if (!got_hup)	/* a reload first: reading every counter can wait */
			report_losses(d, false);
		sink_flush(&d->sink);
		if (n < 0 && n != -EINTR) {
			log_warnx("event ring buffer: %s", strerror(-n));
			return n;
		}
	}
	return 0;
}

/* The stop: the last events, what stays enforced (verified), the lock released. */
static void run_stop(struct daemon *d)
{
	char why[512];
	int lost = 0, i;

	if (d->pinned)
		notify_stopping();
	d_bind_release(d);
	d_sources_close(d);
	if (d->rb) {
		ring_buffer__consume(d->rb);
		sink_flush(&d->sink);
		ring_buffer__free(d->rb);
	}
	/* what stays after us is verified, never assumed: root may have removed the pins */
	if (d->pinned)
		lost = pins_verify(&d->bpf, d->pin_sub, why, sizeof(why));
	if (d->bpf.skel) {
		if (d->bpf.links[OG_P_SETSOCKOPT]) {
			report_losses(d, true);
			sink_flush(&d->sink);
			summary(d);
		}
		og_bpf_close(&d->bpf);
	}
	sink_close(&d->sink);
	/* a start that failed leaves what was pinned before in force */
	pins_keep_old(&d->old);
	if (d->pinned && !lost && d->unloading)
		log_info("stopped by optguard unload, which now removes what is pinned under %s",
			 d->pin_sub);
	else if (d->pinned && !lost)
		log_info("stopped: the policy stays enforced (pinned under %s); 'optguard unload' "
			 "removes it", d->pin_sub);
	else if (d->pinned)
		log_warnx("stopped: the policy is NOT enforced any more: %s (someone removed or "
			  "detached what was pinned under %s); run optguard again", why, d->pin_sub);
	state_release(&d->st);
	d_bind_end(d);
	for (i = 0; i < OG_NGENS; i++)
		d_names_free(d->names[i], d->nnames[i]);
	policy_free(d->pol);
	free(d->probe);
	free(d->seen);
}

int cmd_run(int argc, char **argv)
{
	struct daemon *d = calloc(1, sizeof(*d));
	long long t;
	size_t i;
	int ret;

	if (!d)
		fatal("run");
	d->st.lock_fd = d->ctl.fd = d->watch_fd = d->watch_timer = d->metrics_fd = -1;
	ret = parse_args(d, argc, argv);
	if (ret) {
		free(d);
		return ret - 1;
	}
	ret = 0;
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]) && !ret; i++) {
		t = d_clock_ns(CLOCK_MONOTONIC);
		ret = phases[i].fn(d);
		log_debug("start: %s %lld ms%s", phases[i].name,
			  (d_clock_ns(CLOCK_MONOTONIC) - t) / 1000000, ret ? ": failed" : "");
	}
	if (!ret)
		ret = run_loop(d);
	run_stop(d);
	free(d);
	return ret ? 1 : 0;
}
