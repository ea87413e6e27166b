// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the Prometheus text (enforcer/daemon/prometheus.c): label values
 * escaped as the exposition format wants, bytes that are not UTF-8
 * replaced, HELP/TYPE before the samples, and an atomic write that leaves
 * no temporary file and a file node_exporter (another user) can read.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prometheus.h"
#include "tap.h"

static const char *escaped(const char *s)
{
	static char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (!f)
		return "";
	prom_escape(f, s);
	fclose(f);
	return buf;
}

static size_t count_entries(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "/tmp/optguard-prom.XXXXXX", path[128], buf[8192];
	struct og_prom_info info = {
		.mode = "enforce", .default_action = "allow",
		.hooks = "lsm/socket_setsockopt, cgroup/setsockopt",
		.policy = "/etc/optguard/a \"b\".ini", .sha256 = "ab12", .daemon = true,
	};
	struct og_prom_rule r[2] = {
		{ .name = "(default)" },
		{ .name = "no-mark", .c = { .decisions = 7, .events = 5, .suppressed = 1,
					    .dropped = 1 } },
	};
	struct stat st;
	size_t n;
	FILE *f;

	ASSERT_STREQ(escaped("plain-name_1.x"), "plain-name_1.x", "escape: a plain name as is");
	ASSERT_STREQ(escaped("a\\b\"c\nd"), "a\\\\b\\\"c\\nd", "escape: backslash, quote, newline");
	ASSERT_STREQ(escaped("caf\xc3\xa9"), "caf\xc3\xa9", "escape: valid UTF-8 as is");
	ASSERT_STREQ(escaped("a\xff" "b\xc3"), "a\xef\xbf\xbd" "b\xef\xbf\xbd",
		     "escape: stray bytes become U+FFFD");
	ASSERT_STREQ(escaped("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd",
		     "escape: an overlong form is not UTF-8");

	if (!ASSERT_NONNULL(mkdtemp(dir), "mkdtemp"))
		return done_testing();
	snprintf(path, sizeof(path), "%s/optguard.prom", dir);
	umask(077);
	ASSERT_OK(prom_write(path, &info, r, 2), "prom_write");
	ASSERT_EQ(count_entries(dir), 1, "only the .prom file is left (no temporary file)");
	ASSERT_TRUE(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644,
		    "the file is 0644 whatever the umask (node_exporter reads it)");
	f = fopen(path, "re");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	ASSERT_STRSTR(buf, "# HELP optguard_rule_decisions_total ", "HELP line of a counter");
	ASSERT_STRSTR(buf, "# TYPE optguard_rule_decisions_total counter\n"
		      "optguard_rule_decisions_total{rule=\"(default)\"} 0\n"
		      "optguard_rule_decisions_total{rule=\"no-mark\"} 7\n",
		      "TYPE, then one sample per rule");
	ASSERT_STRSTR(buf, "optguard_rule_events_suppressed_total{rule=\"no-mark\"} 1\n",
		      "suppressed per rule");
	ASSERT_STRSTR(buf, "optguard_info{mode=\"enforce\",default=\"allow\",hooks=\"lsm/"
		      "socket_setsockopt, cgroup/setsockopt\",policy=\"/etc/optguard/a "
		      "\\\"b\\\".ini\",policy_sha256=\"ab12\"} 1\n",
		      "optguard_info: labels escaped, value 1");
	ASSERT_STRSTR(buf, "optguard_daemon_running 1\n", "daemon_running 1");
	ASSERT_STRSTR(buf, "optguard_lsm_active 0\n", "lsm_active 0");
	ASSERT_TRUE(buf[n - 1] == '\n', "the file ends with a newline");

	ASSERT_EQ(prom_write("/nonexistent-dir/x.prom", &info, r, 2), -ENOENT,
		  "a missing directory: -ENOENT");
	unlink(path);
	rmdir(dir);
	return done_testing();
}
