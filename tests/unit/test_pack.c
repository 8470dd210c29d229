/* Facts and evidence packed in memory (lib/pack.c): a packed fact opens to
 * the same bytes (NULs inside included), small facts stay as they are,
 * closing frees the texts again, a packed node holds fewer bytes, a node's
 * fact packs against the same fact of the first node (a few bytes when they
 * are alike), and evidence opens to the same JSON. */
#include <zlib.h>

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

/* A table of a node: the same layout on every node, node k's own numbers. */
static char *table(int k)
{
	struct sbuf b = {0};
	for (int npu = 0; npu < 8; npu++)
		sbuf_printf(&b, "| %d     910B2               | OK            | 93.%d        45                0    / 0 |\n"
			    "| 0                         | 0000:C1:00.0  | 0           0    / 0          %d / 65536 |\n",
			    npu, npu, 3000 + 17 * k);
	return b.s;
}

/* The second node's fact packs against the first's: a few bytes, not a table. */
static void alike_nodes(void)
{
	struct v4_node a = {0}, b = {0};
	char *ta = table(1), *tb = table(2);
	add(&a, "alike-table", "npu-smi info", ta, strlen(ta), "");
	add(&b, "alike-table", "npu-smi info", tb, strlen(tb), "");
	v4_node_pack_facts(&a);
	v4_node_pack_facts(&b);
	ok(a.facts[0].packed && b.facts[0].packed, "both nodes' tables are packed");
	uLongf plain = compressBound(strlen(tb));
	unsigned char *z = xmalloc(plain);
	compress2(z, &plain, (const Bytef *)tb, strlen(tb), 1);
	free(z);
	ok(b.facts[0].packed_len * 2 < plain, "the second node's table packs to under half of its plain deflate");
	const struct v4_fact *fa = v4_fact(&a, "alike-table"), *fb = v4_fact(&b, "alike-table");
	is_str(fa ? fa->out : NULL, ta, "the first node's table opens to its own text");
	is_str(fb ? fb->out : NULL, tb, "the second node's table opens to its own text");
	v4_node_free(&a);
	v4_node_free(&b);
	/* ids that name a pid: another node's process packs against the first's */
	struct v4_node c = {0}, d = {0};
	add(&c, "alike-environ.4711", "cat /proc/4711/environ", ta, strlen(ta), "");
	add(&d, "alike-environ.815", "cat /proc/815/environ", tb, strlen(tb), "");
	v4_node_pack_facts(&c);
	size_t dict0 = v4_pack_dict_bytes();
	v4_node_pack_facts(&d);
	ok(d.facts[0].packed && d.facts[0].packed_len * 2 < plain, "another pid's fact is packed small");
	ok(dict0 > 0 && v4_pack_dict_bytes() == dict0, "against the first pid's dictionary: none made for it");
	const struct v4_fact *fd = v4_fact(&d, "alike-environ.815");
	is_str(fd ? fd->out : NULL, tb, "and opens to its own text");
	v4_node_free(&c);
	v4_node_free(&d);
	free(ta);
	free(tb);
}

/* Evidence packed after judging opens to the same JSON, for every result. */
static void evidence(void)
{
	struct v4_results r = {0};
	char *texts[3];
	for (int k = 0; k < 3; k++) {
		char *t = table(k);
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "table", t);
		cJSON_AddNumberToObject(e, "node", k);
		free(t);
		grow(&r.v, &r.cap, r.n + 1, sizeof *r.v);
		r.v[r.n] = (struct v4_result){xstrdup("npu"), xasprintf("node%d", k + 1), V4_FAIL,
					      xstrdup("NPU_UNHEALTHY"), xstrdup("m"), e, NULL, 0};
		texts[k] = cJSON_PrintUnformatted(e);
		r.n++;
	}
	v4_results_pack(&r, 1);
	ok(r.v[0].evidence && !r.v[0].ev_packed, "results before first are left as they are");
	ok(!r.v[1].evidence && r.v[1].ev_packed && r.v[2].ev_packed, "results from first on are packed");
	ok(r.v[2].ev_packed_len * 4 < strlen(texts[2]), "alike evidence takes under a quarter of its text");
	for (int k = 0; k < 3; k++) {
		char *t = v4_result_evidence_text(&r.v[k]);
		is_str(t, texts[k], "each result's evidence opens to the same JSON");
		free(t);
		free(texts[k]);
	}
	const cJSON *e = v4_result_evidence(&r.v[2]);
	ok(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "node")) == 2, "the opened tree reads as before");
	v4_result_close(&r.v[2]);
	ok(!r.v[2].evidence, "closed again");
	v4_results_free(&r);
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
	alike_nodes();
	evidence();
	return tap_done();
}
