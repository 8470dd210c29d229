/* Unit tests for the embedded knowledge tables: every committed table is
 * embedded and parses, the lookup rule (own table, nearest older, older than
 * every table, unknown), and the lookups the checks use. */
#include <stdlib.h>
#include <string.h>

#include "knowledge.h"
#include "tap.h"
#include "util.h"

/* The tag kn_table_for picks for v, and whether it warned. */
static void picks(const char *v, const char *want, int want_warn)
{
	char *warn = NULL, what[160];
	const cJSON *t = kn_table_for(v, &warn);
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(t, "vllm_ascend");
	snprintf(what, sizeof what, "%s is judged by %s", v ? v : "(none)", want);
	is_str(cJSON_IsString(tag) ? tag->valuestring : "", want, what);
	snprintf(what, sizeof what, "%s: %s", v ? v : "(none)", want_warn ? "a WARN says so" : "no WARN");
	ok(!!warn == want_warn, what);
	free(warn);
}

int main(void)
{
	size_t n = 0;
	for (const struct kn_blob *b = kn_blobs; b->name; b++)
		n++;
	ok(n >= 3, "the tables are embedded");
	ok(starts_with(kn_tags(), "v0.21.0rc1, v0.23.0, v0.25.1rc1"), "every embedded table parses, oldest first");
	ok(strlen(kn_tags()) > 0 && (size_t)(strchr(kn_tags(), 0) - kn_tags()) >= 3 * n,
	   "as many tags as embedded tables");
	picks("0.21.0rc1", "v0.21.0rc1", 0);
	picks("v0.23.0", "v0.23.0", 0);
	picks("0.21.0", "v0.21.0rc1", 1);  /* the final release after rc1: nearest older */
	picks("0.24.1", "v0.23.0", 1);
	picks("0.26.0", "v0.25.1rc1", 1);
	picks("0.20.2", "v0.21.0rc1", 1);  /* older than every table: the oldest */
	picks(NULL, "v0.21.0rc1", 1);
	const cJSON *t = kn_table("v0.21.0rc1");
	ok(t != NULL, "kn_table finds v0.21.0rc1");
	is_int(kn_key_read(t, "enable_kv_nz"), 1, "enable_kv_nz is read at v0.21.0rc1");
	is_int(kn_key_read(t, "scheduler_config"), 0, "scheduler_config is listed as not read at v0.21.0rc1");
	is_int(kn_key_read(t, "no_such_key"), -1, "an unknown key is not in the table");
	is_int(kn_key_read(kn_table("v0.25.1rc1"), "scheduler_config.enable_balance_scheduling"), 1,
	       "scheduler_config.enable_balance_scheduling is read at v0.25.1rc1");
	is_int((long long)kn_default_num(t, "block_size_unset", 0), 128, "block size unset: 128");
	is_int((long long)kn_default_num(t, "max_num_batched_tokens_unset", 0), 2048,
	       "max-num-batched-tokens unset: 2048");
	is_str(kn_src(t, "crashes", "kv_nz_index_topk"),
	       "vllm-project/vllm-ascend@v0.21.0rc1 vllm_ascend/ascend_config.py:242-243", "a crash's source");
	is_str(kn_vllm(t), "v0.21.0", "v0.21.0rc1 pins vLLM v0.21.0");
	return tap_done();
}
