/* libFuzzer: npu-smi info table, `npu-smi info -l` and `npu-smi info -t` parsers. */
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

/* Runs the three npu-smi parsers over the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_npusmi s = {0};
	if (v4_parse_npusmi(t, size, &s, &err) == 0)
		(void)touch(&s);
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
	free(t);
	return 0;
}
