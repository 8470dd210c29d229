/* Host lists: ranges, ^FILE, ClusterShell @groups and nodeset operators. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "hostlist.h"
#include "hostrange.h"
#include "util.h"

#define HOSTLIST_DEPTH 16
#define HOSTFILE_MAX ((size_t)16 << 20)

/* What an expansion carries along: the groups, loaded on first use. */
struct hx {
	const char *groups_path;
	struct v4_groups *g;
	int depth;
};

static int eval(struct hx *x, const char *spec, const char *ns, struct v4_hostset *out, char **err);

int v4_host_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 253)
		return 0;
	if (strchr(s, ':')) {
		unsigned char buf[16];
		return inet_pton(AF_INET6, s, buf) == 1;
	}
	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/* Adds every name of v to set. */
static int add_all(struct v4_hostset *set, char **v, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++)
		if (v4_hostset_add(set, v[i], err) < 0)
			return -1;
	return 0;
}

/* A plain range: expanded, each name checked. */
static int item_range(const char *item, struct v4_hostset *set, char **err)
{
	char **v;
	size_t n;
	if (v4_hostrange_expand(item, &v, &n, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		if (!v4_host_name_ok(v[i])) {
			*err = xasprintf("'%s' is neither a host name nor a host range", item);
			rc = -1;
		}
	if (!rc)
		rc = add_all(set, v, n, err);
	v4_hostrange_free(v, n);
	return rc;
}

/* ^FILE: every line a host list (# starts a comment). */
static int item_file(struct hx *x, const char *path, const char *ns, struct v4_hostset *set,
		     char **err)
{
	char *text;
	size_t len, pos = 0, n;
	const char *line;
	if (!*path) {
		*err = xstrdup("'^' wants a file of hosts (^FILE)");
		return -1;
	}
	if (read_file(path, HOSTFILE_MAX, &text, &len) < 0) {
		*err = xasprintf("host file %s: %s", path, strerror(errno));
		return -1;
	}
	int rc = 0, lineno = 0;
	while (!rc && next_line(text, len, &pos, &line, &n)) {
		char *l = xstrndup(line, n);
		lineno++;
		l[strcspn(l, "#")] = 0;
		char *e = NULL;
		rc = eval(x, l, ns, set, &e);
		if (rc) {
			*err = xasprintf("%s:%d: %s", path, lineno, e);
			free(e);
		}
		free(l);
	}
	free(text);
	return rc;
}

/* Resolves one group (in source ns) into set. */
static int one_group(struct hx *x, const char *ns, const char *name, struct v4_hostset *set,
		     char **err)
{
	char *val = NULL;
	const char *src = NULL;
	if (v4_groups_lookup(x->g, ns, name, &val, &src, err) < 0)
		return -1;
	char *e = NULL;
	char *srcname = xstrdup(src);
	int rc = eval(x, val, srcname, set, &e);
	if (rc) {
		*err = xasprintf("@%s:%s: %s", srcname, name, e);
		free(e);
	}
	free(srcname);
	free(val);
	return rc;
}

/* @group, @source:group, @*, @source:*; group names may be ranges (@rack[1-2]). */
static int item_group(struct hx *x, const char *item, const char *ns, struct v4_hostset *set,
		      char **err)
{
	if (!x->g && !(x->g = v4_groups_load(x->groups_path, err)))
		return -1;
	const char *colon = strchr(item, ':');
	char *src = colon ? xstrndup(item, (size_t)(colon - item)) : NULL;
	const char *name = colon ? colon + 1 : item;
	char **v = NULL;
	size_t n = 0;
	int rc = 0;
	if (!*name || *name == '@') {
		*err = xasprintf("'@%s' is not a group (want @GROUP or @SOURCE:GROUP)", item);
		rc = -1;
	} else if (!strcmp(name, "*")) {
		rc = one_group(x, src ? src : ns, "*", set, err);
	} else if ((rc = v4_hostrange_expand(name, &v, &n, err)) == 0) {
		for (size_t i = 0; i < n && !rc; i++)
			rc = one_group(x, src ? src : ns, v[i], set, err);
	}
	v4_hostrange_free(v, n);
	free(src);
	return rc;
}

/* Expands one item of a list into a fresh set. */
static int item_set(struct hx *x, const char *item, const char *ns, struct v4_hostset *set,
		    char **err)
{
	if (item[0] == '^')
		return item_file(x, item + 1, ns, set, err);
	if (item[0] == '@')
		return item_group(x, item + 1, ns, set, err);
	return item_range(item, set, err);
}

/* Applies operator op ("," "!" "&" "^") of item b to the running result a. */
static int combine(struct v4_hostset *a, char op, struct v4_hostset *b, char **err)
{
	struct v4_hostset r = {0};
	int rc = 0;
	if (op == ',')
		return add_all(a, b->v, b->n, err);
	for (size_t i = 0; i < a->n && !rc; i++) {
		int inb = v4_hostset_has(b, a->v[i]);
		if (op == '&' ? inb : !inb)
			rc = v4_hostset_add(&r, a->v[i], err);
	}
	for (size_t i = 0; op == '^' && i < b->n && !rc; i++)
		if (!v4_hostset_has(a, b->v[i]))
			rc = v4_hostset_add(&r, b->v[i], err);
	v4_hostset_free(a);
	*a = r;
	return rc;
}

/* Length of the item at s: up to an operator or blank outside brackets (a
 * ^FILE item runs to the next comma or blank). */
static size_t item_len(const char *s)
{
	size_t i = 0;
	int depth = 0;
	if (s[0] == '^')
		return strcspn(s, ", \t\n");
	for (; s[i]; i++) {
		if (s[i] == '[')
			depth++;
		else if (s[i] == ']' && depth)
			depth--;
		else if (!depth && strchr(",!&^ \t\n", s[i]))
			break;
	}
	return i;
}

/* Evaluates a list left to right into out (union into what it holds). */
static int eval(struct hx *x, const char *spec, const char *ns, struct v4_hostset *out, char **err)
{
	struct v4_hostset acc = {0};
	char op = ',';
	int rc = 0;
	if (++x->depth > HOSTLIST_DEPTH) {
		*err = xstrdup("host list nested too deep (a group or file that names itself?)");
		x->depth--;
		return -1;
	}
	int after_item = 0;
	for (const char *p = spec; *p && !rc;) {
		if (*p == ' ' || *p == '\t' || *p == '\n') { /* blanks around operators */
			p++;
			continue;
		}
		if (*p == ',') {
			op = ',';
			after_item = 0;
			p++;
			continue;
		}
		if (after_item && strchr("!&^", *p)) {
			op = *p++;
			after_item = 0;
			continue;
		}
		size_t n = item_len(p);
		char *item = xstrndup(p, n ? n : 1);
		struct v4_hostset b = {0};
		rc = item_set(x, item, ns, &b, err);
		if (!rc)
			rc = combine(&acc, op, &b, err);
		v4_hostset_free(&b);
		free(item);
		op = ',';
		after_item = 1;
		p += n ? n : 1;
	}
	if (!rc)
		rc = add_all(out, acc.v, acc.n, err);
	v4_hostset_free(&acc);
	x->depth--;
	return rc;
}

int v4_hostlist_expand(const char *spec, const char *groups, char ***hosts, size_t *n, char **err)
{
	struct hx x = {.groups_path = groups};
	struct v4_hostset set = {0};
	*hosts = NULL;
	*n = 0;
	*err = NULL;
	if (!spec || !*spec) {
		*err = xstrdup("no host given");
		return -1;
	}
	int rc = eval(&x, spec, NULL, &set, err);
	v4_groups_free(x.g);
	if (rc) {
		v4_hostset_free(&set);
		return -1;
	}
	free(set.tab);
	*hosts = set.v;
	*n = set.n;
	return 0;
}
