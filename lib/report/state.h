/* --state: what changed since the last run (findings that appear or clear). */
#ifndef V4_STATE_H
#define V4_STATE_H

#include <time.h>

#include "v4.h"

/* Compares res with the findings stored in path (none: the first run, where
 * every finding appears), then stores res there atomically (mode 0600).
 * Returns the changes array, each {"change": "appeared"|"recurred"|"cleared"|"changed",
 * "check", "node", "code", "status", "was" (changed only), "message"}; caller
 * deletes. A finding is (check, node, code); PASS and SKIP are not findings.
 * On error (unreadable or unwritable file) *err says why; the changes are
 * still returned when they could be computed. */
cJSON *v4_state_update(const char *path, const struct v4_results *res, time_t now, char **err);

/* How long a cleared finding is remembered, and how many are. */
#define V4_STATE_RECUR_S 86400
#define V4_STATE_HIST_MAX 512

/* Carries prev's cleared findings of the last V4_STATE_RECUR_S seconds into
 * cur (member "cleared", with the time each cleared), adds those that clear
 * now, and turns an "appeared" change that matches one of them (check, node
 * and code, as findings are matched) into "recurred" with
 * "recurrences": how often it cleared within the window. */
void v4_state_history(const cJSON *prev, cJSON *cur, cJSON *changes, time_t now);

/* Same comparison without files: prev is a stored state document (may be NULL). */
cJSON *v4_state_changes(const cJSON *prev, const cJSON *cur);

/* The state document of res. Caller deletes. */
cJSON *v4_state_json(const struct v4_results *res, time_t now);

#endif
