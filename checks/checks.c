/* The check table: every check v4check knows, in report order. */
#include <string.h>

#include "checks.h"

extern const struct v4_check v4_check_tls, v4_check_npu_mem;
extern const struct v4_check v4_check_npu, v4_check_roce, v4_check_reach, v4_check_lldp, v4_check_fabric, v4_check_roce_counters, v4_check_versions, v4_check_binaries, v4_check_clock,
	v4_check_model;
extern const struct v4_check v4_check_netif, v4_check_container, v4_check_npu_sharing;
extern const struct v4_check v4_check_graph_mode, v4_check_kv_budget, v4_check_init_timeout,
	v4_check_prefix_cache, v4_check_loader, v4_check_serve_args, v4_check_hccl_env,
	v4_check_ports, v4_check_limits, v4_check_host_mem, v4_check_numa;
extern const struct v4_check v4_check_api, v4_check_logs;
extern const struct v4_check v4_check_drift; /* not in the table: run with --baseline */

const struct v4_check *const v4_checks[] = {
	&v4_check_tls,
	&v4_check_npu_mem,
	&v4_check_npu,
	&v4_check_roce,
	&v4_check_reach,
	&v4_check_lldp,
	&v4_check_fabric,
	&v4_check_roce_counters,
	&v4_check_versions,
	&v4_check_binaries,
	&v4_check_clock,
	&v4_check_model,
	&v4_check_netif,
	&v4_check_container,
	&v4_check_npu_sharing,
	&v4_check_graph_mode,
	&v4_check_kv_budget,
	&v4_check_init_timeout,
	&v4_check_hccl_env,
	&v4_check_ports,
	&v4_check_limits,
	&v4_check_host_mem,
	&v4_check_numa,
	&v4_check_prefix_cache,
	&v4_check_loader,
	&v4_check_serve_args,
	&v4_check_api,
	&v4_check_logs,
};

const size_t v4_ncheck = V4_ARRAY_LEN(v4_checks);

const struct v4_check *v4_check_find(const char *id)
{
	for (size_t i = 0; i < v4_ncheck; i++)
		if (strcmp(v4_checks[i]->id, id) == 0)
			return v4_checks[i];
	return strcmp(id, v4_check_drift.id) == 0 ? &v4_check_drift : NULL;
}

size_t v4_checks_known(const struct v4_check **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < v4_ncheck && n < max; i++)
		out[n++] = v4_checks[i];
	if (n < max)
		out[n++] = &v4_check_drift;
	return n;
}
