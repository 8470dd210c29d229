/* `ss -Htlnp` listening sockets and their owners (see ss.h). */
#include <stdlib.h>
#include <string.h>

#include "ss.h"
#include "util.h"

/* Copies [s, s+n) into dst (size cap), cut to fit. */
static void copy_word(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* Splits a line into at most max blank-separated words; returns how many. */
static size_t words(const char *line, size_t len, const char **w, size_t *wl, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len)
			break;
		size_t j = i;
		while (j < len && line[j] != ' ' && line[j] != '\t')
			j++;
		w[n] = line + i;
		wl[n++] = j - i;
		i = j;
	}
	return n;
}

/* A decimal port in [0, 65535] from [s, s+n); -1 otherwise. */
static int port_of(const char *s, size_t n)
{
	long v = 0;
	if (!n || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? (int)v : -1;
}

/* Reads "ADDR:PORT" (ADDR may be [v6], carry %ifname, or be *); 0 or -1. */
static int local_addr(const char *s, size_t n, struct ss_listen *l)
{
	const char *colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || colon == s || (l->port = port_of(colon + 1, n - (size_t)(colon - s) - 1)) < 0)
		return -1;
	size_t an = (size_t)(colon - s);
	if (s[0] == '[') {
		if (an < 2 || s[an - 1] != ']')
			return -1;
		s++, an -= 2;
	}
	copy_word(l->addr, sizeof l->addr, s, an);
	return 0;
}

/* Reads users:(("name",pid=N,fd=M),...) into l->users; unknown parts are skipped. */
static void users(const char *s, size_t n, struct ss_listen *l)
{
	const char *end = s + n, *p = s;
	while (l->nusers < SS_MAX_USERS && (p = memchr(p, '"', (size_t)(end - p))) != NULL) {
		const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!q)
			return;
		struct ss_user *u = &l->users[l->nusers];
		copy_word(u->name, sizeof u->name, p + 1, (size_t)(q - p - 1));
		const char *pid = q + 1;
		if ((size_t)(end - pid) > 5 && memcmp(pid, ",pid=", 5) == 0) {
			u->pid = 0;
			for (pid += 5; pid < end && *pid >= '0' && *pid <= '9' && u->pid < 100000000; pid++)
				u->pid = u->pid * 10 + (*pid - '0');
			l->nusers++;
		}
		p = q + 1;
		const char *close = memchr(p, ')', (size_t)(end - p));
		if (!close)
			return;
		p = close + 1;
	}
}

/* Records a line not understood. */
static void bad(struct ss_list *out, const char *line, size_t len)
{
	if (!out->nbad++)
		copy_word(out->bad_line, sizeof out->bad_line, line, len);
}

/* Parses one line; blank lines and the header are skipped. */
static void parse_line(const char *line, size_t len, struct ss_list *out, size_t *cap)
{
	const char *w[7];
	size_t wl[7], nw = words(line, len, w, wl, 7);
	if (!nw || (wl[0] == 5 && memcmp(w[0], "State", 5) == 0) ||
	    (wl[0] == 5 && memcmp(w[0], "Netid", 5) == 0))
		return;
	struct ss_listen l = {0};
	if (nw < 5 || wl[0] != 6 || memcmp(w[0], "LISTEN", 6) != 0 || local_addr(w[3], wl[3], &l)) {
		bad(out, line, len);
		return;
	}
	if (nw >= 6 && wl[5] > 7 && memcmp(w[5], "users:(", 7) == 0)
		users(w[5], (size_t)(line + len - w[5]), &l);
	if (out->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		out->v = xrealloc(out->v, *cap * sizeof *out->v);
	}
	out->v[out->n++] = l;
}

int ss_parse(const char *text, size_t len, struct ss_list *out, char **err)
{
	size_t cap = 0;
	memset(out, 0, sizeof *out);
	if (len > SS_MAX_TEXT) {
		*err = xasprintf("ss output of %zu bytes is over the %u-byte limit", len, SS_MAX_TEXT);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len, l = e - i;
		if (l && text[i + l - 1] == '\r')
			l--;
		parse_line(text + i, l, out, &cap);
		i = e + 1;
	}
	return 0;
}

void ss_list_free(struct ss_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}
