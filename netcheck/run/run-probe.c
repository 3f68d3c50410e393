/* The paths a target has, and their probes on the run's loop.
 *
 * Direct paths go to each address the container has on each of its
 * networks (only where the route rule allows); published paths to each
 * host binding of each probed port.  Paths are named by their kind alone
 * when the target has one network and one port, else qualified
 * ("direct-tcp:mynet/8080").  May call: probe, platform, classify, result. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"

static void qualifier(const run_state_t *s, const char *network, uint16_t port, char *buf, size_t len)
{
	bool by_net = s->info.n_networks > 1 && network != NULL;
	bool by_port = s->n_ports > 1 && port != 0;

	if (by_net && by_port)
		snprintf(buf, len, "%.64s/%u", network, port);
	else if (by_net)
		snprintf(buf, len, "%.64s", network);
	else if (by_port)
		snprintf(buf, len, "%u", port);
	else
		buf[0] = '\0';
}

static nc_path_t *add_path(run_state_t *s, nc_path_kind_t kind, const char *network, uint16_t port,
			   const nc_endpoint_t *target)
{
	char q[96];
	nc_path_t *p = NULL;

	qualifier(s, network, port, q, sizeof(q));
	if (nc_result_add_path_named(s->result, kind, q, target, &p) < 0)
		return NULL;
	p->container_port = port;
	if (network != NULL)
		snprintf(p->network, sizeof(p->network), "%s", network);
	return p;
}

/* A probe that could not be made is an error, not a skip: a skipped path
 * counts as expected, and this one never ran. */
static void start_later(run_state_t *s, nc_path_t *p, int r, nc_probe_t *probe)
{
	if (r == 0 && probe == NULL)
		r = -EINVAL;
	if (r < 0) {
		nc_classify_not_made(p, r); /* a missing privilege is a skip, anything else an error */
		return;
	}
	s->probe_path[s->n_probes] = (size_t)(p - nc_result_path(s->result, 0));
	s->probes[s->n_probes++] = probe;
}

/* HTTP is asked only of netcheck's responder (NULL: GET /<nonce>, which
 * tells the peer it saw) or with --http; any other TCP service counts as
 * reachable once the handshake is done and it did not reset at once. */
static const nc_probe_tcp_options_t *tcp_options(const run_state_t *s, nc_probe_tcp_options_t *opts)
{
	if (s->opt->image == NULL && s->opt->target == NULL)
		return NULL;
	memset(opts, 0, sizeof(*opts));
	opts->http = s->opt->http_path != NULL;
	opts->http_path = s->opt->http_path;
	return opts;
}

static void add_tcp(run_state_t *s, nc_path_t *p, uint64_t timeout)
{
	nc_probe_tcp_options_t opts;
	nc_probe_t *probe = NULL;
	int r;

	if (p == NULL || s->n_probes >= NC_MAX_PATHS)
		return;
	r = nc_probe_tcp_new(&s->loop, p, timeout, tcp_options(s, &opts), &probe);
	start_later(s, p, r, probe);
}

static void add_icmp(run_state_t *s, nc_path_t *p, uint64_t timeout)
{
	nc_probe_t *probe = NULL;
	int r;

	if (p == NULL || s->n_probes >= NC_MAX_PATHS)
		return;
	r = nc_probe_icmp_new(&s->loop, p, timeout, &probe);
	start_later(s, p, r, probe);
}

static void add_udp(run_state_t *s, nc_path_t *p, uint64_t timeout)
{
	nc_probe_t *probe = NULL;
	int r;

	if (p == NULL || s->n_probes >= NC_MAX_PATHS)
		return;
	r = nc_probe_udp_new(&s->loop, p, timeout, &probe);
	start_later(s, p, r, probe);
}

/* netcheck's own responder: it answers UDP and connects out on request */
static bool ours(const run_state_t *s)
{
	return s->opt->image == NULL && s->opt->target == NULL;
}

static bool any_v4(const char *host_ip)
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

static void add_direct(run_state_t *s, const nc_container_network_t *net, const nc_endpoint_t *addr, bool v6,
		       uint64_t timeout)
{
	nc_route_t rt;
	nc_endpoint_t target = *addr;
	nc_path_t *p;

	if (nc_platform_route_get(addr, &rt) < 0)
		rt.kind = NC_ROUTE_NONE;
	target.port = 0;
	p = add_path(s, v6 ? NC_PATH_DIRECT_ICMP6 : NC_PATH_DIRECT_ICMP, net->name, 0, &target);
	if (p != NULL && direct_allowed(s, p, &rt))
		add_icmp(s, p, timeout);
	for (size_t i = 0; i < s->n_ports; i++) {
		target.port = s->ports[i];
		p = add_path(s, v6 ? NC_PATH_DIRECT_TCP6 : NC_PATH_DIRECT_TCP, net->name, s->ports[i], &target);
		if (p != NULL && direct_allowed(s, p, &rt))
			add_tcp(s, p, timeout);
	}
	if (!v6 && ours(s)) {
		target.port = s->port;
		p = add_path(s, NC_PATH_DIRECT_UDP, net->name, s->port, &target);
		if (p != NULL && direct_allowed(s, p, &rt))
			add_udp(s, p, timeout);
	}
}

/* The UDP twins of the published paths: netcheck's responder publishes
 * its port over UDP too. */
static void add_published_udp(run_state_t *s, uint64_t timeout)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_endpoint_t target;

	for (size_t i = 0; i < s->info.n_ports; i++) {
		const nc_container_port_t *b = &s->info.ports[i];

		if (b->proto != NC_ENGINE_UDP || b->container_port != s->port || b->host_port == 0 || !any_v4(b->host_ip))
			continue;
		nc_endpoint_parse("127.0.0.1", b->host_port, &target);
		add_udp(s, add_path(s, NC_PATH_PUBLISHED_LOOPBACK_UDP, NULL, s->port, &target), timeout);
		if (env->host_address.family != 0) {
			target = env->host_address;
			target.port = b->host_port;
			add_udp(s, add_path(s, NC_PATH_PUBLISHED_HOST_UDP, NULL, s->port, &target), timeout);
		}
		return;
	}
}

/* What a client on another machine sees: from netcheck's own namespace
 * to the host's primary address and the published port, through
 * PREROUTING and FORWARD like a remote client. */
static void add_remote(run_state_t *s, uint64_t timeout)
{
	const nc_container_t *c = nc_result_container(s->result);
	nc_probe_tcp_options_t opts = { .http = true, .use_socket_fd = true };
	nc_endpoint_t target = s->remote.host_address;
	nc_probe_t *probe = NULL;
	nc_path_t *p;
	int fd, r;

	target.port = c->published_port;
	p = add_path(s, NC_PATH_PUBLISHED_REMOTE, NULL, s->port, &target);
	if (p == NULL)
		return;
	if (s->remote.netns_name[0] == '\0' || c->published_port == 0) {
		p->verdict = NC_VERDICT_SKIPPED;
		nc_path_set_detail(p, "%s", s->remote_note[0] ? s->remote_note : "not sent: no remote-client namespace");
		return;
	}
	r = nc_platform_remote_connect_fd(&s->remote, SOCK_STREAM, &fd);
	if (r < 0) {
		start_later(s, p, r, NULL);
		return;
	}
	opts.socket_fd = fd;
	opts.http_path = NULL; /* netcheck's responder: GET /<nonce>, the peer it saw */
	r = nc_probe_tcp_new(&s->loop, p, timeout, &opts, &probe);
	start_later(s, p, r, probe);
}

/* Paths that start inside the container: netcheck's responder connects
 * out (to the host listener, to the peer by address and by name). */
static void add_from_container(run_state_t *s, uint64_t timeout)
{
	const nc_container_t *c = nc_result_container(s->result);
	nc_endpoint_t responder = c->ip, target;
	const nc_container_network_t *peer_net;
	const char *net = s->info.n_networks > 0 ? s->info.networks[0].name : NULL;
	char name[NC_NAME_MAX + 8];
	nc_probe_t *probe = NULL;
	nc_path_t *p;
	int r;

	/* the control connection: straight to the container where the route
	 * allows it, else through the published port */
	if (s->route.kind != NC_ROUTE_ON_LINK || s->route.via_default || !nc_result_environment(s->result)->bridge_attached)
		nc_endpoint_parse("127.0.0.1", c->published_port, &responder);
	else
		responder.port = s->port;
	if (s->host_listener == NULL) {
		memset(&target, 0, sizeof(target));
		p = add_path(s, NC_PATH_CONTAINER_TO_HOST, net, 0, &target);
		if (p != NULL)
			nc_path_set_detail(p, "not sent: host.docker.internal does not lead to this host's network "
					      "namespace for the %s engine", nc_env_kind_name(nc_run_engine_kind(&s->version,
													  &s->engine_info)));
	} else {
		target = *nc_probe_listener_address(s->host_listener);
		p = add_path(s, NC_PATH_CONTAINER_TO_HOST, net, 0, &target);
		if (p != NULL) {
			snprintf(name, sizeof(name), "host.docker.internal:%u", target.port);
			r = nc_probe_relay_new(&s->loop, p, &responder, name, timeout, &probe);
			start_later(s, p, r, probe);
		}
	}
	peer_net = s->peer_info.n_networks > 0 ? &s->peer_info.networks[0] : NULL;
	if (s->peer_id[0] == '\0' || peer_net == NULL || peer_net->ip.family == 0)
		return;
	target = peer_net->ip;
	target.port = s->port;
	p = add_path(s, NC_PATH_CONTAINER_TO_CONTAINER, net, 0, &target);
	if (p != NULL) {
		char addr[NC_ENDPOINT_STRLEN];

		nc_endpoint_format(&target, true, addr, sizeof(addr));
		probe = NULL;
		r = nc_probe_relay_new(&s->loop, p, &responder, addr, timeout, &probe);
		start_later(s, p, r, probe);
	}
	p = add_path(s, NC_PATH_CONTAINER_TO_CONTAINER_DNS, net, 0, &target);
	if (p != NULL) {
		snprintf(name, sizeof(name), "%.200s:%u", s->peer_name, s->port);
		probe = NULL;
		r = nc_probe_relay_new(&s->loop, p, &responder, name, timeout, &probe);
		start_later(s, p, r, probe);
	}
}


/* The published paths of one container port: loopback and the host's
 * address over IPv4 for a binding on every address, loopback over IPv6
 * for a binding on [::]. */
static void add_published(run_state_t *s, uint16_t port, uint64_t timeout)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	uint16_t v4 = 0, v6 = 0, loopback_only = 0;
	nc_publish_facts_t pub;
	nc_loopback6_t loopback6;
	nc_endpoint_t target;
	nc_path_t *p;

	for (size_t i = 0; i < s->info.n_ports; i++) {
		const nc_container_port_t *b = &s->info.ports[i];

		if (b->proto != NC_ENGINE_TCP || b->container_port != port || b->host_port == 0)
			continue;
		if (any_v4(b->host_ip) && v4 == 0)
			v4 = b->host_port;
		else if (strcmp(b->host_ip, "::") == 0 && v6 == 0)
			v6 = b->host_port;
		else if (strcmp(b->host_ip, "127.0.0.1") == 0 && loopback_only == 0)
			loopback_only = b->host_port;
	}
	/* Podman lists one binding for every address: [::] is served when
	 * the process listening over IPv6 is the same forwarder */
	if (v6 == 0 && port == s->port && nc_result_container(s->result)->published_port6 != 0)
		v6 = nc_result_container(s->result)->published_port6;
	if (v4 == 0 && v6 == 0 && loopback_only == 0) {
		/* nothing forwards this port: say so on the path users try first */
		nc_endpoint_parse("127.0.0.1", 0, &target);
		p = add_path(s, NC_PATH_PUBLISHED_HOST, NULL, port, &target);
		if (p != NULL) {
			p->verdict = NC_VERDICT_UNREACHABLE;
			nc_path_set_detail(p, "not sent: container port %u is not published", port);
		}
		return;
	}
	if (v4 != 0 || loopback_only != 0) {
		nc_endpoint_parse("127.0.0.1", v4 ? v4 : loopback_only, &target);
		add_tcp(s, add_path(s, NC_PATH_PUBLISHED_LOOPBACK, NULL, port, &target), timeout);
	}
	/* the forwarder on [::] was looked for on the main port only */
	pub = (nc_publish_facts_t){ .port = port, .host_port4 = v4, .host_port6 = v6,
				    .forwarder6_known = port == s->port, .have_forwarder6 = s->have_forwarder6 };
	loopback6 = nc_classify_loopback6(env->kind, &pub);
	if (loopback6 != NC_LOOPBACK6_NONE) {
		nc_endpoint_parse("::1", v6 != 0 ? v6 : v4, &target);
		p = add_path(s, NC_PATH_PUBLISHED_LOOPBACK6, NULL, port, &target);
		if (p != NULL && loopback6 == NC_LOOPBACK6_NOT_FORWARDED)
			nc_classify_not_forwarded6(p, &pub);
		else
			add_tcp(s, p, timeout);
	}
	if (v4 != 0 && env->host_address.family != 0) {
		target = env->host_address;
		target.port = v4;
		add_tcp(s, add_path(s, NC_PATH_PUBLISHED_HOST, NULL, port, &target), timeout);
	}
}

/* An exited container: every path is there, none is sent. */
static void add_unsent(run_state_t *s)
{
	nc_endpoint_t none = { 0 };
	static const nc_path_kind_t kinds[] = { NC_PATH_DIRECT_TCP, NC_PATH_PUBLISHED_LOOPBACK, NC_PATH_PUBLISHED_HOST };

	for (size_t i = 0; i < NC_ARRAY_SIZE(kinds); i++) {
		nc_path_t *p = add_path(s, kinds[i], NULL, s->port, &none);

		if (p != NULL) {
			p->verdict = NC_VERDICT_UNREACHABLE;
			nc_path_set_detail(p, "not sent: the container is not running");
		}
	}
}

/* Every probe is done: nothing more to wait for but the last packets. */
static void probes_finished(run_state_t *s)
{
	uv_timer_stop(&s->watchdog);
	uv_close((uv_handle_t *)&s->watchdog, NULL);
	nc_probe_listener_close(s->host_listener);
	s->host_listener = NULL;
	nc_run_capture_finish(s);
}

static void on_probe_done(nc_probe_t *p, void *data)
{
	run_state_t *s = data;

	(void)p;
	if (++s->probes_done == s->n_probes)
		probes_finished(s);
}

static void on_watchdog(uv_timer_t *t)
{
	run_state_t *s = t->data;

	if (!nc_run_interrupted(s))
		return;
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_cancel(s->probes[i]);
}

/* ---- --swarm: four paths per node --------------------------------------- */

/* A swarm path that cannot be sent because of its node or task: not
 * reachable (it is not a skip: the user's swarm is short of a node), with
 * the engine's reason. */
static bool node_blocks(nc_path_t *p, const nc_node_t *node, const char *role)
{
	if (strcmp(node->state, "ready") != 0)
		nc_path_set_detail(p, "not sent: %s %.100s is %s", role, node->hostname, node->state);
	else if (strcmp(node->availability, "active") != 0)
		nc_path_set_detail(p, "not sent: %s %.100s is %s (no task is scheduled there)", role, node->hostname,
				   node->availability);
	else if (node->task_id[0] == '\0')
		nc_path_set_detail(p, "not sent: %s %.100s got no task in time", role, node->hostname);
	else if (strcmp(node->task_state, "running") != 0)
		nc_path_set_detail(p, "not sent: the task on %s %.100s is %s%s%.150s", role, node->hostname,
				   node->task_state, node->task_error[0] ? ": " : "", node->task_error);
	else if (node->host_port == 0 || node->address.family == 0)
		nc_path_set_detail(p, "not sent: %s %.100s has no published port or address", role, node->hostname);
	else
		return false;
	p->verdict = NC_VERDICT_UNREACHABLE;
	return true;
}

static nc_path_t *add_node_path(run_state_t *s, nc_path_kind_t kind, const nc_node_t *node, const nc_endpoint_t *target)
{
	nc_path_t *p = NULL;

	if (nc_result_add_path_named(s->result, kind, node->hostname, target, &p) < 0)
		return NULL;
	p->container_port = s->port;
	snprintf(p->node, sizeof(p->node), "%s", node->id);
	snprintf(p->network, sizeof(p->network), "%.120s", nc_result_swarm(s->result)->network_name);
	return p;
}

/* From here to a node's address dst (the path's target, or the task a
 * relayed path goes through): only on-link unless --allow-offhost.  The
 * route goes into the path; a refusal sets its verdict and detail. */
static bool node_route_allowed(run_state_t *s, nc_path_t *p, const nc_endpoint_t *dst)
{
	nc_route_t rt;

	if (nc_platform_route_get(dst, &rt) < 0)
		rt.kind = NC_ROUTE_NONE;
	nc_platform_route_format(dst, &rt, p->route, sizeof(p->route));
	return nc_classify_route(p, rt.kind, rt.via_default, rt.ifname, NULL, s->opt->allow_offhost);
}

/* The control connection of a relayed path: node's task through its
 * host-mode port. */
static void add_node_relay(run_state_t *s, nc_path_t *p, const nc_node_t *via, const char *target, uint64_t timeout)
{
	nc_endpoint_t control = via->address;
	nc_probe_t *probe = NULL;
	int r;

	control.port = via->host_port;
	if (!node_route_allowed(s, p, &control))
		return;
	r = nc_probe_relay_new(&s->loop, p, &control, target, timeout, &probe);
	start_later(s, p, r, probe);
}

static bool task_serves(const nc_node_t *n)
{
	return strcmp(n->task_state, "running") == 0 && n->host_port != 0;
}

/* The paths that start in a task go through netcheck's responder. */
static bool relay_possible(run_state_t *s, nc_path_t *p)
{
	if (ours(s))
		return true;
	p->verdict = NC_VERDICT_SKIPPED;
	nc_path_set_detail(p, "not sent: paths from a task need netcheck's responder");
	return false;
}

static void add_swarm(run_state_t *s, uint64_t timeout)
{
	const nc_swarm_t *sw = nc_result_swarm(s->result);
	const nc_node_t *first = NULL, *second = NULL;

	/* task-to-task starts on the first node whose task serves, and on the
	 * second one for the first node itself: VXLAN both ways */
	for (size_t i = 0; i < sw->n_nodes && second == NULL; i++)
		if (task_serves(&sw->nodes[i])) {
			if (first == NULL)
				first = &sw->nodes[i];
			else
				second = &sw->nodes[i];
		}
	for (size_t i = 0; i < sw->n_nodes && s->n_probes + 4 <= NC_MAX_PATHS; i++) {
		const nc_node_t *node = &sw->nodes[i], *from = node == first ? second : first;
		char target[NC_NAME_MAX + 16];
		nc_endpoint_t ep = node->address;
		nc_path_t *p;

		ep.port = node->host_port;
		p = add_node_path(s, NC_PATH_PUBLISHED_NODE, node, &ep);
		if (p != NULL && !node_blocks(p, node, "node") && node_route_allowed(s, p, &p->target))
			add_tcp(s, p, timeout);

		ep.port = sw->ingress_port;
		p = add_node_path(s, NC_PATH_PUBLISHED_INGRESS, node, &ep);
		if (p != NULL && sw->ingress_port == 0) {
			p->verdict = NC_VERDICT_SKIPPED;
			nc_path_set_detail(p, "%s", sw->ingress_note[0] ? sw->ingress_note : "not sent: no ingress port");
		} else if (p != NULL && !node_blocks(p, node, "node") && node_route_allowed(s, p, &p->target)) {
			add_tcp(s, p, timeout);
		}

		ep = node->task_address;
		ep.port = s->port;
		p = add_node_path(s, NC_PATH_TASK_TO_TASK, node, &ep);
		if (p != NULL && !node_blocks(p, node, "node") && relay_possible(s, p)) {
			if (from == NULL) {
				p->verdict = NC_VERDICT_SKIPPED;
				nc_path_set_detail(p, "not sent: no other node's task to start from");
			} else {
				nc_endpoint_format(&ep, true, target, sizeof(target));
				add_node_relay(s, p, from, target, timeout);
			}
		}

		memset(&ep, 0, sizeof(ep));
		p = add_node_path(s, NC_PATH_TASK_TO_SERVICE_DNS, node, &ep);
		if (p != NULL && !node_blocks(p, node, "node") && relay_possible(s, p)) {
			snprintf(target, sizeof(target), "tasks.%.200s:%u", sw->service_name, s->port);
			add_node_relay(s, p, node, target, timeout);
		}
	}
}

int nc_run_probe(run_state_t *s, nc_error_t *err)
{
	uint64_t timeout = s->opt->probe_timeout_ms ? s->opt->probe_timeout_ms : 2000;
	int r;

	/* paths, in report order */
	if (nc_result_swarm(s->result)->active) {
		add_swarm(s, timeout);
	} else if (s->exited) {
		add_unsent(s);
	} else {
		for (size_t k = 0; k < s->info.n_networks; k++) {
			const nc_container_network_t *net = &s->info.networks[k];

			if (net->ip.family != 0)
				add_direct(s, net, &net->ip, false, timeout);
			if (net->ip6.family != 0)
				add_direct(s, net, &net->ip6, true, timeout);
		}
		for (size_t i = 0; i < s->n_ports; i++)
			add_published(s, s->ports[i], timeout);
		if (ours(s)) {
			add_published_udp(s, timeout);
			add_remote(s, timeout);
			add_from_container(s, timeout);
		}
	}

	r = uv_timer_init(&s->loop, &s->watchdog);
	if (r < 0)
		return nc_error_set(err, r, "libuv timer: %s", uv_strerror(r));
	s->watchdog.data = s;
	uv_timer_start(&s->watchdog, on_watchdog, 20, 20);
	/* Everything that needs privilege is open now (capture handles, the
	 * ICMP socket, the forwarder looked up): the probes and the rest of the
	 * run go without any capability. */
	if (nc_platform_drop_privileges(strncmp(nc_engine_url(s->engine), "unix://", 7) == 0 &&
					nc_platform_socket_needs_override(nc_engine_url(s->engine) + 7)) == 0)
		nc_result_environment(s->result)->privileges_dropped = true;
	nc_run_progress(s, "probing %zu of %zu paths", s->n_probes, nc_result_path_count(s->result));
	/* the loop's clock was last read before the target was prepared
	 * (seconds, for a swarm): every probe's deadline counts from now */
	uv_update_time(&s->loop);
	for (size_t i = 0; i < s->n_probes; i++) {
		r = nc_probe_start(s->probes[i], on_probe_done, s);
		if (r < 0) {
			nc_path_t *p = nc_result_path(s->result, s->probe_path[i]);

			s->probes_done++; /* not started: no callback will come */
			if (p->verdict == NC_VERDICT_SKIPPED)
				p->verdict = NC_VERDICT_ERROR;
			nc_path_set_detail(p, "the probe could not be sent: %s", nc_strerror(r));
		}
	}
	if (s->probes_done == s->n_probes)
		probes_finished(s);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return 0;
}
