/* The platform module's pure parsers, shared by platform-linux.c and its
 * unit tests (netcheck/test-platform.c), which feed them recorded tables.
 * Not part of the interface: nothing outside platform-*.c and its tests
 * includes this. */
#ifndef NETCHECK_PLATFORM_INTERNAL_H
#define NETCHECK_PLATFORM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "netcheck/platform.h"

/* One /proc/net/{tcp,tcp6,udp,udp6} text (family AF_INET or AF_INET6,
 * proto IPPROTO_TCP or IPPROTO_UDP): appends TCP sockets in LISTEN, and
 * UDP sockets bound to a port, to ret[*n..max).  text need not be
 * NUL-terminated; lines that do not parse are skipped.  0, or -E2BIG
 * when max was reached with lines left. */
int nc_platform_parse_proc_net(const char *text, size_t len, int family, uint8_t proto,
			       nc_platform_socket_t *ret, size_t max, size_t *n);

/* One recv() of a NETLINK_SOCK_DIAG dump answer (inet_diag_msg messages)
 * for proto: appends each socket to ret[*n..max).  Returns 1 when the
 * dump's NLMSG_DONE was in buf, 0 when more is to come, -E2BIG when max
 * was reached, the kernel's negative errno for an NLMSG_ERROR, or -EPROTO
 * for a malformed message. */
int nc_platform_parse_sock_diag(const void *buf, size_t len, uint8_t proto, nc_platform_socket_t *ret, size_t max,
				size_t *n);

/* A NETLINK_ROUTE socket (close-on-exec, 2 s receive timeout) in the
 * calling thread's network namespace.  returns: new fd, or negative errno. */
int nc_platform_nl_open(void);

#endif
