/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy: an INI file (optguard.ini(5), docs/optguard.ini.5) parsed with inih into
 * struct og_policy and validated.  Nothing here touches BPF.
 */
#ifndef OPTGUARD_POLICY_H
#define OPTGUARD_POLICY_H

#include <linux/types.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stddef.h>

#include "options.h"

enum og_lsm_mode { OG_LSM_AUTO = 0, OG_LSM_REQUIRE, OG_LSM_OFF };
enum og_log_kind { OG_LOG_JSON = 0, OG_LOG_TEXT, OG_LOG_SYSLOG, OG_LOG_NONE };
enum og_on_change { OG_ONCHANGE_REWRITE = 0, OG_ONCHANGE_DENY, OG_ONCHANGE_ALLOW };

/* force points (`at =`) */
#define OG_AT_CREATE		(1u << 0)
#define OG_AT_CONNECT		(1u << 1)
#define OG_AT_ESTABLISHED	(1u << 2)
#define OG_AT_SEND		(1u << 3)	/* an unconnected UDP send (cgroup/sendmsg4/6) */
#define OG_AT_ALL		(OG_AT_CREATE | OG_AT_CONNECT | OG_AT_ESTABLISHED | OG_AT_SEND)
/* a force rule without `at` */
#define OG_AT_DEFAULT		(OG_AT_CREATE | OG_AT_CONNECT)

#define OG_DEFAULT_LOG_FILE	"/var/log/optguard/events.jsonl"
#define OG_DEFAULT_PIN_DIR	"/sys/fs/bpf/optguard"
#define OG_DEFAULT_LOG_RATE	100

/* A parsed value: num for every integer-like type, str for OG_VT_STR. */
struct og_value {
	__s64 num;
	char str[OG_STR_MAX];
};

/*
 * What a scope's cgroup selector names (optguard.ini(5), "Scopes"): a path,
 * a glob pattern (fnmatch(3) per path component) or, for `unit = NAME`,
 * a cgroup directory named NAME anywhere below the enforcer's cgroup.  The
 * daemon binds each to the cgroups there now (daemon/bindings.c; bind.h).
 */
enum og_sel_kind { OG_SEL_PATH = 0, OG_SEL_GLOB, OG_SEL_UNIT };

struct og_scope_cgroup {
	char *path;		/* PATH, GLOB: absolute, normalised (no trailing '/'); UNIT: NAME */
	enum og_sel_kind kind;
	int line;		/* of its cgroup = or unit = key */
	__u64 id;		/* PATH: cgroup id (the cgroup2 inode number) at parse; 0: none yet */
	int level;		/* PATH, GLOB: depth below the real root (cgroupns.h): root = 0; UNIT: -1 */
	int prio;		/* bind_prio() (bind.h): of this selector, or in a binding table
				 * (bind_expand()) of the selector that bound the cgroup */
};

struct og_scope {
	char *name;
	int line;		/* line of the [scope:NAME] header */
	struct og_scope_cgroup *cgroups;
	size_t ncgroups;
	__u32 *uids;
	size_t nuids;
};

/* One option a rule decides. */
struct og_optref {
	const struct og_option *opt;	/* NULL: a level:optname not in the table */
	int level, optname;
};

/* Options in one rule: a family, or a list `option = A, B, ...` */
#define OG_RULE_OPTS_MAX	8

struct og_rule_def {
	char *name;
	int line;		/* line of the [rule:NAME] header */
	const struct og_option *opt;	/* NULL: a level:optname not in the table */
	int level, optname;
	/*
	 * A rule for a family or a list decides several options with one action,
	 * one name and one set of counters: opt/level/optname is the first, more
	 * the others (NULL and 0 for one option).  See rule_opt().
	 */
	struct og_optref *more;
	size_t nmore;
	char *optspec;		/* with more: "DSCP" or "IP_TTL, IP_MULTICAST_TTL" */
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
	/*
	 * force: no `at` key, so at = OG_AT_DEFAULT.  The daemon and check then
	 * drop the default's points this kernel cannot force at (each with a
	 * warning), and refuse the rule only when none is left
	 * (force_policy_unsupported(), kernel/caps_force.c).
	 */
	bool at_default;
	enum og_on_change on_change;	/* force */
	bool telemetry;		/* force: telemetry = on (OG_FE_TELEMETRY) */
	bool deny_unforceable;	/* force: on_unforceable = deny (OG_FE_DENY_UNFORCEABLE) */
	/*
	 * Its id in the programs (events, counters): 0 = its position + 1.
	 * The daemon keeps a rule's id across reloads (run.c, assign_ids()),
	 * so that its counters go on counting.
	 */
	__u32 id;
};

struct og_policy {
	char *path;
	char sha256[65];	/* of the bytes parsed (policy_load): what is in force */
	enum og_mode mode;
	enum og_action default_action;	/* OG_ACT_ALLOW or OG_ACT_DENY */
	int default_err;	/* positive errno for default = deny */
	char *cgroup;		/* attach point, absolute */
	bool cgroup_whole_host;	/* no cgroup key: the cgroup2 mount, every process */
	__u64 cgroup_id;
	int cgroup_level;
	enum og_lsm_mode lsm;
	enum og_log_kind log;
	char *log_file;		/* "-" = stdout (events alone there; diagnostics on stderr) */
	unsigned int log_rate;	/* events per second per rule; 0 = unlimited */
	bool log_force;		/* log_force = all: also forced values that took, and closes */
	bool guard_off;		/* guard = off: no lsm/bpf guard of optguard's own objects */
	bool compat_allow;	/* compat = allow: 32-bit callers pass value-aware rules (LSM) */
	char *pin_dir;
	bool watch;		/* watch = on: reload when the policy file changes (inotify) */
	char *metrics;		/* "ADDR:PORT" of the /metrics endpoint; NULL: off */
	struct og_scope *scopes;
	size_t nscopes;
	struct og_rule_def *rules;
	size_t nrules;
};

/* The options of @r: 1 + r->nmore of them. */
static inline size_t rule_nopts(const struct og_rule_def *r)
{
	return 1 + r->nmore;
}

/* Option @i (< rule_nopts(r)) of @r; 0 is opt/level/optname. */
static inline struct og_optref rule_opt(const struct og_rule_def *r, size_t i)
{
	if (i == 0)
		return (struct og_optref){ .opt = r->opt, .level = r->level,
					   .optname = r->optname };
	return r->more[i - 1];
}

/* Does @r decide (level, optname)? */
static inline bool rule_has_opt(const struct og_rule_def *r, int level, int optname)
{
	size_t i;

	for (i = 0; i < rule_nopts(r); i++)
		if (rule_opt(r, i).level == level && rule_opt(r, i).optname == optname)
			return true;
	return false;
}

/* Can a force rule set @o at create, connect and established (bpf_setsockopt)? */
static inline bool optref_forceable(struct og_optref o)
{
	return o.opt && o.opt->forceable;
}

/* "IP_TOS", "SOL_SOCKET:99", "300:1" */
void optref_label(int level, int optname, char *buf, size_t len);

/* The id of rule @i of its policy in the programs (og_rule_def.id) */
static inline __u32 rule_id(const struct og_rule_def *r, size_t i)
{
	return r->id ? r->id : (__u32)i + 1;
}

/* Does @r force a value at create, connect, established or send? */
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
/*
 * [enforcer] metrics: "A.B.C.D:PORT" or "[IPv6]:PORT" into @ss and @len;
 * 0 or -EINVAL.
 */
int policy_metrics_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);
/* The same from @fd, opened by the caller (who checked it), which it closes; @path names it. */
int policy_load_fd(const char *path, int fd, struct og_policy **out, struct og_diag *diag);
/* The same for a buffer; @name is the FILE of the messages. */
int policy_load_buffer(const char *name, const char *buf, size_t len,
		       struct og_policy **out, struct og_diag *diag);
void policy_free(struct og_policy *p);

void diag_free(struct og_diag *d);

/*
 * The keys the parser takes in a section ("enforcer", "scope" for
 * [scope:NAME], "rule" for [rule:NAME]): *n of them, or NULL for another
 * name.  optguard.ini(5) documents each (tests/unit/test_man_keys.c).
 */
const char *const *policy_keys(const char *section, size_t *n);

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

/*
 * The policy `run` and `explain` use without --policy: /etc/optguard/policy.ini,
 * else the shipped default (installed, or beside the binary in a source tree).
 */
const char *policy_default_path(void);
/* Print the diagnostics of a policy load to stderr. */
void diag_print(const struct og_diag *d);
/* A warning on stderr when @p names no [enforcer] cgroup: it covers the whole host. */
void warn_whole_host(const struct og_policy *p);

#endif
