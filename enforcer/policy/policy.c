// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy file (optguard.ini(5), docs/optguard.ini.5): inih splits it into sections and
 * keys, then every section is validated into struct og_policy.  Like
 * `nginx -t`, parsing goes on after an error so that one run shows them all.
 *
 * Two passes: the first (inih) only records every key with its line; the
 * second validates.  That makes the file order-free (a rule may name a scope
 * defined below it) and lets every message carry the line of its key.
 *
 * Choices the SPEC leaves open:
 *  - [enforcer] also takes default_errno (the errno of default = deny, EPERM).
 *  - force without `at` applies at create and connect: the socket carries the
 *    value from its first moment and again once its route is known.
 *  - errno on a force rule is only valid with on_change = deny.
 *  - a scope without selectors is accepted with a warning: it is '*'.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ini.h>

#include "cgroup.h"
#include "policy_int.h"
#include "sha256.h"

#define NAME_MAX_LEN	63
/*
 * The largest policy file read (optguard.ini(5)): 64 MiB, some 600k rules
 * written plainly; a bound on what a typo (a log file named as the policy)
 * makes the daemon read into memory.
 */
#define POLICY_MAX_SIZE	(64 << 20)

static size_t nh_hash(int kind, const char *name)
{
	size_t h = 14695981039346656037ull ^ (size_t)kind;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return h ^ (h >> 29);	/* FNV's low bits alone index the table poorly */
}

long nh_get(const struct name_hash *h, int kind, const char *name)
{
	size_t hash, i;
	unsigned int tag;

	if (!h->cap)
		return -1;
	hash = nh_hash(kind, name);
	tag = (unsigned int)(hash >> 32);
	for (i = hash & (h->cap - 1); h->e[i].name; i = (i + 1) & (h->cap - 1))
		if (h->e[i].tag == tag && h->e[i].kind == kind && !strcmp(h->e[i].name, name))
			return h->e[i].idx;
	return -1;
}

static int nh_grow(struct name_hash *h, size_t cap)
{
	struct name_hash g = { .cap = cap };
	size_t i, j;

	g.e = calloc(g.cap, sizeof(*g.e));
	if (!g.e)
		return -ENOMEM;
	for (i = 0; i < h->cap; i++) {
		if (!h->e[i].name)
			continue;
		for (j = (nh_hash(h->e[i].kind, h->e[i].name)) & (g.cap - 1); g.e[j].name;
		     j = (j + 1) & (g.cap - 1))
			;
		g.e[j] = h->e[i];
		g.n++;
	}
	free(h->e);
	*h = g;
	return 0;
}

int nh_reserve(struct name_hash *h, size_t n)
{
	size_t cap = h->cap ? h->cap : 64;

	while ((h->n + n) * 2 > cap)
		cap *= 2;
	return cap > h->cap ? nh_grow(h, cap) : 0;
}

long nh_add(struct name_hash *h, int kind, const char *name, long idx)
{
	size_t hash, i;
	unsigned int tag;

	if ((h->n + 1) * 2 > h->cap && nh_grow(h, h->cap ? h->cap * 2 : 64))
		return -ENOMEM;
	hash = nh_hash(kind, name);
	tag = (unsigned int)(hash >> 32);
	for (i = hash & (h->cap - 1); h->e[i].name; i = (i + 1) & (h->cap - 1))
		if (h->e[i].tag == tag && h->e[i].kind == kind && !strcmp(h->e[i].name, name))
			return h->e[i].idx;
	h->e[i] = (struct name_ent){ .name = name, .tag = tag, .kind = kind, .idx = idx };
	h->n++;
	return -1;
}

int nh_put(struct name_hash *h, int kind, const char *name, long idx)
{
	size_t hash, i;

	if ((h->n + 1) * 2 > h->cap && nh_grow(h, h->cap ? h->cap * 2 : 64))
		return -ENOMEM;
	hash = nh_hash(kind, name);
	for (i = hash & (h->cap - 1); h->e[i].name; i = (i + 1) & (h->cap - 1))
		;
	h->e[i] = (struct name_ent){ .name = name, .tag = (unsigned int)(hash >> 32), .kind = kind,
				     .idx = idx };
	h->n++;
	return 0;
}

void nh_free(struct name_hash *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/*
 * Messages quote what the file says, and a file can hold anything: bytes
 * that are not printable ASCII become \xNN, so that a binary file cannot
 * send escape sequences to the terminal or split a message over lines.
 * Frees @s; NULL when out of memory.
 */
static char *escape_text(char *s)
{
	const unsigned char *p;
	size_t n = 0;
	char *e, *o;

	for (p = (const unsigned char *)s; *p; p++)
		n += *p < 0x20 || *p > 0x7e ? 4 : 1;
	if (n == strlen(s))
		return s;
	e = malloc(n + 1);
	if (e) {
		for (o = e, p = (const unsigned char *)s; *p; p++) {
			if (*p < 0x20 || *p > 0x7e)
				o += sprintf(o, "\\x%02x", *p);
			else
				*o++ = (char)*p;
		}
		*o = '\0';
	}
	free(s);
	return e;
}

void pmsg(struct parser *ps, bool error, int line, const char *fmt, ...)
{
	struct msg *m;
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		ps->oom = true;
		return;
	}
	text = escape_text(text);
	if (!text) {
		ps->oom = true;
		return;
	}
	m = realloc(ps->msgs, (ps->nmsgs + 1) * sizeof(*m));
	if (!m) {
		free(text);
		ps->oom = true;
		return;
	}
	ps->msgs = m;
	m[ps->nmsgs] = (struct msg){ .line = line, .seq = ps->nmsgs, .error = error,
				     .text = text };
	ps->nmsgs++;
}

char *pstrdup(struct parser *ps, const char *s)
{
	char *d = strdup(s);

	if (!d)
		ps->oom = true;
	return d;
}

/*
 * A copy of @s that lives until parser_free(): keys, values and section
 * names, tens of thousands in a big policy, without a malloc() each (P6).
 */
static char *astrdup(struct parser *ps, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = ps->arena;
	char *d;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c) {
			ps->oom = true;
			return NULL;
		}
		c->next = ps->arena;
		c->used = 0;
		c->cap = cap;
		ps->arena = c;
	}
	d = c->data + c->used;
	c->used += n;
	memcpy(d, s, n);
	return d;
}

/* ---- pass 1: inih ---------------------------------------------------- */

static bool valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static void section_open(struct parser *ps, const char *title, int line)
{
	enum sec_kind kind = SEC_BAD;
	const char *name = NULL;
	struct section *s;
	long i;

	if (!strcmp(title, "enforcer")) {
		kind = SEC_ENFORCER;
		name = "";
	} else if (!strncmp(title, "scope:", 6)) {
		kind = SEC_SCOPE;
		name = title + 6;
	} else if (!strncmp(title, "rule:", 5)) {
		kind = SEC_RULE;
		name = title + 5;
	} else {
		perr(ps, line, "unknown section [%s]", title);
	}
	if (kind != SEC_BAD && kind != SEC_ENFORCER && !valid_name(name)) {
		perr(ps, line,
		     "invalid name '%s' in [%s]: use up to %d letters, digits, '-', '_', '.'", name,
		     title, NAME_MAX_LEN);
		kind = SEC_BAD;
	}
	if (ps->nsecs == ps->secs_cap) {
		size_t ncap = ps->secs_cap ? ps->secs_cap * 2 : 16;

		s = realloc(ps->secs, ncap * sizeof(*s));
		if (!s) {
			ps->oom = true;
			return;
		}
		ps->secs = s;
		ps->secs_cap = ncap;
	}
	s = &ps->secs[ps->nsecs];
	*s = (struct section){ .kind = kind, .line = line, .kv_first = ps->nkvs,
			       .name = astrdup(ps, name ? name : "") };
	if (kind != SEC_BAD && s->name) {
		i = nh_add(&ps->sec_names, kind, s->name, ps->nsecs);
		if (i == -ENOMEM) {
			ps->oom = true;
		} else if (i >= 0) {
			/* its keys are dropped: they would only repeat the conflict */
			perr(ps, line, "duplicate section [%s] (first at line %d)", title,
			     ps->secs[i].line);
			s->kind = SEC_BAD;
		}
	}
	ps->cur = (long)ps->nsecs++;
}

/*
 * Check one line before inih sees it: section headers are recorded here
 * (inih calls the handler for keys only), lines inih would reject or
 * misread become blank after an error of our own that carries the line.
 */
static void classify(struct parser *ps, char *line)
{
	size_t n = strlen(line), i;
	char *close, *rest;

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
		     line[n - 1] == '\t'))
		n--;
	if (n == 0 || line[0] == ';' || line[0] == '#')
		return;
	if (line[0] == '[') {
		close = memchr(line, ']', n);
		if (!close) {
			perr(ps, ps->lineno, "section header without ']'");
			ps->cur = -2;	/* keys below belong nowhere: no error for each */
			goto blank;
		}
		rest = close + 1;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (rest < line + n && *rest != ';' && *rest != '#') {
			perr(ps, ps->lineno, "text after section header");
			ps->cur = -2;
			goto blank;
		}
		*close = '\0';
		section_open(ps, line + 1, ps->lineno);
		goto blank;
	}
	if (line[0] == '=' || line[0] == ':') {
		perr(ps, ps->lineno, "missing key name");
		goto blank;
	}
	/* inih ends the line at a ';' after a blank: a key must come before it */
	for (i = 0; i < n && line[i] != '=' && line[i] != ':'; i++) {
		if (line[i] == ';' && i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
			perr(ps, ps->lineno, "expected 'key = value' before the comment");
			goto blank;
		}
	}
	if (i == n) {
		perr(ps, ps->lineno, "expected 'key = value'");
		goto blank;
	}
	return;
blank:
	strcpy(line, "\n");
}

static int on_key(void *user, const char *section, const char *name, const char *value);

/*
 * A line longer than inih's buffer (INI_MAX_LINE, 200 in Debian's build),
 * such as a long cgroup list: split "key = value ; comment" the way inih
 * does (a ';' after a blank starts a comment) and hand it to on_key().
 */
static void long_line(struct parser *ps, const char *line, size_t n)
{
	char *copy = malloc(n + 1), *p, *key, *val, *e;

	if (!copy) {
		ps->oom = true;
		return;
	}
	memcpy(copy, line, n);
	copy[n] = '\0';
	classify(ps, copy);
	if (strchr(";#\n", copy[0]))	/* a comment, or blanked by classify() */
		goto out;
	for (p = copy; *p; p++) {
		if (*p == ';' && p > copy && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
	p = strpbrk(copy, "=:");
	if (p) {
		*p = '\0';
		key = copy;
		val = p + 1;
		for (e = key + strlen(key); e > key && strchr(" \t", e[-1]); e--)
			e[-1] = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		for (e = val + strlen(val); e > val && strchr(" \t\r\n", e[-1]); e--)
			e[-1] = '\0';
		on_key(ps, NULL, key, val);
	}
out:
	free(copy);
}

/* inih's ini_reader: one line of the buffer per call, counted. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	const char *line, *eol;
	size_t n;

	if (ps->pos >= ps->len || num < 2)
		return NULL;
	line = ps->buf + ps->pos;
	eol = memchr(line, '\n', ps->len - ps->pos);
	n = eol ? (size_t)(eol - line) + 1 : ps->len - ps->pos;
	ps->pos += n;
	ps->lineno++;
	if (ps->lineno == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		line += 3;
		n -= 3;
	}
	/*
	 * inih would take an indented line for the continuation of the previous
	 * value; and it skips every isspace() byte, so '\f[x=y]' would be a
	 * section header to it that classify() never saw
	 */
	while (n && (*line == ' ' || *line == '\t' || *line == '\v' || *line == '\f' ||
		     *line == '\r')) {
		line++;
		n--;
	}
	if (memchr(line, '\0', n)) {
		perr(ps, ps->lineno, "NUL byte in line");
		strcpy(str, "\n");
		return str;
	}
	/* inih would split a long line and miscount it: do its job for this one */
	if (n > (size_t)num - 1) {
		long_line(ps, line, n);
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	classify(ps, str);
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *ps = user;
	struct section *s;
	struct kv *kvs;

	(void)section;	/* ours is ps->cur: it also knows the header line */
	if (ps->cur == -1) {
		perr(ps, ps->lineno, "key '%s' outside a section", name);
		return 1;
	}
	if (ps->cur < 0)
		return 1;
	s = &ps->secs[ps->cur];
	if (s->kind == SEC_BAD)
		return 1;
	/* the keys of a section are contiguous: they follow its header, and only its */
	if (ps->nkvs == ps->kvs_cap) {
		size_t ncap = ps->kvs_cap ? ps->kvs_cap * 2 : 64;

		kvs = realloc(ps->kvs, ncap * sizeof(*kvs));
		if (!kvs) {
			ps->oom = true;
			return 1;
		}
		ps->kvs = kvs;
		ps->kvs_cap = ncap;
	}
	kvs = ps->kvs;
	kvs[ps->nkvs] = (struct kv){ .key = astrdup(ps, name), .val = astrdup(ps, value),
				     .line = ps->lineno };
	if (kvs[ps->nkvs].key && kvs[ps->nkvs].val) {
		ps->nkvs++;
		s->nkvs++;
	}
	return 1;
}

/* ---- whole-policy checks ------------------------------------------------ */

/* One (option, uid, cgroup id) key of a rule, as the kernel would install it. */
struct ckey {
	int level, optname;
	__u32 uid;
	__u64 cgid;
	size_t rule;
};

static int ckey_cmp(const void *a, const void *b)
{
	const struct ckey *x = a, *y = b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->optname != y->optname)
		return x->optname < y->optname ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->cgid != y->cgid)
		return x->cgid < y->cgid ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int add_ckeys(struct ckey **keys, size_t *n, size_t *cap, const struct og_rule_def *r,
		     size_t idx)
{
	const struct og_scope *s = r->scope;
	size_t nu = s && s->nuids ? s->nuids : 1, nc = s && s->ncgroups ? s->ncgroups : 1;
	size_t i, u, c;
	struct og_optref o;

	/* a family's options are keys of their own, each checked as if written alone */
	for (i = 0; i < rule_nopts(r) * nu * nc; i++) {
		o = rule_opt(r, i / (nu * nc));
		u = i / nc % nu;
		c = i % nc;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			struct ckey *k = realloc(*keys, ncap * sizeof(*k));

			if (!k)
				return -ENOMEM;
			*keys = k;
			*cap = ncap;
		}
		(*keys)[(*n)++] = (struct ckey){
			.level = o.level, .optname = o.optname,
			/* no uid is its own key (OG_UID_ANY), distinct from every real uid */
			.uid = s && s->nuids ? s->uids[u] : OG_UID_ANY,
			.cgid = s && s->ncgroups ? s->cgroups[c].id : 0,
			.rule = idx,
		};
	}
	return 0;
}

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

/*
 * The kernel finds a rule by (option, uid, cgroup id): two rules for one
 * option whose scopes share such a key cannot both be installed.  Sorting
 * the keys finds every such pair in O(n log n), whatever the policy size.
 */
static void check_conflicts(struct parser *ps, const struct og_policy *p)
{
	struct ckey *keys = NULL;
	size_t n = 0, cap = 0, i, first;
	bool *reported;
	char label[64], via[300];

	reported = calloc(p->nrules + 1, sizeof(*reported));
	if (!reported) {
		ps->oom = true;
		return;
	}
	for (i = 0; i < p->nrules; i++) {
		if (ps->rule_bad[i])
			continue;
		if (add_ckeys(&keys, &n, &cap, &p->rules[i], i)) {
			ps->oom = true;
			goto out;
		}
	}
	if (n)	/* qsort(NULL, 0, ...) is undefined */
		qsort(keys, n, sizeof(*keys), ckey_cmp);
	for (first = 0, i = 1; i < n; i++) {
		const struct og_rule_def *q, *r;

		if (ckey_cmp(&keys[first], &keys[i]) == 0)
			continue;	/* the same key of the same rule: cannot happen */
		if (keys[first].level != keys[i].level || keys[first].optname != keys[i].optname ||
		    keys[first].uid != keys[i].uid || keys[first].cgid != keys[i].cgid) {
			first = i;
			continue;
		}
		/* keys[first] is the earliest rule with this key; keys[i] a later one */
		if (reported[keys[i].rule] || keys[i].rule == keys[first].rule)
			continue;
		reported[keys[i].rule] = true;
		q = &p->rules[keys[first].rule];
		r = &p->rules[keys[i].rule];
		optref_label(keys[i].level, keys[i].optname, label, sizeof(label));
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
out:
	free(keys);
	free(reported);
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

static int msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Move the messages, in line order, into @diag as "FILE:LINE: text". */
static void flush_msgs(struct parser *ps, struct og_diag *diag)
{
	char **msgs;
	size_t i;

	if (ps->nmsgs)	/* qsort(NULL, 0, ...) is undefined */
		qsort(ps->msgs, ps->nmsgs, sizeof(*ps->msgs), msg_cmp);
	msgs = realloc(diag->msgs, (diag->nmsgs + ps->nmsgs) * sizeof(*msgs));
	if (!msgs && ps->nmsgs)
		ps->oom = true;
	for (i = 0; i < ps->nmsgs; i++) {
		struct msg *m = &ps->msgs[i];
		char *text = NULL;
		int n;

		if (m->line > 0)
			n = asprintf(&text, "%s:%d: %s", ps->file, m->line, m->text);
		else
			n = asprintf(&text, "%s: %s", ps->file, m->text);
		if (m->error)
			diag->nerrors++;
		if (msgs && n >= 0)
			msgs[diag->nmsgs++] = text;
		else
			ps->oom = true;
		free(m->text);
	}
	if (msgs)
		diag->msgs = msgs;
	free(ps->msgs);
	ps->msgs = NULL;
	ps->nmsgs = 0;
}

static void parser_free(struct parser *ps)
{
	struct arena_chunk *c, *next;
	size_t i;

	for (c = ps->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	free(ps->kvs);
	free(ps->secs);
	for (i = 0; i < ps->nmsgs; i++)
		free(ps->msgs[i].text);
	free(ps->msgs);
	free(ps->scope_bad);
	free(ps->rule_bad);
	nh_free(&ps->sec_names);
	nh_free(&ps->scope_names);
}

static struct og_policy *policy_new(struct parser *ps, const char *name)
{
	struct og_policy *p = calloc(1, sizeof(*p));
	size_t i, nscopes = 0, nrules = 0;

	if (!p) {
		ps->oom = true;
		return NULL;
	}
	for (i = 0; i < ps->nsecs; i++) {
		nscopes += ps->secs[i].kind == SEC_SCOPE;
		nrules += ps->secs[i].kind == SEC_RULE;
	}
	p->path = pstrdup(ps, name);
	p->mode = OG_MODE_ENFORCE;
	p->default_action = OG_ACT_ALLOW;
	p->default_err = EPERM;
	p->lsm = OG_LSM_AUTO;
	p->log = OG_LOG_JSON;
	p->log_file = pstrdup(ps, OG_DEFAULT_LOG_FILE);
	p->log_rate = OG_DEFAULT_LOG_RATE;
	p->pin_dir = pstrdup(ps, OG_DEFAULT_PIN_DIR);
	/* one allocation each: rules point into scopes */
	p->scopes = calloc(nscopes + 1, sizeof(*p->scopes));
	p->rules = calloc(nrules + 1, sizeof(*p->rules));
	ps->scope_bad = calloc(nscopes + 1, sizeof(*ps->scope_bad));
	ps->rule_bad = calloc(nrules + 1, sizeof(*ps->rule_bad));
	if (!p->scopes || !p->rules || !ps->scope_bad || !ps->rule_bad)
		ps->oom = true;
	return p;
}

int policy_load_buffer(const char *name, const char *buf, size_t len, struct og_policy **out,
		       struct og_diag *diag)
{
	struct parser ps = { .file = name, .buf = buf, .len = len, .cur = -1 };
	struct og_policy *p = NULL;
	const char *p0;
	size_t i, n;
	int ret;

	/* about one section per '[': the index of their names never grows while it fills */
	for (i = 0, p0 = buf; (p0 = memchr(p0, '[', buf + len - p0)); p0++)
		i++;
	for (n = 1, p0 = buf; (p0 = memchr(p0, '\n', buf + len - p0)); p0++)
		n++;
	/* and at most a key per line: what is never used of these is never touched */
	ps.secs = malloc((i + 1) * sizeof(*ps.secs));
	ps.kvs = malloc(n * sizeof(*ps.kvs));
	if (!ps.secs || !ps.kvs || nh_reserve(&ps.sec_names, i))
		ps.oom = true;
	ps.secs_cap = ps.secs ? i + 1 : 0;
	ps.kvs_cap = ps.kvs ? n : 0;
	ret = ini_parse_stream(read_line, &ps, on_key, &ps);
	if (ret == -2)
		ps.oom = true;
	for (i = 0; i < ps.nsecs; i++)
		ps.secs[i].kvs = ps.kvs ? ps.kvs + ps.secs[i].kv_first : NULL;
	/* any other inih error is on a line classify() let through: it has reported it */
	if (!ps.oom)
		p = policy_new(&ps, name);
	if (!ps.oom) {
		enforcer_build(&ps, p);
		for (i = 0; i < ps.nsecs; i++)
			if (ps.secs[i].kind == SEC_SCOPE)
				scope_build(&ps, p, &ps.secs[i], &p->scopes[p->nscopes],
					    &ps.scope_bad[p->nscopes]), p->nscopes++;
		if (nh_reserve(&ps.scope_names, p->nscopes))
			ps.oom = true;
		for (i = 0; i < p->nscopes && !ps.oom; i++)
			if (p->scopes[i].name &&
			    nh_put(&ps.scope_names, SEC_SCOPE, p->scopes[i].name, i))
				ps.oom = true;
		for (i = 0; i < ps.nsecs; i++)
			if (ps.secs[i].kind == SEC_RULE)
				rule_build(&ps, p, &ps.secs[i], &p->rules[p->nrules],
					   &ps.rule_bad[p->nrules]), p->nrules++;
		check_conflicts(&ps, p);
		check_force_count(&ps, p);
		/* warnings for a policy that loads: errors are what to fix first */
		for (i = 0; i < ps.nmsgs && !ps.msgs[i].error; i++)
			;
		if (i == ps.nmsgs && !ps.oom)
			check_siblings(&ps, p);
	}
	if (ps.oom)
		perr(&ps, 0, "out of memory");
	ret = ps.oom ? -ENOMEM : 0;
	for (i = 0; i < ps.nmsgs && !ret; i++)
		if (ps.msgs[i].error)
			ret = -EINVAL;
	flush_msgs(&ps, diag);
	parser_free(&ps);
	if (ret) {
		policy_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

int policy_load_fd(const char *path, int fd, struct og_policy **out, struct og_diag *diag)
{
	struct parser ps = { .file = path };
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ret;

	f = fdopen(fd, "r");
	if (!f) {
		ret = -errno;
		close(fd);
		perr(&ps, 0, "%s", strerror(-ret));
		flush_msgs(&ps, diag);
		return ret;
	}
	if (fstat(fileno(f), &st) == 0) {
		/* fopen() takes a directory; reading it would only say "read error" */
		if (S_ISDIR(st.st_mode)) {
			ret = -EISDIR;
			perr(&ps, 0, "%s", strerror(EISDIR));
			goto fail;
		}
		if (S_ISREG(st.st_mode) && st.st_size > POLICY_MAX_SIZE) {
			ret = -EFBIG;
			perr(&ps, 0, "file too large: %lld bytes, the limit is %d MiB",
			     (long long)st.st_size, POLICY_MAX_SIZE >> 20);
			goto fail;
		}
		/* the file's size, +1 to see its end in one read: no copy as it grows */
		if (S_ISREG(st.st_mode))
			cap = (size_t)st.st_size + 1;
	}
	buf = malloc(cap ? cap : 1);
	if (!buf) {
		ret = -ENOMEM;
		perr(&ps, 0, "out of memory");
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			/* a pipe, or a file that grew: up to the limit and one byte more */
			if (len > POLICY_MAX_SIZE) {
				ret = -EFBIG;
				perr(&ps, 0, "file too large: more than %d MiB, the limit",
				     POLICY_MAX_SIZE >> 20);
				goto fail;
			}
			cap = !cap ? 8192 : cap * 2 > POLICY_MAX_SIZE + 1 ? POLICY_MAX_SIZE + 1 :
			      cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				perr(&ps, 0, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		perr(&ps, 0, "read error: %s", strerror(-ret));
		goto fail;
	}
	fclose(f);
	ret = policy_load_buffer(path, buf, len, out, diag);
	/* the hash of the bytes parsed: `status` describes the policy in force, not the file now */
	if (!ret)
		sha256_hex(buf, len, (*out)->sha256);
	free(buf);
	return ret;
fail:
	fclose(f);
	free(buf);
	flush_msgs(&ps, diag);
	return ret;
}

int policy_load(const char *path, struct og_policy **out, struct og_diag *diag)
{
	struct parser ps = { .file = path };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int ret = -errno;

		perr(&ps, 0, "%s", strerror(-ret));
		flush_msgs(&ps, diag);
		return ret;
	}
	return policy_load_fd(path, fd, out, diag);
}

void policy_free(struct og_policy *p)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < p->nscopes; i++) {
		for (j = 0; j < p->scopes[i].ncgroups; j++)
			free(p->scopes[i].cgroups[j].path);
		free(p->scopes[i].cgroups);
		free(p->scopes[i].uids);
		free(p->scopes[i].name);
	}
	free(p->scopes);
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].except);
		free(p->rules[i].more);
		free(p->rules[i].optspec);
	}
	free(p->rules);
	free(p->path);
	free(p->cgroup);
	free(p->log_file);
	free(p->pin_dir);
	free(p->metrics);
	free(p);
}

void diag_free(struct og_diag *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nmsgs; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->nmsgs = 0;
	d->nerrors = 0;
}

/* ---- precedence (mirrors the kernel lookup in bpf/optguard.h) ------------ */

int scope_rank(const struct og_scope *s, const char *cgroup_path, __u32 uid)
{
	char norm[PATH_MAX];
	int deepest = -1;
	size_t i;
	bool uid_ok = false;

	if (!s || (!s->ncgroups && !s->nuids))
		return 0;
	for (i = 0; i < s->nuids; i++)
		uid_ok |= s->uids[i] == uid;
	if (s->nuids && !uid_ok)
		return -1;
	if (!s->ncgroups)
		return 1;
	if (!cgroup_path || path_normalize(cgroup_path, norm, sizeof(norm)))
		return -1;
	for (i = 0; i < s->ncgroups; i++)
		if (path_within(norm, s->cgroups[i].path) && s->cgroups[i].level > deepest)
			deepest = s->cgroups[i].level;
	if (deepest < 0)
		return -1;
	return 2 * (deepest + 1) + (s->nuids ? 1 : 0);
}

const struct og_rule_def *policy_match(const struct og_policy *p, int level, int optname,
				       const char *cgroup_path, __u32 uid)
{
	const struct og_rule_def *best = NULL;
	int best_rank = -1, rank;
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];

		if (!rule_has_opt(r, level, optname))
			continue;
		rank = scope_rank(r->scope, cgroup_path, uid);
		if (rank > best_rank) {
			best = r;
			best_rank = rank;
		}
	}
	return best;
}
