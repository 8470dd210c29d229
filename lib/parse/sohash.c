/* The binaries query: package lines, sha256sum lines, "end". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sohash.h"
#include "util.h"

/* 1 when l starts with 64 lower-case hex digits and the sha256sum separator
 * (a space, then ' ' for text mode or '*' for binary mode). */
static int hash_line(const char *l, size_t n)
{
	if (n < 67)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((l[i] >= '0' && l[i] <= '9') || (l[i] >= 'a' && l[i] <= 'f')))
			return 0;
	return l[64] == ' ' && (l[65] == ' ' || l[65] == '*');
}

/* 1 when the n bytes at s are printable and free of NUL. */
static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Takes "package NAME VERSION|missing" into a new package of s; -1 if malformed. */
static int add_pkg(struct v4_sohash *s, const char *l, size_t n)
{
	const char *name = l + 8, *sp = memchr(name, ' ', n - 8);
	if (!sp || sp == name || (size_t)(sp - name) >= sizeof s->pkg->name)
		return -1;
	size_t vn = n - (size_t)(sp + 1 - l);
	if (vn == 0 || vn >= sizeof s->pkg->version || memchr(sp + 1, ' ', vn))
		return -1;
	s->pkg = xrealloc(s->pkg, (s->npkg + 1) * sizeof *s->pkg);
	struct v4_sopkg *p = &s->pkg[s->npkg++];
	memset(p, 0, sizeof *p);
	memcpy(p->name, name, (size_t)(sp - name));
	if (vn == 7 && memcmp(sp + 1, "missing", 7) == 0)
		p->missing = 1;
	else
		memcpy(p->version, sp + 1, vn);
	return 0;
}

/* Takes a hash line into the last package; -1 if its path is empty or too long. */
static int add_file(struct v4_sohash *s, const char *l, size_t n)
{
	struct v4_sopkg *p = &s->pkg[s->npkg - 1];
	size_t pn = n - 66;
	if (pn == 0 || pn >= sizeof p->f->path || p->missing)
		return -1;
	p->f = xrealloc(p->f, (p->nf + 1) * sizeof *p->f);
	struct v4_sofile *f = &p->f[p->nf++];
	memcpy(f->hash, l, 64);
	f->hash[64] = '\0';
	memcpy(f->path, l + 66, pn);
	f->path[pn] = '\0';
	return 0;
}

int v4_parse_sohash(const char *text, size_t len, struct v4_sohash *out, char **err)
{
	size_t pos = 0, n, lineno = 0;
	const char *l;
	int ended = 0;
	memset(out, 0, sizeof *out);
	*err = NULL;
	while (next_line(text, len, &pos, &l, &n)) {
		lineno++;
		if (ended || !printable(l, n)) {
			*err = xasprintf("line %zu: %s", lineno, ended ? "text after \"end\"" : "not text");
			return -1;
		}
		int rc = -1;
		if (n == 3 && memcmp(l, "end", 3) == 0)
			ended = 1, rc = 0;
		else if (n > 8 && memcmp(l, "package ", 8) == 0)
			rc = add_pkg(out, l, n);
		else if (hash_line(l, n) && out->npkg)
			rc = add_file(out, l, n);
		if (rc != 0) {
			*err = xasprintf("line %zu not understood: %.*s", lineno, (int)(n < 60 ? n : 60), l);
			return -1;
		}
	}
	if (!ended) {
		*err = xstrdup(out->npkg ? "output cut: no closing \"end\" line"
					 : "not the binaries query's output (no package line)");
		return -1;
	}
	return 0;
}

void v4_sohash_free(struct v4_sohash *s)
{
	for (size_t i = 0; i < s->npkg; i++)
		free(s->pkg[i].f);
	free(s->pkg);
	memset(s, 0, sizeof *s);
}
