/* The check table: every check v4check knows, in report order. The runner
 * is handed (a selection of) it by the commands; the library never reads it. */
#ifndef V4_CHECKS_H
#define V4_CHECKS_H

#include "v4.h"

extern const struct v4_check *const v4_checks[];
extern const size_t v4_ncheck;

/* The check with that id (of the table, or drift), or NULL. */
const struct v4_check *v4_check_find(const char *id);

/* Every check a name may refer to (--skip, --warn-only): the table, then drift
 * (which runs only with --baseline, so is not in it). Returns the count. */
size_t v4_checks_known(const struct v4_check **out, size_t max);

#endif
