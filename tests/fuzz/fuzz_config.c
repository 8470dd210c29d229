/* libFuzzer: v4_config_load (the file is a memfd named by /proc/self/fd). */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "v4.h"

/* Writes the input to a memfd, loads it as the config and reads some values. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FZ_MAX_INPUT)
		return 0;
	int fd = memfd_create("v4conf", 0);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct v4_config cfg;
	char *err = NULL;
	if (v4_config_load(path, &cfg, &err) == 0) {
		(void)v4_cfg_str(&cfg, "deployment.container", "vllm");
		(void)v4_cfg_num(&cfg, "deployment.npus_per_node", 8);
		(void)v4_cfg_get(&cfg, "checks.tls.expected");
		for (size_t i = 0; i < cfg.nnodes; i++)
			if (!cfg.nodes[i].name || !cfg.nodes[i].host)
				abort(); /* a loaded node has a name and a host */
		v4_config_free(&cfg);
	} else if (!err) {
		abort();
	}
	free(err);
	close(fd);
	return 0;
}
