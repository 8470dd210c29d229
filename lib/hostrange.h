/* Host ranges as pdsh and ClusterShell write them: node[01-04],198.18.0.[11-14]. */
#ifndef V4_HOSTRANGE_H
#define V4_HOSTRANGE_H
#include <stddef.h>
int v4_hostrange_expand(const char *spec, char ***hosts, size_t *n, char **err);
char *v4_hostrange_fold(char **names, size_t n);
#endif
