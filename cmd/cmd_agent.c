/* agent: v4check on a node, serving the controller over one SSH exec
 * channel. It says HELLO (protocol, version), then reads RUN and KILL frames
 * on stdin (agent.h) and runs each command itself: posix_spawn in a process
 * group of its own, the argv directly when the command is plain words, else
 * /bin/sh -c; stdin /dev/null; stdout and stderr kept up to the cap the
 * controller asks (at most V4_AGENT_MAX_OUTPUT each). Plain words may hold
 * single-quoted parts (`df -Pk '/data/m'`), taken as the shell takes them. A command past its
 * timeout, or named by KILL, has its whole group killed. Up to AG_RUNNING
 * run at once, the rest wait their turn; each ends in a RESULT frame as it
 * finishes. It runs only what the authenticated session sends, as an ssh
 * exec would. At EOF on stdin it finishes what it holds (every command is
 * bounded by its timeout) and exits 0 (1 after a malformed frame, which ends
 * its input); when the controller is gone (stdout broken) it kills
 * everything and exits 1. It judges nothing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "batch.h"
#include "cmd.h"

#define AG_RUNNING 16   /* commands at once */
#define AG_QUEUE 256    /* waiting beyond those */
#define AG_REAP_MS 5    /* output closed, exit not yet seen, no pidfd: look again */

extern char **environ;

/* One command the agent runs. */
struct child {
	uint32_t id;
	pid_t pid;
	int fd[2];         /* stdout, stderr; -1 closed */
	int pidfd;         /* readable once it has exited; -1 none (then polled) */
	struct sbuf b[2];
	uint32_t cap;
	int truncated, status, reaped;
	int ended;         /* 0 running, else enum v4_agent_state + 1 */
	double t0, deadline;
};

/* The agent's state. */
struct agent {
	struct child run[AG_RUNNING];
	size_t nrun;
	struct v4_agent_msg queue[AG_QUEUE];
	size_t nqueue;
	struct sbuf in, out;
	size_t out_off;    /* how much of out is written */
	int in_eof, broken;
	int bad;           /* a malformed frame came: input ends, exit 1 */
};

/* Sets fd non-blocking. */
static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* 1 when c may stand unquoted in a plain word. */
static int plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_./:=,@%+-", c));
}

/* Appends the word in w to v (of n), taking it over. */
static void add_word(char ***v, size_t *n, size_t *cap, struct sbuf *w)
{
	grow(v, cap, *n + 2, sizeof **v);
	(*v)[(*n)++] = w->s ? sbuf_take(w) : xstrdup("");
	(*v)[*n] = NULL;
}

/* Frees a NULL-terminated argv. */
static void free_argv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* cmd as an argv when a shell would read it as plain words: characters of
 * plain_char, spaces between words, and single-quoted parts (a quote holds
 * no quote; the shell takes it literally); the first word plain as the batch
 * runner has it (no assignment, no builtin). NULL when it needs a shell. */
static char **plain_argv(const char *cmd)
{
	size_t n = 0, cap = 0, w = strcspn(cmd, " ");
	char **v = NULL;
	struct sbuf word = {0};
	char *first = xstrndup(cmd, w);
	int ok = *first && v4_batch_plain_words(first), in = 0;
	free(first);
	for (const char *p = cmd; ok && *p; p++) {
		if (in) {
			if (*p == '\'')
				in = 0;
			else
				sbuf_add(&word, p, 1);
		} else if (*p == '\'') {
			in = 1;
			if (!word.s)
				sbuf_add(&word, "", 0); /* '' is a word, if empty */
		} else if (*p == ' ') {
			if (word.s)
				add_word(&v, &n, &cap, &word);
		} else if (plain_char(*p)) {
			sbuf_add(&word, p, 1);
		} else {
			ok = 0;
		}
	}
	if (ok && !in && word.s)
		add_word(&v, &n, &cap, &word);
	sbuf_free(&word);
	if (!ok || in || !n) {
		free_argv(v);
		return NULL;
	}
	return v;
}

/* Spawns path with argv (path searched in PATH when search) and the child's
 * pipes; 0 or an errno. */
static int spawn_argv(pid_t *pid, const char *path, char *const argv[], int search, const int out[2],
		      const int err[2])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	int rc = search ? posix_spawnp(pid, path, &fa, &at, argv, environ)
			: posix_spawn(pid, path, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Spawns cmd: its words directly when plain (plain_argv), else (or when the
 * word is no program: a builtin, or missing, which the shell then reports as
 * it does without the agent) under /bin/sh -c. Returns 0 or an errno. */
static int spawn_cmd(pid_t *pid, const char *cmd, const int out[2], const int err[2])
{
	char **argv = plain_argv(cmd);
	if (argv) {
		int rc = spawn_argv(pid, argv[0], argv, 1, out, err);
		free_argv(argv);
		if (rc != ENOENT && rc != EACCES)
			return rc;
	}
	char *const sh[] = {"sh", "-c", (char *)cmd, NULL}; /* "sh: ...", as a batch's shell says */
	return spawn_argv(pid, "/bin/sh", sh, 0, out, err);
}

/* A pidfd for pid (poll says when it exits), or -1 where the kernel has none. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
#else
	(void)pid;
	return -1;
#endif
}

/* Appends a RESULT for a command that could not be started. */
static void fail_result(struct agent *a, uint32_t id, const char *why)
{
	struct v4_agent_msg r = {.type = V4A_RESULT, .id = id, .state = V4A_FAILED, .exit_code = -1,
				 .reason = (char *)why};
	v4_agent_put(&a->out, &r);
}

/* Starts the command of RUN frame m in a free slot. */
static void start(struct agent *a, const struct v4_agent_msg *m)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC)) {
		fail_result(a, m->id, strerror(errno));
		return;
	}
	if (pipe2(err, O_CLOEXEC)) {
		fail_result(a, m->id, strerror(errno));
		close(out[0]);
		close(out[1]);
		return;
	}
	pid_t pid;
	int rc = spawn_cmd(&pid, m->cmd, out, err);
	close(out[1]);
	close(err[1]);
	if (rc) {
		char *why = xasprintf("cannot start: %s", strerror(rc));
		fail_result(a, m->id, why);
		free(why);
		close(out[0]);
		close(err[0]);
		return;
	}
	struct child *c = &a->run[a->nrun++];
	memset(c, 0, sizeof *c);
	c->id = m->id;
	c->pid = pid;
	c->fd[0] = out[0];
	c->fd[1] = err[0];
	c->pidfd = open_pidfd(pid);
	nonblock(out[0]);
	nonblock(err[0]);
	c->cap = m->cap && m->cap < V4_AGENT_MAX_OUTPUT ? m->cap : V4_AGENT_MAX_OUTPUT;
	c->t0 = now_ms();
	c->deadline = m->timeout_ms ? c->t0 + m->timeout_ms : 0;
}

/* Closes c's pidfd. */
static void close_pidfd(struct child *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

/* Kills c's process group, closes its pipes and reaps it, as ending state st. */
static void stop(struct child *c, enum v4_agent_state st)
{
	if (c->ended)
		return;
	if (!c->reaped) {
		kill(-c->pid, SIGKILL);
		if (waitpid(c->pid, &c->status, 0) == c->pid)
			c->reaped = 1;
	}
	for (int k = 0; k < 2; k++)
		if (c->fd[k] >= 0) {
			close(c->fd[k]);
			c->fd[k] = -1;
		}
	close_pidfd(c);
	c->reaped = 1;
	c->ended = (int)st + 1;
}

/* Handles one frame from the controller. */
static void handle(struct agent *a, struct v4_agent_msg *m)
{
	if (m->type == V4A_KILL) {
		for (size_t i = 0; i < a->nrun; i++)
			if (a->run[i].id == m->id)
				stop(&a->run[i], V4A_KILLED);
		for (size_t i = 0; i < a->nqueue; i++)
			if (a->queue[i].id == m->id) {
				fail_result(a, m->id, "killed before it started");
				v4_agent_msg_free(&a->queue[i]);
				a->queue[i] = a->queue[--a->nqueue];
				break;
			}
		v4_agent_msg_free(m);
	} else if (m->type == V4A_RUN && a->nrun < AG_RUNNING && !a->nqueue) {
		start(a, m);
		v4_agent_msg_free(m);
	} else if (m->type == V4A_RUN && a->nqueue < AG_QUEUE) {
		a->queue[a->nqueue++] = *m; /* taken over */
	} else {
		if (m->type == V4A_RUN)
			fail_result(a, m->id, "agent queue full");
		v4_agent_msg_free(m);
	}
}

/* Reads stdin and handles every whole frame; a malformed one ends input. */
static void read_input(struct agent *a)
{
	char buf[65536];
	ssize_t r = read(0, buf, sizeof buf);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0)
		a->in_eof = 1;
	else
		sbuf_add(&a->in, buf, (size_t)r);
	size_t off = 0;
	while (off < a->in.len) {
		struct v4_agent_msg m;
		char *err = NULL;
		long n = v4_agent_get(a->in.s + off, a->in.len - off, a->in_eof, &m, &err);
		if (n < 0) {
			fprintf(stderr, "v4check agent: %s\n", err);
			free(err);
			a->in_eof = a->bad = 1;
			off = a->in.len;
			break;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		handle(a, &m);
	}
	if (off) {
		memmove(a->in.s, a->in.s + off, a->in.len - off);
		a->in.len -= off;
	}
}

/* Reads what one of c's pipes holds, up to the cap. */
static void drain(struct child *c, int k)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(c->fd[k], buf, sizeof buf);
		if (r > 0) {
			size_t room = c->b[k].len < c->cap ? c->cap - c->b[k].len : 0;
			size_t keep = (size_t)r < room ? (size_t)r : room;
			c->truncated |= keep < (size_t)r;
			sbuf_add(&c->b[k], buf, keep);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		close(c->fd[k]);
		c->fd[k] = -1;
		return;
	}
}

/* Notes c's exit when its output is closed and it has exited. */
static void try_reap(struct child *c)
{
	if (c->ended || c->fd[0] >= 0 || c->fd[1] >= 0)
		return;
	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
		c->reaped = 1;
		c->ended = V4A_EXITED + 1;
		close_pidfd(c);
	}
}

/* Appends c's RESULT and frees its buffers. */
static void result(struct agent *a, struct child *c)
{
	struct v4_agent_msg r = {.type = V4A_RESULT, .id = c->id, .state = c->ended - 1};
	r.exit_code = WIFEXITED(c->status) ? WEXITSTATUS(c->status)
		    : WIFSIGNALED(c->status) ? 128 + WTERMSIG(c->status) : -1;
	if (r.state != V4A_EXITED)
		r.exit_code = -1;
	r.truncated = c->truncated;
	double ms = now_ms() - c->t0;
	r.ms = ms < 0 ? 0 : (uint32_t)ms;
	r.out = c->b[0].s ? c->b[0].s : "";
	r.out_len = c->b[0].len;
	r.err = c->b[1].s ? c->b[1].s : "";
	r.err_len = c->b[1].len;
	v4_agent_put(&a->out, &r);
	sbuf_free(&c->b[0]);
	sbuf_free(&c->b[1]);
}

/* Sends the results of ended commands and starts waiting ones in their slots. */
static void settle(struct agent *a)
{
	for (size_t i = 0; i < a->nrun;) {
		struct child *c = &a->run[i];
		if (!c->ended) {
			i++;
			continue;
		}
		result(a, c);
		a->run[i] = a->run[--a->nrun];
	}
	while (a->nqueue && a->nrun < AG_RUNNING) {
		struct v4_agent_msg m = a->queue[0];
		memmove(a->queue, a->queue + 1, (a->nqueue - 1) * sizeof *a->queue);
		a->nqueue--;
		start(a, &m);
		v4_agent_msg_free(&m);
	}
}

/* Writes what stdout takes of the pending frames. */
static void write_output(struct agent *a)
{
	while (a->out_off < a->out.len) {
		ssize_t w = write(1, a->out.s + a->out_off, a->out.len - a->out_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			a->broken = 1;
			return;
		}
		a->out_off += (size_t)w;
	}
	a->out.len = a->out_off = 0;
}

/* How long poll may wait: until the next timeout; briefly while an exit is
 * awaited; -1 without either. */
static int wait_ms(const struct agent *a)
{
	double w = -1, now = now_ms();
	for (size_t i = 0; i < a->nrun; i++) {
		const struct child *c = &a->run[i];
		int waiting = c->fd[0] < 0 && c->fd[1] < 0 && c->pidfd < 0;
		double d = waiting ? AG_REAP_MS : c->deadline > 0 ? c->deadline - now : -1;
		if (d >= 0 && (w < 0 || d < w))
			w = d;
	}
	return w < 0 ? -1 : w < 1 ? 1 : (int)w + 1;
}

/* One turn: wait for input, output room or a child, then act on it. */
static void turn(struct agent *a)
{
	struct pollfd p[2 + 3 * AG_RUNNING];
	struct child *who[2 + 3 * AG_RUNNING];
	int kind[2 + 3 * AG_RUNNING];
	nfds_t n = 0;
	if (!a->in_eof && a->nqueue < AG_QUEUE)
		p[n++] = (struct pollfd){0, POLLIN, 0}, who[n - 1] = NULL, kind[n - 1] = -1;
	if (a->out_off < a->out.len)
		p[n++] = (struct pollfd){1, POLLOUT, 0}, who[n - 1] = NULL, kind[n - 1] = -2;
	for (size_t i = 0; i < a->nrun; i++) {
		struct child *c = &a->run[i];
		for (int k = 0; k < 2; k++)
			if (c->fd[k] >= 0)
				p[n++] = (struct pollfd){c->fd[k], POLLIN, 0}, who[n - 1] = c, kind[n - 1] = k;
		if (c->pidfd >= 0 && c->fd[0] < 0 && c->fd[1] < 0) /* its exit, once its output is in */
			p[n++] = (struct pollfd){c->pidfd, POLLIN, 0}, who[n - 1] = c, kind[n - 1] = 2;
	}
	if (poll(p, n, wait_ms(a)) < 0 && errno != EINTR) {
		a->broken = 1;
		return;
	}
	for (nfds_t i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (kind[i] == -1)
			read_input(a);
		else if (kind[i] == -2)
			write_output(a);
		else if (kind[i] < 2 && who[i]->fd[kind[i]] >= 0)
			drain(who[i], kind[i]);
	}
	double now = now_ms();
	for (size_t i = 0; i < a->nrun; i++) {
		try_reap(&a->run[i]);
		if (!a->run[i].ended && a->run[i].deadline > 0 && now >= a->run[i].deadline)
			stop(&a->run[i], V4A_TIMEOUT);
	}
	settle(a);
	write_output(a);
}

/* Serves the controller until EOF and the last result; the exit status. */
static int serve(void)
{
	static struct agent a;
	signal(SIGPIPE, SIG_IGN);
	nonblock(0);
	nonblock(1);
	struct v4_agent_msg hello = {.type = V4A_HELLO, .version = V4_VERSION};
	v4_agent_put(&a.out, &hello);
	write_output(&a);
	while (!a.broken && !(a.in_eof && !a.nrun && !a.nqueue && a.out_off >= a.out.len))
		turn(&a);
	for (size_t i = 0; i < a.nrun; i++) {
		stop(&a.run[i], V4A_KILLED);
		sbuf_free(&a.run[i].b[0]);
		sbuf_free(&a.run[i].b[1]);
	}
	for (size_t i = 0; i < a.nqueue; i++)
		v4_agent_msg_free(&a.queue[i]);
	sbuf_free(&a.in);
	sbuf_free(&a.out);
	return a.broken || a.bad ? 1 : 0;
}

int v4_agent_main(int argc, char **argv)
{
	int protocol = V4_AGENT_PROTOCOL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--protocol") && i + 1 < argc)
			protocol = atoi(argv[++i]);
		else
			return usage_error("agent takes only --protocol N (it is started by the controller)");
	}
	if (protocol != V4_AGENT_PROTOCOL) {
		/* say who we are, so that the controller falls back, and serve nothing */
		struct sbuf b = {0};
		struct v4_agent_msg hello = {.type = V4A_HELLO, .version = V4_VERSION};
		v4_agent_put(&b, &hello);
		ssize_t w = write(1, b.s, b.len);
		sbuf_free(&b);
		return w < 0 ? 1 : 2;
	}
	return serve();
}

/* The agent from the command table (`v4check [OPTIONS] agent`). */
static int run_agent(struct v4_cli *cli)
{
	if (cli->nargs)
		return usage_error("agent takes only --protocol N (it is started by the controller)");
	return serve();
}

const struct v4_cmd v4_cmd_agent = {"agent", "[--protocol N]",
				    "serve the controller's probes on this node (over SSH)", run_agent};
