/* Transports: how commands reach a node (this machine, SSH, a capture). */
#ifndef V4_TRANSPORT_H
#define V4_TRANSPORT_H

#include "v4.h"

struct v4_opts;

/* A transport runs commands on one node. Jobs are started, then pumped until
 * done; the runner owns timeouts, retries and per-device ordering. */
struct v4_transport {
	const char *name;
	/* Opens the node; on failure returns NULL and sets *err (caller frees). */
	void *(*open)(struct v4_node *n, const struct v4_opts *o, char **err);
	/* Starts cmd (probe id: for messages and replay); returns a job, or NULL
	 * with *err set. timeout_ms 0: cmd bounds its own time (a batch). */
	void *(*start)(void *conn, const char *id, const char *cmd, int timeout_ms, char **err);
	/* Makes progress on every job of conn, waiting at most wait_ms. */
	void (*pump)(void *conn, int wait_ms);
	/* When job is finished, fills f (output, exit, state) and frees the job: 1.
	 * Else 0. */
	int (*collect)(void *conn, void *job, struct v4_fact *f);
	/* Stops job at once (timeout): kills its process group; frees nothing. */
	void (*kill)(void *conn, void *job);
	/* Closes the node's connection. A broken connection gives 1. */
	void (*close)(void *conn);
	/* 1: commands run on another machine: each costs a session channel and a
	 * shell there (the runner batches them, see batch.h), and the node's clock
	 * is not the controller's (facts carry the controller's time window). */
	int remote;
	/* 1: every probe, HTTP ones included, is answered from a record (replay);
	 * 0: HTTP probes are asked of the node's API by the controller. */
	int recorded;
};

extern const struct v4_transport v4_transport_local;
extern const struct v4_transport v4_transport_replay;
extern const struct v4_transport v4_transport_ssh;

#endif
