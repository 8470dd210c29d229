/* Unit tests for the hccn_tool -lldp -g parser (lib/parse/lldp.c). */
#include <stdlib.h>
#include <string.h>

#include "lldp.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Parses text; returns the parser's status. */
static int parse(const char *text, struct v4_lldp *l)
{
	char *err = NULL;
	int rc = v4_parse_lldp(text, strlen(text), l, &err);
	if (err)
		printf("# err: %s\n", err);
	free(err);
	return rc;
}

/* The published sample (author's "..." cuts inside, 8-space indents). */
static void test_sample(void)
{
	size_t len = 0;
	char *t = fixture(FX "hccn-lldp-g.arthurchiao-910b1.txt", &len), *err = NULL;
	struct v4_lldp l;
	is_int(t ? v4_parse_lldp(t, len, &l, &err) : -2, 0, "sample: parses");
	is_str(l.port, "400GE1/1/20:2", "sample: port");
	is_str(l.chassis, "MAC: ...", "sample: chassis as printed");
	is_int(l.max_frame, 9216, "sample: max frame");
	is_int(l.none, 0, "sample: a neighbour");
	free(t);
	free(err);
}

/* Empty output, tabs, a cut text and another command's output. */
static void test_edges(void)
{
	struct v4_lldp l;
	is_int(parse("", &l), 0, "empty: parses");
	is_int(l.none, 1, "empty: no neighbour");
	is_int(parse("Chassis ID TLV\n\tMAC: 3c:c7:86:01:10:01\nPort ID TLV\n\tIfname: 400GE1/2/4:1\n"
		     "System Description TLV\n\tVRP\n\nHuarong DX511\n\nEnd of LLDPDU TLV\n", &l), 0,
	       "tabs: parses");
	is_str(l.chassis, "MAC: 3c:c7:86:01:10:01", "tabs: chassis");
	is_str(l.port, "400GE1/2/4:1", "tabs: port");
	is_int(l.max_frame, -1, "tabs: no max frame TLV");
	is_int(parse("Chassis ID TLV\n\tMAC: x\nPort ID TLV\n\tIfname: 400GE1/2/4:1\n", &l), -1,
	       "cut before End of LLDPDU TLV: not understood");
	is_int(parse("Chassis ID TLV\n\tMAC: x\nEnd of LLDPDU TLV\n", &l), -1, "no Port ID: not understood");
	is_int(parse("link status: UP\n", &l), -1, "another command's output: not understood");
	is_int(parse("\n  \nChassis ID TLV\n\tMAC: y\nPort ID TLV\n\tIfname: p1\nEnd of LLDPDU TLV\n", &l), 0,
	       "blank lines first: parses");
}

int main(void)
{
	test_sample();
	test_edges();
	return tap_done();
}
