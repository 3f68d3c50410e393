/* Fuzz target: the responder's connect-out request, targets and allow-list
 * (netcheck/responder/connect-parse.c) and the connect-out answer
 * (nc_responder_format_connect()).
 *
 * Input: a request target as a client sends it ("/connect?proto=..."); it
 * is cut at the first NUL, as the HTTP parser never passes one.  Checked:
 *   - an accepted request has a valid nonce, a clamped timeout, a port
 *     unless icmp, and its target printed as host:port parses back to the
 *     same target (canonical form is a fixed point);
 *   - the allow-list matches it iff an entry equals it (exact, by text);
 *   - nc_responder_parse_host_port() on the raw input never overruns;
 *   - the answer carrying the input as "answer" fits its bound, and
 *     jansson reads it back with the same bytes (cut at the body bound).
 * abort() on any broken rule. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "connect-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const char *answer, size_t answer_len, const char *target_text)
{
	static char buf[NC_RESPONDER_CONNECT_ANSWER_MAX];
	nc_responder_connect_result_t res = {
		.nonce = "n", .proto = "tcp", .target = target_text, .resolved = "10.0.0.1",
		.resolved_by = "dns 127.0.0.11", .local = "10.0.0.2:1", .connect_ms = 1, .total_ms = 2,
		.http_status = -1, .answer = answer, .answer_len = answer_len,
	};
	const char *body;
	json_t *root, *got;
	size_t want_len = answer_len < NC_RESPONDER_CONNECT_BODY_MAX ? answer_len : NC_RESPONDER_CONNECT_BODY_MAX;
	int n;

	n = nc_responder_format_connect(&res, buf, sizeof(buf));
	if (n <= 0 || (size_t)n >= sizeof(buf))
		abort();
	body = strstr(buf, "\r\n\r\n");
	if (body == NULL)
		abort();
	root = json_loads(body + 4, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (root == NULL)
		abort();
	got = json_object_get(root, "answer");
	/* bytes >= 0x80 were escaped one by one: jansson reads them back as
	 * U+0080..U+00FF, two UTF-8 bytes each; compare only ASCII inputs */
	if (!json_is_string(got))
		abort();
	{
		bool ascii = true;

		for (size_t i = 0; i < want_len; i++)
			if ((unsigned char)answer[i] >= 0x80)
				ascii = false;
		if (ascii && (json_string_length(got) != want_len || memcmp(json_string_value(got), answer, want_len) != 0))
			abort();
	}
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char target[NC_RESPONDER_REQUEST_MAX];
	char again[NC_RESPONDER_HOST_MAX + 16];
	nc_responder_connect_t req;
	nc_responder_target_t t, list[2];
	size_t len = strnlen((const char *)data, size);
	bool equal_to_entry = false;
	int r;

	if (len >= sizeof(target))
		len = sizeof(target) - 1;
	memcpy(target, data, len);
	target[len] = '\0';

	/* the raw input as an --allow argument, in a buffer of its exact size */
	(void)nc_responder_parse_host_port((const char *)data, size, false, &t);
	(void)nc_responder_parse_host_port((const char *)data, size, true, &t);

	check_answer((const char *)data, size, "x:1");

	r = nc_responder_parse_connect(target, &req);
	if (r != 0) {
		if (r != -EINVAL && r != -ENOENT)
			abort();
		return 0;
	}
	if (!nc_responder_nonce_is_valid(req.nonce, strlen(req.nonce)))
		abort();
	if (req.timeout_ms < NC_RESPONDER_TIMEOUT_MS_MIN || req.timeout_ms > NC_RESPONDER_TIMEOUT_MS_MAX)
		abort();
	if (req.target.port == 0 && req.proto != NC_RESPONDER_ICMP)
		abort();
	if (req.target.host[0] == '\0' || strlen(req.target.host) > NC_RESPONDER_HOST_MAX)
		abort();

	/* canonical text is a fixed point */
	if (req.target.port != 0)
		snprintf(again, sizeof(again), req.target.family == AF_INET6 ? "[%s]:%u" : "%s:%u", req.target.host,
			 req.target.port);
	else
		snprintf(again, sizeof(again), "%s", req.target.host);
	if (nc_responder_parse_host_port(again, strlen(again), req.target.port == 0, &t) != 0)
		abort();
	if (strcmp(t.host, req.target.host) != 0 || t.port != req.target.port || t.family != req.target.family ||
	    t.is_literal != req.target.is_literal)
		abort();
	check_answer(again, strlen(again), again);

	/* the list: the target itself (when it has a port) and an unrelated one */
	if (nc_responder_parse_host_port("172.17.0.3:80", 13, false, &list[0]) != 0)
		abort();
	list[1] = req.target;
	if (req.target.port == 0)
		list[1].port = 1;
	if (!nc_responder_allow_match(list, 2, req.proto, &req.target))
		abort();
	equal_to_entry = req.target.is_literal && strcmp(req.target.host, "172.17.0.3") == 0 &&
			 (req.proto == NC_RESPONDER_ICMP || req.target.port == 80);
	if (nc_responder_allow_match(list, 1, req.proto, &req.target) != equal_to_entry)
		abort();
	return 0;
}
