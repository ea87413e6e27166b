// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parser's messages: recorded with their line while the file is read and
 * checked, then handed over in line order as "FILE:LINE: text" (struct og_diag).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

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

static int msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void flush_msgs(struct parser *ps, struct og_diag *diag)
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
