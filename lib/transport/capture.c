/* Captures: written by `v4check collect`, read by the replay transport. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "opts.h"
#include "transport.h"

#define MAX_CAPTURE_FILE (64u << 20)

int v4_capture_name_ok(const char *s)
{
	if (!s || !*s || *s == '.' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' || *s == ':' ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* Writes data to dir/name.ext. */
static int put(const char *dir, const char *name, const char *ext, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s.%s", dir, name, ext);
	int rc = write_file_atomic(path, data ? data : "", data ? len : 0, 0600);
	free(path);
	return rc;
}

/* Reads the controller's time window of a fact (at0, at1), when recorded. */
static void fact_window(const cJSON *o, struct v4_fact *f)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "at0");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "at1");
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble > 0 &&
	    b->valuedouble >= a->valuedouble) {
		f->at0 = a->valuedouble;
		f->at1 = b->valuedouble;
	}
}

/* The metadata of a fact as a JSON object. */
static cJSON *fact_meta_json(const struct v4_fact *f)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "cmd", f->cmd);
	cJSON_AddStringToObject(m, "state", v4_fact_state_name(f->state));
	cJSON_AddNumberToObject(m, "exit", f->exit_code);
	cJSON_AddNumberToObject(m, "ms", f->ms);
	if (f->at0 > 0) {
		cJSON_AddNumberToObject(m, "at0", f->at0);
		cJSON_AddNumberToObject(m, "at1", f->at1);
	}
	if (f->reason)
		cJSON_AddStringToObject(m, "reason", f->reason);
	cJSON_AddBoolToObject(m, "truncated", f->truncated);
	return m;
}

/* The metadata of a fact as JSON text. Caller frees. */
static char *fact_meta(const struct v4_fact *f)
{
	cJSON *m = fact_meta_json(f);
	char *s = cJSON_Print(m);
	cJSON_Delete(m);
	return s;
}

/* Adds field name = base64 of p[0..n) to o. */
static void add_b64(cJSON *o, const char *name, const char *p, size_t n)
{
	char *b = base64_encode(p ? p : "", p ? n : 0);
	cJSON_AddStringToObject(o, name, b);
	free(b);
}

cJSON *v4_facts_json(const struct v4_node *n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n->nfacts; i++) {
		const struct v4_fact *f = v4_fact_at(n, i);
		cJSON *o = fact_meta_json(f);
		cJSON_AddStringToObject(o, "id", f->id);
		add_b64(o, "out", f->out, f->out_len);
		add_b64(o, "err", f->err, f->err_len);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* Decodes base64 field name of o into *p and *n. */
static int get_b64(const cJSON *o, const char *name, char **p, size_t *n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? base64_decode(v->valuestring, p, n) : -1;
}

/* How a fact object carries its streams: base64 (--facts) or compact text (raw). */
typedef int (*stream_reader)(const cJSON *o, const char *name, char **p, size_t *n);

/* Reads one fact object into f, its streams "out"/"err" (or "stdout"/"stderr")
 * with read. */
static int fact_read(const cJSON *o, struct v4_fact *f, stream_reader read, const char *out,
		     const char *err)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(o, "cmd");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "exit");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "ms");
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(o, "reason");
	if (!cJSON_IsString(id) || !v4_capture_name_ok(id->valuestring) || !cJSON_IsString(cmd) ||
	    !cJSON_IsString(st) || v4_fact_state_parse(st->valuestring, &f->state) ||
	    !cJSON_IsNumber(ex) || read(o, out, &f->out, &f->out_len) ||
	    read(o, err, &f->err, &f->err_len))
		return -1;
	f->id = xstrdup(id->valuestring);
	f->cmd = xstrdup(cmd->valuestring);
	f->exit_code = ex->valueint;
	f->ms = cJSON_IsNumber(ms) ? ms->valuedouble : 0;
	f->reason = cJSON_IsString(rs) ? xstrdup(rs->valuestring) : NULL;
	f->truncated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "truncated"));
	fact_window(o, f);
	return 0;
}

/* Reads an array of fact objects (member what of a report's node) into n. */
static int facts_read(const cJSON *arr, struct v4_node *n, const char *what, stream_reader read,
		      const char *out, const char *err_name, char **err)
{
	size_t i = 0;
	if (!cJSON_IsArray(arr)) {
		*err = xasprintf("node %s: \"%s\" is not an array", n->name, what);
		return -1;
	}
	for (const cJSON *o = arr->child; o; o = o->next, i++) {
		struct v4_fact *f = v4_node_add_fact(n);
		if (fact_read(o, f, read, out, err_name)) {
			v4_fact_free(f);
			n->nfacts--;
			*err = xasprintf("node %s: %s[%zu] is malformed", n->name, what, i);
			return -1;
		}
	}
	return 0;
}

int v4_facts_from_json(const cJSON *arr, struct v4_node *n, char **err)
{
	return facts_read(arr, n, "facts", get_b64, "out", "err", err);
}

/* 1 when p[0..n) is UTF-8 text without NUL (it then fits a JSON string as is). */
static int utf8_text(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 1
			 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 3 : 9;
		if (c == 0 || k == 9 || i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		if ((k == 2 && c == 0xe0 && s[i + 1] < 0xa0) || (k == 2 && c == 0xed && s[i + 1] >= 0xa0) ||
		    (k == 3 && c == 0xf0 && s[i + 1] < 0x90) || (k == 3 && c == 0xf4 && s[i + 1] >= 0x90))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* Adds a stream to a compact fact: as text under name, else base64 under name64. */
static void add_stream(cJSON *o, const char *name, const char *p, size_t n)
{
	if (!n)
		return;
	if (utf8_text(p, n)) {
		cJSON_AddStringToObject(o, name, p);
		return;
	}
	char *key = xasprintf("%s64", name);
	add_b64(o, key, p, n);
	free(key);
}

cJSON *v4_facts_raw_json(const struct v4_node *n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n->nfacts; i++) {
		const struct v4_fact *f = v4_fact_at(n, i);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", f->id);
		cJSON_AddStringToObject(o, "cmd", f->cmd);
		cJSON_AddStringToObject(o, "state", v4_fact_state_name(f->state));
		cJSON_AddNumberToObject(o, "exit", f->exit_code);
		cJSON_AddNumberToObject(o, "ms", (double)(long long)(f->ms * 10 + 0.5) / 10);
		if (f->at0 > 0) {
			cJSON_AddNumberToObject(o, "at0", f->at0);
			cJSON_AddNumberToObject(o, "at1", f->at1);
		}
		if (f->reason)
			cJSON_AddStringToObject(o, "reason", f->reason);
		if (f->truncated)
			cJSON_AddTrueToObject(o, "truncated");
		add_stream(o, "stdout", f->out, f->out_len);
		add_stream(o, "stderr", f->err, f->err_len);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* Reads a compact stream (text, base64 or absent = empty) into *p, *n. */
static int get_stream(const cJSON *o, const char *name, char **p, size_t *n)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, name);
	char *key = xasprintf("%s64", name);
	int rc = 0;
	if (cJSON_IsString(t)) {
		*n = strlen(t->valuestring);
		*p = xstrndup(t->valuestring, *n);
	} else if (cJSON_GetObjectItemCaseSensitive(o, key)) {
		rc = get_b64(o, key, p, n);
	} else if (t) {
		rc = -1;
	} else {
		*p = xstrdup("");
		*n = 0;
	}
	free(key);
	return rc;
}

int v4_facts_from_raw(const cJSON *arr, struct v4_node *n, char **err)
{
	return facts_read(arr, n, "raw", get_stream, "stdout", "stderr", err);
}

/* Writes one node's facts. */
static int write_node(const char *dir, const struct v4_node *n, char **err)
{
	char *nd = xasprintf("%s/%s", dir, n->name);
	int rc = -1;
	if (mkdir(nd, 0700) && errno != EEXIST) {
		*err = xasprintf("%s: %s", nd, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n->nfacts; i++) {
		const struct v4_fact *f = v4_fact_at(n, i);
		char *meta = fact_meta(f);
		int bad = put(nd, f->id, "out", f->out, f->out_len) ||
			  put(nd, f->id, "err", f->err, f->err_len) ||
			  put(nd, f->id, "json", meta, strlen(meta));
		free(meta);
		if (bad) {
			*err = xasprintf("%s/%s: %s", nd, f->id, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	free(nd);
	return rc;
}

/* The manifest describing the nodes. Caller frees. */
static char *manifest(const struct v4_node *nodes, size_t nn)
{
	cJSON *m = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	cJSON_AddNumberToObject(m, "schema", V4_CAPTURE_SCHEMA);
	cJSON_AddStringToObject(m, "tool", "v4check " V4_VERSION);
	cJSON_AddItemToObject(m, "nodes", arr);
	for (size_t i = 0; i < nn; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", nodes[i].name);
		cJSON_AddStringToObject(o, "host", nodes[i].host);
		cJSON_AddNumberToObject(o, "rank", nodes[i].rank);
		if (nodes[i].bond_ip)
			cJSON_AddStringToObject(o, "bond1", nodes[i].bond_ip);
		if (nodes[i].unreachable) {
			cJSON_AddTrueToObject(o, "unreachable");
			cJSON_AddStringToObject(o, "reason", nodes[i].reason ? nodes[i].reason : "");
		}
		cJSON_AddItemToArray(arr, o);
	}
	char *s = cJSON_Print(m);
	cJSON_Delete(m);
	return s;
}

int v4_capture_write(const char *dir, const struct v4_node *nodes, size_t nn, char **err)
{
	if (mkdir(dir, 0700) && errno != EEXIST) {
		*err = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < nn; i++) {
		if (!v4_capture_name_ok(nodes[i].name)) {
			*err = xasprintf("node name '%s' cannot be a folder name", nodes[i].name);
			return -1;
		}
		if (!nodes[i].unreachable && write_node(dir, &nodes[i], err))
			return -1;
	}
	char *m = manifest(nodes, nn);
	int rc = put(dir, "manifest", "json", m, strlen(m));
	free(m);
	if (rc)
		*err = xasprintf("%s/manifest.json: %s", dir, strerror(errno));
	return rc;
}

int v4_capture_config(const char *dir, const cJSON *cfg, char **err)
{
	char *text = cJSON_Print(cfg);
	int rc = put(dir, "config", "json", text, strlen(text));
	if (rc)
		*err = xasprintf("%s/config.json: %s", dir, strerror(errno));
	cJSON_free(text);
	return rc;
}

/* Reads one manifest entry into n. */
static int manifest_node(const cJSON *o, size_t i, struct v4_node *n, char **err)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
	const cJSON *rank = cJSON_GetObjectItemCaseSensitive(o, "rank");
	const cJSON *bond = cJSON_GetObjectItemCaseSensitive(o, "bond1");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(o, "reason");
	if (!cJSON_IsString(name) || !v4_capture_name_ok(name->valuestring)) {
		*err = xasprintf("manifest.json: nodes[%zu].name: expected a file-name-safe string", i);
		return -1;
	}
	n->name = xstrdup(name->valuestring);
	n->host = xstrdup(cJSON_IsString(host) ? host->valuestring : name->valuestring);
	n->rank = cJSON_IsNumber(rank) ? rank->valueint : (int)i;
	n->bond_ip = cJSON_IsString(bond) ? xstrdup(bond->valuestring) : NULL;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "unreachable"))) {
		n->unreachable = 1;
		n->reason = xstrdup(cJSON_IsString(reason) ? reason->valuestring : "unreachable");
	}
	return 0;
}

int v4_capture_nodes(const char *dir, struct v4_node **nodes, size_t *nn, char **err)
{
	char *path = xasprintf("%s/manifest.json", dir), *text = NULL;
	int rc = -1;
	*nodes = NULL;
	*nn = 0;
	if (read_file(path, MAX_CAPTURE_FILE, &text, NULL)) {
		*err = xasprintf("%s: %s (not a v4check capture?)", path, strerror(errno));
		goto out;
	}
	cJSON *m = cJSON_Parse(text);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(m, "nodes");
	if (!cJSON_IsArray(arr)) {
		*err = xasprintf("%s: expected an object with a \"nodes\" array", path);
		cJSON_Delete(m);
		goto out;
	}
	*nodes = xcalloc((size_t)cJSON_GetArraySize(arr), sizeof **nodes);
	rc = 0;
	for (const cJSON *o = arr->child; o && !rc; o = o->next)
		if ((rc = manifest_node(o, *nn, &(*nodes)[*nn], err)) == 0)
			(*nn)++;
	cJSON_Delete(m);
out:
	free(path);
	free(text);
	return rc;
}

/* ---- the replay transport ---- */

struct rconn {
	char *dir;
};

struct rjob {
	struct v4_fact f;
};

/* Opens a node of the capture; an unreachable one stays unreachable. */
static void *replay_open(struct v4_node *n, const struct v4_opts *o, char **err)
{
	if (n->unreachable) {
		*err = xstrdup(n->reason ? n->reason : "unreachable in the capture");
		return NULL;
	}
	/* A node of the manifest was reached; a folder it lacks (no probes, or
	 * an empty folder that version control dropped) just holds no facts. */
	if (!v4_capture_name_ok(n->name)) {
		*err = xasprintf("node name '%s' is not a capture folder name", n->name);
		return NULL;
	}
	char *dir = xasprintf("%s/%s", o->replay_dir, n->name);
	struct rconn *c = xcalloc(1, sizeof *c);
	c->dir = dir;
	return c;
}

/* Reads the metadata file of a captured probe into f. */
static int read_meta(const char *path, struct v4_fact *f)
{
	char *text = NULL;
	if (read_file(path, 1u << 20, &text, NULL))
		return -1;
	cJSON *m = cJSON_Parse(text);
	free(text);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "state");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(m, "exit");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(m, "ms");
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(m, "reason");
	int rc = cJSON_IsString(st) && v4_fact_state_parse(st->valuestring, &f->state) == 0 &&
			 cJSON_IsNumber(ex) ? 0 : -1;
	if (!rc) {
		f->exit_code = ex->valueint;
		f->ms = cJSON_IsNumber(ms) ? ms->valuedouble : 0;
		f->reason = cJSON_IsString(rs) ? xstrdup(rs->valuestring) : NULL;
		f->truncated = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "truncated"));
		fact_window(m, f);
	}
	cJSON_Delete(m);
	return rc;
}

/* Loads a captured probe; a missing one is a FAILED fact. */
static void *replay_start(void *conn, const char *id, const char *cmd, int timeout_ms, char **err)
{
	struct rconn *c = conn;
	struct rjob *j = xcalloc(1, sizeof *j);
	char *base = xasprintf("%s/%s", c->dir, id);
	char *po = xasprintf("%s.out", base), *pe = xasprintf("%s.err", base),
	     *pm = xasprintf("%s.json", base);
	if (!v4_capture_name_ok(id) || read_meta(pm, &j->f) ||
	    read_file(po, MAX_CAPTURE_FILE, &j->f.out, &j->f.out_len) ||
	    read_file(pe, MAX_CAPTURE_FILE, &j->f.err, &j->f.err_len)) {
		v4_fact_free(&j->f);
		j->f.state = V4_FACT_FAILED;
		j->f.exit_code = -1;
		j->f.reason = xasprintf("not in the capture (%s)", pm);
	}
	if (!j->f.out)
		j->f.out = xstrdup("");
	if (!j->f.err)
		j->f.err = xstrdup("");
	free(base);
	free(po);
	free(pe);
	free(pm);
	return j;
}

static void replay_pump(void *conn, int wait_ms)
{
}

static int replay_collect(void *conn, void *job, struct v4_fact *f)
{
	struct rjob *j = job;
	*f = j->f;
	free(j);
	return 1;
}

static void replay_kill(void *conn, void *job)
{
}

static void replay_close(void *conn)
{
	struct rconn *c = conn;
	free(c->dir);
	free(c);
}

const struct v4_transport v4_transport_replay = {
	.name = "replay",
	.open = replay_open,
	.start = replay_start,
	.pump = replay_pump,
	.collect = replay_collect,
	.kill = replay_kill,
	.close = replay_close,
	.recorded = 1,
};
