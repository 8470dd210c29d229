/* Facts and evidence packed in memory. Once a node's probing is over, the
 * texts of its larger facts (command, stdout, stderr) are deflated together
 * and opened again only while a check reads them; once a check has judged,
 * each of its results' evidence is kept as deflated JSON text and parsed
 * again only while a report reads it. Each text is deflated against the
 * first text packed under a key of the same shape (a fact's id, a result's
 * check and finding; numbers in it aside): a cluster's nodes, NPUs and
 * processes are alike, so most of a node's texts take a few bytes each. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "v4.h"

#define PACK_MIN 64        /* facts with fewer text bytes are kept as they are */
#define DICT_MAX (32u << 10) /* deflate's window: a longer dictionary is not read */

/* Bytes of f's texts as one blob: cmd NUL out err. */
static size_t blob_len(const struct v4_fact *f)
{
	return strlen(f->cmd ? f->cmd : "") + 1 + f->out_len + f->err_len;
}

/* A preset dictionary: the first DICT_MAX bytes of the first text packed
 * under a key of its shape (key_shape). Never changed or freed once made
 * (the process keeps them). */
struct dict {
	char *key;
	unsigned char *text;
	size_t len;
};

static struct {
	pthread_mutex_t mu;
	struct dict **v; /* open addressing, cap a power of two */
	size_t n, cap;
} dicts = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static size_t key_hash(const char *k)
{
	size_t h = 1469598103934665603u;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211u;
	return h;
}

/* The slot of key in a table of cap slots (its own or the empty one). */
static size_t dict_slot(struct dict **v, size_t cap, const char *key)
{
	size_t i = key_hash(key) & (cap - 1);
	while (v[i] && strcmp(v[i]->key, key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static void dicts_grow(void)
{
	size_t cap = dicts.cap ? dicts.cap * 2 : 256;
	struct dict **v = xcalloc(cap, sizeof *v);
	for (size_t i = 0; i < dicts.cap; i++)
		if (dicts.v[i])
			v[dict_slot(v, cap, dicts.v[i]->key)] = dicts.v[i];
	free(dicts.v);
	dicts.v = v;
	dicts.cap = cap;
}

/* key with each run of digits as one '#': the NPU, pid or address an id
 * names ("serve-environ.4711") does not make a dictionary of its own. */
static char *key_shape(const char *key)
{
	char *s = xmalloc(strlen(key) + 1), *o = s;
	for (const char *k = key; *k; k++)
		if (*k < '0' || *k > '9')
			*o++ = *k;
		else if (o == s || o[-1] != '#')
			*o++ = '#';
	*o = 0;
	return s;
}

/* The dictionary of key's shape; made from the n bytes of p when there is
 * none (p NULL: none is made, NULL when there is none). */
static const struct dict *dict_for(const char *id, const void *p, size_t n)
{
	char *key = key_shape(id);
	pthread_mutex_lock(&dicts.mu);
	if (p && (dicts.n + 1) * 2 > dicts.cap)
		dicts_grow();
	struct dict *d = NULL;
	if (dicts.cap) {
		size_t i = dict_slot(dicts.v, dicts.cap, key);
		d = dicts.v[i];
		if (!d && p) {
			d = xcalloc(1, sizeof *d);
			d->key = key;
			key = NULL;
			d->len = n < DICT_MAX ? n : DICT_MAX;
			d->text = xmalloc(d->len ? d->len : 1);
			memcpy(d->text, p, d->len);
			dicts.v[i] = d;
			dicts.n++;
		}
	}
	pthread_mutex_unlock(&dicts.mu);
	free(key);
	return d;
}

size_t v4_pack_dict_bytes(void)
{
	size_t b = 0;
	pthread_mutex_lock(&dicts.mu);
	for (size_t i = 0; i < dicts.cap; i++)
		b += dicts.v[i] ? dicts.v[i]->len : 0;
	pthread_mutex_unlock(&dicts.mu);
	return b;
}

/* The n bytes of p deflated (raw, against key's dictionary) behind their
 * length (4 bytes), or NULL when that saves nothing; *zn its size. */
static unsigned char *deflate_bytes(const char *key, const void *p, size_t n, size_t *zn)
{
	if (n > 0xffffffffu)
		return NULL;
	const struct dict *d = dict_for(key, p, n);
	z_stream z = {0};
	if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = 4 + deflateBound(&z, (uLong)n);
	unsigned char *out = xmalloc(cap);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = out + 4;
	z.avail_out = (uInt)(cap - 4);
	int rc = deflateSetDictionary(&z, d->text, (uInt)d->len);
	if (rc == Z_OK)
		rc = deflate(&z, Z_FINISH);
	size_t len = 4 + z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || len >= n) {
		free(out);
		return NULL;
	}
	for (int k = 0; k < 4; k++)
		out[k] = (unsigned char)(n >> (8 * k));
	*zn = len;
	return xrealloc(out, len);
}

/* The bytes deflate_bytes packed under key, NUL-terminated; *n their
 * count. Aborts on a packed copy that does not inflate (memory gone bad:
 * nothing to judge by). */
static unsigned char *inflate_bytes(const char *key, const unsigned char *zp, size_t zn, size_t *n)
{
	size_t len = 0;
	for (int k = 0; k < 4; k++)
		len |= (size_t)zp[k] << (8 * k);
	unsigned char *p = xmalloc(len + 1);
	const struct dict *d = dict_for(key, NULL, 0);
	z_stream z = {0};
	int rc = d ? inflateInit2(&z, -15) : Z_DATA_ERROR;
	if (rc == Z_OK) {
		z.next_in = (Bytef *)(zp + 4);
		z.avail_in = (uInt)(zn - 4);
		z.next_out = p;
		z.avail_out = (uInt)len;
		rc = inflateSetDictionary(&z, d->text, (uInt)d->len);
		if (rc == Z_OK)
			rc = inflate(&z, Z_FINISH);
		if (rc == Z_STREAM_END && z.total_out != len)
			rc = Z_DATA_ERROR;
		inflateEnd(&z);
	}
	if (rc != Z_STREAM_END) {
		fprintf(stderr, "v4check: %s: packed copy does not inflate (%d)\n", key, rc);
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
	f->packed = deflate_bytes(f->id, blob, n, &f->packed_len);
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
	unsigned char *blob = inflate_bytes(f->id, f->packed, f->packed_len, &n);
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
	if (n->nfacts && n->capfacts > n->nfacts) { /* no room kept for facts to come */
		n->facts = xrealloc(n->facts, n->nfacts * sizeof *n->facts);
		n->capfacts = n->nfacts;
	}
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

/* The dictionary key of x's evidence: its check and finding. */
static char *ev_key(const struct v4_result *x)
{
	return xasprintf("%s %s", x->check, x->code);
}

void v4_results_pack(struct v4_results *r, size_t first)
{
	for (size_t i = first; i < r->n; i++) {
		struct v4_result *x = &r->v[i];
		if (!x->evidence || x->ev_packed)
			continue;
		char *t = cJSON_PrintUnformatted(x->evidence);
		size_t n = t ? strlen(t) : 0;
		char *key = ev_key(x);
		x->ev_packed = n >= PACK_MIN ? deflate_bytes(key, t, n, &x->ev_packed_len) : NULL;
		free(key);
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
	char *key = ev_key(x);
	char *t = (char *)inflate_bytes(key, x->ev_packed, x->ev_packed_len, &n);
	free(key);
	return t;
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
