/* netcheck: the Docker Engine API client.
 *
 * Owns one libcurl handle bound to one engine (unix socket, TCP or ssh; TLS when
 * DOCKER_CERT_PATH says so), driven by libcurl's multi-socket interface on a
 * libuv loop private to the engine, and the API version negotiated with it.
 * Calls are synchronous and bounded by a per-call timeout; a cancel flag set
 * from a signal handler aborts the call in flight within ~100 ms (libcurl's
 * progress callback, or a 50 ms timer on the engine's loop).  Why the API
 * stays synchronous: see docs/design.md.  Response parsing lives in engine-parse.c as pure
 * functions fed by recorded fixtures in the unit tests.  Never prints.
 *
 * Only netcheck/engine*.c know API paths and JSON: every call here is typed,
 * and every engine failure comes back as a netcheck code (NC_EPORTTAKEN,
 * NC_ENOIMAGE, NC_EGONE, NC_ECONFLICT, NC_EENGINE...) decided once, in
 * engine.c, from the HTTP status and the engine's message; err->text keeps
 * the engine's own words for the user.  Unless said otherwise every pointer
 * argument is borrowed for the call, and err (may be NULL) is the caller's. */
#ifndef NETCHECK_ENGINE_H
#define NETCHECK_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* As nc_engine_discover(), with a context named on the command line
 * (--context NAME; borrowed, NULL or "" = none), which, as for the docker
 * CLI, beats DOCKER_HOST and DOCKER_CONTEXT, and conflicts with flag_url
 * (-EINVAL).  Any URL found is checked: npipe:// gives -ENOTSUP with what
 * to do instead, an ssh:// URL that could smuggle an ssh option -EINVAL,
 * and tcp://host gets docker's default port (2375, 2376 when
 * DOCKER_TLS_VERIFY or DOCKER_CERT_PATH is set). */
int nc_engine_discover_context(const char *flag_url, const char *context, const char *(*env)(const char *name),
			       char *ret_url, size_t url_len, nc_engine_source_t *ret_source, nc_error_t *err);
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

/* Validates url (unix:///path, tcp://host:port, http(s)://...,
 * ssh://[user@]host[:port]).  *ret: new.  -EINVAL with err set for an
 * unknown scheme; -ENOENT for ssh:// without ssh on PATH.  Does not connect
 * (an ssh:// engine starts its first ssh child on the first call). */
int nc_engine_new(const char *url, const nc_engine_options_t *opt, nc_engine_t **ret, nc_error_t *err);
void nc_engine_free(nc_engine_t *e);
/* A second handle on e's engine, for calls on another thread (one handle
 * is one thread's): the same URL, options and negotiated API version, no
 * round trip.  *ret: new, freed with nc_engine_free() before e (its options
 * may borrow e's strings).  0 or a negative errno with err set. */
int nc_engine_clone(const nc_engine_t *e, nc_engine_t **ret, nc_error_t *err);
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
/* "Podman Engine", "Docker Desktop 4.25.0 (126437)" or "Docker Engine".
 * returns: borrowed from v, or static */
const char *nc_engine_product(const nc_engine_version_t *v);
int nc_engine_info(nc_engine_t *e, nc_engine_info_t *ret, nc_error_t *err);

/* "1.41" → 141; -EINVAL if not N.M */
int nc_engine_api_number(const char *v);

/* ---- bounds of the typed answers and specs ------------------------------- */

#define NC_ENGINE_ID_MAX 72        /* a 64-hex id and its NUL, with room */
#define NC_ENGINE_NAME_MAX 128     /* container, network, service, image names */
#define NC_ENGINE_LABEL_KEY_MAX 64
#define NC_ENGINE_LABEL_VALUE_MAX 128
#define NC_ENGINE_MAX_NETWORKS 8   /* networks of one container that inspect reports */
#define NC_ENGINE_MAX_PORTS 16     /* port bindings inspect reports; ports a spec publishes */
#define NC_ENGINE_MAX_LABELS 8     /* io.netcheck.* labels kept from an answer; labels a spec sets */
#define NC_ENGINE_MAX_ARGS 16      /* argv of a spec's command */
#define NC_ENGINE_MAX_CAP_ADD 8    /* capabilities a spec adds */
#define NC_ENGINE_MAX_ENV 16
#define NC_ENGINE_MAX_SYSCTLS 8
#define NC_ENGINE_MAX_EXTRA_HOSTS 4
#define NC_ENGINE_MAX_ADDRS 4      /* addresses of one task's network attachment */
#define NC_ENGINE_LOG_MAX (1u << 20) /* the most container log bytes one call returns */

typedef enum nc_engine_proto {
	NC_ENGINE_TCP = 0,
	NC_ENGINE_UDP,
} nc_engine_proto_t;

/* "tcp" / "udp".  returns: static */
const char *nc_engine_proto_name(nc_engine_proto_t p);

/* A label as the engine reported it, copied. */
typedef struct nc_engine_label {
	char key[NC_ENGINE_LABEL_KEY_MAX];
	char value[NC_ENGINE_LABEL_VALUE_MAX];
} nc_engine_label_t;

/* A key/value a spec sends; both borrowed from the caller for the call. */
typedef struct nc_engine_kv {
	const char *key;
	const char *value;
} nc_engine_kv_t;

/* ---- containers ----------------------------------------------------------- */

/* One network a container is on, from inspect's NetworkSettings.Networks. */
typedef struct nc_container_network {
	char name[64];
	char network_id[NC_ENGINE_ID_MAX];
	nc_endpoint_t ip;      /* IPAddress; family 0 when none; port = the container port asked for */
	nc_endpoint_t ip6;     /* GlobalIPv6Address; family 0 when none */
	nc_endpoint_t gateway; /* Gateway; family 0 when none */
} nc_container_network_t;

/* One host binding of a container port, from NetworkSettings.Ports. */
typedef struct nc_container_port {
	uint16_t container_port;
	nc_engine_proto_t proto;
	char host_ip[64]; /* "0.0.0.0", "::", "127.0.0.1" */
	uint16_t host_port;
} nc_container_port_t;

typedef struct nc_container_info {
	char id[80];
	char name[128];        /* Name, with Docker's leading '/' */
	char hostname[128];
	char image[128];       /* Config.Image */
	char status[16];       /* State.Status: "created", "running", "exited"... */
	bool running;
	bool tty;              /* Config.Tty: logs are plain, not multiplexed */
	int exit_code;         /* State.ExitCode, when not running */
	int pid;
	bool paused;           /* State.Paused: its processes are frozen (Running stays true) */
	bool restarting;       /* State.Restarting: between two runs of a restart policy (Pid 0) */
	bool oom_killed;       /* State.OOMKilled: the kernel's OOM killer ended its last run */
	int restart_count;     /* RestartCount: restarts by its restart policy */
	char started_at[40];   /* State.StartedAt, RFC 3339 as given; "" or "0001-..." when never */
	char health[16];       /* State.Health.Status: "starting", "healthy", "unhealthy"; "" none */
	char network_mode[64]; /* HostConfig.NetworkMode: "default", "bridge", "host", "none", "container:<id>", a network */
	char network[64];      /* first network's name */
	nc_endpoint_t ip;      /* first network's IPAddress, port = container port */
	nc_endpoint_t gateway;
	uint16_t published_port;  /* HostPort for the container port, 0 = none */
	uint16_t published_port6; /* host port of a binding on :: (may differ from the IPv4 one); 0 = none */
	char published_ip[64];    /* HostIp of the first binding */
	nc_container_network_t networks[NC_ENGINE_MAX_NETWORKS]; /* every network, in the engine's order (Docker: by name) */
	size_t n_networks;
	nc_container_port_t ports[NC_ENGINE_MAX_PORTS]; /* every binding, tcp and udp */
	size_t n_ports;
	uint16_t exposed_tcp[NC_ENGINE_MAX_PORTS]; /* every TCP container port, published or only exposed */
	size_t n_exposed_tcp;
	nc_engine_label_t labels[NC_ENGINE_MAX_LABELS]; /* the io.netcheck.* labels only */
	size_t n_labels;
} nc_container_info_t;

/* The value of label key in info, or NULL.  returns: borrowed from info */
const char *nc_container_info_label(const nc_container_info_t *info, const char *key);

/* A port the container listens on and, when publish, a host binding for it. */
typedef struct nc_container_port_spec {
	uint16_t container_port;
	nc_engine_proto_t proto;
	bool publish;
	const char *host_ip; /* borrowed; NULL or "" = every address */
	uint16_t host_port;  /* 0 = the engine picks one */
} nc_container_port_spec_t;

/* Plain data for POST /containers/create.  Every pointer is borrowed for the
 * nc_engine_container_create() call; NULL or 0 means "the engine's default". */
typedef struct nc_container_spec {
	const char *name;  /* NULL: the engine names it */
	const char *image; /* required */
	const char *cmd[NC_ENGINE_MAX_ARGS];
	size_t n_cmd;
	const char *user;
	nc_engine_kv_t labels[NC_ENGINE_MAX_LABELS];
	size_t n_labels;
	nc_container_port_spec_t ports[NC_ENGINE_MAX_PORTS]; /* exposed, and published when .publish */
	size_t n_ports;
	const char *network_mode; /* "bridge", "host", "none", "container:<id>" or a network's name */
	const char *extra_hosts[NC_ENGINE_MAX_EXTRA_HOSTS]; /* "host.docker.internal:host-gateway" */
	size_t n_extra_hosts;
	nc_engine_kv_t sysctls[NC_ENGINE_MAX_SYSCTLS];
	size_t n_sysctls;
	const char *env[NC_ENGINE_MAX_ENV]; /* "KEY=value" */
	size_t n_env;
	bool readonly_rootfs;
	bool cap_drop_all;
	bool no_new_privileges;
	bool tty;
	/* the capture agent's (run-agent.c): the engine host's pids, the
	 * capabilities it needs and nothing more, a stdin to attach to */
	const char *pid_mode;                        /* "host" */
	const char *cap_add[NC_ENGINE_MAX_CAP_ADD];  /* "NET_RAW", ... */
	size_t n_cap_add;
	bool open_stdin;                             /* OpenStdin, AttachStdin/out/err */
} nc_container_spec_t;

/* A container as GET /containers/json lists it. */
typedef struct nc_container_summary {
	char id[NC_ENGINE_ID_MAX];
	char name[NC_ENGINE_NAME_MAX]; /* first of Names, without the leading '/' */
	char state[16];                /* "created", "running", "exited"... */
	int64_t created;               /* seconds since the epoch */
	char run[NC_ENGINE_LABEL_VALUE_MAX];   /* io.netcheck.run, "" when absent */
	char pid[32];                          /* io.netcheck.pid */
	char scope[NC_ENGINE_LABEL_VALUE_MAX]; /* io.netcheck.scope */
	bool keep;                             /* io.netcheck.keep is set (any value) */
	char service[NC_ENGINE_LABEL_VALUE_MAX]; /* com.docker.compose.service, "" when absent */
} nc_container_summary_t;

/* An image as GET /images/json lists it. */
#define NC_ENGINE_MAX_TAGS 8 /* RepoTags kept of one image */
typedef struct nc_image_summary {
	char id[NC_ENGINE_ID_MAX];                     /* "sha256:<64 hex>" */
	char tags[NC_ENGINE_MAX_TAGS][NC_ENGINE_NAME_MAX]; /* RepoTags: "repo:tag", as listed */
	size_t n_tags;
} nc_image_summary_t;

/* A running container as GET /containers/json lists it, with what a
 * connection to one of its host bindings reaches: the bindings (Ports)
 * and its address on each network. */
typedef struct nc_container_listed {
	char id[NC_ENGINE_ID_MAX];
	char name[NC_ENGINE_NAME_MAX];   /* first of Names, without the leading '/' */
	nc_container_port_t ports[NC_ENGINE_MAX_PORTS]; /* host bindings only; host_ip "" every address */
	size_t n_ports;
	nc_container_network_t networks[NC_ENGINE_MAX_NETWORKS]; /* name, ip, ip6 (port 0) */
	size_t n_networks;
} nc_container_listed_t;

/* ---- networks ------------------------------------------------------------- */

typedef struct nc_network_info {
	char id[NC_ENGINE_ID_MAX];
	char name[NC_ENGINE_NAME_MAX];
	char driver[32];
	char scope[16];          /* "local", "swarm" */
	char bridge[16];         /* the host interface: Options["com.docker.network.bridge.name"],
				    else "br-" + the id's first 12 characters; "" for non-bridge drivers */
	char subnet4[64];        /* first IPv4 IPAM subnet, "" when none */
	char gateway4[64];
	char subnet6[64];        /* first IPv6 IPAM subnet */
	char gateway6[64];
	bool ipv6;               /* EnableIPv6 */
	bool internal;
	bool attachable;
} nc_network_info_t;

typedef struct nc_network_spec {
	const char *name;   /* required */
	const char *driver; /* NULL: "bridge" */
	bool attachable;
	bool ipv6;
	bool internal;
	nc_engine_kv_t labels[NC_ENGINE_MAX_LABELS];
	size_t n_labels;
} nc_network_spec_t;

/* ---- Swarm ------------------------------------------------------------------ */

typedef struct nc_swarm_info {
	char local_state[16];  /* Swarm.LocalNodeState: "inactive", "active", "pending", "error", "locked" */
	bool active;           /* local_state is "active" */
	bool manager;          /* Swarm.ControlAvailable */
	char node_id[NC_ENGINE_ID_MAX];
	char node_addr[64];
	char cluster_id[NC_ENGINE_ID_MAX]; /* from GET /swarm; "" unless manager */
} nc_swarm_info_t;

typedef struct nc_swarm_node {
	char id[NC_ENGINE_ID_MAX];
	char hostname[NC_ENGINE_NAME_MAX];
	char address[64];      /* Status.Addr */
	char role[16];         /* "manager", "worker" */
	char availability[16]; /* "active", "pause", "drain" */
	char state[16];        /* Status.State: "ready", "down"... */
} nc_swarm_node_t;

typedef enum nc_publish_mode {
	NC_PUBLISH_INGRESS = 0, /* the routing mesh: every node forwards */
	NC_PUBLISH_HOST,        /* only the node running the task listens */
} nc_publish_mode_t;

typedef struct nc_service_port_spec {
	uint16_t target_port;    /* in the container */
	uint16_t published_port; /* 0: the engine picks one */
	nc_engine_proto_t proto;
	nc_publish_mode_t mode;
} nc_service_port_spec_t;

/* Plain data for POST /services/create; a global service (one task per
 * node).  Every pointer is borrowed for the call. */
typedef struct nc_service_spec {
	const char *name;  /* required */
	const char *image; /* required; sent as given, never resolved to a digest */
	const char *cmd[NC_ENGINE_MAX_ARGS];
	size_t n_cmd;
	nc_engine_kv_t labels[NC_ENGINE_MAX_LABELS]; /* on the service and on its containers */
	size_t n_labels;
	nc_service_port_spec_t ports[NC_ENGINE_MAX_PORTS];
	size_t n_ports;
	const char *networks[NC_ENGINE_MAX_NETWORKS]; /* names or ids */
	size_t n_networks;
	bool dnsrr;        /* endpoint mode dnsrr (no virtual IP: no IPVS needed; no
			      ingress ports then), else vip */
} nc_service_spec_t;

typedef struct nc_swarm_task {
	char id[NC_ENGINE_ID_MAX];
	char node_id[NC_ENGINE_ID_MAX];
	char state[16];          /* Status.State: "new", "pending", "running", "failed"... */
	char desired_state[16];  /* DesiredState */
	char error[256];         /* Status.Err, "" when none */
	char container_id[NC_ENGINE_ID_MAX]; /* Status.ContainerStatus.ContainerID */
	int pid;                 /* Status.ContainerStatus.PID: among its node's engine's pids; 0 none */
	char addresses[NC_ENGINE_MAX_ADDRS][64]; /* NetworksAttachments[].Addresses, CIDR as given */
	char address_networks[NC_ENGINE_MAX_ADDRS][NC_ENGINE_ID_MAX]; /* the network id of each address */
	size_t n_addresses;
	uint16_t host_port;      /* Status.PortStatus: the first host-mode published TCP port; 0 none */
} nc_swarm_task_t;

/* ---- the typed calls ----------------------------------------------------- */

/* Images.  ref: "name:tag" or an id. */
int nc_engine_image_exists(nc_engine_t *e, const char *ref, nc_error_t *err); /* 1 yes, 0 no */
/* POST /images/create?fromSrc=-: imports tar (borrowed, tar_len bytes, a
 * root filesystem) as repo:tag, with changes (borrowed, n_changes Dockerfile
 * lines such as "CMD [\"/responder\"]"; may be NULL).  A failure the engine
 * reports inside its 200 progress stream comes back as NC_EENGINE. */
int nc_engine_image_import(nc_engine_t *e, const void *tar, size_t tar_len, const char *repo, const char *tag,
			   const char *const *changes, size_t n_changes, nc_error_t *err);
/* POST /images/load: tar (borrowed, tar_len bytes) is a `docker save`
 * archive (nc_image_build_archive()); its manifest names the tag.  A
 * failure reported inside the 200 stream comes back as NC_EENGINE. */
int nc_engine_image_load(nc_engine_t *e, const void *tar, size_t tar_len, nc_error_t *err);
/* The images with a tag in repository repo (GET /images/json, filter
 * reference=repo).  ret: borrowed, max entries; *ret_n: how many were
 * filled.  Returns the number the engine listed (may exceed max). */
int nc_engine_images_list(nc_engine_t *e, const char *repo, nc_image_summary_t *ret, size_t max, size_t *ret_n,
			  nc_error_t *err);
/* NC_ENOIMAGE when there is none; NC_ECONFLICT when a container uses it and !force */
int nc_engine_image_remove(nc_engine_t *e, const char *ref, bool force, nc_error_t *err);

/* Containers.  ret_id: borrowed, id_len bytes, gets the new id NUL-terminated.
 * NC_ENOIMAGE (no such image), NC_ECONFLICT (the name is taken), -EINVAL
 * (a spec the engine would misread: no image, a port 0). */
int nc_engine_container_create(nc_engine_t *e, const nc_container_spec_t *spec, char *ret_id, size_t id_len,
			       nc_error_t *err);
/* NC_EPORTTAKEN when a host port of the spec is allocated or in use; NC_EGONE */
int nc_engine_container_start(nc_engine_t *e, const char *id, nc_error_t *err);
/* A container's stdin and stdout/stderr as one raw stream (POST
 * /containers/ID/attach, upgraded), on a connection of its own: before
 * nc_engine_container_start() so nothing it writes is missed.  *ret_fd: new
 * (close it), CLOEXEC and non-blocking, -1 on error; what comes out of it is
 * framed by the engine: take it apart with nc_engine_demux_feed().
 * unix://, plain tcp:// and ssh:// engines (ssh: a child of its own, ended
 * with the engine); -ENOTSUP for TLS ones. */
int nc_engine_container_attach(nc_engine_t *e, const char *id, int *ret_fd, nc_error_t *err);
/* The engine's stdout/stderr framing, fed in pieces as read.  cb gets each
 * piece of payload with its stream (1 stdout, 2 stderr); a negative return
 * from it stops the feed and is returned.  -EPROTO on a bad frame header. */
typedef int (*nc_engine_demux_fn)(int stream, const uint8_t *bytes, size_t n, void *data);
typedef struct nc_engine_demux {
	uint8_t header[8];
	size_t header_len;
	uint32_t left; /* payload bytes of the current frame still to come */
	int stream;
} nc_engine_demux_t;
int nc_engine_demux_feed(nc_engine_demux_t *d, const uint8_t *in, size_t n, nc_engine_demux_fn cb, void *data);
/* container_port 0: ip.port and published_port describe the first published
 * TCP port.  NC_EGONE when there is no such container. */
int nc_engine_container_inspect(nc_engine_t *e, const char *id, uint16_t container_port, nc_container_info_t *ret,
				nc_error_t *err);
/* force: kill it if running; volumes: its anonymous volumes too.  A
 * container already gone or being removed counts as removed (0). */
int nc_engine_container_remove(nc_engine_t *e, const char *id, bool force, bool volumes, nc_error_t *err);
/* The last tail_lines lines (0: all) of stdout and stderr, interleaved as
 * written, demultiplexed for a non-TTY container; ret_buf: borrowed, len
 * bytes, gets at most len - 1 bytes and a NUL (the newest bytes when there is
 * more).  Returns the byte count.  The engine's whole answer is bounded by
 * NC_ENGINE_MAX_RESPONSE: with tail_lines 0 a long log gives NC_ETOOBIG. */
int nc_engine_container_logs(nc_engine_t *e, const char *id, unsigned tail_lines, char *ret_buf, size_t len,
			     nc_error_t *err);
/* All containers (running or not) carrying label_filter ("key" or
 * "key=value").  ret: borrowed, max entries; *ret_n: how many were filled.
 * Returns the number the engine listed (may exceed max: the rest are
 * dropped). */
int nc_engine_containers_list(nc_engine_t *e, const char *label_filter, nc_container_summary_t *ret, size_t max,
			      size_t *ret_n, nc_error_t *err);
/* How many containers (running or not) run image ref or an image built on
 * it (filter ancestor=ref), or a negative errno. */
int nc_engine_containers_using(nc_engine_t *e, const char *ref, nc_error_t *err);

/* The running containers that publish host port host_port over proto, on
 * any host address (the engine's `publish` filter): what a connection to
 * that port may reach.  ret: borrowed, max entries; *ret_n: how many were
 * filled.  Returns the number the engine listed. */
int nc_engine_containers_publishing(nc_engine_t *e, uint16_t host_port, nc_engine_proto_t proto,
				    nc_container_listed_t *ret, size_t max, size_t *ret_n, nc_error_t *err);

/* Networks.  name: a name or id.  NC_EGONE when there is none. */
int nc_engine_network_inspect(nc_engine_t *e, const char *name, nc_network_info_t *ret, nc_error_t *err);
/* ret_id: borrowed, id_len bytes.  NC_ECONFLICT when the name is taken. */
int nc_engine_network_create(nc_engine_t *e, const nc_network_spec_t *spec, char *ret_id, size_t id_len,
			     nc_error_t *err);
/* A network already gone counts as removed (0); NC_ECONFLICT while containers are on it. */
int nc_engine_network_remove(nc_engine_t *e, const char *name, nc_error_t *err);

/* Several reads at once.  The reads a run makes before it creates
 * anything depend on none of one another: nc_engine_survey() sends them
 * together, each on a connection of its own, and takes as long as the
 * slowest instead of their sum.  The caller says what to read; each read
 * has its own outcome, what its one-call counterpart returns (image: 1
 * there, 0 not), with its text in its err.  A read not asked: result 0,
 * answer zeroed.  Returns 0, or a negative errno when nothing was sent. */
typedef struct nc_engine_survey {
	/* asked; all borrowed for the call */
	bool want_info;                     /* nc_engine_info() */
	const char *image;                  /* nc_engine_image_exists() */
	const char *network;                /* nc_engine_network_inspect() */
	const char *label_filter;           /* nc_engine_containers_list(), into containers */
	nc_container_summary_t *containers; /* max_containers entries */
	size_t max_containers;
	/* answered */
	nc_engine_info_t info;
	nc_network_info_t network_info;
	size_t n_containers;
	int info_result, image_result, network_result, containers_result;
	nc_error_t info_err, image_err, network_err, containers_err;
} nc_engine_survey_t;
int nc_engine_survey(nc_engine_t *e, nc_engine_survey_t *s);
/* nc_engine_negotiate() and nc_engine_survey() in one round: the reads go
 * with GET /_ping, unversioned (the engine answers them at its own API
 * version), so the run does not wait for the version first.  /_ping's
 * headers give the API version, the engine's version and whether it is
 * Podman; ret's other fields stay empty (but Docker Desktop's product
 * name, from /info when asked).  An engine whose /_ping names no API
 * version is asked /version, and one newer than NC_ENGINE_MAX_API gets the
 * reads again at the version agreed.  Returns as nc_engine_negotiate()
 * (the reads then answered as by nc_engine_survey()). */
int nc_engine_negotiate_survey(nc_engine_t *e, nc_engine_version_t *ret, nc_engine_survey_t *s, nc_error_t *err);

/* Swarm: GET /info's Swarm section, and GET /swarm on a manager. */
int nc_engine_swarm_inspect(nc_engine_t *e, nc_swarm_info_t *ret, nc_error_t *err);
/* ret: borrowed, max entries; returns how many the engine listed (manager only) */
int nc_engine_nodes_list(nc_engine_t *e, nc_swarm_node_t *ret, size_t max, size_t *ret_n, nc_error_t *err);
/* Creates a global service.  Never asks the engine to resolve the image to
 * a registry digest: no X-Registry-Auth, and always a versioned path of API
 * 1.30 or later (dockerd queries the registry for older versions), so
 * -ENOTSUP unless nc_engine_negotiate() agreed on 1.30+. */
int nc_engine_service_create(nc_engine_t *e, const nc_service_spec_t *spec, char *ret_id, size_t id_len,
			     nc_error_t *err);
/* A service already gone counts as removed (0). */
int nc_engine_service_remove(nc_engine_t *e, const char *id, nc_error_t *err);
/* Services and networks carrying label_filter, as container summaries
 * (id, name, netcheck's labels; created 0).  Listing services on an
 * engine that is no swarm manager fails (the engine answers 503). */
int nc_engine_services_list(nc_engine_t *e, const char *label_filter, nc_container_summary_t *ret, size_t max,
			    size_t *ret_n, nc_error_t *err);
int nc_engine_networks_list(nc_engine_t *e, const char *label_filter, nc_container_summary_t *ret, size_t max,
			    size_t *ret_n, nc_error_t *err);
/* The tasks of service_id.  ret: borrowed, max entries; returns how many the engine listed. */
int nc_engine_tasks_list(nc_engine_t *e, const char *service_id, nc_swarm_task_t *ret, size_t max, size_t *ret_n,
			 nc_error_t *err);

/* Parsers for recorded answers (tests, fuzzers): text (borrowed, len bytes) → struct. */
int nc_engine_parse_version_text(const char *text, size_t len, nc_engine_version_t *ret, nc_error_t *err);
int nc_engine_parse_info_text(const char *text, size_t len, nc_engine_info_t *ret, nc_error_t *err);
int nc_engine_parse_inspect_text(const char *text, size_t len, uint16_t container_port, nc_container_info_t *ret,
				 nc_error_t *err);
int nc_engine_parse_network_text(const char *text, size_t len, nc_network_info_t *ret, nc_error_t *err);
/* Demultiplexes a logs answer (raw: borrowed, len bytes) of a non-TTY
 * container (8-byte frame headers: stream, 0, 0, 0, big-endian size), or
 * copies it when tty.  ret_buf: borrowed, buf_len bytes; keeps the newest
 * bytes when they do not fit, NUL-terminated.  Returns the byte count, or
 * NC_EPROTO for a frame that runs past the end. */
int nc_engine_parse_logs_text(const char *raw, size_t len, bool tty, char *ret_buf, size_t buf_len);


#endif
