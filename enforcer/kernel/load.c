// SPDX-License-Identifier: GPL-2.0-only
/*
 * Open and load the BPF programs (loader.h): which groups of programs
 * (progs.h) the policy and the kernel allow, and the fallback through
 * og_load_combos[] when the kernel refuses some.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpflog.h"
#include "loader.h"
#include "log.h"
#include "pidns.h"
#include "minbtf.h"
#include "optguard.skel.h"

static const char *debug_vlog;

static int map_resize(struct bpf_map *m, size_t n)
{
	return bpf_map__set_max_entries(m, n ? n : 1);
}

/* Every program of the object has its row, in the section the row says. */
static int table_check(struct optguard_bpf *skel)
{
	struct bpf_program *p;
	size_t i, n = 0;

	bpf_object__for_each_program(p, skel->obj)
		n++;
	for (i = 0; i < og_nprogs; i++) {
		p = og_prog(skel, i);
		if (strcmp(bpf_program__section_name(p), og_progs[i].section)) {
			log_warnx("bpf: %s is in section %s, its row in og_progs[] says %s",
				  bpf_program__name(p), bpf_program__section_name(p),
				  og_progs[i].section);
			return -EINVAL;
		}
	}
	if (n != og_nprogs) {
		log_warnx("bpf: the object has %zu programs, og_progs[] %zu rows", n, og_nprogs);
		return -EINVAL;
	}
	return 0;
}

/* One load of the programs of @groups, relocated against @btf_path (NULL: the kernel's BTF). */
static int load_btf(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int groups,
		    const char *btf_path, struct optguard_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	bool lsm = groups & OG_GBIT(OG_G_LSM);
	struct optguard_bpf *skel;
	size_t i;
	int ret;

	skel = optguard_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	ret = table_check(skel);
	if (ret) {
		optguard_bpf__destroy(skel);
		return ret;
	}
	skel->rodata->has_retval = caps_has(&b->caps, OG_CAP_SET_RETVAL);
	skel->rodata->has_task_helpers = caps_has(&b->caps, OG_CAP_TASK_HELPERS);
	skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	skel->rodata->wake_bytes = lim->ringbuf_bytes / 4;
	skel->rodata->probe_tgid = getpid();
	self_pidns(&skel->rodata->probe_ns_dev, &skel->rodata->probe_ns_ino);
	skel->rodata->has_task_pt_regs = lsm && caps_has(&b->caps, OG_CAP_TASK_PT_REGS);
	/* without it, cgroup/sock_create writes SO_MARK and SO_PRIORITY at create itself */
	skel->rodata->post_create_loaded = !!(groups & OG_GBIT(OG_G_CREATE));
	for (i = 0; i < og_nprogs; i++)
		bpf_program__set_autoload(og_prog(skel, i), !!(groups & OG_GBIT(og_progs[i].group)));
	if (lsm && getenv("OPTGUARD_DEBUG")) {
		static char vlog[1 << 22];

		bpf_program__set_log_buf(og_prog(skel, OG_P_LSM), vlog, sizeof(vlog));
		bpf_program__set_log_level(og_prog(skel, OG_P_LSM), 1);
		debug_vlog = vlog;
	}
	if ((ret = map_resize(skel->maps.og_rules, b->key_cap)) ||
	    (ret = map_resize(skel->maps.og_force, b->key_cap)) ||
	    (ret = map_resize(skel->maps.og_counters, b->id_cap)) ||
	    (ret = map_resize(skel->maps.og_rate, b->id_cap)) ||
	    (ret = bpf_map__set_max_entries(skel->maps.og_events, lim->ringbuf_bytes)) ||
	    (ret = optguard_bpf__load(skel))) {
		optguard_bpf__destroy(skel);
		return ret;
	}
	*out = skel;
	return 0;
}

/* The build's minimal BTF first where no program of @groups needs the kernel's (minbtf.c). */
static int load_one(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int groups,
		    struct optguard_bpf **out)
{
	bool kernel_btf = false;
	char path[64];
	int fd, ret, g;

	for (g = 0; g < OG_NGROUPS; g++)
		if ((groups & OG_GBIT(g)) && og_groups[g].kernel_btf)
			kernel_btf = true;
	if (!kernel_btf && (fd = min_btf_open(path, sizeof(path))) >= 0) {
		ret = load_btf(b, lim, groups, path, out);
		close(fd);
		if (!ret)
			return 0;
		log_debug("bpf: load with the build's minimal BTF: %s; again with the kernel's",
			  strerror(-ret));
	}
	return load_btf(b, lim, groups, NULL, out);
}

/*
 * One attempt at @combo, with the extras (progs.h) it takes in that are
 * wanted; if the kernel refuses the load with them but not without, their
 * reasons say so and later attempts leave them out.
 */
static int attempt(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int combo,
		   struct optguard_bpf **out)
{
	unsigned int extras = 0;
	char what[256];
	int ret, g;

	for (g = 0; g < OG_NGROUPS; g++)
		if (og_groups[g].extra && !(og_groups[g].deps & ~combo) && !b->grp[g].reason[0])
			extras |= OG_GBIT(g);
	ret = load_one(b, lim, combo | extras, out);
	if (!ret || !extras)
		return ret;
	og_progs_what(extras, what, sizeof(what));
	log_debug("bpf: load with %s: %s; again without", what, strerror(-ret));
	ret = load_one(b, lim, combo, out);
	if (!ret)
		for (g = 0; g < OG_NGROUPS; g++)
			if (extras & OG_GBIT(g))
				snprintf(b->grp[g].reason, sizeof(b->grp[g].reason),
					 "the kernel refused %s", what);
	return ret;
}

/*
 * Does the policy want group @g, and can this kernel have it?  If not, its
 * reason says why: the policy's, a group it needs, or a capability missing
 * (probed only as far as needed: some probes cost a start's time).
 */
static bool wanted(struct og_bpf *b, const struct og_bpf_limits *lim, int g)
{
	struct og_group_state *st = &b->grp[g];
	enum og_cap c;
	int d;

	switch (g) {
	case OG_G_LSM:
		if (lim->lsm == OG_LSM_OFF)
			snprintf(st->reason, sizeof(st->reason), "lsm = off in the policy");
		break;
	case OG_G_CMSG:
		if (!lim->want_cmsg)
			snprintf(st->reason, sizeof(st->reason),
				 "not loaded: the policy at start constrained no option a control "
				 "message sets (restart optguard to check them)");
		break;
	case OG_G_FORCE:
		if (lim->skip_force)
			snprintf(st->reason, sizeof(st->reason),
				 "not loaded: the policy at start forced nothing (restart optguard "
				 "to add force rules)");
		break;
	case OG_G_SEND:
		if (!lim->force_send)
			snprintf(st->reason, sizeof(st->reason),
				 "not loaded: the policy at start forced nothing at send (restart "
				 "optguard to force at send)");
		break;
	case OG_G_CREATE:
		if (!lim->force_create)
			snprintf(st->reason, sizeof(st->reason),
				 "not loaded: the policy at start forced nothing at create (restart "
				 "optguard to force at create)");
		break;
	}
	if (st->reason[0])
		return false;
	for (d = 0; d < OG_NGROUPS; d++)
		if ((og_groups[g].deps & OG_GBIT(d)) && b->grp[d].reason[0]) {
			snprintf(st->reason, sizeof(st->reason), "%s", b->grp[d].reason);
			return false;
		}
	for (c = 0; c < OG_NCAPS; c++) {
		if (!(og_groups[g].caps & OG_CBIT(c)))
			continue;
		caps_probe(&b->caps, OG_CBIT(c));
		if (!caps_has(&b->caps, c)) {
			caps_why_not(&b->caps, c, st->reason, sizeof(st->reason));
			return false;
		}
	}
	return true;
}

int og_bpf_load(struct og_bpf *b, const struct og_bpf_limits *lim)
{
	struct optguard_bpf *skel = NULL;
	int errs[OG_NGROUPS] = { 0 };	/* the last failed attempt with each group */
	unsigned int want = 0;
	char what[256];
	size_t i, k;
	int ret = -EINVAL, g;

	memset(b, 0, sizeof(*b));
	caps_probe(&b->caps, OG_CBIT(OG_CAP_SET_RETVAL) | OG_CBIT(OG_CAP_TASK_HELPERS));
	/* two generations of keys, so a reload never edits the live one */
	b->key_cap = 2 * (lim->max_keys ? lim->max_keys : 1);
	b->id_cap = lim->max_ids ? lim->max_ids : 1;

	for (g = 0; g < OG_NGROUPS; g++)
		if (wanted(b, lim, g))
			want |= OG_GBIT(g);
	if (want & OG_GBIT(OG_G_LSM))
		caps_probe(&b->caps, OG_CBIT(OG_CAP_TASK_PT_REGS));
	for (i = 0; i < og_load_ncombos && !skel; i++) {
		unsigned int combo = og_load_combos[i];
		/* the last resort prints libbpf's messages; the others keep them for -v */
		bool last = i + 1 == og_load_ncombos;
		libbpf_print_fn_t old = NULL;

		if (combo & ~want)
			continue;
		if (!last)
			old = bpflog_quiet();
		ret = attempt(b, lim, combo, &skel);
		if (!last)
			bpflog_restore(old);
		if (!ret)
			break;
		skel = NULL;
		for (g = 0; g < OG_NGROUPS; g++)
			if ((combo & OG_GBIT(g)) && !og_groups[g].extra)
				errs[g] = ret;
		og_progs_what(combo, what, sizeof(what));
		if (!last)
			log_debug("bpf: load of %s: %s: %s", what, strerror(-ret), bpflog_text());
	}
	if (!skel) {
		log_warnx("bpf: cannot load the cgroup/setsockopt program: %s", strerror(-ret));
		return ret;
	}
	b->skel = skel;
	for (g = 0; g < OG_NGROUPS; g++) {
		b->grp[g].loaded = true;
		for (k = 0; k < og_nprogs; k++)
			if ((int)og_progs[k].group == g && bpf_program__fd(og_prog(skel, k)) < 0)
				b->grp[g].loaded = false;
	}
	/* why not, where not said yet: refused by the kernel, or a group it needs was */
	for (g = 0; g < OG_NGROUPS; g++) {
		struct og_group_state *st = &b->grp[g];
		int d;

		if (st->loaded || st->reason[0])
			continue;
		if (errs[g]) {
			og_progs_what(OG_GBIT(g), what, sizeof(what));
			snprintf(st->reason, sizeof(st->reason), "the kernel refused %s: %s", what,
				 strerror(-errs[g]));
			continue;
		}
		for (d = 0; d < OG_NGROUPS && !st->reason[0]; d++)
			if ((og_groups[g].deps & OG_GBIT(d)) && !b->grp[d].loaded)
				snprintf(st->reason, sizeof(st->reason), "%s", b->grp[d].reason);
	}
	if (errs[OG_G_LSM] && !b->grp[OG_G_LSM].loaded && debug_vlog) {
		size_t vl = strlen(debug_vlog);

		fputs(debug_vlog + (vl > 3000 ? vl - 3000 : 0), stderr);
	}
	return 0;
}
