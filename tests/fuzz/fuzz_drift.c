/* libFuzzer: two snapshots (split at 0x1e) compared both ways by the drift
 * check, with drift.fields from a third part (after 0x1f), and the
 * results rendered as the HTML page. */
#include <stdio.h>

#include "fuzz.h"
#include "report.h"
#include "snapshot.h"

/* Adds one node per node of snapshot doc to the report's list. */
static size_t add_nodes(const cJSON *doc, struct v4_node *v, size_t n, size_t cap)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(doc, "nodes"))
		if (n < cap) {
			v[n].name = x->string;
			v[n].host = x->string;
			v[n].rank = (int)n;
			n++;
		}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a, *rest, *b, *f, *err = NULL;
	size_t alen, rlen, blen, flen;
	if (size > FZ_MAX_INPUT)
		return 0;
	fz_split(data, size, 0x1e, &a, &alen, &rest, &rlen);
	fz_split((const uint8_t *)rest, rlen, 0x1f, &b, &blen, &f, &flen);
	cJSON *old = cJSON_ParseWithLength(a, alen), *now = cJSON_ParseWithLength(b, blen);
	struct v4_config cfg = {0};
	char *c = xasprintf("{\"drift\":{\"fields\":%s}}", flen ? f : "{}");
	cfg.json = cJSON_Parse(c);
	if (v4_snapshot_valid(old, &err) == 0 && v4_snapshot_valid(now, &err) == 0) {
		struct v4_results res = {0};
		struct v4_node nodes[64] = {{0}};
		size_t nn = add_nodes(old, nodes, add_nodes(now, nodes, 0, 64), 64);
		struct v4_ctx ctx = {.cfg = &cfg};
		v4_drift_compare(old, now, &ctx, 1, &res);
		v4_drift_compare(now, old, &ctx, 0, &res);
		const struct v4_check *checks[] = {&v4_check_drift};
		struct v4_report r = {.nodes = nodes, .nn = nn, .checks = checks, .nc = 1, .res = &res};
		FILE *out = fopen("/dev/null", "w");
		if (!out)
			abort();
		v4_report_html(out, &r);
		fclose(out);
		for (size_t i = 0; i < res.n; i++)
			if (!res.v[i].code || !res.v[i].message)
				abort();
		v4_results_free(&res);
	}
	free(err);
	free(c);
	cJSON_Delete(cfg.json);
	cJSON_Delete(old);
	cJSON_Delete(now);
	free(a), free(rest), free(b), free(f);
	return 0;
}
