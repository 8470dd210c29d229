/* lldp: every NPU's RoCE port sees a switch port of its own.
 *
 * The expert all-to-all crosses the nodes on the NPUs' 200GbE ports. A port
 * cabled to the wrong switch port, two NPUs on one switch port (a swapped or
 * doubled cable), or a port with no LLDP neighbour at all shows as link
 * flaps, slow collectives or HCCL link timeouts (EI0006) long after the
 * deploy. LLDP names the switch port each NPU is cabled to
 * (`hccn_tool -i N -lldp -g`, shared/reference/ascend-cli-formats.md 3.10:
 * "every NPU reports a switch port, and ports are distinct"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "lldp.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "every NPU port has an LLDP neighbour, each on a switch port of its own")    \
	F(LLDP_NO_NEIGHBOUR, WARN, "an NPU port with its link up sees no LLDP neighbour")        \
	F(LLDP_PORT_SHARED, FAIL, "two NPU ports report the same switch port (cabling)")         \
	F(PROBE_FAILED, ERROR, "the NPU list or an NPU's LLDP neighbour could not be read")
V4_FINDINGS(FINDINGS);

/* One NPU's LLDP reading. */
struct npu_lldp {
	const struct v4_node *node;
	int npu;
	int state; /* 1 read, 0 link down (roce reports it), -1 unreadable */
	int shared; /* its switch port is claimed by another NPU too */
	struct v4_lldp l;
	char *why;
};

static void lldp_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL;
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nids, &why) == 0)
		for (size_t i = 0; i < nids; i++) {
			hccn_get_add(ps, "link", "link", ids[i]);
			hccn_get_add(ps, "lldp", "lldp", ids[i]);
		}
	free(ids);
	free(why);
}

/* Reads NPU npu of node n into x: its link, then its LLDP neighbour. An empty
 * LLDP answer is judged only when the link was read as up. */
static void read_npu(const struct v4_node *n, int npu, struct npu_lldp *x)
{
	char id[64], *err = NULL, *lerr = NULL;
	int up = 1, link_read = 0;
	x->node = n;
	x->npu = npu;
	x->state = -1;
	hccn_id(id, sizeof id, "link", npu);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &x->why);
	if (f && v4_parse_hccn_link(f->out, f->out_len, &up, &lerr) == 0) {
		link_read = 1;
		if (!up) {
			x->state = 0;
			return;
		}
	} else if (f) {
		x->why = xasprintf("%s: %s", f->cmd, lerr);
	}
	free(lerr);
	hccn_id(id, sizeof id, "lldp", npu);
	char *lwhy = NULL;
	if ((f = v4_fact_ok(n, id, 0, &lwhy)) && v4_parse_lldp(f->out, f->out_len, &x->l, &err) == 0) {
		if (x->l.none && !link_read)
			return; /* no neighbour, and whether the link is up is not known: x->why */
		x->state = 1;
		free(x->why);
		x->why = NULL;
	} else {
		free(x->why);
		x->why = f ? xasprintf("%s: %s", f->cmd, err) : lwhy;
		lwhy = NULL;
	}
	free(lwhy);
	free(err);
}

/* Reads every NPU of every node; *nv readings (caller frees with free_all). */
static struct npu_lldp *read_all(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
				 size_t *nv)
{
	struct npu_lldp *v = NULL;
	size_t cap = 0;
	*nv = 0;
	for (size_t i = 0; i < nn; i++) {
		int *ids = NULL;
		size_t nids = 0;
		char *why = NULL;
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		if (node_npu_ids(nodes[i], &ids, &nids, &why) != 0)
			v4_say_unchecked(&hn, why);
		for (size_t k = 0; k < nids; k++) {
			grow(&v, &cap, *nv + 1, sizeof *v);
			memset(&v[*nv], 0, sizeof *v);
			read_npu(nodes[i], ids[k], &v[(*nv)++]);
		}
		free(ids);
		free(why);
	}
	return v;
}

/* Reports the NPUs of node n that could not be read or see no neighbour;
 * returns how many of its NPUs' neighbours were read (ports whose link is
 * down are roce's), *bad how many have a finding. */
static size_t judge_node(const struct v4_rep *h, const struct npu_lldp *v, size_t nv,
			 const struct v4_node *n, size_t *bad)
{
	size_t nread = 0;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].node != n)
			continue;
		if (v[i].state < 0)
			v4_say(h, PROBE_FAILED, NULL, "NPU %d: %s", v[i].npu, v[i].why ? v[i].why : "unreadable");
		else if (v[i].state == 1 && v[i].l.none)
			v4_say(h, LLDP_NO_NEIGHBOUR, NULL,
			       "NPU %d: link up but no LLDP neighbour: the switch port sends no LLDP, or the "
			       "cable ends somewhere else", v[i].npu);
		*bad += v[i].state < 0 || (v[i].state == 1 && v[i].l.none) || v[i].shared;
		nread += v[i].state == 1;
	}
	return nread;
}

/* 1 when a and b name the same switch port (same chassis and port). */
static int same_port(const struct npu_lldp *a, const struct npu_lldp *b)
{
	return a->state == 1 && b->state == 1 && !a->l.none && !b->l.none &&
	       strcmp(a->l.port, b->l.port) == 0 && strcmp(a->l.chassis, b->l.chassis) == 0;
}

/* Reports each switch port that several NPUs claim, once: at their node, or
 * for the cluster when they are on different nodes. Marks the claimants. */
static void judge_shared(const struct v4_rep *h, struct npu_lldp *v, size_t nv)
{
	for (size_t i = 0; i < nv; i++) {
		if (v[i].shared)
			continue;
		struct sbuf who = {0};
		int cross = 0;
		for (size_t k = i + 1; k < nv; k++)
			if (same_port(&v[i], &v[k])) {
				v[i].shared = v[k].shared = 1;
				cross |= v[k].node != v[i].node;
				sbuf_printf(&who, ", %s NPU %d", v[k].node->name, v[k].npu);
			}
		if (who.len) {
			struct v4_rep at = v4_rep_at(h, cross ? NULL : v[i].node);
			v4_say(&at, LLDP_PORT_SHARED, NULL,
			       "switch port %s (%s) is seen by %s NPU %d%s: check the cabling", v[i].l.port,
			       v[i].l.chassis, v[i].node->name, v[i].npu, who.s);
		}
		sbuf_free(&who);
	}
}

/* Evidence: each read NPU of node n with its switch port. */
static cJSON *evidence(const struct npu_lldp *v, size_t nv, const struct v4_node *n)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "npus");
	for (size_t i = 0; i < nv; i++) {
		if (v[i].node != n || v[i].state != 1)
			continue;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "npu", v[i].npu);
		cJSON_AddStringToObject(e, "switch_port", v[i].l.none ? "" : v[i].l.port);
		cJSON_AddStringToObject(e, "chassis", v[i].l.chassis);
		if (v[i].l.max_frame >= 0)
			cJSON_AddNumberToObject(e, "max_frame", (double)v[i].l.max_frame);
		cJSON_AddItemToArray(arr, e);
	}
	return o;
}

static void lldp_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	size_t nv, before = h->out->n;
	struct npu_lldp *v = read_all(h, nodes, nn, &nv);
	/* "a port of its own" holds only when every NPU of the cluster was read */
	int complete = h->out->n == before;
	for (size_t i = 0; i < nv && complete; i++)
		complete = v[i].state >= 0;
	judge_shared(h, v, nv);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		size_t bad = 0, nread = judge_node(&hn, v, nv, nodes[i], &bad);
		if (nread && !bad && complete)
			v4_say(&hn, OK, evidence(v, nv, nodes[i]),
			       "%zu NPU ports, each on a switch port of its own", nread);
	}
	for (size_t i = 0; i < nv; i++)
		free(v[i].why);
	free(v);
}

const struct v4_check v4_check_lldp = {
	.id = "lldp",
	.title = "NPU RoCE ports each cabled to a switch port of their own (LLDP)",
	.explain =
		"Symptom: HCCL link setup times out between nodes (EI0006), collectives are slow or\n"
		"  flap on some NPUs, although every link reads UP.\n"
		"Cause: cabling. Two NPU ports on one switch port (a doubled or swapped cable), or a\n"
		"  port whose neighbour sends no LLDP, so nothing confirms where it ends.\n"
		"Fix: `hccn_tool -i N -lldp -g` names the switch port (Port ID TLV, Ifname) each NPU\n"
		"  is cabled to; recable so that every NPU has its own port, or enable LLDP on the\n"
		"  switch. Ports whose link is down are left to the roce check.\n"
		"  The switch ports seen are in the evidence of `v4check lldp -o json`.",
	.probes_doc = "npu-smi info (NPU list); hccn_tool -i N -link -g and hccn_tool -i N -lldp -g "
		      "for each NPU N, one call at a time per NPU",
	.findings = findings,
	.tier = V4_TIER_STANDARD,
	.cost_ms = 300, /* 16 hccn_tool calls a node, like roce's (bench/tiers.sh) */
	.probes = lldp_probes,
	.evaluate = lldp_evaluate,
};
