/* Helpers shared by the checks: NPU discovery, id lists, safe names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "procinfo.h"

void hccn_probe_add(struct v4_probes *ps, const char *id, int npu, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	v4_probe_add(ps, id, npu, 0, "%s", cmd)->busy = V4_HCCN_BUSY;
	free(cmd);
}

void hccn_id(char *buf, size_t sz, const char *what, int npu)
{
	snprintf(buf, sz, "hccn-%s.%d", what, npu);
}

void hccn_get_add(struct v4_probes *ps, const char *what, const char *opt, int npu)
{
	char id[64];
	hccn_id(id, sizeof id, what, npu);
	hccn_probe_add(ps, id, npu, "hccn_tool -i %d -%s -g", npu, opt);
}

/* Cuts the process listing to what npu-mem and the serve command read. */
static void reduce_procs(struct v4_fact *f, const struct v4_node *n)
{
	struct v4_npusmi s;
	char *why = NULL;
	long *pids = NULL;
	size_t np = 0, len = 0;
	if (node_npusmi(n, &s, &why) == 0) {
		pids = xcalloc(s.nproc ? s.nproc : 1, sizeof *pids);
		for (size_t i = 0; i < s.nproc; i++)
			pids[np++] = s.procs[i].pid;
		v4_npusmi_free(&s);
	}
	free(why);
	char *r = proc_list_reduce(f->out, f->out_len, pids, np, &len);
	if (r) {
		free(f->out);
		f->out = r;
		f->out_len = len;
	}
	free(pids);
}

/* The members of a docker inspect object the checks read, by path. */
static const char *const inspect_keep[][2] = {
	{"State", NULL},        {"Mounts", NULL},          {"Config", "Env"},
	{"Config", "Image"},    {"HostConfig", "ShmSize"}, {"HostConfig", "NetworkMode"},
	{"HostConfig", "Devices"}, {"HostConfig", "Binds"},
};

/* Copies member a (or a.b) of src into dst, when src has it. */
static void copy_member(const cJSON *src, cJSON *dst, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(src, a);
	if (!x)
		return;
	if (!b) {
		cJSON_AddItemToObject(dst, a, cJSON_Duplicate(x, 1));
		return;
	}
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(x, b);
	if (!y)
		return;
	cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, a);
	if (!d)
		cJSON_AddItemToObject(dst, a, d = cJSON_CreateObject());
	cJSON_AddItemToObject(d, b, cJSON_Duplicate(y, 1));
}

/* Cuts docker inspect's array of objects to the members in inspect_keep;
 * output that is not such an array is kept whole. */
static void reduce_inspect(struct v4_fact *f, const struct v4_node *n)
{
	cJSON *arr = cJSON_ParseWithLength(f->out, f->out_len), *x, *out = cJSON_CreateArray();
	int ok = cJSON_IsArray(arr);
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsObject(x)) {
			ok = 0;
			break;
		}
		cJSON *o = cJSON_CreateObject();
		for (size_t i = 0; i < sizeof inspect_keep / sizeof *inspect_keep; i++)
			copy_member(x, o, inspect_keep[i][0], inspect_keep[i][1]);
		cJSON_AddItemToArray(out, o);
	}
	char *s = ok ? cJSON_PrintUnformatted(out) : NULL;
	if (s) {
		free(f->out);
		f->out_len = strlen(s);
		f->out = xstrndup(s, f->out_len);
		cJSON_free(s);
	}
	cJSON_Delete(out);
	cJSON_Delete(arr);
}

void want_inspect(struct v4_probes *ps, const char *ct)
{
	v4_probe_add(ps, P_INSPECT, -1, 0, "docker inspect %s", ct)->reduce = reduce_inspect;
}

void want_procs(struct v4_probes *ps)
{
	v4_probe_add(ps, P_PROCS, -1, 0, "%s", PROC_LIST_CMD)->reduce = reduce_procs;
}

void want_npus(const struct v4_node *n, struct v4_probes *ps)
{
	v4_probe_add(ps, P_NPUSMI, -1, 0, "npu-smi info");
	const struct v4_fact *f = v4_fact(n, P_NPUSMI);
	struct v4_npusmi s = {0};
	char *err = NULL;
	/* the list is asked for too when the table was not read whole */
	if (f && (f->state != V4_FACT_OK || v4_parse_npusmi(f->out, f->out_len, &s, &err) != 0 || !s.npus_whole))
		v4_probe_add(ps, P_NPULIST, -1, 0, "npu-smi info -l");
	v4_npusmi_free(&s);
	free(err);
}

int node_npusmi(const struct v4_node *n, struct v4_npusmi *s, char **why)
{
	const struct v4_fact *f = v4_fact_ok(n, P_NPUSMI, 0, why);
	char *err = NULL;
	memset(s, 0, sizeof *s);
	if (!f)
		return -1;
	if (v4_parse_npusmi(f->out, f->out_len, s, &err) == 0) {
		if (f->truncated) { /* cut at the capture's size limit: nothing known whole */
			s->cut = 1;
			s->npus_whole = 0;
			for (size_t i = 0; i < s->nnpu; i++)
				s->npus[i].proc_known = 0;
			s->nproc_unknown = s->nnpu;
		}
		return 0;
	}
	char *ex = v4_excerpt(f->out, f->out_len, 160), *cause = v4_cause_line(f->err, f->err_len);
	*why = xasprintf("npu-smi info: output not understood: %s (output: '%s')%s%s", err ? err : "?", ex,
			 *cause ? "; stderr: " : "", cause);
	free(ex);
	free(cause);
	free(err);
	return -1;
}

/* NPU ids from the table: one per NPU (A3's second die shares the id). */
static void ids_from_table(const struct v4_npusmi *s, int **ids, size_t *nids)
{
	/* rows of one id are adjacent: chip 0, then chip 1 */
	*ids = xcalloc(s->nnpu ? s->nnpu : 1, sizeof **ids);
	*nids = 0;
	for (size_t i = 0; i < s->nnpu; i++)
		if (!*nids || (*ids)[*nids - 1] != s->npus[i].id)
			(*ids)[(*nids)++] = s->npus[i].id;
}

int node_npu_ids(const struct v4_node *n, int **ids, size_t *nids, char **why)
{
	struct v4_npusmi s;
	char *why1 = NULL, *why2 = NULL, *err = NULL;
	if (node_npusmi(n, &s, &why1) == 0 && s.npus_whole) {
		ids_from_table(&s, ids, nids);
		v4_npusmi_free(&s);
		return 0;
	}
	if (!why1) /* understood in part: the ids may be cut short */
		why1 = xstrdup(v4_npusmi_partial(&s) ? v4_npusmi_partial(&s) : "npu-smi info: NPU table not whole");
	v4_npusmi_free(&s);
	const struct v4_fact *f = v4_fact_ok(n, P_NPULIST, 0, &why2);
	if (f && v4_parse_npusmi_list(f->out, f->out_len, ids, nids, &err) == 0) {
		free(why1);
		return 0;
	}
	if (!v4_fact(n, P_NPULIST))
		*why = xstrdup(why1);
	else
		*why = xasprintf("%s; %s%s", why1, why2 ? why2 : "npu-smi info -l: not understood: ",
				 why2 ? "" : (err ? err : "?"));
	free(why1);
	free(why2);
	free(err);
	return -1;
}

/* Compares ints for qsort. */
static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

char *id_list(const int *ids, size_t n)
{
	int *v = xcalloc(n ? n : 1, sizeof *v);
	memcpy(v, ids, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_int);
	struct sbuf b = {0};
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		sbuf_printf(&b, "%s%d", b.len ? "," : "", v[i]);
		if (j > i)
			sbuf_printf(&b, "-%d", v[j]);
		i = j + 1;
	}
	free(v);
	return sbuf_take(&b);
}

int word_ok(const char *s)
{
	if (!s || !*s || *s == '-' || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '.' || *s == ':' || *s == '-' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* 1 when u is a plain http(s) URL of safe characters. */
static int url_ok(const char *u)
{
	if (!starts_with(u, "http://") && !starts_with(u, "https://"))
		return 0;
	if (strlen(u) > 200)
		return 0;
	for (const char *p = u; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/[]%", *p))
			return 0;
	return 1;
}

/* The API base URL for node n (no trailing slash), or NULL with *bad set. Caller frees. */
char *api_base_url(const struct v4_node *n, const struct v4_ctx *ctx, const char **bad)
{
	const char *u = v4_cfg_str(ctx->cfg, "deployment.api_url", NULL);
	char *b;
	if (u)
		b = xstrdup(u);
	else {
		const char *h = strcmp(n->host, "localhost") == 0 ? "127.0.0.1" : n->host;
		b = xasprintf("http://%s:%d", h, v4_cfg_int(ctx->cfg, "deployment.api_port", 1, 65535, 10010));
	}
	size_t l = strlen(b);
	while (l > 8 && b[l - 1] == '/')
		b[--l] = 0;
	*bad = NULL;
	if (!url_ok(b)) {
		*bad = u ? "deployment.api_url" : "the node's host";
		free(b);
		return NULL;
	}
	return b;
}

int api_node(const struct v4_node *n)
{
	return n->rank <= 0;
}

void want_metrics(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps)
{
	const char *bad;
	if (ctx->phase != V4_PHASE_LIVE || !api_node(n))
		return;
	char *base = api_base_url(n, ctx, &bad);
	if (base)
		v4_probe_add(ps, P_METRICS, -1, V4_PROBE_HTTP, "GET %s/metrics", base);
	free(base);
}

int expected_npus(const struct v4_ctx *ctx)
{
	return v4_cfg_int(ctx->cfg, "deployment.npus_per_node", 0, 4096, 8);
}

int path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n < 2 || n > 200 || p[0] != '/' || strstr(p, ".."))
		return 0;
	return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-") == n;
}

void attach_evidence(struct v4_results *out, size_t first, cJSON *ev)
{
	for (size_t k = first; k < out->n; k++)
		if (!out->v[k].evidence) {
			out->v[k].evidence = ev;
			return;
		}
	cJSON_Delete(ev);
}
