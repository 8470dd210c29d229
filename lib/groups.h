/* ClusterShell node groups (`-H @group`): groups.conf and its YAML group files.
 *
 * Read as ClusterShell 1.9 reads them (ClusterShell's Defaults.py
 * config_paths and NodeUtils.py GroupResolverConfig): groups.conf from
 * /etc/clustershell, ~/.local/etc/clustershell, $XDG_CONFIG_HOME/clustershell
 * (~/.config/clustershell) and $CLUSTERSHELL_CFGDIR, later files overriding
 * earlier ones' keys, $CFGDIR being the folder of the last one read; sources
 * from the [Main] autodir folders' *.yaml files ("source: {group: nodeset}",
 * a nodeset a string or a list of strings); [Main] default names the default
 * source. Sources defined by shell commands (map: upcalls, in groups.conf or
 * its confdir) are known by name but never run. */
#ifndef V4_GROUPS_H
#define V4_GROUPS_H

struct v4_groups;

/* Loads the group sources. path: a groups.conf, or a single YAML group file
 * (*.yaml, *.yml), or NULL for ClusterShell's own search. No configuration
 * found is not an error (then no group resolves). NULL with *err on error. */
struct v4_groups *v4_groups_load(const char *path, char **err);

/* The node set text of group (in source, NULL = the default source; group
 * "*" = the source's "all" group, else all its groups). *src is set to the
 * source it was found in (owned by g). -1 with *err when unknown. Caller
 * frees *value. */
int v4_groups_lookup(const struct v4_groups *g, const char *source, const char *group,
		     char **value, const char **src, char **err);

void v4_groups_free(struct v4_groups *g);

#endif
