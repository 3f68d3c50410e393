/* Unit tests for watch's /metrics request reader (cli-http.c): complete
 * and partial requests, the Accept header, the 8 KiB bound, what is not
 * HTTP/1.x. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli-http.h"

static int parse(const char *text, nc_http_request_t *req)
{
	return nc_http_request_parse(text, strlen(text), req);
}

static void test_requests(void **state)
{
	static const struct {
		const char *text;
		int result;   /* > 0: the whole text */
		bool get, metrics, openmetrics;
	} cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1, true, true, true },
		{ "GET /metrics?x=1 HTTP/1.0\r\n\r\n", 1, true, true, true },
		{ "GET /metrics HTTP/1.1\r\nAccept: text/plain;version=0.0.4;q=0.3,*/*;q=0.1\r\n\r\n", 1, true, true, false },
		{ "GET /metrics HTTP/1.1\r\naccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n", 1,
		  true, true, true },
		{ "GET /metrics HTTP/1.1\nAccept: */*\n\n", 1, true, true, true }, /* bare LF */
		/* OpenMetrics named last, at the very end of the header line */
		{ "GET /metrics HTTP/1.1\r\nAccept: text/plain, application/openmetrics-text\r\n\r\n", 1, true, true, true },
		{ "GET / HTTP/1.1\r\n\r\n", 1, true, false, true },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", 1, true, false, true },
		{ "POST /metrics HTTP/1.1\r\n\r\n", 1, false, true, true },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, false, false, false },  /* not complete yet */
		{ "GET /metrics HTTP/2\r\n\r\n", -EBADMSG, false, false, false },
		{ "GET /metrics\r\n\r\n", -EBADMSG, false, false, false },           /* HTTP/0.9 */
		{ "get /metrics HTTP/1.1\r\n\r\n", -EBADMSG, false, false, false },
		{ " /metrics HTTP/1.1\r\n\r\n", -EBADMSG, false, false, false },
		{ "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", -EBADMSG, false, false, false },
		{ "\x16\x03\x01\x02\x01\r\n\r\n", -EBADMSG, false, false, false },     /* TLS */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		nc_http_request_t req;
		int r = parse(cases[i].text, &req);

		if (cases[i].result > 0) {
			assert_int_equal(r, (int)strlen(cases[i].text));
			assert_int_equal(req.get, cases[i].get);
			assert_int_equal(req.metrics, cases[i].metrics);
			assert_int_equal(req.openmetrics, cases[i].openmetrics);
		} else {
			assert_int_equal(r, cases[i].result);
		}
	}
}

/* headers end at 8 KiB or the request is refused, however it arrives */
static void test_bound(void **state)
{
	char *big = malloc(NC_HTTP_MAX_HEADER + 64);
	nc_http_request_t req;

	(void)state;
	assert_non_null(big);
	strcpy(big, "GET /metrics HTTP/1.1\r\nX: ");
	memset(big + strlen(big), 'a', NC_HTTP_MAX_HEADER + 64 - strlen(big));
	assert_int_equal(nc_http_request_parse(big, NC_HTTP_MAX_HEADER - 1, &req), 0);
	assert_int_equal(nc_http_request_parse(big, NC_HTTP_MAX_HEADER, &req), -EMSGSIZE);
	/* the end just after the bound is not looked for */
	memcpy(big + NC_HTTP_MAX_HEADER, "\r\n\r\n", 4);
	assert_int_equal(nc_http_request_parse(big, NC_HTTP_MAX_HEADER + 4, &req), -EMSGSIZE);
	/* and just inside it is */
	memcpy(big + NC_HTTP_MAX_HEADER - 4, "\r\n\r\n", 4);
	assert_int_equal(nc_http_request_parse(big, NC_HTTP_MAX_HEADER, &req), NC_HTTP_MAX_HEADER);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
