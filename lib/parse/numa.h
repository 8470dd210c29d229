/* CPU placement on Linux: the kernel's CPU "list format" ("0-23,48-71", as
 * bitmap_print_to_pagebuf %*pbl prints it), the Cpus_allowed_list line of
 * /proc/PID/status (fs/proc/array.c), and a node's NUMA layout read as
 * grep -H '' over /sys/devices/system/node/nodeN/cpulist and
 * /sys/bus/pci/devices/BDF/numa_node (drivers/base/node.c: cpulist in list
 * format, empty for a node without CPUs; drivers/pci/pci-sysfs.c: numa_node
 * a decimal, -1 when the platform gives none). Lines are "PATH:VALUE". */
#ifndef V4_NUMA_H
#define V4_NUMA_H

#include <stddef.h>
#include <stdint.h>

#define V4_CPU_MAX 8192 /* CPU numbers at or above this are refused */

/* A set of CPU numbers. */
struct v4_cpuset {
	uint64_t bits[V4_CPU_MAX / 64];
	int count;
};

/* Parses list format ("", "5", "0-3,8-11"; ranges ascending, a-b with
 * a <= b). 0, or -1 with *err (caller frees). */
int v4_cpulist_parse(const char *s, size_t len, struct v4_cpuset *set, char **err);
/* 1 when cpu is in the set. */
int v4_cpuset_has(const struct v4_cpuset *s, int cpu);
/* CPUs of a that are also in b. */
int v4_cpuset_common(const struct v4_cpuset *a, const struct v4_cpuset *b);
/* The set in list format ("0-3,8"); caller frees. */
char *v4_cpuset_str(const struct v4_cpuset *s);

/* The Cpus_allowed_list of /proc/PID/status (whole lines only: a last line
 * without its newline is a cut read and left out). -1 with *err when the
 * output has no such line or its value is not list format. */
int v4_parse_status_cpus(const char *text, size_t len, struct v4_cpuset *set, char **err);

struct v4_numa_node {
	int id;
	struct v4_cpuset cpus;
};

struct v4_pci_numa {
	char bdf[16]; /* lower case, "0000:c1:00.0" */
	int node;     /* -1: none */
};

struct v4_sysnuma {
	struct v4_numa_node *nodes; /* in id order */
	size_t nnodes;
	struct v4_pci_numa *pci;
	size_t npci;
	int cut; /* the last line had no newline: left out */
};

/* Parses the grep output above: every line must be one of the two kinds;
 * -1 with *err when one is not, or no node line was read. */
int v4_parse_sysnuma(const char *text, size_t len, struct v4_sysnuma *out, char **err);
void v4_sysnuma_free(struct v4_sysnuma *s);
/* The NUMA node of PCI device bdf (any case); -2 when it is not listed. */
int v4_sysnuma_pci_node(const struct v4_sysnuma *s, const char *bdf);
/* The node entry of id, or NULL. */
const struct v4_numa_node *v4_sysnuma_node(const struct v4_sysnuma *s, int id);

#endif
