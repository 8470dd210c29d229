/* The local transport: probes run as /bin/sh -c on this machine, each in its
 * own process group so that a timeout kills everything it started. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opts.h"
#include "transport.h"
#include "v4.h"

struct stream {
	int fd;
	struct sbuf b;
	int truncated;
};

struct ljob {
	struct ljob *next;
	pid_t pid;
	struct stream s[2]; /* stdout, stderr */
	int status, reaped, killed;
	double t0, ms;
	size_t max;
};

struct lconn {
	struct ljob *jobs;
	size_t max_output;
};

/* Opens the local node: nothing to connect. */
static void *local_open(struct v4_node *n, const struct v4_opts *o, char **err)
{
	struct lconn *c = xcalloc(1, sizeof *c);
	c->max_output = o->max_output;
	return c;
}

/* Child side of a probe: own process group, pipes on 1 and 2, /dev/null on 0. */
static void child(const char *cmd, int out[2], int errp[2])
{
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(out[1], 1);
	dup2(errp[1], 2);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Starts one probe. */
static void *local_start(void *conn, const char *id, const char *cmd, int timeout_ms, char **err)
{
	struct lconn *c = conn;
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC))
		goto fail;
	if (pipe2(errp, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		goto fail;
	}
	pid_t pid = fork();
	if (pid == 0)
		child(cmd, out, errp);
	close(out[1]);
	close(errp[1]);
	if (pid < 0) {
		close(out[0]);
		close(errp[0]);
		goto fail;
	}
	setpgid(pid, pid);
	struct ljob *j = xcalloc(1, sizeof *j);
	j->pid = pid;
	j->s[0].fd = out[0];
	j->s[1].fd = errp[0];
	j->t0 = now_ms();
	j->max = c->max_output;
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	j->next = c->jobs;
	c->jobs = j;
	return j;
fail:
	*err = xasprintf("cannot start '%s': %s", cmd, strerror(errno));
	return NULL;
}

/* Reads what is available on a stream; closes it at EOF. */
static void drain(struct stream *s, size_t max)
{
	char buf[16384];
	for (;;) {
		ssize_t r = read(s->fd, buf, sizeof buf);
		if (r > 0) {
			size_t room = s->b.len < max ? max - s->b.len : 0;
			size_t keep = (size_t)r < room ? (size_t)r : room;
			if (keep < (size_t)r)
				s->truncated = 1;
			sbuf_add(&s->b, buf, keep);
			continue;
		}
		if (r < 0 && (errno == EINTR))
			continue;
		if (r == 0 || errno != EAGAIN) {
			close(s->fd);
			s->fd = -1;
		}
		return;
	}
}

/* Reaps a job whose streams are closed. */
static void try_reap(struct ljob *j)
{
	if (j->reaped || j->s[0].fd >= 0 || j->s[1].fd >= 0)
		return;
	if (waitpid(j->pid, &j->status, WNOHANG) == j->pid) {
		j->reaped = 1;
		j->ms = now_ms() - j->t0;
	}
}

/* Waits up to wait_ms for output on any job, then reads it. A job whose
 * output is closed but which has not exited yet is looked at every 5 ms. */
static void local_pump(void *conn, int wait_ms)
{
	struct lconn *c = conn;
	struct pollfd pfd[256];
	struct stream *map[256];
	nfds_t n = 0;
	for (struct ljob *j = c->jobs; j; j = j->next) {
		if (!j->reaped && j->s[0].fd < 0 && j->s[1].fd < 0 && wait_ms > 5)
			wait_ms = 5;
		for (int k = 0; k < 2 && n < 256; k++)
			if (j->s[k].fd >= 0) {
				pfd[n] = (struct pollfd){j->s[k].fd, POLLIN, 0};
				map[n++] = &j->s[k];
			}
	}
	if (n)
		poll(pfd, n, wait_ms);
	else
		usleep((useconds_t)wait_ms * 1000);
	for (nfds_t i = 0; i < n; i++)
		if (pfd[i].revents)
			drain(map[i], c->max_output);
	for (struct ljob *j = c->jobs; j; j = j->next)
		try_reap(j);
}

/* Unlinks and frees job j of c. */
static void forget(struct lconn *c, struct ljob *j)
{
	for (struct ljob **pp = &c->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	for (int k = 0; k < 2; k++) {
		if (j->s[k].fd >= 0)
			close(j->s[k].fd);
		sbuf_free(&j->s[k].b);
	}
	free(j);
}

/* Fills f from a reaped job. */
static void fill(struct ljob *j, struct v4_fact *f)
{
	f->out_len = j->s[0].b.len;
	f->out = sbuf_take(&j->s[0].b);
	f->err_len = j->s[1].b.len;
	f->err = sbuf_take(&j->s[1].b);
	f->truncated = j->s[0].truncated || j->s[1].truncated;
	f->ms = j->ms;
	f->state = V4_FACT_OK;
	if (WIFEXITED(j->status))
		f->exit_code = WEXITSTATUS(j->status);
	else
		f->exit_code = 128 + WTERMSIG(j->status);
	if (j->killed) {
		f->state = V4_FACT_TIMEOUT;
	} else if (f->exit_code == 127) {
		f->state = V4_FACT_NOTFOUND;
		f->reason = xstrndup(f->err, strcspn(f->err, "\n"));
	}
}

static int local_collect(void *conn, void *job, struct v4_fact *f)
{
	struct ljob *j = job;
	if (!j->reaped)
		return 0;
	fill(j, f);
	forget(conn, j);
	return 1;
}

/* Kills the job's process group and reaps it. */
static void local_kill(void *conn, void *job)
{
	struct ljob *j = job;
	kill(-j->pid, SIGKILL);
	for (int k = 0; k < 2; k++)
		if (j->s[k].fd >= 0) {
			close(j->s[k].fd);
			j->s[k].fd = -1;
		}
	if (!j->reaped && waitpid(j->pid, &j->status, 0) == j->pid)
		j->reaped = 1;
	j->reaped = 1;
	j->killed = 1;
	j->ms = now_ms() - j->t0;
}

/* Kills what still runs and frees the connection. */
static void local_close(void *conn)
{
	struct lconn *c = conn;
	while (c->jobs) {
		if (!c->jobs->reaped)
			local_kill(c, c->jobs);
		forget(c, c->jobs);
	}
	free(c);
}

const struct v4_transport v4_transport_local = {
	"local", local_open, local_start, local_pump, local_collect, local_kill, local_close, 0, 0,
};
