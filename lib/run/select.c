/* Which checks a run takes: --only and --skip over the table it is handed. */
#include "run.h"

size_t v4_select_checks(const struct v4_check *const *all, size_t nall, const struct v4_opts *o,
			const struct v4_check **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < nall && n < max; i++) {
		const struct v4_check *c = all[i];
		if (o->only && !str_in_list(o->only, c->id))
			continue;
		if (!str_in_list(o->skip, c->id))
			out[n++] = c;
	}
	return n;
}
