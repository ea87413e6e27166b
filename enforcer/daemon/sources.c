// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's event sources besides the ring buffer and the signals, each
 * an fd in the loop's table (loop.h): the control socket (control.h), the
 * watch of the policy's directory ([enforcer] watch = on) and the /metrics
 * endpoint ([enforcer] metrics = ADDR:PORT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon_int.h"
#include "log.h"
#include "prometheus.h"

/* ---- control socket ---------------------------------------------------- */

/* The state file's lines, as the daemon has them now (malloc'd, or NULL). */
static char *status_text(struct daemon *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	d_state_format(d, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void on_control(void *ctx, int fd)
{
	struct daemon *d = ctx;
	const char *status = "ok";
	char req[64], *text = NULL;
	int c;

	(void)fd;
	c = control_accept(&d->ctl, req, sizeof(req));
	if (c < 0)
		return;
	if (!strcmp(req, "reload")) {
		d_reload(d, "control", &status, &text);
	} else if (!strcmp(req, "status")) {
		text = status_text(d);
		if (!text)
			status = "error";
	} else if (!strcmp(req, "stop") || !strcmp(req, "unload")) {
		d->quit = true;
		d->unloading = !strcmp(req, "unload");
		log_info("%s requested on the control socket", req);
		text = strdup("stopping\n");
	} else {
		status = "error";
		if (asprintf(&text, "unknown request '%.32s' (reload, status, stop, unload)\n",
			     req) < 0)
			text = NULL;
	}
	control_answer(c, status, text);
	free(text);
}

int d_control_start(struct daemon *d)
{
	int ret = control_listen(&d->ctl, d->st.sock_path);

	if (ret)
		return ret;
	return loop_add(&d->loop, d->ctl.fd, on_control, d, "control socket");
}

/* ---- watch = on --------------------------------------------------------- */

/*
 * The policy's directory, not the file: an editor or `cp` replaces the
 * file (IN_CLOSE_WRITE, IN_MOVED_TO), `ln -sf` a symlink (IN_CREATE), and a
 * Kubernetes ConfigMap volume renames a new "..data" symlink over the old
 * (IN_MOVED_TO), changing what the policy path, a symlink through
 * ..data, resolves to.  An event arms a timer; when the directory has been
 * quiet for WATCH_SETTLE_MS the file is read: a content other than the
 * policy in force (and than the last one refused) is reloaded, as a SIGHUP
 * would.
 */
#define WATCH_SETTLE_MS 100

static void on_watch(void *ctx, int fd)
{
	struct daemon *d = ctx;
	struct itimerspec its = { .it_value = { 0, WATCH_SETTLE_MS * 1000000L } };
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;	/* which entry changed does not matter: the file's content does */
	timerfd_settime(d->watch_timer, 0, &its, NULL);
}

static void on_watch_timer(void *ctx, int fd)
{
	struct daemon *d = ctx;
	unsigned long long n;
	char sha[65];

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	d_file_sha256(d->policy_path, sha);
	if (!sha[0] || !strcmp(sha, d->pol->sha256) || !strcmp(sha, d->refused_sha))
		return;		/* gone for now, unchanged, or refused already */
	log_info("watch: %s changed: reloading it", d->policy_path);
	if (d_reload(d, "watch", NULL, NULL))
		snprintf(d->refused_sha, sizeof(d->refused_sha), "%s", sha);
	else
		d->refused_sha[0] = '\0';
}

int d_watch_start(struct daemon *d)
{
	char dir[4096];
	int ret;

	if (!d->pol->watch)
		return 0;
	snprintf(dir, sizeof(dir), "%s", d->policy_path);
	d->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	d->watch_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->watch_fd < 0 || d->watch_timer < 0) {
		ret = -errno;
		log_warn("watch: %s", d->policy_path);
		return ret;
	}
	if (inotify_add_watch(d->watch_fd, dirname(dir), IN_CLOSE_WRITE | IN_MOVED_TO |
			      IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) {
		ret = -errno;
		log_warn("watch: %s", dir);
		return ret;
	}
	if ((ret = loop_add(&d->loop, d->watch_fd, on_watch, d, "policy watch")) ||
	    (ret = loop_add(&d->loop, d->watch_timer, on_watch_timer, d, "policy watch timer")))
		return ret;
	log_info("watch: a change of %s (in %s) reloads it", d->policy_path, dir);
	return 0;
}

/* ---- metrics = ADDR:PORT ------------------------------------------------ */

/* The exposition text of the counters now (prometheus.h); malloc'd, or NULL. */
static char *metrics_text(struct daemon *d)
{
	size_t cap = d->bpf.id_cap, i, n = 0, len = 0;
	struct og_counters *c = calloc(cap ? cap : 1, sizeof(*c));
	struct og_prom_rule *r = calloc(cap ? cap : 1, sizeof(*r));
	int gen = d->cur_gen;
	struct og_prom_info info = {
		.mode = d->pol->mode == OG_MODE_AUDIT ? "audit" : "enforce",
		.default_action = action_name(d->pol->default_action),
		.hooks = d->hooks,
		.policy = d->policy_path,
		.sha256 = d->pol->sha256,
		.daemon = true,
		.lsm = d->bpf.grp[OG_G_LSM].active,
	};
	char *buf = NULL;
	FILE *f;

	if (!c || !r || og_bpf_counters(&d->bpf, c, cap))
		goto out;
	/* by id, as `status` reads them: ids no rule has are left out */
	for (i = 0; i < cap && i < d->nnames[gen]; i++) {
		if (!d->names[gen][i])
			continue;
		r[n].name = d->names[gen][i];
		r[n].c = c[i];
		n++;
	}
	f = open_memstream(&buf, &len);
	if (f) {
		if (prom_format(f, &info, r, n)) {
			fclose(f);
			free(buf);
			buf = NULL;
		} else {
			fclose(f);
		}
	}
out:
	free(c);
	free(r);
	return buf;
}

/*
 * One scrape, served in the loop: the request head read within 1 s (a
 * client that sends nothing holds the daemon that long at most), GET
 * /metrics answered, anything else 404 or 405.  HTTP/1.0, one request per
 * connection.
 */
static void on_metrics(void *ctx, int fd)
{
	struct daemon *d = ctx;
	struct pollfd p = { .events = POLLIN };
	char req[2048], head[256], *body = NULL;
	const char *code = "200 OK";
	size_t n = 0;
	ssize_t r;
	int c;

	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return;
	p.fd = c;
	while (n + 1 < sizeof(req) && poll(&p, 1, 1000) > 0) {
		r = read(c, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = '\0';
	if (strncmp(req, "GET ", 4) && strncmp(req, "HEAD ", 5))
		code = "405 Method Not Allowed";
	else if (strncmp(strchr(req, ' ') + 1, "/metrics", 8) ||
		 !strchr(" ?", strchr(req, ' ')[9]))
		code = "404 Not Found";
	else if (!(body = metrics_text(d)))
		code = "500 Internal Server Error";
	n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", code,
		     body ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		     body ? strlen(body) : 0);
	{
		const char *parts[2] = { head, !strncmp(req, "HEAD ", 5) ? "" : body };
		struct pollfd w = { .fd = c, .events = POLLOUT };
		size_t i, off, len;

		for (i = 0; i < 2 && parts[i]; i++)
			for (off = 0, len = strlen(parts[i]); off < len;) {
				r = send(c, parts[i] + off, len - off, MSG_NOSIGNAL);
				if (r < 0 && errno == EAGAIN && poll(&w, 1, 1000) > 0)
					continue;
				if (r <= 0)
					goto done;
				off += r;
			}
	}
done:
	free(body);
	close(c);
}

int d_metrics_start(struct daemon *d)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, ret;

	if (!d->pol->metrics)
		return 0;
	if (policy_metrics_addr(d->pol->metrics, &ss, &len))
		return -EINVAL;	/* the parser took it: cannot happen */
	d->metrics_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->metrics_fd < 0 ||
	    setsockopt(d->metrics_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(d->metrics_fd, (struct sockaddr *)&ss, len) || listen(d->metrics_fd, 16)) {
		ret = -errno;
		log_warn("metrics %s", d->pol->metrics);
		return ret;
	}
	ret = loop_add(&d->loop, d->metrics_fd, on_metrics, d, "metrics");
	if (!ret)
		log_info("metrics: http://%s/metrics", d->pol->metrics);
	return ret;
}

void d_sources_close(struct daemon *d)
{
	control_close(&d->ctl);
	if (d->watch_fd >= 0)
		close(d->watch_fd);
	if (d->watch_timer >= 0)
		close(d->watch_timer);
	if (d->metrics_fd >= 0)
		close(d->metrics_fd);
	d->watch_fd = d->watch_timer = d->metrics_fd = -1;
}
