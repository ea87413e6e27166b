// SPDX-License-Identifier: GPL-2.0-only
/*
 * `optguard reload` and `optguard unload`: act on the daemon of a pin_dir
 * from another shell, through its control socket (control.h); whether one
 * runs is its lock (state.h), valid across PID namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "control.h"
#include "log.h"
#include "pins.h"
#include "policy.h"
#include "state.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Ask the daemon of @pin_dir (control.h): 0 with its status word ("ok",
 * "refused", "error") in @status and the rest in *@text (malloc'd); 1 after
 * saying why there is no answer.  Never a signal: a pid read from a file
 * names another process in another PID namespace.
 */
static int ask(const char *cmd, const char *pin_dir, const char *req, int timeout_ms,
	       char *status, size_t slen, char **text)
{
	char sock[600], *answer = NULL, *nl;
	int r;

	state_sock_path(pin_dir, sock, sizeof(sock));
	r = control_call(sock, req, timeout_ms, &answer);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		if (state_lock_held(pin_dir))
			log_warnx("%s: the daemon of pin_dir %s does not answer on its control "
				  "socket %s (%s): an older optguard? stop it with its service "
				  "manager", cmd, pin_dir, sock, strerror(-r));
		else
			log_warnx("%s: no optguard daemon runs with pin_dir %s", cmd, pin_dir);
		return 1;
	}
	if (r) {
		log_warnx("%s: %s: %s", cmd, sock, strerror(-r));
		return 1;
	}
	nl = strchr(answer, '\n');
	snprintf(status, slen, "%.*s", nl ? (int)(nl - answer) : (int)strlen(answer), answer);
	*text = strdup(nl ? nl + 1 : "");
	free(answer);
	return *text ? 0 : 1;
}

/* The daemon's policy file, from its state file: 0 and @buf, or -errno. */
static int daemon_policy(const char *pin_dir, char *buf, size_t len)
{
	char state[600], line[4200];
	FILE *f;
	int ret = -ENOENT;

	state_paths(pin_dir, state, sizeof(state));
	f = fopen(state, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "policy=", 7)) {
			snprintf(buf, len, "%s", line + 7);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * A daemon reloads the file it was started with: --policy FILE must be that
 * file (the same inode, whatever the path), else the reload would say "in
 * force" of a policy nobody loaded.  0, or 1 after saying why.
 */
static int same_policy(const char *pin_dir, const char *file)
{
	char theirs[4200];
	struct stat a, b;

	if (daemon_policy(pin_dir, theirs, sizeof(theirs))) {
		log_warnx("reload: cannot tell which policy file the daemon runs (no state file): "
			  "not asking it to reload");
		return 1;
	}
	if (stat(file, &a)) {
		log_warn("reload: %s", file);
		return 1;
	}
	if (stat(theirs, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	log_warnx("reload: %s is not the policy file the daemon runs (%s): a daemon reloads "
		  "its own file; copy %s over it, or restart the daemon with --policy %s", file,
		  theirs, file, file);
	return 1;
}

static int parse_pin_dir(int argc, char **argv, const char *usage, const char **pin_dir,
			 const char **policy)
{
	static const struct option lopts[] = {
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:p:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			*pin_dir = optarg;
			break;
		case 'p':
			if (!policy)
				goto bad;
			*policy = optarg;
			break;
		case 'h':
			fprintf(stdout, "%s", usage);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 1;
bad:
	fprintf(stderr, "%s", usage);
	return -2;
}

int cmd_reload(int argc, char **argv)
{
	const char *usage = "usage: optguard reload [--pin-dir DIR] [--policy FILE]\n";
	const char *pin_dir = OG_DEFAULT_PIN_DIR, *policy = NULL;
	struct og_policy *p = NULL;
	struct og_diag diag = {};
	char status[32], *text = NULL;
	int r;

	r = parse_pin_dir(argc, argv, usage, &pin_dir, &policy);
	if (r <= 0)
		return r ? 2 : 0;
	if (geteuid() != 0) {
		log_warnx("reload: needs root");
		return 1;
	}
	if (!state_lock_held(pin_dir)) {
		log_warnx("reload: no optguard daemon runs with pin_dir %s", pin_dir);
		return 1;
	}
	if (policy && same_policy(pin_dir, policy))
		return 1;
	/* the daemon would refuse a bad file too; say why here, where the admin is */
	if (policy && policy_load(policy, &p, &diag)) {
		diag_print(&diag);
		diag_free(&diag);
		log_warnx("reload: %s is not valid: the daemon keeps the policy in force", policy);
		return 1;
	}
	policy_free(p);
	diag_free(&diag);
	/* the daemon's answer (a 100k-rule policy takes a few seconds) */
	if (ask("reload", pin_dir, "reload", 60000, status, sizeof(status), &text))
		return 1;
	if (!strcmp(status, "ok")) {
		printf("reloaded: %s", text);
		free(text);
		return 0;
	}
	/* the daemon's own words: FILE:LINE errors, or what needs a restart */
	fputs(text, stderr);
	free(text);
	log_warnx("reload: the daemon kept the policy in force");
	return 1;
}

int cmd_unload(int argc, char **argv)
{
	const char *usage = "usage: optguard unload [--pin-dir DIR]\n";
	const char *pin_dir = OG_DEFAULT_PIN_DIR;
	char state[600], why[600], status[32], *text = NULL;
	bool alive;
	size_t n = 0;
	int r, i;

	r = parse_pin_dir(argc, argv, usage, &pin_dir, NULL);
	if (r <= 0)
		return r ? 2 : 0;
	if (geteuid() != 0) {
		log_warnx("unload: needs root");
		return 1;
	}
	alive = state_lock_held(pin_dir);
	/* remove only from a pin_dir optguard pins into: nothing at all otherwise */
	if (!alive && (r = pins_recognise(pin_dir, why, sizeof(why))) && r != -ENOENT) {
		if (r == -EINVAL)
			log_warnx("unload: %s: not an optguard pin_dir, nothing removed", why);
		else
			log_warnx("unload: %s: %s: nothing removed", pin_dir, strerror(-r));
		return 1;
	}
	if (alive) {
		/* its link fds would keep the programs attached: stop it first */
		if (ask("unload", pin_dir, "unload", 10000, status, sizeof(status), &text))
			return 1;
		free(text);
		if (strcmp(status, "ok")) {
			log_warnx("unload: the daemon refused to stop (%s)", status);
			return 1;
		}
		for (i = 0; i < 200 && state_lock_held(pin_dir); i++)
			sleep_ms(50);
		if (state_lock_held(pin_dir)) {
			log_warnx("unload: the daemon did not stop within 10 s");
			return 1;
		}
	}
	r = pins_remove_all(pin_dir, &n);
	state_paths(pin_dir, state, sizeof(state));
	unlink(state);
	/* a daemon that was killed left its lock file; one that started meanwhile keeps its own */
	if (state_lock_remove(pin_dir) == -EBUSY) {
		log_warnx("unload: a new daemon runs with pin_dir %s", pin_dir);
	} else {
		state_sock_path(pin_dir, state, sizeof(state));
		unlink(state);	/* a killed daemon's socket */
	}
	if (r) {
		log_warnx("unload: could not remove everything under %s", pin_dir);
		return 1;
	}
	printf("unloaded: %zu link%s detached%s\n", n, n == 1 ? "" : "s",
	       alive ? ", daemon stopped" : "");
	return 0;
}
