/* Evaluation: each check judges the reachable nodes; the config (a check's
 * restate), then --skip and --warn-only restate the findings they name. */
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Rewrites a result's status, saying why in its message. */
static void restate(struct v4_result *r, enum v4_status st, const char *why)
{
	char *m = xasprintf("%s (%s, %s)", r->message, v4_status_name(r->status), why);
	free(r->message);
	r->message = m;
	r->status = st;
}

/* Restates the results from first on: findings named by --skip become SKIP,
 * FAIL and ERROR named by --warn-only (check or finding) become WARN. */
static void restate_named(const struct v4_opts *o, struct v4_results *out, size_t first)
{
	for (size_t i = first; i < out->n; i++) {
		struct v4_result *r = &out->v[i];
		if (strcmp(r->code, "OK") != 0 && v4_names_match(o->skip, r->check, r->code))
			restate(r, V4_SKIP, "skipped by --skip");
		else if ((r->status == V4_FAIL || r->status == V4_ERROR) &&
			 v4_names_match(o->warn_only, r->check, r->code))
			restate(r, V4_WARN, "demoted to WARN by --warn-only");
	}
}

void v4_restate_config(const struct v4_check *c, const struct v4_ctx *ctx,
			   struct v4_results *out, size_t first)
{
	for (size_t i = first; c->restate && i < out->n; i++) {
		const char *why = NULL;
		enum v4_status st = c->restate(c, ctx, &out->v[i], &why);
		if (st != out->v[i].status)
			restate(&out->v[i], st, why ? why : "restated by the config");
	}
}

/* Evaluates one check and adds its results; live has room for every node. */
static void eval_check(const struct v4_run *r, const struct v4_check *c, struct v4_node **live,
		       struct v4_results *out)
{
	size_t nl = 0;
	for (size_t i = 0; i < r->nn; i++) {
		struct v4_node *n = &r->nodes[i];
		if (n->unreachable)
			v4_result_add(out, c->id, n->name, V4_UNREACHABLE, "UNREACHABLE",
				      n->reason ? n->reason : "unreachable");
		else
			live[nl++] = n;
	}
	size_t first = out->n;
	struct v4_rep h = {c, "cluster", r->ctx, out};
	if (nl && c->evaluate)
		c->evaluate(&h, live, nl);
	for (size_t i = 0; c->evaluate_node && i < nl; i++) {
		struct v4_rep hn = v4_rep_at(&h, live[i]);
		c->evaluate_node(&hn, live[i]);
	}
	v4_restate_config(c, r->ctx, out, first);
	restate_named(r->o, out, first);
	v4_results_pack(out, first); /* a thousand nodes' evidence trees would not fit */
	for (size_t i = 0; i < nl; i++) /* the facts it opened are packed again */
		v4_node_close_facts(live[i]);
}

void v4_evaluate(const struct v4_run *r, struct v4_results *out)
{
	struct v4_node **live = xcalloc(r->nn ? r->nn : 1, sizeof *live);
	for (size_t i = 0; i < r->nc; i++)
		eval_check(r, r->checks[i], live, out);
	for (size_t i = 0; i < r->nleft; i++)
		v4_result_add(out, r->left[i].check->id, "cluster", V4_SKIP, "OVER_BUDGET",
			      r->left[i].why);
	free(live);
}

enum v4_status v4_results_worst(const struct v4_results *r)
{
	enum v4_status w = r->n ? r->v[0].status : V4_PASS;
	for (size_t i = 1; i < r->n; i++)
		w = v4_worst(w, r->v[i].status);
	return w;
}
