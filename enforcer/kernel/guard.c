// SPDX-License-Identifier: GPL-2.0-only
/* The guard of optguard's own BPF objects (loader.h, bpf/guard/guard.bpf.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "pidns.h"
#include "guard.skel.h"
#include "optguard.skel.h"

/* How many arguments security_bpf() has here: 4 from Linux 6.14 (bool kernel), else 3. */
static int bpf_hook_args(void)
{
	struct btf *vm = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, n = -1;

	if (!vm)
		return -1;
	id = btf__find_by_name_kind(vm, "bpf_lsm_bpf", BTF_KIND_FUNC);
	if (id > 0 && (t = btf__type_by_id(vm, id)) && (t = btf__type_by_id(vm, t->type)))
		n = btf_vlen(t);
	btf__free(vm);
	return n;
}

static __u32 obj_id(int fd)
{
	struct bpf_link_info info = {};	/* the id comes first in map and link info alike */
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

static void add_id(struct guard_bpf *g, __u32 id)
{
	if (id && g->bss->og_guard_nids < sizeof(g->bss->og_guard_ids) / sizeof(__u32))
		g->bss->og_guard_ids[g->bss->og_guard_nids++] = id;
}

int og_guard_start(struct og_bpf *b)
{
	struct og_link_ref links[OG_MAX_LINKS];
	struct guard_bpf *g;
	struct bpf_map *m;
	size_t k, n;
	int nargs, ret;

	if (!b->grp[OG_G_LSM].active) {
		snprintf(b->guard_reason, sizeof(b->guard_reason), "no BPF LSM: %.280s",
			 b->grp[OG_G_LSM].reason);
		return -EOPNOTSUPP;
	}
	nargs = bpf_hook_args();
	if (nargs != 3 && nargs != 4) {
		snprintf(b->guard_reason, sizeof(b->guard_reason),
			 "the kernel's BTF has no bpf_lsm_bpf with 3 or 4 arguments");
		return -EOPNOTSUPP;
	}
	g = guard_bpf__open();
	if (!g) {
		ret = -errno;
		goto fail;
	}
	bpf_program__set_autoload(g->progs.og_guard_bpf3, nargs == 3);
	bpf_program__set_autoload(g->progs.og_guard_bpf4, nargs == 4);
	/* events go to the daemon's ring buffer, read with the others */
	ret = bpf_map__reuse_fd(g->maps.og_events, og_bpf_events_fd(b));
	if (!ret)
		ret = guard_bpf__load(g);
	if (ret)
		goto fail_destroy;
	b->guard_links[0] = bpf_program__attach_lsm(nargs == 3 ? g->progs.og_guard_bpf3 :
								 g->progs.og_guard_bpf4);
	if (!b->guard_links[0]) {
		ret = -errno;
		goto fail_destroy;
	}
	b->guard_links[1] = bpf_program__attach_lsm(g->progs.og_guard_map);
	if (!b->guard_links[1]) {
		ret = -errno;
		goto fail_links;
	}
	/* what it guards: every link and map of ours, its own included */
	n = og_bpf_links(b, links, OG_MAX_LINKS);
	for (k = 0; k < n; k++)
		add_id(g, obj_id(bpf_link__fd(links[k].link)));
	bpf_object__for_each_map(m, b->skel->obj)
		add_id(g, obj_id(bpf_map__fd(m)));
	bpf_object__for_each_map(m, g->obj)
		if (m != g->maps.og_events)	/* the same map as ours: already there */
			add_id(g, obj_id(bpf_map__fd(m)));
	g->bss->og_guard_tgid = getpid();
	self_pidns(&g->bss->og_guard_ns_dev, &g->bss->og_guard_ns_ino);
	__atomic_store_n(&g->bss->og_guard_on, 1, __ATOMIC_RELEASE);
	b->guard = g;
	b->guard_active = true;
	return 0;
fail_links:
	bpf_link__destroy(b->guard_links[0]);
	b->guard_links[0] = NULL;
fail_destroy:
	guard_bpf__destroy(g);
fail:
	snprintf(b->guard_reason, sizeof(b->guard_reason),
		 "the kernel refused the lsm/bpf guard: %s", strerror(-ret));
	return ret;
}

void og_guard_close(struct og_bpf *b)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (b->guard_links[i])
			bpf_link__destroy(b->guard_links[i]);
		b->guard_links[i] = NULL;
	}
	if (b->guard)
		guard_bpf__destroy(b->guard);
	b->guard = NULL;
	b->guard_active = false;
}
