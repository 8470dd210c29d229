/* Whether the text report is coloured: --color, NO_COLOR, TERM, a terminal. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

int v4_color_mode(const char *when, int *mode)
{
	static const char *const words[] = {"auto", "always", "never"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(when, words[i])) {
			*mode = i;
			return 0;
		}
	return -1;
}

/* never: no; always: yes (an explicit option overrides NO_COLOR, as
 * no-color.org asks); auto: on a terminal, NO_COLOR unset or empty, and a
 * TERM that is set and not "dumb". */
int v4_color_wanted(int mode, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
	if (mode != V4_COLOR_AUTO)
		return mode == V4_COLOR_ALWAYS;
	if (no && *no)
		return 0;
	if (!term || !*term || !strcmp(term, "dumb"))
		return 0;
	return isatty(fd);
}
