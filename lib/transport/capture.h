/* Captures: what `v4check collect` writes and `--replay` reads.
 *
 *   DIR/config.json             the configuration collect ran with
 *   DIR/manifest.json           {"schema":1,"tool","nodes":[{"name","host","rank","bond1",
 *                                 "unreachable","reason"}...]}
 *   DIR/<node>/<probe>.out      the probe's standard output, as is
 *   DIR/<node>/<probe>.err      its standard error
 *   DIR/<node>/<probe>.json     {"cmd","state","exit","ms","at0","at1","reason","truncated"}
 *
 * Both JSON files are described by schema/v4check.schema.json ($defs manifest
 * and fact); the capture has its own schema number, apart from the report's.
 */
#ifndef V4_CAPTURE_H
#define V4_CAPTURE_H

#include "v4.h"

#define V4_CAPTURE_SCHEMA 1

/* Writes the nodes' facts under dir (created if missing). */
int v4_capture_write(const char *dir, const struct v4_node *nodes, size_t nn, char **err);

/* Writes the config the capture was judged against as DIR/config.json;
 * --replay uses it when no -c is given. */
int v4_capture_config(const char *dir, const cJSON *cfg, char **err);

/* Reads the node list of a capture. Caller frees with v4_node_free + free. */
int v4_capture_nodes(const char *dir, struct v4_node **nodes, size_t *nn, char **err);

/* A node's facts as a JSON array (output base64), for `-o json --facts`.
 * Caller deletes. */
cJSON *v4_facts_json(const struct v4_node *n);
/* Reads such an array back into n's facts; -1 with *err when malformed. */
int v4_facts_from_json(const cJSON *arr, struct v4_node *n, char **err);

/* A node's facts in the compact form a JSON report carries by default for a
 * local run ("raw": output as text, base64 only when it is not UTF-8 text;
 * empty fields left out), so that `merge` takes the report as it is. */
cJSON *v4_facts_raw_json(const struct v4_node *n);
/* Reads such an array back into n's facts; -1 with *err when malformed. */
int v4_facts_from_raw(const cJSON *arr, struct v4_node *n, char **err);

/* 1 when s may be used as a file name in a capture (node or probe id). */
int v4_capture_name_ok(const char *s);

#endif
