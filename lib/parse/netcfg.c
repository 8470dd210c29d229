/* Host network and container parsers: bonding status, getent, ip -j,
 * sitecustomize.py, docker inspect (netcfg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"
#include "util.h"

/* 1 when line (n bytes) starts with prefix; *rest is what follows. */
static int line_key(const char *line, size_t n, const char *prefix, const char **rest, size_t *rn)
{
	size_t k = strlen(prefix);
	if (n < k || memcmp(line, prefix, k) != 0)
		return 0;
	*rest = line + k;
	*rn = n - k;
	while (*rn && ((*rest)[*rn - 1] == ' ' || (*rest)[*rn - 1] == '\t'))
		(*rn)--;
	return 1;
}

/* Copies n bytes of s into dst (size dsz), truncated and terminated. */
static void copy_n(char *dst, size_t dsz, const char *s, size_t n)
{
	if (n >= dsz)
		n = dsz - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* 1 when the text holds a NUL byte (binary, not a text file). */
static int has_nul(const char *t, size_t n)
{
	return t && memchr(t, 0, n) != NULL;
}

/* ---- /proc/net/bonding ---- */

/* Records one "MII Status:" value for the bond or its current slave. */
static void bond_mii(struct v4_bonding *b, int in_slave, const char *v, size_t vn)
{
	int up = vn >= 2 && strncmp(v, "up", 2) == 0;
	if (!in_slave)
		b->mii_up = up;
	else if (b->nslave && b->slaves[b->nslave - 1].mii_up < 0 && b->nslave == b->nslave_all)
		b->slaves[b->nslave - 1].mii_up = up;
}

int v4_parse_bonding(const char *text, size_t len, struct v4_bonding *b, char **err)
{
	const char *line, *v;
	size_t pos = 0, n, vn;
	int header = 0, in_slave = 0;
	memset(b, 0, sizeof *b);
	b->mii_up = -1;
	if (has_nul(text, len)) {
		*err = xstrdup("bonding status: binary data");
		return -1;
	}
	while (next_line(text, len, &pos, &line, &n)) {
		if (line_key(line, n, "Ethernet Channel Bonding Driver:", &v, &vn))
			header = 1;
		else if (line_key(line, n, "Bonding Mode: ", &v, &vn))
			copy_n(b->mode, sizeof b->mode, v, vn);
		else if (line_key(line, n, "Slave Interface: ", &v, &vn)) {
			in_slave = 1;
			if (b->nslave_all++ < V4_BOND_MAX_SLAVES) {
				struct v4_bond_slave *s = &b->slaves[b->nslave++];
				copy_n(s->name, sizeof s->name, v, vn);
				s->mii_up = -1;
			}
		} else if (line_key(line, n, "MII Status: ", &v, &vn))
			bond_mii(b, in_slave, v, vn);
	}
	for (size_t i = 0; i < b->nslave; i++)
		b->nunknown += b->slaves[i].mii_up < 0;
	if (!header && !b->nslave_all) {
		*err = xstrdup("not a bonding status file (no driver line, no slave)");
		return -1;
	}
	return 0;
}

/* ---- hostname + getent ahosts ---- */

/* 1 for an address in 127.0.0.0/8 or ::1. */
static int is_loopback(const char *a, size_t n)
{
	return (n >= 4 && strncmp(a, "127.", 4) == 0) || (n == 3 && strncmp(a, "::1", 3) == 0);
}

/* Adds the address of one getent ahosts STREAM line. */
static void hostres_add(struct v4_hostres *r, const char *line, size_t n)
{
	size_t k = 0;
	while (k < n && line[k] != ' ' && line[k] != '\t')
		k++;
	if (!k || r->naddr >= V4_HOSTRES_MAX)
		return;
	copy_n(r->addrs[r->naddr].addr, sizeof r->addrs[0].addr, line, k);
	r->addrs[r->naddr].loopback = is_loopback(line, k);
	r->nloopback += r->addrs[r->naddr].loopback;
	r->naddr++;
}

/* 1 when the line has the word STREAM as its second field. */
static int stream_line(const char *line, size_t n)
{
	size_t k = 0;
	while (k < n && line[k] != ' ' && line[k] != '\t')
		k++;
	while (k < n && (line[k] == ' ' || line[k] == '\t'))
		k++;
	return n - k >= 6 && strncmp(line + k, "STREAM", 6) == 0 &&
	       (n - k == 6 || line[k + 6] == ' ' || line[k + 6] == '\t');
}

int v4_parse_hostres(const char *text, size_t len, struct v4_hostres *r, char **err)
{
	const char *line, *v;
	size_t pos = 0, n, vn;
	int have_host = 0, have_exit = 0;
	memset(r, 0, sizeof *r);
	r->getent_exit = -1;
	while (next_line(text, len, &pos, &line, &n)) {
		if (line_key(line, n, "hostname\t", &v, &vn)) {
			copy_n(r->host, sizeof r->host, v, vn > 64 ? 64 : vn);
			have_host = 1;
		} else if (line_key(line, n, "getent-exit ", &v, &vn)) {
			char num[12];
			copy_n(num, sizeof num, v, vn);
			r->getent_exit = atoi(num);
			have_exit = 1;
		} else if (stream_line(line, n))
			hostres_add(r, line, n);
	}
	if (!have_host || !have_exit || has_nul(text, len)) {
		*err = xasprintf("hostname probe output not understood (%s)",
				 !have_host ? "no hostname line" : !have_exit ? "no getent exit line, cut"
									  : "binary data");
		return -1;
	}
	return 0;
}

/* ---- ip -j ---- */

/* Reads the flags array of one link object. */
static unsigned ip_flags(const cJSON *o)
{
	const cJSON *x;
	unsigned f = 0;
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "flags")) {
		if (!cJSON_IsString(x))
			continue;
		f |= strcmp(x->valuestring, "UP") == 0 ? V4_IPF_UP : 0;
		f |= strcmp(x->valuestring, "LOWER_UP") == 0 ? V4_IPF_LOWER_UP : 0;
		f |= strcmp(x->valuestring, "NO-CARRIER") == 0 ? V4_IPF_NO_CARRIER : 0;
	}
	return f;
}

/* Copies string member key of o into dst ("" when absent); 1 when present. */
static int ip_str(const cJSON *o, const char *key, char *dst, size_t dsz)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	dst[0] = 0;
	if (!cJSON_IsString(x))
		return 0;
	copy_n(dst, dsz, x->valuestring, strlen(x->valuestring));
	return 1;
}

/* Reads the IPv4 addresses of one addr_info array. */
static void ip_inet(const cJSON *o, struct v4_iplink *k)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "addr_info")) {
		const cJSON *loc = cJSON_GetObjectItemCaseSensitive(a, "local");
		const cJSON *fam = cJSON_GetObjectItemCaseSensitive(a, "family");
		if (!cJSON_IsString(loc) || !cJSON_IsString(fam) || strcmp(fam->valuestring, "inet"))
			continue;
		if (k->ninet < V4_IP_MAX_INET)
			copy_n(k->inet[k->ninet++], sizeof k->inet[0], loc->valuestring, strlen(loc->valuestring));
	}
}

int v4_parse_ip_json(const char *text, size_t len, struct v4_iplinks *l, char **err)
{
	memset(l, 0, sizeof *l);
	cJSON *arr = text ? cJSON_ParseWithLength(text, len) : NULL, *o;
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		*err = xstrdup("output is not a JSON array");
		return -1;
	}
	size_t cap = 0;
	cJSON_ArrayForEach(o, arr) {
		struct v4_iplink k;
		memset(&k, 0, sizeof k);
		if (!cJSON_IsObject(o) || !ip_str(o, "ifname", k.ifname, sizeof k.ifname)) {
			l->nskipped++;
			continue;
		}
		ip_str(o, "master", k.master, sizeof k.master);
		ip_str(o, "operstate", k.operstate, sizeof k.operstate);
		k.flags = ip_flags(o);
		ip_inet(o, &k);
		grow(&l->v, &cap, l->n + 1, sizeof *l->v);
		l->v[l->n++] = k;
	}
	cJSON_Delete(arr);
	return 0;
}

const struct v4_iplink *v4_ip_link(const struct v4_iplinks *l, const char *name)
{
	for (size_t i = 0; l && name && i < l->n; i++)
		if (strcmp(l->v[i].ifname, name) == 0)
			return &l->v[i];
	return NULL;
}

int v4_ip_link_up(const struct v4_iplink *k)
{
	if (!(k->flags & V4_IPF_UP) || (k->flags & V4_IPF_NO_CARRIER))
		return 0;
	if (strcmp(k->operstate, "UP") == 0)
		return 1;
	return (k->flags & V4_IPF_LOWER_UP) && strcmp(k->operstate, "DOWN") != 0;
}

void v4_iplinks_free(struct v4_iplinks *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- sitecustomize.py ---- */

/* 1 for the characters that continue a variable name. */
static int name_char(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char *v4_sitecust_value(const char *text, const char *name)
{
	size_t nl = name ? strlen(name) : 0;
	if (!nl)
		return NULL;
	for (const char *p = text; p && (p = strstr(p, name)) != NULL; p += nl) {
		const char *q = p + nl;
		if ((p > text && name_char(p[-1])) || name_char(*q))
			continue;
		q += strspn(q, "\"'] \t");
		if (*q != ':' && *q != '=' && *q != ',')
			continue;
		q += 1 + strspn(q + 1, " \t=");
		if (*q != '"' && *q != '\'')
			continue;
		const char *e = strchr(q + 1, *q);
		if (e && !memchr(q, '\n', (size_t)(e - q)))
			return xstrndup(q + 1, (size_t)(e - q - 1));
	}
	return NULL;
}

/* ---- docker inspect ---- */

cJSON *v4_parse_docker_inspect(const char *text, size_t len, char **err)
{
	cJSON *arr = text ? cJSON_ParseWithLength(text, len) : NULL;
	cJSON *o = NULL;
	if (!cJSON_IsArray(arr))
		*err = xstrdup("output is not a JSON array");
	else if (!cJSON_IsObject(cJSON_GetArrayItem(arr, 0)))
		*err = xstrdup("output is not a JSON array of objects (empty array?)");
	else if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "Config")) ||
		 !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0), "State")))
		*err = xstrdup("not a container's inspect object (no Config or State)");
	else
		o = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return o;
}

int v4_docker_no_such(const char *err_text)
{
	return err_text && (strstr(err_text, "No such object") || strstr(err_text, "No such container"));
}

const char *v4_docker_env(const cJSON *insp, const char *key)
{
	const cJSON *x;
	size_t kl = strlen(key);
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(insp, "Config"), "Env"))
		if (cJSON_IsString(x) && strncmp(x->valuestring, key, kl) == 0 && x->valuestring[kl] == '=')
			return x->valuestring + kl + 1;
	return NULL;
}

size_t v4_preload_paths(const char *v, char (*out)[256], size_t max)
{
	size_t n = 0;
	while (v && *v && n < max) {
		v += strspn(v, " :");
		size_t k = strcspn(v, " :");
		if (k && k < 256) {
			memcpy(out[n], v, k);
			out[n++][k] = 0;
		}
		v += k;
	}
	return n;
}
