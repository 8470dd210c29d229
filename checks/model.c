/* model: the model directory exists on every node, its config.json parses,
 * its files and sizes are the same everywhere, and its disk has room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "the model directory is complete, valid and identical on every node")    \
	F(MODEL_DIR_INVALID, ERROR,                                                          \
	  "deployment.model_dir is not a plain absolute path: not probed")                   \
	F(MODEL_MISSING, FAIL, "the model directory does not exist on the node")             \
	F(MODEL_EMPTY, FAIL, "the model directory holds no file")                            \
	F(MODEL_CONFIG_MISSING, FAIL, "config.json is missing from the model directory")     \
	F(MODEL_CONFIG_INVALID, FAIL,                                                        \
	  "config.json is not valid JSON (or larger than 1 MiB)")                            \
	F(MODEL_FILES_DIFFER, FAIL,                                                          \
	  "the node's file list or sizes differ from the majority of nodes")                 \
	F(MODEL_INCONSISTENT, FAIL, "the nodes do not hold the same model files")            \
	F(DISK_LOW, WARN, "less free space than min_free_gb on the model's file system")     \
	F(PROBE_FAILED, ERROR, "the listing, config.json or df could not be read")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"min_free_gb", 50, "free GiB wanted on the model directory's file system (logs, caches, graphs)"},
	{NULL, 0, NULL},
};

#define P_FILES "model-files"
#define P_CONFIG "model-config"
#define P_DF "model-df"
#define MAX_FILES 20000
#define MAX_CONFIG 1048576

/* The model directory, or NULL and *why (static text) when unsafe to use. */
static const char *model_dir(const struct v4_ctx *ctx, const char **why)
{
	const char *d = v4_cfg_str(ctx->cfg, "deployment.model_dir", NULL);
	*why = NULL;
	if (!d || !*d)
		*why = "deployment.model_dir is not set";
	else if (d[0] != '/')
		*why = "deployment.model_dir is not an absolute path";
	else if (strlen(d) > 256)
		*why = "deployment.model_dir is longer than 256 characters";
	else if (strstr(d, "/../") || (strlen(d) >= 3 && strcmp(d + strlen(d) - 3, "/..") == 0))
		*why = "deployment.model_dir contains '..'";
	else if (strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+,:@=-") !=
		 strlen(d))
		*why = "deployment.model_dir contains a quote, space or shell metacharacter";
	return *why ? NULL : d;
}

static void model_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	const char *why, *d = model_dir(ctx, &why);
	if (!d)
		return;
	v4_probe_add(ps, P_FILES, -1, 0,
		     "[ -d '%s' ] || { echo 'no such directory' >&2; exit 3; }; cd '%s' && find . "
		     "-maxdepth 2 -type f -printf '%%P %%s\\n' | LC_ALL=C sort | head -n %d",
		     d, d, MAX_FILES + 1);
	v4_probe_add(ps, P_CONFIG, -1, 0, "head -c %d '%s/config.json'", MAX_CONFIG + 1, d);
	v4_probe_add(ps, P_DF, -1, 0, "df -Pk '%s'", d);
}

/* One file of a listing. */
struct mfile {
	char *name;
	long long size;
};

/* A node's listing. */
struct listing {
	int ok;
	struct mfile *v;
	size_t n, cap;
	int truncated;
	long long bytes;
};

/* Parses "NAME SIZE" lines (the name may hold spaces: split at the last one). */
static void parse_listing(const char *text, size_t len, struct listing *l)
{
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n)) {
		const char *sp = n ? memrchr(line, ' ', n) : NULL;
		if (!sp || sp == line)
			continue;
		if (l->n == MAX_FILES) {
			l->truncated = 1;
			break;
		}
		grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
		l->v[l->n].name = xstrndup(line, (size_t)(sp - line));
		l->v[l->n].size = strtoll(sp + 1, NULL, 10);
		l->bytes += l->v[l->n].size;
		l->n++;
	}
}

/* Frees a listing. */
static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

/* Reads the listing of node n; results for a missing dir or a failed probe. */
static void read_listing(const struct v4_rep *h, const struct v4_node *n, const char *dir,
			 struct listing *l)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_FILES, 1, &why);
	if (!f)
		v4_say(h, PROBE_FAILED, NULL, "model files: %s", why);
	else if (f->exit_code == 3)
		v4_say(h, MODEL_MISSING, NULL,
		       "model directory %s does not exist", dir);
	else if (f->exit_code != 0)
		v4_say(h, PROBE_FAILED, NULL, "model files: exit %d: %.200s",
		       f->exit_code, f->err_len ? f->err : f->out);
	else {
		parse_listing(f->out, f->out_len, l);
		l->ok = 1;
		if (!l->n)
			v4_say(h, MODEL_EMPTY, NULL, "model directory %s holds no file", dir);
	}
	free(why);
}

/* Judges config.json; returns 1 when valid. */
static int judge_config(const struct v4_rep *h, const struct v4_node *n)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_CONFIG, 1, &why);
	int good = 0;
	if (!f)
		v4_say(h, PROBE_FAILED, NULL, "config.json: %s", why);
	else if (f->exit_code != 0)
		v4_say(h, MODEL_CONFIG_MISSING, NULL,
		       "config.json missing from the model directory: %.200s", f->err_len ? f->err : "");
	else if (f->out_len > MAX_CONFIG || f->truncated)
		v4_say(h, MODEL_CONFIG_INVALID, NULL,
		       "config.json is larger than 1 MiB: not a model config");
	else {
		const char *end = NULL;
		cJSON *j = cJSON_ParseWithLengthOpts(f->out, f->out_len, &end, 0);
		good = cJSON_IsObject(j);
		if (!good)
			v4_say(h, MODEL_CONFIG_INVALID, NULL,
			       "config.json is not a JSON object (error near byte %ld)",
			       end ? (long)(end - f->out) : -1L);
		cJSON_Delete(j);
	}
	free(why);
	return good;
}

/* Free KiB from `df -Pk` (last line, 4th field); -1 and a result when unreadable. */
static long long read_df(const struct v4_rep *h, const struct v4_node *n)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_DF, 0, &why);
	long long avail = -1;
	size_t pos = 0, len;
	const char *line, *last = NULL;
	while (f && next_line(f->out, f->out_len, &pos, &line, &len))
		if (len)
			last = line;
	char fs[256], total[32], used[32], av[32];
	if (last && !starts_with(last, "Filesystem") &&
	    sscanf(last, "%255s %31s %31s %31s", fs, total, used, av) == 4 && av[0] >= '0' && av[0] <= '9')
		avail = strtoll(av, NULL, 10);
	else
		v4_say(h, PROBE_FAILED, NULL, "free space: %s",
		       why ? why : "df -Pk output not understood");
	free(why);
	return avail;
}

/* Judges one node alone; returns 1 when all was well. */
static int judge_node(const struct v4_rep *h, const struct v4_node *n, const char *dir,
		      struct listing *l)
{
	struct v4_results *out = h->out;
	size_t first = out->n;
	read_listing(h, n, dir, l);
	if (!l->ok)
		return 0;
	int cfg_ok = judge_config(h, n);
	long long avail = read_df(h, n);
	double free_gb = avail >= 0 ? (double)avail / 1048576.0 : -1,
	       min = v4_param(h->ctx, h->check, "min_free_gb");
	if (avail >= 0 && free_gb < min)
		v4_say(h, DISK_LOW, NULL,
		       "%.1f GiB free on the model's file system (want %.0f GiB)", free_gb, min);
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "model_dir", dir);
	cJSON_AddNumberToObject(ev, "files", (double)l->n);
	cJSON_AddNumberToObject(ev, "bytes", (double)l->bytes);
	cJSON_AddBoolToObject(ev, "listing_truncated", l->truncated);
	cJSON_AddNumberToObject(ev, "free_gib", free_gb);
	if (out->n == first && cfg_ok && l->n) {
		v4_say(h, OK, ev,
		       "%zu files, %.1f GiB, config.json valid, %.0f GiB free", l->n,
		       (double)l->bytes / 1073741824.0, free_gb);
		return 1;
	}
	if (out->n > first && !out->v[first].evidence)
		out->v[first].evidence = ev, ev = NULL;
	cJSON_Delete(ev);
	return 0;
}

/* 1 when two listings are the same. */
static int same_listing(const struct listing *a, const struct listing *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].size != b->v[i].size || strcmp(a->v[i].name, b->v[i].name) != 0)
			return 0;
	return 1;
}

/* Index of the listing most nodes share (first on a tie), or -1. */
static int majority(const struct listing *l, size_t nn, size_t *count)
{
	int best = -1;
	*count = 0;
	for (size_t i = 0; i < nn; i++) {
		size_t k = 0;
		for (size_t j = 0; l[i].ok && j < nn; j++)
			k += l[j].ok && same_listing(&l[i], &l[j]);
		if (k > *count)
			best = (int)i, *count = k;
	}
	return best;
}

/* Adds name to list b (at most 3 shown) and to the evidence array. */
static void note(struct sbuf *b, size_t *cnt, cJSON *arr, const char *name)
{
	if ((*cnt)++ < 3)
		sbuf_printf(b, "%s%s", b->len ? ", " : "", name);
	if (cJSON_GetArraySize(arr) < 50)
		cJSON_AddItemToArray(arr, cJSON_CreateString(name));
}

/* Compares listing a with the majority m (both sorted by name, C order). */
static void diff_listing(const struct v4_rep *h, const struct listing *a, const struct listing *m)
{
	struct sbuf miss = {0}, extra = {0}, size = {0};
	size_t nmiss = 0, nextra = 0, nsize = 0, i = 0, j = 0;
	cJSON *ev = cJSON_CreateObject(), *em = cJSON_AddArrayToObject(ev, "missing"),
	      *ee = cJSON_AddArrayToObject(ev, "extra"), *es = cJSON_AddArrayToObject(ev, "size_differs");
	while (i < a->n || j < m->n) {
		int cmp = i == a->n ? 1 : j == m->n ? -1 : strcmp(a->v[i].name, m->v[j].name);
		if (cmp > 0)
			note(&miss, &nmiss, em, m->v[j++].name);
		else if (cmp < 0)
			note(&extra, &nextra, ee, a->v[i++].name);
		else {
			if (a->v[i].size != m->v[j].size)
				note(&size, &nsize, es, a->v[i].name);
			i++, j++;
		}
	}
	v4_say(h, MODEL_FILES_DIFFER, ev,
	       "model files differ from the majority of nodes: %zu missing%s%s%s, %zu extra%s%s%s, "
	       "%zu with another size%s%s%s", nmiss, nmiss ? " (" : "", nmiss ? miss.s : "", nmiss ? ")" : "",
	       nextra, nextra ? " (" : "", nextra ? extra.s : "", nextra ? ")" : "", nsize,
	       nsize ? " (" : "", nsize ? size.s : "", nsize ? ")" : "");
	sbuf_free(&miss), sbuf_free(&extra), sbuf_free(&size);
}

/* Cross-node verdict: nodes whose listing differs from the majority. */
static void judge_cluster(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn,
			  const struct listing *l)
{
	size_t cnt;
	int m = majority(l, nn, &cnt);
	struct sbuf odd = {0};
	for (size_t i = 0; m >= 0 && i < nn; i++)
		if (l[i].ok && !same_listing(&l[i], &l[m])) {
			struct v4_rep hn = v4_rep_at(h, nodes[i]);
			diff_listing(&hn, &l[i], &l[m]);
			sbuf_printf(&odd, "%s%s", odd.len ? "," : "", nodes[i]->name);
		}
	if (odd.len)
		v4_say(h, MODEL_INCONSISTENT, NULL,
		       "model files differ on [%s] from the %zu nodes that agree (%zu files)", odd.s, cnt,
		       l[m].n);
	sbuf_free(&odd);
}

static void model_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	const char *why, *dir = model_dir(h->ctx, &why);
	if (!dir) {
		for (size_t i = 0; i < nn; i++) {
			struct v4_rep hn = v4_rep_at(h, nodes[i]);
			v4_say(&hn, MODEL_DIR_INVALID, NULL, "not checked: %s", why);
		}
		return;
	}
	struct listing *l = xcalloc(nn ? nn : 1, sizeof *l);
	for (size_t i = 0; i < nn; i++) {
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		judge_node(&hn, nodes[i], dir, &l[i]);
	}
	if (nn > 1)
		judge_cluster(h, nodes, nn, l);
	for (size_t i = 0; i < nn; i++)
		listing_free(&l[i]);
	free(l);
}

const struct v4_check v4_check_model = {
	.id = "model",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 90, /* bench/tiers.sh: alone on one node */
	.title = "Model directory present, config.json valid, same files on every node, disk room",
	.explain =
		"Symptom: vllm serve fails on one node while loading weights (\"No such file\",\n"
		"  safetensors header or size errors, a shape mismatch), or JSON errors at\n"
		"  start; the other ranks then wait until the HCCL timeout.\n"
		"Cause: the model was not copied to every node, a copy was interrupted (a\n"
		"  shard missing or short), a different revision sits on one node, or\n"
		"  config.json was edited by hand and broken.\n"
		"Fix: copy the model again from a good node (rsync -a --partial, then compare\n"
		"  sizes), repair config.json, and keep room on the file system (checks.model.\n"
		"  min_free_gb, 50 GiB). The directory is deployment.model_dir; it must be an\n"
		"  absolute path of letters, digits and /._+,:@=- (anything else is refused,\n"
		"  never put into a command). Files are compared by name and size, two levels\n"
		"  deep, at most 20000 files.",
	.probes_doc = "cd MODEL_DIR && find . -maxdepth 2 -type f -printf '%P %s\\n' | LC_ALL=C sort "
		      "| head -n 20001 (exit 3 when the directory is missing); head -c 1048577 "
		      "MODEL_DIR/config.json; df -Pk MODEL_DIR",
	.fix_doc = NULL,
	.findings = findings,
	.params = params,
	.probes = model_probes,
	.evaluate = model_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
