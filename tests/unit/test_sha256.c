// SPDX-License-Identifier: GPL-2.0-only
/*
 * Known-answer tests of the SHA-256 `status` shows (enforcer/base/sha256.c): the
 * FIPS 180-4 / NIST CSRC example vectors (the empty string, "abc", the 448-
 * and 896-bit messages, one million 'a'), then every length 0..200 (each
 * padding case: a tail of 0..55 bytes fits one block, 56..63 needs two) and
 * sha256_file() against coreutils' sha256sum(1), an independent
 * implementation.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "sha256.h"
#include "tap.h"

static const struct {
	const char *name, *msg, *digest;
} kat[] = {
	{ "empty string", "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "\"abc\"", "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "448-bit message", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "896-bit message",
	  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

/* sha256sum(1) of @path into @out: 0, or -1 when it cannot run */
static int coreutils_sha256(const char *path, char out[65])
{
	char cmd[512], line[128];
	FILE *p;
	int ret = -1;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof(line), p) && strlen(line) > 64 && line[64] == ' ') {
		memcpy(out, line, 64);
		out[64] = '\0';
		ret = 0;
	}
	return pclose(p) == 0 ? ret : -1;
}

int main(void)
{
	char got[65], want[65], path[] = "/tmp/optguard-sha256.XXXXXX";
	unsigned char buf[200];
	size_t i, len, bad = 0;
	char *million;
	FILE *f;
	int fd;

	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		sha256_hex(kat[i].msg, strlen(kat[i].msg), got);
		ASSERT_STREQ(got, kat[i].digest, kat[i].name);
	}
	million = malloc(1000000);
	if (ASSERT_NONNULL(million, "one million 'a': allocated")) {
		memset(million, 'a', 1000000);
		sha256_hex(million, 1000000, got);
		ASSERT_STREQ(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
			     "one million 'a'");
		free(million);
	}

	/* every padding case, against an independent implementation */
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "temporary file"))
		return done_testing();
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	if (coreutils_sha256(path, want)) {
		skip("sha256sum(1) does not run here", "lengths 0..200 against sha256sum(1)");
		skip("sha256sum(1) does not run here", "sha256_file against sha256sum(1)");
		goto out;
	}
	for (len = 0; len <= sizeof(buf); len++) {
		f = fopen(path, "we");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			diag("cannot write %zu bytes to %s", len, path);
			bad++;
			continue;
		}
		sha256_hex(buf, len, got);
		if (coreutils_sha256(path, want) || strcmp(got, want)) {
			diag("length %zu: sha256_hex %s, sha256sum %s", len, got, want);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0, "lengths 0..200 against sha256sum(1): no difference");
	/* a policy larger than one read: its hash is of the bytes policy_load() parsed */
	f = fopen(path, "we");
	if (f) {
		fputs("[enforcer]\nmode = enforce\n", f);
		for (i = 0; i < 2000; i++)
			fprintf(f, "# %0100zu\n", i);
		fclose(f);
	}
	{
		struct og_policy *p = NULL;
		struct og_diag dg = {};

		ASSERT_OK(policy_load(path, &p, &dg), "policy_load of a 200 KB policy");
		if (p && coreutils_sha256(path, want) == 0)
			ASSERT_STREQ(p->sha256, want, "its sha256 against sha256sum(1)");
		policy_free(p);
		diag_free(&dg);
	}
out:
	close(fd);
	unlink(path);
	return done_testing();
}
