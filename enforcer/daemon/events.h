/* SPDX-License-Identifier: GPL-2.0-only */
/* Decision events: formatting (pure, fuzzable) and the sinks they go to. */
#ifndef OPTGUARD_EVENTS_H
#define OPTGUARD_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "policy.h"

/* What the formatter needs besides the event. */
struct og_event_names {
	const char *rule;	/* rule name, "(default)" for id 0 */
	const char *cgroup;	/* cgroup path below the cgroup2 mount, or NULL */
	long long realtime_ns;	/* the event's time on CLOCK_REALTIME */
};

/*
 * Format @e as one line (no newline) of kind OG_LOG_JSON or OG_LOG_TEXT
 * (syslog uses text) into @buf.  Returns the length, or -ENOSPC (the line is
 * then cut, still NUL terminated).
 */
int event_format(enum og_log_kind kind, const struct og_event *e, const struct og_event_names *n,
		 char *buf, size_t len);

/*
 * The line that accounts for events a rule lost since the last one:
 * suppressed by log_rate, or dropped because the ring buffer was full.
 */
int summary_format(enum og_log_kind kind, const char *rule, unsigned long long suppressed,
		   unsigned long long dropped, long long realtime_ns, char *buf, size_t len);

/*
 * The line of a reload (SIGHUP, `optguard reload`, a watched file that
 * changed: @trigger): its policy in force (@ok), or refused with @reasons
 * (the daemon's FILE:LINE messages, newline-separated).  @sha256: the
 * file's hash ("" when it could not be read).
 */
int reload_format(enum og_log_kind kind, bool ok, const char *trigger, const char *policy,
		  const char *sha256, const char *reasons, long long realtime_ns, char *buf,
		  size_t len);

/*
 * Where event lines go.  A file (json, text) is written with write(2) from a
 * buffer of its own, flushed after every batch: a line a write error loses
 * (a full disk, EIO) is counted and said, never dropped silently.
 */
struct og_sink {
	enum og_log_kind kind;
	int fd;			/* json, text: the file, or 2 for "-"; -1 otherwise */
	char *path;		/* "-" = stderr */
	char *buf;		/* lines not written yet */
	size_t len;
	bool cut;		/* a write stopped inside a line: start the next on a new one */
	int err;		/* errno of the writes that fail now, 0 while they work */
	unsigned long long lost;	/* lines lost to write errors, in all */
	unsigned long long lost_now;	/* since the writes started failing */
};

/* 0 or -errno (the message names the file). */
int sink_open(struct og_sink *s, enum og_log_kind kind, const char *path);
/* Reopen the file (logrotate): 0 or -errno, the old file stays in use on error. */
int sink_reopen(struct og_sink *s);
void sink_write(struct og_sink *s, const char *line);
/* Write what is buffered; a failure (or a recovery) is logged once, the lines counted. */
void sink_flush(struct og_sink *s);
/* Flush, say how many lines write errors lost in all (if any), close. */
void sink_close(struct og_sink *s);

const char *hook_name(int hook);

#endif
