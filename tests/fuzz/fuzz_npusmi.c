/* libFuzzer: npu-smi info table, `npu-smi info -l` and `npu-smi info -t` parsers,
 * what they say they understood, and the cause line / excerpt of a failure. */
#include "fuzz.h"
#include "parse.h"

/* Reads every field of the parsed table so stray values are touched. */
static long touch(const struct v4_npusmi *s)
{
	long sum = (long)strlen(s->tool_version) + (long)strlen(s->driver_version);
	for (size_t i = 0; i < s->nnpu; i++)
		sum += s->npus[i].id + s->npus[i].hbm_used_mb + (long)strlen(s->npus[i].name) +
		       (long)strlen(s->npus[i].health) + (long)strlen(s->npus[i].bus_id);
	for (size_t i = 0; i < s->nproc; i++)
		sum += s->procs[i].pid + (long)strlen(s->procs[i].name);
	return sum;
}

/* Checks what the table parser says it understood against what it holds. */
static void understood(const struct v4_npusmi *s)
{
	char lab[48];
	size_t unknown = 0;
	for (size_t i = 0; i < s->nnpu; i++) {
		unknown += !s->npus[i].proc_known;
		v4_npu_label(s, &s->npus[i], lab, sizeof lab);
	}
	if (unknown != s->nproc_unknown || (s->npus_whole && !s->has_proc_table) ||
	    (!s->has_proc_table && s->nproc_unknown != s->nnpu))
		abort(); /* the counts must agree with the rows */
	if ((v4_npusmi_partial(s) == NULL) != (s->has_proc_table && !s->nproc_unknown))
		abort();
}

/* The -t parsers of the types the checks read. */
static void t_types(const char *t, size_t size)
{
	static const char *const types[] = {"ecc", "health", "board", "usages", "common", "temp"};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct v4_kvs kv = {0};
		char *err = NULL;
		if (v4_parse_npusmi_t(t, size, types[i], &kv, &err) != 0 && !err)
			abort(); /* a failure names its reason */
		v4_kvs_free(&kv);
		free(err);
	}
	char ver[64], *e2 = NULL;
	if (v4_parse_npusmi_mcu(t, size, ver, sizeof ver, &e2) == 0 ? !ver[0] : !e2)
		abort(); /* a version when understood, a reason when not */
	free(e2);
	char *c = v4_cause_line(t, size), *x = v4_excerpt(t, size, 160);
	if (strlen(c) > 200 || strlen(x) > 160 + 4)
		abort();
	free(c);
	free(x);
}

/* Runs the npu-smi parsers over the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_npusmi s = {0};
	if (v4_parse_npusmi(t, size, &s, &err) == 0) {
		(void)touch(&s);
		understood(&s);
	}
	v4_npusmi_free(&s);
	free(err);
	err = NULL;

	int *ids = NULL;
	size_t n = 0;
	v4_parse_npusmi_list(t, size, &ids, &n, &err);
	free(ids);
	free(err);
	err = NULL;

	struct v4_kvs kv = {0};
	if (v4_parse_npusmi_kv(t, size, &kv, &err) == 0 && kv.n)
		(void)v4_kv_get(&kv, kv.v[0].key);
	v4_kvs_free(&kv);
	free(err);
	t_types(t, size);
	free(t);
	return 0;
}
