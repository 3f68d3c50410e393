/* Capture: a point's libpcap handle, opened.
 *
 * Creates and activates the pcap handle of one capture point (libpcap's
 * `any` device narrowed to the interface by its index, SLL2, immediate
 * mode, a small ring) with its filter, in the calling thread's network
 * namespace: entering another is the caller's business.  Also the filter
 * text for a run's points (nc_capture_filter).  The handle is read on the
 * loop by capture-loop.c.  May call: libpcap, libc.  Never prints. */
#include "netcheck/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcheck/testing.h"
#include "capture-internal.h"

#define READ_TIMEOUT_MS 10             /* moot in immediate mode, but must be set */
#define POINT_FILTER_MAX (NC_CAPTURE_FILTER_MAX + 64) /* the caller's text and our ifindex part */

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

/* Creates and activates the handle of pt on device (in the current netns). */
static int open_handle(struct point *pt, const char *device, nc_error_t *err)
{
	nc_capture_t *c = pt->capture;
	const char *ifname = pt->info.name;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int r;

	pt->pcap = pcap_create(device, errbuf);
	if (pt->pcap == NULL)
		return nc_error_set(err, -EIO, "%s: %s", ifname, errbuf);
	if (pcap_set_snaplen(pt->pcap, (int)c->snaplen) != 0 || pcap_set_immediate_mode(pt->pcap, 1) != 0 ||
	    pcap_set_timeout(pt->pcap, READ_TIMEOUT_MS) != 0 || pcap_set_buffer_size(pt->pcap, (int)c->buffer_bytes) != 0)
		return nc_error_set(err, -EIO, "%s: cannot set capture options", ifname);
	(void)pcap_set_tstamp_precision(pt->pcap, PCAP_TSTAMP_PRECISION_NANO); /* µs if not supported */
	r = pcap_activate(pt->pcap);
	if (r < 0)
		return pcap_fail(pt->pcap, r, ifname, "cannot capture", err);
	/* r > 0 is a warning (e.g. promiscuous mode unsupported); we never ask for that */
	pt->nano = pcap_get_tstamp_precision(pt->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	/* libpcap opens its AF_PACKET socket without close-on-exec */
	if (pcap_get_selectable_fd(pt->pcap) >= 0)
		(void)fcntl(pcap_get_selectable_fd(pt->pcap), F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Compiles text (NULL: everything) and installs it; non-blocking mode. */
static int setup_handle(struct point *pt, const char *text, nc_error_t *err)
{
	const char *ifname = pt->info.name;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int r;

	if (text != NULL && text[0] != '\0') {
		if (pcap_compile(pt->pcap, &prog, text, 1, PCAP_NETMASK_UNKNOWN) != 0)
			return nc_error_set(err, -EINVAL, "%s: bad filter \"%s\": %s", ifname, text, pcap_geterr(pt->pcap));
		r = pcap_setfilter(pt->pcap, &prog);
		pcap_freecode(&prog);
		if (r != 0)
			return pcap_fail(pt->pcap, r, ifname, "cannot set filter", err);
	}
	if (pcap_setnonblock(pt->pcap, 1, errbuf) != 0)
		return nc_error_set(err, -EIO, "%s: %s", ifname, errbuf);
	return 0;
}

/* ifindex and flags of ifname in the current netns: -ENODEV if there is
 * no such interface, -ENETDOWN if it is down. */
static int interface_facts(const char *ifname, int *ret_ifindex, bool *ret_loopback)
{
	struct ifreq ifr;
	int fd, r = 0;

	*ret_ifindex = 0;
	*ret_loopback = false;
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		r = errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
		goto out;
	}
	*ret_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
		goto out;
	}
	*ret_loopback = (ifr.ifr_flags & IFF_LOOPBACK) != 0;
	if (!(ifr.ifr_flags & IFF_UP))
		r = -ENETDOWN;
out:
	close(fd);
	return r;
}

/* Aims pt's open handle at its interface: on "any" with SLL2, an ifindex
 * filter joined to the caller's (one handle, direction from the packet
 * type); on the interface itself, the caller's filter alone. */
static int aim_point(struct point *pt, bool any, const char *filter, nc_error_t *err)
{
	const char *ifname = pt->info.name;
	char *text = NULL;
	int r;

	pt->info.linktype = pcap_datalink(pt->pcap);
	pt->info.snaplen = (uint32_t)pcap_snapshot(pt->pcap);
	pt->info.direction_known =
		!pt->loopback && (pt->info.linktype == DLT_LINUX_SLL2 || pt->info.linktype == DLT_LINUX_SLL);

	if (pt->info.linktype == DLT_LINUX_SLL2 && !any) {
		/* the kernel copies each looped packet out and back in: keep one */
		size_t len = POINT_FILTER_MAX;

		text = malloc(len);
		if (text == NULL)
			return nc_error_set(err, -ENOMEM, "%s: out of memory", ifname);
		snprintf(text, len, "ifindex %d%s%s%s%s", pt->info.ifindex, pt->loopback ? " and inbound" : "",
			 filter != NULL ? " and (" : "", filter != NULL ? filter : "", filter != NULL ? ")" : "");
		filter = text;
	}
	r = setup_handle(pt, filter, err);
	free(text);
	return r;
}

/* pt's interface facts (ifindex, loopback), or why it cannot be captured. */
static int point_interface(struct point *pt, nc_error_t *err)
{
	const char *ifname = pt->info.name;
	int r = interface_facts(ifname, &pt->info.ifindex, &pt->loopback);

	if (r == -ENODEV)
		return nc_error_set(err, r, "%s: no such interface", ifname);
	if (r == -ENETDOWN)
		return nc_error_set(err, r, "%s: interface is down", ifname);
	if (r < 0)
		return nc_error_set(err, r, "%s: %s", ifname, strerror(-r));
	return 0;
}

/* Opens pt's handle in the current netns: on "any" with SLL2 and an
 * ifindex filter, else (an older libpcap) on the interface itself (no
 * direction). */
static int open_point(struct point *pt, const char *filter, nc_error_t *err)
{
	const char *ifname = pt->info.name;
	bool any = strcmp(ifname, "any") == 0;
	int r;

	if (!any) {
		r = point_interface(pt, err);
		if (r < 0)
			return r;
	}
	r = open_handle(pt, "any", err);
	if (r < 0)
		return r;
	if (pcap_set_datalink(pt->pcap, DLT_LINUX_SLL2) != 0 && !any) {
		/* an older libpcap: the interface itself, with no direction */
		pcap_close(pt->pcap);
		pt->pcap = NULL;
		r = open_handle(pt, ifname, err);
		if (r < 0)
			return r;
	}
	return aim_point(pt, any, filter, err);
}

int nc_capture_check_point_args(const char *ifname, const char *bpf_filter, bool any_ok, nc_error_t *err)
{
	size_t namelen = ifname != NULL ? strlen(ifname) : 0;

	if (namelen == 0 || namelen >= sizeof(((nc_capture_point_info_t *)0)->name) || namelen >= IFNAMSIZ ||
	    (!any_ok && strcmp(ifname, "any") == 0))
		return nc_error_set(err, -EINVAL, ifname == NULL ? "no interface name" : "bad interface name");
	if (bpf_filter != NULL && strnlen(bpf_filter, NC_CAPTURE_FILTER_MAX) >= NC_CAPTURE_FILTER_MAX)
		return nc_error_set(err, -EINVAL, "%s: filter longer than %d bytes", ifname, NC_CAPTURE_FILTER_MAX - 1);
	return 0;
}

int nc_capture_opened_new(const nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			  const char *bpf_filter, bool any_ok, nc_capture_opened_t **ret, nc_error_t *err)
{
	nc_capture_opened_t *o;
	int r;

	*ret = NULL;
	if (c == NULL)
		return nc_error_set(err, -EINVAL, "no capture");
	r = nc_capture_check_point_args(ifname, bpf_filter, any_ok, err);
	if (r < 0)
		return r;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return nc_error_set(err, -ENOMEM, "%s: out of memory", ifname);
	o->point.capture = (nc_capture_t *)c; /* its settings only, until added */
	o->point.fd = -1;
	snprintf(o->point.info.name, sizeof(o->point.info.name), "%s", ifname);
	snprintf(o->point.info.description, sizeof(o->point.info.description), "%s",
		 description != NULL ? description : "");
	o->point.info.in_netns = in_netns;
	*ret = o;
	return 0;
}

/* A point opened apart from its capture: nc_capture_add_opened() copies
 * it in and takes its handle. */
int nc_capture_open_point(const nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			  const char *bpf_filter, nc_capture_opened_t **ret, nc_error_t *err)
{
	nc_capture_opened_t *o;
	int r;

	*ret = NULL;
	r = nc_capture_opened_new(c, ifname, description, in_netns, bpf_filter, true, &o, err);
	if (r < 0)
		return r;
	r = open_point(&o->point, bpf_filter, err);
	if (r < 0) {
		nc_capture_opened_free(o);
		return r;
	}
	*ret = o;
	return 0;
}

void nc_capture_opened_free(nc_capture_opened_t *o)
{
	if (o == NULL)
		return;
	if (o->point.pcap != NULL)
		pcap_close(o->point.pcap);
	if (o->point.ringless) {
		if (o->point.fd >= 0)
			close(o->point.fd);
		nc_capture_socket_release(&o->point);
	}
	free(o);
}

/* A classic BPF program that takes no packet: a spare's ring stays empty
 * until it is aimed. */
static struct bpf_insn reject_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };

int nc_capture_open_spare(const nc_capture_t *c, nc_capture_opened_t **ret, nc_error_t *err)
{
	struct bpf_program none = { .bf_len = 1, .bf_insns = reject_all };
	nc_capture_opened_t *o;
	struct point *pt;
	int r;

	*ret = NULL;
	r = nc_capture_opened_new(c, "any", NULL, false, NULL, true, &o, err);
	if (r < 0)
		return r;
	pt = &o->point;
	r = open_handle(pt, "any", err);
	if (r == 0 && pcap_set_datalink(pt->pcap, DLT_LINUX_SLL2) != 0)
		r = nc_error_set(err, -ENOTSUP, "spare point: this libpcap has no SLL2 on \"any\"");
	if (r == 0 && (r = pcap_setfilter(pt->pcap, &none)) != 0)
		r = pcap_fail(pt->pcap, r, "spare point", "cannot set filter", err);
	if (r < 0) {
		nc_capture_opened_free(o);
		return r;
	}
	*ret = o;
	return 0;
}

int nc_capture_aim_spare(nc_capture_opened_t *o, const char *ifname, const char *description,
			 const char *bpf_filter, nc_error_t *err)
{
	struct point *pt = &o->point;
	int r = nc_capture_check_point_args(ifname, bpf_filter, false, err);

	if (r < 0)
		return r;
	snprintf(pt->info.name, sizeof(pt->info.name), "%s", ifname);
	snprintf(pt->info.description, sizeof(pt->info.description), "%s", description != NULL ? description : "");
	pt->info.in_netns = false;
	r = point_interface(pt, err);
	return r < 0 ? r : aim_point(pt, false, bpf_filter, err);
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

int nc_capture_compile_ether(const char *text, struct bpf_program *ret, char *why, size_t why_len)
{
	/* the program returns the length to keep: the largest, so that a
	 * socket's kernel filter cuts nothing (capture-socket.c) */
	pcap_t *p = pcap_open_dead(DLT_EN10MB, NC_CAPTURE_SNAPLEN_MAX);
	int r = 0;

	if (p == NULL) {
		snprintf(why, why_len, "libpcap: out of memory");
		return -ENOMEM;
	}
	if (pcap_compile(p, ret, text, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(why, why_len, "%s", pcap_geterr(p));
		r = -EINVAL;
	}
	pcap_close(p);
	return r;
}

int nc_capture_filter_check(const char *text, nc_error_t *err)
{
	struct bpf_program prog;
	char why[PCAP_ERRBUF_SIZE];
	int r = nc_capture_compile_ether(text, &prog, why, sizeof(why));

	if (r == -EINVAL)
		return nc_error_set(err, r, "bad capture filter \"%.200s\": %s", text, why);
	if (r < 0)
		return nc_error_set(err, r, "%s", why);
	pcap_freecode(&prog);
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
