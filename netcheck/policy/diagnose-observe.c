/* What a diagnosis cites: the observations each rule attaches (diagnose.c). */
#include "netcheck/policy.h"
#include "diagnose-internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *nc_diagnose_proto_word(nc_path_proto_t proto)
{
	return proto == NC_PROTO_UDP ? "udp" : proto == NC_PROTO_ICMP ? "icmp" : "tcp";
}

const char *nc_diagnose_port_hint(const nc_path_t *p)
{
	/* from a container the port is the target's (probe --to B:PORT, or
	 * the peer's); from this host it is the probed container's */
	return p->kind == NC_PATH_CONTAINER_TO_CONTAINER || p->kind == NC_PATH_CONTAINER_TO_CONTAINER_DNS
		       ? "check the port the app listens on (probe A --to B:PORT)"
		       : "check the port the app listens on (--port)";
}

const char *nc_diagnose_state_word(const nc_diag_facts_t *f)
{
	if (f->exited)
		return "exited";
	if (f->container.paused)
		return "paused";
	if (f->container.restarting)
		return "restarting";
	return "running";
}

void nc_diagnose_observe_container(nc_diagnosis_t *d, const nc_diag_facts_t *f)
{
	const nc_container_facts_t *c = &f->container;
	const char *logs = f->last_logs != NULL ? f->last_logs : "";
	char restarts[64] = "", uptime[64] = "";
	nc_observation_t *o;

	if (c->known && c->restart_count > 0)
		snprintf(restarts, sizeof(restarts), "; restarted %d time%s by its restart policy", c->restart_count,
			 c->restart_count == 1 ? "" : "s");
	if (c->known && c->uptime_s >= 0 && !f->exited && !c->restarting)
		snprintf(uptime, sizeof(uptime), ", up %.1f s", c->uptime_s);
	if (f->exited || c->restarting)
		o = nc_diagnosis_observe(d, NC_OBS_CONTAINER, "the container is %s: its last run exited with code %d%s%s%s%.150s",
					 nc_diagnose_state_word(f), f->exit_code, c->oom_killed ? " (OOM-killed)" : "", restarts,
					 logs[0] ? "; its last log lines: " : "", logs);
	else
		o = nc_diagnosis_observe(d, NC_OBS_CONTAINER, "the container was %s%s%s%s%s", nc_diagnose_state_word(f), uptime, restarts,
					 c->health[0] ? ", health " : "", c->health);
	if (o != NULL) {
		snprintf(o->state, sizeof(o->state), "%s", nc_diagnose_state_word(f));
		o->exit_code = f->exited || c->restarting ? f->exit_code : 0;
	}
}

/* How the engine publishes the path's port: every binding of it. */
void nc_diagnose_observe_bindings(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f)
{
	char list[200] = "";
	size_t o = 0;

	for (size_t i = 0; i < f->n_bindings && o + 1 < sizeof(list); i++) {
		const nc_publish_binding_t *b = &f->bindings[i];

		if (b->container_port != p->container_port || b->proto != nc_path_kind_proto(p->kind))
			continue;
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s%s%s:%u", o ? ", " : "",
				      strchr(b->host_ip, ':') ? "[" : "", b->host_ip[0] ? b->host_ip : "0.0.0.0",
				      strchr(b->host_ip, ':') ? "]" : "", b->host_port);
	}
	nc_diagnosis_observe(d, NC_OBS_ENGINE, "the engine publishes container port %u/%s on %s", p->container_port,
			     nc_diagnose_proto_word(nc_path_kind_proto(p->kind)), o ? list : "no host address");
}

void nc_diagnose_observe_published(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f)
{
	char list[160] = "";
	size_t o = 0;

	for (size_t i = 0; i < f->n_published && o + 1 < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", o ? ", " : "", f->published[i]);
	nc_diagnosis_observe(d, NC_OBS_ENGINE, "the engine publishes these container ports (%s): %s",
			     nc_diagnose_proto_word(nc_path_kind_proto(p->kind)), o ? list : "none");
}

void nc_diagnose_observe_listener(nc_diagnosis_t *d, const nc_listener_t *l)
{
	char a[NC_ENDPOINT_STRLEN];
	nc_observation_t *o;

	if (nc_endpoint_format(&l->addr, true, a, sizeof(a)) < 0)
		return;
	o = nc_diagnosis_observe(d, NC_OBS_SOCKET, "in the container, %s/%s listens%s", a, nc_diagnose_proto_word(l->proto),
				 l->v6only ? " (IPv6 only)" : "");
	if (o != NULL) {
		o->proto = l->proto;
		o->local = l->addr;
		o->v6only = l->v6only;
	}
}

/* The container's sockets of the path's protocol, those on its port first;
 * an empty table is an observation too. */
void nc_diagnose_observe_listeners(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f)
{
	nc_path_proto_t proto = nc_path_kind_proto(p->kind);
	/* on the host's network the socket table is the host's: the others
	 * on it are not the app's, only those on the path's port are cited */
	int passes = nc_network_is_host(f->container.network_mode) ? 1 : 2;
	size_t shown = 0;

	if (passes == 1 && p->container_port == 0)
		return;
	for (int pass = 0; pass < passes; pass++)
		for (size_t i = 0; i < f->n_listeners; i++) {
			const nc_listener_t *l = &f->listeners[i];
			bool on_port = l->addr.port == p->container_port;

			if (l->proto != proto || on_port != (pass == 0))
				continue;
			nc_diagnose_observe_listener(d, l);
			shown++;
		}
	if (shown == 0 && passes == 1)
		nc_diagnosis_observe(d, NC_OBS_SOCKET, "on the host's network (the container's), nothing listens on %s port %u",
				     nc_diagnose_proto_word(proto), p->container_port);
	else if (shown == 0)
		nc_diagnosis_observe(d, NC_OBS_SOCKET, "in the container, nothing listens on %s at all", nc_diagnose_proto_word(proto));
}

void nc_diagnose_observe_forwarder(nc_diagnosis_t *d, const nc_forwarder_t *fwd)
{
	nc_observation_t *o = nc_diagnosis_observe(d, NC_OBS_SOCKET, "%.60s (pid %d) listens on the published port",
						   fwd->name, fwd->pid);

	if (o != NULL) {
		o->pid = fwd->pid;
		snprintf(o->process, sizeof(o->process), "%s", fwd->name);
	}
}

uint32_t nc_diagnose_packets_at(const nc_path_t *p, const char *point)
{
	uint32_t n = 0;

	for (size_t i = 0; i < p->n_hops; i++)
		if (strcmp(p->hops[i].capture_point, point) == 0 && p->hops[i].leg != NC_LEG_NONE)
			n += p->hops[i].packets;
	return n;
}

/* Each capture point on the path's way, and how many of its packets it saw. */
void nc_diagnose_observe_capture(nc_diagnosis_t *d, const nc_path_t *p, const nc_environment_t *env)
{
	if (env == NULL || (p->evidence_state != NC_EVIDENCE_CAPTURED && p->n_hops == 0))
		return;
	for (int rank = 0; rank <= 5; rank++)
		for (size_t i = 0; i < env->n_capture_points; i++) {
			const char *point = env->capture_points[i].name;
			uint32_t n = nc_diagnose_packets_at(p, point);
			nc_observation_t *o;

			if (nc_diagnose_point_rank_of(&env->capture_points[i], p) != rank ||
			    (env->capture_points[i].kind == NC_POINT_LOOPBACK && nc_path_kind_is_direct(p->kind)))
				continue; /* not on its way: a direct path never crosses lo */
			if (n > 0)
				o = nc_diagnosis_observe(d, NC_OBS_CAPTURE, "%u of the path's packets seen on %s", n, point);
			else
				o = nc_diagnosis_observe(d, NC_OBS_CAPTURE, "none of the path's packets seen on %s", point);
			if (o != NULL) {
				snprintf(o->point, sizeof(o->point), "%s", point);
				o->packets = n;
			}
		}
}

/* The innermost point where the path's data went towards the container,
 * and on which leg (a forwarder's own connection, NAT, or the probe's). */
void nc_diagnose_observe_reached(nc_diagnosis_t *d, const nc_path_t *p, const nc_environment_t *env)
{
	const nc_packet_summary_t *best = NULL;
	int best_rank = -1;

	if (env == NULL)
		return;
	for (size_t i = 0; i < p->n_packets; i++) {
		const nc_packet_summary_t *k = &p->packets[i];

		if (k->leg == NC_LEG_NONE || k->proto != IPPROTO_TCP || !(k->tcp_flags & NC_TCP_PSH))
			continue;
		for (size_t j = 0; j < env->n_capture_points; j++) {
			int rank = nc_diagnose_point_rank_of(&env->capture_points[j], p);

			if (strcmp(env->capture_points[j].name, k->capture_point) == 0 && rank > best_rank &&
			    k->dst.port == p->container_port && rank >= nc_diagnose_point_rank(NC_POINT_VETH, p->kind)) {
				best = k;
				best_rank = rank;
			}
		}
	}
	if (best != NULL) {
		nc_observation_t *o = nc_diagnosis_observe(d, NC_OBS_CAPTURE, "the request reached the container: seen on %s, leg %s",
							   best->capture_point, nc_leg_name(best->leg));

		if (o != NULL) {
			snprintf(o->point, sizeof(o->point), "%s", best->capture_point);
			o->packets = 1;
			o->leg = best->leg;
		}
	}
}

/* A reset captured: who sent it, where it was seen. */
void nc_diagnose_observe_reset(nc_diagnosis_t *d, const nc_packet_summary_t *k)
{
	char src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN];
	nc_observation_t *o;

	if (nc_endpoint_format(&k->src, true, src, sizeof(src)) < 0 || nc_endpoint_format(&k->dst, true, dst, sizeof(dst)) < 0)
		return;
	o = nc_diagnosis_observe(d, NC_OBS_CAPTURE, "a reset from %s to %s, seen on %s", src, dst, k->capture_point);
	if (o != NULL) {
		snprintf(o->point, sizeof(o->point), "%s", k->capture_point);
		o->packets = 1;
	}
}

int nc_diagnose_point_kind_of(const nc_environment_t *env, const char *name)
{
	for (size_t i = 0; env != NULL && i < env->n_capture_points; i++)
		if (strcmp(env->capture_points[i].name, name) == 0)
			return (int)env->capture_points[i].kind;
	return -1;
}

void nc_diagnose_observe_rule(nc_diagnosis_t *d, const nc_fw_drop_t *drop, const char *what)
{
	char rule[NC_DIAG_DETAIL_MAX];
	nc_observation_t *o;

	nc_diagnose_firewall_rule_words(drop, rule, sizeof(rule));
	o = nc_diagnosis_observe(d, NC_OBS_RULESET, "the ruleset as read: %.200s %s %s", rule,
				 drop->reject ? "rejects" : "drops", what);
	if (o != NULL) {
		snprintf(o->family, sizeof(o->family), "%s", drop->family);
		snprintf(o->table, sizeof(o->table), "%s", drop->table);
		snprintf(o->chain, sizeof(o->chain), "%s", drop->chain);
		snprintf(o->rule, sizeof(o->rule), "%s", drop->rule);
		snprintf(o->verdict, sizeof(o->verdict), "%s", drop->policy ? "policy drop" : drop->reject ? "reject" : "drop");
		o->handle = drop->handle;
	}
}

/* What the ruleset (read, not traced) says of published-remote. */
void nc_diagnose_observe_ruleset(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_firewall_t *fw)
{
	if (!nc_diagnose_firewall_for(p, fw))
		return;
	if (fw->status < 0)
		nc_diagnosis_observe(d, NC_OBS_RULESET, "the ruleset could not be read: %.200s", fw->error);
	else if (fw->forward_drop)
		nc_diagnose_observe_rule(d, &fw->forward, "the remote client's forwarded connection");
	else
		nc_diagnosis_observe(d, NC_OBS_RULESET, "the ruleset as read: no rule drops the remote client's "
						       "forwarded connection%s",
				     fw->legacy_tables ? " (iptables-legacy tables exist: their rules were not read)" : "");
}

/* ---- the rules ------------------------------------------------------------ */
