/* Unit tests for the probes (probe.c).
 *
 * The answer parser and the nonce are pure.  The TCP probe runs on a real
 * libuv loop against a server in this test that answers the way the
 * responder does (its own http-parse.c formats the answer from the
 * connection's getpeername/getsockname), on 127.0.0.1.  Every loop test
 * ends with uv_loop_close() == 0, so a handle left open fails it.  ICMP
 * pings 127.0.0.1 when the process may open a raw or ping socket, else
 * checks the -EPERM path. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#include "http-parse.h"
#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/policy.h"
#include "netcheck/probe.h"
#include "netcheck/result.h"

#define WATCHDOG_MS 5000 /* no loop test may hang */

/* --- nc_probe_parse_answer --------------------------------------------- */

#define HEAD_200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"

static int parse(const char *s, nc_answer_t *a)
{
	return nc_probe_parse_answer(s, strlen(s), a);
}

static void test_parse_complete(void **state)
{
	const char *s = HEAD_200 "{\"peer_addr\":\"172.17.0.1\",\"peer_port\":38582,\"hostname\":\"3556fbea447a\","
				 "\"nonce\":\"0123456789abcdef\",\"iflink\":7,\"ifindex\":6,"
				 "\"local_addr\":\"172.17.0.2\",\"local_port\":80}";
	nc_answer_t a;
	nc_endpoint_t want = ep("172.17.0.1", 38582);
	(void)state;

	assert_int_equal(parse(s, &a), 0);
	assert_int_equal(a.http_status, 200);
	assert_true(nc_endpoint_equal(&a.peer, &want));
	assert_string_equal(a.hostname, "3556fbea447a");
	assert_string_equal(a.nonce, "0123456789abcdef");
	assert_int_equal(a.iflink, 7);
	want = ep("172.17.0.2", 80);
	assert_true(nc_endpoint_equal(&a.local, &want));
	assert_string_equal(a.kernel, ""); /* an older responder's answer: no kernel, still parsed */
	assert_string_equal(a.boot_id, "");

	/* a newer responder's: the kernel it runs on and its boot */
	assert_int_equal(parse(HEAD_200 "{\"peer_addr\":\"172.17.0.1\",\"peer_port\":38582,\"kernel\":\"6.1.0-13-amd64\","
				       "\"boot_id\":\"0f3c5c1e-8a8e-4b2e-9a51-2b7d8c1f0a11\"}", &a), 0);
	assert_string_equal(a.kernel, "6.1.0-13-amd64");
	assert_string_equal(a.boot_id, "0f3c5c1e-8a8e-4b2e-9a51-2b7d8c1f0a11");
	/* too long, or not a string: left out, the answer still counts */
	assert_int_equal(parse(HEAD_200 "{\"peer_addr\":\"172.17.0.1\",\"peer_port\":1,\"kernel\":7,"
				       "\"boot_id\":\"0123456789012345678901234567890123456789\"}", &a), 0);
	assert_string_equal(a.kernel, "");
	assert_string_equal(a.boot_id, "");

	/* HTTP/1.0; the optional fields absent */
	assert_int_equal(parse("HTTP/1.0 200 OK\r\n\r\n{\"peer_addr\":\"10.0.0.1\",\"peer_port\":1}", &a), 0);
	assert_int_equal(a.iflink, -1);
	assert_string_equal(a.hostname, "");
	assert_false(nc_endpoint_is_set(&a.local));
}

static void test_parse_ipv6_peer(void **state)
{
	nc_answer_t a;
	nc_endpoint_t want = ep("fd00:dead:beef::1", 40000);
	(void)state;

	assert_int_equal(parse(HEAD_200 "{\"peer_addr\":\"fd00:dead:beef::1\",\"peer_port\":40000,"
					"\"local_addr\":\"::1\",\"local_port\":8080}",
			       &a),
			 0);
	assert_int_equal(a.peer.family, AF_INET6);
	assert_true(nc_endpoint_equal(&a.peer, &want));
	want = ep("::1", 8080);
	assert_true(nc_endpoint_equal(&a.local, &want));
}

static void test_parse_incomplete(void **state)
{
	static char big[NC_PROBE_MAX_ANSWER + 8];
	nc_answer_t a;
	(void)state;

	assert_int_equal(nc_probe_parse_answer("", 0, &a), -EAGAIN);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Type: appl", &a), -EAGAIN);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n", &a), -EAGAIN);
	/* no end of headers within the bound: not incomplete any more */
	memset(big, 'a', sizeof(big));
	assert_int_equal(nc_probe_parse_answer(big, NC_PROBE_MAX_ANSWER, &a), NC_EPROTO);
	assert_int_equal(nc_probe_parse_answer(big, NC_PROBE_MAX_ANSWER - 1, &a), -EAGAIN);
}

static void test_parse_not_http(void **state)
{
	static const char *const bad[] = {
		"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n",
		"\r\n\r\n",
		"HTTP/1.1\r\n\r\n",
		"HTTP/x.1 200 OK\r\n\r\n",
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 999 What\r\n\r\n",
		"HTTP/1.1 099 Early\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		/* 200 with a body that is not the responder's JSON */
		HEAD_200 "<html>hello</html>",
		HEAD_200 "{\"peer_addr\":\"172.17.0.1\",\"peer_port\":3858",
		HEAD_200 "",
	};
	nc_answer_t a;
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++)
		if (parse(bad[i], &a) != NC_EPROTO)
			fail_msg("answer %zu was not refused: %s", i, bad[i]);
}

/* The buffer is untrusted and need not be NUL-terminated: nothing past len is read. */
static void test_parse_unterminated(void **state)
{
	static const char *const heads[] = { "HTTP/1.1 \r\n\r\n", "HTTP/1.1 200\r\n\r\n", "HTTP/1.1 404 \r\n\r\n" };
	static const int want[] = { NC_EPROTO, NC_EPROTO, 0 };
	nc_answer_t a;
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(heads); i++) {
		size_t n = strlen(heads[i]);
		char *b = malloc(n); /* libc's: valgrind sees a read past it */

		assert_non_null(b);
		memcpy(b, heads[i], n);
		assert_int_equal(nc_probe_parse_answer(b, n, &a), want[i]);
		free(b);
	}
}

static void test_parse_status(void **state)
{
	nc_answer_t a;
	(void)state;

	/* any complete non-200 answer: the status, no body parsed */
	assert_int_equal(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", &a), 0);
	assert_int_equal(a.http_status, 404);
	assert_false(nc_endpoint_is_set(&a.peer));
	assert_int_equal(parse("HTTP/1.1 503 Service Unavailable\r\n\r\n", &a), 0);
	assert_int_equal(a.http_status, 503);
}

static void test_parse_bad_json(void **state)
{
	static const char *const bodies[] = {
		"{\"peer_port\":38582,\"hostname\":\"x\"}",                    /* no peer_addr */
		"{\"peer_addr\":\"172.17.0.1\"}",                              /* no peer_port */
		"{\"peer_addr\":\"172.17.0.1\",\"peer_port\":0}",              /* port out of range */
		"{\"peer_addr\":\"172.17.0.1\",\"peer_port\":65536}",
		"{\"peer_addr\":\"172.17.0.1\",\"peer_port\":-1}",
		"{\"peer_addr\":\"172.17.0.1\",\"peer_port\":\"80\"}",         /* not a number */
		"{\"peer_addr\":\"not-an-ip\",\"peer_port\":80}",
		"{\"peer_addr\":17,\"peer_port\":80}",
		"[\"172.17.0.1\",80]",
	};
	char buf[512];
	nc_answer_t a;
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(bodies); i++) {
		snprintf(buf, sizeof(buf), HEAD_200 "%s", bodies[i]);
		if (parse(buf, &a) != NC_EPROTO)
			fail_msg("body %zu was not refused: %s", i, bodies[i]);
	}
	/* a local_port out of range is ignored, not fatal */
	assert_int_equal(parse(HEAD_200 "{\"peer_addr\":\"10.0.0.1\",\"peer_port\":1,\"local_addr\":\"10.0.0.2\","
					"\"local_port\":70000,\"iflink\":99999999999}",
			       &a),
			 0);
	assert_false(nc_endpoint_is_set(&a.local));
	assert_int_equal(a.iflink, -1);
}

/* --- nonce ------------------------------------------------------------- */

static void test_nonce(void **state)
{
	char a[NC_NONCE_MAX], b[NC_NONCE_MAX], small[16];
	(void)state;

	assert_int_equal(nc_probe_make_nonce(a, sizeof(a)), 0);
	assert_int_equal(nc_probe_make_nonce(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 16);
	assert_int_equal(strspn(a, "0123456789abcdef"), 16);
	assert_int_equal(strspn(b, "0123456789abcdef"), 16);
	assert_string_not_equal(a, b);
	assert_int_equal(nc_probe_make_nonce(small, 17 - 1), -ENOSPC);
	assert_int_equal(nc_probe_make_nonce(a, 17), 0);
	assert_int_equal(strlen(a), 16);
}

/* --- a responder on the loop ------------------------------------------- */

typedef enum {
	SERVER_ANSWER,  /* netcheck's responder */
	SERVER_SILENT,  /* reads, never answers: a service that waits for the client */
	SERVER_BANNER,  /* speaks first, as SSH or SMTP do */
	SERVER_RESET,   /* accepts, then resets at once */
} server_mode_t;

#define BANNER "SSH-2.0-netcheck_test\x01\r\n"

typedef struct server {
	uv_loop_t *loop;
	server_mode_t mode;
	uv_tcp_t listener;
	uv_tcp_t conn;
	bool conn_open;
	int accepted;
	char req[NC_RESPONDER_REQUEST_MAX];
	size_t req_len;
	char answer[NC_RESPONDER_ANSWER_MAX];
	uv_write_t write_req;
	uint16_t port;
} server_t;

static void on_conn_closed(uv_handle_t *h)
{
	server_t *s = h->data;

	s->conn_open = false;
}

static void close_conn(server_t *s)
{
	if (s->conn_open && !uv_is_closing((uv_handle_t *)&s->conn))
		uv_close((uv_handle_t *)&s->conn, on_conn_closed);
}

static void on_server_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	server_t *s = h->data;

	(void)suggested;
	buf->base = s->req + s->req_len;
	buf->len = sizeof(s->req) - s->req_len;
}

static void on_answer_written(uv_write_t *req, int status)
{
	(void)status;
	close_conn(req->data); /* the responder closes after its answer */
}

static void answer(server_t *s)
{
	struct sockaddr_storage peer, local;
	int peer_len = sizeof(peer), local_len = sizeof(local), n;
	char nonce[NC_RESPONDER_NONCE_MAX + 1];
	nc_responder_facts_t facts;
	uv_buf_t b;

	assert_int_equal(nc_responder_parse_request(s->req, s->req_len, nonce, sizeof(nonce)), 0);
	assert_int_equal(uv_tcp_getpeername(&s->conn, (struct sockaddr *)&peer, &peer_len), 0);
	assert_int_equal(uv_tcp_getsockname(&s->conn, (struct sockaddr *)&local, &local_len), 0);
	facts = (nc_responder_facts_t){
		.peer = (struct sockaddr *)&peer, .peer_len = (socklen_t)peer_len,
		.local = (struct sockaddr *)&local, .local_len = (socklen_t)local_len,
		.hostname = "test-responder", .nonce = nonce, .iflink = -1, .ifindex = -1,
	};
	n = nc_responder_format_answer(&facts, s->answer, sizeof(s->answer));
	assert_true(n > 0);
	b = uv_buf_init(s->answer, (unsigned)n);
	s->write_req.data = s;
	assert_int_equal(uv_write(&s->write_req, (uv_stream_t *)&s->conn, &b, 1, on_answer_written), 0);
}

static void on_server_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	server_t *s = st->data;
	char nonce[NC_RESPONDER_NONCE_MAX + 1];

	(void)buf;
	if (nread < 0) {
		close_conn(s);
		return;
	}
	s->req_len += (size_t)nread;
	if (nc_responder_parse_request(s->req, s->req_len, nonce, sizeof(nonce)) == -EAGAIN)
		return;
	uv_read_stop(st);
	if (s->mode == SERVER_ANSWER) {
		answer(s);
	} else {
		/* silent: wait for the client to give up */
		s->req_len = 0;
		uv_read_start(st, on_server_alloc, on_server_read);
	}
}

static void on_server_connection(uv_stream_t *l, int status)
{
	server_t *s = l->data;

	assert_int_equal(status, 0);
	assert_false(s->conn_open); /* one probe, one connection */
	assert_int_equal(uv_tcp_init(s->loop, &s->conn), 0);
	s->conn.data = s;
	s->conn_open = true;
	assert_int_equal(uv_accept(l, (uv_stream_t *)&s->conn), 0);
	s->accepted++;
	if (s->mode == SERVER_BANNER) {
		uv_buf_t b = uv_buf_init((char *)BANNER, sizeof(BANNER) - 1);

		assert_int_equal(uv_try_write((uv_stream_t *)&s->conn, &b, 1), (int)b.len);
	} else if (s->mode == SERVER_RESET) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		uv_os_fd_t fd;

		/* SO_LINGER 0: close sends a RST instead of a FIN */
		assert_int_equal(uv_fileno((uv_handle_t *)&s->conn, &fd), 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
		close_conn(s);
		return;
	}
	assert_int_equal(uv_read_start((uv_stream_t *)&s->conn, on_server_alloc, on_server_read), 0);
}

static void server_start(server_t *s, uv_loop_t *loop, server_mode_t mode)
{
	struct sockaddr_in sin;
	struct sockaddr_storage bound;
	int len = sizeof(bound);

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->mode = mode;
	assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sin), 0);
	assert_int_equal(uv_tcp_init(loop, &s->listener), 0);
	s->listener.data = s;
	assert_int_equal(uv_tcp_bind(&s->listener, (struct sockaddr *)&sin, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 4, on_server_connection), 0);
	assert_int_equal(uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len), 0);
	s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	assert_true(s->port != 0);
}

typedef struct run {
	uv_loop_t loop;
	uv_timer_t watchdog;
	bool watchdog_fired;
	int done_calls;
	server_t *server; /* may be NULL */
} run_t;

static void on_watchdog(uv_timer_t *t)
{
	run_t *r = t->data;

	r->watchdog_fired = true;
	uv_stop(t->loop);
}

static void on_probe_done(nc_probe_t *p, void *data)
{
	run_t *r = data;

	(void)p;
	r->done_calls++;
	if (r->server != NULL) {
		uv_close((uv_handle_t *)&r->server->listener, NULL);
		close_conn(r->server);
	}
}

static void run_init(run_t *r, server_t *server)
{
	memset(r, 0, sizeof(*r));
	r->server = server;
	assert_int_equal(uv_loop_init(&r->loop), 0);
	assert_int_equal(uv_timer_init(&r->loop, &r->watchdog), 0);
	r->watchdog.data = r;
	assert_int_equal(uv_timer_start(&r->watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
	uv_unref((uv_handle_t *)&r->watchdog); /* does not keep the loop alive */
}

/* Runs until nothing is left, lets the close callbacks run, closes the loop. */
static void run_finish(run_t *r)
{
	assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
	assert_false(r->watchdog_fired);
	uv_close((uv_handle_t *)&r->watchdog, NULL);
	assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&r->loop), 0);
}

static nc_path_t *tcp_path(nc_result_t **ret_result, uint16_t port)
{
	nc_endpoint_t target = ep("127.0.0.1", port);
	nc_path_t *p = NULL;

	*ret_result = nc_result_new();
	assert_non_null(*ret_result);
	assert_int_equal(nc_result_add_path(*ret_result, NC_PATH_DIRECT_TCP, &target, &p), 0);
	return p;
}

static void test_tcp_reachable(void **state)
{
	run_t r;
	server_t s;
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	(void)state;

	run_init(&r, &s);
	server_start(&s, &r.loop, SERVER_ANSWER);
	path = tcp_path(&result, s.port);
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, 2000, NULL, &probe), 0);
	assert_int_equal(strlen(path->nonce), 16); /* made for the path */
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), -EALREADY);
	run_finish(&r);
	assert_int_equal(r.done_calls, 1);
	assert_int_equal(s.accepted, 1);
	nc_probe_free(probe);

	assert_int_equal(path->verdict, NC_VERDICT_REACHABLE);
	assert_true(nc_endpoint_is_set(&path->local));
	assert_true(nc_endpoint_equal(&path->peer_seen, &path->local));
	assert_string_equal(path->answered_by, "test-responder");
	assert_string_equal(path->detail, ""); /* our nonce came back */
	assert_int_equal(path->http_status, 200);
	assert_string_equal(path->banner, "");
	assert_true(path->timings.connect_ms >= 0);
	assert_true(path->timings.connect_ms <= path->timings.first_byte_ms);
	assert_true(path->timings.first_byte_ms <= path->timings.total_ms);
	assert_int_equal(path->mechanism, NC_MECH_NONE); /* probes do not classify */
	nc_result_free(result);
}

static void test_tcp_refused(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	run_t r;
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	int fd;
	(void)state;

	/* a port bound but not listening: held, so nothing else takes it */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);

	run_init(&r, NULL);
	path = tcp_path(&result, ntohs(sin.sin_port));
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, 2000, NULL, &probe), 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	run_finish(&r);
	close(fd);
	assert_int_equal(r.done_calls, 1);
	nc_probe_free(probe);
	/* the probe records that it was sent and the error; the policy says it is a refusal */
	assert_true(path->sent);
	assert_int_equal(path->probe_error, UV_ECONNREFUSED);
	nc_classify_verdict(path);
	assert_int_equal(path->verdict, NC_VERDICT_REFUSED);
	assert_non_null(strstr(path->detail, "connect"));
	/* its packets (SYN, RST) can be tied to it: the port it sent from */
	assert_int_equal(path->local.family, AF_INET);
	assert_true(path->local.port != 0);
	assert_true(path->local.port != ntohs(sin.sin_port));
	assert_false(nc_endpoint_is_set(&path->peer_seen));
	assert_true(path->timings.total_ms >= 0);
	nc_result_free(result);
}

static void test_tcp_timeout(void **state)
{
	run_t r;
	server_t s;
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	(void)state;

	run_init(&r, &s);
	server_start(&s, &r.loop, SERVER_SILENT);
	path = tcp_path(&result, s.port);
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, 200, NULL, &probe), 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	run_finish(&r);
	assert_int_equal(r.done_calls, 1);
	assert_int_equal(s.accepted, 1);
	nc_probe_free(probe);
	assert_int_equal(path->verdict, NC_VERDICT_TIMEOUT);
	assert_non_null(strstr(path->detail, "200 ms"));
	assert_true(path->timings.connect_ms >= 0); /* it connected, then heard nothing */
	assert_true(path->timings.first_byte_ms < 0);
	assert_true(path->timings.total_ms >= 150);
	nc_result_free(result);
}

static void test_tcp_cancel_and_free(void **state)
{
	run_t r;
	server_t s;
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	(void)state;

	/* an unset target is refused up front */
	result = nc_result_new();
	assert_non_null(result);
	assert_int_equal(nc_result_add_path(result, NC_PATH_DIRECT_TCP, NULL, &path), 0);
	assert_int_equal(nc_probe_tcp_new(NULL, path, 100, NULL, &probe), -EINVAL);
	nc_result_free(result);

	/* created, never started: freed without a loop run */
	run_init(&r, NULL);
	path = tcp_path(&result, 9);
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, 100, NULL, &probe), 0);
	nc_probe_free(probe);
	nc_probe_free(NULL);
	run_finish(&r);
	nc_result_free(result);

	/* cancelled while waiting: done_cb once, verdict timeout */
	run_init(&r, &s);
	server_start(&s, &r.loop, SERVER_SILENT);
	path = tcp_path(&result, s.port);
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, 2000, NULL, &probe), 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	nc_probe_cancel(probe);
	nc_probe_cancel(probe);
	run_finish(&r);
	assert_int_equal(r.done_calls, 1);
	nc_probe_free(probe);
	assert_int_equal(path->verdict, NC_VERDICT_TIMEOUT);
	assert_string_equal(path->detail, "cancelled");
	nc_result_free(result);
}

/* --- any TCP service (no HTTP) ----------------------------------------- */

static const nc_probe_tcp_options_t no_http = { .http = false, .banner_window_ms = 150 };

/* One probe without HTTP against a server in mode; the path is left in *ret_result. */
static nc_path_t *probe_service(server_mode_t mode, uint64_t timeout_ms, nc_result_t **ret_result)
{
	run_t r;
	server_t s;
	nc_path_t *path;
	nc_probe_t *probe = NULL;

	run_init(&r, &s);
	server_start(&s, &r.loop, mode);
	path = tcp_path(ret_result, s.port);
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, timeout_ms, &no_http, &probe), 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	run_finish(&r);
	assert_int_equal(r.done_calls, 1);
	assert_int_equal(s.accepted, 1);
	nc_probe_free(probe);
	assert_true(path->local.port != 0);
	/* a reset may reach the socket before the loop sees the connection */
	assert_true(mode == SERVER_RESET || path->timings.connect_ms >= 0);
	assert_int_equal(path->http_status, 0); /* not asked */
	return path;
}

static void test_tcp_banner(void **state)
{
	nc_result_t *result;
	nc_path_t *path = probe_service(SERVER_BANNER, 2000, &result);
	(void)state;

	assert_int_equal(path->verdict, NC_VERDICT_REACHABLE);
	/* printable, the control byte as '.', the line end dropped */
	assert_string_equal(path->banner, "SSH-2.0-netcheck_test.");
	assert_true(path->timings.first_byte_ms >= path->timings.connect_ms);
	assert_true(path->timings.total_ms < 150); /* did not wait out the window */
	assert_non_null(strstr(path->detail, "spoke first"));
	nc_result_free(result);
}

static void test_tcp_silent_service(void **state)
{
	nc_result_t *result;
	nc_path_t *path = probe_service(SERVER_SILENT, 2000, &result);
	(void)state;

	assert_int_equal(path->verdict, NC_VERDICT_REACHABLE);
	assert_string_equal(path->banner, "");
	assert_true(path->timings.first_byte_ms < 0);
	assert_true(path->timings.total_ms >= 140);
	assert_non_null(strstr(path->detail, "sent nothing"));
	nc_result_free(result);

	/* the window never outlasts the timeout */
	path = probe_service(SERVER_SILENT, 60, &result);
	assert_int_equal(path->verdict, NC_VERDICT_REACHABLE);
	assert_true(path->timings.total_ms < 140);
	nc_result_free(result);
}

static void test_tcp_reset(void **state)
{
	nc_result_t *result;
	nc_path_t *path = probe_service(SERVER_RESET, 2000, &result);
	(void)state;

	assert_int_equal(path->verdict, NC_VERDICT_RESET);
	assert_string_equal(path->detail, "reset by the far side right after connect");
	assert_string_equal(nc_verdict_name(path->verdict), "reset");
	nc_result_free(result);
}

/* A listener whose accept queue is full drops the SYN: connect times out. */
static void test_tcp_connect_timeout_local_port(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int lfd, fill[2];
	run_t r;
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	(void)state;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(listen(lfd, 0), 0); /* a queue of one, never accepted */
	for (size_t i = 0; i < NC_ARRAY_SIZE(fill); i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(fill[i] >= 0);
		(void)connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	run_init(&r, NULL);
	path = tcp_path(&result, ntohs(sin.sin_port));
	assert_int_equal(nc_probe_tcp_new(&r.loop, path, 300, NULL, &probe), 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	run_finish(&r);
	nc_probe_free(probe);
	for (size_t i = 0; i < NC_ARRAY_SIZE(fill); i++)
		close(fill[i]);
	close(lfd);
	assert_int_equal(path->verdict, NC_VERDICT_TIMEOUT);
	assert_true(path->timings.connect_ms < 0); /* never connected */
	assert_int_equal(path->local.family, AF_INET);
	assert_true(path->local.port != 0);
	nc_result_free(result);
}

static void test_tcp_creation_errors(void **state)
{
	static const char *const bad[] = { "healthz", "/a b", "/a\r\nX: y", "" };
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++) {
		nc_probe_tcp_options_t opt = { .http = true, .http_path = bad[i] };

		path = tcp_path(&result, 80);
		assert_int_equal(nc_probe_tcp_new(NULL, path, 100, &opt, &probe), -EINVAL);
		/* not left "skipped", which would count as expected */
		assert_int_equal(path->verdict, NC_VERDICT_ERROR);
		assert_non_null(strstr(path->detail, "probe not made"));
		nc_result_free(result);
	}
}

/* The command line and the probe take the same paths: a path of
 * NC_PROBE_HTTP_PATH_MAX bytes makes a probe (it once passed the command
 * line at 256 and failed every TCP probe past 200), one byte more does not. */
static void test_http_path_bound(void **state)
{
	char path_text[NC_PROBE_HTTP_PATH_MAX + 2];
	nc_result_t *result;
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	uv_loop_t loop;
	(void)state;

	assert_int_equal(NC_PROBE_HTTP_PATH_MAX, 256);
	memset(path_text, 'a', sizeof(path_text));
	path_text[0] = '/';
	path_text[NC_PROBE_HTTP_PATH_MAX] = '\0';
	assert_true(nc_probe_http_path_valid(path_text));
	assert_int_equal(uv_loop_init(&loop), 0);
	{
		nc_probe_tcp_options_t opt = { .http = true, .http_path = path_text };

		path = tcp_path(&result, 80);
		assert_int_equal(nc_probe_tcp_new(&loop, path, 100, &opt, &probe), 0);
		nc_probe_free(probe);
		nc_result_free(result);
	}
	path_text[NC_PROBE_HTTP_PATH_MAX] = 'a';
	path_text[NC_PROBE_HTTP_PATH_MAX + 1] = '\0';
	assert_false(nc_probe_http_path_valid(path_text));
	{
		nc_probe_tcp_options_t opt = { .http = true, .http_path = path_text };

		path = tcp_path(&result, 80);
		assert_int_equal(nc_probe_tcp_new(&loop, path, 100, &opt, &probe), -EINVAL);
		assert_int_equal(path->verdict, NC_VERDICT_ERROR);
		nc_result_free(result);
	}
	assert_false(nc_probe_http_path_valid("/a b"));
	assert_false(nc_probe_http_path_valid("health"));
	assert_true(nc_probe_http_path_valid("/"));
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* --- ICMP -------------------------------------------------------------- */

static void test_rtt_from_kernel_stamp(void **state)
{
	struct timespec sent = { .tv_sec = 100, .tv_nsec = 999900000 };
	struct timespec stamp = { .tv_sec = 101, .tv_nsec = 60000 };  /* 0.16 ms after */
	struct timespec now = { .tv_sec = 101, .tv_nsec = 1200000 };  /* the loop, 1.3 ms after */
	(void)state;

	assert_float_equal(nc_probe_rtt_ms(&sent, &stamp, &now), 0.16, 1e-9);
	assert_float_equal(nc_probe_rtt_ms(&sent, NULL, &now), 1.3, 1e-9);
}


static bool can_open(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void test_icmp_loopback(void **state)
{
	run_t r;
	nc_result_t *result;
	nc_endpoint_t target = ep("127.0.0.1", 0);
	nc_path_t *path;
	nc_probe_t *probe = NULL;
	int ret;
	(void)state;

	result = nc_result_new();
	assert_non_null(result);
	assert_int_equal(nc_result_add_path(result, NC_PATH_DIRECT_ICMP, &target, &path), 0);
	run_init(&r, NULL);
	ret = nc_probe_icmp_new(&r.loop, path, 2000, &probe);
	if (!can_open(SOCK_RAW) && !can_open(SOCK_DGRAM)) {
		/* neither a raw socket (CAP_NET_RAW) nor a ping socket (ping_group_range) */
		assert_int_equal(ret, -EPERM);
		assert_false(path->sent);
		nc_classify_not_made(path, ret); /* run's policy call: a missing privilege is a skip */
		assert_int_equal(path->verdict, NC_VERDICT_SKIPPED);
		assert_non_null(strstr(path->detail, "CAP_NET_RAW"));
		run_finish(&r);
		nc_result_free(result);
		skip();
	}
	assert_int_equal(ret, 0);
	assert_int_equal(nc_probe_start(probe, on_probe_done, &r), 0);
	run_finish(&r);
	assert_int_equal(r.done_calls, 1);
	nc_probe_free(probe);
	assert_int_equal(path->verdict, NC_VERDICT_REACHABLE);
	assert_true(path->timings.total_ms >= 0);
	/* the kernel's stamps on loopback: far below a loop turn under valgrind */
	assert_true(path->timings.total_ms < 50);
	assert_int_equal(strlen(path->nonce), 16);
	nc_result_free(result);
}

/* ---- the relay's answer, UDP and relay probes ------------------------------ */

static void test_parse_relay(void **state)
{
	static const char ok[] =
		"{\"nonce\":\"n1\",\"proto\":\"tcp\",\"target\":\"host.docker.internal:4000\",\"resolved\":\"172.17.0.1\","
		"\"resolved_by\":\"hosts\",\"local\":\"172.17.0.2:41000\",\"ok\":true,\"error\":null,\"detail\":null,"
		"\"connect_ms\":0.4,\"total_ms\":1.5,\"http_status\":200,\"answer\":\"{\\\"peer_addr\\\":\\\"172.17.0.2\\\","
		"\\\"peer_port\\\":41000,\\\"hostname\\\":\\\"netcheck-host\\\",\\\"nonce\\\":\\\"n1\\\"}\"}";
	static const char dns[] =
		"{\"nonce\":\"n2\",\"proto\":\"tcp\",\"target\":\"peer:80\",\"resolved\":null,\"resolved_by\":null,"
		"\"local\":null,\"ok\":false,\"error\":\"ENOENT\",\"detail\":\"no embedded DNS on this network\","
		"\"connect_ms\":null,\"total_ms\":0.1,\"http_status\":null,\"answer\":\"a\\u0000b\"}";
	nc_relay_answer_t a;
	(void)state;

	assert_int_equal(nc_probe_parse_relay(ok, strlen(ok), &a), 0);
	assert_true(a.ok);
	assert_string_equal(a.resolved_by, "hosts");
	assert_int_equal(a.local.port, 41000);
	assert_true(a.connect_ms > 0.3 && a.connect_ms < 0.5);
	assert_true(a.have_target_answer);
	assert_int_equal(a.target_answer.peer.port, 41000);
	assert_string_equal(a.target_answer.hostname, "netcheck-host");

	assert_int_equal(nc_probe_parse_relay(dns, strlen(dns), &a), 0);
	assert_false(a.ok);
	assert_string_equal(a.error, "ENOENT");
	assert_false(nc_endpoint_is_set(&a.local));
	assert_true(a.connect_ms < 0);
	assert_false(a.have_target_answer);

	assert_int_equal(nc_probe_parse_relay("[1,2]", 5, &a), NC_EPROTO);
	assert_int_equal(nc_probe_parse_relay("{\"ok\":", 6, &a), NC_EPROTO);
}

/* A UDP responder on loopback: answers a nonce datagram with the JSON
 * netcheck's responder sends, naming the peer it saw. */
typedef struct udp_fixture {
	uv_udp_t server;
	uv_udp_send_t send_req;
	char buf[256], reply[512];
	int answered;
} udp_fixture_t;

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	udp_fixture_t *f = h->data;

	(void)suggested;
	*buf = uv_buf_init(f->buf, sizeof(f->buf) - 1);
}

static void udp_sent(uv_udp_send_t *req, int status)
{
	(void)req;
	(void)status;
}

static void udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
	udp_fixture_t *f = h->data;
	nc_endpoint_t peer;
	char addr[NC_ENDPOINT_STRLEN];
	uv_buf_t b;

	(void)flags;
	if (n <= 0 || from == NULL || nc_endpoint_from_sockaddr(from, &peer) < 0)
		return;
	buf->base[n] = '\0';
	nc_endpoint_format(&peer, false, addr, sizeof(addr));
	snprintf(f->reply, sizeof(f->reply),
		 "{\"peer_addr\":\"%s\",\"peer_port\":%u,\"hostname\":\"udp-fixture\",\"nonce\":\"%s\",\"proto\":\"udp\"}",
		 addr, peer.port, buf->base);
	b = uv_buf_init(f->reply, (unsigned)strlen(f->reply));
	f->answered++;
	(void)uv_udp_send(&f->send_req, h, &b, 1, from, udp_sent);
}

static void on_udp_probe_done(nc_probe_t *p, void *data)
{
	(void)p;
	(*(int *)data)++;
}

static void test_udp_probe(void **state)
{
	uv_loop_t loop;
	udp_fixture_t f = { 0 };
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss), done = 0;
	nc_result_t *r = nc_result_new();
	nc_path_t *answered, *closed;
	nc_probe_t *p1 = NULL, *p2 = NULL;
	struct sockaddr_in own;
	socklen_t own_len = sizeof(own);
	/* the answered probe sends from a socket made here (as in the
	 * remote-client namespace), bound first: its port must be the one used */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), bad_fd;
	(void)state;

	assert_true(fd >= 0);
	uv_ip4_addr("127.0.0.1", 0, &own);
	assert_int_equal(bind(fd, (struct sockaddr *)&own, sizeof(own)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&own, &own_len), 0);
	assert_non_null(r);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(uv_udp_init(&loop, &f.server), 0);
	f.server.data = &f;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	assert_int_equal(uv_udp_bind(&f.server, (struct sockaddr *)&sin, 0), 0);
	assert_int_equal(uv_udp_getsockname(&f.server, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(uv_udp_recv_start(&f.server, udp_alloc, udp_recv), 0);

	{
		nc_endpoint_t to_server = ep("127.0.0.1", ntohs(((struct sockaddr_in *)&ss)->sin_port));
		nc_endpoint_t to_nobody = ep("127.0.0.1", 9); /* the kernel's port unreachable comes back */

		assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_UDP, &to_server, &answered), 0);
		assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK_UDP, &to_nobody, &closed), 0);
	}
	assert_int_equal(nc_probe_udp_new_from(&loop, answered, 1000, fd, &p1), 0);
	assert_int_equal(nc_probe_udp_new(&loop, closed, 1000, &p2), 0);
	assert_int_equal(nc_probe_start(p1, on_udp_probe_done, &done), 0);
	assert_int_equal(nc_probe_start(p2, on_udp_probe_done, &done), 0);
	for (int i = 0; i < 200 && done < 2; i++)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(done, 2);
	assert_int_equal(answered->verdict, NC_VERDICT_REACHABLE);
	assert_int_equal(f.answered, 1);
	assert_true(nc_endpoint_equal(&answered->peer_seen, &answered->local));
	assert_int_equal(answered->local.port, ntohs(own.sin_port));
	assert_string_equal(answered->answered_by, "udp-fixture");
	assert_int_equal(closed->probe_error, UV_ECONNREFUSED);
	nc_classify_verdict(closed);
	assert_int_equal(closed->verdict, NC_VERDICT_REFUSED);
	assert_int_not_equal(closed->local.port, 0);
	nc_probe_free(p1);
	nc_probe_free(p2);
	/* a probe that cannot be made still closes the socket it was given */
	bad_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(bad_fd >= 0);
	{
		nc_endpoint_t no_port = ep("127.0.0.1", 0);
		nc_path_t *unset;
		nc_probe_t *p3 = NULL;

		assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_REMOTE_UDP, &no_port, &unset), 0);
		assert_int_equal(nc_probe_udp_new_from(&loop, unset, 1000, bad_fd, &p3), -EINVAL);
		assert_null(p3);
	}
	assert_int_equal(fcntl(bad_fd, F_GETFD), -1);
	uv_close((uv_handle_t *)&f.server, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_complete),
		cmocka_unit_test(test_parse_ipv6_peer),
		cmocka_unit_test(test_parse_incomplete),
		cmocka_unit_test(test_parse_not_http),
		cmocka_unit_test(test_parse_unterminated),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_bad_json),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_tcp_reachable),
		cmocka_unit_test(test_tcp_refused),
		cmocka_unit_test(test_tcp_timeout),
		cmocka_unit_test(test_tcp_cancel_and_free),
		cmocka_unit_test(test_tcp_banner),
		cmocka_unit_test(test_tcp_silent_service),
		cmocka_unit_test(test_tcp_reset),
		cmocka_unit_test(test_tcp_connect_timeout_local_port),
		cmocka_unit_test(test_tcp_creation_errors),
		cmocka_unit_test(test_http_path_bound),
		cmocka_unit_test(test_rtt_from_kernel_stamp),
		cmocka_unit_test(test_icmp_loopback),
		cmocka_unit_test(test_parse_relay),
		cmocka_unit_test(test_udp_probe),
	};

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
