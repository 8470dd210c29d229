/* Command-line front end: parsed options and the command table. */
#ifndef V4_CMD_H
#define V4_CMD_H

#include "checks.h"
#include "inventory.h"
#include "report.h"
#include "run.h"

struct v4_cli {
	struct v4_opts o;
	struct v4_inventory_req inv;
	const char *config;
	const char *out_arg; /* -o as given */
	int man;             /* list --man */
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
	v4_cmd_config, v4_cmd_snapshot, v4_cmd_diff;

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

/* Loads the config and builds the nodes; prints why and returns -1 on error. */
int cli_setup(struct v4_cli *cli, struct v4_config *cfg, struct v4_node **nodes, size_t *nn);

/* The checks of the table that the options select, in report order. */
size_t cli_checks(const struct v4_cli *cli, const struct v4_check **out, size_t max);

#endif
