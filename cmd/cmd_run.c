/* all, and CHECK [CHECK...]: probe, evaluate, fix, report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "http.h"
#include "state.h"
#include "transport.h"

/* Puts --api-url into the config as deployment.api_url (checks read the config). */
static void api_url_option(struct v4_config *cfg, const char *url)
{
	cJSON *d = cJSON_GetObjectItemCaseSensitive(cfg->json, "deployment");
	if (!url || !cfg->json)
		return;
	if (!cJSON_IsObject(d))
		d = cJSON_AddObjectToObject(cfg->json, "deployment");
	cJSON_DeleteItemFromObjectCaseSensitive(d, "api_url");
	cJSON_AddStringToObject(d, "api_url", url);
}

/* The API key file in force: --api-key-file, else systemd's credential
 * ($CREDENTIALS_DIRECTORY/api.key, LoadCredential=, when not empty), else config
 * api.key_file, else the default place when it exists; NULL: none. */
static const char *api_key_path(const struct v4_cli *cli, const struct v4_config *cfg)
{
	static char cred[4096];
	const char *dir = getenv("CREDENTIALS_DIRECTORY"), *p;
	if (cli->o.api_key_file)
		return cli->o.api_key_file;
	struct stat st;
	/* empty: the unit's SetCredential= default, the key file is missing */
	if (dir && *dir && snprintf(cred, sizeof cred, "%s/api.key", dir) < (int)sizeof cred &&
	    stat(cred, &st) == 0 && st.st_size > 0)
		return cred;
	if ((p = v4_cfg_str(cfg, "api.key_file", NULL)))
		return p;
	return access(V4_API_KEY_DEFAULT, F_OK) == 0 ? V4_API_KEY_DEFAULT : NULL;
}

/* Reads the key from path, only when no one but its owner may read it. */
static int read_key(const char *path, char **key)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "v4check: cannot read the API key file %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		fprintf(stderr, "v4check: the API key file %s has mode %04o: others may read it; "
				"not read (chmod 600 it)\n", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (read_file(path, 4096, key, NULL)) {
		fprintf(stderr, "v4check: cannot read the API key file %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Sets the API key for the http layer: V4CHECK_API_KEY when no file was
 * given with --api-key-file, else the file api_key_path names. The key is
 * never printed; errors name the file. */
static int api_key_setup(const struct v4_cli *cli, const struct v4_config *cfg)
{
	const char *env = getenv("V4CHECK_API_KEY"), *path;
	char *key = NULL;
	if (!cli->o.api_key_file && env && *env) {
		v4_http_set_api_key(env);
		return 0;
	}
	if (!(path = api_key_path(cli, cfg)))
		return 0;
	if (read_key(path, &key))
		return -1;
	key[strcspn(key, "\r\n")] = 0;
	if (!*key)
		fprintf(stderr, "v4check: warning: the API key file %s is empty\n", path);
	if (cli->o.verbose)
		fprintf(stderr, "v4check: API key from %s\n", path);
	v4_http_set_api_key(key);
	memset(key, 0, strlen(key));
	free(key);
	return 0;
}

/* --state: the changes since the last run (warns when the file is unusable). */
static cJSON *state_changes(const struct v4_opts *o, const struct v4_results *res)
{
	char *err = NULL;
	if (!o->state_file)
		return NULL;
	cJSON *ch = v4_state_update(o->state_file, res, time(NULL), &err);
	if (err)
		fprintf(stderr, "v4check: warning: --state %s\n", err);
	free(err);
	return ch;
}

/* Writes the report: --textfile (Prometheus text) and stdout in -o's format. */
static int emit(const struct v4_report *r, const struct v4_opts *o)
{
	int rc = v4_exit_status(v4_results_worst(r->res));
	if (o->textfile && v4_report_textfile(o->textfile, r)) {
		fprintf(stderr, "v4check: --textfile %s: %s\n", o->textfile, strerror(errno));
		rc = rc ? rc : V4_EXIT_INTERNAL;
	}
	if (o->html_file && v4_report_html_file(o->html_file, r)) {
		fprintf(stderr, "v4check: --html %s: %s\n", o->html_file, strerror(errno));
		rc = rc ? rc : V4_EXIT_INTERNAL;
	}
	if (o->textfile && o->format == V4_FMT_PROM)
		return rc;
	int frc = v4_report(stdout, r, o);
	return o->format == V4_FMT_NAGIOS || !rc ? frc : rc;
}

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
static void probe_eval(struct v4_run *run, struct v4_results *res)
{
	v4_probe_nodes(run);
	v4_evaluate(run, res);
}

/* Warns when applied commands would go to a syslog that is not there. */
static void warn_no_syslog(const struct v4_opts *o)
{
	struct stat st;
	if (!o->fix_log && (stat("/dev/log", &st) != 0 || !S_ISSOCK(st.st_mode)))
		fprintf(stderr, "v4check: warning: no syslog (/dev/log): applied commands are "
				"logged only in this report; use --fix-log FILE\n");
}

/* The fix flow: plan, show, apply (unless --dry-run), probe and judge again. */
static void fix_flow(struct v4_run *run, struct v4_results *res, struct v4_fixplan *plan,
		     struct v4_fix_log *log)
{
	const struct v4_opts *o = run->o;
	FILE *out = o->format == V4_FMT_TEXT ? stdout : stderr;
	v4_plan_fixes(run, plan);
	if (!o->quiet || o->dry_run)
		v4_print_plan(out, plan);
	fflush(out); /* the plan is out before anything changes */
	if (o->dry_run || !plan->n)
		return;
	warn_no_syslog(o);
	v4_apply_fixes(run, plan, log);
	for (size_t i = 0; i < run->nn; i++)
		v4_node_clear_facts(&run->nodes[i]);
	v4_results_free(res);
	probe_eval(run, res);
}

int v4_cmd_checks(struct v4_cli *cli, char **ids)
{
	struct v4_config cfg;
	struct v4_node *nodes;
	size_t nn;
	double t0 = epoch_s();
	if (ids)
		cli->o.only = ids;
	for (char **p = ids; p && *p; p++)
		if (strcmp(*p, "drift") == 0 && !cli->o.baseline)
			return usage_error("drift compares with a snapshot: give --baseline FILE");
	if (cli_setup(cli, &cfg, &nodes, &nn))
		return V4_EXIT_USAGE;
	api_url_option(&cfg, cli->o.api_url);
	cJSON *baseline = NULL;
	if ((!cli->inv.replay && api_key_setup(cli, &cfg)) || cli_baseline(cli, &baseline)) {
		for (size_t i = 0; i < nn; i++)
			v4_node_free(&nodes[i]);
		free(nodes);
		v4_config_free(&cfg);
		return V4_EXIT_USAGE;
	}
	const struct v4_check *checks[64], *shown[64];
	struct v4_left left[64];
	size_t nleft = 0, nc = cli_checks(cli, checks, V4_ARRAY_LEN(checks));
	cli_add_drift(&cli->o, baseline, checks, &nc, V4_ARRAY_LEN(checks));
	size_t nshown = nc;
	memcpy(shown, checks, nc * sizeof *checks); /* the report lists the left-out too */
	if (cli->o.budget_ms) {
		nc = v4_plan_budget(checks, nc, cli->o.budget_ms, nn, cli->o.fanout, left, &nleft);
		if (!cli->o.deadline_ms) /* what the plan misjudged is cut, not run over */
			cli->o.deadline_ms = cli->o.budget_ms;
	}
	struct v4_ctx ctx = {&cfg, time(NULL), cli->o.phase, cli->o.fix, baseline, cli->o.tier};
	struct v4_results res = {0};
	struct v4_fixplan plan = {0};
	struct v4_fix_log log = {0};
	struct v4_run run = {nodes, nn, checks, nc, &ctx, &cli->o, 0, left, nleft};
	probe_eval(&run, &res);
	if (cli->o.fix)
		fix_flow(&run, &res, &plan, &log);
	char *mode = mode_text(cli, nn);
	cJSON *changes = state_changes(&cli->o, &res);
	struct v4_report r = {.nodes = nodes, .nn = nn, .checks = shown, .nc = nshown, .res = &res,
			      .plan = cli->o.fix ? &plan : NULL, .fixlog = cli->o.fix ? &log : NULL,
			      .mode = mode, .with_facts = cli->o.facts, .changes = changes,
			      .started = t0, .duration_s = epoch_s() - t0, .ctx = &ctx,
			      /* a node's own report is mergeable as it is */
			      .with_raw = cli->o.transport == &v4_transport_local};
	int rc = emit(&r, &cli->o);
	v4_http_set_api_key(NULL);
	cJSON_Delete(changes);
	cJSON_Delete(baseline);
	free(mode);
	v4_results_free(&res);
	for (size_t i = 0; i < nleft; i++)
		free(left[i].why);
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
