/* HTTP probes of the vLLM API server, through libcurl. */
#ifndef V4_HTTP_H
#define V4_HTTP_H

#include "v4.h"

/* Runs an HTTP probe "METHOD URL" (GET only here) and fills f: body in out,
 * HTTP status in exit_code (0 with a reason when no answer came), state
 * TIMEOUT when the probe timeout passed. Redirects are not followed. */
void v4_http_probe(const struct v4_node *n, const struct v4_opts *o, const char *cmd,
		   struct v4_fact *f);

#endif
