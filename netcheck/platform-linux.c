/* Linux implementation of the platform interface: rtnetlink for routes and
 * links, /proc for sockets and processes, setns for container namespaces.
 * Everything it reads is bounded; it trusts no length the kernel or /proc
 * hands back without checking.  The shared formatting and composition are
 * in platform-common.c. */
#include "netcheck/platform.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"
#include "platform-internal.h"

#define NL_BUF 16384
#define MAX_PROCS_SCANNED 65536
#define MAX_FDS_PER_PROC 4096

int nc_platform_nl_open(void)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* the kernel answers at once; a bound keeps a broken netns from hanging us */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void fill_addr(nc_endpoint_t *e, int family, const void *data, size_t len)
{
	memset(e, 0, sizeof(*e));
	if (family == AF_INET && len >= 4) {
		e->family = AF_INET;
		memcpy(&e->addr.v4, data, 4);
	} else if (family == AF_INET6 && len >= 16) {
		e->family = AF_INET6;
		memcpy(&e->addr.v6, data, 16);
	}
}

/* Sends one request and reads one answer.  *ret_buf: new, NL_BUF bytes.
 * Returns the answer's length or a negative errno. */
static ssize_t nl_transact(int fd, const void *req, size_t len, char **ret_buf)
{
	char *buf;
	ssize_t n;

	if (send(fd, req, len, 0) < 0)
		return -errno;
	buf = malloc(NL_BUF);
	if (buf == NULL)
		return -ENOMEM;
	n = recv(fd, buf, NL_BUF, 0);
	if (n < 0) {
		n = -errno;
		free(buf);
		return n;
	}
	*ret_buf = buf;
	return n;
}

/* One RTM_GETROUTE for dst (what `ip route get` does). */
static int route_get_fd(int fd, const nc_endpoint_t *dst, nc_route_t *ret)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	struct rtattr *rta;
	size_t alen = dst->family == AF_INET ? 4 : 16;
	char *buf;
	ssize_t n;
	int r = -EPROTO;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)dst->family;
	req.rt.rtm_dst_len = (unsigned char)(alen * 8);
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = RTA_DST;
	rta->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), &dst->addr, alen);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)) + RTA_ALIGN(rta->rta_len);

	n = nl_transact(fd, &req, req.nh.nlmsg_len, &buf);
	if (n < 0)
		return (int)n;
	memset(ret, 0, sizeof(*ret));
	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
		struct rtmsg *rt;
		int len;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				r = -EPROTO;
				goto out;
			}
			r = e->error;
			if (r == -ENETUNREACH || r == -EHOSTUNREACH) {
				ret->kind = NC_ROUTE_NONE;
				r = 0;
			}
			goto out;
		}
		if (nh->nlmsg_type != RTM_NEWROUTE)
			continue;
		rt = NLMSG_DATA(nh);
		len = (int)RTM_PAYLOAD(nh);
		ret->via_default = false;
		switch (rt->rtm_type) {
		case RTN_LOCAL:
			ret->kind = NC_ROUTE_LOCAL;
			break;
		case RTN_UNREACHABLE:
		case RTN_PROHIBIT:
		case RTN_BLACKHOLE:
			ret->kind = NC_ROUTE_REJECT;
			break;
		default:
			ret->kind = NC_ROUTE_ON_LINK;
			break;
		}
		for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			size_t plen = RTA_PAYLOAD(a);
			switch (a->rta_type) {
			case RTA_OIF:
				if (plen >= sizeof(int)) {
					memcpy(&ret->ifindex, RTA_DATA(a), sizeof(int));
					if (if_indextoname((unsigned)ret->ifindex, ret->ifname) == NULL)
						snprintf(ret->ifname, sizeof(ret->ifname), "if%d", ret->ifindex);
				}
				break;
			case RTA_GATEWAY:
				fill_addr(&ret->gateway, rt->rtm_family, RTA_DATA(a), plen);
				if (ret->kind == NC_ROUTE_ON_LINK)
					ret->kind = NC_ROUTE_GATEWAY;
				break;
			case RTA_PREFSRC:
				fill_addr(&ret->source, rt->rtm_family, RTA_DATA(a), plen);
				break;
			default:
				break;
			}
		}
		r = 0;
		goto out;
	}
out:
	free(buf);
	return r;
}

static int route_get_once(const nc_endpoint_t *dst, nc_route_t *ret)
{
	int fd, r;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = nc_platform_nl_open();
	if (fd < 0)
		return fd;
	r = route_get_fd(fd, dst, ret);
	close(fd);
	return r;
}

int nc_platform_route_get(const nc_endpoint_t *dst, nc_route_t *ret)
{
	int r = route_get_once(dst, ret);

	if (r == 0 && (ret->kind == NC_ROUTE_GATEWAY || ret->kind == NC_ROUTE_ON_LINK)) {
		/* Does the default route carry it?  Compare with a route lookup
		 * for an address only the default route can match. */
		nc_endpoint_t probe_dst;
		nc_route_t def;

		nc_endpoint_parse(dst->family == AF_INET ? "198.51.100.254" : "2001:db8::fe", 0, &probe_dst);
		if (route_get_once(&probe_dst, &def) == 0 && def.kind == ret->kind && def.ifindex == ret->ifindex &&
		    (def.kind == NC_ROUTE_ON_LINK || nc_endpoint_addr_equal(&def.gateway, &ret->gateway)))
			ret->via_default = true;
	}
	return r;
}

int nc_platform_primary_address(int family, nc_endpoint_t *ret_addr, char *ret_ifname, size_t ifname_len)
{
	nc_endpoint_t probe_dst;
	nc_route_t rt;
	int r;

	/* A documentation-range address only the default route matches; the
	 * kernel tells us the source it would pick.  No packet is sent. */
	nc_endpoint_parse(family == AF_INET6 ? "2001:db8::fe" : "198.51.100.254", 0, &probe_dst);
	r = route_get_once(&probe_dst, &rt);
	if (r < 0)
		return r;
	if (rt.kind != NC_ROUTE_GATEWAY && rt.kind != NC_ROUTE_ON_LINK)
		return -ENETUNREACH;
	if (rt.source.family == 0)
		return -EADDRNOTAVAIL;
	*ret_addr = rt.source;
	if (ret_ifname != NULL)
		snprintf(ret_ifname, ifname_len, "%s", rt.ifname);
	return 0;
}

/* Inode of the socket listening on port in one /proc/net/tcp* file. */
static int find_listen_inode(const char *path, uint16_t port, unsigned long *ret_inode)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int r = -ENOENT;

	if (f == NULL)
		return -errno;
	if (fgets(line, sizeof(line), f) == NULL) { /* header */
		fclose(f);
		return -ENOENT;
	}
	for (unsigned lines = 0; lines < 1000000 && fgets(line, sizeof(line), f) != NULL; lines++) {
		char local[128];
		unsigned lport, st;
		unsigned long inode;
		char *colon;

		/* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) != 3)
			continue;
		colon = strrchr(local, ':');
		if (colon == NULL || sscanf(colon + 1, "%x", &lport) != 1)
			continue;
		if (st == 0x0A && lport == port && inode != 0) {
			*ret_inode = inode;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static bool proc_has_socket(const char *pid, const char *want)
{
	char path[300], target[64];
	DIR *d;
	struct dirent *de;
	bool found = false;
	unsigned n = 0;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	d = opendir(path);
	if (d == NULL)
		return false;
	while (!found && n++ < MAX_FDS_PER_PROC && (de = readdir(d)) != NULL) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		found = strcmp(target, want) == 0;
	}
	closedir(d);
	return found;
}

int nc_platform_tcp_listener_family(uint16_t port, int family, nc_forwarder_t *ret)
{
	char want[64];
	unsigned long inode = 0;
	DIR *d;
	struct dirent *de;
	unsigned n = 0;
	int r = -ENOENT;

	memset(ret, 0, sizeof(*ret));
	(void)find_listen_inode(family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", port, &inode);
	if (inode == 0)
		return -ENOENT;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir("/proc");
	if (d == NULL)
		return -errno;
	while (n++ < MAX_PROCS_SCANNED && (de = readdir(d)) != NULL) {
		char comm_path[64];
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (!proc_has_socket(de->d_name, want))
			continue;
		ret->pid = atoi(de->d_name);
		snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", ret->pid);
		f = fopen(comm_path, "re");
		if (f != NULL) {
			if (fgets(ret->name, sizeof(ret->name), f) != NULL)
				ret->name[strcspn(ret->name, "\n")] = '\0';
			fclose(f);
		}
		if (ret->name[0] == '\0')
			snprintf(ret->name, sizeof(ret->name), "pid %d", ret->pid);
		r = 0;
		break;
	}
	closedir(d);
	return r;
}

bool nc_platform_pid_is_container(int pid, const char *container_id)
{
	/* cgroup names it for rootful engines; mountinfo names it for all of
	 * Docker's and Podman's (the /etc/hostname bind mount comes from a
	 * directory named by the container id), rootless ones included */
	static const char *const files[] = { "cgroup", "mountinfo" };
	char path[64], line[2048];
	bool found = false;

	if (pid <= 0 || container_id == NULL || strlen(container_id) < 12)
		return false;
	for (size_t i = 0; !found && i < NC_ARRAY_SIZE(files); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		for (unsigned n = 0; !found && n < 4096 && fgets(line, sizeof(line), f) != NULL; n++)
			found = strstr(line, container_id) != NULL;
		fclose(f);
	}
	return found;
}

/* RTM_GETLINK for ifname on a netlink socket of another namespace. */
static int link_iflink(int fd, const char *ifname, int *ret_iflink)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct rtattr *rta;
	size_t nlen = strlen(ifname) + 1;
	char *buf;
	ssize_t n;
	int r = -ENOENT;

	if (nlen > IF_NAMESIZE)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 2;
	req.ifi.ifi_family = AF_UNSPEC;
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_IFNAME;
	rta->rta_len = (unsigned short)RTA_LENGTH(nlen);
	memcpy(RTA_DATA(rta), ifname, nlen);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)) + RTA_ALIGN(rta->rta_len);
	n = nl_transact(fd, &req, req.nh.nlmsg_len, &buf);
	if (n < 0)
		return (int)n;
	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
		struct ifinfomsg *ifi;
		int len;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);
			r = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EPROTO;
			goto out;
		}
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		ifi = NLMSG_DATA(nh);
		len = (int)IFLA_PAYLOAD(nh);
		*ret_iflink = ifi->ifi_index; /* no IFLA_LINK: not a veth, its own index */
		for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) >= sizeof(int))
				memcpy(ret_iflink, RTA_DATA(a), sizeof(int));
		r = 0;
		goto out;
	}
out:
	free(buf);
	return r;
}

int nc_platform_netns_iflink(int pid, const char *ifname, int *ret_iflink)
{
	char path[64];
	int self, target, fd, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		r = -errno;
		close(self);
		return r;
	}
	/* A netlink socket belongs to the namespace it was created in: enter,
	 * create, come back at once, then ask. */
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	fd = nc_platform_nl_open();
	if (setns(self, CLONE_NEWNET) < 0) {
		/* we cannot return to our own namespace: nothing after this is safe */
		abort();
	}
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = link_iflink(fd, ifname, ret_iflink);
	close(fd);
out:
	close(target);
	close(self);
	return r;
}

int nc_platform_drop_privileges(bool keep_dac_override)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	/* the bounding set first: it needs CAP_SETPCAP, which goes last */
	for (int cap = 0; cap <= 63; cap++) {
		if (keep_dac_override && cap == CAP_DAC_OVERRIDE)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			return -errno;
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	if (keep_dac_override) {
		data[0].effective = data[0].permitted = 1u << CAP_DAC_OVERRIDE;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

bool nc_platform_socket_needs_override(const char *path)
{
	struct stat st;
	char dir[512];
	char *slash;

	/* a socket (or a directory on its way) owned by another user, such
	 * as a rootless engine's $XDG_RUNTIME_DIR/docker.sock, is reached by
	 * root only through CAP_DAC_OVERRIDE */
	if (path == NULL || stat(path, &st) != 0)
		return false;
	if (st.st_uid != geteuid())
		return true;
	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return true;
	while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && st.st_uid != geteuid() && (st.st_mode & S_IXOTH) == 0)
			return true;
	}
	return false;
}

