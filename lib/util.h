/* Small allocation, string and buffer helpers. Allocation failure aborts. */
#ifndef V4_UTIL_H
#define V4_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define V4_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);                 /* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grows *v (of *cap elements of size sz) so that it holds at least need. */
void grow(void *vp, size_t *cap, size_t need, size_t sz);

/* A growing byte buffer, always NUL-terminated once anything was added. */
struct sbuf {
	char *s;
	size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *p, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sbuf_take(struct sbuf *b);              /* caller owns the result; b is reset */
void sbuf_free(struct sbuf *b);

/* Iterates over the lines of text[0..len): returns 1 and sets *line and *n
 * (without the newline or a trailing CR) while lines remain. *pos starts at 0. */
int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n);

/* 1 when s is in the NULL-terminated list (a NULL list is empty). */
int str_in_list(char *const *list, const char *s);

/* 1 when s starts with prefix. */
int starts_with(const char *s, const char *prefix);

/* Reads a whole file (at most max bytes; more gives -1 and errno EFBIG). Caller owns *out. */
int read_file(const char *path, size_t max, char **out, size_t *len);

/* Writes data to path atomically (temp file in the same folder, then rename). */
int write_file_atomic(const char *path, const char *data, size_t len, int mode);

/* Monotonic milliseconds. */
double now_ms(void);
/* Wall-clock seconds since the epoch. */
double epoch_s(void);

/* Base64 (RFC 4648) of p[0..n). Caller frees. */
char *base64_encode(const char *p, size_t n);
/* Decodes base64 s into *out (NUL-terminated, caller frees); -1 when malformed. */
int base64_decode(const char *s, char **out, size_t *n);

/* Quotes s for a POSIX shell: the result is one single-quoted word. Caller owns it. */
char *shell_quote(const char *s);

#endif
