/* Batches: probes queued together (those of one NPU, which run one at a
 * time anyway; or a share of the node's other probes) run as one remote
 * script, one after another, each under its own timeout, and the output is
 * split back into one fact per probe. One session channel and remote shell
 * then serve several probes. Pure text work; the runner schedules, a
 * transport runs. */
#ifndef V4_BATCH_H
#define V4_BATCH_H

#include "v4.h"

#define V4_BATCH_MAX 8
#define V4_BATCH_NONCE_LEN 32

/* A fresh random marker word (hex), unguessable by the commands' output. */
void v4_batch_nonce(char nonce[V4_BATCH_NONCE_LEN + 1]);

/* The script running cmds[0..n) in order, each as `timeout -s KILL
 * timeout_s sh -c CMD` (plain words without the sh), followed on stdout by "\n<nonce> <exit> <t0> <t1>\n"
 * (t0, t1: the node's /proc/uptime around it) and on stderr by
 * "\n<nonce>\n". Caller frees. */
char *v4_batch_script(const char *const *cmds, size_t n, int timeout_s, const char *nonce);

/* Splits a batch's stdout and stderr into facts[0..]: output, exit status,
 * state (124/137 timeout, 127 not found), time. Returns how many commands
 * were delivered whole (both markers seen), in order; the others are left
 * untouched (zeroed by the caller). */
size_t v4_batch_split(const char *out, size_t out_len, const char *err, size_t err_len,
		      const char *nonce, size_t n, int timeout_s, struct v4_fact *facts);

#endif
