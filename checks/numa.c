/* numa: the serving workers run on CPUs near their NPU.
 *
 * vllm-ascend binds each worker's threads to CPUs of its NPU's NUMA node when
 * --additional-config enable_cpu_binding is on (the default at v0.21.0rc1):
 * TPOT on an 800I A2 with TP8 went from 11.78 to 9.90 ms with it (vllm-ascend
 * issue 6966). The binding fails quietly (a "Bind cpus failed ... Skip binding
 * cpu" warning in the log) when the container's cpuset leaves out the NPU's
 * CPUs or a tool it runs is missing, and the workers then float over every
 * NUMA node. So: the switch is a JSON true, and, while vLLM runs, each worker
 * that holds an NPU (npu-smi's process table) has its allowed CPUs
 * (/proc/PID/status Cpus_allowed_list) on its NPU's NUMA node (the Bus-Id's
 * numa_node in sysfs) or on the next one, where vllm-ascend's A2 policy puts
 * the second of two NPUs that share a node (cpu_binding.py extend_numa). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"
#include "numa.h"
#include "procinfo.h"
#include "serve_source.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "CPU binding on; every worker's CPUs on its NPU's NUMA node or the next")    \
	F(CPU_BINDING_OFF, WARN,                                                             \
	  "--additional-config enable_cpu_binding is off: workers float over NUMA nodes")     \
	F(CPU_BINDING_NOT_BOOL, WARN,                                                        \
	  "enable_cpu_binding is not a JSON boolean: vllm-ascend takes any non-empty string " \
	  "as on, \"false\" too")                                                             \
	F(WORKER_UNBOUND, WARN,                                                              \
	  "a worker's allowed CPUs span more than two NUMA nodes: the binding did not happen") \
	F(WORKER_REMOTE_NUMA, WARN,                                                          \
	  "a worker's allowed CPUs are on NUMA nodes other than its NPU's and the next")     \
	F(NUMA_NO_WORKERS, SKIP, "no vLLM worker holds an NPU: the CPUs are not judged")     \
	SERVE_FINDINGS(F)                                                                    \
	F(PROBE_FAILED, ERROR,                                                               \
	  "the NPU table, a worker's /proc/PID/status or the sysfs NUMA layout could not be read")
V4_FINDINGS(FINDINGS);

#define P_SYSNUMA "sys-numa"
#define SYSNUMA_CMD "grep -H '' /sys/devices/system/node/node*/cpulist /sys/bus/pci/devices/*/numa_node"

/* One worker holding an NPU. */
struct worker {
	long pid;
	int npu;
	const char *bus; /* the NPU's Bus-Id (points into the table) */
};

/* Probe id of a worker's status. */
static void status_id(char *buf, size_t sz, long pid)
{
	snprintf(buf, sz, "proc-status.%ld", pid);
}

/* The workers among the NPU table's process rows: pids the listing names as
 * vLLM workers. *out allocated (caller frees); -1 with *why when the table or
 * the listing cannot be read. */
static int workers(const struct v4_node *n, struct v4_npusmi *s, struct worker **out, size_t *nw,
		   char **why)
{
	struct proc_list pl;
	char *err = NULL;
	*out = NULL, *nw = 0;
	if (node_npusmi(n, s, why) != 0)
		return -1;
	const char *part = v4_npusmi_partial(s);
	if (part) { /* a worker row may be missing: judge none rather than some */
		*why = xasprintf("npu-smi info: %s: the NPU holders are not known", part);
		return v4_npusmi_free(s), -1;
	}
	const struct v4_fact *f = v4_fact_ok(n, P_PROCS, 0, why);
	if (!f)
		return v4_npusmi_free(s), -1;
	if (proc_list_parse(f->out, f->out_len, &pl, &err) != 0) {
		*why = xasprintf("process listing: %s", err ? err : "not understood");
		free(err);
		return v4_npusmi_free(s), -1;
	}
	*out = xcalloc(s->nproc + 1, sizeof **out);
	for (size_t i = 0; i < s->nproc; i++) {
		const struct proc_entry *e = proc_lookup(&pl, s->procs[i].pid);
		if (!e || e->kind != PROC_WORKER)
			continue;
		struct worker *w = &(*out)[(*nw)++];
		w->pid = s->procs[i].pid, w->npu = s->procs[i].npu;
		for (size_t k = 0; k < s->nnpu; k++)
			if (s->npus[k].id == w->npu && !w->bus)
				w->bus = s->npus[k].bus_id;
	}
	proc_list_free(&pl);
	return 0;
}

static void numa_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	struct v4_npusmi s;
	struct worker *w;
	size_t nw;
	char *why = NULL, id[64];
	want_npus(n, ps);
	want_procs(ps);
	serve_probes(n, ctx, ps);
	kn_probes(n, ctx, ps);
	v4_probe_add(ps, P_SYSNUMA, -1, 0, "%s", SYSNUMA_CMD);
	if (workers(n, &s, &w, &nw, &why) == 0) {
		for (size_t i = 0; i < nw; i++) {
			status_id(id, sizeof id, w[i].pid);
			v4_probe_add(ps, id, -1, 0, "cat /proc/%ld/status", w[i].pid);
		}
		free(w);
		v4_npusmi_free(&s);
	}
	free(why);
}

/* Binding from the serve command: 1 on, 0 off, -1 after a result (no command,
 * or not a JSON object). */
static int binding_on(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd;
	struct kn_pick kp;
	cJSON *ac = NULL;
	char *err = NULL;
	int fp, on;
	if (serve_for_check(h, n, &cmd, &fp))
		return -1;
	kn_pick_node(n, h->ctx, &kp);
	const cJSON *e = kn_entry(kp.t, "additional_config", "enable_cpu_binding");
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(e, "default");
	const char *src = kn_src(kp.t, "additional_config", "enable_cpu_binding");
	int rc = serve_json_opt(&cmd, "--additional-config", &ac, &err);
	const cJSON *v = rc == 1 ? cJSON_GetObjectItemCaseSensitive(ac, "enable_cpu_binding") : NULL;
	if (rc < 0) {
		v4_say(h, SERVE_UNREADABLE, NULL, "%s", err ? err : "--additional-config not understood");
		on = -1;
	} else if (!v) {
		on = def ? json_truthy(def) : 1;
		if (!on)
			v4_say(h, CPU_BINDING_OFF, serve_evidence(&cmd, fp),
			       "enable_cpu_binding is not set and is off by default (%s)", src);
	} else {
		on = json_truthy(v);
		if (!cJSON_IsBool(v))
			v4_say(h, CPU_BINDING_NOT_BOOL, serve_evidence(&cmd, fp),
			       "enable_cpu_binding is %s, not a JSON boolean: vllm-ascend %s reads it as "
			       "written (%s) and binds when it is truthy: binding is %s",
			       cJSON_IsString(v) ? v->valuestring : "not a boolean", kp.tag, src, on ? "on" : "off");
		if (!on)
			v4_say(h, CPU_BINDING_OFF, serve_evidence(&cmd, fp),
			       "enable_cpu_binding is off: the workers are not bound to their NPU's NUMA "
			       "node (%s)", src);
	}
	cJSON_Delete(ac);
	free(err);
	serve_free(&cmd);
	kn_pick_free(&kp);
	return on;
}

/* The node after k that has CPUs (wrapping), as vllm-ascend's extend_numa
 * takes (node + 1) % nodes; k itself when it is the only one. */
static int next_node(const struct v4_sysnuma *sn, int k)
{
	size_t i = 0;
	while (i < sn->nnodes && sn->nodes[i].id != k)
		i++;
	for (size_t s = 1; i < sn->nnodes && s <= sn->nnodes; s++) {
		const struct v4_numa_node *x = &sn->nodes[(i + s) % sn->nnodes];
		if (x->cpus.count)
			return x->id;
	}
	return k;
}

/* The NUMA nodes the set touches, as a list ("0-1,4"); their count in *nn. */
static char *nodes_of(const struct v4_sysnuma *sn, const struct v4_cpuset *set, int *nn, int a, int b,
		      int *outside)
{
	struct v4_cpuset ids;
	memset(&ids, 0, sizeof ids);
	*nn = 0, *outside = 0;
	for (size_t i = 0; i < sn->nnodes; i++)
		if (sn->nodes[i].id < V4_CPU_MAX && v4_cpuset_common(&sn->nodes[i].cpus, set)) {
			ids.bits[sn->nodes[i].id / 64] |= (uint64_t)1 << (sn->nodes[i].id % 64);
			(*nn)++;
			*outside += sn->nodes[i].id != a && sn->nodes[i].id != b;
		}
	return v4_cpuset_str(&ids);
}

/* One worker: 0 fine, 1 a finding, -1 an ERROR. */
static int judge_worker(const struct v4_rep *h, const struct v4_node *n, const struct v4_sysnuma *sn,
			const struct worker *w, cJSON *arr)
{
	char id[64], *why = NULL, *err = NULL;
	struct v4_cpuset set;
	int k = w->bus ? v4_sysnuma_pci_node(sn, w->bus) : -2;
	const struct v4_numa_node *home = k >= 0 ? v4_sysnuma_node(sn, k) : NULL;
	if (!home) {
		v4_say(h, PROBE_FAILED, NULL, "NPU %d (Bus-Id %s): no NUMA node in sysfs (numa_node %d): its "
		       "worker's CPUs not judged", w->npu, w->bus ? w->bus : "?", k < -1 ? -1 : k);
		return -1;
	}
	status_id(id, sizeof id, w->pid);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	if (!f || v4_parse_status_cpus(f->out, f->out_len, &set, &err) != 0) {
		v4_say(h, PROBE_FAILED, NULL, "worker pid %ld (NPU %d): /proc/%ld/status: %s", w->pid,
		       w->npu, w->pid, why ? why : err);
		free(why), free(err);
		return -1;
	}
	int nn, outside, nx = next_node(sn, k), rc = 0;
	char *nodes = nodes_of(sn, &set, &nn, k, nx, &outside), *cpus = v4_cpuset_str(&set);
	char *local = v4_cpuset_str(&home->cpus);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "pid", (double)w->pid);
	cJSON_AddNumberToObject(e, "npu", w->npu);
	cJSON_AddStringToObject(e, "bus_id", w->bus);
	cJSON_AddNumberToObject(e, "numa_node", k);
	cJSON_AddStringToObject(e, "cpus_allowed", cpus);
	cJSON_AddStringToObject(e, "on_nodes", nodes);
	cJSON_AddItemToArray(arr, e);
	if (nn > 2)
		rc = 1, v4_say(h, WORKER_UNBOUND, NULL,
			       "worker pid %ld (NPU %d, NUMA node %d): allowed CPUs %s span NUMA nodes %s: "
			       "not bound", w->pid, w->npu, k, cpus, nodes);
	else if (outside)
		rc = 1, v4_say(h, WORKER_REMOTE_NUMA, NULL,
			       "worker pid %ld (NPU %d, NUMA node %d, CPUs %s): allowed CPUs %s are on NUMA "
			       "node %s, not node %d or %d", w->pid, w->npu, k, local, cpus, nodes, k, nx);
	free(nodes), free(cpus), free(local);
	return rc;
}

/* The workers' CPUs against their NPUs' NUMA nodes. */
static void judge_cpus(const struct v4_rep *h, const struct v4_node *n)
{
	struct v4_npusmi s;
	struct v4_sysnuma sn;
	struct worker *w;
	size_t nw, first = h->out->n;
	char *why = NULL, *err = NULL;
	if (workers(n, &s, &w, &nw, &why) != 0) {
		v4_say_unchecked(h, why);
		free(why);
		return;
	}
	const struct v4_fact *f = nw ? v4_fact_ok(n, P_SYSNUMA, 0, &why) : NULL;
	if (!nw)
		v4_say(h, NUMA_NO_WORKERS, NULL, "no vLLM worker holds an NPU: CPU placement not judged");
	else if (!f || v4_parse_sysnuma(f->out, f->out_len, &sn, &err) != 0)
		v4_say(h, PROBE_FAILED, NULL, "NUMA layout: %s", why ? why : err);
	else {
		cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "workers");
		int bad = 0;
		for (size_t i = 0; i < nw; i++)
			bad |= judge_worker(h, n, &sn, &w[i], arr) != 0;
		cJSON_AddNumberToObject(ev, "numa_nodes", (double)sn.nnodes);
		if (!bad)
			v4_say(h, OK, ev, "CPU binding on; %zu workers on CPUs of their NPU's NUMA node or the "
			       "next (%zu NUMA nodes)", nw, sn.nnodes), ev = NULL;
		attach_evidence(h->out, first, ev);
		v4_sysnuma_free(&sn);
	}
	free(why), free(err), free(w);
	v4_npusmi_free(&s);
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	if (binding_on(h, n) == 1)
		judge_cpus(h, n);
}

const struct v4_check v4_check_numa = {
	.id = "numa",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 130, /* bench/tiers.sh: alone on one node */
	.title = "CPU binding on, and each vLLM worker on CPUs of its NPU's NUMA node",
	.explain =
		"Symptom: TPOT jitter and a slower decode (vllm-ascend issue 6966: 800I A2, TP8,\n"
		"  TPOT 11.78 ms without binding, 9.90 ms with it:\n"
		"  https://github.com/vllm-project/vllm-ascend/issues/6966).\n"
		"Cause: the workers float over all NUMA nodes, far from their NPU: binding is\n"
		"  off (--additional-config enable_cpu_binding false; vllm-ascend v0.21.0rc1\n"
		"  vllm_ascend/ascend_config.py:135 reads it with .get(), default true, and\n"
		"  vllm_ascend/worker/worker.py:642 binds when it is truthy, so the string\n"
		"  \"false\" binds too), or the binding failed (worker.py:646 logs \"Bind cpus\n"
		"  failed ... Skip binding cpu\": the container's cpuset leaves out the NPU's\n"
		"  CPUs, npu-smi or taskset missing), or a worker was pinned by hand elsewhere.\n"
		"How: each process in npu-smi info's process table that the process listing\n"
		"  names a vLLM worker; its Cpus_allowed_list (/proc/PID/status) against the\n"
		"  NUMA node of its NPU (the table's Bus-Id, /sys/bus/pci/devices/BDF/numa_node)\n"
		"  and that node's CPUs (/sys/devices/system/node/nodeK/cpulist). vllm-ascend's\n"
		"  A2 policy binds a worker to its NPU's node or, for the second of two NPUs\n"
		"  that share a node, to the next node (vllm_ascend/cpu_binding.py:221-228,\n"
		"  extend_numa): CPUs on more than two nodes are not bound; CPUs on other nodes\n"
		"  are remote. Judged only while vLLM runs and binding is on.\n"
		"Fix: enable_cpu_binding true (a JSON boolean) in --additional-config; give\n"
		"  the container every CPU (no --cpuset-cpus that leaves out the NPU's node);\n"
		"  look for \"Bind cpus failed\" in the log; restart the engine.",
	.probes_doc = "npu-smi info (process table, Bus-Id); the process listing and the serve "
		      "command (" SERVE_PROBES_DOC "); " SYSNUMA_CMD "; cat /proc/PID/status of each "
		      "vLLM worker in the process table (PIDs parsed, integers)",
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = numa_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
