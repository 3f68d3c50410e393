/* The helpers a target adds its paths' probes with: each probe made on
 * the run's loop and kept for the probe stage, or the path says why none
 * is sent.  Below the targets and the stages: calls probe and result only.
 * Never prints. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/testing.h"

/* A probe that could not be made is an error, not a skip: a skipped path
 * counts as expected, and this one never ran. */
void nc_run_add_probe(run_state_t *s, nc_path_t *p, int r, nc_probe_t *probe)
{
	if (r == 0 && probe == NULL)
		r = -EINVAL;
	if (r < 0) {
		nc_classify_not_made(p, r); /* a missing privilege is a skip, anything else an error */
		return;
	}
	s->probe_path[s->n_probes] = (size_t)(p - nc_result_path(s->result, 0));
	s->probes[s->n_probes++] = probe;
}

/* HTTP is asked only of netcheck's responder (NULL: GET /<nonce>, which
 * tells the peer it saw) or with --http; any other TCP service counts as
 * reachable once the handshake is done and it did not reset at once. */
static const nc_probe_tcp_options_t *tcp_options(const run_state_t *s, nc_probe_tcp_options_t *opts)
{
	if (nc_run_ours(s))
		return NULL;
	memset(opts, 0, sizeof(*opts));
	opts->http = s->opt->http_path != NULL;
	opts->http_path = s->opt->http_path;
	return opts;
}

void nc_run_add_tcp_from(run_state_t *s, nc_path_t *p, uint64_t timeout, int socket_fd)
{
	nc_probe_tcp_options_t opts;
	const nc_probe_tcp_options_t *o;
	nc_probe_t *probe = NULL;
	int r;

	if (p == NULL || s->n_probes >= NC_MAX_PATHS) {
		if (socket_fd >= 0)
			close(socket_fd);
		return;
	}
	o = tcp_options(s, &opts);
	if (socket_fd >= 0) {
		if (o == NULL) /* netcheck's responder: GET /<nonce>, the peer it saw */
			opts = (nc_probe_tcp_options_t){ .http = true };
		opts.use_socket_fd = true;
		opts.socket_fd = socket_fd;
		o = &opts;
	}
	r = nc_probe_tcp_new(&s->loop, p, timeout, o, &probe);
	nc_run_add_probe(s, p, r, probe);
}

void nc_run_add_tcp(run_state_t *s, nc_path_t *p, uint64_t timeout)
{
	nc_run_add_tcp_from(s, p, timeout, -1);
}

void nc_run_add_icmp(run_state_t *s, nc_path_t *p, uint64_t timeout)
{
	nc_probe_t *probe = NULL;
	int r;

	if (p == NULL || s->n_probes >= NC_MAX_PATHS)
		return;
	r = nc_probe_icmp_new(&s->loop, p, timeout, &probe);
	nc_run_add_probe(s, p, r, probe);
}

void nc_run_add_udp_from(run_state_t *s, nc_path_t *p, uint64_t timeout, int socket_fd)
{
	nc_probe_t *probe = NULL;
	int r;

	if (p == NULL || s->n_probes >= NC_MAX_PATHS) {
		if (socket_fd >= 0)
			close(socket_fd);
		return;
	}
	r = nc_probe_udp_new_from(&s->loop, p, timeout, socket_fd, &probe);
	nc_run_add_probe(s, p, r, probe);
}

void nc_run_add_udp(run_state_t *s, nc_path_t *p, uint64_t timeout)
{
	nc_run_add_udp_from(s, p, timeout, -1);
}

bool nc_run_probes_send_nothing(const run_state_t *s)
{
	nc_probe_tcp_options_t opts;

	return tcp_options(s, &opts) != NULL && !opts.http;
}

bool nc_run_ours(const run_state_t *s)
{
	return s->opt->image == NULL && s->opt->target == NULL && s->opt->project == NULL;
}
