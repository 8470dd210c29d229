/* logs: since the container started, its log and the engine's plog say
 * nothing of HCCL or the device failing, and no engine process dumped core.
 *
 * A collective that hangs, a RoCE link that drops packets, an AI Core that
 * times out, a worker that dies: each leaves a line in the logs long before
 * (or long after) the API stops answering. HCCL prints its fault codes
 * (EI0006, EI0013, ... EJ0003) on the service's console and its ERROR lines
 * in the CANN plog (`$HOME/ascend/log/debug/plog/plog-PID_*.log` of the user
 * in the container, or under $ASCEND_PROCESS_LOG_PATH). This check reads a
 * bounded window of both since the container's StartedAt: the last lines of
 * `docker logs --since`, and the last lines of the newest plog files written
 * since, each cut to a byte budget; the deep tier reads a longer window.
 * Each finding quotes the line and says where it was. Core dumps since the
 * same start are read where the kernel's core_pattern sends them: the
 * systemd journal (coredumpctl list) or a folder of the serving process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "cores.h"
#include "logscan.h"
#include "netcfg.h"
#include "serve_source.h"

#define P_LOGS_DOCKER "logs-docker"
#define P_LOGS_PLOG "logs-plog"
#define P_LOGS_CORES "logs-cores"
#define CORE_LINES 200 /* lines of the core listing read at most */
#define QUOTE_MAX 200 /* bytes of a line in a message */
#define EV_HITS 8     /* matched lines in evidence, per finding */

#define FINDINGS(F)                                                                              \
	F(OK, PASS,                                                                              \
	  "nothing in the container's log or the engine's plog since the container started "     \
	  "says HCCL or the device is failing, and no core dump since")                          \
	F(LOG_ERROR_CQE, FAIL,                                                                   \
	  "an error CQE: RoCE retransmissions ran out (a link that drops or flaps, "             \
	  "or the peer process died)")                                                           \
	F(LOG_TASK_TIMEOUT, FAIL,                                                                \
	  "an HCCL fftsplus task timeout: a collective waited past "                             \
	  "HCCL_EXEC_TIMEOUT for a rank that never came")                                        \
	F(LOG_AICORE_TIMEOUT, FAIL, "an AI Core timeout (507014): a kernel hung on the NPU")     \
	F(LOG_ENGINE_DIED, FAIL,                                                                 \
	  "an engine or worker process died (died unexpectedly, segfault, abort)")               \
	F(LOG_HCCL_CODE, FAIL, "another HCCL fault code (EI or EJ and four digits) in the logs") \
	F(LOG_HCCL_ERROR, WARN,                                                                  \
	  "HCCL wrote an ERROR line to the plog that carries none of the above")                 \
	F(LOG_CORE_DUMP, FAIL,                                                                   \
	  "a python or VLLM:: process (the engine's) dumped core since the container started")   \
	F(LOG_CORE_DUMP_OTHER, WARN,                                                             \
	  "another process on the node dumped core since the container started")                 \
	F(LOG_CORES_UNREAD, SKIP,                                                                \
	  "core dumps not looked for: core_pattern hands them to a program or a place this "    \
	  "check cannot read")                                                                   \
	F(LOG_NO_CONTAINER, SKIP, "there is no container of that name: no logs to read")         \
	F(PROBE_FAILED, ERROR, "a log could not be read or was cut, or the plog is elsewhere")
V4_FINDINGS(FINDINGS);

static const struct v4_param params[] = {
	{"tail_lines", 2000, "last lines of docker logs read (standard tier)"},
	{"max_kib", 256, "KiB of docker logs read at most, newest first (standard tier)"},
	{"plog_files", 8, "newest plog files read (standard tier)"},
	{"plog_lines", 2000, "last lines read of each plog file (standard tier)"},
	{"plog_kib", 64, "KiB read of each plog file at most, newest first (standard tier)"},
	{"plog_read_mib", 16, "MiB read of a plog file at most, from its end (standard tier)"},
	{"deep_tail_lines", 20000, "docker logs lines with --tier deep"},
	{"deep_max_kib", 2048, "docker logs KiB with --tier deep"},
	{"deep_plog_files", 24, "plog files with --tier deep"},
	{"deep_plog_lines", 20000, "lines of each plog file with --tier deep"},
	{"deep_plog_kib", 128, "KiB of each plog file with --tier deep"},
	{"deep_plog_read_mib", 64, "MiB read of a plog file at most with --tier deep"},
	{NULL, 0, NULL},
};

/* The window a run reads. */
struct window {
	int tail, kib, files, plines, pkib;
	long long rmax; /* bytes of a plog file read at most (its end) */
};

/* The container name (deployment.container, default vllm). */
static const char *container(const struct v4_ctx *ctx)
{
	return v4_cfg_str(ctx->cfg, "deployment.container", "vllm");
}

/* A parameter as an int in [lo, hi]. */
static int iparam(const struct v4_ctx *ctx, const struct v4_check *c, const char *name, int lo,
		  int hi)
{
	double v = v4_param(ctx, c, name);
	return v < lo ? lo : v > hi ? hi : (int)v;
}

/* The window of this run's tier (deep: the deep_* parameters). */
static struct window window_of(const struct v4_ctx *ctx, const struct v4_check *c)
{
	int deep = ctx->tier == V4_TIER_DEEP;
	struct window w = {
		iparam(ctx, c, deep ? "deep_tail_lines" : "tail_lines", 1, 1000000),
		iparam(ctx, c, deep ? "deep_max_kib" : "max_kib", 1, 3072),
		iparam(ctx, c, deep ? "deep_plog_files" : "plog_files", 1, 256),
		iparam(ctx, c, deep ? "deep_plog_lines" : "plog_lines", 1, 1000000),
		iparam(ctx, c, deep ? "deep_plog_kib" : "plog_kib", 1, 3072),
		(long long)iparam(ctx, c, deep ? "deep_plog_read_mib" : "plog_read_mib", 1, 4096)
			<< 20,
	};
	return w;
}

/* The awk program both probes number and window log lines with: keeps the
 * last n lines (m = n + 1 slots), then prints the newest of them that fit b
 * bytes as "N:text" ("N+:text" when cut at L bytes), after a "v4logs window"
 * line; a last line "v4logs-rc N" (the probe's own) is printed as "v4logs rc
 * N". Fixed text; POSIX awk. */
#define AWK_WINDOW                                                                                           \
	"{k++;r[k%%m]=$0}END{c=\"\";if(k&&r[k%%m]~/^v4logs-rc [0-9]+$/){c=substr(r[k%%m],11);k--}"           \
	"s=k-n+1;if(s<1)s=1;t=0;for(i=k;i>=s;i--){l=length(r[i%%m]);if(l>L)l=L;t+=l+8;if(t>b)break}"         \
	"f=i+1;if(f>k)print \"v4logs window 0-0 of \" k;else print \"v4logs window \" f \"-\" k \" of \" k;" \
	"for(i=f;i<=k;i++){x=r[i%%m];if(length(x)>L)print i \"+:\" substr(x,1,L);else print i \":\" x}"      \
	"if(c!=\"\")print \"v4logs rc \" c}"
#define LINE_MAX_B 1024 /* bytes of a log line read (longer ones are cut) */

/* Cuts a logs probe's output to what lg_node reads of it: the framing lines
 * and the log lines that match, secrets masked. Output that does not parse
 * is kept whole (it is judged as not understood). */
static void reduce_logs(struct v4_fact *f, const struct v4_node *n)
{
	struct v4_logscan s;
	struct sbuf b = {0};
	char *err = NULL, code[8];
	size_t pos = 0, len;
	const char *l;
	(void)n;
	int rc = v4_parse_logscan(f->out, f->out_len, &s, &err);
	v4_logscan_free(&s);
	free(err);
	if (rc != 0)
		return;
	while (next_line(f->out, f->out_len, &pos, &l, &len)) {
		const char *c = memchr(l, ':', len);
		int frame = len >= 7 && memcmp(l, "v4logs ", 7) == 0;
		if (!frame &&
		    (!c || v4_log_classify(c + 1, len - (size_t)(c + 1 - l), code) == V4_LOG_NKIND))
			continue;
		char *line = xstrndup(l, len), *m = frame ? NULL : mask_secrets(line);
		sbuf_adds(&b, m ? m : line);
		sbuf_add(&b, "\n", 1);
		free(line);
		free(m);
	}
	free(f->out);
	f->out = sbuf_take(&b);
	f->out_len = strlen(f->out);
}

/* Adds the docker logs probe: the window since the container's StartedAt.
 * Both probes cut each line to 2 x LINE_MAX_B bytes with cut(1) before awk
 * holds it (cut streams: a line without end costs no memory). */
static void docker_probe(struct v4_probes *ps, const char *ct, const struct window *w)
{
	v4_probe_add(
		ps, P_LOGS_DOCKER, -1, 0,
		"a='" AWK_WINDOW
		"'; s=$(docker inspect --format '{{.State.StartedAt}}' %s) || exit 3; "
		"echo \"v4logs docker since=$s\"; { docker logs --since \"$s\" --tail %d %s 2>&1; "
		"echo \"v4logs-rc $?\"; } | LC_ALL=C cut -b 1-%d | LC_ALL=C awk -v n=%d -v m=%d -v b=%d -v L=%d \"$a\"; "
		"echo 'v4logs end'",
		ct, w->tail, ct, 2 * LINE_MAX_B, w->tail, w->tail + 1, w->kib * 1024, LINE_MAX_B)
		->reduce = reduce_logs;
}

/* Adds the plog probe: in the container, the newest plog files under
 * ASCEND_PROCESS_LOG_PATH (else $HOME/ascend/log), debug and run, each with
 * its mtime and its window (the awk program is passed as $1); of a file
 * larger than plog_read_mib only its last plog_read_mib MiB are read (skip=
 * says how many bytes were skipped; its line numbers count from there). */
static void plog_probe(struct v4_probes *ps, const char *ct, const struct window *w)
{
	v4_probe_add(
		ps, P_LOGS_PLOG, -1, 0,
		"a='" AWK_WINDOW "'; docker exec %s sh -c '"
		"d=${ASCEND_PROCESS_LOG_PATH:-$HOME/ascend/log}; echo \"v4logs plog dir=$d\"; "
		"[ -n \"${ASCEND_PROCESS_LOG_PATH:-}\" ] || [ -z \"${ASCEND_WORK_PATH:-}\" ] || "
		"echo \"v4logs plog workpath\"; "
		"ls -t \"$d\"/debug/plog/plog-*.log \"$d\"/run/plog/plog-*.log 2>/dev/null | head -n %d | "
		"while IFS= read -r f; do set -- \"$1\" $(stat -c \"%%Y %%s\" \"$f\" 2>/dev/null || echo 0 0); "
		"o=0; [ \"$3\" -le %lld ] || o=$(($3 - %lld)); echo \"v4logs file mtime=$2 skip=$o $f\"; "
		"tail -c +$((o + 1)) \"$f\" | LC_ALL=C cut -b 1-%d | "
		"LC_ALL=C awk -v n=%d -v m=%d -v b=%d -v L=%d \"$1\"; done; "
		"echo \"v4logs end\"' v4logs \"$a\"",
		ct, w->files, w->rmax, w->rmax, 2 * LINE_MAX_B, w->plines, w->plines + 1,
		w->pkib * 1024, LINE_MAX_B)
		->reduce = reduce_logs;
}

/* The shell text that lists the core files of a path core_pattern ($p) for
 * the serving process pid: a relative pattern names its cwd, an absolute
 * one a folder in its root (the kernel writes the file in the crashing
 * process's own view: the container's); a folder with a %-specifier is not
 * looked in. Fixed text and validated values. Caller frees. */
static char *files_sh(long pid, long long since)
{
	if (pid <= 0)
		return xstrdup("echo 'v4cores files no-process'");
	return xasprintf(
		"case $p in /*) r=/proc/%ld/root;; *) r=/proc/%ld/cwd/;; esac; d=${p%%/*}; "
		"[ \"$d\" = \"$p\" ] && d=; b=${p##*/}; b=${b%%%%[%%]*}; "
		"case $d in *[%%]*) ;; *) echo \"v4cores files dir=$r$d\"; "
		"{ find \"$r$d/\" -maxdepth 1 -type f -name \"$b*\" -newermt @%lld "
		"-printf 'v4cores file %%T@ %%s %%f\\n' 2>&1; echo \"v4cores-rc $?\"; } | "
		"LC_ALL=C cut -b 1-1024 | LC_ALL=C awk -v n=%d \"$a\";; esac",
		pid, pid, since, CORE_LINES);
}

/* Adds the core probe: the kernel's core_pattern, then for systemd-coredump
 * `coredumpctl list` since the container's start (TZ=UTC), for a path the
 * core files newer than the start; other handlers are only named. Each
 * listing is bounded to CORE_LINES lines by awk (the program in $a). */
static void cores_probe(struct v4_probes *ps, long long since, long pid)
{
	char *files = files_sh(pid, since);
	v4_probe_add(
		ps, P_LOGS_CORES, -1, 0,
		"a='/^v4cores-rc [0-9]+$/{print \"v4cores rc \" substr($0,12);next}{k++}k<=n{print}"
		"END{if(k>n)print \"v4cores more \" k-n}'; "
		"p=$(cat /proc/sys/kernel/core_pattern) || exit 3; echo 'v4cores since=%lld'; "
		"printf 'v4cores pattern %%s\\n' \"$p\"; case $p in "
		"'|'*) h=${p#|}; h=${h# }; h=${h%%%% *}; case $h in systemd-coredump|*/systemd-coredump) "
		"if command -v coredumpctl >/dev/null 2>&1; then echo 'v4cores coredumpctl'; "
		"{ TZ=UTC LC_ALL=C coredumpctl list --no-pager --no-legend --since=@%lld 2>&1; "
		"echo \"v4cores-rc $?\"; } | LC_ALL=C cut -b 1-1024 | LC_ALL=C awk -v n=%d \"$a\"; "
		"else echo 'v4cores coredumpctl missing'; fi;; esac;; '') ;; *) %s;; esac; "
		"echo 'v4cores end'",
		since, since, CORE_LINES, files);
	free(files);
}

/* The container's StartedAt from docker inspect; -1 when not known. */
static int started_at(const struct v4_node *n, time_t *t, int *running);

/* The container's inspect, the serve command's environment (where the
 * engine writes its plog), the two windows, and (once the start and the
 * process listing are known) the core probe. */
static void lg_probes(const struct v4_check *c, const struct v4_node *n, const struct v4_ctx *ctx,
		      struct v4_probes *ps)
{
	const char *ct = container(ctx);
	if (!word_ok(ct))
		return;
	struct window w = window_of(ctx, c);
	want_inspect(ps, ct);
	serve_probes(n, ctx, ps);
	docker_probe(ps, ct, &w);
	plog_probe(ps, ct, &w);
	time_t start;
	int running;
	long pid = 0;
	char *why = NULL;
	if (v4_fact(n, P_INSPECT) && v4_fact(n, P_PROCS) && started_at(n, &start, &running) == 0 &&
	    start >= 0) {
		if (serve_server_pid(n, &pid, &why) != 0)
			pid = 0;
		cores_probe(ps, (long long)start, pid);
	}
	free(why);
}

/* One source's scan, the reason it could not be had (caller frees), and
 * whether its output parsed. */
struct scan {
	struct v4_logscan s;
	char *why;
	int ok;
};

/* Why fact f (probe id) gave no output to read, without its long command
 * text. Caller frees. */
static char *fact_why(const struct v4_fact *f, const char *id)
{
	if (!f)
		return xasprintf("%s: not run", id);
	if (f->state != V4_FACT_OK)
		return xasprintf("%s: %s", id,
				 f->reason ? f->reason : v4_fact_state_name(f->state));
	char *l = f->err && *f->err ? v4_cause_line(f->err, f->err_len)
				    : v4_cause_line(f->out, f->out_len);
	char *m = xasprintf("%s: exit status %d%s%s", id, f->exit_code, *l ? ": " : "", l);
	free(l);
	return m;
}

/* Reads the fact id into sc; absent set when docker says the container does
 * not exist. */
static void read_scan(const struct v4_node *n, const char *id, struct scan *sc, int *absent)
{
	const struct v4_fact *f = v4_fact(n, id);
	char *err = NULL;
	memset(sc, 0, sizeof *sc);
	if (f && f->state == V4_FACT_OK && f->exit_code != 0 && v4_docker_no_such(f->err)) {
		*absent = 1;
		return;
	}
	if (!f || f->state != V4_FACT_OK || f->exit_code != 0) {
		sc->why = fact_why(f, id);
		return;
	}
	if (v4_parse_logscan(f->out, f->out_len, &sc->s, &err) != 0) {
		sc->why = xasprintf("%s: %s", id, err);
		free(err);
		return;
	}
	if (!sc->s.complete || f->truncated)
		sc->why = xasprintf("%s: the output was cut before its end", id);
	sc->ok = 1;
}

/* The container's StartedAt from docker inspect; -1 when not known. */
static int started_at(const struct v4_node *n, time_t *t, int *running)
{
	char *err = NULL;
	const struct v4_fact *f = v4_fact_ok(n, P_INSPECT, 0, &err);
	free(err);
	err = NULL;
	cJSON *o = f ? v4_parse_docker_inspect(f->out, f->out_len, &err) : NULL;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "State");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(st, "StartedAt");
	*running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running"));
	int rc = cJSON_IsString(s) && v4_parse_rfc3339(s->valuestring, t) == 0 ? 0 : -1;
	cJSON_Delete(o);
	free(err);
	return rc;
}

/* Where hit h was: "docker logs CT" or "PATH:LINE". Caller frees. */
static char *hit_where(const struct v4_logscan *s, const struct v4_loghit *h, const char *ct)
{
	const struct v4_logsrc *r = &s->src[h->src];
	if (r->docker)
		return xasprintf("docker logs %s (line %ld of the last %ld since start)", ct,
				 h->line, r->total);
	if (r->skip)
		return xasprintf("%s (line %ld after its first %lld bytes)", r->where, h->line,
				 r->skip);
	return xasprintf("%s:%ld", r->where, h->line);
}

/* 1 when hit h is since the container started: docker's window is; a plog
 * file is when it was written to since (its mtime). */
static int hit_since(const struct v4_logscan *s, const struct v4_loghit *h, time_t start,
		     int have_start)
{
	const struct v4_logsrc *r = &s->src[h->src];
	return r->docker || !have_start || r->mtime >= start;
}

/* The finding of a kind. */
static int kind_finding(enum v4_logkind k)
{
	static const int f[V4_LOG_NKIND] = {LOG_ERROR_CQE,   LOG_TASK_TIMEOUT, LOG_AICORE_TIMEOUT,
					    LOG_ENGINE_DIED, LOG_HCCL_CODE,    LOG_HCCL_ERROR};
	return f[k];
}

/* What the finding of a kind says before the quote. */
static const char *kind_words(enum v4_logkind k)
{
	static const char *const w[V4_LOG_NKIND] = {
		"an error CQE (RoCE retransmissions ran out: a dropping link or a dead peer)",
		"an HCCL fftsplus task timeout (a collective waited past HCCL_EXEC_TIMEOUT)",
		"an AI Core timeout (a kernel hung on the NPU)",
		"an engine or worker process died",
		"HCCL fault code",
		"an ERROR line of HCCL",
	};
	return w[k];
}

/* The matched lines of one kind across the scans, as evidence; *first gets
 * the first one (NULL none), *nk how many there were since the start. */
static cJSON *kind_hits(struct scan *sc, size_t nsc, enum v4_logkind k, const char *ct,
			time_t start, int have_start, const struct v4_loghit **first,
			const struct v4_logscan **fs, size_t *nk)
{
	cJSON *arr = cJSON_CreateArray();
	*first = NULL;
	*nk = 0;
	for (size_t i = 0; i < nsc; i++)
		for (size_t j = 0; sc[i].ok && j < sc[i].s.nhit; j++) {
			const struct v4_loghit *h = &sc[i].s.hit[j];
			if (h->kind != k || !hit_since(&sc[i].s, h, start, have_start))
				continue;
			if (!(*nk)++)
				*first = h, *fs = &sc[i].s;
			if (cJSON_GetArraySize(arr) >= EV_HITS)
				continue;
			cJSON *e = cJSON_CreateObject();
			char *w = hit_where(&sc[i].s, h, ct);
			cJSON_AddStringToObject(e, "where", w);
			if (h->code[0])
				cJSON_AddStringToObject(e, "code", h->code);
			cJSON_AddStringToObject(e, "line", h->text);
			cJSON_AddItemToArray(arr, e);
			free(w);
		}
	return arr;
}

/* Reports one kind's finding when it has hits; 1 if it did. */
static int say_kind(const struct v4_rep *h, struct scan *sc, size_t nsc, enum v4_logkind k,
		    const char *ct, time_t start, int have_start)
{
	const struct v4_loghit *first;
	const struct v4_logscan *fs = NULL;
	size_t nk;
	cJSON *arr = kind_hits(sc, nsc, k, ct, start, have_start, &first, &fs, &nk);
	if (!nk) {
		cJSON_Delete(arr);
		return 0;
	}
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "lines", (double)nk);
	cJSON_AddItemToObject(ev, "matches", arr);
	char *w = hit_where(fs, first, ct);
	const char *mean = first->code[0] ? v4_hccl_code_meaning(first->code) : NULL;
	char what[160];
	if (k == V4_LOG_HCCL_CODE)
		snprintf(what, sizeof what, "HCCL fault code %s%s%s%s", first->code,
			 mean ? " (" : "", mean ? mean : "", mean ? ")" : "");
	else if (first->code[0])
		snprintf(what, sizeof what, "%s [%s]", kind_words(k), first->code);
	else
		snprintf(what, sizeof what, "%s", kind_words(k));
	v4_say(h, kind_finding(k), ev,
	       "%s since the container started, %zu line(s); first at %s: %.*s", what, nk, w,
	       QUOTE_MAX, first->text);
	free(w);
	return 1;
}

/* Evidence of what was read: per source where, lines read, mtime. */
static cJSON *read_evidence(struct scan *sc, size_t nsc, const char *since)
{
	cJSON *ev = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ev, "read");
	if (since)
		cJSON_AddStringToObject(ev, "since", since);
	for (size_t i = 0; i < nsc; i++)
		for (size_t j = 0; sc[i].ok && j < sc[i].s.nsrc; j++) {
			const struct v4_logsrc *r = &sc[i].s.src[j];
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "where", r->where);
			cJSON_AddNumberToObject(e, "lines_read",
						(double)(r->total ? r->last - r->first + 1 : 0));
			cJSON_AddNumberToObject(e, "lines_in_window", (double)r->total);
			if (!r->docker)
				cJSON_AddNumberToObject(e, "mtime", (double)r->mtime);
			cJSON_AddItemToArray(arr, e);
		}
	return ev;
}

/* Why the plog scan cannot be trusted, or NULL: its place is not known, or
 * the engine writes elsewhere (ASCEND_PROCESS_LOG_PATH of the serve
 * command). Caller frees. */
static char *plog_elsewhere(const struct v4_node *n, const struct v4_ctx *ctx, const struct scan *p)
{
	if (!p->ok)
		return NULL;
	if (p->s.workpath)
		return xstrdup(
			"plog: ASCEND_WORK_PATH is set in the container and ASCEND_PROCESS_LOG_PATH "
			"is not: where CANN then writes its logs is not known here");
	struct serve_cmd cmd;
	int from_process = 0;
	char *why = NULL, *out = NULL;
	if (node_serve(n, ctx, &cmd, &from_process, &why) == 0) {
		const char *v = serve_env(&cmd, "ASCEND_PROCESS_LOG_PATH");
		size_t a = v ? strlen(v) : 0, b = strlen(p->s.plogdir);
		while (a > 1 && v[a - 1] == '/')
			a--;
		while (b > 1 && p->s.plogdir[b - 1] == '/')
			b--;
		if (v && *v && (a != b || strncmp(v, p->s.plogdir, a) != 0))
			out = xasprintf(
				"plog: the vLLM processes write their plog under ASCEND_PROCESS_LOG_PATH=%s "
				"(%s), not under %s, which the probe read",
				v, from_process ? "their environment" : "the serve script",
				p->s.plogdir);
		serve_free(&cmd);
	}
	free(why);
	return out;
}

/* The core probe's parse, and why it cannot be judged (caller frees). */
struct cores_read {
	struct v4_cores c;
	char *why;
	int ok;
};

/* Reads the core probe's fact into cr. */
static void read_cores(const struct v4_node *n, struct cores_read *cr)
{
	const struct v4_fact *f = v4_fact(n, P_LOGS_CORES);
	char *err = NULL;
	memset(cr, 0, sizeof *cr);
	if (!f || f->state != V4_FACT_OK || f->exit_code != 0) {
		cr->why = fact_why(f, P_LOGS_CORES);
		return;
	}
	if (v4_parse_cores(f->out, f->out_len, &cr->c, &err) != 0) {
		cr->why = xasprintf("%s: %s", P_LOGS_CORES, err);
		free(err);
		return;
	}
	if (!cr->c.complete || f->truncated) {
		cr->why = xasprintf("%s: the output was cut before its end", P_LOGS_CORES);
		return;
	}
	cr->ok = 1;
}

/* One coredumpctl row as evidence. */
static cJSON *dump_json(const struct v4_coredump *d)
{
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "time", d->time);
	cJSON_AddNumberToObject(e, "pid", (double)d->pid);
	cJSON_AddNumberToObject(e, "uid", (double)d->uid);
	cJSON_AddStringToObject(e, "signal", d->sig);
	cJSON_AddStringToObject(e, "exe", d->exe);
	cJSON_AddStringToObject(e, "corefile", d->corefile);
	if (d->size[0])
		cJSON_AddStringToObject(e, "size", d->size);
	return e;
}

/* Where a listed core is, in words. */
static const char *corefile_words(const char *cf)
{
	if (strcmp(cf, "present") == 0)
		return "the core is kept (coredumpctl info/dump PID)";
	if (strcmp(cf, "journal") == 0)
		return "the core is in the journal (coredumpctl dump PID)";
	return "the core itself is not kept";
}

/* Reports the engine's (want 1) or the other processes' (0) rows since the
 * start; 1 if there were any. */
static int say_dumps(const struct v4_rep *h, const struct v4_cores *c, int engine, time_t start,
		     int have_start)
{
	const struct v4_coredump *first = NULL;
	size_t k = 0;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < c->ndump; i++) {
		const struct v4_coredump *d = &c->dump[i];
		if (v4_core_exe_engine(d->exe) != engine || (have_start && d->t && d->t < start))
			continue; /* coredumpctl's --since already cut; a UTC time is checked again */
		if (!k++)
			first = d;
		if (cJSON_GetArraySize(arr) < EV_HITS)
			cJSON_AddItemToArray(arr, dump_json(d));
	}
	if (!k) {
		cJSON_Delete(arr);
		return 0;
	}
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "core_pattern", c->pattern);
	cJSON_AddNumberToObject(ev, "dumps", (double)k);
	if (c->ndump_all > c->ndump || c->more)
		cJSON_AddNumberToObject(ev, "rows_not_read", (double)(c->ndump_all - c->ndump + c->more));
	cJSON_AddItemToObject(ev, "coredumps", arr);
	v4_say(h, engine ? LOG_CORE_DUMP : LOG_CORE_DUMP_OTHER, ev,
	       "%zu core dump(s) of %s since the container started (coredumpctl); first: "
	       "%s (pid %ld) on %s at %s, %s",
	       k, engine ? "the engine's processes" : "other processes", first->exe, first->pid,
	       first->sig, first->time, corefile_words(first->corefile));
	return 1;
}

/* Reports the core files found since the start; 1 if any. */
static int say_files(const struct v4_rep *h, const struct v4_cores *c, time_t start,
		     int have_start)
{
	const struct v4_corefile *first = NULL;
	size_t k = 0;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < c->nfile; i++) {
		const struct v4_corefile *f = &c->file[i];
		if (have_start && f->mtime < start)
			continue;
		if (!k++)
			first = f;
		if (cJSON_GetArraySize(arr) >= EV_HITS)
			continue;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", f->name);
		cJSON_AddNumberToObject(e, "bytes", (double)f->size);
		cJSON_AddNumberToObject(e, "mtime", (double)f->mtime);
		cJSON_AddItemToArray(arr, e);
	}
	if (!k) {
		cJSON_Delete(arr);
		return 0;
	}
	cJSON *ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "core_pattern", c->pattern);
	cJSON_AddStringToObject(ev, "dir", c->dir);
	cJSON_AddNumberToObject(ev, "files", (double)k);
	cJSON_AddItemToObject(ev, "core_files", arr);
	v4_say(h, LOG_CORE_DUMP, ev,
	       "%zu core file(s) written since the container started in %s (core_pattern %s); "
	       "first: %s, %lld bytes, mtime %lld",
	       k, c->dir, c->pattern, first->name, first->size, (long long)first->mtime);
	return 1;
}

/* Judges the core probe: findings said (*found counts them), or the reason
 * it cannot be judged (caller frees; NULL when judged). */
static char *judge_cores(const struct v4_rep *h, const struct cores_read *cr, time_t start,
			 int have_start, int *found)
{
	const struct v4_cores *c = &cr->c;
	if (!cr->ok)
		return xstrdup(cr->why);
	if (c->kind == V4_CORE_EMPTY) {
		v4_say(h, LOG_CORES_UNREAD, NULL,
		       "core_pattern is empty: core dumps not looked for");
		return NULL;
	}
	if (c->kind == V4_CORE_PIPE) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "core_pattern", c->pattern);
		cJSON_AddStringToObject(ev, "handler", c->handler);
		v4_say(h, LOG_CORES_UNREAD, ev,
		       "core_pattern pipes core dumps to %s, which this check does not read: core "
		       "dumps not looked for",
		       c->handler);
		return NULL;
	}
	if (c->kind == V4_CORE_SYSTEMD) {
		if (c->no_coredumpctl)
			return xasprintf("core_pattern pipes core dumps to %s, and coredumpctl (package "
					 "systemd-coredump) is not on the node's PATH to list them",
					 c->handler);
		if (c->listing_err[0])
			return xasprintf("coredumpctl list: %s", c->listing_err);
		if (c->rc < 0 || (c->rc != 0 && !(c->rc == 1 && c->none)) || (c->rc == 1 && !c->none))
			return xasprintf("coredumpctl list exited %d", c->rc);
		*found += say_dumps(h, c, 1, start, have_start);
		*found += say_dumps(h, c, 0, start, have_start);
		return NULL;
	}
	if (c->no_process) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "core_pattern", c->pattern);
		v4_say(h, LOG_CORES_UNREAD, ev,
		       "core_pattern %s writes core files in the crashing process's own view, and no "
		       "vLLM runs whose folders to read: core dumps not looked for",
		       c->pattern);
		return NULL;
	}
	if (!c->dir[0]) {
		cJSON *ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "core_pattern", c->pattern);
		v4_say(h, LOG_CORES_UNREAD, ev,
		       "core_pattern %s has a %%-specifier in its folder: which folder is not known "
		       "here, core dumps not looked for",
		       c->pattern);
		return NULL;
	}
	if (c->rc != 0 || c->listing_err[0])
		return xasprintf("find in %s: %s", c->dir,
				 c->listing_err[0] ? c->listing_err : "exit status not 0");
	*found += say_files(h, c, start, have_start);
	return NULL;
}

/* Judges one node. */
static void lg_node(const struct v4_rep *h, const struct v4_node *n)
{
	const char *ct = container(h->ctx);
	if (!word_ok(ct)) {
		v4_say_unchecked(h, "deployment.container is not a plain container name");
		return;
	}
	struct scan sc[2];
	struct cores_read cr;
	int absent = 0, running = 0, found = 0;
	time_t start = 0;
	read_scan(n, P_LOGS_DOCKER, &sc[0], &absent);
	read_scan(n, P_LOGS_PLOG, &sc[1], &absent);
	read_cores(n, &cr);
	char *cores_why = NULL, *elsewhere = NULL;
	int have_start = started_at(n, &start, &running) == 0;
	if (absent) {
		v4_say(h, LOG_NO_CONTAINER, NULL, "no container %s: no logs to read", ct);
		goto out;
	}
	for (int k = 0; k < V4_LOG_NKIND; k++)
		found += say_kind(h, sc, 2, (enum v4_logkind)k, ct, start, have_start);
	cores_why = judge_cores(h, &cr, start, have_start, &found);
	elsewhere = plog_elsewhere(n, h->ctx, &sc[1]);
	const char *why = sc[0].why	? sc[0].why
			  : sc[1].why	? sc[1].why
			  : elsewhere	? elsewhere
					: cores_why;
	if (why) {
		char *m = !sc[1].ok && !running
				  ? xasprintf("%s (the container is not running)", why)
				  : NULL;
		v4_say_unchecked(h, m ? m : why);
		free(m);
	} else if (!found) {
		size_t files = 0;
		for (size_t j = 0; j < sc[1].s.nsrc; j++)
			files += !have_start || sc[1].s.src[j].mtime >= start;
		const struct v4_cores *c = &cr.c;
		cJSON *ev = read_evidence(sc, 2, sc[0].s.since);
		cJSON_AddStringToObject(ev, "core_pattern", c->pattern);
		v4_say(h, OK, ev,
		       "no failing line in docker logs (%ld lines since start) nor in %zu plog file(s) "
		       "written since%s%s",
		       sc[0].s.nsrc ? sc[0].s.src[0].total : 0L, files,
		       c->kind == V4_CORE_SYSTEMD			? "; no core dump since (coredumpctl)"
		       : c->kind == V4_CORE_FILE && c->dir[0] ? "; no core file since in "
							       : "",
		       c->kind == V4_CORE_FILE && c->dir[0] ? c->dir : "");
	}
out:
	free(elsewhere);
	free(cores_why);
	free(cr.why);
	for (int i = 0; i < 2; i++) {
		v4_logscan_free(&sc[i].s);
		free(sc[i].why);
	}
}

const struct v4_check v4_check_logs = {
	.id = "logs",
	.title = "The container's log and the engine's plog since start: no HCCL or device failure, "
		 "no engine core dump",
	.explain =
		"Symptom: requests hang or fail after hours of serving, one node's engine dies and\n"
		"  takes the others down, or the API answers while a rank is stuck.\n"
		"Cause: HCCL and the NPU runtime write why, long before the API shows it: HCCL fault\n"
		"  codes EI/EJ on the service's console (EI0006 link setup timeout, EI0013 error CQE:\n"
		"  the table \"HCCL-Related Fault Codes\" of https://github.com/hicann/hccl/blob/\n"
		"  7076f76a733493cd2fc8b5521aad8703f2488f19/docs/en/user_guide/fault_diagnosis/\n"
		"  debug_thinking.md), their ERROR lines in the CANN plog\n"
		"  ($HOME/ascend/log/debug/plog/plog-PID_*.log, or under ASCEND_PROCESS_LOG_PATH:\n"
		"  https://www.hiascend.com/document/detail/zh/canncommercial/900/maintenref/envvar/\n"
		"  envref_07_0120.html), \"hccl fftsplus task timeout\" when a collective waits past\n"
		"  HCCL_EXEC_TIMEOUT (https://github.com/Ascend/pytorch/issues/54), \"aicore timeout\"\n"
		"  507014 (https://github.com/vllm-project/vllm-ascend/issues/5509), \"An error CQE\n"
		"  occurred\" when RoCE retransmissions run out\n"
		"  (https://github.com/vllm-project/vllm-ascend/issues/7384), and vLLM's \"died\n"
		"  unexpectedly\" or \"Segfault encountered\" when a worker or the engine crashes\n"
		"  (https://github.com/vllm-project/vllm-ascend/issues/10136). A crash that kills a\n"
		"  worker before it logs leaves only its core dump; where that goes is the host\n"
		"  kernel's /proc/sys/kernel/core_pattern (man 5 core,\n"
		"  https://man7.org/linux/man-pages/man5/core.5.html): a pipe to systemd-coredump\n"
		"  (openEuler, most systemd hosts), listed by coredumpctl\n"
		"  (https://www.freedesktop.org/software/systemd/man/latest/coredumpctl.html), or a\n"
		"  path, relative to the crashing process's cwd or absolute in its own root (the\n"
		"  container's).\n"
		"Check: since the container's StartedAt (docker inspect), the last tail_lines lines of\n"
		"  `docker logs --since` (at most max_kib KiB) and of each of the newest plog_files plog\n"
		"  files written since (debug/plog and run/plog; plog_lines lines, plog_kib KiB each, of\n"
		"  its last plog_read_mib MiB),\n"
		"  newest lines first within the byte budget; --tier deep reads the deep_* window. A\n"
		"  plog file last written before the start is of an earlier run and not judged.\n"
		"  Each finding quotes the first line (cut, secrets masked) and where it was: the plog\n"
		"  file and line, or the line of the docker logs window. An ERROR line of HCCL with\n"
		"  none of the above is a warning.\n"
		"  Core dumps since the same start: with systemd-coredump, `coredumpctl list\n"
		"  --since=@START` (TZ=UTC); a dump whose EXE is python* or VLLM::* (the engine's\n"
		"  processes; kept simple: by name) fails, any other process's dump on the node is a\n"
		"  warning; coredumpctl missing is an ERROR. With a path pattern, the core files\n"
		"  newer than the start in the serving vLLM's /proc/PID/cwd (relative) or\n"
		"  /proc/PID/root/DIR (absolute) fail. Another pipe (apport, abrt, ...), an empty\n"
		"  pattern or a %-specifier in the folder: LOG_CORES_UNREAD names it (SKIP: not\n"
		"  looked for, not a pass of its own).\n"
		"Fix: read the quoted line's node first (HCCL blames the peer it waited for); for\n"
		"  EI0006/EI0013 check the NPU links (roce, fabric), for timeouts the stuck rank's own\n"
		"  log; for a core dump, `coredumpctl info PID` (or gdb on the core file) shows the\n"
		"  crashing thread's stack; restart the deployment once the cause is gone (a restart\n"
		"  clears the window).",
	.probes_doc =
		"docker inspect CONTAINER; the serve command's source (the vLLM processes' environment, "
		"for ASCEND_PROCESS_LOG_PATH); docker logs --since STARTEDAT --tail N CONTAINER, numbered "
		"and cut by awk; docker exec CONTAINER sh -c '...': the newest plog files under "
		"${ASCEND_PROCESS_LOG_PATH:-$HOME/ascend/log}/{debug,run}/plog, their mtime and last lines; "
		"cat /proc/sys/kernel/core_pattern, then for systemd-coredump TZ=UTC coredumpctl list "
		"--no-pager --no-legend --since=@STARTEDAT, for a path find /proc/PID/cwd/ (or "
		"/proc/PID/root/DIR/) -maxdepth 1 -name 'core*' -newermt @STARTEDAT of the API server "
		"(PID from the listing), each listing at most 200 lines",
	.findings = findings,
	.tier = V4_TIER_STANDARD,
	.cost_ms =
		150, /* bench/tiers.sh way: alone on one node of the healthy fake cluster, 0.14-0.17 s */
	.params = params,
	.probes = lg_probes,
	.evaluate_node = lg_node,
};
