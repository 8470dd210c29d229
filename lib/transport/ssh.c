/* SSH transport: one libssh2 session per node. Agentless, probes run as
 * concurrent channels over it (batches: batch.h); in agent mode, one channel
 * runs `v4check agent` on the node and every probe is a frame on it
 * (agent.h), after a hello that names this version. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>

#include "agent.h"
#include "opts.h"
#include "transport.h"
#include "sshcfg.h"
#include "sshrelay.h"
#include "v4.h"

#define SSH_DEF_CONNECT_MS 10000
#define SSH_DEF_MAX_OUTPUT ((size_t)4 << 20)
#define SSH_READ_CHUNK 32768
#define SSH_MAX_IDS (V4_SSHCFG_MAX_IDS + 1)
#define SSH_MAX_DEPTH 8 /* jump hosts in front of a node */
#define SSH_KH_MAX ((size_t)64 << 20)
#define SSH_KILL_WAIT_MS 5000
/* The agent's own timeout of a probe is the runner's and this: the runner's
 * kill comes first, the agent's bounds a probe whose controller is gone. */
#define SSH_AGENT_GRACE_MS 2000

/* ---- types ---- */

enum job_state { J_OPEN, J_EXEC, J_RUN, J_WAIT, J_DONE };

struct ssh_job {
	struct ssh_job *next;
	enum job_state st;
	LIBSSH2_CHANNEL *ch;
	char *id, *cmd, *wrapped;
	int timeout_s;
	struct sbuf out, err;
	int truncated;
	int exit_code;
	int killed, failed;
	int internal; /* the runner's kill of a process group: nobody collects it */
	int agent;    /* a frame on the agent's channel, not a channel of its own */
	uint32_t aid; /* its RUN id there */
	int timeout_ms;
	char *reason;
	double t0, t1;
};

/* A channel whose job is over but which still has to be closed and freed. */
struct ssh_zombie {
	struct ssh_zombie *next;
	LIBSSH2_CHANNEL *ch;
};

struct ssh_conn {
	int fd;
	LIBSSH2_SESSION *s;
	char *host;          /* for messages */
	size_t max_output;
	struct ssh_job *jobs; /* in start order */
	struct ssh_zombie *zombies;
	int open_pending;    /* a channel open returned EAGAIN and is unfinished */
	int open_limit;      /* channels the server allows (learnt), 0 unknown */
	int drained;         /* this sweep pass has read the socket dry */
	int nchannels;       /* channels held, jobs and zombies */
	int broken;
	char *path_prefix;   /* v4_tool_path_prefix of tools.path */
	LIBSSH2_CHANNEL *ach; /* agent mode: the channel `v4check agent` runs on */
	struct sbuf aout;     /* frames for it not yet written (from aout_off) */
	size_t aout_off;
	struct sbuf ain;      /* what it sent that is not yet a whole frame */
	uint32_t anext;       /* the last RUN id */
	char *agent_lost;     /* why the agent is gone (then starts fail), or NULL */
	struct ssh_conn *jump;       /* ProxyJump: the session this one runs through */
	struct v4_ssh_relay *relay;  /* and the relay over it that fd is joined to */
};

/* Where and as whom to connect, after options and ~/.ssh/config. */
struct ssh_target {
	char *host, *user, *display;
	int port;
	char *ids[SSH_MAX_IDS];
	size_t nids;
	int ids_given;     /* named by option or config, not the defaults */
	char *khost;       /* the name known_hosts lists it under (HostKeyAlias or host) */
	char *khdisplay;   /* khost as a known_hosts entry ("[h]:p" off port 22) */
	char *kh[V4_SSHCFG_MAX_KH]; /* known_hosts files; new keys go to the first */
	size_t nkh;
	int accept_new;
	int agent;         /* 0: no agent (IdentitiesOnly, IdentityAgent none) */
	char *agent_path;  /* IdentityAgent socket, or NULL for SSH_AUTH_SOCK */
	char *jump;        /* ProxyJump hops, or NULL */
	int connect_ms;
};

/* ---- library init ---- */

static pthread_once_t ssh_once = PTHREAD_ONCE_INIT;
static int ssh_init_rc;
static pthread_mutex_t kh_lock = PTHREAD_MUTEX_INITIALIZER;

/* Initialises libssh2 once per process. */
static void ssh_global_init(void)
{
	ssh_init_rc = libssh2_init(0);
}

/* ---- small helpers ---- */

/* strerror that is safe in threads. */
static const char *errstr(int e, char *buf, size_t n)
{
	return strerror_r(e, buf, n);
}

/* The last libssh2 error message of session s. */
static const char *ssh_errmsg(LIBSSH2_SESSION *s)
{
	char *msg = NULL;
	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg && *msg ? msg : "unknown error";
}

/* The user's home folder. */
static char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return xstrdup(h);
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
		return xstrdup(pw.pw_dir);
	return xstrdup("/");
}

/* The name of the user running this process. */
static char *current_user(void)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
		return xstrdup(pw.pw_name);
	const char *u = getenv("USER");
	return xstrdup(u ? u : "root");
}

/* Expands a leading ~ and the tokens %d (home), %h (host), %% in v. */
static char *expand_path(const char *v, const char *host, const char *home)
{
	struct sbuf b = {0};
	if (v[0] == '~' && (v[1] == '/' || v[1] == 0)) {
		sbuf_adds(&b, home);
		v++;
	}
	for (; *v; v++) {
		if (v[0] == '%' && v[1] == 'd')
			sbuf_adds(&b, home), v++;
		else if (v[0] == '%' && v[1] == 'h')
			sbuf_adds(&b, host), v++;
		else if (v[0] == '%' && v[1] == '%')
			sbuf_add(&b, "%", 1), v++;
		else
			sbuf_add(&b, v, 1);
	}
	return sbuf_take(&b);
}

/* Milliseconds left until deadline, at least 1. */
static long ms_left(double deadline)
{
	double left = deadline - now_ms();
	return left < 1 ? 1 : (long)left;
}

/* Bounds the next blocking libssh2 call by the deadline. */
static void set_deadline(LIBSSH2_SESSION *s, double deadline)
{
	libssh2_session_set_timeout(s, ms_left(deadline));
}

/* ---- target ---- */

/* Frees a target. */
static void target_free(struct ssh_target *t)
{
	free(t->host);
	free(t->user);
	free(t->display);
	free(t->khost);
	free(t->khdisplay);
	free(t->agent_path);
	free(t->jump);
	for (size_t i = 0; i < t->nids; i++)
		free(t->ids[i]);
	for (size_t i = 0; i < t->nkh; i++)
		free(t->kh[i]);
}

/* Picks the identity files to try: the option, else config, else the defaults. */
static void target_ids(struct ssh_target *t, const char *identity, struct v4_sshcfg *c,
		       const char *home)
{
	static const char *const defs[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	t->ids_given = identity || c->nids;
	if (identity)
		t->ids[t->nids++] = expand_path(identity, t->host, home);
	for (size_t i = 0; i < c->nids; i++) {
		t->ids[t->nids++] = c->ids[i];
		c->ids[i] = NULL;
	}
	c->nids = 0;
	for (size_t i = 0; !t->ids_given && i < V4_ARRAY_LEN(defs); i++)
		t->ids[t->nids++] = xasprintf("%s/.ssh/%s", home, defs[i]);
}

/* Host key settings: --known-hosts, else UserKnownHostsFile, else ~/.ssh/known_hosts. */
static void target_keys(struct ssh_target *t, const struct v4_opts *o, struct v4_sshcfg *c,
			const char *home)
{
	if (o->known_hosts) {
		t->kh[t->nkh++] = expand_path(o->known_hosts, t->host, home);
	} else if (c->nkh) {
		for (size_t i = 0; i < c->nkh; i++) {
			t->kh[t->nkh++] = c->known_hosts[i];
			c->known_hosts[i] = NULL;
		}
		c->nkh = 0;
	} else {
		t->kh[t->nkh++] = xasprintf("%s/.ssh/known_hosts", home);
	}
	t->accept_new = o->accept_new_host_keys || c->strict == 2 || c->strict == 0;
	t->khost = xstrdup(c->hostkey_alias ? c->hostkey_alias : t->host);
	t->khdisplay = t->port == 22 ? xstrdup(t->khost) : xasprintf("[%s]:%d", t->khost, t->port);
}

/* Works out host, user, port, keys and jump hosts for the host name (a node's,
 * or a jump host's: those take -l, -p and -i from their ProxyJump entry and
 * ssh config only, as OpenSSH's jump hosts do). */
static int target_resolve(const char *name, const char *user, int port, int hop,
			  const struct v4_opts *o, struct ssh_target *t, char **err)
{
	struct v4_sshcfg c;
	if (!name || !*name) {
		*err = xstrdup("node has no host to connect to");
		return -1;
	}
	if (!hop && !user)
		user = o->user;
	if (!hop && port <= 0)
		port = o->port;
	if (v4_sshcfg_resolve(o->ssh_config, name, user, &c, NULL, err) < 0)
		return -1;
	char *home = home_dir();
	t->host = xstrdup(c.hostname ? c.hostname : name);
	const char *fb_user = hop ? NULL : o->cfg_user;
	int fb_port = hop ? 0 : o->cfg_port;
	t->user = user ? xstrdup(user) : c.user ? xstrdup(c.user)
		: fb_user ? xstrdup(fb_user) : current_user();
	t->port = port > 0 ? port : c.port > 0 ? c.port : fb_port > 0 ? fb_port : 22;
	t->display = t->port == 22 ? xstrdup(t->host) : xasprintf("[%s]:%d", t->host, t->port);
	target_ids(t, hop ? NULL : o->identity, &c, home);
	target_keys(t, o, &c, home);
	t->agent = c.identities_only != 1 && !(c.identity_agent && !strcmp(c.identity_agent, "none"));
	if (c.identity_agent && strcmp(c.identity_agent, "none") &&
	    strcmp(c.identity_agent, "SSH_AUTH_SOCK"))
		t->agent_path = xstrdup(c.identity_agent);
	if (c.proxyjump && strcasecmp(c.proxyjump, "none"))
		t->jump = xstrdup(c.proxyjump);
	t->connect_ms = c.connect_timeout && o->connect_timeout_ms == 5000 ? c.connect_timeout * 1000
									     : o->connect_timeout_ms;
	v4_sshcfg_free(&c);
	free(home);
	return 0;
}

/* ---- TCP ---- */

/* Connects one address without blocking past deadline; returns fd or -1 and *e. */
static int try_connect(const struct addrinfo *ai, double deadline, int *e)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0) {
		*e = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*e = errno;
		close(fd);
		return -1;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;
	do
		r = poll(&p, 1, (int)ms_left(deadline));
	while (r < 0 && errno == EINTR && now_ms() < deadline);
	socklen_t sl = sizeof *e;
	if (r <= 0)
		*e = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, e, &sl) < 0)
		*e = errno;
	if (r > 0 && *e == 0)
		return fd;
	close(fd);
	return -1;
}

/* Resolves and connects to the target with TCP_NODELAY set; -1 and *err on failure. */
static int tcp_connect(const struct ssh_target *t, double deadline, int timeout_ms, char **err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
	char port[16], eb[128];
	snprintf(port, sizeof port, "%d", t->port);
	int rc = getaddrinfo(t->host, port, &hints, &res);
	if (rc) {
		*err = xasprintf("cannot resolve %s: %s", t->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, e = ETIMEDOUT;
	for (ai = res; ai && fd < 0 && now_ms() < deadline; ai = ai->ai_next)
		fd = try_connect(ai, deadline, &e);
	freeaddrinfo(res);
	if (fd < 0) {
		if (e == ETIMEDOUT)
			*err = xasprintf("connect to %s port %d: timed out after %d ms", t->host,
					 t->port, timeout_ms);
		else
			*err = xasprintf("connect to %s port %d: %s", t->host, t->port,
					 errstr(e, eb, sizeof eb));
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* ---- known_hosts ---- */

/* The known_hosts key type for a libssh2 host key type. */
static int kh_keytype(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

/* Loads known_hosts line by line, skipping lines libssh2 cannot parse
 * (markers, unsupported key types). A missing file is empty. */
static void kh_load(LIBSSH2_KNOWNHOSTS *kh, const char *path)
{
	char *text;
	size_t len, pos = 0, n;
	const char *line;
	if (read_file(path, SSH_KH_MAX, &text, &len) < 0)
		return;
	while (next_line(text, len, &pos, &line, &n)) {
		if (!n)
			continue;
		char *l = xasprintf("%.*s\n", (int)n, line); /* libssh2 wants the newline */
		libssh2_knownhost_readline(kh, l, n + 1, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
		free(l);
	}
	free(text);
}

/* 1 when known_hosts holds a key of type kt for the target (of any value). */
static int kh_has_type(LIBSSH2_KNOWNHOSTS *kh, const struct ssh_target *t, int kt)
{
	static const char probe[] = "\x01"; /* never a real key: a hit is a MISMATCH */
	int r = libssh2_knownhost_checkp(kh, t->khost, t->port, probe, 1,
					 LIBSSH2_KNOWNHOST_TYPE_PLAIN |
						 LIBSSH2_KNOWNHOST_KEYENC_RAW | kt, NULL);
	return r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH || r == LIBSSH2_KNOWNHOST_CHECK_MATCH;
}

/* Appends to b (comma-separated) the algorithms of the list algs that this
 * libssh2 supports: libssh2 1.10 mishandles unknown names in method_pref. */
static void add_supported(struct sbuf *b, const char *algs, const char **sup, int nsup)
{
	for (const char *p = algs; *p;) {
		size_t n = strcspn(p, ",");
		for (int k = 0; k < nsup; k++)
			if (strlen(sup[k]) == n && strncmp(sup[k], p, n) == 0) {
				if (b->len)
					sbuf_add(b, ",", 1);
				sbuf_add(b, p, n);
				break;
			}
		p += n + (p[n] == ',');
	}
}

/* Asks the server for a host key type we already know for it first (as OpenSSH does). */
static void kh_prefer(LIBSSH2_SESSION *s, LIBSSH2_KNOWNHOSTS *kh, const struct ssh_target *t)
{
	static const struct { int kt; const char *alg; } algs[] = {
		{LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519"},
		{LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256"},
		{LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384"},
		{LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521"},
		{LIBSSH2_KNOWNHOST_KEY_SSHRSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa"},
	};
	struct sbuf known = {0}, rest = {0};
	const char **sup = NULL;
	int nsup = libssh2_session_supported_algs(s, LIBSSH2_METHOD_HOSTKEY, &sup);
	for (size_t i = 0; i < V4_ARRAY_LEN(algs); i++) {
		struct sbuf *b = kh_has_type(kh, t, algs[i].kt) ? &known : &rest;
		add_supported(b, algs[i].alg, sup, nsup);
	}
	if (nsup > 0)
		libssh2_free(s, sup);
	if (known.len && rest.len)
		sbuf_add(&known, ",", 1);
	if (rest.len)
		sbuf_add(&known, rest.s, rest.len);
	if (known.len)
		libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, known.s);
	sbuf_free(&known);
	sbuf_free(&rest);
}

/* Appends one line to known_hosts (creating it and its folder), under a lock. */
static int kh_append(const char *path, const char *line, size_t n)
{
	pthread_mutex_lock(&kh_lock);
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0700); /* usually exists already */
	}
	free(dir);
	int rc = -1, fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		struct stat st;
		char last = '\n';
		if (fstat(fd, &st) == 0 && st.st_size > 0) {
			int rfd = open(path, O_RDONLY | O_CLOEXEC);
			if (rfd >= 0 && pread(rfd, &last, 1, st.st_size - 1) != 1)
				last = '\n';
			if (rfd >= 0)
				close(rfd);
		}
		rc = (last == '\n' || write(fd, "\n", 1) == 1) &&
		     write(fd, line, n) == (ssize_t)n ? 0 : -1;
		if (close(fd) < 0)
			rc = -1;
	}
	pthread_mutex_unlock(&kh_lock);
	return rc;
}

/* Adds the server's key to known_hosts (accept-new). */
static int kh_accept(LIBSSH2_KNOWNHOSTS *kh, const char *path, const struct ssh_target *t,
		     const char *key, size_t klen, int kt, char **err)
{
	struct libssh2_knownhost *e = NULL;
	char line[8192];
	size_t n = 0;
	char eb[128];
	if (libssh2_knownhost_addc(kh, t->khdisplay, NULL, key, klen, NULL, 0,
				   LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt,
				   &e) ||
	    libssh2_knownhost_writeline(kh, e, line, sizeof line, &n,
					LIBSSH2_KNOWNHOST_FILE_OPENSSH)) {
		*err = xasprintf("cannot record host key for %s", t->display);
		return -1;
	}
	if (kh_append(path, line, n) < 0) {
		*err = xasprintf("cannot add host key for %s to %s: %s", t->display, path,
				 errstr(errno, eb, sizeof eb));
		return -1;
	}
	return 0;
}

/* Checks the server's host key against known_hosts; 0 when trusted. */
static int kh_verify(LIBSSH2_SESSION *s, LIBSSH2_KNOWNHOSTS *kh, const char *path,
		     const struct ssh_target *t, int accept_new, char **err)
{
	size_t klen = 0;
	int type = 0;
	const char *key = libssh2_session_hostkey(s, &klen, &type);
	if (!key) {
		*err = xasprintf("no host key from %s", t->display);
		return -1;
	}
	int kt = kh_keytype(type);
	int r = libssh2_knownhost_checkp(kh, t->khost, t->port, key, klen,
					 LIBSSH2_KNOWNHOST_TYPE_PLAIN |
						 LIBSSH2_KNOWNHOST_KEYENC_RAW | kt, NULL);
	if (r == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		return 0;
	if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		*err = xasprintf("host key for %s CHANGED (possible man-in-the-middle); refusing",
				 t->display);
		return -1;
	}
	if (r == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND && accept_new)
		return kh_accept(kh, path, t, key, klen, kt, err);
	if (r == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND)
		*err = xasprintf("host key for %s not in known_hosts (use --accept-new-host-keys)",
				 t->display);
	else
		*err = xasprintf("cannot check host key for %s", t->display);
	return -1;
}

/* ---- session ---- */

/* Runs the SSH handshake within the deadline and verifies the host key. */
static int session_start(struct ssh_conn *c, const struct ssh_target *t, double deadline,
			 char **err)
{
	c->s = libssh2_session_init();
	if (!c->s) {
		*err = xstrdup("cannot create SSH session");
		return -1;
	}
	libssh2_session_set_blocking(c->s, 1);
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->s);
	for (size_t i = 0; i < t->nkh; i++)
		kh_load(kh, t->kh[i]);
	kh_prefer(c->s, kh, t);
	set_deadline(c->s, deadline);
	int rc = libssh2_session_handshake(c->s, c->fd);
	if (rc == LIBSSH2_ERROR_TIMEOUT || (rc && now_ms() >= deadline))
		*err = xasprintf("SSH handshake with %s timed out (no SSH banner or reply)",
				 t->display);
	else if (rc)
		*err = xasprintf("SSH handshake with %s failed: %s", t->display, ssh_errmsg(c->s));
	else
		rc = kh_verify(c->s, kh, t->kh[0], t, t->accept_new, err);
	libssh2_knownhost_free(kh);
	return rc ? -1 : 0;
}

/* ---- authentication ---- */

/* Notes one tried method for the failure message. */
static void tried_add(struct sbuf *tried, const char *what)
{
	if (tried->len)
		sbuf_adds(tried, ", ");
	sbuf_adds(tried, what);
}

/* Tries every key the ssh-agent holds; 0 on success. */
static int auth_agent(LIBSSH2_SESSION *s, const struct ssh_target *t, double deadline,
		      struct sbuf *tried)
{
	LIBSSH2_AGENT *a = libssh2_agent_init(s);
	int rc = -1, n = 0;
	if (a && t->agent_path)
		libssh2_agent_set_identity_path(a, t->agent_path);
	if (!a || libssh2_agent_connect(a) || libssh2_agent_list_identities(a)) {
		tried_add(tried, "ssh-agent (unavailable)");
		goto out;
	}
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	while (rc && now_ms() < deadline && libssh2_agent_get_identity(a, &id, prev) == 0) {
		n++;
		set_deadline(s, deadline);
		rc = libssh2_agent_userauth(a, t->user, id) ? -1 : 0;
		prev = id;
	}
	if (rc) {
		char *w = xasprintf("ssh-agent (%d key%s)", n, n == 1 ? "" : "s");
		tried_add(tried, w);
		free(w);
	}
	libssh2_agent_disconnect(a);
out:
	if (a)
		libssh2_agent_free(a);
	return rc;
}

/* Tries one private key file (passphrase only from V4CHECK_KEY_PASSPHRASE); 0 on success. */
static int auth_keyfile(LIBSSH2_SESSION *s, const struct ssh_target *t, const char *path,
			double deadline, struct sbuf *tried)
{
	if (access(path, R_OK) < 0) {
		if (t->ids_given) { /* absent default keys are not worth mentioning */
			char *w = xasprintf("%s (missing)", path);
			tried_add(tried, w);
			free(w);
		}
		return -1;
	}
	const char *pass = getenv("V4CHECK_KEY_PASSPHRASE");
	set_deadline(s, deadline);
	int rc = libssh2_userauth_publickey_fromfile_ex(s, t->user, (unsigned)strlen(t->user),
							NULL, path, pass);
	if (rc == 0)
		return 0;
	const char *why = rc == LIBSSH2_ERROR_FILE ? (pass ? "unreadable or wrong passphrase"
						      : "unreadable, or encrypted and "
							"V4CHECK_KEY_PASSPHRASE unset")
			: rc == LIBSSH2_ERROR_TIMEOUT ? "timed out"
						      : "rejected";
	char *w = xasprintf("%s (%s)", path, why);
	tried_add(tried, w);
	free(w);
	return -1;
}

/* Logs in with the agent, then key files; 0 on success, else *err lists what was tried. */
static int auth(struct ssh_conn *c, const struct ssh_target *t, double deadline, char **err)
{
	set_deadline(c->s, deadline);
	const char *methods = libssh2_userauth_list(c->s, t->user, (unsigned)strlen(t->user));
	if (!methods && libssh2_userauth_authenticated(c->s))
		return 0;
	if (!methods) {
		*err = xasprintf("cannot start authentication with %s: %s", t->display,
				 ssh_errmsg(c->s));
		return -1;
	}
	char *offered = xstrdup(methods);
	struct sbuf tried = {0};
	int rc = -1;
	if (!strstr(offered, "publickey"))
		tried_add(&tried, "nothing: server does not accept public keys");
	else if (t->agent && (t->agent_path || (getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK"))))
		rc = auth_agent(c->s, t, deadline, &tried);
	for (size_t i = 0; rc && strstr(offered, "publickey") && i < t->nids; i++)
		rc = auth_keyfile(c->s, t, t->ids[i], deadline, &tried);
	if (rc)
		*err = xasprintf("authentication failed for %s@%s (tried: %s; server accepts: %s)",
				 t->user, t->display, tried.len ? tried.s : "no key found",
				 offered);
	free(offered);
	sbuf_free(&tried);
	return rc;
}

/* ---- connection ---- */

/* Frees a job and its buffers. */
static void job_free(struct ssh_job *j)
{
	sbuf_free(&j->out);
	sbuf_free(&j->err);
	free(j->id);
	free(j->cmd);
	free(j->wrapped);
	free(j->reason);
	free(j);
}

/* Frees a connection and everything it holds. */
static void conn_free(struct ssh_conn *c)
{
	free(c->path_prefix);
	sbuf_free(&c->aout);
	sbuf_free(&c->ain);
	free(c->agent_lost);
	while (c->jobs) {
		struct ssh_job *j = c->jobs;
		c->jobs = j->next;
		job_free(j);
	}
	while (c->zombies) {
		struct ssh_zombie *z = c->zombies;
		c->zombies = z->next;
		free(z);
	}
	if (c->s) {
		if (!c->broken) {
			libssh2_session_set_blocking(c->s, 1);
			libssh2_session_set_timeout(c->s, 1000);
			libssh2_session_disconnect(c->s, "v4check done");
		}
		libssh2_session_free(c->s); /* frees any channel left */
	}
	if (c->fd >= 0)
		close(c->fd);
	v4_ssh_relay_stop(c->relay); /* then the jump host's session is ours again */
	if (c->jump) {
		c->jump->broken |= c->broken;
		conn_free(c->jump);
	}
	free(c->host);
	free(c);
}

static struct ssh_conn *conn_open(const struct ssh_target *t, const struct v4_opts *o,
				  double deadline, int depth, char **err);

/* Hop i of a ProxyJump list as a target: user and port from the entry, the
 * rest from ssh config; reached through the hops before it, or, for the
 * first, through its own ProxyJump. */
static int hop_target(const struct v4_sshjump *h, size_t i, const struct v4_opts *o,
		      struct ssh_target *ht, char **err)
{
	if (target_resolve(h[i].host, h[i].user, h[i].port, 1, o, ht, err) < 0)
		return -1;
	if (i > 0) {
		struct sbuf b = {0};
		for (size_t k = 0; k < i; k++) {
			int v6 = strchr(h[k].host, ':') != NULL;
			sbuf_printf(&b, "%s%s%s%s%s%s", k ? "," : "", h[k].user ? h[k].user : "",
				    h[k].user ? "@" : "", v6 ? "[" : "", h[k].host, v6 ? "]" : "");
			if (h[k].port > 0)
				sbuf_printf(&b, ":%d", h[k].port);
		}
		free(ht->jump);
		ht->jump = sbuf_take(&b);
	}
	return 0;
}

/* Connects to t's last jump host (and so on, recursively) and opens a relay
 * to t over it; the socket for t's session, or -1 with *err. */
static int jump_socket(struct ssh_conn *c, const struct ssh_target *t, const struct v4_opts *o,
		       double deadline, int depth, char **err)
{
	struct v4_sshjump *h;
	size_t n;
	struct ssh_target ht = {0};
	char *e = NULL;
	int fd = -1;
	if (depth >= SSH_MAX_DEPTH) {
		*err = xasprintf("more than %d jump hosts in front of %s (a ProxyJump loop?)",
				 SSH_MAX_DEPTH, t->display);
		return -1;
	}
	if (v4_sshjump_parse(t->jump, &h, &n, err) < 0)
		return -1;
	if (hop_target(h, n - 1, o, &ht, &e) == 0 && (c->jump = conn_open(&ht, o, deadline, depth + 1, &e))) {
		set_deadline(c->jump->s, deadline);
		fd = v4_ssh_relay_start(c->jump->s, c->jump->fd, t->host, t->port, &c->relay, &e);
	}
	if (fd < 0) {
		*err = xasprintf("via jump host %s: %s", ht.display ? ht.display : h[n - 1].host, e);
		if (c->jump) {
			c->jump->broken = 1;
			conn_free(c->jump);
			c->jump = NULL;
		}
	}
	free(e);
	target_free(&ht);
	v4_sshjump_free(h, n);
	return fd;
}

/* Connects (directly or through the jump hosts), checks the host key and logs in. */
static struct ssh_conn *conn_open(const struct ssh_target *t, const struct v4_opts *o,
				  double deadline, int depth, char **err)
{
	struct ssh_conn *c = xcalloc(1, sizeof *c);
	c->host = xstrdup(t->display);
	c->max_output = o->max_output ? o->max_output : SSH_DEF_MAX_OUTPUT;
	c->path_prefix = v4_tool_path_prefix(o->tool_path);
	c->fd = t->jump ? jump_socket(c, t, o, deadline, depth, err)
			: tcp_connect(t, deadline, t->connect_ms, err);
	if (c->fd < 0 || session_start(c, t, deadline, err) < 0 || auth(c, t, deadline, err) < 0) {
		c->broken = 1; /* no polite disconnect */
		conn_free(c);
		return NULL;
	}
	return c;
}

static int agent_hello(struct ssh_conn *c, double until, char **why);
static void agent_close(struct ssh_conn *c, double until);
static void ssh_close(void *conn);

/* Chooses node n's mode by --agent: the agent when it says hello with this
 * version (never: not asked), else agentless; -1 with *err under require. */
static int agent_mode(struct ssh_conn *c, struct v4_node *n, const struct v4_opts *o, char **err)
{
	char *why = NULL;
	n->mode = V4_MODE_AGENTLESS;
	free(n->mode_why);
	n->mode_why = NULL;
	if (o->agent == V4_AGENT_NEVER)
		return 0;
	int ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : SSH_DEF_CONNECT_MS;
	if (agent_hello(c, now_ms() + ms, &why) == 0) {
		n->mode = V4_MODE_AGENT;
		n->scripts++; /* the agent's one channel */
		return 0;
	}
	if (o->agent == V4_AGENT_REQUIRE) {
		*err = xasprintf("--agent require: %s", why);
		free(why);
		return -1;
	}
	n->mode_why = why;
	return 0;
}

/* Connects, checks the host key and logs in to node n. */
static void *ssh_open(struct v4_node *n, const struct v4_opts *o, char **err)
{
	pthread_once(&ssh_once, ssh_global_init);
	if (ssh_init_rc) {
		*err = xstrdup("cannot initialise libssh2");
		return NULL;
	}
	struct ssh_target t = {0};
	if (target_resolve(n->host ? n->host : n->name, n->user, n->port, 0, o, &t, err) < 0)
		return NULL;
	double t0 = now_ms();
	if (t.connect_ms <= 0)
		t.connect_ms = SSH_DEF_CONNECT_MS;
	struct ssh_conn *c = conn_open(&t, o, t0 + t.connect_ms, 0, err);
	target_free(&t);
	if (!c)
		return NULL;
	libssh2_session_set_blocking(c->s, 0);
	libssh2_session_set_timeout(c->s, 0);
	n->connect_ms = now_ms() - t0;
	if (agent_mode(c, n, o, err) < 0) {
		ssh_close(c);
		return NULL;
	}
	return c;
}

static void ssh_pump(void *conn, int wait_ms);
static int conn_killing(const struct ssh_conn *c);

/* Closes the node's connection and frees it, once the process group kills
 * it carries have run (at most SSH_KILL_WAIT_MS). */
static void ssh_close(void *conn)
{
	struct ssh_conn *c = conn;
	if (!c)
		return;
	double until = now_ms() + SSH_KILL_WAIT_MS;
	while (!c->broken && conn_killing(c) && now_ms() < until)
		ssh_pump(c, 50);
	agent_close(c, now_ms() + SSH_KILL_WAIT_MS);
	conn_free(c);
}

/* 1 when a libssh2 error means the connection itself is gone. */
static int conn_error(int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_SOCKET_SEND:
	case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT:
	case LIBSSH2_ERROR_BAD_SOCKET:
	case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_DECRYPT:
	case LIBSSH2_ERROR_ENCRYPT:
	case LIBSSH2_ERROR_INVALID_MAC:
	case LIBSSH2_ERROR_KEX_FAILURE:
	case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE:
	case LIBSSH2_ERROR_PROTO:
		return 1;
	default:
		return 0;
	}
}

/* Ends a job now (finished, failed or killed). */
static void job_finish(struct ssh_job *j)
{
	j->st = J_DONE;
	j->t1 = now_ms();
}

/* Marks the connection broken and every unfinished job failed. */
static void conn_lost(struct ssh_conn *c)
{
	c->broken = 1;
	for (struct ssh_job *j = c->jobs; j; j = j->next) {
		if (j->st == J_DONE)
			continue;
		j->ch = NULL; /* libssh2_session_free takes it */
		j->failed = 1;
		free(j->reason);
		j->reason = xstrdup("connection lost");
		job_finish(j);
	}
}

/* Hands a job's channel to the zombie list, to be freed without waiting. */
static void job_drop_channel(struct ssh_conn *c, struct ssh_job *j)
{
	if (!j->ch)
		return;
	struct ssh_zombie *z = xcalloc(1, sizeof *z);
	z->ch = j->ch;
	z->next = c->zombies;
	c->zombies = z;
	j->ch = NULL;
}

/* Fails job j after libssh2 error rc in step what (or the whole connection). */
static void job_error(struct ssh_conn *c, struct ssh_job *j, int rc, const char *what)
{
	if (conn_error(rc)) {
		conn_lost(c);
		return;
	}
	j->failed = 1;
	free(j->reason);
	j->reason = xasprintf("%s failed: %s", what, ssh_errmsg(c->s));
	job_drop_channel(c, j);
	job_finish(j);
}

/* Frees zombie channels as far as possible; 1 when any went. */
static int zombies_step(struct ssh_conn *c)
{
	int progress = 0;
	struct ssh_zombie **pz = &c->zombies;
	while (*pz && !c->broken) {
		int rc = libssh2_channel_free((*pz)->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			pz = &(*pz)->next;
			continue;
		}
		struct ssh_zombie *z = *pz;
		*pz = z->next;
		free(z);
		c->nchannels--;
		progress = 1;
		if (rc && conn_error(rc))
			conn_lost(c);
	}
	return progress;
}

/* ---- jobs ---- */

/* Opens a session channel (one open at a time per session); NULL with *rc. */
static LIBSSH2_CHANNEL *chan_open(struct ssh_conn *c, int *rc)
{
	LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(c->s);
	*rc = ch ? 0 : libssh2_session_last_errno(c->s);
	c->open_pending = *rc == LIBSSH2_ERROR_EAGAIN;
	if (ch)
		c->nchannels++;
	return ch;
}

/* Gives queued jobs channels while the server allows; 1 on progress. */
static int jobs_open(struct ssh_conn *c)
{
	int progress = 0, rc, queued = 0;
	for (struct ssh_job *j = c->jobs; j && !c->broken; j = j->next) {
		if (j->st != J_OPEN)
			continue;
		queued = 1;
		if (c->open_limit && c->nchannels >= c->open_limit)
			break;
		j->ch = chan_open(c, &rc);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			break;
		progress = 1;
		if (j->ch) {
			j->st = J_EXEC;
		} else if (rc == LIBSSH2_ERROR_CHANNEL_FAILURE && c->nchannels > 0) {
			c->open_limit = c->nchannels; /* sshd MaxSessions: wait for a slot */
			break;
		} else {
			job_error(c, j, rc, "channel open");
		}
	}
	if (!queued && c->open_pending && !c->broken) {
		/* the job that asked was killed: finish the open and drop the channel */
		struct ssh_job tmp = {0};
		tmp.ch = chan_open(c, &rc);
		job_drop_channel(c, &tmp);
		if (rc && rc != LIBSSH2_ERROR_EAGAIN && conn_error(rc))
			conn_lost(c);
	}
	return progress;
}

/* Keeps data read from a stream, up to the cap; the rest is counted as cut. */
static void job_keep(struct ssh_conn *c, struct ssh_job *j, struct sbuf *b, const char *p,
		     size_t n)
{
	size_t room = b->len < c->max_output ? c->max_output - b->len : 0;
	if (n > room) {
		j->truncated = 1;
		n = room;
	}
	if (n)
		sbuf_add(b, p, n);
}

/* Reads whatever stdout and stderr hold; 1 on progress, 0 none, <0 libssh2 error.
 * The first read of a sweep pass reads the socket dry into libssh2's queue;
 * after it, a channel is read only when the queue holds data for it (each
 * read would otherwise cost a recv() that finds nothing). */
static int job_read(struct ssh_conn *c, struct ssh_job *j)
{
	char buf[SSH_READ_CHUNK];
	int progress = 0;
	for (int stream = 0; stream < 2; stream++) {
		for (;;) {
			if (c->drained && libssh2_poll_channel_read(j->ch, stream) != 1)
				break;
			c->drained = 1;
			ssize_t r = libssh2_channel_read_ex(j->ch, stream, buf, sizeof buf);
			if (r == LIBSSH2_ERROR_EAGAIN || r == 0)
				break;
			if (r < 0)
				return (int)r;
			job_keep(c, j, stream ? &j->err : &j->out, buf, (size_t)r);
			progress = 1;
		}
	}
	return progress;
}

/* The number of a signal name as sshd reports it ("KILL"). */
static int signum(const char *name)
{
	static const struct { const char *n; int v; } sigs[] = {
		{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"ABRT", 6}, {"FPE", 8},
		{"KILL", 9}, {"SEGV", 11}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15},
	};
	for (size_t i = 0; i < V4_ARRAY_LEN(sigs); i++)
		if (!strcmp(name, sigs[i].n))
			return sigs[i].v;
	return 0;
}

/* Reads exit status (or exit signal as 128+n) once the channel is closed. */
static void job_exit(struct ssh_conn *c, struct ssh_job *j)
{
	char *sig = NULL;
	size_t siglen = 0;
	j->exit_code = libssh2_channel_get_exit_status(j->ch);
	if (libssh2_channel_get_exit_signal(j->ch, &sig, &siglen, NULL, NULL, NULL, NULL) == 0 &&
	    sig) {
		int n = signum(sig);
		j->exit_code = 128 + n;
		if (n != 9 && n != 15) {
			free(j->reason);
			j->reason = xasprintf("killed by signal %s", sig);
		}
		libssh2_free(c->s, sig);
	}
}

/* Advances a running job: read, then on EOF wait for close and the exit status. */
static int job_step_run(struct ssh_conn *c, struct ssh_job *j)
{
	int rc, moved = 0;
	if (j->st == J_RUN) {
		rc = job_read(c, j);
		if (rc < 0) {
			job_error(c, j, rc, "read");
			return 1;
		}
		if (!libssh2_channel_eof(j->ch))
			return rc;
		j->st = J_WAIT;
		moved = 1;
	}
	rc = libssh2_channel_wait_closed(j->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return moved;
	if (rc) {
		job_error(c, j, rc, "close");
		return 1;
	}
	job_exit(c, j);
	job_drop_channel(c, j);
	job_finish(j);
	return 1;
}

/* Advances one job as far as it goes without blocking; 1 on progress. */
static int job_step(struct ssh_conn *c, struct ssh_job *j)
{
	if (j->agent)
		return 0; /* agent_step moves it */
	if (j->st == J_EXEC) {
		int rc = libssh2_channel_process_startup(j->ch, "exec", 4, j->wrapped,
							 (unsigned)strlen(j->wrapped));
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (rc) {
			job_error(c, j, rc, "exec");
			return 1;
		}
		j->st = J_RUN;
		job_step_run(c, j);
		return 1;
	}
	if (j->st == J_RUN || j->st == J_WAIT)
		return job_step_run(c, j);
	return 0;
}

static void job_unlink(struct ssh_conn *c, struct ssh_job *j);
static int agent_step(struct ssh_conn *c);

/* Frees the finished jobs nobody collects (process group kills). */
static void internal_reap(struct ssh_conn *c)
{
	struct ssh_job *j = c->jobs;
	while (j) {
		struct ssh_job *next = j->next;
		if (j->internal && j->st == J_DONE) {
			job_unlink(c, j);
			job_free(j);
		}
		j = next;
	}
}

/* One sweep over all jobs until nothing moves; returns jobs finished. */
static int conn_sweep(struct ssh_conn *c)
{
	int finished = 0, progress;
	do {
		c->drained = 0;
		progress = jobs_open(c) | agent_step(c);
		for (struct ssh_job *j = c->jobs; j && !c->broken; j = j->next) {
			if (j->st == J_DONE)
				continue;
			progress |= job_step(c, j);
			finished += j->st == J_DONE && !j->internal;
		}
		progress |= zombies_step(c);
		internal_reap(c);
	} while (progress && !c->broken);
	return c->broken ? 1 : finished;
}

/* 1 while some job or channel still needs the network. */
static int conn_busy(const struct ssh_conn *c)
{
	if (c->zombies || c->open_pending || c->aout_off < c->aout.len)
		return 1;
	for (const struct ssh_job *j = c->jobs; j; j = j->next)
		if (j->st != J_DONE)
			return 1;
	return 0;
}

/* 1 when a finished job waits to be collected (then pump must not sleep). */
static int conn_has_done(const struct ssh_conn *c)
{
	for (const struct ssh_job *j = c->jobs; j; j = j->next)
		if (j->st == J_DONE && !j->internal)
			return 1;
	return 0;
}

/* 1 while a process group kill has not run to its end. */
static int conn_killing(const struct ssh_conn *c)
{
	for (const struct ssh_job *j = c->jobs; j; j = j->next)
		if (j->internal && j->st != J_DONE)
			return 1;
	return 0;
}

/* Waits up to wait_ms for the socket in the directions libssh2 is blocked on. */
static void conn_wait(struct ssh_conn *c, int wait_ms)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int one = 1;
	/* sshd leaves Nagle on: ACK its small replies at once, not after the
	 * 40 ms delayed-ACK timer (Linux clears this flag, so set it each time) */
	setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	if (libssh2_session_block_directions(c->s) & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p.events |= POLLOUT;
	if (poll(&p, 1, wait_ms < 0 ? 0 : wait_ms) < 0 && errno != EINTR)
		conn_lost(c);
}

/* ---- agent mode ---- */

/* Waits for the socket until `until` (ms); -1 once it has passed or the
 * connection broke. */
static int agent_wait(struct ssh_conn *c, double until)
{
	double left = until - now_ms();
	if (left <= 0 || c->broken)
		return -1;
	conn_wait(c, (int)left + 1);
	return c->broken ? -1 : 0;
}

/* Reads what the agent's channel holds: stdout onto c->ain, stderr (the
 * agent's complaints) into errtext up to 1 KiB, or dropped. 1 on progress,
 * 0 none, <0 libssh2 error. */
static int agent_read(struct ssh_conn *c, struct sbuf *errtext)
{
	char buf[SSH_READ_CHUNK];
	int progress = 0;
	for (int stream = 0; stream < 2; stream++) {
		for (;;) {
			if (c->drained && libssh2_poll_channel_read(c->ach, stream) != 1)
				break;
			c->drained = 1;
			ssize_t r = libssh2_channel_read_ex(c->ach, stream, buf, sizeof buf);
			if (r == LIBSSH2_ERROR_EAGAIN || r == 0)
				break;
			if (r < 0)
				return (int)r;
			progress = 1;
			if (stream == 0)
				sbuf_add(&c->ain, buf, (size_t)r);
			else if (errtext && errtext->len < 1024)
				sbuf_add(errtext, buf, (size_t)r < 1024 - errtext->len ? (size_t)r : 1024 - errtext->len);
		}
	}
	return progress;
}

/* Drops the agent's channel (freed with the zombies) and what it sent. */
static void agent_drop(struct ssh_conn *c)
{
	struct ssh_job tmp = {0};
	tmp.ch = c->ach;
	job_drop_channel(c, &tmp);
	c->ach = NULL;
	sbuf_free(&c->ain);
	sbuf_free(&c->aout);
	c->aout_off = 0;
}

/* Why the agent said no hello: its stderr's first line, or what went wrong. */
static char *hello_why(const struct sbuf *errtext, const char *what)
{
	const char *e = errtext->s ? errtext->s : "";
	size_t n = strcspn(e, "\n");
	if (n)
		return xasprintf("no agent hello (%s: %.*s)", what, (int)n, e);
	return xasprintf("no agent hello (%s)", what);
}

/* Judges the agent's first frame: 0 when it is a hello of this version. */
static int hello_ok(const struct v4_agent_msg *m, char **why)
{
	if (m->type != V4A_HELLO) {
		*why = xasprintf("the agent's first frame is no hello (type %d)", m->type);
		return -1;
	}
	if (strcmp(m->version, V4_VERSION) != 0) {
		*why = xasprintf("the node's v4check agent is version %s, not %s", m->version, V4_VERSION);
		return -1;
	}
	return 0;
}

/* Reads until the agent's first frame, EOF or `until`: 0 with a hello of
 * this version, else -1 with *why. */
static int hello_read(struct ssh_conn *c, double until, char **why)
{
	struct sbuf errtext = {0};
	int rc = 0;
	for (;;) {
		c->drained = 0;
		int r = agent_read(c, &errtext);
		int eof = r < 0 || libssh2_channel_eof(c->ach);
		if (c->ain.len) {
			struct v4_agent_msg m;
			char *e = NULL;
			long n = v4_agent_get(c->ain.s, c->ain.len, eof, &m, &e);
			if (n > 0) {
				rc = hello_ok(&m, why);
				memmove(c->ain.s, c->ain.s + n, c->ain.len - (size_t)n);
				c->ain.len -= (size_t)n;
				v4_agent_msg_free(&m);
				break;
			}
			if (n < 0) {
				*why = hello_why(&errtext, e);
				free(e);
				rc = -1;
				break;
			}
		}
		if (eof || (r == 0 && agent_wait(c, until) < 0)) {
			*why = hello_why(&errtext, eof ? "it ended" : "nothing within the connect timeout");
			rc = -1;
			break;
		}
	}
	sbuf_free(&errtext);
	return rc;
}

/* Starts `v4check agent` on a channel of its own (tools.path appended to
 * PATH for the probes it runs) and reads its hello: 0 when it speaks this
 * protocol and version (c->ach set), else -1 with *why (channel dropped). */
static int agent_hello(struct ssh_conn *c, double until, char **why)
{
	int rc;
	LIBSSH2_CHANNEL *ch;
	while (!(ch = chan_open(c, &rc)) && rc == LIBSSH2_ERROR_EAGAIN && agent_wait(c, until) == 0)
		;
	if (!ch) {
		*why = xasprintf("no agent: cannot open a channel (%s)", ssh_errmsg(c->s));
		return -1;
	}
	c->ach = ch;
	char *cmd = xasprintf("%sexec v4check agent --protocol %d", c->path_prefix, V4_AGENT_PROTOCOL);
	while ((rc = libssh2_channel_process_startup(ch, "exec", 4, cmd, (unsigned)strlen(cmd))) ==
		       LIBSSH2_ERROR_EAGAIN &&
	       agent_wait(c, until) == 0)
		;
	free(cmd);
	if (rc)
		*why = xasprintf("no agent: exec failed (%s)", ssh_errmsg(c->s));
	if (rc || hello_read(c, until, why) < 0) {
		agent_drop(c);
		return -1;
	}
	return 0;
}

/* The agent is gone (rc: a libssh2 error, or 0): its jobs fail with why,
 * later probes cannot start. */
static void agent_gone(struct ssh_conn *c, int rc, const char *why)
{
	if (rc && conn_error(rc)) {
		conn_lost(c);
		return;
	}
	free(c->agent_lost);
	c->agent_lost = xasprintf("agent: %s", why);
	for (struct ssh_job *j = c->jobs; j; j = j->next)
		if (j->agent && j->st != J_DONE) {
			j->failed = 1;
			free(j->reason);
			j->reason = xstrdup(c->agent_lost);
			job_finish(j);
		}
	agent_drop(c);
}

/* Moves a decoded stream into the job's buffer b (no copy when it fits the cap). */
static void take_stream(struct ssh_conn *c, struct ssh_job *j, struct sbuf *b, char **p, size_t n)
{
	if (b->len || n > c->max_output) {
		job_keep(c, j, b, *p, n);
		return;
	}
	sbuf_free(b);
	b->s = *p;
	b->len = n;
	b->cap = n + 1;
	*p = NULL;
}

/* Hands a RESULT to the job that asked for it (none: a killed one). */
static void agent_result(struct ssh_conn *c, struct v4_agent_msg *m)
{
	struct ssh_job *j = c->jobs;
	while (j && !(j->agent && j->aid == m->id && j->st != J_DONE))
		j = j->next;
	if (!j || m->type != V4A_RESULT)
		return;
	take_stream(c, j, &j->out, &m->out, m->out_len);
	take_stream(c, j, &j->err, &m->err, m->err_len);
	j->truncated |= m->truncated;
	j->exit_code = m->exit_code;
	if (m->state == V4A_TIMEOUT) {
		j->killed = 1;
	} else if (m->state != V4A_EXITED) {
		j->failed = 1;
		free(j->reason);
		j->reason = xasprintf("agent: %s", m->reason ? m->reason : "killed");
	}
	job_finish(j);
	j->t1 = j->t0 + m->ms;
}

/* Writes what the agent's channel takes of the queued frames; <0 error. */
static int agent_write(struct ssh_conn *c)
{
	int progress = 0;
	while (c->aout_off < c->aout.len) {
		ssize_t w = libssh2_channel_write(c->ach, c->aout.s + c->aout_off, c->aout.len - c->aout_off);
		if (w == LIBSSH2_ERROR_EAGAIN)
			break;
		if (w < 0)
			return (int)w;
		c->aout_off += (size_t)w;
		progress = 1;
	}
	if (c->aout_off >= c->aout.len)
		c->aout.len = c->aout_off = 0;
	return progress;
}

/* Moves the agent's channel on: frames out, results in. 1 on progress. */
static int agent_step(struct ssh_conn *c)
{
	if (!c->ach || c->broken)
		return 0;
	int w = agent_write(c), r = w < 0 ? 0 : agent_read(c, NULL);
	if (w < 0 || r < 0) {
		agent_gone(c, w < 0 ? w : r, w < 0 ? "write failed" : "read failed");
		return 1;
	}
	int eof = libssh2_channel_eof(c->ach);
	size_t off = 0;
	while (off < c->ain.len) {
		struct v4_agent_msg m;
		char *e = NULL;
		long n = v4_agent_get(c->ain.s + off, c->ain.len - off, eof, &m, &e);
		if (n == 0)
			break;
		if (n < 0) {
			agent_gone(c, 0, e);
			free(e);
			return 1;
		}
		off += (size_t)n;
		agent_result(c, &m);
		v4_agent_msg_free(&m);
		r = 1;
	}
	if (off) {
		memmove(c->ain.s, c->ain.s + off, c->ain.len - off);
		c->ain.len -= off;
	}
	if (!c->ain.len)
		sbuf_free(&c->ain); /* a large result's room goes back at once */
	if (eof)
		agent_gone(c, 0, "it ended");
	return w || r || eof;
}

/* Ends agent mode politely: queued frames out, EOF to the agent, then its
 * channel's close (by `until`), so that its session has reaped it. */
static void agent_close(struct ssh_conn *c, double until)
{
	int rc = 0;
	while (c->ach && !c->broken && (rc = agent_write(c)) >= 0 && c->aout_off < c->aout.len &&
	       agent_wait(c, until) == 0)
		;
	if (!c->ach || c->broken || rc < 0)
		return;
	while ((rc = libssh2_channel_send_eof(c->ach)) == LIBSSH2_ERROR_EAGAIN && agent_wait(c, until) == 0)
		;
	while (rc == 0 && !c->broken) {
		c->drained = 0;
		if (agent_read(c, NULL) < 0 || libssh2_channel_eof(c->ach) || agent_wait(c, until) < 0)
			break;
		sbuf_free(&c->ain); /* results nobody waits for (killed probes) */
	}
	while (rc == 0 && (rc = libssh2_channel_wait_closed(c->ach)) == LIBSSH2_ERROR_EAGAIN &&
	       agent_wait(c, until) == 0)
		;
}

/* Makes progress on every job, waiting at most wait_ms for the network. */
static void ssh_pump(void *conn, int wait_ms)
{
	struct ssh_conn *c = conn;
	if (c->broken || !conn_busy(c))
		return;
	if (conn_sweep(c) || c->broken || !conn_busy(c) || conn_has_done(c))
		return;
	conn_wait(c, wait_ms);
	if (!c->broken)
		conn_sweep(c);
}

/* Queues job j for a channel of its own and gets it going. */
static void job_queue(struct ssh_conn *c, struct ssh_job *j)
{
	j->exit_code = -1;
	j->t0 = now_ms();
	j->st = J_OPEN;
	struct ssh_job **pj = &c->jobs;
	while (*pj)
		pj = &(*pj)->next;
	*pj = j;
	conn_sweep(c);
}

/* Starts job j as a RUN frame on the agent's channel (the agent kills it
 * after timeout_ms and a grace, should the runner's kill not come). */
static void *agent_start(struct ssh_conn *c, struct ssh_job *j, int timeout_ms)
{
	j->agent = 1;
	j->aid = ++c->anext;
	j->timeout_ms = timeout_ms;
	struct v4_agent_msg m = {.type = V4A_RUN, .id = j->aid, .cmd = j->cmd,
				 .timeout_ms = timeout_ms > 0 ? (uint32_t)timeout_ms + SSH_AGENT_GRACE_MS : 0,
				 .cap = (uint32_t)(c->max_output < V4_AGENT_MAX_OUTPUT ? c->max_output
										: V4_AGENT_MAX_OUTPUT)};
	v4_agent_put(&c->aout, &m);
	j->exit_code = -1;
	j->t0 = now_ms();
	j->st = J_RUN;
	struct ssh_job **pj = &c->jobs;
	while (*pj)
		pj = &(*pj)->next;
	*pj = j;
	conn_sweep(c);
	return j;
}

/* Starts a probe on a new channel, wrapped in a remote timeout (timeout_ms
 * 0: a batch, which bounds its commands itself). */
static void *ssh_start(void *conn, const char *id, const char *cmd, int timeout_ms, char **err)
{
	struct ssh_conn *c = conn;
	if (c->broken) {
		*err = xstrdup("connection lost");
		return NULL;
	}
	if (c->agent_lost) {
		*err = xstrdup(c->agent_lost);
		return NULL;
	}
	struct ssh_job *j = xcalloc(1, sizeof *j);
	j->id = xstrdup(id);
	j->cmd = xstrdup(cmd);
	j->timeout_s = timeout_ms <= 0 ? 0 : timeout_ms < 1000 ? 1 : (timeout_ms + 999) / 1000;
	if (c->ach)
		return agent_start(c, j, timeout_ms);
	char *q = shell_quote(cmd);
	/* KILL, not TERM then KILL: GNU timeout leaves as soon as its child (this
	 * sh) is gone, and a tool that ignores TERM would outlive it. timeout
	 * signals its whole process group, so nothing the probe started stays. */
	j->wrapped = j->timeout_s ? xasprintf("%sexec timeout -s KILL %d sh -c %s", c->path_prefix,
					      j->timeout_s, q)
				  : xasprintf("%s%s", c->path_prefix, cmd); /* a batch bounds its commands */
	free(q);
	job_queue(c, j);
	return j;
}

/* Stops a job at once: its channel is closed (the remote timeout, or the
 * runner's kill_group, ends the process group). */
static void ssh_kill(void *conn, void *job)
{
	struct ssh_conn *c = conn;
	struct ssh_job *j = job;
	if (j->st == J_DONE)
		return;
	j->killed = 1;
	if (j->agent) { /* the agent kills its group; its RESULT finds no job */
		struct v4_agent_msg m = {.type = V4A_KILL, .id = j->aid};
		v4_agent_put(&c->aout, &m);
		job_finish(j);
		conn_sweep(c);
		return;
	}
	job_drop_channel(c, j);
	job_finish(j);
	zombies_step(c);
}

/* Kills process group pgid on the node: `kill -KILL -PGID` on a channel of
 * its own (the shell's builtin: no process is started for it). */
static void ssh_kill_group(void *conn, long pgid)
{
	struct ssh_conn *c = conn;
	if (c->broken || pgid <= 1)
		return;
	struct ssh_job *j = xcalloc(1, sizeof *j);
	j->id = xstrdup("kill");
	j->cmd = xasprintf("kill -KILL -%ld", pgid);
	j->wrapped = xstrdup(j->cmd);
	j->internal = 1;
	job_queue(c, j);
}

/* What a running job has written to stdout so far. */
static const char *ssh_peek(void *conn, void *job, size_t *len)
{
	struct ssh_job *j = job;
	*len = j->out.len;
	return j->out.s ? j->out.s : "";
}

/* Sets the fact's state and reason from how the job ended (f->exit_code set). */
static void fact_state(struct ssh_job *j, struct v4_fact *f)
{
	free(f->reason);
	f->reason = NULL;
	if (j->failed) {
		f->state = V4_FACT_FAILED;
		f->reason = xstrdup(j->reason ? j->reason : "failed");
	} else if (j->killed && j->agent) {
		f->state = V4_FACT_TIMEOUT; /* the runner's words (sched.c) */
		f->reason = xasprintf("timed out after %.0f s", j->timeout_ms / 1000.0);
	} else if (j->killed) {
		f->state = V4_FACT_TIMEOUT;
		f->reason = xasprintf("timed out after %ds", j->timeout_s);
	} else {
		/* an agent's command ran under no timeout process: 124/137 are its own */
		v4_fact_judge_exit(f, j->agent ? 0 : j->timeout_s);
		if (f->state == V4_FACT_OK)
			f->reason = xstrdup(j->reason);
	}
}

/* Removes job j from the connection's list. */
static void job_unlink(struct ssh_conn *c, struct ssh_job *j)
{
	for (struct ssh_job **pj = &c->jobs; *pj; pj = &(*pj)->next) {
		if (*pj == j) {
			*pj = j->next;
			return;
		}
	}
}

/* When the job is done, moves its results into f and frees it: 1. Else 0. */
static int ssh_collect(void *conn, void *job, struct v4_fact *f)
{
	struct ssh_conn *c = conn;
	struct ssh_job *j = job;
	if (j->st != J_DONE)
		return 0;
	if (!f->id)
		f->id = xstrdup(j->id);
	if (!f->cmd)
		f->cmd = xstrdup(j->cmd);
	free(f->out);
	free(f->err);
	f->out_len = j->out.len;
	f->out = sbuf_take(&j->out);
	f->err_len = j->err.len;
	f->err = sbuf_take(&j->err);
	f->exit_code = j->failed || j->killed ? -1 : j->exit_code;
	f->truncated = j->truncated;
	f->ms = j->t1 - j->t0;
	fact_state(j, f);
	job_unlink(c, j);
	job_free(j);
	return 1;
}

const struct v4_transport v4_transport_ssh = {
	.name = "ssh",
	.open = ssh_open,
	.start = ssh_start,
	.pump = ssh_pump,
	.collect = ssh_collect,
	.kill = ssh_kill,
	.peek = ssh_peek,
	.kill_group = ssh_kill_group,
	.close = ssh_close,
	.remote = 1,
};
