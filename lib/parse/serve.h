/* The `vllm serve` command model: parsed from an operator's shell text (per
 * rank) or from /proc/<pid>/cmdline, with option lookup and secret masking.
 *
 * Shell subset understood by serve_parse (no shell is ever run):
 *   - words with '...', "...", backslash escapes, backslash-newline
 *     continuations, '#' comments, ';' '&' '&&' '||' '|' separators,
 *     redirections (> >> < 2>&1 and their target are dropped);
 *   - $VAR, ${VAR}, ${VAR:-word}, ${VAR-word} from the caller's table plus the
 *     script's own assignments (unset names expand to "" and are listed in
 *     serve_cmd.unset);
 *   - the deployment idiom $([ $RANK != 0 ] && echo --headless), also with
 *     "$RANK" != "0", ${RANK}, -ne, or `test`: evaluated, never executed;
 *   - any other $(...), $((...)), backtick, heredoc, ( ) subshell, or $1/$?
 *     style parameter is an error;
 *   - placeholders such as <本机bond1> or <key> inside a word are kept
 *     literally (not taken as redirections) and listed in serve_cmd.placeholders;
 *   - `export A=B C=D`, `export A`, `A=B` lines and `A=B vllm serve` prefixes;
 *     the wrappers nohup, exec, env and time before vllm are skipped.
 * Exactly one vllm command must be present: `vllm serve MODEL ...`,
 * `python3 [-u ...] -m vllm.entrypoints.openai.api_server ...`, or
 * `python3 /path/vllm serve ...` (the /proc form). */
#ifndef V4_SERVE_H
#define V4_SERVE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define SERVE_MAX_TEXT (1u << 20) /* longest command text or cmdline accepted */
#define SERVE_MASK "***"

/* One variable for $VAR expansion ("RANK", "2"). */
struct serve_var {
	const char *name, *value;
};

/* One option as given, name normalised ("--max-model-len"). */
struct serve_opt {
	char *name;
	char *value;  /* NULL for a flag; SERVE_MASK for a secret */
	int guessed;  /* not in the flag table, but no value followed: taken as a flag */
};

/* NAME=value as the vllm process gets it (value masked for secrets). */
struct serve_env {
	char *name, *value;
};

struct serve_cmd {
	char *program;           /* "vllm serve" or "api_server" */
	char *model;             /* first positional after serve, else --model; or NULL */
	struct serve_opt *opts;  /* in command order; duplicates kept */
	size_t nopts, capopts;
	char **args;             /* positionals other than the model */
	size_t nargs, capargs;
	struct serve_env *env;   /* exports and prefix assignments before vllm */
	size_t nenv, capenv;
	char **unset;            /* variables expanded while unset (deduplicated) */
	size_t nunset, capunset;
	char **placeholders;     /* "<...>" words left in the text */
	size_t nplaceholders, capplaceholders;
	char *api_key;           /* the real key (--api-key, else VLLM_API_KEY); never render it */
};

/* Parses shell text holding one vllm command; 0, or -1 with *err (caller frees). */
int serve_parse(const char *text, const struct serve_var *vars, size_t nvars,
		struct serve_cmd *out, char **err);
/* Parses /proc/<pid>/cmdline bytes (NUL-separated); 0, or -1 with *err. */
int serve_from_cmdline(const char *buf, size_t len, struct serve_cmd *out, char **err);
/* Builds the model from an argv vector; 0, or -1 with *err. */
int serve_from_argv(char *const *argv, size_t argc, struct serve_cmd *out, char **err);
/* Releases everything the model owns and zeroes it. */
void serve_free(struct serve_cmd *c);

/* "--max_model_len" -> "--max-model-len"; short aliases ("-tp") -> long. Caller frees. */
char *serve_normalise(const char *name);
/* 1 when the (normalised) option takes no value in vLLM. */
int serve_is_flag(const char *name);

/* The last value of option name (any spelling), or NULL when absent or a flag.
 * Secrets give SERVE_MASK. */
const char *serve_get(const struct serve_cmd *c, const char *name);
/* 1 when option name is present (flag or with value). */
int serve_has(const struct serve_cmd *c, const char *name);
/* How many times option name is given. */
size_t serve_count(const struct serve_cmd *c, const char *name);
/* 1 and *out when the last value is a finite number; 0 when absent; -1 when not a number. */
int serve_num(const struct serve_cmd *c, const char *name, double *out);
/* The last value parsed as a JSON object (caller cJSON_Delete()s), or NULL and
 * *err naming the option and the error position. */
cJSON *serve_json(const struct serve_cmd *c, const char *name, char **err);
/* Names given more than once, in first-seen order; *names (caller frees the
 * array only) points into c. Returns the count. */
size_t serve_dups(const struct serve_cmd *c, const char ***names);
/* The environment value the vllm process gets from the script, or NULL. */
const char *serve_getenv(const struct serve_cmd *c, const char *name);
/* The API key in force (CLI flag wins over VLLM_API_KEY), or NULL. */
const char *serve_api_key(const struct serve_cmd *c);

/* One line: env assignments, program, model, options; secrets as SERVE_MASK. Caller frees. */
char *serve_render(const struct serve_cmd *c);
/* 1 when an environment variable name holds a secret (VLLM_API_KEY, *TOKEN*...). */
int serve_secret_env(const char *name);
/* Copy of text with --api-key X, --api-key=X, VLLM_API_KEY=X and
 * "Authorization: Bearer X" values replaced by SERVE_MASK. Caller frees. */
char *mask_secrets(const char *text);

#endif
