/* graph-mode: the serve command runs decode as a full ACL graph.
 *
 * Failure 2 of the reference deployment: with --enforce-eager the 61 layers
 * were dispatched op by op and TPOT was 646 ms; FULL_DECODE_ONLY graph mode
 * gave 108 ms. The MTP draft head's own "enforce_eager": true inside
 * --speculative-config is the tutorial's setting and is fine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"
#include "serve_source.h"

#define FINDINGS(F)                                                                                         \
	F(OK, PASS, "full-graph decode, capture sizes sensible")                                            \
	F(GRAPH_EAGER, FAIL, "top-level --enforce-eager: no graphs at all (TPOT ~6x)")                      \
	F(GRAPH_MODE_MISSING, WARN, "cudagraph_mode not set explicitly (vLLM v0.21.0's default was not "   \
	  "verified)")                                                                                      \
	F(GRAPH_NO_EFFECT, WARN, "npugraph_ex / static kernel keys that have no effect in this graph mode") \
	F(GRAPH_MODE_PARTIAL, FAIL, "cudagraph_mode is NONE or PIECEWISE: decode is not one full graph")    \
	F(GRAPH_CONFIG_INVALID, FAIL, "--compilation-config is not valid JSON or has bad capture sizes, "   \
	  "or no capture size survives vllm-ascend's filtering (AssertionError at start)")                  \
	F(GRAPH_CAPTURE_UNUSED, WARN, "capture sizes above the largest decode batch max-num-seqs allows")   \
	F(GRAPH_CAPTURE_SMALL, WARN, "largest capture size far below max-num-seqs: busy decode runs eager") \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"far_factor", 8, "WARN when the sequences the largest graph covers, times this, are fewer "
			  "than --max-num-seqs"},
	{"target_concurrency", 192, "requests in flight the deployment aims at, over all DP ranks "
				    "(the reference's best RPM was at 192); WARN when the graphs do not "
				    "cover this per rank"},
	{NULL, 0, NULL},
};

/* What the command says about graphs. */
struct graph {
	int eager;          /* top-level --enforce-eager in force */
	int draft_eager;    /* the speculative config's enforce_eager */
	char mode[40];      /* cudagraph_mode, "" when not given */
	double sizes[64];   /* capture sizes as written */
	size_t nsizes;
	double eff[64];     /* the sizes vllm-ascend keeps (sequence parallelism: multiples of
			     * TP; none above --max-num-batched-tokens) */
	size_t neff;
	double largest;     /* largest effective size */
	int defaulted;      /* no sizes given: vllm-ascend's default largest size */
	int sp;             /* sequence parallelism filters the sizes */
	double tp, batched;
	int npugraph_set, static_kernel; /* ascend_compilation_config values truthy */
	double seqs, dp;    /* --max-num-seqs, --data-parallel-size */
	int spec;           /* speculative tokens per step */
	char *err;          /* invalid config */
};

/* 1 when the last of --enforce-eager / --no-enforce-eager is the former. */
static int eager_in_force(const struct serve_cmd *c)
{
	int on = 0;
	for (size_t i = 0; i < c->nopts; i++) {
		if (strcmp(c->opts[i].name, "--enforce-eager") == 0)
			on = !c->opts[i].value || strcmp(c->opts[i].value, "false") != 0;
		else if (strcmp(c->opts[i].name, "--no-enforce-eager") == 0)
			on = 0;
	}
	return on;
}

/* Reads cudagraph_capture_sizes / max_cudagraph_capture_size; -1 on bad values. */
static int read_sizes(const cJSON *cc, struct graph *g)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(cc, "cudagraph_capture_sizes");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(cc, "max_cudagraph_capture_size");
	if (s && !cJSON_IsArray(s))
		return -1;
	for (const cJSON *x = s ? s->child : NULL; x; x = x->next) {
		if (!cJSON_IsNumber(x) || x->valuedouble < 1 || x->valuedouble != d_floor(x->valuedouble))
			return -1;
		if (g->nsizes < V4_ARRAY_LEN(g->sizes))
			g->sizes[g->nsizes++] = x->valuedouble;
		g->largest = d_max(g->largest, x->valuedouble);
	}
	if (!g->nsizes && cJSON_IsNumber(m) && m->valuedouble >= 1)
		g->largest = m->valuedouble;
	return 0;
}

/* Sequence parallelism on: enable_flashcomm1, else VLLM_ASCEND_ENABLE_FLASHCOMM1
 * (bool(int())), or forced by an effective enable_shared_expert_dp. */
static int sp_on(const struct serve_cmd *c, const cJSON *ac, double tp)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(ac, "enable_flashcomm1");
	const char *env = serve_env(c, "VLLM_ASCEND_ENABLE_FLASHCOMM1");
	char *end = NULL;
	long v = env ? strtol(env, &end, 10) : 0;
	int on = k ? json_truthy(k) : env && end != env && !*end && v != 0;
	return on || (json_truthy(cJSON_GetObjectItemCaseSensitive(ac, "enable_shared_expert_dp")) &&
		      serve_has(c, "--enable-expert-parallel") && tp > 1);
}

/* The sizes vllm-ascend v0.21.0rc1 keeps (platform.py:505-523, 212-215): with
 * sequence parallelism (TP > 1, not eager) multiples of TP only; none above
 * --max-num-batched-tokens. Unset: the default largest size
 * min(max_num_seqs x (1 + spec), 512) (platform.py:205-239). */
static void effective_sizes(struct graph *g)
{
	int filter = g->sp && g->tp > 1 && !g->eager;
	if (!g->nsizes && g->largest <= 0) {
		double l = d_min(g->seqs * (1 + g->spec), 512);
		if (filter)
			l = d_floor(l / g->tp) * g->tp;
		g->largest = d_min(l, g->batched);
		g->defaulted = 1;
		return;
	}
	if (!g->nsizes) {
		g->largest = d_min(g->largest, g->batched);
		return;
	}
	g->largest = 0;
	for (size_t i = 0; i < g->nsizes; i++) {
		double x = g->sizes[i];
		if (x > g->batched || (filter && x != d_floor(x / g->tp) * g->tp))
			continue;
		g->eff[g->neff++] = x;
		g->largest = d_max(g->largest, x);
	}
}

/* Fills g from the command; g->err set when the config is unusable. */
static void read_graph(const struct serve_cmd *c, const cJSON *t, struct graph *g)
{
	cJSON *cc = NULL, *sc = NULL, *ac = NULL;
	char *err = NULL;
	memset(g, 0, sizeof *g);
	g->eager = eager_in_force(c);
	g->spec = serve_spec_tokens(c);
	if (serve_num_or(c, "--max-num-seqs", kn_default_num(t, "max_num_seqs_unset", 256), &g->seqs) ||
	    serve_num_or(c, "--data-parallel-size", 1, &g->dp) ||
	    serve_num_or(c, "--tensor-parallel-size", 1, &g->tp) ||
	    serve_num_or(c, "--max-num-batched-tokens", kn_default_num(t, "max_num_batched_tokens_unset", 2048),
			 &g->batched))
		g->err = xstrdup("--max-num-seqs, --data-parallel-size, --tensor-parallel-size or "
				 "--max-num-batched-tokens is not a number");
	if (serve_json_opt(c, "--additional-config", &ac, &err) == 1) {
		g->sp = sp_on(c, ac, g->tp);
		g->npugraph_set = json_truthy(json_path(ac, "ascend_compilation_config.enable_npugraph_ex"));
		g->static_kernel = json_truthy(json_path(ac, "ascend_compilation_config.enable_static_kernel"));
	} else
		g->sp = sp_on(c, NULL, g->tp);
	free(err), err = NULL;
	cJSON_Delete(ac);
	if (serve_json_opt(c, "--speculative-config", &sc, &err) == 1)
		g->draft_eager = json_truthy(cJSON_GetObjectItemCaseSensitive(sc, "enforce_eager"));
	free(err);
	int rc = serve_json_opt(c, "--compilation-config", &cc, &err);
	if (rc < 0 && !g->err)
		g->err = xstrdup(err);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(cc, "cudagraph_mode");
	if (cJSON_IsString(m))
		snprintf(g->mode, sizeof g->mode, "%s", m->valuestring);
	else if (m && !g->err)
		g->err = xstrdup("--compilation-config: cudagraph_mode is not a string");
	if (cc && read_sizes(cc, g) && !g->err)
		g->err = xstrdup("--compilation-config: cudagraph_capture_sizes must be positive integers");
	if (!g->err)
		effective_sizes(g);
	if (!g->err && g->nsizes && !g->neff && g->sp && g->tp > 1 && !g->eager)
		g->err = xasprintf("no cudagraph_capture_sizes entry is a multiple of --tensor-parallel-size "
				   "%.0f with sequence parallelism on: vllm-ascend raises AssertionError at "
				   "start (%s)", g->tp, kn_src(t, "crashes", "sp_no_capture_size_multiple_of_tp"));
	cJSON_Delete(cc);
	cJSON_Delete(sc);
	free(err);
}

/* 1 when mode captures the whole decode step as one graph. */
static int full_mode(const char *mode)
{
	return strcmp(mode, "FULL_DECODE_ONLY") == 0 || strcmp(mode, "FULL") == 0 ||
	       strcmp(mode, "FULL_AND_PIECEWISE") == 0;
}

/* The parsed values for evidence. */
static void add_evidence(cJSON *ev, const struct graph *g)
{
	cJSON_AddBoolToObject(ev, "enforce_eager", g->eager);
	cJSON_AddBoolToObject(ev, "draft_enforce_eager", g->draft_eager);
	if (g->mode[0])
		cJSON_AddStringToObject(ev, "cudagraph_mode", g->mode);
	else
		cJSON_AddNullToObject(ev, "cudagraph_mode");
	cJSON_AddItemToObject(ev, "capture_sizes", cJSON_CreateDoubleArray(g->sizes, (int)g->nsizes));
	cJSON_AddItemToObject(ev, "effective_capture_sizes", cJSON_CreateDoubleArray(g->eff, (int)g->neff));
	cJSON_AddBoolToObject(ev, "sequence_parallel", g->sp);
	cJSON_AddBoolToObject(ev, "default_largest_size", g->defaulted);
	cJSON_AddNumberToObject(ev, "largest_capture_size", g->largest);
	cJSON_AddNumberToObject(ev, "max_num_seqs", g->seqs);
	cJSON_AddNumberToObject(ev, "speculative_tokens", g->spec);
	cJSON_AddNumberToObject(ev, "max_decode_tokens", g->seqs * (1 + g->spec));
}

/* The graph-mode verdict (FAIL findings); returns how many were added. */
static int judge_mode(const struct v4_rep *h, const struct graph *g, cJSON **ev)
{
	int bad = 0;
	if (g->eager && ++bad)
		v4_say(h, GRAPH_EAGER, take_json(ev),
		       "--enforce-eager runs every layer op by op (the deployment measured TPOT 646 ms "
		       "eager vs 108 ms in FULL_DECODE_ONLY): remove it (the draft head's enforce_eager "
		       "inside --speculative-config is fine)");
	if (g->err && ++bad)
		v4_say(h, GRAPH_CONFIG_INVALID, take_json(ev), "%s", g->err);
	else if (!g->mode[0] && ++bad)
		v4_say(h, GRAPH_MODE_MISSING, take_json(ev),
		       "no cudagraph_mode in --compilation-config: vllm-ascend sets no default and vLLM "
		       "v0.21.0's was not verified here; set '{\"cudagraph_mode\": \"FULL_DECODE_ONLY\"}' "
		       "(full ACL graph in decode) to be sure");
	else if (!full_mode(g->mode) && ++bad)
		v4_say(h, GRAPH_MODE_PARTIAL, take_json(ev),
		       "cudagraph_mode %s does not capture decode as a full graph: use FULL_DECODE_ONLY "
		       "(or FULL / FULL_AND_PIECEWISE)", g->mode);
	return bad;
}

/* Capture-size warnings; returns how many were added. */
static int judge_sizes(const struct v4_rep *h, const struct graph *g, cJSON **ev)
{
	const struct v4_check *c = h->check;
	const struct v4_ctx *ctx = h->ctx;
	int warned = 0;
	double per_step = 1 + g->spec, maxtok = g->seqs * per_step;
	struct sbuf unused = {0};
	for (size_t i = 0; i < g->neff; i++)
		if (g->eff[i] > maxtok)
			sbuf_printf(&unused, "%s%.0f", unused.len ? "," : "", g->eff[i]);
	if (unused.len && ++warned)
		v4_say(h, GRAPH_CAPTURE_UNUSED, take_json(ev),
		       "capture sizes %s exceed the largest decode batch (%.0f sequences x %.0f tokens "
		       "= %.0f): their graphs only cost memory", unused.s, g->seqs, per_step, maxtok);
	sbuf_free(&unused);
	if (g->largest <= 0)
		return warned;

	double covered = d_floor(g->largest / per_step);
	double target = d_ceil(v4_param(ctx, c, "target_concurrency") / (g->dp > 0 ? g->dp : 1));
	if ((covered * v4_param(ctx, c, "far_factor") < g->seqs || covered < target) && ++warned)
		v4_say(h, GRAPH_CAPTURE_SMALL, take_json(ev),
		       "the largest capture size %.0f covers %.0f sequences per decode step of "
		       "--max-num-seqs %.0f (target %.0f per rank); busier decode steps run without "
		       "the graph (vllm-project/vllm-ascend#16049): add capture sizes up to %.0f",
		       g->largest, covered,
		       g->seqs, target, d_min(maxtok, d_max(target, g->seqs / 2) * per_step));
	return warned;
}

/* Judges one node's serve command. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd;
	struct graph g;
	int fp;
	if (serve_for_check(h, n, &cmd, &fp))
		return;
	struct kn_pick kp;
	kn_pick_node(n, h->ctx, &kp);
	read_graph(&cmd, kp.t, &g);
	cJSON *ev = serve_evidence(&cmd, fp);
	add_evidence(ev, &g);
	cJSON_AddStringToObject(ev, "knowledge_table", kp.tag);
	int bad = judge_mode(h, &g, &ev);
	bad += g.err ? 0 : judge_sizes(h, &g, &ev);
	int piecewise = g.mode[0] && (strcmp(g.mode, "NONE") == 0 || strstr(g.mode, "PIECEWISE"));
	if ((g.eager || piecewise) && (g.npugraph_set || g.static_kernel) && ++bad)
		v4_say(h, GRAPH_NO_EFFECT, take_json(&ev),
		       "ascend_compilation_config %s has no effect with %s: vllm-ascend turns npugraph_ex "
		       "off there (%s)", g.static_kernel ? "enable_static_kernel / enable_npugraph_ex" : "enable_npugraph_ex",
		       g.eager ? "--enforce-eager" : g.mode, kn_src(kp.t, "defaults", "npugraph_ex_forced_off"));
	if (!bad)
		v4_say(h, OK, take_json(&ev),
		       "%s graph mode; graphs cover decode steps up to %.0f tokens (%.0f sequences "
		       "with %d speculative tokens) of at most %.0f%s", g.mode, g.largest,
		       d_floor(g.largest / (1 + g.spec)), g.spec, g.seqs * (1 + g.spec),
		       g.defaulted ? " (vllm-ascend's default largest size)" : "");
	cJSON_Delete(ev);
	free(g.err);
	serve_free(&cmd);
	kn_pick_free(&kp);
}

/* The serve command probes. */
static void graph_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
}

const struct v4_check v4_check_graph_mode = {
	.id = "graph-mode",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 90, /* bench/tiers.sh: alone on one node */
	.title = "vllm serve runs decode as a full ACL graph (no --enforce-eager)",
	.explain =
		"Symptom: single-stream TPOT around 646 ms, ten times the expected 108 ms; the NPUs\n"
		"  look busy but decode crawls.\n"
		"Cause: --enforce-eager (failure 2 of the reference deployment) dispatches the 61\n"
		"  layers op by op. Without a full-graph cudagraph_mode in --compilation-config the\n"
		"  decode step is not one ACL graph either. In vLLM, decode batches larger than the\n"
		"  largest capture size run without the graph (vllm-project/vllm-ascend#16049;\n"
		"  vllm-ascend v0.21.0rc1 vllm_ascend/utils.py warns when max_cudagraph_capture_size\n"
		"  is below the decode tokens): with MTP each sequence adds\n"
		"  1 + num_speculative_tokens tokens per step.\n"
		"Fix: remove the top-level --enforce-eager (the MTP draft head's \"enforce_eager\":\n"
		"  true inside --speculative-config is the tutorial's setting and stays) and pass\n"
		"  --compilation-config '{\"cudagraph_mode\": \"FULL_DECODE_ONLY\"}' (FULL and\n"
		"  FULL_AND_PIECEWISE also capture full graphs). Keep cudagraph_capture_sizes within\n"
		"  max-num-seqs x (1 + speculative tokens) and large enough for the concurrency you\n"
		"  run; too many sizes can exhaust streams (EL0009: vllm-ascend v0.21.0rc1\n"
		"  docs/source/faqs.md, question 17).\n"
		"Effective sizes (knowledge table of the node's version): with TP > 1, no\n"
		"  --enforce-eager and sequence parallelism on (enable_flashcomm1,\n"
		"  VLLM_ASCEND_ENABLE_FLASHCOMM1=1, or an effective enable_shared_expert_dp)\n"
		"  vllm-ascend keeps only multiples of TP, and none at all is an AssertionError at\n"
		"  start (vllm-project/vllm-ascend@v0.21.0rc1 vllm_ascend/platform.py:505-523);\n"
		"  sizes above --max-num-batched-tokens (unset: 2048 under 70 GiB) are dropped\n"
		"  (platform.py:212-215). Without sizes the largest is min(max_num_seqs x\n"
		"  (1 + speculative tokens), 512) (platform.py:205-239). The reference's\n"
		"  [1, 8, 16, 32, 64, 128] at TP 8 runs as [8, 16, 32, 64, 128].\n"
		"  cudagraph_mode unset is a WARN: vllm-ascend sets no default and vLLM v0.21.0's\n"
		"  was not verified. With --enforce-eager, NONE or a piecewise mode vllm-ascend\n"
		"  turns npugraph_ex off (platform.py:548-586): enable_npugraph_ex /\n"
		"  enable_static_kernel then do nothing (GRAPH_NO_EFFECT).",
	.probes_doc = SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = graph_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
