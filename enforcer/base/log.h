/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Diagnostics of the daemon and the CLI (not decision events): one line on
 * stderr, "optguard: message", lowercase, no trailing period.  log_warn adds
 * strerror(errno); log_warnx does not; fatal also exits 1.
 */
#ifndef OPTGUARD_LOG_H
#define OPTGUARD_LOG_H

void log_init(const char *progname, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A line as it is ("FILE:LINE: message"), on stderr. */
void log_line(const char *line);
/*
 * Keep a copy of every line logged from now on (the daemon's answer to a
 * reload, for the `optguard reload` that asked); log_capture_end() stops
 * and returns it (malloc'd, NULL when nothing could be kept).
 */
void log_capture_begin(void);
char *log_capture_end(void);

#endif
