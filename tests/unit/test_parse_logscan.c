/* Unit tests for the logs probes' parser (lib/parse/logscan.c) over the real
 * log lines of fixtures/parse/logs-*.txt and the edge cases. */
#include <stdlib.h>
#include <string.h>

#include "logscan.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Parses fixture name into *s; the parser's status (-2: no fixture). */
static int parse_fx(const char *name, struct v4_logscan *s)
{
	char path[256], *err = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, FX "%s", name);
	char *t = fixture(path, &len);
	int rc = t ? v4_parse_logscan(t, len, s, &err) : -2;
	if (err)
		printf("# %s: %s\n", name, err);
	free(err);
	free(t);
	return rc;
}

/* Parses text into *s. */
static int parse_txt(const char *text, struct v4_logscan *s)
{
	char *err = NULL;
	int rc = v4_parse_logscan(text, strlen(text), s, &err);
	free(err);
	return rc;
}

/* The pytorch#54 service log: uvicorn lines pass, EI9999 with the fftsplus
 * timeout is a task timeout, the bare EI9999 line an HCCL code. */
static void test_fftsplus(void)
{
	struct v4_logscan s;
	is_int(parse_fx("logs-docker.ascend-pytorch-54-fftsplus.txt", &s), 0, "pytorch-54: parses");
	ok(s.complete && s.nsrc == 1 && s.src[0].docker, "pytorch-54: one docker source, complete");
	is_str(s.since, "2026-05-01T08:00:03.482114551Z", "pytorch-54: since");
	is_int(s.src[0].total, 14, "pytorch-54: 14 lines in the window");
	is_int(s.src[0].rc, 0, "pytorch-54: docker logs exit 0");
	is_int((long long)s.per_kind[V4_LOG_TASK_TIMEOUT], 1,
	       "pytorch-54: one fftsplus task timeout");
	is_int((long long)s.per_kind[V4_LOG_HCCL_CODE], 1,
	       "pytorch-54: one other EI line (Inner Error!)");
	ok(s.nhit == 2 && s.hit[0].line == 7 && strcmp(s.hit[0].code, "EI9999") == 0,
	   "pytorch-54: first hit line 7, EI9999");
	ok(s.nhit == 2 && s.hit[1].kind == V4_LOG_TASK_TIMEOUT && s.hit[1].line == 8 &&
		   strcmp(s.hit[1].code, "EI9999") == 0,
	   "pytorch-54: line 8 is the timeout, with its code");
	ok(strlen(s.hit[1].text) < V4_LOG_QUOTE &&
		   strncmp(s.hit[1].text, "EI9999: 2024-10-21", 18) == 0,
	   "pytorch-54: the quote is the line, cut");
	v4_logscan_free(&s);
}

/* vllm-ascend#5509: aicore timeout twice ("times out", "[aicore timeout]"),
 * a worker died; EH9999 is not an HCCL code. */
static void test_aicore(void)
{
	struct v4_logscan s;
	is_int(parse_fx("logs-docker.vllm-ascend-5509-aicore.txt", &s), 0, "5509: parses");
	is_int((long long)s.per_kind[V4_LOG_AICORE_TIMEOUT], 2, "5509: two aicore timeout lines");
	is_int((long long)s.per_kind[V4_LOG_ENGINE_DIED], 1, "5509: a worker died");
	is_int((long long)s.per_kind[V4_LOG_HCCL_CODE], 0, "5509: EH9999 is no HCCL code");
	is_int((long long)s.nhit_all, 3, "5509: three hits");
	v4_logscan_free(&s);
}

/* vllm-ascend#7384: EI0013 on a line that says "An error CQE": error CQE. */
static void test_cqe(void)
{
	struct v4_logscan s;
	is_int(parse_fx("logs-docker.vllm-ascend-7384-ei0013.txt", &s), 0, "7384: parses");
	ok(s.nhit == 1 && s.hit[0].kind == V4_LOG_ERROR_CQE &&
		   strcmp(s.hit[0].code, "EI0013") == 0 && s.hit[0].line == 2,
	   "7384: line 2, error CQE, EI0013");
	v4_logscan_free(&s);
	is_int(parse_fx("logs-plog.hicann-hccl-doc-cqe.txt", &s), 0, "doc cqe: parses");
	ok(s.nsrc == 1 && !s.src[0].docker && s.src[0].mtime == 1777626000 &&
		   strcmp(s.src[0].where,
			  "/root/ascend/log/debug/plog/plog-2040034_20250915083700100.log") == 0,
	   "doc cqe: one plog file with its mtime and path");
	is_str(s.plogdir, "/root/ascend/log", "doc cqe: the log root");
	is_int((long long)s.per_kind[V4_LOG_ERROR_CQE], 1, "doc cqe: the HCCL cqe error line");
	ok(s.nhit == 1 && s.hit[0].line == 2,
	   "doc cqe: at line 2 (HCCP's 'failed CQE status' is not it)");
	v4_logscan_free(&s);
}

/* The other real samples: EI0006, a segfault, HCCL ERROR lines, healthy. */
static void test_others(void)
{
	struct v4_logscan s;
	is_int(parse_fx("logs-docker.vllm-ascend-5461-ei0006.txt", &s), 0, "5461: parses");
	ok(s.nhit == 1 && s.hit[0].kind == V4_LOG_HCCL_CODE && strcmp(s.hit[0].code, "EI0006") == 0,
	   "5461: Get_Socket_Timeout(EI0006)");
	v4_logscan_free(&s);
	is_int(parse_fx("logs-docker.vllm-ascend-10136-segfault.txt", &s), 0, "10136: parses");
	is_int((long long)s.per_kind[V4_LOG_ENGINE_DIED], 1, "10136: the segfault line");
	v4_logscan_free(&s);
	is_int(parse_fx("logs-plog.vllm-ascend-1955-hccl-error.txt", &s), 0, "1955: parses");
	is_int((long long)s.per_kind[V4_LOG_HCCL_ERROR], 5, "1955: five HCCL ERROR lines");
	v4_logscan_free(&s);
	is_int(parse_fx("logs-docker.lmcache-3968-healthy.txt", &s), 0, "healthy docker: parses");
	ok(s.nhit_all == 0 && s.src[0].total == 8, "healthy docker: 8 lines, no hit");
	v4_logscan_free(&s);
	is_int(parse_fx("logs-plog.hicann-hccl-doc-healthy.txt", &s), 0, "healthy plog: parses");
	ok(s.nhit_all == 0 && s.lines == 7, "healthy plog: 7 INFO lines, no hit");
	v4_logscan_free(&s);
}

/* Lines that must not match, and the code shape. */
static void test_classify(void)
{
	char code[8];
	static const char *const none[] = {
		"[WARNING] HCCL(26056,aicpu_scheduler):2025-12-30-15:07:28.047.256 [task_orchestrator.cc:1161] "
		"[26068]ErrToWarn: QuerySqeInfoByHead status failed. ret = 5 sqHead:0",
		"EH9999: Inner Error!",
		"XEI0006 EI00061 EI006",
		"(APIServer pid=385) INFO 08-26 15:05:02 [launcher.py:46] Route: /health, Methods: GET",
	};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++)
		ok(v4_log_classify(none[i], strlen(none[i]), code) == V4_LOG_NKIND, none[i]);
	const char *ej = "EJ0003: The IP address and port have been bound already.";
	ok(v4_log_classify(ej, strlen(ej), code) == V4_LOG_HCCL_CODE && strcmp(code, "EJ0003") == 0,
	   "EJ0003");
	is_str(v4_hccl_code_meaning("EI0013"), "RoCE CQE error during operator execution",
	       "EI0013 meaning");
	ok(v4_hccl_code_meaning("EJ0003") == NULL, "an unlisted code has no meaning");
}

/* Framing: foreign text, cut output, lines after the end, bad windows. */
static void test_frame(void)
{
	struct v4_logscan s;
	ok(parse_txt("", &s) == -1, "empty: not understood");
	v4_logscan_free(&s);
	ok(parse_txt("EI0006: x\n", &s) == -1, "raw log text: not the probe's");
	v4_logscan_free(&s);
	ok(parse_txt("v4logs docker since=x\nv4logs window 1-1 of 1\n1:EI0006: x\n", &s) == 0 &&
		   !s.complete && s.nhit == 1,
	   "cut before the end: parses, not complete, the hit kept");
	v4_logscan_free(&s);
	ok(parse_txt("v4logs docker since=x\nv4logs end\n1:x\n", &s) == -1, "a line after the end");
	v4_logscan_free(&s);
	ok(parse_txt("v4logs docker since=x\nv4logs window 3-2 of 4\nv4logs end\n", &s) == -1,
	   "window 3-2");
	v4_logscan_free(&s);
	ok(parse_txt("v4logs plog dir=/r\nv4logs window 1-1 of 1\n", &s) == -1,
	   "a window before any file");
	v4_logscan_free(&s);
	ok(parse_txt(
		   "v4logs plog dir=/r\nv4logs file mtime=5 skip=4096 /r/p.log\nv4logs window 1-1 of 1\n1:x\n"
		   "v4logs end\n",
		   &s) == 0 &&
		   s.nsrc == 1 && s.src[0].skip == 4096 && s.src[0].mtime == 5,
	   "a big file's skipped bytes");
	v4_logscan_free(&s);
	ok(parse_txt("v4logs plog dir=/r\nv4logs file mtime=5 skip=-1 /r/p.log\nv4logs end\n",
		     &s) == -1,
	   "a negative skip is not understood");
	v4_logscan_free(&s);
	ok(parse_txt("v4logs plog dir=/r\nv4logs plog workpath\nv4logs end\n", &s) == 0 &&
		   s.workpath && s.nsrc == 0,
	   "no plog file, ASCEND_WORK_PATH set");
	v4_logscan_free(&s);
	ok(parse_txt(
		   "v4logs docker since=x\nv4logs window 1-1 of 1\n1+:abc EI0006\nv4logs rc 1\nv4logs end\n",
		   &s) == 0 &&
		   s.src[0].rc == 1 && s.nhit == 1,
	   "a cut line still matches; docker's exit status");
	v4_logscan_free(&s);
	ok(parse_txt(
		   "v4logs docker since=x\nv4logs window 1-1 of 1\n1:--api-key sk-secret EI0006\nv4logs end\n",
		   &s) == 0 &&
		   s.nhit == 1 && !strstr(s.hit[0].text, "sk-secret"),
	   "the quote masks an API key");
	v4_logscan_free(&s);
}

/* docker's StartedAt. */
static void test_time(void)
{
	time_t t = 0;
	ok(v4_parse_rfc3339("2026-05-01T08:00:03.482114551Z", &t) == 0 && t == 1777622403,
	   "StartedAt, nanoseconds");
	ok(v4_parse_rfc3339("2026-05-01T10:00:03+02:00", &t) == 0 && t == 1777622403,
	   "with an offset");
	ok(v4_parse_rfc3339("0001-01-01T00:00:00Z", &t) == 0, "docker's zero time parses");
	ok(v4_parse_rfc3339("2026-05-01 08:00:03", &t) == -1, "no T: refused");
	ok(v4_parse_rfc3339("2026-05-01T08:00:03.Z", &t) == -1, "empty fraction: refused");
}

int main(void)
{
	test_fftsplus();
	test_aicore();
	test_cqe();
	test_others();
	test_classify();
	test_frame();
	test_time();
	return tap_done();
}
