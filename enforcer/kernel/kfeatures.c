// SPDX-License-Identifier: GPL-2.0-only
/* Kernel feature probes (kfeatures.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "kfeatures.h"

static void read_lsm_list(struct og_features *f)
{
	FILE *fp = fopen("/sys/kernel/security/lsm", "re");
	char buf[256], *tok, *save;
	size_t n;

	if (!fp)
		return;
	n = fread(f->lsm_list, 1, sizeof(f->lsm_list) - 1, fp);
	fclose(fp);
	f->lsm_list[n] = '\0';
	f->lsm_list[strcspn(f->lsm_list, "\n")] = '\0';
	f->lsm_list_known = true;
	snprintf(buf, sizeof(buf), "%s", f->lsm_list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "bpf"))
			f->lsm_listed = true;
}

int features_probe(struct og_features *f)
{
	memset(f, 0, sizeof(*f));
	read_lsm_list(f);
	if (geteuid() != 0)
		return -EPERM;
	f->probed = true;
	f->lsm_loadable = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LSM, NULL) > 0;
	f->set_retval = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_FUNC_set_retval,
						NULL) > 0;
	f->task_helpers = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT,
						  BPF_FUNC_get_current_ancestor_cgroup_id,
						  NULL) > 0;
	return 0;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

void features_print(const struct og_features *f)
{
	printf("kernel features (probed):\n");
	if (f->lsm_list_known)
		printf("  active LSMs:                       %s (bpf %s)\n", f->lsm_list,
		       f->lsm_listed ? "listed" : "NOT listed");
	else
		printf("  active LSMs:                       unknown (securityfs not mounted)\n");
	if (!f->probed) {
		printf("  BPF program probes:                need root\n");
		return;
	}
	printf("  LSM programs load:                 %s%s\n", yes_no(f->lsm_loadable),
	       f->lsm_loadable ? "" : " (deny runs cgroup-only: 32-bit callers not checked)");
	printf("  bpf_set_retval (rule errno):       %s%s\n", yes_no(f->set_retval),
	       f->set_retval ? "" : " (every deny gives EPERM)");
	printf("  cgroup ancestry, pid, comm:        %s%s\n", yes_no(f->task_helpers),
	       f->task_helpers ? "" : " (cgroup scopes cannot be enforced)");
}
