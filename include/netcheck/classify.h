/* netcheck: classification.  Decides each path's mechanism from the
 * evidence the probes (and capture, when present) left in the model.
 * Pure functions: no I/O, no printing. */
#ifndef NETCHECK_CLASSIFY_H
#define NETCHECK_CLASSIFY_H

#include <stdbool.h>

#include "netcheck/engine.h"
#include "netcheck/platform.h"
#include "netcheck/result.h"

/* The route rule: a direct probe is sent only when the route to the
 * container leaves through an interface whose network holds it: on-link,
 * not the default route, and the environment's container network attached
 * here (env->bridge_attached; never for rootless or Desktop engines, whose
 * addresses an on-link route here only collides with).  Through a gateway
 * or into a colliding network only when the user asked with allow_offhost.
 * Otherwise the path becomes `unroutable` with the reason in its detail,
 * and false is returned: the probe must not be sent.  env: borrowed; NULL
 * takes the container network to be attached. */
bool nc_classify_route(nc_path_t *p, nc_route_kind_t kind, bool via_default, const char *ifname,
		       const nc_environment_t *env, bool allow_offhost);

/* For a path the probe found reachable:
 *   direct = the container saw our exact source address and port, and we
 *            dialled the container itself;
 *   nat    = it saw our source address and port though we dialled another
 *            address (the kernel rewrote the destination);
 *   proxy  = it saw a different peer: something re-originated the
 *            connection (forwarder, when known, names it).
 * answered_by is compared with the container's id: another container
 * answering means an IP collision and the path is marked foreign.
 * forwarder: borrowed, may be NULL. */
void nc_classify_path(nc_path_t *p, const nc_container_t *c, const nc_forwarder_t *forwarder);

/* What the engine says of itself (/version, /info), before any container
 * exists: docker-desktop, rootless-docker, rootless-podman, podman or
 * native-linux. */
nc_env_kind_t nc_classify_engine(const nc_engine_version_t *v, const nc_engine_info_t *info);
/* The whole decision, once the route to the container is known: a plain
 * engine whose container is not on-link here (only the default route, a
 * gateway, no route) is not-attached.  ret_attached: whether the
 * container's bridge is an interface of this namespace (never for
 * rootless or Desktop engines, whatever the route says). */
nc_env_kind_t nc_classify_environment(const nc_engine_version_t *v, const nc_engine_info_t *info,
				      nc_route_kind_t route, bool via_default, bool *ret_attached);

/* What the packets add to what the responder said (after attribution):
 * a "proxy" whose onward leg the kernel rewrote is NAT; a forwarder whose
 * onward leg was never seen is out of sight; an answer with no view of
 * the peer (a user's service) gets its mechanism from the legs alone.
 * env: the capture points (their kinds); forwarder: borrowed, may be NULL. */
void nc_classify_evidence(nc_path_t *p, const nc_environment_t *env, const nc_forwarder_t *forwarder);

/* A socket in the container's own socket table. */
typedef struct nc_listener {
	nc_path_proto_t proto;
	nc_endpoint_t addr;  /* local address and port: 0.0.0.0, ::, 127.0.0.1, ... */
} nc_listener_t;

/* What the firewall ruleset says of published-remote: read before the
 * probes (netcheck still holds CAP_NET_ADMIN then), only in runs that
 * probe that path. */
typedef struct nc_diag_firewall {
	int status;                   /* 0: read; a negative errno: why not (-ENOTSUP: built without libnftables) */
	char error[NC_DIAG_DETAIL_MAX / 2]; /* why not, in words */
	bool legacy_tables;           /* iptables-legacy tables exist: their rules were not read */
	uint16_t published_port;      /* the host port asked about */
	bool input_drop;              /* an input-hook chain drops remote clients on that port */
	nc_platform_fw_drop_t input;
	bool forward_drop;            /* a forward-hook chain drops netcheck's remote client */
	nc_platform_fw_drop_t forward;
	double read_ms;               /* what reading and asking took */
} nc_diag_firewall_t;

/* What is known of the target when a path fails.  Every pointer borrowed
 * for the call; absent facts are NULL / 0 / false. */
typedef struct nc_diag_facts {
	bool exited;                  /* the container's main process is gone */
	int exit_code;
	const char *last_logs;        /* its last log lines, one line each "| "-joined */
	bool have_listeners;          /* the socket table could be read */
	const nc_listener_t *listeners;
	size_t n_listeners;
	const uint16_t *published;    /* container ports with a host binding (this path's protocol); NULL = unknown */
	size_t n_published;
	nc_forwarder_t forwarder;     /* the process listening on the published port; pid 0 = none */
	const nc_diag_firewall_t *firewall; /* published-remote's firewall facts; NULL: not read */
} nc_diag_facts_t;

/* The one place a failed or surprising path gets its "why": container
 * exited, not published, listening on loopback only, not listening,
 * reset (by whom), dropped between two capture points (naming what lies
 * between them on this host, and for published-remote the chain that
 * drops it when the ruleset says), no answer, a lost source address on a
 * reachable NAT path, or, on a reachable published-remote, an INPUT rule
 * meant to drop the port that Docker's DNAT goes around
 * (input-firewall-bypassed).  Sets p->diagnosis (NC_DIAG_NONE when nothing to
 * say).  env: borrowed, for the capture points; f may be NULL. */
void nc_classify_diagnose(nc_path_t *p, const nc_environment_t *env, const nc_diag_facts_t *f);

#endif
