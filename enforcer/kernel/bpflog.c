// SPDX-License-Identifier: GPL-2.0-only
/* libbpf's messages kept during a load that may fail on purpose (bpflog.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpflog.h"

static char quiet_log[8192];
static size_t quiet_len;

/*
 * Keeps the end of the messages: the verifier's reason is its last lines.
 * libbpf prints a program's whole verifier log as one message: its end is
 * kept, not its first lines.
 */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[2048], *line = small;
	const char *from;
	size_t n;
	va_list aq;
	int r;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(aq, ap);
	r = vsnprintf(small, sizeof(small), fmt, ap);
	if (r >= (int)sizeof(small)) {
		line = malloc((size_t)r + 1);
		if (line)
			vsnprintf(line, (size_t)r + 1, fmt, aq);
		else
			line = small;	/* out of memory: the message's start, then */
	}
	va_end(aq);
	if (r <= 0)
		return 0;
	n = strlen(line);
	from = line;
	if (n >= sizeof(quiet_log) / 2) {	/* a long one: its end */
		from = line + n - (sizeof(quiet_log) / 2 - 1);
		n = sizeof(quiet_log) / 2 - 1;
	}
	if (quiet_len + n >= sizeof(quiet_log)) {
		size_t keep = sizeof(quiet_log) / 2 - 1 - n / 2;

		if (keep > quiet_len)
			keep = quiet_len;
		memmove(quiet_log, quiet_log + quiet_len - keep, keep);
		quiet_len = keep;
	}
	if (n >= sizeof(quiet_log) - quiet_len)
		n = sizeof(quiet_log) - quiet_len - 1;
	memcpy(quiet_log + quiet_len, from, n);
	quiet_len += n;
	quiet_log[quiet_len] = '\0';
	if (line != small)
		free(line);
	return 0;
}

libbpf_print_fn_t bpflog_quiet(void)
{
	quiet_len = 0;
	quiet_log[0] = '\0';
	return libbpf_set_print(quiet_print);
}

void bpflog_restore(libbpf_print_fn_t old)
{
	libbpf_set_print(old);
}

const char *bpflog_text(void)
{
	return quiet_log;
}
