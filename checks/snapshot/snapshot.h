/* Snapshots of a healthy cluster, and drift against one.
 *
 * A snapshot (v4check-snapshot(7)) is JSON: {"snapshot": 1, "tool", "taken",
 * "source", "nodes": {NAME: NODE}}, every object's keys sorted (natural
 * order: NPU 10 after 9), printed by cJSON_Print: one value per line. NODE:
 *   rank        the node's rank (not compared)
 *   versions    driver, driver_loaded, firmware, cann_host, cann_container,
 *               image, python, vllm, vllm_ascend, torch, torch_npu
 *   serve       source, program, model, options {name: value|true}, args,
 *               env {NAME: value} (the API server's environment, or the serve
 *               script's exports when no vLLM runs); null: no serve command
 *   hccn_conf   /etc/hccn.conf as {key_N: value}
 *   npus        {"N": {tls, address, netmask, chip, bus_id, hbm_total_mb}}
 *   container   name, image, image_id, running, network_mode, shm_size,
 *               privileged, restart_policy, devices {in container: on host},
 *               mounts {destination: source[:ro]}, env {NAME: value};
 *               null: no such container
 *   model       dir, files {name: bytes} (missing: true when the folder is not
 *               there); null: no deployment.model_dir
 *   unreadable  {section path: why} for what could not be read
 * Secrets (API keys, tokens, passwords in names) are masked as "***".
 * Everything is read from the probes the checks already run (tls, roce,
 * versions, container, model and the serve source). */
#ifndef V4_SNAPSHOT_H
#define V4_SNAPSHOT_H

#include <time.h>

#include "v4.h"

#define V4_SNAPSHOT_SCHEMA 1

/* Adds the probes a node's snapshot reads. */
void v4_snapshot_probes(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps);

/* One node's snapshot from its facts (keys sorted). Caller deletes. */
cJSON *v4_snapshot_node(const struct v4_node *n, const struct v4_ctx *ctx);

/* The document of the reachable nodes. Caller deletes. */
cJSON *v4_snapshot(const struct v4_node *nodes, size_t nn, const struct v4_ctx *ctx,
		   const char *source, time_t now);

/* Sorts the members of every object in j by key (natural order), recursively. */
void v4_json_sort(cJSON *j);

/* 0 when doc is a snapshot this version reads; -1 with *err (caller frees). */
int v4_snapshot_valid(const cJSON *doc, char **err);

/* Compares the nodes of snapshot now with those of snapshot base and adds the
 * drift check's results (one per difference, PASS for an unchanged node), with
 * ctx->cfg's drift.fields applied as the runner applies it. With both_ways,
 * nodes of base absent from now are reported too (diff OLD NEW); else only the
 * nodes of now are judged (a run over some of the nodes). */
void v4_drift_compare(const cJSON *base, const cJSON *now, const struct v4_ctx *ctx, int both_ways,
		      struct v4_results *out);

/* The drift check: --baseline FILE (ctx->baseline); not in the check table. */
extern const struct v4_check v4_check_drift;

#endif
