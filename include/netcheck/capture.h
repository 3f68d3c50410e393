/* netcheck: packet capture at every point packets cross.
 *
 * An nc_capture_t owns one libpcap handle per capture point (an interface
 * of the network namespace the calling thread is in when the point is
 * added), the uv_poll handles that read them on the caller's libuv loop,
 * and, up to a limit, the packets read (copied, decoded with
 * nc_packet_decode()).  It never prints; libpcap's text goes into the
 * caller's nc_error_t.  It never changes namespace: a caller that wants a
 * point inside a container enters the container's namespace on this
 * thread around nc_capture_add_point() or nc_capture_open_point() (the
 * platform layer's nc_platform_netns_enter()/_leave()); a packet socket
 * stays bound to the namespace it was made in.
 *
 * Direction: each point is one handle on libpcap's "any" device with link
 * type DLT_LINUX_SLL2, and a kernel filter "ifindex N" for the point's
 * interface.  SLL2 carries the kernel's packet type of every packet
 * (PACKET_OUTGOING: out; host, broadcast, multicast, other host: in), so
 * one handle gives each packet's direction, where MAC addresses would only
 * guess (and guess wrong on bridge ports).  Loopback: the kernel hands a
 * packet socket each looped packet twice, once outgoing and once incoming;
 * the point's filter keeps only the incoming copy ("inbound"), so every
 * packet is read and counted once, and its direction is NC_DIR_UNKNOWN
 * (each is both sent and received).  If the "any" device or SLL2 is not
 * available the point is opened on the interface itself, with its own link
 * type and no direction.
 *
 * Life cycle: new → [set_*] → add_point* (or open_point on threads, then
 * add_opened) → start → (loop runs) → stop → cb → free.  Stop hands the pcap handles to libuv's thread pool to close
 * (closing a packet socket waits for an RCU grace period; in parallel they
 * wait for about one) and calls cb once all are closed.
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
#define NC_CAPTURE_SNAPLEN_MIN 64
#define NC_CAPTURE_SNAPLEN_MAX 262144 /* libpcap's MAXIMUM_SNAPLEN */

typedef struct nc_capture nc_capture_t;

typedef struct nc_capture_point_info {
	char name[64];         /* interface name */
	char description[128]; /* caller's words, e.g. "container eth0" (truncated to fit) */
	int linktype;          /* DLT_* */
	uint32_t snaplen;
	int ifindex;           /* in its own netns; 0 if unknown ("any") */
	uint64_t received;     /* pcap_stats ps_recv at stop: passed the filter */
	uint64_t dropped;      /* pcap_stats ps_drop at stop: kernel ring full */
	bool in_netns;
	/* additions: */
	uint64_t not_stored;   /* read but not kept: max_packets reached (or ENOMEM) */
	uint64_t written;      /* handed to the packet callback, which took it (returned 0) */
	bool direction_known;  /* packets carry NC_DIR_IN/OUT */
	int error;             /* 0, or the negative errno that stopped reading this point */
	char error_text[128];  /* libpcap's words for it */
} nc_capture_point_info_t;

/* loop: borrowed, must outlive the capture.  max_packets: how many packets
 * to keep over all points; later ones are counted, not kept.  0 keeps
 * none (with a packet callback: memory stays bounded however long it runs).
 * ret: new, free with nc_capture_free(). */
int nc_capture_new(uv_loop_t *loop, size_t max_packets, nc_capture_t **ret);

/* Kernel ring per capture point, before the first point is added:
 * 256 KiB .. 512 MiB, default 512 KiB.  A run's few probes need little and
 * a small ring is quick to set up; a long capture of bulk traffic wants
 * more (netcheck capture: 16 MiB).  0 or -EINVAL. */
int nc_capture_set_buffer_size(nc_capture_t *c, size_t bytes);

/* Bytes captured per packet, before the first point is added:
 * NC_CAPTURE_SNAPLEN_MIN .. NC_CAPTURE_SNAPLEN_MAX, default NC_SNAPLEN.
 * Stored packets keep at most NC_SNAPLEN of them; the packet callback sees
 * all.  0 or -EINVAL. */
int nc_capture_set_snaplen(nc_capture_t *c, uint32_t snaplen);

/* One packet as read, for the packet callback.  Everything borrowed for
 * the call only. */
typedef struct nc_capture_frame {
	uint32_t point;            /* index of the capture point */
	uint64_t ts_ns;            /* ns since the epoch */
	nc_direction_t direction;
	int linktype;              /* DLT_* of the point */
	const uint8_t *bytes;      /* caplen bytes, link header first */
	uint32_t caplen, origlen;
	const nc_packet_t *packet; /* the first NC_SNAPLEN bytes, decoded */
} nc_capture_frame_t;

/* Called for every packet read, on the loop thread, before (and whether
 * or not) it is stored.  Returns 0 when it took the packet (counted as
 * written; counts towards the limit), 1 when it skipped it, or a negative
 * errno: then reading stops at every point and the end callback gets that
 * code. */
typedef int (*nc_capture_packet_fn)(nc_capture_t *c, const nc_capture_frame_t *f, void *data);
/* Called once, from the loop, when capture stops reading on its own:
 * status 0 when the limit of written packets was reached, or the packet
 * callback's negative errno.  The caller then calls nc_capture_stop()
 * (which may be done from inside this callback). */
typedef void (*nc_capture_end_fn)(nc_capture_t *c, int status, void *data);

/* Before nc_capture_start(); cb NULL removes it.  data: borrowed, the
 * caller's.  0 or -EINVAL (started already). */
int nc_capture_set_packet_cb(nc_capture_t *c, nc_capture_packet_fn cb, void *data);
/* Stop reading after max_written packets were written (0: no limit) and
 * call end_cb (may be NULL).  Before nc_capture_start().  0 or -EINVAL. */
int nc_capture_set_limit(nc_capture_t *c, uint64_t max_written, nc_capture_end_fn end_cb, void *data);

/* Opens the point now, in the calling thread's network namespace, so
 * privilege errors surface before probes start.
 * ifname: interface name (< 64 bytes), "any" for all; description: may be
 * NULL; in_netns: recorded in the point's info (the caller entered another
 * namespace to add it); bpf_filter: pcap-filter text, may be NULL
 * (everything); all borrowed for the call only.
 * err: may be NULL; gets libpcap's text on failure.
 * Returns the point index >= 0, or -EPERM (not permitted), -ENODEV (no such
 * interface), -ENETDOWN (interface down), -EINVAL (bad filter or name),
 * -ENOSPC (NC_CAPTURE_MAX_POINTS reached), -EBUSY (already stopping),
 * -EIO (other libpcap failure) or another negative errno.
 * May be called after nc_capture_start(): the point is read from then on. */
int nc_capture_add_point(nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			 const char *bpf_filter, nc_error_t *err);

/* nc_capture_add_point() in two halves, for points opened at once.  The
 * slow part of a point is the kernel's: setting up a packet socket's ring
 * waits for an RCU grace period (~10 ms on a 2-core VM), so points opened
 * one after another wait for one each.  nc_capture_open_point() reads
 * nothing of c but its settings (buffer size, snaplen) and changes
 * nothing: several may run at once on threads, each in the namespace it
 * entered, between the set_* calls and nc_capture_free().  Arguments and
 * errors as nc_capture_add_point()'s; *ret: new, NULL on error.
 * nc_capture_add_opened(), on the loop's thread, makes o a point of c
 * (o: taken, also on error) and returns its index. */
typedef struct nc_capture_opened nc_capture_opened_t;
int nc_capture_open_point(const nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			  const char *bpf_filter, nc_capture_opened_t **ret, nc_error_t *err);
int nc_capture_add_opened(nc_capture_t *c, nc_capture_opened_t *o, nc_error_t *err);
/* An opened point never added: closes it.  NULL is a no-op. */
void nc_capture_opened_free(nc_capture_opened_t *o);

/* A spare: a point opened before its interface is known (or exists), so
 * that the ring's grace period is paid while the caller waits for
 * something else (a container starting).  nc_capture_open_spare() opens
 * a handle on "any" in the current netns that takes no packet, as
 * nc_capture_open_point() would (same settings, same threads rule);
 * -ENOTSUP where libpcap cannot give SLL2 on "any".  *ret: new, NULL on
 * error.  nc_capture_aim_spare() then makes it the point of ifname in that
 * same netns with bpf_filter, as nc_capture_open_point() would have made
 * it, without a new ring; errors as nc_capture_open_point()'s, after which
 * o is still the caller's, to free.  An aimed spare is added with
 * nc_capture_add_opened(). */
int nc_capture_open_spare(const nc_capture_t *c, nc_capture_opened_t **ret, nc_error_t *err);
int nc_capture_aim_spare(nc_capture_opened_t *o, const char *ifname, const char *description,
			 const char *bpf_filter, nc_error_t *err);

/* A ring-less point (capture-socket.c): opened as nc_capture_open_point()
 * would, in the calling thread's netns, without the ring's grace period;
 * each packet is one recvmsg() on the loop, so for a run's few packets,
 * not for streams.  Its packets are SLL2 like an "any" handle's.
 * -ENOTSUP where the interface is not Ethernet (the caller opens it with
 * a ring then); other errors as nc_capture_open_point()'s. */
int nc_capture_open_ringless(const nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			     const char *bpf_filter, nc_capture_opened_t **ret, nc_error_t *err);

/* Fed points (capture-feed.c): points whose packets the caller hands in,
 * read elsewhere (the capture agent on the engine's side).  From then on
 * like any point: stored, decoded, passed to the packet callback, counted.
 * add: name (< 64 bytes) and description borrowed for the call; returns
 * the index, -EINVAL, -EBUSY (stopping) or -ENOSPC.  feed_packet: after
 * start, before stop (else -EBUSY); bytes borrowed, caplen of them.
 * feed_counters: the point's received/dropped as its reader counted them.
 * feed_failed: the reader is gone (error < 0, text borrowed): the point
 * keeps what it had, marked with the error, and takes no more. */
int nc_capture_add_fed_point(nc_capture_t *c, const char *name, const char *description, int linktype,
			     uint32_t snaplen, int ifindex);
int nc_capture_feed_packet(nc_capture_t *c, uint32_t point, uint64_t ts_ns, nc_direction_t direction,
			   const uint8_t *bytes, uint32_t caplen, uint32_t origlen);
int nc_capture_feed_counters(nc_capture_t *c, uint32_t point, uint64_t received, uint64_t dropped);
int nc_capture_feed_failed(nc_capture_t *c, uint32_t point, int error, const char *text);

/* Starts polling every point on the loop.  0, -EINVAL (no points),
 * -EALREADY, or a UV_E* code (then nothing is polled; run the loop before
 * nc_capture_free() so the half-made handles close). */
int nc_capture_start(nc_capture_t *c);

/* Reads what the kernel holds for every point now (a packet on its way is
 * in a point's ring once the kernel has passed it there: no wait).
 * Returns how many packets were read since start, kept or not, so a caller
 * can tell whether any came since it last asked.  Any state; reads only
 * when started. */
uint64_t nc_capture_read_ready(nc_capture_t *c);

/* Drains what the kernel buffered, reads pcap_stats into the point infos
 * (final once this returns), stops polling and closes the pcap handles in
 * libuv's thread pool, all at once; cb (may be NULL) is called from the
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
 * point) until sorted. */
const nc_packet_t *nc_capture_packet(const nc_capture_t *c, size_t i);
/* All packets as one array (for nc_attribute()); same lifetime as above. */
const nc_packet_t *nc_capture_packets(const nc_capture_t *c, size_t *ret_n);
/* Packets read but not kept, over all points. */
uint64_t nc_capture_not_stored(const nc_capture_t *c);
/* Packets the packet callback took (returned 0), over all points. */
uint64_t nc_capture_written(const nc_capture_t *c);
/* Stable sort of all packets by ts_ns.  0 or -ENOMEM (order unchanged). */
int nc_capture_sort_by_time(nc_capture_t *c);

/* Is text a pcap-filter expression (as the user wrote it, before netcheck
 * ANDs it with its scope)?  0, or -EINVAL with err saying libpcap's why in
 * one line. */
int nc_capture_filter_check(const char *text, nc_error_t *err);

/* BPF filter text for a run: the container's host, the published port and
 * every probe's local port, e.g.
 * "(host 172.17.0.2) or (tcp port 32768) or (tcp port 44482 or tcp port 44483)".
 * Any part may be absent (unset endpoint, port 0, n 0) but not all.
 * Returns 0, -EINVAL (nothing to match) or -ENOSPC (buf too small). */
int nc_capture_filter(const nc_endpoint_t *container_ip_port, uint16_t published_port,
		      const uint16_t *probe_ports, size_t n, char *buf, size_t len);

#endif
