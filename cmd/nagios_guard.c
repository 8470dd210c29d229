/* -o nagios from the first word: usage, config and internal errors become one
 * "V4CHECK UNKNOWN - ..." line on stdout and exit 3, as a Nagios plugin must
 * answer (monitoring-plugins guidelines: 0-3 only, the status on line 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

int v4_wants_nagios(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc &&
		    !strcmp(argv[i + 1], "nagios"))
			return 1;
		if (!strcmp(a, "-onagios") || !strcmp(a, "--output=nagios"))
			return 1;
	}
	return 0;
}

/* The line that says what went wrong: the last one that is not a warning nor
 * the "(see v4check --help)" hint, without the program-name prefix. */
static char *error_line(char *text)
{
	char *best = NULL;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char *m = strstr(l, ": ");
		if (!strncmp(l, "(see ", 5) || strstr(l, ": warning: "))
			continue;
		best = m && !strncmp(l, "v4check", 7) && m - l < 64 ? m + 2 : l;
		/* getopt names the program as argv[0] (a path): cut up to the first ": " */
		if (m && strchr(l, '/') && strchr(l, '/') < m)
			best = m + 2;
	}
	return best;
}

/* Writes s as Nagios text: '|' (the perfdata separator) becomes '/'. */
static void plugin_text(const char *s)
{
	for (; *s; s++)
		putchar(*s == '|' ? '/' : *s);
}

int v4_nagios_guard(int argc, char **argv, int (*run)(int, char **))
{
	FILE *cap = tmpfile();
	int saved = cap ? dup(2) : -1;
	if (saved < 0 || dup2(fileno(cap), 2) < 0) { /* no temp file: say it without the why */
		if (cap)
			fclose(cap);
		int rc = run(argc, argv);
		fflush(stdout);
		if (rc > 3)
			printf("V4CHECK UNKNOWN - %s error (see standard error)\n",
			       rc == V4_EXIT_USAGE ? "usage or configuration" : "internal");
		return rc > 3 ? 3 : rc;
	}
	int rc = run(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char *text = NULL;
	size_t len = 0;
	long n = ftell(cap);
	if (n > 0 && fseek(cap, 0, SEEK_SET) == 0) {
		text = xcalloc((size_t)n + 1, 1);
		len = fread(text, 1, (size_t)n, cap);
		fwrite(text, 1, len, stderr); /* the messages still reach a person */
	}
	fclose(cap);
	if (rc > 3) {
		char *copy = text ? xstrdup(text) : NULL, *why = copy ? error_line(copy) : NULL;
		fputs(rc == V4_EXIT_USAGE ? "V4CHECK UNKNOWN - usage or configuration error: "
					  : "V4CHECK UNKNOWN - internal error: ", stdout);
		plugin_text(why ? why : "(no message)");
		putchar('\n');
		if (text && len)
			plugin_text(text); /* long output: everything v4check said */
		free(copy);
		rc = 3;
	}
	free(text);
	return rc;
}
