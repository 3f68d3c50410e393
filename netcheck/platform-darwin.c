/* macOS implementation of the platform interface: a PF_ROUTE socket for
 * routes (one RTM_GET, as `route -n get` does), libproc for the process
 * behind a listening port, if_nametoindex for interfaces.  macOS has no
 * network namespaces and no container processes: Docker Desktop's
 * containers run inside its Linux VM, and what a published port shows on
 * the Mac is Docker Desktop's own listener (com.docker.backend, vpnkit).
 * Everything it reads is bounded; it trusts no length the kernel hands back
 * without checking.
 *
 * Marked: compiles only where its headers exist; not built or tested on
 * this project's CI (Linux). The rest of netcheck (main.c's
 * sigaction/getopt_long, libpcap capture) is POSIX; this file is the
 * platform half of a port. */
#ifndef _DARWIN_C_SOURCE
#define _DARWIN_C_SOURCE /* sa_len, u_char and friends in net/route.h */
#endif

#include "netcheck/platform.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libproc.h>
#include <net/if.h>
#include <net/if_dl.h>
#include <net/if_types.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/testing.h"

#define MAX_PROCS_SCANNED 65536
#define MAX_FDS_PER_PROC 4096
#define RTM_MAX_READS 64 /* other routing messages (any process's) skipped before giving up */
#define DISCARD_PORT 9   /* any non-zero port: connect() on UDP needs one */

/* The routing socket's wire layout: a header, then one sockaddr per bit
 * set in rtm_addrs, in RTAX order.  sa_len is a u_char, so RTAX_MAX
 * sockaddrs of at most 255 bytes each (plus rounding) bound a message. */
typedef struct rt_message {
	struct rt_msghdr h;
	char space[RTAX_MAX * 256];
} rt_message_t;

/* Each sockaddr is padded as xnu's rtsock.c ROUNDUP32 does: to 4 bytes
 * (sizeof(uint32_t)), even on 64-bit -- FreeBSD's sizeof(long) would
 * misread every message; a zero-length one (the default route's netmask)
 * still takes 4. */
static size_t sa_roundup(size_t len)
{
	return len > 0 ? 1 + ((len - 1) | (sizeof(uint32_t) - 1)) : sizeof(uint32_t);
}

static int set_cloexec(int fd)
{
	/* macOS has no SOCK_CLOEXEC */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* A sockaddr from a routing message as an endpoint.  sa points into the
 * message and holds sa->sa_len bytes (checked by the caller). */
static int sa_to_endpoint(const struct sockaddr *sa, nc_endpoint_t *ret)
{
	struct sockaddr_storage ss;

	memset(ret, 0, sizeof(*ret));
	if (sa->sa_family == AF_INET && sa->sa_len >= sizeof(struct sockaddr_in)) {
		memcpy(&ss, sa, sizeof(struct sockaddr_in));
	} else if (sa->sa_family == AF_INET6 && sa->sa_len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;

		memcpy(&ss, sa, sizeof(struct sockaddr_in6));
		/* KAME: the kernel embeds a link-local address's scope (interface
		 * index) in bytes 2-3; clear it, as route(8) does, to get fe80::1
		 * rather than fe80:4::1. */
		if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&in6->sin6_addr)) {
			in6->sin6_addr.s6_addr[2] = 0;
			in6->sin6_addr.s6_addr[3] = 0;
		}
	} else {
		return -EAFNOSUPPORT; /* AF_LINK: an on-link route's "gateway" is the interface */
	}
	nc_endpoint_from_sockaddr((const struct sockaddr *)&ss, ret);
	ret->port = 0;
	return 0;
}

/* The source address the kernel would choose for dst: connect() on a UDP
 * socket runs source selection and sends nothing.  For IPv6 this beats the
 * route's RTA_IFA, which for a default route via fe80::1 is often the
 * interface's link-local address. */
static int kernel_source(const nc_endpoint_t *dst, nc_endpoint_t *ret)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, r = 0;

	memset(&ss, 0, sizeof(ss));
	if (dst->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)&ss;
		in->sin_len = sizeof(*in);
		in->sin_family = AF_INET;
		in->sin_port = htons(DISCARD_PORT);
		in->sin_addr = dst->addr.v4;
		sslen = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&ss;
		in6->sin6_len = sizeof(*in6);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(DISCARD_PORT);
		in6->sin6_addr = dst->addr.v6;
		sslen = sizeof(*in6);
	}
	fd = socket(dst->family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	fd = set_cloexec(fd);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&ss, sslen) < 0) {
		r = -errno;
		goto out;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		r = -errno;
		goto out;
	}
	r = nc_endpoint_from_sockaddr((struct sockaddr *)&ss, ret);
	ret->port = 0;
out:
	close(fd);
	return r;
}

/* Reads the RTM_GET answer in msg (n bytes) into ret. */
static int parse_get(const rt_message_t *msg, size_t n, const nc_endpoint_t *dst, nc_route_t *ret)
{
	const char *base = (const char *)msg;
	const struct sockaddr *gateway = NULL, *ifa = NULL;
	const struct sockaddr_dl *ifp = NULL;
	size_t len = msg->h.rtm_msglen, off = sizeof(msg->h);
	int flags = msg->h.rtm_flags;

	if (len > n || len < sizeof(msg->h))
		return -EPROTO;
	if (msg->h.rtm_errno != 0) {
		if (msg->h.rtm_errno == ESRCH || msg->h.rtm_errno == ENETUNREACH ||
		    msg->h.rtm_errno == EHOSTUNREACH) {
			ret->kind = NC_ROUTE_NONE;
			return 0;
		}
		return -msg->h.rtm_errno;
	}
	for (int i = 0; i < RTAX_MAX; i++) {
		const struct sockaddr *sa;

		if ((msg->h.rtm_addrs & (1 << i)) == 0)
			continue;
		/* sa_len and sa_family must be there, then all sa_len bytes */
		if (off + 2 > len)
			return -EPROTO;
		sa = (const struct sockaddr *)(const void *)(base + off);
		if (sa->sa_len > len - off)
			return -EPROTO;
		switch (i) {
		case RTAX_GATEWAY:
			gateway = sa;
			break;
		case RTAX_IFP:
			if (sa->sa_family == AF_LINK && sa->sa_len >= offsetof(struct sockaddr_dl, sdl_data))
				ifp = (const struct sockaddr_dl *)(const void *)sa;
			break;
		case RTAX_IFA:
			ifa = sa;
			break;
		default:
			break;
		}
		off += sa_roundup(sa->sa_len);
	}

	ret->ifindex = msg->h.rtm_index;
	if (ifp != NULL && ret->ifindex == 0)
		ret->ifindex = ifp->sdl_index;
	if (ifp != NULL && ifp->sdl_nlen > 0 &&
	    offsetof(struct sockaddr_dl, sdl_data) + ifp->sdl_nlen <= ifp->sdl_len) {
		/* the name is not NUL-terminated: sdl_nlen bytes, then the lladdr;
		 * sdl_data is declared [12] but runs on to sdl_len (checked) */
		const char *name = (const char *)ifp + offsetof(struct sockaddr_dl, sdl_data);
		size_t nlen = ifp->sdl_nlen < NC_IFNAME_MAX - 1 ? ifp->sdl_nlen : NC_IFNAME_MAX - 1;
		memcpy(ret->ifname, name, nlen);
		ret->ifname[nlen] = '\0';
	} else if (ret->ifindex <= 0 || if_indextoname((unsigned)ret->ifindex, ret->ifname) == NULL) {
		snprintf(ret->ifname, sizeof(ret->ifname), "if%d", ret->ifindex);
	}
	if (ifa != NULL)
		(void)sa_to_endpoint(ifa, &ret->source);

	if (flags & (RTF_REJECT | RTF_BLACKHOLE))
		ret->kind = NC_ROUTE_REJECT;
	else if ((flags & RTF_LOCAL) || (ifp != NULL && ifp->sdl_type == IFT_LOOP) ||
		 nc_endpoint_addr_equal(&ret->source, dst))
		ret->kind = NC_ROUTE_LOCAL;
	else if ((flags & RTF_GATEWAY) && gateway != NULL && sa_to_endpoint(gateway, &ret->gateway) == 0)
		ret->kind = NC_ROUTE_GATEWAY;
	else
		ret->kind = NC_ROUTE_ON_LINK; /* the gateway, if any, is the AF_LINK of the interface */
	return 0;
}

/* One RTM_GET for dst on a routing socket (what `route -n get` does). */
static int route_get_once(const nc_endpoint_t *dst, nc_route_t *ret)
{
	struct timeval tv = { .tv_sec = 2 };
	struct sockaddr_storage sdst;
	struct sockaddr_dl want_ifp;
	rt_message_t msg;
	size_t dst_len, len;
	pid_t pid = getpid();
	int fd, seq, r = -ETIMEDOUT;

	memset(ret, 0, sizeof(*ret));
	memset(&sdst, 0, sizeof(sdst));
	if (dst->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)(void *)&sdst;
		in->sin_len = sizeof(*in);
		in->sin_family = AF_INET;
		in->sin_addr = dst->addr.v4;
		dst_len = sizeof(*in);
	} else if (dst->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&sdst;
		in6->sin6_len = sizeof(*in6);
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = dst->addr.v6;
		dst_len = sizeof(*in6);
	} else {
		return -EAFNOSUPPORT;
	}
	/* An empty AF_LINK sockaddr under RTA_IFP asks the kernel to fill in
	 * the interface (RTA_IFP) and its address (RTA_IFA), as route(8) does. */
	memset(&want_ifp, 0, sizeof(want_ifp));
	want_ifp.sdl_len = sizeof(want_ifp);
	want_ifp.sdl_family = AF_LINK;

	fd = socket(PF_ROUTE, SOCK_RAW, AF_UNSPEC);
	if (fd < 0)
		return -errno;
	fd = set_cloexec(fd);
	if (fd < 0)
		return fd;
	/* the kernel answers at once; a bound keeps a stuck socket from hanging us */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Every routing socket sees every routing message; an fd number is
	 * unique in this process while it is open, so it makes a sequence
	 * number no concurrent lookup of ours shares. */
	seq = fd;

	memset(&msg, 0, sizeof(msg));
	len = sizeof(msg.h) + sa_roundup(dst_len) + sa_roundup(sizeof(want_ifp));
	msg.h.rtm_msglen = (unsigned short)len;
	msg.h.rtm_version = RTM_VERSION;
	msg.h.rtm_type = RTM_GET;
	msg.h.rtm_flags = RTF_UP | RTF_HOST;
	msg.h.rtm_addrs = RTA_DST | RTA_IFP;
	msg.h.rtm_pid = pid;
	msg.h.rtm_seq = seq;
	memcpy(msg.space, &sdst, dst_len);
	memcpy(msg.space + sa_roundup(dst_len), &want_ifp, sizeof(want_ifp));

	if (write(fd, &msg, len) < 0) {
		/* "not in table": no route at all, default included */
		if (errno == ESRCH || errno == ENETUNREACH || errno == EHOSTUNREACH) {
			ret->kind = NC_ROUTE_NONE;
			r = 0;
		} else {
			r = -errno;
		}
		goto out;
	}
	for (int i = 0; i < RTM_MAX_READS; i++) {
		ssize_t n = read(fd, &msg, sizeof(msg));

		if (n < 0) {
			r = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			break;
		}
		if ((size_t)n < sizeof(msg.h) || msg.h.rtm_version != RTM_VERSION ||
		    msg.h.rtm_type != RTM_GET || msg.h.rtm_pid != pid || msg.h.rtm_seq != seq)
			continue; /* someone else's message */
		r = parse_get(&msg, (size_t)n, dst, ret);
		break;
	}
out:
	close(fd);
	return r;
}

int nc_platform_route_get(const nc_endpoint_t *dst, nc_route_t *ret)
{
	int r = route_get_once(dst, ret);

	if (r == 0 && (ret->kind == NC_ROUTE_GATEWAY || ret->kind == NC_ROUTE_ON_LINK)) {
		/* Does the default route carry it?  Compare with a route lookup
		 * for an address only the default route can match (as on Linux). */
		nc_endpoint_t probe_dst, src;
		nc_route_t def;

		nc_endpoint_parse(dst->family == AF_INET ? "198.51.100.254" : "2001:db8::fe", 0, &probe_dst);
		if (route_get_once(&probe_dst, &def) == 0 && def.kind == ret->kind && def.ifindex == ret->ifindex &&
		    (def.kind == NC_ROUTE_ON_LINK || nc_endpoint_addr_equal(&def.gateway, &ret->gateway)))
			ret->via_default = true;
		if (kernel_source(dst, &src) == 0)
			ret->source = src;
	}
	return r;
}

int nc_platform_primary_address(int family, nc_endpoint_t *ret_addr, char *ret_ifname, size_t ifname_len)
{
	nc_endpoint_t probe_dst, src;
	nc_route_t rt;
	int r;

	/* A documentation-range address only the default route matches; no
	 * packet is sent, neither by RTM_GET nor by the UDP connect(). */
	nc_endpoint_parse(family == AF_INET6 ? "2001:db8::fe" : "198.51.100.254", 0, &probe_dst);
	r = route_get_once(&probe_dst, &rt);
	if (r < 0)
		return r;
	if (rt.kind != NC_ROUTE_GATEWAY && rt.kind != NC_ROUTE_ON_LINK)
		return -ENETUNREACH;
	if (kernel_source(&probe_dst, &src) == 0)
		rt.source = src;
	if (rt.source.family == 0)
		return -EADDRNOTAVAIL;
	*ret_addr = rt.source;
	if (ret_ifname != NULL)
		snprintf(ret_ifname, ifname_len, "%s", rt.ifname);
	return 0;
}

/* Does pid hold a TCP socket of family listening on port? */
static bool pid_listens(pid_t pid, uint16_t port, int family)
{
	struct proc_fdinfo *fds;
	int bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, NULL, 0);
	bool found = false;

	if (bytes <= 0)
		return false; /* gone, or not ours to look at (EPERM) */
	if ((size_t)bytes > MAX_FDS_PER_PROC * PROC_PIDLISTFD_SIZE)
		bytes = (int)(MAX_FDS_PER_PROC * PROC_PIDLISTFD_SIZE);
	fds = malloc((size_t)bytes);
	if (fds == NULL)
		return false;
	/* a table that grew since the size query comes back truncated: fine */
	bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, fds, bytes);
	for (int i = 0; !found && bytes > 0 && i < bytes / (int)PROC_PIDLISTFD_SIZE; i++) {
		struct socket_fdinfo si;
		const struct tcp_sockinfo *tcp;

		if (fds[i].proc_fdtype != PROX_FDTYPE_SOCKET)
			continue;
		if (proc_pidfdinfo(pid, fds[i].proc_fd, PROC_PIDFDSOCKETINFO, &si, (int)sizeof(si)) < (int)sizeof(si))
			continue;
		if (si.psi.soi_kind != SOCKINFO_TCP || si.psi.soi_family != family)
			continue;
		tcp = &si.psi.soi_proto.pri_tcp;
		/* insi_lport is an int holding the port in network order */
		found = tcp->tcpsi_state == TSI_S_LISTEN && ntohs((uint16_t)tcp->tcpsi_ini.insi_lport) == port;
	}
	free(fds);
	return found;
}

int nc_platform_tcp_listener_family(uint16_t port, int family, nc_forwarder_t *ret)
{
	pid_t *pids;
	int bytes, n, r = -ENOENT;

	memset(ret, 0, sizeof(*ret));
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	/* AF_INET6 sockets, dual-stack ones included, report soi_family
	 * AF_INET6 -- as /proc/net/tcp6 holds them on Linux. */
	bytes = proc_listpids(PROC_ALL_PIDS, 0, NULL, 0);
	if (bytes <= 0)
		return bytes < 0 ? -errno : -ENOENT;
	/* room for processes started between the size query and the read */
	bytes += 64 * (int)sizeof(pid_t);
	if ((size_t)bytes > MAX_PROCS_SCANNED * sizeof(pid_t))
		bytes = (int)(MAX_PROCS_SCANNED * sizeof(pid_t));
	pids = malloc((size_t)bytes);
	if (pids == NULL)
		return -ENOMEM;
	bytes = proc_listpids(PROC_ALL_PIDS, 0, pids, bytes);
	n = bytes > 0 ? bytes / (int)sizeof(pid_t) : 0;
	for (int i = 0; i < n; i++) {
		if (pids[i] <= 0 || !pid_listens(pids[i], port, family))
			continue;
		ret->pid = pids[i];
		/* proc_name: the registered name (up to 2*MAXCOMLEN), else p_comm;
		 * NUL-terminated and truncated to the buffer */
		if (proc_name(pids[i], ret->name, (uint32_t)sizeof(ret->name)) <= 0)
			snprintf(ret->name, sizeof(ret->name), "pid %d", ret->pid);
		r = 0;
		break;
	}
	free(pids);
	return r;
}

bool nc_platform_pid_is_container(int pid, const char *container_id)
{
	/* No container runs on the macOS kernel: the engine's pids belong to
	 * its Linux VM, so no local pid can be one. */
	(void)pid;
	(void)container_id;
	return false;
}

int nc_platform_netns_iflink(int pid, const char *ifname, int *ret_iflink)
{
	/* macOS has no network namespaces; a container's veth pair lives in
	 * Docker Desktop's VM, out of this kernel's sight. */
	(void)pid;
	(void)ifname;
	(void)ret_iflink;
	return -ENOTSUP;
}

int nc_platform_drop_privileges(bool keep_dac_override)
{
	(void)keep_dac_override;
	/* No capability sets and no no_new_privs on macOS: a root process is
	 * simply root, and there is nothing finer-grained to drop.  The macOS
	 * equivalent would be setuid(SUDO_UID) after the BPF handles are open;
	 * left out until it can be tested on a Mac.  So: nothing dropped. */
	return 0;
}

bool nc_platform_socket_needs_override(const char *path)
{
	(void)path; /* no capabilities here: nothing is dropped, nothing needs keeping */
	return false;
}

int nc_platform_netns_enter(int pid, int *ret_saved_fd)
{
	(void)pid;
	(void)ret_saved_fd;
	return -ENOTSUP; /* no network namespaces here */
}

void nc_platform_netns_leave(int saved_fd)
{
	(void)saved_fd;
}
