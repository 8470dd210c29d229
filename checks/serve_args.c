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

/* vllm-ascend eras with different --additional-config keys. */
enum { ERA_013 = 1, ERA_023 = 2, ERA_MAIN = 4, ERA_ALL = 7 };

/* A key vllm-ascend reads: 'b' boolean, anything else not type-checked. */
struct key {
	const char *name;
	char type;
	unsigned eras;
};

static const struct key top_keys[] = {
	{"enable_kv_nz", 'b', ERA_ALL}, {"ascend_compilation_config", 'o', ERA_ALL},
	{"enable_shared_expert_dp", 'b', ERA_ALL}, {"multistream_overlap_shared_expert", 'b', ERA_ALL},
	{"enable_cpu_binding", 'b', ERA_ALL}, {"scheduler_config", 'o', ERA_ALL},
	{"enable_balance_scheduling", 'b', ERA_ALL}, {"recompute_scheduler_enable", 'b', ERA_ALL},
	{"enable_flashcomm1", 'b', ERA_013 | ERA_023}, {"enable_dsa_cp", 'b', ERA_ALL},
	{"multistream_dsv4_dsa_overlap", 'b', ERA_ALL}, {"enable_fused_mc2", '?', ERA_ALL},
	{"weight_nz_mode", '?', ERA_ALL}, {"enable_mlapo", 'b', ERA_ALL},
	{"enable_mc2_hierarchy_comm", 'b', ERA_ALL}, {"finegrained_tp_config", 'o', ERA_ALL},
	{"enable_sparse_sfa_c8", 'b', ERA_ALL}, {"enable_sparse_li_c8", 'b', ERA_ALL},
	{"c8_enable_reshape_optim", 'b', ERA_ALL}, {"pa_shape_list", '?', ERA_ALL},
	{"mega_moe_max_tokens", '?', ERA_ALL}, {"eplb_config", 'o', ERA_ALL},
	{"rl_config", 'o', ERA_ALL}, {"dump_config", '?', ERA_ALL},
	{"xlite_graph_config", '?', ERA_ALL}, {"dynamic_spec_config", '?', ERA_ALL},
	{"rejection_sampler_config", '?', ERA_ALL}, {"sparse_kv_offload_config", '?', ERA_ALL},
	{"mix_placement", 'b', ERA_ALL}, {"profiling_chunk_config", '?', ERA_ALL},
	{"enable_npugraph_ex", 'b', ERA_013},
	{NULL, 0, 0},
};

static const struct key acc_keys[] = {
	{"enable_npugraph_ex", 'b', ERA_ALL}, {"enable_static_kernel", 'b', ERA_ALL},
	{"fuse_norm_quant", 'b', ERA_ALL}, {"fuse_qknorm_rope", 'b', ERA_ALL},
	{"fuse_muls_add", 'b', ERA_ALL}, {"fuse_allreduce_rms", 'b', ERA_013 | ERA_023},
	{NULL, 0, 0},
};

/* Keys that were read once and are ignored now, and why. */
static const char *const removed_keys[][2] = {
	{"torchair_graph_config", "torchair was dropped (#4814, absent since v0.12.0rc1)"},
	{"multistream_dsa_preprocess", "nothing reads it (older / 950DT tutorial configs)"},
	{"dp_allreduce_on_npu", "nothing reads it (older / 950DT tutorial configs)"},
	{"enable_flashcomm1", "FlashComm1 was removed on main (#13946): only a deprecation warning"},
};

/* Options left out of the flag comparison: per-rank by design, or judged on their own. */
static const char *const per_rank_opts[] = {"--data-parallel-start-rank", "--data-parallel-rank",
					    "--headless", "--served-model-name"};

/* The era of the configured vllm-ascend version (unknown: v0.23-like). */
static unsigned era_of(const struct v4_ctx *ctx)
{
	const char *v = v4_cfg_str(ctx->cfg, "deployment.versions.vllm_ascend", NULL);
	int major = 0, minor = 0;
	if (!v || sscanf(v[0] == 'v' ? v + 1 : v, "%d.%d", &major, &minor) != 2)
		return ERA_023;
	if (major == 0 && minor <= 13)
		return ERA_013;
	return major == 0 && minor <= 23 ? ERA_023 : ERA_MAIN;
}

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

/* The closest key of tab for name (distance <= 2 or a fifth of its length), or NULL. */
static const char *suggest(const char *name, const struct key *tab, unsigned era)
{
	const char *best = NULL;
	size_t bd = 99, lim = strlen(name) / 5 > 2 ? strlen(name) / 5 : 2;
	for (const struct key *k = tab; k->name; k++) {
		size_t d = edit_distance(name, k->name);
		if ((k->eras & era) && d < bd)
			bd = d, best = k->name;
	}
	return bd <= lim ? best : NULL;
}

/* The table entry of name for this era, or NULL. */
static const struct key *find_key(const struct key *tab, const char *name, unsigned era)
{
	for (const struct key *k = tab; k->name; k++)
		if (strcmp(k->name, name) == 0 && (k->eras & era))
			return k;
	return NULL;
}

/* Why key name was removed, or NULL (enable_flashcomm1 only on main). */
static const char *removed_why(const char *name, unsigned era)
{
	for (size_t i = 0; i < V4_ARRAY_LEN(removed_keys); i++)
		if (strcmp(removed_keys[i][0], name) == 0 &&
		    (strcmp(name, "enable_flashcomm1") != 0 || era == ERA_MAIN))
			return removed_keys[i][1];
	return NULL;
}

/* Where vllm-ascend reads the keys and raises on a rejected combination, at the
 * deployed tag. */
#define AT_CONFIG "vllm-ascend v0.21.0rc1 vllm_ascend/ascend_config.py"
#define AT_PLATFORM "vllm-ascend v0.21.0rc1 vllm_ascend/platform.py"

/* Lints one level of --additional-config (prefix "" or "ascend_compilation_config."). */
static int lint_level(const struct v4_rep *h, const cJSON *obj, const char *prefix,
		      const struct key *tab, const struct key *other, unsigned era, cJSON **ev)
{
	int w = 0;
	for (const cJSON *x = obj ? obj->child : NULL; x; x = x->next) {
		const struct key *k = find_key(tab, x->string, era);
		const char *rm = removed_why(x->string, era), *s = NULL;
		if (k && k->type == 'b' && cJSON_IsString(x) && ++w)
			v4_say(h, ARGS_TYPE, take_json(ev),
			       "--additional-config \"%s%s\": \"%s\" is a string: any non-empty string is "
			       "true to vllm-ascend (\"false\" too); write a JSON boolean (" AT_CONFIG ")",
			       prefix, x->string, x->valuestring);
		if (k)
			continue;
		if (rm && ++w) {
			v4_say(h, ARGS_REMOVED_KEY, take_json(ev),
			       "--additional-config %s%s is ignored: %s", prefix, x->string, rm);
			continue;
		}
		s = suggest(x->string, tab, era);
		int elsewhere = !s && other && find_key(other, x->string, era);
		w++;
		v4_say(h, ARGS_UNKNOWN_KEY, take_json(ev),
		       "--additional-config %s%s is not a key vllm-ascend reads: ignored without a word "
		       "(" AT_CONFIG ")%s%s%s%s", prefix, x->string, s ? "; did you mean " : "",
		       s ? s : "", s ? "?" : "",
		       elsewhere ? (*prefix ? "; it belongs at the top level" : "; it belongs under "
						"ascend_compilation_config") : "");
	}
	return w;
}

/* The D-node / PD state from --kv-transfer-config: 0 none, 1 consumer, 2 other role. */
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

/* Adds one ARGS_CRASH result; src names the upstream file that raises. */
static void crash(const struct v4_rep *h, cJSON **ev, const char *what, const char *src)
{
	v4_say(h, ARGS_CRASH, take_json(ev), "--additional-config %s (%s): vllm-ascend refuses to start",
	       what, src);
}

/* The effective enable_npugraph_ex for the era. */
static int npugraph_ex(const cJSON *ac, unsigned era)
{
	const cJSON *v = era == ERA_013 ? json_path(ac, "enable_npugraph_ex")
					: json_path(ac, "ascend_compilation_config.enable_npugraph_ex");
	return v ? json_truthy(v) : era != ERA_013;
}

/* The combinations vllm-ascend rejects at start; returns findings added. */
static int lint_crashes(const struct v4_rep *h, const struct serve_cmd *cmd, const cJSON *ac,
			unsigned era, cJSON **ev)
{
	int role = kv_role(cmd), w = 0;
#define T(p) json_truthy(json_path(ac, p))
	if (T("enable_kv_nz") && role != 1 && ++w)
		crash(h, ev, "enable_kv_nz outside a PD decode (kv_consumer) node", AT_CONFIG);
	if ((T("recompute_scheduler_enable") || T("scheduler_config.recompute_scheduler_enable")) &&
	    role == 0 && ++w)
		crash(h, ev, "recompute_scheduler_enable on a PD-mixed deployment", AT_PLATFORM);
	if (T("enable_fused_mc2") && T("enable_mc2_hierarchy_comm") && ++w)
		crash(h, ev, "enable_fused_mc2 with enable_mc2_hierarchy_comm (mutually exclusive)",
		      AT_PLATFORM);
	if ((T("enable_shared_expert_dp") || T("multistream_overlap_shared_expert")) && T("mix_placement") && ++w)
		crash(h, ev, "enable_shared_expert_dp / multistream_overlap_shared_expert with mix_placement",
		      AT_CONFIG);
	if (T("ascend_compilation_config.enable_static_kernel") && !npugraph_ex(ac, era) && ++w)
		crash(h, ev, "enable_static_kernel without enable_npugraph_ex (\"Static kernel "
			     "generation requires npugraph_ex to be enabled\")", AT_CONFIG);
	if ((T("finegrained_tp_config.oproj_tensor_parallel_size") ||
	     T("finegrained_tp_config.olora_tensor_parallel_size")) && role == 0 && ++w)
		crash(h, ev, "finegrained_tp_config oproj/olora TP on a PD-mixed deployment", AT_CONFIG);
	if ((T("enable_balance_scheduling") || T("scheduler_config.enable_balance_scheduling")) &&
	    (role == 1 || role == 2) && ++w)
		crash(h, ev, "enable_balance_scheduling with a kv_transfer_config role other than kv_both",
		      AT_PLATFORM);
#undef T
	return w;
}

/* enable_shared_expert_dp silently off without EP or with TP 1; returns findings added. */
static int lint_no_effect(const struct v4_rep *h, const struct serve_cmd *cmd, const cJSON *ac,
			  cJSON **ev)
{
	double tp = 1;
	serve_num_or(cmd, "--tensor-parallel-size", 1, &tp);
	if (!json_truthy(json_path(ac, "enable_shared_expert_dp")) ||
	    (serve_has(cmd, "--enable-expert-parallel") && tp > 1))
		return 0;
	v4_say(h, ARGS_NO_EFFECT, take_json(ev),
	       "enable_shared_expert_dp is silently off without --enable-expert-parallel or with "
	       "tensor parallel size 1 (" AT_CONFIG ")");
	return 1;
}

/* Lints --additional-config; returns findings added. */
static int lint_additional(const struct v4_rep *h, const struct serve_cmd *cmd, cJSON **ev)
{
	cJSON *ac = NULL;
	char *err = NULL;
	unsigned era = era_of(h->ctx);
	int w = 0, rc = serve_json_opt(cmd, "--additional-config", &ac, &err);
	if (rc < 0) {
		v4_say(h, ARGS_JSON_INVALID, take_json(ev), "%s", err);
		free(err);
		return 1;
	}
	w += lint_level(h, ac, "", top_keys, acc_keys, era, ev);
	const cJSON *acc = json_path(ac, "ascend_compilation_config");
	if (cJSON_IsObject(acc))
		w += lint_level(h, acc, "ascend_compilation_config.", acc_keys, top_keys, era, ev);
	w += lint_crashes(h, cmd, ac, era, ev) + lint_no_effect(h, cmd, ac, ev);
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
	cJSON *ev = serve_evidence(cmd, fp);
	w = lint_options(h, cmd, &ev) + lint_additional(h, cmd, &ev);
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
		"Fix: correct the key (the suggestion names the closest known key for the\n"
		"  configured vllm-ascend version), write JSON booleans, drop removed keys, and make\n"
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
