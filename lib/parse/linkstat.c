/* hccn_tool -link_stat -g: prefixed "label : value" lines, then records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkstat.h"
#include "util.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Parses asctime text "Sun Oct  5 10:13:51 2025" at s (n bytes) into *t; 0 or -1. */
static int asctime_parse(const char *s, size_t n, time_t *t)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char wd[4], mo[4], buf[64];
	int d, hh, mm, ss, y, used = 0;
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sscanf(buf, "%3s %3s %d %d:%d:%d %d%n", wd, mo, &d, &hh, &mm, &ss, &y, &used) != 7 ||
	    buf[used] != '\0')
		return -1;
	const char *p = strlen(mo) == 3 ? strstr(mon, mo) : NULL;
	if (!p || (p - mon) % 3 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || hh < 0 ||
	    mm < 0 || ss < 0 || y < 1970 || y > 9999)
		return -1;
	*t = (time_t)(days_from_civil(y, (int)((p - mon) / 3) + 1, d) * 86400L + hh * 3600L + mm * 60L + ss);
	return 0;
}

/* Skips the "[devid N]" / "[device N]" prefix of l (n bytes); NULL if absent. */
static const char *skip_prefix(const char *l, size_t *n)
{
	size_t k;
	if (*n > 7 && memcmp(l, "[devid ", 7) == 0)
		k = 7;
	else if (*n > 8 && memcmp(l, "[device ", 8) == 0)
		k = 8;
	else
		return NULL;
	size_t digits = 0;
	while (k + digits < *n && l[k + digits] >= '0' && l[k + digits] <= '9')
		digits++;
	if (!digits || k + digits >= *n || l[k + digits] != ']')
		return NULL;
	*n -= k + digits + 1;
	return l + k + digits + 1;
}

/* Value of "label : value" line l when its label is want, else NULL. */
static const char *field(const char *l, size_t n, const char *want, size_t *vn)
{
	size_t w = strlen(want);
	if (n < w || memcmp(l, want, w) != 0)
		return NULL;
	size_t i = w;
	while (i < n && l[i] == ' ')
		i++;
	if (i >= n || l[i] != ':')
		return NULL;
	i++;
	while (i < n && l[i] == ' ')
		i++;
	*vn = n - i;
	return l + i;
}

/* A decimal count of n bytes at s into *v; 0 or -1. */
static int count_parse(const char *s, size_t n, long *v)
{
	if (n == 0 || n > 12)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* A record "    <asctime>    LINK UP|LINK DOWN" into out; 0 or -1. */
static int record(const char *l, size_t n, struct v4_linkstat *out)
{
	size_t i = 0, end = n;
	while (i < n && l[i] == ' ')
		i++;
	int down;
	if (end - i > 9 && memcmp(l + end - 9, "LINK DOWN", 9) == 0)
		down = 1, end -= 9;
	else if (end - i > 7 && memcmp(l + end - 7, "LINK UP", 7) == 0)
		down = 0, end -= 7;
	else
		return -1;
	while (end > i && l[end - 1] == ' ')
		end--;
	time_t t;
	if (i == 0 || asctime_parse(l + i, end - i, &t) != 0)
		return -1;
	out->nrec++;
	if (down) {
		out->down_at = xrealloc(out->down_at, (out->ndown + 1) * sizeof *out->down_at);
		out->down_at[out->ndown++] = t;
	}
	return 0;
}

/* Takes one prefixed line (prefix removed) into out; in_rec set once the
 * records began. 0 or -1. */
static int take_line(const char *l, size_t n, struct v4_linkstat *out, int *have, int *in_rec)
{
	const char *v;
	size_t vn;
	if (*in_rec)
		return record(l, n, out);
	if ((v = field(l, n, "current time", &vn)))
		return *have |= 1, asctime_parse(v, vn, &out->now);
	if ((v = field(l, n, "link up count", &vn)))
		return *have |= 2, count_parse(v, vn, &out->up_count);
	if ((v = field(l, n, "link down count", &vn)))
		return count_parse(v, vn, &out->down_count);
	if ((v = field(l, n, "link change records", &vn))) {
		*have |= 4;
		if (vn == 2 && memcmp(v, "NA", 2) == 0)
			return 0; /* no history: nothing may follow */
		*in_rec = 1;
		return vn == 0 ? 0 : -1;
	}
	return -1;
}

int v4_parse_linkstat(const char *text, size_t len, struct v4_linkstat *out, char **err)
{
	size_t pos = 0, n, lineno = 0;
	const char *l;
	int have = 0, in_rec = 0;
	memset(out, 0, sizeof *out);
	out->down_count = -1;
	*err = NULL;
	while (next_line(text, len, &pos, &l, &n)) {
		lineno++;
		if (n == 0)
			continue;
		const char *b = skip_prefix(l, &n);
		if (!b || (have & 4 && !in_rec) || take_line(b, n, out, &have, &in_rec) != 0) {
			*err = xasprintf("line %zu not understood: %.*s", lineno, (int)(n < 60 ? n : 60), b ? b : l);
			return -1;
		}
	}
	if (have != 7) {
		*err = xasprintf("not hccn_tool -link_stat -g output: no %s line",
				 !(have & 1) ? "\"current time\"" : !(have & 2) ? "\"link up count\"" : "\"link change records\"");
		return -1;
	}
	return 0;
}
