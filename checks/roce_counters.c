/* roce-counters: no NPU RoCE port is counting errors or pauses right now.
 *
 * A lossy or degraded port keeps working: RoCE retransmits what was dropped,
 * and a collective that should take milliseconds takes seconds (a notify
 * wait of about 4 s in the profile). The port's counters tell it:
 * `hccn_tool -i N -stat -g` prints "packet statistics:" and name:count lines
 * (MindCluster FaultDiag collects it before and after a job; hicann/hccl
 * docs/zh/user_guide/perf_analysis/switch_congestion_loss.md:
 * roce_new_pkt_rty_num growing during a task means packets were lost and
 * retransmitted). The counts only ever grow since the port came up,
 * so their size says little; their growth does. This check reads them twice,
 * interval_s apart, in one run: error counters that grew are a FAIL, pause
 * (PFC) counters that grew a WARN (congestion or a pause storm). It waits
 * seconds per node, so it is in the deep tier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hccnfab.h"

#define FINDINGS(F)                                                                              \
	F(OK, PASS, "no error or pause counter of any NPU port grew between the two reads")      \
	F(COUNTERS_ERRORS, FAIL,                                                                 \
	  "an NPU port's error or retransmission counters grew between the two reads")           \
	F(COUNTERS_PAUSE, WARN, "an NPU port's pause (PFC) counters grew between the two reads") \
	F(PROBE_FAILED, ERROR,                                                                   \
	  "the NPU list or a read of an NPU's counters could not be had, or they went back")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"interval_s", 3, "seconds between the two reads of the counters (1 to 60)"},
	{NULL, 0, NULL},
};

/* The counters whose growth is an error, by their names in -stat -g (the
 * names hicann/driver tool_display_stat_info prints). */
static const char *const error_counters[] = {
	"roce_rx_err_pkt_num",       "roce_tx_err_pkt_num",   "roce_qp_status_err_num",
	"roce_verification_err_num", "roce_out_of_order_num", "roce_new_pkt_rty_num",
	"mac_rx_bad_pkt_num",        "mac_tx_bad_pkt_num",    "mac_rx_fcs_err_pkt_num",
};
/* The pause counters: growth is congestion (or a storm), not yet loss. */
static const char *const pause_counters[] = {
	"mac_tx_mac_pause_num",
	"mac_rx_mac_pause_num",
	"mac_tx_pfc_pkt_num",
	"mac_rx_pfc_pkt_num",
};

#define P_WAIT "roce-counters-wait"

/* The probe id of read k (1 or 2) of NPU npu. */
static void stat_id(char *buf, size_t sz, int k, int npu)
{
	snprintf(buf, sz, "hccn-stat%d.%d", k, npu);
}

/* The interval as a whole number of seconds in [1, 60]. */
static int interval_s(const struct v4_ctx *ctx, const struct v4_check *c)
{
	double s = v4_param(ctx, c, "interval_s");
	return s < 1 ? 1 : s > 60 ? 60 : (int)s;
}

/* 1 when every NPU of ids has a fact of read k. */
static int all_read(const struct v4_node *n, const int *ids, size_t nids, int k)
{
	char id[64];
	for (size_t i = 0; i < nids; i++) {
		stat_id(id, sizeof id, k, ids[i]);
		if (!v4_fact(n, id))
			return 0;
	}
	return 1;
}

/* Read 1 of every NPU; once all are in, the wait; after it, read 2. */
static void rc_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		      struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL, id[64];
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nids, &why) == 0 && nids) {
		int k = !all_read(n, ids, nids, 1) ? 1 : v4_fact(n, P_WAIT) ? 2 : 0;
		if (k == 0)
			v4_probe_add(ps, P_WAIT, -1, 0, "sleep %d", interval_s(ctx, c));
		for (size_t i = 0; k && i < nids; i++) {
			stat_id(id, sizeof id, k, ids[i]);
			hccn_probe_add(ps, id, ids[i], "hccn_tool -i %d -stat -g", ids[i]);
		}
	}
	free(ids);
	free(why);
}

/* Reads and parses read k of NPU npu into s; 0, or -1 after an ERROR. */
static int read_stat(const struct v4_rep *h, const struct v4_node *n, int npu, int k,
		     struct v4_hccnstat *s, const struct v4_fact **fp)
{
	char id[64], *why = NULL, *err = NULL, *m = NULL;
	stat_id(id, sizeof id, k, npu);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (!f)
		m = xasprintf("NPU %d: read %d of the counters: %s", npu, k,
			      why ? why : "not read");
	else if (v4_parse_hccnstat(f->out, f->out_len, s, &err) != 0)
		m = xasprintf("NPU %d: %s: %s", npu, f->cmd, err);
	if (m)
		v4_say_unchecked(h, m);
	*fp = f;
	free(m);
	free(why);
	free(err);
	return m ? -1 : 0;
}

/* Adds to b and e the counters of list that grew from a to b; -1 when one
 * went back (the counters were cleared between the reads), else how many grew. */
static int grown(const struct v4_hccnstat *a, const struct v4_hccnstat *z, const char *const *list,
		 size_t nl, struct sbuf *b, cJSON *e)
{
	int k = 0;
	for (size_t i = 0; i < nl; i++) {
		unsigned long long x, y;
		if (!v4_hccnstat_get(a, list[i], &x) || !v4_hccnstat_get(z, list[i], &y))
			continue;
		if (y < x)
			return -1;
		if (y > x) {
			sbuf_printf(b, "%s%s +%llu", b->len ? ", " : "", list[i], y - x);
			cJSON_AddNumberToObject(e, list[i], (double)(y - x));
			k++;
		}
	}
	return k;
}

/* " in 3.0 s" from the two reads' end times, or "" when not recorded. */
static void apart(char *buf, size_t sz, const struct v4_fact *f1, const struct v4_fact *f2)
{
	double d = f1->at1 > 0 && f2->at1 > f1->at1 ? f2->at1 - f1->at1 : 0;
	if (d > 0)
		snprintf(buf, sz, " in %.1f s", d);
	else
		buf[0] = '\0';
}

/* Judges NPU npu: 0 when nothing grew, 1 on a finding or an ERROR. */
static int judge_npu(const struct v4_rep *h, const struct v4_node *n, int npu, cJSON *ev)
{
	struct v4_hccnstat *s = xcalloc(2, sizeof *s);
	const struct v4_fact *f1, *f2;
	int bad = 1;
	if (read_stat(h, n, npu, 1, &s[0], &f1) == 0 && read_stat(h, n, npu, 2, &s[1], &f2) == 0) {
		struct sbuf be = {0}, bp = {0};
		cJSON *e = cJSON_CreateObject(), *ge = cJSON_AddObjectToObject(e, "grown");
		cJSON_AddNumberToObject(e, "npu", npu);
		char when[32];
		apart(when, sizeof when, f1, f2);
		int ke = grown(&s[0], &s[1], error_counters, V4_ARRAY_LEN(error_counters), &be, ge);
		int kp = ke < 0 ? 0
				: grown(&s[0], &s[1], pause_counters, V4_ARRAY_LEN(pause_counters),
					&bp, ge);
		if (ke < 0 || kp < 0) {
			char *m = xasprintf(
				"NPU %d: a counter went back between the reads (cleared with -stat -c?): "
				"not judged",
				npu);
			v4_say_unchecked(h, m);
			free(m);
		} else if (ke)
			v4_say(h, COUNTERS_ERRORS, cJSON_Duplicate(e, 1),
			       "NPU %d: %s%s: the port drops or corrupts packets and RoCE retransmits "
			       "(optics, cable, switch port or PFC)",
			       npu, be.s, when);
		if (kp > 0)
			v4_say(h, COUNTERS_PAUSE, cJSON_Duplicate(e, 1),
			       "NPU %d: %s%s: the port is paused or pausing (congestion or a PFC storm)",
			       npu, bp.s, when);
		bad = ke != 0 || kp != 0;
		cJSON_AddItemToArray(ev, e);
		sbuf_free(&be);
		sbuf_free(&bp);
	}
	free(s);
	return bad;
}

static void rc_node(const struct v4_rep *h, const struct v4_node *n)
{
	int *ids = NULL;
	size_t nids = 0, bad = 0;
	char *why = NULL;
	if (node_npu_ids(n, &ids, &nids, &why) != 0) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "npus");
	for (size_t i = 0; i < nids; i++)
		bad += (size_t)judge_npu(h, n, ids[i], arr);
	if (!bad && nids)
		v4_say(h, OK, ev,
		       "%zu NPU ports: no error or pause counter grew between the two reads", nids);
	else
		cJSON_Delete(ev);
	free(ids);
	free(why);
}

const struct v4_check v4_check_roce_counters = {
	.id = "roce-counters",
	.title = "NPU RoCE ports not counting errors or pauses (two reads of -stat -g)",
	.explain =
		"Symptom: collectives slow down or stall for seconds (a notify wait of about 4 s in\n"
		"  the profile), bus bandwidth far below the link's, intermittent EI0006/EI0013 or\n"
		"  ERROR CQE, while every link reads UP and healthy.\n"
		"Cause: packets dropped or corrupted on the fabric and retransmitted: a degraded\n"
		"  module or cable, a bad switch port, PFC that does not match the switch, or a\n"
		"  congested or storming priority.\n"
		"Fix: `hccn_tool -i N -stat -g` prints the port's counters; read it twice. Growth of\n"
		"  roce_new_pkt_rty_num during a task means loss and retransmission (hicann/hccl\n"
		"  v9.1.0-beta.3 docs/zh/user_guide/perf_analysis/switch_congestion_loss.md:3);\n"
		"  growing roce_rx_err_pkt_num, roce_tx_err_pkt_num,\n"
		"  roce_qp_status_err_num, roce_verification_err_num, roce_out_of_order_num or the\n"
		"  mac_*_bad_pkt_num counters point at the port, its optics and cable (see the fabric\n"
		"  check's optical power) or the switch port. Growing pause counters\n"
		"  (mac_*_mac_pause_num, mac_*_pfc_pkt_num) are congestion or a PFC storm: check\n"
		"  the switch's queues and that PFC matches on both ends. This check reads the\n"
		"  counters twice, checks.roce-counters.interval_s apart (deep tier).",
	.probes_doc = "npu-smi info (NPU list); hccn_tool -i N -stat -g for each NPU N, then sleep "
		      "interval_s, then hccn_tool -i N -stat -g again",
	.findings = findings,
	.tier = V4_TIER_DEEP,
	.cost_ms = 3300, /* bench/tiers.sh: alone on one node (3 s of it the wait) */
	.params = params,
	.probes = rc_probes,
	.evaluate_node = rc_node,
};
