/* Probing: every node opened (a pool job each), asked for by the checks in
 * rounds until they want nothing new, and closed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The probes of a node that have a reduce hook, by id. */
struct reducers {
	struct v4_probe *v;
	size_t n, cap;
};

/* Notes the probes of ps that carry a reduce hook. */
static void note_reducers(struct reducers *rd, const struct v4_probes *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].reduce) {
			grow(&rd->v, &rd->cap, rd->n + 1, sizeof *rd->v);
			rd->v[rd->n++] = ps->v[i];
		}
}

/* Cuts each reducible fact of n (that ran to completion) to what the
 * checks read of it. */
static void reduce_facts(const struct reducers *rd, struct v4_node *n)
{
	for (size_t i = 0; i < rd->n; i++)
		for (size_t k = 0; k < n->nfacts; k++) {
			struct v4_fact *f = &n->facts[k];
			if (f->state == V4_FACT_OK && f->out && strcmp(f->id, rd->v[i].id) == 0)
				rd->v[i].reduce(f, n);
		}
}

/* Bytes the node's facts hold (texts and the fact array). */
static size_t facts_bytes(const struct v4_node *n)
{
	size_t b = n->capfacts * sizeof *n->facts;
	for (size_t i = 0; i < n->nfacts; i++) {
		const struct v4_fact *f = &n->facts[i];
		b += f->out_len + f->err_len + 2;
		b += (f->id ? strlen(f->id) + 1 : 0) + (f->cmd ? strlen(f->cmd) + 1 : 0);
		b += f->reason ? strlen(f->reason) + 1 : 0;
	}
	return b;
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
	struct reducers rd = {0};
	for (int round = 0; round < MAX_ROUNDS; round++) {
		struct v4_probes ps = {0};
		wanted_probes(r, n, &ps);
		if (ps.n)
			v4_run_probes(r, conn, n, ps.v, ps.n, r->o->node_jobs);
		note_reducers(&rd, &ps);
		free(ps.v);
		if (!ps.n)
			break;
	}
	t->close(conn);
	size_t before = facts_bytes(n);
	if (!t->recorded) /* a capture is replayed as it was taken */
		reduce_facts(&rd, n);
	free(rd.v);
	if (r->o->verbose)
		fprintf(stderr, "v4check: %s: %zu probes in %.0f ms, facts %.1f KiB (%.1f KiB as read)\n",
			n->name, n->nfacts, now_ms() - t0, facts_bytes(n) / 1024.0, before / 1024.0);
}

void v4_probe_nodes(struct v4_run *r)
{
	if (r->o->deadline_ms > 0 && r->deadline == 0)
		r->deadline = now_ms() + r->o->deadline_ms;
	v4_pool_for(r->nn, r->o->fanout, probe_node, r);
}
