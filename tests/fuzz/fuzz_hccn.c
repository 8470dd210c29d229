/* libFuzzer: hccn_tool output parsers and /etc/hccn.conf. */
#include "fuzz.h"
#include "parse.h"

/* Runs the one-device -g parsers over text. */
static void one_device(const char *t, size_t n)
{
	char *err = NULL, addr[64];
	int up;
	struct v4_hccn_health h;
	struct v4_hccn_ip ip;
	struct v4_hccn_ping p;
	struct v4_hccn_gateway g;
	v4_parse_hccn_link(t, n, &up, &err);
	free(err);
	err = NULL;
	v4_parse_hccn_net_health(t, n, &h, &err);
	free(err);
	err = NULL;
	v4_parse_hccn_ip(t, n, &ip, &err);
	free(err);
	err = NULL;
	v4_parse_hccn_ping(t, n, &p, &err);
	free(err);
	err = NULL;
	v4_parse_hccn_netdetect(t, n, addr, sizeof addr, &err);
	free(err);
	err = NULL;
	v4_parse_hccn_gateway(t, n, &g, &err);
	free(err);
	(void)v4_hccn_busy(t, n);
}

/* Parses text as hccn.conf and looks up each device found. */
static void conf(const char *t, size_t n)
{
	struct v4_hccn_conf c = {0};
	char *err = NULL;
	if (v4_parse_hccn_conf(t, n, &c, &err) == 0)
		for (size_t i = 0; i < c.ndev; i++)
			if (!v4_hccn_conf_get(&c, c.devs[i].dev))
				abort(); /* a listed device must be found */
	v4_hccn_conf_free(&c);
	free(err);
}

/* Input: stdout, optionally 0x1f and stderr (for -tls -g). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *out, *errt, *err = NULL;
	size_t on, en;
	fz_split(data, size, 0x1f, &out, &on, &errt, &en);

	struct v4_tls t;
	v4_parse_hccn_tls(out, on, errt, &t, &err);
	free(err);
	err = NULL;
	struct v4_tls *all = NULL;
	size_t nall = 0;
	v4_parse_hccn_tls_all(out, on, &all, &nall, &err);
	free(all);
	free(err);

	one_device(out, on);
	conf(out, on);
	(void)v4_hccn_busy(errt, en);
	free(out);
	free(errt);
	return 0;
}
