/* hccn_tool -pfc -g, -stat -g and -optical -g of one NPU. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hccnfab.h"
#include "util.h"

/* The length of text up to and with its last newline: a last line without
 * one was cut and is not read. */
static size_t whole_len(const char *text, size_t len)
{
	while (len && text[len - 1] != '\n')
		len--;
	return len;
}

/* l (n bytes) without leading and trailing blanks, into *n. */
static const char *trim(const char *l, size_t *n)
{
	while (*n && (*l == ' ' || *l == '\t'))
		l++, (*n)--;
	while (*n && (l[*n - 1] == ' ' || l[*n - 1] == '\t'))
		(*n)--;
	return l;
}

/* 1 when l (n bytes) is s. */
static int is(const char *l, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(l, s, n) == 0;
}

/* 1 for the "..." a published copy puts where it left lines out. */
static int elision(const char *l, size_t n)
{
	return is(l, n, "...");
}

/* The error for line lineno (l, n bytes). */
static char *bad_line(size_t lineno, const char *l, size_t n)
{
	return xasprintf("line %zu not understood: %.*s", lineno, (int)(n < 60 ? n : 60), l);
}

/* Reads words "label d d d d d d d d" of l: 0 and v[8] when the label is
 * want and the eight words are single digits at most max; else -1. */
static int eight_digits(const char *l, size_t n, const char *want, int max, int v[8])
{
	size_t w = strlen(want), i = w, k = 0;
	if (n <= w || memcmp(l, want, w) != 0 || l[w] != ' ')
		return -1;
	while (i < n && k < 8) {
		while (i < n && l[i] == ' ')
			i++;
		if (i >= n || l[i] < '0' || l[i] - '0' > max || (i + 1 < n && l[i + 1] != ' '))
			return -1;
		v[k++] = l[i++] - '0';
	}
	while (i < n && l[i] == ' ')
		i++;
	return k == 8 && i == n ? 0 : -1;
}

int v4_parse_pfc(const char *text, size_t len, struct v4_pfc *out, char **err)
{
	size_t pos = 0, n, lineno = 0, end = whole_len(text, len);
	const char *l;
	int have = 0, prio[8];
	memset(out, 0, sizeof *out);
	*err = NULL;
	while (next_line(text, end, &pos, &l, &n)) {
		lineno++;
		l = trim(l, &n);
		if (n == 0)
			continue;
		if (have == 0 && is(l, n, "PFC configuration:"))
			have = 1;
		else if (have == 1 && eight_digits(l, n, "priority", 7, prio) == 0)
			have = 2;
		else if (have == 2 && eight_digits(l, n, "enabled", 1, out->enabled) == 0)
			have = 3;
		else {
			*err = bad_line(lineno, l, n);
			return -1;
		}
	}
	for (int p = 0; have == 3 && p < 8; p++)
		if (prio[p] != p)
			have = 0;
	if (have != 3) {
		*err = xasprintf("not hccn_tool -pfc -g output: no %s line",
				 have == 0   ? "\"PFC configuration:\""
				 : have == 1 ? "\"priority 0 1 2 3 4 5 6 7\""
					     : "\"enabled\"");
		return -1;
	}
	return 0;
}

/* A counter line "name:count" into s; 0 or -1. */
static int stat_line(const char *l, size_t n, struct v4_hccnstat *s)
{
	const char *c = memchr(l, ':', n);
	size_t k = c ? (size_t)(c - l) : 0, vn = c ? n - k - 1 : 0;
	if (!k || k >= sizeof s->name[0] || vn == 0 || vn > 20 || s->n >= V4_HCCNSTAT_MAX)
		return -1;
	for (size_t i = 0; i < k; i++)
		if (!islower((unsigned char)l[i]) && !isdigit((unsigned char)l[i]) && l[i] != '_')
			return -1;
	unsigned long long v = 0;
	for (size_t i = 0; i < vn; i++) {
		unsigned d = (unsigned)(c[1 + i] - '0');
		if (d > 9 || v > (~0ULL - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	memcpy(s->name[s->n], l, k);
	s->name[s->n][k] = '\0';
	s->v[s->n++] = v;
	return 0;
}

int v4_parse_hccnstat(const char *text, size_t len, struct v4_hccnstat *out, char **err)
{
	size_t pos = 0, n, lineno = 0, end = whole_len(text, len);
	const char *l;
	int head = 0;
	memset(out, 0, sizeof *out);
	*err = NULL;
	while (next_line(text, end, &pos, &l, &n)) {
		lineno++;
		l = trim(l, &n);
		if (n == 0 || (head && elision(l, n)))
			continue;
		if (!head && is(l, n, "packet statistics:"))
			head = 1;
		else if (!head || stat_line(l, n, out) != 0) {
			*err = bad_line(lineno, l, n);
			return -1;
		}
	}
	unsigned long long last;
	if (!head || !v4_hccnstat_get(out, "nic_rx_all_oct_num", &last)) {
		*err = xasprintf("not hccn_tool -stat -g output%s",
				 head ? " whole: no nic_rx_all_oct_num line (its last)"
				      : ": no \"packet statistics:\" line");
		return -1;
	}
	return 0;
}

int v4_hccnstat_get(const struct v4_hccnstat *s, const char *name, unsigned long long *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name)) {
			*v = s->v[i];
			return 1;
		}
	return 0;
}

/* A power value "N mW" or a word the tool prints for none, into *o; 0 or -1. */
static int power_value(const char *v, size_t n, struct v4_optval *o)
{
	if (is(v, n, "NA") || is(v, n, "not supported") || is(v, n, "get failed")) {
		o->kind = V4_OPT_NONE;
		return 0;
	}
	char buf[32], *endp;
	if (n < 4 || n >= sizeof buf || memcmp(v + n - 3, " mW", 3) != 0)
		return -1;
	memcpy(buf, v, n - 3);
	buf[n - 3] = '\0';
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	o->mw = strtod(buf, &endp);
	if (*endp || o->mw < 0 || o->mw > 1000)
		return -1;
	o->kind = V4_OPT_MW;
	return 0;
}

/* Where the value of optical key k (kn bytes) goes, or NULL when it is not
 * one the checks read. */
static struct v4_optval *optical_slot(struct v4_optical *o, const char *k, size_t kn)
{
	static const char *const names[] = {"TxPower High Thres", "TxPower Low Thres",
					    "RxPower High Thres", "RxPower Low Thres"};
	struct v4_optval *thres[] = {&o->tx_hi, &o->tx_lo, &o->rx_hi, &o->rx_lo};
	for (size_t i = 0; i < 4; i++)
		if (is(k, kn, names[i]))
			return thres[i];
	if (kn >= 8 && (memcmp(k, "Tx Power", 8) == 0 || memcmp(k, "Rx Power", 8) == 0)) {
		struct v4_optval *lanes = k[0] == 'T' ? o->tx : o->rx;
		if (kn == 8)
			return &lanes[0];
		if (kn == 9 && k[8] >= '0' && k[8] <= '3')
			return &lanes[k[8] - '0'];
	}
	return NULL;
}

/* An optical "key : value" line into o; *last set on "RxPower Low Thres". */
static int optical_line(const char *l, size_t n, struct v4_optical *o, int *last)
{
	const char *c = memchr(l, ':', n);
	if (!c || c == l)
		return -1;
	size_t kn = (size_t)(c - l), vn = n - kn - 1;
	const char *k = trim(l, &kn), *v = trim(c + 1, &vn);
	if (!kn)
		return -1;
	if (is(k, kn, "present"))
		o->present = is(v, vn, "present");
	struct v4_optval *slot = optical_slot(o, k, kn);
	if (!slot)
		return 0;
	if (slot->kind != V4_OPT_ABSENT || power_value(v, vn, slot) != 0)
		return -1;
	*last |= slot == &o->rx_lo;
	return 0;
}

int v4_parse_optical(const char *text, size_t len, struct v4_optical *out, char **err)
{
	size_t pos = 0, n, lineno = 0, end = whole_len(text, len);
	const char *l;
	int head = 0, last = 0;
	memset(out, 0, sizeof *out);
	*err = NULL;
	while (next_line(text, end, &pos, &l, &n)) {
		lineno++;
		l = trim(l, &n);
		if (n == 0 || (head && elision(l, n)))
			continue;
		if (!head && is(l, n, "optical info:"))
			head = 1;
		else if (!head || optical_line(l, n, out, &last) != 0) {
			*err = bad_line(lineno, l, n);
			return -1;
		}
	}
	if (!head || !last) {
		*err = xasprintf("not hccn_tool -optical -g output%s",
				 head ? " whole: no \"RxPower Low Thres\" line"
				      : ": no \"optical info:\" line");
		return -1;
	}
	return 0;
}
