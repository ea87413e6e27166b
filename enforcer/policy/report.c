// SPDX-License-Identifier: GPL-2.0-only
/* Where the default policy is, and how a load's diagnostics reach the user. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"

#define ETC_POLICY "/etc/optguard/policy.ini"

const char *policy_default_path(void)
{
	static char buf[PATH_MAX + 32];
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (access(ETC_POLICY, F_OK) == 0)
		return ETC_POLICY;
	if (access(OG_DATADIR "/default.ini", F_OK) == 0)
		return OG_DATADIR "/default.ini";
	/* a binary run from its source tree: policy/ is beside it */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, sizeof(buf), "%s/policy/default.ini", exe);
			if (access(buf, F_OK) == 0)
				return buf;
		}
	}
	return ETC_POLICY;	/* missing: the load names it */
}

void diag_print(const struct og_diag *d)
{
	size_t i;

	for (i = 0; i < d->nmsgs; i++)
		log_line(d->msgs[i]);
}

void warn_whole_host(const struct og_policy *p)
{
	char line[8192];

	if (!p->cgroup_whole_host)
		return;
	snprintf(line, sizeof(line), "%s: warning: no cgroup in [enforcer]: the policy applies to "
		 "every process on the host (%s, the cgroup2 mount)", p->path, p->cgroup);
	log_line(line);
}
