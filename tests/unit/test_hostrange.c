/* Unit tests for host range expansion and folding. */
#include <stdlib.h>
#include <string.h>

#include "hostrange.h"
#include "tap.h"
#include "util.h"

/* Expands spec and compares with the space-separated want; "ERR" wants an error. */
static void expands(const char *spec, const char *want)
{
	char **h = NULL, *err = NULL;
	size_t n = 0;
	struct sbuf b = {0};
	int rc = v4_hostrange_expand(spec, &h, &n, &err);
	if (rc < 0) {
		sbuf_adds(&b, "ERR");
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i)
			sbuf_adds(&b, " ");
		sbuf_adds(&b, h[i]);
	}
	char *what = xasprintf("expand '%s'", spec);
	char *got = sbuf_take(&b);
	is_str(got, want, what);
	if (rc < 0)
		printf("#   error: %s\n", err);
	free(got);
	free(what);
	free(err);
	v4_hostrange_free(h, n);
}

/* Folds the expansion of spec and checks the fold and that it expands back. */
static void folds(const char *spec, const char *want)
{
	char **h = NULL, **h2 = NULL, *err = NULL;
	size_t n = 0, n2 = 0;
	if (v4_hostrange_expand(spec, &h, &n, &err) < 0) {
		ok(0, spec);
		free(err);
		return;
	}
	char *f = v4_hostrange_fold(h, n);
	char *what = xasprintf("fold '%s'", spec);
	is_str(f, want, what);
	int same = v4_hostrange_expand(f, &h2, &n2, &err) == 0 && n2 == n;
	for (size_t i = 0; same && i < n; i++)
		same = !strcmp(h[i], h2[i]);
	free(what);
	what = xasprintf("round trip '%s'", spec);
	ok(same, what);
	free(what);
	free(f);
	free(err);
	v4_hostrange_free(h, n);
	v4_hostrange_free(h2, n2);
}

/* Checks the exclude variant. */
static void test_exclude(void)
{
	char **h = NULL, *err = NULL;
	size_t n = 0;
	ok(v4_hostrange_expand_exclude("node[1-6]", "node[2,4-5]", &h, &n, &err) == 0, "exclude ok");
	char *f = v4_hostrange_fold(h, n);
	is_str(f, "node[1,3,6]", "exclude removes hosts");
	free(f);
	v4_hostrange_free(h, n);
	ok(v4_hostrange_expand_exclude("a,b", "c[", &h, &n, &err) < 0 && err, "bad exclude is an error");
	free(err);
	err = NULL;
	ok(v4_hostrange_expand_exclude("a,b", NULL, &h, &n, &err) == 0 && n == 2, "no exclude");
	v4_hostrange_free(h, n);
}

/* A big range is capped. */
static void test_limits(void)
{
	char **h = NULL, *err = NULL;
	size_t n = 0;
	ok(v4_hostrange_expand("n[1-100000]", &h, &n, &err) == 0 && n == 100000, "100000 hosts ok");
	is_str(h ? h[99999] : NULL, "n100000", "last of 100000");
	v4_hostrange_free(h, n);
	ok(v4_hostrange_expand("n[1-100001]", &h, &n, &err) < 0 && err, "100001 hosts refused");
	free(err);
	err = NULL;
	ok(v4_hostrange_expand("a[1-1000]b[1-1000]", &h, &n, &err) < 0 && err, "cartesian cap");
	free(err);
	err = NULL;
	ok(v4_hostrange_expand("n[1-99999999999]", &h, &n, &err) < 0 && err, "huge number refused");
	free(err);
}

/* Runs every host range check. */
int main(void)
{
	expands("node1", "node1");
	expands("node1,node2", "node1 node2");
	expands("node[01-04]", "node01 node02 node03 node04");
	expands("node[1-3,7]", "node1 node2 node3 node7");
	expands("node[08-11]", "node08 node09 node10 node11");
	expands("node[1-10/3]", "node1 node4 node7 node10");
	expands("198.18.0.[11-14]", "198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14");
	expands("r[1-2]n[1-2]", "r1n1 r1n2 r2n1 r2n2");
	expands("r[1-2]n[1-2]-ib", "r1n1-ib r1n2-ib r2n1-ib r2n2-ib");
	expands(" node[1 - 2 ] ,  gpu[3] ", "node1 node2 gpu3");
	expands("a b\tc", "a b c");
	expands("n[3,1,2]", "n3 n1 n2");
	expands("n[1-3],n2,n[2-4]", "n1 n2 n3 n4");
	expands("n[07]", "n07");
	expands("n[a,b]", "na nb");
	expands("", "");
	expands(",,", "");
	expands("node[1-3", "ERR");
	expands("node1-3]", "ERR");
	expands("node[[1-3]]", "ERR");
	expands("node[3-1]", "ERR");
	expands("node[1-]", "ERR");
	expands("node[]", "ERR");
	expands("node[1,,2]", "ERR");
	expands("node[1-2/0]", "ERR");
	expands("node[x-y]", "ERR");
	expands("node[1-200000]", "ERR");
	test_limits();
	test_exclude();
	folds("node[1-2,4]", "node[1-2,4]");
	folds("node1,node2,node4", "node[1-2,4]");
	folds("node[01-04]", "node[01-04]");
	folds("node[08-11]", "node[08-11]");
	folds("node[8-11]", "node[8-11]");
	folds("node[1-3,07]", "node[1-3,07]");
	folds("198.18.0.[11-14]", "198.18.0.[11-14]");
	folds("r[1-2]n[1-2]", "r1n[1-2],r2n[1-2]");
	folds("a,b,c", "a,b,c");
	folds("n3,n1,n2", "n[3,1-2]");
	folds("n1,m1,n2", "n1,m1,n2");
	folds("gpu1-ib,gpu2-ib", "gpu[1-2]-ib");
	folds("single7", "single7");
	char *empty = v4_hostrange_fold(NULL, 0);
	is_str(empty, "", "fold of nothing");
	free(empty);
	return tap_done();
}
