/* Parsers for hccn_tool -g outputs (tls, link, net_health, ip, ping,
 * netdetect, gateway) and /etc/hccn.conf (ascend-cli-formats.md §3). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "parse.h"
#include "parse_re.h"
#include "util.h"

#include <pcre2.h>

#define LINE_MAX_LEN 4096 /* longer lines are never tool output lines */

enum {
	RE_TLS, RE_CERT, RE_FIELD, RE_EXPIRY, RE_LINK, RE_HEALTH, RE_IPADDR, RE_NETMASK,
	RE_NOIP, RE_PING, RE_NETDETECT, RE_GATEWAY, RE_CONF, RE_COUNT
};

static struct v4_re res[RE_COUNT] = {
	[RE_TLS] = {"^\\s*(?:dev_id:\\s*|device\\s+)(\\d+),\\s*tls switch\\[(\\d)\\](?:\\([^)]*\\))?"
		    "(?:,\\s*tls preconfigured\\[(\\d)\\](?:\\([^)]*\\))?)?"
		    "(?:,\\s*tls alarm time threshold\\[(\\d+)\\]days)?", 0, NULL},
	[RE_CERT] = {"^\\s*(?:dev_id:\\s*|device\\s+)(\\d+),\\s*\\[([^\\]]*)\\]\\s*info:", 0, NULL},
	[RE_FIELD] = {"^\\s*(subject|issuer|start_time|end_time)\\[(.*)\\]\\s*$", 0, NULL},
	[RE_EXPIRY] = {"^\\s*tls expiration status\\[(\\d+)\\]", 0, NULL},
	[RE_LINK] = {"^\\s*link status:\\s*(UP|DOWN)\\b", PCRE2_CASELESS, NULL},
	[RE_HEALTH] = {"^\\s*net health status:\\s*(.+?)\\s*$", 0, NULL},
	[RE_IPADDR] = {"^\\s*ipaddr:\\s*(\\S+)", 0, NULL},
	[RE_NETMASK] = {"^\\s*netmask:\\s*(\\S+)", 0, NULL},
	[RE_NOIP] = {"no ip was preset", PCRE2_CASELESS, NULL},
	[RE_PING] = {"(\\d+) packets transmitted, (\\d+) received, ([\\d.]+)% packets? loss", 0, NULL},
	[RE_NETDETECT] = {"^\\s*netdetect addr(?:ess)?:\\s*(\\S+)", 0, NULL},
	[RE_GATEWAY] = {"^\\s*default gateway:\\s*(\\S+?),\\s*Iface:\\s*(\\S+)", 0, NULL},
	[RE_CONF] = {"^\\s*([A-Za-z_]+)_(\\d+)=(.*?)\\s*$", 0, NULL},
};
static pthread_once_t res_once = PTHREAD_ONCE_INIT;

/* Compiles this file's patterns (run once). */
static void res_init(void)
{
	v4_re_compile_all(res, RE_COUNT);
}

/* 1 when the text says "hccn_tool is busy, please try again." */
int v4_hccn_busy(const char *text, size_t len)
{
	return text && memmem(text, len, V4_HCCN_BUSY, strlen(V4_HCCN_BUSY)) != NULL;
}

/* Common entry checks; compiles patterns; -1 with *err on empty/binary text. */
static int check_text(const char *text, size_t len, const char *what, char **err)
{
	pthread_once(&res_once, res_init);
	if (!text || len == 0)
		return v4_parse_fail(err, "%s: empty output", what);
	if (memchr(text, 0, len))
		return v4_parse_fail(err, "%s: output contains NUL bytes (binary data)", what);
	return 0;
}

/* The first line matching pattern `which`; NULL when none (ov is per line). */
static const char *first_match(const char *text, size_t len, int which, size_t *ov, int ncap)
{
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n))
		if (n < LINE_MAX_LEN && v4_re_match(&res[which], line, n, ov, ncap))
			return line;
	return NULL;
}

/* Error for output with no expected line: says "busy" when it is that. */
static int not_found(const char *text, size_t len, const char *what, char **err)
{
	if (v4_hccn_busy(text, len))
		return v4_parse_fail(err, "%s: hccn_tool is busy, please try again", what);
	return v4_parse_fail(err, "%s: expected line not found", what);
}

/* Parses "Wed Feb 19 03:19:21 2020 GMT" (asctime, space-padded day) as UTC. */
static time_t parse_asctime(const char *s)
{
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char wd[8], mon[8];
	int d, h, mi, se, y;
	if (sscanf(s, "%7s %7s %d %d:%d:%d %d", wd, mon, &d, &h, &mi, &se, &y) != 7)
		return 0;
	const char *m = strlen(mon) == 3 ? strstr(mons, mon) : NULL;
	if (!m || (m - mons) % 3 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970 ||
	    y > 9999 || h < 0 || mi < 0 || se < 0)
		return 0;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = (int)((m - mons) / 3), .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = se};
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : t;
}

/* Fills t from a matched switch line. */
static void tls_first_line(const char *line, const size_t *ov, struct v4_tls *t)
{
	char b[16];
	long x;
	v4_re_group(line, ov, 1, b, sizeof b);
	t->dev = v4_parse_long(b, &x) == 0 && x < 1 << 20 ? (int)x : -1;
	v4_re_group(line, ov, 2, b, sizeof b);
	t->sw = b[0] == '1';
	if (v4_re_group(line, ov, 3, b, sizeof b))
		t->preconfigured = b[0] == '1';
	if (v4_re_group(line, ov, 4, b, sizeof b) && v4_parse_long(b, &x) == 0 && x < 1 << 20)
		t->alarm_days = (int)x;
}

/* Applies one indented certificate field line to c. */
static void tls_field(const char *line, size_t n, struct v4_cert *c)
{
	size_t ov[6];
	char name[16], val[256];
	if (v4_re_match(&res[RE_EXPIRY], line, n, ov, 2)) {
		v4_re_group(line, ov, 1, val, sizeof val);
		c->expiry_status = (int)strtol(val, NULL, 10) % 10;
		return;
	}
	if (!v4_re_match(&res[RE_FIELD], line, n, ov, 3))
		return;
	v4_re_group(line, ov, 1, name, sizeof name);
	v4_re_group(line, ov, 2, val, sizeof val);
	if (!strcmp(name, "subject"))
		v4_copy(c->subject, sizeof c->subject, val, strlen(val));
	else if (!strcmp(name, "issuer"))
		v4_copy(c->issuer, sizeof c->issuer, val, strlen(val));
	else if (!strcmp(name, "start_time"))
		c->start = parse_asctime(val);
	else
		c->end = parse_asctime(val);
}

/* Resets t to "nothing known". */
static void tls_init(struct v4_tls *t)
{
	memset(t, 0, sizeof *t);
	t->dev = -1;
	t->preconfigured = -1;
	t->alarm_days = -1;
}

/* Parses one device from *pos; stops before the next switch line. 1 if found. */
static int tls_one(const char *out, size_t len, size_t *pos, struct v4_tls *t)
{
	size_t lp = *pos, n, ov[10];
	const char *line;
	struct v4_cert *cur = NULL;
	int found = 0;
	tls_init(t);
	while (next_line(out, len, pos, &line, &n)) {
		if (n >= LINE_MAX_LEN) {
			lp = *pos;
			continue;
		}
		if (v4_re_match(&res[RE_TLS], line, n, ov, 5)) {
			if (found) {
				*pos = lp;
				return 1;
			}
			tls_first_line(line, ov, t);
			found = 1;
		} else if (found && v4_re_match(&res[RE_CERT], line, n, ov, 3)) {
			cur = t->ncert < V4_ARRAY_LEN(t->certs) ? &t->certs[t->ncert++] : NULL;
			if (cur) {
				v4_re_group(line, ov, 2, cur->kind, sizeof cur->kind);
				cur->expiry_status = -1;
			}
		} else if (found && cur) {
			tls_field(line, n, cur);
		}
		lp = *pos;
	}
	return found;
}

/* Parses one device's `hccn_tool -i N -tls -g` output (and its stderr). */
int v4_parse_hccn_tls(const char *out, size_t out_len, const char *err_text, struct v4_tls *t,
		      char **err)
{
	size_t pos = 0;
	pthread_once(&res_once, res_init);
	tls_init(t);
	if (err_text && strstr(err_text, "No certificate found")) {
		if (out && !memchr(out, 0, out_len))
			tls_one(out, out_len, &pos, t);
		t->no_cert = 1;
		t->sw = 0;
		return 0;
	}
	int busy = v4_hccn_busy(err_text, err_text ? strlen(err_text) : 0);
	if (busy && (!out || out_len == 0))
		return v4_parse_fail(err, "hccn_tool -tls -g: hccn_tool is busy, please try again");
	if (check_text(out, out_len, "hccn_tool -tls -g", err))
		return -1;
	if (!tls_one(out, out_len, &pos, t)) {
		tls_init(t);
		if (busy)
			return v4_parse_fail(err, "hccn_tool -tls -g: hccn_tool is busy, please try again");
		return not_found(out, out_len, "hccn_tool -tls -g (no 'tls switch[..]' line)", err);
	}
	return 0;
}

/* Parses several devices' -tls -g outputs run one after the other. */
int v4_parse_hccn_tls_all(const char *out, size_t len, struct v4_tls **t, size_t *n, char **err)
{
	size_t pos = 0, cap = 0;
	struct v4_tls one;
	*t = NULL;
	*n = 0;
	if (check_text(out, len, "hccn_tool -tls -g", err))
		return -1;
	while (pos < len && tls_one(out, len, &pos, &one)) {
		grow(t, &cap, *n + 1, sizeof one);
		(*t)[(*n)++] = one;
	}
	if (*n == 0)
		return not_found(out, len, "hccn_tool -tls -g (no 'tls switch[..]' line)", err);
	return 0;
}

/* -link -g: link status UP/DOWN. */
int v4_parse_hccn_link(const char *text, size_t len, int *up, char **err)
{
	size_t ov[4];
	const char *line;
	*up = 0;
	if (check_text(text, len, "hccn_tool -link -g", err))
		return -1;
	if (!(line = first_match(text, len, RE_LINK, ov, 2)))
		return not_found(text, len, "hccn_tool -link -g (no 'link status:' line)", err);
	*up = strncasecmp(line + ov[2], "UP", 2) == 0;
	return 0;
}

/* Maps a net health status word to its kind (case-insensitive). */
static enum v4_net_health health_kind(const char *s)
{
	static const struct { const char *p; enum v4_net_health k; } map[] = {
		{"success", V4_NH_SUCCESS}, {"socket fail", V4_NH_SOCKET_FAIL},
		{"receive timeout", V4_NH_RECV_TIMEOUT}, {"unreachable", V4_NH_UNREACHABLE},
		{"time exceeded", V4_NH_TIME_EXCEEDED}, {"fault", V4_NH_FAULT}, {"init", V4_NH_INIT},
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(map); i++) {
		size_t l = strlen(map[i].p);
		int exact = strcasecmp(s, map[i].p) == 0;
		int ed = map[i].k == V4_NH_SOCKET_FAIL && strncasecmp(s, map[i].p, l) == 0 &&
			 strcasecmp(s + l, "ed") == 0;
		if (exact || ed)
			return map[i].k;
	}
	return V4_NH_OTHER;
}

/* -net_health -g: "net health status: X"; only Success is healthy. */
int v4_parse_hccn_net_health(const char *text, size_t len, struct v4_hccn_health *h, char **err)
{
	size_t ov[4];
	const char *line;
	memset(h, 0, sizeof *h);
	h->kind = V4_NH_OTHER;
	if (check_text(text, len, "hccn_tool -net_health -g", err))
		return -1;
	if (!(line = first_match(text, len, RE_HEALTH, ov, 2)))
		return not_found(text, len, "hccn_tool -net_health -g (no 'net health status:' line)",
				 err);
	v4_re_group(line, ov, 1, h->status, sizeof h->status);
	h->kind = health_kind(h->status);
	h->healthy = h->kind == V4_NH_SUCCESS;
	return 0;
}

/* -ip -g: ipaddr / netmask, or "no ip was preset". */
int v4_parse_hccn_ip(const char *text, size_t len, struct v4_hccn_ip *ip, char **err)
{
	size_t ov[4];
	const char *line;
	memset(ip, 0, sizeof *ip);
	if (check_text(text, len, "hccn_tool -ip -g", err))
		return -1;
	if ((line = first_match(text, len, RE_IPADDR, ov, 2)))
		v4_re_group(line, ov, 1, ip->addr, sizeof ip->addr);
	if ((line = first_match(text, len, RE_NETMASK, ov, 2)))
		v4_re_group(line, ov, 1, ip->netmask, sizeof ip->netmask);
	if (!ip->addr[0] && first_match(text, len, RE_NOIP, ov, 1))
		ip->none = 1;
	if (!ip->addr[0] && !ip->none)
		return not_found(text, len, "hccn_tool -ip -g (no 'ipaddr:' line)", err);
	return 0;
}

/* -ping -g: the first "transmitted, received, % loss" summary. */
int v4_parse_hccn_ping(const char *text, size_t len, struct v4_hccn_ping *p, char **err)
{
	size_t ov[8];
	const char *line;
	char a[24], b[24], c[24];
	memset(p, 0, sizeof *p);
	p->loss_pct = 100;
	if (check_text(text, len, "hccn_tool -ping -g", err))
		return -1;
	if (!(line = first_match(text, len, RE_PING, ov, 4)))
		return not_found(text, len, "hccn_tool -ping -g (no packet summary)", err);
	v4_re_group(line, ov, 1, a, sizeof a);
	v4_re_group(line, ov, 2, b, sizeof b);
	v4_re_group(line, ov, 3, c, sizeof c);
	char *end;
	double loss = strtod(c, &end);
	if (v4_parse_long(a, &p->transmitted) || v4_parse_long(b, &p->received) || *end ||
	    loss < 0 || loss > 100)
		return v4_parse_fail(err, "hccn_tool -ping -g: bad summary numbers");
	p->loss_pct = loss;
	return 0;
}

/* -netdetect -g: "netdetect addr(ess): A". */
int v4_parse_hccn_netdetect(const char *text, size_t len, char *addr, size_t asz, char **err)
{
	size_t ov[4];
	const char *line;
	if (asz)
		addr[0] = 0;
	if (check_text(text, len, "hccn_tool -netdetect -g", err))
		return -1;
	if (!(line = first_match(text, len, RE_NETDETECT, ov, 2)))
		return not_found(text, len, "hccn_tool -netdetect -g (no 'netdetect addr' line)", err);
	v4_re_group(line, ov, 1, addr, asz);
	return 0;
}

/* -gateway -g: "default gateway:G, Iface:ethN". */
int v4_parse_hccn_gateway(const char *text, size_t len, struct v4_hccn_gateway *g, char **err)
{
	size_t ov[6];
	const char *line;
	memset(g, 0, sizeof *g);
	if (check_text(text, len, "hccn_tool -gateway -g", err))
		return -1;
	if (!(line = first_match(text, len, RE_GATEWAY, ov, 3)))
		return not_found(text, len, "hccn_tool -gateway -g (no 'default gateway:' line)", err);
	v4_re_group(line, ov, 1, g->gateway, sizeof g->gateway);
	v4_re_group(line, ov, 2, g->iface, sizeof g->iface);
	return 0;
}

/* The entry for device dev, or NULL. */
const struct v4_hccn_conf_dev *v4_hccn_conf_get(const struct v4_hccn_conf *c, int dev)
{
	for (size_t i = 0; c && i < c->ndev; i++)
		if (c->devs[i].dev == dev)
			return &c->devs[i];
	return NULL;
}

/* The entry for dev, created (empty) when missing. */
static struct v4_hccn_conf_dev *conf_dev(struct v4_hccn_conf *c, int dev)
{
	struct v4_hccn_conf_dev *d = (struct v4_hccn_conf_dev *)v4_hccn_conf_get(c, dev);
	if (d)
		return d;
	grow(&c->devs, &c->cap, c->ndev + 1, sizeof *d);
	d = &c->devs[c->ndev++];
	memset(d, 0, sizeof *d);
	d->dev = dev;
	d->tls_enable = -1;
	return d;
}

/* Stores one key_N=value into its device entry. */
static void conf_set(struct v4_hccn_conf *c, const char *key, int dev, const char *val)
{
	static const char *const keys[] = {"address", "netmask", "netdetect", "gateway"};
	struct v4_hccn_conf_dev *d = conf_dev(c, dev);
	char *fields[] = {d->address, d->netmask, d->netdetect, d->gateway};
	long x;
	for (size_t i = 0; i < V4_ARRAY_LEN(keys); i++)
		if (!strcmp(key, keys[i])) {
			v4_copy(fields[i], sizeof d->address, val, strlen(val));
			return;
		}
	if (!strcmp(key, "tls_enable") && v4_parse_long(val, &x) == 0 && (x == 0 || x == 1))
		d->tls_enable = (int)x;
	else
		c->nother++;
}

/* Parses /etc/hccn.conf key_N=value lines (any order). */
int v4_parse_hccn_conf(const char *text, size_t len, struct v4_hccn_conf *c, char **err)
{
	size_t pos = 0, n, ov[8], hits = 0;
	const char *line;
	char key[64], num[16], val[64];
	long dev;
	memset(c, 0, sizeof *c);
	if (check_text(text, len, "/etc/hccn.conf", err))
		return -1;
	while (next_line(text, len, &pos, &line, &n)) {
		if (n >= LINE_MAX_LEN || !v4_re_match(&res[RE_CONF], line, n, ov, 4))
			continue;
		v4_re_group(line, ov, 1, key, sizeof key);
		v4_re_group(line, ov, 2, num, sizeof num);
		v4_re_group(line, ov, 3, val, sizeof val);
		if (v4_parse_long(num, &dev) || dev > 1023)
			continue;
		conf_set(c, key, (int)dev, val);
		hits++;
	}
	if (!hits) {
		v4_hccn_conf_free(c);
		return v4_parse_fail(err, "/etc/hccn.conf: no key_N=value lines");
	}
	return 0;
}

/* Frees what v4_parse_hccn_conf allocated. */
void v4_hccn_conf_free(struct v4_hccn_conf *c)
{
	if (!c)
		return;
	free(c->devs);
	memset(c, 0, sizeof *c);
}
