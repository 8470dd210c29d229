/* Command-line front end: parsed options and the command table. */
#ifndef V4_CMD_H
#define V4_CMD_H

#include "inventory.h"
#include "report.h"
#include "run.h"

struct v4_cli {
	struct v4_opts o;
	struct v4_inventory_req inv;
	const char *config;
	const char *out_arg; /* -o as given */
	int man;             /* list --man */
	int color;           /* --color: V4_COLOR_AUTO (default), _ALWAYS, _NEVER */
	char **args;         /* after the command word */
	int nargs;
};

struct v4_cmd {
	const char *name;
	const char *args;  /* for usage */
	const char *brief;
	int (*run)(struct v4_cli *cli);
};

extern const struct v4_cmd v4_cmd_all, v4_cmd_list, v4_cmd_explain, v4_cmd_collect, v4_cmd_merge,
	v4_cmd_config, v4_cmd_completion;

/* main.c's tables: the options, --help, the commands (for completion). */
struct option;
extern const struct option *const v4_long_opts;
extern const char *const v4_usage_text;
extern const struct v4_cmd *const *const v4_commands;
extern const size_t v4_ncommands;

/* Runs the given checks over the inventory (probe, evaluate, fix, report). */
int v4_cmd_checks(struct v4_cli *cli, char **ids);

/* Prints an error and returns the usage exit status. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

#endif
