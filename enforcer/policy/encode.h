/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A policy as the kernel reads it: rule keys and values, slot_info, the
 * per-generation config (optguard.h).  Rule id 0 is the default decision;
 * rule i of the policy has id i + 1.
 */
#ifndef OPTGUARD_ENCODE_H
#define OPTGUARD_ENCODE_H

#include "expand.h"
#include "policy.h"

struct og_other_slot {
	__u64 key;		/* og_other_key(level, optname) */
	__u32 slot;
};

struct og_encoding {
	struct og_rule_key *keys;	/* without the generation bit */
	struct og_rule *vals;
	int *kprio;		/* per key: the prio of the selector that made it (bind.h) */
	size_t nkeys;
	__u32 slot_info[OG_NSLOTS];
	struct og_other_slot other[OG_NSLOTS_OTHER];
	size_t nother;
	struct og_gen_config cfg;
	size_t nids;		/* rule ids in use: the highest + 1 */
	/* force at create/connect/established: og_force (optguard.h) */
	struct og_rule_key *fkeys;	/* without the generation bit */
	struct og_force_set *fsets;
	size_t nfkeys;
	__u32 force_info;	/* OG_SI_* of the fkeys */
	size_t nforced;		/* distinct options forced (force indexes) */
};

/* The setsockopt-point behaviour of one rule: 0, or -ENOENT if it has none. */
int encode_rule(const struct og_rule_def *d, __u32 id, struct og_rule *out);
/* How the kernel reads @o's value, as og_rule.flags bits (options.h, OG_KR_*) */
#define OG_RF_READ	(OG_RF_BYTE_OK | OG_RF_U32 | OG_RF_U64 | OG_RF_LEN0)
__u32 read_flags(const struct og_option *o);
/*
 * The maps of @p with its scopes bound as in @b (expand.h; NULL: as parsed): 0 or
 * -ENOMEM / -E2BIG (too many distinct level:optname pairs outside the fixed slots).
 */
int policy_encode_bound(const struct og_policy *p, const struct og_bindings *b,
			struct og_encoding *enc);
/* policy_encode_bound() with the cgroups the parser resolved */
int policy_encode(const struct og_policy *p, struct og_encoding *enc);
void encoding_free(struct og_encoding *enc);
/*
 * The og_force keys of @p (encode_force.c), called by policy_encode: 0,
 * -ENOMEM, or -E2BIG when the policy forces more than OG_FORCE_MAX options.
 */
int encode_force(const struct og_policy *p, const struct og_bindings *b,
		 struct og_encoding *enc);

/* The order of og_rules keys: slot, then uid, then cgroup id (encode.c, kernel/gendiff.c). */
static inline int og_key_cmp(const struct og_rule_key *x, const struct og_rule_key *y)
{
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->cgid != y->cgid)
		return x->cgid < y->cgid ? -1 : 1;
	return 0;
}

#endif
