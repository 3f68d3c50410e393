/* What the two halves of capture/ share: a capture and its points.
 * capture-handle.c opens a point's pcap handle (in the calling thread's
 * namespace) and builds the filters; capture-loop.c reads the handles on
 * the loop, keeps the packets, and closes everything.  Not part of the
 * interface: only capture/capture-*.c include this. */
#ifndef NETCHECK_CAPTURE_INTERNAL_H
#define NETCHECK_CAPTURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>
#include <uv.h>

#include "netcheck/capture.h"

enum state { STATE_NEW, STATE_STARTED, STATE_STOPPING, STATE_STOPPED };

/* A pcap handle being closed in the thread pool.  Allocated apart from
 * the capture, so nc_capture_free() can leave it to finish alone. */
struct closer {
	uv_work_t work;
	pcap_t *pcap;            /* owned: closed in the pool */
	int fd;                  /* owned, >= 0: a ring-less point's socket, closed in the pool */
	nc_capture_t *capture;   /* borrowed; NULL once the capture is freed */
};

struct point {
	nc_capture_t *capture;   /* borrowed: the owner */
	nc_capture_point_info_t info;
	pcap_t *pcap;            /* owned; handed to a closer at stop, or closed by free */
	uv_poll_t *poll;         /* owned; freed only in on_poll_closed() */
	struct closer *closer;   /* borrowed while it runs: its own allocation */
	bool nano;               /* timestamps in ns (else µs) */
	bool loopback;           /* each packet is both sent and received: no direction */
	bool failed;             /* reading stopped after an error */
	bool fed;                /* no handle: the caller hands its packets in (capture-feed.c) */
	bool ringless;           /* no handle: a packet socket read here, no ring (capture-socket.c) */
	int fd;                  /* owned when ringless: the packet socket */
	uint8_t *frame;          /* owned when ringless: one packet as SLL2, SLL2_LEN + snaplen bytes */
};

struct nc_capture {
	uv_loop_t *loop;         /* borrowed, outlives us */
	size_t max_packets;
	size_t buffer_bytes;     /* kernel ring per point */
	uint32_t snaplen;
	struct point points[NC_CAPTURE_MAX_POINTS];
	size_t n_points;
	nc_packet_t *packets;    /* owned; n_packets used of cap_packets */
	size_t n_packets, cap_packets;
	uint64_t not_stored;
	uint64_t written, max_written;
	nc_capture_packet_fn packet_cb;
	void *packet_data;       /* borrowed: the caller's */
	nc_capture_end_fn end_cb;
	void *end_data;          /* borrowed: the caller's */
	int end_status;          /* set when reading ended on its own, until end_cb is told */
	bool ended;              /* reading ended on its own (limit or callback error) */
	bool end_told;
	nc_packet_t scratch;     /* the packet being handed to the callback when not stored */
	enum state state;
	size_t pending_closes;   /* uv_poll handles and closers that call back to us */
	void (*stop_cb)(nc_capture_t *c, void *data);
	void *stop_data;         /* borrowed: the caller's */
};

/* A point opened apart from its capture: nc_capture_add_opened() copies
 * it in and takes its handle. */
struct nc_capture_opened {
	struct point point;
};

/* capture-handle.c: the name and filter checks every way of opening a
 * point makes (any_ok: "any" itself may be named), and a new opened point
 * with them filled in (fd -1, no handle yet); *ret: new. */
int nc_capture_check_point_args(const char *ifname, const char *bpf_filter, bool any_ok, nc_error_t *err);
int nc_capture_opened_new(const nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			  const char *bpf_filter, bool any_ok, nc_capture_opened_t **ret, nc_error_t *err);

/* capture-handle.c: text compiled for Ethernet frames (what the filter
 * check and a ring-less point's kernel filter use), its program returning
 * the largest length; *ret: new (pcap_freecode), why: pcap's words when it
 * fails.  0, -EINVAL (bad text) or -ENOMEM. */
int nc_capture_compile_ether(const char *text, struct bpf_program *ret, char *why, size_t why_len);

/* Ring-less points (capture-socket.c).  read: up to max packets now
 * waiting, each to nc_capture_keep(); the count read, or a negative errno
 * (the point failed).  stats: the kernel's counts since the last call
 * added to pt's.  release: what pt holds besides its fd, which the caller
 * closes (in the pool, as a ring's). */
int nc_capture_socket_read(struct point *pt, int max);
void nc_capture_socket_stats(struct point *pt);
void nc_capture_socket_release(struct point *pt);

/* A packet read (or handed in) at pt, kept or passed to the packet
 * callback as the capture's settings say.  bytes: borrowed, full_caplen of
 * them; direction: an nc_direction_t, or -1 for what decoding finds.
 * capture-loop.c. */
void nc_capture_keep(struct point *pt, uint64_t ts_ns, const uint8_t *bytes, uint32_t full_caplen, uint32_t origlen,
		     int direction);

#endif
