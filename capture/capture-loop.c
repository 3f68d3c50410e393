/* Capture: libpcap handles read on a libuv loop.
 *
 * Owns the points of a capture (their handles opened by capture-handle.c),
 * the uv_poll handle of each (freed only in the close callback), the
 * packets kept and the close requests handed to libuv's thread pool.
 * May call: libpcap, libuv, packet.c.  Never prints. */
#include "netcheck/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/testing.h"
#include "capture-internal.h"

/* A run's probes are a few dozen packets: 512 KiB holds thousands of
 * them, and a ring that small takes ~1 ms to set up where 4 MiB took ~10
 * (docs/performance.md). */
#define BUFFER_BYTES (512 * 1024)
#define DISPATCH_BATCH 256             /* per readiness event, so one busy point cannot starve the loop */
#define DRAIN_ROUNDS 64                /* at stop: bounded, in case packets keep coming */
#define FIRST_ALLOC 64

int nc_capture_new(uv_loop_t *loop, size_t max_packets, nc_capture_t **ret)
{
	nc_capture_t *c;

	if (loop == NULL || ret == NULL || max_packets > SIZE_MAX / sizeof(nc_packet_t))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->loop = loop;
	c->max_packets = max_packets;
	c->buffer_bytes = BUFFER_BYTES;
	c->snaplen = NC_SNAPLEN;
	c->state = STATE_NEW;
	*ret = c;
	return 0;
}

static void closed_one(nc_capture_t *c)
{
	if (--c->pending_closes == 0 && c->state == STATE_STOPPING) {
		c->state = STATE_STOPPED;
		if (c->stop_cb != NULL)
			c->stop_cb(c, c->stop_data);
	}
}

static void on_poll_closed(uv_handle_t *uvh)
{
	struct point *pt = uvh->data;

	free(uvh);
	if (pt == NULL) /* detached by nc_capture_free() */
		return;
	pt->poll = NULL;
	closed_one(pt->capture);
}

static void close_poll(struct point *pt)
{
	if (pt->poll == NULL || uv_is_closing((uv_handle_t *)pt->poll))
		return;
	uv_poll_stop(pt->poll);
	pt->capture->pending_closes++;
	uv_close((uv_handle_t *)pt->poll, on_poll_closed);
}

/* In the thread pool: pcap_close() waits for the kernel to let go of the
 * packet socket; these wait side by side. */
static void close_work(uv_work_t *w)
{
	struct closer *cl = w->data;

	if (cl->pcap != NULL)
		pcap_close(cl->pcap);
	else if (cl->fd >= 0)
		close(cl->fd);
	cl->pcap = NULL;
	cl->fd = -1;
}

static void close_done(uv_work_t *w, int status)
{
	struct closer *cl = w->data;
	nc_capture_t *c = cl->capture;

	(void)status; /* never cancelled */
	free(cl);
	if (c == NULL) /* detached by nc_capture_free() */
		return;
	for (size_t i = 0; i < c->n_points; i++)
		if (c->points[i].closer == cl)
			c->points[i].closer = NULL;
	closed_one(c);
}

/* Closes pt's ring-less socket here. */
static void close_socket_now(struct point *pt)
{
	if (!pt->ringless)
		return;
	if (pt->fd >= 0)
		close(pt->fd);
	pt->fd = -1;
	nc_capture_socket_release(pt);
}

/* Hands pt's pcap handle (or ring-less socket) to the thread pool; closes
 * it here if that fails. */
static void close_pcap(struct point *pt)
{
	nc_capture_t *c = pt->capture;
	struct closer *cl;

	if (pt->pcap == NULL && !(pt->ringless && pt->fd >= 0))
		return;
	cl = malloc(sizeof(*cl));
	if (cl != NULL) {
		cl->pcap = pt->pcap;
		cl->fd = pt->pcap == NULL ? pt->fd : -1;
		cl->capture = c;
		cl->work.data = cl;
		if (uv_queue_work(c->loop, &cl->work, close_work, close_done) == 0) {
			pt->pcap = NULL;
			if (pt->ringless) {
				pt->fd = -1;
				nc_capture_socket_release(pt);
			}
			pt->closer = cl;
			c->pending_closes++;
			return;
		}
		free(cl);
	}
	if (pt->pcap != NULL)
		pcap_close(pt->pcap);
	pt->pcap = NULL;
	close_socket_now(pt);
}

int nc_capture_set_buffer_size(nc_capture_t *c, size_t bytes)
{
	if (c == NULL || bytes < 256 * 1024 || bytes > 512u * 1024 * 1024 || c->n_points > 0)
		return -EINVAL;
	c->buffer_bytes = bytes;
	return 0;
}

int nc_capture_set_snaplen(nc_capture_t *c, uint32_t snaplen)
{
	if (c == NULL || snaplen < NC_CAPTURE_SNAPLEN_MIN || snaplen > NC_CAPTURE_SNAPLEN_MAX || c->n_points > 0)
		return -EINVAL;
	c->snaplen = snaplen;
	return 0;
}

int nc_capture_set_packet_cb(nc_capture_t *c, nc_capture_packet_fn cb, void *data)
{
	if (c == NULL || c->state != STATE_NEW)
		return -EINVAL;
	c->packet_cb = cb;
	c->packet_data = data;
	return 0;
}

int nc_capture_set_limit(nc_capture_t *c, uint64_t max_written, nc_capture_end_fn end_cb, void *data)
{
	if (c == NULL || c->state != STATE_NEW)
		return -EINVAL;
	c->max_written = max_written;
	c->end_cb = end_cb;
	c->end_data = data;
	return 0;
}

void nc_capture_free(nc_capture_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_points; i++) {
		struct point *pt = &c->points[i];

		if (pt->poll != NULL) {
			/* still open or closing: let the close callback free only the handle */
			if (!uv_is_closing((uv_handle_t *)pt->poll)) {
				uv_poll_stop(pt->poll);
				uv_close((uv_handle_t *)pt->poll, on_poll_closed);
			}
			pt->poll->data = NULL;
			pt->poll = NULL;
		}
		if (pt->closer != NULL) /* closing in the pool: it frees itself */
			pt->closer->capture = NULL;
		pt->closer = NULL;
		if (pt->pcap != NULL)
			pcap_close(pt->pcap);
		pt->pcap = NULL;
		close_socket_now(pt);
	}
	free(c->packets);
	free(c);
}

static void point_fail(struct point *pt, int code, const char *text)
{
	pt->failed = true;
	if (pt->poll != NULL)
		uv_poll_stop(pt->poll);
	if (pt->info.error == 0) {
		pt->info.error = code;
		snprintf(pt->info.error_text, sizeof(pt->info.error_text), "%s", text);
	}
}

/* Reading ends at every point (the limit, or the callback's error); the
 * end callback is told from on_poll(), outside pcap_dispatch(). */
static void end_reading(nc_capture_t *c, int status)
{
	if (c->ended)
		return;
	c->ended = true;
	c->end_status = status;
	for (size_t i = 0; i < c->n_points; i++)
		if (c->points[i].poll != NULL && !uv_is_closing((uv_handle_t *)c->points[i].poll))
			uv_poll_stop(c->points[i].poll);
}

static void tell_end(nc_capture_t *c)
{
	if (!c->ended || c->end_told || c->state != STATE_STARTED)
		return;
	c->end_told = true;
	if (c->end_cb != NULL)
		c->end_cb(c, c->end_status, c->end_data);
}

static int grow_packets(nc_capture_t *c)
{
	nc_packet_t *n;
	size_t cap;

	if (c->n_packets < c->cap_packets)
		return 0;
	cap = c->cap_packets == 0 ? FIRST_ALLOC : c->cap_packets * 2;
	if (cap > c->max_packets || cap < c->cap_packets)
		cap = c->max_packets;
	n = realloc(c->packets, cap * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	c->packets = n;
	c->cap_packets = cap;
	return 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
	struct point *pt = (struct point *)user;

	nc_capture_keep(pt, (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec * (pt->nano ? 1u : 1000u),
			bytes, hdr->caplen, hdr->len, -1);
}

void nc_capture_keep(struct point *pt, uint64_t ts_ns, const uint8_t *bytes, uint32_t full_caplen, uint32_t origlen,
		     int direction)
{
	nc_capture_t *c = pt->capture;
	uint32_t caplen = full_caplen < NC_SNAPLEN ? full_caplen : NC_SNAPLEN;
	bool store;
	nc_packet_t *p;

	if (c->ended)
		return; /* the rest of a batch after the limit */
	store = c->n_packets < c->max_packets && grow_packets(c) == 0;
	if (!store) {
		pt->info.not_stored++;
		c->not_stored++;
		if (c->packet_cb == NULL)
			return;
	}
	p = store ? &c->packets[c->n_packets++] : &c->scratch;
	memset(p, 0, offsetof(nc_packet_t, data));
	p->point = (uint32_t)(pt - c->points);
	p->ts_ns = ts_ns;
	p->linktype = pt->info.linktype;
	p->caplen = caplen;
	p->origlen = origlen;
	memcpy(p->data, bytes, caplen);
	(void)nc_packet_decode(p); /* undecodable packets are kept raw; SLL/SLL2 set the direction */
	if (direction >= 0)
		p->direction = (nc_direction_t)direction; /* a fed point's: the agent knew it */
	if (pt->loopback)
		p->direction = NC_DIR_UNKNOWN;
	if (c->packet_cb != NULL) {
		nc_capture_frame_t f = {
			.point = p->point,
			.ts_ns = p->ts_ns,
			.direction = p->direction,
			.linktype = p->linktype,
			.bytes = bytes,
			.caplen = full_caplen,
			.origlen = origlen,
			.packet = p,
		};
		int r = c->packet_cb(c, &f, c->packet_data);

		if (r < 0) {
			end_reading(c, r);
			return;
		}
		if (r == 0) {
			pt->info.written++;
			c->written++;
			if (c->max_written > 0 && c->written >= c->max_written)
				end_reading(c, 0);
		}
	}
}

static void on_poll(uv_poll_t *poll, int status, int events)
{
	struct point *pt = poll->data;
	int r;

	if (status < 0) {
		point_fail(pt, status, uv_strerror(status));
		return;
	}
	if (!(events & UV_READABLE))
		return;
	if (pt->ringless) {
		r = nc_capture_socket_read(pt, DISPATCH_BATCH);
		if (r < 0)
			point_fail(pt, r, strerror(-r));
	} else {
		r = pcap_dispatch(pt->pcap, DISPATCH_BATCH, on_packet, (u_char *)pt);
		if (r == PCAP_ERROR)
			point_fail(pt, -EIO, pcap_geterr(pt->pcap));
	}
	tell_end(pt->capture);
}

static int start_point(nc_capture_t *c, struct point *pt)
{
	int fd, r;

	if (pt->fed)
		return 0; /* its packets are handed in: nothing to poll */
	fd = pt->ringless ? pt->fd : pcap_get_selectable_fd(pt->pcap);
	if (fd < 0)
		return -ENOTSUP;
	pt->poll = malloc(sizeof(*pt->poll));
	if (pt->poll == NULL)
		return -ENOMEM;
	r = uv_poll_init(c->loop, pt->poll, fd);
	if (r < 0) {
		/* never initialised: not a handle yet, plain free */
		free(pt->poll);
		pt->poll = NULL;
		return r;
	}
	pt->poll->data = pt;
	r = uv_poll_start(pt->poll, UV_READABLE, on_poll);
	if (r < 0)
		close_poll(pt);
	return r;
}
int nc_capture_add_opened(nc_capture_t *c, nc_capture_opened_t *o, nc_error_t *err)
{
	const char *ifname = o->point.info.name;
	struct point *pt;
	int r;

	if (c->state == STATE_STOPPING || c->state == STATE_STOPPED) {
		nc_capture_opened_free(o);
		return nc_error_set(err, -EBUSY, "%s: capture is stopping", ifname);
	}
	if (c->n_points >= NC_CAPTURE_MAX_POINTS) {
		nc_capture_opened_free(o);
		return nc_error_set(err, -ENOSPC, "%s: more than %d capture points", ifname, NC_CAPTURE_MAX_POINTS);
	}
	pt = &c->points[c->n_points++];
	*pt = o->point; /* the handle is the point's now */
	pt->capture = c;
	free(o);
	if (c->state == STATE_STARTED) {
		/* the point stays; whatever poll was made closes with the rest */
		r = start_point(c, pt);
		if (r < 0)
			return nc_error_set(err, r, "%s: cannot poll: %s", pt->info.name, uv_strerror(r));
		if (c->ended)
			uv_poll_stop(pt->poll);
	}
	return (int)(c->n_points - 1);
}

int nc_capture_add_point(nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			 const char *bpf_filter, nc_error_t *err)
{
	nc_capture_opened_t *o;
	int r;

	r = nc_capture_open_point(c, ifname, description, in_netns, bpf_filter, &o, err);
	if (r < 0)
		return r;
	return nc_capture_add_opened(c, o, err);
}

int nc_capture_start(nc_capture_t *c)
{
	if (c == NULL || c->n_points == 0)
		return -EINVAL;
	if (c->state != STATE_NEW)
		return -EALREADY;
	for (size_t i = 0; i < c->n_points; i++) {
		int r = start_point(c, &c->points[i]);

		if (r < 0) {
			for (size_t k = 0; k <= i; k++)
				close_poll(&c->points[k]);
			return r;
		}
	}
	c->state = STATE_STARTED;
	return 0;
}

/* What the kernel holds for the point now; bounded, in case packets keep coming. */
static void drain(struct point *pt)
{
	if (pt->ringless) {
		for (int i = 0; i < DRAIN_ROUNDS && pt->fd >= 0 && !pt->failed && !pt->capture->ended; i++) {
			int r = nc_capture_socket_read(pt, DISPATCH_BATCH);

			if (r < 0)
				point_fail(pt, r, strerror(-r));
			if (r < DISPATCH_BATCH)
				break;
		}
		return;
	}
	if (pt->pcap == NULL)
		return;
	for (int i = 0; i < DRAIN_ROUNDS && !pt->failed && !pt->capture->ended; i++) {
		int r = pcap_dispatch(pt->pcap, -1, on_packet, (u_char *)pt);

		if (r == PCAP_ERROR)
			point_fail(pt, -EIO, pcap_geterr(pt->pcap));
		if (r <= 0)
			break;
	}
}

uint64_t nc_capture_read_ready(nc_capture_t *c)
{
	if (c == NULL)
		return 0;
	if (c->state == STATE_STARTED) {
		for (size_t i = 0; i < c->n_points; i++)
			drain(&c->points[i]);
		tell_end(c);
	}
	return (uint64_t)c->n_packets + c->not_stored;
}

static void drain_and_count(struct point *pt)
{
	struct pcap_stat st;

	if (pt->ringless) {
		drain(pt);
		nc_capture_socket_stats(pt);
		return;
	}
	if (pt->pcap == NULL)
		return;
	drain(pt);
	if (pcap_stats(pt->pcap, &st) == 0) {
		pt->info.received = st.ps_recv;
		pt->info.dropped = st.ps_drop;
	}
}

int nc_capture_stop(nc_capture_t *c, void (*cb)(nc_capture_t *c, void *data), void *data)
{
	if (c == NULL || c->state == STATE_NEW)
		return -EINVAL;
	if (c->state != STATE_STARTED)
		return -EALREADY;
	c->state = STATE_STOPPING; /* from here the end callback is not called */
	c->stop_cb = cb;
	c->stop_data = data;
	for (size_t i = 0; i < c->n_points; i++) {
		struct point *pt = &c->points[i];

		drain_and_count(pt);
		close_poll(pt); /* stops polling first, so closing the fd is safe */
		close_pcap(pt);
	}
	/* start made a poll handle per point it reads, so something is
	 * closing and cb will come; with fed points only, nothing is */
	if (c->pending_closes == 0) {
		c->pending_closes = 1;
		closed_one(c);
	}
	return 0;
}

size_t nc_capture_point_count(const nc_capture_t *c)
{
	return c != NULL ? c->n_points : 0;
}

const nc_capture_point_info_t *nc_capture_point(const nc_capture_t *c, size_t i)
{
	return c != NULL && i < c->n_points ? &c->points[i].info : NULL;
}

size_t nc_capture_packet_count(const nc_capture_t *c)
{
	return c != NULL ? c->n_packets : 0;
}

const nc_packet_t *nc_capture_packet(const nc_capture_t *c, size_t i)
{
	return c != NULL && i < c->n_packets ? &c->packets[i] : NULL;
}

const nc_packet_t *nc_capture_packets(const nc_capture_t *c, size_t *ret_n)
{
	if (ret_n != NULL)
		*ret_n = c != NULL ? c->n_packets : 0;
	return c != NULL ? c->packets : NULL;
}

uint64_t nc_capture_not_stored(const nc_capture_t *c)
{
	return c != NULL ? c->not_stored : 0;
}

uint64_t nc_capture_written(const nc_capture_t *c)
{
	return c != NULL ? c->written : 0;
}

int nc_capture_sort_by_time(nc_capture_t *c)
{
	nc_packet_order_t *order;
	nc_packet_t *sorted;

	if (c == NULL)
		return -EINVAL;
	if (c->n_packets < 2)
		return 0;
	order = malloc(c->n_packets * sizeof(*order));
	sorted = malloc(c->n_packets * sizeof(*sorted));
	if (order == NULL || sorted == NULL) {
		free(order);
		free(sorted);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_packets; i++) {
		order[i].ts_ns = c->packets[i].ts_ns;
		order[i].index = i;
	}
	nc_packet_order_sort(order, c->n_packets);
	for (size_t i = 0; i < c->n_packets; i++)
		sorted[i] = c->packets[order[i].index];
	free(order);
	free(c->packets);
	c->packets = sorted;
	c->cap_packets = c->n_packets;
	return 0;
}
