/* ports: nothing but the deployment's own vLLM listens on the ports it needs.
 *
 * HCCL listens on 16 ports from HCCL_IF_BASE_PORT (default 60000-60015;
 * Ascend/pytorch docs: "占用以该端口起始的16个端口", base in [1024, 65520]),
 * rank 0 on --data-parallel-rpc-port (vLLM default 29550) and on the API
 * --port. Another listener there makes the deployment fail at start-up (HCCL
 * EJ0003 "The IP address and port have been bound already"; vLLM "Address
 * already in use"). The listeners come from `ss -Htlnp`; a listener held by a
 * process of the running vLLM (the /proc listing classifies it) is the
 * deployment itself, not a conflict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "serve_source.h"
#include "ss.h"

#define P_SS "ss-listen"
#define HCCL_PORTS 16          /* ports HCCL takes from its base */
#define HCCL_BASE_DEFAULT 60000
#define HCCL_BASE_MAX 65520    /* base + 15 stays below 65536 */
#define DP_RPC_DEFAULT 29550

#define FINDINGS(F)                                                                           \
	F(OK, PASS, "the ports the deployment needs are free (or held by its own vLLM)")      \
	F(PORT_IN_USE, FAIL, "another process listens on a port the deployment needs")        \
	F(HCCL_PORT_RANGE, FAIL, "HCCL_IF_BASE_PORT + 15 reaches past 65535, or is no port")  \
	SERVE_FINDINGS(F)                                                                     \
	F(PROBE_FAILED, ERROR, "ss or the process listing could not be run or read")
V4_FINDINGS(FINDINGS);

/* A port the deployment needs and who needs it. */
struct need {
	int lo, hi;
	char what[96];
};

/* Reads the ports from the serve command: HCCL range on every node, DP RPC and
 * API port on the API node. Returns how many; -1 when the HCCL base is bad. */
static int needs(const struct v4_rep *h, const struct v4_node *n, const struct serve_cmd *cmd,
		 struct need *nd)
{
	const char *b = serve_env(cmd, "HCCL_IF_BASE_PORT");
	char *end = NULL;
	long base = b ? strtol(b, &end, 10) : HCCL_BASE_DEFAULT;
	int k = 0;
	if (b && (end == b || *end || base < 0 || base > HCCL_BASE_MAX)) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "HCCL_IF_BASE_PORT", b);
		v4_say(h, HCCL_PORT_RANGE, ev,
		       "HCCL_IF_BASE_PORT=%s: HCCL takes %d ports from it, so it must be a port of at "
		       "most %d (the range must stay below 65536)", b, HCCL_PORTS, HCCL_BASE_MAX);
		return -1;
	}
	nd[k].lo = (int)base, nd[k].hi = (int)base + HCCL_PORTS - 1;
	snprintf(nd[k++].what, sizeof nd->what, "HCCL (HCCL_IF_BASE_PORT %ld%s + %d ports)", base,
		 b ? "" : ", the default", HCCL_PORTS);
	if (!api_node(n))
		return k;
	double rpc = DP_RPC_DEFAULT, port = 8000;
	if (serve_num_or(cmd, "--data-parallel-rpc-port", DP_RPC_DEFAULT, &rpc) == 0 && rpc >= 1 && rpc <= 65535) {
		nd[k].lo = nd[k].hi = (int)rpc;
		snprintf(nd[k++].what, sizeof nd->what, "the DP RPC port (--data-parallel-rpc-port%s)",
			 serve_has(cmd, "--data-parallel-rpc-port") ? "" : ", default 29550");
	}
	if (serve_num_or(cmd, "--port", 8000, &port) == 0 && port >= 1 && port <= 65535) {
		nd[k].lo = nd[k].hi = (int)port;
		snprintf(nd[k++].what, sizeof nd->what, "the API port (--port%s)",
			 serve_has(cmd, "--port") ? "" : ", default 8000");
	}
	return k;
}

/* "python3 (pid 412)" for a listener's owners, or a note that ss could not tell. */
static void owners(const struct ss_listen *l, struct sbuf *sb)
{
	for (size_t i = 0; i < l->nusers; i++)
		sbuf_printf(sb, "%s%s (pid %ld)", i ? ", " : "", l->users[i].name, l->users[i].pid);
	if (!l->nusers)
		sbuf_printf(sb, "a process ss cannot name (another process namespace, or not root)");
}

/* 1 when every owner of l is a process of the running vLLM. */
static int own_vllm(const struct ss_listen *l, const struct proc_list *pl)
{
	if (!l->nusers || !pl)
		return 0;
	for (size_t i = 0; i < l->nusers; i++) {
		const struct proc_entry *e = proc_lookup(pl, l->users[i].pid);
		if (!e || proc_classify(e) == PROC_OTHER)
			return 0;
	}
	return 1;
}

/* Judges the listeners against the needed ports; returns conflicts. */
static int judge(const struct v4_rep *h, const struct ss_list *ss, const struct proc_list *pl,
		 const struct need *nd, int nn, int *own)
{
	int bad = 0;
	for (size_t i = 0; i < ss->n; i++) {
		const struct ss_listen *l = &ss->v[i];
		for (int k = 0; k < nn; k++) {
			if (l->port < nd[k].lo || l->port > nd[k].hi)
				continue;
			if (own_vllm(l, pl)) {
				(*own)++;
				break;
			}
			struct sbuf who = {0};
			owners(l, &who);
			cJSON *ev = cJSON_CreateObject();
			cJSON_AddNumberToObject(ev, "port", l->port);
			cJSON_AddStringToObject(ev, "address", l->addr);
			cJSON_AddStringToObject(ev, "needed_by", nd[k].what);
			cJSON_AddStringToObject(ev, "held_by", who.s);
			v4_say(h, PORT_IN_USE, ev,
			       "port %d (%s) is taken by %s listening on %s: the deployment fails to bind "
			       "it (HCCL EJ0003, vLLM \"Address already in use\"); stop it or move the port",
			       l->port, nd[k].what, who.s, l->addr);
			sbuf_free(&who);
			bad++;
			break;
		}
	}
	return bad;
}

/* The node's parsed listeners; -1 reported when unreadable. */
static int read_ss(const struct v4_rep *h, const struct v4_node *n, struct ss_list *ss)
{
	char *why = NULL, *err = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_SS, 0, &why);
	int rc = f ? ss_parse(f->out, f->out_len, ss, &err) : -1;
	if (rc == 0 && ss->nbad) {
		err = xasprintf("ss printed a line that is not a listening socket: \"%s\"", ss->bad_line);
		ss_list_free(ss);
		rc = -1;
	}
	if (rc)
		v4_say_unchecked(h, why ? why : err);
	free(why);
	free(err);
	return rc;
}

/* Judges one node. */
static void judge_node(const struct v4_rep *h, const struct v4_node *n)
{
	struct serve_cmd cmd;
	struct ss_list ss;
	struct proc_list pl;
	struct need nd[3];
	int fp, own = 0;
	char *err = NULL;
	if (serve_for_check(h, n, &cmd, &fp))
		return;
	int nn = needs(h, n, &cmd, nd);
	if (nn >= 0 && read_ss(h, n, &ss) == 0) {
		const struct v4_fact *f = v4_fact(n, P_PROCS);
		int have_pl = f && f->state == V4_FACT_OK && f->exit_code == 0 &&
			      proc_list_parse(f->out, f->out_len, &pl, &err) == 0;
		if (!judge(h, &ss, have_pl ? &pl : NULL, nd, nn, &own)) {
			cJSON *ev = serve_evidence(&cmd, fp), *arr = cJSON_AddArrayToObject(ev, "ports");
			for (int k = 0; k < nn; k++)
				cJSON_AddItemToArray(arr, cJSON_CreateString(nd[k].what));
			v4_say(h, OK, ev, "%d-%d%s free%s", nd[0].lo, nd[0].hi,
			       nn > 1 ? ", the DP RPC and API ports" : "",
			       own ? " (or held by the running vLLM itself)" : "");
		}
		if (have_pl)
			proc_list_free(&pl);
		ss_list_free(&ss);
	}
	free(err);
	serve_free(&cmd);
}

/* ss and the serve command's probes (its listing tells vLLM's own sockets). */
static void ports_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	(void)c;
	serve_probes(n, ctx, ps);
	v4_probe_add(ps, P_SS, -1, 0, "ss -Htlnp");
}

const struct v4_check v4_check_ports = {
	.id = "ports",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 150,
	.title = "HCCL, DP RPC and API ports free of other listeners; HCCL range below 65536",
	.explain =
		"Symptom: start-up fails on one node with HCCL EJ0003 \"The IP address and port\n"
		"  have been bound already\" (port 60000 and up), or vLLM \"Address already in use\"\n"
		"  on the DP RPC or API port; a leftover instance or another job holds the port.\n"
		"Cause: HCCL listens on 16 ports from HCCL_IF_BASE_PORT (default 60000-60015; the\n"
		"  base must be at most 65520 so that the range stays below 65536: Ascend/pytorch\n"
		"  docs, communication matrix, \"HCCL_IF_BASE_PORT ... occupies the 16 ports from\n"
		"  it\"; vllm-ascend#405, #11968); rank 0 listens on --data-parallel-rpc-port (vLLM\n"
		"  default 29550) and the API --port (default 8000).\n"
		"How: `ss -Htlnp` on the node; the owner of each listener is named by name and pid.\n"
		"  A listener whose every owner is a process of the running vLLM (API server,\n"
		"  engine core, worker in the /proc listing) is the deployment itself, so the check\n"
		"  also holds in --phase live; anything else on those ports is a conflict.\n"
		"Fix: stop the process the finding names (a previous vllm serve, another job), or\n"
		"  move HCCL_IF_BASE_PORT / --data-parallel-rpc-port / --port on every node.",
	.probes_doc = "ss -Htlnp; " SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = ports_probes,
	.evaluate_node = judge_node,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
