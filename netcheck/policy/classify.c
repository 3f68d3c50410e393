/* Classification: the environment's kind, the route rule, a path's
 * verdict from what its probe recorded, and its mechanism from the
 * responder's view and the packets.  Pure: reads the model, writes the
 * path's verdict, mechanism, forwarder and notes. */
#include "netcheck/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"


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

nc_arrival_t nc_classify_host_arrival(const nc_path_t *p)
{
	nc_endpoint_t resolved;

	if (p->kind != NC_PATH_CONTAINER_TO_HOST || p->arrival_interface[0] == '\0' || !nc_endpoint_is_set(&p->peer_seen))
		return NC_ARRIVAL_NONE;
	/* a loopback peer is a process on this host, never the container;
	 * a name that led elsewhere than the listener was carried here */
	if (nc_endpoint_is_loopback(&p->peer_seen) || nc_endpoint_parse(p->resolved, 0, &resolved) < 0 ||
	    !nc_endpoint_addr_equal(&resolved, &p->target))
		return NC_ARRIVAL_FORWARDER;
	return NC_ARRIVAL_DIRECT;
}

void nc_classify_path(nc_path_t *p, const nc_container_t *c, const nc_forwarder_t *forwarder)
{
	bool dialled_container;

	if (p->verdict != NC_VERDICT_REACHABLE) {
		p->mechanism = NC_MECH_NONE;
		return;
	}
	if (nc_path_kind_proto(p->kind) == NC_PROTO_ICMP) {
		/* the echo reply came from the address we pinged */
		p->mechanism = NC_MECH_DIRECT;
		return;
	}
	if (nc_path_kind_from_container(p->kind)) {
		/* netcheck's responder connected out: its target saw the
		 * container's own address (routed), or another one (NAT), or
		 * this host's loopback: a process here connected on its behalf */
		if (!nc_endpoint_is_set(&p->peer_seen))
			p->mechanism = NC_MECH_NONE;
		else if (nc_endpoint_addr_equal(&p->peer_seen, &p->local))
			p->mechanism = NC_MECH_DIRECT;
		else
			p->mechanism = nc_endpoint_is_loopback(&p->peer_seen) && !nc_endpoint_is_loopback(&p->local)
					       ? NC_MECH_PROXY
					       : NC_MECH_NAT;
		p->arrival = nc_classify_host_arrival(p);
		return;
	}
	if (answered_by_other(p, c)) {
		p->foreign_responder = true;
		nc_path_set_detail(p, "answered by container %.40s, not ours (%.12s): IP collision", p->answered_by,
				   c->id);
	}
	/* a container on the host's network: its sockets are this host's,
	 * dialled at this host's own address, nothing in between */
	if (nc_path_kind_is_direct(p->kind) && nc_network_is_host(p->network)) {
		p->mechanism = NC_MECH_DIRECT;
		return;
	}
	if (!nc_endpoint_is_set(&p->peer_seen)) {
		p->mechanism = NC_MECH_NONE;
		return;
	}
	dialled_container = nc_path_kind_is_direct(p->kind); /* any of its addresses, v4 or v6 */
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

nc_env_kind_t nc_classify_engine(const nc_engine_facts_t *engine)
{
	if (strstr(engine->operating_system, "Docker Desktop") != NULL ||
	    strstr(engine->platform_name, "Docker Desktop") != NULL)
		return NC_ENV_DOCKER_DESKTOP;
	if (engine->rootless)
		return engine->podman ? NC_ENV_ROOTLESS_PODMAN : NC_ENV_ROOTLESS_DOCKER;
	return engine->podman ? NC_ENV_PODMAN : NC_ENV_NATIVE_LINUX;
}

bool nc_classify_engine_is_local(nc_env_kind_t engine_kind)
{
	return engine_kind == NC_ENV_NATIVE_LINUX || engine_kind == NC_ENV_PODMAN;
}

nc_env_kind_t nc_classify_environment(nc_env_kind_t engine_kind, nc_route_kind_t route, bool via_default,
				      bool *ret_attached)
{
	bool plain = nc_classify_engine_is_local(engine_kind);

	*ret_attached = plain && route == NC_ROUTE_ON_LINK && !via_default;
	if (plain && !*ret_attached)
		return NC_ENV_NOT_ATTACHED;
	return engine_kind;
}

/* Only dockerd publishes this way (Podman's forwarder serves both
 * families): the engine binds IPv4 only with userland-proxy off, or lists
 * a [::] binding that no process serves. */
nc_loopback6_t nc_classify_loopback6(nc_env_kind_t env, const nc_publish_facts_t *f)
{
	bool dockerd = env == NC_ENV_NATIVE_LINUX;

	if (f->host_port6 == 0)
		return f->host_port4 != 0 && f->forwarder6_known && dockerd ? NC_LOOPBACK6_NOT_FORWARDED
									      : NC_LOOPBACK6_NONE;
	if (f->forwarder6_known && !f->have_forwarder6 && dockerd)
		return NC_LOOPBACK6_NOT_FORWARDED;
	return NC_LOOPBACK6_PROBE;
}

void nc_classify_not_forwarded6(nc_path_t *p, const nc_publish_facts_t *f)
{
	p->verdict = NC_VERDICT_SKIPPED;
	if (f->host_port6 == 0)
		nc_path_set_detail(p, "not sent: nothing forwards IPv6 loopback: the engine publishes port %u on "
				      "IPv4 only (dockerd's userland-proxy is off)", f->host_port4);
	else
		nc_path_set_detail(p, "not sent: nothing forwards IPv6 loopback to port %u (no process listens on "
				      "[::]:%u; dockerd's userland-proxy is off)", f->host_port6, f->host_port6);
	nc_path_diagnose(p, NC_DIAG_NO_FORWARDER, "use 127.0.0.1, or turn userland-proxy back on",
			 "a client that resolves localhost to ::1 cannot reach this port");
}

void nc_classify_not_sent(nc_path_t *p, nc_not_sent_t why, const char *fmt, ...)
{
	va_list ap;

	p->sent = false;
	switch (why) {
	case NC_NOT_SENT_NOT_RUNNING:
	case NC_NOT_SENT_TASK_DOWN:
		p->verdict = NC_VERDICT_UNREACHABLE;
		break;
	default:
		p->verdict = NC_VERDICT_SKIPPED;
		break;
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
		va_end(ap);
	}
	/* the target's own configuration, said now (the container's facts
	 * refine it: nc_classify_diagnose()) */
	if (why == NC_NOT_SENT_NOT_PUBLISHED)
		nc_path_diagnose(p, NC_DIAG_NOT_PUBLISHED, "publish it (docker run -p HOST:CONTAINER)",
				 "container port %u is not published", p->container_port);
	else if (why == NC_NOT_SENT_NO_NETWORK)
		nc_path_diagnose(p, NC_DIAG_NO_NETWORK, NULL, "the container runs with --network none");
}

bool nc_classify_task_down(nc_path_t *p, const nc_node_t *node, const char *role)
{
	const char *hint = "docker service ps SERVICE --no-trunc names each task's state and error";
	char why[NC_DIAG_DETAIL_MAX];

	if (strcmp(node->state, "ready") != 0) {
		snprintf(why, sizeof(why), "%s %.100s is %s", role, node->name, node->state);
		hint = "docker node ls: bring the node's engine back, or remove the node";
	} else if (strcmp(node->availability, "active") != 0) {
		snprintf(why, sizeof(why), "%s %.100s is %s (no task is scheduled there)", role, node->name,
			 node->availability);
		hint = "docker node update --availability active NODE";
	} else if (node->task_id[0] == '\0') {
		snprintf(why, sizeof(why), "%s %.100s got no task in time", role, node->name);
	} else if (strcmp(node->task_state, "running") != 0) {
		snprintf(why, sizeof(why), "the task on %s %.100s is %s%s%.150s", role, node->name, node->task_state,
			 node->task_error[0] ? ": " : "", node->task_error);
	} else if (node->host_port == 0 || node->address.family == 0) {
		snprintf(why, sizeof(why), "%s %.100s has no published port or address", role, node->name);
	} else {
		return false;
	}
	nc_path_set_detail(p, "not sent: %s", why);
	nc_classify_not_sent(p, NC_NOT_SENT_TASK_DOWN, NULL);
	/* the detail says it with the engine's words: the diagnosis is it */
	nc_path_diagnose(p, NC_DIAG_TASK_DOWN, hint, "%s", why);
	if (node->task_id[0] != '\0')
		(void)nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "task %.12s on node %.100s: %s%s%.150s", node->task_id,
					 node->name, node->task_state, node->task_error[0] ? ": " : "", node->task_error);
	else
		(void)nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "node %.100s: %s, %s, no task", node->name,
					 node->state, node->availability);
	return true;
}

bool nc_classify_unsent_finding(const nc_path_t *p)
{
	nc_diag_code_t c = p->diagnosis.code;

	return p->verdict == NC_VERDICT_SKIPPED && !p->sent &&
	       (c == NC_DIAG_NOT_PUBLISHED || c == NC_DIAG_INTERNAL_NETWORK || c == NC_DIAG_NO_NETWORK);
}

bool nc_classify_unsent_state(const nc_path_t *p)
{
	/* only NC_NOT_SENT_NOT_RUNNING and _TASK_DOWN leave a path unsent
	 * and unreachable (nc_classify_not_sent) */
	return !p->sent && p->verdict == NC_VERDICT_UNREACHABLE && p->diagnosis.code != NC_DIAG_NONE;
}

void nc_classify_not_made(nc_path_t *p, int error)
{
	if (error == -EPERM || error == -EACCES) {
		/* a privilege this process lacks (ICMP without CAP_NET_RAW or
		 * ping_group_range): a known limit, said as such */
		p->verdict = NC_VERDICT_SKIPPED;
		if (p->detail[0] == '\0')
			nc_path_set_detail(p, "not sent: %s needs CAP_NET_RAW (or net.ipv4.ping_group_range)",
					   nc_path_kind_name(p->kind));
		return;
	}
	p->verdict = NC_VERDICT_ERROR;
	if (p->detail[0] == '\0')
		nc_path_set_detail(p, "the probe could not be made: %s", nc_strerror(error));
}

/* UV_E* codes are negative errnos on Unix (libuv's own rule). */
void nc_classify_verdict(nc_path_t *p)
{
	if (p->probe_error == 0 || p->verdict == NC_VERDICT_SKIPPED || p->verdict == NC_VERDICT_UNROUTABLE)
		return;
	switch (p->probe_error) {
	case -ECONNREFUSED: p->verdict = NC_VERDICT_REFUSED; break;
	case -ETIMEDOUT:
	case -ECANCELED: p->verdict = NC_VERDICT_TIMEOUT; break;
	default: p->verdict = NC_VERDICT_UNREACHABLE; break;
	}
}

/* ---- what the packets add ------------------------------------------------ */

static bool has_leg(const nc_path_t *p, nc_leg_t leg, nc_point_kind_t at, const nc_environment_t *env)
{
	for (size_t i = 0; i < p->n_hops; i++) {
		if (p->hops[i].leg != leg)
			continue;
		if ((int)at < 0)
			return true;
		for (size_t k = 0; env != NULL && k < env->n_capture_points; k++)
			if (env->capture_points[k].kind == at &&
			    strcmp(env->capture_points[k].name, p->hops[i].capture_point) == 0)
				return true;
	}
	return false;
}

static bool has_encapsulated_hop(const nc_path_t *p)
{
	for (size_t i = 0; i < p->n_hops; i++)
		if (p->hops[i].encapsulated && p->hops[i].leg == NC_LEG_CLIENT)
			return true;
	return false;
}

void nc_classify_evidence(nc_path_t *p, const nc_environment_t *env, const nc_forwarder_t *forwarder)
{
	bool proxied, translated;

	if (p->evidence_state != NC_EVIDENCE_CAPTURED || p->verdict != NC_VERDICT_REACHABLE ||
	    nc_path_kind_proto(p->kind) == NC_PROTO_ICMP)
		return;
	/* a task's connection that crossed between nodes inside VXLAN, the
	 * peer seeing the task's own address: the overlay carried it */
	if (nc_path_kind_from_container(p->kind) && p->mechanism == NC_MECH_DIRECT && has_encapsulated_hop(p)) {
		p->mechanism = NC_MECH_OVERLAY;
		return;
	}
	proxied = has_leg(p, NC_LEG_PROXY_TO_CONTAINER, (nc_point_kind_t)-1, env);
	translated = has_leg(p, NC_LEG_TRANSLATED, (nc_point_kind_t)-1, env);
	switch (p->mechanism) {
	case NC_MECH_PROXY:
		/* a "proxy" whose leg to the container was rewritten by the
		 * kernel (masquerade: the container sees the bridge's address,
		 * as with userland-proxy off and hairpin NAT from 127.0.0.1) is
		 * NAT; a forwarder whose onward leg we never saw is out of sight
		 * (a VM, a namespace we cannot enter) */
		if (!proxied && translated) {
			p->mechanism = NC_MECH_NAT;
			p->has_forwarder = false;
		} else if (!proxied) {
			p->mechanism = NC_MECH_OUT_OF_SIGHT;
		}
		break;
	case NC_MECH_NONE:
		/* an answer with no view of the peer (a user's image): the legs alone */
		if (proxied) {
			p->mechanism = NC_MECH_PROXY;
			if (forwarder != NULL && forwarder->pid > 0 && !nc_path_kind_is_direct(p->kind)) {
				p->has_forwarder = true;
				p->forwarder = *forwarder;
			}
		} else if (translated) {
			p->mechanism = NC_MECH_NAT;
		} else if (has_leg(p, NC_LEG_CLIENT, NC_POINT_CONTAINER, env)) {
			/* the probe's own 5-tuple, untranslated, in the target:
			 * what was dialled is what arrived, as for a connection
			 * out of a container to another one's address */
			p->mechanism = nc_path_kind_is_direct(p->kind) || nc_path_kind_from_container(p->kind)
					       ? NC_MECH_DIRECT
					       : NC_MECH_NAT;
		} else if (forwarder != NULL && forwarder->pid > 0 && nc_path_kind_is_published(p->kind)) {
			/* a service that says nothing of its peer and carries no
			 * nonce: no rewrite of our packets reached the container,
			 * and a process listens on the port it was dialled on */
			p->mechanism = NC_MECH_PROXY;
			p->has_forwarder = true;
			p->forwarder = *forwarder;
		}
		break;
	default:
		break;
	}
}


void nc_classify_kernel(nc_environment_t *env)
{
	nc_kernel_t *k = &env->kernel;

	if (k->container_boot_id[0] == '\0' || k->host_boot_id[0] == '\0') {
		k->same_boot = NC_SAME_BOOT_UNKNOWN;
		snprintf(k->meaning, sizeof(k->meaning), "%s",
			 k->container[0] == '\0'
				 ? "unknown: no answer from the container said which kernel runs it"
				 : "unknown: the boot ids could not be compared");
	} else if (strcmp(k->container_boot_id, k->host_boot_id) == 0) {
		k->same_boot = NC_SAME_BOOT_YES;
		if (env->bridge_attached)
			snprintf(k->meaning, sizeof(k->meaning),
				 "the same kernel instance as this host: native, a veth on this host's bridge carries "
				 "the packets");
		else
			snprintf(k->meaning, sizeof(k->meaning),
				 "the same kernel instance as this host, in network namespaces this host does not route "
				 "into (an engine in a namespace of its own: a lab, rootless)");
	} else {
		k->same_boot = NC_SAME_BOOT_NO;
		snprintf(k->meaning, sizeof(k->meaning), "another kernel%s: %s",
			 strcmp(k->container, k->host) == 0 ? " (the same release, another boot)" : "",
			 env->kind == NC_ENV_DOCKER_DESKTOP ? "Docker Desktop's VM, whose bridge carries the packets"
							    : "a VM or another machine");
	}
}
