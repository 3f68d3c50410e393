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
/* The width in columns of the terminal fd is, or a negative errno
 * (-ENOTTY when fd is not a terminal, -ENOTSUP where there is no way to ask). */
int nc_platform_terminal_width(int fd);

#endif
