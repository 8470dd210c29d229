/* Shared set-up of the commands that run checks: config, inventory, options. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "transport.h"

int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("v4check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see v4check --help)\n", stderr);
	return V4_EXIT_USAGE;
}

/* Warns when a config file is readable by others. */
static void warn_mode(const char *path)
{
	struct stat st;
	if (path && stat(path, &st) == 0 && (st.st_mode & 044))
		fprintf(stderr, "v4check: warning: %s is readable by others (chmod 600 it)\n", path);
}

/* Warns when the SSH private key (-i or ssh.identity) is readable by others. */
static void warn_identity_mode(const char *path)
{
	const char *home = getenv("HOME");
	char buf[4096];
	if (path && path[0] == '~' && path[1] == '/' && home) {
		snprintf(buf, sizeof buf, "%s%s", home, path + 1);
		path = buf;
	}
	warn_mode(path);
}

/* Takes SSH defaults from the config where no option set them. */
static void ssh_defaults(struct v4_opts *o, const struct v4_config *cfg)
{
	if (!o->user)
		o->user = v4_cfg_str(cfg, "ssh.user", NULL);
	if (!o->port)
		o->port = v4_cfg_int(cfg, "ssh.port", 0, 65535, 0);
	if (!o->identity)
		o->identity = v4_cfg_str(cfg, "ssh.identity", NULL);
	if (!o->known_hosts)
		o->known_hosts = v4_cfg_str(cfg, "ssh.known_hosts", NULL);
	if (!o->accept_new_host_keys)
		o->accept_new_host_keys = v4_cfg_int(cfg, "ssh.accept_new_host_keys", 0, 1, 0);
	double ct = v4_cfg_num(cfg, "ssh.connect_timeout", 0);
	if (ct > 0 && ct <= 3600 && o->connect_timeout_ms == 5000)
		o->connect_timeout_ms = (int)(ct * 1000);
}

/* The config a capture was collected with, when replaying without -c. */
static const char *replay_config(struct v4_cli *cli)
{
	static char path[4096];
	if (cli->config || !cli->inv.replay)
		return cli->config;
	snprintf(path, sizeof path, "%s/config.json", cli->inv.replay);
	return access(path, R_OK) == 0 ? path : NULL;
}

int cli_setup(struct v4_cli *cli, struct v4_config *cfg, struct v4_node **nodes, size_t *nn)
{
	char *err = NULL;
	if (v4_config_load(replay_config(cli), cfg, &err)) {
		fprintf(stderr, "v4check: %s\n", err);
		free(err);
		return -1;
	}
	if (v4_config_check_params(cfg, v4_checks, v4_ncheck, &err)) {
		fprintf(stderr, "v4check: %s\n", err);
		free(err);
		v4_config_free(cfg);
		return -1;
	}
	warn_mode(cli->config);
	ssh_defaults(&cli->o, cfg);
	if (v4_inventory(&cli->inv, cfg, &cli->o, nodes, nn, &err)) {
		fprintf(stderr, "v4check: %s\n", err);
		free(err);
		v4_config_free(cfg);
		return -1;
	}
	if (cli->o.transport == &v4_transport_ssh)
		warn_identity_mode(cli->o.identity);
	return 0;
}

size_t cli_checks(const struct v4_cli *cli, const struct v4_check **out, size_t max)
{
	return v4_select_checks(v4_checks, v4_ncheck, &cli->o, out, max);
}
