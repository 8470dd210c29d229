/* libFuzzer: host range expansion, and the fold/expand round trip. */
#include <stdio.h>

#include "fuzz.h"
#include "hostrange.h"

/* Aborts unless folding names and expanding the result gives them back. */
static void round_trip(char **names, size_t n)
{
	char *spec = v4_hostrange_fold(names, n), *err = NULL;
	char **back = NULL;
	size_t nb = 0;
	if (v4_hostrange_expand(spec, &back, &nb, &err) != 0) {
		fprintf(stderr, "fold gave '%s', expand failed: %s\n", spec, err);
		abort();
	}
	if (nb != n) {
		fprintf(stderr, "fold gave '%s': %zu names back, not %zu\n", spec, nb, n);
		abort();
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], back[i]) != 0) {
			fprintf(stderr, "fold gave '%s': name %zu is '%s', not '%s'\n", spec, i,
				back[i], names[i]);
			abort();
		}
	v4_hostrange_free(back, nb);
	free(spec);
}

/* Input: a spec (first line), optionally 0x1f and an exclude spec. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *spec, *excl, *err = NULL;
	size_t sn, en;
	fz_split(data, size, 0x1f, &spec, &sn, &excl, &en);
	char **hosts = NULL;
	size_t n = 0;
	if (v4_hostrange_expand(spec, &hosts, &n, &err) == 0) {
		if (n && n <= 5000)
			round_trip(hosts, n);
		v4_hostrange_free(hosts, n);
	}
	free(err);
	err = NULL;
	if (v4_hostrange_expand_exclude(spec, excl, &hosts, &n, &err) == 0)
		v4_hostrange_free(hosts, n);
	free(err);
	free(spec);
	free(excl);
	return 0;
}
