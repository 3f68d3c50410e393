/* The capture agent: the engine side's points, captured by netcheck's own
 * responder binary (`/responder --agent`, netcheck/responder/agent.c) in a
 * short-lived container with the engine host's network and pids, where
 * this host cannot capture them itself (an engine in a VM or a namespace
 * of its own).  This half makes its container, tells it its points and
 * removes it; its records come over the container's attach stream and
 * become fed capture points (run-agent-stream.c): from there on its
 * packets are attributed and written like local ones.
 * Clock: CLOCK_REQ samples over the same stream; the agent's packet times
 * are corrected by the offset of the shortest round trip.
 * Speed: the agent's container is made on a thread of its own, through a
 * connection of its own, as soon as the run's container has started
 * (nc_run_agent_early: while netcheck waits for it to listen, and opens
 * this host's points); its points come later, in a TARGET record, once
 * the container's pid and addresses are known (nc_run_agent_start).
 * Started beside the container's own start instead, it slowed that start
 * by as much as it saved (two starts at once on the engine).
 * Faults: an engine that refuses the agent, or an agent that dies, leaves
 * the run with this host's capture and a note saying why.
 * May call: engine, capture, model. */
#include "run-agent-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/testing.h"

bool nc_run_agent_wanted(const run_state_t *s)
{
	const nc_environment_t *env = nc_result_environment_const(s->result);
	const nc_container_t *c = nc_result_container_const(s->result);

	switch (s->opt->capture_via) {
	case NC_CAPTURE_VIA_HOST:
		return false;
	case NC_CAPTURE_VIA_ENGINE:
		return true;
	default:
		/* this host cannot see the engine's bridge: an engine in a VM
		 * or a namespace of its own, rootless, remote; or may not enter
		 * the container's namespace (a user with the package's
		 * capabilities but not CAP_SYS_PTRACE): the engine may */
		return !env->bridge_attached || (c->pid > 0 && !nc_platform_netns_reachable(c->pid));
	}
}

/* A rootless engine's "host" pid namespace is this host's (rootlesskit
 * makes none), which its user namespace may not mount a /proc for: runc
 * fails with EPERM.  The target's own pid namespace is the engine's to
 * give, and is all the agent needs to enter the target's network. */
static bool in_target_pids(const run_state_t *s)
{
	return nc_result_environment_const(s->result)->rootless && nc_result_container_const(s->result)->id[0] != '\0';
}

/* Rootless Podman's "host" network is the user's own namespace, where
 * its user namespace may not capture (no CAP_NET_RAW there) and from
 * which the container's namespace, once entered, cannot be left; its
 * bridge is in a namespace of Podman's that no container joins.  The
 * agent shares the target's network instead: eth0 and lo inside it. */
static bool in_target_network(const run_state_t *s)
{
	/* the engine's kind: the environment's is decided once the container
	 * runs, after the agent is asked for */
	return in_target_pids(s) && nc_run_engine_kind(&s->version, &s->engine_info) == NC_ENV_ROOTLESS_PODMAN;
}

static void share_target_namespaces(run_state_t *s, struct nc_run_agent *a)
{
	snprintf(a->shared_mode, sizeof(a->shared_mode), "container:%s", nc_result_container_const(s->result)->id);
	a->spec.pid_mode = a->shared_mode;
	if (!in_target_network(s))
		return;
	a->spec.network_mode = a->shared_mode;
	nc_run_agent_note(s, "rootless Podman: the agent shares the container's network (Podman's host network is this "
		      "host's, where it may not capture; its bridge's namespace no container joins)");
}

/* One word of its TARGET; -ENOSPC when they no longer fit. */
static int add_word(struct nc_run_agent *a, const char *w)
{
	size_t n = strlen(w) + 1;

	if (a->target_len + n > sizeof(a->target))
		return -ENOSPC;
	memcpy(a->target + a->target_len, w, n);
	a->target_len += n;
	return 0;
}

/* The agent's TARGET: the container's points, found on the engine's side
 * from its pid there (rootless: pid 1 of the target's own pid namespace,
 * which the agent shares), and the run's flows to keep. */
static int agent_target(run_state_t *s, struct nc_run_agent *a)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	const nc_environment_t *env = nc_result_environment_const(s->result);
	char pid[16], addr[64], match[130], ports[16];
	size_t o = 0;
	int r = 0;

	snprintf(pid, sizeof(pid), "%d", in_target_pids(s) ? 1 : c->engine_pid);
	match[0] = '\0';
	if (c->ip.family != 0 && nc_endpoint_format(&c->ip, false, addr, sizeof(addr)) == 0)
		o += (size_t)snprintf(match + o, sizeof(match) - o, "%s", addr);
	if (env->host_address.family != 0 && nc_endpoint_format(&env->host_address, false, addr, sizeof(addr)) == 0 &&
	    o < sizeof(match))
		snprintf(match + o, sizeof(match) - o, "%s%s", o ? "," : "", addr);
	snprintf(ports, sizeof(ports), "%u", c->ip.port ? c->ip.port : 80);
	if (c->published_port != 0)
		snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), ",%u", c->published_port);
	if (c->engine_pid > 0 || in_target_pids(s)) {
		if ((r = add_word(a, "--container")) == 0)
			r = add_word(a, pid);
	}
	if (r == 0 && match[0] != '\0' && (r = add_word(a, "--match")) == 0)
		r = add_word(a, match);
	if (r == 0 && (r = add_word(a, "--match-port")) == 0)
		r = add_word(a, ports);
	return r;
}

/* args (borrowed) copied as its TARGET's words; all or none. */
static void take_words(run_state_t *s, struct nc_run_agent *a, const char *const *args, size_t n_args)
{
	for (size_t i = 0; i < n_args; i++) {
		if (add_word(a, args[i]) < 0) {
			nc_run_agent_note(s, "the capture agent's arguments on %s are too long",
					  a->node_name[0] ? a->node_name : "the engine");
			a->target_len = 0;
			return;
		}
	}
}

int nc_run_agent_launch(run_state_t *s, nc_engine_t *e, const char *image, const char *const *args, size_t n_args,
			const char *node_id, const char *node_name)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	struct nc_run_agent *a;
	nc_container_spec_t *spec;
	nc_error_t err = { "" };

	/* launched early (nc_run_agent_early, a swarm node's while its task
	 * is scheduled): its points now */
	for (size_t i = 0; i < s->n_agents; i++) {
		a = s->agents[i];
		if (strcmp(a->node_id, node_id != NULL ? node_id : "") != 0 || a->target_len > 0)
			continue;
		take_words(s, a, args, n_args);
		return 0;
	}
	if (s->n_agents >= NC_ARRAY_SIZE(s->agents))
		return 0;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	/* its own handle: it is made on a thread while the run's goes on */
	if (nc_engine_clone(e, &a->engine, &err) < 0) {
		nc_run_agent_note(s, "no connection for the capture agent on %s: %.300s", node_name ? node_name : "the engine",
			   err.text);
		free(a);
		return 0;
	}
	a->s = s;
	a->fd = -1;
	a->dead = true; /* until its stream is polled: nothing to wait for */
	a->started_ns = nc_run_agent_now_ns();
	for (size_t i = 0; i < AGENT_POINTS; i++)
		a->point_of[i] = -1;
	snprintf(a->node_id, sizeof(a->node_id), "%s", node_id != NULL ? node_id : "");
	snprintf(a->node_name, sizeof(a->node_name), "%s", node_name != NULL ? node_name : "");
	s->agents[s->n_agents++] = a;

	/* one per engine: a swarm node's engine holds only this run's one */
	if (node_id != NULL)
		snprintf(a->name, sizeof(a->name), "netcheck-%.100s-agent", c->run_id);
	else
		snprintf(a->name, sizeof(a->name), "%.200s-agent", c->name[0] ? c->name : "netcheck");
	snprintf(a->image, sizeof(a->image), "%s", image);
	spec = &a->spec;
	spec->name = a->name;
	spec->image = a->image;
	nc_run_label_spec(s, spec, &a->owner);
	spec->user = "0"; /* the image runs as nobody: capabilities are root's */
	spec->network_mode = "host";
	spec->pid_mode = "host";
	spec->cap_add[spec->n_cap_add++] = "NET_RAW";
	spec->cap_add[spec->n_cap_add++] = "NET_ADMIN";
	spec->cap_add[spec->n_cap_add++] = "SYS_ADMIN";
	spec->cap_add[spec->n_cap_add++] = "SYS_PTRACE";
	spec->open_stdin = true;
	spec->cmd[spec->n_cmd++] = "/responder";
	spec->cmd[spec->n_cmd++] = "--agent";
	spec->cmd[spec->n_cmd++] = "--snaplen";
	spec->cmd[spec->n_cmd++] = AGENT_SNAPLEN;
	/* its points come in TARGET, once its stream is polled: copied */
	take_words(s, a, args, n_args);
	a->requested = n_args == 0 || a->target_len > 0;
	return 0;
}

/* On its own thread (each agent's engine handle is its own): created,
 * attached, started.  Several nodes' agents start side by side, in the
 * time of the slowest instead of the sum; the run's own beside its
 * container. */
static void make_container(void *arg)
{
	struct nc_run_agent *a = arg;

	a->make_step = "refused the capture agent";
	/* not cut short by a signal: the engine may have made the container
	 * before its answer (the id) was read, and teardown removes only what
	 * it knows (seen: SIGINT during create left the agent on a node).  A
	 * create is one short call; attach and start stay cancellable. */
	nc_engine_set_cancel(a->engine, NULL);
	a->make_r = nc_engine_container_create(a->engine, &a->spec, a->id, sizeof(a->id), &a->make_err);
	nc_engine_set_cancel(a->engine, a->s->opt->interrupted);
	if (a->make_r < 0) {
		a->id[0] = '\0';
	} else {
		a->make_step = "did not start the capture agent";
		a->make_r = nc_engine_container_attach(a->engine, a->id, &a->fd, &a->make_err);
		if (a->make_r == 0)
			a->make_r = nc_engine_container_start(a->engine, a->id, &a->make_err);
	}
}

/* Waits for every agent's thread: made beside the container, or removed
 * beside it. */
static void join_threads(run_state_t *s)
{
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		if (a->on_thread)
			(void)uv_thread_join(&a->thread);
		a->on_thread = false;
	}
}

/* Runs fn(agent) for each agent that wants it and has no thread running,
 * each on a thread of its own (joined by join_threads): several nodes'
 * engines work side by side, in the time of the slowest. */
static void start_threads(run_state_t *s, bool (*wants)(const struct nc_run_agent *), void (*fn)(void *))
{
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		if (a->on_thread || !wants(a))
			continue;
		a->on_thread = uv_thread_create(&a->thread, fn, a) == 0;
		if (!a->on_thread)
			fn(a); /* no thread: this one waits alone */
	}
}

static bool to_make(const struct nc_run_agent *a)
{
	return a->requested && a->id[0] == '\0' && a->make_step == NULL;
}

void nc_run_agent_begin(run_state_t *s)
{
	for (size_t i = 0; i < s->n_agents && nc_run_interrupted(s); i++)
		if (to_make(s->agents[i]))
			s->agents[i]->requested = false; /* interrupted already: none made */
	start_threads(s, to_make, make_container);
}

/* --image, or a user's container: the responder image was not needed for
 * the target, and is for its agent.  Loaded here, on the loop's thread
 * (a swarm node's agent has it from the run's own load). */
static void load_image_and_make(run_state_t *s, struct nc_run_agent *a)
{
	if (a->make_r != NC_ENOIMAGE || a->node_id[0] != '\0')
		return;
	if (nc_run_ensure_responder_image(s, 0, &a->make_err) < 0) {
		a->make_step = "could not load the capture agent's image";
		return;
	}
	make_container(a);
}

void nc_run_agent_wait(run_state_t *s)
{
	nc_run_agent_begin(s);
	join_threads(s);
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		if (a->requested) {
			a->requested = false;
			load_image_and_make(s, a);
			if (a->make_r < 0) {
				nc_run_agent_note(s, "the engine%s%.60s %s: %.300s", a->node_name[0] ? " of " : "", a->node_name,
					   a->make_step, a->make_err.text);
				continue;
			}
			nc_run_agent_listen(s, a);
		}
		nc_run_agent_send_target(a);
	}
	(void)nc_run_loop_until(s, nc_run_agent_all_ready, s, AGENT_READY_MS, true);
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];
		const char *who = a->node_name[0] ? a->node_name : "the engine's side";

		if (a->poll_open && !a->hello)
			nc_run_agent_note(s, "the capture agent on %s said nothing within %d ms", who, AGENT_READY_MS);
		nc_run_progress(s, "capture agent on %s: %u of %u points in %.0f ms (%.0f ms after its target)", who,
				a->answered_points, a->expected_points, (double)(nc_run_agent_now_ns() - a->started_ns) / 1e6,
				a->target_sent ? (double)(nc_run_agent_now_ns() - a->target_ns) / 1e6 : 0.0);
	}
	if (nc_result_environment(s->result)->agent_note[0] != '\0')
		nc_run_progress(s, "capture agent: %s", nc_result_environment(s->result)->agent_note);
}

/* Before the container exists: will this host not see the engine's
 * bridge?  An engine not of this host's plain kind (rootless, Podman,
 * Desktop), or a network this host routes elsewhere than on a link of
 * its own (an engine in a VM or a namespace of its own).  The route to
 * the running container decides for good (nc_run_agent_wanted); a wrong
 * guess costs an idle agent, removed with the run. */
static bool engine_side_unseen(run_state_t *s, const char *gateway4)
{
	nc_env_kind_t kind = nc_run_engine_kind(&s->version, &s->engine_info);
	nc_endpoint_t first;
	nc_route_t rt;
	bool attached;

	if (!nc_classify_engine_is_local(kind))
		return true;
	if (gateway4 == NULL || nc_endpoint_parse(gateway4, 0, &first) < 0 || first.family != AF_INET)
		return false;
	/* the network's first container address, as the container's own would route */
	first.addr.v4.s_addr = htonl(ntohl(first.addr.v4.s_addr) + 1);
	if (nc_platform_route_get(&first, &rt) < 0)
		return false;
	(void)nc_classify_environment(kind, rt.kind, rt.via_default, &attached);
	return !attached;
}

/* The run's own agent, through the run's engine: launched (not begun),
 * in the target's namespaces on a rootless engine.  NULL when none could
 * be (noted), or out of memory (*ret_r). */
static struct nc_run_agent *launch_own(run_state_t *s, int *ret_r)
{
	char image[NC_NAME_MAX];

	*ret_r = 0;
	if (nc_run_responder_image_ref(image, sizeof(image)) < 0)
		return NULL;
	*ret_r = nc_run_agent_launch(s, s->engine, image, NULL, 0, NULL, NULL);
	if (*ret_r < 0 || s->n_agents == 0)
		return NULL;
	if (in_target_pids(s))
		share_target_namespaces(s, s->agents[0]);
	return s->agents[0];
}

void nc_run_agent_early(run_state_t *s, const char *gateway4)
{
	struct nc_run_agent *a;
	int r;

	if (!s->opt->capture || s->opt->capture_via == NC_CAPTURE_VIA_HOST || s->n_agents > 0 || s->opt->image != NULL)
		return;
	if (gateway4 == NULL ? !nc_run_agent_wanted(s)
			     : s->opt->capture_via != NC_CAPTURE_VIA_ENGINE && !engine_side_unseen(s, gateway4))
		return;
	a = launch_own(s, &r);
	if (a == NULL || !a->requested)
		return;
	nc_run_progress(s, "starting the capture agent beside the container");
	nc_run_agent_begin(s);
}

int nc_run_agent_start(run_state_t *s)
{
	int r = 0;

	if (s->capture == NULL || (s->n_agents > 0 && s->agents[0]->target_len > 0))
		return 0;
	if (s->n_agents == 0 && launch_own(s, &r) == NULL) /* not launched early: now */
		return r;
	if (agent_target(s, s->agents[0]) < 0) {
		nc_run_agent_note(s, "the capture agent's arguments are too long");
		s->agents[0]->target_len = 0;
	}
	nc_run_agent_wait(s);
	return 0;
}

static bool to_remove(const struct nc_run_agent *a)
{
	return a->id[0] != '\0' && a->engine != NULL;
}

/* On its own thread: the container removed (also after a signal: the
 * cancel flag is set aside for it). */
static void remove_container(void *arg)
{
	struct nc_run_agent *a = arg;

	nc_engine_set_cancel(a->engine, NULL);
	/* an agent ending by itself meanwhile (STOP, its stream gone) makes
	 * rootless Podman refuse once, and then the target too, whose
	 * namespaces it shares: the policy tries such a refusal again */
	(void)nc_run_remove_container(a->engine, a->id, false);
	nc_engine_set_cancel(a->engine, a->s->opt->interrupted);
	a->id[0] = '\0';
}

void nc_run_agent_remove_begin(run_state_t *s)
{
	join_threads(s); /* made beside the container, maybe still */
	/* Podman will not remove a container whose namespaces another one
	 * shares: the agent first (dockerd removes both side by side; the
	 * agent's pid namespace dies with the target's init) */
	if (s->n_agents > 0 && s->agents[0]->shared_mode[0] != '\0' &&
	    nc_run_engine_kind(&s->version, &s->engine_info) == NC_ENV_ROOTLESS_PODMAN) {
		nc_run_agent_remove(s);
		return;
	}
	start_threads(s, to_remove, remove_container);
}

void nc_run_agent_remove(run_state_t *s)
{
	join_threads(s); /* made or being removed beside the container */
	start_threads(s, to_remove, remove_container);
	join_threads(s);
}

/* Removes every agent's container, side by side, and frees each once its
 * poll handle is closed.  Their engines are still connected: the target's
 * teardown frees them after this. */
void nc_run_agent_free(run_state_t *s)
{
	nc_run_agent_remove(s);
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		nc_engine_free(a->engine);
		a->engine = NULL;

		nc_run_agent_close(a);
	}
	s->n_agents = 0;
}
