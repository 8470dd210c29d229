/* api: the OpenAI API of rank 0 answers, knows the model, is live, decodes in
 * graph mode, and /metrics shows one engine per DP rank.
 *
 * /health is passive: a hung engine still answers 200 there, so liveness is a
 * real one-token completion within the probe timeout. Decode speed: the
 * deployment reached TPOT 108 ms in graph mode, 646 ms in eager mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "http.h"
#include "prom.h"
#include "serve.h"

#define P_MODELS "api-models"
#define P_CHAT "api-chat"
#define P_STREAM "api-stream"

#define FINDINGS(F)                                                                                \
	F(OK, PASS, "the API answered as expected")                                                \
	F(SKIP_PRE_DEPLOY, SKIP, "pre-deploy phase: the API is checked with --phase live")         \
	F(SKIP_HEADLESS, SKIP, "headless rank: serves no HTTP; judged by process and memory")      \
	F(API_URL_INVALID, ERROR, "deployment.api_url / --api-url is not a plain http(s) URL")     \
	F(API_DOWN, FAIL, "GET /health got no answer (refused, reset or timed out)")               \
	F(HEALTH_FAILED, FAIL, "GET /health answered other than 200 (503: engine dead)")           \
	F(API_KEY_REJECTED, FAIL, "GET /v1/models answered 401: the API key is wrong or missing")  \
	F(MODELS_FAILED, FAIL, "GET /v1/models answered other than 200 or not JSON")               \
	F(API_MODEL_MISSING, FAIL, "the served model name is not listed by /v1/models")            \
	F(NOT_LIVE, FAIL, "a one-token completion got no answer within the timeout (hung engine)") \
	F(COMPLETION_FAILED, FAIL, "a completion answered other than 200")                         \
	F(EAGER_DECODE, FAIL, "TPOT at or above tpot_fail_ms: decode looks like eager mode")       \
	F(TPOT_HIGH, WARN, "TPOT between tpot_pass_ms and tpot_fail_ms")                           \
	F(STREAM_FAILED, ERROR, "the streamed completion gave too few tokens to measure")          \
	F(ENGINES_MISSING, FAIL, "/metrics shows fewer (or more) engines than DP ranks")           \
	F(KV_CACHE_FULL, WARN, "KV cache usage at or above kv_warn on some engine")                \
	F(PREEMPTIONS, WARN, "requests were preempted (at or above preemptions_warn; 0 = off)")    \
	F(METRICS_FAILED, ERROR, "/metrics could not be read or has no vllm: series")              \
	F(PROBE_FAILED, ERROR, "an API probe was not run or its output not understood")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"tpot_pass_ms", 200, "TPOT at or below this passes (graph mode reached 108 ms)"},
	{"tpot_fail_ms", 400, "TPOT at or above this fails as eager decode (eager mode: 646 ms)"},
	{"stream_tokens", 32, "tokens asked of the streamed completion (max_tokens)"},
	{"kv_warn", 0.95, "KV cache usage (0-1) at or above which to warn"},
	{"preemptions_warn", 0, "preemptions (since start) at or above which to warn; 0 = off"},
	{NULL, 0, NULL},
};


/* The served model name, or NULL when it is not a safe word. */
static const char *model_name(const struct v4_ctx *ctx)
{
	const char *m = v4_cfg_str(ctx->cfg, "deployment.served_model_name", "ds-v4");
	return word_ok(m) ? m : NULL;
}

/* Adds the probes that follow an answered /health. */
static void more_probes(const struct v4_check *c, const char *base, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	const char *m = model_name(ctx);
	int toks = (int)v4_param(ctx, c, "stream_tokens");
	toks = toks < 2 ? 2 : toks > 512 ? 512 : toks;
	v4_probe_add(ps, P_MODELS, -1, V4_PROBE_HTTP, "GET %s/v1/models", base);
	v4_probe_add(ps, P_METRICS, -1, V4_PROBE_HTTP, "GET %s/metrics", base);
	if (!m)
		return;
	v4_probe_add(ps, P_CHAT, -1, V4_PROBE_HTTP,
		     "POST %s/v1/chat/completions {\"model\":\"%s\",\"messages\":[{\"role\":\"user\","
		     "\"content\":\"Say OK.\"}],\"max_tokens\":1,\"temperature\":0}", base, m);
	v4_probe_add(ps, P_STREAM, -1, V4_PROBE_HTTP,
		     "SSE %s/v1/chat/completions {\"model\":\"%s\",\"messages\":[{\"role\":\"user\","
		     "\"content\":\"Count from 1 to 200, separated by spaces.\"}],\"max_tokens\":%d,"
		     "\"temperature\":0,\"ignore_eos\":true,\"stream\":true,"
		     "\"stream_options\":{\"include_usage\":true}}", base, m, toks);
}

static void api_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	const char *bad;
	if (ctx->phase != V4_PHASE_LIVE || !api_node(n))
		return;
	char *base = api_base_url(n, ctx, &bad);
	if (!base)
		return;
	v4_probe_add(ps, P_HEALTH, -1, V4_PROBE_HTTP, "GET %s/health", base);
	const struct v4_fact *h = v4_fact(n, P_HEALTH);
	if (h && h->state == V4_FACT_OK && h->exit_code > 0)
		more_probes(c, base, ctx, ps);
	free(base);
}

/* ---- evaluation ---- */

/* The probe's reason or its state, for messages. */
static const char *why(const struct v4_fact *f)
{
	return f->reason ? f->reason : v4_fact_state_name(f->state);
}

/* Judges /health; returns 1 when the API answered (the rest can be judged). */
static int judge_health(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_fact *f = v4_fact(n, P_HEALTH);
	if (!f) {
		v4_say_unchecked(h, "GET /health was not run");
		return 0;
	}
	if (f->state == V4_FACT_FAILED || f->state == V4_FACT_SKIPPED) {
		v4_say_unchecked(h, why(f));
		return 0;
	}
	if (f->exit_code <= 0 || f->state == V4_FACT_TIMEOUT) {
		v4_say(h, API_DOWN, NULL,
		       "GET /health got no complete answer: %s", why(f));
		return 0;
	}
	if (f->exit_code != 200)
		v4_say(h, HEALTH_FAILED, NULL,
		       "GET /health answered HTTP %d%s", f->exit_code,
		       f->exit_code == 503 ? " (engine dead: EngineDeadError)" : "");
	else
		v4_say(h, OK, NULL, "GET /health answered 200");
	return 1;
}

/* Comma list of the model ids in a /v1/models answer; NULL when not JSON. */
static char *model_ids(const char *body, const char *want, int *found)
{
	cJSON *j = cJSON_Parse(body);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
	struct sbuf b = {0};
	*found = 0;
	if (!cJSON_IsArray(data)) {
		cJSON_Delete(j);
		return NULL;
	}
	for (const cJSON *m = data->child; m; m = m->next) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
		if (!cJSON_IsString(id))
			continue;
		*found |= strcmp(id->valuestring, want) == 0;
		sbuf_printf(&b, "%s%s", b.len ? "," : "", id->valuestring);
	}
	cJSON_Delete(j);
	return sbuf_take(&b);
}

/* Judges /v1/models; returns 1 when the key was accepted. */
static int judge_models(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_ctx *ctx = h->ctx;
	const struct v4_fact *f = v4_fact(n, P_MODELS);
	const char *want = v4_cfg_str(ctx->cfg, "deployment.served_model_name", "ds-v4");
	int found;
	if (!f || f->state != V4_FACT_OK || f->exit_code <= 0) {
		v4_say_unchecked(h, f ? why(f) : "GET /v1/models was not run");
		return 1;
	}
	if (f->exit_code == 401) {
		int nokey = f->err && strstr(f->err, "no API key");
		v4_say(h, API_KEY_REJECTED, NULL,
		       "API key rejected: GET /v1/models answered 401 Unauthorized%s",
		       nokey ? " (no key was given: --api-key-file, V4CHECK_API_KEY, api.key_file or "
				"/etc/v4check/api.key)" : "");
		return 0;
	}
	char *ids = f->exit_code == 200 ? model_ids(f->out, want, &found) : NULL;
	if (!ids)
		v4_say(h, MODELS_FAILED, NULL,
		       "GET /v1/models answered HTTP %d%s", f->exit_code,
		       f->exit_code == 200 ? " but not a model list" : "");
	else if (!found)
		v4_say(h, API_MODEL_MISSING, NULL,
		       "served model '%s' is not listed by /v1/models (it lists: %s)", want,
		       *ids ? ids : "nothing");
	else
		v4_say(h, OK, NULL, "/v1/models lists '%s'", want);
	free(ids);
	return 1;
}

/* Judges the one-token completion (liveness). */
static void judge_chat(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_fact *f = v4_fact(n, P_CHAT);
	if (!f || f->state == V4_FACT_FAILED || f->state == V4_FACT_SKIPPED) {
		v4_say_unchecked(h, f ? why(f) : "the chat completion was not run");
		return;
	}
	if (f->state == V4_FACT_TIMEOUT || f->exit_code <= 0)
		v4_say(h, NOT_LIVE, NULL,
		       "a 1-token chat completion got no answer (%s) while /health answered: the "
		       "engine looks hung (/health is passive)", why(f));
	else if (f->exit_code != 200)
		v4_say(h, COMPLETION_FAILED, NULL,
		       "a 1-token chat completion answered HTTP %d", f->exit_code);
	else
		v4_say(h, OK, NULL,
		       "a 1-token chat completion answered 200 in %.0f ms", f->ms);
}

/* What the streamed completion gave. */
struct stream {
	int content;      /* events carrying text */
	int tokens;       /* usage.completion_tokens, else content events */
	double first, last; /* ms of the first and last text event */
};

/* 1 when an SSE data payload carries generated text; reads usage too. */
static int event_text(const char *data, int *usage)
{
	cJSON *j = cJSON_Parse(data);
	const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(ch, "delta");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(d ? d : ch, d ? "content" : "text");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "usage"),
							  "completion_tokens");
	if (cJSON_IsNumber(u))
		*usage = u->valueint;
	int has = cJSON_IsString(t) && *t->valuestring;
	cJSON_Delete(j);
	return has;
}

/* Reads the streamed probe's events; -1 when its output is not understood. */
static int read_stream(const struct v4_fact *f, struct stream *s)
{
	cJSON *j = cJSON_Parse(f->out);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "events");
	int usage = 0;
	memset(s, 0, sizeof *s);
	if (!cJSON_IsArray(ev)) {
		cJSON_Delete(j);
		return -1;
	}
	for (const cJSON *e = ev->child; e; e = e->next) {
		const cJSON *ms = cJSON_GetArrayItem(e, 0), *d = cJSON_GetArrayItem(e, 1);
		if (!cJSON_IsNumber(ms) || !cJSON_IsString(d) || !event_text(d->valuestring, &usage))
			continue;
		if (!s->content++)
			s->first = ms->valuedouble;
		s->last = ms->valuedouble;
	}
	s->tokens = usage > 0 && f->state == V4_FACT_OK ? usage : s->content;
	cJSON_Delete(j);
	return 0;
}

/* Evidence of a decode measurement. */
static cJSON *stream_evidence(const struct stream *s, double tpot, double pass, double fail)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ttft_ms", s->first);
	cJSON_AddNumberToObject(o, "tpot_ms", tpot);
	cJSON_AddNumberToObject(o, "tokens", s->tokens);
	cJSON_AddNumberToObject(o, "tpot_pass_ms", pass);
	cJSON_AddNumberToObject(o, "tpot_fail_ms", fail);
	return o;
}

/* Judges the streamed completion: TTFT, and TPOT against the graph-mode figure. */
static void judge_stream(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_fact *f = v4_fact(n, P_STREAM);
	struct stream s;
	if (!f || f->state == V4_FACT_FAILED || f->state == V4_FACT_SKIPPED || read_stream(f, &s)) {
		v4_say_unchecked(h, f ? why(f) : "the streamed completion was not run");
		return;
	}
	if (f->exit_code != 200 && f->exit_code > 0) {
		v4_say(h, COMPLETION_FAILED, NULL,
		       "a streamed chat completion answered HTTP %d", f->exit_code);
		return;
	}
	if (s.tokens < 2 || s.content < 2) {
		v4_say(h, STREAM_FAILED, NULL,
		       "the streamed completion gave %d token%s (%s): TPOT not measured", s.content,
		       s.content == 1 ? "" : "s", f->state == V4_FACT_OK ? "ended early" : why(f));
		return;
	}
	double pass = v4_param(h->ctx, h->check, "tpot_pass_ms");
	double fail = v4_param(h->ctx, h->check, "tpot_fail_ms");
	double tpot = (s.last - s.first) / (s.tokens - 1);
	cJSON *ev = stream_evidence(&s, tpot, pass, fail);
	const char *cut = f->state == V4_FACT_TIMEOUT ? " (stream cut at the timeout)" : "";
	if (tpot >= fail)
		v4_say(h, EAGER_DECODE, ev,
		       "TPOT %.0f ms over %d tokens%s: decode looks like eager mode (graph mode "
		       "reached 108 ms, eager 646 ms; fails at >= %.0f ms)", tpot, s.tokens, cut, fail);
	else if (tpot > pass)
		v4_say(h, TPOT_HIGH, ev,
		       "TPOT %.0f ms over %d tokens%s: above %.0f ms (graph mode reached 108 ms)",
		       tpot, s.tokens, cut, pass);
	else
		v4_say(h, OK, ev,
		       "TTFT %.0f ms, TPOT %.0f ms over %d tokens (graph mode reached 108 ms)", s.first,
		       tpot, s.tokens);
}

/* Values read from /metrics. */
struct mvals {
	size_t engines;
	char *list;        /* "0,1,2" */
	double kv_max, waiting, preempt, hit_rate; /* hit_rate NaN when no queries */
};

/* Reads the vLLM series of interest from a parsed /metrics. */
static void read_metrics(const struct prom *p, struct mvals *m)
{
	const char **vals = NULL;
	struct sbuf b = {0};
	size_t n;
	m->engines = prom_label_values(p, NULL, "engine", &vals);
	for (size_t i = 0; i < m->engines; i++) {
		sbuf_printf(&b, "%s%s", i ? "," : "", vals[i]);
		const char *kv = prom_resolve(p, "vllm:kv_cache_usage_perc");
		const struct prom_sample *s = kv ? prom_find(p, kv, "engine", vals[i]) : NULL;
		if (s && s->value > m->kv_max)
			m->kv_max = s->value;
	}
	free(vals);
	m->list = sbuf_take(&b);
	m->waiting = prom_sum_any(p, "vllm:num_requests_waiting", NULL, NULL, &n);
	m->preempt = prom_sum_any(p, "vllm:num_preemptions_total", NULL, NULL, &n);
	double q = prom_sum_any(p, "vllm:prefix_cache_queries_total", NULL, NULL, &n);
	double h = prom_sum_any(p, "vllm:prefix_cache_hits_total", NULL, NULL, &n);
	m->hit_rate = q > 0 ? h / q : NAN;
}

/* Evidence of the metrics reading. */
static cJSON *metrics_evidence(const struct mvals *m, int dp)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "engines", (double)m->engines);
	cJSON_AddStringToObject(o, "engine_labels", m->list);
	cJSON_AddNumberToObject(o, "data_parallel_size", dp);
	cJSON_AddNumberToObject(o, "kv_cache_usage", m->kv_max);
	cJSON_AddNumberToObject(o, "requests_waiting", m->waiting);
	cJSON_AddNumberToObject(o, "preemptions", m->preempt);
	if (isnan(m->hit_rate))
		cJSON_AddNullToObject(o, "prefix_cache_hit_rate");
	else
		cJSON_AddNumberToObject(o, "prefix_cache_hit_rate", m->hit_rate);
	return o;
}

/* Warnings on KV usage and preemptions. */
static void metrics_warnings(const struct v4_rep *h, const struct mvals *m)
{
	double kw = v4_param(h->ctx, h->check, "kv_warn");
	double pw = v4_param(h->ctx, h->check, "preemptions_warn");
	if (m->kv_max >= kw)
		v4_say(h, KV_CACHE_FULL, NULL,
		       "KV cache usage %.0f%% on some engine (warns at %.0f%%)", m->kv_max * 100, kw * 100);
	if (pw > 0 && m->preempt >= pw)
		v4_say(h, PREEMPTIONS, NULL,
		       "%.0f requests preempted since start (warns at %.0f): the KV cache is short for the load",
		       m->preempt, pw);
}

/* DP ranks: deployment.data_parallel_size, else --data-parallel-size of
 * deployment.serve_command, else 1. */
static int dp_size(const struct v4_ctx *ctx)
{
	double dp = v4_cfg_num(ctx->cfg, "deployment.data_parallel_size", 0);
	const char *cmd = v4_cfg_str(ctx->cfg, "deployment.serve_command", NULL);
	struct serve_cmd sc = {0};
	char *err = NULL;
	if (dp < 1 && cmd && serve_parse(cmd, NULL, 0, &sc, &err) == 0 &&
	    serve_num(&sc, "--data-parallel-size", &dp) != 1)
		dp = 0;
	serve_free(&sc);
	free(err);
	return dp >= 1 ? (int)dp : 1;
}

/* Judges /metrics: one engine per DP rank, and the load figures. */
static void judge_metrics(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_fact *f = v4_fact(n, P_METRICS);
	struct prom p = {0};
	char *err = NULL;
	if (!f || f->state != V4_FACT_OK || f->exit_code != 200 ||
	    prom_parse(f->out, f->out_len, &p, &err)) {
		char *w = !f ? xstrdup("not run")
			: f->state != V4_FACT_OK || f->exit_code <= 0 ? xstrdup(why(f))
			: f->exit_code != 200 ? xasprintf("answered HTTP %d", f->exit_code)
					      : xstrdup(err ? err : "not understood");
		v4_say(h, METRICS_FAILED, NULL, "GET /metrics: %s", w);
		free(w);
		free(err);
		prom_free(&p);
		return;
	}
	struct mvals m = {0};
	read_metrics(&p, &m);
	int dp = dp_size(h->ctx);
	if (!m.engines)
		v4_say(h, METRICS_FAILED, NULL,
		       "/metrics has no vllm series with an engine label");
	else if ((int)m.engines != dp)
		v4_say(h, ENGINES_MISSING, metrics_evidence(&m, dp),
		       "/metrics shows %zu engine%s (%s), expected %d (one per DP rank)", m.engines,
		       m.engines == 1 ? "" : "s", m.list, dp);
	else
		v4_say(h, OK, metrics_evidence(&m, dp),
		       "/metrics: %zu engines, KV cache up to %.0f%%, %.0f waiting, %.0f preempted",
		       m.engines, m.kv_max * 100, m.waiting, m.preempt);
	if (m.engines)
		metrics_warnings(h, &m);
	free(m.list);
	prom_free(&p);
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_ctx *ctx = h->ctx;
	const char *bad;
	if (ctx->phase != V4_PHASE_LIVE) {
		v4_say(h, SKIP_PRE_DEPLOY, NULL,
		       "pre-deploy phase: the API is checked with --phase live");
		return;
	}
	if (!api_node(n)) {
		v4_say(h, SKIP_HEADLESS, NULL,
		       "headless rank %d serves no HTTP: judged by process and memory", n->rank);
		return;
	}
	char *base = api_base_url(n, ctx, &bad);
	if (!base) {
		v4_say(h, API_URL_INVALID, NULL,
		       "%s does not give a plain http(s) URL", bad);
		return;
	}
	free(base);
	if (!judge_health(h, n))
		return;
	if (judge_models(h, n)) {
		judge_chat(h, n);
		judge_stream(h, n);
	}
	judge_metrics(h, n);
}

const struct v4_check v4_check_api = {
	.id = "api",
	.tier = V4_TIER_QUICK,
	.cost_ms = 60, /* bench/tiers.sh: alone on one node */
	.title = "OpenAI API on rank 0: health, key, model, liveness, decode speed, engines",
	.explain =
		"Symptom: clients get errors or hang, or answers crawl, while /health says 200.\n"
		"Cause: /health is passive (a hung engine still answers 200); a wrong API key;\n"
		"  the served model name differs from what clients ask; decode fell back to eager\n"
		"  mode (TPOT 646 ms instead of 108 ms in graph mode); a DP engine is missing.\n"
		"Fix: with --phase live, v4check asks rank 0's API (deployment.api_url, default\n"
		"  http://<rank-0 host>:<deployment.api_port>; --api-url overrides) for /health,\n"
		"  /v1/models with the key (--api-key-file FILE, config api.key_file, or the\n"
		"  V4CHECK_API_KEY environment variable; never on the command line), a one-token\n"
		"  completion within the probe timeout (liveness), a streamed completion (TTFT,\n"
		"  TPOT) and /metrics (one engine per DP rank, KV cache, waiting, preemptions,\n"
		"  prefix hit rate; old and new vLLM names). Eager decode: check the\n"
		"  --compilation-config and the graph capture in the serve log. Headless ranks\n"
		"  serve no HTTP and are skipped here.",
	.probes_doc = "from the controller, over HTTP to rank 0 (live phase only): GET /health; then "
		      "GET /v1/models, POST /v1/chat/completions (max_tokens 1), the same streamed "
		      "(stream_tokens tokens), GET /metrics",
	.findings = findings,
	.params = params,
	.probes = api_probes,
	.evaluate_node = judge_node,
};
