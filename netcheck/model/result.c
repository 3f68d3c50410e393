/* The result model: owns the environment, the container record and every
 * path with its evidence.  Fed by probes and capture, read by reporters.
 * May call: endpoint helpers.  Never prints. */
#include "netcheck/result.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"

struct nc_result {
	nc_environment_t environment;
	nc_container_t container;
	nc_swarm_t swarm;
	nc_path_t paths[NC_MAX_PATHS];
	size_t n_paths;
	nc_expect_rule_t expect_rules[NC_MAX_EXPECT_RULES]; /* --expect, --expect-file */
	size_t n_expect_rules;
	nc_selection_t selection;      /* --paths, --skip */
	int exit_code;
	int error_code;                /* nc_result_set_error(); 0 = none */
	char error[NC_ERROR_MAX];      /* why the command failed, if it did */
};

static const char *const path_names[NC_PATH_KIND_COUNT] = {
	[NC_PATH_DIRECT_ICMP] = "direct-icmp",
	[NC_PATH_DIRECT_TCP] = "direct-tcp",
	[NC_PATH_PUBLISHED_LOOPBACK] = "published-loopback",
	[NC_PATH_PUBLISHED_LOOPBACK6] = "published-loopback6",
	[NC_PATH_PUBLISHED_HOST] = "published-host",
	[NC_PATH_DIRECT_ICMP6] = "direct-icmp6",
	[NC_PATH_DIRECT_TCP6] = "direct-tcp6",
	[NC_PATH_DIRECT_UDP] = "direct-udp",
	[NC_PATH_PUBLISHED_LOOPBACK_UDP] = "published-loopback-udp",
	[NC_PATH_PUBLISHED_HOST_UDP] = "published-host-udp",
	[NC_PATH_CONTAINER_TO_HOST] = "container-to-host",
	[NC_PATH_CONTAINER_TO_CONTAINER] = "container-to-container",
	[NC_PATH_CONTAINER_TO_CONTAINER_DNS] = "container-to-container-dns",
	[NC_PATH_PUBLISHED_REMOTE] = "published-remote",
	[NC_PATH_PUBLISHED_REMOTE_UDP] = "published-remote-udp",
	[NC_PATH_PUBLISHED_NODE] = "published-node",
	[NC_PATH_PUBLISHED_INGRESS] = "published-ingress",
	[NC_PATH_TASK_TO_TASK] = "task-to-task",
	[NC_PATH_TASK_TO_SERVICE_DNS] = "task-to-service-dns",
};

/* One line each, in the user's words: `netcheck paths` and `netcheck explain`. */
static const char *const path_meanings[NC_PATH_KIND_COUNT] = {
	[NC_PATH_DIRECT_ICMP] = "this host pings the container's own IPv4 address",
	[NC_PATH_DIRECT_TCP] = "this host connects to the container's own IPv4 address and port",
	[NC_PATH_PUBLISHED_LOOPBACK] = "this host connects to 127.0.0.1 and the published port",
	[NC_PATH_PUBLISHED_LOOPBACK6] = "this host connects to [::1] and the published port",
	[NC_PATH_PUBLISHED_HOST] = "this host connects to its own primary address and the published port",
	[NC_PATH_DIRECT_ICMP6] = "this host pings the container's own IPv6 address",
	[NC_PATH_DIRECT_TCP6] = "this host connects to the container's own IPv6 address and port",
	[NC_PATH_DIRECT_UDP] = "this host sends a UDP datagram to the container's own address and port",
	[NC_PATH_PUBLISHED_LOOPBACK_UDP] = "this host sends UDP to 127.0.0.1 and the published UDP port",
	[NC_PATH_PUBLISHED_HOST_UDP] = "this host sends UDP to its own primary address and the published UDP port",
	[NC_PATH_CONTAINER_TO_HOST] = "the container connects to host.docker.internal (a listener netcheck opens)",
	[NC_PATH_CONTAINER_TO_CONTAINER] = "the container connects to a second one (run --peer; probe A --to B) by its address",
	[NC_PATH_CONTAINER_TO_CONTAINER_DNS] = "the container connects to a second one (run --peer; probe A --to B) by its name",
	[NC_PATH_PUBLISHED_REMOTE] = ("a client in another namespace connects to this host's address and the "
				      "published port, as another machine would (PREROUTING, FORWARD)"),
	[NC_PATH_PUBLISHED_REMOTE_UDP] = ("a client in another namespace sends UDP to this host's address and the "
					  "published UDP port, as another machine would"),
	[NC_PATH_PUBLISHED_NODE] = "swarm: this host connects to a node's address and the task's host-mode port",
	[NC_PATH_PUBLISHED_INGRESS] = "swarm: this host connects through the routing mesh (ingress)",
	[NC_PATH_TASK_TO_TASK] = "swarm: the first node's task connects to this node's task over the overlay",
	[NC_PATH_TASK_TO_SERVICE_DNS] = "swarm: this node's task connects to tasks.<service> by name",
};

static const char *const diag_names[NC_DIAG_COUNT] = {
	[NC_DIAG_NONE] = "none",
	[NC_DIAG_LISTENING_ON_LOOPBACK_ONLY] = "listening-on-loopback-only",
	[NC_DIAG_NOT_LISTENING] = "not-listening",
	[NC_DIAG_CONTAINER_EXITED] = "container-exited",
	[NC_DIAG_NOT_PUBLISHED] = "not-published",
	[NC_DIAG_DROPPED] = "dropped",
	[NC_DIAG_RESET] = "reset",
	[NC_DIAG_NO_ANSWER] = "no-answer",
	[NC_DIAG_SOURCE_ADDRESS_LOST] = "source-address-lost",
	[NC_DIAG_INPUT_FIREWALL_BYPASSED] = "input-firewall-bypassed",
	[NC_DIAG_NAME_NOT_RESOLVED] = "name-not-resolved",
	[NC_DIAG_NO_FORWARDER] = "no-forwarder",
	[NC_DIAG_REJECTED] = "rejected",
	[NC_DIAG_FORWARDING_DISABLED] = "forwarding-disabled",
	[NC_DIAG_NEIGHBOUR_FAILED] = "neighbour-failed",
	[NC_DIAG_KERNEL_DROP] = "kernel-drop",
	[NC_DIAG_UNEXPLAINED] = "unexplained",
	[NC_DIAG_CONTAINER_PAUSED] = "container-paused",
	[NC_DIAG_CONTAINER_RESTARTING] = "container-restarting",
	[NC_DIAG_STARTING] = "starting",
	[NC_DIAG_LISTENING_ON_IPV6_ONLY] = "listening-on-ipv6-only",
	[NC_DIAG_PUBLISHED_ELSEWHERE] = "published-elsewhere",
	[NC_DIAG_INTERNAL_NETWORK] = "internal-network",
	[NC_DIAG_ADDRESS_NOT_READY] = "address-not-ready",
	[NC_DIAG_NO_NETWORK] = "no-network",
	[NC_DIAG_HOST_NOT_REACHED] = "host-not-reached",
	[NC_DIAG_OTHER_CONTAINER_ANSWERED] = "other-container-answered",
	[NC_DIAG_TASK_DOWN] = "task-down",
};

static const char *const obs_source_names[NC_OBS_SOURCE_COUNT] = {
	[NC_OBS_NFTRACE] = "nftrace",
	[NC_OBS_DROP_REASON] = "drop-reason",
	[NC_OBS_SOCKET] = "socket",
	[NC_OBS_CONTAINER] = "container",
	[NC_OBS_CONNTRACK] = "conntrack",
	[NC_OBS_CAPTURE] = "capture",
	[NC_OBS_SYSCTL] = "sysctl",
	[NC_OBS_ROUTE] = "route",
	[NC_OBS_ENGINE] = "engine",
	[NC_OBS_RULESET] = "ruleset",
};

static const char *const diag_meanings[NC_DIAG_COUNT] = {
	[NC_DIAG_NONE] = "nothing to say: the path behaved as expected, or nothing explains it",
	[NC_DIAG_LISTENING_ON_LOOPBACK_ONLY] = ("the app listens only on the container's loopback (127.0.0.1 or ::1): "
					        "nothing outside the container reaches it; make it bind 0.0.0.0 or ::"),
	[NC_DIAG_NOT_LISTENING] = "nothing listens on that port in the container (the ports that do are named)",
	[NC_DIAG_CONTAINER_EXITED] = "the container's main process exited (its exit code and last log lines)",
	[NC_DIAG_NOT_PUBLISHED] = "the port is not published (what is published is named)",
	[NC_DIAG_DROPPED] = ("the packets were seen at one capture point and never at the next; what lies between "
			     "them on this host (for published-remote: the firewall rule that drops them)"),
	[NC_DIAG_RESET] = "the connection was reset; by whom, from the captured packets: the container's kernel, on "
			  "the forwarder's own connection, or something on the way (a REJECT rule)",
	[NC_DIAG_NO_ANSWER] = "connected, but nothing came back in time",
	[NC_DIAG_SOURCE_ADDRESS_LOST] = ("kernel NAT (a MASQUERADE rule) rewrote the client's address: the container "
					 "sees another peer"),
	[NC_DIAG_INPUT_FIREWALL_BYPASSED] = ("reachable although an INPUT-hook rule drops the port: Docker's DNAT sends "
					     "it through FORWARD; filter in DOCKER-USER"),
	[NC_DIAG_NAME_NOT_RESOLVED] = ("the name did not resolve (the default bridge has no embedded DNS; use a "
				       "user-defined network)"),
	[NC_DIAG_NO_FORWARDER] = "nothing forwards this address family or protocol to the published port",
	[NC_DIAG_REJECTED] = ("a firewall rule rejected the path's packets (an answer came back for the container): "
			      "the rule named from the kernel's nftables trace of the run's own packets"),
	[NC_DIAG_FORWARDING_DISABLED] = ("the host does not forward packets (net.ipv4.ip_forward, the forwarding of "
					 "the interface they came in on, or IPv6 forwarding is 0): the kernel dropped "
					 "them, its drop reason, the interface and the setting are named"),
	[NC_DIAG_NEIGHBOUR_FAILED] = ("the next hop never answered ARP or neighbour discovery: the kernel dropped "
				      "the packets waiting for it (NEIGH_FAILED)"),
	[NC_DIAG_KERNEL_DROP] = ("the kernel dropped the path's packets outside netfilter (no route, rp_filter, no "
				 "socket, ...): its drop reason and where"),
	[NC_DIAG_UNEXPLAINED] = "the path failed and nothing netcheck observed explains why; the diagnosis lists "
				"what was looked at (never a guessed cause)",
	[NC_DIAG_CONTAINER_PAUSED] = ("the container is paused (docker pause): the kernel may still complete a "
				      "handshake, but no process answers; docker unpause it"),
	[NC_DIAG_CONTAINER_RESTARTING] = ("the container is between two runs of its restart policy: its app keeps "
					  "exiting (restart count, last exit code and log lines)"),
	[NC_DIAG_STARTING] = "the container started moments ago and nothing listens yet: its app is still starting",
	[NC_DIAG_LISTENING_ON_IPV6_ONLY] = ("the app listens on [::] with IPV6_V6ONLY: IPv4 clients are refused; "
					    "bind 0.0.0.0 too, or clear IPV6_V6ONLY"),
	[NC_DIAG_PUBLISHED_ELSEWHERE] = ("the port is published on another host address than the one probed (-p ADDR:P:C "
					 "binds ADDR only)"),
	[NC_DIAG_INTERNAL_NETWORK] = ("the container is on an --internal network: the engine publishes no port "
				      "there (-p is dropped)"),
	[NC_DIAG_ADDRESS_NOT_READY] = ("an IPv6 address on the route was still tentative (duplicate address "
				       "detection) when the probe was sent"),
	[NC_DIAG_NO_NETWORK] = "the container runs with --network none: it has no interface but loopback",
	[NC_DIAG_HOST_NOT_REACHED] = ("host.docker.internal resolved in the container, but no connection arrived at "
				      "netcheck's listener on this host"),
	[NC_DIAG_OTHER_CONTAINER_ANSWERED] = ("the path reached another container, not this one: the engine publishes "
					      "the same host port on the address dialled for it (host ports are "
					      "allocated per address), and the kernel's DNAT sent the connection there"),
	[NC_DIAG_TASK_DOWN] = ("swarm: the node's task of netcheck's service is not running (its state and the "
			       "engine's error are named), or the node is down, drained or got no task"),
};

static const char *const point_kind_names[NC_POINT_KIND_COUNT] = {
	[NC_POINT_LOOPBACK] = "loopback",
	[NC_POINT_BRIDGE] = "bridge",
	[NC_POINT_VETH] = "veth",
	[NC_POINT_CONTAINER] = "container",
	[NC_POINT_DEFAULT_ROUTE] = "default-route",
	[NC_POINT_PEER_VETH] = "peer-veth",
	[NC_POINT_PEER_CONTAINER] = "peer-container",
	[NC_POINT_REMOTE] = "remote",
	[NC_POINT_REMOTE_HOST_SIDE] = "remote-host-side",
	[NC_POINT_UPLINK] = "uplink",
	[NC_POINT_OVERLAY] = "overlay",
};

static const char *const leg_names[NC_LEG_COUNT] = {
	[NC_LEG_NONE] = "none",
	[NC_LEG_CLIENT] = "client",
	[NC_LEG_TRANSLATED] = "translated",
	[NC_LEG_PROXY_TO_CONTAINER] = "proxy-to-container",
	[NC_LEG_ICMP] = "icmp",
	[NC_LEG_CONTROL] = "control",
};

static const char *const verdict_names[NC_VERDICT_COUNT] = {
	[NC_VERDICT_REACHABLE] = "reachable",
	[NC_VERDICT_UNREACHABLE] = "unreachable",
	[NC_VERDICT_UNROUTABLE] = "unroutable",
	[NC_VERDICT_REFUSED] = "refused",
	[NC_VERDICT_TIMEOUT] = "timeout",
	[NC_VERDICT_SKIPPED] = "skipped",
	[NC_VERDICT_ERROR] = "error",
	[NC_VERDICT_RESET] = "reset",
};

static const char *const mechanism_names[NC_MECH_COUNT] = {
	[NC_MECH_DIRECT] = "direct",
	[NC_MECH_NAT] = "nat",
	[NC_MECH_PROXY] = "proxy",
	[NC_MECH_OUT_OF_SIGHT] = "out-of-sight",
	[NC_MECH_NONE] = "none",
	[NC_MECH_OVERLAY] = "overlay",
};

static const char *const arrival_names[NC_ARRIVAL_COUNT] = {
	[NC_ARRIVAL_DIRECT] = "direct",
	[NC_ARRIVAL_FORWARDER] = "forwarder",
};

static const char *const env_names[NC_ENV_KIND_COUNT] = {
	[NC_ENV_UNKNOWN] = "unknown",
	[NC_ENV_NATIVE_LINUX] = "native-linux",
	[NC_ENV_DOCKER_DESKTOP] = "docker-desktop",
	[NC_ENV_ROOTLESS_DOCKER] = "rootless-docker",
	[NC_ENV_ROOTLESS_PODMAN] = "rootless-podman",
	[NC_ENV_PODMAN] = "podman",
	[NC_ENV_NOT_ATTACHED] = "not-attached",
};

nc_result_t *nc_result_new(void)
{
	nc_result_t *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->exit_code = -1;
	return r;
}

void nc_result_free(nc_result_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_paths; i++) {
		free(r->paths[i].hops);
		free(r->paths[i].packets);
	}
	free(r);
}

void nc_result_clear_paths(nc_result_t *r)
{
	for (size_t i = 0; i < r->n_paths; i++) {
		free(r->paths[i].hops);
		free(r->paths[i].packets);
	}
	memset(r->paths, 0, sizeof(r->paths));
	r->n_paths = 0;
}

nc_environment_t *nc_result_environment(nc_result_t *r) { return &r->environment; }
nc_container_t *nc_result_container(nc_result_t *r) { return &r->container; }
const nc_environment_t *nc_result_environment_const(const nc_result_t *r) { return &r->environment; }
const nc_container_t *nc_result_container_const(const nc_result_t *r) { return &r->container; }
nc_swarm_t *nc_result_swarm(nc_result_t *r) { return &r->swarm; }
const nc_swarm_t *nc_result_swarm_const(const nc_result_t *r) { return &r->swarm; }

void nc_swarm_name_nodes(nc_swarm_t *sw)
{
	for (size_t i = 0; i < sw->n_nodes; i++) {
		nc_node_t *n = &sw->nodes[i];
		bool repeated = false;

		for (size_t k = 0; k < sw->n_nodes && !repeated; k++)
			repeated = k != i && strcmp(sw->nodes[k].hostname, n->hostname) == 0;
		if (n->hostname[0] == '\0')
			snprintf(n->name, sizeof(n->name), "%.*s", NC_NODE_SHORT_ID, n->id);
		else if (repeated)
			snprintf(n->name, sizeof(n->name), "%.200s/%.*s", n->hostname, NC_NODE_SHORT_ID, n->id);
		else
			snprintf(n->name, sizeof(n->name), "%s", n->hostname);
	}
}

int nc_result_add_path_named(nc_result_t *r, nc_path_kind_t kind, const char *qualifier,
			     const nc_endpoint_t *target, nc_path_t **ret_path)
{
	char name[NC_PATH_NAME_MAX];
	nc_path_t *p;
	int n;

	if ((unsigned)kind >= NC_PATH_KIND_COUNT)
		return -EINVAL;
	if (qualifier != NULL && *qualifier != '\0')
		n = snprintf(name, sizeof(name), "%s:%s", path_names[kind], qualifier);
	else
		n = snprintf(name, sizeof(name), "%s", path_names[kind]);
	if (n < 0 || (size_t)n >= sizeof(name))
		return -ENAMETOOLONG;
	if (!nc_path_selected(&r->selection, kind, name))
		return -ECANCELED;
	if (nc_result_path_by_name(r, name) != NULL)
		return -EEXIST;
	if (r->n_paths >= NC_MAX_PATHS)
		return -ENOSPC;
	p = &r->paths[r->n_paths++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	memcpy(p->name, name, (size_t)n + 1);
	if (target != NULL)
		p->target = *target;
	p->verdict = NC_VERDICT_SKIPPED;
	p->mechanism = NC_MECH_NONE;
	p->timings.connect_ms = p->timings.first_byte_ms = p->timings.total_ms = -1;
	if (ret_path != NULL)
		*ret_path = p;
	return 0;
}

int nc_result_add_path(nc_result_t *r, nc_path_kind_t kind, const nc_endpoint_t *target, nc_path_t **ret_path)
{
	return nc_result_add_path_named(r, kind, NULL, target, ret_path);
}

nc_path_t *nc_result_path_by_name(nc_result_t *r, const char *name)
{
	for (size_t i = 0; name != NULL && i < r->n_paths; i++)
		if (strcmp(r->paths[i].name, name) == 0)
			return &r->paths[i];
	return NULL;
}

size_t nc_result_path_count(const nc_result_t *r) { return r->n_paths; }

nc_path_t *nc_result_path(nc_result_t *r, size_t i)
{
	return i < r->n_paths ? &r->paths[i] : NULL;
}

const nc_path_t *nc_result_path_const(const nc_result_t *r, size_t i)
{
	return i < r->n_paths ? &r->paths[i] : NULL;
}

nc_path_t *nc_result_path_by_kind(nc_result_t *r, nc_path_kind_t kind)
{
	for (size_t i = 0; i < r->n_paths; i++)
		if (r->paths[i].kind == kind)
			return &r->paths[i];
	return NULL;
}

int nc_path_add_hop(nc_path_t *p, const nc_hop_t *hop)
{
	nc_hop_t *n;

	if (p->n_hops >= NC_MAX_HOPS)
		return -ENOSPC;
	n = realloc(p->hops, (p->n_hops + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	p->hops = n;
	p->hops[p->n_hops++] = *hop;
	return 0;
}

int nc_path_add_packet(nc_path_t *p, const nc_packet_summary_t *pkt)
{
	nc_packet_summary_t *n;

	if (p->n_packets >= NC_MAX_PACKETS_PER_PATH)
		return -ENOSPC;
	n = realloc(p->packets, (p->n_packets + 1) * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	p->packets = n;
	p->packets[p->n_packets++] = *pkt;
	return 0;
}

void nc_path_set_detail(nc_path_t *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
}

nc_observation_t *nc_diagnosis_observe(nc_diagnosis_t *d, nc_obs_source_t source, const char *fmt, ...)
{
	nc_observation_t *o;
	va_list ap;

	if (d->n_observed >= NC_DIAG_OBSERVED_MAX) {
		d->observed_cut = true;
		return NULL;
	}
	o = &d->observed[d->n_observed++];
	memset(o, 0, sizeof(*o));
	o->source = source;
	va_start(ap, fmt);
	vsnprintf(o->text, sizeof(o->text), fmt, ap);
	va_end(ap);
	return o;
}

void nc_diagnosis_clear(nc_diagnosis_t *d)
{
	d->code = NC_DIAG_NONE;
	d->detail[0] = d->hint[0] = '\0';
	d->n_observed = 0;
	d->observed_cut = false;
}

const char *nc_obs_source_name(nc_obs_source_t s)
{
	return (unsigned)s < NC_OBS_SOURCE_COUNT ? obs_source_names[s] : NULL;
}

int nc_obs_source_from_name(const char *name, nc_obs_source_t *ret)
{
	for (size_t i = 0; name != NULL && i < NC_OBS_SOURCE_COUNT; i++)
		if (strcmp(obs_source_names[i], name) == 0) {
			*ret = (nc_obs_source_t)i;
			return 0;
		}
	return -EINVAL;
}

void nc_path_diagnose(nc_path_t *p, nc_diag_code_t code, const char *hint, const char *fmt, ...)
{
	va_list ap;

	p->diagnosis.code = code;
	va_start(ap, fmt);
	vsnprintf(p->diagnosis.detail, sizeof(p->diagnosis.detail), fmt, ap);
	va_end(ap);
	snprintf(p->diagnosis.hint, sizeof(p->diagnosis.hint), "%s", hint != NULL ? hint : "");
}

const char *nc_diag_code_name(nc_diag_code_t c)
{
	return (unsigned)c < NC_DIAG_COUNT ? diag_names[c] : NULL;
}

const char *nc_diag_code_meaning(nc_diag_code_t c)
{
	return (unsigned)c < NC_DIAG_COUNT ? diag_meanings[c] : NULL;
}

int nc_diag_code_from_name(const char *name, nc_diag_code_t *ret)
{
	for (size_t i = 0; i < NC_DIAG_COUNT; i++)
		if (strcmp(diag_names[i], name) == 0) {
			*ret = (nc_diag_code_t)i;
			return 0;
		}
	return -EINVAL;
}

const char *nc_path_kind_meaning(nc_path_kind_t k)
{
	return (unsigned)k < NC_PATH_KIND_COUNT ? path_meanings[k] : NULL;
}

const char *nc_point_kind_name(nc_point_kind_t k)
{
	return (unsigned)k < NC_POINT_KIND_COUNT ? point_kind_names[k] : NULL;
}

const char *nc_leg_name(nc_leg_t l)
{
	return (unsigned)l < NC_LEG_COUNT ? leg_names[l] : NULL;
}

int nc_leg_from_name(const char *name, nc_leg_t *ret)
{
	for (size_t i = 0; name != NULL && i < NC_LEG_COUNT; i++) {
		if (strcmp(name, leg_names[i]) == 0) {
			*ret = (nc_leg_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Points inside a namespace carry whose namespace it is, so the
 * container's eth0 never reads like the host's eth0. */
char *nc_point_name(nc_point_kind_t kind, const char *ifname, char *buf, size_t len)
{
	return nc_point_name_of(kind, ifname, NULL, buf, len);
}

/* A project's containers each have an eth0: the owner's name keeps them
 * apart (and the same in the text, the JSON and the pcapng). */
char *nc_point_name_of(nc_point_kind_t kind, const char *ifname, const char *owner, char *buf, size_t len)
{
	const char *in = NULL;

	switch (kind) {
	case NC_POINT_CONTAINER: in = owner != NULL && owner[0] != '\0' ? owner : "container"; break;
	case NC_POINT_PEER_CONTAINER: in = "peer"; break;
	case NC_POINT_REMOTE: in = "remote"; break;
	default: break;
	}
	if (in != NULL)
		snprintf(buf, len, "%.40s@%s", ifname != NULL ? ifname : "?", in);
	else
		snprintf(buf, len, "%.40s", ifname != NULL ? ifname : "?");
	return buf;
}

const char *nc_point_where_name(nc_point_where_t w)
{
	static const char *const names[NC_WHERE_COUNT] = { "host", "engine", "container" };

	return (unsigned)w < NC_WHERE_COUNT ? names[w] : NULL;
}

char *nc_point_name_at(nc_point_kind_t kind, nc_point_where_t where, const char *ifname, char *buf, size_t len)
{
	if (where != NC_WHERE_ENGINE || kind == NC_POINT_CONTAINER || kind == NC_POINT_PEER_CONTAINER ||
	    kind == NC_POINT_REMOTE)
		return nc_point_name(kind, ifname, buf, len);
	snprintf(buf, len, "%.40s@engine", ifname != NULL ? ifname : "?");
	return buf;
}

bool nc_path_kind_is_direct(nc_path_kind_t k)
{
	return k == NC_PATH_DIRECT_ICMP || k == NC_PATH_DIRECT_TCP || k == NC_PATH_DIRECT_ICMP6 ||
	       k == NC_PATH_DIRECT_TCP6 || k == NC_PATH_DIRECT_UDP;
}

bool nc_network_is_host(const char *network)
{
	return network != NULL && strcmp(network, "host") == 0;
}

bool nc_path_kind_is_published(nc_path_kind_t k)
{
	return k == NC_PATH_PUBLISHED_LOOPBACK || k == NC_PATH_PUBLISHED_LOOPBACK6 || k == NC_PATH_PUBLISHED_HOST ||
	       k == NC_PATH_PUBLISHED_LOOPBACK_UDP || k == NC_PATH_PUBLISHED_HOST_UDP ||
	       nc_path_kind_is_remote(k) || k == NC_PATH_PUBLISHED_NODE || k == NC_PATH_PUBLISHED_INGRESS;
}

bool nc_path_kind_is_remote(nc_path_kind_t k)
{
	return k == NC_PATH_PUBLISHED_REMOTE || k == NC_PATH_PUBLISHED_REMOTE_UDP;
}

bool nc_path_kind_from_container(nc_path_kind_t k)
{
	return k == NC_PATH_CONTAINER_TO_HOST || k == NC_PATH_CONTAINER_TO_CONTAINER ||
	       k == NC_PATH_CONTAINER_TO_CONTAINER_DNS || k == NC_PATH_TASK_TO_TASK ||
	       k == NC_PATH_TASK_TO_SERVICE_DNS;
}

nc_path_proto_t nc_path_kind_proto(nc_path_kind_t k)
{
	switch (k) {
	case NC_PATH_DIRECT_ICMP:
	case NC_PATH_DIRECT_ICMP6:
		return NC_PROTO_ICMP;
	case NC_PATH_DIRECT_UDP:
	case NC_PATH_PUBLISHED_LOOPBACK_UDP:
	case NC_PATH_PUBLISHED_HOST_UDP:
	case NC_PATH_PUBLISHED_REMOTE_UDP:
		return NC_PROTO_UDP;
	default:
		return NC_PROTO_TCP;
	}
}

int nc_result_add_expect_rule(nc_result_t *r, const nc_expect_rule_t *rule)
{
	if (r->n_expect_rules == NC_MAX_EXPECT_RULES)
		return -ENOSPC;
	r->expect_rules[r->n_expect_rules++] = *rule;
	return 0;
}

size_t nc_result_expect_rule_count(const nc_result_t *r) { return r->n_expect_rules; }

const nc_expect_rule_t *nc_result_expect_rule(const nc_result_t *r, size_t i)
{
	return i < r->n_expect_rules ? &r->expect_rules[i] : NULL;
}

nc_selection_t *nc_result_selection(nc_result_t *r) { return &r->selection; }
const nc_selection_t *nc_result_selection_const(const nc_result_t *r) { return &r->selection; }

void nc_result_set_exit_code(nc_result_t *r, int code) { r->exit_code = code; }

int nc_result_exit_code(const nc_result_t *r) { return r->exit_code; }

void nc_result_set_error(nc_result_t *r, int code, const char *message)
{
	r->error_code = code;
	if (code == 0 && message == NULL) { /* cleared */
		r->error[0] = '\0';
		return;
	}
	snprintf(r->error, sizeof(r->error), "%s", message != NULL && *message ? message : nc_strerror(code));
}

const char *nc_result_error(const nc_result_t *r)
{
	return r->error[0] != '\0' ? r->error : NULL;
}

int nc_result_error_code(const nc_result_t *r) { return r->error_code; }

#define NAME_FNS(fn, from_fn, type, table)                                     \
	const char *fn(type v)                                                 \
	{                                                                      \
		return (unsigned)v < NC_ARRAY_SIZE(table) ? table[v] : NULL;   \
	}                                                                      \
	int from_fn(const char *name, type *ret)                               \
	{                                                                      \
		for (size_t i = 0; i < NC_ARRAY_SIZE(table); i++)              \
			if (table[i] != NULL && strcmp(table[i], name) == 0) { \
				*ret = (type)i;                                \
				return 0;                                      \
			}                                                      \
		return -EINVAL;                                                \
	}

NAME_FNS(nc_path_kind_name, nc_path_kind_from_name, nc_path_kind_t, path_names)
NAME_FNS(nc_verdict_name, nc_verdict_from_name, nc_verdict_t, verdict_names)
NAME_FNS(nc_mechanism_name, nc_mechanism_from_name, nc_mechanism_t, mechanism_names)

const char *nc_arrival_name(nc_arrival_t a)
{
	return (unsigned)a < NC_ARRIVAL_COUNT ? arrival_names[a] : NULL;
}

const char *nc_env_kind_name(nc_env_kind_t k)
{
	return (unsigned)k < NC_ENV_KIND_COUNT ? env_names[k] : NULL;
}

const char *nc_direction_name(nc_direction_t d)
{
	switch (d) {
	case NC_DIR_IN: return "in";
	case NC_DIR_OUT: return "out";
	default: return "unknown";
	}
}
