/* libFuzzer: the core probe's parser and coredumpctl list's rows
 * (lib/parse/cores.c). */
#include <string.h>

#include "cores.h"
#include "fuzz.h"

/* 1 when s (size bytes) is terminated within its buffer. */
static int terminated(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

/* Parses the input both ways; a success keeps its counts within bounds and
 * every kept string terminated. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_cores c;
	if (v4_parse_cores(t, size, &c, &err) == 0) {
		if (c.ndump > V4_CORES_MAX || c.ndump > c.ndump_all || c.nfile > V4_CORES_MAX ||
		    c.nfile > c.nfile_all || !terminated(c.pattern, sizeof c.pattern) ||
		    !terminated(c.dir, sizeof c.dir) || !terminated(c.listing_err, sizeof c.listing_err))
			abort();
		for (size_t i = 0; i < c.ndump; i++)
			if (!terminated(c.dump[i].exe, sizeof c.dump[i].exe) || c.dump[i].pid < 0)
				abort();
		for (size_t i = 0; i < c.nfile; i++)
			if (!terminated(c.file[i].name, sizeof c.file[i].name) || c.file[i].size < 0)
				abort();
	} else if (!err) {
		abort();
	}
	free(err);
	err = NULL;
	struct v4_coredump rows[4];
	size_t n = 0, all = 0;
	int none = 0;
	if (v4_parse_coredumpctl_list(t, size, rows, 4, &n, &all, &none, &err) == 0) {
		if (n > 4 || n > all || (!all && !none))
			abort();
	} else if (!err) {
		abort();
	}
	free(err);
	free(t);
	return 0;
}
