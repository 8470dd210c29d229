/* hccl-env: every HCCL variable set for the serving processes holds a value
 * HCCL accepts, wherever it is set (the running processes, the container's
 * Config.Env, the serve script's exports).
 *
 * HCCL checks these at communicator init and stops with EI0001 "Environment
 * variable [...] is invalid" (CANN HCCL user guide, FAQ "EI0001", table 1):
 * the deployment then fails minutes into start-up on every rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "serve_source.h"

#define P_INSPECT "docker-inspect" /* the same probe as container and netif */

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "every HCCL variable set is in the range HCCL accepts")                  \
	F(HCCL_ENV_INVALID, FAIL,                                                            \
	  "an HCCL variable is out of range or malformed: HCCL init stops with EI0001")      \
	F(HCCL_INTRA_EXCLUSIVE, FAIL,                                                        \
	  "HCCL_INTRA_PCIE_ENABLE and HCCL_INTRA_ROCE_ENABLE are both 1 (EI0001)")           \
	F(SERVE_UNREADABLE, ERROR, "the serve command could not be read or parsed")          \
	F(PROBE_FAILED, ERROR, "docker inspect of the container could not be run or read")
V4_FINDINGS(FINDINGS);

/* How a variable's value is judged. */
enum rule_kind { R_INT, R_BOOL01, R_TRUEFALSE, R_FAMILY };

/* One row of the EI0001 table. */
struct rule {
	const char *name;
	enum rule_kind kind;
	long lo, hi; /* R_INT: inclusive bounds (hi -1: none) */
	int mult;    /* R_INT: must be a multiple of this (0: any) */
	const char *says; /* the table's words */
};

/* CANN 8.0.RC3 HCCL user guide, FAQ "EI0001", table 1; HCCL_EXEC_TIMEOUT's upper
 * bound is the CANN environment variable reference's 17340 s. */
static const struct rule rules[] = {
	{"HCCL_CONNECT_TIMEOUT", R_INT, 120, 7200, 0, "an integer in [120, 7200] s"},
	{"HCCL_EXEC_TIMEOUT", R_INT, 0, 17340, 0, "an integer in [0, 17340] s"},
	{"HCCL_RDMA_TIMEOUT", R_INT, 5, 24, 0, "an integer in [5, 24]"},
	{"HCCL_RDMA_RETRY_CNT", R_INT, 1, 7, 0, "an integer in [1, 7]"},
	{"HCCL_RDMA_TC", R_INT, 0, 255, 4, "an integer in [0, 255], a multiple of 4"},
	{"HCCL_RDMA_SL", R_INT, 0, 7, 0, "an integer in [0, 7]"},
	{"HCCL_BUFFSIZE", R_INT, 1, -1, 0, "an integer of at least 1 (MB)"},
	{"HCCL_WHITELIST_DISABLE", R_BOOL01, 0, 1, 0, "0 or 1"},
	{"HCCL_ENTRY_LOG_ENABLE", R_BOOL01, 0, 1, 0, "0 or 1"},
	{"HCCL_INTRA_PCIE_ENABLE", R_BOOL01, 0, 1, 0, "0 or 1"},
	{"HCCL_INTRA_ROCE_ENABLE", R_BOOL01, 0, 1, 0, "0 or 1"},
	{"HCCL_DETERMINISTIC", R_TRUEFALSE, 0, 0, 0, "true or false"},
	{"HCCL_INTER_HCCS_DISABLE", R_TRUEFALSE, 0, 0, 0, "true or false"},
	{"HCCL_SOCKET_FAMILY", R_FAMILY, 0, 0, 0, "AF_INET or AF_INET6"},
};

/* 1 when s is a decimal integer (optional sign) in [lo, hi] and a multiple of mult. */
static int int_ok(const char *s, long lo, long hi, int mult)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (!*s || end == s || *end || v < lo || (hi >= 0 && v > hi))
		return 0;
	return !mult || v % mult == 0;
}

/* 1 when value is one HCCL accepts for rule r. */
static int value_ok(const struct rule *r, const char *v)
{
	switch (r->kind) {
	case R_INT: return int_ok(v, r->lo, r->hi, r->mult);
	case R_BOOL01: return strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
	case R_TRUEFALSE: return strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
	case R_FAMILY: return strcmp(v, "AF_INET") == 0 || strcmp(v, "AF_INET6") == 0;
	}
	return 0;
}

/* One place variables are set: a name ("the running EngineCore (pid 5100)") and a lookup. */
struct source {
	char *name;
	const struct serve_cmd *cmd;  /* or */
	const struct proc_env *env;   /* or */
	const cJSON *cenv;            /* docker inspect Config.Env */
};

/* The value of name in a Config.Env array of "K=V" strings, or NULL. */
static const char *cenv_get(const cJSON *arr, const char *k)
{
	const cJSON *x;
	size_t kl = strlen(k);
	cJSON_ArrayForEach(x, arr)
		if (cJSON_IsString(x) && strncmp(x->valuestring, k, kl) == 0 && x->valuestring[kl] == '=')
			return x->valuestring + kl + 1;
	return NULL;
}

/* The value of name in a source, or NULL. */
static const char *src_get(const struct source *s, const char *name)
{
	if (s->cmd)
		return serve_env(s->cmd, name);
	if (s->env)
		return proc_env_get(s->env, name);
	return cenv_get(s->cenv, name);
}

/* The sources of one node. */
struct sources {
	struct source v[SERVE_MAX_ENV_PROCS + 3];
	size_t n;
};

static void src_add(struct sources *ss, char *name, const struct serve_cmd *cmd,
		    const struct proc_env *env, const cJSON *cenv)
{
	if (ss->n < V4_ARRAY_LEN(ss->v))
		ss->v[ss->n++] = (struct source){name, cmd, env, cenv};
	else
		free(name);
}

/* The container's Config.Env array from docker inspect; NULL when the container
 * is absent (the container check reports it) or, with *why, unreadable. */
static cJSON *container_env(const struct v4_node *n, char **why)
{
	const struct v4_fact *f = v4_fact(n, P_INSPECT);
	*why = NULL;
	if (f && f->state == V4_FACT_OK && f->exit_code != 0 && f->err && strstr(f->err, "No such object"))
		return NULL;
	if (!v4_fact_ok(n, P_INSPECT, 0, why))
		return NULL;
	cJSON *arr = cJSON_ParseWithLength(f->out, f->out_len);
	cJSON *env = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "Config"), "Env");
	cJSON *out = cJSON_IsArray(env) ? cJSON_Duplicate(env, 1) : NULL;
	if (!out)
		*why = xasprintf("%s: no Config.Env array in the output", f->cmd);
	cJSON_Delete(arr);
	return out;
}

/* The process kind in words. */
static const char *kind_name(enum proc_kind k)
{
	return k == PROC_ENGINE ? "engine core" : k == PROC_WORKER ? "worker" : "vLLM process";
}

/* Judges one variable in every source: one finding per bad value, naming its sources. */
static int judge_rule(const struct v4_rep *h, const struct rule *r, const struct sources *ss,
		      cJSON *vals)
{
	int bad = 0;
	for (size_t i = 0; i < ss->n; i++) {
		const char *v = src_get(&ss->v[i], r->name);
		int seen = 0;
		for (size_t j = 0; v && j < i && !seen; j++) {
			const char *w = src_get(&ss->v[j], r->name);
			seen = w && strcmp(w, v) == 0;
		}
		if (!v || seen)
			continue;
		if (!cJSON_GetObjectItemCaseSensitive(vals, r->name))
			cJSON_AddStringToObject(vals, r->name, v);
		if (value_ok(r, v))
			continue;
		struct sbuf where = {0};
		for (size_t j = i; j < ss->n; j++) {
			const char *w = src_get(&ss->v[j], r->name);
			if (w && strcmp(w, v) == 0)
				sbuf_printf(&where, "%s%s", where.len ? ", " : "", ss->v[j].name);
		}
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "variable", r->name);
		cJSON_AddStringToObject(ev, "value", v);
		cJSON_AddStringToObject(ev, "accepted", r->says);
		cJSON_AddStringToObject(ev, "where", where.s);
		v4_say(h, HCCL_ENV_INVALID, ev,
		       "%s=%s (in %s): HCCL accepts %s and stops with EI0001 \"Environment variable "
		       "[%s] is invalid\" at init", r->name, v, where.s, r->says, r->name);
		sbuf_free(&where);
		bad++;
	}
	return bad;
}

/* HCCL_INTRA_PCIE_ENABLE and HCCL_INTRA_ROCE_ENABLE both 1 in one source. */
static int judge_intra(const struct v4_rep *h, const struct sources *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		const char *p = src_get(&ss->v[i], "HCCL_INTRA_PCIE_ENABLE");
		const char *q = src_get(&ss->v[i], "HCCL_INTRA_ROCE_ENABLE");
		if (p && q && strcmp(p, "1") == 0 && strcmp(q, "1") == 0) {
			cJSON *ev = cJSON_CreateObject();
			cJSON_AddStringToObject(ev, "where", ss->v[i].name);
			v4_say(h, HCCL_INTRA_EXCLUSIVE, ev,
			       "HCCL_INTRA_PCIE_ENABLE=1 and HCCL_INTRA_ROCE_ENABLE=1 (in %s): HCCL "
			       "refuses both (EI0001); set one of them to 0", ss->v[i].name);
			return 1;
		}
	}
	return 0;
}

/* Collects the node's sources: the serve command, the running processes, the container. */
static int collect(const struct v4_rep *h, const struct v4_node *n, struct serve_cmd *cmd,
		   int *have_cmd, struct serve_procs *procs, cJSON **cenv, struct sources *ss)
{
	char *why = NULL;
	int fp = 0, rc = node_serve(n, h->ctx, cmd, &fp, &why);
	*have_cmd = rc == 0;
	if (rc < 0) {
		v4_say(h, SERVE_UNREADABLE, NULL, "%s", why);
		free(why);
		return -1;
	}
	free(why), why = NULL;
	if (*have_cmd && !fp)
		src_add(ss, xstrdup("deployment.serve_command"), cmd, NULL, NULL);
	if (fp && node_serve_procs(n, procs, &why) == 0) {
		for (size_t i = 0; i < procs->n; i++)
			if (procs->v[i].env_ok)
				src_add(ss, xasprintf("the running %s (pid %ld)",
						      i ? kind_name(procs->v[i].kind) : "API server",
						      procs->v[i].pid), NULL, &procs->v[i].env, NULL);
	} else if (fp) {
		src_add(ss, xstrdup("the running API server"), cmd, NULL, NULL);
	}
	free(why), why = NULL;
	*cenv = container_env(n, &why);
	if (*cenv)
		src_add(ss, xstrdup("the container's Config.Env"), NULL, NULL, *cenv);
	else if (why) {
		v4_say(h, PROBE_FAILED, NULL, "could not check: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd = {0};
	struct serve_procs procs = {0};
	struct sources ss = {0};
	cJSON *cenv = NULL;
	int have_cmd = 0;
	if (collect(h, n, &cmd, &have_cmd, &procs, &cenv, &ss) == 0) {
		cJSON *vals = cJSON_CreateObject();
		int bad = judge_intra(h, &ss);
		for (size_t i = 0; i < V4_ARRAY_LEN(rules); i++)
			bad += judge_rule(h, &rules[i], &ss, vals);
		if (!bad) {
			cJSON *ev = cJSON_CreateObject();
			cJSON *w = cJSON_AddArrayToObject(ev, "sources");
			for (size_t i = 0; i < ss.n; i++)
				cJSON_AddItemToArray(w, cJSON_CreateString(ss.v[i].name));
			cJSON_AddItemToObject(ev, "values", vals), vals = NULL;
			v4_say(h, OK, ev, "%d HCCL variable%s set, all in range (%zu source%s)",
			       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ev, "values")),
			       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ev, "values")) == 1 ? "" : "s",
			       ss.n, ss.n == 1 ? "" : "s");
		}
		cJSON_Delete(vals);
	}
	for (size_t i = 0; i < ss.n; i++)
		free(ss.v[i].name);
	cJSON_Delete(cenv);
	serve_procs_free(&procs);
	serve_free(&cmd);
}

/* The serve command's probes and docker inspect of the container. */
static void hccl_env_probes(const struct v4_check *c, const struct v4_node *n,
			    const struct v4_ctx *ctx, struct v4_probes *ps)
{
	(void)c;
	const char *ct = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
	serve_probes(n, ctx, ps);
	if (word_ok(ct))
		v4_probe_add(ps, P_INSPECT, -1, 0, "docker inspect %s", ct);
}

const struct v4_check v4_check_hccl_env = {
	.id = "hccl-env",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 170, /* bench/tiers.sh: alone on one node */
	.title = "HCCL environment variables in the ranges HCCL accepts (EI0001), wherever set",
	.explain =
		"Symptom: every rank stops at HCCL communicator init with EI0001 \"Environment\n"
		"  variable [HCCL_...] is invalid\", minutes into start-up, after the model has\n"
		"  loaded.\n"
		"Cause: an HCCL variable outside the range HCCL accepts, e.g. HCCL_CONNECT_TIMEOUT\n"
		"  raised above 7200 (the deployment exports exactly 7200, the maximum), an\n"
		"  HCCL_RDMA_TC that is not a multiple of 4, or HCCL_INTRA_PCIE_ENABLE and\n"
		"  HCCL_INTRA_ROCE_ENABLE both 1. The accepted ranges are table 1 of the FAQ\n"
		"  \"EI0001\" in the CANN HCCL user guide (hiascend.com, CANN 8.0.RC3):\n"
		"  HCCL_CONNECT_TIMEOUT [120, 7200] s, HCCL_EXEC_TIMEOUT [0, 17340] s,\n"
		"  HCCL_RDMA_TIMEOUT [5, 24], HCCL_RDMA_RETRY_CNT [1, 7], HCCL_RDMA_TC [0, 255]\n"
		"  and a multiple of 4, HCCL_RDMA_SL [0, 7], HCCL_BUFFSIZE >= 1 (MB),\n"
		"  HCCL_WHITELIST_DISABLE / HCCL_ENTRY_LOG_ENABLE / HCCL_INTRA_*_ENABLE 0 or 1,\n"
		"  HCCL_DETERMINISTIC / HCCL_INTER_HCCS_DISABLE true or false, HCCL_SOCKET_FAMILY\n"
		"  AF_INET or AF_INET6. HCCL_IF_BASE_PORT is the ports check's (its range of 16\n"
		"  ports, and who holds them).\n"
		"Where: the environment of every running vLLM process (API server, engine cores,\n"
		"  workers), the container's Config.Env (docker run -e), and, with nothing\n"
		"  running, the exports of deployment.serve_command; each finding names where\n"
		"  the value was set.\n"
		"Fix: set the value into range where the finding says (docker run -e needs the\n"
		"  container re-created; an export in the serve script needs a restart of vllm\n"
		"  serve).",
	.probes_doc = SERVE_PROBES_DOC "; docker inspect CONTAINER (Config.Env)",
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = hccl_env_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
