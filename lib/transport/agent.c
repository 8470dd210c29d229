/* The agent protocol's frames: writing and reading (agent.h). */
#include <stdlib.h>
#include <string.h>

#include "agent.h"

enum tag {
	T_ID = 1, T_CMD, T_TIMEOUT, T_CAP, T_STATE, T_EXIT, T_OUT, T_ERR, T_TRUNC, T_MS,
	T_VERSION, T_REASON,
};

static const char magic[4] = {'V', '4', 'A', 'G'};

/* Appends v as 4 big-endian bytes. */
static void put_u32(struct sbuf *b, uint32_t v)
{
	char x[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
	sbuf_add(b, x, 4);
}

/* Reads 4 big-endian bytes. */
static uint32_t get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Appends a field of bytes. */
static void put_bytes(struct sbuf *b, enum tag t, const char *p, size_t n)
{
	char c = (char)t;
	sbuf_add(b, &c, 1);
	put_u32(b, (uint32_t)n);
	if (n)
		sbuf_add(b, p, n);
}

/* Appends a 32-bit field. */
static void put_num(struct sbuf *b, enum tag t, uint32_t v)
{
	char x[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
	put_bytes(b, t, x, 4);
}

/* Appends a string field when s is set. */
static void put_str(struct sbuf *b, enum tag t, const char *s)
{
	if (s)
		put_bytes(b, t, s, strlen(s));
}

/* The payload of m: the fields its type carries. */
static void payload(struct sbuf *p, const struct v4_agent_msg *m)
{
	if (m->type != V4A_HELLO)
		put_num(p, T_ID, m->id);
	switch (m->type) {
	case V4A_HELLO:
		put_str(p, T_VERSION, m->version);
		break;
	case V4A_RUN:
		put_str(p, T_CMD, m->cmd);
		put_num(p, T_TIMEOUT, m->timeout_ms);
		put_num(p, T_CAP, m->cap);
		break;
	case V4A_RESULT:
		put_num(p, T_STATE, (uint32_t)m->state);
		put_num(p, T_EXIT, (uint32_t)m->exit_code);
		put_num(p, T_TRUNC, (uint32_t)m->truncated);
		put_num(p, T_MS, m->ms);
		put_bytes(p, T_OUT, m->out ? m->out : "", m->out ? m->out_len : 0);
		put_bytes(p, T_ERR, m->err ? m->err : "", m->err ? m->err_len : 0);
		put_str(p, T_REASON, m->reason);
		break;
	}
}

void v4_agent_put(struct sbuf *b, const struct v4_agent_msg *m)
{
	struct sbuf p = {0};
	payload(&p, m);
	char h[8] = {magic[0], magic[1], magic[2], magic[3], V4_AGENT_PROTOCOL, (char)m->type, 0, 0};
	sbuf_add(b, h, sizeof h);
	put_u32(b, (uint32_t)p.len);
	if (p.len)
		sbuf_add(b, p.s, p.len);
	sbuf_free(&p);
}

/* A copy of n bytes, NUL-terminated. */
static char *copy(const char *p, size_t n)
{
	char *s = xmalloc(n + 1);
	if (n)
		memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* Stores a string field into *dst (a repeated field is an error). */
static int set_str(char **dst, size_t *len, const char *p, size_t n)
{
	if (*dst)
		return -1;
	*dst = copy(p, n);
	if (len)
		*len = n;
	else if (memchr(p, 0, n))
		return -1; /* a text field holds no NUL */
	return 0;
}

/* Stores one field of payload into m; -1 when it is malformed. */
static int field(struct v4_agent_msg *m, int t, const char *p, size_t n)
{
	if (t >= T_ID && t <= T_MS && t != T_CMD && t != T_OUT && t != T_ERR) {
		if (n != 4)
			return -1;
		uint32_t v = get_u32(p);
		switch (t) {
		case T_ID: m->id = v; break;
		case T_TIMEOUT: m->timeout_ms = v; break;
		case T_CAP: m->cap = v; break;
		case T_STATE: m->state = (int)v; break;
		case T_EXIT: m->exit_code = (int)(int32_t)v; break;
		case T_TRUNC: m->truncated = v != 0; break;
		case T_MS: m->ms = v; break;
		}
		return 0;
	}
	switch (t) {
	case T_CMD: return set_str(&m->cmd, NULL, p, n);
	case T_OUT: return set_str(&m->out, &m->out_len, p, n);
	case T_ERR: return set_str(&m->err, &m->err_len, p, n);
	case T_VERSION: return set_str(&m->version, NULL, p, n);
	case T_REASON: return set_str(&m->reason, NULL, p, n);
	}
	return 0; /* a field this version does not know: skipped */
}

/* Decodes the fields of a payload into m; -1 when one is malformed. */
static int fields(struct v4_agent_msg *m, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (n - i < 5)
			return -1;
		int t = (unsigned char)p[i];
		size_t len = get_u32(p + i + 1);
		if (len > n - i - 5 || field(m, t, p + i + 5, len))
			return -1;
		i += 5 + len;
	}
	return 0;
}

/* 1 when m has what its type needs. */
static int complete(const struct v4_agent_msg *m)
{
	switch (m->type) {
	case V4A_HELLO: return m->version != NULL;
	case V4A_RUN: return m->cmd != NULL;
	case V4A_KILL: return 1;
	case V4A_RESULT: return m->out != NULL && m->err != NULL && m->state >= V4A_EXITED &&
				m->state <= V4A_FAILED;
	}
	return 0;
}

/* Sets *err and frees m: -1. */
static long bad(struct v4_agent_msg *m, char **err, const char *why)
{
	v4_agent_msg_free(m);
	*err = xstrdup(why);
	return -1;
}

long v4_agent_get(const char *buf, size_t len, int eof, struct v4_agent_msg *m, char **err)
{
	memset(m, 0, sizeof *m);
	size_t have = len < V4_AGENT_HEADER ? len : V4_AGENT_HEADER;
	if (memcmp(buf, magic, have < 4 ? have : 4) != 0)
		return bad(m, err, "not an agent frame (bad magic)");
	if (len < V4_AGENT_HEADER)
		return eof && len ? bad(m, err, "frame cut short (header)") : eof ? bad(m, err, "no frame") : 0;
	m->protocol = (unsigned char)buf[4];
	m->type = (unsigned char)buf[5];
	uint32_t n = get_u32(buf + 8);
	if (m->protocol != V4_AGENT_PROTOCOL)
		return bad(m, err, "another protocol version");
	if (m->type < V4A_HELLO || m->type > V4A_RESULT || buf[6] || buf[7])
		return bad(m, err, "unknown frame type");
	if (n > V4_AGENT_MAX_PAYLOAD)
		return bad(m, err, "frame too large");
	if (len - V4_AGENT_HEADER < n)
		return eof ? bad(m, err, "frame cut short (payload)") : 0;
	if (fields(m, buf + V4_AGENT_HEADER, n) || !complete(m))
		return bad(m, err, "malformed frame fields");
	return (long)(V4_AGENT_HEADER + n);
}

void v4_agent_msg_free(struct v4_agent_msg *m)
{
	free(m->version);
	free(m->cmd);
	free(m->out);
	free(m->err);
	free(m->reason);
	memset(m, 0, sizeof *m);
}
