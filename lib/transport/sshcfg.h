/* The OpenSSH client config (~/.ssh/config, or -F FILE) for one host, read as
 * ssh_config(5) says: Host and Match blocks (Match all, host, originalhost,
 * user, localuser, each negatable), Include (globs; relative paths under
 * ~/.ssh), the first value of an option winning (IdentityFile adds up).
 *
 * Honoured: HostName, User, Port, IdentityFile, IdentitiesOnly,
 * IdentityAgent, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking,
 * HostKeyAlias, ConnectTimeout; options whose value is what v4check does
 * anyway (BatchMode yes, ForwardAgent no, ...) are taken silently. Every
 * other option, and Match exec / canonical / final / localnetwork / tagged,
 * is noted as not supported (file:line), never silently dropped. The
 * system-wide /etc/ssh/ssh_config is not read. */
#ifndef V4_SSHCFG_H
#define V4_SSHCFG_H

#include <stddef.h>

#define V4_SSHCFG_MAX_IDS 16
#define V4_SSHCFG_MAX_KH 8

struct v4_sshcfg {
	char *hostname;       /* HostName (%h expanded), or NULL */
	char *user;           /* User, or NULL */
	int port;             /* Port, 0 unset */
	char *ids[V4_SSHCFG_MAX_IDS]; /* IdentityFile, ~ and %-tokens expanded */
	size_t nids;
	int identities_only;  /* -1 unset, 0 no, 1 yes */
	char *identity_agent; /* IdentityAgent: NULL unset, "none", or a socket path */
	char *proxyjump;      /* ProxyJump as written ("none" included), or NULL */
	char *known_hosts[V4_SSHCFG_MAX_KH]; /* UserKnownHostsFile, expanded */
	size_t nkh;
	int strict;           /* StrictHostKeyChecking: -1 unset, 0 no, 1 yes/ask, 2 accept-new */
	char *hostkey_alias;  /* HostKeyAlias, or NULL */
	int connect_timeout;  /* ConnectTimeout in s, 0 unset */
};

/* Notes on what the config asks for and v4check does not do, each
 * "FILE:LINE: text", once each. */
struct v4_sshcfg_notes {
	char **v;
	size_t n, cap;
};

/* Resolves the config for host (as given) and remote user user (as given by
 * option or node, or NULL). path: the config file, or NULL for ~/.ssh/config
 * (a missing default file is empty; a missing given one is an error).
 * notes may be NULL. Returns 0, or -1 with *err (malformed line, include
 * loop). Free with v4_sshcfg_free. */
int v4_sshcfg_resolve(const char *path, const char *host, const char *user, struct v4_sshcfg *c,
		      struct v4_sshcfg_notes *notes, char **err);

void v4_sshcfg_free(struct v4_sshcfg *c);

/* One hop of a ProxyJump list: [user@]host[:port] or ssh://[user@]host[:port]. */
struct v4_sshjump {
	char *user, *host; /* user may be NULL */
	int port;          /* 0 unset */
};

/* Splits a ProxyJump value into its hops (in order, nearest first). -1 with
 * *err when malformed. Free with v4_sshjump_free. */
int v4_sshjump_parse(const char *spec, struct v4_sshjump **hops, size_t *n, char **err);
void v4_sshjump_free(struct v4_sshjump *hops, size_t n);

/* Collects the notes for host and, recursively, for its ProxyJump hops. */
int v4_sshcfg_notes_for(const char *path, const char *host, const char *user,
			struct v4_sshcfg_notes *notes, char **err);

void v4_sshcfg_notes_free(struct v4_sshcfg_notes *notes);

#endif
