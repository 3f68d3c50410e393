/* netcheck watch: one target prepared once, its paths probed every cycle
 * on one loop, removed once at the end.  The run's stages in two parts
 * (run.c: setup, cycle, teardown); nothing is copied.  Never prints. */
#ifndef NETCHECK_WATCH_H
#define NETCHECK_WATCH_H

#include <uv.h>

#include "netcheck/result.h"
#include "netcheck/run.h"

typedef struct nc_watch nc_watch_t;

/* Connects, prepares the target (netcheck's container, or opt->target or
 * opt->project's containers, only inspected: the target run and probe
 * would pick).  opt, result: borrowed until nc_watch_free().  *ret:
 * new, also on failure (nc_watch_free() it: teardown runs there). */
int nc_watch_new(const nc_run_options_t *opt, nc_result_t *result, nc_watch_t **ret, nc_error_t *err);
/* The watch's loop: the cli's timers and server live on it, unreferenced
 * or stopped while a cycle runs.  borrowed, valid until nc_watch_free(). */
uv_loop_t *nc_watch_loop(nc_watch_t *w);
/* One cycle: the last cycle's paths, probes and capture gone, then
 * capture, probe, attribute, classify.  result holds this cycle's paths. */
int nc_watch_cycle(nc_watch_t *w, nc_error_t *err);
/* Whether the target is netcheck's own container (made, and re-made
 * when it dies) rather than the user's (--container, --project: only
 * reported). */
bool nc_watch_owns_target(const nc_watch_t *w);
/* After a cycle: is the prepared container still running?  The engine is
 * asked only when a path of the cycle was not as expected, or after 60
 * cycles without asking.  false with the reason in err when it is gone or
 * stopped. */
bool nc_watch_target_alive(nc_watch_t *w, nc_error_t *err);
/* Its own container died: the target torn down and made again (a new
 * name) on the same engine and loop; the loop's other handles stay. */
int nc_watch_recreate(nc_watch_t *w, nc_error_t *err);
/* Teardown (what it started removed), the loop closed.  Returns r, or an
 * error of teardown's when r was 0.  NULL: r. */
int nc_watch_free(nc_watch_t *w, int r, nc_error_t *err);

#endif
