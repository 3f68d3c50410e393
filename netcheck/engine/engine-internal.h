/* Private to netcheck/engine*.c (and test-engine.c): the generic call, the
 * error classification and the json_t parsers.  No other module includes
 * this: API paths and JSON stay inside the engine module. */
#ifndef NETCHECK_ENGINE_INTERNAL_H
#define NETCHECK_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>
#include <uv.h>

#include "netcheck/engine.h"

/* The engine: its URL taken apart (engine.c) and its transport
 * (engine-transport.c). */
struct addrinfo;
/* engine-attach.c: a TCP connection to the first of list's addresses that
 * takes one, each tried without blocking and given its share of
 * timeout_ms.  0 with *ret_fd (blocking, CLOEXEC), or the last address's
 * negative errno (-ETIMEDOUT when the time ran out). */
int nc_engine_connect_addrs(const struct addrinfo *list, long timeout_ms, int *ret_fd);

struct nc_engine {
	char url[NC_ENGINE_URL_MAX];     /* as given */
	char base[NC_ENGINE_URL_MAX];    /* http(s)://host:port, or http://localhost for unix */
	char socket_path[NC_ENGINE_URL_MAX];
	/* tcp:// engines: base's host as getaddrinfo() takes it (an IPv6
	 * literal without its brackets) and port, parsed once by nc_engine_new();
	 * "" otherwise */
	char tcp_host[NC_ENGINE_URL_MAX];
	char tcp_port[8];
	char api_version[16];            /* negotiated; "" until then */
	nc_engine_options_t opt;
	char cert[NC_ENGINE_URL_MAX], key[NC_ENGINE_URL_MAX], ca[NC_ENGINE_URL_MAX];
	CURL *curl;                      /* reused for every call: one easy handle */
	CURLM *multi;                    /* keeps the connection cache between calls */
	uv_loop_t loop;                  /* the engine's own; the run's loop never sees engine work */
	bool loop_ready;
	uv_timer_t *curl_timer;          /* CURLMOPT_TIMERFUNCTION's timer */
	uv_timer_t *cancel_timer;        /* polls the cancel flag while a call is in flight */
	/* the calls in flight */
	size_t pending;                  /* transfers not done yet */
	bool canceled;
	struct nc_engine_ssh *ssh;       /* ssh:// engines: owned (engine-ssh.c) */
	struct nc_engine_tls_pump *tls_pumps; /* TLS engines' attach streams: owned (engine-tls.c) */
};

/* The transport's half of nc_engine_new() and nc_engine_free()
 * (engine-transport.c): the easy and multi handles, the private loop and
 * its timers.  open: 0 or negative errno with err set; whatever was made
 * is undone by close.  close: false when a handle was leaked on the loop
 * (e must then be leaked too: the loop still references it). */
int nc_engine_transport_open(nc_engine_t *e, nc_error_t *err);
bool nc_engine_transport_close(nc_engine_t *e);

/* A raw answer body: data is new (free() it), NUL-terminated, len bytes. */
typedef struct nc_engine_body {
	char *data;
	size_t len;
} nc_engine_body_t;

/* Generic call: method, path without the /vX.Y prefix (added once
 * negotiated).  body may be NULL.  *ret_json: new (NULL on an empty answer).
 * An HTTP error is classified by nc_engine_classify(); err gets the engine's
 * "message". */
int nc_engine_call(nc_engine_t *e, const char *method, const char *path, const char *content_type, const void *body,
		   size_t body_len, long timeout_ms, json_t **ret_json, nc_error_t *err);
/* As nc_engine_call(), but the body comes back as bytes (logs, import
 * streams).  *ret: filled on success only. */
int nc_engine_call_raw(nc_engine_t *e, const char *method, const char *path, const char *content_type,
		       const void *body, size_t body_len, long timeout_ms, nc_engine_body_t *ret, nc_error_t *err);
/* Several GETs at once, each on a connection of its own: the batch takes
 * as long as its slowest call, not the sum of them.  Each get has its own
 * outcome, as nc_engine_get_json() would have given it.  Returns 0, or
 * -EINVAL (n is 0 or above NC_ENGINE_MAX_BATCH) or -ENOMEM for the batch. */
#define NC_ENGINE_MAX_BATCH 8
/* What GET /_ping says in its headers (its body is "OK"): the engine's
 * API version, its name and version ("Docker/20.10.24 (linux)",
 * "Libpod/4.3.1 (linux)"), and whether it is Podman. */
typedef struct nc_engine_ping {
	char api_version[16]; /* Api-Version; "" when the engine sent none */
	char server[128];     /* Server; "" when none */
	bool libpod;          /* a Libpod-Api-Version header */
} nc_engine_ping_t;
typedef struct nc_engine_get {
	const char *path;        /* borrowed: the path without the /vX.Y prefix */
	nc_engine_ping_t *ping;  /* borrowed, NULL: else the answer's headers go here and its body is no JSON */
	json_t *json;            /* out: new, NULL unless result is 0 (and always NULL for a ping) */
	int result;              /* out: 0 or a negative errno */
	nc_error_t err;          /* out: why, when result < 0 */
} nc_engine_get_t;
int nc_engine_get_all(nc_engine_t *e, nc_engine_get_t *gets, size_t n);
/* /version's answer (j: borrowed, may be NULL) into ret, and the API
 * version every later call uses (engine.c): 0, NC_EPROTO, -ENOTSUP. */
int nc_engine_take_version(nc_engine_t *e, const json_t *j, nc_engine_version_t *ret, nc_error_t *err);
/* The same from /_ping's headers: the API version agreed as from
 * /version; ret's version and podman from Server and Libpod-Api-Version,
 * the rest empty.  -ENODATA when the engine named no API version there
 * (then /version must be asked). */
int nc_engine_take_ping(nc_engine_t *e, const nc_engine_ping_t *p, nc_engine_version_t *ret, nc_error_t *err);
/* The negotiated API version as a number (141), 0 before negotiation. */
int nc_engine_api(const nc_engine_t *e);
/* http(s)://host:port the engine is reached at.  returns: borrowed, valid until nc_engine_free() */
const char *nc_engine_base(const nc_engine_t *e);

/* The per-call timeout the engine was made with, in ms. */
long nc_engine_timeout(const nc_engine_t *e);

/* Helpers of the typed calls (engine-objects.c).
 * object_path: path = fmt with name (borrowed) percent-encoded in its one %s.
 * create_object: POST path with body (borrowed JSON); the answer's string
 * member key goes to ret_id (borrowed, id_len bytes).
 * get_json: GET path; *ret new, never NULL on success. */
int nc_engine_object_path(char *path, size_t len, const char *fmt, const char *name, nc_error_t *err);
int nc_engine_create_object(nc_engine_t *e, const char *path, const json_t *body, const char *key, char *ret_id,
			    size_t id_len, const char *what, nc_error_t *err);
int nc_engine_get_json(nc_engine_t *e, const char *path, json_t **ret, nc_error_t *err);
/* GET path_start + "filters={"key":["value"]}" (percent-encoded); path_start
 * ends in '?' or '&'.  *ret new, never NULL on success. */
int nc_engine_get_filtered(nc_engine_t *e, const char *path_start, const char *key, const char *value, json_t **ret,
			   nc_error_t *err);
/* POST /images/create?query with tar (borrowed); a failure inside the 200
 * progress stream → NC_EENGINE */
int nc_engine_image_import_query(nc_engine_t *e, const char *query, const void *tar, size_t tar_len,
				 nc_error_t *err);

/* The one place an engine's HTTP error becomes a netcheck code:
 * status and message (borrowed, may be NULL) of the answer to method path. */
int nc_engine_classify(long status, const char *method, const char *path, const char *message);

/* The engine URL rules (engine-discover.c): npipe:// → -ENOTSUP with advice
 * in err; ssh:// as nc_engine_ssh_parse() reads it; tcp://host without a port → :2375, or :2376 when tls.
 * ret: borrowed, len bytes. */
int nc_engine_url_normalize(const char *url, bool tls, char *ret, size_t len, nc_error_t *err);

/* Percent-encodes s into buf (len bytes); -ENAMETOOLONG when it does not fit. */
int nc_engine_escape(const char *s, char *buf, size_t len);

/* Pure parsers (engine-parse.c): json_t (borrowed) → structs. */
int nc_engine_parse_version(const json_t *j, nc_engine_version_t *ret, nc_error_t *err);
int nc_engine_parse_info(const json_t *j, nc_engine_info_t *ret, nc_error_t *err);
int nc_engine_parse_inspect(const json_t *j, uint16_t container_port, nc_container_info_t *ret, nc_error_t *err);
int nc_engine_parse_network(const json_t *j, nc_network_info_t *ret, nc_error_t *err);
/* a JSON array of GET /containers/json; returns how many the engine listed */
int nc_engine_parse_containers(const json_t *j, nc_container_summary_t *ret, size_t max, size_t *ret_n,
			       nc_error_t *err);
/* the same with each one's host bindings and addresses */
int nc_engine_parse_listed(const json_t *j, nc_container_listed_t *ret, size_t max, size_t *ret_n, nc_error_t *err);
/* a JSON array of GET /images/json; returns how many the engine listed */
int nc_engine_parse_images(const json_t *j, nc_image_summary_t *ret, size_t max, size_t *ret_n, nc_error_t *err);
/* GET /info (its Swarm section) and, when not NULL, GET /swarm */
int nc_engine_parse_swarm(const json_t *info, const json_t *swarm, nc_swarm_info_t *ret, nc_error_t *err);
/* GET /services or GET /networks, as the summaries containers have */
int nc_engine_parse_labelled(const json_t *j, nc_container_summary_t *ret, size_t max, size_t *ret_n,
			     nc_error_t *err);
int nc_engine_parse_nodes(const json_t *j, nc_swarm_node_t *ret, size_t max, size_t *ret_n, nc_error_t *err);
int nc_engine_parse_tasks(const json_t *j, nc_swarm_task_t *ret, size_t max, size_t *ret_n, nc_error_t *err);

/* Request bodies (engine-spec.c): *ret new JSON, json_decref() it.
 * -EINVAL with err set for a spec the engine would misread. */
int nc_engine_container_spec_json(const nc_container_spec_t *spec, json_t **ret, nc_error_t *err);
int nc_engine_network_spec_json(const nc_network_spec_t *spec, json_t **ret, nc_error_t *err);
int nc_engine_service_spec_json(const nc_service_spec_t *spec, json_t **ret, nc_error_t *err);

/* The query (no '?') of POST /images/create?fromSrc=- for repo:tag with
 * changes; buf: borrowed, len bytes.  Returns the length or -ENOSPC. */
int nc_engine_import_query(const char *repo, const char *tag, const char *const *changes, size_t n_changes,
			   char *buf, size_t len);

/* ---- ssh:// engines (engine-ssh.c) ---------------------------------------
 * Every connection libcurl opens to an ssh:// engine is a child `ssh ... --
 * host docker system dial-stdio` on a socketpair; the transport installs the
 * callbacks with nc_engine_ssh_setopt() and asks nc_engine_ssh_explain() why
 * a call failed. */
#include <curl/curl.h>

typedef struct nc_engine_ssh nc_engine_ssh_t;
typedef struct nc_ssh_target {
	char user[64];  /* "" = ssh's own choice (its config, the local user) */
	char host[256]; /* a name or an address, without [ ] */
	char port[6];   /* "" = ssh's own choice */
} nc_ssh_target_t;
#define NC_SSH_ARGV_MAX 20

/* ssh://[user@]host[:port][/] as the docker CLI reads it; -EINVAL with err
 * set for anything else, for a password, a path, a query, or a user or host
 * that could become an ssh option ('-' first) or a remote shell word. */
int nc_engine_ssh_parse(const char *url, nc_ssh_target_t *ret, nc_error_t *err);
/* The child's argv into ret_argv (max entries, NULL-terminated): pointers
 * into t (borrowed) and timeout_opt (len bytes, filled here).  Returns argc,
 * or -EINVAL / -ENOSPC. */
int nc_engine_ssh_argv(const nc_ssh_target_t *t, long connect_timeout_ms, char *timeout_opt, size_t len,
		       const char **ret_argv, size_t max);
/* Checks url.  *ret: new.  Starts nothing: the first call's connection
 * starts the first child, and a missing ssh is posix_spawnp()'s ENOENT
 * then (said why, by nc_engine_ssh_explain() or nc_engine_ssh_connect()). */
int nc_engine_ssh_new(const char *url, long connect_timeout_ms, nc_engine_ssh_t **ret, nc_error_t *err);
/* After libcurl closed every connection (curl_multi_cleanup): ends and
 * reaps the children still there (EOF, then SIGTERM, then SIGKILL). */
void nc_engine_ssh_free(nc_engine_ssh_t *s);
/* A connection of its own, outside libcurl (an attach stream): a new child
 * on a socketpair.  *ret_fd: new (the caller closes it; the child then
 * ends), CLOEXEC.  The child is killed by nc_engine_ssh_free() if still
 * there: the stream lives no longer than the engine. */
int nc_engine_ssh_connect(nc_engine_ssh_t *s, int *ret_fd, nc_error_t *err);
/* h (borrowed) reaches the engine through s: new connections are children */
void nc_engine_ssh_setopt(nc_engine_ssh_t *s, CURL *h);
/* multi (borrowed) keeps one connection: a batch queues on it */
void nc_engine_ssh_multi(CURLM *multi);
/* After a failed transfer: the child's failure (a login refused, no docker
 * on the far side, ssh missing...) as a code and one line in err; 0 when
 * the children have nothing to say.  timed_out: the call ran out of time, so
 * a child still there is not waited for. */
int nc_engine_ssh_explain(nc_engine_ssh_t *s, bool timed_out, nc_error_t *err);

/* ---- TLS engines' raw streams (engine-tls.c) ------------------------------ */
/* The engine's certificates on h (borrowed): every call's and the streams'. */
void nc_engine_tls_setopt(const nc_engine_t *e, CURL *h);
/* A connection of its own to a TLS engine, for an attach stream: *ret_fd
 * (new, CLOEXEC; the caller closes it) is a plain socket whose bytes a
 * thread carries over TLS.  The streams that ended since the last call
 * (either side closed) are reaped first: thread joined, connection
 * closed.  0, or a negative errno with err set. */
int nc_engine_tls_connect(nc_engine_t *e, int *ret_fd, nc_error_t *err);
/* How many streams e holds: running, or ended and not reaped yet (tests). */
size_t nc_engine_tls_streams(const nc_engine_t *e);
/* Every stream's thread ended and joined, its connection closed (the
 * callers' ends read EOF from then on). */
void nc_engine_tls_free(nc_engine_t *e);

#endif
