/* serve-args: a linter for the `vllm serve` command of every node, and the
 * cross-node rules of multi-node data parallelism.
 *
 * Per node: --additional-config keys against a per-version allow-list
 * (vllm-ascend v0.21.0rc1 vllm_ascend/ascend_config.py reads them with
 * .get(): unknown keys are ignored silently, so a misspelling such as the
 * reference command's ascend_compilation_config.enable_npu_graph_ex does
 * nothing), removed keys, strings for booleans, the combinations vllm-ascend
 * rejects at start (ascend_config.py, platform.py), DP x TP against the NPUs
 * in play, --headless and the start rank. Across nodes: unique and complete
 * start ranks, one --data-parallel-address equal to rank 0's bond1,
 * identical flags apart from the per-rank ones, and one served model name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"
#include "serve_source.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "the command passes the lint")                                           \
	F(ARGS_UNKNOWN_KEY, WARN,                                                            \
	  "--additional-config key vllm-ascend does not read (ignored silently)")            \
	F(ARGS_REMOVED_KEY, WARN, "--additional-config key that was removed or deprecated")  \
	F(ARGS_TYPE, WARN,                                                                   \
	  "a boolean key given as a string (\"false\" would also turn it on)")               \
	F(ARGS_NO_EFFECT, WARN, "a key that is silently off in this configuration")          \
	F(ARGS_DUPLICATE, WARN, "an option given more than once (the last one wins)")        \
	F(ARGS_CRASH, FAIL,                                                                  \
	  "a --additional-config combination vllm-ascend rejects at start")                  \
	F(ARGS_JSON_INVALID, FAIL, "a JSON option is not a JSON object")                     \
	F(ARGS_DP_TP, FAIL, "DP x TP does not match the NPUs in play")                       \
	F(ARGS_START_RANK, FAIL,                                                             \
	  "--data-parallel-start-rank duplicated, missing or not the node's rank")           \
	F(ARGS_HEADLESS, FAIL, "--headless missing on a non-zero rank or present on rank 0") \
	F(ARGS_DP_ADDRESS, FAIL,                                                             \
	  "--data-parallel-address missing, loopback, unequal or not rank 0's bond1")        \
	F(ARGS_DIFFER, FAIL, "nodes' flags differ apart from the per-rank ones")             \
	F(ARGS_SERVED_NAME, FAIL, "the served model name differs between nodes")             \
	SERVE_FINDINGS(F)
V4_FINDINGS(FINDINGS);

/* Options left out of the flag comparison: per-rank by design, or judged on their own. */
static const char *const per_rank_opts[] = {"--data-parallel-start-rank", "--data-parallel-rank",
					    "--headless", "--served-model-name"};

/* Edit distance between a and b (Levenshtein), capped for long names. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];
	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return prev[lb];
}

/* The entry id's last component when its parent path is prefix ("" top level,
 * "a." for children of a), or NULL. */
static const char *child_name(const char *id, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (strncmp(id, prefix, pl) != 0 || strchr(id + pl, '.'))
		return NULL;
	return id + pl;
}

/* The closest key read by the table under prefix for name (distance <= 2 or a
 * fifth of its length), or NULL. */
static const char *suggest(const cJSON *t, const char *prefix, const char *name)
{
	const char *best = NULL;
	size_t bd = 99, lim = strlen(name) / 5 > 2 ? strlen(name) / 5 : 2;
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, "additional_config")) {
		const char *id = kn_str(e, "id"), *c = id ? child_name(id, prefix) : NULL;
		if (!c || cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "read")))
			continue;
		size_t d = edit_distance(name, c);
		if (d < bd)
			bd = d, best = c;
	}
	return bd <= lim ? best : NULL;
}

/* 1 when the table lists entries under path ("path.x"). */
static int has_children(const cJSON *t, const char *path)
{
	const cJSON *e;
	size_t pl = strlen(path);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, "additional_config")) {
		const char *id = kn_str(e, "id");
		if (id && strncmp(id, path, pl) == 0 && id[pl] == '.')
			return 1;
	}
	return 0;
}

/* Adds one ARGS_CRASH for the table's crash entry id: its exception, message
 * and source. */
static void crash(const struct v4_rep *h, cJSON **ev, const cJSON *t, const char *id, const char *what)
{
	const cJSON *e = kn_entry(t, "crashes", id);
	v4_say(h, ARGS_CRASH, take_json(ev), "%s: vllm-ascend %s raises %s \"%s\" at start (%s)", what,
	       kn_str(t, "vllm_ascend"), kn_str(e, "exception") ? kn_str(e, "exception") : "an error",
	       kn_str(e, "message") ? kn_str(e, "message") : id, kn_src(t, "crashes", id));
}

/* A key the table does not list, under prefix; returns findings added. */
static int lint_unknown(const struct v4_rep *h, const cJSON *t, const char *prefix, const char *strict,
			const char *path, cJSON **ev)
{
	const char *name = path + strlen(prefix), *s = suggest(t, prefix, name);
	if (strict && starts_with(strict, "raises")) {
		char what[200];
		snprintf(what, sizeof what, "--additional-config %.80s: %.*s does not take key %.40s", path,
			 (int)(strlen(prefix) ? strlen(prefix) - 1 : 0), prefix, name);
		crash(h, ev, t, "eplb_unknown_key", what);
		return 1;
	}
	v4_say(h, ARGS_UNKNOWN_KEY, take_json(ev),
	       "--additional-config %s is not a key vllm-ascend %s reads: ignored without a word "
	       "(%s)%s%s%s", path, kn_str(t, "vllm_ascend"),
	       kn_src(t, "additional_config", *prefix ? "ascend_compilation_config" : "enable_kv_nz"),
	       s ? "; did you mean " : "", s ? s : "", s ? "?" : "");
	return 1;
}

/* A key listed as not read by this version; returns findings added. */
static int lint_not_read(const struct v4_rep *h, const cJSON *t, const cJSON *e, const char *prefix,
			 const char *path, cJSON **ev)
{
	const char *name = path + strlen(prefix), *s = suggest(t, prefix, name);
	const char *note = kn_str(e, "note");
	if (s) /* a misspelling of a key that is read */
		v4_say(h, ARGS_UNKNOWN_KEY, take_json(ev),
		       "--additional-config %s is not a key vllm-ascend %s reads: ignored without a word "
		       "(%s); did you mean %s?%s%s", path, kn_str(t, "vllm_ascend"), kn_str(e, "source"), s,
		       note ? " " : "", note ? note : "");
	else
		v4_say(h, ARGS_REMOVED_KEY, take_json(ev), "--additional-config %s is not read by vllm-ascend "
		       "%s: %s (%s)", path, kn_str(t, "vllm_ascend"), note ? note : "ignored", kn_str(e, "source"));
	return 1;
}

/* Lints the members of obj under prefix against the table; returns findings added. */
static int lint_level(const struct v4_rep *h, const cJSON *t, const cJSON *obj, const char *prefix,
		      const char *strict, cJSON **ev)
{
	int w = 0;
	for (const cJSON *x = obj ? obj->child : NULL; x; x = x->next) {
		char path[160];
		snprintf(path, sizeof path, "%s%s", prefix, x->string ? x->string : "");
		const cJSON *e = kn_entry(t, "additional_config", path);
		const char *type = kn_str(e, "type");
		if (!e) {
			w += lint_unknown(h, t, prefix, strict, path, ev);
			continue;
		}
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "read"))) {
			w += lint_not_read(h, t, e, prefix, path, ev);
			continue;
		}
		if (type && strcmp(type, "bool") == 0 && cJSON_IsString(x) && ++w)
			v4_say(h, ARGS_TYPE, take_json(ev),
			       "--additional-config \"%s\": \"%s\" is a string: vllm-ascend reads it without a type "
			       "check (%s), so any non-empty string is true (\"false\" too); write a JSON boolean (%s)", path,
			       x->valuestring, kn_str(e, "parse") ? kn_str(e, "parse") : "as written",
			       kn_str(e, "source"));
		if (cJSON_IsObject(x) && has_children(t, path) && strlen(path) < 120) {
			char pre[sizeof path + 1];
			snprintf(pre, sizeof pre, "%s.", path);
			w += lint_level(h, t, x, pre, kn_str(e, "strict"), ev);
		}
	}
	return w;
}

/* The D-node / PD state from --kv-transfer-config: 0 none, 1 consumer, 2
 * producer (or another role), 3 kv_both. */
static int kv_role(const struct serve_cmd *cmd)
{
	cJSON *j = NULL;
	char *err = NULL;
	int r = 0;
	if (serve_json_opt(cmd, "--kv-transfer-config", &j, &err) != 0) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(j, "kv_role");
		r = cJSON_IsString(role) && strcmp(role->valuestring, "kv_consumer") == 0 ? 1 : 2;
		if (cJSON_IsString(role) && strcmp(role->valuestring, "kv_both") == 0)
			r = 3;
	}
	cJSON_Delete(j);
	free(err);
	return r;
}

/* What the crash rules read of one command. */
struct lintctx {
	const cJSON *t, *ac;
	const struct serve_cmd *cmd;
	int role, ep, eager, spec, v4, deepseek; /* deepseek: a MoE model by its path */
	double tp, pp;
};

/* An environment value as bool(int(value)): 1, 0, or -1 when int() fails. */
static int env_bool_int(const char *v)
{
	char *end = NULL;
	if (!v)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	long x = strtol(v, &end, 10);
	if (end == v)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end ? -1 : x != 0;
}

/* The key in force: at a version that reads scheduler_config, the nested key
 * wins over the legacy top-level one; else the top-level key only. */
static const cJSON *key_of(const struct lintctx *l, const char *name)
{
	char nested[96];
	snprintf(nested, sizeof nested, "scheduler_config.%s", name);
	if (kn_key_read(l->t, nested) == 1 && json_path(l->ac, nested))
		return json_path(l->ac, nested);
	return json_path(l->ac, name);
}

/* A key, else its environment fallback (bool(int()) of the variable). */
static int key_or_env(const struct lintctx *l, const char *name, const char *env)
{
	const cJSON *v = key_of(l, name);
	if (v)
		return json_truthy(v);
	return env_bool_int(serve_env(l->cmd, env)) == 1;
}

/* 1 when the served model has index_topk (DeepSeek-V4, V3.2), by its path or
 * tokenizer mode (pre-deploy heuristic; vllm-ascend reads hf_text_config). */
static int model_index_topk(const struct serve_cmd *c)
{
	const char *m = c->model ? c->model : serve_get(c, "--model");
	const char *tm = serve_get(c, "--tokenizer-mode");
	return (m && (strcasestr(m, "deepseek-v4") || strcasestr(m, "deepseek_v4") ||
		      strcasestr(m, "v3.2"))) || (tm && strcmp(tm, "deepseek_v4") == 0);
}

/* 1 when the served model is a DeepSeek (MoE) model by its path or tokenizer mode. */
static int model_deepseek(const struct serve_cmd *c)
{
	const char *m = c->model ? c->model : serve_get(c, "--model");
	const char *tm = serve_get(c, "--tokenizer-mode");
	return (m && strcasestr(m, "deepseek")) || (tm && strncmp(tm, "deepseek", 8) == 0);
}

/* Sequence parallelism on: enable_flashcomm1, else its variable, or forced by
 * an effective enable_shared_expert_dp (key, --enable-expert-parallel, TP > 1). */
static int sp_on(const struct lintctx *l, int *forced)
{
	*forced = json_truthy(json_path(l->ac, "enable_shared_expert_dp")) && l->ep && l->tp > 1;
	return key_or_env(l, "enable_flashcomm1", "VLLM_ASCEND_ENABLE_FLASHCOMM1") || *forced;
}

/* bool(int()) variables that int() does not take: ValueError at start. */
static int lint_env_ints(const struct v4_rep *h, const struct lintctx *l, cJSON **ev)
{
	const cJSON *e;
	int w = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(l->t, "env")) {
		const char *id = kn_str(e, "id"), *parse = kn_str(e, "parse");
		const char *v = id ? serve_env(l->cmd, id) : NULL;
		if (!v || !parse || !starts_with(parse, "bool(int(") || env_bool_int(v) >= 0)
			continue;
		char what[200];
		snprintf(what, sizeof what, "%s=%.40s is not an integer (parsed %s, %s)", id, v, parse,
			 kn_str(e, "source"));
		crash(h, ev, l->t, "balance_scheduling_env_not_integer", what);
		w++;
	}
	return w;
}

/* The sequence-parallelism, DSA CP, xlite and profiling-chunk crashes; returns findings added. */
static int lint_sp_crashes(const struct v4_rep *h, const struct lintctx *l, cJSON **ev)
{
	int forced, sp = sp_on(l, &forced), w = 0;
	int explicit_sp = key_or_env(l, "enable_flashcomm1", "VLLM_ASCEND_ENABLE_FLASHCOMM1");
#define T(p) json_truthy(json_path(l->ac, p))
	if (explicit_sp && l->tp <= 1 && ++w)
		crash(h, ev, l->t, "sp_with_tp1", "sequence parallelism (enable_flashcomm1 / "
		      "VLLM_ASCEND_ENABLE_FLASHCOMM1) with --tensor-parallel-size 1");
	if (explicit_sp && l->tp > 1 && !l->ep && l->deepseek && ++w)
		crash(h, ev, l->t, "sp_moe_without_ep", "sequence parallelism on a MoE model without "
		      "--enable-expert-parallel");
	if (T("enable_dsa_cp") && l->v4 && !sp && ++w)
		crash(h, ev, l->t, "dsa_cp_without_sp", "enable_dsa_cp without sequence parallelism");
	if (T("xlite_graph_config.enabled") && l->spec && ++w)
		crash(h, ev, l->t, "xlite_with_speculative", "xlite_graph_config.enabled with --speculative-config");
	if (T("xlite_graph_config.enabled") && l->pp > 1 && ++w)
		crash(h, ev, l->t, "xlite_with_pp", "xlite_graph_config.enabled with pipeline parallelism");
	if (T("profiling_chunk_config.enabled") && l->pp <= 1 && ++w)
		crash(h, ev, l->t, "profiling_chunk_without_pp", "profiling_chunk_config.enabled without "
		      "--pipeline-parallel-size > 1");
	if (T("profiling_chunk_config.enabled") &&
	    key_or_env(l, "enable_balance_scheduling", "VLLM_ASCEND_BALANCE_SCHEDULING") && ++w)
		crash(h, ev, l->t, "profiling_chunk_with_balance_scheduling",
		      "profiling_chunk_config.enabled with balance scheduling");
#undef T
	return w;
}

/* The combinations vllm-ascend rejects at start, by the node's table
 * (enable_kv_nz is kv-budget's); returns findings added. */
static int lint_crashes(const struct v4_rep *h, const struct lintctx *l, cJSON **ev)
{
	int w = 0, role = l->role;
	int sedp = json_truthy(json_path(l->ac, "enable_shared_expert_dp")) && l->ep && l->tp > 1;
#define T(p) json_truthy(json_path(l->ac, p))
	if (json_truthy(key_of(l, "recompute_scheduler_enable")) && (role == 0 || role == 3) && ++w)
		crash(h, ev, l->t, "recompute_scheduler_pd_mixed", role == 3
		      ? "recompute_scheduler_enable with kv_role kv_both"
		      : "recompute_scheduler_enable without --kv-transfer-config (PD-mixed)");
	if (key_or_env(l, "enable_fused_mc2", "VLLM_ASCEND_ENABLE_FUSED_MC2") && T("enable_mc2_hierarchy_comm") && ++w)
		crash(h, ev, l->t, "fused_mc2_with_hierarchy_comm",
		      "enable_fused_mc2 (key or VLLM_ASCEND_ENABLE_FUSED_MC2) with enable_mc2_hierarchy_comm");
	if ((sedp || T("multistream_overlap_shared_expert")) && T("mix_placement") && ++w)
		crash(h, ev, l->t, "mix_placement_with_shared_expert",
		      "effective enable_shared_expert_dp / multistream_overlap_shared_expert with mix_placement");
	const cJSON *nx = json_path(l->ac, "ascend_compilation_config.enable_npugraph_ex");
	if (T("ascend_compilation_config.enable_static_kernel") && nx && !json_truthy(nx) && ++w)
		crash(h, ev, l->t, "static_kernel_without_npugraph_ex",
		      "ascend_compilation_config.enable_static_kernel without enable_npugraph_ex");
	if ((T("finegrained_tp_config.oproj_tensor_parallel_size") ||
	     T("finegrained_tp_config.olora_tensor_parallel_size")) && (role != 1 || l->eager) && ++w)
		crash(h, ev, l->t, "finegrained_oproj_olora", l->eager
		      ? "finegrained_tp_config oproj/olora TP with --enforce-eager"
		      : "finegrained_tp_config oproj/olora TP on a node that is not a kv_consumer");
	if (key_or_env(l, "enable_balance_scheduling", "VLLM_ASCEND_BALANCE_SCHEDULING") &&
	    (role == 1 || role == 2) && ++w)
		crash(h, ev, l->t, "balance_scheduling_pd_disaggregated",
		      "balance scheduling (key or VLLM_ASCEND_BALANCE_SCHEDULING) with a kv_role other than kv_both");
#undef T
	return w + lint_sp_crashes(h, l, ev) + lint_env_ints(h, l, ev);
}

/* enable_shared_expert_dp silently off without EP or with TP 1; returns findings added. */
static int lint_no_effect(const struct v4_rep *h, const struct lintctx *l, cJSON **ev)
{
	if (!json_truthy(json_path(l->ac, "enable_shared_expert_dp")) || (l->ep && l->tp > 1))
		return 0;
	v4_say(h, ARGS_NO_EFFECT, take_json(ev),
	       "enable_shared_expert_dp is silently off without --enable-expert-parallel or with "
	       "tensor parallel size 1 (%s)", kn_src(l->t, "additional_config", "enable_shared_expert_dp"));
	return 1;
}

/* Lints --additional-config by the table t; returns findings added. */
static int lint_additional(const struct v4_rep *h, const cJSON *t, const struct serve_cmd *cmd, cJSON **ev)
{
	cJSON *ac = NULL;
	char *err = NULL;
	int w = 0, rc = serve_json_opt(cmd, "--additional-config", &ac, &err);
	if (rc < 0) {
		v4_say(h, ARGS_JSON_INVALID, take_json(ev), "%s", err);
		free(err);
		return 1;
	}
	struct lintctx l = {.t = t, .ac = ac, .cmd = cmd, .role = kv_role(cmd),
			    .ep = serve_has(cmd, "--enable-expert-parallel"),
			    .eager = serve_has(cmd, "--enforce-eager"), .spec = serve_get(cmd, "--speculative-config") != NULL,
			    .v4 = model_index_topk(cmd), .deepseek = model_deepseek(cmd)};
	serve_num_or(cmd, "--tensor-parallel-size", 1, &l.tp);
	serve_num_or(cmd, "--pipeline-parallel-size", 1, &l.pp);
	w += lint_level(h, t, ac, "", NULL, ev);
	w += lint_crashes(h, &l, ev) + lint_no_effect(h, &l, ev);
	cJSON_Delete(ac);
	free(err);
	return w;
}

/* Other JSON options must parse, and no option twice; returns findings added. */
static int lint_options(const struct v4_rep *h, const struct serve_cmd *cmd, cJSON **ev)
{
	static const char *const json_opts[] = {"--speculative-config", "--kv-transfer-config",
						"--compilation-config", "--model-loader-extra-config"};
	const char **dups = NULL;
	int w = 0;
	for (size_t i = 0; i < V4_ARRAY_LEN(json_opts); i++) {
		cJSON *j = NULL;
		char *err = NULL;
		if (serve_json_opt(cmd, json_opts[i], &j, &err) < 0 && ++w)
			v4_say(h, ARGS_JSON_INVALID, take_json(ev), "%s", err);
		cJSON_Delete(j);
		free(err);
	}
	size_t nd = serve_dups(cmd, &dups);
	for (size_t i = 0; i < nd; i++, w++)
		v4_say(h, ARGS_DUPLICATE, take_json(ev),
		       "%s is given %zu times: the last value wins", dups[i], serve_count(cmd, dups[i]));
	free(dups);
	return w;
}

/* What the cluster rules read from one node's command. */
struct dpinfo {
	int ok;          /* the node has a command */
	double dp, tp, local, start;
	int headless;
	const char *addr, *name;
	char *sig;       /* the flags apart from the per-rank ones, one "opt=value" per line */
};

/* 1 when name is a per-rank option. */
static int per_rank(const char *name)
{
	for (size_t i = 0; i < V4_ARRAY_LEN(per_rank_opts); i++)
		if (strcmp(name, per_rank_opts[i]) == 0)
			return 1;
	return 0;
}

/* The value in canonical form (JSON without blanks). Caller frees. */
static char *canonical(const char *v)
{
	cJSON *j = v && (*v == '{' || *v == '[') ? cJSON_Parse(v) : NULL;
	char *s = j ? cJSON_PrintUnformatted(j) : xstrdup(v ? v : "(flag)");
	cJSON_Delete(j);
	return s;
}

/* The signature: model and the last value of every non-per-rank option, sorted. */
static char *signature(const struct serve_cmd *cmd)
{
	struct sbuf b = {0};
	sbuf_printf(&b, "model=%s\n", cmd->model ? cmd->model : "");
	for (size_t i = 0; i < cmd->nopts; i++) {
		const char *nm = cmd->opts[i].name;
		int last = 1;
		for (size_t k = i + 1; k < cmd->nopts; k++)
			last = last && strcmp(cmd->opts[k].name, nm) != 0;
		if (!last || per_rank(nm))
			continue;
		char *v = canonical(cmd->opts[i].value);
		sbuf_printf(&b, "%s=%s\n", nm, v);
		free(v);
	}
	return sbuf_take(&b);
}

/* Per-node DP rules (DP x TP, headless, start rank vs RANK, address); returns findings added. */
static int lint_dp(const struct v4_rep *h, const struct v4_node *n, size_t nn,
		   const struct dpinfo *d, cJSON **ev)
{
	const struct v4_ctx *ctx = h->ctx;
	int w = 0, per = expected_npus(ctx);
	size_t nodes = ctx->cfg->nnodes ? ctx->cfg->nnodes : nn;
	double npus = (double)nodes * per;
	if (d->dp * d->tp != npus && ++w)
		v4_say(h, ARGS_DP_TP, take_json(ev),
		       "--data-parallel-size %.0f x --tensor-parallel-size %.0f = %.0f NPUs, but the "
		       "deployment has %.0f (%zu nodes x %d)", d->dp, d->tp, d->dp * d->tp, npus,
		       nodes, per);
	else if (d->local * d->tp != per && ++w)
		v4_say(h, ARGS_DP_TP, take_json(ev),
		       "--data-parallel-size-local %.0f x --tensor-parallel-size %.0f does not use the "
		       "node's %d NPUs", d->local, d->tp, per);
	if (d->start == 0 && d->headless && ++w)
		v4_say(h, ARGS_HEADLESS, take_json(ev),
		       "--headless on DP start rank 0: no node runs the API server");
	if (d->start != 0 && !d->headless && ++w)
		v4_say(h, ARGS_HEADLESS, take_json(ev),
		       "no --headless on DP start rank %.0f: vLLM raises \"Remote engine N must use "
		       "--headless\"", d->start);
	if (n->rank >= 0 && d->start != n->rank * d->local && ++w)
		v4_say(h, ARGS_START_RANK, take_json(ev),
		       "--data-parallel-start-rank %.0f, but the node is rank %d (expected %.0f)",
		       d->start, n->rank, n->rank * d->local);
	if ((!d->addr || starts_with(d->addr, "127.")) && ++w)
		v4_say(h, ARGS_DP_ADDRESS, take_json(ev),
		       "--data-parallel-address %s: remote ranks cannot reach rank 0; give rank 0's bond1 "
		       "address on every node", d->addr ? d->addr : "not given (defaults to 127.0.0.1)");
	return w;
}

/* Reads the DP values of a command; -1 when one is not a number. */
static int read_dp(const struct serve_cmd *cmd, struct dpinfo *d)
{
	memset(d, 0, sizeof *d);
	if (serve_num_or(cmd, "--data-parallel-size", 1, &d->dp) ||
	    serve_num_or(cmd, "--tensor-parallel-size", 1, &d->tp) ||
	    serve_num_or(cmd, "--data-parallel-size-local", 1, &d->local) ||
	    serve_num_or(cmd, "--data-parallel-start-rank", 0, &d->start))
		return -1;
	d->headless = serve_has(cmd, "--headless");
	d->addr = serve_get(cmd, "--data-parallel-address");
	d->name = serve_get(cmd, "--served-model-name");
	d->sig = signature(cmd);
	d->ok = 1;
	return 0;
}

/* Lints one node; fills d for the cluster rules (d->ok 0 without a command). */
static void judge_node(const struct v4_rep *h, const struct v4_node *n, size_t nn,
		       struct serve_cmd *cmd, struct dpinfo *d)
{
	int fp, w;
	memset(d, 0, sizeof *d);
	if (serve_for_check(h, n, cmd, &fp))
		return;
	struct kn_pick kp;
	kn_pick_node(n, h->ctx, &kp);
	cJSON *ev = serve_evidence(cmd, fp);
	cJSON_AddStringToObject(ev, "knowledge_table", kp.tag);
	w = lint_options(h, cmd, &ev) + lint_additional(h, kp.t, cmd, &ev);
	kn_pick_free(&kp);
	if (read_dp(cmd, d) == 0) {
		cJSON_AddNumberToObject(ev, "data_parallel_size", d->dp);
		cJSON_AddNumberToObject(ev, "tensor_parallel_size", d->tp);
		cJSON_AddNumberToObject(ev, "data_parallel_size_local", d->local);
		cJSON_AddNumberToObject(ev, "data_parallel_start_rank", d->start);
		cJSON_AddBoolToObject(ev, "headless", d->headless);
		cJSON_AddStringToObject(ev, "data_parallel_address", d->addr ? d->addr : "127.0.0.1 (default)");
		w += lint_dp(h, n, nn, d, &ev);
	} else if (++w) {
		v4_say(h, ARGS_DP_TP, take_json(&ev),
		       "a data/tensor parallel option is not a number");
	}
	if (!w)
		v4_say(h, OK, take_json(&ev),
		       "the command passes the lint (DP start rank %.0f%s)", d->start,
		       d->headless ? ", headless" : ", API server");
	cJSON_Delete(ev);
}

/* Appends name to the list of b. */
static void list_add(struct sbuf *b, const char *name)
{
	sbuf_printf(b, "%s%s", b->len ? "," : "", name);
}

/* Start ranks unique across nodes and covering every DP rank. */
static void cluster_ranks(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
			  const struct dpinfo *d)
{
	size_t nok = 0, first = nn;
	for (size_t i = 0; i < nn; i++)
		if (d[i].ok && nok++ == 0)
			first = i;
	if (!nok)
		return;
	for (size_t i = 0; i < nn; i++) {
		struct sbuf b = {0};
		int seen_before = 0;
		for (size_t j = 0; j < nn; j++)
			if (d[i].ok && d[j].ok && d[j].start == d[i].start) {
				seen_before |= j < i;
				list_add(&b, nodes[j]->name);
			}
		if (!seen_before && b.len && strchr(b.s, ','))
			v4_say(h, ARGS_START_RANK, NULL,
			       "--data-parallel-start-rank %.0f on several nodes [%s]", d[i].start, b.s);
		sbuf_free(&b);
	}
	double step = d[first].local > 0 ? d[first].local : 1, dp = d[first].dp;
	struct sbuf miss = {0};
	for (double r = 0; nok >= dp / step && r < dp && r < 4096; r += step) {
		int found = 0;
		for (size_t i = 0; i < nn; i++)
			found |= d[i].ok && d[i].start == r;
		if (!found)
			sbuf_printf(&miss, "%s%.0f", miss.len ? "," : "", r);
	}
	if (miss.len)
		v4_say(h, ARGS_START_RANK, NULL,
		       "no node has --data-parallel-start-rank %s of the %.0f DP ranks", miss.s, dp);
	sbuf_free(&miss);
}

/* Rank 0's bond1 address: from the nodes judged, else the config's nodes. */
static const char *rank0_bond(struct v4_node *const *nodes, size_t nn, const struct v4_ctx *ctx)
{
	for (size_t i = 0; i < nn; i++)
		if (nodes[i]->rank == 0 && nodes[i]->bond_ip)
			return nodes[i]->bond_ip;
	for (size_t i = 0; i < ctx->cfg->nnodes; i++)
		if (ctx->cfg->nodes[i].rank == 0 && ctx->cfg->nodes[i].bond_ip)
			return ctx->cfg->nodes[i].bond_ip;
	return NULL;
}

/* Groups the nodes by a string value; FAILs with code when there is more than one. */
static void cluster_same(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
			 const char *const *val, int finding, const char *what)
{
	struct sbuf b = {0};
	size_t groups = 0;
	for (size_t i = 0; i < nn; i++) {
		int first = 1;
		for (size_t j = 0; j < i && first; j++)
			first = !(val[j] && val[i] && strcmp(val[j], val[i]) == 0);
		if (!val[i] || !first)
			continue;
		groups++;
		sbuf_printf(&b, "%s%s on [", b.len ? "; " : "", val[i]);
		for (size_t j = i, k = 0; j < nn; j++)
			if (val[j] && strcmp(val[j], val[i]) == 0)
				sbuf_printf(&b, "%s%s", k++ ? "," : "", nodes[j]->name);
		sbuf_adds(&b, "]");
	}
	if (groups > 1)
		v4_say(h, finding, NULL, "%s differs between nodes: %s", what, b.s);
	sbuf_free(&b);
}

/* One address on every node, equal to rank 0's bond1. */
static void cluster_address(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
			    const struct dpinfo *d)
{
	const char **val = xcalloc(nn ? nn : 1, sizeof *val), *bond = rank0_bond(nodes, nn, h->ctx);
	struct sbuf bad = {0};
	for (size_t i = 0; i < nn; i++) {
		val[i] = d[i].ok ? (d[i].addr ? d[i].addr : "127.0.0.1 (default)") : NULL;
		if (val[i] && bond && strcmp(val[i], bond) != 0)
			list_add(&bad, nodes[i]->name);
	}
	cluster_same(h, nodes, nn, val, ARGS_DP_ADDRESS, "--data-parallel-address");
	if (bad.len)
		v4_say(h, ARGS_DP_ADDRESS, NULL,
		       "--data-parallel-address on [%s] is not rank 0's bond1 address %s", bad.s, bond);
	sbuf_free(&bad);
	free(val);
}

/* The value of option line "name=" in signature sig (a pointer into it), or NULL. */
static const char *sig_value(const char *sig, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = sig; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *e = strchr(p + nl + 1, '\n');
			*len = e ? (size_t)(e - (p + nl + 1)) : strlen(p + nl + 1);
			return p + nl + 1;
		}
	return NULL;
}

/* The options where sig a and b differ, as "opt" names, into out. */
static void sig_diff(const char *a, const char *b, struct sbuf *out)
{
	const char *srcs[2] = {a, b};
	for (int s = 0; s < 2; s++)
		for (const char *p = srcs[s]; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			const char *eq = strchr(p, '=');
			char name[128];
			size_t la = 0, lb = 0;
			if (!eq || eq - p >= (long)sizeof name)
				continue;
			snprintf(name, sizeof name, "%.*s", (int)(eq - p), p);
			const char *va = sig_value(a, name, &la), *vb = sig_value(b, name, &lb);
			int same = va && vb && la == lb && strncmp(va, vb, la) == 0;
			if (!same && !(s == 1 && va) && !strstr(out->s ? out->s : "", name))
				sbuf_printf(out, "%s%s", out->len ? ", " : "", name);
		}
}

/* Flags identical apart from the per-rank ones: names the outliers. */
static void cluster_flags(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
			  const struct dpinfo *d)
{
	size_t best = nn, bestn = 0;
	for (size_t i = 0; i < nn; i++) {
		size_t k = 0;
		for (size_t j = 0; j < nn && d[i].ok; j++)
			k += d[j].ok && strcmp(d[i].sig, d[j].sig) == 0;
		if (k > bestn)
			bestn = k, best = i;
	}
	for (size_t i = 0; best < nn && i < nn; i++) {
		if (!d[i].ok || strcmp(d[i].sig, d[best].sig) == 0)
			continue;
		struct sbuf diff = {0};
		sig_diff(d[i].sig, d[best].sig, &diff);
		v4_say(h, ARGS_DIFFER, NULL,
		       "%s's flags differ from %zu other node(s) (e.g. %s) in: %s; only the start rank "
		       "and --headless may differ", nodes[i]->name, bestn, nodes[best]->name,
		       diff.len ? diff.s : "order");
		sbuf_free(&diff);
	}
}

/* The serve command probes. */
static void args_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
}

/* Lints every node, then the cross-node rules. */
static void args_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	struct serve_cmd *cmds = xcalloc(nn ? nn : 1, sizeof *cmds);
	struct dpinfo *d = xcalloc(nn ? nn : 1, sizeof *d);
	const char **names = xcalloc(nn ? nn : 1, sizeof *names);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		judge_node(&hn, nodes[i], nn, &cmds[i], &d[i]);
		names[i] = d[i].ok ? (d[i].name ? d[i].name : cmds[i].model) : NULL;
	}
	cluster_ranks(h, nodes, nn, d);
	cluster_address(h, nodes, nn, d);
	cluster_same(h, nodes, nn, names, ARGS_SERVED_NAME, "the served model name");
	cluster_flags(h, nodes, nn, d);
	for (size_t i = 0; i < nn; i++) {
		free(d[i].sig);
		serve_free(&cmds[i]);
	}
	free(cmds);
	free(d);
	free(names);
}

const struct v4_check v4_check_serve_args = {
	.id = "serve-args",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 80, /* bench/tiers.sh: alone on one node */
	.title = "vllm serve flags: --additional-config lint and multi-node DP consistency",
	.explain =
		"Symptom: a setting that silently does nothing (the reference command's\n"
		"  ascend_compilation_config.enable_npu_graph_ex), a crash at start, or a cluster\n"
		"  that never forms: \"Remote engine N must use --headless\", remote ranks dialling\n"
		"  127.0.0.1, \"Configuration mismatch detected for engine N\".\n"
		"Cause: vllm-ascend reads --additional-config with .get(): unknown and misspelled keys\n"
		"  are ignored without a word, ascend_compilation_config swallows typos, removed keys\n"
		"  (torchair_graph_config) do nothing, strings pass for booleans (vllm-ascend\n"
		"  v0.21.0rc1 vllm_ascend/ascend_config.py); some combinations raise at start\n"
		"  (ascend_config.py, platform.py). Multi-node DP needs DP x TP = the NPUs, one\n"
		"  unique --data-parallel-start-rank per node, --headless on every node but rank\n"
		"  0, and one explicit --data-parallel-address (rank 0's bond1; without it\n"
		"  127.0.0.1) on all nodes. The start-up hash covers only the parallel config,\n"
		"  so every other flag must be compared by hand.\n"
		"Knowledge: the keys, types and crashes come from the knowledge table of the node's\n"
		"  vllm-ascend version (installed, else the image tag or deployment.versions): a key\n"
		"  the table lists as read, at any depth (eplb_config is strict: an unknown key\n"
		"  there raises); listed as not read (torchair_graph_config, scheduler_config at\n"
		"  v0.21.0rc1) ARGS_REMOVED_KEY with the table's note; anything else\n"
		"  ARGS_UNKNOWN_KEY with the closest read key. Crashes judged (each message cites\n"
		"  the table's source, e.g. vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  vllm_ascend/platform.py:632-639): recompute_scheduler_pd_mixed (no\n"
		"  kv-transfer-config or kv_both), fused_mc2_with_hierarchy_comm (key or\n"
		"  VLLM_ASCEND_ENABLE_FUSED_MC2), mix_placement_with_shared_expert (effective\n"
		"  shared-expert DP), static_kernel_without_npugraph_ex, finegrained_oproj_olora\n"
		"  (not a kv_consumer, or --enforce-eager), balance_scheduling_pd_disaggregated (key\n"
		"  or VLLM_ASCEND_BALANCE_SCHEDULING), sp_with_tp1, sp_moe_without_ep,\n"
		"  dsa_cp_without_sp, xlite_with_speculative, xlite_with_pp,\n"
		"  profiling_chunk_without_pp, profiling_chunk_with_balance_scheduling,\n"
		"  eplb_unknown_key, and every bool(int()) variable int() does not take\n"
		"  (balance_scheduling_env_not_integer). enable_kv_nz is kv-budget's. Not checked:\n"
		"  eplb_dynamic_without_env, eplb_values, ascend_launch_blocking_graph,\n"
		"  layer_sharding_not_producer, dump_config_conflict, hamming_sparse_incomplete,\n"
		"  rejection_sampler_types, profiling_chunk_values, flashcomm2_constraints,\n"
		"  finegrained_tp_model_or_dp. The DP rules (--headless, the 127.0.0.1 default\n"
		"  address, the start-up hash) are vLLM's (vllm-project/vllm@v0.21.0\n"
		"  vllm/v1/engine/utils.py, vllm/config/parallel.py; not read here).\n"
		"Fix: correct the key (the suggestion names the closest key the node's\n"
		"  vllm-ascend version reads), write JSON booleans, drop removed keys, and make\n"
		"  every node's command identical apart from --data-parallel-start-rank $RANK and\n"
		"  --headless.",
	.probes_doc = SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = args_probes,
	.evaluate = args_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
