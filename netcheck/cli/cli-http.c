/* watch's /metrics request reader: the request line and the Accept
 * header of an HTTP/1.x request, bounded at NC_HTTP_MAX_HEADER bytes.
 * Pure; called by cli-watch.c. */
#include "cli-http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *find_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
			return buf + i + 4;
	for (size_t i = 0; i + 1 < len; i++) /* bare LF, as curl -0 and netcat send */
		if (buf[i] == '\n' && buf[i + 1] == '\n')
			return buf + i + 2;
	return NULL;
}

/* Accept: OpenMetrics unless text/plain is asked for and OpenMetrics is not */
static bool wants_openmetrics(const char *v, size_t n)
{
	bool om = false, text = false;

	for (size_t i = 0; i < n; i++) {
		if (n - i >= 28 && strncasecmp(v + i, "application/openmetrics-text", 28) == 0)
			om = true;
		if (n - i >= 10 && strncasecmp(v + i, "text/plain", 10) == 0)
			text = true;
	}
	return om || !text;
}

int nc_http_request_parse(const char *buf, size_t len, nc_http_request_t *ret)
{
	const char *end = find_end(buf, len < NC_HTTP_MAX_HEADER ? len : NC_HTTP_MAX_HEADER);
	const char *sp1, *sp2, *eol, *line;
	size_t target_len;

	if (end == NULL)
		return len >= NC_HTTP_MAX_HEADER ? -EMSGSIZE : 0;
	memset(ret, 0, sizeof(*ret));
	ret->openmetrics = true;
	eol = memchr(buf, '\n', (size_t)(end - buf));
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (sp1 == NULL || sp1 == buf)
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1 || eol - sp2 < 9 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -EBADMSG;
	for (const char *c = buf; c < sp1; c++)
		if (*c < 'A' || *c > 'Z')
			return -EBADMSG;
	ret->get = sp1 - buf == 3 && memcmp(buf, "GET", 3) == 0;
	target_len = (size_t)(sp2 - sp1 - 1);
	ret->metrics = (target_len == 8 && memcmp(sp1 + 1, "/metrics", 8) == 0) ||
		       (target_len > 8 && memcmp(sp1 + 1, "/metrics?", 9) == 0);
	for (line = eol + 1; line < end; line = eol + 1) {
		const char *colon;

		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL || eol - line <= 1)
			break;
		colon = memchr(line, ':', (size_t)(eol - line));
		if (colon == NULL)
			return -EBADMSG;
		if (colon - line == 6 && strncasecmp(line, "Accept", 6) == 0)
			ret->openmetrics = wants_openmetrics(colon + 1, (size_t)(eol - colon - 1));
	}
	return (int)(end - buf);
}
