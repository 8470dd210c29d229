/* Every parser over every real-format sample of fixtures/parse/: each
 * understands its own command's output and no other command's ("not
 * understood", never a partial result from foreign text). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hccnfab.h"
#include "cores.h"
#include "logscan.h"
#include "netcfg.h"
#include "numa.h"
#include "parse.h"
#include "tap.h"
#include "util.h"

#define FX "fixtures/parse/"

/* One parser: its name, the file-name prefixes of its own samples, and a
 * call returning 0 when it understood the text. */
struct parser {
	const char *name;
	const char *own[3];
	int (*run)(const char *t, size_t n);
};

/* Frees err and returns rc (the parsers' error convention). The parse runs
 * before, in its own statement: the order arguments are evaluated in is not
 * defined, and err must be read after the parse has set it. */
static int done(int rc, char *err)
{
	free(err);
	return rc;
}

static int p_npusmi(const char *t, size_t n)
{
	struct v4_npusmi s;
	char *err = NULL;
	int rc = v4_parse_npusmi(t, n, &s, &err);
	v4_npusmi_free(&s);
	return done(rc, err);
}

static int p_list(const char *t, size_t n)
{
	int *ids = NULL;
	size_t k = 0;
	char *err = NULL;
	int rc = v4_parse_npusmi_list(t, n, &ids, &k, &err);
	free(ids);
	return done(rc, err);
}

/* -t TYPE of the given type. */
static int p_t(const char *type, const char *t, size_t n)
{
	struct v4_kvs kv;
	char *err = NULL;
	int rc = v4_parse_npusmi_t(t, n, type, &kv, &err);
	v4_kvs_free(&kv);
	return done(rc, err);
}
static int p_board(const char *t, size_t n) { return p_t("board", t, n); }
static int p_usages(const char *t, size_t n) { return p_t("usages", t, n); }
static int p_health(const char *t, size_t n) { return p_t("health", t, n); }
static int p_ecc(const char *t, size_t n) { return p_t("ecc", t, n); }

static int p_tls(const char *t, size_t n)
{
	struct v4_tls x;
	char *err = NULL;
	int rc = v4_parse_hccn_tls(t, n, "", &x, &err);
	return done(rc, err);
}

static int p_link(const char *t, size_t n)
{
	int up;
	char *err = NULL;
	int rc = v4_parse_hccn_link(t, n, &up, &err);
	return done(rc, err);
}

static int p_nethealth(const char *t, size_t n)
{
	struct v4_hccn_health h;
	char *err = NULL;
	int rc = v4_parse_hccn_net_health(t, n, &h, &err);
	return done(rc, err);
}

static int p_ip(const char *t, size_t n)
{
	struct v4_hccn_ip ip;
	char *err = NULL;
	int rc = v4_parse_hccn_ip(t, n, &ip, &err);
	return done(rc, err);
}

static int p_ping(const char *t, size_t n)
{
	struct v4_hccn_ping p;
	char *err = NULL;
	int rc = v4_parse_hccn_ping(t, n, &p, &err);
	return done(rc, err);
}

static int p_netdetect(const char *t, size_t n)
{
	char a[64], *err = NULL;
	int rc = v4_parse_hccn_netdetect(t, n, a, sizeof a, &err);
	return done(rc, err);
}

static int p_gateway(const char *t, size_t n)
{
	struct v4_hccn_gateway g;
	char *err = NULL;
	int rc = v4_parse_hccn_gateway(t, n, &g, &err);
	return done(rc, err);
}

static int p_bonding(const char *t, size_t n)
{
	struct v4_bonding b;
	char *err = NULL;
	int rc = v4_parse_bonding(t, n, &b, &err);
	return done(rc, err);
}

static int p_hostres(const char *t, size_t n)
{
	struct v4_hostres r;
	char *err = NULL;
	int rc = v4_parse_hostres(t, n, &r, &err);
	return done(rc, err);
}

static int p_inspect(const char *t, size_t n)
{
	char *err = NULL;
	cJSON *o = v4_parse_docker_inspect(t, n, &err);
	int rc = o ? 0 : -1;
	cJSON_Delete(o);
	return done(rc, err);
}

/* ip -j: understood when it holds at least one link (an array of other
 * objects parses as JSON but holds none). */
static int p_ipjson(const char *t, size_t n)
{
	struct v4_iplinks l;
	char *err = NULL;
	int rc = v4_parse_ip_json(t, n, &l, &err);
	if (rc == 0 && l.n == 0)
		rc = -1;
	v4_iplinks_free(&l);
	return done(rc, err);
}

static int p_pfc(const char *t, size_t n)
{
	struct v4_pfc p;
	char *err = NULL;
	int rc = v4_parse_pfc(t, n, &p, &err);
	return done(rc, err);
}

static int p_stat(const char *t, size_t n)
{
	struct v4_hccnstat *s = xcalloc(1, sizeof *s);
	char *err = NULL;
	int rc = v4_parse_hccnstat(t, n, s, &err);
	free(s);
	return done(rc, err);
}

static int p_optical(const char *t, size_t n)
{
	struct v4_optical o;
	char *err = NULL;
	int rc = v4_parse_optical(t, n, &o, &err);
	return done(rc, err);
}

/* The logs probes' output, either of the two. */
static int p_logscan(const char *t, size_t n)
{
	struct v4_logscan s;
	char *err = NULL;
	int rc = v4_parse_logscan(t, n, &s, &err);
	v4_logscan_free(&s);
	return done(rc, err);
}

/* The logs check's core probe. */
static int p_cores(const char *t, size_t n)
{
	struct v4_cores c;
	char *err = NULL;
	int rc = v4_parse_cores(t, n, &c, &err);
	return done(rc, err);
}

/* coredumpctl list's rows. */
static int p_coredumpctl(const char *t, size_t n)
{
	struct v4_coredump d[4];
	size_t k, all;
	int none;
	char *err = NULL;
	int rc = v4_parse_coredumpctl_list(t, n, d, 4, &k, &all, &none, &err);
	return done(rc, err);
}

static int p_mcu(const char *t, size_t n)
{
	char v[64], *err = NULL;
	int rc = v4_parse_npusmi_mcu(t, n, v, sizeof v, &err);
	return done(rc, err);
}

static int p_status(const char *t, size_t n)
{
	struct v4_cpuset set;
	char *err = NULL;
	int rc = v4_parse_status_cpus(t, n, &set, &err);
	return done(rc, err);
}

static int p_sysnuma(const char *t, size_t n)
{
	struct v4_sysnuma s;
	char *err = NULL;
	int rc = v4_parse_sysnuma(t, n, &s, &err);
	v4_sysnuma_free(&s);
	return done(rc, err);
}

static const struct parser parsers[] = {
	{"npu-smi info", {"npu-smi-info."}, p_npusmi},
	{"npu-smi info -l", {"npu-smi-info-l."}, p_list},
	{"npu-smi info -t board", {"npu-smi-info-t-board."}, p_board},
	{"npu-smi info -t usages", {"npu-smi-info-t-usages."}, p_usages},
	{"npu-smi info -t health", {"npu-smi-info-t-health."}, p_health},
	{"npu-smi info -t ecc", {"npu-smi-info-t-ecc."}, p_ecc},
	{"hccn_tool -tls -g", {"hccn-tls-g.", "hccn-tls-g-grep-switch."}, p_tls},
	{"hccn_tool -link -g", {"hccn-link-g."}, p_link},
	{"hccn_tool -net_health -g", {"hccn-net-health-g."}, p_nethealth},
	{"hccn_tool -ip -g", {"hccn-ip-g."}, p_ip},
	{"hccn_tool -ping -g", {"hccn-ping-g."}, p_ping},
	{"hccn_tool -netdetect -g", {"hccn-netdetect-g."}, p_netdetect},
	{"hccn_tool -gateway -g", {"hccn-gateway-g."}, p_gateway},
	{"hccn_tool -pfc -g", {"hccn-pfc-g."}, p_pfc},
	{"hccn_tool -stat -g", {"hccn-stat-g."}, p_stat},
	{"hccn_tool -optical -g", {"hccn-optical-g."}, p_optical},
	{"/proc/net/bonding", {"bonding."}, p_bonding},
	{"getent probe", {"getent-ahosts."}, p_hostres},
	{"docker inspect", {"docker-inspect."}, p_inspect},
	{"ip -j", {"ip-j-"}, p_ipjson},
	{"logs probes", {"logs-docker.", "logs-plog."}, p_logscan},
	{"logs core probe", {"logs-cores."}, p_cores},
	{"coredumpctl list", {"coredumpctl-list."}, p_coredumpctl},
	{"npu-smi upgrade -b mcu", {"npu-smi-upgrade-b-mcu."}, p_mcu},
	{"/proc/PID/status", {"proc-status."}, p_status},
	{"sysfs NUMA layout", {"sys-numa."}, p_sysnuma},
};

/* 1 when file name f is one of parser p's own samples. */
static int owns(const struct parser *p, const char *f)
{
	for (size_t i = 0; i < 3 && p->own[i]; i++)
		if (starts_with(f, p->own[i]))
			return 1;
	return 0;
}

/* Samples of its own a parser may reject: cut, empty or failure outputs
 * kept on purpose (their names say so). */
static int own_but_bad(const char *f)
{
	static const char *const bad[] = {"stderr", "-cut", "truncated", "none", "unresolved"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (strstr(f, bad[i]))
			return 1;
	return 0;
}

/* Compares directory entries by name. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(void)
{
	struct dirent **ents;
	int n = scandir(FX, &ents, NULL, by_name);
	size_t own = 0, foreign = 0;
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		char path[512], what[512];
		size_t len = 0;
		if (f[0] == '.' || !strstr(f, ".txt")) {
			free(ents[i]);
			continue;
		}
		snprintf(path, sizeof path, FX "%s", f);
		char *t = fixture(path, &len);
		for (size_t k = 0; t && k < sizeof parsers / sizeof parsers[0]; k++) {
			const struct parser *p = &parsers[k];
			int rc = p->run(t, len);
			if (owns(p, f)) {
				own++;
				snprintf(what, sizeof what, "%s understands its own %s", p->name, f);
				if (!own_but_bad(f))
					is_int(rc, 0, what);
			} else {
				foreign++;
				snprintf(what, sizeof what, "%s: %s is foreign, not understood", p->name, f);
				is_int(rc, -1, what);
			}
		}
		free(t);
		free(ents[i]);
	}
	free(ents);
	ok(own > 20 && foreign > 500, "samples of every parser were tried");
	printf("# %zu own and %zu foreign parses\n", own, foreign);
	return tap_done();
}
