/* all, and CHECK [CHECK...]: probe, evaluate, fix, report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

/* A description of where the facts come from, for the report. */
static char *mode_text(const struct v4_cli *cli, size_t nn)
{
	if (cli->inv.replay)
		return xasprintf("replay of %s", cli->inv.replay);
	if (cli->o.transport == &v4_transport_local)
		return xstrdup("local");
	return xasprintf("ssh to %zu node%s", nn, nn == 1 ? "" : "s");
}

/* Probes and evaluates. */
static void probe_eval(struct v4_node *nodes, size_t nn, const struct v4_check **checks, size_t nc,
		       const struct v4_ctx *ctx, const struct v4_opts *o, struct v4_results *res)
{
	v4_probe_nodes(nodes, nn, checks, nc, ctx, o);
	v4_evaluate(nodes, nn, checks, nc, ctx, o, res);
}

/* The fix flow: plan, show, apply (unless --dry-run), probe and judge again. */
static void fix_flow(struct v4_node *nodes, size_t nn, const struct v4_check **checks, size_t nc,
		     const struct v4_ctx *ctx, const struct v4_opts *o, struct v4_results *res,
		     struct v4_fixplan *plan, struct v4_fix_log *log)
{
	v4_plan_fixes(nodes, nn, checks, nc, ctx, plan);
	if (!o->quiet || o->dry_run)
		v4_print_plan(o->format == V4_FMT_TEXT ? stdout : stderr, plan);
	if (o->dry_run || !plan->n)
		return;
	v4_apply_fixes(nodes, nn, plan, o, log);
	for (size_t i = 0; i < nn; i++)
		v4_node_clear_facts(&nodes[i]);
	v4_results_free(res);
	probe_eval(nodes, nn, checks, nc, ctx, o, res);
}

int v4_cmd_checks(struct v4_cli *cli, char **ids)
{
	struct v4_config cfg;
	struct v4_node *nodes;
	size_t nn;
	if (ids)
		cli->o.only = ids;
	if (cli_setup(cli, &cfg, &nodes, &nn))
		return V4_EXIT_USAGE;
	const struct v4_check *checks[64];
	size_t nc = v4_select_checks(&cli->o, checks, V4_ARRAY_LEN(checks));
	struct v4_ctx ctx = {&cfg, time(NULL), cli->o.phase, cli->o.fix};
	struct v4_results res = {0};
	struct v4_fixplan plan = {0};
	struct v4_fix_log log = {0};
	probe_eval(nodes, nn, checks, nc, &ctx, &cli->o, &res);
	if (cli->o.fix)
		fix_flow(nodes, nn, checks, nc, &ctx, &cli->o, &res, &plan, &log);
	char *mode = mode_text(cli, nn);
	struct v4_report r = {nodes, nn, checks, nc, &res, cli->o.fix ? &plan : NULL,
			      cli->o.fix ? &log : NULL, mode, cli->o.facts};
	int rc = v4_report(stdout, &r, &cli->o);
	free(mode);
	v4_results_free(&res);
	v4_fixplan_free(&plan);
	v4_fix_log_free(&log);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	v4_config_free(&cfg);
	return rc;
}

/* all: every check. */
static int run_all(struct v4_cli *cli)
{
	if (cli->nargs)
		return usage_error("all takes no arguments");
	return v4_cmd_checks(cli, NULL);
}

const struct v4_cmd v4_cmd_all = {"all", "", "run every check", run_all};
