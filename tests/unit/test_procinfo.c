/* Unit tests for the /proc helpers (lib/procinfo.c). */
#include <stdint.h>
#include <unistd.h>

#include "procinfo.h"
#include "serve.h"
#include "tap.h"
#include "util.h"

/* A listing as PROC_LIST_CMD prints it: a container with a headless rank,
 * leftovers of an earlier run, an api_server-module rank, and bad lines. */
static const char listing[] =
	"P\t1\t0\tS\t1\tsystemd\t/sbin/init\001splash\001\n"
	"P\t100\t1\tS\t500\tcontainerd-shim\t/usr/bin/containerd-shim-runc-v2\001-namespace\001moby\001\n"
	"P\t200\t100\tS\t600\tbash\tbash\001\n"
	"P\t300\t200\tS\t1000\tvllm\t/usr/bin/python3\001/usr/local/bin/vllm\001serve\001/data/m\001"
	"--api-key\001sk-xyz\001--headless\001--data-parallel-start-rank\001" "1\001\n"
	"P\t310\t300\tS\t1100\tVLLM::EngineCor\tVLLM::EngineCore_DP1\001\001\001\001\n"
	"P\t320\t310\tS\t1200\tVLLM::Worker_DP\tVLLM::Worker_DP1_TP0\001\n"
	"P\t400\t1\tS\t50\tVLLM::EngineCor\tVLLM::EngineCore_DP0\001\n"
	"P\t410\t400\tD\t60\tVLLM::Worker_DP\tVLLM::Worker_DP0_TP3\001\n"
	"P\t500\t1\tS\t70\tpython3\tpython3\001-m\001vllm.entrypoints.openai.api_server\001--model\001/m\001\n"
	"P\t510\t500\tS\t80\tEngineCore_DP0\tpython3\001-c\001from multiprocessing.spawn import spawn_main\001\n"
	"P\t600\t1\tS\t90\tpt_main_thread\tVLLMWorker_DP0\001\n"
	"P\t700\t1\tZ\t95\tVLLM::APIServer\t\n"
	"P\t800\t1\tS\t99\tbash\tbash\001-c\001echo vllm serve\001\n"
	"P\t900\t1\tS\t99\ta) b c\t/tmp/a) b c\001\r\n"
	"\n"
	"P\tx\t1\tS\t1\tc\ta\001\n"
	"hello\n"
	"P\t1\t2\tSS\t1\tc\ta\001\n"
	"P\t1\t2\tS\t1\tc\n"
	"END\n"
	"P\t999\t1\tS\t1\tlate\tlate\001\n";

/* The listing parses, classifies, and finds orphans. */
static void test_listing(void)
{
	struct proc_list l;
	char *err = NULL;
	ok(proc_list_parse(listing, sizeof listing - 1, &l, &err) == 0, "listing parses");
	is_int((long long)l.n, 14, "fourteen processes");
	is_int((long long)l.nbad, 5, "five bad lines (incl. one after END)");
	is_int(l.complete, 1, "END seen");
	const struct proc_entry *e = proc_lookup(&l, 300);
	ok(e && e->kind == PROC_SERVE, "vllm serve under python3 is the server");
	ok(e && e->argc == 9 && !strcmp(e->argv[2], "serve"), "args split at \\001");
	char *a = e ? proc_args(e) : NULL;
	ok(a && strstr(a, "--api-key ***") && !strstr(a, "sk-xyz"), "proc_args masks the key");
	free(a);
	e = proc_lookup(&l, 310);
	ok(e && e->kind == PROC_ENGINE && e->argc == 1, "engine; title padding dropped");
	is_str(e ? proc_kind_name(e->kind) : NULL, "engine", "kind name");
	is_int(proc_lookup(&l, 320)->kind, PROC_WORKER, "VLLM::Worker_DP is a worker");
	is_int(proc_lookup(&l, 500)->kind, PROC_SERVE, "api_server module is the server");
	is_int(proc_lookup(&l, 510)->kind, PROC_ENGINE, "EngineCore_DP0 comm");
	is_int(proc_lookup(&l, 600)->kind, PROC_WORKER, "VLLMWorker_DP0 argv[0]");
	is_int(proc_lookup(&l, 700)->kind, PROC_API, "APIServer title, no args");
	is_int(proc_lookup(&l, 700)->state, 'Z', "zombie state");
	is_int(proc_lookup(&l, 800)->kind, PROC_OTHER, "'echo vllm serve' is not vllm");
	is_str(proc_lookup(&l, 900)->comm, "a) b c", "comm with ') ' and blanks");
	is_int((long long)proc_lookup(&l, 410)->start, 60, "start time");
	ok(proc_lookup(&l, 999) == NULL, "nothing after END");

	struct vllm_proc *v = NULL;
	size_t n = proc_find_vllm(&l, &v);
	is_int((long long)n, 9, "nine vLLM processes");
	long orphans[8];
	size_t no = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].orphan && no < 8)
			orphans[no++] = v[i].e->pid;
		if (v[i].e->pid == 320)
			is_int(v[i].server_pid, 300, "worker's server is the serve process");
		if (v[i].e->pid == 510)
			is_int(v[i].server_pid, 500, "engine under api_server module");
		if (v[i].e->pid == 700)
			ok(!v[i].orphan && v[i].server_pid == 700, "APIServer is its own server");
	}
	is_int((long long)no, 3, "three orphans");
	ok(no == 3 && orphans[0] == 400 && orphans[1] == 410 && orphans[2] == 600,
	   "orphans: leftover engine, its worker, reparented worker");
	free(v);
	proc_list_free(&l);
}

/* 1 when the vLLM processes of a and b agree: pid, kind, server, orphan. */
static int same_vllm(const struct proc_list *a, const struct proc_list *b)
{
	struct vllm_proc *va = NULL, *vb = NULL;
	size_t na = proc_find_vllm(a, &va), nb = proc_find_vllm(b, &vb);
	int same = na == nb;
	for (size_t i = 0; same && i < na; i++)
		same = va[i].e->pid == vb[i].e->pid && va[i].e->kind == vb[i].e->kind &&
		       va[i].server_pid == vb[i].server_pid && va[i].orphan == vb[i].orphan;
	free(va);
	free(vb);
	return same;
}

/* The reduced listing keeps what the checks read, and only that. */
static void test_reduce(void)
{
	struct proc_list l, r;
	char *err = NULL;
	size_t n = 0;
	long want[] = {800};
	char *red = proc_list_reduce(listing, sizeof listing - 1, want, 1, &n);
	ok(red && n < sizeof listing - 1, "reduced listing is smaller");
	proc_list_parse(listing, sizeof listing - 1, &l, &err);
	ok(red && proc_list_parse(red, n, &r, &err) == 0, "reduced listing parses");
	ok(same_vllm(&l, &r), "same vLLM processes, servers and orphans");
	ok(proc_lookup(&r, 800) != NULL, "the wanted pid (an NPU holder) is kept");
	ok(proc_lookup(&r, 200) && proc_lookup(&r, 100) && proc_lookup(&r, 1),
	   "ancestors of the server are kept (bash, containerd-shim, init)");
	ok(proc_lookup(&r, 900) == NULL, "another process is dropped");
	is_int((long long)r.nbad, (long long)l.nbad, "lines that are not entries stay");
	is_int(r.complete, 1, "END stays");
	size_t n2 = 0;
	char *again = proc_list_reduce(red, n, want, 1, &n2);
	ok(again && n2 == n && memcmp(again, red, n) == 0, "reducing again changes nothing");
	free(again);
	proc_list_free(&r);
	free(red);
	ok(proc_list_reduce(NULL, 0, NULL, 0, &n) == NULL, "unparsable: NULL (kept whole)");
	red = proc_list_reduce(listing, sizeof listing - 1, NULL, 0, &n);
	ok(red && proc_list_parse(red, n, &r, &err) == 0 && same_vllm(&l, &r) &&
	       proc_lookup(&r, 800) == NULL,
	   "nothing wanted: the vLLM processes and their ancestors only");
	proc_list_free(&r);
	proc_list_free(&l);
	free(red);
}

/* Edge cases: truncated args, cycles, no END, size bounds. */
static void test_edges(void)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "P\t5\t6\tS\t1\tVLLM::EngineCor\tVLLM::EngineCore_DP2\001\n");
	sbuf_adds(&b, "P\t6\t5\tS\t1\tloop\tloop\001\n");
	sbuf_adds(&b, "P\t7\t1\tR\t1\tpython3\t");
	for (int i = 0; i < PROC_CMDLINE_MAX; i++)
		sbuf_add(&b, "x", 1);
	sbuf_adds(&b, "\n");
	struct proc_list l;
	char *err = NULL;
	ok(proc_list_parse(b.s, b.len, &l, &err) == 0, "edge listing parses");
	is_int(l.complete, 0, "no END: incomplete");
	is_int(proc_lookup(&l, 7)->truncated, 1, "4096-byte args marked cut");
	struct vllm_proc *v = NULL;
	size_t n = proc_find_vllm(&l, &v);
	ok(n == 1 && v[0].orphan, "a ppid cycle ends as an orphan, no hang");
	free(v);
	proc_list_free(&l);
	sbuf_free(&b);
	ok(proc_list_parse(NULL, 0, &l, &err) < 0 && err, "NULL refused");
	free(err);
	err = NULL;
	ok(proc_list_parse("END\n", (size_t)PROC_MAX_LISTING + 1, &l, &err) < 0 && err,
	   "over 32 MiB refused");
	free(err);
}

/* Prints the lines of a live listing that are neither seven-field P lines nor END. */
static void diag_odd_lines(const char *s, size_t len, size_t nbad, size_t n)
{
	printf("# %zu of %zu lines not understood:\n", nbad, n);
	for (const char *p = s, *end = s + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t tabs = 0;
		for (size_t i = 0; i < k; i++)
			tabs += p[i] == '\t';
		if (k && !(p[0] == 'P' && tabs == 6) && !(k == 3 && !memcmp(p, "END", 3)))
			printf("#   %.*s\n", (int)(k > 200 ? 200 : k), p);
		p += k + 1;
	}
}

/* The probe command text. */
static void test_command(void)
{
	const char *c = PROC_LIST_CMD;
	ok(!strchr(c, '\n') && !strchr(c, '\t'), "one line, escapes left to printf/tr");
	ok(strstr(c, "echo END") != NULL, "ends with END");
	/* Run it here: this very process must be listed, with its parent. */
	FILE *f = popen(c, "r");
	struct sbuf out = {0};
	char buf[8192];
	size_t r;
	while (f && (r = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(&out, buf, r);
	if (f)
		pclose(f);
	struct proc_list l;
	char *err = NULL;
	ok(out.len && proc_list_parse(out.s, out.len, &l, &err) == 0, "live listing parses");
	/* processes come and go while ps reads them: a stray line or two, or 1% */
	ok(l.complete && l.nbad <= 2 + l.n / 100, "live listing complete, at most a few bad lines");
	if (l.nbad)
		diag_odd_lines(out.s, out.len, l.nbad, l.n);
	const struct proc_entry *me = proc_lookup(&l, (long)getpid());
	ok(me && me->ppid == (long)getppid(), "this process is listed with its parent");
	int named = 0; /* under valgrind the program is an argument of valgrind's */
	for (size_t i = 0; me && i < me->argc; i++)
		named |= strstr(me->argv[i], "test_procinfo") != NULL;
	ok(me && *me->comm && named, "the program's arguments and name are listed");
	proc_list_free(&l);
	sbuf_free(&out);
	free(err);
}

/* environ parsing and masking. */
static void test_environ(void)
{
	static const char env[] = "PATH=/bin\0VLLM_API_KEY=sk-1\0HCCL_IF_IP=192.168.0.33\0noeq\0"
				  "=x\0PATH=/other\0HF_TOKEN=hf_x\0EMPTY=\0GLOO_SOCKET_IFNAME=bond1";
	struct proc_env e;
	char *err = NULL;
	ok(proc_environ_parse(env, sizeof env - 1, &e, &err) == 0, "environ parses");
	is_int((long long)e.n, 7, "seven entries");
	is_int((long long)e.nbad, 2, "two bad entries");
	is_str(proc_env_get(&e, "PATH"), "/bin", "first PATH wins");
	is_str(proc_env_get(&e, "VLLM_API_KEY"), SERVE_MASK, "api key masked");
	is_str(proc_env_get(&e, "HF_TOKEN"), SERVE_MASK, "token masked");
	is_str(proc_env_get(&e, "EMPTY"), "", "empty value");
	is_str(proc_env_get(&e, "GLOO_SOCKET_IFNAME"), "bond1", "last entry without NUL");
	ok(proc_env_get(&e, "NOPE") == NULL, "absent");
	proc_env_free(&e);
	ok(proc_environ_parse("", 0, &e, &err) == 0 && e.n == 0, "empty environ");
	proc_env_free(&e);
	ok(proc_environ_parse("A=1", (size_t)PROC_MAX_ENVIRON + 1, &e, &err) < 0 && err,
	   "over 4 MiB refused");
	free(err);
}

/* Random bytes must never crash. */
static void test_fuzz(void)
{
	static const char alpha[] = "P\t\n\001" "0123456789SZVLLM::EngineCorvllmserve-";
	uint32_t x = 99;
	for (int round = 0; round < 4000; round++) {
		char buf[160];
		size_t n = (size_t)(round % 159);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = round % 3 ? alpha[(x >> 16) % (sizeof alpha - 1)] : (char)(x >> 16);
		}
		struct proc_list l;
		struct proc_env e;
		char *err = NULL;
		if (proc_list_parse(buf, n, &l, &err) == 0) {
			struct vllm_proc *v = NULL;
			proc_find_vllm(&l, &v);
			free(v);
			proc_list_free(&l);
		}
		if (proc_environ_parse(buf, n, &e, &err) == 0)
			proc_env_free(&e);
		free(err);
	}
	ok(1, "fuzz survived");
}

int main(void)
{
	test_listing();
	test_reduce();
	test_edges();
	test_command();
	test_environ();
	test_fuzz();
	return tap_done();
}
