// SPDX-License-Identifier: GPL-2.0-only
/* The string arena of the policy parser (arena.h). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = a->head;
	char *d;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	d = c->data + c->used;
	c->used += n;
	memcpy(d, s, n);
	return d;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}
