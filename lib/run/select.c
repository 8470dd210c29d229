/* Which checks a run takes: --only, --skip and --tier over the table it is
 * handed, and the --budget plan. */
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Expected cost of opening a node and its first probe round, ms (an SSH
 * connection and the NPU listing most checks wait for). */
#define NODE_OVERHEAD_MS 500

size_t v4_select_checks(const struct v4_check *const *all, size_t nall, const struct v4_opts *o,
			const struct v4_check **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < nall && n < max; i++) {
		const struct v4_check *c = all[i];
		if (o->only && !str_in_list(o->only, c->id))
			continue;
		if (!o->only && o->tier && (int)c->tier > o->tier)
			continue;
		if (!str_in_list(o->skip, c->id))
			out[n++] = c;
	}
	return n;
}

/* The order the plan takes checks in: tier, then cost, then table order. */
static int plan_before(const struct v4_check *a, size_t ia, const struct v4_check *b, size_t ib)
{
	if (a->tier != b->tier)
		return a->tier < b->tier;
	if (a->cost_ms != b->cost_ms)
		return a->cost_ms < b->cost_ms;
	return ia < ib;
}

/* Indexes of checks[0..n) in plan order (caller frees). */
static size_t *plan_order(const struct v4_check **checks, size_t n)
{
	size_t *ix = xcalloc(n ? n : 1, sizeof *ix);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && plan_before(checks[i], i, checks[ix[j - 1]], ix[j - 1]); j--)
			ix[j] = ix[j - 1];
		ix[j] = i;
	}
	return ix;
}

size_t v4_plan_budget(const struct v4_check **checks, size_t n, int budget_ms, size_t nn,
		      int fanout, struct v4_left *left, size_t *nleft)
{
	size_t waves = fanout > 0 && nn > 0 ? (nn + (size_t)fanout - 1) / (size_t)fanout : 1;
	double used = NODE_OVERHEAD_MS, room = (double)budget_ms / (double)waves;
	size_t *ix = plan_order(checks, n);
	char *keep = xcalloc(n ? n : 1, 1);
	*nleft = 0;
	for (size_t k = 0; k < n; k++) {
		const struct v4_check *c = checks[ix[k]];
		if (used + c->cost_ms <= room) {
			used += c->cost_ms;
			keep[ix[k]] = 1;
			continue;
		}
		left[*nleft].check = c;
		left[(*nleft)++].why = xasprintf(
			"left out by --budget %d: expected %.1f s a node (%s tier), %.1f s of the "
			"budget left after the cheaper checks",
			budget_ms / 1000, c->cost_ms / 1000.0, v4_tier_name(c->tier),
			room > used ? (room - used) / 1000.0 : 0.0);
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			checks[m++] = checks[i];
	free(ix);
	free(keep);
	return m;
}
