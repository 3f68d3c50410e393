/* Private to the run module: the state shared by run.c (engine, container,
 * probes) and run-capture.c (capture points, attribution, the pcapng file). */
#ifndef NETCHECK_RUN_INTERNAL_H
#define NETCHECK_RUN_INTERNAL_H

#include <uv.h>

#include "netcheck/capture.h"
#include "netcheck/engine.h"
#include "netcheck/platform.h"
#include "netcheck/probe.h"
#include "netcheck/run.h"

typedef struct run_state {
	const nc_run_options_t *opt;
	nc_result_t *result;
	nc_engine_t *engine;
	nc_engine_info_t engine_info;
	nc_container_info_t info;
	char container_id[80];
	uint16_t port;
	uv_loop_t loop;
	bool loop_ready;
	nc_probe_t *probes[NC_PATH_KIND_COUNT];
	size_t n_probes, probes_done;
	uv_timer_t watchdog;     /* checks opt->interrupted while the loop runs */
	uv_timer_t grace;        /* lets the last packets arrive before capture stops */
	uv_timer_t deadline;     /* netcheck capture --duration */
	nc_forwarder_t forwarder; /* the process listening on the published port */
	bool have_forwarder;
	nc_capture_t *capture;   /* NULL when not capturing */
	bool capture_running;
	bool bulk_capture;       /* netcheck capture: larger kernel rings, packets streamed to the file */
	bool capture_ended;      /* capture stopped reading on its own (-c reached, write error) */
	int stream_error;        /* 0, or what writing the streamed file failed with */
	struct nc_pcapng *stream; /* owned: the file packets stream into, or NULL */
	int stream_ids[NC_CAPTURE_MAX_POINTS]; /* interface id of each capture point, or < 0 */
	uint64_t stream_last_ts;
} run_state_t;

/* Opens the capture points for this container (before any probe).
 * Returns 0 (capture may still be off, with the reason in the
 * environment's capture_note), or -EPERM when capture was required. */
int nc_run_capture_open(run_state_t *s, nc_error_t *err);
/* Called when the probes are done: stops capture after a short grace;
 * close callbacks finish on the loop. */
void nc_run_capture_finish(run_state_t *s);
/* After the loop: attribute packets to paths, refine mechanisms, write
 * the pcapng file if asked.  Returns 0 or a negative error (file). */
int nc_run_capture_evidence(run_state_t *s, nc_error_t *err);
void nc_run_capture_free(run_state_t *s);

#endif
