/* Helpers shared by the checks: NPU discovery, id lists, safe names. */
#ifndef V4_CHECKS_COMMON_H
#define V4_CHECKS_COMMON_H

#include "parse.h"
#include "v4.h"

/* Probe ids shared by several checks. */
#define P_NPUSMI "npu-smi-info"
#define P_NPULIST "npu-smi-list"
#define P_PROCS "proc-list" /* PROC_LIST_CMD of lib/parse/procinfo.h: every process via /proc */

/* Asks for the process listing (PROC_LIST_CMD), cut after each probe round
 * to the vLLM processes, the NPU holders and their ancestors. */
void want_procs(struct v4_probes *ps);

/* Asks for `docker inspect CT` (a word_ok name), cut after each probe round
 * to the members the checks read: State, Mounts, Config.Env,
 * Config.Image, HostConfig.{ShmSize,NetworkMode,Devices,Binds}. A check
 * that reads another member adds it to inspect_keep in common.c. */
#define P_INSPECT "docker-inspect"
void want_inspect(struct v4_probes *ps, const char *ct);

/* Asks for the NPU table (and, when it cannot be read, the -l list). */
void want_npus(const struct v4_node *n, struct v4_probes *ps);

/* Adds an hccn_tool probe of NPU npu: one at a time per NPU, and run again
 * after a back-off while the tool answers that it is busy. */
void hccn_probe_add(struct v4_probes *ps, const char *id, int npu, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The probe id of NPU npu's hccn_tool query what, "hccn-WHAT.NPU": the same
 * query in two checks is one probe. */
void hccn_id(char *buf, size_t sz, const char *what, int npu);

/* Adds NPU npu's `hccn_tool -i NPU -OPT -g` as probe hccn-WHAT.NPU. */
void hccn_get_add(struct v4_probes *ps, const char *what, const char *opt, int npu);

/* The node's NPU ids, from the table or the -l list; -1 and *why when
 * neither can be read. Caller frees *ids and *why. */
int node_npu_ids(const struct v4_node *n, int **ids, size_t *nids, char **why);

/* The parsed NPU table; -1 and *why when it cannot be had. */
int node_npusmi(const struct v4_node *n, struct v4_npusmi *s, char **why);

/* "0-7", "2,5", "0-3,6": ids (sorted) folded into ranges. Caller frees. */
char *id_list(const int *ids, size_t n);

/* 1 when s is safe to put into a command as a bare word ([A-Za-z0-9_.:-]). */
int word_ok(const char *s);

/* 1 when p is a plain absolute path fit for a command (no quotes, no ".."). */
int path_ok(const char *p);

/* HTTP probes of rank 0's API, shared by the checks that read it. */
#define P_HEALTH "api-health"
#define P_METRICS "api-metrics"

/* 1 for the node that serves the API (rank 0, or rank unknown). */
int api_node(const struct v4_node *n);

/* The API base URL for node n (deployment.api_url, else http://HOST:api_port),
 * no trailing slash; NULL with *bad naming the culprit when it is not a plain
 * URL. Caller frees. */
char *api_base_url(const struct v4_node *n, const struct v4_ctx *ctx, const char **bad);

/* In --phase live on the API node: asks for GET /metrics. */
void want_metrics(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps);

/* Gives ev to the first result since index first that has no evidence
 * (deletes it when there is none). */
void attach_evidence(struct v4_results *out, size_t first, cJSON *ev);

/* The deployment's expected NPUs per node. */
int expected_npus(const struct v4_ctx *ctx);

#endif
