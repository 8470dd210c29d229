/* libFuzzer: the logs probes' parser (lib/parse/logscan.c). */
#include <string.h>

#include "fuzz.h"
#include "logscan.h"

/* Parses the input; a success keeps its hits within its sources and its
 * counts consistent, and every quote terminated and free of control bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_logscan s;
	if (v4_parse_logscan(t, size, &s, &err) == 0) {
		size_t sum = 0;
		for (int k = 0; k < V4_LOG_NKIND; k++)
			sum += s.per_kind[k];
		if (sum != s.nhit_all || s.nhit > s.nhit_all || s.nhit > V4_LOG_MAX_HITS)
			abort();
		for (size_t i = 0; i < s.nhit; i++) {
			const struct v4_loghit *h = &s.hit[i];
			size_t n = strnlen(h->text, V4_LOG_QUOTE);
			if (h->src >= s.nsrc || n >= V4_LOG_QUOTE || h->kind >= V4_LOG_NKIND)
				abort();
			for (size_t j = 0; j < n; j++)
				if ((unsigned char)h->text[j] < 0x20 && h->text[j] != '\t')
					abort();
		}
	} else if (!err) {
		abort();
	}
	v4_logscan_free(&s);
	free(err);
	free(t);
	return 0;
}
