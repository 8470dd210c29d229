/* The logs probes' output: windows of the container's log (`docker logs`)
 * and of the engine's CANN plog files, framed by the probe's own "v4logs"
 * lines, each log line numbered ("N:text"), and the lines in them that say
 * HCCL or the device is failing. The line texts are the tools' own (CANN
 * plog: "[ERROR] HCCL(PID,python3):DATE [file.cc:N] ..."; the service log:
 * "EI0006: [PID: N] ...", "Name(EI0013): ..."). Pure. */
#ifndef V4_LOGSCAN_H
#define V4_LOGSCAN_H

#include <stddef.h>
#include <time.h>

/* What a matched line says, most specific first. */
enum v4_logkind {
	V4_LOG_ERROR_CQE,    /* "error CQE" / "cqe error status": RoCE retransmission exhausted */
	V4_LOG_TASK_TIMEOUT, /* "fftsplus task timeout": a collective stuck past HCCL_EXEC_TIMEOUT */
	V4_LOG_AICORE_TIMEOUT, /* "aicore timeout" / "aicore execution times out" (507014) */
	V4_LOG_ENGINE_DIED,    /* an engine or worker process died (segfault, abort) */
	V4_LOG_HCCL_CODE,      /* any other line with an HCCL fault code E[IJ]NNNN */
	V4_LOG_HCCL_ERROR, /* any other ERROR line of HCCL in the plog ("[ERROR] HCCL(PID,...)") */
	V4_LOG_NKIND
};

#define V4_LOG_QUOTE 240   /* bytes of a line quoted, at most */
#define V4_LOG_MAX_HITS 64 /* hits kept (all are counted) */

struct v4_loghit {
	enum v4_logkind kind;
	char code[8];            /* "EI0006" when the line carries an HCCL code, else "" */
	size_t src;              /* index into the scan's sources */
	long line;               /* line number in that source */
	char text[V4_LOG_QUOTE]; /* the line: cut, control bytes as '?', secrets masked */
};

/* One log read: the container's log or one plog file. */
struct v4_logsrc {
	char where[320]; /* "docker logs" or the plog file's path */
	int docker;
	time_t mtime;   /* a plog file's modification time (epoch s); 0 for docker */
	long long skip; /* bytes of the file's start not read (line numbers count after them) */
	long first, last, total; /* lines first..last of total were read (0 0 0: none) */
	int rc;                  /* docker logs' exit status; -1 unknown or a file */
};

struct v4_logscan {
	struct v4_logsrc *src;
	size_t nsrc;
	struct v4_loghit hit[V4_LOG_MAX_HITS];
	size_t nhit;     /* kept */
	size_t nhit_all; /* matched, kept or not */
	size_t per_kind[V4_LOG_NKIND];
	size_t lines;      /* log lines read */
	char since[64];    /* docker: the --since value (the container's StartedAt) */
	char plogdir[256]; /* plog: the log root looked in */
	int workpath;      /* plog: ASCEND_WORK_PATH set without ASCEND_PROCESS_LOG_PATH */
	int complete;      /* the closing "v4logs end" line was there */
};

/* Parses one probe's output. 0, or -1 with *err (caller frees) when it is
 * not this probe's output (no "v4logs docker" or "v4logs plog" line first, a
 * line neither framing nor "N:text"). A cut output parses (complete 0).
 * Free with v4_logscan_free either way. */
int v4_parse_logscan(const char *text, size_t len, struct v4_logscan *out, char **err);
void v4_logscan_free(struct v4_logscan *s);

/* The kind a log line shows, or V4_LOG_NKIND when none; code gets the HCCL
 * fault code it carries ("" when none; 8 bytes). */
enum v4_logkind v4_log_classify(const char *line, size_t n, char code[8]);

/* What an HCCL fault code means (hicann/hccl docs/en/user_guide/
 * fault_diagnosis/debug_thinking.md, "HCCL-Related Fault Codes"), or NULL. */
const char *v4_hccl_code_meaning(const char *code);

/* docker's RFC 3339 time ("2026-05-01T08:00:03.482114551Z", or with a
 * +hh:mm offset) as epoch seconds; 0 or -1. */
int v4_parse_rfc3339(const char *s, time_t *t);

#endif
