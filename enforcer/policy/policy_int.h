/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the policy parser: policy.c reads the file into sections and
 * keys (pass 1), policy_check.c validates them into struct og_policy (pass 2).
 */
#ifndef OPTGUARD_POLICY_INT_H
#define OPTGUARD_POLICY_INT_H

#include "policy.h"

struct kv {
	char *key, *val;
	int line;
};

enum sec_kind { SEC_BAD, SEC_ENFORCER, SEC_SCOPE, SEC_RULE };

struct section {
	enum sec_kind kind;
	char *name;		/* NAME of [scope:NAME] and [rule:NAME] (in the parser's arena) */
	int line;
	struct kv *kvs;		/* into parser.kvs, once pass 1 is done */
	size_t kv_first;	/* index of its first key in parser.kvs */
	size_t nkvs;
};

/* Strings that live as long as the parser: allocated in chunks, freed at once. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct msg {
	int line;		/* 0: the file as a whole */
	size_t seq;
	bool error;
	char *text;
};

/* An open-addressing index of names, so that big policies parse in O(n). */
struct name_ent {
	const char *name;	/* not owned */
	unsigned int tag;	/* bits of the hash: most mismatches without a strcmp() */
	int kind;
	long idx;
};

struct name_hash {
	struct name_ent *e;
	size_t cap, n;
};

/* The index stored for (kind, name), or -1. */
long nh_get(const struct name_hash *h, int kind, const char *name);
/* Add (kind, name) unless there: -1 when added, the index it has, or -ENOMEM */
long nh_add(struct name_hash *h, int kind, const char *name, long idx);
/* 0 or -ENOMEM */
int nh_put(struct name_hash *h, int kind, const char *name, long idx);
void nh_free(struct name_hash *h);
/* Room for @n names without growing: 0 or -ENOMEM */
int nh_reserve(struct name_hash *h, size_t n);

struct parser {
	const char *file;
	const char *buf;
	size_t len, pos;
	int lineno;
	struct section *secs;
	size_t nsecs, secs_cap;
	struct kv *kvs;		/* every key of every section, in file order */
	size_t nkvs, kvs_cap;
	struct arena_chunk *arena;	/* keys, values and section names */
	struct name_hash sec_names;	/* (kind, name) -> index in secs */
	struct name_hash scope_names;	/* name -> index in p->scopes */
	long cur;		/* section the next keys go to; -1: none yet */
	struct msg *msgs;
	size_t nmsgs;
	bool oom;
	bool *scope_bad;	/* per p->scopes: some selector failed */
	bool *rule_bad;		/* per p->rules: option or scope unresolved */
	const struct og_policy *pol;	/* the policy pass 2 builds */
};

/* Record a message for @line (0: the whole file); perr() counts as an error. */
void pmsg(struct parser *ps, bool error, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define perr(ps, line, ...)	pmsg(ps, true, line, __VA_ARGS__)
#define pwarn(ps, line, ...)	pmsg(ps, false, line, __VA_ARGS__)
/* strdup() that notes an allocation failure in @ps */
char *pstrdup(struct parser *ps, const char *s);

/* Pass 2: each validates one section; *bad: unusable for the conflict check. */
void enforcer_build(struct parser *ps, struct og_policy *p);
void scope_build(struct parser *ps, const struct og_policy *p, const struct section *s,
		 struct og_scope *sc, bool *bad);
void rule_build(struct parser *ps, struct og_policy *p, const struct section *s,
		struct og_rule_def *r, bool *bad);
/* "SO_MARK", "SOL_SOCKET:99", "300:1" */
void option_label(const struct og_rule_def *r, char *buf, size_t len);

#endif
