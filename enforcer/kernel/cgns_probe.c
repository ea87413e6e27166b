// SPDX-License-Identifier: GPL-2.0-only
/* The real level of this process's cgroup, from the kernel (cgns_probe.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "cgroup.h"
#include "cgroupns.h"
#include "cgns_probe.h"

#define PROBE_LEVELS 32		/* deeper than any scope may name (OG_CG_LEVELS) */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						.off = (o), .imm = (i) })

/*
 * value[i] = bpf_get_current_ancestor_cgroup_id(i) for every level: the
 * kernel gives 0 above the caller's own level, its own id at that level.
 */
static int probe_prog(int map_fd, struct bpf_insn *insn)
{
	int n = 0, i;

	insn[n++] = INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0);
	insn[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	insn[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	insn[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
	insn[n++] = INSN(0, 0, 0, 0, 0);
	insn[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	insn[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 3 * PROBE_LEVELS + 1, 0);
	insn[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_0, 0, 0);
	for (i = 0; i < PROBE_LEVELS; i++) {
		insn[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, i);
		insn[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0,
				 BPF_FUNC_get_current_ancestor_cgroup_id);
		insn[n++] = INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_0, i * 8, 0);
	}
	insn[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	insn[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

int cgns_probe_self(int *level, __u64 *id, char *why, size_t len)
{
	/* program types whose test run happens in the caller's task, newest helper sets first */
	static const enum bpf_prog_type types[] = {
		BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_SOCKET_FILTER,
	};
	struct bpf_insn insn[8 + 3 * PROBE_LEVELS + 2];
	__u64 ids[PROBE_LEVELS];
	unsigned char pkt[64] = {};
	__u32 key = 0;
	int map_fd, prog_fd = -1, n, i, ret;
	size_t t;

	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "og_cgns", sizeof(key), sizeof(ids), 1, NULL);
	if (map_fd < 0) {
		ret = -errno;
		snprintf(why, len, "cannot create a BPF map: %s", strerror(-ret));
		return ret;
	}
	n = probe_prog(map_fd, insn);
	for (t = 0; t < sizeof(types) / sizeof(types[0]) && prog_fd < 0; t++)
		prog_fd = bpf_prog_load(types[t], "og_cgns", "GPL", insn, n, NULL);
	if (prog_fd < 0) {
		ret = -errno;
		snprintf(why, len, "the kernel refuses a program calling "
			 "bpf_get_current_ancestor_cgroup_id (%s)", strerror(-ret));
		close(map_fd);
		return ret;
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = 1);

		ret = bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
	}
	if (!ret && bpf_map_lookup_elem(map_fd, &key, ids))
		ret = -errno;
	close(prog_fd);
	close(map_fd);
	if (ret) {
		snprintf(why, len, "cannot run the cgroup level probe: %s", strerror(-ret));
		return ret;
	}
	for (i = 0; i < PROBE_LEVELS && ids[i]; i++)
		;
	if (i == 0 || i == PROBE_LEVELS) {
		snprintf(why, len, "the cgroup level probe found %s", i ? "more than 31 levels" :
			 "no root cgroup");
		return -ERANGE;
	}
	*level = i - 1;
	*id = ids[i - 1];
	return 0;
}

int cgns_resolve(char *msg, size_t len)
{
	char before[4096], after[4096], root[4096], mnt[4096], why[512];
	int ret, level, base, tries;
	__u64 id;

	msg[0] = '\0';
	why[0] = '\0';
	ret = cgns_initial();
	if (ret == 1)
		return 0;
	if (ret < 0) {
		snprintf(msg, len, "cannot tell optguard's cgroup namespace: %s", strerror(-ret));
		return ret;
	}
	if (cg2_mount(mnt, sizeof(mnt)) || cgns_mount_root(root, sizeof(root))) {
		snprintf(msg, len, "no cgroup2 mount in /proc/self/mountinfo");
		return -ENOENT;
	}
	/* the cgroup read before and after the probe: a move in between would skew it */
	for (tries = 0; tries < 3; tries++) {
		if (cgns_self_path(before, sizeof(before)) ||
		    cgns_probe_self(&level, &id, why, sizeof(why)) ||
		    cgns_self_path(after, sizeof(after))) {
			if (!why[0])
				snprintf(why, sizeof(why), "cannot read /proc/self/cgroup");
			snprintf(msg, len, "optguard runs in a cgroup namespace and cannot learn the "
				 "real depth of its cgroup2 mount %s: %s", mnt, why);
			return -ENXIO;
		}
		if (!strcmp(before, after))
			break;
	}
	if (tries == 3) {
		snprintf(msg, len, "optguard runs in a cgroup namespace and was moved between "
			 "cgroups while probing their depth");
		return -EAGAIN;
	}
	ret = cgns_settle(level, before, why, sizeof(why));
	if (!ret)
		ret = cgns_base(&base, why, sizeof(why));
	if (ret) {
		snprintf(msg, len, "optguard runs in a cgroup namespace: %s", why);
		return ret;
	}
	/* where the mount shows our own cgroup, its id must be the one the kernel gave */
	if (!strcmp(root, "/")) {
		char self[8192];
		struct stat st;

		snprintf(self, sizeof(self), "%s%s", mnt, strcmp(before, "/") ? before : "");
		if (stat(self, &st) == 0 && st.st_ino != id) {
			snprintf(msg, len, "optguard runs in a cgroup namespace: its cgroup %s has id "
				 "%llu, the kernel says %llu", self, (unsigned long long)st.st_ino,
				 (unsigned long long)id);
			return -EINVAL;
		}
	}
	snprintf(msg, len, "cgroup namespace: the cgroup2 mount %s (root %s in the namespace) "
		 "is at depth %d of the real hierarchy; scopes are matched at their real depth; "
		 "events name cgroups by their path below %s (%s)", mnt, root, base, mnt,
		 strcmp(root, "/") ? "not the namespace's view: the mount's root is not the "
		 "namespace's" : "the namespace's view, as /proc/PID/cgroup shows it there");
	return 0;
}
