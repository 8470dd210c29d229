/* The other nodes' NPU addresses from the config (nodes[].npu_ips). */
#include <string.h>

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
