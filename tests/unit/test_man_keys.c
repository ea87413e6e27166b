// SPDX-License-Identifier: GPL-2.0-only
/*
 * optguard.ini(5) documents every key the parser takes, in the right
 * section, and no key it does not take: the page's [enforcer], [scope:NAME]
 * and [rule:NAME] sections are read for their tags (".TP" then ".BI key " = "
 * ..."; one tag may name several keys: ".BI min " = " VALUE ", " max " = "
 * VALUE") and compared with policy_keys().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

#define MAN	OG_SRCDIR "/docs/optguard.ini.5"
#define MAXK	64

struct keys {
	char *k[MAXK];
	size_t n;
};

/* The next macro argument of @s ("quoted" or a word), into @arg; NULL at the end */
static const char *next_arg(const char *s, char *arg, size_t len)
{
	size_t i = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++)
			if (i + 1 < len)
				arg[i++] = *s;
		if (*s == '"')
			s++;
	} else {
		for (; *s && *s != ' ' && *s != '\t'; s++)
			if (i + 1 < len)
				arg[i++] = *s;
	}
	arg[i] = '\0';
	return s;
}

/* Every "KEY" followed by a " = " argument in a tag line of the page's section @sh */
static int man_keys(const char *sh, struct keys *out)
{
	char line[1024], prev[256] = "", arg[256], *nl;
	FILE *f = fopen(MAN, "re");
	bool in = false, tag = false;
	const char *s;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (!strncmp(line, ".SH ", 4)) {
			in = !strcmp(line + 4, sh);
			tag = false;
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(line, ".TP")) {
			tag = true;
			continue;
		}
		if (!tag)
			continue;
		tag = false;
		if (line[0] != '.')
			continue;
		s = line;
		while (*s && *s != ' ')	/* the macro */
			s++;
		prev[0] = '\0';
		while ((s = next_arg(s, arg, sizeof(arg)))) {
			if (!strcmp(arg, " = ") && prev[0] && out->n < MAXK) {
				/* "\-" in roff is a plain '-' in a key name */
				char *b = strdup(prev), *r, *w;

				for (r = w = b; *r; r++)
					if (!(r[0] == '\\' && r[1] == '-'))
						*w++ = *r;
				*w = '\0';
				out->k[out->n++] = b;
			}
			snprintf(prev, sizeof(prev), "%s", arg);
		}
	}
	fclose(f);
	return 0;
}

static bool has(const char *const *list, size_t n, const char *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], k))
			return true;
	return false;
}

int main(void)
{
	static const struct {
		const char *section, *sh;
	} secs[] = {
		{ "enforcer", "[enforcer]" },
		{ "scope", "[scope:NAME]" },
		{ "rule", "[rule:NAME]" },
	};
	size_t s, i, n;

	for (s = 0; s < sizeof(secs) / sizeof(secs[0]); s++) {
		const char *const *parser = policy_keys(secs[s].section, &n);
		struct keys man = {};

		if (!ASSERT_NONNULL(parser, secs[s].section) ||
		    !ASSERT_OK(man_keys(secs[s].sh, &man), MAN " can be read"))
			continue;
		ok(man.n > 0, "optguard.ini(5) section %s documents keys (%zu)", secs[s].sh, man.n);
		for (i = 0; i < n; i++)
			if (!ok(has((const char *const *)man.k, man.n, parser[i]),
				"%s: the parser's key '%s' is documented", secs[s].sh, parser[i]))
				diag("add a '.TP' entry for %s under '.SH %s' in docs/optguard.ini.5",
				     parser[i], secs[s].sh);
		for (i = 0; i < man.n; i++) {
			if (!ok(has(parser, n, man.k[i]), "%s: the documented key '%s' is one the "
				"parser takes", secs[s].sh, man.k[i]))
				diag("the parser's keys of [%s]: see policy_keys()", secs[s].section);
			free(man.k[i]);
		}
	}
	return done_testing();
}
