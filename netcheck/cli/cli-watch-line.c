/* watch's start-up line: what it watches, how often, where the metrics
 * go.  Watch prints nothing else while every path stays as it was, so this
 * line is how a user sees that it started.  Pure (tested alone:
 * test-cli-watch-line.c).  May call: nothing. */
#include <inttypes.h>
#include <stdio.h>

#include "cli-internal.h"

/* "15s", "1500ms", "2m", "1h": the interval as it was most likely given */
static void interval_text(uint64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%" PRIu64 "h", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "ms", ms);
}

void cli_watch_start_line(const cli_watch_start_t *s, char *buf, size_t len)
{
	char interval[32], cycles[48] = "", served[CLI_WATCH_URL_MAX + 16] = "", file[320] = "";

	interval_text(s->interval_ms, interval, sizeof(interval));
	if (s->count > 0)
		snprintf(cycles, sizeof(cycles), " for %" PRIu64 " cycle%s", s->count, s->count == 1 ? "" : "s");
	if (s->url != NULL && s->url[0] != '\0')
		snprintf(served, sizeof(served), "; metrics on %s", s->url);
	if (s->metrics_file != NULL)
		snprintf(file, sizeof(file), "%s %.256s", served[0] ? " and in" : "; metrics in", s->metrics_file);
	snprintf(buf, len, "netcheck: watching %s %.128s every %s%s%s%s",
		 s->project ? "Compose project" : s->users ? "container" : "netcheck's test container",
		 s->name != NULL && s->name[0] != '\0' ? s->name : "?", interval, cycles, served, file);
}
