/* netcheck responder: the connect-out request, its targets and the allow-list.
 *
 * Private to the responder.  Pure functions: no allocation, no I/O, no
 * globals; fed untrusted bytes (a client's request target, the command
 * line), unit-tested and fuzzed.  May call libc string and inet_pton/ntop. */
#ifndef NETCHECK_RESPONDER_CONNECT_PARSE_H
#define NETCHECK_RESPONDER_CONNECT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-parse.h"

/* A DNS name's text (RFC 1035: 253 characters without the root dot). */
#define NC_RESPONDER_HOST_MAX 253
/* --allow entries kept; more is a usage error. */
#define NC_RESPONDER_ALLOW_MAX 32
#define NC_RESPONDER_TIMEOUT_MS_MIN 1
#define NC_RESPONDER_TIMEOUT_MS_MAX 5000
#define NC_RESPONDER_TIMEOUT_MS_DEFAULT 2000

typedef enum nc_responder_proto {
	NC_RESPONDER_TCP,
	NC_RESPONDER_UDP,
	NC_RESPONDER_ICMP,
} nc_responder_proto_t;

/* HOST:PORT.  A literal address is kept in inet_ntop()'s canonical text
 * (no brackets, v4-mapped v6 as v6); a name lowercased. */
typedef struct nc_responder_target {
	char host[NC_RESPONDER_HOST_MAX + 1];
	bool is_literal;
	int family;    /* AF_INET or AF_INET6 for a literal, 0 for a name */
	uint16_t port; /* 0 only where the port may be left out (icmp) */
	uint8_t prefix_len; /* an --allow block (ADDR/BITS:PORT): the bits that must agree; 0 = host alone */
} nc_responder_target_t;

typedef struct nc_responder_connect {
	nc_responder_proto_t proto;
	nc_responder_target_t target;
	char nonce[NC_RESPONDER_NONCE_MAX + 1];
	unsigned timeout_ms; /* clamped to MIN..MAX */
} nc_responder_connect_t;

/* "tcp", "udp", "icmp". */
const char *nc_responder_proto_name(nc_responder_proto_t proto);

/* s: borrowed, len bytes.  "1.2.3.4:80", "[fd00::1]:80", "name:80"; with
 * port_optional also "1.2.3.4", "fd00::1", "[fd00::1]", "name" (port 0).
 * Returns 0 or -EINVAL. */
int nc_responder_parse_host_port(const char *s, size_t len, bool port_optional, nc_responder_target_t *ret);

/* target: the request target, NUL-terminated, borrowed.
 * "/connect?proto=tcp|udp|icmp&target=HOST:PORT&nonce=N[&timeout_ms=T]",
 * parameters in any order, values percent-decoded; icmp may leave out the
 * port.  Returns 0, -ENOENT when the path is not /connect (not ours), or
 * -EINVAL (unknown, repeated or missing parameter, bad value). */
int nc_responder_parse_connect(const char *target, nc_responder_connect_t *ret);

/* An --allow entry: HOST:PORT as above, or an address block
 * "198.19.1.0/24:80", "[fd00::/64]:80" (every address whose first BITS
 * agree).  s: borrowed, len bytes.  Returns 0 or -EINVAL. */
int nc_responder_parse_allow(const char *s, size_t len, nc_responder_target_t *ret);

/* Is t on the allow-list?  A block matches the literals inside it.  Hosts compare as text (names case-insensitively,
 * literals canonical); ports must be equal, except for icmp, which has no
 * port and matches any entry for the host.  list: borrowed, n entries. */
bool nc_responder_allow_match(const nc_responder_target_t *list, size_t n, nc_responder_proto_t proto,
			      const nc_responder_target_t *t);

#endif
