/* Shared set-up of the commands that run checks: config, inventory, options. */
#include <stdarg.h>
#include <pwd.h>
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
#include "sshcfg.h"

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

/* --agent's mode from V4CHECK_AGENT where no option set it (empty: unset);
 * -1 when the value is not a mode. */
static int agent_env(struct v4_opts *o)
{
	const char *e = getenv("V4CHECK_AGENT");
	if (o->agent >= 0 || !e || !*e)
		return 0;
	if (v4_agent_mode_parse(e, &o->agent) == 0)
		return 0;
	fprintf(stderr, "v4check: V4CHECK_AGENT is auto, never or require, not '%s'\n", e);
	return -1;
}

/* Takes SSH defaults from the config where no option set them. */
static void ssh_defaults(struct v4_opts *o, const struct v4_config *cfg)
{
	o->cfg_user = v4_cfg_str(cfg, "ssh.user", NULL);
	o->cfg_port = v4_cfg_int(cfg, "ssh.port", 0, 65535, 0);
	if (!o->identity)
		o->identity = v4_cfg_str(cfg, "ssh.identity", NULL);
	if (!o->known_hosts)
		o->known_hosts = v4_cfg_str(cfg, "ssh.known_hosts", NULL);
	if (!o->accept_new_host_keys)
		o->accept_new_host_keys = v4_cfg_int(cfg, "ssh.accept_new_host_keys", 0, 1, 0);
	if (o->agent < 0 && v4_agent_mode_parse(v4_cfg_str(cfg, "ssh.agent", "auto"), &o->agent))
		o->agent = V4_AGENT_AUTO;
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

/* Prints, once each, what the ssh config asks for that v4check does not do
 * (for the nodes and their jump hosts); -1 when the ssh config is malformed. */
static int ssh_config_notes(const struct v4_opts *o, const struct v4_node *nodes, size_t nn)
{
	struct v4_sshcfg_notes notes = {0};
	char *err = NULL;
	int rc = 0;
	for (size_t i = 0; i < nn && !rc; i++)
		rc = v4_sshcfg_notes_for(o->ssh_config, nodes[i].host ? nodes[i].host : nodes[i].name,
					 nodes[i].user ? nodes[i].user : o->user, &notes, &err);
	if (rc)
		fprintf(stderr, "v4check: %s\n", err);
	for (size_t i = 0; !rc && i < notes.n; i++)
		fprintf(stderr, "v4check: warning: ssh config %s\n", notes.v[i]);
	free(err);
	v4_sshcfg_notes_free(&notes);
	return rc;
}

int cli_setup(struct v4_cli *cli, struct v4_config *cfg, struct v4_node **nodes, size_t *nn)
{
	char *err = NULL;
	if (agent_env(&cli->o) || cli_load_config(cli, cfg))
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
	if (cli->o.transport == &v4_transport_ssh && ssh_config_notes(&cli->o, *nodes, *nn)) {
		for (size_t i = 0; i < *nn; i++)
			v4_node_free(&(*nodes)[i]);
		free(*nodes);
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

/* --list-hosts -v: where a node's connection goes after the ssh config, in
 * the words of `ssh -G` (hostname, user, port, proxyjump). */
static void print_target(const struct v4_opts *o, const struct v4_node *n)
{
	struct v4_sshcfg c;
	char *err = NULL;
	const char *host = n->host ? n->host : n->name;
	const char *user = n->user ? n->user : o->user;
	if (v4_sshcfg_resolve(o->ssh_config, host, user, &c, NULL, &err) < 0) {
		printf("%s error %s\n", n->name, err);
		free(err);
		return;
	}
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *me = getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res ? pw.pw_name
											: "root";
	printf("%s hostname %s user %s port %d", n->name, c.hostname ? c.hostname : host,
	       user ? user : c.user ? c.user : o->cfg_user ? o->cfg_user : me,
	       n->port > 0 ? n->port : o->port > 0 ? o->port : c.port > 0 ? c.port
			: o->cfg_port > 0 ? o->cfg_port : 22);
	if (c.proxyjump)
		printf(" proxyjump %s", c.proxyjump);
	printf("\n");
	v4_sshcfg_free(&c);
}

int v4_list_hosts(struct v4_cli *cli)
{
	struct v4_config cfg;
	struct v4_node *nodes;
	size_t nn;
	if (cli_setup(cli, &cfg, &nodes, &nn))
		return V4_EXIT_USAGE;
	for (size_t i = 0; i < nn; i++) {
		if (cli->o.verbose && cli->o.transport == &v4_transport_ssh)
			print_target(&cli->o, &nodes[i]);
		else
			printf("%s\n", nodes[i].name);
		v4_node_free(&nodes[i]);
	}
	free(nodes);
	v4_config_free(&cfg);
	return fflush(stdout) == 0 ? 0 : V4_EXIT_INTERNAL;
}
