/* Option defaults. */
#include <string.h>

#include <stdlib.h>

#include "opts.h"
#include "transport.h"
#include "v4.h"

void v4_opts_defaults(struct v4_opts *o)
{
	memset(o, 0, sizeof *o);
	o->transport = &v4_transport_local;
	o->timeout_ms = 10000;
	o->connect_timeout_ms = 5000;
	o->fanout = 64;
	o->fix_fanout = 1;
	o->node_jobs = 8;
	o->max_output = 4u << 20;
	o->format = V4_FMT_TEXT;
	o->phase = V4_PHASE_PRE;
	o->tool_path = V4_TOOL_PATH_DEFAULT;
	o->tier = V4_TIER_STANDARD;
	o->agent = -1;
}

int v4_agent_mode_parse(const char *s, int *mode)
{
	static const char *const names[] = {"auto", "never", "require"};
	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, names[i]) == 0) {
			if (mode)
				*mode = i;
			return 0;
		}
	return -1;
}

