/* Typed Engine API calls on Swarm: the node's part in a swarm, the nodes,
 * global services and their tasks.  A service is never created in a way
 * that makes dockerd ask a registry for the image's digest: dockerd does
 * that only when the request carries API version < 1.30 in its path (moby
 * api/server/router/swarm/cluster_routes.go, createService: queryRegistry is
 * set for versions.LessThan(v, "1.30")) -- the docker CLI resolves digests
 * itself, client-side, which netcheck never does -- and it would use the
 * X-Registry-Auth header, which netcheck never sends.
 * May call: engine.c, engine-parse.c, engine-spec.c, jansson.  Never prints. */
#include "engine-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

#define SERVICE_MIN_API 130 /* below: dockerd resolves the image digest on create */

int nc_engine_swarm_inspect(nc_engine_t *e, nc_swarm_info_t *ret, nc_error_t *err)
{
	json_t *info = NULL, *swarm = NULL;
	int r = nc_engine_get_json(e, "/info", &info, err);

	if (r < 0)
		return r;
	r = nc_engine_parse_swarm(info, NULL, ret, err);
	/* GET /swarm answers managers only (503 elsewhere) */
	if (r == 0 && ret->manager) {
		r = nc_engine_get_json(e, "/swarm", &swarm, err);
		if (r == 0)
			r = nc_engine_parse_swarm(info, swarm, ret, err);
	}
	json_decref(info);
	json_decref(swarm);
	return r;
}

int nc_engine_nodes_list(nc_engine_t *e, nc_swarm_node_t *ret, size_t max, size_t *ret_n, nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	*ret_n = 0;
	r = nc_engine_get_json(e, "/nodes", &j, err);
	if (r == 0)
		r = nc_engine_parse_nodes(j, ret, max, ret_n, err);
	json_decref(j);
	return r;
}

int nc_engine_service_create(nc_engine_t *e, const nc_service_spec_t *spec, char *ret_id, size_t id_len,
			     nc_error_t *err)
{
	json_t *body = NULL;
	int r;

	if (nc_engine_api(e) < SERVICE_MIN_API)
		return nc_error_set(err, -ENOTSUP,
				    "creating a service needs Engine API 1.30 or later (negotiated first), so that "
				    "the engine does not query a registry for the image");
	r = nc_engine_service_spec_json(spec, &body, err);
	if (r < 0)
		return r;
	/* nc_engine_call sends no X-Registry-Auth: none is ever set */
	r = nc_engine_create_object(e, "/services/create", body, "ID", ret_id, id_len, "a service", err);
	json_decref(body);
	return r;
}

int nc_engine_service_remove(nc_engine_t *e, const char *id, nc_error_t *err)
{
	char path[512];
	int r = nc_engine_object_path(path, sizeof(path), "/services/%s", id, err);

	if (r < 0)
		return r;
	r = nc_engine_call(e, "DELETE", path, NULL, NULL, 0, 0, NULL, err);
	return r == NC_EGONE ? 0 : r;
}

int nc_engine_tasks_list(nc_engine_t *e, const char *service_id, nc_swarm_task_t *ret, size_t max, size_t *ret_n,
			 nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	*ret_n = 0;
	r = nc_engine_get_filtered(e, "/tasks?", "service", service_id, &j, err);
	if (r == 0)
		r = nc_engine_parse_tasks(j, ret, max, ret_n, err);
	json_decref(j);
	return r;
}

static int list_labelled(nc_engine_t *e, const char *path_start, const char *label_filter, nc_container_summary_t *ret,
			 size_t max, size_t *ret_n, nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	*ret_n = 0;
	r = nc_engine_get_filtered(e, path_start, "label", label_filter, &j, err);
	if (r == 0)
		r = nc_engine_parse_labelled(j, ret, max, ret_n, err);
	json_decref(j);
	return r;
}

int nc_engine_services_list(nc_engine_t *e, const char *label_filter, nc_container_summary_t *ret, size_t max,
			    size_t *ret_n, nc_error_t *err)
{
	return list_labelled(e, "/services?", label_filter, ret, max, ret_n, err);
}

int nc_engine_networks_list(nc_engine_t *e, const char *label_filter, nc_container_summary_t *ret, size_t max,
			    size_t *ret_n, nc_error_t *err)
{
	return list_labelled(e, "/networks?", label_filter, ret, max, ret_n, err);
}
