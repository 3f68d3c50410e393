/* Unit tests for nc_packet_decode(): hand-built frames for every link type,
 * and truncation/mutation runs showing the decoder never reads past caplen
 * (the bytes after caplen are varied; the result must not change, and under
 * valgrind they are marked undefined). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_VALGRIND 1
#endif
#endif
#ifndef HAVE_VALGRIND
#define VALGRIND_MAKE_MEM_UNDEFINED(a, n) ((void)(a), (void)(n))
#endif

#include "netcheck/common.h"
#include "netcheck/packet.h"
#include "netcheck/testing.h"

/* a frame under construction */
typedef struct frame {
	uint8_t b[NC_SNAPLEN];
	size_t len;
} frame_t;

static void put(frame_t *f, const void *d, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, d, n);
	f->len += n;
}

static void put8(frame_t *f, uint8_t v) { put(f, &v, 1); }
static void put16(frame_t *f, uint16_t v) { uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v }; put(f, b, 2); }
static void put32(frame_t *f, uint32_t v) { put16(f, (uint16_t)(v >> 16)); put16(f, (uint16_t)v); }
static void set16(frame_t *f, size_t at, uint16_t v) { f->b[at] = (uint8_t)(v >> 8); f->b[at + 1] = (uint8_t)v; }

static const uint8_t mac_a[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
static const uint8_t mac_b[6] = { 0x02, 0x42, 0x9f, 0x62, 0xe2, 0x15 };

static void eth(frame_t *f, uint16_t type, int vlan)
{
	put(f, mac_a, 6);
	put(f, mac_b, 6);
	if (vlan >= 0) {
		put16(f, 0x8100);
		put16(f, (uint16_t)vlan);
	}
	put16(f, type);
}

/* IPv4 header with n_opt bytes of options (multiple of 4); returns its offset */
static size_t ipv4(frame_t *f, const char *src, const char *dst, uint8_t proto, size_t n_opt, uint16_t frag)
{
	size_t at = f->len;
	struct in_addr a;

	put8(f, (uint8_t)(0x40 | (5 + n_opt / 4)));
	put8(f, 0);
	put16(f, 0); /* total length, fixed by ip_done() */
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	assert_int_equal(inet_pton(AF_INET, src, &a), 1);
	put(f, &a, 4);
	assert_int_equal(inet_pton(AF_INET, dst, &a), 1);
	put(f, &a, 4);
	for (size_t i = 0; i < n_opt; i++)
		put8(f, 1); /* NOP */
	return at;
}

static void ipv4_done(frame_t *f, size_t at)
{
	set16(f, at + 2, (uint16_t)(f->len - at));
}

static size_t ipv6(frame_t *f, const char *src, const char *dst, uint8_t next)
{
	size_t at = f->len;
	struct in6_addr a;

	put32(f, 0x60000000);
	put16(f, 0); /* payload length, fixed by ipv6_done() */
	put8(f, next);
	put8(f, 64);
	assert_int_equal(inet_pton(AF_INET6, src, &a), 1);
	put(f, &a, 16);
	assert_int_equal(inet_pton(AF_INET6, dst, &a), 1);
	put(f, &a, 16);
	return at;
}

static void ipv6_done(frame_t *f, size_t at)
{
	set16(f, at + 4, (uint16_t)(f->len - at - 40));
}

static void tcp(frame_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, const char *payload)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, seq);
	put32(f, 0);
	put8(f, 0x60); /* 24 bytes: one MSS option */
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	put8(f, 2);
	put8(f, 4);
	put16(f, 1460);
	if (payload != NULL)
		put(f, payload, strlen(payload));
}

static void icmp_echo(frame_t *f, uint8_t type, uint16_t id, uint16_t seq)
{
	put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put16(f, id);
	put16(f, seq);
	put(f, "abcdefgh", 8);
}

static nc_packet_t *new_packet(const frame_t *f, int linktype)
{
	nc_packet_t *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->linktype = linktype;
	memcpy(p->data, f->b, f->len);
	p->caplen = p->origlen = (uint32_t)f->len;
	return p;
}

static void assert_ep(const nc_endpoint_t *e, const char *addr, uint16_t port)
{
	nc_endpoint_t want;

	assert_int_equal(nc_endpoint_parse(addr, port, &want), 0);
	assert_true(nc_endpoint_equal(e, &want));
}

static void test_eth_ipv4_tcp(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	size_t ip;

	(void)state;
	eth(&f, 0x0800, -1);
	ip = ipv4(&f, "172.17.0.1", "172.17.0.2", IPPROTO_TCP, 8, 0x4000 /* DF */);
	tcp(&f, 38582, 80, 1000, NC_TCP_PSH | NC_TCP_ACK, "GET /nonce HTTP/1.1\r\n");
	ipv4_done(&f, ip);
	while (f.len < 60) /* Ethernet padding: not payload */
		put8(&f, 0);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, IPPROTO_TCP);
	assert_ep(&p->src, "172.17.0.1", 38582);
	assert_ep(&p->dst, "172.17.0.2", 80);
	assert_int_equal(p->tcp_seq, 1000);
	assert_int_equal(p->tcp_flags, NC_TCP_PSH | NC_TCP_ACK);
	assert_int_equal(p->payload_off, 14 + 28 + 24);
	assert_int_equal(p->payload_len, strlen("GET /nonce HTTP/1.1\r\n"));
	assert_memory_equal(p->data + p->payload_off, "GET /nonce", 10);
	assert_int_equal(p->direction, NC_DIR_UNKNOWN);
	/* tcpdump's "length": the TCP payload, from the IP header */
	assert_int_equal(p->wire_len, strlen("GET /nonce HTTP/1.1\r\n"));
	free(p);
	/* cut by the snaplen: still the length on the wire, as tcpdump says */
	p = new_packet(&f, DLT_EN10MB);
	p->caplen = 14 + 28 + 24 + 4;
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->payload_len, 4);
	assert_int_equal(p->wire_len, strlen("GET /nonce HTTP/1.1\r\n"));
	free(p);

	/* a SYN padded to 60 bytes: payload is 0, not the padding */
	f.len = 0;
	eth(&f, 0x0800, -1);
	ip = ipv4(&f, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 0, 0);
	put16(&f, 1);
	put16(&f, 2);
	put32(&f, 7);
	put32(&f, 0);
	put8(&f, 0x50);
	put8(&f, NC_TCP_SYN);
	put16(&f, 0);
	put32(&f, 0);
	ipv4_done(&f, ip);
	while (f.len < 60)
		put8(&f, 0xee);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->tcp_flags, NC_TCP_SYN);
	assert_int_equal(p->payload_len, 0);
	assert_int_equal(p->wire_len, 0); /* not the padding, not the frame */
	free(p);
}

/* An overlay's outer datagram: node to node on UDP 4789, a VXLAN header,
 * the task's frame inside.  The inner packet is what gets attributed. */
static void vxlan_frame(frame_t *f, uint8_t flags, uint16_t inner_type)
{
	size_t ip, udp;

	eth(f, 0x0800, -1);
	ip = ipv4(f, "198.18.10.11", "198.18.10.12", IPPROTO_UDP, 0, 0);
	udp = f->len;
	put16(f, 41234);
	put16(f, 4789);
	put16(f, 0);
	put16(f, 0);
	put8(f, flags);
	put8(f, 0);
	put16(f, 0);
	put32(f, 4097u << 8); /* VNI 4097, then a reserved byte */
	eth(f, inner_type, -1);
	if (inner_type == 0x0800) {
		size_t inner = ipv4(f, "10.0.1.3", "10.0.1.4", IPPROTO_TCP, 0, 0);

		tcp(f, 50000, 80, 42, NC_TCP_SYN, NULL);
		ipv4_done(f, inner);
	} else {
		put(f, "not ip at all, an arp maybe", 27);
	}
	set16(f, udp + 4, (uint16_t)(f->len - udp));
	ipv4_done(f, ip);
}

static void test_vxlan(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;

	(void)state;
	vxlan_frame(&f, 0x08, 0x0800);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_true(p->encapsulated);
	assert_int_equal(p->proto, IPPROTO_TCP);
	assert_ep(&p->src, "10.0.1.3", 50000);
	assert_ep(&p->dst, "10.0.1.4", 80);
	assert_int_equal(p->tcp_flags, NC_TCP_SYN);
	assert_ep(&p->outer_src, "198.18.10.11", 41234);
	assert_ep(&p->outer_dst, "198.18.10.12", 4789);
	assert_int_equal(p->vni, 4097);
	/* cut inside the inner TCP header: the outer datagram, as it was */
	p->caplen = (uint32_t)f.len - 10;
	assert_int_equal(nc_packet_decode(p), 0);
	assert_false(p->encapsulated);
	assert_int_equal(p->proto, IPPROTO_UDP);
	assert_ep(&p->dst, "198.18.10.12", 4789);
	free(p);

	/* no VNI flag, or no IP inside: a UDP datagram to 4789, nothing more */
	f.len = 0;
	vxlan_frame(&f, 0x00, 0x0800);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_false(p->encapsulated);
	assert_int_equal(p->proto, IPPROTO_UDP);
	assert_ep(&p->src, "198.18.10.11", 41234);
	free(p);
	f.len = 0;
	vxlan_frame(&f, 0x08, 0x0806);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_false(p->encapsulated);
	assert_int_equal(p->vni, 0);
	assert_int_equal(p->proto, IPPROTO_UDP);
	free(p);
}

static void test_ipv6_tcp_ext(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	size_t ip;

	(void)state;
	eth(&f, 0x86dd, -1);
	ip = ipv6(&f, "::1", "fd00::2", IPPROTO_HOPOPTS);
	/* hop-by-hop (8 bytes) → destination options (16 bytes) → TCP */
	put8(&f, IPPROTO_DSTOPTS);
	put8(&f, 0);
	put(&f, "\x01\x04\0\0\0\0", 6);
	put8(&f, IPPROTO_TCP);
	put8(&f, 1);
	put(&f, "\x01\x0c\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	tcp(&f, 50000, 8080, 42, NC_TCP_SYN, NULL);
	ipv6_done(&f, ip);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, IPPROTO_TCP);
	assert_ep(&p->src, "::1", 50000);
	assert_ep(&p->dst, "fd00::2", 8080);
	assert_int_equal(p->tcp_flags, NC_TCP_SYN);
	assert_int_equal(p->payload_off, 14 + 40 + 8 + 16 + 24);
	assert_int_equal(p->payload_len, 0);
	assert_int_equal(p->wire_len, 0); /* the extension headers are not TCP payload */
	free(p);

	/* a chain longer than the bound is refused, not walked */
	f.len = 0;
	eth(&f, 0x86dd, -1);
	ip = ipv6(&f, "::1", "::2", IPPROTO_DSTOPTS);
	for (int i = 0; i < 12; i++) {
		put8(&f, IPPROTO_DSTOPTS);
		put8(&f, 0);
		put(&f, "\x01\x04\0\0\0\0", 6);
	}
	ipv6_done(&f, ip);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	assert_int_equal(p->proto, 0);
	assert_int_equal(p->src.family, 0);
	free(p);
}

static void test_vlan(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	size_t ip;

	(void)state;
	eth(&f, 0x0800, 100);
	ip = ipv4(&f, "192.0.2.1", "192.0.2.2", IPPROTO_UDP, 0, 0);
	put16(&f, 5353);
	put16(&f, 53);
	put16(&f, 12);
	put16(&f, 0);
	put32(&f, 0xdeadbeef);
	ipv4_done(&f, ip);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, IPPROTO_UDP);
	assert_ep(&p->src, "192.0.2.1", 5353);
	assert_ep(&p->dst, "192.0.2.2", 53);
	assert_int_equal(p->payload_off, 18 + 20 + 8);
	assert_int_equal(p->payload_len, 4);
	free(p);
}

static void test_sll(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	size_t ip;

	(void)state;
	put16(&f, 4); /* PACKET_OUTGOING */
	put16(&f, 772); /* ARPHRD_LOOPBACK */
	put16(&f, 6);
	put(&f, mac_a, 6);
	put16(&f, 0);
	put16(&f, 0x0800);
	ip = ipv4(&f, "127.0.0.1", "127.0.0.1", IPPROTO_TCP, 0, 0);
	tcp(&f, 44482, 32768, 1, NC_TCP_SYN, NULL);
	ipv4_done(&f, ip);
	p = new_packet(&f, DLT_LINUX_SLL);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->direction, NC_DIR_OUT);
	assert_ep(&p->src, "127.0.0.1", 44482);
	assert_ep(&p->dst, "127.0.0.1", 32768);
	free(p);

	f.len = 0;
	put16(&f, 0x86dd);
	put16(&f, 0);
	put32(&f, 1);
	put16(&f, 1);
	put8(&f, 0); /* PACKET_HOST */
	put8(&f, 6);
	put(&f, mac_a, 6);
	put16(&f, 0);
	ip = ipv6(&f, "fe80::1", "fe80::2", IPPROTO_ICMPV6);
	icmp_echo(&f, 129, 0x77, 3);
	ipv6_done(&f, ip);
	p = new_packet(&f, DLT_LINUX_SLL2);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->direction, NC_DIR_IN);
	assert_int_equal(p->proto, IPPROTO_ICMPV6);
	assert_int_equal(p->icmp_type, 129);
	assert_ep(&p->src, "fe80::1", 0x77);
	assert_ep(&p->dst, "fe80::2", 0x77);
	assert_int_equal(p->icmp_seq, 3);
	free(p);
}

/* an SLL2 header: protocol, ifindex 7, packet type, a 6-byte address */
static void sll2(frame_t *f, uint16_t protocol, uint8_t pkttype)
{
	put16(f, protocol);
	put16(f, 0);
	put32(f, 7);
	put16(f, 1); /* ARPHRD_ETHER */
	put8(f, pkttype);
	put8(f, 6);
	put(f, mac_a, 6);
	put16(f, 0);
}

/* what capture.c reads on one "any" handle: the direction of every packet
 * from its packet type alone */
static void test_sll2_direction(void **state)
{
	static const struct {
		uint8_t pkttype;
		nc_direction_t want;
	} cases[] = {
		{ 0, NC_DIR_IN },  /* PACKET_HOST */
		{ 1, NC_DIR_IN },  /* PACKET_BROADCAST */
		{ 2, NC_DIR_IN },  /* PACKET_MULTICAST */
		{ 3, NC_DIR_IN },  /* PACKET_OTHERHOST: a bridge port forwarding */
		{ 4, NC_DIR_OUT }, /* PACKET_OUTGOING */
	};

	(void)state;
	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		frame_t f = { .len = 0 };
		nc_packet_t *p;
		size_t ip;

		sll2(&f, 0x0800, cases[i].pkttype);
		ip = ipv4(&f, "172.17.0.1", "172.17.0.2", IPPROTO_TCP, 0, 0);
		tcp(&f, 40000, 80, 9, NC_TCP_SYN, NULL);
		ipv4_done(&f, ip);
		p = new_packet(&f, DLT_LINUX_SLL2);
		assert_int_equal(nc_packet_decode(p), 0);
		assert_int_equal(p->direction, cases[i].want);
		assert_int_equal(p->proto, IPPROTO_TCP);
		assert_int_equal(p->payload_off, 20 + 20 + 24);
		assert_ep(&p->src, "172.17.0.1", 40000);
		assert_ep(&p->dst, "172.17.0.2", 80);
		/* a direction already set (loopback's unknown is set after) stays */
		p->direction = NC_DIR_OUT;
		f.b[10] = 0;
		memcpy(p->data, f.b, f.len);
		assert_int_equal(nc_packet_decode(p), 0);
		assert_int_equal(p->direction, NC_DIR_OUT);
		free(p);
	}
}

static void arp(frame_t *f, uint16_t op, const char *spa, const char *tpa)
{
	struct in_addr a;

	put16(f, 1);
	put16(f, 0x0800);
	put8(f, 6);
	put8(f, 4);
	put16(f, op);
	put(f, mac_b, 6);
	assert_int_equal(inet_pton(AF_INET, spa, &a), 1);
	put(f, &a, 4);
	put(f, op == 1 ? (const uint8_t[6]){ 0 } : mac_a, 6);
	assert_int_equal(inet_pton(AF_INET, tpa, &a), 1);
	put(f, &a, 4);
}

static void assert_describes(const frame_t *f, int linktype, const char *want)
{
	nc_packet_t *p = new_packet(f, linktype);
	char buf[128];

	(void)nc_packet_decode(p);
	assert_int_equal(nc_packet_describe(p, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	free(p);
}

static void test_describe(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	char small[8];
	struct in6_addr target;
	size_t ip;

	(void)state;
	sll2(&f, 0x0806, 1);
	arp(&f, 1, "172.17.0.1", "172.17.0.2");
	assert_describes(&f, DLT_LINUX_SLL2, "arp who-has 172.17.0.2 tell 172.17.0.1");
	f.len = 0;
	eth(&f, 0x0806, -1);
	arp(&f, 2, "172.17.0.2", "172.17.0.1");
	assert_describes(&f, DLT_EN10MB, "arp reply 172.17.0.2 is-at 02:42:9f:62:e2:15");
	f.len = 0;
	eth(&f, 0x0806, 1); /* behind a VLAN tag */
	arp(&f, 1, "172.17.0.3", "172.17.0.3");
	assert_describes(&f, DLT_EN10MB, "arp announce 172.17.0.3");
	f.len = 0;
	sll2(&f, 0x0806, 4);
	arp(&f, 1, "0.0.0.0", "172.17.0.4");
	assert_describes(&f, DLT_LINUX_SLL2, "arp probe who-has 172.17.0.4");
	f.len = 0;
	sll2(&f, 0x0806, 0);
	put16(&f, 1); /* cut short */
	assert_describes(&f, DLT_LINUX_SLL2, "arp");

	/* neighbour discovery: the solicitation with its target */
	f.len = 0;
	sll2(&f, 0x86dd, 2);
	ip = ipv6(&f, "fe80::1", "ff02::1:ff00:2", IPPROTO_ICMPV6);
	put8(&f, 135);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0);
	assert_int_equal(inet_pton(AF_INET6, "fd00::2", &target), 1);
	put(&f, &target, 16);
	ipv6_done(&f, ip);
	assert_describes(&f, DLT_LINUX_SLL2, "icmp6 neighbor-solicitation who-has fd00::2");
	f.len = 0;
	sll2(&f, 0x86dd, 0);
	ip = ipv6(&f, "fe80::1", "ff02::1", IPPROTO_ICMPV6);
	put8(&f, 134);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 0);
	put32(&f, 0);
	put32(&f, 0);
	ipv6_done(&f, ip);
	assert_describes(&f, DLT_LINUX_SLL2, "icmp6 router-advertisement");
	/* an echo, a TCP segment, something not IP: none of these is explained */
	f.len = 0;
	sll2(&f, 0x86dd, 0);
	ip = ipv6(&f, "fe80::1", "fe80::2", IPPROTO_ICMPV6);
	icmp_echo(&f, 128, 1, 1);
	ipv6_done(&f, ip);
	assert_describes(&f, DLT_LINUX_SLL2, "not attributed");
	f.len = 0;
	eth(&f, 0x0800, -1);
	ip = ipv4(&f, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 0, 0);
	tcp(&f, 1, 2, 3, NC_TCP_ACK, "x");
	ipv4_done(&f, ip);
	assert_describes(&f, DLT_EN10MB, "not attributed");
	f.len = 0;
	eth(&f, 0x88cc, -1); /* LLDP */
	assert_describes(&f, DLT_EN10MB, "not attributed");

	/* cut to fit, NUL-terminated; bad arguments */
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_describe(p, small, sizeof(small)), 0);
	assert_string_equal(small, "not att");
	assert_int_equal(nc_packet_describe(p, small, 0), -EINVAL);
	assert_int_equal(nc_packet_describe(p, NULL, 8), -EINVAL);
	assert_int_equal(nc_packet_describe(NULL, small, sizeof(small)), -EINVAL);
	free(p);
}

static void test_raw_null_icmp(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	size_t ip;
	static const int raw_types[] = { DLT_RAW, 101, DLT_IPV4 };

	(void)state;
	ip = ipv4(&f, "172.17.0.1", "172.17.0.2", IPPROTO_ICMP, 0, 0);
	icmp_echo(&f, 8, 4242, 1);
	ipv4_done(&f, ip);
	for (size_t i = 0; i < NC_ARRAY_SIZE(raw_types); i++) {
		p = new_packet(&f, raw_types[i]);
		assert_int_equal(nc_packet_decode(p), 0);
		assert_int_equal(p->proto, IPPROTO_ICMP);
		assert_int_equal(p->icmp_type, 8);
		assert_int_equal(p->icmp_seq, 1);
		assert_ep(&p->src, "172.17.0.1", 4242);
		assert_ep(&p->dst, "172.17.0.2", 4242);
		assert_int_equal(p->wire_len, 8 + 8); /* tcpdump: the whole ICMP message */
		free(p);
	}
	p = new_packet(&f, DLT_IPV6);
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	free(p);

	/* DLT_NULL, little-endian AF_INET */
	memmove(f.b + 4, f.b, f.len);
	memcpy(f.b, "\x02\0\0\0", 4);
	f.len += 4;
	p = new_packet(&f, DLT_NULL);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, IPPROTO_ICMP);
	free(p);
	/* big-endian */
	memcpy(f.b, "\0\0\0\x02", 4);
	p = new_packet(&f, DLT_NULL);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_ep(&p->dst, "172.17.0.2", 4242);
	free(p);

	/* destination unreachable: type, but no echo id */
	f.len = 0;
	ip = ipv4(&f, "172.17.0.1", "172.17.0.9", IPPROTO_ICMP, 0, 0);
	put8(&f, 3);
	put8(&f, 1);
	put16(&f, 0);
	put32(&f, 0);
	ipv4_done(&f, ip);
	p = new_packet(&f, DLT_RAW);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->icmp_type, 3);
	assert_int_equal(p->src.port, 0);
	free(p);
}

static void test_fragments_and_other(void **state)
{
	frame_t f = { .len = 0 };
	nc_packet_t *p;
	size_t ip;

	(void)state;
	/* first fragment (MF set, offset 0): decoded */
	eth(&f, 0x0800, -1);
	ip = ipv4(&f, "10.1.1.1", "10.1.1.2", IPPROTO_TCP, 0, 0x2000);
	tcp(&f, 1, 2, 3, NC_TCP_ACK, "xx");
	ipv4_done(&f, ip);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, IPPROTO_TCP);
	assert_int_equal(p->src.port, 1);
	free(p);

	/* later fragment: addresses, no L4 */
	set16(&f, 14 + 6, 0x0010);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, 0);
	assert_ep(&p->src, "10.1.1.1", 0);
	assert_int_equal(p->payload_off, 34);
	free(p);

	/* ARP: fine, not IP */
	f.len = 0;
	eth(&f, 0x0806, -1);
	put(&f, "\0\1\x08\0\6\4\0\1", 8);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, 0);
	assert_int_equal(p->src.family, 0);
	free(p);

	/* GRE: proto kept, ports 0 */
	f.len = 0;
	eth(&f, 0x0800, -1);
	ip = ipv4(&f, "10.1.1.1", "10.1.1.2", 47, 0, 0);
	put32(&f, 0x00000800);
	ipv4_done(&f, ip);
	p = new_packet(&f, DLT_EN10MB);
	assert_int_equal(nc_packet_decode(p), 0);
	assert_int_equal(p->proto, 47);
	assert_int_equal(p->payload_len, 4);
	free(p);

	/* bad IHL, total length shorter than the header, wrong version */
	f.len = 0;
	eth(&f, 0x0800, -1);
	ip = ipv4(&f, "10.1.1.1", "10.1.1.2", IPPROTO_TCP, 0, 0);
	tcp(&f, 1, 2, 3, NC_TCP_ACK, NULL);
	ipv4_done(&f, ip);
	p = new_packet(&f, DLT_EN10MB);
	p->data[14] = 0x44;
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	p->data[14] = 0x45;
	p->data[16] = 0;
	p->data[17] = 12;
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	p->data[17] = 44;
	p->data[14] = 0x65;
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	p->data[14] = 0x45;
	p->data[14 + 20 + 12] = 0x40; /* TCP data offset 16 bytes */
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	p->data[14 + 20 + 12] = 0xf0; /* 60 bytes, more than there is */
	assert_int_equal(nc_packet_decode(p), -EPROTO);
	assert_int_equal(p->src.family, 0);
	/* caplen above NC_SNAPLEN is clamped, not trusted */
	p->data[14 + 20 + 12] = 0x60;
	p->caplen = UINT32_MAX;
	assert_int_equal(nc_packet_decode(p), 0);
	free(p);

	assert_int_equal(nc_packet_decode(NULL), -EINVAL);
}

/* Decode f cut to len, twice, with different bytes after caplen; the
 * results must agree, so nothing after caplen was read. */
static void decode_cut(const frame_t *f, int linktype, size_t len)
{
	nc_packet_t *a = calloc(1, sizeof(*a));
	nc_packet_t *b = calloc(1, sizeof(*b));
	int ra, rb;

	assert_non_null(a);
	assert_non_null(b);
	a->linktype = b->linktype = linktype;
	memcpy(a->data, f->b, len);
	memcpy(b->data, f->b, len);
	memset(b->data + len, 0xff, sizeof(b->data) - len);
	a->caplen = b->caplen = (uint32_t)len;
	a->origlen = b->origlen = (uint32_t)f->len;
	VALGRIND_MAKE_MEM_UNDEFINED(a->data + len, sizeof(a->data) - len);
	ra = nc_packet_decode(a);
	rb = nc_packet_decode(b);
	assert_true(ra == 0 || ra == -EPROTO);
	assert_int_equal(ra, rb);
	assert_int_equal(a->proto, b->proto);
	assert_true(nc_endpoint_equal(&a->src, &b->src) || (a->src.family == 0 && b->src.family == 0));
	assert_true(nc_endpoint_equal(&a->dst, &b->dst) || (a->dst.family == 0 && b->dst.family == 0));
	assert_int_equal(a->src.port, b->src.port);
	assert_int_equal(a->tcp_flags, b->tcp_flags);
	assert_int_equal(a->tcp_seq, b->tcp_seq);
	assert_int_equal(a->icmp_type, b->icmp_type);
	assert_int_equal(a->icmp_seq, b->icmp_seq);
	assert_int_equal(a->payload_off, b->payload_off);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_int_equal(a->direction, b->direction);
	if (ra == 0) {
		assert_true(a->payload_off <= len);
		assert_true(a->payload_len <= len - a->payload_off);
	}
	free(a);
	free(b);
}

static void build_samples(frame_t *fs, int *lt, size_t *n)
{
	size_t ip, k = 0;
	frame_t *f;

	f = &fs[k];
	f->len = 0;
	eth(f, 0x0800, 7);
	ip = ipv4(f, "172.17.0.1", "172.17.0.2", IPPROTO_TCP, 12, 0);
	tcp(f, 38582, 80, 99, NC_TCP_PSH | NC_TCP_ACK, "GET / HTTP/1.1\r\nX-Nonce: n\r\n\r\n");
	ipv4_done(f, ip);
	lt[k++] = DLT_EN10MB;

	f = &fs[k];
	f->len = 0;
	eth(f, 0x86dd, -1);
	ip = ipv6(f, "::1", "::1", IPPROTO_FRAGMENT);
	put8(f, IPPROTO_AH);
	put8(f, 0);
	put16(f, 0x0001);
	put32(f, 1);
	put8(f, IPPROTO_ROUTING); /* AH: 12 bytes */
	put8(f, 1);
	put(f, "\0\0\0\0\0\0\0\0\0\0", 10);
	put8(f, IPPROTO_TCP); /* routing: 16 bytes */
	put8(f, 1);
	put(f, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	tcp(f, 1, 2, 3, NC_TCP_FIN, "bye");
	ipv6_done(f, ip);
	lt[k++] = DLT_EN10MB;

	f = &fs[k];
	f->len = 0;
	put16(f, 0);
	put16(f, 1);
	put16(f, 6);
	put(f, mac_b, 6);
	put16(f, 0);
	put16(f, 0x0800);
	ip = ipv4(f, "127.0.0.1", "127.0.0.2", IPPROTO_ICMP, 0, 0);
	icmp_echo(f, 0, 9, 9);
	ipv4_done(f, ip);
	lt[k++] = DLT_LINUX_SLL;

	f = &fs[k];
	f->len = 0;
	put16(f, 0x86dd);
	put16(f, 0);
	put32(f, 3);
	put16(f, 1);
	put8(f, 4);
	put8(f, 6);
	put(f, mac_b, 6);
	put16(f, 0);
	ip = ipv6(f, "fd00::1", "fd00::2", IPPROTO_UDP);
	put16(f, 1);
	put16(f, 2);
	put16(f, 12);
	put16(f, 0);
	put32(f, 0);
	ipv6_done(f, ip);
	lt[k++] = DLT_LINUX_SLL2;

	f = &fs[k];
	f->len = 0;
	put(f, "\x1e\0\0\0", 4);
	ip = ipv6(f, "fd00::1", "fd00::2", IPPROTO_ICMPV6);
	icmp_echo(f, 128, 1, 2);
	ipv6_done(f, ip);
	lt[k++] = DLT_NULL;

	f = &fs[k];
	f->len = 0;
	ip = ipv4(f, "1.1.1.1", "2.2.2.2", IPPROTO_TCP, 40, 0);
	tcp(f, 1, 2, 3, NC_TCP_RST, NULL);
	ipv4_done(f, ip);
	lt[k++] = DLT_RAW;

	f = &fs[k]; /* an overlay's outer datagram: the inner frame read too */
	f->len = 0;
	vxlan_frame(f, 0x08, 0x0800);
	lt[k++] = DLT_EN10MB;
	*n = k;
}

static void test_truncation(void **state)
{
	frame_t fs[8];
	int lt[8];
	size_t n;

	(void)state;
	build_samples(fs, lt, &n);
	for (size_t i = 0; i < n; i++) {
		nc_packet_t *full = new_packet(&fs[i], lt[i]);

		assert_int_equal(nc_packet_decode(full), 0);
		assert_int_not_equal(full->proto, 0);
		free(full);
		for (size_t len = 0; len <= fs[i].len; len++)
			decode_cut(&fs[i], lt[i], len);
	}
}

/* Random mutations of the samples, each at a random cut: never a crash, an
 * over-read, or a result that depends on bytes after caplen. */
static void test_mutations(void **state)
{
	frame_t fs[8], m;
	int lt[8];
	size_t n;
	static const int lts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, 101 };

	(void)state;
	build_samples(fs, lt, &n);
	srandom(1);
	for (int it = 0; it < 20000; it++) {
		size_t i = (size_t)random() % n;
		int linktype = random() % 8 == 0 ? lts[(size_t)random() % NC_ARRAY_SIZE(lts)] : lt[i];

		m = fs[i];
		for (int k = random() % 6; k > 0; k--)
			m.b[(size_t)random() % m.len] = (uint8_t)random();
		if (random() % 4 == 0)
			m.len = (size_t)random() % (m.len + 1);
		decode_cut(&m, linktype, m.len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp),
		cmocka_unit_test(test_ipv6_tcp_ext),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2_direction),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_raw_null_icmp),
		cmocka_unit_test(test_fragments_and_other),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
