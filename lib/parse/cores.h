/* Core dumps since a time: the rows `coredumpctl list --no-pager
 * --no-legend` prints (systemd's own table: TIME as four words, e.g. "Wed
 * 2026-12-02 06:52:57 UTC", then PID UID GID SIG COREFILE EXE, and SIZE
 * from systemd 250 on), and the logs check's core probe around them: the
 * kernel's core_pattern line, then what was looked at, framed by the probe's
 * own "v4cores" lines. Pure. */
#ifndef V4_CORES_H
#define V4_CORES_H

#include <stddef.h>
#include <time.h>

#define V4_CORES_MAX 32 /* rows or files kept (all are counted) */

/* One row of coredumpctl list. */
struct v4_coredump {
	char time[48];     /* as printed: "Wed 2026-12-02 06:52:57 UTC" */
	time_t t;          /* epoch seconds when the zone is UTC, else 0 */
	long pid, uid, gid;
	char sig[16];      /* "SIGSEGV", or the number older versions print */
	char corefile[16]; /* present, missing, none, journal, error, inaccessible, ... */
	char exe[256];
	char size[16];     /* "18.1K", "-", or "" (no SIZE column before systemd 250) */
};

/* Parses coredumpctl list's rows (a header line "TIME ... PID UID GID SIG"
 * is skipped) into out[0..cap), *n rows kept, *all counted, *none set when
 * the only line is "No coredumps found.". 0, or -1 with *err (caller frees)
 * on a line that is no row, or on empty text. */
int v4_parse_coredumpctl_list(const char *text, size_t len, struct v4_coredump *out,
			      size_t cap, size_t *n, size_t *all, int *none, char **err);

/* How the kernel's core_pattern hands a core on (man 5 core). */
enum v4_core_handler {
	V4_CORE_SYSTEMD, /* "|/.../systemd-coredump ...": coredumpctl lists them */
	V4_CORE_PIPE,    /* another program: its place is not known here */
	V4_CORE_FILE,    /* a path: absolute, or relative to the crashing process's cwd */
	V4_CORE_EMPTY,   /* an empty pattern */
};

/* A core file the probe found (name, size, mtime). */
struct v4_corefile {
	char name[256];
	long long size;
	time_t mtime;
};

/* The core probe's output, parsed. */
struct v4_cores {
	char pattern[256]; /* the core_pattern line (cut) */
	char handler[256]; /* a pipe's program, "" otherwise */
	enum v4_core_handler kind;
	long long since;   /* the epoch the probe looked from */
	int no_coredumpctl; /* the pattern pipes to systemd-coredump, coredumpctl is missing */
	int no_process;    /* a file pattern and no serving process whose cwd/root to read */
	char dir[320];     /* a file pattern: the folder looked in */
	int rc;            /* the listing's exit status (-1: none ran) */
	size_t more;       /* lines past the probe's bound, not shown */
	struct v4_coredump dump[V4_CORES_MAX];
	size_t ndump, ndump_all;
	int none;          /* coredumpctl said "No coredumps found." */
	struct v4_corefile file[V4_CORES_MAX];
	size_t nfile, nfile_all;
	char listing_err[200]; /* coredumpctl printed lines that are no rows (the first) */
	int complete;      /* the closing "v4cores end" line was there */
};

/* Parses the probe's output. 0, or -1 with *err (caller frees) when it is not
 * this probe's output (no "v4cores since=" line first, a line neither framing
 * nor of the section it is in). A cut output parses (complete 0). */
int v4_parse_cores(const char *text, size_t len, struct v4_cores *out, char **err);

/* The handler a core_pattern names: kind, and a pipe's program in prog
 * (size bytes, "" for none). */
enum v4_core_handler v4_core_pattern_kind(const char *pattern, char *prog, size_t size);

/* 1 when an executable path or name is the engine's: python* or VLLM::*
 * (the vLLM processes' own names), by its last path element. */
int v4_core_exe_engine(const char *exe);

#endif
