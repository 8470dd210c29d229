/* merge FILE...: judges per-node reports (`--local -o json --facts`, e.g. one
 * per node under Ansible's forks) as one run: cross-node verdicts included,
 * same report and exit status as a direct run over the same nodes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "cmd.h"

struct merge {
	struct v4_node *nodes;
	size_t nn, cap;
	char *ids[64]; /* checks present in the reports */
	size_t nids;
};

/* Remembers a check id seen in a report. */
static void note_check(struct merge *m, const char *id)
{
	for (size_t i = 0; i < m->nids; i++)
		if (strcmp(m->ids[i], id) == 0)
			return;
	if (m->nids + 1 < V4_ARRAY_LEN(m->ids) && v4_check_find(id))
		m->ids[m->nids++] = xstrdup(id);
}

/* Adds one node of a report. */
static int add_node(struct merge *m, const cJSON *o, const char *file, char **err)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
	const cJSON *rank = cJSON_GetObjectItemCaseSensitive(o, "rank");
	const cJSON *bond = cJSON_GetObjectItemCaseSensitive(o, "bond1");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(o, "reason");
	if (!cJSON_IsString(name)) {
		*err = xasprintf("%s: a node has no name", file);
		return -1;
	}
	for (size_t i = 0; i < m->nn; i++)
		if (strcmp(m->nodes[i].name, name->valuestring) == 0) {
			*err = xasprintf("%s: node %s is in two reports", file, name->valuestring);
			return -1;
		}
	grow(&m->nodes, &m->cap, m->nn + 1, sizeof *m->nodes);
	struct v4_node *n = &m->nodes[m->nn++];
	memset(n, 0, sizeof *n);
	n->name = xstrdup(name->valuestring);
	n->host = xstrdup(cJSON_IsString(host) ? host->valuestring : name->valuestring);
	n->rank = cJSON_IsNumber(rank) ? rank->valueint : -1;
	n->bond_ip = cJSON_IsString(bond) ? xstrdup(bond->valuestring) : NULL;
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state"));
	if (state && strcmp(state, "unreachable") == 0) {
		n->unreachable = 1;
		n->reason = xstrdup(cJSON_IsString(reason) ? reason->valuestring : "unreachable");
		return 0;
	}
	const cJSON *facts = cJSON_GetObjectItemCaseSensitive(o, "facts");
	const cJSON *raw = cJSON_GetObjectItemCaseSensitive(o, "raw");
	if (facts)
		return v4_facts_from_json(facts, n, err);
	if (raw)
		return v4_facts_from_raw(raw, n, err);
	*err = xasprintf("%s: node %s carries no probe output (merge takes the JSON report of "
			 "`v4check --local -o json` on each node, or one made with --facts)",
			 file, n->name);
	return -1;
}

/* Reads one report file into m. */
static int read_report(struct merge *m, const char *file, char **err)
{
	char *text = NULL;
	if (read_file(file, 256u << 20, &text, NULL)) {
		*err = xasprintf("%s: %s", file, strerror(errno));
		return -1;
	}
	cJSON *j = cJSON_Parse(text);
	free(text);
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(j, "nodes");
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
	int rc = 0;
	/* schema 2 only added fields: a schema 1 report merges as it is */
	if (!cJSON_IsNumber(schema) || schema->valueint < 1 || schema->valueint > V4_SCHEMA ||
	    !cJSON_IsArray(nodes)) {
		*err = xasprintf("%s: not a v4check JSON report of schema 1 to %d", file, V4_SCHEMA);
		rc = -1;
	}
	for (const cJSON *o = nodes ? nodes->child : NULL; o && !rc; o = o->next)
		rc = add_node(m, o, file, err);
	const cJSON *checks = cJSON_GetObjectItemCaseSensitive(j, "checks");
	for (const cJSON *c = checks ? checks->child : NULL; c && !rc; c = c->next)
		if (cJSON_IsString(cJSON_GetObjectItem(c, "id")))
			note_check(m, cJSON_GetObjectItem(c, "id")->valuestring);
	cJSON_Delete(j);
	return rc;
}

/* Evaluates the merged nodes and prints the report. */
static int judge(struct v4_cli *cli, struct merge *m, const struct v4_config *cfg, double t0)
{
	const struct v4_check *checks[64];
	m->ids[m->nids] = NULL;
	if (!cli->o.only && m->nids) /* no report named a check (all unreachable): all */
		cli->o.only = m->ids;
	size_t nc = cli_checks(cli, checks, V4_ARRAY_LEN(checks));
	cJSON *baseline = NULL;
	if (cli_baseline(cli, &baseline))
		return V4_EXIT_USAGE;
	cli_add_drift(&cli->o, baseline, checks, &nc, V4_ARRAY_LEN(checks));
	struct v4_ctx ctx = {.cfg = cfg, .now = time(NULL), .phase = cli->o.phase, .baseline = baseline};
	struct v4_results res = {0};
	struct v4_run run = {m->nodes, m->nn, checks, nc, &ctx, &cli->o, 0, NULL, 0};
	v4_evaluate(&run, &res);
	char *mode = xasprintf("merge of %d report%s", cli->nargs, cli->nargs == 1 ? "" : "s");
	struct v4_report r = {.nodes = m->nodes, .nn = m->nn, .checks = checks, .nc = nc,
			      .res = &res, .mode = mode, .with_facts = cli->o.facts,
			      .started = t0, .duration_s = epoch_s() - t0, .ctx = &ctx};
	int rc = v4_report(stdout, &r, &cli->o);
	free(mode);
	v4_results_free(&res);
	cJSON_Delete(baseline);
	return rc;
}

static int run_merge(struct v4_cli *cli)
{
	struct v4_config cfg;
	struct merge m = {0};
	char *err = NULL;
	int rc = V4_EXIT_USAGE;
	double t0 = epoch_s();
	if (!cli->nargs)
		return usage_error("merge takes the per-node JSON reports to combine");
	if (cli->o.fix)
		return usage_error("merge judges reports; run --fix on the nodes");
	if (cli_load_config(cli, &cfg))
		return V4_EXIT_USAGE;
	for (int i = 0; i < cli->nargs && rc == V4_EXIT_USAGE; i++)
		if (read_report(&m, cli->args[i], &err))
			rc = -1;
	if (rc == -1) {
		fprintf(stderr, "v4check: merge: %s\n", err);
		rc = V4_EXIT_USAGE;
	} else {
		rc = judge(cli, &m, &cfg, t0);
	}
	free(err);
	for (size_t i = 0; i < m.nn; i++)
		v4_node_free(&m.nodes[i]);
	free(m.nodes);
	for (size_t i = 0; i < m.nids; i++)
		free(m.ids[i]);
	v4_config_free(&cfg);
	return rc;
}

const struct v4_cmd v4_cmd_merge = {"merge", "FILE...", "judge per-node reports as one run",
				    run_merge};
