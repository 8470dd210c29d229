/* The check contract: nodes, probes, facts, config lookups, results, findings,
 * fix plans and the check descriptor. How probes are run (transports, options,
 * the runner) is in transport.h, opts.h and run.h. */
#ifndef V4_H
#define V4_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util.h"

#define V4_VERSION "0.1.0"
/* The JSON report's schema (schema/v4check.schema.json); 2 added started,
 * duration_s and controller. */
#define V4_SCHEMA 2

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
#define V4_PROBE_MUTATES 2u    /* changes the node (fix commands): never retried */
#define V4_PROBE_HTTP 4u       /* cmd is "GET /path": asked of the node's API by the
				* controller (libcurl); exit_code is the HTTP status */

struct v4_fact;
struct v4_node;

/* One thing read from a node: a shell command built only from fixed text and
 * validated values (integers, checked names), never from probe output. */
struct v4_probe {
	char id[64];   /* stable, filename-safe: "npu-smi-info", "hccn-tls.3" */
	char *cmd;     /* run by /bin/sh on the node (owned) */
	int device;    /* probes naming the same device run one at a time; -1 none */
	unsigned flags;
	const char *busy; /* static text: output holding it means "try again later"
			   * (the probe is rerun after a back-off); NULL never */
	/* After each probe round, cuts the fact's output (OK facts only) to what
	 * the checks read of it, so that a node's facts stay small; may read the
	 * node's other facts; must give the same output when run again on its
	 * own output. NULL: all of it is kept. */
	void (*reduce)(struct v4_fact *f, const struct v4_node *n);
};

struct v4_probes {
	struct v4_probe *v;
	size_t n, cap;
};

/* Adds a probe unless one with that id is already there; returns the one
 * with that id. */
struct v4_probe *v4_probe_add(struct v4_probes *ps, const char *id, int device, unsigned flags,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void v4_probes_free(struct v4_probes *ps);

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
	/* Packed (v4_node_pack_facts): cmd, out and err deflated together; the
	 * texts are NULL until v4_fact opens the fact, and v4_node_close_facts
	 * frees them again. */
	unsigned char *packed;
	size_t packed_len;
};

const char *v4_fact_state_name(enum v4_fact_state st);
int v4_fact_state_parse(const char *name, enum v4_fact_state *st);
void v4_fact_free(struct v4_fact *f);
/* Sets state and reason of a fact that ran, from its exit status: 124/137
 * (remote timeout after timeout_s; timeout_s 0: the command ran under no
 * remote timeout, so these are its own; a timeout sets exit_code -1: the
 * timer's status is not the probe's), 127 (not found: err's first line), OK. */
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
	size_t scripts; /* remote scripts (one session channel each) its probes took */
	int mode;       /* enum v4_node_mode: how its probes ran */
	char *mode_why; /* agentless under --agent auto: why not the agent (or NULL) */
};

/* How a node's probes ran: on this machine or from a capture (none), over
 * SSH as batches (agentless) or through `v4check agent` on the node. */
enum v4_node_mode { V4_MODE_NONE, V4_MODE_AGENTLESS, V4_MODE_AGENT };
/* "agent", "agentless", or NULL for V4_MODE_NONE. */
const char *v4_node_mode_name(int mode);

/* The node's fact for probe id, or NULL when it was not probed. */
const struct v4_fact *v4_fact(const struct v4_node *n, const char *id);
/* The fact when it ran and exited 0 (or, with any_exit, ran at all); else NULL
 * and *why says why (caller frees *why). */
const struct v4_fact *v4_fact_ok(const struct v4_node *n, const char *id, int any_exit, char **why);
struct v4_fact *v4_node_add_fact(struct v4_node *n);
/* The node's i-th fact, opened (i < n->nfacts). */
const struct v4_fact *v4_fact_at(const struct v4_node *n, size_t i);
/* Deflates the texts of the node's larger facts (a node whose probing is
 * over): a thousand nodes' facts then fit in a few MiB. v4_fact and
 * v4_fact_at open a packed fact; v4_node_close_facts frees what they opened. */
void v4_node_pack_facts(struct v4_node *n);
/* Opens f for good: its texts stay, its packed copy is dropped (before f is changed). */
void v4_fact_unpack(struct v4_fact *f);
void v4_node_close_facts(struct v4_node *n);
/* Bytes the node's facts hold now (texts, packed texts and the array). */
size_t v4_node_facts_bytes(const struct v4_node *n);
/* Bytes the packing dictionaries hold (one a kind of fact or evidence). */
size_t v4_pack_dict_bytes(void);
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
/* A number at path as an int clamped to [lo, hi] (never converted out of range). */
int v4_cfg_int(const struct v4_config *cfg, const char *path, int lo, int hi, int def);

/* Checks that every member of object o (at dotted path, "" for the top) is
 * one of the NULL-terminated allowed names; on an unknown one returns -1 and
 * *err names src, the key's path and the names allowed. */
int v4_config_keys_ok(const cJSON *o, const char *path, const char *const *allowed,
		      const char *src, char **err);

/* Config tools.path joined with ':' (caller frees); NULL when not set. */
char *v4_config_tool_path(const struct v4_config *cfg);

/* ---- results ---- */

struct v4_result {
	char *check, *node;
	enum v4_status status;
	char *code;     /* stable finding code, e.g. TLS_INCONSISTENT; "OK" on pass */
	char *message;
	cJSON *evidence; /* owned; may be NULL; NULL while packed: read it with v4_result_evidence */
	unsigned char *ev_packed; /* v4_results_pack: the evidence as deflated JSON text */
	size_t ev_packed_len;
};

struct v4_results {
	struct v4_result *v;
	size_t n, cap;
};
/* Packs the evidence of every result from first on (once their check has
 * judged: from then on it is read only). v4_result_evidence opens one (NULL:
 * none) until v4_result_close; the copy (caller deletes) and the JSON text
 * (caller frees) open nothing. */
void v4_results_pack(struct v4_results *r, size_t first);
const cJSON *v4_result_evidence(const struct v4_result *x);
void v4_result_close(const struct v4_result *x);
cJSON *v4_result_evidence_copy(const struct v4_result *x);
char *v4_result_evidence_text(const struct v4_result *x);

void v4_results_free(struct v4_results *r);

/* ---- checks ---- */

enum v4_fix_class { V4_FIX_NONE, V4_FIX_SAFE, V4_FIX_DISRUPTIVE };

/* One row of a check's finding table: the only place its status is written. */
struct v4_finding {
	const char *code;
	enum v4_status status;
	const char *text; /* what it means, for the catalogue */
};

/* Declares a check's findings once. L(F) lists rows F(CODE, STATUS, "text"),
 * STATUS one of PASS, WARN, FAIL, ERROR, SKIP. Gives an enum of the codes (a
 * check reports a finding by naming it) and the table `findings`. */
#define V4_FINDING_ENUM_(code, st, text) code,
#define V4_FINDING_ROW_(code, st, text) {#code, V4_##st, text},
#define V4_FINDINGS(L)                   \
	enum { L(V4_FINDING_ENUM_) };    \
	static const struct v4_finding findings[] = {L(V4_FINDING_ROW_){NULL, 0, NULL}}

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
	int tier;   /* --tier of the run (enum v4_tier); 0 not given (standard) */
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

/* Where an evaluation reports: the check, the node ("cluster" for a verdict
 * across nodes), the run's context and the result list. */
struct v4_rep {
	const struct v4_check *check;
	const char *node;
	const struct v4_ctx *ctx;
	struct v4_results *out;
};

/* How much a check costs, and so which --tier runs it: quick (a cron probe
 * every few minutes on a serving node), standard (the pre-deploy gate; also
 * runs quick), deep (seconds per node or touches the fabric; runs all). */
enum v4_tier { V4_TIER_QUICK = 1, V4_TIER_STANDARD, V4_TIER_DEEP };
const char *v4_tier_name(enum v4_tier t);
/* 0 with *t for "quick", "standard" or "deep"; -1 otherwise. */
int v4_tier_parse(const char *s, enum v4_tier *t);

struct v4_check {
	const char *id;       /* stable, lower-case */
	enum v4_tier tier;    /* the cheapest --tier that runs it */
	int cost_ms;          /* expected wall time on one node, its own probes (--budget) */
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
	/* Judges all reachable nodes at once (cluster checks compare them); h
	 * reports for node "cluster" (v4_rep_at gives one node's handle). Pure. */
	void (*evaluate)(const struct v4_rep *h, struct v4_node *const *nodes, size_t nn);
	/* Or, for checks that judge each node on its own: one node. Pure. */
	void (*evaluate_node)(const struct v4_rep *h, const struct v4_node *n);
	/* Plans commands that repair what evaluate found, for one node. Pure. */
	void (*fix)(const struct v4_check *c, struct v4_node *const *nodes, size_t nn,
		    const struct v4_ctx *ctx, struct v4_fixplan *out);
	enum v4_fix_class fix_class;
	/* Optional: the status the config gives result r of this check instead of
	 * its table's (drift.fields), and *why ("raised to FAIL by drift.fields");
	 * r->status to keep it. Applied after evaluation, before --skip and
	 * --warn-only; the message then names both statuses. */
	enum v4_status (*restate)(const struct v4_check *c, const struct v4_ctx *ctx,
				  const struct v4_result *r, const char **why);
};

/* A check parameter: config "checks.<id>.<name>" or the default. A name the
 * check does not declare is a programming error: aborts with a message. */
double v4_param(const struct v4_ctx *ctx, const struct v4_check *c, const char *name);

/* Checks the config's "checks" section: every checks.<id>.<name> a number
 * parameter that check declares. -1 and *err (file and key path) if not. */
int v4_config_check_params(const struct v4_config *cfg, const struct v4_check *const *checks,
			   size_t nc, char **err);

/* The same handle for node n (NULL: the cluster). */
struct v4_rep v4_rep_at(const struct v4_rep *h, const struct v4_node *n);
/* Reports finding (an entry of the check's table, by its V4_FINDINGS name):
 * code and status come from the table; takes ownership of evidence. An entry
 * the table does not have aborts with a message. */
void v4_say(const struct v4_rep *h, int finding, cJSON *evidence, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The check's PROBE_FAILED finding: "could not check: why". */
void v4_say_unchecked(const struct v4_rep *h, const char *why);
/* The table entry of code in check c, or NULL. */
const struct v4_finding *v4_finding_find(const struct v4_check *c, const char *code);

/* 1 when the NULL-terminated list names the check ("tls"), the finding
 * ("tls:TLS_MISMATCH") or, bare, the code ("TLS_MISMATCH"). */
int v4_names_match(char *const *list, const char *check, const char *code);
/* Checks a name the user gave: a check id, CHECK:CODE of a declared finding,
 * or (with codes) a bare code declared by exactly one check. -1 and *err
 * (caller frees) when it names nothing or is ambiguous. */
int v4_name_valid(const char *name, const struct v4_check *const *checks, size_t nc, int codes,
		  char **err);

#endif
