/* hccn_tool -i N -link_stat -g: an NPU port's link up/down history
 * (shared/reference/ascend-cli-formats.md 3.11). Lines carry a "[devid N]"
 * (or "[device N]") prefix; the times are asctime text of the NPU's clock. */
#ifndef V4_LINKSTAT_H
#define V4_LINKSTAT_H

#include <stddef.h>
#include <time.h>

struct v4_linkstat {
	time_t now;      /* "current time", as UTC seconds of the printed text */
	long up_count;   /* "link up count" */
	long down_count; /* "link down count", -1 in the older format without it */
	size_t nrec;     /* change records */
	size_t ndown;    /* of which LINK DOWN */
	time_t *down_at; /* the LINK DOWN times (ndown of them; caller frees) */
};

/* Parses the output. 0, or -1 with *err (caller frees) when a line is not of
 * the format, a time does not parse, or "current time", "link up count" or
 * "link change records" is missing. Free down_at either way. */
int v4_parse_linkstat(const char *text, size_t len, struct v4_linkstat *out, char **err);

#endif
