/* Fuzz target: packet decoding (nc_packet_decode in capture/packet.c).
 *
 * Input: byte 0 picks the link type (index into the table below), byte 1
 * the direction the capture point already set, the rest is the captured
 * frame (caplen = its length, at most NC_SNAPLEN; origlen a bit more).
 * The bytes of p->data past caplen are poisoned for ASan, so a read beyond
 * what was captured is reported even though it stays inside the struct.
 * The documented contract is checked too (include/netcheck/packet.h):
 * abort() when it does not hold. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>
#include <sanitizer/asan_interface.h>

#include "netcheck/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 101 /* LINKTYPE_RAW */,
	DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, 147 /* DLT_USER0: not decoded */,
};

static nc_packet_t packet;

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nc_packet_t *p = &packet;
	nc_direction_t before;
	uint32_t caplen;
	int r;

	if (size < 2)
		return 0;
	caplen = size - 2 < NC_SNAPLEN ? (uint32_t)(size - 2) : NC_SNAPLEN;
	memset(p, 0, sizeof(*p));
	p->linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	p->direction = before = (nc_direction_t)(data[1] % 3);
	p->ts_ns = 1;
	p->caplen = caplen;
	p->origlen = caplen + data[1];
	memcpy(p->data, data + 2, caplen);
	ASAN_POISON_MEMORY_REGION(p->data + caplen, NC_SNAPLEN - caplen);

	r = nc_packet_decode(p);

	ASAN_UNPOISON_MEMORY_REGION(p->data + caplen, NC_SNAPLEN - caplen);
	if (r != 0 && r != -EPROTO)
		abort();
	if (r == -EPROTO) {
		/* every decoded field is zero */
		if (p->proto != 0 || !all_zero(&p->src, sizeof(p->src)) || !all_zero(&p->dst, sizeof(p->dst)) ||
		    p->tcp_flags != 0 || p->tcp_seq != 0 || p->icmp_type != 0 || p->icmp_seq != 0 ||
		    p->payload_off != 0 || p->payload_len != 0)
			abort();
	} else {
		/* the payload lies inside what was captured */
		if (p->payload_off > caplen || p->payload_len > caplen - p->payload_off)
			abort();
		if (p->src.family != p->dst.family)
			abort();
		if (p->proto != 0 && p->src.family == 0)
			abort();
	}
	/* only the cooked link types set a direction, and only an unknown one */
	if (p->linktype != DLT_LINUX_SLL && p->linktype != DLT_LINUX_SLL2 && p->direction != before)
		abort();
	if (before != NC_DIR_UNKNOWN && p->direction != before)
		abort();
	if (p->caplen != caplen || p->linktype != linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))])
		abort();
	return 0;
}
