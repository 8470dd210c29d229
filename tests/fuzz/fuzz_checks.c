/* libFuzzer: every check of v4_checks[] judged on nodes whose facts come from
 * the input; then fix planning, the facts' JSON round trip and the reports.
 *
 * Input: byte 0 sets the run (nodes 1 + b%3; 0x04 the node 2 unreachable;
 * 0x08 live phase; 0x10 TLS expected on; 0x20 --warn-only tls; 0x40 the
 * fixing flag). The rest is chunks separated by 0x1e, handed out in the order
 * probes are asked for (round by round, node by node). A chunk is a control
 * byte (bits 0-2 state: 0-3 OK, 4 TIMEOUT, 5 NOTFOUND, 6 FAILED, 7 SKIPPED;
 * bits 3-4 exit code 0, 1, 2, 255; bit 5 truncated), then stdout, then
 * optionally 0x1f and stderr. Once the chunks run out, probes get FAILED. */
#include <stdio.h>

#include "capture.h"
#include "checks.h"
#include "fuzz.h"
#include "report.h"
#include "run.h"

#define MAX_NODES 3
#define MAX_ROUNDS 8

static struct v4_config cfg_builtin, cfg_tls_on; /* loaded once */
static FILE *devnull;

/* The next chunk of the input, or 0 when none is left. */
static int next_chunk(const uint8_t **p, const uint8_t *end, const uint8_t **c, size_t *n)
{
	if (*p >= end)
		return 0;
	const uint8_t *sep = memchr(*p, 0x1e, (size_t)(end - *p));
	*c = *p;
	*n = sep ? (size_t)(sep - *p) : (size_t)(end - *p);
	*p = sep ? sep + 1 : end;
	return 1;
}

/* Fills fact f for probe pr from a chunk (or FAILED when there is none). */
static void fill_fact(struct v4_fact *f, const struct v4_probe *pr, const uint8_t *c, size_t n,
		      int have)
{
	static const int exits[] = {0, 1, 2, 255};
	static const enum v4_fact_state states[] = {V4_FACT_OK,       V4_FACT_OK,     V4_FACT_OK,
						    V4_FACT_OK,       V4_FACT_TIMEOUT, V4_FACT_NOTFOUND,
						    V4_FACT_FAILED,   V4_FACT_SKIPPED};
	f->id = xstrdup(pr->id);
	f->cmd = xstrdup(pr->cmd);
	f->attempts = 1;
	f->ms = 1.5;
	if (!have) {
		f->out = xstrdup("");
		f->err = xstrdup("");
		f->state = V4_FACT_FAILED;
		f->exit_code = -1;
		f->reason = xstrdup("fuzz input exhausted");
		return;
	}
	uint8_t ctl = n ? c[0] : 0;
	const uint8_t *body = n ? c + 1 : c;
	size_t bn = n ? n - 1 : 0;
	fz_split(body, bn, 0x1f, &f->out, &f->out_len, &f->err, &f->err_len);
	f->state = states[ctl & 7];
	f->exit_code = f->state == V4_FACT_NOTFOUND ? 127 : exits[(ctl >> 3) & 3];
	f->truncated = (ctl >> 5) & 1;
	if (f->state != V4_FACT_OK)
		f->reason = xasprintf("fuzz state %s", v4_fact_state_name(f->state));
}

/* Asks every check for probes, round by round, and answers new ones from the input. */
static void probe_rounds(struct v4_node *nodes, size_t nn, const struct v4_ctx *ctx,
			 const uint8_t **p, const uint8_t *end)
{
	for (int round = 0; round < MAX_ROUNDS; round++) {
		int added = 0;
		for (size_t i = 0; i < nn; i++) {
			if (nodes[i].unreachable)
				continue;
			struct v4_probes ps = {0};
			for (size_t k = 0; k < v4_ncheck; k++)
				if (v4_checks[k]->probes)
					v4_checks[k]->probes(v4_checks[k], &nodes[i], ctx, &ps);
			for (size_t j = 0; j < ps.n; j++) {
				if (v4_fact(&nodes[i], ps.v[j].id))
					continue;
				const uint8_t *c = NULL;
				size_t cn = 0;
				int have = next_chunk(p, end, &c, &cn);
				fill_fact(v4_node_add_fact(&nodes[i]), &ps.v[j], c, cn, have);
				added = 1;
			}
			v4_probes_free(&ps);
		}
		if (!added)
			break;
	}
}

/* Aborts unless every result is complete and names a known check and node. */
static void check_results(const struct v4_results *r, const struct v4_node *nodes, size_t nn)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct v4_result *x = &r->v[i];
		if (!x->code || !x->message || !x->check || !x->node || !*x->code)
			abort();
		if ((int)x->status < V4_PASS || x->status > V4_FAIL || !v4_check_find(x->check))
			abort();
		int known = strcmp(x->node, "cluster") == 0;
		for (size_t k = 0; k < nn && !known; k++)
			known = strcmp(x->node, nodes[k].name) == 0;
		if (!known)
			abort(); /* a result for a node that does not exist */
	}
}

/* Aborts unless every fact survives v4_facts_json / v4_facts_from_json. */
static void facts_round_trip(const struct v4_node *n)
{
	cJSON *j = v4_facts_json(n);
	char *text = cJSON_PrintUnformatted(j);
	cJSON *back = cJSON_Parse(text);
	struct v4_node m = {0};
	char *err = NULL;
	m.name = xstrdup(n->name);
	if (v4_facts_from_json(back, &m, &err) != 0 || m.nfacts != n->nfacts)
		abort();
	for (size_t i = 0; i < n->nfacts; i++) {
		const struct v4_fact *a = &n->facts[i], *b = &m.facts[i];
		if (strcmp(a->id, b->id) || strcmp(a->cmd, b->cmd) || a->state != b->state ||
		    a->exit_code != b->exit_code || a->out_len != b->out_len ||
		    a->err_len != b->err_len || memcmp(a->out, b->out, a->out_len) ||
		    memcmp(a->err, b->err, a->err_len))
			abort();
	}
	v4_node_free(&m);
	cJSON_Delete(back);
	cJSON_Delete(j);
	free(text);
	free(err);
}

/* Loads the two configurations and opens /dev/null for the text report. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;
	if (v4_config_load(NULL, &cfg_builtin, &err) || v4_config_load(NULL, &cfg_tls_on, &err))
		abort();
	cJSON *checks = cJSON_GetObjectItemCaseSensitive(cfg_tls_on.json, "checks");
	cJSON *tls = cJSON_AddObjectToObject(checks, "tls");
	cJSON_AddNumberToObject(tls, "expected", 1);
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

/* Builds the nodes, answers their probes, judges, plans fixes and reports. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FZ_MAX_INPUT)
		return 0;
	uint8_t b0 = data[0];
	const uint8_t *p = data + 1, *end = data + size;
	size_t nn = 1 + b0 % MAX_NODES;
	struct v4_node nodes[MAX_NODES];
	memset(nodes, 0, sizeof nodes);
	for (size_t i = 0; i < nn; i++) {
		nodes[i].name = xasprintf("node%zu", i + 1);
		nodes[i].host = xasprintf("192.168.0.%zu", i + 10);
		nodes[i].bond_ip = xstrdup(nodes[i].host);
		nodes[i].user = xstrdup("root");
		nodes[i].rank = (int)i;
	}
	if ((b0 & 0x04) && nn > 1) {
		nodes[1].unreachable = 1;
		nodes[1].reason = xstrdup("connection refused");
	}
	struct v4_ctx ctx = {(b0 & 0x10) ? &cfg_tls_on : &cfg_builtin, 1798761600,
			     (b0 & 0x08) ? V4_PHASE_LIVE : V4_PHASE_PRE, (b0 >> 6) & 1, NULL,
			     (b0 & 0x80) ? V4_TIER_DEEP : V4_TIER_STANDARD};
	char *warn_only[] = {"tls", NULL};
	struct v4_opts o;
	v4_opts_defaults(&o);
	o.phase = ctx.phase;
	o.fix = ctx.fixing;
	if (b0 & 0x20)
		o.warn_only = warn_only;

	probe_rounds(nodes, nn, &ctx, &p, end);

	struct v4_results res = {0};
	struct v4_run run = {nodes, nn, v4_checks, v4_ncheck, &ctx, &o, 0, NULL, 0};
	v4_evaluate(&run, &res);
	check_results(&res, nodes, nn);

	struct v4_fixplan plan = {0};
	v4_plan_fixes(&run, &plan);
	for (size_t i = 0; i < plan.n; i++)
		if (!plan.v[i].node || !plan.v[i].cmd)
			abort();

	for (size_t i = 0; i < nn; i++)
		facts_round_trip(&nodes[i]);

	struct v4_report rep = {.nodes = nodes, .nn = nn, .checks = v4_checks, .nc = v4_ncheck,
				.res = &res, .plan = &plan, .mode = "fuzz", .with_facts = 1};
	cJSON *j = v4_report_json(&rep);
	char *s = cJSON_PrintUnformatted(j);
	if (!s)
		abort();
	free(s);
	cJSON_Delete(j);
	v4_report_text(devnull, &rep, &o);
	v4_print_plan(devnull, &plan);

	v4_fixplan_free(&plan);
	v4_results_free(&res);
	for (size_t i = 0; i < nn; i++)
		v4_node_free(&nodes[i]);
	return 0;
}
