/* No verdict and no fix from output that was cut short.
 *
 * Every check runs over its fixture cases (fixtures/checks/<check>/<case>/)
 * twice: once as captured, then again with one npu-smi or hccn_tool output
 * cut short, for every such output of every node, at every line end and in
 * the middle of every line (at most CUTS_MAX cut points per output, evenly
 * spread). A cut read must never give a PASS, WARN or FAIL, nor plan a fix,
 * that the whole output does not give.
 *
 * Why that is the right test: a verdict of the cut run that the whole run
 * gives too, word for word (check, node, status, code and message, which
 * carries the values judged), rests on a part the cut left whole and is
 * true of the node: the whole output says so. A PASS may also be stated
 * for the part that was read ("TLS disabled on 7 NPUs") when the same node
 * carries an ERROR for the rest, so that the node does not read as
 * passing; a WARN, a FAIL and a fix never. A verdict may also name fewer
 * subjects than the whole run's (a cluster verdict without the node whose
 * output was cut): same node, status and code, and no word in its message
 * that the whole run's message lacks; a cross-node verdict may also count
 * fewer nodes when the cut node is left out with an ERROR. Any other
 * verdict came from
 * the cut: a value read short ("40960" as "409"), a table read as shorter
 * than it is (an NPU "missing", a process table "empty"), a block taken as
 * complete. Such a verdict, and a fix planned on it, is what the parsers'
 * "understood in part" results must prevent; the checks must say ERROR
 * instead. A cut that leaves the verdict unchanged passes trivially; the
 * test is not satisfied by ERRORs alone, it only forbids invented verdicts.
 * The fixtures hold cut cases of their own (error-*-cut) that assert the
 * ERROR. Removing the parsers' cut handling (e.g. reading a last line
 * without its newline) makes this test fail.
 *
 * `test_truncation.t ID...` runs only those checks' cases. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "checks.h"
#include "run.h"
#include "transport.h"

#include "tap.h"

#define CUTS_MAX 48

/* 1 for the outputs this test cuts: npu-smi and hccn_tool. Not the
 * `cat /etc/hccn.conf` fact: a file has no end of its own to tell a cut at a
 * line end from a shorter file (cat exits 0 only after reading it whole;
 * a capture cut at its size limit carries `truncated`); nor `-link_stat -g`,
 * whose list of link changes has no end line either (a cut inside it is told
 * only by the size limit's `truncated`). */
static int cut_target(const struct v4_fact *f)
{
	return f->state == V4_FACT_OK && f->out_len > 1 && strcmp(f->id, "hccn-conf") != 0 &&
	       strncmp(f->id, "hccn-link-stat.", 15) != 0 &&
	       (starts_with(f->id, "npu-smi") || starts_with(f->id, "hccn-"));
}

/* 1 when a result of the same check, node, status, code and message is in r. */
static int has_result(const struct v4_results *r, const struct v4_result *x)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].status == x->status && !strcmp(r->v[i].node, x->node) &&
		    !strcmp(r->v[i].code, x->code) && !strcmp(r->v[i].message, x->message))
			return 1;
	return 0;
}

/* The words of a message: runs of letters, digits and '_', with id ranges
 * ("0-3", as id_list folds them) spelt out as "0 1 2 3". Caller frees. */
static char *words(const char *m)
{
	struct sbuf b = {0};
	sbuf_adds(&b, " ");
	for (const char *p = m; *p;) {
		char *end;
		if (isdigit((unsigned char)*p) && (p == m || !isalnum((unsigned char)p[-1]))) {
			long a = strtol(p, &end, 10), z;
			if (*end == '-' && isdigit((unsigned char)end[1]) && (z = strtol(end + 1, &end, 10)) >= a &&
			    z - a < 4096 && !isalnum((unsigned char)*end)) {
				for (long k = a; k <= z; k++)
					sbuf_printf(&b, "%ld ", k);
				p = end;
				continue;
			}
		}
		size_t k = 0;
		while (p[k] && (isalnum((unsigned char)p[k]) || p[k] == '_'))
			k++;
		if (k) {
			sbuf_add(&b, p, k);
			sbuf_adds(&b, " ");
		}
		p += k ? k : 1;
	}
	return sbuf_take(&b);
}

/* 1 when the word w (k bytes) is all digits. */
static int number_word(const char *w, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (!isdigit((unsigned char)w[i]))
			return 0;
	return k > 0;
}

/* 1 when every word of message a is a word of b; with skip_numbers, words
 * that are numbers are not compared. */
static int words_cmp(const char *a, const char *b, int skip_numbers)
{
	char *wa = words(a), *wb = words(b);
	int ok = 1;
	for (char *p = wa + 1; *p && ok;) {
		size_t k = strcspn(p, " ");
		char *w = xasprintf(" %.*s ", (int)k, p);
		ok = (skip_numbers && number_word(p, k)) || strstr(wb, w) != NULL;
		free(w);
		p += k + 1;
	}
	free(wa);
	free(wb);
	return ok;
}

/* 1 when every word of message a is a word of b. */
static int words_within(const char *a, const char *b)
{
	return words_cmp(a, b, 0);
}

/* 1 when the whole run states the finding x for fewer subjects: same node,
 * status and code, and every word of x's message in its message ("enabled on
 * [node3], disabled on [node2,node4]" within "... [node1,node2,node4]"). A
 * value read short or another NPU brings a word the whole run lacks. */
static int narrower(const struct v4_results *whole, const struct v4_result *x)
{
	for (size_t i = 0; i < whole->n; i++)
		if (whole->v[i].status == x->status && !strcmp(whole->v[i].node, x->node) &&
		    !strcmp(whole->v[i].code, x->code) && words_within(x->message, whole->v[i].message))
			return 1;
	return 0;
}

/* 1 when r holds an ERROR of the node: it does not read as passing. */
static int node_has_error(const struct v4_results *r, const char *node)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].status == V4_ERROR && !strcmp(r->v[i].node, node))
			return 1;
	return 0;
}

/* 1 when x is a cross-node verdict ("cluster") of the whole run made over
 * the nodes read, the cut one left out with an ERROR: same status and code,
 * its words within the whole run's but for counts ("the other 2 nodes" for
 * "the other 3"); the cut node's values are not in it, that node is out. */
static int cluster_ok(const struct v4_results *whole, const struct v4_results *cut, const struct v4_result *x,
		      const char *cut_node)
{
	if (strcmp(x->node, "cluster") || !node_has_error(cut, cut_node))
		return 0;
	for (size_t i = 0; i < whole->n; i++)
		if (whole->v[i].status == x->status && !strcmp(whole->v[i].node, x->node) &&
		    !strcmp(whole->v[i].code, x->code) && words_cmp(x->message, whole->v[i].message, 1))
			return 1;
	return 0;
}

/* 1 when x is a PASS for the part read, next to an ERROR of the same node
 * for the part not read ("TLS disabled on 7 NPUs" + "NPU 5: output cut"):
 * the node does not read as passing. */
static int partial_ok(const struct v4_results *cut, const struct v4_result *x)
{
	return x->status == V4_PASS && node_has_error(cut, x->node);
}

/* 1 when a fix of the same node and command (not refused) is in p. */
static int has_fix(const struct v4_fixplan *p, const char *node, const char *cmd)
{
	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].refused && !strcmp(p->v[i].node, node) && !strcmp(p->v[i].cmd, cmd))
			return 1;
	return 0;
}

/* What one case gives with its facts as they are now. */
struct verdict {
	struct v4_results r;
	struct v4_fixplan plan;
};

/* Evaluates the run and plans its fixes. */
static void judge(const struct v4_run *run, struct verdict *v)
{
	memset(v, 0, sizeof *v);
	v4_evaluate(run, &v->r);
	v4_plan_fixes(run, &v->plan);
}

static void verdict_free(struct verdict *v)
{
	v4_results_free(&v->r);
	v4_fixplan_free(&v->plan);
}

/* Counts of what was tried, for the summary. */
static size_t ncuts, nbad;

/* Compares a cut run with the whole one; reports the first invented verdict. */
static int compare(const struct verdict *whole, const struct verdict *cut, const char *cut_node,
		   const char *what)
{
	for (size_t i = 0; i < cut->r.n; i++) {
		const struct v4_result *x = &cut->r.v[i];
		if (x->status != V4_PASS && x->status != V4_WARN && x->status != V4_FAIL)
			continue;
		if (!has_result(&whole->r, x) && !narrower(&whole->r, x) && !partial_ok(&cut->r, x) &&
		    !cluster_ok(&whole->r, &cut->r, x, cut_node)) {
			printf("# %s: %s %s %s: %s\n", what, v4_status_name(x->status), x->node, x->code,
			       x->message);
			return 0;
		}
	}
	for (size_t i = 0; i < cut->plan.n; i++)
		if (!cut->plan.v[i].refused && !has_fix(&whole->plan, cut->plan.v[i].node, cut->plan.v[i].cmd)) {
			printf("# %s: fix planned: %s: %s\n", what, cut->plan.v[i].node, cut->plan.v[i].cmd);
			return 0;
		}
	return 1;
}

/* The cut points of text: each line's end and the middle of each line. */
static size_t cut_points(const char *t, size_t len, size_t *pts, size_t max)
{
	size_t all[2 * CUTS_MAX * 8], n = 0, start = 0;
	for (size_t i = 0; i < len && n + 2 <= sizeof all / sizeof all[0]; i++)
		if (t[i] == '\n') {
			if (i > start + 1)
				all[n++] = start + (i - start) / 2; /* in the middle of the line */
			if (i + 1 < len)
				all[n++] = i + 1; /* at the end of the line */
			start = i + 1;
		}
	if (start + 1 < len && n < sizeof all / sizeof all[0])
		all[n++] = start + (len - start) / 2;
	size_t k = n < max ? n : max;
	for (size_t i = 0; i < k; i++)
		pts[i] = all[n <= max ? i : i * n / max]; /* evenly spread when there are more */
	return k;
}

/* Runs the case with fact f cut at every cut point. Returns the failures. */
static size_t cut_fact(const struct v4_run *run, struct v4_fact *f, const struct verdict *whole,
		       const char *name, const char *node)
{
	size_t pts[CUTS_MAX], np = cut_points(f->out, f->out_len, pts, CUTS_MAX), bad = 0;
	char *orig = f->out;
	size_t olen = f->out_len;
	for (size_t i = 0; i < np; i++) {
		f->out = xstrndup(orig, pts[i]);
		f->out_len = pts[i];
		struct verdict v;
		judge(run, &v);
		char what[512];
		snprintf(what, sizeof what, "%s: %s %s cut at %zu of %zu", name, node, f->id, pts[i], olen);
		if (!compare(whole, &v, node, what))
			bad++;
		ncuts++;
		verdict_free(&v);
		free(f->out);
	}
	f->out = orig;
	f->out_len = olen;
	return bad;
}

/* Loads a case's config, nodes, clock and phase; -1 when it cannot be. */
static int load_case(const char *dir, struct v4_config *cfg, struct v4_node **nodes, size_t *nn,
		     struct v4_ctx *ctx)
{
	char *err = NULL, *cfgpath = xasprintf("%s/config.json", dir), *now = NULL;
	char *np = xasprintf("%s/now", dir), *pp = xasprintf("%s/phase", dir);
	struct stat st;
	int rc = v4_config_load(stat(cfgpath, &st) == 0 ? cfgpath : NULL, cfg, &err);
	if (rc == 0 && v4_capture_nodes(dir, nodes, nn, &err) != 0) {
		v4_config_free(cfg);
		rc = -1;
	}
	ctx->cfg = cfg;
	ctx->now = 1798761600; /* 2027-01-01, as test_checks */
	ctx->phase = V4_PHASE_PRE;
	if (read_file(np, 64, &now, NULL) == 0)
		ctx->now = (time_t)atoll(now);
	if (stat(pp, &st) == 0 && st.st_size >= 4)
		ctx->phase = V4_PHASE_LIVE;
	if (rc)
		printf("# %s: %s\n", dir, err ? err : "?");
	free(err);
	free(cfgpath);
	free(now);
	free(np);
	free(pp);
	return rc;
}

/* Runs one case: whole, then every cut of every npu-smi / hccn_tool output. */
static void run_case(const struct v4_check *c, const char *dir, const char *name)
{
	struct v4_config cfg;
	struct v4_node *nodes = NULL;
	size_t nn = 0, bad = 0, targets = 0;
	struct v4_ctx ctx = {0};
	if (load_case(dir, &cfg, &nodes, &nn, &ctx)) {
		ok(0, name);
		return;
	}
	ctx.fixing = 1;
	struct v4_opts o;
	v4_opts_defaults(&o);
	o.transport = &v4_transport_replay;
	o.replay_dir = dir;
	const struct v4_check *cs[1] = {c};
	struct v4_run run = {nodes, nn, cs, 1, &ctx, &o, 0, NULL, 0};
	v4_probe_nodes(&run);
	struct verdict whole;
	judge(&run, &whole);
	for (size_t i = 0; i < nn; i++)
		for (size_t k = 0; k < nodes[i].nfacts; k++) {
			v4_fact_unpack(&nodes[i].facts[k]); /* its texts are cut in place */
			if (cut_target(&nodes[i].facts[k])) {
				targets++;
				bad += cut_fact(&run, &nodes[i].facts[k], &whole, name, nodes[i].name);
			}
		}
	char what[512];
	snprintf(what, sizeof what, "%s: no verdict or fix from %zu cut outputs", name, targets);
	if (targets)
		ok(bad == 0, what);
	nbad += bad;
	verdict_free(&whole);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	free(nodes);
	v4_config_free(&cfg);
}

/* Compares directory names for a stable order. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs every case of one check. */
static void run_check_dir(const struct v4_check *c, const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name);
	for (int i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;
		if (starts_with(e, "pass-") || starts_with(e, "warn-") || starts_with(e, "fail-") ||
		    starts_with(e, "error-")) {
			char *d = xasprintf("%s/%s", dir, e), *name = xasprintf("%s/%s", c->id, e);
			run_case(c, d, name);
			free(d);
			free(name);
		}
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
}

/* 1 when the check is to run: no ids given, or its id among them. */
static int wanted(const struct v4_check *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], c->id) == 0)
			return 1;
	return argc < 2;
}

int main(int argc, char **argv)
{
	for (size_t i = 0; i < v4_ncheck; i++)
		if (wanted(v4_checks[i], argc, argv)) {
			char *dir = xasprintf("fixtures/checks/%s", v4_checks[i]->id);
			run_check_dir(v4_checks[i], dir);
			free(dir);
		}
	ok(ncuts > 0, "some outputs were cut");
	printf("# %zu cut runs, %zu gave a verdict or fix the whole output does not\n", ncuts, nbad);
	return tap_done();
}
