/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the policy parser (policy.c drives it): the state both passes
 * share, and what each part offers.  Pass 1 (lexer.c) records sections and
 * keys; pass 2 builds each section (section_*.c, section.h) and checks the
 * policy as a whole (validate.c); diag.c keeps the messages of both.
 * No part calls back into policy.c, and the passes do not call each other.
 */
#ifndef OPTGUARD_PARSER_H
#define OPTGUARD_PARSER_H

#include "arena.h"
#include "names.h"
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

struct msg {
	int line;		/* 0: the file as a whole */
	size_t seq;
	bool error;
	char *text;
};

struct parser {
	const char *file;
	const char *buf;
	size_t len, pos;
	int lineno;
	struct section *secs;
	size_t nsecs, secs_cap;
	struct kv *kvs;		/* every key of every section, in file order */
	size_t nkvs, kvs_cap;
	struct arena arena;	/* keys, values and section names */
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

/* ---- diag.c ---- */
/* Record a message for @line (0: the whole file); perr() counts as an error. */
void pmsg(struct parser *ps, bool error, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define perr(ps, line, ...)	pmsg(ps, true, line, __VA_ARGS__)
#define pwarn(ps, line, ...)	pmsg(ps, false, line, __VA_ARGS__)
/* strdup() that notes an allocation failure in @ps */
char *pstrdup(struct parser *ps, const char *s);
/* Move the messages, in line order, into @diag as "FILE:LINE: text". */
void flush_msgs(struct parser *ps, struct og_diag *diag);

/* ---- lexer.c ---- */
/* Pass 1: ps->buf, ps->len into ps->secs and ps->kvs (ps->cur = -1 first). */
void lex(struct parser *ps);

/* ---- section_*.c: pass 2, each validates one section; *bad: unusable for the checks ---- */
void enforcer_build(struct parser *ps, struct og_policy *p);
void scope_build(struct parser *ps, const struct og_policy *p, const struct section *s,
		 struct og_scope *sc, bool *bad);
void rule_build(struct parser *ps, struct og_policy *p, const struct section *s,
		struct og_rule_def *r, bool *bad);

/* ---- validate.c ---- */
/* The checks of @p as a whole (rules that ps->rule_bad marks take no part). */
void validate(struct parser *ps, struct og_policy *p);
/* ---- placement.c ---- */
/* scopes whose depth is unknown (an error), delegation boundaries (warnings) */
void check_cgns(struct parser *ps, const struct og_policy *p);
void check_delegation(struct parser *ps, const struct og_policy *p);

#endif
