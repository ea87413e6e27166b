// SPDX-License-Identifier: GPL-2.0-only
/* Load, fill and attach the BPF programs (loader.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "loader.h"
#include "log.h"
#include "pidns.h"
#include "optguard.skel.h"
/* og_min_btf[]: the build's minimal BTF for the CO-RE relocations (Makefile) */
#include "optguard.min_btf.h"

static int map_resize(struct bpf_map *m, size_t n)
{
	return bpf_map__set_max_entries(m, n ? n : 1);
}

/* libbpf's messages during a load that may fail on purpose: kept, printed with -v only. */
static char quiet_log[8192];
static const char *debug_vlog;
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

/* Is "bpf" among the active LSMs?  1, 0, or -1 when securityfs does not tell. */
static int bpf_lsm_listed(char *list, size_t len)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	size_t n;
	char *tok, *save, buf[512];

	list[0] = '\0';
	if (!f)
		return -1;
	n = fread(list, 1, len - 1, f);
	fclose(f);
	list[n] = '\0';
	list[strcspn(list, "\n")] = '\0';
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "bpf"))
			return 1;
	return 0;
}

/* What one load attempt takes in besides the cgroup/setsockopt program. */
#define LOAD_LSM	(1u << 0)	/* lsm/socket_setsockopt */
#define LOAD_FORCE	(1u << 1)	/* sock_create, connect4/6, sockops */
#define LOAD_CREATE	(1u << 2)	/* lsm_cgroup/socket_post_create */
#define LOAD_URING	(1u << 3)	/* lsm/uring_cmd, with LOAD_LSM */
#define LOAD_CMSG	(1u << 4)	/* lsm/socket_sendmsg, with LOAD_LSM */

/*
 * The CO-RE relocations of the cgroup programs (setsockopt, sock_create,
 * connect4/6, sockops) name only the context structures of the BPF UAPI
 * (struct bpf_sockopt, bpf_sock, bpf_sock_addr, bpf_sock_ops), whose layout
 * is the kernel's ABI.  Relocating them against the few types the build
 * took from its vmlinux BTF (bpftool gen min_core_btf) gives the same
 * offsets as against the running kernel's BTF, without parsing its several
 * MiB (about 100 ms, most of a start: P8).  The LSM programs read struct
 * socket and struct sock, internal to each kernel: a load that takes them
 * in uses the running kernel's BTF, as does any load the small BTF fails.
 * The file libbpf reads it from: a memfd, closed after the load.
 */
static int min_btf_open(char *path, size_t len)
{
	int fd = memfd_create("optguard-min-btf", MFD_CLOEXEC);
	size_t off = 0;
	ssize_t w;

	if (fd < 0)
		return -1;
	while (off < sizeof(og_min_btf)) {
		w = write(fd, og_min_btf + off, sizeof(og_min_btf) - off);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += w;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static int open_and_load_btf(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int what,
			     const char *btf_path, struct optguard_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	bool lsm = what & LOAD_LSM, force = what & LOAD_FORCE;
	struct optguard_bpf *skel;
	int ret;

	skel = optguard_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	skel->rodata->has_retval = b->has_retval;
	skel->rodata->has_task_helpers = b->has_task_helpers;
	skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	skel->rodata->wake_bytes = lim->ringbuf_bytes / 4;
	skel->rodata->probe_tgid = getpid();
	self_pidns(&skel->rodata->probe_ns_dev, &skel->rodata->probe_ns_ino);
	/* bpf_task_pt_regs (5.15+), in every tracing-based program type alike */
	skel->rodata->has_task_pt_regs =
		lsm && libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_pt_regs, NULL) > 0;
	bpf_program__set_autoload(skel->progs.og_lsm_setsockopt, lsm);
	bpf_program__set_autoload(skel->progs.og_lsm_uring_cmd, lsm && (what & LOAD_URING));
	bpf_program__set_autoload(skel->progs.og_lsm_sendmsg, lsm && (what & LOAD_CMSG));
	bpf_program__set_autoload(skel->progs.og_sock_create, force);
	bpf_program__set_autoload(skel->progs.og_connect4, force);
	bpf_program__set_autoload(skel->progs.og_connect6, force);
	bpf_program__set_autoload(skel->progs.og_sockops, force);
	bpf_program__set_autoload(skel->progs.og_post_create, !!(what & LOAD_CREATE));
	if (lsm && getenv("OPTGUARD_DEBUG")) {
		static char vlog[1 << 22];

		bpf_program__set_log_buf(skel->progs.og_lsm_setsockopt, vlog, sizeof(vlog));
		bpf_program__set_log_level(skel->progs.og_lsm_setsockopt, 1);
		debug_vlog = vlog;
	}
	if ((ret = map_resize(skel->maps.og_rules, b->key_cap)) ||
	    (ret = map_resize(skel->maps.og_force, b->key_cap)) ||
	    (ret = map_resize(skel->maps.og_counters, b->id_cap)) ||
	    (ret = map_resize(skel->maps.og_rate, b->id_cap)) ||
	    (ret = bpf_map__set_max_entries(skel->maps.og_events, lim->ringbuf_bytes)) ||
	    (ret = optguard_bpf__load(skel))) {
		optguard_bpf__destroy(skel);
		return ret;
	}
	*out = skel;
	return 0;
}

static int open_and_load_one(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int what,
			     struct optguard_bpf **out);

/*
 * The LSM programs beyond socket_setsockopt (uring_cmd, socket_sendmsg) go
 * with every load that takes it in, where wanted; if the kernel refuses the
 * load with them, it is tried again without, and b->uring_reason,
 * cmsg_reason say so (the setsockopt hook matters more than either).
 */
static int open_and_load(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int what,
			 struct optguard_bpf **out)
{
	unsigned int extras = 0;
	int ret;

	if (what & LOAD_LSM) {
		if (!b->uring_reason[0])
			extras |= LOAD_URING;
		if (lim->want_cmsg && !b->cmsg_reason[0])
			extras |= LOAD_CMSG;
	}
	ret = open_and_load_one(b, lim, what | extras, out);
	if (!ret || !extras)
		return ret;
	log_debug("bpf: load with lsm/uring_cmd or lsm/socket_sendmsg: %s; again without",
		  strerror(-ret));
	ret = open_and_load_one(b, lim, what, out);
	if (!ret) {
		if (extras & LOAD_URING)
			snprintf(b->uring_reason, sizeof(b->uring_reason),
				 "the kernel refused the lsm/uring_cmd or lsm/socket_sendmsg program");
		if (extras & LOAD_CMSG)
			snprintf(b->cmsg_reason, sizeof(b->cmsg_reason),
				 "the kernel refused the lsm/uring_cmd or lsm/socket_sendmsg program");
	}
	return ret;
}

static int open_and_load_one(struct og_bpf *b, const struct og_bpf_limits *lim, unsigned int what,
			     struct optguard_bpf **out)
{
	char path[64];
	int fd, ret;

	if (!(what & (LOAD_LSM | LOAD_CREATE)) && (fd = min_btf_open(path, sizeof(path))) >= 0) {
		ret = open_and_load_btf(b, lim, what, path, out);
		close(fd);
		if (!ret)
			return 0;
		log_debug("bpf: load with the build's minimal BTF: %s; again with the kernel's",
			  strerror(-ret));
	}
	return open_and_load_btf(b, lim, what, NULL, out);
}

int og_bpf_load(struct og_bpf *b, const struct og_bpf_limits *lim)
{
	struct optguard_bpf *skel = NULL;
	bool want_lsm = lim->lsm != OG_LSM_OFF, want_force;
	char lsms[256];
	int ret;

	memset(b, 0, sizeof(*b));
	b->has_retval = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT,
						BPF_FUNC_set_retval, NULL) > 0;
	b->has_task_helpers = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCKOPT,
						      BPF_FUNC_get_current_ancestor_cgroup_id,
						      NULL) > 0;
	/* two generations of keys, so a reload never edits the live one */
	b->key_cap = 2 * (lim->max_keys ? lim->max_keys : 1);
	b->id_cap = lim->max_ids ? lim->max_ids : 1;

	if (!want_lsm) {
		snprintf(b->lsm_reason, sizeof(b->lsm_reason), "lsm = off in the policy");
	} else if (bpf_lsm_listed(lsms, sizeof(lsms)) == 0) {
		snprintf(b->lsm_reason, sizeof(b->lsm_reason),
			 "'bpf' is not among the kernel's active LSMs (%s): boot with lsm=%s,bpf",
			 lsms, lsms);
		want_lsm = false;
	} else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LSM, NULL) <= 0) {
		/* a trivial LSM program is refused: do not load the whole object to learn it */
		snprintf(b->lsm_reason, sizeof(b->lsm_reason),
			 "the kernel refuses BPF LSM programs (BPF_PROG_TYPE_LSM)");
		want_lsm = false;
	}
	if (want_lsm && libbpf_find_vmlinux_btf_id("uring_cmd", BPF_LSM_MAC) < 0)
		snprintf(b->uring_reason, sizeof(b->uring_reason),
			 "the kernel has no uring_cmd LSM hook (Linux 6.0+)");
	if (!lim->want_cmsg)
		snprintf(b->cmsg_reason, sizeof(b->cmsg_reason),
			 "not loaded: the policy at start constrained no option a control message "
			 "sets (restart optguard to check them)");
	/* the force programs walk cgroup levels in bpf_loop: without it, do not even try */
	want_force = !lim->skip_force &&
		     libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK, BPF_FUNC_loop, NULL) > 0;
	if (lim->skip_force)
		snprintf(b->force_reason, sizeof(b->force_reason),
			 "not loaded: the policy at start forced nothing (restart optguard to add "
			 "force rules)");
	else if (!want_force)
		snprintf(b->force_reason, sizeof(b->force_reason),
			 "the kernel lacks the bpf_loop helper (Linux 5.17+) the force programs use");
	if (want_lsm && want_force && lim->force_create) {
		libbpf_print_fn_t old = libbpf_set_print(quiet_print);

		quiet_len = 0;
		ret = open_and_load(b, lim, LOAD_LSM | LOAD_FORCE | LOAD_CREATE, &skel);
		libbpf_set_print(old);
		if (ret) {
			snprintf(b->create_reason, sizeof(b->create_reason),
				 "the kernel refused the lsm_cgroup/socket_post_create program: %s",
				 strerror(-ret));
			log_debug("bpf: lsm_cgroup load: %s", quiet_log);
			skel = NULL;
		}
	} else if (lim->force_create) {
		snprintf(b->create_reason, sizeof(b->create_reason), "%s", b->lsm_reason);
	}
	if (want_lsm && !skel) {
		libbpf_print_fn_t old = libbpf_set_print(quiet_print);

		quiet_len = 0;
		ret = open_and_load(b, lim, want_force ? LOAD_LSM | LOAD_FORCE : LOAD_LSM, &skel);
		if (ret && want_force) {
			/* the force programs may be what the kernel refuses: LSM alone */
			snprintf(b->force_reason, sizeof(b->force_reason),
				 "the kernel refused the sock_create, connect4/6 or sockops program: %s",
				 strerror(-ret));
			ret = open_and_load(b, lim, LOAD_LSM, &skel);
		}
		libbpf_set_print(old);
		if (ret) {
			if (want_force)
				b->force_reason[0] = '\0';
			snprintf(b->lsm_reason, sizeof(b->lsm_reason),
				 "the kernel refused the lsm/socket_setsockopt program: %s",
				 strerror(-ret));
			if (debug_vlog) {
				size_t vl = strlen(debug_vlog);

				fputs(debug_vlog + (vl > 3000 ? vl - 3000 : 0), stderr);
			}
			skel = NULL;
		}
	}
	if (!skel && want_force && !b->force_reason[0]) {
		libbpf_print_fn_t old = libbpf_set_print(quiet_print);

		quiet_len = 0;
		ret = open_and_load(b, lim, LOAD_FORCE, &skel);
		libbpf_set_print(old);
		if (ret) {
			snprintf(b->force_reason, sizeof(b->force_reason),
				 "the kernel refused the sock_create, connect4/6 or sockops program: %s",
				 strerror(-ret));
			log_debug("bpf: force programs load: %s", quiet_log);
			skel = NULL;
		}
	}
	if (!skel) {
		ret = open_and_load(b, lim, 0, &skel);
		if (ret) {
			log_warnx("bpf: cannot load the cgroup/setsockopt program: %s",
				  strerror(-ret));
			return ret;
		}
	}
	b->skel = skel;
	b->lsm_loaded = bpf_program__fd(skel->progs.og_lsm_setsockopt) >= 0;
	if (!b->lsm_loaded) {
		if (!b->uring_reason[0])
			snprintf(b->uring_reason, sizeof(b->uring_reason), "%s", b->lsm_reason);
		if (!b->cmsg_reason[0])
			snprintf(b->cmsg_reason, sizeof(b->cmsg_reason), "%s", b->lsm_reason);
	}
	b->force_loaded = bpf_program__fd(skel->progs.og_sockops) >= 0;
	b->create_loaded = bpf_program__fd(skel->progs.og_post_create) >= 0;
	if (lim->force_create && !b->create_loaded && !b->create_reason[0])
		snprintf(b->create_reason, sizeof(b->create_reason), "%s",
			 b->force_loaded ? b->lsm_reason : b->force_reason);
	return 0;
}

/* Does the attached LSM program run?  A program can load and attach but never run. */
static bool lsm_runs(struct og_bpf *b)
{
	__u64 before = __atomic_load_n(&b->skel->bss->og_lsm_probe_hits, __ATOMIC_SEQ_CST);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return false;
	/* the result does not matter (a policy may deny it): only that the hook saw it */
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	close(fd);
	return __atomic_load_n(&b->skel->bss->og_lsm_probe_hits, __ATOMIC_SEQ_CST) != before;
}

/*
 * What one generation of og_rules or og_force holds: keys (without the
 * generation bit) sorted, and their values.  Shared, counted, by the two
 * generations once they hold the same.
 */
struct og_gen_set {
	int refs;
	size_t n, vsize;
	struct og_rule_key *keys;
	char *vals;
};

static void set_put(struct og_gen_set *s)
{
	if (s && --s->refs == 0) {
		free(s->keys);
		free(s->vals);
		free(s);
	}
}

static int key_cmp(const struct og_rule_key *x, const struct og_rule_key *y)
{
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if (x->cgid != y->cgid)
		return x->cgid < y->cgid ? -1 : 1;
	return 0;
}

static int idx_cmp(const void *a, const void *b, void *keys)
{
	const struct og_rule_key *k = keys;

	return key_cmp(&k[*(const __u32 *)a], &k[*(const __u32 *)b]);
}

/* @n keys and values of an encoding, sorted by key: NULL when out of memory */
static struct og_gen_set *set_new(const struct og_rule_key *keys, const void *vals, size_t vsize,
				  size_t n)
{
	struct og_gen_set *s = calloc(1, sizeof(*s));
	__u32 *idx = malloc((n ? n : 1) * sizeof(*idx));
	size_t i;

	if (!s || !idx)
		goto fail;
	s->refs = 1;
	s->n = n;
	s->vsize = vsize;
	s->keys = malloc((n ? n : 1) * sizeof(*s->keys));
	s->vals = malloc((n ? n : 1) * vsize);
	if (!s->keys || !s->vals)
		goto fail;
	for (i = 0; i < n; i++)
		idx[i] = i;
	if (n)
		qsort_r(idx, n, sizeof(*idx), idx_cmp, (void *)keys);
	for (i = 0; i < n; i++) {
		s->keys[i] = keys[idx[i]];
		memcpy(s->vals + i * vsize, (const char *)vals + (size_t)idx[i] * vsize, vsize);
	}
	free(idx);
	return s;
fail:
	free(idx);
	if (s) {
		free(s->keys);
		free(s->vals);
		free(s);
	}
	return NULL;
}

/* Delete every key of generation @gen (what it holds is not known). */
static int clear_gen(int fd, __u32 gen)
{
	struct og_rule_key k, next, *prev = NULL;
	struct og_rule_key *dels = NULL;
	size_t n = 0, cap = 0, i;
	int ret = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if ((next.slot >> 31) == gen) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct og_rule_key *d = realloc(dels, ncap * sizeof(*d));

				if (!d) {
					free(dels);
					return -ENOMEM;
				}
				dels = d;
				cap = ncap;
			}
			dels[n++] = next;
		}
		k = next;
		prev = &k;
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &dels[i]) && errno != ENOENT)
			ret = -errno;
	free(dels);
	return ret;
}

/* Batched (one syscall per 4096 keys) where the kernel has it, else one by one. */
static int update_keys(int fd, const struct og_rule_key *k, const char *v, size_t vsize, size_t n)
{
	size_t i, done = 0;

	while (done < n) {
		__u32 count = n - done > 4096 ? 4096 : n - done;

		if (bpf_map_update_batch(fd, k + done, v + done * vsize, &count, NULL))
			break;	/* EINVAL on kernels without batch ops for this map: below */
		done += count;
	}
	for (i = done; i < n; i++)
		if (bpf_map_update_elem(fd, &k[i], v + i * vsize, BPF_ANY))
			return -errno;
	return 0;
}

static int delete_keys(int fd, const struct og_rule_key *k, size_t n)
{
	__u32 count = n;
	size_t i;

	if (n && bpf_map_delete_batch(fd, k, &count, NULL)) {
		/* no batch delete here (or a key already gone): one by one */
		for (i = 0; i < n; i++)
			if (bpf_map_delete_elem(fd, &k[i]) && errno != ENOENT)
				return -errno;
	}
	return 0;
}

/*
 * Make generation @gen of map @fd hold @want (NULL: nothing), writing only
 * what differs from what it holds (*@have): a reload that changes a few
 * rules of a big policy costs a few map updates (P6).  On failure what the
 * generation holds is not known any more: the next call empties it first.
 */
static int sync_gen(int fd, __u32 gen, struct og_gen_set **have, bool *unknown,
		    struct og_gen_set *want)
{
	static const struct og_gen_set none;
	const struct og_gen_set *h = *have && !*unknown ? *have : &none, *w = want ? want : &none;
	size_t vsize = w->vsize ? w->vsize : h->vsize;
	struct og_rule_key *dk = NULL, *uk = NULL;
	size_t i = 0, j = 0, nd = 0, nu = 0;
	char *uv = NULL;
	int ret = 0, c;

	if (*have == want && !*unknown)
		return 0;
	if (*unknown) {
		ret = clear_gen(fd, gen);
		if (ret)
			return ret;
		set_put(*have);
		*have = NULL;
		*unknown = false;
	}
	dk = malloc((h->n ? h->n : 1) * sizeof(*dk));
	uk = malloc((w->n ? w->n : 1) * sizeof(*uk));
	uv = malloc((w->n ? w->n : 1) * (vsize ? vsize : 1));
	if (!dk || !uk || !uv) {
		ret = -ENOMEM;
		goto out;
	}
	while (i < h->n || j < w->n) {
		c = i == h->n ? 1 : j == w->n ? -1 : key_cmp(&h->keys[i], &w->keys[j]);
		if (c < 0) {
			dk[nd] = h->keys[i++];
			dk[nd++].slot |= gen << 31;
			continue;
		}
		if (c > 0 || memcmp(h->vals + i * vsize, w->vals + j * vsize, vsize)) {
			uk[nu] = w->keys[j];
			uk[nu].slot |= gen << 31;
			memcpy(uv + nu * vsize, w->vals + j * vsize, vsize);
			nu++;
		}
		if (c == 0)
			i++;
		j++;
	}
	/* gone first: the map is sized for one policy per generation, not two */
	ret = delete_keys(fd, dk, nd);
	if (!ret)
		ret = update_keys(fd, uk, uv, vsize, nu);
out:
	free(dk);
	free(uk);
	free(uv);
	if (ret) {
		*unknown = true;
		return ret;
	}
	set_put(*have);
	*have = want;
	if (want)
		want->refs++;
	return 0;
}

/* Where @k (generation bit cleared) is in the sorted @s, or -1 */
static long set_find(const struct og_gen_set *s, const struct og_rule_key *k)
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = key_cmp(&s->keys[mid], k);

		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The active generation of map @fd against @want: keys missing, foreign or changed. */
static size_t verify_gen(int fd, __u32 gen, const struct og_gen_set *want, size_t vsize,
			 size_t *missing, size_t *foreign, size_t *changed)
{
	struct og_rule_key k, next, *prev = NULL;
	char val[1024];
	size_t found = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if ((next.slot >> 31) != gen)
			continue;
		next.slot &= ~(1U << 31);
		long at = set_find(want, &next);

		if (at < 0) {
			(*foreign)++;
			continue;
		}
		found++;
		if (vsize <= sizeof(val) && bpf_map_lookup_elem(fd, &k, val) == 0 &&
		    memcmp(val, want->vals + (size_t)at * vsize, vsize))
			(*changed)++;
	}
	*missing += (want ? want->n : 0) - found;
	return *missing + *foreign + *changed;
}

int og_bpf_verify(struct og_bpf *b, char *why, size_t len)
{
	static const char *const what[2] = { "rule", "force" };
	size_t vsizes[2] = { sizeof(struct og_rule), sizeof(struct og_force_set) };
	int m, bad = 0;

	why[0] = '\0';
	for (m = 0; m < 2; m++) {
		int fd = bpf_map__fd(m ? b->skel->maps.og_force : b->skel->maps.og_rules);
		size_t missing = 0, foreign = 0, changed = 0, at = strlen(why);
		size_t diff = 0;
		__u32 g;

		/*
		 * Both generations: the idle one is what the next reload writes only
		 * the differences into, so a key changed there would go live with it.
		 * One whose update failed is skipped: the next install rewrites it whole.
		 */
		for (g = 0; g < OG_NGENS; g++)
			if (!b->unknown[m][g])
				diff += verify_gen(fd, g, b->held[m][g], vsizes[m], &missing,
						   &foreign, &changed);
		if (!diff)
			continue;
		snprintf(why + at, len - at, "%s%zu %s keys missing, %zu foreign, %zu changed",
			 at ? "; " : "", missing, what[m], foreign, changed);
		/* what either generation holds is no longer known: the next install clears it */
		b->unknown[m][0] = b->unknown[m][1] = true;
		bad++;
	}
	return bad;
}

int og_bpf_install(struct og_bpf *b, const struct og_encoding *enc)
{
	struct optguard_bpf *s = b->skel;
	int rules_fd = bpf_map__fd(s->maps.og_rules);
	int other_fd = bpf_map__fd(s->maps.og_other_slots);
	int force_fd = bpf_map__fd(s->maps.og_force);
	__u32 active = __atomic_load_n(&s->bss->og_active_gen, __ATOMIC_ACQUIRE) & 1;
	__u32 idle = active ^ 1;
	struct og_gen_set *rules, *force;
	size_t i;
	int ret;

	if (enc->nkeys > b->key_cap / 2 || enc->nids > b->id_cap) {
		log_warnx("bpf: the policy needs %zu keys and %zu rule ids, the maps were sized "
			  "for %zu and %zu: restart optguard to load it", enc->nkeys, enc->nids,
			  b->key_cap / 2, b->id_cap);
		return -E2BIG;
	}
	if (enc->nfkeys > b->key_cap / 2) {
		log_warnx("bpf: the policy needs %zu force keys, the map was sized for %zu: "
			  "restart optguard to load it", enc->nfkeys, b->key_cap / 2);
		return -E2BIG;
	}
	rules = set_new(enc->keys, enc->vals, sizeof(*enc->vals), enc->nkeys);
	force = set_new(enc->fkeys, enc->fsets, sizeof(*enc->fsets), enc->nfkeys);
	if (!rules || !force) {
		set_put(rules);
		set_put(force);
		return -ENOMEM;
	}
	ret = sync_gen(rules_fd, idle, &b->held[0][idle], &b->unknown[0][idle], rules);
	if (ret) {
		log_warnx("bpf: cannot add the rules: %s", strerror(-ret));
		goto out;
	}
	/* other slots are shared by both generations: only ever added */
	for (i = 0; i < enc->nother; i++) {
		if (bpf_map_update_elem(other_fd, &enc->other[i].key, &enc->other[i].slot,
					BPF_ANY)) {
			ret = -errno;
			log_warn("bpf: cannot add an option slot");
			goto out;
		}
	}
	/* the force keys follow the same generation: filled while idle, live with the flip */
	ret = sync_gen(force_fd, idle, &b->held[1][idle], &b->unknown[1][idle], force);
	if (ret) {
		log_warnx("bpf: cannot add the force keys: %s", strerror(-ret));
		goto out;
	}
	s->bss->og_force_info[idle] = enc->force_info;
	memcpy(s->bss->og_slot_info[idle], enc->slot_info, sizeof(enc->slot_info));
	s->bss->og_cfg[idle] = enc->cfg;
	s->bss->og_cfg[idle].lsm = b->lsm_active;
	/* the switch: one aligned 32-bit store, after everything above is visible */
	__atomic_store_n(&s->bss->og_active_gen, idle, __ATOMIC_RELEASE);
	ret = idle;
out:
	set_put(rules);
	set_put(force);
	return ret;
}

int og_bpf_mirror(struct og_bpf *b)
{
	__u32 active = __atomic_load_n(&b->skel->bss->og_active_gen, __ATOMIC_ACQUIRE) & 1;
	__u32 old = active ^ 1;
	int ret, m;

	if (b->held[0][old] == b->held[0][active] && b->held[1][old] == b->held[1][active] &&
	    !b->unknown[0][old] && !b->unknown[1][old])
		return 0;
	/*
	 * A program that read og_active_gen before the switch may still be
	 * looking the old generation up: they run inside rcu_read_lock(), and
	 * MEMBARRIER_CMD_GLOBAL is synchronize_rcu().  With one CPU online it
	 * returns at once, without a grace period (and nohz_full refuses it):
	 * the old generation then stays as it is, and the next install brings it
	 * up to date from what it holds.
	 */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return 0;
	for (m = 0; m < 2; m++) {
		int fd = bpf_map__fd(m ? b->skel->maps.og_force : b->skel->maps.og_rules);

		ret = sync_gen(fd, old, &b->held[m][old], &b->unknown[m][old], b->held[m][active]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The force programs, on the policy's cgroup like cgroup/setsockopt: the
 * plan at creation, then connect, established (and create, where loaded).
 */
static int attach_force(struct og_bpf *b, const char *path)
{
	struct bpf_program *progs[5] = {
		b->skel->progs.og_sock_create, b->skel->progs.og_connect4,
		b->skel->progs.og_connect6, b->skel->progs.og_sockops,
		b->skel->progs.og_post_create,
	};
	int fd, i, ret = 0;

	if (!b->force_loaded)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_warn("bpf: cannot open cgroup %s", path);
		return ret;
	}
	for (i = 0; i < 5 && !ret; i++) {
		if (bpf_program__fd(progs[i]) < 0)
			continue;	/* not loaded on this kernel */
		b->force_links[i] = bpf_program__attach_cgroup(progs[i], fd);
		if (!b->force_links[i]) {
			ret = -errno;
			log_warnx("bpf: cannot attach %s to %s: %s", bpf_program__section_name(progs[i]),
				  path, strerror(-ret));
		}
	}
	close(fd);
	return ret;
}

int og_bpf_hooks(const struct og_bpf *b, char *buf, size_t len)
{
	const struct {
		struct bpf_link *link;
		const struct bpf_program *prog;
	} held[] = {
		{ b->lsm_link, b->skel->progs.og_lsm_setsockopt },
		{ b->link, b->skel->progs.og_setsockopt },
		{ b->force_links[0], b->skel->progs.og_sock_create },
		{ b->force_links[1], b->skel->progs.og_connect4 },
		{ b->force_links[2], b->skel->progs.og_connect6 },
		{ b->force_links[3], b->skel->progs.og_sockops },
		{ b->force_links[4], b->skel->progs.og_post_create },
		{ b->uring_link, b->skel->progs.og_lsm_uring_cmd },
		{ b->cmsg_link, b->skel->progs.og_lsm_sendmsg },
	};
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		struct bpf_link_info info = {};
		__u32 ilen = sizeof(info);

		if (!held[i].link)
			continue;
		/* the kernel's word that the link is there and holds a program */
		if (bpf_obj_get_info_by_fd(bpf_link__fd(held[i].link), &info, &ilen) ||
		    !info.prog_id)
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? ", " : "",
			      bpf_program__section_name(held[i].prog));
	}
	/* the guard of optguard's own objects (guard.c), its links asked the same way */
	for (i = 0; i < 2 && b->guard_active; i++) {
		struct bpf_link_info info = {};
		__u32 ilen = sizeof(info);

		if (!b->guard_links[i] ||
		    bpf_obj_get_info_by_fd(bpf_link__fd(b->guard_links[i]), &info, &ilen) ||
		    !info.prog_id)
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? ", " : "",
			      i ? "lsm/bpf_map (guard)" : "lsm/bpf (guard)");
	}
	return o < len ? 0 : -ENAMETOOLONG;
}

/* lsm/uring_cmd and lsm/socket_sendmsg, where loaded: their reasons say why not. */
static void attach_lsm_extras(struct og_bpf *b)
{
	if (bpf_program__fd(b->skel->progs.og_lsm_uring_cmd) >= 0) {
		b->uring_link = bpf_program__attach_lsm(b->skel->progs.og_lsm_uring_cmd);
		if (b->uring_link)
			b->uring_active = true;
		else
			snprintf(b->uring_reason, sizeof(b->uring_reason),
				 "cannot attach the lsm/uring_cmd program: %s", strerror(errno));
	}
	if (bpf_program__fd(b->skel->progs.og_lsm_sendmsg) >= 0) {
		b->cmsg_link = bpf_program__attach_lsm(b->skel->progs.og_lsm_sendmsg);
		if (b->cmsg_link)
			b->cmsg_active = true;
		else
			snprintf(b->cmsg_reason, sizeof(b->cmsg_reason),
				 "cannot attach the lsm/socket_sendmsg program: %s", strerror(errno));
	}
}

int og_bpf_attach(struct og_bpf *b, const char *path)
{
	__u32 zero = 0;
	int fd, ret, g;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_warn("bpf: cannot open cgroup %s", path);
		return ret;
	}
	/* where the global LSM program acts: below this cgroup */
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.og_root_cgroup), &zero, &fd, BPF_ANY)) {
		ret = -errno;
		log_warn("bpf: cannot set the policy's cgroup");
		close(fd);
		return ret;
	}
	if (b->lsm_loaded) {
		b->lsm_link = bpf_program__attach_lsm(b->skel->progs.og_lsm_setsockopt);
		if (!b->lsm_link) {
			snprintf(b->lsm_reason, sizeof(b->lsm_reason),
				 "cannot attach the lsm/socket_setsockopt program: %s",
				 strerror(errno));
		} else if (!lsm_runs(b)) {
			snprintf(b->lsm_reason, sizeof(b->lsm_reason),
				 "the lsm/socket_setsockopt program attached but does not run "
				 "('bpf' missing from the kernel's active LSMs?)");
			bpf_link__destroy(b->lsm_link);
			b->lsm_link = NULL;
		} else {
			b->lsm_active = true;
		}
	}
	if (b->lsm_active)
		attach_lsm_extras(b);
	else if (b->lsm_loaded) {
		snprintf(b->uring_reason, sizeof(b->uring_reason), "%s", b->lsm_reason);
		snprintf(b->cmsg_reason, sizeof(b->cmsg_reason), "%s", b->lsm_reason);
	}
	b->link = bpf_program__attach_cgroup(b->skel->progs.og_setsockopt, fd);
	ret = b->link ? 0 : -errno;
	close(fd);
	if (ret) {
		log_warnx("bpf: cannot attach cgroup/setsockopt to %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = attach_force(b, path);
	if (ret)
		return ret;
	/* only now may the cgroup program leave value-blind denies to the LSM hook */
	for (g = 0; g < OG_NGENS; g++)
		__atomic_store_n(&b->skel->bss->og_cfg[g].lsm, b->lsm_active, __ATOMIC_RELEASE);
	return 0;
}

int og_bpf_counters(struct og_bpf *b, struct og_counters *out, size_t n)
{
	if (n > b->id_cap) {
		memset(out + b->id_cap, 0, (n - b->id_cap) * sizeof(*out));
		n = b->id_cap;
	}
	return counters_read(bpf_map__fd(b->skel->maps.og_counters), out, n);
}

/*
 * Wait up to @timeout_ms for a wake-up (@sigmask in place while waiting:
 * epoll_pwait), then read what is queued, also when the wait timed out: the
 * programs submit without a wake-up while the daemon polls, so the timeout
 * is the poll (ring_buffer__poll() reads only after a wake-up).  The number
 * of records read, or -errno.
 */
static int rb_pwait(struct ring_buffer *rb, int timeout_ms, const sigset_t *sigmask)
{
	struct epoll_event ev;

	if (epoll_pwait(ring_buffer__epoll_fd(rb), &ev, 1, timeout_ms, sigmask) < 0)
		return -errno;
	return ring_buffer__consume(rb);
}

int og_bpf_events_wait(struct og_bpf *b, struct ring_buffer *rb, int *idle)
{
	return og_bpf_events_pwait(b, rb, idle, NULL);
}

int og_bpf_events_pwait(struct og_bpf *b, struct ring_buffer *rb, int *idle,
			const sigset_t *sigmask)
{
	volatile __u32 *sleeping = &b->skel->bss->og_consumer_sleeping;
	int n;

	if (*idle < OG_IDLE_POLLS) {
		n = rb_pwait(rb, OG_POLL_MS, sigmask);
	} else {
		/* idle: announce the sleep, then look once more before it */
		__atomic_store_n(sleeping, 1, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		n = ring_buffer__consume(rb);
		if (n == 0)
			n = rb_pwait(rb, b->idle_timeout_ms > 0 ? b->idle_timeout_ms : -1, sigmask);
		__atomic_store_n(sleeping, 0, __ATOMIC_SEQ_CST);
	}
	if (n > 0)
		*idle = 0;
	else if (n == 0)
		(*idle)++;
	return n;
}

int og_bpf_counters_zero(struct og_bpf *b, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct og_counters *z;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	z = calloc(ncpu, sizeof(*z));
	if (!z)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.og_counters), &id, z, BPF_ANY))
		ret = -errno;
	free(z);
	return ret;
}

int og_bpf_counters_fd(struct og_bpf *b)
{
	return bpf_map__fd(b->skel->maps.og_counters);
}

int og_bpf_events_fd(struct og_bpf *b)
{
	return bpf_map__fd(b->skel->maps.og_events);
}

void og_bpf_close(struct og_bpf *b)
{
	int m, g;

	for (m = 0; m < 2; m++)
		for (g = 0; g < OG_NGENS; g++)
			set_put(b->held[m][g]);
	int i;

	og_guard_close(b);
	for (i = 0; i < 5; i++)
		if (b->force_links[i])
			bpf_link__destroy(b->force_links[i]);
	if (b->lsm_link)
		bpf_link__destroy(b->lsm_link);
	if (b->uring_link)
		bpf_link__destroy(b->uring_link);
	if (b->cmsg_link)
		bpf_link__destroy(b->cmsg_link);
	if (b->link)
		bpf_link__destroy(b->link);
	if (b->skel)
		optguard_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}
