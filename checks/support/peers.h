/* The other nodes' NPU addresses from the config (nodes[].npu_ips), for the
 * checks that ping them (roce, reach). */
#ifndef V4_CHECKS_PEERS_H
#define V4_CHECKS_PEERS_H

#include "parse.h"
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

/* One planned ping: a local NPU -> a peer node's NPU at ip. */
struct npu_ping {
	int npu, peer_npu;
	char ip[16];
	const char *peer; /* peer node name (config) */
};

/* Sets p to local NPU npu -> NPU peer_npu of peer when the peer's address
 * for it is dotted IPv4; 1 then, else 0. */
int npu_ping_set(struct npu_ping *p, const cJSON *peer, int npu, int peer_npu);
/* Adds the hccn_tool ping probe of p ("hccn-ping.NPU.IP": a pair two checks
 * plan runs once). */
void npu_ping_probe(struct v4_probes *ps, const struct npu_ping *p);
/* p's ping outcome: 0 with *r; -1 with *why (not run, or output not
 * understood; caller frees). */
int npu_ping_read(const struct v4_node *n, const struct npu_ping *p, struct v4_hccn_ping *r,
		  char **why);
/* Judges p's outcome for the check of h: the finding loss (its table's
 * entry) when packets were lost, failed when it cannot be read; the entry
 * goes to pings. Returns 0 fine, 1 loss, -1 not read. */
int npu_ping_judge(const struct v4_rep *h, const struct v4_node *n, const struct npu_ping *p,
		   cJSON *pings, int loss, int failed);

#endif
