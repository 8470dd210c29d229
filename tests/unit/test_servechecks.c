/* The serve checks on the reference deployment's own command (the built-in
 * config, ranks 0..3 on four nodes, no vLLM running): exactly its real
 * findings and nothing else.
 *
 *   serve-args    ARGS_UNKNOWN_KEY  ascend_compilation_config.enable_npu_graph_ex
 *                                   ("did you mean enable_npugraph_ex?")
 *   loader        LOADER_STRING_BOOL, LOADER_STRATEGY_CONFLICT
 *   prefix-cache  PREFIX_CACHE_ON
 *   graph-mode, kv-budget, init-timeout: PASS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "run.h"
#include "tap.h"

#define CASE "fixtures/checks/serve-args/warn-reference-built-in"

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

/* The expected lines: each check's findings on node1..node4. */
static char *expected(void)
{
	static const char *const want[][3] = {
		{"prefix-cache", "WARN", "PREFIX_CACHE_ON"},
		{"loader", "WARN", "LOADER_STRING_BOOL"},
		{"loader", "WARN", "LOADER_STRATEGY_CONFLICT"},
		{"serve-args", "WARN", "ARGS_UNKNOWN_KEY"},
	};
	struct sbuf b = {0};
	for (size_t w = 0; w < V4_ARRAY_LEN(want); w++) {
		size_t first = w;
		while (first > 0 && strcmp(want[first - 1][0], want[w][0]) == 0)
			first--;
		if (first != w)
			continue; /* grouped below */
		for (int n = 1; n <= 4; n++)
			for (size_t k = w; k < V4_ARRAY_LEN(want) && strcmp(want[k][0], want[w][0]) == 0; k++)
				sbuf_printf(&b, "%s node%d %s %s\n", want[k][0], n, want[k][1], want[k][2]);
	}
	return sbuf_take(&b);
}

int main(int argc, char **argv)
{
	static const char *const ids[] = {"graph-mode", "kv-budget", "init-timeout",
					  "prefix-cache", "loader", "serve-args"};
	const struct v4_check *cs[V4_ARRAY_LEN(ids)];
	struct v4_config cfg;
	struct v4_node *nodes = NULL;
	size_t nn = 0;
	char *err = NULL;
	for (size_t i = 0; i < V4_ARRAY_LEN(ids); i++)
		cs[i] = v4_check_find(ids[i]);
	if (!ok(v4_config_load(NULL, &cfg, &err) == 0 && v4_capture_nodes(CASE, &nodes, &nn, &err) == 0,
		"built-in config and the four-node case load"))
		return tap_done();
	struct v4_opts o;
	v4_opts_defaults(&o);
	o.transport = &v4_transport_replay;
	o.replay_dir = CASE;
	struct v4_ctx ctx = {&cfg, 1798761600, V4_PHASE_PRE};
	struct v4_results r = {0};
	v4_probe_nodes(nodes, nn, cs, V4_ARRAY_LEN(cs), &ctx, &o);
	v4_evaluate(nodes, nn, cs, V4_ARRAY_LEN(cs), &ctx, &o, &r);
	char *got = findings_of(&r, argc > 1 && strcmp(argv[1], "-v") == 0), *want = expected();
	is_str(got, want, "the reference command has exactly its real findings");
	int hint = 0;
	for (size_t i = 0; i < r.n; i++)
		hint |= strstr(r.v[i].message, "enable_npu_graph_ex") &&
			strstr(r.v[i].message, "did you mean enable_npugraph_ex?");
	ok(hint, "the misspelled key gets the enable_npugraph_ex suggestion");
	free(got);
	free(want);
	v4_results_free(&r);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	v4_config_free(&cfg);
	return tap_done();
}
