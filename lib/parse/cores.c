/* coredumpctl list's rows, and the logs check's core probe around them. */
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cores.h"
#include "util.h"

#define MAX_TOK 64

/* Splits line[0..n) at blanks into tok (pointers into buf, a NUL-split copy
 * of at most bsize bytes); returns the count, -1 when there are too many. */
static int split(const char *line, size_t n, char *buf, size_t bsize, char **tok)
{
	int nt = 0;
	if (n >= bsize)
		n = bsize - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	for (char *p = buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (nt == MAX_TOK)
			return -1;
		tok[nt++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return nt;
}

/* 1 when s is all digits (1..12 of them). */
static int digits(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* 1 when s is a weekday as coredumpctl prints it (three letters). */
static int weekday(const char *s)
{
	static const char *const d[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	for (size_t i = 0; i < V4_ARRAY_LEN(d); i++)
		if (strcmp(s, d[i]) == 0)
			return 1;
	return 0;
}

/* Reads "YYYY-MM-DD" and "HH:MM:SS" into tm; 0 or -1. */
static int date_time(const char *d, const char *t, struct tm *tm)
{
	int y, mo, da, h, mi, se;
	char end;
	if (strlen(d) != 10 || strlen(t) != 8 ||
	    sscanf(d, "%4d-%2d-%2d%c", &y, &mo, &da, &end) != 3 ||
	    sscanf(t, "%2d:%2d:%2d%c", &h, &mi, &se, &end) != 3)
		return -1;
	if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return -1;
	memset(tm, 0, sizeof *tm);
	tm->tm_year = y - 1900, tm->tm_mon = mo - 1, tm->tm_mday = da;
	tm->tm_hour = h, tm->tm_min = mi, tm->tm_sec = se;
	return 0;
}

/* 1 when s is a time zone abbreviation or offset ("UTC", "CEST", "+08"). */
static int zone(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-')
			return 0;
	return 1;
}

/* 1 when s is a signal as coredumpctl prints it: SIGNAME or a number. */
static int signal_word(const char *s)
{
	if (digits(s) && strlen(s) <= 3)
		return 1;
	if (strncmp(s, "SIG", 3) != 0 || strlen(s) < 4 || strlen(s) > 12)
		return 0;
	for (const char *p = s + 3; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '+')
			return 0;
	return 1;
}

/* 1 when s is a COREFILE value of coredumpctl. */
static int corefile_word(const char *s)
{
	static const char *const w[] = {"present", "missing", "none",      "journal",
					"error",   "inaccessible", "truncated", "-"};
	for (size_t i = 0; i < V4_ARRAY_LEN(w); i++)
		if (strcmp(s, w[i]) == 0)
			return 1;
	return 0;
}

/* 1 when s is a SIZE value: "-", or a number with an optional fraction and
 * unit ("18.1K", "133.3M", "512B", "4.0G"). */
static int size_word(const char *s)
{
	const char *p = s;
	if (strcmp(s, "-") == 0)
		return 1;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p && strchr("BKMGTPE", *p))
		p++;
	return *p == '\0' && p - s <= 12;
}

/* Copies s into dst (size bytes, cut). */
static void put(char *dst, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Parses one row; 0, or -1 when line is no row. */
static int parse_row(const char *line, size_t n, struct v4_coredump *d)
{
	char buf[2048], *t[MAX_TOK];
	struct tm tm;
	int nt = split(line, n, buf, sizeof buf, t);
	if (nt < 10 || !weekday(t[0]) || date_time(t[1], t[2], &tm) != 0 || !zone(t[3]) ||
	    !digits(t[4]) || !digits(t[5]) || !digits(t[6]) || !signal_word(t[7]) ||
	    !corefile_word(t[8]))
		return -1;
	memset(d, 0, sizeof *d);
	snprintf(d->time, sizeof d->time, "%s %s %s %s", t[0], t[1], t[2], t[3]);
	d->t = strcmp(t[3], "UTC") == 0 ? timegm(&tm) : 0;
	d->pid = strtol(t[4], NULL, 10);
	d->uid = strtol(t[5], NULL, 10);
	d->gid = strtol(t[6], NULL, 10);
	put(d->sig, sizeof d->sig, t[7]);
	put(d->corefile, sizeof d->corefile, t[8]);
	int last = nt - 1;
	if (nt >= 11 && size_word(t[last]))
		put(d->size, sizeof d->size, t[last--]);
	/* the EXE: the words between COREFILE and SIZE, one blank apart */
	struct sbuf e = {0};
	for (int i = 9; i <= last; i++) {
		if (i > 9)
			sbuf_add(&e, " ", 1);
		sbuf_adds(&e, t[i]);
	}
	char *exe = sbuf_take(&e);
	put(d->exe, sizeof d->exe, exe);
	free(exe);
	return 0;
}

/* 1 when line is coredumpctl's header ("TIME ... PID UID GID SIG"). */
static int header(const char *line, size_t n)
{
	char buf[512], *t[MAX_TOK];
	int nt = split(line, n, buf, sizeof buf, t);
	return nt >= 7 && strcmp(t[0], "TIME") == 0 && strcmp(t[1], "PID") == 0 &&
	       strcmp(t[2], "UID") == 0 && strcmp(t[3], "GID") == 0 && strcmp(t[4], "SIG") == 0;
}

/* 1 when line is coredumpctl's empty answer. */
static int no_coredumps(const char *line, size_t n)
{
	return n == 19 && memcmp(line, "No coredumps found.", 19) == 0;
}

int v4_parse_coredumpctl_list(const char *text, size_t len, struct v4_coredump *out,
			      size_t cap, size_t *n, size_t *all, int *none, char **err)
{
	size_t pos = 0, ln;
	const char *l;
	int lines = 0;
	*n = *all = 0;
	*none = 0;
	while (next_line(text, len, &pos, &l, &ln)) {
		struct v4_coredump d;
		lines++;
		if (lines == 1 && header(l, ln))
			continue;
		if (no_coredumps(l, ln) && *all == 0) {
			*none = 1;
			continue;
		}
		if (*none || parse_row(l, ln, &d) != 0) {
			*err = xasprintf("line %d is not a coredumpctl list row: %.*s", lines,
					 (int)(ln < 80 ? ln : 80), l);
			return -1;
		}
		if (*n < cap)
			out[(*n)++] = d;
		(*all)++;
	}
	if (!*all && !*none) {
		*err = xstrdup("no coredumpctl list row");
		return -1;
	}
	return 0;
}

enum v4_core_handler v4_core_pattern_kind(const char *p, char *prog, size_t size)
{
	prog[0] = '\0';
	if (!*p)
		return V4_CORE_EMPTY;
	if (*p != '|')
		return V4_CORE_FILE;
	p++;
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, " \t");
	snprintf(prog, size, "%.*s", (int)n, p);
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	return strcmp(base, "systemd-coredump") == 0 ? V4_CORE_SYSTEMD : V4_CORE_PIPE;
}

int v4_core_exe_engine(const char *exe)
{
	const char *b = strrchr(exe, '/');
	b = b ? b + 1 : exe;
	return strncmp(b, "python", 6) == 0 || strncmp(b, "VLLM::", 6) == 0;
}

/* The section of the probe's output a line is in. */
enum section { S_HEAD, S_LIST, S_FILES, S_DONE };

/* A "v4cores WORD..." line of l[0..n) with its prefix dropped, or NULL. */
static const char *frame(const char *l, size_t n, char *buf, size_t size)
{
	if (n < 8 || memcmp(l, "v4cores ", 8) != 0)
		return NULL;
	snprintf(buf, size, "%.*s", (int)(n - 8), l + 8);
	return buf;
}

/* Reads "v4cores file MTIME SIZE NAME" (MTIME as find's %T@); 0 or -1. */
static int parse_file(const char *s, struct v4_corefile *f)
{
	long long mt, sz;
	int off = 0;
	if (sscanf(s, "file %lld%*[.0-9] %lld %n", &mt, &sz, &off) != 2 &&
	    sscanf(s, "file %lld %lld %n", &mt, &sz, &off) != 2)
		return -1;
	if (off == 0 || !s[off] || mt < 0 || sz < 0)
		return -1;
	f->mtime = (time_t)mt;
	f->size = sz;
	put(f->name, sizeof f->name, s + off);
	return 0;
}

/* Keeps the first line the listing printed that is none of its rows
 * (control bytes as '?'). */
static void note_err(struct v4_cores *c, const char *l, size_t n)
{
	if (c->listing_err[0])
		return;
	snprintf(c->listing_err, sizeof c->listing_err, "%.*s", (int)(n < 190 ? n : 190), l);
	for (char *p = c->listing_err; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
}

/* Notes line l of the listing (a row, the empty answer, or something else). */
static void list_line(struct v4_cores *c, const char *l, size_t n)
{
	struct v4_coredump d;
	if (no_coredumps(l, n)) {
		c->none = 1;
	} else if (parse_row(l, n, &d) == 0) {
		if (c->ndump < V4_CORES_MAX)
			c->dump[c->ndump++] = d;
		c->ndump_all++;
	} else {
		note_err(c, l, n);
	}
}

/* Reads a framing line s in section *sec; 0 or -1 with *err. */
static int frame_line(struct v4_cores *c, const char *s, enum section *sec, char **err)
{
	long long v;
	if (strcmp(s, "end") == 0) {
		c->complete = 1;
		*sec = S_DONE;
	} else if (strncmp(s, "pattern ", 8) == 0 && *sec == S_HEAD) {
		put(c->pattern, sizeof c->pattern, s + 8);
		c->kind = v4_core_pattern_kind(c->pattern, c->handler, sizeof c->handler);
	} else if (strcmp(s, "pattern") == 0 && *sec == S_HEAD) {
		c->kind = V4_CORE_EMPTY;
	} else if (strcmp(s, "coredumpctl") == 0 && *sec == S_HEAD) {
		*sec = S_LIST;
	} else if (strcmp(s, "coredumpctl missing") == 0 && *sec == S_HEAD) {
		c->no_coredumpctl = 1;
	} else if (strcmp(s, "files no-process") == 0 && *sec == S_HEAD) {
		c->no_process = 1;
	} else if (strncmp(s, "files dir=", 10) == 0 && *sec == S_HEAD) {
		put(c->dir, sizeof c->dir, s + 10);
		*sec = S_FILES;
	} else if (strncmp(s, "file ", 5) == 0 && *sec == S_FILES) {
		struct v4_corefile f;
		if (parse_file(s, &f) != 0) {
			*err = xasprintf("a file line not understood: %.80s", s);
			return -1;
		}
		if (c->nfile < V4_CORES_MAX)
			c->file[c->nfile++] = f;
		c->nfile_all++;
	} else if (sscanf(s, "rc %lld", &v) == 1 && (*sec == S_LIST || *sec == S_FILES) &&
		   v >= 0 && v < 256) {
		c->rc = (int)v;
	} else if (sscanf(s, "more %lld", &v) == 1 && (*sec == S_LIST || *sec == S_FILES) &&
		   v >= 0) {
		c->more = (size_t)v;
	} else {
		*err = xasprintf("a v4cores line out of place: %.80s", s);
		return -1;
	}
	return 0;
}

int v4_parse_cores(const char *text, size_t len, struct v4_cores *c, char **err)
{
	size_t pos = 0, n;
	const char *l;
	char buf[512];
	enum section sec = S_HEAD;
	long long since;
	memset(c, 0, sizeof *c);
	c->rc = -1;
	c->kind = V4_CORE_EMPTY;
	if (!next_line(text, len, &pos, &l, &n) || !frame(l, n, buf, sizeof buf) ||
	    sscanf(buf, "since=%lld", &since) != 1 || since < 0) {
		*err = xstrdup("not the core probe's output (no \"v4cores since=\" line first)");
		return -1;
	}
	c->since = since;
	int have_pattern = 0;
	while (next_line(text, len, &pos, &l, &n)) {
		const char *s = frame(l, n, buf, sizeof buf);
		if (sec == S_DONE) {
			*err = xstrdup("lines after \"v4cores end\"");
			return -1;
		}
		if (!s && sec == S_LIST) {
			list_line(c, l, n);
			continue;
		}
		if (!s && sec == S_FILES) { /* find's own complaint */
			note_err(c, l, n);
			continue;
		}
		if (!s) {
			*err = xasprintf("a line outside the probe's sections: %.*s",
					 (int)(n < 80 ? n : 80), l);
			return -1;
		}
		have_pattern |= starts_with(s, "pattern");
		if (frame_line(c, s, &sec, err) != 0)
			return -1;
	}
	if (c->complete && !have_pattern) {
		*err = xstrdup("no core_pattern line");
		return -1;
	}
	return 0;
}
