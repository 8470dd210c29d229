/* Result states, facts, nodes, results, probes and fix plans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (f->exit_code == 124 || f->exit_code == 137) {
		f->state = V4_FACT_TIMEOUT;
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
	memset(f, 0, sizeof *f);
}

const struct v4_fact *v4_fact(const struct v4_node *n, const char *id)
{
	for (size_t i = 0; i < n->nfacts; i++)
		if (strcmp(n->facts[i].id, id) == 0)
			return &n->facts[i];
	return NULL;
}

/* First line of s, at most 200 characters, for reasons. */
static char *first_line(const char *s)
{
	if (!s)
		return xstrdup("");
	size_t n = strcspn(s, "\r\n");
	return xstrndup(s, n > 200 ? 200 : n);
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
		char *l = first_line(f->err && *f->err ? f->err : f->out);
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
	cJSON_Delete(n->labels);
	memset(n, 0, sizeof *n);
}

void v4_probe_add(struct v4_probes *ps, const char *id, int device, unsigned flags,
		  const char *fmt, ...)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].id, id) == 0)
			return;
	grow(&ps->v, &ps->cap, ps->n + 1, sizeof *ps->v);
	struct v4_probe *p = &ps->v[ps->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", id);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->cmd, sizeof p->cmd, fmt, ap);
	va_end(ap);
	p->device = device;
	p->flags = flags;
}

void v4_add(struct v4_results *r, const char *check, const char *node, enum v4_status st,
	    const char *code, cJSON *evidence, const char *fmt, ...)
{
	grow(&r->v, &r->cap, r->n + 1, sizeof *r->v);
	struct v4_result *x = &r->v[r->n++];
	va_list ap;
	va_start(ap, fmt);
	x->message = xvasprintf(fmt, ap);
	va_end(ap);
	x->check = xstrdup(check);
	x->node = xstrdup(node);
	x->status = st;
	x->code = xstrdup(code);
	x->evidence = evidence;
}

void v4_results_free(struct v4_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].check);
		free(r->v[i].node);
		free(r->v[i].code);
		free(r->v[i].message);
		cJSON_Delete(r->v[i].evidence);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

void v4_fix_add(struct v4_fixplan *p, const char *node, enum v4_fix_class cls, const char *why,
		const char *fmt, ...)
{
	grow(&p->v, &p->cap, p->n + 1, sizeof *p->v);
	struct v4_fix_cmd *c = &p->v[p->n++];
	va_list ap;
	va_start(ap, fmt);
	c->cmd = xvasprintf(fmt, ap);
	va_end(ap);
	c->node = xstrdup(node);
	c->why = xstrdup(why);
	c->cls = cls;
	c->refused = NULL;
}

void v4_fix_refuse(struct v4_fixplan *p, const char *node, const char *why, const char *fmt, ...)
{
	grow(&p->v, &p->cap, p->n + 1, sizeof *p->v);
	struct v4_fix_cmd *c = &p->v[p->n++];
	va_list ap;
	va_start(ap, fmt);
	c->cmd = xvasprintf(fmt, ap);
	va_end(ap);
	c->node = xstrdup(node);
	c->why = xstrdup(why);
	c->cls = V4_FIX_DISRUPTIVE;
	c->refused = xstrdup(why);
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

/* The check named id: one of the table, or drift (run only with --baseline). */
const struct v4_check *v4_check_find(const char *id)
{
	extern const struct v4_check v4_check_drift;
	for (size_t i = 0; i < v4_ncheck; i++)
		if (strcmp(v4_checks[i]->id, id) == 0)
			return v4_checks[i];
	return strcmp(id, v4_check_drift.id) == 0 ? &v4_check_drift : NULL;
}

double v4_param(const struct v4_ctx *ctx, const struct v4_check *c, const char *name)
{
	double def = 0;
	for (const struct v4_param *p = c->params; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			def = p->def;
	char *path = xasprintf("checks.%s.%s", c->id, name);
	double v = ctx && ctx->cfg ? v4_cfg_num(ctx->cfg, path, def) : def;
	free(path);
	return v;
}

void v4_error_fact(struct v4_results *r, const struct v4_check *c, const struct v4_node *n,
		   const char *id, const char *why)
{
	v4_add(r, c->id, n->name, V4_ERROR, "PROBE_FAILED", NULL, "could not check: %s",
	       why ? why : id);
}

void v4_opts_defaults(struct v4_opts *o)
{
	memset(o, 0, sizeof *o);
	o->transport = &v4_transport_local;
	o->timeout_ms = 10000;
	o->connect_timeout_ms = 5000;
	o->fanout = 64;
	o->fix_fanout = 1;
	o->node_jobs = 8;
	o->max_output = 4u << 20;
	o->format = V4_FMT_TEXT;
	o->phase = V4_PHASE_PRE;
}
