/* The parsers of netcheck's responder's answers: the HTTP answer of a TCP
 * probe, a UDP datagram's JSON, and the relay's connect-out report.  Pure
 * functions over untrusted input.  May call: jansson, endpoint helpers. */
#include "probe-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "netcheck/testing.h"

/* ---- the responder's answer ------------------------------------------- */

/* The JSON body of a responder answer: the TCP answer's body, or a whole
 * UDP datagram.  Pure; untrusted input.  0 or NC_EPROTO. */
int probe_parse_body(const char *body, size_t len, nc_answer_t *ret)
{
	json_error_t jerr;
	json_t *j;
	const char *s;
	json_int_t port;

	memset(ret, 0, sizeof(*ret));
	ret->iflink = -1;
	j = json_loadb(body, len, 0, &jerr);
	if (j == NULL)
		return NC_EPROTO;
	s = json_string_value(json_object_get(j, "peer_addr"));
	port = json_integer_value(json_object_get(j, "peer_port"));
	if (s == NULL || port <= 0 || port > 65535 || nc_endpoint_parse(s, (uint16_t)port, &ret->peer) < 0) {
		json_decref(j);
		return NC_EPROTO;
	}
	s = json_string_value(json_object_get(j, "hostname"));
	snprintf(ret->hostname, sizeof(ret->hostname), "%s", s ? s : "");
	s = json_string_value(json_object_get(j, "nonce"));
	snprintf(ret->nonce, sizeof(ret->nonce), "%s", s ? s : "");
	if (json_is_integer(json_object_get(j, "iflink"))) {
		json_int_t v = json_integer_value(json_object_get(j, "iflink"));
		ret->iflink = v >= -1 && v < (1 << 30) ? (int)v : -1;
	}
	s = json_string_value(json_object_get(j, "local_addr"));
	port = json_integer_value(json_object_get(j, "local_port"));
	if (s != NULL && port > 0 && port <= 65535)
		(void)nc_endpoint_parse(s, (uint16_t)port, &ret->local);
	/* newer responders: the kernel that runs them (optional, bounded) */
	s = json_string_value(json_object_get(j, "kernel"));
	snprintf(ret->kernel, sizeof(ret->kernel), "%s", s != NULL && strlen(s) < sizeof(ret->kernel) ? s : "");
	s = json_string_value(json_object_get(j, "boot_id"));
	snprintf(ret->boot_id, sizeof(ret->boot_id), "%s", s != NULL && strlen(s) < sizeof(ret->boot_id) ? s : "");
	json_decref(j);
	return 0;
}


int nc_probe_parse_answer(const char *buf, size_t len, nc_answer_t *ret)
{
	const char *hdr_end, *body;
	char line[32];
	size_t line_len;
	int major, minor, status, r;

	memset(ret, 0, sizeof(*ret));
	ret->iflink = -1;
	hdr_end = memmem(buf, len, "\r\n\r\n", 4);
	if (hdr_end == NULL)
		return len >= NC_PROBE_MAX_ANSWER ? NC_EPROTO : -EAGAIN;
	if (len < 12 || memcmp(buf, "HTTP/", 5) != 0)
		return NC_EPROTO;
	/* buf need not be NUL-terminated: sscanf reads a bounded, terminated copy */
	line_len = (size_t)(hdr_end - buf) < sizeof(line) ? (size_t)(hdr_end - buf) : sizeof(line) - 1;
	memcpy(line, buf, line_len);
	line[line_len] = '\0';
	if (sscanf(line, "HTTP/%1d.%1d %3d", &major, &minor, &status) != 3 || status < 100 || status > 599)
		return NC_EPROTO;
	ret->http_status = status;
	if (status != 200)
		return 0;
	body = hdr_end + 4;
	r = probe_parse_body(body, len - (size_t)(body - buf), ret);
	ret->http_status = status;
	return r;
}


int nc_probe_parse_relay(const char *body, size_t len, nc_relay_answer_t *ret)
{
	json_error_t jerr;
	json_t *j, *v;
	const char *s;

	memset(ret, 0, sizeof(*ret));
	ret->connect_ms = ret->total_ms = -1;
	j = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return NC_EPROTO;
	}
	ret->ok = json_is_true(json_object_get(j, "ok"));
	s = json_string_value(json_object_get(j, "error"));
	snprintf(ret->error, sizeof(ret->error), "%s", s ? s : "");
	s = json_string_value(json_object_get(j, "detail"));
	snprintf(ret->detail, sizeof(ret->detail), "%s", s ? s : "");
	s = json_string_value(json_object_get(j, "resolved"));
	snprintf(ret->resolved, sizeof(ret->resolved), "%s", s ? s : "");
	s = json_string_value(json_object_get(j, "resolved_by"));
	snprintf(ret->resolved_by, sizeof(ret->resolved_by), "%s", s ? s : "");
	s = json_string_value(json_object_get(j, "local"));
	if (s != NULL) {
		char addr[NC_ENDPOINT_STRLEN];
		const char *colon = strrchr(s, ':');
		size_t n = colon != NULL ? (size_t)(colon - s) : 0;

		if (n > 0 && n < sizeof(addr)) {
			memcpy(addr, s[0] == '[' ? s + 1 : s, s[0] == '[' ? n - 2 : n);
			addr[s[0] == '[' ? n - 2 : n] = '\0';
			(void)nc_endpoint_parse(addr, (uint16_t)atoi(colon + 1), &ret->local);
		}
	}
	if (json_is_number(v = json_object_get(j, "connect_ms")))
		ret->connect_ms = json_number_value(v);
	if (json_is_number(v = json_object_get(j, "total_ms")))
		ret->total_ms = json_number_value(v);
	ret->http_status = (int)json_integer_value(json_object_get(j, "http_status"));
	/* the target's own answer: netcheck's responder or host listener JSON */
	s = json_string_value(json_object_get(j, "answer"));
	if (s != NULL) {
		const char *body_start = strstr(s, "\r\n\r\n");

		body_start = body_start != NULL ? body_start + 4 : s;
		ret->have_target_answer = probe_parse_body(body_start, strlen(body_start), &ret->target_answer) == 0;
	}
	json_decref(j);
	return 0;
}
