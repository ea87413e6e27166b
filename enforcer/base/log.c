// SPDX-License-Identifier: GPL-2.0-only
/* Diagnostics on stderr (log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *prog = "optguard";
static int verbosity;
static FILE *capture;		/* log_capture_begin(): a copy of every line */
static char *capture_buf;
static size_t capture_len;

void log_init(const char *progname, int verbose)
{
	prog = progname;
	verbosity = verbose;
}

static void vlog(const char *prefix, const char *fmt, va_list ap, const char *err)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err) {
		fprintf(stderr, "%s: %s%s: %s\n", prog, prefix, buf, err);
		if (capture)
			fprintf(capture, "%s: %s%s: %s\n", prog, prefix, buf, err);
	} else {
		fprintf(stderr, "%s: %s%s\n", prog, prefix, buf);
		if (capture)
			fprintf(capture, "%s: %s%s\n", prog, prefix, buf);
	}
}

void log_line(const char *line)
{
	fprintf(stderr, "%s\n", line);
	if (capture)
		fprintf(capture, "%s\n", line);
}

void log_capture_begin(void)
{
	free(log_capture_end());
	capture = open_memstream(&capture_buf, &capture_len);
}

char *log_capture_end(void)
{
	char *b;

	if (!capture)
		return NULL;
	fclose(capture);
	capture = NULL;
	b = capture_buf;
	capture_buf = NULL;
	return b;
}

void log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, e);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap, NULL);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, e);
	va_end(ap);
	exit(1);
}
