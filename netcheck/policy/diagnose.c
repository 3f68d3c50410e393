/* Diagnosis: why a path failed or surprised, from the facts run gathered
 * (container state, socket table, published ports, forwarder, firewall
 * ruleset) and the capture points that saw its packets.  Pure: reads the
 * model, writes the path's diagnosis. */
#include "netcheck/policy.h"
#include "diagnose-internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* ---- why a path failed --------------------------------------------------- */

/* Where a path's packets meet each point, outermost first; -1: not on its
 * way (a remote client's packets never cross lo, this host's never cross
 * the remote namespace's veth). */
int nc_diagnose_point_rank(nc_point_kind_t k, nc_path_kind_t path)
{
	bool remote = nc_path_kind_is_remote(path);

	switch (k) {
	case NC_POINT_REMOTE: return remote ? 0 : -1;
	case NC_POINT_REMOTE_HOST_SIDE: return remote ? 1 : -1;
	case NC_POINT_LOOPBACK: return remote ? -1 : 2;
	case NC_POINT_BRIDGE: return 3;
	case NC_POINT_VETH: return 4;
	case NC_POINT_CONTAINER: return 5;
	default: return -1; /* the default-route interface, the peer's points: not on the way */
	}
}

/* The same for one capture point of the run: another container's veth or
 * eth0 (probe --project) is never on p's way. */
int nc_diagnose_point_rank_of(const struct nc_capture_point_summary *cp, const nc_path_t *p)
{
	if (cp->container[0] != '\0' && strcmp(cp->container, p->container) != 0)
		return -1;
	return nc_diagnose_point_rank(cp->kind, p->kind);
}

static const char *between(nc_point_kind_t from, nc_point_kind_t to)
{
	if (to == NC_POINT_BRIDGE && from == NC_POINT_REMOTE_HOST_SIDE)
		return "the host's netfilter (PREROUTING DNAT, then FORWARD with DOCKER-USER and DOCKER) and routing";
	if (to == NC_POINT_BRIDGE)
		return "the host's netfilter (nat OUTPUT/PREROUTING, filter FORWARD/DOCKER-USER) and routing";
	if (to == NC_POINT_REMOTE_HOST_SIDE)
		return "the veth pair of netcheck's remote-client namespace";
	if (to == NC_POINT_VETH)
		return "the bridge (and br_netfilter's FORWARD, when loaded)";
	if (to == NC_POINT_CONTAINER)
		return "the veth pair into the container";
	(void)from;
	return "this host's stack";
}

static bool client_seen_at(const nc_path_t *p, const char *point)
{
	for (size_t i = 0; i < p->n_hops; i++)
		if (strcmp(p->hops[i].capture_point, point) == 0 && p->hops[i].leg != NC_LEG_NONE)
			return true;
	return false;
}

/* The last point (outermost first) that saw the path's packets and the
 * first one after it that did not; false when the trail has no gap. */
static bool find_gap(const nc_path_t *p, const nc_environment_t *env, size_t *ret_last, size_t *ret_next)
{
	int last_rank = -1, next_rank = 100;
	size_t last = 0, next = 0;
	bool have_last = false, have_next = false;

	for (size_t i = 0; i < env->n_capture_points; i++) {
		int rank = nc_diagnose_point_rank_of(&env->capture_points[i], p);

		if (rank >= 0 && client_seen_at(p, env->capture_points[i].name) && rank > last_rank) {
			last_rank = rank;
			last = i;
			have_last = true;
		}
	}
	if (!have_last)
		return false;
	for (size_t i = 0; i < env->n_capture_points; i++) {
		int rank = nc_diagnose_point_rank_of(&env->capture_points[i], p);

		if (rank > last_rank && rank < next_rank && !client_seen_at(p, env->capture_points[i].name)) {
			next_rank = rank;
			next = i;
			have_next = true;
		}
	}
	*ret_last = last;
	*ret_next = next;
	return have_next;
}

/* The container's sockets, or (p not NULL) only those of p's protocol on
 * its port: "listens on port 80 only on loopback" names port 80's
 * sockets, not Docker's resolver on 127.0.0.11 of a user network. */
static void list_listeners(const nc_diag_facts_t *f, const nc_path_t *p, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->n_listeners && o + 1 < len; i++) {
		char a[NC_ENDPOINT_STRLEN];

		if (p != NULL && (f->listeners[i].proto != nc_path_kind_proto(p->kind) ||
				  f->listeners[i].addr.port != p->container_port))
			continue;
		if (nc_endpoint_format(&f->listeners[i].addr, true, a, sizeof(a)) < 0)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s/%s", o ? ", " : "", a,
				      f->listeners[i].proto == NC_PROTO_UDP ? "udp" : "tcp");
	}
	if (o == 0)
		snprintf(buf, len, "nothing at all");
}

/* The address family the container sees a path's packets come in on:
 * a direct path's own; a published one reaches the container's IPv4
 * address (Docker's DNAT and docker-proxy both forward to it). */
static int container_family(const nc_path_t *p)
{
	if (nc_path_kind_is_direct(p->kind) && p->target.family != 0)
		return p->target.family;
	return AF_INET;
}

/* Which of the container's sockets serve this path: 1 = one that every
 * address reaches, 0 = only loopback ones, 2 = only [::] sockets with
 * IPV6_V6ONLY for an IPv4 client, -1 = none. */
static int listener_state(const nc_path_t *p, const nc_diag_facts_t *f)
{
	nc_path_proto_t proto = nc_path_kind_proto(p->kind);
	bool loopback_only = false, v6only = false;

	for (size_t i = 0; i < f->n_listeners; i++) {
		const nc_listener_t *l = &f->listeners[i];

		if (l->proto != proto || l->addr.port != p->container_port)
			continue;
		if (nc_endpoint_is_loopback(&l->addr))
			loopback_only = true;
		else if (l->addr.family == AF_INET6 && container_family(p) == AF_INET && l->v6only &&
			 IN6_IS_ADDR_UNSPECIFIED(&l->addr.addr.v6))
			v6only = true; /* [::] that takes no IPv4: an IPv4 client never reaches it */
		else if (l->addr.family != container_family(p) &&
			 !(l->addr.family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&l->addr.addr.v6)))
			continue; /* another family's address */
		else
			return 1;
	}
	return v6only ? 2 : loopback_only ? 0 : -1;
}

/* Whether the app has opened any socket of the path's protocol yet: an app
 * that listens on another port has started (the port is wrong); one with no
 * socket at all may still be starting. */
static bool listens_at_all(const nc_path_t *p, const nc_diag_facts_t *f)
{
	for (size_t i = 0; i < f->n_listeners; i++)
		if (f->listeners[i].proto == nc_path_kind_proto(p->kind))
			return true;
	return false;
}

static bool port_published(const nc_path_t *p, const nc_diag_facts_t *f)
{
	if (f->bindings != NULL) {
		for (size_t i = 0; i < f->n_bindings; i++)
			if (f->bindings[i].container_port == p->container_port &&
			    f->bindings[i].proto == nc_path_kind_proto(p->kind) && f->bindings[i].host_port != 0)
				return true;
		return false;
	}
	for (size_t i = 0; i < f->n_published; i++)
		if (f->published[i] == p->container_port)
			return true;
	return false;
}

static bool host_ip_any(const char *ip)
{
	return ip[0] == '\0' || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* The binding of the path's port and protocol whose host address the path
 * dialled (every address counts for its family); NULL when the port is
 * published only elsewhere.  ret_other: one it is published on. */
static const nc_publish_binding_t *binding_probed(const nc_path_t *p, const nc_diag_facts_t *f,
						  const nc_publish_binding_t **ret_other)
{
	char target[NC_ENDPOINT_STRLEN];

	*ret_other = NULL;
	if (nc_endpoint_format(&p->target, false, target, sizeof(target)) < 0)
		return NULL;
	for (size_t i = 0; i < f->n_bindings; i++) {
		const nc_publish_binding_t *b = &f->bindings[i];
		bool any6 = strcmp(b->host_ip, "::") == 0;

		if (b->container_port != p->container_port || b->proto != nc_path_kind_proto(p->kind) || b->host_port == 0)
			continue;
		if (strcmp(b->host_ip, target) == 0 ||
		    (host_ip_any(b->host_ip) && (any6 ? p->target.family == AF_INET6 : true)))
			return b;
		*ret_other = b;
	}
	return NULL;
}

/* "the rule `tcp dport 8080 drop` (chain ufw-user-input, from INPUT, table
 * ip filter)" / "INPUT's policy drop (table ip filter)" */
void nc_diagnose_firewall_rule_words(const nc_fw_drop_t *d, char *buf, size_t len)
{
	if (d->policy)
		snprintf(buf, len, "%.60s's policy drop (table %.8s %.60s)", d->chain, d->family, d->table);
	else if (strcmp(d->chain, d->base_chain) != 0)
		snprintf(buf, len, "the rule `%.200s` (chain %.60s, from %.60s, table %.8s %.60s)", d->rule, d->chain,
			 d->base_chain, d->family, d->table);
	else
		snprintf(buf, len, "the rule `%.200s` (chain %.60s, table %.8s %.60s)", d->rule, d->chain, d->family,
			 d->table);
}

bool nc_diagnose_firewall_for(const nc_path_t *p, const nc_diag_firewall_t *fw)
{
	return fw != NULL && p->kind == NC_PATH_PUBLISHED_REMOTE &&
	       (p->target.port == 0 || fw->published_port == 0 || p->target.port == fw->published_port);
}

/* A remote client got in although an input-hook rule drops its port:
 * Docker's DNAT in PREROUTING turned it into forwarded traffic first, so
 * INPUT never saw it.  The user meant the port closed. */
static bool diagnose_bypass(nc_path_t *p, const nc_diag_firewall_t *fw)
{
	char rule[NC_DIAG_DETAIL_MAX], hint[NC_DIAG_HINT_MAX];

	if (!nc_diagnose_firewall_for(p, fw) || fw->status < 0 || !fw->input_drop)
		return false;
	nc_diagnose_firewall_rule_words(&fw->input, rule, sizeof(rule));
	snprintf(hint, sizeof(hint),
		 "filter published ports in DOCKER-USER by their original port (`iptables -I DOCKER-USER -p tcp -m "
		 "conntrack --ctorigdstport %u -j DROP`), or publish on 127.0.0.1 only", fw->published_port);
	nc_path_diagnose(p, NC_DIAG_INPUT_FIREWALL_BYPASSED, hint,
			 "%.300s drops port %u for %sremote clients, but Docker's DNAT sends published traffic through "
			 "FORWARD, not INPUT, so the rule does not protect the container: a remote client reached it",
			 rule, fw->published_port, fw->input.conditional ? "some " : "");
	return true;
}

/* The chain that drops published-remote's packets, from the ruleset; or
 * why the ruleset cannot say.  "" when it was not read (another path). */
static void forward_drop_words(const nc_path_t *p, const nc_diag_firewall_t *fw, char *buf, size_t len)
{
	char rule[NC_DIAG_DETAIL_MAX];

	buf[0] = '\0';
	if (!nc_diagnose_firewall_for(p, fw))
		return;
	if (fw->status < 0) {
		snprintf(buf, len, "; the ruleset could not be read (%.200s)", fw->error);
	} else if (fw->forward_drop) {
		nc_diagnose_firewall_rule_words(&fw->forward, rule, sizeof(rule));
		snprintf(buf, len, "; %.440s %s it", rule, fw->forward.reject ? "rejects" : "drops");
	} else {
		snprintf(buf, len, "; no rule netcheck could read in the ruleset drops it%s",
			 fw->legacy_tables ? " (iptables-legacy tables exist: their rules were not read)" : "");
	}
}

/* Who reset the connection, from the captured packets: a reset the
 * container sent (seen leaving it, from the path's port) is its kernel's
 * -- on the forwarder's own connection when it was on that leg; a reset
 * the container never sent came from something on the way.  false when
 * no reset was captured. */
static bool diagnose_reset_from_packets(nc_path_t *p, const nc_environment_t *env, const nc_diag_facts_t *f)
{
	const nc_packet_summary_t *from_container = NULL, *first = NULL;

	for (size_t i = 0; i < p->n_packets; i++) {
		const nc_packet_summary_t *k = &p->packets[i];
		int kind = nc_diagnose_point_kind_of(env, k->capture_point);

		if (!(k->tcp_flags & NC_TCP_RST))
			continue;
		if (first == NULL)
			first = k;
		if (from_container == NULL && (kind == NC_POINT_CONTAINER || kind == NC_POINT_VETH) &&
		    k->src.port == p->container_port && p->container_port != 0)
			from_container = k;
	}
	if (from_container != NULL && from_container->leg == NC_LEG_PROXY_TO_CONTAINER && f != NULL &&
	    f->forwarder.pid > 0) {
		nc_path_diagnose(p, NC_DIAG_RESET, "check that the app in the container accepts connections",
				 "the container's kernel refused the forwarder's connection (nothing accepted on port %u), "
				 "and the forwarder (%s, pid %d) closed the client's in turn", p->container_port,
				 f->forwarder.name, f->forwarder.pid);
		nc_diagnose_observe_reset(&p->diagnosis, from_container);
		nc_diagnose_observe_forwarder(&p->diagnosis, &f->forwarder);
	} else if (from_container != NULL) {
		nc_path_diagnose(p, NC_DIAG_RESET, NULL,
				 "the container's kernel reset the connection: nothing accepted on port %u", p->container_port);
		nc_diagnose_observe_reset(&p->diagnosis, from_container);
	} else if (first != NULL) {
		char src[NC_ENDPOINT_STRLEN];

		nc_endpoint_format(&first->src, true, src, sizeof(src));
		nc_path_diagnose(p, NC_DIAG_RESET,
				 "look for a REJECT rule with tcp-reset (`nft list ruleset`, `iptables -S DOCKER-USER`)",
				 "a reset from %s reached the client (seen on %s), but the container sent none: something "
				 "on the way answered for it", src, first->capture_point);
		nc_diagnose_observe_reset(&p->diagnosis, first);
		nc_diagnose_observe_capture(&p->diagnosis, p, env);
	} else {
		return false;
	}
	if (f != NULL && f->have_listeners)
		nc_diagnose_observe_listeners(&p->diagnosis, p, f);
	return true;
}

static void diagnose_reachable(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_diag_firewall_t *fw = f != NULL && nc_diagnose_firewall_for(p, f->firewall) ? f->firewall : NULL;

	/* what answered first: another container's answer says nothing of this one */
	if (nc_diagnose_other_container(p, f))
		return;
	if (f != NULL && f->container.known && f->container.paused && nc_path_kind_proto(p->kind) == NC_PROTO_TCP) {
		nc_path_diagnose(p, NC_DIAG_CONTAINER_PAUSED, "docker unpause it",
				 "connected, but the container is paused: the kernel completed the handshake and no "
				 "process in it will read or answer");
		nc_diagnose_observe_container(&p->diagnosis, f);
		return;
	}
	if (diagnose_bypass(p, fw)) {
		nc_diagnose_observe_rule(&p->diagnosis, &fw->input, "the published port for remote clients on the input hook");
		return;
	}
	/* the client's address rewritten: the app cannot tell clients apart */
	(void)nc_diagnose_source_lost(p);
}

static void diagnose_name(nc_path_t *p)
{
	if (strcmp(p->network, "bridge") == 0)
		nc_path_diagnose(p, NC_DIAG_NAME_NOT_RESOLVED,
				 "use a user-defined network (docker network create) or the peer's address",
				 "the name did not resolve: the default bridge has no embedded DNS, so containers "
				 "on it find each other by address only");
	else
		nc_path_diagnose(p, NC_DIAG_NAME_NOT_RESOLVED, NULL, "the name did not resolve on network %s: %s",
				 p->network, p->detail);
	nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "the container's resolver answered: %.200s", p->detail);
}

/* container-to-host: the name gave no address in the container, or one
 * that led nowhere netcheck's listener saw a connection from. */
static bool diagnose_host(nc_path_t *p)
{
	char listener[NC_ENDPOINT_STRLEN];

	if (strncmp(p->detail, "ENOENT", 6) == 0) {
		nc_path_diagnose(p, NC_DIAG_NAME_NOT_RESOLVED,
				 "give the container --add-host host.docker.internal:host-gateway (Docker Desktop's engine "
				 "resolves it itself)",
				 "host.docker.internal did not resolve in the container: %.200s", p->detail);
		nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "the container's resolver answered: %.200s", p->detail);
		return true;
	}
	if (p->resolved[0] == '\0' || p->arrival_interface[0] == '\0' || p->arrivals > 0)
		return false;
	nc_endpoint_format(&p->target, true, listener, sizeof(listener));
	nc_path_diagnose(p, NC_DIAG_HOST_NOT_REACHED,
			 "see docs/diagnosis.md#host-not-reached: a firewall rule for the bridge natively, Desktop's "
			 "backend or a VPN on Docker Desktop",
			 "host.docker.internal resolved to %s (%s) in the container, but no connection arrived at "
			 "netcheck's listener on %s (%s): %.120s", p->resolved, p->resolved_by[0] ? p->resolved_by : "?",
			 listener, p->arrival_interface, p->detail);
	nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "the container's resolver gave %s (%s)", p->resolved,
			     p->resolved_by[0] ? p->resolved_by : "?");
	nc_diagnosis_observe(&p->diagnosis, NC_OBS_SOCKET, "netcheck's listener on %s (%s) answered %u connections",
			     listener, p->arrival_interface, p->arrivals);
	return true;
}

/* The container's own state explains any failed path: paused (no process
 * runs), between two runs of its restart policy, no network at all. */
static bool diagnose_state(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_container_facts_t *c = &f->container;
	const char *logs = f->last_logs != NULL ? f->last_logs : "";

	if (!c->known || f->exited)
		return false;
	if (c->paused) {
		nc_path_diagnose(p, NC_DIAG_CONTAINER_PAUSED, "docker unpause it",
				 "the container is paused: its processes are frozen, so nothing in it answers "
				 "(the kernel may still complete a TCP handshake)");
	} else if (c->restarting) {
		nc_path_diagnose(p, NC_DIAG_CONTAINER_RESTARTING, "read its log (docker logs) and fix what makes it exit",
				 "the container is restarting: its app exited with code %d%s after %d restart%s by its "
				 "restart policy%s%.250s", f->exit_code, c->oom_killed ? " (OOM-killed)" : "",
				 c->restart_count, c->restart_count == 1 ? "" : "s", logs[0] ? "; its last log lines: " : "",
				 logs);
	} else if (strcmp(c->network_mode, "none") == 0) {
		nc_path_diagnose(p, NC_DIAG_NO_NETWORK, "run it on a network (docker run --network bridge, or a user network)",
				 "the container runs with --network none: it has no interface but loopback, so "
				 "nothing outside it can reach it");
		nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "the engine says its network mode is none");
		return true;
	} else {
		return false;
	}
	nc_diagnose_observe_container(&p->diagnosis, f);
	return true;
}

/* How the engine publishes the port explains a published path: an
 * internal network (the engine dropped -p), or a binding on another host
 * address than the one dialled. */
static bool diagnose_publish(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_publish_binding_t *other = NULL;
	char target[NC_ENDPOINT_STRLEN];
	const char *proto = nc_diagnose_proto_word(nc_path_kind_proto(p->kind));

	if (!nc_path_kind_is_published(p->kind) || p->container_port == 0)
		return false;
	if (f->container.known && f->container.internal && !port_published(p, f)) {
		nc_path_diagnose(p, NC_DIAG_INTERNAL_NETWORK,
				 "connect it to a non-internal network too (docker network connect), or reach it from a "
				 "container on its network",
				 "the container is on the internal network %.64s: the engine publishes no port there, "
				 "so container port %u/%s has no host binding (-p was dropped)",
				 f->container.internal_network, p->container_port, proto);
		nc_diagnosis_observe(&p->diagnosis, NC_OBS_ENGINE, "the engine says network %.64s is internal",
				     f->container.internal_network);
		nc_diagnose_observe_bindings(&p->diagnosis, p, f);
		return true;
	}
	if (f->bindings == NULL || binding_probed(p, f, &other) != NULL || other == NULL ||
	    nc_endpoint_format(&p->target, false, target, sizeof(target)) < 0)
		return false;
	nc_path_diagnose(p, NC_DIAG_PUBLISHED_ELSEWHERE,
			 strcmp(other->host_ip, "127.0.0.1") == 0 || strcmp(other->host_ip, "::1") == 0
				 ? "publish it on every address (-p P:C) if other hosts must reach it; from this host use 127.0.0.1"
				 : "connect to the address it is published on, or publish it on every address (-p P:C)",
			 "container port %u/%s is published on %s%s%s:%u only, not on %s, the address probed",
			 p->container_port, proto, strchr(other->host_ip, ':') ? "[" : "", other->host_ip,
			 strchr(other->host_ip, ':') ? "]" : "", other->host_port, target);
	nc_diagnose_observe_bindings(&p->diagnosis, p, f);
	return true;
}

/* An IPv6 path whose route still had a tentative address at the bound of
 * the readiness wait, or one whose duplicate address detection failed:
 * the kernel does not use it (yet). */
static bool diagnose_not_ready(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_addr_readiness_t *r = f->ipv6_ready;
	char a[NC_ENDPOINT_STRLEN];
	nc_observation_t *o;

	if (r == NULL || (!r->timed_out && !r->dad_failed) || p->target.family != AF_INET6 ||
	    nc_endpoint_format(&r->address, false, a, sizeof(a)) < 0)
		return false;
	if (r->dad_failed) {
		nc_path_diagnose(p, NC_DIAG_ADDRESS_NOT_READY, "find the other holder of that address (ip -6 neigh, "
				 "the network's other containers) and give one of them another",
				 "duplicate address detection failed for %s on %.32s: another node answers for it, "
				 "so the kernel never uses it", a, r->ifname);
		o = nc_diagnosis_observe(&p->diagnosis, NC_OBS_ROUTE, "address %s on %.32s has flags 0x%x (dadfailed)",
					 a, r->ifname, r->flags);
	} else {
		nc_path_diagnose(p, NC_DIAG_ADDRESS_NOT_READY, "run again in a few seconds; or disable DAD on that "
				 "interface (net.ipv6.conf.IF.accept_dad=0)",
				 "the address %s on %.32s was still tentative (duplicate address detection) after %.0f ms: "
				 "the kernel does not use it yet", a, r->ifname, r->waited_ms);
		o = nc_diagnosis_observe(&p->diagnosis, NC_OBS_ROUTE,
					 "address %s on %.32s has flags 0x%x (tentative) after %.0f ms", a, r->ifname,
					 r->flags, r->waited_ms);
	}
	if (o != NULL)
		o->local = r->address;
	return true;
}

/* The rules in order; the first that holds decides.  Returns with no code
 * when none does. */
static void diagnose_failed(nc_path_t *p, const nc_environment_t *env, const nc_diag_facts_t *f)
{
	char what[NC_DIAG_DETAIL_MAX / 2], chain[NC_DIAG_DETAIL_MAX];
	const nc_diag_firewall_t *fw = f != NULL && nc_diagnose_firewall_for(p, f->firewall) ? f->firewall : NULL;
	const char *proto = nc_diagnose_proto_word(nc_path_kind_proto(p->kind));
	nc_diagnosis_t *d = &p->diagnosis;
	size_t last, next;

	if (p->kind == NC_PATH_CONTAINER_TO_HOST && diagnose_host(p))
		return;
	if (nc_path_kind_from_container(p->kind) && strncmp(p->detail, "ENOENT", 6) == 0) {
		diagnose_name(p);
		return;
	}
	if (f == NULL)
		return;
	if (diagnose_state(p, f))
		return;
	if (f->exited) {
		nc_path_diagnose(p, NC_DIAG_CONTAINER_EXITED, "read its log (above) and fix what stopped it",
				 "the container's main process exited with code %d%s%.300s", f->exit_code,
				 f->last_logs != NULL && f->last_logs[0] ? "; its last log lines: " : "",
				 f->last_logs != NULL ? f->last_logs : "");
		nc_diagnose_observe_container(d, f);
		return;
	}
	if (diagnose_publish(p, f))
		return;
	if (nc_path_kind_is_published(p->kind) && (f->published != NULL || f->bindings != NULL) &&
	    p->container_port != 0 && !port_published(p, f)) {
		char list[160] = "";
		size_t o = 0;

		for (size_t i = 0; i < f->n_published && o + 1 < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", o ? ", " : "", f->published[i]);
		nc_path_diagnose(p, NC_DIAG_NOT_PUBLISHED, "publish it (docker run -p HOST:CONTAINER)",
				 "container port %u/%s is not published; published: %s", p->container_port, proto,
				 o ? list : "none");
		nc_diagnose_observe_published(d, p, f);
		return;
	}
	/* who sent the ICMP that refused a datagram: the container (its
	 * listeners cited), this host, or something on the way (then a traced
	 * rule names it) -- the refusal's own sender first */
	if (nc_diagnose_udp_refused(p, f))
		return;
	if (f->have_listeners && p->container_port != 0 && nc_path_kind_proto(p->kind) != NC_PROTO_ICMP) {
		int state = listener_state(p, f);
		const nc_container_facts_t *c = &f->container;

		list_listeners(f, state == 0 || state == 2 ? p : NULL, what, sizeof(what));
		if (state == 0 && nc_network_is_host(c->network_mode)) {
			/* its loopback is this host's: only this host reaches it, there */
			nc_path_diagnose(p, NC_DIAG_LISTENING_ON_LOOPBACK_ONLY,
					 "make the app bind 0.0.0.0 (or :: for both families), not 127.0.0.1",
					 "the app listens on port %u only on loopback (%s): the container shares the host's "
					 "network, so this host reaches it on 127.0.0.1, but other machines (and this host's "
					 "other addresses) cannot", p->container_port, what);
			nc_diagnose_observe_listeners(d, p, f);
			return;
		}
		if (state == 0 || state == 2) { /* a socket on the port, out of the path's reach */
			nc_path_diagnose(p, state == 0 ? NC_DIAG_LISTENING_ON_LOOPBACK_ONLY : NC_DIAG_LISTENING_ON_IPV6_ONLY,
					 state == 0 ? "make the app bind 0.0.0.0 (or :: for both families), not 127.0.0.1"
						    : "make the app bind 0.0.0.0 as well, or clear IPV6_V6ONLY on its [::] socket",
					 "the app listens on port %u only %s (%s): %s", p->container_port,
					 state == 0 ? "on the container's loopback" : "on [::] with IPV6_V6ONLY", what,
					 state == 0 ? "nothing from outside the container can reach it"
						    : "the path reaches the container over IPv4, which that socket refuses");
			nc_diagnose_observe_listeners(d, p, f);
			return;
		}
		if (state < 0 && c->known && c->uptime_s >= 0 && c->uptime_s < NC_DIAG_STARTING_S &&
		    !listens_at_all(p, f)) {
			nc_path_diagnose(p, NC_DIAG_STARTING, "wait for the app to start, or give it a health check",
					 "the container started %.1f s ago and nothing listens on %s port %u yet "
					 "(no %s socket at all): its app is still starting", c->uptime_s, proto,
					 p->container_port, proto);
			nc_diagnose_observe_container(d, f);
			nc_diagnose_observe_listeners(d, p, f);
			return;
		}
		if (state < 0) {
			nc_path_diagnose(p, NC_DIAG_NOT_LISTENING, nc_diagnose_port_hint(p),
					 "nothing listens on %s port %u in the container; it listens on: %s", proto,
					 p->container_port, what);
			nc_diagnose_observe_listeners(d, p, f);
			return;
		}
	}
	if (diagnose_not_ready(p, f))
		return;
	/* what the kernel saw its packets meet: the rule, or the drop reason */
	if (nc_diagnose_witness(p, f)) {
		if (p->diagnosis.code == NC_DIAG_DROPPED || p->diagnosis.code == NC_DIAG_REJECTED)
			nc_diagnose_observe_capture(d, p, env);
		return;
	}
	if ((p->verdict == NC_VERDICT_REFUSED || p->verdict == NC_VERDICT_RESET ||
	     (p->verdict == NC_VERDICT_UNREACHABLE && p->timings.connect_ms >= 0)) &&
	    p->evidence_state == NC_EVIDENCE_CAPTURED) {
		/* the packets say who; captured without a reset: the rules below, or unexplained */
		if (diagnose_reset_from_packets(p, env, f))
			return;
	} else if (p->verdict == NC_VERDICT_REFUSED || p->verdict == NC_VERDICT_RESET ||
		   (p->verdict == NC_VERDICT_UNREACHABLE && p->timings.connect_ms >= 0)) {
		/* no capture: who reset it, from the facts alone */
		bool via_forwarder = nc_path_kind_is_published(p->kind) && f->forwarder.pid > 0;

		if (via_forwarder)
			nc_path_diagnose(p, NC_DIAG_RESET, "check that the app in the container accepts connections",
					 "the forwarder (%s, pid %d) took the connection and reset it: its own "
					 "connection to the container failed", f->forwarder.name, f->forwarder.pid);
		else
			nc_path_diagnose(p, NC_DIAG_RESET, NULL,
					 "the container's kernel reset the connection: nothing accepted on port %u",
					 p->container_port);
		if (via_forwarder)
			nc_diagnose_observe_forwarder(d, &f->forwarder);
		if (f->have_listeners)
			nc_diagnose_observe_listeners(d, p, f);
		return;
	}
	forward_drop_words(p, fw, chain, sizeof(chain));
	if (env != NULL && find_gap(p, env, &last, &next)) {
		nc_path_diagnose(p, NC_DIAG_DROPPED,
				 fw != NULL && fw->forward_drop
					 ? "remove or narrow that rule (`iptables -S DOCKER-USER`, `nft list ruleset`)"
					 : "look for a DROP or REJECT rule (`nft list ruleset`, `iptables -S DOCKER-USER`)",
				 "packets were seen on %s, never on %s: dropped in between, by %.200s%s",
				 env->capture_points[last].name, env->capture_points[next].name,
				 between(env->capture_points[last].kind, env->capture_points[next].kind), chain);
		nc_diagnose_observe_capture(d, p, env);
		nc_diagnose_observe_ruleset(d, p, fw);
		return;
	}
	if (fw != NULL && fw->forward_drop && p->timings.connect_ms < 0) {
		/* no capture to show where: the ruleset alone */
		nc_path_diagnose(p, NC_DIAG_DROPPED, "remove or narrow that rule (`iptables -S DOCKER-USER`, `nft list ruleset`)",
				 "no connection%s", chain);
		nc_diagnose_observe_ruleset(d, p, fw);
		return;
	}
	if (p->verdict == NC_VERDICT_TIMEOUT && p->timings.connect_ms >= 0) {
		nc_path_diagnose(p, NC_DIAG_NO_ANSWER, "check that the service answers this request",
				 "connected in %.1f ms, but nothing came back within the probe's window",
				 p->timings.connect_ms);
		nc_diagnose_observe_reached(d, p, env);
		nc_diagnose_observe_capture(d, p, env);
		return;
	}
}

/* A failed path no rule explains: say so, with everything that was looked
 * at and what it showed -- never a guessed cause. */
static void diagnose_unexplained(nc_path_t *p, const nc_environment_t *env, const nc_diag_facts_t *f)
{
	char looked[NC_DIAG_DETAIL_MAX / 2] = "";
	size_t o = 0;
	nc_diagnosis_t *d = &p->diagnosis;

#define LOOKED(what) (o += (size_t)snprintf(looked + o, o < sizeof(looked) ? sizeof(looked) - o : 0, "%s%s", \
					    o ? ", " : "", (what)))
	if (f != NULL) {
		LOOKED("the container's state");
		nc_diagnose_observe_container(d, f);
		if (f->published != NULL && nc_path_kind_is_published(p->kind)) {
			LOOKED("the published ports");
			nc_diagnose_observe_published(d, p, f);
		}
		if (f->have_listeners && p->container_port != 0) {
			LOOKED("the container's socket table");
			nc_diagnose_observe_listeners(d, p, f);
		}
		if (f->forwarder.pid > 0 && nc_path_kind_is_published(p->kind)) {
			LOOKED("the process on the published port");
			nc_diagnose_observe_forwarder(d, &f->forwarder);
		}
		if (nc_diagnose_firewall_for(p, f->firewall)) {
			LOOKED("the firewall ruleset");
			nc_diagnose_observe_ruleset(d, p, f->firewall);
		}
	}
	if (env != NULL && p->evidence_state == NC_EVIDENCE_CAPTURED && env->n_capture_points > 0) {
		LOOKED("the capture points on its way");
		nc_diagnose_observe_capture(d, p, env);
	}
	if (p->conntrack.looked) /* cited after (nc_diagnose_cite_conntrack) */
		LOOKED("its conntrack entry");
	if (f != NULL && f->witness != NULL) {
		char witness[NC_DIAG_DETAIL_MAX / 4];

		if (nc_diagnose_witness_looked(d, p, f, witness, sizeof(witness)) > 0)
			LOOKED(witness);
	}
#undef LOOKED
	if (o >= sizeof(looked))
		looked[sizeof(looked) - 1] = '\0';
	nc_path_diagnose(p, NC_DIAG_UNEXPLAINED, NULL, "the probe ended %s%s%.120s%s, and nothing netcheck observed "
			 "explains it; it looked at: %s", nc_verdict_name(p->verdict), p->detail[0] ? " (" : "",
			 p->detail, p->detail[0] ? ")" : "", o ? looked : "nothing (no facts were gathered for this path)");
}

/* A probe was sent and failed (not a path "not sent", nor a probe that
 * could not be made: their detail says why). */
static bool failed(const nc_path_t *p)
{
	return p->sent && (p->verdict == NC_VERDICT_UNREACHABLE || p->verdict == NC_VERDICT_REFUSED ||
			   p->verdict == NC_VERDICT_TIMEOUT || p->verdict == NC_VERDICT_RESET);
}

void nc_classify_diagnose(nc_path_t *p, const nc_environment_t *env, const nc_diag_facts_t *f)
{
	/* not sent for the target's own configuration: the facts say it in
	 * full (what is published, an internal network), else what was said stays */
	if (nc_classify_unsent_finding(p) && f != NULL) {
		nc_diagnosis_t said = p->diagnosis;

		nc_diagnosis_clear(&p->diagnosis);
		diagnose_failed(p, env, f);
		if (p->diagnosis.code == NC_DIAG_NONE)
			p->diagnosis = said;
		return;
	}
	/* not sent: a reason set when it was decided stays (a swarm task
	 * down: from the model's node record, nc_classify_task_down()) */
	if (p->verdict == NC_VERDICT_SKIPPED || p->verdict == NC_VERDICT_UNROUTABLE ||
	    (!p->sent && p->diagnosis.code == NC_DIAG_TASK_DOWN))
		return;
	nc_diagnosis_clear(&p->diagnosis);
	if (p->verdict == NC_VERDICT_REACHABLE) {
		diagnose_reachable(p, f);
		if (p->silent) /* no process of a paused container will send anything: not fine there */
			nc_path_set_detail(p, "connected; the service sent nothing%s", p->diagnosis.code == NC_DIAG_CONTAINER_PAUSED
					   ? "" : " (that is fine for a service that waits for the client)");
		return;
	}
	diagnose_failed(p, env, f);
	if (p->diagnosis.code == NC_DIAG_NONE && failed(p))
		diagnose_unexplained(p, env, f);
	nc_diagnose_cite_conntrack(p);
}
