// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the policy parser and validator (enforcer/policy/:
 * FUZZ_LIB_SRCS in the Makefile): policy_load_buffer() on arbitrary
 * bytes, and the contract of policy.h checked on every input:
 *  - success: no errors (warnings only), *out set;
 *  - failure: a negative errno, at least one error, *out untouched;
 *  - every message is "NAME:LINE: text" with 1 <= LINE <= the lines of the
 *    input, or "NAME: text" for the file as a whole, in printable ASCII.
 * ASan and UBSan (make fuzz) catch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define NAME	"fuzz.ini"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_policy: %s: '%s'\n", what, msg ? msg : "(null)");
	abort();
}

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 1, i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_msg(const char *m, size_t nlines)
{
	const unsigned char *c;
	const char *p;
	unsigned long line;
	char *end;

	/* diag.c escapes what the file says: a message is one line of printable ASCII */
	for (c = (const unsigned char *)m; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			die("message with a byte that is not printable ASCII", m);

	if (strncmp(m, NAME ":", sizeof(NAME)))
		die("message without the file name", m);
	p = m + sizeof(NAME);
	if (*p == ' ') {
		if (!p[1])
			die("empty message", m);
		return;
	}
	if (*p < '1' || *p > '9')
		die("message without a line number", m);
	line = strtoul(p, &end, 10);
	if (end[0] != ':' || end[1] != ' ' || !end[2])
		die("message not 'FILE:LINE: text'", m);
	if (line > nlines)
		die("line number beyond the end of the input", m);
}

static void check_values(const struct og_policy *p)
{
	const struct og_rule_def *m;
	char buf[64];
	size_t i, j;

	/* what `explain` prints: value_format() must cope with every parsed value */
	for (i = 0; i < p->nrules; i++) {
		const struct og_rule_def *r = &p->rules[i];

		value_format(r->vtype, &r->value, buf, sizeof(buf));
		value_format(r->vtype, &r->min, buf, sizeof(buf));
		value_format(r->vtype, &r->max, buf, sizeof(buf));
		for (j = 0; j < r->nexcept; j++)
			value_format(r->vtype, &r->except[j], buf, sizeof(buf));
		if (r->nexcept > OG_EXCEPT_MAX)
			die("too many except values", r->name);
		for (j = 0; j < rule_nopts(r); j++) {
			struct og_optref o = rule_opt(r, j);

			m = policy_match(p, o.level, o.optname, p->cgroup, 0);
			if (m && !rule_has_opt(m, o.level, o.optname))
				die("policy_match() gave a rule for another option", m->name);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct og_policy *const sentinel = (struct og_policy *)&sentinel;
	struct og_policy *p = sentinel;
	struct og_diag diag = {};
	size_t i, nlines = count_lines(data, size);
	int ret;

	ret = policy_load_buffer(NAME, (const char *)data, size, &p, &diag);
	for (i = 0; i < diag.nmsgs; i++)
		check_msg(diag.msgs[i], nlines);
	if (diag.nerrors > diag.nmsgs)
		die("more errors than messages", NULL);
	if (ret == 0) {
		if (diag.nerrors)
			die("success with errors", diag.msgs[0]);
		if (p == sentinel || !p)
			die("success without a policy", NULL);
		check_values(p);
		policy_free(p);
	} else {
		if (ret > 0)
			die("positive return", NULL);
		if (p != sentinel)
			die("failure wrote *out", NULL);
		if (!diag.nerrors)
			die("failure without an error message", NULL);
	}
	diag_free(&diag);
	return 0;
}
