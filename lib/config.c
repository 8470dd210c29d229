/* Configuration: a JSON file (man v4check.conf(5)) or the built-in reference
 * deployment. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "v4.h"

extern const char v4_default_config[];

/* Line and column of offset off in text, 1-based. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* A string member, or NULL when absent; -1 when present but not a string. */
static int member_str(const cJSON *o, const char *key, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return -1;
	*out = v->valuestring;
	return 0;
}

/* An integer member in [lo, hi], or def when absent; -1 when malformed. */
static int member_int(const cJSON *o, const char *key, int lo, int hi, int def, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = def;
	if (!v)
		return 0;
	/* the range first: a double beyond int's range must not be converted */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return -1;
	*out = (int)v->valuedouble;
	return 0;
}

/* Reads nodes[i] into n; on error sets *err. */
static int load_node(const cJSON *o, size_t i, struct v4_node *n, const char *src, char **err)
{
	const char *name, *host, *user, *bond;
	if (!cJSON_IsObject(o)) {
		*err = xasprintf("%s: nodes[%zu]: expected an object", src, i);
		return -1;
	}
	if (member_str(o, "host", &host) || !host || !*host) {
		*err = xasprintf("%s: nodes[%zu].host: expected a non-empty string", src, i);
		return -1;
	}
	if (member_str(o, "name", &name) || member_str(o, "user", &user) ||
	    member_str(o, "bond1", &bond)) {
		*err = xasprintf("%s: nodes[%zu]: name, user and bond1 must be strings", src, i);
		return -1;
	}
	if (member_int(o, "rank", 0, 1 << 20, (int)i, &n->rank) ||
	    member_int(o, "port", 0, 65535, 0, &n->port)) {
		*err = xasprintf("%s: nodes[%zu]: rank and port must be whole numbers in range", src, i);
		return -1;
	}
	n->host = xstrdup(host);
	n->name = xstrdup(name ? name : host);
	n->user = xstrdup(user);
	n->bond_ip = xstrdup(bond);
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
	n->labels = labels ? cJSON_Duplicate(labels, 1) : NULL;
	return 0;
}

/* Reads the nodes array. */
static int load_nodes(struct v4_config *cfg, char **err)
{
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(cfg->json, "nodes");
	if (!nodes)
		return 0;
	if (!cJSON_IsArray(nodes)) {
		*err = xasprintf("%s: nodes: expected an array of objects", cfg->source);
		return -1;
	}
	size_t nn = (size_t)cJSON_GetArraySize(nodes);
	cfg->nodes = xcalloc(nn, sizeof *cfg->nodes);
	size_t i = 0;
	for (const cJSON *o = nodes->child; o; o = o->next, i++) {
		if (load_node(o, i, &cfg->nodes[i], cfg->source, err))
			return -1;
		cfg->nnodes = i + 1;
	}
	return 0;
}

/* The keys each section may hold; checks.<id> holds the checks' params. */
static const char *const top_keys[] = {"nodes", "ssh", "deployment", "checks", "api", "tools", "drift", NULL};
static const char *const node_keys[] = {"host", "name", "rank", "bond1", "user", "port",
					"serve_command", "labels", "npu_ips", NULL};
static const char *const ssh_keys[] = {"user", "port", "identity", "known_hosts", "connect_timeout",
				       "accept_new_host_keys", "agent", NULL};
static const char *const deployment_keys[] = {
	"bond_if", "container", "container_env", "container_mounts", "image", "api_port", "api_url",
	"served_model_name", "model_dir", "npus_per_node", "npu_name", "hbm_total_mb", "tls_expected",
	"data_parallel_size", "tensor_parallel_size", "versions", "serve_command", NULL};
static const char *const versions_keys[] = {"driver", "firmware", "cann", "vllm", "vllm_ascend",
					    "torch", "torch_npu", "python", NULL};
static const char *const api_keys[] = {"key_file", NULL};
static const char *const tools_keys[] = {"path", NULL};

static const struct {
	const char *path;
	const char *const *keys;
} sections[] = {
	{"", top_keys}, {"ssh", ssh_keys}, {"deployment", deployment_keys},
	{"deployment.versions", versions_keys}, {"api", api_keys}, {"tools", tools_keys},
};

/* The allowed names as "a, b, c" (caller frees). */
static char *known_list(const char *const *allowed)
{
	struct sbuf b = {0};
	for (size_t i = 0; allowed[i]; i++)
		sbuf_printf(&b, "%s%s", i ? ", " : "", allowed[i]);
	return sbuf_take(&b);
}

int v4_config_keys_ok(const cJSON *o, const char *path, const char *const *allowed,
		      const char *src, char **err)
{
	const cJSON *m;
	if (!cJSON_IsObject(o))
		return 0;
	cJSON_ArrayForEach(m, o) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], m->string))
			i++;
		if (allowed[i])
			continue;
		char *known = known_list(allowed);
		*err = xasprintf("%s: %s%s%s: unknown key (known here: %s)", src, path, *path ? "." : "",
				 m->string, known);
		free(known);
		return -1;
	}
	return 0;
}

/* 1 when s is an absolute directory name safe inside a shell word. */
static int dir_ok(const char *s)
{
	if (s[0] != '/')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_./+@-", *s))
			return 0;
	return 1;
}

/* tools.path: an array of absolute directory names. */
static int check_tools(const struct v4_config *cfg, char **err)
{
	const cJSON *p = v4_cfg_get(cfg, "tools.path"), *d;
	size_t i = 0;
	if (!p)
		return 0;
	if (!cJSON_IsArray(p)) {
		*err = xasprintf("%s: tools.path: expected an array of directories", cfg->source);
		return -1;
	}
	cJSON_ArrayForEach(d, p) {
		if (!cJSON_IsString(d) || !dir_ok(d->valuestring)) {
			*err = xasprintf("%s: tools.path[%zu]: expected an absolute directory name "
					 "(letters, digits, _ . / + @ -)", cfg->source, i);
			return -1;
		}
		i++;
	}
	return 0;
}

/* ssh.agent: auto, never or require. */
static int check_agent(const struct v4_config *cfg, char **err)
{
	const cJSON *a = v4_cfg_get(cfg, "ssh.agent");
	if (!a || v4_agent_mode_parse(cJSON_IsString(a) ? a->valuestring : "", NULL) == 0)
		return 0;
	*err = xasprintf("%s: ssh.agent: expected \"auto\", \"never\" or \"require\"", cfg->source);
	return -1;
}

/* Every section's keys, and each node's. */
static int check_keys(const struct v4_config *cfg, char **err)
{
	for (size_t i = 0; i < V4_ARRAY_LEN(sections); i++) {
		const cJSON *o = *sections[i].path ? v4_cfg_get(cfg, sections[i].path) : cfg->json;
		if (v4_config_keys_ok(o, sections[i].path, sections[i].keys, cfg->source, err))
			return -1;
	}
	const cJSON *nodes = v4_cfg_get(cfg, "nodes"), *n;
	size_t i = 0;
	cJSON_ArrayForEach(n, nodes) {
		char path[32];
		snprintf(path, sizeof path, "nodes[%zu]", i++);
		if (v4_config_keys_ok(n, path, node_keys, cfg->source, err))
			return -1;
	}
	return check_tools(cfg, err) || check_agent(cfg, err);
}

/* Checks the top-level shape: an object whose known sections are objects. */
static int check_shape(struct v4_config *cfg, char **err)
{
	static const char *const objects[] = {"ssh", "deployment", "checks", "api", "tools",
					      "deployment.versions", "drift"};
	if (!cJSON_IsObject(cfg->json)) {
		*err = xasprintf("%s: line 1: expected a JSON object at the top", cfg->source);
		return -1;
	}
	for (size_t i = 0; i < V4_ARRAY_LEN(objects); i++) {
		const cJSON *s = v4_cfg_get(cfg, objects[i]);
		if (s && !cJSON_IsObject(s)) {
			*err = xasprintf("%s: %s: expected an object", cfg->source, objects[i]);
			return -1;
		}
	}
	return check_keys(cfg, err);
}

char *v4_config_tool_path(const struct v4_config *cfg)
{
	const cJSON *p = v4_cfg_get(cfg, "tools.path"), *d;
	struct sbuf b = {0};
	if (!cJSON_IsArray(p))
		return NULL;
	cJSON_ArrayForEach(d, p)
		if (cJSON_IsString(d))
			sbuf_printf(&b, "%s%s", b.len ? ":" : "", d->valuestring);
	return sbuf_take(&b);
}

/* Parses text (from src) into cfg. */
static int parse_config(const char *text, struct v4_config *cfg, char **err)
{
	const char *end = NULL;
	cfg->json = cJSON_ParseWithOpts(text, &end, 1);
	if (!cfg->json) {
		int line, col;
		size_t off = end ? (size_t)(end - text) : 0;
		line_col(text, off, &line, &col);
		*err = xasprintf("%s:%d:%d: malformed JSON: expected a value, comma, colon or "
				 "closing bracket here", cfg->source, line, col);
		return -1;
	}
	if (check_shape(cfg, err) || load_nodes(cfg, err))
		return -1;
	return 0;
}

int v4_config_load(const char *path, struct v4_config *cfg, char **err)
{
	char *text = NULL;
	memset(cfg, 0, sizeof *cfg);
	*err = NULL;
	if (!path) {
		cfg->source = xstrdup("(built-in)");
		return parse_config(v4_default_config, cfg, err) ? (v4_config_free(cfg), -1) : 0;
	}
	cfg->source = xstrdup(path);
	if (read_file(path, 16u << 20, &text, NULL)) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		v4_config_free(cfg);
		return -1;
	}
	int rc = parse_config(text, cfg, err);
	free(text);
	if (rc)
		v4_config_free(cfg);
	return rc;
}

void v4_config_free(struct v4_config *cfg)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		v4_node_free(&cfg->nodes[i]);
	free(cfg->nodes);
	cJSON_Delete(cfg->json);
	free(cfg->source);
	memset(cfg, 0, sizeof *cfg);
}

const cJSON *v4_cfg_get(const struct v4_config *cfg, const char *path)
{
	const cJSON *o = cfg ? cfg->json : NULL;
	char key[128];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

const char *v4_cfg_str(const struct v4_config *cfg, const char *path, const char *def)
{
	const cJSON *v = v4_cfg_get(cfg, path);
	return cJSON_IsString(v) ? v->valuestring : def;
}

double v4_cfg_num(const struct v4_config *cfg, const char *path, double def)
{
	const cJSON *v = v4_cfg_get(cfg, path);
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	return def;
}

int v4_cfg_int(const struct v4_config *cfg, const char *path, int lo, int hi, int def)
{
	double d = v4_cfg_num(cfg, path, def);
	return d < lo ? lo : d > hi ? hi : (int)d;
}

/* The declared parameter name of check c, or NULL. */
static const struct v4_param *param_of(const struct v4_check *c, const char *name)
{
	for (const struct v4_param *p = c->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* The check with this id, or NULL. */
static const struct v4_check *check_of(const struct v4_check *const *checks, size_t nc,
				       const char *id)
{
	for (size_t i = 0; i < nc; i++)
		if (strcmp(checks[i]->id, id) == 0)
			return checks[i];
	return NULL;
}

int v4_config_check_params(const struct v4_config *cfg, const struct v4_check *const *checks,
			   size_t nc, char **err)
{
	const cJSON *all = v4_cfg_get(cfg, "checks");
	for (const cJSON *o = all ? all->child : NULL; o; o = o->next) {
		const struct v4_check *c = check_of(checks, nc, o->string);
		if (!c) {
			*err = xasprintf("%s: checks.%s: no such check (see v4check list)", cfg->source,
					 o->string);
			return -1;
		}
		for (const cJSON *p = o->child; p; p = p->next) {
			if (param_of(c, p->string) && cJSON_IsNumber(p))
				continue;
			*err = param_of(c, p->string)
				       ? xasprintf("%s: checks.%s.%s: a number is expected", cfg->source,
						   c->id, p->string)
				       : xasprintf("%s: checks.%s.%s: check %s has no such parameter (see "
						   "v4check explain %s)", cfg->source, c->id, p->string,
						   c->id, c->id);
			return -1;
		}
	}
	return 0;
}

double v4_param(const struct v4_ctx *ctx, const struct v4_check *c, const char *name)
{
	const struct v4_param *p = c->params;
	while (p && p->name && strcmp(p->name, name) != 0)
		p++;
	if (!p || !p->name) {
		fprintf(stderr, "v4check: BUG: check %s reads parameter %s, which it does not declare\n",
			c->id, name);
		abort();
	}
	char *path = xasprintf("checks.%s.%s", c->id, name);
	double v = ctx && ctx->cfg ? v4_cfg_num(ctx->cfg, path, p->def) : p->def;
	free(path);
	return v;
}
