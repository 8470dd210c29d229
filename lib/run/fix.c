/* Fixes: planned by the checks (pure), applied through the run's transport
 * a node at a time per thread, each command logged. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "pool.h"
#include "run.h"
#include "transport.h"

void v4_plan_fixes(const struct v4_run *r, struct v4_fixplan *plan)
{
	struct v4_node **live = xcalloc(r->nn ? r->nn : 1, sizeof *live);
	size_t nl = 0;
	for (size_t i = 0; i < r->nn; i++)
		if (!r->nodes[i].unreachable)
			live[nl++] = &r->nodes[i];
	for (size_t i = 0; i < r->nc && nl; i++)
		if (r->checks[i]->fix)
			r->checks[i]->fix(r->checks[i], live, nl, r->ctx, plan);
	free(live);
}

void v4_fix_log_free(struct v4_fix_log *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].node);
		free(l->v[i].cmd);
		free(l->v[i].output);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* What the fix threads share. */
struct fixwork {
	const struct v4_run *r;
	const struct v4_fixplan *plan;
	struct v4_fix_log *log;
	pthread_mutex_t mu; /* guards log */
};

/* Appends one line to the fix log (file or syslog). */
static void log_fix(const struct v4_opts *o, const struct v4_fix_done *d)
{
	const char *res = d->refused ? "refused" : d->ok ? "ok" : "failed";
	if (o->fix_log) {
		FILE *f = fopen(o->fix_log, "a");
		if (f) {
			time_t t = time(NULL);
			char ts[32];
			strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
			fprintf(f, "%s node=%s result=%s cmd=%s\n", ts, d->node, res, d->cmd);
			fclose(f);
		}
		return;
	}
	syslog(LOG_NOTICE, "fix node=%s result=%s cmd=%s", d->node, res, d->cmd);
}

/* Adds an entry to the shared log under its lock. */
static void record(struct fixwork *fw, struct v4_fix_done d)
{
	pthread_mutex_lock(&fw->mu);
	grow(&fw->log->v, &fw->log->cap, fw->log->n + 1, sizeof d);
	fw->log->v[fw->log->n++] = d;
	log_fix(fw->r->o, &d);
	pthread_mutex_unlock(&fw->mu);
}

/* Why a planned command must not run, or NULL. */
static const char *refusal(const struct v4_fix_cmd *c, const struct v4_opts *o)
{
	if (c->refused)
		return c->refused;
	if (c->cls == V4_FIX_DISRUPTIVE && !o->yes)
		return "disruptive fix: run with --fix --yes to allow it";
	return NULL;
}

/* Runs one planned command on an open connection and records it. */
static void apply_one(struct fixwork *fw, void *conn, struct v4_node *n, const struct v4_fix_cmd *c)
{
	struct v4_probe p = {.device = -1, .flags = V4_PROBE_MUTATES};
	snprintf(p.id, sizeof p.id, "fix");
	p.cmd = xstrdup(c->cmd);
	struct v4_node tmp = {.name = n->name, .host = n->host};
	v4_run_probes(fw->r, conn, &tmp, &p, 1, 1);
	struct v4_fact *f = &tmp.facts[0];
	struct v4_fix_done d = {xstrdup(n->name), xstrdup(c->cmd), NULL, 0, 0};
	d.ok = f->state == V4_FACT_OK && f->exit_code == 0;
	d.output = d.ok ? xstrndup(f->out, strcspn(f->out, "\n"))
			: xasprintf("%s", f->reason ? f->reason : (f->err && *f->err ? f->err : f->out));
	record(fw, d);
	v4_node_clear_facts(&tmp);
	free(tmp.facts);
	free(p.cmd);
}

/* Applies the plan's commands for node i, one at a time (a pool job). */
static void fix_node(void *arg, size_t i)
{
	struct fixwork *fw = arg;
	const struct v4_transport *t = fw->r->o->transport;
	struct v4_node *n = &fw->r->nodes[i];
	void *conn = NULL;
	for (size_t k = 0; k < fw->plan->n; k++) {
		const struct v4_fix_cmd *c = &fw->plan->v[k];
		if (strcmp(c->node, n->name) != 0)
			continue;
		const char *why = refusal(c, fw->r->o);
		if (why) {
			record(fw, (struct v4_fix_done){xstrdup(n->name), xstrdup(c->cmd), xstrdup(why), 0, 1});
			continue;
		}
		char *err = NULL;
		if (!conn && !(conn = t->open(n, fw->r->o, &err))) {
			record(fw, (struct v4_fix_done){xstrdup(n->name), xstrdup(c->cmd), err, 0, 0});
			return;
		}
		apply_one(fw, conn, n, c);
	}
	if (conn)
		t->close(conn);
}

void v4_apply_fixes(const struct v4_run *r, const struct v4_fixplan *plan,
		    struct v4_fix_log *log)
{
	struct fixwork fw = {r, plan, log, PTHREAD_MUTEX_INITIALIZER};
	if (!r->o->fix_log)
		openlog("v4check", LOG_PID, LOG_USER);
	v4_pool_for(r->nn, r->o->fix_fanout, fix_node, &fw);
}
