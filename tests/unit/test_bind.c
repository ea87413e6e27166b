// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the selectors and binding tables (enforcer/policy/bind.c):
 * glob patterns matched per path component, units at any depth below the
 * enforcer's cgroup, which directories may hold a match (what the daemon
 * watches), the precedence of selectors (bind_prio()), and the encoding of a
 * binding table in which one cgroup is bound to two scopes: for each option
 * the most specific selector's rule is the key the kernel gets, whatever the
 * order the rules are written in (og_rules and the force sets).
 *
 * No cgroup is made: selectors are matched against paths as text, and the
 * binding table names a cgroup id by hand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "encode.h"
#include "expand.h"
#include "policy.h"
#include "tap.h"

static const struct og_scope_cgroup glob_nginx = { .path = "/cg/system.slice/nginx*.service",
						   .kind = OG_SEL_GLOB };
static const struct og_scope_cgroup glob_mid = { .path = "/cg/*/x", .kind = OG_SEL_GLOB };
static const struct og_scope_cgroup unit_x = { .path = "x.service", .kind = OG_SEL_UNIT };
static const struct og_scope_cgroup path_a = { .path = "/cg/a/b", .kind = OG_SEL_PATH };

static void test_match(void)
{
	ok(bind_match(&glob_nginx, "/cg", "/cg", "/cg/system.slice/nginx-a.service"),
	   "a pattern matches a cgroup whose components match");
	ok(!bind_match(&glob_nginx, "/cg", "/cg", "/cg/system.slice/nginx-a.service/x"),
	   "... not one below it");
	ok(!bind_match(&glob_nginx, "/cg", "/cg", "/cg/other.slice/nginx.service"),
	   "... nor one in another slice");
	ok(!bind_match(&glob_mid, "/cg", "/cg", "/cg/a/b/x"), "a * never crosses a /");
	ok(bind_match(&glob_mid, "/cg", "/cg", "/cg/a/x"), "a * matches one component");
	ok(bind_below(&glob_nginx, "/cg", "/cg", "/cg/system.slice"),
	   "the pattern's parent directory is watched");
	ok(bind_below(&glob_nginx, "/cg", "/cg", "/cg"), "and its ancestors");
	ok(!bind_below(&glob_nginx, "/cg", "/cg", "/cg/other.slice"), "another slice is not");
	ok(!bind_below(&glob_nginx, "/cg", "/cg", "/cg/system.slice/nginx.service"),
	   "nor the matching cgroup itself (nothing below it can match)");
	ok(bind_match(&unit_x, "/cg", "/cg", "/cg/a/b/x.service"), "a unit at any depth");
	ok(!bind_match(&unit_x, "/cg", "/cg/a", "/cg/z/x.service"),
	   "a unit outside the enforcer's cgroup is not bound");
	ok(bind_below(&unit_x, "/cg", "/cg/a", "/cg/a/deep/er"),
	   "every directory below the enforcer's cgroup is watched for a unit");
	ok(bind_match(&path_a, "/cg", "/cg", "/cg/a/b") && !bind_match(&path_a, "/cg", "/cg",
									  "/cg/a/bc"),
	   "a path matches itself only");
	ok(bind_below(&path_a, "/cg", "/cg", "/cg/a") && !bind_below(&path_a, "/cg", "/cg",
									  "/cg/a/b"),
	   "a path's ancestors are watched, not the path");
	ASSERT_EQ(bind_covers(&unit_x, "/cg", "/cg", "/cg/s.slice/x.service/inner"), 2,
		  "a unit covers a caller below it at its own depth");
	ASSERT_EQ(bind_covers(&glob_nginx, "/cg", "/cg", "/cg/other/nginx.service"), -1,
		  "a pattern does not cover a caller it does not name");
}

static void test_prio(void)
{
	struct og_scope_cgroup g1 = { .path = "/cg/a*", .kind = OG_SEL_GLOB };
	struct og_scope_cgroup g2 = { .path = "/cg/ab*", .kind = OG_SEL_GLOB };

	ok(bind_prio(&path_a) > bind_prio(&unit_x), "a path beats a unit");
	ok(bind_prio(&unit_x) > bind_prio(&glob_nginx), "a unit beats a pattern");
	ok(bind_prio(&g2) > bind_prio(&g1), "a pattern with more literal characters beats another");
}

/*
 * Scopes "path" (a path not made yet) and "glob" (a pattern naming it) both
 * bound to cgroup 4242: @first_glob writes the pattern's rules first.
 */
static void test_shared(bool first_glob)
{
	char mnt[4096], text[16384];
	int o;
	struct og_bind_table t = {};
	struct og_bind_expand x;
	struct og_encoding enc;
	struct og_policy *p = NULL;
	struct og_diag d = {};
	size_t cap = 0, i, n4242 = 0;
	const char *tag = first_glob ? "pattern's rules first" : "path's rules first";
	int mark = -1, prio = -1, fset = -1;
	const char *glob_rules =
		"[rule:glob-mark]\nscope = glob\noption = SO_MARK\naction = deny\nerrno = ENOBUFS\n"
		"[rule:glob-prio]\nscope = glob\noption = SO_PRIORITY\naction = deny\n"
		"errno = ENOBUFS\n"
		"[rule:glob-ka]\nscope = glob\noption = SO_KEEPALIVE\naction = force\nvalue = on\n"
		"at = connect\n";
	const char *path_rules =
		"[rule:path-mark]\nscope = path\noption = SO_MARK\naction = deny\nerrno = EACCES\n"
		"[rule:path-ka]\nscope = path\noption = SO_KEEPALIVE\naction = allow\n";

	if (cg2_mount(mnt, sizeof(mnt))) {
		skip("no cgroup2 mount", "shared bindings");
		return;
	}
	o = snprintf(text, sizeof(text), "[scope:path]\ncgroup = %s/og-unit-%d/svc\n"
		     "[scope:glob]\ncgroup = %s/og-unit-%d/s*\n%s%s", mnt, getpid(), mnt, getpid(),
		     first_glob ? glob_rules : path_rules, first_glob ? path_rules : glob_rules);
	if (o < 0 || (size_t)o >= sizeof(text))
		return;
	if (!ASSERT_OK(policy_load_buffer("shared", text, strlen(text), &p, &d), "loads")) {
		for (i = 0; i < d.nmsgs; i++)
			diag("%s", d.msgs[i]);
		diag_free(&d);
		return;
	}
	diag_free(&d);
	/* as parsed: neither is bound, no key names a cgroup, neither scope is '*' */
	if (ASSERT_OK(policy_encode(p, &enc), "encodes as parsed")) {
		ASSERT_EQ(enc.nkeys, 0, "no selector bound yet: no rule key at all");
		encoding_free(&enc);
	}
	for (i = 0; i < p->nscopes; i++)
		bindings_add(&t, &cap, &(struct og_binding){
			.scope = i, .sel = 0, .id = 4242, .level = 2,
			.prio = bind_prio(&p->scopes[i].cgroups[0]) });
	if (!ASSERT_OK(bind_expand(p, &t, &x), "bind_expand"))
		goto out;
	ok(x.b.shared, "%s: the table says one cgroup is bound to two scopes", tag);
	if (ASSERT_OK(policy_encode_bound(p, &x.b, &enc), "encodes the table")) {
		for (i = 0; i < enc.nkeys; i++) {
			if (enc.keys[i].cgid != 4242)
				continue;
			n4242++;
			if (enc.keys[i].slot == (__u32)og_slot_fixed(1, 36))
				mark = enc.vals[i].err;
			if (enc.keys[i].slot == (__u32)og_slot_fixed(1, 12))
				prio = enc.vals[i].err;
		}
		ASSERT_EQ(n4242, 3, "one key per option for the cgroup (SO_MARK, SO_PRIORITY, "
			  "SO_KEEPALIVE)");
		ok(mark == EACCES, "%s: SO_MARK: the path's rule (EACCES), not the pattern's (%d)",
		   tag, mark);
		ok(prio == ENOBUFS, "%s: SO_PRIORITY, which only the pattern decides: its rule",
		   tag);
		for (i = 0; i < enc.nfkeys; i++)
			if (enc.fkeys[i].cgid == 4242)
				fset = (int)enc.fsets[i].forced;
		ok(fset == 0, "%s: SO_KEEPALIVE: the path's allow shadows the pattern's force "
		   "(forced mask %d)", tag, fset);
		encoding_free(&enc);
	}
	bind_expand_free(&x);
out:
	bindings_free(&t);
	policy_free(p);
}

int main(void)
{
	test_match();
	test_prio();
	test_shared(true);
	test_shared(false);
	return done_testing();
}
