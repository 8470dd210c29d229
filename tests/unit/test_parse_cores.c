/* Unit tests for the core probe's parser (lib/parse/cores.c): coredumpctl
 * list's real rows of fixtures/parse/coredumpctl-list.*.txt (with and
 * without the SIZE column), the probe's framed outputs
 * (fixtures/parse/logs-cores.*.txt) and the edge cases. */
#include <stdlib.h>
#include <string.h>

#include "cores.h"
#include "tap.h"

#define FX "fixtures/parse/"

static struct v4_coredump rows[V4_CORES_MAX];

/* Parses list fixture name; the parser's status (-2: no fixture). */
static int list_fx(const char *name, size_t *n, size_t *all, int *none)
{
	char path[256], *err = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, FX "%s", name);
	char *t = fixture(path, &len);
	int rc = t ? v4_parse_coredumpctl_list(t, len, rows, V4_CORES_MAX, n, all, none, &err) : -2;
	if (err)
		printf("# %s: %s\n", name, err);
	free(err);
	free(t);
	return rc;
}

/* Parses probe text into c. */
static int cores_txt(const char *text, size_t len, struct v4_cores *c)
{
	char *err = NULL;
	int rc = v4_parse_cores(text, len, c, &err);
	if (err)
		printf("# %s\n", err);
	free(err);
	return rc;
}

/* Parses probe fixture name into c. */
static int cores_fx(const char *name, struct v4_cores *c)
{
	char path[256];
	size_t len = 0;
	snprintf(path, sizeof path, FX "%s", name);
	char *t = fixture(path, &len);
	int rc = t ? cores_txt(t, len, c) : -2;
	free(t);
	return rc;
}

/* systemd >= 250: the SIZE column, a long EXE. */
static void test_size(void)
{
	size_t n, all;
	int none;
	is_int(list_fx("coredumpctl-list.myblackhole-size.txt", &n, &all, &none), 0, "SIZE: parses");
	is_int((int)n, 2, "SIZE: two rows");
	is_str(rows[0].time, "Thu 2024-04-04 08:36:36 CST", "SIZE: the time, four words");
	is_int((int)rows[0].pid, 89240, "SIZE: pid");
	is_str(rows[0].sig, "SIGSEGV", "SIZE: signal");
	is_str(rows[0].corefile, "present", "SIZE: corefile");
	is_str(rows[0].size, "32.7K", "SIZE: size");
	ok(strstr(rows[0].exe, "pg_waldump/pg_waldump") && !strstr(rows[0].exe, "32.7K"),
	   "SIZE: the exe without the size");
	is_int((int)rows[0].t, 0, "SIZE: a CST time is not turned into epoch");
	ok(!v4_core_exe_engine(rows[0].exe), "SIZE: pg_waldump is not the engine");
}

/* systemd 238: no SIZE column, signals as numbers. */
static void test_nosize(void)
{
	size_t n, all;
	int none;
	is_int(list_fx("coredumpctl-list.systemd-9004-nosize.txt", &n, &all, &none), 0,
	       "no SIZE: parses");
	is_int((int)n, 5, "no SIZE: five rows");
	is_str(rows[2].sig, "11", "no SIZE: signal number");
	is_str(rows[2].size, "", "no SIZE: no size");
	is_str(rows[2].exe, "/home/chris/.tor-browser/app/Browser/plugin-container", "no SIZE: exe");
	is_int((int)rows[2].uid, 1000, "no SIZE: uid");
}

/* The real coredumpctl 252 row of this suite's journal: UTC, python. */
static void test_debian(void)
{
	size_t n, all;
	int none;
	is_int(list_fx("coredumpctl-list.debian12-journal-remote.txt", &n, &all, &none), 0,
	       "debian 12: parses");
	is_int((int)rows[0].t, 1796194533, "debian 12: UTC time as epoch");
	is_str(rows[0].size, "-", "debian 12: size -");
	ok(v4_core_exe_engine(rows[0].exe), "debian 12: python3.11 is the engine's");
	ok(v4_core_exe_engine("VLLM::EngineCore"), "VLLM:: names are the engine's");
	ok(!v4_core_exe_engine("/usr/bin/sleep"), "sleep is not");
}

/* Edge cases of the list parser. */
static void test_list_edges(void)
{
	size_t n, all;
	int none;
	char *err = NULL;
	const char *no = "No coredumps found.\n";
	is_int(v4_parse_coredumpctl_list(no, strlen(no), rows, V4_CORES_MAX, &n, &all, &none, &err),
	       0, "empty answer parses");
	ok(none && n == 0, "empty answer: none");
	is_int(v4_parse_coredumpctl_list("", 0, rows, V4_CORES_MAX, &n, &all, &none, &err), -1,
	       "empty text is not a listing");
	free(err), err = NULL;
	const char *bad = "Wed 2026-12-02 06:55:33 UTC x 0 0 SIGSEGV missing /bin/a\n";
	is_int(v4_parse_coredumpctl_list(bad, strlen(bad), rows, V4_CORES_MAX, &n, &all, &none,
					 &err),
	       -1, "a pid that is no number: rejected");
	free(err), err = NULL;
	const char *cut = "Wed 2026-12-02 06:55:33 UTC 12 0 0 SIGSEGV\n";
	is_int(v4_parse_coredumpctl_list(cut, strlen(cut), rows, V4_CORES_MAX, &n, &all, &none,
					 &err),
	       -1, "a cut row: rejected");
	free(err);
}

/* The probe's framed outputs. */
static void test_probe(void)
{
	struct v4_cores c;
	is_int(cores_fx("logs-cores.systemd-none.txt", &c), 0, "systemd none: parses");
	ok(c.complete && c.kind == V4_CORE_SYSTEMD && c.none && c.rc == 1 && c.ndump == 0,
	   "systemd none: coredumpctl's empty answer, exit 1");
	is_str(c.handler, "/lib/systemd/systemd-coredump", "systemd none: the handler");
	is_int(cores_fx("logs-cores.systemd-python.txt", &c), 0, "systemd python: parses");
	ok(c.ndump == 1 && c.dump[0].pid == 4242 && c.rc == 0, "systemd python: the row");
	is_int(cores_fx("logs-cores.file-cwd.txt", &c), 0, "file: parses");
	ok(c.kind == V4_CORE_FILE && c.nfile == 1 && c.file[0].size == 2147483648LL &&
		   c.file[0].mtime == 1796194814,
	   "file: name, size, mtime");
	is_str(c.file[0].name, "core.4311", "file: the name");
	is_str(c.dir, "/proc/4242/cwd/", "file: the folder");
	is_int(cores_fx("logs-cores.pipe-apport.txt", &c), 0, "apport: parses");
	ok(c.kind == V4_CORE_PIPE, "apport: another pipe");
	is_str(c.handler, "/usr/share/apport/apport", "apport: the program");
	const char *miss = "v4cores since=5\nv4cores pattern |/usr/lib/systemd/systemd-coredump %P\n"
			   "v4cores coredumpctl missing\nv4cores end\n";
	is_int(cores_txt(miss, strlen(miss), &c), 0, "coredumpctl missing: parses");
	ok(c.no_coredumpctl, "coredumpctl missing: said");
	const char *cut = "v4cores since=5\nv4cores pattern core\nv4cores files dir=/x/\n";
	is_int(cores_txt(cut, strlen(cut), &c), 0, "cut: parses");
	ok(!c.complete, "cut: not complete");
	const char *junk = "v4cores since=5\nv4cores pattern core\nhello\nv4cores end\n";
	is_int(cores_txt(junk, strlen(junk), &c), -1, "a line outside the sections: rejected");
	const char *other = "v4logs docker since=2026\n";
	is_int(cores_txt(other, strlen(other), &c), -1, "another probe's output: rejected");
	const char *err = "v4cores since=5\nv4cores pattern |/lib/systemd/systemd-coredump\n"
			  "v4cores coredumpctl\nFailed to open journal: Permission denied\n"
			  "v4cores rc 1\nv4cores end\n";
	is_int(cores_txt(err, strlen(err), &c), 0, "coredumpctl complaining: parses");
	is_str(c.listing_err, "Failed to open journal: Permission denied", "complaint kept");
	char pk[128];
	ok(v4_core_pattern_kind("", pk, sizeof pk) == V4_CORE_EMPTY, "empty pattern");
	ok(v4_core_pattern_kind("/var/crash/core.%e.%p", pk, sizeof pk) == V4_CORE_FILE,
	   "absolute path pattern");
	ok(v4_core_pattern_kind("|systemd-coredump %P", pk, sizeof pk) == V4_CORE_SYSTEMD,
	   "bare systemd-coredump");
}

int main(void)
{
	test_size();
	test_nosize();
	test_debian();
	test_list_edges();
	test_probe();
	return tap_done();
}
