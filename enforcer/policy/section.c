// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the builders of the [enforcer], [scope:NAME] and [rule:NAME]
 * sections (section_*.c, pass 2 of the parser) share: their keys, lists,
 * enums, errnos and cgroup directories, and the labels of options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "section.h"

static const char *sec_kind_name(enum sec_kind k)
{
	return k == SEC_SCOPE ? "scope:" : k == SEC_RULE ? "rule:" : "";
}

/* Point slots[i] at the key named keys[i]; unknown and repeated keys are errors. */
void collect(struct parser *ps, const struct section *s, const char *const *keys,
	     size_t nkeys, const struct kv **slots)
{
	size_t i, k;

	for (k = 0; k < nkeys; k++)
		slots[k] = NULL;
	for (i = 0; i < s->nkvs; i++) {
		const struct kv *kv = &s->kvs[i];

		for (k = 0; k < nkeys; k++)
			if (!strcmp(kv->key, keys[k]))
				break;
		if (k == nkeys)
			perr(ps, kv->line, "unknown key '%s' in [%s%s]", kv->key,
			     s->kind == SEC_ENFORCER ? "enforcer" : sec_kind_name(s->kind),
			     s->name);
		else if (slots[k])
			perr(ps, kv->line, "duplicate key '%s' (first at line %d)", kv->key,
			     slots[k]->line);
		else
			slots[k] = kv;
	}
}

/* errno = or default_errno = that errno_parse() refused: say why. */
void bad_errno(struct parser *ps, const struct kv *kv)
{
	const char *v = kv->val + (kv->val[0] == '-');

	if (*v && strspn(v, "0123456789") == strlen(v))
		perr(ps, kv->line, "%s '%s' is out of range (1 to 4095, or a name such as EPERM)",
		     kv->key, kv->val);
	else
		perr(ps, kv->line, "unknown errno '%s'", kv->val);
}

/* Index of kv->val in names (a NULL-terminated list), or -1 after an error. */
int parse_enum(struct parser *ps, const struct kv *kv, const char *const *names)
{
	char expect[128] = "";
	size_t i, o = 0;

	for (i = 0; names[i]; i++)
		if (!strcmp(kv->val, names[i]))
			return (int)i;
	for (i = 0; names[i] && o < sizeof(expect); i++)
		o += snprintf(expect + o, sizeof(expect) - o, "%s%s", i ? " | " : "", names[i]);
	perr(ps, kv->line, "invalid %s '%s' (expected %s)", kv->key, kv->val, expect);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	return s;
}

/*
 * The comma-separated items of kv->val, trimmed, in one allocation: *items
 * points into *store.  -1 after an error (an empty item), else the count.
 */
long split_list(struct parser *ps, const struct kv *kv, char **store, char ***items)
{
	char *copy, *p, *comma, **v = NULL, **nv;
	long n = 0;

	copy = pstrdup(ps, kv->val);
	if (!copy)
		return -1;
	for (p = copy;; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		p = trim(p);
		if (!*p) {
			perr(ps, kv->line, "empty item in the list of '%s'", kv->key);
			goto fail;
		}
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			ps->oom = true;
			goto fail;
		}
		v = nv;
		v[n++] = p;
		if (!comma)
			break;
	}
	*store = copy;
	*items = v;
	return n;
fail:
	free(v);
	free(copy);
	return -1;
}

/* Resolve a cgroup directory; an error (naming the path) and -1 when it is not one. */
int cgroup_dir(struct parser *ps, int line, const char *raw, char **path, __u64 *id,
	       int *level)
{
	char norm[PATH_MAX];
	int ret;

	if (raw[0] != '/') {
		perr(ps, line, "cgroup '%s' is not an absolute path", raw);
		return -1;
	}
	if (path_normalize(raw, norm, sizeof(norm))) {
		perr(ps, line, "cgroup path '%s' is too long", raw);
		return -1;
	}
	ret = cg_info(norm, id, level);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		perr(ps, line, "cgroup directory '%s' does not exist", raw);
		return -1;
	case -ENOTDIR:
		perr(ps, line, "cgroup '%s' is not a directory", raw);
		return -1;
	case -EXDEV:
		perr(ps, line, "cgroup '%s' is not on the cgroup2 file system", raw);
		return -1;
	default:
		perr(ps, line, "cgroup '%s': %s", raw, strerror(-ret));
		return -1;
	}
	*path = pstrdup(ps, norm);
	return *path ? 0 : -1;
}

const char *const *policy_keys(const char *section, size_t *n)
{
	if (!strcmp(section, "enforcer")) {
		*n = enforcer_nkeys;
		return enforcer_keys;
	}
	if (!strcmp(section, "scope")) {
		*n = scope_nkeys;
		return scope_keys;
	}
	if (!strcmp(section, "rule")) {
		*n = rule_nkeys;
		return rule_keys;
	}
	*n = 0;
	return NULL;
}

void optref_label(int level, int optname, char *buf, size_t len)
{
	const struct og_option *o = option_by_number(level, optname);
	const char *l = level_name(level);

	if (o)
		snprintf(buf, len, "%s", o->name);
	else if (l)
		snprintf(buf, len, "%s:%d", l, optname);
	else
		snprintf(buf, len, "%d:%d", level, optname);
}

void option_label(const struct og_rule_def *r, char *buf, size_t len)
{
	const char *l = level_name(r->level);

	if (r->optspec)
		snprintf(buf, len, "%s", r->optspec);
	else if (r->opt)
		snprintf(buf, len, "%s", r->opt->name);
	else if (l)
		snprintf(buf, len, "%s:%d", l, r->optname);
	else
		snprintf(buf, len, "%d:%d", r->level, r->optname);
}
