/* A node's snapshot, read from the facts the checks already probe (see
 * snapshot.h for the document). Nothing here runs a command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve_source.h"
#include "snapshot.h"

extern const struct v4_check v4_check_tls, v4_check_roce, v4_check_versions, v4_check_container,
	v4_check_model;

/* The checks whose probes give the snapshot's facts (named directly, not
 * through the table: the table names drift). */
static const struct v4_check *const source_checks[] = {&v4_check_tls, &v4_check_roce, &v4_check_versions,
						       &v4_check_container, &v4_check_model};

void v4_snapshot_probes(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps)
{
	for (size_t i = 0; i < V4_ARRAY_LEN(source_checks); i++) {
		const struct v4_check *c = source_checks[i];
		if (c->probes)
			c->probes(c, n, ctx, ps);
	}
	serve_probes(n, ctx, ps);
}

/* Records why the value at path could not be read. */
static void unreadable(cJSON *node, const char *path, const char *why)
{
	cJSON *u = cJSON_GetObjectItemCaseSensitive(node, "unreadable");
	if (!u)
		u = cJSON_AddObjectToObject(node, "unreadable");
	char *m = mask_secrets(why ? why : "unreadable");
	cJSON_AddStringToObject(u, path, m);
	free(m);
}

/* ---- versions ---- */

/* Adds "Version" of a version.info fact as key, or records it unreadable. */
static void version_info(const struct v4_node *n, cJSON *node, cJSON *v, const char *id,
			 const char *key)
{
	char *why = NULL, *err = NULL, path[64];
	struct v4_kvs kv = {0};
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (f && v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0 && v4_kv_get(&kv, "Version"))
		cJSON_AddStringToObject(v, key, v4_kv_get(&kv, "Version"));
	else {
		snprintf(path, sizeof path, "versions.%s", key);
		unreadable(node, path, why ? why : "no Version= line in version.info");
	}
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* Adds the host's CANN (null when none is installed on the host). */
static void cann_host(const struct v4_node *n, cJSON *node, cJSON *v)
{
	char *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	const struct v4_fact *f = v4_fact_ok(n, "cann-version", 0, &why);
	if (!f)
		unreadable(node, "versions.cann_host", why);
	else if (v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0 && v4_kv_get(&kv, "version"))
		cJSON_AddStringToObject(v, "cann_host", v4_kv_get(&kv, "version"));
	else
		cJSON_AddNullToObject(v, "cann_host");
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* Adds the image tag and the container's packages. */
static void container_versions(const struct v4_node *n, cJSON *node, cJSON *v)
{
	static const char *const keys[][2] = {{"vllm", "vllm"}, {"vllm_ascend", "vllm_ascend"},
					      {"torch", "torch"}, {"torch_npu", "torch_npu"},
					      {"python", "python"}, {"cann", "cann_container"}};
	char *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	const struct v4_fact *f = v4_fact_ok(n, "container-image", 0, &why);
	size_t len = f ? strcspn(f->out, "\r\n") : 0;
	if (len) {
		char *img = xstrndup(f->out, len);
		cJSON_AddStringToObject(v, "image", img);
		free(img);
	} else
		unreadable(node, "versions.image", why ? why : "docker inspect printed no image");
	free(why), why = NULL;
	f = v4_fact_ok(n, "container-versions", 0, &why);
	if (f && v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0) {
		for (size_t i = 0; i < V4_ARRAY_LEN(keys); i++)
			if (v4_kv_get(&kv, keys[i][0]))
				cJSON_AddStringToObject(v, keys[i][1], v4_kv_get(&kv, keys[i][0]));
			else
				cJSON_AddNullToObject(v, keys[i][1]);
	} else
		unreadable(node, "versions.packages", why ? why : "no name=version line");
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* The versions section. */
static void versions(const struct v4_node *n, cJSON *node)
{
	cJSON *v = cJSON_AddObjectToObject(node, "versions");
	struct v4_npusmi s;
	char *why = NULL;
	version_info(n, node, v, "driver-version", "driver");
	version_info(n, node, v, "firmware-version", "firmware");
	if (node_npusmi(n, &s, &why) == 0 && s.driver_version[0])
		cJSON_AddStringToObject(v, "driver_loaded", s.driver_version);
	else
		unreadable(node, "versions.driver_loaded", why ? why : "no Version in the npu-smi header");
	v4_npusmi_free(&s);
	free(why);
	cann_host(n, node, v);
	container_versions(n, node, v);
}

/* ---- the serve command and its environment ---- */

/* The serve section: null when the node has no serve command. */
static void serve(const struct v4_node *n, const struct v4_ctx *ctx, cJSON *node)
{
	struct serve_cmd cmd;
	int from_process = 0;
	char *why = NULL;
	int rc = node_serve(n, ctx, &cmd, &from_process, &why);
	if (rc == SERVE_NONE)
		cJSON_AddNullToObject(node, "serve");
	else if (rc != 0)
		unreadable(node, "serve", why);
	if (rc != 0) {
		free(why);
		serve_free(&cmd);
		return;
	}
	cJSON *s = cJSON_AddObjectToObject(node, "serve"), *o = cJSON_AddObjectToObject(s, "options");
	cJSON *e = cJSON_AddObjectToObject(s, "env");
	cJSON_AddStringToObject(s, "source", from_process ? "running process" : "deployment.serve_command");
	cJSON_AddStringToObject(s, "program", cmd.program ? cmd.program : "");
	if (cmd.model)
		cJSON_AddStringToObject(s, "model", cmd.model);
	for (size_t i = 0; i < cmd.nopts; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, cmd.opts[i].name); /* the last one counts */
		if (cmd.opts[i].value)
			cJSON_AddStringToObject(o, cmd.opts[i].name, cmd.opts[i].value);
		else
			cJSON_AddTrueToObject(o, cmd.opts[i].name);
	}
	struct sbuf args = {0};
	for (size_t i = 0; i < cmd.nargs; i++)
		sbuf_printf(&args, "%s%s", i ? " " : "", cmd.args[i]);
	if (args.len)
		cJSON_AddStringToObject(s, "args", args.s);
	sbuf_free(&args);
	for (size_t i = 0; i < cmd.nenv; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(e, cmd.env[i].name);
		cJSON_AddStringToObject(e, cmd.env[i].name,
					serve_secret_env(cmd.env[i].name) ? SERVE_MASK : cmd.env[i].value);
	}
	free(why);
	serve_free(&cmd);
}

/* ---- /etc/hccn.conf and the NPUs ---- */

/* /etc/hccn.conf as {key: value}. */
static void hccn_conf(const struct v4_node *n, cJSON *node)
{
	char *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	const struct v4_fact *f = v4_fact_ok(n, "hccn-conf", 0, &why);
	if (!f) {
		unreadable(node, "hccn_conf", why);
		free(why);
		return;
	}
	cJSON *o = cJSON_AddObjectToObject(node, "hccn_conf");
	if (v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0)
		for (size_t i = 0; i < kv.n; i++) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, kv.v[i].key);
			cJSON_AddStringToObject(o, kv.v[i].key, kv.v[i].val);
		}
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* The TLS switch of NPU id into e. */
static void npu_tls(const struct v4_node *n, int id, cJSON *node, cJSON *e)
{
	char pid[32], path[48], *why = NULL, *err = NULL;
	struct v4_tls t;
	snprintf(pid, sizeof pid, "hccn-tls.%d", id);
	const struct v4_fact *f = v4_fact_ok(n, pid, 1, &why);
	if (f && v4_parse_hccn_tls(f->out, f->out_len, f->err, &t, &err) == 0)
		cJSON_AddNumberToObject(e, "tls", t.sw);
	else {
		snprintf(path, sizeof path, "npus.%d.tls", id);
		unreadable(node, path, why ? why : err ? err : "hccn_tool -tls -g not understood");
	}
	free(why);
	free(err);
}

/* The NIC address of NPU id into e. */
static void npu_ip(const struct v4_node *n, int id, cJSON *node, cJSON *e)
{
	char pid[32], path[48], *why = NULL, *err = NULL;
	struct v4_hccn_ip ip;
	snprintf(pid, sizeof pid, "hccn-ip.%d", id);
	const struct v4_fact *f = v4_fact_ok(n, pid, 0, &why);
	if (f && v4_parse_hccn_ip(f->out, f->out_len, &ip, &err) == 0) {
		cJSON_AddStringToObject(e, "address", ip.none ? "" : ip.addr);
		cJSON_AddStringToObject(e, "netmask", ip.none ? "" : ip.netmask);
	} else {
		snprintf(path, sizeof path, "npus.%d.address", id);
		unreadable(node, path, why ? why : err ? err : "hccn_tool -ip -g not understood");
	}
	free(why);
	free(err);
}

/* The npus section: per NPU its TLS switch, address and identity. */
static void npus(const struct v4_node *n, cJSON *node)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL, key[16];
	struct v4_npusmi s;
	if (node_npu_ids(n, &ids, &nids, &why) != 0) {
		unreadable(node, "npus", why);
		free(why);
		return;
	}
	int table = node_npusmi(n, &s, &why) == 0;
	cJSON *o = cJSON_AddObjectToObject(node, "npus");
	for (size_t i = 0; i < nids; i++) {
		snprintf(key, sizeof key, "%d", ids[i]);
		cJSON *e = cJSON_AddObjectToObject(o, key);
		for (size_t k = 0; table && k < s.nnpu; k++)
			if (s.npus[k].id == ids[i] && s.npus[k].chip == 0) {
				cJSON_AddStringToObject(e, "chip", s.npus[k].name);
				cJSON_AddStringToObject(e, "bus_id", s.npus[k].bus_id);
				if (s.npus[k].has_hbm)
					cJSON_AddNumberToObject(e, "hbm_total_mb", (double)s.npus[k].hbm_total_mb);
			}
		npu_tls(n, ids[i], node, e);
		npu_ip(n, ids[i], node, e);
	}
	if (table)
		v4_npusmi_free(&s);
	free(ids);
	free(why);
}

/* ---- the container ---- */

/* Member b of member a of o, or NULL. */
static const cJSON *get2(const cJSON *o, const char *a, const char *b)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
}

/* Copies the scalar at o.a.b into out as key (when present). */
static void copy2(cJSON *out, const char *key, const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = b ? get2(o, a, b) : cJSON_GetObjectItemCaseSensitive(o, a);
	if (v && !cJSON_IsObject(v) && !cJSON_IsArray(v))
		cJSON_AddItemToObject(out, key, cJSON_Duplicate(v, 0));
}

/* devices {PathInContainer: PathOnHost}, mounts {Destination: Source[:ro]}, env. */
static void container_lists(const cJSON *insp, cJSON *c)
{
	cJSON *dev = cJSON_AddObjectToObject(c, "devices"), *mnt = cJSON_AddObjectToObject(c, "mounts");
	cJSON *env = cJSON_AddObjectToObject(c, "env");
	const cJSON *x;
	cJSON_ArrayForEach(x, get2(insp, "HostConfig", "Devices")) {
		const char *in = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "PathInContainer"));
		const char *on = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "PathOnHost"));
		if (in && !cJSON_HasObjectItem(dev, in))
			cJSON_AddStringToObject(dev, in, on ? on : "");
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(insp, "Mounts")) {
		const char *dst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Destination"));
		const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Source"));
		char *v = xasprintf("%s%s", src ? src : "",
				    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(x, "RW")) ? ":ro" : "");
		if (dst && *dst && !cJSON_HasObjectItem(mnt, dst))
			cJSON_AddStringToObject(mnt, dst, v);
		free(v);
	}
	cJSON_ArrayForEach(x, get2(insp, "HostConfig", "Binds")) { /* src:dst[:mode] */
		const char *b = cJSON_GetStringValue(x), *c1 = b ? strchr(b, ':') : NULL;
		if (!c1)
			continue;
		const char *c2 = strchr(c1 + 1, ':');
		char *dst = c2 ? xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : xstrdup(c1 + 1);
		char *v = xasprintf("%.*s%s%s", (int)(c1 - b), b, c2 ? ":" : "", c2 ? c2 + 1 : "");
		if (*dst && !cJSON_HasObjectItem(mnt, dst))
			cJSON_AddStringToObject(mnt, dst, v);
		free(dst), free(v);
	}
	cJSON_ArrayForEach(x, get2(insp, "Config", "Env")) {
		const char *s = cJSON_GetStringValue(x), *eq = s ? strchr(s, '=') : NULL;
		if (!eq || eq == s)
			continue;
		char *k = xstrndup(s, (size_t)(eq - s));
		cJSON_DeleteItemFromObjectCaseSensitive(env, k);
		cJSON_AddStringToObject(env, k, serve_secret_env(k) ? SERVE_MASK : eq + 1);
		free(k);
	}
}

/* The container section from docker inspect (null: no such container). */
static void container(const struct v4_node *n, cJSON *node)
{
	const struct v4_fact *f = v4_fact(n, "docker-inspect");
	char *why = NULL;
	if (f && f->state == V4_FACT_OK && f->exit_code != 0 && f->err && strstr(f->err, "No such object")) {
		cJSON_AddNullToObject(node, "container");
		return;
	}
	f = v4_fact_ok(n, "docker-inspect", 0, &why);
	cJSON *arr = f ? cJSON_ParseWithLength(f->out, f->out_len) : NULL;
	const cJSON *insp = cJSON_GetArrayItem(arr, 0);
	if (!cJSON_IsObject(insp)) {
		unreadable(node, "container", why ? why : "docker inspect: not a JSON array of objects");
		cJSON_Delete(arr);
		free(why);
		return;
	}
	cJSON *c = cJSON_AddObjectToObject(node, "container");
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(insp, "Name"));
	if (name)
		cJSON_AddStringToObject(c, "name", name[0] == '/' ? name + 1 : name);
	copy2(c, "image", insp, "Config", "Image");
	copy2(c, "image_id", insp, "Image", NULL);
	copy2(c, "running", insp, "State", "Running");
	copy2(c, "network_mode", insp, "HostConfig", "NetworkMode");
	copy2(c, "shm_size", insp, "HostConfig", "ShmSize");
	copy2(c, "privileged", insp, "HostConfig", "Privileged");
	const cJSON *rp = get2(insp, "HostConfig", "RestartPolicy");
	copy2(c, "restart_policy", rp, "Name", NULL);
	container_lists(insp, c);
	cJSON_Delete(arr);
	free(why);
}

/* ---- the model ---- */

/* The model section: the folder's files and sizes ("NAME SIZE" lines). */
static void model(const struct v4_node *n, const struct v4_ctx *ctx, cJSON *node)
{
	const char *dir = v4_cfg_str(ctx->cfg, "deployment.model_dir", NULL);
	char *why = NULL;
	const struct v4_fact *f = v4_fact(n, "model-files");
	if (!dir || !*dir || !f) {
		cJSON_AddNullToObject(node, "model");
		return;
	}
	if (!(f = v4_fact_ok(n, "model-files", 1, &why)) || (f->exit_code != 0 && f->exit_code != 3)) {
		unreadable(node, "model", why ? why : "the model file listing failed");
		free(why);
		return;
	}
	cJSON *m = cJSON_AddObjectToObject(node, "model");
	cJSON_AddStringToObject(m, "dir", dir);
	if (f->exit_code == 3) {
		cJSON_AddTrueToObject(m, "missing");
		return;
	}
	cJSON *files = cJSON_AddObjectToObject(m, "files");
	size_t pos = 0, len;
	const char *line;
	while (next_line(f->out, f->out_len, &pos, &line, &len)) {
		const char *sp = len ? memrchr(line, ' ', len) : NULL;
		if (!sp || sp == line)
			continue;
		char *name = xstrndup(line, (size_t)(sp - line));
		cJSON_DeleteItemFromObjectCaseSensitive(files, name);
		cJSON_AddNumberToObject(files, name, (double)strtoll(sp + 1, NULL, 10));
		free(name);
	}
	if (f->truncated)
		cJSON_AddTrueToObject(m, "listing_truncated");
}

/* ---- the document ---- */

cJSON *v4_snapshot_node(const struct v4_node *n, const struct v4_ctx *ctx)
{
	cJSON *node = cJSON_CreateObject();
	cJSON_AddNumberToObject(node, "rank", n->rank);
	versions(n, node);
	serve(n, ctx, node);
	hccn_conf(n, node);
	npus(n, node);
	container(n, node);
	model(n, ctx, node);
	v4_json_sort(node);
	return node;
}

/* Orders two members by key, digits compared as numbers. */
static int member_cmp(const void *a, const void *b)
{
	return strverscmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

void v4_json_sort(cJSON *j)
{
	size_t n = 0, k = 0;
	for (cJSON *c = j ? j->child : NULL; c; c = c->next) {
		v4_json_sort(c);
		n++;
	}
	if (!cJSON_IsObject(j) || n < 2)
		return;
	cJSON **v = xcalloc(n, sizeof *v);
	for (cJSON *c = j->child; c; c = c->next)
		v[k++] = c;
	qsort(v, n, sizeof *v, member_cmp);
	for (size_t i = 0; i < n; i++) { /* cJSON: the head's prev is the tail */
		v[i]->prev = i ? v[i - 1] : v[n - 1];
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
	}
	j->child = v[0];
	free(v);
}

cJSON *v4_snapshot(const struct v4_node *nodes, size_t nn, const struct v4_ctx *ctx,
		   const char *source, time_t now)
{
	char when[32];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON *doc = cJSON_CreateObject(), *ns = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "snapshot", V4_SNAPSHOT_SCHEMA);
	cJSON_AddStringToObject(doc, "tool", "v4check " V4_VERSION);
	cJSON_AddStringToObject(doc, "taken", when);
	cJSON_AddStringToObject(doc, "source", source ? source : "");
	for (size_t i = 0; i < nn; i++)
		if (!nodes[i].unreachable && !cJSON_HasObjectItem(ns, nodes[i].name))
			cJSON_AddItemToObject(ns, nodes[i].name, v4_snapshot_node(&nodes[i], ctx));
	cJSON_AddItemToObject(doc, "nodes", ns);
	v4_json_sort(doc);
	return doc;
}

int v4_snapshot_valid(const cJSON *doc, char **err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "snapshot");
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes"), *x;
	if (!cJSON_IsObject(doc) || !cJSON_IsNumber(v)) {
		*err = xstrdup("not a v4check snapshot (no \"snapshot\" version number)");
		return -1;
	}
	if (v->valueint != V4_SNAPSHOT_SCHEMA) {
		*err = xasprintf("snapshot version %d: this v4check reads version %d", v->valueint,
				 V4_SNAPSHOT_SCHEMA);
		return -1;
	}
	if (!cJSON_IsObject(nodes)) {
		*err = xstrdup("snapshot has no \"nodes\" object");
		return -1;
	}
	cJSON_ArrayForEach(x, nodes)
		if (!cJSON_IsObject(x)) {
			*err = xasprintf("snapshot node \"%.80s\" is not an object", x->string);
			return -1;
		}
	return 0;
}
