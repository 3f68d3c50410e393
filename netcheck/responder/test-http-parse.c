/* Unit tests for the responder's request parser and answer formatter. */
#include "http-parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "netcheck/testing.h"

#define NONCE_BUF (NC_RESPONDER_NONCE_MAX + 1)

static int parse(const char *req, char *nonce)
{
	return nc_responder_parse_request(req, strlen(req), nonce, NONCE_BUF);
}

static void test_complete_request(void **state)
{
	char nonce[NONCE_BUF];

	(void)state;
	assert_int_equal(parse("GET /abc123 HTTP/1.1\r\nHost: 172.17.0.2\r\nUser-Agent: netcheck\r\n\r\n", nonce), 0);
	assert_string_equal(nonce, "abc123");
	/* HTTP/1.0, no headers, bare LF line ends */
	assert_int_equal(parse("GET /A-z_09 HTTP/1.0\n\n", nonce), 0);
	assert_string_equal(nonce, "A-z_09");
	/* a body or pipelined bytes after the blank line are ignored */
	assert_int_equal(parse("GET /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n", nonce), 0);
	assert_string_equal(nonce, "x");
}

static void test_nonce_lengths(void **state)
{
	char req[256], nonce[NONCE_BUF], small[4];
	char n64[NC_RESPONDER_NONCE_MAX + 2];

	(void)state;
	memset(n64, 'a', NC_RESPONDER_NONCE_MAX);
	n64[NC_RESPONDER_NONCE_MAX] = '\0';
	snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\n\r\n", n64);
	assert_int_equal(parse(req, nonce), 0);
	assert_string_equal(nonce, n64);
	/* 65 characters: not a nonce */
	strcat(n64, "a");
	snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\n\r\n", n64);
	assert_int_equal(parse(req, nonce), -ENOENT);
	/* empty nonce */
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	/* caller's buffer too small */
	assert_int_equal(nc_responder_parse_request("GET /abcd HTTP/1.1\r\n\r\n", 22, small, sizeof(small)),
			 -ENOBUFS);
	assert_int_equal(nc_responder_parse_request("GET /abc HTTP/1.1\r\n\r\n", 21, small, sizeof(small)), 0);
	assert_string_equal(small, "abc");
}

static void test_partial(void **state)
{
	const char *full = "GET /abc123 HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t n = strlen(full);
	char nonce[NONCE_BUF];

	(void)state;
	/* every strict prefix is incomplete, including the empty one */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(nc_responder_parse_request(full, i, nonce, sizeof(nonce)), -EAGAIN);
	assert_int_equal(nc_responder_parse_request(full, n, nonce, sizeof(nonce)), 0);
	assert_int_equal(nc_responder_parse_request(NULL, 0, nonce, sizeof(nonce)), -EAGAIN);
}

static void test_oversize(void **state)
{
	static char req[NC_RESPONDER_REQUEST_MAX * 2];
	char nonce[NONCE_BUF];
	size_t head;

	(void)state;
	/* headers that never end within the limit */
	head = (size_t)snprintf(req, sizeof(req), "GET /abc HTTP/1.1\r\nX-Big: ");
	memset(req + head, 'a', sizeof(req) - head);
	assert_int_equal(nc_responder_parse_request(req, NC_RESPONDER_REQUEST_MAX - 1, nonce, sizeof(nonce)),
			 -EAGAIN);
	assert_int_equal(nc_responder_parse_request(req, NC_RESPONDER_REQUEST_MAX, nonce, sizeof(nonce)),
			 -EMSGSIZE);
	assert_int_equal(nc_responder_parse_request(req, sizeof(req), nonce, sizeof(nonce)), -EMSGSIZE);

	/* a request line alone longer than the limit */
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', sizeof(req) - 5);
	assert_int_equal(nc_responder_parse_request(req, sizeof(req), nonce, sizeof(nonce)), -EMSGSIZE);

	/* exactly at the limit is fine; the blank line one byte past it is not */
	head = (size_t)snprintf(req, sizeof(req), "GET /abc HTTP/1.1\r\nX-Big: ");
	memset(req + head, 'a', NC_RESPONDER_REQUEST_MAX - head - 4);
	memcpy(req + NC_RESPONDER_REQUEST_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(nc_responder_parse_request(req, NC_RESPONDER_REQUEST_MAX, nonce, sizeof(nonce)), 0);
	assert_string_equal(nonce, "abc");
	memset(req + head, 'a', NC_RESPONDER_REQUEST_MAX - head - 3);
	memcpy(req + NC_RESPONDER_REQUEST_MAX - 3, "\r\n\r\n", 4);
	assert_int_equal(nc_responder_parse_request(req, NC_RESPONDER_REQUEST_MAX + 1, nonce, sizeof(nonce)),
			 -EMSGSIZE);
}

static void test_methods(void **state)
{
	char nonce[NONCE_BUF];

	(void)state;
	assert_int_equal(parse("POST /abc HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", nonce), -EOPNOTSUPP);
	assert_int_equal(parse("HEAD /abc HTTP/1.1\r\n\r\n", nonce), -EOPNOTSUPP);
	assert_int_equal(parse("get /abc HTTP/1.1\r\n\r\n", nonce), -EOPNOTSUPP);
	assert_int_equal(parse("DELETE /abc HTTP/1.1\r\n\r\n", nonce), -EOPNOTSUPP);
	/* the method is judged only once the headers are complete */
	assert_int_equal(parse("POST /abc HTTP/1.1\r\n", nonce), -EAGAIN);
}

static void test_malformed(void **state)
{
	char nonce[NONCE_BUF];

	(void)state;
	assert_int_equal(parse("GET /abc\r\n\r\n", nonce), -EINVAL);              /* HTTP/0.9 */
	assert_int_equal(parse("GET  /abc HTTP/1.1\r\n\r\n", nonce), -EINVAL);    /* double space */
	assert_int_equal(parse("GET /abc HTTP/2.0\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc HTTP/1.1 \r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc http/1.1\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("G(T /abc HTTP/1.1\r\n\r\n", nonce), -EINVAL);     /* not a token */
	assert_int_equal(parse(" GET /abc HTTP/1.1\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET abc HTTP/1.1\r\n\r\n", nonce), -EINVAL);      /* not origin-form */
	assert_int_equal(parse("GET http://x/abc HTTP/1.1\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /a\rbc HTTP/1.1\r\n\r\n", nonce), -EINVAL);   /* bare CR */
	/* header lines */
	assert_int_equal(parse("GET /abc HTTP/1.1\r\nNoColon\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc HTTP/1.1\r\n: empty\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc HTTP/1.1\r\nHost : x\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc HTTP/1.1\r\nA: b\rc\r\n\r\n", nonce), -EINVAL);
	assert_int_equal(parse("GET /abc HTTP/1.1\r\n\r\r\n", nonce), -EINVAL);
	/* obs-text and HTAB are fine in a header value */
	assert_int_equal(parse("GET /abc HTTP/1.1\r\nA:\tb\xe9\r\n\r\n", nonce), 0);

	/* binary junk is refused before any line end arrives */
	assert_int_equal(nc_responder_parse_request("\x16\x03\x01\x02\x00", 5, nonce, sizeof(nonce)), -EINVAL);
	assert_int_equal(nc_responder_parse_request("GET /\0", 6, nonce, sizeof(nonce)), -EINVAL);
	assert_int_equal(nc_responder_parse_request("GET /abc HTTP/1.1\r\nA: \0", 23, nonce, sizeof(nonce)),
			 -EINVAL);
	/* a NUL anywhere in a complete request */
	assert_int_equal(nc_responder_parse_request("GET /a\0c HTTP/1.1\r\n\r\n", 21, nonce, sizeof(nonce)),
			 -EINVAL);
}

static void test_bad_nonce(void **state)
{
	char nonce[NONCE_BUF];

	(void)state;
	assert_int_equal(parse("GET /abc.def HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /abc%20 HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /abc?x=1 HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /abc/ HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /abc#f HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /ab\"c HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /\xc3\xa9 HTTP/1.1\r\n\r\n", nonce), -EINVAL); /* not ASCII */
}

static void test_path_traversal(void **state)
{
	char nonce[NONCE_BUF];

	(void)state;
	assert_int_equal(parse("GET /../etc/passwd HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /..%2f..%2fetc%2fpasswd HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET //etc/passwd HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /.. HTTP/1.1\r\n\r\n", nonce), -ENOENT);
	assert_int_equal(parse("GET /proc/self/environ HTTP/1.1\r\n\r\n", nonce), -ENOENT);
}

static void make_v4(struct sockaddr_in *sin, const char *addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
}

static void make_v6(struct sockaddr_in6 *sin6, const char *addr, uint16_t port)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
}

static void test_json_exact(void **state)
{
	struct sockaddr_in peer, local;
	char buf[NC_RESPONDER_ANSWER_MAX];
	const char *want =
		"{\"peer_addr\":\"172.17.0.1\",\"peer_port\":38582,\"hostname\":\"1a2b3c4d5e6f\","
		"\"nonce\":\"abc123\",\"iflink\":7,\"ifindex\":6,\"local_addr\":\"172.17.0.2\",\"local_port\":80}";
	nc_responder_facts_t facts;
	int n;

	(void)state;
	make_v4(&peer, "172.17.0.1", 38582);
	make_v4(&local, "172.17.0.2", 80);
	facts = (nc_responder_facts_t){
		.peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer),
		.local = (struct sockaddr *)&local, .local_len = sizeof(local),
		.hostname = "1a2b3c4d5e6f", .nonce = "abc123", .iflink = 7, .ifindex = 6,
	};
	n = nc_responder_format_json(&facts, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);

	/* too small a buffer: -ENOSPC, never a cut answer */
	assert_int_equal(nc_responder_format_json(&facts, buf, strlen(want)), -ENOSPC);
	assert_int_equal(nc_responder_format_json(&facts, buf, strlen(want) + 1), n);

	/* the kernel that runs the container, and its boot: after the old members, and for UDP before proto */
	facts.kernel = "6.1.0-13-amd64";
	facts.boot_id = "0f3c5c1e-8a8e-4b2e-9a51-2b7d8c1f0a11";
	facts.proto = "udp";
	n = nc_responder_format_json(&facts, buf, sizeof(buf));
	assert_string_equal(buf, "{\"peer_addr\":\"172.17.0.1\",\"peer_port\":38582,\"hostname\":\"1a2b3c4d5e6f\","
				 "\"nonce\":\"abc123\",\"iflink\":7,\"ifindex\":6,\"local_addr\":\"172.17.0.2\",\"local_port\":80,"
				 "\"kernel\":\"6.1.0-13-amd64\",\"boot_id\":\"0f3c5c1e-8a8e-4b2e-9a51-2b7d8c1f0a11\","
				 "\"proto\":\"udp\"}");
	assert_int_equal(n, (int)strlen(buf));
	/* a release is text from the kernel, escaped and cut like any */
	facts.kernel = "5.15.49-linuxkit\"\n" "0123456789012345678901234567890123456789012345678901234567890123456789";
	facts.proto = NULL;
	n = nc_responder_format_json(&facts, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"kernel\":\"5.15.49-linuxkit\\\"\\"));
	{
		json_t *j = json_loads(buf, 0, NULL);

		assert_non_null(j);
		assert_int_equal(strlen(json_string_value(json_object_get(j, "kernel"))), NC_RESPONDER_KERNEL_MAX);
		json_decref(j);
	}
}

/* Parses the HTTP answer back: status line, headers, body through jansson. */
static json_t *check_answer(const char *answer, int len)
{
	const char *body;
	json_error_t jerr;
	json_t *root;
	unsigned long content_length;
	const char *cl;

	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(answer));
	assert_memory_equal(answer, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr(answer, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(answer, "\r\nConnection: close\r\n"));
	body = strstr(answer, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	cl = strstr(answer, "\r\nContent-Length: ");
	assert_non_null(cl);
	assert_true(cl < body);
	content_length = strtoul(cl + 18, NULL, 10);
	assert_int_equal(content_length, strlen(body));
	root = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		fail_msg("answer body is not JSON: %s: %s", jerr.text, body);
	assert_true(json_is_object(root));
	assert_int_equal(json_object_size(root), 8);
	return root;
}

static void test_answer_v4(void **state)
{
	struct sockaddr_in peer, local;
	char buf[NC_RESPONDER_ANSWER_MAX];
	nc_responder_facts_t facts;
	json_t *root;

	(void)state;
	make_v4(&peer, "172.17.0.1", 38582);
	make_v4(&local, "172.17.0.2", 80);
	facts = (nc_responder_facts_t){
		.peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer),
		.local = (struct sockaddr *)&local, .local_len = sizeof(local),
		.hostname = "1a2b3c4d5e6f", .nonce = "abc123", .iflink = 7, .ifindex = 6,
	};
	root = check_answer(buf, nc_responder_format_answer(&facts, buf, sizeof(buf)));
	assert_string_equal(json_string_value(json_object_get(root, "peer_addr")), "172.17.0.1");
	assert_int_equal(json_integer_value(json_object_get(root, "peer_port")), 38582);
	assert_string_equal(json_string_value(json_object_get(root, "hostname")), "1a2b3c4d5e6f");
	assert_string_equal(json_string_value(json_object_get(root, "nonce")), "abc123");
	assert_int_equal(json_integer_value(json_object_get(root, "iflink")), 7);
	assert_int_equal(json_integer_value(json_object_get(root, "ifindex")), 6);
	assert_string_equal(json_string_value(json_object_get(root, "local_addr")), "172.17.0.2");
	assert_int_equal(json_integer_value(json_object_get(root, "local_port")), 80);
	json_decref(root);

	assert_int_equal(nc_responder_format_answer(&facts, buf, 100), -ENOSPC);
}

static void test_answer_v6_and_mapped(void **state)
{
	struct sockaddr_in6 peer, local;
	char buf[NC_RESPONDER_ANSWER_MAX];
	nc_responder_facts_t facts;
	json_t *root;

	(void)state;
	/* a v4 client on the dual-stack socket */
	make_v6(&peer, "::ffff:172.17.0.1", 40000);
	make_v6(&local, "::ffff:172.17.0.2", 80);
	facts = (nc_responder_facts_t){
		.peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer),
		.local = (struct sockaddr *)&local, .local_len = sizeof(local),
		.hostname = "h", .nonce = "n", .iflink = -1, .ifindex = -1,
	};
	root = check_answer(buf, nc_responder_format_answer(&facts, buf, sizeof(buf)));
	assert_string_equal(json_string_value(json_object_get(root, "peer_addr")), "172.17.0.1");
	assert_string_equal(json_string_value(json_object_get(root, "local_addr")), "172.17.0.2");
	assert_int_equal(json_integer_value(json_object_get(root, "iflink")), -1);
	assert_int_equal(json_integer_value(json_object_get(root, "ifindex")), -1);
	json_decref(root);

	/* a real v6 client */
	make_v6(&peer, "fd00:dead:beef::1", 50000);
	make_v6(&local, "fd00:dead:beef::2", 8080);
	root = check_answer(buf, nc_responder_format_answer(&facts, buf, sizeof(buf)));
	assert_string_equal(json_string_value(json_object_get(root, "peer_addr")), "fd00:dead:beef::1");
	assert_int_equal(json_integer_value(json_object_get(root, "peer_port")), 50000);
	assert_string_equal(json_string_value(json_object_get(root, "local_addr")), "fd00:dead:beef::2");
	assert_int_equal(json_integer_value(json_object_get(root, "local_port")), 8080);
	json_decref(root);

	/* not an IP address family */
	peer.sin6_family = AF_UNIX;
	assert_int_equal(nc_responder_format_answer(&facts, buf, sizeof(buf)), -EINVAL);
	/* a length too short for the family */
	peer.sin6_family = AF_INET6;
	facts.peer_len = sizeof(struct sockaddr_in);
	assert_int_equal(nc_responder_format_answer(&facts, buf, sizeof(buf)), -EINVAL);
}

static void test_answer_escaping(void **state)
{
	struct sockaddr_in peer;
	char buf[NC_RESPONDER_ANSWER_MAX];
	char worst[NC_RESPONDER_HOSTNAME_MAX + 10];
	nc_responder_facts_t facts;
	json_t *root;

	(void)state;
	make_v4(&peer, "10.0.0.1", 1);
	facts = (nc_responder_facts_t){
		.peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer),
		.local = (struct sockaddr *)&peer, .local_len = sizeof(peer),
		.hostname = "we\"ird\\host\n", .nonce = "n", .iflink = 1, .ifindex = 2,
	};
	root = check_answer(buf, nc_responder_format_answer(&facts, buf, sizeof(buf)));
	assert_string_equal(json_string_value(json_object_get(root, "hostname")), "we\"ird\\host\n");
	json_decref(root);

	/* the largest answer (every hostname byte escaped) still fits */
	memset(worst, '\x01', sizeof(worst) - 1);
	worst[sizeof(worst) - 1] = '\0';
	facts.hostname = worst;
	root = check_answer(buf, nc_responder_format_answer(&facts, buf, sizeof(buf)));
	assert_int_equal(strlen(json_string_value(json_object_get(root, "hostname"))), NC_RESPONDER_HOSTNAME_MAX);
	json_decref(root);
}

static void test_errors(void **state)
{
	char buf[NC_RESPONDER_ANSWER_MAX];
	int n;

	(void)state;
	assert_int_equal(nc_responder_status_for(-EINVAL), 400);
	assert_int_equal(nc_responder_status_for(-ENOENT), 404);
	assert_int_equal(nc_responder_status_for(-EOPNOTSUPP), 405);
	assert_int_equal(nc_responder_status_for(-EMSGSIZE), 431);
	assert_int_equal(nc_responder_status_for(-EIO), 500);

	n = nc_responder_format_error(404, buf, sizeof(buf));
	assert_string_equal(buf, "HTTP/1.1 404 Not Found\r\n"
				 "Content-Type: text/plain\r\n"
				 "Content-Length: 14\r\n"
				 "Connection: close\r\n"
				 "\r\n"
				 "404 Not Found\n");
	assert_int_equal(n, (int)strlen(buf));

	n = nc_responder_format_error(405, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\r\nAllow: GET\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Length: 23\r\n"));
	assert_non_null(strstr(buf, "\r\n\r\n405 Method Not Allowed\n"));

	n = nc_responder_format_error(431, buf, sizeof(buf));
	assert_true(n > 0);
	assert_memory_equal(buf, "HTTP/1.1 431 Request Header Fields Too Large\r\n", 46);

	n = nc_responder_format_error(299, buf, sizeof(buf)); /* unknown: 500 */
	assert_memory_equal(buf, "HTTP/1.1 500 Internal Server Error\r\n", 36);
	assert_int_equal(nc_responder_format_error(400, buf, 20), -ENOSPC);
}

static void test_parse_target(void **state)
{
	const char *req = "GET /connect?proto=tcp&target=a:1&nonce=n HTTP/1.1\r\nHost: x\r\n\r\n";
	char target[64], small[8], nonce[NONCE_BUF];

	(void)state;
	assert_int_equal(nc_responder_parse_target(req, strlen(req), target, sizeof(target)), 0);
	assert_string_equal(target, "/connect?proto=tcp&target=a:1&nonce=n");
	assert_int_equal(nc_responder_parse_target(req, strlen(req), small, sizeof(small)), -ENOBUFS);
	assert_int_equal(nc_responder_parse_target(req, strlen(req) - 1, target, sizeof(target)), -EAGAIN);
	assert_int_equal(nc_responder_parse_target("POST /x HTTP/1.1\r\n\r\n", 21, target, sizeof(target)),
			 -EOPNOTSUPP);
	/* the nonce path sees a query as no nonce */
	assert_int_equal(parse(req, nonce), -ENOENT);
}

static void test_json_udp(void **state)
{
	struct sockaddr_in peer;
	char buf[NC_RESPONDER_ANSWER_MAX];
	nc_responder_facts_t facts;
	json_error_t jerr;
	json_t *root;

	(void)state;
	make_v4(&peer, "172.17.0.1", 5353);
	facts = (nc_responder_facts_t){
		.peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer),
		.local = (struct sockaddr *)&peer, .local_len = sizeof(peer),
		.hostname = "h", .nonce = "n", .iflink = 1, .ifindex = 2, .proto = "udp",
	};
	assert_true(nc_responder_format_json(&facts, buf, sizeof(buf)) > 0);
	root = json_loads(buf, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(root);
	assert_int_equal(json_object_size(root), 9);
	assert_string_equal(json_string_value(json_object_get(root, "proto")), "udp");
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_request),
		cmocka_unit_test(test_nonce_lengths),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_nonce),
		cmocka_unit_test(test_path_traversal),
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_answer_v4),
		cmocka_unit_test(test_answer_v6_and_mapped),
		cmocka_unit_test(test_answer_escaping),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_parse_target),
		cmocka_unit_test(test_json_udp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
