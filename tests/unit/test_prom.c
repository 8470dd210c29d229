/* Unit tests for the Prometheus text parser (lib/prom.c). */
#include <math.h>
#include <stdint.h>

#include "prom.h"
#include "tap.h"
#include "util.h"

/* 1 when a and b are within 1e-9 of each other. */
static int near(double a, double b)
{
	return fabs(a - b) < 1e-9 * (1 + fabs(b));
}

/* Checks one generation's fixture; old selects the names it should carry. */
static void test_fixture(const char *path, int old)
{
	char *text = NULL, *err = NULL;
	size_t len = 0;
	struct prom p;
	ok(read_file(path, PROM_MAX_TEXT, &text, &len) == 0, path);
	ok(text && strncmp(text, "# source:", 9) == 0, "fixture starts with a # source: line");
	if (!text)
		return;
	ok(prom_parse(text, len, &p, &err) == 0, "fixture parses");
	is_int((long long)p.nerrors, 0, "no bad line (the # source: line is a comment)");
	if (p.first_error)
		printf("# %s\n", p.first_error);
	const char **eng = NULL;
	size_t ne = prom_label_values(&p, NULL, "engine", &eng);
	is_int((long long)ne, 4, "four engines");
	if (ne == 4)
		ok(!strcmp(eng[0], "0") && !strcmp(eng[3], "3"), "engines 0..3 in order");
	free(eng);
	const char **mn = NULL;
	is_int((long long)prom_label_values(&p, "vllm:num_requests_running", "model_name", &mn), 1,
	       "one model name");
	is_str(mn ? mn[0] : NULL, "ds-v4", "model_name ds-v4");
	free(mn);
	ok(near(prom_sum(&p, "vllm:num_requests_running", NULL, NULL), 42), "running sum 42");
	ok(near(prom_sum(&p, "vllm:num_requests_running", "engine", "2"), 11), "engine 2 runs 11");
	is_int((long long)prom_count(&p, "vllm:num_requests_running", NULL, NULL), 4, "4 series");

	const char *kv_old = "vllm:gpu_cache_usage_perc", *kv_new = "vllm:kv_cache_usage_perc";
	is_str(prom_resolve(&p, kv_new), old ? kv_old : kv_new, "kv usage resolves from new name");
	is_str(prom_resolve(&p, kv_old), old ? kv_old : kv_new, "kv usage resolves from old name");
	size_t n = 0;
	ok(near(prom_sum_any(&p, kv_new, "engine", "3", &n), 0.4) && n == 1, "engine 3 kv 0.4");
	ok(near(prom_sum_any(&p, "vllm:prefix_cache_queries_total", NULL, NULL, &n), 1.016e6) &&
		   n == 4, "prefix queries either name");
	ok(near(prom_sum_any(&p, "vllm:gpu_prefix_cache_hits_total", NULL, NULL, &n), 0) && n == 4,
	   "prefix hits 0 (V4 known limit)");
	double itl = prom_hist_mean(&p, "vllm:inter_token_latency_seconds", "engine", "0");
	ok(near(itl, 0.108), "ITL mean 108 ms via either name");
	itl = prom_hist_mean(&p, "vllm:time_per_output_token_seconds", NULL, NULL);
	ok(near(itl, 0.108), "TPOT mean over all engines");
	const char *itl_name = old ? "vllm:time_per_output_token_seconds"
				   : "vllm:inter_token_latency_seconds";
	is_str(prom_type(&p, itl_name), "histogram", "# TYPE histogram");
	ok(prom_help(&p, itl_name) && strstr(prom_help(&p, itl_name), "Histogram"), "# HELP");
	char *bk = xasprintf("%s_bucket", itl_name);
	is_int((long long)prom_count(&p, bk, "le", "+Inf"), 4, "+Inf buckets");
	const struct prom_sample *inf = prom_find(&p, bk, "le", "+Inf");
	ok(inf && near(inf->value, 15000) && !inf->has_ts, "engine 0 +Inf bucket 15000");
	free(bk);
	ok(near(prom_sum(&p, "vllm:request_success_total", "finished_reason", "length"), 400),
	   "finished_reason label");
	ok(prom_find(&p, "process_resident_memory_bytes", NULL, NULL) != NULL, "unlabelled sample");
	ok(prom_find(&p, "vllm:no_such", NULL, NULL) == NULL, "absent metric");
	ok(prom_resolve(&p, "vllm:no_such") == NULL, "absent metric resolves to NULL");
	is_int(prom_find(&p, "vllm:cache_config_info", NULL, NULL) != NULL, !old, "cache_config_info");
	prom_free(&p);
	free(text);
}

/* Escapes, special values, timestamps, CRLF, garbage. */
static void test_syntax(void)
{
	static const char t[] =
		"# HELP m A \\\\ help\r\n# TYPE m gauge\r\n\r\n"
		"m{a=\"x\\\"y\",b=\"back\\\\slash\",c=\"l1\\nl2\",} +Inf 1700000000000\r\n"
		"m{ a = \"2\" } NaN\n"
		"m -Inf\n"
		"m{a=\"3\"} 1.5e-3 -5\n"
		"  # indented comment\n"
		"# EOF\n"
		"garbage line here\n"
		"m{a=\"unterminated} 1\n"
		"m{a=x} 1\n"
		"m{a=\"1\"}\n"
		"m{a=\"1\"} 1 2 3\n"
		"m 1 notatime\n"
		"9bad 1\n"
		"m{a=\"1\" b=\"2\"} 1\n"
		"m{a=\"u\\q\"} 7\n";
	struct prom p;
	char *err = NULL;
	ok(prom_parse(t, sizeof t - 1, &p, &err) == 0, "syntax text parses");
	is_int((long long)p.n, 5, "five good samples");
	is_int((long long)p.nerrors, 8, "eight bad lines counted");
	ok(p.first_error && strstr(p.first_error, "line 10:"), "first error names its line");
	printf("# %s\n", p.first_error ? p.first_error : "");
	is_str(prom_type(&p, "m"), "gauge", "type with CRLF");
	is_str(prom_help(&p, "m"), "A \\\\ help", "help text kept");
	const struct prom_sample *s = prom_find(&p, "m", NULL, NULL);
	ok(s && isinf(s->value) && s->value > 0, "+Inf");
	ok(s && s->has_ts && s->ts == 1700000000000LL, "timestamp");
	is_str(s ? prom_label(s, "a") : NULL, "x\"y", "escaped quote");
	is_str(s ? prom_label(s, "b") : NULL, "back\\slash", "escaped backslash");
	is_str(s ? prom_label(s, "c") : NULL, "l1\nl2", "escaped newline");
	s = prom_find(&p, "m", "a", "2");
	ok(s && isnan(s->value), "NaN with blanks around the label");
	s = prom_find(&p, "m", "a", "3");
	ok(s && near(s->value, 0.0015) && s->ts == -5, "exponent and negative timestamp");
	s = prom_find(&p, "m", "a", "u\\q");
	ok(s && near(s->value, 7), "unknown escape kept as written");
	is_int((long long)prom_count(&p, "m", "a", NULL), 4, "label present, any value");
	prom_free(&p);

	ok(prom_parse(NULL, 0, &p, &err) < 0 && err, "NULL refused");
	free(err);
	err = NULL;
	ok(prom_parse("x 1", (size_t)PROM_MAX_TEXT + 1, &p, &err) < 0 && strstr(err, "16 MiB"),
	   "over 16 MiB refused");
	free(err);
	ok(prom_parse("", 0, &p, &err) == 0 && p.n == 0 && p.nerrors == 0, "empty text");
	prom_free(&p);
}

/* The name alias table. */
static void test_alias(void)
{
	static const char *const pairs[][2] = {
		{"vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc"},
		{"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"},
		{"vllm:gpu_prefix_cache_queries_total", "vllm:prefix_cache_queries_total"},
		{"vllm:inter_token_latency_seconds_bucket", "vllm:time_per_output_token_seconds_bucket"},
		{"vllm:time_per_output_token_seconds_sum", "vllm:inter_token_latency_seconds_sum"},
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(pairs); i++) {
		char *a = prom_alias(pairs[i][0]);
		is_str(a, pairs[i][1], "alias");
		free(a);
	}
	ok(prom_alias("vllm:num_requests_running") == NULL, "no alias");
	ok(prom_alias("vllm:kv_cache_usage_perc_x") == NULL, "unknown suffix");
}

/* Random bytes must never crash. */
static void test_fuzz(void)
{
	static const char alpha[] = "m{}=\",\\ \n\r#a1.+-eInfNa:_TYPEHELP";
	uint32_t x = 7;
	size_t total = 0;
	for (int round = 0; round < 4000; round++) {
		char buf[128];
		size_t n = (size_t)(round % 127);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = round % 3 ? alpha[(x >> 16) % (sizeof alpha - 1)] : (char)(x >> 16);
		}
		struct prom p;
		char *err = NULL;
		if (prom_parse(buf, n, &p, &err) == 0) {
			total += p.n;
			const char **v = NULL;
			prom_label_values(&p, NULL, "a", &v);
			free(v);
			prom_free(&p);
		}
		free(err);
	}
	ok(1, "fuzz survived");
	printf("# fuzz accepted %zu samples\n", total);
}

/* Many distinct families (fixtures/fuzz/fuzz_prom-many-families.bin): the
 * metadata is capped, so a hostile /metrics page cannot make parsing quadratic. */
static void test_many_families(void)
{
	struct sbuf b = {0};
	for (int i = 0; i < 50000; i++)
		sbuf_printf(&b, "# TYPE m%d counter\n", i);
	sbuf_adds(&b, "# HELP m3 still found\nm3 1\n");
	struct prom p;
	char *err = NULL;
	double t0 = now_ms();
	is_int(prom_parse(b.s, b.len, &p, &err), 0, "many families: parses");
	ok(now_ms() - t0 < 60000, "many families: parsed in bounded time"); /* was minutes */
	is_int(p.nmeta, PROM_MAX_FAMILIES, "many families: metadata capped");
	is_int(p.nerrors, 50000 - PROM_MAX_FAMILIES, "many families: the rest are bad lines");
	is_str(prom_help(&p, "m3"), "still found", "many families: known family still updated");
	is_int(p.n, 1, "many families: samples still read");
	prom_free(&p);
	free(err);
	sbuf_free(&b);
}

int main(void)
{
	test_fixture("fixtures/prom/vllm-metrics-old-names.txt", 1);
	test_fixture("fixtures/prom/vllm-metrics-new-names.txt", 0);
	test_syntax();
	test_alias();
	test_fuzz();
	test_many_families();
	return tap_done();
}
