/* Probes on the libuv loop: the object every kind shares -- alloc, start,
 * finish, timeout, cancel, free.  Each probe fills its own nc_path_t with
 * what happened (times, addresses, the answer, the error it ended on);
 * what that means is the policy's.  Handles are freed only in their close
 * callbacks; done_cb fires once, after the last close.
 * May call: libuv, endpoint helpers, platform (randomness).  Never prints. */
#include "probe-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/platform.h"
#include "netcheck/testing.h"

bool probe_uses_tcp(const nc_probe_t *p)
{
	return p->kind == PROBE_TCP || p->kind == PROBE_RELAY;
}

double probe_ms_since(const nc_probe_t *p)
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
int probe_creation_failed(nc_path_t *path, int r, const char *what)
{
	path->verdict = NC_VERDICT_ERROR;
	nc_path_set_detail(path, "probe not made: %s: %s", what, r == -ENOMEM ? "out of memory" : strerror(-r));
	return r;
}

/* A probe of kind for path, with its answer buffer when with_answer, and
 * the path's nonce made if it has none.  *ret: new (nc_probe_free()).
 * Returns 0, -ENOMEM, or what making the nonce failed with. */
int probe_alloc(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, probe_kind_t kind, bool with_answer,
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
	p->socket_fd = -1;
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
	if (p->socket_fd >= 0 && !p->started)
		close(p->socket_fd);
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

void probe_close_handle(nc_probe_t *p, uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h)) {
		h->data = p;
		uv_close(h, on_handle_closed);
	}
}

/* Ends the probe with verdict v (unless already ended) and closes everything. */
void probe_finish(nc_probe_t *p, nc_verdict_t v, int status)
{
	if (p->finished)
		return;
	p->finished = true;
	p->path->verdict = v;
	if (p->path->timings.total_ms < 0 && v != NC_VERDICT_SKIPPED)
		p->path->timings.total_ms = probe_ms_since(p);
	if (status < 0 && p->path->detail[0] == '\0')
		nc_path_set_detail(p->path, "%s", uv_strerror(status));
	uv_timer_stop(&p->timer);
	probe_close_handle(p, (uv_handle_t *)&p->timer);
	if (probe_uses_tcp(p)) {
		probe_close_handle(p, (uv_handle_t *)&p->tcp);
	} else if (p->kind == PROBE_UDP) {
		uv_udp_recv_stop(&p->udp);
		probe_close_handle(p, (uv_handle_t *)&p->udp);
		probe_close_handle(p, (uv_handle_t *)&p->resend);
	} else {
		uv_poll_stop(&p->poll);
		probe_close_handle(p, (uv_handle_t *)&p->poll);
		probe_close_handle(p, (uv_handle_t *)&p->resend);
	}
}

/* Ends the probe on a socket error: the path records the error, and the
 * policy (nc_classify_verdict()) says what it means -- refused, timeout or
 * unreachable.  with_detail: the error's words become the detail. */
void probe_finish_on_error(nc_probe_t *p, int status, bool with_detail)
{
	if (!p->finished)
		p->path->probe_error = status;
	probe_finish(p, NC_VERDICT_UNREACHABLE, with_detail ? status : 0);
}

static void on_timeout(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	struct sockaddr_storage ss;
	int len = sizeof(ss);

	/* the port of a connection that never completed ties its SYNs in
	 * the capture to this path */
	if (probe_uses_tcp(p) && !nc_endpoint_is_set(&p->path->local) &&
	    uv_tcp_getsockname(&p->tcp, (struct sockaddr *)&ss, &len) == 0)
		(void)nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &p->path->local);
	nc_path_set_detail(p->path, "no answer within %llu ms", (unsigned long long)p->timeout_ms);
	probe_finish(p, NC_VERDICT_TIMEOUT, 0);
}

void nc_probe_cancel(nc_probe_t *p)
{
	if (p == NULL || !p->started || p->finished)
		return;
	nc_path_set_detail(p->path, "cancelled");
	probe_finish(p, NC_VERDICT_TIMEOUT, 0);
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
	if (probe_uses_tcp(p)) {
		r = uv_tcp_init(p->loop, &p->tcp);
		if (r < 0)
			goto fail_timer;
		p->tcp.data = p;
		p->open_handles++;
		if (p->socket_fd >= 0) {
			/* the handle owns the socket from here on */
			r = uv_tcp_open(&p->tcp, p->socket_fd);
			if (r < 0) {
				close(p->socket_fd);
				p->socket_fd = -1;
				goto fail_handles;
			}
			p->socket_fd = -1;
		}
		nc_endpoint_to_sockaddr(nc_endpoint_is_set(&p->dial) ? &p->dial : &p->path->target, &ss, &sl);
		p->connect_req.data = p;
		r = uv_tcp_connect(&p->connect_req, &p->tcp, (struct sockaddr *)&ss, probe_tcp_on_connect);
		if (r < 0)
			goto fail_handles;
		record_local(p);
	} else if (p->kind == PROBE_UDP) {
		r = probe_udp_start(p);
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
		r = uv_poll_start(&p->poll, UV_READABLE, probe_icmp_on_readable);
		if (r == 0)
			r = probe_icmp_send(p);
		if (r < 0)
			goto fail_handles;
		uv_timer_start(&p->resend, probe_icmp_on_resend, p->timeout_ms / 3 + 1, p->timeout_ms / 3 + 1);
	}
	uv_timer_start(&p->timer, on_timeout, p->timeout_ms, 0);
	p->started = true;
	p->path->sent = true;
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
	if (probe_uses_tcp(p)) {
		probe_close_handle(p, (uv_handle_t *)&p->tcp);
	} else if (p->kind == PROBE_UDP) {
		probe_close_handle(p, (uv_handle_t *)&p->udp);
		probe_close_handle(p, (uv_handle_t *)&p->resend);
	} else {
		probe_close_handle(p, (uv_handle_t *)&p->poll);
		probe_close_handle(p, (uv_handle_t *)&p->resend);
	}
	probe_close_handle(p, (uv_handle_t *)&p->timer);
	return r;
fail_timer:
	p->path->verdict = NC_VERDICT_UNREACHABLE;
	nc_path_set_detail(p->path, "internal: %s", uv_strerror(r));
	if (p->socket_fd >= 0) {
		close(p->socket_fd);
		p->socket_fd = -1;
	}
	p->started = true;
	p->finished = true;
	p->cb = NULL;
	probe_close_handle(p, (uv_handle_t *)&p->timer);
	return r;
}
