/* host-mem: before deploy, the host memory available (/proc/meminfo
 * MemAvailable) holds the node's share of the weights while they load.
 *
 * The node's share is the safetensors size of deployment.model_dir divided by
 * the number of nodes (every rank loads its slice through host memory) times
 * host_mem_factor; workers killed while loading, MEMCG OOM with large shmem
 * (vllm#57469, vllm-ascend#4013, #12839) are what happens when it does not
 * fit. In --phase live the model is loaded: nothing to judge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define P_MEMINFO "meminfo"
#define P_FILES "model-files" /* the model check's listing: the same probe */
#define MAX_FILES 20000
#define GIB 1073741824.0

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "the host memory available holds the node's share of the weights")       \
	F(HOST_MEM_SHORT, FAIL, "MemAvailable is below the node's share of the weights")      \
	F(LOADED, SKIP, "--phase live: the model is loaded, nothing to judge")               \
	F(PROBE_FAILED, ERROR, "/proc/meminfo or the model listing could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"host_mem_factor", 1.0, "host memory needed per byte of the node's share of the weights"},
	{NULL, 0, NULL},
};

/* The model folder when it is safe in a command (as the model check takes it), else NULL. */
static const char *model_dir(const struct v4_ctx *ctx)
{
	const char *d = v4_cfg_str(ctx->cfg, "deployment.model_dir", NULL);
	size_t n = d ? strlen(d) : 0;
	if (!n || d[0] != '/' || n > 256 || strstr(d, "/.."))
		return NULL;
	return strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+,:@=-") == n ? d : NULL;
}

/* Bytes of the *.safetensors files in the listing ("NAME SIZE" lines); -1 none. */
static double weights(const char *out)
{
	double sum = -1;
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *sp = strchr(l, ' '), *nl = strchr(l, '\n');
		if (!sp || (nl && sp > nl) || sp - l < 12 || strncmp(sp - 12, ".safetensors", 12) != 0)
			continue;
		sum = (sum < 0 ? 0 : sum) + strtod(sp + 1, NULL);
	}
	return sum;
}

/* MemAvailable in bytes from /proc/meminfo ("MemAvailable:   24009396 kB"); -1 when absent. */
static double mem_available(const struct v4_fact *f)
{
	struct v4_kvs kv = {0};
	char *err = NULL;
	double v = -1;
	if (v4_parse_npusmi_kv(f->out, f->out_len, &kv, &err) == 0 && v4_kv_get(&kv, "MemAvailable")) {
		char *end;
		double x = strtod(v4_kv_get(&kv, "MemAvailable"), &end);
		if (end != v4_kv_get(&kv, "MemAvailable") && strncmp(end, " kB", 3) == 0)
			v = x * 1024;
	}
	v4_kvs_free(&kv);
	free(err);
	return v;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	char *why = NULL;
	if (h->ctx->phase == V4_PHASE_LIVE) {
		v4_say(h, LOADED, NULL, "--phase live: the model is loaded; host memory for loading is "
					"judged before deploy");
		return;
	}
	if (!model_dir(h->ctx)) {
		v4_say_unchecked(h, "deployment.model_dir is not set or not a plain absolute path");
		return;
	}
	const struct v4_fact *m = v4_fact_ok(n, P_MEMINFO, 0, &why), *f = NULL;
	double avail = m ? mem_available(m) : -1, w = -1;
	if (m && avail < 0)
		why = xstrdup("no MemAvailable line in kB in /proc/meminfo");
	if (!why && (f = v4_fact_ok(n, P_FILES, 0, &why)) && (w = weights(f->out)) < 0)
		why = xstrdup("no *.safetensors file in deployment.model_dir");
	if (why) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	size_t nodes = h->ctx->cfg->nnodes ? h->ctx->cfg->nnodes : 1;
	double factor = v4_param(h->ctx, h->check, "host_mem_factor"), need = w / (double)nodes * factor;
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "mem_available_gib", avail / GIB);
	cJSON_AddNumberToObject(ev, "weights_gib", w / GIB);
	cJSON_AddNumberToObject(ev, "nodes", (double)nodes);
	cJSON_AddNumberToObject(ev, "need_gib", need / GIB);
	if (avail < need)
		v4_say(h, HOST_MEM_SHORT, ev,
		       "%.1f GiB available, the node's share of the weights needs %.1f GiB (%.1f GiB / %zu "
		       "nodes x %.2f, checks.host-mem.host_mem_factor): loading workers get OOM-killed "
		       "(vllm-ascend#4013): free host memory (page cache is counted as available) before "
		       "deploying", avail / GIB, need / GIB, w / GIB, nodes, factor);
	else
		v4_say(h, OK, ev, "%.1f GiB available for the node's %.1f GiB share of the weights (%.1f GiB / %zu nodes)",
		       avail / GIB, need / GIB, w / GIB, nodes);
}

/* /proc/meminfo and the model listing (the model check's probe). */
static void host_mem_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			    struct v4_probes *ps)
{
	(void)c, (void)n;
	const char *d = model_dir(ctx);
	if (ctx->phase == V4_PHASE_LIVE)
		return;
	v4_probe_add(ps, P_MEMINFO, -1, 0, "cat /proc/meminfo");
	if (d)
		v4_probe_add(ps, P_FILES, -1, 0,
			     "[ -d '%s' ] || { echo 'no such directory' >&2; exit 3; }; cd '%s' && find . "
			     "-maxdepth 2 -type f -printf '%%P %%s\\n' | LC_ALL=C sort | head -n %d",
			     d, d, MAX_FILES + 1);
}

const struct v4_check v4_check_host_mem = {
	.id = "host-mem",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 100,
	.title = "Host memory available for loading the node's share of the weights (before deploy)",
	.explain =
		"Symptom: while vllm serve loads, workers are killed (MEMCG OOM, large shmem-rss)\n"
		"  on one node, or the node stalls in swap (vllm#57469, vllm-ascend#4013, #12839).\n"
		"Cause: the host memory available is below what the node's ranks read through\n"
		"  host memory while loading their slices of the weights.\n"
		"Rule: MemAvailable of /proc/meminfo at least the *.safetensors size of\n"
		"  deployment.model_dir divided by the number of configured nodes, times\n"
		"  host_mem_factor (1.0: each byte of the node's share passes through host memory\n"
		"  once; raise it when the loader keeps more buffers). Before deploy only; in\n"
		"  --phase live the model is loaded.\n"
		"Fix: stop what holds host memory on that node (other jobs, a tmpfs), or add nodes.",
	.probes_doc = "cat /proc/meminfo; the model folder's file listing (as the model check)",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = host_mem_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
