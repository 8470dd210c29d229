/* Parsers for `npu-smi info` (summary table), `npu-smi info -l` and the
 * `npu-smi info -t ...` key/value blocks. Rows are split on '|' and
 * whitespace, never on fixed columns (ascend-cli-formats.md §1, §2, §7). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "parse_re.h"
#include "util.h"

#define ROW_MAX 1024  /* longer lines are not table rows (widths seen: 98-116) */
#define CELL_MAX 8

enum { RE_VERSION, RE_PAIR, RE_KV, RE_COUNT };

static struct v4_re res[RE_COUNT] = {
	[RE_VERSION] = {"npu-smi\\s+(\\S+)\\s+Version:\\s+([^\\s|]+)", 0, NULL},
	[RE_PAIR] = {"(\\d+)\\s*/\\s*(\\d+)", 0, NULL},
	[RE_KV] = {"^\\s*(.+?)\\s*:\\s*(.*?)\\s*$", 0, NULL},
};
static pthread_once_t res_once = PTHREAD_ONCE_INIT;

/* Compiles this file's patterns (run once). */
static void res_init(void)
{
	v4_re_compile_all(res, RE_COUNT);
}

/* A table row cut into trimmed cells; the buffer is owned by the row. */
struct row {
	char buf[ROW_MAX];
	char *cell[CELL_MAX];
	int n;
};

/* Splits a '|' row into cells; 0 when the line is not a '|' row. */
static int split_row(const char *line, size_t len, struct row *r)
{
	if (len >= sizeof r->buf || memchr(line, 0, len))
		return 0;
	v4_copy(r->buf, sizeof r->buf, line, len);
	char *p = v4_trim(r->buf);
	if (*p != '|')
		return 0;
	size_t plen = strlen(p);
	int closed = plen > 1 && p[plen - 1] == '|';
	if (closed)
		p[plen - 1] = 0;
	r->n = 0;
	for (char *c = p + 1; c && r->n < CELL_MAX;) {
		char *bar = strchr(c, '|');
		if (bar)
			*bar = 0;
		r->cell[r->n++] = v4_trim(c);
		c = bar ? bar + 1 : NULL;
	}
	return 1;
}

/* Copies the next whitespace-separated token of *p into dst; 0 at the end. */
static int next_tok(const char **p, char *dst, size_t dsz)
{
	const char *s = *p;
	while (*s && isspace((unsigned char)*s))
		s++;
	const char *e = s;
	while (*e && !isspace((unsigned char)*e))
		e++;
	*p = e;
	v4_copy(dst, dsz, s, (size_t)(e - s));
	return e > s;
}

/* Reads the next token as an int; *v = -1 (and 0 returned) for NA or '-'. */
static int tok_int(const char **p, int *v)
{
	char t[32];
	long x;
	*v = -1;
	if (!next_tok(p, t, sizeof t))
		return -1;
	if (v4_parse_long(t, &x) == 0 && x >= -1 && x <= 1000000) {
		*v = (int)x;
		return 0;
	}
	return (strcmp(t, "NA") == 0 || strcmp(t, "-") == 0) ? 0 : -1;
}

/* Finds every "used / total" pair in s; returns how many (at most max). */
static int find_pairs(const char *s, long (*pairs)[2], int max)
{
	int n = 0;
	size_t off = 0, len = strlen(s), ov[6];
	while (n < max && off < len && v4_re_match(&res[RE_PAIR], s + off, len - off, ov, 3)) {
		char a[24], b[24];
		v4_re_group(s + off, ov, 1, a, sizeof a);
		v4_re_group(s + off, ov, 2, b, sizeof b);
		if (v4_parse_long(a, &pairs[n][0]) || v4_parse_long(b, &pairs[n][1]))
			return -1;
		n++;
		off += ov[1];
	}
	return n;
}

/* Parses line 1 of an NPU (id, name, health, power, temp). */
static int parse_line1(const struct row *r, struct v4_npu *u)
{
	const char *p = r->cell[0];
	char t[32];
	long id;
	memset(u, 0, sizeof *u);
	if (r->n < 3 || !next_tok(&p, t, sizeof t) || v4_parse_long(t, &id) || id < 0 || id > 1 << 20)
		return -1;
	u->id = (int)id;
	while (isspace((unsigned char)*p))
		p++;
	v4_copy(u->name, sizeof u->name, p, strlen(p));
	v4_copy(u->health, sizeof u->health, r->cell[1], strlen(r->cell[1]));
	p = r->cell[2];
	u->power_w = -1;
	if (next_tok(&p, t, sizeof t) && (isdigit((unsigned char)t[0]))) {
		char *end;
		double w = strtod(t, &end);
		if (*end == 0)
			u->power_w = w;
	}
	if (tok_int(&p, &u->temp_c))
		u->temp_c = -1;
	u->phy_id = -1;
	return 0;
}

/* Parses line 2 of an NPU (chip [phy], bus id, aicore, DDR pair, HBM pair). */
static int parse_line2(const struct row *r, struct v4_npu *u, int hdr_hbm)
{
	const char *p = r->cell[0];
	long pairs[4][2];
	int chip, phy;
	if (r->n < 3 || tok_int(&p, &chip) || chip < 0)
		return -1;
	u->chip = chip;
	if (tok_int(&p, &phy) == 0)
		u->phy_id = phy;
	v4_copy(u->bus_id, sizeof u->bus_id, r->cell[1], strlen(r->cell[1]));
	p = r->cell[2];
	if (tok_int(&p, &u->aicore_pct))
		u->aicore_pct = -1;
	int np = find_pairs(r->cell[2], pairs, 4);
	if (np < 1 || (hdr_hbm == 1 && np < 2))
		return -1; /* the header promised an HBM pair */
	u->has_hbm = np >= 2;
	if (u->has_hbm) {
		u->hbm_used_mb = pairs[np - 1][0];
		u->hbm_total_mb = pairs[np - 1][1];
	}
	u->ddr_used_mb = pairs[u->has_hbm ? np - 2 : 0][0];
	u->ddr_total_mb = pairs[u->has_hbm ? np - 2 : 0][1];
	return 0;
}

/* Parses one process row; -1 when it is not one. */
static int parse_proc(const struct row *r, struct v4_npu_proc *pr)
{
	const char *p = r->cell[0];
	long pid, mem;
	memset(pr, 0, sizeof *pr);
	if (r->n < 4 || tok_int(&p, &pr->npu) || pr->npu < 0)
		return -1;
	if (tok_int(&p, &pr->chip) || pr->chip < 0)
		pr->chip = 0; /* 950 tables have no chip column */
	if (v4_parse_long(r->cell[1], &pid) || pid <= 0 || v4_parse_long(r->cell[3], &mem) || mem < 0)
		return -1;
	pr->pid = pid;
	pr->mem_mb = mem;
	v4_copy(pr->name, sizeof pr->name, r->cell[2], strlen(r->cell[2]));
	return 0;
}

/* A process block's state: open (rows seen, not ended), whole, or spoilt by
 * a row that was not understood. */
enum blk_state { BLK_OPEN, BLK_WHOLE, BLK_BAD };

/* One NPU id's process block. */
struct blk {
	int id;
	enum blk_state st;
};

/* Parser state for one npu-smi info table. */
struct npst {
	struct v4_npusmi *out;
	size_t capn, capp, capb;
	int in_proc, want_line2, saw_header;
	int hdr_hbm;          /* the header names an HBM column: 1, 0, -1 not seen */
	struct v4_npu cur;
	struct blk *blks;     /* process blocks in order */
	size_t nblk;
	int open;             /* index of the open block, -1 none */
	int pending_bad;      /* a row not understood before any block opened */
};

/* Ends the open process block: whole unless a bad row spoilt it. */
static void blk_close(struct npst *st)
{
	if (st->open >= 0 && st->blks[st->open].st == BLK_OPEN)
		st->blks[st->open].st = BLK_WHOLE;
	st->open = -1;
}

/* Opens a block for NPU id (ending the one before); returns its index. */
static int blk_open(struct npst *st, int id)
{
	if (st->open >= 0 && st->blks[st->open].id == id)
		return st->open;
	blk_close(st);
	grow(&st->blks, &st->capb, st->nblk + 1, sizeof *st->blks);
	st->blks[st->nblk].id = id;
	st->blks[st->nblk].st = st->pending_bad ? BLK_BAD : BLK_OPEN;
	st->pending_bad = 0;
	st->open = (int)st->nblk;
	return (int)st->nblk++;
}

/* 1 for header rows of either table (their second cell is a column title). */
static int is_header(const struct row *r)
{
	if (r->n < 2)
		return 0;
	return !strcmp(r->cell[1], "Health") || !strcmp(r->cell[1], "Bus-Id") ||
	       !strcmp(r->cell[1], "Process id") || strstr(r->cell[0], "npu-smi") != NULL;
}

/* Handles a '|' row of the NPU table; -1 on a malformed second line. */
static int device_row(struct npst *st, const struct row *r)
{
	if (st->want_line2) {
		if (parse_line2(r, &st->cur, st->hdr_hbm))
			return -1;
		grow(&st->out->npus, &st->capn, st->out->nnpu + 1, sizeof st->cur);
		st->out->npus[st->out->nnpu++] = st->cur;
		st->want_line2 = 0;
		return 0;
	}
	if (parse_line1(r, &st->cur) == 0)
		st->want_line2 = 1;
	else
		st->out->nunparsed++;
	return 0;
}

/* Handles a '|' row of the process table. */
static void proc_row(struct npst *st, const struct row *r)
{
	struct v4_npu_proc pr;
	const char *nr = "No running processes found in NPU ";
	long id;
	if (starts_with(r->cell[0], nr)) {
		if (v4_parse_long(r->cell[0] + strlen(nr), &id) == 0 && id >= 0 && id <= 1 << 20) {
			blk_open(st, (int)id);
			blk_close(st);
		} else
			st->out->nunparsed++;
		return;
	}
	if (parse_proc(r, &pr)) {
		st->out->nunparsed++;
		if (st->open >= 0)
			st->blks[st->open].st = BLK_BAD;
		else
			st->pending_bad = 1;
		return;
	}
	blk_open(st, pr.npu);
	grow(&st->out->procs, &st->capp, st->out->nproc + 1, sizeof pr);
	st->out->procs[st->out->nproc++] = pr;
}

/* Handles one line of output (rows, separators, version line, noise). */
static int npusmi_line(struct npst *st, const char *line, size_t n, struct row *r)
{
	size_t ov[6];
	if (n < ROW_MAX && v4_re_match(&res[RE_VERSION], line, n, ov, 3)) {
		v4_re_group(line, ov, 1, st->out->tool_version, sizeof st->out->tool_version);
		v4_re_group(line, ov, 2, st->out->driver_version, sizeof st->out->driver_version);
		st->saw_header = 1;
		return 0;
	}
	if (!split_row(line, n, r)) {
		if (st->in_proc && n && line[strspn(line, " \t")] == '+')
			blk_close(st); /* a separator ends the block */
		return 0; /* separators, blank lines, stderr noise */
	}
	if (is_header(r)) {
		st->saw_header = 1;
		if (!strcmp(r->cell[1], "Bus-Id") && r->n >= 3)
			st->hdr_hbm = strstr(r->cell[2], "HBM") != NULL;
		if (!strcmp(r->cell[1], "Process id")) {
			st->in_proc = 1;
			st->out->has_proc_table = 1;
		}
		return 0;
	}
	if (st->in_proc) {
		proc_row(st, r);
		return 0;
	}
	return device_row(st, r);
}

/* Marks each NPU row whole or not from the process blocks read. */
static void npusmi_finish(struct npst *st)
{
	struct v4_npusmi *o = st->out;
	for (size_t i = 0; i < o->nnpu; i++) {
		struct v4_npu *u = &o->npus[i];
		u->proc_known = 0;
		for (size_t b = 0; o->has_proc_table && b < st->nblk; b++)
			if (st->blks[b].id == u->id)
				u->proc_known = st->blks[b].st == BLK_WHOLE;
		o->nproc_unknown += !u->proc_known;
		if (i && o->npus[i - 1].id == u->id)
			o->two_chip = 1;
	}
	o->npus_whole = o->has_proc_table && !st->want_line2;
}

/* Parses `npu-smi info` output into out (free with v4_npusmi_free). */
int v4_parse_npusmi(const char *text, size_t len, struct v4_npusmi *out, char **err)
{
	struct npst st;
	struct row *r = xmalloc(sizeof *r);
	size_t pos = 0, n;
	const char *line;
	int rc = 0;
	pthread_once(&res_once, res_init);
	memset(out, 0, sizeof *out);
	memset(&st, 0, sizeof st);
	st.out = out;
	st.open = -1;
	st.hdr_hbm = -1;
	if (!text || len == 0)
		rc = v4_parse_fail(err, "npu-smi info: empty output");
	else if (memchr(text, 0, len))
		rc = v4_parse_fail(err, "npu-smi info: output contains NUL bytes (binary data)");
	while (rc == 0 && next_line(text, len, &pos, &line, &n)) {
		if (pos == len && text[len - 1] != '\n' && n) {
			out->cut = 1; /* a last line without its newline: the read was cut */
			break;
		}
		if (npusmi_line(&st, line, n, r))
			rc = v4_parse_fail(err, "npu-smi info: NPU %d: second row not understood",
					   st.cur.id);
	}
	free(r);
	if (rc == 0 && out->nnpu == 0)
		rc = v4_parse_fail(err, st.want_line2 ? "npu-smi info: table cut after the first row of NPU %d"
			: st.saw_header ? "npu-smi info: table has no NPU rows"
					: "not npu-smi info output (no table found)", st.cur.id);
	if (rc == 0)
		npusmi_finish(&st);
	free(st.blks);
	if (rc)
		v4_npusmi_free(out);
	return rc;
}

void v4_npu_label(const struct v4_npusmi *s, const struct v4_npu *u, char *buf, size_t n)
{
	if (s->two_chip)
		snprintf(buf, n, "NPU %d chip %d", u->id, u->chip);
	else
		snprintf(buf, n, "NPU %d", u->id);
}

const char *v4_npusmi_partial(const struct v4_npusmi *s)
{
	if (!s->has_proc_table)
		return s->cut ? "npu-smi info output cut inside the NPU table"
			      : "npu-smi info printed no process table after the NPU table (cut?)";
	if (s->nproc_unknown)
		return s->cut ? "npu-smi info output cut inside the process table"
			      : "npu-smi info process table incomplete (a block missing or not understood)";
	return NULL;
}

/* Frees what v4_parse_npusmi allocated and zeroes *s. */
void v4_npusmi_free(struct v4_npusmi *s)
{
	if (!s)
		return;
	free(s->npus);
	free(s->procs);
	memset(s, 0, sizeof *s);
}

/* Frees a key/value list and zeroes it. */
void v4_kvs_free(struct v4_kvs *kv)
{
	if (!kv)
		return;
	free(kv->v);
	memset(kv, 0, sizeof *kv);
}

/* Returns the value of the first entry whose key equals key, or NULL. */
const char *v4_kv_get(const struct v4_kvs *kv, const char *key)
{
	for (size_t i = 0; kv && i < kv->n; i++)
		if (strcmp(kv->v[i].key, key) == 0)
			return kv->v[i].val;
	return NULL;
}

/* Appends one key/value pair (both truncated to the field sizes). */
void v4_kvs_add(struct v4_kvs *kv, const char *k, size_t kn, const char *v, size_t vn)
{
	grow(&kv->v, &kv->cap, kv->n + 1, sizeof kv->v[0]);
	v4_copy(kv->v[kv->n].key, sizeof kv->v[0].key, k, kn);
	v4_copy(kv->v[kv->n].val, sizeof kv->v[0].val, v, vn);
	kv->n++;
}

/* Parses `npu-smi info -t ...` label : value lines into kv. */
int v4_parse_npusmi_kv(const char *text, size_t len, struct v4_kvs *kv, char **err)
{
	size_t pos = 0, n, ov[6];
	const char *line;
	pthread_once(&res_once, res_init);
	memset(kv, 0, sizeof *kv);
	if (text && memchr(text, 0, len))
		return v4_parse_fail(err, "npu-smi key/value output contains NUL bytes");
	while (next_line(text, len, &pos, &line, &n)) {
		if (n >= ROW_MAX || !v4_re_match(&res[RE_KV], line, n, ov, 3))
			continue;
		v4_kvs_add(kv, line + ov[2], ov[3] - ov[2], line + ov[4], ov[5] - ov[4]);
	}
	if (kv->n == 0)
		return v4_parse_fail(err, "no 'label : value' lines in npu-smi output");
	return 0;
}

/* 1 when v (n bytes) is a version word: digits, letters, '.', '_' or '-'. */
static int version_word(const char *v, size_t n)
{
	if (!n || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-", v[i]) || !v[i])
			return 0;
	return 1;
}

int v4_parse_npusmi_mcu(const char *text, size_t len, char *ver, size_t vsz, char **err)
{
	size_t pos = 0, n, ov[6], nver = 0;
	const char *line;
	pthread_once(&res_once, res_init);
	if (vsz)
		ver[0] = '\0';
	if (text && memchr(text, 0, len))
		return v4_parse_fail(err, "npu-smi upgrade -b mcu: output contains NUL bytes");
	while (text && len && text[len - 1] != '\n') /* a cut last line: left out */
		len--;
	while (next_line(text, len, &pos, &line, &n)) {
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == n)
			continue;
		if (n >= ROW_MAX || !v4_re_match(&res[RE_KV], line, n, ov, 3) || ov[3] - ov[2] != 7 ||
		    memcmp(line + ov[2], "Version", 7) != 0 || !version_word(line + ov[4], ov[5] - ov[4]) ||
		    nver++)
			return v4_parse_fail(err, "npu-smi upgrade -b mcu: not a single 'Version : X' line");
		snprintf(ver, vsz, "%.*s", (int)(ov[5] - ov[4]), line + ov[4]);
	}
	if (!nver)
		return v4_parse_fail(err, "npu-smi upgrade -b mcu: no 'Version : X' line");
	return 0;
}

/* 1 when some line of text starts (after blanks) with '|' or '+': a table. */
static int has_table_row(const char *text, size_t len)
{
	size_t pos = 0, n;
	const char *line;
	while (next_line(text, len, &pos, &line, &n)) {
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k < n && (line[k] == '|' || line[k] == '+'))
			return 1;
	}
	return 0;
}

/* Fails a list parse: frees the ids and kv. */
static int list_fail(struct v4_kvs *kv, int **ids, size_t *n)
{
	v4_kvs_free(kv);
	free(*ids);
	*ids = NULL;
	*n = 0;
	return -1;
}

/* Parses `npu-smi info -l` into the list of NPU ids (caller frees *ids). */
int v4_parse_npusmi_list(const char *text, size_t len, int **ids, size_t *n, char **err)
{
	struct v4_kvs kv;
	size_t cap = 0;
	long total = -1, x;
	*ids = NULL;
	*n = 0;
	if (text && has_table_row(text, len))
		return v4_parse_fail(err, "not npu-smi info -l output (a table)");
	if (v4_parse_npusmi_kv(text, len, &kv, err))
		return -1;
	for (size_t i = 0; i < kv.n; i++) {
		const char *k = kv.v[i].key, *v = kv.v[i].val;
		int bad = v4_parse_long(v, &x) || x < 0 || x > 1 << 20;
		if ((!strcmp(k, "Total Count") || !strcmp(k, "Card Count")) && !bad && total < 0)
			total = x;
		if (strcmp(k, "NPU ID"))
			continue;
		if (bad) {
			/* v points into kv: describe it before kv is freed */
			v4_parse_fail(err, "npu-smi info -l: bad NPU ID '%s'", v);
			return list_fail(&kv, ids, n);
		}
		grow(ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = (int)x;
	}
	if (total < 0) {
		v4_parse_fail(err, "not npu-smi info -l output (no Total Count line)");
		return list_fail(&kv, ids, n);
	}
	if (*n == 0 || (size_t)total != *n) {
		v4_parse_fail(err, "npu-smi info -l: %zu NPU IDs, Total Count %ld (cut?)", *n, total);
		return list_fail(&kv, ids, n);
	}
	v4_kvs_free(&kv);
	return 0;
}

/* What each -t type's output must hold: its own label, the label it ends
 * with (NULL: none known), and whether each chip's block ends with Chip ID
 * (ascend-cli-formats.md §2). */
struct t_format {
	const char *type, *label, *last;
	int chip_ids;
};

static const struct t_format *t_format(const char *type)
{
	static const struct t_format map[] = {
		{"ecc", "HBM Double Bit Error Count", NULL, 1},
		{"health", "Health Status", NULL, 0},
		{"board", "Software Version", "Chip Count", 0},
		{"usages", "HBM Capacity(MB)", NULL, 1},
		{"common", "Aicore Usage Rate(%)", NULL, 1},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (type && strcmp(type, map[i].type) == 0)
			return &map[i];
	return NULL;
}

/* Counts the entries with key k. */
static size_t kv_count(const struct v4_kvs *kv, const char *k)
{
	size_t c = 0;
	for (size_t i = 0; i < kv->n; i++)
		c += strcmp(kv->v[i].key, k) == 0;
	return c;
}

int v4_parse_npusmi_t(const char *text, size_t len, const char *type, struct v4_kvs *kv, char **err)
{
	const struct t_format *fmt = t_format(type);
	const char *want = fmt ? fmt->label : NULL, *cc;
	long chips;
	memset(kv, 0, sizeof *kv);
	if (text && has_table_row(text, len))
		return v4_parse_fail(err, "not npu-smi info -t %s output (a table)", type ? type : "?");
	/* a last line without its newline may be a value cut short: leave it out */
	size_t keep = len;
	while (text && keep && text[keep - 1] != '\n')
		keep--;
	if (v4_parse_npusmi_kv(text, keep, kv, err))
		return -1;
	if (want && !v4_kv_get(kv, want)) {
		v4_kvs_free(kv);
		return v4_parse_fail(err, "not npu-smi info -t %s output (no '%s' line%s)", type, want,
				     keep < len ? "; cut" : "");
	}
	if (fmt && fmt->last && !v4_kv_get(kv, fmt->last)) {
		v4_kvs_free(kv);
		return v4_parse_fail(err, "npu-smi info -t %s: no '%s' line at its end (cut)", type, fmt->last);
	}
	cc = v4_kv_get(kv, "Chip Count");
	if (fmt && fmt->chip_ids && cc && v4_parse_long(cc, &chips) == 0 && chips > 0 &&
	    kv_count(kv, "Chip ID") < (size_t)chips) {
		v4_kvs_free(kv);
		return v4_parse_fail(err, "npu-smi info -t %s: %ld chips announced, fewer Chip ID lines (cut)",
				     type, chips);
	}
	return 0;
}
