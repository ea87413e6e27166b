// SPDX-License-Identifier: GPL-2.0-only
/* Pass 2 of the parser: [rule:NAME] sections, their action and values. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "section.h"

const char *const rule_keys[] = {
	"scope", "option", "action", "errno", "except", "min", "max", "value", "at", "on_change",
	"telemetry", "on_unforceable",
};
const size_t rule_nkeys = ARRAY_SIZE(rule_keys);
enum { RK_SCOPE, RK_OPTION, RK_ACTION, RK_ERRNO, RK_EXCEPT, RK_MIN, RK_MAX, RK_VALUE, RK_AT,
       RK_ON_CHANGE, RK_TELEMETRY, RK_ON_UNFORCEABLE, RK_N };


/* in enum og_action order from OG_ACT_ALLOW */
static const char *const action_names[] = {
	"allow", "deny", "rewrite", "clamp", "force", "audit", NULL,
};

/* The actions each key goes with (errno on force: only with on_change = deny). */
static const unsigned int rule_key_actions[RK_N] = {
	[RK_SCOPE] = ~0u,
	[RK_OPTION] = ~0u,
	[RK_ACTION] = ~0u,
	[RK_ERRNO] = ACT_BIT(OG_ACT_DENY) | ACT_BIT(OG_ACT_FORCE),
	[RK_EXCEPT] = ACT_BIT(OG_ACT_DENY) | ACT_BIT(OG_ACT_REWRITE),
	[RK_MIN] = ACT_BIT(OG_ACT_CLAMP),
	[RK_MAX] = ACT_BIT(OG_ACT_CLAMP),
	[RK_VALUE] = ACT_BIT(OG_ACT_REWRITE) | ACT_BIT(OG_ACT_FORCE),
	[RK_AT] = ACT_BIT(OG_ACT_FORCE),
	[RK_ON_CHANGE] = ACT_BIT(OG_ACT_FORCE),
	[RK_TELEMETRY] = ACT_BIT(OG_ACT_FORCE),
	[RK_ON_UNFORCEABLE] = ACT_BIT(OG_ACT_FORCE),
};

static const char *vtype_expect(enum og_vtype t)
{
	switch (t) {
	case OG_VT_INT:
	case OG_VT_SIZE:
		return "an integer from -2147483648 to 2147483647 (decimal or 0x hex, K/M/G "
		       "suffixes)";
	case OG_VT_UINT:
		return "an unsigned integer (decimal or 0x hex, K/M/G suffixes)";
	case OG_VT_BOOL:
		return "on/off, yes/no, true/false or 1/0";
	case OG_VT_STR:
		return "1 to 15 printable characters without blanks or commas";
	case OG_VT_DSCP:
		return "a DSCP name (CS0-CS7, AF11-AF43, EF, VA, LE) or a TOS byte 0-255";
	default:
		return "nothing: the option's value is opaque";
	}
}

/* Parse one value for rule @r, with the option's own limits: 0, or -1 after an error. */
static int rule_value(struct parser *ps, const struct og_rule_def *r, int line, const char *s,
		      struct og_value *v)
{
	char label[64];
	size_t i;

	option_label(r, label, sizeof(label));
	if (value_parse(r->vtype, s, v)) {
		perr(ps, line, "invalid value '%s' for %s: expected %s", s, label,
		     vtype_expect(r->vtype));
		return -1;
	}
	for (i = 0; i < rule_nopts(r); i++) {
		struct og_optref o = rule_opt(r, i);

		/* only SO_MAX_PACING_RATE is read as 64 bits; other uints are a __u32 */
		if (r->vtype == OG_VT_UINT && (__u64)v->num > UINT32_MAX &&
		    !(o.opt && (o.opt->kread & OG_KR_U64))) {
			perr(ps, line, "value '%s' for %s does not fit 32 bits", s, label);
			return -1;
		}
		/* a size, or an int the kernel takes as unsigned or refuses below 0 */
		if (o.opt && option_nonneg(o.opt) && r->vtype != OG_VT_UINT && v->num < 0) {
			perr(ps, line, "value '%s' for %s is negative: %s", s, label,
			     o.opt->kread & OG_KR_U32 ? "the kernel reads it as an unsigned number" :
			     o.opt->kread & OG_KR_NONNEG ? "the kernel refuses negative values" :
			     "a size is never negative");
			return -1;
		}
		/* bpf_setsockopt(TCP_CONGESTION) refuses a name shorter than 2 bytes */
		if (o.opt && o.level == IPPROTO_TCP && o.optname == TCP_CONGESTION &&
		    strlen(v->str) < 2) {
			perr(ps, line, "congestion control name '%s' is too short (at least 2 "
			     "characters)", s);
			return -1;
		}
	}
	return 0;
}

static void rule_except(struct parser *ps, struct og_rule_def *r, const struct kv *kv)
{
	char *store, **items;
	size_t max = r->vtype == OG_VT_STR ? OG_EXCEPT_STR_MAX : OG_EXCEPT_MAX;
	long n, i;

	if (r->vtype == OG_VT_OPAQUE) {
		perr(ps, kv->line,
		     "except needs a comparable value; this option's value is opaque");
		return;
	}
	n = split_list(ps, kv, &store, &items);
	if (n < 0)
		return;
	if ((size_t)n > max)
		perr(ps, kv->line, "too many except values (%ld, at most %zu)", n, max);
	/* its own allocation: most rules have none, and a rule is much smaller without */
	r->except = calloc(n < (long)max ? n : (long)max, sizeof(*r->except));
	if (!r->except && n) {
		ps->oom = true;
		n = 0;
	}
	for (i = 0; i < n && (size_t)i < max; i++)
		if (!rule_value(ps, r, kv->line, items[i], &r->except[r->nexcept]))
			r->nexcept++;
	free(items);
	free(store);
}

/* The points of `at` (OG_AT_* bit j is points[j]). */
static void rule_at(struct parser *ps, struct og_rule_def *r, const struct kv *kv)
{
	static const char *const points[] = { "create", "connect", "established", "send" };
	char *store, **items;
	unsigned int at = 0;
	long n, i;
	size_t j;

	n = split_list(ps, kv, &store, &items);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ARRAY_SIZE(points); j++)
			if (!strcmp(items[i], points[j]))
				break;
		if (j == ARRAY_SIZE(points)) {
			perr(ps, kv->line, "invalid at '%s' (expected create, connect, established, "
			     "send)", items[i]);
			at = 0;
			break;
		}
		at |= 1u << j;
	}
	/* send: cgroup/sendmsg4/6, an unconnected UDP socket's sendto(); no TCP socket sends there */
	for (j = 0; (at & OG_AT_SEND) && j < rule_nopts(r); j++) {
		struct og_optref o = rule_opt(r, j);

		if (o.level == IPPROTO_TCP) {
			char label[64];

			optref_label(o.level, o.optname, label, sizeof(label));
			perr(ps, kv->line, "at = send: %s is a TCP option, and send is the "
			     "unconnected UDP sendto() point; force it at connect or established",
			     label);
			at = 0;
			break;
		}
	}
	if (at) {
		r->at = at;
		r->at_default = false;
	}
	free(items);
	free(store);
}

static bool clamp_le(enum og_vtype t, const struct og_value *a, const struct og_value *b)
{
	return t == OG_VT_UINT ? (__u64)a->num <= (__u64)b->num : a->num <= b->num;
}

static void actions_list(unsigned int mask, char *buf, size_t len)
{
	size_t o = 0;
	int a;

	buf[0] = '\0';
	for (a = OG_ACT_ALLOW; a < OG_ACT_MAX && o < len; a++)
		if (mask & ACT_BIT(a))
			o += snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
				      action_name((enum og_action)a));
}

/* The action and the keys that go with it; *k are the rule's keys by RK_*. */
static void rule_action(struct parser *ps, const struct section *s, struct og_rule_def *r,
			const struct kv **k)
{
	static const char *const on_changes[] = { "rewrite", "deny", "allow", NULL };
	static const char *const on_offs[] = { "on", "off", NULL };
	static const char *const unforceables[] = { "allow", "deny", NULL };
	unsigned int mask = ~0u, force = 0;
	char label[64], list[128], a[32], b[32];
	size_t i;
	int v;

	/*
	 * Every option of the rule must take the action; force needs one that
	 * bpf_setsockopt can set (the others get on_change at setsockopt).
	 */
	for (i = 0; i < rule_nopts(r); i++) {
		const struct og_option *o = rule_opt(r, i).opt;

		mask &= o ? o->actions : ACTS_ANY;
		force |= o ? o->actions & ACT_BIT(OG_ACT_FORCE) : 0;
	}
	mask = (mask & ~ACT_BIT(OG_ACT_FORCE)) | force;

	v = parse_enum(ps, k[RK_ACTION], action_names);
	if (v < 0)
		return;
	r->action = (enum og_action)(OG_ACT_ALLOW + v);
	option_label(r, label, sizeof(label));
	if (!(mask & ACT_BIT(r->action))) {
		actions_list(mask, list, sizeof(list));
		if (r->action == OG_ACT_FORCE)
			perr(ps, k[RK_ACTION]->line,
			     "force on %s: bpf_setsockopt cannot set %s (it takes %s)",
			     label, r->nmore ? "any of its options" : "this option", list);
		else
			perr(ps, k[RK_ACTION]->line,
			     "action %s does not fit %s (%s value); it takes %s",
			     action_name(r->action), label, vtype_name(r->vtype), list);
		return;
	}
	for (i = 0; i < RK_N; i++) {
		if (k[i] && !(rule_key_actions[i] & ACT_BIT(r->action))) {
			perr(ps, k[i]->line, "key '%s' does not apply to action %s", rule_keys[i],
			     action_name(r->action));
			k[i] = NULL;
		}
	}

	switch (r->action) {
	case OG_ACT_DENY:
		r->err = EPERM;
		if (k[RK_ERRNO] && errno_parse(k[RK_ERRNO]->val, &r->err))
			bad_errno(ps, k[RK_ERRNO]);
		if (k[RK_EXCEPT])
			rule_except(ps, r, k[RK_EXCEPT]);
		break;
	case OG_ACT_REWRITE:
		if (!k[RK_VALUE])
			perr(ps, s->line, "rewrite needs a value");
		else if (!rule_value(ps, r, k[RK_VALUE]->line, k[RK_VALUE]->val, &r->value))
			r->has_value = true;
		if (k[RK_EXCEPT])
			rule_except(ps, r, k[RK_EXCEPT]);
		break;
	case OG_ACT_CLAMP:
		if (!k[RK_MIN] && !k[RK_MAX])
			perr(ps, s->line, "clamp needs min or max");
		if (k[RK_MIN] && !rule_value(ps, r, k[RK_MIN]->line, k[RK_MIN]->val, &r->min))
			r->has_min = true;
		if (k[RK_MAX] && !rule_value(ps, r, k[RK_MAX]->line, k[RK_MAX]->val, &r->max))
			r->has_max = true;
		if (r->has_min && r->has_max && !clamp_le(r->vtype, &r->min, &r->max)) {
			value_format(r->vtype, &r->min, a, sizeof(a));
			value_format(r->vtype, &r->max, b, sizeof(b));
			perr(ps, k[RK_MAX]->line, "min %s is greater than max %s", a, b);
		}
		break;
	case OG_ACT_FORCE:
		/*
		 * create and connect: the value holds from the start and after
		 * routing; the points of these this kernel lacks are dropped
		 * (force_policy_unsupported())
		 */
		r->at = OG_AT_DEFAULT;
		r->at_default = true;
		r->on_change = OG_ONCHANGE_REWRITE;
		if (!k[RK_VALUE])
			perr(ps, s->line, "force needs a value");
		else if (!rule_value(ps, r, k[RK_VALUE]->line, k[RK_VALUE]->val, &r->value))
			r->has_value = true;
		/* bpf_setsockopt takes SO_MAX_PACING_RATE as an int only */
		if (r->has_value && r->opt && (r->opt->kread & OG_KR_U64) &&
		    (__u64)r->value.num > UINT32_MAX) {
			perr(ps, k[RK_VALUE]->line, "force value '%s' for %s does not fit 32 bits "
			     "(bpf_setsockopt takes an int)", k[RK_VALUE]->val, r->opt->name);
			r->has_value = false;
		}
		if (k[RK_AT])
			rule_at(ps, r, k[RK_AT]);
		if (k[RK_ON_CHANGE] && (v = parse_enum(ps, k[RK_ON_CHANGE], on_changes)) >= 0)
			r->on_change = (enum og_on_change)v;
		if (k[RK_TELEMETRY] && (v = parse_enum(ps, k[RK_TELEMETRY], on_offs)) >= 0)
			r->telemetry = v == 0;
		if (k[RK_ON_UNFORCEABLE] &&
		    (v = parse_enum(ps, k[RK_ON_UNFORCEABLE], unforceables)) >= 0)
			r->deny_unforceable = v == 1;
		if (r->on_change == OG_ONCHANGE_DENY)
			r->err = EPERM;
		if (k[RK_ERRNO] && r->on_change != OG_ONCHANGE_DENY)
			perr(ps, k[RK_ERRNO]->line,
			     "key 'errno' applies to force only with on_change = deny");
		else if (k[RK_ERRNO] && errno_parse(k[RK_ERRNO]->val, &r->err))
			bad_errno(ps, k[RK_ERRNO]);
		break;
	default:
		break;
	}
}

void rule_build(struct parser *ps, struct og_policy *p, const struct section *s,
		struct og_rule_def *r, bool *bad)
{
	const struct kv *k[RK_N];
	bool opt_ok = false;
	size_t i;

	r->name = pstrdup(ps, s->name);
	r->line = s->line;
	collect(ps, s, rule_keys, RK_N, k);

	if (k[RK_SCOPE] && strcmp(k[RK_SCOPE]->val, "*")) {
		long si = nh_get(&ps->scope_names, SEC_SCOPE, k[RK_SCOPE]->val);

		i = si < 0 ? p->nscopes : (size_t)si;
		if (i == p->nscopes) {
			perr(ps, k[RK_SCOPE]->line, "unknown scope '%s'", k[RK_SCOPE]->val);
			*bad = true;
		} else {
			r->scope = &p->scopes[i];
			*bad |= ps->scope_bad[i];
		}
	}
	if (!k[RK_OPTION]) {
		perr(ps, s->line, "rule '%s' has no option", s->name);
		*bad = true;
	} else if (rule_options(ps, r, k[RK_OPTION])) {
		*bad = true;
	} else {
		r->vtype = r->opt ? r->opt->vtype : OG_VT_OPAQUE;
		opt_ok = true;
	}
	if (!k[RK_ACTION])
		perr(ps, s->line, "rule '%s' has no action", s->name);
	else if (opt_ok)
		rule_action(ps, s, r, k);
	else
		parse_enum(ps, k[RK_ACTION], action_names);	/* values need the option */
}
