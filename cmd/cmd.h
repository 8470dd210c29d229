/* Command-line front end: parsed options and the command table. */
#ifndef V4_CMD_H
#define V4_CMD_H

#include "checks.h"
#include "inventory.h"
#include "report.h"
#include "run.h"

/* The default places of the config and the API key (make sysconfdir=...). */
#ifndef V4_SYSCONFDIR
#define V4_SYSCONFDIR "/etc"
#endif
#define V4_CONFIG_DEFAULT V4_SYSCONFDIR "/v4check/v4check.conf"
#define V4_API_KEY_DEFAULT V4_SYSCONFDIR "/v4check/api.key"

struct v4_cli {
	struct v4_opts o;
	struct v4_inventory_req inv;
	const char *config;       /* -c */
	const char *config_check; /* config --check FILE */
	const char *out_arg; /* -o as given */
	int man;             /* list --man */
	int list_hosts;      /* --list-hosts */
	int color;           /* --color: V4_COLOR_AUTO (default), _ALWAYS, _NEVER */
	char **args;         /* after the command word */
	int nargs;
	const struct v4_tables *tables; /* main.c's */
};

struct v4_cmd {
	const char *name;
	const char *args;  /* for usage */
	const char *brief;
	int (*run)(struct v4_cli *cli);
};

extern const struct v4_cmd v4_cmd_all, v4_cmd_list, v4_cmd_explain, v4_cmd_collect, v4_cmd_merge,
	v4_cmd_config, v4_cmd_completion, v4_cmd_snapshot, v4_cmd_diff, v4_cmd_agent;

/* `v4check agent [--protocol N]`, before any option parsing (cmd_agent.c). */
int v4_agent_main(int argc, char **argv);

/* main.c's tables (the options, --help, the commands), handed to the
 * commands that print them (completion) through the cli. */
struct option;
struct v4_tables {
	const struct option *opts;
	const char *usage;
	const struct v4_cmd *const *cmds;
	size_t ncmds;
};

/* Runs the given checks over the inventory (probe, evaluate, fix, report). */
int v4_cmd_checks(struct v4_cli *cli, char **ids);

/* --baseline: loads and checks the snapshot into *doc (NULL without the
 * option); prints why and returns -1 when it is unusable (cmd_snapshot.c). */
int cli_baseline(const struct v4_cli *cli, cJSON **doc);
/* Appends the drift check to checks[0..*nc) when a baseline is given (and
 * drift is not in --skip). */
void cli_add_drift(const struct v4_opts *o, const cJSON *baseline, const struct v4_check **checks,
		   size_t *nc, size_t max);

/* Prints an error and returns the usage exit status. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The config file in force (NULL: the built-in one) and, in *why, where
 * that choice comes from: -c, V4CHECK_CONFIG, the capture, the default place. */
const char *cli_config_path(const struct v4_cli *cli, const char **why);

/* Loads the config in force (-v: says which); prints why and returns -1 on error. */
int cli_load_config(const struct v4_cli *cli, struct v4_config *cfg);
/* --list-hosts: prints the nodes a run would check, one a line. */
int v4_list_hosts(struct v4_cli *cli);
enum { V4_COLOR_AUTO, V4_COLOR_ALWAYS, V4_COLOR_NEVER };
/* Parses --color's word (auto, always, never) into *mode; -1 when it is none. */
int v4_color_mode(const char *when, int *mode);
/* 1 when text on fd is to be coloured under mode (see term.c). */
int v4_color_wanted(int mode, int fd);

/* 1 when argv asks for -o nagios. */
int v4_wants_nagios(int argc, char **argv);
/* Runs run(argc, argv) with stderr held aside: an exit status above 3 (usage,
 * config, internal) becomes "V4CHECK UNKNOWN - why" on stdout and 3. */
int v4_nagios_guard(int argc, char **argv, int (*run)(int, char **));

/* Loads the config and builds the nodes; prints why and returns -1 on error. */
int cli_setup(struct v4_cli *cli, struct v4_config *cfg, struct v4_node **nodes, size_t *nn);

/* The checks of the table that the options select, in report order. */
size_t cli_checks(const struct v4_cli *cli, const struct v4_check **out, size_t max);

#endif
