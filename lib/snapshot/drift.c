/* drift: every difference between a node and the baseline snapshot, per node
 * and per NPU, as findings (WARN by default, configurable per field).
 *
 * The current snapshot is built from this run's facts (snapshot.c), then
 * compared member by member with the baseline's node of the same name. A
 * difference's field is its dotted path with NPU ids and file names left out
 * ("versions.driver", "serve.env.HCCL_BUFFSIZE", "hccn_conf.address",
 * "npus.tls", "model.files"); config drift.fields maps a field, one
 * of its leading parts ("serve.env", "serve") or a finding code to "FAIL",
 * "WARN" or "ignore". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_source.h"
#include "snapshot.h"

static const struct v4_finding findings[] = {
	{"OK", V4_PASS, "the node is as in the baseline snapshot"},
	{"DRIFT_VERSION", V4_WARN, "a driver, firmware, CANN, image or package version differs from the baseline"},
	{"DRIFT_SERVE", V4_WARN, "the serve command (program, model, an option) differs from the baseline"},
	{"DRIFT_ENV", V4_WARN, "a variable of the serving processes' environment differs from the baseline"},
	{"DRIFT_HCCN_CONF", V4_WARN, "an entry of /etc/hccn.conf differs from the baseline (names the NPU)"},
	{"DRIFT_TLS", V4_WARN, "an NPU's TLS switch differs from the baseline"},
	{"DRIFT_NPU_ADDRESS", V4_WARN, "an NPU port's address or netmask differs from the baseline"},
	{"DRIFT_NPU", V4_WARN, "an NPU is gone, new, or its chip, bus id or HBM size differs"},
	{"DRIFT_CONTAINER", V4_WARN, "a container setting (image, network, shm, device, mount, env) differs"},
	{"DRIFT_MODEL", V4_WARN, "a model file is gone, new or of another size"},
	{"DRIFT_NODE_NEW", V4_WARN, "the node is not in the baseline"},
	{"DRIFT_NODE_MISSING", V4_WARN, "diff: a node of the old snapshot is not in the new one"},
	{"DRIFT_UNREADABLE", V4_ERROR, "a value could not be read now, so it was not compared"},
	{"NO_BASELINE", V4_SKIP, "no --baseline snapshot was given: nothing compared"},
	{"CONFIG_INVALID", V4_ERROR, "drift.fields is not an object of \"FAIL\", \"WARN\" or \"ignore\""},
	{NULL, 0, NULL},
};

/* Variables that change with every shell: not compared unless configured. */
static const char *const volatile_env[] = {"_", "OLDPWD", "SHLVL"};

/* One difference. */
struct diff {
	const char *node;
	int npu;          /* -1: none */
	char field[160];  /* generic path */
	char label[256];  /* how the message names it */
	const char *code;
	const cJSON *base, *now; /* NULL: absent */
};

/* ---- severity ---- */

/* The configured state word for field (or a leading part of it) or code, or NULL. */
static const char *configured(const struct v4_config *cfg, const char *field, const char *code)
{
	const cJSON *f = cfg ? v4_cfg_get(cfg, "drift.fields") : NULL;
	char path[160];
	snprintf(path, sizeof path, "%s", field);
	for (;;) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, path);
		if (cJSON_IsString(v))
			return v->valuestring;
		char *dot = strrchr(path, '.');
		if (!dot)
			break;
		*dot = 0;
	}
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, code);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The state of a difference; -1: ignored. */
static int severity(const struct v4_config *cfg, const struct diff *d)
{
	const char *w = configured(cfg, d->field, d->code);
	if (!w) {
		for (size_t i = 0; i < V4_ARRAY_LEN(volatile_env); i++)
			if (strncmp(d->field, "serve.env.", 10) == 0 && strcmp(d->field + 10, volatile_env[i]) == 0)
				return -1;
		return V4_WARN;
	}
	return strcmp(w, "FAIL") == 0 ? V4_FAIL : strcmp(w, "ignore") == 0 ? -1 : V4_WARN;
}

/* 0 when drift.fields is absent or an object of the three words. */
static int fields_valid(const struct v4_config *cfg)
{
	const cJSON *f = cfg ? v4_cfg_get(cfg, "drift.fields") : NULL, *x;
	if (!f)
		return 0;
	if (!cJSON_IsObject(f))
		return -1;
	cJSON_ArrayForEach(x, f)
		if (!cJSON_IsString(x) || (strcmp(x->valuestring, "FAIL") && strcmp(x->valuestring, "WARN") &&
					   strcmp(x->valuestring, "ignore")))
			return -1;
	return 0;
}

/* ---- classifying a path ---- */

/* The NPU of an hccn.conf key "address_3" (-1 when none) and its base "address". */
static int conf_npu(const char *key, char *base, size_t sz)
{
	const char *u = strrchr(key, '_');
	char *end;
	long id = u && u[1] ? strtol(u + 1, &end, 10) : -1;
	if (!u || !u[1] || *end || id < 0 || id > 4096) {
		snprintf(base, sz, "%s", key);
		return -1;
	}
	snprintf(base, sz, "%.*s", (int)(u - key), key);
	return (int)id;
}

/* Fills field, label, code and npu of d from the path p[0..n). */
static void classify(struct diff *d, const char *const *p, size_t n)
{
	const char *s = p[0], *k1 = n > 1 ? p[1] : "", *k2 = n > 2 ? p[2] : "";
	char base[96];
	d->npu = -1;
	snprintf(d->field, sizeof d->field, "%s%s%s", s, n > 1 ? "." : "", k1);
	snprintf(d->label, sizeof d->label, "%s %s", s, k1);
	if (strcmp(s, "versions") == 0) {
		d->code = "DRIFT_VERSION";
		snprintf(d->label, sizeof d->label, "%s", k1);
	} else if (strcmp(s, "serve") == 0 && strcmp(k1, "env") == 0 && n > 2) {
		d->code = "DRIFT_ENV";
		snprintf(d->field, sizeof d->field, "serve.env.%s", k2);
		snprintf(d->label, sizeof d->label, "serving processes' %s", k2);
	} else if (strcmp(s, "serve") == 0) {
		d->code = "DRIFT_SERVE";
		if (strcmp(k1, "options") == 0 && n > 2) {
			snprintf(d->field, sizeof d->field, "serve.options.%s", k2);
			snprintf(d->label, sizeof d->label, "serve option %s", k2);
		} else
			snprintf(d->label, sizeof d->label, "serve %s", n > 1 ? k1 : "command");
	} else if (strcmp(s, "hccn_conf") == 0) {
		d->code = "DRIFT_HCCN_CONF";
		d->npu = n > 1 ? conf_npu(k1, base, sizeof base) : -1;
		snprintf(d->field, sizeof d->field, "hccn_conf%s%s", n > 1 ? "." : "", n > 1 ? base : "");
		snprintf(d->label, sizeof d->label, "/etc/hccn.conf%s%s", n > 1 ? " " : "", k1);
	} else if (strcmp(s, "npus") == 0) {
		d->npu = n > 1 ? atoi(k1) : -1;
		d->code = n < 3 ? "DRIFT_NPU" : strcmp(k2, "tls") == 0 ? "DRIFT_TLS"
			: strcmp(k2, "address") == 0 || strcmp(k2, "netmask") == 0 ? "DRIFT_NPU_ADDRESS" : "DRIFT_NPU";
		snprintf(d->field, sizeof d->field, "npus%s%s", n > 2 ? "." : "", k2);
		snprintf(d->label, sizeof d->label, "%s", n < 3 ? "the NPU" : strcmp(k2, "tls") == 0 ? "TLS switch"
			 : strcmp(k2, "address") == 0 ? "port address" : k2);
	} else if (strcmp(s, "container") == 0) {
		d->code = "DRIFT_CONTAINER";
		if (n > 2)
			snprintf(d->field, sizeof d->field, "container.%s.%s", k1, k2);
		snprintf(d->label, sizeof d->label, "container %s%s%s", n > 1 ? k1 : "", n > 2 ? " " : "", k2);
	} else if (strcmp(s, "model") == 0) {
		d->code = "DRIFT_MODEL";
		snprintf(d->label, sizeof d->label, "model %s%s%s", n > 2 ? "file " : "", n > 2 ? k2 : k1,
			 n > 2 ? " (bytes)" : "");
	} else
		d->code = "DRIFT_SERVE";
}

/* ---- rendering values ---- */

/* A value for a message (strings as they are, cut at 160 characters). Caller frees. */
static char *show(const cJSON *v)
{
	if (!v)
		return xstrdup("(absent)");
	if (cJSON_IsNull(v))
		return xstrdup("none");
	if (cJSON_IsString(v))
		return xasprintf("%.160s%s", v->valuestring, strlen(v->valuestring) > 160 ? "..." : "");
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return xasprintf("(%d values)", cJSON_GetArraySize(v));
	char *s = cJSON_PrintUnformatted(v), *r = xstrdup(s);
	cJSON_free(s);
	return r;
}

/* Adds the result of one difference (unless its field is ignored). */
static void report(const struct v4_config *cfg, const struct diff *d, struct v4_results *out)
{
	int st = severity(cfg, d);
	if (st < 0)
		return;
	char *b = show(d->base), *w = show(d->now), npu[24] = "";
	if (d->npu >= 0)
		snprintf(npu, sizeof npu, "NPU %d: ", d->npu);
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "field", d->field);
	if (d->npu >= 0)
		cJSON_AddNumberToObject(ev, "npu", d->npu);
	cJSON_AddItemToObject(ev, "baseline", d->base ? cJSON_Duplicate(d->base, 1) : cJSON_CreateNull());
	cJSON_AddItemToObject(ev, "now", d->now ? cJSON_Duplicate(d->now, 1) : cJSON_CreateNull());
	if (!d->now)
		v4_add(out, "drift", d->node, (enum v4_status)st, d->code, ev, "%s%s gone (baseline %s)", npu,
		       d->label, b);
	else if (!d->base)
		v4_add(out, "drift", d->node, (enum v4_status)st, d->code, ev, "%s%s %s, not in the baseline",
		       npu, d->label, w);
	else
		v4_add(out, "drift", d->node, (enum v4_status)st, d->code, ev, "%s%s %s, baseline %s", npu,
		       d->label, w, b);
	free(b);
	free(w);
}

/* ---- walking two nodes ---- */

/* 1 when path p[0..n) or a leading part of it is a key of u (unreadable). */
static int under(const cJSON *u, const char *const *p, size_t n)
{
	char path[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < n && u; i++) {
		len += (size_t)snprintf(path + len, sizeof path - len, "%s%s", i ? "." : "", p[i]);
		if (len >= sizeof path)
			return 0;
		if (cJSON_HasObjectItem(u, path))
			return 1;
	}
	return 0;
}

struct walk {
	const char *node;
	const cJSON *ubase, *unow; /* the two nodes' unreadable maps */
	const struct v4_config *cfg;
	struct v4_results *out;
	size_t ndiff, ncompared;
};

static void walk(struct walk *w, const cJSON *a, const cJSON *b, const char **p, size_t n);

/* Compares member key of objects a and b (either may lack it). */
static void walk_key(struct walk *w, const cJSON *a, const cJSON *b, const char *key, const char **p,
		     size_t n)
{
	if (n >= 6)
		return;
	p[n] = key;
	walk(w, cJSON_GetObjectItemCaseSensitive(a, key), cJSON_GetObjectItemCaseSensitive(b, key), p, n + 1);
}

/* Compares a (baseline) and b (now) at path p[0..n): objects member by member,
 * anything else as one value. */
static void walk(struct walk *w, const cJSON *a, const cJSON *b, const char **p, size_t n)
{
	const cJSON *x;
	if ((!a && !b) || (n && (under(w->ubase, p, n) || under(w->unow, p, n))))
		return;
	if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
		cJSON_ArrayForEach(x, a)
			walk_key(w, a, b, x->string, p, n);
		cJSON_ArrayForEach(x, b)
			if (!cJSON_HasObjectItem(a, x->string))
				walk_key(w, a, b, x->string, p, n);
		return;
	}
	w->ncompared++;
	if (a && b && cJSON_Compare(a, b, 1))
		return;
	struct diff d = {.node = w->node, .base = a, .now = b};
	classify(&d, p, n);
	size_t before = w->out->n;
	report(w->cfg, &d, w->out);
	w->ndiff += w->out->n - before;
}

/* The sections compared, in report order (rank and unreadable are not). */
static const char *const sections[] = {"versions", "serve", "hccn_conf", "npus", "container", "model"};

/* Compares one node of both snapshots; PASS when nothing differs. */
static void compare_node(const char *name, const cJSON *a, const cJSON *b, const char *taken,
			 const struct v4_config *cfg, struct v4_results *out)
{
	struct walk w = {name, cJSON_GetObjectItemCaseSensitive(a, "unreadable"),
			 cJSON_GetObjectItemCaseSensitive(b, "unreadable"), cfg, out, 0, 0};
	const char *p[8];
	const cJSON *x;
	cJSON_ArrayForEach(x, w.unow) {
		v4_add(out, "drift", name, V4_ERROR, "DRIFT_UNREADABLE", NULL, "%s not compared: %s",
		       x->string, cJSON_IsString(x) ? x->valuestring : "unreadable");
		w.ndiff++;
	}
	for (size_t i = 0; i < V4_ARRAY_LEN(sections); i++)
		walk_key(&w, a, b, sections[i], p, 0);
	if (!w.ndiff) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "values_compared", (double)w.ncompared);
		v4_add(out, "drift", name, V4_PASS, "OK", ev, "as in the baseline of %s", taken);
	}
}

void v4_drift_compare(const cJSON *base, const cJSON *now, const struct v4_config *cfg,
		      int both_ways, struct v4_results *out)
{
	const cJSON *bn = cJSON_GetObjectItemCaseSensitive(base, "nodes");
	const cJSON *nn = cJSON_GetObjectItemCaseSensitive(now, "nodes"), *x;
	const char *taken = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(base, "taken"));
	if (fields_valid(cfg)) {
		v4_add(out, "drift", "cluster", V4_ERROR, "CONFIG_INVALID", NULL,
		       "drift.fields must map fields or codes to \"FAIL\", \"WARN\" or \"ignore\"");
		cfg = NULL;
	}
	cJSON_ArrayForEach(x, nn) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(bn, x->string);
		if (old)
			compare_node(x->string, old, x, taken ? taken : "?", cfg, out);
		else
			v4_add(out, "drift", x->string, V4_WARN, "DRIFT_NODE_NEW", NULL,
			       "not in the baseline (%d nodes)", cJSON_GetArraySize(bn));
	}
	cJSON_ArrayForEach(x, (both_ways ? bn : NULL))
		if (!cJSON_HasObjectItem(nn, x->string))
			v4_add(out, "drift", x->string, V4_WARN, "DRIFT_NODE_MISSING", NULL,
			       "in the old snapshot, not in the new one");
}

/* ---- the check ---- */

static void drift_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	(void)c;
	if (ctx->baseline)
		v4_snapshot_probes(n, ctx, ps);
}

static void drift_evaluate(const struct v4_check *c, struct v4_node *const *nodes, size_t nn,
			   const struct v4_ctx *ctx, struct v4_results *out)
{
	(void)c;
	if (!ctx->baseline) {
		for (size_t i = 0; i < nn; i++)
			v4_add(out, "drift", nodes[i]->name, V4_SKIP, "NO_BASELINE", NULL,
			       "not compared: no --baseline snapshot");
		return;
	}
	cJSON *now = cJSON_CreateObject(), *ns = cJSON_AddObjectToObject(now, "nodes");
	for (size_t i = 0; i < nn; i++)
		if (!cJSON_HasObjectItem(ns, nodes[i]->name))
			cJSON_AddItemToObject(ns, nodes[i]->name, v4_snapshot_node(nodes[i], ctx));
	v4_drift_compare(ctx->baseline, now, ctx->cfg, 0, out);
	cJSON_Delete(now);
}

const struct v4_check v4_check_drift = {
	.id = "drift",
	.title = "What differs from the baseline snapshot (--baseline FILE)",
	.explain =
		"Symptom: it worked before an upgrade, a reboot or a redeploy, and now it does not\n"
		"  (or behaves differently), and nobody knows what changed.\n"
		"Cause: something on a node is not what it was when `v4check snapshot save` recorded\n"
		"  the healthy cluster: a driver or package version, an option of the serve command, a\n"
		"  variable of the serving processes' environment, an /etc/hccn.conf entry, an NPU's\n"
		"  TLS switch or address, a container setting, a model file.\n"
		"Fix: each finding names the node, the NPU where there is one, the value now and the\n"
		"  baseline's. Put it back, or, when the change is wanted, save a new snapshot.\n"
		"  Differences are WARN; the config's drift.fields maps a field (\"versions.driver\",\n"
		"  \"serve.env.HCCL_BUFFSIZE\", \"hccn_conf.address\", \"npus.tls\"), a leading part of\n"
		"  one (\"serve.env\") or a code (DRIFT_MODEL) to \"FAIL\", \"WARN\" or \"ignore\".\n"
		"  Only the nodes of the run are compared; a node not in the baseline is named.\n"
		"  See v4check-snapshot(7).",
	.probes_doc = "those of tls, roce, versions, container and model, and the serve command's "
		      "source (the /proc listing; /proc/PID/cmdline and environ of a running vLLM)",
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = drift_probes,
	.evaluate = drift_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
