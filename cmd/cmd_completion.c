/* completion bash|zsh: shell completion generated from the tables: the
 * commands, the options (with --help's words), the check ids and finding codes.
 * The scripts in contrib/completion/ are this command's output (a test keeps
 * them in step). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* main.c's tables, from the cli (set by run_completion). */
static const struct v4_tables *T;

/* What an option's value is. */
enum kind { K_NONE, K_FREE, K_WORDS, K_FILE, K_DIR, K_CHECKS, K_CHECKS_CODES };

struct optval {
	const char *name;
	enum kind kind;
	const char *words; /* K_WORDS: the values, space-separated */
};

/* Options whose values can be completed; other options with an argument take
 * free text (hosts, numbers, names). The word lists are what main.c accepts
 * (tests/cli/completion.t runs v4check with each). */
static const struct optval optvals[] = {
	{"output", K_WORDS, "text json prom nagios junit"},
	{"phase", K_WORDS, "pre live"},
	{"color", K_WORDS, "auto always never"},
	{"junit-warn", K_WORDS, "failure system-err"},
	{"agent", K_WORDS, "auto never require"},
	{"skip", K_CHECKS, NULL},
	{"warn-only", K_CHECKS_CODES, NULL},
	{"config", K_FILE, NULL},
	{"replay", K_DIR, NULL},
	{"state", K_FILE, NULL},
	{"textfile", K_FILE, NULL},
	{"identity", K_FILE, NULL},
	{"known-hosts", K_FILE, NULL},
	{"ssh-config", K_FILE, NULL},
	{"fix-log", K_FILE, NULL},
	{"api-key-file", K_FILE, NULL},
};

/* The kind of option o's value (K_NONE: it takes none). */
static const struct optval *optval(const struct option *o)
{
	static const struct optval none = {"", K_NONE, NULL}, free_text = {"", K_FREE, NULL};
	if (o->has_arg == no_argument)
		return &none;
	for (size_t i = 0; i < V4_ARRAY_LEN(optvals); i++)
		if (!strcmp(optvals[i].name, o->name))
			return &optvals[i];
	return &free_text;
}

/* 1 for options left out of completion (list --man is for the build). */
static int hidden(const struct option *o)
{
	return !strcmp(o->name, "man");
}

/* Appends to buf the continuation lines of --help that follow l (indented
 * to the description column). */
static void help_more(const char *l, char *buf, size_t len)
{
	static const char indent[] = "                            "; /* 28 */
	while (*l == '\n' && !strncmp(l + 1, indent, 28) && l[29] != ' ') {
		size_t n = strcspn(l + 29, "\n"), k = strlen(buf);
		snprintf(buf + k, len - k, " %.*s", (int)n, l + 29);
		l += 29 + n;
	}
}

/* The --help words of option name into buf: on the option's line (one that
 * starts with '-', the name before column 27), after the first two spaces
 * that follow the option and its argument, else from column 28 where the
 * descriptions start; "" when --help has no line for it. */
static void help_of(const char *name, char *buf, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof pat, "--%s", name);
	buf[0] = 0;
	for (const char *l = T->usage; *l;) {
		size_t n = strcspn(l, "\n"), lead = strspn(l, " ");
		const char *p = strstr(l, pat);
		size_t end = p ? (size_t)(p - l) + strlen(pat) : n;
		if (p && end <= n && (size_t)(p - l) < 27 && l[lead] == '-' &&
		    (l[end] == ' ' || l[end] == '\n')) {
			size_t d = end + 2;
			while (d < n && !(l[d - 2] == ' ' && l[d - 1] == ' ' && l[d] != ' '))
				d++;
			if (d >= n)
				d = 28;
			if (d < n)
				snprintf(buf, len, "%.*s", (int)(n - d), l + d);
			help_more(l + n, buf, len);
			return;
		}
		l += n + (l[n] == '\n');
	}
}

/* Writes s for use inside a single-quoted shell word and a zsh [description]:
 * quotes dropped, brackets made round, backslashes made slashes. */
static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++)
		if (*s == '[' || *s == ']')
			fputc(*s == '[' ? '(' : ')', out);
		else if (*s == '\\')
			fputc('/', out);
		else if (*s != '\'' && *s != '\n')
			fputc(*s, out);
}

/* 1 when code already appears in a check listed before check ci, finding fi. */
static int code_seen(size_t ci, const struct v4_finding *fi)
{
	for (size_t i = 0; i <= ci; i++)
		for (const struct v4_finding *f = v4_checks[i]->findings; f && f->code; f++) {
			if (f == fi)
				return 0;
			if (!strcmp(f->code, fi->code))
				return 1;
		}
	return 0;
}

/* Every finding code once, space-separated, in table order ("OK", a pass,
 * is no code to demote). */
static void put_codes(FILE *out)
{
	int first = 1;
	for (size_t i = 0; i < v4_ncheck; i++)
		for (const struct v4_finding *f = v4_checks[i]->findings; f && f->code; f++)
			if (strcmp(f->code, "OK") && !code_seen(i, f)) {
				fprintf(out, "%s%s", first ? "" : " ", f->code);
				first = 0;
			}
}

/* Every check id, space-separated (sep between). */
static void put_checks(FILE *out, const char *sep)
{
	for (size_t i = 0; i < v4_ncheck; i++)
		fprintf(out, "%s%s", i ? sep : "", v4_checks[i]->id);
}

/* What a command's arguments are, from its args text: checks, files, words
 * (a|b) or nothing. */
static enum kind cmd_kind(const struct v4_cmd *c)
{
	if (strstr(c->args, "CHECK"))
		return K_CHECKS;
	if (strstr(c->args, "FILE"))
		return K_FILE;
	return strchr(c->args, '|') ? K_WORDS : K_NONE;
}

/* ---- bash ---- */

/* The option names of the given value kind, as a case pattern ("-c|--config"). */
static int bash_pattern(FILE *out, enum kind k, const char *words)
{
	int n = 0;
	for (const struct option *o = T->opts; o->name; o++) {
		const struct optval *v = optval(o);
		if (hidden(o) || v->kind != k || (words && (!v->words || strcmp(v->words, words))))
			continue;
		if (o->val > 0 && o->val < 256)
			fprintf(out, "%s-%c", n++ ? "|" : "", o->val);
		fprintf(out, "%s--%s", n++ ? "|" : "", o->name);
	}
	return n;
}

/* The case arms that complete an option's value. */
static void bash_values(FILE *out)
{
	static const char *const actions[] = {
		[K_FREE] = "return",
		[K_FILE] = "COMPREPLY=($(compgen -f -- \"$cur\")); return",
		[K_DIR] = "COMPREPLY=($(compgen -d -- \"$cur\")); return",
		[K_CHECKS] = "_v4check_list \"$checks\"; return",
		[K_CHECKS_CODES] = "_v4check_list \"$checks $codes\"; return",
	};
	fputs("\tcase $prev in\n", out);
	for (size_t i = 0; i < V4_ARRAY_LEN(optvals); i++) {
		const struct optval *v = &optvals[i];
		if (v->kind != K_WORDS)
			continue;
		fputs("\t", out);
		bash_pattern(out, K_WORDS, v->words);
		if (!strcmp(v->name, "output")) /* collect -o DIR */
			fputs(")\n\t\tif [[ $cmd == collect ]]; then COMPREPLY=($(compgen -d -- \"$cur\"))\n"
			      "\t\telse COMPREPLY=($(compgen -W \"", out);
		else
			fputs(") COMPREPLY=($(compgen -W \"", out);
		fprintf(out, "%s\" -- \"$cur\"))", v->words);
		fputs(!strcmp(v->name, "output") ? "; fi\n\t\treturn;;\n" : "; return;;\n", out);
	}
	for (enum kind k = K_FREE; k <= K_CHECKS_CODES; k++) {
		if (k == K_WORDS)
			continue;
		fputs("\t", out);
		if (bash_pattern(out, k, NULL))
			fprintf(out, ") %s;;\n", actions[k]);
	}
	fputs("\tesac\n", out);
}

/* The command arms: what follows each command word. */
static void bash_commands(FILE *out)
{
	fputs("\tcase $cmd in\n\t'') COMPREPLY=($(compgen -W \"$commands $checks\" -- \"$cur\"));;\n", out);
	for (size_t i = 0; i < T->ncmds; i++) {
		const struct v4_cmd *c = T->cmds[i];
		enum kind k = !strcmp(c->name, "collect") ? K_CHECKS : cmd_kind(c);
		if (k == K_NONE)
			continue;
		fprintf(out, "\t%s) ", c->name);
		if (k == K_CHECKS && !strstr(c->args, "..."))
			fputs("(( nargs == 0 )) && ", out); /* one check only */
		if (k == K_CHECKS)
			fputs("COMPREPLY=($(compgen -W \"$checks\" -- \"$cur\"));;\n", out);
		else if (k == K_FILE)
			fputs("COMPREPLY=($(compgen -f -- \"$cur\"));;\n", out);
		else {
			fputs("COMPREPLY=($(compgen -W \"", out);
			for (const char *p = c->args; *p; p++)
				fputc(*p == '|' ? ' ' : *p, out);
			fputs("\" -- \"$cur\"));;\n", out);
		}
	}
	fputs("\t*) [[ \" $checks \" == *\" $cmd \"* ]] && COMPREPLY=($(compgen -W \"$checks\" -- \"$cur\"));;\n"
	      "\tesac\n", out);
}

/* The word lists the function starts with. */
static void bash_lists(FILE *out)
{
	fputs("\tlocal checks=\"", out);
	put_checks(out, " ");
	fputs("\"\n\tlocal codes=\"", out);
	put_codes(out);
	fputs("\"\n\tlocal commands=\"", out);
	for (size_t i = 0; i < T->ncmds; i++)
		fprintf(out, "%s%s", i ? " " : "", T->cmds[i]->name);
	fputs("\"\n\tlocal opts=\"", out);
	int n = 0;
	for (const struct option *o = T->opts; o->name; o++)
		if (!hidden(o))
			fprintf(out, "%s--%s", n++ ? " " : "", o->name);
	fputs("\"\n\tlocal argopts=\" ", out);
	for (const struct option *o = T->opts; o->name; o++)
		if (o->has_arg != no_argument) {
			if (o->val > 0 && o->val < 256)
				fprintf(out, "-%c ", o->val);
			fprintf(out, "--%s ", o->name);
		}
	fputs("\"\n", out);
}

static const char bash_head[] =
	"# bash completion for v4check(1): commands, options and their values, check ids,\n"
	"# finding codes. Generated by `v4check completion bash` from v4check's own tables;\n"
	"# do not edit (make completion). Install as\n"
	"# /usr/share/bash-completion/completions/v4check, or source it.\n"
	"\n"
	"# Completes the last item of a comma-separated list ($cur) from the words in $1.\n"
	"_v4check_list()\n"
	"{\n"
	"\tlocal pre=\n"
	"\t[[ $cur == *,* ]] && pre=${cur%,*},\n"
	"\tCOMPREPLY=($(compgen -P \"$pre\" -W \"$1\" -- \"${cur##*,}\"))\n"
	"}\n"
	"\n"
	"_v4check()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= nargs=0 i w\n";

static const char bash_scan[] =
	"\t(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\t# --option=value: bash splits the word at '=' (COMP_WORDBREAKS)\n"
	"\tif [[ $cur == = ]]; then cur=\n"
	"\telif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then prev=${COMP_WORDS[COMP_CWORD-2]}\n"
	"\tfi\n"
	"\t# the command word: the first that is neither an option nor an option's value\n"
	"\tfor (( i = 1; i < COMP_CWORD; i++ )); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tif [[ $w == -* ]]; then\n"
	"\t\t\tif [[ $argopts == *\" $w \"* ]]; then\n"
	"\t\t\t\t[[ ${COMP_WORDS[i+1]} == = ]] && (( i++ ))\n"
	"\t\t\t\t(( i++ ))\n"
	"\t\t\telif [[ ${COMP_WORDS[i+1]} == = ]]; then (( i += 2 ))\n"
	"\t\t\tfi\n"
	"\t\telif [[ -z $cmd ]]; then cmd=$w\n"
	"\t\telse (( nargs++ ))\n"
	"\t\tfi\n"
	"\tdone\n";

/* The bash script. */
static void bash(FILE *out)
{
	fputs(bash_head, out);
	bash_lists(out);
	fputs(bash_scan, out);
	bash_values(out);
	fputs("\tif [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "\t\treturn\n\tfi\n", out);
	bash_commands(out);
}

/* ---- zsh ---- */

/* The _arguments action of an option's value. */
static const char *zsh_action(const struct optval *v)
{
	switch (v->kind) {
	case K_FILE: return ":file:_files";
	case K_DIR: return ":directory:_files -/";
	/* no ':' in an action: _arguments would split the spec there */
	case K_CHECKS: return ":check ids:_values -s , check $ids";
	case K_CHECKS_CODES: return ":check ids or finding codes:_values -s , id $ids $codes";
	case K_FREE: return ":value: ";
	default: return "";
	}
}

/* One _arguments spec line for option o. */
static void zsh_option(FILE *out, const struct option *o)
{
	const struct optval *v = optval(o);
	int arg = v->kind != K_NONE, sh = o->val > 0 && o->val < 256;
	char help[256];
	help_of(o->name, help, sizeof help);
	if (sh)
		fprintf(out, "\t\t'(-%c --%s)'{-%c%s,--%s%s}'", o->val, o->name, o->val, arg ? "+" : "",
			o->name, arg ? "=" : "");
	else
		fprintf(out, "\t\t'--%s%s", o->name, arg ? "=" : "");
	fputc('[', out);
	put_safe(out, *help ? help : o->name);
	fputc(']', out);
	if (v->kind == K_WORDS)
		fprintf(out, ":%s:(%s)", o->name, v->words);
	else
		fputs(zsh_action(v), out);
	fputs("' \\\n", out);
}

/* The arrays: check ids, checks and commands with their titles, codes. */
static void zsh_lists(FILE *out)
{
	fputs("\tlocal -a checks ids codes commands\n\tids=(", out);
	put_checks(out, " ");
	fputs(")\n\tchecks=(\n", out);
	for (size_t i = 0; i < v4_ncheck; i++) {
		fprintf(out, "\t\t'%s:", v4_checks[i]->id);
		put_safe(out, v4_checks[i]->title);
		fputs("'\n", out);
	}
	fputs("\t)\n\tcodes=(", out);
	put_codes(out);
	fputs(")\n\tcommands=(\n", out);
	for (size_t i = 0; i < T->ncmds; i++) {
		fprintf(out, "\t\t'%s:", T->cmds[i]->name);
		put_safe(out, T->cmds[i]->brief);
		fputs("'\n", out);
	}
	fputs("\t)\n", out);
}

/* The arms for what follows each command word. */
static void zsh_commands(FILE *out)
{
	fputs("\targs)\n\t\tcase $words[1] in\n", out);
	for (size_t i = 0; i < T->ncmds; i++) {
		const struct v4_cmd *c = T->cmds[i];
		enum kind k = cmd_kind(c);
		if (k == K_CHECKS && !strstr(c->args, "..."))
			fprintf(out, "\t\t%s) (( CURRENT == 2 )) && _describe -t checks check checks && ret=0;;\n",
				c->name);
		else if (k == K_FILE)
			fprintf(out, "\t\t%s) _files && ret=0;;\n", c->name);
		else if (k == K_WORDS) {
			fprintf(out, "\t\t%s) compadd -- ", c->name);
			for (const char *p = c->args; *p; p++)
				fputc(*p == '|' ? ' ' : *p, out);
			fputs(" && ret=0;;\n", out);
		}
	}
	fputs("\t\tcollect|", out);
	put_checks(out, "|");
	fputs(") _describe -t checks check checks && ret=0;;\n\t\tesac;;\n", out);
}

/* The zsh script (#compdef: for a folder on $fpath). */
static void zsh(FILE *out)
{
	fputs("#compdef v4check\n"
	      "# zsh completion for v4check(1): commands, options and their values, check ids,\n"
	      "# finding codes. Generated by `v4check completion zsh` from v4check's own tables;\n"
	      "# do not edit (make completion). Install as _v4check in a folder on $fpath\n"
	      "# (Debian: /usr/share/zsh/vendor-completions).\n\n"
	      "_v4check()\n{\n", out);
	zsh_lists(out);
	fputs("\tlocal curcontext=$curcontext state line ret=1\n\ttypeset -A opt_args\n"
	      "\t_arguments -C -s -S \\\n", out);
	for (const struct option *o = T->opts; o->name; o++)
		if (!hidden(o))
			zsh_option(out, o);
	fputs("\t\t'1: :->command' \\\n\t\t'*:: :->args' && ret=0\n\tcase $state in\n"
	      "\tcommand)\n\t\t_describe -t commands command commands -- checks && ret=0;;\n", out);
	zsh_commands(out);
	fputs("\tesac\n\treturn ret\n}\n\n_v4check \"$@\"\n", out);
}

static int run_completion(struct v4_cli *cli)
{
	T = cli->tables;
	if (cli->nargs != 1 || (strcmp(cli->args[0], "bash") && strcmp(cli->args[0], "zsh")))
		return usage_error("completion takes bash or zsh");
	if (!strcmp(cli->args[0], "bash")) {
		bash(stdout);
		fputs("}\ncomplete -F _v4check v4check\n", stdout);
	} else {
		zsh(stdout);
	}
	return 0;
}

const struct v4_cmd v4_cmd_completion = {"completion", "bash|zsh", "print the shell completion script",
					 run_completion};
