/* fabric: the NPU RoCE fabric is lossless and its ports healthy: no port
 * flapping, every module's optical power within its own thresholds, and PFC
 * on the same priorities on every NPU of every node.
 *
 * A port that goes down and up again for a second reads UP at any instant
 * (the roce check's `-link -g`), yet each flap breaks the collectives that
 * were running: HCCL reports ERROR CQE or a notify wait timeout on the node,
 * often blaming the peer. hccn_tool keeps each port's link history
 * (`hccn_tool -i N -link_stat -g`, format in the hicann/hccl fault diagnosis
 * guide); more than 5 link-downs in 24 hours is what MindCluster's ascend-fd
 * inspection counts as flapping. Owner split: the port's state now, its
 * health and address are roce's; its history is this check's.
 *
 * A RoCE fabric is lossless only when every NPU pauses the same priority
 * the switch does: an NPU whose PFC differs drops under load, and HCCL then
 * retransmits (EI0006/EI0013, a step that takes seconds). `hccn_tool -i N
 * -pfc -g` prints the eight priorities' PFC switches (hicann/hixl
 * troubleshooting guide: the NPU and the switch must agree, priority 4
 * recommended). A weak or failing module shows in `hccn_tool -i N -optical
 * -g`: each lane's Tx and Rx power and the module's own low and high
 * thresholds, printed beside them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hccnfab.h"
#include "linkstat.h"

#define FINDINGS(F)                                                                            \
	F(OK, PASS, "no NPU port went down within the window, optics within their thresholds")\
	F(LINK_FLAPPING, FAIL,                                                                 \
	  "an NPU port went down more than flap_max times within flap_window_h hours")         \
	F(LINK_DOWN_RECENT, WARN, "an NPU port went down within the window (not yet flapping)") \
	F(OPTICAL_POWER, FAIL,                                                                 \
	  "a lane's Tx or Rx optical power is outside the module's own thresholds")            \
	F(PFC_MISMATCH, FAIL,                                                                  \
	  "an NPU has PFC on other priorities than the other NPUs of the cluster")             \
	F(PFC_OFF, WARN, "no NPU has PFC on any priority: the RoCE fabric is not lossless")    \
	F(PROBE_FAILED, ERROR,                                                                 \
	  "the NPU list, or an NPU's link history, optical module or PFC could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"flap_window_h", 24, "hours of link history looked at, back from the NPU's current time"},
	{"flap_max", 5, "link-downs within the window that are still not flapping (ascend-fd: 5 in 24 h)"},
	{NULL, 0, NULL},
};

static void fab_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL;
	(void)c;
	(void)ctx;
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nids, &why) == 0)
		for (size_t i = 0; i < nids; i++) {
			hccn_get_add(ps, "link-stat", "link_stat", ids[i]);
			hccn_get_add(ps, "optical", "optical", ids[i]);
			hccn_get_add(ps, "pfc", "pfc", ids[i]);
		}
	free(ids);
	free(why);
}

/* Link-downs of ls within hours before its current time. */
static size_t downs_within(const struct v4_linkstat *ls, double hours)
{
	size_t k = 0;
	for (size_t i = 0; i < ls->ndown; i++)
		k += ls->down_at[i] <= ls->now && (double)(ls->now - ls->down_at[i]) <= hours * 3600.0;
	return k;
}

/* Judges NPU npu of the node; 1 when it has a finding. */
static int judge_npu(const struct v4_rep *h, const struct v4_node *n, int npu, double hours,
		     double max, cJSON *ev)
{
	char id[64], *why = NULL, *err = NULL;
	struct v4_linkstat ls;
	int bad = 1;
	hccn_id(id, sizeof id, "link-stat", npu);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (!f) {
		char *m = xasprintf("NPU %d: %s", npu, why ? why : "no link history");
		v4_say_unchecked(h, m);
		free(m);
	} else if (v4_parse_linkstat(f->out, f->out_len, &ls, &err) != 0) {
		char *m = xasprintf("NPU %d: %s: %s", npu, f->cmd, err);
		v4_say_unchecked(h, m);
		free(m);
	} else {
		size_t k = downs_within(&ls, hours);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "npu", npu);
		cJSON_AddNumberToObject(e, "link_downs_in_window", (double)k);
		cJSON_AddNumberToObject(e, "link_up_count", (double)ls.up_count);
		if (ls.down_count >= 0)
			cJSON_AddNumberToObject(e, "link_down_count", (double)ls.down_count);
		cJSON_AddItemToArray(ev, e);
		if ((double)k > max)
			v4_say(h, LINK_FLAPPING, NULL,
			       "NPU %d: the link went down %zu times in the last %g h (more than %g): a "
			       "flapping port (optics, cable or switch port)", npu, k, hours, max);
		else if (k)
			v4_say(h, LINK_DOWN_RECENT, NULL,
			       "NPU %d: the link went down %zu time(s) in the last %g h", npu, k, hours);
		bad = k > 0;
		free(ls.down_at);
	}
	free(why);
	free(err);
	return bad;
}


/* Reads the fact id of node n, parsed by parse into out; 0, or -1 after an
 * ERROR naming NPU npu. */
static int read_npu_fact(const struct v4_rep *h, const struct v4_node *n, int npu, const char *id,
			 int (*parse)(const char *, size_t, void *, char **), void *out)
{
	char *why = NULL, *err = NULL, *m = NULL;
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (!f)
		m = xasprintf("NPU %d: %s", npu, why ? why : "not read");
	else if (parse(f->out, f->out_len, out, &err) != 0)
		m = xasprintf("NPU %d: %s: %s", npu, f->cmd, err);
	if (m)
		v4_say_unchecked(h, m);
	free(m);
	free(why);
	free(err);
	return m ? -1 : 0;
}

static int parse_optical(const char *t, size_t n, void *o, char **err)
{
	return v4_parse_optical(t, n, o, err);
}

static int parse_pfc(const char *t, size_t n, void *o, char **err)
{
	return v4_parse_pfc(t, n, o, err);
}

/* Adds to b what is wrong with lane value v against the thresholds lo, hi. */
static void lane_verdict(struct sbuf *b, const char *dir, int lane, const struct v4_optval *v,
			 const struct v4_optval *lo, const struct v4_optval *hi)
{
	if (v->kind != V4_OPT_MW)
		return;
	if (lo->kind == V4_OPT_MW && v->mw < lo->mw)
		sbuf_printf(b, "%s%s lane %d %.4f mW below the module low threshold %.4f mW", b->len ? "; " : "",
			    dir, lane, v->mw, lo->mw);
	else if (hi->kind == V4_OPT_MW && v->mw > hi->mw)
		sbuf_printf(b, "%s%s lane %d %.4f mW above the module high threshold %.4f mW", b->len ? "; " : "",
			    dir, lane, v->mw, hi->mw);
}

/* 1 when the module printed power values and the thresholds they meet. */
static int has_readings(const struct v4_optical *o)
{
	int any = 0;
	for (int l = 0; l < 4; l++)
		any |= (o->tx[l].kind == V4_OPT_MW && o->tx_lo.kind == V4_OPT_MW && o->tx_hi.kind == V4_OPT_MW) ||
		       (o->rx[l].kind == V4_OPT_MW && o->rx_lo.kind == V4_OPT_MW && o->rx_hi.kind == V4_OPT_MW);
	return any;
}

/* Optical evidence of one NPU. */
static cJSON *optical_json(int npu, const struct v4_optical *o)
{
	cJSON *e = cJSON_CreateObject(), *tx = cJSON_CreateArray(), *rx = cJSON_CreateArray();
	cJSON_AddNumberToObject(e, "npu", npu);
	cJSON_AddBoolToObject(e, "present", o->present);
	for (int l = 0; l < 4; l++) {
		if (o->tx[l].kind == V4_OPT_MW)
			cJSON_AddItemToArray(tx, cJSON_CreateNumber(o->tx[l].mw));
		if (o->rx[l].kind == V4_OPT_MW)
			cJSON_AddItemToArray(rx, cJSON_CreateNumber(o->rx[l].mw));
	}
	cJSON_AddItemToObject(e, "tx_mw", tx);
	cJSON_AddItemToObject(e, "rx_mw", rx);
	const struct v4_optval *th[] = {&o->tx_lo, &o->tx_hi, &o->rx_lo, &o->rx_hi};
	const char *names[] = {"tx_low_mw", "tx_high_mw", "rx_low_mw", "rx_high_mw"};
	for (int i = 0; i < 4; i++)
		if (th[i]->kind == V4_OPT_MW)
			cJSON_AddNumberToObject(e, names[i], th[i]->mw);
	return e;
}

/* Judges NPU npu's optical module; 1 when it has a finding or could not be
 * read, 2 when it printed no readings to judge. */
static int judge_optical(const struct v4_rep *h, const struct v4_node *n, int npu, cJSON *ev)
{
	char id[64];
	struct v4_optical o;
	hccn_id(id, sizeof id, "optical", npu);
	if (read_npu_fact(h, n, npu, id, parse_optical, &o) != 0)
		return 1;
	struct sbuf b = {0};
	for (int l = 0; l < 4; l++) {
		lane_verdict(&b, "Tx", l, &o.tx[l], &o.tx_lo, &o.tx_hi);
		lane_verdict(&b, "Rx", l, &o.rx[l], &o.rx_lo, &o.rx_hi);
	}
	cJSON_AddItemToArray(ev, optical_json(npu, &o));
	int r = b.len ? 1 : has_readings(&o) ? 0 : 2;
	if (b.len)
		v4_say(h, OPTICAL_POWER, optical_json(npu, &o),
		       "NPU %d: %s: a weak or failing module, fibre or far end (clean or replace them)", npu, b.s);
	sbuf_free(&b);
	return r;
}

/* One NPU's PFC: its node, id and priorities as a bit mask (-1: not read). */
struct npu_pfc {
	size_t node;
	int npu, mask;
};

/* The priorities of mask, "4" or "3,4", or "none". Caller frees. */
static char *prio_list(int mask)
{
	struct sbuf b = {0};
	for (int p = 0; p < 8; p++)
		if (mask & 1 << p)
			sbuf_printf(&b, "%s%d", b.len ? "," : "", p);
	if (!b.len)
		sbuf_adds(&b, "none");
	return sbuf_take(&b);
}

/* Reads NPU npu's PFC switches into v; -1 after an ERROR. */
static int read_pfc(const struct v4_rep *h, const struct v4_node *n, int npu, struct npu_pfc *v)
{
	char id[64];
	struct v4_pfc p;
	hccn_id(id, sizeof id, "pfc", npu);
	v->npu = npu;
	v->mask = -1;
	if (read_npu_fact(h, n, npu, id, parse_pfc, &p) != 0)
		return -1;
	v->mask = 0;
	for (int k = 0; k < 8; k++)
		v->mask |= p.enabled[k] << k;
	return 0;
}

/* The mask held by a strict majority of the NPUs, counting the unread
 * NPUs as differing from it, or -1 (none such); *nread the NPUs read. */
static int pfc_majority(const struct npu_pfc *v, size_t nv, size_t unread, size_t *nread)
{
	size_t count[256] = {0};
	*nread = 0;
	for (size_t i = 0; i < nv; i++)
		if (v[i].mask >= 0)
			count[v[i].mask]++, (*nread)++;
	for (int m = 0; m < 256; m++)
		if (count[m] * 2 > *nread + unread)
			return m;
	return -1;
}

/* PFC evidence: every NPU read, by node. */
static cJSON *pfc_json(const struct npu_pfc *v, size_t nv, struct v4_node *const *nodes)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < nv; i++) {
		if (v[i].mask < 0)
			continue;
		cJSON *a = cJSON_GetObjectItemCaseSensitive(o, nodes[v[i].node]->name);
		if (!a)
			a = cJSON_AddObjectToObject(o, nodes[v[i].node]->name);
		char k[16], *l = prio_list(v[i].mask);
		snprintf(k, sizeof k, "%d", v[i].npu);
		cJSON_AddStringToObject(a, k, l);
		free(l);
	}
	return o;
}

/* Cross-node PFC verdicts over the NPUs read (unread of them not): marks
 * same[node] for a node whose NPUs were all read and all match the majority
 * (its pass says so; a node's pass states only what passed). */
static void judge_pfc(const struct v4_rep *h, struct v4_node *const *nodes, const struct npu_pfc *v,
		      size_t nv, size_t unread, int *same)
{
	size_t nread;
	int m = pfc_majority(v, nv, unread, &nread);
	if (!nread)
		return;
	if (m < 0 && !unread)
		v4_say(h, PFC_MISMATCH, pfc_json(v, nv, nodes),
		       "PFC differs between the NPUs with no majority (see the evidence): the fabric drops "
		       "where it does not match the switch");
	else if (m == 0)
		v4_say(h, PFC_OFF, pfc_json(v, nv, nodes),
		       "PFC is on no priority on %zu NPUs: RoCE traffic is dropped and retransmitted under "
		       "load (enable the switch's lossless priority, e.g. hccn_tool -i N -pfc -s bitmap "
		       "0,0,0,0,1,0,0,0)", nread);
	if (m <= 0)
		return;
	char *ml = prio_list(m);
	for (size_t i = 0; i < nv; i++)
		same[v[i].node] = 1;
	for (size_t i = 0; i < nv; i++) {
		if (v[i].mask == m)
			continue;
		same[v[i].node] = 0;
		if (v[i].mask < 0)
			continue;
		struct v4_rep hn = v4_rep_at(h, nodes[v[i].node]);
		char *l = prio_list(v[i].mask);
		v4_say(&hn, PFC_MISMATCH, pfc_json(v + i, 1, nodes),
		       "NPU %d: PFC on priority %s, the other NPUs of the cluster on %s: this port is not "
		       "lossless where the others are", v[i].npu, l, ml);
		free(l);
	}
	free(ml);
}

/* Judges node k's link history and optics, and appends its NPUs' PFC to *pv
 * (*nv of *cap used, grown here). Returns 1 when the node has a finding or an
 * ERROR, -1 when its NPUs could not be listed, else 0. */
static int judge_node(const struct v4_rep *h, struct v4_node *const *nodes, size_t k, struct npu_pfc **pv,
		      size_t *nv, size_t *cap, cJSON *ev, struct sbuf *nodata)
{
	int *ids = NULL, bad = 0;
	size_t nids = 0;
	char *why = NULL;
	double hours = v4_param(h->ctx, h->check, "flap_window_h");
	double max = v4_param(h->ctx, h->check, "flap_max");
	if (node_npu_ids(nodes[k], &ids, &nids, &why) != 0) {
		v4_say_unchecked(h, why);
		free(why);
		return -1;
	}
	grow(pv, cap, *nv + nids, sizeof **pv);
	struct npu_pfc *v = *pv;
	cJSON *links = cJSON_AddArrayToObject(ev, "npus"), *optics = cJSON_AddArrayToObject(ev, "optics");
	for (size_t i = 0; i < nids; i++) {
		bad |= judge_npu(h, nodes[k], ids[i], hours, max, links);
		int o = judge_optical(h, nodes[k], ids[i], optics);
		bad |= o == 1;
		if (o == 2)
			sbuf_printf(nodata, "%s%d", nodata->len ? "," : "", ids[i]);
		v[*nv].node = k;
		bad |= read_pfc(h, nodes[k], ids[i], &v[*nv]) != 0;
		(*nv)++;
	}
	free(ids);
	return nids ? bad : 1;
}

static void fab_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	size_t cap = 0, nv = 0;
	struct npu_pfc *v = NULL;
	int *bad = xcalloc(nn + 1, sizeof *bad);
	int *same = xcalloc(nn + 1, sizeof *same);
	size_t unread = 0;
	cJSON **ev = xcalloc(nn + 1, sizeof *ev);
	struct sbuf *nodata = xcalloc(nn + 1, sizeof *nodata);
	size_t *from = xcalloc(nn + 1, sizeof *from);
	for (size_t k = 0; k < nn; k++) {
		struct v4_rep hn = v4_rep_at(h, nodes[k]);
		ev[k] = cJSON_CreateObject();
		from[k] = nv;
		bad[k] = judge_node(&hn, nodes, k, &v, &nv, &cap, ev[k], &nodata[k]);
		unread += bad[k] < 0 ? (size_t)expected_npus(h->ctx) : 0;
	}
	for (size_t i = 0; i < nv; i++)
		unread += v[i].mask < 0;
	judge_pfc(h, nodes, v, nv, unread, same);
	double hours = v4_param(h->ctx, h->check, "flap_window_h");
	for (size_t k = 0; k < nn; k++) {
		struct v4_rep hn = v4_rep_at(h, nodes[k]);
		size_t nk = (k + 1 < nn ? from[k + 1] : nv) - from[k];
		if (!bad[k])
			v4_say(&hn, OK, ev[k],
			       "%zu NPU ports, no link-down in the last %g h, optical power within the module "
			       "thresholds%s%s%s%s", nk, hours, nodata[k].len ? " (no readings on NPU " : "",
			       nodata[k].len ? nodata[k].s : "", nodata[k].len ? ")" : "",
			       same[k] ? ", PFC as on the other NPUs" : "");
		else
			cJSON_Delete(ev[k]);
		sbuf_free(&nodata[k]);
	}
	free(v);
	free(bad);
	free(same);
	free(ev);
	free(nodata);
	free(from);
}

const struct v4_check v4_check_fabric = {
	.id = "fabric",
	.title = "NPU RoCE fabric lossless and healthy (flaps, optical power, PFC)",
	.explain =
		"Symptom: collectives fail now and then with ERROR CQE, a notify wait timeout or\n"
		"  EI0006/EI0013 retries, often on another node, although every link reads UP; or\n"
		"  the bus bandwidth collapses and steps take seconds longer on some ranks.\n"
		"Cause: a port that drops for a second and comes back: weak optics, a bad cable or\n"
		"  switch port. The instant state (`hccn_tool -i N -link -g`, the roce check) does not\n"
		"  show it; the port's history does. Or a lossy fabric: an NPU whose PFC is on other\n"
		"  priorities than the switch's and the other NPUs' drops under load, and RoCE\n"
		"  retransmits (hicann/hixl v9.1.0\n"
		"  .agents/skills/hixl-troubleshoot/references/guides.md:322: the NPU and the\n"
		"  switch must agree on PFC, priority 4 recommended).\n"
		"Fix: `hccn_tool -i N -link_stat -g` lists the link-downs (hicann/hccl\n"
		"  docs/zh/user_guide/fault_diagnosis/task_exec_stage.md); more than 5 link-downs in\n"
		"  24 h is flapping, as MindCluster's ascend-fd inspection counts it\n"
		"  (checks.fabric.flap_max, flap_window_h); fewer is a warning.\n"
		"  `hccn_tool -i N -optical -g` prints each lane's Tx and Rx power with the module's\n"
		"  own low and high thresholds (Ascend/mind-cluster@22bb3d98\n"
		"  docs/en/faultdiag/user_guide/03_collecting_logs.md:773): a lane outside them is\n"
		"  a failing module, a dirty or broken fibre or a weak far end; clean or replace the\n"
		"  module or cable, or move to another switch port.\n"
		"  `hccn_tool -i N -pfc -g` prints which priorities pause: make every NPU match the\n"
		"  switch (`hccn_tool -i N -pfc -s bitmap 0,0,0,0,1,0,0,0` for priority 4).",
	.probes_doc = "npu-smi info (NPU list); hccn_tool -i N -link_stat -g, hccn_tool -i N -optical -g "
		      "and hccn_tool -i N -pfc -g for each NPU N, one call at a time per NPU",
	.findings = findings,
	.tier = V4_TIER_STANDARD,
	.cost_ms = 290, /* bench/tiers.sh: alone on one node, three hccn_tool calls an NPU */
	.params = params,
	.probes = fab_probes,
	.evaluate = fab_evaluate,
};
