// SPDX-License-Identifier: GPL-2.0-only
/*
 * `optguard status`: what the running daemon enforces, from another shell.
 * Asks the daemon on its control socket (control.h), or, when none
 * answers, reads the state file it left (saying so); the per-rule counters
 * from the pinned map (state.h).  Root only, since the counters are a BPF map.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmds.h"
#include "control.h"
#include "counters.h"
#include "log.h"
#include "prometheus.h"
#include "pins.h"
#include "state.h"
#include "bpf/optguard.h"

struct kv_list {
	char **rules;
	size_t nrules;
	char **binds;		/* "bound ..." and "waiting ..." lines, in order */
	size_t nbinds;
	char *kv[16][2];
	size_t nkv;
};

static const char *get(const struct kv_list *l, const char *k)
{
	size_t i;

	for (i = 0; i < l->nkv; i++)
		if (!strcmp(l->kv[i][0], k))
			return l->kv[i][1];
	return "?";
}

/* The key=value lines of @f into @l, then @f closed: 0, or -errno when @f is NULL */
static int read_state(FILE *f, struct kv_list *l)
{
	char line[4096];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(line, "rule")) {
			char **r = realloc(l->rules, (l->nrules + 1) * sizeof(*r));

			if (!r)
				break;
			l->rules = r;
			l->rules[l->nrules++] = strdup(eq + 1);
		} else if (!strcmp(line, "bound") || !strcmp(line, "waiting")) {
			char **r = realloc(l->binds, (l->nbinds + 1) * sizeof(*r));

			if (!r)
				break;
			l->binds = r;
			*eq = ' ';
			l->binds[l->nbinds++] = strdup(line);
		} else if (l->nkv < 16) {
			l->kv[l->nkv][0] = strdup(line);
			l->kv[l->nkv][1] = strdup(eq + 1);
			l->nkv++;
		}
	}
	fclose(f);
	return 0;
}

static void free_state(struct kv_list *l)
{
	size_t i;

	for (i = 0; i < l->nrules; i++)
		free(l->rules[i]);
	free(l->rules);
	for (i = 0; i < l->nbinds; i++)
		free(l->binds[i]);
	free(l->binds);
	for (i = 0; i < l->nkv; i++) {
		free(l->kv[i][0]);
		free(l->kv[i][1]);
	}
}

/* Read-only: where the guard runs, a writable fd of optguard's map is the daemon's alone */
static int counters_open(const char *path)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);

	return bpf_obj_get_opts(path, &o);
}

/*
 * The daemon's own answer on its control socket (control.h): 0 and @l, or
 * -errno (no daemon answers) with why into @why.
 */
static int ask_daemon(const char *pin_dir, struct kv_list *l, char *why, size_t len)
{
	char sock[600], *answer = NULL;
	FILE *f;
	int r;

	state_sock_path(pin_dir, sock, sizeof(sock));
	r = control_call(sock, "status", 5000, &answer);
	if (r) {
		snprintf(why, len, "%.400s: %s", sock, strerror(-r));
		return r;
	}
	if (strncmp(answer, "ok\n", 3)) {
		snprintf(why, len, "%.400s: %.200s", sock, answer);
		free(answer);
		return -EPROTO;
	}
	f = fmemopen(answer + 3, strlen(answer + 3), "r");
	r = read_state(f, l);	/* closes f */
	free(answer);
	return r;
}

/*
 * The counters of every rule, summed over the CPUs, into @r in id order; ids
 * no rule has (a rule a reload removed: state.c writes an empty name) are
 * left out.  The number of rules, or -errno.
 */
static int sum_counters(int fd, const struct kv_list *l, struct og_prom_rule *r)
{
	struct og_counters *c = calloc(l->nrules ? l->nrules : 1, sizeof(*c));
	size_t id;
	int ret, n = 0;

	if (!c)
		return -ENOMEM;
	ret = counters_read(fd, c, l->nrules);
	for (id = 0; id < l->nrules && !ret; id++) {
		if (!l->rules[id][0])
			continue;
		r[n].name = l->rules[id];
		r[n].c = c[id];
		n++;
	}
	free(c);
	return ret ? ret : n;
}

/* `status --prometheus FILE`: the counters for node_exporter's textfile collector */
static int status_prometheus(const char *path, const struct kv_list *l, int alive)
{
	struct og_prom_info info = {
		.mode = get(l, "mode"),
		.default_action = get(l, "default"),
		.hooks = get(l, "hooks"),
		.policy = get(l, "policy"),
		.sha256 = get(l, "sha256"),
		.daemon = alive,
		.lsm = !strcmp(get(l, "lsm"), "active"),
	};
	struct og_prom_rule *r;
	int fd, ret, n;

	fd = counters_open(get(l, "counters"));
	if (fd < 0) {
		log_warn("status: cannot open the pinned counters %s", get(l, "counters"));
		return 1;
	}
	r = calloc(l->nrules ? l->nrules : 1, sizeof(*r));
	n = r ? sum_counters(fd, l, r) : -ENOMEM;
	if (n < 0)
		log_warnx("status: cannot read the counters: %s", strerror(-(ret = n)));
	else
		ret = prom_write(path, &info, r, n);
	free(r);
	close(fd);
	return ret ? 1 : 0;
}

static void usage_status(void)
{
	fprintf(stderr, "usage: optguard status [--pin-dir DIR] [--prometheus FILE]\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pin_dir = OG_DEFAULT_PIN_DIR, *prom = NULL;
	char state[600], pin[600];
	struct kv_list l = {};
	struct og_counters t = {};
	struct og_prom_rule *rules;
	int c, fd, alive, answered, nrules, r, ret = 1, broken = 0, enf_gone = 0;
	char why[700] = "";
	__u32 id;

	while ((c = getopt_long(argc, argv, "d:p:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			pin_dir = optarg;
			break;
		case 'p':
			prom = optarg;
			break;
		case 'h':
			usage_status();
			return 0;
		default:
			usage_status();
			return 2;
		}
	}
	if (optind != argc) {
		usage_status();
		return 2;
	}
	if (geteuid() != 0) {
		log_warnx("status: needs root (it reads the daemon's pinned BPF maps)");
		return 1;
	}
	state_paths(pin_dir, state, sizeof(state));
	alive = state_lock_held(pin_dir);
	answered = alive && ask_daemon(pin_dir, &l, why, sizeof(why)) == 0;
	if (!answered) {
		FILE *f = fopen(state, "re");

		free_state(&l);
		memset(&l, 0, sizeof(l));
		r = read_state(f, &l);	/* closes f */
		if (r) {
			log_warnx("status: no optguard daemon runs with pin_dir %s (nothing loaded)",
				  pin_dir);
			free_state(&l);
			return 1;
		}
	}
	snprintf(pin, sizeof(pin), "%s", get(&l, "counters"));
	if (!alive && access(pin, F_OK)) {
		log_warnx("status: no optguard daemon runs with pin_dir %s (stale state file)",
			  pin_dir);
		free_state(&l);
		return 1;
	}
	if (prom) {
		ret = status_prometheus(prom, &l, alive);
		free_state(&l);
		return ret;
	}
	if (answered)
		printf("daemon:   instance %s, answering on its control socket; policy loaded %s\n",
		       get(&l, "instance"), get(&l, "loaded"));
	else if (alive)
		printf("daemon:   instance %s runs but does not answer on its control socket (%s): "
		       "from its state file; policy loaded %s\n", get(&l, "instance"), why,
		       get(&l, "loaded"));
	else
		printf("daemon:   not running: what instance %s pinned stays in force ('optguard "
		       "unload' removes it); no events are read\n", get(&l, "instance"));
	printf("policy:   %s\n", get(&l, "policy"));
	printf("sha256:   %s\n", get(&l, "sha256"));
	printf("mode:     %s, default %s\n", get(&l, "mode"), get(&l, "default"));
	/* the enforcer's cgroup as the daemon follows it (bindings.c): "present|gone ID TIME" */
	{
		char est[16] = "", since[64] = "";
		unsigned long long cid = 0;
		const char *ec = get(&l, "enforcer_cgroup");

		if (sscanf(ec, "%15s %llu %63s", est, &cid, since) == 3 &&
		    !strcmp(est, "gone")) {
			printf("cgroup:   %s: GONE (removed %s): nothing is attached, nothing is "
			       "enforced until a cgroup is made there again\n", get(&l, "cgroup"),
			       since);
			enf_gone = 1;
		} else if (cid && strcmp(since, "start")) {
			printf("cgroup:   %s (made again %s, id %llu: the programs are attached to "
			       "it)\n", get(&l, "cgroup"), since, cid);
		} else {
			printf("cgroup:   %s\n", get(&l, "cgroup"));
		}
	}
	/* per scope: the cgroups bound now, and the selectors that wait for one */
	for (size_t b = 0; b < l.nbinds; b++) {
		char what[16], scope[256], a[64], since[64];
		const char *rest;
		int off = 0, off2 = 0;

		if (sscanf(l.binds[b], "%15s %255s %63s %n", what, scope, a, &off) < 3 || !off)
			continue;
		rest = l.binds[b] + off;
		if (!b)
			printf("scopes:\n");
		if (!strcmp(what, "bound") && sscanf(rest, "%63s %n", since, &off2) == 1 && off2)
			printf("  %-16s bound    %s (id %s, since %s)\n", scope, rest + off2, a,
			       since);
		else if (!strcmp(what, "waiting"))
			printf("  %-16s waiting  %s %s: no cgroup matches yet\n", scope, a, rest);
	}
	printf("hooks:    %s\n", get(&l, "hooks"));
	if (strcmp(get(&l, "lsm"), "active"))
		printf("          cgroup-only: %s; 32-bit (compat) callers and sockets created "
		       "outside the cgroup are not checked\n", get(&l, "lsm"));
	if (get(&l, "bypass")[0] && strcmp(get(&l, "bypass"), "?"))
		printf("bypass:   %s\n", get(&l, "bypass"));
	printf("errno:    %s\n", get(&l, "errno"));
	/* what the kernel holds, checked here and by the daemon: never what we assume */
	{
		char dir[600], links[1024], *slash;
		const char *daemon_says = get(&l, "integrity");

		snprintf(dir, sizeof(dir), "%s", pin);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (enf_gone) {
			printf("integrity: NOT ENFORCING: %s\n", daemon_says);
			broken = 1;
		} else if (pins_check_dir(dir, links, sizeof(links))) {
			printf("integrity: BROKEN: %s: the policy is not (fully) enforced\n", links);
			broken = 1;
		} else if (strcmp(daemon_says, "?") && strncmp(daemon_says, "ok", 2)) {
			printf("integrity: BROKEN: %s\n", daemon_says);
			broken = 1;
		} else {
			printf("integrity: %s (links attached%s)\n",
			       strcmp(daemon_says, "?") ? daemon_says : "ok",
			       alive ? "; maps checked by the daemon every 10 s and at reload" : "");
		}
	}

	fd = counters_open(pin);
	if (fd < 0) {
		log_warn("status: cannot open the pinned counters %s", pin);
		goto out;
	}
	rules = calloc(l.nrules ? l.nrules : 1, sizeof(*rules));
	if (!rules || (nrules = sum_counters(fd, &l, rules)) < 0) {
		log_warnx("status: cannot read the pinned counters %s", pin);
		free(rules);
		goto out_fd;
	}
	/* for every rule: DECISIONS = EVENTS + SUPPRESSED + DROPPED + UNLOGGED */
	printf("\n%-32s %12s %12s %12s %12s %12s\n", "RULE", "DECISIONS", "EVENTS", "SUPPRESSED",
	       "DROPPED", "UNLOGGED");
	for (id = 0; id < (__u32)nrules; id++) {
		const struct og_counters *s = &rules[id].c;

		t.decisions += s->decisions;
		t.events += s->events;
		t.suppressed += s->suppressed;
		t.dropped += s->dropped;
		t.unlogged += s->unlogged;
		printf("%-32s %12llu %12llu %12llu %12llu %12llu\n", rules[id].name,
		       (unsigned long long)s->decisions, (unsigned long long)s->events,
		       (unsigned long long)s->suppressed, (unsigned long long)s->dropped,
		       (unsigned long long)s->unlogged);
	}
	printf("%-32s %12llu %12llu %12llu %12llu %12llu\n", "total",
	       (unsigned long long)t.decisions, (unsigned long long)t.events,
	       (unsigned long long)t.suppressed, (unsigned long long)t.dropped,
	       (unsigned long long)t.unlogged);
	free(rules);
	ret = broken;
out_fd:
	if (fd >= 0)
		close(fd);
out:
	free_state(&l);
	return ret;
}
