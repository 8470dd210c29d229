/* HTTP probes of the vLLM API server, through libcurl. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* Initialises libcurl once per process. */
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct body {
	struct sbuf b;
	size_t max;
	int truncated;
};

/* Keeps at most max bytes of the body. */
static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct body *bd = arg;
	size_t n = sz * nm;
	size_t room = bd->b.len < bd->max ? bd->max - bd->b.len : 0;
	if (n > room)
		bd->truncated = 1;
	sbuf_add(&bd->b, p, n < room ? n : room);
	return n;
}

/* Fills f from a finished transfer. */
static void fill_fact(CURL *c, CURLcode rc, struct body *bd, const char *errbuf,
		      struct v4_fact *f)
{
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	f->out_len = bd->b.len;
	f->out = sbuf_take(&bd->b);
	f->err = xstrdup("");
	f->truncated = bd->truncated;
	f->exit_code = (int)status;
	f->state = V4_FACT_OK;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		f->state = V4_FACT_TIMEOUT;
		f->reason = xasprintf("no complete answer within the timeout (%s)", errbuf);
	} else if (rc != CURLE_OK) {
		f->exit_code = 0;
		f->reason = xstrdup(*errbuf ? errbuf : curl_easy_strerror(rc));
	}
}

void v4_http_probe(const struct v4_node *n, const struct v4_opts *o, const char *cmd,
		   struct v4_fact *f)
{
	pthread_once(&curl_once, curl_init_once);
	struct body bd = {{0}, o->max_output, 0};
	char errbuf[CURL_ERROR_SIZE] = "";
	if (strncmp(cmd, "GET ", 4) != 0) {
		f->state = V4_FACT_FAILED;
		f->reason = xasprintf("unsupported HTTP probe '%s'", cmd);
		f->out = xstrdup("");
		f->err = xstrdup("");
		return;
	}
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, cmd + 4);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bd);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	fill_fact(c, rc, &bd, errbuf, f);
	curl_easy_cleanup(c);
	(void)n;
}
