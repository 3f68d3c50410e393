/* Writes a small capture with capture/pcapng.c so that
 * tests/integration/pcapng-readback.sh can read it back with Wireshark's
 * tools: two interfaces (lo, and a container's host veth with a
 * description), five synthetic Ethernet/IPv4/TCP packets of a request to a
 * published port, each with a path/leg comment and a direction, and one
 * statistics block per interface.
 *
 * usage: pcapng-writer-demo OUTPUT [--pcap]
 * Exit status 0 on success, 1 with a message on stderr otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "netcheck/pcapng.h"
#include "netcheck/testing.h"

#define LINKTYPE_ETHERNET 1
#define TS_BASE_NS UINT64_C(1700000000000000001) /* odd ns: shows the resolution */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

struct packet {
	int if_index; /* 0 = lo, 1 = veth */
	const char *src_ip, *dst_ip;
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t tcp_flags;
	const char *payload;
	int direction;
	const char *comment;
};

/* A request from the host to a port published on 127.0.0.1:8080, seen on
 * lo (client leg) and, after DNAT, on the container's host veth. */
static const struct packet packets[] = {
	{ 0, "127.0.0.1", "127.0.0.1", 40000, 8080, 1000, 0, TCP_SYN, NULL,
	  NC_PCAPNG_DIRECTION_OUTBOUND, "path=published-loopback leg=client" },
	{ 1, "172.17.0.1", "172.17.0.2", 40000, 80, 1000, 0, TCP_SYN, NULL,
	  NC_PCAPNG_DIRECTION_OUTBOUND, "path=published-loopback leg=container" },
	{ 1, "172.17.0.2", "172.17.0.1", 80, 40000, 5000, 1001, TCP_SYN | TCP_ACK, NULL,
	  NC_PCAPNG_DIRECTION_INBOUND, "path=published-loopback leg=container" },
	{ 0, "127.0.0.1", "127.0.0.1", 8080, 40000, 5000, 1001, TCP_SYN | TCP_ACK, NULL,
	  NC_PCAPNG_DIRECTION_INBOUND, "path=published-loopback leg=client" },
	{ 0, "127.0.0.1", "127.0.0.1", 40000, 8080, 1001, 5001, TCP_PSH | TCP_ACK,
	  "GET / HTTP/1.0\r\n\r\n", NC_PCAPNG_DIRECTION_OUTBOUND,
	  "path=published-loopback leg=client request=GET /" },
};

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Builds Ethernet + IPv4 + TCP (valid checksums) into frame; returns its
 * length, or 0 if it does not fit. */
static size_t build_frame(const struct packet *pk, uint8_t *frame, size_t cap)
{
	static const uint8_t lo_mac[6], host_mac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x01 },
				      ctr_mac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
	size_t payload_len = pk->payload ? strlen(pk->payload) : 0;
	size_t len = 14 + 20 + 20 + payload_len;
	uint8_t *ip = frame + 14, *tcp = ip + 20;
	struct in_addr src, dst;
	uint8_t pseudo[12];

	if (len > cap || inet_pton(AF_INET, pk->src_ip, &src) != 1 ||
	    inet_pton(AF_INET, pk->dst_ip, &dst) != 1)
		return 0;
	memset(frame, 0, len);

	if (pk->if_index == 0) {
		memcpy(frame, lo_mac, 6);
		memcpy(frame + 6, lo_mac, 6);
	} else {
		bool to_container = pk->dst_port == 80;
		memcpy(frame, to_container ? ctr_mac : host_mac, 6);
		memcpy(frame + 6, to_container ? host_mac : ctr_mac, 6);
	}
	put16(frame + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 20 + payload_len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));

	put16(tcp, pk->src_port);
	put16(tcp + 2, pk->dst_port);
	put32(tcp + 4, pk->seq);
	put32(tcp + 8, pk->ack);
	tcp[12] = 5 << 4;
	tcp[13] = pk->tcp_flags;
	put16(tcp + 14, 65535);
	if (payload_len)
		memcpy(tcp + 20, pk->payload, payload_len);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)(20 + payload_len));
	put16(tcp + 16, fold(sum16(tcp, 20 + payload_len, sum16(pseudo, 12, 0))));
	return len;
}

int main(int argc, char **argv)
{
	nc_pcapng_format_t format = NC_PCAPNG_FORMAT_PCAPNG;
	char os[sizeof(((struct utsname *)0)->sysname) + sizeof(((struct utsname *)0)->release)];
	const char *step = "open";
	nc_pcapng_t *w = NULL;
	uint32_t received[2] = { 0, 0 };
	int if_ids[2], r;
	struct utsname u;
	uint8_t frame[256];

	if (argc == 3 && strcmp(argv[2], "--pcap") == 0)
		format = NC_PCAPNG_FORMAT_PCAP;
	else if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT [--pcap]\n", argv[0]);
		return 2;
	}
	if (uname(&u) == 0)
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	else
		snprintf(os, sizeof(os), "Linux");

	r = nc_pcapng_open(argv[1], 0600, format, os, "netcheck 0.1.0", &w);
	if (r < 0)
		goto fail;

	step = "add_interface";
	r = if_ids[0] = nc_pcapng_add_interface(w, "lo", NULL, LINKTYPE_ETHERNET, 262144);
	if (r < 0)
		goto fail;
	r = if_ids[1] = nc_pcapng_add_interface(w, "veth1a2b3c4", "host veth of container 1a2b3c",
						LINKTYPE_ETHERNET, 262144);
	if (r < 0)
		goto fail;

	step = "write_packet";
	for (size_t i = 0; i < sizeof(packets) / sizeof(packets[0]); i++) {
		const struct packet *pk = &packets[i];
		size_t len = build_frame(pk, frame, sizeof(frame));

		if (len == 0) {
			r = -EINVAL;
			goto fail;
		}
		r = nc_pcapng_write_packet(w, (uint32_t)if_ids[pk->if_index],
					   TS_BASE_NS + i * UINT64_C(150000), frame, (uint32_t)len,
					   (uint32_t)len, pk->direction, pk->comment);
		if (r < 0)
			goto fail;
		received[pk->if_index]++;
	}

	step = "write_stats";
	for (int i = 0; i < 2; i++) {
		r = nc_pcapng_write_stats(w, (uint32_t)if_ids[i], TS_BASE_NS + UINT64_C(1000000),
					  received[i], 0);
		if (r < 0)
			goto fail;
	}

	step = "flush";
	r = nc_pcapng_flush(w);
	if (r < 0)
		goto fail;
	nc_pcapng_free(w);
	return 0;

fail:
	fprintf(stderr, "pcapng-writer-demo: %s: %s\n", step, strerror(-r));
	nc_pcapng_free(w);
	return 1;
}
