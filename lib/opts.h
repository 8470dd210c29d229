/* The options of a run, as the command line and config set them. */
#ifndef V4_OPTS_H
#define V4_OPTS_H

#include <stddef.h>

struct v4_transport;

enum v4_format { V4_FMT_TEXT, V4_FMT_JSON, V4_FMT_PROM, V4_FMT_NAGIOS, V4_FMT_JUNIT, V4_FMT_HTML };

struct v4_opts {
	const struct v4_transport *transport;
	const char *replay_dir;
	int timeout_ms;    /* per probe */
	int connect_timeout_ms;
	int deadline_ms;   /* whole run; 0 none */
	int tier;          /* --tier: enum v4_tier (checks of that tier and cheaper) */
	int budget_ms;     /* --budget: plan the checks that fit; 0 none */
	int fanout;        /* nodes in flight */
	int fix_fanout;
	int node_jobs;     /* probes in flight per node */
	size_t max_output; /* bytes kept per probe stream */
	int fix, dry_run, yes;
	int verbose, quiet;
	enum v4_format format;
	int color;
	char **skip;       /* NULL-terminated; check ids */
	char **only;       /* NULL-terminated; check ids to run (NULL: all) */
	char **warn_only;  /* check ids or finding codes demoted to WARN */
	/* ssh */
	const char *user;  /* -l: beats ~/.ssh/config */
	int port;          /* -p: likewise */
	const char *cfg_user; /* config ssh.user: only where ~/.ssh/config names none */
	int cfg_port;         /* config ssh.port: likewise */
	const char *identity;
	const char *known_hosts;
	int accept_new_host_keys;
	const char *ssh_config;
	int agent;            /* --agent / ssh.agent: enum v4_agent_mode; -1 unset (auto) */
	const char *fix_log;
	int phase;
	int facts;         /* -o json: include every node's raw facts (for merge) */
	/* API and monitoring */
	const char *api_url;      /* --api-url: overrides deployment.api_url */
	const char *api_key_file; /* --api-key-file: overrides api.key_file */
	const char *state_file;   /* --state: changes since the last run */
	const char *textfile;     /* --textfile: Prometheus text written atomically */
	int junit_warn_syserr;    /* --junit-warn=system-err: WARN passes, in <system-err> */
	const char *tool_path;    /* dirs (':') searched after PATH (config tools.path) */
	const char *html_file;    /* --html: the HTML page written atomically */
	const char *baseline;     /* --baseline: snapshot the drift check compares with */
};

/* Whether the SSH transport runs `v4check agent` on a node (transport/agent.h):
 * auto where it answers with this version, else agentless; never; require
 * (a node without it is UNREACHABLE). */
enum v4_agent_mode { V4_AGENT_AUTO, V4_AGENT_NEVER, V4_AGENT_REQUIRE };
/* Parses auto|never|require into *mode (may be NULL); -1 when it is none. */
int v4_agent_mode_parse(const char *s, int *mode);

void v4_opts_defaults(struct v4_opts *o);

/* Where the probes look for tools after the PATH they inherit (config
 * tools.path): the places the Ascend driver installs them. */
#define V4_TOOL_PATH_DEFAULT \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/usr/local/Ascend/driver/tools:/usr/local/dcmi"

#endif
