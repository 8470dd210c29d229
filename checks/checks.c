/* The check table: every check v4check knows, in report order. */
#include <string.h>

#include "checks.h"

extern const struct v4_check v4_check_tls, v4_check_npu_mem;
extern const struct v4_check v4_check_npu, v4_check_roce, v4_check_lldp, v4_check_fabric, v4_check_versions, v4_check_binaries, v4_check_clock,
	v4_check_model;
extern const struct v4_check v4_check_netif, v4_check_container;
extern const struct v4_check v4_check_graph_mode, v4_check_kv_budget, v4_check_init_timeout,
	v4_check_prefix_cache, v4_check_loader, v4_check_serve_args;
extern const struct v4_check v4_check_api;

const struct v4_check *const v4_checks[] = {
	&v4_check_tls,
	&v4_check_npu_mem,
	&v4_check_npu,
	&v4_check_roce,
	&v4_check_lldp,
	&v4_check_fabric,
	&v4_check_versions,
	&v4_check_binaries,
	&v4_check_clock,
	&v4_check_model,
	&v4_check_netif,
	&v4_check_container,
	&v4_check_graph_mode,
	&v4_check_kv_budget,
	&v4_check_init_timeout,
	&v4_check_prefix_cache,
	&v4_check_loader,
	&v4_check_serve_args,
	&v4_check_api,
};

const size_t v4_ncheck = V4_ARRAY_LEN(v4_checks);

const struct v4_check *v4_check_find(const char *id)
{
	for (size_t i = 0; i < v4_ncheck; i++)
		if (strcmp(v4_checks[i]->id, id) == 0)
			return v4_checks[i];
	return NULL;
}
