/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy: an INI file (SPEC.md, "Policy file") parsed with inih into
 * struct og_policy and validated.  Nothing here touches BPF.
 */
#ifndef OPTGUARD_POLICY_H
#define OPTGUARD_POLICY_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "options.h"

enum og_lsm_mode { OG_LSM_AUTO = 0, OG_LSM_REQUIRE, OG_LSM_OFF };
enum og_log_kind { OG_LOG_JSON = 0, OG_LOG_TEXT, OG_LOG_SYSLOG, OG_LOG_NONE };
enum og_on_change { OG_ONCHANGE_REWRITE = 0, OG_ONCHANGE_DENY, OG_ONCHANGE_ALLOW };

/* force points (`at =`) */
#define OG_AT_CREATE		(1u << 0)
#define OG_AT_CONNECT		(1u << 1)
#define OG_AT_ESTABLISHED	(1u << 2)
#define OG_AT_ALL		(OG_AT_CREATE | OG_AT_CONNECT | OG_AT_ESTABLISHED)

#define OG_DEFAULT_POLICY_CGROUP	NULL	/* NULL: the cgroup2 mount */
#define OG_DEFAULT_LOG_FILE	"/var/log/optguard/events.jsonl"
#define OG_DEFAULT_PIN_DIR	"/sys/fs/bpf/optguard"
#define OG_DEFAULT_LOG_RATE	100

/* A parsed value: num for every integer-like type, str for OG_VT_STR. */
struct og_value {
	__s64 num;
	char str[OG_STR_MAX];
};

struct og_scope_cgroup {
	char *path;		/* absolute, normalised (no trailing '/') */
	__u64 id;		/* cgroup id (the cgroup2 inode number) */
	int level;		/* depth below the cgroup2 mount: mount = 0 */
};

struct og_scope {
	char *name;
	int line;		/* line of the [scope:NAME] header */
	struct og_scope_cgroup *cgroups;
	size_t ncgroups;
	__u32 *uids;
	size_t nuids;
};

struct og_rule_def {
	char *name;
	int line;		/* line of the [rule:NAME] header */
	const struct og_option *opt;	/* NULL: a level:optname not in the table */
	int level, optname;
	enum og_vtype vtype;	/* opt->vtype, or OG_VT_OPAQUE */
	const struct og_scope *scope;	/* NULL: '*' */
	enum og_action action;
	int err;		/* deny (and on_change = deny): positive errno */
	bool has_value, has_min, has_max;
	struct og_value value;	/* rewrite, force */
	struct og_value min, max;	/* clamp */
	struct og_value *except;	/* nexcept values; NULL without an except key */
	size_t nexcept;
	unsigned int at;	/* force: OG_AT_* mask */
	enum og_on_change on_change;	/* force */
};

struct og_policy {
	char *path;
	enum og_mode mode;
	enum og_action default_action;	/* OG_ACT_ALLOW or OG_ACT_DENY */
	int default_err;	/* positive errno for default = deny */
	char *cgroup;		/* attach point, absolute */
	__u64 cgroup_id;
	int cgroup_level;
	enum og_lsm_mode lsm;
	enum og_log_kind log;
	char *log_file;		/* "-" = stderr */
	unsigned int log_rate;	/* events per second per rule; 0 = unlimited */
	bool log_force;		/* log_force = all: also forced values that took, and closes */
	bool compat_allow;	/* compat = allow: 32-bit callers pass value-aware rules (LSM) */
	char *pin_dir;
	struct og_scope *scopes;
	size_t nscopes;
	struct og_rule_def *rules;
	size_t nrules;
};

/* Does @r force a value at create, connect or established? */
static inline bool rule_forces_at(const struct og_rule_def *r)
{
	return r->action == OG_ACT_FORCE && (r->at & OG_AT_ALL);
}

/* Does a rule of @p force a value at one of @points (OG_AT_*)? */
static inline bool policy_forces(const struct og_policy *p, unsigned int points)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (rule_forces_at(&p->rules[i]) && (p->rules[i].at & points))
			return true;
	return false;
}

/* Diagnostics collected while parsing: every error, not only the first. */
struct og_diag {
	char **msgs;		/* "FILE:LINE: message" */
	size_t nmsgs;
	size_t nerrors;		/* msgs that are errors (the rest are warnings) */
};

/*
 * Parse and validate @path.  Returns 0 and sets *out, or a negative errno
 * with every problem in @diag (*out untouched).  Warnings may be added on
 * success.
 */
int policy_load(const char *path, struct og_policy **out, struct og_diag *diag);
/* The same for a buffer; @name is the FILE of the messages. */
int policy_load_buffer(const char *name, const char *buf, size_t len,
		       struct og_policy **out, struct og_diag *diag);
void policy_free(struct og_policy *p);

void diag_free(struct og_diag *d);

/* Parse a value of type @t as the policy language writes it: 0 or -EINVAL. */
int value_parse(enum og_vtype t, const char *s, struct og_value *v);
/* Format @v for humans ("4194304", "on", "cubic", "AF41"). */
void value_format(enum og_vtype t, const struct og_value *v, char *buf, size_t len);

/* errno by name ("EPERM") or number: 0 and *err, or -EINVAL. */
int errno_parse(const char *s, int *err);
const char *errno_name(int err);

/* The rule that decides (option, cgroup path, uid): NULL = none (default). */
const struct og_rule_def *policy_match(const struct og_policy *p, int level, int optname,
				       const char *cgroup_path, __u32 uid);
/* Specificity of a scope for a caller: higher wins; -1: does not match. */
int scope_rank(const struct og_scope *s, const char *cgroup_path, __u32 uid);

#endif
