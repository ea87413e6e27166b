// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's policy: read (and checked for who may write it), given rule
 * ids and names, put in force in one step at start and on every reload
 * (daemon_int.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon_int.h"
#include "encode.h"
#include "events.h"
#include "log.h"
#include "notify.h"
#include "policy.h"
#include "sha256.h"

void d_names_free(char **names, size_t n)
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
			d_names_free(names, nids);
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
 * A policy file root does not own, or others may write, is refused (SPEC.md,
 * Privilege).  Checked on the open descriptor the policy is then read from:
 * a path checked and then opened again could be swapped in between (a
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

struct og_policy *d_load_policy(struct daemon *d)
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

/* Put @p in force in one step; the names of its rules follow its generation. */
int d_install(struct daemon *d, const struct og_policy *p)
{
	struct og_encoding enc;
	char **names;
	size_t nnames;
	int gen, ret;

	ret = d_encode_bound(d, p, &enc);
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
		d_names_free(names, nnames);
		return gen;
	}
	/* events of the old generation may still be queued: keep its names until next time */
	d_names_free(d->names[gen], d->nnames[gen]);
	d->names[gen] = names;
	d->nnames[gen] = nnames;
	d->cur_gen = gen;
	return 0;
}

/* SIGHUP: a new policy replaces the old in one step (0), or the old stays (-1). */
static int reload_policy(struct daemon *d)
{
	long long t0 = d_clock_ns(CLOCK_MONOTONIC), t1, t_live, t2;
	struct og_policy *p;

	sink_reopen(&d->sink);
	p = d_load_policy(d);
	t1 = d_clock_ns(CLOCK_MONOTONIC);
	if (!p) {
		log_warnx("reload: %s is not valid: the policy in force stays", d->policy_path);
		return -1;
	}
	if (strcmp(p->cgroup, d->pol->cgroup) || p->lsm != d->pol->lsm ||
	    p->log != d->pol->log || strcmp(p->log_file, d->pol->log_file) ||
	    strcmp(p->pin_dir, d->pol->pin_dir) || p->guard_off != d->pol->guard_off ||
	    p->watch != d->pol->watch ||
	    strcmp(p->metrics ? p->metrics : "", d->pol->metrics ? d->pol->metrics : "")) {
		log_warnx("reload: %s changes cgroup, lsm, log, log_file, guard, pin_dir, watch or "
			  "metrics, which need a restart: the policy in force stays", d->policy_path);
		policy_free(p);
		return -1;
	}
	/* what the maps hold is checked first: a reload must restore deleted keys */
	d_verify(d, false);
	if (d->bind_on)
		binder_set_policy(&d->bind, p);	/* its selectors, bound now (d_bind_hold()) */
	if (caps_check_force(d->probe, p, &d->bpf) || assign_ids(d, p) || d_install(d, p)) {
		log_warnx("reload: the policy in force stays");
		if (d->bind_on)
			binder_set_policy(&d->bind, d->pol);
		policy_free(p);
		return -1;
	}
	if (d->bind_on)
		d_bind_report(d);
	t_live = d_clock_ns(CLOCK_MONOTONIC);
	policy_free(d->pol);
	d->pol = p;
	d_verify(d, true);
	d_report_gaps(d, p);
	d_write_state(d);
	log_info("reloaded %s (%zu rules, mode %s)", d->policy_path, p->nrules,
		 p->mode == OG_MODE_AUDIT ? "audit" : "enforce");
	t2 = d_clock_ns(CLOCK_MONOTONIC);
	/* in force: the generation it replaced follows, so that the next reload writes less */
	if (og_bpf_mirror(&d->bpf))
		log_warnx("reload: cannot update the previous generation (the next reload will)");
	log_debug("reload: parse %lld ms, encode and install %lld ms: in force; then state %lld ms, "
		  "previous generation brought up to date %lld ms", (t1 - t0) / 1000000,
		  (t_live - t1) / 1000000, (t2 - t_live) / 1000000,
		  (d_clock_ns(CLOCK_MONOTONIC) - t2) / 1000000);
	return 0;
}

/* The sha256 of the file at @path now ("" when it cannot be read) */
void d_file_sha256(const char *path, char out[65])
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	out[0] = '\0';
	if (!f)
		return;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb)
				goto out;
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (!ferror(f))
		sha256_hex(buf, n, out);
out:
	free(buf);
	fclose(f);
}

int d_reload(struct daemon *d, const char *trigger, const char **status, char **answer)
{
	char *why, sha[65];
	int ret;

	notify_reloading();
	log_capture_begin();
	ret = reload_policy(d);
	why = log_capture_end();
	if (ret) {
		/* a refused reload is an event too: who watches the events sees it */
		d_file_sha256(d->policy_path, sha);
		reload_format(d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT, false, trigger,
			      d->policy_path, sha, why ? why : "", d_clock_ns(CLOCK_REALTIME),
			      d->line, sizeof(d->line));
		sink_write(&d->sink, d->line);
		sink_flush(&d->sink);
	}
	d_notify_ready(d);
	if (answer) {
		char *a = NULL;

		if (ret == 0 && asprintf(&a, "%s sha256 %s in force (%zu rules, mode %s)\n",
					 d->policy_path, d->pol->sha256, d->pol->nrules,
					 d->pol->mode == OG_MODE_AUDIT ? "audit" : "enforce") < 0)
			a = NULL;
		*answer = ret == 0 ? a : why;
		if (ret)
			why = NULL;
		*status = ret == 0 ? "ok" : "refused";
	}
	free(why);
	return ret;
}
