/* hccn_tool outputs of the RoCE fabric's settings and health, one NPU each:
 *   -pfc -g      which of the 8 priorities have PFC (hicann/hixl
 *                skills/hixl-troubleshoot/references/guides.md; printed by
 *                hicann/driver .../hccn_product_ext/tool_cmd.c tool_get_pfc)
 *   -stat -g     "packet statistics:" then name:value counters (MindCluster
 *                docs/en/faultdiag/user_guide/03_collecting_logs.md; the list
 *                in hicann/driver .../hccn_tool/tool.c tool_display_stat_info)
 *   -optical -g  "optical info:" then "key : value" lines with the module's
 *                power thresholds (MindCluster ascend-faultdiag test fixture
 *                npu_info_before.txt; hicann/driver tool_show_optical_info)
 * Whole lines only: a last line without its newline is not read. */
#ifndef V4_HCCNFAB_H
#define V4_HCCNFAB_H

#include <stddef.h>

/* -pfc -g: enabled[p] is 1 when priority p has PFC. */
struct v4_pfc {
	int enabled[8];
};
/* 0, or -1 with *err (caller frees) unless the three lines are there whole. */
int v4_parse_pfc(const char *text, size_t len, struct v4_pfc *out, char **err);

/* -stat -g: the counters in the order printed. */
#define V4_HCCNSTAT_MAX 96
struct v4_hccnstat {
	size_t n;
	char name[V4_HCCNSTAT_MAX][40];
	unsigned long long v[V4_HCCNSTAT_MAX];
};
/* 0, or -1 with *err (caller frees) when there is no "packet statistics:"
 * line, a line is not name:count, or the last counter the tool prints
 * (nic_rx_all_oct_num) is missing: the output was cut. */
int v4_parse_hccnstat(const char *text, size_t len, struct v4_hccnstat *out, char **err);
/* Counter name into *v: 1, or 0 when the output has no such counter. */
int v4_hccnstat_get(const struct v4_hccnstat *s, const char *name, unsigned long long *v);

/* What a power or threshold value was: absent, a number of mW, or a word
 * the tool prints instead ("NA", "not supported", "get failed"). */
enum v4_optv { V4_OPT_ABSENT, V4_OPT_MW, V4_OPT_NONE };
struct v4_optval {
	enum v4_optv kind;
	double mw;
};
/* -optical -g: lanes 0..3 ("Tx Power0".."Tx Power3"; a module printed with
 * one "Tx Power" line has lane 0 only) and the module's thresholds. */
struct v4_optical {
	int present; /* "present : present" */
	struct v4_optval tx[4], rx[4];
	struct v4_optval tx_hi, tx_lo, rx_hi, rx_lo;
};
/* 0, or -1 with *err (caller frees) when there is no "optical info:" line,
 * a line is not "key : value", a power value is neither "N mW" nor a word,
 * or the last threshold line ("RxPower Low Thres") is missing: cut. */
int v4_parse_optical(const char *text, size_t len, struct v4_optical *out, char **err);

#endif
