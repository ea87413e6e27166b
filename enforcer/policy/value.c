// SPDX-License-Identifier: GPL-2.0-only
/* Values and errno names as the policy language writes them (see policy.h). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

/*
 * Magnitude and sign of "[-](decimal|0xhex)[K|M|G]".  Suffixes are binary
 * (x1024) because the values they scale are buffer sizes.
 */
static int parse_magnitude(const char *s, bool neg_ok, __u64 *mag, bool *neg)
{
	unsigned long long n;
	__u64 mult = 1;
	bool minus = false;
	char *end;
	int base = 10;

	if (*s == '-') {
		if (!neg_ok)
			return -EINVAL;
		minus = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return -EINVAL;
	} else if (*s < '0' || *s > '9') {
		return -EINVAL;	/* strtoull would take spaces and signs */
	}
	errno = 0;
	n = strtoull(s, &end, base);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm': case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g': case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	if (n > UINT64_MAX / mult)
		return -EINVAL;
	*mag = n * mult;
	*neg = minus;
	return 0;
}

static const struct {
	const char *name;
	int dscp;
} dscp_names[] = {
	{ "CS0", 0 }, { "LE", 1 },
	{ "CS1", 8 }, { "AF11", 10 }, { "AF12", 12 }, { "AF13", 14 },
	{ "CS2", 16 }, { "AF21", 18 }, { "AF22", 20 }, { "AF23", 22 },
	{ "CS3", 24 }, { "AF31", 26 }, { "AF32", 28 }, { "AF33", 30 },
	{ "CS4", 32 }, { "AF41", 34 }, { "AF42", 36 }, { "AF43", 38 },
	{ "CS5", 40 }, { "VA", 44 }, { "EF", 46 },
	{ "CS6", 48 }, { "CS7", 56 },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]))
			return 1;
		if (!strcasecmp(s, no[i]))
			return 0;
	}
	return -EINVAL;
}

int value_parse(enum og_vtype t, const char *s, struct og_value *v)
{
	struct og_value nv;
	__u64 mag;
	bool neg;
	size_t i, n;
	int b;

	memset(&nv, 0, sizeof(nv));
	switch (t) {
	case OG_VT_INT:
	case OG_VT_SIZE:
		if (parse_magnitude(s, true, &mag, &neg))
			return -EINVAL;
		/* the kernel reads an int: a value it would truncate is a policy error */
		if (neg ? mag > (__u64)INT_MAX + 1 : mag > INT_MAX)
			return -EINVAL;
		nv.num = neg ? -(__s64)mag : (__s64)mag;
		break;
	case OG_VT_UINT:
		if (parse_magnitude(s, false, &mag, &neg))
			return -EINVAL;
		nv.num = (__s64)mag;
		break;
	case OG_VT_BOOL:
		b = parse_bool(s);
		if (b < 0)
			return -EINVAL;
		nv.num = b;
		break;
	case OG_VT_STR:
		n = strlen(s);
		if (n == 0 || n >= OG_STR_MAX)
			return -EINVAL;
		/* printable, no blanks or commas: a list item must be one value */
		for (i = 0; i < n; i++)
			if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
				return -EINVAL;
		memcpy(nv.str, s, n);
		break;
	case OG_VT_DSCP:
		for (i = 0; i < ARRAY_SIZE(dscp_names); i++) {
			if (!strcasecmp(s, dscp_names[i].name)) {
				nv.num = dscp_names[i].dscp << 2;
				goto done;
			}
		}
		/* a number is the raw TOS/TCLASS byte, ECN bits included */
		if (parse_magnitude(s, false, &mag, &neg) || mag > 255)
			return -EINVAL;
		nv.num = (__s64)mag;
		break;
	default:
		return -EINVAL;
	}
done:
	*v = nv;
	return 0;
}

void value_format(enum og_vtype t, const struct og_value *v, char *buf, size_t len)
{
	size_t i;

	if (!len)
		return;
	switch (t) {
	case OG_VT_INT:
	case OG_VT_SIZE:
		snprintf(buf, len, "%lld", (long long)v->num);
		break;
	case OG_VT_UINT:
		snprintf(buf, len, "%llu", (unsigned long long)v->num);
		break;
	case OG_VT_BOOL:
		snprintf(buf, len, "%s", v->num ? "on" : "off");
		break;
	case OG_VT_STR:
		snprintf(buf, len, "%.*s", OG_STR_MAX, v->str);
		break;
	case OG_VT_DSCP:
		if (!(v->num & 3)) {
			for (i = 0; i < ARRAY_SIZE(dscp_names); i++) {
				if (dscp_names[i].dscp << 2 == v->num) {
					snprintf(buf, len, "%s", dscp_names[i].name);
					return;
				}
			}
		}
		snprintf(buf, len, "0x%02llx", (unsigned long long)v->num & 0xff);
		break;
	default:
		snprintf(buf, len, "(opaque)");
		break;
	}
}

#define E(x)	{ #x, x }
static const struct {
	const char *name;
	int err;
} errno_names[] = {
	E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(EBADF), E(EAGAIN),
	E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV), E(EINVAL),
	E(ENFILE), E(EMFILE), E(ENOSPC), E(EROFS), E(EPIPE), E(EDOM), E(ERANGE),
	E(ENOSYS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS),
	E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ECANCELED), E(EKEYREJECTED),
	/* aliases after their canonical names, so errno_name() prints the latter */
	E(ENOTSUP), E(EWOULDBLOCK),
};
#undef E

int errno_parse(const char *s, int *err)
{
	unsigned long n;
	char *end;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (!strcasecmp(s, errno_names[i].name)) {
			*err = errno_names[i].err;
			return 0;
		}
	}
	if (*s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, 10);
	/* MAX_ERRNO: a larger value would not read as an error in the kernel */
	if (errno || *end || n > 4095)
		return -EINVAL;
	*err = (int)n;
	return 0;
}

/* The name of @err, or its number in a per-thread buffer when it has none. */
const char *errno_name(int err)
{
	static __thread char num[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(num, sizeof(num), "%d", err);
	return num;
}
