/* collect -o DIR: capture every probe's raw output and status for --replay. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capture.h"
#include "cmd.h"

static int run_collect(struct v4_cli *cli)
{
	struct v4_config cfg;
	struct v4_node *nodes;
	size_t nn;
	char *err = NULL;
	if (!cli->out_arg)
		return usage_error("collect needs -o DIR");
	if (cli->inv.replay)
		return usage_error("collect probes nodes; it cannot read a capture");
	for (int i = 0; i < cli->nargs; i++)
		if (!v4_check_find(cli->args[i]))
			return usage_error("no check '%s' (see v4check list)", cli->args[i]);
	if (cli->nargs) {
		cli->args[cli->nargs] = NULL;
		cli->o.only = cli->args;
	}
	if (cli_setup(cli, &cfg, &nodes, &nn))
		return V4_EXIT_USAGE;
	const struct v4_check *checks[64];
	size_t nc = cli_checks(cli, checks, V4_ARRAY_LEN(checks));
	struct v4_ctx ctx = {.cfg = &cfg, .now = time(NULL), .phase = cli->o.phase, .tier = cli->o.tier};
	struct v4_run run = {nodes, nn, checks, nc, &ctx, &cli->o, 0, NULL, 0};
	v4_probe_nodes(&run);
	int rc = v4_capture_write(cli->out_arg, nodes, nn, &err) ||
			 v4_capture_config(cli->out_arg, cfg.json, &err) ? V4_EXIT_INTERNAL : 0;
	if (rc)
		fprintf(stderr, "v4check: collect: %s\n", err);
	else if (!cli->o.quiet)
		fprintf(stderr, "v4check: captured %zu node%s into %s\n", nn, nn == 1 ? "" : "s",
			cli->out_arg);
	free(err);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	v4_config_free(&cfg);
	return rc;
}

const struct v4_cmd v4_cmd_collect = {"collect", "-o DIR [CHECK...]", "capture probe outputs",
				      run_collect};
