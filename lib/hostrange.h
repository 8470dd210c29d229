/* Host ranges in pdsh / ClusterShell syntax: "node[01-04],gpu[1-3,7]". */
#ifndef V4_HOSTRANGE_H
#define V4_HOSTRANGE_H

#include <stddef.h>

/* Most hosts one spec may expand to. */
#define V4_HOSTRANGE_MAX 100000

/* Expands spec into *hosts (*n names, in order, duplicates dropped keeping the
 * first). Returns 0, or -1 with *err set (caller frees). Free the result with
 * v4_hostrange_free. */
int v4_hostrange_expand(const char *spec, char ***hosts, size_t *n, char **err);

/* Like v4_hostrange_expand, then drops every host that exclude (a spec, may
 * be NULL or empty) expands to. */
int v4_hostrange_expand_exclude(const char *spec, const char *exclude, char ***hosts,
				size_t *n, char **err);

/* An ordered set of host names (insertion order, duplicates dropped) with a
 * hash index. Zero-initialise; free with v4_hostset_free. */
struct v4_hostset {
	char **v;
	size_t n, cap;
	size_t *tab; /* index + 1, 0 empty */
	size_t tabcap;
	size_t made; /* names added, duplicates included */
};

/* Adds name unless already there; -1 with *err when over V4_HOSTRANGE_MAX. */
int v4_hostset_add(struct v4_hostset *s, const char *name, char **err);
/* 1 when s holds name. */
int v4_hostset_has(const struct v4_hostset *s, const char *name);
/* Frees the names and the index; s is empty again. */
void v4_hostset_free(struct v4_hostset *s);

/* Frees what the expanders return. */
void v4_hostrange_free(char **hosts, size_t n);

/* Folds names back into a spec ("node[1-2,4]"); expanding it gives the same
 * names in the same order. Caller frees. */
char *v4_hostrange_fold(char **names, size_t n);

#endif
