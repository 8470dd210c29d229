/* Prometheus text exposition parser and lookups. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "util.h"

/* Old and new vLLM names of the same series (vllm-ascend-facts.md §9). */
static const char *const aliases[][2] = {
	{"vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc"},
	{"vllm:gpu_prefix_cache_hits_total", "vllm:prefix_cache_hits_total"},
	{"vllm:gpu_prefix_cache_queries_total", "vllm:prefix_cache_queries_total"},
	{"vllm:time_per_output_token_seconds", "vllm:inter_token_latency_seconds"},
};

/* A line being read: text[0..n), cursor i. */
struct cur {
	const char *t;
	size_t n, i;
};

/* Skips blanks. */
static void skip_ws(struct cur *c)
{
	while (c->i < c->n && (c->t[c->i] == ' ' || c->t[c->i] == '\t'))
		c->i++;
}

/* Reads a metric (colons allowed) or label name; NULL when none is there. */
static char *read_name(struct cur *c, int colons)
{
	size_t b = c->i;
	while (c->i < c->n) {
		unsigned char ch = (unsigned char)c->t[c->i];
		if (!(isalpha(ch) || ch == '_' || (colons && ch == ':') || (c->i > b && isdigit(ch))))
			break;
		c->i++;
	}
	return c->i > b ? xstrndup(c->t + b, c->i - b) : NULL;
}

/* Reads a quoted label value with \" \\ \n escapes; NULL when malformed. */
static char *read_quoted(struct cur *c)
{
	struct sbuf b = {0};
	if (c->i >= c->n || c->t[c->i] != '"')
		return NULL;
	for (c->i++; c->i < c->n; c->i++) {
		char ch = c->t[c->i];
		if (ch == '"') {
			c->i++;
			return sbuf_take(&b);
		}
		if (ch == '\\' && c->i + 1 < c->n) {
			char e = c->t[++c->i];
			ch = e == 'n' ? '\n' : e;
			if (e != 'n' && e != '"' && e != '\\')
				sbuf_add(&b, "\\", 1); /* unknown escape: kept as written */
		}
		sbuf_add(&b, &ch, 1);
	}
	sbuf_free(&b);
	return NULL;
}

/* Frees a sample's contents. */
static void sample_free(struct prom_sample *s)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	free(s->labels);
	free(s->name);
}

/* Reads one label name="value" into s; NULL, or why not. */
static const char *read_label(struct cur *c, struct prom_sample *s, size_t *cap)
{
	char *ln = read_name(c, 0);
	if (!ln)
		return "bad label name";
	skip_ws(c);
	char *lv = NULL;
	if (c->i < c->n && c->t[c->i] == '=') {
		c->i++;
		skip_ws(c);
		lv = read_quoted(c);
	}
	if (!lv || s->nlabels >= PROM_MAX_LABELS) {
		free(ln);
		free(lv);
		return lv ? "too many labels" : "bad label value";
	}
	grow(&s->labels, cap, s->nlabels + 1, sizeof *s->labels);
	s->labels[s->nlabels].name = ln;
	s->labels[s->nlabels++].value = lv;
	return NULL;
}

/* Reads {a="x",b="y"} (a trailing comma allowed); NULL, or why not. */
static const char *read_labels(struct cur *c, struct prom_sample *s)
{
	size_t cap = 0;
	c->i++; /* '{' */
	for (;;) {
		skip_ws(c);
		if (c->i < c->n && c->t[c->i] == '}') {
			c->i++;
			return NULL;
		}
		const char *why = read_label(c, s, &cap);
		if (why)
			return why;
		skip_ws(c);
		if (c->i < c->n && c->t[c->i] == ',')
			c->i++;
		else if (c->i >= c->n || c->t[c->i] != '}')
			return "expected ',' or '}'";
	}
}

/* Reads the next blank-delimited token (bounded) into buf; its length. */
static size_t read_token(struct cur *c, char *buf, size_t cap)
{
	size_t b = c->i;
	while (c->i < c->n && c->t[c->i] != ' ' && c->t[c->i] != '\t')
		c->i++;
	size_t len = c->i - b;
	if (len >= cap)
		return 0;
	memcpy(buf, c->t + b, len);
	buf[len] = 0;
	return len;
}

/* Parses a sample value (Go ParseFloat spellings: +Inf, -Inf, NaN, 1e-3). */
static int parse_value(const char *tok, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(tok, &end);
	return *tok && !*end && (errno == 0 || errno == ERANGE);
}

/* Parses one sample line into s; NULL, or why not. */
static const char *parse_sample(const char *line, size_t n, struct prom_sample *s)
{
	struct cur c = {line, n, 0};
	char tok[64], *end;
	memset(s, 0, sizeof *s);
	if (!(s->name = read_name(&c, 1)))
		return "bad metric name";
	skip_ws(&c);
	if (c.i < n && c.t[c.i] == '{') {
		const char *why = read_labels(&c, s);
		if (why)
			return why;
	}
	skip_ws(&c);
	if (!read_token(&c, tok, sizeof tok) || !parse_value(tok, &s->value))
		return "bad value";
	skip_ws(&c);
	if (c.i < n) {
		if (!read_token(&c, tok, sizeof tok))
			return "bad timestamp";
		errno = 0;
		s->ts = strtoll(tok, &end, 10);
		if (*end || errno)
			return "bad timestamp";
		s->has_ts = 1;
		skip_ws(&c);
	}
	return c.i < n ? "trailing text" : NULL;
}

/* The metadata entry of family name, created when missing; NULL when there
 * are PROM_MAX_FAMILIES already (the lookup is linear: this bounds the parse). */
static struct prom_meta *meta_get(struct prom *p, const char *name)
{
	for (size_t i = p->nmeta; i-- > 0;) /* newest first: HELP and TYPE come together */
		if (strcmp(p->meta[i].name, name) == 0)
			return &p->meta[i];
	if (p->nmeta >= PROM_MAX_FAMILIES)
		return NULL;
	grow(&p->meta, &p->capmeta, p->nmeta + 1, sizeof *p->meta);
	struct prom_meta *m = &p->meta[p->nmeta++];
	m->name = xstrdup(name);
	m->help = m->type = NULL;
	return m;
}

/* Reads "# HELP name text" / "# TYPE name type"; other comments are ignored. */
static const char *parse_comment(struct prom *p, const char *line, size_t n)
{
	struct cur c = {line, n, 1};
	skip_ws(&c);
	int help = n - c.i >= 5 && memcmp(line + c.i, "HELP ", 5) == 0;
	int type = n - c.i >= 5 && memcmp(line + c.i, "TYPE ", 5) == 0;
	if (!help && !type)
		return NULL;
	c.i += 5;
	skip_ws(&c);
	char *name = read_name(&c, 1);
	if (!name)
		return help ? "bad # HELP" : "bad # TYPE";
	skip_ws(&c);
	struct prom_meta *m = meta_get(p, name);
	free(name);
	if (!m)
		return "too many metric families";
	char **slot = help ? &m->help : &m->type;
	free(*slot);
	*slot = xstrndup(line + c.i, n - c.i);
	return NULL;
}

/* Counts a bad line; the first one is described. */
static void bad_line(struct prom *p, size_t lineno, const char *why, const char *line, size_t n)
{
	if (!p->nerrors++)
		p->first_error = xasprintf("line %zu: %s: %.*s", lineno, why, (int)(n > 80 ? 80 : n),
					   line);
}

/* Parses Prometheus text into samples and family metadata, counting bad lines. */
int prom_parse(const char *text, size_t len, struct prom *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (!text || len > PROM_MAX_TEXT) {
		*err = xasprintf("metrics text %s", text ? "larger than 16 MiB" : "missing");
		return -1;
	}
	size_t pos = 0, n, lineno = 0;
	const char *line;
	while (next_line(text, len, &pos, &line, &n)) {
		lineno++;
		struct cur c = {line, n, 0};
		skip_ws(&c);
		if (c.i == n)
			continue;
		const char *why;
		if (line[c.i] == '#')
			why = parse_comment(out, line + c.i, n - c.i);
		else {
			struct prom_sample s;
			why = parse_sample(line + c.i, n - c.i, &s);
			if (why)
				sample_free(&s);
			else {
				grow(&out->s, &out->cap, out->n + 1, sizeof *out->s);
				out->s[out->n++] = s;
			}
		}
		if (why)
			bad_line(out, lineno, why, line, n);
	}
	return 0;
}

/* Releases everything and zeroes p. */
void prom_free(struct prom *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		sample_free(&p->s[i]);
	free(p->s);
	for (size_t i = 0; i < p->nmeta; i++) {
		free(p->meta[i].name);
		free(p->meta[i].help);
		free(p->meta[i].type);
	}
	free(p->meta);
	free(p->first_error);
	memset(p, 0, sizeof *p);
}

/* ---- lookups ---- */

/* The value of label name on sample s, or NULL. */
const char *prom_label(const struct prom_sample *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

/* 1 when s matches name (NULL any) and label=value (label NULL any). */
static int matches(const struct prom_sample *s, const char *name, const char *label,
		   const char *value)
{
	if (name && strcmp(s->name, name) != 0)
		return 0;
	if (!label)
		return 1;
	const char *v = prom_label(s, label);
	return v && (!value || strcmp(v, value) == 0);
}

/* The next sample at or after *pos matching name and label=value; advances *pos. */
const struct prom_sample *prom_next(const struct prom *p, const char *name, const char *label,
				    const char *value, size_t *pos)
{
	for (; *pos < p->n; (*pos)++)
		if (matches(&p->s[*pos], name, label, value))
			return &p->s[(*pos)++];
	return NULL;
}

/* The first matching sample, or NULL. */
const struct prom_sample *prom_find(const struct prom *p, const char *name, const char *label,
				    const char *value)
{
	size_t pos = 0;
	return prom_next(p, name, label, value, &pos);
}

/* How many samples match. */
size_t prom_count(const struct prom *p, const char *name, const char *label, const char *value)
{
	size_t pos = 0, k = 0;
	while (prom_next(p, name, label, value, &pos))
		k++;
	return k;
}

/* The sum of the matching samples' values (0 when none). */
double prom_sum(const struct prom *p, const char *name, const char *label, const char *value)
{
	size_t pos = 0;
	double sum = 0;
	const struct prom_sample *s;
	while ((s = prom_next(p, name, label, value, &pos)))
		sum += s->value;
	return sum;
}

/* Distinct values of label over samples named name (NULL: all), first-seen order. */
size_t prom_label_values(const struct prom *p, const char *name, const char *label,
			 const char ***vals)
{
	const char **v = NULL;
	size_t n = 0, cap = 0, pos = 0;
	const struct prom_sample *s;
	while ((s = prom_next(p, name, label, NULL, &pos))) {
		const char *x = prom_label(s, label);
		size_t j = 0;
		while (j < n && strcmp(v[j], x) != 0)
			j++;
		if (j == n) {
			grow(&v, &cap, n + 1, sizeof *v);
			v[n++] = x;
		}
	}
	*vals = v;
	return n;
}

/* The metadata of family, or NULL. */
static const struct prom_meta *meta_find(const struct prom *p, const char *family)
{
	for (size_t i = 0; i < p->nmeta; i++)
		if (strcmp(p->meta[i].name, family) == 0)
			return &p->meta[i];
	return NULL;
}

/* The # TYPE of a family, or NULL. */
const char *prom_type(const struct prom *p, const char *family)
{
	const struct prom_meta *m = meta_find(p, family);
	return m ? m->type : NULL;
}

/* The # HELP of a family, or NULL. */
const char *prom_help(const struct prom *p, const char *family)
{
	const struct prom_meta *m = meta_find(p, family);
	return m ? m->help : NULL;
}

/* ---- old and new vLLM names ---- */

/* The other vLLM generation's name for name (old <-> new), or NULL. */
char *prom_alias(const char *name)
{
	static const char *const sfx[] = {"", "_bucket", "_sum", "_count", "_created"};
	for (size_t i = 0; i < V4_ARRAY_LEN(aliases); i++)
		for (int side = 0; side < 2; side++) {
			const char *a = aliases[i][side];
			size_t al = strlen(a);
			if (strncmp(name, a, al) != 0)
				continue;
			for (size_t k = 0; k < V4_ARRAY_LEN(sfx); k++)
				if (strcmp(name + al, sfx[k]) == 0)
					return xasprintf("%s%s", aliases[i][!side], sfx[k]);
		}
	return NULL;
}

/* name when p has samples of it, else its alias when p has those, else NULL. */
const char *prom_resolve(const struct prom *p, const char *name)
{
	if (prom_find(p, name, NULL, NULL))
		return name;
	char *alt = prom_alias(name);
	const struct prom_sample *s = alt ? prom_find(p, alt, NULL, NULL) : NULL;
	free(alt);
	return s ? s->name : NULL;
}

/* prom_sum over whichever of name / its alias is present. */
double prom_sum_any(const struct prom *p, const char *name, const char *label, const char *value,
		    size_t *n)
{
	const char *r = prom_resolve(p, name);
	if (n)
		*n = r ? prom_count(p, r, label, value) : 0;
	return r ? prom_sum(p, r, label, value) : 0;
}

/* A histogram's mean (base_sum / base_count) over matching samples, either name. */
double prom_hist_mean(const struct prom *p, const char *base, const char *label,
		      const char *value)
{
	char *sn = xasprintf("%s_sum", base), *cn = xasprintf("%s_count", base);
	size_t ns, nc;
	double sum = prom_sum_any(p, sn, label, value, &ns);
	double cnt = prom_sum_any(p, cn, label, value, &nc);
	free(sn);
	free(cn);
	return ns && nc && cnt > 0 ? sum / cnt : NAN;
}
