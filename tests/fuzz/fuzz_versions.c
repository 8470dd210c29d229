/* libFuzzer: version.info / install.info key=value files and v4_version_cmp. */
#include "fuzz.h"
#include "parse.h"

/* Sign of an int: -1, 0 or 1. */
static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Parses the input as a kv file; compares its two halves (split at '\n' or
 * the middle) as versions, checking antisymmetry and reflexivity. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_kvs kv = {0};
	if (v4_parse_kv_file(t, size, &kv, &err) == 0)
		for (size_t i = 0; i < kv.n; i++) {
			(void)v4_kv_get(&kv, kv.v[i].key);
			(void)v4_version_cmp(kv.v[i].val, kv.v[0].val);
		}
	v4_kvs_free(&kv);
	free(err);

	const uint8_t *nl = size ? memchr(data, '\n', size) : NULL;
	size_t half = nl ? (size_t)(nl - data) : size / 2;
	char *a = fz_dup(data, half);
	char *b = fz_dup(data + half + (nl ? 1 : 0), size - half - (nl ? 1 : 0));
	int ab = v4_version_cmp(a, b), ba = v4_version_cmp(b, a);
	if (sign(ab) != -sign(ba))
		abort(); /* cmp(a,b) and cmp(b,a) disagree */
	if (v4_version_cmp(a, a) != 0 || v4_version_cmp(NULL, a) >= 0 || v4_version_cmp(NULL, NULL))
		abort();
	free(a);
	free(b);
	free(t);
	return 0;
}
