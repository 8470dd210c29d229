/* loader: the multi-threaded safetensors loader is configured, with a JSON
 * boolean and a thread count that fits the node.
 *
 * Failure 7 of the reference deployment: without the multi-threaded loader
 * loading took 10 minutes; 128 threads made safetensors loading about 3x
 * faster. The deployment's own flags ("enable_multithread_load": "true" as a
 * string, with --safetensors-load-strategy prefetch) are rejected by newer
 * vLLM (vllm-project/vllm#45196). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve_source.h"

#define P_NPROC "nproc"

#define FINDINGS(F)                                                                                          \
	F(OK, PASS, "multi-threaded loading on, JSON boolean, threads within the cores")                     \
	F(LOADER_MULTITHREAD_OFF, FAIL, "enable_multithread_load missing or false: loading takes 10 "        \
	  "minutes")                                                                                         \
	F(LOADER_CONFIG_INVALID, FAIL, "--model-loader-extra-config is not a JSON object")                   \
	F(LOADER_THREADS_INVALID, FAIL, "num_threads is not a positive integer")                             \
	F(LOADER_THREADS_LOW, WARN, "num_threads below the minimum (default 128)")                           \
	F(LOADER_THREADS_OVER_CORES, WARN, "num_threads above the node's cores (nproc)")                     \
	F(LOADER_STRING_BOOL, WARN, "enable_multithread_load is not a JSON boolean (newer vLLM rejects it)") \
	F(LOADER_STRATEGY_CONFLICT, WARN, "multi-threaded load with --safetensors-load-strategy "            \
	  "prefetch|eager|torchao (newer vLLM rejects it)")                                                  \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"min_threads", 128, "lowest num_threads accepted (the deployment and tutorials use 128)"},
	{NULL, 0, NULL},
};

/* The loader settings of a command. */
struct loader {
	int present, on, is_bool;
	char mt_text[32];   /* enable_multithread_load as written */
	double threads;     /* -1 absent, -2 invalid */
	const char *strategy;
	long cores;         /* -1 unknown */
	char *err;
};

/* The node's core count from `nproc`, or -1. */
static long node_cores(const struct v4_node *n)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_NPROC, 0, &why);
	free(why);
	char *end = NULL;
	long v = f ? strtol(f->out, &end, 10) : -1;
	return f && end != f->out && v > 0 ? v : -1;
}

/* Reads the loader settings from the command. */
static void read_loader(const struct serve_cmd *c, const struct v4_node *n, struct loader *l)
{
	cJSON *j = NULL;
	memset(l, 0, sizeof *l);
	l->threads = -1;
	l->cores = node_cores(n);
	l->strategy = serve_get(c, "--safetensors-load-strategy");
	l->present = serve_json_opt(c, "--model-loader-extra-config", &j, &l->err);
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(j, "enable_multithread_load");
	const cJSON *nt = cJSON_GetObjectItemCaseSensitive(j, "num_threads");
	l->on = json_truthy(mt);
	l->is_bool = cJSON_IsBool(mt);
	char *t = mt ? cJSON_PrintUnformatted(mt) : NULL;
	snprintf(l->mt_text, sizeof l->mt_text, "%s", t ? t : "");
	free(t);
	if (nt)
		l->threads = cJSON_IsNumber(nt) && nt->valuedouble >= 1 &&
				     nt->valuedouble == d_floor(nt->valuedouble) ? nt->valuedouble : -2;
	cJSON_Delete(j);
}

/* The loader's parsed values for evidence. */
static void add_evidence(cJSON *ev, const struct loader *l)
{
	cJSON_AddBoolToObject(ev, "enable_multithread_load", l->on);
	cJSON_AddStringToObject(ev, "enable_multithread_load_as_written", l->mt_text);
	if (l->threads >= 0)
		cJSON_AddNumberToObject(ev, "num_threads", l->threads);
	else
		cJSON_AddNullToObject(ev, "num_threads");
	cJSON_AddStringToObject(ev, "safetensors_load_strategy", l->strategy ? l->strategy : "lazy (default)");
	if (l->cores > 0)
		cJSON_AddNumberToObject(ev, "cores", (double)l->cores);
	else
		cJSON_AddNullToObject(ev, "cores");
}

/* FAIL findings: loader off or unusable; returns findings added. */
static int judge_on(const struct v4_rep *h, const struct loader *l, cJSON **ev)
{
	if (l->present < 0) {
		v4_say(h, LOADER_CONFIG_INVALID, take_json(ev), "%s", l->err);
		return 1;
	}
	if (!l->on) {
		v4_say(h, LOADER_MULTITHREAD_OFF, take_json(ev),
		       "%s: the deployment's load took 10 minutes without it; add "
		       "--model-loader-extra-config '{\"enable_multithread_load\": true, \"num_threads\": "
		       "128}'", l->present ? "enable_multithread_load is missing or false"
					   : "no --model-loader-extra-config");
		return 1;
	}
	if (l->threads == -2) {
		v4_say(h, LOADER_THREADS_INVALID, take_json(ev),
		       "num_threads must be a positive integer");
		return 1;
	}
	return 0;
}

/* Thread-count warnings; returns findings added. */
static int judge_threads(const struct v4_rep *h, const struct loader *l, cJSON **ev)
{
	double min = v4_param(h->ctx, h->check, "min_threads"), t = l->threads < 0 ? 8 : l->threads;
	int w = 0;
	if (t < min && ++w)
		v4_say(h, LOADER_THREADS_LOW, take_json(ev),
		       "num_threads %.0f%s is below %.0f: set \"num_threads\": %.0f", t,
		       l->threads < 0 ? " (upstream default)" : "", min, min);
	if (l->cores > 0 && t > l->cores && ++w)
		v4_say(h, LOADER_THREADS_OVER_CORES, take_json(ev),
		       "num_threads %.0f is above the node's %ld cores (nproc): use at most %ld", t,
		       l->cores, l->cores);
	return w;
}

/* Type and strategy warnings newer vLLM turns into errors; returns findings added. */
static int judge_upgrade(const struct v4_rep *h, const struct loader *l, cJSON **ev)
{
	int w = 0;
	const char *s = l->strategy;
	if (!l->is_bool && ++w)
		v4_say(h, LOADER_STRING_BOOL, take_json(ev),
		       "\"enable_multithread_load\": %s is not a JSON boolean: accepted by vLLM 0.21 (any "
		       "non-empty string counts as true, even \"false\"), rejected by newer vLLM "
		       "(\"must be a bool, got str\", vllm-project/vllm#45196): write true", l->mt_text);
	if (s && (strcmp(s, "prefetch") == 0 || strcmp(s, "eager") == 0 || strcmp(s, "torchao") == 0) && ++w)
		v4_say(h, LOADER_STRATEGY_CONFLICT, take_json(ev),
		       "--safetensors-load-strategy %s with the multi-threaded loader: newer vLLM rejects "
		       "the pair (the loader only implements the default lazy strategy, "
		       "vllm-project/vllm#45196): drop --safetensors-load-strategy before upgrading", s);
	return w;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd;
	struct loader l;
	int fp;
	if (serve_for_check(h, n, &cmd, &fp))
		return;
	read_loader(&cmd, n, &l);
	cJSON *ev = serve_evidence(&cmd, fp);
	add_evidence(ev, &l);
	int bad = judge_on(h, &l, &ev);
	if (!bad)
		bad = judge_threads(h, &l, &ev) + judge_upgrade(h, &l, &ev);
	if (!bad)
		v4_say(h, OK, take_json(&ev),
		       "multi-threaded loading with %.0f threads%s", l.threads < 0 ? 8 : l.threads,
		       l.cores > 0 ? "" : " (core count unknown)");
	cJSON_Delete(ev);
	free(l.err);
	serve_free(&cmd);
}

/* The serve command probes and nproc. */
static void loader_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			  struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
	v4_probe_add(ps, P_NPROC, -1, 0, "nproc");
}

const struct v4_check v4_check_loader = {
	.id = "loader",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 100, /* bench/tiers.sh: alone on one node */
	.title = "multi-threaded model loader configured (JSON boolean, 128 threads, within the cores)",
	.explain =
		"Symptom: loading the model takes about 10 minutes (failure 7 of the reference\n"
		"  deployment), close to or over the 600 s engine-ready timeout; or, after a vLLM\n"
		"  upgrade, start-up fails with \"enable_multithread_load must be a bool, got str\" or\n"
		"  \"does not support safetensors_load_strategy='prefetch'\".\n"
		"Cause: --model-loader-extra-config without enable_multithread_load (upstream default\n"
		"  8 threads when on); the deployment's flags write the boolean as the string \"true\"\n"
		"  and pair it with --safetensors-load-strategy prefetch: accepted by vLLM 0.21,\n"
		"  rejected by newer vLLM (vllm-project/vllm#45196).\n"
		"Fix: --model-loader-extra-config '{\"enable_multithread_load\": true,\n"
		"  \"num_threads\": 128}' (JSON true, not \"true\"; threads no more than `nproc`), and no\n"
		"  --safetensors-load-strategy prefetch|eager|torchao with it.",
	.probes_doc = SERVE_PROBES_DOC "; nproc",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = loader_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
