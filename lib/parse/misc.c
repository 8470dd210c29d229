/* key=value version files (driver/firmware version.info, CANN
 * ascend_toolkit_install.info) and version comparison (ascend-cli-formats.md
 * §1.12, §4, §7.14). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "parse_re.h"
#include "util.h"

/* Parses one "key=value" line into kv; 0 when the line is not one. */
static int kv_line(const char *line, size_t n, struct v4_kvs *kv)
{
	while (n && isspace((unsigned char)*line)) {
		line++;
		n--;
	}
	while (n && isspace((unsigned char)line[n - 1]))
		n--;
	const char *eq = memchr(line, '=', n);
	if (!n || line[0] == '#' || !eq || eq == line)
		return 0;
	for (const char *p = line; p < eq; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.'))
			return 0;
	v4_kvs_add(kv, line, (size_t)(eq - line), eq + 1, n - (size_t)(eq - line) - 1);
	return 1;
}

/* Parses key=value lines (version.info, ascend_toolkit_install.info). */
int v4_parse_kv_file(const char *text, size_t len, struct v4_kvs *kv, char **err)
{
	size_t pos = 0, n;
	const char *line;
	memset(kv, 0, sizeof *kv);
	if (!text || len == 0)
		return v4_parse_fail(err, "version file: empty");
	if (memchr(text, 0, len))
		return v4_parse_fail(err, "version file: contains NUL bytes (binary data)");
	while (next_line(text, len, &pos, &line, &n))
		kv_line(line, n, kv);
	if (kv->n == 0)
		return v4_parse_fail(err, "version file: no key=value lines");
	return 0;
}

/* One version component: kind (missing < rc < other text < number) and text. */
struct vcomp {
	int kind;       /* 0 missing, 1 rcN, 2 other text, 3 number */
	const char *s;  /* digits (number, rc) or the text */
	size_t n;
};

/* Reads the component at *p and advances past it and its '.'. */
static void vcomp_next(const char **p, struct vcomp *c)
{
	const char *s = *p ? *p : "";
	size_t n = strcspn(s, ".");
	size_t d = strspn(s, "0123456789");
	c->kind = n == 0 && !*s ? 0 : 2;
	c->s = s;
	c->n = n;
	if (n && d == n)
		c->kind = 3;
	else if (n >= 2 && strncasecmp(s, "rc", 2) == 0 && strspn(s + 2, "0123456789") == n - 2) {
		c->kind = 1;
		c->s = s + 2;
		c->n = n - 2;
	}
	*p = s[n] == '.' ? s + n + 1 : s + n;
}

/* Compares two digit strings numerically (any length). */
static int num_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an > 1 && *a == '0') {
		a++;
		an--;
	}
	while (bn > 1 && *b == '0') {
		b++;
		bn--;
	}
	if (an != bn)
		return an < bn ? -1 : 1;
	int r = an ? memcmp(a, b, an) : 0;
	return (r > 0) - (r < 0);
}

/* Compares two components of the same kind. */
static int vcomp_cmp(const struct vcomp *a, const struct vcomp *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == 1 || a->kind == 3)
		return num_cmp(a->s, a->n, b->s, b->n);
	size_t m = a->n < b->n ? a->n : b->n;
	int r = m ? strncasecmp(a->s, b->s, m) : 0;
	if (r == 0 && a->n != b->n)
		r = a->n < b->n ? -1 : 1;
	return (r > 0) - (r < 0);
}

/* Compares version strings component-wise (see parse.h). */
int v4_version_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	while (*a || *b) {
		struct vcomp ca, cb;
		vcomp_next(&a, &ca);
		vcomp_next(&b, &cb);
		int r = vcomp_cmp(&ca, &cb);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the cause of a tool's failure ---- */

/* 1 for lines a driver library prints that are not a cause by themselves
 * (ascend-cli-formats.md §2.1: DrvMngGetConsoleLogLevel precedes valid
 * output too). */
static int noise_line(const char *l, size_t n)
{
	static const char *const noise[] = {"DrvMngGetConsoleLogLevel failed"};
	for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
		if (n >= strlen(noise[i]) && strncmp(l, noise[i], strlen(noise[i])) == 0)
			return 1;
	return 0;
}

/* 1 when the line reads like a cause (an error, a failure, a return code). */
static int cause_words(const char *l, size_t n)
{
	static const char *const words[] = {"ret is", "failed", "rror", "No such", "not found",
					    "denied", "annot ", "not permitted", "refused"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (memmem(l, n, words[i], strlen(words[i])))
			return 1;
	return 0;
}

/* Trims blanks around line (n bytes) in place of the pointers. */
static void trim_span(const char **l, size_t *n)
{
	while (*n && isspace((unsigned char)**l)) {
		(*l)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*l)[*n - 1]))
		(*n)--;
}

char *v4_cause_line(const char *text, size_t len)
{
	const char *line, *first = NULL, *plain = NULL, *cause = NULL;
	size_t pos = 0, n, nf = 0, np = 0, nc = 0;
	while (text && next_line(text, len, &pos, &line, &n)) {
		trim_span(&line, &n);
		if (!n)
			continue;
		if (!first)
			first = line, nf = n;
		if (noise_line(line, n))
			continue;
		if (!plain)
			plain = line, np = n;
		if (!cause && cause_words(line, n))
			cause = line, nc = n;
	}
	const char *l = cause ? cause : plain ? plain : first;
	size_t k = cause ? nc : plain ? np : nf;
	return l ? xstrndup(l, k > 200 ? 200 : k) : xstrdup("");
}

char *v4_excerpt(const char *text, size_t len, size_t max)
{
	struct sbuf b = {0};
	const char *line;
	size_t pos = 0, n;
	sbuf_adds(&b, "");
	while (text && b.len <= max && next_line(text, len, &pos, &line, &n)) {
		trim_span(&line, &n);
		if (!n)
			continue;
		if (b.len)
			sbuf_adds(&b, " / ");
		for (size_t i = 0; i < n && b.len <= max; i++) {
			int blank = line[i] == ' ' || line[i] == '\t';
			if (blank && i && (line[i - 1] == ' ' || line[i - 1] == '\t'))
				continue; /* runs of blanks as one space */
			sbuf_add(&b, blank ? " " : (unsigned char)line[i] < 0x20 || line[i] == 0x7f ? "?" : line + i, 1);
		}
	}
	if (b.len > max) { /* at most max bytes, then " ..." */
		b.len = max;
		b.s[max] = 0;
		sbuf_adds(&b, " ...");
	}
	return sbuf_take(&b);
}
