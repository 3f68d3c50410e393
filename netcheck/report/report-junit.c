/* The JUnit XML view of a result, for CI systems (GitLab, Jenkins, GitHub
 * test reporters): one <testcase> per path, a <failure> for each path that
 * did not behave as expected (diagnosis as the message, the evidence trail
 * as the body), <skipped> for a path that could not be probed, and the
 * environment in <system-out>.  Paths are grouped in one <testsuite> per
 * swarm node (nc_path_t.node); a single-host run has one, named
 * "netcheck".  Every string from the model is escaped (engine and
 * container text is untrusted).  Reads the result model only; writes only
 * to the FILE* it is given; allocates nothing.  May call: result, endpoint. */
#include "netcheck/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-internal.h"
#include "netcheck/testing.h"

/* Escaped text of a fixed-size model field, or of a composed string. */
#define ESC_FIELD(field, buf, nl) nc_report_xml_escape((field), sizeof(field), (nl), (buf), sizeof(buf))
#define ESC_STR(str, buf, nl) nc_report_xml_escape((str), strlen(str) + 1, (nl), (buf), sizeof(buf))

#define XML_MAX (NC_DETAIL_MAX * 6 + 64)

static void endpoint_text(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	if (!nc_endpoint_is_set(e) || nc_endpoint_format(e, with_port, buf, len) < 0)
		snprintf(buf, len, "-");
}

static bool same_node(const nc_path_t *a, const nc_path_t *b)
{
	return strncmp(a->node, b->node, sizeof(a->node)) == 0 &&
	       strncmp(a->service, b->service, sizeof(a->service)) == 0;
}

/* A path's seconds, as JUnit wants them: the probe's total time. */
static double path_seconds(const nc_path_t *p)
{
	return isfinite(p->timings.total_ms) && p->timings.total_ms > 0 ? p->timings.total_ms / 1000.0 : 0.0;
}

static bool is_skip(const nc_path_t *p)
{
	return p->expected && p->verdict == NC_VERDICT_SKIPPED;
}

/* JUnit tells a test that failed from one that could not run: a path whose
 * probe could not be made (verdict error) is an <error>, not a <failure>. */
static bool is_error(const nc_path_t *p)
{
	return !p->expected && p->verdict == NC_VERDICT_ERROR;
}

/* What one path adds to a suite's counts. */
struct counts {
	size_t tests, failures, errors, skipped;
	double seconds;
};

static void count_path(struct counts *c, const nc_path_t *p)
{
	c->tests++;
	c->seconds += path_seconds(p);
	if (is_skip(p))
		c->skipped++;
	else if (is_error(p))
		c->errors++;
	else if (!p->expected)
		c->failures++;
}

/* "verdict timeout, expected reachable: <diagnosis>" (mechanisms named
 * when the expectation names them) */
static void failure_message(const nc_path_t *p, char *buf, size_t len)
{
	char wanted[96], others[128], why[NC_DIAG_DETAIL_MAX + NC_DETAIL_MAX];
	size_t o;

	nc_report_mechanisms_text(p->expectation.mechanisms, wanted, sizeof(wanted));
	nc_report_other_verdicts_text(p->expectation.other_verdicts, others, sizeof(others));
	if (wanted[0] != '\0')
		o = (size_t)snprintf(buf, len, "verdict %s (%s), expected %s (%s)%s", nc_report_name_or(nc_verdict_name(p->verdict), "?"),
				     nc_report_name_or(nc_mechanism_name(p->mechanism), "?"),
				     nc_report_name_or(nc_verdict_name(p->expectation.verdict), "?"), wanted, others);
	else
		o = (size_t)snprintf(buf, len, "verdict %s, expected %s%s", nc_report_name_or(nc_verdict_name(p->verdict), "?"),
				     nc_report_name_or(nc_verdict_name(p->expectation.verdict), "?"), others);
	if (p->diagnosis.code != NC_DIAG_NONE && p->diagnosis.detail[0] != '\0')
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(p->diagnosis.detail), p->diagnosis.detail);
	else if (p->foreign_responder)
		snprintf(why, sizeof(why), "answered by another container (IP collision)");
	else
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(p->detail), p->detail);
	if (why[0] != '\0' && o < len)
		snprintf(buf + o, len - o, ": %s", why);
}

/* The evidence trail, one hop a line, for a failure's body. */
static void print_trail(FILE *out, const nc_path_t *p)
{
	bool with_port = nc_report_path_has_ports(p);
	char text[XML_MAX];

	if (p->diagnosis.code != NC_DIAG_NONE && p->diagnosis.hint[0] != '\0') {
		ESC_FIELD(p->diagnosis.hint, text, true);
		fprintf(out, "hint: %s\n", text);
	}
	for (size_t k = 0; p->diagnosis.code != NC_DIAG_NONE && k < p->diagnosis.n_observed && k < NC_DIAG_OBSERVED_MAX; k++) {
		ESC_FIELD(p->diagnosis.observed[k].text, text, true);
		fprintf(out, "observed (%s): %s\n", nc_report_name_or(nc_obs_source_name(p->diagnosis.observed[k].source), "?"),
			text);
	}
	if (p->route[0] != '\0') {
		ESC_FIELD(p->route, text, true);
		fprintf(out, "route: %s\n", text);
	}
	if (p->detail[0] != '\0') {
		ESC_FIELD(p->detail, text, true);
		fprintf(out, "detail: %s\n", text);
	}
	if (p->evidence_state != NC_EVIDENCE_CAPTURED) {
		fputs("evidence: not captured\n", out);
		return;
	}
	if (p->n_hops == 0) {
		fputs("evidence: no packets seen at any capture point\n", out);
		return;
	}
	fputs("evidence:\n", out);
	for (size_t i = 0; i < p->n_hops; i++) {
		const nc_hop_t *h = &p->hops[i];
		char point[NC_POINT_NAME_MAX * 6], src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN], ts[40];

		ESC_FIELD(h->capture_point, point, false);
		endpoint_text(&h->src, with_port, src, sizeof(src));
		endpoint_text(&h->dst, with_port, dst, sizeof(dst));
		if (nc_report_time_rfc3339(h->first_ns, ts, sizeof(ts)) < 0)
			snprintf(ts, sizeof(ts), "?");
		fprintf(out, "  %s %s %s %s -&gt; %s: %" PRIu32 " packet%s from %s", point, nc_report_name_or(nc_leg_name(h->leg), "?"),
			nc_direction_name(h->direction), src, dst, h->packets, h->packets == 1 ? "" : "s", ts);
		if (i > 0)
			fprintf(out, " (%+.3f ms)", ((double)h->first_ns - (double)p->hops[i - 1].first_ns) / 1e6);
		fputc('\n', out);
	}
}

static void print_testcase(FILE *out, const nc_result_t *r, const nc_path_t *p)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	char name[NC_PATH_NAME_MAX * 6], text[XML_MAX], message[NC_DIAG_DETAIL_MAX + NC_DETAIL_MAX + 160];

	nc_report_xml_escape(nc_report_path_name(p), NC_PATH_NAME_MAX, false, name, sizeof(name));
	fprintf(out, "    <testcase classname=\"netcheck.%s\" name=\"%s\" time=\"%.3f\"",
		nc_report_name_or(nc_env_kind_name(env->kind), "unknown"), name, path_seconds(p));
	if (p->expected && !is_skip(p)) {
		fputs("/>\n", out);
		return;
	}
	fputs(">\n", out);
	if (is_skip(p)) {
		ESC_STR(p->detail[0] != '\0' ? p->detail : "not probed", text, false);
		fprintf(out, "      <skipped message=\"%s\"/>\n", text);
	} else {
		const char *element = is_error(p) ? "error" : "failure";

		failure_message(p, message, sizeof(message));
		ESC_STR(message, text, false);
		fprintf(out, "      <%s message=\"%s\" type=\"%s\">", element, text,
			p->diagnosis.code != NC_DIAG_NONE ? nc_report_name_or(nc_diag_code_name(p->diagnosis.code), "unknown")
							   : nc_report_name_or(nc_verdict_name(p->verdict), "unknown"));
		print_trail(out, p);
		fprintf(out, "</%s>\n", element);
	}
	fputs("    </testcase>\n", out);
}

/* The environment summary, escaped, for <system-out>. */
static void print_environment(FILE *out, const nc_result_t *r)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	const nc_container_t *c = nc_result_container_const(r);
	char a[XML_MAX], b[XML_MAX], d[XML_MAX], e[XML_MAX], addr[NC_ENDPOINT_STRLEN];

	fputs("    <system-out>", out);
	ESC_FIELD(env->engine_name, a, false);
	ESC_FIELD(env->engine_version, b, false);
	ESC_FIELD(env->api_version, d, false);
	ESC_FIELD(env->engine_url, e, false);
	fprintf(out, "environment: %s\nengine: %s %s (API %s) at %s\n", nc_report_name_or(nc_env_kind_name(env->kind), "unknown"),
		a, b, d, e);
	ESC_FIELD(env->os, a, false);
	endpoint_text(&env->host_address, false, addr, sizeof(addr));
	ESC_FIELD(env->host_interface, b, false);
	ESC_FIELD(env->bridge, d, false);
	fprintf(out, "os: %s\nhost address: %s (%s)\nbridge: %s%s\n", a, addr, b[0] ? b : "-", d[0] ? d : "-",
		env->bridge_attached ? "" : " (not attached here)");
	nc_report_xml_escape(c->id, 12, false, a, sizeof(a));
	ESC_FIELD(c->image, b, false);
	endpoint_text(&c->ip, true, addr, sizeof(addr));
	fprintf(out, "container: %s (%s) %s, published port %u\n", a[0] ? a : "-", b[0] ? b : "?", addr,
		c->published_port);
	for (size_t i = 0; i < env->n_capture_points && i < NC_ARRAY_SIZE(env->capture_points); i++) {
		const struct nc_capture_point_summary *cp = &env->capture_points[i];

		ESC_FIELD(cp->name, a, false);
		fprintf(out, "capture point %s: %" PRIu64 " packets, %" PRIu64 " dropped\n", a, cp->packets, cp->dropped);
	}
	if (env->capture_note[0] != '\0') {
		ESC_FIELD(env->capture_note, a, false);
		fprintf(out, "capture: %s\n", a);
	}
	if (nc_result_error(r) != NULL) {
		nc_report_xml_escape(nc_result_error(r), NC_DETAIL_MAX, false, a, sizeof(a));
		fprintf(out, "run failed: %s (error %s)\n", a, nc_error_name(nc_result_error_code(r)));
	}
	fprintf(out, "exit code: %d\n</system-out>\n", nc_report_exit_code(r));
}

static uint64_t first_packet_ns(const nc_result_t *r, const nc_path_t *node_of)
{
	uint64_t ts = 0;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (node_of != NULL && !same_node(p, node_of))
			continue;
		for (size_t k = 0; k < p->n_hops; k++)
			if (p->hops[k].first_ns != 0 && (ts == 0 || p->hops[k].first_ns < ts))
				ts = p->hops[k].first_ns;
	}
	return ts;
}

/* When the suite ran: its first packet, else the run's, else now (the
 * report is written as the run ends).  JUnit's timestamp has no zone: UTC. */
static void suite_timestamp(const nc_result_t *r, const nc_path_t *first, char *buf, size_t len)
{
	uint64_t ts = first_packet_ns(r, first);
	time_t secs;
	struct tm tm;

	if (ts == 0)
		ts = first_packet_ns(r, NULL);
	secs = ts != 0 ? (time_t)(ts / 1000000000u) : time(NULL);
	if (gmtime_r(&secs, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00");
}

/* A run that failed before any path was probed: one testcase in error, so
 * CI counts the run as broken rather than as zero tests that all passed. */
static void print_run_error(FILE *out, const nc_result_t *r)
{
	char text[XML_MAX];

	nc_report_xml_escape(nc_result_error(r), NC_DETAIL_MAX, false, text, sizeof(text));
	fprintf(out, "    <testcase classname=\"netcheck.run\" name=\"run\" time=\"0.000\">\n"
		"      <error message=\"run failed: %s\" type=\"%s\"/>\n    </testcase>\n", text,
		nc_error_name(nc_result_error_code(r)));
}

/* One <testsuite> for the paths of first's node. */
static void print_suite(FILE *out, const nc_result_t *r, const nc_path_t *first)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	struct counts c = { 0 };
	bool run_error = nc_result_path_count(r) == 0 && nc_result_error(r) != NULL;
	char name[NC_NAME_MAX * 6 + 16], host[XML_MAX], ts[32];

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (same_node(p, first))
			count_path(&c, p);
	}
	if (run_error) { /* the run failed before any path: one test, in error */
		c.tests++;
		c.errors++;
	}
	if (first->service[0] != '\0') { /* probe --project: a suite per service */
		char service[NC_NAME_MAX * 6];

		ESC_FIELD(first->service, service, false);
		snprintf(name, sizeof(name), "netcheck:%s", service);
		if (env->engine_url[0] != '\0')
			ESC_FIELD(env->engine_url, host, false);
		else
			ESC_FIELD(env->engine_name, host, false);
	} else if (first->node[0] != '\0') {
		char node[NC_NAME_MAX * 6];

		ESC_FIELD(first->node, node, false);
		snprintf(name, sizeof(name), "netcheck:%s", node);
		snprintf(host, sizeof(host), "%s", node);
	} else {
		snprintf(name, sizeof(name), "netcheck");
		/* the engine the paths were probed through */
		if (env->engine_url[0] != '\0')
			ESC_FIELD(env->engine_url, host, false);
		else
			ESC_FIELD(env->engine_name, host, false);
	}
	suite_timestamp(r, first, ts, sizeof(ts));
	fprintf(out,
		"  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\" "
		"timestamp=\"%s\" hostname=\"%s\">\n",
		name, c.tests, c.failures, c.errors, c.skipped, c.seconds, ts, host[0] ? host : "unknown");
	if (run_error)
		print_run_error(out, r);
	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (same_node(p, first))
			print_testcase(out, r, p);
	}
	print_environment(out, r);
	fputs("  </testsuite>\n", out);
}

int nc_report_junit_write(const nc_result_t *r, FILE *out)
{
	size_t n = nc_result_path_count(r);
	struct counts c = { 0 };

	for (size_t i = 0; i < n; i++)
		count_path(&c, nc_result_path_const(r, i));
	if (n == 0 && nc_result_error(r) != NULL) {
		c.tests++;
		c.errors++;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"netcheck\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		"time=\"%.3f\">\n", c.tests, c.failures, c.errors, c.skipped, c.seconds);
	if (n == 0) {
		/* no path: still one suite, so CI shows the run and its environment */
		static const nc_path_t none;

		print_suite(out, r, &none);
	}
	for (size_t i = 0; i < n; i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		bool seen = false;

		/* a suite per node, in the order its first path comes */
		for (size_t k = 0; k < i && !seen; k++)
			seen = same_node(nc_result_path_const(r, k), p);
		if (!seen)
			print_suite(out, r, p);
	}
	fputs("</testsuites>\n", out);
	return fflush(out) != 0 || ferror(out) ? -EIO : 0;
}
