/* The target of `netcheck probe CONTAINER` (and `netcheck capture`): a
 * running container the user names, inspected only: never stopped,
 * changed or removed.
 *
 * survey: nothing beyond the engine's info.  prepare: inspected, its
 * ports (--port, else every published TCP and UDP port), the route and
 * the forwarder (exited, restarting, --network none: no port needed; host
 * network: the ports given), and netcheck's remote-client namespace.
 * Paths, capture points and facts: a container's (target-container.c)
 * and a remote client's to each published port (target-remote.c).
 * teardown: the namespace removed; the container is the user's, untouched.
 * May call: engine, platform, result, and target-container*.c /
 * run-common.c below it.  Never prints. */
#include "target-container.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"

int nc_ct_inspect_named(run_state_t *s, nc_container_target_t *ct, const char *name, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	int r;

	r = nc_run_not_found(s, nc_engine_container_inspect(s->engine, name, ct->port, &ct->info, err), "container",
			     name, err);
	if (r < 0)
		return r;
	snprintf(ct->container_id, sizeof(ct->container_id), "%s", ct->info.id);
	c->user_container = true;
	/* exited: its state is the answer (container-exited, with its exit
	 * code and last log lines), its paths listed, not sent.  The user's
	 * own docker stop is no failure of the engine: no error either way. */
	if (!ct->info.running && !ct->info.restarting) {
		r = nc_ct_adopt_inspected(s, ct, err);
		if (r == 0)
			(void)nc_ct_note_exit(s, ct, NULL);
		return r;
	}
	/* restarting, or no network at all: its state is the answer, no port is needed */
	if (ct->info.restarting || nc_ct_network_mode(ct, "none"))
		return nc_ct_adopt_inspected(s, ct, err);
	/* the ports: those given, else every published TCP and UDP port */
	if (s->opt->n_ports > 0) {
		for (size_t i = 0; i < s->opt->n_ports && i < NC_RUN_MAX_PORTS; i++)
			ct->ports[ct->n_ports++] = s->opt->ports[i];
	} else {
		ct->n_ports = nc_ct_published_ports(ct, NC_ENGINE_TCP, ct->ports, NC_ARRAY_SIZE(ct->ports));
		ct->n_udp_ports = nc_ct_published_ports(ct, NC_ENGINE_UDP, ct->udp_ports, NC_ARRAY_SIZE(ct->udp_ports));
		/* netcheck capture, or a project's service that publishes
		 * nothing: its addresses are enough */
		if (ct->n_ports + ct->n_udp_ports == 0 && (s->bulk_capture || ct->service[0] != '\0'))
			return nc_ct_adopt_inspected(s, ct, err);
		if (ct->n_ports + ct->n_udp_ports == 0)
			return nc_error_set(err, -EINVAL, nc_ct_network_mode(ct, "host")
						 ? "container '%.128s' shares the host's network and publishes nothing: name "
						   "the port to probe with --port"
						 : "container '%.128s' publishes no port: name the port to probe with --port "
						   "(or publish one: docker run -p HOST:CONTAINER)",
					    name);
	}
	ct->port = ct->n_ports > 0 ? ct->ports[0] : ct->udp_ports[0]; /* UDP only: its first */
	/* inspect again for the first port's address and binding */
	r = nc_engine_container_inspect(s->engine, ct->container_id, ct->port, &ct->info, err);
	if (r < 0)
		return r;
	r = nc_ct_adopt_inspected(s, ct, err);
	if (r < 0)
		return r;
	nc_ct_find_forwarder(s, ct);
	return 0;
}

/* The named target's own state: the container first (nc_ct_forwarder_for
 * reads it as one). */
struct named {
	nc_container_target_t ct;
	nc_remote_client_t remote;    /* netcheck's remote-client namespace, for the remote paths */
};

static int named_prepare(run_state_t *s, void *target, nc_error_t *err)
{
	struct named *t = target;
	int r;

	t->ct.port = nc_run_default_port(s->opt);
	/* the namespace needs nothing of the container: made while the engine inspects it */
	t->remote.with_udp = true;
	if (!s->bulk_capture)
		nc_remote_begin(s, &t->remote);
	r = nc_ct_inspect_named(s, &t->ct, s->opt->target, err);
	nc_remote_join(&t->remote);
	/* nothing to make for a container that publishes nothing, is not
	 * running or shares the host's network (probed on the host's addresses) */
	if (r < 0 || !nc_remote_wanted(&t->ct))
		nc_remote_free(&t->remote);
	if (r < 0)
		return r;
	nc_ct_decide(s, &t->ct);
	if (t->ct.info.running)
		nc_run_agent_early(s, NULL); /* while this host's points open */
	return 0;
}

static int named_plan_capture(run_state_t *s, void *target, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	struct named *t = target;
	int r;

	r = nc_ct_plan_capture(s, &t->ct, plan, err);
	if (r == 0 && plan->none == NULL)
		nc_remote_plan_capture(&t->remote, plan);
	return r;
}

static void named_plan_paths(run_state_t *s, void *target, uint64_t timeout)
{
	struct named *t = target;

	nc_remote_read_firewall(s, &t->remote, &t->ct);
	nc_ct_plan_paths(s, &t->ct, timeout);
	nc_remote_plan_paths(s, &t->remote, &t->ct, timeout);
}

static bool named_gather_facts(run_state_t *s, void *target, bool path_failed, nc_diag_facts_t *ret)
{
	struct named *t = target;

	return nc_ct_gather_facts(s, &t->ct, path_failed, t->remote.firewall_read ? &t->remote.firewall : NULL, ret);
}

static void named_teardown(run_state_t *s, void *target)
{
	struct named *t = target;

	(void)s; /* the user's container is theirs: nothing to undo */
	nc_remote_free(&t->remote);
}

const nc_target_ops_t nc_target_named = {
	.what = "your container",
	.host_points = true,
	.size = sizeof(struct named),
	.prepare = named_prepare,
	.plan_capture = named_plan_capture,
	.plan_paths = named_plan_paths,
	.gather_facts = named_gather_facts,
	.forwarder_for = nc_ct_forwarder_for,
	.teardown = named_teardown,
};
