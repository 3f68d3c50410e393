/* netcheck watch: the run's stages in two parts over one target.  setup
 * (discover, prepare) once; every cycle the last cycle's probes and capture
 * are freed and the paths forgotten, then nc_run_cycle() (capture, probe,
 * attribute, classify); teardown once.  Its own container dying, the
 * target is prepared again on the same engine and loop (nc_run_prepare_again),
 * so whatever the cli keeps on the loop (the /metrics server) goes on.  Capabilities are kept: each cycle
 * opens its capture points again.  May call: what run.c calls.  Called by:
 * cli (cli-watch.c). */
#include "netcheck/watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run-internal.h"

/* cycles with every path as expected between two inspections of the
 * container: a container killed between cycles fails its paths in the
 * next one, which inspects at once; this catches one that stopped while
 * its paths looked fine (a container-exited path is unexpected anyway) */
#define INSPECT_EVERY 60

struct nc_watch {
	run_state_t s;
	bool setup_done;
	unsigned since_inspect;       /* cycles since the last inspection */
};

int nc_watch_new(const nc_run_options_t *opt, nc_result_t *result, nc_watch_t **ret, nc_error_t *err)
{
	nc_watch_t *w = calloc(1, sizeof(*w));
	const nc_target_ops_t *target = nc_run_target_for(opt); /* as run and probe: --container, --project, ours */

	*ret = w;
	if (w == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	w->s.opt = opt;
	w->s.result = result;
	w->s.target = target;
	w->s.eng = &nc_run_engine_real;
	w->s.keep_privileges = true;
	w->s.target_state = calloc(1, target->size > 0 ? target->size : 1);
	if (w->s.target_state == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	w->setup_done = true;
	return nc_run_setup(&w->s, err);
}

uv_loop_t *nc_watch_loop(nc_watch_t *w)
{
	return &w->s.loop;
}

/* What the last cycle left: its probes, its capture, its paths.  Nothing
 * waits: the handles' close callbacks run now, the packet sockets close in
 * the thread pool and free themselves (nc_capture_free), teardown's loop
 * waits for the last ones.  The loop is never run to its end here: the
 * witness's handles stay active from prepare to teardown. */
static void forget_cycle(run_state_t *s)
{
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_free(s->probes[i]);
	s->n_probes = s->probes_done = 0;
	nc_run_capture_free(s);
	/* the nftables trace is made for one probe phase, its flows fixed
	 * when its table goes in: each cycle gets its own, the last one's
	 * table removed with it (its owner socket closes), so that every
	 * cycle's failure is traced, not the first's alone.  The drop-reason
	 * program stays attached and gets each cycle's flows (a map write, not
	 * a 3-4 ms load).  A watch keeps its privileges: the table goes in
	 * again. */
	nc_run_witness_next_cycle(s);
	uv_run(&s->loop, UV_RUN_NOWAIT);
	s->capture_running = s->capture_stopping = s->capture_ended = false;
	nc_result_clear_paths(s->result);
}

int nc_watch_cycle(nc_watch_t *w, nc_error_t *err)
{
	forget_cycle(&w->s);
	return nc_run_cycle(&w->s, err);
}

bool nc_watch_owns_target(const nc_watch_t *w)
{
	return w->s.target == &nc_target_launched;
}

bool nc_watch_target_alive(nc_watch_t *w, nc_error_t *err)
{
	const nc_container_t *c = nc_result_container(w->s.result);
	nc_container_info_t info;
	bool all_expected = true;

	if (w->s.engine == NULL || c->id[0] == '\0')
		return false;
	for (size_t i = 0; i < nc_result_path_count(w->s.result) && all_expected; i++)
		all_expected = nc_result_path_const(w->s.result, i)->expected;
	if (all_expected && ++w->since_inspect < INSPECT_EVERY)
		return true;
	w->since_inspect = 0;
	if (nc_engine_container_inspect(w->s.engine, c->id, 0, &info, err) < 0)
		return false;
	if (!info.running)
		nc_error_set(err, -ESRCH, "container %.12s is not running", c->id);
	return info.running;
}

int nc_watch_recreate(nc_watch_t *w, nc_error_t *err)
{
	forget_cycle(&w->s);
	w->since_inspect = 0;
	return nc_run_prepare_again(&w->s, err);
}

int nc_watch_free(nc_watch_t *w, int r, nc_error_t *err)
{
	if (w == NULL)
		return r;
	if (w->setup_done)
		r = nc_run_teardown(&w->s, r, err);
	free(w->s.target_state);
	free(w);
	return r;
}
