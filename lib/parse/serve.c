/* The `vllm serve` command model: a small shell-word reader (never a shell),
 * argv to options, lookups, rendering and secret masking. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "serve.h"
#include "util.h"

/* ---- option tables ---- */

/* vLLM options that take no value (normalised). Any "--no-*" is a flag too. */
static const char *const flag_opts[] = {
	"--headless", "--enable-expert-parallel", "--enforce-eager",
	"--enable-prefix-caching", "--no-enable-prefix-caching",
	"--disable-hybrid-kv-cache-manager", "--no-disable-hybrid-kv-cache-manager",
	"--trust-remote-code", "--disable-log-requests", "--enable-log-requests",
	"--disable-log-stats", "--enable-chunked-prefill", "--async-scheduling",
	"--enable-auto-tool-choice", "--enable-eplb", "--enable-dbo", "--enable-sleep-mode",
	"--enable-lora", "--fully-sharded-loras", "--skip-tokenizer-init",
	"--disable-custom-all-reduce", "--disable-fastapi-docs",
	"--disable-frontend-multiprocessing", "--enable-prompt-tokens-details",
	"--enable-server-load-tracking", "--enable-force-include-usage",
	"--enable-request-id-headers", "--disable-uvicorn-access-log", "--enable-log-outputs",
	"--data-parallel-hybrid-lb", "--data-parallel-external-lb", "--enable-ssl-refresh",
	"--disable-sliding-window", "--disable-cascade-attn", "--return-tokens-as-token-ids",
	"--enable-tokenizer-info-endpoint", "--disable-chunked-mm-input",
	"--enable-prompt-embeds", "--allow-credentials", "--use-tqdm-on-load",
	"--enable-multimodal-encoder-data-parallel",
};

/* Short spellings vLLM accepts, and their long names. */
static const char *const short_opts[][2] = {
	{"-tp", "--tensor-parallel-size"}, {"-pp", "--pipeline-parallel-size"},
	{"-dp", "--data-parallel-size"}, {"-dpl", "--data-parallel-size-local"},
	{"-dpr", "--data-parallel-rank"}, {"-dpa", "--data-parallel-address"},
	{"-dpp", "--data-parallel-rpc-port"}, {"-dpb", "--data-parallel-backend"},
	{"-dcp", "--decode-context-parallel-size"}, {"-ep", "--enable-expert-parallel"},
	{"-q", "--quantization"}, {"-O", "--compilation-config"},
};

/* Options with nargs='+': following non-option words join the value. */
static const char *const multi_opts[] = {"--served-model-name", "--lora-modules", "--middleware"};

/* 1 when s is in the list of n names. */
static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Normalises an option name: "--max_model_len" -> "--max-model-len", "-tp" -> long. */
char *serve_normalise(const char *name)
{
	for (size_t i = 0; i < V4_ARRAY_LEN(short_opts); i++)
		if (strcmp(name, short_opts[i][0]) == 0)
			return xstrdup(short_opts[i][1]);
	char *s = xstrdup(name);
	if (starts_with(s, "--"))
		for (char *p = s + 2; *p; p++)
			if (*p == '_')
				*p = '-';
	return s;
}

/* 1 when the (normalised) option takes no value in vLLM. */
int serve_is_flag(const char *name)
{
	return starts_with(name, "--no-") || in_list(name, flag_opts, V4_ARRAY_LEN(flag_opts));
}

/* 1 when an environment variable name holds a secret (VLLM_API_KEY, *TOKEN*...). */
int serve_secret_env(const char *name)
{
	static const char *const parts[] = {"API_KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"};
	for (size_t i = 0; i < V4_ARRAY_LEN(parts); i++)
		if (strstr(name, parts[i]))
			return 1;
	return 0;
}

/* ---- small lists ---- */

/* Appends s (taken) to a string array. */
static void push_str(char ***v, size_t *n, size_t *cap, char *s)
{
	grow(v, cap, *n + 1, sizeof **v);
	(*v)[(*n)++] = s;
}

/* Appends a copy of s unless an equal string is already there. */
static void push_uniq(char ***v, size_t *n, size_t *cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	push_str(v, n, cap, xstrdup(s));
}

/* Frees an array of n strings. */
static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Sets NAME in the model's environment (replacing), masking secrets. */
static void env_set(struct serve_cmd *c, const char *name, const char *value)
{
	int secret = serve_secret_env(name);
	if (strcmp(name, "VLLM_API_KEY") == 0) {
		free(c->api_key);
		c->api_key = xstrdup(value);
	}
	const char *shown = secret ? SERVE_MASK : value;
	for (size_t i = 0; i < c->nenv; i++)
		if (strcmp(c->env[i].name, name) == 0) {
			free(c->env[i].value);
			c->env[i].value = xstrdup(shown);
			return;
		}
	grow(&c->env, &c->capenv, c->nenv + 1, sizeof *c->env);
	c->env[c->nenv].name = xstrdup(name);
	c->env[c->nenv++].value = xstrdup(shown);
}

/* ---- argv to model ---- */

/* The part of a path after its last '/'. */
static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* 1 when w reads as a number ("-1", "0.93"), so not an option. */
static int is_number(const char *w)
{
	char *end;
	errno = 0;
	(void)strtod(w, &end);
	return *w && *end == 0 && end != w;
}

/* 1 when w is an option word. */
static int is_option_word(const char *w)
{
	return w[0] == '-' && w[1] && !is_number(w);
}

/* Index after "python -m <module>" when the module is a vllm server; else 0. */
static size_t python_module(char *const *a, size_t n, size_t i, const char **prog)
{
	const char *m = a[i + 1];
	if (strcmp(m, "vllm.entrypoints.openai.api_server") == 0 ||
	    strcmp(m, "vllm.entrypoints.api_server") == 0) {
		*prog = "api_server";
		return i + 2;
	}
	if ((strcmp(m, "vllm.entrypoints.cli.main") == 0 || strcmp(m, "vllm") == 0) &&
	    i + 2 < n && strcmp(a[i + 2], "serve") == 0) {
		*prog = "vllm serve";
		return i + 3;
	}
	return 0;
}

/* Index of the first word after the vllm program and subcommand; 0 when a
 * is not a vllm server command. */
static size_t vllm_start(char *const *a, size_t n, const char **prog)
{
	if (n < 2)
		return 0;
	const char *b0 = base_name(a[0]);
	*prog = "vllm serve";
	if (strcmp(b0, "vllm") == 0)
		return strcmp(a[1], "serve") == 0 ? 2 : 0;
	if (!starts_with(b0, "python"))
		return 0;
	size_t i = 1;
	while (i < n && a[i][0] == '-' && strcmp(a[i], "-m") != 0) {
		if (strcmp(a[i], "-c") == 0)
			return 0;
		i += (strcmp(a[i], "-X") == 0 || strcmp(a[i], "-W") == 0) ? 2 : 1;
	}
	if (i + 1 < n && strcmp(a[i], "-m") == 0)
		return python_module(a, n, i, prog);
	if (i + 1 < n && strcmp(base_name(a[i]), "vllm") == 0 && strcmp(a[i + 1], "serve") == 0)
		return i + 2;
	return 0;
}

/* Records one option (name taken); --api-key values are kept aside and masked. */
static void add_opt(struct serve_cmd *c, char *name, const char *val, int guessed)
{
	if (val && strcmp(name, "--api-key") == 0) {
		free(c->api_key);
		c->api_key = xstrdup(val);
		val = SERVE_MASK;
	}
	grow(&c->opts, &c->capopts, c->nopts + 1, sizeof *c->opts);
	c->opts[c->nopts].name = name;
	c->opts[c->nopts].value = xstrdup(val);
	c->opts[c->nopts++].guessed = guessed;
}

/* Joins the value of a nargs='+' option with the non-option words after it;
 * returns how many extra words it used. */
static size_t take_multi(char *const *a, size_t n, size_t i, struct sbuf *b)
{
	size_t used = 0;
	while (i + 1 + used < n && !is_option_word(a[i + 1 + used])) {
		sbuf_adds(b, " ");
		sbuf_adds(b, a[i + 1 + used]);
		used++;
	}
	return used;
}

/* Reads the option at a[i]; returns how many following words it used. */
static size_t take_option(struct serve_cmd *c, char *const *a, size_t n, size_t i)
{
	const char *w = a[i], *eq = strchr(w, '=');
	if (starts_with(w, "-O") && w[2] && w[2] != '=' && !eq) {
		add_opt(c, xstrdup("--compilation-config"), w + 2, 0);
		return 0;
	}
	char *raw = eq ? xstrndup(w, (size_t)(eq - w)) : xstrdup(w);
	char *name = serve_normalise(raw);
	free(raw);
	struct sbuf b = {0};
	size_t used = 0;
	int guessed = 0, has = 1;
	if (eq)
		sbuf_adds(&b, eq + 1);
	else if (serve_is_flag(name))
		has = 0;
	else if (i + 1 < n && !is_option_word(a[i + 1])) {
		sbuf_adds(&b, a[i + 1]);
		used = 1;
	} else
		has = 0, guessed = 1;
	if (has && in_list(name, multi_opts, V4_ARRAY_LEN(multi_opts)))
		used += take_multi(a, n, i + used, &b);
	char *val = has ? sbuf_take(&b) : NULL;
	add_opt(c, name, val, guessed);
	free(val);
	sbuf_free(&b);
	return used;
}

/* Fills c from argv; 0, or -1 with *err. */
static int build_model(struct serve_cmd *c, char *const *a, size_t n, char **err)
{
	const char *prog = NULL;
	size_t i = vllm_start(a, n, &prog);
	if (!i) {
		char *m = mask_secrets(n ? a[0] : "");
		*err = xasprintf("not a vllm serve command (starts with '%.80s')", m);
		free(m);
		return -1;
	}
	c->program = xstrdup(prog);
	int serve = strcmp(prog, "vllm serve") == 0, dashdash = 0;
	for (; i < n; i++) {
		if (!dashdash && strcmp(a[i], "--") == 0)
			dashdash = 1;
		else if (!dashdash && is_option_word(a[i]))
			i += take_option(c, a, n, i);
		else if (serve && !c->model)
			c->model = xstrdup(a[i]);
		else
			push_str(&c->args, &c->nargs, &c->capargs, xstrdup(a[i]));
	}
	if (!c->model && serve_get(c, "--model"))
		c->model = xstrdup(serve_get(c, "--model"));
	return 0;
}

/* Builds the model from an argv vector. */
int serve_from_argv(char *const *argv, size_t argc, struct serve_cmd *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (build_model(out, argv, argc, err) < 0) {
		serve_free(out);
		return -1;
	}
	return 0;
}

/* Parses /proc/<pid>/cmdline bytes (NUL-separated). */
int serve_from_cmdline(const char *buf, size_t len, struct serve_cmd *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (!buf || len == 0 || len > SERVE_MAX_TEXT) {
		*err = xasprintf("cmdline is %s", !buf || !len ? "empty" : "too long");
		return -1;
	}
	char **v = NULL;
	size_t n = 0, cap = 0, start = 0;
	for (size_t i = 0; i <= len; i++)
		if (i == len || buf[i] == 0) {
			if (i > start || i < len)
				push_str(&v, &n, &cap, xstrndup(buf + start, i - start));
			start = i + 1;
		}
	int rc = serve_from_argv(v, n, out, err);
	free_strs(v, n);
	return rc;
}

/* Releases everything the model owns and zeroes it. */
void serve_free(struct serve_cmd *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nopts; i++) {
		free(c->opts[i].name);
		free(c->opts[i].value);
	}
	free(c->opts);
	for (size_t i = 0; i < c->nenv; i++) {
		free(c->env[i].name);
		free(c->env[i].value);
	}
	free(c->env);
	free_strs(c->args, c->nargs);
	free_strs(c->unset, c->nunset);
	free_strs(c->placeholders, c->nplaceholders);
	free(c->program);
	free(c->model);
	free(c->api_key);
	memset(c, 0, sizeof *c);
}

/* ---- lookups ---- */

/* Index of the last occurrence of option name, or -1. */
static long find_opt(const struct serve_cmd *c, const char *name)
{
	char *norm = serve_normalise(name);
	long at = -1;
	for (size_t i = c->nopts; i-- > 0;)
		if (strcmp(c->opts[i].name, norm) == 0) {
			at = (long)i;
			break;
		}
	free(norm);
	return at;
}

/* The last value of option name (any spelling), or NULL when absent or a flag. */
const char *serve_get(const struct serve_cmd *c, const char *name)
{
	long i = find_opt(c, name);
	return i < 0 ? NULL : c->opts[i].value;
}

/* 1 when option name is present (flag or with value). */
int serve_has(const struct serve_cmd *c, const char *name)
{
	return find_opt(c, name) >= 0;
}

/* How many times option name is given. */
size_t serve_count(const struct serve_cmd *c, const char *name)
{
	char *norm = serve_normalise(name);
	size_t k = 0;
	for (size_t i = 0; i < c->nopts; i++)
		k += strcmp(c->opts[i].name, norm) == 0;
	free(norm);
	return k;
}

/* 1 and *out when the last value is a finite number. */
int serve_num(const struct serve_cmd *c, const char *name, double *out)
{
	if (!serve_has(c, name))
		return 0;
	const char *v = serve_get(c, name);
	char *end;
	if (!v || !*v)
		return -1;
	errno = 0;
	double d = strtod(v, &end);
	if (*end || errno || !isfinite(d))
		return -1;
	*out = d;
	return 1;
}

/* The last value parsed as a JSON object, or NULL with *err naming option and position. */
cJSON *serve_json(const struct serve_cmd *c, const char *name, char **err)
{
	const char *v = serve_get(c, name);
	if (!v) {
		*err = xasprintf("%s: %s", name, serve_has(c, name) ? "has no value" : "not given");
		return NULL;
	}
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithOpts(v, &end, 1);
	if (!j) {
		size_t off = end && end >= v && end <= v + strlen(v) ? (size_t)(end - v) : 0;
		*err = xasprintf("%s: invalid JSON at offset %zu near '%.24s'", name, off, v + off);
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*err = xasprintf("%s: JSON value is not an object", name);
		return NULL;
	}
	return j;
}

/* Names given more than once, in first-seen order. */
size_t serve_dups(const struct serve_cmd *c, const char ***names)
{
	const char **v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < c->nopts; i++) {
		const char *nm = c->opts[i].name;
		int seen = 0;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(v[j], nm) == 0;
		if (!seen && serve_count(c, nm) > 1) {
			grow(&v, &cap, n + 1, sizeof *v);
			v[n++] = nm;
		}
	}
	*names = v;
	return n;
}

/* The environment value the vllm process gets from the script, or NULL. */
const char *serve_getenv(const struct serve_cmd *c, const char *name)
{
	for (size_t i = 0; i < c->nenv; i++)
		if (strcmp(c->env[i].name, name) == 0)
			return c->env[i].value;
	return NULL;
}

/* The API key in force (CLI flag wins over VLLM_API_KEY), or NULL. */
const char *serve_api_key(const struct serve_cmd *c)
{
	return c->api_key;
}

/* ---- rendering and masking ---- */

/* Adds s to b, shell-quoted when it holds anything but safe characters. */
static void add_word(struct sbuf *b, const char *s)
{
	int safe = *s != 0;
	for (const char *p = s; *p && safe; p++)
		safe = isalnum((unsigned char)*p) || strchr("_@%+=:,./-", *p);
	if (safe || strcmp(s, SERVE_MASK) == 0) {
		sbuf_adds(b, s);
		return;
	}
	char *q = shell_quote(s);
	sbuf_adds(b, q);
	free(q);
}

/* One line: env assignments, program, model, options; secrets masked. */
char *serve_render(const struct serve_cmd *c)
{
	struct sbuf b = {0};
	for (size_t i = 0; i < c->nenv; i++) {
		sbuf_adds(&b, c->env[i].name);
		sbuf_adds(&b, "=");
		add_word(&b, c->env[i].value);
		sbuf_adds(&b, " ");
	}
	sbuf_adds(&b, strcmp(c->program ? c->program : "", "api_server") == 0
			      ? "python3 -m vllm.entrypoints.openai.api_server"
			      : "vllm serve");
	if (c->model) {
		sbuf_adds(&b, " ");
		add_word(&b, c->model);
	}
	for (size_t i = 0; i < c->nopts; i++) {
		sbuf_adds(&b, " ");
		sbuf_adds(&b, c->opts[i].name);
		if (c->opts[i].value) {
			sbuf_adds(&b, " ");
			add_word(&b, c->opts[i].value);
		}
	}
	for (size_t i = 0; i < c->nargs; i++) {
		sbuf_adds(&b, " ");
		add_word(&b, c->args[i]);
	}
	return sbuf_take(&b);
}

/* What mask_secrets replaces: group 1 is kept, group 2 (the value) masked. */
static const char secret_re[] =
	"(--api[-_]key(?:=|(?:[ \\t\\x01]|\\\\\\r?\\n)+)|\\bVLLM_API_KEY(?:=|:[ \\t]*)"
	"|authorization:[ \\t]*bearer[ \\t]+)"
	"('[^']*'|\"(?:[^\"\\\\]|\\\\.)*\"|[^\\s'\"\\x01]+)";

static pcre2_code *secret_code, *idiom_code; /* compiled once, shared read-only */
static pthread_once_t secret_once = PTHREAD_ONCE_INIT, idiom_once = PTHREAD_ONCE_INIT;

/* Compiles secret_re (once). */
static void secret_compile(void)
{
	int ec;
	PCRE2_SIZE eo;
	secret_code = pcre2_compile((PCRE2_SPTR)secret_re, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
				    &ec, &eo, NULL);
	if (!secret_code)
		abort(); /* the pattern is fixed: a failure is a build error */
}

/* Copy of text with API keys and bearer tokens replaced by SERVE_MASK. */
char *mask_secrets(const char *text)
{
	if (!text)
		return NULL;
	PCRE2_SIZE len = strlen(text), outlen = len + 64;
	pthread_once(&secret_once, secret_compile);
	const pcre2_code *re = secret_code;
	char *out = xmalloc(outlen + 1);
	uint32_t opt = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH;
	int rc = pcre2_substitute(re, (PCRE2_SPTR)text, len, 0, opt, NULL, NULL,
				  (PCRE2_SPTR) "$1" SERVE_MASK, PCRE2_ZERO_TERMINATED,
				  (PCRE2_UCHAR *)out, &outlen);
	if (rc == PCRE2_ERROR_NOMEMORY) {
		out = xrealloc(out, outlen + 1);
		rc = pcre2_substitute(re, (PCRE2_SPTR)text, len, 0, opt, NULL, NULL,
				      (PCRE2_SPTR) "$1" SERVE_MASK, PCRE2_ZERO_TERMINATED,
				      (PCRE2_UCHAR *)out, &outlen);
	}
	if (rc < 0) { /* cannot happen on a C string; never leak the original */
		free(out);
		return xstrdup(SERVE_MASK);
	}
	out[outlen] = 0;
	return out;
}

/* ---- the shell-word reader (never runs anything) ---- */

struct shvar {
	char *name, *value;
	int exported;
};

struct lex {
	const char *s;
	size_t len, pos;
	struct shvar *vars;
	size_t nvars, capvars;
	struct serve_cmd *out; /* gets unset names and placeholders */
	char *err;
	struct sbuf word;      /* the word being read */
	int have;              /* it exists (even when empty, as "" does) */
	int redirect;          /* the next word is a redirection target: dropped */
	char **words;          /* the simple command being read */
	size_t nwords, capwords;
	int found;             /* a vllm command was seen */
};

/* Records the first error, prefixed with its line number; returns -1. */
static int lex_fail(struct lex *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lex_fail(struct lex *L, const char *fmt, ...)
{
	if (L->err)
		return -1;
	int line = 1;
	for (size_t i = 0; i < L->pos && i < L->len; i++)
		line += L->s[i] == '\n';
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	L->err = xasprintf("line %d: %s", line, m);
	free(m);
	return -1;
}

/* The shell variable called name, or NULL. */
static struct shvar *var_find(struct lex *L, const char *name)
{
	for (size_t i = 0; i < L->nvars; i++)
		if (strcmp(L->vars[i].name, name) == 0)
			return &L->vars[i];
	return NULL;
}

/* Sets a shell variable; export marks it for the environment. */
static void var_set(struct lex *L, const char *name, const char *value, int export)
{
	struct shvar *v = var_find(L, name);
	if (!v) {
		grow(&L->vars, &L->capvars, L->nvars + 1, sizeof *L->vars);
		v = &L->vars[L->nvars++];
		v->name = xstrdup(name);
		v->value = NULL;
		v->exported = 0;
	}
	free(v->value);
	v->value = xstrdup(value);
	v->exported |= export;
}

/* Appends n bytes to the current word, which then exists. */
static void word_add(struct lex *L, const char *p, size_t n)
{
	sbuf_add(&L->word, p, n);
	L->have = 1;
}

/* Ends the current word: kept, or dropped when it is a redirection target. */
static void word_end(struct lex *L)
{
	if (!L->have)
		return;
	char *w = sbuf_take(&L->word);
	L->have = 0;
	if (L->redirect) {
		L->redirect = 0;
		free(w);
		return;
	}
	push_str(&L->words, &L->nwords, &L->capwords, w);
}

/* Adds an expansion's text; unquoted text is split into words at blanks. */
static void add_expansion(struct lex *L, const char *t, int quoted)
{
	if (quoted) {
		word_add(L, t, strlen(t));
		return;
	}
	for (; *t; t++)
		if (*t == ' ' || *t == '\t' || *t == '\n')
			word_end(L);
		else
			word_add(L, t, 1);
}

/* Expands variable name (def when unset, NULL for none); unset names are noted. */
static void expand_var(struct lex *L, const char *name, const char *def, int quoted)
{
	struct shvar *v = var_find(L, name);
	const char *val = v ? v->value : def;
	if (!val) {
		push_uniq(&L->out->unset, &L->out->nunset, &L->out->capunset, name);
		val = "";
	}
	add_expansion(L, val, quoted);
}

/* 1 when s[0..n) is a shell name. */
static int is_name_n(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* Reads ${NAME}, ${NAME:-word} or ${NAME-word} at L->pos. */
static int lex_brace(struct lex *L, int quoted)
{
	size_t b = L->pos + 2, e = b;
	while (e < L->len && L->s[e] != '}' && L->s[e] != '\n')
		e++;
	if (e >= L->len || L->s[e] != '}')
		return lex_fail(L, "unterminated ${");
	size_t n = b;
	while (n < e && (isalnum((unsigned char)L->s[n]) || L->s[n] == '_'))
		n++;
	if (!is_name_n(L->s + b, n - b))
		return lex_fail(L, "unsupported parameter expansion ${%.40s}", L->s + b);
	char *name = xstrndup(L->s + b, n - b), *def = NULL;
	int colon = n < e && L->s[n] == ':';
	if (n < e && L->s[n + colon] == '-')
		def = xstrndup(L->s + n + colon + 1, e - (n + colon + 1));
	else if (n < e) {
		free(name);
		return lex_fail(L, "unsupported parameter expansion ${%.*s}", (int)(e - b), L->s + b);
	}
	struct shvar *v = var_find(L, name);
	if (def && v && colon && !*v->value)
		add_expansion(L, def, quoted);
	else
		expand_var(L, name, def, quoted);
	free(name);
	free(def);
	L->pos = e + 1;
	return 0;
}

/* Finds the ')' closing a "$(" whose body starts at from; 0 and *end, or -1. */
static int find_close(const char *s, size_t len, size_t from, size_t *end)
{
	int depth = 1;
	char q = 0;
	for (size_t i = from; i < len; i++) {
		char c = s[i];
		if (q) {
			if (c == q)
				q = 0;
			else if (c == '\\' && q == '"')
				i++;
		} else if (c == '\'' || c == '"')
			q = c;
		else if (c == '\\')
			i++;
		else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0) {
			*end = i;
			return 0;
		}
	}
	return -1;
}

/* The deployment idiom: [ $RANK != 0 ] && echo --flag (also quoted, ${}, -ne, test). */
static const char idiom_re[] =
	"^\\s*(?:(\\[)|test)\\s+(?:\"\\$\\{?(\\w+)\\}?\"|\\$\\{?(\\w+)\\}?)\\s+(!=|-ne)\\s+"
	"(?:\"(\\w*)\"|'(\\w*)'|(\\w+))(?(1)\\s+\\])\\s*&&\\s*echo\\s+(-{1,2}\\w[\\w.-]*)\\s*$";

/* Copy of capture group i, or NULL when it did not take part. */
static char *group(pcre2_match_data *md, const char *subj, int i)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	if (ov[2 * i] == PCRE2_UNSET)
		return NULL;
	return xstrndup(subj + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
}

/* 1 and *v when s is a whole decimal integer. */
static int to_long(const char *s, long *v)
{
	char *end;
	errno = 0;
	*v = strtol(s, &end, 10);
	return *s && !*end && !errno;
}

/* Decides the idiom from its parts; 0 and *res, or -1. */
static int idiom_value(struct lex *L, char **g, char **res)
{
	const char *name = g[2] ? g[2] : g[3];
	const char *rhs = g[5] ? g[5] : g[6] ? g[6] : g[7];
	struct shvar *v = var_find(L, name);
	long a, b;
	if (!v)
		return lex_fail(L, "$(...) tests $%s, which is not set (give it, e.g. RANK=0)", name);
	int differ = strcmp(v->value, rhs) != 0;
	if (strcmp(g[4], "-ne") == 0) {
		if (!to_long(v->value, &a) || !to_long(rhs, &b))
			return lex_fail(L, "$(...) compares '%s' with -ne: not integers", v->value);
		differ = a != b;
	}
	*res = xstrdup(differ ? g[8] : "");
	return 0;
}

/* Compiles idiom_re (once). */
static void idiom_compile(void)
{
	int ec;
	PCRE2_SIZE eo;
	idiom_code = pcre2_compile((PCRE2_SPTR)idiom_re, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	if (!idiom_code)
		abort(); /* fixed pattern */
}

/* Evaluates the body of $(...) when it is the idiom; 0 and *res, or -1. */
static int eval_subst(struct lex *L, const char *body, char **res)
{
	int rc = -1;
	pthread_once(&idiom_once, idiom_compile);
	const pcre2_code *re = idiom_code;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	if (pcre2_match(re, (PCRE2_SPTR)body, strlen(body), 0, 0, md, NULL) >= 0) {
		char *g[9];
		for (int i = 0; i < 9; i++)
			g[i] = group(md, body, i);
		rc = idiom_value(L, g, res);
		for (int i = 0; i < 9; i++)
			free(g[i]);
	} else
		lex_fail(L, "unsupported command substitution $(%.60s): v4check runs no shell; "
			    "only $([ $RANK != 0 ] && echo --flag) is understood", body);
	pcre2_match_data_free(md);
	return rc;
}

/* Reads $(...) at L->pos. */
static int lex_subst(struct lex *L, int quoted)
{
	size_t b = L->pos + 2, e;
	if (b < L->len && L->s[b] == '(')
		return lex_fail(L, "arithmetic $((...)) is not supported");
	if (find_close(L->s, L->len, b, &e) < 0)
		return lex_fail(L, "unterminated $(");
	char *body = xstrndup(L->s + b, e - b), *res = NULL;
	int rc = eval_subst(L, body, &res);
	free(body);
	if (rc == 0)
		add_expansion(L, res, quoted);
	free(res);
	L->pos = e + 1;
	return rc;
}

/* Reads a $ expansion at L->pos (quoted: inside "..."). */
static int lex_dollar(struct lex *L, int quoted)
{
	size_t p = L->pos + 1, e = p;
	char c = p < L->len ? L->s[p] : 0;
	if (c == '(')
		return lex_subst(L, quoted);
	if (c == '{')
		return lex_brace(L, quoted);
	if (isalpha((unsigned char)c) || c == '_') {
		while (e < L->len && (isalnum((unsigned char)L->s[e]) || L->s[e] == '_'))
			e++;
		char *name = xstrndup(L->s + p, e - p);
		expand_var(L, name, NULL, quoted);
		free(name);
		L->pos = e;
		return 0;
	}
	if (c && (isdigit((unsigned char)c) || strchr("@*#?$!-", c)))
		return lex_fail(L, "unsupported special parameter $%c", c);
	word_add(L, "$", 1);
	L->pos++;
	return 0;
}

/* Reads '...' at L->pos. */
static int lex_squote(struct lex *L)
{
	const char *b = L->s + L->pos + 1;
	const char *q = memchr(b, '\'', L->len - L->pos - 1);
	if (!q)
		return lex_fail(L, "unterminated single quote");
	word_add(L, b, (size_t)(q - b));
	L->pos = (size_t)(q - L->s) + 1;
	return 0;
}

/* Reads "..." at L->pos: $ expansions, \ escapes of $ ` " \ and newline. */
static int lex_dquote(struct lex *L)
{
	size_t start = L->pos++;
	L->have = 1;
	while (L->pos < L->len) {
		char c = L->s[L->pos], d = L->pos + 1 < L->len ? L->s[L->pos + 1] : 0;
		if (c == '"') {
			L->pos++;
			return 0;
		}
		if (c == '`')
			return lex_fail(L, "backtick command substitution is not supported");
		if (c == '$') {
			if (lex_dollar(L, 1) < 0)
				return -1;
			continue;
		}
		if (c == '\\' && d && strchr("$`\"\\\n", d)) {
			if (d != '\n')
				word_add(L, &d, 1);
			L->pos += 2;
			continue;
		}
		word_add(L, &c, 1);
		L->pos++;
	}
	L->pos = start;
	return lex_fail(L, "unterminated double quote");
}

/* Reads \x at L->pos: an escaped byte or a line continuation. */
static int lex_backslash(struct lex *L)
{
	size_t p = L->pos + 1, q = p;
	while (q < L->len && (L->s[q] == ' ' || L->s[q] == '\t'))
		q++;
	if (q > p && (q == L->len || L->s[q] == '\n' || L->s[q] == '\r'))
		return lex_fail(L, "blanks after a line-continuation backslash break the command");
	if (p < L->len && L->s[p] == '\n') {
		L->pos += 2;
		return 0;
	}
	if (p + 1 < L->len && L->s[p] == '\r' && L->s[p + 1] == '\n') {
		L->pos += 3;
		return 0;
	}
	word_add(L, p < L->len ? L->s + p : "\\", 1);
	L->pos += p < L->len ? 2 : 1;
	return 0;
}

/* 1 and *end (the '>') when L->pos starts a <placeholder> such as <key>. */
static int placeholder_end(const struct lex *L, size_t *end)
{
	size_t j = L->pos + 1;
	while (j < L->len && j - L->pos <= 128 && !strchr(" \t\r\n<>'\"$`;|&()", L->s[j]))
		j++;
	if (j >= L->len || L->s[j] != '>' || j == L->pos + 1)
		return 0;
	if (j + 1 < L->len && !strchr(" \t\r\n;&|)", L->s[j + 1]))
		return 0;
	*end = j;
	return 1;
}

/* 1 when s is a non-empty string of digits. */
static int all_digits(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Reads < or > at L->pos: a placeholder, or a redirection whose target is dropped. */
static int lex_angle(struct lex *L)
{
	size_t e;
	if (L->s[L->pos] == '<' && placeholder_end(L, &e)) {
		char *ph = xstrndup(L->s + L->pos, e - L->pos + 1);
		push_uniq(&L->out->placeholders, &L->out->nplaceholders, &L->out->capplaceholders, ph);
		word_add(L, ph, strlen(ph));
		free(ph);
		L->pos = e + 1;
		return 0;
	}
	if (L->s[L->pos] == '<' && L->pos + 1 < L->len && L->s[L->pos + 1] == '<')
		return lex_fail(L, "here-documents are not supported");
	if (L->have && all_digits(L->word.s)) { /* "2>": the fd number */
		sbuf_free(&L->word);
		L->have = 0;
	} else
		word_end(L);
	L->pos++;
	if (L->pos < L->len && strchr(">&|", L->s[L->pos]))
		L->pos++;
	L->redirect = 1;
	return 0;
}

/* One step of the reader: 0 go on, 1 the simple command ended, -1 error. */
static int lex_step(struct lex *L)
{
	char c = L->s[L->pos], n1 = L->pos + 1 < L->len ? L->s[L->pos + 1] : 0;
	switch (c) {
	case ' ': case '\t': case '\r':
		word_end(L);
		L->pos++;
		return 0;
	case '\n':
		word_end(L);
		L->pos++;
		return 1;
	case '\\': return lex_backslash(L);
	case '\'': return lex_squote(L);
	case '"': return lex_dquote(L);
	case '$': return lex_dollar(L, 0);
	case '<': case '>': return lex_angle(L);
	case '`': return lex_fail(L, "backtick command substitution is not supported");
	case '(': case ')':
		return lex_fail(L, "unsupported shell syntax '%c' (subshells, functions)", c);
	case ';': case '&': case '|':
		word_end(L);
		L->pos += 1 + (n1 == c);
		return 1;
	case '#':
		if (L->have)
			break;
		while (L->pos < L->len && L->s[L->pos] != '\n')
			L->pos++;
		return 0;
	default:
		break;
	}
	word_add(L, &L->s[L->pos], 1);
	L->pos++;
	return 0;
}

/* Reads one simple command into L->words: 1 more may follow, 0 end of text, -1 error. */
static int lex_command(struct lex *L)
{
	while (L->pos < L->len) {
		int r = lex_step(L);
		if (r)
			return r;
	}
	word_end(L);
	return 0;
}

/* 1 when w is NAME=value. */
static int is_assign(const char *w)
{
	const char *eq = strchr(w, '=');
	return eq && is_name_n(w, (size_t)(eq - w));
}

/* Applies NAME=value as a shell assignment (exported when export). */
static void assign(struct lex *L, const char *w, int export)
{
	const char *eq = strchr(w, '=');
	char *name = xstrndup(w, (size_t)(eq - w));
	var_set(L, name, eq + 1, export);
	free(name);
}

/* `export A=B C`: sets and marks variables for the environment. */
static void do_export(struct lex *L, char **a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct shvar *v = var_find(L, a[i]);
		if (is_assign(a[i]))
			assign(L, a[i], 1);
		else if (v)
			v->exported = 1;
	}
}

/* Index of the program after prefix assignments and nohup/exec/time/env. */
static size_t skip_prefix(char **a, size_t n)
{
	static const char *const wrappers[] = {"nohup", "exec", "time", "env"};
	size_t i = 0;
	while (i < n && (is_assign(a[i]) || in_list(a[i], wrappers, V4_ARRAY_LEN(wrappers))))
		i++;
	return i;
}

/* Builds the model from the vllm command at a[i..n) with its environment. */
static int take_vllm(struct lex *L, char **a, size_t n, size_t i)
{
	char *e = NULL;
	if (L->found)
		return lex_fail(L, "more than one vllm command");
	L->found = 1;
	if (build_model(L->out, a + i, n - i, &e) < 0) {
		lex_fail(L, "%s", e);
		free(e);
		return -1;
	}
	char *flag_key = L->out->api_key; /* the CLI flag wins over VLLM_API_KEY */
	L->out->api_key = NULL;
	for (size_t k = 0; k < L->nvars; k++)
		if (L->vars[k].exported)
			env_set(L->out, L->vars[k].name, L->vars[k].value);
	for (size_t k = 0; k < i; k++)
		if (is_assign(a[k])) {
			char *name = xstrndup(a[k], (size_t)(strchr(a[k], '=') - a[k]));
			env_set(L->out, name, strchr(a[k], '=') + 1);
			free(name);
		}
	if (flag_key) {
		free(L->out->api_key);
		L->out->api_key = flag_key;
	}
	return 0;
}

/* Acts on the simple command in L->words, then clears it. */
static int run_command(struct lex *L)
{
	char **a = L->words;
	size_t n = L->nwords, i = skip_prefix(a, n);
	const char *prog;
	int rc = 0;
	L->redirect = 0;
	if (n && strcmp(a[0], "export") == 0)
		do_export(L, a + 1, n - 1);
	else if (n && i == n && is_assign(a[n - 1])) {
		for (size_t k = 0; k < n; k++)
			if (is_assign(a[k]))
				assign(L, a[k], 0);
	} else if (i < n && vllm_start(a + i, n - i, &prog))
		rc = take_vllm(L, a, n, i);
	for (size_t k = 0; k < n; k++)
		free(a[k]);
	L->nwords = 0;
	return rc;
}

/* Parses shell text holding one vllm command into the model. */
int serve_parse(const char *text, const struct serve_var *vars, size_t nvars,
		struct serve_cmd *out, char **err)
{
	memset(out, 0, sizeof *out);
	size_t len = text ? strnlen(text, SERVE_MAX_TEXT + 1) : 0;
	if (len > SERVE_MAX_TEXT) {
		*err = xasprintf("command text longer than %u bytes", SERVE_MAX_TEXT);
		return -1;
	}
	struct lex L = {.s = text ? text : "", .len = len, .out = out};
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].name && vars[i].value)
			var_set(&L, vars[i].name, vars[i].value, 0);
	int r;
	do {
		r = lex_command(&L);
		if (r >= 0 && run_command(&L) < 0)
			r = -1;
	} while (r > 0);
	if (r == 0 && !L.found)
		lex_fail(&L, "no vllm serve command found");
	for (size_t i = 0; i < L.nvars; i++) {
		free(L.vars[i].name);
		free(L.vars[i].value);
	}
	free(L.vars);
	free_strs(L.words, L.nwords);
	sbuf_free(&L.word);
	if (!L.err)
		return 0;
	*err = mask_secrets(L.err);
	free(L.err);
	serve_free(out);
	return -1;
}
