// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy file (optguard.ini(5), docs/optguard.ini.5): read, then inih splits it
 * into sections and keys, then every section is validated into struct og_policy.
 * Like `nginx -t`, parsing goes on after an error so that one run shows them all.
 *
 * Two passes: the first (lexer.c, inih) only records every key with its line;
 * the second builds each section (section_*.c) and checks the whole
 * (validate.c).  That makes the file order-free (a rule may name a scope
 * defined below it) and lets every message carry the line of its key.
 * Messages: diag.c.
 *
 * Choices of the policy language:
 *  - [enforcer] also takes default_errno (the errno of default = deny, EPERM).
 *  - force without `at` applies at create and connect: the socket carries the
 *    value from its first moment and again once its route is known.
 *  - errno on a force rule is only valid with on_change = deny.
 *  - a scope without selectors is accepted with a warning: it is '*'.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parser.h"
#include "sha256.h"

/*
 * The largest policy file read (optguard.ini(5)): 64 MiB, some 600k rules
 * written plainly; a bound on what a typo (a log file named as the policy)
 * makes the daemon read into memory.
 */
#define POLICY_MAX_SIZE	(64 << 20)

static void parser_free(struct parser *ps)
{
	size_t i;

	arena_free(&ps->arena);
	free(ps->kvs);
	free(ps->secs);
	for (i = 0; i < ps->nmsgs; i++)
		free(ps->msgs[i].text);
	free(ps->msgs);
	free(ps->scope_bad);
	free(ps->rule_bad);
	nh_free(&ps->sec_names);
	nh_free(&ps->scope_names);
}

static struct og_policy *policy_new(struct parser *ps, const char *name)
{
	struct og_policy *p = calloc(1, sizeof(*p));
	size_t i, nscopes = 0, nrules = 0;

	if (!p) {
		ps->oom = true;
		return NULL;
	}
	for (i = 0; i < ps->nsecs; i++) {
		nscopes += ps->secs[i].kind == SEC_SCOPE;
		nrules += ps->secs[i].kind == SEC_RULE;
	}
	p->path = pstrdup(ps, name);
	p->mode = OG_MODE_ENFORCE;
	p->default_action = OG_ACT_ALLOW;
	p->default_err = EPERM;
	p->lsm = OG_LSM_AUTO;
	p->log = OG_LOG_JSON;
	p->log_file = pstrdup(ps, OG_DEFAULT_LOG_FILE);
	p->log_rate = OG_DEFAULT_LOG_RATE;
	p->pin_dir = pstrdup(ps, OG_DEFAULT_PIN_DIR);
	/* one allocation each: rules point into scopes */
	p->scopes = calloc(nscopes + 1, sizeof(*p->scopes));
	p->rules = calloc(nrules + 1, sizeof(*p->rules));
	ps->scope_bad = calloc(nscopes + 1, sizeof(*ps->scope_bad));
	ps->rule_bad = calloc(nrules + 1, sizeof(*ps->rule_bad));
	if (!p->scopes || !p->rules || !ps->scope_bad || !ps->rule_bad)
		ps->oom = true;
	return p;
}

int policy_load_buffer(const char *name, const char *buf, size_t len, struct og_policy **out,
		       struct og_diag *diag)
{
	struct parser ps = { .file = name, .buf = buf, .len = len, .cur = -1 };
	struct og_policy *p = NULL;
	size_t i;
	int ret;

	lex(&ps);
	if (!ps.oom)
		p = policy_new(&ps, name);
	if (!ps.oom) {
		enforcer_build(&ps, p);
		for (i = 0; i < ps.nsecs; i++)
			if (ps.secs[i].kind == SEC_SCOPE)
				scope_build(&ps, p, &ps.secs[i], &p->scopes[p->nscopes],
					    &ps.scope_bad[p->nscopes]), p->nscopes++;
		if (nh_reserve(&ps.scope_names, p->nscopes))
			ps.oom = true;
		for (i = 0; i < p->nscopes && !ps.oom; i++)
			if (p->scopes[i].name &&
			    nh_put(&ps.scope_names, SEC_SCOPE, p->scopes[i].name, i))
				ps.oom = true;
		for (i = 0; i < ps.nsecs; i++)
			if (ps.secs[i].kind == SEC_RULE)
				rule_build(&ps, p, &ps.secs[i], &p->rules[p->nrules],
					   &ps.rule_bad[p->nrules]), p->nrules++;
		validate(&ps, p);
	}
	if (ps.oom)
		perr(&ps, 0, "out of memory");
	ret = ps.oom ? -ENOMEM : 0;
	for (i = 0; i < ps.nmsgs && !ret; i++)
		if (ps.msgs[i].error)
			ret = -EINVAL;
	flush_msgs(&ps, diag);
	parser_free(&ps);
	if (ret) {
		policy_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

int policy_load_fd(const char *path, int fd, struct og_policy **out, struct og_diag *diag)
{
	struct parser ps = { .file = path };
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ret;

	f = fdopen(fd, "r");
	if (!f) {
		ret = -errno;
		close(fd);
		perr(&ps, 0, "%s", strerror(-ret));
		flush_msgs(&ps, diag);
		return ret;
	}
	if (fstat(fileno(f), &st) == 0) {
		/* fopen() takes a directory; reading it would only say "read error" */
		if (S_ISDIR(st.st_mode)) {
			ret = -EISDIR;
			perr(&ps, 0, "%s", strerror(EISDIR));
			goto fail;
		}
		if (S_ISREG(st.st_mode) && st.st_size > POLICY_MAX_SIZE) {
			ret = -EFBIG;
			perr(&ps, 0, "file too large: %lld bytes, the limit is %d MiB",
			     (long long)st.st_size, POLICY_MAX_SIZE >> 20);
			goto fail;
		}
		/* the file's size, +1 to see its end in one read: no copy as it grows */
		if (S_ISREG(st.st_mode))
			cap = (size_t)st.st_size + 1;
	}
	buf = malloc(cap ? cap : 1);
	if (!buf) {
		ret = -ENOMEM;
		perr(&ps, 0, "out of memory");
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			/* a pipe, or a file that grew: up to the limit and one byte more */
			if (len > POLICY_MAX_SIZE) {
				ret = -EFBIG;
				perr(&ps, 0, "file too large: more than %d MiB, the limit",
				     POLICY_MAX_SIZE >> 20);
				goto fail;
			}
			cap = !cap ? 8192 : cap * 2 > POLICY_MAX_SIZE + 1 ? POLICY_MAX_SIZE + 1 :
			      cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				perr(&ps, 0, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		errno = 0;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		perr(&ps, 0, "read error: %s", strerror(-ret));
		goto fail;
	}
	fclose(f);
	ret = policy_load_buffer(path, buf, len, out, diag);
	/* the hash of the bytes parsed: `status` describes the policy in force, not the file now */
	if (!ret)
		sha256_hex(buf, len, (*out)->sha256);
	free(buf);
	return ret;
fail:
	fclose(f);
	free(buf);
	flush_msgs(&ps, diag);
	return ret;
}

int policy_load(const char *path, struct og_policy **out, struct og_diag *diag)
{
	struct parser ps = { .file = path };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int ret = -errno;

		perr(&ps, 0, "%s", strerror(-ret));
		flush_msgs(&ps, diag);
		return ret;
	}
	return policy_load_fd(path, fd, out, diag);
}

void policy_free(struct og_policy *p)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < p->nscopes; i++) {
		for (j = 0; j < p->scopes[i].ncgroups; j++)
			free(p->scopes[i].cgroups[j].path);
		free(p->scopes[i].cgroups);
		free(p->scopes[i].uids);
		free(p->scopes[i].name);
	}
	free(p->scopes);
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].except);
		free(p->rules[i].more);
		free(p->rules[i].optspec);
	}
	free(p->rules);
	free(p->path);
	free(p->cgroup);
	free(p->log_file);
	free(p->pin_dir);
	free(p->metrics);
	free(p);
}
