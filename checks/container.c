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
#include "netcfg.h"
#include "knowledge.h"
#include "serve_source.h"

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
	F(CONTAINER_ENV_MISSING, FAIL, "a docker run variable of the deployment is not in the vLLM "      \
	  "processes' environment (running), nor in docker run -e or the serve script's exports")          \
	F(CONTAINER_ENV_WRONG, FAIL, "a deployment environment variable has another value (timeouts: "      \
	  "lower)")                                                                                         \
	F(PRELOAD_MISSING, FAIL, "LD_PRELOAD names a library that does not exist in the container")         \
	F(PRELOAD_UNSET, WARN, "the vLLM processes get no LD_PRELOAD (the image sets jemalloc's only in "    \
	  "~/.bashrc, which docker exec and docker run commands do not read)")                          \
	F(CONTAINER_CONFIG_INVALID, ERROR, "deployment.container or deployment.container_env is malformed") \
	F(PROBE_FAILED, ERROR, "docker inspect could not be run or read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"shm_gb", 1500, "smallest accepted --shm-size in GiB (the deployment uses 1500g)"},
	{NULL, 0, NULL},
};

/* The environment the deployment's docker run gives (its five -e variables;
 * the notes export the others in the shell before vllm serve, and each of
 * those is judged by the check it concerns: HCCL_CONNECT_TIMEOUT by
 * init-timeout, the interface variables by netif; ASCEND_CONNECT_TIMEOUT and
 * VLLM_RPC_TIMEOUT are read by nothing at v0.21.0rc1 and not judged). Each is
 * judged where it takes effect: the running vLLM processes' environment, else
 * docker run's -e under the serve script's exports. Timeouts are minimums.
 * deployment.container_env overrides or adds names; null drops one. */
static const char *const default_env[][2] = {
	{"HCCL_OP_EXPANSION_MODE", "AIV"},
	{"TASK_QUEUE_ENABLE", "1"},
	{"HCCL_BUFFSIZE", "512"},
	{"VLLM_ASCEND_ENABLE_FLASHCOMM1", "1"},
	{"PYTORCH_NPU_ALLOC_CONF", "expandable_segments:True"},
};

/* Where a variable's value is read: the processes, else the container's
 * Config.Env under the serve script's exports, else Config.Env alone. */
struct ctenv {
	const cJSON *insp;
	struct serve_cmd cmd;
	int have_cmd, from_process;
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

/* The container's inspect object from the fact; NULL with *why (caller frees)
 * or *absent set when docker says there is no such container. */
static cJSON *read_inspect(const struct v4_node *n, int *absent, char **why)
{
	const struct v4_fact *f = v4_fact(n, P_INSPECT);
	char *err = NULL;
	*absent = 0;
	*why = NULL;
	if (f && f->state == V4_FACT_OK && f->exit_code != 0 && v4_docker_no_such(f->err)) {
		*absent = 1;
		return NULL;
	}
	if (!v4_fact_ok(n, P_INSPECT, 0, why))
		return NULL;
	cJSON *o = v4_parse_docker_inspect(f->out, f->out_len, &err);
	if (!o)
		*why = xasprintf("%s: %s", f->cmd, err);
	free(err);
	return o;
}

/* A Config.Env value, or NULL. */
static const char *env_get(const cJSON *insp, const char *k)
{
	return v4_docker_env(insp, k);
}

/* The node's environment view; -1 while the running server's environment
 * has not been read yet (probing is not done). */
static int ctenv_read(const struct v4_node *n, const struct v4_ctx *ctx, const cJSON *insp,
		      struct ctenv *ce)
{
	char *why = NULL;
	memset(ce, 0, sizeof *ce);
	ce->insp = insp;
	ce->have_cmd = node_serve(n, ctx, &ce->cmd, &ce->from_process, &why) == 0;
	free(why);
	if (ce->have_cmd && ce->from_process && !ce->cmd.nenv) {
		serve_free(&ce->cmd);
		return -1;
	}
	return 0;
}

/* A variable's value as the vLLM processes get it, or NULL. */
static const char *ctenv_get(const struct ctenv *ce, const char *k)
{
	if (ce->have_cmd)
		return serve_env(&ce->cmd, k);
	return env_get(ce->insp, k);
}

/* Where ctenv_get read, for messages. */
static const char *ctenv_where(const struct ctenv *ce)
{
	return ce->from_process ? "the running vLLM processes' environment"
	       : ce->have_cmd	 ? "docker run -e and the serve script's exports"
				 : "the container's environment (docker run -e)";
}

static void ctenv_free(struct ctenv *ce)
{
	if (ce->have_cmd)
		serve_free(&ce->cmd);
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
	want_inspect(ps, ct);
	serve_probes(n, ctx, ps);
	cJSON *insp = read_inspect(n, &absent, &why);
	struct ctenv ce;
	size_t np = 0;
	if (insp && v4_fact(n, P_PROCS) && ctenv_read(n, ctx, insp, &ce) == 0) {
		np = v4_preload_paths(ctenv_get(&ce, "LD_PRELOAD"), paths, MAX_PRELOAD);
		ctenv_free(&ce);
	}
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
static void judge_var(const struct v4_rep *h, const struct ctenv *ce, const char *name, const char *want,
		      int *bad)
{
	const char *v = ctenv_get(ce, name);
	char *end = NULL;
	if (!v) {
		v4_say(h, CONTAINER_ENV_MISSING, NULL, "%s is not set in %s (-e %s=%s)", name,
		       ctenv_where(ce), name, strcmp(want, "*") ? want : "...");
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
	v4_say(h, CONTAINER_ENV_WRONG, NULL, "%s=%s in %s, expected %s%s", name, v, ctenv_where(ce),
	       is_timeout(name) ? "at least " : "", want);
	*bad = 1;
}

/* The expected environment: defaults, then deployment.container_env. -1 when
 * that is not an object of strings / nulls. */
static int judge_env(const struct v4_rep *h, const struct ctenv *ce, int *bad)
{
	const cJSON *ov = v4_cfg_get(h->ctx->cfg, "deployment.container_env"), *x;
	if (ov && !cJSON_IsObject(ov))
		return -1;
	cJSON_ArrayForEach(x, ov)
		if (!cJSON_IsString(x) && !cJSON_IsNull(x))
			return -1;
	for (size_t i = 0; i < V4_ARRAY_LEN(default_env); i++)
		if (!cJSON_GetObjectItemCaseSensitive(ov, default_env[i][0]))
			judge_var(h, ce, default_env[i][0], default_env[i][1], bad);
	cJSON_ArrayForEach(x, ov)
		if (cJSON_IsString(x))
			judge_var(h, ce, x->string, x->valuestring, bad);
	return 0;
}

/* LD_PRELOAD's files exist in the container (the ls -dL fact). */
static void judge_preload(const struct v4_rep *h, const struct v4_node *n, const struct ctenv *ce,
			  int *bad)
{
	char paths[MAX_PRELOAD][256], *why = NULL;
	const char *v = ctenv_get(ce, "LD_PRELOAD");
	size_t np = v4_preload_paths(v, paths, MAX_PRELOAD);
	if (!v && (ce->have_cmd || !cJSON_GetObjectItemCaseSensitive(
						  v4_cfg_get(h->ctx->cfg, "deployment.container_env"), "LD_PRELOAD"))) {
		v4_say(h, PRELOAD_UNSET, NULL,
		       "no LD_PRELOAD in %s: the image sets jemalloc's LD_PRELOAD only in ~/.bashrc "
		       "(%s), which a docker exec shell or docker run command does not read; export it "
		       "before vllm serve", ctenv_where(ce), kn_src(kn_table("v0.21.0rc1"), "env", "LD_PRELOAD"));
		*bad = 1;
	}
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
	struct ctenv ce;
	if (ctenv_read(n, ctx, insp, &ce) != 0) {
		memset(&ce, 0, sizeof ce);
		ce.insp = insp;
	}
	if (judge_env(h, &ce, &bad))
		v4_say(h, CONTAINER_CONFIG_INVALID, NULL,
		       "deployment.container_env must be an object of strings (null drops a name)");
	else if (!stopped)
		judge_preload(h, n, &ce, &bad);
	ctenv_free(&ce);
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
		"    -e VLLM_ASCEND_ENABLE_FLASHCOMM1=1 \\\n"
		"    -e PYTORCH_NPU_ALLOC_CONF=expandable_segments:True IMAGE\n"
		"  and export the rest in the shell before vllm serve, as the notes do.\n"
		"Where judged: these five variables where they take effect: the environment of\n"
		"  the running vLLM processes (/proc/PID/environ), else docker run's -e under the\n"
		"  serve script's exports; a value the script exports needs no -e. The other\n"
		"  variables the notes export are judged by the check they concern\n"
		"  (HCCL_CONNECT_TIMEOUT: init-timeout; the interface variables: netif);\n"
		"  ASCEND_CONNECT_TIMEOUT and VLLM_RPC_TIMEOUT are read by nothing at v0.21.0rc1\n"
		"  (https://github.com/vllm-project/vllm/pull/44128) and not judged. LD_PRELOAD:\n"
		"  the image writes jemalloc's only into ~/.bashrc (vllm-project/vllm-ascend@\n"
		"  v0.21.0rc1 Dockerfile:76), which a docker exec shell does not read: WARN when\n"
		"  the processes get none; its files must exist in the container.\n"
		"  deployment.container_env ({\"NAME\": \"value\"}, null drops one) and\n"
		"  deployment.container_mounts (destinations) change what is expected; timeouts\n"
		"  are minimums. No automatic fix.",
	.probes_doc = "docker inspect CONTAINER (JSON: State, Config.Image/Env, HostConfig.NetworkMode, "
		      "ShmSize, Devices, Binds, Mounts); docker exec CONTAINER ls -dL PATH... for the "
		      "LD_PRELOAD entries (each checked: absolute, plain characters, no ..); " SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = ct_probes,
	.evaluate = ct_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
