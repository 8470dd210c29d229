/* libFuzzer: the hccn_tool -lldp -g parser. */
#include <string.h>

#include "fuzz.h"
#include "lldp.h"

/* Parses the input; a success holds NUL-terminated fields within their sizes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_lldp l;
	if (v4_parse_lldp(t, size, &l, &err) == 0) {
		if (memchr(l.port, 0, sizeof l.port) == NULL || memchr(l.chassis, 0, sizeof l.chassis) == NULL)
			abort();
		if (!l.none && !l.port[0])
			abort(); /* a neighbour always has a port */
	} else if (!err) {
		abort();
	}
	free(err);
	free(t);
	return 0;
}
