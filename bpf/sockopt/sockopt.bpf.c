// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup/setsockopt: the value-aware enforcement point.
 *
 * Attached with a link at the top of the policy's cgroup, so it runs after
 * any program attached below and sees the value they left.  The rule lookup
 * is described in optguard.h; the decision in decide.h.  A call whose option
 * has no rule costs one array load (bench/README.md P1).  Where the LSM hook runs
 * too, value-blind denies and the default are left to it: it saw the call
 * first, and one denied call must give one event.
 */
#include "../common.bpf.h"

/*
 * Leave the call to the kernel as the application made it, for a call whose
 * value the program never looked at.
 */
static __always_inline int pass(struct bpf_sockopt *ctx, int optlen)
{
	/* the program saw only the first page: let the kernel use the user's buffer */
	if (optlen > page_size)
		ctx->optlen = 0;
	return 1;	/* go on */
}

/*
 * Let the call go on with the value the program read, decided on and logged.
 * Up to a page the kernel uses the program's copy anyway.  Above, optlen = 0
 * would make the kernel read the user's buffer again, where a second thread
 * may have put another value since: hand it the checked copy instead, as
 * wide as the kernel reads it (a string: OG_STR_MAX, of which the kernel
 * reads the same 15 bytes up to a NUL as read_val did).
 */
static __always_inline int keep(struct bpf_sockopt *ctx, int optlen, __u8 vtype, int width)
{
	if (optlen <= page_size)
		return 1;	/* go on with the copy the program read */
	if (vtype == OG_VT_OPAQUE)
		ctx->optlen = 0;	/* never read: nothing was decided on it */
	else if (vtype == OG_VT_STR)
		ctx->optlen = OG_STR_MAX;
	else
		ctx->optlen = width;	/* > 0: a page holds any int */
	return 1;	/* go on with the checked copy */
}

/*
 * Read the value as the kernel will (width and sign per og_rule.flags):
 * returns the width the kernel reads, 0 if it reads nothing it would accept.
 */
static __always_inline int read_val(struct bpf_sockopt *ctx, __u8 vtype, __u8 flags, int optlen,
				    struct og_val *v)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	int i;

	if (vtype == OG_VT_OPAQUE)
		return 0;
	if (vtype == OG_VT_STR) {
		/* the kernel takes at most OG_STR_MAX - 1 bytes, up to a NUL */
		for (i = 0; i < OG_STR_MAX - 1; i++) {
			if (i >= optlen || p + i + 1 > end)	/* bounds check */
				break;
			if (!p[i])
				break;
			v->str[i] = p[i];
		}
		return i > 0 ? OG_STR_MAX : 0;
	}
	/* only SO_MAX_PACING_RATE reads 64 bits (on a 64-bit kernel) */
	if ((flags & OG_RF_U64) && optlen >= 8 && p + 8 <= end) {	/* bounds check */
		v->num = *(__u64 *)p;
		return 8;
	}
	if (optlen >= 4 && p + 4 <= end) {	/* bounds check */
		v->num = og_from_u32(vtype, flags, *(__u32 *)p);
		return 4;
	}
	/* do_ip_setsockopt()'s `optlen >= sizeof(char)` branch: an unsigned char */
	if (optlen >= 1 && (flags & OG_RF_BYTE_OK) && p + 1 <= end) {	/* bounds check */
		v->num = *p;
		return 1;
	}
	if (flags & OG_RF_LEN0) {
		/* the kernel sets 0 from a value shorter than it reads */
		v->num = 0;
		return (flags & OG_RF_BYTE_OK) ? 1 : 4;
	}
	return 0;
}

/*
 * Give the kernel @v instead of the application's value; 0 or -1 if it does
 * not fit.  An int is handed over as 4 bytes whatever the application passed
 * (every int option takes 4; a 1-byte IP option would truncate a clamp bound
 * above 255), SO_MAX_PACING_RATE as 8 (its bound may not fit 32 bits).
 */
static __always_inline int write_val(struct bpf_sockopt *ctx, __u8 vtype, __u8 flags,
				     const struct og_val *v)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	int i, n = 0;

	if (vtype == OG_VT_STR) {
		if (p + OG_STR_MAX > end)	/* bounds check: the kernel's buffer is >= 16 bytes */
			return -1;
		for (i = 0; i < OG_STR_MAX; i++) {
			p[i] = v->str[i];
			if (v->str[i] && i == n)
				n++;
		}
		ctx->optlen = n;
		return 0;
	}
	if (flags & OG_RF_U64) {
		if (p + 8 > end)	/* bounds check */
			return -1;
		*(__u64 *)p = v->num;
		ctx->optlen = 8;
		return 0;
	}
	if (p + 4 > end)	/* bounds check */
		return -1;
	*(__u32 *)p = v->num;
	/* also for optlen > PAGE_SIZE: the kernel then takes our buffer */
	ctx->optlen = 4;
	return 0;
}

static __always_inline void call_init(struct og_call *c, struct bpf_sockopt *ctx, int level,
				      int optname)
{
	struct bpf_sock *sk = ctx->sk;

	c->level = level;
	c->optname = optname;
	c->family = sk ? sk->family : 0;
	c->type = sk ? sk->type : 0;
	c->hook = OG_HOOK_CGROUP_SOCKOPT;
}

static __always_inline int deny(__u32 err)
{
	if (has_retval)
		bpf_set_retval(og_neg_errno(err));
	return 0;	/* deny: EPERM, or err where bpf_set_retval exists */
}

SEC("cgroup/setsockopt")
int og_setsockopt(struct bpf_sockopt *ctx)
{
	/* read ctx fields once (clang may otherwise re-read a modified ctx pointer) */
	int level = ctx->level, optname = ctx->optname, optlen = ctx->optlen;
	__u32 gen = og_active_gen & 1;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_val req = {}, eff = {};
	struct og_call call;
	struct og_rule *r;
	int width, verdict;
	__u32 err;

	r = lookup_rule(gen, cfg, level, optname);
	if (!r)
		goto no_rule;
	/* a value-blind deny is the LSM hook's, which saw the call first and logged it */
	if (cfg->lsm && r->action == OG_ACT_DENY && !r->nexcept)
		return pass(ctx, optlen);	/* go on: the LSM hook allowed it (audit mode) */

	/* a program attached below already failed the call: nothing to decide */
	if (has_retval && bpf_get_retval())
		return pass(ctx, optlen);	/* go on: the earlier errno stands */

	width = read_val(ctx, r->vtype, r->flags, optlen, &req);
	verdict = og_decide(r, &req, width > 0, &eff, &err);
	call_init(&call, ctx, level, optname);
	account(&call, gen, cfg, r->id, verdict, err, r->vtype, width > 0, &req, &eff);
	/* from here on the event says which value was decided: the kernel must get that one */
	if (cfg->mode == OG_MODE_AUDIT)
		return keep(ctx, optlen, r->vtype, width);	/* go on: audit changes nothing */
	switch (verdict) {
	case OG_ACT_DENY:
		return deny(err);
	case OG_ACT_REWRITE:
	case OG_ACT_CLAMP:
		if (write_val(ctx, r->vtype, r->flags, &eff))
			return deny(EPERM);	/* deny: fail closed if the value cannot be set */
		return 1;	/* go on with our value */
	}
	return keep(ctx, optlen, r->vtype, width);	/* go on with the checked copy */

no_rule:
	if (cfg->default_action != OG_ACT_DENY)
		return pass(ctx, optlen);	/* go on: default allow */
	if (cfg->lsm)
		return pass(ctx, optlen);	/* go on: the LSM hook applied the default */
	if (has_retval && bpf_get_retval())
		return pass(ctx, optlen);	/* go on: the earlier errno stands */
	call_init(&call, ctx, level, optname);
	account(&call, gen, cfg, cfg->default_id, OG_ACT_DENY, cfg->default_err, OG_VT_OPAQUE, 0,
		&req, &eff);
	if (cfg->mode == OG_MODE_AUDIT)
		return pass(ctx, optlen);	/* go on: audit changes nothing */
	return deny(cfg->default_err);
}
