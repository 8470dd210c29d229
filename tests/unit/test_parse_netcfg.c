/* Unit tests for the host network and container parsers (lib/parse/netcfg.c)
 * over real-format fixtures, cut copies of them and foreign text. */
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"
#include "tap.h"

#define FX "fixtures/parse/"

/* The bonding status files: the kernel doc sample, 802.3ad, a cut copy. */
static void test_bonding(void)
{
	struct v4_bonding b;
	char *err = NULL;
	size_t len;
	char *t = fixture(FX "bonding.kernel-doc-round-robin.txt", &len);
	is_int(v4_parse_bonding(t, len, &b, &err), 0, "bonding doc: parses");
	is_str(b.mode, "load balancing (round-robin)", "bonding doc: mode");
	is_int(b.mii_up, 1, "bonding doc: bond up");
	is_int(b.nslave_all, 2, "bonding doc: 2 slaves");
	is_str(b.slaves[0].name, "eth1", "bonding doc: first slave eth1");
	ok(b.slaves[0].mii_up == 1 && b.slaves[1].mii_up == 1, "bonding doc: both up");
	is_int(b.nunknown, 0, "bonding doc: nothing unknown");
	free(t);
	t = fixture(FX "bonding.8023ad-slave-down.txt", &len);
	is_int(v4_parse_bonding(t, len, &b, &err), 0, "bonding 802.3ad: parses");
	is_str(b.mode, "IEEE 802.3ad Dynamic link aggregation", "bonding 802.3ad: mode");
	is_str(b.slaves[1].name, "enp189s0f1", "bonding 802.3ad: second slave");
	ok(b.slaves[0].mii_up == 1 && b.slaves[1].mii_up == 0, "bonding 802.3ad: second down");
	free(t);
	t = fixture(FX "bonding.8023ad-cut.txt", &len);
	is_int(v4_parse_bonding(t, len, &b, &err), 0, "bonding cut: parses what is there");
	is_int(b.nslave_all, 2, "bonding cut: 2 slaves named");
	is_int(b.slaves[1].mii_up, -1, "bonding cut: second slave's status unknown");
	is_int(b.nunknown, 1, "bonding cut: says one slave is not understood");
	free(t);
	t = fixture(FX "getent-ahosts.debian12-probe.txt", &len);
	is_int(v4_parse_bonding(t, len, &b, &err), -1, "bonding: getent output is foreign");
	ok(err != NULL, "bonding: foreign has a reason");
	free(err);
	free(t);
}

/* The hostname probe: resolving, loopback, unresolved, cut. */
static void test_hostres(void)
{
	struct v4_hostres r;
	char *err = NULL;
	size_t len;
	char *t = fixture(FX "getent-ahosts.debian12-probe.txt", &len);
	is_int(v4_parse_hostres(t, len, &r, &err), 0, "getent: parses");
	is_str(r.host, "vm", "getent: hostname");
	is_int(r.naddr, 1, "getent: one STREAM address (DGRAM/RAW not counted)");
	is_str(r.addrs[0].addr, "127.0.0.1", "getent: address");
	is_int(r.nloopback, 1, "getent: loopback");
	is_int(r.getent_exit, 0, "getent: exit 0");
	free(t);
	t = fixture(FX "getent-ahosts.debian12-unresolved.txt", &len);
	is_int(v4_parse_hostres(t, len, &r, &err), 0, "getent unresolved: parses");
	ok(r.naddr == 0 && r.getent_exit == 2, "getent unresolved: no address, exit 2");
	/* cut before the exit line: not understood */
	const char *cut = strstr(t, "getent-exit");
	is_int(v4_parse_hostres(t, (size_t)(cut - t), &r, &err), -1, "getent cut: not understood");
	ok(err && strstr(err, "cut"), "getent cut: says so");
	free(err);
	err = NULL;
	free(t);
	const char *six = "hostname\tn1\n198.18.0.1      STREAM n1\n::1             STREAM n1\ngetent-exit 0\n";
	is_int(v4_parse_hostres(six, strlen(six), &r, &err), 0, "getent v6: parses");
	ok(r.naddr == 2 && !r.addrs[0].loopback && r.addrs[1].loopback, "getent v6: ::1 is loopback");
	t = fixture(FX "bonding.kernel-doc-round-robin.txt", &len);
	is_int(v4_parse_hostres(t, len, &r, &err), -1, "getent: bonding text is foreign");
	free(err);
	free(t);
}

/* ip -j from iproute2 6.1: links with a master, NO-CARRIER, addresses. */
static void test_ip(void)
{
	struct v4_iplinks l;
	char *err = NULL;
	size_t len;
	char *t = fixture(FX "ip-j-d-link.iproute2-debian12-bridge.txt", &len);
	is_int(v4_parse_ip_json(t, len, &l, &err), 0, "ip link: parses");
	is_int(l.n, 6, "ip link: 6 links");
	const struct v4_iplink *br = v4_ip_link(&l, "br1"), *a0 = v4_ip_link(&l, "a0"), *a1 = v4_ip_link(&l, "a1");
	ok(br && a0 && a1, "ip link: br1, a0, a1 found");
	ok(br && v4_ip_link_up(br), "ip link: br1 up");
	ok(a0 && v4_ip_link_up(a0) && strcmp(a0->master, "br1") == 0, "ip link: a0 up, master br1");
	ok(a1 && !v4_ip_link_up(a1) && (a1->flags & V4_IPF_NO_CARRIER), "ip link: a1 NO-CARRIER, down");
	ok(v4_ip_link(&l, "bond1") == NULL, "ip link: no bond1");
	v4_iplinks_free(&l);
	is_int(v4_parse_ip_json(t, len / 2, &l, &err), -1, "ip link cut: not understood");
	free(err);
	err = NULL;
	free(t);
	t = fixture(FX "ip-j-addr.iproute2-debian12-bridge.txt", &len);
	is_int(v4_parse_ip_json(t, len, &l, &err), 0, "ip addr: parses");
	br = v4_ip_link(&l, "br1");
	ok(br && br->ninet == 2, "ip addr: br1 has 2 IPv4 addresses (inet6 left out)");
	is_str(br ? br->inet[0] : NULL, "198.18.85.2", "ip addr: first address");
	is_str(br ? br->inet[1] : NULL, "198.18.85.3", "ip addr: second address");
	v4_iplinks_free(&l);
	free(t);
	t = fixture(FX "docker-inspect.fake-vllm-running.txt", &len);
	is_int(v4_parse_ip_json(t, len, &l, &err), 0, "ip: a docker inspect array parses as JSON");
	is_int(l.n, 0, "ip: ... but holds no link");
	is_int(l.nskipped, 1, "ip: ... and says one element was not a link");
	v4_iplinks_free(&l);
	free(t);
}

/* sitecustomize.py values and near-miss names. */
static void test_sitecust(void)
{
	size_t len;
	char *t = fixture(FX "sitecustomize.deployment-dict.txt", &len), *v;
	is_str(v = v4_sitecust_value(t, "HCCL_IF_IP"), "192.168.0.72", "sitecust: HCCL_IF_IP");
	free(v);
	is_str(v = v4_sitecust_value(t, "GLOO_SOCKET_IFNAME"), "bond1", "sitecust: GLOO");
	free(v);
	is_str(v = v4_sitecust_value(t, "IFNAME"), "bond1", "sitecust: IFNAME alone, not inside a longer name");
	free(v);
	ok(v4_sitecust_value(t, "SOCKET_IFNAME") == NULL, "sitecust: a name's tail does not match");
	free(t);
	const char *py = "import os\nos.environ[\"TP_SOCKET_IFNAME\"] = \"bond1\"\nos.environ.setdefault('HCCL_IF_IP', '198.18.0.2')\n";
	is_str(v = v4_sitecust_value(py, "TP_SOCKET_IFNAME"), "bond1", "sitecust: os.environ[...] =");
	free(v);
	is_str(v = v4_sitecust_value(py, "HCCL_IF_IP"), "198.18.0.2", "sitecust: setdefault(...)");
	free(v);
	ok(v4_sitecust_value("X = \"a\nb\"", "X") == NULL, "sitecust: no value across lines");
}

/* docker inspect: the object, env, absent container, cut and foreign. */
static void test_inspect(void)
{
	char *err = NULL, paths[8][256];
	size_t len;
	char *t = fixture(FX "docker-inspect.fake-vllm-running.txt", &len);
	cJSON *o = v4_parse_docker_inspect(t, len, &err);
	ok(o != NULL, "inspect: parses");
	is_str(v4_docker_env(o, "HCCL_BUFFSIZE"), "512", "inspect: env value");
	ok(v4_docker_env(o, "HCCL") == NULL, "inspect: env name prefix is not a match");
	size_t np = v4_preload_paths(v4_docker_env(o, "LD_PRELOAD"), paths, 8);
	is_int(np, 1, "inspect: one LD_PRELOAD path");
	is_str(paths[0], "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2", "inspect: the jemalloc path");
	cJSON_Delete(o);
	ok(v4_parse_docker_inspect(t, len - 40, &err) == NULL, "inspect cut: not understood");
	free(err);
	err = NULL;
	ok(v4_parse_docker_inspect("[]\n", 3, &err) == NULL, "inspect []: not understood");
	free(err);
	err = NULL;
	free(t);
	t = fixture(FX "ip-j-addr.iproute2-debian12-bridge.txt", &len);
	ok(v4_parse_docker_inspect(t, len, &err) == NULL, "inspect: ip -j output is foreign");
	ok(err && strstr(err, "Config"), "inspect: foreign says why");
	free(err);
	free(t);
	ok(v4_docker_no_such("Error: No such object: vllm\n"), "inspect: docker's absent message");
	ok(!v4_docker_no_such("Cannot connect to the Docker daemon"), "inspect: daemon down is not absent");
	is_int(v4_preload_paths("/a.so:/b.so /c.so", paths, 2), 2, "preload: at most max paths");
}

int main(void)
{
	test_bonding();
	test_hostres();
	test_ip();
	test_sitecust();
	test_inspect();
	return tap_done();
}
