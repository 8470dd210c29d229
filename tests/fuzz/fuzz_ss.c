/* libFuzzer: the ss -Htlnp parser. */
#include "fuzz.h"
#include "ss.h"

/* Parses the input; every socket must have a port in range and bounded users. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	char *t = fz_dup(data, size);
	struct ss_list l;
	char *err = NULL;
	if (ss_parse(t, size, &l, &err) == 0) {
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].port < 0 || l.v[i].port > 65535 || l.v[i].nusers > SS_MAX_USERS ||
			    strlen(l.v[i].addr) >= sizeof l.v[i].addr)
				abort();
		ss_list_free(&l);
	}
	free(err);
	free(t);
	return 0;
}
