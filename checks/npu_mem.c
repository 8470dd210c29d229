/* npu-mem: no NPU memory held by processes that are gone.
 *
 * Failure 8 of the reference deployment: after pkill, leftover workers kept
 * about 63 GB on every NPU and the redeploy died with "Free memory on device
 * (2.23/60.96 GiB) on startup is less than desired GPU memory utilization".
 * `docker restart vllm` released it (back to about 3.4 GB per NPU). */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "procinfo.h"

#define FINDINGS(F)                                                                                                   \
	F(OK, PASS, "HBM near the idle baseline, or held by a live vLLM server")                                      \
	F(HBM_HELD_NO_PROCESS, FAIL,                                                                                  \
	  "HBM well above the idle baseline and no live process holds it (none listed, or the listed PIDs are gone)") \
	F(HBM_HELD_ORPHAN, FAIL, "HBM held by vLLM processes whose API server is gone")                               \
	F(HBM_HELD_OTHER, WARN, "HBM held by a live process that is not vLLM")                                        \
	F(VLLM_LEFTOVER, FAIL,                                                                                        \
	  "vLLM engine or worker processes that outlived their API server")                                           \
	F(PROBE_FAILED, ERROR, "npu-smi info or the process list could not be run or read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"idle_mb", 3400, "idle HBM baseline per NPU in MB (64 GB 910B: about 3.4 GB)"},
	{"margin_mb", 2048, "HBM above the baseline that counts as held"},
	{NULL, 0, NULL},
};

static void mem_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	want_npus(n, ps);
	want_procs(ps);
	const char *bad;
	char *base = ctx->fixing ? api_base_url(n, ctx, &bad) : NULL;
	if (base)
		v4_probe_add(ps, P_HEALTH, -1, V4_PROBE_HTTP, "GET %s/health", base);
	free(base);
}

/* What holds an NPU's memory. */
enum holder { H_NONE, H_OTHER, H_ORPHAN, H_SERVING };

/* The process list and its vLLM processes, when readable. */
struct procs {
	struct proc_list l;
	struct vllm_proc *v;
	size_t nv;
	int ok;
	char *why;
};

/* Reads the node's process list. */
static void read_procs(const struct v4_node *n, struct procs *p)
{
	memset(p, 0, sizeof *p);
	const struct v4_fact *f = v4_fact_ok(n, P_PROCS, 0, &p->why);
	char *err = NULL;
	if (f && proc_list_parse(f->out, f->out_len, &p->l, &err) == 0 && p->l.complete) {
		p->nv = proc_find_vllm(&p->l, &p->v);
		p->ok = 1;
	} else if (f) {
		p->why = xasprintf("process list not understood%s%s", err ? ": " : "", err ? err : "");
	}
	free(err);
}

static void free_procs(struct procs *p)
{
	proc_list_free(&p->l);
	free(p->v);
	free(p->why);
}

/* How pid holds memory: gone, another program, an orphaned or a live vLLM. */
static enum holder holder_of(const struct procs *p, long pid)
{
	if (!proc_lookup(&p->l, pid))
		return H_NONE;
	for (size_t i = 0; i < p->nv; i++)
		if (p->v[i].e->pid == pid)
			return p->v[i].orphan ? H_ORPHAN : H_SERVING;
	return H_OTHER;
}

/* The strongest holder of the NPU row u (its NPU id and chip); its rows
 * listed in *pids. */
static enum holder holders(const struct v4_npusmi *s, const struct v4_npu *u, const struct procs *p,
			   struct sbuf *pids)
{
	enum holder h = H_NONE;
	for (size_t i = 0; i < s->nproc; i++) {
		const struct v4_npu_proc *r = &s->procs[i];
		if (r->npu != u->id || r->chip != u->chip)
			continue;
		sbuf_printf(pids, "%s%ld%s%s%s", pids->len ? ", " : "", r->pid, *r->name ? " (" : "",
			    r->name, *r->name ? ")" : "");
		enum holder k = p->ok ? holder_of(p, r->pid) : H_SERVING;
		h = k > h ? k : h;
	}
	return h;
}

/* Evidence for one NPU. */
static cJSON *npu_evidence(const struct v4_npu *u, const char *pids)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "npu", u->id);
	cJSON_AddNumberToObject(e, "chip", u->chip);
	cJSON_AddBoolToObject(e, "processes_known", u->proc_known);
	cJSON_AddNumberToObject(e, "hbm_used_mb", (double)u->hbm_used_mb);
	cJSON_AddNumberToObject(e, "hbm_total_mb", (double)u->hbm_total_mb);
	cJSON_AddStringToObject(e, "holders", pids);
	return e;
}

/* The finding of HBM held, by holder. */
static const int codes[] = {HBM_HELD_NO_PROCESS, HBM_HELD_OTHER, HBM_HELD_ORPHAN, OK};
static const char *const owners[] = {"with no live process", "for processes that are not vLLM",
				     "for vLLM processes whose API server is gone", ""};

/* Judges one NPU row; returns 1 when its memory is held, or when it is above
 * the baseline and its process block was not read whole (unknown: ERROR,
 * never "no process"). */
static int judge_npu(const struct v4_rep *h, const struct v4_npusmi *s, const struct v4_npu *u,
		     const struct procs *p, cJSON *ev)
{
	struct sbuf pids = {0};
	char lab[48];
	sbuf_adds(&pids, "");
	enum holder who = holders(s, u, p, &pids);
	double idle = v4_param(h->ctx, h->check, "idle_mb");
	long limit = (long)(idle + v4_param(h->ctx, h->check, "margin_mb"));
	cJSON *e = npu_evidence(u, pids.s);
	int above = u->has_hbm && u->hbm_used_mb > limit;
	int held = above && who != H_SERVING;
	v4_npu_label(s, u, lab, sizeof lab);
	if (above && !u->proc_known) {
		v4_say(h, PROBE_FAILED, cJSON_Duplicate(e, 1),
		       "%s holds %ld of %ld MB but its holders are unknown: %s", lab, u->hbm_used_mb,
		       u->hbm_total_mb, v4_npusmi_partial(s) ? v4_npusmi_partial(s) : "process block not read");
	} else if (held)
		v4_say(h, codes[who], cJSON_Duplicate(e, 1),
		       "%s holds %ld of %ld MB (idle is about %.0f MB) %s%s%s%s", lab,
		       u->hbm_used_mb, u->hbm_total_mb, idle, owners[who],
		       pids.len ? " (listed: " : "", pids.s, pids.len ? ")" : "");
	held |= above && !u->proc_known;
	cJSON_AddItemToArray(ev, e);
	sbuf_free(&pids);
	return held;
}

/* Names vLLM processes that outlived their API server. */
static void leftovers(const struct v4_rep *h, const struct procs *p)
{
	struct sbuf b = {0};
	size_t k = 0;
	for (size_t i = 0; i < p->nv; i++)
		if (p->v[i].orphan && k++ < 16)
			sbuf_printf(&b, "%s%ld (%s)", b.len ? ", " : "", p->v[i].e->pid, p->v[i].e->comm);
	if (k)
		v4_say(h, VLLM_LEFTOVER, NULL,
		       "%zu vLLM process%s outlived %s API server: %s%s; kill them or docker restart "
		       "the container", k, k == 1 ? "" : "es", k == 1 ? "its" : "their", b.s,
		       k > 16 ? ", ..." : "");
	sbuf_free(&b);
}

/* Gives the first held finding since first the readings of all NPUs (o's
 * "npus"), as the OK result has them (the HTML map and the Prometheus text
 * show each NPU's HBM). Deletes o. */
static void all_npus_to_held(struct v4_results *out, size_t first, cJSON *o)
{
	for (size_t k = first; k < out->n; k++)
		if (cJSON_HasObjectItem(out->v[k].evidence, "hbm_used_mb")) {
			cJSON_AddItemToObject(out->v[k].evidence, "npus", cJSON_DetachItemFromObject(o, "npus"));
			break;
		}
	cJSON_Delete(o);
}

/* Judges one node. */
static void judge(const struct v4_rep *h, const struct v4_node *n)
{
	struct v4_npusmi s;
	struct procs p;
	char *why = NULL;
	if (node_npusmi(n, &s, &why)) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	read_procs(n, &p);
	cJSON *ev = cJSON_CreateArray();
	int held = 0;
	size_t first = h->out->n;
	for (size_t i = 0; i < s.nnpu; i++)
		held |= judge_npu(h, &s, &s.npus[i], &p, ev);
	if (p.ok)
		leftovers(h, &p);
	else
		v4_say(h, PROBE_FAILED, NULL,
		       "holders could not be judged: %s", p.why ? p.why : "process list unreadable");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "npus", ev);
	if (!held && !s.npus_whole)
		v4_say(h, PROBE_FAILED, o, "%s: the NPUs read hold no HBM, the others are unknown",
		       v4_npusmi_partial(&s) ? v4_npusmi_partial(&s) : "npu-smi info not read whole");
	else if (!held)
		v4_say(h, OK, o,
		       "no HBM held without a live vLLM server on %zu NPU%s", s.nnpu,
		       s.two_chip ? " chips" : "s");
	else
		all_npus_to_held(h->out, first, o);
	free_procs(&p);
	v4_npusmi_free(&s);
}

/* Why the node may be serving (restart refused), or NULL when it is not: its
 * API answered /health with 200, or was not asked, or did not answer in time
 * (an overloaded server still serves): never restart on a guess. */
static const char *serving(const struct v4_node *n)
{
	const struct v4_fact *f = v4_fact(n, P_HEALTH);
	if (!f)
		return "the API's /health was not asked: cannot tell whether it is serving";
	if (f->state == V4_FACT_TIMEOUT)
		return "the API did not answer /health in time: it may be serving; stop it first";
	if (f->state == V4_FACT_OK && f->exit_code == 200)
		return "the API on this node answers /health: it is serving; stop it first";
	return NULL;
}

/* 1 when the node has held memory or leftover processes (a FAIL). */
static int needs_restart(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx)
{
	struct v4_results r = {0};
	struct v4_rep h = {c, n->name, ctx, &r};
	int bad = 0;
	judge(&h, n);
	for (size_t k = 0; k < r.n; k++)
		bad |= r.v[k].status == V4_FAIL;
	v4_results_free(&r);
	return bad;
}

/* Plans `docker restart <container>` on nodes with held memory. */
static void mem_fix(const struct v4_check *c, struct v4_node *const *nodes, size_t nn,
		    const struct v4_ctx *ctx, struct v4_fixplan *plan)
{
	const char *ct = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
	const char *why = "NPU memory held by processes that are gone; a restart releases it";
	for (size_t i = 0; i < nn; i++) {
		if (!needs_restart(c, nodes[i], ctx))
			continue;
		if (!word_ok(ct))
			v4_fix_refuse(plan, nodes[i]->name, "the container name is not a plain word",
				      "docker restart <container>");
		else if (serving(nodes[i]))
			v4_fix_refuse(plan, nodes[i]->name, serving(nodes[i]), "docker restart %s", ct);
		else
			v4_fix_add(plan, nodes[i]->name, V4_FIX_DISRUPTIVE, why, "docker restart %s", ct);
	}
}

const struct v4_check v4_check_npu_mem = {
	.id = "npu-mem",
	.tier = V4_TIER_QUICK,
	.cost_ms = 170, /* bench/tiers.sh: alone on one node */
	.title = "No NPU memory held by dead or orphaned workers",
	.explain =
		"Symptom: a redeploy dies at start with \"Free memory on device (2.23/60.96 GiB) on\n"
		"  startup is less than desired GPU memory utilization\", or requests fail with\n"
		"  \"NPU out of memory\" while little is allocated.\n"
		"Cause: after pkill, leftover vLLM workers (or engine cores that outlived their\n"
		"  API server) keep the NPU memory: 63 GB per NPU were not released.\n"
		"Fix: docker restart vllm (keeps sitecustomize.py and the env); memory drops back\n"
		"  to about 3.4 GB per NPU. `v4check npu-mem --fix --yes` does it, and refuses\n"
		"  while the node's API still answers. An NPU above its baseline whose process\n"
		"  block in npu-smi info is cut or missing has unknown holders: ERROR, no\n"
		"  restart. On two-die parts each chip is judged with its own process rows.",
	.probes_doc = "npu-smi info (HBM used/total per NPU and its process table); a /proc walk "
		      "listing pid, ppid, state, name and command line of every process; GET "
		      "http://HOST:PORT/health from the controller (only to refuse the fix while "
		      "serving)",
	.fix_doc = "docker restart CONTAINER (disruptive: needs --fix --yes; refused while the "
		   "node's API answers /health)",
	.findings = findings,
	.params = params,
	.probes = mem_probes,
	.evaluate_node = judge,
	.fix = mem_fix,
	.fix_class = V4_FIX_DISRUPTIVE,
};
