// SPDX-License-Identifier: GPL-2.0-only
/*
 * `optguard reload` and `optguard unload`: act on the daemon of a pin_dir
 * (found through its lock file, state.h) from another shell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "log.h"
#include "pins.h"
#include "policy.h"
#include "state.h"

/* The pid of the daemon holding @pin_dir's lock, 0 when none runs, or -errno. */
static int daemon_pid(const char *pin_dir)
{
	char state[600], lock[600], buf[32];
	size_t n;
	ssize_t r;
	int fd, pid = 0;

	state_paths(pin_dir, state, sizeof(state));
	n = strlen(state);
	snprintf(lock, sizeof(lock), "%.*s.lock", (int)(n - 6), state);
	fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);	/* nobody holds it */
		return 0;
	}
	r = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (r > 0) {
		buf[r] = '\0';
		pid = atoi(buf);
	}
	return pid > 0 ? pid : -ESRCH;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Which answer the reload file holds: each is a new file (renamed over the last) */
struct answer_id {
	dev_t dev;
	ino_t ino;
	long long mtime;
};

static struct answer_id answer_id(const char *path)
{
	struct answer_id a = {};
	struct stat st;

	if (stat(path, &st) == 0)
		a = (struct answer_id){ st.st_dev, st.st_ino,
					st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec };
	return a;
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
static int same_policy(int pid, const char *pin_dir, const char *file)
{
	char theirs[4200];
	struct stat a, b;

	if (daemon_policy(pin_dir, theirs, sizeof(theirs))) {
		log_warnx("reload: cannot tell which policy file daemon %d runs (no state file): "
			  "not signalling it", pid);
		return 1;
	}
	if (stat(file, &a)) {
		log_warn("reload: %s", file);
		return 1;
	}
	if (stat(theirs, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	log_warnx("reload: %s is not the policy file daemon %d runs (%s): a daemon reloads "
		  "its own file; copy %s over it, or restart the daemon with --policy %s", file, pid,
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
	struct answer_id before, now;
	char answer[600], line[4200];
	FILE *f;
	int pid, r, i;

	r = parse_pin_dir(argc, argv, usage, &pin_dir, &policy);
	if (r <= 0)
		return r ? 2 : 0;
	if (geteuid() != 0) {
		log_warnx("reload: needs root");
		return 1;
	}
	pid = daemon_pid(pin_dir);
	if (pid <= 0) {
		log_warnx("reload: no optguard daemon runs with pin_dir %s", pin_dir);
		return 1;
	}
	if (policy && same_policy(pid, pin_dir, policy))
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
	state_reload_path(pin_dir, answer, sizeof(answer));
	before = answer_id(answer);
	if (kill(pid, SIGHUP)) {
		log_warn("reload: cannot signal pid %d", pid);
		return 1;
	}
	/* its answer: a new reload file (a 100k-rule policy takes a few seconds) */
	for (i = 0; i < 1200; i++) {
		sleep_ms(50);
		now = answer_id(answer);
		if (now.ino && memcmp(&now, &before, sizeof(now)))
			break;
	}
	f = i < 1200 ? fopen(answer, "re") : NULL;
	if (!f) {
		log_warnx("reload: daemon %d did not answer within 60 s: see its log", pid);
		return 1;
	}
	if (fgets(line, sizeof(line), f) && !strcmp(line, "ok\n")) {
		fclose(f);
		printf("reloaded: daemon %d has a new policy in force\n", pid);
		return 0;
	}
	/* the daemon's own words: FILE:LINE errors, or what needs a restart */
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
	log_warnx("reload: daemon %d kept the policy in force", pid);
	return 1;
}

int cmd_unload(int argc, char **argv)
{
	const char *usage = "usage: optguard unload [--pin-dir DIR]\n";
	const char *pin_dir = OG_DEFAULT_PIN_DIR;
	char state[600], why[600];
	size_t n = 0;
	int pid, r, i;

	r = parse_pin_dir(argc, argv, usage, &pin_dir, NULL);
	if (r <= 0)
		return r ? 2 : 0;
	if (geteuid() != 0) {
		log_warnx("unload: needs root");
		return 1;
	}
	pid = daemon_pid(pin_dir);
	/* remove only from a pin_dir optguard pins into: nothing at all otherwise */
	if (pid <= 0 && (r = pins_recognise(pin_dir, why, sizeof(why))) && r != -ENOENT) {
		if (r == -EINVAL)
			log_warnx("unload: %s: not an optguard pin_dir, nothing removed", why);
		else
			log_warnx("unload: %s: %s: nothing removed", pin_dir, strerror(-r));
		return 1;
	}
	if (pid > 0) {
		/* the daemon's stop line: what it leaves is about to go */
		state_unload_path(pin_dir, why, sizeof(why));
		close(open(why, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
		/* its link fds would keep the programs attached: stop it first */
		if (kill(pid, SIGTERM) && errno != ESRCH) {
			log_warn("unload: cannot stop daemon %d", pid);
			unlink(why);
			return 1;
		}
		for (i = 0; i < 200 && daemon_pid(pin_dir) > 0; i++)
			sleep_ms(50);
		if (daemon_pid(pin_dir) > 0) {
			unlink(why);
			log_warnx("unload: daemon %d did not stop", pid);
			return 1;
		}
	}
	r = pins_remove_all(pin_dir, &n);
	state_paths(pin_dir, state, sizeof(state));
	unlink(state);
	state_reload_path(pin_dir, state, sizeof(state));
	unlink(state);
	state_unload_path(pin_dir, state, sizeof(state));
	unlink(state);
	/* a daemon that was killed left its lock file; one that started meanwhile keeps its own */
	if (state_lock_remove(pin_dir) == -EBUSY)
		log_warnx("unload: a new daemon runs with pin_dir %s", pin_dir);
	if (r) {
		log_warnx("unload: could not remove everything under %s", pin_dir);
		return 1;
	}
	printf("unloaded: %zu link%s detached%s\n", n, n == 1 ? "" : "s",
	       pid > 0 ? ", daemon stopped" : "");
	return 0;
}
