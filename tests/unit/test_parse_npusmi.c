/* Unit tests for the npu-smi parsers over real and derived fixtures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Parses a fixture file; returns the parser's status. */
static int load(const char *name, struct v4_npusmi *s, char **err)
{
	size_t len = 0;
	char *t = fixture(name, &len);
	*err = NULL;
	int rc = t ? v4_parse_npusmi(t, len, s, err) : -2;
	free(t);
	return rc;
}

/* Real A2 8x 910B3 25.2.0 table with one busy NPU and a blank process name. */
static void test_6512(void)
{
	struct v4_npusmi s;
	char *err;
	is_int(load(FX "npu-smi-info.vllm-ascend-6512.txt", &s, &err), 0, "6512: parses");
	is_str(s.tool_version, "25.2.0", "6512: tool version");
	is_str(s.driver_version, "25.2.0", "6512: driver version");
	is_int(s.nnpu, 8, "6512: 8 NPUs");
	if (s.nnpu == 8) {
		is_int(s.npus[0].id, 0, "6512: first id");
		is_str(s.npus[0].name, "910B3", "6512: name");
		is_str(s.npus[0].health, "OK", "6512: health");
		is_str(s.npus[0].bus_id, "0000:C1:00.0", "6512: bus id");
		is_int(s.npus[0].hbm_used_mb, 3408, "6512: NPU0 HBM used");
		is_int(s.npus[0].hbm_total_mb, 65536, "6512: NPU0 HBM total");
		is_int(s.npus[2].hbm_used_mb, 41052, "6512: NPU2 glued 41052/ 65536");
		is_int(s.npus[2].hbm_total_mb, 65536, "6512: NPU2 total");
		is_int(s.npus[3].hbm_used_mb, 3390, "6512: NPU3 HBM");
		is_int(s.npus[7].id, 7, "6512: last id");
		is_int(s.npus[7].temp_c, 37, "6512: NPU7 temp");
		ok(s.npus[0].power_w > 97.8 && s.npus[0].power_w < 98.0, "6512: power 97.9");
		is_int(s.npus[0].ddr_total_mb, 0, "6512: DDR 0");
		is_int(s.npus[0].has_hbm, 1, "6512: has HBM");
		is_int(s.npus[0].chip, 0, "6512: chip 0");
		is_int(s.npus[0].phy_id, -1, "6512: no phy id");
	}
	is_int(s.has_proc_table, 1, "6512: process table");
	is_int(s.nproc, 1, "6512: one process");
	if (s.nproc == 1) {
		is_int(s.procs[0].npu, 2, "6512: proc on NPU 2");
		is_int(s.procs[0].pid, 1333928, "6512: pid");
		is_int(s.procs[0].mem_mb, 37709, "6512: mem");
		is_str(s.procs[0].name, "", "6512: blank name");
	}
	is_int(s.nunparsed, 0, "6512: nothing unparsed");
	v4_npusmi_free(&s);
}

/* Real A3 table: two dies per NPU, die-1 power '-', several process rows. */
static void test_a3(void)
{
	struct v4_npusmi s;
	char *err;
	is_int(load(FX "npu-smi-info.vllm-ascend-4930.txt", &s, &err), 0, "A3: parses");
	is_int(s.nnpu, 16, "A3: 16 dies");
	if (s.nnpu == 16) {
		is_int(s.npus[1].id, 0, "A3: die 1 has NPU id 0");
		is_int(s.npus[1].chip, 1, "A3: chip 1");
		is_int(s.npus[1].phy_id, 1, "A3: phy 1");
		ok(s.npus[1].power_w < 0, "A3: die-1 power '-' is -1");
		ok(s.npus[0].power_w > 232.4 && s.npus[0].power_w < 232.6, "A3: die-0 power");
		is_int(s.npus[0].hbm_used_mb, 53444, "A3: NPU0 die0 HBM");
		is_int(s.npus[15].hbm_used_mb, 50242, "A3: NPU7 die1 HBM");
		is_int(s.npus[15].phy_id, 15, "A3: phy 15");
		is_str(s.npus[15].bus_id, "0000:83:00.0", "A3: last bus id");
	}
	is_int(s.nproc, 14, "A3: 14 process rows (5+2+5+2)");
	if (s.nproc == 14) {
		is_int(s.procs[0].pid, 3325989, "A3: first pid");
		is_int(s.procs[0].mem_mb, 50128, "A3: first mem");
		is_int(s.procs[4].chip, 1, "A3: 5th row chip 1");
		is_int(s.procs[1].mem_mb, 132, "A3: small row");
		is_int(s.procs[13].npu, 7, "A3: last row NPU 7");
		is_int(s.procs[13].pid, 3085964, "A3: last pid");
	}
	v4_npusmi_free(&s);
}

/* Real 310P3 table: no HBM, Power NA, ids 4 and 5, no process table. */
static void test_310p(void)
{
	struct v4_npusmi s;
	char *err;
	is_int(load(FX "npu-smi-info.hami-blog-310p3.txt", &s, &err), 0, "310P: parses");
	is_int(s.nnpu, 2, "310P: 2 NPUs");
	if (s.nnpu == 2) {
		is_int(s.npus[0].id, 4, "310P: ids start at 4");
		is_int(s.npus[0].has_hbm, 0, "310P: no HBM");
		ok(s.npus[0].power_w < 0, "310P: power NA");
		is_int(s.npus[1].ddr_used_mb, 1849, "310P: DDR used");
		is_int(s.npus[1].ddr_total_mb, 21525, "310P: DDR total");
		is_int(s.npus[1].phy_id, 1, "310P: device 1");
	}
	is_int(s.has_proc_table, 0, "310P: no process table");
	v4_npusmi_free(&s);
}

/* Real Atlas 800I A2 910B4 32 GB idle table. */
static void test_910b4(void)
{
	struct v4_npusmi s;
	char *err;
	is_int(load(FX "npu-smi-info.atlas800ia2-blog-910b4.txt", &s, &err), 0, "910B4: parses");
	is_str(s.driver_version, "25.0.rc1.1", "910B4: version");
	is_int(s.nnpu, 8, "910B4: 8 NPUs");
	if (s.nnpu == 8) {
		is_int(s.npus[7].hbm_used_mb, 2653, "910B4: NPU7 HBM");
		is_int(s.npus[7].hbm_total_mb, 32768, "910B4: 32768 total");
	}
	is_int(s.nproc, 0, "910B4: no processes");
	v4_npusmi_free(&s);
}

/* Derived 910B2 tables: idle, held memory without a process, busy. */
static void test_910b2(void)
{
	struct v4_npusmi s;
	char *err;
	is_int(load(FX "npu-smi-info.a2-910b2-idle.txt", &s, &err), 0, "910B2 idle: parses");
	is_int(s.nnpu, 8, "910B2 idle: 8 NPUs");
	for (size_t i = 0; i < s.nnpu; i++)
		ok(s.npus[i].hbm_total_mb == 65536 && s.npus[i].hbm_used_mb > 3300 &&
			   s.npus[i].hbm_used_mb < 3500, "910B2 idle: 65536 total, ~3.4 GB used");
	is_int(s.nproc, 0, "910B2 idle: no processes");
	is_str(s.driver_version, "25.5.1", "910B2 idle: 25.5.1");
	v4_npusmi_free(&s);

	is_int(load(FX "npu-smi-info.a2-910b2-held-noproc.txt", &s, &err), 0, "910B2 held: parses");
	if (s.nnpu == 8)
		is_int(s.npus[3].hbm_used_mb, 40960, "910B2 held: NPU3 40960 MB");
	is_int(s.nproc, 0, "910B2 held: no process rows");
	is_int(s.has_proc_table, 1, "910B2 held: table present");
	v4_npusmi_free(&s);

	is_int(load(FX "npu-smi-info.a2-910b2-busy-multiproc.txt", &s, &err), 0, "910B2 busy: parses");
	if (s.nnpu == 8)
		is_int(s.npus[0].hbm_used_mb, 64750, "910B2 busy: 64750/ 65536");
	is_int(s.nproc, 3, "910B2 busy: 3 rows on NPU 0");
	if (s.nproc == 3) {
		is_str(s.procs[0].name, "VLLM::Worker_DP", "910B2 busy: worker name");
		is_int(s.procs[0].mem_mb, 61244, "910B2 busy: worker mem");
		is_str(s.procs[1].name, "", "910B2 busy: blank name");
		is_str(s.procs[2].name, "python3", "910B2 busy: python3");
		is_int(s.procs[2].pid, 2081241, "910B2 busy: pid");
	}
	v4_npusmi_free(&s);
}

/* Derived 26.x table, truncated table, CRLF with noise and TABs. */
static void test_variants(void)
{
	struct v4_npusmi s;
	char *err;
	is_int(load(FX "npu-smi-info.26x-910b4-proc5col.txt", &s, &err), 0, "26.x: parses");
	is_str(s.driver_version, "26.0.rc1", "26.x: version");
	is_int(s.nnpu, 2, "26.x: 2 NPUs");
	if (s.nnpu == 2) {
		is_int(s.npus[0].hbm_used_mb, 2871, "26.x: NPU0 HBM");
		is_int(s.npus[1].hbm_used_mb, 31877, "26.x: NPU1 glued HBM");
		is_int(s.npus[1].aicore_pct, 35, "26.x: aicore");
	}
	is_int(s.nproc, 2, "26.x: 2 process rows");
	if (s.nproc == 2) {
		is_int(s.procs[0].pid, 632268, "26.x: pid");
		is_str(s.procs[0].name, "python3.1", "26.x: name");
		is_int(s.procs[0].mem_mb, 28610, "26.x: mem");
		is_str(s.procs[1].name, "", "26.x: blank name");
	}
	v4_npusmi_free(&s);

	is_int(load(FX "npu-smi-info.a2-910b2-truncated.txt", &s, &err), 0, "truncated: parses");
	is_int(s.nnpu, 2, "truncated: 2 NPUs");
	is_int(s.nunparsed, 0, "truncated: last line understood");
	v4_npusmi_free(&s);

	is_int(load(FX "npu-smi-info.a2-910b2-crlf-noise.txt", &s, &err), 0, "crlf: parses");
	is_int(s.nnpu, 4, "crlf: 4 NPUs");
	if (s.nnpu == 4) {
		is_int(s.npus[0].id, 4, "crlf: ids start at 4");
		is_str(s.npus[0].bus_id, "0000:01:00.0", "crlf: bus id before TAB");
		is_int(s.npus[0].hbm_used_mb, 3410, "crlf: HBM");
		is_int(s.npus[3].hbm_total_mb, 65536, "crlf: total without CR");
		is_str(s.npus[3].health, "OK", "crlf: health without CR");
	}
	is_int(s.nproc, 1, "crlf: 1 process (header with TAB seen)");
	if (s.nproc == 1)
		is_int(s.procs[0].mem_mb, 30112, "crlf: mem");
	v4_npusmi_free(&s);
}

/* Checks that text is rejected with an error message. */
static void reject(const char *text, size_t len, const char *what)
{
	struct v4_npusmi s;
	char *err = NULL;
	is_int(v4_parse_npusmi(text, len, &s, &err), -1, what);
	ok(err && *err, "has an error message");
	ok(s.npus == NULL && s.nnpu == 0, "output left empty");
	if (err)
		printf("# err: %s\n", err);
	free(err);
}

/* Garbage, empty, binary, huge lines, a dangling first row. */
static void test_errors(void)
{
	static const char bin[] = "\x7f" "ELF\0\0\0| 0 910B2 | OK | 1 2 0 / 0 |\n\0\xff";
	reject("", 0, "empty rejected");
	reject(NULL, 0, "NULL rejected");
	const char *g1 = "hello world\nthis is not a table\n";
	reject(g1, strlen(g1), "garbage rejected");
	const char *g2 = "DrvMngGetConsoleLogLevel failed. (ret=4)\ndcmi module initialize failed. ret is -8005\n";
	reject(g2, strlen(g2), "dcmi failure rejected");
	reject(bin, sizeof bin - 1, "binary with NULs rejected");
	size_t big = 1 << 20;
	char *huge = malloc(big + 1);
	memset(huge, '|', big);
	huge[big] = 0;
	reject(huge, big, "1 MB line rejected");
	free(huge);
	const char *dangling = "| 0     910B2               | OK            | 93.1        35                0    / 0             |\n";
	reject(dangling, strlen(dangling), "first row without second row rejected");
	const char *hdr = "| npu-smi 25.5.1                   Version: 25.5.1                                               |\n";
	reject(hdr, strlen(hdr), "header only rejected");
}

/* npu-smi info -l and -t key/value blocks. */
static void test_list_kv(void)
{
	size_t len, n = 0;
	int *ids = NULL;
	char *err = NULL;
	char *t = fixture(FX "npu-smi-info-l.a2-8npu.txt", &len);
	is_int(v4_parse_npusmi_list(t, len, &ids, &n, &err), 0, "-l: parses");
	is_int(n, 8, "-l: 8 ids");
	if (n == 8)
		ok(ids[0] == 0 && ids[7] == 7, "-l: ids 0..7");
	free(ids);
	free(t);
	const char *sp = "Total Count : 2\n\nNPU ID : 4\nChip Count : 1\n\n  NPU ID   :   6\n";
	is_int(v4_parse_npusmi_list(sp, strlen(sp), &ids, &n, &err), 0, "-l spaces: parses");
	ok(n == 2 && ids[0] == 4 && ids[1] == 6, "-l spaces: ids 4, 6");
	free(ids);
	const char *bad = "Total Count : 3\nNPU ID : 0\n";
	is_int(v4_parse_npusmi_list(bad, strlen(bad), &ids, &n, &err), -1, "-l: count mismatch");
	ok(ids == NULL && n == 0, "-l: mismatch leaves nothing");
	free(err);
	/* fixtures/fuzz/fuzz_npusmi-list-bad-id-uaf.bin: the message read the freed value */
	const char *badid = "Total Count : 1\nNPU ID : 0x7f-bogus\n";
	err = NULL;
	is_int(v4_parse_npusmi_list(badid, strlen(badid), &ids, &n, &err), -1, "-l: bad NPU ID");
	ok(err && strstr(err, "bad NPU ID '0x7f-bogus'"), "-l: bad NPU ID is named in the error");
	ok(ids == NULL && n == 0, "-l: bad NPU ID leaves nothing");
	free(err);

	struct v4_kvs kv;
	t = fixture(FX "npu-smi-info-t-board.telegraf-fixture-910b-25.5.1.txt", &len);
	is_int(v4_parse_npusmi_kv(t, len, &kv, &err), 0, "board: parses");
	is_str(v4_kv_get(&kv, "Software Version"), "25.5.1", "board: software version");
	is_str(v4_kv_get(&kv, "Firmware Version"), "7.8.0.6.201", "board: firmware");
	is_str(v4_kv_get(&kv, "PCIe Bus Info"), "0000:C1:00.0", "board: value with colons");
	is_str(v4_kv_get(&kv, "Serial Number"), "1025C9048791", "board: serial");
	ok(v4_kv_get(&kv, "software version") == NULL, "board: labels case-sensitive");
	v4_kvs_free(&kv);
	free(t);
	t = fixture(FX "npu-smi-info-t-usages.arthurchiao-910b1.txt", &len);
	is_int(v4_parse_npusmi_kv(t, len, &kv, &err), 0, "usages: parses");
	is_str(v4_kv_get(&kv, "HBM Usage Rate(%)"), "4", "usages: HBM rate");
	is_str(v4_kv_get(&kv, "HBM Capacity(MB)"), "65536", "usages: HBM capacity");
	v4_kvs_free(&kv);
	free(t);
	t = fixture(FX "npu-smi-info-t-health.a2.txt", &len);
	is_int(v4_parse_npusmi_kv(t, len, &kv, &err), 0, "health: parses");
	is_str(v4_kv_get(&kv, "Health Status"), "OK", "health: OK");
	is_str(v4_kv_get(&kv, "Error Code"), "NA", "health: error code");
	v4_kvs_free(&kv);
	free(t);
	is_int(v4_parse_npusmi_kv("garbage\n", 8, &kv, &err), -1, "kv: garbage rejected");
	free(err);
}

/* Every prefix and every single-byte corruption of real tables: 0 or -1, no crash. */
static void test_prefixes(void)
{
	const char *names[] = {FX "npu-smi-info.vllm-ascend-4930.txt", FX "npu-smi-info.hami-blog-310p3.txt"};
	int bad = 0, parsed = 0;
	for (size_t f = 0; f < 2; f++) {
		size_t len;
		char *t = fixture(names[f], &len);
		for (size_t n = 0; t && n <= len; n++) {
			struct v4_npusmi s;
			char *err = NULL;
			int rc = v4_parse_npusmi(t, n, &s, &err);
			bad += !(rc == 0 || (rc == -1 && err));
			parsed += rc == 0;
			v4_npusmi_free(&s);
			free(err);
		}
		for (size_t i = 0; t && i < len; i += 7) {
			char save = t[i];
			struct v4_npusmi s;
			char *err = NULL;
			t[i] = (char)(i % 3 == 0 ? '|' : i % 3 == 1 ? '/' : '\n');
			int rc = v4_parse_npusmi(t, len, &s, &err);
			bad += !(rc == 0 || (rc == -1 && err));
			v4_npusmi_free(&s);
			free(err);
			t[i] = save;
		}
		free(t);
	}
	is_int(bad, 0, "prefixes/corruptions: always 0 or -1 with an error");
	ok(parsed > 0, "prefixes: long enough prefixes parse");
}

/* What was understood: whole tables, cut ones, tables without a process
 * table, the two-chip A3 table, named once per NPU and chip. */
static void test_understood(void)
{
	struct v4_npusmi s;
	char *err, lab[48];
	is_int(load(FX "npu-smi-info.vllm-ascend-6512.txt", &s, &err), 0, "6512: parses");
	ok(s.npus_whole && !s.cut && s.nproc_unknown == 0, "6512: whole");
	ok(v4_npusmi_partial(&s) == NULL, "6512: nothing partial");
	ok(!s.two_chip, "6512: one chip per NPU");
	v4_npu_label(&s, &s.npus[2], lab, sizeof lab);
	is_str(lab, "NPU 2", "6512: labelled by NPU id alone");
	v4_npusmi_free(&s);

	is_int(load(FX "npu-smi-info.vllm-ascend-4930.txt", &s, &err), 0, "A3: parses");
	ok(s.two_chip && s.npus_whole && s.nproc_unknown == 0, "A3: two chips, whole");
	v4_npu_label(&s, &s.npus[7], lab, sizeof lab);
	is_str(lab, "NPU 3 chip 1", "A3: row 7 is NPU 3 chip 1");
	int both = 1;
	for (size_t i = 0; i < s.nnpu; i++)
		both &= s.npus[i].proc_known;
	ok(both, "A3: both chips of every NPU have a whole process block");
	v4_npusmi_free(&s);

	/* 310P sample: published without its process table */
	is_int(load(FX "npu-smi-info.hami-blog-310p3.txt", &s, &err), 0, "310P: parses");
	ok(!s.npus_whole && s.nproc_unknown == s.nnpu, "310P: no process table: NPUs and holders unknown");
	ok(v4_npusmi_partial(&s) && strstr(v4_npusmi_partial(&s), "no process table"), "310P: says why");
	v4_npusmi_free(&s);

	/* §1.16: the last line cut, no newline: NPU 1's block is not taken as read */
	is_int(load(FX "npu-smi-info.a2-910b2-truncated.txt", &s, &err), 0, "truncated: parses");
	ok(s.cut && s.npus[0].proc_known && !s.npus[1].proc_known, "truncated: NPU 0 known, NPU 1 not");
	v4_npusmi_free(&s);

	/* cuts of the held table (NPU 3 at 40960 MB) at line ends and mid-line */
	size_t len;
	char *t = fixture(FX "npu-smi-info.a2-910b2-held-noproc.txt", &len);
	const char *p3 = t ? strstr(t, "| No running processes found in NPU 3") : NULL;
	const char *hdr = t ? strstr(t, "| NPU     Chip") : NULL;
	const char *row5 = t ? strstr(t, "| 5     910B2") : NULL;
	ok(p3 && hdr && row5, "held: landmarks found");
	if (p3 && hdr && row5) {
		is_int(v4_parse_npusmi(t, (size_t)(p3 - t), &s, &err), 0, "cut before NPU 3's block: parses");
		ok(s.npus_whole && !s.npus[3].proc_known && s.npus[2].proc_known, "... NPU 3 unknown, NPU 2 known");
		v4_npusmi_free(&s);
		is_int(v4_parse_npusmi(t, (size_t)(p3 - t) + 20, &s, &err), 0, "cut inside that line: parses");
		ok(s.cut && !s.npus[3].proc_known, "... cut, NPU 3 unknown");
		v4_npusmi_free(&s);
		is_int(v4_parse_npusmi(t, (size_t)(hdr - t), &s, &err), 0, "cut before the process table");
		ok(!s.has_proc_table && !s.npus_whole && s.nnpu == 8, "... 8 NPUs, not whole");
		v4_npusmi_free(&s);
		is_int(v4_parse_npusmi(t, (size_t)(row5 - t) + 60, &s, &err), 0, "cut inside NPU 5's row");
		ok(s.nnpu == 5 && s.cut && !s.npus_whole, "... 5 NPUs, cut, not whole");
		v4_npusmi_free(&s);
	}
	free(t);

	/* a second row cut before its HBM pair, with its newline: not understood */
	const char *two = "| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|\n"
			  "| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |\n"
			  "| 0     910B2               | OK            | 93.1        35                0    / 0             |\n"
			  "| 0                         | 0000:C1:00.0  | 0           0    / 0\n";
	err = NULL;
	is_int(v4_parse_npusmi(two, strlen(two), &s, &err), -1, "HBM pair missing where the header names it");
	free(err);
}

/* -l and -t TYPE accept only their own format. */
static void test_strict(void)
{
	size_t len = 0, n;
	int *ids;
	char *err = NULL;
	struct v4_kvs kv;
	const char *names[] = {FX "npu-smi-info.vllm-ascend-6512.txt", FX "npu-smi-info-t-board.telegraf-fixture-910b-25.5.1.txt",
			       FX "npu-smi-info-t-health.a2.txt", FX "hccn-ip-g.dsv3-multinode-doc.txt"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *t = fixture(names[i], &len), what[160];
		snprintf(what, sizeof what, "-l: %s is not understood", names[i] + strlen(FX));
		is_int(v4_parse_npusmi_list(t, len, &ids, &n, &err), -1, what);
		ok(ids == NULL && n == 0, "... and gives no ids");
		free(err);
		err = NULL;
		free(t);
	}
	const char *t_names[][2] = {
		{FX "npu-smi-info-t-health.a2.txt", "ecc"},
		{FX "npu-smi-info-t-board.telegraf-fixture-910b-25.5.1.txt", "health"},
		{FX "npu-smi-info-l.a2-8npu.txt", "board"},
		{FX "npu-smi-info.vllm-ascend-6512.txt", "usages"},
		{FX "npu-smi-info-t-usages.arthurchiao-910b1.txt", "ecc"},
	};
	for (size_t i = 0; i < sizeof t_names / sizeof t_names[0]; i++) {
		char *t = fixture(t_names[i][0], &len), what[200];
		snprintf(what, sizeof what, "-t %s: %s is not understood", t_names[i][1], t_names[i][0] + strlen(FX));
		is_int(v4_parse_npusmi_t(t, len, t_names[i][1], &kv, &err), -1, what);
		free(err);
		err = NULL;
		free(t);
	}
	const char *own[][2] = {
		{FX "npu-smi-info-t-health.a2.txt", "health"},
		{FX "npu-smi-info-t-board.telegraf-fixture-910b-25.5.1.txt", "board"},
		{FX "npu-smi-info-t-usages.arthurchiao-910b1.txt", "usages"},
	};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		char *t = fixture(own[i][0], &len), what[200];
		snprintf(what, sizeof what, "-t %s: its own output parses", own[i][1]);
		is_int(v4_parse_npusmi_t(t, len, own[i][1], &kv, &err), 0, what);
		v4_kvs_free(&kv);
		free(err);
		err = NULL;
		free(t);
	}
	const char *ecc = "\tNPU ID : 0\n\tChip Count : 1\n\n\tHBM Double Bit Error Count : 0\n";
	is_int(v4_parse_npusmi_t(ecc, strlen(ecc), "ecc", &kv, &err), -1, "-t ecc: no Chip ID line: cut");
	ok(err && strstr(err, "cut"), "-t ecc: says cut");
	free(err);
	err = NULL;
	const char *ecc2 = "\tNPU ID : 0\n\tChip Count : 1\n\tHBM Double Bit Error Count : 0\n\tChip ID : 0\n";
	is_int(v4_parse_npusmi_t(ecc2, strlen(ecc2), "ecc", &kv, &err), 0, "-t ecc: whole block parses");
	v4_kvs_free(&kv);
	is_int(v4_parse_npusmi_t(ecc2, strlen(ecc2) - 1, "ecc", &kv, &err), -1, "-t ecc: last line without newline: cut");
	free(err);
}

/* The cause of a failed npu-smi (ascend-cli-formats.md §2.1) and excerpts. */
static void test_cause(void)
{
	const char *e1 = "DrvMngGetConsoleLogLevel failed. (ret=4)\ndcmi module initialize failed. ret is -8005\n";
	const char *e2 = "DrvMngGetConsoleLogLevel failed. (g_conLogLevel=3)\ndcmi model initialized failed, because the device is used. ret is -8020\n";
	const char *e3 = "DrvMngGetConsoleLogLevel failed. (ret=4)\n";
	const char *e4 = "\n  sh: 1: npu-smi: not found  \n";
	char *c;
	is_str(c = v4_cause_line(e1, strlen(e1)), "dcmi module initialize failed. ret is -8005", "cause: -8005 line");
	free(c);
	is_str(c = v4_cause_line(e2, strlen(e2)), "dcmi model initialized failed, because the device is used. ret is -8020",
	       "cause: -8020 line");
	free(c);
	is_str(c = v4_cause_line(e3, strlen(e3)), "DrvMngGetConsoleLogLevel failed. (ret=4)", "cause: the noise alone is all there is");
	free(c);
	is_str(c = v4_cause_line(e4, strlen(e4)), "sh: 1: npu-smi: not found", "cause: trimmed, blank lines skipped");
	free(c);
	is_str(c = v4_cause_line(NULL, 0), "", "cause: none");
	free(c);
	const char *lst = "\tTotal Count                    : 8\n\n\tNPU ID                         : 0\n";
	is_str(c = v4_excerpt(lst, strlen(lst), 160), "Total Count : 8 / NPU ID : 0", "excerpt: lines joined, blanks squeezed");
	free(c);
	is_str(c = v4_excerpt("ab\x01" "cdefgh\n", 8, 4), "ab?c ...", "excerpt: control bytes, cut at max");
	free(c);
}

/* npu-smi upgrade -b mcu: the blog's real outputs; cut, foreign and doubled. */
static void test_mcu(void)
{
	size_t len = 0;
	char v[64], *err = NULL;
	char *t = fixture("fixtures/parse/npu-smi-upgrade-b-mcu.atlas800ia2-blog.txt", &len);
	is_int(t ? v4_parse_npusmi_mcu(t, len, v, sizeof v, &err) : -2, 0, "mcu: the blog's query parses");
	is_str(v, "23.3.13", "mcu: Version 23.3.13");
	if (t) {
		is_int(v4_parse_npusmi_mcu(t, len - 2, v, sizeof v, &err), -1, "mcu: cut inside the version: not understood");
		free(err), err = NULL;
	}
	free(t);
	t = fixture("fixtures/parse/npu-smi-upgrade-b-mcu.atlas800ia2-blog-upgraded.txt", &len);
	is_int(t ? v4_parse_npusmi_mcu(t, len, v, sizeof v, &err) : -2, 0, "mcu: after the upgrade");
	is_str(v, "25.50.10", "mcu: Version 25.50.10");
	free(t), free(err), err = NULL;
	static const char *const bad[] = {
		"\tNPU ID                         : 0\n\tSoftware Version               : 25.5.1\n",
		"\tVersion                        : 23.3.13\n\tVersion                        : 23.3.14\n",
		"\tVersion                        : 23.3 13\n",
		"npu-smi version: 25.5.1\n",
		"The card id 9 is invalid.\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "mcu: foreign or malformed output %zu not understood", i);
		is_int(v4_parse_npusmi_mcu(bad[i], strlen(bad[i]), v, sizeof v, &err), -1, what);
		free(err), err = NULL;
	}
}

int main(void)
{
	test_mcu();
	test_prefixes();
	test_6512();
	test_a3();
	test_310p();
	test_910b4();
	test_910b2();
	test_variants();
	test_errors();
	test_list_kv();
	test_understood();
	test_strict();
	test_cause();
	return tap_done();
}
