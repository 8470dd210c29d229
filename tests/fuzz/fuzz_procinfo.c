/* libFuzzer: PROC_LIST_CMD output parser, vLLM process finder, environ parser. */
#include "fuzz.h"
#include "procinfo.h"

/* Parses the listing and walks every entry and vLLM process. */
static void listing(const char *t, size_t n)
{
	struct proc_list l;
	char *err = NULL;
	if (proc_list_parse(t, n, &l, &err) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			if (!proc_lookup(&l, l.v[i].pid))
				abort(); /* a listed pid must be found */
			(void)proc_kind_name(proc_classify(&l.v[i]));
			free(proc_args(&l.v[i]));
		}
		struct vllm_proc *v = NULL;
		size_t nv = proc_find_vllm(&l, &v);
		for (size_t i = 0; i < nv; i++)
			if (v[i].server_pid >= 0 && !proc_lookup(&l, v[i].server_pid))
				abort(); /* the server must be in the listing */
		free(v);
		proc_list_free(&l);
	}
	free(err);
}

/* Parses the environ block and looks up each key found. */
static void environ_block(const char *t, size_t n)
{
	struct proc_env e;
	char *err = NULL;
	if (proc_environ_parse(t, n, &e, &err) == 0) {
		for (size_t i = 0; i < e.n; i++)
			if (!proc_env_get(&e, e.v[i].key))
				abort(); /* a listed key must be found */
		proc_env_free(&e);
	}
	free(err);
}

/* Input: taken both as a process listing and as an environ block. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size);
	listing(t, size);
	environ_block(t, size);
	free(t);
	return 0;
}
