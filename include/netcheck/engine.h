/* netcheck: the Docker Engine API client.
 *
 * Owns one libcurl handle bound to one engine (unix socket or TCP, TLS when
 * DOCKER_CERT_PATH says so), driven by libcurl's multi-socket interface on a
 * libuv loop private to the engine, and the API version negotiated with it.
 * Calls are synchronous and bounded by a per-call timeout; a cancel flag set
 * from a signal handler aborts the call in flight within ~100 ms (libcurl's
 * progress callback, or a 50 ms timer on the engine's loop).  Why the API
 * stays synchronous: see docs/design.md.  Response parsing lives in engine-parse.c as pure
 * functions fed by recorded fixtures in the unit tests.  Never prints. */
#ifndef NETCHECK_ENGINE_H
#define NETCHECK_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"

#define NC_ENGINE_URL_MAX 512
#define NC_ENGINE_MAX_RESPONSE (8u << 20) /* 8 MiB: far above any answer we ask for */
#define NC_ENGINE_MIN_API "1.24"
#define NC_ENGINE_MAX_API "1.43"

typedef struct nc_engine nc_engine_t;

typedef enum nc_engine_source {
	NC_ENGINE_FROM_FLAG = 0,
	NC_ENGINE_FROM_ENV,     /* DOCKER_HOST */
	NC_ENGINE_FROM_CONTEXT, /* docker context */
	NC_ENGINE_FROM_DEFAULT, /* /var/run/docker.sock */
} nc_engine_source_t;

/* Where the engine is: flag_url (may be NULL), else DOCKER_HOST, else the
 * current docker context (DOCKER_CONTEXT, else config.json currentContext;
 * config dir DOCKER_CONFIG or $HOME/.docker), else the default socket.
 * env: a getenv-like function (tests pass their own); NULL = getenv. */
int nc_engine_discover(const char *flag_url, const char *(*env)(const char *name), char *ret_url, size_t url_len,
		       nc_engine_source_t *ret_source, nc_error_t *err);
const char *nc_engine_source_name(nc_engine_source_t s);
/* The well-known engine sockets that exist here, in the order tried when
 * nothing names an engine: /var/run/docker.sock, $XDG_RUNTIME_DIR/docker.sock,
 * /run/podman/podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock.  Fills up to
 * max URLs (only the first when only_first); returns how many. */
int nc_engine_well_known(const char *(*env)(const char *name), char (*ret_urls)[NC_ENGINE_URL_MAX], size_t max,
			 size_t only_first);

typedef struct nc_engine_options {
	long timeout_ms;            /* per call; default 10000 */
	long connect_timeout_ms;    /* default 3000 */
	const char *cert_path;      /* DOCKER_CERT_PATH; NULL = none */
	bool tls_verify;            /* DOCKER_TLS_VERIFY */
	volatile sig_atomic_t *cancel; /* borrowed; nonzero aborts calls */
} nc_engine_options_t;

/* Validates url (unix:///path, tcp://host:port, http(s)://...).  *ret: new.
 * -EINVAL with err set for an unknown scheme. Does not connect. */
int nc_engine_new(const char *url, const nc_engine_options_t *opt, nc_engine_t **ret, nc_error_t *err);
void nc_engine_free(nc_engine_t *e);
/* Replace the cancel flag (NULL: calls can no longer be cancelled, for
 * cleanup after a signal; the per-call timeout still bounds them). */
void nc_engine_set_cancel(nc_engine_t *e, volatile sig_atomic_t *cancel);
/* borrowed, valid until nc_engine_free() */
const char *nc_engine_url(const nc_engine_t *e);

typedef struct nc_engine_version {
	char version[64];
	char api_version[16];
	char min_api_version[16];
	char os[32];
	char arch[32];
	char kernel[128];
	char platform_name[128]; /* "Docker Desktop 4.25.0 (126437)", "Docker Engine - Community" */
	bool podman;             /* a component named "Podman Engine" */
} nc_engine_version_t;

typedef struct nc_engine_info {
	char name[128];             /* host name of the engine */
	char operating_system[128]; /* "Docker Desktop", "Debian GNU/Linux 12 (bookworm)" */
	char kernel[128];
	bool rootless;              /* SecurityOptions has name=rootless */
	char default_bridge[32];    /* not from /info: filled by the caller */
} nc_engine_info_t;

/* GET /version; negotiates the API version used for every later call:
 * min(engine's ApiVersion, NC_ENGINE_MAX_API); -ENOTSUP when the engine
 * is older than NC_ENGINE_MIN_API. */
int nc_engine_negotiate(nc_engine_t *e, nc_engine_version_t *ret, nc_error_t *err);
int nc_engine_info(nc_engine_t *e, nc_engine_info_t *ret, nc_error_t *err);

/* Generic call: method, path without the /vX.Y prefix (added when
 * versioned).  body may be NULL.  *ret_json: new (may be NULL on 204).
 * HTTP errors map: 404 → NC_ENOTFOUND, 409 → NC_ECONFLICT, others ≥ 400 →
 * NC_EENGINE; err gets the engine's "message". */
int nc_engine_call(nc_engine_t *e, const char *method, const char *path, const char *content_type, const void *body,
		   size_t body_len, long timeout_ms, json_t **ret_json, nc_error_t *err);

typedef struct nc_container_info {
	char id[80];
	char name[128];
	char hostname[128];
	char image[128];
	bool running;
	int exit_code;         /* State.ExitCode, when not running */
	int pid;
	char network[64];      /* first network's name */
	nc_endpoint_t ip;      /* first network's IPAddress, port = container port */
	nc_endpoint_t gateway;
	uint16_t published_port;  /* HostPort for the container port, 0 = none */
	uint16_t published_port6; /* host port of a binding on :: (may differ from the IPv4 one); 0 = none */
	char published_ip[64];    /* HostIp of the first binding */
} nc_container_info_t;

/* Pure parsers (engine-parse.c): JSON text or json_t → structs. */
int nc_engine_parse_version(const json_t *j, nc_engine_version_t *ret, nc_error_t *err);
int nc_engine_parse_info(const json_t *j, nc_engine_info_t *ret, nc_error_t *err);
/* container_port 0: take the first published TCP port (netcheck capture) */
int nc_engine_parse_inspect(const json_t *j, uint16_t container_port, nc_container_info_t *ret, nc_error_t *err);
/* "1.41" → 141; -EINVAL if not N.M */
int nc_engine_api_number(const char *v);

/* Container helpers on top of nc_engine_call.  Unless said otherwise,
 * every pointer argument of this header is borrowed for the call and err
 * (may be NULL) is the caller's. */
int nc_engine_image_exists(nc_engine_t *e, const char *ref, nc_error_t *err); /* 1 yes, 0 no */
int nc_engine_image_import(nc_engine_t *e, const char *query, const void *tar, size_t tar_len, nc_error_t *err);
/* spec: borrowed JSON of POST /containers/create; ret_id: id, NUL-terminated */
int nc_engine_container_create(nc_engine_t *e, const char *name, const json_t *spec, char *ret_id, size_t id_len,
			       nc_error_t *err);
int nc_engine_container_start(nc_engine_t *e, const char *id, nc_error_t *err);
int nc_engine_container_inspect(nc_engine_t *e, const char *id, uint16_t container_port, nc_container_info_t *ret,
				nc_error_t *err);
/* force-remove with its anonymous volumes; NC_ENOTFOUND is returned as 0 */
int nc_engine_container_remove(nc_engine_t *e, const char *id, nc_error_t *err);
/* All containers (running or not) carrying label key (any value), as the
 * engine lists them: each item has Id, Labels and Created (seconds since
 * the epoch), so nothing needs inspecting one by one.  *ret_list: new JSON
 * array, json_decref() it. */
int nc_engine_containers_with_label(nc_engine_t *e, const char *label, json_t **ret_list, nc_error_t *err);

#endif
