/* The target of `netcheck run`: a container netcheck launches from its
 * own responder image (or --image), with the run's labels, always removed
 * unless kept.
 *
 * survey: the image, the default bridge (container-to-host listens on its
 * gateway) and the leftovers of killed runs, in the engine's first round
 * of calls.  prepare: the image imported when missing, the host listener
 * and the --peer for the paths that start in the container, the container
 * created and started, a bounded wait until it listens, the forwarder,
 * the remote-client namespace (made while the container starts).  Paths: a container's (target-container.c)
 * and, for netcheck's responder, published-remote (with the firewall's
 * answers read first, while still privileged) and the relayed paths from
 * the container.  Capture: a container's points, the peer's and the remote
 * client's.  teardown: namespace, peer and container removed, also after
 * errors and signals.
 * May call: engine, image, platform, probe, classify, result, and
 * target-container.c / run-paths.c / run-common.c / run-gc.c below it.
 * Never prints. */
#include "target-container.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/image.h"
#include "netcheck/testing.h"

/* The launched target's own state. */
struct launched {
	nc_container_target_t ct;     /* the container, once prepared */
	/* read at the start with the engine's info (the survey) */
	char image[NC_NAME_MAX];      /* the image the container runs */
	int image_present;            /* 1 the engine has it, 0 not, < 0 not known yet */
	/* the survey's list of killed runs' containers: in the state (freed
	 * with it), since the survey is asked for before the engine answers */
	nc_container_summary_t stale[NC_RUN_GC_MAX];
	nc_network_info_t default_bridge; /* the engine's "bridge" network, when read */
	bool have_default_bridge;
	bool network_ipv6;            /* the container's network has IPv6 (EnableIPv6) */
	/* container-origin paths (netcheck's responder only) */
	char allow[4][NC_NAME_MAX];   /* the responder's --allow targets */
	size_t n_allow;
	nc_run_host_end_t host_end;   /* container-to-host: what the container needs, where it arrives */
	char peer_id[80];             /* --peer: the second container, ours */
	char peer_name[NC_NAME_MAX];
	nc_container_info_t peer_info;
	nc_remote_client_t remote;    /* published-remote's client (target-remote.c) */
	bool forwarder_read;          /* the published ports' owners looked up (plan_paths, once) */
};

static int image_ref(const run_state_t *s, char *ret, size_t len)
{
	if (s->opt->image != NULL)
		return (size_t)snprintf(ret, len, "%s", s->opt->image) >= len ? -ENOSPC : 0;
	return nc_run_responder_image_ref(ret, len);
}

/* The user's --image must be in the engine (nothing is pulled here);
 * netcheck's responder image is imported when it is not. */
static int ensure_image(run_state_t *s, struct launched *t, nc_error_t *err)
{
	int r;

	if (s->opt->image == NULL)
		return nc_run_ensure_responder_image(s, t->image_present, err);
	r = t->image_present >= 0 ? t->image_present : nc_engine_image_exists(s->engine, t->image, err);
	if (r < 0)
		return r;
	if (r == 0)
		return nc_error_set(err, NC_ENOIMAGE, "image %s is not in the engine and cannot be pulled here: load it first",
				    s->opt->image);
	return 0;
}

/* The container's labels: which run made it, which process, where that
 * pid means something, and whether it is kept on purpose. */
static void fill_spec(const run_state_t *s, const struct launched *t, const char *image, nc_container_spec_t *spec,
		      nc_run_owner_t *owner, char *port_arg, size_t port_len)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	bool peer = spec->name != NULL; /* the caller names the peer; ours is the run's name */

	snprintf(port_arg, port_len, "%u", t->ct.port);
	memset(spec, 0, sizeof(*spec));
	spec->name = peer ? t->peer_name : c->name;
	spec->image = image;
	nc_run_label_spec(s, spec, owner);
	if (s->opt->keep) /* kept on purpose: only `netcheck gc --kept` removes it */
		spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_KEEP_LABEL, "1" };
	spec->network_mode = s->opt->network != NULL ? s->opt->network : "bridge";
	if (!peer)
		spec->ports[spec->n_ports++] = (nc_container_port_spec_t){
			.container_port = t->ct.port, .proto = NC_ENGINE_TCP, .publish = true, .host_port = s->opt->host_port };
	if (s->opt->image == NULL) {
		/* netcheck's responder answers UDP on its port too; --host-port
		 * names the host port, not a protocol: UDP gets it as well */
		if (!peer)
			spec->ports[spec->n_ports++] = (nc_container_port_spec_t){ .container_port = t->ct.port,
										   .proto = NC_ENGINE_UDP,
										   .publish = true,
										   .host_port = s->opt->host_port };
		/* host.docker.internal as Docker Desktop provides it, where the
		 * engine does not (run-host-end.c) */
		if (t->host_end.add_host_gateway)
			spec->extra_hosts[spec->n_extra_hosts++] = "host.docker.internal:host-gateway";
		/* our responder needs nothing: no root, no writes */
		spec->cmd[spec->n_cmd++] = "/responder";
		spec->cmd[spec->n_cmd++] = port_arg;
		for (size_t i = 0; !peer && i < t->n_allow && spec->n_cmd + 2 <= NC_ENGINE_MAX_ARGS; i++) {
			spec->cmd[spec->n_cmd++] = "--allow";
			spec->cmd[spec->n_cmd++] = t->allow[i];
		}
		if (!peer && t->host_end.nameserver_for != NULL && spec->n_cmd + 2 <= NC_ENGINE_MAX_ARGS) {
			spec->cmd[spec->n_cmd++] = "--nameserver-for";
			spec->cmd[spec->n_cmd++] = t->host_end.nameserver_for;
		}
		spec->user = "65534:65534";
		spec->readonly_rootfs = true;
		spec->cap_drop_all = true;
		spec->no_new_privileges = true;
		/* Docker lowers it for every container; Podman does not, and uid
		 * 65534 may then not listen on port 80 */
		spec->sysctls[spec->n_sysctls++] = (nc_engine_kv_t){ "net.ipv4.ip_unprivileged_port_start", "0" };
		/* no duplicate address detection: its IPv6 address is usable at
		 * once, not tentative for the first probes (only where the
		 * network has IPv6: the keys exist then) */
		if (t->network_ipv6) {
			spec->sysctls[spec->n_sysctls++] = (nc_engine_kv_t){ "net.ipv6.conf.all.accept_dad", "0" };
			spec->sysctls[spec->n_sysctls++] = (nc_engine_kv_t){ "net.ipv6.conf.eth0.accept_dad", "0" };
		}
	}
}

/* Waits for the app to listen on its port, seen from its own namespace,
 * so no probe packet is spent on readiness; backs off as the platform does
 * (nc_platform_wait_step_ms: 2 ms doubling to 100 ms).
 * Engines whose processes we cannot see (a VM, another user namespace)
 * get a short grace period instead.  Not listening in time is not an
 * error here: the probes fail and the diagnosis says why. */
static void wait_listening(run_state_t *s, struct launched *t, uint64_t deadline)
{
	uint64_t settle = 0;

	if (s->opt->image == NULL) { /* netcheck's responder listens on its port or exits */
		if (t->ct.info.pid <= 0 ||
		    nc_platform_wait_listening(t->ct.info.pid, t->ct.port, IPPROTO_TCP, deadline, s->opt->interrupted) == -ENOENT)
			nc_run_sleep_ms(200);
		return;
	}
	for (unsigned tries = 0; tries < 2000 && !nc_run_interrupted(s); tries++) {
		nc_platform_socket_t socks[NC_RUN_MAX_LISTENERS];
		size_t n = 0;

		if (t->ct.info.pid <= 0 || nc_platform_netns_listeners(t->ct.info.pid, socks, NC_ARRAY_SIZE(socks), &n) < 0) {
			nc_run_sleep_ms(200);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (socks[i].proto == IPPROTO_TCP && socks[i].local.port == t->ct.port)
				return;
		/* a user's app that listens elsewhere: give it two seconds to
		 * open the right port too, then let the diagnosis speak */
		if (n > 0 && settle == 0)
			settle = nc_run_now_ms() + 2000;
		if (nc_run_now_ms() > deadline || (settle != 0 && nc_run_now_ms() > settle))
			return;
		nc_run_sleep_ms(nc_platform_wait_step_ms(tries));
	}
}

static int start_one(run_state_t *s, const nc_container_spec_t *spec, char *ret_id, size_t id_len, nc_error_t *err)
{
	int r;

	/* Not cancellable: a create aborted on our side may still complete on
	 * the engine's, leaving a container whose id we never learnt.  The
	 * call is short and bounded by the engine timeout; the signal is
	 * acted on right after. */
	nc_engine_set_cancel(s->engine, NULL);
	r = nc_engine_container_create(s->engine, spec, ret_id, id_len, err);
	nc_engine_set_cancel(s->engine, s->opt->interrupted);
	if (r < 0)
		return r;
	if (nc_run_interrupted(s))
		return NC_ECANCELED;
	r = nc_engine_container_start(s->engine, ret_id, err);
	if (r == NC_EPORTTAKEN)
		return nc_error_set(err, NC_EPORTTAKEN,
				    "host port %u is already taken: choose another --host-port or leave it to the engine",
				    s->opt->host_port);
	return r;
}

/* What the paths that start inside the container need before it exists:
 * the host end of container-to-host (run-host-end.c: where it listens, and
 * whether the container needs host-gateway), the peer for
 * container-to-container, and the responder's allow-list naming both. */
static int prepare_origin(run_state_t *s, struct launched *t, const char *image, nc_error_t *err)
{
	int r;

	/* the default bridge was read at the start, with the engine's info */
	if (nc_run_host_end_open(s, t->have_default_bridge ? &t->default_bridge : NULL, &t->host_end) == 0)
		snprintf(t->allow[t->n_allow++], sizeof(t->allow[0]), "host.docker.internal:%u",
			 nc_probe_listener_address(s->host_listener)->port);
	if (s->opt->peer) {
		nc_run_owner_t owner;
		char port_arg[8], addr[NC_ENDPOINT_STRLEN];
		nc_container_spec_t spec;
		const nc_container_network_t *net;

		snprintf(t->peer_name, sizeof(t->peer_name), "netcheck-%s-peer", nc_result_container(s->result)->run_id);
		memset(&spec, 0, sizeof(spec));
		spec.name = t->peer_name; /* marks the peer's spec */
		fill_spec(s, t, image, &spec, &owner, port_arg, sizeof(port_arg));
		nc_run_progress(s, "starting the peer container %s", t->peer_name);
		r = start_one(s, &spec, t->peer_id, sizeof(t->peer_id), err);
		if (r < 0)
			return r;
		r = nc_engine_container_inspect(s->engine, t->peer_id, t->ct.port, &t->peer_info, err);
		if (r < 0)
			return r;
		net = t->peer_info.n_networks > 0 ? &t->peer_info.networks[0] : NULL;
		if (net != NULL && net->ip.family != 0 && t->n_allow + 2 <= NC_ARRAY_SIZE(t->allow)) {
			nc_endpoint_format(&net->ip, false, addr, sizeof(addr));
			snprintf(t->allow[t->n_allow++], sizeof(t->allow[0]), "%s:%u", addr, t->ct.port);
			snprintf(t->allow[t->n_allow++], sizeof(t->allow[0]), "%.200s:%u", t->peer_name, t->ct.port);
		}
	}
	return 0;
}

static int launched_prepare_container(run_state_t *s, struct launched *t, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	nc_run_owner_t owner;
	char port_arg[8];
	nc_container_spec_t spec;
	char gateway4[sizeof(((nc_network_info_t *)0)->gateway4)] = ""; /* the network's: the agent's early guess */
	uint64_t deadline;
	int r;

	if (s->opt->network != NULL) {
		nc_network_info_t net;

		r = nc_run_not_found(s, nc_engine_network_inspect(s->engine, s->opt->network, &net, err), "network",
				     s->opt->network, err);
		if (r < 0)
			return r;
		t->network_ipv6 = net.ipv6;
		snprintf(gateway4, sizeof(gateway4), "%s", net.gateway4);
	} else {
		t->network_ipv6 = t->have_default_bridge && t->default_bridge.ipv6;
		if (t->have_default_bridge)
			snprintf(gateway4, sizeof(gateway4), "%s", t->default_bridge.gateway4);
	}
	r = ensure_image(s, t, err);
	if (r < 0)
		return r;
	snprintf(c->image, sizeof(c->image), "%s", t->image);
	snprintf(c->name, sizeof(c->name), "netcheck-%s", c->run_id);
	if (s->opt->image == NULL) {
		r = prepare_origin(s, t, t->image, err);
		if (r < 0)
			return r;
	}
	memset(&spec, 0, sizeof(spec));
	fill_spec(s, t, t->image, &spec, &owner, port_arg, sizeof(port_arg));
	nc_run_progress(s, "creating and starting container %s from %s", c->name, t->image);
	nc_remote_begin(s, &t->remote);
	r = start_one(s, &spec, t->ct.container_id, sizeof(t->ct.container_id), err);
	if (t->ct.container_id[0] != '\0')
		snprintf(c->id, sizeof(c->id), "%s", t->ct.container_id);
	if (r < 0)
		return r;
	nc_run_agent_early(s, gateway4);
	nc_run_progress(s, "waiting for container %.12s to listen", t->ct.container_id);
	deadline = nc_run_now_ms() + (s->opt->start_timeout_ms ? s->opt->start_timeout_ms : 10000);
	for (unsigned delay = 2;; delay = delay < 50 ? delay * 2 : 50) {
		if (nc_run_interrupted(s))
			return NC_ECANCELED;
		r = nc_engine_container_inspect(s->engine, t->ct.container_id, t->ct.port, &t->ct.info, err);
		if (r < 0)
			return r;
		if (!t->ct.info.running) {
			/* the probes are not sent; the diagnosis says why */
			r = nc_ct_note_exit(s, &t->ct, err);
			if (r < 0)
				return r;
			break;
		}
		if (t->ct.info.ip.family != 0 && t->ct.info.published_port != 0)
			break;
		if (nc_run_now_ms() > deadline)
			return nc_error_set(err, -ETIMEDOUT, "container %.12s got no IP address or published port in time",
					    c->id);
		nc_run_sleep_ms(delay);
	}
	r = nc_ct_adopt_inspected(s, &t->ct, err);
	if (r < 0 || t->ct.exited)
		return r;
	wait_listening(s, t, deadline);
	if (nc_run_interrupted(s))
		return NC_ECANCELED;
	/* still alive?  An app that could not listen often exits at once */
	r = nc_engine_container_inspect(s->engine, t->ct.container_id, t->ct.port, &t->ct.info, err);
	if (r < 0)
		return r;
	t->ct.info.pid = c->pid;
	if (!t->ct.info.running)
		return nc_ct_note_exit(s, &t->ct, err);
	t->ct.ports[t->ct.n_ports++] = t->ct.port;
	if (nc_run_ours(s)) /* the responder answers on UDP too, published beside TCP */
		t->ct.udp_ports[t->ct.n_udp_ports++] = t->ct.port;
	nc_remote_join(&t->remote);
	return 0;
}

static void launched_teardown(run_state_t *s, void *target)
{
	struct launched *t = target;
	nc_container_t *c = nc_result_container(s->result);

	nc_remote_free(&t->remote);

	if (t->peer_id[0] != '\0' && !s->opt->keep) {
		nc_engine_set_cancel(s->engine, NULL);
		(void)nc_run_remove_container(s->engine, t->peer_id, true);
	}
	if (t->peer_id[0] != '\0' && s->opt->keep) {
		snprintf(c->peer_id, sizeof(c->peer_id), "%s", t->peer_id);
		snprintf(c->peer_name, sizeof(c->peer_name), "%s", t->peer_name);
		c->peer_kept = true;
	}
	if (t->ct.container_id[0] == '\0')
		return;
	if (s->opt->keep) {
		c->kept = true;
		return;
	}
	/* cleanup must run even after a signal cancelled the engine calls; an
	 * engine restarting meanwhile is waited for (a bounded while), then the
	 * container is left to the next run's clean-up (it carries our labels) */
	nc_engine_set_cancel(s->engine, NULL);
	if (nc_run_remove_container(s->engine, t->ct.container_id, true) == 0)
		c->removed = true;
}

/* ---- paths and facts ------------------------------------------------------ */

/* Paths that start inside the container: netcheck's responder connects
 * out (to the host listener, to the peer by address and by name). */
static void add_from_container(run_state_t *s, struct launched *t, uint64_t timeout)
{
	const nc_container_t *c = nc_result_container(s->result);
	nc_endpoint_t responder = c->ip, target;
	const nc_container_network_t *peer_net;
	const char *net = t->ct.info.n_networks > 0 ? t->ct.info.networks[0].name : NULL;
	char name[NC_NAME_MAX + 8];
	nc_probe_t *probe = NULL;
	nc_path_t *p;
	int r;

	/* the control connection: straight to the container where the route
	 * allows it, else through the published port */
	if (t->ct.route.kind != NC_ROUTE_ON_LINK || t->ct.route.via_default || !nc_result_environment(s->result)->bridge_attached)
		nc_endpoint_parse("127.0.0.1", c->published_port, &responder);
	else
		responder.port = t->ct.port;
	if (s->host_listener == NULL) {
		memset(&target, 0, sizeof(target));
		p = nc_ct_add_path(s, &t->ct, NC_PATH_CONTAINER_TO_HOST, net, 0, &target);
		if (p != NULL)
			nc_path_set_detail(p, "%s", t->host_end.note[0] ? t->host_end.note : "not sent: no listener");
	} else {
		target = *nc_probe_listener_address(s->host_listener);
		p = nc_ct_add_path(s, &t->ct, NC_PATH_CONTAINER_TO_HOST, net, 0, &target);
		if (p != NULL) {
			snprintf(p->arrival_interface, sizeof(p->arrival_interface), "%s", t->host_end.ifname);
			snprintf(name, sizeof(name), "host.docker.internal:%u", target.port);
			r = nc_probe_relay_new(&s->loop, p, &responder, name, timeout, &probe);
			nc_run_add_probe(s, p, r, probe);
		}
	}
	peer_net = t->peer_info.n_networks > 0 ? &t->peer_info.networks[0] : NULL;
	if (t->peer_id[0] == '\0' || peer_net == NULL || peer_net->ip.family == 0)
		return;
	target = peer_net->ip;
	target.port = t->ct.port;
	p = nc_ct_add_path(s, &t->ct, NC_PATH_CONTAINER_TO_CONTAINER, net, 0, &target);
	if (p != NULL) {
		char addr[NC_ENDPOINT_STRLEN];

		nc_endpoint_format(&target, true, addr, sizeof(addr));
		probe = NULL;
		r = nc_probe_relay_new(&s->loop, p, &responder, addr, timeout, &probe);
		nc_run_add_probe(s, p, r, probe);
	}
	p = nc_ct_add_path(s, &t->ct, NC_PATH_CONTAINER_TO_CONTAINER_DNS, net, 0, &target);
	if (p != NULL) {
		snprintf(name, sizeof(name), "%.200s:%u", t->peer_name, t->ct.port);
		probe = NULL;
		r = nc_probe_relay_new(&s->loop, p, &responder, name, timeout, &probe);
		nc_run_add_probe(s, p, r, probe);
	}
}



/* ---- the ops ----------------------------------------------------------------- */

/* What the engine's first round of calls asks for this target: whether
 * the image is there, the default bridge (container-to-host listens on
 * its gateway), the leftovers of runs killed with SIGKILL.  Read at once:
 * none depends on another, so the slowest sets the pace. */
static int launched_survey(run_state_t *s, void *target, nc_engine_survey_t *sv, nc_error_t *err)
{
	struct launched *t = target;

	if (image_ref(s, t->image, sizeof(t->image)) < 0)
		return nc_error_set(err, -ENOSPC, "internal error: image tag");
	sv->image = t->image;
	sv->label_filter = NC_RUN_LABEL;
	sv->containers = t->stale;
	sv->max_containers = NC_RUN_GC_MAX;
	if (s->opt->image == NULL)
		sv->network = "bridge";
	return 0;
}

static int launched_take_survey(run_state_t *s, void *target, const nc_engine_survey_t *sv, nc_error_t *err)
{
	struct launched *t = target;
	int r;

	(void)err;
	t->image_present = sv->image != NULL ? sv->image_result : -1; /* an error: asked again, and said then */
	t->have_default_bridge = sv->network != NULL && sv->network_result == 0;
	if (t->have_default_bridge)
		t->default_bridge = sv->network_info;
	/* containers of runs killed with SIGKILL: theirs to clean, ours to do */
	if (sv->label_filter != NULL && sv->containers_result >= 0) {
		r = nc_run_gc_listed(s->engine, t->stale, sv->n_containers, false, NULL, NULL, NULL);
		if (r > 0)
			nc_result_container(s->result)->stale_removed = (unsigned)r;
	}
	return 0;
}

static int launched_prepare(run_state_t *s, void *target, nc_error_t *err)
{
	struct launched *t = target;
	int r;

	t->ct.port = nc_run_default_port(s->opt);
	r = launched_prepare_container(s, t, err);
	nc_remote_join(&t->remote);
	if (r < 0 || t->ct.exited) /* made while the container started: no published-remote for one not up */
		nc_remote_free(&t->remote);
	if (r == 0)
		nc_ct_decide(s, &t->ct);
	/* while capture opens and the paths are planned */
	if (r == 0 && !t->ct.exited)
		nc_remote_read_firewall_begin(s, &t->remote, &t->ct);
	return r;
}

static int launched_plan_capture(run_state_t *s, void *target, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	struct launched *t = target;
	int r;

	r = nc_ct_plan_capture(s, &t->ct, plan, err);
	if (r < 0 || plan->none != NULL)
		return r;
	/* --peer: its host-side veth and its eth0 */
	if (t->peer_id[0] != '\0')
		nc_ct_plan_other(s, plan, t->peer_info.pid, t->peer_id, "the peer container");
	nc_remote_plan_capture(&t->remote, plan);
	return 0;
}

static void launched_plan_paths(run_state_t *s, void *target, uint64_t timeout)
{
	struct launched *t = target;

	/* while the capture points wait for the kernel (run-capture.c): the
	 * published ports' owners, which the paths need (the [::] listener) */
	if (!t->ct.exited && !t->forwarder_read) {
		nc_ct_find_forwarder(s, &t->ct);
		t->forwarder_read = true;
	}
	nc_remote_read_firewall(s, &t->remote, &t->ct);
	nc_ct_plan_paths(s, &t->ct, timeout);
	if (!t->ct.exited && nc_run_ours(s)) {
		nc_remote_add_path(s, &t->remote, &t->ct, timeout);
		add_from_container(s, t, timeout);
	}
}

static bool launched_gather_facts(run_state_t *s, void *target, bool path_failed, nc_diag_facts_t *ret)
{
	struct launched *t = target;

	return nc_ct_gather_facts(s, &t->ct, path_failed, t->remote.firewall_read ? &t->remote.firewall : NULL, ret);
}

const nc_target_ops_t nc_target_launched = {
	.what = "the test container",
	.host_points = true,
	.size = sizeof(struct launched),
	.survey = launched_survey,
	.take_survey = launched_take_survey,
	.prepare = launched_prepare,
	.plan_capture = launched_plan_capture,
	.plan_paths = launched_plan_paths,
	.gather_facts = launched_gather_facts,
	.forwarder_for = nc_ct_forwarder_for,
	.teardown = launched_teardown,
};
