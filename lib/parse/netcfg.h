/* Parsers for the host network and container files the checks read:
 * /proc/net/bonding/BOND, `getent ahosts`, `ip -j`, sitecustomize.py,
 * `docker inspect`. Each returns 0 when the text is understood, -1 with *err
 * (caller frees) when it is not. */
#ifndef V4_NETCFG_H
#define V4_NETCFG_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* ---- /proc/net/bonding/BOND (Linux drivers/net/bonding/bond_procfs.c) ---- */

#define V4_BOND_MAX_SLAVES 16

struct v4_bond_slave {
	char name[32];
	int mii_up; /* 1 "MII Status: up", 0 another status, -1 no status line (cut) */
};

struct v4_bonding {
	char mode[64];      /* "Bonding Mode: ..." or "" */
	int mii_up;         /* the bond's own MII status; -1 when absent */
	struct v4_bond_slave slaves[V4_BOND_MAX_SLAVES];
	size_t nslave;      /* kept in slaves[] */
	size_t nslave_all;  /* "Slave Interface:" lines seen */
	size_t nunknown;    /* slaves without an MII status line */
};

/* -1 when the text has neither the driver header nor a "Slave Interface:" line. */
int v4_parse_bonding(const char *text, size_t len, struct v4_bonding *b, char **err);

/* ---- the hostname probe: "hostname\tH", `getent ahosts H`, "getent-exit N" ---- */

#define V4_HOSTRES_MAX 16

struct v4_hostres {
	char host[72];
	struct {
		char addr[48];
		int loopback; /* 127.0.0.0/8 or ::1 */
	} addrs[V4_HOSTRES_MAX];     /* one per STREAM line (glibc getent prints each once) */
	size_t naddr;
	size_t nloopback;
	int getent_exit;             /* 0 found, 2 not found (getent(1)) */
};

/* -1 when the hostname line or the exit line is missing (cut or foreign). */
int v4_parse_hostres(const char *text, size_t len, struct v4_hostres *r, char **err);

/* ---- ip -j link / addr (iproute2 JSON) ---- */

#define V4_IPF_UP 1u
#define V4_IPF_LOWER_UP 2u
#define V4_IPF_NO_CARRIER 4u
#define V4_IP_MAX_INET 8

struct v4_iplink {
	char ifname[32];
	char master[32];   /* "" when none */
	char operstate[16];
	unsigned flags;    /* V4_IPF_* */
	char inet[V4_IP_MAX_INET][48]; /* IPv4 addr_info[].local, in order */
	size_t ninet;
};

struct v4_iplinks {
	struct v4_iplink *v;
	size_t n;
	size_t nskipped;   /* array elements without an ifname */
};

/* -1 when the text is not a JSON array. */
int v4_parse_ip_json(const char *text, size_t len, struct v4_iplinks *l, char **err);
/* The link named name, or NULL. */
const struct v4_iplink *v4_ip_link(const struct v4_iplinks *l, const char *name);
/* 1 when the link is administratively up and has carrier. */
int v4_ip_link_up(const struct v4_iplink *k);
void v4_iplinks_free(struct v4_iplinks *l);

/* ---- sitecustomize.py ---- */

/* The string sitecustomize.py assigns to name ("NAME": "v", NAME="v",
 * os.environ["NAME"] = "v", setdefault("NAME", "v")), or NULL (caller frees). */
char *v4_sitecust_value(const char *text, const char *name);

/* ---- docker inspect NAME ---- */

/* The first object of docker inspect's JSON array (caller deletes), or NULL
 * with *err. */
cJSON *v4_parse_docker_inspect(const char *text, size_t len, char **err);
/* 1 when docker's stderr says the container does not exist. */
int v4_docker_no_such(const char *err_text);
/* A Config.Env value of an inspect object, or NULL. */
const char *v4_docker_env(const cJSON *insp, const char *key);
/* Splits LD_PRELOAD (blanks or colons) into at most max paths of < 256 bytes. */
size_t v4_preload_paths(const char *v, char (*out)[256], size_t max);

#endif
