/* The runner: probes nodes in parallel, evaluates checks, plans and applies
 * fixes. It is handed the checks to run; it knows no check and no tool. */
#ifndef V4_RUN_H
#define V4_RUN_H

#include "opts.h"
#include "v4.h"

/* One run: the nodes, the checks handed to it, what evaluation may read and
 * the options. deadline is fixed when probing first starts and holds for the
 * whole run (probes, fixes and the probes after them). */
struct v4_run {
	struct v4_node *nodes;
	size_t nn;
	const struct v4_check *const *checks;
	size_t nc;
	const struct v4_ctx *ctx;
	const struct v4_opts *o;
	double deadline; /* absolute monotonic ms of --deadline; 0 none */
	const struct v4_left *left; /* checks --budget left out: SKIP results */
	size_t nleft;
};

/* A check the --budget plan left out, and why. */
struct v4_left {
	const struct v4_check *check;
	char *why;
};

/* The checks of all[0..nall) chosen by o->only, o->skip and o->tier, in table order. */
size_t v4_select_checks(const struct v4_check *const *all, size_t nall, const struct v4_opts *o,
			const struct v4_check **out, size_t max);

/* Plans --budget: keeps the checks of checks[0..n) that fit in budget_ms on nn
 * nodes (fanout at a time), quick before standard before deep and cheapest
 * first within a tier, compacted in table order; returns how many. The others
 * go to left (room for n; caller frees each why) with the reason. */
size_t v4_plan_budget(const struct v4_check **checks, size_t n, int budget_ms, size_t nn,
		      int fanout, struct v4_left *left, size_t *nleft);

/* Probes every node (bounded by o->fanout) for what the checks need. Nodes
 * that cannot be opened are marked unreachable with the reason. */
void v4_probe_nodes(struct v4_run *r);

/* Cuts n's facts to what the checks read of them (each probe's reduce hook,
 * for facts that ran to completion). v4_probe_nodes does it after each probe
 * round, except for a replayed capture. */
void v4_reduce_facts(const struct v4_run *r, struct v4_node *n);

/* Runs the given probes on one open connection of node n, at most jobs at a
 * time: per-device ordering, busy retries, timeouts, the run deadline. Facts
 * are appended to n. */
void v4_run_probes(const struct v4_run *r, void *conn, struct v4_node *n,
		   const struct v4_probe *ps, size_t np, int jobs);

/* Evaluates the checks over the nodes; results in check order. */
void v4_evaluate(const struct v4_run *r, struct v4_results *out);
/* Restates c's results from first on as the config asks (c->restate; done by
 * v4_evaluate before --skip and --warn-only). */
void v4_restate_config(const struct v4_check *c, const struct v4_ctx *ctx, struct v4_results *out,
		       size_t first);

/* Plans fixes of the checks that can fix; pure. */
void v4_plan_fixes(const struct v4_run *r, struct v4_fixplan *plan);

/* One applied fix command and what came of it. */
struct v4_fix_done {
	char *node, *cmd, *output;
	int ok;
	int refused; /* not run: reason in output */
};
struct v4_fix_log {
	struct v4_fix_done *v;
	size_t n, cap;
};
void v4_fix_log_free(struct v4_fix_log *l);

/* Applies plan on the nodes, o->fix_fanout nodes at a time, one command at a
 * time per node; each command is logged (o->fix_log, else syslog). */
void v4_apply_fixes(const struct v4_run *r, const struct v4_fixplan *plan,
		    struct v4_fix_log *log);

/* Appends a result that no check's table declares (UNREACHABLE); for the
 * runner and for merged reports only. */
void v4_result_add(struct v4_results *r, const char *check, const char *node, enum v4_status st,
		   const char *code, const char *message);

/* Worst state of the results. */
enum v4_status v4_results_worst(const struct v4_results *r);

#endif
