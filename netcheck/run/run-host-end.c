/* The host end of container-to-host: where netcheck listens on this host
 * for the container's connection to host.docker.internal, and what the
 * container needs to get there -- decided from facts, not the engine's
 * name:
 *   - the default bridge's gateway is an address of this host (the
 *     listener binds there): host-gateway leads here, and dockerd
 *     resolves nothing itself, so the container gets --add-host
 *     host.docker.internal:host-gateway (native Linux, rootful Podman);
 *   - it is not (the bridge lives in a VM or a namespace of its own) and
 *     the engine serves on this machine (a unix socket) with a bridge of
 *     its own (Docker Desktop, or a plain dockerd in a VM-like namespace):
 *     the name is the engine's to resolve, as for any user's container
 *     (Desktop's name server answers it), and the engine side's forwarder
 *     brings the connection to this host's loopback, so netcheck listens
 *     on 127.0.0.1 and lets the responder ask the container's name server
 *     for that one name;
 *   - otherwise (rootless engines, engines on another machine): no
 *     listener; the path says why.
 * After the probes, the listener's count of connections goes onto the
 * path, for the policy's "resolved but nothing arrived".
 * May call: probe (the listener), platform, policy (classify), result. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HOST_NAME "host.docker.internal"

/* Where host.docker.internal:host-gateway leads: the default bridge's
 * gateway.  The engine names it in IPAM, except when it chose it itself: a
 * freshly started dockerd lists the subnet alone.  The gateway is then the
 * host's own address on the bridge's interface, which the engine names. */
static int host_gateway(const nc_network_info_t *bridge, nc_endpoint_t *ret)
{
	if (nc_endpoint_parse(bridge->gateway4, 0, ret) == 0)
		return 0;
	if (bridge->bridge[0] == '\0')
		return -EADDRNOTAVAIL;
	return nc_platform_interface_address(bridge->bridge, AF_INET, ret);
}

int nc_run_host_end_open(run_state_t *s, const nc_network_info_t *default_bridge, nc_run_host_end_t *ret)
{
	nc_env_kind_t kind = nc_run_engine_kind(&s->version, &s->engine_info);
	const char *url = s->eng->url(s->engine);
	nc_endpoint_t gw, lo;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (nc_classify_engine_is_local(kind) && default_bridge != NULL && host_gateway(default_bridge, &gw) == 0 &&
	    nc_probe_listener_new(&s->loop, &gw, &s->host_listener) == 0) {
		ret->add_host_gateway = true;
		snprintf(ret->ifname, sizeof(ret->ifname), "%s", default_bridge->bridge[0] ? default_bridge->bridge : "bridge");
		return 0;
	}
	if ((!nc_classify_engine_is_local(kind) && kind != NC_ENV_DOCKER_DESKTOP) || default_bridge == NULL ||
	    url == NULL || strncmp(url, "unix://", 7) != 0) {
		snprintf(ret->note, sizeof(ret->note),
			 "not sent: " HOST_NAME " does not lead to this host's network namespace for the %s engine",
			 nc_env_kind_name(kind));
		return -ENOENT;
	}
	nc_endpoint_parse("127.0.0.1", 0, &lo);
	r = nc_probe_listener_new(&s->loop, &lo, &s->host_listener);
	if (r < 0) {
		snprintf(ret->note, sizeof(ret->note), "not sent: no listener on 127.0.0.1: %s", nc_strerror(r));
		return r;
	}
	ret->nameserver_for = HOST_NAME;
	snprintf(ret->ifname, sizeof(ret->ifname), "lo");
	return 0;
}

void nc_run_host_end_record(run_state_t *s)
{
	unsigned n;

	if (s->host_listener == NULL)
		return;
	n = nc_probe_listener_answered(s->host_listener);
	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);

		if (p->kind == NC_PATH_CONTAINER_TO_HOST)
			p->arrivals = n;
	}
}
