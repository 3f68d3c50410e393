/* Mechanism from evidence.  Pure: reads the path and the container record,
 * writes the path's mechanism, forwarder and notes. */
#include "netcheck/classify.h"

#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"

/* The responder reports gethostname(): Docker sets it to the first 12
 * characters of the container id; Podman too.  A user's --hostname would
 * defeat this, so only a clear mismatch counts. */
static bool answered_by_other(const nc_path_t *p, const nc_container_t *c)
{
	size_t n = strlen(p->answered_by);

	if (n == 0 || c->id[0] == '\0')
		return false;
	return strncmp(c->id, p->answered_by, n) != 0;
}

void nc_classify_path(nc_path_t *p, const nc_container_t *c, const nc_forwarder_t *forwarder)
{
	bool dialled_container;

	if (p->verdict != NC_VERDICT_REACHABLE) {
		p->mechanism = NC_MECH_NONE;
		return;
	}
	if (p->kind == NC_PATH_DIRECT_ICMP) {
		/* the echo reply came from the address we pinged */
		p->mechanism = NC_MECH_DIRECT;
		return;
	}
	if (answered_by_other(p, c)) {
		p->foreign_responder = true;
		nc_path_set_detail(p, "answered by container %.40s, not ours (%.12s): IP collision", p->answered_by,
				   c->id);
	}
	if (!nc_endpoint_is_set(&p->peer_seen)) {
		p->mechanism = NC_MECH_NONE;
		return;
	}
	dialled_container = nc_endpoint_equal(&p->target, &c->ip);
	if (nc_endpoint_equal(&p->peer_seen, &p->local)) {
		p->mechanism = dialled_container ? NC_MECH_DIRECT : NC_MECH_NAT;
	} else {
		p->mechanism = NC_MECH_PROXY;
		if (forwarder != NULL && forwarder->pid > 0) {
			p->has_forwarder = true;
			p->forwarder = *forwarder;
		}
	}
}

bool nc_classify_route(nc_path_t *p, nc_route_kind_t kind, bool via_default, const char *ifname,
		       const nc_environment_t *env, bool allow_offhost)
{
	bool attached = env == NULL || env->bridge_attached;

	if (kind == NC_ROUTE_ON_LINK && !via_default && attached)
		return true;
	if ((kind == NC_ROUTE_GATEWAY || (kind == NC_ROUTE_ON_LINK && !via_default)) && allow_offhost)
		return true;
	p->verdict = NC_VERDICT_UNROUTABLE;
	p->mechanism = NC_MECH_NONE;
	switch (kind) {
	case NC_ROUTE_GATEWAY:
		nc_path_set_detail(p, "not sent: the route leaves through a gateway on %s; the container network is "
				      "not attached to this host (--allow-offhost to probe anyway)", ifname);
		break;
	case NC_ROUTE_ON_LINK:
		if (via_default) {
			nc_path_set_detail(p, "not sent: only the default route (%s) matches the container IP", ifname);
			break;
		}
		/* A rootless engine or Desktop's VM keeps its containers in a
		 * network this namespace does not hold, whatever our routing table
		 * says: an on-link route here leads to another network using the
		 * same addresses (the host's own docker0, typically).  Probing it
		 * would reach someone else's container. */
		nc_path_set_detail(p,
				   "not sent: the %s engine's container network is not attached to this host; the "
				   "route here leads to %s, another network using the same addresses (IP collision)",
				   nc_env_kind_name(env->kind), ifname);
		break;
	case NC_ROUTE_LOCAL:
		nc_path_set_detail(p, "not sent: the container IP is an address of this host itself");
		break;
	case NC_ROUTE_REJECT:
		nc_path_set_detail(p, "not sent: the route to the container IP rejects traffic");
		break;
	default:
		nc_path_set_detail(p, "not sent: no route to the container network");
		break;
	}
	return false;
}

nc_env_kind_t nc_classify_engine(const nc_engine_version_t *v, const nc_engine_info_t *info)
{
	if (strstr(info->operating_system, "Docker Desktop") != NULL || strstr(v->platform_name, "Docker Desktop") != NULL)
		return NC_ENV_DOCKER_DESKTOP;
	if (info->rootless)
		return v->podman ? NC_ENV_ROOTLESS_PODMAN : NC_ENV_ROOTLESS_DOCKER;
	return v->podman ? NC_ENV_PODMAN : NC_ENV_NATIVE_LINUX;
}

nc_env_kind_t nc_classify_environment(const nc_engine_version_t *v, const nc_engine_info_t *info,
				      nc_route_kind_t route, bool via_default, bool *ret_attached)
{
	nc_env_kind_t kind = nc_classify_engine(v, info);
	bool plain = kind == NC_ENV_NATIVE_LINUX || kind == NC_ENV_PODMAN;

	*ret_attached = plain && route == NC_ROUTE_ON_LINK && !via_default;
	if (plain && !*ret_attached)
		return NC_ENV_NOT_ATTACHED;
	return kind;
}
