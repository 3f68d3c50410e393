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

/* What the kernel was seen to do with one path's own packets (the
 * witness room's trace and drop reasons, copied by run). */
#define NC_WITNESS_DROPS_MAX 4
typedef struct nc_diag_kernel_drop {
	char reason[64];              /* "NO_SOCKET", "IP_INADDRERRORS", "NEIGH_FAILED"; a number when unnamed */
	char location[64];            /* "tcp_v4_rcv+0x1a0"; the address when unnamed */
	char text[NC_FACT_TEXT_MAX];  /* the sentence the witness made of it */
	unsigned packets;
	bool reply;                   /* of the answers, not the client's packets */
	/* the interface the kernel dropped it on (for a forwarded packet, the
	 * one it came in on), named when it is this host's namespace's; "" unknown */
	char ifname[16];              /* IFNAMSIZ */
	int forwarding;               /* that interface's net.ipv4.conf.<ifname>.forwarding: the kernel
				       * forwards what comes in by the ingress interface's own value,
				       * whatever conf/all says now; -1 unknown (read only with ifname) */
} nc_diag_kernel_drop_t;

typedef struct nc_diag_traced {
	bool traced;                  /* the trace covered this path's flow */
	unsigned passages;            /* distinct passages its packets took */
	bool nft_drop;                /* a rule or a base chain's policy ended one of its packets */
	nc_fw_drop_t rule;            /* that rule: family, table, chain, handle, text; reject, policy */
	char comment[NC_FW_RULE_MAX]; /* the rule's comment, unescaped; "" none */
	char verdict[16];             /* "drop", "reject", "policy drop" */
	bool nft_reply;               /* the packet dropped was an answer */
	unsigned nft_packets;         /* how many packets took that passage */
	size_t n_drops;               /* the kernel's drop reasons for its packets */
	nc_diag_kernel_drop_t drops[NC_WITNESS_DROPS_MAX];
	bool drops_cut;
} nc_diag_traced_t;

/* What the witness could look at in this run, whatever the path. */
typedef struct nc_diag_witness {
	int trace_status;             /* 0: traced; a negative errno: why not */
	char trace_error[NC_FACT_TEXT_MAX];
	unsigned trace_events;        /* trace events of the run's flows */
	int drop_status;              /* 0: drop reasons read; a negative errno: why not */
	char drop_error[NC_FACT_TEXT_MAX];
	unsigned drop_events;         /* drops of the run's flows */
	bool have_sysctls;            /* the settings below were read (-1: not there) */
	int ip_forward;               /* net.ipv4.ip_forward */
	int ip6_forward;              /* net.ipv6.conf.all.forwarding */
	int bridge_nf_call_iptables;  /* net.bridge.bridge-nf-call-iptables; -1: br_netfilter not loaded */
	int route_localnet;           /* net.ipv4.conf.all.route_localnet */
} nc_diag_witness_t;
/* The container's state and network mode as the engine reported them
 * when a path failed (inspect), and what run measured from them. */
typedef struct nc_container_facts {
	bool known;                  /* inspected: the rest holds */
	bool paused;                 /* its processes are frozen (docker pause) */
	bool restarting;             /* between two runs of its restart policy */
	bool oom_killed;             /* the OOM killer ended its last run */
	int restart_count;           /* restarts by its restart policy */
	double uptime_s;             /* since its main process started (StartedAt); < 0 unknown */
	char health[16];             /* its health check: "starting", "healthy", "unhealthy"; "" none */
	char network_mode[64];       /* "bridge", "default", "host", "none", "container:<id>", a network's name */
	bool internal;               /* a network it is on is --internal: the engine publishes nothing there */
	char internal_network[64];   /* that network's name */
} nc_container_facts_t;

/* One host binding of a container port, as the engine lists it. */
typedef struct nc_publish_binding {
	uint16_t container_port;
	nc_path_proto_t proto;       /* tcp or udp */
	char host_ip[64];            /* "0.0.0.0", "::", "127.0.0.1", one host address; "" every address */
	uint16_t host_port;
} nc_publish_binding_t;

/* Another running container that publishes a host port a path dialled,
 * as the engine lists it: what a connection to that port may reach
 * instead of the target.  Run lists them only when a reachable published
 * path was answered from where the target is not (nc_classify_answer_in_question()). */
#define NC_OTHER_BINDINGS_MAX 16
#define NC_OTHER_ADDRS_MAX 8
typedef struct nc_other_container {
	char id[72];                 /* the engine's id */
	char name[128];              /* its name, without Docker's leading '/' */
	nc_publish_binding_t bindings[NC_OTHER_BINDINGS_MAX]; /* its host bindings */
	size_t n_bindings;
	nc_endpoint_t addresses[NC_OTHER_ADDRS_MAX]; /* its address on each network (port 0) */
	size_t n_addresses;
} nc_other_container_t;

/* The wait for the IPv6 addresses on a path's route to leave DAD
 * (IFA_F_TENTATIVE), before the probes: the host's addresses on the
 * interface the route takes (the bridge) and the container's own. */
#define NC_READY_ADDRS_MAX 8
typedef struct nc_addr_state {
	nc_endpoint_t address;
	char ifname[32];             /* "br-0123456789ab"; the container's: "eth0" */
	bool container;              /* in the container's namespace, not the host's */
	uint32_t first_flags;        /* its IFA_F_* flags when first read */
	uint32_t flags;              /* when last read */
	bool was_tentative;          /* tentative when first read: waited for */
	bool dad_failed;             /* its duplicate address detection failed (when last read) */
	double ready_ms;             /* when it was first seen not tentative; < 0: never */
} nc_addr_state_t;

typedef struct nc_addr_readiness {
	bool checked;                /* the addresses were read (an IPv6 path was probed) */
	bool waited;                 /* some address was tentative when looked at */
	bool timed_out;              /* one still was at the bound */
	bool dad_failed;             /* one's duplicate address detection failed (IFA_F_DADFAILED) */
	double waited_ms;
	double bound_ms;             /* the bound of the wait (3000; NETCHECK_IPV6_WAIT_MS) */
	unsigned polls;              /* dumps read */
	char error[128];             /* what could not be read; "" all */
	nc_endpoint_t address;       /* the last one still tentative (timed_out) or failed, else the last waited for */
	char ifname[32];             /* its interface ("docker0", "eth0@container") */
	uint32_t flags;              /* its IFA_F_* flags when last read */
	nc_addr_state_t addresses[NC_READY_ADDRS_MAX]; /* every address looked at */
	size_t n_addresses;
	bool addresses_cut;          /* there were more */
} nc_addr_readiness_t;

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
	const nc_diag_witness_t *witness;   /* what the witness looked at; NULL: no witness in this run */
	const nc_diag_traced_t *traced;     /* this path's trace and drop reasons; NULL: not traced */
	nc_container_facts_t container; /* state and network mode; .known false: not inspected */
	const nc_publish_binding_t *bindings; /* every host binding, both protocols; NULL = unknown */
	size_t n_bindings;
	const nc_addr_readiness_t *ipv6_ready; /* the IPv6 readiness wait; NULL: none was made */
	/* the other running containers publishing a host port a reachable
	 * published path dialled (the target left out); NULL: not listed */
	const nc_other_container_t *others;
	size_t n_others;
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
