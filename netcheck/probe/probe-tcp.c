/* The TCP probe: connect, then an HTTP request when asked, else a short
 * window for a banner or a reset.  Also the TCP half of the relay, whose
 * dial is netcheck's responder.  May call: libuv.  Never prints. */
#include "probe-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

/* ---- TCP + HTTP --------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	nc_probe_t *p = h->data;

	(void)suggested;
	buf->base = p->answer + p->answer_len;
	buf->len = NC_PROBE_MAX_ANSWER - p->answer_len;
}

/* netcheck's responder answered (over TCP or UDP): its view of the peer. */
void probe_answered(nc_probe_t *p, const nc_answer_t *a)
{
	p->path->peer_seen = a->peer;
	snprintf(p->path->answered_by, sizeof(p->path->answered_by), "%s", a->hostname);
	snprintf(p->path->answered_kernel, sizeof(p->path->answered_kernel), "%s", a->kernel);
	snprintf(p->path->answered_boot_id, sizeof(p->path->answered_boot_id), "%s", a->boot_id);
	if (strcmp(a->nonce, p->path->nonce) != 0)
		nc_path_set_detail(p->path, "the answer carried nonce '%.40s', not ours", a->nonce);
	probe_finish(p, NC_VERDICT_REACHABLE, 0);
}

static void answer_done(nc_probe_t *p)
{
	nc_answer_t a;
	int r;

	p->answer[p->answer_len] = '\0';
	if (p->kind == PROBE_RELAY) {
		probe_relay_done(p);
		return;
	}
	r = nc_probe_parse_answer(p->answer, p->answer_len, &a);
	p->path->http_status = a.http_status;
	if (a.http_status > 0 && (r < 0 || a.http_status != 200)) {
		/* an HTTP server answered (a user's --image): the path works, but
		 * only the packets can tell how; there is no view of the peer */
		nc_path_set_detail(p->path, "answered HTTP %d, not as netcheck's responder: no view of the peer it saw",
				   a.http_status);
		probe_finish(p, NC_VERDICT_REACHABLE, 0);
		return;
	}
	if (r < 0) {
		nc_path_set_detail(p->path, "the connection closed with %zu bytes that are not an HTTP answer",
				   p->answer_len);
		probe_finish(p, NC_VERDICT_UNREACHABLE, 0);
		return;
	}
	probe_answered(p, &a);
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
		p->path->timings.first_byte_ms = probe_ms_since(p);
		keep_banner(p->path, p->answer, (size_t)nread);
		nc_path_set_detail(p->path, "connected; the service spoke first (%zd bytes)", nread);
		probe_finish(p, NC_VERDICT_REACHABLE, 0);
	} else if (nread == UV_EOF) {
		/* what docker-proxy does when its own connection to the
		 * container fails: accept, then close at once */
		nc_path_set_detail(p->path, "connected, then closed by the far side at once without a byte");
		probe_finish(p, NC_VERDICT_UNREACHABLE, 0);
	} else if (nread == UV_ECONNRESET) {
		nc_path_set_detail(p->path, "reset by the far side right after connect");
		probe_finish(p, NC_VERDICT_RESET, 0);
	} else {
		nc_path_set_detail(p->path, "connected, then: %s", uv_strerror((int)nread));
		probe_finish(p, NC_VERDICT_UNREACHABLE, (int)nread);
	}
}

static void on_banner_window(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	/* a fact; what it means is the policy's (nc_classify_diagnose()) */
	nc_path_set_detail(p->path, "connected; the service sent nothing");
	p->path->silent = true;
	probe_finish(p, NC_VERDICT_REACHABLE, 0);
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
			p->path->timings.first_byte_ms = probe_ms_since(p);
		}
		p->answer_len += (size_t)nread;
		if (p->answer_len >= NC_PROBE_MAX_ANSWER) {
			nc_path_set_detail(p->path, "answer larger than %d bytes", NC_PROBE_MAX_ANSWER);
			probe_finish(p, NC_VERDICT_UNREACHABLE, 0);
		}
		return;
	}
	if (nread == UV_EOF) {
		p->path->timings.total_ms = probe_ms_since(p);
		answer_done(p);
		return;
	}
	if (nread < 0) {
		if (p->answer_len > 0) {
			/* a reset after a whole answer still is an answer */
			p->path->timings.total_ms = probe_ms_since(p);
			answer_done(p);
		} else {
			nc_path_set_detail(p->path, "connection closed before any answer: %s", uv_strerror((int)nread));
			probe_finish(p, NC_VERDICT_UNREACHABLE, (int)nread);
		}
	}
}

static void on_written(uv_write_t *req, int status)
{
	nc_probe_t *p = req->data;

	if (status < 0 && !p->finished) {
		nc_path_set_detail(p->path, "sending the request failed: %s", uv_strerror(status));
		probe_finish(p, NC_VERDICT_UNREACHABLE, status);
	}
}

void probe_tcp_on_connect(uv_connect_t *req, int status)
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
			probe_finish(p, NC_VERDICT_RESET, 0);
			return;
		}
		nc_path_set_detail(p->path, "connect: %s", uv_strerror(status));
		probe_finish_on_error(p, status, true);
		return;
	}
	p->path->timings.connect_ms = probe_ms_since(p);
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
			probe_finish(p, NC_VERDICT_UNREACHABLE, r);
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
		probe_finish(p, NC_VERDICT_UNREACHABLE, r);
	}
}

bool nc_probe_http_path_valid(const char *s)
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
	if (opt->http && opt->http_path != NULL && !nc_probe_http_path_valid(opt->http_path)) {
		if (opt->use_socket_fd)
			close(opt->socket_fd);
		return probe_creation_failed(path, -EINVAL, "the HTTP path must start with / and hold no spaces or controls");
	}
	r = probe_alloc(loop, path, timeout_ms, PROBE_TCP, true, &p);
	if (r < 0) {
		if (opt->use_socket_fd)
			close(opt->socket_fd);
		return probe_creation_failed(path, r, r == -ENOMEM ? "TCP probe" : "a random nonce");
	}
	p->socket_fd = opt->use_socket_fd ? opt->socket_fd : -1;
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
		return probe_creation_failed(path, -ENOSPC, "the HTTP request");
	}
	*ret = p;
	return 0;
}
