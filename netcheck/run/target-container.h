/* Private to the container targets (target-launched.c, target-named.c,
 * target-project.c, target-to.c):
 * the state and the code both share (target-container.c).  The stages
 * never include this: they reach a target only through its ops. */
#ifndef NETCHECK_TARGET_CONTAINER_H
#define NETCHECK_TARGET_CONTAINER_H

#include "run-internal.h"

#define NC_RUN_LOG_TAIL 5        /* log lines kept for a container that exited */
#define NC_RUN_LOG_MAX 1024

/* A container's facts, once prepared: the first member of each container
 * target's own state. */
#define NC_CT_OTHERS_MAX 4     /* other containers a diagnosis may name as the one that answered */
#define NC_CT_OTHER_PORTS_MAX 4 /* host ports asked about in one cycle */

typedef struct nc_container_target {
	char container_id[80];
	char service[NC_ENGINE_LABEL_VALUE_MAX]; /* a project's service: qualifies path names; "" otherwise */
	char name[NC_NAME_MAX];       /* the container's name as listed (a project's) */
	nc_container_info_t info;
	uint16_t port;                /* the container port of netcheck's responder / the first probed */
	uint16_t ports[NC_RUN_MAX_PORTS]; /* container ports probed (TCP) */
	size_t n_ports;
	uint16_t udp_ports[NC_RUN_MAX_PORTS]; /* container ports probed (UDP) */
	size_t n_udp_ports;
	bool exited;                  /* the container's main process is gone */
	char logs[NC_RUN_LOG_MAX];    /* its last log lines, "| "-joined */
	nc_route_t route;             /* to the container's first address */
	nc_forwarder_t forwarder;     /* the process listening on the published port (IPv4) */
	bool have_forwarder;
	nc_forwarder_t forwarder6;    /* the one listening on [::] (docker-proxy runs one per family) */
	bool have_forwarder6;
	bool forwarder6_known;        /* whether anything listens on [::] is known: looked up, and
				       * either nothing listens or its process was seen */
	/* [i][0]/[1]: the process holding the UDP socket of info.ports[i]'s host
	 * port, IPv4 / IPv6 (ss -ulpn's); pid 0 = none */
	nc_forwarder_t udp_forwarders[NC_ENGINE_MAX_PORTS][2];
	/* what gather_facts hands the diagnosis (valid until teardown) */
	nc_listener_t listeners[NC_RUN_MAX_LISTENERS];
	uint16_t published[NC_ENGINE_MAX_PORTS];
	nc_publish_binding_t bindings[NC_ENGINE_MAX_PORTS];
	/* the other containers publishing a host port a reachable path's
	 * answer is in question for (listed at the cycle's first gather) */
	nc_other_container_t others[NC_CT_OTHERS_MAX];
	size_t n_others;
	bool others_listed;
} nc_container_target_t;

/* A container target's remote client (target-remote.c): the launched
 * target's published-remote, the named target's remote path to each
 * published TCP and UDP port */
typedef struct nc_remote_client {
	nc_platform_remote_t ns;      /* netcheck's remote-client namespace; netns_name "" = none */
	char note[NC_DETAIL_MAX];     /* why there is none, for the remote paths */
	bool with_udp;                /* set before _begin: the target adds published-remote-udp too */
	bool firewall_read;           /* the ruleset was read: firewall holds its answers */
	nc_diag_firewall_t firewall;  /* what the ruleset says of published-remote */
	struct fw_read *fw;           /* owned until waited for: the read on its thread (target-remote.c) */
	uv_thread_t thread;           /* makes ns while the engine starts the container */
	bool pending;                 /* thread not joined yet */
	run_state_t *run;             /* borrowed, for thread */
} nc_remote_client_t;

/* Starts making the namespace on a thread (it needs nothing of the
 * container; only when a remote path the target adds is selected and the
 * engine's ports are this host's, else note says why not); _join waits
 * for it (before anything reads rc); _free joins and removes it
 * (idempotent).  Reading rc's answers needs the container up (ct
 * prepared): _read_firewall before the paths' probes (privileged),
 * _plan_capture its host-side veth as a capture point; _add_path adds the
 * launched target's published-remote and its probe, _plan_paths a remote
 * path for every probed TCP and UDP port of ct, per its publish address. */
void nc_remote_begin(run_state_t *s, nc_remote_client_t *rc);
void nc_remote_join(nc_remote_client_t *rc);
void nc_remote_free(nc_remote_client_t *rc);
void nc_remote_read_firewall(run_state_t *s, nc_remote_client_t *rc, const nc_container_target_t *ct);
/* The same read begun early, on a thread of its own (the launched
 * target, once its container is up): _read_firewall then only waits for it. */
void nc_remote_read_firewall_begin(run_state_t *s, nc_remote_client_t *rc, const nc_container_target_t *ct);
void nc_remote_plan_capture(const nc_remote_client_t *rc, nc_run_capture_plan_t *plan);
void nc_remote_add_path(run_state_t *s, nc_remote_client_t *rc, nc_container_target_t *ct, uint64_t timeout);
void nc_remote_plan_paths(run_state_t *s, const nc_remote_client_t *rc, const nc_container_target_t *ct,
			  uint64_t timeout);
/* Whether a remote client has anything of ct to reach: it runs, on a
 * network of its own (not none, not the host's), with a probed port. */
bool nc_remote_wanted(const nc_container_target_t *ct);

/* target-named.c: inspects the user's running container name (a name or
 * id) and takes its ports (--port, else every published TCP one), route
 * and forwarder.  NC_ENOTFOUND when there is none. */
int nc_ct_inspect_named(run_state_t *s, nc_container_target_t *ct, const char *name, nc_error_t *err);
/* Seconds since an RFC 3339 time ("2026-12-06T14:05:00.355059174Z") at
 * now (seconds since the epoch); < 0 when it does not parse or is the
 * engine's "never" (0001-01-01). */
double nc_ct_uptime_s(const char *started_at, double now);

/* The container ports of the target with a host binding of proto. */
size_t nc_ct_published_ports(const nc_container_target_t *ct, nc_engine_proto_t proto, uint16_t *ret, size_t max);
/* Once inspected: the result's container record, the pid (only when it is
 * a process of that container here), the route. */
int nc_ct_adopt_inspected(run_state_t *s, nc_container_target_t *ct, nc_error_t *err);
/* Who listens on the published port (read while still privileged). */
void nc_ct_find_forwarder(run_state_t *s, nc_container_target_t *ct);
const nc_forwarder_t *nc_ct_forwarder_for(const void *t, const nc_path_t *p);
/* The container's main process is gone: exit code and last log lines.
 * Returns 0, or an error when the engine stopped it. */
int nc_ct_note_exit(run_state_t *s, nc_container_target_t *ct, nc_error_t *err);
/* Exit state, logs, listeners, published ports (path_failed), and the
 * firewall's answers (may be NULL).  Always true once a path failed. */
bool nc_ct_gather_facts(run_state_t *s, nc_container_target_t *ct, bool path_failed,
			const nc_diag_firewall_t *firewall, nc_diag_facts_t *ret);
/* target-to.c: the TCP port of B that probe A --to B (no :PORT) tries,
 * from B's socket table: a listener on an exposed port, else the lowest
 * listener, else the first exposed port, else the lowest loopback-only
 * listener (so the report can say so); 0 when there is none. */
uint16_t nc_to_pick_port(const nc_platform_socket_t *socks, size_t n, const uint16_t *exposed, size_t n_exposed);
/* Decides the environment from the route to the container (the engine's
 * own kind for one without an address: exited, --network none or host). */
void nc_ct_decide(run_state_t *s, nc_container_target_t *ct);

/* Paths: a path of the container (named by kind, qualified by network
 * and port when there are several); the direct and published paths of
 * every network and port; the unsent paths of an exited container. */
nc_path_t *nc_ct_add_path(run_state_t *s, const nc_container_target_t *ct, nc_path_kind_t kind, const char *network,
			  uint16_t port, const nc_endpoint_t *target);
void nc_ct_plan_paths(run_state_t *s, nc_container_target_t *ct, uint64_t timeout);
/* A binding's host address (HostIp): every IPv4 address ("" or 0.0.0.0);
 * loopback (127.x, ::1); one host address (-p ADDR:P:C), neither of those
 * nor [::]. */
bool nc_ct_host_ip_any4(const char *host_ip);
bool nc_ct_host_ip_loopback(const char *host_ip);
bool nc_ct_host_ip_specific(const char *host_ip);
/* Whether the container's network mode (HostConfig.NetworkMode) is mode: "host", "none". */
bool nc_ct_network_mode(const nc_container_target_t *ct, const char *mode);

/* Capture: the scope filter and, for each network, its bridge, the host
 * veth and the interface inside; false with plan->none when the
 * container is not running.  < 0: the filter does not fit. */
int nc_ct_plan_capture(run_state_t *s, nc_container_target_t *ct, nc_run_capture_plan_t *plan, nc_error_t *err);
/* Another container's points (--peer's, probe --to's origin): its host
 * veth and its eth0, when pid is its process here.  what: "the peer
 * container", for the points' descriptions. */
void nc_ct_plan_other(run_state_t *s, nc_run_capture_plan_t *plan, int pid, const char *id, const char *what);

#endif
