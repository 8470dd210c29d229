/* The logs probes' framed windows, and the failing lines in them. */
#define _DEFAULT_SOURCE /* timegm */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logscan.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "parse_re.h"
#include "serve.h"
#include "util.h"

/* The patterns, in the order of enum v4_logkind; each spelling is one a
 * public log shows (the fixtures under fixtures/parse/logs.* cite them). */
static struct v4_re kind_re[] = {
	{"\\berror cqe\\b|\\bcqe error\\b", PCRE2_CASELESS, NULL},
	{"\\bfftsplus task timeout\\b", PCRE2_CASELESS, NULL},
	{"\\baicore timeout\\b|\\baicore execution times out\\b", PCRE2_CASELESS, NULL},
	{"\\bdied unexpectedly\\b|Segfault encountered|Fatal Python error: (?:Aborted|Segmentation fault)",
	 0, NULL},
	{"(?<![A-Za-z0-9_])(E[IJ][0-9]{4})(?![A-Za-z0-9])", 0, NULL},
	{"^\\[ERROR\\] HCCL\\([0-9]+,", 0, NULL},
};
static struct v4_re window_re[] = {
	{"^v4logs window ([0-9]{1,12})-([0-9]{1,12}) of ([0-9]{1,12})$", 0, NULL},
};

static pthread_once_t re_once = PTHREAD_ONCE_INIT;

/* Compiles the patterns (once, under re_once). */
static void compile_all(void)
{
	v4_re_compile_all(kind_re, V4_ARRAY_LEN(kind_re));
	v4_re_compile_all(window_re, V4_ARRAY_LEN(window_re));
}

/* Compiles the patterns on first use. */
static void compile_once(void)
{
	pthread_once(&re_once, compile_all);
}

/* hicann/hccl docs/en/user_guide/fault_diagnosis/debug_thinking.md,
 * "HCCL-Related Fault Codes" (and EI9999 from its prerequisites). */
static const char *const code_meanings[][2] = {
	{"EI0001", "environment variable configuration error"},
	{"EI0002", "communication operator execution timeout"},
	{"EI0003", "collective operator input parameter verification failed"},
	{"EI0004", "rankTable file loading failure"},
	{"EI0005", "parameter consistency verification failure"},
	{"EI0006", "parameter plane link establishment timeout"},
	{"EI0007", "resource initialization failed"},
	{"EI0008", "HCCL version mismatch"},
	{"EI0011", "QP memory resource application failure"},
	{"EI0012", "SDMA task exception during operator execution"},
	{"EI0013", "RoCE CQE error during operator execution"},
	{"EI0014", "cluster information verification failure"},
	{"EI0015", "communicator cluster information negotiation timeout"},
	{"EI0019", "port binding failure"},
	{"EI9999", "HCCL inner error (a rare fault or an internal HCCL problem)"},
};

const char *v4_hccl_code_meaning(const char *code)
{
	for (size_t i = 0; code && i < V4_ARRAY_LEN(code_meanings); i++)
		if (strcmp(code, code_meanings[i][0]) == 0)
			return code_meanings[i][1];
	return NULL;
}

enum v4_logkind v4_log_classify(const char *line, size_t n, char code[8])
{
	size_t ov[4];
	enum v4_logkind kind = V4_LOG_NKIND;
	compile_once();
	code[0] = '\0';
	if (v4_re_match(&kind_re[V4_LOG_HCCL_CODE], line, n, ov, 2)) {
		v4_re_group(line, ov, 1, code, 8);
		kind = V4_LOG_HCCL_CODE;
	}
	for (int k = 0; k < V4_LOG_HCCL_CODE; k++)
		if (v4_re_match(&kind_re[k], line, n, ov, 1))
			return (enum v4_logkind)k;
	if (kind == V4_LOG_NKIND && v4_re_match(&kind_re[V4_LOG_HCCL_ERROR], line, n, ov, 1))
		kind = V4_LOG_HCCL_ERROR;
	return kind;
}

int v4_parse_rfc3339(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, hh, mm, ss, used = 0, oh = 0, om = 0;
	memset(&tm, 0, sizeof tm);
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &hh, &mm, &ss, &used) != 6 ||
	    used != 19 || y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
	    ss > 60)
		return -1;
	const char *p = s + used;
	if (*p == '.') {
		size_t k = 1;
		while (p[k] >= '0' && p[k] <= '9')
			k++;
		if (k == 1)
			return -1;
		p += k;
	}
	if (*p == 'Z')
		p++;
	else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 &&
		 strlen(p) == 6) {
		int sign = *p == '-' ? -1 : 1;
		oh *= sign;
		om *= sign;
		p += 6;
	} else
		return -1;
	if (*p)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	*t = timegm(&tm) - (time_t)(oh * 3600 + om * 60);
	return 0;
}

/* Copies line l (n bytes) into dst as a quote: at most V4_LOG_QUOTE - 1
 * bytes, cut at a UTF-8 character boundary, control bytes as '?', secrets
 * masked. */
static void quote(char *dst, const char *l, size_t n)
{
	char buf[V4_LOG_QUOTE];
	size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
	while (k < n && k > 0 && ((unsigned char)l[k] & 0xC0) == 0x80)
		k--; /* do not split a multi-byte character */
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)l[i];
		buf[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	buf[k] = '\0';
	char *m = mask_secrets(buf);
	v4_copy(dst, V4_LOG_QUOTE, m, strlen(m));
	free(m);
}

/* Adds a source; returns it. */
static struct v4_logsrc *add_src(struct v4_logscan *s, const char *where, size_t wn, int docker)
{
	s->src = xrealloc(s->src, (s->nsrc + 1) * sizeof *s->src);
	struct v4_logsrc *r = &s->src[s->nsrc++];
	memset(r, 0, sizeof *r);
	v4_copy(r->where, sizeof r->where, where, wn);
	r->docker = docker;
	r->rc = -1;
	return r;
}

/* A numbered log line "N:text" or "N+:text" (cut by the probe) of the
 * current source; 0, or -1 when l is not one. */
static int take_log_line(struct v4_logscan *s, const char *l, size_t n)
{
	size_t i = 0;
	long num = 0;
	while (i < n && i < 12 && l[i] >= '0' && l[i] <= '9')
		num = num * 10 + (l[i++] - '0');
	if (i == 0 || !s->nsrc)
		return -1;
	if (i < n && l[i] == '+')
		i++; /* cut by the probe: the text is the line's start */
	if (i >= n || l[i] != ':')
		return -1;
	i++;
	s->lines++;
	char code[8];
	size_t m = n - i;
	enum v4_logkind k = v4_log_classify(l + i, m, code);
	if (k == V4_LOG_NKIND)
		return 0;
	s->nhit_all++;
	s->per_kind[k]++;
	if (s->nhit < V4_LOG_MAX_HITS) {
		struct v4_loghit *h = &s->hit[s->nhit++];
		h->kind = k;
		memcpy(h->code, code, sizeof h->code);
		h->src = s->nsrc - 1;
		h->line = num;
		quote(h->text, l + i, m);
	}
	return 0;
}

/* A "v4logs ..." framing line; 0, or -1 when it is not one this probe writes. */
static int take_frame(struct v4_logscan *s, const char *l, size_t n)
{
	char buf[512];
	size_t ov[8];
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, l, n);
	buf[n] = '\0';
	if (starts_with(buf, "v4logs docker since=")) {
		v4_copy(s->since, sizeof s->since, buf + 20, n - 20);
		add_src(s, "docker logs", 11, 1);
		return 0;
	}
	if (starts_with(buf, "v4logs plog dir=")) {
		v4_copy(s->plogdir, sizeof s->plogdir, buf + 16, n - 16);
		return 0;
	}
	if (strcmp(buf, "v4logs plog workpath") == 0)
		return s->workpath = 1, 0;
	long long mt, skip = 0;
	int used = 0;
	if ((sscanf(buf, "v4logs file mtime=%12lld skip=%15lld %n", &mt, &skip, &used) == 2 ||
	     sscanf(buf, "v4logs file mtime=%12lld %n", &mt, &used) == 1) &&
	    used > 0 && buf[used] == '/' && skip >= 0) {
		struct v4_logsrc *r = add_src(s, buf + used, strlen(buf + used), 0);
		r->mtime = (time_t)mt;
		r->skip = skip;
		return 0;
	}
	if (s->nsrc && v4_re_match(&window_re[0], buf, n, ov, 4)) {
		struct v4_logsrc *r = &s->src[s->nsrc - 1];
		r->first = strtol(buf + ov[2], NULL, 10);
		r->last = strtol(buf + ov[4], NULL, 10);
		r->total = strtol(buf + ov[6], NULL, 10);
		return r->first <= r->last && r->last <= r->total ? 0 : -1;
	}
	int rc;
	if (s->nsrc && s->src[s->nsrc - 1].docker &&
	    sscanf(buf, "v4logs rc %3d%n", &rc, &used) == 1 && buf[used] == '\0') {
		s->src[s->nsrc - 1].rc = rc;
		return 0;
	}
	if (strcmp(buf, "v4logs end") == 0)
		return s->complete = 1, 0;
	return -1;
}

int v4_parse_logscan(const char *text, size_t len, struct v4_logscan *out, char **err)
{
	size_t pos = 0, n, lineno = 0;
	const char *l;
	memset(out, 0, sizeof *out);
	compile_once();
	*err = NULL;
	while (next_line(text, len, &pos, &l, &n)) {
		lineno++;
		if (lineno == 1 &&
		    !(n >= 14 && (memcmp(l, "v4logs docker ", 14) == 0 ||
				  memcmp(l, "v4logs plog dir=", n < 16 ? n : 16) == 0)))
			return v4_parse_fail(err,
					     "not the logs probe's output (no \"v4logs docker\" or "
					     "\"v4logs plog\" line first)");
		if (out->complete)
			return v4_parse_fail(err, "line %zu after the end line", lineno);
		int rc = n >= 7 && memcmp(l, "v4logs ", 7) == 0 ? take_frame(out, l, n)
			 : n == 0                               ? 0
								: take_log_line(out, l, n);
		if (rc != 0)
			return v4_parse_fail(err, "line %zu not understood: %.*s", lineno,
					     (int)(n < 60 ? n : 60), l);
	}
	if (lineno == 0)
		return v4_parse_fail(err, "empty output");
	return 0;
}

void v4_logscan_free(struct v4_logscan *s)
{
	free(s->src);
	s->src = NULL;
	s->nsrc = 0;
}
