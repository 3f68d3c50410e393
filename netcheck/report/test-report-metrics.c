/* Unit tests for watch's metrics (report-metrics.c): the exact OpenMetrics
 * and Prometheus text of a recorded model over three cycles, the
 * state-change lines, the NDJSON line, and fixed memory over many cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include <jansson.h>

#include "netcheck/metrics.h"
#include "netcheck/report.h"

/* cycle 0, 1: both reachable; cycle 2: published-loopback dropped */
static nc_result_t *recorded(int cycle)
{
	nc_result_t *r = nc_result_new();
	nc_endpoint_t t1 = ep("127.0.0.1", 32768), t2 = ep("172.17.0.2", 80);
	nc_path_t *p;

	assert_non_null(r);
	snprintf(nc_result_container(r)->name, sizeof(nc_result_container(r)->name), "netcheck-\"a\\b");
	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK, &t1, &p), 0);
	p->verdict = NC_VERDICT_REACHABLE;
	p->expected = true;
	p->mechanism = NC_MECH_NAT;
	p->timings.connect_ms = 0.3;
	p->timings.total_ms = cycle == 0 ? 0.4 : 3.0;
	if (cycle == 2) {
		p->verdict = NC_VERDICT_TIMEOUT;
		p->expected = false;
		p->mechanism = NC_MECH_NONE;
		nc_path_diagnose(p, NC_DIAG_DROPPED, "", "rule DOCKER-USER drop");
	}
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, &t2, &p), 0);
	p->verdict = NC_VERDICT_REACHABLE;
	p->expected = true;
	p->mechanism = NC_MECH_DIRECT;
	p->timings.connect_ms = 0.1;
	p->timings.total_ms = -1;
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_UDP, &t2, &p), 0);
	p->verdict = NC_VERDICT_SKIPPED; /* not measured: not in the metrics */
	return r;
}

static char changes[4][256];
static size_t n_changes;

static void on_change(void *data, const char *line)
{
	(void)data;
	assert_true(n_changes < 4);
	snprintf(changes[n_changes++], sizeof(changes[0]), "%s", line);
}

static nc_metrics_t *three_cycles(void)
{
	nc_metrics_t *m = nc_metrics_new();

	assert_non_null(m);
	n_changes = 0;
	for (int c = 0; c < 3; c++) {
		nc_result_t *r = recorded(c);

		assert_int_equal(nc_metrics_observe(m, r, 0.25 * (c + 1), c == 2, on_change, NULL), c == 2 ? 1 : 0);
		nc_result_free(r);
	}
	return m;
}

static const char openmetrics[] =
	"# HELP netcheck_path_up Whether the path was reachable in the last cycle.\n"
	"# TYPE netcheck_path_up gauge\n"
	"netcheck_path_up{path=\"published-loopback\",target=\"netcheck-\\\"a\\\\b\",mechanism=\"none\"} 0\n"
	"netcheck_path_up{path=\"direct-tcp\",target=\"netcheck-\\\"a\\\\b\",mechanism=\"direct\"} 1\n"
	"# HELP netcheck_path_latency_seconds Time from connecting to the answer, of the cycles the path was reachable.\n"
	"# TYPE netcheck_path_latency_seconds histogram\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.0001\"} 0\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.00025\"} 0\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.0005\"} 1\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.001\"} 1\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.0025\"} 1\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.005\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.01\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.025\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.05\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.1\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"0.5\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"2.5\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"published-loopback\",le=\"+Inf\"} 2\n"
	"netcheck_path_latency_seconds_sum{path=\"published-loopback\"} 0.003400\n"
	"netcheck_path_latency_seconds_count{path=\"published-loopback\"} 2\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.0001\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.00025\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.0005\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.001\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.0025\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.005\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.01\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.025\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.05\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.1\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"0.5\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"2.5\"} 3\n"
	"netcheck_path_latency_seconds_bucket{path=\"direct-tcp\",le=\"+Inf\"} 3\n"
	"netcheck_path_latency_seconds_sum{path=\"direct-tcp\"} 0.000300\n"
	"netcheck_path_latency_seconds_count{path=\"direct-tcp\"} 3\n"
	"# HELP netcheck_path_failures Cycles in which the path failed, by diagnosis code (or verdict when none).\n"
	"# TYPE netcheck_path_failures counter\n"
	"netcheck_path_failures_total{path=\"published-loopback\",code=\"dropped\"} 1\n"
	"# HELP netcheck_cycles Cycles completed.\n"
	"# TYPE netcheck_cycles counter\n"
	"netcheck_cycles_total 3\n"
	"# HELP netcheck_cycle_duration_seconds How long the last cycle took: probes, capture, attribution, facts.\n"
	"# TYPE netcheck_cycle_duration_seconds gauge\n"
	"netcheck_cycle_duration_seconds 0.750000\n"
	"# EOF\n";

static void test_openmetrics(void **state)
{
	nc_metrics_t *m = three_cycles();
	char *text = nc_metrics_render(m, true);

	(void)state;
	assert_non_null(text);
	assert_string_equal(text, openmetrics);
	free(text);
	nc_metrics_free(m);
}

/* Prometheus text: a counter's TYPE names the _total sample, no # EOF */
static void test_prometheus_text(void **state)
{
	nc_metrics_t *m = three_cycles();
	char *text = nc_metrics_render(m, false);

	(void)state;
	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE netcheck_cycles_total counter\nnetcheck_cycles_total 3\n"));
	assert_non_null(strstr(text, "# TYPE netcheck_path_failures_total counter\n"));
	assert_null(strstr(text, "# EOF"));
	assert_null(strstr(text, "# TYPE netcheck_cycles counter"));
	free(text);
	nc_metrics_free(m);
}

static void test_state_change(void **state)
{
	nc_metrics_t *m = three_cycles();

	(void)state;
	assert_int_equal(n_changes, 1);
	assert_string_equal(changes[0], "published-loopback: reachable -> dropped (rule DOCKER-USER drop)");
	/* back to reachable, UTF-8 arrow, no reason */
	nc_result_t *r = recorded(0);
	assert_int_equal(nc_metrics_observe(m, r, 0.1, false, on_change, NULL), 1);
	assert_string_equal(changes[1], "published-loopback: dropped \u2192 reachable");
	nc_result_free(r);
	nc_metrics_free(m);
}

/* a path that fails from the first cycle never changes state: it gets a
 * line then, and is not counted as a change */
static void test_first_cycle_failing(void **state)
{
	nc_metrics_t *m = nc_metrics_new();
	nc_result_t *r = recorded(2);

	(void)state;
	assert_non_null(m);
	n_changes = 0;
	assert_int_equal(nc_metrics_observe(m, r, 0.1, true, on_change, NULL), 0);
	assert_int_equal(n_changes, 1);
	assert_string_equal(changes[0], "published-loopback: dropped (rule DOCKER-USER drop)");
	/* the same again: no line */
	assert_int_equal(nc_metrics_observe(m, r, 0.1, true, on_change, NULL), 0);
	assert_int_equal(n_changes, 1);
	nc_result_free(r);
	nc_metrics_free(m);
}

/* the line's paths are the JSON report's path objects (report-json.c's),
 * without the packet list, with the latency in seconds */
static void test_cycle_json(void **state)
{
	nc_result_t *r = recorded(2);
	char *line = nc_metrics_cycle_json(r, 7, 1700000000.5, 0.25);
	json_t *doc, *paths, *whole;
	json_error_t jerr;

	(void)state;
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	/* 12 significant digits, as the report: 0.1 ms, not 0.10000000000000001 */
	assert_null(strstr(line, "0000000000"));
	doc = json_loads(line, 0, &jerr);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "cycle")), 7);
	assert_true(json_real_value(json_object_get(doc, "time")) == 1700000000.5);
	assert_true(json_real_value(json_object_get(doc, "duration_seconds")) == 0.25);
	assert_string_equal(json_string_value(json_object_get(doc, "target")), "netcheck-\"a\\b");
	paths = json_object_get(doc, "paths");
	assert_int_equal(json_array_size(paths), nc_result_path_count(r));
	for (size_t i = 0; i < json_array_size(paths); i++) {
		json_t *o = json_array_get(paths, i);
		const nc_path_t *p = nc_result_path_const(r, i);

		whole = nc_report_json_path(p, false);
		assert_non_null(whole);
		/* every member of the report's path object but the packets, as it is */
		assert_null(json_object_get(whole, "packets"));
		json_object_set(whole, "latency_seconds", json_object_get(o, "latency_seconds"));
		assert_true(json_equal(o, whole));
		json_decref(whole);
		assert_null(json_object_get(o, "packets"));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(paths, 0), "name")), "published-loopback");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(paths, 0), "diagnosis"), "code")),
			    "dropped");
	assert_true(json_is_null(json_object_get(json_array_get(paths, 0), "latency_seconds")));
	assert_true(json_real_value(json_object_get(json_array_get(paths, 1), "latency_seconds")) == 0.0001);
	assert_string_equal(json_string_value(json_object_get(json_array_get(paths, 2), "verdict")), "skipped");
	json_decref(doc);
	free(line);
	nc_result_free(r);
}

/* jansson's allocations, counted (json_set_alloc_funcs) */
static size_t json_allocs;

static void *counting_malloc(size_t n)
{
	json_allocs++;
	return malloc(n);
}

static size_t allocs_of_line(const nc_result_t *r)
{
	char *line;

	json_allocs = 0;
	line = nc_metrics_cycle_json(r, 1, 1700000000.5, 0.25);
	assert_non_null(line);
	free(line);
	return json_allocs;
}

/* A line a cycle builds no packet list: a path with 512 packets costs
 * the line what one without any does (the report's own path object built
 * them all, 512 objects of 11 members, and the line threw them away). */
static void test_cycle_json_no_packets(void **state)
{
	nc_result_t *r = recorded(0);
	nc_path_t *p = nc_result_path(r, 0);
	nc_packet_summary_t pkt = { .ts_ns = 1, .proto = 6, .src = ep("127.0.0.1", 40000), .dst = ep("127.0.0.1", 32768) };
	json_t *whole;
	size_t bare;

	(void)state;
	json_set_alloc_funcs(counting_malloc, free);
	bare = allocs_of_line(r);
	for (size_t i = 0; i < NC_MAX_PACKETS_PER_PATH; i++)
		assert_int_equal(nc_path_add_packet(p, &pkt), 0);
	assert_int_equal(allocs_of_line(r), bare);
	/* the report keeps them */
	whole = nc_report_json_path(p, true);
	assert_non_null(whole);
	assert_int_equal(json_array_size(json_object_get(whole, "packets")), NC_MAX_PACKETS_PER_PATH);
	json_decref(whole);
	json_set_alloc_funcs(malloc, free);
	nc_result_free(r);
}

/* the rendered size is the same after 10 and 10,000 cycles of the same
 * paths: nothing grows with the cycles but the counters' digits */
static void test_flat(void **state)
{
	nc_metrics_t *m = nc_metrics_new();
	nc_result_t *r = recorded(2);
	size_t at10 = 0;

	(void)state;
	for (int c = 1; c <= 10000; c++) { /* numbers reach 5 digits */
		nc_metrics_observe(m, r, 0.5, true, NULL, NULL);
		if (c == 10) {
			char *t = nc_metrics_render(m, true);
			at10 = strlen(t);
			free(t);
		}
	}
	char *t = nc_metrics_render(m, true);
	assert_true(strlen(t) <= at10 + 3 * 20); /* 17 numbers of 2 digits become 5 */
	assert_non_null(strstr(t, "netcheck_path_failures_total{path=\"published-loopback\",code=\"dropped\"} 10000\n"));
	free(t);
	nc_result_free(r);
	nc_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openmetrics),   cmocka_unit_test(test_prometheus_text),
		cmocka_unit_test(test_state_change),  cmocka_unit_test(test_first_cycle_failing),
		cmocka_unit_test(test_cycle_json),    cmocka_unit_test(test_cycle_json_no_packets),
		cmocka_unit_test(test_flat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
