/* A check's state across its results, shared by every report format (its own
 * file: the text report dispatches to the HTML page, which needs it too). */
#include <string.h>

#include "report.h"

enum v4_status v4_check_status(const struct v4_results *res, const char *check)
{
	enum v4_status w = V4_PASS;
	int any = 0;
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(res->v[i].check, check) == 0) {
			w = any ? v4_worst(w, res->v[i].status) : res->v[i].status;
			any = 1;
		}
	return any ? w : V4_SKIP;
}
