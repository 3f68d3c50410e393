/* The target of `netcheck run --swarm`: a global service of netcheck's
 * responder over every node of a swarm.
 *
 * prepare: the manager's view (a manager, its nodes), the further
 * --engines matched to their nodes, the image loaded through every engine
 * netcheck has (one `docker load` archive: the same image id on every
 * node, which the service names, so no node ever asks a registry), an
 * attachable overlay network and the service on it (a host-mode port on
 * every node; an ingress port where the kernel has IPVS), then a bounded
 * wait for one task per node.  teardown: service and network removed,
 * also after errors and signals (both carry the run's labels for `gc`).
 * survey: nothing more than the engine's info; the services and networks
 * of killed --swarm runs are cleaned up then.  Paths: four per node
 * (published host-mode port, ingress, task to task over the overlay,
 * task to the service's DNS name).  Capture: every node through a capture
 * agent of its own (target-swarm-agents.c); this host's points only for
 * the published ports.  Facts: what the nodes and tasks say, in the
 * paths already.
 * May call: engine, image, platform, classify, result, and run-paths.c /
 * run-common.c / run-gc.c below it.  Never prints. */
#include "target-swarm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/image.h"
#include "netcheck/testing.h"

#define SWARM_TASKS_MAX 64            /* tasks listed per poll: a few per node */
#define SWARM_WAIT_DEFAULT_MS 60000   /* scheduling, image checks and start on every node */
#define SWARM_REMOVE_MS 20000         /* a network stays in use until its tasks are gone */

/* The swarm target's own state; the rest is in the result's swarm record. */
struct swarm {
	uint16_t port;                /* the responder's port in each task */
	nc_engine_t *node_engines[NC_RUN_MAX_ENGINES]; /* owned: --swarm's further --engines */
	size_t n_node_engines;
};

static bool node_usable(const nc_node_t *n)
{
	return strcmp(n->state, "ready") == 0 && strcmp(n->availability, "active") == 0;
}

static nc_node_t *node_by_id(nc_swarm_t *sw, const char *id)
{
	for (size_t i = 0; i < sw->n_nodes; i++)
		if (strcmp(sw->nodes[i].id, id) == 0)
			return &sw->nodes[i];
	return NULL;
}

/* Report order: the manager netcheck talks to, then by hostname, then by
 * id (two nodes may share a hostname; an insertion sort: at most
 * NC_MAX_NODES). */
static void sort_nodes(nc_swarm_t *sw, const char *manager_id)
{
	for (size_t i = 1; i < sw->n_nodes; i++) {
		nc_node_t n = sw->nodes[i];
		size_t k = i;

		for (; k > 0; k--) {
			const nc_node_t *prev = &sw->nodes[k - 1];
			int by_name = strcmp(n.hostname, prev->hostname);
			bool n_first = strcmp(n.id, manager_id) == 0 ||
				       (strcmp(prev->id, manager_id) != 0 &&
					(by_name < 0 || (by_name == 0 && strcmp(n.id, prev->id) < 0)));

			if (!n_first)
				break;
			sw->nodes[k] = sw->nodes[k - 1];
		}
		sw->nodes[k] = n;
	}
}

/* The manager, and the nodes as it lists them. */
static int read_swarm(run_state_t *s, nc_error_t *err)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);
	nc_swarm_node_t *nodes;
	nc_swarm_info_t info;
	size_t n = 0;
	int r;

	r = nc_engine_swarm_inspect(s->engine, &info, err);
	if (r < 0)
		return r;
	if (!info.active)
		return nc_error_set(err, -EINVAL,
				    "the engine at %s is not in a swarm (its swarm state is \"%s\"): --swarm needs a "
				    "swarm manager's engine as the first --engine",
				    nc_engine_url(s->engine), info.local_state[0] ? info.local_state : "inactive");
	if (!info.manager)
		return nc_error_set(err, -EINVAL,
				    "the engine at %s is a swarm worker, not a manager: give a manager's engine as the "
				    "first --engine",
				    nc_engine_url(s->engine));
	sw->active = true;
	snprintf(sw->node_id, sizeof(sw->node_id), "%s", info.node_id);
	nodes = calloc(NC_MAX_NODES, sizeof(*nodes));
	if (nodes == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	r = nc_engine_nodes_list(s->engine, nodes, NC_MAX_NODES, &n, err);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		nc_node_t *node = &sw->nodes[sw->n_nodes++];

		snprintf(node->id, sizeof(node->id), "%s", nodes[i].id);
		snprintf(node->hostname, sizeof(node->hostname), "%s", nodes[i].hostname);
		snprintf(node->role, sizeof(node->role), "%s", nodes[i].role);
		snprintf(node->state, sizeof(node->state), "%s", nodes[i].state);
		snprintf(node->availability, sizeof(node->availability), "%s", nodes[i].availability);
		/* a manager may list itself at 0.0.0.0: its own /info knows better */
		if (nc_endpoint_parse(nodes[i].address, 0, &node->address) < 0 ||
		    strcmp(nodes[i].address, "0.0.0.0") == 0) {
			memset(&node->address, 0, sizeof(node->address));
			if (strcmp(node->id, info.node_id) == 0)
				(void)nc_endpoint_parse(info.node_addr, 0, &node->address);
		}
		if (strcmp(node->id, info.node_id) == 0)
			snprintf(node->engine_url, sizeof(node->engine_url), "%s", nc_engine_url(s->engine));
	}
	free(nodes);
	if (r < 0)
		return r;
	sort_nodes(sw, info.node_id);
	nc_swarm_name_nodes(sw); /* a node is its id; names for people, unique even for cloned hostnames */
	if ((size_t)r > NC_MAX_NODES)
		nc_run_progress(s, "the swarm has %d nodes: netcheck probes the first %d", r, NC_MAX_NODES);
	return 0;
}

/* Every further --engine: connected, and matched to its node. */
static int connect_nodes(run_state_t *s, struct swarm *t, nc_error_t *err)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);

	for (size_t i = 0; i < s->opt->n_more_engines; i++) {
		nc_engine_version_t version;
		nc_swarm_info_t info;
		nc_engine_t *e = NULL;
		nc_node_t *node;
		int r;

		nc_run_progress(s, "connecting to %s", s->opt->more_engines[i]);
		r = nc_run_connect(s->opt->more_engines[i], NULL, s->opt->engine_timeout_ms, s->opt->interrupted, NULL, &e,
				   &version, err);
		if (r < 0)
			return r;
		t->node_engines[t->n_node_engines++] = e; /* owned from here: freed in teardown */
		(void)nc_run_gc_engine(e, false, NULL, NULL, NULL); /* capture agents of killed runs */
		r = nc_engine_swarm_inspect(e, &info, err);
		if (r < 0)
			return r;
		node = info.active ? node_by_id(sw, info.node_id) : NULL;
		if (node == NULL)
			return nc_error_set(err, -EINVAL, "the engine at %s is not a node of this swarm (%s)",
					    nc_engine_url(e), info.active ? "its node id is not in the manager's list"
									  : "it is in no swarm");
		if (node->engine_url[0] != '\0')
			return nc_error_set(err, -EINVAL, "the engines %s and %s are the same node (%s)",
					    node->engine_url, nc_engine_url(e), node->name);
		snprintf(node->engine_url, sizeof(node->engine_url), "%s", nc_engine_url(e));
	}
	return 0;
}

/* The engine that is node's, or NULL when none was given. */
static nc_engine_t *engine_of(run_state_t *s, struct swarm *t, const nc_node_t *node)
{
	if (node->engine_url[0] == '\0')
		return NULL;
	if (strcmp(node->engine_url, nc_engine_url(s->engine)) == 0)
		return s->engine;
	for (size_t i = 0; i < t->n_node_engines; i++)
		if (strcmp(node->engine_url, nc_engine_url(t->node_engines[i])) == 0)
			return t->node_engines[i];
	return NULL;
}

/* netcheck's image through every engine it has; a node without one must
 * hold it already (its task says so if not).  --image: the user's, as is. */
static int load_image(run_state_t *s, struct swarm *t, nc_error_t *err)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);
	char tag[NC_IMAGE_TAG_MAX];
	uint8_t *tar = NULL;
	size_t tar_len = 0;
	int r = 0;

	if (s->opt->image != NULL) {
		snprintf(sw->image, sizeof(sw->image), "%s", s->opt->image);
		return 0;
	}
	if (nc_image_tag(nc_responder_source_digest, tag, sizeof(tag)) < 0)
		return nc_error_set(err, -ENOSPC, "internal error: image tag");
	r = nc_image_build_archive(nc_responder_bin, nc_responder_bin_len, tag, &tar, &tar_len, sw->image,
				   sizeof(sw->image));
	if (r < 0)
		return nc_error_set(err, r, "building the responder image failed: %s", nc_strerror(r));
	for (size_t i = 0; r >= 0 && i < sw->n_nodes; i++) {
		nc_node_t *node = &sw->nodes[i];
		nc_engine_t *e = engine_of(s, t, node);

		if (e == NULL || !node_usable(node))
			continue;
		r = nc_engine_image_exists(e, sw->image, err);
		if (r == 0) {
			nc_run_progress(s, "loading image %.19s into %s", sw->image, node->name);
			r = nc_engine_image_load(e, tar, tar_len, err);
		}
		node->image_loaded = r >= 0;
	}
	free(tar);
	return r < 0 ? r : 0;
}

static void run_labels(const run_state_t *s, nc_engine_kv_t *labels, size_t *n, char *pid, size_t pid_len,
		       char *scope, size_t scope_len)
{
	snprintf(pid, pid_len, "%d", (int)uv_os_getpid());
	nc_platform_owner_scope(scope, scope_len);
	labels[(*n)++] = (nc_engine_kv_t){ NC_RUN_LABEL, nc_result_container_const(s->result)->run_id };
	labels[(*n)++] = (nc_engine_kv_t){ NC_RUN_PID_LABEL, pid };
	labels[(*n)++] = (nc_engine_kv_t){ NC_RUN_SCOPE_LABEL, scope };
	if (s->opt->keep)
		labels[(*n)++] = (nc_engine_kv_t){ NC_RUN_KEEP_LABEL, "1" };
}

static int make_network(run_state_t *s, nc_error_t *err)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);
	nc_network_spec_t spec = { .driver = "overlay", .attachable = true };
	nc_network_info_t info;
	char pid[16], scope[128];
	int r;

	snprintf(sw->network_name, sizeof(sw->network_name), "netcheck-%s", nc_result_container(s->result)->run_id);
	spec.name = sw->network_name;
	run_labels(s, spec.labels, &spec.n_labels, pid, sizeof(pid), scope, sizeof(scope));
	nc_run_progress(s, "creating overlay network %s", sw->network_name);
	r = nc_engine_network_create(s->engine, &spec, sw->network_id, sizeof(sw->network_id), err);
	if (r < 0)
		return r;
	/* the manager's allocator may give the subnet a moment after the
	 * create returned (seen: an inspect with no IPAM config): ask again,
	 * bounded; the responder's allow-list needs it */
	for (unsigned delay = 10, waited = 0; sw->subnet[0] == '\0'; waited += delay, delay = delay < 200 ? delay * 2 : 200) {
		r = nc_engine_network_inspect(s->engine, sw->network_id, &info, err);
		if (r < 0)
			return r;
		snprintf(sw->subnet, sizeof(sw->subnet), "%s", info.subnet4);
		if (sw->subnet[0] != '\0' || waited > 3000 || nc_run_interrupted(s))
			break;
		nc_run_sleep_ms(delay);
	}
	return 0;
}

static int make_service(run_state_t *s, struct swarm *t, nc_error_t *err)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);
	nc_service_spec_t spec;
	char pid[16], scope[128], port[8], allow_net[96], allow_dns[NC_NAME_MAX + 16], why[NC_DETAIL_MAX];
	bool ipvs;

	memset(&spec, 0, sizeof(spec));
	snprintf(sw->service_name, sizeof(sw->service_name), "netcheck-%s", nc_result_container(s->result)->run_id);
	spec.name = sw->service_name;
	spec.image = sw->image;
	run_labels(s, spec.labels, &spec.n_labels, pid, sizeof(pid), scope, sizeof(scope));
	spec.networks[spec.n_networks++] = sw->network_id;
	spec.ports[spec.n_ports++] = (nc_service_port_spec_t){ .target_port = t->port, .proto = NC_ENGINE_TCP,
								.mode = NC_PUBLISH_HOST };
	/* The routing mesh and virtual IPs are IPVS.  Only this host's kernel
	 * can be asked, which is every node's when the engine is on a unix
	 * socket (nodes in namespaces of this host, or one machine). */
	ipvs = strncmp(nc_engine_url(s->engine), "unix://", 7) != 0 || nc_platform_ipvs(why, sizeof(why)) == 1;
	if (ipvs)
		spec.ports[spec.n_ports++] = (nc_service_port_spec_t){ .target_port = t->port, .proto = NC_ENGINE_TCP,
									.mode = NC_PUBLISH_INGRESS };
	else
		snprintf(sw->ingress_note, sizeof(sw->ingress_note),
			 "not sent: the routing mesh needs IPVS, and %.150s; the service publishes host-mode ports only", why);
	spec.dnsrr = !ipvs; /* a virtual IP without IPVS would not answer */
	if (s->opt->image == NULL) {
		snprintf(port, sizeof(port), "%u", t->port);
		snprintf(allow_net, sizeof(allow_net), "%s:%u", sw->subnet, t->port);
		snprintf(allow_dns, sizeof(allow_dns), "tasks.%.200s:%u", sw->service_name, t->port);
		spec.cmd[spec.n_cmd++] = "/responder";
		spec.cmd[spec.n_cmd++] = port;
		/* connect-out only to the overlay's tasks, by address and by name */
		if (sw->subnet[0] != '\0') {
			spec.cmd[spec.n_cmd++] = "--allow";
			spec.cmd[spec.n_cmd++] = allow_net;
		}
		spec.cmd[spec.n_cmd++] = "--allow";
		spec.cmd[spec.n_cmd++] = allow_dns;
	}
	nc_run_progress(s, "creating global service %s", sw->service_name);
	return nc_engine_service_create(s->engine, &spec, sw->service_id, sizeof(sw->service_id), err);
}

static bool task_settled(const nc_swarm_task_t *t)
{
	static const char *const ended[] = { "running", "complete", "shutdown", "failed", "rejected", "orphaned", "remove" };

	for (size_t i = 0; i < NC_ARRAY_SIZE(ended); i++)
		if (strcmp(t->state, ended[i]) == 0)
			return true;
	return false;
}

/* What the newest of node's tasks says; true once it is running or has
 * ended (a task that cannot start is not restarted: the service says
 * RestartPolicy none). */
static bool take_task(nc_swarm_t *sw, nc_node_t *node, const nc_swarm_task_t *tasks, size_t n)
{
	const nc_swarm_task_t *t = NULL;

	for (size_t i = 0; i < n; i++)
		if (strcmp(tasks[i].node_id, node->id) == 0 && (t == NULL || strcmp(tasks[i].state, "running") == 0))
			t = &tasks[i];
	if (t == NULL)
		return false;
	snprintf(node->task_id, sizeof(node->task_id), "%s", t->id);
	snprintf(node->task_state, sizeof(node->task_state), "%s", t->state);
	snprintf(node->task_error, sizeof(node->task_error), "%s", t->error);
	node->host_port = t->host_port;
	node->task_pid = t->pid;
	memset(&node->task_address, 0, sizeof(node->task_address));
	for (size_t k = 0; k < t->n_addresses; k++) {
		char addr[64];

		if (strcmp(t->address_networks[k], sw->network_id) != 0)
			continue;
		snprintf(addr, sizeof(addr), "%s", t->addresses[k]);
		addr[strcspn(addr, "/")] = '\0'; /* "10.0.1.3/24" */
		(void)nc_endpoint_parse(addr, 0, &node->task_address);
	}
	return task_settled(t) && (strcmp(t->state, "running") != 0 || node->host_port != 0);
}

/* One task per usable node, running or ended, within the start timeout. */
static int wait_tasks(run_state_t *s, nc_error_t *err)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);
	uint64_t deadline = nc_run_now_ms() + (s->opt->start_timeout_ms ? s->opt->start_timeout_ms : SWARM_WAIT_DEFAULT_MS);
	nc_swarm_task_t *tasks = calloc(SWARM_TASKS_MAX, sizeof(*tasks));
	bool done = false;
	int r = 0;

	if (tasks == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	nc_run_progress(s, "waiting for a task on each of %zu nodes", sw->n_nodes);
	for (unsigned delay = 50; !done; delay = delay < 400 ? delay * 2 : 500) {
		size_t n = 0;

		if (nc_run_interrupted(s)) {
			r = NC_ECANCELED;
			break;
		}
		r = nc_engine_tasks_list(s->engine, sw->service_id, tasks, SWARM_TASKS_MAX, &n, err);
		if (r < 0)
			break;
		done = true;
		for (size_t i = 0; i < sw->n_nodes; i++)
			if (node_usable(&sw->nodes[i]) && !take_task(sw, &sw->nodes[i], tasks, n))
				done = false;
		if (!done && nc_run_now_ms() > deadline)
			break; /* the nodes still waiting say so in their paths */
		if (!done)
			nc_run_sleep_ms(delay);
	}
	free(tasks);
	return r < 0 ? r : 0;
}

static void node_engines(run_state_t *s, struct swarm *t, nc_engine_t **engines)
{
	const nc_swarm_t *sw = nc_result_swarm(s->result);

	for (size_t i = 0; i < sw->n_nodes; i++)
		engines[i] = engine_of(s, t, &sw->nodes[i]);
}

/* The nodes' agents made while their tasks are scheduled (their points
 * come once the tasks run: swarm_start_agents). */
static void launch_agents(run_state_t *s, struct swarm *t)
{
	nc_engine_t *engines[NC_MAX_NODES];

	if (!s->opt->capture || s->opt->capture_via == NC_CAPTURE_VIA_HOST || s->opt->image != NULL)
		return;
	node_engines(s, t, engines);
	nc_swarm_launch_agents(s, engines);
}

static int swarm_prepare(run_state_t *s, void *target, nc_error_t *err)
{
	struct swarm *t = target;
	int r;

	t->port = nc_run_default_port(s->opt);
	r = read_swarm(s, err);
	if (r == 0)
		r = connect_nodes(s, t, err);
	if (r == 0)
		r = load_image(s, t, err);
	if (r == 0)
		r = make_network(s, err);
	if (r == 0)
		r = make_service(s, t, err);
	if (r == 0) {
		launch_agents(s, t);
		r = wait_tasks(s, err);
	}
	if (r == 0) /* the engine's own kind: no one bridge here is the target's */
		nc_run_decide_environment(s, NULL);
	return r;
}

/* Service first (its tasks leave the network), then the network, which the
 * manager refuses while a task is still on it: bounded retries. */
static void swarm_teardown(run_state_t *s, void *target)
{
	struct swarm *t = target;
	nc_swarm_t *sw = nc_result_swarm(s->result);
	uint64_t deadline = nc_run_now_ms() + SWARM_REMOVE_MS;
	bool service_gone = true, network_gone = true;

	/* the agents go through the node engines, which go below: first */
	nc_run_agent_free(s);
	if (sw->service_id[0] != '\0' || sw->network_id[0] != '\0') {
		if (s->opt->keep) {
			nc_result_container(s->result)->kept = true;
		} else {
			/* cleanup must run even after a signal cancelled the engine calls */
			nc_engine_set_cancel(s->engine, NULL);
			if (sw->service_id[0] != '\0')
				service_gone = nc_engine_service_remove(s->engine, sw->service_id, NULL) == 0;
			for (unsigned delay = 50; sw->network_id[0] != '\0'; delay = delay < 400 ? delay * 2 : 500) {
				network_gone = nc_engine_network_remove(s->engine, sw->network_id, NULL) == 0;
				if (network_gone || nc_run_now_ms() > deadline)
					break;
				nc_run_sleep_ms(delay);
			}
			sw->removed = service_gone && network_gone;
		}
	}
	for (size_t i = 0; i < t->n_node_engines; i++)
		nc_engine_free(t->node_engines[i]);
	t->n_node_engines = 0;
}

/* ---- --swarm: four paths per node --------------------------------------- */

static nc_path_t *add_node_path(run_state_t *s, struct swarm *t, nc_path_kind_t kind, const nc_node_t *node, const nc_endpoint_t *target)
{
	nc_path_t *p = NULL;

	if (nc_result_add_path_named(s->result, kind, node->name, target, &p) < 0)
		return NULL;
	p->container_port = t->port;
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
	nc_run_add_probe(s, p, r, probe);
}

static bool task_serves(const nc_node_t *n)
{
	return strcmp(n->task_state, "running") == 0 && n->host_port != 0;
}

/* The paths that start in a task go through netcheck's responder. */
static bool relay_possible(run_state_t *s, nc_path_t *p)
{
	if (nc_run_ours(s))
		return true;
	nc_classify_not_sent(p, NC_NOT_SENT_NO_RELAY, "not sent: paths from a task need netcheck's responder");
	return false;
}

static void swarm_plan_paths(run_state_t *s, void *state, uint64_t timeout)
{
	struct swarm *t = state;
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
		p = add_node_path(s, t, NC_PATH_PUBLISHED_NODE, node, &ep);
		if (p != NULL && !nc_classify_task_down(p, node, "node") && node_route_allowed(s, p, &p->target))
			nc_run_add_tcp(s, p, timeout);

		ep.port = sw->ingress_port;
		p = add_node_path(s, t, NC_PATH_PUBLISHED_INGRESS, node, &ep);
		if (p != NULL && sw->ingress_port == 0) {
			nc_classify_not_sent(p, NC_NOT_SENT_NO_INGRESS, "%s",
					     sw->ingress_note[0] ? sw->ingress_note : "not sent: no ingress port");
		} else if (p != NULL && !nc_classify_task_down(p, node, "node") && node_route_allowed(s, p, &p->target)) {
			nc_run_add_tcp(s, p, timeout);
		}

		ep = node->task_address;
		ep.port = t->port;
		p = add_node_path(s, t, NC_PATH_TASK_TO_TASK, node, &ep);
		if (p != NULL && !nc_classify_task_down(p, node, "node") && relay_possible(s, p)) {
			if (from == NULL) {
				nc_classify_not_sent(p, NC_NOT_SENT_NO_SOURCE, "not sent: no other node's task to start from");
			} else {
				nc_endpoint_format(&ep, true, target, sizeof(target));
				add_node_relay(s, p, from, target, timeout);
			}
		}

		memset(&ep, 0, sizeof(ep));
		ep.port = t->port; /* the address: what the name resolves to in the task */
		p = add_node_path(s, t, NC_PATH_TASK_TO_SERVICE_DNS, node, &ep);
		if (p != NULL && !nc_classify_task_down(p, node, "node") && relay_possible(s, p)) {
			snprintf(target, sizeof(target), "tasks.%.200s:%u", sw->service_name, t->port);
			add_node_relay(s, p, node, target, timeout);
		}
	}
}

/* The services and networks of --swarm runs killed with SIGKILL: the
 * survey itself needs nothing more than the engine's info. */
static int swarm_take_survey(run_state_t *s, void *target, const nc_engine_survey_t *sv, nc_error_t *err)
{
	int r, g;

	(void)target;
	(void)sv;
	(void)err;
	r = nc_run_gc_swarm(s->engine, false, NULL, NULL);
	g = nc_run_gc_engine(s->engine, false, NULL, NULL, NULL); /* and the capture agents */
	r = (r > 0 ? r : 0) + (g > 0 ? g : 0);
	if (r > 0)
		nc_result_container(s->result)->stale_removed = (unsigned)r;
	return 0;
}

/* This host's own points keep the published ports; the nodes' sides are
 * their agents' (swarm_start_agents). */
static int swarm_plan_capture(run_state_t *s, void *target, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	struct swarm *t = target;

	(void)err;
	nc_swarm_capture_filter(nc_result_swarm(s->result), t->port, plan->filter, sizeof(plan->filter));
	return 0;
}

static int swarm_start_agents(run_state_t *s, void *target)
{
	struct swarm *t = target;
	nc_engine_t *engines[NC_MAX_NODES];

	if (s->opt->image != NULL) {
		snprintf(nc_result_environment(s->result)->agent_note, NC_DETAIL_MAX,
			 "--image: netcheck's own image (the capture agent's) is not on the nodes; no node captured");
		return 0;
	}
	node_engines(s, t, engines);
	return nc_swarm_start_agents(s, engines, t->port);
}

/* What failed is said on each path from the nodes' and tasks' states. */
static bool swarm_gather_facts(run_state_t *s, void *target, bool path_failed, nc_diag_facts_t *ret)
{
	(void)s;
	(void)target;
	(void)path_failed;
	memset(ret, 0, sizeof(*ret));
	return false;
}

const nc_target_ops_t nc_target_swarm = {
	.what = "the swarm service",
	.host_points = true,
	.size = sizeof(struct swarm),
	.take_survey = swarm_take_survey,
	.prepare = swarm_prepare,
	.plan_capture = swarm_plan_capture,
	.start_agents = swarm_start_agents,
	.plan_paths = swarm_plan_paths,
	.gather_facts = swarm_gather_facts,
	.teardown = swarm_teardown,
};
