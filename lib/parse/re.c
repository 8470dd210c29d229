/* PCRE2 wrappers and small string helpers for the Ascend output parsers. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_re.h"
#include "util.h"

/* Compiles each pattern; callers run this under pthread_once. */
void v4_re_compile_all(struct v4_re *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ec;
		PCRE2_SIZE off;
		res[i].code = pcre2_compile((PCRE2_SPTR)res[i].pat, PCRE2_ZERO_TERMINATED,
					    res[i].opts, &ec, &off, NULL);
		if (!res[i].code) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof msg);
			fprintf(stderr, "v4check: bad pattern %s at %zu: %s\n", res[i].pat,
				(size_t)off, (char *)msg);
			abort();
		}
	}
}

/* Runs one match with its own match data (so it is thread-safe). */
int v4_re_match(const struct v4_re *re, const char *s, size_t n, size_t *ov, int ncap)
{
	pcre2_match_data *md = pcre2_match_data_create(V4_RE_MAXCAP + 1, NULL);
	if (!md)
		abort();
	int rc = pcre2_match((const pcre2_code *)re->code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	if (rc > 0 && ov) {
		PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
		uint32_t have = pcre2_get_ovector_count(md);
		for (int g = 0; g < ncap && g <= V4_RE_MAXCAP; g++) {
			int set = g < rc && (uint32_t)g < have && v[2 * g] != PCRE2_UNSET;
			ov[2 * g] = set ? v[2 * g] : (size_t)-1;
			ov[2 * g + 1] = set ? v[2 * g + 1] : (size_t)-1;
		}
	}
	pcre2_match_data_free(md);
	return rc > 0;
}

/* Copies a captured group into a fixed buffer. */
int v4_re_group(const char *s, const size_t *ov, int g, char *dst, size_t dsz)
{
	if (ov[2 * g] == (size_t)-1) {
		if (dsz)
			dst[0] = 0;
		return 0;
	}
	v4_copy(dst, dsz, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	return 1;
}

/* Formats an error for the caller and returns -1. */
int v4_parse_fail(char **err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		*err = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Bounded copy that always terminates. */
void v4_copy(char *dst, size_t dsz, const char *s, size_t n)
{
	if (!dsz)
		return;
	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* In-place trim of spaces, TABs, CR and LF. */
char *v4_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Strict decimal long parse. */
int v4_parse_long(const char *s, long *v)
{
	char *end;
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	long x = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}
