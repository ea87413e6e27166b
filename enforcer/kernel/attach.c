// SPDX-License-Identifier: GPL-2.0-only
/* Attach, list and detach the programs of og_progs[] (loader.h, progs.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gens.h"
#include "loader.h"
#include "log.h"
#include "optguard.skel.h"

size_t og_bpf_links(const struct og_bpf *b, struct og_link_ref *out, size_t n)
{
	static const char *const guard_pin[2] = { "guard-bpf", "guard-map" };
	static const char *const guard_hook[2] = { "lsm/bpf (guard)", "lsm/bpf_map (guard)" };
	size_t i, k = 0;

	for (i = 0; i < og_nprogs && k < n; i++)
		if (b->links[i])
			out[k++] = (struct og_link_ref){ b->links[i], og_progs[i].pin,
							 og_progs[i].section,
							 og_progs[i].attach == OG_ATTACH_CGROUP };
	/* the guard of optguard's own objects (guard.c) */
	for (i = 0; i < 2 && k < n; i++)
		if (b->guard_links[i])
			out[k++] = (struct og_link_ref){ b->guard_links[i], guard_pin[i],
							 guard_hook[i], false };
	return k;
}

int og_bpf_hooks(const struct og_bpf *b, char *buf, size_t len)
{
	struct og_link_ref l[OG_MAX_LINKS];
	size_t i, n = og_bpf_links(b, l, OG_MAX_LINKS), o = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		struct bpf_link_info info = {};
		__u32 ilen = sizeof(info);

		/* the kernel's word that the link is there and holds a program */
		if (bpf_obj_get_info_by_fd(bpf_link__fd(l[i].link), &info, &ilen) || !info.prog_id)
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? ", " : "", l[i].hook);
	}
	return o < len ? 0 : -ENAMETOOLONG;
}

/* Every program of group @g has its link. */
static bool group_attached(const struct og_bpf *b, int g)
{
	size_t i;

	for (i = 0; i < og_nprogs; i++)
		if ((int)og_progs[i].group == g && !b->links[i])
			return false;
	return b->grp[g].loaded;
}

/*
 * Row @i, loaded: 0, or -errno when a cgroup program does not attach (the
 * policy would not be enforced).  An LSM program that does not attach, or
 * does not run, leaves its reason in its group's state.
 */
static int attach_one(struct og_bpf *b, size_t i, int cg_fd, const char *path)
{
	const struct og_prog_def *d = &og_progs[i];
	struct og_group_state *st = &b->grp[d->group];
	struct bpf_program *p = og_prog(b->skel, i);
	int g, ret;

	if (og_groups[d->group].extra)
		/* it rides with its deps: nothing to do where they do not run */
		for (g = 0; g < OG_NGROUPS; g++)
			if ((og_groups[d->group].deps & OG_GBIT(g)) && !group_attached(b, g)) {
				if (b->grp[g].loaded)	/* same size, another group's */
					memcpy(st->reason, b->grp[g].reason, sizeof(st->reason));
				return 0;
			}
	if (d->attach == OG_ATTACH_LSM)
		b->links[i] = bpf_program__attach_lsm(p);
	else
		b->links[i] = bpf_program__attach_cgroup(p, cg_fd);
	if (!b->links[i]) {
		ret = -errno;
		if (d->attach == OG_ATTACH_CGROUP) {
			log_warnx("bpf: cannot attach %s to %s: %s", d->section, path,
				  strerror(-ret));
			return ret;
		}
		snprintf(st->reason, sizeof(st->reason), "cannot attach the %s program: %s",
			 d->section, strerror(-ret));
		return 0;
	}
	if (i == OG_P_LSM && !caps_lsm_runs(&b->skel->bss->og_lsm_probe_hits)) {
		snprintf(st->reason, sizeof(st->reason),
			 "the %s program attached but does not run ('bpf' missing from the "
			 "kernel's active LSMs?)", d->section);
		bpf_link__destroy(b->links[i]);
		b->links[i] = NULL;
	}
	return 0;
}

int og_bpf_attach(struct og_bpf *b, const char *path)
{
	/* the global LSM programs first, then the cgroup ones */
	static const enum og_attach_kind order[] = { OG_ATTACH_LSM, OG_ATTACH_CGROUP };
	__u32 zero = 0;
	int fd, ret = 0, g;
	size_t k, i;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_warn("bpf: cannot open cgroup %s", path);
		return ret;
	}
	/* where the global LSM programs act: below this cgroup */
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.og_root_cgroup), &zero, &fd, BPF_ANY)) {
		ret = -errno;
		log_warn("bpf: cannot set the policy's cgroup");
		close(fd);
		return ret;
	}
	for (k = 0; k < sizeof(order) / sizeof(order[0]) && !ret; k++)
		for (i = 0; i < og_nprogs && !ret; i++)
			if (og_progs[i].attach == order[k] && b->grp[og_progs[i].group].loaded)
				ret = attach_one(b, i, fd, path);
	close(fd);
	for (g = 0; g < OG_NGROUPS; g++)
		b->grp[g].active = group_attached(b, g);
	if (ret)
		return ret;
	/* only now may the cgroup program leave value-blind denies to the LSM hook */
	for (g = 0; g < OG_NGENS; g++)
		__atomic_store_n(&b->skel->bss->og_cfg[g].lsm, b->grp[OG_G_LSM].active,
				 __ATOMIC_RELEASE);
	return 0;
}

int og_bpf_reattach(struct og_bpf *b, const char *path)
{
	struct bpf_link *nl[OG_MAX_PROGS] = { NULL };
	__u32 zero = 0;
	size_t i;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the LSM programs act below the new cgroup from here on */
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.og_root_cgroup), &zero, &fd, BPF_ANY)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* the cgroup rows attached to the old cgroup, setsockopt first (the table's order) */
	for (i = 0; i < og_nprogs && !ret; i++) {
		if (og_progs[i].attach != OG_ATTACH_CGROUP || !b->links[i])
			continue;
		nl[i] = bpf_program__attach_cgroup(og_prog(b->skel, i), fd);
		if (!nl[i]) {
			ret = -errno;
			log_warnx("bpf: cannot attach %s to %s: %s", og_progs[i].section, path,
				  strerror(-ret));
		}
	}
	close(fd);
	if (ret) {
		for (i = 0; i < og_nprogs; i++)
			if (nl[i])
				bpf_link__destroy(nl[i]);
		return ret;
	}
	/* the old links went with the old cgroup: their fds only are left */
	for (i = 0; i < og_nprogs; i++)
		if (nl[i]) {
			bpf_link__destroy(b->links[i]);
			b->links[i] = nl[i];
		}
	b->reattached++;
	return 0;
}

void og_bpf_close(struct og_bpf *b)
{
	size_t i;

	gens_release(b);
	og_guard_close(b);
	/* cgroup/setsockopt last */
	for (i = 0; i < og_nprogs; i++)
		if (i != OG_P_SETSOCKOPT && b->links[i])
			bpf_link__destroy(b->links[i]);
	if (b->links[OG_P_SETSOCKOPT])
		bpf_link__destroy(b->links[OG_P_SETSOCKOPT]);
	if (b->skel)
		optguard_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}
