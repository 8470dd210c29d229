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

/* The config a capture was collected with, when replaying; else NULL. */
static const char *replay_config(const struct v4_cli *cli)
{
	static char path[4096];
	if (!cli->inv.replay)
		return NULL;
	snprintf(path, sizeof path, "%s/config.json", cli->inv.replay);
	return access(path, R_OK) == 0 ? path : NULL;
}

const char *cli_config_path(const struct v4_cli *cli, const char **why)
{
	const char *env = getenv("V4CHECK_CONFIG"), *rep = replay_config(cli);
	if (cli->config) {
		*why = "-c";
		return cli->config;
	}
	if (env && *env) {
		*why = "V4CHECK_CONFIG";
		return env;
	}
	if (rep) {
		*why = "the capture's";
		return rep;
	}
	if (access(V4_CONFIG_DEFAULT, F_OK) == 0) {
		*why = "the default place";
		return V4_CONFIG_DEFAULT;
	}
	*why = "no " V4_CONFIG_DEFAULT;
	return NULL;
}

int cli_load_config(const struct v4_cli *cli, struct v4_config *cfg)
{
	const char *why, *path = cli_config_path(cli, &why);
	char *err = NULL;
	int rc = v4_config_load(path, cfg, &err);
	if (rc == 0 && (rc = v4_config_check_params(cfg, v4_checks, v4_ncheck, &err)))
		v4_config_free(cfg);
	if (rc) {
		fprintf(stderr, "v4check: %s\n", err);
		free(err);
		return -1;
	}
	if (cli->o.verbose)
		fprintf(stderr, "v4check: configuration: %s (%s)\n", path ? path : "built-in", why);
	return 0;
}

/* Takes tools.path from the config, when it sets one (kept for the run). */
static void tool_path(struct v4_opts *o, const struct v4_config *cfg)
{
	char *p = v4_config_tool_path(cfg);
	if (p)
		o->tool_path = p; /* lives as long as the process */
}

int cli_setup(struct v4_cli *cli, struct v4_config *cfg, struct v4_node **nodes, size_t *nn)
{
	char *err = NULL;
	if (cli_load_config(cli, cfg))
		return -1;
	warn_mode(cli->config);
	ssh_defaults(&cli->o, cfg);
	tool_path(&cli->o, cfg);
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
