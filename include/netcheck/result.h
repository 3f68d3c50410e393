/* netcheck: the result model.
 *
 * Owns everything a run found: the environment, the test container, one
 * nc_path_t per probed path with its verdict, mechanism, forwarder, the
 * responder's view, timings and the packet evidence (hops and packets).
 * Probes and capture fill it; report-text.c and report-json.c render it;
 * nc_result_exit_code() is the one place the exit code is decided.
 *
 * nc_result_t is opaque.  nc_path_t and the small structs are plain data
 * (like libpcap's struct pcap_stat): reporters read them directly. */
#ifndef NETCHECK_RESULT_H
#define NETCHECK_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/endpoint.h"
#include "netcheck/packet.h"

/* Exit codes (sysexits.h values where one fits). */
enum {
	NC_EXIT_OK = 0,           /* every path behaved as expected */
	NC_EXIT_UNEXPECTED = 1,   /* at least one path did not */
	NC_EXIT_USAGE = 64,       /* bad command line */
	NC_EXIT_ENGINE = 69,      /* engine unreachable or unusable */
	NC_EXIT_INTERNAL = 70,    /* internal error */
	NC_EXIT_NOPERM = 77,      /* a privilege a requested step needs is missing */
	NC_EXIT_SIGINT = 130,
	NC_EXIT_SIGTERM = 143,
};

typedef enum nc_path_kind {
	NC_PATH_DIRECT_ICMP = 0,
	NC_PATH_DIRECT_TCP,
	NC_PATH_PUBLISHED_LOOPBACK,
	NC_PATH_PUBLISHED_LOOPBACK6,
	NC_PATH_PUBLISHED_HOST,
	NC_PATH_KIND_COUNT,
} nc_path_kind_t;

typedef enum nc_verdict {
	NC_VERDICT_REACHABLE = 0,
	NC_VERDICT_UNREACHABLE,
	NC_VERDICT_UNROUTABLE,
	NC_VERDICT_REFUSED,
	NC_VERDICT_TIMEOUT,
	NC_VERDICT_SKIPPED,
	NC_VERDICT_COUNT,
} nc_verdict_t;

typedef enum nc_mechanism {
	NC_MECH_DIRECT = 0,
	NC_MECH_NAT,
	NC_MECH_PROXY,
	NC_MECH_OUT_OF_SIGHT,
	NC_MECH_NONE,
	NC_MECH_COUNT,
} nc_mechanism_t;

typedef enum nc_env_kind {
	NC_ENV_UNKNOWN = 0,
	NC_ENV_NATIVE_LINUX,    /* container network attached to this host */
	NC_ENV_DOCKER_DESKTOP,  /* containers in a VM */
	NC_ENV_ROOTLESS_DOCKER,
	NC_ENV_ROOTLESS_PODMAN,
	NC_ENV_PODMAN,          /* rootful podman: attached like native */
	NC_ENV_NOT_ATTACHED,    /* bridge is not an interface of this netns */
	NC_ENV_KIND_COUNT,
} nc_env_kind_t;

typedef enum nc_evidence_state {
	NC_EVIDENCE_NOT_CAPTURED = 0, /* capture off or not permitted */
	NC_EVIDENCE_CAPTURED,
} nc_evidence_state_t;

/* What a path is expected to do; mechanisms is a bit set of 1u << nc_mechanism_t. */
typedef struct nc_expectation {
	nc_verdict_t verdict;
	unsigned mechanisms; /* 0 = any */
	bool overridden;     /* set by --expect */
	bool verdict_set, mechanisms_set; /* which fields --expect named */
} nc_expectation_t;

typedef struct nc_timings {
	double connect_ms;    /* < 0: not measured */
	double first_byte_ms;
	double total_ms;
} nc_timings_t;

typedef struct nc_forwarder {
	char name[64]; /* comm of the listening process, e.g. "docker-proxy" */
	int pid;       /* 0 = unknown */
} nc_forwarder_t;

#define NC_POINT_NAME_MAX 64
#define NC_LEG_MAX 32

/* One hop of a path's trail: one direction of one connection at one capture point. */
typedef struct nc_hop {
	char capture_point[NC_POINT_NAME_MAX]; /* interface name as captured */
	char leg[NC_LEG_MAX]; /* "client", "translated", "proxy-to-container" */
	nc_direction_t direction;
	nc_endpoint_t src, dst;
	uint64_t first_ns, last_ns;
	uint32_t packets;
} nc_hop_t;

/* One packet as listed by -v: a summary, not the bytes. */
typedef struct nc_packet_summary {
	uint64_t ts_ns;
	char capture_point[NC_POINT_NAME_MAX];
	char leg[NC_LEG_MAX];
	nc_direction_t direction;
	uint8_t proto;
	nc_endpoint_t src, dst;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint32_t length;
} nc_packet_summary_t;

#define NC_NONCE_MAX 40
#define NC_DETAIL_MAX 256
#define NC_NAME_MAX 256

typedef struct nc_path {
	nc_path_kind_t kind;
	nc_endpoint_t target;     /* what was dialled */
	nc_endpoint_t local;      /* our socket's local address (TCP) */
	nc_verdict_t verdict;
	nc_mechanism_t mechanism;
	bool has_forwarder;
	nc_forwarder_t forwarder;
	nc_endpoint_t peer_seen;  /* peer address the responder saw; unset if none */
	char answered_by[NC_NAME_MAX]; /* responder hostname (container id prefix) */
	bool foreign_responder;   /* answered by a container that is not ours */
	char nonce[NC_NONCE_MAX];
	char route[NC_DETAIL_MAX];  /* route found before a direct probe */
	char detail[NC_DETAIL_MAX]; /* skip reason, error, plain-words note */
	nc_timings_t timings;
	nc_expectation_t expectation;
	bool expected;            /* computed by nc_result_evaluate() */

	nc_evidence_state_t evidence_state;
	nc_hop_t *hops;           /* owned; n_hops entries, in trail order */
	size_t n_hops;
	nc_packet_summary_t *packets; /* owned; time order */
	size_t n_packets;
} nc_path_t;

typedef struct nc_environment {
	nc_env_kind_t kind;
	char engine_url[NC_DETAIL_MAX];
	char engine_name[NC_NAME_MAX];    /* "Docker Engine", "Podman Engine", ... */
	char engine_version[64];
	char api_version[16];
	char os[NC_NAME_MAX];             /* engine's OperatingSystem */
	bool rootless;
	nc_endpoint_t host_address;       /* source address of the default route */
	char host_interface[NC_POINT_NAME_MAX];
	char bridge[NC_POINT_NAME_MAX];   /* container bridge on this host, if any */
	bool bridge_attached;
	char capture_note[NC_DETAIL_MAX]; /* why capture is off, if it is */
	bool privileges_dropped;          /* capabilities cleared before the probes */
	struct nc_capture_point_summary {
		char name[NC_POINT_NAME_MAX];
		char description[128];
		uint64_t packets;             /* stored for this run (netcheck capture: written) */
		uint64_t received, dropped;   /* pcap_stats */
		uint64_t not_stored;          /* read but over the per-run storage cap (netcheck capture: not written) */
	} capture_points[16];
	size_t n_capture_points;
	bool capture_count_reached;       /* netcheck capture -c COUNT: stopped after COUNT packets */
} nc_environment_t;

typedef struct nc_container {
	char id[80];
	char name[NC_NAME_MAX];
	char image[NC_NAME_MAX];
	char run_id[40];
	nc_endpoint_t ip;                 /* container IP + container port */
	uint16_t published_port;          /* host port */
	uint16_t published_port6;         /* host port on IPv6; 0 = none */
	int pid;                          /* State.Pid */
	char bridge[NC_POINT_NAME_MAX];
	char veth[NC_POINT_NAME_MAX];
	bool removed;
	bool kept;
	unsigned stale_removed;           /* containers of dead runs removed first */
} nc_container_t;

typedef struct nc_result nc_result_t;

/* returns: new, or NULL on ENOMEM */
nc_result_t *nc_result_new(void);
void nc_result_free(nc_result_t *r); /* NULL is a no-op */

/* borrowed, valid until nc_result_free() */
nc_environment_t *nc_result_environment(nc_result_t *r);
nc_container_t *nc_result_container(nc_result_t *r);
const nc_environment_t *nc_result_environment_const(const nc_result_t *r);
const nc_container_t *nc_result_container_const(const nc_result_t *r);

/* Adds a path of that kind (once per kind; -EEXIST after).  ret_path:
 * borrowed, valid until nc_result_free(). */
int nc_result_add_path(nc_result_t *r, nc_path_kind_t kind, const nc_endpoint_t *target, nc_path_t **ret_path);
size_t nc_result_path_count(const nc_result_t *r);
/* borrowed; NULL when i is out of range */
nc_path_t *nc_result_path(nc_result_t *r, size_t i);
const nc_path_t *nc_result_path_const(const nc_result_t *r, size_t i);
nc_path_t *nc_result_path_by_kind(nc_result_t *r, nc_path_kind_t kind);

/* evidence: copies *hop / *pkt into the path (grows; bounded by NC_MAX_*). */
#define NC_MAX_HOPS 64
#define NC_MAX_PACKETS_PER_PATH 512
int nc_path_add_hop(nc_path_t *p, const nc_hop_t *hop);
int nc_path_add_packet(nc_path_t *p, const nc_packet_summary_t *pkt);
void nc_path_set_detail(nc_path_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The expectation table: what each path should do in each environment. */
nc_expectation_t nc_expectation_for(nc_env_kind_t env, nc_path_kind_t path);
/* Fill each path's expectation from the table, unless overridden. */
void nc_result_apply_expectations(nc_result_t *r);
/* --expect PATH=VALUE[,...]: PATH a path name or group (direct, published),
 * VALUE a verdict or mechanism name.  Returns 0 or -EINVAL with err set. */
struct nc_error;
int nc_result_parse_expect(nc_result_t *r, const char *spec, struct nc_error *err);
/* Sets each path's `expected`; returns how many did not behave as expected. */
size_t nc_result_evaluate(nc_result_t *r);

/* The exit code of a run: status is 0 if the run completed, else the
 * negative error that stopped it (mapped: engine errors → 69, EPERM → 77,
 * NC_ECANCELED → 130/143 by signal, others → 70). */
void nc_result_set_exit_code(nc_result_t *r, int code);
int nc_result_exit_code(const nc_result_t *r);
int nc_exit_code_for(const nc_result_t *r, int status, int signal_received);

/* the names used in JSON and the terminal; NULL for out-of-range */
const char *nc_path_kind_name(nc_path_kind_t k);
const char *nc_verdict_name(nc_verdict_t v);
const char *nc_mechanism_name(nc_mechanism_t m);
const char *nc_env_kind_name(nc_env_kind_t k);
const char *nc_direction_name(nc_direction_t d);
/* name → value; -EINVAL if unknown */
int nc_path_kind_from_name(const char *name, nc_path_kind_t *ret);
int nc_verdict_from_name(const char *name, nc_verdict_t *ret);
int nc_mechanism_from_name(const char *name, nc_mechanism_t *ret);

#endif
