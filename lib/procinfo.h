/* /proc helpers: environ parsing, a process listing probe and its parser, and
 * finding vLLM processes and orphans.
 *
 * PROC_LIST_CMD is the probe. It needs only a POSIX sh, cat, head and tr, and
 * reads /proc directly (no ps). Per process (kernel threads, i.e. pid 2 and
 * children of pid 2, are left out) it prints one line:
 *
 *   P<TAB>pid<TAB>ppid<TAB>state<TAB>starttime<TAB>comm<TAB>args<LF>
 *
 *   pid, ppid   decimal, from the directory name and /proc/<pid>/stat field 4
 *   state       one letter, stat field 3 (R S D Z T ...)
 *   starttime   clock ticks after boot, stat field 22 (compare ages)
 *   comm        /proc/<pid>/comm (at most 64 bytes read; the kernel keeps 15)
 *   args        /proc/<pid>/cmdline, first 4096 bytes, every NUL turned into
 *               \x01 (so each argument ends in \x01); cut when it is exactly
 *               4096 bytes long
 * and, when the loop has finished, one line "END".
 *
 * Injection safety: the stat fields are read after the last ") " (comm may
 * hold blanks and parentheses); in comm and args every TAB, CR and LF is
 * turned into a blank before printing, so no process can forge a field or a
 * line; values are passed to printf only as %s arguments; globbing is off
 * while stat is split. A process that exits mid-loop is skipped or shows
 * empty fields. Output size is bounded by about 4.2 KB per process. */
#ifndef V4_PROCINFO_H
#define V4_PROCINFO_H

#include <stddef.h>

#define PROC_LIST_CMD                                                                       \
	"for d in /proc/[0-9]*; do set -f; p=${d#/proc/}; "                                 \
	"s=$(cat \"$d/stat\" 2>/dev/null) || continue; [ -n \"$s\" ] || continue; "        \
	"s=${s##*) }; set -- $s; [ \"$p\" = 2 ] || [ \"$2\" = 2 ] && continue; "           \
	"c=$(head -c 64 \"$d/comm\" 2>/dev/null | tr '\\t\\n\\r' '   '); c=${c% }; "       \
	"printf 'P\\t%s\\t%s\\t%s\\t%s\\t%s\\t' \"$p\" \"$2\" \"$1\" \"${20}\" \"$c\"; "    \
	"head -c 4096 \"$d/cmdline\" 2>/dev/null | tr '\\000\\t\\n\\r' '\\001   '; "       \
	"printf '\\n'; done; printf 'END\\n'"

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
