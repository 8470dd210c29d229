/* Unit tests for the binaries query parser (lib/parse/sohash.c). */
#include <stdlib.h>
#include <string.h>

#include "sohash.h"
#include "tap.h"

#define FX "fixtures/parse/"
#define H64 "c9e1131143c9767072278f66aa6b481c1cad8cb9a766b70be6652126e7d784df"

/* Parses text; returns the parser's status (s freed). */
static int parse(const char *text)
{
	char *err = NULL;
	struct v4_sohash s;
	int rc = v4_parse_sohash(text, strlen(text), &s, &err);
	if (err)
		printf("# err: %s\n", err);
	free(err);
	v4_sohash_free(&s);
	return rc;
}

/* The fixture: two packages, their files and hashes in order. */
static void test_fixture(void)
{
	size_t len = 0;
	char *t = fixture(FX "sohash.coreutils-sha256sum.txt", &len), *err = NULL;
	struct v4_sohash s;
	is_int(t ? v4_parse_sohash(t, len, &s, &err) : -2, 0, "fixture: parses");
	is_int((int)s.npkg, 2, "fixture: two packages");
	if (s.npkg == 2) {
		is_str(s.pkg[0].name, "vllm_ascend", "fixture: first package");
		is_str(s.pkg[0].version, "0.21.0rc1", "fixture: its version");
		is_int((int)s.pkg[0].nf, 2, "fixture: vllm_ascend has two .so");
		is_str(s.pkg[1].f[1].path, "torch_npu/lib/libtorch_npu.so", "fixture: torch_npu lib path");
		is_str(s.pkg[1].f[1].hash, H64, "fixture: its hash");
	}
	v4_sohash_free(&s);
	free(t);
	free(err);
}

/* Missing packages, binary mode, CRLF; cut, empty, foreign and malformed texts. */
static void test_edges(void)
{
	char *err = NULL;
	struct v4_sohash s;
	const char *t = "package vllm_ascend missing\r\npackage torch_npu 2.10.0\r\n" H64 " *torch_npu/x.so\r\nend\r\n";
	is_int(v4_parse_sohash(t, strlen(t), &s, &err), 0, "missing, binary mode, CRLF: parse");
	is_int(s.pkg[0].missing, 1, "missing package flagged");
	is_str(s.pkg[1].f[0].path, "torch_npu/x.so", "binary-mode line: path");
	v4_sohash_free(&s);
	is_int(parse("package torch_npu 2.10.0\n" H64 "  torch_npu/x.so\n"), -1, "cut before end");
	is_int(parse(""), -1, "empty");
	is_int(parse("end\n"), 0, "no package at all but closed: parses (nothing installed)");
	is_int(parse(H64 "  x.so\nend\n"), -1, "hash before any package");
	is_int(parse("package vllm_ascend missing\n" H64 "  x.so\nend\n"), -1, "file of a missing package");
	is_int(parse("package torch_npu 2.10.0\n" H64 "  \nend\n"), -1, "empty path");
	is_int(parse("package torch_npu 2.10.0\n" "16D0393C699EB06FDDBEF2639A2EFE0D21A8DE533E0ACA8661FC8BEFE2F7C950  x.so\nend\n"),
	       -1, "upper-case hex is not sha256sum's");
	is_int(parse("package torch_npu\nend\n"), -1, "package line without version");
	is_int(parse("package torch_npu 2.10 .0\nend\n"), -1, "version with a space");
	is_int(parse("Traceback (most recent call last):\n  File \"<string>\", line 1\nend\n"), -1,
	       "a Python traceback");
	is_int(parse("end\npackage torch_npu 2.10.0\n"), -1, "text after end");
	is_int(parse("package torch_npu 2.10.0\n\nend\n"), -1, "blank line");
}

int main(void)
{
	test_fixture();
	test_edges();
	return tap_done();
}
