/* Snapshots (key order, validity), the drift comparison (codes, NPUs, severity
 * per field, unreadable values) and the HTML page (structure, escaping). */
#include "report.h"
#include "run.h"
#include "snapshot.h"
#include "tap.h"

/* The keys of object o, joined by commas (static buffer). */
static const char *keys(const cJSON *o)
{
	static char buf[256];
	size_t n = 0;
	buf[0] = 0;
	for (const cJSON *c = o ? o->child : NULL; c && n < sizeof buf - 32; c = c->next)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? "," : "", c->string);
	return buf;
}

static void test_sort(void)
{
	cJSON *j = cJSON_Parse("{\"b\":1,\"10\":{\"z\":1,\"a\":2},\"9\":3,\"a\":[{\"y\":1,\"x\":2}],\"address_10\":1,\"address_2\":2}");
	v4_json_sort(j);
	is_str(keys(j), "9,10,a,address_2,address_10,b", "keys sorted, numbers in numeric order");
	is_str(keys(cJSON_GetObjectItem(j, "10")), "a,z", "nested objects sorted");
	is_str(keys(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "a"), 0)), "x,y", "objects inside arrays sorted");
	cJSON *last = cJSON_GetObjectItem(j, "b");
	ok(j->child->prev == last && !last->next, "the list stays well formed (head's prev is the tail)");
	char *s = cJSON_PrintUnformatted(j);
	ok(strstr(s, "\"9\":3,\"10\":{\"a\":2,\"z\":1}") != NULL, "printed in the sorted order");
	cJSON_free(s);
	cJSON_Delete(j);
}

static void test_valid(void)
{
	char *err = NULL;
	cJSON *j = cJSON_Parse("{\"snapshot\":1,\"nodes\":{\"n1\":{}}}");
	ok(v4_snapshot_valid(j, &err) == 0, "a version 1 snapshot is valid");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"snapshot\":1,\"nodes\":{\"n1\":3}}");
	ok(v4_snapshot_valid(j, &err) == -1 && strstr(err, "n1"), "a node that is not an object is refused");
	free(err);
	j = (cJSON_Delete(j), cJSON_Parse("{\"nodes\":{}}"));
	ok(v4_snapshot_valid(j, &err) == -1 && strstr(err, "not a v4check snapshot"), "no version: refused");
	free(err);
	cJSON_Delete(j);
}

static const char base_doc[] =
	"{\"snapshot\":1,\"taken\":\"2026-12-01T00:00:00Z\",\"nodes\":{"
	"\"n1\":{\"rank\":0,\"versions\":{\"driver\":\"25.5.1\",\"vllm\":\"0.21.0\"},"
	" \"serve\":{\"env\":{\"HCCL_BUFFSIZE\":\"512\",\"SHLVL\":\"1\"},\"options\":{\"--max-model-len\":\"1048576\"}},"
	" \"hccn_conf\":{\"address_3\":\"10.0.0.14\",\"netmask_3\":\"255.255.255.0\"},"
	" \"npus\":{\"3\":{\"tls\":0,\"address\":\"10.0.0.14\"},\"4\":{\"tls\":0}},"
	" \"container\":{\"env\":{\"A\":\"1\"}},\"model\":{\"files\":{\"w.safetensors\":8}}},"
	"\"n2\":{\"rank\":1,\"versions\":{\"driver\":\"25.5.1\"}}}}";

/* Runs the comparison of base_doc with now_text under config fields (JSON or NULL). */
static void compare(const char *now_text, const char *fields, int both, struct v4_results *out)
{
	cJSON *b = cJSON_Parse(base_doc), *n = cJSON_Parse(now_text);
	struct v4_config cfg = {0};
	char *c = fields ? xasprintf("{\"drift\":{\"fields\":%s}}", fields) : NULL;
	cfg.json = c ? cJSON_Parse(c) : NULL;
	memset(out, 0, sizeof *out);
	struct v4_ctx ctx = {.cfg = &cfg};
	v4_drift_compare(b, n, &ctx, both, out);
	cJSON_Delete(b), cJSON_Delete(n), cJSON_Delete(cfg.json);
	free(c);
}

/* The result with code on node, or NULL. */
static const struct v4_result *find(const struct v4_results *r, const char *node, const char *code)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].node, node) && !strcmp(r->v[i].code, code))
			return &r->v[i];
	return NULL;
}

/* The NPU of a result's evidence, or -1. */
static int npu_of(const struct v4_result *x)
{
	const cJSON *v = x ? cJSON_GetObjectItem(x->evidence, "npu") : NULL;
	return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void test_drift(void)
{
	struct v4_results r;
	compare(base_doc, NULL, 1, &r);
	is_int(r.n, 2, "the same snapshot: one result per node");
	ok(find(&r, "n1", "OK") && find(&r, "n2", "OK"), "both PASS");
	is_str(r.v[0].message, "as in the baseline of 2026-12-01T00:00:00Z", "the PASS names the baseline's time");
	v4_results_free(&r);

	char *now = xstrdup(base_doc);
	char *p = strstr(now, "\"driver\":\"25.5.1\"");
	memcpy(p + 10, "25.5.2", 6);                               /* n1's driver */
	memcpy(strstr(now, "\"512\"") + 1, "256", 3);             /* an env value */
	memcpy(strstr(now, "SHLVL\":\"1") + 8, "2", 1);           /* a volatile one */
	memcpy(strstr(now, "10.0.0.14\",\"netmask_3") + 7, "99", 2); /* hccn.conf address_3 */
	memcpy(strstr(now, "{\"tls\":0}") + 7, "1", 1);           /* NPU 4's TLS */
	memcpy(strstr(now, "\"w.safetensors\":8") + 16, "9", 1); /* a model file's size */
	compare(now, NULL, 1, &r);
	const struct v4_result *x = find(&r, "n1", "DRIFT_VERSION");
	ok(x && x->status == V4_WARN, "driver: DRIFT_VERSION, WARN");
	is_str(x ? x->message : NULL, "driver 25.5.2, baseline 25.5.1", "the message: now, then the baseline");
	x = find(&r, "n1", "DRIFT_ENV");
	is_str(x ? x->message : NULL, "serving processes' HCCL_BUFFSIZE 256, baseline 512", "env: DRIFT_ENV");
	x = find(&r, "n1", "DRIFT_HCCN_CONF");
	is_int(npu_of(x), 3, "hccn.conf address_3: NPU 3");
	is_str(x ? x->message : NULL, "NPU 3: /etc/hccn.conf address_3 10.0.0.99, baseline 10.0.0.14", "and its message");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(x ? x->evidence : NULL, "field")), "hccn_conf.address",
	       "its field leaves the NPU id out");
	x = find(&r, "n1", "DRIFT_TLS");
	is_int(npu_of(x), 4, "NPU 4's TLS switch: DRIFT_TLS on NPU 4");
	x = find(&r, "n1", "DRIFT_MODEL");
	is_str(x ? x->message : NULL, "model file w.safetensors (bytes) 9, baseline 8", "a model file's size");
	is_int(r.n, 6, "nothing else (SHLVL is not compared, n2 passes)");
	ok(find(&r, "n2", "OK") != NULL, "n2 unchanged");
	v4_results_free(&r);

	compare(now, "{\"versions.driver\":\"FAIL\",\"serve.env\":\"ignore\",\"DRIFT_MODEL\":\"ignore\",\"npus\":\"FAIL\"}", 1, &r);
	x = find(&r, "n1", "DRIFT_VERSION");
	ok(x && x->status == V4_FAIL, "fields: versions.driver FAIL");
	ok(!find(&r, "n1", "DRIFT_ENV") && !find(&r, "n1", "DRIFT_MODEL"), "a leading part or a code ignores");
	x = find(&r, "n1", "DRIFT_TLS");
	ok(x && x->status == V4_FAIL, "a section applies to its fields (npus.tls)");
	x = find(&r, "n1", "DRIFT_HCCN_CONF");
	ok(x && x->status == V4_WARN, "the rest stays WARN");
	v4_results_free(&r);
	compare(now, "{\"serve.env.SHLVL\":\"WARN\"}", 1, &r);
	int shlvl = 0;
	for (size_t i = 0; i < r.n; i++)
		shlvl |= strcmp(r.v[i].message, "serving processes' SHLVL 2, baseline 1") == 0;
	ok(shlvl, "a volatile variable when named");
	v4_results_free(&r);
	compare(now, "[1]", 1, &r);
	ok(find(&r, "cluster", "CONFIG_INVALID") != NULL, "fields not an object: CONFIG_INVALID");
	v4_results_free(&r);
	free(now);

	/* node lists, gone and new members, unreadable values */
	compare("{\"snapshot\":1,\"nodes\":{\"n1\":{\"rank\":0,\"versions\":{\"vllm\":\"0.21.0\"},"
		"\"unreadable\":{\"serve\":\"no proc\",\"npus\":\"npu-smi hung\",\"hccn_conf\":\"x\","
		"\"container\":\"x\",\"model\":\"x\"}},\"n3\":{}}}", NULL, 1, &r);
	x = find(&r, "n1", "DRIFT_VERSION");
	is_str(x ? x->message : NULL, "driver gone (baseline 25.5.1)", "a value gone");
	x = find(&r, "n1", "DRIFT_UNREADABLE");
	ok(x && x->status == V4_ERROR && strstr(x->message, "not compared"), "unreadable now: ERROR, not compared");
	ok(!find(&r, "n1", "DRIFT_TLS") && !find(&r, "n1", "DRIFT_ENV"), "nothing under an unreadable section is judged");
	ok(find(&r, "n3", "DRIFT_NODE_NEW") && find(&r, "n2", "DRIFT_NODE_MISSING"), "both ways: new and missing nodes");
	v4_results_free(&r);
	compare("{\"snapshot\":1,\"nodes\":{\"n1\":{}}}", NULL, 0, &r);
	ok(!find(&r, "n2", "DRIFT_NODE_MISSING"), "a run over some nodes: the others are not missing");
	v4_results_free(&r);
}

/* Renders a report of one hostile node into a string. Caller frees. */
static char *page(const struct v4_results *res, const char *name)
{
	struct v4_node n = {.name = (char *)name, .host = (char *)"h", .rank = 0};
	extern const struct v4_check v4_check_tls;
	const struct v4_check *checks[] = {&v4_check_tls, &v4_check_drift};
	struct v4_report r = {.nodes = &n, .nn = 1, .checks = checks, .nc = 2, .res = res, .mode = "<m>"};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	v4_report_html(f, &r);
	fclose(f);
	return buf;
}

/* The number of times needle occurs in s. */
static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Adds a result as a check would have reported it (evidence taken). */
static void add(struct v4_results *r, const char *check, const char *node, enum v4_status st,
		const char *code, cJSON *evidence, const char *message)
{
	v4_result_add(r, check, node, st, code, message);
	r->v[r->n - 1].evidence = evidence;
}

static void test_html(void)
{
	const char *evil = "<script>alert(\"x\")</script>&'";
	struct v4_results res = {0};
	add(&res, "tls", evil, V4_PASS, "OK",
	       cJSON_Parse("{\"npus\":[{\"npu\":0,\"switch\":0},{\"npu\":1,\"switch\":1},{\"npu\":2,\"switch\":0}]}"),
	       "fine");
	add(&res, "tls", evil, V4_FAIL, "TLS_MISMATCH", NULL, "TLS enabled on NPU 1 of 3 <b>bold</b>");
	add(&res, "tls", evil, V4_WARN, "TLS_CERT_EXPIRING", NULL, "NPU 0-2: something");
	add(&res, "tls", evil, V4_WARN, "NODE_THING", NULL, "not about an NPU");
	add(&res, "tls", "cluster", V4_FAIL, "TLS_INCONSISTENT", NULL, "nodes disagree");
	add(&res, "drift", evil, V4_WARN, "DRIFT_TLS", cJSON_Parse("{\"npu\":2,\"field\":\"npus.tls\"}"), "NPU 2: x");
	char *s = page(&res, evil);
	ok(!strstr(s, "<script>alert") && !strstr(s, "<b>bold"), "no markup from names or messages survives");
	ok(strstr(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;") != NULL, "the name is escaped");
	ok(strstr(s, "&lt;b&gt;bold&lt;/b&gt;") != NULL, "the message is escaped");
	ok(strstr(s, "&lt;m&gt;") != NULL, "the mode is escaped");
	is_int(count(s, " data-npu=\""), 3, "three NPU cells");
	ok(strstr(s, "data-npu=\"1\" data-state=\"FAIL\" data-tls=\"on\"") != NULL, "NPU 1: FAIL (its finding), TLS on");
	ok(strstr(s, "data-npu=\"0\" data-state=\"WARN\" data-tls=\"off\"") != NULL, "NPU 0: the range finding, WARN");
	ok(strstr(s, "<td class=\"npu s-warn changed\"") != NULL && count(s, " changed\"") == 1,
	   "the drift finding marks NPU 2's cell, and only it");
	ok(strstr(s, "data-code=\"NODE_THING\"") != NULL, "a finding without an NPU stands beside the row");
	ok(strstr(s, "data-node=\"cluster\" data-state=\"FAIL\"") != NULL, "the cluster row has the cross-node FAIL");
	is_int(count(s, "<details class=\"check "), 2, "one section per check");
	ok(strstr(s, "id=\"check-tls\" data-check=\"tls\" data-state=\"FAIL\" open>") != NULL, "a failing check is open");
	ok(count(s, "<script>") == 1 && strstr(s, "beforeprint"), "one script: the optional print helper");
	free(s);
	v4_results_free(&res);
}

int main(void)
{
	test_sort();
	test_valid();
	test_drift();
	test_html();
	return tap_done();
}
