/* The paths of a container target (target-container.c's other half): direct
 * to each address on each network, published through each host binding of
 * each probed port, TCP and UDP, the host's addresses for a host-network
 * container, and unsent paths that say why.
 * May call: policy, model, and run-paths.c / run-common.c below it.  Never prints. */
#include "target-container.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void qualifier(const nc_container_target_t *ct, const char *network, uint16_t port, char *buf, size_t len)
{
	bool by_net = ct->info.n_networks > 1 && network != NULL;
	bool by_port = ct->n_ports > 1 && port != 0;

	if (ct->service[0] != '\0') { /* a project's: the service first, so names stay unique */
		if (by_net && by_port)
			snprintf(buf, len, "%.40s/%.32s/%u", ct->service, network, port);
		else if (by_net)
			snprintf(buf, len, "%.40s/%.32s", ct->service, network);
		else if (by_port)
			snprintf(buf, len, "%.40s/%u", ct->service, port);
		else
			snprintf(buf, len, "%.40s", ct->service);
		return;
	}
	if (by_net && by_port)
		snprintf(buf, len, "%.64s/%u", network, port);
	else if (by_net)
		snprintf(buf, len, "%.64s", network);
	else if (by_port)
		snprintf(buf, len, "%u", port);
	else
		buf[0] = '\0';
}

nc_path_t *nc_ct_add_path(run_state_t *s, const nc_container_target_t *ct, nc_path_kind_t kind, const char *network,
			  uint16_t port, const nc_endpoint_t *target)
{
	char q[96];
	nc_path_t *p = NULL;

	qualifier(ct, network, port, q, sizeof(q));
	if (nc_result_add_path_named(s->result, kind, q, target, &p) < 0)
		return NULL;
	p->container_port = port;
	snprintf(p->service, sizeof(p->service), "%s", ct->service);
	if (ct->service[0] != '\0') {
		snprintf(p->container, sizeof(p->container), "%s", ct->name);
		/* one of several containers: the run's container record is
		 * only one of them, so the path keeps its own */
		p->container_ip = ct->info.ip;
	}
	if (network != NULL)
		snprintf(p->network, sizeof(p->network), "%s", network);
	return p;
}

bool nc_ct_host_ip_any4(const char *host_ip)
{
	return host_ip[0] == '\0' || strcmp(host_ip, "0.0.0.0") == 0;
}

/* Direct probes go only where the route says the container's network is
 * on a link of this host; through a gateway the packet would leave it. */
static bool direct_allowed(run_state_t *s, nc_path_t *p, const nc_route_t *rt)
{
	nc_platform_route_format(&p->target, rt, p->route, sizeof(p->route));
	return nc_classify_route(p, rt->kind, rt->via_default, rt->ifname, nc_result_environment(s->result),
				 s->opt->allow_offhost);
}

static void add_direct(run_state_t *s, const nc_container_target_t *ct, const nc_container_network_t *net, const nc_endpoint_t *addr, bool v6,
		       uint64_t timeout)
{
	nc_route_t rt;
	nc_endpoint_t target = *addr;
	nc_path_t *p;

	if (nc_platform_route_get(addr, &rt) < 0)
		rt.kind = NC_ROUTE_NONE;
	target.port = 0;
	p = nc_ct_add_path(s, ct, v6 ? NC_PATH_DIRECT_ICMP6 : NC_PATH_DIRECT_ICMP, net->name, 0, &target);
	if (p != NULL && direct_allowed(s, p, &rt))
		nc_run_add_icmp(s, p, timeout);
	for (size_t i = 0; i < ct->n_ports; i++) {
		target.port = ct->ports[i];
		p = nc_ct_add_path(s, ct, v6 ? NC_PATH_DIRECT_TCP6 : NC_PATH_DIRECT_TCP, net->name, ct->ports[i], &target);
		if (p != NULL && direct_allowed(s, p, &rt))
			nc_run_add_tcp(s, p, timeout);
	}
	for (size_t i = 0; !v6 && i < ct->n_udp_ports; i++) {
		target.port = ct->udp_ports[i];
		p = nc_ct_add_path(s, ct, NC_PATH_DIRECT_UDP, net->name, ct->udp_ports[i], &target);
		if (p != NULL && direct_allowed(s, p, &rt))
			nc_run_add_udp(s, p, timeout);
	}
}

bool nc_ct_host_ip_loopback(const char *host_ip)
{
	return strncmp(host_ip, "127.", 4) == 0 || strcmp(host_ip, "::1") == 0;
}

/* A binding on one host address (-p ADDR:P:C): that address is probed,
 * and only that one. */
bool nc_ct_host_ip_specific(const char *host_ip)
{
	return !nc_ct_host_ip_any4(host_ip) && strcmp(host_ip, "::") != 0 && !nc_ct_host_ip_loopback(host_ip);
}

/* The published paths of one container port over UDP: loopback and the
 * host's address for a binding on every address, loopback alone for one
 * on 127.0.0.1, the address itself for one on a specific address. */
static void add_published_udp(run_state_t *s, const nc_container_target_t *ct, uint16_t port, uint64_t timeout)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_endpoint_t target;
	bool any = false;

	for (size_t i = 0; i < ct->info.n_ports; i++) {
		const nc_container_port_t *b = &ct->info.ports[i];

		if (b->proto != NC_ENGINE_UDP || b->container_port != port || b->host_port == 0)
			continue;
		if (nc_ct_host_ip_any4(b->host_ip) || strcmp(b->host_ip, "127.0.0.1") == 0) {
			nc_endpoint_parse("127.0.0.1", b->host_port, &target);
			nc_run_add_udp(s, nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_LOOPBACK_UDP, NULL, port, &target), timeout);
		}
		if (nc_ct_host_ip_any4(b->host_ip) && env->host_address.family != 0) {
			target = env->host_address;
			target.port = b->host_port;
			nc_run_add_udp(s, nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_HOST_UDP, NULL, port, &target), timeout);
		} else if (nc_ct_host_ip_specific(b->host_ip) && strchr(b->host_ip, ':') == NULL &&
			   nc_endpoint_parse(b->host_ip, b->host_port, &target) == 0) {
			nc_run_add_udp(s, nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_HOST_UDP, NULL, port, &target), timeout);
		}
		any = true;
		break; /* the IPv4 binding decides; Docker lists :: beside it */
	}
	if (!any && !nc_run_ours(s)) {
		nc_path_t *p = nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_LOOPBACK_UDP, NULL, port, NULL); /* no host port: no target */

		if (p != NULL)
			nc_classify_not_sent(p, NC_NOT_SENT_NOT_PUBLISHED, "not sent: container port %u/udp is not published",
					     port);
	}
}

/* The published paths of one container port: loopback and the host's
 * address over IPv4 for a binding on every address, loopback over IPv6
 * for a binding on [::]. */
static void add_published(run_state_t *s, const nc_container_target_t *ct, uint16_t port, uint64_t timeout)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	uint16_t v4 = 0, v6 = 0, loopback_only = 0;
	const nc_container_port_t *specific = NULL;
	nc_publish_facts_t pub;
	nc_loopback6_t loopback6;
	nc_endpoint_t target;
	nc_path_t *p;

	for (size_t i = 0; i < ct->info.n_ports; i++) {
		const nc_container_port_t *b = &ct->info.ports[i];

		if (b->proto != NC_ENGINE_TCP || b->container_port != port || b->host_port == 0)
			continue;
		if (nc_ct_host_ip_any4(b->host_ip) && v4 == 0)
			v4 = b->host_port;
		else if (strcmp(b->host_ip, "::") == 0 && v6 == 0)
			v6 = b->host_port;
		else if (strcmp(b->host_ip, "127.0.0.1") == 0 && loopback_only == 0)
			loopback_only = b->host_port;
		else if (nc_ct_host_ip_specific(b->host_ip) && strchr(b->host_ip, ':') == NULL && specific == NULL)
			specific = b;
	}
	if (specific != NULL && nc_endpoint_parse(specific->host_ip, specific->host_port, &target) == 0)
		nc_run_add_tcp(s, nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_HOST, NULL, port, &target), timeout);
	/* Podman lists one binding for every address: [::] is served when
	 * the process listening over IPv6 is the same forwarder */
	if (v6 == 0 && port == ct->port && nc_result_container(s->result)->published_port6 != 0)
		v6 = nc_result_container(s->result)->published_port6;
	if (v4 == 0 && v6 == 0 && loopback_only == 0 && specific != NULL)
		return; /* published on that address alone */
	if (v4 == 0 && v6 == 0 && loopback_only == 0) {
		/* nothing forwards this port: say so on the path users try first
		 * (no host port: no target) */
		p = nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_HOST, NULL, port, NULL);
		if (p != NULL)
			nc_classify_not_sent(p, NC_NOT_SENT_NOT_PUBLISHED, "not sent: container port %u is not published", port);
		return;
	}
	if (v4 != 0 || loopback_only != 0) {
		nc_endpoint_parse("127.0.0.1", v4 ? v4 : loopback_only, &target);
		nc_run_add_tcp(s, nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_LOOPBACK, NULL, port, &target), timeout);
	}
	/* the forwarder on [::] was looked for on the main port only */
	pub = (nc_publish_facts_t){ .port = port, .host_port4 = v4, .host_port6 = v6,
				    .forwarder6_known = port == ct->port && ct->forwarder6_known,
				    .have_forwarder6 = ct->have_forwarder6 };
	loopback6 = nc_classify_loopback6(env->kind, &pub);
	if (loopback6 != NC_LOOPBACK6_NONE) {
		nc_endpoint_parse("::1", v6 != 0 ? v6 : v4, &target);
		p = nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_LOOPBACK6, NULL, port, &target);
		if (p != NULL && loopback6 == NC_LOOPBACK6_NOT_FORWARDED)
			nc_classify_not_forwarded6(p, &pub);
		else
			nc_run_add_tcp(s, p, timeout);
	}
	if (v4 != 0 && env->host_address.family != 0) {
		target = env->host_address;
		target.port = v4;
		nc_run_add_tcp(s, nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_HOST, NULL, port, &target), timeout);
	} else if (v4 == 0 && loopback_only != 0 && specific == NULL && env->host_address.family != 0) {
		/* on 127.0.0.1 only: the host's address (and every other host) is
		 * not served, as published -- said, not probed */
		target = env->host_address;
		target.port = loopback_only;
		p = nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_HOST, NULL, port, &target);
		if (p != NULL)
			nc_classify_not_sent(p, NC_NOT_SENT_LOOPBACK_ONLY,
					     "not sent: container port %u is published on 127.0.0.1 only; other hosts "
					     "cannot reach it, as published", port);
	}
}

/* A container that is not running (exited, restarting): every path is
 * there, none is sent. */
static void add_unsent(run_state_t *s, const nc_container_target_t *ct, const char *why)
{
	nc_endpoint_t none = { 0 };
	static const nc_path_kind_t kinds[] = { NC_PATH_DIRECT_TCP, NC_PATH_PUBLISHED_LOOPBACK, NC_PATH_PUBLISHED_HOST };

	for (size_t i = 0; i < NC_ARRAY_SIZE(kinds); i++) {
		nc_path_t *p = nc_ct_add_path(s, ct, kinds[i], NULL, ct->port, &none);

		if (p != NULL)
			nc_classify_not_sent(p, NC_NOT_SENT_NOT_RUNNING, "not sent: %s", why);
	}
}

/* --network host: the container's sockets are the host's; each port is
 * probed on this host's loopback and its address, as a direct path (no
 * forwarder, no NAT in between). */
static void add_host_network(run_state_t *s, const nc_container_target_t *ct, uint64_t timeout)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_endpoint_t addrs[2];
	size_t n = 0, n_ports = ct->n_ports + ct->n_udp_ports;

	nc_endpoint_parse("127.0.0.1", 0, &addrs[n++]);
	if (env->host_address.family != 0)
		addrs[n++] = env->host_address;
	for (size_t i = 0; i < n_ports; i++)
		for (size_t a = 0; a < n; a++) {
			bool udp = i >= ct->n_ports;
			uint16_t port = udp ? ct->udp_ports[i - ct->n_ports] : ct->ports[i];
			nc_endpoint_t target = addrs[a];
			char q[32];
			nc_path_t *p = NULL;

			/* "direct-tcp:host-loopback", "direct-tcp:host/8080" */
			snprintf(q, sizeof(q), "%s%s%.0u", a == 0 ? "host-loopback" : "host", n_ports > 1 ? "/" : "",
				 n_ports > 1 ? port : 0u);
			target.port = port;
			if (nc_result_add_path_named(s->result, udp ? NC_PATH_DIRECT_UDP : NC_PATH_DIRECT_TCP, q, &target, &p) < 0)
				continue;
			p->container_port = port;
			snprintf(p->network, sizeof(p->network), "host");
			if (udp)
				nc_run_add_udp(s, p, timeout);
			else
				nc_run_add_tcp(s, p, timeout);
		}
}

/* The paths of any container: direct to each address on each network,
 * published through each host binding of each probed port, TCP and UDP;
 * a container not running or without a network has its paths unsent, one
 * on the host's network is probed on the host's addresses. */
void nc_ct_plan_paths(run_state_t *s, nc_container_target_t *ct, uint64_t timeout)
{
	if (ct->exited || ct->info.restarting) {
		add_unsent(s, ct, ct->exited ? "the container is not running" : "the container is restarting");
		return;
	}
	if (nc_ct_network_mode(ct, "none")) {
		nc_endpoint_t none = { 0 };
		nc_path_t *p = nc_ct_add_path(s, ct, NC_PATH_DIRECT_TCP, NULL, ct->port, &none);

		if (p != NULL)
			nc_classify_not_sent(p, NC_NOT_SENT_NO_NETWORK,
					     "not sent: the container has no network (--network none): no path leads to it");
		return;
	}
	if (nc_ct_network_mode(ct, "host")) {
		add_host_network(s, ct, timeout);
		return;
	}
	for (size_t k = 0; k < ct->info.n_networks; k++) {
		const nc_container_network_t *net = &ct->info.networks[k];

		if (net->ip.family != 0)
			add_direct(s, ct, net, &net->ip, false, timeout);
		if (net->ip6.family != 0)
			add_direct(s, ct, net, &net->ip6, true, timeout);
	}
	for (size_t i = 0; i < ct->n_ports; i++)
		add_published(s, ct, ct->ports[i], timeout);
	for (size_t i = 0; i < ct->n_udp_ports; i++)
		add_published_udp(s, ct, ct->udp_ports[i], timeout);
}
