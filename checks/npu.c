/* npu: every expected NPU is present, healthy, of the configured type and HBM
 * size, and has no uncorrected ECC errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "faultlevel.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "every expected NPU is present, healthy, of the right type, ECC clean")  \
	F(NPU_MISSING, FAIL, "fewer NPUs in npu-smi info than deployment.npus_per_node")     \
	F(NPU_UNHEALTHY, FAIL,                                                               \
	  "an NPU's Health is not OK (Warning, Alarm, Critical, UNKNOWN ...)")               \
	F(NPU_FAULT_ACT, FAIL,                                                               \
	  "an NPU's fault code (npu-smi info -t health) is one MindCluster acts on: "        \
	  "restart, reset or isolate")                                                       \
	F(NPU_FAULT_MINOR, WARN,                                                             \
	  "an NPU's fault code is one MindCluster leaves alone or calls sub-health")         \
	F(NPU_WRONG_TYPE, FAIL, "an NPU's chip name differs from deployment.npu_name")       \
	F(HBM_SIZE, FAIL, "an NPU's HBM total differs from deployment.hbm_total_mb")         \
	F(ECC_UNCORRECTED, FAIL,                                                             \
	  "an NPU reports HBM or DDR double-bit (uncorrected) ECC errors")                   \
	F(ECC_CORRECTED, WARN,                                                               \
	  "an NPU reports more single-bit (corrected) ECC errors than ecc_single_warn")      \
	F(HBM_ISOLATED_PAGES, WARN,                                                          \
	  "an NPU has HBM pages isolated after ECC errors (npu-smi info -t ecc)")            \
	F(PROBE_FAILED, ERROR, "npu-smi info or an NPU's ECC counters could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"ecc_single_warn", 100, "single-bit (corrected) ECC errors per NPU above which to warn"},
	{NULL, 0, NULL},
};

/* Probe id of NPU id's "-t kind" query. */
static void kind_id(char *buf, size_t sz, const char *kind, int id)
{
	snprintf(buf, sz, "npu-smi-%s.%d", kind, id);
}

static void npu_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	struct v4_npusmi s;
	char *why = NULL, id[48];
	(void)c;
	(void)ctx;
	want_npus(n, ps);
	if (node_npusmi(n, &s, &why) == 0)
		for (size_t i = 0; i < s.nnpu; i++) {
			if (s.npus[i].chip != 0 && i && s.npus[i - 1].id == s.npus[i].id)
				continue;
			kind_id(id, sizeof id, "ecc", s.npus[i].id);
			v4_probe_add(ps, id, -1, 0, "npu-smi info -t ecc -i %d", s.npus[i].id);
			if (strcmp(s.npus[i].health, "OK") != 0) {
				kind_id(id, sizeof id, "health", s.npus[i].id);
				v4_probe_add(ps, id, -1, 0, "npu-smi info -t health -i %d", s.npus[i].id);
			}
		}
	v4_npusmi_free(&s);
	free(why);
}

/* ECC counts of one NPU, summed over its chips. */
struct ecc {
	long dbe, sbe;   /* current double / single bit error counts, HBM + DDR */
	long dbe_total;  /* aggregate (lifetime) double-bit count */
	long iso;        /* HBM single- and double-bit isolated pages */
};

/* Adds the numeric value of kv entry e to *acc when its key is one of the
 * two labels (HBM and DDR variants). */
static void ecc_add(const struct v4_kv *e, const char *what, long *acc)
{
	char hbm[64], ddr[64];
	snprintf(hbm, sizeof hbm, "HBM %s", what);
	snprintf(ddr, sizeof ddr, "DDR %s", what);
	if (strcmp(e->key, hbm) == 0 || strcmp(e->key, ddr) == 0)
		*acc += strtol(e->val, NULL, 10) > 0 ? strtol(e->val, NULL, 10) : 0;
}

/* Parses `npu-smi info -t ecc -i N`; -1 and *why when unusable. */
static int read_ecc(const struct v4_node *n, int id, struct ecc *e, char **why)
{
	char pid[48], *err = NULL;
	struct v4_kvs kv = {0};
	kind_id(pid, sizeof pid, "ecc", id);
	memset(e, 0, sizeof *e);
	const struct v4_fact *f = v4_fact_ok(n, pid, 0, why);
	if (!f)
		return -1;
	if (v4_parse_npusmi_t(f->out, f->out_len, "ecc", &kv, &err) != 0) {
		char *ex = v4_excerpt(f->out, f->out_len, 120);
		*why = xasprintf("%s: output not understood: %s (output: '%s')", f->cmd, err ? err : "?", ex);
		free(ex);
		free(err);
		v4_kvs_free(&kv);
		return -1;
	}
	for (size_t i = 0; i < kv.n; i++) {
		ecc_add(&kv.v[i], "Double Bit Error Count", &e->dbe);
		ecc_add(&kv.v[i], "Single Bit Error Count", &e->sbe);
		ecc_add(&kv.v[i], "Double Bit Aggregate Total Err Cnt", &e->dbe_total);
		if (strcmp(kv.v[i].key, "HBM Single Bit Isolated Pages Count") == 0 ||
		    strcmp(kv.v[i].key, "HBM Double Bit Isolated Pages Count") == 0)
			e->iso += strtol(kv.v[i].val, NULL, 10) > 0 ? strtol(kv.v[i].val, NULL, 10) : 0;
	}
	v4_kvs_free(&kv);
	return 0;
}

/* The `-t health` detail of an NPU as an object, or NULL. */
static cJSON *health_detail(const struct v4_node *n, int id)
{
	char pid[48], *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	kind_id(pid, sizeof pid, "health", id);
	const struct v4_fact *f = v4_fact_ok(n, pid, 0, &why);
	cJSON *o = NULL;
	if (f && v4_parse_npusmi_t(f->out, f->out_len, "health", &kv, &err) == 0) {
		o = cJSON_CreateObject();
		for (size_t i = 0; i < kv.n; i++)
			cJSON_AddStringToObject(o, kv.v[i].key, kv.v[i].val);
	} else if (why || err) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", why ? why : err);
	}
	free(why);
	free(err);
	v4_kvs_free(&kv);
	return o;
}

/* What to do at each MindCluster fault level (enum v4_fault_level order). */
static const char *const level_action[] = {
	"MindCluster takes no action; watch whether it recurs",
	"sub-health: the NPU may keep serving; plan maintenance",
	"retry the failed request; the NPU itself is fine",
	"restart the vLLM service on every rank",
	"reset the NPU once it is idle (no restart of the node)",
	"stop the service and reset the NPU before the next deploy",
	"take the NPU out of service once its current work ends",
	"take the NPU out of service: a hardware fault",
};

/* Reports the MindCluster level of the fault code in health detail d, when
 * it is a single code the table knows; adds the level to d. */
static void say_fault_level(const struct v4_rep *h, int id, cJSON *d)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "Error Code");
	enum v4_fault_level l;
	if (!cJSON_IsString(c) || v4_fault_level(c->valuestring, &l) != 0)
		return;
	cJSON_AddStringToObject(d, "fault_level", v4_fault_level_name(l));
	v4_say(h, l >= V4_FAULT_RESTART_REQUEST ? NPU_FAULT_ACT : NPU_FAULT_MINOR, NULL,
	       "NPU %d: fault code %s, MindCluster level %s: %s", id, c->valuestring,
	       v4_fault_level_name(l), level_action[l]);
}

/* Per-node tallies of what was found, as id lists. */
/* Per-node tallies of what was found, as lists of rows of the table (an
 * NPU, or one chip of it where the table lists two per NPU id). */
struct tally {
	const struct v4_npusmi *s;
	int *unhealthy, *wrong, *hbm, *dbe, *sbe, *iso;
	size_t nunhealthy, nwrong, nhbm, ndbe, nsbe, nerr, nok, niso;
};

/* Evidence entry for one NPU of the table. */
static cJSON *npu_evidence(const struct v4_npu *x)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "npu", x->id);
	cJSON_AddNumberToObject(e, "chip", x->chip);
	cJSON_AddStringToObject(e, "name", x->name);
	cJSON_AddStringToObject(e, "health", x->health);
	cJSON_AddStringToObject(e, "bus_id", x->bus_id);
	if (x->has_hbm)
		cJSON_AddNumberToObject(e, "hbm_total_mb", (double)x->hbm_total_mb);
	return e;
}

/* Judges one NPU row (health, name, HBM, ECC), filling the tally and evidence. */
static void judge_npu(const struct v4_rep *h, const struct v4_node *n, int row, struct tally *t, cJSON *e)
{
	const struct v4_npu *x = &t->s->npus[row];
	const struct v4_ctx *ctx = h->ctx;
	const char *want_name = v4_cfg_str(ctx->cfg, "deployment.npu_name", "910B2");
	long want_hbm = (long)v4_cfg_num(ctx->cfg, "deployment.hbm_total_mb", 65536);
	if (strcmp(x->health, "OK") != 0) {
		t->unhealthy[t->nunhealthy++] = row;
		cJSON *d = health_detail(n, x->id);
		if (d) {
			say_fault_level(h, x->id, d);
			cJSON_AddItemToObject(e, "health_detail", d);
		}
	}
	if (want_name && *want_name && strcmp(x->name, want_name) != 0)
		t->wrong[t->nwrong++] = row;
	if (!x->has_hbm || x->hbm_total_mb != want_hbm)
		t->hbm[t->nhbm++] = row;
	if (x->chip != 0)
		return; /* ECC is read per NPU id, once */
	struct ecc ec;
	char *why = NULL;
	if (read_ecc(n, x->id, &ec, &why) != 0) {
		t->nerr++;
		v4_say(h, PROBE_FAILED, NULL, "NPU %d: ECC: %s", x->id, why);
		cJSON_AddStringToObject(e, "ecc_error", why);
		free(why);
		return;
	}
	cJSON_AddNumberToObject(e, "ecc_double_bit", (double)ec.dbe);
	cJSON_AddNumberToObject(e, "ecc_single_bit", (double)ec.sbe);
	cJSON_AddNumberToObject(e, "ecc_double_bit_aggregate", (double)ec.dbe_total);
	cJSON_AddNumberToObject(e, "hbm_isolated_pages", (double)ec.iso);
	if (ec.iso > 0)
		t->iso[t->niso++] = row;
	if (ec.dbe > 0)
		t->dbe[t->ndbe++] = row;
	else if (ec.sbe > (long)v4_param(ctx, h->check, "ecc_single_warn"))
		t->sbe[t->nsbe++] = row;
}

/* "NPU 0-3,6", or "NPU 3 chip 1, NPU 5 chip 0" when the table lists two
 * chips per NPU id: each NPU (or chip) named once. Caller frees. */
static char *rows_list(const struct v4_npusmi *s, const int *rows, size_t n)
{
	struct sbuf b = {0};
	if (!s->two_chip) {
		int *ids = xcalloc(n ? n : 1, sizeof *ids);
		for (size_t i = 0; i < n; i++)
			ids[i] = s->npus[rows[i]].id;
		char *l = id_list(ids, n);
		sbuf_printf(&b, "NPU %s", l);
		free(l);
		free(ids);
		return sbuf_take(&b);
	}
	for (size_t i = 0; i < n; i++) {
		char lab[48];
		v4_npu_label(s, &s->npus[rows[i]], lab, sizeof lab);
		sbuf_printf(&b, "%s%s", b.len ? ", " : "", lab);
	}
	return sbuf_take(&b);
}

/* Adds one finding naming the table rows in rows, when there are any. */
static void report_ids(const struct v4_rep *h, int finding, const struct v4_npusmi *s, const int *rows,
		       size_t nrows, const char *what, cJSON *ev)
{
	if (!nrows)
		return;
	char *list = rows_list(s, rows, nrows);
	v4_say(h, finding, ev ? cJSON_Duplicate(ev, 1) : NULL, "%s: %s", list, what);
	free(list);
}

/* NPU ids in the table (two chips of one id count once). */
static size_t npu_count(const struct v4_npusmi *s)
{
	size_t have = 0;
	for (size_t i = 0; i < s->nnpu; i++)
		have += !i || s->npus[i - 1].id != s->npus[i].id;
	return have;
}

/* Reports the NPUs expected but not in the table; when the table was not
 * read whole, that it cannot be told (ERROR). Returns 1 when bad or unknown. */
static int report_missing(const struct v4_rep *h, const struct v4_npusmi *s, cJSON *ev)
{
	if (!s->npus_whole) {
		v4_say(h, PROBE_FAILED, NULL, "%s: %zu NPUs read; whether any is missing is unknown",
		       v4_npusmi_partial(s), npu_count(s));
		return 1;
	}
	int want = expected_npus(h->ctx);
	int *miss = xcalloc(want > 0 ? (size_t)want : 1, sizeof *miss);
	size_t nmiss = 0, have = npu_count(s);
	for (int id = 0; id < want; id++) {
		size_t k = 0;
		while (k < s->nnpu && s->npus[k].id != id)
			k++;
		if (k == s->nnpu)
			miss[nmiss++] = id;
	}
	int bad = (long)have < want;
	if (bad) {
		char *list = id_list(miss, nmiss);
		v4_say(h, NPU_MISSING, cJSON_Duplicate(ev, 1),
		       "%zu of %d NPUs present%s%s%s", have, want, nmiss ? " (missing: " : "",
		       nmiss ? list : "", nmiss ? ")" : "");
		free(list);
	}
	free(miss);
	return bad;
}

/* Emits the findings of the tally; returns 1 when anything was wrong. */
static int report_tally(const struct v4_rep *h, const struct tally *t, cJSON *ev)
{
	const struct v4_ctx *ctx = h->ctx;
	char what[160];
	report_ids(h, NPU_UNHEALTHY, t->s, t->unhealthy, t->nunhealthy,
		   "Health is not OK (see npu-smi info -t health -i N)", ev);
	snprintf(what, sizeof what, "chip is not the configured %s",
		 v4_cfg_str(ctx->cfg, "deployment.npu_name", "910B2"));
	report_ids(h, NPU_WRONG_TYPE, t->s, t->wrong, t->nwrong, what, ev);
	snprintf(what, sizeof what, "HBM total is not the configured %.0f MB",
		 v4_cfg_num(ctx->cfg, "deployment.hbm_total_mb", 65536));
	report_ids(h, HBM_SIZE, t->s, t->hbm, t->nhbm, what, ev);
	report_ids(h, ECC_UNCORRECTED, t->s, t->dbe, t->ndbe,
		   "uncorrected (double-bit) ECC errors: the NPU's memory is failing", ev);
	snprintf(what, sizeof what, "more than %.0f corrected (single-bit) ECC errors",
		 v4_param(ctx, h->check, "ecc_single_warn"));
	report_ids(h, ECC_CORRECTED, t->s, t->sbe, t->nsbe, what, ev);
	report_ids(h, HBM_ISOLATED_PAGES, t->s, t->iso, t->niso,
		   "HBM pages isolated after ECC errors (HBM Single/Double Bit Isolated Pages Count "
		   "of npu-smi info -t ecc): less HBM than its peers; a count that grows between runs "
		   "means failing memory", ev);
	return t->nunhealthy || t->nwrong || t->nhbm || t->ndbe || t->nsbe || t->niso;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct v4_npusmi s;
	char *why = NULL;
	if (node_npusmi(n, &s, &why) != 0) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	size_t sz = s.nnpu ? s.nnpu : 1;
	struct tally t = {&s, xcalloc(sz, sizeof(int)), xcalloc(sz, sizeof(int)), xcalloc(sz, sizeof(int)),
			  xcalloc(sz, sizeof(int)), xcalloc(sz, sizeof(int)), xcalloc(sz, sizeof(int)),
			  0, 0, 0, 0, 0, 0, 0, 0};
	cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "npus");
	cJSON_AddStringToObject(ev, "driver", s.driver_version);
	for (size_t i = 0; i < s.nnpu; i++) {
		cJSON *e = npu_evidence(&s.npus[i]);
		judge_npu(h, n, (int)i, &t, e);
		cJSON_AddItemToArray(arr, e);
	}
	int bad = report_missing(h, &s, ev);
	bad |= report_tally(h, &t, ev);
	char chips[48] = "";
	if (s.two_chip)
		snprintf(chips, sizeof chips, " (%zu chips)", s.nnpu);
	if (!bad && s.nnpu)
		v4_say(h, OK, cJSON_Duplicate(ev, 1),
		       "%zu NPUs%s %s, Health OK, %ld MB HBM%s", npu_count(&s), chips, s.npus[0].name,
		       s.npus[0].hbm_total_mb, t.nerr ? "" : ", no uncorrected ECC errors");
	cJSON_Delete(ev);
	free(t.unhealthy), free(t.wrong), free(t.hbm), free(t.dbe), free(t.sbe), free(t.iso);
	v4_npusmi_free(&s);
}

const struct v4_check v4_check_npu = {
	.id = "npu",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 210, /* bench/tiers.sh: alone on one node */
	.title = "Every NPU present, healthy, 910B2 with 64 GB HBM, no uncorrected ECC errors",
	.explain =
		"Symptom: vllm serve fails at start with fewer devices than expected, HCCL cannot\n"
		"  build the 32-rank group, the model runs out of memory on one card, or a worker\n"
		"  dies mid-run with an HBM/ECC error (\"device memory error\", aicore exceptions).\n"
		"Cause: an NPU has dropped off the bus or its driver, its Health is Warning,\n"
		"  Alarm or Critical, the server has a different chip (a 32 GB 910B4 looks like\n"
		"  a 910B in the Name column: only the HBM total tells), or its HBM has\n"
		"  uncorrectable (double-bit) errors.\n"
		"Fix: npu-smi info -t health -i N gives the error code; v4check names its level in\n"
		"  MindCluster's fault table (Ascend/mind-cluster\n"
		"  component/ascend-device-plugin/build/faultCode.json): NotHandle and SubHealth\n"
		"  only warn; RestartRequest, RestartBusiness, (Free)RestartNPU and\n"
		"  (Pre)SeparateNPU say what to restart, reset or isolate. Reset the NPU\n"
		"  (npu-smi set -t reset -i N -c 0) or reboot the node; an NPU with\n"
		"  double-bit ECC errors or the wrong chip needs the hardware vendor. Expected\n"
		"  values come from deployment.npus_per_node (8), deployment.npu_name (910B2)\n"
		"  and deployment.hbm_total_mb (65536). Corrected (single-bit) errors only warn\n"
		"  above checks.npu.ecc_single_warn. HBM pages the NPU isolated after ECC errors\n"
		"  (HBM Single/Double Bit Isolated Pages Count of npu-smi info -t ecc -i N, as\n"
		"  hicann/driver src/custom/dev_prod/user/npucli prints it; MindCluster's\n"
		"  npu-exporter exports them as npu_chip_info_hbm_ecc_*_isolated_pages_cnt)\n"
		"  warn: the card has less memory than its peers, and a count that grows between\n"
		"  runs means its HBM is failing.",
	.probes_doc = "npu-smi info (npu-smi info -l when the table cannot be read); "
		      "npu-smi info -t ecc -i N for each NPU N; npu-smi info -t health -i N for "
		      "each NPU whose Health is not OK",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = npu_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
