/* Unit tests for version files and version comparison. */
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Parses a fixture into kv; returns the parser's status. */
static int load(const char *name, struct v4_kvs *kv)
{
	size_t len = 0;
	char *err = NULL, *t = fixture(name, &len);
	int rc = t ? v4_parse_kv_file(t, len, kv, &err) : -2;
	if (err)
		printf("# err: %s\n", err);
	free(err);
	free(t);
	return rc;
}

/* Driver, firmware and CANN files (real and doc samples). */
static void test_files(void)
{
	struct v4_kvs kv;
	is_int(load(FX "driver-version-info.mind-cluster-doc.txt", &kv), 0, "driver: parses");
	is_str(v4_kv_get(&kv, "Version"), "24.1.rc1", "driver: Version");
	ok(v4_kv_get(&kv, "version") == NULL, "driver: keys case-sensitive");
	is_str(v4_kv_get(&kv, "Innerversion"), "V100R001C15SPC006B220", "driver: Innerversion");
	is_str(v4_kv_get(&kv, "compatible_version_fw"), "[7.0.0,7.2.99]", "driver: compat fw");
	is_int(kv.n, 11, "driver: 11 keys");
	v4_kvs_free(&kv);
	is_int(load(FX "firmware-version-info.doc.txt", &kv), 0, "firmware: parses");
	is_str(v4_kv_get(&kv, "Version"), "7.1.0.11.220", "firmware: Version");
	is_str(v4_kv_get(&kv, "package_version"), "23.0.7", "firmware: package");
	v4_kvs_free(&kv);
	is_int(load(FX "cann-toolkit-install-info.vllm-ascend-152.txt", &kv), 0, "cann: parses");
	is_str(v4_kv_get(&kv, "version"), "8.0.RC1", "cann: version");
	is_str(v4_kv_get(&kv, "arch"), "aarch64", "cann: arch");
	is_str(v4_kv_get(&kv, "path"), "/usr/local/Ascend/ascend-toolkit/8.0.RC1/aarch64-linux", "cann: path");
	ok(v4_kv_get(&kv, "Version") == NULL, "cann: no capital Version");
	v4_kvs_free(&kv);
	is_int(load(FX "cann-install-info.cann-850-layout.txt", &kv), 0, "cann 8.5.0: parses");
	is_str(v4_kv_get(&kv, "version"), "8.5.0", "cann 8.5.0: version");
	v4_kvs_free(&kv);
}

/* Odd inputs: CRLF, blanks, comments, garbage, binary, a 1 MB line. */
static void test_file_errors(void)
{
	struct v4_kvs kv;
	char *err = NULL;
	const char *crlf = "\r\n# comment\r\nVersion=25.5.1\r\nnot a pair\r\n=novalue\r\nx y=z\r\n";
	is_int(v4_parse_kv_file(crlf, strlen(crlf), &kv, &err), 0, "kv crlf: parses");
	is_str(v4_kv_get(&kv, "Version"), "25.5.1", "kv crlf: no CR in value");
	is_int(kv.n, 1, "kv crlf: only the real pair");
	v4_kvs_free(&kv);
	is_int(v4_parse_kv_file("garbage\n", 8, &kv, &err), -1, "kv: garbage rejected");
	ok(err != NULL, "kv: garbage has error");
	free(err);
	err = NULL;
	is_int(v4_parse_kv_file("", 0, &kv, &err), -1, "kv: empty rejected");
	free(err);
	err = NULL;
	is_int(v4_parse_kv_file("Version=1\0\xff", 11, &kv, &err), -1, "kv: NULs rejected");
	free(err);
	size_t big = 1 << 20;
	char *huge = malloc(big);
	memset(huge, 'v', big);
	huge[7] = '=';
	err = NULL;
	is_int(v4_parse_kv_file(huge, big, &kv, &err), 0, "kv: 1 MB line parses");
	ok(kv.n == 1 && strlen(kv.v[0].val) == sizeof kv.v[0].val - 1, "kv: long value truncated");
	v4_kvs_free(&kv);
	free(huge);
}

/* Version comparison: rc before release, numeric parts, case of RC. */
static void test_version_cmp(void)
{
	ok(v4_version_cmp("24.1.rc3", "24.1.0") < 0, "24.1.rc3 < 24.1.0");
	ok(v4_version_cmp("24.1.0", "24.1.rc3") > 0, "24.1.0 > 24.1.rc3");
	ok(v4_version_cmp("24.1.rc2", "24.1.rc3") < 0, "rc2 < rc3");
	ok(v4_version_cmp("24.1.rc10", "24.1.rc9") > 0, "rc10 > rc9 (numeric)");
	ok(v4_version_cmp("25.10.0", "25.9.0") > 0, "25.10.0 > 25.9.0");
	is_int(v4_version_cmp("25.5.1", "25.5.1"), 0, "equal");
	is_int(v4_version_cmp("8.3.RC2", "8.3.rc2"), 0, "RC and rc equal");
	ok(v4_version_cmp("8.0.RC1", "8.0.0") < 0, "8.0.RC1 < 8.0.0");
	ok(v4_version_cmp("8.5.0", "8.3.RC2") > 0, "8.5.0 > 8.3.RC2");
	ok(v4_version_cmp("24.1.0", "24.1.0.3") < 0, "24.1.0 < 24.1.0.3");
	ok(v4_version_cmp("24.1.rc3", "24.1.rc3.7") < 0, "24.1.rc3 < 24.1.rc3.7");
	ok(v4_version_cmp("25.0.rc1.2", "25.0.rc1.2.sph001") < 0, "build suffix sorts after");
	ok(v4_version_cmp("25.5.1", "26.0.rc1") < 0, "25.5.1 < 26.0.rc1");
	ok(v4_version_cmp("26.0.rc2", "26.1.0.b061") < 0, "26.0.rc2 < 26.1.0.b061");
	ok(v4_version_cmp("23.0.rc3", "23.0.rc2.3") > 0, "23.0.rc3 > 23.0.rc2.3");
	ok(v4_version_cmp("9.0.0", "10.0.0") < 0, "9 < 10");
	ok(v4_version_cmp("25.5.01", "25.5.1") == 0, "leading zeros");
	ok(v4_version_cmp(NULL, "1") < 0 && v4_version_cmp("1", NULL) > 0, "NULL first");
	ok(v4_version_cmp("", "1") < 0, "empty first");
	ok(v4_version_cmp("99999999999999999999999.1", "99999999999999999999998.9") > 0, "huge numbers");
}

int main(void)
{
	test_files();
	test_file_errors();
	test_version_cmp();
	return tap_done();
}
