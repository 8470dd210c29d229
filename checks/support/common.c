/* Helpers shared by the checks: NPU discovery, id lists, safe names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void hccn_probe_add(struct v4_probes *ps, const char *id, int npu, const char *fmt, ...)
{
	char cmd[sizeof ps->v->cmd];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	v4_probe_add(ps, id, npu, 0, "%s", cmd)->busy = V4_HCCN_BUSY;
}

void want_npus(const struct v4_node *n, struct v4_probes *ps)
{
	v4_probe_add(ps, P_NPUSMI, -1, 0, "npu-smi info");
	const struct v4_fact *f = v4_fact(n, P_NPUSMI);
	struct v4_npusmi s = {0};
	char *err = NULL;
	if (f && (f->state != V4_FACT_OK || v4_parse_npusmi(f->out, f->out_len, &s, &err) != 0))
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
	if (v4_parse_npusmi(f->out, f->out_len, s, &err) == 0)
		return 0;
	*why = xasprintf("npu-smi info: output not understood: %s", err ? err : "?");
	free(err);
	return -1;
}

/* NPU ids from the table: one per NPU (A3's second die shares the id). */
static void ids_from_table(const struct v4_npusmi *s, int **ids, size_t *nids)
{
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
	if (node_npusmi(n, &s, &why1) == 0) {
		ids_from_table(&s, ids, nids);
		v4_npusmi_free(&s);
		return 0;
	}
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
