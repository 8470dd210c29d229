/* Test driver for the ssh transport: opens one node, runs probes concurrently
 * with a tiny runner loop (start, pump, kill on timeout, collect) and prints
 * one line per fact: "id state exit len reason". */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "transport.h"
#include "v4.h"

/* One probe in flight. */
struct slot {
	struct v4_probe p;
	void *job;
	double t0;
	int state; /* 0 waiting, 1 running, 2 done */
	struct v4_fact f;
};

/* Prints usage and exits. */
static void usage(void)
{
	fputs("usage: sshdrive [-u user] [-p port] [-i key] [-k known_hosts] [-A] [-F ssh_config]\n"
	      "                [-t probe_ms] [-c connect_ms] [-m max_output] [-j jobs] [-P]\n"
	      "                [-a auto|never|require]\n"
	      "                host id=cmd...\n",
	      stderr);
	exit(64);
}

/* Parses the options into o; returns the index of the host argument. */
static int parse_args(int argc, char **argv, struct v4_opts *o, int *print_out)
{
	int c;
	o->timeout_ms = 10000;
	o->connect_timeout_ms = 5000;
	o->node_jobs = 8;
	o->max_output = (size_t)4 << 20;
	while ((c = getopt(argc, argv, "u:p:i:k:AF:t:c:m:j:Pa:")) != -1) {
		switch (c) {
		case 'u': o->user = optarg; break;
		case 'p': o->port = atoi(optarg); break;
		case 'i': o->identity = optarg; break;
		case 'k': o->known_hosts = optarg; break;
		case 'A': o->accept_new_host_keys = 1; break;
		case 'F': o->ssh_config = optarg; break;
		case 't': o->timeout_ms = atoi(optarg); break;
		case 'c': o->connect_timeout_ms = atoi(optarg); break;
		case 'm': o->max_output = strtoul(optarg, NULL, 10); break;
		case 'j': o->node_jobs = atoi(optarg); break;
		case 'P': *print_out = 1; break;
		case 'a':
			if (v4_agent_mode_parse(optarg, &o->agent))
				usage();
			break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	return optind;
}

/* Starts slot s; a refusal becomes a FAILED fact at once. */
static void slot_start(const struct v4_transport *t, void *conn, struct slot *s, int timeout_ms)
{
	char *err = NULL;
	s->t0 = now_ms();
	s->job = t->start(conn, s->p.id, s->p.cmd, timeout_ms, &err);
	s->state = 1;
	if (!s->job) {
		s->f.state = V4_FACT_FAILED;
		s->f.reason = err;
		s->f.exit_code = -1;
		s->state = 2;
	}
}

/* Collects slot s, killing it first when past its timeout; 1 when done. */
static int slot_poll(const struct v4_transport *t, void *conn, struct slot *s, int timeout_ms)
{
	if (t->collect(conn, s->job, &s->f))
		return 1;
	if (timeout_ms > 0 && now_ms() - s->t0 > timeout_ms) {
		t->kill(conn, s->job);
		if (t->collect(conn, s->job, &s->f))
			return 1;
		fprintf(stderr, "sshdrive: collect after kill returned 0\n");
		exit(70);
	}
	return 0;
}

/* Runs all slots with at most o->node_jobs in flight. */
static void run(const struct v4_transport *t, void *conn, struct slot *sl, size_t n,
		const struct v4_opts *o)
{
	size_t started = 0, done = 0;
	int running = 0;
	while (done < n) {
		while (running < o->node_jobs && started < n) {
			slot_start(t, conn, &sl[started], o->timeout_ms);
			if (sl[started++].state == 2)
				done++;
			else
				running++;
		}
		t->pump(conn, 50);
		for (size_t i = 0; i < started; i++) {
			if (sl[i].state == 1 && slot_poll(t, conn, &sl[i], o->timeout_ms)) {
				sl[i].state = 2;
				running--;
				done++;
			}
		}
	}
}

/* Prints one fact line and, with print_out, its output with escapes. */
static void print_fact(const struct slot *s, int print_out)
{
	const struct v4_fact *f = &s->f;
	char st[16];
	snprintf(st, sizeof st, "%s", v4_fact_state_name(f->state));
	for (char *q = st; *q; q++)
		*q = (char)toupper((unsigned char)*q); /* the test's words: OK, NOTFOUND, ... */
	printf("%s %s %d %zu %s\n", s->p.id, st, f->exit_code,
	       f->out_len, f->reason ? f->reason : "-");
	if (f->truncated)
		printf("#trunc %s\n", s->p.id);
	if (!print_out || !f->out)
		return;
	printf("#out %s ", s->p.id);
	for (size_t i = 0; i < f->out_len && i < 400; i++) {
		unsigned char ch = (unsigned char)f->out[i];
		if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 32 || ch > 126)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('\n');
}

/* Fills slot i's probe from "id=cmd". */
static void slot_init(struct slot *s, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof s->p.id)
		usage();
	memcpy(s->p.id, arg, (size_t)(eq - arg));
	s->p.cmd = (char *)(eq + 1); /* argv outlives the probes */
	s->p.device = -1;
}

/* Opens the host, runs the probes, prints the facts. */
int main(int argc, char **argv)
{
	struct v4_opts o = {.agent = V4_AGENT_NEVER}; /* agentless unless -a (agent.t: agent mode) */
	int print_out = 0;
	int i = parse_args(argc, argv, &o, &print_out);
	const struct v4_transport *t = &v4_transport_ssh;
	struct v4_node node = {.name = argv[i], .host = argv[i], .rank = -1};
	size_t n = (size_t)(argc - i - 1);
	struct slot *sl = xcalloc(n ? n : 1, sizeof *sl);
	for (size_t k = 0; k < n; k++)
		slot_init(&sl[k], argv[i + 1 + (int)k]);
	char *err = NULL;
	double t0 = now_ms();
	void *conn = t->open(&node, &o, &err);
	if (!conn) {
		printf("open FAIL %.1f %s\n", now_ms() - t0, err);
		free(err);
		free(sl);
		return 2;
	}
	printf("open OK %.1f\n", node.connect_ms);
	printf("mode %s%s%s\n", v4_node_mode_name(node.mode), node.mode_why ? " " : "",
	       node.mode_why ? node.mode_why : "");
	double t1 = now_ms();
	run(t, conn, sl, n, &o);
	double t2 = now_ms();
	for (size_t k = 0; k < n; k++) {
		print_fact(&sl[k], print_out);
		v4_fact_free(&sl[k].f);
	}
	t->close(conn);
	free(node.mode_why);
	printf("# probes_ms %.1f total_ms %.1f\n", t2 - t1, now_ms() - t0);
	free(sl);
	return 0;
}
