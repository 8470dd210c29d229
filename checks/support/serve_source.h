/* Where a node's `vllm serve` command comes from, for every serve check.
 *
 * From the running vLLM when there is one: the process listing
 * (PROC_LIST_CMD, probe "proc-list") names the API-server process (the
 * top-most `vllm serve` / api_server process) and its engine cores and
 * workers; a later round reads "cat /proc/PID/cmdline" (probe
 * "serve-cmdline.PID") for the server and "cat /proc/PID/environ"
 * ("serve-environ.PID") for the server, its EngineCore_DP* and its first
 * workers. PIDs come from the parsed listing and are checked integers.
 *
 * Else from the config: the node's own nodes[].serve_command when it has one
 * (a per-node variant: a node started differently, or a test injecting a
 * fault on one rank), else deployment.serve_command; evaluated for the node's
 * rank (RANK=n->rank) by serve_parse, its environment the script's exports
 * over the container's Config.Env (docker inspect, probe "docker-inspect":
 * the image's ENV and docker run's -e), which is what a process the script
 * starts in the container gets. Neither: the checks SKIP.
 *
 * The API key is never copied into evidence or messages: the model keeps it
 * masked in opts/env, and serve_evidence renders with serve_render. */
#ifndef V4_SERVE_SOURCE_H
#define V4_SERVE_SOURCE_H

#include "common.h"
#include "procinfo.h"
#include "serve.h"
#include "v4.h"

#define P_SERVE_PS P_PROCS
#define P_SERVE_INSPECT "docker-inspect" /* the container check's probe, same command */
#define SERVE_NONE 1           /* node_serve: no serve command anywhere */
#define SERVE_MAX_ENV_PROCS 12 /* engine cores and workers whose environ is read */

/* One running vLLM process whose environment was read. */
struct serve_proc {
	long pid;
	enum proc_kind kind; /* PROC_SERVE/PROC_API, PROC_ENGINE, PROC_WORKER */
	char *title;         /* comm, e.g. "VLLM::EngineCor" */
	struct proc_env env; /* secrets masked */
	int env_ok;
	char *why; /* why the environ could not be read */
};

struct serve_procs {
	struct serve_proc *v;
	size_t n;
};

/* Adds the probes of the serve command's source (listing, then /proc reads). */
void serve_probes(const struct v4_node *n, const struct v4_ctx *ctx, struct v4_probes *ps);

/* The node's serve command: from the running API server (*from_process = 1,
 * env = the process environment, secrets masked) or from the config
 * (*from_process = 0, env = the script's exports). Returns 0; SERVE_NONE when
 * there is none (no process, no deployment.serve_command), *why saying so; -1
 * with *why when it cannot be read. Caller serve_free()s out and frees *why. */
int node_serve(const struct v4_node *n, const struct v4_ctx *ctx, struct serve_cmd *out,
	       int *from_process, char **why);

/* The pid of the running API server (the listing's top-most `vllm serve`),
 * 0 when none runs; 0, or -1 with *why (caller frees) when the listing is
 * unusable. */
int serve_server_pid(const struct v4_node *n, long *pid, char **why);

/* The environments of the running vLLM processes (server first, then engine
 * cores and workers); 0, or -1 with *why when no vLLM runs or the listing is
 * unusable. Caller serve_procs_free()s. */
int node_serve_procs(const struct v4_node *n, struct serve_procs *out, char **why);
void serve_procs_free(struct serve_procs *p);

/* Reads node n's serve command for the check of handle h; when there is none
 * reports NO_SERVE_COMMAND or SERVE_UNREADABLE (rows of SERVE_FINDINGS in the
 * check's table) through h and returns -1. */
int serve_for_check(const struct v4_rep *h, const struct v4_node *n, struct serve_cmd *cmd,
		    int *from_process);

/* Evidence object with "source" (process or config) and the masked command. */
cJSON *serve_evidence(const struct serve_cmd *cmd, int from_process);

/* An environment value: the process's when running, else the command's
 * exports over the container's Config.Env. */
const char *serve_env(const struct serve_cmd *cmd, const char *name);

/* Truth of a JSON value as Python would see it (strings: non-empty). */
int json_truthy(const cJSON *v);
/* The dotted path ("scheduler_config.enable_balance_scheduling") in o, or NULL. */
const cJSON *json_path(const cJSON *o, const char *path);

/* Returns *p and sets it to NULL (hands evidence to the first result). */
cJSON *take_json(cJSON **p);
/* The number option name gives (any spelling), else def; -1 when not a number. */
int serve_num_or(const struct serve_cmd *c, const char *name, double def, double *out);

/* Option name as a JSON object: 1 with *out (caller deletes), 0 when the
 * option is absent, -1 with *err when it is not a JSON object. */
int serve_json_opt(const struct serve_cmd *c, const char *name, cJSON **out, char **err);
/* Speculative tokens per step from --speculative-config (0 without). */
int serve_spec_tokens(const struct serve_cmd *c);

/* Arithmetic without libm (the test link line has no -lm). */
double d_max(double a, double b);
double d_min(double a, double b);
double d_floor(double x);
double d_ceil(double x);
double d_round(double x);
double d_abs(double x);

/* The finding rows every serve check lists: SERVE_FINDINGS(F) inside its
 * FINDINGS(F) list (serve_for_check reports them by name). */
#define SERVE_FINDINGS(F)                                                                    \
	F(NO_SERVE_COMMAND, SKIP, "no running vLLM and no deployment.serve_command")             \
	F(SERVE_UNREADABLE, ERROR, "the serve command could not be read or parsed")

#define SERVE_PROBES_DOC                                                                     \
	"the /proc process listing (pid, ppid, state, start, comm, cmdline of each process); "  \
	"for a running vLLM: cat /proc/PID/cmdline of the API server and cat /proc/PID/environ " \
	"of the server, its EngineCore_DP* and first workers (PIDs parsed from the listing)"

#endif
