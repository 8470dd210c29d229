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

#include "run.h"
#include "serve_source.h"
#include "snapshot.h"

#define FINDINGS(F)                                                                              \
	F(OK, PASS, "the node is as in the baseline snapshot")                                   \
	F(DRIFT_VERSION, WARN, "a driver, firmware, CANN, image or package version differs from the baseline") \
	F(DRIFT_SERVE, WARN, "the serve command (program, model, an option) differs from the baseline") \
	F(DRIFT_ENV, WARN, "a variable of the serving processes' environment differs from the baseline") \
	F(DRIFT_HCCN_CONF, WARN, "an entry of /etc/hccn.conf differs from the baseline (names the NPU)") \
	F(DRIFT_TLS, WARN, "an NPU's TLS switch differs from the baseline")                      \
	F(DRIFT_NPU_ADDRESS, WARN, "an NPU port's address or netmask differs from the baseline") \
	F(DRIFT_NPU, WARN, "an NPU is gone, new, or its chip, bus id or HBM size differs")       \
	F(DRIFT_CONTAINER, WARN, "a container setting (image, network, shm, device, mount, env) differs") \
	F(DRIFT_MODEL, WARN, "a model file is gone, new or of another size")                     \
	F(DRIFT_NODE_NEW, WARN, "the node is not in the baseline")                               \
	F(DRIFT_NODE_MISSING, WARN, "diff: a node of the old snapshot is not in the new one")    \
	F(DRIFT_UNREADABLE, ERROR, "a value could not be read now, so it was not compared")      \
	F(NO_BASELINE, SKIP, "no --baseline snapshot was given: nothing compared")               \
	F(CONFIG_INVALID, ERROR, "drift.fields is not an object of \"FAIL\", \"WARN\" or \"ignore\"")
V4_FINDINGS(FINDINGS);

/* Variables that change with every shell: not compared unless configured. */
static const char *const volatile_env[] = {"_", "OLDPWD", "SHLVL"};

/* One difference. */
struct diff {
	const char *node;
	int npu;          /* -1: none */
	char field[160];  /* generic path */
	char label[256];  /* how the message names it */
	int code;         /* a row of findings */
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

/* 1 when a difference is not reported: its field is configured "ignore", or
 * it is a variable that changes with every shell and is not configured. */
static int ignored(const struct v4_config *cfg, const struct diff *d)
{
	const char *w = configured(cfg, d->field, findings[d->code].code);
	if (!w) {
		for (size_t i = 0; i < V4_ARRAY_LEN(volatile_env); i++)
			if (strncmp(d->field, "serve.env.", 10) == 0 && strcmp(d->field + 10, volatile_env[i]) == 0)
				return 1;
		return 0;
	}
	return strcmp(w, "ignore") == 0;
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
		d->code = DRIFT_VERSION;
		snprintf(d->label, sizeof d->label, "%s", k1);
	} else if (strcmp(s, "serve") == 0 && strcmp(k1, "env") == 0 && n > 2) {
		d->code = DRIFT_ENV;
		snprintf(d->field, sizeof d->field, "serve.env.%s", k2);
		snprintf(d->label, sizeof d->label, "serving processes' %s", k2);
	} else if (strcmp(s, "serve") == 0) {
		d->code = DRIFT_SERVE;
		if (strcmp(k1, "options") == 0 && n > 2) {
			snprintf(d->field, sizeof d->field, "serve.options.%s", k2);
			snprintf(d->label, sizeof d->label, "serve option %s", k2);
		} else
			snprintf(d->label, sizeof d->label, "serve %s", n > 1 ? k1 : "command");
	} else if (strcmp(s, "hccn_conf") == 0) {
		d->code = DRIFT_HCCN_CONF;
		d->npu = n > 1 ? conf_npu(k1, base, sizeof base) : -1;
		snprintf(d->field, sizeof d->field, "hccn_conf%s%s", n > 1 ? "." : "", n > 1 ? base : "");
		snprintf(d->label, sizeof d->label, "/etc/hccn.conf%s%s", n > 1 ? " " : "", k1);
	} else if (strcmp(s, "npus") == 0) {
		d->npu = n > 1 ? atoi(k1) : -1;
		d->code = n < 3 ? DRIFT_NPU : strcmp(k2, "tls") == 0 ? DRIFT_TLS
			: strcmp(k2, "address") == 0 || strcmp(k2, "netmask") == 0 ? DRIFT_NPU_ADDRESS : DRIFT_NPU;
		snprintf(d->field, sizeof d->field, "npus%s%s", n > 2 ? "." : "", k2);
		snprintf(d->label, sizeof d->label, "%s", n < 3 ? "the NPU" : strcmp(k2, "tls") == 0 ? "TLS switch"
			 : strcmp(k2, "address") == 0 ? "port address" : k2);
	} else if (strcmp(s, "container") == 0) {
		d->code = DRIFT_CONTAINER;
		if (n > 2)
			snprintf(d->field, sizeof d->field, "container.%s.%s", k1, k2);
		snprintf(d->label, sizeof d->label, "container %s%s%s", n > 1 ? k1 : "", n > 2 ? " " : "", k2);
	} else if (strcmp(s, "model") == 0) {
		d->code = DRIFT_MODEL;
		snprintf(d->label, sizeof d->label, "model %s%s%s", n > 2 ? "file " : "", n > 2 ? k2 : k1,
			 n > 2 ? " (bytes)" : "");
	} else
		d->code = DRIFT_SERVE;
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

/* Reports one difference (unless its field is ignored). */
static void report(const struct v4_rep *h, const struct diff *d)
{
	if (ignored(h->ctx ? h->ctx->cfg : NULL, d))
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
		v4_say(h, d->code, ev, "%s%s gone (baseline %s)", npu, d->label, b);
	else if (!d->base)
		v4_say(h, d->code, ev, "%s%s %s, not in the baseline", npu, d->label, w);
	else
		v4_say(h, d->code, ev, "%s%s %s, baseline %s", npu, d->label, w, b);
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
	const struct v4_rep *h;    /* reports for the node compared */
	const cJSON *ubase, *unow; /* the two nodes' unreadable maps */
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
	struct diff d = {.node = w->h->node, .base = a, .now = b};
	classify(&d, p, n);
	size_t before = w->h->out->n;
	report(w->h, &d);
	w->ndiff += w->h->out->n - before;
}

/* The sections compared, in report order (rank and unreadable are not). */
static const char *const sections[] = {"versions", "serve", "hccn_conf", "npus", "container", "model"};

/* Compares one node of both snapshots (h reports for it); PASS when nothing differs. */
static void compare_node(const struct v4_rep *h, const cJSON *a, const cJSON *b, const char *taken)
{
	struct walk w = {h, cJSON_GetObjectItemCaseSensitive(a, "unreadable"),
			 cJSON_GetObjectItemCaseSensitive(b, "unreadable"), 0, 0};
	const char *p[8];
	const cJSON *x;
	cJSON_ArrayForEach(x, w.unow) {
		v4_say(h, DRIFT_UNREADABLE, NULL, "%s not compared: %s", x->string,
		       cJSON_IsString(x) ? x->valuestring : "unreadable");
		w.ndiff++;
	}
	for (size_t i = 0; i < V4_ARRAY_LEN(sections); i++)
		walk_key(&w, a, b, sections[i], p, 0);
	if (!w.ndiff) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "values_compared", (double)w.ncompared);
		v4_say(h, OK, ev, "as in the baseline of %s", taken);
	}
}

/* Reports (through h, the cluster's handle) the nodes of snapshot now against
 * those of base; with both_ways, also the nodes of base not in now. */
static void compare(const struct v4_rep *h, const cJSON *base, const cJSON *now, int both_ways)
{
	const cJSON *bn = cJSON_GetObjectItemCaseSensitive(base, "nodes");
	const cJSON *nn = cJSON_GetObjectItemCaseSensitive(now, "nodes"), *x;
	const char *taken = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(base, "taken"));
	struct v4_ctx ctx = h->ctx ? *h->ctx : (struct v4_ctx){0};
	struct v4_rep hc = *h;
	if (fields_valid(ctx.cfg)) {
		v4_say(h, CONFIG_INVALID, NULL,
		       "drift.fields must map fields or codes to \"FAIL\", \"WARN\" or \"ignore\"");
		ctx.cfg = NULL;
	}
	hc.ctx = &ctx;
	cJSON_ArrayForEach(x, nn) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(bn, x->string);
		struct v4_rep hn = hc;
		hn.node = x->string;
		if (old)
			compare_node(&hn, old, x, taken ? taken : "?");
		else
			v4_say(&hn, DRIFT_NODE_NEW, NULL, "not in the baseline (%d nodes)",
			       cJSON_GetArraySize(bn));
	}
	cJSON_ArrayForEach(x, (both_ways ? bn : NULL))
		if (!cJSON_HasObjectItem(nn, x->string)) {
			struct v4_rep hn = hc;
			hn.node = x->string;
			v4_say(&hn, DRIFT_NODE_MISSING, NULL, "in the old snapshot, not in the new one");
		}
}

/* drift.fields "FAIL" (for the finding's field, a leading part of it, or its
 * code) raises a difference the table calls WARN; "WARN" keeps it. */
static enum v4_status drift_restate(const struct v4_check *c, const struct v4_ctx *ctx,
				    const struct v4_result *r, const char **why)
{
	const struct v4_config *cfg = ctx ? ctx->cfg : NULL;
	(void)c;
	if (r->status != V4_WARN || !cfg || fields_valid(cfg))
		return r->status;
	const char *field = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->evidence, "field"));
	const char *w = configured(cfg, field ? field : "", r->code);
	if (!w || strcmp(w, "FAIL") != 0)
		return r->status;
	*why = "raised to FAIL by drift.fields";
	return V4_FAIL;
}

void v4_drift_compare(const cJSON *base, const cJSON *now, const struct v4_ctx *ctx, int both_ways,
		      struct v4_results *out)
{
	struct v4_rep h = {&v4_check_drift, "cluster", ctx, out};
	size_t first = out->n;
	compare(&h, base, now, both_ways);
	v4_restate_config(&v4_check_drift, ctx, out, first);
}

/* ---- the check ---- */

static void drift_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	(void)c;
	if (ctx->baseline)
		v4_snapshot_probes(n, ctx, ps);
}

/* The run's nodes as a snapshot, compared with the baseline. */
static void drift_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	if (!h->ctx->baseline) {
		for (size_t i = 0; i < nn; i++) {
			struct v4_rep hn = v4_rep_at(h, nodes[i]);
			v4_say(&hn, NO_BASELINE, NULL, "not compared: no --baseline snapshot");
		}
		return;
	}
	cJSON *now = cJSON_CreateObject(), *ns = cJSON_AddObjectToObject(now, "nodes");
	for (size_t i = 0; i < nn; i++)
		if (!cJSON_HasObjectItem(ns, nodes[i]->name))
			cJSON_AddItemToObject(ns, nodes[i]->name, v4_snapshot_node(nodes[i], h->ctx));
	compare(h, h->ctx->baseline, now, 0);
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
	.tier = V4_TIER_STANDARD,
	.cost_ms = 10, /* no probe of its own: the snapshot's facts */
	.evaluate = drift_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
	.restate = drift_restate,
};
