// SPDX-License-Identifier: GPL-2.0-only
/* `optguard options`: the options a policy may name, and what this kernel can do with them. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cmds.h"
#include "encode.h"
#include "gaps.h"
#include "log.h"
#include "policy.h"
#include "bpf/decide.h"


int cmd_options(int argc, char **argv)
{
	size_t i;
	int a;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: optguard options\n");
		return 2;
	}
	struct og_caps c = { 0 };

	caps_print(&c);
	printf("\n");
	struct og_force_probe *fp = calloc(1, sizeof(*fp));

	if (!fp)
		return 1;
	force_probe(fp);
	printf("%-26s %-13s %5s  %-7s %-38s %s\n", "OPTION", "LEVEL", "NUM", "TYPE", "ACTIONS",
	       "FORCE AT");
	for (i = 0; i < og_options_count; i++) {
		const struct og_option *o = &og_options[i];
		char acts[64] = "";

		for (a = OG_ACT_ALLOW; a < OG_ACT_MAX; a++) {
			if (!(o->actions & ACT_BIT(a)))
				continue;
			if (acts[0])
				strcat(acts, ",");
			strcat(acts, action_name(a));
		}
		char at[64] = "-";
		const struct og_probe_row *row = force_probe_row(fp, o);
		unsigned int pt;

		if (o->forceable) {
			/* the setsockopt point is on_change: a rewrite, no bpf_setsockopt */
			snprintf(at, sizeof(at), "setsockopt");
			for (pt = OG_FP_CREATE; pt <= OG_FP_SEND && row && fp->probed; pt <<= 1)
				if (row->points & pt) {
					strcat(at, ",");
					strcat(at, force_point_name(pt));
				}
		}
		printf("%-26s %-13s %5d  %-7s %-38s %s\n", o->name,
		       level_name(o->level) ? level_name(o->level) : "?", o->optname,
		       vtype_name(o->vtype), acts, at);
	}
	printf("\n%-26s %-38s %s\n", "FAMILY", "OPTIONS", "WHAT");
	for (i = 0; i < og_families_count; i++) {
		const struct og_family *fa = &og_families[i];
		char m[128] = "";

		for (a = 0; a < OG_FAMILY_MAX && fa->members[a]; a++) {
			if (a)
				strcat(m, ",");
			strcat(m, fa->members[a]);
		}
		printf("%-26s %-38s %s\n", fa->name, m, fa->help);
	}
	printf("\nFAMILY: `option = NAME` in a rule covers all its options (one rule, one name and "
	       "counters).\n");
	printf("\nFORCE AT: the points at which a force rule can set the option on this kernel, "
	       "probed with bpf_setsockopt in a child cgroup (setsockopt: on_change).\n");
	if (!fp->probed)
		printf("create, connect, established, send: %s\n", fp->reason);
	if (fp->probed && fp->create_reason[0])
		printf("create: %s (SO_MARK and SO_PRIORITY: cgroup/sock_create writes them)\n",
		       fp->create_reason);
	if (fp->probed && fp->send_reason[0])
		printf("send: %s\n", fp->send_reason);
	for (i = 0; fp->probed && i < fp->nrows; i++)
		if (fp->rows[i].opt->level == 0 /* IPPROTO_IP */ && fp->rows[i].err_mapped > 0)
			printf("send: an AF_INET6 socket sending to a v4-mapped address: this "
			       "kernel's bpf_setsockopt refuses %s on it (%s)\n",
			       fp->rows[i].opt->name, strerror(fp->rows[i].err_mapped));
	free(fp);
	return 0;
}
