// SPDX-License-Identifier: GPL-2.0-only
/* The table of programs (progs.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "progs.h"
#include "optguard.skel.h"

#define PROG(name)	offsetof(struct optguard_bpf, progs.name)

/*
 * The order is that of `status`'s hooks line; attach takes the global (LSM)
 * rows first, then the cgroup ones (attach.c).
 */
const struct og_prog_def og_progs[] = {
	[OG_P_LSM] = { "lsm/socket_setsockopt", PROG(og_lsm_setsockopt), OG_G_LSM,
		       OG_ATTACH_LSM, "lsm" },
	[OG_P_SETSOCKOPT] = { "cgroup/setsockopt", PROG(og_setsockopt), OG_G_BASE,
			      OG_ATTACH_CGROUP, "setsockopt" },
	{ "cgroup/sock_create", PROG(og_sock_create), OG_G_FORCE, OG_ATTACH_CGROUP, "sock-create" },
	{ "cgroup/connect4", PROG(og_connect4), OG_G_FORCE, OG_ATTACH_CGROUP, "connect4" },
	{ "cgroup/connect6", PROG(og_connect6), OG_G_FORCE, OG_ATTACH_CGROUP, "connect6" },
	{ "sockops", PROG(og_sockops), OG_G_FORCE, OG_ATTACH_CGROUP, "sockops" },
	{ "cgroup/sendmsg4", PROG(og_sendmsg4), OG_G_SEND, OG_ATTACH_CGROUP, "sendmsg4" },
	{ "cgroup/sendmsg6", PROG(og_sendmsg6), OG_G_SEND, OG_ATTACH_CGROUP, "sendmsg6" },
	{ "lsm_cgroup/socket_post_create", PROG(og_post_create), OG_G_CREATE, OG_ATTACH_CGROUP,
	  "post-create" },
	{ "lsm/uring_cmd", PROG(og_lsm_uring_cmd), OG_G_URING, OG_ATTACH_LSM, "lsm-uring" },
	{ "lsm/socket_sendmsg", PROG(og_lsm_sendmsg), OG_G_CMSG, OG_ATTACH_LSM, "lsm-sendmsg" },
};
const size_t og_nprogs = sizeof(og_progs) / sizeof(og_progs[0]);
_Static_assert(sizeof(og_progs) / sizeof(og_progs[0]) <= OG_MAX_PROGS, "raise OG_MAX_PROGS");

/*
 * The LSM programs read struct socket and struct sock, internal to each
 * kernel: relocated against the running kernel's BTF (load.c).
 */
const struct og_group_def og_groups[OG_NGROUPS] = {
	[OG_G_BASE] = { 0 },
	[OG_G_LSM] = { .kernel_btf = true, .caps = OG_CBIT(OG_CAP_LSM_LISTED) |
		       OG_CBIT(OG_CAP_LSM_PROGS) },
	[OG_G_URING] = { .deps = OG_GBIT(OG_G_LSM), .kernel_btf = true, .extra = true,
			 .caps = OG_CBIT(OG_CAP_URING_HOOK) },
	[OG_G_CMSG] = { .deps = OG_GBIT(OG_G_LSM), .kernel_btf = true, .extra = true },
	/*
	 * the force programs walk cgroup levels in bpf_loop, and read a socket's
	 * cgroup and uid from struct sock: relocated against the running kernel's BTF
	 */
	[OG_G_FORCE] = { .kernel_btf = true, .caps = OG_CBIT(OG_CAP_BPF_LOOP) },
	[OG_G_CREATE] = { .deps = OG_GBIT(OG_G_LSM) | OG_GBIT(OG_G_FORCE), .kernel_btf = true },
	/*
	 * bpf_setsockopt in sendmsg4/6 (5.12+): an extra, so that a kernel
	 * refusing it costs the send point only (the start then refuses the
	 * policy's `at = send` rules with the probe's reason)
	 */
	[OG_G_SEND] = { .deps = OG_GBIT(OG_G_FORCE), .extra = true },
};

#define L	OG_GBIT(OG_G_LSM)
#define F	OG_GBIT(OG_G_FORCE)
#define C	OG_GBIT(OG_G_CREATE)
#define B	OG_GBIT(OG_G_BASE)
/*
 * A kernel may refuse one group and take the others: each attempt drops
 * what matters least.  The setsockopt hook matters most, then the LSM one
 * (32-bit callers, sockets made outside the cgroup), then forcing.
 */
const unsigned int og_load_combos[] = { B | L | F | C, B | L | F, B | L, B | F, B };
const size_t og_load_ncombos = sizeof(og_load_combos) / sizeof(og_load_combos[0]);

struct bpf_program *og_prog(const struct optguard_bpf *s, size_t i)
{
	return *(struct bpf_program *const *)((const char *)s + og_progs[i].skel_off);
}

void og_progs_what(unsigned int groups, char *buf, size_t len)
{
	size_t i, n = 0, k = 0, o = 0;

	for (i = 0; i < og_nprogs; i++)
		n += !!(groups & OG_GBIT(og_progs[i].group));
	buf[0] = '\0';
	for (i = 0; i < og_nprogs; i++) {
		if (!(groups & OG_GBIT(og_progs[i].group)))
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
			      !k ? "the " : k + 1 == n ? " or " : ", ", og_progs[i].section);
		k++;
	}
	snprintf(buf + (o < len ? o : len - 1), o < len ? len - o : 1, " program");
}
