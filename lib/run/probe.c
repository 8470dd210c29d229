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
		if (!v4_fact(n, all.v[i].id)) { /* moved, its command with it */
			grow(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
			ps->v[ps->n++] = all.v[i];
			all.v[i].cmd = NULL;
		}
	v4_probes_free(&all);
}

void v4_reduce_facts(const struct v4_run *r, struct v4_node *n)
{
	struct v4_probes all = {0};
	for (size_t i = 0; i < r->nc; i++)
		if (r->checks[i]->probes)
			r->checks[i]->probes(r->checks[i], n, r->ctx, &all);
	for (size_t i = 0; i < all.n; i++) {
		if (!all.v[i].reduce)
			continue;
		for (size_t k = 0; k < n->nfacts; k++) {
			struct v4_fact *f = &n->facts[k];
			if (f->state != V4_FACT_OK || strcmp(f->id, all.v[i].id) != 0)
				continue;
			v4_fact_unpack(f); /* a packed copy would give the texts before the cut */
			if (f->out)
				all.v[i].reduce(f, n);
		}
	}
	v4_probes_free(&all);
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
	size_t cut = 0; /* bytes the reductions took off */
	for (int round = 0; round < MAX_ROUNDS; round++) {
		struct v4_probes ps = {0};
		wanted_probes(r, n, &ps);
		if (ps.n)
			v4_run_probes(r, conn, n, ps.v, ps.n, r->o->node_jobs);
		if (ps.n && !t->recorded) { /* a capture is replayed as it was taken */
			size_t b0 = v4_node_facts_bytes(n);
			v4_reduce_facts(r, n); /* before the next round's checks read them */
			cut += b0 - v4_node_facts_bytes(n);
		}
		size_t wanted = ps.n;
		v4_probes_free(&ps);
		if (!wanted)
			break;
	}
	t->close(conn);
	v4_node_pack_facts(n); /* its probing is over: the checks open what they read */
	if (r->o->verbose)
		fprintf(stderr, "v4check: %s: %zu probes in %.0f ms (%s%s%zu remote scripts), facts %.1f KiB "
			"(%.1f KiB as read)\n", n->name, n->nfacts, now_ms() - t0,
			v4_node_mode_name(n->mode) ? v4_node_mode_name(n->mode) : "",
			v4_node_mode_name(n->mode) ? ", " : "", n->scripts,
			v4_node_facts_bytes(n) / 1024.0, (v4_node_facts_bytes(n) + cut) / 1024.0);
}

void v4_probe_nodes(struct v4_run *r)
{
	if (r->o->deadline_ms > 0 && r->deadline == 0)
		r->deadline = now_ms() + r->o->deadline_ms;
	v4_pool_for(r->nn, r->o->fanout, probe_node, r);
}
