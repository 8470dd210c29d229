/* The HTML report: one self-contained page (inline CSS, no network, no script
 * needed) with the cluster map first, then the findings per check.
 *
 * The map has one row per node and one cell per NPU. A cell's values come from
 * the results' evidence, whatever check gave them: "npus": [{"npu": N, ...}]
 * arrays and objects with a top-level "npu" number, with the members
 * "switch" (tls), "hbm_used_mb" / "hbm_total_mb" (npu-mem, npu), "link" (roce)
 * and "health" (npu). A finding belongs to an NPU when its evidence has a
 * top-level "npu" number, else when its message names "NPU <ids>" (the
 * checks' own wording: "NPU 3: ...", "TLS enabled on NPU 0-7 of 8"); other
 * findings are the node's and stand beside its row; node "cluster" findings
 * head the map. A drift finding (--baseline) marks its cell or row changed.
 *
 * Every text from nodes, probes and config is escaped. States are told by a
 * word and a symbol as well as by colour (Okabe-Ito palette). */
#include <stdlib.h>
#include <string.h>

#include "hostrange.h"
#include "report.h"

#define MAX_NPU_ID 4096 /* larger ids in evidence are ignored */

/* One NPU cell of the map. */
struct cell {
	int id;
	int sw;                      /* TLS switch, -1 unknown */
	double used, total;          /* HBM MB, -1 unknown */
	char link[16], health[24];
	enum v4_status worst;
	int nfind, changed;
	struct sbuf tip;             /* the findings, one per line, for the title */
};

/* One node's row. */
struct row {
	struct cell *cells;
	size_t nc, cap;
	size_t *other; /* indexes of results not tied to an NPU (non-PASS) */
	size_t no, capo;
	int changed;
};

/* ---- escaping ---- */

/* Writes s escaped for HTML text and attribute values; control characters
 * other than tab and newline become '?'. */
static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(ch < 0x20 && ch != '\t' && ch != '\n' ? '?' : ch, out);
		}
	}
}

/* The CSS class word of a state. */
static const char *st_class(enum v4_status st)
{
	static const char *const w[] = {"pass", "skip", "warn", "error", "unreachable", "fail"};
	return w[st];
}

/* The symbol shown beside a state's word. */
static const char *st_sym(enum v4_status st)
{
	static const char *const w[] = {"\u2713", "\u2013", "\u25B2", "?", "\u2298", "\u2716"};
	return w[st];
}

/* <span class="badge s-X">SYM WORD</span>. */
static void badge(FILE *out, enum v4_status st)
{
	fprintf(out, "<span class=\"badge s-%s\"><span aria-hidden=\"true\">%s</span> %s</span>",
		st_class(st), st_sym(st), v4_status_name(st));
}

/* ---- gathering the map ---- */

/* The cell for NPU id in row w (created when absent). */
static struct cell *cell_of(struct row *w, int id)
{
	for (size_t i = 0; i < w->nc; i++)
		if (w->cells[i].id == id)
			return &w->cells[i];
	grow(&w->cells, &w->cap, w->nc + 1, sizeof *w->cells);
	struct cell *c = &w->cells[w->nc++];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->sw = -1;
	c->used = c->total = -1;
	c->worst = V4_PASS;
	return c;
}

/* Copies the cell members found in one evidence object e. */
static void take_values(struct row *w, const cJSON *e)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "npu"), *v;
	if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > MAX_NPU_ID)
		return;
	struct cell *c = cell_of(w, id->valueint);
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(e, "switch")))
		c->sw = v->valueint != 0;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(e, "hbm_used_mb")))
		c->used = v->valuedouble;
	if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(e, "hbm_total_mb")))
		c->total = v->valuedouble;
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(e, "link")))
		snprintf(c->link, sizeof c->link, "%s", v->valuestring);
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(e, "health")))
		snprintf(c->health, sizeof c->health, "%s", v->valuestring);
}

/* Takes the per-NPU values of one result's evidence. */
static void take_evidence(struct row *w, const cJSON *ev)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(ev, "npus"), *e;
	if (!cJSON_IsObject(ev))
		return;
	take_values(w, ev);
	cJSON_ArrayForEach(e, (cJSON_IsArray(arr) ? arr : NULL))
		if (cJSON_IsObject(e))
			take_values(w, e);
}

/* Parses "3", "0-7", "2,5", "0-3,6" at s into ids (at most max); returns the count. */
static size_t parse_ids(const char *s, int *ids, size_t max)
{
	size_t n = 0;
	while (*s >= '0' && *s <= '9') {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (*end == '-' && end[1] >= '0' && end[1] <= '9')
			b = strtol(end + 1, &end, 10);
		for (long k = a; k <= b && k <= MAX_NPU_ID && n < max; k++)
			ids[n++] = (int)k;
		if (*end != ',' || end[1] < '0' || end[1] > '9')
			break;
		s = end + 1;
	}
	return n;
}

/* The NPUs a finding is about: evidence "npu", else "NPU <ids>" in the message. */
static size_t finding_npus(const struct v4_result *x, int *ids, size_t max)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(v4_result_evidence(x), "npu");
	int one = cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble <= MAX_NPU_ID;
	if (one)
		ids[0] = id->valueint;
	v4_result_close(x);
	if (one)
		return 1;
	for (const char *p = x->message; p && (p = strstr(p, "NPU ")); p += 4)
		if (p[4] >= '0' && p[4] <= '9')
			return parse_ids(p + 4, ids, max);
	return 0;
}

/* Ties one non-PASS result to its NPUs' cells, or to the row. */
static void take_finding(struct row *w, const struct v4_result *x, size_t idx)
{
	int ids[64];
	size_t n = finding_npus(x, ids, V4_ARRAY_LEN(ids));
	int drift = strcmp(x->check, "drift") == 0;
	for (size_t k = 0; k < n; k++) {
		struct cell *c = cell_of(w, ids[k]);
		c->worst = c->nfind++ ? v4_worst(c->worst, x->status) : x->status;
		c->changed |= drift;
		sbuf_printf(&c->tip, "%s%s %s %s: %s", c->tip.len ? "\n" : "", v4_status_name(x->status),
			    x->check, x->code, x->message);
	}
	if (!n) {
		grow(&w->other, &w->capo, w->no + 1, sizeof *w->other);
		w->other[w->no++] = idx;
		w->changed |= drift;
	}
}

/* The index of node name in r, starting the search at *hint (results come
 * grouped by check, in node order); -1 when it is not a node (e.g. "cluster"). */
static long node_index(const struct v4_report *r, const char *name, size_t *hint)
{
	for (size_t k = 0; k < r->nn; k++) {
		size_t i = (*hint + k) % r->nn;
		if (strcmp(r->nodes[i].name, name) == 0) {
			*hint = i + 1;
			return (long)i;
		}
	}
	return -1;
}

/* Orders cells by NPU id. */
static int cell_cmp(const void *a, const void *b)
{
	return ((const struct cell *)a)->id - ((const struct cell *)b)->id;
}

/* Builds every node's row (and the cluster's, at index nn) from the results. */
static struct row *gather(const struct v4_report *r)
{
	struct row *rows = xcalloc(r->nn + 1, sizeof *rows);
	size_t hint = 0;
	for (size_t i = 0; i < r->res->n; i++) {
		const struct v4_result *x = &r->res->v[i];
		long k = r->nn ? node_index(r, x->node, &hint) : -1;
		struct row *w = &rows[k < 0 ? r->nn : (size_t)k];
		if (k >= 0)
			take_evidence(w, v4_result_evidence(x));
		v4_result_close(x);
		if (x->status != V4_PASS && x->status != V4_SKIP)
			take_finding(w, x, i);
	}
	for (size_t i = 0; i < r->nn; i++)
		if (rows[i].nc)
			qsort(rows[i].cells, rows[i].nc, sizeof *rows[i].cells, cell_cmp);
	return rows;
}

/* Frees the rows. */
static void rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < rows[i].nc; k++)
			sbuf_free(&rows[i].cells[k].tip);
		free(rows[i].cells);
		free(rows[i].other);
	}
	free(rows);
}

/* The NPU ids of all rows, sorted, as the map's columns. Returns the count. */
static size_t columns(const struct row *rows, size_t nn, int **cols)
{
	char seen[MAX_NPU_ID + 1] = {0};
	size_t n = 0;
	for (size_t i = 0; i < nn; i++)
		for (size_t k = 0; k < rows[i].nc; k++)
			if (rows[i].cells[k].id >= 0 && rows[i].cells[k].id <= MAX_NPU_ID)
				seen[rows[i].cells[k].id] = 1;
	*cols = xcalloc(MAX_NPU_ID + 1, sizeof **cols);
	for (int id = 0; id <= MAX_NPU_ID; id++)
		if (seen[id])
			(*cols)[n++] = id;
	return n;
}

/* ---- writing the map ---- */

/* HBM MB as "3.3/64G". */
static void hbm_text(FILE *out, const struct cell *c)
{
	if (c->used < 0 && c->total < 0) {
		fputs("HBM ?", out);
		return;
	}
	if (c->used >= 0)
		fprintf(out, "%.1f", c->used / 1024.0);
	else
		fputs("?", out);
	if (c->total >= 0)
		fprintf(out, "/%.0f", c->total / 1024.0);
	fputs(" GB", out);
}

/* One NPU cell. */
static void put_cell(FILE *out, const char *node, const struct cell *c)
{
	const char *tls = c->sw < 0 ? "unknown" : c->sw ? "on" : "off";
	fprintf(out, "<td class=\"npu s-%s%s\" data-node=\"", st_class(c->worst), c->changed ? " changed" : "");
	esc(out, node);
	fprintf(out, "\" data-npu=\"%d\" data-state=\"%s\" data-tls=\"%s\"", c->id,
		v4_status_name(c->worst), tls);
	if (c->used >= 0)
		fprintf(out, " data-hbm-used-mb=\"%.0f\"", c->used);
	if (c->total >= 0)
		fprintf(out, " data-hbm-total-mb=\"%.0f\"", c->total);
	fputs(" data-link=\"", out);
	esc(out, c->link[0] ? c->link : "unknown");
	fputs("\" data-health=\"", out);
	esc(out, c->health[0] ? c->health : "unknown");
	fprintf(out, "\" data-changed=\"%d\" title=\"", c->changed);
	esc(out, c->tip.len ? c->tip.s : "no finding");
	fprintf(out, "\"><div class=\"npuid\">%d <span class=\"sym\" aria-label=\"%s\">%s</span>%s</div>",
		c->id, v4_status_name(c->worst), st_sym(c->worst),
		c->changed ? " <span class=\"delta\" title=\"changed since the baseline\">\u0394</span>" : "");
	fprintf(out, "<div class=\"%s\">TLS %s</div><div>", c->sw > 0 ? "tls-on" : "", tls);
	hbm_text(out, c);
	fputs("</div><div>", out);
	esc(out, c->link[0] ? c->link : "link ?");
	fputs(" \u00b7 ", out);
	esc(out, c->health[0] ? c->health : "health ?");
	fputs("</div></td>", out);
}

/* One finding of a row's list. */
static void put_other(FILE *out, const struct v4_result *x)
{
	fprintf(out, "<li class=\"s-%s\" data-check=\"", st_class(x->status));
	esc(out, x->check);
	fputs("\" data-code=\"", out);
	esc(out, x->code);
	fputs("\" title=\"", out);
	esc(out, x->message);
	fprintf(out, "\"><span aria-hidden=\"true\">%s</span> %s ", st_sym(x->status), v4_status_name(x->status));
	esc(out, x->check);
	fputs(" <code>", out);
	esc(out, x->code);
	fputs("</code></li>", out);
}

/* "▲ 4 WARN: loader, serve-args" per state, for a folded list. */
static void put_tally(FILE *out, const struct v4_report *r, const struct row *w)
{
	static const enum v4_status order[] = {V4_FAIL, V4_UNREACHABLE, V4_ERROR, V4_WARN};
	for (size_t s = 0, first = 1; s < V4_ARRAY_LEN(order); s++) {
		size_t n = 0;
		for (size_t k = 0; k < w->no; k++)
			n += r->res->v[w->other[k]].status == order[s];
		if (!n)
			continue;
		fprintf(out, "%s<span class=\"s-%s\">%s %zu %s:", first ? "" : " ", st_class(order[s]),
			st_sym(order[s]), n, v4_status_name(order[s]));
		first = 0;
		for (size_t k = 0, shown = 0; k < w->no; k++) {
			const struct v4_result *x = &r->res->v[w->other[k]];
			int dup = 0;
			for (size_t j = 0; j < k && !dup; j++)
				dup = r->res->v[w->other[j]].status == order[s] &&
				      strcmp(r->res->v[w->other[j]].check, x->check) == 0;
			if (x->status != order[s] || dup)
				continue;
			fputs(shown++ ? ", " : " ", out);
			esc(out, x->check);
		}
		fputs("</span>", out);
	}
}

/* The node-level (or cluster-level) findings of a row: a list, folded
 * behind a tally when there are more than two (rows stay short). */
static void put_others(FILE *out, const struct v4_report *r, const struct row *w)
{
	fputs("<td class=\"others\">", out);
	if (w->no > 2) {
		fputs("<details><summary>", out);
		put_tally(out, r, w);
		fputs("</summary>", out);
	}
	if (w->no)
		fputs("<ul>", out);
	for (size_t k = 0; k < w->no; k++)
		put_other(out, &r->res->v[w->other[k]]);
	fputs(w->no ? "</ul>" : "", out);
	fputs(w->no > 2 ? "</details></td>" : "</td>", out);
}

/* The worst state of node's results. */
static enum v4_status node_worst(const struct v4_results *res, const char *node)
{
	enum v4_status w = V4_PASS;
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(res->v[i].node, node) == 0)
			w = v4_worst(w, res->v[i].status);
	return w;
}

/* One node's row of the map. */
static void put_row(FILE *out, const struct v4_report *r, const struct v4_node *n, const struct row *w,
		    const int *cols, size_t ncols)
{
	enum v4_status st = n->unreachable ? V4_UNREACHABLE : node_worst(r->res, n->name);
	fprintf(out, "<tr class=\"s-%s%s\" data-node=\"", st_class(st), w->changed ? " changed" : "");
	esc(out, n->name);
	fprintf(out, "\" data-state=\"%s\"><th scope=\"row\"><span class=\"sym\">%s</span> ",
		v4_status_name(st), st_sym(st));
	esc(out, n->name);
	if (n->rank >= 0)
		fprintf(out, " <small>rank %d</small>", n->rank);
	if (!n->unreachable && v4_node_mode_name(n->mode)) {
		fprintf(out, " <small class=\"mode\" title=\"");
		esc(out, n->mode_why ? n->mode_why : "how its probes ran");
		fprintf(out, "\">%s</small>", v4_node_mode_name(n->mode));
	}
	if (w->changed)
		fputs(" <span class=\"delta\" title=\"changed since the baseline\">\u0394</span>", out);
	fputs("</th>", out);
	if (n->unreachable) {
		fprintf(out, "<td class=\"npu s-unreachable\" colspan=\"%zu\">UNREACHABLE: ", ncols ? ncols : 1);
		esc(out, n->reason ? n->reason : "");
		fputs("</td>", out);
	}
	for (size_t k = 0; !n->unreachable && k < ncols; k++) {
		const struct cell *c = NULL;
		for (size_t j = 0; j < w->nc && !c; j++)
			c = w->cells[j].id == cols[k] ? &w->cells[j] : NULL;
		if (c)
			put_cell(out, n->name, c);
		else
			fputs("<td class=\"npu none\">\u2014</td>", out);
	}
	if (!n->unreachable && !ncols)
		fputs("<td class=\"npu none\">no NPU data</td>", out);
	put_others(out, r, w);
	fputs("</tr>\n", out);
}

/* The map: a header, the cluster row, one row per node. */
static void put_map(FILE *out, const struct v4_report *r)
{
	struct row *rows = gather(r);
	int *cols;
	size_t ncols = columns(rows, r->nn, &cols);
	fputs("<section id=\"map\"><h2>Cluster map</h2>\n<div class=\"mapwrap\"><table class=\"map\">"
	      "<thead><tr><th scope=\"col\">node</th>", out);
	for (size_t k = 0; k < ncols; k++)
		fprintf(out, "<th scope=\"col\">NPU %d</th>", cols[k]);
	if (!ncols)
		fputs("<th scope=\"col\">NPUs</th>", out);
	fputs("<th scope=\"col\">node findings</th></tr></thead>\n<tbody>\n", out);
	const struct row *cw = &rows[r->nn];
	enum v4_status cst = V4_PASS;
	for (size_t k = 0; k < cw->no; k++)
		cst = v4_worst(cst, r->res->v[cw->other[k]].status);
	fprintf(out, "<tr class=\"cluster s-%s%s\" data-node=\"cluster\" data-state=\"%s\"><th scope=\"row\">"
		"<span class=\"sym\">%s</span> cluster</th><td class=\"npu none\" colspan=\"%zu\">%s</td>",
		st_class(cst), cw->changed ? " changed" : "", v4_status_name(cst), st_sym(cst),
		ncols ? ncols : 1, cw->no ? "cross-node findings \u2192" : "no cross-node finding");
	put_others(out, r, cw);
	fputs("</tr>\n", out);
	for (size_t i = 0; i < r->nn; i++)
		put_row(out, r, &r->nodes[i], &rows[i], cols, ncols);
	fputs("</tbody></table></div></section>\n", out);
	free(cols);
	rows_free(rows, r->nn + 1);
}

/* ---- writing the findings ---- */

/* 1 when results a and b fold into one line (as the text report folds them). */
static int same(const struct v4_result *a, const struct v4_result *b)
{
	return a->status == b->status && strcmp(a->code, b->code) == 0 &&
	       strcmp(a->message, b->message) == 0;
}

/* The evidence of the folded results idx[0..k): once when all agree, else per node
 * (at most 20 nodes; the JSON report has all). */
static void put_evidence(FILE *out, const struct v4_results *res, const size_t *idx, size_t k)
{
	int all_same = 1;
	const cJSON *first = v4_result_evidence(&res->v[idx[0]]);
	for (size_t j = 1; j < k && all_same; j++) {
		all_same = cJSON_Compare(first, v4_result_evidence(&res->v[idx[j]]), 1);
		v4_result_close(&res->v[idx[j]]);
	}
	v4_result_close(&res->v[idx[0]]);
	size_t shown = all_same ? 1 : k < 20 ? k : 20;
	if (!res->v[idx[0]].evidence && !res->v[idx[0]].ev_packed && all_same)
		return;
	fputs("<details class=\"evidence\"><summary>evidence</summary>", out);
	for (size_t j = 0; j < shown; j++) {
		const struct v4_result *x = &res->v[idx[j]];
		const cJSON *ev = v4_result_evidence(x);
		char *s = ev ? cJSON_Print(ev) : xstrdup("{}");
		v4_result_close(x);
		if (!all_same) {
			fputs("<h4>", out);
			esc(out, x->node);
			fputs("</h4>", out);
		}
		fputs("<pre>", out);
		esc(out, s);
		fputs("</pre>", out);
		free(s);
	}
	if (shown < k)
		fprintf(out, "<p>and %zu more nodes (see <code>-o json</code>)</p>", k - shown);
	fputs("</details>", out);
}

/* One folded line of check c: results idx[0..k). */
static void put_line(FILE *out, const struct v4_results *res, const size_t *idx, size_t k, char **names)
{
	const struct v4_result *x = &res->v[idx[0]];
	char *fold = v4_hostrange_fold(names, k);
	fprintf(out, "<li class=\"s-%s\" data-code=\"", st_class(x->status));
	esc(out, x->code);
	fputs("\">", out);
	badge(out, x->status);
	fputs(" <code>", out);
	esc(out, x->code);
	fputs("</code> <b class=\"nodes\">", out);
	esc(out, fold);
	fputs("</b>: ", out);
	esc(out, x->message);
	put_evidence(out, res, idx, k);
	fputs("</li>\n", out);
	free(fold);
}

/* The catalogue text of check c (what it means, probes, fix), folded. */
static void put_explain(FILE *out, const struct v4_check *c)
{
	fputs("<details class=\"explain\"><summary>what this check means</summary><pre>", out);
	esc(out, c->explain);
	fputs("</pre><p><b>Probes:</b> ", out);
	esc(out, c->probes_doc);
	fputs("</p><p><b>Fix:</b> ", out);
	esc(out, c->fix_doc ? c->fix_doc : "none; the finding says what to change.");
	fputs("</p></details>\n", out);
}

/* One check's section: its results folded across nodes, with evidence. */
static void put_check(FILE *out, const struct v4_report *r, const struct v4_check *c)
{
	size_t n = r->res->n, nlines = 0, counts[6] = {0};
	char *done = xcalloc(n ? n : 1, 1);
	char **names = xcalloc(n ? n : 1, sizeof *names);
	size_t *idx = xcalloc(n ? n : 1, sizeof *idx);
	char *body = NULL;
	size_t blen = 0;
	FILE *mem = open_memstream(&body, &blen);
	enum v4_status st = v4_check_status(r->res, c->id);
	for (size_t i = 0; i < n; i++) {
		const struct v4_result *x = &r->res->v[i];
		if (done[i] || strcmp(x->check, c->id) != 0)
			continue;
		size_t k = 0;
		for (size_t j = i; j < n; j++)
			if (!done[j] && strcmp(r->res->v[j].check, c->id) == 0 && same(x, &r->res->v[j])) {
				names[k] = r->res->v[j].node;
				idx[k++] = j;
				done[j] = 1;
			}
		counts[x->status] += k;
		nlines++;
		put_line(mem, r->res, idx, k, names);
	}
	fclose(mem);
	int open = (st == V4_FAIL || st == V4_ERROR || st == V4_UNREACHABLE) && nlines <= 20;
	fprintf(out, "<details class=\"check s-%s\" id=\"check-", st_class(st));
	esc(out, c->id);
	fprintf(out, "\" data-check=\"");
	esc(out, c->id);
	fprintf(out, "\" data-state=\"%s\"%s><summary>", v4_status_name(st), open ? " open" : "");
	badge(out, st);
	fputs(" <code>", out);
	esc(out, c->id);
	fputs("</code> ", out);
	esc(out, c->title);
	fputs(" <small>(", out);
	for (int s = 0, first = 1; s < 6; s++)
		if (counts[s]) {
			fprintf(out, "%s%zu %s", first ? "" : ", ", counts[s], v4_status_name((enum v4_status)s));
			first = 0;
		}
	fputs(")</small></summary>\n", out);
	put_explain(out, c);
	fprintf(out, "<ul class=\"results\">\n%s</ul></details>\n", body ? body : "");
	free(body);
	free(done);
	free(names);
	free(idx);
}

/* ---- the page ---- */

static const char css[] =
	":root{--pass:#009E73;--warn:#E69F00;--fail:#D55E00;--error:#CC79A7;--skip:#999;"
	"--unreachable:#CC79A7;--fg:#111;--bg:#fff}\n"
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
	"background:var(--bg);margin:1em 2em}\n"
	"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1em 0 .4em}\n"
	"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}\n"
	"pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:.5em;margin:.3em 0}\n"
	".summary span{margin-right:1em}\n"
	".legend span{display:inline-block;margin:.1em .4em .1em 0;padding:0 .4em}\n"
	".mapwrap{overflow:auto;max-height:75vh;border:1px solid #ccc}\n"
	"table.map{border-collapse:separate;border-spacing:3px}\n"
	".map thead th{position:sticky;top:0;background:#fff;z-index:2;font-weight:600}\n"
	".map tbody th{position:sticky;left:0;background:#fff;z-index:1;text-align:left;"
	"white-space:nowrap;padding:0 .5em}\n"
	"td.npu{min-width:7.5em;padding:3px 5px;vertical-align:top;font-size:12px;"
	"border:2px solid var(--skip);border-radius:4px;white-space:nowrap}\n"
	"td.npu.none{border:1px dashed #bbb;color:#777;text-align:center}\n"
	".npuid{font-weight:700}.tls-on{font-weight:700;text-decoration:underline}\n"
	".s-pass,td.npu.s-pass{border-color:var(--pass)}td.npu.s-pass{background:#e6f5ef}\n"
	".s-skip,td.npu.s-skip{border-color:var(--skip)}td.npu.s-skip{background:#f2f2f2}\n"
	".s-warn,td.npu.s-warn{border-color:var(--warn)}td.npu.s-warn{background:#fdf1d8;border-style:dashed}\n"
	".s-error,.s-unreachable,td.npu.s-error,td.npu.s-unreachable{border-color:var(--error)}"
	"td.npu.s-error,td.npu.s-unreachable{background:#f7e6ef;border-style:dotted}\n"
	".s-fail,td.npu.s-fail{border-color:var(--fail)}td.npu.s-fail{background:#fbe3d6;border-width:4px}\n"
	"td.npu.changed{outline:3px double #0072B2;outline-offset:1px}\n"
	".delta{color:#0072B2;font-weight:700}\n"
	"td.others{font-size:12px;vertical-align:top;min-width:16em;max-width:26em}\n"
	"td.others summary{cursor:pointer}td.others summary span{margin-right:.3em}\n"
	"td.others ul,ul.results{margin:0;padding-left:1.2em}\n"
	"td.others li{text-indent:-1em;padding-left:1em;list-style:none}td.others ul{padding-left:0}\n"
	".badge{display:inline-block;min-width:5.5em;padding:0 .3em;border:2px solid;"
	"border-radius:3px;font-weight:700;font-size:12px}\n"
	".badge.s-pass{color:#005a41}.badge.s-warn{color:#7a5200;border-style:dashed}"
	".badge.s-fail{color:#9c3d00;border-width:3px}"
	".badge.s-error,.badge.s-unreachable{color:#7d3b63;border-style:dotted}.badge.s-skip{color:#555}\n"
	"details.check{border-left-width:4px;border-left-style:solid;padding:.2em .6em;margin:.4em 0}\n"
	"details.check>summary{cursor:pointer;font-size:1.05em}\n"
	"ul.results li{margin:.25em 0}\n"
	"details.explain,details.evidence{margin:.2em 0 .2em 1em;font-size:13px}\n"
	"@media print{body{margin:0;font-size:10pt}.mapwrap{overflow:visible;max-height:none;"
	"border:0}.map thead th,.map tbody th{position:static}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"details.check{break-inside:avoid-page}footer{display:none}}\n";

/* Opens every <details> while printing (optional: without script the page
 * prints what is open). */
static const char script[] =
	"(function(){var was=[];"
	"window.addEventListener('beforeprint',function(){was=[];"
	"document.querySelectorAll('details').forEach(function(d){was.push(d.open);d.open=true;});});"
	"window.addEventListener('afterprint',function(){"
	"document.querySelectorAll('details').forEach(function(d,i){if(i<was.length)d.open=was[i];});});"
	"})();";

/* The legend of states. */
static void put_legend(FILE *out)
{
	fputs("<p class=\"legend\">", out);
	static const enum v4_status order[] = {V4_PASS, V4_WARN, V4_FAIL, V4_ERROR, V4_UNREACHABLE, V4_SKIP};
	for (size_t i = 0; i < V4_ARRAY_LEN(order); i++) {
		badge(out, order[i]);
		fputc(' ', out);
	}
	fputs(" <span class=\"delta\">\u0394</span> changed since the baseline \u00b7 a cell: NPU id, "
	      "TLS switch, HBM used/total, RoCE link \u00b7 health; its colour, border and symbol are "
	      "those of its worst finding (hover for them)</p>\n", out);
}

/* The head of the page and the summary line. */
static void put_head(FILE *out, const struct v4_report *r)
{
	enum v4_status w = v4_results_worst(r->res);
	size_t reached = 0, counts[6] = {0};
	for (size_t i = 0; i < r->nn; i++)
		reached += !r->nodes[i].unreachable;
	for (size_t i = 0; i < r->res->n; i++)
		counts[r->res->v[i].status]++;
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"v4check %s\">\n<title>v4check: %s, %zu node%s</title>\n"
		"<style>\n%s</style>\n</head>\n<body data-status=\"%s\" data-exit=\"%d\">\n<header>"
		"<h1>v4check report: ",
		V4_VERSION, v4_status_name(w), r->nn, r->nn == 1 ? "" : "s", css, v4_status_name(w),
		v4_exit_status(w));
	badge(out, w);
	fprintf(out, " <small>exit %d</small></h1>\n<p class=\"summary\"><span>%zu node%s (%zu reached)</span>"
		"<span>%zu check%s</span><span>", v4_exit_status(w), r->nn, r->nn == 1 ? "" : "s", reached,
		r->nc, r->nc == 1 ? "" : "s");
	esc(out, r->mode ? r->mode : "");
	fprintf(out, "</span><span>v4check %s</span></p>\n<p class=\"summary\">", V4_VERSION);
	for (int s = 5; s >= 0; s--)
		if (counts[s])
			fprintf(out, "<span>%zu %s</span>", counts[s], v4_status_name((enum v4_status)s));
	fputs("</p>\n", out);
	put_legend(out);
	fputs("</header>\n", out);
}

/* A string member of o, or "". */
static const char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* What changed since the last run (--state) and the fixes, when there are any. */
static void put_extras(FILE *out, const struct v4_report *r)
{
	if (r->changes) {
		fprintf(out, "<section id=\"changes\"><h2>Changes since the last run (%d)</h2><ul>",
			cJSON_GetArraySize(r->changes));
		for (const cJSON *c = r->changes->child; c; c = c->next) {
			static const char *const keys[] = {"change", "status", "check", "code", "node", "message"};
			fputs("<li>", out);
			for (size_t k = 0; k < V4_ARRAY_LEN(keys); k++) {
				esc(out, str_of(c, keys[k]));
				fputc(' ', out);
			}
			fputs("</li>", out);
		}
		fputs("</ul></section>\n", out);
	}
	if (r->plan && r->plan->n) {
		fputs("<section id=\"fixes\"><h2>Fix plan</h2><ul>", out);
		for (size_t i = 0; i < r->plan->n; i++) {
			fputs("<li><b>", out);
			esc(out, r->plan->v[i].node);
			fputs("</b>: <code>", out);
			esc(out, r->plan->v[i].cmd);
			fputs("</code> \u2014 ", out);
			esc(out, r->plan->v[i].refused ? r->plan->v[i].refused : r->plan->v[i].why);
			fputs("</li>", out);
		}
		fputs("</ul></section>\n", out);
	}
}

void v4_report_html(FILE *out, const struct v4_report *r)
{
	put_head(out, r);
	fputs("<main>\n", out);
	put_map(out, r);
	put_extras(out, r);
	fputs("<section id=\"findings\"><h2>Findings per check</h2>\n", out);
	for (size_t c = 0; c < r->nc; c++)
		put_check(out, r, r->checks[c]);
	fprintf(out, "</section>\n</main>\n<footer><p><small>v4check %s \u00b7 findings and codes: "
		"<code>man v4check-checks</code></small></p></footer>\n<script>%s</script>\n</body></html>\n",
		V4_VERSION, script);
}

int v4_report_html_file(const char *path, const struct v4_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return -1;
	v4_report_html(mem, r);
	fclose(mem);
	int rc = write_file_atomic(path, buf, len, 0644);
	free(buf);
	return rc;
}
