/* libFuzzer: the binaries query parser (lib/parse/sohash.c). */
#include <string.h>

#include "fuzz.h"
#include "sohash.h"

/* Parses the input; a success holds NUL-terminated fields, 64-digit hashes
 * and non-empty paths, and no file under a missing package. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_sohash s;
	if (v4_parse_sohash(t, size, &s, &err) == 0) {
		for (size_t i = 0; i < s.npkg; i++) {
			const struct v4_sopkg *p = &s.pkg[i];
			if (!memchr(p->name, 0, sizeof p->name) || !p->name[0] || (p->missing && p->nf))
				abort();
			for (size_t f = 0; f < p->nf; f++)
				if (strlen(p->f[f].hash) != 64 || !p->f[f].path[0] ||
				    !memchr(p->f[f].path, 0, sizeof p->f[f].path))
					abort();
		}
	} else if (!err) {
		abort();
	}
	v4_sohash_free(&s);
	free(err);
	free(t);
	return 0;
}
