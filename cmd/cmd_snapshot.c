/* snapshot save FILE: record a healthy cluster; diff OLD NEW: what differs
 * between two snapshots; and the --baseline option of the check runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "snapshot.h"
#include "transport.h"

#define SNAPSHOT_MAX (256u << 20) /* largest snapshot file read */

/* Reads and checks a snapshot file; NULL with *err (caller frees). */
static cJSON *load_snapshot(const char *path, char **err)
{
	char *text = NULL, *why = NULL;
	size_t len = 0;
	if (read_file(path, SNAPSHOT_MAX, &text, &len)) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	cJSON *doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!doc) {
		*err = xasprintf("%s: not JSON", path);
		return NULL;
	}
	if (v4_snapshot_valid(doc, &why)) {
		*err = xasprintf("%s: %s", path, why);
		free(why);
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int cli_baseline(const struct v4_cli *cli, cJSON **doc)
{
	char *err = NULL;
	*doc = NULL;
	if (!cli->o.baseline)
		return 0;
	if (!(*doc = load_snapshot(cli->o.baseline, &err))) {
		fprintf(stderr, "v4check: --baseline %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

void cli_add_drift(const struct v4_opts *o, const cJSON *baseline, const struct v4_check **checks,
		   size_t *nc, size_t max)
{
	for (char **s = o->skip; s && *s; s++)
		if (strcmp(*s, v4_check_drift.id) == 0)
			return;
	if (baseline && *nc < max)
		checks[(*nc)++] = &v4_check_drift;
}

/* ---- snapshot save ---- */

/* A check that only asks for the snapshot's probes (never evaluated). */
static void snap_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			struct v4_probes *ps)
{
	(void)c;
	v4_snapshot_probes(n, ctx, ps);
}

static const struct v4_check snapshot_probes = {.id = "snapshot", .probes = snap_probes};

/* Names the nodes whose snapshot has unreadable parts; 1 when there are any. */
static int report_unreadable(const cJSON *doc)
{
	const cJSON *x, *u;
	int bad = 0;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "nodes"))
		cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(x, "unreadable")) {
			fprintf(stderr, "v4check: snapshot: %s: %s: %s\n", x->string, u->string,
				cJSON_IsString(u) ? u->valuestring : "unreadable");
			bad = 1;
		}
	return bad;
}

/* Checks that the run is healthy, then writes the snapshot; the exit status. */
static int save(struct v4_cli *cli, const char *path, struct v4_node *nodes, size_t nn,
		const struct v4_check **checks, size_t nc, const struct v4_ctx *ctx, struct v4_results *res)
{
	enum v4_status w = v4_results_worst(res);
	char *mode = cli->inv.replay ? xasprintf("replay of %s", cli->inv.replay)
				     : xstrdup(cli->o.transport == &v4_transport_local ? "local" : "ssh");
	if (v4_status_rank(w) > v4_status_rank(V4_WARN)) {
		struct v4_opts o = cli->o;
		struct v4_report r = {.nodes = nodes, .nn = nn, .checks = checks, .nc = nc, .res = res, .mode = mode};
		o.quiet = 1;
		o.color = 0;
		v4_report_text(stderr, &r, &o);
		fprintf(stderr, "v4check: snapshot not saved: the run is not healthy (%s); fix it, or leave "
				"out what you accept with --skip / --warn-only\n", v4_status_name(w));
		free(mode);
		return v4_exit_status(w);
	}
	cJSON *doc = v4_snapshot(nodes, nn, ctx, mode, time(NULL));
	int rc = 0;
	if (report_unreadable(doc)) {
		fputs("v4check: snapshot not saved: some values could not be read\n", stderr);
		rc = 3;
	} else {
		char *p = cJSON_Print(doc), *s = xasprintf("%s\n", p);
		cJSON_free(p);
		if (write_file_atomic(path, s, strlen(s), 0600)) {
			fprintf(stderr, "v4check: snapshot save %s: %s\n", path, strerror(errno));
			rc = V4_EXIT_INTERNAL;
		} else
			printf("snapshot of %d node%s (%s) written to %s\n",
			       cJSON_GetArraySize(cJSON_GetObjectItem(doc, "nodes")),
			       cJSON_GetArraySize(cJSON_GetObjectItem(doc, "nodes")) == 1 ? "" : "s", mode, path);
		free(s);
	}
	cJSON_Delete(doc);
	free(mode);
	return rc;
}

/* snapshot save FILE: probes every check (and the snapshot's facts), judges,
 * and writes the snapshot when nothing is worse than WARN. */
static int run_snapshot(struct v4_cli *cli)
{
	struct v4_config cfg;
	struct v4_node *nodes;
	size_t nn;
	if (cli->nargs != 2 || strcmp(cli->args[0], "save") != 0)
		return usage_error("snapshot takes: save FILE");
	if (cli->o.fix || cli->o.baseline)
		return usage_error("snapshot save takes no --fix or --baseline");
	if (cli_setup(cli, &cfg, &nodes, &nn))
		return V4_EXIT_USAGE;
	const struct v4_check *checks[65];
	size_t nc = cli_checks(cli, checks, V4_ARRAY_LEN(checks) - 1);
	struct v4_ctx ctx = {.cfg = &cfg, .now = time(NULL), .phase = cli->o.phase};
	struct v4_results res = {0};
	checks[nc] = &snapshot_probes;
	struct v4_run probe = {nodes, nn, checks, nc + 1, &ctx, &cli->o, 0, NULL, 0};
	v4_probe_nodes(&probe);
	struct v4_run run = {nodes, nn, checks, nc, &ctx, &cli->o, probe.deadline, NULL, 0};
	v4_evaluate(&run, &res);
	int rc = save(cli, cli->args[1], nodes, nn, checks, nc, &ctx, &res);
	v4_results_free(&res);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	v4_config_free(&cfg);
	return rc;
}

/* ---- diff ---- */

/* The report's nodes: those of the new snapshot, then those only in the old. */
static struct v4_node *diff_nodes(const cJSON *a, const cJSON *b, size_t *nn)
{
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(a, "nodes");
	const cJSON *nb = cJSON_GetObjectItemCaseSensitive(b, "nodes"), *x;
	struct v4_node *v = xcalloc((size_t)(cJSON_GetArraySize(na) + cJSON_GetArraySize(nb)) + 1, sizeof *v);
	*nn = 0;
	for (int pass = 0; pass < 2; pass++)
		cJSON_ArrayForEach(x, (pass ? na : nb)) {
			if (pass && cJSON_HasObjectItem(nb, x->string))
				continue;
			const cJSON *rank = cJSON_GetObjectItemCaseSensitive(x, "rank");
			v[*nn].name = xstrdup(x->string);
			v[*nn].host = xstrdup(x->string);
			v[*nn].rank = cJSON_IsNumber(rank) ? rank->valueint : -1;
			(*nn)++;
		}
	return v;
}

/* diff OLD NEW: the drift findings between two snapshots, in -o's format. */
static int run_diff(struct v4_cli *cli)
{
	struct v4_config cfg;
	char *err = NULL;
	cJSON *a = NULL, *b = NULL;
	int rc = V4_EXIT_USAGE;
	if (cli->nargs != 2)
		return usage_error("diff takes two snapshot files: OLD NEW");
	if (v4_config_load(cli->config, &cfg, &err)) {
		fprintf(stderr, "v4check: %s\n", err);
		free(err);
		return V4_EXIT_USAGE;
	}
	if (!(a = load_snapshot(cli->args[0], &err)) || !(b = load_snapshot(cli->args[1], &err))) {
		fprintf(stderr, "v4check: diff: %s\n", err);
	} else {
		size_t nn;
		struct v4_node *nodes = diff_nodes(a, b, &nn);
		struct v4_results res = {0};
		const struct v4_check *checks[] = {&v4_check_drift};
		struct v4_ctx ctx = {.cfg = &cfg, .now = time(NULL), .phase = cli->o.phase};
		v4_drift_compare(a, b, &ctx, 1, &res);
		char *mode = xasprintf("diff of %s and %s", cli->args[0], cli->args[1]);
		struct v4_report r = {.nodes = nodes, .nn = nn, .checks = checks, .nc = 1, .res = &res, .mode = mode};
		rc = v4_report(stdout, &r, &cli->o);
		if (cli->o.html_file && v4_report_html_file(cli->o.html_file, &r)) {
			fprintf(stderr, "v4check: --html %s: %s\n", cli->o.html_file, strerror(errno));
			rc = rc ? rc : V4_EXIT_INTERNAL;
		}
		free(mode);
		v4_results_free(&res);
		for (size_t i = 0; i < nn; i++)
			v4_node_free(&nodes[i]);
		free(nodes);
	}
	free(err);
	cJSON_Delete(a);
	cJSON_Delete(b);
	v4_config_free(&cfg);
	return rc;
}

const struct v4_cmd v4_cmd_snapshot = {"snapshot", "save FILE", "record a healthy cluster", run_snapshot};
const struct v4_cmd v4_cmd_diff = {"diff", "OLD NEW", "what differs between two snapshots", run_diff};
