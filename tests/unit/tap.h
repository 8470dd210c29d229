/* Minimal TAP producer for unit tests: each test binary prints a plan at the end. */
#ifndef V4_TAP_H
#define V4_TAP_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *file, int line, const char *what)
{
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, what);
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	return cond;
}

#define ok(cond, what) tap_ok(!!(cond), __FILE__, __LINE__, (what))
#define is_int(got, want, what) do { long long g_ = (got), w_ = (want); \
	if (!ok(g_ == w_, (what))) printf("#   got %lld, want %lld\n", g_, w_); } while (0)
#define is_str(got, want, what) do { const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && w_ && strcmp(g_, w_) == 0, (what))) \
		printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Reads a fixture file relative to the repository root, skipping a leading
 * "# source:" line as the reference samples carry. Caller frees. */
static inline char *fixture(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f) {
		printf("# cannot open fixture %s\n", path);
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = realloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (strncmp(buf, "# source:", 9) == 0) {
		char *nl = strchr(buf, '\n');
		size_t skip = nl ? (size_t)(nl - buf + 1) : n;
		memmove(buf, buf + skip, n - skip + 1);
		n -= skip;
	}
	if (len)
		*len = n;
	return buf;
}
#endif
