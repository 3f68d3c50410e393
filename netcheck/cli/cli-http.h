/* The request reader of watch's /metrics server: pure, bounded, tested
 * alone (test-cli-http.c).  Only what a scraper sends: a request line and
 * headers; a body is never read. */
#ifndef NETCHECK_CLI_HTTP_H
#define NETCHECK_CLI_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define NC_HTTP_MAX_HEADER 8192 /* request line and headers; more is 431 */

typedef struct nc_http_request {
	bool get;                /* GET (HEAD and others: 405) */
	bool metrics;            /* the path is /metrics (a query string is ignored) */
	bool openmetrics;        /* Accept does not ask for text/plain only */
} nc_http_request_t;

/* buf: the bytes read so far (len of them).  Returns 0 when the headers
 * are not complete yet, > 0 (their length) with *ret filled, -EMSGSIZE when
 * they exceed NC_HTTP_MAX_HEADER, -EBADMSG for what is not HTTP/1.x. */
int nc_http_request_parse(const char *buf, size_t len, nc_http_request_t *ret);

#endif
