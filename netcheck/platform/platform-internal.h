/* What the platform room's files share: the pure parsers its unit tests
 * (test-platform.c) feed recorded tables, and the netlink helper every
 * netlink request goes through.  Not part of the interface: nothing outside
 * platform-*.c and its tests includes this. */
#ifndef NETCHECK_PLATFORM_INTERNAL_H
#define NETCHECK_PLATFORM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

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

/* ---- netlink (platform-netlink.c, through libmnl) ----------------------- */

typedef struct nc_platform_nl nc_platform_nl_t; /* a netlink socket and its answer buffer */

/* A netlink socket of bus (NETLINK_ROUTE, NETLINK_SOCK_DIAG), close-on-exec,
 * with a 2 s receive timeout, made in the network namespace of pid
 * (0: the calling thread's; the thread is back in its own before this
 * returns).  *ret: new, nc_platform_nl_close().  0 or negative errno. */
int nc_platform_nl_open(int bus, int pid, nc_platform_nl_t **ret);
void nc_platform_nl_close(nc_platform_nl_t *nl); /* NULL is a no-op */

/* Requests are built in a buffer of this size (the largest, the veth pair,
 * takes about 100 bytes); attributes of a length a caller chose are added
 * with libmnl's _check variants against it. */
#define NC_PLATFORM_NL_REQUEST_MAX 1024
/* Starts a request of type in buf (borrowed, NC_PLATFORM_NL_REQUEST_MAX
 * bytes, zeroed here) with flags besides NLM_F_REQUEST and a zeroed family
 * header of header_len bytes (mnl_nlmsg_get_payload()).  returns: buf */
struct nlmsghdr *nc_platform_nl_request(void *buf, uint16_t type, uint16_t flags, size_t header_len);

/* Sends req (its sequence number set here) and hands every answer to it to
 * cb (libmnl's data callback; may be NULL) until the kernel acknowledges it
 * (NLM_F_ACK), a dump ends, or cb returns MNL_CB_STOP: a request without
 * an acknowledgement needs a cb that stops.  Answers to earlier requests
 * are skipped.  0, or negative errno: the kernel's, cb's (errno with
 * MNL_CB_ERROR), -EPROTO for malformed framing, -ETIMEDOUT. */
int nc_platform_nl_call(nc_platform_nl_t *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data);
/* How many requests nc_platform_nl_call() sent on nl (its last sequence
 * number), and the same for a's socket: what a call costs, for the tests. */
uint32_t nc_platform_nl_requests(const nc_platform_nl_t *nl);
uint32_t nc_platform_addrs_requests(const nc_platform_addrs_t *a);

/* One datagram of answers (buf: borrowed, len bytes) through cb, as
 * nc_platform_nl_call() reads them; seq 0 matches any (recorded answers).  1 when it ended the request (acknowledgement, NLMSG_DONE, or
 * cb's MNL_CB_STOP), 0 when more is to come, or negative errno as above. */
int nc_platform_nl_parse(const void *buf, size_t len, uint32_t seq, mnl_cb_t cb, void *data);

/* For a data callback: the family header of nh (borrowed, header_len
 * bytes) when nh is a message of type; NULL for another type, or, with
 * errno EPROTO, one too short to hold it.  The callback then returns
 * NC_PLATFORM_NL_SKIP_OR_FAIL(nh, type): skips the one, fails on the other. */
const void *nc_platform_nl_header(const struct nlmsghdr *nh, uint16_t type, size_t header_len);
#define NC_PLATFORM_NL_SKIP_OR_FAIL(nh, type) ((nh)->nlmsg_type == (type) ? MNL_CB_ERROR : MNL_CB_OK)

/* RTM_GETLINK for ifname on nl: its index and, for a veth, its peer's
 * (IFLA_LINK; its own index for a link without one).  Either may be NULL.
 * 0, -EINVAL for a name longer than IFNAMSIZ, or the kernel's -ENODEV. */
int nc_platform_nl_link(nc_platform_nl_t *nl, const char *ifname, int *ret_ifindex, int *ret_iflink);
/* The name of ifindex in nl's namespace (if_indextoname() knows only the
 * calling thread's): ret, NC_IFNAME_MAX bytes, "ifN" when it cannot be
 * named.  0 or the kernel's negative errno. */
int nc_platform_nl_link_name(nc_platform_nl_t *nl, int ifindex, char *ret);

/* One RTM_NEWADDR message (platform-addrs.c): 1 with *ret filled for an
 * IPv4 or IPv6 address (IFA_FLAGS' 32 bits where given, else ifa_flags),
 * 0 for another message or family, -EPROTO when
 * malformed.  Pure: the unit tests feed it built messages. */
int nc_platform_addr_from_msg(const struct nlmsghdr *nh, nc_platform_addr_t *ret);

#endif
