/* The options of a run, as the command line and config set them. */
#ifndef V4_OPTS_H
#define V4_OPTS_H

#include <stddef.h>

struct v4_transport;

enum v4_format { V4_FMT_TEXT, V4_FMT_JSON, V4_FMT_PROM, V4_FMT_NAGIOS, V4_FMT_JUNIT };

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
	const char *user;
	int port;
	const char *identity;
	const char *known_hosts;
	int accept_new_host_keys;
	const char *ssh_config;
	const char *fix_log;
	int phase;
	int facts;         /* -o json: include every node's raw facts (for merge) */
	/* API and monitoring */
	const char *api_url;      /* --api-url: overrides deployment.api_url */
	const char *api_key_file; /* --api-key-file: overrides api.key_file */
	const char *state_file;   /* --state: changes since the last run */
	const char *textfile;     /* --textfile: Prometheus text written atomically */
};

void v4_opts_defaults(struct v4_opts *o);

#endif
