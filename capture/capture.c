/* Capture: libpcap handles read on a libuv loop.
 *
 * Owns the pcap handles of every capture point, their uv_poll handles
 * (freed only in the close callback) and the packets read.  Entering
 * another network namespace is confined to nc_capture_add_point(): the
 * calling thread enters, opens the handles (a packet socket stays bound to
 * the namespace it was made in) and always returns.
 * May call: libpcap, libuv, packet.c.  Never prints. */
#include "netcheck/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcheck/testing.h"

#define BUFFER_BYTES (4 * 1024 * 1024) /* default kernel ring per point, split over its handles */
#define READ_TIMEOUT_MS 10             /* moot in immediate mode, but must be set */
#define DISPATCH_BATCH 256             /* per readiness event, so one busy point cannot starve the loop */
#define DRAIN_ROUNDS 64                /* at stop: bounded, in case packets keep coming */
#define FIRST_ALLOC 64

enum state { STATE_NEW, STATE_STARTED, STATE_STOPPING, STATE_STOPPED };

struct point;

/* One pcap handle of a point: the point's only one, or its inbound or
 * outbound half. */
struct handle {
	struct point *point;     /* borrowed: the point holding this handle */
	pcap_t *pcap;            /* owned; closed at stop (after polling ends) or free */
	uv_poll_t *poll;         /* owned; freed only in on_poll_closed() */
	nc_direction_t direction; /* of every packet this handle reads */
	bool nano;               /* timestamps in ns (else µs) */
	bool failed;             /* reading stopped after an error */
};

struct point {
	nc_capture_t *capture;   /* borrowed: the owner */
	nc_capture_point_info_t info;
	struct handle handles[2];
	size_t n_handles;
};

struct nc_capture {
	uv_loop_t *loop;         /* borrowed, outlives us */
	size_t max_packets;
	size_t buffer_bytes;     /* kernel ring per point, split over its handles */
	struct point points[NC_CAPTURE_MAX_POINTS];
	size_t n_points;
	nc_packet_t *packets;    /* owned; n_packets used of cap_packets */
	size_t n_packets, cap_packets;
	uint64_t not_stored;
	enum state state;
	size_t pending_closes;   /* uv_poll handles closing that point back at us */
	void (*stop_cb)(nc_capture_t *c, void *data);
	void *stop_data;         /* borrowed: the caller's */
};

int nc_capture_new(uv_loop_t *loop, size_t max_packets, nc_capture_t **ret)
{
	nc_capture_t *c;

	if (loop == NULL || ret == NULL || max_packets == 0 || max_packets > SIZE_MAX / sizeof(nc_packet_t))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->loop = loop;
	c->max_packets = max_packets;
	c->buffer_bytes = BUFFER_BYTES;
	c->state = STATE_NEW;
	*ret = c;
	return 0;
}

static void on_poll_closed(uv_handle_t *uvh)
{
	struct handle *h = uvh->data;
	nc_capture_t *c;

	free(uvh);
	if (h == NULL) /* detached by nc_capture_free() */
		return;
	h->poll = NULL;
	c = h->point->capture;
	if (--c->pending_closes == 0 && c->state == STATE_STOPPING) {
		c->state = STATE_STOPPED;
		if (c->stop_cb != NULL)
			c->stop_cb(c, c->stop_data);
	}
}

static void close_poll(struct handle *h)
{
	if (h->poll == NULL || uv_is_closing((uv_handle_t *)h->poll))
		return;
	uv_poll_stop(h->poll);
	h->point->capture->pending_closes++;
	uv_close((uv_handle_t *)h->poll, on_poll_closed);
}

int nc_capture_set_buffer_size(nc_capture_t *c, size_t bytes)
{
	if (c == NULL || bytes < 256 * 1024 || bytes > 512u * 1024 * 1024 || c->n_points > 0)
		return -EINVAL;
	c->buffer_bytes = bytes;
	return 0;
}

void nc_capture_free(nc_capture_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_points; i++) {
		struct point *pt = &c->points[i];

		for (size_t j = 0; j < pt->n_handles; j++) {
			struct handle *h = &pt->handles[j];

			if (h->poll != NULL) {
				/* still open or closing: let the close callback free only the handle */
				if (!uv_is_closing((uv_handle_t *)h->poll)) {
					uv_poll_stop(h->poll);
					uv_close((uv_handle_t *)h->poll, on_poll_closed);
				}
				h->poll->data = NULL;
				h->poll = NULL;
			}
			if (h->pcap != NULL)
				pcap_close(h->pcap);
			h->pcap = NULL;
		}
	}
	free(c->packets);
	free(c);
}

static void point_fail(struct handle *h, int code, const char *text)
{
	nc_capture_point_info_t *info = &h->point->info;

	h->failed = true;
	if (h->poll != NULL)
		uv_poll_stop(h->poll);
	if (info->error == 0) {
		info->error = code;
		snprintf(info->error_text, sizeof(info->error_text), "%s", text);
	}
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
	struct handle *h = (struct handle *)user;
	struct point *pt = h->point;
	nc_capture_t *c = pt->capture;
	uint32_t caplen = hdr->caplen < NC_SNAPLEN ? hdr->caplen : NC_SNAPLEN;
	nc_packet_t *p;

	if (c->n_packets >= c->max_packets || grow_packets(c) < 0) {
		pt->info.not_stored++;
		c->not_stored++;
		return;
	}
	p = &c->packets[c->n_packets++];
	memset(p, 0, sizeof(*p));
	p->point = (uint32_t)(pt - c->points);
	p->ts_ns = (uint64_t)hdr->ts.tv_sec * 1000000000u +
		   (uint64_t)hdr->ts.tv_usec * (h->nano ? 1u : 1000u);
	p->linktype = pt->info.linktype;
	p->direction = h->direction;
	p->caplen = caplen;
	p->origlen = hdr->len;
	memcpy(p->data, bytes, caplen);
	(void)nc_packet_decode(p); /* undecodable packets are kept raw */
}

static void on_poll(uv_poll_t *poll, int status, int events)
{
	struct handle *h = poll->data;
	int r;

	if (status < 0) {
		point_fail(h, status, uv_strerror(status));
		return;
	}
	if (!(events & UV_READABLE))
		return;
	r = pcap_dispatch(h->pcap, DISPATCH_BATCH, on_packet, (u_char *)h);
	if (r == PCAP_ERROR)
		point_fail(h, -EIO, pcap_geterr(h->pcap));
}

static int start_handle(nc_capture_t *c, struct handle *h)
{
	int fd, r;

	fd = pcap_get_selectable_fd(h->pcap);
	if (fd < 0)
		return -ENOTSUP;
	h->poll = malloc(sizeof(*h->poll));
	if (h->poll == NULL)
		return -ENOMEM;
	r = uv_poll_init(c->loop, h->poll, fd);
	if (r < 0) {
		/* never initialised: not a handle yet, plain free */
		free(h->poll);
		h->poll = NULL;
		return r;
	}
	h->poll->data = h;
	r = uv_poll_start(h->poll, UV_READABLE, on_poll);
	if (r < 0)
		close_poll(h);
	return r;
}

static int start_point(nc_capture_t *c, struct point *pt)
{
	for (size_t j = 0; j < pt->n_handles; j++) {
		int r = start_handle(c, &pt->handles[j]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int status_to_errno(int status)
{
	switch (status) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

static int pcap_fail(pcap_t *pcap, int status, const char *ifname, const char *what, nc_error_t *err)
{
	const char *text = pcap != NULL ? pcap_geterr(pcap) : "";

	if (text != NULL && text[0] != '\0')
		return nc_error_set(err, status_to_errno(status), "%s: %s: %s", ifname, what, text);
	return nc_error_set(err, status_to_errno(status), "%s: %s: %s", ifname, what, pcap_statustostr(status));
}

/* Creates and activates one handle on ifname (in the current netns). */
static int open_handle(struct handle *h, const char *ifname, int buffer_bytes, nc_error_t *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int r;

	h->pcap = pcap_create(ifname, errbuf);
	if (h->pcap == NULL)
		return nc_error_set(err, -EIO, "%s: %s", ifname, errbuf);
	if (pcap_set_snaplen(h->pcap, NC_SNAPLEN) != 0 || pcap_set_immediate_mode(h->pcap, 1) != 0 ||
	    pcap_set_timeout(h->pcap, READ_TIMEOUT_MS) != 0 || pcap_set_buffer_size(h->pcap, buffer_bytes) != 0)
		return nc_error_set(err, -EIO, "%s: cannot set capture options", ifname);
	(void)pcap_set_tstamp_precision(h->pcap, PCAP_TSTAMP_PRECISION_NANO); /* µs if not supported */
	r = pcap_activate(h->pcap);
	if (r < 0)
		return pcap_fail(h->pcap, r, ifname, "cannot capture", err);
	/* r > 0 is a warning (e.g. promiscuous mode unsupported); we never ask for that */
	h->nano = pcap_get_tstamp_precision(h->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	/* libpcap opens its AF_PACKET socket without close-on-exec */
	if (pcap_get_selectable_fd(h->pcap) >= 0)
		(void)fcntl(pcap_get_selectable_fd(h->pcap), F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Compiles text (NULL: everything) and installs it; non-blocking mode. */
static int setup_handle(struct handle *h, const char *ifname, const char *text, nc_error_t *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int r;

	if (text != NULL) {
		if (pcap_compile(h->pcap, &prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0)
			return nc_error_set(err, -EINVAL, "%s: bad filter \"%s\": %s", ifname, text, pcap_geterr(h->pcap));
		r = pcap_setfilter(h->pcap, &prog);
		pcap_freecode(&prog);
		if (r != 0)
			return pcap_fail(h->pcap, r, ifname, "cannot set filter", err);
	}
	if (pcap_setnonblock(h->pcap, 1, errbuf) != 0)
		return nc_error_set(err, -EIO, "%s: %s", ifname, errbuf);
	return 0;
}

/* ifindex and loopback flag of ifname in the current netns; quietly
 * unknown (0, false) for "any" or on error. */
static void interface_facts(const char *ifname, int *ret_ifindex, bool *ret_loopback)
{
	struct ifreq ifr;
	int fd;

	*ret_ifindex = 0;
	*ret_loopback = false;
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) == 0)
		*ret_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		*ret_loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
	close(fd);
}

static bool link_has_direction(int linktype)
{
	return linktype == DLT_LINUX_SLL || linktype == DLT_LINUX_SLL2;
}

/* Opens the handles of pt in the current netns.
 *
 * Direction: two handles, PCAP_D_IN and PCAP_D_OUT, each checked by
 * libpcap against the kernel's packet type of every packet.  Not the
 * "inbound"/"outbound" filter keywords: after pcap_setfilter() libpcap
 * filters the ring's first block in userland, where those keywords cannot
 * be evaluated and every packet fails. */
static int open_point(struct point *pt, const char *filter, nc_error_t *err)
{
	const char *ifname = pt->info.name;
	struct handle *in = &pt->handles[0], *out = &pt->handles[1];
	bool loopback;
	int r;

	interface_facts(ifname, &pt->info.ifindex, &loopback);
	for (size_t j = 0; j < NC_ARRAY_SIZE(pt->handles); j++) {
		pt->handles[j].point = pt;
		pt->handles[j].direction = NC_DIR_UNKNOWN;
	}
	pt->n_handles = 1;
	r = open_handle(in, ifname, pt->capture->buffer_bytes / 2, err);
	if (r < 0)
		return r;
	pt->info.linktype = pcap_datalink(in->pcap);
	pt->info.snaplen = (uint32_t)pcap_snapshot(in->pcap);
	r = setup_handle(in, ifname, filter, err);
	if (r < 0)
		return r;

	if (loopback || link_has_direction(pt->info.linktype) || pcap_setdirection(in->pcap, PCAP_D_IN) != 0) {
		/* one handle; loopback packets are each sent and received, so no direction */
		(void)pcap_setdirection(in->pcap, PCAP_D_INOUT);
		pt->info.direction_known = link_has_direction(pt->info.linktype);
		return 0;
	}
	in->direction = NC_DIR_IN;
	pt->n_handles = 2;
	out->direction = NC_DIR_OUT;
	r = open_handle(out, ifname, pt->capture->buffer_bytes / 2, err);
	if (r < 0)
		return r;
	r = setup_handle(out, ifname, filter, err);
	if (r < 0)
		return r;
	if (pcap_setdirection(out->pcap, PCAP_D_OUT) != 0)
		return pcap_fail(out->pcap, PCAP_ERROR, ifname, "cannot set direction", err);
	pt->info.direction_known = true;
	return 0;
}

/* Opens pt's handles inside the netns at netns_path, and always returns
 * the thread to its own netns. */
static int open_point_in(struct point *pt, const char *netns_path, const char *filter, nc_error_t *err)
{
	int self = -1, target = -1, r;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		r = -errno;
		nc_error_set(err, r, "cannot open /proc/self/ns/net: %s", strerror(-r));
		goto out;
	}
	target = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		r = -errno;
		nc_error_set(err, r, "cannot open %s: %s", netns_path, strerror(-r));
		goto out;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		nc_error_set(err, r, "cannot enter network namespace %s: %s", netns_path, strerror(-r));
		goto out;
	}
	r = open_point(pt, filter, err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* stranded in the container's namespace: every later socket,
		 * probe and engine call would go from there.  Nothing after this
		 * is safe (platform-linux.c does the same). */
		abort();
	}
out:
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return r;
}

int nc_capture_add_point(nc_capture_t *c, const char *ifname, const char *description,
			 const char *netns_path, const char *bpf_filter, nc_error_t *err)
{
	struct point *pt;
	size_t namelen;
	int r;

	if (c == NULL || ifname == NULL)
		return nc_error_set(err, -EINVAL, "no interface name");
	namelen = strlen(ifname);
	if (namelen == 0 || namelen >= sizeof(pt->info.name))
		return nc_error_set(err, -EINVAL, "bad interface name");
	if (bpf_filter != NULL && strnlen(bpf_filter, NC_CAPTURE_FILTER_MAX) >= NC_CAPTURE_FILTER_MAX)
		return nc_error_set(err, -EINVAL, "%s: filter longer than %d bytes", ifname, NC_CAPTURE_FILTER_MAX - 1);
	if (c->state == STATE_STOPPING || c->state == STATE_STOPPED)
		return nc_error_set(err, -EBUSY, "%s: capture is stopping", ifname);
	if (c->n_points >= NC_CAPTURE_MAX_POINTS)
		return nc_error_set(err, -ENOSPC, "%s: more than %d capture points", ifname, NC_CAPTURE_MAX_POINTS);

	pt = &c->points[c->n_points];
	memset(pt, 0, sizeof(*pt));
	pt->capture = c;
	memcpy(pt->info.name, ifname, namelen + 1);
	if (description != NULL)
		snprintf(pt->info.description, sizeof(pt->info.description), "%s", description);
	pt->info.in_netns = netns_path != NULL;

	if (netns_path != NULL)
		r = open_point_in(pt, netns_path, bpf_filter, err);
	else
		r = open_point(pt, bpf_filter, err);
	if (r < 0) {
		for (size_t j = 0; j < NC_ARRAY_SIZE(pt->handles); j++) {
			if (pt->handles[j].pcap != NULL)
				pcap_close(pt->handles[j].pcap);
			pt->handles[j].pcap = NULL;
		}
		return r;
	}
	c->n_points++;
	if (c->state == STATE_STARTED) {
		/* the point stays; whatever polls were made close with the rest */
		r = start_point(c, pt);
		if (r < 0)
			return nc_error_set(err, r, "%s: cannot poll: %s", ifname, uv_strerror(r));
	}
	return (int)(c->n_points - 1);
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
				for (size_t j = 0; j < c->points[k].n_handles; j++)
					close_poll(&c->points[k].handles[j]);
			return r;
		}
	}
	c->state = STATE_STARTED;
	return 0;
}

static void drain_and_count(struct handle *h)
{
	nc_capture_point_info_t *info = &h->point->info;
	struct pcap_stat st;

	if (h->pcap == NULL)
		return;
	for (int i = 0; i < DRAIN_ROUNDS && !h->failed; i++) {
		int r = pcap_dispatch(h->pcap, -1, on_packet, (u_char *)h);

		if (r == PCAP_ERROR)
			point_fail(h, -EIO, pcap_geterr(h->pcap));
		if (r <= 0)
			break;
	}
	/* both handles of a point see every packet passing the filter (libpcap
	 * then keeps its direction's): received is theirs alike, drops add up */
	if (pcap_stats(h->pcap, &st) == 0) {
		if (st.ps_recv > info->received)
			info->received = st.ps_recv;
		info->dropped += st.ps_drop;
	}
}

int nc_capture_stop(nc_capture_t *c, void (*cb)(nc_capture_t *c, void *data), void *data)
{
	if (c == NULL || c->state == STATE_NEW)
		return -EINVAL;
	if (c->state != STATE_STARTED)
		return -EALREADY;
	for (size_t i = 0; i < c->n_points; i++) {
		struct point *pt = &c->points[i];

		for (size_t j = 0; j < pt->n_handles; j++) {
			struct handle *h = &pt->handles[j];

			drain_and_count(h);
			close_poll(h); /* stops polling first, so closing the fd is safe */
			if (h->pcap != NULL)
				pcap_close(h->pcap);
			h->pcap = NULL;
		}
	}
	c->stop_cb = cb;
	c->stop_data = data;
	c->state = STATE_STOPPING;
	/* start made a poll handle per pcap handle, so something is closing */
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

/* Appends printf-style text at *pos; -ENOSPC when it does not fit. */
static int append(char *buf, size_t len, size_t *pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *pos)
		return -ENOSPC;
	*pos += (size_t)n;
	return 0;
}

int nc_capture_filter(const nc_endpoint_t *container_ip_port, uint16_t published_port,
		      const uint16_t *probe_ports, size_t n, char *buf, size_t len)
{
	char addr[NC_ENDPOINT_STRLEN];
	size_t pos = 0, ports = 0;
	const char *sep = "";
	int r;

	if (buf == NULL || len == 0 || (n > 0 && probe_ports == NULL))
		return -EINVAL;
	buf[0] = '\0';
	if (nc_endpoint_is_set(container_ip_port)) {
		r = nc_endpoint_format(container_ip_port, false, addr, sizeof(addr));
		if (r < 0)
			return r;
		/* host covers every protocol, ICMP echo and errors included */
		r = append(buf, len, &pos, "(host %s)", addr);
		if (r < 0)
			goto fail;
		sep = " or ";
	}
	if (published_port != 0) {
		r = append(buf, len, &pos, "%s(tcp port %u)", sep, published_port);
		if (r < 0)
			goto fail;
		sep = " or ";
	}
	for (size_t i = 0; i < n; i++) {
		if (probe_ports[i] == 0)
			continue;
		r = append(buf, len, &pos, "%s%stcp port %u", ports == 0 ? sep : " or ", ports == 0 ? "(" : "",
			   probe_ports[i]);
		if (r < 0)
			goto fail;
		ports++;
	}
	if (ports > 0) {
		r = append(buf, len, &pos, ")");
		if (r < 0)
			goto fail;
	}
	if (pos == 0)
		return -EINVAL;
	return 0;
fail:
	buf[0] = '\0';
	return r;
}
