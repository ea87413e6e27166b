// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the decision-event formatter, event_format() in
 * events.c.  The input is a struct og_event as the kernel could send it
 * (every field arbitrary), a time, a buffer length, then the rule name and
 * the cgroup path separated by a NUL.  Checked on every input:
 *  - the output is NUL terminated inside the buffer, whatever its length;
 *  - with room enough, the return is the length and a JSON line is one valid
 *    JSON object (a strict RFC 8259 validator below, UTF-8 included);
 *  - a text line is printable ASCII only (no newline can split a log line);
 *  - a deny claims no effective value (null, or - in text);
 *  - with too little room, -ENOSPC and a prefix of the full line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIG	(1 << 16)	/* room for any line of an input libFuzzer makes */

static void die(const char *what, const char *line)
{
	fprintf(stderr, "fuzz_event: %s: '%s'\n", what, line);
	abort();
}

/* ---- a strict JSON validator: returns the end of the value, or NULL ---- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence at s, or 0 (overlongs, surrogates refused). */
static size_t utf8(const unsigned char *s)
{
	unsigned int cp, i, n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static const char *jstring(const char *p)
{
	size_t n;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;	/* raw control character or the end */
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				if (!hex(p[1]) || !hex(p[2]) || !hex(p[3]) || !hex(p[4]))
					return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		n = utf8((const unsigned char *)p);
		if (!n)
			return NULL;
		p += n;
	}
	return p + 1;
}

static const char *jnumber(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *jvalue(const char *p, int depth);

static const char *jcontainer(const char *p, int depth, char close)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = jstring(p);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = jvalue(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

static const char *jvalue(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = ws(p);
	switch (*p) {
	case '{':
		return jcontainer(p, depth, '}');
	case '[':
		return jcontainer(p, depth, ']');
	case '"':
		return jstring(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return jnumber(p);
	}
}

static void check_json(const char *line)
{
	const char *end;

	if (line[0] != '{')
		die("JSON line is not an object", line);
	end = jvalue(line, 0);
	if (!end || *ws(end))
		die("invalid JSON", line);
}

static void check_text(const char *line)
{
	const unsigned char *p;

	for (p = (const unsigned char *)line; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			die("text line with a byte that is not printable ASCII", line);
}

/* ---- the harness --------------------------------------------------------- */

static void one(enum og_log_kind kind, const struct og_event *e, const struct og_event_names *n,
		size_t small, char *big)
{
	int ret, ret2;
	size_t len;
	char *buf;

	memset(big, 0x55, BIG);
	ret = event_format(kind, e, n, big, BIG);
	if (!memchr(big, '\0', BIG))
		die("no NUL in the buffer", "");
	if (ret < 0)
		die("no room in 64 KiB", big);
	if ((size_t)ret != strlen(big))
		die("return is not the length", big);
	if (kind == OG_LOG_JSON)
		check_json(big);
	else
		check_text(big);
	/* a denied call gave the kernel nothing: no effective value is claimed */
	if (e->action == OG_ACT_DENY && e->hook != OG_HOOK_GUARD &&
	    !strstr(big, kind == OG_LOG_JSON ? ",\"effective\":null," : " effective=- "))
		die("a deny with an effective value", big);
	/* (a guard event, a bpf() command refused, names no option and has no value fields) */

	/* the same line cut short: NUL terminated inside, a prefix, -ENOSPC */
	buf = malloc(small ? small : 1);
	if (!buf)
		return;
	memset(buf, 0x55, small ? small : 1);
	ret2 = event_format(kind, e, n, buf, small);
	if (!small) {
		if (ret2 != -ENOSPC)
			die("len 0 does not give -ENOSPC", big);
	} else {
		if (!memchr(buf, '\0', small))
			die("cut line without a NUL inside the buffer", big);
		len = strlen(buf);
		if (strncmp(buf, big, len))
			die("cut line is not a prefix of the full one", big);
		if ((size_t)ret < small ? ret2 != ret : ret2 != -ENOSPC)
			die("wrong return for a short buffer", big);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_event e;
	struct og_event_names n;
	long long ns;
	uint16_t small;
	char *rest, *nul, *big;

	if (size < sizeof(e) + sizeof(ns) + sizeof(small) + 1)
		return 0;
	memcpy(&e, data, sizeof(e));
	data += sizeof(e);
	memcpy(&ns, data, sizeof(ns));
	data += sizeof(ns);
	memcpy(&small, data, sizeof(small));
	data += sizeof(small);
	size -= sizeof(e) + sizeof(ns) + sizeof(small);

	/* "RULE\0CGROUP", or only RULE and no cgroup path (NULL) */
	rest = malloc(size + 1);
	big = malloc(BIG);
	if (!rest || !big)
		goto out;
	memcpy(rest, data, size);
	rest[size] = '\0';
	nul = memchr(rest, '\0', size);
	n.rule = rest;
	n.cgroup = nul && nul < rest + size ? nul + 1 : NULL;
	n.realtime_ns = ns;

	one(OG_LOG_JSON, &e, &n, small % 1024, big);
	one(OG_LOG_TEXT, &e, &n, small % 1024, big);
out:
	free(big);
	free(rest);
	return 0;
}
