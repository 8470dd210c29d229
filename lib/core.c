/* Result states, facts, nodes, results, probes and fix plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "run.h"
#include "v4.h"

static const char *const status_names[] = {"PASS", "SKIP", "WARN", "ERROR", "UNREACHABLE", "FAIL"};
static const int status_ranks[] = {0, 0, 1, 2, 2, 3};

const char *v4_status_name(enum v4_status st)
{
	return (unsigned)st < V4_ARRAY_LEN(status_names) ? status_names[st] : "?";
}

/* The index of name in names[0..n), or -1. */
static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

int v4_status_parse(const char *name, enum v4_status *st)
{
	int i = name_index(status_names, V4_ARRAY_LEN(status_names), name);
	if (i >= 0)
		*st = (enum v4_status)i;
	return i >= 0 ? 0 : -1;
}

static const char *const tier_names[] = {"?", "quick", "standard", "deep"};

const char *v4_tier_name(enum v4_tier t)
{
	return (unsigned)t < V4_ARRAY_LEN(tier_names) ? tier_names[t] : "?";
}

int v4_tier_parse(const char *s, enum v4_tier *t)
{
	int i = name_index(tier_names, V4_ARRAY_LEN(tier_names), s);
	if (i > 0)
		*t = (enum v4_tier)i;
	return i > 0 ? 0 : -1;
}

int v4_status_rank(enum v4_status st)
{
	return (unsigned)st < V4_ARRAY_LEN(status_ranks) ? status_ranks[st] : 3;
}

/* The worse of two states; on equal rank UNREACHABLE outranks ERROR (the
 * more telling reason), and PASS outranks SKIP (something was checked). */
enum v4_status v4_worst(enum v4_status a, enum v4_status b)
{
	int ra = v4_status_rank(a), rb = v4_status_rank(b);
	if (ra != rb)
		return ra > rb ? a : b;
	if (ra == 0)
		return a == V4_PASS || b == V4_PASS ? V4_PASS : V4_SKIP;
	return a > b ? a : b;
}

int v4_exit_status(enum v4_status worst)
{
	switch (v4_status_rank(worst)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 3;
	default: return 2;
	}
}

static const char *const fact_state_names[] = {"ok", "timeout", "notfound", "failed", "skipped"};

const char *v4_fact_state_name(enum v4_fact_state st)
{
	return (unsigned)st < V4_ARRAY_LEN(fact_state_names) ? fact_state_names[st] : "?";
}

int v4_fact_state_parse(const char *name, enum v4_fact_state *st)
{
	int i = name_index(fact_state_names, V4_ARRAY_LEN(fact_state_names), name);
	if (i >= 0)
		*st = (enum v4_fact_state)i;
	return i >= 0 ? 0 : -1;
}

void v4_fact_judge_exit(struct v4_fact *f, int timeout_s)
{
	free(f->reason);
	f->reason = NULL;
	if (timeout_s > 0 && (f->exit_code == 124 || f->exit_code == 137)) {
		f->state = V4_FACT_TIMEOUT;
		f->exit_code = -1; /* the timer's status, not the probe's */
		f->reason = xasprintf("timed out after %ds", timeout_s);
	} else if (f->exit_code == 127) {
		size_t pos = 0, len;
		const char *line;
		f->state = V4_FACT_NOTFOUND;
		f->reason = next_line(f->err, f->err_len, &pos, &line, &len) && len
				    ? xstrndup(line, len)
				    : xstrdup("command not found (exit 127)");
	} else {
		f->state = V4_FACT_OK;
	}
}

void v4_fact_free(struct v4_fact *f)
{
	free(f->id);
	free(f->cmd);
	free(f->out);
	free(f->err);
	free(f->reason);
	free(f->packed);
	memset(f, 0, sizeof *f);
}

const struct v4_fact *v4_fact(const struct v4_node *n, const char *id)
{
	for (size_t i = 0; i < n->nfacts; i++)
		if (strcmp(n->facts[i].id, id) == 0)
			return v4_fact_at(n, i);
	return NULL;
}

const struct v4_fact *v4_fact_ok(const struct v4_node *n, const char *id, int any_exit, char **why)
{
	const struct v4_fact *f = v4_fact(n, id);
	*why = NULL;
	if (!f) {
		*why = xasprintf("probe %s was not run", id);
		return NULL;
	}
	if (f->state != V4_FACT_OK) {
		*why = xasprintf("%s: %s", f->cmd, f->reason ? f->reason : v4_fact_state_name(f->state));
		return NULL;
	}
	if (!any_exit && f->exit_code != 0) {
		/* the line giving the cause, not the driver's noise before it */
		char *l = f->err && *f->err ? v4_cause_line(f->err, f->err_len) : v4_cause_line(f->out, f->out_len);
		*why = xasprintf("%s: exit status %d%s%s", f->cmd, f->exit_code, *l ? ": " : "", l);
		free(l);
		return NULL;
	}
	return f;
}

struct v4_fact *v4_node_add_fact(struct v4_node *n)
{
	grow(&n->facts, &n->capfacts, n->nfacts + 1, sizeof *n->facts);
	struct v4_fact *f = &n->facts[n->nfacts++];
	memset(f, 0, sizeof *f);
	return f;
}

void v4_node_clear_facts(struct v4_node *n)
{
	for (size_t i = 0; i < n->nfacts; i++)
		v4_fact_free(&n->facts[i]);
	n->nfacts = 0;
	n->unreachable = 0;
	free(n->reason);
	n->reason = NULL;
}

void v4_node_free(struct v4_node *n)
{
	v4_node_clear_facts(n);
	free(n->facts);
	free(n->name);
	free(n->host);
	free(n->user);
	free(n->bond_ip);
	free(n->mode_why);
	cJSON_Delete(n->labels);
	memset(n, 0, sizeof *n);
}

const char *v4_node_mode_name(int mode)
{
	return mode == V4_MODE_AGENT ? "agent" : mode == V4_MODE_AGENTLESS ? "agentless" : NULL;
}

struct v4_probe *v4_probe_add(struct v4_probes *ps, const char *id, int device, unsigned flags,
			      const char *fmt, ...)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].id, id) == 0)
			return &ps->v[i];
	grow(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
	struct v4_probe *p = &ps->v[ps->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", id);
	va_list ap;
	va_start(ap, fmt);
	p->cmd = xvasprintf(fmt, ap);
	va_end(ap);
	p->device = device;
	p->flags = flags;
	return p;
}

void v4_probes_free(struct v4_probes *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i].cmd);
	free(ps->v);
	*ps = (struct v4_probes){0};
}

/* Appends a result; takes ownership of evidence and message. */
static void add_result(struct v4_results *r, const char *check, const char *node,
		       enum v4_status st, const char *code, cJSON *evidence, char *message)
{
	grow(&r->v, &r->cap, r->n + 1, sizeof *r->v);
	struct v4_result *x = &r->v[r->n++];
	memset(x, 0, sizeof *x);
	x->message = message;
	x->check = xstrdup(check);
	x->node = xstrdup(node);
	x->status = st;
	x->code = xstrdup(code);
	x->evidence = evidence;
}

void v4_result_add(struct v4_results *r, const char *check, const char *node, enum v4_status st,
		   const char *code, const char *message)
{
	add_result(r, check, node, st, code, NULL, xstrdup(message));
}

/* Number of rows in a check's finding table. */
static size_t finding_count(const struct v4_check *c)
{
	size_t n = 0;
	while (c->findings && c->findings[n].code)
		n++;
	return n;
}

const struct v4_finding *v4_finding_find(const struct v4_check *c, const char *code)
{
	for (size_t i = 0; i < finding_count(c); i++)
		if (strcmp(c->findings[i].code, code) == 0)
			return &c->findings[i];
	return NULL;
}

int v4_names_match(char *const *list, const char *check, const char *code)
{
	size_t lc = strlen(check);
	for (; list && *list; list++) {
		const char *w = *list;
		if (strcmp(w, check) == 0 || strcmp(w, code) == 0 ||
		    (strncmp(w, check, lc) == 0 && w[lc] == ':' && strcmp(w + lc + 1, code) == 0))
			return 1;
	}
	return 0;
}

/* The check with this id among checks, or NULL. */
static const struct v4_check *check_in(const struct v4_check *const *checks, size_t nc,
				       const char *id, size_t len)
{
	for (size_t i = 0; i < nc; i++)
		if (strlen(checks[i]->id) == len && strncmp(checks[i]->id, id, len) == 0)
			return checks[i];
	return NULL;
}

int v4_name_valid(const char *name, const struct v4_check *const *checks, size_t nc, int codes,
		  char **err)
{
	const char *colon = strchr(name, ':');
	const struct v4_check *c = check_in(checks, nc, name, colon ? (size_t)(colon - name) : strlen(name));
	if (c && !colon)
		return 0;
	if (c && codes && v4_finding_find(c, colon + 1))
		return 0;
	if (colon || !codes) {
		*err = c ? xasprintf("%s: check %s has no finding %s", name, c->id, colon + 1)
			 : xasprintf("%s: no such check", name);
		return -1;
	}
	struct sbuf owners = {0};
	int n = 0;
	for (size_t i = 0; i < nc; i++)
		if (v4_finding_find(checks[i], name))
			sbuf_printf(&owners, "%s%s:%s", n++ ? ", " : "", checks[i]->id, name);
	if (n != 1)
		*err = n ? xasprintf("%s is a finding of several checks: say which (%s)", name, owners.s)
			 : xasprintf("%s: no such check or finding code", name);
	sbuf_free(&owners);
	return n == 1 ? 0 : -1;
}

struct v4_rep v4_rep_at(const struct v4_rep *h, const struct v4_node *n)
{
	struct v4_rep r = *h;
	r.node = n ? n->name : "cluster";
	return r;
}

void v4_say(const struct v4_rep *h, int finding, cJSON *evidence, const char *fmt, ...)
{
	if (finding < 0 || (size_t)finding >= finding_count(h->check)) {
		fprintf(stderr, "v4check: BUG: check %s reports finding %d, not in its table\n",
			h->check->id, finding);
		abort();
	}
	const struct v4_finding *f = &h->check->findings[finding];
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	add_result(h->out, h->check->id, h->node, f->status, f->code, evidence, m);
}

void v4_say_unchecked(const struct v4_rep *h, const char *why)
{
	const struct v4_finding *f = v4_finding_find(h->check, "PROBE_FAILED");
	if (!f) {
		fprintf(stderr, "v4check: BUG: check %s has no PROBE_FAILED finding\n", h->check->id);
		abort();
	}
	v4_say(h, (int)(f - h->check->findings), NULL, "could not check: %s", why ? why : "?");
}

void v4_results_free(struct v4_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].check);
		free(r->v[i].node);
		free(r->v[i].code);
		free(r->v[i].message);
		cJSON_Delete(r->v[i].evidence);
		free(r->v[i].ev_packed);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Appends a fix command (cmd owned) to the plan; refused: why it must not run. */
static void fix_append(struct v4_fixplan *p, const char *node, enum v4_fix_class cls,
		       const char *why, char *cmd, int refused)
{
	grow(&p->v, &p->cap, p->n + 1, sizeof *p->v);
	struct v4_fix_cmd *c = &p->v[p->n++];
	c->cmd = cmd;
	c->node = xstrdup(node);
	c->why = xstrdup(why);
	c->cls = cls;
	c->refused = refused ? xstrdup(why) : NULL;
}

void v4_fix_add(struct v4_fixplan *p, const char *node, enum v4_fix_class cls, const char *why,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	fix_append(p, node, cls, why, cmd, 0);
}

void v4_fix_refuse(struct v4_fixplan *p, const char *node, const char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	fix_append(p, node, V4_FIX_DISRUPTIVE, why, cmd, 1);
}

void v4_fixplan_free(struct v4_fixplan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].refused);
		free(p->v[i].node);
		free(p->v[i].cmd);
		free(p->v[i].why);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}
