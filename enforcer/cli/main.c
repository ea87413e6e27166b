// SPDX-License-Identifier: GPL-2.0-only
/* optguard: one binary, one verb per command (bpftool's cmds[] table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "log.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{ "run", cmd_run, "run [--policy FILE]      load, attach and enforce a policy (root)" },
	{ "check", cmd_check, "check FILE               validate a policy" },
	{ "explain", cmd_explain,
	  "explain [--policy FILE] [--cgroup P] [--uid U] OPTION [VALUE]\n"
	  "                                   what a call would get, and which rule decides" },
	{ "status", cmd_status,
	  "status [--pin-dir DIR]   what the running daemon enforces, its counters (root)" },
	{ "reload", cmd_reload,
	  "reload [--pin-dir DIR] [--policy FILE]\n"
	  "                                   the running daemon reads its policy anew (SIGHUP)" },
	{ "unload", cmd_unload,
	  "unload [--pin-dir DIR]   stop the daemon, detach and unpin everything" },
	{ "options", cmd_options, "options                  the options optguard knows" },
	{}
};

static void usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f, "usage: optguard COMMAND [ARGS]\n\ncommands:\n");
	for (c = cmds; c->name; c++)
		fprintf(f, "  optguard %s\n", c->help);
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	/* OPTGUARD_DEBUG=1: libbpf's messages of probes that fail on purpose, and more */
	log_init("optguard", getenv("OPTGUARD_DEBUG") != NULL);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	log_warnx("unknown command '%s' (try 'optguard help')", argv[1]);
	return 2;
}
