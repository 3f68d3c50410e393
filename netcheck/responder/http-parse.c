/* netcheck responder: HTTP request parsing and answer formatting.
 *
 * Owns no state and never allocates: it is linked into a static binary
 * that must run for the whole test, and it is fed untrusted bytes (and a
 * fuzzer).  Only what a probe sends is accepted: one GET for /<nonce>. */
#include "http-parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

/* RFC 9110 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_nonce_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Bytes allowed in a request line: visible ASCII and SP. */
static bool is_line_char(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Bytes allowed in a header line: HTAB, SP, visible ASCII, obs-text. */
static bool is_header_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Checks bytes [from, to) of a line, its LF excluded.  A CR may only be the
 * last byte: right before the LF, or where the data ends (the LF may still
 * come). */
static bool line_chars_ok(const char *buf, size_t from, size_t to, bool request_line)
{
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r' && i + 1 == to)
			continue;
		if (request_line ? !is_line_char(c) : !is_header_char(c))
			return false;
	}
	return true;
}

/* line: the request line without CR LF.  Splits it into method and target. */
static int parse_request_line(const char *line, size_t n, const char **ret_method, size_t *ret_method_len,
			      const char **ret_target, size_t *ret_target_len)
{
	const char *sp1, *sp2;
	size_t method_len, target_len, version_len;

	sp1 = memchr(line, ' ', n);
	if (sp1 == NULL)
		return -EINVAL;
	method_len = (size_t)(sp1 - line);
	if (method_len == 0)
		return -EINVAL;
	for (size_t i = 0; i < method_len; i++)
		if (!is_tchar((unsigned char)line[i]))
			return -EINVAL;

	sp2 = memchr(sp1 + 1, ' ', n - method_len - 1);
	if (sp2 == NULL)
		return -EINVAL;
	target_len = (size_t)(sp2 - sp1 - 1);
	if (target_len == 0)
		return -EINVAL;
	/* is_line_char() already excluded controls; SP ended the target */

	version_len = n - method_len - 1 - target_len - 1;
	if (version_len != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return -EINVAL;

	*ret_method = line;
	*ret_method_len = method_len;
	*ret_target = sp1 + 1;
	*ret_target_len = target_len;
	return 0;
}

static int parse_header_line(const char *line, size_t n)
{
	const char *colon;

	/* obs-fold (a continuation line) is rejected, as RFC 9112 allows */
	if (line[0] == ' ' || line[0] == '\t')
		return -EINVAL;
	colon = memchr(line, ':', n);
	if (colon == NULL || colon == line)
		return -EINVAL;
	for (const char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p))
			return -EINVAL;
	return 0;
}

/* The request line and headers; on 0, the GET's target (borrowed from buf). */
static int parse_head(const char *buf, size_t len, const char **ret_target, size_t *ret_target_len)
{
	size_t scan = len < NC_RESPONDER_REQUEST_MAX ? len : NC_RESPONDER_REQUEST_MAX;
	const char *method = NULL, *target = NULL;
	size_t method_len = 0, target_len = 0;
	const char *nl;
	size_t line_end, pos;
	int r;

	if (buf == NULL && len > 0)
		return -EINVAL;

	/* The request line, judged as soon as it is complete; before that,
	 * a byte that can never appear in one (a TLS hello, say) ends it. */
	nl = scan > 0 ? memchr(buf, '\n', scan) : NULL;
	if (nl == NULL) {
		if (!line_chars_ok(buf, 0, scan, true))
			return -EINVAL;
		return len >= NC_RESPONDER_REQUEST_MAX ? -EMSGSIZE : -EAGAIN;
	}
	line_end = (size_t)(nl - buf);
	if (!line_chars_ok(buf, 0, line_end, true))
		return -EINVAL;
	if (line_end > 0 && buf[line_end - 1] == '\r')
		line_end--;
	r = parse_request_line(buf, line_end, &method, &method_len, &target, &target_len);
	if (r < 0)
		return r;

	/* Header lines, up to the blank line. */
	pos = (size_t)(nl - buf) + 1;
	for (;;) {
		size_t start = pos, end;

		nl = pos < scan ? memchr(buf + pos, '\n', scan - pos) : NULL;
		if (nl == NULL) {
			if (!line_chars_ok(buf, start, scan, false))
				return -EINVAL;
			return len >= NC_RESPONDER_REQUEST_MAX ? -EMSGSIZE : -EAGAIN;
		}
		end = (size_t)(nl - buf);
		pos = end + 1;
		if (!line_chars_ok(buf, start, end, false))
			return -EINVAL;
		if (end > start && buf[end - 1] == '\r')
			end--;
		if (end == start)
			break;
		r = parse_header_line(buf + start, end - start);
		if (r < 0)
			return r;
	}

	if (method_len != 3 || memcmp(method, "GET", 3) != 0)
		return -EOPNOTSUPP;
	if (target[0] != '/')
		return -EINVAL; /* only origin-form is spoken here */
	*ret_target = target;
	*ret_target_len = target_len;
	return 0;
}

/* n bytes of src into dst (size bytes) with a NUL, or -ENOBUFS. */
static int copy_text(const char *src, size_t n, char *dst, size_t size)
{
	if (dst == NULL || size <= n)
		return -ENOBUFS;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int nc_responder_parse_request(const char *buf, size_t len, char *ret_nonce, size_t nonce_len)
{
	char target[NC_RESPONDER_NONCE_MAX + 2]; /* '/', the nonce, NUL */
	size_t target_len;
	int r;

	r = nc_responder_parse_target(buf, len, target, sizeof(target));
	if (r == -ENOBUFS)
		return -ENOENT; /* longer than any nonce */
	if (r < 0)
		return r;
	target_len = strlen(target);
	if (!nc_responder_nonce_is_valid(target + 1, target_len - 1))
		return -ENOENT;
	return copy_text(target + 1, target_len - 1, ret_nonce, nonce_len);
}

int nc_responder_parse_target(const char *buf, size_t len, char *ret_target, size_t target_size)
{
	const char *target = NULL;
	size_t target_len = 0;
	int r;

	r = parse_head(buf, len, &target, &target_len);
	if (r < 0)
		return r;
	return copy_text(target, target_len, ret_target, target_size);
}

bool nc_responder_nonce_is_valid(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > NC_RESPONDER_NONCE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_nonce_char((unsigned char)s[i]))
			return false;
	return true;
}

/* A bounded append-only text buffer; the first failure sticks. */
typedef struct out {
	char *buf;    /* borrowed */
	size_t len;
	size_t used;
	int error;
} out_t;

__attribute__((format(printf, 2, 3))) static void out_printf(out_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->error < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->error = -ENOSPC;
		return;
	}
	o->used += (size_t)n;
}

/* n bytes of s (NULs included) as a JSON string.  Bytes outside printable
 * ASCII become \u00XX so the output is valid JSON whatever the input. */
static void out_json_bytes(out_t *o, const char *s, size_t n)
{
	out_printf(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			out_printf(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			out_printf(o, "\\u%04x", c);
		else
			out_printf(o, "%c", c);
	}
	out_printf(o, "\"");
}

/* s as a JSON string, cut at max bytes; NULL as null. */
static void out_json_string(out_t *o, const char *s, size_t max)
{
	if (s == NULL)
		out_printf(o, "null");
	else
		out_json_bytes(o, s, strnlen(s, max));
}

int nc_responder_sockaddr_text(const struct sockaddr *sa, socklen_t sa_len, char *ret_text, unsigned *ret_port)
{
	if (sa == NULL)
		return -EINVAL;
	if (sa->sa_family == AF_INET && (size_t)sa_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (inet_ntop(AF_INET, &sin->sin_addr, ret_text, INET6_ADDRSTRLEN) == NULL)
			return -EINVAL;
		*ret_port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && (size_t)sa_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		const char *ok;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			ok = inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ret_text, INET6_ADDRSTRLEN);
		else
			ok = inet_ntop(AF_INET6, &sin6->sin6_addr, ret_text, INET6_ADDRSTRLEN);
		if (ok == NULL)
			return -EINVAL;
		*ret_port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -EINVAL;
}

int nc_responder_format_json(const nc_responder_facts_t *facts, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN];
	unsigned peer_port = 0, local_port = 0;
	out_t o = { .buf = buf, .len = len };
	int r;

	if (facts == NULL || buf == NULL || len == 0 || facts->hostname == NULL || facts->nonce == NULL)
		return -EINVAL;
	r = nc_responder_sockaddr_text(facts->peer, facts->peer_len, peer, &peer_port);
	if (r < 0)
		return r;
	r = nc_responder_sockaddr_text(facts->local, facts->local_len, local, &local_port);
	if (r < 0)
		return r;

	out_printf(&o, "{\"peer_addr\":\"%s\",\"peer_port\":%u,\"hostname\":", peer, peer_port);
	out_json_string(&o, facts->hostname, NC_RESPONDER_HOSTNAME_MAX);
	out_printf(&o, ",\"nonce\":");
	out_json_string(&o, facts->nonce, NC_RESPONDER_NONCE_MAX);
	out_printf(&o, ",\"iflink\":%d,\"ifindex\":%d,\"local_addr\":\"%s\",\"local_port\":%u",
		   facts->iflink, facts->ifindex, local, local_port);
	if (facts->kernel != NULL) {
		out_printf(&o, ",\"kernel\":");
		out_json_string(&o, facts->kernel, NC_RESPONDER_KERNEL_MAX);
	}
	if (facts->boot_id != NULL) {
		out_printf(&o, ",\"boot_id\":");
		out_json_string(&o, facts->boot_id, NC_RESPONDER_BOOT_ID_MAX);
	}
	out_printf(&o, "}");
	if (facts->proto != NULL) {
		o.used--; /* reopen the object */
		out_printf(&o, ",\"proto\":");
		out_json_string(&o, facts->proto, 8);
		out_printf(&o, "}");
	}
	if (o.error < 0)
		return o.error;
	return (int)o.used;
}

/* The 200 response's headers for a JSON body of %zu bytes. */
#define HTTP_JSON_HEAD                          \
	"HTTP/1.1 200 OK\r\n"                    \
	"Content-Type: application/json\r\n"     \
	"Content-Length: %zu\r\n"                \
	"Cache-Control: no-store\r\n"            \
	"Connection: close\r\n"                  \
	"\r\n"
#define HTTP_HEAD_ROOM 160 /* HTTP_JSON_HEAD with any length, and more */

/* The 200 response around a JSON body. */
static int format_http_json(const char *body, int n, char *buf, size_t len)
{
	out_t o = { .buf = buf, .len = len };

	out_printf(&o, HTTP_JSON_HEAD "%s", (size_t)n, body);
	if (o.error < 0)
		return o.error;
	return (int)o.used;
}

int nc_responder_format_answer(const nc_responder_facts_t *facts, char *buf, size_t len)
{
	char body[NC_RESPONDER_ANSWER_MAX];
	int n;

	if (buf == NULL || len == 0)
		return -EINVAL;
	n = nc_responder_format_json(facts, body, sizeof(body));
	if (n < 0)
		return n;
	return format_http_json(body, n, buf, len);
}

const char *nc_responder_errno_name(int error)
{
	static const struct {
		int error;
		const char *name;
	} names[] = {
		{ EACCES, "EACCES" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { ETIMEDOUT, "ETIMEDOUT" }, { ECONNRESET, "ECONNRESET" },
		{ EHOSTUNREACH, "EHOSTUNREACH" }, { ENETUNREACH, "ENETUNREACH" }, { EHOSTDOWN, "EHOSTDOWN" },
		{ ENETDOWN, "ENETDOWN" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { EMSGSIZE, "EMSGSIZE" }, { ENODATA, "ENODATA" },
		{ EBUSY, "EBUSY" }, { EIO, "EIO" }, { EBADMSG, "EBADMSG" }, { EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" }, { ENFILE, "ENFILE" }, { ENOBUFS, "ENOBUFS" }, { ENOMEM, "ENOMEM" },
		{ EPROTO, "EPROTO" }, { EPIPE, "EPIPE" },
	};

	if (error < 0)
		error = -error;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].error == error)
			return names[i].name;
	return "EIO";
}

int nc_responder_format_connect(const nc_responder_connect_result_t *res, char *buf, size_t len)
{
	/* the body is written after room for the headers, then moved up to them */
	char head[HTTP_HEAD_ROOM];
	out_t o = { .buf = buf + HTTP_HEAD_ROOM, .len = len > HTTP_HEAD_ROOM ? len - HTTP_HEAD_ROOM : 0 };
	int n;

	if (res == NULL || buf == NULL || len <= HTTP_HEAD_ROOM || res->nonce == NULL || res->proto == NULL ||
	    res->target == NULL || (res->answer == NULL && res->answer_len > 0))
		return -EINVAL;
	out_printf(&o, "{\"nonce\":");
	out_json_string(&o, res->nonce, NC_RESPONDER_NONCE_MAX);
	out_printf(&o, ",\"proto\":");
	out_json_string(&o, res->proto, 8);
	out_printf(&o, ",\"target\":");
	out_json_string(&o, res->target, NC_RESPONDER_TARGET_TEXT_MAX);
	out_printf(&o, ",\"resolved\":");
	out_json_string(&o, res->resolved, NC_RESPONDER_TARGET_TEXT_MAX);
	out_printf(&o, ",\"resolved_by\":");
	out_json_string(&o, res->resolved_by, NC_RESPONDER_TARGET_TEXT_MAX);
	out_printf(&o, ",\"local\":");
	out_json_string(&o, res->local, NC_RESPONDER_TARGET_TEXT_MAX);
	out_printf(&o, ",\"ok\":%s,\"error\":", res->error == 0 ? "true" : "false");
	out_json_string(&o, res->error == 0 ? NULL : nc_responder_errno_name(res->error), 32);
	out_printf(&o, ",\"detail\":");
	out_json_string(&o, res->detail, NC_RESPONDER_TARGET_TEXT_MAX);
	if (res->connect_ms >= 0)
		out_printf(&o, ",\"connect_ms\":%ld", res->connect_ms);
	else
		out_printf(&o, ",\"connect_ms\":null");
	out_printf(&o, ",\"total_ms\":%ld", res->total_ms < 0 ? 0L : res->total_ms);
	if (res->http_status >= 0)
		out_printf(&o, ",\"http_status\":%d", res->http_status);
	else
		out_printf(&o, ",\"http_status\":null");
	out_printf(&o, ",\"answer\":");
	if (res->answer == NULL)
		out_printf(&o, "null");
	else
		out_json_bytes(&o, res->answer,
			       res->answer_len < NC_RESPONDER_CONNECT_BODY_MAX ? res->answer_len
									 : NC_RESPONDER_CONNECT_BODY_MAX);
	out_printf(&o, "}");
	if (o.error < 0)
		return o.error;
	n = snprintf(head, sizeof(head), HTTP_JSON_HEAD, o.used);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENOSPC;
	memmove(buf + n, buf + HTTP_HEAD_ROOM, o.used + 1);
	memcpy(buf, head, (size_t)n);
	return n + (int)o.used;
}

int nc_responder_status_for(int parse_error)
{
	switch (parse_error) {
	case -EINVAL: return 400;
	case -ENOENT: return 404;
	case -EOPNOTSUPP: return 405;
	case -EMSGSIZE: return 431;
	default: return 500;
	}
}

static const char *reason_for(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 500: return "Internal Server Error";
	default: return NULL;
	}
}

int nc_responder_format_error(int status, char *buf, size_t len)
{
	const char *reason;
	out_t o = { .buf = buf, .len = len };

	if (buf == NULL || len == 0)
		return -EINVAL;
	reason = reason_for(status);
	if (reason == NULL) {
		status = 500;
		reason = reason_for(status);
	}
	/* body: "<status> <reason>\n" */
	out_printf(&o,
		   "HTTP/1.1 %d %s\r\n"
		   "Content-Type: text/plain\r\n"
		   "Content-Length: %zu\r\n"
		   "%s"
		   "Connection: close\r\n"
		   "\r\n"
		   "%d %s\n",
		   status, reason, strlen(reason) + 5, status == 405 ? "Allow: GET\r\n" : "", status, reason);
	if (o.error < 0)
		return o.error;
	return (int)o.used;
}
