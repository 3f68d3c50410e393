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

#endif
