/* Facts and evidence packed in memory. Once a node's probing is over, the
 * texts of its larger facts (command, stdout, stderr) are deflated together
 * and opened again only while a check reads them; once the checks have
 * judged, each result's evidence is kept as deflated JSON text and parsed
 * again only while a report reads it. A thousand nodes then fit in the
 * memory that a hundred took. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "v4.h"

#define PACK_MIN 256 /* facts with fewer text bytes are kept as they are */

/* Bytes of f's texts as one blob: cmd NUL out err. */
static size_t blob_len(const struct v4_fact *f)
{
	return strlen(f->cmd ? f->cmd : "") + 1 + f->out_len + f->err_len;
}

/* The n bytes of p deflated behind their length (4 bytes), or NULL when that
 * saves nothing; *zn its size. */
static unsigned char *deflate_bytes(const void *p, size_t n, size_t *zn)
{
	if (n > 0xffffffffu)
		return NULL;
	uLongf zl = compressBound((uLong)n);
	unsigned char *z = xmalloc(4 + zl);
	if (compress2(z + 4, &zl, p, (uLong)n, 1) != Z_OK || 4 + zl >= n) {
		free(z);
		return NULL;
	}
	for (int k = 0; k < 4; k++)
		z[k] = (unsigned char)(n >> (8 * k));
	*zn = 4 + zl;
	return xrealloc(z, *zn);
}

/* The bytes deflate_bytes packed, NUL-terminated; *n their count. Aborts on
 * a packed copy that does not inflate (memory gone bad: nothing to judge by). */
static unsigned char *inflate_bytes(const unsigned char *z, size_t zn, size_t *n, const char *what)
{
	uLongf len = 0;
	for (int k = 0; k < 4; k++)
		len |= (uLongf)z[k] << (8 * k);
	unsigned char *p = xmalloc(len + 1);
	uLongf got = len;
	int rc = uncompress(p, &got, z + 4, (uLong)(zn - 4));
	if (rc != Z_OK || got != len) {
		fprintf(stderr, "v4check: %s: packed copy does not inflate (%d)\n", what, rc);
		abort();
	}
	p[len] = 0;
	*n = len;
	return p;
}

/* Deflates f's texts into f->packed and frees them; f stays as it is when
 * that saves nothing. */
static void pack(struct v4_fact *f)
{
	size_t n = blob_len(f), cl = strlen(f->cmd ? f->cmd : "") + 1;
	if (f->packed || n < PACK_MIN)
		return;
	unsigned char *blob = xmalloc(n);
	memcpy(blob, f->cmd ? f->cmd : "", cl);
	if (f->out_len)
		memcpy(blob + cl, f->out, f->out_len);
	if (f->err_len)
		memcpy(blob + cl + f->out_len, f->err, f->err_len);
	f->packed = deflate_bytes(blob, n, &f->packed_len);
	free(blob);
	if (!f->packed)
		return;
	free(f->cmd);
	free(f->out);
	free(f->err);
	f->cmd = f->out = f->err = NULL;
}

/* A copy of len bytes with a NUL after them. */
static char *text(const unsigned char *p, size_t len)
{
	char *s = xmalloc(len + 1);
	memcpy(s, p, len);
	s[len] = 0;
	return s;
}

/* Inflates f->packed back into f's texts (a packed fact that is closed). */
static void open_fact(struct v4_fact *f)
{
	if (!f->packed || f->cmd)
		return;
	size_t n;
	unsigned char *blob = inflate_bytes(f->packed, f->packed_len, &n, f->id);
	if (n < f->out_len + f->err_len + 1) {
		fprintf(stderr, "v4check: fact %s: packed copy too short\n", f->id);
		abort();
	}
	size_t cl = n - f->out_len - f->err_len;
	f->cmd = text(blob, cl - 1);
	f->out = text(blob + cl, f->out_len);
	f->err = text(blob + cl + f->out_len, f->err_len);
	free(blob);
}

const struct v4_fact *v4_fact_at(const struct v4_node *n, size_t i)
{
	open_fact(&n->facts[i]);
	return &n->facts[i];
}

void v4_fact_unpack(struct v4_fact *f)
{
	open_fact(f);
	free(f->packed);
	f->packed = NULL;
	f->packed_len = 0;
}

void v4_node_pack_facts(struct v4_node *n)
{
	for (size_t i = 0; i < n->nfacts; i++)
		pack(&n->facts[i]);
}

void v4_node_close_facts(struct v4_node *n)
{
	for (size_t i = 0; i < n->nfacts; i++) {
		struct v4_fact *f = &n->facts[i];
		if (f->packed && f->cmd) {
			free(f->cmd);
			free(f->out);
			free(f->err);
			f->cmd = f->out = f->err = NULL;
		}
	}
}

size_t v4_node_facts_bytes(const struct v4_node *n)
{
	size_t b = n->capfacts * sizeof *n->facts;
	for (size_t i = 0; i < n->nfacts; i++) {
		const struct v4_fact *f = &n->facts[i];
		b += f->packed ? f->packed_len : 0;
		if (f->cmd)
			b += blob_len(f) + 2;
		b += strlen(f->id ? f->id : "") + 1 + (f->reason ? strlen(f->reason) + 1 : 0);
	}
	return b;
}

void v4_results_pack(struct v4_results *r, size_t first)
{
	for (size_t i = first; i < r->n; i++) {
		struct v4_result *x = &r->v[i];
		if (!x->evidence || x->ev_packed)
			continue;
		char *t = cJSON_PrintUnformatted(x->evidence);
		size_t n = t ? strlen(t) : 0;
		x->ev_packed = n >= PACK_MIN ? deflate_bytes(t, n, &x->ev_packed_len) : NULL;
		free(t);
		if (x->ev_packed) {
			cJSON_Delete(x->evidence);
			x->evidence = NULL;
		}
	}
}

/* The packed evidence's JSON text (NUL-terminated; caller frees). */
static char *ev_text(const struct v4_result *x)
{
	size_t n;
	return (char *)inflate_bytes(x->ev_packed, x->ev_packed_len, &n, x->code);
}

/* The evidence tree of text t (packed by v4_results_pack, so JSON). */
static cJSON *ev_parse(const struct v4_result *x, char *t)
{
	cJSON *e = cJSON_Parse(t);
	free(t);
	if (!e) {
		fprintf(stderr, "v4check: %s: packed evidence is not JSON\n", x->code);
		abort();
	}
	return e;
}

const cJSON *v4_result_evidence(const struct v4_result *x)
{
	struct v4_result *w = (struct v4_result *)x; /* opening changes no value */
	if (!w->evidence && w->ev_packed)
		w->evidence = ev_parse(x, ev_text(x));
	return w->evidence;
}

void v4_result_close(const struct v4_result *x)
{
	struct v4_result *w = (struct v4_result *)x;
	if (w->ev_packed && w->evidence) {
		cJSON_Delete(w->evidence);
		w->evidence = NULL;
	}
}

cJSON *v4_result_evidence_copy(const struct v4_result *x)
{
	if (x->evidence)
		return cJSON_Duplicate(x->evidence, 1);
	return x->ev_packed ? ev_parse(x, ev_text(x)) : NULL;
}

char *v4_result_evidence_text(const struct v4_result *x)
{
	if (x->evidence)
		return cJSON_PrintUnformatted(x->evidence);
	return x->ev_packed ? ev_text(x) : NULL;
}
