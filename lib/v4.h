/* v4check core types: nodes, probes, facts, checks, results, transports. */
#ifndef V4_H
#define V4_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util.h"

#define V4_VERSION "0.1.0"
#define V4_SCHEMA 1

/* ---- result states and exit status ---- */

enum v4_status { V4_PASS, V4_SKIP, V4_WARN, V4_ERROR, V4_UNREACHABLE, V4_FAIL };

const char *v4_status_name(enum v4_status st);
int v4_status_parse(const char *name, enum v4_status *st);
/* Severity for worst-of: PASS = SKIP < WARN < ERROR = UNREACHABLE < FAIL. */
int v4_status_rank(enum v4_status st);
enum v4_status v4_worst(enum v4_status a, enum v4_status b);
/* 0 pass, 1 warn, 2 fail, 3 could not check. */
int v4_exit_status(enum v4_status worst);

enum { V4_EXIT_USAGE = 64, V4_EXIT_INTERNAL = 70 };

/* ---- probes and facts ---- */

/* Probe flags. */
#define V4_PROBE_RETRY_BUSY 1u /* rerun on "hccn_tool is busy, please try again." */
#define V4_PROBE_MUTATES 2u    /* changes the node (fix commands): never retried */
#define V4_PROBE_HTTP 4u       /* cmd is "GET /path": asked of the node's API by the
				* controller (libcurl); exit_code is the HTTP status */

/* One thing read from a node: a shell command built only from fixed text and
 * validated values (integers, checked names), never from probe output. */
struct v4_probe {
	char id[64];   /* stable, filename-safe: "npu-smi-info", "hccn-tls.3" */
	char cmd[768]; /* run by /bin/sh on the node */
	int device;    /* NPU whose hccn_tool calls are serialised, or -1 */
	unsigned flags;
};

struct v4_probes {
	struct v4_probe *v;
	size_t n, cap;
};

/* Adds a probe unless one with that id is already there. */
void v4_probe_add(struct v4_probes *ps, const char *id, int device, unsigned flags,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

enum v4_fact_state {
	V4_FACT_OK,       /* ran to completion; see exit_code */
	V4_FACT_TIMEOUT,  /* killed after the probe timeout */
	V4_FACT_NOTFOUND, /* the command does not exist on the node (exit 127) */
	V4_FACT_FAILED,   /* could not be run (channel, fork, replay file) */
	V4_FACT_SKIPPED   /* not run: node deadline passed */
};

/* What one probe gave. */
struct v4_fact {
	char *id, *cmd;
	char *out, *err;       /* NUL-terminated; may hold NULs inside up to *_len */
	size_t out_len, err_len;
	int exit_code;
	enum v4_fact_state state;
	char *reason;          /* why not OK, in words */
	double ms;
	double at0, at1;       /* controller's clock (epoch s) around the run; 0 unknown */
	int truncated;         /* output was cut at the size limit */
	int attempts;
};

const char *v4_fact_state_name(enum v4_fact_state st);
int v4_fact_state_parse(const char *name, enum v4_fact_state *st);
void v4_fact_free(struct v4_fact *f);
/* Sets state and reason of a fact that ran, from its exit status: 124/137
 * (remote timeout after timeout_s), 127 (not found: err's first line), OK. */
void v4_fact_judge_exit(struct v4_fact *f, int timeout_s);

/* ---- nodes ---- */

struct v4_node {
	/* inventory */
	char *name;    /* as reported */
	char *host;    /* to connect to */
	char *user;
	int port;
	int rank;      /* -1 when unknown */
	char *bond_ip; /* the node's bond1 address, or NULL */
	cJSON *labels;
	/* run */
	int unreachable;
	char *reason; /* why unreachable */
	struct v4_fact *facts;
	size_t nfacts, capfacts;
	double connect_ms;
};

/* The node's fact for probe id, or NULL when it was not probed. */
const struct v4_fact *v4_fact(const struct v4_node *n, const char *id);
/* The fact when it ran and exited 0 (or, with any_exit, ran at all); else NULL
 * and *why says why (caller frees *why). */
const struct v4_fact *v4_fact_ok(const struct v4_node *n, const char *id, int any_exit, char **why);
struct v4_fact *v4_node_add_fact(struct v4_node *n);
void v4_node_clear_facts(struct v4_node *n);
void v4_node_free(struct v4_node *n);

/* ---- configuration ---- */

struct v4_config {
	char *source; /* file name, or "(built-in)" */
	cJSON *json;  /* the whole document */
	struct v4_node *nodes;
	size_t nnodes;
};

/* Loads path, or the built-in reference deployment when path is NULL.
 * On error returns -1 and *err says file, line and what was expected. */
int v4_config_load(const char *path, struct v4_config *cfg, char **err);
void v4_config_free(struct v4_config *cfg);
/* Dotted-path lookups in the config ("deployment.container"). */
const char *v4_cfg_str(const struct v4_config *cfg, const char *path, const char *def);
double v4_cfg_num(const struct v4_config *cfg, const char *path, double def);
const cJSON *v4_cfg_get(const struct v4_config *cfg, const char *path);

/* ---- results ---- */

struct v4_result {
	char *check, *node;
	enum v4_status status;
	char *code;     /* stable finding code, e.g. TLS_INCONSISTENT; "OK" on pass */
	char *message;
	cJSON *evidence; /* owned; may be NULL */
};

struct v4_results {
	struct v4_result *v;
	size_t n, cap;
};

/* Appends a result; takes ownership of evidence. */
void v4_add(struct v4_results *r, const char *check, const char *node, enum v4_status st,
	    const char *code, cJSON *evidence, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
void v4_results_free(struct v4_results *r);

/* ---- checks ---- */

enum v4_fix_class { V4_FIX_NONE, V4_FIX_SAFE, V4_FIX_DISRUPTIVE };

struct v4_finding {
	const char *code;
	enum v4_status status;
	const char *text; /* what it means, for the catalogue */
};

struct v4_param {
	const char *name;
	double def;
	const char *text;
};

/* What an evaluation may read besides facts. Fixed at run start: evaluation
 * stays pure. */
struct v4_ctx {
	const struct v4_config *cfg;
	time_t now;
	int phase;  /* V4_PHASE_PRE (pre-deploy) or V4_PHASE_LIVE */
	int fixing; /* --fix was given: checks may probe what only a fix plan needs */
	const cJSON *baseline; /* --baseline: the snapshot drift compares with, or NULL */
};
enum { V4_PHASE_PRE, V4_PHASE_LIVE };

/* One command of a fix. */
struct v4_fix_cmd {
	char *node;
	char *cmd;
	char *why;
	enum v4_fix_class cls;
	char *refused; /* when set: shown in the plan, never run, and why */
};
struct v4_fixplan {
	struct v4_fix_cmd *v;
	size_t n, cap;
};
void v4_fix_add(struct v4_fixplan *p, const char *node, enum v4_fix_class cls, const char *why,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Records a fix that must not run (e.g. the node is serving), and why. */
void v4_fix_refuse(struct v4_fixplan *p, const char *node, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void v4_fixplan_free(struct v4_fixplan *p);

struct v4_check;
struct v4_check {
	const char *id;       /* stable, lower-case */
	const char *title;    /* one line for list */
	const char *explain;  /* symptom, cause and fix, in the operator's words */
	const char *probes_doc; /* the commands it runs on a node, for the catalogue */
	const char *fix_doc;    /* what --fix does, or NULL */
	const struct v4_finding *findings; /* terminated by {NULL} */
	const struct v4_param *params;     /* terminated by {NULL}; may be NULL */
	/* Adds the probes it needs, given what is known of the node so far (called
	 * again after each round, so probes may depend on earlier facts). */
	void (*probes)(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		       struct v4_probes *out);
	/* Judges all reachable nodes at once (cluster checks compare them). Pure. */
	void (*evaluate)(const struct v4_check *c, struct v4_node *const *nodes, size_t nn,
			 const struct v4_ctx *ctx, struct v4_results *out);
	/* Or, for checks that judge each node on its own: one node. Pure. */
	void (*evaluate_node)(const struct v4_check *c, const struct v4_node *n,
			      const struct v4_ctx *ctx, struct v4_results *out);
	/* Plans commands that repair what evaluate found, for one node. Pure. */
	void (*fix)(const struct v4_check *c, struct v4_node *const *nodes, size_t nn,
		    const struct v4_ctx *ctx, struct v4_fixplan *out);
	enum v4_fix_class fix_class;
};

extern const struct v4_check *const v4_checks[];
extern const size_t v4_ncheck;
const struct v4_check *v4_check_find(const char *id);

/* A check parameter: config "checks.<id>.<name>" or the default. */
double v4_param(const struct v4_ctx *ctx, const struct v4_check *c, const char *name);

/* Adds an ERROR result for node n saying why fact id is unusable. */
void v4_error_fact(struct v4_results *r, const struct v4_check *c, const struct v4_node *n,
		   const char *id, const char *why);

/* ---- transports ---- */

struct v4_opts;

/* A transport runs commands on one node. Jobs are started, then pumped until
 * done; the runner owns timeouts, retries and per-device ordering. */
struct v4_transport {
	const char *name;
	/* Opens the node; on failure returns NULL and sets *err (caller frees). */
	void *(*open)(struct v4_node *n, const struct v4_opts *o, char **err);
	/* Starts cmd (probe id: for messages and replay); returns a job, or NULL
	 * with *err set. timeout_ms 0: cmd bounds its own time (a batch). */
	void *(*start)(void *conn, const char *id, const char *cmd, int timeout_ms, char **err);
	/* Makes progress on every job of conn, waiting at most wait_ms. */
	void (*pump)(void *conn, int wait_ms);
	/* When job is finished, fills f (output, exit, state) and frees the job: 1.
	 * Else 0. */
	int (*collect)(void *conn, void *job, struct v4_fact *f);
	/* Stops job at once (timeout): kills its process group; frees nothing. */
	void (*kill)(void *conn, void *job);
	/* Closes the node's connection. A broken connection gives 1. */
	void (*close)(void *conn);
	/* 1: commands run on another machine: each costs a session channel and a
	 * shell there (the runner batches them, see batch.h), and the node's clock
	 * is not the controller's (facts carry the controller's time window). */
	int remote;
};

extern const struct v4_transport v4_transport_local;
extern const struct v4_transport v4_transport_replay;
extern const struct v4_transport v4_transport_ssh;

/* ---- options ---- */

enum v4_format { V4_FMT_TEXT, V4_FMT_JSON, V4_FMT_PROM, V4_FMT_NAGIOS, V4_FMT_JUNIT, V4_FMT_HTML };

struct v4_opts {
	const struct v4_transport *transport;
	const char *replay_dir;
	int timeout_ms;    /* per probe */
	int connect_timeout_ms;
	int deadline_ms;   /* whole run; 0 none */
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
	const char *html_file;    /* --html: the HTML page written atomically */
	const char *baseline;     /* --baseline: snapshot the drift check compares with */
};

void v4_opts_defaults(struct v4_opts *o);

#endif
