/* netif: the host network the cross-node gloo / HCCL / DP traffic takes.
 *
 * Failure 3 of the reference deployment: cross-node gloo failed on the
 * 127.0.0.1 loopback because the DP engine-core processes had no interface
 * variables. bond1 must exist, be up (slaves too) and hold the node's
 * address; HCCL_IF_IP and the *_SOCKET_IFNAME variables must name it in the
 * container and in every running vLLM process (sitecustomize.py puts them
 * back); the hostname must not resolve to loopback. (--data-parallel-address
 * is serve-args' to judge: ARGS_DP_ADDRESS.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_source.h"

#define P_LINK "netif-link"
#define P_ADDR "netif-addr"
#define P_BONDING "netif-bonding"
#define P_HOSTNAME "netif-hostname"
#define P_INSPECT "docker-inspect"
#define P_SITEPKG "netif-site-packages"
#define P_SITECUST "netif-sitecustomize"

#define FINDINGS(F)                                                                          \
	F(OK, PASS, "bond1 up with its address; interface variables and hostname right")     \
	F(BOND_MISSING, FAIL, "the bond interface (deployment.bond_if) does not exist")      \
	F(BOND_DOWN, FAIL, "the bond interface is down or has no carrier")                   \
	F(BOND_SLAVE_DOWN, FAIL,                                                             \
	  "a slave of the bond is down (half the bandwidth, no redundancy)")                 \
	F(BOND_ADDRESS, FAIL,                                                                \
	  "the bond interface does not carry the node's configured bond1 address")           \
	F(IFNAME_ENV_MISSING, FAIL,                                                          \
	  "an interface variable is neither in the environment nor set by sitecustomize.py") \
	F(IFNAME_ENV_WRONG, FAIL,                                                            \
	  "HCCL_IF_IP or a *_SOCKET_IFNAME variable names another address or interface")     \
	F(SITECUSTOMIZE_MISSING, FAIL,                                                       \
	  "sitecustomize.py is not in the container's site-packages")                        \
	F(SITECUSTOMIZE_INCOMPLETE, WARN,                                                    \
	  "sitecustomize.py does not set every interface variable")                          \
	F(HOSTNAME_LOOPBACK, FAIL,                                                           \
	  "the hostname resolves to a loopback address (gloo binds to it)")                  \
	F(HOSTNAME_UNRESOLVED, WARN,                                                         \
	  "the hostname does not resolve (gloo falls back to loopback)")                     \
	F(NETIF_CONFIG_INVALID, ERROR,                                                       \
	  "deployment.bond_if or deployment.container is not a plain name")                  \
	F(PROBE_FAILED, ERROR, "ip, docker or the process environments could not be read")   \
	F(SERVE_UNREADABLE, ERROR, "the serve command could not be read or parsed")
V4_FINDINGS(FINDINGS);

/* The interface variables and whether they hold the address (else the name). */
static const struct {
	const char *name;
	int is_ip;
} env_vars[] = {
	{"HCCL_IF_IP", 1},
	{"GLOO_SOCKET_IFNAME", 0},
	{"TP_SOCKET_IFNAME", 0},
	{"HCCL_SOCKET_IFNAME", 0},
};
#define NVARS V4_ARRAY_LEN(env_vars)

/* The bond interface name (deployment.bond_if, default bond1). */
static const char *bond_if(const struct v4_ctx *ctx)
{
	return v4_cfg_str(ctx->cfg, "deployment.bond_if", "bond1");
}

/* The container name (deployment.container, default vllm). */
static const char *container(const struct v4_ctx *ctx)
{
	return v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
}

/* 1 when p is a plain absolute path fit for a command (no quotes, no ".."). */
static int path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	if (n < 2 || n > 200 || p[0] != '/' || strstr(p, ".."))
		return 0;
	return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-") == n;
}

/* The first line of a fact's output, trimmed (caller frees), or NULL. */
static char *first_line(const struct v4_fact *f)
{
	if (!f || !f->out)
		return NULL;
	size_t n = strcspn(f->out, "\r\n");
	while (n && (f->out[n - 1] == ' ' || f->out[n - 1] == '\t'))
		n--;
	return n ? xstrndup(f->out, n) : NULL;
}

static void netif_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
			 struct v4_probes *ps)
{
	(void)c;
	const char *bif = bond_if(ctx), *ct = container(ctx);
	if (!word_ok(bif) || !word_ok(ct))
		return;
	v4_probe_add(ps, P_LINK, -1, 0, "ip -j -d link show");
	v4_probe_add(ps, P_ADDR, -1, 0, "ip -j addr show");
	v4_probe_add(ps, P_BONDING, -1, 0, "if [ -r /proc/net/bonding/%s ]; then cat /proc/net/bonding/%s; fi",
		     bif, bif);
	v4_probe_add(ps, P_HOSTNAME, -1, 0,
		     "h=$(hostname); printf 'hostname\\t%%s\\n' \"$h\"; getent ahosts \"$h\"; "
		     "echo \"getent-exit $?\"");
	v4_probe_add(ps, P_INSPECT, -1, 0, "docker inspect %s", ct);
	v4_probe_add(ps, P_SITEPKG, -1, 0,
		     "docker exec %s python3 -c 'import site;print(site.getsitepackages()[0])'", ct);
	char *sp = first_line(v4_fact(n, P_SITEPKG));
	const struct v4_fact *f = v4_fact(n, P_SITEPKG);
	if (f && f->state == V4_FACT_OK && f->exit_code == 0 && path_ok(sp))
		v4_probe_add(ps, P_SITECUST, -1, 0, "docker exec %s cat %s/sitecustomize.py", ct, sp);
	free(sp);
	serve_probes(n, ctx, ps);
}

/* ---- reading the facts ---- */

/* What is known of the node's network and environment. */
struct netif {
	cJSON *links, *addrs;       /* ip -j output */
	const cJSON *bond;          /* the bond's link object */
	char *bonding;              /* /proc/net/bonding text, or NULL */
	cJSON *inspect;             /* docker inspect [0] */
	char *sitecust;             /* file text, or NULL */
	int sitecust_known;         /* the site-packages were read */
	char *why_site;             /* why the file could not be read */
	const char *addr;           /* expected bond address */
};

/* Parses fact id as JSON into *out; NULL, or why (caller frees). */
static char *json_fact(const struct v4_node *n, const char *id, cJSON **out)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	*out = NULL;
	if (!f)
		return why;
	*out = cJSON_ParseWithLength(f->out, f->out_len);
	if (!*out || !cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return xasprintf("%s: output is not a JSON array", f->cmd);
	}
	return NULL;
}

/* The link object named name in an ip -j array, or NULL. */
static const cJSON *link_named(const cJSON *arr, const char *name)
{
	for (const cJSON *l = arr ? arr->child : NULL; l; l = l->next) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(l, "ifname");
		if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0)
			return l;
	}
	return NULL;
}

/* 1 when the link's flags hold flag. */
static int has_flag(const cJSON *l, const char *flag)
{
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(l, "flags"), *x;
	cJSON_ArrayForEach(x, fl)
		if (cJSON_IsString(x) && strcmp(x->valuestring, flag) == 0)
			return 1;
	return 0;
}

/* 1 when a link is administratively up and has carrier. */
static int link_up(const cJSON *l)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(l, "operstate");
	if (!has_flag(l, "UP") || has_flag(l, "NO-CARRIER"))
		return 0;
	if (cJSON_IsString(op) && strcmp(op->valuestring, "UP") == 0)
		return 1;
	return has_flag(l, "LOWER_UP") && !(cJSON_IsString(op) && strcmp(op->valuestring, "DOWN") == 0);
}

/* 1 when the interface's addresses include addr. */
static int has_addr(const cJSON *addrs, const char *ifname, const char *addr, struct sbuf *all)
{
	const cJSON *l = link_named(addrs, ifname), *a;
	int found = 0;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(l, "addr_info")) {
		const cJSON *loc = cJSON_GetObjectItemCaseSensitive(a, "local");
		const cJSON *fam = cJSON_GetObjectItemCaseSensitive(a, "family");
		if (!cJSON_IsString(loc) || !cJSON_IsString(fam) || strcmp(fam->valuestring, "inet"))
			continue;
		sbuf_printf(all, "%s%s", all->len ? ", " : "", loc->valuestring);
		found |= addr && strcmp(loc->valuestring, addr) == 0;
	}
	return found;
}

/* The first IPv4 address of the interface (caller frees), or NULL. */
static char *first_addr(const cJSON *addrs, const char *ifname)
{
	struct sbuf all = {0};
	has_addr(addrs, ifname, NULL, &all);
	char *a = all.len ? xstrndup(all.s, strcspn(all.s, ",")) : NULL;
	sbuf_free(&all);
	return a;
}

/* Slaves that are down, from /proc/net/bonding or the links' master field. */
static size_t slaves_down(const struct netif *x, const char *bif, struct sbuf *down, size_t *total)
{
	size_t nd = 0;
	*total = 0;
	if (x->bonding) {
		const char *p = x->bonding;
		while ((p = strstr(p, "Slave Interface: ")) != NULL) {
			p += strlen("Slave Interface: ");
			size_t k = strcspn(p, "\r\n");
			const char *mii = strstr(p, "MII Status: ");
			const char *next = strstr(p, "Slave Interface: ");
			(*total)++;
			if (mii && (!next || mii < next) && !starts_with(mii + 12, "up") && nd++ < 8)
				sbuf_printf(down, "%s%.*s", down->len ? ", " : "", (int)(k > 32 ? 32 : k), p);
		}
		return nd;
	}
	for (const cJSON *l = x->links ? x->links->child : NULL; l; l = l->next) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(l, "master");
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(l, "ifname");
		if (!cJSON_IsString(m) || strcmp(m->valuestring, bif) || !cJSON_IsString(nm))
			continue;
		(*total)++;
		if (!link_up(l) && nd++ < 8)
			sbuf_printf(down, "%s%s", down->len ? ", " : "", nm->valuestring);
	}
	return nd;
}

/* Reads the container's inspect object; NULL or why (caller frees). */
static char *read_inspect(const struct v4_node *n, cJSON **out)
{
	cJSON *arr = NULL;
	char *why = json_fact(n, P_INSPECT, &arr);
	*out = NULL;
	if (why)
		return why;
	if (!cJSON_IsObject(cJSON_GetArrayItem(arr, 0))) {
		cJSON_Delete(arr);
		return xstrdup("docker inspect gave an empty array");
	}
	*out = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return NULL;
}

/* Reads sitecustomize.py: text, or NULL with why (and whether it is absent). */
static void read_sitecust(const struct v4_node *n, struct netif *x)
{
	const struct v4_fact *sp = v4_fact(n, P_SITEPKG), *f = v4_fact(n, P_SITECUST);
	char *why = NULL;
	if (!v4_fact_ok(n, P_SITEPKG, 0, &why)) {
		x->why_site = why;
		return;
	}
	if (!f) {
		char *l = first_line(sp);
		x->why_site = xasprintf("site-packages path not usable: '%.80s'", l ? l : "");
		free(l);
		return;
	}
	x->sitecust_known = 1;
	if (f->state == V4_FACT_OK && f->exit_code == 0)
		x->sitecust = xstrndup(f->out, f->out_len);
	else if (f->state != V4_FACT_OK || !(f->err && strstr(f->err, "No such file"))) {
		x->sitecust_known = 0;
		v4_fact_ok(n, P_SITECUST, 0, &x->why_site);
	}
}

/* ---- judging ---- */

/* The value sitecustomize.py gives name ("NAME": "v", NAME=v, ["NAME"] = "v"),
 * or NULL (caller frees). */
static char *sitecust_value(const char *text, const char *name)
{
	for (const char *p = text; p && (p = strstr(p, name)) != NULL; p += strlen(name)) {
		const char *q = p + strlen(name);
		if ((p > text && (p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z'))) ||
		    (*q == '_' || (*q >= 'A' && *q <= 'Z')))
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

/* The value a variable should have. */
static const char *want_of(size_t i, const char *addr, const char *bif)
{
	return env_vars[i].is_ip ? addr : bif;
}

/* What judge_env reports. */
enum { ENV_WRONG_ONLY = 1, ENV_MISSING_ONLY = 2, ENV_BOTH = 3 };

/* Judges one environment (container, config script or process) against the
 * variables: wrong values, and/or missing ones that sitecustomize.py does not
 * set right. */
static void judge_env(const struct v4_rep *h, const char *where,
		      const char *(*get)(const void *, const char *), const void *env, int what,
		      const struct netif *x, const char *bif, int *bad)
{
	for (size_t i = 0; i < NVARS; i++) {
		const char *want = want_of(i, x->addr, bif), *v = get(env, env_vars[i].name);
		if (!want)
			continue; /* address unknown */
		char *sc = x->sitecust ? sitecust_value(x->sitecust, env_vars[i].name) : NULL;
		if (v && strcmp(v, want) && (what & ENV_WRONG_ONLY)) {
			v4_say(h, IFNAME_ENV_WRONG, NULL, "%s: %s=%s, expected %s", where,
			       env_vars[i].name, v, want);
			*bad = 1;
		} else if (!v && (what & ENV_MISSING_ONLY) && (!sc || strcmp(sc, want)) && x->sitecust_known) {
			v4_say(h, IFNAME_ENV_MISSING, NULL,
			       "%s: %s is not set and sitecustomize.py does not set it to %s", where,
			       env_vars[i].name, want);
			*bad = 1;
		}
		free(sc);
	}
}

/* Environment lookups for judge_env. */
static const char *get_proc(const void *e, const char *k)
{
	return proc_env_get(e, k);
}

/* A Config.Env value of a docker inspect object. */
static const char *get_inspect(const void *e, const char *k)
{
	const cJSON *x;
	size_t kl = strlen(k);
	cJSON_ArrayForEach(x, json_path(e, "Config.Env"))
		if (cJSON_IsString(x) && strncmp(x->valuestring, k, kl) == 0 && x->valuestring[kl] == '=')
			return x->valuestring + kl + 1;
	return NULL;
}

/* A config script export (placeholders such as <ip> skipped). */
static const char *get_script(const void *e, const char *k)
{
	const char *v = serve_getenv(e, k);
	return v && !strchr(v, '<') ? v : NULL;
}

/* The config script over the container env (placeholders such as <ip> skipped). */
struct eff_env {
	const struct serve_cmd *cmd;
	const cJSON *inspect;
};
static const char *get_effective(const void *e, const char *k)
{
	const struct eff_env *ee = e;
	const char *v = ee->cmd ? get_script(ee->cmd, k) : NULL;
	if (v)
		return v;
	return ee->inspect ? get_inspect(ee->inspect, k) : NULL;
}

/* The bond interface: exists, up, slaves up, address. Returns 1 when bad. */
static int judge_bond(const struct v4_rep *h, struct netif *x, const char *bif)
{
	struct sbuf down = {0}, all = {0};
	size_t total = 0, nd;
	int bad = 1;
	if (!x->bond) {
		v4_say(h, BOND_MISSING, NULL,
		       "no interface %s: gloo, HCCL and the DP handshake have no cross-node network", bif);
		return 1;
	}
	if (!link_up(x->bond))
		v4_say(h, BOND_DOWN, NULL, "%s is down or has no carrier", bif);
	else
		bad = 0;
	if ((nd = slaves_down(x, bif, &down, &total)) != 0) {
		v4_say(h, BOND_SLAVE_DOWN, NULL, "%zu of %zu slaves of %s down: %s",
		       nd, total, bif, down.s);
		bad = 1;
	}
	if (x->addr && !has_addr(x->addrs, bif, x->addr, &all)) {
		v4_say(h, BOND_ADDRESS, NULL, "%s carries [%s], not the configured %s",
		       bif, all.len ? all.s : "no IPv4 address", x->addr);
		bad = 1;
	}
	sbuf_free(&down);
	sbuf_free(&all);
	return bad;
}

/* The hostname's resolution. Returns 1 when bad. */
static int judge_hostname(const struct v4_rep *h, const struct v4_node *n)
{
	char *why = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_HOSTNAME, 0, &why);
	if (!f) {
		v4_say(h, PROBE_FAILED, NULL, "hostname: %s", why);
		free(why);
		return 1;
	}
	struct sbuf lo = {0}, all = {0};
	const char *line;
	size_t pos = 0, len;
	char host[80] = "?";
	while (next_line(f->out, f->out_len, &pos, &line, &len)) {
		if (len > 9 && strncmp(line, "hostname\t", 9) == 0)
			snprintf(host, sizeof host, "%.*s", (int)(len - 9 > 64 ? 64 : len - 9), line + 9);
		else if (len && !starts_with(line, "getent-exit") && strstr(line, "STREAM")) {
			size_t k = strcspn(line, " \t");
			struct sbuf *b = (starts_with(line, "127.") || (k == 3 && !strncmp(line, "::1", 3))) ? &lo : &all;
			sbuf_printf(b, "%s%.*s", b->len ? ", " : "", (int)(k > 45 ? 45 : k), line);
		}
	}
	int bad = lo.len != 0;
	if (lo.len)
		v4_say(h, HOSTNAME_LOOPBACK, NULL,
		       "hostname %s resolves to %s: gloo binds there without GLOO_SOCKET_IFNAME; fix "
		       "/etc/hosts", host, lo.s);
	else if (!all.len)
		v4_say(h, HOSTNAME_UNRESOLVED, NULL,
		       "hostname %s does not resolve: gloo falls back to the loopback address", host);
	sbuf_free(&lo);
	sbuf_free(&all);
	return bad;
}

/* The running processes' environments, strictly. */
static void judge_procs(const struct v4_rep *h, const struct v4_node *n, const struct netif *x,
			const char *bif, int *bad)
{
	struct serve_procs sp;
	char *why = NULL;
	if (node_serve_procs(n, &sp, &why) == 0)
		for (size_t i = 0; i < sp.n; i++) {
			char where[96];
			snprintf(where, sizeof where, "process %ld (%s)", sp.v[i].pid, sp.v[i].title);
			if (sp.v[i].env_ok)
				judge_env(h, where, get_proc, &sp.v[i].env, ENV_BOTH, x, bif, bad);
			else
				v4_say(h, PROBE_FAILED, NULL, "%s: environ: %s",
				       where, sp.v[i].why ? sp.v[i].why : "unreadable");
		}
	serve_procs_free(&sp);
	free(why);
}

/* The environments: running processes, else the config script over the
 * container env. Returns 1 when bad. */
static int judge_serve(const struct v4_rep *h, const struct v4_node *n, const struct netif *x,
		       const char *bif)
{
	struct serve_cmd cmd;
	int from_process = 0, bad = 0;
	char *why = NULL;
	int rc = node_serve(n, h->ctx, &cmd, &from_process, &why);
	struct eff_env ee = {rc == 0 ? &cmd : NULL, x->inspect};
	if (rc < 0) {
		char *m = mask_secrets(why ? why : "?");
		v4_say(h, SERVE_UNREADABLE, NULL, "could not read the serve command: %s", m);
		free(m);
		bad = 1;
	}
	if (x->inspect)
		judge_env(h, "container env", get_inspect, x->inspect, rc ? ENV_BOTH : ENV_WRONG_ONLY, x,
			  bif, &bad);
	if (rc == 0 && from_process) {
		judge_procs(h, n, x, bif, &bad);
	} else if (rc == 0) {
		judge_env(h, "deployment.serve_command", get_script, &cmd, ENV_WRONG_ONLY, x, bif, &bad);
		judge_env(h, "container env + deployment.serve_command", get_effective, &ee,
			  ENV_MISSING_ONLY, x, bif, &bad);
	}
	serve_free(&cmd);
	free(why);
	return bad;
}

/* sitecustomize.py present and complete. Returns 1 when bad. */
static int judge_sitecust(const struct v4_rep *h, const struct netif *x, const char *bif)
{
	if (!x->sitecust_known) {
		v4_say(h, PROBE_FAILED, NULL, "sitecustomize.py: %s",
		       x->why_site ? x->why_site : "unreadable");
		return 1;
	}
	if (!x->sitecust) {
		v4_say(h, SITECUSTOMIZE_MISSING, NULL,
		       "no sitecustomize.py in the container's site-packages: processes started without "
		       "the interface variables fall back to loopback");
		return 1;
	}
	struct sbuf miss = {0};
	for (size_t i = 0; i < NVARS; i++) {
		char *v = sitecust_value(x->sitecust, env_vars[i].name);
		const char *want = want_of(i, x->addr, bif);
		if (!v || (want && strcmp(v, want)))
			sbuf_printf(&miss, "%s%s", miss.len ? ", " : "", env_vars[i].name);
		free(v);
	}
	if (miss.len)
		v4_say(h, SITECUSTOMIZE_INCOMPLETE, NULL,
		       "sitecustomize.py does not set %s to the bond's values", miss.s);
	sbuf_free(&miss);
	return 0;
}

/* Evidence of a passing node: interface, address, slaves. */
static cJSON *pass_evidence(const struct netif *x, const char *bif)
{
	cJSON *o = cJSON_CreateObject();
	struct sbuf down = {0};
	size_t total = 0;
	slaves_down(x, bif, &down, &total);
	cJSON_AddStringToObject(o, "interface", bif);
	if (x->addr)
		cJSON_AddStringToObject(o, "address", x->addr);
	cJSON_AddNumberToObject(o, "slaves", (double)total);
	cJSON_AddBoolToObject(o, "sitecustomize", x->sitecust != NULL);
	sbuf_free(&down);
	return o;
}

/* Reads the link and address facts; -1 after an ERROR. */
static int read_net(const struct v4_rep *h, const struct v4_node *n, struct netif *x,
		    const char *bif)
{
	char *why = json_fact(n, P_LINK, &x->links);
	if (!why)
		why = json_fact(n, P_ADDR, &x->addrs);
	if (why) {
		v4_say(h, PROBE_FAILED, NULL, "could not read the links: %s", why);
		free(why);
		return -1;
	}
	x->bond = link_named(x->links, bif);
	const struct v4_fact *b = v4_fact(n, P_BONDING);
	if (b && b->state == V4_FACT_OK && b->exit_code == 0 && b->out_len)
		x->bonding = xstrndup(b->out, b->out_len);
	return 0;
}

/* Judges one node whose config names are plain. */
static void judge(const struct v4_rep *h, const struct v4_node *n)
{
	struct netif x = {0};
	const char *bif = bond_if(h->ctx);
	char *own = NULL, *why;
	size_t before = h->out->n;
	if (read_net(h, n, &x, bif))
		return;
	x.addr = n->bond_ip ? n->bond_ip : (own = first_addr(x.addrs, bif));
	int bad = judge_bond(h, &x, bif);
	read_sitecust(n, &x);
	bad |= judge_sitecust(h, &x, bif);
	if ((why = read_inspect(n, &x.inspect)) != NULL)
		v4_say(h, PROBE_FAILED, NULL, "container env: %s", why);
	bad |= judge_hostname(h, n);
	bad |= judge_serve(h, n, &x, bif);
	if (!bad && h->out->n == before)
		v4_say(h, OK, pass_evidence(&x, bif),
		       "%s up with the node's address; interface variables name it; hostname not "
		       "loopback", bif);
	free(why);
	free(own);
	free(x.bonding);
	free(x.sitecust);
	free(x.why_site);
	cJSON_Delete(x.links);
	cJSON_Delete(x.addrs);
	cJSON_Delete(x.inspect);
}

/* Judges one node, unless the config's names are unfit for a command. */
static void netif_evaluate(const struct v4_rep *h, const struct v4_node *n)
{
	if (!word_ok(bond_if(h->ctx)) || !word_ok(container(h->ctx)))
		v4_say(h, NETIF_CONFIG_INVALID, NULL,
		       "deployment.bond_if or deployment.container is not a plain name: not probed");
	else
		judge(h, n);
}

const struct v4_check v4_check_netif = {
	.id = "netif",
	.tier = V4_TIER_STANDARD,
	.cost_ms = 180, /* bench/tiers.sh: alone on one node */
	.title = "bond1 up with the node's address; gloo/HCCL interface variables, hostname",
	.explain =
		"Symptom: cross-node gloo fails on the 127.0.0.1 loopback (\"Gloo connectFullMesh\n"
		"  failed\", \"connect [127.0.1.1]: Connection refused\").\n"
		"Cause: the DP engine-core processes ran without GLOO_SOCKET_IFNAME and friends, so\n"
		"  gloo bound to what the hostname resolves to (loopback); or bond1 is down or\n"
		"  lacks the node's address.\n"
		"Fix: bond1 (deployment.bond_if) up, slaves up, holding the node's nodes[].bond1;\n"
		"  HCCL_IF_IP=<own bond1 IP> and GLOO_SOCKET_IFNAME, TP_SOCKET_IFNAME,\n"
		"  HCCL_SOCKET_IFNAME=bond1 in the container and in every vLLM process;\n"
		"  sitecustomize.py in site-packages setting them; /etc/hosts not mapping the\n"
		"  hostname to 127.x. Variables missing from a process are accepted when\n"
		"  sitecustomize.py sets them. The serve command is read for its environment\n"
		"  only: --data-parallel-address is judged by serve-args (ARGS_DP_ADDRESS).",
	.probes_doc = "ip -j -d link show; ip -j addr show; cat /proc/net/bonding/BOND (when present); "
		      "hostname and getent ahosts \"$(hostname)\" (substituted on the node, quoted); "
		      "docker inspect CONTAINER; docker exec CONTAINER python3 -c 'import site;"
		      "print(site.getsitepackages()[0])', then docker exec CONTAINER cat "
		      "PATH/sitecustomize.py (PATH checked: absolute, plain characters, no ..); " SERVE_PROBES_DOC,
	.fix_doc = NULL,
	.findings = findings,
	.params = NULL,
	.probes = netif_probes,
	.evaluate_node = netif_evaluate,
	.fix = NULL,
	.fix_class = V4_FIX_NONE,
};
