/* hccn_tool -i N -lldp -g: TLV titles on their own lines, each value on the
 * indented line(s) under it; System Description may span several lines,
 * blank ones included. */
#include <stdio.h>
#include <string.h>

#include "lldp.h"
#include "parse_re.h"
#include "util.h"

enum tlv { TLV_NONE, TLV_CHASSIS, TLV_PORT, TLV_FRAME, TLV_OTHER };

/* The TLV a title line opens, or TLV_NONE when the line is not a title. */
static enum tlv title_of(const char *l)
{
	static const struct {
		const char *title;
		enum tlv t;
	} tab[] = {{"Chassis ID TLV", TLV_CHASSIS}, {"Port ID TLV", TLV_PORT},
		   {"Maximum Frame Size TLV", TLV_FRAME}};
	if (l[0] == ' ' || l[0] == '\t' || !strstr(l, " TLV"))
		return TLV_NONE;
	for (size_t i = 0; i < V4_ARRAY_LEN(tab); i++)
		if (strcmp(l, tab[i].title) == 0)
			return tab[i].t;
	size_t n = strlen(l);
	return n > 4 && strcmp(l + n - 4, " TLV") == 0 ? TLV_OTHER : TLV_NONE;
}

/* Takes the value s (an indented line, trimmed) of TLV t into out. */
static void take_value(enum tlv t, char *s, struct v4_lldp *out)
{
	if (t == TLV_CHASSIS && !out->chassis[0])
		snprintf(out->chassis, sizeof out->chassis, "%s", s);
	else if (t == TLV_PORT && starts_with(s, "Ifname:"))
		snprintf(out->port, sizeof out->port, "%s", v4_trim(s + 7));
	else if (t == TLV_FRAME && out->max_frame < 0)
		v4_parse_long(s, &out->max_frame);
}

int v4_parse_lldp(const char *text, size_t len, struct v4_lldp *out, char **err)
{
	memset(out, 0, sizeof *out);
	out->max_frame = -1;
	size_t pos = 0, n;
	const char *line;
	enum tlv cur = TLV_NONE;
	int titles = 0, end = 0;
	while (!end && next_line(text, len, &pos, &line, &n)) {
		char buf[512];
		snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), line);
		char *t = v4_trim(buf); /* buf keeps its indentation */
		enum tlv k = title_of(buf);
		if (!*t)
			continue;
		if (strcmp(t, "End of LLDPDU TLV") == 0)
			end = 1;
		else if (k != TLV_NONE) {
			cur = k;
			titles++;
		} else if (!titles)
			return v4_parse_fail(err, "not LLDP TLV output: '%.60s'", t);
		else if (buf[0] == '\t' || buf[0] == ' ')
			take_value(cur, t, out);
	}
	if (!titles) {
		out->none = 1;
		return 0;
	}
	if (!end)
		return v4_parse_fail(err, "LLDP output cut before \"End of LLDPDU TLV\"");
	if (!out->port[0])
		return v4_parse_fail(err, "LLDP output without a Port ID Ifname");
	return 0;
}
