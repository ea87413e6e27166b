/* SPDX-License-Identifier: GPL-2.0-only */
/* SHA-256 (FIPS 180-4), for the policy hash `status` shows: compare with sha256sum(1). */
#ifndef OPTGUARD_SHA256_H
#define OPTGUARD_SHA256_H

#include <stddef.h>

/* The hex digest (65 bytes with the NUL) of @len bytes at @data. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
