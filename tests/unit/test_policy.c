// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy parser and validator (enforcer/policy/policy*.c), the
 * value syntax (value.c) and the option table (options.c).
 *
 * Tests that need cgroup directories make child cgroups under the cgroup2
 * mount (optguard-unit-<pid>/...), never attach anything, and remove them
 * however the tests end: a parent process waits for them and removes the
 * cgroups even when a sanitizer or a crash ends the tests without atexit.
 * Without root or cgroup2 they skip and say why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "cgroup.h"
#include "encode.h"
#include "policy.h"
#include "tap.h"

#define FILE_NAME	"t.ini"
#define DEEP_LEVELS	25

static char mnt[PATH_MAX];	/* cgroup2 mount, "" without one */
static char base[PATH_MAX];	/* our cgroup below it, "" when we cannot make one */
static const char *no_mnt_reason, *no_base_reason;
static int base_level;

static const char *const child_cgroups[] = { "a", "a/b", "a/b/c", "x" };

static void cgroups_remove(void)
{
	char path[PATH_MAX * 2];
	int i, n;

	if (!base[0])
		return;
	/* deepest first: rmdir of a cgroup with children fails */
	for (n = DEEP_LEVELS; n >= 1; n--) {
		int o = snprintf(path, sizeof(path), "%s/deep", base);

		for (i = 1; i < n; i++)
			o += snprintf(path + o, sizeof(path) - o, "/d");
		rmdir(path);
	}
	for (i = sizeof(child_cgroups) / sizeof(child_cgroups[0]) - 1; i >= 0; i--) {
		snprintf(path, sizeof(path), "%s/%s", base, child_cgroups[i]);
		rmdir(path);
	}
	rmdir(base);
}

static void cgroups_setup(void)
{
	char path[PATH_MAX * 2];
	__u64 id;
	size_t i;
	int n, o;

	if (cg2_mount(mnt, sizeof(mnt))) {
		mnt[0] = '\0';
		no_mnt_reason = no_base_reason = "no cgroup2 file system mounted";
		return;
	}
	if (geteuid() != 0) {
		no_base_reason = "not root: cannot create child cgroups";
		return;
	}
	if ((size_t)snprintf(base, sizeof(base), "%s/optguard-unit-%d", mnt, (int)getpid()) >=
	    sizeof(base) || mkdir(base, 0755)) {
		base[0] = '\0';
		no_base_reason = "cannot create a child cgroup";
		return;
	}
	/* The tests run in a child; this process only waits and cleans up. */
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0) {
		rmdir(base);
		base[0] = '\0';
		no_base_reason = "fork failed";
		return;
	}
	if (pid > 0) {
		int st;

		/* a signal to the group reaches the tests; we outlive them */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		cgroups_remove();
		if (WIFSIGNALED(st)) {
			signal(WTERMSIG(st), SIG_DFL);
			raise(WTERMSIG(st));
		}
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
	}
	for (i = 0; i < sizeof(child_cgroups) / sizeof(child_cgroups[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", base, child_cgroups[i]);
		if (mkdir(path, 0755))
			diag("mkdir %s: %s", path, strerror(errno));
	}
	/* a chain deep enough to pass OG_CG_LEVELS */
	o = snprintf(path, sizeof(path), "%s/deep", base);
	mkdir(path, 0755);
	for (n = 1; n < DEEP_LEVELS; n++) {
		o += snprintf(path + o, sizeof(path) - o, "/d");
		mkdir(path, 0755);
	}
	if (cg_info(base, &id, &base_level)) {
		diag("cg_info %s failed", base);
		base_level = -100;
	}
}

/* @text with '@' replaced by our cgroup and '$' by the cgroup2 mount. */
static char *subst(const char *text)
{
	size_t len = 1, o = 0;
	const char *t;
	char *s;

	for (t = text; *t; t++)
		len += *t == '@' ? strlen(base) : *t == '$' ? strlen(mnt) : 1;
	s = malloc(len);
	if (!s)
		abort();
	for (t = text; *t; t++) {
		const char *r = *t == '@' ? base : *t == '$' ? mnt : NULL;

		if (r) {
			memcpy(s + o, r, strlen(r));
			o += strlen(r);
		} else {
			s[o++] = *t;
		}
	}
	s[o] = '\0';
	return s;
}

static int load(const char *text, struct og_policy **p, struct og_diag *d)
{
	char *s = subst(text);
	int ret = policy_load_buffer(FILE_NAME, s, strlen(s), p, d);

	free(s);
	return ret;
}

static void dump(const struct og_diag *d)
{
	size_t i;

	for (i = 0; i < d->nmsgs; i++)
		diag("  %s", d->msgs[i]);
}

/* @msg starts with "t.ini:LINE: " (LINE 0: "t.ini: ") and contains @substr. */
static bool check_msg(const char *name, const char *msg, int line, const char *substr)
{
	char prefix[64], tn[256];
	bool good;

	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", FILE_NAME, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", FILE_NAME);
	snprintf(tn, sizeof(tn), "%s: reported at %s", name, prefix);
	good = ok(msg && !strncmp(msg, prefix, strlen(prefix)), "%s", tn);
	if (!good)
		diag("message \"%s\", expected the prefix \"%s\"", msg ? msg : "(null)", prefix);
	snprintf(tn, sizeof(tn), "%s: message says \"%s\"", name, substr);
	return ASSERT_STRSTR(msg, substr, tn) && good;
}

static const char *first_error(const struct og_diag *d)
{
	size_t i;

	for (i = 0; i < d->nmsgs; i++)
		if (!strstr(d->msgs[i], ": warning: "))
			return d->msgs[i];
	return NULL;
}

/* @text must fail with exactly one error, at @line, containing @substr. */
static void expect_error(const char *name, const char *text, int line, const char *substr)
{
	struct og_policy *p = (struct og_policy *)&p;	/* must stay untouched */
	struct og_diag d = { 0 };
	char tn[256], *sub;
	int ret;

	ret = load(text, &p, &d);
	snprintf(tn, sizeof(tn), "%s: load fails with -EINVAL, *out untouched", name);
	ok(ret == -EINVAL && p == (struct og_policy *)&p, "%s", tn);
	if (ret == 0)
		policy_free(p);
	snprintf(tn, sizeof(tn), "%s: exactly one error", name);
	if (!ASSERT_EQ(d.nerrors, 1, tn))
		dump(&d);
	sub = subst(substr);
	check_msg(name, first_error(&d), line, sub);
	free(sub);
	diag_free(&d);
}

/* @text must load; the policy is returned for more checks (free it). */
static struct og_policy *expect_good(const char *name, const char *text, size_t warnings)
{
	struct og_policy *p = NULL;
	struct og_diag d = { 0 };
	char tn[256];
	int ret;

	ret = load(text, &p, &d);
	snprintf(tn, sizeof(tn), "%s: loads", name);
	if (!ASSERT_OK(ret, tn))
		dump(&d);
	snprintf(tn, sizeof(tn), "%s: %zu warnings, no errors", name, warnings);
	if (!ok(d.nerrors == 0 && d.nmsgs == warnings, "%s", tn))
		dump(&d);
	diag_free(&d);
	return ret ? NULL : p;
}

/* ---- option table ------------------------------------------------------- */

static void test_option_table(void)
{
	static const char *const seed[] = {
		"SO_RCVBUF", "SO_SNDBUF", "SO_MAX_PACING_RATE", "SO_PRIORITY", "SO_RCVLOWAT",
		"SO_MARK", "SO_BINDTODEVICE", "SO_KEEPALIVE", "SO_REUSEADDR", "SO_REUSEPORT",
		"SO_BINDTOIFINDEX", "SO_TXREHASH", "TCP_CONGESTION", "TCP_BPF_IW",
		"TCP_BPF_SNDCWND_CLAMP", "TCP_SAVE_SYN", "TCP_KEEPIDLE", "TCP_KEEPINTVL",
		"TCP_KEEPCNT", "TCP_SYNCNT", "TCP_USER_TIMEOUT", "TCP_NOTSENT_LOWAT",
		"TCP_NODELAY", "TCP_MAXSEG", "TCP_WINDOW_CLAMP", "TCP_THIN_LINEAR_TIMEOUTS",
		"TCP_BPF_DELACK_MAX", "TCP_BPF_RTO_MIN", "IP_TOS", "IPV6_TCLASS",
		"IPV6_AUTOFLOWLABEL",
	};
	size_t i, j, nforce = 0, bad_mask = 0, dups = 0, missing = 0;

	for (i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
		const struct og_option *o = option_by_name(seed[i]);

		if (!o || !o->forceable) {
			diag("%s missing or not forceable", seed[i]);
			missing++;
		}
	}
	ASSERT_EQ(missing, 0, "every bpf_setsockopt seed option is in the table and forceable");
	for (i = 0; i < og_options_count; i++) {
		const struct og_option *o = &og_options[i];
		unsigned int want = ACTS_ANY;

		nforce += o->forceable;
		if (o->vtype != OG_VT_OPAQUE)
			want |= ACT_BIT(OG_ACT_REWRITE);
		if (o->vtype == OG_VT_INT || o->vtype == OG_VT_UINT || o->vtype == OG_VT_SIZE)
			want |= ACT_BIT(OG_ACT_CLAMP);
		if (o->forceable)
			want |= ACT_BIT(OG_ACT_FORCE);
		if (o->actions != want || !o->help || !o->help[0]) {
			diag("%s: actions 0x%x, expected 0x%x", o->name, o->actions, want);
			bad_mask++;
		}
		for (j = 0; j < i; j++) {
			if (!strcasecmp(og_options[j].name, o->name) ||
			    (og_options[j].level == o->level &&
			     og_options[j].optname == o->optname)) {
				diag("%s and %s collide", og_options[j].name, o->name);
				dups++;
			}
		}
	}
	ASSERT_EQ(nforce, sizeof(seed) / sizeof(seed[0]),
		  "forceable options are exactly the seed list");
	ASSERT_EQ(bad_mask, 0, "action masks follow the value type and forceability, help set");
	ASSERT_EQ(dups, 0, "option names and (level, optname) pairs are unique");

	ASSERT_EQ(option_by_name("so_mark") ? option_by_name("so_mark")->optname : -1, SO_MARK,
		  "option_by_name is case-insensitive");
	ASSERT_EQ(option_by_name("SO_RCVTIMEO") ? option_by_name("SO_RCVTIMEO")->optname : -1,
		  SO_RCVTIMEO, "SO_RCVTIMEO resolves to libc's number");
	ASSERT_NULL(option_by_name("SO_NOPE"), "option_by_name of an unknown name is NULL");
	ASSERT_STREQ(option_by_number(IPPROTO_TCP, TCP_CONGESTION)->name, "TCP_CONGESTION",
		     "option_by_number finds TCP_CONGESTION");
	ASSERT_NULL(option_by_number(SOL_SOCKET, 250),
		    "option_by_number of an unknown pair is NULL");
	ASSERT_EQ(option_by_name("TCP_BPF_RTO_MIN")->optname, 1004, "TCP_BPF_RTO_MIN is 1004");
	ASSERT_EQ(option_by_name("SO_RCVTIMEO_NEW")->optname, 66, "SO_RCVTIMEO_NEW is 66");
	ASSERT_TRUE(option_by_name("IP_TOS")->byte_ok && option_by_name("IP_TTL")->byte_ok &&
		    option_by_name("IP_MULTICAST_LOOP")->byte_ok &&
		    !option_by_name("IPV6_TCLASS")->byte_ok && !option_by_name("SO_MARK")->byte_ok,
		    "byte_ok on the IP options the kernel reads as a byte only");
	ASSERT_EQ(option_by_name("IP_TOS")->vtype, OG_VT_DSCP, "IP_TOS is a dscp");
	ASSERT_EQ(option_by_name("SO_LINGER")->vtype, OG_VT_OPAQUE, "SO_LINGER is opaque");
	/* the table is the output order of `optguard options`: levels are not interleaved */
	for (i = 1, j = 0; i < og_options_count; i++)
		j += og_options[i].level != og_options[i - 1].level;
	ASSERT_EQ(j, 4, "the table is grouped by level (5 groups)");
}

static void test_levels_and_names(void)
{
	const struct og_option *o = NULL;
	int level = -5, optname = -5;

	ASSERT_TRUE(!level_parse("SOL_TCP", &level) && level == IPPROTO_TCP, "SOL_TCP is 6");
	ASSERT_TRUE(!level_parse("ipproto_ipv6", &level) && level == IPPROTO_IPV6,
		    "level names are case-insensitive");
	ASSERT_TRUE(!level_parse("SOL_IP", &level) && level == 0, "SOL_IP is 0");
	ASSERT_TRUE(!level_parse("17", &level) && level == 17, "decimal level");
	level = 99;
	ASSERT_TRUE(level_parse("-1", &level) == -EINVAL && level == 99,
		    "negative level refused, output untouched");
	ASSERT_EQ(level_parse("SOL_NOPE", &level), -EINVAL, "unknown level name refused");
	ASSERT_STREQ(level_name(SOL_SOCKET), "SOL_SOCKET", "level_name(1)");
	ASSERT_STREQ(level_name(IPPROTO_UDP), "IPPROTO_UDP", "level_name(17)");
	ASSERT_NULL(level_name(255), "level_name of an unknown level is NULL");
	ASSERT_STREQ(action_name(OG_ACT_NONE), "none", "action_name(NONE)");
	ASSERT_STREQ(action_name(OG_ACT_CLAMP), "clamp", "action_name(CLAMP)");
	ASSERT_STREQ(vtype_name(OG_VT_STR), "string", "vtype_name(STR)");
	ASSERT_STREQ(vtype_name(OG_VT_DSCP), "dscp", "vtype_name(DSCP)");
	ASSERT_TRUE(!option_parse("SOL_SOCKET:36", &o, &level, &optname) && o &&
		    !strcmp(o->name, "SO_MARK"), "option_parse SOL_SOCKET:36 is SO_MARK");
	ASSERT_TRUE(!option_parse("1:0x24", &o, &level, &optname) && o &&
		    !strcmp(o->name, "SO_MARK"), "option_parse 1:0x24 is SO_MARK");
	ASSERT_TRUE(!option_parse("IPPROTO_TCP:300", &o, &level, &optname) && !o &&
		    level == 6 && optname == 300, "option_parse of a pair not in the table");
	ASSERT_EQ(option_parse("SOL_SOCKET:", &o, &level, &optname), -EINVAL,
		  "option_parse refuses a missing optname");
	ASSERT_EQ(option_parse("1:-3", &o, &level, &optname), -EINVAL,
		  "option_parse refuses a negative optname");
}

/* ---- values ------------------------------------------------------------- */

static void value_ok(enum og_vtype t, const char *s, long long want)
{
	struct og_value v = { .num = 12345 };
	char tn[128];

	snprintf(tn, sizeof(tn), "%s '%s' parses as %lld", vtype_name(t), s, want);
	if (ASSERT_OK(value_parse(t, s, &v), tn))
		ASSERT_EQ(v.num, want, tn);
}

static void value_bad(enum og_vtype t, const char *s)
{
	struct og_value v = { .num = 12345 };
	char tn[128];

	snprintf(tn, sizeof(tn), "%s '%s' is refused, value untouched", vtype_name(t), s);
	ok(value_parse(t, s, &v) == -EINVAL && v.num == 12345, "%s", tn);
}

static void value_fmt(enum og_vtype t, long long num, const char *want)
{
	struct og_value v = { .num = num };
	char buf[32], tn[128];

	snprintf(tn, sizeof(tn), "%s %lld formats as %s", vtype_name(t), num, want);
	value_format(t, &v, buf, sizeof(buf));
	ASSERT_STREQ(buf, want, tn);
}

static void test_values(void)
{
	struct og_value v;
	char tn[64];

	value_ok(OG_VT_SIZE, "4K", 4096);
	value_ok(OG_VT_SIZE, "4M", 4 << 20);
	value_ok(OG_VT_SIZE, "1g", 1 << 30);
	value_ok(OG_VT_INT, "0x10", 16);
	value_ok(OG_VT_INT, "-1", -1);
	value_ok(OG_VT_INT, "-2147483648", INT_MIN);
	value_ok(OG_VT_INT, "2147483647", INT_MAX);
	value_ok(OG_VT_INT, "-4K", -4096);
	value_bad(OG_VT_INT, "2147483648");
	value_bad(OG_VT_SIZE, "2G");
	value_bad(OG_VT_INT, "-2147483649");
	value_bad(OG_VT_INT, "99999999999999999999999");
	value_bad(OG_VT_INT, "");
	value_bad(OG_VT_INT, " 1");
	value_bad(OG_VT_INT, "+1");
	value_bad(OG_VT_INT, "1.5");
	value_bad(OG_VT_INT, "4KB");
	value_bad(OG_VT_INT, "0x");
	value_bad(OG_VT_INT, "ten");
	value_ok(OG_VT_UINT, "0xffffffffffffffff", -1);	/* UINT64_MAX in an __s64 */
	value_ok(OG_VT_UINT, "16G", 16LL << 30);
	value_bad(OG_VT_UINT, "-1");
	value_bad(OG_VT_UINT, "18446744073709551616");
	value_bad(OG_VT_UINT, "17179869184G");
	value_ok(OG_VT_BOOL, "on", 1);
	value_ok(OG_VT_BOOL, "off", 0);
	value_ok(OG_VT_BOOL, "yes", 1);
	value_ok(OG_VT_BOOL, "no", 0);
	value_ok(OG_VT_BOOL, "true", 1);
	value_ok(OG_VT_BOOL, "false", 0);
	value_ok(OG_VT_BOOL, "1", 1);
	value_ok(OG_VT_BOOL, "0", 0);
	value_ok(OG_VT_BOOL, "ON", 1);
	value_bad(OG_VT_BOOL, "2");
	value_bad(OG_VT_BOOL, "enabled");
	value_ok(OG_VT_DSCP, "EF", 46 << 2);
	value_ok(OG_VT_DSCP, "af41", 34 << 2);
	value_ok(OG_VT_DSCP, "CS7", 56 << 2);
	value_ok(OG_VT_DSCP, "CS0", 0);
	value_ok(OG_VT_DSCP, "AF11", 10 << 2);
	value_ok(OG_VT_DSCP, "VA", 44 << 2);
	value_ok(OG_VT_DSCP, "0x10", 0x10);
	value_ok(OG_VT_DSCP, "255", 255);
	value_bad(OG_VT_DSCP, "256");
	value_bad(OG_VT_DSCP, "AF44");
	value_bad(OG_VT_DSCP, "-1");
	value_bad(OG_VT_OPAQUE, "1");

	ASSERT_TRUE(!value_parse(OG_VT_STR, "cubic", &v) && !strcmp(v.str, "cubic"),
		    "string 'cubic' parses");
	ASSERT_TRUE(!value_parse(OG_VT_STR, "abcdefghijklmno", &v) &&
		    !strcmp(v.str, "abcdefghijklmno"), "string of 15 bytes parses");
	snprintf(tn, sizeof(tn), "abcdefghijklmnop");
	value_bad(OG_VT_STR, tn);
	value_bad(OG_VT_STR, "");
	value_bad(OG_VT_STR, "a b");
	value_bad(OG_VT_STR, "a,b");
	value_bad(OG_VT_STR, "tab\there");

	value_fmt(OG_VT_DSCP, 46 << 2, "EF");
	value_fmt(OG_VT_DSCP, (34 << 2) | 1, "0x89");
	value_fmt(OG_VT_DSCP, 0x11, "0x11");
	value_fmt(OG_VT_DSCP, 0, "CS0");
	value_fmt(OG_VT_BOOL, 1, "on");
	value_fmt(OG_VT_BOOL, 0, "off");
	value_fmt(OG_VT_INT, -5, "-5");
	value_fmt(OG_VT_SIZE, 4194304, "4194304");
	value_fmt(OG_VT_UINT, -1, "18446744073709551615");
	v = (struct og_value){ .str = "bbr" };
	value_format(OG_VT_STR, &v, tn, sizeof(tn));
	ASSERT_STREQ(tn, "bbr", "string bbr formats as bbr");
}

static void test_errno(void)
{
	int e = -1;

	ASSERT_TRUE(!errno_parse("EPERM", &e) && e == EPERM, "errno EPERM");
	ASSERT_TRUE(!errno_parse("eacces", &e) && e == EACCES, "errno names are case-insensitive");
	ASSERT_TRUE(!errno_parse("ENOTSUP", &e) && e == ENOTSUP, "errno ENOTSUP");
	ASSERT_TRUE(!errno_parse("ENOPROTOOPT", &e) && e == ENOPROTOOPT, "errno ENOPROTOOPT");
	ASSERT_TRUE(!errno_parse("4095", &e) && e == 4095, "errno 4095 by number");
	e = 77;
	ASSERT_TRUE(errno_parse("4096", &e) == -EINVAL && e == 77, "errno 4096 refused");
	ASSERT_EQ(errno_parse("0", &e), -EINVAL, "errno 0 refused");
	ASSERT_EQ(errno_parse("EFOO", &e), -EINVAL, "unknown errno name refused");
	ASSERT_EQ(errno_parse("-1", &e), -EINVAL, "negative errno refused");
	ASSERT_STREQ(errno_name(EPERM), "EPERM", "errno_name(EPERM)");
	ASSERT_STREQ(errno_name(EOPNOTSUPP), "EOPNOTSUPP", "errno_name prefers EOPNOTSUPP");
	ASSERT_STREQ(errno_name(999), "999", "errno_name of a nameless errno is its number");
}

/* ---- errors ------------------------------------------------------------- */

/* Errors that need no cgroup directory of ours. */
static void test_errors(void)
{
	char buf[1024];
	int i, o;

	expect_error("unknown section",
		     "[enforcer]\n"
		     "mode = enforce\n"
		     "[bogus]\n"
		     "x = 1\n", 3, "unknown section [bogus]");
	expect_error("section kinds are case-sensitive",
		     "[Rule:x]\n"
		     "option = SO_MARK\n", 1, "unknown section [Rule:x]");
	expect_error("invalid section name",
		     "\n"
		     "[rule:bad name]\n"
		     "option = SO_MARK\n"
		     "action = deny\n", 2, "invalid name 'bad name'");
	expect_error("section header without ']'",
		     "[rule:x\n"
		     "option = SO_MARK\n", 1, "without ']'");
	expect_error("key outside a section",
		     "; comment\n"
		     "mode = enforce\n", 2, "key 'mode' outside a section");
	expect_error("line without '='",
		     "[enforcer]\n"
		     "mode enforce\n", 2, "expected 'key = value'");
	expect_error("unknown key in [enforcer]",
		     "[enforcer]\n"
		     "mode = enforce\n"
		     "colour = red\n", 3, "unknown key 'colour' in [enforcer]");
	expect_error("key names are case-sensitive",
		     "[enforcer]\n"
		     "Mode = enforce\n", 2, "unknown key 'Mode'");
	expect_error("unknown key in a rule",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = deny\n"
		     "errnum = EPERM\n", 4, "unknown key 'errnum' in [rule:r]");
	expect_error("duplicate key",
		     "[enforcer]\n"
		     "mode = enforce\n"
		     "default = allow\n"
		     "mode = audit\n", 4, "duplicate key 'mode' (first at line 2)");
	expect_error("duplicate rule section",
		     "[rule:x]\n"
		     "option = SO_MARK\n"
		     "action = deny\n"
		     "\n"
		     "[rule:x]\n"
		     "option = SO_PRIORITY\n"
		     "action = deny\n", 5, "duplicate section [rule:x] (first at line 1)");
	expect_error("duplicate enforcer section",
		     "[enforcer]\n"
		     "[enforcer]\n", 2, "duplicate section [enforcer]");
	expect_error("invalid mode",
		     "[enforcer]\n"
		     "mode = enforcing\n",
		     2, "invalid mode 'enforcing' (expected enforce | audit)");
	expect_error("enum values are case-sensitive",
		     "[enforcer]\n"
		     "default = Deny\n", 2, "invalid default 'Deny'");
	expect_error("invalid lsm",
		     "[enforcer]\n"
		     "\n"
		     "lsm = maybe\n", 3, "invalid lsm 'maybe' (expected auto | require | off)");
	expect_error("invalid log",
		     "[enforcer]\n"
		     "log = xml\n", 2, "invalid log 'xml'");
	expect_error("invalid log_rate",
		     "[enforcer]\n"
		     "log_rate = -5\n", 2, "invalid log_rate '-5'");
	expect_error("relative log_file",
		     "[enforcer]\n"
		     "log_file = events.jsonl\n",
		     2, "log_file 'events.jsonl' is not an absolute path");
	expect_error("relative pin_dir",
		     "[enforcer]\n"
		     "pin_dir = bpf/optguard\n",
		     2, "pin_dir 'bpf/optguard' is not an absolute path");
	expect_error("unknown default_errno",
		     "[enforcer]\n"
		     "default = deny\n"
		     "default_errno = ENOPE\n", 3, "unknown errno 'ENOPE'");
	expect_error("enforcer cgroup that is not on cgroup2",
		     "[enforcer]\n"
		     "cgroup = /tmp\n", 2, "cgroup '/tmp' is not on the cgroup2 file system");
	expect_error("enforcer cgroup that does not exist",
		     "[enforcer]\n"
		     "cgroup = /nonexistent/optguard\n", 2,
		     "cgroup directory '/nonexistent/optguard' does not exist");
	expect_error("unknown option name",
		     "[rule:r]\n"
		     "option = SO_NOPE\n"
		     "action = deny\n", 2, "unknown option 'SO_NOPE'");
	expect_error("bad LEVEL:OPTNAME",
		     "[rule:r]\n"
		     "action = deny\n"
		     "option = SOL_NOPE:1\n", 3, "unknown option 'SOL_NOPE:1'");
	expect_error("missing option at the section header",
		     "[enforcer]\n"
		     "[rule:r]\n"
		     "action = deny\n", 2, "rule 'r' has no option");
	expect_error("missing action at the section header",
		     "\n"
		     "\n"
		     "[rule:r]\n"
		     "option = SO_MARK\n", 3, "rule 'r' has no action");
	expect_error("invalid action",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = block\n", 3, "invalid action 'block'");
	expect_error("clamp on a string option",
		     "[rule:r]\n"
		     "option = TCP_CONGESTION\n"
		     "action = clamp\n"
		     "min = 1\n", 3, "action clamp does not fit TCP_CONGESTION (string value)");
	expect_error("clamp on a bool option",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = clamp\n"
		     "max = 1\n", 3, "action clamp does not fit SO_KEEPALIVE");
	expect_error("clamp on a dscp option",
		     "[rule:r]\n"
		     "option = IP_TOS\n"
		     "action = clamp\n"
		     "max = 1\n", 3, "it takes allow, deny, rewrite, force, audit");
	expect_error("rewrite on an opaque option",
		     "[rule:r]\n"
		     "option = SO_LINGER\n"
		     "action = rewrite\n"
		     "value = 1\n", 3, "it takes allow, deny, audit");
	expect_error("rewrite on an option outside the table",
		     "[rule:r]\n"
		     "option = SOL_SOCKET:250\n"
		     "action = rewrite\n"
		     "value = 1\n", 3, "action rewrite does not fit SOL_SOCKET:250 (opaque value)");
	expect_error("force on an option bpf_setsockopt lacks",
		     "[rule:r]\n"
		     "option = TCP_CORK\n"
		     "action = force\n"
		     "value = on\n", 3, "force on TCP_CORK: bpf_setsockopt cannot set this option");
	expect_error("min does not apply to deny",
		     "[rule:r]\n"
		     "option = SO_RCVBUF\n"
		     "action = deny\n"
		     "min = 4K\n", 4, "key 'min' does not apply to action deny");
	expect_error("errno does not apply to clamp",
		     "[rule:r]\n"
		     "option = SO_RCVBUF\n"
		     "errno = EPERM\n"
		     "action = clamp\n"
		     "max = 4M\n", 3, "key 'errno' does not apply to action clamp");
	expect_error("at does not apply to deny",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = deny\n"
		     "at = create\n", 4, "key 'at' does not apply to action deny");
	expect_error("value does not apply to audit",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = audit\n"
		     "value = 1\n", 4, "key 'value' does not apply to action audit");
	expect_error("except does not apply to allow",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = allow\n"
		     "except = 1\n", 4, "key 'except' does not apply to action allow");
	expect_error("on_change does not apply to rewrite",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = rewrite\n"
		     "value = 1\n"
		     "on_change = deny\n", 5, "key 'on_change' does not apply to action rewrite");
	expect_error("errno out of range on deny",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = deny\n"
		     "errno = 4096\n", 4, "errno '4096' is out of range");
	expect_error("except on an opaque option",
		     "[rule:r]\n"
		     "option = SO_LINGER\n"
		     "action = deny\n"
		     "except = 1\n", 4, "except needs a comparable value");
	o = snprintf(buf, sizeof(buf), "[rule:r]\noption = SO_PRIORITY\naction = deny\nexcept = 0");
	for (i = 1; i <= OG_EXCEPT_MAX; i++)
		o += snprintf(buf + o, sizeof(buf) - o, ", %d", i);
	snprintf(buf + o, sizeof(buf) - o, "\n");
	expect_error("too many integer except values", buf, 4,
		     "too many except values (17, at most 16)");
	expect_error("too many string except values",
		     "[rule:r]\n"
		     "option = TCP_CONGESTION\n"
		     "action = deny\n"
		     "except = c1, c2, c3, c4, c5, c6, c7, c8, c9\n", 4,
		     "too many except values (9, at most 8)");
	expect_error("bad except value",
		     "[rule:r]\n"
		     "option = IP_TOS\n"
		     "action = deny\n"
		     "except = CS0, AF44\n", 4, "invalid value 'AF44' for IP_TOS");
	expect_error("empty item in a list",
		     "[rule:r]\n"
		     "option = IP_TOS\n"
		     "action = deny\n"
		     "except = CS0,,EF\n", 4, "empty item in the list of 'except'");
	expect_error("rewrite without value",
		     "\n"
		     "[rule:r]\n"
		     "option = SO_PRIORITY\n"
		     "action = rewrite\n", 2, "rewrite needs a value");
	expect_error("clamp without min or max",
		     "[rule:r]\n"
		     "option = SO_RCVBUF\n"
		     "action = clamp\n", 1, "clamp needs min or max");
	expect_error("clamp min above max",
		     "[rule:r]\n"
		     "option = SO_RCVBUF\n"
		     "action = clamp\n"
		     "max = 4K\n"
		     "min = 4M\n", 4, "min 4194304 is greater than max 4096");
	expect_error("clamp of a uint compares unsigned",
		     "[rule:r]\n"
		     "option = SO_MAX_PACING_RATE\n"
		     "action = clamp\n"
		     "min = 0xffffffffffffffff\n"
		     "max = 1\n", 5, "min 18446744073709551615 is greater than max 1");
	expect_error("force without value",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = force\n", 1, "force needs a value");
	expect_error("force with a bad at",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = force\n"
		     "value = on\n"
		     "at = create, accept\n", 5, "invalid at 'accept'");
	expect_error("force at send with a TCP option",
		     "[rule:r]\n"
		     "option = TCP_KEEPIDLE\n"
		     "action = force\n"
		     "value = 60\n"
		     "at = send\n", 5, "at = send: TCP_KEEPIDLE is a TCP option");
	expect_error("force with a bad telemetry",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = force\n"
		     "value = 1\n"
		     "telemetry = maybe\n", 5, "invalid telemetry 'maybe' (expected on | off)");
	expect_error("force with a bad on_unforceable",
		     "[rule:r]\n"
		     "option = IP_TOS\n"
		     "action = force\n"
		     "on_unforceable = 1\n"
		     "value = EF\n", 4, "invalid on_unforceable '1' (expected allow | deny)");
	expect_error("telemetry does not apply to clamp",
		     "[rule:r]\n"
		     "option = SO_RCVBUF\n"
		     "action = clamp\n"
		     "max = 4M\n"
		     "telemetry = on\n", 5, "key 'telemetry' does not apply to action clamp");
	expect_error("on_unforceable does not apply to allow",
		     "[rule:r]\n"
		     "option = IP_TOS\n"
		     "on_unforceable = deny\n"
		     "action = allow\n", 3, "key 'on_unforceable' does not apply to action allow");
	expect_error("force with a bad on_change",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = force\n"
		     "value = on\n"
		     "on_change = ignore\n",
		     5, "invalid on_change 'ignore' (expected rewrite | deny | allow)");
	expect_error("errno on force needs on_change = deny",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = force\n"
		     "value = on\n"
		     "errno = EACCES\n", 5, "applies to force only with on_change = deny");
	expect_error("bad integer value",
		     "[rule:r]\n"
		     "option = SO_PRIORITY\n"
		     "action = rewrite\n"
		     "value = high\n",
		     4, "invalid value 'high' for SO_PRIORITY: expected an integer");
	expect_error("integer overflow",
		     "[rule:r]\n"
		     "option = SO_RCVBUF\n"
		     "action = clamp\n"
		     "max = 3G\n", 4, "invalid value '3G' for SO_RCVBUF");
	expect_error("bad bool value",
		     "[rule:r]\n"
		     "option = SO_KEEPALIVE\n"
		     "action = force\n"
		     "value = enabled\n", 4, "expected on/off, yes/no, true/false or 1/0");
	expect_error("string too long",
		     "[rule:r]\n"
		     "option = SO_BINDTODEVICE\n"
		     "action = rewrite\n"
		     "value = abcdefghijklmnop\n",
		     4, "invalid value 'abcdefghijklmnop' for SO_BINDTODEVICE");
	expect_error("congestion control name too short",
		     "[rule:r]\n"
		     "option = TCP_CONGESTION\n"
		     "action = force\n"
		     "value = x\n", 4, "congestion control name 'x' is too short");
	expect_error("SO_MARK is 32 bits",
		     "[rule:r]\n"
		     "option = SO_MARK\n"
		     "action = rewrite\n"
		     "value = 0x100000000\n", 4, "does not fit 32 bits");
	expect_error("unknown scope",
		     "[rule:r]\n"
		     "scope = payments\n"
		     "option = SO_MARK\n"
		     "action = deny\n", 2, "unknown scope 'payments'");
	expect_error("two rules for one option in scope *",
		     "[rule:a]\n"
		     "option = SO_MARK\n"
		     "action = deny\n"
		     "[rule:b]\n"
		     "option = so_mark\n"
		     "scope = *\n"
		     "action = allow\n",
		     4, "rules 'b' and 'a' (line 1) both decide SO_MARK in scope '*'");
	expect_error("two rules for one option by name and by number",
		     "[rule:a]\n"
		     "option = SOL_SOCKET:36\n"
		     "action = deny\n"
		     "[rule:b]\n"
		     "option = SO_MARK\n"
		     "action = audit\n", 4, "rules 'b' and 'a' (line 1) both decide SO_MARK");
	expect_error("two rules for one option in one uid scope",
		     "[scope:s]\n"
		     "uid = 1000\n"
		     "[rule:a]\n"
		     "scope = s\n"
		     "option = IP_TOS\n"
		     "action = deny\n"
		     "[rule:b]\n"
		     "scope = s\n"
		     "option = IP_TOS\n"
		     "action = audit\n", 7, "both decide IP_TOS in scope 's'");
	expect_error("two uid scopes that share a uid",
		     "[rule:a]\n"
		     "scope = s1\n"
		     "option = IP_TOS\n"
		     "action = deny\n"
		     "[rule:b]\n"
		     "scope = s2\n"
		     "option = IP_TOS\n"
		     "action = audit\n"
		     "[scope:s1]\n"
		     "uid = 1000, 1001\n"
		     "[scope:s2]\n"
		     "uid = 1001\n", 5, "the kernel cannot tell them apart");
	expect_error("a scope without selectors is '*'",
		     "[scope:all]\n"
		     "[rule:a]\n"
		     "scope = all\n"
		     "option = SO_MARK\n"
		     "action = deny\n"
		     "[rule:b]\n"
		     "option = SO_MARK\n"
		     "action = deny\n", 6, "scopes '*' and 'all'");
	expect_error("unknown user",
		     "[scope:s]\n"
		     "uid = 0, no-such-user-optguard\n", 2, "unknown user 'no-such-user-optguard'");
	expect_error("uid out of range",
		     "[scope:s]\n"
		     "uid = 4294967295\n", 2, "invalid uid '4294967295'");
	expect_error("uid listed twice",
		     "[scope:s]\n"
		     "uid = 0, root\n", 2, "uid 0 ('root') is listed twice");
	expect_error("relative scope cgroup",
		     "[scope:s]\n"
		     "cgroup = payments.slice\n",
		     2, "cgroup 'payments.slice' is not an absolute path");
	expect_error("unknown key in a scope",
		     "[scope:s]\n"
		     "user = 0\n", 2, "unknown key 'user' in [scope:s]");
	/* inih's buffer is 200 bytes: longer lines take another path, same rules */
	o = snprintf(buf, sizeof(buf), "[enforcer]\nlog_file = x%0300d ; comment\n", 0);
	expect_error("long line: invalid value", buf, 2, "log_file 'x000");
	o = snprintf(buf, sizeof(buf), "[enforcer]\n%0300d\n", 0);
	expect_error("long line: no '='", buf, 2, "expected 'key = value'");
}

static void test_all_errors_collected(void)
{
	struct og_policy *p = NULL;
	struct og_diag d = { 0 };
	int ret;

	ret = load("[rule:z]\n"			/* 1: no option (reported here) */
		   "action = deny\n"		/* 2 */
		   "[enforcer]\n"		/* 3 */
		   "mode = loud\n"		/* 4: bad mode */
		   "[rule:y]\n"			/* 5 */
		   "option = SO_RCVBUF\n"	/* 6 */
		   "action = clamp\n"		/* 7 */
		   "max = lots\n",		/* 8: bad value */
		   &p, &d);
	ASSERT_EQ(ret, -EINVAL, "three errors: load fails");
	if (!ASSERT_EQ(d.nerrors, 3, "three errors: all three reported"))
		dump(&d);
	if (d.nmsgs == 3) {
		check_msg("three errors, first", d.msgs[0], 1, "rule 'z' has no option");
		check_msg("three errors, second", d.msgs[1], 4, "invalid mode 'loud'");
		check_msg("three errors, third", d.msgs[2], 8, "invalid value 'lots'");
	}
	diag_free(&d);
	ASSERT_TRUE(d.msgs == NULL && d.nmsgs == 0 && d.nerrors == 0, "diag_free resets the diag");
}

static void test_open_failure(void)
{
	struct og_policy *p = (struct og_policy *)&p;
	struct og_diag d = { 0 };
	char path[] = "/tmp/optguard-unit-XXXXXX";
	int fd, ret;

	ret = policy_load("/nonexistent/optguard.ini", &p, &d);
	ASSERT_EQ(ret, -ENOENT, "missing file: -ENOENT");
	ASSERT_TRUE(p == (struct og_policy *)&p, "missing file: *out untouched");
	ASSERT_EQ(d.nerrors, 1, "missing file: one error");
	ASSERT_STREQ(d.nmsgs ? d.msgs[0] : NULL,
		     "/nonexistent/optguard.ini: No such file or directory",
		     "missing file: FILE: strerror, no line");
	diag_free(&d);

	fd = mkstemp(path);
	if (fd < 0 || write(fd, "[enforcer]\nmode = bogus\n", 24) != 24) {
		ok(false, "temp policy file written");
		return;
	}
	close(fd);
	ret = policy_load(path, &p, &d);
	ASSERT_EQ(ret, -EINVAL, "bad file on disk: -EINVAL");
	ASSERT_TRUE(d.nmsgs == 1 && !strncmp(d.msgs[0], path, strlen(path)) &&
		    !strncmp(d.msgs[0] + strlen(path), ":2: invalid mode", 16),
		    "bad file on disk: error names the path and line 2");
	diag_free(&d);
	if (mnt[0]) {
		fd = open(path, O_WRONLY | O_TRUNC);
		if (fd >= 0 && write(fd, "[enforcer]\nmode = audit\n", 24) == 24) {
			ret = policy_load(path, &p, &d);
			if (ASSERT_OK(ret, "good file on disk loads")) {
				ASSERT_EQ(p->mode, OG_MODE_AUDIT, "good file on disk: mode audit");
				ASSERT_STREQ(p->path, path, "good file on disk: path kept");
				policy_free(p);
			}
			diag_free(&d);
		}
		if (fd >= 0)
			close(fd);
	} else {
		skip(no_mnt_reason, "good file on disk loads");
	}
	unlink(path);
}

static void test_nul_byte(void)
{
	static const char text[] = "[enforcer]\nlog = json\nmode = en\0force\n";
	struct og_policy *p = NULL;
	struct og_diag d = { 0 };

	ASSERT_EQ(policy_load_buffer(FILE_NAME, text, sizeof(text) - 1, &p, &d), -EINVAL,
		  "NUL byte in a line: load fails");
	check_msg("NUL byte in a line", d.nmsgs ? d.msgs[0] : NULL, 3, "NUL byte");
	diag_free(&d);
}

/* ---- errors about cgroup directories ------------------------------------- */

static void test_cgroup_errors(void)
{
	char text[8192], deep[PATH_MAX];
	int i, o;

	/* a path not made yet, a pattern and a unit are valid: the daemon binds them */
	{
		struct og_policy *p = expect_good("scope cgroup not made yet",
						  "[scope:s]\n"
						  "cgroup = @/a, @/missing, @/a*/b\n"
						  "unit = x.service\n", 1);

		if (p) {
			const struct og_scope *sc = &p->scopes[0];

			ok(sc->ncgroups == 4 && sc->cgroups[0].kind == OG_SEL_PATH &&
			   sc->cgroups[0].id && sc->cgroups[1].kind == OG_SEL_PATH &&
			   !sc->cgroups[1].id && sc->cgroups[2].kind == OG_SEL_GLOB &&
			   sc->cgroups[3].kind == OG_SEL_UNIT &&
			   !strcmp(sc->cgroups[3].path, "x.service"),
			   "a path, a path not made yet, a pattern and a unit: their kinds");
			policy_free(p);
		}
	}
	expect_error("scope cgroup not made yet, not below the cgroup2 mount",
		     "[scope:s]\n"
		     "cgroup = /nonexistent/x\n", 2,
		     "cgroup '/nonexistent/x' is not below the cgroup2 mount");
	expect_error("scope pattern outside the enforcer cgroup",
		     "[enforcer]\n"
		     "cgroup = @/a\n"
		     "[scope:s]\n"
		     "cgroup = @/x*\n", 4, "cgroup '@/x*' is outside the enforcer cgroup");
	expect_error("unit that is no directory name",
		     "[scope:s]\n"
		     "unit = a/b.service\n", 2, "unit 'a/b.service' is not a unit name");
	expect_error("a pattern listed twice",
		     "[scope:s]\n"
		     "cgroup = @/a*, @/a*\n", 2, "cgroup '@/a*' is listed twice");
	expect_error("scope cgroup that is a file",
		     "[scope:s]\n"
		     "cgroup = $/cgroup.procs\n", 2, "cgroup '$/cgroup.procs' is not a directory");
	expect_error("scope cgroup not on cgroup2",
		     "[scope:s]\n"
		     "uid = 0\n"
		     "cgroup = /tmp\n", 3, "cgroup '/tmp' is not on the cgroup2 file system");
	expect_error("scope cgroup outside the enforcer cgroup",
		     "[enforcer]\n"
		     "cgroup = @/a\n"
		     "[scope:s]\n"
		     "cgroup = @/x\n", 4, "cgroup '@/x' is outside the enforcer cgroup '@/a'");
	expect_error("scope cgroup listed twice",
		     "[scope:s]\n"
		     "cgroup = @/a, @//a/\n", 2, "cgroup '@//a/' is listed twice");
	expect_error("enforcer cgroup that is a file",
		     "[enforcer]\n"
		     "cgroup = @/cgroup.procs\n", 2, "cgroup '@/cgroup.procs' is not a directory");
	/* base is at base_level; base/deep/d/d... reaches OG_CG_LEVELS */
	o = snprintf(deep, sizeof(deep), "@/deep");
	for (i = base_level + 2; i <= OG_CG_LEVELS; i++)
		o += snprintf(deep + o, sizeof(deep) - o, "/d");
	snprintf(text, sizeof(text), "[scope:s]\ncgroup = %s\n", deep);
	snprintf(deep + o, sizeof(deep) - o, "' is %d levels deep", OG_CG_LEVELS);
	expect_error("scope cgroup too deep", text, 2, deep);
	expect_error(
	    "two scopes with the same cgroup and no uid",
	    "[scope:p1]\n"
	    "cgroup = @/a\n"
	    "[scope:p2]\n"
	    "cgroup = @/x, @/a/\n"
	    "[rule:one]\n"
	    "scope = p1\n"
	    "option = SO_PRIORITY\n"
	    "action = deny\n"
	    "[rule:two]\n"
	    "scope = p2\n"
	    "option = SO_PRIORITY\n"
	    "action = rewrite\n"
	    "value = 0\n",
	    9,
	    "rules 'two' and 'one' (line 5) both decide SO_PRIORITY for the same cgroup and "
	    "uid (scopes 'p2' and 'p1')");
	expect_error("two scopes with the same cgroup and a shared uid",
		     "[scope:p1]\n"
		     "cgroup = @/a\n"
		     "uid = 1000\n"
		     "[scope:p2]\n"
		     "cgroup = @/a\n"
		     "uid = 2000, 1000\n"
		     "[rule:one]\n"
		     "scope = p1\n"
		     "option = IP_TOS\n"
		     "action = deny\n"
		     "[rule:two]\n"
		     "scope = p2\n"
		     "option = IP_TOS\n"
		     "action = audit\n", 11, "the kernel cannot tell them apart");
}

/* ---- good files --------------------------------------------------------- */

/* A policy of every section and action (the design's first example), with our cgroups. */
static const char spec_example[] =
    "[enforcer]\n" /* 1 */
    "mode = enforce            ; enforce | audit  (audit: log what would happen)\n"
    "default = allow           ; allow | deny: calls that no rule matches\n"
    "cgroup = $   ; cgroup v2 directory the cgroup programs attach to\n"
    "lsm = auto                ; auto | require | off\n" /* 5 */
    "log = json                ; json | text | syslog | none\n"
    "log_file = /var/log/optguard/events.jsonl   ; \"-\" = stderr\n"
    "log_rate = 100            ; events per second per rule\n"
    "pin_dir = /sys/fs/bpf/optguard\n"
    "\n" /* 10 */
    "[scope:payments]          ; selectors; every one given must match\n"
    "cgroup = @/a     ; subtree; several, comma separated\n"
    "uid = 1001, root                            ; numbers or user names\n"
    "\n"
    "[rule:no-mark]\n" /* 15 */
    "option = SO_MARK          ; symbolic name, or level:optname (SOL_SOCKET:36, 1:36)\n"
    "action = deny             ; allow | deny | rewrite | clamp | force | audit\n"
    "errno = EPERM             ; deny only; default EPERM\n"
    "\n"
    "[rule:tos-allowlist]\n" /* 20 */
    "scope = payments          ; default: * (everything)\n"
    "option = IP_TOS\n"
    "action = deny\n"
    "except = CS0, AF41, 0x10  ; value-aware deny (cgroup hook)\n"
    "\n" /* 25 */
    "[rule:rcvbuf]\n"
    "option = SO_RCVBUF\n"
    "action = clamp\n"
    "min = 4K\n"
    "max = 4M                  ; K/M/G suffixes for sizes\n" /* 30 */
    "\n"
    "[rule:keepalive]\n"
    "option = SO_KEEPALIVE\n"
    "action = force\n"
    "value = on\n" /* 35 */
    "at = create, connect, established   ; when bpf_setsockopt applies it\n"
    "on_change = rewrite       ; rewrite | deny | allow\n"
    "\n"
    "[rule:cc]\n"
    "option = TCP_CONGESTION\n" /* 40 */
    "action = force\n"
    "value = cubic\n"
    "at = connect\n";

static void check_spec_example(const char *name, const struct og_policy *p)
{
	const struct og_rule_def *r;
	char tn[256];
	__u64 id;
	int level;

	snprintf(tn, sizeof(tn), "%s: enforcer section", name);
	ASSERT_TRUE(p->mode == OG_MODE_ENFORCE && p->default_action == OG_ACT_ALLOW &&
		    p->default_err == EPERM && p->lsm == OG_LSM_AUTO && p->log == OG_LOG_JSON &&
		    !strcmp(p->log_file, "/var/log/optguard/events.jsonl") && p->log_rate == 100 &&
		    !strcmp(p->pin_dir, "/sys/fs/bpf/optguard") && !strcmp(p->cgroup, mnt) &&
		    !cg_info(mnt, &id, &level) && p->cgroup_id == id && p->cgroup_level == 0, tn);
	snprintf(tn, sizeof(tn), "%s: one scope, five rules", name);
	if (!ASSERT_TRUE(p->nscopes == 1 && p->nrules == 5, tn))
		return;
	snprintf(tn, sizeof(tn), "%s: scope payments", name);
	ASSERT_TRUE(!strcmp(p->scopes[0].name, "payments") && p->scopes[0].line == 11 &&
		    p->scopes[0].ncgroups == 1 && p->scopes[0].cgroups[0].level == base_level + 1 &&
		    p->scopes[0].nuids == 2 && p->scopes[0].uids[0] == 1001 &&
		    p->scopes[0].uids[1] == 0, tn);
	r = &p->rules[0];
	snprintf(tn, sizeof(tn), "%s: rule no-mark", name);
	ASSERT_TRUE(!strcmp(r->name, "no-mark") && r->line == 15 && r->action == OG_ACT_DENY &&
		    r->err == EPERM && r->level == SOL_SOCKET && r->optname == SO_MARK &&
		    !r->scope && r->nexcept == 0, tn);
	r = &p->rules[1];
	snprintf(tn, sizeof(tn), "%s: rule tos-allowlist", name);
	ASSERT_TRUE(r->scope == &p->scopes[0] && r->vtype == OG_VT_DSCP && r->nexcept == 3 &&
		    r->except[0].num == 0 && r->except[1].num == 34 << 2 &&
		    r->except[2].num == 0x10 && r->err == EPERM, tn);
	r = &p->rules[2];
	snprintf(tn, sizeof(tn), "%s: rule rcvbuf", name);
	ASSERT_TRUE(r->action == OG_ACT_CLAMP && r->has_min && r->has_max &&
		    r->min.num == 4096 && r->max.num == 4 << 20 && !r->has_value, tn);
	r = &p->rules[3];
	snprintf(tn, sizeof(tn), "%s: rule keepalive", name);
	ASSERT_TRUE(r->action == OG_ACT_FORCE && r->has_value && r->value.num == 1 &&
		    r->at == (OG_AT_CREATE | OG_AT_CONNECT | OG_AT_ESTABLISHED) &&
		    r->on_change == OG_ONCHANGE_REWRITE, tn);
	r = &p->rules[4];
	snprintf(tn, sizeof(tn), "%s: rule cc", name);
	ASSERT_TRUE(r->action == OG_ACT_FORCE && !strcmp(r->value.str, "cubic") &&
		    r->at == OG_AT_CONNECT && r->opt == option_by_name("TCP_CONGESTION"), tn);
}

static char *crlf(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	if (!out)
		abort();
	for (; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

#define LONG_COMMENT \
	"comment comment comment comment comment comment comment comment comment comment " \
	"comment comment comment comment comment comment comment comment comment comment " \
	"comment comment comment comment comment comment comment comment comment comment"

static void test_good_files(void)
{
	struct og_policy *p;
	char *text, *bom;

	/* 2 warnings: its IP_TOS and SO_RCVBUF rules leave IPV6_TCLASS and SO_RCVBUFFORCE open */
	p = expect_good("design example", spec_example, 2);
	if (p)
		check_spec_example("design example", p);
	policy_free(p);

	text = crlf(spec_example);
	p = expect_good("CRLF line endings", text, 2);
	if (p)
		check_spec_example("CRLF line endings", p);
	policy_free(p);
	free(text);

	if (asprintf(&bom, "\xef\xbb\xbf%s", spec_example) < 0)
		abort();
	p = expect_good("UTF-8 BOM", bom, 2);
	if (p)
		check_spec_example("UTF-8 BOM", p);
	policy_free(p);
	free(bom);

	p = expect_good("comments only", "; a comment\n# another\n\n   ; indented\n", 0);
	if (p)
		ASSERT_TRUE(
		    p->nrules == 0 && p->nscopes == 0 && p->mode == OG_MODE_ENFORCE &&
			p->default_action == OG_ACT_ALLOW && p->log_rate == OG_DEFAULT_LOG_RATE &&
			!strcmp(p->pin_dir, OG_DEFAULT_PIN_DIR) &&
			!strcmp(p->log_file, OG_DEFAULT_LOG_FILE) && !strcmp(p->cgroup, mnt),
		    "comments only: every default");
	policy_free(p);

	p = expect_good("empty file", "", 0);
	policy_free(p);

	p = expect_good("indented keys, scope after its rule, default deny",
			"[enforcer]\n"
			"  default = deny\n"
			"\tdefault_errno = EACCES\n"
			"log_file = -\n"
			"[rule:r]\n"
			"  scope = later\n"
			"  option = IPPROTO_TCP:0x1f\n"
			"  action = deny\n"
			"  errno = 13\n"
			"[rule:odd]\n"
			"option = 1:250\n"
			"action = audit\n"
			"[scope:later]\n"
			"uid = 1001\n", 0);
	if (p) {
		ASSERT_TRUE(p->default_action == OG_ACT_DENY && p->default_err == EACCES &&
			    !strcmp(p->log_file, "-"), "default deny with default_errno");
		ASSERT_TRUE(
		    p->rules[0].scope == &p->scopes[0] &&
			p->rules[0].opt == option_by_name("TCP_ULP") && p->rules[0].err == EACCES,
		    "a rule names a scope defined below it; LEVEL:0xOPT resolves to the table");
		ASSERT_TRUE(!p->rules[1].opt && p->rules[1].level == 1 &&
			    p->rules[1].optname == 250 && p->rules[1].vtype == OG_VT_OPAQUE,
			    "a pair outside the table is opaque");
	}
	policy_free(p);

	/* 1 warning: the IPV6_TCLASS rule leaves IP_TOS open */
	p = expect_good("force defaults and on_change deny",
			"[rule:k]\n"
			"option = TCP_KEEPIDLE\n"
			"action = force\n"
			"value = 60\n"
			"[rule:t]\n"
			"option = IPV6_TCLASS\n"
			"action = force\n"
			"value = ef\n"
			"on_change = deny\n"
			"errno = EACCES\n"
			"[rule:p]\n"
			"option = SO_MAX_PACING_RATE\n"
			"action = clamp\n"
			"max = 0x100000000\n"
			"[rule:w]\n"
			"option = TCP_LINGER2\n"	/* -1: the system's FIN timeout */
			"action = rewrite\n"
			"value = 0\n"
			"except = 1, 2, -1\n", 1);
	if (p) {
		ASSERT_TRUE(p->rules[0].at == (OG_AT_CREATE | OG_AT_CONNECT) &&
				p->rules[0].on_change == OG_ONCHANGE_REWRITE &&
				p->rules[0].value.num == 60,
			    "force without at: create and connect, on_change rewrite");
		ASSERT_TRUE(p->rules[1].on_change == OG_ONCHANGE_DENY &&
				p->rules[1].err == EACCES && p->rules[1].value.num == 46 << 2,
			    "force with on_change = deny takes errno");
		ASSERT_TRUE(p->rules[2].has_max && !p->rules[2].has_min &&
			    p->rules[2].max.num == 1LL << 32, "SO_MAX_PACING_RATE takes 64 bits");
		ASSERT_TRUE(p->rules[3].nexcept == 3 && p->rules[3].except[2].num == -1,
			    "rewrite with except");
	}
	policy_free(p);

	p = expect_good(
	    "long lines are read whole",
	    "[scope:s]\n"
	    "uid = 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, "
	    "1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, "
	    "1026, 1027, 1028, 1029, 1030, 1031, 1032, 1033, 1034, 1035 ; a comment = x\n"
	    "; " LONG_COMMENT " = x\n"
	    "[rule:r]\n"
	    "scope = s\n"
	    "option = SO_MARK\n"
	    "action = deny\n",
	    0);
	if (p)
		ASSERT_TRUE(p->nscopes == 1 && p->scopes[0].nuids == 35 &&
			    p->scopes[0].uids[34] == 1035 && p->nrules == 1,
			    "long lines: all 35 uids, inline comment dropped");
	policy_free(p);

	p = expect_good("force keys: at = send, telemetry, on_unforceable",
			"[rule:dscp]\n"
			"option = DSCP\n"
			"action = force\n"
			"value = AF41\n"
			"at = connect, send\n"
			"telemetry = on\n"
			"on_unforceable = deny\n", 0);
	if (p)
		ASSERT_TRUE(p->rules[0].at == (OG_AT_CONNECT | OG_AT_SEND) && !p->rules[0].at_default &&
			    p->rules[0].telemetry && p->rules[0].deny_unforceable,
			    "force keys: at connect, send; telemetry on; on_unforceable deny");
	policy_free(p);
	p = expect_good("force keys that the points make moot: warnings",
			"[rule:dscp]\n"
			"option = DSCP\n"
			"action = force\n"
			"value = AF41\n"
			"at = send\n"
			"telemetry = on\n"
			"[rule:ka]\n"
			"option = SO_KEEPALIVE\n"
			"action = force\n"
			"value = on\n"
			"at = create, established\n"
			"on_unforceable = deny\n", 2);
	policy_free(p);

	p = expect_good("warnings do not fail a load",
			"[enforcer]\n"
			"default_errno = EPERM\n"
			"[scope:empty]\n", 2);
	policy_free(p);
}

/* ---- precedence (policy_match, scope_rank) ------------------------------- */

static const char precedence_policy[] =
	"[scope:a]\n"
	"cgroup = @/a\n"
	"[scope:ab]\n"
	"cgroup = @/a/b/\n"
	"[scope:a-uid]\n"
	"cgroup = @/a\n"
	"uid = 1000\n"
	"[scope:uid]\n"
	"uid = 1000\n"
	"[scope:ax]\n"
	"cgroup = @/x, @/a/b/c\n"
	"[rule:star]\n"
	"option = SO_MARK\n"
	"action = deny\n"
	"[rule:a]\n"
	"scope = a\n"
	"option = SO_MARK\n"
	"action = allow\n"
	"[rule:ab]\n"
	"scope = ab\n"
	"option = SO_MARK\n"
	"action = audit\n"
	"[rule:a-uid]\n"
	"scope = a-uid\n"
	"option = SO_MARK\n"
	"action = allow\n"
	"[rule:uid]\n"
	"scope = uid\n"
	"option = SO_MARK\n"
	"action = allow\n"
	"[rule:tos]\n"
	"scope = ax\n"
	"option = IP_TOS\n"
	"action = deny\n";

static void expect_match(const struct og_policy *p, const char *where, __u32 uid,
			 const char *want, const char *why)
{
	const struct og_rule_def *r;
	char *path = subst(where), tn[256];

	r = policy_match(p, SOL_SOCKET, SO_MARK, path, uid);
	snprintf(tn, sizeof(tn), "SO_MARK from %s uid %u: rule %s (%s)", where, uid, want, why);
	ASSERT_STREQ(r ? r->name : NULL, want, tn);
	free(path);
}

static const struct og_scope *scope_named(const struct og_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nscopes; i++)
		if (!strcmp(p->scopes[i].name, name))
			return &p->scopes[i];
	return NULL;
}

static void test_precedence(void)
{
	struct og_policy *p;
	char *path;
	int l = base_level;

	/* 1 warning: its IP_TOS rule leaves IPV6_TCLASS open */
	p = expect_good("precedence policy", precedence_policy, 1);
	if (!p)
		return;
	expect_match(p, "@/a/b/c", 1000, "ab", "a deeper cgroup beats a uid at a shallower one");
	expect_match(p, "@/a/b", 5, "ab", "the scope's own cgroup is in its subtree");
	expect_match(p, "@/a", 1000, "a-uid", "at the same depth a uid beats no uid");
	expect_match(p, "@/a/", 5, "a", "cgroup without uid; caller path normalised");
	expect_match(p, "@/x", 1000, "uid", "a uid-only scope beats '*'");
	expect_match(p, "@/x", 5, "star", "'*' is last");
	expect_match(p, "@/ab", 5, "star", "/a does not contain /ab");
	expect_match(p, "/elsewhere", 5, "star", "a path outside the cgroup tree gets '*'");
	ASSERT_NULL(policy_match(p, SOL_SOCKET, SO_PRIORITY, base, 0),
		    "an option without rules: NULL (the default decides)");
	path = subst("@/a/b/c/d");
	ASSERT_STREQ(policy_match(p, IPPROTO_IP, IP_TOS, path, 0) ?
		     policy_match(p, IPPROTO_IP, IP_TOS, path, 0)->name : NULL, "tos",
		     "a scope with several cgroups matches any of them");
	ASSERT_EQ(scope_rank(scope_named(p, "ax"), path, 0), 2 * (l + 3 + 1),
		  "scope_rank uses the deepest matching cgroup of the scope");
	free(path);
	path = subst("@/y");
	ASSERT_NULL(policy_match(p, IPPROTO_IP, IP_TOS, path, 0),
		    "no scope matches and no '*' rule: NULL");
	free(path);

	path = subst("@/a/b");
	ASSERT_EQ(scope_rank(NULL, path, 7), 0, "scope_rank of '*' is 0");
	ASSERT_EQ(scope_rank(scope_named(p, "uid"), path, 1000), 1, "scope_rank uid only is 1");
	ASSERT_EQ(scope_rank(scope_named(p, "uid"), path, 7), -1,
		  "scope_rank of another uid is -1");
	ASSERT_EQ(scope_rank(scope_named(p, "a"), path, 7), 2 * (l + 1 + 1),
		  "scope_rank of a cgroup scope is 2 * (level + 1)");
	ASSERT_EQ(scope_rank(scope_named(p, "a-uid"), path, 1000), 2 * (l + 1 + 1) + 1,
		  "scope_rank of a cgroup + uid scope is 2 * (level + 1) + 1");
	ASSERT_EQ(scope_rank(scope_named(p, "a-uid"), path, 7), -1,
		  "scope_rank of a cgroup + uid scope with another uid is -1");
	ASSERT_EQ(scope_rank(scope_named(p, "ab"), path, 7), 2 * (l + 2 + 1),
		  "scope_rank of a deeper cgroup is higher");
	ASSERT_EQ(scope_rank(scope_named(p, "a"), NULL, 7), -1,
		  "scope_rank of a cgroup scope for a caller without a path is -1");
	free(path);
	policy_free(p);
}

/* A family rule: its options, the keys it encodes to, force per socket family. */
static void test_families(void)
{
	struct og_encoding enc;
	struct og_policy *p;
	const struct og_rule_def *r;
	size_t i, n;

	p = expect_good("families",
			"[rule:dscp]\n"
			"option = DSCP\n"
			"action = force\n"
			"value = AF41\n"
			"at = connect\n"
			"[rule:rcv]\n"
			"option = so_rcvbuf*\n"
			"action = force\n"
			"value = 64K\n"
			"[rule:list]\n"
			"option = TTL, IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS\n"
			"action = clamp\n"
			"min = 2\n", 0);
	if (!p)
		return;
	r = &p->rules[0];
	ASSERT_TRUE(rule_nopts(r) == 2 && r->opt == option_by_name("IP_TOS") &&
		    rule_opt(r, 1).opt == option_by_name("IPV6_TCLASS") &&
		    !strcmp(r->optspec, "DSCP"), "option = DSCP: IP_TOS and IPV6_TCLASS");
	ASSERT_TRUE(rule_nopts(&p->rules[1]) == 2 &&
		    rule_opt(&p->rules[1], 1).opt == option_by_name("SO_RCVBUFFORCE") &&
		    !strcmp(p->rules[1].optspec, "SO_RCVBUF*"),
		    "option = so_rcvbuf* (any case): SO_RCVBUF and SO_RCVBUFFORCE");
	ASSERT_EQ(rule_nopts(&p->rules[2]), 4, "a list of a family and two options: 4 options");
	ASSERT_STREQ(policy_match(p, IPPROTO_IPV6, IPV6_TCLASS, base, 0) ?
		     policy_match(p, IPPROTO_IPV6, IPV6_TCLASS, base, 0)->name : NULL, "dscp",
		     "IPV6_TCLASS finds the DSCP rule");
	ASSERT_STREQ(policy_match(p, SOL_SOCKET, SO_RCVBUFFORCE, base, 0) ?
		     policy_match(p, SOL_SOCKET, SO_RCVBUFFORCE, base, 0)->name : NULL, "rcv",
		     "SO_RCVBUFFORCE finds the SO_RCVBUF* rule");
	if (!ASSERT_OK(policy_encode(p, &enc), "families encode")) {
		policy_free(p);
		return;
	}
	ASSERT_EQ(enc.nkeys, 8, "one key per option: 2 + 2 + 4");
	for (i = 0, n = 0; i < enc.nkeys; i++)
		n += enc.vals[i].id == 1;
	ASSERT_EQ(n, 2, "both DSCP keys carry the rule's one id (its name and counters)");
	for (i = 0; i < enc.nkeys; i++)
		if (enc.vals[i].id == 1)
			ASSERT_EQ(!!(enc.vals[i].flags & OG_RF_BYTE_OK),
				  enc.keys[i].slot == (__u32)og_slot_fixed(IPPROTO_IP, IP_TOS),
				  "byte_ok per option: IP_TOS takes a byte, IPV6_TCLASS not");
	/* forced: IP_TOS, IPV6_TCLASS, SO_RCVBUF; SO_RCVBUFFORCE only on_change */
	ASSERT_EQ(enc.nforced, 3, "force on families: 3 options bpf_setsockopt sets");
	ASSERT_TRUE(enc.nfkeys == 1 && enc.fsets[0].forced == 0x7 &&
		    enc.fsets[0].ent[0].level == IPPROTO_IP && enc.fsets[0].ent[0].rule_id == 1 &&
		    enc.fsets[0].ent[1].level == IPPROTO_IPV6 && enc.fsets[0].ent[1].rule_id == 1 &&
		    enc.fsets[0].ent[2].optname == SO_RCVBUF && enc.fsets[0].ent[2].rule_id == 2,
		    "each forced option an entry of its rule (IP_TOS, IPV6_TCLASS, SO_RCVBUF)");
	encoding_free(&enc);
	policy_free(p);
}

int main(void)
{
	static void (*const plain[])(void) = { test_option_table, test_levels_and_names,
					       test_values, test_errno };
	static void (*const need_mnt[])(void) = { test_errors, test_all_errors_collected,
						  test_nul_byte, test_open_failure };
	static void (*const need_base[])(void) = { test_cgroup_errors, test_good_files,
						   test_precedence, test_families };
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cgroups_setup();
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		plain[i]();
	for (i = 0; i < sizeof(need_mnt) / sizeof(need_mnt[0]); i++) {
		if (mnt[0])
			need_mnt[i]();
		else
			skip(no_mnt_reason, "policy parser tests (group %zu)", i + 1);
	}
	for (i = 0; i < sizeof(need_base) / sizeof(need_base[0]); i++) {
		if (base[0])
			need_base[i]();
		else
			skip(no_base_reason, "policy tests with child cgroups (group %zu)", i + 1);
	}
	return done_testing();
}
