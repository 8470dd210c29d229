/* CPU list format, /proc/PID/status Cpus_allowed_list and the sysfs NUMA
 * layout (see numa.h for the kernel sources of each format). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "numa.h"
#include "util.h"

#define LINE_MAX_LEN 65536 /* a 8192-CPU list fits; longer lines are no such output */

/* Reads a decimal at s[*i] (below V4_CPU_MAX) into *v; 0, or -1. */
static int num_at(const char *s, size_t len, size_t *i, int *v)
{
	size_t st = *i;
	long x = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - st < 6)
		x = x * 10 + (s[(*i)++] - '0');
	if (*i == st || (*i < len && s[*i] >= '0' && s[*i] <= '9') || x >= V4_CPU_MAX)
		return -1;
	*v = (int)x;
	return 0;
}

/* Adds CPUs a..b to the set. */
static void add_range(struct v4_cpuset *set, int a, int b)
{
	for (int c = a; c <= b; c++)
		if (!v4_cpuset_has(set, c)) {
			set->bits[c / 64] |= (uint64_t)1 << (c % 64);
			set->count++;
		}
}

int v4_cpulist_parse(const char *s, size_t len, struct v4_cpuset *set, char **err)
{
	size_t i = 0;
	int last = -1;
	memset(set, 0, sizeof *set);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	while (i < len) {
		int a, b;
		if (num_at(s, len, &i, &a) != 0)
			goto bad;
		b = a;
		if (i < len && s[i] == '-' && (++i, num_at(s, len, &i, &b) != 0))
			goto bad;
		if (b < a || a <= last)
			goto bad;
		add_range(set, a, b);
		last = b;
		if (i < len && s[i] == ',' && i + 1 < len)
			i++;
		else if (i < len)
			goto bad;
	}
	return 0;
bad:
	*err = xasprintf("not a CPU list (\"0-23,48-71\"): \"%.*s\"", (int)(len > 64 ? 64 : len), s);
	return -1;
}

int v4_cpuset_has(const struct v4_cpuset *s, int cpu)
{
	return cpu >= 0 && cpu < V4_CPU_MAX && (s->bits[cpu / 64] >> (cpu % 64) & 1);
}

int v4_cpuset_common(const struct v4_cpuset *a, const struct v4_cpuset *b)
{
	int n = 0;
	for (size_t i = 0; i < V4_CPU_MAX / 64; i++)
		n += __builtin_popcountll(a->bits[i] & b->bits[i]);
	return n;
}

char *v4_cpuset_str(const struct v4_cpuset *s)
{
	size_t cap = 64, len = 0;
	char *out = xcalloc(cap, 1);
	for (int c = 0; c < V4_CPU_MAX; c++) {
		if (!v4_cpuset_has(s, c))
			continue;
		int e = c;
		while (e + 1 < V4_CPU_MAX && v4_cpuset_has(s, e + 1))
			e++;
		if (cap - len < 32)
			out = xrealloc(out, cap *= 2);
		if (e > c)
			len += (size_t)snprintf(out + len, cap - len, "%s%d-%d", len ? "," : "", c, e);
		else
			len += (size_t)snprintf(out + len, cap - len, "%s%d", len ? "," : "", c);
		c = e;
	}
	return out;
}

/* The next whole line of text from *pos: its start and length (no '\n');
 * NULL at the end or at a last line without its newline (*cut set). */
static const char *numa_line(const char *text, size_t len, size_t *pos, size_t *n, int *cut)
{
	if (*pos >= len)
		return NULL;
	const char *l = text + *pos, *nl = memchr(l, '\n', len - *pos);
	if (!nl) {
		*cut = 1;
		*pos = len;
		return NULL;
	}
	*n = (size_t)(nl - l);
	*pos += *n + 1;
	if (*n && l[*n - 1] == '\r')
		(*n)--;
	return l;
}

int v4_parse_status_cpus(const char *text, size_t len, struct v4_cpuset *set, char **err)
{
	static const char key[] = "Cpus_allowed_list:";
	size_t pos = 0, n, k = sizeof key - 1;
	int cut = 0;
	const char *l;
	memset(set, 0, sizeof *set);
	while (text && (l = numa_line(text, len, &pos, &n, &cut))) {
		if (n < k || memcmp(l, key, k) != 0)
			continue;
		while (k < n && (l[k] == '\t' || l[k] == ' '))
			k++;
		if (k == n) {
			*err = xstrdup("/proc/PID/status: Cpus_allowed_list is empty");
			return -1;
		}
		return v4_cpulist_parse(l + k, n - k, set, err);
	}
	*err = xstrdup(cut ? "/proc/PID/status: output cut before a Cpus_allowed_list line"
			   : "/proc/PID/status: no Cpus_allowed_list line");
	return -1;
}

/* Adds node id's cpulist value v (n bytes); 0, or -1 with *err. */
static int add_node(struct v4_sysnuma *s, int id, const char *v, size_t n, char **err)
{
	if (v4_sysnuma_node(s, id)) {
		*err = xasprintf("sysfs: node%d listed twice", id);
		return -1;
	}
	s->nodes = xrealloc(s->nodes, (s->nnodes + 1) * sizeof *s->nodes);
	struct v4_numa_node *x = &s->nodes[s->nnodes];
	x->id = id;
	if (v4_cpulist_parse(v, n, &x->cpus, err) != 0)
		return -1;
	size_t at = s->nnodes++;
	while (at > 0 && s->nodes[at - 1].id > id) { /* keep id order */
		struct v4_numa_node t = s->nodes[at - 1];
		s->nodes[at - 1] = s->nodes[at];
		s->nodes[at] = t;
		at--;
	}
	return 0;
}

/* 1 when b (n bytes) is a PCI address DDDD:BB:DD.F in hex. */
static int bdf_ok(const char *b, size_t n)
{
	static const char shape[] = "xxxx:xx:xx.x";
	if (n != sizeof shape - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'x' ? !strchr("0123456789abcdefABCDEF", b[i]) || !b[i] : b[i] != shape[i])
			return 0;
	return 1;
}

/* Adds PCI device bdf's numa_node value v (n bytes); 0, or -1 with *err. */
static int add_pci(struct v4_sysnuma *s, const char *bdf, size_t bn, const char *v, size_t n, char **err)
{
	char buf[16];
	int neg = n && v[0] == '-', node = 0;
	size_t i = (size_t)neg;
	if (!bdf_ok(bdf, bn) || (i == n) || n - i > 5) {
		*err = xasprintf("sysfs: not a PCI address and numa_node: \"%.*s:%.*s\"", (int)bn, bdf,
				 (int)(n > 16 ? 16 : n), v);
		return -1;
	}
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9') {
			*err = xasprintf("sysfs: numa_node of %.*s is not a number", (int)bn, bdf);
			return -1;
		}
		node = node * 10 + (v[i] - '0');
	}
	for (i = 0; i < bn; i++)
		buf[i] = (char)(bdf[i] >= 'A' && bdf[i] <= 'F' ? bdf[i] - 'A' + 'a' : bdf[i]);
	buf[bn] = '\0';
	s->pci = xrealloc(s->pci, (s->npci + 1) * sizeof *s->pci);
	snprintf(s->pci[s->npci].bdf, sizeof s->pci[0].bdf, "%s", buf);
	if (neg && node != 1) {
		*err = xasprintf("sysfs: numa_node of %.*s is -%d (only -1 means none)", (int)bn, bdf, node);
		return -1;
	}
	s->pci[s->npci++].node = neg ? -1 : node;
	return 0;
}

/* One "path:value" line; 0, or -1 with *err. */
static int sysnuma_line(struct v4_sysnuma *s, const char *l, size_t n, char **err)
{
	static const char np[] = "/sys/devices/system/node/node", pp[] = "/sys/bus/pci/devices/";
	static const char nc[] = "/cpulist:", pn[] = "/numa_node:";
	const char *c = memchr(l, ':', n);
	if (n > sizeof np && memcmp(l, np, sizeof np - 1) == 0) {
		size_t i = sizeof np - 1;
		int id;
		if (num_at(l, n, &i, &id) == 0 && n - i >= sizeof nc - 1 &&
		    memcmp(l + i, nc, sizeof nc - 1) == 0)
			return add_node(s, id, l + i + sizeof nc - 1, n - i - (sizeof nc - 1), err);
	} else if (c && n > sizeof pp + 12 && memcmp(l, pp, sizeof pp - 1) == 0) {
		const char *b = l + sizeof pp - 1, *e = memchr(b, '/', (size_t)(l + n - b));
		if (e && (size_t)(l + n - e) >= sizeof pn - 1 && memcmp(e, pn, sizeof pn - 1) == 0)
			return add_pci(s, b, (size_t)(e - b), e + sizeof pn - 1,
				       (size_t)(l + n - e) - (sizeof pn - 1), err);
	}
	*err = xasprintf("not a sysfs node cpulist or PCI numa_node line: \"%.*s\"",
			 (int)(n > 80 ? 80 : n), l);
	return -1;
}

int v4_parse_sysnuma(const char *text, size_t len, struct v4_sysnuma *out, char **err)
{
	size_t pos = 0, n;
	const char *l;
	memset(out, 0, sizeof *out);
	while (text && (l = numa_line(text, len, &pos, &n, &out->cut))) {
		if (!n)
			continue;
		if (n > LINE_MAX_LEN) {
			*err = xstrdup("sysfs: line too long");
			return -1;
		}
		if (sysnuma_line(out, l, n, err) != 0)
			return -1;
	}
	if (!out->nnodes) {
		*err = xstrdup(out->cut ? "sysfs NUMA layout: output cut before a node line"
					: "sysfs NUMA layout: no /sys/devices/system/node/nodeN/cpulist line");
		return -1;
	}
	return 0;
}

void v4_sysnuma_free(struct v4_sysnuma *s)
{
	free(s->nodes);
	free(s->pci);
	memset(s, 0, sizeof *s);
}

int v4_sysnuma_pci_node(const struct v4_sysnuma *s, const char *bdf)
{
	for (size_t i = 0; i < s->npci; i++)
		if (strcasecmp(s->pci[i].bdf, bdf) == 0)
			return s->pci[i].node;
	return -2;
}

const struct v4_numa_node *v4_sysnuma_node(const struct v4_sysnuma *s, int id)
{
	for (size_t i = 0; i < s->nnodes; i++)
		if (s->nodes[i].id == id)
			return &s->nodes[i];
	return NULL;
}
