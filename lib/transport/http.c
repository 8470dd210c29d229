/* HTTP probes of the vLLM API server, through libcurl. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char *api_key; /* set once before probing; never printed */

/* Initialises libcurl once per process. */
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Overwrites a secret before it is freed. */
static void wipe(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
	}
}

void v4_http_set_api_key(const char *key)
{
	wipe(api_key);
	free(api_key);
	api_key = key && *key ? xstrdup(key) : NULL;
}

int v4_http_have_api_key(void)
{
	return api_key != NULL;
}

/* A transfer in progress: body (or SSE events), caps and timing. */
struct body {
	struct sbuf b;      /* plain body, or non-SSE lines of a stream */
	size_t max, kept;
	int truncated;
	int sse;
	double t0;
	struct sbuf line;   /* partial SSE line */
	cJSON *events;      /* [[ms, "data"], ...] */
	int done;           /* saw data: [DONE] */
};

/* Records one complete SSE line. */
static void sse_line(struct body *bd, const char *l, size_t n)
{
	if (n && l[n - 1] == '\r')
		n--;
	if (n >= 5 && memcmp(l, "data:", 5) == 0) {
		size_t k = 5 + (n > 5 && l[5] == ' ');
		char *d = xstrndup(l + k, n - k);
		cJSON *e = cJSON_CreateArray();
		cJSON_AddItemToArray(e, cJSON_CreateNumber(now_ms() - bd->t0));
		cJSON_AddItemToArray(e, cJSON_CreateString(d));
		cJSON_AddItemToArray(bd->events, e);
		bd->done |= strcmp(d, "[DONE]") == 0;
		free(d);
	} else if (n && l[0] != ':' && bd->b.len < 4096) {
		sbuf_add(&bd->b, l, n);
		sbuf_add(&bd->b, "\n", 1);
	}
}

/* Splits streamed bytes into SSE lines. */
static void sse_feed(struct body *bd, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n') {
			sbuf_add(&bd->line, p + i, 1);
			continue;
		}
		sse_line(bd, bd->line.s ? bd->line.s : "", bd->line.len);
		bd->line.len = 0;
	}
}

/* Keeps at most max bytes; stops the transfer once the cap is passed. */
static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct body *bd = arg;
	size_t n = sz * nm;
	size_t room = bd->kept < bd->max ? bd->max - bd->kept : 0;
	size_t take = n < room ? n : room;
	if (bd->sse)
		sse_feed(bd, p, take);
	else
		sbuf_add(&bd->b, p, take);
	bd->kept += take;
	if (n > room) {
		bd->truncated = 1;
		return 0; /* CURLE_WRITE_ERROR: the cap bounds the transfer */
	}
	return n;
}

/* Replaces every occurrence of the API key in s (an echoing proxy) with "***". */
static void scrub(char *s, size_t *len)
{
	size_t kl = api_key ? strlen(api_key) : 0;
	char *p;
	if (!kl || !s)
		return;
	while ((p = memmem(s, *len, api_key, kl)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + kl, *len - (size_t)(p - s) - kl + 1);
		*len -= kl - 3;
	}
}

/* The output of a streamed probe: events, done flag and other text. */
static char *sse_output(struct body *bd)
{
	if (bd->line.len)
		sse_line(bd, bd->line.s, bd->line.len);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "events", bd->events);
	bd->events = NULL;
	cJSON_AddBoolToObject(o, "done", bd->done);
	cJSON_AddStringToObject(o, "other", bd->b.s ? bd->b.s : "");
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Fills f from a finished transfer. */
static void fill_fact(CURL *c, CURLcode rc, struct body *bd, const char *errbuf,
		      struct v4_fact *f)
{
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	size_t len = bd->b.len;
	f->out = bd->sse ? sse_output(bd) : sbuf_take(&bd->b);
	f->out_len = bd->sse ? strlen(f->out) : len;
	scrub(f->out, &f->out_len);
	f->truncated = bd->truncated;
	f->exit_code = (int)status;
	f->state = V4_FACT_OK;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		f->state = V4_FACT_TIMEOUT;
		f->reason = xasprintf("no complete answer within the timeout (%s)", errbuf);
	} else if (rc == CURLE_WRITE_ERROR && bd->truncated) {
		f->reason = NULL; /* cut at the output cap: kept, marked truncated */
	} else if (rc != CURLE_OK) {
		f->exit_code = 0;
		f->reason = xstrdup(*errbuf ? errbuf : curl_easy_strerror(rc));
	}
}

/* 1 when the URL's path is under /v1 (vLLM's protected routes). */
static int needs_key(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p && starts_with(p, "/v1") && (p[3] == '/' || p[3] == 0 || p[3] == '?');
}

/* The request headers of a probe. Caller frees with curl_slist_free_all. */
static struct curl_slist *headers(const char *url, int post, int sse, struct v4_fact *f)
{
	struct curl_slist *h = NULL;
	if (post)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (sse)
		h = curl_slist_append(h, "Accept: text/event-stream");
	if (needs_key(url) && api_key) {
		char *a = xasprintf("Authorization: Bearer %s", api_key);
		h = curl_slist_append(h, a); /* libcurl copies it */
		wipe(a);
		free(a);
	} else if (needs_key(url)) {
		free(f->err);
		f->err = xstrdup("no API key configured: sent without Authorization\n");
		f->err_len = strlen(f->err);
	}
	return h;
}

/* Splits "METHOD URL [BODY]"; -1 when the method is unknown. */
static int split_cmd(const char *cmd, char **url, const char **body, int *post, int *sse)
{
	*post = starts_with(cmd, "POST ");
	*sse = starts_with(cmd, "SSE ");
	if (!*post && !*sse && !starts_with(cmd, "GET "))
		return -1;
	const char *u = strchr(cmd, ' ') + 1;
	size_t ul = strcspn(u, " ");
	*url = xstrndup(u, ul);
	*body = u[ul] ? u + ul + 1 : NULL;
	if ((*post || *sse) && !*body)
		*body = "";
	return 0;
}

/* Sets the options of one transfer. */
static void set_opts(CURL *c, const struct v4_opts *o, const char *url, const char *body,
		     struct body *bd, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, bd);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
}

void v4_http_probe(const struct v4_opts *o, const char *cmd, struct v4_fact *f)
{
	char *url = NULL, errbuf[CURL_ERROR_SIZE] = "";
	const char *body;
	int post, sse;
	f->err = xstrdup("");
	if (split_cmd(cmd, &url, &body, &post, &sse)) {
		f->state = V4_FACT_FAILED;
		f->reason = xstrdup("unsupported HTTP probe (GET, POST or SSE URL [BODY])");
		f->out = xstrdup("");
		return;
	}
	pthread_once(&curl_once, curl_init_once);
	struct body bd = {.max = o->max_output, .sse = sse, .t0 = now_ms()};
	bd.events = sse ? cJSON_CreateArray() : NULL;
	CURL *c = curl_easy_init();
	struct curl_slist *h = headers(url, post || sse, sse, f);
	set_opts(c, o, url, body, &bd, errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	bd.t0 = now_ms();
	CURLcode rc = curl_easy_perform(c);
	fill_fact(c, rc, &bd, errbuf, f);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	sbuf_free(&bd.b);
	sbuf_free(&bd.line);
	cJSON_Delete(bd.events);
	free(url);
}
