/* libFuzzer: the /proc/PID/limits parser. */
#include "fuzz.h"
#include "proclimits.h"

/* Parses the input; values must be unlimited or non-negative. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size);
	struct proc_limits l;
	char *err = NULL;
	if (proc_limits_parse(t, size, &l, &err) == 0 &&
	    (l.nofile_soft < -1 || l.nofile_hard < -1 || l.memlock_soft < -1 || l.memlock_hard < -1))
		abort();
	free(err);
	free(t);
	return 0;
}
