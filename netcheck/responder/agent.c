/* netcheck capture agent: `/responder --agent ...`, the responder image's
 * second use.  netcheck starts it through the engine as a short-lived
 * container with the engine host's network and pids (NetworkMode host,
 * PidMode host, CapAdd NET_RAW NET_ADMIN SYS_ADMIN SYS_PTRACE) when it
 * cannot capture the engine side itself (Desktop's VM, an engine in a PID
 * namespace of its own, a remote engine).
 *
 *   /responder --agent [--snaplen N] [--match ADDR]... [--match-port PORT]...
 *              [--point IFNAME]... [--point-in PID:IFNAME]... [--container PID]...
 *              [--point-addr ADDR]... [--point-in-addr PID:ADDR]... [--overlay NETID]...
 *   (each value may be a comma-separated list)
 * --container PID: that container's eth0, its veth on this side and the
 * bridge the veth is a port of, found here (the pids are the engine's);
 * when the agent runs in the container's own network: its eth0 and lo.
 * On a Swarm node (agent-find.c): --point-addr, the interface holding ADDR
 * here (the node's uplink: an overlay's outer packets); --point-in-addr,
 * the one holding ADDR inside PID's namespace (a task's interface on the
 * overlay, whatever its eth number); --overlay, the VXLAN device inside
 * overlay network NETID's own namespace (the inner packets).
 *
 * --point opens an AF_PACKET socket on an interface of the engine host's
 * namespace (the one it runs in); --point-in enters /proc/PID/ns/net first
 * (a container's eth0, entered from the engine side's own pids) and comes
 * back.  Packets are kept when an address or a port of the run's flows
 * (--match, --match-port; none given: all) is in them, cut to the snaplen,
 * and written to stdout as agent-wire records (include/netcheck/
 * agent-wire.h): HELLO, a POINT (or an ERROR) per point, then PACKETs;
 * COUNTERS per point every second and at the end, BYE last.  On stdin it
 * reads CLOCK_REQ (answered at once with both clocks), TARGET (more
 * options, as on the command line: netcheck starts the agent while its
 * container starts, and names the container's points once it runs;
 * answered with ADDING, then a POINT or an ERROR for each) and STOP.  STOP,
 * stdin's end, SIGTERM or SIGINT end it (exit 0).  libc only; prints
 * nothing on stderr but fatal usage errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/agent-wire.h"
#include "agent-internal.h"
#include "responder-internal.h"


static volatile sig_atomic_t agent_stop_signal;

static void agent_on_signal(int sig)
{
	agent_stop_signal = sig;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_all(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_rec(const nc_agent_rec_t *rec)
{
	static uint8_t out[NC_AGENT_RECORD_MAX];
	int n = nc_agent_rec_encode(rec, out, sizeof(out));

	return n < 0 ? n : write_all(out, (size_t)n);
}

int nc_agent_send_error(uint16_t point, int error, const char *what)
{
	nc_agent_rec_t rec = { .type = NC_AGENT_ERROR, .point = point };
	char text[NC_AGENT_TEXT_MAX];

	snprintf(text, sizeof(text), "%.120s: %.120s", what, strerror(-error));
	rec.u.error.error = error;
	rec.u.error.text = text;
	return send_rec(&rec);
}

/* The socket, made in whatever namespace the thread is in now. */
static int open_packet_socket(agent_point_t *p, uint32_t snaplen)
{
	struct ifreq ifr;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, fd, r;

	(void)snaplen;
	/* protocol 0: no packets until bind names the interface and ETH_P_ALL.
	 * A socket made with ETH_P_ALL is hooked to every interface at once,
	 * and bind must unhook it first: one RCU grace period (~10-30 ms) per
	 * point, while the run waits. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, p->ifname, strnlen(p->ifname, IF_NAMESIZE - 1));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	p->loopback = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
	p->linktype = ifr.ifr_hwaddr.sa_family == ARPHRD_NONE ? DLT_RAW_ : DLT_EN10MB_;
	sll.sll_ifindex = p->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		goto fail;
	p->fd = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

/* The point's interface, looked up in the namespace the thread is in now. */
static int find_ifname(agent_point_t *p, const char **ret_what)
{
	switch (p->find) {
	case FIND_BY_ADDR:
		*ret_what = "no interface holds the address";
		return nc_agent_ifname_by_addr(&p->addr, p->ifname, sizeof(p->ifname));
	case FIND_VXLAN:
		*ret_what = "no VXLAN device in the overlay's namespace";
		return nc_agent_vxlan_ifname(p->ifname, sizeof(p->ifname));
	default:
		return 0;
	}
}

/* --point-in: into the pid's network namespace (or an overlay's) for the
 * socket, and back. */
static int open_point(agent_point_t *p, uint32_t snaplen, const char **ret_what)
{
	char path[sizeof(p->ns_path)];
	int self = -1, target = -1, r;

	if (p->pid == 0 && p->ns_path[0] == 0) {
		r = find_ifname(p, ret_what);
		*ret_what = r < 0 ? *ret_what : "packet socket";
		return r < 0 ? r : open_packet_socket(p, snaplen);
	}
	if (p->ns_path[0] != 0)
		memcpy(path, p->ns_path, sizeof(path));
	else
		snprintf(path, sizeof(path), "/proc/%d/ns/net", p->pid);
	*ret_what = "open the network namespace";
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		r = -errno;
		goto out;
	}
	*ret_what = "setns";
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	r = find_ifname(p, ret_what);
	if (r == 0) {
		*ret_what = "packet socket in the namespace";
		r = open_packet_socket(p, snaplen);
	}
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot come back: every later point would be in the wrong place;
		 * say why on the stream netcheck reads (stderr is not read) */
		nc_agent_send_error(NC_AGENT_POINT_SELF, -errno, "cannot return to its own network namespace");
		exit(71);
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return r;
}

static bool addr_matches(const agent_t *a, const struct in6_addr *addr)
{
	for (size_t i = 0; i < a->n_match; i++)
		if (memcmp(&a->match[i], addr, sizeof(*addr)) == 0)
			return true;
	return false;
}

static bool port_matches(const agent_t *a, uint16_t port)
{
	for (size_t i = 0; i < a->n_match_port; i++)
		if (a->match_port[i] == port)
			return true;
	return false;
}

/* Does the frame belong to the run's flows?  Ethernet (VLAN tags
 * skipped) or raw IP; IPv4 or IPv6 (no extension headers walked: their
 * ports are not looked at, the addresses still are). */
static bool frame_matches(const agent_t *a, uint32_t linktype, const uint8_t *f, size_t len)
{
	struct in6_addr src, dst;
	size_t at = 0, l4 = 0;
	uint16_t type;
	uint8_t proto = 0;

	if (a->n_match == 0 && a->n_match_port == 0)
		return true;
	if (linktype == DLT_EN10MB_) {
		if (len < 14)
			return false;
		type = (uint16_t)((f[12] << 8) | f[13]);
		at = 14;
		while ((type == 0x8100 || type == 0x88a8) && len >= at + 4) {
			type = (uint16_t)((f[at + 2] << 8) | f[at + 3]);
			at += 4;
		}
	} else {
		type = len > 0 && (f[0] >> 4) == 6 ? 0x86dd : 0x0800;
	}
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if (type == 0x0800 && len >= at + 20) {
		src.s6_addr[10] = src.s6_addr[11] = dst.s6_addr[10] = dst.s6_addr[11] = 0xff;
		memcpy(&src.s6_addr[12], f + at + 12, 4);
		memcpy(&dst.s6_addr[12], f + at + 16, 4);
		proto = f[at + 9];
		if ((f[at + 6] & 0x1f) == 0 && f[at + 7] == 0) /* first fragment: ports there */
			l4 = at + (size_t)(f[at] & 0x0f) * 4;
	} else if (type == 0x86dd && len >= at + 40) {
		memcpy(&src, f + at + 8, 16);
		memcpy(&dst, f + at + 24, 16);
		proto = f[at + 6];
		l4 = at + 40;
	} else {
		return false;
	}
	if (addr_matches(a, &src) || addr_matches(a, &dst))
		return true;
	if (l4 != 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= l4 + 4)
		return port_matches(a, (uint16_t)((f[l4] << 8) | f[l4 + 1])) ||
		       port_matches(a, (uint16_t)((f[l4 + 2] << 8) | f[l4 + 3]));
	return false;
}

static int read_point(agent_t *a, uint16_t index)
{
	static uint8_t frame[NC_AGENT_SNAPLEN_MAX + 1];
	agent_point_t *p = &a->points[index];

	for (int burst = 0; burst < 64; burst++) {
		struct sockaddr_ll from;
		char control[CMSG_SPACE(sizeof(struct timespec))];
		struct iovec iov = { .iov_base = frame, .iov_len = a->snaplen };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				      .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
		nc_agent_rec_t rec = { .type = NC_AGENT_PACKET, .point = index };
		uint64_t ts = 0;
		ssize_t n = recvmsg(p->fd, &msg, MSG_TRUNC | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		/* loopback hands each packet over twice: the incoming copy only */
		if (p->loopback && from.sll_pkttype == PACKET_OUTGOING)
			continue;
		p->received++;
		if (!frame_matches(a, p->linktype, frame, (size_t)n < a->snaplen ? (size_t)n : a->snaplen)) {
			p->filtered_out++;
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec t;

				memcpy(&t, CMSG_DATA(c), sizeof(t));
				ts = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
			}
		}
		rec.u.packet.ts_ns = ts != 0 ? ts : clock_ns(CLOCK_REALTIME);
		rec.u.packet.origlen = (uint32_t)n;
		rec.u.packet.caplen = (size_t)n < a->snaplen ? (uint32_t)n : a->snaplen;
		rec.u.packet.direction = p->loopback ? 0 : from.sll_pkttype == PACKET_OUTGOING ? 2 : 1;
		rec.u.packet.bytes = frame;
		if (send_rec(&rec) < 0)
			return -EPIPE;
	}
	return 0;
}

static int send_counters(agent_t *a)
{
	for (size_t i = 0; i < a->n_points; i++) {
		agent_point_t *p = &a->points[i];
		struct tpacket_stats st;
		socklen_t len = sizeof(st);
		nc_agent_rec_t rec = { .type = NC_AGENT_COUNTERS, .point = (uint16_t)i };

		if (p->fd < 0)
			continue;
		/* the kernel's counts reset on each read: added up here */
		if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			p->dropped += st.tp_drops;
		rec.u.counters.received = p->received;
		rec.u.counters.dropped = p->dropped;
		rec.u.counters.filtered_out = p->filtered_out;
		if (send_rec(&rec) < 0)
			return -EPIPE;
	}
	return 0;
}

static int parse_words(agent_t *a, int argc, char **argv);
static int open_new_points(agent_t *a);

/* The --container and --overlay options not expanded yet: their points. */
static void expand_new(agent_t *a)
{
	for (; a->n_containers_expanded < a->n_containers; a->n_containers_expanded++)
		nc_agent_expand_container(a, a->containers[a->n_containers_expanded]);
	for (; a->n_overlays_expanded < a->n_overlays; a->n_overlays_expanded++)
		nc_agent_expand_overlay(a, a->overlays[a->n_overlays_expanded]);
}

/* TARGET: its words are options; the points they add open now. */
static int take_target(agent_t *a, const nc_agent_rec_t *rec)
{
	static char words[NC_AGENT_TARGET_MAX];
	char *argv[NC_AGENT_TARGET_MAX / 2];
	nc_agent_rec_t adding = { .type = NC_AGENT_ADDING, .point = NC_AGENT_POINT_SELF };
	const agent_t before = { .n_points = a->n_points, .n_match = a->n_match, .n_match_port = a->n_match_port,
				 .n_containers = a->n_containers, .n_overlays = a->n_overlays };
	int argc = 0;

	memcpy(words, rec->u.target.words, rec->u.target.len); /* the record's bytes are reused */
	for (size_t at = 0; at < rec->u.target.len && argc < (int)NC_ARRAY_LEN(argv); at += strlen(words + at) + 1)
		argv[argc++] = words + at;
	if (argc % 2 != 0 || parse_words(a, argc, argv) < 0) {
		/* nothing added (what the words before the bad one added is
		 * dropped): netcheck waits for no point */
		a->n_points = before.n_points;
		a->n_match = before.n_match;
		a->n_match_port = before.n_match_port;
		a->n_containers = before.n_containers;
		a->n_overlays = before.n_overlays;
		if (nc_agent_send_error(NC_AGENT_POINT_SELF, -EINVAL, "TARGET: options not understood") < 0 ||
		    send_rec(&adding) < 0)
			return -EPIPE;
		return 0;
	}
	expand_new(a);
	adding.u.adding.n_points = (uint32_t)(a->n_points - a->n_points_open);
	if (send_rec(&adding) < 0)
		return -EPIPE;
	return open_new_points(a);
}

/* netcheck's requests: clock samples answered at once, TARGET, STOP. */
static int read_requests(agent_t *a)
{
	ssize_t n = read(STDIN_FILENO, a->in + a->in_len, sizeof(a->in) - a->in_len);
	size_t at = 0;
	int r;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		a->stopping = true;
		return 0;
	}
	a->in_len += (size_t)n;
	for (;;) {
		nc_agent_rec_t rec;

		r = nc_agent_rec_decode(a->in + at, a->in_len - at, &rec);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		at += (size_t)r;
		if (rec.type == NC_AGENT_CLOCK_REQ) {
			nc_agent_rec_t ans = { .type = NC_AGENT_CLOCK, .point = NC_AGENT_POINT_SELF };

			ans.u.clock.id = rec.u.clock.id;
			ans.u.clock.realtime_ns = clock_ns(CLOCK_REALTIME);
			ans.u.clock.monotonic_ns = clock_ns(CLOCK_MONOTONIC);
			if (send_rec(&ans) < 0)
				return -EPIPE;
		} else if (rec.type == NC_AGENT_TARGET) {
			if ((r = take_target(a, &rec)) < 0)
				return r;
		} else if (rec.type == NC_AGENT_STOP) {
			a->stopping = true;
		}
	}
	memmove(a->in, a->in + at, a->in_len - at);
	a->in_len -= at;
	if (a->in_len == sizeof(a->in))
		return -EPROTO; /* a record larger than any request */
	return 0;
}

static int parse_one(agent_t *a, const char *opt, const char *v);

/* Options and their values, in pairs.  Each value may be a
 * comma-separated list (the engine takes a command of few words):
 * --point docker0,veth1a2b,4242:eth0. */
static int parse_words(agent_t *a, int argc, char **argv)
{
	for (int i = 0; i < argc; i += 2) {
		char item[128];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return -EINVAL;
		for (;;) {
			size_t n = strcspn(v, ",");

			if (n >= sizeof(item))
				return -EINVAL;
			memcpy(item, v, n);
			item[n] = 0;
			if (parse_one(a, argv[i], item) < 0)
				return -EINVAL;
			if (v[n] == 0)
				break;
			v += n + 1;
		}
	}
	return 0;
}

/* An address, IPv4 as v4-mapped. */
static int parse_addr(const char *v, struct in6_addr *ret)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, v, &v4) == 1) {
		memset(ret, 0, sizeof(*ret));
		ret->s6_addr[10] = ret->s6_addr[11] = 0xff;
		memcpy(&ret->s6_addr[12], &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, v, ret) == 1 ? 0 : -EINVAL;
}

static int parse_one(agent_t *a, const char *opt, const char *v)
{
	{
		char *end;

		if (strcmp(opt, "--snaplen") == 0) {
			unsigned long s = strtoul(v, &end, 10);

			if (*end != 0 || s < 64 || s > NC_AGENT_SNAPLEN_MAX)
				return -EINVAL;
			a->snaplen = (uint32_t)s;
		} else if (strcmp(opt, "--match") == 0) {
			if (a->n_match == AGENT_MATCH_MAX || parse_addr(v, &a->match[a->n_match]) < 0)
				return -EINVAL;
			a->n_match++;
		} else if (strcmp(opt, "--match-port") == 0) {
			unsigned long port = strtoul(v, &end, 10);

			if (*end != 0 || port == 0 || port > 65535 || a->n_match_port == AGENT_MATCH_MAX)
				return -EINVAL;
			a->match_port[a->n_match_port++] = (uint16_t)port;
		} else if (strcmp(opt, "--container") == 0) {
			long pid = strtol(v, &end, 10);

			if (*end != 0 || pid <= 0 || pid > INT32_MAX || a->n_containers == NC_ARRAY_LEN(a->containers))
				return -EINVAL;
			a->containers[a->n_containers++] = (int)pid;
		} else if (strcmp(opt, "--point-addr") == 0 || strcmp(opt, "--point-in-addr") == 0) {
			agent_point_t *p;
			long pid = 0;

			if (strcmp(opt, "--point-in-addr") == 0) {
				pid = strtol(v, &end, 10);
				if (*end != ':' || pid <= 0 || pid > INT32_MAX)
					return -EINVAL;
				v = end + 1;
			}
			p = nc_agent_new_point(a, "", (int)pid, pid != 0 ? NC_AGENT_ROLE_CONTAINER : NC_AGENT_ROLE_UPLINK);
			if (p == NULL || parse_addr(v, &p->addr) < 0)
				return -EINVAL;
			p->find = FIND_BY_ADDR;
		} else if (strcmp(opt, "--overlay") == 0) {
			if (a->n_overlays == NC_ARRAY_LEN(a->overlays) || strlen(v) >= sizeof(a->overlays[0]) || v[0] == 0)
				return -EINVAL;
			memcpy(a->overlays[a->n_overlays++], v, strlen(v) + 1);
		} else if (strcmp(opt, "--point") == 0 || strcmp(opt, "--point-in") == 0) {
			const char *name = v;
			long pid = 0;

			if (opt[7] == '-') {
				pid = strtol(v, &end, 10);
				if (*end != ':' || pid <= 0 || pid > INT32_MAX)
					return -EINVAL;
				name = end + 1;
			}
			if (name[0] == 0 || nc_agent_new_point(a, name, (int)pid, NC_AGENT_ROLE_OTHER) == NULL)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* The points not open yet: each opened in its namespace, then a POINT
 * record (or an ERROR: the others go on).  -EPIPE: stdout is gone. */
static int open_new_points(agent_t *a)
{
	for (; a->n_points_open < a->n_points; a->n_points_open++) {
		size_t i = a->n_points_open;
		agent_point_t *p = &a->points[i];
		nc_agent_rec_t rec = { .type = NC_AGENT_POINT, .point = (uint16_t)i };
		const char *what;
		int r = open_point(p, a->snaplen, &what);

		if (r < 0) {
			if (nc_agent_send_error((uint16_t)i, r, what) < 0)
				return -EPIPE;
			continue;
		}
		rec.u.point.ifindex = p->ifindex;
		rec.u.point.linktype = p->linktype;
		rec.u.point.snaplen = a->snaplen;
		rec.u.point.where = p->pid != 0 ? 2 : 1; /* nc_point_where_t: container, engine */
		rec.u.point.role = p->role;
		rec.u.point.name = p->ifname;
		rec.u.point.description = p->pid != 0		  ? "inside a container, entered from the engine side" :
					  p->ns_path[0] != 0 ? "the overlay's namespace on the engine host" :
							       "the engine host's namespace";
		if (send_rec(&rec) < 0)
			return -EPIPE;
	}
	return 0;
}

int nc_agent_main(int argc, char **argv)
{
	static agent_t agent;
	agent_t *a = &agent;
	struct sigaction sa = { .sa_handler = agent_on_signal };
	struct pollfd pfd[AGENT_POINTS_MAX + 1];
	sigset_t block, wait_mask;
	uint64_t next_counters;
	int r = 0;

	a->snaplen = AGENT_SNAPLEN_DEFAULT;
	if (parse_words(a, argc - 2, argv + 2) < 0) {
		fprintf(stderr, "usage: %s --agent [--snaplen 64..65535] [--match ADDR]... [--match-port PORT]..."
				" [--point IFNAME]... [--point-in PID:IFNAME]... [--container PID]... [--point-addr ADDR]..."
				" [--point-in-addr PID:ADDR]... [--overlay NETID]...  (at most %d points, %d matches)\n",
			argv[0], AGENT_POINTS_MAX, AGENT_MATCH_MAX);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

	expand_new(a);
	{
		nc_agent_rec_t hello = { .type = NC_AGENT_HELLO, .point = NC_AGENT_POINT_SELF };

		hello.u.hello.pid = (uint32_t)getpid();
		hello.u.hello.n_points = (uint32_t)a->n_points;
		hello.u.hello.version = "netcheck-agent 1";
		if (send_rec(&hello) < 0)
			return 74;
	}
	if (open_new_points(a) < 0)
		return 74;

	r = 0; /* a point that failed said so; the others go on */
	next_counters = clock_ns(CLOCK_MONOTONIC) + AGENT_COUNTERS_EVERY_MS * 1000000ull;
	while (!a->stopping && agent_stop_signal == 0) {
		struct timespec timeout = { 0, 100 * 1000000 };
		size_t n = 0;
		int ready;

		pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		for (size_t i = 0; i < a->n_points; i++)
			pfd[n++] = (struct pollfd){ .fd = a->points[i].fd, .events = POLLIN };
		ready = ppoll(pfd, n, &timeout, &wait_mask);
		if (ready < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (ready > 0 && (pfd[0].revents & (POLLIN | POLLHUP)) != 0 && (r = read_requests(a)) < 0)
			break;
		for (size_t i = 0; ready > 0 && i < a->n_points; i++)
			if ((pfd[i + 1].revents & POLLIN) != 0 && (r = read_point(a, (uint16_t)i)) < 0)
				break;
		if (r < 0)
			break;
		if (clock_ns(CLOCK_MONOTONIC) >= next_counters) {
			if ((r = send_counters(a)) < 0)
				break;
			next_counters += AGENT_COUNTERS_EVERY_MS * 1000000ull;
		}
	}
	/* what is still queued, then the last counts */
	for (size_t i = 0; r != -EPIPE && i < a->n_points; i++)
		if (a->points[i].fd >= 0)
			read_point(a, (uint16_t)i);
	if (r != -EPIPE) {
		if (r < 0)
			nc_agent_send_error(NC_AGENT_POINT_SELF, r, "agent");
		send_counters(a);
		send_rec(&(nc_agent_rec_t){ .type = NC_AGENT_BYE, .point = NC_AGENT_POINT_SELF });
	}
	for (size_t i = 0; i < a->n_points; i++)
		if (a->points[i].fd >= 0)
			close(a->points[i].fd);
	return r < 0 ? 70 : 0;
}
