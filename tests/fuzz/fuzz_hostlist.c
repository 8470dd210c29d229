/* libFuzzer: -H host lists (ranges, @groups, nodeset operators) against a
 * ClusterShell YAML group file. Input: a host list, 0x1f, the YAML text. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "hostlist.h"
#include "hostrange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec, *yaml, *err = NULL, path[64];
	size_t sn, yn;
	if (size > 8192)
		return 0;
	fz_split(data, size, 0x1f, &spec, &sn, &yaml, &yn);
	int fd = memfd_create("groups.yaml", MFD_CLOEXEC);
	if (!strchr(spec, '^') && fd >= 0 && write(fd, yaml, yn) == (ssize_t)yn) {
		/* a name ending in .yaml makes it a group file: link the memfd there */
		char link[96];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		snprintf(link, sizeof link, "/tmp/fuzz-hostlist-%d.yaml", (int)getpid());
		unlink(link);
		if (symlink(path, link) == 0) {
			char **hosts;
			size_t n;
			if (v4_hostlist_expand(spec, link, &hosts, &n, &err) == 0)
				v4_hostrange_free(hosts, n);
			unlink(link);
		}
	}
	if (fd >= 0)
		close(fd);
	free(err);
	free(spec);
	free(yaml);
	return 0;
}
