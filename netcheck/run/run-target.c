/* The target of a run: a container netcheck launches (its image, spec,
 * start, readiness and removal) or a running container the user names
 * (inspected only: never stopped, changed or removed).  Both leave the
 * same facts in run_state_t and the result's container record.
 * May call: engine, image, platform, result. */
#include "run-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/image.h"
#include "netcheck/testing.h"

/* ---- shared --------------------------------------------------------------- */

size_t nc_run_published_ports(const run_state_t *s, nc_engine_proto_t proto, uint16_t *ret, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->info.n_ports; i++) {
		const nc_container_port_t *b = &s->info.ports[i];
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
static int adopt_inspected(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	int r;

	snprintf(c->id, sizeof(c->id), "%s", s->info.id);
	if (c->name[0] == '\0')
		snprintf(c->name, sizeof(c->name), "%s", s->info.name[0] == '/' ? s->info.name + 1 : s->info.name);
	if (c->image[0] == '\0')
		snprintf(c->image, sizeof(c->image), "%s", s->info.image);
	c->ip = s->info.ip;
	c->published_port = s->info.published_port;
	c->published_port6 = s->info.published_port6;
	/* An engine in another PID namespace (a VM, a containerized dockerd)
	 * reports a pid that means nothing here, or another process: use it
	 * only when that process's cgroup names the container. */
	c->pid = nc_platform_pid_is_container(s->info.pid, c->id) ? s->info.pid : 0;
	s->info.pid = c->pid;
	if (s->info.ip.family == 0)
		return 0; /* exited, or no network: paths say so */
	r = nc_platform_route_get(&c->ip, &s->route);
	if (r < 0)
		return nc_error_set(err, r, "route lookup for the container IP failed: %s", nc_strerror(r));
	return 0;
}

/* Who listens on the published port: read once, now, while we may still
 * look at other users' processes (rootlesskit, rootlessport).  Some
 * engines (Podman) list one binding for every address ("HostIp": ""):
 * [::] is served too when the process listening on the port over IPv6 is
 * that one. */
static bool listener_of(uint16_t port, int family, nc_forwarder_t *ret)
{
	nc_platform_process_t proc;

	if (nc_platform_tcp_listener_family(port, family, &proc) < 0)
		return false;
	snprintf(ret->name, sizeof(ret->name), "%s", proc.name);
	ret->pid = proc.pid;
	return true;
}

static void find_forwarder(run_state_t *s)
{
	nc_container_t *c = nc_result_container(s->result);
	nc_forwarder_t v6;

	if (c->published_port == 0)
		return;
	s->have_forwarder = listener_of(c->published_port, AF_INET, &s->forwarder) ||
			    listener_of(c->published_port, AF_INET6, &s->forwarder);
	if (c->published_port6 == 0 && s->have_forwarder && listener_of(c->published_port, AF_INET6, &v6) &&
	    v6.pid == s->forwarder.pid)
		c->published_port6 = c->published_port;
	/* [::1] is accepted by the [::] listener: its own process */
	if (c->published_port6 != 0)
		s->have_forwarder6 = listener_of(c->published_port6, AF_INET6, &s->forwarder6);
}

const nc_forwarder_t *nc_run_forwarder_for(const run_state_t *s, const nc_path_t *p)
{
	/* the listener lookup knows TCP sockets: a UDP path's forwarder (its
	 * own docker-proxy) is not named rather than named wrong */
	if (!nc_path_kind_is_published(p->kind) || nc_path_kind_proto(p->kind) != NC_PROTO_TCP)
		return NULL;
	if (p->target.family == AF_INET6)
		return s->have_forwarder6 ? &s->forwarder6 : NULL;
	return s->have_forwarder ? &s->forwarder : NULL;
}

static void read_logs(run_state_t *s)
{
	char raw[NC_RUN_LOG_MAX];
	size_t o = 0;
	int n;

	s->logs[0] = '\0';
	n = nc_engine_container_logs(s->engine, s->container_id, NC_RUN_LOG_TAIL, raw, sizeof(raw), NULL);
	if (n <= 0)
		return;
	/* one line: "first | second | third" */
	for (char *line = raw, *end; line != NULL && *line != '\0' && o + 1 < sizeof(s->logs); line = end) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end++ = '\0';
		if (*line == '\0')
			continue;
		o += (size_t)snprintf(s->logs + o, sizeof(s->logs) - o, "%s%s", o ? " | " : "", line);
	}
}

/* The container's main process is gone: its exit code and last words.
 * One killed by SIGTERM or SIGKILL did not end by itself: the engine
 * stopped it (a restart, the OOM killer), which is the engine's failure,
 * not the app's.  Returns 0 or that error. */
static int note_exit(run_state_t *s, nc_error_t *err)
{
	const char *image = nc_result_container(s->result)->image;
	int code = s->info.exit_code;
	/* netcheck's responder never exits by itself: only when told to stop */
	bool responder = strncmp(image, nc_image_name(), strlen(nc_image_name())) == 0;

	s->exited = true;
	read_logs(s);
	if (code == 128 + SIGTERM || code == 128 + SIGKILL || (responder && code == 0))
		return nc_error_set(err, NC_EENGINE,
				    "container %.12s was stopped (exit code %d%s) before it answered: the engine at %s "
				    "stopped it",
				    s->info.id, code, code == 128 + SIGKILL ? ", SIGKILL" : code == 128 + SIGTERM ? ", SIGTERM" : "",
				    nc_engine_url(s->engine));
	return 0;
}

void nc_run_gather_facts(run_state_t *s, nc_diag_facts_t *ret, nc_listener_t *listeners, size_t max,
			 uint16_t *published, size_t max_published)
{
	nc_platform_socket_t socks[NC_RUN_MAX_LISTENERS];
	size_t n = 0;

	memset(ret, 0, sizeof(*ret));
	if (s->engine != NULL && s->container_id[0] != '\0' && !s->exited &&
	    nc_engine_container_inspect(s->engine, s->container_id, s->port, &s->info, NULL) == 0 && !s->info.running)
		(void)note_exit(s, NULL);
	ret->exited = s->exited;
	ret->exit_code = s->info.exit_code;
	ret->last_logs = s->logs;
	if (!s->exited && s->info.pid > 0 &&
	    nc_platform_netns_listeners(s->info.pid, socks, NC_ARRAY_SIZE(socks), &n) == 0) {
		ret->have_listeners = true;
		for (size_t i = 0; i < n && i < max; i++) {
			listeners[i].proto = socks[i].proto == IPPROTO_UDP ? NC_PROTO_UDP : NC_PROTO_TCP;
			listeners[i].addr = socks[i].local;
		}
		ret->listeners = listeners;
		ret->n_listeners = n < max ? n : max;
	}
	ret->n_published = nc_run_published_ports(s, NC_ENGINE_TCP, published, max_published);
	ret->published = published;
	if (s->have_forwarder)
		ret->forwarder = s->forwarder;
	ret->firewall = s->firewall_read ? &s->firewall : NULL;
}

/* ---- a container netcheck launches -------------------------------------- */

int nc_run_image_ref(const run_state_t *s, char *ret, size_t len)
{
	char tag[NC_IMAGE_TAG_MAX];

	if (s->opt->image != NULL)
		return (size_t)snprintf(ret, len, "%s", s->opt->image) >= len ? -ENOSPC : 0;
	if (nc_image_tag(nc_responder_bin, nc_responder_bin_len, tag, sizeof(tag)) < 0)
		return -ENOSPC;
	return (size_t)snprintf(ret, len, "%s:%s", nc_image_name(), tag) >= len ? -ENOSPC : 0;
}

/* Is s->image in the engine?  The survey's answer, else asked now. */
static int image_present(run_state_t *s, nc_error_t *err)
{
	return s->image_present >= 0 ? s->image_present : nc_engine_image_exists(s->engine, s->image, err);
}

static int ensure_image(run_state_t *s, nc_error_t *err)
{
	char tag[NC_IMAGE_TAG_MAX];
	const char *const *changes;
	uint8_t *tar = NULL;
	size_t tar_len = 0, n_changes;
	int r;

	if (s->opt->image != NULL) {
		r = image_present(s, err);
		if (r < 0)
			return r;
		if (r == 0)
			return nc_error_set(err, NC_ENOIMAGE,
					    "image %s is not in the engine and cannot be pulled here: load it first",
					    s->opt->image);
		return 0;
	}
	r = image_present(s, err);
	if (r != 0)
		return r < 0 ? r : 0;
	if (nc_image_tag(nc_responder_bin, nc_responder_bin_len, tag, sizeof(tag)) < 0)
		return nc_error_set(err, -ENOSPC, "internal error: image tag");
	nc_run_progress(s, "importing image %s (%zu KiB)", s->image, nc_responder_bin_len / 1024);
	r = nc_image_build_tar(nc_responder_bin, nc_responder_bin_len, &tar, &tar_len);
	if (r < 0)
		return nc_error_set(err, r, "building the responder image failed: %s", nc_strerror(r));
	changes = nc_image_changes(&n_changes);
	r = nc_engine_image_import(s->engine, tar, tar_len, nc_image_name(), tag, changes, n_changes, err);
	free(tar);
	if (r < 0) {
		char prev[NC_ERROR_MAX];

		/* a half-imported image must not be mistaken for a good one
		 * next time; also (above all) after a signal cancelled the import */
		snprintf(prev, sizeof(prev), "%s", err != NULL ? err->text : "");
		nc_engine_set_cancel(s->engine, NULL);
		(void)nc_engine_image_remove(s->engine, s->image, true, NULL);
		nc_engine_set_cancel(s->engine, s->opt->interrupted);
		return nc_error_set(err, r, "importing the responder image failed: %.400s", prev);
	}
	return 0;
}

/* The container's labels: which run made it, which process, where that
 * pid means something, and whether it is kept on purpose. */
static void fill_spec(const run_state_t *s, const char *image, nc_container_spec_t *spec, char *pid, size_t pid_len,
		      char *scope, size_t scope_len, char *port_arg, size_t port_len)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	bool peer = spec->name != NULL; /* the caller names the peer; ours is the run's name */

	snprintf(pid, pid_len, "%d", (int)uv_os_getpid());
	nc_platform_owner_scope(scope, scope_len);
	snprintf(port_arg, port_len, "%u", s->port);
	memset(spec, 0, sizeof(*spec));
	spec->name = peer ? s->peer_name : c->name;
	spec->image = image;
	spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_LABEL, c->run_id };
	spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_PID_LABEL, pid };
	spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_SCOPE_LABEL, scope };
	if (s->opt->keep) /* kept on purpose: only `netcheck gc --kept` removes it */
		spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_KEEP_LABEL, "1" };
	spec->network_mode = s->opt->network != NULL ? s->opt->network : "bridge";
	if (!peer)
		spec->ports[spec->n_ports++] = (nc_container_port_spec_t){
			.container_port = s->port, .proto = NC_ENGINE_TCP, .publish = true, .host_port = s->opt->host_port };
	if (s->opt->image == NULL) {
		/* netcheck's responder answers UDP on its port too */
		if (!peer)
			spec->ports[spec->n_ports++] = (nc_container_port_spec_t){
				.container_port = s->port, .proto = NC_ENGINE_UDP, .publish = true };
		/* host.docker.internal as Docker Desktop provides it */
		spec->extra_hosts[spec->n_extra_hosts++] = "host.docker.internal:host-gateway";
		/* our responder needs nothing: no root, no writes */
		spec->cmd[spec->n_cmd++] = "/responder";
		spec->cmd[spec->n_cmd++] = port_arg;
		for (size_t i = 0; !peer && i < s->n_allow && spec->n_cmd + 2 <= NC_ENGINE_MAX_ARGS; i++) {
			spec->cmd[spec->n_cmd++] = "--allow";
			spec->cmd[spec->n_cmd++] = s->allow[i];
		}
		spec->user = "65534:65534";
		spec->readonly_rootfs = true;
		spec->cap_drop_all = true;
		spec->no_new_privileges = true;
		/* Docker lowers it for every container; Podman does not, and uid
		 * 65534 may then not listen on port 80 */
		spec->sysctls[spec->n_sysctls++] = (nc_engine_kv_t){ "net.ipv4.ip_unprivileged_port_start", "0" };
	}
}

/* Waits for the app to listen on its port, seen from its own namespace,
 * so no probe packet is spent on readiness; backs off as the platform does
 * (nc_platform_wait_step_ms: 2 ms doubling to 100 ms).
 * Engines whose processes we cannot see (a VM, another user namespace)
 * get a short grace period instead.  Not listening in time is not an
 * error here: the probes fail and the diagnosis says why. */
static void wait_listening(run_state_t *s, uint64_t deadline)
{
	uint64_t settle = 0;

	if (s->opt->image == NULL) { /* netcheck's responder listens on its port or exits */
		if (s->info.pid <= 0 ||
		    nc_platform_wait_listening(s->info.pid, s->port, IPPROTO_TCP, deadline, s->opt->interrupted) == -ENOENT)
			nc_run_sleep_ms(200);
		return;
	}
	for (unsigned tries = 0; tries < 2000 && !nc_run_interrupted(s); tries++) {
		nc_platform_socket_t socks[NC_RUN_MAX_LISTENERS];
		size_t n = 0;

		if (s->info.pid <= 0 || nc_platform_netns_listeners(s->info.pid, socks, NC_ARRAY_SIZE(socks), &n) < 0) {
			nc_run_sleep_ms(200);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (socks[i].proto == IPPROTO_TCP && socks[i].local.port == s->port)
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

/* What the paths that start inside the container need before it exists:
 * the host end of container-to-host (listening on the default bridge's
 * gateway, where host.docker.internal:host-gateway leads), the peer for
 * container-to-container, and the responder's allow-list naming both.
 * A forwarding-only engine's host-gateway is not this host: no listener. */
static int prepare_origin(run_state_t *s, const char *image, nc_error_t *err)
{
	nc_env_kind_t kind = nc_run_engine_kind(&s->version, &s->engine_info);
	nc_endpoint_t gw;
	int r;

	/* the default bridge was read at the start, with the engine's info */
	if (nc_classify_engine_is_local(kind) && s->have_default_bridge &&
	    host_gateway(&s->default_bridge, &gw) == 0 && nc_probe_listener_new(&s->loop, &gw, &s->host_listener) == 0)
		snprintf(s->allow[s->n_allow++], sizeof(s->allow[0]), "host.docker.internal:%u",
			 nc_probe_listener_address(s->host_listener)->port);
	if (s->opt->peer) {
		char pid[16], scope[128], port_arg[8], addr[NC_ENDPOINT_STRLEN];
		nc_container_spec_t spec;
		const nc_container_network_t *net;

		snprintf(s->peer_name, sizeof(s->peer_name), "netcheck-%s-peer", nc_result_container(s->result)->run_id);
		memset(&spec, 0, sizeof(spec));
		spec.name = s->peer_name; /* marks the peer's spec */
		fill_spec(s, image, &spec, pid, sizeof(pid), scope, sizeof(scope), port_arg, sizeof(port_arg));
		nc_run_progress(s, "starting the peer container %s", s->peer_name);
		r = start_one(s, &spec, s->peer_id, sizeof(s->peer_id), err);
		if (r < 0)
			return r;
		r = nc_engine_container_inspect(s->engine, s->peer_id, s->port, &s->peer_info, err);
		if (r < 0)
			return r;
		net = s->peer_info.n_networks > 0 ? &s->peer_info.networks[0] : NULL;
		if (net != NULL && net->ip.family != 0 && s->n_allow + 2 <= NC_ARRAY_SIZE(s->allow)) {
			nc_endpoint_format(&net->ip, false, addr, sizeof(addr));
			snprintf(s->allow[s->n_allow++], sizeof(s->allow[0]), "%s:%u", addr, s->port);
			snprintf(s->allow[s->n_allow++], sizeof(s->allow[0]), "%.200s:%u", s->peer_name, s->port);
		}
	}
	return 0;
}

/* A client in another namespace, for published-remote: only where the
 * container's bridge is on this host (else the path is skipped, with the
 * reason) and only for netcheck's own container. */
static void make_remote(run_state_t *s)
{
	nc_error_t rerr = { "" };
	nc_env_kind_t kind = nc_run_engine_kind(&s->version, &s->engine_info);

	if (!nc_classify_engine_is_local(kind)) {
		snprintf(s->remote_note, sizeof(s->remote_note),
			 "not sent: the %s engine's published ports are not this host's kernel NAT", nc_env_kind_name(kind));
		return;
	}
	if (nc_platform_remote_create(nc_result_container(s->result)->run_id, &s->remote, &rerr) < 0) {
		s->remote.netns_name[0] = '\0';
		snprintf(s->remote_note, sizeof(s->remote_note), "not sent: no remote-client namespace: %.200s",
			 rerr.text);
		return;
	}
	/* held by our fd, not by a name: gone when netcheck ends, however */
	if (nc_platform_remote_hold(&s->remote) < 0) {
		nc_platform_remote_destroy(&s->remote);
		snprintf(s->remote_note, sizeof(s->remote_note), "not sent: the remote-client namespace could not be held");
	}
}

static int launched_prepare(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	char pid[16], scope[128], port_arg[8];
	nc_container_spec_t spec;
	uint64_t deadline;
	int r;

	if (s->opt->network != NULL) {
		nc_network_info_t net;

		r = nc_engine_network_inspect(s->engine, s->opt->network, &net, err);
		if (r == NC_EGONE || r == NC_ENOTFOUND)
			return nc_error_set(err, NC_ENOTFOUND, "no network '%.128s' in the engine at %s", s->opt->network,
					    nc_engine_url(s->engine));
		if (r < 0)
			return r;
	}
	r = ensure_image(s, err);
	if (r < 0)
		return r;
	snprintf(c->image, sizeof(c->image), "%s", s->image);
	snprintf(c->name, sizeof(c->name), "netcheck-%s", c->run_id);
	if (s->opt->image == NULL) {
		r = prepare_origin(s, s->image, err);
		if (r < 0)
			return r;
	}
	memset(&spec, 0, sizeof(spec));
	fill_spec(s, s->image, &spec, pid, sizeof(pid), scope, sizeof(scope), port_arg, sizeof(port_arg));
	nc_run_progress(s, "creating and starting container %s from %s", c->name, s->image);
	r = start_one(s, &spec, s->container_id, sizeof(s->container_id), err);
	if (s->container_id[0] != '\0')
		snprintf(c->id, sizeof(c->id), "%s", s->container_id);
	if (r < 0)
		return r;
	nc_run_progress(s, "waiting for container %.12s to listen", s->container_id);
	deadline = nc_run_now_ms() + (s->opt->start_timeout_ms ? s->opt->start_timeout_ms : 10000);
	for (unsigned delay = 2;; delay = delay < 50 ? delay * 2 : 50) {
		if (nc_run_interrupted(s))
			return NC_ECANCELED;
		r = nc_engine_container_inspect(s->engine, s->container_id, s->port, &s->info, err);
		if (r < 0)
			return r;
		if (!s->info.running) {
			/* the probes are not sent; the diagnosis says why */
			r = note_exit(s, err);
			if (r < 0)
				return r;
			break;
		}
		if (s->info.ip.family != 0 && s->info.published_port != 0)
			break;
		if (nc_run_now_ms() > deadline)
			return nc_error_set(err, -ETIMEDOUT, "container %.12s got no IP address or published port in time",
					    c->id);
		nc_run_sleep_ms(delay);
	}
	r = adopt_inspected(s, err);
	if (r < 0 || s->exited)
		return r;
	wait_listening(s, deadline);
	if (nc_run_interrupted(s))
		return NC_ECANCELED;
	/* still alive?  An app that could not listen often exits at once */
	r = nc_engine_container_inspect(s->engine, s->container_id, s->port, &s->info, err);
	if (r < 0)
		return r;
	s->info.pid = c->pid;
	if (!s->info.running)
		return note_exit(s, err);
	s->ports[s->n_ports++] = s->port;
	find_forwarder(s);
	nc_run_progress(s, "making the remote-client namespace");
	make_remote(s);
	return 0;
}

static void launched_teardown(run_state_t *s)
{
	nc_container_t *c = nc_result_container(s->result);
	uint64_t deadline;

	nc_platform_remote_destroy(&s->remote); /* "" name: nothing made */

	if (s->peer_id[0] != '\0' && !s->opt->keep) {
		nc_engine_set_cancel(s->engine, NULL);
		(void)nc_engine_container_remove(s->engine, s->peer_id, true, true, NULL);
	}
	if (s->container_id[0] == '\0')
		return;
	if (s->opt->keep) {
		c->kept = true;
		return;
	}
	/* cleanup must run even after a signal cancelled the engine calls */
	nc_engine_set_cancel(s->engine, NULL);
	/* An engine that is restarting refuses connections for a few seconds:
	 * keep trying for a bounded while (15 s), then leave the container to
	 * the next run's clean-up (it carries our labels). */
	deadline = nc_run_now_ms() + 15000;
	for (unsigned attempt = 0; attempt < 60; attempt++) {
		int r = nc_engine_container_remove(s->engine, s->container_id, true, true, NULL);

		if (r == 0) {
			c->removed = true;
			return;
		}
		if (nc_run_now_ms() > deadline ||
		    (r != -ECONNREFUSED && r != -ENOENT && r != NC_EPROTO && attempt >= 2))
			return;
		nc_run_sleep_ms(250);
	}
}

const nc_target_ops_t nc_target_launched = {
	.what = "the test container",
	.prepare = launched_prepare,
	.teardown = launched_teardown,
};

/* ---- a container the user names ----------------------------------------- */

static int named_prepare(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	uint16_t published[NC_RUN_MAX_PORTS];
	size_t n;
	int r;

	r = nc_engine_container_inspect(s->engine, s->opt->target, s->port, &s->info, err);
	if (r == NC_EGONE || r == NC_ENOTFOUND)
		return nc_error_set(err, NC_ENOTFOUND, "no container '%.128s' in the engine at %s", s->opt->target,
				    nc_engine_url(s->engine));
	if (r < 0)
		return r;
	snprintf(s->container_id, sizeof(s->container_id), "%s", s->info.id);
	c->user_container = true;
	if (!s->info.running)
		return nc_error_set(err, -EINVAL, "container '%.128s' is not running (%s, exit code %d): start it first",
				    s->opt->target, s->info.status, s->info.exit_code);
	/* the ports: those given, else every published TCP port */
	if (s->opt->n_ports > 0) {
		for (size_t i = 0; i < s->opt->n_ports && i < NC_RUN_MAX_PORTS; i++)
			s->ports[s->n_ports++] = s->opt->ports[i];
	} else {
		n = nc_run_published_ports(s, NC_ENGINE_TCP, published, NC_ARRAY_SIZE(published));
		if (n == 0 && s->bulk_capture) /* netcheck capture: its addresses are enough */
			return adopt_inspected(s, err);
		if (n == 0)
			return nc_error_set(err, -EINVAL,
					    "container '%.128s' publishes no TCP port: name the port to probe with --port",
					    s->opt->target);
		for (size_t i = 0; i < n; i++)
			s->ports[s->n_ports++] = published[i];
	}
	s->port = s->ports[0];
	/* inspect again for the first port's address and binding */
	r = nc_engine_container_inspect(s->engine, s->container_id, s->port, &s->info, err);
	if (r < 0)
		return r;
	r = adopt_inspected(s, err);
	if (r < 0)
		return r;
	find_forwarder(s);
	return 0;
}

static void named_teardown(run_state_t *s)
{
	(void)s; /* the user's container is theirs: nothing to undo */
}

const nc_target_ops_t nc_target_named = {
	.what = "your container",
	.prepare = named_prepare,
	.teardown = named_teardown,
};
