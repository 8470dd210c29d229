/* The binaries query of the `binaries` check: for each package a line
 * "package NAME VERSION" ("package NAME missing"), then one line per shared
 * object in the format of GNU coreutils sha256sum ("HEX  PATH", PATH relative
 * to site-packages), and a closing "end" line. */
#ifndef V4_SOHASH_H
#define V4_SOHASH_H

#include <stddef.h>

struct v4_sofile {
	char path[256]; /* relative to site-packages: "torch_npu/lib/libtorch_npu.so" */
	char hash[65];  /* 64 lower-case hex digits */
};

struct v4_sopkg {
	char name[32];
	char version[64]; /* "" when missing */
	int missing;
	struct v4_sofile *f;
	size_t nf;
};

struct v4_sohash {
	struct v4_sopkg *pkg;
	size_t npkg;
};

/* Parses the query's output. 0, or -1 with *err (caller frees) when a line is
 * not of the format, a hash comes before any package, or "end" is missing
 * (cut output). Free with v4_sohash_free either way. */
int v4_parse_sohash(const char *text, size_t len, struct v4_sohash *out, char **err);
void v4_sohash_free(struct v4_sohash *s);

#endif
