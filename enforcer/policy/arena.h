/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Strings that live as long as the policy parser: keys, values and section
 * names, tens of thousands in a big policy, without a malloc() each.
 * Allocated in chunks, freed at once.
 */
#ifndef OPTGUARD_ARENA_H
#define OPTGUARD_ARENA_H

#include <stddef.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct arena {
	struct arena_chunk *head;	/* the chunk being filled; NULL: none yet */
};

/* A copy of @s that lives until arena_free(), or NULL when out of memory. */
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
