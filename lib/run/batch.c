/* Batches: one remote script for several probes, split back into facts. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"

void v4_batch_nonce(char nonce[V4_BATCH_NONCE_LEN + 1])
{
	unsigned char r[V4_BATCH_NONCE_LEN / 2];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* no entropy source: still unique enough to frame output */
		unsigned long long x = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32) ^
				       (unsigned long long)(now_ms() * 1000.0);
		for (size_t i = 0; i < sizeof r; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			r[i] = (unsigned char)(x >> 56);
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(nonce + 2 * i, 3, "%02x", r[i]);
}

int v4_batch_plain_words(const char *cmd)
{
	static const char *const shell_words[] = {
		"exec", "exit", "set", "cd", ".", "eval", "shift", "trap", "unset", "export",
		"readonly", "return", "break", "continue", "wait", "read", "umask", "ulimit",
		"alias", "unalias", "getopts", "hash", "source", "local", "kill", "times",
	};
	const char *sp = strchr(cmd, ' ');
	const char *eq = strchr(cmd, '=');
	size_t w = sp ? (size_t)(sp - cmd) : strlen(cmd);
	if (!*cmd || (eq && (!sp || eq < sp)))
		return 0;
	for (const char *p = cmd; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(" _./:=,@%+-", *p))
			return 0;
	for (size_t i = 0; i < sizeof shell_words / sizeof *shell_words; i++)
		if (strlen(shell_words[i]) == w && memcmp(cmd, shell_words[i], w) == 0)
			return 0;
	return 1;
}

/* The inner script: the process group line, then each command framed. */
static char *inner_script(const char *const *cmds, size_t n, const char *nonce)
{
	struct sbuf b = {0};
	sbuf_printf(&b, "g=; read _ _ _ _ g _ 2>/dev/null </proc/$$/stat; printf '%%s-pgid %%s\\n' %s \"$g\"\n",
		    nonce);
	for (size_t k = 0; k < n; k++) {
		char *q = shell_quote(cmds[k]);
		char *run = v4_batch_plain_words(cmds[k]) ? xstrdup(cmds[k]) : xasprintf("(eval %s)", q);
		sbuf_printf(&b,
			    "a=; read a _ 2>/dev/null </proc/uptime; %s; r=$?; "
			    "b=; read b _ 2>/dev/null </proc/uptime; "
			    "printf '\\n%%s %%d %%s %%s\\n' %s \"$r\" \"$a\" \"$b\"; printf '\\n%%s\\n' %s >&2\n",
			    run, nonce, nonce);
		free(run);
		free(q);
	}
	sbuf_adds(&b, "exit $r\n");
	return sbuf_take(&b);
}

char *v4_batch_script(const char *const *cmds, size_t n, int limit_s, const char *nonce)
{
	char *inner = inner_script(cmds, n, nonce);
	char *q = shell_quote(inner);
	char *s = xasprintf("exec timeout -s KILL %d sh -c %s", limit_s, q);
	free(q);
	free(inner);
	return s;
}

long v4_batch_pgid(const char *out, size_t len, const char *nonce)
{
	size_t nl = strlen(nonce);
	if (len < nl + 7 || memcmp(out, nonce, nl) != 0 || memcmp(out + nl, "-pgid ", 6) != 0)
		return 0;
	const char *eol = memchr(out, '\n', len);
	if (!eol)
		return 0;
	long g = 0;
	for (const char *p = out + nl + 6; p < eol; p++) {
		if (*p < '0' || *p > '9' || g > 100000000L)
			return 0;
		g = g * 10 + (*p - '0');
	}
	return g > 1 ? g : 0;
}

/* Where the commands' output starts: after the process group line. */
static size_t body_start(const char *out, size_t len, const char *nonce)
{
	size_t nl = strlen(nonce);
	if (len < nl + 6 || memcmp(out, nonce, nl) != 0 || memcmp(out + nl, "-pgid ", 6) != 0)
		return 0;
	const char *eol = memchr(out, '\n', len);
	return eol ? (size_t)(eol + 1 - out) : len;
}

size_t v4_batch_ends(const char *out, size_t len, const char *nonce, size_t *pos)
{
	size_t nl = strlen(nonce), found = 0;
	char pat[V4_BATCH_NONCE_LEN + 3];
	snprintf(pat, sizeof pat, "\n%s ", nonce);
	size_t pl = nl + 2;
	if (*pos < body_start(out, len, nonce))
		*pos = body_start(out, len, nonce);
	for (;;) {
		const char *m = *pos < len ? memmem(out + *pos, len - *pos, pat, pl) : NULL;
		if (!m)
			break;
		found++;
		*pos = (size_t)(m - out) + pl;
	}
	/* a marker may be cut at the end: look at its start again next time */
	if (len >= pl && *pos < len - pl + 1)
		*pos = len - pl + 1;
	return found;
}

/* A copy of p[0..n) with a NUL after it. */
static char *copy(const char *p, size_t n)
{
	char *s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* Finds "\n<nonce><end>" at or after *pos in s; returns its start or NULL. */
static const char *marker(const char *s, size_t len, size_t pos, const char *nonce, char end)
{
	size_t nl = strlen(nonce);
	for (const char *p = s + pos; p < s + len;) {
		const char *m = memchr(p, '\n', (size_t)(s + len - p));
		if (!m)
			return NULL;
		if ((size_t)(s + len - m) > nl + 1 && memcmp(m + 1, nonce, nl) == 0 && m[1 + nl] == end)
			return m;
		p = m + 1;
	}
	return NULL;
}

size_t v4_batch_split(const char *out, size_t out_len, const char *err, size_t err_len,
		      const char *nonce, size_t n, struct v4_fact *facts)
{
	size_t nl = strlen(nonce), pos = body_start(out, out_len, nonce), epos = 0, k;
	for (k = 0; k < n; k++) {
		const char *m = marker(out, out_len, pos, nonce, ' ');
		const char *e = marker(err, err_len, epos, nonce, '\n');
		if (!m || !e)
			break;
		const char *fields = m + 1 + nl + 1;
		const char *eol = memchr(fields, '\n', (size_t)(out + out_len - fields));
		if (!eol)
			break;
		char *line = copy(fields, (size_t)(eol - fields));
		int rc = 0;
		double t0 = 0, t1 = 0;
		int got = sscanf(line, "%d %lf %lf", &rc, &t0, &t1);
		free(line);
		if (got < 1)
			break;
		struct v4_fact *f = &facts[k];
		f->out_len = (size_t)(m - (out + pos));
		f->out = copy(out + pos, f->out_len);
		f->err_len = (size_t)(e - (err + epos));
		f->err = copy(err + epos, f->err_len);
		f->exit_code = rc;
		f->ms = got == 3 && t1 >= t0 ? (t1 - t0) * 1000.0 : 0;
		v4_fact_judge_exit(f, 0); /* no remote timeout: 124 and 137 are the command's */
		pos = (size_t)(eol + 1 - out);
		epos = (size_t)(e + 1 + nl + 1 - err);
	}
	if (k < n) { /* the command cut short: what it gave */
		facts[k].out_len = out_len - pos;
		facts[k].out = copy(out + pos, facts[k].out_len);
		facts[k].err_len = err_len > epos ? err_len - epos : 0;
		facts[k].err = copy(err + epos, facts[k].err_len);
	}
	return k;
}
