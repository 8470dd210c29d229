/* tls: every NPU of every node has the same HCCL TLS switch.
 *
 * Failure 1 of the reference deployment: one node's eight NPUs had TLS
 * enabled, the others disabled; creating the MC2 expert group then failed
 * with "error 1" / EI0016 "tls invalid". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "every NPU has the expected TLS switch")                                 \
	F(TLS_MISMATCH, FAIL, "NPUs whose TLS switch differs from the expected state")      \
	F(TLS_INCONSISTENT, FAIL, "the nodes' NPUs disagree on the TLS switch (HCCL EI0016)") \
	F(TLS_CERT_EXPIRING, WARN, "TLS is on and a certificate ends within the alarm window") \
	F(TLS_CERT_EXPIRED, FAIL, "TLS is on and a certificate has expired")                 \
	F(PROBE_FAILED, ERROR, "the NPU list or an NPU's TLS state could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"expected", 0, "expected switch on every NPU: 0 disabled (the deployment's choice), 1 enabled;"
			" deployment.tls_expected sets it for the whole config"},
	{NULL, 0, NULL},
};

/* One NPU's TLS reading. */
struct npu_tls {
	int id;
	int ok; /* parsed */
	struct v4_tls t;
	char *why;
};

/* The expected switch: checks.tls.expected, else deployment.tls_expected. */
static int expected_switch(const struct v4_check *c, const struct v4_ctx *ctx)
{
	double d = v4_cfg_num(ctx->cfg, "deployment.tls_expected", 0);
	return v4_param(ctx, c, "expected") != 0 || (d != 0 && !v4_cfg_get(ctx->cfg, "checks.tls.expected"));
}

static void tls_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	int *ids = NULL;
	size_t nids = 0;
	char *why = NULL;
	want_npus(n, ps);
	if (node_npu_ids(n, &ids, &nids, &why) == 0)
		for (size_t i = 0; i < nids; i++) {
			hccn_get_add(ps, "tls", "tls", ids[i]);
		}
	free(ids);
	free(why);
}

/* Reads every NPU's TLS state of node n; returns the count (0 on error). */
static size_t read_node(const struct v4_node *n, struct npu_tls **out, char **why)
{
	int *ids = NULL;
	size_t nids = 0;
	*out = NULL;
	if (node_npu_ids(n, &ids, &nids, why))
		return 0;
	struct npu_tls *v = xcalloc(nids ? nids : 1, sizeof *v);
	for (size_t i = 0; i < nids; i++) {
		char id[32], *err = NULL;
		hccn_id(id, sizeof id, "tls", ids[i]);
		v[i].id = ids[i];
		const struct v4_fact *f = v4_fact_ok(n, id, 1, &v[i].why);
		if (f && v4_parse_hccn_tls(f->out, f->out_len, f->err, &v[i].t, &err) == 0) {
			v[i].ok = 1;
		} else if (f) {
			v[i].why = xasprintf("%s: %s", f->cmd, err ? err : "output not understood");
		}
		free(err);
	}
	free(ids);
	*out = v;
	if (!nids)
		*why = xstrdup("no NPU found on the node");
	return nids;
}

/* Evidence: every NPU's switch (null when unreadable). */
static cJSON *evidence(const struct npu_tls *v, size_t nv, int expected)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	cJSON_AddNumberToObject(o, "expected", expected);
	for (size_t i = 0; i < nv; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "npu", v[i].id);
		if (v[i].ok) {
			cJSON_AddNumberToObject(e, "switch", v[i].t.sw);
			if (v[i].t.preconfigured >= 0)
				cJSON_AddNumberToObject(e, "preconfigured", v[i].t.preconfigured);
			if (v[i].t.no_cert)
				cJSON_AddTrueToObject(e, "no_certificate");
		} else {
			cJSON_AddNullToObject(e, "switch");
			cJSON_AddStringToObject(e, "error", v[i].why ? v[i].why : "unreadable");
		}
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(o, "npus", arr);
	return o;
}

/* Certificate findings of an NPU with TLS on. */
static void cert_findings(const struct v4_rep *h, const struct npu_tls *x)
{
	time_t now = h->ctx->now;
	int days = x->t.alarm_days > 0 ? x->t.alarm_days : 60;
	for (size_t k = 0; k < x->t.ncert; k++) {
		const struct v4_cert *ct = &x->t.certs[k];
		if (!ct->end)
			continue;
		long left = (long)((ct->end - now) / 86400);
		if (ct->end <= now)
			v4_say(h, TLS_CERT_EXPIRED, NULL, "NPU %d: %s expired %ld days ago", x->id,
			       ct->kind, -left);
		else if (ct->end - now < (time_t)days * 86400)
			v4_say(h, TLS_CERT_EXPIRING, NULL,
			       "NPU %d: %s ends in %ld days (alarm threshold %d days)", x->id, ct->kind,
			       left, days);
	}
}

static const char *sw_word(int sw)
{
	return sw ? "enabled" : "disabled";
}

/* Judges one node against the expected switch. Returns the node's
 * switch when all its NPUs agree, -1 when mixed, -2 when unreadable. */
static int judge_node(const struct v4_rep *h, const struct v4_node *n, int expected)
{
	struct npu_tls *v;
	char *why = NULL;
	size_t nv = read_node(n, &v, &why);
	int *bad = xcalloc(nv ? nv : 1, sizeof *bad), *err = xcalloc(nv ? nv : 1, sizeof *err);
	size_t nbad = 0, nerr = 0, nok = 0, on = 0;
	for (size_t i = 0; i < nv; i++) {
		if (!v[i].ok) {
			err[nerr++] = v[i].id;
			v4_say(h, PROBE_FAILED, NULL, "NPU %d: %s", v[i].id,
			       v[i].why ? v[i].why : "unreadable");
			continue;
		}
		nok++;
		on += v[i].t.sw != 0;
		if (v[i].t.sw != expected)
			bad[nbad++] = v[i].id;
		if (v[i].t.sw && (v[i].t.cut || v[i].t.certs_partial))
			v4_say(h, PROBE_FAILED, NULL,
			       "NPU %d: certificates not read whole (%s): their expiry is not judged", v[i].id,
			       v[i].t.cut ? "output cut" : "a block without end_time");
		else if (v[i].t.sw)
			cert_findings(h, &v[i]);
	}
	if (!nv)
		v4_say_unchecked(h, why);
	char *list = id_list(bad, nbad);
	if (nbad)
		v4_say(h, TLS_MISMATCH, evidence(v, nv, expected),
		       "TLS %s on NPU %s of %zu (expected %s)", sw_word(!expected), list, nv,
		       sw_word(expected));
	else if (nok)
		v4_say(h, OK, evidence(v, nv, expected),
		       "TLS %s on %s%zu NPUs", sw_word(expected), nerr ? "" : "all ", nok);
	free(list);
	int verdict = nok == 0 ? -2 : (on == 0 ? 0 : on == nok ? 1 : -1);
	for (size_t i = 0; i < nv; i++)
		free(v[i].why);
	free(v);
	free(bad);
	free(err);
	free(why);
	return verdict;
}

/* Adds the cluster verdict when nodes disagree with each other. */
static void judge_cluster(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
			  const int *verdict)
{
	struct sbuf on = {0}, off = {0}, mixed = {0};
	for (size_t i = 0; i < nn; i++) {
		struct sbuf *b = verdict[i] == 1 ? &on : verdict[i] == 0 ? &off : verdict[i] == -1 ? &mixed : NULL;
		if (b)
			sbuf_printf(b, "%s%s", b->len ? "," : "", nodes[i]->name);
	}
	if (nn > 1 && ((on.len != 0) + (off.len != 0) + (mixed.len != 0) > 1 || mixed.len))
		v4_say(h, TLS_INCONSISTENT, NULL,
		       "TLS differs between NPUs: enabled on [%s], disabled on [%s]%s%s%s; HCCL "
		       "fails with EI0016 \"tls invalid\"", on.len ? on.s : "", off.len ? off.s : "",
		       mixed.len ? ", mixed on [" : "", mixed.len ? mixed.s : "", mixed.len ? "]" : "");
	sbuf_free(&on);
	sbuf_free(&off);
	sbuf_free(&mixed);
}

static void tls_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	int expected = expected_switch(h->check, h->ctx);
	int *verdict = xcalloc(nn, sizeof *verdict);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		verdict[i] = judge_node(&hn, nodes[i], expected);
	}
	judge_cluster(h, nodes, nn, verdict);
	free(verdict);
}

/* Plans "-tls -s enable E" for exactly the readable NPUs that differ. */
static void tls_fix(const struct v4_check *c, struct v4_node *const *nodes, size_t nn,
		    const struct v4_ctx *ctx, struct v4_fixplan *plan)
{
	int expected = expected_switch(c, ctx);
	for (size_t i = 0; i < nn; i++) {
		struct npu_tls *v;
		char *why = NULL;
		size_t nv = read_node(nodes[i], &v, &why);
		for (size_t k = 0; k < nv; k++) {
			if (v[k].ok && v[k].t.sw != expected)
				v4_fix_add(plan, nodes[i]->name, V4_FIX_SAFE,
					   expected ? "TLS disabled on this NPU, expected enabled"
						    : "TLS enabled on this NPU, expected disabled",
					   "hccn_tool -i %d -tls -s enable %d", v[k].id, expected);
			free(v[k].why);
		}
		free(v);
		free(why);
	}
}

const struct v4_check v4_check_tls = {
	.id = "tls",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 380, /* bench/tiers.sh: alone on one node */
	.title = "HCCL TLS switch identical on every NPU of every node",
	.explain =
		"Symptom: creating the MC2 expert group fails with \"error 1\", or HCCL logs EI0016\n"
		"  'Value Disable for config \"tls\" is invalid. Expected Value:\"All ranks are\n"
		"  consistent.\"' (older stacks: link setup times out, EI0006).\n"
		"Cause: the HCCL TLS switch differs between NPUs: in the reference deployment one\n"
		"  node's eight NPUs had TLS enabled and the other nodes' disabled.\n"
		"Fix: make it uniform. The deployment disables it on every NPU of every node:\n"
		"  for N in 0..7: hccn_tool -i N -tls -s enable 0, then hccn_tool -i N -tls -g\n"
		"  must show switch[0] everywhere. `v4check tls --fix` does exactly this for the\n"
		"  NPUs that differ, then checks again. With TLS on, certificates are also\n"
		"  checked against their alarm window.",
	.probes_doc = "npu-smi info (NPU list; npu-smi info -l when the table cannot be read); "
		      "hccn_tool -i N -tls -g for each NPU N, one call at a time per NPU, retried "
		      "while it answers \"hccn_tool is busy, please try again.\"",
	.fix_doc = "hccn_tool -i N -tls -s enable E on each NPU N whose switch differs from the "
		   "expected E (safe; NPUs that could not be read are left alone)",
	.findings = findings,
	.params = params,
	.probes = tls_probes,
	.evaluate = tls_evaluate,
	.fix = tls_fix,
	.fix_class = V4_FIX_SAFE,
};
