/* container: the vLLM container as step 1 of the reference deployment made it.
 *
 * Running, the configured image, --net=host, --shm-size of at least 1500g,
 * the eight davinci devices plus davinci_manager, devmm_svm and hisi_hdc, the
 * dcmi / hccn.conf / driver / data mounts, and the deployment's environment
 * (HCCL, task queue, allocator, timeouts, a jemalloc LD_PRELOAD that exists
 * inside the container). Nothing is fixed automatically: re-creating the
 * container is disruptive and needs the operator's docker run command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define P_INSPECT "docker-inspect"
#define P_PRELOAD "container-preload"
#define GIB 1073741824.0

#define FINDINGS(F)                                                                                         \
	F(OK, PASS, "the container runs as the deployment made it")                                         \
	F(CONTAINER_MISSING, FAIL, "no container of that name (deployment.container)")                      \
	F(CONTAINER_STOPPED, FAIL, "the container exists but is not running")                               \
	F(IMAGE_MISMATCH, FAIL, "the container's image differs from deployment.image")                      \
	F(NET_NOT_HOST, FAIL, "the container does not use the host network (--net=host)")                   \
	F(SHM_SMALL, FAIL, "the container's /dev/shm is smaller than the shm_gb parameter")                 \
	F(DEVICE_MISSING, FAIL, "a davinci, davinci_manager, devmm_svm or hisi_hdc device is not passed")   \
	F(MOUNT_MISSING, FAIL, "a deployment mount (dcmi, hccn.conf, driver, /data) is missing")            \
	F(CONTAINER_ENV_MISSING, FAIL, "a deployment environment variable is not set in the container")     \
	F(CONTAINER_ENV_WRONG, FAIL, "a deployment environment variable has another value (timeouts: "      \
	  "lower)")                                                                                         \
	F(PRELOAD_MISSING, FAIL, "LD_PRELOAD names a library that does not exist in the container")         \
	F(CONTAINER_CONFIG_INVALID, ERROR, "deployment.container or deployment.container_env is malformed") \
	F(PROBE_FAILED, ERROR, "docker inspect could not be run or read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"shm_gb", 1500, "smallest accepted --shm-size in GiB (the deployment uses 1500g)"},
	{NULL, 0, NULL},
};

/* The deployment's environment; timeouts are minimums. LD_PRELOAD: "*" = any
 * value (its files must exist). deployment.container_env overrides or adds
 * names; null drops one. */
static const char *const default_env[][2] = {
	{"HCCL_OP_EXPANSION_MODE", "AIV"},
	{"TASK_QUEUE_ENABLE", "1"},
	{"HCCL_BUFFSIZE", "512"},
	{"VLLM_ASCEND_ENABLE_FLASHCOMM1", "1"},
	{"PYTORCH_NPU_ALLOC_CONF", "expandable_segments:True"},
	{"ACL_OP_INIT_MODE", "1"},
	{"HCCL_CONNECT_TIMEOUT", "7200"},
	{"ASCEND_CONNECT_TIMEOUT", "10000"},
	{"VLLM_RPC_TIMEOUT", "1800000"},
	{"LD_PRELOAD", "*"},
};

static const char *const default_mounts[] = {"/usr/local/dcmi", "/etc/hccn.conf",
					     "/usr/local/Ascend/driver", "/data"};
static const char *const extra_devices[] = {"/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc"};

#define MAX_PRELOAD 8

/* The container name (deployment.container, default vllm). */
static const char *container(const struct v4_ctx *ctx)
{
	return v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
}

/* 1 when p is a plain absolute path fit for a command (no quotes, no ".."). */
static int path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n < 2 || n > 200 || p[0] != '/' || strstr(p, ".."))
		return 0;
	return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-") == n;
}

/* The container's inspect object from the fact; NULL with *why (caller frees)
 * or *absent set when docker says there is no such container. */
static cJSON *read_inspect(const struct v4_node *n, int *absent, char **why)
{
	const struct v4_fact *f = v4_fact(n, P_INSPECT);
	*absent = 0;
	*why = NULL;
	if (f && f->state == V4_FACT_OK && f->exit_code != 0 && f->err && strstr(f->err, "No such object")) {
		*absent = 1;
		return NULL;
	}
	if (!v4_fact_ok(n, P_INSPECT, 0, why))
		return NULL;
	cJSON *arr = cJSON_ParseWithLength(f->out, f->out_len);
	cJSON *o = cJSON_IsArray(arr) && cJSON_IsObject(cJSON_GetArrayItem(arr, 0))
			   ? cJSON_DetachItemFromArray(arr, 0) : NULL;
	if (!o)
		*why = xasprintf("%s: output is not a JSON array of objects", f->cmd);
	cJSON_Delete(arr);
	return o;
}

/* A Config.Env value, or NULL. */
static const char *env_get(const cJSON *insp, const char *k)
{
	const cJSON *x;
	size_t kl = strlen(k);
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(insp, "Config"), "Env"))
		if (cJSON_IsString(x) && strncmp(x->valuestring, k, kl) == 0 && x->valuestring[kl] == '=')
			return x->valuestring + kl + 1;
	return NULL;
}

/* Splits LD_PRELOAD (blanks or colons) into at most MAX_PRELOAD words. */
static size_t preload_paths(const char *v, char out[][256])
{
	size_t n = 0;
	while (v && *v && n < MAX_PRELOAD) {
		v += strspn(v, " :");
		size_t k = strcspn(v, " :");
		if (k && k < 256) {
			memcpy(out[n], v, k);
			out[n++][k] = 0;
		}
		v += k;
	}
	return n;
}

static void ct_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		      struct v4_probes *ps)
{
	(void)c;
	const char *ct = container(ctx);
	int absent;
	char *why = NULL, paths[MAX_PRELOAD][256];
	if (!word_ok(ct))
		return;
	v4_probe_add(ps, P_INSPECT, -1, 0, "docker inspect %s", ct);
	cJSON *insp = read_inspect(n, &absent, &why);
	size_t np = insp ? preload_paths(env_get(insp, "LD_PRELOAD"), paths) : 0;
	struct sbuf cmd = {0};
	for (size_t i = 0; i < np; i++)
		if (path_ok(paths[i]))
			sbuf_printf(&cmd, " %s", paths[i]);
	if (cmd.len) /* ls -dL: each path, symlinks followed; a missing one fails */
		v4_probe_add(ps, P_PRELOAD, -1, 0, "docker exec %s ls -dL%s", ct, cmd.s);
	sbuf_free(&cmd);
	cJSON_Delete(insp);
	free(why);
}

/* ---- judging ---- */

/* Member b of member a of o, or NULL. */
static const cJSON *json_get(const cJSON *o, const char *a, const char *b)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
}

/* A string at o.a.b, or "". */
static const char *istr(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = json_get(o, a, b);
	return cJSON_IsString(x) ? x->valuestring : "";
}

/* A number at o.a.b, or -1. */
static double json_num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = json_get(o, a, b);
	return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

/* Running, image, network, shm. Returns 1 when the container is not running. */
static int judge_basics(const struct v4_rep *h, const cJSON *insp, int *bad)
{
	const struct v4_ctx *ctx = h->ctx;
	const cJSON *run = json_get(insp, "State", "Running");
	const char *want = v4_cfg_str(ctx->cfg, "deployment.image", "quay.io/ascend/vllm-ascend:v0.21.0rc1");
	double shm = json_num(insp, "HostConfig", "ShmSize"), min_gb = v4_param(ctx, h->check, "shm_gb");
	if (!cJSON_IsTrue(run)) {
		v4_say(h, CONTAINER_STOPPED, NULL,
		       "container %s is %s (exit code %.0f): docker start %s", container(ctx),
		       istr(insp, "State", "Status"), json_num(insp, "State", "ExitCode"), container(ctx));
		*bad = 1;
	}
	if (strcmp(istr(insp, "Config", "Image"), want)) {
		v4_say(h, IMAGE_MISMATCH, NULL, "image %s, expected %s",
		       istr(insp, "Config", "Image"), want);
		*bad = 1;
	}
	if (strcmp(istr(insp, "HostConfig", "NetworkMode"), "host")) {
		v4_say(h, NET_NOT_HOST, NULL,
		       "network mode '%s': needs --net=host (bond1 and the RoCE setup are the host's)",
		       istr(insp, "HostConfig", "NetworkMode"));
		*bad = 1;
	}
	if (shm < min_gb * GIB) {
		v4_say(h, SHM_SMALL, NULL, "--shm-size %.0fg, expected at least %.0fg",
		       shm > 0 ? shm / GIB : 0.0, min_gb);
		*bad = 1;
	}
	return !cJSON_IsTrue(run);
}

/* 1 when some element's member key (or the string itself) equals want. */
static int arr_has(const cJSON *arr, const char *key, const char *want)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, arr) {
		const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(x, key) : x;
		if (cJSON_IsString(v) && strcmp(v->valuestring, want) == 0)
			return 1;
	}
	return 0;
}

/* 1 when a bind "src:dst[:mode]" of Binds has destination dst. */
static int binds_have(const cJSON *binds, const char *dst)
{
	const cJSON *x;
	size_t dl = strlen(dst);
	cJSON_ArrayForEach(x, binds) {
		const char *c = cJSON_IsString(x) ? strchr(x->valuestring, ':') : NULL;
		if (c && strncmp(c + 1, dst, dl) == 0 && (c[1 + dl] == 0 || c[1 + dl] == ':'))
			return 1;
	}
	return 0;
}

/* Devices: davinci0..N-1 and the three managers. */
static void judge_devices(const struct v4_rep *h, const cJSON *insp, int *bad)
{
	const cJSON *devs = json_get(insp, "HostConfig", "Devices");
	struct sbuf miss = {0};
	int npus = expected_npus(h->ctx);
	char d[64];
	for (int i = 0; i < npus + 3; i++) {
		if (i < npus)
			snprintf(d, sizeof d, "/dev/davinci%d", i);
		else
			snprintf(d, sizeof d, "%s", extra_devices[i - npus]);
		if (!arr_has(devs, "PathInContainer", d))
			sbuf_printf(&miss, "%s%s", miss.len ? ", " : "", d);
	}
	if (miss.len) {
		v4_say(h, DEVICE_MISSING, NULL, "devices not passed: %s (--device)",
		       miss.s);
		*bad = 1;
	}
	sbuf_free(&miss);
}

/* Mounts: deployment.container_mounts (array of destinations), else the defaults. */
static void judge_mounts(const struct v4_rep *h, const cJSON *insp, int *bad)
{
	const cJSON *cfgm = v4_cfg_get(h->ctx->cfg, "deployment.container_mounts"), *x;
	const cJSON *mounts = cJSON_GetObjectItemCaseSensitive(insp, "Mounts");
	const cJSON *binds = json_get(insp, "HostConfig", "Binds");
	struct sbuf miss = {0};
	size_t nd = cJSON_IsArray(cfgm) ? (size_t)cJSON_GetArraySize(cfgm) : V4_ARRAY_LEN(default_mounts);
	for (size_t i = 0; i < nd; i++) {
		x = cJSON_IsArray(cfgm) ? cJSON_GetArrayItem(cfgm, (int)i) : NULL;
		const char *dst = x ? (cJSON_IsString(x) ? x->valuestring : NULL) : default_mounts[i];
		if (dst && !arr_has(mounts, "Destination", dst) && !binds_have(binds, dst))
			sbuf_printf(&miss, "%s%s", miss.len ? ", " : "", dst);
	}
	if (miss.len) {
		v4_say(h, MOUNT_MISSING, NULL, "not mounted: %s (-v HOST:CONTAINER)",
		       miss.s);
		*bad = 1;
	}
	sbuf_free(&miss);
}

/* 1 for the variables whose value is a minimum (timeouts). */
static int is_timeout(const char *name)
{
	size_t n = strlen(name);
	return n > 8 && strcmp(name + n - 8, "_TIMEOUT") == 0;
}

/* Judges one expected variable. */
static void judge_var(const struct v4_rep *h, const cJSON *insp, const char *name, const char *want,
		      int *bad)
{
	const char *v = env_get(insp, name);
	char *end = NULL;
	if (!v) {
		v4_say(h, CONTAINER_ENV_MISSING, NULL, "%s is not set (-e %s=%s)", name, name,
		       strcmp(want, "*") ? want : "...");
		*bad = 1;
		return;
	}
	if (strcmp(want, "*") == 0 || strcmp(v, want) == 0)
		return;
	if (is_timeout(name)) {
		double got = strtod(v, &end), exp = strtod(want, NULL);
		if (end != v && *end == 0 && got >= exp)
			return;
	}
	v4_say(h, CONTAINER_ENV_WRONG, NULL, "%s=%s, expected %s%s", name, v,
	       is_timeout(name) ? "at least " : "", want);
	*bad = 1;
}

/* The expected environment: defaults, then deployment.container_env. -1 when
 * that is not an object of strings / nulls. */
static int judge_env(const struct v4_rep *h, const cJSON *insp, int *bad)
{
	const cJSON *ov = v4_cfg_get(h->ctx->cfg, "deployment.container_env"), *x;
	if (ov && !cJSON_IsObject(ov))
		return -1;
	cJSON_ArrayForEach(x, ov)
		if (!cJSON_IsString(x) && !cJSON_IsNull(x))
			return -1;
	for (size_t i = 0; i < V4_ARRAY_LEN(default_env); i++)
		if (!cJSON_GetObjectItemCaseSensitive(ov, default_env[i][0]))
			judge_var(h, insp, default_env[i][0], default_env[i][1], bad);
	cJSON_ArrayForEach(x, ov)
		if (cJSON_IsString(x))
			judge_var(h, insp, x->string, x->valuestring, bad);
	return 0;
}

/* LD_PRELOAD's files exist in the container (the ls -dL fact). */
static void judge_preload(const struct v4_rep *h, const struct v4_node *n, const cJSON *insp,
			  int *bad)
{
	char paths[MAX_PRELOAD][256], *why = NULL;
	const char *v = env_get(insp, "LD_PRELOAD");
	size_t np = preload_paths(v, paths);
	for (size_t i = 0; i < np; i++)
		if (!path_ok(paths[i])) {
			v4_say(h, PRELOAD_MISSING, NULL,
			       "LD_PRELOAD entry '%.80s' is not a plain absolute path: not probed", paths[i]);
			*bad = 1;
		}
	const struct v4_fact *f = v4_fact(n, P_PRELOAD);
	if (!np || !f)
		return;
	if (f->state == V4_FACT_OK && f->exit_code != 0 && f->err && strstr(f->err, "No such file")) {
		v4_say(h, PRELOAD_MISSING, NULL,
		       "LD_PRELOAD=%s: not in the container (every process warns and runs without jemalloc)", v);
		*bad = 1;
	} else if (!v4_fact_ok(n, P_PRELOAD, 0, &why)) {
		v4_say(h, PROBE_FAILED, NULL, "LD_PRELOAD: %s", why);
		*bad = 1;
	}
	free(why);
}

/* Judges one node. */
static void judge(const struct v4_rep *h, const struct v4_node *n)
{
	const struct v4_ctx *ctx = h->ctx;
	int absent, bad = 0;
	char *why = NULL;
	cJSON *insp = read_inspect(n, &absent, &why);
	if (absent)
		v4_say(h, CONTAINER_MISSING, NULL,
		       "no container %s: create it as in step 1 (docker run --name %s ...)", container(ctx),
		       container(ctx));
	else if (!insp)
		v4_say_unchecked(h, why);
	free(why);
	if (!insp)
		return;
	int stopped = judge_basics(h, insp, &bad);
	judge_devices(h, insp, &bad);
	judge_mounts(h, insp, &bad);
	if (judge_env(h, insp, &bad))
		v4_say(h, CONTAINER_CONFIG_INVALID, NULL,
		       "deployment.container_env must be an object of strings (null drops a name)");
	else if (!stopped)
		judge_preload(h, n, insp, &bad);
	if (!bad)
		v4_say(h, OK, NULL,
		       "%s runs %s with --net=host, shm %.0fg, %d NPUs + 3 control devices, mounts and env "
		       "as deployed", container(ctx), istr(insp, "Config", "Image"),
		       json_num(insp, "HostConfig", "ShmSize") / GIB, expected_npus(ctx));
	cJSON_Delete(insp);
}

static void ct_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		if (!word_ok(container(h->ctx)))
			v4_say(&hn, CONTAINER_CONFIG_INVALID, NULL,
			       "deployment.container is not a plain name: not probed");
		else
			judge(&hn, nodes[i]);
	}
}

const struct v4_check v4_check_container = {
	.id = "container",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 170, /* bench/tiers.sh: alone on one node */
	.title = "vllm container: running, image, --net=host, shm, devices, mounts, env, jemalloc",
	.explain =
		"Symptom: vLLM cannot see the NPUs (no davinci devices), hccn_tool or the driver\n"
		"  libraries are missing in the container, NCCL-style shared-memory errors, HCCL\n"
		"  link setup times out, \"ld.so: object ... from LD_PRELOAD cannot be preloaded\".\n"
		"Cause: the container was created differently from step 1 of the deployment.\n"
		"Fix: re-create it (disruptive: stop vLLM first), keeping sitecustomize.py:\n"
		"  docker run --name vllm --net=host --shm-size=1500g \\\n"
		"    --device /dev/davinci0..7 --device /dev/davinci_manager \\\n"
		"    --device /dev/devmm_svm --device /dev/hisi_hdc \\\n"
		"    -v /usr/local/dcmi:/usr/local/dcmi -v /etc/hccn.conf:/etc/hccn.conf \\\n"
		"    -v /usr/local/Ascend/driver:/usr/local/Ascend/driver -v /data:/data \\\n"
		"    -e HCCL_OP_EXPANSION_MODE=AIV -e TASK_QUEUE_ENABLE=1 -e HCCL_BUFFSIZE=512 \\\n"
		"    -e VLLM_ASCEND_ENABLE_FLASHCOMM1=1 -e ACL_OP_INIT_MODE=1 \\\n"
		"    -e PYTORCH_NPU_ALLOC_CONF=expandable_segments:True -e HCCL_CONNECT_TIMEOUT=7200 \\\n"
		"    -e ASCEND_CONNECT_TIMEOUT=10000 -e VLLM_RPC_TIMEOUT=1800000 \\\n"
		"    -e LD_PRELOAD=/usr/lib/aarch64-linux-gnu/libjemalloc.so.2 IMAGE\n"
		"  deployment.container_env ({\"NAME\": \"value\"}, null drops one) and\n"
		"  deployment.container_mounts (destinations) change what is expected; timeouts\n"
		"  are minimums. No automatic fix.",
	.probes_doc = "docker inspect CONTAINER (JSON: State, Config.Image/Env, HostConfig.NetworkMode, "
		      "ShmSize, Devices, Binds, Mounts); docker exec CONTAINER ls -dL PATH... for the "
		      "LD_PRELOAD entries (each checked: absolute, plain characters, no ..)",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = ct_probes,
	.evaluate = ct_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
