/* The host end of container-to-host: a TCP listener netcheck opens on this
 * host for one run (bound to one address, an ephemeral port), answering
 * `GET /<nonce>` as the responder does, with the peer it saw, so the
 * path's peer_seen is the host's view.  Bounded: a few connections at
 * once, a small request, a deadline per connection.  Part of the probe
 * module; runs on the run's loop.  Never prints. */
#include "netcheck/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

#define HOST_MAX_CONNS 8
#define HOST_MAX_REQUEST 2048
#define HOST_CONN_TIMEOUT_MS 5000

typedef struct host_conn {
	nc_probe_listener_t *l;  /* borrowed: the owner */
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t write_req;
	bool in_use, answered;
	int open_handles;
	char request[HOST_MAX_REQUEST];
	size_t request_len;
	char answer[512];
} host_conn_t;

struct nc_probe_listener {
	uv_tcp_t server;
	nc_endpoint_t address;     /* where it listens, port included */
	host_conn_t conns[HOST_MAX_CONNS];
	unsigned accepted;         /* connections answered, for the report */
	int open_handles;
	void (*closed_cb)(nc_probe_listener_t *l, void *data);
	void *closed_data;
};

static void listener_handle_closed(uv_handle_t *h)
{
	nc_probe_listener_t *l = h->data;

	if (--l->open_handles == 0 && l->closed_cb != NULL)
		l->closed_cb(l, l->closed_data);
}

static void conn_handle_closed(uv_handle_t *h)
{
	host_conn_t *c = h->data;

	if (--c->open_handles == 0) {
		c->in_use = false;
		listener_handle_closed((uv_handle_t *)&c->l->server);
	}
}

static void conn_close(host_conn_t *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp)) {
		uv_timer_stop(&c->timer);
		uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
		uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	}
}

static void on_conn_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_answer_written(uv_write_t *req, int status)
{
	(void)status;
	conn_close(req->data);
}

static void on_conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	host_conn_t *c = h->data;

	(void)suggested;
	buf->base = c->request + c->request_len;
	buf->len = sizeof(c->request) - 1 - c->request_len;
}

/* "GET /<nonce> HTTP/1.x": the nonce, or "" */
static void request_nonce(const char *req, char *nonce, size_t len)
{
	size_t n = 0;

	nonce[0] = '\0';
	if (strncmp(req, "GET /", 5) != 0)
		return;
	req += 5;
	while (n + 1 < len && ((req[n] >= 'a' && req[n] <= 'z') || (req[n] >= 'A' && req[n] <= 'Z') ||
			       (req[n] >= '0' && req[n] <= '9') || req[n] == '-' || req[n] == '_'))
		n++;
	memcpy(nonce, req, n);
	nonce[n] = '\0';
}

static void on_conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	host_conn_t *c = s->data;
	struct sockaddr_storage ss;
	int sl = sizeof(ss), n;
	char nonce[NC_NONCE_MAX], peer[NC_ENDPOINT_STRLEN] = "?";
	nc_endpoint_t e = { 0 };
	uv_buf_t b;

	(void)buf;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->request_len += (size_t)nread;
	c->request[c->request_len] = '\0';
	if (c->answered)
		return;
	if (strstr(c->request, "\r\n\r\n") == NULL && c->request_len + 1 < sizeof(c->request))
		return;
	c->answered = true;
	uv_read_stop(s);
	request_nonce(c->request, nonce, sizeof(nonce));
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0 &&
	    nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &e) == 0)
		nc_endpoint_format(&e, false, peer, sizeof(peer));
	n = snprintf(c->answer, sizeof(c->answer),
		     "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
		     "{\"peer_addr\":\"%s\",\"peer_port\":%u,\"hostname\":\"netcheck-host\",\"nonce\":\"%s\"}",
		     peer, e.port, nonce);
	if (n < 0 || (size_t)n >= sizeof(c->answer)) {
		conn_close(c);
		return;
	}
	c->l->accepted++;
	b = uv_buf_init(c->answer, (unsigned)n);
	c->write_req.data = c;
	if (uv_write(&c->write_req, s, &b, 1, on_answer_written) < 0)
		conn_close(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	nc_probe_listener_t *l = server->data;
	host_conn_t *c = NULL;

	if (status < 0)
		return;
	for (size_t i = 0; i < HOST_MAX_CONNS && c == NULL; i++)
		if (!l->conns[i].in_use)
			c = &l->conns[i];
	if (c == NULL) {
		/* full: accept and drop, so the backlog does not hold it */
		uv_tcp_t *t = malloc(sizeof(*t));

		if (t != NULL && uv_tcp_init(server->loop, t) == 0 && uv_accept(server, (uv_stream_t *)t) == 0)
			uv_close((uv_handle_t *)t, (uv_close_cb)free);
		else
			free(t);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->in_use = true;
	if (uv_tcp_init(server->loop, &c->tcp) < 0) {
		c->in_use = false;
		return;
	}
	c->tcp.data = c;
	uv_timer_init(server->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	l->open_handles++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_conn_alloc, on_conn_read) < 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_conn_timeout, HOST_CONN_TIMEOUT_MS, 0);
}

static void free_when_closed(nc_probe_listener_t *l, void *data)
{
	(void)data;
	free(l);
}

int nc_probe_listener_new(uv_loop_t *loop, const nc_endpoint_t *address, nc_probe_listener_t **ret)
{
	nc_probe_listener_t *l;
	struct sockaddr_storage ss;
	socklen_t sl;
	int len = sizeof(ss), r;

	if (!nc_endpoint_is_set(address))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	r = uv_tcp_init(loop, &l->server);
	if (r < 0) {
		free(l);
		return r;
	}
	l->server.data = l;
	l->open_handles = 1;
	nc_endpoint_to_sockaddr(address, &ss, &sl);
	r = uv_tcp_bind(&l->server, (struct sockaddr *)&ss, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&l->server, HOST_MAX_CONNS, on_connection);
	if (r == 0)
		r = uv_tcp_getsockname(&l->server, (struct sockaddr *)&ss, &len);
	if (r == 0)
		r = nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &l->address);
	if (r < 0) {
		/* closed on the loop; freed in its close callback */
		l->closed_cb = free_when_closed;
		uv_close((uv_handle_t *)&l->server, listener_handle_closed);
		return r;
	}
	*ret = l;
	return 0;
}

const nc_endpoint_t *nc_probe_listener_address(const nc_probe_listener_t *l)
{
	return &l->address;
}

unsigned nc_probe_listener_answered(const nc_probe_listener_t *l)
{
	return l->accepted;
}

void nc_probe_listener_close(nc_probe_listener_t *l)
{
	if (l == NULL)
		return;
	l->closed_cb = free_when_closed;
	for (size_t i = 0; i < HOST_MAX_CONNS; i++)
		if (l->conns[i].in_use)
			conn_close(&l->conns[i]);
	if (!uv_is_closing((uv_handle_t *)&l->server))
		uv_close((uv_handle_t *)&l->server, listener_handle_closed);
}
