/* `netcheck capture CONTAINER`: the run's capture points for a user's own
 * running container, until the duration ends or a signal comes; packets
 * go to the caller's file.  The container is prepared as `netcheck probe`
 * prepares it (inspected only).  May call: engine, platform, capture.
 * Never prints. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

static void on_capture_deadline(uv_timer_t *t)
{
	run_state_t *s = t->data;

	uv_close((uv_handle_t *)t, NULL);
	uv_timer_stop(&s->watchdog);
	uv_close((uv_handle_t *)&s->watchdog, NULL);
	nc_run_capture_finish(s);
}

static void on_capture_watchdog(uv_timer_t *t)
{
	run_state_t *s = t->data;

	/* capture_ended: -c COUNT reached, or the file could not be written */
	if (nc_run_interrupted(s) || s->capture_ended) {
		uv_timer_stop(&s->deadline);
		on_capture_deadline(&s->deadline);
	}
}

int nc_run_capture_only(const nc_run_options_t *opt, const char *container, uint64_t duration_ms,
			nc_result_t *result, nc_error_t *err)
{
	nc_run_options_t named = *opt;
	const nc_target_ops_t *target = &nc_target_named; /* the command's own pick */
	run_state_t s = { .opt = &named, .result = result, .target = target, .eng = &nc_run_engine_real,
			  .bulk_capture = true };
	int r;

	named.target = container;
	s.target_state = calloc(1, target->size);
	if (s.target_state == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	r = nc_run_connect(opt->engine_url, opt->context, opt->engine_timeout_ms, opt->interrupted, NULL, &s.engine,
			   &s.version, err);
	if (r == 0)
		r = nc_engine_info(s.engine, &s.engine_info, err);
	if (r < 0)
		goto out;
	nc_run_fill_environment(&s);
	r = target->prepare(&s, s.target_state, err);
	if (r < 0)
		goto out;
	r = uv_loop_init(&s.loop);
	if (r < 0)
		goto out;
	s.loop_ready = true;
	r = nc_run_capture_open(&s, err);
	if (r < 0)
		goto out;
	if (s.capture == NULL) {
		r = nc_error_set(err, -EPERM, "cannot capture: %s", nc_result_environment(result)->capture_note);
		goto out;
	}
	uv_timer_init(&s.loop, &s.deadline);
	s.deadline.data = &s;
	uv_timer_start(&s.deadline, on_capture_deadline, duration_ms, 0);
	uv_timer_init(&s.loop, &s.watchdog);
	s.watchdog.data = &s;
	uv_timer_start(&s.watchdog, on_capture_watchdog, 20, 20);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	r = nc_run_capture_evidence(&s, err);
out:
	if (s.capture_running)
		nc_run_capture_finish(&s);
	if (s.loop_ready) {
		uv_run(&s.loop, UV_RUN_DEFAULT);
		nc_run_capture_free(&s);
		uv_run(&s.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s.loop) != 0 && r == 0)
			r = nc_error_set(err, -EBUSY, "internal error: a libuv handle was left open");
	}
	if (s.engine != NULL)
		target->teardown(&s, s.target_state);
	free(s.target_state);
	nc_engine_free(s.engine);
	return r;
}
