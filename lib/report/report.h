/* Reports: text (folded by node), JSON (schema/v4check.schema.json), and the monitoring formats. */
#ifndef V4_REPORT_H
#define V4_REPORT_H

#include <stdio.h>

#include "run.h"

struct v4_report {
	const struct v4_node *nodes;
	size_t nn;
	const struct v4_check *const *checks;
	size_t nc;
	const struct v4_results *res;
	const struct v4_fixplan *plan;   /* may be NULL */
	const struct v4_fix_log *fixlog; /* may be NULL */
	const char *mode;                /* "local", "ssh", "replay DIR" ... */
	int with_facts;                  /* JSON: each node's raw facts, for merge */
	int with_raw;                    /* JSON: the same in compact form ("raw") */
	const cJSON *changes;            /* --state: changes since the last run, or NULL */
	double started;                  /* when the run began (epoch s); 0 unknown */
	double duration_s;               /* how long it took until the report */
	const struct v4_ctx *ctx;        /* the run's context (JUnit times: which probes a
					  * check read); may be NULL */
};

/* The controller's host name (this machine), for the report's "controller". */
const char *v4_report_controller(void);
/* t (epoch s) as RFC 3339 UTC with milliseconds ("2026-12-02T00:20:01.250Z"). */
void v4_report_rfc3339(double t, char *buf, size_t len);

/* Writes the report in o->format; returns the exit status it stands for. */
int v4_report(FILE *out, const struct v4_report *r, const struct v4_opts *o);

/* The JSON document of a report. Caller deletes. */
cJSON *v4_report_json(const struct v4_report *r);

/* Worst state of check c's results. */
enum v4_status v4_check_status(const struct v4_results *res, const char *check);

void v4_report_text(FILE *out, const struct v4_report *r, const struct v4_opts *o);

/* Monitoring formats (monitor.c). v4_report_nagios returns the plugin exit
 * status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
void v4_report_prom(FILE *out, const struct v4_report *r);
int v4_report_nagios(FILE *out, const struct v4_report *r);
/* warn_syserr (--junit-warn=system-err): a WARN passes, its lines in
 * <system-err>; else (the default) it is a <failure type="WARN">. */
void v4_report_junit(FILE *out, const struct v4_report *r, int warn_syserr);
/* Writes the Prometheus text to path atomically (temp file + rename). */
int v4_report_textfile(const char *path, const struct v4_report *r);

/* The HTML page (html.c): cluster map, then findings per check; self-contained. */
void v4_report_html(FILE *out, const struct v4_report *r);
/* Writes the HTML page to path atomically; -1 with errno on failure. */
int v4_report_html_file(const char *path, const struct v4_report *r);

/* Prints a fix plan (what would run where, and what is refused). */
void v4_print_plan(FILE *out, const struct v4_fixplan *plan);

#endif
