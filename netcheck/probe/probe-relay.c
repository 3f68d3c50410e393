/* The relay: for paths that start inside a container, netcheck's
 * responder there is asked over HTTP to connect out, and its report
 * becomes the path's times, addresses and error.  May call: libuv. */
#include "probe-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

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

void probe_relay_done(nc_probe_t *p)
{
	const char *hdr_end = memmem(p->answer, p->answer_len, "\r\n\r\n", 4);
	nc_relay_answer_t a;

	if (hdr_end == NULL ||
	    nc_probe_parse_relay(hdr_end + 4, p->answer_len - (size_t)(hdr_end + 4 - p->answer), &a) < 0) {
		nc_path_set_detail(p->path, "netcheck's responder gave no connect-out answer (%zu bytes)", p->answer_len);
		probe_finish(p, NC_VERDICT_UNREACHABLE, 0);
		return;
	}
	/* timings and addresses are the container's, not this host's */
	p->path->timings.connect_ms = a.connect_ms;
	p->path->timings.total_ms = a.total_ms;
	p->path->timings.first_byte_ms = -1;
	/* the container's side, not the control connection's */
	p->path->local = a.local;
	/* what the name resolved to in the container, and how */
	snprintf(p->path->resolved, sizeof(p->path->resolved), "%s", a.resolved);
	snprintf(p->path->resolved_by, sizeof(p->path->resolved_by), "%s", a.resolved_by);
	/* by name: the target is the address the name resolved to in the
	 * container, and none when it did not resolve (not the address
	 * netcheck expected it to have) */
	if (p->path->kind == NC_PATH_CONTAINER_TO_CONTAINER_DNS || p->path->kind == NC_PATH_TASK_TO_SERVICE_DNS) {
		uint16_t port = p->path->target.port;

		if (a.resolved[0] == '\0' || nc_endpoint_parse(a.resolved, port, &p->path->target) < 0) {
			memset(&p->path->target, 0, sizeof(p->path->target));
			p->path->target.port = port;
		}
	}
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
		probe_finish(p, NC_VERDICT_REACHABLE, 0);
	else
		probe_finish_on_error(p, errno_from_name(a.error), false);
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
