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

/* Frees what the expanders return. */
void v4_hostrange_free(char **hosts, size_t n);

/* Folds names back into a spec ("node[1-2,4]"); expanding it gives the same
 * names in the same order. Caller frees. */
char *v4_hostrange_fold(char **names, size_t n);

#endif
