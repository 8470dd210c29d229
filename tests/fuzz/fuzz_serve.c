/* libFuzzer: the vllm serve model (shell text and /proc cmdline), its
 * accessors, JSON options, rendering and secret masking. */
#include "fuzz.h"
#include "serve.h"

/* Calls every accessor on a parsed command, and serve_json on each option. */
static void use(const struct serve_cmd *c)
{
	double d;
	for (size_t i = 0; i < c->nopts; i++) {
		const char *nm = c->opts[i].name;
		char *err = NULL;
		(void)serve_get(c, nm);
		(void)serve_has(c, nm);
		(void)serve_count(c, nm);
		(void)serve_num(c, nm, &d);
		cJSON *j = serve_json(c, nm, &err);
		if (!j && !err)
			abort(); /* NULL must come with a reason */
		cJSON_Delete(j);
		free(err);
		(void)serve_is_flag(nm);
		free(serve_normalise(nm));
	}
	const char **dups = NULL;
	(void)serve_dups(c, &dups);
	free(dups);
	for (size_t i = 0; i < c->nenv; i++) {
		if (!serve_getenv(c, c->env[i].name))
			abort(); /* a listed variable must be found */
		(void)serve_secret_env(c->env[i].name);
	}
	(void)serve_api_key(c);
	char *r = serve_render(c);
	if (!r)
		abort();
	char *m = mask_secrets(r);
	free(m);
	free(r);
}

/* Input: first byte picks RANK; the rest is the shell text (also taken as a
 * NUL-separated cmdline). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ranks[] = {"0", "1", "2", "15", "", "x"};
	if (size < 1 || size > FZ_MAX_INPUT)
		return 0;
	struct serve_var vars[] = {
		{"RANK", ranks[data[0] % V4_ARRAY_LEN(ranks)]},
		{"NODE_IP", "10.0.0.1"},
		{"MODEL", "/data/models/DeepSeek-V4"},
	};
	char *t = fz_dup(data + 1, size - 1), *err = NULL;
	struct serve_cmd c;
	if (serve_parse(t, vars, data[0] & 0x80 ? 0 : V4_ARRAY_LEN(vars), &c, &err) == 0) {
		use(&c);
		serve_free(&c);
	} else if (!err) {
		abort(); /* failure must come with a reason */
	}
	free(err);
	err = NULL;
	if (serve_from_cmdline(t, size - 1, &c, &err) == 0) {
		use(&c);
		serve_free(&c);
	}
	free(err);
	free(mask_secrets(t));
	free(t);
	return 0;
}
