/* ForceCommand of the test nodes' sshd: runs the session's command in a
 * private mount namespace where this node's fake host files (the state dir
 * $V4_FAKE_STATE) sit at the real paths: /etc/hccn.conf, /usr/local/Ascend,
 * /data, the NUMA layout under /sys/devices/system/node and
 * /sys/bus/pci/devices, the kernel's core_pattern and the journal folders
 * (/var/log/journal, /run/log/journal: bound only where the host has them;
 * none is created). Network namespaces share the host's file system; this gives each
 * node its own. When $V4_NODE_INIT names the pid file of the node's process
 * namespace (see --init), the command runs inside it with its own /proc, so
 * the node sees its own processes only (its fake vLLM among them), as a real
 * host does. One process and a child, no shell in between: sessions are
 * cheap. Built by tests/cluster/lib.sh (cluster_up).
 *
 *   node-shell --init PIDFILE   start a node's process namespace: its init
 *                               (pid 1 there, reaping orphans) runs until
 *                               killed; PIDFILE gets its pid as seen here */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

/* The node's core dump setup: its core_pattern over the kernel's (again after
 * a /proc of its own is mounted) and its journal folders over the host's. */
static void bind_cores(const char *state);

/* Binds state/sub over target when both exist and are the same kind. */
static void bind(const char *state, const char *sub, const char *target)
{
	char src[4096];
	struct stat a, b;
	snprintf(src, sizeof src, "%s/%s", state, sub);
	if (stat(src, &a) != 0 || stat(target, &b) != 0)
		return;
	if (S_ISDIR(a.st_mode) != S_ISDIR(b.st_mode))
		return;
	if (mount(src, target, NULL, MS_BIND, NULL) != 0)
		perror(target);
}

static void bind_cores(const char *state)
{
	bind(state, "proc/sys/kernel/core_pattern", "/proc/sys/kernel/core_pattern");
	bind(state, "var/log/journal", "/var/log/journal");
	bind(state, "run/log/journal", "/run/log/journal");
}

/* The namespace's init: reaps every orphan, forever. */
static int init_main(const char *pidfile)
{
	if (unshare(CLONE_NEWPID) != 0) {
		perror("node-shell: process namespace");
		return 1;
	}
	pid_t p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		setsid();
		for (;;)
			if (wait(NULL) < 0)
				pause();
	}
	FILE *f = fopen(pidfile, "w");
	if (!f || fprintf(f, "%d\n", (int)p) < 0 || fclose(f) != 0) {
		perror(pidfile);
		kill(p, SIGKILL);
		return 1;
	}
	return 0;
}

/* Joins the process namespace of the init in pidfile: 0, or -1. */
static int join_pidns(const char *pidfile)
{
	char path[64];
	int pid = 0;
	FILE *f = fopen(pidfile, "r");
	if (!f || fscanf(f, "%d", &pid) != 1) {
		perror(pidfile);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWPID) != 0) {
		perror(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* Passes a signal that ends the session on to the command. */
static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Runs the session's command (or a shell) in a child inside the namespace
 * and leaves with its status. */
static int run_in_pidns(const char *cmd)
{
	signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would reap the child unseen */
	child = fork();
	if (child < 0) {
		perror("node-shell: fork");
		return 1;
	}
	if (child == 0) {
		setsid(); /* as sshd makes the session: its own session and group */
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			perror("node-shell: /proc");
		bind_cores(getenv("V4_FAKE_STATE"));
		if (cmd && *cmd)
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		else
			execl("/bin/sh", "sh", (char *)NULL);
		perror("node-shell: /bin/sh");
		_exit(127);
	}
	signal(SIGHUP, forward);
	signal(SIGTERM, forward);
	signal(SIGINT, forward);
	int st = 0;
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(st)) { /* end as the command did, so sshd reports the signal */
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--init") == 0)
		return init_main(argv[2]);
	const char *state = getenv("V4_FAKE_STATE");
	const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
	const char *init = getenv("V4_NODE_INIT");
	if (!state || !*state) {
		fputs("node-shell: V4_FAKE_STATE is not set\n", stderr);
		return 1;
	}
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		perror("node-shell: private mount namespace");
		return 1;
	}
	bind(state, "etc/hccn.conf", "/etc/hccn.conf");
	bind(state, "host_root/usr/local/Ascend", "/usr/local/Ascend");
	bind(state, "data", "/data");
	bind(state, "sys/devices/system/node", "/sys/devices/system/node");
	bind(state, "sys/bus/pci/devices", "/sys/bus/pci/devices");
	bind_cores(state);
	if (init && *init)
		return join_pidns(init) == 0 ? run_in_pidns(cmd) : 1;
	if (cmd && *cmd)
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else
		execl("/bin/sh", "sh", (char *)NULL);
	perror("node-shell: /bin/sh");
	return 127;
}
