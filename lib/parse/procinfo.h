/* /proc helpers: environ parsing, a process listing probe and its parser, and
 * finding vLLM processes and orphans.
 *
 * PROC_LIST_CMD is the probe: one ps and one awk, whatever the number of
 * processes (a /proc walk in sh costs several forks per process: seconds on a
 * 192-core node). Per process (kernel threads, i.e. pid 2 and its children,
 * are left out when ps shows them as "[name]": in a process namespace pid 2
 * is an ordinary process) it prints one line:
 *
 *   P<TAB>pid<TAB>ppid<TAB>state<TAB>start<TAB>comm<TAB>args<LF>
 *
 *   pid, ppid   decimal
 *   state       one letter (R S D Z T ...)
 *   start       1000000000 - elapsed seconds: larger is newer (compare ages)
 *   comm        the base name of the first argument, at most 15 characters
 *               (as npu-smi shows it: "VLLM::Worker_DP")
 *   args        the command line as ps shows it, each blank-separated word
 *               ended by \x01
 * and, at the end, one line "END".
 *
 * Injection safety: ps prints control characters of command lines (newline,
 * TAB) as '?', so no process can forge a field or a line; awk turns blanks
 * into \x01 separators (arguments that hold blanks are split into words). */
#ifndef V4_PROCINFO_H
#define V4_PROCINFO_H

#include <stddef.h>

#define PROC_LIST_CMD                                                                        \
	"LC_ALL=C ps -e -ww -o pid= -o ppid= -o stat= -o etimes= -o args= | awk '($1==2||$2==2)&&$5~/^\\[/{next}" \
	" {p=$1;q=$2;s=substr($3,1,1);t=$4;$1=$2=$3=$4=\"\";sub(/^ +/,\"\");a=$0;c=a;"            \
	"sub(/ .*/,\"\",c);n=split(c,x,\"/\");gsub(/[ \\t]+/,\"\\001\",a);"                       \
	"printf \"P\\t%s\\t%s\\t%s\\t%d\\t%.15s\\t%s\\001\\n\",p,q,s,1000000000-t,x[n],a}'; echo END"

#define PROC_CMDLINE_MAX 4096        /* args longer than this were cut */
#define PROC_MAX_LISTING (32u << 20) /* larger listings are refused */
#define PROC_MAX_ENVIRON (4u << 20)  /* larger environ blocks are refused */

/* ---- /proc/<pid>/environ ---- */

struct proc_envvar {
	char *key, *value; /* value "***" for secrets (serve_secret_env) */
};

struct proc_env {
	struct proc_envvar *v;
	size_t n, cap;
	size_t nbad; /* entries without '=' or with an empty name */
};

/* Parses NUL-separated KEY=VALUE bytes; 0, or -1 with *err when too big. */
int proc_environ_parse(const char *buf, size_t len, struct proc_env *e, char **err);
/* The value of key (the first one when repeated, as getenv does), or NULL. */
const char *proc_env_get(const struct proc_env *e, const char *key);
/* Releases everything and zeroes e. */
void proc_env_free(struct proc_env *e);

/* ---- the process listing ---- */

enum proc_kind {
	PROC_OTHER,
	PROC_SERVE,  /* `vllm serve` / python -m vllm.entrypoints.openai.api_server (any rank) */
	PROC_API,    /* VLLM::APIServer* (an API server process under its own title) */
	PROC_ENGINE, /* EngineCore_DP*, VLLM::EngineCore* */
	PROC_WORKER, /* VLLM::Worker*, VLLMWorker*, VllmWorker*, Worker_DP* */
	PROC_VLLM    /* any other VLLM::* title (DPCoordinator ...) */
};

struct proc_entry {
	long pid, ppid;
	char state;
	unsigned long long start; /* clock ticks after boot */
	char *comm;
	char **argv;              /* arguments as read (secrets not masked: see proc_args) */
	size_t argc;
	int truncated;            /* args were cut at PROC_CMDLINE_MAX */
	enum proc_kind kind;
};

struct proc_list {
	struct proc_entry *v;
	size_t n, cap;
	size_t nbad;  /* lines not in the format */
	int complete; /* the END line was seen */
};

/* Parses PROC_LIST_CMD output; 0, or -1 with *err when NULL or too big. */
int proc_list_parse(const char *text, size_t len, struct proc_list *out, char **err);
/* Releases everything and zeroes l. */
void proc_list_free(struct proc_list *l);
/* The entry of pid, or NULL. */
const struct proc_entry *proc_lookup(const struct proc_list *l, long pid);
/* What kind of vLLM process e is, from its comm and arguments. */
enum proc_kind proc_classify(const struct proc_entry *e);
/* "serve", "api", "engine", "worker", "vllm", "other". */
const char *proc_kind_name(enum proc_kind k);
/* The arguments joined by blanks with secrets masked (for evidence). Caller frees. */
char *proc_args(const struct proc_entry *e);

/* A vLLM process and its API-server ancestry. */
struct vllm_proc {
	const struct proc_entry *e;
	long server_pid; /* nearest PROC_SERVE/PROC_API ancestor (itself for those), or -1 */
	int orphan;      /* engine/worker/other with no API-server ancestor */
};

/* Lists the vLLM processes of l in listing order; *out (caller frees) points
 * into l. Orphans are only trustworthy when l->complete. Returns the count. */
size_t proc_find_vllm(const struct proc_list *l, struct vllm_proc **out);

#endif
