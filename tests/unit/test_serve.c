/* Unit tests for the vllm serve command model (lib/serve.c). */
#include <stdint.h>

#include "serve.h"
#include "tap.h"
#include "util.h"

/* Parses text with RANK=rank; returns 0 or -1 and frees the error. */
static int parse_rank(const char *text, const char *rank, struct serve_cmd *c, char **errout)
{
	struct serve_var v[] = {{"RANK", rank}};
	char *err = NULL;
	int rc = serve_parse(text, v, rank ? 1 : 0, c, &err);
	if (errout)
		*errout = err;
	else
		free(err);
	return rc;
}

/* The reference command, one rank. */
static void test_reference_rank(const char *text, int rank)
{
	char r[8], what[128];
	struct serve_cmd c;
	snprintf(r, sizeof r, "%d", rank);
	char *err = NULL;
	int rc = parse_rank(text, r, &c, &err);
	snprintf(what, sizeof what, "rank %d: reference command parses", rank);
	if (!ok(rc == 0, what)) {
		printf("# %s\n", err ? err : "?");
		free(err);
		return;
	}
	is_str(c.program, "vllm serve", "program");
	is_str(c.model, "/data/models/DeepSeek-V4-Pro-w4a8-mtp", "model path");
	is_str(serve_get(&c, "--data-parallel-start-rank"), r, "start rank is RANK");
	is_int(serve_has(&c, "--headless"), rank != 0, "headless only off rank 0");
	ok(serve_get(&c, "--headless") == NULL, "headless has no value");
	is_str(serve_get(&c, "--max-model-len"), "1048576", "max-model-len");
	is_str(serve_get(&c, "--max_model_len"), "1048576", "underscore spelling finds it");
	double d = 0;
	is_int(serve_num(&c, "--gpu-memory-utilization", &d), 1, "util is a number");
	ok(d > 0.9299 && d < 0.9301, "util 0.93");
	is_str(serve_get(&c, "--served-model-name"), "ds-v4", "served name");
	is_str(serve_get(&c, "--data-parallel-address"), "192.168.0.72", "dp address");
	is_int(serve_has(&c, "--enable-expert-parallel"), 1, "expert parallel flag");
	is_int(serve_has(&c, "--async-scheduling"), 1, "async scheduling flag");
	is_int(serve_has(&c, "--enforce-eager"), 0, "no enforce-eager");
	is_str(serve_get(&c, "--api-key"), SERVE_MASK, "api key masked in lookups");
	is_str(serve_api_key(&c), "sk-demo-0123456789", "real key kept aside");
	is_int((long long)c.nargs, 0, "no stray positionals");
	for (size_t i = 0; i < c.nopts; i++)
		if (c.opts[i].guessed)
			printf("# guessed flag %s\n", c.opts[i].name);

	char *e = NULL;
	cJSON *add = serve_json(&c, "--additional-config", &e);
	ok(add != NULL, "additional-config parses");
	cJSON *acc = cJSON_GetObjectItemCaseSensitive(add, "ascend_compilation_config");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(acc, "enable_npu_graph_ex")),
	   "the misspelt enable_npu_graph_ex is there and true");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(add, "enable_shared_expert_dp")),
	   "enable_shared_expert_dp true");
	cJSON_Delete(add);
	cJSON *ld = serve_json(&c, "--model-loader-extra-config", &e);
	cJSON *mt = cJSON_GetObjectItemCaseSensitive(ld, "enable_multithread_load");
	ok(cJSON_IsString(mt) && strcmp(mt->valuestring, "true") == 0,
	   "enable_multithread_load is the STRING \"true\"");
	is_int(cJSON_GetObjectItemCaseSensitive(ld, "num_threads")->valueint, 128, "num_threads");
	cJSON_Delete(ld);
	cJSON *sp = serve_json(&c, "--speculative-config", &e);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sp, "method")), "mtp", "mtp");
	cJSON_Delete(sp);
	cJSON *cc = serve_json(&c, "--compilation-config", &e);
	is_str(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cc, "cudagraph_mode")),
	       "FULL_DECODE_ONLY", "cudagraph mode");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cc, "cudagraph_capture_sizes")),
	       6, "six capture sizes");
	cJSON_Delete(cc);
	free(e);

	is_int((long long)c.nenv, 15, "fifteen exported variables");
	is_str(serve_getenv(&c, "HCCL_IF_IP"), "<本机bond1>", "placeholder kept as given");
	is_str(serve_getenv(&c, "GLOO_SOCKET_IFNAME"), "bond1", "$IFNAME expanded");
	is_str(serve_getenv(&c, "HCCL_SOCKET_IFNAME"), "bond1", "HCCL_SOCKET_IFNAME");
	is_str(serve_getenv(&c, "VLLM_RPC_TIMEOUT"), "1800000", "rpc timeout");
	is_str(serve_getenv(&c, "LD_PRELOAD"), "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
	       "jemalloc preload");
	is_str(serve_getenv(&c, "PYTORCH_NPU_ALLOC_CONF"), "expandable_segments:True", "alloc conf");
	is_int((long long)c.nplaceholders, 1, "one placeholder");
	is_int((long long)c.nunset, 0, "no unset variable");
	const char **d2 = NULL;
	is_int((long long)serve_dups(&c, &d2), 0, "no duplicate options");
	free(d2);
	char *r1 = serve_render(&c);
	ok(strstr(r1, "sk-demo") == NULL, "render never shows the key");
	ok(strstr(r1, "--api-key *** ") != NULL, "render shows the mask");
	ok(strstr(r1, "HCCL_IF_IP='<本机bond1>' ") == r1, "render starts with the env");
	free(r1);
	serve_free(&c);
}

/* Other spellings of the headless idiom. */
static void test_idioms(void)
{
	static const char *const forms[] = {
		"vllm serve m $([ \"$RANK\" != \"0\" ] && echo --headless) --port 1",
		"vllm serve m $([ $RANK -ne 0 ] && echo --headless) --port 1",
		"vllm serve m $( [ ${RANK} != '0' ] &&echo --headless ) --port 1",
		"vllm serve m $(test $RANK != 0 && echo --headless) --port 1",
		"vllm serve m \"$([ $RANK != 0 ] && echo --headless)\" --port 1",
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(forms); i++) {
		struct serve_cmd c;
		char what[64];
		for (int rank = 0; rank < 2; rank++) {
			snprintf(what, sizeof what, "idiom form %zu rank %d", i, rank);
			if (!ok(parse_rank(forms[i], rank ? "3" : "0", &c, NULL) == 0, what))
				continue;
			if (i == 4 && rank == 0) /* quoted: an empty argument stays, as in sh */
				ok(c.nargs == 1 && c.args[0][0] == 0, "quoted idiom leaves an empty arg");
			is_int(serve_has(&c, "--headless"), rank, what);
			is_str(serve_get(&c, "--port"), "1", "port after the idiom");
			serve_free(&c);
		}
	}
}

/* Words, quoting, normalisation, duplicates, wrappers. */
static void test_words(void)
{
	struct serve_cmd c;
	const char *t = "# comment\nV='a b'\nexport X=\"q$V\" Y\n"
			"A=1 nohup vllm serve --max_model_len=4096 /m --port 1 --port 2 \\\n"
			"  --x \"say \\\"hi\\\" $V\" --y 'it'\\''s' --z a\\ b --unknown-flag "
			"-tp 8 -O3 --served-model-name n1 n2 --seed -1 --tail \\\n"
			"  > /tmp/log 2>&1 &\necho done | tee x\n";
	char *err = NULL;
	if (!ok(serve_parse(t, NULL, 0, &c, &err) == 0, "word test parses")) {
		printf("# %s\n", err);
		free(err);
		return;
	}
	is_str(c.model, "/m", "model after an option=value");
	is_str(serve_get(&c, "--max-model-len"), "4096", "--opt=value with underscores");
	is_str(serve_get(&c, "--port"), "2", "last duplicate wins");
	is_int((long long)serve_count(&c, "--port"), 2, "both kept");
	const char **dups = NULL;
	size_t nd = serve_dups(&c, &dups);
	is_int((long long)nd, 1, "one duplicated name");
	if (nd)
		is_str(dups[0], "--port", "it is --port");
	free(dups);
	is_str(serve_get(&c, "--x"), "say \"hi\" a b", "double quotes, escapes, quoted $V");
	is_str(serve_get(&c, "--y"), "it's", "single-quote idiom");
	is_str(serve_get(&c, "--z"), "a b", "escaped blank");
	ok(serve_has(&c, "--unknown-flag") && !serve_get(&c, "--unknown-flag"), "unknown flag");
	is_str(serve_get(&c, "--tensor-parallel-size"), "8", "-tp alias");
	is_str(serve_get(&c, "--compilation-config"), "3", "-O3");
	is_str(serve_get(&c, "--served-model-name"), "n1 n2", "nargs + option");
	is_str(serve_get(&c, "--seed"), "-1", "negative number is a value");
	ok(serve_has(&c, "--tail") && !serve_get(&c, "--tail"), "option before redirection");
	is_int(c.opts[c.nopts - 1].guessed, 1, "unknown trailing option marked guessed");
	is_str(serve_getenv(&c, "X"), "qa b", "exported X");
	is_str(serve_getenv(&c, "A"), "1", "prefix assignment");
	ok(serve_getenv(&c, "V") == NULL, "unexported V not in env");
	is_int((long long)c.nunset, 0, "Y (unset, exported) is not an expansion");
	serve_free(&c);

	ok(serve_parse("vllm serve m --a $NOPE --b ${NOPE2:-dflt}", NULL, 0, &c, &err) == 0,
	   "unset variables parse");
	is_int((long long)c.nunset, 1, "one unset name recorded");
	ok(serve_has(&c, "--a") && !serve_get(&c, "--a"), "empty expansion vanishes");
	is_str(serve_get(&c, "--b"), "dflt", "${X:-default}");
	serve_free(&c);
}

/* Other entry forms, env keys and /proc cmdlines. */
static void test_forms(void)
{
	struct serve_cmd c;
	char *err = NULL;
	ok(serve_parse("VLLM_API_KEY=envkey python3 -u -m vllm.entrypoints.openai.api_server "
		       "--model /m2 --port 8000", NULL, 0, &c, &err) == 0, "api_server form");
	is_str(c.program, "api_server", "program api_server");
	is_str(c.model, "/m2", "model from --model");
	is_str(serve_getenv(&c, "VLLM_API_KEY"), SERVE_MASK, "env key masked");
	is_str(serve_api_key(&c), "envkey", "env key in force");
	char *r = serve_render(&c);
	ok(!strstr(r, "envkey"), "render hides env key");
	free(r);
	serve_free(&c);

	ok(serve_parse("export VLLM_API_KEY=envkey\nvllm serve m --api-key=flagkey", NULL, 0, &c,
		       &err) == 0, "both keys");
	is_str(serve_api_key(&c), "flagkey", "CLI flag wins over VLLM_API_KEY");
	serve_free(&c);

	static const char cl[] = "/usr/bin/python3\0/usr/local/bin/vllm\0serve\0/data/m\0"
				 "--max-model-len\0001048576\0--headless\0--additional-config\0"
				 "{\"a\": [1,\0--port\0--api-key\0sekrit\0";
	ok(serve_from_cmdline(cl, sizeof cl - 1, &c, &err) == 0, "cmdline parses");
	is_str(c.model, "/data/m", "cmdline model");
	is_int(serve_has(&c, "--headless"), 1, "cmdline headless");
	is_str(serve_get(&c, "--max-model-len"), "1048576", "cmdline max-model-len");
	cJSON *j = serve_json(&c, "--additional-config", &err);
	ok(j == NULL && err && strstr(err, "--additional-config") && strstr(err, "offset 9"),
	   "bad JSON names the option and the position");
	printf("# %s\n", err ? err : "");
	free(err);
	err = NULL;
	ok(serve_json(&c, "--port", &err) == NULL && strstr(err, "has no value"), "flag has no JSON");
	free(err);
	err = NULL;
	ok(serve_json(&c, "--nope", &err) == NULL && strstr(err, "not given"), "absent option");
	free(err);
	err = NULL;
	double d;
	is_int(serve_num(&c, "--nope", &d), 0, "num absent");
	serve_free(&c);

	ok(serve_parse("vllm serve m --max-model-len 1M --x '[1]'", NULL, 0, &c, &err) == 0, "p");
	is_int(serve_num(&c, "--max-model-len", &d), -1, "1M is not a number");
	ok(serve_json(&c, "--x", &err) == NULL && strstr(err, "not an object"), "array rejected");
	free(err);
	err = NULL;
	serve_free(&c);

	static const char title[] = "VLLM::EngineCore_DP0\0\0\0";
	ok(serve_from_cmdline(title, sizeof title - 1, &c, &err) < 0, "proc title is not serve");
	free(err);
	err = NULL;
	ok(serve_from_cmdline("", 0, &c, &err) < 0, "empty cmdline");
	free(err);
}

/* Errors must be clear and never crash. */
static void test_errors(void)
{
	static const char *const bad[][2] = {
		{"vllm serve m --x 'abc", "unterminated single quote"},
		{"vllm serve m --x \"abc", "unterminated double quote"},
		{"vllm serve m --host $(hostname -I)", "unsupported command substitution"},
		{"vllm serve m --host `hostname`", "backtick"},
		{"vllm serve m --n $((1+2))", "arithmetic"},
		{"vllm serve m $([ $RANK != 0 ] && echo --headless", "unterminated $("},
		{"vllm serve m $([ $WHO != 0 ] && echo --headless)", "$WHO, which is not set"},
		{"vllm serve m $([ $RANK -ne x ] && echo --headless)", "not integers"},
		{"vllm serve m --x ${RANK/a/b}", "unsupported parameter expansion"},
		{"vllm serve m --x $1", "special parameter"},
		{"vllm serve m \\  \n --port 1", "blanks after a line-continuation"},
		{"vllm serve m\nvllm serve n", "more than one vllm command"},
		{"echo hi\nexport A=B", "no vllm serve command"},
		{"vllm serve m (x)", "unsupported shell syntax"},
		{"vllm serve m <<EOF", "here-documents"},
		{"line1\nline2\nvllm serve m --x \"a\n", "line 3:"},
		{"vllm serve m --api-key sk-xyz $(cat /key --api-key sk-xyz)", "--api-key ***"},
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(bad); i++) {
		struct serve_cmd c;
		char *err = NULL;
		int rc = parse_rank(bad[i][0], "1", &c, &err);
		ok(rc < 0 && err && strstr(err, bad[i][1]), bad[i][1]);
		if (err && !strstr(err, bad[i][1]))
			printf("#   got: %s\n", err);
		ok(!err || !strstr(err, "sk-xyz"), "error text has no secret");
		free(err);
	}
	size_t big = SERVE_MAX_TEXT + 10;
	char *t = xmalloc(big + 1);
	memset(t, 'a', big);
	t[big] = 0;
	struct serve_cmd c;
	char *err = NULL;
	ok(serve_parse(t, NULL, 0, &c, &err) < 0 && strstr(err, "longer"), "over 1 MiB rejected");
	free(err);
	free(t);
}

/* mask_secrets on arbitrary text. */
static void test_mask(void)
{
	static const char *const cases[][2] = {
		{"vllm serve m --api-key sk-123 --port 1", "vllm serve m --api-key *** --port 1"},
		{"--api-key=sk-123", "--api-key=***"},
		{"--api_key 'a b c' x", "--api_key *** x"},
		{"--api-key \\\n  sk-123 --x", "--api-key \\\n  *** --x"},
		{"env VLLM_API_KEY=abc ok", "env VLLM_API_KEY=*** ok"},
		{"curl -H 'Authorization: Bearer tok.en-1' u", "curl -H 'Authorization: Bearer ***' u"},
		{"authorization:bearer  xyz", "authorization:bearer  ***"},
		{"nothing secret here", "nothing secret here"},
		{"a\001--api-key\001sk\001b", "a\001--api-key\001***\001b"},
		{"", ""},
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(cases); i++) {
		char *m = mask_secrets(cases[i][0]);
		is_str(m, cases[i][1], "mask_secrets");
		free(m);
	}
	ok(mask_secrets(NULL) == NULL, "NULL stays NULL");
}

/* Random bytes and shell-ish fragments must not crash. */
static void test_fuzz(void)
{
	static const char alpha[] = "ab $(){}[]'\"\\\n\t<>&|;#=-`~!0123RANK";
	uint32_t x = 12345;
	int fails = 0;
	for (int round = 0; round < 3000; round++) {
		char buf[96];
		size_t n = 1 + round % 90;
		memcpy(buf, "vllm serve ", 11);
		for (size_t i = 11; i < n + 11 && i < sizeof buf - 1; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = round % 2 ? alpha[(x >> 16) % (sizeof alpha - 1)]
					   : (char)((x >> 16) & 0xff ? (x >> 16) & 0xff : 1);
		}
		buf[n + 11 < sizeof buf ? n + 11 : sizeof buf - 1] = 0;
		struct serve_cmd c;
		char *err = NULL;
		if (parse_rank(buf, "1", &c, &err) == 0) {
			char *r = serve_render(&c);
			free(r);
			serve_free(&c);
		} else if (!err)
			fails++;
		free(err);
		char *m = mask_secrets(buf);
		free(m);
		if (serve_from_cmdline(buf, strlen(buf), &c, &err) == 0)
			serve_free(&c);
		else
			free(err);
	}
	is_int(fails, 0, "fuzz: every failure has an error text");
}

int main(void)
{
	size_t len;
	char *ref = fixture("fixtures/serve/reference.sh", &len);
	ok(ref != NULL, "reference fixture");
	for (int rank = 0; ref && rank < 4; rank++)
		test_reference_rank(ref, rank);
	free(ref);
	test_idioms();
	test_words();
	test_forms();
	test_errors();
	test_mask();
	test_fuzz();
	return tap_done();
}
