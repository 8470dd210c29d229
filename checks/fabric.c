/* fabric: no NPU RoCE port has been flapping.
 *
 * A port that goes down and up again for a second reads UP at any instant
 * (the roce check's `-link -g`), yet each flap breaks the collectives that
 * were running: HCCL reports ERROR CQE or a notify wait timeout on the node,
 * often blaming the peer. hccn_tool keeps each port's link history
 * (`hccn_tool -i N -link_stat -g`, format in the hicann/hccl fault diagnosis
 * guide); more than 5 link-downs in 24 hours is what MindCluster's ascend-fd
 * inspection counts as flapping. Owner split: the port's state now, its
 * health and address are roce's; its history is this check's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "linkstat.h"

#define FINDINGS(F)                                                                            \
	F(OK, PASS, "no NPU port went down within the window")                                 \
	F(LINK_FLAPPING, FAIL,                                                                 \
	  "an NPU port went down more than flap_max times within flap_window_h hours")         \
	F(LINK_DOWN_RECENT, WARN, "an NPU port went down within the window (not yet flapping)") \
	F(PROBE_FAILED, ERROR, "the NPU list or an NPU's link history could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"flap_window_h", 24, "hours of link history looked at, back from the NPU's current time"},
	{"flap_max", 5, "link-downs within the window that are still not flapping (ascend-fd: 5 in 24 h)"},
	{NULL, 0, NULL},
};

static void fab_id(char *buf, size_t sz, int npu)
{
	snprintf(buf, sz, "hccn-link-stat.%d", npu);
}

static void fab_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL, id[64];
	(void)c;
	(void)ctx;
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nids, &why) == 0)
		for (size_t i = 0; i < nids; i++) {
			fab_id(id, sizeof id, ids[i]);
			hccn_probe_add(ps, id, ids[i], "hccn_tool -i %d -link_stat -g", ids[i]);
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
	fab_id(id, sizeof id, npu);
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

static void fab_node(const struct v4_rep *h, const struct v4_node *n)
{
	int *ids = NULL;
	size_t nids = 0, bad = 0;
	char *why = NULL;
	double hours = v4_param(h->ctx, h->check, "flap_window_h");
	double max = v4_param(h->ctx, h->check, "flap_max");
	if (node_npu_ids(n, &ids, &nids, &why) != 0) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "npus");
	for (size_t i = 0; i < nids; i++)
		bad += (size_t)judge_npu(h, n, ids[i], hours, max, arr);
	if (!bad && nids)
		v4_say(h, OK, ev, "%zu NPU ports, no link-down in the last %g h", nids, hours);
	else
		cJSON_Delete(ev);
	free(ids);
	free(why);
}

const struct v4_check v4_check_fabric = {
	.id = "fabric",
	.title = "NPU RoCE ports not flapping (link history)",
	.explain =
		"Symptom: collectives fail now and then with ERROR CQE, a notify wait timeout or\n"
		"  EI0006/EI0013 retries, often on another node, although every link reads UP.\n"
		"Cause: a port that drops for a second and comes back: weak optics, a bad cable or\n"
		"  switch port. The instant state (`hccn_tool -i N -link -g`, the roce check) does not\n"
		"  show it; the port's history does.\n"
		"Fix: `hccn_tool -i N -link_stat -g` lists the link-downs (hicann/hccl\n"
		"  docs/zh/user_guide/fault_diagnosis/task_exec_stage.md); check the module's optical\n"
		"  power (`hccn_tool -i N -optical -g`), reseat or replace the module or cable, or\n"
		"  move to another switch port. More than 5 link-downs in 24 h is flapping, as\n"
		"  MindCluster's ascend-fd inspection counts it (checks.fabric.flap_max,\n"
		"  flap_window_h); fewer is a warning.",
	.probes_doc = "npu-smi info (NPU list); hccn_tool -i N -link_stat -g for each NPU N",
	.findings = findings,
	.tier = V4_TIER_STANDARD,
	.cost_ms = 200, /* one probe a node (fabric: one hccn_tool call an NPU) */
	.params = params,
	.probes = fab_probes,
	.evaluate_node = fab_node,
};
