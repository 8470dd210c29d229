/* /proc/PID/limits (Linux fs/proc/base.c proc_pid_limits): a header line
 * "Limit  Soft Limit  Hard Limit  Units", then one line a resource, its name
 * in words padded to 26 columns ("Max open files", "Max locked memory"), the
 * soft and hard values (a number or "unlimited") and the unit (absent for
 * some, e.g. "Max nice priority"). */
#ifndef V4_PROCLIMITS_H
#define V4_PROCLIMITS_H

#include <stddef.h>

#define LIMITS_UNLIMITED (-1LL)
#define LIMITS_MAX_TEXT (64u << 10)

struct proc_limits {
	int has_nofile, has_memlock;
	long long nofile_soft, nofile_hard;   /* files; LIMITS_UNLIMITED */
	long long memlock_soft, memlock_hard; /* bytes; LIMITS_UNLIMITED */
};

/* 0, or -1 with *err (caller frees) when there is no "Max open files" or
 * "Max locked memory" line with two values, or the text is too big. */
int proc_limits_parse(const char *text, size_t len, struct proc_limits *out, char **err);

#endif
