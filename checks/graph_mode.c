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
#include "serve_source.h"

#define FINDINGS(F)                                                                                         \
	F(OK, PASS, "full-graph decode, capture sizes sensible")                                            \
	F(GRAPH_EAGER, FAIL, "top-level --enforce-eager: no graphs at all (TPOT ~6x)")                      \
	F(GRAPH_MODE_MISSING, FAIL, "no --compilation-config cudagraph_mode asking for full graphs")        \
	F(GRAPH_MODE_PARTIAL, FAIL, "cudagraph_mode is NONE or PIECEWISE: decode is not one full graph")    \
	F(GRAPH_CONFIG_INVALID, FAIL, "--compilation-config is not valid JSON or has bad capture sizes")    \
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
	double sizes[64];   /* capture sizes */
	size_t nsizes;
	double largest;     /* 0: vLLM's default list */
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

/* Fills g from the command; g->err set when the config is unusable. */
static void read_graph(const struct serve_cmd *c, struct graph *g)
{
	cJSON *cc = NULL, *sc = NULL;
	char *err = NULL;
	memset(g, 0, sizeof *g);
	g->eager = eager_in_force(c);
	g->spec = serve_spec_tokens(c);
	if (serve_num_or(c, "--max-num-seqs", 256, &g->seqs) || serve_num_or(c, "--data-parallel-size", 1, &g->dp))
		g->err = xstrdup("--max-num-seqs or --data-parallel-size is not a number");
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
		       "no cudagraph_mode in --compilation-config: add '{\"cudagraph_mode\": "
		       "\"FULL_DECODE_ONLY\"}' (full ACL graph in decode)");
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
	for (size_t i = 0; i < g->nsizes; i++)
		if (g->sizes[i] > maxtok)
			sbuf_printf(&unused, "%s%.0f", unused.len ? "," : "", g->sizes[i]);
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
	read_graph(&cmd, &g);
	cJSON *ev = serve_evidence(&cmd, fp);
	add_evidence(ev, &g);
	int bad = judge_mode(h, &g, &ev);
	bad += g.err ? 0 : judge_sizes(h, &g, &ev);
	if (!bad && g.largest > 0)
		v4_say(h, OK, take_json(&ev),
		       "%s graph mode; graphs cover decode steps up to %.0f tokens (%.0f sequences "
		       "with %d speculative tokens) of at most %.0f", g.mode, g.largest,
		       d_floor(g.largest / (1 + g.spec)), g.spec, g.seqs * (1 + g.spec));
	else if (!bad)
		v4_say(h, OK, take_json(&ev),
		       "%s graph mode with vLLM's default capture sizes", g.mode);
	cJSON_Delete(ev);
	free(g.err);
	serve_free(&cmd);
}

/* The serve command probes. */
static void graph_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
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
		"  docs/source/faqs.md, question 17).",
	.probes_doc = SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = graph_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
