/* libFuzzer: the hccn_tool -pfc -g, -stat -g and -optical -g parsers
 * (lib/parse/hccnfab.c), each over the same input. */
#include <string.h>

#include "fuzz.h"
#include "hccnfab.h"

/* 1 when a parsed value v is one a parse may give. */
static int optval_sane(const struct v4_optval *v)
{
	return v->kind == V4_OPT_ABSENT || v->kind == V4_OPT_NONE ||
	       (v->kind == V4_OPT_MW && v->mw >= 0 && v->mw <= 1000);
}

/* Parses the input three ways; a success must hold what the format allows,
 * a failure must say why. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size), *err = NULL;
	struct v4_pfc p;
	if (v4_parse_pfc(t, size, &p, &err) == 0) {
		for (int k = 0; k < 8; k++)
			if (p.enabled[k] != 0 && p.enabled[k] != 1)
				abort();
	} else if (!err) {
		abort();
	}
	free(err);
	err = NULL;
	struct v4_hccnstat *s = xcalloc(1, sizeof *s);
	unsigned long long v;
	if (v4_parse_hccnstat(t, size, s, &err) == 0) {
		if (s->n == 0 || s->n > V4_HCCNSTAT_MAX ||
		    !v4_hccnstat_get(s, "nic_rx_all_oct_num", &v))
			abort();
	} else if (!err) {
		abort();
	}
	free(s);
	free(err);
	err = NULL;
	struct v4_optical o;
	if (v4_parse_optical(t, size, &o, &err) == 0) {
		for (int l = 0; l < 4; l++)
			if (!optval_sane(&o.tx[l]) || !optval_sane(&o.rx[l]))
				abort();
		if (o.rx_lo.kind == V4_OPT_ABSENT || !optval_sane(&o.tx_hi) ||
		    !optval_sane(&o.rx_hi))
			abort();
	} else if (!err) {
		abort();
	}
	free(err);
	free(t);
	return 0;
}
