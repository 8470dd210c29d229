/* Facts packed in memory (lib/factpack.c): a packed fact opens to the same
 * bytes (NULs inside included), small facts stay as they are, closing frees
 * the texts again, and a packed node holds fewer bytes. */
#include "tap.h"
#include "v4.h"

/* Adds a fact with the given texts to n. */
static struct v4_fact *add(struct v4_node *n, const char *id, const char *cmd, const char *out,
			   size_t out_len, const char *err)
{
	struct v4_fact *f = v4_node_add_fact(n);
	f->id = xstrdup(id);
	f->cmd = xstrdup(cmd);
	f->out = xmalloc(out_len + 1);
	memcpy(f->out, out, out_len);
	f->out[out_len] = 0;
	f->out_len = out_len;
	f->err = xstrdup(err);
	f->err_len = strlen(err);
	return f;
}

int main(void)
{
	struct v4_node n = {0};
	char big[8192];
	for (size_t i = 0; i < sizeof big; i++) /* a table's repetition, with NULs */
		big[i] = i % 97 == 0 ? '\0' : (char)('a' + i % 23);
	add(&n, "big", "npu-smi info", big, sizeof big, "warning: slow\n");
	add(&n, "small", "date +%s", "1798761600\n", 11, "");
	add(&n, "empty", "true", "", 0, "");
	size_t before = v4_node_facts_bytes(&n);
	v4_node_pack_facts(&n);
	ok(n.facts[0].packed && !n.facts[0].out && !n.facts[0].cmd, "the large fact is packed, its texts freed");
	ok(!n.facts[1].packed && n.facts[1].out, "a small fact stays as it is");
	ok(v4_node_facts_bytes(&n) * 4 < before, "packed, the node holds under a quarter of the bytes");
	const struct v4_fact *f = v4_fact(&n, "big");
	ok(f && f->out_len == sizeof big && memcmp(f->out, big, sizeof big) == 0 && f->out[sizeof big] == 0,
	   "opened: the same output, NULs inside kept, NUL-terminated");
	is_str(f ? f->cmd : NULL, "npu-smi info", "opened: the same command");
	is_str(f ? f->err : NULL, "warning: slow\n", "opened: the same stderr");
	ok(v4_fact_at(&n, 0) == f, "v4_fact_at gives the same opened fact");
	v4_node_close_facts(&n);
	ok(n.facts[0].packed && !n.facts[0].out, "closed: texts freed, packed copy kept");
	is_str(n.facts[1].out, "1798761600\n", "closing leaves unpacked facts alone");
	f = v4_fact(&n, "big");
	ok(f && memcmp(f->out, big, sizeof big) == 0, "opens again after closing");
	v4_fact_unpack(&n.facts[0]);
	ok(!n.facts[0].packed && n.facts[0].out, "unpacked: texts kept, packed copy dropped");
	v4_node_close_facts(&n);
	ok(n.facts[0].out != NULL, "an unpacked fact is not closed");
	v4_node_pack_facts(&n);
	v4_node_pack_facts(&n); /* twice: the packed copy is not packed again */
	f = v4_fact(&n, "big");
	ok(f && f->out_len == sizeof big && memcmp(f->out, big, sizeof big) == 0, "packed twice: still the same");
	v4_node_free(&n);
	return tap_done();
}
