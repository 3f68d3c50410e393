/* The target of `netcheck probe --project NAME`: every running container
 * of a Compose project (label com.docker.compose.project=NAME), each
 * inspected only, as target-named.c does one: never stopped, changed or
 * removed.
 *
 * survey: nothing beyond the engine's info.  prepare: the project's
 * containers through the engine's labelled list, the running ones in
 * service order, each inspected by nc_ct_inspect_named() (its ports,
 * route, forwarder) with its service qualifying its path names.  Paths,
 * capture points and facts: each container's (target-container.c), with
 * the result's container record set to that container's while its own
 * code runs (the shared code reads the record); one remote client
 * (target-remote.c, made while the engine lists and inspects them) for
 * every container's remote paths.  teardown: its namespace removed; the
 * containers are the user's, untouched.
 * May call: engine, result, and target-container.c / target-named.c /
 * target-remote.c / run-common.c below it.  Never prints. */
#include "target-container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

typedef struct project_target {
	nc_container_target_t cts[NC_PROJECT_MAX];
	nc_container_t records[NC_PROJECT_MAX]; /* the result's record as each container's adoption left it */
	size_t n;
	nc_remote_client_t remote;    /* netcheck's remote-client namespace, for every container's remote paths */
} project_target_t;

/* The result's container record becomes container i's (the shared code
 * reads the pid, id and ports from it). */
static void use_container(run_state_t *s, project_target_t *t, size_t i)
{
	nc_container_t *c = nc_result_container(s->result);
	char project[NC_NAME_MAX];
	unsigned left_out = c->project_left_out;

	snprintf(project, sizeof(project), "%s", c->project);
	*c = t->records[i];
	snprintf(c->project, sizeof(c->project), "%s", project);
	c->project_left_out = left_out;
}

static int by_service(const void *a, const void *b)
{
	const nc_container_summary_t *x = a, *y = b;
	int r = strcmp(x->service, y->service);

	return r != 0 ? r : strcmp(x->name, y->name);
}

static int project_prepare(run_state_t *s, void *target, nc_error_t *err)
{
	project_target_t *t = target;
	nc_container_t *c = nc_result_container(s->result);
	nc_container_summary_t list[64];
	char filter[NC_NAME_MAX + 32];
	size_t n_list = 0, n_running = 0;
	bool remote_wanted = false;
	int r;

	snprintf(filter, sizeof(filter), "com.docker.compose.project=%s", s->opt->project);
	/* the namespace needs nothing of the containers: made while the engine lists and inspects them */
	t->remote.with_udp = true;
	nc_remote_begin(s, &t->remote);
	r = nc_engine_containers_list(s->engine, filter, list, NC_ARRAY_SIZE(list), &n_list, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_list; i++)
		if (strcmp(list[i].state, "running") == 0)
			list[n_running++] = list[i];
	snprintf(c->project, sizeof(c->project), "%s", s->opt->project);
	/* no container is a name the user gave that names nothing: as a
	 * missing container, a usage error (64), not an unusable engine (69) */
	if (n_running == 0)
		return nc_error_set(err, NC_ENOTFOUND, "no running container of Compose project '%.128s' in the engine at %s",
				    s->opt->project, nc_engine_url(s->engine));
	qsort(list, n_running, sizeof(list[0]), by_service);
	for (size_t i = 0; i < n_running && t->n < NC_PROJECT_MAX; i++) {
		nc_container_target_t *ct = &t->cts[t->n];

		snprintf(ct->service, sizeof(ct->service), "%s", list[i].service[0] != '\0' ? list[i].service : list[i].name);
		snprintf(ct->name, sizeof(ct->name), "%s", list[i].name);
		ct->port = nc_run_default_port(s->opt);
		r = nc_ct_inspect_named(s, ct, list[i].id, err);
		if (r < 0)
			return r;
		t->records[t->n++] = *c;
	}
	/* the engine lists at most 64; past NC_PROJECT_MAX the report says how many were left out */
	c->project_left_out = (unsigned)(n_running - t->n);
	nc_remote_join(&t->remote);
	for (size_t i = 0; i < t->n && !remote_wanted; i++)
		remote_wanted = nc_remote_wanted(&t->cts[i]);
	if (!remote_wanted)
		nc_remote_free(&t->remote);
	use_container(s, t, 0);
	nc_ct_decide(s, &t->cts[0]);
	return 0;
}

/* Appends the points of one container's plan that the plan lacks, and
 * ors its scope into the plan's. */
static int merge_plan(nc_run_capture_plan_t *plan, const nc_run_capture_plan_t *one, nc_error_t *err)
{
	size_t used = strlen(plan->filter);

	if (one->none != NULL)
		return 0;
	if (used + strlen(one->filter) + 8 >= sizeof(plan->filter))
		return nc_error_set(err, -ENOSPC, "capture filter: the project's scope is longer than %zu bytes",
				    sizeof(plan->filter));
	snprintf(plan->filter + used, sizeof(plan->filter) - used, used > 0 ? " or (%s)" : "(%s)", one->filter);
	for (size_t i = 0; i < one->n_points; i++) {
		const nc_run_capture_point_t *pt = &one->points[i];
		bool have = false;

		for (size_t k = 0; k < plan->n_points && !have; k++)
			have = plan->points[k].kind == pt->kind && plan->points[k].netns_pid == pt->netns_pid &&
			       strcmp(plan->points[k].ifname, pt->ifname) == 0;
		if (!have && plan->n_points < NC_ARRAY_SIZE(plan->points))
			plan->points[plan->n_points++] = *pt;
	}
	if (plan->container6.family == 0)
		plan->container6 = one->container6;
	return 0;
}

/* Marks container i's own points (its veth, its eth0) as its: eth0 is
 * named by its service ("eth0@web"), or by the container's name where the
 * service has several containers, so no two points share a name; the
 * diagnoses of i's paths look at i's points only. */
static void own_points(const project_target_t *t, size_t i, nc_run_capture_plan_t *one)
{
	const nc_container_target_t *ct = &t->cts[i];
	bool shared = false;

	for (size_t k = 0; k < t->n && !shared; k++)
		shared = k != i && strcmp(t->cts[k].service, ct->service) == 0;
	for (size_t k = 0; k < one->n_points; k++) {
		nc_run_capture_point_t *pt = &one->points[k];

		if (pt->kind != NC_POINT_VETH && pt->kind != NC_POINT_CONTAINER)
			continue; /* the bridge is every container's */
		snprintf(pt->owner, sizeof(pt->owner), "%s", shared ? ct->name : ct->service);
		snprintf(pt->container, sizeof(pt->container), "%s", ct->name);
	}
}

static int project_plan_capture(run_state_t *s, void *target, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	project_target_t *t = target;
	nc_run_capture_plan_t *one = malloc(sizeof(*one));
	int r = 0;

	if (one == NULL)
		return nc_error_set(err, -ENOMEM, "capture plan: out of memory");
	plan->filter[0] = '\0';
	for (size_t i = 0; i < t->n && r == 0; i++) {
		memset(one, 0, sizeof(*one));
		use_container(s, t, i);
		r = nc_ct_plan_capture(s, &t->cts[i], one, err);
		own_points(t, i, one);
		t->records[i] = *nc_result_container(s->result); /* its veth */
		if (r == 0)
			r = merge_plan(plan, one, err);
	}
	free(one);
	use_container(s, t, 0);
	if (r == 0 && plan->filter[0] == '\0')
		plan->none = "no container of the project is running: nothing crosses their points";
	if (r == 0 && plan->none == NULL)
		nc_remote_plan_capture(&t->remote, plan);
	return r;
}

static void project_plan_paths(run_state_t *s, void *target, uint64_t timeout)
{
	project_target_t *t = target;

	for (size_t i = 0; i < t->n; i++) {
		use_container(s, t, i);
		nc_ct_plan_paths(s, &t->cts[i], timeout);
		nc_remote_plan_paths(s, &t->remote, &t->cts[i], timeout);
	}
	use_container(s, t, 0);
}

/* The facts of the failed path's container (the stage asks again for
 * each container with a failed path); before any failed, the first
 * container's. */
static bool project_gather_facts(run_state_t *s, void *target, bool path_failed, nc_diag_facts_t *ret)
{
	project_target_t *t = target;
	size_t which = 0;
	bool have;

	for (size_t k = 0; k < t->n && path_failed && s->failed_path != NULL; k++)
		if (strcmp(t->cts[k].name, s->failed_path->container) == 0)
			which = k;
	use_container(s, t, which);
	have = nc_ct_gather_facts(s, &t->cts[which], path_failed, NULL, ret);
	use_container(s, t, 0);
	return have;
}

static const nc_forwarder_t *project_forwarder_for(const void *target, const nc_path_t *p)
{
	const project_target_t *t = target;

	for (size_t k = 0; k < t->n; k++)
		if (strcmp(t->cts[k].name, p->container) == 0)
			return nc_ct_forwarder_for(&t->cts[k], p);
	return NULL;
}

static void project_teardown(run_state_t *s, void *target)
{
	project_target_t *t = target;

	(void)s; /* the user's containers are theirs: nothing to undo */
	nc_remote_free(&t->remote);
}

const nc_target_ops_t nc_target_project = {
	.what = "your project's containers",
	.host_points = true,
	.size = sizeof(project_target_t),
	.prepare = project_prepare,
	.plan_capture = project_plan_capture,
	.plan_paths = project_plan_paths,
	.gather_facts = project_gather_facts,
	.forwarder_for = project_forwarder_for,
	.teardown = project_teardown,
};
