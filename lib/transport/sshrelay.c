/* ProxyJump's relay: direct-tcpip channel <-> socketpair, moved by a thread. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sshrelay.h"
#include "util.h"

#define RELAY_BUF 32768
#define RELAY_POLL_MS 500

struct v4_ssh_relay {
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *ch;
	int sock;  /* the jump session's socket */
	int fd;    /* our end of the socketpair */
	pthread_t th;
	atomic_int stop;
	char up[RELAY_BUF], down[RELAY_BUF]; /* pair -> channel, channel -> pair */
	size_t uoff, ulen, doff, dlen;
	int chan_eof, pair_eof, wr_shut;
};

/* Channel -> down buffer -> socketpair; 1 on progress, -1 when over. */
static int move_down(struct v4_ssh_relay *r)
{
	int progress = 0;
	if (!r->dlen && !r->chan_eof) {
		ssize_t n = libssh2_channel_read(r->ch, r->down, sizeof r->down);
		if (n > 0) {
			r->doff = 0;
			r->dlen = (size_t)n;
			progress = 1;
		} else if (n == 0 || libssh2_channel_eof(r->ch)) {
			r->chan_eof = libssh2_channel_eof(r->ch);
		} else if (n != LIBSSH2_ERROR_EAGAIN) {
			return -1;
		}
	}
	if (r->dlen) {
		ssize_t w = send(r->fd, r->down + r->doff, r->dlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			r->doff += (size_t)w;
			r->dlen -= (size_t)w;
			progress = 1;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (r->chan_eof && !r->dlen && !r->wr_shut) {
		shutdown(r->fd, SHUT_WR); /* the next session reads EOF */
		r->wr_shut = 1;
	}
	return progress;
}

/* Socketpair -> up buffer -> channel; 1 on progress, -1 when over. */
static int move_up(struct v4_ssh_relay *r)
{
	int progress = 0;
	if (!r->ulen && !r->pair_eof) {
		ssize_t n = recv(r->fd, r->up, sizeof r->up, MSG_DONTWAIT);
		if (n > 0) {
			r->uoff = 0;
			r->ulen = (size_t)n;
			progress = 1;
		} else if (n == 0) {
			r->pair_eof = 1;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (r->ulen && !r->chan_eof) {
		ssize_t w = libssh2_channel_write(r->ch, r->up + r->uoff, r->ulen);
		if (w > 0) {
			r->uoff += (size_t)w;
			r->ulen -= (size_t)w;
			progress = 1;
		} else if (w != LIBSSH2_ERROR_EAGAIN) {
			return -1;
		}
	} else if (r->chan_eof) {
		r->ulen = 0; /* nobody reads it any more */
	}
	return progress;
}

/* Waits for either socket in the directions that can move. */
static void relay_wait(struct v4_ssh_relay *r)
{
	struct pollfd p[2] = {{.fd = r->sock, .events = POLLIN}, {.fd = r->fd, .events = 0}};
	int one = 1;
	setsockopt(r->sock, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	if (libssh2_session_block_directions(r->s) & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p[0].events |= POLLOUT;
	if (!r->ulen && !r->pair_eof)
		p[1].events |= POLLIN;
	if (r->dlen)
		p[1].events |= POLLOUT;
	poll(p, 2, RELAY_POLL_MS);
}

/* The relay thread: moves bytes both ways until either side ends or stop. */
static void *relay_main(void *arg)
{
	struct v4_ssh_relay *r = arg;
	while (!atomic_load(&r->stop) && !r->pair_eof) {
		int d = move_down(r), u = d < 0 ? -1 : move_up(r);
		if (d < 0 || u < 0)
			break;
		if (!d && !u)
			relay_wait(r);
	}
	shutdown(r->fd, SHUT_RDWR); /* a lost jump host ends the next session too */
	return NULL;
}

int v4_ssh_relay_start(LIBSSH2_SESSION *s, int sockfd, const char *host, int port,
		       struct v4_ssh_relay **out, char **err)
{
	char *msg = NULL;
	int sv[2];
	LIBSSH2_CHANNEL *ch = libssh2_channel_direct_tcpip_ex(s, host, port, "127.0.0.1", 22);
	*out = NULL;
	if (!ch) {
		libssh2_session_last_error(s, &msg, NULL, 0);
		*err = xasprintf("cannot open a channel to %s port %d: %s", host, port,
				 msg && *msg ? msg : "refused");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		*err = xasprintf("socketpair: %s", strerror(errno));
		libssh2_channel_free(ch);
		return -1;
	}
	struct v4_ssh_relay *r = xcalloc(1, sizeof *r);
	r->s = s;
	r->ch = ch;
	r->sock = sockfd;
	r->fd = sv[1];
	atomic_init(&r->stop, 0);
	libssh2_session_set_blocking(s, 0);
	if (pthread_create(&r->th, NULL, relay_main, r)) {
		*err = xstrdup("cannot start the ProxyJump relay thread");
		libssh2_session_set_blocking(s, 1);
		libssh2_channel_free(ch);
		close(sv[0]);
		close(sv[1]);
		free(r);
		return -1;
	}
	*out = r;
	return sv[0];
}

void v4_ssh_relay_stop(struct v4_ssh_relay *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, 1);
	shutdown(r->fd, SHUT_RDWR); /* wakes the thread's poll */
	pthread_join(r->th, NULL);
	close(r->fd);
	libssh2_session_set_blocking(r->s, 1);
	libssh2_session_set_timeout(r->s, 1000);
	libssh2_channel_free(r->ch);
	free(r);
}
