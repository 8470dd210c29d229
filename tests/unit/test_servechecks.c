/* The serve checks on the reference deployment's own command (the built-in
 * config, ranks 0..3 on four nodes, no vLLM running): exactly its real
 * findings and nothing else.
 *
 *   serve-args    ARGS_UNKNOWN_KEY  ascend_compilation_config.enable_npu_graph_ex
 *                                   ("did you mean enable_npugraph_ex?")
 *   loader        LOADER_STRING_BOOL, LOADER_STRATEGY_IGNORED
 *   prefix-cache  PREFIX_CACHE_ON
 *   graph-mode, kv-budget, init-timeout: PASS
 * and, on four running nodes, the API key appears in no message or evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "checks.h"
#include "run.h"
#include "transport.h"
#include "tap.h"

#define CASE "fixtures/checks/serve-args/warn-reference-built-in"
#define RUNNING "fixtures/checks/serve-args/fail-running-outlier"

/* The non-PASS results, "check node code" per line, in report order. */
static char *findings_of(const struct v4_results *r, int verbose)
{
	struct sbuf b = {0};
	for (size_t i = 0; i < r->n; i++) {
		if (verbose)
			printf("# %s %s %s %s: %s\n", r->v[i].check, r->v[i].node,
			       v4_status_name(r->v[i].status), r->v[i].code, r->v[i].message);
		if (r->v[i].status != V4_PASS)
			sbuf_printf(&b, "%s %s %s %s\n", r->v[i].check, r->v[i].node,
				    v4_status_name(r->v[i].status), r->v[i].code);
	}
	return b.s ? sbuf_take(&b) : xstrdup("");
}

/* The expected lines: the real findings, on each of the four nodes. */
static const char want[] =
	"prefix-cache node1 WARN PREFIX_CACHE_ON\n"
	"prefix-cache node2 WARN PREFIX_CACHE_ON\n"
	"prefix-cache node3 WARN PREFIX_CACHE_ON\n"
	"prefix-cache node4 WARN PREFIX_CACHE_ON\n"
	"loader node1 WARN LOADER_STRING_BOOL\n"
	"loader node1 WARN LOADER_STRATEGY_IGNORED\n"
	"loader node2 WARN LOADER_STRING_BOOL\n"
	"loader node2 WARN LOADER_STRATEGY_IGNORED\n"
	"loader node3 WARN LOADER_STRING_BOOL\n"
	"loader node3 WARN LOADER_STRATEGY_IGNORED\n"
	"loader node4 WARN LOADER_STRING_BOOL\n"
	"loader node4 WARN LOADER_STRATEGY_IGNORED\n"
	"serve-args node1 WARN ARGS_UNKNOWN_KEY\n"
	"serve-args node2 WARN ARGS_UNKNOWN_KEY\n"
	"serve-args node3 WARN ARGS_UNKNOWN_KEY\n"
	"serve-args node4 WARN ARGS_UNKNOWN_KEY\n";

/* Runs the six serve checks on a case dir with cfg; results into r. */
static int run_case(const char *dir, const struct v4_config *cfg, struct v4_results *r)
{
	static const char *const ids[] = {"graph-mode", "kv-budget", "init-timeout",
					  "prefix-cache", "loader", "serve-args"};
	const struct v4_check *cs[V4_ARRAY_LEN(ids)];
	struct v4_node *nodes = NULL;
	size_t nn = 0;
	char *err = NULL;
	for (size_t i = 0; i < V4_ARRAY_LEN(ids); i++)
		cs[i] = v4_check_find(ids[i]);
	if (v4_capture_nodes(dir, &nodes, &nn, &err)) {
		printf("# %s: %s\n", dir, err);
		free(err);
		return -1;
	}
	struct v4_opts o;
	v4_opts_defaults(&o);
	o.transport = &v4_transport_replay;
	o.replay_dir = dir;
	struct v4_ctx ctx = {.cfg = cfg, .now = 1798761600, .phase = V4_PHASE_PRE};
	struct v4_run run = {nodes, nn, cs, V4_ARRAY_LEN(cs), &ctx, &o, 0, NULL, 0};
	v4_probe_nodes(&run);
	v4_evaluate(&run, r);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	return 0;
}

/* 1 when no message or evidence of r holds s. */
static int nowhere(const struct v4_results *r, const char *s)
{
	for (size_t i = 0; i < r->n; i++) {
		char *e = r->v[i].evidence ? cJSON_PrintUnformatted(r->v[i].evidence) : NULL;
		int hit = strstr(r->v[i].message, s) || (e && strstr(e, s));
		free(e);
		if (hit)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct v4_config cfg;
	struct v4_results r = {0}, r2 = {0};
	char *err = NULL;
	if (!ok(v4_config_load(NULL, &cfg, &err) == 0 && run_case(CASE, &cfg, &r) == 0,
		"built-in config and the four-node case run"))
		return tap_done();
	char *got = findings_of(&r, argc > 1 && strcmp(argv[1], "-v") == 0);
	is_str(got, want, "the reference command has exactly its real findings");
	ok(!nowhere(&r, "did you mean enable_npugraph_ex?"), "the misspelled key gets the suggestion");
	ok(run_case(RUNNING, &cfg, &r2) == 0 && r2.n > 0, "four running nodes are judged");
	ok(nowhere(&r2, "sk-fixture-secret-42"), "the API key is in no message or evidence");
	free(got);
	v4_results_free(&r);
	v4_results_free(&r2);
	v4_config_free(&cfg);
	return tap_done();
}
