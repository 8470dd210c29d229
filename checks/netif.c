/* netif: the host network the cross-node gloo / HCCL / DP traffic takes.
 *
 * Failure 3 of the reference deployment: cross-node gloo failed on the
 * 127.0.0.1 loopback because the DP engine-core processes had no interface
 * variables. bond1 must exist, be up (slaves too) and hold the node's
 * address; HCCL_IF_IP, HCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME must select
 * it where they take effect: in every running vLLM process (engine cores and
 * workers inherit the server's environment), else before deploy in the serve
 * script's exports over the container's env. HCCL_SOCKET_IFNAME is resolved
 * against the node's interfaces (prefixes, =name, ^exclusions; HCCL_IF_IP
 * wins over it); TP_SOCKET_IFNAME is read by nothing in this stack and not
 * judged. sitecustomize.py is deployment policy: WARN only when a process
 * lacks a variable. The hostname must not resolve to loopback.
 * (--data-parallel-address is serve-args' to judge: ARGS_DP_ADDRESS.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"
#include "serve_source.h"

#define P_LINK "netif-link"
#define P_ADDR "netif-addr"
#define P_BONDING "netif-bonding"
#define P_HOSTNAME "netif-hostname"
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
	F(IFNAME_LIST, WARN,                                                                 \
	  "GLOO_SOCKET_IFNAME lists several interfaces: gloo uses each in turn, so each "      \
	  "must reach the other nodes")                                                      \
	F(SITECUSTOMIZE_MISSING, WARN,                                                       \
	  "a process lacks an interface variable and no sitecustomize.py sets it (policy)")  \
	F(SITECUSTOMIZE_INCOMPLETE, WARN,                                                    \
	  "a process lacks an interface variable sitecustomize.py does not set (policy)")    \
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
	want_inspect(ps, ct);
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
	struct v4_iplinks links, addrs; /* ip -j output */
	const struct v4_iplink *bond;   /* the bond's link */
	struct v4_bonding bonding;      /* /proc/net/bonding/BOND */
	int has_bonding;                /* that file was read and understood */
	cJSON *inspect;             /* docker inspect [0] */
	char *sitecust;             /* file text, or NULL */
	int sitecust_known;         /* the site-packages were read */
	char *why_site;             /* why the file could not be read */
	const char *addr;           /* expected bond address */
};

/* Parses fact id as ip -j output into *out; NULL, or why (caller frees). */
static char *ip_fact(const struct v4_node *n, const char *id, struct v4_iplinks *out)
{
	char *why = NULL, *err = NULL;
	const struct v4_fact *f = v4_fact_ok(n, id, 0, &why);
	memset(out, 0, sizeof *out);
	if (!f)
		return why;
	if (v4_parse_ip_json(f->out, f->out_len, out, &err)) {
		why = xasprintf("%s: %s", f->cmd, err);
		free(err);
		return why;
	}
	return NULL;
}

/* 1 when the interface's addresses include addr; all lists them. */
static int has_addr(const struct v4_iplinks *addrs, const char *ifname, const char *addr, struct sbuf *all)
{
	const struct v4_iplink *l = v4_ip_link(addrs, ifname);
	int found = 0;
	for (size_t i = 0; l && i < l->ninet; i++) {
		sbuf_printf(all, "%s%s", all->len ? ", " : "", l->inet[i]);
		found |= addr && strcmp(l->inet[i], addr) == 0;
	}
	return found;
}

/* The first IPv4 address of the interface (caller frees), or NULL. */
static char *first_addr(const struct v4_iplinks *addrs, const char *ifname)
{
	const struct v4_iplink *l = v4_ip_link(addrs, ifname);
	return l && l->ninet ? xstrdup(l->inet[0]) : NULL;
}

/* Slaves that are down, from /proc/net/bonding or the links' master field. */
static size_t slaves_down(const struct netif *x, const char *bif, struct sbuf *down, size_t *total)
{
	size_t nd = 0;
	*total = 0;
	if (x->has_bonding) {
		*total = x->bonding.nslave_all;
		for (size_t i = 0; i < x->bonding.nslave; i++)
			if (x->bonding.slaves[i].mii_up == 0 && nd++ < 8)
				sbuf_printf(down, "%s%s", down->len ? ", " : "", x->bonding.slaves[i].name);
		return nd;
	}
	for (size_t i = 0; i < x->links.n; i++) {
		const struct v4_iplink *l = &x->links.v[i];
		if (strcmp(l->master, bif))
			continue;
		(*total)++;
		if (!v4_ip_link_up(l) && nd++ < 8)
			sbuf_printf(down, "%s%s", down->len ? ", " : "", l->ifname);
	}
	return nd;
}

/* Reads the container's inspect object; NULL or why (caller frees). */
static char *read_inspect(const struct v4_node *n, cJSON **out)
{
	char *why = NULL, *err = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_INSPECT, 0, &why);
	*out = NULL;
	if (!f)
		return why;
	if ((*out = v4_parse_docker_inspect(f->out, f->out_len, &err)) == NULL) {
		why = xasprintf("%s: %s", f->cmd, err);
		free(err);
	}
	return why;
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

/* The value a variable should have. */
static const char *want_of(size_t i, const char *addr, const char *bif)
{
	return env_vars[i].is_ip ? addr : bif;
}

/* What judge_env reports. */
enum { ENV_WRONG_ONLY = 1, ENV_MISSING_ONLY = 2, ENV_BOTH = 3 };

/* 1 when interface name matches one HCCL_SOCKET_IFNAME entry ("=name"
 * exact, else a prefix). */
static int hccl_entry_match(const char *ent, size_t el, const char *name)
{
	if (el && ent[0] == '=')
		return strlen(name) == el - 1 && strncmp(name, ent + 1, el - 1) == 0;
	return el && strncmp(name, ent, el) == 0;
}

/* The interface HCCL_SOCKET_IFNAME v selects on this node (CANN: a comma
 * list of prefixes or =names, the first match used; ^ excludes), or NULL. */
static const char *hccl_selects(const char *v, const struct v4_iplinks *links)
{
	int excl = v[0] == '^';
	const char *list = v + excl;
	if (excl) { /* the first interface not excluded, loopback aside */
		for (size_t i = 0; i < links->n; i++) {
			const char *nm = links->v[i].ifname;
			if (strcmp(nm, "lo") == 0)
				continue;
			int out = 0;
			for (const char *p = list; *p && !out; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
				out = hccl_entry_match(p, strcspn(p, ","), nm);
			if (!out)
				return nm;
		}
		return NULL;
	}
	for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
		for (size_t i = 0; i < links->n; i++)
			if (hccl_entry_match(p, strcspn(p, ","), links->v[i].ifname))
				return links->v[i].ifname;
	return NULL;
}

/* GLOO_SOCKET_IFNAME v: 0 right (bif alone), 1 a list holding bif whose names
 * all exist, -1 wrong. */
static int gloo_judge(const char *v, const struct v4_iplinks *links, const char *bif)
{
	int has = 0, n = 0;
	if (strcmp(v, bif) == 0)
		return 0;
	for (const char *p = v; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		char name[64];
		size_t k = strcspn(p, ",");
		if (!k || k >= sizeof name)
			return -1;
		memcpy(name, p, k);
		name[k] = 0;
		if (!v4_ip_link(links, name))
			return -1;
		has |= strcmp(name, bif) == 0;
		n++;
	}
	return has && n > 1 ? 1 : -1;
}

/* Judges one environment (config script or process) against the variables:
 * wrong values, and/or missing ones that sitecustomize.py does not set right
 * (counted in *missing). */
static void judge_env(const struct v4_rep *h, const char *where,
		      const char *(*get)(const void *, const char *), const void *env, int what,
		      const struct netif *x, const char *bif, int *bad, int *missing)
{
	const char *ip = get(env, "HCCL_IF_IP");
	int ip_ok = ip && x->addr && strcmp(ip, x->addr) == 0;
	for (size_t i = 0; i < NVARS; i++) {
		const char *name = env_vars[i].name, *want = want_of(i, x->addr, bif), *v = get(env, name);
		if (!want)
			continue; /* address unknown */
		if (ip_ok && strcmp(name, "HCCL_SOCKET_IFNAME") == 0)
			continue; /* HCCL_IF_IP takes precedence over it (CANN) */
		char *sc = x->sitecust ? v4_sitecust_value(x->sitecust, name) : NULL;
		const char *sel = v && strcmp(name, "HCCL_SOCKET_IFNAME") == 0 ? hccl_selects(v, &x->links) : NULL;
		int g = v && strcmp(name, "GLOO_SOCKET_IFNAME") == 0 ? gloo_judge(v, &x->links, bif) : 0;
		int wrong = v && (env_vars[i].is_ip ? strcmp(v, want) != 0
				  : strcmp(name, "HCCL_SOCKET_IFNAME") == 0 ? !sel || strcmp(sel, bif) != 0
				  : g < 0);
		if (wrong && (what & ENV_WRONG_ONLY)) {
			if (strcmp(name, "HCCL_SOCKET_IFNAME") == 0)
				v4_say(h, IFNAME_ENV_WRONG, NULL, "%s: %s=%s selects %s, expected %s", where,
				       name, v, sel ? sel : "no interface of the node", want);
			else
				v4_say(h, IFNAME_ENV_WRONG, NULL, "%s: %s=%s, expected %s", where, name, v, want);
			*bad = 1;
		} else if (v && g == 1 && (what & ENV_WRONG_ONLY)) {
			v4_say(h, IFNAME_LIST, NULL, "%s: %s=%s: gloo uses each listed interface in turn, "
			       "so each must reach the other nodes; %s alone is the deployment's", where, name, v, bif);
		} else if (!v && (what & ENV_MISSING_ONLY) && (!sc || strcmp(sc, want)) && x->sitecust_known) {
			v4_say(h, IFNAME_ENV_MISSING, NULL,
			       "%s: %s is not set%s", where, name,
			       x->sitecust ? " and sitecustomize.py does not set it" : "");
			*bad = 1;
			(*missing)++;
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
	return v4_docker_env(e, k);
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
	if (!v4_ip_link_up(x->bond))
		v4_say(h, BOND_DOWN, NULL, "%s is down or has no carrier", bif);
	else
		bad = 0;
	if ((nd = slaves_down(x, bif, &down, &total)) != 0) {
		v4_say(h, BOND_SLAVE_DOWN, NULL, "%zu of %zu slaves of %s down: %s",
		       nd, total, bif, down.s);
		bad = 1;
	}
	if (x->addr && !has_addr(&x->addrs, bif, x->addr, &all)) {
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
	struct v4_hostres r;
	if (v4_parse_hostres(f->out, f->out_len, &r, &why)) {
		v4_say(h, PROBE_FAILED, NULL, "hostname: %s", why);
		free(why);
		return 1;
	}
	struct sbuf lo = {0}, all = {0};
	const char *host = r.host;
	for (size_t i = 0; i < r.naddr; i++) {
		struct sbuf *b = r.addrs[i].loopback ? &lo : &all;
		sbuf_printf(b, "%s%s", b->len ? ", " : "", r.addrs[i].addr);
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
			const char *bif, int *bad, int *missing)
{
	struct serve_procs sp;
	char *why = NULL;
	if (node_serve_procs(n, &sp, &why) == 0)
		for (size_t i = 0; i < sp.n; i++) {
			char where[96];
			snprintf(where, sizeof where, "process %ld (%s)", sp.v[i].pid, sp.v[i].title);
			if (sp.v[i].env_ok)
				judge_env(h, where, get_proc, &sp.v[i].env, ENV_BOTH, x, bif, bad, missing);
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
		       const char *bif, int *missing)
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
	if (rc == 0 && from_process)
		judge_procs(h, n, x, bif, &bad, missing);
	else if (rc == 0)
		judge_env(h, "container env + deployment.serve_command", get_effective, &ee, ENV_BOTH, x,
			  bif, &bad, missing);
	else if (x->inspect)
		judge_env(h, "container env", get_inspect, x->inspect, ENV_BOTH, x, bif, &bad, missing);
	serve_free(&cmd);
	free(why);
	return bad;
}

/* sitecustomize.py present and complete. Returns 1 when bad. */
static int judge_sitecust(const struct v4_rep *h, const struct netif *x, const char *bif, int missing)
{
	if (!x->sitecust_known) {
		v4_say(h, PROBE_FAILED, NULL, "sitecustomize.py: %s",
		       x->why_site ? x->why_site : "unreadable");
		return 1;
	}
	if (!missing)
		return 0; /* every process has the variables: sitecustomize.py is not needed */
	if (!x->sitecust) {
		v4_say(h, SITECUSTOMIZE_MISSING, NULL,
		       "no sitecustomize.py in the container's site-packages, and a process lacks an "
		       "interface variable: the deployment's remedy (engine cores inherit the server's "
		       "environment, vllm-project/vllm-ascend@v0.21.0rc1 vllm_ascend/platform.py:140; "
		       "export the variables before vllm serve)");
		return 0;
	}
	struct sbuf miss = {0};
	for (size_t i = 0; i < NVARS; i++) {
		char *v = v4_sitecust_value(x->sitecust, env_vars[i].name);
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
	char *why = ip_fact(n, P_LINK, &x->links), *err = NULL;
	if (!why)
		why = ip_fact(n, P_ADDR, &x->addrs);
	if (why) {
		v4_say(h, PROBE_FAILED, NULL, "could not read the links: %s", why);
		free(why);
		return -1;
	}
	x->bond = v4_ip_link(&x->links, bif);
	const struct v4_fact *b = v4_fact(n, P_BONDING);
	if (b && b->state == V4_FACT_OK && b->exit_code == 0 && b->out_len)
		x->has_bonding = v4_parse_bonding(b->out, b->out_len, &x->bonding, &err) == 0;
	free(err);
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
	x.addr = n->bond_ip ? n->bond_ip : (own = first_addr(&x.addrs, bif));
	int bad = judge_bond(h, &x, bif);
	int missing = 0;
	read_sitecust(n, &x);
	if ((why = read_inspect(n, &x.inspect)) != NULL)
		v4_say(h, PROBE_FAILED, NULL, "container env: %s", why);
	bad |= judge_hostname(h, n);
	bad |= judge_serve(h, n, &x, bif, &missing);
	bad |= judge_sitecust(h, &x, bif, missing);
	if (!bad && h->out->n == before)
		v4_say(h, OK, pass_evidence(&x, bif),
		       "%s up with the node's address; interface variables name it; hostname not "
		       "loopback", bif);
	free(why);
	free(own);
	free(x.sitecust);
	free(x.why_site);
	v4_iplinks_free(&x.links);
	v4_iplinks_free(&x.addrs);
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
		"  HCCL_IF_IP=<own bond1 IP>, GLOO_SOCKET_IFNAME=bond1 and HCCL_SOCKET_IFNAME=bond1\n"
		"  exported before vllm serve; /etc/hosts not mapping the hostname to 127.x.\n"
		"Where judged: each variable where it takes effect: the environment of every\n"
		"  running vLLM process (server, EngineCore_DP*, workers: they inherit the\n"
		"  server's environment, vllm-project/vllm-ascend@v0.21.0rc1\n"
		"  vllm_ascend/platform.py:140); before deploy the serve script's exports over\n"
		"  the container's env. A variable missing from a process is accepted when\n"
		"  sitecustomize.py sets it; sitecustomize.py itself is the deployment's remedy\n"
		"  (WARN, only when a process lacks a variable).\n"
		"How read: HCCL_SOCKET_IFNAME is a comma list of prefixes or =names, the first\n"
		"  match used, ^ excluding (CANN, https://www.hiascend.com/document/detail/zh/\n"
		"  CANNCommunityEdition/83RC1/maintenref/envvar/envref_07_0075.html): resolved\n"
		"  against the node's interfaces, it must select bond1; HCCL_IF_IP takes\n"
		"  precedence over it. GLOO_SOCKET_IFNAME names interfaces; several are used in\n"
		"  turn (IFNAME_LIST WARN). TP_SOCKET_IFNAME is read by nothing in this stack\n"
		"  and not judged. The serve command is read for its environment only:\n"
		"  --data-parallel-address is judged by serve-args (ARGS_DP_ADDRESS).",
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
