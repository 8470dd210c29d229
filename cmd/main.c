/* v4check: preflight and health checks for vLLM-Ascend DeepSeek-V4 clusters. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const struct v4_cmd *const commands[] = {
	&v4_cmd_all, &v4_cmd_list, &v4_cmd_explain, &v4_cmd_collect, &v4_cmd_merge,
	&v4_cmd_config, &v4_cmd_completion, &v4_cmd_snapshot, &v4_cmd_diff, &v4_cmd_agent,
};

static const char usage_text[] =
	"usage: v4check [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  all                 run every check\n"
	"  CHECK [CHECK...]    run the named checks (see `v4check list`)\n"
	"  list                list the checks: id, whether it can fix, title\n"
	"  explain CHECK       symptom, cause and fix of a check\n"
	"  config              print the configuration in force (-c, V4CHECK_CONFIG,\n"
	"                      else " V4_CONFIG_DEFAULT " when it exists, else built-in)\n"
	"  config --check FILE validate a config file (syntax, types, unknown keys)\n"
	"  collect -o DIR      capture every probe's raw output for --replay\n"
	"  merge FILE...       judge per-node `--local -o json` reports as one run\n"
	"  snapshot save FILE  record a healthy cluster (versions, env, hccn.conf, ...) as JSON\n"
	"  diff OLD NEW        what differs between two snapshots (drift findings)\n"
	"  completion bash|zsh print the shell completion script\n"
	"  agent               serve a controller's probes on this node (run over SSH by\n"
	"                      --agent; see v4check-agent(7))\n"
	"\n"
	"where:\n"
	"  -H, --hosts LIST          nodes over SSH, in rank order (node[01-04],198.18.0.[11-14]);\n"
	"                            also ^FILE (one host list a line), @GROUP, @SOURCE:GROUP\n"
	"                            (ClusterShell groups) and the operators ! & ^ of nodeset\n"
	"  -x, --exclude LIST        leave these nodes out (same syntax)\n"
	"      --groups FILE         ClusterShell groups.conf or group YAML file for @GROUP\n"
	"                            (default: V4CHECK_GROUPS, else ClusterShell's own)\n"
	"      --list-hosts          print the nodes, one a line, and stop\n"
	"  -c, --config FILE         nodes, SSH and deployment settings (v4check.conf(5))\n"
	"      --local               this machine only (the default without -H or -c)\n"
	"      --node NAME           with --local: this machine is config node NAME\n"
	"      --replay DIR          evaluate a capture written by `collect`; run nothing\n"
	"what:\n"
	"      --skip ID|CHECK:CODE,...  leave these checks or findings out\n"
	"      --warn-only ID|CHECK:CODE,...  demote a check or one finding to WARN\n"
	"      --phase pre|live      before deploy (default) or against a running service\n"
	"      --baseline FILE       also report every difference from this snapshot (drift)\n"
	"      --tier quick|standard|deep  which checks by cost (default standard; see list)\n"
	"      --budget SEC          plan what fits in SEC, cheapest and most valuable first;\n"
	"                            the rest SKIP with OVER_BUDGET (also the --deadline)\n"
	"output:\n"
	"  -o, --output FORMAT       text (default), json, prom, nagios, junit or html\n"
	"      --textfile PATH       also write Prometheus text there atomically (node_exporter)\n"
	"      --html FILE           also write the HTML page (cluster map, findings) there\n"
	"      --state FILE          report what changed since the run that wrote FILE\n"
	"      --facts               with -o json: add every node's raw probe output (for merge)\n"
	"      --junit-warn failure|system-err  -o junit: a WARN as a failure (default) or\n"
	"                            passing with its lines in <system-err>\n"
	"      --color WHEN          colour the text report: auto (default: on a terminal,\n"
	"                            NO_COLOR unset or empty, TERM not dumb), always, never\n"
	"  -q, --quiet               only what is not PASS\n"
	"  -v, --verbose             evidence and progress\n"
	"api (--phase live):\n"
	"      --api-url URL         rank 0's API (default http://<rank-0 host>:<api_port>)\n"
	"      --api-key-file FILE   the API key (else config api.key_file or V4CHECK_API_KEY)\n"
	"fix:\n"
	"      --fix                 repair what the checks can, then check again\n"
	"      --dry-run             with --fix: print the plan, change nothing\n"
	"      --yes                 with --fix: allow disruptive fixes (docker restart)\n"
	"      --fix-fanout N        nodes changed at once (default 1)\n"
	"      --fix-log FILE        log applied commands here (default: syslog)\n"
	"time and fan-out:\n"
	"  -t, --timeout SEC         per probe (default 10)\n"
	"      --connect-timeout SEC per SSH connection (default 5)\n"
	"      --deadline SEC        for the whole run (default none)\n"
	"      --fanout N            nodes in flight (default 64)\n"
	"ssh:\n"
	"  -l, --user USER           login name (default: ssh config, else root in the config)\n"
	"  -p, --port PORT           port (default 22)\n"
	"  -i, --identity FILE       private key (passphrase: ssh-agent or V4CHECK_KEY_PASSPHRASE)\n"
	"      --known-hosts FILE    host keys (default ~/.ssh/known_hosts)\n"
	"      --accept-new-host-keys  add unknown host keys (a changed key is always refused)\n"
	"  -F, --ssh-config FILE     ssh client config (default ~/.ssh/config)\n"
	"      --agent auto|never|require  run the probes through v4check agent on the\n"
	"                            node where it answers with this version (auto, the\n"
	"                            default; else agentless), never, or only (else the\n"
	"                            node is UNREACHABLE)\n"
	"\n"
	"  -V, --version             print the version\n"
	"  -h, --help                print this help\n"
	"\n"
	"exit status: 0 all pass, 1 worst is WARN, 2 a FAIL, 3 something could not be\n"
	"checked (ERROR/UNREACHABLE) and nothing failed, 64 usage error, 70 internal error.\n";

enum {
	O_LOCAL = 256, O_REPLAY, O_SKIP, O_WARN_ONLY, O_PHASE, O_FIX, O_DRY_RUN, O_YES,
	O_FIX_FANOUT, O_FIX_LOG, O_CONNECT_TIMEOUT, O_DEADLINE, O_FANOUT, O_KNOWN_HOSTS,
	O_ACCEPT_NEW, O_MAN, O_FACTS, O_NODE, O_API_URL, O_API_KEY_FILE, O_STATE, O_TEXTFILE,
	O_CHECK,
	O_GROUPS, O_LIST_HOSTS,
	O_JUNIT_WARN, O_COLOR,
	O_HTML, O_BASELINE,
	O_TIER, O_BUDGET, O_AGENT,
};

static const struct option long_opts[] = {
	{"hosts", required_argument, NULL, 'H'},
	{"exclude", required_argument, NULL, 'x'},
	{"config", required_argument, NULL, 'c'},
	{"local", no_argument, NULL, O_LOCAL},
	{"replay", required_argument, NULL, O_REPLAY},
	{"skip", required_argument, NULL, O_SKIP},
	{"warn-only", required_argument, NULL, O_WARN_ONLY},
	{"phase", required_argument, NULL, O_PHASE},
	{"tier", required_argument, NULL, O_TIER},
	{"budget", required_argument, NULL, O_BUDGET},
	{"output", required_argument, NULL, 'o'},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"fix", no_argument, NULL, O_FIX},
	{"dry-run", no_argument, NULL, O_DRY_RUN},
	{"yes", no_argument, NULL, O_YES},
	{"fix-fanout", required_argument, NULL, O_FIX_FANOUT},
	{"fix-log", required_argument, NULL, O_FIX_LOG},
	{"timeout", required_argument, NULL, 't'},
	{"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
	{"deadline", required_argument, NULL, O_DEADLINE},
	{"fanout", required_argument, NULL, O_FANOUT},
	{"user", required_argument, NULL, 'l'},
	{"port", required_argument, NULL, 'p'},
	{"identity", required_argument, NULL, 'i'},
	{"known-hosts", required_argument, NULL, O_KNOWN_HOSTS},
	{"accept-new-host-keys", no_argument, NULL, O_ACCEPT_NEW},
	{"ssh-config", required_argument, NULL, 'F'},
	{"agent", required_argument, NULL, O_AGENT},
	{"man", no_argument, NULL, O_MAN},
	{"facts", no_argument, NULL, O_FACTS},
	{"node", required_argument, NULL, O_NODE},
	{"api-url", required_argument, NULL, O_API_URL},
	{"api-key-file", required_argument, NULL, O_API_KEY_FILE},
	{"state", required_argument, NULL, O_STATE},
	{"textfile", required_argument, NULL, O_TEXTFILE},
	{"check", required_argument, NULL, O_CHECK},
	{"groups", required_argument, NULL, O_GROUPS},
	{"list-hosts", no_argument, NULL, O_LIST_HOSTS},
	{"junit-warn", required_argument, NULL, O_JUNIT_WARN},
	{"color", required_argument, NULL, O_COLOR},
	{"html", required_argument, NULL, O_HTML},
	{"baseline", required_argument, NULL, O_BASELINE},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* The tables, for `completion` (cmd_completion.c). */
static const struct v4_tables tables = {long_opts, usage_text, commands, V4_ARRAY_LEN(commands)};

/* Parses a whole number in [lo, hi]; -1 when it is not one. */
static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Splits "a,b,c" into a NULL-terminated list (never freed: lives for the run). */
static char **split_list(const char *s)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	char **v = xcalloc(n + 1, sizeof *v);
	size_t k = 0;
	for (const char *p = s;;) {
		size_t l = strcspn(p, ",");
		if (l)
			v[k++] = xstrndup(p, l);
		if (!p[l])
			break;
		p += l + 1;
	}
	return v;
}

/* Applies a seconds option to *ms. */
static int seconds(const char *name, const char *arg, int *ms)
{
	long v;
	if (number(arg, 1, 86400, &v))
		return usage_error("%s takes whole seconds from 1 to 86400, not '%s'", name, arg);
	*ms = (int)(v * 1000);
	return 0;
}

/* Applies a count option to *out. */
static int count(const char *name, const char *arg, long hi, int *out)
{
	long v;
	if (number(arg, 1, hi, &v))
		return usage_error("%s takes a whole number from 1 to %ld, not '%s'", name, hi, arg);
	*out = (int)v;
	return 0;
}

/* Handles one option of the "where / what / output" groups. */
static int opt_main(struct v4_cli *cli, int c, const char *arg)
{
	struct v4_opts *o = &cli->o;
	switch (c) {
	case 'H': cli->inv.hosts = arg; return 0;
	case 'x': cli->inv.exclude = arg; return 0;
	case 'c': cli->config = arg; cli->inv.from_config = 1; return 0;
	case O_LOCAL: cli->inv.local = 1; return 0;
	case O_REPLAY: cli->inv.replay = arg; return 0;
	case O_SKIP: o->skip = split_list(arg); return 0;
	case O_WARN_ONLY: o->warn_only = split_list(arg); return 0;
	case O_PHASE:
		if (strcmp(arg, "pre") && strcmp(arg, "live"))
			return usage_error("--phase is pre or live, not '%s'", arg);
		o->phase = strcmp(arg, "live") == 0 ? V4_PHASE_LIVE : V4_PHASE_PRE;
		return 0;
	case O_TIER: {
		enum v4_tier t;
		if (v4_tier_parse(arg, &t))
			return usage_error("--tier is quick, standard or deep, not '%s'", arg);
		o->tier = (int)t;
		return 0;
	}
	case O_BUDGET: return seconds("--budget", arg, &o->budget_ms);
	case 'o': cli->out_arg = arg; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'v': o->verbose++; return 0;
	case O_MAN: cli->man = 1; return 0;
	case O_FACTS: o->facts = 1; return 0;
	case O_NODE: cli->inv.node = arg; cli->inv.local = 1; return 0;
	case O_API_URL: o->api_url = arg; return 0;
	case O_API_KEY_FILE: o->api_key_file = arg; return 0;
	case O_STATE: o->state_file = arg; return 0;
	case O_TEXTFILE: o->textfile = arg; return 0;
	case O_CHECK: cli->config_check = arg; return 0;
	case O_GROUPS: cli->inv.groups = arg; return 0;
	case O_LIST_HOSTS: cli->list_hosts = 1; return 0;
	case O_JUNIT_WARN:
		if (strcmp(arg, "failure") && strcmp(arg, "system-err"))
			return usage_error("--junit-warn is failure or system-err, not '%s'", arg);
		o->junit_warn_syserr = !strcmp(arg, "system-err");
		return 0;
	case O_COLOR:
		if (v4_color_mode(arg, &cli->color))
			return usage_error("--color is auto, always or never, not '%s'", arg);
		return 0;
	case O_HTML: o->html_file = arg; return 0;
	case O_BASELINE: o->baseline = arg; return 0;
	}
	return 1;
}

/* Handles one option of the "fix / time / ssh" groups. */
static int opt_run(struct v4_cli *cli, int c, const char *arg)
{
	struct v4_opts *o = &cli->o;
	switch (c) {
	case O_FIX: o->fix = 1; return 0;
	case O_DRY_RUN: o->dry_run = 1; return 0;
	case O_YES: o->yes = 1; return 0;
	case O_FIX_FANOUT: return count("--fix-fanout", arg, 4096, &o->fix_fanout);
	case O_FIX_LOG: o->fix_log = arg; return 0;
	case 't': return seconds("--timeout", arg, &o->timeout_ms);
	case O_CONNECT_TIMEOUT: return seconds("--connect-timeout", arg, &o->connect_timeout_ms);
	case O_DEADLINE: return seconds("--deadline", arg, &o->deadline_ms);
	case O_FANOUT: return count("--fanout", arg, 4096, &o->fanout);
	case 'l': o->user = arg; return 0;
	case 'p': return count("--port", arg, 65535, &o->port);
	case 'i': o->identity = arg; return 0;
	case O_KNOWN_HOSTS: o->known_hosts = arg; return 0;
	case O_ACCEPT_NEW: o->accept_new_host_keys = 1; return 0;
	case 'F': o->ssh_config = arg; return 0;
	case O_AGENT:
		if (v4_agent_mode_parse(arg, &o->agent))
			return usage_error("--agent is auto, never or require, not '%s'", arg);
		return 0;
	}
	return usage_error("unknown option");
}

/* Parses argv into cli; returns 0, or an exit status to leave with. */
static int parse_args(struct v4_cli *cli, int argc, char **argv, int *done)
{
	int c;
	while ((c = getopt_long(argc, argv, "+H:x:c:o:qvt:l:p:i:F:Vh", long_opts, NULL)) != -1) {
		if (c == 'V' || c == 'h') {
			fputs(c == 'V' ? "v4check " V4_VERSION "\n" : usage_text, stdout);
			*done = 1;
			return 0;
		}
		if (c == '?')
			return V4_EXIT_USAGE;
		int rc = opt_main(cli, c, optarg);
		if (rc == 1)
			rc = opt_run(cli, c, optarg);
		if (rc)
			return rc;
	}
	return 0;
}

/* Options may follow the command word too: parse in two passes. */
static int parse_all(struct v4_cli *cli, int argc, char **argv, const char **cmd, int *done)
{
	int rc = parse_args(cli, argc, argv, done);
	if (rc || *done)
		return rc;
	if (optind >= argc)
		return cli->list_hosts ? 0 : usage_error("no command given");
	*cmd = argv[optind];
	int rest = argc - optind;
	char **av = argv + optind;
	optind = 0; /* GNU getopt: start afresh on the new vector */
	cli->args = xcalloc((size_t)rest + 1, sizeof *cli->args);
	while (optind < rest) {
		if ((rc = parse_args(cli, rest, av, done)) || *done)
			return rc;
		if (optind < rest)
			cli->args[cli->nargs++] = av[optind++];
	}
	return 0;
}

/* Resolves -o into a format (collect takes it as a folder instead). */
static int output_format(struct v4_cli *cli, const char *cmd)
{
	static const char *const names[] = {"text", "json", "prom", "nagios", "junit", "html"};
	if (!cli->out_arg || strcmp(cmd, "collect") == 0)
		return 0;
	for (size_t i = 0; i < V4_ARRAY_LEN(names); i++)
		if (strcmp(cli->out_arg, names[i]) == 0) {
			cli->o.format = (enum v4_format)i;
			return 0;
		}
	return usage_error("-o takes text, json, prom, nagios, junit or html, not '%s'", cli->out_arg);
}

/* Checks that every word of an --skip / --warn-only list names a check or a
 * finding (CHECK:CODE, or a code only one check declares). */
static int names_valid(const char *opt, char *const *list)
{
	const struct v4_check *known[64];
	size_t nk = v4_checks_known(known, V4_ARRAY_LEN(known));
	for (; list && *list; list++) {
		char *err = NULL;
		if (v4_name_valid(*list, known, nk, 1, &err) == 0)
			continue;
		int rc = usage_error("%s %s (see v4check list -o json)", opt, err);
		free(err);
		return rc;
	}
	return 0;
}

/* Checks option combinations that make no sense. */
static int validate(const struct v4_cli *cli, const char *cmd)
{
	const struct v4_opts *o = &cli->o;
	int rc;
	if ((rc = names_valid("--skip", o->skip)) || (rc = names_valid("--warn-only", o->warn_only)))
		return rc;
	if (cli->inv.replay && (cli->inv.hosts || cli->inv.local))
		return usage_error("--replay evaluates a capture: it takes no -H or --local");
	if (cli->inv.replay && o->fix && !o->dry_run)
		return usage_error("--fix cannot change a capture (use --fix --dry-run to see the plan)");
	if (cli->inv.local && cli->inv.hosts)
		return usage_error("--local and -H exclude each other");
	if ((o->dry_run || o->yes) && !o->fix)
		return usage_error("--dry-run and --yes go with --fix");
	if (cli->config_check && strcmp(cmd, "config"))
		return usage_error("--check goes with the config command");
	return 0;
}

/* Parses the command line and runs the command; returns the exit status. */
static int run_main(int argc, char **argv)
{
	static struct v4_cli cli; /* static: what it owns lives as long as the process */
	const char *cmd = NULL;
	int done = 0;
	v4_opts_defaults(&cli.o);
	cli.tables = &tables;
	int rc = parse_all(&cli, argc, argv, &cmd, &done);
	if (rc || done)
		return rc;
	if ((rc = output_format(&cli, cmd)) || (rc = validate(&cli, cmd)))
		return rc;
	cli.o.color = cli.o.format == V4_FMT_TEXT && v4_color_wanted(cli.color, 1);
	if (cli.list_hosts)
		return v4_list_hosts(&cli);
	for (size_t i = 0; i < V4_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i]->name, cmd) == 0)
			return commands[i]->run(&cli);
	if (v4_check_find(cmd)) {
		char **ids = xcalloc((size_t)cli.nargs + 2, sizeof *ids);
		ids[0] = (char *)cmd;
		for (int i = 0; i < cli.nargs; i++) {
			if (!v4_check_find(cli.args[i]))
				return usage_error("no check '%s' (see v4check list)", cli.args[i]);
			ids[i + 1] = cli.args[i];
		}
		return v4_cmd_checks(&cli, ids);
	}
	return usage_error("no command or check '%s'", cmd);
}

int main(int argc, char **argv)
{
	/* one thread per node in flight: without a cap, glibc gives each its own
	 * malloc arena, and peak memory grows with the fan-out */
	mallopt(M_ARENA_MAX, 2);
	if (argc > 1 && strcmp(argv[1], "agent") == 0)
		return v4_agent_main(argc - 1, argv + 1);
	if (v4_wants_nagios(argc, argv))
		return v4_nagios_guard(argc, argv, run_main);
	return run_main(argc, argv);
}
