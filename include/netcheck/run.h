/* netcheck: one run.  Owns the engine connection, the test container's
 * life (created, started, always removed unless kept), the libuv loop on
 * which capture and probes run, and the order of it all.  Fills the result
 * model; never prints (progress goes to the caller's callback). */
#ifndef NETCHECK_RUN_H
#define NETCHECK_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "netcheck/common.h"
#include "netcheck/result.h"

#define NC_RUN_LABEL "io.netcheck.run"
#define NC_RUN_PID_LABEL "io.netcheck.pid"
#define NC_RUN_KEEP_LABEL "io.netcheck.keep"
#define NC_RUN_SCOPE_LABEL "io.netcheck.scope" /* "<boot id>/<pid namespace inode>" of the run */
#define NC_DEFAULT_PORT 80
#define NC_RUN_MAX_PORTS 16   /* --port given several times (netcheck probe) */
#define NC_RUN_MAX_ENGINES 8  /* --engine given several times (--swarm) */

typedef void (*nc_progress_fn)(void *data, const char *msg);

/* Every pointer in here is borrowed: the caller keeps it valid for the
 * whole nc_run() / nc_run_gc() / nc_run_capture_only() call. */
/* --capture-via: auto = the agent whenever this host cannot capture the
 * engine's side itself (the bridge not attached here). */
typedef enum nc_capture_via {
	NC_CAPTURE_VIA_AUTO = 0,
	NC_CAPTURE_VIA_HOST,   /* never the agent: today's behaviour */
	NC_CAPTURE_VIA_ENGINE, /* the agent, even where this host could */
} nc_capture_via_t;

typedef struct nc_run_options {
	const char *engine_url;      /* NULL = discover; with --swarm the manager */
	const char *context;         /* --context NAME (else DOCKER_CONTEXT, config.json); NULL = none */
	const char *more_engines[NC_RUN_MAX_ENGINES]; /* --swarm: other nodes' engines */
	size_t n_more_engines;
	bool swarm;                  /* --swarm: a global service over every node */
	const char *target;          /* netcheck probe CONTAINER: the user's container; NULL = launch ours */
	const char *project;         /* netcheck probe --project NAME: every running container of that
				      * Compose project (target is then NULL) */
	const char *to;              /* netcheck probe CONTAINER --to B[:PORT]: the paths from CONTAINER to B; NULL = none */
	uint16_t to_port;            /* --to's PORT: B's container port; 0 = its first TCP one */
	uint16_t ports[NC_RUN_MAX_PORTS]; /* netcheck probe --port N...: container ports; none = every published one */
	size_t n_ports;
	const char *network;         /* --network NAME: a user-defined bridge network; NULL = the default bridge */
	bool peer;                   /* --peer: a second container for container-to-container paths */
	const char *http_path;       /* --http[=PATH]: check HTTP on a user's service ("/" when no PATH); NULL = TCP only */
	const char *image;           /* NULL = netcheck's own responder */
	uint16_t port;               /* container port; 0 = 80 */
	uint16_t host_port;          /* 0 = chosen by the engine */
	bool keep;                   /* keep the container */
	bool allow_offhost;          /* probe a container IP even through a gateway */
	uint64_t probe_timeout_ms;   /* per probe; default 2000 */
	uint64_t engine_timeout_ms;  /* per engine call; default 10000 */
	uint64_t start_timeout_ms;   /* container start to responder listening; default 10000 */
	bool capture;                /* capture packets (default on) */
	bool require_capture;        /* no privilege to capture → fail with -EPERM */
	bool no_witness;             /* leave out the kernel's witness (nftables trace, drop reasons): fakes' runs */
	const char *pcap_path;       /* NULL = no file; named in messages */
	int pcap_fd;                 /* borrowed: opened by the caller (before privileges are dropped); -1 = none */
	bool pcap_classic;           /* --pcap-format pcap */
	/* netcheck capture only: */
	const char *capture_filter;  /* pcap-filter text ANDed with the container's scope; NULL = none */
	uint64_t capture_count;      /* -c: stop once this many packets are in the file; 0 = no limit */
	uint32_t capture_snaplen;    /* -s: bytes per packet, 64..262144; 0 = NC_SNAPLEN (512) */
	nc_capture_via_t capture_via; /* --capture-via: who captures the engine's side */
	const char *expect;          /* --expect spec, NULL = environment's table */
	volatile sig_atomic_t *interrupted; /* borrowed: set by the caller's signal handler */
	nc_progress_fn progress;     /* may be NULL */
	void *progress_data;
} nc_run_options_t;

/* opt, result, err: borrowed for the call.  Runs everything and fills result.  Returns 0 when the run completed
 * (whatever the verdicts), else a negative error with err set; the
 * container is removed in every case unless opt->keep. */
int nc_run(const nc_run_options_t *opt, nc_result_t *result, nc_error_t *err);

/* Called for each thing gc removed: what it is ("container", "service",
 * "network", "image", or the trace tables; static), its id (an image: its
 * "repo:tag") and the run that made it ("" for an image; borrowed for the
 * call). */
typedef void (*nc_run_removed_fn)(void *data, const char *what, const char *id, const char *run_id);

/* Removes containers left by runs that are gone (label NC_RUN_LABEL, owner
 * pid not a live netcheck), and --swarm runs' services and overlay
 * networks, and the responder images of other netcheck builds that no
 * container runs.  removed_cb is called for each one removed.
 * Returns how many were removed or a negative error. */
/* include_kept: also containers kept with --keep (`gc --kept`). */
int nc_run_gc(const char *engine_url, bool include_kept, uint64_t engine_timeout_ms, volatile sig_atomic_t *interrupted,
	      nc_run_removed_fn removed_cb, void *data, nc_error_t *err);

/* `netcheck capture CONTAINER`: the same capture points for a user's own
 * running container, until duration_ms passes, *opt->interrupted is set or
 * opt->capture_count packets were written (the environment's
 * capture_count_reached says so); every packet goes to opt->pcap_fd as it
 * is read, nothing is kept in memory.  Fills the result's environment
 * (per point: packets written, dropped, read but not written) and
 * container record. */
int nc_run_capture_only(const nc_run_options_t *opt, const char *container, uint64_t duration_ms,
			nc_result_t *result, nc_error_t *err);

typedef struct nc_engine_summary {
	char url[512];
	const char *source;      /* static: nc_engine_source_name() */
	int status;              /* 0, or why it could not be used */
	char error[256];
	nc_env_kind_t kind;      /* from the engine's own answers (no container) */
	char name[128];          /* "Docker Engine", "Podman Engine", "Docker Desktop 4.25.0" */
	char version[64];
	char api_version[16];
} nc_engine_summary_t;

/* Every engine netcheck can find here: the one `netcheck run` would use
 * (DOCKER_HOST, else the docker context, else the first well-known socket)
 * and the other well-known sockets, each asked /version and /info.
 * cb gets each (borrowed for the call).  Returns how many answered. */
int nc_run_engines(uint64_t engine_timeout_ms, volatile sig_atomic_t *interrupted,
		   void (*cb)(void *data, const nc_engine_summary_t *e), void *data);

#endif
