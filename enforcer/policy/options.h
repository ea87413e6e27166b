/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The option table: every socket option optguard knows by name, its value
 * type, the actions that make sense for it and whether bpf_setsockopt can
 * set it.  The parser, `explain`, `options` and the BPF encoding all read it.
 */
#ifndef OPTGUARD_OPTIONS_H
#define OPTGUARD_OPTIONS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "bpf/optguard.h"

#define ACT_BIT(a)	(1u << (a))
/* allow, deny and audit fit every option */
#define ACTS_ANY	(ACT_BIT(OG_ACT_ALLOW) | ACT_BIT(OG_ACT_DENY) | ACT_BIT(OG_ACT_AUDIT))

struct og_option {
	const char *name;	/* "SO_MARK" */
	int level;		/* SOL_SOCKET, IPPROTO_TCP ... */
	int optname;
	enum og_vtype vtype;
	unsigned int actions;	/* ACT_BIT() mask of the actions that fit */
	bool forceable;		/* bpf_setsockopt takes it (options.c) */
	bool byte_ok;		/* the kernel also takes a 1-byte value */
	const char *help;	/* one line for `optguard options` */
	unsigned int kread;	/* OG_KR_*: how the kernel reads the value, beyond vtype */
};

/*
 * og_option.kread.  Without a bit an int option is a signed 32-bit int that
 * the kernel reads from 4 bytes (1 with byte_ok), as its handler does.
 *   U32     the kernel takes the int as unsigned (SO_RCVBUF: min_t(u32, ...);
 *           a u32 field): a negative value is huge, not small
 *   U64     64 bits when optlen >= 8 (SO_MAX_PACING_RATE)
 *   LEN0    a shorter value (optlen 0 for IP_TOS) is the value 0
 *   NONNEG  the kernel refuses a negative value
 * U32 and NONNEG options, and every SIZE, take no negative value in a policy.
 */
#define OG_KR_U32	(1u << 0)
#define OG_KR_U64	(1u << 1)
#define OG_KR_LEN0	(1u << 2)
#define OG_KR_NONNEG	(1u << 3)

/* A policy value for @o must not be negative. */
bool option_nonneg(const struct og_option *o);

/* The whole table and its length. */
extern const struct og_option og_options[];
extern const size_t og_options_count;

/*
 * A family: options that set one thing in the kernel, so that a rule for one
 * of them is beaten by another unless the rule covers all of them
 * (`option = DSCP`).  Members share a value type.
 */
#define OG_FAMILY_MAX	4	/* members of a family */

struct og_family {
	const char *name;	/* "DSCP", "SO_RCVBUF*" */
	const char *members[OG_FAMILY_MAX];	/* option names; unused entries NULL */
	const char *help;	/* one line for `optguard options` */
};

extern const struct og_family og_families[];
extern const size_t og_families_count;

/* The family called @name (case-insensitive), or NULL. */
const struct og_family *family_by_name(const char *name);

/*
 * Option pairs where a rule for `opt` leaves `sibling` open: another way to
 * set the same value (`why` says how), which `check` warns about when the
 * policy has no rule for it.  `fix` is the family that covers both.
 */
struct og_sibling {
	const char *opt, *sibling;
	const char *why;	/* "which sets the same value (CAP_NET_ADMIN callers)" */
	const char *fix;	/* "SO_RCVBUF*" */
};

extern const struct og_sibling og_siblings[];
extern const size_t og_siblings_count;

const struct og_option *option_by_name(const char *name);
const struct og_option *option_by_number(int level, int optname);
/*
 * An option as the policy and the command line write it: a symbolic name
 * (case-insensitive) or LEVEL:OPTNAME ("SOL_SOCKET:36", "1:0x24").  0 and
 * *opt (NULL for a number pair not in the table), *level, *optname; or -EINVAL.
 */
int option_parse(const char *s, const struct og_option **opt, int *level, int *optname);

/* "SOL_SOCKET", "IPPROTO_TCP", "SOL_TCP", a decimal number ...: 0 or -EINVAL */
int level_parse(const char *s, int *level);
/* The symbolic name of a level ("SOL_SOCKET"), or NULL. */
const char *level_name(int level);

const char *action_name(enum og_action a);
const char *vtype_name(enum og_vtype t);

#endif
