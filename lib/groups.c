/* ClusterShell node groups: groups.conf (INI) and YAML group files (libyaml). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "groups.h"
#include "util.h"

#define GROUPS_MAX_FILE ((size_t)16 << 20)

/* One group source: its groups, or a note that shell commands define it. */
struct gsrc {
	char *name, *file;
	int upcall;
	char **gname, **gval;
	size_t n, ncap, vcap;
};

struct v4_groups {
	struct gsrc *s;
	size_t n, cap;
	char *def;      /* default source, or NULL */
	char *searched; /* where groups.conf was looked for, for messages */
};

/* One key of an INI section. */
struct ikey {
	char *sect, *key, *val;
};

/* The keys of the groups.conf files read, later ones replacing earlier ones. */
struct ini {
	struct ikey *v;
	size_t n, cap;
	char **sects; /* section names, in order of first appearance */
	size_t ns, scap;
};

/* ---- INI (Python ConfigParser's layout) ---- */

/* The value of sect.key, or NULL. */
static const char *ini_get(const struct ini *in, const char *sect, const char *key)
{
	for (size_t i = 0; i < in->n; i++)
		if (!strcmp(in->v[i].sect, sect) && !strcasecmp(in->v[i].key, key))
			return in->v[i].val;
	return NULL;
}

/* Sets sect.key to val (replacing), noting the section. */
static void ini_set(struct ini *in, const char *sect, const char *key, const char *val)
{
	size_t i;
	for (i = 0; i < in->ns && strcmp(in->sects[i], sect); i++)
		;
	if (i == in->ns) {
		grow(&in->sects, &in->scap, in->ns + 1, sizeof *in->sects);
		in->sects[in->ns++] = xstrdup(sect);
	}
	if (!key)
		return;
	for (i = 0; i < in->n; i++)
		if (!strcmp(in->v[i].sect, sect) && !strcasecmp(in->v[i].key, key)) {
			free(in->v[i].val);
			in->v[i].val = xstrdup(val);
			return;
		}
	grow(&in->v, &in->cap, in->n + 1, sizeof *in->v);
	in->v[in->n++] = (struct ikey){xstrdup(sect), xstrdup(key), xstrdup(val)};
}

/* Appends a continuation line to the last key read. */
static void ini_continue(struct ini *in, const char *line)
{
	struct ikey *k = &in->v[in->n - 1];
	char *v = xasprintf("%s\n%s", k->val, line);
	free(k->val);
	k->val = v;
}

/* Frees an ini. */
static void ini_free(struct ini *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].sect);
		free(in->v[i].key);
		free(in->v[i].val);
	}
	for (size_t i = 0; i < in->ns; i++)
		free(in->sects[i]);
	free(in->v);
	free(in->sects);
	memset(in, 0, sizeof *in);
}

/* s without leading and trailing blanks, in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Reads one INI line into in; -1 with *err when it is not INI. */
static int ini_line(struct ini *in, char *l, char **sect, int *last_key, const char *path,
		    int lineno, char **err)
{
	int indented = l[0] == ' ' || l[0] == '\t';
	char *t = trim(l);
	if (!*t || *t == '#' || *t == ';') {
		*last_key = *last_key && indented;
		return 0;
	}
	if (indented && *last_key) {
		ini_continue(in, t);
		return 0;
	}
	if (*t == '[' && t[strlen(t) - 1] == ']') {
		free(*sect);
		*sect = xstrndup(t + 1, strlen(t) - 2);
		ini_set(in, *sect, NULL, NULL);
		*last_key = 0;
		return 0;
	}
	size_t k = strcspn(t, ":=");
	if (!t[k] || !*sect) {
		*err = xasprintf("%s:%d: not a groups.conf line: %.60s", path, lineno, t);
		return -1;
	}
	t[k] = 0;
	ini_set(in, *sect, trim(t), trim(t + k + 1));
	*last_key = 1;
	return 0;
}

/* Reads an INI file into in. 1 when read, 0 when absent, -1 with *err. */
static int ini_read(struct ini *in, const char *path, char **err)
{
	char *text;
	size_t len, pos = 0, n;
	const char *line;
	if (read_file(path, GROUPS_MAX_FILE, &text, &len) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	char *sect = NULL;
	int last_key = 0, lineno = 0, rc = 1;
	while (rc == 1 && next_line(text, len, &pos, &line, &n)) {
		char *l = xstrndup(line, n);
		if (ini_line(in, l, &sect, &last_key, path, ++lineno, err) < 0)
			rc = -1;
		free(l);
	}
	free(sect);
	free(text);
	return rc;
}

/* ---- sources ---- */

/* The source named name, or NULL. */
static struct gsrc *src_find(const struct v4_groups *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->s[i].name, name))
			return &g->s[i];
	return NULL;
}

/* Adds a new source; -1 with *err when the name is taken (as ClusterShell). */
static struct gsrc *src_add(struct v4_groups *g, const char *name, const char *file, int upcall,
			    char **err)
{
	struct gsrc *o = src_find(g, name);
	if (o) {
		*err = xasprintf("%s: group source '%s' is also defined in %s", file, name, o->file);
		return NULL;
	}
	grow(&g->s, &g->cap, g->n + 1, sizeof *g->s);
	struct gsrc *s = &g->s[g->n++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->file = xstrdup(file);
	s->upcall = upcall;
	return s;
}

/* Adds group name = val to source s. */
static void src_group(struct gsrc *s, const char *name, char *val)
{
	grow(&s->gname, &s->ncap, s->n + 1, sizeof *s->gname);
	grow(&s->gval, &s->vcap, s->n + 1, sizeof *s->gval);
	s->gname[s->n] = xstrdup(name);
	s->gval[s->n++] = val;
}

/* Adds the sections of an INI file (other than Main) as command-defined sources. */
static int src_upcalls(struct v4_groups *g, const struct ini *in, const char *file, char **err)
{
	for (size_t i = 0; i < in->ns; i++) {
		if (!strcmp(in->sects[i], "Main"))
			continue;
		char *names = xstrdup(in->sects[i]), *save = NULL; /* "[a,b]" names two */
		for (char *w = strtok_r(names, ",", &save); w; w = strtok_r(NULL, ",", &save))
			if (!src_add(g, w, file, 1, err)) {
				free(names);
				return -1;
			}
		free(names);
	}
	return 0;
}

/* ---- YAML group files ---- */

/* The text of a scalar node, or NULL. */
static const char *y_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A group's node set: a string, or a list of strings joined by commas. */
static char *y_nodeset(yaml_document_t *d, const yaml_node_t *v)
{
	if (y_scalar(v))
		return xstrdup(y_scalar(v));
	if (!v || v->type != YAML_SEQUENCE_NODE)
		return NULL;
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		const char *s = y_scalar(yaml_document_get_node(d, *it));
		if (!s) {
			sbuf_free(&b);
			return NULL;
		}
		if (b.len)
			sbuf_add(&b, ",", 1);
		sbuf_adds(&b, s);
	}
	return sbuf_take(&b);
}

/* Adds one source's mapping of groups. */
static int y_source(struct v4_groups *g, yaml_document_t *d, const char *name,
		    const yaml_node_t *m, const char *path, char **err)
{
	if (!m || m->type != YAML_MAPPING_NODE) {
		*err = xasprintf("%s: group source '%s' is not a mapping of groups", path, name);
		return -1;
	}
	struct gsrc *s = src_add(g, name, path, 0, err);
	if (!s)
		return -1;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *gname = y_scalar(yaml_document_get_node(d, p->key));
		char *val = y_nodeset(d, yaml_document_get_node(d, p->value));
		if (!gname || !val) {
			free(val);
			*err = xasprintf("%s: source '%s': group %s is not a string or a list of strings",
					 path, name, gname ? gname : "name");
			return -1;
		}
		src_group(s, gname, val);
	}
	return 0;
}

/* Walks a loaded YAML document: a mapping of sources. */
static int y_document(struct v4_groups *g, yaml_document_t *d, const char *path, char **err)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	if (!root)
		return 0; /* an empty file */
	if (root->type != YAML_MAPPING_NODE) {
		*err = xasprintf("%s: not a mapping of group sources", path);
		return -1;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		const char *name = y_scalar(yaml_document_get_node(d, p->key));
		if (!name) {
			*err = xasprintf("%s: a group source name is not a string", path);
			return -1;
		}
		if (y_source(g, d, name, yaml_document_get_node(d, p->value), path, err) < 0)
			return -1;
	}
	return 0;
}

/* Loads the sources of one YAML group file. */
static int yaml_file(struct v4_groups *g, const char *path, char **err)
{
	char *text;
	size_t len;
	if (read_file(path, GROUPS_MAX_FILE, &text, &len) < 0) {
		if (errno == EACCES || errno == EPERM)
			return 0; /* skipped, as ClusterShell does */
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_t p;
	yaml_document_t d;
	int rc = -1;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &d)) {
		*err = xasprintf("%s:%zu: YAML: %s", path, p.problem_mark.line + 1,
				 p.problem ? p.problem : "malformed");
	} else {
		rc = y_document(g, &d, path, err);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&p);
	free(text);
	return rc;
}

/* ---- groups.conf ---- */

/* Splits a folder list as Python's shlex does for plain and quoted words. */
static char **split_words(const char *s, size_t *n)
{
	char **v = NULL;
	size_t cap = 0;
	*n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		struct sbuf w = {0};
		sbuf_adds(&w, "");
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '"' || *s == '\'') {
				char q = *s++;
				while (*s && *s != q)
					sbuf_add(&w, s++, 1);
				s += *s == q;
			} else {
				sbuf_add(&w, s++, 1);
			}
		}
		grow(&v, &cap, *n + 1, sizeof *v);
		v[(*n)++] = sbuf_take(&w);
	}
	return v;
}

/* s with $CFGDIR and ${CFGDIR} replaced by dir. Caller frees. */
static char *subst_cfgdir(const char *s, const char *dir)
{
	struct sbuf b = {0};
	sbuf_adds(&b, "");
	while (*s) {
		if (starts_with(s, "$CFGDIR"))
			sbuf_adds(&b, dir), s += 7;
		else if (starts_with(s, "${CFGDIR}"))
			sbuf_adds(&b, dir), s += 9;
		else
			sbuf_add(&b, s++, 1);
	}
	return sbuf_take(&b);
}

/* Calls each for every file matching dir/pattern (sorted). */
static int each_file(struct v4_groups *g, const struct ini *in, const char *dir, const char *pat,
		     int (*each)(struct v4_groups *, const char *, char **), char **err)
{
	struct stat st;
	(void)in;
	if (stat(dir, &st) < 0)
		return 0; /* a folder that does not exist is skipped */
	if (!S_ISDIR(st.st_mode)) {
		*err = xasprintf("group folder %s is not a folder", dir);
		return -1;
	}
	char *p = xasprintf("%s/%s", dir, pat);
	glob_t gl;
	int rc = 0;
	if (glob(p, 0, NULL, &gl) == 0) {
		for (size_t i = 0; i < gl.gl_pathc && !rc; i++)
			rc = each(g, gl.gl_pathv[i], err);
		globfree(&gl);
	}
	free(p);
	return rc;
}

/* Adds the command-defined sources of one confdir *.conf file. */
static int conf_part(struct v4_groups *g, const char *path, char **err)
{
	struct ini part = {0};
	int rc = ini_read(&part, path, err) < 0 ? -1 : src_upcalls(g, &part, path, err);
	ini_free(&part);
	return rc;
}

/* Loads the folders listed by [Main] key (confdir or autodir). */
static int main_dirs(struct v4_groups *g, const struct ini *in, const char *key,
		     const char *cfgdir, char **err)
{
	const char *list = ini_get(in, "Main", key);
	size_t n;
	char **dirs = split_words(list ? list : "", &n);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		char *d = subst_cfgdir(dirs[i], cfgdir);
		int seen = 0;
		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(dirs[k], dirs[i]);
		if (!seen)
			rc = strcmp(key, "autodir") ? each_file(g, in, d, "*.conf", conf_part, err)
						    : each_file(g, in, d, "*.yaml", yaml_file, err);
		free(d);
	}
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	return rc;
}

/* Builds the sources from the merged groups.conf in, whose $CFGDIR is cfgdir. */
static int from_conf(struct v4_groups *g, const struct ini *in, const char *cfgdir,
		     const char *file, char **err)
{
	const char *confkey = ini_get(in, "Main", "groupsdir") ? "groupsdir" : "confdir";
	if (main_dirs(g, in, confkey, cfgdir, err) < 0 || main_dirs(g, in, "autodir", cfgdir, err) < 0 ||
	    src_upcalls(g, in, file, err) < 0)
		return -1;
	const char *def = ini_get(in, "Main", "default");
	if (def && *def && !src_find(g, def)) {
		*err = xasprintf("%s: default group source '%s' is not defined", file, def);
		return -1;
	}
	g->def = xstrdup(def && *def ? def : g->n ? g->s[0].name : NULL);
	return 0;
}

/* The folder part of path. Caller frees. */
static char *dir_of(const char *path)
{
	const char *sl = strrchr(path, '/');
	return sl ? xstrndup(path, sl == path ? 1 : (size_t)(sl - path)) : xstrdup(".");
}

/* ClusterShell's groups.conf search (lowest priority first). */
static size_t conf_paths(char **v)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *env = getenv("CLUSTERSHELL_CFGDIR");
	size_t n = 0;
	v[n++] = xstrdup("/etc/clustershell/groups.conf");
	if (home && *home)
		v[n++] = xasprintf("%s/.local/etc/clustershell/groups.conf", home);
	if (xdg && *xdg)
		v[n++] = xasprintf("%s/clustershell/groups.conf", xdg);
	else if (home && *home)
		v[n++] = xasprintf("%s/.config/clustershell/groups.conf", home);
	if (env)
		v[n++] = xasprintf("%s/groups.conf", env);
	return n;
}

/* Loads ClusterShell's own configuration (or the groups.conf given). */
static int load_conf(struct v4_groups *g, const char *given, char **err)
{
	char *paths[4], *last = NULL;
	size_t np = given ? 1 : conf_paths(paths);
	struct ini in = {0};
	struct sbuf where = {0};
	int rc = 0;
	if (given)
		paths[0] = xstrdup(given);
	for (size_t i = 0; i < np && rc >= 0; i++) {
		sbuf_printf(&where, "%s%s", where.len ? ", " : "", paths[i]);
		rc = ini_read(&in, paths[i], err);
		if (rc == 0 && given) {
			*err = xasprintf("%s: no such file", given);
			rc = -1;
		}
		if (rc == 1)
			last = paths[i];
	}
	g->searched = sbuf_take(&where);
	if (rc >= 0 && last) {
		char *cfgdir = dir_of(last);
		rc = from_conf(g, &in, cfgdir, last, err);
		free(cfgdir);
	}
	ini_free(&in);
	for (size_t i = 0; i < np; i++)
		free(paths[i]);
	return rc < 0 ? -1 : 0;
}

/* 1 when path names a YAML file. */
static int is_yaml(const char *path)
{
	size_t n = strlen(path);
	return (n > 5 && !strcmp(path + n - 5, ".yaml")) || (n > 4 && !strcmp(path + n - 4, ".yml"));
}

struct v4_groups *v4_groups_load(const char *path, char **err)
{
	struct v4_groups *g = xcalloc(1, sizeof *g);
	int rc;
	if (path && is_yaml(path)) {
		g->searched = xstrdup(path);
		rc = yaml_file(g, path, err);
		if (rc == 0 && g->n)
			g->def = xstrdup(g->s[0].name);
	} else {
		rc = load_conf(g, path, err);
	}
	if (rc < 0) {
		v4_groups_free(g);
		return NULL;
	}
	return g;
}

/* The "all" of source s: its all group, else every group's nodes. Caller frees. */
static char *src_all(const struct gsrc *s)
{
	struct sbuf b = {0};
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->gname[i], "all"))
			return xstrdup(s->gval[i]);
	sbuf_adds(&b, "");
	for (size_t i = 0; i < s->n; i++)
		sbuf_printf(&b, "%s%s", b.len ? "," : "", s->gval[i]);
	return sbuf_take(&b);
}

int v4_groups_lookup(const struct v4_groups *g, const char *source, const char *group,
		     char **value, const char **src, char **err)
{
	const char *name = source ? source : g->def;
	const struct gsrc *s = name ? src_find(g, name) : NULL;
	*value = NULL;
	if (!s) {
		*err = !name ? xasprintf("no ClusterShell group source for @%s (looked for groups.conf "
					 "in: %s)", group, g->searched)
			     : xasprintf("no group source '%s' for @%s", name, group);
		return -1;
	}
	*src = s->name;
	if (s->upcall) {
		*err = xasprintf("group source '%s' (%s) is defined by shell commands, which v4check "
				 "does not run: describe its groups in a YAML file of an autodir "
				 "folder (groups.d/*.yaml) or name one with --groups", s->name, s->file);
		return -1;
	}
	if (!strcmp(group, "*")) {
		*value = src_all(s);
		return 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->gname[i], group)) {
			*value = xstrdup(s->gval[i]);
			return 0;
		}
	*err = xasprintf("no group @%s:%s (%s)", s->name, group, s->file);
	return -1;
}

void v4_groups_free(struct v4_groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		struct gsrc *s = &g->s[i];
		for (size_t k = 0; k < s->n; k++) {
			free(s->gname[k]);
			free(s->gval[k]);
		}
		free(s->gname);
		free(s->gval);
		free(s->name);
		free(s->file);
	}
	free(g->s);
	free(g->def);
	free(g->searched);
	free(g);
}
