// SPDX-License-Identifier: GPL-2.0-only
/* The per-rule counters in node_exporter's textfile format (prometheus.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "prometheus.h"

/* Length of the valid UTF-8 sequence at @s, 0 if there is none */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void prom_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		if (*p == '\\' || *p == '"') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD for the stray byte */
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const struct {
	const char *name;
	const char *help;
	size_t off;
} rule_metrics[] = {
	{ "optguard_rule_decisions_total", "Calls the rule decided.",
	  offsetof(struct og_counters, decisions) },
	{ "optguard_rule_events_total", "Decision events the rule wrote.",
	  offsetof(struct og_counters, events) },
	{ "optguard_rule_events_suppressed_total", "Events the rule's log_rate held back.",
	  offsetof(struct og_counters, suppressed) },
	{ "optguard_rule_events_dropped_total", "Events lost to a full ring buffer.",
	  offsetof(struct og_counters, dropped) },
	{ "optguard_rule_forces_unlogged_total",
	  "Forced values that took, counted and not logged (log_force = errors); "
	  "decisions = events + suppressed + dropped + unlogged.",
	  offsetof(struct og_counters, unlogged) },
	{ "optguard_rule_connections_total",
	  "TCP connections established with a value the rule forced.",
	  offsetof(struct og_counters, connections) },
	{ "optguard_rule_closes_total", "TCP sockets the rule forced a value on that closed.",
	  offsetof(struct og_counters, closes) },
	{ "optguard_rule_retransmits_total", "Retransmits of the TCP sockets the rule forced.",
	  offsetof(struct og_counters, retransmits) },
	{ "optguard_rule_rtos_total", "RTO events of the TCP sockets the rule forced.",
	  offsetof(struct og_counters, rtos) },
};

int prom_format(FILE *f, const struct og_prom_info *info, const struct og_prom_rule *rules,
		size_t nrules)
{
	size_t m, i;

	header(f, "optguard_info", "gauge", "The policy the daemon enforces (always 1).");
	fputs("optguard_info{mode=\"", f);
	prom_escape(f, info->mode);
	fputs("\",default=\"", f);
	prom_escape(f, info->default_action);
	fputs("\",hooks=\"", f);
	prom_escape(f, info->hooks);
	fputs("\",policy=\"", f);
	prom_escape(f, info->policy);
	fputs("\",policy_sha256=\"", f);
	prom_escape(f, info->sha256);
	fputs("\"} 1\n", f);
	header(f, "optguard_daemon_running", "gauge",
	       "1 while a daemon runs; 0: the pinned policy is enforced, no events are read.");
	fprintf(f, "optguard_daemon_running %d\n", info->daemon);
	header(f, "optguard_lsm_active", "gauge",
	       "1 when the LSM hook enforces; 0: cgroup-only (32-bit callers not checked).");
	fprintf(f, "optguard_lsm_active %d\n", info->lsm);

	for (m = 0; m < sizeof(rule_metrics) / sizeof(rule_metrics[0]); m++) {
		header(f, rule_metrics[m].name, "counter", rule_metrics[m].help);
		for (i = 0; i < nrules; i++) {
			const char *c = (const char *)&rules[i].c;
			__u64 v;

			memcpy(&v, c + rule_metrics[m].off, sizeof(v));
			fprintf(f, "%s{rule=\"", rule_metrics[m].name);
			prom_escape(f, rules[i].name);
			fprintf(f, "\"} %llu\n", (unsigned long long)v);
		}
	}
	return ferror(f) ? -EIO : 0;
}

int prom_write(const char *path, const struct og_prom_info *info,
	       const struct og_prom_rule *rules, size_t nrules)
{
	char tmp[4096];
	FILE *f;
	int fd, ret;

	if (!strcmp(path, "-")) {
		ret = prom_format(stdout, info, rules, nrules);
		if (fflush(stdout) || ret) {
			log_warnx("status: cannot write the metrics to stdout");
			return -EIO;
		}
		return 0;
	}
	/* not *.prom: the textfile collector reads only those, so never this one */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		log_warnx("status: %s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_warn("status: cannot create a temporary file for %s", path);
		return ret;
	}
	/* mkstemp makes it 0600: node_exporter runs as another user and must read it */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		log_warn("status: %s", tmp);
		close(fd);
		goto err;
	}
	ret = prom_format(f, info, rules, nrules);
	if (!ret && (fflush(f) || fsync(fileno(f))))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		log_warnx("status: cannot write %s: %s", tmp, strerror(-ret));
		goto err;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		log_warn("status: cannot rename %s to %s", tmp, path);
		goto err;
	}
	return 0;
err:
	unlink(tmp);
	return ret;
}
