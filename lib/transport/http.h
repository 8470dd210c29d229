/* HTTP probes of the vLLM API server, through libcurl. */
#ifndef V4_HTTP_H
#define V4_HTTP_H

#include "opts.h"
#include "v4.h"

/* Runs an HTTP probe and fills f: HTTP status in exit_code (0 with a reason
 * when no answer came), state TIMEOUT when the probe timeout passed, body in
 * out (cut at o->max_output, transfer stopped there). Redirects are not
 * followed. The probe command is one of
 *   GET URL
 *   POST URL JSON        JSON body (Content-Type: application/json)
 *   SSE URL JSON         POST, streamed: out is {"events":[[ms,"data"],...],
 *                        "done":bool,"other":"non-SSE body"} where ms is the
 *                        arrival time of each SSE "data:" line since the
 *                        request started, so TTFT/TPOT are judged in replay too.
 * Paths under /v1 carry "Authorization: Bearer KEY" when a key was set with
 * v4_http_set_api_key; the key is never part of the command, the fact, or an
 * error text (err says when none was set). */
void v4_http_probe(const struct v4_opts *o, const char *cmd, struct v4_fact *f);

/* Sets the process-wide API key (copied; NULL clears and wipes it). Call
 * before probing starts, never while probes run. */
void v4_http_set_api_key(const char *key);

/* 1 when an API key is set. */
int v4_http_have_api_key(void);

#endif
