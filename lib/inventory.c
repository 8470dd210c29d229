/* The nodes of a run: from --replay, -H ranges, a config file, or this machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "hostrange.h"
#include "inventory.h"
#include "transport.h"

/* The config node whose name or host is s, or NULL. */
static const struct v4_node *cfg_node(const struct v4_config *cfg, const char *s)
{
	for (size_t i = 0; i < cfg->nnodes; i++)
		if (strcmp(cfg->nodes[i].name, s) == 0 || strcmp(cfg->nodes[i].host, s) == 0)
			return &cfg->nodes[i];
	return NULL;
}

/* Copies a config node (or makes one for host) into n. */
static void make_node(struct v4_node *n, const struct v4_node *c, const char *host, int rank)
{
	memset(n, 0, sizeof *n);
	n->name = xstrdup(c ? c->name : host);
	n->host = xstrdup(c ? c->host : host);
	n->user = xstrdup(c ? c->user : NULL);
	n->port = c ? c->port : 0;
	n->rank = c ? c->rank : rank;
	n->bond_ip = xstrdup(c ? c->bond_ip : NULL);
	n->labels = c && c->labels ? cJSON_Duplicate(c->labels, 1) : NULL;
}

/* 1 when name is in the list. */
static int listed(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* Frees an expanded host list. */
static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Nodes from -H (minus -x), in rank order. */
static int from_hosts(const struct v4_inventory_req *req, const struct v4_config *cfg,
		      struct v4_node **nodes, size_t *nn, char **err)
{
	char **hosts = NULL, **ex = NULL;
	size_t nh = 0, nx = 0;
	if (v4_hostrange_expand(req->hosts, &hosts, &nh, err))
		return -1;
	if (req->exclude && v4_hostrange_expand(req->exclude, &ex, &nx, err)) {
		free_list(hosts, nh);
		return -1;
	}
	*nodes = xcalloc(nh ? nh : 1, sizeof **nodes);
	*nn = 0;
	for (size_t i = 0; i < nh; i++)
		if (!listed(ex, nx, hosts[i])) {
			make_node(&(*nodes)[*nn], cfg_node(cfg, hosts[i]), hosts[i], (int)*nn);
			(*nn)++;
		}
	free_list(hosts, nh);
	free_list(ex, nx);
	if (!*nn)
		*err = xstrdup("no hosts left after -x");
	return *nn ? 0 : -1;
}

/* This machine as the only node. */
static void local_node(const struct v4_inventory_req *req, const struct v4_config *cfg,
		       struct v4_node **nodes, size_t *nn)
{
	char name[256] = "localhost";
	if (req->node)
		snprintf(name, sizeof name, "%s", req->node);
	else
		gethostname(name, sizeof name - 1);
	const struct v4_node *c = cfg_node(cfg, name);
	*nodes = xcalloc(1, sizeof **nodes);
	make_node(*nodes, c, "localhost", -1);
	free((*nodes)->name);
	free((*nodes)->host);
	(*nodes)->name = xstrdup(name);
	(*nodes)->host = xstrdup("localhost");
	*nn = 1;
}

int v4_inventory(const struct v4_inventory_req *req, const struct v4_config *cfg,
		 struct v4_opts *o, struct v4_node **nodes, size_t *nn, char **err)
{
	*nodes = NULL;
	*nn = 0;
	if (req->replay) {
		o->transport = &v4_transport_replay;
		o->replay_dir = req->replay;
		return v4_capture_nodes(req->replay, nodes, nn, err);
	}
	if (req->hosts) {
		o->transport = &v4_transport_ssh;
		return from_hosts(req, cfg, nodes, nn, err);
	}
	if (req->from_config && !req->local) {
		if (!cfg->nnodes) {
			*err = xasprintf("%s: no nodes in the config", cfg->source);
			return -1;
		}
		o->transport = &v4_transport_ssh;
		*nodes = xcalloc(cfg->nnodes, sizeof **nodes);
		for (size_t i = 0; i < cfg->nnodes; i++)
			make_node(&(*nodes)[i], &cfg->nodes[i], NULL, (int)i);
		*nn = cfg->nnodes;
		return 0;
	}
	o->transport = &v4_transport_local;
	local_node(req, cfg, nodes, nn);
	return 0;
}
