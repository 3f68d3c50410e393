/* Probes on the libuv loop: TCP (uv_tcp: HTTP, or connect and listen for a
 * banner or a reset) and ICMP echo (a raw or ping socket on uv_poll).  Each
 * fills its own nc_path_t.  Handles are freed only in their close
 * callbacks; done_cb fires once, after the last close.
 * May call: libuv, jansson, endpoint helpers, platform (randomness,
 * receive timestamps).  Never prints. */
#include "netcheck/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <jansson.h>

#include "netcheck/platform.h"
#include "netcheck/testing.h"

/* ICMP and ICMPv6 echo share one layout (RFC 792, RFC 4443): type, code,
 * checksum, identifier, sequence number, data.  Byte offsets, not the
 * systems' differing structs. */
enum {
	ICMP_OFF_TYPE = 0,
	ICMP_OFF_CODE = 1,
	ICMP_OFF_CHECKSUM = 2,
	ICMP_OFF_ID = 4,
	ICMP_OFF_SEQ = 6,
	ICMP_HDR_LEN = 8,
};
#define ICMP4_ECHO_REPLY 0
#define ICMP4_DEST_UNREACH 3
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST_TYPE 128
#define ICMP6_ECHO_REPLY_TYPE 129
#define ICMP_MAX_ECHOES 3

typedef enum {
	PROBE_TCP,   /* TCP + HTTP to path->target */
	PROBE_ICMP,  /* echo to path->target */
	PROBE_UDP,   /* a nonce datagram to path->target, the responder's JSON back */
	PROBE_RELAY, /* TCP + HTTP to netcheck's responder (dial), which connects out to path->target */
} probe_kind_t;

struct nc_probe {
	probe_kind_t kind;
	uv_loop_t *loop;       /* borrowed */
	nc_path_t *path;       /* borrowed */
	uint64_t timeout_ms;
	uint64_t t_start;      /* uv_hrtime() at start, ns */
	nc_probe_done_cb cb;
	void *cb_data;
	bool started, finished;
	int open_handles;

	uv_timer_t timer;
	/* TCP (and the relay: dial is the responder, path->target what it connects to) */
	nc_endpoint_t dial;
	int tcp_fd;            /* owned until started: a socket made elsewhere, or -1 */
	uv_tcp_t tcp;
	uv_connect_t connect_req;
	uv_write_t write_req;
	bool http;
	uint64_t banner_window_ms;
	char request[NC_PROBE_HTTP_PATH_MAX + 2 * NC_ENDPOINT_STRLEN + 128];
	char *answer;          /* owned; NC_PROBE_MAX_ANSWER + 1 bytes */
	size_t answer_len;
	bool got_first_byte;
	/* ICMP */
	uv_poll_t poll;
	int icmp_fd;
	bool icmp_raw;
	uint16_t echo_id, echo_seq;
	unsigned echo_sent;
	struct timespec echo_sent_at[ICMP_MAX_ECHOES + 1]; /* CLOCK_REALTIME, by sequence number */
	bool rx_timestamps;   /* the kernel stamps each reply */
	uv_timer_t resend;
	/* UDP */
	uv_udp_t udp;
	uv_udp_send_t send_req;
	unsigned udp_sent;
};

static bool uses_tcp(const nc_probe_t *p)
{
	return p->kind == PROBE_TCP || p->kind == PROBE_RELAY;
}

static double ms_since(const nc_probe_t *p)
{
	return (double)(uv_hrtime() - p->t_start) / 1e6;
}

int nc_probe_make_nonce(char *buf, size_t len)
{
	uint8_t raw[8];

	if (len < 17)
		return -ENOSPC;
	int r = nc_platform_random(raw, sizeof(raw));

	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

double nc_probe_rtt_ms(const struct timespec *sent, const struct timespec *kernel_rx, const struct timespec *now)
{
	const struct timespec *end = kernel_rx != NULL ? kernel_rx : now;

	return (double)(end->tv_sec - sent->tv_sec) * 1e3 + (double)(end->tv_nsec - sent->tv_nsec) / 1e6;
}

/* The path could not be probed at all: say why, and fail it. */
static int creation_failed(nc_path_t *path, int r, const char *what)
{
	path->verdict = NC_VERDICT_ERROR;
	nc_path_set_detail(path, "probe not made: %s: %s", what, r == -ENOMEM ? "out of memory" : strerror(-r));
	return r;
}

/* A probe of kind for path, with its answer buffer when with_answer, and
 * the path's nonce made if it has none.  *ret: new (nc_probe_free()).
 * Returns 0, -ENOMEM, or what making the nonce failed with. */
static int probe_alloc(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, probe_kind_t kind, bool with_answer,
		       nc_probe_t **ret)
{
	nc_probe_t *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return -ENOMEM;
	p->kind = kind;
	p->loop = loop;
	p->path = path;
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
	p->icmp_fd = -1;
	p->tcp_fd = -1;
	if (with_answer && (p->answer = malloc(NC_PROBE_MAX_ANSWER + 1)) == NULL) {
		nc_probe_free(p);
		return -ENOMEM;
	}
	if (path->nonce[0] == '\0' && (r = nc_probe_make_nonce(path->nonce, sizeof(path->nonce))) < 0) {
		nc_probe_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

void nc_probe_free(nc_probe_t *p)
{
	if (p == NULL)
		return;
	/* started probes are freed only after done_cb: nothing is open then */
	if (p->icmp_fd >= 0 && !p->started)
		close(p->icmp_fd);
	if (p->tcp_fd >= 0 && !p->started)
		close(p->tcp_fd);
	free(p->answer);
	free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
	nc_probe_t *p = h->data;

	if (--p->open_handles == 0) {
		if (p->icmp_fd >= 0) {
			close(p->icmp_fd);
			p->icmp_fd = -1;
		}
		if (p->cb != NULL)
			p->cb(p, p->cb_data);
	}
}

static void close_handle(nc_probe_t *p, uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h)) {
		h->data = p;
		uv_close(h, on_handle_closed);
	}
}

/* Ends the probe with verdict v (unless already ended) and closes everything. */
static void finish(nc_probe_t *p, nc_verdict_t v, int status)
{
	if (p->finished)
		return;
	p->finished = true;
	p->path->verdict = v;
	if (p->path->timings.total_ms < 0 && v != NC_VERDICT_SKIPPED)
		p->path->timings.total_ms = ms_since(p);
	if (status < 0 && p->path->detail[0] == '\0')
		nc_path_set_detail(p->path, "%s", uv_strerror(status));
	uv_timer_stop(&p->timer);
	close_handle(p, (uv_handle_t *)&p->timer);
	if (uses_tcp(p)) {
		close_handle(p, (uv_handle_t *)&p->tcp);
	} else if (p->kind == PROBE_UDP) {
		uv_udp_recv_stop(&p->udp);
		close_handle(p, (uv_handle_t *)&p->udp);
		close_handle(p, (uv_handle_t *)&p->resend);
	} else {
		uv_poll_stop(&p->poll);
		close_handle(p, (uv_handle_t *)&p->poll);
		close_handle(p, (uv_handle_t *)&p->resend);
	}
}

/* Ends the probe on a socket error: the path records the error, and the
 * policy (nc_classify_verdict()) says what it means -- refused, timeout or
 * unreachable.  with_detail: the error's words become the detail. */
static void finish_on_error(nc_probe_t *p, int status, bool with_detail)
{
	if (!p->finished)
		p->path->probe_error = status;
	finish(p, NC_VERDICT_UNREACHABLE, with_detail ? status : 0);
}

static void on_timeout(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	struct sockaddr_storage ss;
	int len = sizeof(ss);

	/* the port of a connection that never completed ties its SYNs in
	 * the capture to this path */
	if (uses_tcp(p) && !nc_endpoint_is_set(&p->path->local) &&
	    uv_tcp_getsockname(&p->tcp, (struct sockaddr *)&ss, &len) == 0)
		(void)nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &p->path->local);
	nc_path_set_detail(p->path, "no answer within %llu ms", (unsigned long long)p->timeout_ms);
	finish(p, NC_VERDICT_TIMEOUT, 0);
}

void nc_probe_cancel(nc_probe_t *p)
{
	if (p == NULL || !p->started || p->finished)
		return;
	nc_path_set_detail(p->path, "cancelled");
	finish(p, NC_VERDICT_TIMEOUT, 0);
}

/* ---- the responder's answer ------------------------------------------- */

/* The JSON body of a responder answer: the TCP answer's body, or a whole
 * UDP datagram.  Pure; untrusted input.  0 or NC_EPROTO. */
static int parse_body(const char *body, size_t len, nc_answer_t *ret)
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
	r = parse_body(body, len - (size_t)(body - buf), ret);
	ret->http_status = status;
	return r;
}

/* ---- TCP + HTTP --------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	nc_probe_t *p = h->data;

	(void)suggested;
	buf->base = p->answer + p->answer_len;
	buf->len = NC_PROBE_MAX_ANSWER - p->answer_len;
}

/* netcheck's responder answered (over TCP or UDP): its view of the peer. */
static void answered(nc_probe_t *p, const nc_answer_t *a)
{
	p->path->peer_seen = a->peer;
	snprintf(p->path->answered_by, sizeof(p->path->answered_by), "%s", a->hostname);
	if (strcmp(a->nonce, p->path->nonce) != 0)
		nc_path_set_detail(p->path, "the answer carried nonce '%.40s', not ours", a->nonce);
	finish(p, NC_VERDICT_REACHABLE, 0);
}

static void relay_done(nc_probe_t *p);

static void answer_done(nc_probe_t *p)
{
	nc_answer_t a;
	int r;

	p->answer[p->answer_len] = '\0';
	if (p->kind == PROBE_RELAY) {
		relay_done(p);
		return;
	}
	r = nc_probe_parse_answer(p->answer, p->answer_len, &a);
	p->path->http_status = a.http_status;
	if (a.http_status > 0 && (r < 0 || a.http_status != 200)) {
		/* an HTTP server answered (a user's --image): the path works, but
		 * only the packets can tell how; there is no view of the peer */
		nc_path_set_detail(p->path, "answered HTTP %d, not as netcheck's responder: no view of the peer it saw",
				   a.http_status);
		finish(p, NC_VERDICT_REACHABLE, 0);
		return;
	}
	if (r < 0) {
		nc_path_set_detail(p->path, "the connection closed with %zu bytes that are not an HTTP answer",
				   p->answer_len);
		finish(p, NC_VERDICT_UNREACHABLE, 0);
		return;
	}
	answered(p, &a);
}

/* A service that speaks first: keep its first bytes, printable. */
static void keep_banner(nc_path_t *path, const char *b, size_t n)
{
	size_t len = n < NC_BANNER_MAX - 1 ? n : NC_BANNER_MAX - 1;

	while (len > 0 && (b[len - 1] == '\n' || b[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len; i++)
		path->banner[i] = b[i] >= 0x20 && b[i] < 0x7f ? b[i] : '.';
	path->banner[len] = '\0';
}

/* Without HTTP: the first event after the handshake decides. */
static void banner_read(nc_probe_t *p, ssize_t nread)
{
	if (nread == 0)
		return;
	if (nread > 0) {
		p->path->timings.first_byte_ms = ms_since(p);
		keep_banner(p->path, p->answer, (size_t)nread);
		nc_path_set_detail(p->path, "connected; the service spoke first (%zd bytes)", nread);
		finish(p, NC_VERDICT_REACHABLE, 0);
	} else if (nread == UV_EOF) {
		/* what docker-proxy does when its own connection to the
		 * container fails: accept, then close at once */
		nc_path_set_detail(p->path, "connected, then closed by the far side at once without a byte");
		finish(p, NC_VERDICT_UNREACHABLE, 0);
	} else if (nread == UV_ECONNRESET) {
		nc_path_set_detail(p->path, "reset by the far side right after connect");
		finish(p, NC_VERDICT_RESET, 0);
	} else {
		nc_path_set_detail(p->path, "connected, then: %s", uv_strerror((int)nread));
		finish(p, NC_VERDICT_UNREACHABLE, (int)nread);
	}
}

static void on_banner_window(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	nc_path_set_detail(p->path,
			   "connected; the service sent nothing (that is fine for a service that waits for the client)");
	finish(p, NC_VERDICT_REACHABLE, 0);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	nc_probe_t *p = s->data;

	(void)buf;
	if (p->finished)
		return;
	if (!p->http) {
		banner_read(p, nread);
		return;
	}
	if (nread > 0) {
		if (!p->got_first_byte) {
			p->got_first_byte = true;
			p->path->timings.first_byte_ms = ms_since(p);
		}
		p->answer_len += (size_t)nread;
		if (p->answer_len >= NC_PROBE_MAX_ANSWER) {
			nc_path_set_detail(p->path, "answer larger than %d bytes", NC_PROBE_MAX_ANSWER);
			finish(p, NC_VERDICT_UNREACHABLE, 0);
		}
		return;
	}
	if (nread == UV_EOF) {
		p->path->timings.total_ms = ms_since(p);
		answer_done(p);
		return;
	}
	if (nread < 0) {
		if (p->answer_len > 0) {
			/* a reset after a whole answer still is an answer */
			p->path->timings.total_ms = ms_since(p);
			answer_done(p);
		} else {
			nc_path_set_detail(p->path, "connection closed before any answer: %s", uv_strerror((int)nread));
			finish(p, NC_VERDICT_UNREACHABLE, (int)nread);
		}
	}
}

static void on_written(uv_write_t *req, int status)
{
	nc_probe_t *p = req->data;

	if (status < 0 && !p->finished) {
		nc_path_set_detail(p->path, "sending the request failed: %s", uv_strerror(status));
		finish(p, NC_VERDICT_UNREACHABLE, status);
	}
}

static void on_connect(uv_connect_t *req, int status)
{
	nc_probe_t *p = req->data;
	struct sockaddr_storage ss;
	int len = sizeof(ss), r;
	uv_buf_t b;

	if (p->finished)
		return;
	if (status < 0) {
		/* path->local was recorded when the SYN left (nc_probe_start):
		 * the kernel has released the port by now */
		if (status == UV_ECONNRESET) {
			/* the handshake completed (a refusal is ECONNREFUSED), and the
			 * reset came before the loop saw the connection */
			nc_path_set_detail(p->path, "reset by the far side right after connect");
			finish(p, NC_VERDICT_RESET, 0);
			return;
		}
		nc_path_set_detail(p->path, "connect: %s", uv_strerror(status));
		finish_on_error(p, status, true);
		return;
	}
	p->path->timings.connect_ms = ms_since(p);
	if (uv_tcp_getsockname(&p->tcp, (struct sockaddr *)&ss, &len) == 0)
		(void)nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &p->path->local);
	if (!p->http) {
		uint64_t spent = (uint64_t)p->path->timings.connect_ms, window = p->banner_window_ms;

		/* the window never reaches past the probe's timeout */
		if (spent + window > p->timeout_ms)
			window = p->timeout_ms > spent ? p->timeout_ms - spent : 1;
		uv_timer_stop(&p->timer);
		r = uv_timer_start(&p->timer, on_banner_window, window, 0);
		if (r == 0)
			r = uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
		if (r < 0) {
			nc_path_set_detail(p->path, "%s", uv_strerror(r));
			finish(p, NC_VERDICT_UNREACHABLE, r);
		}
		return;
	}
	b = uv_buf_init(p->request, (unsigned)strlen(p->request));
	p->write_req.data = p;
	r = uv_write(&p->write_req, (uv_stream_t *)&p->tcp, &b, 1, on_written);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
	if (r < 0) {
		nc_path_set_detail(p->path, "%s", uv_strerror(r));
		finish(p, NC_VERDICT_UNREACHABLE, r);
	}
}

static bool http_path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NC_PROBE_HTTP_PATH_MAX || s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false; /* no spaces, controls or CR/LF: one request line */
	return true;
}

int nc_probe_tcp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, const nc_probe_tcp_options_t *opt,
		     nc_probe_t **ret)
{
	static const nc_probe_tcp_options_t responder = { .http = true };
	char host[NC_ENDPOINT_STRLEN], target[NC_PROBE_HTTP_PATH_MAX + NC_NONCE_MAX + 2];
	nc_probe_t *p;
	int r, n;

	if (!nc_endpoint_is_set(&path->target) || path->target.port == 0)
		return -EINVAL;
	if (opt == NULL)
		opt = &responder;
	if (opt->http && opt->http_path != NULL && !http_path_ok(opt->http_path)) {
		if (opt->use_socket_fd)
			close(opt->socket_fd);
		return creation_failed(path, -EINVAL, "the HTTP path must start with / and hold no spaces or controls");
	}
	r = probe_alloc(loop, path, timeout_ms, PROBE_TCP, true, &p);
	if (r < 0) {
		if (opt->use_socket_fd)
			close(opt->socket_fd);
		return creation_failed(path, r, r == -ENOMEM ? "TCP probe" : "a random nonce");
	}
	p->tcp_fd = opt->use_socket_fd ? opt->socket_fd : -1;
	p->http = opt->http;
	p->banner_window_ms = opt->banner_window_ms > 0 ? opt->banner_window_ms : NC_PROBE_BANNER_WINDOW_MS;
	if (opt->http_path != NULL)
		snprintf(target, sizeof(target), "%s", opt->http_path);
	else
		snprintf(target, sizeof(target), "/%s", path->nonce);
	nc_endpoint_format(&path->target, true, host, sizeof(host));
	n = snprintf(p->request, sizeof(p->request),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netcheck/" NC_VERSION "\r\nConnection: close\r\n\r\n",
		     target, host);
	if (n < 0 || (size_t)n >= sizeof(p->request)) {
		nc_probe_free(p);
		return creation_failed(path, -ENOSPC, "the HTTP request");
	}
	*ret = p;
	return 0;
}

/* ---- ICMP echo ---------------------------------------------------------- */

static uint16_t icmp_checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static int icmp_send(nc_probe_t *p)
{
	uint8_t pkt[64];
	struct sockaddr_storage ss;
	socklen_t sl;
	uint16_t sum;
	bool v6 = p->path->target.family == AF_INET6;

	if (p->echo_seq >= ICMP_MAX_ECHOES)
		return 0;
	memset(pkt, 0, sizeof(pkt));
	pkt[ICMP_OFF_TYPE] = v6 ? ICMP6_ECHO_REQUEST_TYPE : ICMP4_ECHO_REQUEST;
	put16(pkt + ICMP_OFF_ID, p->echo_id);
	put16(pkt + ICMP_OFF_SEQ, ++p->echo_seq);
	/* the payload carries the nonce so a capture can tie it to this path */
	snprintf((char *)pkt + ICMP_HDR_LEN, sizeof(pkt) - ICMP_HDR_LEN, "netcheck %s", p->path->nonce);
	if (!v6) { /* the kernel sums ICMPv6 (it needs the pseudo-header) */
		sum = icmp_checksum(pkt, sizeof(pkt));
		memcpy(pkt + ICMP_OFF_CHECKSUM, &sum, 2); /* already in network order */
	}
	nc_endpoint_to_sockaddr(&p->path->target, &ss, &sl);
	((struct sockaddr_in *)&ss)->sin_port = 0;
	/* the clock of SO_TIMESTAMPNS, read as late as we can before the send */
	clock_gettime(CLOCK_REALTIME, &p->echo_sent_at[p->echo_seq]);
	if (sendto(p->icmp_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	p->echo_sent++;
	return 0;
}

static void on_icmp_readable(uv_poll_t *h, int status, int events)
{
	nc_probe_t *p = h->data;
	uint8_t buf[1500];
	char control[NC_PLATFORM_RX_TIMESTAMP_CMSG_SPACE];
	bool v6 = p->path->target.family == AF_INET6;

	(void)events;
	if (p->finished)
		return;
	if (status < 0) {
		finish(p, NC_VERDICT_UNREACHABLE, status);
		return;
	}
	for (int i = 0; i < 64; i++) { /* bounded drain */
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control),
		};
		struct timespec now, stamp;
		const uint8_t *icmp = buf;
		size_t ilen;
		nc_endpoint_t src;
		ssize_t n = recvmsg(p->icmp_fd, &msg, 0);
		uint16_t seq;

		if (n < 0)
			return;
		clock_gettime(CLOCK_REALTIME, &now);
		ilen = (size_t)n;
		if (p->icmp_raw && !v6) { /* raw v4 sockets hand us the IP header */
			size_t ihl;
			if (ilen < 20)
				continue;
			ihl = (size_t)(buf[0] & 0x0f) * 4;
			if (ihl < 20 || ihl > ilen)
				continue;
			icmp += ihl;
			ilen -= ihl;
		}
		if (ilen < ICMP_HDR_LEN || nc_endpoint_from_sockaddr((struct sockaddr *)&from, &src) < 0)
			continue;
		if (!nc_endpoint_addr_equal(&src, &p->path->target))
			continue;
		if (icmp[ICMP_OFF_TYPE] == (v6 ? ICMP6_ECHO_REPLY_TYPE : ICMP4_ECHO_REPLY)) {
			/* ping sockets rewrite the id to their port; the kernel filters them for us */
			if (p->icmp_raw && get16(icmp + ICMP_OFF_ID) != p->echo_id)
				continue;
			seq = get16(icmp + ICMP_OFF_SEQ);
			if (seq == 0 || seq > p->echo_seq)
				continue; /* not one of ours */
			p->path->timings.total_ms =
				nc_probe_rtt_ms(&p->echo_sent_at[seq],
						p->rx_timestamps && nc_platform_rx_timestamp(&msg, &stamp) == 0 ? &stamp : NULL,
						&now);
			p->path->timings.first_byte_ms = p->path->timings.total_ms;
			finish(p, NC_VERDICT_REACHABLE, 0);
			return;
		}
		if (!v6 && icmp[ICMP_OFF_TYPE] == ICMP4_DEST_UNREACH) {
			nc_path_set_detail(p->path, "ICMP destination unreachable (code %u)", icmp[ICMP_OFF_CODE]);
			finish(p, NC_VERDICT_UNREACHABLE, 0);
			return;
		}
	}
}

static void on_resend(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	/* three echoes at most, spread over the timeout */
	if (!p->finished && p->echo_sent < ICMP_MAX_ECHOES)
		(void)icmp_send(p);
}

int nc_probe_icmp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, nc_probe_t **ret)
{
	bool v6 = path->target.family == AF_INET6;
	int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int domain = v6 ? AF_INET6 : AF_INET;
	nc_probe_t *p;
	int fd, r;

	if (!nc_endpoint_is_set(&path->target))
		return -EINVAL;
	r = probe_alloc(loop, path, timeout_ms, PROBE_ICMP, false, &p);
	if (r < 0)
		return creation_failed(path, r, r == -ENOMEM ? "ICMP probe" : "a random nonce");
	fd = socket(domain, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd >= 0) {
		p->icmp_raw = true;
		if (nc_platform_random(&p->echo_id, sizeof(p->echo_id)) < 0)
			p->echo_id = (uint16_t)getpid();
	} else {
		int raw_errno = errno;

		fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
		if (fd < 0) {
			int dgram_errno = errno;

			nc_probe_free(p);
			if ((raw_errno == EPERM || raw_errno == EACCES) && (dgram_errno == EPERM || dgram_errno == EACCES)) {
				/* a privilege we lack: proves nothing either way */
				nc_path_set_detail(path,
						   "no raw socket (%s) and no ping socket (%s): needs CAP_NET_RAW or "
						   "net.ipv4.ping_group_range",
						   strerror(raw_errno), strerror(dgram_errno));
				return -EPERM; /* run's policy call makes it a skip */
			}
			return creation_failed(path, -dgram_errno, "an ICMP socket");
		}
		p->icmp_raw = false;
	}
	p->icmp_fd = fd;
	/* reply times from the kernel's stamp, not from when the loop got to it */
	p->rx_timestamps = nc_platform_enable_rx_timestamps(fd) == 0;
	if (!p->icmp_raw) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		/* the kernel picks the echo id of a ping socket: bind, then read it */
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)domain;
		if (bind(fd, (struct sockaddr *)&ss, domain == AF_INET ? sizeof(struct sockaddr_in)
								  : sizeof(struct sockaddr_in6)) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			p->echo_id = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	path->local.family = path->target.family;
	path->local.port = p->echo_id; /* for attribution: the echo id */
	*ret = p;
	return 0;
}

/* ---- UDP: a nonce datagram, the responder's JSON back ------------------- */

static int udp_send(nc_probe_t *p);

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	nc_probe_t *p = h->data;

	(void)suggested;
	buf->base = p->answer;
	buf->len = NC_PROBE_MAX_ANSWER;
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
			unsigned flags)
{
	nc_probe_t *p = h->data;
	nc_answer_t a;

	(void)buf;
	(void)addr;
	(void)flags;
	if (p->finished || nread == 0)
		return;
	if (nread < 0) {
		/* a connected UDP socket hears the ICMP port unreachable */
		nc_path_set_detail(p->path, "%s", uv_strerror((int)nread));
		finish_on_error(p, (int)nread, false);
		return;
	}
	p->path->timings.total_ms = ms_since(p);
	p->path->timings.first_byte_ms = p->path->timings.total_ms;
	if (parse_body(p->answer, (size_t)nread, &a) < 0) {
		nc_path_set_detail(p->path, "a %zd-byte datagram came back that is not the responder's answer", nread);
		finish(p, NC_VERDICT_REACHABLE, 0);
		return;
	}
	answered(p, &a);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	nc_probe_t *p = req->data;

	if (status < 0 && !p->finished) {
		nc_path_set_detail(p->path, "sending the datagram failed: %s", uv_strerror(status));
		finish_on_error(p, status, true);
	}
}

static int udp_send(nc_probe_t *p)
{
	uv_buf_t b = uv_buf_init(p->path->nonce, (unsigned)strlen(p->path->nonce));

	p->send_req.data = p;
	p->udp_sent++;
	return uv_udp_send(&p->send_req, &p->udp, &b, 1, NULL, on_udp_sent);
}

static void on_udp_resend(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	/* datagrams get lost: three at most, spread over the timeout, one in flight */
	if (!p->finished && p->udp_sent < 3 && uv_udp_get_send_queue_count(&p->udp) == 0)
		(void)udp_send(p);
}

static int udp_start(nc_probe_t *p)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int len = sizeof(ss), r;

	r = uv_udp_init(p->loop, &p->udp);
	if (r < 0)
		return -ENOMEM;
	p->udp.data = p;
	p->open_handles++;
	r = uv_timer_init(p->loop, &p->resend);
	if (r < 0)
		return r;
	p->resend.data = p;
	p->open_handles++;
	nc_endpoint_to_sockaddr(&p->path->target, &ss, &sl);
	r = uv_udp_connect(&p->udp, (struct sockaddr *)&ss);
	if (r < 0)
		return r;
	/* connected: the local port is ours from now on, for attribution */
	if (uv_udp_getsockname(&p->udp, (struct sockaddr *)&ss, &len) == 0)
		(void)nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &p->path->local);
	r = uv_udp_recv_start(&p->udp, on_udp_alloc, on_udp_recv);
	if (r == 0)
		r = udp_send(p);
	if (r == 0)
		uv_timer_start(&p->resend, on_udp_resend, p->timeout_ms / 3 + 1, p->timeout_ms / 3 + 1);
	return r;
}

int nc_probe_udp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, nc_probe_t **ret)
{
	nc_probe_t *p;
	int r;

	if (!nc_endpoint_is_set(&path->target) || path->target.port == 0)
		return -EINVAL;
	r = probe_alloc(loop, path, timeout_ms, PROBE_UDP, true, &p);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

/* ---- relay: netcheck's responder connects out ---------------------------- */

/* The responder names its errno ("ECONNREFUSED"); the path records it
 * as the code it is here.  One the probe does not know stays an error
 * all the same (EIO). */
static int errno_from_name(const char *e)
{
	static const struct { const char *name; int code; } names[] = {
		{ "ECONNREFUSED", UV_ECONNREFUSED }, { "ETIMEDOUT", UV_ETIMEDOUT },
		{ "ECONNRESET", UV_ECONNRESET },     { "EHOSTUNREACH", UV_EHOSTUNREACH },
		{ "ENETUNREACH", UV_ENETUNREACH },   { "ENOENT", UV_ENOENT },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(e, names[i].name) == 0)
			return names[i].code;
	return UV_EIO;
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
		ret->have_target_answer = parse_body(body_start, strlen(body_start), &ret->target_answer) == 0;
	}
	json_decref(j);
	return 0;
}

static void relay_done(nc_probe_t *p)
{
	const char *hdr_end = memmem(p->answer, p->answer_len, "\r\n\r\n", 4);
	nc_relay_answer_t a;

	if (hdr_end == NULL ||
	    nc_probe_parse_relay(hdr_end + 4, p->answer_len - (size_t)(hdr_end + 4 - p->answer), &a) < 0) {
		nc_path_set_detail(p->path, "netcheck's responder gave no connect-out answer (%zu bytes)", p->answer_len);
		finish(p, NC_VERDICT_UNREACHABLE, 0);
		return;
	}
	/* timings and addresses are the container's, not this host's */
	p->path->timings.connect_ms = a.connect_ms;
	p->path->timings.total_ms = a.total_ms;
	p->path->timings.first_byte_ms = -1;
	/* the container's side, not the control connection's */
	p->path->local = a.local;
	if (a.have_target_answer) {
		p->path->peer_seen = a.target_answer.peer;
		snprintf(p->path->answered_by, sizeof(p->path->answered_by), "%s", a.target_answer.hostname);
	}
	if (!a.ok)
		nc_path_set_detail(p->path, "%s%s%s%s%s", a.error, a.detail[0] ? ": " : "", a.detail,
				   a.resolved[0] ? ", resolved to " : "", a.resolved);
	else if (a.resolved_by[0] != '\0')
		nc_path_set_detail(p->path, "resolved to %s by %s", a.resolved, a.resolved_by);
	if (a.ok)
		finish(p, NC_VERDICT_REACHABLE, 0);
	else
		finish_on_error(p, errno_from_name(a.error), false);
}

int nc_probe_relay_new(uv_loop_t *loop, nc_path_t *path, const nc_endpoint_t *responder, const char *target,
		       uint64_t timeout_ms, nc_probe_t **ret)
{
	const char *proto = nc_path_kind_proto(path->kind) == NC_PROTO_UDP ? "udp" : "tcp";
	char host[NC_ENDPOINT_STRLEN];
	nc_probe_t *p;
	int r, n;

	if (!nc_endpoint_is_set(responder) || responder->port == 0 || target == NULL || strlen(target) > 200 ||
	    strpbrk(target, " \r\n&?#%") != NULL)
		return -EINVAL;
	/* the responder's own deadline ends first, so its answer comes back */
	r = probe_alloc(loop, path, timeout_ms + 1000, PROBE_RELAY, true, &p);
	if (r < 0)
		return r;
	p->http = true; /* an HTTP exchange with netcheck's responder */
	p->dial = *responder;
	nc_endpoint_format(responder, true, host, sizeof(host));
	n = snprintf(p->request, sizeof(p->request),
		     "GET /connect?proto=%s&target=%s&nonce=%s&timeout_ms=%llu HTTP/1.0\r\nHost: %s\r\n\r\n", proto,
		     target, path->nonce, (unsigned long long)(timeout_ms < 5000 ? timeout_ms : 5000), host);
	if (n < 0 || (size_t)n >= sizeof(p->request)) {
		nc_probe_free(p);
		return -ENOSPC;
	}
	*ret = p;
	return 0;
}

/* ---- start ---------------------------------------------------------------- */

/* The SYN has just left: the socket's address and port tie what the
 * capture sees (a RST, or nothing) to this path.  Read now: once the
 * connection fails, the kernel releases the port. */
static void record_local(nc_probe_t *p)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_tcp_getsockname(&p->tcp, (struct sockaddr *)&ss, &len) == 0)
		(void)nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &p->path->local);
}

int nc_probe_start(nc_probe_t *p, nc_probe_done_cb cb, void *data)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int r;

	if (p->started)
		return -EALREADY;
	r = uv_timer_init(p->loop, &p->timer);
	if (r < 0)
		return r;
	p->timer.data = p;
	p->open_handles = 1;
	p->t_start = uv_hrtime();
	if (uses_tcp(p)) {
		r = uv_tcp_init(p->loop, &p->tcp);
		if (r < 0)
			goto fail_timer;
		p->tcp.data = p;
		p->open_handles++;
		if (p->tcp_fd >= 0) {
			/* the handle owns the socket from here on */
			r = uv_tcp_open(&p->tcp, p->tcp_fd);
			if (r < 0) {
				close(p->tcp_fd);
				p->tcp_fd = -1;
				goto fail_handles;
			}
			p->tcp_fd = -1;
		}
		nc_endpoint_to_sockaddr(nc_endpoint_is_set(&p->dial) ? &p->dial : &p->path->target, &ss, &sl);
		p->connect_req.data = p;
		r = uv_tcp_connect(&p->connect_req, &p->tcp, (struct sockaddr *)&ss, on_connect);
		if (r < 0)
			goto fail_handles;
		record_local(p);
	} else if (p->kind == PROBE_UDP) {
		r = udp_start(p);
		if (r == -ENOMEM)
			goto fail_timer;
		if (r < 0)
			goto fail_handles;
	} else {
		r = uv_poll_init_socket(p->loop, &p->poll, p->icmp_fd);
		if (r < 0)
			goto fail_timer;
		p->poll.data = p;
		p->open_handles++;
		r = uv_timer_init(p->loop, &p->resend);
		if (r < 0)
			goto fail_handles;
		p->resend.data = p;
		p->open_handles++;
		r = uv_poll_start(&p->poll, UV_READABLE, on_icmp_readable);
		if (r == 0)
			r = icmp_send(p);
		if (r < 0)
			goto fail_handles;
		uv_timer_start(&p->resend, on_resend, p->timeout_ms / 3 + 1, p->timeout_ms / 3 + 1);
	}
	uv_timer_start(&p->timer, on_timeout, p->timeout_ms, 0);
	p->started = true;
	p->cb = cb;
	p->cb_data = data;
	return 0;

fail_handles:
	/* Close what was opened; no callback for the caller (libuv's rule).
	 * The path says what happened: a probe that could not even be sent
	 * (no route at send time, unreachable at once) is not "skipped". */
	p->path->probe_error = r;
	p->path->verdict = NC_VERDICT_UNREACHABLE; /* nc_classify_verdict() says more */
	nc_path_set_detail(p->path, "could not be sent: %s", uv_strerror(r));
	p->started = true;
	p->finished = true;
	p->cb = NULL;
	if (uses_tcp(p)) {
		close_handle(p, (uv_handle_t *)&p->tcp);
	} else if (p->kind == PROBE_UDP) {
		close_handle(p, (uv_handle_t *)&p->udp);
		close_handle(p, (uv_handle_t *)&p->resend);
	} else {
		close_handle(p, (uv_handle_t *)&p->poll);
		close_handle(p, (uv_handle_t *)&p->resend);
	}
	close_handle(p, (uv_handle_t *)&p->timer);
	return r;
fail_timer:
	p->path->verdict = NC_VERDICT_UNREACHABLE;
	nc_path_set_detail(p->path, "internal: %s", uv_strerror(r));
	if (p->tcp_fd >= 0) {
		close(p->tcp_fd);
		p->tcp_fd = -1;
	}
	p->started = true;
	p->finished = true;
	p->cb = NULL;
	close_handle(p, (uv_handle_t *)&p->timer);
	return r;
}
