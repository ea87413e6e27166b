/* SPDX-License-Identifier: GPL-2.0-only */
/* What the section builders (section_*.c) share; section.c has the helpers. */
#ifndef OPTGUARD_SECTION_H
#define OPTGUARD_SECTION_H

#include "parser.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The keys of each section, as policy_keys() gives them */
extern const char *const enforcer_keys[];
extern const size_t enforcer_nkeys;
extern const char *const scope_keys[];
extern const size_t scope_nkeys;
extern const char *const rule_keys[];
extern const size_t rule_nkeys;

/* Point slots[i] at the key named keys[i]; unknown and repeated keys are errors. */
void collect(struct parser *ps, const struct section *s, const char *const *keys,
	     size_t nkeys, const struct kv **slots);
/* errno = or default_errno = that errno_parse() refused: say why. */
void bad_errno(struct parser *ps, const struct kv *kv);
/* Index of kv->val in names (a NULL-terminated list), or -1 after an error. */
int parse_enum(struct parser *ps, const struct kv *kv, const char *const *names);
/*
 * The comma-separated items of kv->val, trimmed, in one allocation: *items
 * points into *store.  -1 after an error (an empty item), else the count.
 */
long split_list(struct parser *ps, const struct kv *kv, char **store, char ***items);
/* Resolve a cgroup directory; an error (naming the path) and -1 when it is not one. */
int cgroup_dir(struct parser *ps, int line, const char *raw, char **path, __u64 *id,
	       int *level);
/* "SO_MARK", "DSCP", "SOL_SOCKET:99", "300:1" */
void option_label(const struct og_rule_def *r, char *buf, size_t len);

/* section_option.c: the option key of @r; 0, or -1 after an error. */
int rule_options(struct parser *ps, struct og_rule_def *r, const struct kv *kv);

#endif
