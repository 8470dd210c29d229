/* Unit tests for the ss -Htlnp parser (lib/parse/ss.c). */
#include <string.h>

#include "ss.h"
#include "tap.h"
#include "util.h"

/* The listener on port, or NULL. */
static const struct ss_listen *on_port(const struct ss_list *l, int port)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].port == port)
			return &l->v[i];
	return NULL;
}

/* The captured real output (fixtures/parse), its # source: line dropped. */
static void test_fixture(void)
{
	char *text = NULL, *err = NULL;
	size_t len = 0;
	struct ss_list l;
	const char *path = "fixtures/parse/ss-htlnp.iproute2-6.1.txt";
	ok(read_file(path, SS_MAX_TEXT, &text, &len) == 0, path);
	if (!text)
		return;
	ok(strncmp(text, "# source:", 9) == 0, "fixture names its source");
	const char *body = strchr(text, '\n') + 1;
	ok(ss_parse(body, len - (size_t)(body - text), &l, &err) == 0, "fixture parses");
	is_int((long long)l.n, 5, "five listeners");
	is_int((long long)l.nbad, 0, "no line left unread");
	const struct ss_listen *a = on_port(&l, 18000), *b = on_port(&l, 2024), *c = on_port(&l, 29550);
	ok(a && strcmp(a->addr, "127.0.0.1") == 0, "18000 on 127.0.0.1");
	ok(a && a->nusers == 2 && a->users[0].pid == 24290 && a->users[1].pid == 23649 &&
		   strcmp(a->users[1].name, "python3") == 0, "18000: both processes that hold it");
	ok(b && b->nusers == 0 && strcmp(b->addr, "0.0.0.0") == 0, "2024: no users column, no owner");
	ok(c && strcmp(c->addr, "::") == 0 && c->nusers == 2, "29550 on [::] (brackets removed)");
	ss_list_free(&l);
	free(text);
	free(err);
}

/* Other shapes ss prints: *, %ifname, v4-mapped, the header without -H, junk. */
static void test_shapes(void)
{
	const char *t = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
			"LISTEN 0      4096   127.0.0.53%lo:53    0.0.0.0:*     users:((\"systemd-resolve\",pid=611,fd=14))\r\n"
			"LISTEN 0      511                *:80          *:*\n"
			"LISTEN 0      50     [::ffff:127.0.0.1]:8080 *:*\n"
			"\n"
			"ESTAB 0 0 1.2.3.4:22 5.6.7.8:5555\n"
			"LISTEN 0 5 127.0.0.1:99999 0.0.0.0:*\n"
			"LISTEN 0 5 127.0.0.1:60001 0.0.0.0:* users:((\"a\\\"b\",pid=7\n";
	struct ss_list l;
	char *err = NULL;
	ok(ss_parse(t, strlen(t), &l, &err) == 0, "shapes parse");
	const struct ss_listen *r = on_port(&l, 53), *s = on_port(&l, 80), *m = on_port(&l, 8080);
	ok(r && strcmp(r->addr, "127.0.0.53%lo") == 0 && r->nusers == 1 && r->users[0].pid == 611 &&
		   strcmp(r->users[0].name, "systemd-resolve") == 0, "%lo address and its owner (CRLF)");
	ok(s && strcmp(s->addr, "*") == 0, "* address");
	ok(m && strcmp(m->addr, "::ffff:127.0.0.1") == 0, "v4-mapped address");
	is_int((long long)l.nbad, 2, "a non-LISTEN line and a port over 65535 are not understood");
	ok(strncmp(l.bad_line, "ESTAB", 5) == 0, "the first one is kept");
	ok(on_port(&l, 60001) != NULL, "a cut users column still gives the socket");
	ss_list_free(&l);
	ok(ss_parse("", 0, &l, &err) == 0 && l.n == 0, "empty output: no listener");
	ss_list_free(&l);
	ok(ss_parse("x", SS_MAX_TEXT + 1, &l, &err) == -1 && err, "too big is refused");
	free(err);
}

int main(void)
{
	test_fixture();
	test_shapes();
	return tap_done();
}
