/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An open-addressing index of names (section and scope names), so that big
 * policies parse in O(n).  The names are not copied: they must outlive it.
 */
#ifndef OPTGUARD_NAMES_H
#define OPTGUARD_NAMES_H

#include <stddef.h>

struct name_ent {
	const char *name;	/* not owned */
	unsigned int tag;	/* bits of the hash: most mismatches without a strcmp() */
	int kind;
	long idx;
};

struct name_hash {
	struct name_ent *e;
	size_t cap, n;
};

/* The index stored for (kind, name), or -1. */
long nh_get(const struct name_hash *h, int kind, const char *name);
/* Add (kind, name) unless there: -1 when added, the index it has, or -ENOMEM */
long nh_add(struct name_hash *h, int kind, const char *name, long idx);
/* 0 or -ENOMEM */
int nh_put(struct name_hash *h, int kind, const char *name, long idx);
void nh_free(struct name_hash *h);
/* Room for @n names without growing: 0 or -ENOMEM */
int nh_reserve(struct name_hash *h, size_t n);

#endif
