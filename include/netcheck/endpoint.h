/* netcheck: an IP address and port, the unit every module talks in.
 * Plain data; owns nothing. */
#ifndef NETCHECK_ENDPOINT_H
#define NETCHECK_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef _WIN32
#include <winsock2.h> /* in_addr, sockaddr_storage: mingw has no netinet/ */
#include <ws2tcpip.h>  /* in6_addr, socklen_t */
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#define NC_ENDPOINT_STRLEN 64 /* "[v6]:port" fits */

/* family AF_INET or AF_INET6; 0 = unset */
typedef struct nc_endpoint {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port; /* host order; for ICMP the echo identifier */
} nc_endpoint_t;

/* Which way a packet crossed an interface (capture's packets, the model's
 * hops): plain data shared by both, so the model needs no packet header.
 * The TCP flags below likewise. */
typedef enum nc_direction {
	NC_DIR_UNKNOWN = 0,
	NC_DIR_IN,  /* received by the capture point's interface */
	NC_DIR_OUT, /* sent by it */
} nc_direction_t;

/* TCP flags as a packet carries them (capture's packets, the model's
 * packet summaries). */
#define NC_TCP_FIN 0x01
#define NC_TCP_SYN 0x02
#define NC_TCP_RST 0x04
#define NC_TCP_PSH 0x08
#define NC_TCP_ACK 0x10

/* "a.b.c.d:port" or "[v6]:port"; without port: "a.b.c.d" / "v6".
 * Returns 0 or -ENOSPC; an unset endpoint formats as "-". */
int nc_endpoint_format(const nc_endpoint_t *e, bool with_port, char *buf, size_t len);
/* addr is "1.2.3.4" or "::1" (brackets allowed); port host order. -EINVAL if not an address. */
int nc_endpoint_parse(const char *addr, uint16_t port, nc_endpoint_t *ret);
bool nc_endpoint_equal(const nc_endpoint_t *a, const nc_endpoint_t *b);
bool nc_endpoint_addr_equal(const nc_endpoint_t *a, const nc_endpoint_t *b);
bool nc_endpoint_is_set(const nc_endpoint_t *e);
/* 127.0.0.0/8 or ::1. */
bool nc_endpoint_is_loopback(const nc_endpoint_t *e);
/* to/from struct sockaddr; ret_len gets the sockaddr length */
int nc_endpoint_to_sockaddr(const nc_endpoint_t *e, struct sockaddr_storage *ret, socklen_t *ret_len);
int nc_endpoint_from_sockaddr(const struct sockaddr *sa, nc_endpoint_t *ret);

#endif
