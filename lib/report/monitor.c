/* Monitoring reports: Prometheus text (node_exporter textfile collector),
 * a Nagios plugin line, and JUnit XML.
 *
 * Measured values come from result evidence: api (ttft_ms, tpot_ms, engines,
 * kv_cache_usage, requests_waiting, preemptions, prefix_cache_hit_rate) and
 * npu-mem ("npus": [{"npu": N, "hbm_used_mb": X, "hbm_total_mb": Y}]). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "report.h"

/* ---- shared ---- */

/* Worst state of check's results on node (*any: whether there were any). */
static enum v4_status pair_status(const struct v4_results *res, const char *check, const char *node,
				  int *any)
{
	enum v4_status w = V4_PASS;
	*any = 0;
	for (size_t i = 0; i < res->n; i++)
		if (!strcmp(res->v[i].check, check) && !strcmp(res->v[i].node, node)) {
			w = *any ? v4_worst(w, res->v[i].status) : res->v[i].status;
			*any = 1;
		}
	return w;
}

/* 1 when node already appears in check's results before index i. */
static int seen_before(const struct v4_results *res, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(res->v[k].check, res->v[i].check) && !strcmp(res->v[k].node, res->v[i].node))
			return 1;
	return 0;
}

/* ---- Prometheus ---- */

/* Writes s as a label value: \\, \" and \n escaped. */
static void prom_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/* HELP and TYPE lines: a counter when the name ends in _total, else a gauge. */
static void prom_head(FILE *out, const char *name, const char *help)
{
	size_t l = strlen(name);
	int counter = l > 6 && !strcmp(name + l - 6, "_total");
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, counter ? "counter" : "gauge");
}

/* One sample with labels check (may be NULL) and node. */
static void prom_sample(FILE *out, const char *name, const char *check, const char *node, double v)
{
	fprintf(out, "%s{", name);
	if (check) {
		fputs("check=\"", out);
		prom_label(out, check);
		fputs("\",", out);
	}
	fputs("node=\"", out);
	prom_label(out, node);
	fprintf(out, "\"} %.17g\n", v);
}

/* v4check_check_status and v4check_check_ok, one per check and node. */
static void prom_checks(FILE *out, const struct v4_report *r, int ok)
{
	const char *name = ok ? "v4check_check_ok" : "v4check_check_status";
	prom_head(out, name, ok ? "1 when the check passed or was skipped on the node, else 0"
			       : "Worst state of the check on the node: 0 PASS, 1 SKIP, 2 WARN, "
				 "3 ERROR, 4 UNREACHABLE, 5 FAIL");
	for (size_t i = 0; i < r->res->n; i++) {
		const struct v4_result *x = &r->res->v[i];
		if (seen_before(r->res, i))
			continue;
		int any;
		enum v4_status st = pair_status(r->res, x->check, x->node, &any);
		prom_sample(out, name, x->check, x->node,
			    ok ? (st == V4_PASS || st == V4_SKIP) : (double)st);
	}
}

/* One gauge per API node from a number in the api results' evidence. */
static void prom_api(FILE *out, const struct v4_report *r, const char *name, const char *key,
		     double scale, const char *help)
{
	int head = 0;
	for (size_t i = 0; i < r->res->n; i++) {
		const struct v4_result *x = &r->res->v[i];
		if (strcmp(x->check, "api") != 0)
			continue;
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(v4_result_evidence(x), key);
		if (cJSON_IsNumber(v)) {
			if (!head++)
				prom_head(out, name, help);
			prom_sample(out, name, NULL, x->node, v->valuedouble * scale);
		}
		v4_result_close(x);
	}
}

/* One per-NPU sample. */
static void npu_sample(FILE *out, const char *name, const char *node, int npu, double v)
{
	fprintf(out, "%s{node=\"", name);
	prom_label(out, node);
	fprintf(out, "\",npu=\"%d\"} %.15g\n", npu, v);
}

/* The NPU tables of the reached nodes, parsed from their npu-smi info facts
 * (what every check that reads NPUs reads), whatever the checks concluded;
 * ok[i] is 0 where the table could not be had. */
static void npu_tables(const struct v4_report *r, struct v4_npusmi *t, int *ok)
{
	for (size_t i = 0; i < r->nn; i++) {
		char *why = NULL;
		ok[i] = !r->nodes[i].unreachable && node_npusmi(&r->nodes[i], &t[i], &why) == 0;
		free(why);
	}
}

enum npu_field { NF_HBM_USED, NF_HBM_TOTAL, NF_HEALTH, NF_TEMP, NF_POWER, NF_AICORE };

/* The value of field f of NPU u, or NaN when the table does not have it. */
static double npu_value(const struct v4_npu *u, enum npu_field f)
{
	switch (f) {
	case NF_HBM_USED: return u->has_hbm ? u->hbm_used_mb * 1048576.0 : NAN;
	case NF_HBM_TOTAL: return u->has_hbm ? u->hbm_total_mb * 1048576.0 : NAN;
	case NF_HEALTH: return !strcmp(u->health, "OK");
	case NF_TEMP: return u->temp_c;
	case NF_POWER: return u->power_w >= 0 ? u->power_w : NAN;
	case NF_AICORE: return u->aicore_pct / 100.0;
	}
	return NAN;
}

/* One per-NPU gauge over every NPU of every node whose table was read (a
 * second die row of the same NPU id is not repeated). */
static void prom_npu_field(FILE *out, const struct v4_report *r, const struct v4_npusmi *t,
			   const int *ok, const char *name, enum npu_field f, const char *help)
{
	int head = 0;
	for (size_t i = 0; i < r->nn; i++)
		for (size_t k = 0; ok[i] && k < t[i].nnpu; k++) {
			const struct v4_npu *u = &t[i].npus[k];
			double v = npu_value(u, f);
			if (isnan(v) || (k && t[i].npus[k - 1].id == u->id))
				continue;
			if (!head++)
				prom_head(out, name, help);
			npu_sample(out, name, r->nodes[i].name, u->id, v);
		}
}

/* TLS switch per NPU from the hccn_tool -tls -g facts that were read. */
static void prom_npu_tls(FILE *out, const struct v4_report *r, const struct v4_npusmi *t,
			 const int *ok)
{
	int head = 0;
	for (size_t i = 0; i < r->nn; i++)
		for (size_t k = 0; ok[i] && k < t[i].nnpu; k++) {
			char id[32], *why = NULL, *err = NULL;
			struct v4_tls tls;
			if (k && t[i].npus[k - 1].id == t[i].npus[k].id)
				continue;
			snprintf(id, sizeof id, "hccn-tls.%d", t[i].npus[k].id);
			const struct v4_fact *f = v4_fact_ok(&r->nodes[i], id, 0, &why);
			if (f && v4_parse_hccn_tls(f->out, f->out_len, f->err, &tls, &err) == 0) {
				if (!head++)
					prom_head(out, "v4check_npu_tls_enabled",
						  "1 when the NPU's TLS switch is on (hccn_tool -tls -g)");
				npu_sample(out, "v4check_npu_tls_enabled", r->nodes[i].name,
					   t[i].npus[k].id, tls.sw);
			}
			free(why);
			free(err);
		}
}

/* Per-NPU gauges from the facts, so that they are there on every run in
 * which npu-smi answered, also when a check failed on that NPU. */
static void prom_npus(FILE *out, const struct v4_report *r)
{
	struct v4_npusmi *t = xcalloc(r->nn ? r->nn : 1, sizeof *t);
	int *ok = xcalloc(r->nn ? r->nn : 1, sizeof *ok);
	npu_tables(r, t, ok);
	prom_npu_field(out, r, t, ok, "v4check_npu_hbm_used_bytes", NF_HBM_USED,
		       "HBM in use per NPU (npu-smi info)");
	prom_npu_field(out, r, t, ok, "v4check_npu_hbm_total_bytes", NF_HBM_TOTAL,
		       "HBM size per NPU (npu-smi info)");
	prom_npu_field(out, r, t, ok, "v4check_npu_health_ok", NF_HEALTH,
		       "1 when npu-smi info reports the NPU's health as OK");
	prom_npu_field(out, r, t, ok, "v4check_npu_temperature_celsius", NF_TEMP,
		       "NPU temperature (npu-smi info)");
	prom_npu_field(out, r, t, ok, "v4check_npu_power_watts", NF_POWER,
		       "NPU power draw (npu-smi info)");
	prom_npu_field(out, r, t, ok, "v4check_npu_aicore_utilization_ratio", NF_AICORE,
		       "AI Core utilisation per NPU (npu-smi info), 0-1");
	prom_npu_tls(out, r, t, ok);
	for (size_t i = 0; i < r->nn; i++)
		if (ok[i])
			v4_npusmi_free(&t[i]);
	free(t);
	free(ok);
}

/* Run-wide gauges: build, worst state, time, duration, reachable nodes, changes. */
static void prom_run(FILE *out, const struct v4_report *r)
{
	prom_head(out, "v4check_build_info", "Always 1; the labels say which v4check wrote the metrics");
	fprintf(out, "v4check_build_info{version=\"%s\",schema=\"%d\"} 1\n", V4_VERSION, V4_SCHEMA);
	prom_head(out, "v4check_run_status", "Worst state of the run (same scale as v4check_check_status)");
	fprintf(out, "v4check_run_status %d\n", (int)v4_results_worst(r->res));
	prom_head(out, "v4check_run_timestamp_seconds", "When the run ended (Unix time)");
	fprintf(out, "v4check_run_timestamp_seconds %.3f\n", epoch_s());
	prom_head(out, "v4check_run_duration_seconds", "How long the run took, from start to report");
	fprintf(out, "v4check_run_duration_seconds %.3f\n", r->duration_s > 0 ? r->duration_s : 0);
	prom_head(out, "v4check_node_reachable", "1 when v4check reached the node");
	for (size_t i = 0; i < r->nn; i++) {
		fputs("v4check_node_reachable{node=\"", out);
		prom_label(out, r->nodes[i].name);
		fprintf(out, "\"} %d\n", !r->nodes[i].unreachable);
	}
	if (r->changes) {
		prom_head(out, "v4check_changes", "Findings that appeared, cleared or changed since the last run");
		fprintf(out, "v4check_changes %d\n", cJSON_GetArraySize(r->changes));
	}
}

void v4_report_prom(FILE *out, const struct v4_report *r)
{
	prom_run(out, r);
	prom_checks(out, r, 0);
	prom_checks(out, r, 1);
	prom_api(out, r, "v4check_api_ttft_seconds", "ttft_ms", 1e-3,
		 "Time to first token of a streamed completion");
	prom_api(out, r, "v4check_api_tpot_seconds", "tpot_ms", 1e-3,
		 "Time per output token of a streamed completion (graph mode 0.108, eager 0.646)");
	prom_api(out, r, "v4check_vllm_engines", "engines", 1,
		 "Distinct engine labels in /metrics (one per DP rank expected)");
	prom_api(out, r, "v4check_vllm_kv_cache_usage_ratio", "kv_cache_usage", 1,
		 "Highest KV cache usage over the engines (0-1)");
	prom_api(out, r, "v4check_vllm_requests_waiting", "requests_waiting", 1,
		 "Requests waiting over all engines");
	prom_api(out, r, "v4check_vllm_preemptions_total", "preemptions", 1,
		 "Requests preempted since the server started, over all engines (vLLM's counter)");
	prom_api(out, r, "v4check_vllm_prefix_cache_hit_ratio", "prefix_cache_hit_rate", 1,
		 "Prefix cache hits over queries since the server started (0-1)");
	prom_npus(out, r);
}

int v4_report_textfile(const char *path, const struct v4_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	v4_report_prom(m, r);
	fclose(m);
	int rc = write_file_atomic(path, buf, len, 0644);
	free(buf);
	return rc;
}

/* ---- Nagios ---- */

/* Writes s with '|' and newlines (which end Nagios text) replaced. */
static void nagios_text(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, out);
}

/* Counts (check, node) pairs whose worst state has the given rank; with
 * list, writes them as "check (node,node), ...". */
static int nagios_pairs(FILE *list, const struct v4_report *r, int rank)
{
	int n = 0;
	for (size_t c = 0; c < r->nc; c++) {
		const char *id = r->checks[c]->id;
		int k = 0, any;
		for (size_t i = 0; i < r->res->n; i++) {
			const struct v4_result *x = &r->res->v[i];
			if (strcmp(x->check, id) || seen_before(r->res, i) ||
			    v4_status_rank(pair_status(r->res, id, x->node, &any)) != rank)
				continue;
			if (list)
				fprintf(list, "%s", k ? "," : n ? ", " : "");
			if (list && !k)
				fprintf(list, "%s (", id);
			if (list)
				nagios_text(list, x->node);
			k++;
		}
		if (list && k)
			fputs(")", list);
		n += k;
	}
	return n;
}

/* The number under key in the api results' evidence that also holds tpot_ms, or NaN. */
static double tpot_ev(const struct v4_results *res, const char *key)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct v4_result *x = &res->v[i];
		if (strcmp(x->check, "api") != 0)
			continue;
		const cJSON *ev = v4_result_evidence(x);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "tpot_ms");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);
		double d = cJSON_IsNumber(t) && cJSON_IsNumber(v) ? v->valuedouble : NAN;
		v4_result_close(x);
		if (!isnan(d))
			return d;
	}
	return NAN;
}

/* Performance data ('label'=value[UOM];[warn];[crit];[min];[max]) whose
 * thresholds give the same state as the report: a range "0" alerts above 0,
 * so one FAIL is outside the critical range and one WARN outside the warning
 * range; TPOT warns above the api check's pass figure (warn range 0:pass) and
 * is critical at or above its fail figure (@fail: alerts inside [fail, inf)). */
static void nagios_perf(FILE *out, const struct v4_report *r, int nf, int nw, int nu)
{
	fprintf(out, " | failed=%d;;0;0 warning=%d;0;;0 unknown=%d;;;0 results=%zu;;;0", nf, nw, nu,
		r->res->n);
	double ttft = tpot_ev(r->res, "ttft_ms"), tpot = tpot_ev(r->res, "tpot_ms");
	double pass = tpot_ev(r->res, "tpot_pass_ms"), fail = tpot_ev(r->res, "tpot_fail_ms");
	if (!isnan(ttft))
		fprintf(out, " ttft=%.3fs;;;0", ttft / 1000);
	if (!isnan(tpot))
		fprintf(out, " tpot=%.4fs;%.4f;@%.4f:;0", tpot / 1000, pass / 1000, fail / 1000);
	fputc('\n', out);
}

/* Long output after the status line: one line per result that is not PASS or
 * SKIP, worst first ("FAIL tls node3 TLS_MISMATCH: ..."). */
static void nagios_long(FILE *out, const struct v4_report *r)
{
	static const enum v4_status order[] = {V4_FAIL, V4_UNREACHABLE, V4_ERROR, V4_WARN};
	for (size_t k = 0; k < V4_ARRAY_LEN(order); k++)
		for (size_t i = 0; i < r->res->n; i++) {
			const struct v4_result *x = &r->res->v[i];
			if (x->status != order[k])
				continue;
			fprintf(out, "%s %s %s %s: ", v4_status_name(x->status), x->check, x->node, x->code);
			nagios_text(out, x->message);
			fputc('\n', out);
		}
}

int v4_report_nagios(FILE *out, const struct v4_report *r)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	int nf = nagios_pairs(NULL, r, 3), nu = nagios_pairs(NULL, r, 2), nw = nagios_pairs(NULL, r, 1);
	int rc = nf ? 2 : nu ? 3 : nw ? 1 : 0;
	fprintf(out, "V4CHECK %s - ", words[rc]);
	if (nf) {
		fprintf(out, "%d failed: ", nf);
		nagios_pairs(out, r, 3);
	}
	if (nu) {
		fprintf(out, "%s%d could not be checked: ", nf ? "; " : "", nu);
		nagios_pairs(out, r, 2);
	}
	if (nw) {
		fprintf(out, "%s%d warning%s: ", nf || nu ? "; " : "", nw, nw == 1 ? "" : "s");
		nagios_pairs(out, r, 1);
	}
	if (!rc)
		fprintf(out, "%zu checks passed on %zu node%s", r->nc, r->nn, r->nn == 1 ? "" : "s");
	nagios_perf(out, r, nf, nw, nu);
	nagios_long(out, r);
	return rc;
}

/* ---- JUnit ---- */

/* Writes s escaped for XML text and attributes; drops characters XML 1.0 forbids. */
static void xml(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '&')
			fputs("&amp;", out);
		else if (ch == '<')
			fputs("&lt;", out);
		else if (ch == '>')
			fputs("&gt;", out);
		else if (ch == '"')
			fputs("&quot;", out);
		else if (ch == '\'')
			fputs("&apos;", out);
		else if (ch >= 0x20 || ch == '\t' || ch == '\n')
			fputc(ch, out);
	}
}

/* The body of a failure, error or system-out element: every result's line;
 * with only, just the results of that state. */
static void junit_lines(FILE *out, const struct v4_results *res, const char *check, const char *node,
			int only)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct v4_result *x = &res->v[i];
		if (strcmp(x->check, check) || strcmp(x->node, node) ||
		    (only >= 0 && x->status != (enum v4_status)only))
			continue;
		fprintf(out, "%s %s: ", v4_status_name(x->status), x->code);
		xml(out, x->message);
		fputc('\n', out);
	}
}

/* The most telling result (the worst) of check on node. */
static const struct v4_result *junit_worst(const struct v4_results *res, const char *check,
					   const char *node)
{
	const struct v4_result *w = NULL;
	for (size_t i = 0; i < res->n; i++) {
		const struct v4_result *x = &res->v[i];
		if (!strcmp(x->check, check) && !strcmp(x->node, node) &&
		    (!w || v4_worst(w->status, x->status) != w->status))
			w = x;
	}
	return w;
}

/* Seconds the probes that check reads on node took (summed: a probe shared
 * by two checks counts in both); 0 without a context or facts. */
static double node_probe_s(const struct v4_report *r, const struct v4_check *c,
			   const struct v4_node *n)
{
	struct v4_probes ps = {0};
	double ms = 0;
	if (!r->ctx || n->unreachable || !c->probes)
		return 0;
	c->probes(c, n, r->ctx, &ps);
	for (size_t i = 0; i < ps.n; i++) {
		const struct v4_fact *f = v4_fact(n, ps.v[i].id);
		ms += f ? f->ms : 0;
	}
	v4_probes_free(&ps);
	return ms / 1000;
}

/* A testcase's time: its node's probe time; for "cluster" (a verdict over
 * every node, probed in parallel) the longest node's. */
static double junit_time(const struct v4_report *r, const struct v4_check *c, const char *node)
{
	double t = 0;
	for (size_t i = 0; i < r->nn; i++) {
		double s = node_probe_s(r, c, &r->nodes[i]);
		if (!strcmp(r->nodes[i].name, node))
			return s;
		t = s > t ? s : t;
	}
	return t;
}

/* The element a testcase's worst state is shown by: failure, error, skipped or none. */
static const char *junit_element(enum v4_status st, int warn_syserr)
{
	if (st == V4_FAIL || (st == V4_WARN && !warn_syserr))
		return "failure";
	if (st == V4_ERROR || st == V4_UNREACHABLE)
		return "error";
	return st == V4_SKIP ? "skipped" : NULL;
}

/* One testcase: check on node. */
static void junit_case(FILE *out, const struct v4_report *r, const struct v4_check *c,
		       const char *node, int warn_syserr)
{
	const struct v4_result *w = junit_worst(r->res, c->id, node);
	const char *el = junit_element(w->status, warn_syserr);
	fputs("    <testcase classname=\"v4check.", out);
	xml(out, c->id);
	fputs("\" name=\"", out);
	xml(out, c->id);
	fputs(" on ", out);
	xml(out, node);
	fprintf(out, "\" time=\"%.3f\">\n", junit_time(r, c, node));
	if (el) {
		fprintf(out, "      <%s type=\"%s\" message=\"%s: ", el, v4_status_name(w->status), w->code);
		xml(out, w->message);
		fputs("\">", out);
		junit_lines(out, r->res, c->id, node, -1);
		fprintf(out, "</%s>\n", el);
	}
	fputs("      <system-out>", out);
	junit_lines(out, r->res, c->id, node, -1);
	fputs("</system-out>\n", out);
	if (warn_syserr && w->status == V4_WARN) {
		fputs("      <system-err>", out);
		junit_lines(out, r->res, c->id, node, V4_WARN);
		fputs("</system-err>\n", out);
	}
	fputs("    </testcase>\n", out);
}

/* Counts check's testcases by kind: tests, failures, errors, skipped; and their time. */
static double junit_counts(const struct v4_report *r, const struct v4_check *c, int warn_syserr,
			   int n[4])
{
	double t = 0;
	memset(n, 0, 4 * sizeof *n);
	for (size_t i = 0; i < r->res->n; i++) {
		int any;
		if (strcmp(r->res->v[i].check, c->id) || seen_before(r->res, i))
			continue;
		const char *el = junit_element(pair_status(r->res, c->id, r->res->v[i].node, &any),
					       warn_syserr);
		n[0]++;
		n[1] += el && !strcmp(el, "failure");
		n[2] += el && !strcmp(el, "error");
		n[3] += el && !strcmp(el, "skipped");
		t += junit_time(r, c, r->res->v[i].node);
	}
	return t;
}

void v4_report_junit(FILE *out, const struct v4_report *r, int warn_syserr)
{
	int t[4] = {0}, n[4];
	char when[40];
	for (size_t c = 0; c < r->nc; c++) {
		junit_counts(r, r->checks[c], warn_syserr, n);
		for (int k = 0; k < 4; k++)
			t[k] += n[k];
	}
	/* UTC without a zone: the form the Ant/Jenkins readers (and the
	 * Windy Road XSD) take */
	v4_report_rfc3339(r->started > 0 ? r->started : epoch_s(), when, sizeof when);
	when[19] = 0;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"v4check\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
		"time=\"%.3f\">\n", t[0], t[1], t[2], r->duration_s > 0 ? r->duration_s : 0);
	for (size_t c = 0; c < r->nc; c++) {
		const struct v4_check *ck = r->checks[c];
		double secs = junit_counts(r, ck, warn_syserr, n);
		fputs("  <testsuite name=\"", out);
		xml(out, ck->id);
		fprintf(out, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" "
			"timestamp=\"%s\" hostname=\"", n[0], n[1], n[2], n[3], secs, when);
		xml(out, v4_report_controller());
		fputs("\">\n", out);
		for (size_t i = 0; i < r->res->n; i++)
			if (!strcmp(r->res->v[i].check, ck->id) && !seen_before(r->res, i))
				junit_case(out, r, ck, r->res->v[i].node, warn_syserr);
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
}
