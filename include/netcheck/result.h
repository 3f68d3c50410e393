/* netcheck: the result model.
 *
 * Owns everything a run found: the environment, the test container, one
 * nc_path_t per probed path with its verdict, mechanism, forwarder, the
 * responder's view, timings and the packet evidence (hops and packets).
 * Probes and capture fill it, the policy room (netcheck/policy.h) decides
 * from it, the reporters render it.  Data only: the model calls nothing.
 *
 * nc_result_t is opaque.  nc_path_t and the small structs are plain data
 * (like libpcap's struct pcap_stat): reporters read them directly. */
#ifndef NETCHECK_RESULT_H
#define NETCHECK_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/facts.h"

/* Exit codes (sysexits.h values where one fits). */
enum {
	NC_EXIT_OK = 0,           /* every path behaved as expected */
	NC_EXIT_UNEXPECTED = 1,   /* at least one path did not */
	NC_EXIT_USAGE = 64,       /* bad command line */
	NC_EXIT_ENGINE = 69,      /* engine unreachable or unusable */
	NC_EXIT_INTERNAL = 70,    /* internal error */
	NC_EXIT_CANTCREAT = 73,   /* an output file cannot be created (sysexits EX_CANTCREAT) */
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
	NC_PATH_DIRECT_ICMP6,          /* the container's IPv6 address */
	NC_PATH_DIRECT_TCP6,
	NC_PATH_DIRECT_UDP,
	NC_PATH_PUBLISHED_LOOPBACK_UDP,
	NC_PATH_PUBLISHED_HOST_UDP,
	NC_PATH_CONTAINER_TO_HOST,     /* from inside the container to host.docker.internal */
	NC_PATH_CONTAINER_TO_CONTAINER,     /* --peer, by IP */
	NC_PATH_CONTAINER_TO_CONTAINER_DNS, /* --peer, by name */
	NC_PATH_PUBLISHED_REMOTE,      /* a client in netcheck's own namespace, through FORWARD */
	NC_PATH_PUBLISHED_REMOTE_UDP,  /* the same over UDP */
	NC_PATH_PUBLISHED_NODE,        /* swarm: a node's host-mode published port */
	NC_PATH_PUBLISHED_INGRESS,     /* swarm: the routing mesh */
	NC_PATH_TASK_TO_TASK,          /* swarm: overlay, first node's task to this node's */
	NC_PATH_TASK_TO_SERVICE_DNS,   /* swarm: tasks.<service> */
	NC_PATH_KIND_COUNT,
} nc_path_kind_t;

typedef enum nc_verdict {
	NC_VERDICT_REACHABLE = 0,
	NC_VERDICT_UNREACHABLE,
	NC_VERDICT_UNROUTABLE,
	NC_VERDICT_REFUSED,
	NC_VERDICT_TIMEOUT,
	NC_VERDICT_SKIPPED,
	NC_VERDICT_ERROR,     /* the probe could not be made (not a privilege: that is skipped) */
	NC_VERDICT_RESET,     /* connected, then reset by the far side at once */
	NC_VERDICT_COUNT,
} nc_verdict_t;

typedef enum nc_mechanism {
	NC_MECH_DIRECT = 0,
	NC_MECH_NAT,
	NC_MECH_PROXY,
	NC_MECH_OUT_OF_SIGHT,
	NC_MECH_NONE,
	NC_MECH_OVERLAY,    /* from a task to another node's: seen inside VXLAN between the nodes */
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

/* Why a path failed or surprised: decided in policy/diagnose.c, rendered by the
 * reporters (JSON "diagnosis": {"code", "detail", "hint"}). */
typedef enum nc_diag_code {
	NC_DIAG_NONE = 0,
	NC_DIAG_LISTENING_ON_LOOPBACK_ONLY, /* the app listens on 127.0.0.1 / ::1 in the container */
	NC_DIAG_NOT_LISTENING,              /* nothing listens on that port in the container */
	NC_DIAG_CONTAINER_EXITED,           /* the main process exited */
	NC_DIAG_NOT_PUBLISHED,              /* the port is not published */
	NC_DIAG_DROPPED,                    /* seen at one point, never at the next */
	NC_DIAG_RESET,                      /* reset: by the container's kernel or the forwarder */
	NC_DIAG_NO_ANSWER,                  /* connected, nothing came back in the window */
	NC_DIAG_SOURCE_ADDRESS_LOST,        /* kernel NAT rewrote the client's address */
	NC_DIAG_INPUT_FIREWALL_BYPASSED,    /* an INPUT drop that Docker's DNAT goes around */
	NC_DIAG_NAME_NOT_RESOLVED,          /* no embedded DNS (default bridge) or unknown name */
	NC_DIAG_NO_FORWARDER,               /* nothing forwards this address family / protocol */
	NC_DIAG_REJECTED,                   /* a firewall rule rejected it (the rule, from the nftables trace) */
	NC_DIAG_FORWARDING_DISABLED,        /* the host does not forward (ip_forward 0): the kernel dropped it */
	NC_DIAG_NEIGHBOUR_FAILED,           /* the next hop never answered ARP / neighbour discovery */
	NC_DIAG_KERNEL_DROP,                /* the kernel dropped it outside netfilter, for the reason it gave */
	NC_DIAG_UNEXPLAINED,                /* failed, and nothing observed explains it (observed: what was looked at) */
	NC_DIAG_CONTAINER_PAUSED,           /* docker pause: its processes are frozen */
	NC_DIAG_CONTAINER_RESTARTING,       /* between two runs of its restart policy (a crash loop) */
	NC_DIAG_STARTING,                   /* started moments ago and nothing listens yet */
	NC_DIAG_LISTENING_ON_IPV6_ONLY,     /* only an IPV6_V6ONLY socket on [::] for an IPv4 client */
	NC_DIAG_PUBLISHED_ELSEWHERE,        /* published on another host address than the one probed */
	NC_DIAG_INTERNAL_NETWORK,           /* on an --internal network: the engine publishes nothing there */
	NC_DIAG_ADDRESS_NOT_READY,          /* an IPv6 address on the route still tentative (DAD) */
	NC_DIAG_NO_NETWORK,                 /* --network none: the container has no interface but lo */
	NC_DIAG_HOST_NOT_REACHED,           /* host.docker.internal resolved, no connection arrived at netcheck's listener */
	NC_DIAG_OTHER_CONTAINER_ANSWERED,   /* a published path reached another container (the same host port on another address) */
	NC_DIAG_TASK_DOWN,                  /* swarm: the node's task is not running (its state, the engine's error), or the node has none */
	NC_DIAG_COUNT,
} nc_diag_code_t;

#define NC_DIAG_DETAIL_MAX 512
#define NC_DIAG_HINT_MAX 256

/* Where an observation comes from (JSON "source"). */
typedef enum nc_obs_source {
	NC_OBS_NFTRACE = 0,   /* the kernel's netfilter trace of the run's own packets */
	NC_OBS_DROP_REASON,   /* the kernel's drop reason for a packet of the run */
	NC_OBS_SOCKET,        /* a socket table: the container's listeners, the process on a port */
	NC_OBS_CONTAINER,     /* the container's state: running, exited (code), its last log lines */
	NC_OBS_CONNTRACK,     /* a conntrack entry of the run's flows */
	NC_OBS_CAPTURE,       /* where the path's packets were, and were not, captured */
	NC_OBS_SYSCTL,        /* a host setting that decides paths */
	NC_OBS_ROUTE,         /* the route to an address */
	NC_OBS_ENGINE,        /* what the engine says: published ports, networks */
	NC_OBS_RULESET,       /* the firewall ruleset as read (not traced): what it says of this connection */
	NC_OBS_SOURCE_COUNT,
} nc_obs_source_t;

#define NC_OBS_TEXT_MAX 256
#define NC_OBS_NAME_MAX 64

/* Where a capture point is, as the report says it: this host's namespace,
 * the engine host's (or its VM's) namespace seen through the capture agent,
 * or inside a container. */
typedef enum nc_point_where {
	NC_WHERE_HOST = 0,
	NC_WHERE_ENGINE,
	NC_WHERE_CONTAINER,
	NC_WHERE_COUNT,
} nc_point_where_t;

/* The legs of a path, as attribution finds them. */
typedef enum nc_leg {
	NC_LEG_NONE = 0,
	NC_LEG_CLIENT,     /* the probe's own 5-tuple, untranslated */
	NC_LEG_TRANSLATED, /* kernel NAT: same source port (and address, or a
			    * masquerade address with the client flow's sequence
			    * numbers), destination rewritten to the container
			    * ip:port; replies reversed */
	NC_LEG_PROXY_TO_CONTAINER, /* a forwarder's own connection to the
				    * container ip:port, matched by the probe's
				    * nonce, its relayed request bytes, or the time
				    * of its SYN (nc_attribute()): every packet of
				    * that 5-tuple, both directions */
	NC_LEG_ICMP,       /* echo request/reply with the probe's id */
	NC_LEG_CONTROL,    /* netcheck's own request to its responder for the
			    * probe (a relay's GET /connect): not the path's */
	NC_LEG_COUNT,
} nc_leg_t;

/* The kernel's conntrack entry of a path's own connection, looked up by
 * the probe's exact tuple after the probes (witness-conntrack.c): what the
 * client sent (orig) and what the server answers (reply), so a DNAT shows
 * as reply_src != orig_dst and a SNAT (masquerade) as reply_dst != orig_src,
 * read and not inferred.  Plain data; the policy says what it means. */
typedef struct nc_path_conntrack {
	bool looked;              /* the kernel was asked (the tuple known, the privilege held) */
	bool found;               /* it tracks the connection; the rest holds */
	uint8_t proto;            /* IPPROTO_TCP, IPPROTO_UDP */
	nc_endpoint_t orig_src, orig_dst;
	nc_endpoint_t reply_src, reply_dst;
	bool dnat, snat;          /* the kernel's IPS_DST_NAT, IPS_SRC_NAT */
	bool seen_reply;          /* a packet came back the reply way (IPS_SEEN_REPLY) */
	bool assured;             /* IPS_ASSURED */
	char state[16];           /* TCP state ("SYN_SENT", "TIME_WAIT"); "" for UDP */
	uint32_t timeout;         /* seconds the kernel keeps it */
} nc_path_conntrack_t;

/* One thing seen that a diagnosis rests on: its source, the sentence
 * (`text`) and the fields its source has (zero / "" when it has none).
 * Plain data: whoever saw it fills it, the policy picks what a diagnosis
 * cites, the reporters render it. */
typedef struct nc_observation {
	nc_obs_source_t source;
	char text[NC_OBS_TEXT_MAX];        /* what was seen, in words; never empty */
	/* nftrace, ruleset: the rule met */
	char family[8];                    /* "ip", "inet" */
	char table[NC_OBS_NAME_MAX];
	char chain[NC_OBS_NAME_MAX];
	uint64_t handle;                   /* the rule's handle; 0 = a chain's policy, or unknown */
	char rule[200];                    /* the rule's text */
	char verdict[16];                  /* "accept", "drop", "reject", "continue", ... */
	/* drop-reason */
	char reason[NC_OBS_NAME_MAX];      /* SKB_DROP_REASON_* without the prefix */
	char location[NC_OBS_NAME_MAX];    /* the kernel function */
	/* socket */
	nc_path_proto_t proto;
	nc_endpoint_t local;               /* the socket's address and port (family 0: unknown) */
	bool v6only;
	int pid;                           /* the process holding it; 0 unknown */
	char process[NC_OBS_NAME_MAX];
	/* container */
	char state[16];                    /* "running", "exited", "paused", ... */
	int exit_code;
	/* capture */
	char point[NC_OBS_NAME_MAX];       /* the capture point it speaks of (its unique name) */
	uint32_t packets;                  /* the path's packets seen there */
	nc_leg_t leg;                      /* the leg it speaks of; NC_LEG_NONE: all of the path's */
	/* sysctl */
	char name[NC_OBS_NAME_MAX];        /* "net.ipv4.ip_forward" */
	char value[32];
	/* conntrack */
	nc_path_conntrack_t conntrack;     /* the entry (.found false: none for the tuple) */
} nc_observation_t;

#define NC_DIAG_OBSERVED_MAX 8

typedef struct nc_diagnosis {
	nc_diag_code_t code;               /* NC_DIAG_NONE: nothing to say (JSON null) */
	char detail[NC_DIAG_DETAIL_MAX];   /* what was found, with the facts that show it */
	char hint[NC_DIAG_HINT_MAX];       /* what to do; may be empty */
	nc_observation_t observed[NC_DIAG_OBSERVED_MAX]; /* what it rests on, in order */
	size_t n_observed;
	bool observed_cut;                 /* more was seen than fits NC_DIAG_OBSERVED_MAX */
} nc_diagnosis_t;

/* Where packets were captured.  Each point has one unique name used
 * everywhere (text, JSON, the pcapng IDB if_name): see nc_point_name(). */
typedef enum nc_point_kind {
	NC_POINT_LOOPBACK = 0,     /* "lo" */
	NC_POINT_BRIDGE,           /* "docker0", "br-1a2b3c4d5e6f" */
	NC_POINT_VETH,             /* the container's host-side veth */
	NC_POINT_CONTAINER,        /* eth0 inside the container: "eth0@container"; a project's: "eth0@<service>" */
	NC_POINT_DEFAULT_ROUTE,    /* the host's default-route interface: must stay silent */
	NC_POINT_PEER_VETH,        /* --peer's host-side veth */
	NC_POINT_PEER_CONTAINER,   /* eth0 inside the peer: "eth0@peer" */
	NC_POINT_REMOTE,           /* the remote client's namespace: "veth@remote" */
	NC_POINT_REMOTE_HOST_SIDE, /* the host's end of the remote client's veth pair */
	NC_POINT_UPLINK,           /* --swarm: a node's own interface, "eth0@<node>": the overlay's outer packets */
	NC_POINT_OVERLAY,          /* --swarm: the overlay's VXLAN device in its namespace on a node: the inner ones */
	NC_POINT_KIND_COUNT,
} nc_point_kind_t;


typedef enum nc_evidence_state {
	NC_EVIDENCE_NOT_CAPTURED = 0, /* capture off or not permitted */
	NC_EVIDENCE_CAPTURED,
} nc_evidence_state_t;

/* What a path is expected to do: verdict, with one of mechanisms (a bit
 * set of 1u << nc_mechanism_t; 0 = any), or any of other_verdicts (a bit
 * set of 1u << nc_verdict_t, with any mechanism: `[reachable, unreachable]`,
 * `nat|unreachable`). */
typedef struct nc_expectation {
	nc_verdict_t verdict;
	unsigned mechanisms; /* 0 = any */
	unsigned other_verdicts; /* 0 = none */
	bool overridden;     /* set by --expect or --expect-file (in a rule: this rule is one) */
	bool verdict_set, mechanisms_set; /* which fields the rule named */
} nc_expectation_t;

/* Why a path did not behave as expected (the text report says it). */
typedef enum nc_unexpected {
	NC_UNEXPECTED_NONE = 0,    /* as expected */
	NC_UNEXPECTED_BEHAVIOUR,   /* its verdict or mechanism is not the expected one */
	NC_UNEXPECTED_FOREIGN,     /* as expected, but another container answered */
	NC_UNEXPECTED_WARNING,     /* as expected, but a warning diagnosis (its reason: nc_path_t.unexpected_reason) */
	NC_UNEXPECTED_UNSENT,      /* not sent, for the target's own configuration (its diagnosis says which) */
} nc_unexpected_t;
#define NC_UNEXPECTED_REASON_MAX 64

typedef struct nc_timings {
	double connect_ms;    /* < 0: not measured */
	double first_byte_ms;
	double total_ms;
} nc_timings_t;

#define NC_POINT_NAME_MAX 64
#define NC_LEG_MAX 32

/* One hop of a path's trail: one direction of one connection at one capture point. */
typedef struct nc_hop {
	char capture_point[NC_POINT_NAME_MAX]; /* the point's unique name */
	nc_leg_t leg;
	nc_direction_t direction;
	nc_endpoint_t src, dst;
	uint64_t first_ns, last_ns;
	uint32_t packets;
	/* src and dst are the inner packet's when it went encapsulated
	 * (VXLAN: an overlay between nodes); then these are the outer one's */
	bool encapsulated;
	nc_endpoint_t outer_src, outer_dst;
	uint32_t vni;
} nc_hop_t;

/* One packet as listed by -v: a summary, not the bytes. */
typedef struct nc_packet_summary {
	uint64_t ts_ns;
	char capture_point[NC_POINT_NAME_MAX];
	nc_leg_t leg;
	nc_direction_t direction;
	uint8_t proto;
	nc_endpoint_t src, dst;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint32_t length;     /* what tcpdump prints: TCP/UDP payload, whole ICMP message (nc_packet_t.wire_len) */
} nc_packet_summary_t;

/* container-to-host: how the container's connection came to netcheck's
 * listener on this host (the policy's, nc_classify_host_arrival()). */
typedef enum nc_arrival {
	NC_ARRIVAL_NONE = 0,   /* not that path, or nothing arrived */
	NC_ARRIVAL_DIRECT,     /* from the container's side of the route: the name led to the listener's own address */
	NC_ARRIVAL_FORWARDER,  /* from a process on this host (loopback peer): Desktop's backend, the lab's forwarder */
	NC_ARRIVAL_COUNT,
} nc_arrival_t;

#define NC_RESOLVED_MAX 64
#define NC_RESOLVED_BY_MAX 32

#define NC_NONCE_MAX 40
#define NC_DETAIL_MAX 256
#define NC_NAME_MAX 256
#define NC_PATH_NAME_MAX 96
#define NC_NETWORK_NAME_MAX 128
#define NC_BANNER_MAX 65 /* 64 bytes + NUL */
#define NC_KERNEL_RELEASE_MAX 65 /* utsname's release: 64 bytes + NUL */
#define NC_BOOT_ID_MAX 37        /* a boot id: a UUID's 36 characters + NUL */

typedef struct nc_path {
	nc_path_kind_t kind;
	char name[NC_PATH_NAME_MAX]; /* unique in the run: the kind's name, or
				      * "<kind>:<qualifier>" (port, network, node) */
	uint16_t container_port;  /* the port in the container this path reaches; 0 = none (ICMP) */
	char network[NC_NETWORK_NAME_MAX]; /* the container network the path uses, if one */
	char node[NC_NAME_MAX];   /* swarm: the node id this path belongs to; "" otherwise */
	char service[NC_NAME_MAX]; /* probe --project: the Compose service of its container; "" otherwise */
	char container[NC_NAME_MAX]; /* probe --project: the name of the container it reaches */
	nc_endpoint_t container_ip; /* probe --project: that container's address (its first network's),
				     * where a published path's packets arrive; unset otherwise */
	nc_endpoint_t target;     /* what was dialled */
	nc_endpoint_t local;      /* our socket's local address (TCP) */
	nc_verdict_t verdict;
	nc_mechanism_t mechanism;
	bool has_forwarder;
	nc_forwarder_t forwarder;
	nc_endpoint_t peer_seen;  /* peer address the responder saw; unset if none */
	char answered_by[NC_NAME_MAX]; /* responder hostname (container id prefix) */
	char answered_kernel[NC_KERNEL_RELEASE_MAX]; /* the kernel release netcheck's responder runs on; "" unsaid */
	char answered_boot_id[NC_BOOT_ID_MAX];       /* that kernel's boot id; "" unsaid */
	bool foreign_responder;   /* answered by a container that is not ours */
	/* paths from inside a container: the address the responder used and
	 * how it found it ("hosts", "dns 127.0.0.11", "literal"); "" none */
	char resolved[NC_RESOLVED_MAX];
	char resolved_by[NC_RESOLVED_BY_MAX];
	/* container-to-host: where the connection was to arrive here (the
	 * listener: target, on this interface), how many it answered, and how
	 * the policy reads the peer it saw */
	char arrival_interface[NC_POINT_NAME_MAX]; /* "" no listener */
	unsigned arrivals;        /* connections netcheck's listener answered (with arrival_interface set) */
	nc_arrival_t arrival;
	char nonce[NC_NONCE_MAX];
	char route[NC_DETAIL_MAX];  /* route found before a direct probe */
	char detail[NC_DETAIL_MAX]; /* skip reason, error, plain-words note */
	nc_timings_t timings;
	bool sent;                /* a probe was started for it (nc_probe_start()); a path "not sent" has a reason in detail */
	bool silent;              /* TCP: connected, and the service sent nothing in the banner window (the probe) */
	int probe_error;          /* the socket error the probe ended on (UV_E* / negative
				   * errno), for the policy to turn into a verdict; 0 none */
	bool loopback_published;  /* a remote path to a port published on the host's loopback only
				   * (-p 127.0.0.1:P:C): a remote client is not meant to reach it */
	nc_expectation_t expectation;
	bool expected;            /* decided by nc_expect_evaluate() */
	nc_unexpected_t unexpected; /* why not, when not (nc_expect_evaluate()) */
	/* NC_UNEXPECTED_WARNING: the warning diagnosis's reason in a few words
	 * ("the container is paused"; nc_expect_evaluate()); "" otherwise */
	char unexpected_reason[NC_UNEXPECTED_REASON_MAX];
	nc_diagnosis_t diagnosis; /* why it failed or surprised (policy/diagnose.c) */

	nc_evidence_state_t evidence_state;
	nc_hop_t *hops;           /* owned; n_hops entries, in trail order */
	size_t n_hops;
	nc_packet_summary_t *packets; /* owned; time order */
	size_t n_packets;

	int http_status;          /* status of the HTTP answer; 0: HTTP not asked, or no answer */
	char banner[NC_BANNER_MAX]; /* the first bytes a service sent unasked: printable ASCII, '.' for others */
	nc_path_conntrack_t conntrack; /* the kernel's entry of its connection; .found false: none read */
	nc_endpoint_t refused_by; /* UDP: the sender of the ICMP port unreachable that refused it (no port); unset none */
} nc_path_t;

/* Which kernel runs the container: this host's (the same boot id) or
 * another (a VM's, another machine's).  Facts from uname and
 * /proc/sys/kernel/random/boot_id here and in the responder's answer;
 * same_boot and meaning are the policy's (nc_classify_kernel()). */
typedef enum nc_same_boot {
	NC_SAME_BOOT_UNKNOWN = 0,         /* no answer said, or this host's is unreadable */
	NC_SAME_BOOT_YES,
	NC_SAME_BOOT_NO,
} nc_same_boot_t;

typedef struct nc_kernel {
	char host[NC_KERNEL_RELEASE_MAX];          /* this host's release; "" unread */
	char host_boot_id[NC_BOOT_ID_MAX];
	char container[NC_KERNEL_RELEASE_MAX];     /* the responder's; "" when no answer said */
	char container_boot_id[NC_BOOT_ID_MAX];
	nc_same_boot_t same_boot;
	char meaning[NC_DETAIL_MAX];               /* the sentence the text report prints */
} nc_kernel_t;

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
	char witness_note[NC_DETAIL_MAX]; /* what of the kernel's trace / drop reasons is missing, and why; "" all there */
	bool privileges_dropped;          /* capabilities cleared before the probes */
	nc_addr_readiness_t ipv6_ready;   /* the wait for IPv6 addresses to leave DAD before the probes (.checked: made) */
	struct nc_capture_point_summary {
		nc_point_kind_t kind;
		char name[NC_POINT_NAME_MAX]; /* unique: nc_point_name() */
		char description[128];
		uint64_t packets;             /* stored for this run (netcheck capture: written) */
		uint64_t received, dropped;   /* pcap_stats */
		uint64_t not_stored;          /* read but over the per-run storage cap (netcheck capture: not written) */
		uint64_t control_packets;     /* of packets: netcheck's own control connections (leg control) */
		nc_point_where_t where;       /* this host, the engine's side (the agent), a container */
		bool incomplete;              /* its reader (the agent) stopped before the run did */
		char node[80];                /* --swarm: the node whose agent captured it; "" elsewhere */
		char container[NC_NAME_MAX];  /* --project: the container whose veth or eth0 it is (nc_path_t.container); "" elsewhere */
	} capture_points[16];
	/* the capture agent on the engine's side (--capture-via) */
	bool agent_used;                  /* its points are among capture_points */
	bool agent_clock_known;
	int64_t agent_clock_offset_ns;    /* the agent's clock minus this host's; its times are corrected by it */
	uint64_t agent_clock_uncertainty_ns; /* half the shortest round trip of the samples */
	char agent_note[NC_DETAIL_MAX];   /* why the agent was not used, or what went wrong with it */
	size_t n_capture_points;
	bool capture_count_reached;       /* netcheck capture -c COUNT: stopped after COUNT packets */
	nc_kernel_t kernel;               /* this host's kernel and the container's */
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
	int engine_pid;                   /* State.Pid as the engine said it, in its own pid namespace (the capture agent's) */
	char bridge[NC_POINT_NAME_MAX];
	char veth[NC_POINT_NAME_MAX];
	bool removed;
	bool kept;
	char peer_id[80];                 /* --peer's container: "" when none */
	char peer_name[NC_NAME_MAX];
	bool peer_kept;                   /* --keep kept it too */
	bool user_container;              /* named by the user (netcheck probe): never changed */
	char from_id[80];                 /* probe A --to B: A, where the paths start (the record above is B); "" otherwise */
	char from_name[NC_NAME_MAX];
	unsigned stale_removed;           /* containers of dead runs removed first */
	char project[NC_NAME_MAX];        /* probe --project NAME: the Compose project; "" otherwise
					   * (then the record above is the project's last container) */
	unsigned project_left_out;        /* its running containers past NC_PROJECT_MAX: not probed */
} nc_container_t;

/* Running containers of one Compose project probed (in service order):
 * each brings its paths, and a result holds NC_MAX_PATHS of them. */
#define NC_PROJECT_MAX 16

#define NC_MAX_NODES 16

/* A swarm node as a --swarm run found it, with its task of netcheck's
 * global service. */
typedef struct nc_node {
	char id[80];                      /* the node's key everywhere (paths' node, reports) */
	char hostname[NC_NAME_MAX];
	char name[NC_NAME_MAX];           /* what reports and path names call it: nc_swarm_name_nodes() */
	nc_endpoint_t address;            /* Status.Addr (port 0) */
	char role[16];                    /* "manager", "worker" */
	char state[16];                   /* Status.State: "ready", "down", ... */
	char availability[16];            /* "active", "pause", "drain" */
	char engine_url[NC_DETAIL_MAX];   /* the --engine that is this node's; "" when none was given */
	bool image_loaded;                /* that engine holds netcheck's image: found there, or loaded by this run */
	char task_id[80];                 /* "" when the node got no task */
	char task_state[16];              /* its Status.State: "running", "rejected", ... */
	char task_error[NC_DETAIL_MAX];   /* the engine's reason when it is not running */
	nc_endpoint_t task_address;       /* on netcheck's overlay (port 0) */
	int task_pid;                     /* its container's pid among the node's engine's pids; 0 unknown */
	uint16_t host_port;               /* the task's host-mode published port; 0 none */
} nc_node_t;

/* What a --swarm run made and found; active is false for a single-host run. */
typedef struct nc_swarm {
	bool active;
	char node_id[80];                 /* the manager netcheck talked to */
	char service_id[80];
	char service_name[NC_NAME_MAX];
	char network_id[80];
	char network_name[NC_NAME_MAX];
	char subnet[64];                  /* the overlay's IPv4 subnet */
	char image[NC_NAME_MAX];          /* the image the service names ("sha256:..." for netcheck's) */
	uint16_t ingress_port;            /* the routing mesh's port; 0: none published */
	char ingress_note[NC_DETAIL_MAX]; /* why there is none */
	bool removed;                     /* service and network are gone again */
	nc_node_t nodes[NC_MAX_NODES];
	size_t n_nodes;
} nc_swarm_t;

/* Names every node of sw (nc_node_t.name): its hostname, or, where two
 * nodes share one (nodes cloned from one image), "<hostname>/<the first
 * NC_NODE_SHORT_ID characters of its id>" for each of them; a node
 * without a hostname is its short id.  Names are unique as long as ids
 * differ in their short prefix, which Swarm's random 25-character ids do. */
#define NC_NODE_SHORT_ID 12
void nc_swarm_name_nodes(nc_swarm_t *sw);

typedef struct nc_result nc_result_t;

/* returns: new, or NULL on ENOMEM */
nc_result_t *nc_result_new(void);
void nc_result_free(nc_result_t *r); /* NULL is a no-op */

/* borrowed, valid until nc_result_free() */
nc_environment_t *nc_result_environment(nc_result_t *r);
nc_container_t *nc_result_container(nc_result_t *r);
const nc_environment_t *nc_result_environment_const(const nc_result_t *r);
const nc_container_t *nc_result_container_const(const nc_result_t *r);
nc_swarm_t *nc_result_swarm(nc_result_t *r);
const nc_swarm_t *nc_result_swarm_const(const nc_result_t *r);

#define NC_MAX_PATHS 64

/* Adds a path of that kind; its name is the kind's name.  -EEXIST when a
 * path of that name exists, -ENOSPC past NC_MAX_PATHS, -ECANCELED when
 * the selection (--paths, --skip) leaves it out.  ret_path:
 * borrowed, valid until nc_result_free(). */
int nc_result_add_path(nc_result_t *r, nc_path_kind_t kind, const nc_endpoint_t *target, nc_path_t **ret_path);
/* The same, named "<kind>:<qualifier>" (qualifier: borrowed; NULL or ""
 * = the kind's name alone), for runs with several paths of one kind
 * (several ports, networks or nodes). */
int nc_result_add_path_named(nc_result_t *r, nc_path_kind_t kind, const char *qualifier,
			     const nc_endpoint_t *target, nc_path_t **ret_path);
/* borrowed; NULL when no path has that name */
nc_path_t *nc_result_path_by_name(nc_result_t *r, const char *name);
size_t nc_result_path_count(const nc_result_t *r);
/* Forgets every path (watch: before a cycle plans them again). */
void nc_result_clear_paths(nc_result_t *r);
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

/* The user's expectations, as rules: --expect-file's (its expect: mapping
 * and its environments: ones) and --expect's.  Filled by the policy
 * (nc_expect_parse(), nc_expect_file_parse()), applied by nc_expect_apply():
 * a later source beats an earlier one, and within one source a path's own
 * name beats a glob. */
typedef enum nc_expect_source {
	NC_EXPECT_FROM_FILE = 0,     /* --expect-file, its expect: mapping */
	NC_EXPECT_FROM_FILE_ENV,     /* --expect-file, environments: (the run's kind only) */
	NC_EXPECT_FROM_COMMAND_LINE, /* --expect */
	NC_EXPECT_SOURCE_COUNT,
} nc_expect_source_t;

#define NC_GLOB_MAX 96 /* bytes of one path glob, with its NUL */

typedef struct nc_expect_rule {
	char pattern[NC_GLOB_MAX];    /* a path's name, a kind's, a glob, or direct / published */
	nc_expect_source_t source;
	nc_env_kind_t env;            /* NC_EXPECT_FROM_FILE_ENV: where it applies */
	unsigned line;                /* its line in the file; 0 on the command line */
	nc_expectation_t expectation; /* verdict_set / mechanisms_set: what it names */
} nc_expect_rule_t;

#define NC_MAX_EXPECT_RULES 64
/* Copies *rule in; -ENOSPC past NC_MAX_EXPECT_RULES. */
int nc_result_add_expect_rule(nc_result_t *r, const nc_expect_rule_t *rule);
size_t nc_result_expect_rule_count(const nc_result_t *r);
/* borrowed, valid until nc_result_free(); NULL when i is out of range */
const nc_expect_rule_t *nc_result_expect_rule(const nc_result_t *r, size_t i);

/* --paths and --skip (netcheck/model/select.c): the user's choice of
 * paths.  A run adds no path it leaves out (nc_result_add_path_named()
 * answers -ECANCELED), so none is probed, planned or counted. */
#define NC_SELECT_MAX 16 /* globs per option */
typedef struct nc_selection {
	char paths[NC_SELECT_MAX][NC_GLOB_MAX]; /* none: every path */
	size_t n_paths;
	char skip[NC_SELECT_MAX][NC_GLOB_MAX];
	size_t n_skip;
} nc_selection_t;

/* borrowed, valid until nc_result_free(): empty unless filled */
nc_selection_t *nc_result_selection(nc_result_t *r);
const nc_selection_t *nc_result_selection_const(const nc_result_t *r);
/* Adds the globs of list ("GLOB[,GLOB...]", borrowed) to --paths (skip
 * false) or --skip; -EINVAL with err set (naming the option and the glob)
 * for an empty or overlong glob, too many, or one that matches no path
 * kind and no qualified name of one. */
int nc_selection_add(nc_selection_t *s, bool skip, const char *list, nc_error_t *err);
/* Whether a path of that kind and name (borrowed) is made: it matches a
 * --paths glob (or there is none) and no --skip glob. */
bool nc_path_selected(const nc_selection_t *s, nc_path_kind_t kind, const char *name);
/* fnmatch(3) of glob against the path's name or its kind's name */
bool nc_path_glob_matches(const char *glob, nc_path_kind_t kind, const char *name);
/* Whether glob matches a kind's name or could match a qualified name of
 * one ("<kind>:<qualifier>"): a glob for which this is false names
 * nothing netcheck ever probes. */
bool nc_path_glob_names_a_kind(const char *glob);
/* No glob characters: a path's or a kind's own name. */
bool nc_path_glob_is_exact(const char *glob);

/* The exit code the command ends with, as the reporters show it; -1 until
 * set (cli sets nc_exit_code()'s answer, policy.h, before rendering). */
void nc_result_set_exit_code(nc_result_t *r, int code);
int nc_result_exit_code(const nc_result_t *r);

/* Why the command failed, for reports written on every exit (the JSON
 * "error" object): status as for nc_exit_code(); message: borrowed,
 * copied (cut at NC_ERROR_MAX - 1 bytes); NULL = nc_strerror(status). */
void nc_result_set_error(nc_result_t *r, int code, const char *message);
/* borrowed, valid until nc_result_free() or the next set_error; NULL when
 * the command did not fail */
const char *nc_result_error(const nc_result_t *r);
/* the status given to nc_result_set_error(); 0 when none */
int nc_result_error_code(const nc_result_t *r);

/* Path groups: direct (to the container's address), published (through a
 * published port), and paths that start inside a container. */
bool nc_path_kind_is_direct(nc_path_kind_t k);
bool nc_path_kind_is_published(nc_path_kind_t k);
/* published-remote and published-remote-udp: from netcheck's remote-client namespace */
bool nc_path_kind_is_remote(nc_path_kind_t k);
bool nc_path_kind_from_container(nc_path_kind_t k);
nc_path_proto_t nc_path_kind_proto(nc_path_kind_t k);
/* A container on the host's network (docker run --network host): its
 * network mode (nc_container_facts_t.network_mode), or the network a path
 * of it names (nc_path_t.network), is "host".  NULL: false. */
bool nc_network_is_host(const char *network);

/* the names used in JSON and the terminal; NULL for out-of-range */
const char *nc_path_kind_name(nc_path_kind_t k);
const char *nc_verdict_name(nc_verdict_t v);
const char *nc_mechanism_name(nc_mechanism_t m);
const char *nc_arrival_name(nc_arrival_t a); /* "direct", "forwarder"; NULL for none */
const char *nc_env_kind_name(nc_env_kind_t k);
const char *nc_direction_name(nc_direction_t d);
const char *nc_diag_code_name(nc_diag_code_t c);
const char *nc_point_kind_name(nc_point_kind_t k);
/* One line each, in the user's words (`netcheck paths`, `netcheck explain`);
 * NULL for out-of-range. */
const char *nc_path_kind_meaning(nc_path_kind_t k);
const char *nc_diag_code_meaning(nc_diag_code_t c);
/* "none", "client", "translated", "proxy-to-container", "icmp"; NULL if out of range */
const char *nc_leg_name(nc_leg_t l);
int nc_leg_from_name(const char *name, nc_leg_t *ret);
/* The one place a capture point's name is made: "lo", "docker0",
 * "veth1a2b3c4", "eth0@container", "eth0@peer", "veth@remote"...
 * ifname: borrowed.  Returns buf. */
char *nc_point_name(nc_point_kind_t kind, const char *ifname, char *buf, size_t len);
/* The same for a point inside one of several containers (probe
 * --project): owner, whose namespace it is in the user's words (its
 * service, or its container's name where a service has several), replaces
 * "container": "eth0@web".  owner NULL or "": nc_point_name().  ifname,
 * owner: borrowed.  Returns buf. */
char *nc_point_name_of(nc_point_kind_t kind, const char *ifname, const char *owner, char *buf, size_t len);
/* "host", "engine", "container"; NULL if out of range */
const char *nc_point_where_name(nc_point_where_t w);
/* nc_point_name() for a point that may be on the engine's side: there an
 * interface of the engine host reads "docker0@engine", "veth1a2b@engine"
 * (never to be taken for this host's own docker0); a point inside a
 * container keeps its "@container" however it was reached. */
char *nc_point_name_at(nc_point_kind_t kind, nc_point_where_t where, const char *ifname, char *buf, size_t len);
/* Adds an observation of source to d, its text from fmt; the rest of it
 * is zero for the caller to fill.  returns: borrowed, valid as long as d;
 * NULL when d holds NC_DIAG_OBSERVED_MAX already (d->observed_cut is set). */
nc_observation_t *nc_diagnosis_observe(nc_diagnosis_t *d, nc_obs_source_t source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Clears d: no code, no text, no observation. */
void nc_diagnosis_clear(nc_diagnosis_t *d);
/* "nftrace", "drop-reason", "socket", "container", "conntrack", "capture",
 * "sysctl", "route", "engine", "ruleset"; NULL out of range */
const char *nc_obs_source_name(nc_obs_source_t s);
int nc_obs_source_from_name(const char *name, nc_obs_source_t *ret);
/* Sets the path's diagnosis (fmt for the detail; hint may be NULL); its
 * observations stay. */
void nc_path_diagnose(nc_path_t *p, nc_diag_code_t code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* name → value; -EINVAL if unknown */
int nc_path_kind_from_name(const char *name, nc_path_kind_t *ret);
int nc_verdict_from_name(const char *name, nc_verdict_t *ret);
int nc_mechanism_from_name(const char *name, nc_mechanism_t *ret);
int nc_diag_code_from_name(const char *name, nc_diag_code_t *ret);

#endif
