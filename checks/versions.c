/* versions: driver, firmware, CANN, image and the container's Python packages
 * are the configured ones and identical on every node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"

#define FINDINGS(F)                                                                              \
	F(OK, PASS, "every version is the configured one")                                       \
	F(VERSION_MISMATCH, FAIL,                                                                \
	  "a version on this node differs from deployment.versions / deployment.image")          \
	F(PACKAGE_MISSING, FAIL,                                                                 \
	  "vllm, vllm_ascend, torch or torch_npu is not installed in the container")             \
	F(DRIVER_STALE, FAIL,                                                                    \
	  "the installed driver (version.info) is not the loaded one (npu-smi): reboot pending") \
	F(VERSION_INCONSISTENT, FAIL, "the nodes disagree on a version (CANN: HCCL EI0008)")     \
	F(KNOWLEDGE_TABLE, WARN,                                                                 \
	  "the installed vllm-ascend has no knowledge table of its own (or reports 0.0.0): the "  \
	  "checks judge it by the nearest older table, named in the message")                    \
	F(VLLM_PAIR, WARN, "the installed vllm is not the one the installed vllm-ascend pins")   \
	F(CANN_DRIVER_INCOMPATIBLE, FAIL,                                                        \
	  "the container's CANN and the host driver do not list each other as compatible")      \
	F(FIRMWARE_DRIVER_INCOMPATIBLE, FAIL,                                                    \
	  "the firmware is outside the driver's compatible_version_fw range")                   \
	F(FIRMWARE_MIXED, FAIL, "the NPUs of one node run different firmware (npu-smi -t board)") \
	F(MCU_MIXED, WARN,                                                                       \
	  "the NPUs of one node run different MCU versions (npu-smi upgrade -b mcu)")            \
	F(CANN_HDK_UNSUPPORTED, FAIL,                                                            \
	  "the CANN release notes say this CANN does not work with this driver (HDK)")          \
	F(PROBE_FAILED, ERROR, "a version source could not be read")
V4_FINDINGS(FINDINGS);

#define P_DRIVER "driver-version"
#define P_FIRMWARE "firmware-version"
#define P_CANN "cann-version"
#define P_IMAGE P_KN_IMAGE
#define P_PKGS P_KN_PKGS
#define P_CCANN "cann-container-info"

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

/* The container's CANN install files on aarch64 (Atlas 800I A2): the
 * ascend-toolkit layout and CANN 8.5's cann layout; cat fails on the absent one. */
#define CCANN_FILES                                                        \
	"/usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info " \
	"/usr/local/Ascend/cann/aarch64-linux/ascend_toolkit_install.info"
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
	int *ids = NULL;
	size_t nid = 0;
	char *why = NULL;
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nid, &why) == 0)
		for (size_t i = 0; i < nid; i++) {
			char id[32];
			snprintf(id, sizeof id, "npu-board.%d", ids[i]);
			v4_probe_add(ps, id, -1, 0, "npu-smi info -t board -i %d", ids[i]);
			snprintf(id, sizeof id, "npu-mcu.%d", ids[i]);
			v4_probe_add(ps, id, -1, 0, "npu-smi upgrade -b mcu -i %d", ids[i]);
		}
	free(ids);
	free(why);
	v4_probe_add(ps, P_DRIVER, -1, 0, "cat /usr/local/Ascend/driver/version.info");
	v4_probe_add(ps, P_FIRMWARE, -1, 0, "cat /usr/local/Ascend/firmware/version.info");
	v4_probe_add(ps, P_CANN, -1, 0, "%s", CANN_CMD);
	if (ct) {
		kn_probes(n, ctx, ps); /* the same probes the knowledge table choice reads */
		v4_probe_add(ps, P_CCANN, -1, 0, "docker exec %s cat %s", ct, CCANN_FILES);
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

/* 1 for setuptools_scm's fallback 0.0.0 (a build without tag metadata,
 * vllm-project/vllm-ascend@v0.21.0rc1 setup.py:452-457). */
static int unknown_ascend(const char *v)
{
	char *x = norm(v);
	int r = strcmp(x, "0.0.0") == 0;
	free(x);
	return r;
}

/* Reports which knowledge table judges the node when it is not the installed
 * version's own, and an installed vllm that is not the table's; adds the
 * choice to ev. */
static void judge_knowledge(const struct v4_rep *h, const struct v4_node *n, cJSON *ev)
{
	struct kn_pick kp;
	kn_pick_node(n, h->ctx, &kp);
	cJSON *k = cJSON_AddObjectToObject(ev, "knowledge_table");
	cJSON_AddStringToObject(k, "vllm_ascend", kp.tag ? kp.tag : "");
	cJSON_AddStringToObject(k, "chosen_by", kp.from ? kp.from : "");
	if (kp.warn)
		v4_say(h, KNOWLEDGE_TABLE, cJSON_Duplicate(ev, 1), "%s", kp.warn);
	if (kp.pair_warn)
		v4_say(h, VLLM_PAIR, cJSON_Duplicate(ev, 1), "%s", kp.pair_warn);
	kn_pick_free(&kp);
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
		if (i == I_VASCEND && unknown_ascend(a))
			continue; /* 0.0.0: KNOWLEDGE_TABLE says which version judges it */
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

/* ---- compatibility: CANN <-> driver <-> firmware ---- */

/* The CANN / HDK pairs the CANN release notes rule out (hiascend.com, CANN 9.1.0
 * and 9.2.0 release notes, "version compatibility"): CANN cann (a prefix at a
 * dot) with HDK versions from lo up to, not including, hi (prefixes). */
static const struct hdk_rule {
	const char *cann, *lo, *hi, *says;
} hdk_rules[] = {
	{"9.0", NULL, "25.0", "CANN 9.0.x works with HDK 25.0 to 26.1"},
	{"9.0", "26.2", NULL, "CANN 9.0.x works with HDK 25.0 to 26.1"},
	{"9.1", "25.0", "25.1", "CANN 9.1.x does not work with HDK 25.0.x"},
	{"9.2.0", "25.0", "25.1", "CANN 9.2.0 does not work with HDK 25.0.x"},
	{"9.2.0", "25.2", "25.3", "CANN 9.2.0 does not work with HDK 25.2.x"},
};

/* "V100R001C25SPC001B231" -> 100, 1, 25; 0 or -1. */
static int inner_code(const char *s, long v[3])
{
	char *e;
	if (*s != 'V')
		return -1;
	v[0] = strtol(s + 1, &e, 10);
	if (*e != 'R')
		return -1;
	v[1] = strtol(e + 1, &e, 10);
	if (*e != 'C')
		return -1;
	v[2] = strtol(e + 1, &e, 10);
	return 0;
}

/* Compares inner codes a and b (-1, 0, 1). */
static int code_cmp(const long a[3], const long b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* 1 when inner version x is in a compatible_version list "[A,B],[C]..."; -1 unreadable. */
static int in_compat_list(const char *list, const char *x)
{
	long xv[3], lo[3], hi[3];
	if (inner_code(x, xv))
		return -1;
	for (const char *p = strchr(list, '['); p; p = strchr(p + 1, '[')) {
		const char *comma = strchr(p, ','), *close = strchr(p, ']');
		if (!close || inner_code(p + 1, lo))
			return -1;
		if (comma && comma < close) {
			if (inner_code(comma + 1, hi))
				return -1;
		} else
			memcpy(hi, lo, sizeof hi);
		if (code_cmp(xv, lo) >= 0 && code_cmp(xv, hi) <= 0)
			return 1;
	}
	return strchr(list, '[') ? 0 : -1;
}

/* 1 when version v is a at a dot boundary (or equal). */
static int ver_prefix(const char *v, const char *a)
{
	size_t n = strlen(a);
	return strncmp(v, a, n) == 0 && (v[n] == 0 || v[n] == '.');
}

/* The version files one node's compatibility is judged from. */
struct compat {
	struct v4_kvs drv, fw, cann;
	int have_drv, have_fw, have_cann;
};

/* Reads a kv probe into kv (any exit status with any_exit); 1 when it ran and parsed. */
static int kv_of(const struct v4_node *n, const char *id, int any_exit, struct v4_kvs *kv)
{
	char *why = NULL, *err = NULL;
	const struct v4_fact *f = v4_fact_ok(n, id, any_exit, &why);
	int ok = f && v4_parse_kv_file(f->out, f->out_len, kv, &err) == 0;
	free(why);
	free(err);
	return ok;
}

/* CANN's and the driver's compatible_version lists against each other's inner version. */
static void judge_inner(const struct v4_rep *h, const struct compat *c, cJSON *ev)
{
	const char *di = v4_kv_get(&c->drv, "Innerversion"), *dl = v4_kv_get(&c->drv, "compatible_version");
	const char *ci = v4_kv_get(&c->cann, "innerversion"), *cl = v4_kv_get(&c->cann, "compatible_version");
	const char *cv = v4_kv_get(&c->cann, "version"), *dv = v4_kv_get(&c->drv, "Version");
	if (!di || !dl || !ci || !cl)
		return;
	int a = in_compat_list(dl, ci), b = in_compat_list(cl, di);
	if (a == 0 || b == 0)
		v4_say(h, CANN_DRIVER_INCOMPATIBLE, cJSON_Duplicate(ev, 1),
		       "CANN %s (innerversion %s) and driver %s (Innerversion %s) are not compatible: %s; "
		       "aicore timeouts (507014) or errors at set_device follow (vllm-ascend#5468): "
		       "install a driver the CANN release notes pair with this CANN, or another image",
		       cv ? cv : "?", ci, dv ? dv : "?", di,
		       a == 0 ? "the driver's compatible_version does not list CANN's innerversion"
			      : "CANN's compatible_version does not list the driver's Innerversion");
}

/* The firmware version against the driver's compatible_version_fw range. */
static void judge_fw(const struct v4_rep *h, const struct compat *c, cJSON *ev)
{
	const char *r = v4_kv_get(&c->drv, "compatible_version_fw"), *fv = v4_kv_get(&c->fw, "Version");
	char lo[64], hi[64];
	if (!r || !fv || sscanf(r, "[%63[^,],%63[^]]]", lo, hi) != 2)
		return;
	if (v4_version_cmp(fv, lo) < 0 || (v4_version_cmp(fv, hi) > 0 && !ver_prefix(fv, hi)))
		v4_say(h, FIRMWARE_DRIVER_INCOMPATIBLE, cJSON_Duplicate(ev, 1),
		       "firmware %s is outside the driver's compatible_version_fw %s: upgrade the "
		       "firmware with the driver (same HDK release)", fv, r);
}

/* The CANN / HDK pair against the release notes' table. */
static void judge_matrix(const struct v4_rep *h, const struct compat *c, cJSON *ev)
{
	const char *cv = v4_kv_get(&c->cann, "version"), *dv = v4_kv_get(&c->drv, "Version");
	if (!cv || !dv)
		return;
	for (size_t i = 0; i < V4_ARRAY_LEN(hdk_rules); i++) {
		const struct hdk_rule *r = &hdk_rules[i];
		if (!ver_prefix(cv, r->cann) || (r->lo && v4_version_cmp(dv, r->lo) < 0) ||
		    (r->hi && v4_version_cmp(dv, r->hi) >= 0))
			continue;
		v4_say(h, CANN_HDK_UNSUPPORTED, cJSON_Duplicate(ev, 1),
		       "CANN %s with driver %s: %s (CANN %s release notes, version compatibility)", cv, dv,
		       r->says, strncmp(r->cann, "9.0", 3) == 0 ? "9.1.0" : r->cann);
		return;
	}
}

/* NPU id's firmware (npu-smi info -t board) or MCU (npu-smi upgrade -b mcu)
 * version into v; 0, or -1 with *why (caller frees). */
static int npu_version(const struct v4_node *n, int mcu, int id, char *v, size_t vsz, char **why)
{
	char pid[32], *err = NULL;
	struct v4_kvs kv = {0};
	int rc = -1;
	snprintf(pid, sizeof pid, mcu ? "npu-mcu.%d" : "npu-board.%d", id);
	const struct v4_fact *f = v4_fact_ok(n, pid, 0, why);
	if (f && mcu && v4_parse_npusmi_mcu(f->out, f->out_len, v, vsz, &err) == 0)
		rc = 0;
	else if (f && !mcu && v4_parse_npusmi_kv(f->out, f->out_len, &kv, &err) == 0 &&
		 v4_kv_get(&kv, "Firmware Version"))
		rc = 0, snprintf(v, vsz, "%s", v4_kv_get(&kv, "Firmware Version"));
	else if (f)
		*why = xasprintf("%s: %s", f->cmd, mcu ? (err ? err : "not understood")
						    : "no Firmware Version line");
	v4_kvs_free(&kv);
	free(err);
	return rc;
}

/* The firmware (mcu 0) or MCU (mcu 1) version of every NPU of the node the
 * same; returns the findings (an unreadable one is a PROBE_FAILED). */
static int judge_npu_same(const struct v4_rep *h, const struct v4_node *n, int mcu)
{
	const char *what = mcu ? "MCU" : "firmware";
	int *ids = NULL, bad = 0;
	size_t nid = 0;
	char *why = NULL, fw[64][64] = {{0}};
	if (node_npu_ids(n, &ids, &nid, &why)) { /* per NPU unknown: no OK */
		v4_say(h, PROBE_FAILED, NULL, "NPU %s not compared: %s", what, why);
		free(why);
		return 1;
	}
	for (size_t i = 0; i < nid && i < 64; i++) {
		if (npu_version(n, mcu, ids[i], fw[i], sizeof fw[i], &why) != 0 && ++bad)
			v4_say(h, PROBE_FAILED, NULL, "NPU %d %s: %s", ids[i], what, why ? why : "?");
		free(why), why = NULL;
	}
	struct sbuf odd = {0};
	size_t same = 0;
	for (size_t i = 0; i < nid && i < 64; i++)
		if (fw[i][0] && strcmp(fw[i], fw[0]) == 0)
			same++;
	for (size_t i = 0; fw[0][0] && i < nid && i < 64; i++)
		if (fw[i][0] && strcmp(fw[i], fw[0]) != 0)
			sbuf_printf(&odd, "%s%s on NPU %d", odd.len ? ", " : "", fw[i], ids[i]);
	if (odd.len && ++bad) {
		cJSON *ev = cJSON_CreateObject();
		for (size_t i = 0; i < nid && i < 64; i++) {
			char k[16];
			snprintf(k, sizeof k, "NPU %d", ids[i]);
			cJSON_AddStringToObject(ev, k, fw[i][0] ? fw[i] : "?");
		}
		if (mcu)
			v4_say(h, MCU_MIXED, ev,
			       "NPU MCU differs on this node: %s; %zu NPUs have %s: upgrade the odd NPUs' MCU "
			       "(npu-smi upgrade -t mcu -i N -f FILE, then -a mcu) to the release of the "
			       "node's driver and firmware", odd.s, same, fw[0]);
		else
			v4_say(h, FIRMWARE_MIXED, ev,
			       "NPU firmware differs on this node: %s; %zu NPUs have %s: upgrade the odd NPUs' "
			       "firmware (npu-smi upgrade) so that every NPU runs one HDK release", odd.s, same, fw[0]);
	}
	sbuf_free(&odd);
	free(ids);
	return bad;
}

/* Judges CANN (the container's, else the host's) against the driver and firmware;
 * returns the findings. */
static int judge_compat(const struct v4_rep *h, const struct v4_node *n)
{
	struct compat c = {0};
	size_t before = h->out->n;
	c.have_drv = kv_of(n, P_DRIVER, 0, &c.drv);
	c.have_fw = kv_of(n, P_FIRMWARE, 0, &c.fw);
	c.have_cann = kv_of(n, P_CCANN, 1, &c.cann) || kv_of(n, P_CANN, 0, &c.cann);
	if (c.have_drv && c.have_cann) {
		cJSON *ev = cJSON_CreateObject();
		const char *keys[][2] = {{"driver Innerversion", "Innerversion"}, {"driver compatible_version", "compatible_version"},
					 {"driver compatible_version_fw", "compatible_version_fw"}};
		for (size_t i = 0; i < V4_ARRAY_LEN(keys); i++)
			if (v4_kv_get(&c.drv, keys[i][1]))
				cJSON_AddStringToObject(ev, keys[i][0], v4_kv_get(&c.drv, keys[i][1]));
		if (v4_kv_get(&c.cann, "innerversion"))
			cJSON_AddStringToObject(ev, "CANN innerversion", v4_kv_get(&c.cann, "innerversion"));
		if (v4_kv_get(&c.cann, "compatible_version"))
			cJSON_AddStringToObject(ev, "CANN compatible_version", v4_kv_get(&c.cann, "compatible_version"));
		judge_inner(h, &c, ev);
		judge_matrix(h, &c, ev);
		if (c.have_fw)
			judge_fw(h, &c, ev);
		cJSON_Delete(ev);
	}
	v4_kvs_free(&c.drv);
	v4_kvs_free(&c.fw);
	v4_kvs_free(&c.cann);
	return (int)(h->out->n - before);
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
	judge_knowledge(h, n, ev);
	int incompat = judge_compat(h, n) + judge_npu_same(h, n, 0) + judge_npu_same(h, n, 1);
	if (nv->v[I_DRIVER] && nv->v[I_LOADED] && !ver_match(nv->v[I_DRIVER], nv->v[I_LOADED], 0))
		v4_say(h, DRIVER_STALE, cJSON_Duplicate(ev, 1),
		       "driver %s installed but %s loaded (npu-smi): reboot to load it",
		       nv->v[I_DRIVER], nv->v[I_LOADED]);
	if (missing.len)
		v4_say(h, PACKAGE_MISSING, cJSON_Duplicate(ev, 1),
		       "not installed in the container: %s", missing.s);
	if (bad.len)
		v4_say(h, VERSION_MISMATCH, cJSON_Duplicate(ev, 1), "%s", bad.s);
	else if (!missing.len && !nv->nerr && !incompat)
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
	.cost_ms = 250, /* bench/tiers.sh: alone on one node */
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
		"  the host is fine) and inside the container.\n"
		"Knowledge tables: the checks judge vLLM / vllm-ascend settings by the table of\n"
		"  the installed vllm_ascend (importlib.metadata in the container; 0.0.0, a\n"
		"  build without tag metadata, vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  setup.py:452-457, counts as unknown: the image tag decides), else the image\n"
		"  tag, else deployment.versions.vllm_ascend or deployment.image. A version\n"
		"  without a table is judged by the nearest older one (KNOWLEDGE_TABLE WARN).\n"
		"  The installed vllm must be the one the table pins (v0.21.0 for v0.21.0rc1,\n"
		"  vllm-project/vllm-ascend@v0.21.0rc1 Dockerfile:50; installed as\n"
		"  0.21.0+empty, the local part is dropped): else VLLM_PAIR WARN.\n"
		"Compatibility: the container's CANN (else the host's) and the host driver must\n"
		"  list each other: the driver's Innerversion within CANN's compatible_version\n"
		"  ranges and CANN's innerversion within the driver's compatible_version\n"
		"  (ascend_toolkit_install.info, driver version.info); the firmware Version within\n"
		"  the driver's compatible_version_fw; and the pair not ruled out by the CANN\n"
		"  release notes (hiascend.com, CANN 9.1.0 / 9.2.0, version compatibility: 9.0.x\n"
		"  with HDK 25.0-26.1, 9.1.x not with 25.0.x, 9.2.0 not with 25.0.x or 25.2.x).\n"
		"  An image whose CANN is newer than the host HDK gives aicore timeouts (507014)\n"
		"  or ACL 500001 at set_device (vllm-ascend#5468, #4972). Every NPU of a node\n"
		"  must run the same firmware (Firmware Version of npu-smi info -t board -i N)\n"
		"  and the same MCU (npu-smi upgrade -b mcu -i N; the MCU is the card's\n"
		"  out-of-band management controller, upgraded to the release of the driver and\n"
		"  firmware, NPU by NPU: one left behind differs). These are findings of versions because it\n"
		"  reads every version file already.",
	.probes_doc = "cat /usr/local/Ascend/driver/version.info; cat /usr/local/Ascend/firmware/"
		      "version.info; the ascend_toolkit_install.info files under /usr/local/Ascend/"
		      "ascend-toolkit/latest/*-linux/ and /usr/local/Ascend/cann/*-linux/ (those that "
		      "exist); npu-smi info (header Version); npu-smi info -t board -i N (Firmware "
		      "Version) and npu-smi upgrade -b mcu -i N (MCU Version) for each NPU; docker inspect -f '{{.Config.Image}}' "
		      "CONTAINER; docker exec CONTAINER python3 -c '...' (importlib.metadata versions "
		      "of vllm, vllm_ascend, torch, torch_npu, the container's CANN, Python); docker exec "
		      "CONTAINER cat /usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/"
		      "ascend_toolkit_install.info /usr/local/Ascend/cann/aarch64-linux/"
		      "ascend_toolkit_install.info",
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = ver_probes,
	.evaluate = ver_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
