// SPDX-License-Identifier: GPL-2.0-only
/* libbpf's messages kept during a load that may fail on purpose (bpflog.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpflog.h"

static char quiet_log[8192];
static size_t quiet_len;

/* Keeps the end of the messages: the verifier's reason is its last lines. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int r;

	if (level == LIBBPF_DEBUG)
		return 0;
	r = vsnprintf(line, sizeof(line), fmt, ap);
	if (r <= 0)
		return 0;
	n = strlen(line);
	if (quiet_len + n >= sizeof(quiet_log)) {
		size_t keep = sizeof(quiet_log) / 2;

		if (keep > quiet_len)
			keep = quiet_len;
		memmove(quiet_log, quiet_log + quiet_len - keep, keep);
		quiet_len = keep;
	}
	if (n >= sizeof(quiet_log) - quiet_len)
		n = sizeof(quiet_log) - quiet_len - 1;
	memcpy(quiet_log + quiet_len, line, n);
	quiet_len += n;
	quiet_log[quiet_len] = '\0';
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
