/* Capture: ring-less points, read from a packet socket of their own.
 *
 * A packet socket's ring makes its opening wait for an RCU grace period
 * (~5-15 ms here); a point that can only be opened once the container is
 * up (its eth0, in its namespace) would hold the probes back that long.
 * This one has no ring: made with protocol 0 (hooked to nothing, so bind
 * waits for nothing), its filter attached before bind names the interface
 * and ETH_P_ALL, and each packet one recvmsg() on the loop -- right for a
 * run's few hundred packets, not for `netcheck capture`'s streams.
 * Ethernet interfaces only; each frame is handed on as libpcap's "any"
 * would have: SLL2, the interface index and packet type from the socket's
 * address, so a ring-less point is read like any other (direction, pcapng,
 * attribution).  May call: libpcap (filter compiling), libc.  Never prints. */
#include "netcheck/capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/testing.h"
#include "capture-internal.h"

#define ETH_LEN 14  /* the frame's own header, which SLL2's takes the place of */
#define SLL2_LEN 20

/* The compiled filter (text NULL: everything) attached to fd. */
static int attach_filter(int fd, const char *ifname, const char *text, nc_error_t *err)
{
	struct bpf_program prog;
	struct sock_fprog fprog;
	char why[PCAP_ERRBUF_SIZE];
	int r = 0;

	if (text == NULL || text[0] == '\0')
		return 0;
	/* the program returns the length to keep, and the kernel cuts the
	 * packet to it before recvmsg() sees it: compiled for the largest, so
	 * MSG_TRUNC still gives the packet's own length (the point's snaplen
	 * applies in the read) */
	r = nc_capture_compile_ether(text, &prog, why, sizeof(why));
	if (r == -EINVAL)
		return nc_error_set(err, r, "%s: bad filter \"%s\": %s", ifname, text, why);
	if (r < 0)
		return nc_error_set(err, r, "%s: %s", ifname, why);
	/* struct bpf_insn and struct sock_filter are the same four fields */
	fprog.len = (unsigned short)prog.bf_len;
	fprog.filter = (struct sock_filter *)prog.bf_insns;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0)
		r = nc_error_set(err, -errno, "%s: cannot set filter: %s", ifname, strerror(errno));
	pcap_freecode(&prog);
	return r;
}

/* The socket of pt on ifname, in the calling thread's netns. */
static int open_socket(struct point *pt, const char *ifname, const char *filter, nc_error_t *err)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr;
	int one = 1, fd, r;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nc_error_set(err, errno == EPERM || errno == EACCES ? -EPERM : -errno, "%s: cannot capture: %s",
				    ifname, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		r = errno == ENODEV || errno == ENXIO ? nc_error_set(err, -ENODEV, "%s: no such interface", ifname)
						      : nc_error_set(err, -errno, "%s: %s", ifname, strerror(errno));
		goto fail;
	}
	pt->info.ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		r = nc_error_set(err, -errno, "%s: %s", ifname, strerror(errno));
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		r = nc_error_set(err, -ENOTSUP, "%s: not an Ethernet interface", ifname);
		goto fail;
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP)) {
		r = nc_error_set(err, -ENETDOWN, "%s: interface is down", ifname);
		goto fail;
	}
	/* before bind: no packet reaches the socket unfiltered */
	r = attach_filter(fd, ifname, filter, err);
	if (r < 0)
		goto fail;
	sll.sll_ifindex = pt->info.ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		r = nc_error_set(err, -errno, "%s: cannot capture: %s", ifname, strerror(errno));
		goto fail;
	}
	pt->fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int nc_capture_open_ringless(const nc_capture_t *c, const char *ifname, const char *description, bool in_netns,
			     const char *bpf_filter, nc_capture_opened_t **ret, nc_error_t *err)
{
	nc_capture_opened_t *o;
	struct point *pt;
	int r;

	*ret = NULL;
	r = nc_capture_opened_new(c, ifname, description, in_netns, bpf_filter, false, &o, err);
	if (r < 0)
		return r;
	pt = &o->point;
	pt->ringless = true;
	pt->info.linktype = DLT_LINUX_SLL2;
	pt->info.snaplen = c->snaplen;
	pt->info.direction_known = true;
	pt->nano = true;
	pt->frame = malloc(SLL2_LEN + (size_t)c->snaplen);
	r = pt->frame == NULL ? nc_error_set(err, -ENOMEM, "%s: out of memory", ifname)
			      : open_socket(pt, ifname, bpf_filter, err);
	if (r < 0) {
		nc_capture_opened_free(o);
		return r;
	}
	*ret = o;
	return 0;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

int nc_capture_socket_read(struct point *pt, int max)
{
	uint32_t snaplen = pt->info.snaplen;
	int n_read = 0;

	for (; n_read < max; n_read++) {
		struct sockaddr_ll from;
		char control[CMSG_SPACE(sizeof(struct timespec))] __attribute__((aligned(__alignof__(struct cmsghdr))));
		/* the frame lands so that its own header is where SLL2's goes */
		struct iovec iov = { .iov_base = pt->frame + SLL2_LEN - ETH_LEN, .iov_len = ETH_LEN + (size_t)snaplen };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control, .msg_controllen = sizeof(control) };
		uint64_t ts = 0;
		ssize_t n = recvmsg(pt->fd, &msg, MSG_TRUNC | MSG_DONTWAIT);
		uint8_t *h = pt->frame;
		uint16_t proto;

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? n_read : -errno;
		if (n < ETH_LEN)
			continue; /* no Ethernet header: not a frame of this interface */
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec t;

				memcpy(&t, CMSG_DATA(cm), sizeof(t));
				ts = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
			}
		}
		if (ts == 0) {
			struct timespec t;

			clock_gettime(CLOCK_REALTIME, &t);
			ts = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		}
		/* SLL2 (what "any" gives): protocol, reserved, ifindex, ARPHRD
		 * type, packet type, address length, address (8 bytes) */
		proto = (uint16_t)((h[SLL2_LEN - 2] << 8) | h[SLL2_LEN - 1]); /* the frame's EtherType */
		memset(h, 0, SLL2_LEN);
		put_be16(h, proto);
		put_be32(h + 4, (uint32_t)from.sll_ifindex);
		put_be16(h + 8, from.sll_hatype);
		h[10] = from.sll_pkttype;
		h[11] = from.sll_halen <= 8 ? from.sll_halen : 8;
		memcpy(h + 12, from.sll_addr, h[11]);
		nc_capture_keep(pt, ts, h, SLL2_LEN + ((size_t)n - ETH_LEN < snaplen ? (uint32_t)((size_t)n - ETH_LEN) : snaplen),
				SLL2_LEN + (uint32_t)((size_t)n - ETH_LEN), -1);
		if (pt->capture->ended)
			return n_read + 1;
	}
	return n_read;
}

void nc_capture_socket_stats(struct point *pt)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	/* the kernel's counts reset on each read: added up */
	if (pt->fd >= 0 && getsockopt(pt->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
		pt->info.received += st.tp_packets;
		pt->info.dropped += st.tp_drops;
	}
}

void nc_capture_socket_release(struct point *pt)
{
	free(pt->frame);
	pt->frame = NULL;
}
