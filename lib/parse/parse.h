/* Parsers for what Ascend tools print (see shared/reference/ascend-cli-formats.md).
 * Each returns 0 on success, -1 with *err (caller frees) when the text is not
 * understood. None of them trusts widths, padding or a closing '|'. */
#ifndef V4_PARSE_H
#define V4_PARSE_H

#include <stddef.h>
#include <time.h>

struct v4_kvs;

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
	int phy_id;      /* A3 Phy-ID / 310P Device on line 2; -1 when absent */
	int proc_known;  /* 1 when the process block of its NPU id was read whole */
};

struct v4_npusmi {
	char tool_version[32];   /* left of the header line */
	char driver_version[32]; /* right: "Version: ..." */
	struct v4_npu *npus;
	size_t nnpu;
	struct v4_npu_proc *procs;
	size_t nproc;
	int has_proc_table;      /* the process table's header was seen */
	size_t nunparsed;        /* '|' rows inside the tables that were not understood */
	/* What was understood. The device table is whole only when the process
	 * table's header follows it (A2/A3 always print one); a process block is
	 * whole when a separator, or the next NPU's block, ends it. */
	int npus_whole;
	int cut;                 /* the last line had no newline: dropped, a cut read */
	size_t nproc_unknown;    /* NPU rows whose process block was not read whole */
	int two_chip;            /* some NPU id has rows for two chips (A3, two-die parts) */
};

/* Parses the whole table: 0 when at least one NPU row was understood (what
 * was not is counted above), -1 with *err when nothing was. */
int v4_parse_npusmi(const char *text, size_t len, struct v4_npusmi *out, char **err);
void v4_npusmi_free(struct v4_npusmi *s);
/* Names an NPU row once: "NPU 3", or "NPU 3 chip 1" when the table lists
 * two chips per NPU id. */
void v4_npu_label(const struct v4_npusmi *s, const struct v4_npu *u, char *buf, size_t n);
/* Why the table is not whole (static text), or NULL when it is. */
const char *v4_npusmi_partial(const struct v4_npusmi *s);

/* npu-smi info -l: the NPU ids. Only that format: a "Total Count" (or "Card
 * Count") line, NPU ID lines as many as it says, no table rows. */
int v4_parse_npusmi_list(const char *text, size_t len, int **ids, size_t *n, char **err);

/* `npu-smi info -t TYPE -i N` of the types the checks read ("ecc", "health",
 * "board", "usages", "common"): the label lines, only when the output holds
 * the type's own label, the label its output ends with (board: Chip Count)
 * and, where each chip's block ends with "Chip ID", as many of those as
 * "Chip Count" says (else the read was cut); another command's output is
 * not understood. Other types: any label lines. */
int v4_parse_npusmi_t(const char *text, size_t len, const char *type, struct v4_kvs *kv, char **err);

/* `npu-smi upgrade -b mcu -i N`, the MCU version query: one "Version : X"
 * line (whole lines only) and nothing else but blank lines; X into ver. */
int v4_parse_npusmi_mcu(const char *text, size_t len, char *ver, size_t vsz, char **err);

/* The line of a failed tool's output that gives the cause (for npu-smi the
 * "dcmi module initialize failed. ret is -8005" line, not the driver's
 * DrvMngGetConsoleLogLevel noise before it), trimmed, at most 200 bytes;
 * caller frees. "" when the text has no line. */
char *v4_cause_line(const char *text, size_t len);
/* The first lines of text as one excerpt of at most max bytes, with line
 * breaks as " / ", runs of blanks as one space and control bytes as '?'
 * (caller frees). */
char *v4_excerpt(const char *text, size_t len, size_t max);

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
	int cut;             /* the output's last line had no newline: left out */
	int certs_partial;   /* a certificate block without a readable end_time */
	struct v4_cert certs[8];
	size_t ncert;
};

/* Parses one device's output; err_text is its stderr (for "No certificate
 * found"). All hccn_tool parsers read whole lines only: a last line without
 * its newline is a cut read and is left out. */
int v4_parse_hccn_tls(const char *out, size_t out_len, const char *err_text, struct v4_tls *t,
		      char **err);

/* What hccn_tool prints when another call holds the NPU ("hccn_tool is busy,
 * please try again."). */
#define V4_HCCN_BUSY "hccn_tool is busy"
/* 1 when the text says "hccn_tool is busy, please try again." */
int v4_hccn_busy(const char *text, size_t len);

/* ==== Added by the parsers branch: more formats (ascend-cli-formats.md) ==== */

/* ---- key/value lists: version.info files and npu-smi -t blocks ---- */

struct v4_kv {
	char key[64];   /* longer keys are truncated */
	char val[256];  /* longer values are truncated */
};

struct v4_kvs {
	struct v4_kv *v;
	size_t n, cap;
};

/* Parses key=value lines (driver/firmware version.info, CANN
 * ascend_toolkit_install.info); keys are case-sensitive, kept as printed;
 * blank, '#' and other lines are skipped. -1 when no key=value line at all. */
int v4_parse_kv_file(const char *text, size_t len, struct v4_kvs *kv, char **err);

/* Parses `npu-smi info -t board|ecc|health|usages|... -i N` ("label : value"
 * lines, any indentation); labels are trimmed. -1 when no such line. */
int v4_parse_npusmi_kv(const char *text, size_t len, struct v4_kvs *kv, char **err);

/* Value of the first entry with exactly this key, or NULL. */
const char *v4_kv_get(const struct v4_kvs *kv, const char *key);
/* Appends one entry (truncated to the field sizes). */
void v4_kvs_add(struct v4_kvs *kv, const char *k, size_t kn, const char *v, size_t vn);
void v4_kvs_free(struct v4_kvs *kv);

/* Compares version strings component-wise (dot-separated): numbers
 * numerically, "rcN"/"RCN" before any release number (24.1.rc3 < 24.1.0),
 * a missing component before any present one (24.1.0 < 24.1.0.3).
 * Returns <0, 0, >0 like strcmp; NULL sorts first. */
int v4_version_cmp(const char *a, const char *b);

/* ---- hccn_tool -i N -tls -g, several devices in one text ---- */

/* Splits concatenated per-device -tls -g outputs (e.g. a for-loop, or
 * `| grep switch`) at each switch line; *t is allocated (caller frees). */
int v4_parse_hccn_tls_all(const char *out, size_t len, struct v4_tls **t, size_t *n, char **err);

/* ---- other hccn_tool -i N ... -g outputs (one device each) ---- */

/* -link -g: "link status: UP|DOWN"; *up = 1 or 0. */
int v4_parse_hccn_link(const char *text, size_t len, int *up, char **err);

enum v4_net_health {
	V4_NH_SUCCESS,        /* the only healthy value */
	V4_NH_SOCKET_FAIL,    /* "Socket fail" / "Socket failed" */
	V4_NH_RECV_TIMEOUT,
	V4_NH_UNREACHABLE,
	V4_NH_TIME_EXCEEDED,
	V4_NH_FAULT,
	V4_NH_INIT,           /* no netdetect IP, or not probed yet */
	V4_NH_OTHER           /* Thread error, Detect ip set, Unknown, anything else */
};

struct v4_hccn_health {
	char status[64];            /* as printed, trimmed */
	enum v4_net_health kind;    /* matched case-insensitively */
	int healthy;                /* 1 only for Success */
};

/* -net_health -g: "net health status: X". */
int v4_parse_hccn_net_health(const char *text, size_t len, struct v4_hccn_health *h, char **err);

struct v4_hccn_ip {
	char addr[64];     /* "" when absent */
	char netmask[64];
	int none;          /* "Get ipconf failed, because no ip was preset there!" */
};

/* -ip -g: "ipaddr:A" / "netmask:M"; "no ip was preset" gives none=1, rc 0. */
int v4_parse_hccn_ip(const char *text, size_t len, struct v4_hccn_ip *ip, char **err);

struct v4_hccn_ping {
	long transmitted, received;
	double loss_pct;
};

/* -ping -g address IP: only the "N packets transmitted, M received, X% packet(s)
 * loss" summary (the first one); -1 when there is none. */
int v4_parse_hccn_ping(const char *text, size_t len, struct v4_hccn_ping *p, char **err);

/* -netdetect -g: "netdetect addr(ess): A" into addr (size asz). */
int v4_parse_hccn_netdetect(const char *text, size_t len, char *addr, size_t asz, char **err);

struct v4_hccn_gateway {
	char gateway[64];
	char iface[32];
};

/* -gateway -g: "default gateway:G, Iface:ethN". */
int v4_parse_hccn_gateway(const char *text, size_t len, struct v4_hccn_gateway *g, char **err);

/* ---- /etc/hccn.conf ---- */

struct v4_hccn_conf_dev {
	int dev;
	char address[64], netmask[64], netdetect[64], gateway[64]; /* "" when absent */
	int tls_enable;                                             /* -1 when absent */
};

struct v4_hccn_conf {
	struct v4_hccn_conf_dev *devs; /* in order of first appearance */
	size_t ndev, cap;
	size_t nother;                 /* key_N lines with other keys (send_arp_status ...) */
};

/* Parses key_N=value lines in any order; -1 when there is none. */
int v4_parse_hccn_conf(const char *text, size_t len, struct v4_hccn_conf *c, char **err);
/* The entry for device dev, or NULL. */
const struct v4_hccn_conf_dev *v4_hccn_conf_get(const struct v4_hccn_conf *c, int dev);
void v4_hccn_conf_free(struct v4_hccn_conf *c);

#endif
