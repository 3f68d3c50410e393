/* The target of `netcheck probe A --to B[:PORT]`: the paths from the
 * user's container A to the user's container B, by B's address and by its
 * name, as A's own processes would take them.  Neither is changed: a
 * short-lived helper (netcheck's responder, labelled like every netcheck
 * container) joins A's network namespace (NetworkMode container:A), so A
 * needs no tools of its own, and connects out on netcheck's request.
 *
 * survey: nothing beyond the engine's info.  prepare: A and B inspected
 * (both running), the network they share, B's port, the responder image,
 * the helper started and listening.  Paths: container-to-container and
 * container-to-container-dns, through the helper (its control connection
 * goes to A's address, so it needs A on this host's link: elsewhere the
 * paths are not sent and say why).  Capture: B's points and A's veth and
 * eth0.  Facts: B's (its state, its listeners on the port).  teardown: the
 * helper removed, also after errors and signals (gc finds it by its labels
 * when the run was killed).
 * May call: engine, platform, policy, run-common.c, run-image.c and
 * target-container.c below it.  Never prints. */
#include "target-container.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "netcheck/testing.h"

#define HELPER_PORT_MIN 20000 /* the helper listens in A's namespace: above the usual service ports */
#define HELPER_PORT_SPAN 40000
#define HELPER_TRIES 3        /* a port A already uses: the helper exits; another port */

struct to {
	nc_container_target_t ct;     /* B: the paths' target, whose facts explain a failure */
	nc_container_info_t from;     /* A: the paths start in its network namespace */
	char network[64];             /* the network A and B share; "" none */
	nc_endpoint_t to_address;     /* B's address on it (else its first), the port asked */
	char helper_id[80];           /* the helper in A's namespace; "" none */
	char helper_name[NC_NAME_MAX];
	nc_endpoint_t helper;         /* where netcheck asks the helper: A's address, its port */
	char helper_note[NC_DETAIL_MAX]; /* why there is no helper, for the paths */
};

static int inspect_running(run_state_t *s, const char *name, uint16_t port, nc_container_info_t *ret, nc_error_t *err)
{
	int r = nc_run_not_found(s, nc_engine_container_inspect(s->engine, name, port, ret, err), "container", name,
				 err);

	if (r < 0)
		return r;
	if (ret->paused)
		return nc_error_set(err, -EINVAL, "container '%.128s' is paused: unpause it first (docker unpause)", name);
	if (!ret->running || ret->restarting)
		return nc_error_set(err, -EINVAL, "container '%.128s' is not running (%s): start it first", name,
				    ret->restarting ? "restarting" : ret->status);
	return 0;
}

/* A container started with --network container:X has no network of its
 * own: the engine shows none, and its addresses are X's.  Takes X's
 * networks (and X's mode when X is on the host's or no network). */
static int adopt_shared_netns(run_state_t *s, nc_container_info_t *info, nc_error_t *err)
{
	nc_container_info_t *x; /* owned; large for the stack */
	uint16_t port;
	int r;

	if (strncmp(info->network_mode, "container:", 10) != 0)
		return 0;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	r = inspect_running(s, info->network_mode + 10, 0, x, err);
	if (r == 0) {
		if (strcmp(x->network_mode, "host") == 0 || strcmp(x->network_mode, "none") == 0)
			snprintf(info->network_mode, sizeof(info->network_mode), "%s", x->network_mode);
		memcpy(info->networks, x->networks, sizeof(info->networks));
		info->n_networks = x->n_networks;
		memcpy(info->network, x->network, sizeof(info->network));
		port = info->ip.port; /* the container port asked for stays */
		info->ip = x->ip;
		info->ip.port = port;
		info->gateway = x->gateway;
	}
	free(x);
	return r;
}

/* B's port from its socket table (what it serves, not what its image
 * declares): a TCP listener beyond its loopback, an exposed one first;
 * else its first exposed TCP port; else its loopback-only listener.
 * port_of() below: the one asked first, and the table when it can be read. */
uint16_t nc_to_pick_port(const nc_platform_socket_t *socks, size_t n, const uint16_t *exposed, size_t n_exposed)
{
	uint16_t lowest = 0, lowest_loopback = 0;

	for (size_t i = 0; i < n; i++) {
		if (socks[i].proto != IPPROTO_TCP)
			continue;
		if (nc_endpoint_is_loopback(&socks[i].local)) {
			/* 127.0.0.11 is Docker's resolver on a user network,
			 * in every container: never the app */
			if (!(socks[i].local.family == AF_INET &&
			      ntohl(socks[i].local.addr.v4.s_addr) == 0x7f00000b) &&
			    (lowest_loopback == 0 || socks[i].local.port < lowest_loopback))
				lowest_loopback = socks[i].local.port;
			continue;
		}
		for (size_t k = 0; k < n_exposed; k++)
			if (exposed[k] == socks[i].local.port)
				return socks[i].local.port;
		if (lowest == 0 || socks[i].local.port < lowest)
			lowest = socks[i].local.port;
	}
	if (lowest != 0)
		return lowest;
	if (n_exposed > 0)
		return exposed[0];
	/* an app that listens on its loopback only: probed all the same, so
	 * the report says why nothing reaches it */
	return lowest_loopback;
}

static uint16_t port_of(const run_state_t *s, const nc_container_info_t *b, int pid)
{
	nc_platform_socket_t socks[NC_RUN_MAX_LISTENERS];
	size_t n = 0;

	if (s->opt->to_port != 0)
		return s->opt->to_port;
	if (pid > 0 && nc_platform_netns_listeners(pid, socks, NC_ARRAY_SIZE(socks), &n) == 0)
		return nc_to_pick_port(socks, n, b->exposed_tcp, b->n_exposed_tcp);
	return b->n_exposed_tcp > 0 ? b->exposed_tcp[0] : 0;
}

/* The network A and B share, and B's address there; else B's first
 * address (the path then shows that no network joins them). */
static void pick_network(struct to *t)
{
	const nc_container_info_t *b = &t->ct.info;

	for (size_t i = 0; i < t->from.n_networks; i++)
		for (size_t k = 0; k < b->n_networks; k++)
			if (strcmp(t->from.networks[i].name, b->networks[k].name) == 0 && b->networks[k].ip.family != 0) {
				snprintf(t->network, sizeof(t->network), "%s", b->networks[k].name);
				t->to_address = b->networks[k].ip;
				t->to_address.port = t->ct.port;
				return;
			}
	t->to_address = b->ip;
	t->to_address.port = t->ct.port;
}

/* Where netcheck reaches the helper: A's address when this host has it on
 * a link of its own (the default route excluded: nothing is probed off
 * host), or this host's loopback when A shares the host's network. */
static bool helper_reachable(run_state_t *s, struct to *t)
{
	nc_route_t route;

	if (strcmp(t->from.network_mode, "host") == 0)
		return nc_endpoint_parse("127.0.0.1", 0, &t->helper) == 0;
	if (t->from.ip.family == 0) {
		snprintf(t->helper_note, sizeof(t->helper_note), "not sent: container '%.128s' has no address netcheck "
			 "could ask a helper in its namespace at", s->opt->target);
		return false;
	}
	if (nc_platform_route_get(&t->from.ip, &route) < 0 || route.kind != NC_ROUTE_ON_LINK || route.via_default) {
		snprintf(t->helper_note, sizeof(t->helper_note), "not sent: %.64s's address is not on this host's link "
			 "(its network is in a VM, another namespace or machine): no helper in its namespace can be asked",
			 s->opt->target);
		return false;
	}
	t->helper = t->from.ip;
	return true;
}

/* A port nothing in A's namespace listens on (when its sockets can be
 * read here), from a random start. */
static uint16_t free_port_in(const struct to *t)
{
	nc_platform_socket_t socks[NC_RUN_MAX_LISTENERS];
	uint32_t pick = 0;
	size_t n = 0;

	if (getrandom(&pick, sizeof(pick), GRND_NONBLOCK) != (ssize_t)sizeof(pick))
		pick = (uint32_t)uv_hrtime();
	if (t->from.pid > 0)
		(void)nc_platform_netns_listeners(t->from.pid, socks, NC_ARRAY_SIZE(socks), &n);
	for (unsigned i = 0; i < HELPER_PORT_SPAN; i++) {
		uint16_t port = (uint16_t)(HELPER_PORT_MIN + (pick + i) % HELPER_PORT_SPAN);
		bool used = false;

		for (size_t k = 0; k < n && !used; k++)
			used = socks[k].local.port == port;
		if (!used)
			return port;
	}
	return HELPER_PORT_MIN;
}

/* The helper: netcheck's responder in A's namespace, allowed to connect
 * to B by address and by name only.  Nobody, read-only, no capabilities:
 * it needs none (its port is above 1024; a shared namespace takes no
 * sysctls). */
static int start_helper(run_state_t *s, struct to *t, nc_error_t *err)
{
	const char *b_name = t->ct.info.name[0] == '/' ? t->ct.info.name + 1 : t->ct.info.name;
	char image[NC_NAME_MAX], mode[100], port_arg[8], allow[2][NC_NAME_MAX + NC_ENDPOINT_STRLEN];
	nc_container_spec_t spec;
	nc_container_info_t info;
	nc_run_owner_t owner;
	int r, listening;

	r = nc_run_ensure_responder_image(s, -1, err);
	if (r < 0)
		return r;
	if (nc_run_responder_image_ref(image, sizeof(image)) < 0)
		return nc_error_set(err, -ENOSPC, "internal error: image tag");
	snprintf(t->helper_name, sizeof(t->helper_name), "netcheck-%s-from", nc_result_container(s->result)->run_id);
	snprintf(mode, sizeof(mode), "container:%s", t->from.id);
	snprintf(allow[0], sizeof(allow[0]), "%.200s:%u", b_name, t->ct.port);
	nc_endpoint_format(&t->to_address, true, allow[1], sizeof(allow[1]));
	for (unsigned attempt = 0; attempt < HELPER_TRIES && !nc_run_interrupted(s); attempt++) {
		uint16_t port = free_port_in(t);

		memset(&spec, 0, sizeof(spec));
		spec.name = t->helper_name;
		spec.image = image;
		nc_run_label_spec(s, &spec, &owner);
		spec.network_mode = mode;
		snprintf(port_arg, sizeof(port_arg), "%u", port);
		spec.cmd[spec.n_cmd++] = "/responder";
		spec.cmd[spec.n_cmd++] = port_arg;
		spec.cmd[spec.n_cmd++] = "--allow";
		spec.cmd[spec.n_cmd++] = allow[0];
		spec.cmd[spec.n_cmd++] = "--allow";
		spec.cmd[spec.n_cmd++] = allow[1];
		spec.user = "65534:65534";
		spec.readonly_rootfs = true;
		spec.cap_drop_all = true;
		spec.no_new_privileges = true;
		nc_run_progress(s, "starting a helper in %s's network namespace (%s)", s->opt->target, t->helper_name);
		/* not cancellable: a create aborted here may complete on the
		 * engine's side, leaving a helper whose id we never learnt */
		nc_engine_set_cancel(s->engine, NULL);
		r = nc_engine_container_create(s->engine, &spec, t->helper_id, sizeof(t->helper_id), err);
		nc_engine_set_cancel(s->engine, s->opt->interrupted);
		if (r < 0) {
			t->helper_id[0] = '\0';
			return r;
		}
		r = nc_engine_container_start(s->engine, t->helper_id, err);
		if (r < 0)
			return r;
		t->helper.port = port;
		listening = t->from.pid > 0 ? nc_platform_wait_listening(t->from.pid, port, IPPROTO_TCP,
									 nc_run_now_ms() + s->opt->start_timeout_ms,
									 s->opt->interrupted)
					    : -ENOENT;
		if (listening > 0)
			return 0;
		/* its sockets cannot be read here: running means listening
		 * (the responder exits when it cannot) */
		r = nc_engine_container_inspect(s->engine, t->helper_id, 0, &info, err);
		if (r < 0)
			return r;
		if (info.running && listening == -ENOENT)
			return 0;
		/* exited: the port was taken after all; another one */
		(void)nc_run_remove_container(s->engine, t->helper_id, false);
		t->helper_id[0] = '\0';
	}
	if (nc_run_interrupted(s))
		return NC_ECANCELED;
	return nc_error_set(err, -EADDRINUSE, "the helper in %.128s's network namespace did not listen (%d tries)",
			    s->opt->target, HELPER_TRIES);
}

static int to_prepare(run_state_t *s, void *target, nc_error_t *err)
{
	struct to *t = target;
	nc_container_t *c = nc_result_container(s->result);
	int r;

	r = inspect_running(s, s->opt->target, 0, &t->from, err);
	if (r == 0)
		r = adopt_shared_netns(s, &t->from, err);
	if (r < 0)
		return r;
	if (strcmp(t->from.network_mode, "none") == 0)
		return nc_error_set(err, -EINVAL, "container '%.128s' has no network (--network none): nothing leaves it",
				    s->opt->target);
	/* A's pid only where it is a process of A here (not a VM's pid) */
	if (!nc_platform_pid_is_container(t->from.pid, t->from.id))
		t->from.pid = 0;
	r = inspect_running(s, s->opt->to, 0, &t->ct.info, err);
	if (r < 0)
		return r;
	t->ct.port = port_of(s, &t->ct.info,
			     nc_platform_pid_is_container(t->ct.info.pid, t->ct.info.id) ? t->ct.info.pid : 0);
	if (t->ct.port == 0)
		return nc_error_set(err, -EINVAL, "container '%.128s' listens on and exposes no TCP port: name it with --to %.128s:PORT",
				    s->opt->to, s->opt->to);
	/* again, for the port's bindings */
	r = nc_engine_container_inspect(s->engine, t->ct.info.id, t->ct.port, &t->ct.info, err);
	if (r == 0)
		r = adopt_shared_netns(s, &t->ct.info, err);
	if (r < 0)
		return r;
	/* no address of its own: no helper could be told where to go */
	if (nc_ct_network_mode(&t->ct, "host"))
		return nc_error_set(err, -EINVAL, "container '%.128s' runs with --network host: it has no address of its "
				    "own; from a container it is this host, at that container's gateway", s->opt->to);
	if (nc_ct_network_mode(&t->ct, "none") || t->ct.info.ip.family == 0)
		return nc_error_set(err, -EINVAL, "container '%.128s' has no address (network mode %.64s): nothing "
				    "outside it can reach it", s->opt->to, t->ct.info.network_mode);
	snprintf(t->ct.container_id, sizeof(t->ct.container_id), "%s", t->ct.info.id);
	t->ct.ports[t->ct.n_ports++] = t->ct.port;
	c->user_container = true;
	snprintf(c->from_id, sizeof(c->from_id), "%s", t->from.id);
	snprintf(c->from_name, sizeof(c->from_name), "%s", t->from.name[0] == '/' ? t->from.name + 1 : t->from.name);
	r = nc_ct_adopt_inspected(s, &t->ct, err);
	if (r < 0)
		return r;
	nc_ct_decide(s, &t->ct);
	pick_network(t);
	if (!helper_reachable(s, t))
		return 0;
	return start_helper(s, t, err);
}

static int to_plan_capture(run_state_t *s, void *target, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	struct to *t = target;
	int r;

	r = nc_ct_plan_capture(s, &t->ct, plan, err);
	if (r < 0 || plan->none != NULL)
		return r;
	nc_ct_plan_other(s, plan, t->from.pid, t->from.id, "the container the paths start from");
	return 0;
}

static void to_plan_paths(run_state_t *s, void *target, uint64_t timeout)
{
	static const nc_path_kind_t kinds[] = { NC_PATH_CONTAINER_TO_CONTAINER, NC_PATH_CONTAINER_TO_CONTAINER_DNS };
	struct to *t = target;
	const char *b_name = t->ct.info.name[0] == '/' ? t->ct.info.name + 1 : t->ct.info.name;
	/* no network in common: the name is A's first network's to resolve */
	const char *net = t->network[0] != '\0' ? t->network : t->from.n_networks > 0 ? t->from.networks[0].name : NULL;

	for (size_t i = 0; i < NC_ARRAY_SIZE(kinds); i++) {
		char name[NC_NAME_MAX + NC_ENDPOINT_STRLEN];
		nc_probe_t *probe = NULL;
		nc_path_t *p = nc_ct_add_path(s, &t->ct, kinds[i], net, t->ct.port, &t->to_address);
		int r;

		if (p == NULL)
			continue;
		if (t->helper_id[0] == '\0') {
			nc_classify_not_sent(p, NC_NOT_SENT_NO_RELAY, "%s", t->helper_note);
			continue;
		}
		if (kinds[i] == NC_PATH_CONTAINER_TO_CONTAINER)
			nc_endpoint_format(&t->to_address, true, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "%.200s:%u", b_name, t->ct.port);
		r = nc_probe_relay_new(&s->loop, p, &t->helper, name, timeout, &probe);
		nc_run_add_probe(s, p, r, probe);
	}
}

static bool to_gather_facts(run_state_t *s, void *target, bool path_failed, nc_diag_facts_t *ret)
{
	struct to *t = target;

	return nc_ct_gather_facts(s, &t->ct, path_failed, NULL, ret);
}

static void to_teardown(run_state_t *s, void *target)
{
	struct to *t = target;

	if (t->helper_id[0] == '\0')
		return;
	/* cleanup must run even after a signal cancelled the engine calls */
	nc_engine_set_cancel(s->engine, NULL);
	if (nc_run_remove_container(s->engine, t->helper_id, false) == 0)
		t->helper_id[0] = '\0';
}

const nc_target_ops_t nc_target_to = {
	.what = "your containers",
	.host_points = true,
	.size = sizeof(struct to),
	.prepare = to_prepare,
	.plan_capture = to_plan_capture,
	.plan_paths = to_plan_paths,
	.gather_facts = to_gather_facts,
	.teardown = to_teardown,
};
