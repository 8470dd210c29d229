/* The agent protocol: frames between the controller and `v4check agent` on a
 * node, over the stdin and stdout of one SSH exec channel. Binary-safe and
 * versioned. A frame is a 12-byte header (magic "V4AG", protocol version,
 * type, two zero bytes, payload length as 32-bit big-endian) and a payload
 * of fields (tag byte, 32-bit big-endian length, bytes). The agent speaks
 * first (HELLO: protocol and v4check version); the controller sends RUN
 * (id, command, timeout, output cap) and KILL (id); the agent answers each
 * RUN with one RESULT, in the order the commands end. Pure; no I/O. */
#ifndef V4_AGENT_H
#define V4_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define V4_AGENT_PROTOCOL 1
#define V4_AGENT_HEADER 12
/* The cap of one stream's output in a RESULT, whatever a RUN asks. */
#define V4_AGENT_MAX_OUTPUT ((uint32_t)16 << 20)
/* The largest payload a reader takes: two full streams and the rest. */
#define V4_AGENT_MAX_PAYLOAD (2 * V4_AGENT_MAX_OUTPUT + 65536)

enum v4_agent_type { V4A_HELLO = 1, V4A_RUN = 2, V4A_KILL = 3, V4A_RESULT = 4 };

/* How a command ended, in a RESULT. */
enum v4_agent_state {
	V4A_EXITED = 0,  /* ran; exit_code is its status (128+n: signal n) */
	V4A_TIMEOUT = 1, /* the agent killed its process group at the timeout */
	V4A_KILLED = 2,  /* killed on the controller's KILL */
	V4A_FAILED = 3,  /* could not be started; reason says why */
};

/* One frame, decoded. Strings are NUL-terminated copies (out and err may
 * hold NULs inside up to their lengths); absent ones are NULL. */
struct v4_agent_msg {
	int type;
	int protocol;         /* the header's version */
	uint32_t id;          /* RUN, KILL, RESULT */
	char *version;        /* HELLO: the agent's v4check version */
	char *cmd;            /* RUN */
	uint32_t timeout_ms;  /* RUN: 0 none */
	uint32_t cap;         /* RUN: bytes kept per stream */
	int state;            /* RESULT: enum v4_agent_state */
	int exit_code;        /* RESULT */
	int truncated;        /* RESULT: a stream was cut at the cap */
	uint32_t ms;          /* RESULT: how long it ran */
	char *out, *err;      /* RESULT */
	size_t out_len, err_len;
	char *reason;         /* RESULT of a failed start */
};

/* Appends m as a frame of the current protocol to b. */
void v4_agent_put(struct sbuf *b, const struct v4_agent_msg *m);

/* Decodes the first frame of buf[0..len) into m (zeroed first): the bytes
 * it took (> 0); 0 when the frame is not complete yet (eof 0); -1 with *err
 * (caller frees) for a malformed frame, an unknown protocol or type, or,
 * with eof set, a frame cut short. */
long v4_agent_get(const char *buf, size_t len, int eof, struct v4_agent_msg *m, char **err);

/* Frees what m holds and zeroes it. */
void v4_agent_msg_free(struct v4_agent_msg *m);

#endif
