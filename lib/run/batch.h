/* Batches: probes queued together (those of one NPU, which run one at a
 * time anyway; or a share of the node's other probes) run as one remote
 * script, one after another, and the output is split back into one fact per
 * probe. No process wraps a command: the script prints its process group
 * first, each command's end marker follows its output, and the runner,
 * watching the markers as they stream, kills the group when a command
 * stalls past its timeout (over another channel). One timeout bounds the
 * whole script, for a controller that is gone. Pure text work; the runner
 * schedules, a transport runs. */
#ifndef V4_BATCH_H
#define V4_BATCH_H

#include "v4.h"

#define V4_BATCH_MAX 16
#define V4_BATCH_NONCE_LEN 32

/* 1 when cmd is plain words (no quoting, expansion, operator or leading
 * assignment) naming no shell builtin that would act on the batch's shell:
 * a script can then run it as it is, without a subshell, and the agent
 * (cmd_agent.c) as an argv, without a shell. */
int v4_batch_plain_words(const char *cmd);

/* A fresh random marker word (hex), unguessable by the commands' output. */
void v4_batch_nonce(char nonce[V4_BATCH_NONCE_LEN + 1]);

/* The script running cmds[0..n) in order under `exec timeout -s KILL
 * limit_s sh -c ...`. It prints "<nonce>-pgid <pgid>\n" first; each command
 * runs as is (plain words) or in a subshell (`(eval CMD)`), followed on
 * stdout by "\n<nonce> <exit> <t0> <t1>\n" (t0, t1: the node's /proc/uptime
 * around it) and on stderr by "\n<nonce>\n". The script exits with the last
 * command's status. Caller frees. */
char *v4_batch_script(const char *const *cmds, size_t n, int limit_s, const char *nonce);

/* The process group a batch's stdout so far names, or 0 (not yet, or
 * malformed). */
long v4_batch_pgid(const char *out, size_t len, const char *nonce);

/* Counts the end markers in out[*pos..len) and moves *pos on (start at 0;
 * call again as output grows): how many more commands have ended. */
size_t v4_batch_ends(const char *out, size_t len, const char *nonce, size_t *pos);

/* Splits a batch's stdout and stderr into facts[0..]: output, exit status,
 * state (127 not found), time. Returns how many commands were delivered
 * whole (both markers seen), in order. When that is fewer than n,
 * facts[got] holds the output that came after (the command cut short; out
 * and err only); the others are left untouched (zeroed by the caller). */
size_t v4_batch_split(const char *out, size_t out_len, const char *err, size_t err_len,
		      const char *nonce, size_t n, struct v4_fact *facts);

#endif
