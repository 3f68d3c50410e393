/* The ICMP probe: echo requests on a raw socket or an unprivileged ping
 * socket, replies timed by the kernel's receive stamp.  May call: libuv,
 * platform (receive timestamps).  Never prints. */
#include "probe-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netcheck/platform.h"
#include "netcheck/testing.h"

/* ---- ICMP echo ---------------------------------------------------------- */

static uint16_t icmp_checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

int probe_icmp_send(nc_probe_t *p)
{
	uint8_t pkt[64];
	struct sockaddr_storage ss;
	socklen_t sl;
	uint16_t sum;
	bool v6 = p->path->target.family == AF_INET6;

	if (p->echo_seq >= ICMP_MAX_ECHOES)
		return 0;
	memset(pkt, 0, sizeof(pkt));
	pkt[ICMP_OFF_TYPE] = v6 ? ICMP6_ECHO_REQUEST_TYPE : ICMP4_ECHO_REQUEST;
	put16(pkt + ICMP_OFF_ID, p->echo_id);
	put16(pkt + ICMP_OFF_SEQ, ++p->echo_seq);
	/* the payload carries the nonce so a capture can tie it to this path */
	snprintf((char *)pkt + ICMP_HDR_LEN, sizeof(pkt) - ICMP_HDR_LEN, "netcheck %s", p->path->nonce);
	if (!v6) { /* the kernel sums ICMPv6 (it needs the pseudo-header) */
		sum = icmp_checksum(pkt, sizeof(pkt));
		memcpy(pkt + ICMP_OFF_CHECKSUM, &sum, 2); /* already in network order */
	}
	nc_endpoint_to_sockaddr(&p->path->target, &ss, &sl);
	((struct sockaddr_in *)&ss)->sin_port = 0;
	/* the clock of SO_TIMESTAMPNS, read as late as we can before the send */
	clock_gettime(CLOCK_REALTIME, &p->echo_sent_at[p->echo_seq]);
	if (sendto(p->icmp_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	p->echo_sent++;
	return 0;
}

void probe_icmp_on_readable(uv_poll_t *h, int status, int events)
{
	nc_probe_t *p = h->data;
	uint8_t buf[1500];
	char control[NC_PLATFORM_RX_TIMESTAMP_CMSG_SPACE];
	bool v6 = p->path->target.family == AF_INET6;

	(void)events;
	if (p->finished)
		return;
	if (status < 0) {
		probe_finish(p, NC_VERDICT_UNREACHABLE, status);
		return;
	}
	for (int i = 0; i < 64; i++) { /* bounded drain */
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control),
		};
		struct timespec now, stamp;
		const uint8_t *icmp = buf;
		size_t ilen;
		nc_endpoint_t src;
		ssize_t n = recvmsg(p->icmp_fd, &msg, 0);
		uint16_t seq;

		if (n < 0)
			return;
		clock_gettime(CLOCK_REALTIME, &now);
		ilen = (size_t)n;
		if (p->icmp_raw && !v6) { /* raw v4 sockets hand us the IP header */
			size_t ihl;
			if (ilen < 20)
				continue;
			ihl = (size_t)(buf[0] & 0x0f) * 4;
			if (ihl < 20 || ihl > ilen)
				continue;
			icmp += ihl;
			ilen -= ihl;
		}
		if (ilen < ICMP_HDR_LEN || nc_endpoint_from_sockaddr((struct sockaddr *)&from, &src) < 0)
			continue;
		if (!nc_endpoint_addr_equal(&src, &p->path->target))
			continue;
		if (icmp[ICMP_OFF_TYPE] == (v6 ? ICMP6_ECHO_REPLY_TYPE : ICMP4_ECHO_REPLY)) {
			/* ping sockets rewrite the id to their port; the kernel filters them for us */
			if (p->icmp_raw && get16(icmp + ICMP_OFF_ID) != p->echo_id)
				continue;
			seq = get16(icmp + ICMP_OFF_SEQ);
			if (seq == 0 || seq > p->echo_seq)
				continue; /* not one of ours */
			p->path->timings.total_ms =
				nc_probe_rtt_ms(&p->echo_sent_at[seq],
						p->rx_timestamps && nc_platform_rx_timestamp(&msg, &stamp) == 0 ? &stamp : NULL,
						&now);
			p->path->timings.first_byte_ms = p->path->timings.total_ms;
			probe_finish(p, NC_VERDICT_REACHABLE, 0);
			return;
		}
		if (!v6 && icmp[ICMP_OFF_TYPE] == ICMP4_DEST_UNREACH) {
			nc_path_set_detail(p->path, "ICMP destination unreachable (code %u)", icmp[ICMP_OFF_CODE]);
			probe_finish(p, NC_VERDICT_UNREACHABLE, 0);
			return;
		}
	}
}

void probe_icmp_on_resend(uv_timer_t *t)
{
	nc_probe_t *p = t->data;

	/* three echoes at most, spread over the timeout */
	if (!p->finished && p->echo_sent < ICMP_MAX_ECHOES)
		(void)probe_icmp_send(p);
}

int nc_probe_icmp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, nc_probe_t **ret)
{
	bool v6 = path->target.family == AF_INET6;
	int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int domain = v6 ? AF_INET6 : AF_INET;
	nc_probe_t *p;
	int fd, r;

	if (!nc_endpoint_is_set(&path->target))
		return -EINVAL;
	r = probe_alloc(loop, path, timeout_ms, PROBE_ICMP, false, &p);
	if (r < 0)
		return probe_creation_failed(path, r, r == -ENOMEM ? "ICMP probe" : "a random nonce");
	fd = socket(domain, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	if (fd >= 0) {
		p->icmp_raw = true;
		if (nc_platform_random(&p->echo_id, sizeof(p->echo_id)) < 0)
			p->echo_id = (uint16_t)getpid();
	} else {
		int raw_errno = errno;

		fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
		if (fd < 0) {
			int dgram_errno = errno;

			nc_probe_free(p);
			if ((raw_errno == EPERM || raw_errno == EACCES) && (dgram_errno == EPERM || dgram_errno == EACCES)) {
				/* a privilege we lack: proves nothing either way */
				nc_path_set_detail(path,
						   "no raw socket (%s) and no ping socket (%s): needs CAP_NET_RAW or "
						   "net.ipv4.ping_group_range",
						   strerror(raw_errno), strerror(dgram_errno));
				return -EPERM; /* run's policy call makes it a skip */
			}
			return probe_creation_failed(path, -dgram_errno, "an ICMP socket");
		}
		p->icmp_raw = false;
	}
	p->icmp_fd = fd;
	/* reply times from the kernel's stamp, not from when the loop got to it */
	p->rx_timestamps = nc_platform_enable_rx_timestamps(fd) == 0;
	if (!p->icmp_raw) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		/* the kernel picks the echo id of a ping socket: bind, then read it */
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)domain;
		if (bind(fd, (struct sockaddr *)&ss, domain == AF_INET ? sizeof(struct sockaddr_in)
								  : sizeof(struct sockaddr_in6)) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			p->echo_id = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	path->local.family = path->target.family;
	path->local.port = p->echo_id; /* for attribution: the echo id */
	*ret = p;
	return 0;
}
