/* SPDX-License-Identifier: GPL-2.0-only */
/* Decision events: formatting (pure, fuzzable) and the sinks they go to. */
#ifndef OPTGUARD_EVENTS_H
#define OPTGUARD_EVENTS_H

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

struct og_sink {
	enum og_log_kind kind;
	FILE *f;		/* json, text */
	char *path;		/* "-" = stderr */
};

/* 0 or -errno (the message names the file). */
int sink_open(struct og_sink *s, enum og_log_kind kind, const char *path);
/* Reopen the file (logrotate): 0 or -errno, the old file stays in use on error. */
int sink_reopen(struct og_sink *s);
void sink_write(struct og_sink *s, const char *line);
void sink_flush(struct og_sink *s);
void sink_close(struct og_sink *s);

const char *hook_name(int hook);

#endif
