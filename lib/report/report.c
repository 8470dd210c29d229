/* Text and JSON reports. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "hostrange.h"
#include "report.h"

/* ---- JSON ---- */

/* One result as a JSON object. */
static cJSON *result_json(const struct v4_result *x)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "node", x->node);
	cJSON_AddStringToObject(o, "status", v4_status_name(x->status));
	cJSON_AddStringToObject(o, "code", x->code);
	cJSON_AddStringToObject(o, "message", x->message);
	cJSON *ev = v4_result_evidence_copy(x);
	cJSON_AddItemToObject(o, "evidence", ev ? ev : cJSON_CreateObject());
	return o;
}

/* The "checks" array. */
static cJSON *checks_json(const struct v4_report *r)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t c = 0; c < r->nc; c++) {
		cJSON *o = cJSON_CreateObject(), *res = cJSON_CreateArray();
		cJSON_AddStringToObject(o, "id", r->checks[c]->id);
		cJSON_AddStringToObject(o, "title", r->checks[c]->title);
		cJSON_AddStringToObject(o, "status",
					v4_status_name(v4_check_status(r->res, r->checks[c]->id)));
		for (size_t i = 0; i < r->res->n; i++)
			if (strcmp(r->res->v[i].check, r->checks[c]->id) == 0)
				cJSON_AddItemToArray(res, result_json(&r->res->v[i]));
		cJSON_AddItemToObject(o, "results", res);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The "nodes" array. */
static cJSON *nodes_json(const struct v4_report *r)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < r->nn; i++) {
		const struct v4_node *n = &r->nodes[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", n->name);
		cJSON_AddStringToObject(o, "host", n->host);
		cJSON_AddNumberToObject(o, "rank", n->rank);
		cJSON_AddStringToObject(o, "state", n->unreachable ? "unreachable" : "reached");
		if (n->unreachable)
			cJSON_AddStringToObject(o, "reason", n->reason ? n->reason : "");
		if (n->bond_ip)
			cJSON_AddStringToObject(o, "bond1", n->bond_ip);
		cJSON_AddNumberToObject(o, "probes", (double)n->nfacts);
		if (v4_node_mode_name(n->mode))
			cJSON_AddStringToObject(o, "mode", v4_node_mode_name(n->mode));
		if (n->mode_why)
			cJSON_AddStringToObject(o, "mode_why", n->mode_why);
		if (r->with_facts && !n->unreachable)
			cJSON_AddItemToObject(o, "facts", v4_facts_json(n));
		else if (r->with_raw && !n->unreachable)
			cJSON_AddItemToObject(o, "raw", v4_facts_raw_json(n));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static const char *const fix_classes[] = {"none", "safe", "disruptive"};

/* The "fixes" array: the plan, and what came of each command. */
static cJSON *fixes_json(const struct v4_report *r)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; r->plan && i < r->plan->n; i++) {
		const struct v4_fix_cmd *c = &r->plan->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "node", c->node);
		cJSON_AddStringToObject(o, "command", c->cmd);
		cJSON_AddStringToObject(o, "why", c->why);
		cJSON_AddStringToObject(o, "class", fix_classes[c->cls]);
		const char *result = c->refused ? "refused" : "planned";
		for (size_t k = 0; r->fixlog && k < r->fixlog->n; k++) {
			const struct v4_fix_done *d = &r->fixlog->v[k];
			if (strcmp(d->node, c->node) || strcmp(d->cmd, c->cmd))
				continue;
			result = d->refused ? "refused" : d->ok ? "applied" : "failed";
			cJSON_AddStringToObject(o, "output", d->output ? d->output : "");
		}
		if (c->refused)
			cJSON_AddStringToObject(o, "reason", c->refused);
		cJSON_AddStringToObject(o, "result", result);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The run's own facts: start, duration, controller (schema 2). */
static void run_json(cJSON *o, const struct v4_report *r)
{
	char when[40];
	v4_report_rfc3339(r->started > 0 ? r->started : epoch_s(), when, sizeof when);
	cJSON_AddStringToObject(o, "started", when);
	cJSON_AddNumberToObject(o, "duration_s", (double)(long long)(r->duration_s * 1000 + 0.5) / 1000);
	cJSON_AddStringToObject(o, "controller", v4_report_controller());
}

cJSON *v4_report_json(const struct v4_report *r)
{
	enum v4_status w = v4_results_worst(r->res);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schema", V4_SCHEMA);
	cJSON_AddStringToObject(o, "version", V4_VERSION);
	run_json(o, r);
	cJSON_AddStringToObject(o, "mode", r->mode ? r->mode : "");
	cJSON_AddStringToObject(o, "status", v4_status_name(w));
	cJSON_AddNumberToObject(o, "exit", v4_exit_status(w));
	cJSON_AddItemToObject(o, "nodes", nodes_json(r));
	cJSON_AddItemToObject(o, "checks", checks_json(r));
	if (r->plan)
		cJSON_AddItemToObject(o, "fixes", fixes_json(r));
	if (r->changes)
		cJSON_AddItemToObject(o, "changes", cJSON_Duplicate(r->changes, 1));
	return o;
}

/* ---- text ---- */

static const char *const colors[] = {"\033[32m", "\033[2m", "\033[33m", "\033[35m", "\033[35m",
				     "\033[31;1m"};

/* The state word, coloured when o->color. */
static void put_status(FILE *out, enum v4_status st, const struct v4_opts *o)
{
	if (o->color)
		fprintf(out, "%s%-5s\033[0m", colors[st], v4_status_name(st));
	else
		fprintf(out, "%-5s", v4_status_name(st));
}

/* 1 when results a and b fold into one line. */
static int same(const struct v4_result *a, const struct v4_result *b)
{
	return a->status == b->status && strcmp(a->code, b->code) == 0 &&
	       strcmp(a->message, b->message) == 0;
}

/* Prints check c's results, identical ones folded across nodes. */
static void text_check(FILE *out, const struct v4_report *r, const struct v4_check *c,
		       const struct v4_opts *o)
{
	size_t n = r->res->n;
	char *done = xcalloc(n ? n : 1, 1);
	char **names = xcalloc(n ? n : 1, sizeof *names);
	fprintf(out, "\n%s  %s\n", c->id, c->title);
	for (size_t i = 0; i < n; i++) {
		const struct v4_result *x = &r->res->v[i];
		if (done[i] || strcmp(x->check, c->id) != 0)
			continue;
		size_t k = 0;
		for (size_t j = i; j < n; j++)
			if (!done[j] && strcmp(r->res->v[j].check, c->id) == 0 && same(x, &r->res->v[j])) {
				names[k++] = r->res->v[j].node;
				done[j] = 1;
			}
		if (o->quiet && x->status == V4_PASS)
			continue;
		char *fold = v4_hostrange_fold(names, k);
		fputs("  ", out);
		put_status(out, x->status, o);
		fprintf(out, "  %-14s %s: %s\n", x->code, fold, x->message);
		char *ev = o->verbose ? v4_result_evidence_text(x) : NULL;
		if (ev)
			fprintf(out, "         evidence: %s\n", ev);
		free(ev);
		free(fold);
	}
	free(done);
	free(names);
}

void v4_print_plan(FILE *out, const struct v4_fixplan *plan)
{
	if (!plan->n) {
		fputs("fix plan: nothing to change\n", out);
		return;
	}
	fprintf(out, "fix plan (%zu command%s):\n", plan->n, plan->n == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n; i++) {
		const struct v4_fix_cmd *c = &plan->v[i];
		fprintf(out, "  %s: %s%s\n      why: %s\n", c->node, c->cmd,
			c->cls == V4_FIX_DISRUPTIVE ? "   [disruptive]" : "", c->why);
		if (c->refused)
			fprintf(out, "      REFUSED: %s\n", c->refused);
	}
}

/* Prints what the fixes did. */
static void text_fixlog(FILE *out, const struct v4_fix_log *l)
{
	fputs("\nfixes applied:\n", out);
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "  %-8s %s: %s%s%s\n",
			l->v[i].refused ? "REFUSED" : l->v[i].ok ? "ok" : "FAILED", l->v[i].node,
			l->v[i].cmd, l->v[i].output && *l->v[i].output ? "  -> " : "",
			l->v[i].output ? l->v[i].output : "");
}

/* A string field of a change, or "". */
static const char *chg(const cJSON *c, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Prints what changed since the last run (--state). */
static void text_changes(FILE *out, const cJSON *changes)
{
	int n = cJSON_GetArraySize(changes);
	if (!n) {
		fputs("no changes since the last run\n", out);
		return;
	}
	fprintf(out, "changes since the last run (%d):\n", n);
	for (const cJSON *c = changes->child; c; c = c->next) {
		int cleared = !strcmp(chg(c, "change"), "cleared");
		const cJSON *rec = cJSON_GetObjectItemCaseSensitive(c, "recurrences");
		char again[64] = "";
		if (cJSON_IsNumber(rec))
			snprintf(again, sizeof again, " (again: cleared %d time(s) in 24 h before)", rec->valueint);
		fprintf(out, "  %c %-11s %s %s %s: %s%s%s%s%s\n", cleared ? '-' : '+',
			cleared ? "cleared" : chg(c, "status"), chg(c, "check"), chg(c, "code"),
			chg(c, "node"), chg(c, "message"), *chg(c, "was") ? " (was " : "",
			chg(c, "was"), *chg(c, "was") ? ")" : "", again);
	}
}

/* -v: which mode each reached SSH node ran in, and why not the agent. */
static void text_modes(FILE *out, const struct v4_report *r)
{
	for (size_t i = 0; i < r->nn; i++) {
		const struct v4_node *n = &r->nodes[i];
		if (!n->unreachable && v4_node_mode_name(n->mode))
			fprintf(out, "mode: %s: %s%s%s%s\n", n->name, v4_node_mode_name(n->mode),
				n->mode_why ? " (" : "", n->mode_why ? n->mode_why : "", n->mode_why ? ")" : "");
	}
}

void v4_report_text(FILE *out, const struct v4_report *r, const struct v4_opts *o)
{
	size_t reached = 0;
	for (size_t i = 0; i < r->nn; i++)
		reached += !r->nodes[i].unreachable;
	if (!o->quiet)
		fprintf(out, "v4check %s: %zu node%s (%zu reached), %zu check%s, %s\n", V4_VERSION,
			r->nn, r->nn == 1 ? "" : "s", reached, r->nc, r->nc == 1 ? "" : "s",
			r->mode ? r->mode : "");
	if (o->verbose)
		text_modes(out, r);
	if (r->changes)
		text_changes(out, r->changes);
	if (r->fixlog && r->fixlog->n)
		text_fixlog(out, r->fixlog);
	for (size_t c = 0; c < r->nc; c++)
		if (!o->quiet || v4_check_status(r->res, r->checks[c]->id) != V4_PASS)
			text_check(out, r, r->checks[c], o);
	enum v4_status w = v4_results_worst(r->res);
	fputs("\nresult: ", out);
	put_status(out, w, o);
	fprintf(out, " (exit %d)\n", v4_exit_status(w));
}

int v4_report(FILE *out, const struct v4_report *r, const struct v4_opts *o)
{
	switch (o->format) {
	case V4_FMT_JSON: {
		cJSON *j = v4_report_json(r);
		char *s = cJSON_Print(j);
		fprintf(out, "%s\n", s);
		free(s);
		cJSON_Delete(j);
		break;
	}
	case V4_FMT_PROM: v4_report_prom(out, r); break;
	case V4_FMT_NAGIOS: {
		int rc = v4_report_nagios(out, r);
		fflush(out);
		return rc;
	}
	case V4_FMT_JUNIT: v4_report_junit(out, r, o->junit_warn_syserr); break;
	case V4_FMT_HTML: v4_report_html(out, r); break;
	default: v4_report_text(out, r, o); break;
	}
	fflush(out);
	return v4_exit_status(v4_results_worst(r->res));
}
