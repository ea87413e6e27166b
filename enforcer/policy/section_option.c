// SPDX-License-Identifier: GPL-2.0-only
/* Pass 2 of the parser: the option key of a rule (one option, a family, or a list). */
#include <stdlib.h>
#include <string.h>

#include "section.h"

/* Add one option to @refs unless there: 0, or -1 after an error. */
static int optref_add(struct parser *ps, const struct kv *kv, struct og_optref *refs, size_t *n,
		      const char *item, const struct og_option *o, int level, int optname)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (refs[i].level == level && refs[i].optname == optname) {
			perr(ps, kv->line, "option '%s' names %s twice", kv->val, item);
			return -1;
		}
	}
	if (*n == OG_RULE_OPTS_MAX) {
		perr(ps, kv->line, "option '%s' names more than %d options", kv->val,
		     OG_RULE_OPTS_MAX);
		return -1;
	}
	refs[(*n)++] = (struct og_optref){ .opt = o, .level = level, .optname = optname };
	return 0;
}

/*
 * option = NAME, LEVEL:OPTNAME, a family (DSCP, SO_RCVBUF* ...) or a list of
 * them: one rule for all, so every option must take the same values.
 * 0, or -1 after an error.
 */
int rule_options(struct parser *ps, struct og_rule_def *r, const struct kv *kv)
{
	struct og_optref refs[OG_RULE_OPTS_MAX] = {};
	const struct og_family *f;
	const struct og_option *o;
	char *store, **items;
	size_t n = 0, j;
	long ni, i;
	int level, optname, ret = 0;

	ni = split_list(ps, kv, &store, &items);
	if (ni < 0)
		return -1;
	for (i = 0; i < ni && !ret; i++) {
		f = family_by_name(items[i]);
		for (j = 0; f && j < OG_FAMILY_MAX && f->members[j] && !ret; j++) {
			o = option_by_name(f->members[j]);
			ret = optref_add(ps, kv, refs, &n, o->name, o, o->level, o->optname);
		}
		if (f)
			continue;
		if (option_parse(items[i], &o, &level, &optname)) {
			perr(ps, kv->line, "unknown option '%s' (a name or family from `optguard "
			     "options`, or LEVEL:OPTNAME)", items[i]);
			ret = -1;
		} else {
			ret = optref_add(ps, kv, refs, &n, items[i], o, level, optname);
		}
	}
	for (j = 1; j < n && !ret; j++) {
		enum og_vtype a = refs[0].opt ? refs[0].opt->vtype : OG_VT_OPAQUE;
		enum og_vtype b = refs[j].opt ? refs[j].opt->vtype : OG_VT_OPAQUE;

		if (a != b) {
			perr(ps, kv->line, "option '%s': %s takes %s values and %s %s values: "
			     "a rule covers options of one value type", kv->val,
			     refs[0].opt ? refs[0].opt->name : items[0], vtype_name(a),
			     refs[j].opt ? refs[j].opt->name : "the other", vtype_name(b));
			ret = -1;
		}
	}
	if (!ret) {
		r->opt = refs[0].opt;
		r->level = refs[0].level;
		r->optname = refs[0].optname;
		if (n > 1) {
			r->more = calloc(n - 1, sizeof(*r->more));
			f = ni == 1 ? family_by_name(items[0]) : NULL;
			r->optspec = pstrdup(ps, f ? f->name : kv->val);
			if (!r->more)
				ps->oom = true;
			else
				memcpy(r->more, refs + 1, (n - 1) * sizeof(*r->more));
			r->nmore = r->more ? n - 1 : 0;
		}
	}
	free(items);
	free(store);
	return ret;
}
