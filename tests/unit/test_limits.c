/* Unit tests for the /proc/PID/limits parser (lib/parse/limits.c). */
#include <string.h>

#include "proclimits.h"
#include "tap.h"
#include "util.h"

/* The captured real file (fixtures/parse), its # source: line dropped. */
static void test_fixture(void)
{
	char *text = NULL, *err = NULL;
	size_t len = 0;
	struct proc_limits l;
	const char *path = "fixtures/parse/proc-limits.debian12.txt";
	ok(read_file(path, LIMITS_MAX_TEXT, &text, &len) == 0, path);
	if (!text)
		return;
	ok(strncmp(text, "# source:", 9) == 0, "fixture names its source");
	ok(proc_limits_parse(text, len, &l, &err) == 0, "fixture parses");
	is_int(l.nofile_soft, 20000, "open files soft");
	is_int(l.nofile_hard, 20000, "open files hard");
	is_int(l.memlock_soft, 8388608, "locked memory soft (bytes)");
	free(text);
	free(err);
}

/* unlimited, a missing line, a line without values, CRLF-free junk. */
static void test_shapes(void)
{
	struct proc_limits l;
	char *err = NULL;
	const char *t = "Limit                     Soft Limit           Hard Limit           Units     \n"
			"Max open files            1024                 1048576              files     \n"
			"Max locked memory         unlimited            unlimited            bytes     \n"
			"Max nice priority         0                    0                    \n";
	ok(proc_limits_parse(t, strlen(t), &l, &err) == 0, "unlimited memlock parses");
	ok(l.nofile_soft == 1024 && l.nofile_hard == 1048576, "1024 soft, 1048576 hard");
	ok(l.memlock_soft == LIMITS_UNLIMITED && l.memlock_hard == LIMITS_UNLIMITED, "unlimited");
	const char *u = "Max open files            1024                 1048576              files\n";
	ok(proc_limits_parse(u, strlen(u), &l, &err) == -1 && err, "no locked memory line: error");
	free(err), err = NULL;
	const char *v = "Max open files            lots                 1048576              files\n"
			"Max locked memory         65536                65536                bytes\n";
	ok(proc_limits_parse(v, strlen(v), &l, &err) == -1 && err, "a value that is no number: error");
	free(err), err = NULL;
	ok(proc_limits_parse("", 0, &l, &err) == -1, "empty: error");
	free(err);
}

int main(void)
{
	test_fixture();
	test_shapes();
	return tap_done();
}
