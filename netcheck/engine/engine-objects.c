/* Typed Engine API calls on images, containers and networks: the paths,
 * queries and bodies of each call, and the parser for its answer.  Errors
 * are already classified by nc_engine_call(); these only add what a call
 * means by them (a container being removed counts as removed).
 * May call: engine.c, engine-parse.c, engine-spec.c, jansson.  Never prints. */
#include "engine-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

#define PATH_MAX_LEN 1024

int nc_engine_object_path(char *path, size_t len, const char *fmt, const char *name, nc_error_t *err)
{
	char esc[3 * NC_ENGINE_NAME_MAX];
	int n;

	if (name == NULL || *name == '\0')
		return nc_error_set(err, -EINVAL, "empty name or id");
	if (nc_engine_escape(name, esc, sizeof(esc)) < 0)
		return nc_error_set(err, -EINVAL, "name or id too long: %.80s", name);
	n = snprintf(path, len, fmt, esc);
	if (n < 0 || (size_t)n >= len)
		return nc_error_set(err, -EINVAL, "name or id too long: %.80s", name);
	return 0;
}

/* copies j's string member key into ret (len bytes); NC_EPROTO when absent or too long */
static int take_id(const json_t *j, const char *key, char *ret, size_t len, const char *what, nc_error_t *err)
{
	const char *id = json_string_value(json_object_get(j, key));

	if (id == NULL || *id == '\0' || strlen(id) >= len)
		return nc_error_set(err, NC_EPROTO, "engine created %s but sent no usable %s", what, key);
	memcpy(ret, id, strlen(id) + 1);
	return 0;
}

int nc_engine_create_object(nc_engine_t *e, const char *path, const json_t *body, const char *key, char *ret_id,
			 size_t id_len, const char *what, nc_error_t *err)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *j = NULL;
	int r;

	if (text == NULL)
		return -ENOMEM;
	r = nc_engine_call(e, "POST", path, "application/json", text, strlen(text), 0, &j, err);
	free(text);
	if (r == 0)
		r = take_id(j, key, ret_id, id_len, what, err);
	json_decref(j);
	return r;
}

int nc_engine_get_json(nc_engine_t *e, const char *path, json_t **ret, nc_error_t *err)
{
	int r = nc_engine_call(e, "GET", path, NULL, NULL, 0, 0, ret, err);

	if (r < 0)
		return r;
	if (*ret == NULL)
		return nc_error_set(err, NC_EPROTO, "engine answered GET %s with nothing", path);
	return 0;
}

/* path_start + "filters={"key":["value"]}" into path (len bytes) */
static int filtered_path(char *path, size_t len, const char *path_start, const char *key, const char *value,
			 nc_error_t *err)
{
	char esc[3 * 300];
	json_t *filters;
	char *text;
	int r, n;

	if (value == NULL || *value == '\0' || strlen(value) > 256)
		return nc_error_set(err, -EINVAL, "%s filter empty or too long", key);
	filters = json_pack("{s:[s]}", key, value);
	text = filters != NULL ? json_dumps(filters, JSON_COMPACT) : NULL;
	json_decref(filters);
	if (text == NULL)
		return -ENOMEM;
	r = nc_engine_escape(text, esc, sizeof(esc));
	free(text);
	n = snprintf(path, len, "%sfilters=%s", path_start, esc);
	if (r < 0 || n < 0 || (size_t)n >= len)
		return nc_error_set(err, -EINVAL, "%s filter too long", key);
	return 0;
}

int nc_engine_get_filtered(nc_engine_t *e, const char *path_start, const char *key, const char *value, json_t **ret,
			   nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	int r;

	*ret = NULL;
	r = filtered_path(path, sizeof(path), path_start, key, value, err);
	if (r < 0)
		return r;
	return nc_engine_get_json(e, path, ret, err);
}

/* ---- images ------------------------------------------------------------- */

int nc_engine_image_exists(nc_engine_t *e, const char *ref, nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	json_t *j = NULL;
	int r = nc_engine_object_path(path, sizeof(path), "/images/%s/json", ref, err);

	if (r < 0)
		return r;
	r = nc_engine_call(e, "GET", path, NULL, NULL, 0, 0, &j, err);
	json_decref(j);
	if (r == NC_ENOIMAGE)
		return 0;
	return r < 0 ? r : 1;
}

int nc_engine_import_query(const char *repo, const char *tag, const char *const *changes, size_t n_changes,
			   char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	/* the tag rides in repo ("name:tag"): Docker and Podman both honour
	 * that, while Podman ignores a separate tag= parameter */
	if ((size_t)snprintf(buf, len, "fromSrc=-&repo=") >= len)
		return -ENOSPC;
	used = strlen(buf);
	if (nc_percent_encode(buf, len, &used, repo) < 0)
		return -ENOSPC;
	if (tag != NULL && *tag != '\0') {
		if (used + 3 >= len)
			return -ENOSPC;
		memcpy(buf + used, "%3A", 4);
		used += 3;
		if (nc_percent_encode(buf, len, &used, tag) < 0)
			return -ENOSPC;
	}
	for (size_t i = 0; i < n_changes; i++) {
		if (used + 9 >= len)
			return -ENOSPC;
		memcpy(buf + used, "&changes=", 10);
		used += 9;
		if (nc_percent_encode(buf, len, &used, changes[i]) < 0)
			return -ENOSPC;
	}
	return (int)used;
}

/* The import answers 200 and then a stream of JSON progress objects; a
 * failure arrives in one of them as {"error": "..."} */
static int stream_error(const nc_engine_body_t *b, const char *path, nc_error_t *err)
{
	const char *at = b->data != NULL ? strstr(b->data, "\"error\"") : NULL;
	json_t *j;
	int r;

	if (at == NULL)
		return 0;
	at += 7;
	at += strspn(at, " \t:");
	j = json_loads(at, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, NULL);
	r = nc_error_set(err, NC_EENGINE, "engine reported an error for POST %s: %.300s", path,
			 json_is_string(j) ? json_string_value(j) : at);
	json_decref(j);
	return r;
}

/* POST path with a tar body; an error the engine reports inside its 200
 * progress stream comes back as NC_EENGINE.  what: the path without its
 * query, for messages. */
static int post_tar(nc_engine_t *e, const char *path, const char *what, const void *tar, size_t tar_len,
		    nc_error_t *err)
{
	nc_engine_body_t b = { 0 };
	int r = nc_engine_call_raw(e, "POST", path, "application/x-tar", tar, tar_len, nc_engine_timeout(e) * 3, &b,
				   err);

	if (r < 0)
		return r;
	r = stream_error(&b, what, err);
	free(b.data);
	return r;
}

int nc_engine_image_import_query(nc_engine_t *e, const char *query, const void *tar, size_t tar_len,
				 nc_error_t *err)
{
	char path[2048];

	if ((size_t)snprintf(path, sizeof(path), "/images/create?%s", query) >= sizeof(path))
		return nc_error_set(err, -EINVAL, "image import query too long");
	return post_tar(e, path, "/images/create", tar, tar_len, err);
}

int nc_engine_image_load(nc_engine_t *e, const void *tar, size_t tar_len, nc_error_t *err)
{
	return post_tar(e, "/images/load?quiet=1", "/images/load", tar, tar_len, err);
}

int nc_engine_image_import(nc_engine_t *e, const void *tar, size_t tar_len, const char *repo, const char *tag,
			   const char *const *changes, size_t n_changes, nc_error_t *err)
{
	char query[1536];

	if (repo == NULL || *repo == '\0')
		return nc_error_set(err, -EINVAL, "image import needs a repository name");
	if (nc_engine_import_query(repo, tag, changes, n_changes, query, sizeof(query)) < 0)
		return nc_error_set(err, -EINVAL, "image import query too long for %.80s", repo);
	return nc_engine_image_import_query(e, query, tar, tar_len, err);
}

int nc_engine_images_list(nc_engine_t *e, const char *repo, nc_image_summary_t *ret, size_t max, size_t *ret_n,
			  nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	*ret_n = 0;
	r = nc_engine_get_filtered(e, "/images/json?", "reference", repo, &j, err);
	if (r == 0)
		r = nc_engine_parse_images(j, ret, max, ret_n, err);
	json_decref(j);
	return r;
}

int nc_engine_image_remove(nc_engine_t *e, const char *ref, bool force, nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	int r = nc_engine_object_path(path, sizeof(path), force ? "/images/%s?force=1" : "/images/%s", ref, err);

	if (r < 0)
		return r;
	return nc_engine_call(e, "DELETE", path, NULL, NULL, 0, 0, NULL, err);
}

/* ---- containers --------------------------------------------------------- */

int nc_engine_container_create(nc_engine_t *e, const nc_container_spec_t *spec, char *ret_id, size_t id_len,
			       nc_error_t *err)
{
	char path[PATH_MAX_LEN] = "/containers/create";
	json_t *body = NULL;
	int r = nc_engine_container_spec_json(spec, &body, err);

	if (r < 0)
		return r;
	if (spec->name != NULL && *spec->name != '\0')
		r = nc_engine_object_path(path, sizeof(path), "/containers/create?name=%s", spec->name, err);
	if (r == 0)
		r = nc_engine_create_object(e, path, body, "Id", ret_id, id_len, "a container", err);
	json_decref(body);
	return r;
}

int nc_engine_container_start(nc_engine_t *e, const char *id, nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	int r = nc_engine_object_path(path, sizeof(path), "/containers/%s/start", id, err);

	if (r < 0)
		return r;
	return nc_engine_call(e, "POST", path, NULL, NULL, 0, 0, NULL, err);
}

int nc_engine_container_inspect(nc_engine_t *e, const char *id, uint16_t container_port, nc_container_info_t *ret,
				nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	json_t *j = NULL;
	int r = nc_engine_object_path(path, sizeof(path), "/containers/%s/json", id, err);

	if (r == 0)
		r = nc_engine_get_json(e, path, &j, err);
	if (r == 0)
		r = nc_engine_parse_inspect(j, container_port, ret, err);
	json_decref(j);
	return r;
}

int nc_engine_container_remove(nc_engine_t *e, const char *id, bool force, bool volumes, nc_error_t *err)
{
	char fmt[64], path[PATH_MAX_LEN];
	nc_error_t local = { "" };
	int r;

	if (err == NULL)
		err = &local; /* its text tells "in progress" from other conflicts */
	snprintf(fmt, sizeof(fmt), "/containers/%%s?force=%d&v=%d", force ? 1 : 0, volumes ? 1 : 0);
	r = nc_engine_object_path(path, sizeof(path), fmt, id, err);
	if (r < 0)
		return r;
	r = nc_engine_call(e, "DELETE", path, NULL, NULL, 0, 0, NULL, err);
	if (r == NC_EGONE)
		return 0;
	if (r == NC_ECONFLICT && strstr(err->text, "already in progress") != NULL)
		return 0; /* "removal of container x is already in progress" */
	return r;
}

int nc_engine_container_logs(nc_engine_t *e, const char *id, unsigned tail_lines, char *ret_buf, size_t len,
			     nc_error_t *err)
{
	char fmt[96], path[PATH_MAX_LEN];
	nc_container_info_t *info;
	nc_engine_body_t b = { 0 };
	bool tty;
	int r;

	if (ret_buf == NULL || len == 0)
		return -EINVAL;
	ret_buf[0] = '\0';
	/* TTY containers' logs are plain bytes, the others' multiplexed frames */
	info = malloc(sizeof(*info));
	if (info == NULL)
		return -ENOMEM;
	r = nc_engine_container_inspect(e, id, 0, info, err);
	tty = info->tty;
	free(info);
	if (r < 0)
		return r;
	if (tail_lines > 0)
		snprintf(fmt, sizeof(fmt), "/containers/%%s/logs?stdout=1&stderr=1&tail=%u", tail_lines);
	else
		snprintf(fmt, sizeof(fmt), "/containers/%%s/logs?stdout=1&stderr=1");
	r = nc_engine_object_path(path, sizeof(path), fmt, id, err);
	if (r < 0)
		return r;
	r = nc_engine_call_raw(e, "GET", path, NULL, NULL, 0, 0, &b, err);
	if (r < 0)
		return r;
	r = nc_engine_parse_logs_text(b.data, b.len, tty, ret_buf, len < NC_ENGINE_LOG_MAX ? len : NC_ENGINE_LOG_MAX);
	free(b.data);
	if (r < 0)
		return nc_error_set(err, r, "engine sent a malformed log stream for container %.64s", id);
	return r;
}

int nc_engine_containers_list(nc_engine_t *e, const char *label_filter, nc_container_summary_t *ret, size_t max,
			      size_t *ret_n, nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	*ret_n = 0;
	r = nc_engine_get_filtered(e, "/containers/json?all=1&", "label", label_filter, &j, err);
	if (r == 0)
		r = nc_engine_parse_containers(j, ret, max, ret_n, err);
	json_decref(j);
	return r;
}

int nc_engine_containers_using(nc_engine_t *e, const char *ref, nc_error_t *err)
{
	json_t *j = NULL;
	int r = nc_engine_get_filtered(e, "/containers/json?all=1&", "ancestor", ref, &j, err);

	if (r == 0)
		r = json_is_array(j) ? (json_array_size(j) > INT32_MAX ? INT32_MAX : (int)json_array_size(j))
				     : nc_error_set(err, NC_EPROTO, "engine's container list is not a JSON array");
	json_decref(j);
	return r;
}

int nc_engine_containers_publishing(nc_engine_t *e, uint16_t host_port, nc_engine_proto_t proto,
				    nc_container_listed_t *ret, size_t max, size_t *ret_n, nc_error_t *err)
{
	char published[16];
	json_t *j = NULL;
	int r;

	*ret_n = 0;
	snprintf(published, sizeof(published), "%u/%s", host_port, nc_engine_proto_name(proto));
	r = nc_engine_get_filtered(e, "/containers/json?", "publish", published, &j, err);
	if (r == 0)
		r = nc_engine_parse_listed(j, ret, max, ret_n, err);
	json_decref(j);
	return r;
}

/* ---- networks ----------------------------------------------------------- */

int nc_engine_network_inspect(nc_engine_t *e, const char *name, nc_network_info_t *ret, nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	json_t *j = NULL;
	int r = nc_engine_object_path(path, sizeof(path), "/networks/%s", name, err);

	if (r == 0)
		r = nc_engine_get_json(e, path, &j, err);
	if (r == 0)
		r = nc_engine_parse_network(j, ret, err);
	json_decref(j);
	return r;
}

/* ---- several reads at once ------------------------------------------------ */

enum survey_read { READ_INFO, READ_IMAGE, READ_NETWORK, READ_CONTAINERS, N_READS };

/* The path of one read, or its error in *ret_result. */
static void survey_path(nc_engine_survey_t *s, enum survey_read what, char *path, size_t len, int *ret_result,
			nc_error_t *err)
{
	switch (what) {
	case READ_INFO:
		*ret_result = snprintf(path, len, "/info") < 0 ? -EINVAL : 0;
		break;
	case READ_IMAGE:
		*ret_result = nc_engine_object_path(path, len, "/images/%s/json", s->image, err);
		break;
	case READ_NETWORK:
		*ret_result = nc_engine_object_path(path, len, "/networks/%s", s->network, err);
		break;
	default:
		*ret_result = filtered_path(path, len, "/containers/json?all=1&", "label", s->label_filter, err);
		break;
	}
}

/* One read's answer (j: borrowed, NULL when the call failed with result) into s. */
static int survey_answer(nc_engine_survey_t *s, enum survey_read what, const json_t *j, int result, nc_error_t *err)
{
	switch (what) {
	case READ_INFO:
		return result < 0 ? result : nc_engine_parse_info(j, &s->info, err);
	case READ_IMAGE:
		return result == NC_ENOIMAGE ? 0 : result < 0 ? result : 1;
	case READ_NETWORK:
		return result < 0 ? result : nc_engine_parse_network(j, &s->network_info, err);
	default:
		return result < 0 ? result : nc_engine_parse_containers(j, s->containers, s->max_containers,
									 &s->n_containers, err);
	}
}

/* The reads s asks for as gets (paths: their room), at most N_READS;
 * read_of[i]: which read gets[i] is.  A read whose path cannot be made
 * has its error in s already. */
static size_t survey_gets(nc_engine_survey_t *s, char (*paths)[PATH_MAX_LEN], nc_engine_get_t *gets,
			  enum survey_read *read_of)
{
	bool asked[N_READS] = { s->want_info, s->image != NULL, s->network != NULL,
				s->label_filter != NULL && s->containers != NULL };
	int *result[N_READS] = { &s->info_result, &s->image_result, &s->network_result, &s->containers_result };
	nc_error_t *errs[N_READS] = { &s->info_err, &s->image_err, &s->network_err, &s->containers_err };
	size_t n = 0;

	memset(&s->info, 0, sizeof(s->info));
	memset(&s->network_info, 0, sizeof(s->network_info));
	s->n_containers = 0;
	for (int k = 0; k < N_READS; k++) {
		*result[k] = 0;
		errs[k]->text[0] = '\0';
		if (!asked[k])
			continue;
		survey_path(s, (enum survey_read)k, paths[k], PATH_MAX_LEN, result[k], errs[k]);
		if (*result[k] < 0)
			continue;
		gets[n] = (nc_engine_get_t){ .path = paths[k] };
		read_of[n++] = (enum survey_read)k;
	}
	return n;
}

/* The answers of survey_gets' gets (n) into s; their JSON freed. */
static void survey_take(nc_engine_survey_t *s, nc_engine_get_t *gets, const enum survey_read *read_of, size_t n)
{
	int *result[N_READS] = { &s->info_result, &s->image_result, &s->network_result, &s->containers_result };
	nc_error_t *errs[N_READS] = { &s->info_err, &s->image_err, &s->network_err, &s->containers_err };

	for (size_t i = 0; i < n; i++) {
		enum survey_read k = read_of[i];

		*errs[k] = gets[i].err;
		*result[k] = survey_answer(s, k, gets[i].json, gets[i].result, errs[k]);
		json_decref(gets[i].json);
		gets[i].json = NULL;
	}
}

int nc_engine_survey(nc_engine_t *e, nc_engine_survey_t *s)
{
	char paths[N_READS][PATH_MAX_LEN];
	nc_engine_get_t gets[N_READS];
	enum survey_read read_of[N_READS];
	size_t n = survey_gets(s, paths, gets, read_of);
	int r;

	if (n == 0)
		return 0;
	r = nc_engine_get_all(e, gets, n);
	if (r < 0)
		return r;
	survey_take(s, gets, read_of, n);
	return 0;
}

/* Docker Desktop says so in /info's OperatingSystem too: its product
 * name, when /version (with Platform.Name) was not asked. */
static void product_from_info(nc_engine_version_t *v, const nc_engine_survey_t *s)
{
	if (v->platform_name[0] == '\0' && s->want_info && s->info_result == 0 &&
	    strstr(s->info.operating_system, "Docker Desktop") != NULL)
		snprintf(v->platform_name, sizeof(v->platform_name), "Docker Desktop");
}

int nc_engine_negotiate_survey(nc_engine_t *e, nc_engine_version_t *ret, nc_engine_survey_t *s, nc_error_t *err)
{
	char paths[N_READS][PATH_MAX_LEN];
	nc_engine_get_t gets[N_READS + 1];
	nc_engine_ping_t ping;
	enum survey_read read_of[N_READS];
	size_t n;
	int r;

	e->api_version[0] = '\0'; /* every path unversioned */
	/* /_ping, not /version: its headers say what the run needs (the API
	 * version, Podman or not), and the engine answers it at once, where
	 * /version asks containerd and runs runc and docker-init for their
	 * versions (~7 ms of dockerd's CPU, beside /info doing the same) */
	gets[0] = (nc_engine_get_t){ .path = "/_ping", .ping = &ping };
	n = survey_gets(s, paths, gets + 1, read_of);
	r = nc_engine_get_all(e, gets, n + 1);
	if (r < 0)
		return nc_error_set(err, r, "engine at %s: %s", nc_engine_url(e), nc_strerror(r));
	if (gets[0].result < 0) {
		r = gets[0].result;
		if (err != NULL)
			*err = gets[0].err;
	} else {
		r = nc_engine_take_ping(e, &ping, ret, err);
		if (r == -ENODATA) /* no Api-Version header: /version says it */
			r = nc_engine_negotiate(e, ret, err);
	}
	if (r == 0 && nc_engine_api_number(ret->api_version) <= nc_engine_api_number(NC_ENGINE_MAX_API)) {
		/* the engine answered the unversioned reads at its own API
		 * version, the one just agreed on */
		survey_take(s, gets + 1, read_of, n);
		product_from_info(ret, s);
		return 0;
	}
	for (size_t i = 1; i <= n; i++)
		json_decref(gets[i].json);
	if (r < 0)
		return r;
	/* an engine newer than netcheck: the reads again at the version agreed */
	r = nc_engine_survey(e, s);
	if (r < 0)
		return nc_error_set(err, r, "engine calls: %s", nc_strerror(r));
	product_from_info(ret, s);
	return 0;
}

int nc_engine_network_create(nc_engine_t *e, const nc_network_spec_t *spec, char *ret_id, size_t id_len,
			     nc_error_t *err)
{
	json_t *body = NULL;
	int r = nc_engine_network_spec_json(spec, &body, err);

	if (r < 0)
		return r;
	r = nc_engine_create_object(e, "/networks/create", body, "Id", ret_id, id_len, "a network", err);
	json_decref(body);
	return r;
}

int nc_engine_network_remove(nc_engine_t *e, const char *name, nc_error_t *err)
{
	char path[PATH_MAX_LEN];
	int r = nc_engine_object_path(path, sizeof(path), "/networks/%s", name, err);

	if (r < 0)
		return r;
	r = nc_engine_call(e, "DELETE", path, NULL, NULL, 0, 0, NULL, err);
	return r == NC_EGONE ? 0 : r;
}
