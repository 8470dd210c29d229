/* Device batches: one remote script for several probes of one NPU. */
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

/* 1 when cmd is plain words (no quoting, expansion, operator or leading
 * assignment): timeout can then run it without a shell in between. */
static int plain_words(const char *cmd)
{
	const char *sp = strchr(cmd, ' ');
	const char *eq = strchr(cmd, '=');
	if (!*cmd || (eq && (!sp || eq < sp)))
		return 0;
	for (const char *p = cmd; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(" _./:=,@%+-", *p))
			return 0;
	return 1;
}

char *v4_batch_script(const char *const *cmds, size_t n, int timeout_s, const char *nonce)
{
	struct sbuf b = {0};
	for (size_t k = 0; k < n; k++) {
		char *q = shell_quote(cmds[k]);
		char *run = plain_words(cmds[k]) ? xstrdup(cmds[k]) : xasprintf("sh -c %s", q);
		sbuf_printf(&b,
			    "a=; read a _ 2>/dev/null </proc/uptime; timeout -s KILL %d %s; r=$?; "
			    "b=; read b _ 2>/dev/null </proc/uptime; "
			    "printf '\\n%%s %%d %%s %%s\\n' %s \"$r\" \"$a\" \"$b\"; printf '\\n%%s\\n' %s >&2\n",
			    timeout_s, run, nonce, nonce);
		free(run);
		free(q);
	}
	return sbuf_take(&b);
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
		      const char *nonce, size_t n, int timeout_s, struct v4_fact *facts)
{
	size_t nl = strlen(nonce), pos = 0, epos = 0, k;
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
		v4_fact_judge_exit(f, timeout_s);
		pos = (size_t)(eol + 1 - out);
		epos = (size_t)(e + 1 + nl + 1 - err);
	}
	return k;
}
