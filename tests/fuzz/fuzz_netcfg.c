/* libFuzzer: the host network and container parsers (lib/parse/netcfg.c):
 * bonding status, the getent probe, ip -j, sitecustomize.py, docker inspect. */
#include "fuzz.h"
#include "netcfg.h"

/* Checks what the bonding parser promises about its counts. */
static void bonding(const char *t, size_t n)
{
	struct v4_bonding b;
	char *err = NULL;
	if (v4_parse_bonding(t, n, &b, &err) == 0) {
		if (b.nslave > V4_BOND_MAX_SLAVES || b.nslave > b.nslave_all || b.nunknown > b.nslave)
			abort();
	} else if (!err)
		abort(); /* a failure names its reason */
	free(err);
}

/* The getent probe: addresses within bounds, loopback counted right. */
static void hostres(const char *t, size_t n)
{
	struct v4_hostres r;
	char *err = NULL;
	size_t lo = 0;
	if (v4_parse_hostres(t, n, &r, &err) == 0) {
		if (r.naddr > V4_HOSTRES_MAX)
			abort();
		for (size_t i = 0; i < r.naddr; i++)
			lo += r.addrs[i].loopback;
		if (lo != r.nloopback)
			abort();
	}
	free(err);
}

/* ip -j: every link found by its own name. */
static void ip(const char *t, size_t n)
{
	struct v4_iplinks l;
	char *err = NULL;
	if (v4_parse_ip_json(t, n, &l, &err) == 0)
		for (size_t i = 0; i < l.n; i++) {
			if (!v4_ip_link(&l, l.v[i].ifname) || l.v[i].ninet > V4_IP_MAX_INET)
				abort();
			(void)v4_ip_link_up(&l.v[i]);
		}
	v4_iplinks_free(&l);
	free(err);
}

/* docker inspect and the values read from it; sitecustomize.py values. */
static void container(const char *t, size_t n)
{
	static const char *const names[] = {"HCCL_IF_IP", "GLOO_SOCKET_IFNAME", "LD_PRELOAD", "A"};
	char *err = NULL, paths[8][256];
	cJSON *o = v4_parse_docker_inspect(t, n, &err);
	if (o)
		(void)v4_preload_paths(v4_docker_env(o, "LD_PRELOAD"), paths, 8);
	cJSON_Delete(o);
	free(err);
	(void)v4_preload_paths(t, paths, 8);
	(void)v4_docker_no_such(t);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *v = v4_sitecust_value(t, names[i]);
		if (v && strchr(v, '\n'))
			abort(); /* a value never spans lines */
		free(v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size);
	bonding(t, size);
	hostres(t, size);
	ip(t, size);
	container(t, size);
	free(t);
	return 0;
}
