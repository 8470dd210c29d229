/* A stand-in for a running `vllm serve` on a test node, as the processes look
 * from the host: the server with the serve command as its command line and
 * the environment it was started with, one engine core per local DP rank and
 * one worker per TP rank under it, titled as vLLM titles them
 * ("VLLM::EngineCore_DP<r>", "VLLM::Worker_DP<r>_TP<t>"); engine cores and
 * workers inherit the server's environment, as vLLM's do. The workers are
 * entered in the fake npu-smi's process table (state file "procs", with the
 * HBM they hold added to hbm_used.N); the worker of NPU N binds itself to
 * the CPUs of state file worker_cpus.N (list format), as vllm-ascend's CPU
 * binding does with taskset. Nothing is served: the API is
 * tests/fakevllm.py's.
 *
 *   fake-vllm ENVFILE ARGVFILE   (working directory: the node's fake state;
 *                                 its vllm_hbm_mb: MB each worker holds)
 *
 * ENVFILE holds KEY=VALUE lines, ARGVFILE the command's words one per line.
 * The server re-executes itself with exactly those words and that environment
 * (and nothing else), so /proc/PID/cmdline and /proc/PID/environ read as a
 * real server's would. Built and started by tests/cluster/lib.sh. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORDS 512

static char **self_argv; /* the argument area, overwritten for titles */
static size_t self_argv_len;

/* Reads FILE's lines into a NULL-terminated vector (kept for the process). */
static char **read_lines(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		exit(1);
	}
	char **v = calloc(MAX_WORDS + 1, sizeof *v), *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	while (n < MAX_WORDS && (len = getline(&line, &cap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		v[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return v;
}

/* The value of option name in argv (--name V or --name=V), or def. */
static long opt_num(char **argv, const char *name, long def)
{
	size_t l = strlen(name);
	for (int i = 1; argv[i]; i++) {
		if (strcmp(argv[i], name) == 0 && argv[i + 1])
			return atol(argv[i + 1]);
		if (strncmp(argv[i], name, l) == 0 && argv[i][l] == '=')
			return atol(argv[i] + l + 1);
	}
	return def;
}

/* Sets the process title as setproctitle does: over the argument area. */
static void set_title(const char *title)
{
	memset(self_argv[0], 0, self_argv_len);
	snprintf(self_argv[0], self_argv_len, "%s", title);
	prctl(PR_SET_NAME, title, 0, 0, 0);
}

/* Appends a row to the fake npu-smi's process table and adds the HBM. */
static void hold_npu(int npu, pid_t pid, long mb)
{
	char name[64];
	FILE *f = fopen("procs", "a");
	if (f) {
		fprintf(f, "%d %d VLLM::Worker_DP %ld\n", npu, (int)pid, mb);
		fclose(f);
	}
	snprintf(name, sizeof name, "hbm_used.%d", npu);
	FILE *u = fopen(name, "r");
	long used = 0;
	if (u) {
		if (fscanf(u, "%ld", &used) != 1)
			used = 0;
		fclose(u);
	}
	if ((u = fopen(name, "w"))) {
		fprintf(u, "%ld\n", used + mb);
		fclose(u);
	}
}

/* Binds this process to the CPUs of state file worker_cpus.N ("0", "2-5,8"),
 * when there is one. */
static void bind_cpus(int npu)
{
	char name[64], line[256];
	cpu_set_t set;
	snprintf(name, sizeof name, "worker_cpus.%d", npu);
	FILE *f = fopen(name, "r");
	if (!f)
		return;
	CPU_ZERO(&set);
	if (fgets(line, sizeof line, f))
		for (char *p = line; *p >= '0' && *p <= '9';) {
			long a = strtol(p, &p, 10), b = a;
			if (*p == '-')
				b = strtol(p + 1, &p, 10);
			for (long c = a; c <= b && c < CPU_SETSIZE; c++)
				CPU_SET((int)c, &set);
			if (*p == ',')
				p++;
		}
	fclose(f);
	if (CPU_COUNT(&set) && sched_setaffinity(0, sizeof set, &set) != 0)
		perror(name);
}

/* A worker holding NPU npu: titled, bound, forever. */
static pid_t spawn_worker(const char *title, int npu)
{
	pid_t p = fork();
	if (p == 0) {
		bind_cpus(npu);
		set_title(title);
		for (;;)
			pause();
	}
	return p;
}

/* The engine core of DP rank r: TP workers under it, each holding an NPU. */
static void engine_core(long r, long tp, long mb)
{
	char title[64];
	snprintf(title, sizeof title, "VLLM::EngineCore_DP%ld", r);
	set_title(title);
	for (long t = 0; t < tp; t++) {
		snprintf(title, sizeof title, "VLLM::Worker_DP%ld_TP%ld", r, t);
		hold_npu((int)t, spawn_worker(title, (int)t), mb);
	}
	for (;;)
		pause();
}

/* The server: one engine core per local DP rank. */
static void __attribute__((noreturn)) server(char **argv, long mb)
{
	long rank = opt_num(argv, "--data-parallel-start-rank", 0);
	long local = opt_num(argv, "--data-parallel-size-local", 1);
	long tp = opt_num(argv, "--tensor-parallel-size", 1);
	prctl(PR_SET_NAME, "vllm", 0, 0, 0);
	/* docker's default hard limit in a container, and the soft limit vLLM's
	 * API server raises itself to (65535) */
	struct rlimit nofile = {65535, 1048576};
	setrlimit(RLIMIT_NOFILE, &nofile);
	for (long i = 0; i < local; i++)
		if (fork() == 0)
			engine_core(rank + i, tp / (local > 0 ? local : 1), mb);
	for (;;)
		pause();
}

/* The HBM each worker holds: the state file vllm_hbm_mb, else 57000 MB
 * (0.93 of a 910B2's 61 GiB, less the idle use). */
static long worker_mb(void)
{
	long mb = 57000;
	FILE *f = fopen("vllm_hbm_mb", "r");
	if (f) {
		if (fscanf(f, "%ld", &mb) != 1)
			mb = 57000;
		fclose(f);
	}
	return mb;
}

int main(int argc, char **argv)
{
	self_argv = argv;
	self_argv_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
	if (argc == 3 && strstr(argv[0], "fake-vllm")) {
		char **env = read_lines(argv[1]), **words = read_lines(argv[2]);
		if (!words[0]) {
			fputs("fake-vllm: empty command\n", stderr);
			return 1;
		}
		execve("/proc/self/exe", words, env);
		perror("fake-vllm: exec");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	server(argv, worker_mb());
}
