/* Every check's evaluation over fixture cases.
 *
 * fixtures/checks/<check>/<case>/ is a capture (manifest.json + one folder per
 * node, as `v4check collect` writes it) plus:
 *   expect.json   {"status": "FAIL", "codes": ["TLS_MISMATCH"],
 *                  "nodes": {"node3": "FAIL"}, "fix": ["hccn_tool -i 0 -tls -s enable 0"],
 *                  "message": "substring of some result's message"}
 *   config.json   optional config for the case (else the built-in one)
 *   now           optional: the evaluation time as seconds since the epoch
 *   phase         optional: "live" judges as --phase live (else pre)
 *   capture       optional: the capture replayed, a path relative to the case
 *                 (else the case folder itself)
 *   baseline.json optional: the snapshot of --baseline (the drift check)
 *   new.json      optional: instead of a run, `diff baseline.json new.json`
 * Case names start with pass-, warn-, fail- or error-.
 *
 * Every result must carry a code its check declares, with the declared
 * status (or a restatement naming it: "(WARN, raised to FAIL by ...)"); every
 * declared code must be asserted by some case's "codes". The checks are the
 * table's and drift.
 * `test_checks.t ID...` runs only those checks' cases. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "checks.h"
#include "run.h"
#include "snapshot.h"
#include "transport.h"
#include "tap.h"

/* 1 when some result of the check has this code. */
static int has_code(const struct v4_results *r, const char *code)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].code, code) == 0)
			return 1;
	return 0;
}

/* Worst state among the check's results for node name. */
static enum v4_status node_status(const struct v4_results *r, const char *name)
{
	enum v4_status w = V4_PASS;
	int any = 0;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].node, name) == 0) {
			w = any ? v4_worst(w, r->v[i].status) : r->v[i].status;
			any = 1;
		}
	return w;
}

/* 1 when some result's message contains s. */
static int has_message(const struct v4_results *r, const char *s)
{
	for (size_t i = 0; i < r->n; i++)
		if (strstr(r->v[i].message, s))
			return 1;
	return 0;
}

/* 1 when the result's message says it was restated from status st. */
static int restated_from(const struct v4_result *r, enum v4_status st)
{
	char *mark = xasprintf("(%s, ", v4_status_name(st));
	int yes = strstr(r->message, mark) != NULL;
	free(mark);
	return yes;
}

/* Each result's code is declared by its check, with the status declared. */
static void expect_declared(const struct v4_check *c, const struct v4_results *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct v4_finding *f = v4_finding_find(c, r->v[i].code);
		if (r->v[i].status == V4_UNREACHABLE && strcmp(r->v[i].code, "UNREACHABLE") == 0)
			continue;
		if (f && f->status != r->v[i].status && restated_from(&r->v[i], f->status))
			continue;
		char what[512];
		snprintf(what, sizeof what, "%s: %s is declared by %s with status %s", name,
			 r->v[i].code, c->id, v4_status_name(r->v[i].status));
		if (!ok(f && f->status == r->v[i].status, what))
			printf("#   declared: %s\n", f ? v4_status_name(f->status) : "no such code");
	}
}

/* Compares the fix plan with the expected command list (in order). */
static void expect_fix(const struct v4_check *c, struct v4_node *nodes, size_t nn,
		       const struct v4_ctx *ctx, const cJSON *want, const char *name)
{
	struct v4_fixplan plan = {0};
	const struct v4_check *cs[1] = {c};
	struct v4_run run = {nodes, nn, cs, 1, ctx, NULL, 0, NULL, 0};
	v4_plan_fixes(&run, &plan);
	char what[512];
	snprintf(what, sizeof what, "%s: fix plan has %d commands", name, cJSON_GetArraySize(want));
	is_int(plan.n, cJSON_GetArraySize(want), what);
	size_t i = 0;
	for (const cJSON *w = want->child; w && i < plan.n; w = w->next, i++) {
		char line[1024];
		snprintf(line, sizeof line, "%s: %s", plan.v[i].node, plan.v[i].cmd);
		snprintf(what, sizeof what, "%s: fix %zu", name, i);
		is_str(plan.v[i].refused ? "REFUSED" : line, w->valuestring, what);
	}
	v4_fixplan_free(&plan);
}

/* Checks the expectations of one case against its results. */
static void expect(const struct v4_check *c, struct v4_node *nodes, size_t nn,
		   const struct v4_ctx *ctx, const struct v4_results *r, const cJSON *ex,
		   const char *name)
{
	char what[512];
	const cJSON *st = cJSON_GetObjectItem(ex, "status");
	snprintf(what, sizeof what, "%s: status %s", name, cJSON_IsString(st) ? st->valuestring : "?");
	is_str(v4_status_name(v4_results_worst(r)), cJSON_IsString(st) ? st->valuestring : "?", what);
	expect_declared(c, r, name);
	const cJSON *codes = cJSON_GetObjectItem(ex, "codes");
	for (const cJSON *x = codes ? codes->child : NULL; x; x = x->next) {
		snprintf(what, sizeof what, "%s: finding %s", name, x->valuestring);
		ok(has_code(r, x->valuestring), what);
	}
	const cJSON *ns = cJSON_GetObjectItem(ex, "nodes");
	for (const cJSON *x = ns ? ns->child : NULL; x; x = x->next) {
		snprintf(what, sizeof what, "%s: node %s is %s", name, x->string, x->valuestring);
		is_str(v4_status_name(node_status(r, x->string)), x->valuestring, what);
	}
	const cJSON *msg = cJSON_GetObjectItem(ex, "message");
	if (cJSON_IsString(msg)) {
		snprintf(what, sizeof what, "%s: a message says '%s'", name, msg->valuestring);
		ok(has_message(r, msg->valuestring), what);
	}
	const cJSON *fix = cJSON_GetObjectItem(ex, "fix");
	if (cJSON_IsArray(fix))
		expect_fix(c, nodes, nn, ctx, fix, name);
}

/* Codes asserted by the cases run so far (of the current check). */
static struct sbuf asserted;

/* Records the codes a case asserts. */
static void note_asserted(const cJSON *ex)
{
	const cJSON *codes = cJSON_GetObjectItem(ex, "codes");
	for (const cJSON *x = codes ? codes->child : NULL; x; x = x->next)
		if (cJSON_IsString(x))
			sbuf_printf(&asserted, " %s ", x->valuestring);
}

/* Every code the check declares is asserted by one of its cases. */
static void expect_all_asserted(const struct v4_check *c)
{
	for (const struct v4_finding *f = c->findings; f && f->code; f++) {
		char what[256], *word = xasprintf(" %s ", f->code);
		snprintf(what, sizeof what, "%s: some case asserts %s", c->id, f->code);
		ok(asserted.s && strstr(asserted.s, word), what);
		free(word);
	}
	sbuf_free(&asserted);
}

/* Reads dir/name as JSON, or NULL. */
static cJSON *read_json(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *text = NULL;
	cJSON *j = NULL;
	if (read_file(path, 1u << 20, &text, NULL) == 0)
		j = cJSON_Parse(text);
	free(path);
	free(text);
	return j;
}

/* 1 when a and b hold the same results (status, code, message, evidence). */
static int same_results(const struct v4_results *a, const struct v4_results *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct v4_result *x = &a->v[i], *y = &b->v[i];
		if (x->status != y->status || strcmp(x->code, y->code) || strcmp(x->message, y->message) ||
		    strcmp(x->node, y->node))
			return 0;
		if ((x->evidence || y->evidence) && !cJSON_Compare(x->evidence, y->evidence, 1))
			return 0;
	}
	return 1;
}

/* The case judged again after each node's facts are cut to what the checks
 * read (v4_reduce_facts, as a live run keeps them) gives the same results. */
static void same_after_reduce(struct v4_run *run, const struct v4_results *before, const char *name)
{
	struct v4_results r = {0};
	for (size_t i = 0; i < run->nn; i++)
		v4_reduce_facts(run, &run->nodes[i]);
	v4_evaluate(run, &r);
	char what[512];
	snprintf(what, sizeof what, "%s: same results on facts cut to what the checks read", name);
	if (!ok(same_results(before, &r), what))
		for (size_t i = 0; i < r.n || i < before->n; i++)
			printf("#   %s | %s\n", i < before->n ? before->v[i].message : "-",
			       i < r.n ? r.v[i].message : "-");
	v4_results_free(&r);
}

/* The capture a case replays: dir, or the folder its file "capture" names
 * (relative to dir). Caller frees. */
static char *capture_dir(const char *dir)
{
	char *path = xasprintf("%s/capture", dir), *text = NULL;
	char *cap = NULL;
	if (read_file(path, 4096, &text, NULL) == 0) {
		text[strcspn(text, "\n")] = 0;
		cap = xasprintf("%s/%s", dir, text);
	}
	free(path);
	free(text);
	return cap ? cap : xstrdup(dir);
}

/* Runs one case directory. */
static void run_case(const struct v4_check *c, const char *dir, const char *name)
{
	struct v4_config cfg;
	char *err = NULL, *cfgpath = xasprintf("%s/config.json", dir), *now = NULL;
	struct stat st;
	int rc = v4_config_load(stat(cfgpath, &st) == 0 ? cfgpath : NULL, &cfg, &err);
	cJSON *ex = read_json(dir, "expect.json");
	struct v4_node *nodes = NULL;
	size_t nn = 0;
	char *cap = capture_dir(dir);
	cJSON *base = read_json(dir, "baseline.json"), *diff_new = read_json(dir, "new.json");
	if (!ok(rc == 0 && ex && (diff_new || v4_capture_nodes(cap, &nodes, &nn, &err) == 0), name)) {
		printf("#   %s: %s\n", name, err ? err : "expect.json missing or malformed");
		goto out;
	}
	struct v4_opts o;
	v4_opts_defaults(&o);
	o.transport = &v4_transport_replay;
	o.replay_dir = cap;
	struct v4_ctx ctx = {&cfg, 1798761600 /* 2027-01-01 */, V4_PHASE_PRE, 1, base, 0};
	char *np = xasprintf("%s/now", dir);
	if (read_file(np, 64, &now, NULL) == 0)
		ctx.now = (time_t)atoll(now);
	free(np);
	struct stat ps;
	char *pp = xasprintf("%s/phase", dir);
	if (stat(pp, &ps) == 0 && ps.st_size >= 4)
		ctx.phase = V4_PHASE_LIVE;
	free(pp);
	const struct v4_check *cs[1] = {c};
	struct v4_results r = {0};
	struct v4_run run = {nodes, nn, cs, 1, &ctx, &o, 0, NULL, 0};
	if (diff_new)
		v4_drift_compare(base, diff_new, &ctx, 1, &r);
	else {
		v4_probe_nodes(&run);
		v4_evaluate(&run, &r);
	}
	expect(c, nodes, nn, &ctx, &r, ex, name);
	note_asserted(ex);
	if (!diff_new) /* a diff judges two snapshots, no facts */
		same_after_reduce(&run, &r, name);
	v4_results_free(&r);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	v4_config_free(&cfg);
out:
	cJSON_Delete(ex);
	cJSON_Delete(base);
	cJSON_Delete(diff_new);
	free(cap);
	free(err);
	free(cfgpath);
	free(now);
}

/* Compares directory names for a stable order. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs every case of one check. */
static int run_check_dir(const struct v4_check *c, const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name), cases = 0;
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;
		if (starts_with(e, "pass-") || starts_with(e, "warn-") || starts_with(e, "fail-") ||
		    starts_with(e, "error-")) {
			char *d = xasprintf("%s/%s", dir, e), *name = xasprintf("%s/%s", c->id, e);
			run_case(c, d, name);
			free(d);
			free(name);
			cases++;
		}
		free(ents[i]);
	}
	free(ents);
	return cases;
}

/* 1 when the check is to run: no ids given, or its id among them. */
static int wanted(const struct v4_check *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], c->id) == 0)
			return 1;
	return argc < 2;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!v4_check_find(argv[i])) {
			fprintf(stderr, "test_checks: no check '%s'\n", argv[i]);
			return 2;
		}
	const struct v4_check *known[64];
	size_t nk = v4_checks_known(known, V4_ARRAY_LEN(known));
	for (size_t i = 0; i < nk; i++) {
		const struct v4_check *c = known[i];
		if (!wanted(c, argc, argv))
			continue;
		char *dir = xasprintf("fixtures/checks/%s", c->id);
		int cases = run_check_dir(c, dir);
		char what[128];
		snprintf(what, sizeof what, "%s has pass- and fail- fixture cases", c->id);
		ok(cases >= 2, what);
		snprintf(what, sizeof what, "%s declares its tier and a positive expected cost", c->id);
		ok(c->tier >= V4_TIER_QUICK && c->tier <= V4_TIER_DEEP && c->cost_ms > 0, what);
		expect_all_asserted(c);
		free(dir);
	}
	return tap_done();
}
