/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal TAP producer for the unit tests (`prove --exec ''`).
 *
 * ok(cond, name...) is one test point.  The ASSERT_*() macros are test points
 * that print actual and expected on failure and return the verdict, so they
 * double as guards:  if (!ASSERT_OK(err, "load")) goto out;
 * done_testing() prints the plan and gives the exit status.
 */
#ifndef OPTGUARD_TAP_H
#define OPTGUARD_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed, tap_planned = -1;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline bool __attribute__((format(printf, 2, 3))) ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return cond;
}

/* A test point that cannot run here: passes, with the reason. */
static inline void __attribute__((format(printf, 2, 3)))
skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("ok %d - ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
}

#define ASSERT_EQ(actual, expected, name) ({					\
	long long __a = (long long)(actual), __e = (long long)(expected);	\
	bool __ok = ok(__a == __e, "%s", name);					\
	if (!__ok)								\
		diag("%s: %s = %lld, expected %lld (%s)", name, #actual, __a,	\
		     __e, #expected);						\
	__ok;									\
})

#define ASSERT_OK(actual, name)		ASSERT_EQ(actual, 0, name)

#define ASSERT_TRUE(cond, name) ({						\
	bool __ok = ok(!!(cond), "%s", name);					\
	if (!__ok)								\
		diag("%s: %s is false", name, #cond);				\
	__ok;									\
})

#define ASSERT_NULL(ptr, name) ({						\
	const void *__p = (ptr);						\
	bool __ok = ok(__p == NULL, "%s", name);				\
	if (!__ok)								\
		diag("%s: %s = %p, expected NULL", name, #ptr, __p);		\
	__ok;									\
})

#define ASSERT_NONNULL(ptr, name) ({						\
	bool __ok = ok((ptr) != NULL, "%s", name);				\
	if (!__ok)								\
		diag("%s: %s is NULL", name, #ptr);				\
	__ok;									\
})

#define ASSERT_STREQ(actual, expected, name) ({					\
	const char *__a = (actual), *__e = (expected);				\
	bool __ok = ok(__a && __e && !strcmp(__a, __e), "%s", name);		\
	if (!__ok)								\
		diag("%s: %s = \"%s\", expected \"%s\"", name, #actual,	\
		     __a ? __a : "(null)", __e ? __e : "(null)");		\
	__ok;									\
})

/* @actual contains @expected */
#define ASSERT_STRSTR(actual, expected, name) ({				\
	const char *__a = (actual), *__e = (expected);				\
	bool __ok = ok(__a && __e && strstr(__a, __e), "%s", name);		\
	if (!__ok)								\
		diag("%s: %s = \"%s\", expected to contain \"%s\"", name,	\
		     #actual, __a ? __a : "(null)", __e ? __e : "(null)");	\
	__ok;									\
})

/* The exit status: 0 when every test point passed and the plan holds. */
static inline int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	else if (tap_planned != tap_count)
		diag("planned %d tests, ran %d", tap_planned, tap_count);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_count) ? 1 : 0;
}

#endif
