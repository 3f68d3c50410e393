/* netcheck: reporters, the views of a finished nc_result_t.
 *
 * report-text.c renders the terminal report, report-json.c the JSON
 * document described by docs/report.schema.json, report-junit.c JUnit XML
 * for CI, report-html.c one self-contained HTML page.  All only read the
 * result model; they write only to the FILE* they are given and never to
 * stdout/stderr on their own.  May call: result, endpoint, jansson. */
#ifndef NETCHECK_REPORT_H
#define NETCHECK_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "netcheck/result.h"

/* Version of the JSON document's shape (docs/report.schema.json).  Bump the
 * minor for added fields, the major for anything a consumer could trip on. */
#define NC_REPORT_SCHEMA_VERSION "1.16" /* 1.1: the optional top-level "error"; 1.2: "swarm";
					    * 1.3: diagnosis "observed", "observed_cut", code "unexplained";
					    * "selection", expectation "other_verdicts";
					    * 1.4: capture point "where", "incomplete"; "capture_agent";
					    * 1.5: swarm node "name", "environment.kernel";
					    * 1.6: "project" (probe --project);
					    * 1.7: mechanism "overlay", hop "outer", capture point "node";
					    * 1.8: container "from" (probe --to);
					    * 1.9: path "resolved", "arrival" (container-to-host),
					    * diagnosis "host-not-reached";
					    * 1.10: path "conntrack", a conntrack observation's "conntrack";
					    * 1.11: path kind "published-remote-udp";
					    * 1.12: project "left_out";
					    * 1.13: "environment.ipv6_readiness";
					    * 1.14: UDP path "refused_by";
					    * 1.15: capture point "container" (probe --project);
					    * 1.16: error "name" */

typedef struct nc_report_options {
	bool color;   /* ANSI colours; the caller decides (isatty, NO_COLOR, --color) */
	bool verbose; /* list every attributed packet, tcpdump style */
	bool ascii;   /* plain ASCII (the locale is not UTF-8): no arrows or box characters */
	unsigned width; /* columns: the terminal's, else COLUMNS, else 80; 0 = 80; under 20 counts as 20 */
} nc_report_options_t;

/* Writes the text report to out (borrowed).  opt may be NULL (no colour,
 * not verbose).  Returns 0, or -EIO if out reported a write error. */
int nc_report_text(const nc_result_t *r, const nc_report_options_t *opt, FILE *out);

/* returns: new json_t (jansson), caller decref's; NULL on ENOMEM */
json_t *nc_report_json(const nc_result_t *r);

/* One path as the JSON document's "paths" hold it.  packets: with its
 * packet list (up to 512 objects a path); false leaves the key out and
 * builds none (watch's NDJSON lines, one a cycle).  returns: new json_t,
 * caller decref's; NULL on ENOMEM */
json_t *nc_report_json_path(const nc_path_t *p, bool packets);

/* Writes nc_report_json(r) to out (borrowed): pretty, indent 2, trailing
 * newline.  Returns 0, -ENOMEM, or -EIO on a write error. */
int nc_report_json_write(const nc_result_t *r, FILE *out);

/* Writes JUnit XML to out (borrowed): <testsuites> holding one
 * <testsuite> per swarm node (nc_path_t.node; a single-host run has one,
 * "netcheck"), one <testcase> per path: <failure> when it did not behave
 * as expected, <skipped> when it could not be probed.  Returns 0, or -EIO
 * on a write error. */
int nc_report_junit_write(const nc_result_t *r, FILE *out);

/* Writes one self-contained HTML page to out (borrowed): the environment
 * and capture points, the verdict table, and per path a <section
 * id="path-NAME"> with an inline SVG of its evidence trail.  No script and
 * nothing fetched.  opt may be NULL; opt->verbose adds the packet lists.
 * Returns 0, or -EIO on a write error. */
int nc_report_html_write(const nc_result_t *r, const nc_report_options_t *opt, FILE *out);

#endif
