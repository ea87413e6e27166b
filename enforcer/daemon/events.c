// SPDX-License-Identifier: GPL-2.0-only
/* Decision events: formatting and sinks (events.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

struct out {
	char *buf;
	size_t len, pos;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = 1;
		o->pos = o->len - 1;
		return;
	}
	o->pos += n;
}

/* put(o, "%.*s", n, s) without the printf machinery: the strings of an event
 * (bench/README.md P5). */
static void put_mem(struct out *o, const char *s, size_t n)
{
	size_t room;

	if (o->full)
		return;
	room = o->len - o->pos;
	if (n >= room) {	/* as vsnprintf: what fits, terminated, and full */
		memcpy(o->buf + o->pos, s, room - 1);
		o->buf[o->len - 1] = '\0';
		o->full = 1;
		o->pos = o->len - 1;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and out-of-range code points are not UTF-8 */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A JSON string of the bytes s[0..n): valid UTF-8 passes, control characters
 * and bytes that are not UTF-8 become \u00XX, so any kernel string gives valid JSON.
 */
static void put_json_str(struct out *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l = 0, run;
	char esc[8];

	put_mem(o, "\"", 1);
	while (i < n && p[i]) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put_mem(o, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f || (l = utf8_len(p + i, n - i)) == 0) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put_mem(o, esc, 6);
			i++;
		} else {
			/* a run of characters that pass as they are, in one copy */
			run = i;
			do {
				i += l;
			} while (i < n && p[i] && p[i] != '"' && p[i] != '\\' && p[i] >= 0x20 &&
				 p[i] != 0x7f && (l = utf8_len(p + i, n - i)) != 0);
			put_mem(o, (const char *)p + run, i - run);
		}
	}
	put_mem(o, "\"", 1);
}

/* Text: printable ASCII except space, quote and backslash as is; the rest \xNN. */
static void put_text_str(struct out *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	char esc[8];

	put_mem(o, "\"", 1);
	while (i < n && p[i]) {
		for (run = i; i < n && p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\';
		     i++)
			;
		if (i > run)
			put_mem(o, (const char *)p + run, i - run);
		if (i < n && p[i]) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			put_mem(o, esc, 4);
			i++;
		}
	}
	put_mem(o, "\"", 1);
}

const char *hook_name(int hook)
{
	switch (hook) {
	case OG_HOOK_CGROUP_SOCKOPT:
		return "cgroup_setsockopt";
	case OG_HOOK_LSM:
		return "lsm";
	case OG_HOOK_POST_CREATE:
		return "socket_post_create";
	case OG_HOOK_CONNECT:
		return "connect";
	case OG_HOOK_SOCKOPS:
		return "sockops";
	case OG_HOOK_SENDMSG:
		return "sendmsg";
	case OG_HOOK_GUARD:
		return "guard";
	case OG_HOOK_UDP_SEND:
		return "send";
	case OG_HOOK_SOCK_CREATE:
		return "sock_create";
	}
	return "unknown";
}

/* the bpf() commands the guard refuses (bpf/guard/guard.bpf.c); -1: a writable map fd */
static const char *guard_cmd_name(int cmd)
{
	switch (cmd) {
	case -1:
		return "writable map fd";
	case 2:
		return "BPF_MAP_UPDATE_ELEM";
	case 3:
		return "BPF_MAP_DELETE_ELEM";
	case 21:
		return "BPF_MAP_LOOKUP_AND_DELETE_ELEM";
	case 22:
		return "BPF_MAP_FREEZE";
	case 25:
		return "BPF_MAP_LOOKUP_AND_DELETE_BATCH";
	case 26:
		return "BPF_MAP_UPDATE_BATCH";
	case 27:
		return "BPF_MAP_DELETE_BATCH";
	case 29:
		return "BPF_LINK_UPDATE";
	case 34:
		return "BPF_LINK_DETACH";
	}
	return "unknown";
}

static const char *family_name(unsigned int f, char *buf, size_t len)
{
	switch (f) {
	case 1:
		return "unix";
	case 2:
		return "inet";
	case 10:
		return "inet6";
	case 16:
		return "netlink";
	case 17:
		return "packet";
	}
	snprintf(buf, len, "%u", f);
	return buf;
}

static const char *type_name(unsigned int t, char *buf, size_t len)
{
	switch (t) {
	case 1:
		return "stream";
	case 2:
		return "dgram";
	case 3:
		return "raw";
	case 5:
		return "seqpacket";
	}
	snprintf(buf, len, "%u", t);
	return buf;
}

/* A value as JSON (number, string or null) or text. */
static void put_value(struct out *o, int json, const struct og_event *e, __u64 num,
		      const char *str)
{
	if (e->flags & OG_EV_NOVAL) {
		put(o, json ? "null" : "-");
	} else if (e->flags & OG_EV_STR) {
		if (json)
			put_json_str(o, str, OG_STR_MAX);
		else
			put_text_str(o, str, OG_STR_MAX);
	} else if (e->vtype == OG_VT_UINT) {
		put(o, "%llu", (unsigned long long)num);
	} else {
		put(o, "%lld", (long long)(__s64)num);
	}
}

/* RFC 3339, UTC, microseconds; the date and time of the last second kept
 * (bench/README.md P5) */
static void format_ts(long long realtime_ns, char *ts, size_t len)
{
	static __thread time_t last = -1;
	static __thread char day[64];
	time_t sec = realtime_ns / 1000000000LL;
	long long us = (realtime_ns % 1000000000LL) / 1000;
	struct tm tm;

	if (sec != last || realtime_ns < 0) {
		gmtime_r(&sec, &tm);
		snprintf(day, sizeof(day), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		last = realtime_ns < 0 ? -1 : sec;
	}
	snprintf(ts, len, "%.32s.%06lldZ", day, us);
}

int summary_format(enum og_log_kind kind, const char *rule, unsigned long long suppressed,
		   unsigned long long dropped, long long realtime_ns, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	char ts[64];

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	format_ts(realtime_ns, ts, sizeof(ts));
	if (kind == OG_LOG_JSON) {
		put(&o, "{\"ts\":\"%s\",\"event\":\"summary\",\"rule\":", ts);
		put_json_str(&o, rule, strlen(rule));
		put(&o, ",\"suppressed\":%llu,\"dropped\":%llu}", suppressed, dropped);
	} else {
		put(&o, "%s event=summary rule=", ts);
		put_text_str(&o, rule, strlen(rule));
		put(&o, " suppressed=%llu dropped=%llu", suppressed, dropped);
	}
	return o.full ? -ENOSPC : (int)o.pos;
}

int reload_format(enum og_log_kind kind, bool ok, const char *trigger, const char *policy,
		  const char *sha256, const char *reasons, long long realtime_ns, char *buf,
		  size_t len)
{
	struct out o = { .buf = buf, .len = len };
	char ts[64];

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	format_ts(realtime_ns, ts, sizeof(ts));
	if (kind == OG_LOG_JSON) {
		put(&o, "{\"ts\":\"%s\",\"event\":\"reload\",\"result\":\"%s\",\"trigger\":\"%s\","
		    "\"policy\":", ts, ok ? "in force" : "refused", trigger);
		put_json_str(&o, policy, strlen(policy));
		put(&o, ",\"sha256\":");
		put_json_str(&o, sha256, strlen(sha256));
		put(&o, ",\"reasons\":");
		put_json_str(&o, reasons, strlen(reasons));
		put(&o, "}");
	} else {
		put(&o, "%s event=reload result=%s trigger=%s policy=", ts, ok ? "in-force" : "refused",
		    trigger);
		put_text_str(&o, policy, strlen(policy));
		put(&o, " sha256=%s reasons=", sha256);
		put_text_str(&o, reasons, strlen(reasons));
	}
	return o.full ? -ENOSPC : (int)o.pos;
}

int event_format(enum og_log_kind kind, const struct og_event *e, const struct og_event_names *n,
		 char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	int json = kind == OG_LOG_JSON;
	char ts[64], fb[16], tb[16], lv[16];
	const struct og_option *opt = option_by_number(e->level, e->optname);
	const char *lname = level_name(e->level);

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	format_ts(n->realtime_ns, ts, sizeof(ts));
	if (!lname) {
		snprintf(lv, sizeof(lv), "%d", e->level);
		lname = lv;
	}

	if (e->hook == OG_HOOK_GUARD) {
		/* not a socket option: a bpf() command on optguard's own link or map, refused */
		const char *cmd = guard_cmd_name(e->level);

		put(&o, json ? "{\"ts\":\"%s\",\"hook\":\"guard\",\"action\":\"deny\","
			       "\"event\":\"guard\",\"cmd\":\"%s\",\"object_id\":%u,\"pid\":%u,"
			       "\"tid\":%u,\"comm\":" :
			       "%s hook=guard action=deny event=guard cmd=%s object_id=%u pid=%u "
			       "tid=%u comm=", ts, cmd, (__u32)e->optname, e->pid, e->tid);
		if (json)
			put_json_str(&o, e->comm, sizeof(e->comm));
		else
			put_text_str(&o, e->comm, sizeof(e->comm));
		put(&o, json ? ",\"uid\":%u,\"cgroup_id\":%llu,\"errno\":%d}" :
			       " uid=%u cgroup_id=%llu errno=%d", e->uid, (unsigned long long)e->cgid,
		    e->err);
		return o.full ? -ENOSPC : (int)o.pos;
	}
	if (json) {
		put(&o, "{\"ts\":\"%s\",\"hook\":\"%s\",\"action\":\"%s\",\"mode\":\"%s\",\"rule\":",
		    ts, hook_name(e->hook), action_name(e->action),
		    e->mode == OG_MODE_AUDIT ? "audit" : "enforce");
		put_json_str(&o, n->rule, strlen(n->rule));
		put(&o, ",\"pid\":%u,\"tid\":%u,\"comm\":", e->pid, e->tid);
		put_json_str(&o, e->comm, sizeof(e->comm));
		put(&o, ",\"uid\":%u,\"cgroup\":", e->uid);
		if (n->cgroup)
			put_json_str(&o, n->cgroup, strlen(n->cgroup));
		else
			put(&o, "null");
		put(&o, ",\"cgroup_id\":%llu,\"family\":\"%s\",\"type\":\"%s\",\"level\":\"%s\","
		    "\"option\":", (unsigned long long)e->cgid, family_name(e->family, fb, sizeof(fb)),
		    type_name(e->type, tb, sizeof(tb)), lname);
		if (opt)
			put(&o, "\"%s\"", opt->name);
		else
			put(&o, "\"%d\"", e->optname);
		put(&o, ",\"requested\":");
		put_value(&o, 1, e, e->requested, e->req_str);
		/* a denied call gave the kernel no value */
		put(&o, ",\"effective\":");
		if (e->action == OG_ACT_DENY)
			put(&o, "null");
		else
			put_value(&o, 1, e, e->effective, e->eff_str);
		put(&o, ",\"errno\":%d", e->err);
		if (e->flags & (OG_EV_COMPAT | OG_EV_CMSG_MAX))
			put(&o, ",\"reason\":\"%s\"", e->flags & OG_EV_COMPAT ? "compat" : "cmsg_limit");
		if (e->flags & OG_EV_CLOSE)
			put(&o, ",\"event\":\"close\",\"lifetime_ms\":%llu,\"retransmits\":%u,"
			    "\"rtos\":%u", (unsigned long long)(e->tele_lifetime_ns / 1000000),
			    e->tele_retransmits, e->tele_rtos);
		put(&o, "}");
	} else {
		put(&o, "%s hook=%s action=%s mode=%s rule=", ts, hook_name(e->hook),
		    action_name(e->action), e->mode == OG_MODE_AUDIT ? "audit" : "enforce");
		put_text_str(&o, n->rule, strlen(n->rule));
		put(&o, " pid=%u tid=%u comm=", e->pid, e->tid);
		put_text_str(&o, e->comm, sizeof(e->comm));
		put(&o, " uid=%u cgroup=", e->uid);
		if (n->cgroup)
			put_text_str(&o, n->cgroup, strlen(n->cgroup));
		else
			put(&o, "id:%llu", (unsigned long long)e->cgid);
		put(&o, " family=%s type=%s level=%s option=", family_name(e->family, fb, sizeof(fb)),
		    type_name(e->type, tb, sizeof(tb)), lname);
		if (opt)
			put(&o, "%s", opt->name);
		else
			put(&o, "%d", e->optname);
		put(&o, " requested=");
		put_value(&o, 0, e, e->requested, e->req_str);
		put(&o, " effective=");
		if (e->action == OG_ACT_DENY)
			put(&o, "-");
		else
			put_value(&o, 0, e, e->effective, e->eff_str);
		put(&o, " errno=%d", e->err);
		if (e->flags & (OG_EV_COMPAT | OG_EV_CMSG_MAX))
			put(&o, " reason=%s", e->flags & OG_EV_COMPAT ? "compat" : "cmsg_limit");
		if (e->flags & OG_EV_CLOSE)
			put(&o, " event=close lifetime_ms=%llu retransmits=%u rtos=%u",
			    (unsigned long long)(e->tele_lifetime_ns / 1000000), e->tele_retransmits,
			    e->tele_rtos);
	}
	return o.full ? -ENOSPC : (int)o.pos;
}

#define SINK_BUF	(1 << 16)	/* a batch of lines; a line is at most 16 KiB */

/*
 * May the daemon go through @name, a symlink in directory @dirfd?  Only when
 * root planted it: the link owned by root, in a directory owned by root that
 * neither group nor others may write.  A link an unprivileged user could have
 * made (in /tmp, in a directory of theirs) would point the daemon, as root,
 * at a file of the user's choosing.
 */
static bool trusted_link(int dirfd, const char *name)
{
	struct stat l, d;

	return fstatat(dirfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0 && l.st_uid == 0 &&
	       fstat(dirfd, &d) == 0 && d.st_uid == 0 && !(d.st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * Open the log file for appending, walking its path one directory at a time
 * from / without following a symlink root did not plant, making its last
 * directory when missing (/var/log/optguard on a fresh host).  The file
 * itself is never a symlink, and must be a regular file with one link (not
 * a hard link an unprivileged user made to a file root owns).  An fd, or
 * -errno with the reason logged.
 */
static int sink_open_file(const char *path)
{
	char buf[4096], *comp, *next, *save = NULL;
	struct stat st;
	int dfd, nfd, fd;

	if (path[0] != '/' || strlen(path) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", path);
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	comp = strtok_r(buf, "/", &save);
	while (comp && (next = strtok_r(NULL, "/", &save))) {
		if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW)) {
			/* only the file's own directory is made, as root, 0750 */
			if (errno != ENOENT || (save && *save))
				goto fail;
			if (mkdirat(dfd, comp, 0750) && errno != EEXIST)
				goto fail;
		} else if (S_ISLNK(st.st_mode) && !trusted_link(dfd, comp)) {
			log_warnx("log_file %s: '%s' is a symlink root did not plant (owner uid %u): "
				  "not following it", path, comp, st.st_uid);
			close(dfd);
			return -ELOOP;
		}
		nfd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (nfd < 0)
			goto fail;
		close(dfd);
		dfd = nfd;
		comp = next;
	}
	if (!comp) {
		close(dfd);
		return -EISDIR;
	}
	fd = openat(dfd, comp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		goto fail;
	close(dfd);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		log_warnx("log_file %s: not a regular file with one link: refusing it", path);
		close(fd);
		return -EPERM;
	}
	return fd;
fail:
	fd = -errno;
	close(dfd);
	return fd;
}

int sink_open(struct og_sink *s, enum og_log_kind kind, const char *path)
{
	int fd;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->kind = kind;
	if (kind == OG_LOG_NONE)
		return 0;
	if (kind == OG_LOG_SYSLOG) {
		openlog("optguard", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return 0;
	}
	s->path = strdup(path);
	s->buf = malloc(SINK_BUF);
	if (!s->path || !s->buf) {
		free(s->path);
		free(s->buf);
		s->path = s->buf = NULL;
		return -ENOMEM;
	}
	/* events alone on stdout (a container's log); diagnostics stay on stderr */
	fd = strcmp(path, "-") == 0 ? STDOUT_FILENO : sink_open_file(path);
	if (fd < 0) {
		errno = -fd;
		log_warn("log_file %s", path);
		free(s->path);
		free(s->buf);
		s->path = s->buf = NULL;
		return fd;
	}
	s->fd = fd;
	return 0;
}

int sink_reopen(struct og_sink *s)
{
	int fd;

	if (s->fd < 0 || s->fd == STDOUT_FILENO)
		return 0;
	sink_flush(s);	/* what the old file was due gets there */
	fd = sink_open_file(s->path);
	if (fd < 0) {
		errno = -fd;
		log_warn("log_file %s: keeping the open file", s->path);
		return fd;
	}
	close(s->fd);
	s->fd = fd;
	s->cut = false;	/* a new file: no line to end */
	return 0;
}

void sink_write(struct og_sink *s, const char *line)
{
	size_t n;

	switch (s->kind) {
	case OG_LOG_NONE:
		return;
	case OG_LOG_SYSLOG:
		syslog(LOG_NOTICE, "%s", line);
		return;
	default:
		if (s->fd < 0)
			return;
		n = strnlen(line, SINK_BUF - 1);
		if (s->len + n + 1 > SINK_BUF)
			sink_flush(s);
		memcpy(s->buf + s->len, line, n);
		s->buf[s->len + n] = '\n';
		s->len += n + 1;
	}
}

/* The lines (newlines) in @p[0..@n): those a failed write loses. */
static unsigned long long count_lines(const char *p, size_t n)
{
	unsigned long long k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', e - p))) {
		k++;
		p++;
	}
	return k;
}

/*
 * A write stopped inside a line after @off bytes of the buffer: take the
 * piece back out of the file (its line is counted lost), or, where the
 * file cannot be cut (stderr on a pipe), end it with the next write.
 */
static void cut_back(struct og_sink *s, size_t off)
{
	const char *nl = memrchr(s->buf, '\n', off);
	size_t piece = off - (nl ? (size_t)(nl - s->buf) + 1 : 0);
	off_t end = lseek(s->fd, 0, SEEK_END);

	if (end < (off_t)piece || ftruncate(s->fd, end - piece))
		s->cut = true;
}

void sink_flush(struct og_sink *s)
{
	size_t off = 0;
	ssize_t n;
	int err = 0;

	if (s->fd < 0 || !s->len)
		return;
	/* the line a failed write cut: ended before anything else goes on */
	if (s->cut) {
		if (write(s->fd, "\n", 1) == 1)
			s->cut = false;
		else
			err = errno ? errno : EIO;
	}
	while (!s->cut && off < s->len) {
		n = write(s->fd, s->buf + off, s->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		off += n;
	}
	if (off < s->len) {
		unsigned long long k = count_lines(s->buf + off, s->len - off);

		if (!err)
			err = EIO;
		s->lost += k;
		s->lost_now += k;
		if (off && s->buf[off - 1] != '\n')
			cut_back(s, off);
		if (!s->err)
			log_warnx("log_file %s: %s: events are lost until it can be written "
				  "again (they are counted)", s->path, strerror(err));
		s->err = err;
	} else if (s->err) {
		log_warnx("log_file %s: written again; %llu events were lost meanwhile (%s)",
			  s->path, s->lost_now, strerror(s->err));
		s->err = 0;
		s->lost_now = 0;
	}
	s->len = 0;
}

void sink_close(struct og_sink *s)
{
	if (s->kind == OG_LOG_SYSLOG)
		closelog();
	if (s->path)
		sink_flush(s);
	if (s->lost)
		log_warnx("log_file %s: %llu events could not be written (%s)", s->path, s->lost,
			  s->err ? strerror(s->err) : "the writes failed");
	/* path: the sink was opened (a daemon that stopped before has a zeroed one) */
	if (s->path && s->fd >= 0 && s->fd != STDOUT_FILENO)
		close(s->fd);
	free(s->path);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
