// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pass 1 of the policy parser: inih splits the file into sections and keys,
 * and every key is recorded with its line (struct parser).  inih has limits
 * this works around: it never reports a section header to us (classify()
 * records them), it would take an indented line for a continuation, split a
 * line longer than its buffer and miscount the lines after it, and it stops
 * at a ';' after a blank; such lines are handled here, with our own errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "parser.h"

#define NAME_MAX_LEN	63

/* A copy of @s that lives until parser_free(). */
static char *astrdup(struct parser *ps, const char *s)
{
	char *d = arena_strdup(&ps->arena, s);

	if (!d)
		ps->oom = true;
	return d;
}

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

void lex(struct parser *ps)
{
	const char *p0, *buf = ps->buf;
	size_t i, n, len = ps->len;

	/* about one section per '[': the index of their names never grows while it fills */
	for (i = 0, p0 = buf; (p0 = memchr(p0, '[', buf + len - p0)); p0++)
		i++;
	for (n = 1, p0 = buf; (p0 = memchr(p0, '\n', buf + len - p0)); p0++)
		n++;
	/* and at most a key per line: what is never used of these is never touched */
	ps->secs = malloc((i + 1) * sizeof(*ps->secs));
	ps->kvs = malloc(n * sizeof(*ps->kvs));
	if (!ps->secs || !ps->kvs || nh_reserve(&ps->sec_names, i))
		ps->oom = true;
	ps->secs_cap = ps->secs ? i + 1 : 0;
	ps->kvs_cap = ps->kvs ? n : 0;
	/* any inih error but -2 is on a line classify() let through: it has reported it */
	if (ini_parse_stream(read_line, ps, on_key, ps) == -2)
		ps->oom = true;
	for (i = 0; i < ps->nsecs; i++)
		ps->secs[i].kvs = ps->kvs ? ps->kvs + ps->secs[i].kv_first : NULL;
}
