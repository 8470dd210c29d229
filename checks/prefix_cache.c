/* prefix-cache: prefix caching on DeepSeek-V4 costs bookkeeping and gives
 * (almost) no hits.
 *
 * Failure 6 of the reference deployment: the prefix cache hit rate stayed at
 * 0%. V4's compressed attention reuses blocks only for long prefixes: with
 * block 128 and compression ratio 128 a hit needs >= 16K tokens (32K with
 * speculative decoding); the A2 tutorial passes --no-enable-prefix-caching.
 *
 * Seam: live_hit_rate() is where the /metrics hit rate (prefix_cache_hits /
 * prefix_cache_queries, lib/prom) plugs in; until then it reports "not
 * measured" and the verdict rests on the command alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "prom.h"
#include "knowledge.h"
#include "serve_source.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "prefix caching off, or not a DeepSeek-V4 model")                        \
	F(PREFIX_CACHE_ON, WARN,                                                             \
	  "prefix caching on for DeepSeek-V4: hits need >= 16K-token prefixes")              \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

/* How prefix caching is set. */
struct pc {
	int on;
	const char *how; /* "--enable-prefix-caching", "vLLM 0.21.0 default", ... */
	double block;
	int spec;
	long min_hit; /* tokens */
};

/* 1 when the command serves a DeepSeek-V4 model. */
static int is_v4(const struct serve_cmd *c)
{
	const char *m = c->model ? c->model : serve_get(c, "--model");
	const char *tm = serve_get(c, "--tokenizer-mode");
	return (m && (strcasestr(m, "deepseek-v4") || strcasestr(m, "deepseek_v4"))) ||
	       (tm && strcmp(tm, "deepseek_v4") == 0);
}

/* 1 when vLLM version v turns prefix caching on by default (V1: 0.8 and later). */
static int default_on(const char *v)
{
	int major = 0, minor = 0;
	if (!v || sscanf(v, "%d.%d", &major, &minor) != 2)
		return 1; /* unknown: assume a V1 engine */
	return major > 0 || minor >= 8;
}

/* Reads the prefix caching setting of the command. */
static void read_pc(const struct serve_cmd *c, const struct kn_pick *kp, struct pc *p)
{
	const char *ver = kp->vllm && strcmp(kp->vllm, "missing") ? kp->vllm : kn_vllm(kp->t);
	if (ver && (*ver == 'v' || *ver == 'V'))
		ver++;
	memset(p, 0, sizeof *p);
	p->on = default_on(ver);
	p->how = p->on ? "on by default in vLLM's V1 engine (no --no-enable-prefix-caching)"
		       : "off by default in this vLLM version";
	for (size_t i = 0; i < c->nopts; i++) {
		if (strcmp(c->opts[i].name, "--enable-prefix-caching") == 0)
			p->on = 1, p->how = "--enable-prefix-caching";
		else if (strcmp(c->opts[i].name, "--no-enable-prefix-caching") == 0)
			p->on = 0, p->how = "--no-enable-prefix-caching";
	}
	/* unset: 128 for every model, V4 included; on V4 a size other than 32,
	 * 64, 128 is replaced by 32 (defaults block_size_unset, _deepseek_v4_other) */
	double unset = kn_default_num(kp->t, "block_size_unset", 128);
	if (serve_num_or(c, "--block-size", unset, &p->block) || p->block <= 0)
		p->block = unset;
	if (is_v4(c) && p->block != 32 && p->block != 64 && p->block != 128)
		p->block = kn_default_num(kp->t, "block_size_deepseek_v4_other", 32);
	p->spec = serve_spec_tokens(c);
	p->min_hit = (long)p->block * 128 * (p->spec ? 2 : 1);
}

/* The hit rate since start from /metrics (hits / queries, either metric
 * generation): 0 with *rate (0..1), or -1 with *why (pre-deploy, headless,
 * no queries yet, unreadable). */
static int live_hit_rate(const struct v4_node *n, const struct v4_ctx *ctx, double *rate, char **why)
{
	struct prom p = {0};
	char *err = NULL;
	size_t nh = 0, nq = 0;
	*rate = 0;
	const struct v4_fact *f = v4_fact(n, P_METRICS);
	if (!f || f->state != V4_FACT_OK || f->exit_code != 200) {
		*why = xstrdup(ctx->phase == V4_PHASE_LIVE && api_node(n) ? "GET /metrics gave no answer"
									  : "not measured (pre-deploy or headless)");
		return -1;
	}
	if (prom_parse(f->out, f->out_len, &p, &err)) {
		*why = xasprintf("/metrics not understood: %s", err ? err : "?");
		free(err);
		return -1;
	}
	double hits = prom_sum_any(&p, "vllm:prefix_cache_hits_total", NULL, NULL, &nh);
	double queries = prom_sum_any(&p, "vllm:prefix_cache_queries_total", NULL, NULL, &nq);
	prom_free(&p);
	if (!nh || !nq || queries <= 0) {
		*why = xstrdup("no prefix-cache queries counted yet");
		return -1;
	}
	*rate = hits / queries;
	return 0;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_ctx *ctx = h->ctx;
	struct serve_cmd cmd;
	struct pc p;
	double rate;
	char *why = NULL;
	int fp;
	if (serve_for_check(h, n, &cmd, &fp))
		return;
	struct kn_pick kp;
	kn_pick_node(n, ctx, &kp);
	read_pc(&cmd, &kp, &p);
	cJSON *ev = serve_evidence(&cmd, fp);
	cJSON_AddStringToObject(ev, "knowledge_table", kp.tag);
	cJSON_AddBoolToObject(ev, "prefix_caching", p.on);
	cJSON_AddStringToObject(ev, "set_by", p.how);
	cJSON_AddNumberToObject(ev, "block_size", p.block);
	cJSON_AddNumberToObject(ev, "min_hit_tokens", (double)p.min_hit);
	char live[64] = "";
	if (live_hit_rate(n, ctx, &rate, &why) == 0) {
		cJSON_AddNumberToObject(ev, "live_hit_rate", rate);
		snprintf(live, sizeof live, "; measured hit rate %.1f%%", rate * 100);
	} else {
		cJSON_AddStringToObject(ev, "live_hit_rate", why);
	}
	if (p.on && is_v4(&cmd))
		v4_say(h, PREFIX_CACHE_ON, ev,
		       "prefix caching is on (%s): DeepSeek-V4's compressed attention reuses blocks only "
		       "for prefixes of at least %ld tokens (block %.0f x compression 128%s), the "
		       "deployment saw 0%% hits; pass --no-enable-prefix-caching as the A2 tutorial does "
		       "(%s; block size: %s)%s", p.how, p.min_hit, p.block,
		       p.spec ? " x 2 with speculative decoding" : "",
		       kn_src(kp.t, "defaults", "prefix_cache_min_hit_tokens"),
		       kn_src(kp.t, "defaults", "block_size_unset"), live);
	else
		v4_say(h, OK, ev, "prefix caching %s%s", p.on ? "on" : "off",
		       p.on ? " (not a DeepSeek-V4 model)" : "");
	free(why);
	serve_free(&cmd);
	kn_pick_free(&kp);
}

/* The serve command probes. */
static void pc_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		      struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
	want_metrics(n, ctx, ps);
}

const struct v4_check v4_check_prefix_cache = {
	.id = "prefix-cache",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 230, /* bench/tiers.sh: alone on one node */
	.title = "prefix caching off for DeepSeek-V4 (it gives no hits below 16K-token prefixes)",
	.explain =
		"Symptom: the prefix cache hit rate stays at 0% (failure 6 of the reference\n"
		"  deployment) while prefix caching is on.\n"
		"Cause: DeepSeek-V4's Compress-4/Compress-128 attention keeps compressed KV; a prefix\n"
		"  block is reusable only at block_size x 128 tokens: 16K with --block-size 128,\n"
		"  32K with speculative decoding (MTP), 4K with block 32 (vllm-ascend v0.21.0rc1\n"
		"  vllm_ascend/core/single_type_kv_cache_manager.py; maintainer comment on\n"
		"  vllm-project/vllm-ascend#10710). vLLM's V1 engine turns prefix caching on unless\n"
		"  --no-enable-prefix-caching is given; the official A2 V4-Pro tutorial passes it\n"
		"  (vllm-ascend v0.21.0rc1 docs/source/tutorials/models/DeepSeek-V4-Pro.md).\n"
		"Block size (knowledge table): --block-size unset is 128 for every model at\n"
		"  v0.21.0rc1, DeepSeek-V4 included (vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  vllm_ascend/utils.py:1257-1258); on DeepSeek-V4 a size other than 32, 64 or 128\n"
		"  is replaced by 32 (utils.py:1266-1271). The V4 test reads the model path and\n"
		"  --tokenizer-mode (a heuristic: vllm-ascend decides on config.json's model_type).\n"
		"  The minimum hit is block_size x 128, x 2 with MTP\n"
		"  (vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  vllm_ascend/core/single_type_kv_cache_manager.py:207-225).\n"
		"Fix: pass --no-enable-prefix-caching (or accept no gain: this is a known limit, not\n"
		"  a fault). The WARN is a report, not a failure.",
	.probes_doc = SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = pc_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
