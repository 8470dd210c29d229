/* ProxyJump's relay: a direct-tcpip channel over a jump host's SSH session,
 * joined to one end of a socketpair so that the next session (libssh2 needs
 * a socket) talks through it. A thread of its own moves the bytes, so that
 * the next session's blocking handshake and its non-blocking pump need no
 * help from the node's thread. */
#ifndef V4_SSHRELAY_H
#define V4_SSHRELAY_H

#include <libssh2.h>

struct v4_ssh_relay;

/* Opens a channel from the jump session s (connected on socket sockfd,
 * blocking, bounded by its timeout) to host:port and starts relaying; s is
 * the relay thread's from then on, until v4_ssh_relay_stop. Returns the
 * socket for the next session, or -1 with *err. */
int v4_ssh_relay_start(LIBSSH2_SESSION *s, int sockfd, const char *host, int port,
		       struct v4_ssh_relay **out, char **err);

/* Stops relaying (after the next session has closed its socket, or at once
 * when it is gone) and frees the channel; s is the caller's again. */
void v4_ssh_relay_stop(struct v4_ssh_relay *r);

#endif
