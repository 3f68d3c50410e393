/* netcheck watch's view of the model over many cycles: the OpenMetrics
 * (or Prometheus text) exposition, the NDJSON line of one cycle, and the
 * line saying a path changed state.  Reads the model only; decides and
 * prints nothing (cli writes what it renders).  Memory is fixed once the
 * paths are known: at most NC_MAX_PATHS paths and NC_METRICS_MAX_CODES
 * failure codes each, whatever the number of cycles. */
#ifndef NETCHECK_METRICS_H
#define NETCHECK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/result.h"

#define NC_METRICS_MAX_CODES 8   /* distinct failure codes counted per path; more are "other" */
#define NC_METRICS_BUCKETS 12    /* latency buckets, +Inf not counted */

typedef struct nc_metrics nc_metrics_t;

/* returns: new; NULL out of memory */
nc_metrics_t *nc_metrics_new(void);
void nc_metrics_free(nc_metrics_t *m); /* NULL is a no-op */

/* Called for each path whose state changed since the last cycle, with one
 * line ("published-remote: reachable → dropped (…)"), and at a path's first
 * cycle when it is not as expected ("published-remote: dropped (…)");
 * the line is borrowed for the call. */
typedef void (*nc_metrics_change_fn)(void *data, const char *line);

/* Counts one cycle: r (borrowed for the call) and how long it took.  The
 * first cycle reports no change (its lines say what is not as expected).
 * ascii: "->" instead of "→".  Returns how many paths changed state. */
int nc_metrics_observe(nc_metrics_t *m, const nc_result_t *r, double cycle_seconds, bool ascii,
		       nc_metrics_change_fn cb, void *data);

/* The exposition: OpenMetrics 1.0 (ends in "# EOF") or, openmetrics
 * false, Prometheus text 0.0.4.  returns: new (free()), NULL out of memory. */
char *nc_metrics_render(const nc_metrics_t *m, bool openmetrics);

#define NC_METRICS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define NC_METRICS_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One cycle as one JSON line (no newline): cycle number, time (unix
 * seconds), its duration and each path's verdict, mechanism, latency and
 * diagnosis code.  returns: new (free()), NULL out of memory. */
char *nc_metrics_cycle_json(const nc_result_t *r, uint64_t cycle, double unix_time, double cycle_seconds);

#endif
