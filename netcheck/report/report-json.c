/* The JSON view of a result: one document per run, shaped as described by
 * docs/report.schema.json (NC_REPORT_SCHEMA_VERSION).  Reads the result
 * model only; builds jansson values and writes only to the FILE* it is
 * given.  May call: result, endpoint, jansson. */
#include "netcheck/report.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-json-internal.h"
#include "netcheck/testing.h"

/* what each capture point saw, with the kernel's drop count */
static json_t *capture_points_json(const nc_environment_t *env)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < env->n_capture_points && i < NC_ARRAY_SIZE(env->capture_points); i++) {
		const struct nc_capture_point_summary *cp = &env->capture_points[i];
		json_t *o = json_object();

		if (o == NULL || json_array_append_new(a, o) < 0) {
			json_decref(o);
			goto fail;
		}
		SET(o, "name", JSTR(cp->name));
		SET(o, "description", JSTR(cp->description));
		SET(o, "packets", jinteger_u64(cp->packets));
		SET(o, "received", jinteger_u64(cp->received));
		SET(o, "dropped", jinteger_u64(cp->dropped));
		SET(o, "not_stored", jinteger_u64(cp->not_stored));
		SET(o, "control_packets", jinteger_u64(cp->control_packets));
		SET(o, "where", jname(nc_point_where_name(cp->where)));
		if (cp->incomplete)
			SET(o, "incomplete", json_true());
		if (cp->node[0] != '\0')
			SET(o, "node", JSTR(cp->node));
		if (cp->container[0] != '\0')
			SET(o, "container", JSTR(cp->container));
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

/* The IPv6 readiness wait (schema 1.13): every address looked at, its
 * flags when first and last read, when it left DAD. */
static json_t *ipv6_ready_json(const nc_addr_readiness_t *w)
{
	json_t *o = json_object(), *a = json_array();

	if (o == NULL || a == NULL) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	SET(o, "addresses", a); /* o owns it from here: freed with o on any failure */
	SET(o, "waited", json_boolean(w->waited));
	SET(o, "timed_out", json_boolean(w->timed_out));
	SET(o, "dad_failed", json_boolean(w->dad_failed));
	SET(o, "waited_ms", jms(w->waited_ms));
	SET(o, "bound_ms", jms(w->bound_ms));
	SET(o, "polls", json_integer(w->polls));
	SET(o, "error", JSTR(w->error));
	for (size_t i = 0; i < w->n_addresses; i++) {
		const nc_addr_state_t *st = &w->addresses[i];
		json_t *e = json_object();

		if (e == NULL || json_array_append_new(a, e) < 0) {
			json_decref(e);
			goto fail;
		}
		SET(e, "address", jendpoint(&st->address, false));
		SET(e, "interface", JSTR(st->ifname));
		SET(e, "side", json_string(st->container ? "container" : "host"));
		SET(e, "first_flags", json_integer(st->first_flags));
		SET(e, "flags", json_integer(st->flags));
		SET(e, "ready_ms", st->ready_ms >= 0 ? jms(st->ready_ms) : json_null());
	}
	SET(o, "addresses_cut", json_boolean(w->addresses_cut));
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *environment_json(const nc_environment_t *env)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "kind", jname(nc_env_kind_name(env->kind)));
	SET(o, "engine_url", JSTR(env->engine_url));
	SET(o, "engine_name", JSTR(env->engine_name));
	SET(o, "engine_version", JSTR(env->engine_version));
	SET(o, "api_version", JSTR(env->api_version));
	SET(o, "os", JSTR(env->os));
	SET(o, "rootless", json_boolean(env->rootless));
	SET(o, "host_address", jendpoint(&env->host_address, false));
	SET(o, "host_interface", JSTR(env->host_interface));
	SET(o, "bridge", JSTR(env->bridge));
	SET(o, "bridge_attached", json_boolean(env->bridge_attached));
	SET(o, "capture_note", JSTR(env->capture_note));
	SET(o, "witness_note", JSTR(env->witness_note));
	SET(o, "privileges_dropped", json_boolean(env->privileges_dropped));
	SET(o, "capture_points", capture_points_json(env));
	if (env->ipv6_ready.checked)
		SET(o, "ipv6_readiness", ipv6_ready_json(&env->ipv6_ready));
	SET(o, "kernel", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "host", JSTR_OR_NULL(env->kernel.host),
				   "host_boot_id", JSTR_OR_NULL(env->kernel.host_boot_id), "container",
				   JSTR_OR_NULL(env->kernel.container), "container_boot_id",
				   JSTR_OR_NULL(env->kernel.container_boot_id), "same_boot",
				   env->kernel.same_boot == NC_SAME_BOOT_UNKNOWN ? json_null()
										  : json_boolean(env->kernel.same_boot == NC_SAME_BOOT_YES),
				   "meaning", JSTR(env->kernel.meaning)));
	if (env->agent_used || env->agent_note[0] != '\0') {
		json_t *agent = json_object();

		SET(o, "capture_agent", agent);
		SET(agent, "used", json_boolean(env->agent_used));
		SET(agent, "clock_offset_ns", env->agent_clock_known ? json_integer(env->agent_clock_offset_ns) : json_null());
		SET(agent, "clock_uncertainty_ns",
		    env->agent_clock_known ? jinteger_u64(env->agent_clock_uncertainty_ns) : json_null());
		SET(agent, "note", JSTR(env->agent_note));
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Every container --keep left behind: the run's and --peer's. */
static json_t *kept_json(const nc_container_t *c)
{
	json_t *arr = json_array(), *o = NULL;

	if (arr == NULL)
		return NULL;
	if (c->kept && c->id[0] != '\0') {
		o = json_pack("{s:s, s:s, s:s}", "id", c->id, "name", c->name, "role", "target");
		if (o == NULL || json_array_append_new(arr, o) < 0)
			goto fail;
	}
	if (c->peer_kept && c->peer_id[0] != '\0') {
		o = json_pack("{s:s, s:s, s:s}", "id", c->peer_id, "name", c->peer_name, "role", "peer");
		if (o == NULL || json_array_append_new(arr, o) < 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *container_json(const nc_container_t *c)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "id", JSTR(c->id));
	SET(o, "name", JSTR(c->name));
	SET(o, "image", JSTR(c->image));
	SET(o, "run_id", JSTR(c->run_id));
	SET(o, "ip", jendpoint(&c->ip, false));
	SET(o, "port", json_integer(c->ip.port));
	SET(o, "published_port", json_integer(c->published_port));
	SET(o, "published_v6", json_boolean(c->published_port6 != 0));
	SET(o, "published_port6", json_integer(c->published_port6));
	SET(o, "pid", json_integer(c->pid));
	SET(o, "bridge", JSTR(c->bridge));
	SET(o, "veth", JSTR(c->veth));
	SET(o, "removed", json_boolean(c->removed));
	SET(o, "kept", json_boolean(c->kept));
	SET(o, "kept_containers", kept_json(c));
	if (c->from_id[0] != '\0')
		SET(o, "from", json_pack("{s:s, s:s}", "id", c->from_id, "name", c->from_name));
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* --paths and --skip as given: globs */
static json_t *globs_json(const char (*globs)[NC_GLOB_MAX], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && a != NULL; i++)
		if (json_array_append_new(a, jstr(globs[i], NC_GLOB_MAX)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *selection_json(const nc_selection_t *s)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "paths", globs_json(s->paths, s->n_paths));
	SET(o, "skip", globs_json(s->skip, s->n_skip));
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A task's state and where it is, or null when the node got none. */
static json_t *task_json(const nc_node_t *n)
{
	json_t *o;

	if (n->task_id[0] == '\0')
		return json_null();
	o = json_object();
	if (o == NULL)
		return NULL;
	SET(o, "id", JSTR(n->task_id));
	SET(o, "state", JSTR(n->task_state));
	SET(o, "error", JSTR_OR_NULL(n->task_error));
	SET(o, "address", jendpoint(&n->task_address, false));
	SET(o, "published_port", n->host_port ? json_integer(n->host_port) : json_null());
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* "swarm": what the run made, and per node its paths: the same objects as
 * in "paths" (all_paths: borrowed, in result order), grouped by node. */
/* "project": a Compose project's services, each with its containers and
 * their paths: the same objects as in "paths" (all_paths: borrowed, in
 * result order, which is service order). */
static json_t *project_json(const nc_result_t *r, json_t *all_paths)
{
	json_t *o = json_object(), *services = json_array(), *service = NULL, *containers = NULL, *container = NULL;
	const nc_path_t *prev = NULL;

	if (o == NULL || services == NULL)
		goto fail;
	SET(o, "name", JSTR(nc_result_container_const(r)->project));
	for (size_t k = 0; k < nc_result_path_count(r) && k < json_array_size(all_paths); k++) {
		const nc_path_t *p = nc_result_path_const(r, k);

		if (prev == NULL || strcmp(prev->service, p->service) != 0) {
			service = json_object();
			APPEND(services, service); /* services owns it */
			SET(service, "name", JSTR(p->service));
			SET(service, "containers", json_array());
			containers = json_object_get(service, "containers"); /* borrowed */
			prev = NULL;
		}
		if (prev == NULL || strcmp(prev->container, p->container) != 0) {
			container = json_object();
			APPEND(containers, container);
			SET(container, "name", JSTR(p->container));
			SET(container, "paths", json_array());
		}
		APPEND(json_object_get(container, "paths"), json_incref(json_array_get(all_paths, k)));
		prev = p;
	}
	SET_TAKE(o, "services", services);
	SET(o, "left_out", json_integer(nc_result_container_const(r)->project_left_out));
	return o;
fail:
	json_decref(services);
	json_decref(o);
	return NULL;
}

static json_t *swarm_json(const nc_result_t *r, json_t *all_paths)
{
	const nc_swarm_t *sw = nc_result_swarm_const(r);
	json_t *o = json_object(), *nodes = NULL;

	if (o == NULL)
		return NULL;
	SET(o, "manager_node_id", JSTR(sw->node_id));
	SET(o, "service", json_pack("{s:o, s:o, s:o}", "id", JSTR(sw->service_id), "name", JSTR(sw->service_name),
				    "image", JSTR(sw->image)));
	SET(o, "network", json_pack("{s:o, s:o, s:o}", "id", JSTR(sw->network_id), "name", JSTR(sw->network_name),
				    "subnet", JSTR_OR_NULL(sw->subnet)));
	SET(o, "ingress_port", sw->ingress_port ? json_integer(sw->ingress_port) : json_null());
	SET(o, "ingress_note", JSTR_OR_NULL(sw->ingress_note));
	SET(o, "removed", json_boolean(sw->removed));
	nodes = json_array();
	if (nodes == NULL)
		goto fail;
	for (size_t i = 0; i < sw->n_nodes; i++) {
		const nc_node_t *n = &sw->nodes[i];
		json_t *node = json_object(), *paths;

		APPEND(nodes, node); /* nodes owns it (or freed it on failure) */
		SET(node, "paths", json_array());
		paths = json_object_get(node, "paths"); /* borrowed: node owns it */
		SET(node, "id", JSTR(n->id));
		SET(node, "hostname", JSTR(n->hostname));
		SET(node, "name", JSTR(n->name));
		SET(node, "address", jendpoint(&n->address, false));
		SET(node, "role", JSTR(n->role));
		SET(node, "state", JSTR(n->state));
		SET(node, "availability", JSTR(n->availability));
		SET(node, "engine", JSTR_OR_NULL(n->engine_url));
		SET(node, "image_loaded", json_boolean(n->image_loaded));
		SET(node, "task", task_json(n));
		for (size_t k = 0; k < nc_result_path_count(r) && k < json_array_size(all_paths); k++)
			if (strcmp(nc_result_path_const(r, k)->node, n->id) == 0)
				APPEND(paths, json_incref(json_array_get(all_paths, k)));
	}
	SET_TAKE(o, "nodes", nodes);
	return o;
fail:
	json_decref(nodes);
	json_decref(o);
	return NULL;
}

json_t *nc_report_json(const nc_result_t *r)
{
	size_t n = nc_result_path_count(r), as_expected = 0;
	json_t *o = json_object(), *paths = NULL, *summary;

	if (o == NULL)
		return NULL;
	SET(o, "schema_version", json_string(NC_REPORT_SCHEMA_VERSION));
	SET(o, "netcheck_version", json_string(NC_VERSION));
	SET(o, "environment", environment_json(nc_result_environment_const(r)));
	SET(o, "container", container_json(nc_result_container_const(r)));
	SET(o, "selection", selection_json(nc_result_selection_const(r)));

	paths = json_array();
	if (paths == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->expected)
			as_expected++;
		APPEND(paths, nc_report_json_path(p, true));
	}
	if (nc_result_swarm_const(r)->active)
		SET(o, "swarm", swarm_json(r, paths));
	if (nc_result_container_const(r)->project[0] != '\0')
		SET(o, "project", project_json(r, paths));
	SET_TAKE(o, "paths", paths);

	summary = json_object();
	if (summary == NULL)
		goto fail;
	SET(o, "summary", summary); /* borrowed below; o owns it */
	SET(summary, "paths", json_integer((json_int_t)n));
	SET(summary, "as_expected", json_integer((json_int_t)as_expected));
	SET(summary, "unexpected", json_integer((json_int_t)(n - as_expected)));
	SET(o, "exit_code", json_integer(nc_report_exit_code(r)));
	if (nc_result_error(r) != NULL) {
		/* the command failed: say why in the document itself, so a
		 * JSON consumer never has to read stderr */
		json_t *error = json_object();

		if (error == NULL)
			goto fail;
		SET(o, "error", error); /* borrowed below; o owns it */
		SET(error, "message", jstr(nc_result_error(r), NC_DETAIL_MAX));
		/* name: what a program matches on; code: the number behind it,
		 * kept for 1.x readers (it may differ between builds) */
		SET(error, "name", json_string(nc_error_name(nc_result_error_code(r))));
		SET(error, "code", json_integer(nc_result_error_code(r)));
	}
	return o;
fail:
	json_decref(paths);
	json_decref(o);
	return NULL;
}

int nc_report_json_write(const nc_result_t *r, FILE *out)
{
	json_t *doc = nc_report_json(r);
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	/* 12 significant digits: timings are rounded to the microsecond, and
	 * jansson's default (17) would print 0.21 as 0.20999999999999999. */
	rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(doc);
	if (rc < 0)
		return ferror(out) ? -EIO : -ENOMEM;
	if (fputc('\n', out) == EOF || fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
