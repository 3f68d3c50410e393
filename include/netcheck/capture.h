/* netcheck: packet capture at every point packets cross.
 *
 * An nc_capture_t owns one libpcap handle set per capture point (an
 * interface, possibly inside another network namespace), the uv_poll
 * handles that read them on the caller's libuv loop, and the packets read
 * (copied, decoded with nc_packet_decode()).  It never prints; libpcap's
 * text goes into the caller's nc_error_t.
 *
 * Direction: for Ethernet-like points (not loopback) a point is opened as
 * two handles, one PCAP_D_IN and one PCAP_D_OUT (libpcap checks the
 * kernel's packet type of each packet), so every packet's direction is
 * known without guessing from MAC addresses (which fails on bridge ports).
 * The kernel copies each packet to both; the filter keeps that small.
 * Loopback points get NC_DIR_UNKNOWN (each packet is both sent and
 * received); cooked (SLL) points get it from their header.  Where
 * directions cannot be set the point has one handle and NC_DIR_UNKNOWN.
 *
 * Life cycle: new → add_point* → start → (loop runs) → stop → cb → free.
 * May call: libpcap, libuv, packet.c. */
#ifndef NETCHECK_CAPTURE_H
#define NETCHECK_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/packet.h"

#define NC_CAPTURE_MAX_POINTS 32
#define NC_CAPTURE_FILTER_MAX 4096 /* longest filter text nc_capture_add_point() takes */

typedef struct nc_capture nc_capture_t;

typedef struct nc_capture_point_info {
	char name[64];         /* interface name */
	char description[128]; /* caller's words, e.g. "container eth0" (truncated to fit) */
	int linktype;          /* DLT_* */
	uint32_t snaplen;
	int ifindex;           /* in its own netns; 0 if unknown ("any") */
	uint64_t received;     /* pcap_stats ps_recv at stop: passed the filter (either direction) */
	uint64_t dropped;      /* pcap_stats ps_drop, summed over the point's handles: buffer full */
	bool in_netns;
	/* additions: */
	uint64_t not_stored;   /* read but not kept: max_packets reached (or ENOMEM) */
	bool direction_known;  /* packets carry NC_DIR_IN/OUT */
	int error;             /* 0, or the negative errno that stopped reading this point */
	char error_text[128];  /* libpcap's words for it */
} nc_capture_point_info_t;

/* loop: borrowed, must outlive the capture.  max_packets: how many packets
 * to keep over all points (>= 1); later ones are counted, not kept.
 * ret: new, free with nc_capture_free(). */
int nc_capture_new(uv_loop_t *loop, size_t max_packets, nc_capture_t **ret);

/* Kernel ring per capture point (split over its handles), before the
 * first point is added: 256 KiB .. 512 MiB, default 4 MiB.  A long capture
 * of bulk traffic wants more (netcheck capture: 16 MiB); a run's few
 * probes do with the default, which costs less to set up.  0 or -EINVAL. */
int nc_capture_set_buffer_size(nc_capture_t *c, size_t bytes);

/* Opens the point now, so privilege errors surface before probes start.
 * ifname: interface name (< 64 bytes); description: may be NULL;
 * netns_path: NULL for ours, or a netns file such as "/proc/<pid>/ns/net"
 * or "/var/run/netns/NAME" (the thread enters it only to open the handles);
 * bpf_filter: may be NULL (everything); all borrowed for the call only.
 * err: may be NULL; gets libpcap's text on failure.
 * Returns the point index >= 0, or -EPERM (not permitted), -ENODEV (no such
 * interface), -ENETDOWN (interface down), -EINVAL (bad filter or name),
 * -ENOSPC (NC_CAPTURE_MAX_POINTS reached), -EBUSY (already stopping),
 * -EIO (other libpcap failure) or another negative errno.
 * May be called after nc_capture_start(): the point is read from then on. */
int nc_capture_add_point(nc_capture_t *c, const char *ifname, const char *description,
			 const char *netns_path, const char *bpf_filter, nc_error_t *err);

/* Starts polling every point on the loop.  0, -EINVAL (no points),
 * -EALREADY, or a UV_E* code (then nothing is polled; run the loop before
 * nc_capture_free() so the half-made handles close). */
int nc_capture_start(nc_capture_t *c);

/* Drains what the kernel buffered, reads pcap_stats into the point infos,
 * stops polling and closes the handles; cb (may be NULL) is called from the
 * loop once all are closed.  Returns 0, or -EINVAL (never started) /
 * -EALREADY (stopping), and then cb is never called. */
int nc_capture_stop(nc_capture_t *c, void (*cb)(nc_capture_t *c, void *data), void *data);

/* Safe in any state; handles still open are closed with the memory
 * detached, so the loop must still run once before uv_loop_close().  The
 * intended use is after stop's cb, or when never started.  NULL: no-op. */
void nc_capture_free(nc_capture_t *c);

size_t nc_capture_point_count(const nc_capture_t *c);
/* borrowed, valid until nc_capture_free(); NULL if i is out of range */
const nc_capture_point_info_t *nc_capture_point(const nc_capture_t *c, size_t i);

size_t nc_capture_packet_count(const nc_capture_t *c);
/* borrowed, valid until the next packet is read, nc_capture_sort_by_time()
 * or nc_capture_free(); NULL if i is out of range.  Arrival order (per
 * point; the two handles of a point interleave) until sorted. */
const nc_packet_t *nc_capture_packet(const nc_capture_t *c, size_t i);
/* All packets as one array (for nc_attribute()); same lifetime as above. */
const nc_packet_t *nc_capture_packets(const nc_capture_t *c, size_t *ret_n);
/* Packets read but not kept, over all points. */
uint64_t nc_capture_not_stored(const nc_capture_t *c);
/* Stable sort of all packets by ts_ns.  0 or -ENOMEM (order unchanged). */
int nc_capture_sort_by_time(nc_capture_t *c);

/* BPF filter text for a run: the container's host, the published port and
 * every probe's local port, e.g.
 * "(host 172.17.0.2) or (tcp port 32768) or (tcp port 44482 or tcp port 44483)".
 * Any part may be absent (unset endpoint, port 0, n 0) but not all.
 * Returns 0, -EINVAL (nothing to match) or -ENOSPC (buf too small). */
int nc_capture_filter(const nc_endpoint_t *container_ip_port, uint16_t published_port,
		      const uint16_t *probe_ports, size_t n, char *buf, size_t len);

#endif
