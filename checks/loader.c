/* loader: the multi-threaded safetensors loader is configured, with a JSON
 * boolean and a thread count that fits the node.
 *
 * Failure 7 of the reference deployment: without the multi-threaded loader
 * loading took 10 minutes; 128 threads made safetensors loading about 3x
 * faster. The rules about the loader's keys come from the knowledge table of
 * the node's version: at vLLM v0.21.0 a string flag is read by truthiness
 * and --safetensors-load-strategy is ignored by the multithread loader (both
 * WARN); from the tables that mark them crashes (vllm#45196, in v0.23.0 and
 * later) both FAIL. Only the keys the table allows are accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"
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
	F(LOADER_STRING_BOOL, WARN, "enable_multithread_load is not a JSON boolean: read by truthiness "   \
	  "(\"false\" counts as on) by this vLLM, rejected by newer ones")                                  \
	F(LOADER_STRING_BOOL_REJECTED, FAIL, "enable_multithread_load is not a JSON boolean and this "     \
	  "vLLM fails the model load on it")                                                                 \
	F(LOADER_STRATEGY_IGNORED, WARN, "--safetensors-load-strategy other than lazy with the "             \
	  "multi-threaded loader: no effect in this vLLM (the loader takes no strategy)")                   \
	F(LOADER_STRATEGY_REJECTED, FAIL, "--safetensors-load-strategy other than lazy with the "            \
	  "multi-threaded loader: this vLLM fails the model load on it")                                     \
	F(LOADER_UNKNOWN_KEY, FAIL, "a --model-loader-extra-config key the default loader does not "        \
	  "allow: ValueError \"Unexpected extra config keys\" at model load")                                \
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
	char *unknown;      /* the first key the table does not allow, or NULL */
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
static void read_loader(const struct serve_cmd *c, const struct v4_node *n, const cJSON *t,
			struct loader *l)
{
	cJSON *j = NULL, *k;
	memset(l, 0, sizeof *l);
	l->threads = -1;
	l->cores = node_cores(n);
	l->strategy = serve_get(c, "--safetensors-load-strategy");
	l->present = serve_json_opt(c, "--model-loader-extra-config", &j, &l->err);
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(j, "enable_multithread_load");
	const cJSON *nt = cJSON_GetObjectItemCaseSensitive(j, "num_threads");
	l->on = json_truthy(mt);
	l->is_bool = cJSON_IsBool(mt);
	char *mtxt = mt ? cJSON_PrintUnformatted(mt) : NULL;
	snprintf(l->mt_text, sizeof l->mt_text, "%s", mtxt ? mtxt : "");
	free(mtxt);
	if (nt)
		l->threads = cJSON_IsNumber(nt) && nt->valuedouble >= 1 &&
				     nt->valuedouble == d_floor(nt->valuedouble) ? nt->valuedouble : -2;
	cJSON_ArrayForEach(k, j) {
		const cJSON *e = kn_entry(t, "loader_extra_config", k->string);
		if (!l->unknown && (!e || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "allowed")) ||
				    k->string[0] == '-'))
			l->unknown = xstrdup(k->string);
	}
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

/* The keys the table's default loader allows, comma-separated (a buffer of
 * the calling thread, valid until its next call). */
static const char *allowed_keys(const cJSON *t)
{
	static _Thread_local char buf[256];
	size_t len = 0;
	const cJSON *e;
	buf[0] = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, "loader_extra_config")) {
		const char *id = kn_str(e, "id");
		if (!id || id[0] == '-' || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "allowed")))
			continue;
		int k = snprintf(buf + len, sizeof buf - len, "%s%s", len ? ", " : "", id);
		if (k < 0 || (size_t)k >= sizeof buf - len)
			break;
		len += (size_t)k;
	}
	return buf;
}

/* FAIL findings: loader off or unusable; returns findings added. */
static int judge_on(const struct v4_rep *h, const cJSON *t, const struct loader *l, cJSON **ev)
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
	if (l->unknown) {
		v4_say(h, LOADER_UNKNOWN_KEY, take_json(ev),
		       "--model-loader-extra-config key \"%s\" is not one the default loader allows (%s): "
		       "ValueError \"%s\" at model load (%s)", l->unknown, allowed_keys(t),
		       kn_str(kn_entry(t, "crashes", "loader_unexpected_key"), "message"),
		       kn_src(t, "crashes", "loader_unexpected_key"));
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

/* The string flag and the strategy, by the table: a crash entry of its own
 * (newer vLLM) is a FAIL, else a WARN; returns findings added. */
static int judge_upgrade(const struct v4_rep *h, const cJSON *t, const struct loader *l, cJSON **ev)
{
	int w = 0;
	const char *s = l->strategy;
	const cJSON *cs = kn_entry(t, "crashes", "loader_multithread_string");
	const cJSON *cy = kn_entry(t, "crashes", "loader_multithread_strategy");
	if (!l->is_bool && ++w) {
		if (cs)
			v4_say(h, LOADER_STRING_BOOL_REJECTED, take_json(ev),
			       "\"enable_multithread_load\": %s is not a JSON boolean: vLLM %s fails the model "
			       "load (ValueError \"%s\", %s): write true", l->mt_text, kn_vllm(t),
			       kn_str(cs, "message"), kn_src(t, "crashes", "loader_multithread_string"));
		else
			v4_say(h, LOADER_STRING_BOOL, take_json(ev),
			       "\"enable_multithread_load\": %s is not a JSON boolean: vLLM %s reads it by "
			       "truthiness (any non-empty string is on, \"false\" too; %s) and newer vLLM "
			       "rejects it (https://github.com/vllm-project/vllm/pull/49324): write true",
			       l->mt_text, kn_vllm(t), kn_src(t, "loader_extra_config", "enable_multithread_load"));
	}
	if (s && strcmp(s, "lazy") != 0 && ++w) {
		if (cy)
			v4_say(h, LOADER_STRATEGY_REJECTED, take_json(ev),
			       "--safetensors-load-strategy %s with the multi-threaded loader: vLLM %s fails "
			       "the model load (ValueError \"%s\", %s): drop --safetensors-load-strategy", s,
			       kn_vllm(t), kn_str(cy, "message"), kn_src(t, "crashes", "loader_multithread_strategy"));
		else
			v4_say(h, LOADER_STRATEGY_IGNORED, take_json(ev),
			       "--safetensors-load-strategy %s has no effect with the multi-threaded loader: "
			       "vLLM %s's multithread iterator takes no strategy (%s); newer vLLM rejects the "
			       "pair: drop --safetensors-load-strategy", s, kn_vllm(t),
			       kn_src(t, "loader_extra_config", "--safetensors-load-strategy"));
	}
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
	struct kn_pick kp;
	kn_pick_node(n, h->ctx, &kp);
	read_loader(&cmd, n, kp.t, &l);
	cJSON *ev = serve_evidence(&cmd, fp);
	add_evidence(ev, &l);
	cJSON_AddStringToObject(ev, "knowledge_table", kp.tag);
	int bad = judge_on(h, kp.t, &l, &ev);
	if (!bad)
		bad = judge_threads(h, &l, &ev) + judge_upgrade(h, kp.t, &l, &ev);
	if (!bad)
		v4_say(h, OK, take_json(&ev),
		       "multi-threaded loading with %.0f threads%s", l.threads < 0 ? 8 : l.threads,
		       l.cores > 0 ? "" : " (core count unknown)");
	cJSON_Delete(ev);
	free(l.err);
	free(l.unknown);
	serve_free(&cmd);
	kn_pick_free(&kp);
}

/* The serve command probes and nproc. */
static void loader_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			  struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
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
		"  8 threads when on). The rules come from the knowledge table of the node's\n"
		"  version (the versions check's probe). At vLLM v0.21.0 (vllm-ascend v0.21.0rc1):\n"
		"  the flag is read by truthiness, so the deployment's string \"true\" works and\n"
		"  \"false\" would too (LOADER_STRING_BOOL WARN; vllm-project/vllm@v0.21.0\n"
		"  vllm/model_executor/model_loader/default_loader.py, before-state described in\n"
		"  https://github.com/vllm-project/vllm/pull/49324), and the multithread iterator\n"
		"  takes no strategy, so --safetensors-load-strategy prefetch has no effect\n"
		"  (LOADER_STRATEGY_IGNORED WARN; same PR). From vLLM v0.23.0 both fail the model\n"
		"  load (vllm-project/vllm#45196: LOADER_STRING_BOOL_REJECTED,\n"
		"  LOADER_STRATEGY_REJECTED FAIL; the tables mark these inferred). The default loader\n"
		"  allows only enable_multithread_load, num_threads and enable_weights_track; any\n"
		"  other key is ValueError \"Unexpected extra config keys for load format\"\n"
		"  (LOADER_UNKNOWN_KEY FAIL; https://github.com/vllm-project/vllm/pull/41086 added\n"
		"  enable_weights_track).\n"
		"Fix: --model-loader-extra-config '{\"enable_multithread_load\": true,\n"
		"  \"num_threads\": 128}' (JSON true, not \"true\"; threads no more than `nproc`), and no\n"
		"  --safetensors-load-strategy with it.",
	.probes_doc = SERVE_PROBES_DOC "; nproc",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = loader_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
