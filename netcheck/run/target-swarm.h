/* Private to the swarm target (target-swarm.c, target-swarm-agents.c).
 * The stages never include this: they reach a target only through its ops. */
#ifndef NETCHECK_TARGET_SWARM_H
#define NETCHECK_TARGET_SWARM_H

#include "run-internal.h"

/* The scope filter of this host's own points (filter: len bytes): the
 * run's connections to the nodes' published ports; port: the responder's. */
void nc_swarm_capture_filter(const nc_swarm_t *sw, uint16_t port, char *filter, size_t len);
/* A capture agent on every node with an engine (engines[i]: node i's of
 * the result's swarm, borrowed; NULL: none given) and a running task, all
 * started at once, then waited for (run-agent.c).  Nodes left out are
 * said in the environment's agent_note.  0, or -ENOMEM. */
int nc_swarm_start_agents(run_state_t *s, nc_engine_t *const *engines, uint16_t port);
/* While the tasks are scheduled: the agents of the nodes with an engine
 * and netcheck's image made already, each on a thread, with no points
 * yet; nc_swarm_start_agents gives them theirs. */
void nc_swarm_launch_agents(run_state_t *s, nc_engine_t *const *engines);

#endif
