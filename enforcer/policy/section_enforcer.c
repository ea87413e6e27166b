// SPDX-License-Identifier: GPL-2.0-only
/* Pass 2 of the parser: the [enforcer] section. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "cgroup.h"
#include "section.h"

const char *const enforcer_keys[] = {
	"mode", "default", "default_errno", "cgroup", "lsm", "log", "log_file", "log_rate",
	"pin_dir", "log_force", "guard", "compat", "watch", "metrics",
};
const size_t enforcer_nkeys = ARRAY_SIZE(enforcer_keys);
enum { EK_MODE, EK_DEFAULT, EK_ERRNO, EK_CGROUP, EK_LSM, EK_LOG, EK_LOG_FILE, EK_LOG_RATE,
       EK_PIN_DIR, EK_LOG_FORCE, EK_GUARD, EK_COMPAT, EK_WATCH, EK_METRICS, EK_N };

int policy_metrics_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon, *h = s;
	unsigned long port;
	size_t hl;
	char *end;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -EINVAL;
	hl = colon - s;
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return -EINVAL;
		h = s + 1;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port == 0 || port > 65535)
		return -EINVAL;
	if (s[0] != '[' && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static void absolute_path(struct parser *ps, const struct kv *kv, bool dash_ok, char **out)
{
	char norm[PATH_MAX];

	if (dash_ok && (!strcmp(kv->val, "-") || !strcmp(kv->val, "stdout"))) {
		free(*out);
		*out = pstrdup(ps, "-");
		return;
	}
	if (kv->val[0] != '/' || path_normalize(kv->val, norm, sizeof(norm))) {
		perr(ps, kv->line, "%s '%s' is not an absolute path%s", kv->key, kv->val,
		     dash_ok ? ", '-' or stdout" : "");
		return;
	}
	free(*out);
	*out = pstrdup(ps, norm);
}

void enforcer_build(struct parser *ps, struct og_policy *p)
{
	static const char *const modes[] = { "enforce", "audit", NULL };
	static const char *const defaults[] = { "allow", "deny", NULL };
	static const char *const lsms[] = { "auto", "require", "off", NULL };
	static const char *const logs[] = { "json", "text", "syslog", "none", NULL };
	static const char *const log_forces[] = { "errors", "all", NULL };
	static const char *const guards[] = { "on", "off", NULL };
	static const char *const compats[] = { "deny", "allow", NULL };
	const struct section *s = NULL;
	const struct kv *k[EK_N];
	char mnt[PATH_MAX];
	unsigned long rate;
	char *end;
	size_t i;
	int v;

	for (i = 0; i < ps->nsecs && !s; i++)
		if (ps->secs[i].kind == SEC_ENFORCER)
			s = &ps->secs[i];
	if (s)
		collect(ps, s, enforcer_keys, EK_N, k);
	else
		memset(k, 0, sizeof(k));

	if (k[EK_MODE] && (v = parse_enum(ps, k[EK_MODE], modes)) >= 0)
		p->mode = v ? OG_MODE_AUDIT : OG_MODE_ENFORCE;
	if (k[EK_DEFAULT] && (v = parse_enum(ps, k[EK_DEFAULT], defaults)) >= 0)
		p->default_action = v ? OG_ACT_DENY : OG_ACT_ALLOW;
	if (k[EK_ERRNO]) {
		if (errno_parse(k[EK_ERRNO]->val, &v))
			bad_errno(ps, k[EK_ERRNO]);
		else
			p->default_err = v;
		if (p->default_action != OG_ACT_DENY)
			pwarn(ps, k[EK_ERRNO]->line,
			      "warning: default_errno has no effect unless default = deny");
	}
	if (k[EK_LSM] && (v = parse_enum(ps, k[EK_LSM], lsms)) >= 0)
		p->lsm = (enum og_lsm_mode)v;
	if (k[EK_LOG] && (v = parse_enum(ps, k[EK_LOG], logs)) >= 0)
		p->log = (enum og_log_kind)v;
	if (k[EK_LOG_FORCE] && (v = parse_enum(ps, k[EK_LOG_FORCE], log_forces)) >= 0)
		p->log_force = v;
	if (k[EK_GUARD] && (v = parse_enum(ps, k[EK_GUARD], guards)) >= 0)
		p->guard_off = v;
	if (k[EK_COMPAT] && (v = parse_enum(ps, k[EK_COMPAT], compats)) >= 0)
		p->compat_allow = v;
	if (k[EK_WATCH] && (v = parse_enum(ps, k[EK_WATCH], guards)) >= 0)
		p->watch = !v;
	if (k[EK_METRICS] && strcmp(k[EK_METRICS]->val, "off")) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (policy_metrics_addr(k[EK_METRICS]->val, &ss, &sl))
			perr(ps, k[EK_METRICS]->line, "metrics '%s' is not ADDR:PORT (an IPv4 "
			     "address, or an IPv6 one in brackets, and a port) or off",
			     k[EK_METRICS]->val);
		else
			p->metrics = pstrdup(ps, k[EK_METRICS]->val);
	}
	if (k[EK_LOG_FILE])
		absolute_path(ps, k[EK_LOG_FILE], true, &p->log_file);
	if (k[EK_PIN_DIR])
		absolute_path(ps, k[EK_PIN_DIR], false, &p->pin_dir);
	if (k[EK_LOG_RATE]) {
		const char *r = k[EK_LOG_RATE]->val;

		errno = 0;
		rate = strtoul(r, &end, 10);
		if (*r < '0' || *r > '9' || *end || errno || rate > UINT_MAX)
			perr(ps, k[EK_LOG_RATE]->line,
			     "invalid log_rate '%s' (events per second per rule, 0 = unlimited)",
			     r);
		else
			p->log_rate = (unsigned int)rate;
	}
	if (k[EK_CGROUP]) {
		cgroup_dir(ps, k[EK_CGROUP]->line, k[EK_CGROUP]->val, &p->cgroup, &p->cgroup_id,
			   &p->cgroup_level);
	} else if (cg2_mount(mnt, sizeof(mnt))) {
		perr(ps, s ? s->line : 0,
		     "no cgroup2 file system is mounted: set cgroup in [enforcer]");
	} else {
		cgroup_dir(ps, s ? s->line : 0, mnt, &p->cgroup, &p->cgroup_id, &p->cgroup_level);
		p->cgroup_whole_host = true;
	}
}
