/* Unit tests for the hccn_tool parsers over real and derived fixtures. */
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* Loads a fixture (abort the test run loudly when missing). */
static char *fx(const char *name, size_t *len)
{
	char *t = fixture(name, len);
	ok(t != NULL, name);
	return t;
}

/* Newest format: preconfigured field, subject, expiry status, padded day. */
static void test_tls_newest(void)
{
	size_t len;
	char *err = NULL, *t = fx(FX "hccn-tls-g.newest-subject-expiry.txt", &len);
	struct v4_tls tls;
	is_int(v4_parse_hccn_tls(t, len, "", &tls, &err), 0, "tls newest: parses");
	is_int(tls.dev, 0, "tls newest: dev 0");
	is_int(tls.sw, 1, "tls newest: switch 1");
	is_int(tls.preconfigured, 1, "tls newest: preconfigured");
	is_int(tls.alarm_days, 60, "tls newest: alarm 60 days");
	is_int(tls.no_cert, 0, "tls newest: has certs");
	is_int(tls.ncert, 2, "tls newest: 2 blocks");
	is_str(tls.certs[0].kind, "pub cert", "tls newest: pub cert");
	is_str(tls.certs[0].subject, "/C=CN/O=xxx/CN=www.xxx.com", "tls newest: subject");
	is_str(tls.certs[0].issuer, "/C=CN/O=xxx/CN=xxx RSA PSS Sub CA", "tls newest: issuer");
	is_int(tls.certs[0].start, 1769829027, "tls newest: start_time UTC");
	is_int(tls.certs[0].end, 2633829027LL, "tls newest: end_time 2053 UTC");
	is_int(tls.certs[0].expiry_status, 0, "tls newest: status normal");
	is_str(tls.certs[1].kind, "crl", "tls newest: crl");
	is_str(tls.certs[1].subject, "", "tls newest: empty subject");
	is_int(tls.certs[1].end, 1772421027, "tls newest: 'Mon Mar  2' padded day");
	is_int(tls.certs[1].expiry_status, 1, "tls newest: near expiration");
	free(t);
}

/* Older format (real doc sample, 8 devices concatenated, ends with "... ..."). */
static void test_tls_old_and_all(void)
{
	size_t len, n = 0;
	char *err = NULL, *t = fx(FX "hccn-tls-g.hicann-hccl-doc-ei0016.txt", &len);
	struct v4_tls tls, *all = NULL;
	is_int(v4_parse_hccn_tls(t, len, NULL, &tls, &err), 0, "tls old: parses first device");
	is_int(tls.preconfigured, -1, "tls old: no preconfigured field");
	is_int(tls.alarm_days, 60, "tls old: alarm days");
	is_int(tls.ncert, 3, "tls old: 3 certs for dev 0 only");
	is_str(tls.certs[2].kind, "ca2 cert", "tls old: ca2");
	is_str(tls.certs[0].subject, "", "tls old: no subject");
	is_str(tls.certs[0].issuer, "/C=CN/ST=GD/O=HUAWEI/OU=2012/CN=2_1thCA", "tls old: issuer");
	is_int(tls.certs[0].end, 1897442361, "tls old: end 2030-02-16 03:19:21 UTC");
	is_int(tls.certs[0].start, 1582082361, "tls old: start 2020-02-19");
	is_int(tls.certs[0].expiry_status, -1, "tls old: no status");
	is_int(v4_parse_hccn_tls_all(t, len, &all, &n, &err), 0, "tls old all: parses");
	is_int(n, 2, "tls old all: 2 devices");
	if (n == 2) {
		is_int(all[1].dev, 1, "tls old all: dev 1");
		is_int(all[1].ncert, 3, "tls old all: dev 1 has 3 certs");
	}
	free(all);
	free(t);

	t = fx(FX "hccn-tls-g-grep-switch.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_tls_all(t, len, &all, &n, &err), 0, "tls grep: parses");
	is_int(n, 8, "tls grep: 8 devices");
	int alloff = 1;
	for (size_t i = 0; i < n; i++)
		alloff &= all[i].sw == 0 && all[i].preconfigured == 1 && all[i].dev == (int)i;
	ok(alloff, "tls grep: devices 0..7 switch 0, preconfigured 1");
	free(all);
	free(t);

	t = fx(FX "hccn-tls-g.device-prefix-950.txt", &len);
	is_int(v4_parse_hccn_tls(t, len, "", &tls, &err), 0, "tls 950: parses");
	is_int(tls.dev, 3, "tls 950: device 3");
	is_int(tls.sw, 0, "tls 950: switch 0");
	free(t);

	const char *on = "dev_id:1, tls switch[1](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), tls alarm time threshold[60]days\r\n";
	is_int(v4_parse_hccn_tls(on, strlen(on), "", &tls, &err), 0, "tls CRLF: parses");
	is_int(tls.sw, 1, "tls CRLF: switch 1");
}

/* No certificate on stderr, busy, garbage, binary. */
static void test_tls_errors(void)
{
	size_t len, elen;
	char *err = NULL, *e = fx(FX "hccn-tls-g.no-cert.stderr.txt", &elen);
	struct v4_tls tls;
	is_int(v4_parse_hccn_tls("", 0, e, &tls, &err), 0, "no cert: rc 0");
	is_int(tls.no_cert, 1, "no cert: flagged");
	is_int(tls.sw, 0, "no cert: switch 0");
	free(e);

	char *b = fx(FX "hccn-busy.txt", &len);
	ok(v4_hccn_busy(b, len), "busy: detected");
	ok(!v4_hccn_busy("link status: UP\n", 16), "busy: not on other text");
	is_int(v4_parse_hccn_tls(b, len, "", &tls, &err), -1, "busy: tls rc -1");
	ok(err && strstr(err, "busy"), "busy: error says busy");
	free(err);
	err = NULL;
	is_int(v4_parse_hccn_tls("", 0, b, &tls, &err), -1, "busy on stderr: rc -1");
	ok(err && strstr(err, "busy"), "busy on stderr: error says busy");
	free(err);
	err = NULL;
	int up;
	is_int(v4_parse_hccn_link(b, len, &up, &err), -1, "busy: link rc -1");
	free(err);
	free(b);

	const char *cases[] = {"", "garbage\n", "tls switch\n", "dev_id:0, [pub cert] info:\n"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err = NULL;
		is_int(v4_parse_hccn_tls(cases[i], strlen(cases[i]), NULL, &tls, &err), -1,
		       "tls: not understood");
		ok(err != NULL, "tls: has error");
		free(err);
	}
	static const char bin[] = "dev_id:0, tls switch[1]\0\xff";
	err = NULL;
	is_int(v4_parse_hccn_tls(bin, sizeof bin - 1, NULL, &tls, &err), -1, "tls: NULs rejected");
	free(err);
	size_t big = 1 << 20;
	char *huge = malloc(big);
	memset(huge, 'x', big);
	memcpy(huge, "dev_id:0, tls switch[1]", 23);
	err = NULL;
	is_int(v4_parse_hccn_tls(huge, big, NULL, &tls, &err), -1, "tls: 1 MB line rejected");
	free(err);
	free(huge);
}

/* link, net_health, ip, netdetect, gateway. */
static void test_simple(void)
{
	size_t len;
	char *err = NULL, *t;
	int up = -1;
	t = fx(FX "hccn-link-g.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_link(t, len, &up, &err), 0, "link: parses");
	is_int(up, 1, "link: UP");
	free(t);
	t = fx(FX "hccn-link-g.down.txt", &len);
	is_int(v4_parse_hccn_link(t, len, &up, &err), 0, "link down: parses");
	is_int(up, 0, "link down: DOWN");
	free(t);

	struct v4_hccn_health h;
	t = fx(FX "hccn-net-health-g.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_net_health(t, len, &h, &err), 0, "health: parses");
	is_str(h.status, "Success", "health: Success");
	is_int(h.healthy, 1, "health: healthy");
	free(t);
	t = fx(FX "hccn-net-health-g.socket-failed.txt", &len);
	is_int(v4_parse_hccn_net_health(t, len, &h, &err), 0, "health socket: parses");
	is_int(h.kind, V4_NH_SOCKET_FAIL, "health: Socket failed");
	is_int(h.healthy, 0, "health: Socket failed unhealthy");
	free(t);
	const char *sf = "net health status: socket fail  \r\n";
	v4_parse_hccn_net_health(sf, strlen(sf), &h, &err);
	is_int(h.kind, V4_NH_SOCKET_FAIL, "health: 'socket fail' lower case");
	const char *su = "net health status: SUCCESS\n";
	v4_parse_hccn_net_health(su, strlen(su), &h, &err);
	is_int(h.healthy, 1, "health: case-insensitive success");
	const char *in = "net health status: Init\n";
	v4_parse_hccn_net_health(in, strlen(in), &h, &err);
	ok(h.kind == V4_NH_INIT && !h.healthy, "health: Init not healthy");
	const char *sx = "net health status: Successful?\n";
	v4_parse_hccn_net_health(sx, strlen(sx), &h, &err);
	ok(h.kind == V4_NH_OTHER && !h.healthy, "health: near-miss is not Success");

	struct v4_hccn_ip ip;
	t = fx(FX "hccn-ip-g.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_ip(t, len, &ip, &err), 0, "ip: parses");
	is_str(ip.addr, "11.12.165.80", "ip: first address");
	is_str(ip.netmask, "255.255.255.0", "ip: netmask");
	free(t);
	t = fx(FX "hccn-ip-g.none.txt", &len);
	is_int(v4_parse_hccn_ip(t, len, &ip, &err), 0, "ip none: rc 0");
	is_int(ip.none, 1, "ip none: flagged");
	free(t);

	char addr[64];
	t = fx(FX "hccn-netdetect-g.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_netdetect(t, len, addr, sizeof addr, &err), 0, "netdetect: parses");
	is_str(addr, "11.12.165.1", "netdetect: address");
	free(t);
	t = fx(FX "hccn-netdetect-g.addr-source.txt", &len);
	is_int(v4_parse_hccn_netdetect(t, len, addr, sizeof addr, &err), 0, "netdetect addr: parses");
	is_str(addr, "29.1.0.1", "netdetect addr: address");
	free(t);

	struct v4_hccn_gateway g;
	t = fx(FX "hccn-gateway-g.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_gateway(t, len, &g, &err), 0, "gateway: parses");
	is_str(g.gateway, "11.12.165.1", "gateway: address");
	is_str(g.iface, "eth0", "gateway: iface");
	free(t);
	err = NULL;
	is_int(v4_parse_hccn_gateway("nope\n", 5, &g, &err), -1, "gateway: garbage rejected");
	free(err);
}

/* Ping summaries: no loss, loss, "packets loss", no summary. */
static void test_ping(void)
{
	size_t len;
	char *err = NULL, *t;
	struct v4_hccn_ping p;
	t = fx(FX "hccn-ping-g.dsv3-multinode-doc.txt", &len);
	is_int(v4_parse_hccn_ping(t, len, &p, &err), 0, "ping: parses");
	ok(p.transmitted == 3 && p.received == 3 && p.loss_pct == 0, "ping: 3/3, 0%");
	free(t);
	t = fx(FX "hccn-ping-g.loss.txt", &len);
	is_int(v4_parse_hccn_ping(t, len, &p, &err), 0, "ping loss: parses");
	is_int(p.received, 2, "ping loss: 2 received");
	ok(p.loss_pct > 33.32 && p.loss_pct < 33.34, "ping loss: 33.33%");
	free(t);
	t = fx(FX "hccn-ping-g.packets-loss.txt", &len);
	is_int(v4_parse_hccn_ping(t, len, &p, &err), 0, "ping packets loss: parses");
	ok(p.received == 0 && p.loss_pct == 100, "ping packets loss: 100%");
	free(t);
	const char *nos = "device 0 PING 11.12.165.80\nrecv seq=0,time=0.114000ms\n";
	err = NULL;
	is_int(v4_parse_hccn_ping(nos, strlen(nos), &p, &err), -1, "ping: no summary rejected");
	ok(p.loss_pct == 100, "ping: no summary counts as full loss");
	free(err);
}

/* /etc/hccn.conf: minimal real file and a full interleaved one. */
static void test_conf(void)
{
	size_t len;
	char *err = NULL, *t;
	struct v4_hccn_conf c;
	const struct v4_hccn_conf_dev *d;
	t = fx(FX "hccn-conf.personal-notes-910b.txt", &len);
	is_int(v4_parse_hccn_conf(t, len, &c, &err), 0, "conf: parses");
	is_int(c.ndev, 8, "conf: 8 devices");
	d = v4_hccn_conf_get(&c, 7);
	ok(d != NULL, "conf: device 7");
	if (d) {
		is_str(d->address, "10.20.11.18", "conf: address_7");
		is_str(d->netmask, "255.255.255.0", "conf: netmask_7");
		is_str(d->gateway, "", "conf: no gateway");
		is_int(d->tls_enable, -1, "conf: no tls_enable");
	}
	ok(v4_hccn_conf_get(&c, 8) == NULL, "conf: no device 8");
	v4_hccn_conf_free(&c);
	free(t);
	t = fx(FX "hccn-conf.full-interleaved.txt", &len);
	is_int(v4_parse_hccn_conf(t, len, &c, &err), 0, "conf full: parses");
	is_int(c.ndev, 2, "conf full: 2 devices");
	d = v4_hccn_conf_get(&c, 0);
	if (ok(d != NULL, "conf full: device 0")) {
		is_str(d->address, "29.1.137.205", "conf full: address_0");
		is_str(d->netdetect, "29.1.0.1", "conf full: netdetect_0");
		is_str(d->gateway, "29.1.0.1", "conf full: gateway_0");
		is_int(d->tls_enable, 0, "conf full: tls_enable_0");
	}
	d = v4_hccn_conf_get(&c, 1);
	if (ok(d != NULL, "conf full: device 1")) {
		is_str(d->address, "29.1.137.206", "conf full: address_1");
		is_int(d->tls_enable, 1, "conf full: tls_enable_1");
	}
	is_int(c.nother, 1, "conf full: send_arp_status counted as other");
	v4_hccn_conf_free(&c);
	free(t);
	err = NULL;
	is_int(v4_parse_hccn_conf("# nothing\n", 10, &c, &err), -1, "conf: no keys rejected");
	free(err);
}

/* hccn_tool outputs are read by whole lines: a last line without its
 * newline is a cut read and left out, whatever it seems to say. */
static void test_cut(void)
{
	struct v4_tls t;
	struct v4_hccn_ip ip;
	char *err = NULL;
	int up = 1;
	is_int(v4_parse_hccn_ip("ipaddr:10.20.0.1", 16, &ip, &err), -1, "ip: cut address not read");
	ok(err && strstr(err, "output cut"), "ip: says cut");
	free(err);
	err = NULL;
	is_int(v4_parse_hccn_ip("ipaddr:10.20.0.14\nnetmask:255.2", 31, &ip, &err), 0, "ip: whole first line read");
	is_str(ip.addr, "10.20.0.14", "ip: address of the whole line");
	is_str(ip.netmask, "", "ip: cut netmask left out");
	is_int(v4_parse_hccn_link("link status: DOWN", 17, &up, &err), -1, "link: cut line not read");
	free(err);
	err = NULL;
	const char *sw = "dev_id:3, tls switch[1";
	is_int(v4_parse_hccn_tls(sw, strlen(sw), "", &t, &err), -1, "tls: cut switch line not read");
	free(err);
	err = NULL;
	const char *cert = "dev_id:0, tls switch[1](0:disable, 1:enable)\ndev_id:0, [pub cert] info:\n"
			   "\t start_time[Tue Mar 11 08:21:43 2025 GMT]\n\t end_time[Mon Mar  2 03:1";
	is_int(v4_parse_hccn_tls(cert, strlen(cert), "", &t, &err), 0, "tls: cut cert block parses");
	ok(t.sw == 1 && t.cut && t.certs_partial && t.ncert == 1 && t.certs[0].end == 0,
	   "tls: switch read, certificate marked partial, no end time");
	const char *whole = "dev_id:0, tls switch[0](0:disable, 1:enable)\n";
	is_int(v4_parse_hccn_tls(whole, strlen(whole), "", &t, &err), 0, "tls: whole output");
	ok(!t.cut && !t.certs_partial, "tls: not cut");
}

int main(void)
{
	test_cut();
	test_tls_newest();
	test_tls_old_and_all();
	test_tls_errors();
	test_simple();
	test_ping();
	test_conf();
	return tap_done();
}
