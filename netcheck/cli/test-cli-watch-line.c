/* Unit tests for watch's start-up line (cli-watch-line.c): what it
 * watches, how often, where the metrics are.  Pure: no loop, no engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli-internal.h"

static const char *line_of(const cli_watch_start_t *s)
{
	static char buf[1024];

	cli_watch_start_line(s, buf, sizeof(buf));
	return buf;
}

static void test_start_line(void **state)
{
	char small[24];
	(void)state;

	/* the default: our container, served metrics */
	assert_string_equal(line_of(&(cli_watch_start_t){ .name = "netcheck-1a2cfa19445a", .interval_ms = 15000,
							  .url = "http://127.0.0.1:9469/metrics" }),
			    "netcheck: watching netcheck's test container netcheck-1a2cfa19445a every 15s; metrics on "
			    "http://127.0.0.1:9469/metrics");
	/* a user's container, the interval as given, a count, the file only */
	assert_string_equal(line_of(&(cli_watch_start_t){ .name = "web", .users = true, .interval_ms = 1500, .count = 3,
							  .metrics_file = "/var/lib/node_exporter/netcheck.prom" }),
			    "netcheck: watching container web every 1500ms for 3 cycles; metrics in "
			    "/var/lib/node_exporter/netcheck.prom");
	/* a project, both the server and the file, minutes */
	assert_string_equal(line_of(&(cli_watch_start_t){ .name = "shop", .project = true, .interval_ms = 120000,
							  .count = 1, .url = "http://[::1]:40000/metrics",
							  .metrics_file = "m.prom" }),
			    "netcheck: watching Compose project shop every 2m for 1 cycle; metrics on "
			    "http://[::1]:40000/metrics and in m.prom");
	/* no name known: said so, not a blank */
	assert_string_equal(line_of(&(cli_watch_start_t){ .interval_ms = 3600000 }),
			    "netcheck: watching netcheck's test container ? every 1h");
	/* cut to the buffer, terminated */
	cli_watch_start_line(&(cli_watch_start_t){ .name = "web", .interval_ms = 1000 }, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
