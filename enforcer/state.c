// SPDX-License-Identifier: GPL-2.0-only
/* The running daemon's state for `optguard status` (state.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "log.h"
#include "sha256.h"
#include "state.h"

/* "/sys/fs/bpf/optguard" -> "optguard": the name of this instance */
static void instance(const char *pin_dir, char *buf, size_t len)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", pin_dir);
	snprintf(buf, len, "%s", basename(tmp));
}

void state_paths(const char *pin_dir, char *state, size_t slen)
{
	char name[256];

	instance(pin_dir, name, sizeof(name));
	snprintf(state, slen, "%s/%s.state", OG_RUN_DIR, name);
}

int state_lock(struct og_state *st, const char *pin_dir)
{
	char name[256], pid[32];
	int fd, ret;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	instance(pin_dir, name, sizeof(name));
	if (mkdir(OG_RUN_DIR, 0755) && errno != EEXIST) {
		ret = -errno;
		log_warn("%s", OG_RUN_DIR);
		return ret;
	}
	snprintf(st->lock_path, sizeof(st->lock_path), "%s/%s.lock", OG_RUN_DIR, name);
	fd = open(st->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = -errno;
		log_warn("%s", st->lock_path);
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (ret == -EBUSY)
			log_warnx("another optguard daemon (pid %s) runs with pin_dir %s: refusing to "
				  "start a second one", pid[0] ? pid : "?", pin_dir);
		else
			log_warn("%s", st->lock_path);
		close(fd);
		return ret;
	}
	if (ftruncate(fd, 0) == 0) {
		n = snprintf(pid, sizeof(pid), "%d\n", getpid());
		if (pwrite(fd, pid, n, 0) != n)
			log_warn("%s", st->lock_path);
	}
	st->lock_fd = fd;
	state_paths(pin_dir, st->state_path, sizeof(st->state_path));
	return 0;
}

/* A value on one line: newlines would end it */
static void put_kv(FILE *f, const char *k, const char *v)
{
	fprintf(f, "%s=", k);
	for (; *v; v++)
		fputc(*v == '\n' ? ' ' : *v, f);
	fputc('\n', f);
}

int state_write(struct og_state *st, const struct og_policy *p, const char *policy_path,
		const char *hooks, const char *lsm_reason, bool has_retval, const char *bypass)
{
	char tmp[600], hash[65] = "unknown", ts[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	FILE *f;
	int fd;

	sha256_file(policy_path, hash);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		log_warn("%s", tmp);
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	fprintf(f, "pid=%d\n", getpid());
	put_kv(f, "loaded", ts);
	put_kv(f, "policy", policy_path);
	put_kv(f, "sha256", hash);
	put_kv(f, "mode", p->mode == OG_MODE_AUDIT ? "audit" : "enforce");
	put_kv(f, "default", action_name(p->default_action));
	put_kv(f, "cgroup", p->cgroup);
	put_kv(f, "hooks", hooks);
	put_kv(f, "lsm", lsm_reason[0] ? lsm_reason : "active");
	put_kv(f, "errno", has_retval ? "rule errno" : "EPERM only (no bpf_set_retval)");
	put_kv(f, "bypass", bypass);
	put_kv(f, "counters", st->pin_path);
	put_kv(f, "rule", "(default)");
	for (i = 0; i < p->nrules; i++)
		put_kv(f, "rule", p->rules[i].name);
	if (fclose(f) || rename(tmp, st->state_path)) {
		log_warn("%s", st->state_path);
		unlink(tmp);
		return -errno;
	}
	return 0;
}

void state_release(struct og_state *st)
{
	/*
	 * The state file and the pins stay: enforcement outlives the daemon,
	 * and `status` reads them; only `optguard unload` removes them.  The
	 * lock file stays too: unlinking it would let a second daemon lock
	 * another inode.
	 */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}
