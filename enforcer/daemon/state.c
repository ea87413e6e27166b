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
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "log.h"
#include "sha256.h"
#include "state.h"

/*
 * The name of the instance of @pin_dir, for its files in OG_RUN_DIR; two
 * pin_dirs never share one.  One directory below /sys/fs/bpf is its own name
 * ("/sys/fs/bpf/optguard" -> "optguard"); any other path is '@' and the path
 * below /sys/fs/bpf ("@@" and the whole path elsewhere) with '/' as '-' and a
 * '-', '\\' or '@' of a component escaped as \\x2d, \\x5c, \\x40 (as
 * systemd-escape(1) does): "/sys/fs/bpf/a/og" -> "@a-og", "/srv/pins" ->
 * "@@srv-pins".  Repeated and trailing slashes do not count.
 */
static void instance(const char *pin_dir, char *buf, size_t len)
{
	const char *p = pin_dir, *end = pin_dir + strlen(pin_dir);
	size_t o = 0;

	while (end > pin_dir + 1 && end[-1] == '/')
		end--;
	if (!strncmp(p, "/sys/fs/bpf/", 12) && end > p + 12) {
		p += 12;
		while (*p == '/')
			p++;
		if (*p != '@' && !memchr(p, '/', end - p)) {
			snprintf(buf, len, "%.*s", (int)(end - p), p);
			return;
		}
		buf[o++] = '@';
	} else {
		buf[o++] = '@';
		buf[o++] = '@';
		while (*p == '/')
			p++;
	}
	for (; p < end && o + 5 < len; p++) {
		if (*p == '/') {
			while (p + 1 < end && p[1] == '/')
				p++;
			buf[o++] = '-';
		} else if (*p == '-' || *p == '\\' || *p == '@') {
			o += snprintf(buf + o, len - o, "\\x%02x", (unsigned char)*p);
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

void state_paths(const char *pin_dir, char *state, size_t slen)
{
	char name[256];

	instance(pin_dir, name, sizeof(name));
	snprintf(state, slen, "%s/%s.state", OG_RUN_DIR, name);
}

/*
 * Is the file @fd has open still the one at @path?  A lock file is removed
 * by the process that holds its lock (state_release(), state_lock_remove());
 * one who opened it just before and locks it after would hold a lock nobody
 * else can see: it must open the path again.
 */
static bool lock_is_current(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

void state_sock_path(const char *pin_dir, char *buf, size_t len)
{
	char name[256];

	instance(pin_dir, name, sizeof(name));
	snprintf(buf, len, "%s/%s.sock", OG_RUN_DIR, name);
}

int state_instance_new(char id[17])
{
	unsigned long long r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -errno;
	snprintf(id, 17, "%016llx", r);
	return 0;
}

bool state_lock_held(const char *pin_dir)
{
	char state[600], lock[600];
	size_t n;
	int fd;
	bool held;

	state_paths(pin_dir, state, sizeof(state));
	n = strlen(state);
	snprintf(lock, sizeof(lock), "%.*s.lock", (int)(n - 6), state);
	fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) != 0;
	close(fd);
	return held;
}

int state_lock_remove(const char *pin_dir)
{
	char state[600], lock[600];
	size_t n;
	int fd, ret = 0;

	state_paths(pin_dir, state, sizeof(state));
	n = strlen(state);
	snprintf(lock, sizeof(lock), "%.*s.lock", (int)(n - 6), state);
	fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB))
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;	/* a daemon runs: its lock */
	else if (lock_is_current(fd, lock) && unlink(lock))
		ret = -errno;
	close(fd);
	return ret;
}

int state_lock(struct og_state *st, const char *pin_dir)
{
	char name[256], buf[64];
	int fd, ret, tries = 0;
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
again:
	fd = open(st->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = -errno;
		log_warn("%s", st->lock_path);
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && !lock_is_current(fd, st->lock_path)) {
		/* its holder removed it after we opened it: lock the file now there */
		close(fd);
		if (++tries < 100)
			goto again;
		log_warnx("%s: removed as fast as it is made: refusing to start", st->lock_path);
		return -EAGAIN;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (ret == -EBUSY)
			log_warnx("another optguard daemon (%s) runs with pin_dir %s: refusing to "
				  "start a second one", buf[0] ? buf : "?", pin_dir);
		else
			log_warn("%s", st->lock_path);
		close(fd);
		return ret;
	}
	/*
	 * The instance, never a pid: a pid means nothing in another PID
	 * namespace (in a container the daemon is pid 1, and pid 1 of the host
	 * is init).  The CLI talks to the daemon through its control socket.
	 */
	ret = state_instance_new(st->instance);
	if (ret) {
		log_warnx("%s: cannot make an instance id: %s", st->lock_path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (ftruncate(fd, 0) == 0) {
		n = snprintf(buf, sizeof(buf), "instance %s\n", st->instance);
		if (pwrite(fd, buf, n, 0) != n)
			log_warn("%s", st->lock_path);
	}
	st->lock_fd = fd;
	state_paths(pin_dir, st->state_path, sizeof(st->state_path));
	state_sock_path(pin_dir, st->sock_path, sizeof(st->sock_path));
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

void state_format(FILE *f, const struct og_state *st, const struct og_policy *p,
		  const char *policy_path, const char *hooks, const char *lsm_reason,
		  const char *errno_text, char *const *names, size_t nnames, const char *bypass)
{
	char hash[65] = "unknown", ts[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	if (p->sha256[0])
		snprintf(hash, sizeof(hash), "%s", p->sha256);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	put_kv(f, "instance", st->instance);
	put_kv(f, "loaded", ts);
	put_kv(f, "policy", policy_path);
	put_kv(f, "sha256", hash);
	put_kv(f, "mode", p->mode == OG_MODE_AUDIT ? "audit" : "enforce");
	put_kv(f, "default", action_name(p->default_action));
	put_kv(f, "cgroup", p->cgroup);
	put_kv(f, "hooks", hooks);
	put_kv(f, "lsm", lsm_reason[0] ? lsm_reason : "active");
	put_kv(f, "errno", errno_text);
	put_kv(f, "bypass", bypass);
	put_kv(f, "counters", st->pin_path);
	put_kv(f, "integrity", st->integrity[0] ? st->integrity : "ok");
	if (st->bindings)
		fputs(st->bindings, f);
	/* by id, the counters' index: an id no rule has is an empty line */
	for (i = 0; i < nnames; i++)
		put_kv(f, "rule", names[i] ? names[i] : "");
}

int state_write(struct og_state *st, const struct og_policy *p, const char *policy_path,
		const char *hooks, const char *lsm_reason, const char *errno_text, char *const *names,
		size_t nnames, const char *bypass)
{
	char tmp[600];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", st->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		log_warn("%s", tmp);
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	state_format(f, st, p, policy_path, hooks, lsm_reason, errno_text, names, nnames, bypass);
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
	 * lock file goes, removed while we hold its lock: a daemon that opened
	 * it meanwhile sees it is no longer the file at the path
	 * (lock_is_current()) and makes a new one.
	 */
	if (st->lock_fd >= 0) {
		if (lock_is_current(st->lock_fd, st->lock_path) && unlink(st->lock_path) &&
		    errno != ENOENT)
			log_warn("%s: cannot remove", st->lock_path);
		close(st->lock_fd);
	}
	st->lock_fd = -1;
}
