/* npu-sharing: no other running container holds the deployment's NPUs, and
 * ASCEND_RT_VISIBLE_DEVICES names only devices the serving container has.
 *
 * An NPU mapped into two containers fails the second user at set_device
 * ("dcmi module initialize failed. ret is -8005", drvErr=87: vllm-ascend#2698,
 * the maintainers: -8005 usually means the NPU is occupied by another
 * container); ASCEND_RT_VISIBLE_DEVICES counts the container's own devices
 * from 0 ("ASCEND_RT_VISIBLE_DEVICES:[4] error, input data range[0-2)"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve_source.h"

#define P_CONTAINERS "docker-running"
#define MAX_NPU 64

#define FINDINGS(F)                                                                              \
	F(OK, PASS, "the deployment's NPUs are its own; ASCEND_RT_VISIBLE_DEVICES within them")  \
	F(NPU_SHARED, FAIL, "another running container has one of the deployment's NPUs")        \
	F(VISIBLE_DEVICES_BAD, FAIL,                                                             \
	  "ASCEND_RT_VISIBLE_DEVICES names a device the container does not have")                \
	F(CONTAINER_NOT_RUNNING, SKIP, "the deployment's container is not running (see container)") \
	F(PROBE_FAILED, ERROR, "docker ps / docker inspect could not be run or read")
V4_FINDINGS(FINDINGS);

/* The NPU ids a container has: --device /dev/davinciN and, with the Ascend
 * docker runtime, ASCEND_VISIBLE_DEVICES; all of them when privileged. */
struct npuset {
	char has[MAX_NPU];
	int all; /* privileged: every device of the host */
	int n;
};

/* The value of K in a Config.Env array, or NULL. */
static const char *env_of(const cJSON *c, const char *k)
{
	const cJSON *x;
	size_t kl = strlen(k);
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "Config"), "Env"))
		if (cJSON_IsString(x) && strncmp(x->valuestring, k, kl) == 0 && x->valuestring[kl] == '=')
			return x->valuestring + kl + 1;
	return NULL;
}

/* Parses "0-3,6" into ids (each < MAX_NPU); -1 when it is not such a list. */
static int id_ranges(const char *s, int *ids, int max)
{
	int n = 0;
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s || a < 0 || a >= MAX_NPU)
			return -1;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= MAX_NPU)
				return -1;
			s = end;
		}
		for (long i = a; i <= b && n < max; i++)
			ids[n++] = (int)i;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return n;
}

/* The NPUs of one inspected container. */
static void npus_of(const cJSON *c, struct npuset *set)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(c, "HostConfig"), *d;
	const char *av = env_of(c, "ASCEND_VISIBLE_DEVICES");
	int ids[MAX_NPU], k;
	memset(set, 0, sizeof *set);
	set->all = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Privileged"));
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(hc, "Devices")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "PathOnHost");
		const char *s = cJSON_IsString(p) ? p->valuestring : "";
		char *end;
		long v;
		if (strncmp(s, "/dev/davinci", 12) == 0 && s[12] >= '0' && s[12] <= '9' &&
		    (v = strtol(s + 12, &end, 10)) < MAX_NPU && !*end)
			set->has[v] = 1;
	}
	if (av && (k = id_ranges(av, ids, MAX_NPU)) > 0)
		for (int i = 0; i < k; i++)
			set->has[ids[i]] = 1;
	for (int i = 0; i < MAX_NPU; i++)
		set->n += set->has[i];
}

/* "2,3" of the NPUs both sets have (ours never "all"); empty when none. */
static void shared(const struct npuset *ours, const struct npuset *o, struct sbuf *sb)
{
	int ids[MAX_NPU], n = 0;
	for (int i = 0; i < MAX_NPU; i++)
		if (ours->has[i] && (o->all || o->has[i]))
			ids[n++] = i;
	if (n) {
		char *s = id_list(ids, (size_t)n);
		sbuf_printf(sb, "%s", s);
		free(s);
	}
}

/* The container's name without the leading '/'. */
static const char *name_of(const cJSON *c)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "Name");
	const char *s = cJSON_IsString(n) ? n->valuestring : "?";
	return *s == '/' ? s + 1 : s;
}

/* Reports every other container that has one of our NPUs; returns how many. */
static int judge_others(const struct v4_rep *h, const cJSON *all, const cJSON *ours,
			const struct npuset *mine)
{
	const cJSON *c;
	int bad = 0;
	cJSON_ArrayForEach(c, all) {
		struct npuset o;
		struct sbuf sb = {0};
		if (c == ours || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
					 cJSON_GetObjectItemCaseSensitive(c, "State"), "Running")))
			continue;
		npus_of(c, &o);
		shared(mine, &o, &sb);
		if (sb.len) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "Id");
			const cJSON *img = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(c, "Config"), "Image");
			cJSON *ev = cJSON_CreateObject();
			cJSON_AddStringToObject(ev, "container", name_of(c));
			cJSON_AddStringToObject(ev, "id", cJSON_IsString(id) ? id->valuestring : "?");
			cJSON_AddStringToObject(ev, "image", cJSON_IsString(img) ? img->valuestring : "?");
			cJSON_AddStringToObject(ev, "npus", sb.s);
			cJSON_AddBoolToObject(ev, "privileged", o.all);
			v4_say(h, NPU_SHARED, ev,
			       "container %s (%.12s, %s) also has NPU %s%s: the second to open an NPU fails "
			       "(dcmi -8005, drvErr 87; vllm-ascend#2698); stop it or give it other NPUs",
			       name_of(c), cJSON_IsString(id) ? id->valuestring : "?",
			       cJSON_IsString(img) ? img->valuestring : "?", sb.s,
			       o.all ? " (privileged: it sees every device)" : "");
			bad++;
		}
		sbuf_free(&sb);
	}
	return bad;
}

/* Judges one ASCEND_RT_VISIBLE_DEVICES value against n devices; 1 when bad. */
static int judge_visible(const struct v4_rep *h, const char *v, const char *where, int n)
{
	int ids[MAX_NPU], k = id_ranges(v, ids, MAX_NPU), bad = k <= 0;
	for (int i = 0; i < k && !bad; i++)
		bad = ids[i] >= n;
	if (!bad)
		return 0;
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "ASCEND_RT_VISIBLE_DEVICES", v);
	cJSON_AddStringToObject(ev, "where", where);
	cJSON_AddNumberToObject(ev, "devices", n);
	v4_say(h, VISIBLE_DEVICES_BAD, ev,
	       "ASCEND_RT_VISIBLE_DEVICES=%s (in %s) but the container has %d NPU%s, numbered 0-%d "
	       "inside it: torch_npu fails with \"ASCEND_RT_VISIBLE_DEVICES:[...] error, input data "
	       "range[0-%d)\"", v, where, n, n == 1 ? "" : "s", n - 1, n);
	return 1;
}

/* ASCEND_RT_VISIBLE_DEVICES of the container and of the serve command. */
static int judge_visibles(const struct v4_rep *h, const struct v4_node *n, const cJSON *ours, int nd)
{
	const char *cv = env_of(ours, "ASCEND_RT_VISIBLE_DEVICES");
	int bad = cv ? judge_visible(h, cv, "the container's Config.Env", nd) : 0;
	struct serve_cmd cmd;
	int fp;
	char *why = NULL;
	if (node_serve(n, h->ctx, &cmd, &fp, &why) == 0) {
		const char *sv = serve_env(&cmd, "ASCEND_RT_VISIBLE_DEVICES");
		if (sv && (!cv || strcmp(sv, cv) != 0))
			bad += judge_visible(h, sv, fp ? "the running vLLM's environment" : "deployment.serve_command", nd);
	}
	serve_free(&cmd);
	free(why);
	return bad;
}

/* The inspected running containers (one JSON array), or NULL with *why. */
static cJSON *read_containers(const struct v4_node *n, char **why)
{
	const struct v4_fact *f = v4_fact_ok(n, P_CONTAINERS, 0, why);
	if (!f)
		return NULL;
	if (f->out_len == strspn(f->out, " \t\r\n"))
		return cJSON_CreateArray(); /* nothing running */
	cJSON *a = cJSON_ParseWithLength(f->out, f->out_len);
	if (!cJSON_IsArray(a)) {
		cJSON_Delete(a);
		*why = xasprintf("%s: output is not one JSON array of containers", f->cmd);
		return NULL;
	}
	return a;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	char *why = NULL;
	const char *ct = v4_cfg_str(h->ctx->cfg, "deployment.container", "vllm");
	cJSON *all = read_containers(n, &why), *c, *ours = NULL;
	if (!all) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	cJSON_ArrayForEach(c, all)
		if (strcmp(name_of(c), ct) == 0)
			ours = c;
	if (!ours) {
		v4_say(h, CONTAINER_NOT_RUNNING, NULL,
		       "container %s is not running: nothing to compare (the container check says why)", ct);
	} else {
		struct npuset mine;
		npus_of(ours, &mine);
		int bad = judge_others(h, all, ours, &mine) + judge_visibles(h, n, ours, mine.n);
		if (!bad) {
			int ids[MAX_NPU], k = 0;
			for (int i = 0; i < MAX_NPU; i++)
				if (mine.has[i])
					ids[k++] = i;
			char *l = id_list(ids, (size_t)k);
			cJSON *ev = cJSON_CreateObject();
			cJSON_AddStringToObject(ev, "npus", l);
			cJSON_AddNumberToObject(ev, "running_containers", cJSON_GetArraySize(all));
			v4_say(h, OK, ev, "NPU %s are %s's alone (%d running container%s)", l, ct,
			       cJSON_GetArraySize(all), cJSON_GetArraySize(all) == 1 ? "" : "s");
			free(l);
		}
	}
	cJSON_Delete(all);
}

/* Every running container inspected, and the serve command's probes. */
static void sharing_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			   struct v4_probes *ps)
{
	(void)c;
	serve_probes(n, ctx, ps);
	v4_probe_add(ps, P_CONTAINERS, -1, 0, "docker ps -q | xargs -r docker inspect");
}

const struct v4_check v4_check_npu_sharing = {
	.id = "npu-sharing",
	.tier = V4_TIER_QUICK,
	.cost_ms = 200,
	.title = "No other running container holds the deployment's NPUs; ASCEND_RT_VISIBLE_DEVICES fits",
	.explain =
		"Symptom: vllm serve dies at NPU set-up on one node: \"dcmi module initialize failed.\n"
		"  ret is -8005\", drvErr=87 / halGetDeviceInfo ret 87, \"Set visible device failed,\n"
		"  invalid device\", or \"ASCEND_RT_VISIBLE_DEVICES:[4] error, input data range[0-2)\".\n"
		"Cause: another running container (an old instance, a test job) has the same\n"
		"  /dev/davinciN (--device, ASCEND_VISIBLE_DEVICES of the Ascend docker runtime, or\n"
		"  --privileged, which sees every device); the maintainers say -8005 usually means\n"
		"  the NPU is occupied by another container (vllm-ascend#2698; also #248, #2542,\n"
		"  gpustack#3352). Or ASCEND_RT_VISIBLE_DEVICES names a device the container does\n"
		"  not have: inside the container its devices are numbered from 0.\n"
		"How: docker inspect of every running container (docker ps -q), the NPUs of each\n"
		"  compared with the deployment container's; ASCEND_RT_VISIBLE_DEVICES of the\n"
		"  container and of the serve command against the number of NPUs it has.\n"
		"Fix: stop the other container (docker stop NAME) or re-create it with other\n"
		"  devices; set ASCEND_RT_VISIBLE_DEVICES to ids below the container's NPU count,\n"
		"  or leave it unset.",
	.probes_doc = "docker ps -q | xargs -r docker inspect (every running container); " SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = sharing_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
