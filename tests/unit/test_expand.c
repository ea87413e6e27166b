// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the key expansion and precedence (enforcer/policy/expand.c)
 * and of the encodings built on it (encode.c, encode_force.c): keys for uid
 * lists and cgroup lists, several scopes, families, the binding table that
 * replaces the cgroups resolved at parse time, duplicate keys, the most
 * specific rule winning, and force sets.
 *
 * No cgroup is made: the cgroups of a scope are given by hand (ids and paths
 * the kernel never sees), which is what a binding table allows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "encode.h"
#include "expand.h"
#include "policy.h"
#include "tap.h"

static struct og_policy *load(const char *name, const char *text)
{
	struct og_policy *p = NULL;
	struct og_diag d = {};
	size_t i;

	if (policy_load_buffer(name, text, strlen(text), &p, &d)) {
		for (i = 0; i < d.nmsgs; i++)
			diag("%s", d.msgs[i]);
		p = NULL;
	}
	diag_free(&d);
	return p;
}

static struct og_scope *scope_named(struct og_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nscopes; i++)
		if (!strcmp(p->scopes[i].name, name))
			return &p->scopes[i];
	return NULL;
}

/*
 * Give scope @name of @p the cgroups (ids, levels, paths) as the parser would
 * have, and @nuids uids instead of those the file gave it (the file gives
 * scopes placeholder uids: two scopes alike would be refused as duplicates).
 */
static void set_scope(struct og_policy *p, const char *name, size_t n, const __u64 *ids,
		      const int *levels, const char *const *paths, size_t nuids,
		      const __u32 *uids)
{
	struct og_scope *s = scope_named(p, name);
	size_t i;

	if (!s)
		abort();
	s->cgroups = calloc(n, sizeof(*s->cgroups));
	if (!s->cgroups)
		abort();
	for (i = 0; i < n; i++)
		s->cgroups[i] = (struct og_scope_cgroup){ .id = ids[i], .level = levels[i],
							  .path = strdup(paths[i]) };
	s->ncgroups = n;
	for (i = 0; i < nuids; i++)
		s->uids[i] = uids[i];
	s->nuids = nuids;
}

#define MAXK	64

struct keys {
	struct og_key k[MAXK];
	size_t n;
	int stop_at;	/* return -EINTR at this key (1-based); 0: never */
};

static int collect(void *ctx, const struct og_key *k)
{
	struct keys *ks = ctx;

	if (ks->n < MAXK)
		ks->k[ks->n] = *k;
	ks->n++;
	if (ks->stop_at && (int)ks->n == ks->stop_at)
		return -EINTR;
	return 0;
}

static bool has_key(const struct keys *ks, size_t rule, int optname, __u32 uid, __u64 cgid)
{
	size_t i;

	for (i = 0; i < ks->n && i < MAXK; i++)
		if (ks->k[i].rule == rule && ks->k[i].o.optname == optname &&
		    ks->k[i].uid == uid && ks->k[i].cgid == cgid)
			return true;
	return false;
}

static const char uid_policy[] =
	"[scope:users]\n"
	"uid = 1000, 1001, 1002\n"
	"[scope:root]\n"
	"uid = 0\n"
	"[rule:star]\n"
	"option = SO_MARK\n"
	"action = deny\n"
	"[rule:users]\n"
	"scope = users\n"
	"option = SO_MARK\n"
	"action = allow\n"
	"[rule:dscp]\n"
	"scope = root\n"
	"option = DSCP\n"
	"action = deny\n";

static void test_uid_lists(void)
{
	struct og_policy *p = load("uids.ini", uid_policy);
	struct keys ks = {};

	if (!ok(p != NULL, "a policy of uid scopes loads"))
		return;
	ASSERT_OK(expand_rule(p, NULL, 0, collect, &ks), "expand '*'");
	ASSERT_EQ(ks.n, 1, "'*' has one key");
	ok(has_key(&ks, 0, SO_MARK, OG_UID_ANY, 0), "... for any uid and any cgroup");

	ks.n = 0;
	ASSERT_OK(expand_rule(p, NULL, 1, collect, &ks), "expand a uid list");
	ASSERT_EQ(ks.n, 3, "three uids: three keys");
	ok(ks.k[0].uid == 1000 && ks.k[1].uid == 1001 && ks.k[2].uid == 1002,
	   "in the order the scope lists them");
	ok(ks.k[0].cgid == 0 && ks.k[2].cgid == 0 && ks.k[1].cglevel == 0,
	   "a uid scope names no cgroup");

	ks.n = 0;
	ASSERT_OK(expand_rule(p, NULL, 2, collect, &ks), "expand a family");
	ASSERT_EQ(ks.n, 2, "DSCP for one uid: a key for each of its two options");
	ok(has_key(&ks, 2, IP_TOS, 0, 0) && has_key(&ks, 2, IPV6_TCLASS, 0, 0),
	   "IP_TOS and IPV6_TCLASS, uid 0");
	ok(ks.k[0].opt == 0 && ks.k[1].opt == 1, "each key says which option of the rule it is");

	ks.n = 0;
	ASSERT_OK(expand_policy(p, NULL, NULL, collect, &ks), "expand the policy");
	ASSERT_EQ(ks.n, 6, "1 + 3 + 2 keys");
	ok(ks.k[0].rule == 0 && ks.k[1].rule == 1 && ks.k[5].rule == 2, "in rule order");

	ks.n = 0;
	ASSERT_OK(expand_policy(p, NULL, (bool[]){ false, true, false }, collect, &ks),
		  "expand with a rule skipped");
	ASSERT_EQ(ks.n, 3, "the skipped rule has no keys");

	ks.n = 0;
	ks.stop_at = 2;
	ASSERT_EQ(expand_policy(p, NULL, NULL, collect, &ks), -EINTR,
		  "a callback's error stops the expansion and is returned");
	ASSERT_EQ(ks.n, 2, "no key after it");
	policy_free(p);
}

static const char cg_policy[] =
	"[scope:web]\n"
	"uid = 9001\n"
	"[scope:web-users]\n"
	"uid = 9002, 9003\n"
	"[rule:web]\n"
	"scope = web\n"
	"option = SO_MARK\n"
	"action = deny\n"
	"[rule:web-users]\n"
	"scope = web-users\n"
	"option = IP_TOS\n"
	"action = deny\n";

/* cg_policy with its scopes given cgroups: web /cg/a (id 11, level 1) and /cg/a/b (12, 2) */
static struct og_policy *cg_load(void)
{
	static const __u64 ids[] = { 11, 12 };
	static const int levels[] = { 1, 2 };
	static const char *const paths[] = { "/cg/a", "/cg/a/b" };
	struct og_policy *p = load("cg.ini", cg_policy);

	if (!p)
		return NULL;
	set_scope(p, "web", 2, ids, levels, paths, 0, NULL);
	set_scope(p, "web-users", 2, ids, levels, paths, 2, (__u32[]){ 1000, 1001 });
	return p;
}

static void test_cgroups_and_bindings(void)
{
	static const struct og_scope_cgroup other[] = {
		{ .id = 21, .level = 3, .path = "/cg/x/y/z" },
		{ .id = 22, .level = 1, .path = "/cg/w" },
		{ .id = 23, .level = 1, .path = "/cg/v" },
	};
	struct og_scope_binding bind[2];
	struct og_bindings b = { .scope = bind, .nscopes = 2 };
	struct og_policy *p = cg_load();
	struct keys ks = {};

	if (!ok(p != NULL, "a policy of cgroup scopes loads"))
		return;
	ASSERT_OK(expand_rule(p, NULL, 0, collect, &ks), "expand a cgroup list");
	ASSERT_EQ(ks.n, 2, "two cgroups: two keys");
	ok(ks.k[0].cgid == 11 && ks.k[0].cglevel == 1 && ks.k[1].cgid == 12 &&
	   ks.k[1].cglevel == 2, "with each cgroup's id and level");
	ok(ks.k[0].uid == OG_UID_ANY && ks.k[1].uid == OG_UID_ANY, "and no uid");

	ks.n = 0;
	ASSERT_OK(expand_rule(p, NULL, 1, collect, &ks), "expand cgroups x uids");
	ASSERT_EQ(ks.n, 4, "2 cgroups x 2 uids");
	ok(ks.k[0].cgid == 11 && ks.k[0].uid == 1000 && ks.k[1].cgid == 11 &&
	   ks.k[1].uid == 1001 && ks.k[2].cgid == 12 && ks.k[2].uid == 1000 &&
	   ks.k[3].cgid == 12 && ks.k[3].uid == 1001, "cgroup by cgroup, each with every uid");

	/* the same policy, its scopes bound to other cgroups than the parser found */
	bind[0] = (struct og_scope_binding){ .cg = other, .n = 3 };
	bind[1] = (struct og_scope_binding){ .cg = other, .n = 1 };
	ks.n = 0;
	ASSERT_OK(expand_rule(p, &b, 0, collect, &ks), "expand with a binding table");
	ASSERT_EQ(ks.n, 3, "the keys of the bound cgroups");
	ok(ks.k[0].cgid == 21 && ks.k[0].cglevel == 3 && ks.k[2].cgid == 23,
	   "with their ids and levels, none of the parsed ones");
	ks.n = 0;
	ASSERT_OK(expand_rule(p, &b, 1, collect, &ks), "expand bound cgroups x uids");
	ASSERT_EQ(ks.n, 2, "1 bound cgroup x 2 uids");

	bind[0].n = 0;
	ks.n = 0;
	ASSERT_OK(expand_rule(p, &b, 0, collect, &ks), "expand a scope bound to nothing");
	ASSERT_EQ(ks.n, 0, "a cgroup scope bound to no cgroup has no keys (it is not '*')");
	b.nscopes = 1;
	ks.n = 0;
	ASSERT_OK(expand_rule(p, &b, 1, collect, &ks), "expand a scope past the table");
	ASSERT_EQ(ks.n, 0, "a scope the table does not reach is bound to nothing");
	policy_free(p);
}

static void test_encode(void)
{
	static const struct og_scope_cgroup deep[] = { { .id = 31, .level = 5, .path = "/d" } };
	struct og_scope_binding bind[2] = { { .cg = deep, .n = 1 }, { 0 } };
	struct og_bindings b = { .scope = bind, .nscopes = 2 };
	struct og_policy *p = cg_load();
	struct og_encoding enc;
	int ms = og_slot_fixed(SOL_SOCKET, SO_MARK), ts = og_slot_fixed(IPPROTO_IP, IP_TOS);
	size_t i, n11 = 0;

	if (!ok(p != NULL, "cgroup policy for the encoding") || ms < 0 || ts < 0)
		return;
	if (!ASSERT_OK(policy_encode(p, &enc), "policy_encode"))
		goto out;
	ASSERT_EQ(enc.nkeys, 6, "the encoding has every expanded key (2 + 4)");
	for (i = 0; i < enc.nkeys; i++)
		n11 += enc.keys[i].cgid == 11;
	ASSERT_EQ(n11, 3, "cgroup 11: SO_MARK once, IP_TOS for two uids");
	ok(enc.keys[0].slot == (__u32)ms && enc.vals[0].id == 1, "rule 1's key in SO_MARK's slot");
	ok((enc.slot_info[ms] & ((1u << 1) | (1u << 2))) == ((1u << 1) | (1u << 2)) &&
	   !(enc.slot_info[ms] & (OG_SI_ANYCG | OG_SI_UID)),
	   "slot_info of SO_MARK: levels 1 and 2, no uid, no cgroup-less key");
	ok(enc.slot_info[ts] & OG_SI_UID, "slot_info of IP_TOS: a uid key");
	encoding_free(&enc);

	if (!ASSERT_OK(policy_encode_bound(p, &b, &enc), "policy_encode_bound"))
		goto out;
	ASSERT_EQ(enc.nkeys, 1, "bound: one key for rule web, none for the unbound scope");
	ok(enc.nkeys == 1 && enc.keys[0].cgid == 31, "with the bound cgroup's id");
	ok(enc.slot_info[ms] & (1u << 5), "and its level in slot_info");
	ok(!(enc.slot_info[ts] & OG_SI_RULES), "IP_TOS has no key while its scope is unbound");
	encoding_free(&enc);
out:
	policy_free(p);
}

struct dups {
	size_t first[8], later[8];
	int optname[8];
	size_t n;
};

static void on_dup(void *ctx, size_t first, size_t later, int level, int optname)
{
	struct dups *d = ctx;

	(void)level;
	if (d->n < 8) {
		d->first[d->n] = first;
		d->later[d->n] = later;
		d->optname[d->n] = optname;
	}
	d->n++;
}

static const char dup_policy[] =
	"[scope:a]\n"
	"uid = 1000, 1001\n"
	"[scope:b]\n"
	"uid = 1001, 1002\n"
	"[scope:c]\n"
	"uid = 2000\n"
	"[rule:a]\n"
	"scope = a\n"
	"option = SO_MARK\n"
	"action = deny\n"
	"[rule:b]\n"
	"scope = b\n"
	"option = SO_MARK\n"
	"action = allow\n"
	"[rule:c]\n"
	"scope = c\n"
	"option = SO_MARK\n"
	"action = allow\n"
	"[rule:ttl]\n"
	"scope = a\n"
	"option = IP_TTL\n"
	"action = deny\n"
	"[rule:ttl-family]\n"
	"scope = b\n"
	"option = TTL\n"
	"action = deny\n";

static void test_duplicates(void)
{
	struct og_policy *p = NULL;
	struct og_diag d = {};
	struct dups dup = {};
	bool skip[5] = {};
	int ret;

	ret = policy_load_buffer("dup.ini", dup_policy, sizeof(dup_policy) - 1, &p, &d);
	ASSERT_EQ(ret, -EINVAL, "overlapping uid scopes for one option are refused");
	ASSERT_EQ(d.nerrors, 2, "one error per later rule that shares a key");
	ok(d.nmsgs >= 1 && strstr(d.msgs[0], "dup.ini:11: rules 'b' and 'a' (line 7) both decide "
				  "SO_MARK for the same cgroup and uid"),
	   "rule b is reported against rule a, at b's line");
	ok(d.nmsgs >= 2 && strstr(d.msgs[1], "'ttl-family' and 'ttl'") &&
	   strstr(d.msgs[1], "IP_TTL") && strstr(d.msgs[1], "option = TTL"),
	   "a family rule is reported with the option it shares");
	diag_free(&d);

	/* the same check on a policy that loads, then bound so that its scopes meet */
	p = cg_load();
	if (!ok(p != NULL, "cgroup policy for the duplicate check"))
		return;
	ASSERT_OK(expand_duplicates(p, NULL, NULL, on_dup, &dup), "duplicates as parsed");
	ASSERT_EQ(dup.n, 0, "rules for different options share no key");
	p->rules[1].opt = p->rules[0].opt;
	p->rules[1].level = p->rules[0].level;
	p->rules[1].optname = p->rules[0].optname;
	ASSERT_OK(expand_duplicates(p, NULL, NULL, on_dup, &dup), "one option, uid vs no uid");
	ASSERT_EQ(dup.n, 0, "a key with uids is not a key without (OG_UID_ANY)");
	free(p->scopes[1].uids);
	p->scopes[1].uids = NULL;
	p->scopes[1].nuids = 0;
	ASSERT_OK(expand_duplicates(p, NULL, NULL, on_dup, &dup), "one option, same cgroups");
	ASSERT_EQ(dup.n, 1, "two rules on the same cgroups: reported once, not per key");
	ok(dup.first[0] == 0 && dup.later[0] == 1 && dup.optname[0] == SO_MARK,
	   "the earlier rule first, with the option");
	dup.n = 0;
	skip[0] = true;
	ASSERT_OK(expand_duplicates(p, NULL, skip, on_dup, &dup), "with rule 0 skipped");
	ASSERT_EQ(dup.n, 0, "a skipped rule conflicts with nothing");
	{
		static const struct og_scope_cgroup one[] = { { .id = 11, .level = 1, .path = "/a" } };
		static const struct og_scope_cgroup two[] = { { .id = 12, .level = 2, .path = "/b" } };
		struct og_scope_binding bind[2] = { { .cg = one, .n = 1 }, { .cg = two, .n = 1 } };
		struct og_bindings b = { .scope = bind, .nscopes = 2 };

		dup.n = 0;
		ASSERT_OK(expand_duplicates(p, &b, NULL, on_dup, &dup), "bound apart");
		ASSERT_EQ(dup.n, 0, "scopes bound to different cgroups share no key");
		bind[1].cg = one;
		ASSERT_OK(expand_duplicates(p, &b, NULL, on_dup, &dup), "bound together");
		ASSERT_EQ(dup.n, 1, "scopes bound to one cgroup: the duplicate is found");
	}
	policy_free(p);
}

static const char prec_policy[] =
	"[scope:a]\n"
	"uid = 9001\n"
	"[scope:ab]\n"
	"uid = 9002\n"
	"[scope:a-uid]\n"
	"uid = 9003\n"
	"[scope:uid]\n"
	"uid = 1000\n"
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
	"action = allow\n";

static const char *winner(const struct og_policy *p, const struct og_bindings *b,
			  const char *path, __u32 uid)
{
	const struct og_rule_def *r = expand_match(p, b, SOL_SOCKET, SO_MARK, path, uid);

	return r ? r->name : "(none)";
}

static void test_precedence(void)
{
	static const __u64 ida[] = { 11 }, idab[] = { 12 };
	static const int la[] = { 1 }, lab[] = { 2 };
	static const char *const pa[] = { "/cg/a" }, *const pab[] = { "/cg/a/b" };
	static const struct og_scope_cgroup moved[] = { { .id = 40, .level = 4,
							  .path = "/cg/q/r/s/t" } };
	struct og_scope_binding bind[4];
	struct og_bindings b = { .scope = bind, .nscopes = 4 };
	struct og_policy *p = load("prec.ini", prec_policy);
	size_t i;

	if (!ok(p != NULL, "precedence policy loads"))
		return;
	set_scope(p, "a", 1, ida, la, pa, 0, NULL);
	set_scope(p, "ab", 1, idab, lab, pab, 0, NULL);
	set_scope(p, "a-uid", 1, ida, la, pa, 1, (__u32[]){ 1000 });

	ASSERT_STREQ(winner(p, NULL, "/cg/x", 7), "star", "outside every cgroup: '*'");
	ASSERT_STREQ(winner(p, NULL, "/cg/x", 1000), "uid", "a uid scope beats '*'");
	ASSERT_STREQ(winner(p, NULL, "/cg/a", 7), "a", "a cgroup scope beats '*'");
	ASSERT_STREQ(winner(p, NULL, "/cg/a/c", 1000), "a-uid",
		     "cgroup + uid beats the same cgroup alone and uid alone");
	ASSERT_STREQ(winner(p, NULL, "/cg/a/b/c", 1000), "ab",
		     "a deeper cgroup beats a shallower one with a uid");
	ASSERT_STREQ(winner(p, NULL, "/cg/ab", 7), "star", "/cg/ab is not below /cg/a");
	ASSERT_STREQ(winner(p, NULL, "//cg/a/./b/", 7), "ab", "the caller's path is normalised");
	ASSERT_EQ(expand_rank(p, NULL, NULL, "/cg/a", 7), 0, "rank of '*' is 0");
	ASSERT_EQ(expand_rank(p, NULL, scope_named(p, "uid"), "/cg/a", 1000), 1,
		  "rank of a uid scope is 1");
	ASSERT_EQ(expand_rank(p, NULL, scope_named(p, "ab"), "/cg/a/b", 7), 2 * (2 + 1),
		  "rank of a cgroup scope is 2 * (level + 1)");
	ASSERT_EQ(expand_rank(p, NULL, scope_named(p, "a-uid"), "/cg/a", 1000), 2 * (1 + 1) + 1,
		  "rank of cgroup + uid is 2 * (level + 1) + 1");
	ASSERT_EQ(expand_rank(p, NULL, scope_named(p, "a"), NULL, 7), -1,
		  "a cgroup scope does not match a caller without a path");
	ASSERT_EQ(scope_rank(scope_named(p, "ab"), "/cg/a/b", 7),
		  expand_rank(p, NULL, scope_named(p, "ab"), "/cg/a/b", 7),
		  "scope_rank is expand_rank as parsed");
	ASSERT_STREQ(policy_match(p, SOL_SOCKET, SO_MARK, "/cg/a/c", 1000)->name, "a-uid",
		     "policy_match is expand_match as parsed");

	/* bound elsewhere: scope ab now holds /cg/q/r/s/t, a and a-uid nothing */
	for (i = 0; i < 4; i++)
		bind[i] = scope_bound(p, NULL, &p->scopes[i]);
	bind[0].n = 0;
	bind[1] = (struct og_scope_binding){ .cg = moved, .n = 1 };
	bind[2].n = 0;
	ASSERT_STREQ(winner(p, &b, "/cg/a/b/c", 7), "star",
		     "bound: the cgroups the scopes left match no more");
	ASSERT_STREQ(winner(p, &b, "/cg/a/c", 1000), "uid",
		     "bound: a cgroup + uid scope bound to nothing does not match");
	ASSERT_STREQ(winner(p, &b, "/cg/q/r/s/t/u", 1000), "ab",
		     "bound: the scope matches below its bound cgroup");
	ASSERT_EQ(expand_rank(p, &b, scope_named(p, "ab"), "/cg/q/r/s/t", 7), 2 * (4 + 1),
		  "bound: rank from the bound cgroup's level");
	policy_free(p);
}

static const char force_policy[] =
	"[scope:web]\n"
	"uid = 9001\n"
	"[scope:ops]\n"
	"uid = 0\n"
	"[rule:keep]\n"
	"option = IP_TOS\n"
	"action = allow\n"
	"[rule:mark]\n"
	"scope = web\n"
	"option = SO_MARK\n"
	"action = force\n"
	"value = 7\n"
	"at = create\n"
	"[rule:tos]\n"
	"scope = web\n"
	"option = IP_TOS\n"
	"action = force\n"
	"value = 0x20\n"
	"at = create, connect, send\n"
	"telemetry = on\n"
	"on_unforceable = deny\n"
	"[rule:ops]\n"
	"scope = ops\n"
	"option = SO_MARK\n"
	"action = deny\n";

static const struct og_force_set *fset(const struct og_encoding *enc, __u32 uid, __u64 cgid)
{
	size_t i;

	for (i = 0; i < enc->nfkeys; i++)
		if (enc->fkeys[i].uid == uid && enc->fkeys[i].cgid == cgid)
			return &enc->fsets[i];
	return NULL;
}

static void test_force_sets(void)
{
	static const __u64 ids[] = { 11, 12 };
	static const int levels[] = { 1, 3 };
	static const char *const paths[] = { "/cg/a", "/cg/b/c/d" };
	static const struct og_scope_cgroup other[] = { { .id = 50, .level = 2, .path = "/e/f" } };
	struct og_scope_binding bind[2] = { { .cg = other, .n = 1 }, { 0 } };
	struct og_bindings b = { .scope = bind, .nscopes = 2 };
	const struct og_force_set *s;
	struct og_policy *p = load("force.ini", force_policy);
	struct og_encoding enc;
	int mi = -1, ti = -1, i;

	if (!ok(p != NULL, "force policy loads"))
		return;
	set_scope(p, "web", 2, ids, levels, paths, 0, NULL);
	if (!ASSERT_OK(policy_encode(p, &enc), "encode a policy that forces"))
		goto out;
	ASSERT_EQ(enc.nforced, 2, "two options forced: two force indexes");
	ASSERT_EQ(enc.nfkeys, 4, "force sets: '*', two cgroups, uid 0");
	s = fset(&enc, OG_UID_ANY, 11);
	if (ok(s != NULL, "a set for cgroup 11")) {
		for (i = 0; i < OG_FORCE_MAX; i++) {
			if (!(s->forced & (1u << i)))
				continue;
			if (s->ent[i].optname == SO_MARK)
				mi = i;
			if (s->ent[i].optname == IP_TOS)
				ti = i;
		}
		ok(mi >= 0 && ti >= 0 && s->claimed == s->forced,
		   "it forces SO_MARK and IP_TOS and claims nothing else");
		ok(mi >= 0 && s->ent[mi].num == 7 && s->ent[mi].at == OG_FP_CREATE &&
		   s->ent[mi].rule_id == 2 && s->ent[mi].flags == 0,
		   "SO_MARK: 7 at create, rule id 2, no telemetry, on_unforceable = allow");
		ok(ti >= 0 && s->ent[ti].num == 0x20 &&
		   s->ent[ti].at == (OG_FP_CREATE | OG_FP_CONNECT | OG_FP_SEND),
		   "IP_TOS: 0x20 at create, connect, send");
		ok(ti >= 0 && s->ent[ti].flags == (OG_FE_TELEMETRY | OG_FE_DENY_UNFORCEABLE),
		   "IP_TOS: telemetry = on, on_unforceable = deny as the entry's flags");
	}
	ok(fset(&enc, OG_UID_ANY, 12) != NULL, "a set for cgroup 12");
	s = fset(&enc, OG_UID_ANY, 0);
	ok(s && ti >= 0 && s->claimed == (1u << ti) && !s->forced,
	   "'*' claims IP_TOS (allow: it shadows nothing more specific) and forces nothing");
	s = fset(&enc, 0, 0);
	ok(s && mi >= 0 && s->claimed == (1u << mi) && !s->forced,
	   "uid 0 claims SO_MARK by its deny rule, without forcing it");
	ok((enc.force_info & ((1u << 1) | (1u << 3) | OG_SI_ANYCG | OG_SI_UID | OG_SI_RULES)) ==
	   ((1u << 1) | (1u << 3) | OG_SI_ANYCG | OG_SI_UID | OG_SI_RULES),
	   "force_info: levels 1 and 3, a uid key, a cgroup-less key");
	ok((enc.force_info & (OG_FI_TELEMETRY | OG_FI_SEND | OG_FI_CREATE_SK)) ==
	   (OG_FI_TELEMETRY | OG_FI_SEND | OG_FI_CREATE_SK),
	   "force_info: a rule asks for telemetry, one forces at send, SO_MARK at create");
	encoding_free(&enc);

	if (!ASSERT_OK(policy_encode_bound(p, &b, &enc), "encode force sets bound"))
		goto out;
	ASSERT_EQ(enc.nfkeys, 3, "bound: '*', the one bound cgroup, uid 0");
	s = fset(&enc, OG_UID_ANY, 50);
	ok(s && s->forced && s->claimed == s->forced, "the bound cgroup's set forces both");
	ok(!fset(&enc, OG_UID_ANY, 11), "no set for a cgroup the scope is not bound to");
	ok((enc.force_info & (1u << 2)) && !(enc.force_info & (1u << 1)),
	   "force_info: the bound cgroup's level only");
	encoding_free(&enc);
out:
	policy_free(p);
}

/* A force rule with none of the optional keys: the default points, no flags, no FI bits. */
static void test_force_defaults(void)
{
	struct og_policy *p = load("force-defaults.ini",
				   "[rule:tos]\noption = IP_TOS\naction = force\nvalue = EF\n"
				   "[rule:cc]\noption = TCP_CONGESTION\naction = force\nvalue = reno\n"
				   "at = connect\n");
	struct og_encoding enc;
	size_t i;

	if (!ok(p != NULL, "force policy without optional keys loads"))
		return;
	ok(p->rules[0].at == (OG_AT_CREATE | OG_AT_CONNECT) && p->rules[0].at_default &&
	   !p->rules[0].telemetry && !p->rules[0].deny_unforceable,
	   "no at: create, connect, marked as defaulted; telemetry off, on_unforceable allow");
	ok(p->rules[1].at == OG_AT_CONNECT && !p->rules[1].at_default, "at = connect: not defaulted");
	if (ASSERT_OK(policy_encode(p, &enc), "encode it")) {
		bool flags = false;

		for (i = 0; i < enc.nfkeys; i++)
			flags |= enc.fsets[i].ent[0].flags || enc.fsets[i].ent[1].flags;
		ok(enc.nfkeys == 1 && !flags, "one set, entries without flags");
		ok(!(enc.force_info & (OG_FI_TELEMETRY | OG_FI_SEND | OG_FI_CREATE_SK)),
		   "force_info: no telemetry, no send, no SO_MARK/SO_PRIORITY at create");
		encoding_free(&enc);
	}
	policy_free(p);
}

int main(void)
{
	test_uid_lists();
	test_cgroups_and_bindings();
	test_encode();
	test_force_defaults();
	test_duplicates();
	test_precedence();
	test_force_sets();
	return done_testing();
}
