/* libFuzzer: Prometheus text parser and its lookups. */
#include <math.h>

#include "fuzz.h"
#include "prom.h"

/* Runs the lookups with names and labels taken from the parsed samples. */
static void use(const struct prom *p)
{
	static const char *const names[] = {"vllm:num_requests_running",
					    "vllm:time_to_first_token_seconds",
					    "vllm:e2e_request_latency_seconds", NULL};
	for (size_t i = 0; i < p->n && i < 8; i++) { /* each lookup is O(n) */
		const struct prom_sample *s = &p->s[i];
		const char *lname = s->nlabels ? s->labels[0].name : NULL;
		const char *lval = s->nlabels ? s->labels[0].value : NULL;
		if (lname && prom_label(s, lname) == NULL)
			abort(); /* its own label must be found */
		size_t pos = 0, n = 0;
		while (prom_next(p, s->name, lname, lval, &pos))
			n++;
		if (n != prom_count(p, s->name, lname, lval) || n == 0)
			abort(); /* prom_next and prom_count disagree */
		(void)prom_find(p, s->name, NULL, NULL);
		(void)prom_sum(p, s->name, lname, lval);
		const char **vals = NULL;
		(void)prom_label_values(p, s->name, lname ? lname : "model_name", &vals);
		free(vals);
		(void)prom_type(p, s->name);
		(void)prom_help(p, s->name);
		free(prom_alias(s->name));
		(void)prom_resolve(p, s->name);
		(void)prom_sum_any(p, s->name, lname, lval, &n);
		(void)prom_hist_mean(p, s->name, NULL, NULL);
	}
	for (size_t i = 0; names[i]; i++) {
		size_t n;
		(void)prom_sum_any(p, names[i], NULL, NULL, &n);
		(void)prom_hist_mean(p, names[i], "model_name", "x");
	}
}

/* Parses the input as a /metrics page. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct prom p;
	if (prom_parse(t, size, &p, &err) == 0) {
		use(&p);
		prom_free(&p);
	} else if (!err) {
		abort();
	}
	free(err);
	free(t);
	return 0;
}
