/* libFuzzer: the hccn_tool -link_stat -g parser (lib/parse/linkstat.c). */
#include <string.h>

#include "fuzz.h"
#include "linkstat.h"

/* Parses the input; a success counts its LINK DOWN records among its records. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_linkstat ls;
	if (v4_parse_linkstat(t, size, &ls, &err) == 0) {
		if (ls.ndown > ls.nrec || (ls.ndown && !ls.down_at) || ls.up_count < 0)
			abort();
	} else if (!err) {
		abort();
	}
	free(ls.down_at);
	free(err);
	free(t);
	return 0;
}
