/* ForceCommand of the test nodes' sshd: runs the session's command in a
 * private mount namespace where this node's fake host files (the state dir
 * $V4_FAKE_STATE) sit at the real paths: /etc/hccn.conf, /usr/local/Ascend,
 * /data. Network namespaces share the host's file system; this gives each
 * node its own. One process, no shell in between: sessions are cheap.
 * Built by tests/cluster/lib.sh (cluster_up). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

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

int main(void)
{
	const char *state = getenv("V4_FAKE_STATE");
	const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
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
	if (cmd && *cmd)
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else
		execl("/bin/sh", "sh", (char *)NULL);
	perror("node-shell: /bin/sh");
	return 127;
}
