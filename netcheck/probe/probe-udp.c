/* The UDP probe: a datagram carrying the path's nonce, resent a few
 * times; netcheck's responder answers with JSON, a closed port with ICMP
 * port unreachable (ECONNREFUSED on the socket).  May call: libuv. */
#include "probe-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/platform.h"
#include "netcheck/testing.h"

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
		/* a connected UDP socket hears the ICMP port unreachable; the
		 * error queue says who sent it (the container, this host, or
		 * something on the way) */
		uv_os_fd_t fd;

		if (nread == UV_ECONNREFUSED && uv_fileno((uv_handle_t *)h, &fd) == 0 &&
		    nc_platform_icmp_refused_by(fd, &p->path->refused_by) == 0) {
			char from[NC_ENDPOINT_STRLEN];

			nc_endpoint_format(&p->path->refused_by, false, from, sizeof(from));
			nc_path_set_detail(p->path, "%s (ICMP port unreachable from %s)", uv_strerror((int)nread), from);
		} else {
			nc_path_set_detail(p->path, "%s", uv_strerror((int)nread));
		}
		probe_finish_on_error(p, (int)nread, false);
		return;
	}
	p->path->timings.total_ms = probe_ms_since(p);
	p->path->timings.first_byte_ms = p->path->timings.total_ms;
	if (probe_parse_body(p->answer, (size_t)nread, &a) < 0) {
		nc_path_set_detail(p->path, "a %zd-byte datagram came back that is not the responder's answer", nread);
		probe_finish(p, NC_VERDICT_REACHABLE, 0);
		return;
	}
	probe_answered(p, &a);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	nc_probe_t *p = req->data;

	if (status < 0 && !p->finished) {
		nc_path_set_detail(p->path, "sending the datagram failed: %s", uv_strerror(status));
		probe_finish_on_error(p, status, true);
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

int probe_udp_start(nc_probe_t *p)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int len = sizeof(ss), r;

	r = uv_udp_init(p->loop, &p->udp);
	if (r < 0)
		return -ENOMEM;
	p->udp.data = p;
	p->open_handles++;
	if (p->socket_fd >= 0) {
		/* a socket made elsewhere (netcheck's remote-client namespace): the handle owns it from here on */
		r = uv_udp_open(&p->udp, p->socket_fd);
		if (r < 0)
			close(p->socket_fd);
		p->socket_fd = -1;
		if (r < 0)
			return r;
	}
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
	{
		uv_os_fd_t fd;

		/* the refusal's sender; without it, a refusal is still one */
		if (uv_fileno((uv_handle_t *)&p->udp, &fd) == 0)
			(void)nc_platform_enable_icmp_errors(fd, p->path->target.family);
	}
	r = uv_udp_recv_start(&p->udp, on_udp_alloc, on_udp_recv);
	if (r == 0)
		r = udp_send(p);
	if (r == 0)
		uv_timer_start(&p->resend, on_udp_resend, p->timeout_ms / 3 + 1, p->timeout_ms / 3 + 1);
	return r;
}

int nc_probe_udp_new_from(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, int socket_fd, nc_probe_t **ret)
{
	nc_probe_t *p;
	int r;

	if (!nc_endpoint_is_set(&path->target) || path->target.port == 0)
		r = -EINVAL;
	else
		r = probe_alloc(loop, path, timeout_ms, PROBE_UDP, true, &p);
	if (r < 0) {
		if (socket_fd >= 0)
			close(socket_fd);
		return r;
	}
	p->socket_fd = socket_fd;
	*ret = p;
	return 0;
}

int nc_probe_udp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, nc_probe_t **ret)
{
	return nc_probe_udp_new_from(loop, path, timeout_ms, -1, ret);
}
