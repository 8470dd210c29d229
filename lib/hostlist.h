/* Host lists as pdsh and ClusterShell take them (-H, -x):
 *
 *   node[01-04],gpu7     ranges (hostrange.h)
 *   ^FILE                the hosts of a file, one range a line, # comments (pdsh -w ^FILE)
 *   @group @src:group    a ClusterShell node group (groups.h); @* @src:* all of a source
 *   A!B  A&B  A^B        difference, intersection, symmetric difference, read left
 *                        to right as ClusterShell's nodeset does ("," is the union)
 *
 * Unlike ClusterShell, the result keeps the order written (it is the rank
 * order), duplicates dropped. Every name must be a host name (letters,
 * digits, '.', '-', '_') or an IPv6 address: anything else is an error. */
#ifndef V4_HOSTLIST_H
#define V4_HOSTLIST_H

#include <stddef.h>

/* Expands spec into *hosts (*n names). groups: the ClusterShell groups.conf
 * or YAML group file to read for @group, NULL for ClusterShell's own
 * search (read only when a group is named). Returns 0, or -1 with *err.
 * Free the result with v4_hostrange_free. */
int v4_hostlist_expand(const char *spec, const char *groups, char ***hosts, size_t *n, char **err);

/* 1 when s is a plain host name or an IPv6 address. */
int v4_host_name_ok(const char *s);

#endif
