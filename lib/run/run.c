/* The runner: probes nodes in parallel over one connection each, evaluates
 * the checks, plans and applies fixes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "http.h"
#include "parse.h"
#include "run.h"

#define MAX_ROUNDS 4
#define BUSY_RETRIES 5

/* 1 when id is in the NULL-terminated list. */
static int in_list(char *const *list, const char *id)
{
	for (; list && *list; list++)
		if (strcmp(*list, id) == 0)
			return 1;
	return 0;
}

size_t v4_select_checks(const struct v4_opts *o, const struct v4_check **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < v4_ncheck && n < max; i++) {
		const struct v4_check *c = v4_checks[i];
		if (o->only && !in_list(o->only, c->id))
			continue;
		if (!in_list(o->skip, c->id))
			out[n++] = c;
	}
	return n;
}

/* ---- one node's probe scheduler ---- */

struct slot {
	const struct v4_probe *p;
	void *job;
	double started;
	double at0; /* controller's clock when it (or its batch) started */
	int killed;
	int attempts;
	double not_before; /* busy back-off */
	int state;         /* 0 pending, 1 running, 2 done */
	struct batch *b;   /* the batch it runs in, or NULL */
	int alone;         /* a batch did not deliver it: it runs on its own */
};

/* Probes running as one remote script (batch.h). */
struct batch {
	void *job;
	struct slot *m[V4_BATCH_MAX];
	size_t n;
	int timeout_s, killed;
	double started, limit_ms;
	char nonce[V4_BATCH_NONCE_LEN + 1];
};

struct sched {
	const struct v4_transport *t;
	void *conn;
	struct v4_node *n;
	const struct v4_opts *o;
	struct slot *s;
	size_t ns;
	int jobs, running;
	double deadline; /* absolute ms, 0 none */
};

static double run_deadline_ms; /* absolute monotonic ms of --deadline, 0 none */

/* 1 when another running slot holds device d. */
static int device_busy(const struct sched *sc, int d)
{
	if (d < 0)
		return 0;
	for (size_t i = 0; i < sc->ns; i++)
		if (sc->s[i].state == 1 && sc->s[i].p->device == d)
			return 1;
	return 0;
}

/* Records a fact for slot s that never ran or failed to start. */
static void fail_slot(struct sched *sc, struct slot *s, enum v4_fact_state st, const char *why)
{
	struct v4_fact *f = v4_node_add_fact(sc->n);
	f->id = xstrdup(s->p->id);
	f->cmd = xstrdup(s->p->cmd);
	f->out = xstrdup("");
	f->err = xstrdup("");
	f->state = st;
	f->exit_code = -1;
	f->reason = xstrdup(why);
	f->attempts = s->attempts;
	s->state = 2;
}

/* Runs an HTTP probe at once (they are short and bounded by the timeout). */
static void run_http(struct sched *sc, struct slot *s)
{
	struct v4_fact *f = v4_node_add_fact(sc->n);
	f->id = xstrdup(s->p->id);
	f->cmd = xstrdup(s->p->cmd);
	double t0 = now_ms();
	v4_http_probe(sc->n, sc->o, s->p->cmd, f);
	f->ms = now_ms() - t0;
	f->attempts = 1;
	s->state = 2;
}

/* The time a probe started now may run: --timeout, cut to what the run
 * deadline leaves, so that remote processes never outlive the run. */
static int probe_timeout(const struct sched *sc, double now)
{
	int ms = sc->o->timeout_ms;
	if (sc->deadline > 0 && sc->deadline - now < ms)
		ms = sc->deadline - now < 1 ? 1 : (int)(sc->deadline - now);
	return ms;
}

/* 1 when slot s may run in a batch of device d's probes (-1: no device). */
static int batchable(const struct slot *s, int d, double now)
{
	return s->state == 0 && s->p->device == d && !s->alone && s->not_before <= now &&
	       !(s->p->flags & (V4_PROBE_HTTP | V4_PROBE_MUTATES));
}

/* How many probes a batch of device d takes: all of an NPU's; of the
 * others, a share that keeps the free job slots busy. */
static size_t batch_size(const struct sched *sc, size_t i, int d, double now)
{
	if (d >= 0)
		return V4_BATCH_MAX;
	size_t ready = 0, slots = (size_t)(sc->jobs - sc->running);
	for (size_t k = i; k < sc->ns; k++)
		ready += batchable(&sc->s[k], d, now);
	size_t want = slots ? (ready + slots - 1) / slots : ready;
	return want < V4_BATCH_MAX ? want : V4_BATCH_MAX;
}

/* Starts slot i with other ready probes (of its NPU, or a share of the
 * rest) as one batch; 0 when there is nothing to batch (the caller starts it
 * alone). Not under a run deadline: each command's remote timeout must end
 * within the run. */
static int start_batch(struct sched *sc, size_t i, double now)
{
	int d = sc->s[i].p->device;
	if (!sc->t->remote || sc->deadline > 0 || !batchable(&sc->s[i], d, now))
		return 0;
	struct batch *b = xcalloc(1, sizeof *b);
	size_t want = batch_size(sc, i, d, now);
	for (size_t k = i; k < sc->ns && b->n < want; k++)
		if (batchable(&sc->s[k], d, now))
			b->m[b->n++] = &sc->s[k];
	if (b->n < 2) {
		free(b);
		return 0;
	}
	const char *cmds[V4_BATCH_MAX];
	for (size_t k = 0; k < b->n; k++)
		cmds[k] = b->m[k]->p->cmd;
	int ms = sc->o->timeout_ms;
	b->timeout_s = ms < 1000 ? 1 : (ms + 999) / 1000;
	b->limit_ms = (double)b->n * b->timeout_s * 1000.0 + 2000.0;
	b->started = now;
	v4_batch_nonce(b->nonce);
	char *script = v4_batch_script(cmds, b->n, b->timeout_s, b->nonce), *err = NULL;
	b->job = sc->t->start(sc->conn, sc->s[i].p->id, script, 0, &err);
	free(script);
	for (size_t k = 0; k < b->n; k++) {
		struct slot *m = b->m[k];
		m->attempts++;
		if (!b->job) {
			fail_slot(sc, m, V4_FACT_FAILED, err ? err : "could not start");
			continue;
		}
		m->b = b;
		m->started = now;
		m->at0 = epoch_s();
		m->killed = 0;
		m->state = 1;
	}
	free(err);
	if (b->job)
		sc->running++;
	else
		free(b);
	return 1;
}

/* Starts whatever may start now. */
static void start_ready(struct sched *sc, double now)
{
	for (size_t i = 0; i < sc->ns && sc->running < sc->jobs; i++) {
		struct slot *s = &sc->s[i];
		if (s->state != 0 || s->not_before > now || device_busy(sc, s->p->device))
			continue;
		if ((s->p->flags & V4_PROBE_HTTP) && sc->t != &v4_transport_replay) {
			/* an HTTP probe blocks this thread: run it alone, so that its
			 * wait never counts against another probe's timeout */
			if (sc->running)
				continue;
			run_http(sc, s);
			now = now_ms();
			continue;
		}
		if (start_batch(sc, i, now))
			continue;
		char *err = NULL;
		s->attempts++;
		s->job = sc->t->start(sc->conn, s->p->id, s->p->cmd, probe_timeout(sc, now), &err);
		if (!s->job) {
			fail_slot(sc, s, V4_FACT_FAILED, err ? err : "could not start");
			free(err);
			continue;
		}
		s->started = now;
		s->at0 = epoch_s();
		s->killed = 0;
		s->state = 1;
		sc->running++;
	}
}

/* Adds to a missing tool's reason the places it was looked for. */
static void notfound_where(const struct sched *sc, struct v4_fact *f)
{
	const char *dirs = sc->o->tool_path && *sc->o->tool_path ? sc->o->tool_path : NULL;
	const char *path = getenv("PATH");
	char *r;
	if (f->state != V4_FACT_NOTFOUND || sc->t == &v4_transport_replay)
		return;
	if (sc->t->remote)
		r = xasprintf("%s (looked in the node's login PATH%s%s)", f->reason ? f->reason : "not found",
			      dirs ? ", then " : "", dirs ? dirs : "");
	else
		r = xasprintf("%s (looked in %s%s%s)", f->reason ? f->reason : "not found",
			      path && *path ? path : "(no PATH)", dirs ? ":" : "", dirs ? dirs : "");
	free(f->reason);
	f->reason = r;
}

/* Stores a collected fact, or requeues a busy hccn_tool call. */
static void finish_slot(struct sched *sc, struct slot *s, struct v4_fact *f)
{
	s->job = NULL;
	if (s->killed) {
		f->state = V4_FACT_TIMEOUT;
		free(f->reason);
		f->reason = s->killed == 2
			? xasprintf("stopped after %.0f s: run deadline reached", (now_ms() - s->started) / 1000.0)
			: xasprintf("timed out after %.0f s", sc->o->timeout_ms / 1000.0);
	} else if ((s->p->flags & V4_PROBE_RETRY_BUSY) && s->attempts < BUSY_RETRIES &&
		   (v4_hccn_busy(f->out, f->out_len) || v4_hccn_busy(f->err, f->err_len))) {
		v4_fact_free(f);
		s->state = 0;
		s->not_before = now_ms() + 200.0 * s->attempts;
		return;
	}
	f->attempts = s->attempts;
	notfound_where(sc, f);
	if (sc->t->remote) {
		f->at0 = s->at0;
		f->at1 = epoch_s();
	}
	struct v4_fact *dst = v4_node_add_fact(sc->n);
	*dst = *f;
	if (!dst->id)
		dst->id = xstrdup(s->p->id);
	if (!dst->cmd)
		dst->cmd = xstrdup(s->p->cmd);
	s->state = 2;
}

/* Hands out a finished batch's facts; what it did not deliver (killed,
 * cut, connection lost) goes back to the queue to run on its own. */
static void finish_batch(struct sched *sc, struct batch *b, struct v4_fact *f)
{
	struct v4_fact parts[V4_BATCH_MAX] = {{0}};
	size_t got = v4_batch_split(f->out, f->out_len, f->err, f->err_len, b->nonce, b->n,
				    b->timeout_s, parts);
	for (size_t k = 0; k < b->n; k++) {
		struct slot *m = b->m[k];
		m->b = NULL;
		if (k < got) {
			finish_slot(sc, m, &parts[k]);
		} else {
			m->state = 0;
			m->alone = 1;
			m->attempts--;
		}
	}
	v4_fact_free(f);
	free(b);
}

/* Collects a batch when done; kills it when past all its commands' time. */
static void reap_batch(struct sched *sc, struct batch *b, double now)
{
	struct v4_fact f = {0};
	if (sc->t->collect(sc->conn, b->job, &f)) {
		sc->running--;
		finish_batch(sc, b, &f);
	} else if (!b->killed && now - b->started > b->limit_ms) {
		sc->t->kill(sc->conn, b->job);
		b->killed = 1;
	}
}

/* Collects finished jobs and kills those past their time. */
static void reap(struct sched *sc, double now)
{
	for (size_t i = 0; i < sc->ns; i++) {
		struct slot *s = &sc->s[i];
		if (s->state != 1)
			continue;
		if (s->b) {
			if (s == s->b->m[0])
				reap_batch(sc, s->b, now);
			continue;
		}
		struct v4_fact f = {0};
		if (sc->t->collect(sc->conn, s->job, &f)) {
			sc->running--;
			finish_slot(sc, s, &f);
			continue;
		}
		int late = now - s->started > sc->o->timeout_ms;
		int over = sc->deadline > 0 && now > sc->deadline;
		if (!s->killed && (late || over)) {
			sc->t->kill(sc->conn, s->job);
			s->killed = late ? 1 : 2; /* 2: the run deadline, not the probe timeout */
		}
	}
}

/* Marks pending slots skipped once the run deadline has passed. */
static int skip_after_deadline(struct sched *sc, double now)
{
	if (!(sc->deadline > 0 && now > sc->deadline))
		return 0;
	for (size_t i = 0; i < sc->ns; i++)
		if (sc->s[i].state == 0)
			fail_slot(sc, &sc->s[i], V4_FACT_SKIPPED, "run deadline reached before it ran");
	return 1;
}

/* 1 while any slot is not done. */
static int pending(const struct sched *sc)
{
	for (size_t i = 0; i < sc->ns; i++)
		if (sc->s[i].state != 2)
			return 1;
	return 0;
}

/* How long the scheduler may wait for the network: until the next probe
 * timeout, busy back-off or the run deadline, at most a second. Output and
 * ends of probes wake it earlier. */
static int next_wait_ms(const struct sched *sc, double now)
{
	double w = 1000;
	if (sc->deadline > 0 && sc->deadline - now < w)
		w = sc->deadline - now;
	for (size_t i = 0; i < sc->ns; i++) {
		const struct slot *s = &sc->s[i];
		double until = 0;
		if (s->state == 1 && (s->killed || (s->b && s->b->killed)))
			until = now + 20; /* killed: collected shortly */
		else if (s->state == 1)
			until = s->b ? s->b->started + s->b->limit_ms : s->started + sc->o->timeout_ms;
		else if (s->state == 0 && s->not_before > now)
			until = s->not_before;
		if (until > 0 && until - now < w)
			w = until - now;
	}
	return w < 1 ? 1 : (int)w + 1;
}

void v4_run_probes(const struct v4_transport *t, void *conn, struct v4_node *n,
		   const struct v4_probe *ps, size_t np, const struct v4_opts *o, int jobs)
{
	struct sched sc = {t, conn, n, o, xcalloc(np, sizeof(struct slot)), np,
			   jobs > 0 ? jobs : 1, 0, run_deadline_ms};
	for (size_t i = 0; i < np; i++)
		sc.s[i].p = &ps[i];
	while (pending(&sc)) {
		double now = now_ms();
		skip_after_deadline(&sc, now);
		start_ready(&sc, now);
		if (sc.running)
			t->pump(conn, next_wait_ms(&sc, now_ms()));
		else if (pending(&sc))
			usleep(1000 * (useconds_t)next_wait_ms(&sc, now_ms()));
		reap(&sc, now_ms());
	}
	free(sc.s);
}

/* ---- all nodes ---- */

struct pool {
	pthread_mutex_t mu;
	size_t next;
	struct v4_node *nodes;
	size_t nn;
	const struct v4_check *const *checks;
	size_t nc;
	const struct v4_ctx *ctx;
	const struct v4_opts *o;
};

/* The probes the checks still want from n (not yet in its facts). */
static void wanted_probes(struct pool *pl, struct v4_node *n, struct v4_probes *ps)
{
	struct v4_probes all = {0};
	for (size_t i = 0; i < pl->nc; i++)
		if (pl->checks[i]->probes)
			pl->checks[i]->probes(pl->checks[i], n, pl->ctx, &all);
	for (size_t i = 0; i < all.n; i++)
		if (!v4_fact(n, all.v[i].id)) {
			grow(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
			ps->v[ps->n++] = all.v[i];
		}
	free(all.v);
}

/* Opens one node and probes it in rounds until the checks want nothing new. */
static void probe_node(struct pool *pl, struct v4_node *n)
{
	const struct v4_transport *t = pl->o->transport;
	char *err = NULL;
	double t0 = now_ms();
	void *conn = t->open(n, pl->o, &err);
	n->connect_ms = now_ms() - t0;
	if (!conn) {
		n->unreachable = 1;
		free(n->reason);
		n->reason = err ? err : xstrdup("could not connect");
		return;
	}
	for (int round = 0; round < MAX_ROUNDS; round++) {
		struct v4_probes ps = {0};
		wanted_probes(pl, n, &ps);
		if (ps.n)
			v4_run_probes(t, conn, n, ps.v, ps.n, pl->o, pl->o->node_jobs);
		free(ps.v);
		if (!ps.n)
			break;
	}
	t->close(conn);
	if (pl->o->verbose)
		fprintf(stderr, "v4check: %s: %zu probes in %.0f ms\n", n->name, n->nfacts,
			now_ms() - t0);
}

/* Worker thread: takes nodes until none are left. */
static void *worker(void *arg)
{
	struct pool *pl = arg;
	for (;;) {
		pthread_mutex_lock(&pl->mu);
		size_t i = pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (i >= pl->nn)
			return NULL;
		probe_node(pl, &pl->nodes[i]);
	}
}

/* Runs fn over the pool with at most width threads. */
static void run_pool(struct pool *pl, int width, void *(*fn)(void *))
{
	size_t nt = (size_t)(width > 0 ? width : 1);
	if (nt > pl->nn)
		nt = pl->nn;
	if (nt <= 1) {
		fn(pl);
		return;
	}
	pthread_t *th = xcalloc(nt, sizeof *th);
	size_t started = 0;
	for (size_t i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, fn, pl) == 0)
			started++;
		else
			break;
	if (!started)
		fn(pl);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}

void v4_probe_nodes(struct v4_node *nodes, size_t nn, const struct v4_check *const *checks,
		    size_t nc, const struct v4_ctx *ctx, const struct v4_opts *o)
{
	struct pool pl = {PTHREAD_MUTEX_INITIALIZER, 0, nodes, nn, checks, nc, ctx, o};
	if (o->deadline_ms > 0 && run_deadline_ms == 0)
		run_deadline_ms = now_ms() + o->deadline_ms;
	run_pool(&pl, o->fanout, worker);
}

/* ---- evaluation ---- */

/* 1 when the result is demoted by --warn-only (its check or its code). */
static int demoted(const struct v4_opts *o, const struct v4_result *r)
{
	return (r->status == V4_FAIL || r->status == V4_ERROR) &&
	       (in_list(o->warn_only, r->check) || in_list(o->warn_only, r->code));
}

/* Evaluates one check and adds its results. */
static void eval_check(const struct v4_check *c, struct v4_node *nodes, size_t nn,
		       struct v4_node **live, const struct v4_ctx *ctx, const struct v4_opts *o,
		       struct v4_results *out)
{
	size_t nl = 0;
	for (size_t i = 0; i < nn; i++) {
		if (nodes[i].unreachable)
			v4_add(out, c->id, nodes[i].name, V4_UNREACHABLE, "UNREACHABLE", NULL, "%s",
			       nodes[i].reason ? nodes[i].reason : "unreachable");
		else
			live[nl++] = &nodes[i];
	}
	size_t first = out->n;
	if (nl && c->evaluate)
		c->evaluate(c, live, nl, ctx, out);
	for (size_t i = 0; c->evaluate_node && i < nl; i++)
		c->evaluate_node(c, live[i], ctx, out);
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

void v4_evaluate(struct v4_node *nodes, size_t nn, const struct v4_check *const *checks,
		 size_t nc, const struct v4_ctx *ctx, const struct v4_opts *o,
		 struct v4_results *out)
{
	struct v4_node **live = xcalloc(nn, sizeof *live);
	for (size_t i = 0; i < nc; i++)
		eval_check(checks[i], nodes, nn, live, ctx, o, out);
	free(live);
}

enum v4_status v4_results_worst(const struct v4_results *r)
{
	enum v4_status w = r->n ? r->v[0].status : V4_PASS;
	for (size_t i = 1; i < r->n; i++)
		w = v4_worst(w, r->v[i].status);
	return w;
}

/* ---- fixes ---- */

void v4_plan_fixes(struct v4_node *nodes, size_t nn, const struct v4_check *const *checks,
		   size_t nc, const struct v4_ctx *ctx, struct v4_fixplan *plan)
{
	struct v4_node **live = xcalloc(nn, sizeof *live);
	size_t nl = 0;
	for (size_t i = 0; i < nn; i++)
		if (!nodes[i].unreachable)
			live[nl++] = &nodes[i];
	for (size_t i = 0; i < nc && nl; i++)
		if (checks[i]->fix)
			checks[i]->fix(checks[i], live, nl, ctx, plan);
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

struct fixpool {
	struct pool pl;
	const struct v4_fixplan *plan;
	struct v4_fix_log *log;
};

/* Appends one line to the fix log (file or syslog). */
static void log_fix(const struct v4_opts *o, const struct v4_fix_done *d)
{
	if (o->fix_log) {
		FILE *f = fopen(o->fix_log, "a");
		if (f) {
			time_t t = time(NULL);
			char ts[32];
			strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
			fprintf(f, "%s node=%s result=%s cmd=%s\n", ts, d->node,
				d->refused ? "refused" : d->ok ? "ok" : "failed", d->cmd);
			fclose(f);
		}
		return;
	}
	syslog(LOG_NOTICE, "fix node=%s result=%s cmd=%s", d->node,
	       d->refused ? "refused" : d->ok ? "ok" : "failed", d->cmd);
}

/* Adds an entry to the shared log under the pool lock. */
static void record(struct fixpool *fp, struct v4_fix_done d)
{
	pthread_mutex_lock(&fp->pl.mu);
	grow(&fp->log->v, &fp->log->cap, fp->log->n + 1, sizeof d);
	fp->log->v[fp->log->n++] = d;
	log_fix(fp->pl.o, &d);
	pthread_mutex_unlock(&fp->pl.mu);
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
static void apply_one(struct fixpool *fp, void *conn, struct v4_node *n, const struct v4_fix_cmd *c)
{
	struct v4_probe p = {.device = -1, .flags = V4_PROBE_MUTATES};
	snprintf(p.id, sizeof p.id, "fix");
	snprintf(p.cmd, sizeof p.cmd, "%s", c->cmd);
	struct v4_node tmp = {.name = n->name, .host = n->host};
	v4_run_probes(fp->pl.o->transport, conn, &tmp, &p, 1, fp->pl.o, 1);
	struct v4_fact *f = &tmp.facts[0];
	struct v4_fix_done d = {xstrdup(n->name), xstrdup(c->cmd), NULL, 0, 0};
	d.ok = f->state == V4_FACT_OK && f->exit_code == 0;
	d.output = d.ok ? xstrndup(f->out, strcspn(f->out, "\n"))
			: xasprintf("%s", f->reason ? f->reason : (f->err && *f->err ? f->err : f->out));
	record(fp, d);
	v4_node_clear_facts(&tmp);
	free(tmp.facts);
}

/* Applies the plan's commands for node n, one at a time. */
static void fix_node(struct fixpool *fp, struct v4_node *n)
{
	void *conn = NULL;
	for (size_t i = 0; i < fp->plan->n; i++) {
		const struct v4_fix_cmd *c = &fp->plan->v[i];
		if (strcmp(c->node, n->name) != 0)
			continue;
		const char *why = refusal(c, fp->pl.o);
		if (why) {
			record(fp, (struct v4_fix_done){xstrdup(n->name), xstrdup(c->cmd), xstrdup(why), 0, 1});
			continue;
		}
		char *err = NULL;
		if (!conn && !(conn = fp->pl.o->transport->open(n, fp->pl.o, &err))) {
			record(fp, (struct v4_fix_done){xstrdup(n->name), xstrdup(c->cmd), err, 0, 0});
			return;
		}
		apply_one(fp, conn, n, c);
	}
	if (conn)
		fp->pl.o->transport->close(conn);
}

/* Fix worker thread. */
static void *fix_worker(void *arg)
{
	struct fixpool *fp = arg;
	for (;;) {
		pthread_mutex_lock(&fp->pl.mu);
		size_t i = fp->pl.next++;
		pthread_mutex_unlock(&fp->pl.mu);
		if (i >= fp->pl.nn)
			return NULL;
		fix_node(fp, &fp->pl.nodes[i]);
	}
}

void v4_apply_fixes(struct v4_node *nodes, size_t nn, const struct v4_fixplan *plan,
		    const struct v4_opts *o, struct v4_fix_log *log)
{
	struct fixpool fp = {{PTHREAD_MUTEX_INITIALIZER, 0, nodes, nn, NULL, 0, NULL, o}, plan, log};
	if (!o->fix_log)
		openlog("v4check", LOG_PID, LOG_USER);
	run_pool(&fp.pl, o->fix_fanout, fix_worker);
}
