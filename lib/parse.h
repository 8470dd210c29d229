/* Parsers for what Ascend tools print (see shared/reference/ascend-cli-formats.md).
 * Each returns 0 on success, -1 with *err (caller frees) when the text is not
 * understood. None of them trusts widths, padding or a closing '|'. */
#ifndef V4_PARSE_H
#define V4_PARSE_H

#include <stddef.h>
#include <time.h>

/* ---- npu-smi info (summary table) ---- */

struct v4_npu_proc {
	int npu, chip;
	long pid;
	char name[32];  /* may be empty: blank names are normal */
	long mem_mb;
};

struct v4_npu {
	int id;          /* NPU id as printed (need not start at 0) */
	int chip;        /* chip index on line 2 (A3: 0/1) */
	char name[32];   /* 910B2, Ascend910, 310P3 ... */
	char health[16]; /* OK, Warning, Alarm, Critical, UNKNOWN ... */
	char bus_id[16];
	int has_hbm;     /* 310/310P tables have no HBM column */
	long hbm_used_mb, hbm_total_mb;
	long ddr_used_mb, ddr_total_mb;
	int aicore_pct;
	double power_w;  /* -1 when '-' or NA */
	int temp_c;
};

struct v4_npusmi {
	char tool_version[32];   /* left of the header line */
	char driver_version[32]; /* right: "Version: ..." */
	struct v4_npu *npus;
	size_t nnpu;
	struct v4_npu_proc *procs;
	size_t nproc;
	int has_proc_table;
};

int v4_parse_npusmi(const char *text, size_t len, struct v4_npusmi *out, char **err);
void v4_npusmi_free(struct v4_npusmi *s);

/* npu-smi info -l: the NPU ids. */
int v4_parse_npusmi_list(const char *text, size_t len, int **ids, size_t *n, char **err);

/* ---- hccn_tool -i N -tls -g ---- */

struct v4_cert {
	char kind[16];       /* "pub cert", "ca1 cert", "ca2 cert", "crl" */
	char subject[256];
	char issuer[256];
	time_t start, end;   /* 0 when absent or not understood */
	int expiry_status;   /* -1 absent; 0 normal, 1 near, 2 expired */
};

struct v4_tls {
	int dev;             /* dev_id / device printed */
	int sw;              /* tls switch: 0 or 1 */
	int preconfigured;   /* -1 when the line has no such field */
	int alarm_days;      /* -1 when absent */
	int no_cert;         /* "No certificate found": switch taken as 0 */
	struct v4_cert certs[8];
	size_t ncert;
};

/* Parses one device's output; err_text is its stderr (for "No certificate
 * found"). */
int v4_parse_hccn_tls(const char *out, size_t out_len, const char *err_text, struct v4_tls *t,
		      char **err);

/* 1 when the text says "hccn_tool is busy, please try again." */
int v4_hccn_busy(const char *text, size_t len);

#endif
