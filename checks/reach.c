/* reach: every NPU reaches the NPUs of the other nodes it must talk to, and
 * its net detect address and default gateway are set for its own subnet.
 *
 * The expert all-to-all has every NPU talk to every NPU of every other node.
 * One bad NPU pair (a stale address, a switch ACL, a wrong route on one port)
 * is invisible to the NPU i -> NPU i ping of roce, and shows up at run time
 * as a slow KV transfer or a link-setup timeout. A full matrix is 32 x 24
 * pings on 4 nodes, too many for one run: each run pings a deterministic
 * sample that covers every node pair, and the NPU pairs rotate between runs
 * (by the day of the run, or checks.reach.rotation), so that a week of daily
 * runs covers every pair. Peer addresses come from nodes[].npu_ips, as for
 * roce. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "peers.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS,                                                                          \
	  "the sampled NPU pairs answer without loss; net detect address and gateway in "    \
	  "each NPU's subnet, one net detect address per node")                              \
	F(REACH_LOSS, FAIL,                                                                  \
	  "packets lost from an NPU to an NPU of another node (hccn_tool -ping): that pair " \
	  "cannot carry the expert all-to-all")                                              \
	F(GATEWAY_SUBNET, FAIL,                                                              \
	  "an NPU's default gateway (hccn_tool -gateway -g) is outside its own subnet")      \
	F(NETDETECT_SUBNET, WARN,                                                            \
	  "an NPU's net detect address (hccn_tool -netdetect -g) is outside its own subnet") \
	F(NETDETECT_DIFFERS, WARN,                                                           \
	  "the NPUs of a node have different net detect addresses")                          \
	F(REACH_NO_PEERS, SKIP,                                                              \
	  "no peer NPU addresses configured (nodes[].npu_ips): no matrix")                   \
	F(REACH_ADDR_INVALID, ERROR,                                                         \
	  "a configured peer address (nodes[].npu_ips) is not dotted IPv4: not pinged")      \
	F(PROBE_FAILED, ERROR, "an NPU's hccn_tool output could not be read or understood")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"pairs", 2, "NPUs of each other node that each NPU pings per run (at most the "
		     "peer's NPU count - 1; roce pings the same NPU)"},
	{"rotation", -1, "which NPU pairs a run pings: -1 changes daily (the run's day), "
			 "N >= 0 fixes the sample (replaying a capture of another day)"},
	{"max_pings", 96, "pings a node runs at most: beyond, one pair each from max_pings / "
			  "peers of its NPUs (at least one) to every other node"},
	{NULL, 0, NULL},
};

/* The run's rotation: the parameter, else the day of the run. */
static long rotation(const struct v4_check *c, const struct v4_ctx *ctx)
{
	double r = v4_param(ctx, c, "rotation");
	if (r >= 0 && r < 1e9)
		return (long)r;
	return (long)(ctx->now / 86400);
}

/* Pairs per peer: the parameter, between 1 and m - 1. */
static int pairs_per_peer(const struct v4_check *c, const struct v4_ctx *ctx, int m)
{
	double k = v4_param(ctx, c, "pairs");
	if (k < 1)
		k = 1;
	return k > m - 1 ? m - 1 : (int)k;
}

/* The peer NPU local NPU npu pings as its t-th pair to peer number p (with m
 * NPUs): an offset of 1..m-1 from npu that moves with the rotation and the
 * peer, so that ceil((m-1)/pairs) runs cover every pair. */
static int peer_target(long rot, int pairs, size_t p, int t, int npu, int m)
{
	long off = 1 + (rot * pairs + t + (long)p) % (m - 1);
	return (int)(((long)npu + off) % m);
}

/* NPUs (rows of ids) each peer gets pinged from: all nids, or, when the full
 * sample of pairs-per-peer pings would pass max_pings, max_pings / np of them
 * (at least one, so that every node pair is covered) with one pair each;
 * *k1 set then. */
static size_t rows_per_peer(const struct v4_check *c, const struct v4_ctx *ctx, size_t nids,
			    size_t np, size_t full, int *k1)
{
	double mx = v4_param(ctx, c, "max_pings");
	size_t cap = mx >= 1 && mx < 1e6 ? (size_t)mx : 1, r;
	*k1 = 0;
	if (!np || full <= cap)
		return nids;
	*k1 = 1;
	r = cap / np;
	return r < 1 ? 1 : r > nids ? nids : r;
}

/* The pings node n runs for its NPUs ids; *pv allocated (caller frees). */
static size_t plan(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		   const int *ids, size_t nids, struct npu_ping **pv)
{
	const cJSON **peers;
	size_t np = peer_nodes(n, ctx, &peers), nv = 0, cap = 1, full = 0;
	long rot = rotation(c, ctx);
	int k1;
	for (size_t p = 0; p < np; p++) {
		int m = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(peers[p], "npu_ips"));
		cap += nids * (size_t)m;
		full += m < 2 ? 0 : nids * (size_t)pairs_per_peer(c, ctx, m);
	}
	size_t rows = rows_per_peer(c, ctx, nids, np, full, &k1);
	*pv = xcalloc(cap, sizeof **pv);
	for (size_t p = 0; p < np; p++) {
		int m = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(peers[p], "npu_ips"));
		if (m < 2)
			continue;
		int k = k1 ? 1 : pairs_per_peer(c, ctx, m);
		for (size_t r = 0; r < rows; r++) {
			size_t i = rows == nids ? r : (p + (size_t)rot + r) % nids;
			for (int t = 0; t < k; t++)
				nv += (size_t)npu_ping_set(&(*pv)[nv], peers[p], ids[i],
							   peer_target(rot, k, p, t, ids[i], m));
		}
	}
	free(peers);
	return nv;
}

static void reach_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL;
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nids, &why) == 0) {
		for (size_t i = 0; i < nids; i++) {
			hccn_get_add(ps, "ip", "ip", ids[i]);
			hccn_get_add(ps, "netdetect", "netdetect", ids[i]);
			hccn_get_add(ps, "gateway", "gateway", ids[i]);
		}
		struct npu_ping *pv;
		size_t npv = plan(c, n, ctx, ids, nids, &pv);
		for (size_t i = 0; i < npv; i++)
			npu_ping_probe(ps, &pv[i]);
		free(pv);
	}
	free(ids);
	free(why);
}

/* What was judged of one node. */
struct state {
	size_t nbad, nerr, nwarn;
	char (*detect)[64]; /* each NPU's net detect address ("" unread), by index */
	int *npu;           /* the NPU ids, by index */
	size_t n;
};

/* The fact's output parsed by the caller, or NULL after an ERROR result. */
static const struct v4_fact *need(const struct v4_rep *h, const struct v4_node *n, const char *id,
				  int npu, struct state *st)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (!f) {
		st->nerr++;
		v4_say(h, PROBE_FAILED, NULL, "NPU %d: %s", npu, why);
	}
	free(why);
	return f;
}

/* Reports an output the parser did not understand (frees err). */
static void not_understood(const struct v4_rep *h, int npu, const struct v4_fact *f, char *err,
			   struct state *st)
{
	st->nerr++;
	v4_say(h, PROBE_FAILED, NULL, "NPU %d: %s: output not understood: %s", npu, f->cmd,
	       err ? err : "?");
	free(err);
}

/* 1 when a and b are dotted IPv4 addresses in the same subnet of mask. */
static int same_subnet(const char *a, const char *b, const char *mask)
{
	struct in_addr x, y, m;
	if (inet_pton(AF_INET, a, &x) != 1 || inet_pton(AF_INET, b, &y) != 1 ||
	    inet_pton(AF_INET, mask, &m) != 1)
		return 0;
	return (x.s_addr & m.s_addr) == (y.s_addr & m.s_addr);
}

/* 1 when s is an IPv4 address inet_pton reads. */
static int v4addr(const char *s)
{
	struct in_addr x;
	return inet_pton(AF_INET, s, &x) == 1;
}

/* The net detect address of one NPU against its subnet and the node's first. */
static void judge_detect(const struct v4_rep *h, const struct v4_node *n, int npu,
			 const struct v4_hccn_ip *ip, cJSON *e, struct state *st)
{
	char id[64], addr[64], *err = NULL;
	hccn_id(id, sizeof id, "netdetect", npu);
	const struct v4_fact *f = need(h, n, id, npu, st);
	if (!f)
		return;
	if (v4_parse_hccn_netdetect(f->out, f->out_len, addr, sizeof addr, &err) != 0) {
		not_understood(h, npu, f, err, st);
		return;
	}
	cJSON_AddStringToObject(e, "netdetect", addr);
	if (ip && !same_subnet(addr, ip->addr, ip->netmask)) {
		st->nwarn++;
		v4_say(h, NETDETECT_SUBNET, NULL,
		       "NPU %d: net detect address %s is outside the NPU's subnet (%s netmask %s)", npu,
		       addr, ip->addr, ip->netmask);
	}
	snprintf(st->detect[st->n], sizeof st->detect[0], "%s", addr);
}

/* Index of the net detect address most NPUs have (the first on a tie), or -1. */
static int detect_majority(const struct state *st)
{
	size_t best = 0;
	int at = -1;
	for (size_t i = 0; i < st->n; i++) {
		size_t k = 0;
		for (size_t j = 0; j < st->n && st->detect[i][0]; j++)
			k += strcmp(st->detect[i], st->detect[j]) == 0;
		if (k > best)
			best = k, at = (int)i;
	}
	return at;
}

/* Names the NPUs whose net detect address is not the majority's. */
static void judge_detect_same(const struct v4_rep *h, struct state *st)
{
	int m = detect_majority(st);
	for (size_t i = 0; m >= 0 && i < st->n; i++)
		if (st->detect[i][0] && strcmp(st->detect[i], st->detect[m]) != 0) {
			st->nwarn++;
			v4_say(h, NETDETECT_DIFFERS, NULL,
			       "NPU %d: net detect address %s, the node's other NPUs have %s", st->npu[i],
			       st->detect[i], st->detect[m]);
		}
}

/* The default gateway of one NPU against its subnet. */
static void judge_gateway(const struct v4_rep *h, const struct v4_node *n, int npu,
			  const struct v4_hccn_ip *ip, cJSON *e, struct state *st)
{
	char id[64], *err = NULL;
	struct v4_hccn_gateway g;
	hccn_id(id, sizeof id, "gateway", npu);
	const struct v4_fact *f = need(h, n, id, npu, st);
	if (!f)
		return;
	if (v4_parse_hccn_gateway(f->out, f->out_len, &g, &err) != 0) {
		not_understood(h, npu, f, err, st);
		return;
	}
	cJSON_AddStringToObject(e, "gateway", g.gateway);
	if (ip && !same_subnet(g.gateway, ip->addr, ip->netmask)) {
		st->nbad++;
		v4_say(h, GATEWAY_SUBNET, NULL,
		       "NPU %d: default gateway %s is outside the NPU's subnet (%s netmask %s)", npu,
		       g.gateway, ip->addr, ip->netmask);
	}
}

/* One NPU's address, net detect address and gateway. */
static void judge_npu(const struct v4_rep *h, const struct v4_node *n, int npu, cJSON *arr,
		      struct state *st)
{
	char id[64], *err = NULL;
	struct v4_hccn_ip ip;
	int have = 0;
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "npu", npu);
	cJSON_AddItemToArray(arr, e);
	hccn_id(id, sizeof id, "ip", npu);
	const struct v4_fact *f = need(h, n, id, npu, st);
	if (f && v4_parse_hccn_ip(f->out, f->out_len, &ip, &err) == 0 && !ip.none &&
	    v4addr(ip.addr) && v4addr(ip.netmask)) {
		have = 1;
		cJSON_AddStringToObject(e, "ip", ip.addr);
		cJSON_AddStringToObject(e, "netmask", ip.netmask);
	} else if (f) {
		st->nerr++;
		v4_say(h, PROBE_FAILED, NULL,
		       "NPU %d: %s: no address and netmask read (%s): subnets not compared", npu,
		       f->cmd, err ? err : "no ipaddr/netmask");
	}
	free(err);
	judge_detect(h, n, npu, have ? &ip : NULL, e, st);
	judge_gateway(h, n, npu, have ? &ip : NULL, e, st);
}

/* One planned ping's outcome. */
static void judge_ping(const struct v4_rep *h, const struct v4_node *n, const struct npu_ping *p,
		       cJSON *pings, struct state *st)
{
	int rc = npu_ping_judge(h, n, p, pings, REACH_LOSS, PROBE_FAILED);
	st->nerr += rc < 0;
	st->nbad += rc > 0;
}

/* Reports configured peer addresses that are not dotted IPv4. */
static void bad_addresses(const struct v4_rep *h, const struct v4_node *n, struct state *st)
{
	const cJSON **peers;
	size_t np = peer_nodes(n, h->ctx, &peers);
	for (size_t p = 0; p < np; p++) {
		int j = 0;
		const cJSON *a;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(peers[p], "npu_ips")) {
			if (!(cJSON_IsString(a) && ipv4_ok(a->valuestring))) {
				st->nerr++;
				v4_say(h, REACH_ADDR_INVALID, NULL,
				       "%s NPU %d: configured address is not dotted IPv4: not pinged",
				       peer_name(peers[p]), j);
			}
			j++;
		}
	}
	free(peers);
}

/* Number of distinct peer names among the pairs. */
static size_t peer_count(const struct npu_ping *pv, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < i && strcmp(pv[j].peer, pv[i].peer) != 0)
			j++;
		k += j == i;
	}
	return k;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	int *ids = NULL;
	size_t nids = 0, first = h->out->n;
	char *why = NULL;
	if (node_npu_ids(n, &ids, &nids, &why) != 0 || !nids) {
		v4_say_unchecked(h, why ? why : "no NPU found on the node");
		free(ids), free(why);
		return;
	}
	struct state st = {.detect = xcalloc(nids, sizeof *st.detect), .npu = ids};
	cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "npus");
	for (st.n = 0; st.n < nids; st.n++)
		judge_npu(h, n, ids[st.n], arr, &st);
	judge_detect_same(h, &st);
	struct npu_ping *pv;
	size_t npv = plan(h->check, n, h->ctx, ids, nids, &pv);
	cJSON_AddNumberToObject(ev, "rotation", (double)rotation(h->check, h->ctx));
	cJSON *pings = cJSON_AddArrayToObject(ev, "pings");
	bad_addresses(h, n, &st);
	for (size_t i = 0; i < npv; i++)
		judge_ping(h, n, &pv[i], pings, &st);
	if (!npv)
		v4_say(h, REACH_NO_PEERS, NULL,
		       "NPU matrix skipped: no peer NPU addresses in the config (nodes[].npu_ips)");
	if (!st.nbad && !st.nerr && !st.nwarn)
		v4_say(h, OK, cJSON_Duplicate(ev, 1),
		       "%zu NPU pairs to %zu other nodes without loss (rotation %ld); one net detect "
		       "address, it and the gateways in each NPU's subnet",
		       npv, peer_count(pv, npv), rotation(h->check, h->ctx));
	attach_evidence(h->out, first, ev);
	free(pv), free(ids), free(st.detect);
}

const struct v4_check v4_check_reach = {
	.id = "reach",
	.tier = V4_TIER_DEEP,
	.cost_ms = 550, /* quiet: 0.20 s alone without pings (bench/tiers.sh), 0.54 s with
			 * reach.t's pings (2 NPUs of each of 3 peers per NPU) */
	.title = "Every NPU reaches the NPUs of the other nodes (sampled matrix); net detect and "
		 "gateway set for its subnet",
	.explain =
		"Symptom: the expert all-to-all or the KV transfer between nodes is slow or\n"
		"  times out (EI0006 \"Getting socket times out\", HcclCommPrepare ret 0x9) while\n"
		"  roce's NPU i -> NPU i pings pass; hccn_tool -net_health -g says \"Receive\n"
		"  timeout\".\n"
		"Cause: one NPU cannot reach some NPU of another node (a stale address on one\n"
		"  of 32 NPUs, a route or switch ACL on one port; vllm-ascend PR #16847 needed a\n"
		"  768-pair cross-node matrix to find one such NPU:\n"
		"  https://github.com/vllm-project/vllm-ascend/pull/16847), or an NPU's default\n"
		"  gateway or net detect address does not belong to its subnet.\n"
		"How: each NPU pings checks.reach.pairs NPUs (default 2) of every other node in\n"
		"  nodes[].npu_ips with hccn_tool -i N -ping -g address IP. Every node pair is\n"
		"  covered each run; which NPU pairs moves with the rotation (the run's day, or\n"
		"  checks.reach.rotation), so ceil(7 / pairs) daily runs cover all 8 x 8 pairs of\n"
		"  each node pair on top of roce's NPU i -> NPU i. A node runs at most\n"
		"  checks.reach.max_pings (96) pings: in larger clusters each other node gets one\n"
		"  pair each from max_pings / peers of the NPUs (at least one, chosen by the\n"
		"  rotation), so every node pair is still covered. The evidence lists the pairs\n"
		"  pinged. hccn_tool -i N -netdetect -g and -gateway -g must be in the subnet of\n"
		"  the NPU's -ip -g address, and one net detect address serves a node's NPUs, as\n"
		"  the multi-node tutorials set them (hccn_tool -i N -netdetect -s address A;\n"
		"  -gateway -s gateway G). The reference notes set neither; the test cluster\n"
		"  gives each node's NPUs the .1 of their /24 for both.\n"
		"Fix: the failing pair is named \"NPU 3 -> node4 NPU 5 (address)\": ping it by\n"
		"  hand, compare both NPUs' -ip -g with /etc/hccn.conf, check the switch ports\n"
		"  (hccn_tool -i N -lldp -g) and routes (-route -g). Set the gateway and net\n"
		"  detect address of the NPU's subnet.",
	.probes_doc = "npu-smi info (NPU list); for each NPU N, one call at a time per NPU and "
		      "retried while busy: hccn_tool -i N -ip -g, hccn_tool -i N -netdetect -g, "
		      "hccn_tool -i N -gateway -g, and hccn_tool -i N -ping -g address IP for the "
		      "sampled peer NPU addresses from nodes[].npu_ips (validated dotted IPv4)",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = reach_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
