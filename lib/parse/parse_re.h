/* Internal helpers shared by the parse_*.c files: PCRE2 patterns compiled once
 * (read-only afterwards, so shareable between threads) and error strings. */
#ifndef V4_PARSE_RE_H
#define V4_PARSE_RE_H

#include <stddef.h>
#include <stdint.h>

#define V4_RE_MAXCAP 8 /* capture groups a caller may ask for */

struct v4_re {
	const char *pat; /* PCRE2 pattern */
	uint32_t opts;   /* PCRE2_CASELESS ... */
	void *code;      /* pcre2_code *, set by v4_re_compile_all */
};

/* Compiles every pattern of res[0..n) once; aborts on a bad pattern (a bug). */
void v4_re_compile_all(struct v4_re *res, size_t n);

/* Matches re in s[0..n); on a match fills ov[2*g], ov[2*g+1] (start, end) for
 * groups 0..ncap-1 (unset groups get start == end == (size_t)-1); 1 if matched. */
int v4_re_match(const struct v4_re *re, const char *s, size_t n, size_t *ov, int ncap);

/* Copies group g of a match into dst (at most dsz-1 bytes, always terminated);
 * returns 0 when the group is unset (dst becomes ""). */
int v4_re_group(const char *s, const size_t *ov, int g, char *dst, size_t dsz);

/* Sets *err (when err is non-NULL) to a formatted message and returns -1. */
int v4_parse_fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies s[0..n) into dst (size dsz), truncating; always NUL-terminates. */
void v4_copy(char *dst, size_t dsz, const char *s, size_t n);

/* Trims ASCII whitespace at both ends of s in place; returns s advanced. */
char *v4_trim(char *s);

/* Parses all of s as a base-10 long (optional leading '-'); 0 on success. */
int v4_parse_long(const char *s, long *v);

#endif
