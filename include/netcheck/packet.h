/* netcheck: one captured packet, decoded far enough to attribute it.
 *
 * Plain data shared by capture/ (which fills it), capture/attribute.c
 * (which matches it to probes) and the reporters.  Owns its bytes. */
#ifndef NETCHECK_PACKET_H
#define NETCHECK_PACKET_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "netcheck/endpoint.h"

#define NC_SNAPLEN 512 /* bytes kept per packet: headers, the request line with its nonce, the responder's whole answer; small so a bulk stream fits the kernel ring */

typedef struct nc_packet {
	uint32_t point;      /* index of the capture point it was seen on */
	uint64_t ts_ns;      /* capture timestamp, ns since the epoch */
	int linktype;        /* DLT_* of the capture point */
	nc_direction_t direction;
	uint32_t caplen;     /* bytes in data (<= NC_SNAPLEN) */
	uint32_t origlen;    /* length on the wire */
	uint8_t data[NC_SNAPLEN];

	/* decoded; proto 0 = not IP/TCP/ICMP.  Every field from proto to the
	 * end is a decoded one: packet.c's VXLAN decode saves and restores them
	 * as one block (a raw field goes above) */
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP */
	nc_endpoint_t src, dst;
	uint8_t tcp_flags;   /* NC_TCP_* */
	uint32_t tcp_seq;
	uint8_t icmp_type;
	uint16_t icmp_seq;
	uint32_t payload_off; /* offset of the L4 payload in data */
	uint32_t payload_len; /* captured payload bytes (may be < on the wire) */
	uint32_t wire_len;    /* what tcpdump prints as "length", from the IP header:
			       * the TCP/UDP payload, the whole ICMP message, else
			       * the IP payload (0 when not IP) */
	/* VXLAN (UDP 4789, an overlay's outer packet between two nodes): the
	 * fields above are the inner packet's, these the outer one's */
	bool encapsulated;
	nc_endpoint_t outer_src, outer_dst; /* the nodes' addresses and UDP ports */
	uint32_t vni;        /* the overlay's VXLAN network identifier */
} nc_packet_t;

/* Decode link, IP and L4 headers of p->data (linktype p->linktype) into the
 * decoded fields.  Returns 0, or -EPROTO (caller keeps the raw packet). */
int nc_packet_decode(nc_packet_t *p);
/* The overlay's VXLAN port (IANA; Docker Swarm's default data path port). */
#define NC_VXLAN_PORT 4789
/* Details of nc_packet_decode():
 * - a UDP datagram to NC_VXLAN_PORT carrying a VXLAN header (flags 0x08)
 *   and a whole inner Ethernet + IP header decodes as the inner packet,
 *   with encapsulated set and the outer addresses, ports and vni kept; one
 *   whose inner frame is cut short or not IP stays the outer UDP datagram;
 * - on -EPROTO every decoded field is zero (proto 0, src/dst unset);
 * - a well-formed packet that is not IPv4/IPv6 (ARP, ...) decodes to 0 with
 *   proto 0; an IP packet with another protocol gets that proto, addresses,
 *   ports 0 and payload_off/len of the IP payload;
 * - a non-first IP fragment gets addresses, proto 0 and its IP payload;
 * - ICMP/ICMPv6: icmp_type always; echo id (in src.port and dst.port) and
 *   icmp_seq only for echo request/reply;
 * - payload_len stops at the IP length (no Ethernet padding) and at caplen;
 * - DLT_LINUX_SLL/SLL2: sets direction from the packet type if it is still
 *   NC_DIR_UNKNOWN.  Other link types leave direction alone. */

/* What p is, in a few words, for the capture file's comment on a packet
 * no path claimed: "arp who-has 172.17.0.2 tell 172.17.0.1", "arp reply
 * 172.17.0.2 is-at 02:42:ac:11:00:02", "icmp6 neighbor-solicitation
 * who-has fe80::1", "icmp6 router-advertisement", else "not attributed".
 * p: decoded by nc_packet_decode(), borrowed; buf: len bytes, always
 * NUL-terminated, the text cut to fit.  Pure.  0, or -EINVAL. */
int nc_packet_describe(const nc_packet_t *p, char *buf, size_t len);

/* A packet's place in time: sorting these orders packets by timestamp,
 * and packets with equal timestamps by index (a stable sort). */
typedef struct nc_packet_order {
	uint64_t ts_ns;
	size_t index;
} nc_packet_order_t;
void nc_packet_order_sort(nc_packet_order_t *order, size_t n);

#endif
