/* init-timeout: what the serve command does to engine start-up, judged by the
 * knowledge table of the node's vllm-ascend version (knowledge.h).
 *
 * Failure 5 of the reference deployment: with enable_balance_scheduling the
 * engine init died after 5 minutes. No code path at v0.21.0rc1 ties balance
 * scheduling to a start-up timer (the BalanceScheduler is a scheduler patch;
 * the only 5-minute timer, HANDSHAKE_TIMEOUT_MINS, ends before the model
 * loads), so this is reported as the deployment's observation (WARN), never
 * with a mechanism. VLLM_ENGINE_READY_TIMEOUT_S does not bound the load and
 * VLLM_RPC_TIMEOUT is read by nothing: neither is judged. HCCL_CONNECT_TIMEOUT
 * must lie in CANN's documented range [120, 7200]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"
#include "serve_source.h"

#define FINDINGS(F)                                                                                 \
	F(OK, PASS, "no balance scheduling; HCCL_CONNECT_TIMEOUT within CANN's range")              \
	F(BALANCE_SCHEDULING, WARN, "enable_balance_scheduling is on: the reference deployment "    \
	  "saw engine init die after 5 minutes with it (an observation: no code path explains it)") \
	F(HCCL_CONNECT_TIMEOUT_RANGE, WARN, "HCCL_CONNECT_TIMEOUT is not an integer in CANN's "     \
	  "documented range [120, 7200] s")                                                          \
	F(TIMEOUT_INVALID, WARN, "VLLM_ENGINE_READY_TIMEOUT_S is not a positive integer (vLLM "     \
	  "parses it with int())")                                                                   \
	F(INIT_CONFIG_INVALID, FAIL, "--additional-config is not a JSON object")                    \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

#define HCCL_MIN 120
#define HCCL_MAX 7200

/* 1 when the table's tag is newer than v0.21.0rc1, where the environment
 * variable alone switches the BalanceScheduler on (v0.23.0
 * patch_balance_schedule.py:34-46; at v0.21.0rc1 only the key does). */
static int env_switches_scheduler(const cJSON *t)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, "vllm_ascend");
	return cJSON_IsString(x) && v4_version_cmp(x->valuestring + (x->valuestring[0] == 'v'), "0.21.0rc1") > 0;
}

/* 1 when an environment value is an integer other than 0 (bool(int(value))). */
static int env_int_true(const char *v)
{
	char *end = NULL;
	long x = v ? strtol(v, &end, 10) : 0;
	return v && end != v && *end == 0 && x != 0;
}

/* Where balance scheduling is switched on for the table t, or NULL; *src its source. */
static const char *balance_on(const cJSON *t, const struct serve_cmd *cmd, const cJSON *ac,
			      const char **src)
{
	const char *env = serve_env(cmd, "VLLM_ASCEND_BALANCE_SCHEDULING");
	*src = kn_src(t, "additional_config", "enable_balance_scheduling");
	if (kn_key_read(t, "scheduler_config.enable_balance_scheduling") == 1) {
		const cJSON *nested = json_path(ac, "scheduler_config.enable_balance_scheduling");
		*src = kn_src(t, "additional_config", "scheduler_config.enable_balance_scheduling");
		if (nested)
			return json_truthy(nested) ? "--additional-config scheduler_config.enable_balance_scheduling" : NULL;
	}
	const cJSON *top = json_path(ac, "enable_balance_scheduling");
	if (top)
		return json_truthy(top) ? "--additional-config enable_balance_scheduling" : NULL;
	if (env_switches_scheduler(t) && env_int_true(env))
		return "VLLM_ASCEND_BALANCE_SCHEDULING (no additional-config key)";
	return NULL;
}

/* Parses an integer; 0 when it is not one. */
static int integer(const char *s, long long *v)
{
	char *end = NULL;
	*v = s ? strtoll(s, &end, 10) : 0;
	return s && end != s && !*end;
}

/* HCCL_CONNECT_TIMEOUT in CANN's range, and VLLM_ENGINE_READY_TIMEOUT_S an
 * integer; the values go into evidence. Returns findings added. */
static int judge_timeouts(const struct v4_rep *h, const cJSON *t, const struct serve_cmd *cmd,
			  cJSON *vals, cJSON **ev)
{
	const char *hc = serve_env(cmd, "HCCL_CONNECT_TIMEOUT");
	const char *rt = serve_env(cmd, "VLLM_ENGINE_READY_TIMEOUT_S");
	const char *ex = serve_env(cmd, "VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS");
	long long v;
	int bad = 0;
	cJSON_AddStringToObject(vals, "HCCL_CONNECT_TIMEOUT", hc ? hc : "unset (120 s)");
	cJSON_AddStringToObject(vals, "VLLM_ENGINE_READY_TIMEOUT_S",
				rt ? rt : "unset (600 s; bounds only the wait after wait_for_engine_startup(), not the load)");
	cJSON_AddStringToObject(vals, "VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS",
				ex ? ex : env_switches_scheduler(t)
						  ? "unset (vllm-ascend raises it to 3000)"
						  : "unset (vLLM's 300 s: vllm-ascend raises it only from v0.23.0)");
	if (hc && (!integer(hc, &v) || v < HCCL_MIN || v > HCCL_MAX) && ++bad)
		v4_say(h, HCCL_CONNECT_TIMEOUT_RANGE, take_json(ev),
		       "HCCL_CONNECT_TIMEOUT=%s is outside CANN's documented range: an integer in [%d, %d] "
		       "s (%s)", hc, HCCL_MIN, HCCL_MAX, kn_src(t, "env", "HCCL_CONNECT_TIMEOUT"));
	if (rt && (!integer(rt, &v) || v <= 0) && ++bad)
		v4_say(h, TIMEOUT_INVALID, take_json(ev),
		       "VLLM_ENGINE_READY_TIMEOUT_S=%s is not a positive integer: vLLM's int() fails on "
		       "it (%s)", rt, kn_src(t, "env", "VLLM_ENGINE_READY_TIMEOUT_S"));
	return bad;
}

/* Balance scheduling and config validity; returns findings added. */
static int judge_balance(const struct v4_rep *h, const cJSON *t, const struct serve_cmd *cmd, cJSON **ev)
{
	cJSON *ac = NULL;
	char *err = NULL;
	const char *src;
	int bad = 0;
	if (serve_json_opt(cmd, "--additional-config", &ac, &err) < 0 && ++bad)
		v4_say(h, INIT_CONFIG_INVALID, take_json(ev), "%s", err);
	const char *where = balance_on(t, cmd, ac, &src);
	const cJSON *obs = kn_entry(t, "observations", "balance_scheduling_init_5min");
	if (where && ++bad)
		v4_say(h, BALANCE_SCHEDULING, take_json(ev),
		       "balance scheduling is on (%s, %s): the reference deployment saw engine init die "
		       "after 5 minutes with it while V4 + MTP took 7 minutes to load (%s); no code path "
		       "at vllm-ascend %s explains it. Watch start-up, or leave it off",
		       where, src, kn_str(obs, "source") ? kn_str(obs, "source") : "observed", kn_str(t, "vllm_ascend"));
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
	struct kn_pick kp;
	kn_pick_node(n, h->ctx, &kp);
	cJSON *ev = serve_evidence(&cmd, fp), *vals = cJSON_CreateObject();
	cJSON_AddItemToObject(ev, "timeouts", vals);
	cJSON_AddStringToObject(ev, "knowledge_table", kp.tag);
	int bad = judge_balance(h, kp.t, &cmd, &ev);
	bad += judge_timeouts(h, kp.t, &cmd, vals, &ev);
	const char *hc = serve_env(&cmd, "HCCL_CONNECT_TIMEOUT");
	if (!bad)
		v4_say(h, OK, take_json(&ev), "no balance scheduling; HCCL_CONNECT_TIMEOUT %s within [%d, %d] s",
		       hc ? hc : "120 (default)", HCCL_MIN, HCCL_MAX);
	cJSON_Delete(ev);
	serve_free(&cmd);
	kn_pick_free(&kp);
}

/* The serve command probes. */
static void init_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
}

const struct v4_check v4_check_init_timeout = {
	.id = "init-timeout",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 150, /* bench/tiers.sh: alone on one node */
	.title = "engine start-up outlives the model load (no balance scheduling, long enough timeouts)",
	.explain =
		"Symptom: engine init dies after about 5 minutes with enable_balance_scheduling\n"
		"  (failure 5 of the reference deployment), or HCCL link set-up gives up.\n"
		"Balance scheduling (WARN, an observation): the reference deployment saw engine\n"
		"  init die after 5 minutes with enable_balance_scheduling while V4 + MTP took 7\n"
		"  minutes to load. No code path at vllm-ascend v0.21.0rc1 explains it: the\n"
		"  BalanceScheduler is a scheduler patch (vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  vllm_ascend/patch/platform/patch_balance_schedule.py:31-33), and the only\n"
		"  5-minute timer, HANDSHAKE_TIMEOUT_MINS, is an engine core's wait for the front\n"
		"  end's reply before the model loads. At v0.21.0rc1 only the top-level key\n"
		"  switches the scheduler on (scheduler_config.* is not read; the variable\n"
		"  VLLM_ASCEND_BALANCE_SCHEDULING=1 alone does not, ascend_config.py:77-82; from\n"
		"  v0.23.0 it does; at v0.25.1rc1 scheduler_config.enable_balance_scheduling wins\n"
		"  over the legacy top-level key). Its crashes (PD roles, a non-integer variable)\n"
		"  are serve-args'.\n"
		"HCCL_CONNECT_TIMEOUT (WARN): CANN documents an integer in [120, 7200] s, default\n"
		"  120 (https://www.hiascend.com/document/detail/zh/CANNCommunityEdition/900beta2/\n"
		"  maintenref/envvar/envref_07_0077.html), read by HCCL in the workers: judged in\n"
		"  the processes' environment (pre-deploy: the script's exports over the\n"
		"  container's env). The deployment exports 7200.\n"
		"Not judged: VLLM_ENGINE_READY_TIMEOUT_S bounds only the wait after\n"
		"  wait_for_engine_startup(), which has no deadline and covers the load\n"
		"  (https://github.com/vllm-project/vllm/issues/48031): its value is evidence\n"
		"  only (a non-integer is TIMEOUT_INVALID: vLLM's int() fails). VLLM_RPC_TIMEOUT\n"
		"  is read by nothing (https://github.com/vllm-project/vllm/pull/44128).\n"
		"  VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS (vLLM 300 s) is evidence: vllm-ascend raises\n"
		"  it to 3000 only from v0.23.0 (vllm-project/vllm-ascend@v0.23.0\n"
		"  vllm_ascend/platform.py:1274-1281).\n"
		"Fix: leave enable_balance_scheduling off, or watch start-up when it is on; keep\n"
		"  HCCL_CONNECT_TIMEOUT within [120, 7200].",
	.probes_doc = SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = init_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
