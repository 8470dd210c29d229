/* Evaluation: each check judges the reachable nodes; --warn-only demotes. */
#include <stdlib.h>

#include "run.h"

/* 1 when the result is demoted by --warn-only (its check or its code). */
static int demoted(const struct v4_opts *o, const struct v4_result *r)
{
	return (r->status == V4_FAIL || r->status == V4_ERROR) &&
	       (str_in_list(o->warn_only, r->check) || str_in_list(o->warn_only, r->code));
}

/* Rewrites the results from first on that --warn-only demotes to WARN. */
static void demote(const struct v4_opts *o, struct v4_results *out, size_t first)
{
	for (size_t i = first; i < out->n; i++) {
		struct v4_result *r = &out->v[i];
		if (!demoted(o, r))
			continue;
		char *m = xasprintf("%s (%s, demoted to WARN by --warn-only)", r->message,
				    v4_status_name(r->status));
		free(r->message);
		r->message = m;
		r->status = V4_WARN;
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
			v4_add(out, c->id, n->name, V4_UNREACHABLE, "UNREACHABLE", NULL, "%s",
			       n->reason ? n->reason : "unreachable");
		else
			live[nl++] = n;
	}
	size_t first = out->n;
	if (nl && c->evaluate)
		c->evaluate(c, live, nl, r->ctx, out);
	for (size_t i = 0; c->evaluate_node && i < nl; i++)
		c->evaluate_node(c, live[i], r->ctx, out);
	demote(r->o, out, first);
}

void v4_evaluate(const struct v4_run *r, struct v4_results *out)
{
	struct v4_node **live = xcalloc(r->nn ? r->nn : 1, sizeof *live);
	for (size_t i = 0; i < r->nc; i++)
		eval_check(r, r->checks[i], live, out);
	free(live);
}

enum v4_status v4_results_worst(const struct v4_results *r)
{
	enum v4_status w = r->n ? r->v[0].status : V4_PASS;
	for (size_t i = 1; i < r->n; i++)
		w = v4_worst(w, r->v[i].status);
	return w;
}
