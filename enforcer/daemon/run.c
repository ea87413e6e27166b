// SPDX-License-Identifier: GPL-2.0-only
/*
 * `optguard run`: load the policy, load and attach the programs, write the
 * decision events, reload on SIGHUP, detach on SIGINT/SIGTERM.
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
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bindings.h"
#include "caps.h"
#include "cgns_probe.h"
#include "cgroup.h"
#include "daemon.h"
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

/* mapped twice into the daemon: 4 MiB of its RSS (bench/README.md P7) */
#define RINGBUF_BYTES	(2u << 20)
#define CG_CACHE	64

static volatile sig_atomic_t got_quit, got_hup;

struct cg_entry {
	__u64 id;
	char path[512];
	int ok;
};

/*
 * How often the daemon checks what is attached and what the maps hold
 * (verify()): a detached link or an emptied map is noticed within this, at
 * the price of one wake-up per interval when idle (bench/README.md P7).
 */
#define OG_VERIFY_MS 10000

struct daemon {
	const char *policy_path;
	int insecure;
	struct og_policy *pol;
	char **names[OG_NGENS];		/* rule names by id, per generation */
	size_t nnames[OG_NGENS];
	struct og_bpf bpf;
	struct og_force_probe *probe;	/* NULL: the policy at start forced nothing */
	struct og_sink sink;
	struct og_state st;
	struct og_old_pins old;		/* what an earlier daemon left pinned */
	char pin_sub[512];		/* pin_dir/d<PID>: our pins */
	char hooks[256];		/* what is attached, for the start line and `status` */
	char policy_abs[4096];		/* policy_path made absolute */
	bool pinned;			/* enforcement outlives us from here on */
	struct og_counters *seen;	/* losses already reported, per rule id */
	long long loss_check;		/* CLOCK_MONOTONIC of the last check */
	long long verify_check;		/* CLOCK_MONOTONIC of the last integrity check */
	int cur_gen;			/* the generation in force */
	struct ring_buffer *rb;
	long long rt_offset;		/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	struct og_binder bind;		/* the cgroups the selectors name now (bindings.c) */
	bool bind_on;			/* ... followed (else as they were at start) */
	bool bind_held;			/* this thread holds binder_lock() */
	char cg_bound[4096];		/* a bound cgroup's path, copied under the lock */
	struct cg_entry cg[CG_CACHE];
	unsigned int cg_next;
	char line[16384];
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_quit = 1;
}

static long long clock_ns(clockid_t c)
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
	long long t = clock_ns(CLOCK_MONOTONIC);
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
			       clock_ns(CLOCK_REALTIME), d->line, sizeof(d->line));
		sink_write(&d->sink, d->line);
		d->seen[i] = c[i];
	}
	free(c);
}

static void names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The rule names by id (rule_id()): holes are ids no rule of @p has. */
static int names_build(const struct og_policy *p, size_t nids, char ***out, size_t *n)
{
	char **names = calloc(nids, sizeof(*names));
	size_t i;

	if (!names)
		return -ENOMEM;
	names[0] = strdup("(default)");
	if (!names[0]) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < p->nrules; i++) {
		__u32 id = rule_id(&p->rules[i], i);

		if (id >= nids || !(names[id] = strdup(p->rules[i].name))) {
			names_free(names, nids);
			return -ENOMEM;
		}
	}
	*out = names;
	*n = nids;
	return 0;
}

struct id_name {
	const char *name;
	__u32 id;
};

static int id_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_name *)a)->name, ((const struct id_name *)b)->name);
}

/*
 * Counters are per rule name and go on counting across reloads (like a
 * Prometheus counter; a restart starts them at 0): each rule of @p gets the
 * id its name has in the policy in force, a new name an id that policy does
 * not use, its counters zeroed first (a rule removed earlier counted there).
 * 0, -E2BIG (more ids than the maps were sized for at start: a restart), or
 * -ENOMEM.
 */
static int assign_ids(struct daemon *d, struct og_policy *p)
{
	const struct og_policy *cur = d->pol;
	struct id_name *old = malloc((cur->nrules + 1) * sizeof(*old)), key, *f;
	bool *used = calloc(d->bpf.id_cap + 1, sizeof(*used));
	bool *fresh = calloc(p->nrules + 1, sizeof(*fresh));
	size_t i, next = 1;
	int ret = 0;

	if (!old || !used || !fresh) {
		ret = -ENOMEM;
		goto out;
	}
	used[0] = true;		/* (default) */
	for (i = 0; i < cur->nrules; i++) {
		old[i] = (struct id_name){ cur->rules[i].name, rule_id(&cur->rules[i], i) };
		if (old[i].id < d->bpf.id_cap)
			used[old[i].id] = true;
	}
	qsort(old, cur->nrules, sizeof(*old), id_name_cmp);
	for (i = 0; i < p->nrules; i++) {
		key.name = p->rules[i].name;
		f = cur->nrules ? bsearch(&key, old, cur->nrules, sizeof(*old), id_name_cmp) : NULL;
		if (f)
			p->rules[i].id = f->id;
		else
			fresh[i] = true;
	}
	for (i = 0; i < p->nrules; i++) {
		if (!fresh[i])
			continue;
		while (next < d->bpf.id_cap && used[next])
			next++;
		if (next >= d->bpf.id_cap) {
			log_warnx("%s: more rules than the maps were sized for at start (%zu ids): "
				  "restart optguard to load it", p->path, d->bpf.id_cap);
			ret = -E2BIG;
			goto out;
		}
		used[next] = true;
		p->rules[i].id = next;
		ret = og_bpf_counters_zero(&d->bpf, next);
		if (ret) {
			log_warnx("cannot zero the counters of rule id %zu: %s", next, strerror(-ret));
			goto out;
		}
	}
out:
	free(old);
	free(used);
	free(fresh);
	return ret;
}

/*
 * A policy file root does not own, or others may write, is refused (optguard(8),
 * docs/optguard.8: --insecure-policy).  Checked on the open descriptor the policy is then
 * read from: a path checked and then opened again could be swapped in between (a
 * symlink flipped in a sticky directory); a symlink is followed, and what it
 * points to is what must pass.
 */
static int policy_file_safe(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		log_warn("%s", path);
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		log_warnx("%s: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file: refusing it", path);
		return -EPERM;
	}
	if (st.st_uid != 0) {
		log_warnx("%s: owned by uid %u, not root: refusing it (--insecure-policy takes it)",
			  path, st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_warnx("%s: writable by group or others (mode %04o): refusing it "
			  "(--insecure-policy takes it)", path, st.st_mode & 07777);
		return -EPERM;
	}
	return 0;
}

static struct og_policy *load_policy(struct daemon *d)
{
	struct og_diag diag = {};
	struct og_policy *p = NULL;
	int fd = open(d->policy_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_warn("%s", d->policy_path);
		return NULL;
	}
	if (!d->insecure && policy_file_safe(d->policy_path, fd)) {
		close(fd);
		return NULL;
	}
	/* read from the descriptor checked above, which it closes */
	if (policy_load_fd(d->policy_path, fd, &p, &diag))
		p = NULL;
	diag_print(&diag);
	diag_free(&diag);
	if (p)
		warn_whole_host(p);
	return p;
}

/*
 * @p with the scopes' cgroups as bound now (bindings.c; without the binder,
 * as they are), through the one expansion (expand.h).
 */
static int encode_bound(struct daemon *d, const struct og_policy *p, struct og_encoding *enc)
{
	struct og_bind_expand x;
	struct og_bind_table bt;
	int ret;

	ret = d->bind_on ? binder_table(&d->bind, &bt) : bindings_static(p, &bt);
	if (ret)
		return ret;
	ret = bind_expand(p, &bt, &x);
	bindings_free(&bt);
	if (ret)
		return ret;
	ret = policy_encode_bound(p, &x.b, enc);
	bind_expand_free(&x);
	return ret;
}

/* Put @p in force in one step; the names of its rules follow its generation. */
static int install(struct daemon *d, const struct og_policy *p)
{
	struct og_encoding enc;
	char **names;
	size_t nnames;
	int gen, ret;

	ret = encode_bound(d, p, &enc);
	if (ret) {
		log_warnx("%s: cannot encode the policy: %s", p->path, strerror(-ret));
		return ret;
	}
	ret = names_build(p, enc.nids, &names, &nnames);
	if (ret) {
		encoding_free(&enc);
		return ret;
	}
	gen = og_bpf_install(&d->bpf, &enc);
	encoding_free(&enc);
	if (gen < 0) {
		names_free(names, nnames);
		return gen;
	}
	/* events of the old generation may still be queued: keep its names until next time */
	names_free(d->names[gen], d->nnames[gen]);
	d->names[gen] = names;
	d->nnames[gen] = nnames;
	d->cur_gen = gen;
	return 0;
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

/* What `optguard status` reads. */
static int write_state(struct daemon *d)
{
	char compat[1600], refused[1600], cmsg[1600], bypass[3300], *text = NULL;
	size_t tlen = 0;
	FILE *m;
	int ret;

	gaps_text(d, d->pol, compat, refused, cmsg, sizeof(compat));
	/* the bindings, read under the binder's lock; the file is written without it */
	if (d->bind_on && (m = open_memstream(&text, &tlen))) {
		if (!d->bind_held)
			binder_lock(&d->bind);
		binder_state(&d->bind, m);
		if (!d->bind_held)
			binder_unlock(&d->bind);
		fclose(m);
	}
	d->st.bindings = text;
	snprintf(bypass, sizeof(bypass), "%s%s%s", compat, compat[0] && cmsg[0] ? "; " : "", cmsg);
	ret = state_write(&d->st, d->pol, d->policy_path, d->hooks,
			  d->bpf.grp[OG_G_LSM].active ? "" : d->bpf.grp[OG_G_LSM].reason,
			  caps_errno_text(&d->bpf.caps),
			  d->names[d->cur_gen], d->nnames[d->cur_gen], bypass);
	d->st.bindings = NULL;
	free(text);
	return ret;
}

/* Say, once, at start and on a reload, which rules what gets past. */
static void report_gaps(const struct daemon *d, const struct og_policy *p)
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
 * parse 40 ms instead of 10 (bench/README.md P6).  The price is RSS in proportion to the
 * policy (what parsing it took at start; a bigger reload keeps its own
 * peak), a few hundred KiB for a small one (bench/README.md P7).
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
static int verify(struct daemon *d, bool restore)
{
	char links[512], maps[512], ts[40];
	long long now = clock_ns(CLOCK_REALTIME);
	time_t secs = now / 1000000000LL;
	int bad_links, bad_maps;
	struct tm tm;

	d->verify_check = clock_ns(CLOCK_MONOTONIC);
	if (d->bind_on && !d->bind.enf_id)
		return 1;	/* the enforcer's cgroup is gone: follow_bindings() said so */
	bad_links = pins_verify(&d->bpf, d->pin_sub, links, sizeof(links));
	bad_maps = og_bpf_verify(&d->bpf, maps, sizeof(maps));
	if (!bad_links && !bad_maps) {
		if (strcmp(d->st.integrity, "ok")) {
			snprintf(d->st.integrity, sizeof(d->st.integrity), "ok");
			write_state(d);
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
			 "\"problem\":\"%s\",\"restored\":%s}\n", ts, d->st.integrity,
			 bad_maps && restore && !bad_links ? "true" : "false");
	else
		snprintf(d->line, sizeof(d->line), "%s event=integrity problem=\"%s\"\n", ts,
			 d->st.integrity);
	sink_write(&d->sink, d->line);
	sink_flush(&d->sink);
	if (bad_maps && restore) {
		if (install(d, d->pol) == 0 && og_bpf_verify(&d->bpf, maps, sizeof(maps)) == 0) {
			log_info("integrity: the maps hold the policy in force again");
			if (!bad_links)
				snprintf(d->st.integrity, sizeof(d->st.integrity), "ok (restored at %s)",
					 ts);
		}
		og_bpf_mirror(&d->bpf);
	}
	write_state(d);
	return bad_links + bad_maps;
}

static void emit_line(void *ctx, const char *line)
{
	struct daemon *d = ctx;

	sink_write(&d->sink, line);
}

/*
 * The keys of the cgroups made or removed, written at once (bindings.c runs
 * it in its thread, under binder_lock()): 0 or -errno.
 */
static int rebind_keys(void *ctx)
{
	struct daemon *d = ctx;
	long long t0 = clock_ns(CLOCK_MONOTONIC);
	struct og_encoding enc;
	int ret;

	ret = encode_bound(d, d->pol, &enc);
	if (ret)
		return ret;
	ret = og_bpf_rebind(&d->bpf, &enc);
	encoding_free(&enc);
	log_debug("bindings: keys written in %lld us", (clock_ns(CLOCK_MONOTONIC) - t0) / 1000);
	return ret;
}

/*
 * The cgroups the selectors name, or the enforcer's cgroup, changed
 * (bindings.c): the keys follow, and the programs follow the enforcer's
 * cgroup.  Cgroups made or removed go key by key into both generations
 * (og_bpf_rebind(): no task was in a new cgroup's id before, none is in a
 * removed one); anything else (a rename, a rescan) is a whole install into
 * the idle generation and a flip, like a reload.
 * Hook: the main loop, after each wait for events.
 */
static void follow_bindings(struct daemon *d)
{
	unsigned int f;
	int ret;

	binder_lock(&d->bind);
	d->bind_held = true;
	f = binder_take(&d->bind);
	if (!f) {
		d->bind_held = false;
		binder_unlock(&d->bind);
		return;
	}
	if ((f & OG_BIND_CHANGED) && !(f & OG_BIND_KEYS_DONE)) {
		if (install(d, d->pol) == 0)
			og_bpf_mirror(&d->bpf);
		else
			log_warnx("bindings: cannot install the keys of the cgroups bound now");
	}
	if (f & OG_BIND_ENF_GONE && !d->bind.enf_id) {
		snprintf(d->st.integrity, sizeof(d->st.integrity), "the enforcer's cgroup %s was "
			 "removed: nothing is attached, nothing is enforced until it is made again",
			 d->pol->cgroup);
		log_warnx("warning: %s", d->st.integrity);
		snprintf(d->hooks, sizeof(d->hooks), "%s%snone on the cgroup (it is gone)",
			 d->bpf.grp[OG_G_LSM].active ? "lsm/socket_setsockopt" : "",
			 d->bpf.grp[OG_G_LSM].active ? ", " : "");
	}
	if (f & OG_BIND_ENF_NEW && d->bind.enf_id) {
		ret = og_bpf_reattach(&d->bpf, d->pol->cgroup);
		if (!ret)
			ret = pins_repin(&d->bpf, d->pin_sub);
		og_bpf_hooks(&d->bpf, d->hooks, sizeof(d->hooks));
		if (ret) {
			snprintf(d->st.integrity, sizeof(d->st.integrity), "the enforcer's cgroup %s "
				 "was made again, but attaching to it failed: %s", d->pol->cgroup,
				 strerror(-ret));
			log_warnx("warning: %s", d->st.integrity);
		} else {
			snprintf(d->st.integrity, sizeof(d->st.integrity), "ok");
			log_info("the enforcer's cgroup %s was made again (id %llu): the programs are "
				 "attached to it", d->pol->cgroup, (unsigned long long)d->bind.enf_id);
			verify(d, true);
		}
	}
	binder_report(&d->bind, d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT,
		      emit_line, d);
	d->bind_held = false;
	binder_unlock(&d->bind);
	sink_flush(&d->sink);
	write_state(d);
}

/*
 * The daemon's part of the bindings (bindings.c), as hooks of cmd_run():
 *   bind_begin()         before the load: watches, then the first scan;
 *   bind_thread_start()  after the first state is written: the binder's
 *                        thread and its wake-up fd in the loop's epoll set;
 *   bind_hold()          in the loop, before a reload or an integrity check;
 *   bind_release()       in the loop before the wait, and at the exit;
 *   follow_bindings()    in the loop after the wait (above);
 *   bind_end()           at the exit.
 */
static void bind_begin(struct daemon *d)
{
	/* watches first, then the scan: what is made from here on is seen */
	if (binder_start(&d->bind, d->pol) == 0)
		d->bind.fast = rebind_keys, d->bind.ctx = d;
	if (d->bind.fd < 0)
		log_warnx("warning: the scopes' cgroups are not followed: they stay bound to the "
			  "cgroups there now");
	else
		d->bind_on = true;
}

static void bind_thread_start(struct daemon *d)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ~0ULL };

	if (!d->bind_on)
		return;
	/* held but while the loop waits; the thread drops its capabilities itself */
	binder_lock(&d->bind);
	d->bind_held = true;
	/*
	 * Only a policy whose scopes name cgroups gets the thread: a second
	 * thread makes every malloc() take its lock (a 10k-rule reload, P6,
	 * some 5% slower); the main loop follows the enforcer's cgroup alone.
	 */
	if (!d->bind.nsel)
		log_debug("bindings: no scope names a cgroup: the main loop follows the "
			  "policy's cgroup");
	else if (binder_thread_start(&d->bind, rebind_keys, d))
		log_warnx("warning: bindings: no thread of their own: the main loop follows "
			  "the cgroups");
	else
		log_debug("bindings: a thread of their own, %s", d->bind.how);
	/* a cgroup made or removed wakes the loop like an event (follow_bindings()) */
	if (epoll_ctl(ring_buffer__epoll_fd(d->rb), EPOLL_CTL_ADD,
		      binder_wake_fd(&d->bind), &ev))
		log_warn("bindings: cannot wait for cgroup changes");
}

/* The binder's thread held off while this one changes what it reads. */
static void bind_hold(struct daemon *d)
{
	if (d->bind_on && !d->bind_held) {
		binder_lock(&d->bind);
		d->bind_held = true;
	}
}

static void bind_release(struct daemon *d)
{
	if (d->bind_held) {
		binder_unlock(&d->bind);
		d->bind_held = false;
	}
}

static void bind_end(struct daemon *d)
{
	if (d->bind_on)
		binder_free(&d->bind);
}

/* SIGHUP: a new policy replaces the old in one step (0), or the old stays (-1). */
static int reload_policy(struct daemon *d)
{
	long long t0 = clock_ns(CLOCK_MONOTONIC), t1, t_live, t2;
	struct og_policy *p;

	sink_reopen(&d->sink);
	p = load_policy(d);
	t1 = clock_ns(CLOCK_MONOTONIC);
	if (!p) {
		log_warnx("reload: %s is not valid: the policy in force stays", d->policy_path);
		return -1;
	}
	if (strcmp(p->cgroup, d->pol->cgroup) || p->lsm != d->pol->lsm ||
	    p->log != d->pol->log || strcmp(p->log_file, d->pol->log_file) ||
	    strcmp(p->pin_dir, d->pol->pin_dir) || p->guard_off != d->pol->guard_off) {
		log_warnx("reload: %s changes cgroup, lsm, log, log_file, guard or pin_dir, which "
			  "need a restart: the policy in force stays", d->policy_path);
		policy_free(p);
		return -1;
	}
	/* what the maps hold is checked first: a reload must restore deleted keys */
	verify(d, false);
	if (d->bind_on)
		binder_set_policy(&d->bind, p);	/* its selectors, bound now */
	if (caps_check_force(d->probe, p, &d->bpf) || assign_ids(d, p) || install(d, p)) {
		log_warnx("reload: the policy in force stays");
		if (d->bind_on)
			binder_set_policy(&d->bind, d->pol);
		policy_free(p);
		return -1;
	}
	if (d->bind_on)
		binder_report(&d->bind, d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT,
			      emit_line, d);
	t_live = clock_ns(CLOCK_MONOTONIC);
	policy_free(d->pol);
	d->pol = p;
	verify(d, true);
	report_gaps(d, p);
	write_state(d);
	log_info("reloaded %s (%zu rules, mode %s)", d->policy_path, p->nrules,
		 p->mode == OG_MODE_AUDIT ? "audit" : "enforce");
	t2 = clock_ns(CLOCK_MONOTONIC);
	/* in force: the generation it replaced follows, so that the next reload writes less */
	if (og_bpf_mirror(&d->bpf))
		log_warnx("reload: cannot update the previous generation (the next reload will)");
	log_debug("reload: parse %lld ms, encode and install %lld ms: in force; then state %lld ms, "
		  "previous generation brought up to date %lld ms", (t1 - t0) / 1000000,
		  (t_live - t1) / 1000000, (t2 - t_live) / 1000000,
		  (clock_ns(CLOCK_MONOTONIC) - t2) / 1000000);
	return 0;
}

/*
 * A reload, and its answer for the `optguard reload` that may have asked:
 * in force, or refused with every message that says why.
 */
static void reload(struct daemon *d)
{
	char *why;
	int ret;

	log_capture_begin();
	ret = reload_policy(d);
	why = log_capture_end();
	state_write_reload(&d->st, ret == 0, why);
	free(why);
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
		}
		log_info("stopping: %llu decisions, %llu events, %llu suppressed by log_rate, "
			 "%llu dropped (ring buffer full)", (unsigned long long)t.decisions,
			 (unsigned long long)t.events, (unsigned long long)t.suppressed,
			 (unsigned long long)t.dropped);
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

/* Is `optguard unload` stopping us (state_unload_path())? */
static bool unloading(const struct daemon *d)
{
	char path[600];

	state_unload_path(d->pol->pin_dir, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static void usage_run(void)
{
	fprintf(stderr, "usage: optguard run [--policy FILE] [--insecure-policy]\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "insecure-policy", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	long long t_start = clock_ns(CLOCK_MONOTONIC), t_load, t_loaded, t_attach, t_attached;
	struct daemon *d = calloc(1, sizeof(*d));
	struct og_bpf_limits lim;
	sigset_t sigs, waitmask;
	size_t reserve = 0;
	struct sigaction sa;
	int c, idle = 0, ret = 1, lost = 0;
	char why[512];

	if (!d)
		fatal("run");
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
			free(d);
			return 0;
		default:
			usage_run();
			free(d);
			return 2;
		}
	}
	if (optind != argc) {
		log_warnx("run: unexpected argument '%s'", argv[optind]);
		usage_run();
		free(d);
		return 2;
	}
	if (geteuid() != 0) {
		log_warnx("run: must be run as root (it loads BPF programs)");
		free(d);
		return 1;
	}
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
	d->st.lock_fd = -1;
	/*
	 * Memory a reload needs stays with the daemon (see prefault_heap()):
	 * blocks below 32 MiB from the heap, and the heap not shrunk by free().
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	/* in a cgroup namespace: the real depth of the cgroup2 mount, before any depth is used */
	if (cgns_resolve(why, sizeof(why)))
		log_warnx("warning: %s", why);	/* a policy whose scopes name a cgroup is refused */
	else if (why[0])
		log_info("%s", why);
	d->pol = load_policy(d);
	if (!d->pol)
		goto out;
	if (state_lock(&d->st, d->pol->pin_dir))
		goto out;
	if (pins_open_old(d->pol->pin_dir, &d->old))
		log_warn("%s: cannot read what earlier daemons pinned", d->pol->pin_dir);
	if (policy_forces(d->pol, OG_AT_ALL)) {
		d->probe = calloc(1, sizeof(*d->probe));
		if (!d->probe)
			fatal("run");
		if (force_probe(d->probe))
			log_warnx("warning: %s", d->probe->reason);
		if (caps_check_force(d->probe, d->pol, NULL)) {
			log_warnx("%s: force rules this kernel cannot honour: refusing to start",
				  d->policy_path);
			goto out;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the poll must see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sink_open(&d->sink, d->pol->log, d->pol->log_file))
		goto out;
	bind_begin(d);
	lim.max_keys = 4096;
	lim.max_ids = 1024;
	{
		struct og_encoding enc;

		if (policy_encode(d->pol, &enc) == 0) {
			if (enc.nkeys * 2 > lim.max_keys)
				lim.max_keys = enc.nkeys * 2;
			if (enc.nids * 2 > lim.max_ids)
				lim.max_ids = enc.nids * 2;
			encoding_free(&enc);
		}
	}
	/* the heap as parsing and encoding the policy left it: about what a reload of it takes */
	reserve = mallinfo2().arena;
	lim.ringbuf_bytes = RINGBUF_BYTES;
	lim.lsm = d->pol->lsm;
	lim.force_create = policy_forces(d->pol, OG_AT_CREATE);
	/* a policy that forces nothing at start cannot gain force rules by a reload */
	lim.skip_force = !d->probe;
	lim.want_cmsg = d->pol->lsm != OG_LSM_OFF && policy_needs_cmsg(d->pol);
	t_load = clock_ns(CLOCK_MONOTONIC);
	if (og_bpf_load(&d->bpf, &lim))
		goto out;
	t_loaded = clock_ns(CLOCK_MONOTONIC);
	if (d->probe && caps_check_force(d->probe, d->pol, &d->bpf)) {
		log_warnx("%s: force rules this kernel cannot honour: refusing to start",
			  d->policy_path);
		goto out;
	}
	if (caps_check(&d->bpf, d->pol, d->policy_path, false))
		goto out;
	if (install(d, d->pol))
		goto out;
	d->rb = ring_buffer__new(og_bpf_events_fd(&d->bpf), handle_event, d, NULL);
	if (!d->rb) {
		log_warn("cannot open the event ring buffer");
		goto out;
	}
	d->rt_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	t_attach = clock_ns(CLOCK_MONOTONIC);
	if (og_bpf_attach(&d->bpf, d->pol->cgroup))
		goto out;
	t_attached = clock_ns(CLOCK_MONOTONIC);
	if (caps_check(&d->bpf, d->pol, d->policy_path, true))
		goto out;
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
	report_gaps(d, d->pol);
	/* make before break: ours are attached and pinned before the old ones go */
	if (pins_save(&d->bpf, d->pol->pin_dir, d->pin_sub, sizeof(d->pin_sub))) {
		size_t n;

		pins_remove_sub(d->pin_sub, &n);
		goto out;
	}
	pins_drop_old(&d->old);
	snprintf(d->st.pin_path, sizeof(d->st.pin_path), "%s/counters", d->pin_sub);
	d->pinned = true;
	snprintf(d->st.integrity, sizeof(d->st.integrity), "ok");
	if (write_state(d))
		goto out;
	bind_thread_start(d);
	/* everything privileged is done: what follows needs no capability */
	/* give back what loading took (vmlinux BTF, verifier logs): the RSS of
	 * bench/README.md P7 */
	malloc_trim(0);
	prefault_heap(reserve);
	if (privs_drop())
		goto out;
	log_info("enforcing %s (%zu rules, mode %s, default %s) on %s with %s%s",
		 d->policy_path, d->pol->nrules, d->pol->mode == OG_MODE_AUDIT ? "audit" : "enforce",
		 action_name(d->pol->default_action), d->pol->cgroup, d->hooks,
		 d->bpf.grp[OG_G_LSM].active ? "" : " (cgroup-only)");
	if (d->bpf.grp[OG_G_CMSG].active)
		log_info("sendmsg control messages are checked (lsm/socket_sendmsg)");
	{
		char st[256];

		snprintf(st, sizeof(st), "enforcing %s (%zu rules, %s)", d->policy_path,
			 d->pol->nrules, d->bpf.grp[OG_G_LSM].active ? "LSM and cgroup hooks" :
							     "cgroup-only");
		notify_ready(st);	/* systemd Type=notify; nothing without NOTIFY_SOCKET */
	}
	log_debug("start: policy and probes %lld ms, load %lld ms, install %lld ms, attach %lld ms, "
		  "pin and state %lld ms", (t_load - t_start) / 1000000,
		  (t_loaded - t_load) / 1000000, (t_attach - t_loaded) / 1000000,
		  (t_attached - t_attach) / 1000000,
		  (clock_ns(CLOCK_MONOTONIC) - t_attached) / 1000000);
	/* the idle generation too holds the policy: a reload writes only what it changes */
	if (og_bpf_mirror(&d->bpf))
		log_warnx("cannot fill the idle generation (a reload will)");

	/*
	 * The signals are blocked but while the loop waits (epoll_pwait): one
	 * that comes while the loop works waits for the next wait, which it
	 * ends at once, and none is lost between the check and the wait.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, &waitmask);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	d->verify_check = clock_ns(CLOCK_MONOTONIC);
	d->bpf.idle_timeout_ms = OG_VERIFY_MS;
	while (!got_quit) {
		int n;

		/* a reload and the integrity check hold the binder thread off meanwhile */
		if (got_hup || clock_ns(CLOCK_MONOTONIC) - d->verify_check >=
		    OG_VERIFY_MS * 1000000LL)
			bind_hold(d);
		if (got_hup) {
			got_hup = 0;
			reload(d);
		}
		if (clock_ns(CLOCK_MONOTONIC) - d->verify_check >= OG_VERIFY_MS * 1000000LL)
			verify(d, true);
		bind_release(d);
		n = og_bpf_events_pwait(&d->bpf, d->rb, &idle, &waitmask);
		if (d->bind_on)
			follow_bindings(d);
		if (!got_hup)	/* a reload first: reading every counter can wait */
			report_losses(d, false);
		sink_flush(&d->sink);
		if (n < 0 && n != -EINTR) {
			log_warnx("event ring buffer: %s", strerror(-n));
			break;
		}
	}
	ret = 0;
out:
	bind_release(d);
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
	if (d->pinned && !lost && unloading(d))
		log_info("stopped by optguard unload, which now removes what is pinned under %s",
			 d->pin_sub);
	else if (d->pinned && !lost)
		log_info("stopped: the policy stays enforced (pinned under %s); 'optguard unload' "
			 "removes it", d->pin_sub);
	else if (d->pinned)
		log_warnx("stopped: the policy is NOT enforced any more: %s (someone removed or "
			  "detached what was pinned under %s); run optguard again", why, d->pin_sub);
	state_release(&d->st);
	bind_end(d);
	for (c = 0; c < OG_NGENS; c++)
		names_free(d->names[c], d->nnames[c]);
	policy_free(d->pol);
	free(d->probe);
	free(d->seen);
	free(d);
	return ret;
}
