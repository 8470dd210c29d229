/* roce: every NPU's RoCE port is up, healthy, has the address of
 * /etc/hccn.conf, and reaches the same NPU of the other nodes.
 *
 * Peer addresses: a per-node probes() sees only its own node's facts, so the
 * other nodes' NPU addresses come from the config: nodes[].npu_ips, a list of
 * dotted IPv4 addresses indexed by NPU id ("npu_ips": ["10.20.1.11", ...]).
 * Without it the ping part is skipped (PING_SKIPPED). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "peers.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS,                                                                          \
	  "every NPU port is up, healthy, correctly addressed and reaches its peers")        \
	F(LINK_DOWN, FAIL, "hccn_tool -i N -link -g says DOWN")                              \
	F(NET_UNHEALTHY, FAIL, "hccn_tool -i N -net_health -g is not Success")               \
	F(IP_MISSING, FAIL,                                                                  \
	  "an NPU port has no address, or /etc/hccn.conf has no address_N")                  \
	F(IP_MISMATCH, FAIL,                                                                 \
	  "an NPU port's address differs from address_N of /etc/hccn.conf")                  \
	F(PING_LOSS, FAIL, "packets lost pinging a peer node's NPU (hccn_tool -ping)")       \
	F(PING_SKIPPED, SKIP, "no peer NPU addresses configured (nodes[].npu_ips): no ping") \
	F(NPU_IP_INVALID, ERROR,                                                             \
	  "a configured peer address (nodes[].npu_ips) is not dotted IPv4: not pinged")      \
	F(PROBE_FAILED, ERROR,                                                               \
	  "an NPU's hccn_tool output or /etc/hccn.conf could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"ping_sample", 4, "peers each NPU pings when the cluster has more than 8 nodes "
			   "(smaller clusters: every peer)"},
	{NULL, 0, NULL},
};

#define P_CONF "hccn-conf"

/* Adds the ping from NPU npu to peer's NPU npu when its address is valid. */
static void plan_one(const cJSON *peer, int npu, struct npu_ping *v, size_t *nv)
{
	*nv += (size_t)npu_ping_set(&v[*nv], peer, npu, npu);
}

/* The pings node n runs for its NPUs ids: NPU i -> peer NPU i, to every peer in
 * clusters up to 8 nodes, else to ping_sample peers spread deterministically.
 * Returns the count; *pings is allocated (caller frees). */
static size_t ping_plan(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			const int *ids, size_t nids, struct npu_ping **pings)
{
	const cJSON **peers;
	size_t np = peer_nodes(n, ctx, &peers), nv = 0;
	size_t k = np <= 7 ? np : (size_t)v4_param(ctx, c, "ping_sample");
	if (k > np)
		k = np;
	*pings = xcalloc(nids * k + 1, sizeof **pings);
	for (size_t i = 0; i < nids; i++)
		for (size_t j = 0; j < k; j++) {
			size_t p = np <= 7 ? j : ((size_t)ids[i] + j * (np / k)) % np;
			plan_one(peers[p], ids[i], *pings, &nv);
		}
	free(peers);
	return nv;
}

static void roce_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL;
	want_npus(n, ps);
	v4_probe_add(ps, P_CONF, -1, 0, "cat /etc/hccn.conf");
	if (node_npu_ids(n, &ids, &nids, &why) == 0) {
		for (size_t i = 0; i < nids; i++) {
			hccn_get_add(ps, "link", "link", ids[i]);
			hccn_get_add(ps, "health", "net_health", ids[i]);
			hccn_get_add(ps, "ip", "ip", ids[i]);
		}
		struct npu_ping *pv;
		size_t npv = ping_plan(c, n, ctx, ids, nids, &pv);
		for (size_t i = 0; i < npv; i++)
			npu_ping_probe(ps, &pv[i]);
		free(pv);
	}
	free(ids);
	free(why);
}

/* What was read of one node, grouped by finding. */
struct node_state {
	struct v4_hccn_conf conf;
	int conf_ok;
	int *down, *unhealthy;
	size_t ndown, nunhealthy, nbad, nerr;
};

/* The fact id when it ran and exited 0; else NULL after an ERROR result. */
static const struct v4_fact *need(const struct v4_rep *h, const struct v4_node *n, const char *id,
				  int npu, struct node_state *st)
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

/* Reports an unparsable output. */
static void not_understood(const struct v4_rep *h, const struct v4_node *n, int npu,
			   const struct v4_fact *f, char *err, struct node_state *st)
{
	st->nerr++;
	v4_say(h, PROBE_FAILED, NULL, "NPU %d: %s: output not understood: %s",
	       npu, f->cmd, err ? err : "?");
	free(err);
}

/* Link state and net health of one NPU. */
static void judge_port(const struct v4_rep *h, const struct v4_node *n, int npu, cJSON *e,
		       struct node_state *st)
{
	char id[64], *err = NULL;
	int up;
	struct v4_hccn_health hl;
	hccn_id(id, sizeof id, "link", npu);
	const struct v4_fact *f = need(h, n, id, npu, st);
	if (f && v4_parse_hccn_link(f->out, f->out_len, &up, &err) == 0) {
		cJSON_AddStringToObject(e, "link", up ? "UP" : "DOWN");
		if (!up)
			st->down[st->ndown++] = npu;
	} else if (f)
		not_understood(h, n, npu, f, err, st), err = NULL;
	hccn_id(id, sizeof id, "health", npu);
	f = need(h, n, id, npu, st);
	if (f && v4_parse_hccn_net_health(f->out, f->out_len, &hl, &err) == 0) {
		cJSON_AddStringToObject(e, "net_health", hl.status);
		if (!hl.healthy) {
			st->unhealthy[st->nunhealthy++] = npu;
			v4_say(h, NET_UNHEALTHY, NULL,
			       "NPU %d: net health status %s (only Success is healthy)", npu, hl.status);
		}
	} else if (f)
		not_understood(h, n, npu, f, err, st);
}

/* The NIC address of one NPU against /etc/hccn.conf. */
static void judge_ip(const struct v4_rep *h, const struct v4_node *n, int npu, cJSON *e,
		     struct node_state *st)
{
	char id[64], *err = NULL;
	struct v4_hccn_ip ip;
	hccn_id(id, sizeof id, "ip", npu);
	const struct v4_fact *f = need(h, n, id, npu, st);
	if (!f)
		return;
	if (v4_parse_hccn_ip(f->out, f->out_len, &ip, &err) != 0) {
		not_understood(h, n, npu, f, err, st);
		return;
	}
	cJSON_AddStringToObject(e, "ip", ip.addr);
	const struct v4_hccn_conf_dev *d = st->conf_ok ? v4_hccn_conf_get(&st->conf, npu) : NULL;
	if (d)
		cJSON_AddStringToObject(e, "conf_address", d->address);
	if (ip.none || !ip.addr[0]) {
		st->nbad++;
		v4_say(h, IP_MISSING, NULL, "NPU %d: no address on the port", npu);
	} else if (st->conf_ok && (!d || !d->address[0])) {
		st->nbad++;
		v4_say(h, IP_MISSING, NULL,
		       "NPU %d: /etc/hccn.conf has no address_%d (port has %s)", npu, npu, ip.addr);
	} else if (d && strcmp(d->address, ip.addr) != 0) {
		st->nbad++;
		v4_say(h, IP_MISMATCH, NULL,
		       "NPU %d: port address %s, /etc/hccn.conf address_%d=%s", npu, ip.addr, npu, d->address);
	}
}

/* One planned ping's outcome. */
static void judge_ping(const struct v4_rep *h, const struct v4_node *n, const struct npu_ping *p,
		       cJSON *pings, struct node_state *st)
{
	int rc = npu_ping_judge(h, n, p, pings, PING_LOSS, PROBE_FAILED);
	st->nerr += rc < 0;
	st->nbad += rc > 0;
}

/* Reads /etc/hccn.conf into st (ERROR result when it cannot be had). */
static void read_conf(const struct v4_rep *h, const struct v4_node *n, struct node_state *st)
{
	char *why = NULL, *err = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_CONF, 0, &why);
	if (f && v4_parse_hccn_conf(f->out, f->out_len, &st->conf, &err) == 0)
		st->conf_ok = 1;
	else {
		st->nerr++;
		v4_say(h, PROBE_FAILED, NULL,
		       "addresses not compared: %s%s", why ? why : "/etc/hccn.conf: ",
		       why ? "" : (err ? err : "no address_N line"));
	}
	free(why);
	free(err);
}

/* Reports configured peer addresses for NPUs ids that are not dotted IPv4. */
static void bad_addresses(const struct v4_rep *h, const struct v4_node *n, const int *ids,
			  size_t nids)
{
	const cJSON **peers;
	size_t np = peer_nodes(n, h->ctx, &peers);
	for (size_t p = 0; p < np; p++)
		for (size_t i = 0; i < nids; i++) {
			const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(peers[p], "npu_ips"), ids[i]);
			if (a && !(cJSON_IsString(a) && ipv4_ok(a->valuestring)))
				v4_say(h, NPU_IP_INVALID, NULL,
				       "NPU %d -> %s: configured address is not dotted IPv4: not pinged", ids[i],
				       cJSON_GetObjectItemCaseSensitive(peers[p], "name")->valuestring);
		}
	free(peers);
}

/* Runs the ping part of node n; returns the number of pings planned. */
static size_t judge_pings(const struct v4_rep *h, const struct v4_node *n, const int *ids,
			  size_t nids, cJSON *ev, struct node_state *st)
{
	struct npu_ping *pv;
	size_t npv = ping_plan(h->check, n, h->ctx, ids, nids, &pv);
	cJSON *pings = cJSON_AddArrayToObject(ev, "pings");
	size_t before = h->out->n;
	bad_addresses(h, n, ids, nids);
	st->nerr += h->out->n - before;
	for (size_t i = 0; i < npv; i++)
		judge_ping(h, n, &pv[i], pings, st);
	if (!npv)
		v4_say(h, PING_SKIPPED, NULL,
		       "cross-node ping skipped: no peer NPU addresses in the config "
		       "(nodes[].npu_ips)");
	free(pv);
	return npv;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL;
	if (node_npu_ids(n, &ids, &nids, &why) != 0 || !nids) {
		v4_say_unchecked(h, why ? why : "no NPU found on the node");
		free(ids), free(why);
		return;
	}
	size_t first = h->out->n;
	struct node_state st = {.down = xcalloc(nids, sizeof(int)), .unhealthy = xcalloc(nids, sizeof(int))};
	cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "npus");
	read_conf(h, n, &st);
	for (size_t i = 0; i < nids; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "npu", ids[i]);
		judge_port(h, n, ids[i], e, &st);
		judge_ip(h, n, ids[i], e, &st);
		cJSON_AddItemToArray(arr, e);
	}
	size_t npv = judge_pings(h, n, ids, nids, ev, &st);
	char *down = id_list(st.down, st.ndown);
	if (st.ndown)
		v4_say(h, LINK_DOWN, NULL, "NPU %s: link DOWN", down);
	if (!st.ndown && !st.nunhealthy && !st.nbad && !st.nerr)
		v4_say(h, OK, cJSON_Duplicate(ev, 1),
		       "%zu NPU ports UP, net health Success, addresses as in /etc/hccn.conf, %zu peer "
		       "pings without loss", nids, npv);
	else
		attach_evidence(h->out, first, ev), ev = NULL;
	cJSON_Delete(ev);
	free(down), free(ids), free(st.down), free(st.unhealthy);
	v4_hccn_conf_free(&st.conf);
}

const struct v4_check v4_check_roce = {
	.id = "roce",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 270, /* bench/tiers.sh: alone on one node */
	.title = "NPU RoCE ports up, healthy, addressed as in /etc/hccn.conf, peers reachable",
	.explain =
		"Symptom: HCCL link setup times out between nodes (EI0006, \"connect timeout\"),\n"
		"  the expert all-to-all hangs at start, or one rank is much slower.\n"
		"Cause: an NPU's 200GbE RoCE port is DOWN (cable, optic, switch port), its net\n"
		"  health probe does not answer (netdetect address unreachable), its address\n"
		"  differs from /etc/hccn.conf (set by hand, or the file was edited after), or\n"
		"  the path to the same NPU of another node loses packets.\n"
		"Fix: hccn_tool -i N -link -g / -net_health -g / -ip -g show each port;\n"
		"  reseat the cable or fix the switch port; set the address again with\n"
		"  hccn_tool -i N -ip -s address A netmask M (A from address_N of\n"
		"  /etc/hccn.conf). Cross-node pings need the peers' NPU addresses in the\n"
		"  config: nodes[].npu_ips = [\"NPU0 address\", ...]; without them that part is\n"
		"  skipped. Each NPU i pings NPU i of every other node (more than 8 nodes:\n"
		"  checks.roce.ping_sample peers, chosen deterministically).",
	.probes_doc = "npu-smi info (NPU list); cat /etc/hccn.conf; for each NPU N, one call at a "
		      "time per NPU and retried while busy: hccn_tool -i N -link -g, hccn_tool -i N "
		      "-net_health -g, hccn_tool -i N -ip -g, hccn_tool -i N -ping -g address IP for "
		      "the peers' NPU N addresses from nodes[].npu_ips (validated dotted IPv4)",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = roce_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
