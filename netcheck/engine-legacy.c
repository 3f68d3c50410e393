/* legacy: removed once run.c uses the typed calls.
 * The json_t-based calls run.c still makes, on top of the typed ones, so
 * that the other modules compile while run.c is rewritten.  Delete this
 * file with the legacy block of include/netcheck/engine.h. */
#define NC_ENGINE_NO_LEGACY_NAMES
#include "engine-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

int nc_engine_legacy_image_import(nc_engine_t *e, const char *query, const void *tar, size_t tar_len,
				  nc_error_t *err)
{
	return nc_engine_image_import_query(e, query, tar, tar_len, err);
}

int nc_engine_legacy_container_create(nc_engine_t *e, const char *name, const json_t *spec, char *ret_id,
				      size_t id_len, nc_error_t *err)
{
	char path[512];
	int r = nc_engine_object_path(path, sizeof(path), "/containers/create?name=%s", name, err);

	if (r < 0)
		return r;
	return nc_engine_create_object(e, path, spec, "Id", ret_id, id_len, "a container", err);
}

int nc_engine_legacy_container_inspect(nc_engine_t *e, const char *id, uint16_t container_port,
				       nc_container_info_t *ret, nc_error_t *err)
{
	int r = nc_engine_container_inspect(e, id, container_port, ret, err);

	return r == NC_EGONE ? NC_ENOTFOUND : r; /* what run.c tests for */
}

int nc_engine_legacy_container_remove(nc_engine_t *e, const char *id, nc_error_t *err)
{
	return nc_engine_container_remove(e, id, true, true, err);
}

int nc_engine_containers_with_label(nc_engine_t *e, const char *label, json_t **ret_list, nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	*ret_list = NULL;
	r = nc_engine_get_filtered(e, "/containers/json?all=1&", "label", label, &j, err);
	if (r < 0)
		return r;
	if (!json_is_array(j)) {
		json_decref(j);
		return nc_error_set(err, NC_EPROTO, "engine's container list is not an array");
	}
	*ret_list = j;
	return 0;
}
