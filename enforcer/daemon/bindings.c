// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bindings that follow paths (bindings.h).
 *
 * Which directories are watched: every directory below which a selector
 * could name a cgroup (bind_below(): the ancestors of a path, the prefixes a
 * pattern's components match, every directory below the enforcer's cgroup
 * for a unit), and the parent of the enforcer's cgroup.  A directory made
 * in a watched one (IN_CREATE, IN_ISDIR) is bound to the selectors it
 * matches at once and, if it may hold more, watched and scanned (the watch
 * first, so that what is made inside it meanwhile is seen either way).  A
 * directory removed (IN_DELETE) unbinds what was bound at or below its path.
 * A rename (IN_MOVED_FROM/TO) is a removal and a creation of a cgroup that
 * lives on.  IN_Q_OVERFLOW: everything is scanned again.  No polling.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bindings.h"
#include "cgroup.h"
#include "cgroupns.h"
#include "log.h"
#include "privs.h"

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The kernel's level of @path: from the real root (cgroupns.h), whatever namespace we are in. */
static int depth_of(const struct og_binder *B, const char *path)
{
	const char *r;
	int d = 0;

	if (cgns_base(&d, NULL, 0))
		d = 0;

	for (r = path + strlen(B->mnt); *r; r++)
		if (*r == '/' && r[1])
			d++;
	return d;
}

/* Could some selector (or the enforcer's cgroup) be made below @path? */
static bool wants_watch(const struct og_binder *B, const char *path)
{
	const struct og_policy *p = B->pol;
	size_t i;

	if (!path_within(path, B->mnt))
		return false;
	if (bind_below(&B->enf, B->mnt, p->cgroup, path))
		return true;
	for (i = 0; i < B->nsel; i++)
		if (bind_below(&p->scopes[B->sel[i].scope].cgroups[B->sel[i].sel], B->mnt,
			       p->cgroup, path))
			return true;
	return false;
}

/* The selectors of B->pol, (scope, selector) pairs: a policy of uid scopes has none. */
static int index_selectors(struct og_binder *B)
{
	const struct og_policy *p = B->pol;
	size_t s, c, n = 0;

	free(B->sel);
	B->sel = NULL;
	B->nsel = 0;
	for (s = 0; s < p->nscopes; s++)
		n += p->scopes[s].ncgroups;
	if (!n)
		return 0;
	B->sel = calloc(n, sizeof(*B->sel));
	if (!B->sel)
		return -ENOMEM;
	for (s = 0; s < p->nscopes; s++)
		for (c = 0; c < p->scopes[s].ncgroups; c++)
			B->sel[B->nsel++] = (struct og_sel_ref){ s, c };
	return 0;
}

static struct og_watch *watch_by_wd(const struct og_binder *B, int wd)
{
	size_t i;

	for (i = 0; i < B->nw; i++)
		if (B->w[i].wd == wd)
			return &B->w[i];
	return NULL;
}

static int watch_add(struct og_binder *B, const char *path)
{
	struct og_watch *w;
	int wd = inotify_add_watch(B->fd, path, WATCH_MASK);

	if (wd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			log_warn("bindings: cannot watch %s", path);
		return -errno;
	}
	w = watch_by_wd(B, wd);
	if (w) {
		w->seen = true;
		if (strcmp(w->path, path)) {	/* renamed: the same inode, a new path */
			char *np = strdup(path);

			if (np) {
				free(w->path);
				w->path = np;
			}
		}
		return 0;
	}
	if (B->nw == B->wcap) {
		size_t ncap = B->wcap ? B->wcap * 2 : 32;
		struct og_watch *nw = realloc(B->w, ncap * sizeof(*nw));

		if (!nw)
			return -ENOMEM;
		B->w = nw;
		B->wcap = ncap;
	}
	B->w[B->nw] = (struct og_watch){ .wd = wd, .path = strdup(path), .seen = true };
	if (!B->w[B->nw].path) {
		inotify_rm_watch(B->fd, wd);
		return -ENOMEM;
	}
	B->nw++;
	return 0;
}

static void watch_drop(struct og_binder *B, size_t i)
{
	free(B->w[i].path);
	B->w[i] = B->w[--B->nw];
}

static int bound_push(struct og_bound **v, size_t *n, size_t *cap, const struct og_bound *b)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct og_bound *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *b;
	return 0;
}

/* Bind @path (cgroup @id) to each selector that names it. */
static void bind_dir(struct og_binder *B, const char *path, __u64 id, bool fresh)
{
	const struct og_policy *p = B->pol;
	int level = depth_of(B, path);
	size_t k, i;

	if (level >= OG_CG_LEVELS)
		return;
	for (k = 0; k < B->nsel; k++) {
		size_t s = B->sel[k].scope, c = B->sel[k].sel;
		struct og_bound nb = { .scope = s, .sel = c, .id = id, .level = level,
				       .since = now_ns() };

		if (!bind_match(&p->scopes[s].cgroups[c], B->mnt, p->cgroup, path))
			continue;
		for (i = 0; i < B->nb; i++)
			if (B->b[i].scope == s && B->b[i].sel == c && B->b[i].id == id)
				break;
		if (i < B->nb)
			continue;	/* already bound (a rescan) */
		nb.path = strdup(path);
		if (!nb.path || bound_push(&B->b, &B->nb, &B->bcap, &nb)) {
			free(nb.path);
			log_warnx("bindings: out of memory binding %s", path);
			continue;
		}
		B->flags |= OG_BIND_CHANGED | (fresh ? 0 : OG_BIND_FULL);
	}
}

/* Everything bound at or below @path goes; the enforcer's cgroup too if it is there. */
static void unbind_below(struct og_binder *B, const char *path, bool dead)
{
	size_t i = 0;

	while (i < B->nb) {
		if (!path_within(B->b[i].path, path)) {
			i++;
			continue;
		}
		if (bound_push(&B->gone, &B->ngone, &B->gcap, &B->b[i]))
			free(B->b[i].path);
		B->b[i] = B->b[--B->nb];
		B->flags |= OG_BIND_CHANGED | (dead ? 0 : OG_BIND_FULL);
	}
	if (B->enf_id && path_within(B->pol->cgroup, path) && strcmp(B->pol->cgroup, B->mnt)) {
		B->enf_id = 0;
		B->enf_since = now_ns();
		B->flags |= OG_BIND_ENF_GONE;
	}
}

static void scan(struct og_binder *B, const char *path, bool fresh);

/* A directory seen (made, or found by a scan): bind it, follow it. */
static void consider(struct og_binder *B, const char *path, bool fresh)
{
	struct stat st;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return;		/* gone again already: its IN_DELETE follows */
	bind_dir(B, path, st.st_ino, fresh);
	if (!strcmp(path, B->pol->cgroup) && B->enf_id != st.st_ino) {
		/* the enforcer's cgroup, made again (or found so by a rescan) */
		B->enf_id = st.st_ino;
		B->enf_since = now_ns();
		B->flags |= OG_BIND_ENF_NEW;
	}
	if (wants_watch(B, path))
		scan(B, path, fresh);
}

static void scan(struct og_binder *B, const char *path, bool fresh)
{
	struct dirent *e;
	DIR *d;

	if (watch_add(B, path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char sub[PATH_MAX];

		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub))
			continue;
		consider(B, sub, fresh);
	}
	closedir(d);
}

/*
 * Everything again (queue overflow, a new policy): what is still there keeps
 * its `since`; what is not goes; watches no longer wanted are removed.
 */
static void rescan(struct og_binder *B)
{
	struct og_bound *old = B->b;
	size_t nold = B->nb, i, j;
	__u64 enf_before = B->enf_id;
	struct stat st;

	B->b = NULL;
	B->nb = B->bcap = 0;
	for (i = 0; i < B->nw; i++)
		B->w[i].seen = false;
	/* the enforcer's cgroup: there (the same or a new one), or not */
	if (stat(B->pol->cgroup, &st) == 0) {
		if (st.st_ino != B->enf_id) {
			B->enf_id = st.st_ino;
			B->enf_since = now_ns();
			B->flags |= OG_BIND_ENF_NEW;
		}
	} else if (B->enf_id) {
		B->enf_id = 0;
		B->enf_since = now_ns();
		B->flags |= OG_BIND_ENF_GONE;
	}
	(void)enf_before;
	if (stat(B->mnt, &st) == 0)
		bind_dir(B, B->mnt, st.st_ino, false);
	scan(B, B->mnt, false);
	for (i = 0; i < B->nw;) {
		if (B->w[i].seen) {
			i++;
			continue;
		}
		inotify_rm_watch(B->fd, B->w[i].wd);
		watch_drop(B, i);
	}
	/* what was bound before and still is keeps its time; the rest is gone */
	for (i = 0; i < nold; i++) {
		for (j = 0; j < B->nb; j++)
			if (B->b[j].id == old[i].id && B->b[j].scope == old[i].scope &&
			    B->b[j].sel == old[i].sel)
				break;
		if (j < B->nb) {
			B->b[j].since = old[i].since;
			B->b[j].reported = old[i].reported;
			free(old[i].path);
		} else if (bound_push(&B->gone, &B->ngone, &B->gcap, &old[i])) {
			free(old[i].path);
		}
	}
	/* (only ever added to: what events before an overflow changed stays to be done) */
	if (B->nb != nold || B->ngone)
		B->flags |= OG_BIND_CHANGED | OG_BIND_FULL;
	free(old);
}

int binder_start(struct og_binder *B, const struct og_policy *p)
{
	memset(B, 0, sizeof(*B));
	B->fd = B->wake_fd = B->stop_fd = -1;
	pthread_mutex_init(&B->lock, NULL);
	if (cg2_mount(B->mnt, sizeof(B->mnt)))
		return -ENOENT;
	B->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (B->fd < 0) {
		log_warn("bindings: inotify");
		return -errno;
	}
	B->pol = p;
	B->enf = (struct og_scope_cgroup){ .path = p->cgroup, .kind = OG_SEL_PATH };
	B->enf_id = p->cgroup_id;
	if (index_selectors(B))
		return -ENOMEM;
	rescan(B);
	/* at start every binding is as the policy was loaded with: nothing to report */
	B->flags = 0;
	return 0;
}

unsigned int binder_set_policy(struct og_binder *B, const struct og_policy *p)
{
	struct og_bound *old = B->b;
	size_t nold = B->nb, i, j;

	if (p == B->pol)
		return 0;
	/* another policy: its scope indexes are not the old one's; times kept by cgroup */
	B->b = NULL;
	B->nb = B->bcap = 0;
	B->pol = p;
	B->enf.path = p->cgroup;
	B->flags = 0;
	if (index_selectors(B))
		log_warnx("bindings: out of memory: the new policy's selectors are not followed");
	rescan(B);
	for (j = 0; j < B->nb; j++)
		for (i = 0; i < nold; i++)
			if (old[i].id == B->b[j].id) {
				B->b[j].since = old[i].since;
				B->b[j].reported = true;
				break;
			}
	for (i = 0; i < nold; i++)
		free(old[i].path);
	free(old);
	/* the reload installs with these bindings: only the enforcer's news stays to be done */
	B->flags &= OG_BIND_ENF_GONE | OG_BIND_ENF_NEW;
	return B->flags | OG_BIND_CHANGED | OG_BIND_FULL;
}

unsigned int binder_read(struct og_binder *B)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	unsigned int flags;
	bool overflow = false;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(B->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			struct og_watch *w;
			char path[PATH_MAX];

			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = true;
				continue;
			}
			w = watch_by_wd(B, ev->wd);
			if (!w)
				continue;
			if (ev->mask & IN_IGNORED) {
				watch_drop(B, w - B->w);
				continue;
			}
			if (!(ev->mask & IN_ISDIR) || !ev->len)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s",
					     strcmp(w->path, "/") ? w->path : "", ev->name) >=
			    sizeof(path))
				continue;
			if (ev->mask & IN_CREATE)
				consider(B, path, true);
			else if (ev->mask & IN_MOVED_TO)
				consider(B, path, false);
			else if (ev->mask & IN_DELETE)
				unbind_below(B, path, true);
			else if (ev->mask & IN_MOVED_FROM)
				unbind_below(B, path, false);
		}
	}
	if (overflow) {
		B->overflows++;
		log_warnx("bindings: the inotify queue overflowed: scanning the cgroup tree again");
		rescan(B);
	}
	flags = B->flags;
	B->flags = 0;
	return flags;
}

int binder_table(const struct og_binder *B, struct og_bind_table *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!B->nb)
		return 0;
	out->b = calloc(B->nb, sizeof(*out->b));
	if (!out->b)
		return -ENOMEM;
	for (i = 0; i < B->nb; i++) {
		const struct og_bound *b = &B->b[i];

		out->b[i] = (struct og_binding){
			.scope = b->scope, .sel = b->sel, .id = b->id, .level = b->level,
			.prio = bind_prio(&B->pol->scopes[b->scope].cgroups[b->sel]),
		};
	}
	out->n = B->nb;
	return 0;
}

const char *binder_path(const struct og_binder *B, __u64 id)
{
	size_t i;

	for (i = 0; i < B->nb; i++)
		if (B->b[i].id == id)
			return B->b[i].path + strlen(B->mnt);
	return NULL;
}

static void put_time(FILE *f, long long ns)
{
	time_t secs = ns / 1000000000LL;
	struct tm tm;
	char ts[40];

	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03lldZ", ts, ns / 1000000 % 1000);
}

static const char *const kinds[] = { "cgroup", "cgroup", "unit" };

void binder_state(const struct og_binder *B, FILE *f)
{
	const struct og_policy *p = B->pol;
	size_t s, c, i;

	fprintf(f, "enforcer_cgroup=%s ", B->enf_id ? "present" : "gone");
	fprintf(f, "%llu ", (unsigned long long)B->enf_id);
	if (B->enf_since)
		put_time(f, B->enf_since);
	else
		fputs("start", f);
	fputc('\n', f);
	for (s = 0; s < p->nscopes; s++) {
		for (c = 0; c < p->scopes[s].ncgroups; c++) {
			bool any = false;

			for (i = 0; i < B->nb; i++) {
				if (B->b[i].scope != s || B->b[i].sel != c)
					continue;
				any = true;
				fprintf(f, "bound=%s %llu ", p->scopes[s].name,
					(unsigned long long)B->b[i].id);
				put_time(f, B->b[i].since);
				fprintf(f, " %s\n", B->b[i].path);
			}
			if (!any)
				fprintf(f, "waiting=%s %s %s\n", p->scopes[s].name,
					kinds[p->scopes[s].cgroups[c].kind],
					p->scopes[s].cgroups[c].path);
		}
	}
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static size_t json_str(char *o, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 8 < len; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			n += snprintf(o + n, len - n, "\\%c", ch);
		else if (ch < 0x20)
			n += snprintf(o + n, len - n, "\\u%04x", ch);
		else
			o[n++] = ch;
	}
	o[n] = '\0';
	return n;
}

void binder_report(struct og_binder *B, enum og_log_kind kind,
		   void (*emit)(void *ctx, const char *line), void *ctx)
{
	char line[3 * PATH_MAX], path[2 * PATH_MAX], scope[512];
	time_t secs;
	struct tm tm;
	char ts[40];
	size_t i, pass;

	secs = time(NULL);
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (pass = 0; pass < 2; pass++) {
		struct og_bound *v = pass ? B->b : B->gone;
		size_t n = pass ? B->nb : B->ngone;

		for (i = 0; i < n; i++) {
			const char *what = pass ? "bind" : "unbind";
			const char *sname;

			if (pass && v[i].reported)
				continue;
			v[i].reported = true;
			sname = v[i].scope < B->pol->nscopes ? B->pol->scopes[v[i].scope].name : "?";
			/* the cgroup as decision events name it: below the cgroup2 mount */
			const char *rel = v[i].path + strlen(B->mnt);

			if (!*rel)
				rel = "/";
			if (kind == OG_LOG_JSON) {
				json_str(path, sizeof(path), rel);
				json_str(scope, sizeof(scope), sname);
				snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"event\":\"%s\","
					 "\"scope\":\"%s\",\"cgroup\":\"%s\",\"cgroup_id\":%llu}",
					 ts, what, scope, path, (unsigned long long)v[i].id);
			} else {
				snprintf(line, sizeof(line), "%s event=%s scope=%s cgroup=%s "
					 "cgroup_id=%llu", ts, what, sname, rel,
					 (unsigned long long)v[i].id);
			}
			emit(ctx, line);
		}
	}
	for (i = 0; i < B->ngone; i++)
		free(B->gone[i].path);
	B->ngone = 0;
}

void binder_lock(struct og_binder *B)
{
	pthread_mutex_lock(&B->lock);
}

void binder_unlock(struct og_binder *B)
{
	pthread_mutex_unlock(&B->lock);
}

static void *binder_main(void *arg)
{
	struct og_binder *B = arg;
	struct pollfd pfd[2] = { { .fd = B->fd, .events = POLLIN },
				 { .fd = B->stop_fd, .events = POLLIN } };
	__u64 one = 1;

	/* capabilities are per thread: this one keeps none either */
	if (privs_drop())
		return NULL;
	for (;;) {
		unsigned int f;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		pthread_mutex_lock(&B->lock);
		f = binder_read(B);
		if ((f & OG_BIND_CHANGED) && !(f & OG_BIND_FULL) && B->fast(B->ctx) == 0)
			f |= OG_BIND_KEYS_DONE;
		B->pending |= f;
		pthread_mutex_unlock(&B->lock);
		if (f && write(B->wake_fd, &one, sizeof(one)) < 0)
			break;
	}
	return NULL;
}

int binder_thread_start(struct og_binder *B, int (*fast)(void *ctx), void *ctx)
{
	struct rlimit rt = { 500000, 1000000 };	/* us of CPU without blocking */
	struct sched_param sp = { .sched_priority = 1 };
	pthread_attr_t attr;
	int ret;

	B->fast = fast;
	B->ctx = ctx;
	B->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	B->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (B->wake_fd < 0 || B->stop_fd < 0)
		return -errno;
	/* a runaway real-time thread gets SIGXCPU rather than the CPU */
	if (setrlimit(RLIMIT_RTTIME, &rt))
		log_warn("bindings: RLIMIT_RTTIME");
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	ret = pthread_create(&B->thread, &attr, binder_main, B);
	snprintf(B->how, sizeof(B->how), "SCHED_FIFO priority 1");
	if (ret) {
		snprintf(B->how, sizeof(B->how), "the daemon's scheduling (SCHED_FIFO: %s)",
			 strerror(ret));
		ret = pthread_create(&B->thread, NULL, binder_main, B);
	}
	pthread_attr_destroy(&attr);
	if (ret)
		return -ret;
	B->threaded = true;
	return 0;
}

int binder_wake_fd(const struct og_binder *B)
{
	return B->threaded ? B->wake_fd : B->fd;
}

unsigned int binder_take(struct og_binder *B)
{
	unsigned int f;
	__u64 n;

	if (!B->threaded) {
		f = binder_read(B);
		if ((f & OG_BIND_CHANGED) && !(f & OG_BIND_FULL) && B->fast &&
		    B->fast(B->ctx) == 0)
			f |= OG_BIND_KEYS_DONE;
		return f;
	}
	if (read(B->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("bindings: wake-up");
	f = B->pending;
	B->pending = 0;
	return f;
}

void binder_free(struct og_binder *B)
{
	size_t i;
	__u64 one = 1;

	if (B->threaded) {
		if (write(B->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(B->thread, NULL);
		B->threaded = false;
	}
	if (B->wake_fd >= 0)
		close(B->wake_fd);
	if (B->stop_fd >= 0)
		close(B->stop_fd);

	if (B->fd >= 0)
		close(B->fd);
	for (i = 0; i < B->nw; i++)
		free(B->w[i].path);
	for (i = 0; i < B->nb; i++)
		free(B->b[i].path);
	for (i = 0; i < B->ngone; i++)
		free(B->gone[i].path);
	free(B->w);
	free(B->b);
	free(B->gone);
	free(B->sel);
	pthread_mutex_destroy(&B->lock);
	memset(B, 0, sizeof(*B));
	B->fd = B->wake_fd = B->stop_fd = -1;
}
