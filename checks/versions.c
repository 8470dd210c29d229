/* versions: driver, firmware, CANN, image and the container's Python packages
 * are the configured ones and identical on every node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define FINDINGS(F)                                                                              \
	F(OK, PASS, "every version is the configured one")                                       \
	F(VERSION_MISMATCH, FAIL,                                                                \
	  "a version on this node differs from deployment.versions / deployment.image")          \
	F(PACKAGE_MISSING, FAIL,                                                                 \
	  "vllm, vllm_ascend, torch or torch_npu is not installed in the container")             \
	F(DRIVER_STALE, FAIL,                                                                    \
	  "the installed driver (version.info) is not the loaded one (npu-smi): reboot pending") \
	F(VERSION_INCONSISTENT, FAIL, "the nodes disagree on a version (CANN: HCCL EI0008)")     \
	F(PROBE_FAILED, ERROR, "a version source could not be read")
V4_FINDINGS(FINDINGS);

#define P_DRIVER "driver-version"
#define P_FIRMWARE "firmware-version"
#define P_CANN "cann-version"
#define P_IMAGE "container-image"
#define P_PKGS "container-versions"

/* The versions compared, with their config key (NULL: across nodes only). */
enum { I_DRIVER, I_LOADED, I_FIRMWARE, I_CANN, I_CCANN, I_IMAGE, I_VLLM, I_VASCEND, I_TORCH,
       I_TNPU, I_PYTHON, NITEM };
static const struct item {
	const char *name, *cfg;
} items[NITEM] = {
	{"driver", "deployment.versions.driver"},
	{"driver (npu-smi)", "deployment.versions.driver"},
	{"firmware", "deployment.versions.firmware"},
	{"CANN (host)", "deployment.versions.cann"},
	{"CANN (container)", "deployment.versions.cann"},
	{"image", "deployment.image"},
	{"vllm", "deployment.versions.vllm"},
	{"vllm_ascend", "deployment.versions.vllm_ascend"},
	{"torch", "deployment.versions.torch"},
	{"torch_npu", "deployment.versions.torch_npu"},
	{"python", "deployment.versions.python"},
};

/* The package keys the container query prints, for items I_VLLM..I_PYTHON. */
static const char *const pkg_keys[] = {"vllm", "vllm_ascend", "torch", "torch_npu", "python"};

/* Prints every CANN install info that exists; none is not an error here. */
#define CANN_CMD                                                                              \
	"for f in /usr/local/Ascend/ascend-toolkit/latest/*-linux/ascend_toolkit_install.info " \
	"/usr/local/Ascend/cann/*-linux/ascend_toolkit_install.info; do [ -r \"$f\" ] || "    \
	"continue; echo \"# file: $f\"; head -c 65536 \"$f\"; echo; done; exit 0"

/* Package versions through importlib.metadata (no import of torch_npu: no NPU
 * initialisation); "missing" when absent; the container's CANN. */
#define PY_CMD                                                                                \
	"python3 -c 'import importlib.metadata as m, glob, platform\n"                        \
	"for k in (\"vllm\", \"vllm_ascend\", \"torch\", \"torch_npu\"):\n"                   \
	" try: print(k + \"=\" + m.version(k.replace(\"_\", \"-\")))\n"                      \
	" except Exception: print(k + \"=missing\")\n"                                        \
	"for f in glob.glob(\"/usr/local/Ascend/ascend-toolkit/latest/*-linux/ascend_toolkit_install.info\") + " \
	"glob.glob(\"/usr/local/Ascend/cann/*-linux/ascend_toolkit_install.info\"):\n"        \
	" for l in open(f):\n"                                                                \
	"  l.startswith(\"version=\") and print(\"cann=\" + l[8:].strip())\n"                 \
	"print(\"python=\" + platform.python_version())'"

/* The container name when safe to use, else NULL. */
static const char *container(const struct v4_ctx *ctx)
{
	const char *s = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
	return word_ok(s) ? s : NULL;
}

static void ver_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	const char *ct = container(ctx);
	want_npus(n, ps);
	v4_probe_add(ps, P_DRIVER, -1, 0, "cat /usr/local/Ascend/driver/version.info");
	v4_probe_add(ps, P_FIRMWARE, -1, 0, "cat /usr/local/Ascend/firmware/version.info");
	v4_probe_add(ps, P_CANN, -1, 0, "%s", CANN_CMD);
	if (ct) {
		v4_probe_add(ps, P_IMAGE, -1, 0, "docker inspect -f '{{.Config.Image}}' %s", ct);
		v4_probe_add(ps, P_PKGS, -1, 0, "docker exec %s %s", ct, PY_CMD);
	}
}

/* One node's versions (NULL: unknown) and whether anything was unreadable. */
struct nodever {
	char *v[NITEM];
	int nerr;
};

/* Records an unreadable source. */
static void src_error(const struct v4_rep *h, struct nodever *nv,
		      const char *what, const char *why)
{
	nv->nerr++;
	v4_say(h, PROBE_FAILED, NULL, "%s: %s", what, why);
}

/* Reads "Version=" of a version.info probe into nv->v[item]. */
static void read_info(const struct v4_rep *h, const struct v4_node *n, const char *id, int item,
		      struct nodever *nv)
{
	char *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (f && v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0 && v4_kv_get(&kv, "Version"))
		nv->v[item] = xstrdup(v4_kv_get(&kv, "Version"));
	else
		src_error(h, nv, items[item].name, why ? why : "no Version= line in version.info");
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* Reads the host CANN version(s); absent on the host is left NULL. */
static void read_cann(const struct v4_rep *h, const struct v4_node *n, struct nodever *nv,
		      cJSON *ev)
{
	char *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	const struct v4_fact *f = v4_fact_ok(n, P_CANN, 0, &why);
	if (!f) {
		src_error(h, nv, "CANN (host)", why);
	} else if (v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0) {
		cJSON *arr = cJSON_AddArrayToObject(ev, "cann_host_files");
		for (size_t i = 0; i < kv.n; i++)
			if (strcmp(kv.v[i].key, "version") == 0)
				cJSON_AddItemToArray(arr, cJSON_CreateString(kv.v[i].val));
		if (v4_kv_get(&kv, "version"))
			nv->v[I_CANN] = xstrdup(v4_kv_get(&kv, "version"));
	}
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* Reads the image tag and the container's packages. */
static void read_container(const struct v4_rep *h, const struct v4_node *n, struct nodever *nv)
{
	char *why = NULL, *err = NULL;
	struct v4_kvs kv = {0};
	if (!container(h->ctx)) {
		src_error(h, nv, "container", "deployment.container is not a plain name");
		return;
	}
	const struct v4_fact *f = v4_fact_ok(n, P_IMAGE, 0, &why);
	size_t len = f ? strcspn(f->out, "\r\n") : 0;
	if (f && len)
		nv->v[I_IMAGE] = xstrndup(f->out, len);
	else
		src_error(h, nv, "image", why ? why : "docker inspect printed nothing");
	free(why), why = NULL;
	f = v4_fact_ok(n, P_PKGS, 0, &why);
	if (f && v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0) {
		for (int i = I_VLLM; i <= I_PYTHON; i++)
			nv->v[i] = xstrdup(v4_kv_get(&kv, pkg_keys[i - I_VLLM]));
		nv->v[I_CCANN] = xstrdup(v4_kv_get(&kv, "cann"));
	} else
		src_error(h, nv, "container packages", why ? why : "no name=version line");
	v4_kvs_free(&kv);
	free(why);
	free(err);
}

/* Reads the loaded driver from the npu-smi header. */
static void read_loaded(const struct v4_rep *h, const struct v4_node *n, struct nodever *nv)
{
	struct v4_npusmi s;
	char *why = NULL;
	if (node_npusmi(n, &s, &why) == 0 && s.driver_version[0])
		nv->v[I_LOADED] = xstrdup(s.driver_version);
	else
		src_error(h, nv, "driver (npu-smi)", why ? why : "no Version in the header");
	v4_npusmi_free(&s);
	free(why);
}

/* "v0.21.0+cpu" -> "0.21.0": no leading v, no local part. Caller frees. */
static char *norm(const char *s)
{
	if (*s == 'v' || *s == 'V')
		s++;
	return xstrndup(s, strcspn(s, "+ \t"));
}

/* 1 when version a is the expected e (equal, or e followed by more components). */
static int ver_match(const char *a, const char *e, int exact)
{
	if (exact)
		return strcmp(a, e) == 0;
	char *x = norm(a), *y = norm(e);
	size_t ly = strlen(y);
	int ok = v4_version_cmp(x, y) == 0 || (strncmp(x, y, ly) == 0 && x[ly] == '.');
	free(x), free(y);
	return ok;
}

/* Appends "name value (expected e)" for each item not matching the config. */
static void mismatches(const struct v4_ctx *ctx, const struct nodever *nv, struct sbuf *bad,
		       struct sbuf *missing)
{
	for (int i = 0; i < NITEM; i++) {
		const char *e = v4_cfg_str(ctx->cfg, items[i].cfg, NULL);
		const char *a = nv->v[i];
		if (!a)
			continue;
		if (i >= I_VLLM && i < I_PYTHON && strcmp(a, "missing") == 0)
			sbuf_printf(missing, "%s%s", missing->len ? ", " : "", items[i].name);
		else if (e && *e && !ver_match(a, e, i == I_IMAGE))
			sbuf_printf(bad, "%s%s %s (expected %s)", bad->len ? ", " : "", items[i].name, a, e);
	}
}

/* Evidence: every version read. */
static cJSON *ver_evidence(const struct nodever *nv, cJSON *ev)
{
	for (int i = 0; i < NITEM; i++)
		if (nv->v[i])
			cJSON_AddStringToObject(ev, items[i].name, nv->v[i]);
		else
			cJSON_AddNullToObject(ev, items[i].name);
	return ev;
}

/* Reads and judges one node against the config. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n, struct nodever *nv)
{
	cJSON *ev = cJSON_CreateObject();
	struct sbuf bad = {0}, missing = {0};
	read_info(h, n, P_DRIVER, I_DRIVER, nv);
	read_loaded(h, n, nv);
	read_info(h, n, P_FIRMWARE, I_FIRMWARE, nv);
	read_cann(h, n, nv, ev);
	read_container(h, n, nv);
	if (!nv->v[I_CANN] && !nv->v[I_CCANN] && !nv->nerr)
		src_error(h, nv, "CANN", "no ascend_toolkit_install.info on the host or in the container");
	ver_evidence(nv, ev);
	mismatches(h->ctx, nv, &bad, &missing);
	if (nv->v[I_DRIVER] && nv->v[I_LOADED] && !ver_match(nv->v[I_DRIVER], nv->v[I_LOADED], 0))
		v4_say(h, DRIVER_STALE, cJSON_Duplicate(ev, 1),
		       "driver %s installed but %s loaded (npu-smi): reboot to load it",
		       nv->v[I_DRIVER], nv->v[I_LOADED]);
	if (missing.len)
		v4_say(h, PACKAGE_MISSING, cJSON_Duplicate(ev, 1),
		       "not installed in the container: %s", missing.s);
	if (bad.len)
		v4_say(h, VERSION_MISMATCH, cJSON_Duplicate(ev, 1), "%s", bad.s);
	else if (!missing.len && !nv->nerr)
		v4_say(h, OK, cJSON_Duplicate(ev, 1),
		       "driver %s, CANN %s, %s, vllm %s, vllm_ascend %s, torch %s, torch_npu %s",
		       nv->v[I_DRIVER], nv->v[I_CCANN] ? nv->v[I_CCANN] : nv->v[I_CANN], nv->v[I_IMAGE],
		       nv->v[I_VLLM], nv->v[I_VASCEND], nv->v[I_TORCH], nv->v[I_TNPU]);
	cJSON_Delete(ev);
	sbuf_free(&bad);
	sbuf_free(&missing);
}

/* The most frequent value of item among the nodes (first on a tie), or NULL. */
static const char *majority(const struct nodever *nv, size_t nn, int item, size_t *count)
{
	const char *best = NULL;
	*count = 0;
	for (size_t i = 0; i < nn; i++) {
		size_t k = 0;
		if (!nv[i].v[item])
			continue;
		for (size_t j = 0; j < nn; j++)
			k += nv[j].v[item] && strcmp(nv[j].v[item], nv[i].v[item]) == 0;
		if (k > *count)
			best = nv[i].v[item], *count = k;
	}
	return best;
}

/* Cluster verdict for one item: names the nodes that differ from the majority. */
static void judge_item(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
		       const struct nodever *nv, int item)
{
	size_t cnt;
	const char *maj = majority(nv, nn, item, &cnt);
	struct sbuf odd = {0};
	for (size_t i = 0; maj && i < nn; i++)
		if (nv[i].v[item] && strcmp(nv[i].v[item], maj) != 0)
			sbuf_printf(&odd, "%s%s on %s", odd.len ? ", " : "", nv[i].v[item], nodes[i]->name);
	if (odd.len) {
		cJSON *ev = cJSON_CreateObject();
		for (size_t i = 0; i < nn; i++)
			cJSON_AddStringToObject(ev, nodes[i]->name, nv[i].v[item] ? nv[i].v[item] : "?");
		v4_say(h, VERSION_INCONSISTENT, ev,
		       "%s differs between nodes: %s; the other %zu nodes have %s%s", items[item].name,
		       odd.s, cnt, maj,
		       item == I_CANN || item == I_CCANN
			       ? " (HCCL fails with EI0008: CANN versions must match on every rank)"
			       : "");
	}
	sbuf_free(&odd);
}

static void ver_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	struct nodever *nv = xcalloc(nn ? nn : 1, sizeof *nv);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		judge_node(&hn, nodes[i], &nv[i]);
	}
	for (int k = 0; nn > 1 && k < NITEM; k++)
		judge_item(h, nodes, nn, nv, k);
	for (size_t i = 0; i < nn; i++)
		for (int k = 0; k < NITEM; k++)
			free(nv[i].v[k]);
	free(nv);
}

const struct v4_check v4_check_versions = {
	.id = "versions",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 130, /* bench/tiers.sh: alone on one node */
	.title = "Driver, firmware, CANN, image and Python packages as configured, same on every node",
	.explain =
		"Symptom: HCCL init fails across nodes (EI0008, version mismatch between ranks),\n"
		"  vllm serve crashes at import or model load on one node only, or ops behave\n"
		"  differently per node.\n"
		"Cause: a node was upgraded (or not) on its own: a different driver or CANN, an\n"
		"  older image, a pip install inside one container, or a new driver installed\n"
		"  without the reboot that loads it (version.info and npu-smi disagree).\n"
		"Fix: install the configured versions (deployment.versions: driver 25.5.1,\n"
		"  cann 9.0.0, vllm 0.21.0, vllm_ascend 0.21.0rc1, torch 2.10.0, torch_npu\n"
		"  2.10.0; deployment.image) on the odd nodes, reboot after a driver upgrade,\n"
		"  recreate the container from the same image everywhere. A version matches\n"
		"  when equal after dropping a leading 'v' and a '+local' part, or when the\n"
		"  expected one is a prefix ending at a dot (2.10.0 accepts 2.10.0.post1);\n"
		"  the image must be equal. firmware and python are compared when\n"
		"  deployment.versions.firmware / .python are set, and across nodes always.\n"
		"  CANN is read on the host (ascend-toolkit/latest or cann layout; absent on\n"
		"  the host is fine) and inside the container.",
	.probes_doc = "cat /usr/local/Ascend/driver/version.info; cat /usr/local/Ascend/firmware/"
		      "version.info; the ascend_toolkit_install.info files under /usr/local/Ascend/"
		      "ascend-toolkit/latest/*-linux/ and /usr/local/Ascend/cann/*-linux/ (those that "
		      "exist); npu-smi info (header Version); docker inspect -f '{{.Config.Image}}' "
		      "CONTAINER; docker exec CONTAINER python3 -c '...' (importlib.metadata versions "
		      "of vllm, vllm_ascend, torch, torch_npu, the container's CANN, Python)",
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = ver_probes,
	.evaluate = ver_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
