/* `ss -Htlnp` (iproute2): the TCP sockets listening on a node, with the
 * processes that hold them. One socket a line, no header (-H):
 *   LISTEN 0      128    0.0.0.0:60003 0.0.0.0:* users:(("python3",pid=12696,fd=3))
 * State, Recv-Q, Send-Q, local address:port, peer address:port, then the
 * process column when -p could read the owner (absent otherwise). Local
 * addresses: 0.0.0.0, [::], *, [::ffff:127.0.0.1], 127.0.0.53%lo (an
 * interface after '%'). Columns are separated by runs of blanks. */
#ifndef V4_SS_H
#define V4_SS_H

#include <stddef.h>

#define SS_MAX_TEXT (4u << 20) /* larger input is refused */
#define SS_MAX_USERS 8         /* processes kept per socket */

struct ss_user {
	char name[64]; /* the process's comm as ss prints it (quotes removed) */
	long pid;
};

struct ss_listen {
	char addr[80];  /* local address as printed, brackets removed ("::", "0.0.0.0", "*") */
	int port;
	struct ss_user users[SS_MAX_USERS];
	size_t nusers;  /* 0: ss could not tell the owner */
};

struct ss_list {
	struct ss_listen *v;
	size_t n;
	size_t nbad; /* lines that were not understood (the first one in bad_line) */
	char bad_line[128];
};

/* Parses ss -Htlnp output; 0, or -1 with *err (caller frees) when the input
 * is too big. Lines not understood are counted in nbad, never fatal; a
 * "State Recv-Q ..." header line (ss without -H) is skipped. */
int ss_parse(const char *text, size_t len, struct ss_list *out, char **err);
void ss_list_free(struct ss_list *l);

#endif
