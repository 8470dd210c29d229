/* The other nodes' NPU addresses from the config (nodes[].npu_ips), for the
 * checks that ping them (roce, reach). */
#ifndef V4_CHECKS_PEERS_H
#define V4_CHECKS_PEERS_H

#include "v4.h"

/* 1 when s is a dotted IPv4 address (four 0-255 decimals, no leading zeros). */
int ipv4_ok(const char *s);

/* The config nodes other than n that carry npu_ips and a name, in config
 * order; returns their count, *out allocated (caller frees). */
size_t peer_nodes(const struct v4_node *n, const struct v4_ctx *ctx, const cJSON ***out);

/* A peer's name and its NPU npu's configured address item (NULL when the
 * list has no such entry). */
const char *peer_name(const cJSON *peer);
const cJSON *peer_npu_ip(const cJSON *peer, int npu);

#endif
