/* Private to the run module: the state one run's stages share.
 *
 *   run.c          nc_run(): the stages in order, and teardown
 *   run-common.c   the helpers below the stages: progress, interrupt, clock,
 *                  engine connection, environment (calls nothing above it)
 *   run-target.c   the target: a container netcheck launches, or one the user names
 *   run-swarm.c    the target of --swarm: a global service over every node
 *   run-probe.c    the paths a target has, the probes on the run's loop
 *   run-capture.c  capture points, attribution into the model, the pcapng file
 *   run-gc.c       `netcheck gc` (and the stale clean-up at the start of a run)
 *   run-engines.c  `netcheck engines`
 *   run-capture-only.c  `netcheck capture CONTAINER`
 */
#ifndef NETCHECK_RUN_INTERNAL_H
#define NETCHECK_RUN_INTERNAL_H

#include <uv.h>

#include "netcheck/capture.h"
#include "netcheck/engine.h"
#include "netcheck/platform.h"
#include "netcheck/policy.h"
#include "netcheck/probe.h"
#include "netcheck/run.h"

#define NC_RUN_MAX_LISTENERS 64
#define NC_RUN_LOG_TAIL 5        /* log lines kept for a container that exited */
#define NC_RUN_LOG_MAX 1024

typedef struct run_state run_state_t;

/* What a run is about: a container netcheck launched (created, started,
 * always removed unless kept) or one the user names (only inspected:
 * never stopped, changed or removed). */
typedef struct nc_target_ops {
	const char *what;   /* "the test container", "your container" */
	int (*prepare)(run_state_t *s, nc_error_t *err);
	void (*teardown)(run_state_t *s);
} nc_target_ops_t;

extern const nc_target_ops_t nc_target_launched;
extern const nc_target_ops_t nc_target_named;
extern const nc_target_ops_t nc_target_swarm;

struct run_state {
	const nc_run_options_t *opt;  /* borrowed */
	nc_result_t *result;          /* borrowed */
	const nc_target_ops_t *target;
	nc_engine_t *engine;          /* owned */
	nc_engine_version_t version;
	nc_engine_info_t engine_info;
	/* read at the start with the engine's info (nc_engine_survey()) */
	char image[NC_NAME_MAX];      /* the image a launched container runs */
	int image_present;            /* 1 the engine has it, 0 not, < 0 not known yet */
	nc_network_info_t default_bridge; /* the engine's "bridge" network, when read */
	bool have_default_bridge;

	/* the target, once prepared */
	char container_id[80];
	nc_container_info_t info;
	uint16_t port;                /* the container port of netcheck's responder / the first probed */
	uint16_t ports[NC_RUN_MAX_PORTS]; /* container ports probed (TCP) */
	size_t n_ports;
	bool exited;                  /* the container's main process is gone */
	char logs[NC_RUN_LOG_MAX];    /* its last log lines, "| "-joined */
	nc_route_t route;             /* to the container's first address */
	nc_forwarder_t forwarder;     /* the process listening on the published port (IPv4) */
	bool have_forwarder;
	nc_forwarder_t forwarder6;    /* the one listening on [::] (docker-proxy runs one per family) */
	bool have_forwarder6;

	/* container-origin paths (netcheck's responder only) */
	nc_probe_listener_t *host_listener; /* owned: the host end of container-to-host */
	char allow[4][NC_NAME_MAX];   /* the responder's --allow targets */
	size_t n_allow;
	char peer_id[80];             /* --peer: the second container, ours */
	char peer_name[NC_NAME_MAX];
	nc_container_info_t peer_info;
	nc_engine_t *node_engines[NC_RUN_MAX_ENGINES]; /* owned: --swarm's further --engines */
	size_t n_node_engines;
	nc_platform_remote_t remote;  /* netcheck's remote-client namespace; netns_name "" = none */
	char remote_note[NC_DETAIL_MAX]; /* why there is none, for published-remote */
	bool firewall_read;           /* the stage ran: firewall holds its answers */
	nc_diag_firewall_t firewall;  /* what the ruleset says of published-remote */

	/* the run's loop: capture and probes */
	uv_loop_t loop;
	bool loop_ready;
	nc_probe_t *probes[NC_MAX_PATHS]; /* owned */
	size_t probe_path[NC_MAX_PATHS];  /* the result path index of each probe */
	size_t n_probes, probes_done;
	uv_timer_t watchdog;          /* checks opt->interrupted while the loop runs */
	uv_timer_t grace;             /* lets the last packets arrive before capture stops */
	uv_timer_t deadline;          /* netcheck capture --duration */
	nc_capture_t *capture;        /* owned; NULL when not capturing */
	bool capture_running;
	bool capture_stopping;       /* finish called: grace, then stop; its handles may still be closing */
	bool bulk_capture;            /* netcheck capture: larger kernel rings, packets streamed to the file */
	bool capture_ended;           /* capture stopped reading on its own (-c reached, write error) */
	int stream_error;             /* 0, or what writing the streamed file failed with */
	struct nc_pcapng *stream;     /* owned: the file packets stream into, or NULL */
	int stream_ids[NC_CAPTURE_MAX_POINTS]; /* interface id of each capture point, or < 0 */
	uint64_t stream_last_ts;
};

/* run-common.c: helpers every part uses; they call nothing of the run above them */
void nc_run_progress(const run_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool nc_run_interrupted(const run_state_t *s);
uint64_t nc_run_now_ms(void);
void nc_run_sleep_ms(unsigned ms);
/* Discovers, connects and negotiates (DOCKER_CERT_PATH/DOCKER_TLS_VERIFY
 * for TLS).  *ret: new.  url, context: borrowed, may be NULL. */
int nc_run_connect(const char *url, const char *context, uint64_t timeout_ms, volatile sig_atomic_t *intr,
		   nc_engine_t **ret, nc_engine_version_t *ret_version, nc_error_t *err);
/* The engine's kind from its own answers: the one caller of the policy's
 * nc_classify_engine(), given the facts it reads. */
nc_env_kind_t nc_run_engine_kind(const nc_engine_version_t *v, const nc_engine_info_t *info);
/* Fills the environment from the engine's answers and, once the route to
 * the target is known, decides it (classify.c). */
void nc_run_fill_environment(run_state_t *s);
void nc_run_decide_environment(run_state_t *s);

/* run-target.c */
/* The image netcheck launches: --image, or its own responder's tag;
 * ret: borrowed, len bytes.  0 or -ENOSPC. */
int nc_run_image_ref(const run_state_t *s, char *ret, size_t len);
/* The forwarder a published path went through (NULL: none known). */
const nc_forwarder_t *nc_run_forwarder_for(const run_state_t *s, const nc_path_t *p);
/* The container ports of the target with a TCP host binding. */
size_t nc_run_published_ports(const run_state_t *s, nc_engine_proto_t proto, uint16_t *ret, size_t max);
/* Reads exit state, logs and the socket table once a path failed. */
void nc_run_gather_facts(run_state_t *s, nc_diag_facts_t *ret, nc_listener_t *listeners, size_t max,
			 uint16_t *published, size_t max_published);

/* run-probe.c: adds the target's paths and runs the probes on the loop
 * (after capture opened, before it stops). */
int nc_run_probe(run_state_t *s, nc_error_t *err);

/* run-capture.c */
/* Opens the capture points for the target (before any probe).  Returns 0
 * (capture may still be off, with the reason in the environment's
 * capture_note), or -EPERM when capture was required. */
int nc_run_capture_open(run_state_t *s, nc_error_t *err);
/* Called when the probes are done: stops capture after a short grace;
 * close callbacks finish on the loop. */
void nc_run_capture_finish(run_state_t *s);
/* After the loop: attribute packets to paths and write the pcapng file if
 * asked.  Returns 0 or a negative error (file). */
int nc_run_capture_evidence(run_state_t *s, nc_error_t *err);
void nc_run_capture_free(run_state_t *s);

/* run-gc.c: removes what runs that are gone left behind (containers of
 * runs killed with SIGKILL); include_kept also those kept with --keep.
 * Returns how many were removed. */
int nc_run_gc_engine(nc_engine_t *e, bool include_kept,
		     void (*removed_cb)(void *data, const char *id, const char *run_id), void *data, nc_error_t *err);
/* The same over a list already read (nc_engine_survey()): list borrowed,
 * n entries.  Returns how many were removed. */
#define NC_RUN_GC_MAX 256 /* one pass; the next gc takes the rest */
int nc_run_gc_listed(nc_engine_t *e, const nc_container_summary_t *list, size_t n, bool include_kept,
		     void (*removed_cb)(void *data, const char *id, const char *run_id), void *data, nc_error_t *err);

/* The same for --swarm runs' services and overlay networks (a manager's
 * engine; elsewhere nothing).  Returns how many were removed. */
int nc_run_gc_swarm(nc_engine_t *e, bool include_kept,
		    void (*removed_cb)(void *data, const char *id, const char *run_id), void *data);

#endif
