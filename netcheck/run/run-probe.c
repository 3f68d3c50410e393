/* The probe stage: the target plans its paths (each with its probe on
 * the run's loop, or a reason none is sent), privileges are dropped, and
 * the probes run until the last one is done or the run is interrupted;
 * then capture gets its grace and stops.  Knows no target by name.
 * May call: probe, platform, result, and the target through its ops. */
#include "run-internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"

/* Every probe is done: nothing more to wait for but the last packets. */
static void probes_finished(run_state_t *s)
{
	uv_timer_stop(&s->watchdog);
	uv_close((uv_handle_t *)&s->watchdog, NULL);
	nc_run_host_end_record(s);
	nc_probe_listener_close(s->host_listener);
	s->host_listener = NULL;
	nc_run_capture_finish(s);
	/* the witness stops reading with capture, after its grace; at once
	 * when nothing is captured (its handles would keep the loop running) */
	if (!s->capture_stopping)
		nc_run_witness_collect(s);
}

#define PROBE_STARTED SIZE_MAX /* in probe_after[]: started (or tried) */

static void start_one(run_state_t *s, size_t i);

static void on_probe_done(nc_probe_t *p, void *data)
{
	run_state_t *s = data;

	/* the probes that waited for this one start now */
	for (size_t i = 0; i < s->n_probes; i++)
		if (s->probe_after[i] > 0 && s->probe_after[i] != PROBE_STARTED && s->probes[s->probe_after[i] - 1] == p)
			start_one(s, i);
	if (++s->probes_done == s->n_probes)
		probes_finished(s);
}

/* A probe that sends nothing (a user's service, without --http) through a
 * forwarder can be tied to the forwarder's own connection to the container
 * only by time (attribute.c: exactly one probe accepted within the
 * window).  Two of them to the same container port through the engine's
 * forwarders at once (127.0.0.1 and [::1]: docker-proxy runs one per
 * family) leave that connection to neither: the second waits for the
 * first.  Only loopback: elsewhere the kernel's NAT carries the probe's
 * own connection, which needs no matching.  Returns probe i's
 * predecessor + 1, or 0 (starts at once). */
static size_t after_of(const run_state_t *s, size_t i)
{
	const nc_path_t *p = nc_result_path_const(s->result, s->probe_path[i]);

	if (!nc_run_probes_send_nothing(s) || nc_path_kind_proto(p->kind) != NC_PROTO_TCP ||
	    !nc_path_kind_is_published(p->kind) || !nc_endpoint_is_loopback(&p->target))
		return 0;
	for (size_t j = i; j-- > 0;) {
		const nc_path_t *q = nc_result_path_const(s->result, s->probe_path[j]);

		if (nc_path_kind_proto(q->kind) == NC_PROTO_TCP && nc_path_kind_is_published(q->kind) &&
		    nc_endpoint_is_loopback(&q->target) && q->container_port == p->container_port &&
		    strcmp(q->container, p->container) == 0)
			return j + 1;
	}
	return 0;
}

static void on_watchdog(uv_timer_t *t)
{
	run_state_t *s = t->data;

	if (!nc_run_interrupted(s))
		return;
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_cancel(s->probes[i]);
}

static void start_one(run_state_t *s, size_t i)
{
	int r;

	s->probe_after[i] = PROBE_STARTED;
	r = nc_probe_start(s->probes[i], on_probe_done, s);
	if (r < 0) {
		nc_path_t *p = nc_result_path(s->result, s->probe_path[i]);

		if (p->verdict == NC_VERDICT_SKIPPED)
			p->verdict = NC_VERDICT_ERROR;
		nc_path_set_detail(p, "the probe could not be sent: %s", nc_strerror(r));
		/* not started: no callback will come; those after it go now */
		on_probe_done(s->probes[i], s);
	}
}

/* The wait before them is over (run-ready.c): every probe starts now,
 * but those that must wait for another (after_of). */
static void start_probes(run_state_t *s)
{
	size_t n = s->n_probes;

	nc_run_progress(s, "probing %zu of %zu paths", s->n_probes, nc_result_path_count(s->result));
	/* the loop's clock was last read before the target was prepared
	 * (seconds, for a swarm), or before the readiness wait: every probe's
	 * deadline counts from now */
	uv_update_time(&s->loop);
	for (size_t i = 0; i < n; i++)
		s->probe_after[i] = after_of(s, i);
	for (size_t i = 0; i < n; i++)
		if (s->probe_after[i] == 0)
			start_one(s, i);
	if (n == 0)
		probes_finished(s);
}

int nc_run_probe(run_state_t *s, nc_error_t *err)
{
	uint64_t timeout = s->opt->probe_timeout_ms ? s->opt->probe_timeout_ms : 2000;
	int r;

	/* the target's paths, in report order, with their probes on the loop */
	s->target->plan_paths(s, s->target_state, timeout);
	/* the trace table and the drop reasons' flows, while privileged, before the first packet */
	nc_run_witness_start(s);
	/* the readiness wait's sockets: the container's namespace is entered now, while privileged */
	nc_run_ready_open(s);
	/* the capture points opened meanwhile on their threads: reading
	 * before the first probe leaves */
	r = nc_run_capture_open_end(s, err);
	if (r < 0) { /* capture was required: no path was probed, none is reported */
		for (size_t i = 0; i < s->n_probes; i++)
			nc_probe_free(s->probes[i]);
		s->n_probes = 0;
		nc_result_clear_paths(s->result);
		return r;
	}

	r = uv_timer_init(&s->loop, &s->watchdog);
	if (r < 0)
		return nc_error_set(err, r, "libuv timer: %s", uv_strerror(r));
	s->watchdog.data = s;
	uv_timer_start(&s->watchdog, on_watchdog, 20, 20);
	/* Everything that needs privilege is open now (capture handles, the
	 * ICMP socket, the forwarder looked up): the probes and the rest of the
	 * run go without any capability. */
	if (!s->keep_privileges &&
	    nc_run_drop_privileges(s, strncmp(s->eng->url(s->engine), "unix://", 7) == 0 &&
					nc_platform_socket_needs_override(s->eng->url(s->engine) + 7)) == 0)
		nc_result_environment(s->result)->privileges_dropped = true;
	/* the IPv6 addresses on the paths' routes are out of DAD, or the
	 * bound passed: the probes start from the loop */
	nc_run_ready_wait(s, start_probes);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return 0;
}
