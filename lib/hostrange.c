/* Host ranges in pdsh / ClusterShell syntax: expansion and folding. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostrange.h"
#include "util.h"

#define MAX_DIGITS 9

/* FNV-1a hash of a string. */
static size_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* Rebuilds the hash index at twice the size. */
static void hl_rehash(struct v4_hostset *l)
{
	free(l->tab);
	l->tabcap = l->tabcap ? l->tabcap * 2 : 64;
	l->tab = xcalloc(l->tabcap, sizeof *l->tab);
	for (size_t i = 0; i < l->n; i++) {
		size_t k = hash_str(l->v[i]) & (l->tabcap - 1);
		while (l->tab[k])
			k = (k + 1) & (l->tabcap - 1);
		l->tab[k] = i + 1;
	}
}

/* Adds name unless already there; -1 with *err when over the limit. */
int v4_hostset_add(struct v4_hostset *l, const char *name, char **err)
{
	if (++l->made > (size_t)V4_HOSTRANGE_MAX * 10 || l->n >= V4_HOSTRANGE_MAX) {
		*err = xasprintf("host range too large (more than %d hosts)", V4_HOSTRANGE_MAX);
		return -1;
	}
	if ((l->n + 1) * 2 > l->tabcap)
		hl_rehash(l);
	size_t k = hash_str(name) & (l->tabcap - 1);
	for (; l->tab[k]; k = (k + 1) & (l->tabcap - 1))
		if (!strcmp(l->v[l->tab[k] - 1], name))
			return 0;
	grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n] = xstrdup(name);
	l->tab[k] = ++l->n;
	return 0;
}

/* 1 when l holds name. */
int v4_hostset_has(const struct v4_hostset *l, const char *name)
{
	if (!l->tabcap)
		return 0;
	size_t k = hash_str(name) & (l->tabcap - 1);
	for (; l->tab[k]; k = (k + 1) & (l->tabcap - 1))
		if (!strcmp(l->v[l->tab[k] - 1], name))
			return 1;
	return 0;
}

/* Frees a list. */
void v4_hostset_free(struct v4_hostset *l)
{
	v4_hostrange_free(l->v, l->n);
	free(l->tab);
	memset(l, 0, sizeof *l);
}

/* Frees an expanded host list. */
void v4_hostrange_free(char **hosts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
}

/* ---- expansion ---- */

/* Parses a run of 1..MAX_DIGITS digits at *p into *v and moves *p; -1 if none. */
static int parse_num(const char **p, unsigned long *v, size_t *len)
{
	const char *s = *p;
	size_t n = 0;
	*v = 0;
	while (isdigit((unsigned char)s[n])) {
		if (n == MAX_DIGITS)
			return -1;
		*v = *v * 10 + (unsigned long)(s[n] - '0');
		n++;
	}
	if (!n)
		return -1;
	*p = s + n;
	*len = n;
	return 0;
}

/* One element of a bracket group: "7", "01-04" or "1-9/2". */
struct relem {
	unsigned long lo, hi, step;
	int width;          /* zero-padding width, 0 none */
	const char *literal; /* a single non-range element, kept as written */
};

/* Parses elem into r; -1 with *err on a bad, reversed or huge range. */
static int parse_elem(const char *elem, struct relem *r, char **err)
{
	const char *p = elem;
	size_t la, lb;
	memset(r, 0, sizeof *r);
	r->step = 1;
	if (!*elem) {
		*err = xstrdup("empty element in host range");
		return -1;
	}
	if (parse_num(&p, &r->lo, &la) < 0 || (*p && *p != '-')) {
		for (p = elem; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
				*err = xasprintf("bad range element '%s'", elem);
				return -1;
			}
		r->literal = elem;
		return 0;
	}
	if (!*p) {
		r->literal = elem; /* "07": kept as written */
		return 0;
	}
	p++;
	if (parse_num(&p, &r->hi, &lb) < 0 ||
	    (*p == '/' && (p++, parse_num(&p, &r->step, &lb) < 0 || r->step == 0)) || *p) {
		*err = xasprintf("bad range '%s' (want N-M, N-M/STEP)", elem);
		return -1;
	}
	if (r->hi < r->lo) {
		*err = xasprintf("reversed range '%s'", elem);
		return -1;
	}
	if ((r->hi - r->lo) / r->step >= V4_HOSTRANGE_MAX) {
		*err = xasprintf("range '%s' too large (more than %d hosts)", elem, V4_HOSTRANGE_MAX);
		return -1;
	}
	r->width = la > 1 && elem[0] == '0' ? (int)la : 0;
	return 0;
}

static int expand_rec(struct v4_hostset *l, struct sbuf *pre, const char *rest, char **err);

/* Expands one element of a group in front of rest. */
static int expand_elem(struct v4_hostset *l, struct sbuf *pre, const char *elem, const char *rest,
		       char **err)
{
	struct relem r;
	size_t keep = pre->len;
	if (parse_elem(elem, &r, err) < 0)
		return -1;
	if (r.literal) {
		sbuf_adds(pre, r.literal);
		int rc = expand_rec(l, pre, rest, err);
		pre->len = keep;
		return rc;
	}
	for (unsigned long v = r.lo; v <= r.hi; v += r.step) {
		char num[32];
		snprintf(num, sizeof num, "%0*lu", r.width, v);
		sbuf_adds(pre, num);
		int rc = expand_rec(l, pre, rest, err);
		pre->len = keep;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Expands rest (text with bracket groups) after the prefix pre. */
static int expand_rec(struct v4_hostset *l, struct sbuf *pre, const char *rest, char **err)
{
	const char *lb = strchr(rest, '[');
	size_t keep = pre->len;
	int rc = 0;
	if (!lb) {
		sbuf_adds(pre, rest);
		rc = pre->len ? v4_hostset_add(l, pre->s, err) : 0;
		pre->len = keep;
		if (pre->s)
			pre->s[keep] = 0;
		return rc;
	}
	const char *rb = strchr(lb, ']'); /* checked by split_spec */
	sbuf_add(pre, rest, (size_t)(lb - rest));
	char *group = xstrndup(lb + 1, (size_t)(rb - lb - 1));
	char *elem = group;
	for (char *comma; rc == 0 && elem; elem = comma) {
		comma = strchr(elem, ',');
		if (comma)
			*comma++ = 0;
		rc = expand_elem(l, pre, elem, rb + 1, err);
	}
	free(group);
	pre->len = keep;
	if (pre->s)
		pre->s[keep] = 0;
	return rc;
}

/* Expands one top-level item ("r[1-2]n[1-2]"). */
static int expand_item(struct v4_hostset *l, const char *item, char **err)
{
	struct sbuf pre = {0};
	sbuf_adds(&pre, "");
	int rc = expand_rec(l, &pre, item, err);
	sbuf_free(&pre);
	return rc;
}

/* Ends the current item of the split and expands it. */
static int flush_item(struct v4_hostset *l, struct sbuf *item, char **err)
{
	int rc = item->len ? expand_item(l, item->s, err) : 0;
	item->len = 0;
	return rc;
}

/* Splits spec at top-level commas and blanks (blanks inside brackets are
 * dropped), checks bracket balance, and expands each item into l. */
static int split_spec(struct v4_hostset *l, const char *spec, char **err)
{
	struct sbuf item = {0};
	int depth = 0, rc = 0;
	for (const char *p = spec; *p && rc == 0; p++) {
		int blank = isspace((unsigned char)*p);
		if (*p == '[' && depth)
			*err = xasprintf("nested '[' in host range '%s'", spec), rc = -1;
		else if (*p == ']' && !depth)
			*err = xasprintf("unbalanced ']' in host range '%s'", spec), rc = -1;
		else if (!depth && (*p == ',' || blank))
			rc = flush_item(l, &item, err);
		else if (!blank)
			sbuf_add(&item, p, 1);
		depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
	}
	if (rc == 0 && depth) {
		*err = xasprintf("unbalanced '[' in host range '%s'", spec);
		rc = -1;
	}
	if (rc == 0)
		rc = flush_item(l, &item, err);
	sbuf_free(&item);
	return rc;
}

/* Expands spec into list l. */
static int expand_into(struct v4_hostset *l, const char *spec, char **err)
{
	*err = NULL;
	if (!spec) {
		*err = xstrdup("no host range given");
		return -1;
	}
	if (split_spec(l, spec, err) < 0) {
		v4_hostset_free(l);
		return -1;
	}
	return 0;
}

/* Expands spec into unique hosts in order. */
int v4_hostrange_expand(const char *spec, char ***hosts, size_t *n, char **err)
{
	struct v4_hostset l = {0};
	*hosts = NULL;
	*n = 0;
	if (expand_into(&l, spec, err) < 0)
		return -1;
	free(l.tab);
	*hosts = l.v;
	*n = l.n;
	return 0;
}

/* Expands spec, then drops the hosts exclude expands to. */
int v4_hostrange_expand_exclude(const char *spec, const char *exclude, char ***hosts,
				size_t *n, char **err)
{
	struct v4_hostset ex = {0};
	if (v4_hostrange_expand(spec, hosts, n, err) < 0)
		return -1;
	if (!exclude || !*exclude)
		return 0;
	if (expand_into(&ex, exclude, err) < 0) {
		v4_hostrange_free(*hosts, *n);
		*hosts = NULL;
		*n = 0;
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		if (v4_hostset_has(&ex, (*hosts)[i]))
			free((*hosts)[i]);
		else
			(*hosts)[k++] = (*hosts)[i];
	}
	*n = k;
	v4_hostset_free(&ex);
	return 0;
}

/* ---- folding ---- */

/* A name cut around its last run of digits. */
struct nparts {
	const char *s;
	size_t plen, dlen; /* prefix length, digit count; suffix follows */
	unsigned long v;
	int ok;            /* has a foldable number */
};

/* Splits name s into prefix, last number and suffix. */
static void split_name(const char *s, struct nparts *p)
{
	size_t len = strlen(s), end = len;
	memset(p, 0, sizeof *p);
	p->s = s;
	if (strpbrk(s, "[],"))
		return;
	while (end > 0 && !isdigit((unsigned char)s[end - 1]))
		end--;
	size_t start = end;
	while (start > 0 && isdigit((unsigned char)s[start - 1]))
		start--;
	if (end == 0 || end - start > MAX_DIGITS)
		return;
	p->plen = start;
	p->dlen = end - start;
	p->v = strtoul(s + start, NULL, 10);
	p->ok = 1;
}

/* 1 when a and b have the same prefix and suffix around their numbers. */
static int same_frame(const struct nparts *a, const struct nparts *b)
{
	return a->ok && b->ok && a->plen == b->plen && !strncmp(a->s, b->s, a->plen) &&
	       !strcmp(a->s + a->plen + a->dlen, b->s + b->plen + b->dlen);
}

/* 1 when b's number is exactly what a range starting at first gives after a. */
static int continues(const struct nparts *first, const struct nparts *a, const struct nparts *b)
{
	char num[32];
	const char *d0 = first->s + first->plen;
	int width = first->dlen > 1 && d0[0] == '0' ? (int)first->dlen : 0;
	if (b->v != a->v + 1)
		return 0;
	snprintf(num, sizeof num, "%0*lu", width, b->v);
	return strlen(num) == b->dlen && !strncmp(num, b->s + b->plen, b->dlen);
}

/* Appends the digits of name part p. */
static void add_digits(struct sbuf *b, const struct nparts *p)
{
	sbuf_add(b, p->s + p->plen, p->dlen);
}

/* Writes the group parts[0..n) (same frame) as prefix[runs]suffix. */
static void fold_group(struct sbuf *b, const struct nparts *parts, size_t n)
{
	if (n == 1) {
		sbuf_adds(b, parts[0].s);
		return;
	}
	sbuf_add(b, parts[0].s, parts[0].plen);
	sbuf_add(b, "[", 1);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && continues(&parts[i], &parts[j], &parts[j + 1]))
			j++;
		if (i)
			sbuf_add(b, ",", 1);
		add_digits(b, &parts[i]);
		if (j > i) {
			sbuf_add(b, "-", 1);
			add_digits(b, &parts[j]);
		}
		i = j + 1;
	}
	sbuf_add(b, "]", 1);
	sbuf_adds(b, parts[0].s + parts[0].plen + parts[0].dlen);
}

/* Folds runs of names with the same frame into prefix[ranges]suffix. */
char *v4_hostrange_fold(char **names, size_t n)
{
	struct sbuf b = {0};
	struct nparts *parts = xcalloc(n ? n : 1, sizeof *parts);
	for (size_t i = 0; i < n; i++)
		split_name(names[i], &parts[i]);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && same_frame(&parts[i], &parts[j]))
			j++;
		if (b.len)
			sbuf_add(&b, ",", 1);
		fold_group(&b, parts + i, j - i);
		i = j;
	}
	free(parts);
	return sbuf_take(&b);
}
