/* --swarm's capture: every node through its own capture agent.
 *
 * The paths between tasks cross the nodes' own interfaces, which this
 * host cannot capture (a node is another machine, or a namespace of its
 * own).  So on every node with a task and an engine netcheck was given,
 * the agent (run-agent.c: netcheck's image, already loaded through that
 * engine for the service, so no registry is asked) captures
 *   <uplink>@<node>      the interface holding the node's address: the
 *                        overlay's outer packets (VXLAN, UDP 4789)
 *   vxlan0@<node>        the overlay's VXLAN device in the overlay's own
 *                        namespace: the inner packets, decapsulated
 *   eth0@task.<node>     the task's interface on the overlay, entered
 *                        from its pid there: the inner packets in the task
 * kept to the run's flows (the tasks' overlay addresses, VXLAN's port and
 * the responder's).  A node without an engine, without a running task, or
 * whose engine refuses the agent is said in the run's notes, and the run
 * goes on with what the other nodes saw.
 * May call: run-agent.c, run-common.c, result.  Never prints. */
#include "target-swarm.h"

#include <stdio.h>
#include <string.h>

#include "netcheck/packet.h"

/* "tcp port A or tcp port B ...": this host's own points (loopback, the
 * default-route interface) keep only the run's connections to the nodes'
 * published ports, which do not cross them unless a node is this host. */
void nc_swarm_capture_filter(const nc_swarm_t *sw, uint16_t port, char *filter, size_t len)
{
	uint16_t seen[NC_MAX_NODES + 2];
	size_t n_seen = 0, o = 0;

	filter[0] = '\0';
	seen[n_seen++] = port;
	if (sw->ingress_port != 0)
		seen[n_seen++] = sw->ingress_port;
	for (size_t i = 0; i < sw->n_nodes; i++) {
		bool known = sw->nodes[i].host_port == 0;

		for (size_t k = 0; k < n_seen && !known; k++)
			known = seen[k] == sw->nodes[i].host_port;
		if (!known && n_seen < NC_ARRAY_SIZE(seen))
			seen[n_seen++] = sw->nodes[i].host_port;
	}
	for (size_t k = 0; k < n_seen && o < len; k++)
		o += (size_t)snprintf(filter + o, len - o, "%stcp port %u", k ? " or " : "", seen[k]);
}

/* The agent's arguments for node: its uplink, its task's interface, the
 * overlay, and the run's flows.  Buffers: the caller's, as args borrows. */
struct agent_args {
	const char *argv[12];
	size_t n;
	char uplink[64], task[80], match[NC_MAX_NODES * 48], ports[16];
};

static void node_args(const nc_swarm_t *sw, const nc_node_t *node, uint16_t port, struct agent_args *a)
{
	char addr[64];
	size_t o = 0;

	a->n = 0;
	if (nc_endpoint_format(&node->address, false, a->uplink, sizeof(a->uplink)) == 0) {
		a->argv[a->n++] = "--point-addr";
		a->argv[a->n++] = a->uplink;
	}
	if (node->task_pid > 0 && nc_endpoint_format(&node->task_address, false, addr, sizeof(addr)) == 0) {
		snprintf(a->task, sizeof(a->task), "%d:%s", node->task_pid, addr);
		a->argv[a->n++] = "--point-in-addr";
		a->argv[a->n++] = a->task;
	}
	a->argv[a->n++] = "--overlay";
	a->argv[a->n++] = sw->network_id;
	/* every task's overlay address: the inner packets, whichever node */
	a->match[0] = '\0';
	for (size_t i = 0; i < sw->n_nodes && o < sizeof(a->match); i++)
		if (sw->nodes[i].task_address.family != 0 &&
		    nc_endpoint_format(&sw->nodes[i].task_address, false, addr, sizeof(addr)) == 0)
			o += (size_t)snprintf(a->match + o, sizeof(a->match) - o, "%s%s", o ? "," : "", addr);
	if (a->match[0] != '\0' && o < sizeof(a->match)) {
		a->argv[a->n++] = "--match";
		a->argv[a->n++] = a->match;
	}
	snprintf(a->ports, sizeof(a->ports), "%u,%u", NC_VXLAN_PORT, port);
	a->argv[a->n++] = "--match-port";
	a->argv[a->n++] = a->ports;
}

void nc_swarm_launch_agents(run_state_t *s, nc_engine_t *const *engines)
{
	const nc_swarm_t *sw = nc_result_swarm(s->result);

	for (size_t i = 0; i < sw->n_nodes; i++)
		if (engines[i] != NULL && sw->nodes[i].image_loaded &&
		    nc_run_agent_launch(s, engines[i], sw->image, NULL, 0, sw->nodes[i].id, sw->nodes[i].name) < 0)
			return; /* out of memory: the rest later, if at all */
	nc_run_agent_begin(s);
}

int nc_swarm_start_agents(run_state_t *s, nc_engine_t *const *engines, uint16_t port)
{
	nc_swarm_t *sw = nc_result_swarm(s->result);
	nc_environment_t *env = nc_result_environment(s->result);
	size_t o = strlen(env->agent_note);

	for (size_t i = 0; i < sw->n_nodes; i++) {
		const nc_node_t *node = &sw->nodes[i];
		const char *why = NULL;
		struct agent_args a;
		int r;

		if (engines[i] == NULL)
			why = "no --engine of it was given";
		else if (!node->image_loaded)
			why = "netcheck's image is not on it";
		else if (strcmp(node->task_state, "running") != 0)
			why = "its task is not running";
		if (why != NULL) {
			/* in the notes, in node order */
			if (o + 1 < sizeof(env->agent_note))
				o += (size_t)snprintf(env->agent_note + o, sizeof(env->agent_note) - o,
						      "%snode %.60s not captured: %s", o ? "; " : "", node->name, why);
			continue;
		}
		node_args(sw, node, port, &a);
		r = nc_run_agent_launch(s, engines[i], sw->image, a.argv, a.n, node->id, node->name);
		if (r < 0)
			return r;
		o = strlen(env->agent_note);
	}
	nc_run_agent_wait(s); /* all at once: each node's start overlaps the others' */
	return 0;
}
