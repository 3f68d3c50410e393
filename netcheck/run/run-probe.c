/* The probe stage: the target plans its paths (each with its probe on
 * the run's loop, or a reason none is sent), privileges are dropped, and
 * the probes run until the last one is done or the run is interrupted;
 * then capture gets its grace and stops.  Knows no target by name.
 * May call: probe, platform, result, and the target through its ops. */
#include "run-internal.h"

#include <errno.h>
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

static void on_probe_done(nc_probe_t *p, void *data)
{
	run_state_t *s = data;

	(void)p;
	if (++s->probes_done == s->n_probes)
		probes_finished(s);
}

static void on_watchdog(uv_timer_t *t)
{
	run_state_t *s = t->data;

	if (!nc_run_interrupted(s))
		return;
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_cancel(s->probes[i]);
}

/* The wait before them is over (run-ready.c): every probe starts now. */
static void start_probes(run_state_t *s)
{
	int r;

	nc_run_progress(s, "probing %zu of %zu paths", s->n_probes, nc_result_path_count(s->result));
	/* the loop's clock was last read before the target was prepared
	 * (seconds, for a swarm), or before the readiness wait: every probe's
	 * deadline counts from now */
	uv_update_time(&s->loop);
	for (size_t i = 0; i < s->n_probes; i++) {
		r = nc_probe_start(s->probes[i], on_probe_done, s);
		if (r < 0) {
			nc_path_t *p = nc_result_path(s->result, s->probe_path[i]);

			s->probes_done++; /* not started: no callback will come */
			if (p->verdict == NC_VERDICT_SKIPPED)
				p->verdict = NC_VERDICT_ERROR;
			nc_path_set_detail(p, "the probe could not be sent: %s", nc_strerror(r));
		}
	}
	if (s->probes_done == s->n_probes)
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
