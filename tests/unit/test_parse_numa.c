/* Unit tests for the CPU list, /proc/PID/status and sysfs NUMA parsers
 * (lib/parse/numa.c). */
#include <stdlib.h>
#include <string.h>

#include "numa.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Parses a CPU list; the set's list-format text, or "ERR" (caller frees). */
static char *list(const char *s)
{
	struct v4_cpuset set;
	char *err = NULL;
	if (v4_cpulist_parse(s, strlen(s), &set, &err) != 0) {
		free(err);
		return strdup("ERR");
	}
	return v4_cpuset_str(&set);
}

/* One CPU list case. */
static void one(const char *in, const char *want)
{
	char *got = list(in), what[128];
	snprintf(what, sizeof what, "cpu list \"%s\" -> %s", in, want);
	is_str(got, want, what);
	free(got);
}

/* List format: ranges, singles, the empty list of a node without CPUs. */
static void test_cpulist(void)
{
	one("0-23", "0-23");
	one("0-9,20-29", "0-9,20-29"); /* lscpu's NUMA node0 of a 2-socket Xeon */
	one("5", "5");
	one("", "");
	one("0-1;2", "ERR");
	one("0-3,4-7", "0-7");
	one("3-1", "ERR");
	one("4,2", "ERR");
	one("0-3,", "ERR");
	one("-1", "ERR");
	one("a-b", "ERR");
	one("0-8192", "ERR");
	one("144-167 ", "144-167");
	struct v4_cpuset a, b;
	char *err = NULL;
	v4_cpulist_parse("0-23", 4, &a, &err);
	v4_cpulist_parse("20-47", 5, &b, &err);
	is_int(v4_cpuset_common(&a, &b), 4, "0-23 and 20-47 share 4 CPUs");
	is_int(a.count, 24, "0-23 counts 24");
	ok(v4_cpuset_has(&b, 47) && !v4_cpuset_has(&b, 48), "20-47 has 47, not 48");
	free(err);
}

/* /proc/PID/status: the real files, cut and foreign text. */
static void test_status(void)
{
	size_t len = 0;
	char *t = fixture(FX "proc-status.debian12-cpu1.txt", &len), *err = NULL, *s;
	struct v4_cpuset set;
	is_int(t ? v4_parse_status_cpus(t, len, &set, &err) : -2, 0, "status bound to CPU 1: parses");
	is_str(s = v4_cpuset_str(&set), "1", "status: Cpus_allowed_list 1");
	free(s), free(t), free(err), err = NULL;
	t = fixture(FX "proc-status.debian12.txt", &len);
	is_int(t ? v4_parse_status_cpus(t, len, &set, &err) : -2, 0, "unbound status: parses");
	is_str(s = v4_cpuset_str(&set), "0-1", "unbound: 0-1");
	free(s), free(err), err = NULL;
	char *cut = t ? strstr(t, "Cpus_allowed_list:") : NULL;
	if (cut) {
		size_t at = (size_t)(cut - t) + strlen("Cpus_allowed_list:\t0");
		is_int(v4_parse_status_cpus(t, at, &set, &err), -1, "status cut inside 0-1: not understood");
		free(err), err = NULL;
	}
	free(t);
	static const char other[] = "Limit                     Soft Limit           Hard Limit\n"
				    "Max open files            1024                 4096\n";
	is_int(v4_parse_status_cpus(other, strlen(other), &set, &err), -1, "/proc/PID/limits: not understood");
	free(err), err = NULL;
	is_int(v4_parse_status_cpus("Cpus_allowed_list:\t\n", 20, &set, &err), -1, "empty list: not understood");
	free(err), err = NULL;
	is_int(v4_parse_status_cpus(NULL, 0, &set, &err), -1, "no output: not understood");
	free(err);
}

/* The sysfs layout: the real one-node file and an 8-node layout. */
static void test_sysnuma(void)
{
	size_t len = 0;
	char *t = fixture(FX "sys-numa.debian12-1node.txt", &len), *err = NULL, *s;
	struct v4_sysnuma sn;
	is_int(t ? v4_parse_sysnuma(t, len, &sn, &err) : -2, 0, "one-node machine: parses");
	is_int((int)sn.nnodes, 1, "one node");
	is_str(s = v4_cpuset_str(&sn.nodes[0].cpus), "0-1", "node0 CPUs 0-1");
	is_int(v4_sysnuma_pci_node(&sn, "0000:00:01.0"), -1, "a PCI device without a node: -1");
	is_int(v4_sysnuma_pci_node(&sn, "0000:c1:00.0"), -2, "an unlisted device: -2");
	free(s), free(t), free(err), err = NULL;
	v4_sysnuma_free(&sn);
	static const char eight[] = "/sys/devices/system/node/node1/cpulist:24-47\n"
				    "/sys/devices/system/node/node0/cpulist:0-23\n"
				    "/sys/devices/system/node/node2/cpulist:\n"
				    "/sys/bus/pci/devices/0000:C1:00.0/numa_node:6\n";
	is_int(v4_parse_sysnuma(eight, strlen(eight), &sn, &err), 0, "three nodes, one without CPUs: parses");
	is_int((int)sn.nnodes, 3, "three nodes");
	is_int(sn.nodes[0].id, 0, "sorted by id");
	is_int(sn.nodes[2].cpus.count, 0, "node2 has no CPUs");
	is_int(v4_sysnuma_pci_node(&sn, "0000:c1:00.0"), 6, "Bus-Id in any case: node 6");
	v4_sysnuma_free(&sn);
	free(err), err = NULL;
	is_int(v4_parse_sysnuma(eight, strlen(eight) - 1, &sn, &err), 0, "cut last line: the rest parses");
	ok(sn.cut && sn.npci == 0, "cut: the PCI line is left out and marked");
	v4_sysnuma_free(&sn);
	free(err), err = NULL;
	static const char *const bad[] = {
		"/sys/devices/system/node/node0/cpulist:0-23\nnet health status: Success\n",
		"/sys/bus/pci/devices/0000:c1:00.0/numa_node:6\n",
		"/sys/devices/system/node/node0/cpulist:0-23\n/sys/devices/system/node/node0/cpulist:0-23\n",
		"/sys/devices/system/node/node0/cpulist:0-23\n/sys/bus/pci/devices/0000:c1:00.0/numa_node:x\n",
		"/sys/devices/system/node/node0/cpulist:0-23\n/sys/bus/pci/devices/0000:c1:00.0/numa_node:-7\n",
		"/sys/devices/system/node/node0/cpulist:0-23\n/sys/bus/pci/devices/c1:00.0/numa_node:1\n",
		"/sys/devices/system/node/nodeX/cpulist:0-23\n",
		"ipaddr:10.20.0.11\nnetmask:255.255.255.0\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "foreign or malformed layout %zu: not understood", i);
		is_int(v4_parse_sysnuma(bad[i], strlen(bad[i]), &sn, &err), -1, what);
		ok(err != NULL, "... with a reason");
		v4_sysnuma_free(&sn);
		free(err), err = NULL;
	}
}

int main(void)
{
	test_cpulist();
	test_status();
	test_sysnuma();
	return tap_done();
}
