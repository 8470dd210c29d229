/* libFuzzer: the agent protocol's frame reader (agent.h), as both ends run it
 * over a stream: frame after frame, then EOF. */
#include "agent.h"
#include "fuzz.h"

/* 1 when a and b hold the same bytes (both absent, or both n long and equal). */
static int same(const char *a, size_t an, const char *b, size_t bn)
{
	return (!a && !b) || (a && b && an == bn && memcmp(a, b, an) == 0);
}

/* 1 when m, written and read again, is what it was (the fields of its type:
 * others are dropped on writing). */
static int stable(const struct v4_agent_msg *m)
{
	struct sbuf b = {0};
	struct v4_agent_msg r;
	char *err = NULL;
	v4_agent_put(&b, m);
	long n = v4_agent_get(b.s, b.len, 1, &r, &err);
	int eq = n == (long)b.len && r.type == m->type && (m->type == V4A_HELLO || r.id == m->id) &&
		 (m->type != V4A_RUN || (!strcmp(r.cmd, m->cmd) && r.timeout_ms == m->timeout_ms && r.cap == m->cap)) &&
		 (m->type != V4A_HELLO || !strcmp(r.version, m->version)) &&
		 (m->type != V4A_RESULT ||
		  (r.exit_code == m->exit_code && r.state == m->state && r.ms == m->ms &&
		   same(r.out, r.out_len, m->out, m->out_len) && same(r.err, r.err_len, m->err, m->err_len)));
	if (n > 0)
		v4_agent_msg_free(&r);
	free(err);
	sbuf_free(&b);
	return eq;
}

/* Reads every frame; a decoded one must survive being written and read again. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	const char *p = (const char *)data;
	size_t off = 0;
	while (off < size) {
		struct v4_agent_msg m;
		char *err = NULL;
		long n = v4_agent_get(p + off, size - off, 1, &m, &err);
		if (n < 0) {
			if (!err)
				abort();
			free(err);
			break;
		}
		if (n == 0 || (size_t)n > size - off)
			abort(); /* at EOF a reader never waits, nor takes more than it has */
		if ((m.out && m.out[m.out_len]) || (m.err && m.err[m.err_len]))
			abort();
		if (!stable(&m))
			abort();
		v4_agent_msg_free(&m);
		off += (size_t)n;
	}
	return 0;
}
