/* Unit tests for the hccn_tool -link_stat -g parser (lib/parse/linkstat.c). */
#include <stdlib.h>
#include <string.h>

#include "linkstat.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Parses text; returns the parser's status, *ls filled (down_at freed). */
static int parse(const char *text, struct v4_linkstat *ls)
{
	char *err = NULL;
	int rc = v4_parse_linkstat(text, strlen(text), ls, &err);
	if (err)
		printf("# err: %s\n", err);
	free(err);
	free(ls->down_at);
	ls->down_at = NULL;
	return rc;
}

/* The hicann/hccl doc's sample: one LINK DOWN among three records. */
static void test_doc(void)
{
	size_t len = 0;
	char *t = fixture(FX "hccn-link-stat-g.hicann-hccl-doc.txt", &len), *err = NULL;
	struct v4_linkstat ls;
	is_int(t ? v4_parse_linkstat(t, len, &ls, &err) : -2, 0, "doc: parses");
	is_int(ls.up_count, 2, "doc: up count");
	is_int(ls.down_count, 1, "doc: down count");
	is_int((int)ls.nrec, 3, "doc: three records");
	is_int((int)ls.ndown, 1, "doc: one LINK DOWN");
	is_int((long long)ls.now, 1761688006LL, "doc: current time Tue Oct 28 21:46:46 2025");
	if (ls.ndown == 1)
		is_int((long long)ls.down_at[0], 1759659230LL, "doc: down at Sun Oct  5 10:13:50 2025");
	free(ls.down_at);
	free(t);
	free(err);
}

/* The older format, "[device N]", NA, cut and foreign outputs. */
static void test_edges(void)
{
	struct v4_linkstat ls;
	is_int(parse("[device 3]current time        : Fri Sep  1 06:37:26 2023\n"
		     "[device 3]link up count       : 2\n[device 3]link change records :\n"
		     "[device 3]    Fri Sep  1 06:34:43 2023    LINK DOWN\n", &ls),
	       0, "older format with [device N], no down count: parses");
	is_int(ls.down_count, -1, "older format: down count unknown");
	is_int((int)ls.ndown, 1, "older format: one LINK DOWN");
	is_int(parse("[devid 0]current time        : Tue Oct 28 21:46:46 2025\n[devid 0]link up count       : 0\n"
		     "[devid 0]link down count     : 0\n[devid 0]link change records : NA\n", &ls),
	       0, "no history (NA): parses");
	is_int((int)ls.nrec, 0, "NA: no records");
	is_int(parse("[devid 0]current time        : Tue Oct 28 21:46:46 2025\n[devid 0]link up count       : 2\n", &ls),
	       -1, "cut before the records");
	is_int(parse("", &ls), -1, "empty");
	is_int(parse("link status: UP\n", &ls), -1, "another command's output (-link -g)");
	is_int(parse("[devid 0]current time        : Tue Oct 32 21:46:46 2025\n[devid 0]link up count : 1\n"
		     "[devid 0]link change records :\n", &ls),
	       -1, "a day 32");
	is_int(parse("[devid 0]current time        : Tue Oct 28 21:46:46 2025\n[devid 0]link up count : 1\n"
		     "[devid 0]link change records :\n[devid 0]    Sun Oct  5 10:13:50 2025    LINK SIDEWAYS\n", &ls),
	       -1, "an unknown record state");
	is_int(parse("[devid 0]current time        : Tue Oct 28 21:46:46 2025\n[devid 0]link up count : x\n"
		     "[devid 0]link change records :\n", &ls),
	       -1, "a count that is not a number");
	is_int(parse("[devid 0]current time        : Tue Oct 28 21:46:46 2025\n[devid 0]link up count : 1\n"
		     "[devid 0]link change records : NA\n[devid 0]    Sun Oct  5 10:13:50 2025    LINK DOWN\n", &ls),
	       -1, "a record after NA");
}

int main(void)
{
	test_doc();
	test_edges();
	return tap_done();
}
