/* One node's probe scheduler: keeps up to the node's job slots busy over one
 * connection, runs probes of one device one at a time, retries busy probes
 * after a back-off, kills probes past their timeout and skips what the run
 * deadline leaves no time for. Over a remote transport every probe runs in
 * a batch (batch.h): this file watches each command's end marker as the
 * output streams, kills the batch's process group when a command stalls,
 * records that probe as timed out and queues the rest again. A node in agent
 * mode (`v4check agent` on it, ssh.c) runs each probe on its own, as this
 * machine does: the agent spawns it, and a kill is a frame to the agent. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "http.h"
#include "run.h"
#include "transport.h"

#define BUSY_RETRIES 5
#define BATCH_SLACK_S 5 /* a batch's own bound: its commands' time and this */

enum slot_state { SLOT_PENDING, SLOT_RUNNING, SLOT_DONE };

/* Why a running job was killed. KILL_CUT: a batch's output reached the
 * size limit, so the end markers after it could not be seen. */
enum kill_cause { KILL_NONE, KILL_TIMEOUT, KILL_DEADLINE, KILL_CUT };

/* One probe of the node and where it is. */
struct slot {
	const struct v4_probe *p;
	void *job;
	double started;    /* when it started (in a batch: when its command did) */
	double at0, at1;   /* controller's clock around it; at1 0: at collection */
	enum kill_cause killed;
	int attempts;
	double not_before; /* busy back-off */
	enum slot_state state;
	struct batch *b;   /* the batch it runs in, or NULL */
	int alone;         /* a batch did not deliver it: it runs on its own */
};

/* Probes running as one remote script (batch.h). */
struct batch {
	void *job;
	struct slot *m[V4_BATCH_MAX];
	size_t n;
	size_t ended;  /* commands whose end marker has come */
	size_t scan;   /* where the marker search goes on */
	enum kill_cause killed;
	double started;
	char nonce[V4_BATCH_NONCE_LEN + 1];
};

/* One node's scheduler. */
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

/* 1 when another running slot holds device d. */
static int device_busy(const struct sched *sc, int d)
{
	if (d < 0)
		return 0;
	for (size_t i = 0; i < sc->ns; i++)
		if (sc->s[i].state == SLOT_RUNNING && sc->s[i].p->device == d)
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
	s->state = SLOT_DONE;
}

/* Runs an HTTP probe at once (they are short and bounded by the timeout). */
static void run_http(struct sched *sc, struct slot *s)
{
	struct v4_fact *f = v4_node_add_fact(sc->n);
	f->id = xstrdup(s->p->id);
	f->cmd = xstrdup(s->p->cmd);
	double t0 = now_ms();
	v4_http_probe(sc->o, s->p->cmd, f);
	f->ms = now_ms() - t0;
	f->attempts = 1;
	s->state = SLOT_DONE;
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
	return s->state == SLOT_PENDING && s->p->device == d && !s->alone && s->not_before <= now &&
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
	return want < 1 ? 1 : want < V4_BATCH_MAX ? want : V4_BATCH_MAX;
}

/* The bound of a batch's script in whole seconds: each command's timeout
 * and some slack, cut to what the run deadline leaves (and the slack). */
static int batch_limit_s(const struct sched *sc, size_t n, double now)
{
	int t = sc->o->timeout_ms < 1000 ? 1 : (sc->o->timeout_ms + 999) / 1000;
	double s = (double)n * t + BATCH_SLACK_S;
	if (sc->deadline > 0 && (sc->deadline - now) / 1000.0 + BATCH_SLACK_S < s)
		s = (sc->deadline - now) / 1000.0 + BATCH_SLACK_S;
	return s < 1 ? 1 : (int)s + 1;
}

/* Marks the members of a started batch running. */
static void batch_members_run(struct batch *b, double now)
{
	double at = epoch_s();
	for (size_t k = 0; k < b->n; k++) {
		struct slot *m = b->m[k];
		m->attempts++;
		m->b = b;
		m->started = now;
		m->at0 = at;
		m->at1 = 0;
		m->killed = KILL_NONE;
		m->state = SLOT_RUNNING;
	}
}

/* Starts slot i over a remote transport as a batch: with other ready probes
 * (of its NPU, or a share of the rest) when it may be batched, else alone. */
static void start_batch(struct sched *sc, size_t i, double now)
{
	int d = sc->s[i].p->device;
	struct batch *b = xcalloc(1, sizeof *b);
	b->m[b->n++] = &sc->s[i];
	if (batchable(&sc->s[i], d, now)) {
		size_t want = batch_size(sc, i, d, now);
		for (size_t k = i + 1; k < sc->ns && b->n < want; k++)
			if (batchable(&sc->s[k], d, now))
				b->m[b->n++] = &sc->s[k];
	}
	const char *cmds[V4_BATCH_MAX];
	for (size_t k = 0; k < b->n; k++)
		cmds[k] = b->m[k]->p->cmd;
	b->started = now;
	v4_batch_nonce(b->nonce);
	char *script = v4_batch_script(cmds, b->n, batch_limit_s(sc, b->n, now), b->nonce);
	char *err = NULL;
	b->job = sc->t->start(sc->conn, sc->s[i].p->id, script, 0, &err);
	free(script);
	if (!b->job) {
		for (size_t k = 0; k < b->n; k++) {
			b->m[k]->attempts++;
			fail_slot(sc, b->m[k], V4_FACT_FAILED, err ? err : "could not start");
		}
		free(err);
		free(b);
		return;
	}
	batch_members_run(b, now);
	sc->running++;
	sc->n->scripts++;
}

/* Starts one probe on its own (a transport that runs on this machine). */
static void start_single(struct sched *sc, struct slot *s, double now)
{
	char *err = NULL;
	s->attempts++;
	s->job = sc->t->start(sc->conn, s->p->id, s->p->cmd, probe_timeout(sc, now), &err);
	if (!s->job) {
		fail_slot(sc, s, V4_FACT_FAILED, err ? err : "could not start");
		free(err);
		return;
	}
	s->started = now;
	s->at0 = epoch_s();
	s->at1 = 0;
	s->killed = KILL_NONE;
	s->state = SLOT_RUNNING;
	sc->running++;
}

/* Starts whatever may start now. */
static void start_ready(struct sched *sc, double now)
{
	for (size_t i = 0; i < sc->ns && sc->running < sc->jobs; i++) {
		struct slot *s = &sc->s[i];
		if (s->state != SLOT_PENDING || s->not_before > now || device_busy(sc, s->p->device))
			continue;
		if ((s->p->flags & V4_PROBE_HTTP) && !sc->t->recorded) {
			/* an HTTP probe blocks this thread: run it alone, so that its
			 * wait never counts against another probe's timeout */
			if (sc->running)
				continue;
			run_http(sc, s);
			now = now_ms();
			continue;
		}
		if (sc->t->remote && sc->n->mode != V4_MODE_AGENT)
			start_batch(sc, i, now);
		else
			start_single(sc, s, now);
	}
}

/* 1 when the probe's output says it should be tried again later. */
static int busy(const struct v4_probe *p, const struct v4_fact *f)
{
	if (!p->busy || (p->flags & V4_PROBE_MUTATES))
		return 0;
	size_t n = strlen(p->busy);
	return (f->out && memmem(f->out, f->out_len, p->busy, n)) ||
	       (f->err && memmem(f->err, f->err_len, p->busy, n));
}

/* Adds to a missing tool's reason the places it was looked for. */
static void notfound_where(const struct sched *sc, struct v4_fact *f)
{
	const char *dirs = sc->o->tool_path && *sc->o->tool_path ? sc->o->tool_path : NULL;
	const char *path = getenv("PATH");
	char *r;
	if (f->state != V4_FACT_NOTFOUND || sc->t->recorded)
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

/* Stores a collected fact, or requeues a probe that found its tool busy. */
static void finish_slot(struct sched *sc, struct slot *s, struct v4_fact *f)
{
	s->job = NULL;
	if (s->killed) {
		f->state = V4_FACT_TIMEOUT;
		f->exit_code = -1;
		free(f->reason);
		f->reason = s->killed == KILL_DEADLINE
			? xasprintf("stopped after %.0f s: run deadline reached", (now_ms() - s->started) / 1000.0)
			: xasprintf("timed out after %.0f s", sc->o->timeout_ms / 1000.0);
	} else if (busy(s->p, f) && s->attempts < BUSY_RETRIES) {
		v4_fact_free(f);
		s->state = SLOT_PENDING;
		s->not_before = now_ms() + 200.0 * s->attempts;
		return;
	}
	f->attempts = s->attempts;
	notfound_where(sc, f);
	if (sc->t->remote) {
		f->at0 = s->at0;
		f->at1 = s->at1 > 0 ? s->at1 : epoch_s();
	}
	struct v4_fact *dst = v4_node_add_fact(sc->n);
	*dst = *f;
	if (!dst->id)
		dst->id = xstrdup(s->p->id);
	if (!dst->cmd)
		dst->cmd = xstrdup(s->p->cmd);
	s->state = SLOT_DONE;
}

/* A probe alone whose end marker did not come (output past the limit,
 * connection lost, the script's own bound): the script's exit status (or
 * failure) is the probe's, as for a command on its own. Returns 1. */
static size_t deliver_alone(const struct sched *sc, const struct batch *b, const struct v4_fact *f,
			    struct v4_fact *part)
{
	part->exit_code = f->exit_code;
	part->truncated = f->truncated;
	if (f->state == V4_FACT_OK) {
		v4_fact_judge_exit(part, batch_limit_s(sc, 1, b->started));
	} else {
		part->state = f->state;
		part->reason = xstrdup(f->reason ? f->reason : v4_fact_state_name(f->state));
	}
	return 1;
}

/* Hands out a finished batch's facts. The command it was killed in is timed
 * out; the ones after it are queued again (to batch anew). What a batch did
 * not deliver otherwise (cut output, its own bound) runs again on its own. */
static void finish_batch(struct sched *sc, struct batch *b, struct v4_fact *f)
{
	struct v4_fact parts[V4_BATCH_MAX] = {{0}};
	size_t got = v4_batch_split(f->out, f->out_len, f->err, f->err_len, b->nonce, b->n, parts);
	if (got == 0 && b->n == 1 && !b->killed)
		got = deliver_alone(sc, b, f, &parts[0]);
	for (size_t k = 0; k < b->n; k++) {
		struct slot *m = b->m[k];
		m->b = NULL;
		if (k < got) {
			m->killed = KILL_NONE;
			finish_slot(sc, m, &parts[k]);
		} else if (k == got && (b->killed == KILL_TIMEOUT || b->killed == KILL_DEADLINE) &&
			   got == b->ended) {
			m->killed = b->killed;
			finish_slot(sc, m, &parts[k]);
		} else {
			/* not delivered: the one cut short runs again on its own */
			m->state = SLOT_PENDING;
			m->alone = !b->killed || (b->killed == KILL_CUT && k == got);
			m->attempts--;
		}
	}
	for (size_t k = got; k < b->n; k++)
		if (b->m[k]->state != SLOT_DONE)
			v4_fact_free(&parts[k]);
	v4_fact_free(f);
	free(b);
}

/* Notes the commands of batch b that ended since the last look: their end
 * time, and the next one's start. */
static void batch_watch(struct sched *sc, struct batch *b, const char *out, size_t len, double now)
{
	size_t e = v4_batch_ends(out, len, b->nonce, &b->scan);
	if (!e)
		return;
	double at = epoch_s();
	for (size_t k = b->ended; k < b->ended + e && k < b->n; k++)
		b->m[k]->at1 = at;
	b->ended += e;
	if (b->ended < b->n) {
		b->m[b->ended]->started = now;
		b->m[b->ended]->at0 = at;
	}
}

/* Collects a batch when done; kills its process group when the command it
 * is in stalls past the timeout, or the run deadline passes. */
static void reap_batch(struct sched *sc, struct batch *b, double now)
{
	struct v4_fact f = {0};
	if (sc->t->collect(sc->conn, b->job, &f)) {
		sc->running--;
		finish_batch(sc, b, &f);
		return;
	}
	if (b->killed)
		return;
	size_t len = 0;
	const char *out = sc->t->peek ? sc->t->peek(sc->conn, b->job, &len) : NULL;
	if (out)
		batch_watch(sc, b, out, len, now);
	double t0 = b->ended < b->n ? b->m[b->ended]->started : b->started;
	int late = b->ended < b->n && now - t0 > sc->o->timeout_ms;
	int over = sc->deadline > 0 && now > sc->deadline;
	int cut = b->n > 1 && b->ended < b->n && sc->o->max_output && len >= sc->o->max_output;
	if (!late && !over && !cut)
		return;
	long g = out ? v4_batch_pgid(out, len, b->nonce) : 0;
	if (g > 0 && sc->t->kill_group)
		sc->t->kill_group(sc->conn, g);
	sc->t->kill(sc->conn, b->job);
	b->killed = late ? KILL_TIMEOUT : over ? KILL_DEADLINE : KILL_CUT;
}

/* Collects finished jobs and kills those past their time. */
static void reap(struct sched *sc, double now)
{
	for (size_t i = 0; i < sc->ns; i++) {
		struct slot *s = &sc->s[i];
		if (s->state != SLOT_RUNNING)
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
			s->killed = late ? KILL_TIMEOUT : KILL_DEADLINE;
		}
	}
}

/* Marks pending slots skipped once the run deadline has passed. */
static int skip_after_deadline(struct sched *sc, double now)
{
	if (!(sc->deadline > 0 && now > sc->deadline))
		return 0;
	for (size_t i = 0; i < sc->ns; i++)
		if (sc->s[i].state == SLOT_PENDING)
			fail_slot(sc, &sc->s[i], V4_FACT_SKIPPED, "run deadline reached before it ran");
	return 1;
}

/* 1 while any slot is not done. */
static int pending(const struct sched *sc)
{
	for (size_t i = 0; i < sc->ns; i++)
		if (sc->s[i].state != SLOT_DONE)
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
		if (s->b && !s->b->killed && (s->b->ended >= s->b->n || s != s->b->m[s->b->ended]))
			continue; /* a batch's clock is its running command's; its end comes by network */
		if (s->state == SLOT_RUNNING && (s->killed || (s->b && s->b->killed)))
			until = now + 20; /* killed: collected shortly */
		else if (s->state == SLOT_RUNNING)
			until = s->started + sc->o->timeout_ms;
		else if (s->state == SLOT_PENDING && s->not_before > now)
			until = s->not_before;
		if (until > 0 && until - now < w)
			w = until - now;
	}
	return w < 1 ? 1 : (int)w + 1;
}

void v4_run_probes(const struct v4_run *r, void *conn, struct v4_node *n,
		   const struct v4_probe *ps, size_t np, int jobs)
{
	const struct v4_transport *t = r->o->transport;
	struct sched sc = {t, conn, n, r->o, xcalloc(np, sizeof(struct slot)), np,
			   jobs > 0 ? jobs : 1, 0, r->deadline};
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
