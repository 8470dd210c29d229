/* Probing: every node opened (a pool job each), asked for by the checks in
 * rounds until they want nothing new, and closed. */
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"
#include "run.h"
#include "transport.h"

#define MAX_ROUNDS 4

/* The probes the checks still want from n (not yet in its facts). */
static void wanted_probes(const struct v4_run *r, struct v4_node *n, struct v4_probes *ps)
{
	struct v4_probes all = {0};
	for (size_t i = 0; i < r->nc; i++)
		if (r->checks[i]->probes)
			r->checks[i]->probes(r->checks[i], n, r->ctx, &all);
	for (size_t i = 0; i < all.n; i++)
		if (!v4_fact(n, all.v[i].id)) {
			grow(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
			ps->v[ps->n++] = all.v[i];
		}
	free(all.v);
}

/* Opens node i and probes it in rounds (a pool job). */
static void probe_node(void *arg, size_t i)
{
	const struct v4_run *r = arg;
	const struct v4_transport *t = r->o->transport;
	struct v4_node *n = &r->nodes[i];
	char *err = NULL;
	double t0 = now_ms();
	void *conn = t->open(n, r->o, &err);
	n->connect_ms = now_ms() - t0;
	if (!conn) {
		n->unreachable = 1;
		free(n->reason);
		n->reason = err ? err : xstrdup("could not connect");
		return;
	}
	for (int round = 0; round < MAX_ROUNDS; round++) {
		struct v4_probes ps = {0};
		wanted_probes(r, n, &ps);
		if (ps.n)
			v4_run_probes(r, conn, n, ps.v, ps.n, r->o->node_jobs);
		free(ps.v);
		if (!ps.n)
			break;
	}
	t->close(conn);
	if (r->o->verbose)
		fprintf(stderr, "v4check: %s: %zu probes in %.0f ms\n", n->name, n->nfacts,
			now_ms() - t0);
}

void v4_probe_nodes(struct v4_run *r)
{
	if (r->o->deadline_ms > 0 && r->deadline == 0)
		r->deadline = now_ms() + r->o->deadline_ms;
	v4_pool_for(r->nn, r->o->fanout, probe_node, r);
}
