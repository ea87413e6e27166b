// SPDX-License-Identifier: GPL-2.0-only
/* Which rules a compat caller or a control message gets past (gaps.h). */
#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "gaps.h"

/* Is (level, optname) an option a sendmsg control message sets (bpf/lsm/sendmsg.bpf.c)? */
static bool gaps_cmsg_option(int level, int optname)
{
	switch (level) {
	case 0:		/* IP_TOS, IP_TTL */
		return optname == 1 || optname == 2;
	case 1:		/* SO_PRIORITY, SO_MARK */
		return optname == 12 || optname == 36;
	case 41:	/* IPV6_UNICAST_HOPS (cmsg IPV6_HOPLIMIT), IPV6_TCLASS */
		return optname == 16 || optname == 67;
	}
	return false;
}

/* What the rule does at setsockopt, as the programs read it (encode_rule) */
static int rule_action(const struct og_rule_def *d, bool *by_value)
{
	struct og_rule r;

	if (encode_rule(d, 0, &r))
		return OG_ACT_NONE;
	*by_value = r.action == OG_ACT_REWRITE || r.action == OG_ACT_CLAMP ||
		    (r.action == OG_ACT_DENY && r.nexcept);
	return r.action;
}

static bool in_gap(const struct og_rule_def *d, enum og_gap which)
{
	bool by_value = false;
	int a = rule_action(d, &by_value);

	if (a == OG_ACT_NONE || a == OG_ACT_ALLOW)
		return false;
	switch (which) {
	case OG_GAP_COMPAT_ALL:
		return true;
	case OG_GAP_COMPAT_VALUE:
		return by_value;
	case OG_GAP_CMSG:
		return gaps_cmsg_option(d->level, d->optname);
	}
	return false;
}

bool policy_needs_cmsg(const struct og_policy *p)
{
	size_t i;

	if (p->default_action == OG_ACT_DENY)
		return true;
	for (i = 0; i < p->nrules; i++)
		if (in_gap(&p->rules[i], OG_GAP_CMSG))
			return true;
	return false;
}

size_t gaps_list(const struct og_policy *p, enum og_gap which, char *buf, size_t len)
{
	size_t i, n = 0, pos = 0;
	bool cut = false;
	int w;

	if (len)
		buf[0] = '\0';
	for (i = 0; i <= p->nrules; i++) {
		const char *name;

		if (i < p->nrules) {
			if (!in_gap(&p->rules[i], which))
				continue;
			name = p->rules[i].name;
		} else {
			if (which == OG_GAP_COMPAT_VALUE || p->default_action != OG_ACT_DENY)
				break;
			name = "default = deny";
		}
		n++;
		if (cut)
			continue;
		w = snprintf(buf + pos, len > pos ? len - pos : 0, "%s%s", n > 1 ? ", " : "", name);
		if (w > 0 && pos + w < len) {
			pos += w;
		} else {
			cut = true;
			if (len > 4)
				memcpy(buf + len - 4, "...", 4);	/* cut: say so */
		}
	}
	return n;
}
