/* limits: open-files and locked-memory limits of the serving processes and
 * of the container (docker run --ulimit) high enough for a TP8 engine.
 *
 * A TP8 engine with nofile 1024 dies with "Too many open files" (pytorch#137695,
 * vllm#7920); a 64 KB memlock breaks pinned host memory (vllm#13354). vLLM
 * raises its own soft open-files limit to 65535 at start when the hard limit
 * allows (vllm/utils set_ulimit), so the hard limit is what the container
 * must give. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "proclimits.h"
#include "serve_source.h"

#define P_INSPECT "docker-inspect"
#define MIB 1048576.0

#define FINDINGS(F)                                                                                 \
	F(OK, PASS, "open files and locked memory are high enough")                                 \
	F(NOFILE_LOW, FAIL, "a running vLLM process may open fewer files than nofile_min")          \
	F(MEMLOCK_LOW, WARN, "a running vLLM process may lock less memory than memlock_min_mb")     \
	F(CONTAINER_ULIMIT_LOW, FAIL,                                                               \
	  "the container's --ulimit nofile hard limit is below nofile_min (vLLM cannot raise it)") \
	F(CONTAINER_MEMLOCK_LOW, WARN, "the container's --ulimit memlock is below memlock_min_mb")  \
	F(PROBE_FAILED, ERROR, "/proc/PID/limits or docker inspect could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"nofile_min", 65535, "lowest open-files limit (vLLM raises its soft limit to 65535)"},
	{"memlock_min_mb", 0, "lowest locked-memory limit, MiB (unlimited always passes); 0: not judged (the reference deployment runs with docker's default)"},
	{NULL, 0, NULL},
};

/* "unlimited" or the number (in MiB for bytes when mib). */
static void fmt_limit(char *buf, size_t n, long long v, int mib)
{
	if (v == LIMITS_UNLIMITED)
		snprintf(buf, n, "unlimited");
	else if (mib)
		snprintf(buf, n, "%.0f MiB", (double)v / MIB);
	else
		snprintf(buf, n, "%lld", v);
}

/* 1 when limit v (bytes when mib) is below min (MiB when mib). */
static int below(long long v, double min, int mib)
{
	return v != LIMITS_UNLIMITED && (mib ? (double)v / MIB : (double)v) < min;
}

/* The processes found below a minimum, for one finding each. */
struct lows {
	struct sbuf nofile, memlock; /* "title (pid N)" lists */
	cJSON *nev, *mev;            /* per-pid values */
	char nval[80], mval[32];     /* the first one's limits in words */
};

/* Reads one process's limits fact into lw; returns 1 when it could not be read. */
static int judge_proc(const struct v4_rep *h, const struct v4_node *n, const struct serve_proc *p,
		      struct lows *lw)
{
	char id[64], *why = NULL, *err = NULL, a[32], b[32];
	struct proc_limits l;
	snprintf(id, sizeof id, "limits.%ld", p->pid);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (!f || proc_limits_parse(f->out, f->out_len, &l, &err)) {
		v4_say(h, PROBE_FAILED, NULL, "could not check /proc/%ld/limits: %s", p->pid, why ? why : err);
		free(why), free(err);
		return 1;
	}
	double nmin = v4_param(h->ctx, h->check, "nofile_min"), mmin = v4_param(h->ctx, h->check, "memlock_min_mb");
	const char *t = p->title ? p->title : "process";
	snprintf(id, sizeof id, "%ld", p->pid);
	if (below(l.nofile_soft, nmin, 0)) {
		fmt_limit(a, sizeof a, l.nofile_soft, 0), fmt_limit(b, sizeof b, l.nofile_hard, 0);
		if (!lw->nofile.len)
			snprintf(lw->nval, sizeof lw->nval, "%s files (hard %s)", a, b);
		sbuf_printf(&lw->nofile, "%s%s (pid %ld)", lw->nofile.len ? ", " : "", t, p->pid);
		cJSON *o = cJSON_AddObjectToObject(lw->nev, id);
		cJSON_AddNumberToObject(o, "soft", (double)l.nofile_soft);
		cJSON_AddNumberToObject(o, "hard", (double)l.nofile_hard);
	}
	if (mmin > 0 && below(l.memlock_soft, mmin, 1)) {
		fmt_limit(a, sizeof a, l.memlock_soft, 1);
		if (!lw->memlock.len)
			snprintf(lw->mval, sizeof lw->mval, "%s", a);
		sbuf_printf(&lw->memlock, "%s%s (pid %ld)", lw->memlock.len ? ", " : "", t, p->pid);
		cJSON_AddNumberToObject(lw->mev, id, (double)l.memlock_soft);
	}
	return 0;
}

/* One finding for the processes below each minimum; returns findings. */
static int report_lows(const struct v4_rep *h, struct lows *lw)
{
	int bad = 0;
	if (lw->nofile.len && ++bad)
		v4_say(h, NOFILE_LOW, take_json(&lw->nev),
		       "%s may open %s, below %.0f: a TP8 engine runs out (\"Too many open files\", "
		       "pytorch#137695): docker run --ulimit nofile=65535:65535", lw->nofile.s, lw->nval,
		       v4_param(h->ctx, h->check, "nofile_min"));
	if (lw->memlock.len && ++bad)
		v4_say(h, MEMLOCK_LOW, take_json(&lw->mev),
		       "%s may lock %s, below %.0f MiB: pinned host buffers fail to register "
		       "(vllm#13354): docker run --ulimit memlock=-1", lw->memlock.s, lw->mval,
		       v4_param(h->ctx, h->check, "memlock_min_mb"));
	return bad;
}

/* The container's HostConfig.Ulimits entry name: 1 with soft and hard, 0 when unset. */
static int ulimit_of(const cJSON *insp, const char *name, long long *soft, long long *hard)
{
	const cJSON *u;
	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(insp, "HostConfig"), "Ulimits")) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(u, "Name");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(u, "Soft"), *hd = cJSON_GetObjectItemCaseSensitive(u, "Hard");
		if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0 && cJSON_IsNumber(s) && cJSON_IsNumber(hd)) {
			*soft = s->valuedouble < 0 ? LIMITS_UNLIMITED : (long long)s->valuedouble;
			*hard = hd->valuedouble < 0 ? LIMITS_UNLIMITED : (long long)hd->valuedouble;
			return 1;
		}
	}
	return 0;
}

/* Judges the container's --ulimit settings; -1 when docker inspect is unreadable. */
static int judge_container(const struct v4_rep *h, const struct v4_node *n, int *nset)
{
	char *why = NULL, a[32];
	const struct v4_fact *f = v4_fact_ok(n, P_INSPECT, 0, &why);
	cJSON *arr = f ? cJSON_ParseWithLength(f->out, f->out_len) : NULL, *insp = cJSON_GetArrayItem(arr, 0);
	long long s, hd;
	int bad = 0;
	if (!cJSON_IsObject(insp)) {
		v4_say(h, PROBE_FAILED, NULL, "could not check: %s", why ? why : "docker inspect printed no container object");
		free(why);
		cJSON_Delete(arr);
		return -1;
	}
	double nmin = v4_param(h->ctx, h->check, "nofile_min"), mmin = v4_param(h->ctx, h->check, "memlock_min_mb");
	if (ulimit_of(insp, "nofile", &s, &hd) && ++*nset && below(hd, nmin, 0) && ++bad) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "soft", (double)s);
		cJSON_AddNumberToObject(ev, "hard", (double)hd);
		v4_say(h, CONTAINER_ULIMIT_LOW, ev,
		       "the container runs with --ulimit nofile=%lld:%lld: below %.0f, and vLLM cannot raise "
		       "its limit past the hard one (\"Too many open files\" under TP8, pytorch#137695): "
		       "re-create it with --ulimit nofile=65535:65535", s, hd, nmin);
	}
	if (ulimit_of(insp, "memlock", &s, &hd) && ++*nset && mmin > 0 && below(s, mmin, 1) && ++bad) {
		fmt_limit(a, sizeof a, s, 1);
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "soft", (double)s);
		v4_say(h, CONTAINER_MEMLOCK_LOW, ev,
		       "the container runs with --ulimit memlock of %s: below %.0f MiB (vllm#13354): "
		       "re-create it with --ulimit memlock=-1", a, mmin);
	}
	cJSON_Delete(arr);
	return bad;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_procs procs = {0};
	char *why = NULL;
	int nset = 0, bad = judge_container(h, n, &nset);
	if (bad < 0)
		return;
	int running = node_serve_procs(n, &procs, &why) == 0;
	struct lows lw = {.nev = cJSON_CreateObject(), .mev = cJSON_CreateObject()};
	for (size_t i = 0; running && i < procs.n; i++)
		bad += judge_proc(h, n, &procs.v[i], &lw);
	bad += report_lows(h, &lw);
	sbuf_free(&lw.nofile);
	sbuf_free(&lw.memlock);
	cJSON_Delete(lw.nev);
	cJSON_Delete(lw.mev);
	if (!bad) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddNumberToObject(ev, "processes", running ? (double)procs.n : 0);
		v4_say(h, OK, ev, "%s; %s",
		       running ? "the running vLLM processes may open and lock enough" : "no running vLLM",
		       nset ? "the container's --ulimit values are high enough"
			    : "the container sets no --ulimit (docker's defaults)");
	}
	serve_procs_free(&procs);
	free(why);
}

/* docker inspect, the serve processes and their /proc/PID/limits. */
static void limits_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			  struct v4_probes *ps)
{
	(void)c;
	const char *ct = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
	struct serve_procs procs = {0};
	char *why = NULL, id[64];
	serve_probes(n, ctx, ps);
	if (word_ok(ct))
		v4_probe_add(ps, P_INSPECT, -1, 0, "docker inspect %s", ct);
	if (node_serve_procs(n, &procs, &why) == 0)
		for (size_t i = 0; i < procs.n; i++) {
			snprintf(id, sizeof id, "limits.%ld", procs.v[i].pid);
			v4_probe_add(ps, id, -1, 0, "cat /proc/%ld/limits", procs.v[i].pid);
		}
	serve_procs_free(&procs);
	free(why);
}

const struct v4_check v4_check_limits = {
	.id = "limits",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 150,
	.title = "Open files and locked memory of the vLLM processes and the container (--ulimit)",
	.explain =
		"Symptom: under load a TP8 engine dies with \"Too many open files\" (ZMQError,\n"
		"  pthread_create failed), or registering pinned host memory fails.\n"
		"Cause: the container runs with a low open-files or locked-memory limit: nofile\n"
		"  1024 crashes TP8 (pytorch#137695, vllm#7920), memlock 64 KB breaks pinned host\n"
		"  buffers (vllm#13354). vLLM raises its soft open-files limit to 65535 when the\n"
		"  hard limit allows (vllm/utils set_ulimit), so the hard limit is what counts.\n"
		"How: Max open files and Max locked memory of /proc/PID/limits for the running API\n"
		"  server, engine cores and workers; HostConfig.Ulimits of docker inspect (null:\n"
		"  the container takes docker's defaults, judged through the running processes).\n"
		"  Minimums: nofile_min (65535) and memlock_min_mb (65536 MiB; unlimited passes).\n"
		"Fix: re-create the container with --ulimit nofile=65535:65535 --ulimit memlock=-1.",
	.probes_doc = "docker inspect CONTAINER (HostConfig.Ulimits); cat /proc/PID/limits of the running "
		      "vLLM processes; " SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = limits_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
