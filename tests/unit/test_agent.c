/* The agent protocol's frames (agent.h): round trips, binary streams, cut
 * and malformed frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "tap.h"

/* Encodes m, decodes it back into *back; the bytes taken, or -1. */
static long round_trip(const struct v4_agent_msg *m, struct v4_agent_msg *back, struct sbuf *b)
{
	char *err = NULL;
	v4_agent_put(b, m);
	long n = v4_agent_get(b->s, b->len, 1, back, &err);
	if (n < 0)
		printf("#   %s\n", err);
	free(err);
	return n;
}

/* HELLO, RUN and KILL come back as they went. */
static void test_small_frames(void)
{
	struct sbuf b = {0};
	struct v4_agent_msg h = {.type = V4A_HELLO, .version = "1.2.3"}, back;
	is_int(round_trip(&h, &back, &b), (long)b.len, "hello: one whole frame taken");
	is_int(back.type, V4A_HELLO, "hello: type");
	is_int(back.protocol, V4_AGENT_PROTOCOL, "hello: the protocol version in the header");
	is_str(back.version, "1.2.3", "hello: version");
	v4_agent_msg_free(&back);
	sbuf_free(&b);

	struct v4_agent_msg r = {.type = V4A_RUN, .id = 4000000000u, .cmd = "npu-smi info -t board -i 3",
				 .timeout_ms = 12000, .cap = 4u << 20};
	is_int(round_trip(&r, &back, &b), (long)b.len, "run: one whole frame taken");
	is_int(back.id, 4000000000u, "run: a 32-bit id");
	is_str(back.cmd, r.cmd, "run: command");
	is_int(back.timeout_ms, 12000, "run: timeout");
	is_int(back.cap, 4u << 20, "run: cap");
	v4_agent_msg_free(&back);
	sbuf_free(&b);

	struct v4_agent_msg k = {.type = V4A_KILL, .id = 7};
	round_trip(&k, &back, &b);
	ok(back.type == V4A_KILL && back.id == 7, "kill: type and id");
	v4_agent_msg_free(&back);
	sbuf_free(&b);
}

/* A RESULT keeps NULs, a negative exit code and both streams' lengths. */
static void test_result_binary(void)
{
	static const char out[] = "a\0b\0\0c\n";
	struct sbuf b = {0};
	struct v4_agent_msg r = {.type = V4A_RESULT, .id = 9, .state = V4A_EXITED, .exit_code = -1,
				 .truncated = 1, .ms = 1234, .out = (char *)out, .out_len = sizeof out - 1,
				 .err = "", .err_len = 0}, back;
	is_int(round_trip(&r, &back, &b), (long)b.len, "result: one whole frame taken");
	is_int(back.out_len, sizeof out - 1, "result: stdout length with its NULs");
	ok(memcmp(back.out, out, sizeof out - 1) == 0, "result: stdout bytes kept, NULs inside");
	ok(back.out[back.out_len] == 0, "result: stdout NUL-terminated after its length");
	is_int(back.err_len, 0, "result: empty stderr");
	is_int(back.exit_code, -1, "result: a negative exit code");
	ok(back.truncated && back.ms == 1234 && back.state == V4A_EXITED, "result: truncated, ms, state");
	v4_agent_msg_free(&back);
	sbuf_free(&b);
}

/* Two frames back to back are read one at a time. */
static void test_stream(void)
{
	struct sbuf b = {0};
	struct v4_agent_msg a = {.type = V4A_KILL, .id = 1}, c = {.type = V4A_KILL, .id = 2}, back;
	v4_agent_put(&b, &a);
	size_t first = b.len;
	v4_agent_put(&b, &c);
	char *err = NULL;
	long n = v4_agent_get(b.s, b.len, 0, &back, &err);
	is_int(n, (long)first, "stream: the first frame alone is taken");
	is_int(back.id, 1, "stream: first id");
	v4_agent_msg_free(&back);
	n = v4_agent_get(b.s + first, b.len - first, 0, &back, &err);
	is_int(back.id, 2, "stream: then the second");
	v4_agent_msg_free(&back);
	sbuf_free(&b);
}

/* Every cut of a frame: more is needed (0) before EOF, an error at EOF. */
static void test_cut(void)
{
	struct sbuf b = {0};
	struct v4_agent_msg r = {.type = V4A_RESULT, .id = 3, .out = "hello", .out_len = 5, .err = "e", .err_len = 1};
	v4_agent_put(&b, &r);
	int waits = 1, errors = 1;
	for (size_t cut = 1; cut < b.len; cut++) {
		struct v4_agent_msg back;
		char *err = NULL;
		waits &= v4_agent_get(b.s, cut, 0, &back, &err) == 0;
		long n = v4_agent_get(b.s, cut, 1, &back, &err);
		errors &= n < 0 && err != NULL;
		free(err);
	}
	ok(waits, "cut frames: every prefix asks for more before EOF");
	ok(errors, "cut frames: every prefix is an error at EOF");
	sbuf_free(&b);
}

/* Returns v4_agent_get's verdict on buf[0..n) and frees what it set. */
static long get_verdict(const char *buf, size_t n)
{
	struct v4_agent_msg m;
	char *err = NULL;
	long r = v4_agent_get(buf, n, 1, &m, &err);
	if (r > 0)
		v4_agent_msg_free(&m);
	free(err);
	return r;
}

/* Malformed frames are errors, never messages. */
static void test_malformed(void)
{
	struct sbuf b = {0};
	struct v4_agent_msg h = {.type = V4A_HELLO, .version = "1"};
	v4_agent_put(&b, &h);
	char *x = xmalloc(b.len);
	memcpy(x, b.s, b.len);
	x[0] = 'X';
	is_int(get_verdict(x, b.len), -1, "bad magic");
	memcpy(x, b.s, b.len);
	x[4] = 2;
	is_int(get_verdict(x, b.len), -1, "another protocol version");
	memcpy(x, b.s, b.len);
	x[5] = 9;
	is_int(get_verdict(x, b.len), -1, "unknown frame type");
	memcpy(x, b.s, b.len);
	x[13] = 0x7f; /* the version field's length beyond the payload */
	is_int(get_verdict(x, b.len), -1, "a field longer than its frame");
	memcpy(x, b.s, b.len);
	x[8] = 0x7f; /* the payload length beyond any frame */
	is_int(get_verdict(x, b.len), -1, "a payload length past the limit");
	free(x);
	sbuf_free(&b);
	/* a HELLO without its version, a RUN without its command */
	struct v4_agent_msg r = {.type = V4A_RUN, .id = 1};
	v4_agent_put(&b, &r);
	is_int(get_verdict(b.s, b.len), -1, "a RUN without a command");
	sbuf_free(&b);
	struct v4_agent_msg c = {.type = V4A_RUN, .id = 1, .cmd = "ok"};
	v4_agent_put(&b, &c);
	b.s[V4_AGENT_HEADER + 9 + 5] = 0; /* a NUL inside the command (after the id field and its header) */
	is_int(get_verdict(b.s, b.len), -1, "a command with a NUL inside");
	sbuf_free(&b);
	is_int(get_verdict("", 0), -1, "nothing at EOF");
	is_int(get_verdict("V4", 2), -1, "a header cut at EOF");
}

int main(void)
{
	test_small_frames();
	test_result_binary();
	test_stream();
	test_cut();
	test_malformed();
	return tap_done();
}
