/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths around the setsockopt hooks, per policy: which rules a 32-bit
 * (compat) caller or a sendmsg control message (cmsg) gets past, and what
 * the LSM programs do about it (bpf/lsm/).  For `run` (at start), `check`,
 * `status`: the README's "What optguard can and cannot see", for one policy.
 */
#ifndef OPTGUARD_GAPS_H
#define OPTGUARD_GAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

enum og_gap {
	OG_GAP_COMPAT_ALL,	/* no LSM hook: every rule that acts, and default = deny */
	OG_GAP_COMPAT_VALUE,	/* LSM hook: the rules that decide by value (deny with except,
				 * rewrite, clamp, force with on_change = rewrite | deny) */
	OG_GAP_CMSG,		/* rules (and default = deny) for an option a cmsg sets */
};

/* Does @p constrain an option a control message sets (lsm/socket_sendmsg is needed)? */
bool policy_needs_cmsg(const struct og_policy *p);
/*
 * The names of the rules of @p in @which, comma separated, with "default =
 * deny" where it belongs, into @buf ("" when none): the number of entries.
 */
size_t gaps_list(const struct og_policy *p, enum og_gap which, char *buf, size_t len);

#endif
