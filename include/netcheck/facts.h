/* netcheck: the facts the run stage records for the policy room to decide
 * from: the engine's words about itself, the route kind, the forwarder,
 * the container's socket table, the firewall ruleset's answers.
 *
 * Plain data of the model: no calls, no decisions.  The platform and
 * engine rooms produce some of these types (the route kind, a firewall
 * drop) so that run can hand them to the policy unchanged. */
#ifndef NETCHECK_FACTS_H
#define NETCHECK_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/endpoint.h"

typedef enum nc_path_proto { NC_PROTO_TCP = 0, NC_PROTO_UDP, NC_PROTO_ICMP } nc_path_proto_t;

/* What the engine says of itself (/version, /info), copied by run. */
typedef struct nc_engine_facts {
	char operating_system[128]; /* /info OperatingSystem: "Docker Desktop", "Debian GNU/Linux 12" */
	char platform_name[128];    /* /version Platform.Name: "Docker Desktop 4.25.0 (126437)" */
	bool rootless;              /* SecurityOptions has name=rootless */
	bool podman;                /* a component named "Podman Engine" */
} nc_engine_facts_t;

/* The kind of route the kernel chose to an address. */
typedef enum nc_route_kind {
	NC_ROUTE_NONE = 0,    /* no route at all */
	NC_ROUTE_ON_LINK,     /* through an interface whose network holds dst */
	NC_ROUTE_GATEWAY,     /* through a gateway: leaves this host */
	NC_ROUTE_LOCAL,       /* dst is one of this host's own addresses */
	NC_ROUTE_REJECT,      /* unreachable, prohibit or blackhole */
} nc_route_kind_t;

typedef struct nc_forwarder {
	char name[64]; /* comm of the listening process, e.g. "docker-proxy" */
	int pid;       /* 0 = unknown */
} nc_forwarder_t;

/* A socket in the container's own socket table. */
typedef struct nc_listener {
	nc_path_proto_t proto;
	nc_endpoint_t addr;  /* local address and port: 0.0.0.0, ::, 127.0.0.1, ... */
	bool v6only;         /* an AF_INET6 socket that takes no IPv4 (IPV6_V6ONLY); false when unknown */
} nc_listener_t;

#define NC_FW_NAME_MAX 64
#define NC_FW_RULE_MAX 200

/* Where the firewall ruleset drops a connection. */
typedef struct nc_fw_drop {
	char family[8];                 /* "ip", "inet" */
	char table[NC_FW_NAME_MAX];     /* "filter" */
	char chain[NC_FW_NAME_MAX];     /* the chain holding the rule: "DOCKER-USER", "ufw-user-input" */
	char base_chain[NC_FW_NAME_MAX]; /* the hooked chain it was reached from: "INPUT", "FORWARD" */
	bool reject;                    /* rejected (an answer comes back), not dropped */
	bool policy;                    /* the base chain's policy, no rule */
	bool conditional;               /* only for some clients: a rule names an interface or
					 * source the question left open */
	uint64_t handle;                /* the rule's handle; 0 for a policy */
	char rule[NC_FW_RULE_MAX];      /* the rule in nft's words, cut to fit: "tcp dport 8080 drop" */
} nc_fw_drop_t;

#define NC_FACT_TEXT_MAX 256

/* What the firewall ruleset says of published-remote: read before the
 * probes (netcheck still holds CAP_NET_ADMIN then), only in runs that
 * probe that path. */
typedef struct nc_diag_firewall {
	int status;                   /* 0: read; a negative errno: why not (-ENOTSUP: built without libnftables) */
	char error[NC_FACT_TEXT_MAX]; /* why not, in words */
	bool legacy_tables;           /* iptables-legacy tables exist: their rules were not read */
	uint16_t published_port;      /* the host port asked about */
	bool input_drop;              /* an input-hook chain drops remote clients on that port */
	nc_fw_drop_t input;
	bool forward_drop;            /* a forward-hook chain drops netcheck's remote client */
	nc_fw_drop_t forward;
	double read_ms;               /* what reading and asking took */
} nc_diag_firewall_t;

/* What is known of the target when a path fails.  Every pointer borrowed
 * for the call; absent facts are NULL / 0 / false. */
typedef struct nc_diag_facts {
	bool exited;                  /* the container's main process is gone */
	int exit_code;
	const char *last_logs;        /* its last log lines, one line each "| "-joined */
	bool have_listeners;          /* the socket table could be read */
	const nc_listener_t *listeners;
	size_t n_listeners;
	const uint16_t *published;    /* container ports with a host binding (this path's protocol); NULL = unknown */
	size_t n_published;
	nc_forwarder_t forwarder;     /* the process listening on the published port; pid 0 = none */
	const nc_diag_firewall_t *firewall; /* published-remote's firewall facts; NULL: not read */
} nc_diag_facts_t;

/* How the engine publishes a container port on IPv6 loopback, for the
 * decision whether published-loopback6 can be probed at all. */
typedef struct nc_publish_facts {
	uint16_t port;             /* the container port */
	uint16_t host_port4;       /* published on 0.0.0.0: the host port; 0 none */
	uint16_t host_port6;       /* published on [::]: the host port; 0 none */
	bool forwarder6_known;     /* whether a process listening on [::]:host_port6 was looked for */
	bool have_forwarder6;      /* one listens there */
} nc_publish_facts_t;

#endif
