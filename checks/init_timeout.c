/* init-timeout: nothing in the serve command makes engine start-up die on a
 * timeout before DeepSeek-V4-Pro + MTP has loaded.
 *
 * Failure 5 of the reference deployment: with enable_balance_scheduling the
 * engine init died after 5 minutes: the front end waits 5 minutes, loading
 * V4 + MTP takes 7. Loads took 7-10 minutes, at or over the 600 s default of
 * VLLM_ENGINE_READY_TIMEOUT_S (the tutorial sets 3600). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve_source.h"

#define FINDINGS(F)                                                                                 \
	F(OK, PASS, "no balance scheduling; timeouts cover the expected load time")                 \
	F(BALANCE_SCHEDULING, FAIL, "enable_balance_scheduling is on: init dies after 5 minutes")   \
	F(READY_TIMEOUT_SHORT, WARN, "VLLM_ENGINE_READY_TIMEOUT_S is below the expected load time") \
	F(HCCL_CONNECT_TIMEOUT_SHORT, WARN, "HCCL_CONNECT_TIMEOUT is below the minimum")            \
	F(RPC_TIMEOUT_SHORT, WARN, "VLLM_RPC_TIMEOUT is below the minimum")                         \
	F(TIMEOUT_INVALID, WARN, "a timeout variable is not a positive integer")                    \
	F(INIT_CONFIG_INVALID, FAIL, "--additional-config is not a JSON object")                    \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"expected_load_s", 600, "expected model load time, s (the deployment's loads took 7-10 min)"},
	{"hccl_connect_min_s", 600, "lowest sensible HCCL_CONNECT_TIMEOUT, s (tutorials: 1200-7200)"},
	{"rpc_timeout_min_ms", 600000, "lowest sensible VLLM_RPC_TIMEOUT, ms (vLLM default 10000; "
				       "tutorials 1800000-3600000)"},
	{NULL, 0, NULL},
};

/* One timeout variable and how it is judged. */
struct timeout {
	const char *name;
	int code; /* its finding when below the minimum */
	const char *param, *unit;
	double def;       /* the default in force when unset */
	int unset;        /* judge when unset: 0 never, 1 running process only, 2 always */
	const char *hint; /* what to do */
};

static const struct timeout timeouts[] = {
	{"VLLM_ENGINE_READY_TIMEOUT_S", READY_TIMEOUT_SHORT, "expected_load_s", "s", 600, 2,
	 "loading V4-Pro + MTP took 7-10 minutes; set it to 3600 as the tutorial does (vllm-ascend "
	 "v0.21.0rc1 docs/source/tutorials/models/DeepSeek-V4-Pro.md)"},
	{"HCCL_CONNECT_TIMEOUT", HCCL_CONNECT_TIMEOUT_SHORT, "hccl_connect_min_s", "s", 0, 0,
	 "link set-up waits for the slowest rank; the deployment exports 7200"},
	{"VLLM_RPC_TIMEOUT", RPC_TIMEOUT_SHORT, "rpc_timeout_min_ms", "ms", 10000, 1,
	 "the deployment exports 1800000 (tutorials up to 3600000)"},
};

/* Where balance scheduling is switched on, or NULL. */
static const char *balance_on(const struct serve_cmd *cmd, const cJSON *ac)
{
	const char *env = serve_env(cmd, "VLLM_ASCEND_BALANCE_SCHEDULING");
	if (json_truthy(json_path(ac, "enable_balance_scheduling")))
		return "--additional-config enable_balance_scheduling";
	if (json_truthy(json_path(ac, "scheduler_config.enable_balance_scheduling")))
		return "--additional-config scheduler_config.enable_balance_scheduling";
	if (env && (strcmp(env, "1") == 0 || strcmp(env, "true") == 0 || strcmp(env, "True") == 0))
		return "VLLM_ASCEND_BALANCE_SCHEDULING=1";
	return NULL;
}

/* Parses a positive integer; 0 when it is not one. */
static int positive(const char *s, double *v)
{
	char *end = NULL;
	long long x = s ? strtoll(s, &end, 10) : 0;
	*v = (double)x;
	return s && end != s && !*end && x > 0;
}

/* Judges one timeout variable; returns findings added. */
static int judge_timeout(const struct v4_rep *h, const struct timeout *t, const struct serve_cmd *cmd,
			 int fp, cJSON *vals, cJSON **ev)
{
	const struct v4_check *c = h->check;
	const char *s = serve_env(cmd, t->name);
	double v = t->def, min = v4_param(h->ctx, c, t->param);
	if (s && !positive(s, &v)) {
		cJSON_AddStringToObject(vals, t->name, s);
		v4_say(h, TIMEOUT_INVALID, take_json(ev),
		       "%s=%s is not a positive integer (%s)", t->name, s, t->unit);
		return 1;
	}
	if (!s && (t->unset == 0 || (t->unset == 1 && !fp))) {
		cJSON_AddNullToObject(vals, t->name); /* not in force here, or not known */
		return 0;
	}
	cJSON_AddNumberToObject(vals, t->name, v);
	if (v >= min)
		return 0;
	v4_say(h, t->code, take_json(ev),
	       "%s is %.0f %s%s, below %.0f %s (checks.%s.%s): %s", t->name, v, t->unit,
	       s ? "" : " (default: not set)", min, t->unit, c->id, t->param, t->hint);
	return 1;
}

/* Balance scheduling and config validity; returns findings added. */
static int judge_balance(const struct v4_rep *h, const struct serve_cmd *cmd, cJSON **ev)
{
	cJSON *ac = NULL;
	char *err = NULL;
	int bad = 0;
	if (serve_json_opt(cmd, "--additional-config", &ac, &err) < 0 && ++bad)
		v4_say(h, INIT_CONFIG_INVALID, take_json(ev), "%s", err);
	const char *where = balance_on(cmd, ac);
	if (where && ++bad)
		v4_say(h, BALANCE_SCHEDULING, take_json(ev),
		       "%s: engine init dies after 5 minutes (the front end waits 5 minutes, loading "
		       "V4 + MTP takes 7): remove it", where);
	cJSON_Delete(ac);
	free(err);
	return bad;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd;
	int fp;
	if (serve_for_check(h, n, &cmd, &fp))
		return;
	cJSON *ev = serve_evidence(&cmd, fp), *vals = cJSON_CreateObject();
	cJSON_AddItemToObject(ev, "timeouts", vals);
	int bad = judge_balance(h, &cmd, &ev);
	for (size_t i = 0; i < V4_ARRAY_LEN(timeouts); i++)
		bad += judge_timeout(h, &timeouts[i], &cmd, fp, vals, &ev);
	if (!bad)
		v4_say(h, OK, take_json(&ev),
		       "no balance scheduling; engine-ready timeout %s s covers the expected %.0f s load",
		       serve_env(&cmd, "VLLM_ENGINE_READY_TIMEOUT_S") ? serve_env(&cmd, "VLLM_ENGINE_READY_TIMEOUT_S")
								      : "600 (default)",
		       v4_param(h->ctx, h->check, "expected_load_s"));
	cJSON_Delete(ev);
	serve_free(&cmd);
}

/* The serve command probes. */
static void init_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
}

const struct v4_check v4_check_init_timeout = {
	.id = "init-timeout",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 150, /* bench/tiers.sh: alone on one node */
	.title = "engine start-up outlives the model load (no balance scheduling, long enough timeouts)",
	.explain =
		"Symptom: engine init dies after about 5 minutes (\"Did not receive response from\n"
		"  front-end process within 5 minutes\") or after 600 s (\"Timed out waiting for engine\n"
		"  core processes to start ... VLLM_ENGINE_READY_TIMEOUT_S\"), failure 5 of the\n"
		"  reference deployment.\n"
		"Cause: with enable_balance_scheduling (top level or scheduler_config in\n"
		"  --additional-config, or VLLM_ASCEND_BALANCE_SCHEDULING=1) the front end waits 5\n"
		"  minutes while loading V4 + MTP takes 7; no config check rejects it on PD-mixed\n"
		"  (vllm-ascend v0.21.0rc1 vllm_ascend/platform.py refuses it only with a KV-transfer\n"
		"  role other than kv_both), so this is the deployment's empirical rule. Loads took\n"
		"  7-10 minutes, at or over VLLM_ENGINE_READY_TIMEOUT_S's 600 s default (the\n"
		"  tutorial sets 3600).\n"
		"Minimums judged: VLLM_ENGINE_READY_TIMEOUT_S >= expected_load_s (600 s); explicitly\n"
		"  set HCCL_CONNECT_TIMEOUT >= 600 s (tutorials 1200-7200; link set-up waits for the\n"
		"  slowest rank); VLLM_RPC_TIMEOUT >= 600000 ms (vLLM default 10000; tutorials\n"
		"  1800000-3600000; unset counts as 10000 only for a running process, whose\n"
		"  environment is known).\n"
		"Fix: remove enable_balance_scheduling; export VLLM_ENGINE_READY_TIMEOUT_S=3600 and the\n"
		"  deployment's HCCL_CONNECT_TIMEOUT=7200 VLLM_RPC_TIMEOUT=1800000 before vllm serve.",
	.probes_doc = SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = init_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
