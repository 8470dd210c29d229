/* Shared helpers of the libFuzzer harnesses (tests/fuzz/fuzz_NAME.c). */
#ifndef V4_FUZZ_H
#define V4_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FZ_MAX_INPUT (1u << 20) /* larger inputs are ignored */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated heap copy of data[0..size) (probe outputs always are). */
static inline char *fz_dup(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* Splits data at the first byte sep: *a, *alen before it; *b, *blen after it
 * (empty when sep is absent). Both copies are NUL-terminated; caller frees. */
static inline void fz_split(const uint8_t *data, size_t size, uint8_t sep, char **a, size_t *alen,
			    char **b, size_t *blen)
{
	const uint8_t *p = size ? memchr(data, sep, size) : NULL;
	*alen = p ? (size_t)(p - data) : size;
	*a = fz_dup(data, *alen);
	*blen = p ? size - *alen - 1 : 0;
	*b = fz_dup(p ? p + 1 : data, *blen);
}

#endif
