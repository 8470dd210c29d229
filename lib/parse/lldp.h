/* hccn_tool -i N -lldp -g: the LLDP neighbour of an NPU's RoCE port
 * (shared/reference/ascend-cli-formats.md 3.10; samples/hccn-lldp-g.*). */
#ifndef V4_LLDP_H
#define V4_LLDP_H

#include <stddef.h>

struct v4_lldp {
	int none;           /* empty output: no LLDP neighbour */
	char chassis[64];   /* Chassis ID TLV value ("MAC: 3c:c7:..."), or "" */
	char port[64];      /* Port ID TLV Ifname ("400GE1/1/20:2") */
	long max_frame;     /* Maximum Frame Size TLV, or -1 when absent */
};

/* Parses the TLV blocks. 0, or -1 with *err (caller frees) when the text is
 * not this format, has no Port ID, or was cut before "End of LLDPDU TLV". */
int v4_parse_lldp(const char *text, size_t len, struct v4_lldp *out, char **err);

#endif
