/* kv-budget: the serve command's memory plan fits a 910B2 with the
 * DeepSeek-V4-Pro-w4a8 KV cache, and enable_kv_nz is not set.
 *
 * Failure 4 of the reference deployment: at --gpu-memory-utilization 0.97
 * the 1M-token KV filled the card, 136 MB stayed free and concurrent
 * requests ran out of NPU memory; 0.93 with 2048 batched tokens holds.
 * enable_kv_nz crashed at start.
 *
 * The profile (every number overridable as checks.kv-budget.<name>):
 *   hbm_torch_mib 62420   torch's total of a 64 GB 910B2: 65452113920 B =
 *                         60.96 GiB (vllm-project/vllm-ascend#1127)
 *   kv_kib_per_token 16.6 the deployment's 16.6 GiB of KV for 1048576 tokens
 *                         per NPU = 16.6 KiB per token
 *   hccl_buffsize_mb 512  HCCL_BUFFSIZE when the command does not say (the
 *                         container's env: 512); a running process without it
 *                         gets CANN's 200. HCCL takes 2 x HCCL_BUFFSIZE per MC2
 *                         communicator (mc2_comms 1) outside the pool (MC2
 *                         groups take HCCL_BUFFSIZE: vllm_ascend/utils.py)
 *   graph_mib 713         ACL graph memory, outside the pool (captured after
 *                         KV sizing, vllm_ascend/worker/worker.py): solved
 *                         from "136 MB left at 0.97": 0.03 x 62420 = 1872.6 MiB
 *                         headroom - 1024 MiB HCCL - 713 = 135.6 MiB
 *   act_mib_per_token 0.75, runtime_mib 512
 *                         the runtime peak that must stay free after HCCL and
 *                         graphs: 512 + 0.75 x batched tokens. At 2048 tokens
 *                         2048 MiB: 0.93 leaves 4369.4 - 1737 = 2632 MiB (holds,
 *                         584 MiB spare); 0.97 leaves 136 (OOM); 4096 tokens at
 *                         0.93 would need 3584 (why the deployment chose 2048);
 *                         the tutorial's 4096 at 0.9 leaves 4505 (holds).
 *                         The profiled activation peak (same 0.75 MiB/token) is
 *                         also taken from the pool.
 *   weights_gib 28        W4A8 weights per NPU (experts over EP32, the rest over
 *                         TP8; estimate): pool at 0.93 = 56.69 - 28 - 1.5 =
 *                         27.19 GiB >= 16.6 GiB for 1M tokens.
 * When the engine log is readable, "Available KV cache memory" and "GPU KV cache
 * size" are compared with the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"
#include "serve_source.h"

#define P_LOG "serve-log"

#define FINDINGS(F)                                                                                         \
	F(OK, PASS, "the memory plan leaves room for HCCL, graphs and the runtime peak")                    \
	F(KV_HEADROOM_SHORT, FAIL, "what util leaves outside the pool cannot hold HCCL + graphs + runtime " \
	  "peak")                                                                                           \
	F(KV_NZ_CRASH, FAIL, "enable_kv_nz (top level) is on where vllm-ascend raises at start: every "    \
	  "node for DeepSeek-V4 / V3.2 (index_topk), else outside a PD decode node")                       \
	F(KV_POOL_SHORT, WARN, "the estimated KV pool is smaller than max-model-len needs")                 \
	F(KV_LOG_SHORT, FAIL, "the engine log's KV cache cannot hold one max-model-len request")            \
	F(KV_MODEL_DRIFT, WARN, "the engine log's KV memory differs from the profile: recalibrate")         \
	F(KV_CONFIG_INVALID, FAIL, "a memory option is not a number or --additional-config is not JSON")    \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"hbm_torch_mib", 62420, "NPU memory torch sees, MiB (910B2: 60.96 GiB)"},
	{"weights_gib", 28, "model weights per NPU, GiB (V4-Pro w4a8, DP4 x TP8 + EP32)"},
	{"act_mib_per_token", 0.75, "activation per batched token, MiB (profiled peak, and again at run time)"},
	{"runtime_mib", 512, "fixed runtime peak outside the pool (workspaces, fragmentation), MiB"},
	{"graph_mib", 713, "ACL graph memory outside the pool, MiB"},
	{"hccl_buffsize_mb", 512, "HCCL_BUFFSIZE assumed when the command does not set it"},
	{"mc2_comms", 1, "MC2 communicators, each 2 x HCCL_BUFFSIZE MB outside the pool"},
	{"kv_kib_per_token", 16.6, "KV per token per NPU, KiB (16.6 GiB for 1M tokens)"},
	{"log_tolerance", 0.25, "relative difference between log and profile before KV_MODEL_DRIFT"},
	{NULL, 0, NULL},
};

/* The memory plan of one node, MiB unless named otherwise. */
struct plan {
	double util, total, requested, headroom, hccl, buffsize, graph, act, free_after;
	double runtime_need, weights, kv_pool, kv_need, max_len, batched;
	const char *buff_src;
	int kv_bytes_given;
	double log_kv_gib, log_tokens; /* -1 when not in the log */
	char *log_why;
};

/* HCCL_BUFFSIZE in force and where it comes from. */
static double buffsize(const struct v4_check *c, const struct v4_ctx *ctx, const struct serve_cmd *cmd,
		       int fp, const char **src)
{
	const char *v = serve_env(cmd, "HCCL_BUFFSIZE");
	char *end = NULL;
	double d = v ? strtod(v, &end) : 0;
	if (v && end != v && !*end && d > 0) {
		*src = fp ? "process environment" : "serve script's exports over the container's env";
		return d;
	}
	*src = fp ? "CANN default (not in the process environment)" : "checks.kv-budget.hccl_buffsize_mb";
	return fp ? 200 : v4_param(ctx, c, "hccl_buffsize_mb");
}

/* Fills the options part of the plan; -1 with *why when one is not a number. */
static int plan_options(const struct serve_cmd *cmd, const cJSON *t, struct plan *p, char **why)
{
	double kvb = 0;
	/* unset: 2048 on devices under 70 GiB (vLLM's default; defaults/max_num_batched_tokens_unset) */
	double batched_unset = kn_default_num(t, "max_num_batched_tokens_unset", 2048);
	if (serve_num_or(cmd, "--gpu-memory-utilization", 0.9, &p->util) ||
	    serve_num_or(cmd, "--max-num-batched-tokens", batched_unset, &p->batched) ||
	    serve_num_or(cmd, "--max-model-len", 0, &p->max_len) ||
	    serve_num_or(cmd, "--kv-cache-memory", 0, &kvb) || p->util <= 0 || p->util > 1) {
		*why = xstrdup("--gpu-memory-utilization, --max-num-batched-tokens, --max-model-len or "
			       "--kv-cache-memory is not a usable number");
		return -1;
	}
	p->kv_bytes_given = kvb > 0;
	p->kv_pool = kvb / 1048576.0;
	return 0;
}

/* Computes the plan from the command and the profile; -1 with *why. */
static int make_plan(const struct v4_check *c, const struct v4_ctx *ctx, const cJSON *t,
		     const struct serve_cmd *cmd, int fp, struct plan *p, char **why)
{
	memset(p, 0, sizeof *p);
	p->log_kv_gib = p->log_tokens = -1;
	if (plan_options(cmd, t, p, why))
		return -1;
	p->total = v4_param(ctx, c, "hbm_torch_mib");
	p->weights = v4_param(ctx, c, "weights_gib") * 1024;
	p->act = v4_param(ctx, c, "act_mib_per_token") * p->batched;
	p->graph = v4_param(ctx, c, "graph_mib");
	p->buffsize = buffsize(c, ctx, cmd, fp, &p->buff_src);
	p->hccl = 2 * p->buffsize * v4_param(ctx, c, "mc2_comms");
	p->runtime_need = v4_param(ctx, c, "runtime_mib") + p->act;
	p->kv_need = p->max_len * v4_param(ctx, c, "kv_kib_per_token") / 1024;
	if (p->kv_bytes_given)
		p->requested = p->weights + p->act + p->kv_pool;
	else
		p->requested = p->total * p->util;
	if (!p->kv_bytes_given)
		p->kv_pool = p->requested - p->weights - p->act;
	p->headroom = p->total - p->requested;
	p->free_after = p->headroom - p->hccl - p->graph;
	return 0;
}

/* The last number after key on some line of the log, commas dropped; -1 if none. */
static double log_value(const char *text, size_t len, const char *key)
{
	double v = -1;
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n)) {
		char buf[512];
		snprintf(buf, sizeof buf, "%.*s", (int)(n < 511 ? n : 511), line);
		char *k = strstr(buf, key), *w = buf;
		if (!k)
			continue;
		for (char *r = k + strlen(key); *r && (*r == ' ' || *r == ',' || (*r >= '0' && *r <= '9') || *r == '.'); r++)
			if (*r != ',' && *r != ' ')
				*w++ = *r;
		*w = 0;
		if (buf[0])
			v = strtod(buf, NULL);
	}
	return v;
}

/* Reads the engine log's KV figures into p (or why they are unavailable). */
static void read_log(const struct v4_node *n, struct plan *p)
{
	if (!v4_fact(n, P_LOG)) {
		p->log_why = xstrdup("no running vLLM container log");
		return;
	}
	const struct v4_fact *f = v4_fact_ok(n, P_LOG, 0, &p->log_why);
	if (!f)
		return;
	p->log_kv_gib = log_value(f->out, f->out_len, "Available KV cache memory:");
	p->log_tokens = log_value(f->out, f->out_len, "GPU KV cache size:");
	if (p->log_kv_gib < 0 && p->log_tokens < 0)
		p->log_why = xstrdup("the log's last 2000 lines have no KV cache size lines");
}

/* The plan's figures for evidence. */
static void add_evidence(cJSON *ev, const struct plan *p)
{
	cJSON_AddNumberToObject(ev, "gpu_memory_utilization", p->util);
	cJSON_AddNumberToObject(ev, "torch_total_gib", p->total / 1024);
	cJSON_AddNumberToObject(ev, "requested_gib", d_round(p->requested / 10.24) / 100);
	cJSON_AddNumberToObject(ev, "headroom_gib", d_round(p->headroom / 10.24) / 100);
	cJSON_AddNumberToObject(ev, "hccl_buffsize_mb", p->buffsize);
	cJSON_AddStringToObject(ev, "hccl_buffsize_source", p->buff_src);
	cJSON_AddNumberToObject(ev, "hccl_mib", p->hccl);
	cJSON_AddNumberToObject(ev, "graph_mib", p->graph);
	cJSON_AddNumberToObject(ev, "free_after_hccl_graph_mib", d_round(p->free_after));
	cJSON_AddNumberToObject(ev, "runtime_peak_mib", d_round(p->runtime_need));
	cJSON_AddNumberToObject(ev, "max_num_batched_tokens", p->batched);
	cJSON_AddNumberToObject(ev, "weights_gib", p->weights / 1024);
	cJSON_AddNumberToObject(ev, "kv_pool_gib", d_round(p->kv_pool / 10.24) / 100);
	cJSON_AddNumberToObject(ev, "max_model_len", p->max_len);
	cJSON_AddNumberToObject(ev, "kv_needed_gib", d_round(p->kv_need / 10.24) / 100);
	if (p->log_kv_gib >= 0)
		cJSON_AddNumberToObject(ev, "log_available_kv_gib", p->log_kv_gib);
	if (p->log_tokens >= 0)
		cJSON_AddNumberToObject(ev, "log_kv_cache_tokens", p->log_tokens);
	if (p->log_why)
		cJSON_AddStringToObject(ev, "log", p->log_why);
}

/* 1 when the model has index_topk (DeepSeek-V4, V3.2) by path or tokenizer
 * mode; 0 for another DeepSeek (MLA without index_topk); -1 not DeepSeek. */
static int model_kind(const struct serve_cmd *c)
{
	const char *m = c->model ? c->model : serve_get(c, "--model");
	const char *tm = serve_get(c, "--tokenizer-mode");
	if ((m && (strcasestr(m, "deepseek-v4") || strcasestr(m, "deepseek_v4") || strcasestr(m, "v3.2"))) ||
	    (tm && strcmp(tm, "deepseek_v4") == 0))
		return 1;
	return (m && strcasestr(m, "deepseek")) ? 0 : -1;
}

/* 1 when --kv-transfer-config makes the node a kv_consumer. */
static int is_consumer(const struct serve_cmd *cmd)
{
	cJSON *j = NULL;
	char *err = NULL;
	int r = serve_json_opt(cmd, "--kv-transfer-config", &j, &err) > 0;
	const cJSON *role = cJSON_GetObjectItemCaseSensitive(j, "kv_role");
	r = r && cJSON_IsString(role) && strcmp(role->valuestring, "kv_consumer") == 0;
	cJSON_Delete(j);
	free(err);
	return r;
}

/* KV_NZ_CRASH or KV_CONFIG_INVALID from --additional-config, by the table: only
 * the top-level key is read; on a model with index_topk (or not DeepSeek MLA)
 * RuntimeError on every node, else NotImplementedError off a kv_consumer.
 * Returns findings added. */
static int judge_kv_nz(const struct v4_rep *h, const cJSON *t, const struct serve_cmd *cmd, cJSON **ev)
{
	cJSON *ac = NULL;
	char *err = NULL;
	int bad = 0, rc = serve_json_opt(cmd, "--additional-config", &ac, &err);
	int kind = model_kind(cmd);
	const char *id = kind != 0 ? "kv_nz_index_topk" : "kv_nz_not_consumer";
	const cJSON *e = kn_entry(t, "crashes", id);
	if (rc < 0 && ++bad)
		v4_say(h, KV_CONFIG_INVALID, take_json(ev), "%s", err);
	else if (rc > 0 && json_truthy(cJSON_GetObjectItemCaseSensitive(ac, "enable_kv_nz")) &&
		 (kind != 0 || !is_consumer(cmd)) && ++bad)
		v4_say(h, KV_NZ_CRASH, take_json(ev),
		       "--additional-config enable_kv_nz: vllm-ascend %s raises %s (\"%s\") at start%s "
		       "(%s): remove it", kn_str(t, "vllm_ascend"), kn_str(e, "exception"), kn_str(e, "message"),
		       kind == 1 ? " on every node for a model with index_topk (DeepSeek-V4, V3.2), kv_consumer too"
		       : kind < 0 ? " for a model that is not DeepSeek MLA" : " outside a PD decode (kv_consumer) node",
		       kn_src(t, "crashes", id));
	cJSON_Delete(ac);
	free(err);
	return bad;
}

/* Headroom and pool findings; returns how many were added. */
static int judge_plan(const struct v4_rep *h, const struct plan *p, cJSON **ev)
{
	int bad = 0;
	double umax = 1 - (p->hccl + p->graph + p->runtime_need) / p->total;
	if (p->free_after < p->runtime_need && ++bad)
		v4_say(h, KV_HEADROOM_SHORT, take_json(ev),
		       "util %.2f requests %.2f of %.2f GiB; of the %.0f MiB left, HCCL takes %.0f "
		       "(2 x HCCL_BUFFSIZE %.0f) and graphs %.0f, leaving %.0f MiB for a runtime peak of "
		       "%.0f MiB at %.0f batched tokens: NPU out of memory under concurrency (the "
		       "deployment: 136 MB left at 0.97). Use util <= %.3f (the deployment runs 0.93) "
		       "or fewer batched tokens", p->util, p->requested / 1024, p->total / 1024,
		       p->headroom, p->hccl, p->buffsize, p->graph, p->free_after, p->runtime_need,
		       p->batched, d_floor(umax * 1000) / 1000);
	if (p->max_len > 0 && p->kv_pool < p->kv_need && ++bad)
		v4_say(h, KV_POOL_SHORT, take_json(ev),
		       "estimated KV pool %.2f GiB is below the %.2f GiB max-model-len %.0f needs: "
		       "vLLM will refuse to start; raise util within the headroom or lower "
		       "--max-model-len", p->kv_pool / 1024, p->kv_need / 1024, p->max_len);
	return bad;
}

/* Compares the engine log's figures with the plan; returns findings added. */
static int judge_log(const struct v4_rep *h, const struct plan *p, cJSON **ev)
{
	int bad = 0;
	double tol = v4_param(h->ctx, h->check, "log_tolerance"), model = p->kv_pool / 1024;
	if (p->log_tokens >= 0 && p->max_len > 0 && p->log_tokens < p->max_len && ++bad)
		v4_say(h, KV_LOG_SHORT, take_json(ev),
		       "the engine log's KV cache holds %.0f tokens, fewer than --max-model-len %.0f",
		       p->log_tokens, p->max_len);
	if (p->log_kv_gib > 0 && !p->kv_bytes_given && d_abs(p->log_kv_gib - model) > tol * model && ++bad)
		v4_say(h, KV_MODEL_DRIFT, take_json(ev),
		       "the engine log reports %.2f GiB available for KV, the profile estimates %.2f: "
		       "set checks.kv-budget.weights_gib to about %.1f so the budget matches this image",
		       p->log_kv_gib, model, (p->weights / 1024) + model - p->log_kv_gib);
	return bad;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd;
	struct plan p;
	char *why = NULL;
	int fp;
	if (serve_for_check(h, n, &cmd, &fp))
		return;
	cJSON *ev = serve_evidence(&cmd, fp);
	struct kn_pick kp;
	kn_pick_node(n, h->ctx, &kp);
	int bad = judge_kv_nz(h, kp.t, &cmd, &ev);
	if (make_plan(h->check, h->ctx, kp.t, &cmd, fp, &p, &why) == 0) {
		read_log(n, &p);
		add_evidence(ev, &p);
		bad += judge_plan(h, &p, &ev) + judge_log(h, &p, &ev);
		if (!bad)
			v4_say(h, OK, take_json(&ev),
			       "util %.2f: %.2f GiB requested; %.0f MiB spare after HCCL %.0f, graphs %.0f "
			       "and a %.0f MiB runtime peak; KV pool ~%.2f GiB for the %.2f GiB max-model-len "
			       "needs", p.util, p.requested / 1024, p.free_after - p.runtime_need, p.hccl,
			       p.graph, p.runtime_need, p.kv_pool / 1024, p.kv_need / 1024);
		free(p.log_why);
	} else {
		v4_say(h, KV_CONFIG_INVALID, take_json(&ev), "%s", why);
	}
	cJSON_Delete(ev);
	free(why);
	serve_free(&cmd);
	kn_pick_free(&kp);
}

/* 1 when a vLLM API server runs on the node (per the listing). */
static int serving(const struct v4_node *n)
{
	struct serve_procs ps;
	char *why = NULL;
	int rc = node_serve_procs(n, &ps, &why) == 0;
	serve_procs_free(&ps);
	free(why);
	return rc;
}

/* The serve command probes, and the container log when a vLLM runs. */
static void kv_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		      struct v4_probes *ps)
{
	const char *ct = v4_cfg_str(ctx->cfg, "deployment.container", NULL);
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
	if (ct && word_ok(ct) && serving(n))
		v4_probe_add(ps, P_LOG, -1, 0, "docker logs --tail 2000 %s 2>&1", ct);
}

const struct v4_check v4_check_kv_budget = {
	.id = "kv-budget",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 260, /* bench/tiers.sh: alone on one node */
	.title = "NPU memory plan: util headroom holds HCCL, graphs and the runtime peak; no enable_kv_nz",
	.explain =
		"Symptom: NPU out of memory as soon as requests run concurrently, or a crash at start\n"
		"  with enable_kv_nz (failure 4 of the reference deployment).\n"
		"Cause: --gpu-memory-utilization u asks for u x 60.96 GiB (what torch sees of a 64 GB\n"
		"  910B2: vllm-project/vllm-ascend#1127) for weights, the profiled activation peak and\n"
		"  the KV pool (vllm-ascend v0.21.0rc1 vllm_ascend/worker/worker.py). HCCL buffers\n"
		"  (2 x HCCL_BUFFSIZE MB per MC2 communicator; MC2 groups take HCCL_BUFFSIZE:\n"
		"  vllm_ascend/utils.py) and ACL graph memory (captured after the KV cache is sized:\n"
		"  vllm_ascend/worker/worker.py) are allocated later from the (1 - u) rest, and the\n"
		"  runtime peak must still fit. At 0.97 the 1M-token KV (16.6 GB per NPU) fills the\n"
		"  card and only 136 MB stays free; 0.93 with --max-num-batched-tokens 2048 holds.\n"
		"  enable_kv_nz (only the top-level key is read) raises RuntimeError \"enable_kv_nz is\n"
		"  only supported for mla currently.\" on every node, kv_consumer too, for models with\n"
		"  index_topk (DeepSeek-V4, V3.2; vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  vllm_ascend/ascend_config.py:232-243), NotImplementedError outside a PD decode node\n"
		"  for other DeepSeek MLA models (:244-247). --max-num-batched-tokens unset is 2048\n"
		"  on devices under 70 GiB (vLLM's default, from the knowledge table). HCCL_BUFFSIZE\n"
		"  is read where it takes effect: the vLLM processes' environment, else the serve\n"
		"  script's exports over the container's env (CANN, https://www.hiascend.com/\n"
		"  document/detail/zh/canncommercial/latest/maintenref/envvar/envref_07_0080.html).\n"
		"The profile (DeepSeek-V4-Pro-w4a8, 910B2; all overridable as checks.kv-budget.*):\n"
		"  60.96 GiB total, 28 GiB weights, 16.6 KiB KV per token, HCCL_BUFFSIZE 512,\n"
		"  graphs 713 MiB (from 136 MB at 0.97), runtime peak 512 MiB + 0.75 MiB per batched\n"
		"  token (2048 MiB at 2048 tokens). When the engine log is readable its \"Available KV\n"
		"  cache memory\" and \"GPU KV cache size\" lines are compared with the profile.\n"
		"Fix: lower --gpu-memory-utilization (0.93 for the reference) or\n"
		"  --max-num-batched-tokens or HCCL_BUFFSIZE; remove enable_kv_nz from\n"
		"  --additional-config. For exact sizing use the engine's \"Actual usage\" line and\n"
		"  --kv-cache-memory.",
	.probes_doc = SERVE_PROBES_DOC "; docker logs --tail 2000 CONTAINER (deployment.container, "
				       "when a vLLM runs) for the KV cache size lines",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = kv_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
