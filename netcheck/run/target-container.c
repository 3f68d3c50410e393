/* What the two container targets share (target-launched.c,
 * target-named.c): the facts of an inspected container (record, route,
 * forwarder, exit state, listeners), its direct and published paths, and
 * its capture points.  Paths are named by their kind alone when the
 * target has one network and one port, else qualified
 * ("direct-tcp:mynet/8080").
 * May call: engine, platform, probe, classify, result, and run-paths.c /
 * run-common.c below it.  Never prints. */
#include "target-container.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netcheck/image.h"
#include "netcheck/testing.h"

/* ---- facts ---------------------------------------------------------------- */

size_t nc_ct_published_ports(const nc_container_target_t *ct, nc_engine_proto_t proto, uint16_t *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ct->info.n_ports; i++) {
		const nc_container_port_t *b = &ct->info.ports[i];
		bool dup = false;

		if (b->proto != proto || b->host_port == 0)
			continue;
		for (size_t k = 0; k < n; k++)
			dup = dup || ret[k] == b->container_port;
		if (!dup && n < max)
			ret[n++] = b->container_port;
	}
	return n;
}

/* The facts both kinds of target need once inspected: the record, the
 * pid (only when it is a process of that container here), the route. */
int nc_ct_adopt_inspected(run_state_t *s, nc_container_target_t *ct, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	int r;

	snprintf(c->id, sizeof(c->id), "%s", ct->info.id);
	if (c->name[0] == '\0')
		snprintf(c->name, sizeof(c->name), "%s", ct->info.name[0] == '/' ? ct->info.name + 1 : ct->info.name);
	if (c->image[0] == '\0')
		snprintf(c->image, sizeof(c->image), "%s", ct->info.image);
	c->ip = ct->info.ip;
	c->published_port = ct->info.published_port;
	c->published_port6 = ct->info.published_port6;
	/* An engine in another PID namespace (a VM, a containerized dockerd)
	 * reports a pid that means nothing here, or another process: use it
	 * only when that process's cgroup names the container. */
	c->engine_pid = ct->info.pid;
	c->pid = nc_platform_pid_is_container(ct->info.pid, c->id) ? ct->info.pid : 0;
	ct->info.pid = c->pid;
	if (ct->info.ip.family == 0)
		return 0; /* exited, or no network: paths say so */
	r = nc_platform_route_get(&c->ip, &ct->route);
	if (r < 0)
		return nc_error_set(err, r, "route lookup for the container IP failed: %s", nc_strerror(r));
	return 0;
}

static void take_owner(const nc_platform_process_t *proc, nc_forwarder_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (proc->pid <= 0)
		return;
	snprintf(ret->name, sizeof(ret->name), "%s", proc->name);
	ret->pid = proc->pid;
}

/* Who listens on the published port and holds each published UDP port
 * (docker-proxy holds one socket per family and port): read once, now,
 * while we may still look at other users' processes (rootlesskit,
 * rootlessport), with one scan of the processes for all of them.  Some
 * engines (Podman) list one binding for every address ("HostIp": ""):
 * [::] is served too when the process listening on the port over IPv6 is
 * that one. */
void nc_ct_find_forwarder(run_state_t *s, nc_container_target_t *ct)
{
	nc_container_t *c = nc_result_container(s->result);
	nc_platform_socket_query_t q[NC_PLATFORM_MAX_QUERIES];
	nc_platform_process_t owner[NC_PLATFORM_MAX_QUERIES];
	size_t udp_at[NC_ENGINE_MAX_PORTS], n = 0, tcp4 = 0, tcp6 = 0, tcp_v6port = 0;
	nc_forwarder_t v6;

	for (size_t i = 0; i < ct->info.n_ports && i < NC_ENGINE_MAX_PORTS; i++) {
		const nc_container_port_t *b = &ct->info.ports[i];

		memset(ct->udp_forwarders[i], 0, sizeof(ct->udp_forwarders[i]));
		udp_at[i] = SIZE_MAX;
		if (b->proto != NC_ENGINE_UDP || b->host_port == 0 || n + 2 > NC_PLATFORM_MAX_QUERIES - 3)
			continue;
		udp_at[i] = n;
		q[n++] = (nc_platform_socket_query_t){ IPPROTO_UDP, b->host_port, AF_INET };
		q[n++] = (nc_platform_socket_query_t){ IPPROTO_UDP, b->host_port, AF_INET6 };
	}
	if (c->published_port != 0) {
		tcp4 = n;
		q[n++] = (nc_platform_socket_query_t){ IPPROTO_TCP, c->published_port, AF_INET };
		tcp6 = n;
		q[n++] = (nc_platform_socket_query_t){ IPPROTO_TCP, c->published_port, AF_INET6 };
		tcp_v6port = tcp6;
		if (c->published_port6 != 0 && c->published_port6 != c->published_port) {
			tcp_v6port = n;
			q[n++] = (nc_platform_socket_query_t){ IPPROTO_TCP, c->published_port6, AF_INET6 };
		}
	}
	if (n == 0 || nc_platform_socket_owners(q, n, owner) < 0)
		return; /* nothing known: the probes will tell */
	for (size_t i = 0; i < ct->info.n_ports && i < NC_ENGINE_MAX_PORTS; i++)
		if (udp_at[i] != SIZE_MAX)
			for (int f = 0; f < 2; f++)
				take_owner(&owner[udp_at[i] + (size_t)f], &ct->udp_forwarders[i][f]);
	if (c->published_port == 0)
		return;
	ct->have_forwarder = owner[tcp4].pid > 0 || owner[tcp6].pid > 0;
	take_owner(&owner[owner[tcp4].pid > 0 ? tcp4 : tcp6], &ct->forwarder);
	take_owner(&owner[tcp6], &v6);
	if (c->published_port6 == 0 && ct->have_forwarder && v6.pid > 0 && v6.pid == ct->forwarder.pid)
		c->published_port6 = c->published_port;
	/* a listener whose process this user may not see (a member of the
	 * package's group, docker-proxy root's) is not "nothing listens" */
	ct->forwarder6_known = owner[tcp_v6port].pid > 0 || !owner[tcp_v6port].listening;
	/* [::1] is accepted by the [::] listener: its own process */
	if (c->published_port6 != 0) {
		ct->have_forwarder6 = owner[tcp_v6port].pid > 0;
		take_owner(&owner[tcp_v6port], &ct->forwarder6);
	}
}

const nc_forwarder_t *nc_ct_forwarder_for(const void *t, const nc_path_t *p)
{
	const nc_container_target_t *ct = t;

	if (!nc_path_kind_is_published(p->kind))
		return NULL;
	/* a UDP path's forwarder is its own: the one holding its host port */
	if (nc_path_kind_proto(p->kind) == NC_PROTO_UDP) {
		for (size_t i = 0; i < ct->info.n_ports && i < NC_ENGINE_MAX_PORTS; i++)
			if (ct->info.ports[i].proto == NC_ENGINE_UDP && ct->info.ports[i].host_port == p->target.port) {
				const nc_forwarder_t *f = &ct->udp_forwarders[i][p->target.family == AF_INET6];

				return f->pid > 0 ? f : NULL;
			}
		return NULL;
	}
	if (nc_path_kind_proto(p->kind) != NC_PROTO_TCP)
		return NULL;
	if (p->target.family == AF_INET6)
		return ct->have_forwarder6 ? &ct->forwarder6 : NULL;
	return ct->have_forwarder ? &ct->forwarder : NULL;
}

static void read_logs(run_state_t *s, nc_container_target_t *ct)
{
	char raw[NC_RUN_LOG_MAX];
	size_t o = 0;
	int n;

	ct->logs[0] = '\0';
	n = nc_engine_container_logs(s->engine, ct->container_id, NC_RUN_LOG_TAIL, raw, sizeof(raw), NULL);
	if (n <= 0)
		return;
	/* one line: "first | second | third" */
	for (char *line = raw, *end; line != NULL && *line != '\0' && o + 1 < sizeof(ct->logs); line = end) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end++ = '\0';
		if (*line == '\0')
			continue;
		o += (size_t)snprintf(ct->logs + o, sizeof(ct->logs) - o, "%s%s", o ? " | " : "", line);
	}
}

/* The container's main process is gone: its exit code and last words.
 * One killed by SIGTERM or SIGKILL did not end by itself: the engine
 * stopped it (a restart, the OOM killer), which is the engine's failure,
 * not the app's.  Returns 0 or that error. */
int nc_ct_note_exit(run_state_t *s, nc_container_target_t *ct, nc_error_t *err)
{
	const char *image = nc_result_container(s->result)->image;
	int code = ct->info.exit_code;
	/* netcheck's responder never exits by itself: only when told to stop */
	bool responder = strncmp(image, nc_image_name(), strlen(nc_image_name())) == 0;

	ct->exited = true;
	read_logs(s, ct);
	if (code == 128 + SIGTERM || code == 128 + SIGKILL || (responder && code == 0))
		return nc_error_set(err, NC_EENGINE,
				    "container %.12s was stopped (exit code %d%s) before it answered: the engine at %s "
				    "stopped it",
				    ct->info.id, code, code == 128 + SIGKILL ? ", SIGKILL" : code == 128 + SIGTERM ? ", SIGTERM" : "",
				    nc_engine_url(s->engine));
	return 0;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm):
 * no timegm() in C11 or POSIX */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

double nc_ct_uptime_s(const char *started_at, double now)
{
	int y, mo, d, h, mi;
	double sec;
	double t;

	if (started_at == NULL || sscanf(started_at, "%4d-%2d-%2dT%2d:%2d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6 ||
	    y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
		return -1;
	t = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
	return now >= t ? now - t : -1;
}

/* The state and network mode from the last inspect, and whether a
 * network it is on is internal (one network inspect each, only when a
 * path failed). */
static void container_facts(run_state_t *s, nc_container_target_t *ct, bool path_failed, nc_container_facts_t *ret)
{
	struct timespec now;

	ret->known = ct->container_id[0] != '\0';
	ret->paused = ct->info.paused;
	ret->restarting = ct->info.restarting;
	ret->oom_killed = ct->info.oom_killed;
	ret->restart_count = ct->info.restart_count;
	ret->uptime_s = clock_gettime(CLOCK_REALTIME, &now) == 0
				? nc_ct_uptime_s(ct->info.started_at, (double)now.tv_sec + now.tv_nsec / 1e9)
				: -1;
	snprintf(ret->health, sizeof(ret->health), "%s", ct->info.health);
	snprintf(ret->network_mode, sizeof(ret->network_mode), "%s", ct->info.network_mode);
	for (size_t k = 0; path_failed && s->engine != NULL && k < ct->info.n_networks && !ret->internal; k++) {
		nc_network_info_t net;

		if (nc_engine_network_inspect(s->engine, ct->info.networks[k].name, &net, NULL) == 0 && net.internal) {
			ret->internal = true;
			snprintf(ret->internal_network, sizeof(ret->internal_network), "%s", ct->info.networks[k].name);
		}
	}
}

static size_t copy_bindings(const nc_container_target_t *ct, nc_publish_binding_t *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ct->info.n_ports && n < max; i++) {
		const nc_container_port_t *b = &ct->info.ports[i];

		ret[n].container_port = b->container_port;
		ret[n].proto = b->proto == NC_ENGINE_UDP ? NC_PROTO_UDP : NC_PROTO_TCP;
		snprintf(ret[n].host_ip, sizeof(ret[n].host_ip), "%s", b->host_ip);
		ret[n++].host_port = b->host_port;
	}
	return n;
}

static bool same_container(const char *listed_id, const nc_container_target_t *ct)
{
	size_t n = strlen(ct->container_id);

	return n >= 12 && strncmp(listed_id, ct->container_id, n) == 0;
}

/* One listed container into the facts' form (its host bindings, its addresses). */
static void take_other(const nc_container_listed_t *l, nc_other_container_t *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%.71s", l->id);
	snprintf(o->name, sizeof(o->name), "%.127s", l->name);
	for (size_t k = 0; k < l->n_ports && o->n_bindings < NC_OTHER_BINDINGS_MAX; k++) {
		nc_publish_binding_t *b = &o->bindings[o->n_bindings++];

		b->container_port = l->ports[k].container_port;
		b->proto = l->ports[k].proto == NC_ENGINE_UDP ? NC_PROTO_UDP : NC_PROTO_TCP;
		snprintf(b->host_ip, sizeof(b->host_ip), "%.63s", l->ports[k].host_ip);
		b->host_port = l->ports[k].host_port;
	}
	for (size_t k = 0; k < l->n_networks; k++) {
		const nc_endpoint_t *addrs[] = { &l->networks[k].ip, &l->networks[k].ip6 };

		for (size_t a = 0; a < NC_ARRAY_SIZE(addrs) && o->n_addresses < NC_OTHER_ADDRS_MAX; a++)
			if (addrs[a]->family != 0)
				o->addresses[o->n_addresses++] = *addrs[a];
	}
}

/* The engine's other containers publishing a host port that a reachable
 * published path dialled, when the policy says that path's answer is in
 * question (its DNAT went to none of the target's addresses, or the target
 * publishes the port on loopback only): listed afresh at a cycle's first
 * gather (fresh), at most NC_CT_OTHER_PORTS_MAX ports, no call at all when
 * no answer is in question.  Not for a project: its reachable paths are
 * diagnosed with its first container's facts, and a sibling would be
 * named as the other container. */
static void gather_others(run_state_t *s, nc_container_target_t *ct, bool fresh, nc_diag_facts_t *ret)
{
	nc_endpoint_t own[2 * NC_ENGINE_MAX_NETWORKS];
	uint16_t asked[NC_CT_OTHER_PORTS_MAX];
	nc_container_listed_t listed[NC_CT_OTHERS_MAX + 1];
	size_t n_own = 0, n_asked = 0, n_listed;

	if (fresh) {
		ct->others_listed = false;
		ct->n_others = 0;
		for (size_t k = 0; k < ct->info.n_networks; k++) {
			if (ct->info.networks[k].ip.family != 0)
				own[n_own++] = ct->info.networks[k].ip;
			if (ct->info.networks[k].ip6.family != 0)
				own[n_own++] = ct->info.networks[k].ip6;
		}
		for (size_t i = 0; s->engine != NULL && ct->service[0] == '\0' && i < nc_result_path_count(s->result); i++) {
			const nc_path_t *p = nc_result_path(s->result, i);
			nc_engine_proto_t proto = nc_path_kind_proto(p->kind) == NC_PROTO_UDP ? NC_ENGINE_UDP : NC_ENGINE_TCP;
			bool seen = false;

			if (!nc_classify_answer_in_question(p, own, n_own))
				continue;
			for (size_t a = 0; a < n_asked; a++)
				seen = seen || asked[a] == p->target.port;
			if (seen || n_asked == NC_CT_OTHER_PORTS_MAX)
				continue;
			asked[n_asked++] = p->target.port;
			if (nc_engine_containers_publishing(s->engine, p->target.port, proto, listed, NC_ARRAY_SIZE(listed),
							    &n_listed, NULL) < 0)
				continue;
			ct->others_listed = true;
			for (size_t k = 0; k < n_listed && ct->n_others < NC_CT_OTHERS_MAX; k++)
				if (!same_container(listed[k].id, ct))
					take_other(&listed[k], &ct->others[ct->n_others++]);
		}
	}
	if (!ct->others_listed)
		return;
	ret->others = ct->others;
	ret->n_others = ct->n_others;
	ret->n_bindings = copy_bindings(ct, ct->bindings, NC_ARRAY_SIZE(ct->bindings));
	ret->bindings = ct->bindings;
}

bool nc_ct_gather_facts(run_state_t *s, nc_container_target_t *ct, bool path_failed,
			const nc_diag_firewall_t *firewall, nc_diag_facts_t *ret)
{
	nc_platform_socket_t socks[NC_RUN_MAX_LISTENERS];
	size_t n = 0, max = NC_ARRAY_SIZE(ct->listeners);

	memset(ret, 0, sizeof(*ret));
	ret->firewall = firewall;
	if (!path_failed) {
		/* known without a call: a paused container explains a path that "worked" */
		container_facts(s, ct, false, &ret->container);
		gather_others(s, ct, true, ret);
		return firewall != NULL || ct->info.paused || ret->others != NULL;
	}
	if (s->engine != NULL && ct->container_id[0] != '\0' && !ct->exited &&
	    nc_engine_container_inspect(s->engine, ct->container_id, ct->port, &ct->info, NULL) == 0 && !ct->info.running)
		(void)nc_ct_note_exit(s, ct, NULL);
	if (ct->info.restarting && !ct->exited)
		read_logs(s, ct);
	container_facts(s, ct, true, &ret->container);
	ret->n_bindings = copy_bindings(ct, ct->bindings, NC_ARRAY_SIZE(ct->bindings));
	ret->bindings = ct->bindings;
	ret->exited = ct->exited;
	ret->exit_code = ct->info.exit_code;
	ret->last_logs = ct->logs;
	if (!ct->exited && ct->info.pid > 0 &&
	    nc_platform_netns_listeners(ct->info.pid, socks, NC_ARRAY_SIZE(socks), &n) == 0) {
		ret->have_listeners = true;
		for (size_t i = 0; i < n && i < max; i++) {
			ct->listeners[i].proto = socks[i].proto == IPPROTO_UDP ? NC_PROTO_UDP : NC_PROTO_TCP;
			ct->listeners[i].addr = socks[i].local;
			ct->listeners[i].v6only = socks[i].v6only;
		}
		ret->listeners = ct->listeners;
		ret->n_listeners = n < max ? n : max;
	}
	ret->n_published = nc_ct_published_ports(ct, NC_ENGINE_TCP, ct->published, NC_ARRAY_SIZE(ct->published));
	ret->published = ct->published;
	if (ct->have_forwarder)
		ret->forwarder = ct->forwarder;
	gather_others(s, ct, false, ret);
	return true;
}

void nc_ct_decide(run_state_t *s, nc_container_target_t *ct)
{
	/* no address of its own (exited, --network none or host): no route
	 * to judge, the environment is the engine's own kind */
	nc_run_decide_environment(s, ct->info.ip.family != 0 ? &ct->route : NULL);
}

/* ---- capture points -------------------------------------------------------- */

/* "(host A or host B) or (tcp port P or udp port P)": every address of
 * the target and every published port. */
static int build_filter(run_state_t *s, const nc_container_target_t *ct, char *buf, size_t len)
{
	const nc_container_t *c = nc_result_container(s->result);
	size_t o = 0;
	int r;

	buf[0] = '\0';
	for (size_t k = 0; k < ct->info.n_networks; k++) {
		const nc_endpoint_t *addrs[] = { &ct->info.networks[k].ip, &ct->info.networks[k].ip6 };

		for (size_t a = 0; a < NC_ARRAY_SIZE(addrs); a++) {
			char part[NC_CAPTURE_FILTER_MAX / 8];

			if (addrs[a]->family == 0 || nc_capture_filter(addrs[a], 0, NULL, 0, part, sizeof(part)) < 0)
				continue;
			r = snprintf(buf + o, len - o, "%s%s", o ? " or " : "", part);
			if (r < 0 || (size_t)r >= len - o)
				return -ENOSPC;
			o += (size_t)r;
		}
	}
	for (size_t i = 0; i < ct->info.n_ports; i++) {
		const nc_container_port_t *b = &ct->info.ports[i];

		if (b->host_port == 0)
			continue;
		r = snprintf(buf + o, len - o, "%s(%s port %u)", o ? " or " : "", b->proto == NC_ENGINE_UDP ? "udp" : "tcp",
			     b->host_port);
		if (r < 0 || (size_t)r >= len - o)
			return -ENOSPC;
		o += (size_t)r;
	}
	if (o == 0 && c->ip.family == 0)
		return -ENOENT; /* no address, no port: nothing of it crosses a point */
	if (o == 0) /* an exited target: its last known address */
		return nc_capture_filter(&c->ip, c->published_port, NULL, 0, buf, len);
	return 0;
}


int nc_ct_plan_capture(run_state_t *s, nc_container_target_t *ct, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_container_t *c = nc_result_container(s->result);
	char descr[128];
	int r;

	if (ct->exited || ct->info.restarting) {
		plan->none = "the container is not running: nothing crosses its points";
		return 0;
	}
	if (nc_ct_network_mode(ct, "none") || nc_ct_network_mode(ct, "host")) {
		plan->none = nc_ct_network_mode(ct, "none") ? "the container has no network: no interface of it to capture on"
							  : "the container shares the host's network: it has no interface of its own";
		return 0;
	}
	r = build_filter(s, ct, plan->filter, sizeof(plan->filter));
	if (r == -ENOENT) {
		plan->none = "the container has no address and publishes no port: nothing of it to capture";
		return 0;
	}
	if (r < 0)
		return nc_error_set(err, r, "capture filter: %s", nc_strerror(r));
	/* docker-proxy's [::] listener forwards to the container's IPv6
	 * address when it has one */
	if (ct->info.n_networks > 0)
		plan->container6 = ct->info.networks[0].ip6;
	/* each network the container is on: its bridge (when the bridge is
	 * ours: otherwise an ifindex names an interface of another namespace,
	 * and the same number here is a different interface), the host-side
	 * veth of the container's interface on it (its iflink, read in the
	 * container's namespace), and that interface inside the container */
	for (size_t k = 0; k < ct->info.n_networks && c->pid > 0 && !ct->exited; k++) {
		const nc_container_network_t *net = &ct->info.networks[k];
		char ifname[NC_IFNAME_MAX], veth[NC_IFNAME_MAX], bridge[NC_IFNAME_MAX] = "";
		nc_route_t rt;
		int iflink;

		snprintf(ifname, sizeof(ifname), "eth%zu", k);
		if (env->bridge_attached && net->ip.family != 0 && nc_platform_route_get(&net->ip, &rt) == 0 &&
		    rt.kind == NC_ROUTE_ON_LINK && !rt.via_default) {
			snprintf(bridge, sizeof(bridge), "%s", rt.ifname);
			snprintf(descr, sizeof(descr), "container bridge (%.64s network)", net->name);
			nc_run_plan_point(plan, NC_POINT_BRIDGE, bridge, descr, 0);
		}
		if (bridge[0] != '\0' && nc_platform_netns_iflink(c->pid, ifname, &iflink) == 0 &&
		    nc_platform_ifname(iflink, veth, sizeof(veth)) == 0) {
			if (k == 0)
				snprintf(c->veth, sizeof(c->veth), "%s", veth);
			snprintf(descr, sizeof(descr), "host veth of container %.12s on %.64s", c->id, net->name);
			nc_run_plan_point(plan, NC_POINT_VETH, veth, descr, 0);
		}
		snprintf(descr, sizeof(descr), "%s inside container %.12s", ifname, c->id);
		nc_run_plan_point(plan, NC_POINT_CONTAINER, ifname, descr, c->pid);
	}
	return 0;
}

bool nc_ct_network_mode(const nc_container_target_t *ct, const char *mode)
{
	return strcmp(ct->info.network_mode, mode) == 0;
}

void nc_ct_plan_other(run_state_t *s, nc_run_capture_plan_t *plan, int pid, const char *id, const char *what)
{
	char descr[128], veth[NC_IFNAME_MAX];
	int iflink;

	/* a pid of another PID namespace (a VM's) names another process here */
	if (pid <= 0 || !nc_platform_pid_is_container(pid, id))
		return;
	if (nc_result_environment(s->result)->bridge_attached && nc_platform_netns_iflink(pid, "eth0", &iflink) == 0 &&
	    nc_platform_ifname(iflink, veth, sizeof(veth)) == 0) {
		snprintf(descr, sizeof(descr), "host veth of %s %.12s", what, id);
		nc_run_plan_point(plan, NC_POINT_PEER_VETH, veth, descr, 0);
	}
	snprintf(descr, sizeof(descr), "eth0 inside %s %.12s", what, id);
	nc_run_plan_point(plan, NC_POINT_PEER_CONTAINER, "eth0", descr, pid);
}
