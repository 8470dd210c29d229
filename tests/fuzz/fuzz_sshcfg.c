/* libFuzzer: the OpenSSH client config parser (Host, Match, Include, options)
 * and ProxyJump lists. Input: config text, 0x1f, a host name. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "sshcfg.h"

/* A memory file holding text; its /proc path in path. -1 when none. */
static int mem_file(const char *text, size_t n, char *path, size_t cap)
{
	int fd = memfd_create("sshcfg", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *host, *err = NULL, path[64];
	size_t tn, hn;
	if (size > 65536)
		return 0;
	fz_split(data, size, 0x1f, &text, &tn, &host, &hn);
	int fd = strstr(text, "Include") ? -1 : mem_file(text, tn, path, sizeof path);
	if (fd >= 0) {
		struct v4_sshcfg c;
		struct v4_sshcfg_notes notes = {0};
		if (v4_sshcfg_resolve(path, *host ? host : "node1", NULL, &c, &notes, &err) == 0) {
			struct v4_sshjump *h;
			size_t n;
			if (c.proxyjump && v4_sshjump_parse(c.proxyjump, &h, &n, &err) == 0)
				v4_sshjump_free(h, n);
			v4_sshcfg_free(&c);
		}
		v4_sshcfg_notes_free(&notes);
		close(fd);
	}
	free(err);
	free(text);
	free(host);
	return 0;
}
