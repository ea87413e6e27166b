// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks of the policy as a whole, once every section is built: rules the
 * kernel could not tell apart (the same key: expand.c), too many options
 * forced, and the warning for a family member a rule leaves open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "parser.h"

/*
 * A socket's plan (optguard.h) has room for OG_FORCE_MAX options: a policy
 * may force at most that many distinct options at create, connect and
 * established.  Each rule naming one more is an error.
 */
static void check_force_count(struct parser *ps, const struct og_policy *p)
{
	struct { int level, optname; } seen[OG_FORCE_MAX];
	size_t i, j, o, n = 0;

	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];

		if (ps->rule_bad[i] || !rule_forces_at(r))
			continue;
		for (o = 0; o < rule_nopts(r); o++) {
			struct og_optref m = rule_opt(r, o);

			if (!optref_forceable(m))
				continue;	/* a family's other options: on_change only */
			for (j = 0; j < n; j++)
				if (seen[j].level == m.level && seen[j].optname == m.optname)
					break;
			if (j < n)
				continue;	/* an option already counted */
			if (n == OG_FORCE_MAX) {
				perr(ps, r->line, "rule %s forces %s: a policy can force at most "
				     "%d options at create, connect and established", r->name,
				     m.opt->name, OG_FORCE_MAX);
				continue;
			}
			seen[n].level = m.level;
			seen[n].optname = m.optname;
			n++;
		}
	}
}

/* expand_duplicates(): two rules for one option whose scopes share a key. */
static void conflict(void *ctx, size_t first, size_t later, int level, int optname)
{
	struct parser *ps = ctx;
	const struct og_policy *p = ps->pol;
	const struct og_rule_def *q = &p->rules[first], *r = &p->rules[later];
	char label[64], via[300];

	optref_label(level, optname, label, sizeof(label));
	/* a family rule and a rule for one of its options: say which family */
	via[0] = '\0';
	if (q->optspec && r->optspec)
		snprintf(via, sizeof(via), " ('%s' has option = %s; '%s' option = %s)",
			 q->name, q->optspec, r->name, r->optspec);
	else if (q->optspec || r->optspec)
		snprintf(via, sizeof(via), " ('%s' has option = %s)",
			 q->optspec ? q->name : r->name,
			 q->optspec ? q->optspec : r->optspec);
	if (q->scope == r->scope)
		perr(ps, r->line, "rules '%s' and '%s' (line %d) both decide %s in "
		     "scope '%s'%s", r->name, q->name, q->line, label,
		     r->scope ? r->scope->name : "*", via);
	else
		perr(ps, r->line,
		     "rules '%s' and '%s' (line %d) both decide %s for the "
		     "same cgroup and uid (scopes '%s' and '%s'): the kernel "
		     "cannot tell them apart%s",
		     r->name, q->name, q->line, label,
		     r->scope ? r->scope->name : "*",
		     q->scope ? q->scope->name : "*", via);
}

/*
 * The kernel finds a rule by (option, uid, cgroup id): two rules for one
 * option whose scopes share such a key cannot both be installed.
 */
static void check_conflicts(struct parser *ps, const struct og_policy *p)
{
	ps->pol = p;
	if (expand_duplicates(p, NULL, ps->rule_bad, conflict, ps))
		ps->oom = true;
}

/*
 * Which scopes have a rule for each option some rule may leave open (the
 * `sibling` options of og_siblings): covered[k * (nscopes + 1) + 1 + scope
 * index], 0 for '*'.  One pass over the rules, so a big policy checks in O(n).
 */
struct sib_cover {
	const struct og_option *opt[16];
	size_t nopt, width;
	bool *covered;
};

/* The row of @o in @sc, or -1 when it is no rule's sibling. */
static long sib_row(const struct sib_cover *sc, const struct og_option *o)
{
	size_t k;

	for (k = 0; o && k < sc->nopt; k++)
		if (sc->opt[k] == o)
			return (long)k;
	return -1;
}

static int sib_cover_build(const struct parser *ps, const struct og_policy *p,
			   struct sib_cover *sc)
{
	const struct og_option *o;
	size_t i, j;
	long k;

	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < og_siblings_count; i++) {
		o = option_by_name(og_siblings[i].sibling);
		if (sib_row(sc, o) < 0 && sc->nopt < sizeof(sc->opt) / sizeof(sc->opt[0]))
			sc->opt[sc->nopt++] = o;
	}
	sc->width = p->nscopes + 1;
	sc->covered = calloc(sc->nopt * sc->width, sizeof(*sc->covered));
	if (!sc->covered)
		return -ENOMEM;
	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];

		if (ps->rule_bad[i])
			continue;
		for (j = 0; j < rule_nopts(r); j++) {
			k = sib_row(sc, rule_opt(r, j).opt);
			if (k >= 0)
				sc->covered[k * sc->width + (r->scope ? r->scope - p->scopes + 1 : 0)] =
					true;
		}
	}
	return 0;
}

/*
 * A rule that constrains one option of a family (options.c) while another
 * member sets the same value unchecked: SO_RCVBUFFORCE past an SO_RCVBUF
 * clamp, IPV6_TCLASS past an IP_TOS rule.  The sibling counts as decided
 * when a rule for it has r's scope or '*' (it then decides for every caller
 * r decides for).  Warned of, not refused: the policy may mean it, and
 * default = deny or a rule for the sibling silences it.
 */
static void check_siblings(struct parser *ps, const struct og_policy *p)
{
	static const char *const verbs[OG_ACT_MAX] = {
		[OG_ACT_DENY] = "denies", [OG_ACT_REWRITE] = "rewrites",
		[OG_ACT_CLAMP] = "clamps", [OG_ACT_FORCE] = "forces",
	};
	const char *warned[OG_RULE_OPTS_MAX * 2], *spec;
	const struct og_family *f;
	struct sib_cover sc;
	size_t i, j, o, s, w, nw;
	long k;

	if (p->default_action == OG_ACT_DENY)
		return;	/* an option no rule names is denied */
	if (sib_cover_build(ps, p, &sc)) {
		ps->oom = true;
		return;
	}
	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];

		if (ps->rule_bad[i] || (unsigned int)r->action >= OG_ACT_MAX || !verbs[r->action])
			continue;	/* allow and audit leave nothing to go around */
		nw = 0;
		for (o = 0; o < rule_nopts(r); o++) {
			const struct og_option *m = rule_opt(r, o).opt;

			for (s = 0; m && s < og_siblings_count; s++) {
				const struct og_sibling *sb = &og_siblings[s];
				const struct og_option *so;

				if (strcmp(sb->opt, m->name))
					continue;
				so = option_by_name(sb->sibling);
				if (rule_has_opt(r, so->level, so->optname))
					continue;
				k = sib_row(&sc, so);
				if (sc.covered[k * sc.width] ||
				    (r->scope && sc.covered[k * sc.width + (r->scope - p->scopes) + 1]))
					continue;
				for (w = 0; w < nw && strcmp(warned[w], sb->fix); w++)
					;
				if (w < nw)
					continue;	/* one warning per family left open */
				if (nw < sizeof(warned) / sizeof(warned[0]))
					warned[nw++] = sb->fix;
				spec = r->optspec ? r->optspec : m->name;
				f = family_by_name(sb->fix);
				for (j = 0; j < OG_FAMILY_MAX && f->members[j]; j++)
					if (!strcmp(f->members[j], m->name))
						break;
				if (j < OG_FAMILY_MAX && f->members[j])
					pwarn(ps, r->line, "warning: rule %s %s %s but not %s, %s; "
					      "use option = %s or add a rule for it", r->name,
					      verbs[r->action], spec, so->name, sb->why, sb->fix);
				else
					pwarn(ps, r->line, "warning: rule %s %s %s but not %s, %s; "
					      "use option = %s, %s or add a rule for it", r->name,
					      verbs[r->action], spec, so->name, sb->why, spec,
					      sb->fix);
			}
		}
	}
	free(sc.covered);
}

/*
 * Keys of a force rule that its points make moot: warned of (the file
 * still says what it means, and a later `at` may need them).
 */
static void check_force_keys(struct parser *ps, const struct og_policy *p)
{
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];

		if (ps->rule_bad[i] || !rule_forces_at(r))
			continue;
		if (r->deny_unforceable && !(r->at & (OG_AT_CONNECT | OG_AT_SEND)))
			pwarn(ps, r->line, "warning: rule %s: on_unforceable = deny refuses a "
			      "connect or a send, and the rule forces at neither (at = %s%s%s)",
			      r->name, r->at & OG_AT_CREATE ? "create" : "",
			      (r->at & OG_AT_CREATE) && (r->at & OG_AT_ESTABLISHED) ? ", " : "",
			      r->at & OG_AT_ESTABLISHED ? "established" : "");
		if (r->telemetry && !(r->at & (OG_AT_CREATE | OG_AT_CONNECT | OG_AT_ESTABLISHED)))
			pwarn(ps, r->line, "warning: rule %s: telemetry = on accounts TCP sockets, "
			      "and the rule forces at send only (unconnected UDP): it has none to "
			      "account", r->name);
	}
}

void validate(struct parser *ps, struct og_policy *p)
{
	size_t i;

	check_conflicts(ps, p);
	check_force_count(ps, p);
	check_cgns(ps, p);
	/* warnings for a policy that loads: errors are what to fix first */
	for (i = 0; i < ps->nmsgs && !ps->msgs[i].error; i++)
		;
	if (i == ps->nmsgs && !ps->oom) {
		check_siblings(ps, p);
		check_delegation(ps, p);
		check_force_keys(ps, p);
	}
}
