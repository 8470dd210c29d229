/* The nodes of a run: from --replay, -H ranges, a config file, or this machine. */
#ifndef V4_INVENTORY_H
#define V4_INVENTORY_H

#include "opts.h"
#include "v4.h"

struct v4_inventory_req {
	const char *hosts;    /* -H, or NULL */
	const char *exclude;  /* -x, or NULL */
	int from_config;      /* a config file was given: its nodes, over SSH */
	const char *replay;   /* --replay DIR, or NULL */
	int local;            /* --local */
	const char *node;     /* --node: this machine is this config node */
};

/* Builds the node list and picks the transport (sets o->transport). On error
 * returns -1 with *err. Caller frees the nodes with v4_node_free + free. */
int v4_inventory(const struct v4_inventory_req *req, const struct v4_config *cfg,
		 struct v4_opts *o, struct v4_node **nodes, size_t *nn, char **err);

#endif
