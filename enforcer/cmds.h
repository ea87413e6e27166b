/* SPDX-License-Identifier: GPL-2.0-only */
/* The commands of the optguard binary, one function each (main.c dispatches). */
#ifndef OPTGUARD_CMDS_H
#define OPTGUARD_CMDS_H

struct og_diag;
struct og_policy;

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_options(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_unload(int argc, char **argv);

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
