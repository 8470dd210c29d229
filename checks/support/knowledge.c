/* The embedded knowledge tables: parsed once, looked up by version, and the
 * choice of the table for a node (knowledge.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "knowledge.h"

#define MAX_TABLES 16

/* Package versions through importlib.metadata (no import of torch_npu: no NPU
 * initialisation); "missing" when absent; the container's CANN. */
#define PY_CMD                                                                                \
	"python3 -c 'import importlib.metadata as m, glob, platform\n"                        \
	"for k in (\"vllm\", \"vllm_ascend\", \"torch\", \"torch_npu\"):\n"                   \
	" try: print(k + \"=\" + m.version(k.replace(\"_\", \"-\")))\n"                      \
	" except Exception: print(k + \"=missing\")\n"                                        \
	"for f in glob.glob(\"/usr/local/Ascend/ascend-toolkit/latest/*-linux/ascend_toolkit_install.info\") + " \
	"glob.glob(\"/usr/local/Ascend/cann/*-linux/ascend_toolkit_install.info\"):\n"        \
	" for l in open(f):\n"                                                                \
	"  l.startswith(\"version=\") and print(\"cann=\" + l[8:].strip())\n"                 \
	"print(\"python=\" + platform.python_version())'"

static cJSON *tables[MAX_TABLES]; /* sorted oldest first */
static size_t ntables;
static char tag_list[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* "v0.21.0rc1" -> "0.21.0rc1"; a local part ("+empty") is cut. Caller frees. */
static char *ver_norm(const char *s)
{
	if (*s == 'v' || *s == 'V')
		s++;
	return xstrndup(s, strcspn(s, "+ \t\r\n"));
}

/* The table's vllm_ascend tag, or "". */
static const char *tag_of(const cJSON *t)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(t, "vllm_ascend");
	return cJSON_IsString(x) ? x->valuestring : "";
}

/* Compares two tables' tags (oldest first). */
static int tag_cmp(const cJSON *a, const cJSON *b)
{
	char *x = ver_norm(tag_of(a)), *y = ver_norm(tag_of(b));
	int r = v4_version_cmp(x, y);
	free(x), free(y);
	return r;
}

/* Parses every embedded table once, sorted by tag. */
static void load_tables(void)
{
	for (const struct kn_blob *b = kn_blobs; b->name && ntables < MAX_TABLES; b++) {
		cJSON *t = cJSON_ParseWithLength((const char *)b->data, b->len);
		if (!cJSON_IsObject(t) || !*tag_of(t)) {
			cJSON_Delete(t);
			continue;
		}
		size_t i = ntables++;
		while (i > 0 && tag_cmp(tables[i - 1], t) > 0) {
			tables[i] = tables[i - 1];
			i--;
		}
		tables[i] = t;
	}
	size_t len = 0;
	for (size_t i = 0; i < ntables; i++) {
		const char *tag = tag_of(tables[i]);
		size_t k = strlen(tag);
		if (len + k + 3 >= sizeof tag_list)
			break;
		if (i)
			memcpy(tag_list + len, ", ", 2), len += 2;
		memcpy(tag_list + len, tag, k), len += k;
	}
	tag_list[len] = 0;
}

/* The tables, parsed on first use. */
static void need_tables(void)
{
	pthread_once(&once, load_tables);
}

const char *kn_tags(void)
{
	need_tables();
	return tag_list;
}

const cJSON *kn_table(const char *tag)
{
	need_tables();
	char *want = ver_norm(tag);
	const cJSON *r = NULL;
	for (size_t i = 0; i < ntables && !r; i++) {
		char *have = ver_norm(tag_of(tables[i]));
		if (strcmp(have, want) == 0)
			r = tables[i];
		free(have);
	}
	free(want);
	return r;
}

const cJSON *kn_table_for(const char *v, char **warn)
{
	need_tables();
	*warn = NULL;
	if (!ntables)
		return NULL;
	if (!v || !*v) {
		*warn = xasprintf("no vllm_ascend version known: judged by the oldest table (%s)",
				  tag_of(tables[0]));
		return tables[0];
	}
	const cJSON *own = kn_table(v);
	if (own)
		return own;
	char *x = ver_norm(v);
	const cJSON *best = NULL;
	for (size_t i = 0; i < ntables; i++) {
		char *y = ver_norm(tag_of(tables[i]));
		if (v4_version_cmp(y, x) <= 0)
			best = tables[i];
		free(y);
	}
	free(x);
	if (best)
		*warn = xasprintf("vllm_ascend %s has no knowledge table: judged by the nearest older one "
				  "(%s; tables: %s)", v, tag_of(best), tag_list);
	else {
		best = tables[0];
		*warn = xasprintf("vllm_ascend %s is older than every knowledge table: judged by the oldest "
				  "(%s; tables: %s)", v, tag_of(best), tag_list);
	}
	return best;
}

void kn_probes(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps)
{
	(void)n;
	const char *ct = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
	if (!word_ok(ct))
		return;
	v4_probe_add(ps, P_KN_IMAGE, -1, 0, "docker inspect -f '{{.Config.Image}}' %s", ct);
	v4_probe_add(ps, P_KN_PKGS, -1, 0, "docker exec %s %s", ct, PY_CMD);
}

/* "quay.io/ascend/vllm-ascend:v0.21.0rc1" -> "v0.21.0rc1", or NULL (caller frees). */
static char *image_tag(const char *img)
{
	if (!img)
		return NULL;
	const char *slash = strrchr(img, '/'), *colon = strrchr(img, ':');
	if (!colon || (slash && colon < slash) || !colon[1])
		return NULL;
	return xstrndup(colon + 1, strcspn(colon + 1, "@ \t\r\n"));
}

/* A usable vllm_ascend version (not missing, not 0.0.0). */
static int known(const char *v)
{
	if (!v || !*v || strcmp(v, "missing") == 0)
		return 0;
	char *x = ver_norm(v);
	int ok = strcmp(x, "0.0.0") != 0 && strspn(x, "0123456789") > 0;
	free(x);
	return ok;
}

/* The installed versions from the node's package probe (NULL when not read). */
static void node_versions(const struct v4_node *n, char **vllm, char **vascend, char **img)
{
	struct v4_kvs kv = {0};
	char *err = NULL;
	*vllm = *vascend = *img = NULL;
	const struct v4_fact *f = n ? v4_fact(n, P_KN_PKGS) : NULL;
	if (f && f->state == V4_FACT_OK && f->exit_code == 0 &&
	    v4_parse_kv_file(f->out, f->out_len, &kv, &err) == 0) {
		*vllm = xstrdup(v4_kv_get(&kv, "vllm"));
		*vascend = xstrdup(v4_kv_get(&kv, "vllm_ascend"));
	}
	f = n ? v4_fact(n, P_KN_IMAGE) : NULL;
	if (f && f->state == V4_FACT_OK && f->exit_code == 0 && f->out_len)
		*img = xstrndup(f->out, strcspn(f->out, "\r\n"));
	v4_kvs_free(&kv);
	free(err);
}

/* Sets pair_warn when the installed vllm is not the table's. */
static void check_pair(struct kn_pick *p)
{
	const char *tv = kn_vllm(p->t);
	if (!p->vllm || !known(p->vllm) || !tv)
		return;
	char *a = ver_norm(p->vllm), *b = ver_norm(tv);
	if (strcmp(a, b) != 0)
		p->pair_warn = xasprintf("vllm %s is installed, but vllm-ascend %s is built for vllm %s (%s): "
					 "the image was changed by hand", p->vllm, p->tag, tv,
					 kn_str(p->t, "vllm_pin_source") ? kn_str(p->t, "vllm_pin_source") : "?");
	free(a), free(b);
}

void kn_pick_node(const struct v4_node *n, const struct v4_ctx *ctx, struct kn_pick *out)
{
	char *vllm, *vascend, *img;
	memset(out, 0, sizeof *out);
	node_versions(n, &vllm, &vascend, &img);
	char *note = NULL;
	out->vllm = vllm;
	if (known(vascend)) {
		out->vascend = vascend, vascend = NULL;
		out->from = "the container's packages";
	} else {
		char *tag = image_tag(img);
		const char *cv = v4_cfg_str(ctx->cfg, "deployment.versions.vllm_ascend", NULL);
		char *ctag = image_tag(v4_cfg_str(ctx->cfg, "deployment.image", NULL));
		if (vascend && strcmp(vascend, "missing") != 0)
			note = xasprintf("vllm_ascend reports %s (no tag metadata in its build)", vascend);
		if (known(tag))
			out->vascend = tag, tag = NULL, out->from = "the container's image tag";
		else if (known(cv))
			out->vascend = xstrdup(cv), out->from = "deployment.versions.vllm_ascend";
		else if (known(ctag))
			out->vascend = ctag, ctag = NULL, out->from = "the tag of deployment.image";
		else
			out->from = "nothing";
		free(tag), free(ctag);
	}
	char *w = NULL;
	out->t = kn_table_for(out->vascend, &w);
	out->tag = out->t ? tag_of(out->t) : "";
	if (note) {
		out->warn = w ? xasprintf("%s; %s", note, w)
			      : xasprintf("%s: judged by %s %s", note, out->from, out->vascend);
		free(w);
	} else
		out->warn = w;
	if (out->t)
		check_pair(out);
	free(note), free(vascend), free(img);
}

void kn_pick_free(struct kn_pick *p)
{
	free(p->vascend);
	free(p->vllm);
	free(p->warn);
	free(p->pair_warn);
	memset(p, 0, sizeof *p);
}

const cJSON *kn_entry(const cJSON *t, const char *list, const char *id)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(t, list))
	{
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "id");
		if (cJSON_IsString(x) && strcmp(x->valuestring, id) == 0)
			return e;
	}
	return NULL;
}

const char *kn_str(const cJSON *e, const char *field)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, field);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

const char *kn_src(const cJSON *t, const char *list, const char *id)
{
	const char *s = kn_str(kn_entry(t, list, id), "source");
	return s ? s : "knowledge table: no entry";
}

int kn_key_read(const cJSON *t, const char *path)
{
	const cJSON *e = kn_entry(t, "additional_config", path);
	if (!e)
		return -1;
	return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "read"));
}

const char *kn_vllm(const cJSON *t)
{
	return kn_str(t, "vllm");
}

double kn_default_num(const cJSON *t, const char *id, double def)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(kn_entry(t, "defaults", id), "value");
	return cJSON_IsNumber(x) ? x->valuedouble : def;
}
