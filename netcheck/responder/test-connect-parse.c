/* Unit tests for the connect-out request, targets and the allow-list, and
 * the connect-out answer's JSON. */
#include "connect-parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>

#include "netcheck/testing.h"

static nc_responder_target_t target(const char *s, bool port_optional)
{
	nc_responder_target_t t;

	assert_int_equal(nc_responder_parse_host_port(s, strlen(s), port_optional, &t), 0);
	return t;
}

static int host_port(const char *s, bool port_optional)
{
	nc_responder_target_t t;

	return nc_responder_parse_host_port(s, strlen(s), port_optional, &t);
}

static void test_host_port(void **state)
{
	nc_responder_target_t t;

	(void)state;
	t = target("172.17.0.3:80", false);
	assert_string_equal(t.host, "172.17.0.3");
	assert_true(t.is_literal);
	assert_int_equal(t.family, AF_INET);
	assert_int_equal(t.port, 80);

	t = target("[FD00:0::1]:65535", false);
	assert_string_equal(t.host, "fd00::1"); /* canonical */
	assert_int_equal(t.family, AF_INET6);
	assert_int_equal(t.port, 65535);

	t = target("Host.Docker.Internal:45000", false);
	assert_string_equal(t.host, "host.docker.internal");
	assert_false(t.is_literal);
	assert_int_equal(t.family, 0);

	t = target("netcheck-peer_abc", true);
	assert_string_equal(t.host, "netcheck-peer_abc");
	assert_int_equal(t.port, 0);
	t = target("fd00::1", true);
	assert_string_equal(t.host, "fd00::1");
	t = target("[fd00::1]", true);
	assert_int_equal(t.port, 0);

	/* a port is required unless said otherwise */
	assert_int_equal(host_port("172.17.0.3", false), -EINVAL);
	assert_int_equal(host_port("fd00::1", false), -EINVAL);
	assert_int_equal(host_port("[fd00::1]", false), -EINVAL);
	assert_int_equal(host_port("name", false), -EINVAL);
	/* bad ports */
	assert_int_equal(host_port("a:0", false), -EINVAL);
	assert_int_equal(host_port("a:65536", false), -EINVAL);
	assert_int_equal(host_port("a:", false), -EINVAL);
	assert_int_equal(host_port("a:8x", false), -EINVAL);
	assert_int_equal(host_port("a:+80", false), -EINVAL);
	assert_int_equal(host_port("a:000080", false), -EINVAL);
	/* bad hosts */
	assert_int_equal(host_port(":80", false), -EINVAL);
	assert_int_equal(host_port("[]:80", false), -EINVAL);
	assert_int_equal(host_port("[1.2.3.4]:80", false), -EINVAL);
	assert_int_equal(host_port("[fd00::1]80", false), -EINVAL);
	assert_int_equal(host_port("[fd00::1:80", false), -EINVAL);
	assert_int_equal(host_port("1.2.3:80", false), -EINVAL);
	assert_int_equal(host_port("999.1.1.1:80", false), -EINVAL);
	assert_int_equal(host_port("a..b:80", false), -EINVAL);
	assert_int_equal(host_port(".a:80", false), -EINVAL);
	assert_int_equal(host_port("-a:80", false), -EINVAL);
	assert_int_equal(host_port("a b:80", false), -EINVAL);
	assert_int_equal(host_port("a/b:80", false), -EINVAL);
	assert_int_equal(host_port("a%b:80", false), -EINVAL);
	assert_int_equal(nc_responder_parse_host_port("a\0b:80", 6, false, &t), -EINVAL);
	assert_int_equal(nc_responder_parse_host_port(NULL, 0, false, &t), -EINVAL);
	{
		char longname[NC_RESPONDER_HOST_MAX + 8];

		memset(longname, 'a', NC_RESPONDER_HOST_MAX);
		memcpy(longname + NC_RESPONDER_HOST_MAX, ":80", 4);
		assert_int_equal(host_port(longname, false), 0);
		memset(longname, 'a', NC_RESPONDER_HOST_MAX + 1);
		memcpy(longname + NC_RESPONDER_HOST_MAX + 1, ":80", 4);
		assert_int_equal(host_port(longname, false), -EINVAL);
	}
}

static void test_parse_connect(void **state)
{
	nc_responder_connect_t req;

	(void)state;
	assert_int_equal(nc_responder_parse_connect(
				 "/connect?proto=tcp&target=172.17.0.3:80&nonce=abc_1-2&timeout_ms=750", &req),
			 0);
	assert_int_equal(req.proto, NC_RESPONDER_TCP);
	assert_string_equal(req.target.host, "172.17.0.3");
	assert_int_equal(req.target.port, 80);
	assert_string_equal(req.nonce, "abc_1-2");
	assert_int_equal(req.timeout_ms, 750);

	/* any order, percent-encoded values, default timeout */
	assert_int_equal(nc_responder_parse_connect("/connect?nonce=n&target=%5Bfd00%3A%3A2%5D%3A8080&proto=udp", &req),
			 0);
	assert_int_equal(req.proto, NC_RESPONDER_UDP);
	assert_string_equal(req.target.host, "fd00::2");
	assert_int_equal(req.target.port, 8080);
	assert_int_equal(req.timeout_ms, NC_RESPONDER_TIMEOUT_MS_DEFAULT);

	/* clamped timeouts */
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n&timeout_ms=0", &req), 0);
	assert_int_equal(req.timeout_ms, 1);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n&timeout_ms=999999999", &req),
			 0);
	assert_int_equal(req.timeout_ms, 5000);

	/* icmp: the port may be left out */
	assert_int_equal(nc_responder_parse_connect("/connect?proto=icmp&target=peer&nonce=n", &req), 0);
	assert_int_equal(req.proto, NC_RESPONDER_ICMP);
	assert_int_equal(req.target.port, 0);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=peer&nonce=n", &req), -EINVAL);

	/* not ours */
	assert_int_equal(nc_responder_parse_connect("/abc", &req), -ENOENT);
	assert_int_equal(nc_responder_parse_connect("/connectx?proto=tcp", &req), -ENOENT);
	assert_int_equal(nc_responder_parse_connect("/connect/x", &req), -ENOENT);

	/* bad requests */
	assert_int_equal(nc_responder_parse_connect("/connect", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=sctp&target=a:1&nonce=n", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&proto=udp&target=a:1&nonce=n", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n&x=1", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n&", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=a.b", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n&timeout_ms=1e3", &req),
			 -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n&timeout_ms=", &req),
			 -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a%00b:1&nonce=n", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a%4:1&nonce=n", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=a:1&nonce=n%", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect("/connect?proto&target=a:1&nonce=n", &req), -EINVAL);
	assert_int_equal(nc_responder_parse_connect(NULL, &req), -EINVAL);
}

static void test_allow_match(void **state)
{
	nc_responder_target_t list[3];
	nc_responder_connect_t req;

	(void)state;
	list[0] = target("host.docker.internal:45000", false);
	list[1] = target("172.17.0.3:80", false);
	list[2] = target("[fd00::3]:80", false);

#define ALLOWED(query) \
	(assert_int_equal(nc_responder_parse_connect(query, &req), 0), \
	 nc_responder_allow_match(list, 3, req.proto, &req.target))
	assert_true(ALLOWED("/connect?proto=tcp&target=host.docker.internal:45000&nonce=n"));
	assert_true(ALLOWED("/connect?proto=udp&target=HOST.docker.internal:45000&nonce=n"));
	assert_true(ALLOWED("/connect?proto=tcp&target=172.17.0.3:80&nonce=n"));
	assert_true(ALLOWED("/connect?proto=tcp&target=[fd00:0:0::3]:80&nonce=n"));
	/* icmp has no port: the host is enough */
	assert_true(ALLOWED("/connect?proto=icmp&target=172.17.0.3&nonce=n"));
	assert_true(ALLOWED("/connect?proto=icmp&target=host.docker.internal&nonce=n"));

	assert_false(ALLOWED("/connect?proto=tcp&target=host.docker.internal:45001&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=172.17.0.4:80&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=172.17.0.3:81&nonce=n"));
	assert_false(ALLOWED("/connect?proto=icmp&target=172.17.0.4&nonce=n"));
	/* a name is not its address, nor a suffix of another name */
	assert_false(ALLOWED("/connect?proto=tcp&target=docker.internal:45000&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=x.host.docker.internal:45000&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=[::ffff:172.17.0.3]:80&nonce=n"));
#undef ALLOWED
	assert_false(nc_responder_allow_match(list, 0, NC_RESPONDER_TCP, &list[1]));
	assert_false(nc_responder_allow_match(NULL, 3, NC_RESPONDER_TCP, &list[1]));
	assert_string_equal(nc_responder_proto_name(NC_RESPONDER_ICMP), "icmp");
}

static json_t *body_of(const char *answer, int n)
{
	const char *body;
	json_error_t jerr;
	json_t *root;

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(answer));
	assert_memory_equal(answer, "HTTP/1.1 200 OK\r\n", 17);
	body = strstr(answer, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	{
		const char *cl = strstr(answer, "\r\nContent-Length: ");

		assert_non_null(cl);
		assert_int_equal(strtoul(cl + 18, NULL, 10), strlen(body));
	}
	/* a NUL the target sent is \u0000: valid JSON, which jansson wants allowed */
	root = json_loads(body, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (root == NULL)
		fail_msg("not JSON: %s: %s", jerr.text, body);
	assert_int_equal(json_object_size(root), 13);
	return root;
}

static void test_format_connect(void **state)
{
	static char buf[NC_RESPONDER_CONNECT_ANSWER_MAX];
	static char worst[NC_RESPONDER_CONNECT_BODY_MAX + 100];
	nc_responder_connect_result_t res = {
		.nonce = "n1", .proto = "tcp", .target = "peer:80", .resolved = "172.18.0.3",
		.resolved_by = "dns 127.0.0.11", .local = "172.18.0.2:40000", .error = 0,
		.connect_ms = 1, .total_ms = 3, .http_status = 200, .answer = "{\"a\":1}\n", .answer_len = 8,
	};
	json_t *root;

	(void)state;
	root = body_of(buf, nc_responder_format_connect(&res, buf, sizeof(buf)));
	assert_true(json_is_true(json_object_get(root, "ok")));
	assert_true(json_is_null(json_object_get(root, "error")));
	assert_true(json_is_null(json_object_get(root, "detail")));
	assert_string_equal(json_string_value(json_object_get(root, "resolved_by")), "dns 127.0.0.11");
	assert_string_equal(json_string_value(json_object_get(root, "answer")), "{\"a\":1}\n");
	assert_int_equal(json_integer_value(json_object_get(root, "connect_ms")), 1);
	assert_int_equal(json_integer_value(json_object_get(root, "http_status")), 200);
	json_decref(root);

	/* a refusal: nulls where nothing happened */
	res = (nc_responder_connect_result_t){
		.nonce = "n", .proto = "udp", .target = "1.2.3.4:53", .error = -EACCES,
		.detail = "target not on the allow-list", .connect_ms = -1, .http_status = -1,
	};
	root = body_of(buf, nc_responder_format_connect(&res, buf, sizeof(buf)));
	assert_true(json_is_false(json_object_get(root, "ok")));
	assert_string_equal(json_string_value(json_object_get(root, "error")), "EACCES");
	assert_true(json_is_null(json_object_get(root, "resolved")));
	assert_true(json_is_null(json_object_get(root, "answer")));
	assert_true(json_is_null(json_object_get(root, "connect_ms")));
	assert_true(json_is_null(json_object_get(root, "http_status")));
	json_decref(root);
	/* a refusal fits the connection's own small buffer */
	assert_true(nc_responder_format_connect(&res, buf, NC_RESPONDER_ANSWER_MAX) > 0);

	/* the worst answer: every byte escaped, longer than the bound, NULs inside */
	memset(worst, '\x01', sizeof(worst));
	worst[5] = '\0';
	res.error = 0;
	res.detail = NULL;
	res.answer = worst;
	res.answer_len = sizeof(worst);
	root = body_of(buf, nc_responder_format_connect(&res, buf, sizeof(buf)));
	assert_int_equal(json_string_length(json_object_get(root, "answer")), NC_RESPONDER_CONNECT_BODY_MAX);
	json_decref(root);
	assert_int_equal(nc_responder_format_connect(&res, buf, 1000), -ENOSPC);
	assert_int_equal(nc_responder_format_connect(NULL, buf, sizeof(buf)), -EINVAL);

	assert_string_equal(nc_responder_errno_name(-ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(nc_responder_errno_name(ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(nc_responder_errno_name(-ENOENT), "ENOENT");
	assert_string_equal(nc_responder_errno_name(-12345), "EIO");
}

static void test_nonce_rule(void **state)
{
	char n65[NC_RESPONDER_NONCE_MAX + 1];

	(void)state;
	assert_true(nc_responder_nonce_is_valid("aZ0_-", 5));
	assert_false(nc_responder_nonce_is_valid("", 0));
	assert_false(nc_responder_nonce_is_valid("a\n", 2));
	assert_false(nc_responder_nonce_is_valid(NULL, 1));
	memset(n65, 'a', sizeof(n65));
	assert_true(nc_responder_nonce_is_valid(n65, NC_RESPONDER_NONCE_MAX));
	assert_false(nc_responder_nonce_is_valid(n65, NC_RESPONDER_NONCE_MAX + 1));
}


/* --swarm allows a task's overlay by block: inside it, at that port only. */
static void test_allow_block(void **state)
{
	nc_responder_target_t list[3];
	nc_responder_connect_t req;

	(void)state;
	assert_int_equal(nc_responder_parse_allow("198.19.1.0/24:80", 16, &list[0]), 0);
	assert_int_equal(list[0].prefix_len, 24);
	assert_string_equal(list[0].host, "198.19.1.0");
	assert_int_equal(list[0].port, 80);
	assert_int_equal(nc_responder_parse_allow("[fd00:1::/64]:80", 16, &list[1]), 0);
	assert_int_equal(list[1].prefix_len, 64);
	assert_int_equal(nc_responder_parse_allow("tasks.netcheck-ab12:80", 22, &list[2]), 0);
	assert_int_equal(list[2].prefix_len, 0);

#define ALLOWED(query) \
	(assert_int_equal(nc_responder_parse_connect(query, &req), 0), \
	 nc_responder_allow_match(list, 3, req.proto, &req.target))
	assert_true(ALLOWED("/connect?proto=tcp&target=198.19.1.7:80&nonce=n"));
	assert_true(ALLOWED("/connect?proto=tcp&target=198.19.1.255:80&nonce=n"));
	assert_true(ALLOWED("/connect?proto=tcp&target=[fd00:1::9]:80&nonce=n"));
	assert_true(ALLOWED("/connect?proto=tcp&target=TASKS.netcheck-ab12:80&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=198.19.2.7:80&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=198.19.1.7:81&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=[fd00:2::9]:80&nonce=n"));
	assert_false(ALLOWED("/connect?proto=tcp&target=netcheck-ab12:80&nonce=n"));
#undef ALLOWED
	/* a block with bits that are not whole bytes */
	assert_int_equal(nc_responder_parse_allow("10.0.0.0/9:80", 13, &list[0]), 0);
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=10.127.0.1:80&nonce=n", &req), 0);
	assert_true(nc_responder_allow_match(list, 1, req.proto, &req.target));
	assert_int_equal(nc_responder_parse_connect("/connect?proto=tcp&target=10.128.0.1:80&nonce=n", &req), 0);
	assert_false(nc_responder_allow_match(list, 1, req.proto, &req.target));

	/* not a block: no bits, too many, a name, no port */
	assert_int_equal(nc_responder_parse_allow("198.19.1.0/:80", 14, &list[0]), -EINVAL);
	assert_int_equal(nc_responder_parse_allow("198.19.1.0/0:80", 15, &list[0]), -EINVAL);
	assert_int_equal(nc_responder_parse_allow("198.19.1.0/33:80", 16, &list[0]), -EINVAL);
	assert_int_equal(nc_responder_parse_allow("name/24:80", 10, &list[0]), -EINVAL);
	assert_int_equal(nc_responder_parse_allow("198.19.1.0/24", 13, &list[0]), -EINVAL);
	assert_int_equal(nc_responder_parse_allow("198.19.1.0/-1:80", 16, &list[0]), -EINVAL);
	assert_int_equal(nc_responder_parse_allow("", 0, &list[0]), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_port),
		cmocka_unit_test(test_parse_connect),
		cmocka_unit_test(test_allow_match),
		cmocka_unit_test(test_allow_block),
		cmocka_unit_test(test_format_connect),
		cmocka_unit_test(test_nonce_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
