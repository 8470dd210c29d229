/* --state: findings stored between runs, and what changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* One stored finding as JSON. */
static cJSON *finding_json(const struct v4_result *x)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "check", x->check);
	cJSON_AddStringToObject(o, "node", x->node);
	cJSON_AddStringToObject(o, "code", x->code);
	cJSON_AddStringToObject(o, "status", v4_status_name(x->status));
	cJSON_AddStringToObject(o, "message", x->message);
	return o;
}

cJSON *v4_state_json(const struct v4_results *res, time_t now)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	cJSON_AddNumberToObject(o, "schema", 1);
	cJSON_AddNumberToObject(o, "time", (double)now);
	for (size_t i = 0; i < res->n; i++)
		if (res->v[i].status != V4_PASS && res->v[i].status != V4_SKIP)
			cJSON_AddItemToArray(arr, finding_json(&res->v[i]));
	cJSON_AddItemToObject(o, "findings", arr);
	return o;
}

/* A string field of o, or "". */
static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The finding of arr with the same (check, node, code) as f, or NULL. */
static const cJSON *match(const cJSON *arr, const cJSON *f)
{
	for (const cJSON *x = arr ? arr->child : NULL; x; x = x->next)
		if (!strcmp(str(x, "check"), str(f, "check")) && !strcmp(str(x, "node"), str(f, "node")) &&
		    !strcmp(str(x, "code"), str(f, "code")))
			return x;
	return NULL;
}

/* Adds one change built from finding f. */
static void add_change(cJSON *out, const char *what, const cJSON *f, const cJSON *was)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "change", what);
	cJSON_AddStringToObject(c, "check", str(f, "check"));
	cJSON_AddStringToObject(c, "node", str(f, "node"));
	cJSON_AddStringToObject(c, "code", str(f, "code"));
	cJSON_AddStringToObject(c, "status", str(f, "status"));
	if (was)
		cJSON_AddStringToObject(c, "was", str(was, "status"));
	cJSON_AddStringToObject(c, "message", str(f, "message"));
	cJSON_AddItemToArray(out, c);
}

cJSON *v4_state_changes(const cJSON *prev, const cJSON *cur)
{
	const cJSON *pf = cJSON_GetObjectItemCaseSensitive(prev, "findings");
	const cJSON *cf = cJSON_GetObjectItemCaseSensitive(cur, "findings");
	cJSON *out = cJSON_CreateArray();
	for (const cJSON *f = cf ? cf->child : NULL; f; f = f->next) {
		const cJSON *old = match(pf, f);
		if (!old)
			add_change(out, "appeared", f, NULL);
		else if (strcmp(str(old, "status"), str(f, "status")))
			add_change(out, "changed", f, old);
	}
	for (const cJSON *f = pf ? pf->child : NULL; f; f = f->next)
		if (!match(cf, f))
			add_change(out, "cleared", f, NULL);
	return out;
}

/* Reads the stored state; NULL when there is none (or *err when unreadable). */
static cJSON *load(const char *path, char **err)
{
	char *text = NULL;
	if (read_file(path, 16u << 20, &text, NULL)) {
		if (errno != ENOENT)
			*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	cJSON *j = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "findings"))) {
		*err = xasprintf("%s: not a v4check state file (starting afresh)", path);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* 1 when stored findings a and b are the same (check, node, code: messages
 * may carry measured figures that differ from run to run). */
static int same_finding(const cJSON *a, const cJSON *b)
{
	return !strcmp(str(a, "check"), str(b, "check")) && !strcmp(str(a, "node"), str(b, "node")) &&
	       !strcmp(str(a, "code"), str(b, "code"));
}

/* A number field of o, or 0. */
static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

void v4_state_history(const cJSON *prev, cJSON *cur, cJSON *changes, time_t now)
{
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(prev, "cleared");
	cJSON *hist = cJSON_CreateArray();
	for (const cJSON *x = old ? old->child : NULL; x; x = x->next)
		if (num(x, "time") > (double)now - V4_STATE_RECUR_S && cJSON_GetArraySize(hist) < V4_STATE_HIST_MAX)
			cJSON_AddItemToArray(hist, cJSON_Duplicate(x, 1));
	for (cJSON *c = changes ? changes->child : NULL; c; c = c->next) {
		const char *what = str(c, "change");
		if (!strcmp(what, "cleared") && cJSON_GetArraySize(hist) < V4_STATE_HIST_MAX) {
			cJSON *h = cJSON_CreateObject();
			cJSON_AddStringToObject(h, "check", str(c, "check"));
			cJSON_AddStringToObject(h, "node", str(c, "node"));
			cJSON_AddStringToObject(h, "code", str(c, "code"));
			cJSON_AddStringToObject(h, "message", str(c, "message"));
			cJSON_AddNumberToObject(h, "time", (double)now);
			cJSON_AddItemToArray(hist, h);
		} else if (!strcmp(what, "appeared")) {
			int k = 0;
			for (const cJSON *x = old ? old->child : NULL; x; x = x->next)
				k += num(x, "time") > (double)now - V4_STATE_RECUR_S && same_finding(x, c);
			if (k) {
				cJSON_ReplaceItemInObjectCaseSensitive(c, "change", cJSON_CreateString("recurred"));
				cJSON_AddNumberToObject(c, "recurrences", k);
			}
		}
	}
	cJSON_AddItemToObject(cur, "cleared", hist);
}

cJSON *v4_state_update(const char *path, const struct v4_results *res, time_t now, char **err)
{
	*err = NULL;
	cJSON *prev = load(path, err);
	cJSON *cur = v4_state_json(res, now);
	cJSON *changes = v4_state_changes(prev, cur);
	v4_state_history(prev, cur, changes, now);
	char *text = cJSON_Print(cur);
	if (write_file_atomic(path, text, strlen(text), 0600) && !*err)
		*err = xasprintf("%s: %s", path, strerror(errno));
	free(text);
	cJSON_Delete(prev);
	cJSON_Delete(cur);
	return changes;
}
