/* Batches: the script really run by /bin/sh, its output split back. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "tap.h"

static const char *cmds[] = {
	"printf 'a\\nb'",                       /* no trailing newline */
	"echo out; echo err >&2; exit 3",       /* both streams, exit status */
	"true",                                 /* no output at all */
	"v4check_no_such_command_x",            /* not found */
	"printf '\\nffff 0 1 2\\nx\\000y'",     /* a marker-like line, a NUL */
	"exit 137",                             /* a builtin: runs in a subshell */
	"sh -c 'kill -KILL $$'",                /* killed by a signal */
	"echo last",
};
#define N (sizeof cmds / sizeof *cmds)

/* Runs script with sh; stdout and stderr into *out / *err. */
static int run_script(const char *script, char **out, size_t *olen, char **err, size_t *elen)
{
	char so[] = "/tmp/v4batch-outXXXXXX", se[] = "/tmp/v4batch-errXXXXXX";
	int a = mkstemp(so), b = mkstemp(se);
	if (a < 0 || b < 0)
		return -1;
	close(a);
	close(b);
	char *q = shell_quote(script);
	char *cmd = xasprintf("sh -c %s >%s 2>%s", q, so, se);
	int rc = system(cmd);
	free(q);
	free(cmd);
	if (read_file(so, 1 << 20, out, olen) || read_file(se, 1 << 20, err, elen))
		rc = -1;
	unlink(so);
	unlink(se);
	return rc;
}

/* How many "\n<nonce>\n" lines p[0..n) holds. */
static size_t count_markers(const char *p, size_t n, const char *nonce)
{
	char *m = xasprintf("\n%s\n", nonce);
	size_t ml = strlen(m), c = 0;
	for (size_t i = 0; i + ml <= n; i++)
		if (memcmp(p + i, m, ml) == 0)
			c++;
	free(m);
	return c;
}

static void free_parts(struct v4_fact *f, size_t n)
{
	for (size_t k = 0; k < n; k++)
		v4_fact_free(&f[k]);
	memset(f, 0, n * sizeof *f);
}

int main(void)
{
	char nonce[V4_BATCH_NONCE_LEN + 1], other[V4_BATCH_NONCE_LEN + 1];
	v4_batch_nonce(nonce);
	v4_batch_nonce(other);
	is_int(strlen(nonce), V4_BATCH_NONCE_LEN, "nonce: 32 characters");
	int hex = 1;
	for (const char *p = nonce; *p; p++)
		hex &= isxdigit((unsigned char)*p) != 0;
	ok(hex, "nonce: hex only (safe unquoted in the script)");
	ok(strcmp(nonce, other) != 0, "two nonces differ");

	char *script = v4_batch_script(cmds, N, 10, nonce);
	char *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	is_int(run_script(script, &out, &olen, &err, &elen), 0, "the script runs under sh");

	struct v4_fact f[N];
	memset(f, 0, sizeof f);
	size_t got = v4_batch_split(out, olen, err, elen, nonce, N, f);
	is_int(got, N, "every command delivered");
	is_int(f[0].out_len, 3, "no trailing newline: output kept as is");
	ok(memcmp(f[0].out, "a\nb", 3) == 0, "output of the first command");
	is_int(f[0].exit_code, 0, "exit 0");
	is_int(f[0].state, V4_FACT_OK, "OK");
	is_str(f[1].out, "out\n", "stdout of the second command");
	is_str(f[1].err, "err\n", "its stderr, separately");
	is_int(f[1].exit_code, 3, "its exit status");
	is_int(f[2].out_len + f[2].err_len, 0, "a silent command gives empty output");
	is_int(f[3].state, V4_FACT_NOTFOUND, "missing command: NOTFOUND");
	ok(f[3].reason && strstr(f[3].reason, "v4check_no_such_command_x"), "with the message naming it as reason");
	is_int(f[4].out_len, 15, "a marker with another word and a NUL stay output");
	ok(memcmp(f[4].out + 12, "x\0y", 3) == 0, "the NUL is kept");
	is_int(f[5].exit_code, 137, "exit in a command ends its subshell, not the batch");
	is_int(f[5].state, V4_FACT_OK, "137 without a remote timeout is the command's own status");
	is_int(f[6].exit_code, 137, "a command killed by SIGKILL: 128 + 9");
	is_str(f[7].out, "last\n", "the batch goes on to its end");
	free_parts(f, N);

	long pg = v4_batch_pgid(out, olen, nonce);
	ok(pg > 1, "the script names its process group first");
	is_int(v4_batch_pgid(out, olen, other), 0, "not with another nonce");
	size_t pos = 0, ends = 0, grow_ok = 1;
	for (size_t cut = 0; cut <= olen; cut++) {
		size_t e = v4_batch_ends(out, cut, nonce, &pos);
		grow_ok &= pos <= cut;
		ends += e;
	}
	is_int(ends, N, "end markers counted as output streams in, byte by byte: each once");
	ok(grow_ok, "the search never runs past the output");
	pos = 0;
	is_int(v4_batch_ends(out, olen, nonce, &pos), N, "all at once: the same count");

	is_int(v4_batch_split(out, olen, err, elen, other, N, f), 0, "another nonce: nothing delivered");
	v4_fact_free(&f[0]); /* the output of the command cut short */

	/* Cut anywhere, a batch delivers a prefix of its commands, unchanged. */
	struct v4_fact whole[N];
	memset(whole, 0, sizeof whole);
	v4_batch_split(out, olen, err, elen, nonce, N, whole);
	int monotonic = 1, same = 1;
	size_t last = 0;
	for (size_t cut = 0; cut <= olen; cut++) {
		size_t g = v4_batch_split(out, cut, err, elen, nonce, N, f);
		monotonic &= g >= last && g <= N;
		for (size_t k = 0; k < g; k++)
			same &= f[k].out_len == whole[k].out_len &&
				memcmp(f[k].out, whole[k].out, whole[k].out_len) == 0 &&
				f[k].exit_code == whole[k].exit_code;
		last = g;
		free_parts(f, N);
	}
	ok(monotonic, "stdout cut at every length: delivered count only grows");
	ok(same, "what is delivered from a cut output is what the whole run gave");
	is_int(v4_batch_split(out, olen, err, elen / 2, nonce, N, f),
	       count_markers(err, elen / 2, nonce),
	       "stderr cut: only commands with both markers are delivered");
	free_parts(f, N);
	free_parts(whole, N);
	free(out);
	free(err);
	free(script);

	/* The script's own bound ends it, stalled command and all. */
	static const char *stall[] = {"echo first", "sleep 30; echo late", "echo never"};
	script = v4_batch_script(stall, 3, 1, nonce);
	double t0 = now_ms();
	run_script(script, &out, &olen, &err, &elen);
	double ms = now_ms() - t0;
	ok(ms < 10000, "a stalled batch ends at its bound (1 s), not the command's 30 s");
	is_int(v4_batch_split(out, olen, err, elen, nonce, 3, f), 1, "what ran before the stall is delivered");
	is_str(f[0].out, "first\n", "the first command's output");
	ok(f[1].out && f[1].out_len == 0, "the stalled command's part: its output so far (none)");
	free_parts(f, 3);
	free(out);
	free(err);
	free(script);
	return tap_done();
}
