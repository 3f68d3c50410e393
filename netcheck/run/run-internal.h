/* Private to the run module: the loop state every stage shares, and the
 * interface every target implements.
 *
 *   run.c             nc_run(): the stages in order, and teardown; picks the target
 *   run-probe.c       the probe stage: the target plans its paths, the probes run on the loop
 *   run-capture.c     the capture stage: the target plans its points; attribution, the pcapng file
 *   target-launched.c a container netcheck launches (`netcheck run`)
 *   target-named.c    a running container the user names (`netcheck probe`, `netcheck capture`)
 *   target-swarm.c    a global service over every node (`netcheck run --swarm`)
 *   target-swarm-agents.c  its capture: an agent on every node
 *   target-project.c  every running container of a Compose project (`netcheck probe --project`)
 *   target-container.c what the two container targets share (target-container.h)
 *   run-paths.c       the helpers a target adds its paths' probes with
 *   run-ready.c       the IPv6 readiness wait before the probes
 *   run-common.c      the helpers below everything: progress, interrupt, clock,
 *                     engine connection, environment (calls nothing above it)
 *   run-gc.c          `netcheck gc` (and the stale clean-up at the start of a run)
 *   run-engines.c     `netcheck engines`
 *   run-capture-only.c  `netcheck capture CONTAINER`
 *
 * Calls go down this list's layers only: run.c → stages → a target (through
 * its ops) → run-paths.c / run-common.c / run-gc.c.  The stages know no
 * target by name: only nc_run_target_for() picks one from the command's
 * options (for nc_run() and watch).
 */
#ifndef NETCHECK_RUN_INTERNAL_H
#define NETCHECK_RUN_INTERNAL_H

#include <stdarg.h>

#include <uv.h>

#include "netcheck/capture.h"
#include "netcheck/engine.h"
#include "netcheck/platform.h"
#include "netcheck/policy.h"
#include "netcheck/probe.h"
#include "netcheck/run.h"

#define NC_RUN_MAX_LISTENERS 64

typedef struct run_state run_state_t;

/* What a target captures: the points it adds (between loopback and the
 * default-route interface, which every run on this host has) and the
 * scope filter, or why it captures nothing.  Filled by plan_capture. */
typedef struct nc_run_capture_point {
	nc_point_kind_t kind;
	char ifname[NC_IFNAME_MAX];
	char description[128];
	int netns_pid;               /* > 0: opened inside that process's network namespace */
	/* --project: whose it is, when one of several containers' (its veth,
	 * its eth0); "" otherwise.  owner names its eth0 (nc_point_name_of);
	 * container is the paths' nc_path_t.container, for the diagnoses. */
	char owner[NC_POINT_NAME_MAX];
	char container[NC_NAME_MAX];
} nc_run_capture_point_t;

typedef struct nc_run_capture_plan {
	const char *none;            /* static: why the target captures nothing; NULL = it does */
	char filter[NC_CAPTURE_FILTER_MAX]; /* "(host A or ...) or (tcp port P ...)": the target's scope */
	nc_run_capture_point_t points[NC_CAPTURE_MAX_POINTS];
	size_t n_points;
	nc_endpoint_t container6;    /* where a [::] forwarder leads (attribution); family 0 = none */
} nc_run_capture_plan_t;

/* The interface of a target: a launched container, a named one, a swarm
 * service (and the ones to come).  Every op gets the loop state and the
 * target's own state (t: ops->size bytes, zeroed by the run, freed after
 * teardown; opaque to the stages).  In stage order: */
typedef struct nc_target_ops {
	const char *what;   /* "the test container", "your container" */
	size_t size;        /* of its own state */
	/* its points include this host's interfaces (loopback, a bridge, a
	 * veth): capture's spares open while it is prepared (run-capture.c) */
	bool host_points;
	/* discover: what it needs from the engine's first reads, added to sv
	 * (one round of calls for every target); then the answers */
	int (*survey)(run_state_t *s, void *t, nc_engine_survey_t *sv, nc_error_t *err);
	int (*take_survey)(run_state_t *s, void *t, const nc_engine_survey_t *sv, nc_error_t *err);
	/* makes or finds the target; decides the environment once its route is known */
	int (*prepare)(run_state_t *s, void *t, nc_error_t *err);
	/* adds its capture points and scope to plan, or says in plan->none why
	 * it has none; < 0 ends the run */
	int (*plan_capture)(run_state_t *s, void *t, nc_run_capture_plan_t *plan, nc_error_t *err);
	/* once capture runs (and --capture-via is not host): starts its own
	 * capture agents (run-agent.c) and waits for them; 0 or -ENOMEM.
	 * NULL: the stage's one agent of the engine, when it is wanted */
	int (*start_agents)(run_state_t *s, void *t);
	/* adds its paths to the result and their probes to the loop
	 * (run-paths.c), in report order; still privileged */
	void (*plan_paths)(run_state_t *s, void *t, uint64_t timeout_ms);
	/* the facts a diagnosis needs: those known already (path_failed false),
	 * then, at the first path that failed, those read now (again at the
	 * first failed path of each other container, s->failed_path naming
	 * it, where a target has several).  false: none.
	 * ret and what it points to: valid until teardown. */
	bool (*gather_facts)(run_state_t *s, void *t, bool path_failed, nc_diag_facts_t *ret);
	/* the forwarder a published path went through; NULL: none known */
	const nc_forwarder_t *(*forwarder_for)(const void *t, const nc_path_t *p);
	/* always, once the engine is connected: removes what prepare made
	 * (unless kept), frees what the target owns */
	void (*teardown)(run_state_t *s, void *t);
} nc_target_ops_t;

extern const nc_target_ops_t nc_target_launched;
extern const nc_target_ops_t nc_target_named;
extern const nc_target_ops_t nc_target_swarm;
extern const nc_target_ops_t nc_target_project;
extern const nc_target_ops_t nc_target_to;

/* The engine calls the generic stages make, as a table: the real one, or
 * a unit test's fake (the targets call the engine directly). */
typedef struct nc_run_engine_ops {
	/* discovers, connects and negotiates, and reads sv's survey in the
	 * same round (nc_engine_negotiate_survey); *ret: new */
	int (*connect)(const nc_run_options_t *opt, nc_engine_survey_t *sv, nc_engine_t **ret,
		       nc_engine_version_t *ret_version, nc_error_t *err);
	const char *(*url)(const nc_engine_t *e);
	void (*free_engine)(nc_engine_t *e);
} nc_run_engine_ops_t;

extern const nc_run_engine_ops_t nc_run_engine_real;

/* The loop state: what the stages share, whatever the target. */
struct run_state {
	const nc_run_options_t *opt;  /* borrowed */
	nc_result_t *result;          /* borrowed */
	const nc_target_ops_t *target;
	void *target_state;           /* owned: target->size bytes */
	const nc_run_engine_ops_t *eng;
	bool keep_privileges;         /* watch (run-watch.c): every cycle opens capture again */
	const nc_path_t *failed_path; /* borrowed: the failed path gather_facts is asked for; NULL otherwise */
	nc_engine_t *engine;          /* owned */
	nc_engine_version_t version;
	nc_engine_info_t engine_info;

	/* the run's loop: capture and probes */
	uv_loop_t loop;
	bool loop_ready;
	int loop_closed;              /* what uv_loop_close() said in teardown: 0, or a handle was left open */
	nc_probe_listener_t *host_listener; /* owned: the host end of container-to-host; closed when the probes end */
	nc_probe_t *probes[NC_MAX_PATHS]; /* owned */
	size_t probe_path[NC_MAX_PATHS];  /* the result path index of each probe */
	size_t probe_after[NC_MAX_PATHS]; /* 0, or 1 + the probe it starts after (run-probe.c) */
	size_t n_probes, probes_done;
	uv_timer_t watchdog;          /* checks opt->interrupted while the loop runs */
	uv_timer_t grace;             /* lets the last packets arrive before capture stops */
	uv_timer_t deadline;          /* netcheck capture --duration */
	nc_capture_t *capture;        /* owned; NULL when not capturing */
	struct run_capture_opening *capture_opening; /* owned: points opening on their threads (run-capture.c) */
	struct run_capture_spares *spares; /* owned: handles opened while the target is prepared (run-capture.c) */
	bool quick_points;            /* the default run: spares here, ring-less points in other netns */
	bool capture_running;
	bool capture_stopping;       /* finish called: grace, then stop; its handles may still be closing */
	bool bulk_capture;            /* netcheck capture: larger kernel rings, packets streamed to the file */
	bool capture_ended;           /* capture stopped reading on its own (-c reached, write error) */
	nc_endpoint_t capture_container6; /* the target's plan: where a [::] forwarder leads */
	int stream_error;             /* 0, or what writing the streamed file failed with */
	struct nc_pcapng *stream;     /* owned: the file packets stream into, or NULL */
	int stream_ids[NC_CAPTURE_MAX_POINTS]; /* interface id of each capture point, or < 0 */
	uint64_t stream_last_ts;
	/* the witness (run-witness.c): the kernel's trace and drop reasons */
	struct run_witness *witness;  /* owned; NULL: none */
	struct run_privileged *privileged; /* owned (run-privileged.c); NULL: none */
	struct run_conntrack *conntrack; /* owned (run-conntrack.c); NULL: none */
	nc_endpoint_t witness_src[NC_MAX_PATHS]; /* a path's source address when the target knows it before
						  * the probe (published-remote's client); family 0: unknown */
	struct nc_run_agent *agents[NC_MAX_NODES]; /* owned: the capture agents on the engines' side (run-agent.c):
						    * the one of the engine, or one per swarm node */
	size_t n_agents;
	struct run_ready *ready;      /* owned: the IPv6 readiness wait while it runs (run-ready.c); NULL none */
	unsigned grace_rounds;        /* grace re-armed while the agent sends its last packets */
	uint64_t grace_read;          /* packets read by the last look (nc_capture_read_ready) */
	uint64_t grace_start_ms;      /* when the probes were done */
};

/* run.c: the stages over s's target (s->opt, result, target, target_state
 * and eng set by the caller, the rest zeroed), then teardown, whatever
 * stage stopped the run.  Returns as nc_run(). */
int nc_run_stages(run_state_t *s, nc_error_t *err);
/* The same in parts, for watch (run-watch.c): discover and prepare once;
 * capture, probe, attribute, classify once a cycle (after
 * nc_watch_cycle's reset); teardown once, passing r through. */
int nc_run_setup(run_state_t *s, nc_error_t *err);
int nc_run_cycle(run_state_t *s, nc_error_t *err);
int nc_run_teardown(run_state_t *s, int r, nc_error_t *err);
/* watch: its own container died; the target torn down and prepared anew
 * (a new run id) on the same engine and loop.  Returns as nc_run_setup(). */
int nc_run_prepare_again(run_state_t *s, nc_error_t *err);
/* The target the command's options name: swarm, project, named, launched.
 * nc_run() and watch pick theirs here. */
const nc_target_ops_t *nc_run_target_for(const nc_run_options_t *opt);
/* The same with the state made here: target->size bytes for the target.
 * opt, target, eng, result, err: borrowed for the call. */
int nc_run_with(const nc_run_options_t *opt, const nc_target_ops_t *target, const nc_run_engine_ops_t *eng,
		nc_result_t *result, nc_error_t *err);

/* run-common.c: helpers every part uses; they call nothing of the run above them */
void nc_run_progress(const run_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool nc_run_interrupted(const run_state_t *s);
/* Runs the loop (outside its callbacks) until done(data), ms passed or,
 * with stop_on_interrupt, the run is interrupted: the one way the run
 * waits on its loop for a job or an answer.  Returns done(data).
 * nc_run_flag_clear: done when the bool at flag is false. */
#define NC_RUN_JOB_WAIT_MS 30000 /* a job on the pool or the privileged thread: ms, not seconds */
bool nc_run_loop_until(run_state_t *s, bool (*done)(const void *data), const void *data, uint64_t ms,
		       bool stop_on_interrupt);
bool nc_run_flag_clear(const void *flag);
/* Appends a reason to note (len bytes, a string), after "; " when it
 * holds one already; cut where it does not fit. */
void nc_run_note_append(char *note, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void nc_run_note_vappend(char *note, size_t len, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
uint64_t nc_run_now_ms(void);
void nc_run_sleep_ms(unsigned ms);
/* r, an inspect's answer about a container or network the user named
 * (kind: "container", "network"; name as given): NC_EGONE or NC_ENOTFOUND
 * becomes NC_ENOTFOUND with "no KIND 'NAME' in the engine at URL" in err;
 * anything else is returned unchanged (err as the call left it). */
int nc_run_not_found(const run_state_t *s, int r, const char *kind, const char *name, nc_error_t *err);
/* Removes a container netcheck made (force; its anonymous volumes too
 * when volumes): 0 once it is gone (or already going), else the last
 * error.  Bounded retries, the policy beside it in run-common.c; a signal
 * cuts it short only if e's cancel flag is set (teardown sets it aside).
 * Blocks: safe on any thread that owns e.  e, id: borrowed. */
int nc_run_remove_container(nc_engine_t *e, const char *id, bool volumes);
/* That policy alone: ms to wait before another try after error r, the
 * tries'th (from 1), elapsed_ms after the first began; -1: stop. */
int nc_run_remove_retry_ms(int r, unsigned tries, uint64_t elapsed_ms);
/* Discovers, connects and negotiates (DOCKER_CERT_PATH/DOCKER_TLS_VERIFY
 * for TLS), reading sv's survey with /version when sv is not NULL.
 * *ret: new.  url, context, sv: borrowed, may be NULL. */
int nc_run_connect(const char *url, const char *context, uint64_t timeout_ms, volatile sig_atomic_t *intr,
		   nc_engine_survey_t *sv, nc_engine_t **ret, nc_engine_version_t *ret_version, nc_error_t *err);
/* The engine's kind from its own answers: the one caller of the policy's
 * nc_classify_engine(), given the facts it reads. */
nc_env_kind_t nc_run_engine_kind(const nc_engine_version_t *v, const nc_engine_info_t *info);
/* The container port a run probes first: --port, the first of several,
 * else 80 for netcheck's own container, 0 (any published) for a user's. */
uint16_t nc_run_default_port(const nc_run_options_t *opt);
/* Fills the environment from the engine's answers and, once the route to
 * the target is known, decides it (classify.c); route NULL: no one route
 * (the engine's own kind). */
void nc_run_fill_environment(run_state_t *s);
void nc_run_decide_environment(run_state_t *s, const nc_route_t *route);
void nc_run_kernel_facts(run_state_t *s);
/* Adds a point to a capture plan (dropped when full). */
void nc_run_plan_point(nc_run_capture_plan_t *plan, nc_point_kind_t kind, const char *ifname,
		       const char *description, int netns_pid);

/* netcheck's responder image (run-image.c): its reference, and the
 * import when the engine lacks it.  present: the survey's answer (1 there,
 * 0 not), < 0 to ask the engine now.  The import is said with progress. */
int nc_run_responder_image_ref(char *ret, size_t len);
int nc_run_ensure_responder_image(run_state_t *s, int present, nc_error_t *err);
/* The labels of every container netcheck makes: the run, its process and
 * where that pid means something (spec->labels gains three; the values
 * point into owner, which must outlive the spec's use). */
typedef struct nc_run_owner {
	char pid[16];
	char scope[NC_ENGINE_LABEL_VALUE_MAX];
} nc_run_owner_t;
void nc_run_label_spec(const run_state_t *s, nc_container_spec_t *spec, nc_run_owner_t *owner);

/* run-paths.c: what a target adds its paths' probes with */
/* Takes the probe made for p (r: what making it returned): kept for the
 * probe stage, or p says why none is sent.  probe: ownership taken. */
void nc_run_add_probe(run_state_t *s, nc_path_t *p, int r, nc_probe_t *probe);
/* A probe of each kind for p (NULL p, or the table full: nothing). */
void nc_run_add_tcp(run_state_t *s, nc_path_t *p, uint64_t timeout);
void nc_run_add_icmp(run_state_t *s, nc_path_t *p, uint64_t timeout);
void nc_run_add_udp(run_state_t *s, nc_path_t *p, uint64_t timeout);
/* The same from socket_fd, a socket made elsewhere (netcheck's
 * remote-client namespace); < 0: a new one.  socket_fd: ownership taken,
 * closed whatever happens. */
void nc_run_add_tcp_from(run_state_t *s, nc_path_t *p, uint64_t timeout, int socket_fd);
void nc_run_add_udp_from(run_state_t *s, nc_path_t *p, uint64_t timeout, int socket_fd);
/* netcheck's own responder: it answers UDP and connects out on request */
bool nc_run_ours(const run_state_t *s);
/* Do the run's TCP probes send nothing (a user's service, no --http)?
 * Then only time ties a forwarder's connection to a probe. */
bool nc_run_probes_send_nothing(const run_state_t *s);

/* run-host-end.c: the host end of container-to-host */
typedef struct nc_run_host_end {
	bool add_host_gateway;      /* the container needs --add-host host.docker.internal:host-gateway */
	const char *nameserver_for; /* static: the name the responder may ask the container's name server; NULL none */
	char ifname[NC_IFNAME_MAX]; /* the listener's interface, where the connection arrives */
	char note[NC_DETAIL_MAX];   /* why there is no listener (the path's detail) */
} nc_run_host_end_t;
/* Decides where netcheck listens (s->host_listener) and what the container
 * needs to get there (the file's comment says from which facts).
 * default_bridge: borrowed, NULL when not read.  0, or negative with
 * ret->note saying why there is no listener. */
int nc_run_host_end_open(run_state_t *s, const nc_network_info_t *default_bridge, nc_run_host_end_t *ret);
/* Before the listener closes: its count of connections onto the
 * container-to-host path. */
void nc_run_host_end_record(run_state_t *s);

/* run-probe.c: the probe stage (after capture opened, before it stops) */
int nc_run_probe(run_state_t *s, nc_error_t *err);

/* run-capture.c: the capture stage */
/* Opens the capture points the target plans (before any probe).  Returns 0
 * (capture may still be off, with the reason in the environment's
 * capture_note), or -EPERM when capture was required. */
int nc_run_capture_open(run_state_t *s, nc_error_t *err);
/* The same in two halves: _begin plans the points and starts opening each
 * on a thread of its own (each waits ~10 ms for the kernel), _end waits
 * for them and starts reading; the run does its other privileged work
 * between them.  _begin's errors are the plan's; _end returns as
 * nc_run_capture_open (0 when nothing was begun).  nc_run_capture_free
 * forgets what was begun and never ended. */
/* Opens spare capture handles on threads while the target is prepared
 * (the default run, capture on): open_begin aims the points in this netns
 * at them.  Never fails: without spares the points open as before. */
void nc_run_capture_spares_begin(run_state_t *s);
int nc_run_capture_open_begin(run_state_t *s, nc_error_t *err);
int nc_run_capture_open_end(run_state_t *s, nc_error_t *err);
/* Called when the probes are done: stops capture after a short grace;
 * close callbacks finish on the loop. */
void nc_run_capture_finish(run_state_t *s);
/* After the loop: attribute packets to paths and write the pcapng file if
 * asked.  Returns 0 or a negative error (file). */
int nc_run_capture_evidence(run_state_t *s, nc_error_t *err);
void nc_run_capture_free(run_state_t *s);
/* run-capture-file.c: the capture file.  _open_writer: the file on
 * opt->pcap_fd with an interface per capture point (ret_ids[i]: its id, or
 * < 0; *ret: new); _stream_packet: nc_capture_set_packet_cb's callback of
 * a streamed file (data: s); _stream_close: its counters, flushed, closed;
 * _write_pcap: the whole file from the attributed packets (probe_of,
 * leg_of: per packet; path_of_probe: per probe). */
int nc_run_capture_open_writer(run_state_t *s, struct nc_pcapng **ret, int *ret_ids, nc_error_t *err);
int nc_run_capture_stream_packet(nc_capture_t *c, const nc_capture_frame_t *f, void *data);
int nc_run_capture_stream_close(run_state_t *s, nc_error_t *err);
int nc_run_capture_write_pcap(run_state_t *s, const nc_packet_t *pkts, size_t n, const int *probe_of,
			      const nc_leg_t *leg_of, const int *path_of_probe, nc_error_t *err);

/* run-privileged.c: the drop of every thread's capabilities, and the one
 * thread made before it that keeps them for the witness's netlink work.
 * nc_run_privileged_start makes the thread (before the drop; 0 or negative
 * errno); _queue runs work on it and after on the loop, as uv_queue_work
 * (on libuv's pool itself when the run keeps its privileges: a watch);
 * _free waits for every job's after, then joins it; _tid is its thread id
 * (0: none).  nc_run_drop_privileges drops libuv's pool threads (one item
 * each, held until each has its own thread) and the calling thread. */
int nc_run_privileged_start(run_state_t *s);
int nc_run_privileged_queue(run_state_t *s, uv_work_t *req, uv_work_cb work, uv_after_work_cb after);
int nc_run_privileged_tid(const run_state_t *s);
void nc_run_privileged_free(run_state_t *s);
int nc_run_drop_privileges(run_state_t *s, bool keep_dac_override);

/* run-witness.c: the kernel's view of the run's own packets */
/* Not left out (--no-witness, NETCHECK_NO_WITNESS=1). */
bool nc_run_witness_enabled(const run_state_t *s);
/* Starts loading the drop-reason program on libuv's pool (the loop exists). */
void nc_run_witness_load(run_state_t *s);
/* Once the paths are planned, before privileges drop and the first probe:
 * the trace table for every probe's flow, the drop reasons' flows. */
void nc_run_witness_start(run_state_t *s);
/* After the probes: stops both, reads each path's facts and the settings. */
void nc_run_witness_collect(run_state_t *s);
/* After collect: queues the trace table's removal on the privileged
 * thread.  It waits for the kernel there (10-30 ms): queue the conntrack
 * lookups first, which the run waits for. */
void nc_run_witness_release(run_state_t *s);
/* Once the loop has stopped: the dropping rules' text, from the ruleset
 * read on the pool meanwhile. */
void nc_run_witness_name_rules(run_state_t *s);
/* f->witness and f->traced for the path at index path (NULL when none). */
void nc_run_witness_facts(const run_state_t *s, size_t path, nc_diag_facts_t *f);
/* Removes the trace table (its owner socket closes), unloads the program.
 * Teardown's, whatever stopped the run. */
void nc_run_witness_free(run_state_t *s);
/* watch, between cycles: a witness for the next one.  The trace table goes
 * (the next gets its own); the drop-reason program stays attached, its
 * flows and drops forgotten (or loads again when there was none). */
void nc_run_witness_next_cycle(run_state_t *s);
/* run-conntrack.c: the conntrack entry of each path's own connection.
 * _lookup queues the lookups after the probes (off the loop, where
 * CAP_NET_ADMIN is kept); _record waits for them and writes each path's
 * entry (p->conntrack); _free waits for work still out. */
void nc_run_conntrack_lookup(run_state_t *s);
void nc_run_conntrack_record(run_state_t *s);
void nc_run_conntrack_free(run_state_t *s);
/* run-ready.c: the IPv6 readiness wait before the probes */
/* Once the paths are planned, while privileged: when a probe dials IPv6,
 * opens the netlink sockets (the container's namespace) and finds the
 * host interfaces its routes take.  Resets the environment's ipv6_ready. */
void nc_run_ready_open(run_state_t *s);
/* Polls on a timer of the loop until no address on those routes is
 * tentative (or one failed DAD, or the bound passed), then calls then
 * (at once when nothing is to be waited for).  The loop must run. */
void nc_run_ready_wait(run_state_t *s, void (*then)(run_state_t *s));
/* Teardown's, whatever stopped the run: the sockets, the timer (closed on the loop). */
void nc_run_ready_free(run_state_t *s);
/* run-agent.c: the capture agent on the engine's side */
/* Is it to be used (--capture-via, and whether this host sees the engine's bridge)? */
bool nc_run_agent_wanted(const run_state_t *s);
/* Once the run's container has started (its id known: a rootless
 * engine's agent joins its namespaces): makes the agent, on a thread, when
 * this host will not see the engine's side (gateway4: the container's
 * network's IPv4 gateway, "" when unknown; NULL: the environment is
 * decided already, a user's running container), while the run waits for
 * the container to listen, or opens this host's points.  Its points come with nc_run_agent_start.
 * Never fails the run. */
void nc_run_agent_early(run_state_t *s, const char *gateway4);
/* Once s->capture is started: the agent made early, or made now (its
 * container created, attached, started), is told the container's points
 * (TARGET), and waited for (on the loop) until they are fed points of
 * s->capture and its clock is sampled.  Whatever fails is noted in the
 * environment's agent_note: the run goes on with this host's capture.
 * Returns 0, or -ENOMEM. */
int nc_run_agent_start(run_state_t *s);
/* One agent through engine e (borrowed for the call: the agent connects
 * on a handle of its own) from image (netcheck's, held by that engine);
 * args are its TARGET's words (its points, sent once its stream is
 * polled; borrowed for the call; none: nc_run_agent_start names them,
 * or a later launch for the same node: an agent launched already with no
 * points takes these, nothing else is made);
 * node_id and node_name (may be NULL) put a swarm node in its points'
 * names "<ifname>@<node>", "<ifname>@task.<node>".  nc_run_agent_begin
 * makes (create, attach, start) every launched agent, each on a thread;
 * nc_run_agent_wait begins those not begun, then waits for all of them at
 * once.  0, or -ENOMEM; what else fails is noted (agent_note) and the run
 * goes on. */
int nc_run_agent_launch(run_state_t *s, nc_engine_t *e, const char *image, const char *const *args, size_t n_args,
			const char *node_id, const char *node_name);
void nc_run_agent_begin(run_state_t *s);
void nc_run_agent_wait(run_state_t *s);
/* When the probes are done: asks it to stop; its last packets and BYE
 * follow on the loop.  done: true once it said BYE or is gone (give_up:
 * it is gone now, its points incomplete). */
void nc_run_agent_stop(run_state_t *s);
bool nc_run_agent_done(run_state_t *s, bool give_up);
/* Teardown, with the engine still connected: the container removed, the
 * handle closed (freed in its close callback). */
void nc_run_agent_free(run_state_t *s);
/* Removes the agent's container now (nc_run_agent_free() then has none
 * to remove): before the target's, which it may share namespaces with
 * (rootless), and which Podman will not remove while it does. */
void nc_run_agent_remove(run_state_t *s);
/* The same, beside the target's own removal: each agent's on a thread
 * until nc_run_agent_remove (or _free) joins them; at once when an agent
 * shares the target's namespaces. */
void nc_run_agent_remove_begin(run_state_t *s);

/* run-gc.c: removes what runs that are gone left behind (containers of
 * runs killed with SIGKILL); include_kept also those kept with --keep.
 * Returns how many were removed. */
int nc_run_gc_engine(nc_engine_t *e, bool include_kept, nc_run_removed_fn removed_cb, void *data, nc_error_t *err);
/* The same over a list already read (nc_engine_survey()): list borrowed,
 * n entries.  Returns how many were removed. */
#define NC_RUN_GC_MAX 256 /* one pass; the next gc takes the rest */
int nc_run_gc_listed(nc_engine_t *e, const nc_container_summary_t *list, size_t n, bool include_kept,
		     nc_run_removed_fn removed_cb, void *data, nc_error_t *err);

/* The same for --swarm runs' services and overlay networks (a manager's
 * engine; elsewhere nothing).  Returns how many were removed. */
int nc_run_gc_swarm(nc_engine_t *e, bool include_kept, nc_run_removed_fn removed_cb, void *data);

#endif
