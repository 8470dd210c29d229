/* libFuzzer: v4_facts_from_json on a node's "facts" array, as `v4check merge`
 * reads it from per-node JSON reports. */
#include "capture.h"
#include "fuzz.h"

/* Parses the input as JSON and reads it as a facts array (or its "facts" member). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	cJSON *j = cJSON_Parse(t);
	const cJSON *arr = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "facts") : j;
	struct v4_node n = {0};
	n.name = xstrdup("node1");
	if (j && v4_facts_from_json(arr, &n, &err) == 0) {
		cJSON *back = v4_facts_json(&n);
		cJSON_Delete(back);
	} else if (j && !err) {
		abort();
	}
	v4_node_free(&n);
	cJSON_Delete(j);
	free(err);
	free(t);
	return 0;
}
