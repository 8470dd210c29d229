/* What every report says of its run: the controller's name and the time. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

const char *v4_report_controller(void)
{
	static char name[256];
	if (!name[0] && (gethostname(name, sizeof name - 1) || !name[0]))
		snprintf(name, sizeof name, "localhost");
	return name;
}

void v4_report_rfc3339(double t, char *buf, size_t len)
{
	long long ms = (long long)(t * 1000 + 0.5);
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];
	gmtime_r(&s, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000));
}
