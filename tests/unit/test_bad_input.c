// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regression tests for bad input found by fuzzing (make fuzz) and by the
 * invalid-policy corpus (tests/bad-policies/):
 *  - every file of tests/fuzz-regress/NAME/ is replayed through the harness
 *    fuzz/NAME.c itself, so the same invariants hold (a failed one aborts
 *    with the reason; make test SANITIZE=1 adds ASan and UBSan);
 *  - lines the parser once dropped without a word, and messages that once
 *    carried raw bytes of the file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

/* the two harnesses in one program: rename what both define */
#define LLVMFuzzerTestOneInput	fuzz_policy_one
#define die			fuzz_policy_die
#include "../../fuzz/fuzz_policy.c"
#undef LLVMFuzzerTestOneInput
#undef die
#define LLVMFuzzerTestOneInput	fuzz_event_one
#define die			fuzz_event_die
#include "../../fuzz/fuzz_event.c"
#undef LLVMFuzzerTestOneInput
#undef die

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, n;
	uint8_t *b = NULL, *nb;

	if (!f)
		return -errno;
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		n = fread(b + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	*buf = b;
	return 0;
}

static void replay(const char *name, int (*fn)(const uint8_t *, size_t))
{
	char dir[4096], path[8192];
	struct dirent *de;
	uint8_t *buf = NULL;
	size_t len = 0;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz-regress/%s", OG_SRCDIR, name);
	d = opendir(dir);
	if (!ASSERT_NONNULL(d, "the regression corpus directory exists"))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!ASSERT_OK(read_all(path, &buf, &len), "read a reproducer"))
			continue;
		fn(buf, len);	/* aborts with the reason when an invariant fails */
		ok(true, "%s: %s replays with every invariant holding", name, de->d_name);
		free(buf);
		n++;
	}
	closedir(d);
	ok(n > 0, "%s: %d reproducers replayed", name, n);
}

/* @text fails with exactly one error, at @line, saying @msg. */
static void one_error(const char *name, const char *text, const char *msg)
{
	struct og_policy *p = NULL;
	struct og_diag dg = {};
	int ret;

	ret = policy_load_buffer("t.ini", text, strlen(text), &p, &dg);
	ASSERT_EQ(ret, -EINVAL, name);
	if (ASSERT_EQ(dg.nerrors, 1, "exactly one error"))
		ASSERT_STREQ(dg.msgs[0], msg, name);
	ASSERT_NULL(p, "*out untouched");
	diag_free(&dg);
}

static void test_dropped_lines(void)
{
	/* inih ended this line at the comment and dropped it: errno was EPERM, silently */
	one_error("';' before '=' is an error, not a dropped line",
		  "[rule:r]\noption = SO_MARK\naction = deny\nerrno ;x = EACCES\n",
		  "t.ini:4: expected 'key = value' before the comment");
	/* inih skips a form feed and read '[x=y]' as a section header that we never saw */
	one_error("a header after a form feed is seen",
		  "[rule:r]\noption = SO_MARK\naction = deny\n\f[x=y]\nerrno = EACCES\n",
		  "t.ini:4: unknown section [x=y]");
	one_error("an out-of-range errno says so",
		  "[rule:r]\noption = SO_MARK\naction = deny\nerrno = 4096\n",
		  "t.ini:4: errno '4096' is out of range (1 to 4095, or a name such as EPERM)");
}

static void test_escaped_messages(void)
{
	one_error("bytes that are not printable ASCII are quoted as \\xNN",
		  "[rule:\x1b[31m\xff]\n",
		  "t.ini:1: invalid name '\\x1b[31m\\xff' in [rule:\\x1b[31m\\xff]: use up to 63 "
		  "letters, digits, '-', '_', '.'");
	one_error("a key with a tab and UTF-8 is quoted",
		  "[enforcer]\nk\xc3\xa9y\t2 = 1\n",
		  "t.ini:2: unknown key 'k\\xc3\\xa9y\\x092' in [enforcer]");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	replay("fuzz_policy", fuzz_policy_one);
	replay("fuzz_event", fuzz_event_one);
	test_dropped_lines();
	test_escaped_messages();
	return done_testing();
}
