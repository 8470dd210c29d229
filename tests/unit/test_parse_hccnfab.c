/* Unit tests for the hccn_tool -pfc -g, -stat -g and -optical -g parsers
 * (lib/parse/hccnfab.c). */
#include <stdlib.h>
#include <string.h>

#include "hccnfab.h"
#include "tap.h"
#include "util.h"

#define FX "fixtures/parse/"

/* The hixl guide's sample, then cut, foreign and malformed outputs. */
static void test_pfc(void)
{
	size_t len = 0;
	char *t = fixture(FX "hccn-pfc-g.hicann-hixl-guide.txt", &len), *err = NULL;
	struct v4_pfc p;
	is_int(t ? v4_parse_pfc(t, len, &p, &err) : -2, 0, "pfc guide: parses");
	int want[8] = {0, 0, 0, 0, 1, 0, 0, 0}, same = 1;
	for (int k = 0; k < 8; k++)
		same &= p.enabled[k] == want[k];
	ok(same, "pfc guide: priority 4 only");
	free(err);
	err = NULL;
	is_int(t ? v4_parse_pfc(t, len - 1, &p, &err) : -2, -1,
	       "pfc: last line without its newline is not read");
	free(err);
	static const char *const bad[] = {
		"",
		"PFC configuration:\npriority   0 1 2 3 4 5 6 7\n",
		"PFC configuration:\npriority   0 1 2 3 4 5 6 7\nenabled    0 0 0 0 1 0 0\n",
		"PFC configuration:\npriority   0 1 2 3 4 5 6 7\nenabled    0 0 0 0 2 0 0 0\n",
		"PFC configuration:\npriority   0 1 2 3 4 5 6 7\nenabled    0 0 0 0 10 0 0 0\n",
		"PFC configuration:\npriority   7 6 5 4 3 2 1 0\nenabled    0 0 0 0 1 0 0 0\n",
		"PFC configuration:\npriority   0 1 2 3 4 5 6 7\nenabled    0 0 0 0 1 0 0 0\nenabled    0 0 0 0 1 0 0 0\n",
		"link status: UP\n",
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(bad); i++) {
		err = NULL;
		is_int(v4_parse_pfc(bad[i], strlen(bad[i]), &p, &err), -1,
		       "pfc: malformed or cut output refused");
		ok(err != NULL, "pfc: with a reason");
		free(err);
	}
	free(t);
}

/* The doc's sample with its elision, the driver's full list, and cuts. */
static void test_stat(void)
{
	size_t len = 0;
	char *t = fixture(FX "hccn-stat-g.mind-cluster-doc.txt", &len), *err = NULL;
	struct v4_hccnstat *s = xcalloc(1, sizeof *s);
	unsigned long long v = 0;
	is_int(t ? v4_parse_hccnstat(t, len, s, &err) : -2, 0, "stat doc: parses past its \"...\"");
	is_int((int)s->n, 8, "stat doc: eight counters");
	ok(v4_hccnstat_get(s, "nic_rx_all_oct_num", &v) && v == 482237805ULL,
	   "stat doc: nic_rx_all_oct_num");
	ok(v4_hccnstat_get(s, "roce_qp_status_err_num", &v) && v == 0,
	   "stat doc: roce_qp_status_err_num 0");
	ok(!v4_hccnstat_get(s, "roce_rx_err_pkt_num", &v), "stat doc: no counter it left out");
	free(err);
	free(t);
	err = NULL;
	t = fixture(FX "hccn-stat-g.driver-source-a2.txt", &len);
	is_int(t ? v4_parse_hccnstat(t, len, s, &err) : -2, 0, "stat driver list: parses");
	is_int((int)s->n, 46, "stat driver list: 46 counters");
	ok(v4_hccnstat_get(s, "roce_new_pkt_rty_num", &v) && v == 0,
	   "stat driver list: roce_new_pkt_rty_num");
	free(err);
	err = NULL;
	is_int(t ? v4_parse_hccnstat(t, len - 1, s, &err) : -2, -1,
	       "stat: last line without newline not read");
	free(err);
	free(t);
	static const char *const bad[] = {
		"",
		"packet statistics:\nroce_rx_err_pkt_num:0\n",
		"packet statistics:\nroce_rx_err_pkt_num:x\nnic_rx_all_oct_num:1\n",
		"packet statistics:\nroce_rx_err_pkt_num:-1\nnic_rx_all_oct_num:1\n",
		"packet statistics:\nroce_rx_err_pkt_num:99999999999999999999999\nnic_rx_all_oct_num:1\n",
		"packet statistics:\nRoce Rx:1\nnic_rx_all_oct_num:1\n",
		"roce_rx_err_pkt_num:0\nnic_rx_all_oct_num:1\n",
		"link status: UP\n",
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(bad); i++) {
		err = NULL;
		is_int(v4_parse_hccnstat(bad[i], strlen(bad[i]), s, &err), -1,
		       "stat: malformed or cut output refused");
		ok(err != NULL, "stat: with a reason");
		free(err);
	}
	free(s);
}

/* The FaultDiag capture (four lanes), the doc's one-lane module, NA, cuts. */
static void test_optical(void)
{
	size_t len = 0;
	char *t = fixture(FX "hccn-optical-g.mind-cluster-faultdiag-fixture.txt", &len),
	     *err = NULL;
	struct v4_optical o;
	is_int(t ? v4_parse_optical(t, len, &o, &err) : -2, 0, "optical capture: parses");
	is_int(o.present, 0, "optical capture: says not present");
	ok(o.tx[0].kind == V4_OPT_MW && o.tx[0].mw == 4.4035,
	   "optical capture: Tx lane 0 4.4035 mW");
	ok(o.rx[1].kind == V4_OPT_MW && o.rx[1].mw == 0.0054,
	   "optical capture: Rx lane 1 0.0054 mW");
	ok(o.rx[3].kind == V4_OPT_MW && o.rx[3].mw == 1.0213,
	   "optical capture: Rx lane 3 1.0213 mW");
	ok(o.tx_hi.mw == 3.5481 && o.tx_lo.mw == 0.2818 && o.rx_hi.mw == 3.5481 &&
		   o.rx_lo.mw == 0.1445,
	   "optical capture: the four thresholds");
	free(err);
	free(t);
	err = NULL;
	t = fixture(FX "hccn-optical-g.mind-cluster-doc.txt", &len);
	is_int(t ? v4_parse_optical(t, len, &o, &err) : -2, 0,
	       "optical doc: parses past its \"...\"");
	ok(o.tx[0].kind == V4_OPT_MW && o.tx[1].kind == V4_OPT_ABSENT, "optical doc: one Tx lane");
	free(err);
	free(t);
	const char *na =
		"optical info:\npresent              : not present\nTx Power             : NA\n"
		"Rx Power             : NA\nRxPower Low Thres    : NA\n";
	err = NULL;
	is_int(v4_parse_optical(na, strlen(na), &o, &err), 0, "optical NA module: parses");
	ok(o.tx[0].kind == V4_OPT_NONE && o.rx_lo.kind == V4_OPT_NONE,
	   "optical NA module: no readings");
	free(err);
	static const char *const bad[] = {
		"",
		"optical info:\nTx Power0            : 1.4140 mW\n",
		"optical info:\nTx Power0            : 1.41\nRxPower Low Thres    : 0.1445 mW\n",
		"optical info:\nTx Power0            : 1.4140 mW\nTx Power0            : 1.4140 mW\n"
		"RxPower Low Thres    : 0.1445 mW\n",
		"optical info:\nTx Power0            \nRxPower Low Thres    : 0.1445 mW\n",
		"optical info:\nRxPower Low Thres    : -1 mW\n",
		"present              : present\nRxPower Low Thres    : 0.1445 mW\n",
		"link status: UP\n",
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(bad); i++) {
		err = NULL;
		is_int(v4_parse_optical(bad[i], strlen(bad[i]), &o, &err), -1,
		       "optical: malformed or cut output refused");
		ok(err != NULL, "optical: with a reason");
		free(err);
	}
}

int main(void)
{
	test_pfc();
	test_stat();
	test_optical();
	return tap_done();
}
