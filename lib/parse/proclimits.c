/* /proc/PID/limits: the open-files and locked-memory limits (see limits.h). */
#include <stdlib.h>
#include <string.h>

#include "proclimits.h"
#include "util.h"

/* Reads a value word ("unlimited" or digits) at *p, moving past it; 0 or -1. */
static int value(const char **p, const char *end, long long *v)
{
	const char *s = *p;
	while (s < end && *s == ' ')
		s++;
	if ((size_t)(end - s) >= 9 && memcmp(s, "unlimited", 9) == 0) {
		*v = LIMITS_UNLIMITED;
		*p = s + 9;
		return 0;
	}
	long long x = 0;
	const char *d = s;
	while (s < end && *s >= '0' && *s <= '9' && x < (1LL << 60))
		x = x * 10 + (*s++ - '0');
	if (s == d || (s < end && *s != ' '))
		return -1;
	*v = x;
	*p = s;
	return 0;
}

/* Reads the two values after the name if the line [s, end) is that resource. */
static int line_of(const char *s, const char *end, const char *name, long long *soft,
		   long long *hard)
{
	size_t n = strlen(name);
	if ((size_t)(end - s) <= n || memcmp(s, name, n) != 0 || s[n] != ' ')
		return 0;
	const char *p = s + n;
	return value(&p, end, soft) == 0 && value(&p, end, hard) == 0 ? 1 : -1;
}

int proc_limits_parse(const char *text, size_t len, struct proc_limits *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (len > LIMITS_MAX_TEXT) {
		*err = xasprintf("limits text of %zu bytes is over the limit", len);
		return -1;
	}
	int bad = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		const char *s = text + i, *end = nl ? nl : text + len;
		int r = line_of(s, end, "Max open files", &out->nofile_soft, &out->nofile_hard);
		if (r == 1)
			out->has_nofile = 1;
		r = r ? r : line_of(s, end, "Max locked memory", &out->memlock_soft, &out->memlock_hard);
		if (r == 1 && strncmp(s, "Max locked", 10) == 0)
			out->has_memlock = 1;
		bad |= r < 0;
		i = (size_t)(end - text) + 1;
	}
	if (bad || !out->has_nofile || !out->has_memlock) {
		*err = xstrdup(bad ? "a Max open files / Max locked memory line without two values"
				   : "no Max open files or Max locked memory line");
		return -1;
	}
	return 0;
}
