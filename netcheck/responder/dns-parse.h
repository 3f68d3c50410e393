/* netcheck responder: name resolution without NSS, the pure half.
 *
 * /etc/hosts and /etc/resolv.conf text, DNS A/AAAA queries and their
 * answers.  Private to the responder (a static binary cannot use
 * getaddrinfo()).  No allocation, no I/O, no globals: every input is
 * untrusted (a DNS answer is whatever came back to our port), so each
 * function is unit-tested and fuzzed. */
#ifndef NETCHECK_RESPONDER_DNS_PARSE_H
#define NETCHECK_RESPONDER_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_DNS_TYPE_A 1
#define NC_DNS_TYPE_CNAME 5
#define NC_DNS_TYPE_AAAA 28
/* Largest DNS message over UDP without EDNS (RFC 1035 4.2.1). */
#define NC_DNS_MESSAGE_MAX 512
/* Longest name, as text without the root dot. */
#define NC_DNS_NAME_MAX 253

typedef struct nc_responder_addr {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t bytes[16];  /* 4 used for AF_INET */
} nc_responder_addr_t;

/* Is a an address of this machine's loopback (127/8, ::1, ::ffff:127/104)? */
bool nc_responder_addr_is_loopback(const nc_responder_addr_t *a);

/* /etc/hosts text (len bytes, borrowed, need not end in a NUL or newline).
 * Finds name (case-insensitive) among each line's names; the first IPv4
 * match wins, else the first IPv6 one.  ret_line: the 1-based line of the
 * match (may be NULL).  Returns 0 or -ENOENT. */
int nc_responder_hosts_lookup(const char *text, size_t len, const char *name, nc_responder_addr_t *ret,
			      unsigned *ret_line);

/* /etc/resolv.conf text: the `nameserver` addresses in order, at most max
 * of them in ret.  Returns how many were found (may exceed max: only max
 * stored), never an error for odd lines, which are skipped. */
int nc_responder_resolv_nameservers(const char *text, size_t len, nc_responder_addr_t *ret, size_t max);

/* Which of servers (n, resolv.conf's order) a lookup of name may ask: the
 * first loopback one (the engine's embedded DNS); with none, the first
 * one only when name is nameserver_for (the one name netcheck vouches
 * for, case-insensitive; NULL: none).  Its index, or -1: ask no one. */
int nc_responder_pick_nameserver(const nc_responder_addr_t *servers, int n, const char *name, const char *nameserver_for);

/* A recursive query for name (text, no trailing dot needed) and qtype,
 * written into buf.  Returns its length or -EINVAL (bad name) / -ENOSPC. */
int nc_responder_dns_query(const char *name, uint16_t id, uint16_t qtype, uint8_t *buf, size_t len);

/* The answer to our query (id, name, qtype) in msg (len bytes, borrowed).
 * Addresses of type qtype owned by name or by the CNAME chain from it go
 * to ret (at most max; more are dropped).  Returns
 *   >= 0      the number stored (0: the name exists, without that type)
 *   -EAGAIN   not an answer to this query (id, flags or question differ):
 *             ignore it and keep waiting
 *   -ENOENT   NXDOMAIN
 *   -EIO      another error rcode (SERVFAIL, REFUSED...) or truncated
 *   -EBADMSG  malformed */
int nc_responder_dns_answer(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
			    nc_responder_addr_t *ret, size_t max);

#endif
