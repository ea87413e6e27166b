/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The programs of bpf/optguard.bpf.c, one row each in og_progs[] (progs.c):
 * the row drives which programs a load takes in, the fallback when the
 * kernel refuses some, where each attaches, its pin and its detach.  A new
 * hook is one row there plus its BPF code.
 */
#ifndef OPTGUARD_PROGS_H
#define OPTGUARD_PROGS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Programs load and fail together by group; each group says why it is not
 * loaded or not active (struct og_group_state).
 */
enum og_group {
	OG_G_BASE,	/* cgroup/setsockopt: always; without it nothing loads */
	OG_G_LSM,	/* lsm/socket_setsockopt */
	OG_G_URING,	/* lsm/uring_cmd: compat io_uring rings */
	OG_G_CMSG,	/* lsm/socket_sendmsg: control messages */
	OG_G_FORCE,	/* sock_create, connect4/6, sockops: force rules */
	OG_G_CREATE,	/* lsm_cgroup/socket_post_create: force at create */
	OG_G_SEND,	/* sendmsg4/6: force at send (unconnected UDP) */
	OG_NGROUPS
};
#define OG_GBIT(g)	(1u << (g))

enum og_attach_kind {
	OG_ATTACH_CGROUP,	/* to the policy's cgroup (cgroup, sockops and lsm_cgroup hooks) */
	OG_ATTACH_LSM,		/* global (lsm hooks): the program checks the cgroup itself */
};

struct og_prog_def {
	const char *section;	/* its SEC() in bpf/ (checked at open) */
	size_t skel_off;	/* where the skeleton holds its struct bpf_program * */
	enum og_group group;
	enum og_attach_kind attach;
	const char *pin;	/* pin_dir/inst-ID/link-<pin> */
};

struct og_group_def {
	/*
	 * Loaded only with these groups (OG_GBIT), and relocated against the
	 * running kernel's BTF (not the build's minimal one: load.c).
	 */
	unsigned int deps;
	bool kernel_btf;
	/*
	 * An extra rides along with every load that takes its deps in where
	 * wanted, and is dropped again when the load fails with it but not
	 * without; it attaches only where its deps run.
	 */
	bool extra;
	unsigned int caps;	/* kernel capabilities it needs (caps.h, OG_CBIT) */
};

/* The rows other code names (the first two of og_progs[]); the rest go by group. */
enum { OG_P_LSM, OG_P_SETSOCKOPT };
#define OG_MAX_PROGS	16

extern const struct og_prog_def og_progs[];
extern const size_t og_nprogs;
extern const struct og_group_def og_groups[OG_NGROUPS];
/* The load attempts, most wanted first (OG_GBIT sets; OG_G_BASE is in each). */
extern const unsigned int og_load_combos[];
extern const size_t og_load_ncombos;

/*
 * "the A, B or C program": the sections of the programs of the groups in
 * @groups, for messages.
 */
void og_progs_what(unsigned int groups, char *buf, size_t len);

struct optguard_bpf;
struct bpf_program;
/* og_progs[@i]'s program in the skeleton @s. */
struct bpf_program *og_prog(const struct optguard_bpf *s, size_t i);

#endif
