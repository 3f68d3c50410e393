/* netcheck: the platform interface: routes, interfaces, namespaces and
 * process lookup.  One small table of questions netcheck asks the host;
 * the Linux implementation is platform-linux.c, macOS and Windows files
 * compile only where their headers exist (libuv's src/unix/linux.c model).
 * Owns nothing beyond each call. Never prints. */
#ifndef NETCHECK_PLATFORM_H
#define NETCHECK_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/endpoint.h"
#include "netcheck/result.h"

#define NC_IFNAME_MAX 32

typedef enum nc_route_kind {
	NC_ROUTE_NONE = 0,    /* no route at all */
	NC_ROUTE_ON_LINK,     /* through an interface whose network holds dst */
	NC_ROUTE_GATEWAY,     /* through a gateway: leaves this host */
	NC_ROUTE_LOCAL,       /* dst is one of this host's own addresses */
	NC_ROUTE_REJECT,      /* unreachable, prohibit or blackhole */
} nc_route_kind_t;

typedef struct nc_route {
	nc_route_kind_t kind;
	char ifname[NC_IFNAME_MAX];
	int ifindex;
	nc_endpoint_t gateway;   /* set for NC_ROUTE_GATEWAY */
	nc_endpoint_t source;    /* preferred source address, if the kernel gave one */
	bool via_default;        /* matched the default route (prefix length 0) */
} nc_route_t;

/* Ask the kernel which route it would use for dst; sends no packet. */
int nc_platform_route_get(const nc_endpoint_t *dst, nc_route_t *ret);
/* "172.17.0.2 dev docker0 src 172.17.0.1" / "via 192.0.2.1 dev eth0" */
int nc_platform_route_format(const nc_endpoint_t *dst, const nc_route_t *rt, char *buf, size_t len);
/* The host's primary address: the preferred source of its default route
 * for family, and the interface it leaves through.  -ENETUNREACH if none. */
int nc_platform_primary_address(int family, nc_endpoint_t *ret_addr, char *ret_ifname, size_t ifname_len);
/* The process listening on TCP port (any local address, v4 or v6).
 * -ENOENT if none is found or it is not visible to us. */
int nc_platform_tcp_listener(uint16_t port, nc_forwarder_t *ret);
/* The same, on one family only: AF_INET reads /proc/net/tcp (where a
 * dual-stack socket does not appear), AF_INET6 /proc/net/tcp6. */
int nc_platform_tcp_listener_family(uint16_t port, int family, nc_forwarder_t *ret);
/* Is pid (as the engine reported it) a process of container id in our
 * PID namespace?  Its /proc/<pid>/cgroup must name the id. */
bool nc_platform_pid_is_container(int pid, const char *container_id);
int nc_platform_ifname(int ifindex, char *buf, size_t len);
/* iflink (peer ifindex) of ifname inside the network namespace of pid. */
int nc_platform_netns_iflink(int pid, const char *ifname, int *ret_iflink);

/* Clears every capability of this process (effective, permitted,
 * inheritable, ambient, and the bounding set) and sets no_new_privs, once
 * the capture handles and the ICMP socket are open.  keep_dac_override
 * keeps only CAP_DAC_OVERRIDE, for an engine socket that root reaches
 * through it (another user's rootless engine): without it the clean-up
 * could not reconnect.  0 or negative errno. */
int nc_platform_drop_privileges(bool keep_dac_override);
/* Does root reach this unix socket only through CAP_DAC_OVERRIDE? */
bool nc_platform_socket_needs_override(const char *path);
/* When run through sudo, give a file we created (fd: open on it) to the
 * invoking user (SUDO_UID/SUDO_GID); a no-op otherwise.  By fd, so a path
 * swapped for a symlink meanwhile changes nothing.  0 or negative errno. */
int nc_platform_give_to_invoking_user(int fd);

/* "Linux 6.1.0-18-amd64 x86_64" (uname), for the pcapng section header. */
int nc_platform_os_description(char *buf, size_t len);
/* "<boot id>/<pid namespace inode>": where a pid means this process. */
void nc_platform_owner_scope(char *buf, size_t len);
/* Is pid a live process whose command line names netcheck? */
bool nc_platform_process_is_netcheck(int pid);

/* A socket in a network namespace's table. */
typedef struct nc_platform_socket {
	int proto;             /* IPPROTO_TCP (listening) or IPPROTO_UDP (bound) */
	nc_endpoint_t local;   /* address and port */
} nc_platform_socket_t;

/* Every listening TCP and bound UDP socket in the network namespace of
 * pid.  ret: borrowed, max entries; *ret_n: how many were filled.
 * -ENOENT when that namespace's table is not visible to us. */
int nc_platform_netns_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *ret_n);

/* ==== remote client namespace (Linux: platform-netns.c) ====================
 * A network namespace "netcheck-<run id>" (bind-mounted under /run/netns, as
 * `ip netns add` does) joined to the host by a veth pair: "ncr<run id, 12
 * chars at most>" here, eth0 inside, 198.18.<a>.1/30 and .2/30 (RFC 2544's
 * benchmarking range, never routed; <a> from the run id, never 10).  Inside,
 * one host route to the host's primary address via .1 and no default route,
 * so a socket made there reaches this host as a remote client would: through
 * PREROUTING and FORWARD, not OUTPUT.  Nothing here sends a packet or touches
 * iptables; net.ipv4.ip_forward is set to 1 if it was 0, and put back. */
#include "netcheck/common.h" /* nc_error_t; here to keep this section in one block */

#define NC_REMOTE_NAME_MAX 64
#define NC_REMOTE_RUN_ID_MAX 40     /* [a-z0-9-] */
#define NC_REMOTE_NETNS_PREFIX "netcheck-"

typedef struct nc_platform_remote {
	char netns_name[NC_REMOTE_NAME_MAX];   /* "netcheck-<run id>"; "" = nothing to remove */
	char netns_path[NC_REMOTE_NAME_MAX + 16]; /* "/run/netns/netcheck-<run id>" */
	char host_ifname[NC_IFNAME_MAX];       /* "ncr<run id>", the host side of the veth */
	nc_endpoint_t client_address;          /* 198.18.<a>.2, eth0 inside */
	nc_endpoint_t host_side_address;       /* 198.18.<a>.1, on host_ifname */
	nc_endpoint_t host_address;            /* the host's primary address: what the client connects to */
	bool restore_ip_forward;               /* we set ip_forward 0 -> 1 */
} nc_platform_remote_t;

/* Is run_id usable in the names: 1 to NC_REMOTE_RUN_ID_MAX of [a-z0-9-]? */
bool nc_platform_remote_run_id_valid(const char *run_id);
/* The third octet <a> of 198.18.<a>.0/30 for run_id on the attempt-th try
 * (0 first; a taken subnet moves on): in 0..255, never 10 (the Swarm lab's
 * 198.18.10.0/24).  Pure.  -EINVAL for an invalid run id. */
int nc_platform_remote_subnet(const char *run_id, unsigned attempt);
/* Creates the namespace, the veth, the addresses and the route.  ret: filled
 * (zeroed first, so nc_platform_remote_destroy() on it is always safe); on
 * failure whatever was made is removed again.  Needs CAP_SYS_ADMIN and
 * CAP_NET_ADMIN.  0 or negative errno, with err->text saying what failed. */
int nc_platform_remote_create(const char *run_id, nc_platform_remote_t *ret, nc_error_t *err);
/* Removes the veth and the namespace, puts ip_forward back; idempotent
 * (clears r->netns_name).  r may be NULL. */
void nc_platform_remote_destroy(nc_platform_remote_t *r);
/* A new socket (type SOCK_STREAM or SOCK_DGRAM, AF_INET, non-blocking,
 * close-on-exec) made inside r's namespace, for uv_tcp_open/uv_udp_open.
 * The calling thread enters the namespace only for socket() and is back in
 * its own before this returns.  *ret_fd: new, the caller's.  0 or -errno. */
int nc_platform_remote_connect_fd(const nc_platform_remote_t *r, int type, int *ret_fd);
/* The netcheck-* namespaces under /run/netns (leftovers, for `netcheck gc`).
 * names: borrowed, max rows; *ret_n: how many were filled.  0 or -errno. */
int nc_platform_remote_list(char names[][NC_REMOTE_NAME_MAX], size_t max, size_t *ret_n);
/* Removes the namespace name ("netcheck-<run id>") and its host-side veth.
 * 0 (also when already gone) or negative errno; -EINVAL for another name. */
int nc_platform_remote_destroy_name(const char *name);
/* ==== end of remote client namespace ======================================= */

#endif
