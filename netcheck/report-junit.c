/* PLACEHOLDER, replaced at merge by the JUnit reporter being written on
 * another branch: just enough for `--junit FILE` to link and to write a
 * well-formed document (one testcase per path, a failure for each path
 * not as expected).  Reads the result model only. */
#include <errno.h>
#include <stdio.h>

#include "netcheck/report.h"

int nc_report_junit_write(const nc_result_t *r, FILE *out)
{
	size_t n = nc_result_path_count(r), failures = 0;

	for (size_t i = 0; i < n; i++)
		if (!nc_result_path_const(r, i)->expected)
			failures++;
	/* path names are [a-z0-9:-] (result.c): nothing to escape */
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		     "<testsuite name=\"netcheck\" tests=\"%zu\" failures=\"%zu\">\n", n, failures);
	for (size_t i = 0; i < n; i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->expected)
			fprintf(out, "<testcase name=\"%s\"/>\n", p->name);
		else
			fprintf(out, "<testcase name=\"%s\"><failure message=\"%s\"/></testcase>\n", p->name,
				nc_verdict_name(p->verdict) ? nc_verdict_name(p->verdict) : "unknown");
	}
	fputs("</testsuite>\n</testsuites>\n", out);
	return fflush(out) != 0 || ferror(out) ? -EIO : 0;
}
