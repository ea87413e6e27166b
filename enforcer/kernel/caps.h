/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What this kernel offers optguard, probed (never derived from the
 * version), each with the reason it gives when missing: the load (load.c)
 * asks it what to try, `optguard options` prints it, the daemon's start
 * refuses or warns from it and `status` shows what it wrote.  caps.c holds
 * the capabilities, caps_force.c the force probe (which option
 * bpf_setsockopt takes at which point).
 */
#ifndef OPTGUARD_CAPS_H
#define OPTGUARD_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "policy.h"

enum og_cap {
	OG_CAP_LSM_LISTED,	/* "bpf" among the active LSMs (or securityfs does not tell) */
	OG_CAP_LSM_PROGS,	/* BPF_PROG_TYPE_LSM programs load */
	OG_CAP_SET_RETVAL,	/* bpf_set_retval in cgroup/setsockopt: the rule's errno */
	OG_CAP_TASK_HELPERS,	/* pid, comm and cgroup ancestry in cgroup programs */
	OG_CAP_BPF_LOOP,	/* bpf_loop: the force programs */
	OG_CAP_URING_HOOK,	/* the uring_cmd LSM hook */
	OG_CAP_TASK_PT_REGS,	/* bpf_task_pt_regs in tracing programs (the LSM's compat check) */
	OG_NCAPS
};
#define OG_CBIT(c)	(1u << (c))

struct og_caps {
	unsigned int probed;	/* OG_CBIT of each capability probed */
	unsigned int have;	/* ... and of each found */
	bool need_root;		/* a BPF probe was skipped: not root */
	bool lsm_list_known;	/* securityfs told the active LSMs */
	char lsm_list[256];
};

/* Probe the capabilities in @which (OG_CBIT) not probed yet. */
void caps_probe(struct og_caps *c, unsigned int which);
/* Probed and there (false when not probed). */
bool caps_has(const struct og_caps *c, enum og_cap cap);
/* Why @cap is missing, for messages. */
void caps_why_not(const struct og_caps *c, enum og_cap cap, char *buf, size_t len);
/* `optguard options`: probe all, one line each. */
void caps_print(struct og_caps *c);
/* `status`'s errno line (written to the state file by the daemon). */
const char *caps_errno_text(const struct og_caps *c);
/*
 * Does an attached LSM program run (a program can load and attach and never
 * run)?  @hits: the counter lsm/socket_setsockopt bumps for this process.
 */
bool caps_lsm_runs(const __u64 *hits);

struct og_bpf;
/*
 * What the daemon refuses or warns about once the programs are loaded
 * (@attached false) or attached (true): 0, or -1 after saying why the
 * policy @p (read from @path) cannot run on this kernel.
 */
int caps_check(const struct og_bpf *b, const struct og_policy *p, const char *path,
	       bool attached);

/* --- the force probe (caps_force.c) --- */
/* on_change at the app's own call: always; not a bit of og_force_ent.at (OG_FP_SEND is 1 << 3) */
#define OG_FP_SETSOCKOPT	(1u << 7)

struct og_probe_row {
	const struct og_option *opt;
	unsigned int points;	/* OG_FP_* this kernel honours */
	/*
	 * per point bit 0..3 (create, connect, established, send): errno of
	 * the refusal, or -1: not reached
	 */
	int err[4];
	/*
	 * an IP-level option at send on an AF_INET6 socket sending to a
	 * v4-mapped address: 0 taken, errno refused, -1 not reached
	 */
	int err_mapped;
};

struct og_force_probe {
	bool probed;		/* false: reason says why */
	char reason[256];
	char create_reason[256];	/* why nothing can be forced at create, or "" */
	char send_reason[256];		/* why nothing can be forced at send, or "" */
	struct og_probe_row rows[40];
	size_t nrows;
};

/* Probe (root; makes and removes a child cgroup of the cgroup2 mount): 0 or -errno. */
int force_probe(struct og_force_probe *pr);
/* The row of @o, or NULL (not forceable, or not probed). */
const struct og_probe_row *force_probe_row(const struct og_force_probe *pr,
					   const struct og_option *o);
/* Why @o cannot be forced at @point (one OG_FP_* bit), for messages. */
void force_probe_why(const struct og_force_probe *pr, const struct og_option *o,
		     unsigned int point, char *buf, size_t len);
const char *force_point_name(unsigned int point);

/*
 * Each point a force rule of @p names that this kernel cannot honour: one
 * the probe @pr did not find bpf_setsockopt taking the option at, or one
 * whose programs did not load (@unloaded, indexed create, connect,
 * established, send: why not, or NULL when loaded or not known yet; SO_MARK
 * and SO_PRIORITY at create go by connect's, cgroup/sock_create writing
 * them).  @say gets
 * a FILE:LINE message (no newline) for each.  Returns how many.
 * A rule without `at` (og_rule_def.at_default) is not refused for a point
 * of the default this kernel lacks: the point is dropped from its at, and
 * @say gets a "FILE:LINE: warning: ..." (not counted); only a rule left
 * with no point is an error, saying that `at` defaulted and what to write.
 */
int force_policy_unsupported(struct og_policy *p, const struct og_force_probe *pr,
			     const char *const unloaded[4], void (*say)(const char *msg));
/*
 * The daemon's check of @p's force rules: against the probe @pr (NULL: the
 * policy at start forced nothing, so none was made) and the programs as
 * loaded (@b, NULL before the load).  Each problem is logged, naming the
 * rule; a defaulted `at` may lose points (force_policy_unsupported()).
 * 0 or -EOPNOTSUPP.
 */
int caps_check_force(const struct og_force_probe *pr, struct og_policy *p,
		     const struct og_bpf *b);

#endif
