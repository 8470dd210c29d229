/* libFuzzer: the CPU list, /proc/PID/status and sysfs NUMA parsers
 * (lib/parse/numa.c). */
#include <string.h>

#include "fuzz.h"
#include "numa.h"

/* Parses the input three ways; what parses must hold what it counts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_cpuset set;
	struct v4_sysnuma sn;
	if (v4_parse_status_cpus(t, size, &set, &err) == 0) {
		char *s = v4_cpuset_str(&set);
		struct v4_cpuset again;
		char *e2 = NULL;
		if (v4_cpulist_parse(s, strlen(s), &again, &e2) != 0 || again.count != set.count ||
		    v4_cpuset_common(&set, &again) != set.count)
			abort();
		free(s);
		free(e2);
	} else if (!err)
		abort();
	free(err), err = NULL;
	if (v4_parse_sysnuma(t, size, &sn, &err) == 0) {
		if (!sn.nnodes)
			abort();
		for (size_t i = 1; i < sn.nnodes; i++)
			if (sn.nodes[i - 1].id >= sn.nodes[i].id)
				abort();
	} else if (!err)
		abort();
	v4_sysnuma_free(&sn);
	free(err);
	free(t);
	return 0;
}
