/* Packet decoding: link, IP and L4 headers of one captured packet.
 *
 * Owns nothing; fills the decoded fields of an nc_packet_t in place.  The
 * bytes are untrusted (anything on the wire, or a fuzzer): every read is
 * checked against the captured length first, and nothing past caplen (or
 * NC_SNAPLEN, whichever is smaller) is ever looked at.  May call: libc and
 * endpoint.c (formatting an address). */
#include "netcheck/packet.h"

#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "netcheck/testing.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT_HEADERS 8

#define LINKTYPE_RAW 101 /* pcap files use this for DLT_RAW */

/* Linux sll_pkttype values (linux/if_packet.h), repeated here so the
 * decoder builds without Linux headers. */
#define SLL_OUTGOING 4

#define IP_OFFMASK 0x1fff

/* A bounded view: [0, len) of bytes is readable, nothing else. */
typedef struct view {
	const uint8_t *b;
	uint32_t len;
} view_t;

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)((unsigned)b[0] << 8 | b[1]);
}

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void clear_decoded(nc_packet_t *p)
{
	p->proto = 0;
	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	p->tcp_flags = 0;
	p->tcp_seq = 0;
	p->icmp_type = 0;
	p->icmp_seq = 0;
	p->payload_off = 0;
	p->payload_len = 0;
	p->wire_len = 0;
	p->encapsulated = false;
	memset(&p->outer_src, 0, sizeof(p->outer_src));
	memset(&p->outer_dst, 0, sizeof(p->outer_dst));
	p->vni = 0;
}

/* Sets *ret_off to the start of the network header, *ret_l3 to its
 * ethertype (0: unknown) and *ret_pkttype to the kernel's packet type
 * (-1: the link type has none).  -EPROTO if the link header is cut short. */
static int decode_link(const nc_packet_t *p, view_t v, uint32_t *ret_off, unsigned *ret_l3, int *ret_pkttype)
{
	uint32_t off;
	unsigned type;

	*ret_pkttype = -1;
	switch (p->linktype) {
	case DLT_EN10MB:
		if (v.len < 14)
			return -EPROTO;
		type = rd16(v.b + 12);
		off = 14;
		for (int tags = 0; (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && tags < MAX_VLAN_TAGS; tags++) {
			if (v.len < off + 4)
				return -EPROTO;
			type = rd16(v.b + off + 2);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (v.len < 16)
			return -EPROTO;
		*ret_pkttype = rd16(v.b);
		type = rd16(v.b + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (v.len < 20)
			return -EPROTO;
		*ret_pkttype = v.b[10];
		type = rd16(v.b);
		off = 20;
		break;
	case DLT_RAW:
	case LINKTYPE_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (v.len < 1)
			return -EPROTO;
		off = 0;
		type = 0;
		if (v.b[0] >> 4 == 4 && p->linktype != DLT_IPV6)
			type = ETHERTYPE_IPV4;
		else if (v.b[0] >> 4 == 6 && p->linktype != DLT_IPV4)
			type = ETHERTYPE_IPV6;
		else
			return -EPROTO;
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		/* DLT_NULL: the sender's AF_ value in its byte order; DLT_LOOP: big endian. */
		uint32_t be, le, af;

		if (v.len < 4)
			return -EPROTO;
		be = rd32(v.b);
		le = (uint32_t)v.b[3] << 24 | (uint32_t)v.b[2] << 16 | (uint32_t)v.b[1] << 8 | v.b[0];
		af = p->linktype == DLT_LOOP || be < 0x10000 ? be : le;
		off = 4;
		if (af == 2)
			type = ETHERTYPE_IPV4;
		else if (af == 10 || af == 24 || af == 28 || af == 30) /* Linux, BSDs, FreeBSD, Darwin */
			type = ETHERTYPE_IPV6;
		else
			type = 0;
		break;
	}
	default:
		type = 0;
		off = 0;
		break;
	}
	*ret_off = off;
	*ret_l3 = type;
	return 0;
}

static bool is_echo(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP)
		return type == 8 || type == 0;
	return type == 128 || type == 129;
}

/* What tcpdump prints as a packet's length: the TCP or UDP payload, the
 * whole ICMP message, else the IP payload; wire is the L4 segment's length
 * on the wire (from the IP header), hlen its header's. */
static uint32_t tcpdump_length(uint8_t proto, uint32_t wire, uint32_t hlen)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
		return wire > hlen ? wire - hlen : 0;
	return wire;
}

/* l4 = [off, end) of v, wire bytes long on the wire; proto the IP protocol. */
static int decode_l4(nc_packet_t *p, view_t v, uint32_t off, uint32_t end, uint32_t wire, uint8_t proto)
{
	uint32_t avail = end - off;
	const uint8_t *h = v.b + off;
	uint32_t hlen;

	switch (proto) {
	case IPPROTO_TCP:
		if (avail < 20)
			return -EPROTO;
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < 20 || hlen > avail)
			return -EPROTO;
		p->src.port = rd16(h);
		p->dst.port = rd16(h + 2);
		p->tcp_seq = rd32(h + 4);
		p->tcp_flags = h[13];
		break;
	case IPPROTO_UDP:
		if (avail < 8)
			return -EPROTO;
		hlen = 8;
		p->src.port = rd16(h);
		p->dst.port = rd16(h + 2);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail < 8)
			return -EPROTO;
		hlen = 8;
		p->icmp_type = h[0];
		if (is_echo(proto, h[0])) {
			p->src.port = p->dst.port = rd16(h + 4);
			p->icmp_seq = rd16(h + 6);
		}
		break;
	default:
		hlen = 0;
		break;
	}
	p->proto = proto;
	p->payload_off = off + hlen;
	p->payload_len = avail - hlen;
	p->wire_len = tcpdump_length(proto, wire, hlen);
	return 0;
}

static int decode_ipv4(nc_packet_t *p, view_t v, uint32_t off)
{
	const uint8_t *h = v.b + off;
	uint32_t avail = v.len - off, hlen, total, end;

	if (avail < 20 || h[0] >> 4 != 4)
		return -EPROTO;
	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	total = rd16(h + 2);
	if (hlen < 20 || hlen > avail)
		return -EPROTO;
	/* 0 is what segmentation offload leaves in outgoing super-packets */
	if (total == 0)
		total = p->origlen > off ? p->origlen - off : avail;
	if (total < hlen)
		return -EPROTO;
	/* below: Ethernet padding is cut off; beyond: snaplen cut the rest */
	end = off + (total < avail ? total : avail);
	p->wire_len = total - hlen;

	p->src.family = p->dst.family = AF_INET;
	memcpy(&p->src.addr.v4, h + 12, 4);
	memcpy(&p->dst.addr.v4, h + 16, 4);
	if ((rd16(h + 6) & IP_OFFMASK) != 0) {
		/* a later fragment carries no L4 header */
		p->payload_off = off + hlen;
		p->payload_len = end - (off + hlen);
		return 0;
	}
	return decode_l4(p, v, off + hlen, end, total - hlen, h[9]);
}

static int decode_ipv6(nc_packet_t *p, view_t v, uint32_t off)
{
	const uint8_t *h = v.b + off;
	uint32_t avail = v.len - off, plen, end, pos;
	uint8_t next;

	if (avail < 40 || h[0] >> 4 != 6)
		return -EPROTO;
	plen = rd16(h + 4);
	/* 0: a jumbogram or an offloaded super-packet; take what was captured */
	if (plen == 0 || plen > avail - 40)
		end = v.len;
	else
		end = off + 40 + plen;
	if (plen == 0)
		plen = p->origlen > off + 40 ? p->origlen - off - 40 : end - off - 40;
	p->wire_len = plen;

	p->src.family = p->dst.family = AF_INET6;
	memcpy(&p->src.addr.v6, h + 8, 16);
	memcpy(&p->dst.addr.v6, h + 24, 16);
	next = h[6];
	pos = off + 40;
	for (int i = 0;; i++) {
		uint32_t elen;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
		    next != IPPROTO_FRAGMENT && next != IPPROTO_AH)
			break;
		if (i >= MAX_IPV6_EXT_HEADERS || end - pos < 8)
			return -EPROTO;
		if (next == IPPROTO_FRAGMENT) {
			elen = 8;
			if ((rd16(v.b + pos + 2) & 0xfff8) != 0) {
				/* a later fragment carries no L4 header */
				p->payload_off = pos + elen;
				p->payload_len = end - (pos + elen);
				return 0;
			}
		} else if (next == IPPROTO_AH) {
			elen = ((uint32_t)v.b[pos + 1] + 2) * 4;
		} else {
			elen = ((uint32_t)v.b[pos + 1] + 1) * 8;
		}
		if (elen > end - pos)
			return -EPROTO;
		next = v.b[pos];
		pos += elen;
	}
	if (next == IPPROTO_NONE) {
		p->payload_off = pos;
		return 0;
	}
	return decode_l4(p, v, pos, end, plen > pos - off - 40 ? plen - (pos - off - 40) : 0, next);
}

static int decode_ipv4(nc_packet_t *p, view_t v, uint32_t off);
static int decode_ipv6(nc_packet_t *p, view_t v, uint32_t off);

/* An overlay's outer datagram (decoded as UDP to NC_VXLAN_PORT): the inner
 * Ethernet frame after the 8-byte VXLAN header (flags 0x08: a valid VNI)
 * decoded in its place, the outer endpoints kept.  One level only (a
 * VXLAN inside VXLAN stays as the first inner packet says).  A frame cut
 * short or not IP leaves the outer datagram as it was. */
static void decode_vxlan(nc_packet_t *p, view_t v)
{
	/* the decoded fields alone (proto to the end): not the 512 bytes of
	 * data, of which only caplen were captured */
	enum { DECODED = offsetof(nc_packet_t, proto) };
	unsigned char saved[sizeof(nc_packet_t) - DECODED];
	nc_endpoint_t outer_src, outer_dst;
	uint32_t at = p->payload_off, inner;
	unsigned type;
	int r;

	if (p->proto != IPPROTO_UDP || p->dst.port != NC_VXLAN_PORT || p->payload_len < 8 + 14 ||
	    (v.b[at] & 0x08) == 0)
		return;
	inner = at + 8 + 14;
	type = rd16(v.b + inner - 2);
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return;
	memcpy(saved, (const unsigned char *)p + DECODED, sizeof(saved));
	outer_src = p->src;
	outer_dst = p->dst;
	clear_decoded(p);
	r = type == ETHERTYPE_IPV4 ? decode_ipv4(p, v, inner) : decode_ipv6(p, v, inner);
	if (r < 0 || (p->proto == IPPROTO_UDP && p->dst.port == NC_VXLAN_PORT)) {
		/* the datagram, not a half-decoded inside */
		memcpy((unsigned char *)p + DECODED, saved, sizeof(saved));
		return;
	}
	p->encapsulated = true;
	p->outer_src = outer_src;
	p->outer_dst = outer_dst;
	p->vni = (uint32_t)v.b[at + 4] << 16 | (uint32_t)v.b[at + 5] << 8 | v.b[at + 6];
}

int nc_packet_decode(nc_packet_t *p)
{
	view_t v;
	uint32_t off;
	unsigned l3;
	int pkttype, r;

	if (p == NULL)
		return -EINVAL;
	clear_decoded(p);
	v.b = p->data;
	v.len = p->caplen < NC_SNAPLEN ? p->caplen : NC_SNAPLEN;

	r = decode_link(p, v, &off, &l3, &pkttype);
	if (r < 0)
		goto fail;
	if (pkttype >= 0 && p->direction == NC_DIR_UNKNOWN)
		p->direction = pkttype == SLL_OUTGOING ? NC_DIR_OUT : NC_DIR_IN;
	if (l3 == ETHERTYPE_IPV4)
		r = decode_ipv4(p, v, off);
	else if (l3 == ETHERTYPE_IPV6)
		r = decode_ipv6(p, v, off);
	if (r < 0)
		goto fail;
	decode_vxlan(p, v);
	return 0;
fail:
	clear_decoded(p);
	return -EPROTO;
}

static int compare_order(const void *a, const void *b)
{
	const nc_packet_order_t *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void nc_packet_order_sort(nc_packet_order_t *order, size_t n)
{
	if (n > 1)
		qsort(order, n, sizeof(*order), compare_order);
}

/* "arp who-has 172.17.0.2 tell 172.17.0.1" and the like; ARP for IPv4
 * over Ethernet only, else just "arp". */
static void describe_arp(view_t v, uint32_t off, char *buf, size_t len)
{
	const uint8_t *a = v.b + off;
	char spa[16], tpa[16];
	unsigned op;

	if (v.len < off + 28 || rd16(a) != 1 || rd16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4) {
		snprintf(buf, len, "arp");
		return;
	}
	op = rd16(a + 6);
	snprintf(spa, sizeof(spa), "%u.%u.%u.%u", a[14], a[15], a[16], a[17]);
	snprintf(tpa, sizeof(tpa), "%u.%u.%u.%u", a[24], a[25], a[26], a[27]);
	if (op == 1 && rd32(a + 14) == 0)
		snprintf(buf, len, "arp probe who-has %s", tpa);
	else if (op == 1 && rd32(a + 14) == rd32(a + 24))
		snprintf(buf, len, "arp announce %s", spa);
	else if (op == 1)
		snprintf(buf, len, "arp who-has %s tell %s", tpa, spa);
	else if (op == 2)
		snprintf(buf, len, "arp reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", spa, a[8], a[9], a[10], a[11],
			 a[12], a[13]);
	else
		snprintf(buf, len, "arp op %u", op);
}

/* Neighbour discovery and multicast listener messages by name; the
 * neighbour messages with the address they are about. */
static bool describe_icmp6(const nc_packet_t *p, char *buf, size_t len)
{
	static const struct {
		uint8_t type;
		const char *name;
	} names[] = {
		{ 130, "multicast-listener-query" }, { 131, "multicast-listener-report" },
		{ 132, "multicast-listener-done" },  { 133, "router-solicitation" },
		{ 134, "router-advertisement" },     { 135, "neighbor-solicitation" },
		{ 136, "neighbor-advertisement" },   { 137, "redirect" },
		{ 143, "multicast-listener-report-v2" },
	};
	uint32_t end = p->caplen < NC_SNAPLEN ? p->caplen : NC_SNAPLEN;
	char target[NC_ENDPOINT_STRLEN];
	nc_endpoint_t e;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].type != p->icmp_type)
			continue;
		/* the target address follows the 8-byte ICMPv6 header */
		if ((p->icmp_type == 135 || p->icmp_type == 136) && p->payload_len >= 16 &&
		    p->payload_off + 16 <= end) {
			memset(&e, 0, sizeof(e));
			e.family = AF_INET6;
			memcpy(&e.addr.v6, p->data + p->payload_off, 16);
			if (nc_endpoint_format(&e, false, target, sizeof(target)) == 0) {
				snprintf(buf, len, "icmp6 %s %s%s", names[i].name, p->icmp_type == 135 ? "who-has " : "",
					 target);
				return true;
			}
		}
		snprintf(buf, len, "icmp6 %s", names[i].name);
		return true;
	}
	return false;
}

int nc_packet_describe(const nc_packet_t *p, char *buf, size_t len)
{
	view_t v;
	uint32_t off;
	unsigned l3;
	int pkttype;

	if (p == NULL || buf == NULL || len == 0)
		return -EINVAL;
	v.b = p->data;
	v.len = p->caplen < NC_SNAPLEN ? p->caplen : NC_SNAPLEN;
	if (decode_link(p, v, &off, &l3, &pkttype) == 0 && l3 == ETHERTYPE_ARP) {
		describe_arp(v, off, buf, len);
		return 0;
	}
	if (p->proto == IPPROTO_ICMPV6 && describe_icmp6(p, buf, len))
		return 0;
	snprintf(buf, len, "not attributed");
	return 0;
}
