/* /proc helpers: environ, the process listing, vLLM processes and orphans. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "procinfo.h"
#include "serve.h"
#include "util.h"

/* ---- environ ---- */

/* Parses NUL-separated KEY=VALUE bytes from /proc/<pid>/environ, masking secrets. */
int proc_environ_parse(const char *buf, size_t len, struct proc_env *e, char **err)
{
	memset(e, 0, sizeof *e);
	if (len > PROC_MAX_ENVIRON || (!buf && len)) {
		*err = xasprintf("environ block %s", buf ? "larger than 4 MiB" : "missing");
		return -1;
	}
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && buf[i])
			continue;
		const char *ent = buf + start, *eq = memchr(ent, '=', i - start);
		if (i > start && (!eq || eq == ent))
			e->nbad++;
		else if (i > start) {
			grow(&e->v, &e->cap, e->n + 1, sizeof *e->v);
			char *key = xstrndup(ent, (size_t)(eq - ent));
			e->v[e->n].value = serve_secret_env(key) ? xstrdup(SERVE_MASK)
								 : xstrndup(eq + 1, (size_t)(buf + i - eq - 1));
			e->v[e->n++].key = key;
		}
		start = i + 1;
	}
	return 0;
}

/* The value of key (the first one when repeated, as getenv does), or NULL. */
const char *proc_env_get(const struct proc_env *e, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].key, key) == 0)
			return e->v[i].value;
	return NULL;
}

/* Releases everything and zeroes e. */
void proc_env_free(struct proc_env *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].key);
		free(e->v[i].value);
	}
	free(e->v);
	memset(e, 0, sizeof *e);
}

/* ---- the listing ---- */

/* 1 and *v when s[0..n) is 1..19 decimal digits. */
static int parse_digits(const char *s, size_t n, unsigned long long *v)
{
	if (n == 0 || n > 19)
		return 0;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

/* Splits args (each ended by \x01) into e->argv; empty trailing ones dropped. */
static void split_args(struct proc_entry *e, const char *s, size_t n)
{
	size_t cap = 0, start = 0;
	e->truncated = n >= PROC_CMDLINE_MAX;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == '\x01') {
			if (i > start || i < n) {
				grow(&e->argv, &cap, e->argc + 1, sizeof *e->argv);
				e->argv[e->argc++] = xstrndup(s + start, i - start);
			}
			start = i + 1;
		}
	while (e->argc && !e->argv[e->argc - 1][0]) /* setproctitle padding */
		free(e->argv[--e->argc]);
}

/* Frees one entry's contents. */
static void entry_free(struct proc_entry *e)
{
	for (size_t i = 0; i < e->argc; i++)
		free(e->argv[i]);
	free(e->argv);
	free(e->comm);
}

/* Parses one "P\t..." line into e; 1 when it is well formed. */
static int parse_entry(const char *line, size_t n, struct proc_entry *e)
{
	const char *f[7];
	size_t fl[7], k = 0, start = 0;
	for (size_t i = 0; i <= n && k < 7; i++)
		if (i == n || (line[i] == '\t' && k < 6)) {
			f[k] = line + start;
			fl[k++] = i - start;
			start = i + 1;
		}
	unsigned long long pid, ppid, st;
	if (k != 7 || fl[0] != 1 || f[0][0] != 'P' || !parse_digits(f[1], fl[1], &pid) ||
	    !parse_digits(f[2], fl[2], &ppid) || fl[3] != 1 || !isalpha((unsigned char)f[3][0]) ||
	    !parse_digits(f[4], fl[4], &st) || pid > 0x7fffffff || ppid > 0x7fffffff)
		return 0;
	memset(e, 0, sizeof *e);
	e->pid = (long)pid;
	e->ppid = (long)ppid;
	e->state = f[3][0];
	e->start = st;
	e->comm = xstrndup(f[5], fl[5]);
	split_args(e, f[6], fl[6]);
	e->kind = proc_classify(e);
	return 1;
}

/* Parses PROC_LIST_CMD output into a process list. */
int proc_list_parse(const char *text, size_t len, struct proc_list *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (!text || len > PROC_MAX_LISTING) {
		*err = xasprintf("process listing %s", text ? "larger than 32 MiB" : "missing");
		return -1;
	}
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n)) {
		struct proc_entry e;
		if (n == 0)
			continue;
		if (n == 3 && memcmp(line, "END", 3) == 0) {
			out->complete = 1;
			continue;
		}
		if (out->complete || !parse_entry(line, n, &e)) {
			out->nbad++;
			continue;
		}
		grow(&out->v, &out->cap, out->n + 1, sizeof *out->v);
		out->v[out->n++] = e;
	}
	return 0;
}

/* Releases everything and zeroes l. */
void proc_list_free(struct proc_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* The entry of pid, or NULL. */
const struct proc_entry *proc_lookup(const struct proc_list *l, long pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].pid == pid)
			return &l->v[i];
	return NULL;
}

/* ---- classification ---- */

/* The kind a process title (comm or argv[0]) names, or PROC_OTHER. */
static enum proc_kind title_kind(const char *t)
{
	static const struct {
		const char *prefix;
		enum proc_kind kind;
	} tab[] = {
		{"VLLM::APIServer", PROC_API}, {"VLLM::EngineCor", PROC_ENGINE},
		{"EngineCore", PROC_ENGINE},   {"VLLM::Worker", PROC_WORKER},
		{"VLLMWorker", PROC_WORKER},   {"VllmWorker", PROC_WORKER},
		{"Worker_DP", PROC_WORKER},    {"VLLM::", PROC_VLLM},
	};
	for (size_t i = 0; t && i < V4_ARRAY_LEN(tab); i++)
		if (starts_with(t, tab[i].prefix))
			return tab[i].kind;
	return PROC_OTHER;
}

/* What kind of vLLM process e is, from its comm and arguments. */
enum proc_kind proc_classify(const struct proc_entry *e)
{
	struct serve_cmd c;
	char *err = NULL;
	if (e->argc && serve_from_argv(e->argv, e->argc, &c, &err) == 0) {
		serve_free(&c);
		return PROC_SERVE;
	}
	free(err);
	enum proc_kind k = title_kind(e->comm);
	return k != PROC_OTHER ? k : title_kind(e->argc ? e->argv[0] : NULL);
}

/* "serve", "api", "engine", "worker", "vllm", "other". */
const char *proc_kind_name(enum proc_kind k)
{
	static const char *const names[] = {"other", "serve", "api", "engine", "worker", "vllm"};
	return (unsigned)k < V4_ARRAY_LEN(names) ? names[k] : "other";
}

/* The arguments joined by blanks with secrets masked (for evidence). */
char *proc_args(const struct proc_entry *e)
{
	struct sbuf b = {0};
	for (size_t i = 0; i < e->argc; i++) {
		if (i)
			sbuf_adds(&b, " ");
		sbuf_adds(&b, e->argv[i]);
	}
	char *raw = sbuf_take(&b), *m = mask_secrets(raw);
	free(raw);
	return m;
}

/* The nearest API-server ancestor of e (itself included), or -1. */
static long server_of(const struct proc_list *l, const struct proc_entry *e)
{
	for (int depth = 0; e && depth < 256; depth++) {
		if (e->kind == PROC_SERVE || e->kind == PROC_API)
			return e->pid;
		if (e->ppid == e->pid || e->ppid <= 0)
			break;
		e = proc_lookup(l, e->ppid);
	}
	return -1;
}

/* Lists the vLLM processes with their API-server ancestor, flagging orphans. */
size_t proc_find_vllm(const struct proc_list *l, struct vllm_proc **out)
{
	struct vllm_proc *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct proc_entry *e = &l->v[i];
		if (e->kind == PROC_OTHER)
			continue;
		grow(&v, &cap, n + 1, sizeof *v);
		v[n].e = e;
		v[n].server_pid = server_of(l, e);
		v[n].orphan = v[n].server_pid < 0;
		n++;
	}
	*out = v;
	return n;
}
