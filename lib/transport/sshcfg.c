/* The OpenSSH client config for one host: Host, Match, Include, options. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sshcfg.h"
#include "util.h"

#define SSHCFG_MAX_FILE ((size_t)1 << 20)
#define SSHCFG_MAX_DEPTH 16 /* as OpenSSH's READCONF_MAX_DEPTH */
#define SSHCFG_MAX_HOPS 8

/* What one resolution carries along. */
struct rs {
	const char *host;  /* as given */
	const char *user;  /* as given, or NULL */
	char *home, *local_user;
	struct v4_sshcfg *c;
	char *raw_ids[V4_SSHCFG_MAX_IDS]; /* unexpanded until the end */
	char *raw_kh[V4_SSHCFG_MAX_KH];
	char *raw_agent;
	struct v4_sshcfg_notes *notes;
	int depth;
};

/* ---- small helpers ---- */

/* Adds a note unless it is there already. */
static void note(struct rs *r, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct rs *r, const char *where, const char *fmt, ...)
{
	if (!r->notes)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *t = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("%s: %s", where, t);
	free(t);
	for (size_t i = 0; i < r->notes->n; i++)
		if (!strcmp(r->notes->v[i], line)) {
			free(line);
			return;
		}
	grow(&r->notes->v, &r->notes->cap, r->notes->n + 1, sizeof *r->notes->v);
	r->notes->v[r->notes->n++] = line;
}

/* 1 when s matches the glob pat (* and ?), ignoring case. */
static int glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *retry = NULL;
	while (*s) {
		if (*pat == '*') {
			star = ++pat;
			retry = s;
		} else if (*pat == '?' || (*pat && tolower((unsigned char)*pat) ==
						     tolower((unsigned char)*s))) {
			pat++;
			s++;
		} else if (star) {
			pat = star;
			s = ++retry;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == 0;
}

/* Splits the next word off *p: blanks separate, "quotes" group, a leading = is skipped. */
static char *cfg_word(char **p)
{
	char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == '=')
		s++;
	if (!*s || *s == '#') {
		*p = s;
		return NULL;
	}
	char *w = s;
	if (*s == '"') {
		w = ++s;
		while (*s && *s != '"')
			s++;
	} else {
		while (*s && *s != ' ' && *s != '\t' && *s != '=')
			s++;
	}
	if (*s)
		*s++ = 0;
	*p = s;
	return w;
}

/* 1 when s matches a comma-separated pattern list; a matching !pattern vetoes. */
static int match_list(const char *list, const char *s)
{
	char *l = xstrdup(list), *save = NULL;
	int got = 0;
	for (char *w = strtok_r(l, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int neg = w[0] == '!';
		if (glob_match(w + neg, s)) {
			if (neg) {
				got = 0;
				break;
			}
			got = 1;
		}
	}
	free(l);
	return got;
}

/* 1 when the host matches a Host line's patterns (a matching !pattern vetoes). */
static int host_match(char *args, const char *host)
{
	int matched = 0;
	char *w;
	while ((w = cfg_word(&args))) {
		int neg = w[0] == '!';
		if (glob_match(w + neg, host)) {
			if (neg)
				return 0;
			matched = 1;
		}
	}
	return matched;
}

/* The remote user as known so far. */
static const char *cur_user(const struct rs *r)
{
	return r->user ? r->user : r->c->user ? r->c->user : r->local_user;
}

/* The host name as known so far (after HostName). */
static const char *cur_host(const struct rs *r)
{
	return r->c->hostname ? r->c->hostname : r->host;
}

/* ---- tokens ---- */

/* v with a leading ~ and the %-tokens of ssh_config(5) TOKENS expanded. */
static char *expand(const struct rs *r, const char *v)
{
	struct sbuf b = {0};
	char num[32], lhost[256] = "localhost";
	sbuf_adds(&b, "");
	if (v[0] == '~' && (v[1] == '/' || !v[1])) {
		sbuf_adds(&b, r->home);
		v++;
	}
	for (; *v; v++) {
		if (*v != '%' || !v[1]) {
			sbuf_add(&b, v, 1);
			continue;
		}
		switch (*++v) {
		case '%': sbuf_add(&b, "%", 1); break;
		case 'd': sbuf_adds(&b, r->home); break;
		case 'h': sbuf_adds(&b, cur_host(r)); break;
		case 'n': sbuf_adds(&b, r->host); break;
		case 'r': sbuf_adds(&b, cur_user(r)); break;
		case 'u': sbuf_adds(&b, r->local_user); break;
		case 'p':
			snprintf(num, sizeof num, "%d", r->c->port ? r->c->port : 22);
			sbuf_adds(&b, num);
			break;
		case 'i':
			snprintf(num, sizeof num, "%u", (unsigned)getuid());
			sbuf_adds(&b, num);
			break;
		case 'l':
			gethostname(lhost, sizeof lhost - 1);
			sbuf_adds(&b, lhost);
			break;
		default: sbuf_add(&b, v - 1, 2); break; /* kept as written */
		}
	}
	return sbuf_take(&b);
}

/* ---- options ---- */

/* A yes/no value: 1, 0, or -1 when neither. */
static int yesno(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true"))
		return 1;
	return !strcasecmp(v, "no") || !strcasecmp(v, "false") ? 0 : -1;
}

/* Options whose value is what v4check does anyway: taken silently with that
 * value, noted with another. */
static const struct {
	const char *name, *value, *why;
} fixed[] = {
	{"BatchMode", "yes", "v4check never prompts"},
	{"PasswordAuthentication", "no", "v4check logs in with keys only"},
	{"KbdInteractiveAuthentication", "no", "v4check logs in with keys only"},
	{"ChallengeResponseAuthentication", "no", "v4check logs in with keys only"},
	{"PubkeyAuthentication", "yes", "v4check logs in with keys only"},
	{"GSSAPIAuthentication", "no", "v4check logs in with keys only"},
	{"HostbasedAuthentication", "no", "v4check logs in with keys only"},
	{"ForwardAgent", "no", "v4check forwards nothing"},
	{"ForwardX11", "no", "v4check forwards nothing"},
	{"ForwardX11Trusted", "no", "v4check forwards nothing"},
	{"ClearAllForwardings", "yes", "v4check forwards nothing"},
	{"ExitOnForwardFailure", "no", "v4check forwards nothing"},
	{"RequestTTY", "no", "v4check runs commands without a terminal"},
	{"PermitLocalCommand", "no", "v4check runs no local command"},
	{"ControlMaster", "no", "v4check opens one connection per node of its own"},
	{"EnableSSHKeysign", "no", "v4check logs in with keys only"},
	{"UpdateHostKeys", "no", "v4check changes known_hosts only with accept-new"},
	{"HashKnownHosts", "no", "v4check writes known_hosts lines unhashed"},
	{"VisualHostKey", "no", "v4check prints no key art"},
	{"CheckHostIP", "no", "v4check checks the key of the name it connects to"},
};

/* Handles an option of the fixed table; 1 when it was one. */
static int apply_fixed(struct rs *r, const char *key, const char *v, const char *where)
{
	for (size_t i = 0; i < V4_ARRAY_LEN(fixed); i++) {
		if (strcasecmp(key, fixed[i].name))
			continue;
		if (strcasecmp(v, fixed[i].value))
			note(r, where, "%s %s is not supported (%s); ignored", fixed[i].name, v,
			     fixed[i].why);
		return 1;
	}
	return 0;
}

/* Port and ConnectTimeout: a whole number in [1, hi]; -1 and *err when not. */
static int number_opt(const char *key, const char *v, long hi, const char *where, int *out,
		      char **err)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < 1 || n > hi) {
		*err = xasprintf("%s: bad %s '%s'", where, key, v);
		return -1;
	}
	if (!*out)
		*out = (int)n;
	return 0;
}

/* StrictHostKeyChecking's value: 0 no/off, 1 yes/ask, 2 accept-new; -1 unknown. */
static int strict_value(const char *v)
{
	if (!strcasecmp(v, "accept-new"))
		return 2;
	if (!strcasecmp(v, "ask"))
		return 1;
	int b = !strcasecmp(v, "off") ? 0 : yesno(v);
	return b;
}

/* Keeps a string option's first value. */
static void first(char **slot, const char *v)
{
	if (!*slot)
		*slot = xstrdup(v);
}

/* Options that take one value and that v4check honours; 1 when key was one. */
static int apply_value(struct rs *r, const char *key, const char *v, const char *where, char **err,
		       int *rc)
{
	struct v4_sshcfg *c = r->c;
	*rc = 0;
	if (!strcasecmp(key, "HostName")) {
		if (!c->hostname) {
			struct v4_sshcfg tmp = {0}, *keep = r->c;
			r->c = &tmp; /* %h in HostName is the name as given */
			c->hostname = expand(r, v);
			r->c = keep;
		}
	} else if (!strcasecmp(key, "User")) {
		first(&c->user, v);
	} else if (!strcasecmp(key, "Port")) {
		*rc = number_opt(key, v, 65535, where, &c->port, err);
	} else if (!strcasecmp(key, "ConnectTimeout")) {
		*rc = number_opt(key, v, 86400, where, &c->connect_timeout, err);
	} else if (!strcasecmp(key, "ProxyJump")) {
		first(&c->proxyjump, v);
	} else if (!strcasecmp(key, "ProxyCommand")) {
		if (!c->proxyjump)
			note(r, where, "ProxyCommand is not supported (v4check runs no local command; "
				       "use ProxyJump); ignored");
	} else if (!strcasecmp(key, "HostKeyAlias")) {
		first(&c->hostkey_alias, v);
	} else if (!strcasecmp(key, "IdentityAgent")) {
		first(&r->raw_agent, v);
	} else if (!strcasecmp(key, "IdentitiesOnly")) {
		if (yesno(v) < 0)
			*err = xasprintf("%s: bad IdentitiesOnly '%s'", where, v), *rc = -1;
		else if (c->identities_only < 0)
			c->identities_only = yesno(v);
	} else if (!strcasecmp(key, "StrictHostKeyChecking")) {
		int s = strict_value(v);
		if (s < 0)
			*err = xasprintf("%s: bad StrictHostKeyChecking '%s'", where, v), *rc = -1;
		else if (c->strict < 0 && (c->strict = s) == 0)
			note(r, where, "StrictHostKeyChecking %s: v4check adds unknown host keys (as "
				       "accept-new) but still refuses a changed one", v);
	} else {
		return 0;
	}
	return 1;
}

/* IdentityFile (adds up) and UserKnownHostsFile (several files, first line wins). */
static int apply_files(struct rs *r, const char *key, char *v, char *rest)
{
	if (!strcasecmp(key, "IdentityFile")) {
		for (size_t i = 0; i < r->c->nids; i++)
			if (!strcmp(r->raw_ids[i], v))
				return 1;
		if (strcasecmp(v, "none") && r->c->nids < V4_SSHCFG_MAX_IDS)
			r->raw_ids[r->c->nids++] = xstrdup(v);
		return 1;
	}
	if (!strcasecmp(key, "UserKnownHostsFile")) {
		if (r->c->nkh)
			return 1;
		for (char *w = v; w && r->c->nkh < V4_SSHCFG_MAX_KH; w = cfg_word(&rest))
			if (strcasecmp(w, "none"))
				r->raw_kh[r->c->nkh++] = xstrdup(w);
		if (!r->c->nkh)
			r->raw_kh[r->c->nkh++] = xstrdup("/dev/null");
		return 1;
	}
	return 0;
}

/* Applies one option line of an active block. */
static int apply(struct rs *r, const char *key, char *args, const char *where, char **err)
{
	char *v = cfg_word(&args);
	int rc;
	if (!v) {
		*err = xasprintf("%s: %s without a value", where, key);
		return -1;
	}
	if (apply_value(r, key, v, where, err, &rc))
		return rc;
	if (apply_files(r, key, v, args) || apply_fixed(r, key, v, where))
		return 0;
	note(r, where, "%s is not supported by v4check; ignored", key);
	return 0;
}

/* ---- Match ---- */

/* The value a Match criterion tests, or NULL when v4check does not support it. */
static const char *criterion_value(const struct rs *r, const char *crit)
{
	if (!strcasecmp(crit, "host"))
		return cur_host(r);
	if (!strcasecmp(crit, "originalhost"))
		return r->host;
	if (!strcasecmp(crit, "user"))
		return cur_user(r);
	if (!strcasecmp(crit, "localuser"))
		return r->local_user;
	return NULL;
}

/* Evaluates a Match line: 1 when its block applies. -1 with *err when malformed. */
static int match_line(struct rs *r, char *args, const char *where, char **err)
{
	int result = 1, skipped = 0;
	char *w;
	while ((w = cfg_word(&args))) {
		int neg = w[0] == '!';
		const char *crit = w + neg;
		if (!strcasecmp(crit, "all")) {
			result &= !neg;
			continue;
		}
		if (!strcasecmp(crit, "canonical") || !strcasecmp(crit, "final")) {
			note(r, where, "Match %s is not supported by v4check: this block is skipped", crit);
			skipped = 1;
			continue;
		}
		char *arg = cfg_word(&args);
		if (!arg) {
			*err = xasprintf("%s: Match %s wants an argument", where, crit);
			return -1;
		}
		const char *val = criterion_value(r, crit);
		if (val) {
			result &= match_list(arg, val) != neg;
		} else if (!strcasecmp(crit, "exec") || !strcasecmp(crit, "localnetwork") ||
			   !strcasecmp(crit, "tagged")) {
			note(r, where, "Match %s is not supported by v4check (it runs no local "
				       "command): this block is skipped", crit);
			skipped = 1;
		} else {
			*err = xasprintf("%s: unknown Match criterion '%s'", where, crit);
			return -1;
		}
	}
	return result && !skipped;
}

/* ---- files ---- */

static int read_conf(struct rs *r, const char *path, int must_exist, char **err);

/* Include: each word a file or glob; relative ones are under ~/.ssh. */
static int include(struct rs *r, char *args, const char *where, char **err)
{
	char *w;
	int rc = 0;
	if (r->depth >= SSHCFG_MAX_DEPTH) {
		*err = xasprintf("%s: Include nested deeper than %d (a loop?)", where, SSHCFG_MAX_DEPTH);
		return -1;
	}
	while (!rc && (w = cfg_word(&args))) {
		char *e = expand(r, w);
		char *pat = e[0] == '/' ? xstrdup(e) : xasprintf("%s/.ssh/%s", r->home, e);
		glob_t g;
		if (glob(pat, 0, NULL, &g) == 0) {
			r->depth++;
			for (size_t i = 0; i < g.gl_pathc && !rc; i++)
				rc = read_conf(r, g.gl_pathv[i], 1, err);
			r->depth--;
			globfree(&g);
		}
		free(pat);
		free(e);
	}
	return rc;
}

/* Handles one line; *active says whether options apply here. */
static int conf_line(struct rs *r, char *l, const char *where, int *active, char **err)
{
	char *p = l;
	char *key = cfg_word(&p);
	if (!key)
		return 0;
	if (!strcasecmp(key, "Host")) {
		*active = host_match(p, r->host);
		return 0;
	}
	if (!strcasecmp(key, "Match")) {
		int m = match_line(r, p, where, err);
		*active = m > 0;
		return m < 0 ? -1 : 0;
	}
	if (!*active)
		return 0;
	if (!strcasecmp(key, "Include"))
		return include(r, p, where, err);
	return apply(r, key, p, where, err);
}

/* Reads one config file into r. */
static int read_conf(struct rs *r, const char *path, int must_exist, char **err)
{
	char *text;
	size_t len, pos = 0, n;
	const char *line;
	if (read_file(path, SSHCFG_MAX_FILE, &text, &len) < 0) {
		if (!must_exist && errno == ENOENT)
			return 0;
		*err = xasprintf("cannot read ssh config %s: %s", path, strerror(errno));
		return -1;
	}
	int active = 1, lineno = 0, rc = 0; /* before the first Host line: every host */
	while (!rc && next_line(text, len, &pos, &line, &n)) {
		char *l = xstrndup(line, n);
		char *where = xasprintf("%s:%d", path, ++lineno);
		rc = conf_line(r, l, where, &active, err);
		free(where);
		free(l);
	}
	free(text);
	return rc;
}

/* ---- resolution ---- */

/* The user's home folder and name. */
static void who(struct rs *r)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *h = getenv("HOME");
	int ok = getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res;
	r->home = xstrdup(h && *h ? h : ok ? pw.pw_dir : "/");
	r->local_user = xstrdup(ok ? pw.pw_name : getenv("USER") ? getenv("USER") : "root");
}

/* Expands the path-valued options once every value is known. */
static void finish(struct rs *r)
{
	struct v4_sshcfg *c = r->c;
	for (size_t i = 0; i < c->nids; i++)
		c->ids[i] = expand(r, r->raw_ids[i]);
	for (size_t i = 0; i < c->nkh; i++)
		c->known_hosts[i] = expand(r, r->raw_kh[i]);
	if (r->raw_agent)
		c->identity_agent = strcmp(r->raw_agent, "none") && strcmp(r->raw_agent, "SSH_AUTH_SOCK")
					    ? expand(r, r->raw_agent) : xstrdup(r->raw_agent);
}

/* Frees what a resolution kept besides the result. */
static void rs_free(struct rs *r)
{
	for (size_t i = 0; i < V4_SSHCFG_MAX_IDS; i++)
		free(r->raw_ids[i]);
	for (size_t i = 0; i < V4_SSHCFG_MAX_KH; i++)
		free(r->raw_kh[i]);
	free(r->raw_agent);
	free(r->home);
	free(r->local_user);
}

int v4_sshcfg_resolve(const char *path, const char *host, const char *user, struct v4_sshcfg *c,
		      struct v4_sshcfg_notes *notes, char **err)
{
	struct rs r = {.host = host, .user = user, .c = c, .notes = notes};
	memset(c, 0, sizeof *c);
	c->identities_only = -1;
	c->strict = -1;
	who(&r);
	char *p = path ? expand(&r, path) : xasprintf("%s/.ssh/config", r.home);
	int rc = read_conf(&r, p, path != NULL, err);
	free(p);
	if (rc == 0)
		finish(&r);
	rs_free(&r);
	if (rc)
		v4_sshcfg_free(c);
	return rc;
}

void v4_sshcfg_free(struct v4_sshcfg *c)
{
	free(c->hostname);
	free(c->user);
	free(c->identity_agent);
	free(c->proxyjump);
	free(c->hostkey_alias);
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i]);
	for (size_t i = 0; i < c->nkh; i++)
		free(c->known_hosts[i]);
	memset(c, 0, sizeof *c);
}

/* ---- ProxyJump ---- */

/* Parses one hop: [ssh://][user@]host[:port] ([v6]:port too). */
static int jump_hop(const char *w, struct v4_sshjump *h, char **err)
{
	const char *s = starts_with(w, "ssh://") ? w + 6 : w;
	const char *at = strrchr(s, '@');
	memset(h, 0, sizeof *h);
	if (at)
		h->user = xstrndup(s, (size_t)(at - s)), s = at + 1;
	const char *end = s[0] == '[' ? strchr(s, ']') : strrchr(s, ':');
	const char *colon = s[0] == '[' ? (end && end[1] == ':' ? end + 1 : NULL) : end;
	size_t hl = colon ? (size_t)(colon - s) : strlen(s);
	if (s[0] == '[' && end)
		h->host = xstrndup(s + 1, (size_t)(end - s - 1));
	else
		h->host = xstrndup(s, hl);
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);
		if (*e || p < 1 || p > 65535) {
			*err = xasprintf("bad port in ProxyJump hop '%s'", w);
			return -1;
		}
		h->port = (int)p;
	}
	if (!*h->host || (h->user && !*h->user) || strpbrk(h->host, "/ \t")) {
		*err = xasprintf("bad ProxyJump hop '%s' (want [user@]host[:port])", w);
		return -1;
	}
	return 0;
}

int v4_sshjump_parse(const char *spec, struct v4_sshjump **hops, size_t *n, char **err)
{
	char *s = xstrdup(spec), *save = NULL;
	size_t cap = 0;
	int rc = 0;
	*hops = NULL;
	*n = 0;
	for (char *w = strtok_r(s, ",", &save); w && !rc; w = strtok_r(NULL, ",", &save)) {
		if (*n >= SSHCFG_MAX_HOPS) {
			*err = xasprintf("ProxyJump '%s': more than %d hops", spec, SSHCFG_MAX_HOPS);
			rc = -1;
			break;
		}
		grow(hops, &cap, *n + 1, sizeof **hops);
		rc = jump_hop(w, &(*hops)[(*n)++], err);
	}
	if (!rc && !*n) {
		*err = xasprintf("empty ProxyJump '%s'", spec);
		rc = -1;
	}
	free(s);
	if (rc) {
		v4_sshjump_free(*hops, *n);
		*hops = NULL;
		*n = 0;
	}
	return rc;
}

void v4_sshjump_free(struct v4_sshjump *hops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hops[i].user);
		free(hops[i].host);
	}
	free(hops);
}

/* Notes for host, then for its hops (depth bounds a loop of ProxyJumps). */
static int notes_rec(const char *path, const char *host, const char *user,
		     struct v4_sshcfg_notes *notes, int depth, char **err)
{
	struct v4_sshcfg c;
	if (v4_sshcfg_resolve(path, host, user, &c, notes, err) < 0)
		return -1;
	int rc = 0;
	if (c.proxyjump && strcasecmp(c.proxyjump, "none") && depth < SSHCFG_MAX_HOPS) {
		struct v4_sshjump *h = NULL;
		size_t n = 0;
		rc = v4_sshjump_parse(c.proxyjump, &h, &n, err);
		for (size_t i = 0; !rc && i < n; i++)
			rc = notes_rec(path, h[i].host, h[i].user, notes, depth + 1, err);
		v4_sshjump_free(h, n);
	}
	v4_sshcfg_free(&c);
	return rc;
}

int v4_sshcfg_notes_for(const char *path, const char *host, const char *user,
			struct v4_sshcfg_notes *notes, char **err)
{
	return notes_rec(path, host, user, notes, 0, err);
}

void v4_sshcfg_notes_free(struct v4_sshcfg_notes *notes)
{
	for (size_t i = 0; i < notes->n; i++)
		free(notes->v[i]);
	free(notes->v);
	memset(notes, 0, sizeof *notes);
}
