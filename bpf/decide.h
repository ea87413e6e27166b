/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a rule does with a value: shared, word for word, by the BPF programs
 * and by `optguard explain`, so the two cannot disagree.
 *
 * The verdict is what happens to the call, not the rule's action:
 *   allow    the call goes on unchanged (an allow rule, a value in `except`,
 *            a value clamp or rewrite leaves as it is)
 *   deny     the call fails with *err
 *   rewrite  the call goes on with eff instead of req
 *   clamp    the call goes on with eff, req brought into [lo, hi]
 *   audit    the call goes on unchanged and is logged
 * Include optguard.h (and the __u32 types) first.
 */
#ifndef OPTGUARD_DECIDE_H
#define OPTGUARD_DECIDE_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

struct og_val {
	__u64 num;
	char str[OG_STR_MAX];	/* NUL padded */
};

#define OG_DSCP_MASK 0xfc

/*
 * A DSCP value @dscp written over a TOS/TCLASS byte @cur: the DSCP bits
 * forced, the ECN bits (0x03) kept.  Every point that writes a DSCP uses it.
 */
static __always_inline __u64 og_dscp_keep_ecn(__u64 dscp, __u64 cur)
{
	return (dscp & OG_DSCP_MASK) | (cur & ~(__u64)OG_DSCP_MASK & 0xff);
}

/* The value is compared unsigned (a UINT, or an int the kernel takes as a u32). */
static __always_inline int og_unsigned(__u8 vtype, __u8 flags)
{
	return vtype == OG_VT_UINT || (flags & OG_RF_U32);
}

/*
 * A 4-byte value as the kernel takes it: sign- or zero-extended, and
 * SO_MAX_PACING_RATE's ~0U widened to ~0UL.  The program reads every
 * application value through it, and `explain` every value it is given.
 */
static __always_inline __u64 og_from_u32(__u8 vtype, __u8 flags, __u32 x)
{
	if ((flags & OG_RF_U64) && x == ~0U)
		return ~0ULL;
	if (og_unsigned(vtype, flags))
		return x;
	return (__u64)(__s64)(__s32)x;
}

static __always_inline int og_str_eq(const char *a, const char *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

static __always_inline int og_in_except(const struct og_rule *r, const struct og_val *v)
{
	int i;

	if (r->vtype == OG_VT_STR) {
		for (i = 0; i < OG_EXCEPT_STR_MAX; i++) {
			if (i >= r->nexcept)
				break;
			if (og_str_eq(r->except.strs[i], v->str))
				return 1;
		}
		return 0;
	}
	for (i = 0; i < OG_EXCEPT_MAX; i++) {
		__u64 e;

		if (i >= r->nexcept)
			break;
		e = r->except.ints[i];
		switch (r->vtype) {
		case OG_VT_BOOL:
			if (!e == !v->num)
				return 1;
			break;
		case OG_VT_DSCP:
			if ((e & OG_DSCP_MASK) == (v->num & OG_DSCP_MASK))
				return 1;
			break;
		default:
			if (e == v->num)
				return 1;
		}
	}
	return 0;
}

static __always_inline int og_val_eq(__u8 vtype, const struct og_val *a, const struct og_val *b)
{
	if (vtype == OG_VT_STR)
		return og_str_eq(a->str, b->str);
	return a->num == b->num;
}

/*
 * Decide the call: @have is 0 when the value could not be read (a short
 * optlen the kernel itself will refuse, or an opaque option).  Returns the
 * verdict (enum og_action) and fills @eff with the value the kernel gets and
 * @err with the errno of a deny.
 */
static __always_inline int og_decide(const struct og_rule *r, const struct og_val *req, int have,
				     struct og_val *eff, __u32 *err)
{
	*eff = *req;
	*err = 0;
	switch (r->action) {
	case OG_ACT_ALLOW:
		return OG_ACT_ALLOW;
	case OG_ACT_AUDIT:
		return OG_ACT_AUDIT;
	case OG_ACT_DENY:
		if (r->nexcept && have && og_in_except(r, req))
			return OG_ACT_ALLOW;
		*err = r->err;
		return OG_ACT_DENY;
	case OG_ACT_REWRITE:
		if (r->nexcept && have && og_in_except(r, req))
			return OG_ACT_ALLOW;
		if (r->vtype == OG_VT_STR) {
			__u64 *d = (__u64 *)eff->str;
			const __u64 *s = (const __u64 *)r->str;

			d[0] = s[0];
			d[1] = s[1];
		} else if (r->vtype == OG_VT_DSCP && have) {
			/* keep the application's ECN bits, as the kernel does for TCP */
			eff->num = og_dscp_keep_ecn(r->value, req->num);
		} else {
			eff->num = r->value;
		}
		if (have && og_val_eq(r->vtype, req, eff))
			return OG_ACT_ALLOW;
		return OG_ACT_REWRITE;
	case OG_ACT_CLAMP:
		if (!have)
			return OG_ACT_ALLOW;	/* the kernel refuses what we cannot read */
		if (og_unsigned(r->vtype, r->flags)) {
			if ((r->flags & OG_RF_HAS_MIN) && req->num < r->lo)
				eff->num = r->lo;
			if ((r->flags & OG_RF_HAS_MAX) && req->num > r->hi)
				eff->num = r->hi;
		} else {
			if ((r->flags & OG_RF_HAS_MIN) && (__s64)req->num < (__s64)r->lo)
				eff->num = r->lo;
			if ((r->flags & OG_RF_HAS_MAX) && (__s64)req->num > (__s64)r->hi)
				eff->num = r->hi;
		}
		return eff->num == req->num ? OG_ACT_ALLOW : OG_ACT_CLAMP;
	}
	return OG_ACT_ALLOW;
}

#endif /* OPTGUARD_DECIDE_H */
