/* The other nodes' NPU addresses from the config (nodes[].npu_ips). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "peers.h"

int ipv4_ok(const char *s)
{
	int parts = 0;
	if (!s || strlen(s) > 15)
		return 0;
	while (parts < 4) {
		const char *p = s;
		int v = 0;
		while (*p >= '0' && *p <= '9' && p - s < 3)
			v = v * 10 + (*p++ - '0');
		if (p == s || v > 255 || (p - s > 1 && *s == '0'))
			return 0;
		parts++;
		if (parts < 4 && *p != '.')
			return 0;
		s = p + (parts < 4);
	}
	return *s == '\0';
}

/* Index of node n in the config's nodes (by name, else rank), or -1. */
static int self_index(const struct v4_node *n, const cJSON *cn)
{
	int i = 0, by_rank = -1;
	for (const cJSON *x = cn ? cn->child : NULL; x; x = x->next, i++) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(x, "name");
		const cJSON *rk = cJSON_GetObjectItemCaseSensitive(x, "rank");
		if (cJSON_IsString(nm) && n->name && strcmp(nm->valuestring, n->name) == 0)
			return i;
		if (cJSON_IsNumber(rk) && n->rank >= 0 && rk->valueint == n->rank && by_rank < 0)
			by_rank = i;
	}
	return by_rank;
}

size_t peer_nodes(const struct v4_node *n, const struct v4_ctx *ctx, const cJSON ***out)
{
	const cJSON *cn = v4_cfg_get(ctx->cfg, "nodes");
	int self = self_index(n, cn), i = 0;
	size_t np = 0;
	*out = xcalloc((size_t)cJSON_GetArraySize(cn) + 1, sizeof **out);
	for (const cJSON *x = cn ? cn->child : NULL; x; x = x->next, i++)
		if (i != self && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(x, "npu_ips")) &&
		    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(x, "name")))
			(*out)[np++] = x;
	return np;
}

const char *peer_name(const cJSON *peer)
{
	return cJSON_GetObjectItemCaseSensitive(peer, "name")->valuestring;
}

const cJSON *peer_npu_ip(const cJSON *peer, int npu)
{
	if (npu < 0)
		return NULL;
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(peer, "npu_ips"), npu);
}

int npu_ping_set(struct npu_ping *p, const cJSON *peer, int npu, int peer_npu)
{
	const cJSON *ip = peer_npu_ip(peer, peer_npu);
	if (!cJSON_IsString(ip) || !ipv4_ok(ip->valuestring))
		return 0;
	p->npu = npu, p->peer_npu = peer_npu, p->peer = peer_name(peer);
	snprintf(p->ip, sizeof p->ip, "%s", ip->valuestring);
	return 1;
}

/* Probe id of a ping. */
static void ping_id(char *buf, size_t sz, const struct npu_ping *p)
{
	snprintf(buf, sz, "hccn-ping.%d.%s", p->npu, p->ip);
}

void npu_ping_probe(struct v4_probes *ps, const struct npu_ping *p)
{
	char id[64];
	ping_id(id, sizeof id, p);
	hccn_probe_add(ps, id, p->npu, "hccn_tool -i %d -ping -g address %s", p->npu, p->ip);
}

int npu_ping_read(const struct v4_node *n, const struct npu_ping *p, struct v4_hccn_ping *r,
		  char **why)
{
	char id[64], *err = NULL;
	ping_id(id, sizeof id, p);
	const struct v4_fact *f = v4_fact_ok(n, id, 0, why);
	if (!f)
		return -1;
	if (v4_parse_hccn_ping(f->out, f->out_len, r, &err) != 0) {
		*why = xasprintf("%s: output not understood: %s", f->cmd, err ? err : "?");
		free(err);
		return -1;
	}
	return 0;
}

/* The evidence entry of p's outcome r. */
static cJSON *npu_ping_evidence(const struct npu_ping *p, const struct v4_hccn_ping *r)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "npu", p->npu);
	cJSON_AddStringToObject(e, "peer", p->peer);
	cJSON_AddNumberToObject(e, "peer_npu", p->peer_npu);
	cJSON_AddStringToObject(e, "address", p->ip);
	cJSON_AddNumberToObject(e, "loss_pct", r->loss_pct);
	return e;
}

int npu_ping_judge(const struct v4_rep *h, const struct v4_node *n, const struct npu_ping *p,
		   cJSON *pings, int loss, int failed)
{
	char *why = NULL;
	struct v4_hccn_ping r;
	if (npu_ping_read(n, p, &r, &why) != 0) {
		v4_say(h, failed, NULL, "NPU %d: %s", p->npu, why);
		free(why);
		return -1;
	}
	cJSON_AddItemToArray(pings, npu_ping_evidence(p, &r));
	if (r.loss_pct <= 0 && r.received >= r.transmitted)
		return 0;
	v4_say(h, loss, NULL, "NPU %d -> %s NPU %d (%s): %ld of %ld packets received, %.2f%% loss",
	       p->npu, p->peer, p->peer_npu, p->ip, r.received, r.transmitted, r.loss_pct);
	return 1;
}
