/* binaries: the vllm-ascend and torch_npu shared objects are the same bits
 * on every node whose versions are the same.
 *
 * The versions check compares version strings. A node can carry the same
 * version string and other bytes: a vllm_ascend_C .so rebuilt from a dirty
 * checkout, an editable install, a torch_npu wheel of another build. Its
 * ranks then compute differently or crash in the collectives, and the HCCL
 * timeout that follows names the wrong node. This check hashes (SHA-256) the
 * packages' shared objects inside the serving container and compares them
 * across the nodes with equal versions. Owner split: version strings are
 * versions', the files' bytes are this check's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "sohash.h"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "the shared objects are the same on every node with the same versions")    \
	F(SO_DRIFT, FAIL,                                                                        \
	  "a vllm_ascend or torch_npu shared object differs from the other nodes' under the "   \
	  "same version (or exists on some nodes only)")                                         \
	F(SO_NOT_COMPARED, SKIP,                                                                 \
	  "the nodes run different versions of a package (the versions check reports it): "     \
	  "hashes compared only between nodes with equal versions")                              \
	F(PROBE_FAILED, ERROR, "the container's shared objects could not be hashed")
V4_FINDINGS(FINDINGS);

#define P_HASH "container-so-hashes"

/* Per package: its version (importlib.metadata), its folder (find_spec, no
 * import), then sha256sum-style lines of the .so files in NAME and NAME/lib, relative
 * to site-packages, read 1 MiB at a time; "end" closes the output. */
#define PY_HASH                                                                             \
	"python3 -c 'import hashlib, glob, os, importlib.metadata as m, importlib.util as u\n" \
	"for k in (\"vllm_ascend\", \"torch_npu\"):\n"                                       \
	" try: v = m.version(k.replace(\"_\", \"-\")); s = u.find_spec(k)\n"                \
	" except Exception: v = s = None\n"                                                   \
	" if not v or not s or not s.origin: print(\"package \" + k + \" missing\"); continue\n" \
	" print(\"package \" + k + \" \" + v); d = os.path.dirname(s.origin); r = os.path.dirname(d)\n" \
	" for f in sorted(glob.glob(d + \"/*.so\") + glob.glob(d + \"/lib/*.so\")):\n"        \
	"  h = hashlib.sha256()\n"                                                            \
	"  with open(f, \"rb\") as o:\n"                                                      \
	"   for b in iter(lambda: o.read(1 << 20), b\"\"): h.update(b)\n"                     \
	"  print(h.hexdigest() + \"  \" + os.path.relpath(f, r))\n"                          \
	"print(\"end\")'"

static const char *const pkgs[] = {"vllm_ascend", "torch_npu"};

/* One node's hashes. */
struct nb {
	const struct v4_node *node;
	struct v4_sohash s;
	int ok, drift;
};

/* The configured container name, or NULL when it is not a plain word. */
static const char *container(const struct v4_ctx *ctx)
{
	const char *s = v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
	return word_ok(s) ? s : NULL;
}

static void bin_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *ps)
{
	(void)c;
	(void)n;
	const char *ct = container(ctx);
	if (ct)
		v4_probe_add(ps, P_HASH, -1, 0, "docker exec %s %s", ct, PY_HASH);
}

/* Package name as node b has it, or NULL when it is missing there or b is unread. */
static const struct v4_sopkg *pkg_of(const struct nb *b, const char *name)
{
	for (size_t i = 0; b->ok && i < b->s.npkg; i++)
		if (strcmp(b->s.pkg[i].name, name) == 0)
			return b->s.pkg[i].missing ? NULL : &b->s.pkg[i];
	return NULL;
}

/* The hash of path in p, or "" when p has no such file. */
static const char *hash_of(const struct v4_sopkg *p, const char *path)
{
	for (size_t i = 0; i < p->nf; i++)
		if (strcmp(p->f[i].path, path) == 0)
			return p->f[i].hash;
	return "";
}

/* "16d0393c699e" (the first 12 digits), or "absent". */
static void short_hash(char *buf, size_t sz, const char *h)
{
	snprintf(buf, sz, "%.12s", *h ? h : "absent");
}

/* Compares one file across the nodes in g (same package version): the odd
 * ones out of a strict majority are reported at their node, a split with no
 * majority for the cluster. */
static void judge_file(const struct v4_rep *h, struct nb *v, const size_t *g, size_t ng,
		       const char *pkg, const char *ver, const char *path)
{
	size_t best = 0, bestn = 0, tie = 0;
	for (size_t i = 0; i < ng; i++) {
		size_t c = 0;
		for (size_t k = 0; k < ng; k++)
			c += strcmp(hash_of(pkg_of(&v[g[i]], pkg), path), hash_of(pkg_of(&v[g[k]], pkg), path)) == 0;
		if (c > bestn)
			best = i, bestn = c, tie = 0;
		else if (c == bestn && strcmp(hash_of(pkg_of(&v[g[i]], pkg), path),
					      hash_of(pkg_of(&v[g[best]], pkg), path)) != 0)
			tie = 1;
	}
	if (bestn == ng)
		return;
	const char *ref = hash_of(pkg_of(&v[g[best]], pkg), path);
	char a[16], b[16];
	if (tie || bestn * 2 <= ng) {
		struct sbuf who = {0};
		for (size_t i = 0; i < ng; i++) {
			short_hash(a, sizeof a, hash_of(pkg_of(&v[g[i]], pkg), path));
			sbuf_printf(&who, "%s%s %s", i ? ", " : "", v[g[i]].node->name, a);
			v[g[i]].drift = 1;
		}
		struct v4_rep hc = v4_rep_at(h, NULL);
		v4_say(&hc, SO_DRIFT, NULL, "%s %s: %s differs between the nodes (sha256 %s): no majority",
		       pkg, ver, path, who.s);
		sbuf_free(&who);
		return;
	}
	short_hash(b, sizeof b, ref);
	for (size_t i = 0; i < ng; i++) {
		const char *mine = hash_of(pkg_of(&v[g[i]], pkg), path);
		if (strcmp(mine, ref) == 0)
			continue;
		struct v4_rep hn = v4_rep_at(h, v[g[i]].node);
		short_hash(a, sizeof a, mine);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "file", path);
		cJSON_AddStringToObject(e, "sha256", mine);
		cJSON_AddStringToObject(e, "sha256_others", ref);
		cJSON_AddStringToObject(e, "like", v[g[best]].node->name);
		v4_say(&hn, SO_DRIFT, e,
		       "%s %s: %s is sha256 %s here, %s on %zu other node(s) such as %s: a rebuilt or "
		       "patched binary under the same version",
		       pkg, ver, path, a, b, bestn, v[g[best]].node->name);
		v[g[i]].drift = 1;
	}
}

/* Compares every file of package pkg across the nodes that have version ver. */
static void judge_version(const struct v4_rep *h, struct nb *v, size_t nn, const char *pkg,
			  const char *ver)
{
	size_t *g = xcalloc(nn, sizeof *g), ng = 0;
	for (size_t i = 0; i < nn; i++) {
		const struct v4_sopkg *p = pkg_of(&v[i], pkg);
		if (p && strcmp(p->version, ver) == 0)
			g[ng++] = i;
	}
	for (size_t i = 0; ng > 1 && i < ng; i++) {
		const struct v4_sopkg *p = pkg_of(&v[g[i]], pkg);
		for (size_t f = 0; f < p->nf; f++) {
			int seen = 0; /* judged already from an earlier node's list */
			for (size_t k = 0; k < i && !seen; k++)
				seen = *hash_of(pkg_of(&v[g[k]], pkg), p->f[f].path) != '\0';
			if (!seen)
				judge_file(h, v, g, ng, pkg, ver, p->f[f].path);
		}
	}
	free(g);
}

/* Compares package pkg: per version; different versions are said once. */
static void judge_pkg(const struct v4_rep *h, struct nb *v, size_t nn, const char *pkg)
{
	struct sbuf vers = {0};
	size_t nver = 0;
	for (size_t i = 0; i < nn; i++) {
		const struct v4_sopkg *p = pkg_of(&v[i], pkg);
		int first = p != NULL;
		for (size_t k = 0; first && k < i; k++)
			first = !pkg_of(&v[k], pkg) || strcmp(pkg_of(&v[k], pkg)->version, p->version) != 0;
		if (!first)
			continue;
		sbuf_printf(&vers, "%s%s on %s", nver ? ", " : "", p->version, v[i].node->name);
		nver++;
		judge_version(h, v, nn, pkg, p->version);
	}
	if (nver > 1) {
		struct v4_rep hc = v4_rep_at(h, NULL);
		v4_say(&hc, SO_NOT_COMPARED, NULL,
		       "%s versions differ (%s, ...): the versions check reports it; hashes compared "
		       "between nodes of equal versions only", pkg, vers.s);
	}
	sbuf_free(&vers);
}

/* Evidence: every hashed file of node b. */
static cJSON *evidence(const struct nb *b, size_t *nf)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "files");
	*nf = 0;
	for (size_t i = 0; i < b->s.npkg; i++)
		for (size_t f = 0; f < b->s.pkg[i].nf; f++, (*nf)++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "package", b->s.pkg[i].name);
			cJSON_AddStringToObject(e, "version", b->s.pkg[i].version);
			cJSON_AddStringToObject(e, "file", b->s.pkg[i].f[f].path);
			cJSON_AddStringToObject(e, "sha256", b->s.pkg[i].f[f].hash);
			cJSON_AddItemToArray(arr, e);
		}
	return o;
}

/* Reads node n's hashes into b; reports why not at the node. */
static void read_node(const struct v4_rep *h, const struct v4_node *n, struct nb *b)
{
	char *why = NULL, *err = NULL;
	struct v4_rep hn = v4_rep_at(h, n);
	b->node = n;
	const struct v4_fact *f = v4_fact_ok(n, P_HASH, 0, &why);
	if (!container(h->ctx))
		v4_say_unchecked(&hn, "deployment.container is not a plain name");
	else if (!f)
		v4_say_unchecked(&hn, why ? why : "no hash output");
	else if (v4_parse_sohash(f->out, f->out_len, &b->s, &err) != 0) {
		char *m = xasprintf("docker exec ... python3 (hash query): %s", err);
		v4_say_unchecked(&hn, m);
		free(m);
	} else
		b->ok = 1;
	free(why);
	free(err);
}

static void bin_evaluate(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn)
{
	struct nb *v = xcalloc(nn ? nn : 1, sizeof *v);
	for (size_t i = 0; i < nn; i++)
		read_node(h, nodes[i], &v[i]);
	for (size_t p = 0; p < V4_ARRAY_LEN(pkgs); p++)
		judge_pkg(h, v, nn, pkgs[p]);
	for (size_t i = 0; i < nn; i++) {
		if (!v[i].ok || v[i].drift)
			continue;
		size_t nf;
		struct v4_rep hn = v4_rep_at(h, nodes[i]);
		cJSON *e = evidence(&v[i], &nf);
		if (nn > 1)
			v4_say(&hn, OK, e, "%zu shared objects, the same bits as the nodes of equal versions", nf);
		else
			v4_say(&hn, OK, e, "%zu shared objects hashed (no other node to compare)", nf);
	}
	for (size_t i = 0; i < nn; i++)
		v4_sohash_free(&v[i].s);
	free(v);
}

const struct v4_check v4_check_binaries = {
	.id = "binaries",
	.title = "vllm_ascend and torch_npu shared objects identical across nodes of equal versions",
	.explain =
		"Symptom: one node's ranks crash, hang or compute differently, HCCL times out and\n"
		"  blames another node, although every node reports the same vllm_ascend and\n"
		"  torch_npu versions.\n"
		"Cause: the same version string with other bytes: a vllm_ascend_C .so rebuilt from a\n"
		"  dirty checkout or an editable install on one node, a torch_npu wheel of another\n"
		"  build, a pip install inside one container (shared/reference/field-failures.md 10;\n"
		"  mindie-agent PR#74, vllm-ascend#7587).\n"
		"Fix: run the same image on every node, or reinstall the package from one wheel;\n"
		"  `v4check binaries -o json` lists each file's SHA-256 per node. Different versions\n"
		"  are the versions check's finding; here they are only not compared (SKIP).",
	.probes_doc = "docker exec CONTAINER python3 -c '...' (per package: importlib.metadata "
		      "version, importlib.util.find_spec folder without importing it, SHA-256 of "
		      "NAME/*.so and NAME/lib/*.so in the sha256sum format, then \"end\")",
	.findings = findings,
	.tier = V4_TIER_STANDARD,
	.cost_ms = 200, /* one probe a node (fabric: one hccn_tool call an NPU) */
	.probes = bin_probes,
	.evaluate = bin_evaluate,
};
