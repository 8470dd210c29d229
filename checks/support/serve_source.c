/* Where a node's `vllm serve` command comes from: the running API server
 * (/proc) or the config's deployment.serve_command for the node's rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_source.h"

#define PID_MAX 4194304L /* the kernel's largest pid_max */

/* The parsed process listing of node n; -1 with *why when unusable. */
static int read_listing(const struct v4_node *n, struct proc_list *l, char **why)
{
	const struct v4_fact *f = v4_fact_ok(n, P_SERVE_PS, 0, why);
	char *err = NULL;
	memset(l, 0, sizeof *l);
	if (!f)
		return -1;
	if (proc_list_parse(f->out, f->out_len, l, &err) == 0)
		return 0;
	*why = xasprintf("process listing not understood: %s", err ? err : "?");
	free(err);
	return -1;
}

/* 1 when pid can go into a command: a positive integer within pid_max. */
static int pid_ok(long pid)
{
	return pid > 0 && pid <= PID_MAX;
}

/* The API-server process: the newest live top-most `vllm serve`, or NULL. */
static const struct proc_entry *pick_server(const struct proc_list *l)
{
	const struct proc_entry *best = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct proc_entry *e = &l->v[i], *p = proc_lookup(l, e->ppid);
		if (e->kind != PROC_SERVE || e->state == 'Z' || !pid_ok(e->pid))
			continue;
		if (p && p->kind == PROC_SERVE)
			continue; /* a forked child still showing the server's arguments */
		if (!best || e->start > best->start)
			best = e;
	}
	return best;
}

/* The processes whose environ is read: the server, its engine cores, then
 * its workers, at most cap. Returns the count. */
static size_t env_procs(const struct proc_list *l, const struct proc_entry *srv,
			const struct proc_entry **out, size_t cap)
{
	struct vllm_proc *v = NULL;
	size_t nv = proc_find_vllm(l, &v), n = 0;
	out[n++] = srv;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nv && n < cap; i++) {
			enum proc_kind want = pass == 0 ? PROC_ENGINE : PROC_WORKER;
			if (v[i].e->kind == want && v[i].server_pid == srv->pid && pid_ok(v[i].e->pid))
				out[n++] = v[i].e;
		}
	free(v);
	return n;
}

int serve_server_pid(const struct v4_node *n, long *pid, char **why)
{
	struct proc_list l;
	*pid = 0;
	if (read_listing(n, &l, why) != 0) {
		proc_list_free(&l);
		return -1;
	}
	const struct proc_entry *srv = pick_server(&l);
	*pid = srv ? srv->pid : 0;
	proc_list_free(&l);
	return 0;
}

/* Probe id for a /proc read of pid ("serve-cmdline.123"). */
static void proc_probe_id(char *buf, size_t size, const char *what, long pid)
{
	snprintf(buf, size, "serve-%s.%ld", what, pid);
}

/* Adds the listing probe, then the /proc reads of the server it names. */
void serve_probes(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps)
{
	struct proc_list l;
	char *why = NULL, id[64];
	want_procs(ps);
	if (read_listing(n, &l, &why) == 0) {
		const struct proc_entry *srv = pick_server(&l), *procs[SERVE_MAX_ENV_PROCS + 1];
		size_t np = srv ? env_procs(&l, srv, procs, SERVE_MAX_ENV_PROCS + 1) : 0;
		const char *ct = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
		if (!srv && word_ok(ct)) /* the container's own env, under the script's exports */
			v4_probe_add(ps, P_SERVE_INSPECT, -1, 0, "docker inspect %s", ct);
		if (srv) {
			proc_probe_id(id, sizeof id, "cmdline", srv->pid);
			v4_probe_add(ps, id, -1, 0, "cat /proc/%ld/cmdline", srv->pid);
		}
		for (size_t i = 0; i < np; i++) {
			proc_probe_id(id, sizeof id, "environ", procs[i]->pid);
			v4_probe_add(ps, id, -1, 0, "cat /proc/%ld/environ", procs[i]->pid);
		}
	}
	proc_list_free(&l);
	free(why);
}

/* Reads the environ fact of pid into e; -1 with *why. */
static int read_environ(const struct v4_node *n, long pid, struct proc_env *e, char **why)
{
	char id[64], *err = NULL;
	proc_probe_id(id, sizeof id, "environ", pid);
	memset(e, 0, sizeof *e);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, why);
	if (!f)
		return -1;
	if (proc_environ_parse(f->out, f->out_len, e, &err) == 0)
		return 0;
	*why = xasprintf("/proc/%ld/environ: %s", pid, err ? err : "not understood");
	free(err);
	return -1;
}

/* Copies the (masked) process environment into the command model. */
static void env_into_cmd(const struct proc_env *e, struct serve_cmd *c)
{
	for (size_t i = 0; i < e->n; i++) {
		grow(&c->env, &c->capenv, c->nenv + 1, sizeof *c->env);
		c->env[c->nenv].name = xstrdup(e->v[i].key);
		c->env[c->nenv].value = xstrdup(serve_secret_env(e->v[i].key) ? SERVE_MASK : e->v[i].value);
		c->nenv++;
	}
}

/* The running server's command and environment; -1 with *why. */
static int from_running(const struct v4_node *n, const struct proc_entry *srv,
			struct serve_cmd *out, char **why)
{
	char id[64], *err = NULL;
	proc_probe_id(id, sizeof id, "cmdline", srv->pid);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, why);
	if (!f)
		return -1;
	if (serve_from_cmdline(f->out, f->out_len, out, &err) != 0) {
		*why = xasprintf("vLLM process %ld: /proc/%ld/cmdline: %s", srv->pid, srv->pid,
				 err ? err : "not a vllm command");
		free(err);
		return -1;
	}
	struct proc_env e;
	char *ewhy = NULL;
	if (read_environ(n, srv->pid, &e, &ewhy) == 0)
		env_into_cmd(&e, out);
	proc_env_free(&e);
	free(ewhy);
	return 0;
}

/* Adds the container's Config.Env (the image's ENV and docker run -e) under
 * the script's exports: what a process started in it by the script gets. */
static void overlay_container(const struct v4_node *n, struct serve_cmd *out)
{
	const struct v4_fact *f = v4_fact(n, P_SERVE_INSPECT);
	if (!f || f->state != V4_FACT_OK || f->exit_code != 0)
		return;
	cJSON *arr = cJSON_ParseWithLength(f->out, f->out_len), *x;
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "Config"), "Env");
	cJSON_ArrayForEach(x, env)
	{
		const char *kv = cJSON_IsString(x) ? x->valuestring : NULL, *eq = kv ? strchr(kv, '=') : NULL;
		if (!eq || eq == kv)
			continue;
		char *k = xstrndup(kv, (size_t)(eq - kv));
		if (!serve_getenv(out, k)) {
			grow(&out->env, &out->capenv, out->nenv + 1, sizeof *out->env);
			out->env[out->nenv].name = k, k = NULL;
			out->env[out->nenv].value = xstrdup(serve_secret_env(out->env[out->nenv].name) ? SERVE_MASK : eq + 1);
			out->nenv++;
		}
		free(k);
	}
	cJSON_Delete(arr);
}

/* The node's own nodes[].serve_command (matched by name, else host), or NULL. */
static const char *node_command(const struct v4_node *n, const struct v4_ctx *ctx)
{
	const cJSON *nodes = ctx && ctx->cfg ? v4_cfg_get(ctx->cfg, "nodes") : NULL, *o;
	cJSON_ArrayForEach(o, nodes) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(o, "name");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "host");
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "serve_command");
		const char *id = cJSON_IsString(nm) ? nm->valuestring : cJSON_IsString(h) ? h->valuestring : NULL;
		if (id && n->name && strcmp(id, n->name) == 0)
			return cJSON_IsString(sc) ? sc->valuestring : NULL;
	}
	return NULL;
}

/* The config's command for the node's rank (nodes[].serve_command, else
 * deployment.serve_command); SERVE_NONE or -1 with *why. */
static int from_config(const struct v4_node *n, const struct v4_ctx *ctx, const char *nowhy,
		       struct serve_cmd *out, char **why)
{
	const char *text = node_command(n, ctx);
	if (!text)
		text = ctx && ctx->cfg ? v4_cfg_str(ctx->cfg, "deployment.serve_command", NULL) : NULL;
	char rank[24], *err = NULL;
	if (!text || !*text) {
		*why = xasprintf("no running vLLM on the node (%s) and no deployment.serve_command "
				 "in the config", nowhy);
		return SERVE_NONE;
	}
	if (n->rank < 0) {
		*why = xstrdup("deployment.serve_command needs the node's rank (RANK), which is unknown");
		return -1;
	}
	snprintf(rank, sizeof rank, "%d", n->rank);
	struct serve_var vars[] = {{"RANK", rank}};
	if (serve_parse(text, vars, V4_ARRAY_LEN(vars), out, &err) != 0) {
		*why = xasprintf("deployment.serve_command (RANK=%d): %s", n->rank, err ? err : "?");
		free(err);
		return -1;
	}
	overlay_container(n, out);
	return 0;
}

/* The node's serve command: the running server's, else the config's for its rank. */
int node_serve(const struct v4_node *n, const struct v4_ctx *ctx, struct serve_cmd *out,
	       int *from_process, char **why)
{
	struct proc_list l;
	char *lwhy = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	*why = NULL;
	*from_process = 0;
	if (read_listing(n, &l, &lwhy) == 0) {
		const struct proc_entry *srv = pick_server(&l);
		if (srv) {
			*from_process = 1;
			rc = from_running(n, srv, out, why);
			proc_list_free(&l);
			return rc;
		}
		lwhy = xstrdup("no vllm serve process");
	}
	proc_list_free(&l);
	rc = from_config(n, ctx, lwhy, out, why);
	free(lwhy);
	return rc;
}

/* Fills p from listing entry e and its environ fact. */
static void fill_proc(const struct v4_node *n, const struct proc_entry *e, struct serve_proc *p)
{
	p->pid = e->pid;
	p->kind = e->kind;
	p->title = xstrdup(e->comm ? e->comm : "");
	p->env_ok = read_environ(n, e->pid, &p->env, &p->why) == 0;
}

/* The environments of the running server, its engine cores and workers. */
int node_serve_procs(const struct v4_node *n, struct serve_procs *out, char **why)
{
	struct proc_list l;
	const struct proc_entry *procs[SERVE_MAX_ENV_PROCS + 1];
	memset(out, 0, sizeof *out);
	*why = NULL;
	if (read_listing(n, &l, why))
		return -1;
	const struct proc_entry *srv = pick_server(&l);
	if (!srv) {
		*why = xstrdup("no vllm serve process runs on the node");
		proc_list_free(&l);
		return -1;
	}
	size_t np = env_procs(&l, srv, procs, SERVE_MAX_ENV_PROCS + 1);
	out->v = xcalloc(np, sizeof *out->v);
	for (size_t i = 0; i < np; i++)
		fill_proc(n, procs[i], &out->v[out->n++]);
	proc_list_free(&l);
	return 0;
}

/* Releases the process environments and zeroes p. */
void serve_procs_free(struct serve_procs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].title);
		proc_env_free(&p->v[i].env);
		free(p->v[i].why);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

/* The index of a SERVE_FINDINGS row in h's check table; aborts when the
 * check does not list SERVE_FINDINGS (a programming error). */
static int serve_finding(const struct v4_rep *h, const char *code)
{
	const struct v4_finding *f = v4_finding_find(h->check, code);
	if (!f) {
		fprintf(stderr, "v4check: BUG: check %s does not list SERVE_FINDINGS (%s)\n",
			h->check->id, code);
		abort();
	}
	return (int)(f - h->check->findings);
}

/* Options this model does not read: --config FILE (YAML options) and dotted
 * JSON options (--compilation-config.cudagraph_mode X), which vLLM's parser
 * accepts in recent versions (https://github.com/vllm-project/vllm/pull/41086):
 * the first one, or NULL. */
static const char *unread_option(const struct serve_cmd *c)
{
	for (size_t i = 0; i < c->nopts; i++) {
		const char *nm = c->opts[i].name;
		if (strcmp(nm, "--config") == 0 || (starts_with(nm, "--") && strchr(nm + 2, '.')))
			return nm;
	}
	return NULL;
}

/* Reads the serve command, or reports SKIP/ERROR for the node and returns -1. */
int serve_for_check(const struct v4_rep *h, const struct v4_node *n, struct serve_cmd *cmd,
		    int *from_process)
{
	char *why = NULL;
	int rc = node_serve(n, h->ctx, cmd, from_process, &why);
	const char *un = rc == 0 ? unread_option(cmd) : NULL;
	if (un) {
		why = xasprintf("%s: options given in a --config file or as dotted JSON options are not "
				"read by v4check, so the command is not judged without them", un);
		rc = -1;
	}
	if (rc == 0)
		return 0;
	char *m = mask_secrets(why ? why : "?");
	if (rc == SERVE_NONE)
		v4_say(h, serve_finding(h, "NO_SERVE_COMMAND"), NULL, "not checked: %s", m);
	else
		v4_say(h, serve_finding(h, "SERVE_UNREADABLE"), NULL,
		       "could not read the serve command: %s", m);
	free(m);
	free(why);
	serve_free(cmd);
	return -1;
}

/* Evidence with the source and the masked command (no environment). */
cJSON *serve_evidence(const struct serve_cmd *cmd, int from_process)
{
	cJSON *o = cJSON_CreateObject();
	struct serve_cmd shallow = *cmd;
	shallow.nenv = 0; /* the whole process environment does not belong here */
	char *r = serve_render(&shallow);
	cJSON_AddStringToObject(o, "source", from_process ? "running process" : "deployment.serve_command");
	cJSON_AddStringToObject(o, "command", r);
	free(r);
	return o;
}

/* An environment value the vllm process gets. */
const char *serve_env(const struct serve_cmd *cmd, const char *name)
{
	return serve_getenv(cmd, name);
}

/* Truth of a JSON value as Python's bool() sees it. */
int json_truthy(const cJSON *v)
{
	if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return v->valuestring[0] != 0;
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	return cJSON_IsTrue(v);
}

/* The member at a dotted path, or NULL. */
const cJSON *json_path(const cJSON *o, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	const cJSON *cur = o;
	for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
		cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, k) : NULL;
	free(copy);
	return cur;
}

/* Returns *p and clears it. */
cJSON *take_json(cJSON **p)
{
	cJSON *j = *p;
	*p = NULL;
	return j;
}

/* A numeric option with a default; -1 when it is not a number. */
int serve_num_or(const struct serve_cmd *c, const char *name, double def, double *out)
{
	int rc = serve_num(c, name, out);
	if (rc == 0)
		*out = def;
	return rc < 0 ? -1 : 0;
}

/* A JSON-object option: 1 parsed, 0 absent, -1 invalid. */
int serve_json_opt(const struct serve_cmd *c, const char *name, cJSON **out, char **err)
{
	*out = NULL;
	*err = NULL;
	if (!serve_has(c, name))
		return 0;
	*out = serve_json(c, name, err);
	return *out ? 1 : -1;
}

/* Speculative tokens per step from --speculative-config. */
int serve_spec_tokens(const struct serve_cmd *c)
{
	cJSON *j = NULL;
	char *err = NULL;
	int k = 0;
	if (serve_json_opt(c, "--speculative-config", &j, &err) == 1) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "num_speculative_tokens");
		k = cJSON_IsNumber(t) && t->valuedouble > 0 && t->valuedouble < 64 ? t->valueint : 0;
	}
	cJSON_Delete(j);
	free(err);
	return k;
}

/* The larger of a and b. */
double d_max(double a, double b)
{
	return a > b ? a : b;
}

/* The smaller of a and b. */
double d_min(double a, double b)
{
	return a < b ? a : b;
}

/* x rounded down (|x| < 2^62). */
double d_floor(double x)
{
	double t = (double)(long long)x;
	return t > x ? t - 1 : t;
}

/* x rounded up. */
double d_ceil(double x)
{
	double t = d_floor(x);
	return t < x ? t + 1 : t;
}

/* x rounded to the nearest integer (halves away from zero). */
double d_round(double x)
{
	return x < 0 ? -d_floor(-x + 0.5) : d_floor(x + 0.5);
}

/* |x|. */
double d_abs(double x)
{
	return x < 0 ? -x : x;
}
