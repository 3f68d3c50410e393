/* Linux implementation of the platform interface: rtnetlink for routes and
 * links, /proc for sockets and processes, setns for container namespaces.
 * Everything it reads is bounded; it trusts no length the kernel or /proc
 * hands back without checking.  The shared formatting and composition are
 * in platform-common.c; the parsers its tests feed are declared in
 * platform-internal.h. */
#include "netcheck/platform.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "platform-internal.h"
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

static int by_pid_descending(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

/* The pids in /proc, newest (highest) first; *ret new, *ret_n entries. */
static int list_pids_newest_first(int **ret, size_t *ret_n)
{
	size_t n = 0, cap = 256;
	int *pids = malloc(cap * sizeof(*pids));
	struct dirent *de;
	DIR *d;

	if (pids == NULL)
		return -ENOMEM;
	d = opendir("/proc");
	if (d == NULL) {
		free(pids);
		return -errno;
	}
	while (n < MAX_PROCS_SCANNED && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (n == cap) {
			int *more = realloc(pids, 2 * cap * sizeof(*pids));

			if (more == NULL)
				break; /* the ones read are scanned */
			pids = more;
			cap *= 2;
		}
		pids[n++] = atoi(de->d_name);
	}
	closedir(d);
	qsort(pids, n, sizeof(*pids), by_pid_descending);
	*ret = pids;
	*ret_n = n;
	return 0;
}

int nc_platform_tcp_listener_family(uint16_t port, int family, nc_platform_process_t *ret)
{
	char want[64], pid[16];
	unsigned long inode = 0;
	size_t n = 0;
	int *pids = NULL, r;

	memset(ret, 0, sizeof(*ret));
	(void)find_listen_inode(family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", port, &inode);
	if (inode == 0)
		return -ENOENT;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	/* Newest first: the listener of a port just published (docker-proxy,
	 * rootlessport) was started a moment ago, so the scan of every
	 * process's fds usually ends after a few processes, not ~150 */
	r = list_pids_newest_first(&pids, &n);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		char comm_path[64];
		FILE *f;

		snprintf(pid, sizeof(pid), "%d", pids[i]);
		if (!proc_has_socket(pid, want))
			continue;
		ret->pid = pids[i];
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
	free(pids);
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
	int saved, fd, r;

	if (pid <= 0)
		return -EINVAL;
	/* A netlink socket belongs to the namespace it was created in: enter,
	 * create, come back at once, then ask. */
	r = nc_platform_netns_enter(pid, &saved);
	if (r < 0)
		return r;
	fd = nc_platform_nl_open();
	nc_platform_netns_leave(saved);
	if (fd < 0)
		return fd;
	r = link_iflink(fd, ifname, ret_iflink);
	close(fd);
	return r;
}

int nc_platform_drop_privileges(bool keep_dac_override)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	/* Keep CAP_DAC_OVERRIDE only when we hold it: a member of the netcheck
	 * group runs with file capabilities that do not include it, and asking
	 * capset for a capability not permitted fails the whole drop. */
	memset(data, 0, sizeof(data));
	if (keep_dac_override &&
	    (syscall(SYS_capget, &hdr, data) < 0 || (data[0].permitted & (1u << CAP_DAC_OVERRIDE)) == 0))
		keep_dac_override = false;
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
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


/* ---- randomness, the owner of a run ---------------------------------------- */

int nc_platform_random(void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len > 0) {
		ssize_t n = getrandom(b, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int nc_platform_owner_scope(char *buf, size_t len)
{
	char boot[64] = "?";
	struct stat st;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int n;

	if (f != NULL) {
		if (fgets(boot, sizeof(boot), f) == NULL || boot[0] == '\n')
			snprintf(boot, sizeof(boot), "?");
		boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	n = snprintf(buf, len, "%s/%lu", boot, stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0ul);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

bool nc_platform_process_is_netcheck(long pid)
{
	char path[64], cmd[512];
	size_t n;
	FILE *f;

	if (pid <= 0 || pid > 1 << 22 || pid == (long)getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	/* argv is NUL-separated: "valgrind\0...\0./netcheck\0run" names it too */
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, "netcheck") != NULL;
}

/* ---- network namespaces ------------------------------------------------------ */

int nc_platform_netns_enter(int pid, int *ret_saved_fd)
{
	char path[64];
	int self, target, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		r = -errno;
		close(self);
		return r;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		close(target);
		close(self);
		return r;
	}
	close(target);
	*ret_saved_fd = self;
	return 0;
}

int nc_platform_netns_leave(int saved_fd)
{
	if (setns(saved_fd, CLONE_NEWNET) < 0) {
		/* we cannot return to our own namespace: nothing after this is safe */
		abort();
	}
	close(saved_fd);
	return 0;
}

/* ---- socket tables ----------------------------------------------------------- */

#define TCP_STATE_LISTEN 0x0A /* include/net/tcp_states.h: not in uapi */

static int push_socket(nc_platform_socket_t *ret, size_t max, size_t *n, const nc_platform_socket_t *s)
{
	if (*n >= max)
		return -E2BIG;
	ret[(*n)++] = *s;
	return 0;
}

/* "0100007F:1F90" or a 32-digit IPv6 form: each 32-bit word printed as
 * the kernel holds it (network byte order read as a native u32). */
static int parse_proc_addr(const char *text, int family, nc_endpoint_t *ret)
{
	size_t words = family == AF_INET ? 1 : 4;
	uint32_t w[4];
	unsigned port;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < words; i++) {
		char hex[9];

		for (size_t j = 0; j < 8; j++) {
			char c = text[i * 8 + j];
			if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')))
				return -EINVAL;
			hex[j] = c;
		}
		hex[8] = '\0';
		w[i] = (uint32_t)strtoul(hex, NULL, 16);
	}
	text += words * 8;
	if (*text != ':' || sscanf(text + 1, "%4x", &port) != 1 || port > 0xffff)
		return -EINVAL;
	ret->family = family;
	if (family == AF_INET)
		memcpy(&ret->addr.v4, w, 4);
	else
		memcpy(&ret->addr.v6, w, 16);
	ret->port = (uint16_t)port;
	return 0;
}

int nc_platform_parse_proc_net(const char *text, size_t len, int family, uint8_t proto,
			       nc_platform_socket_t *ret, size_t max, size_t *n)
{
	const char *end = text + len, *line = text;
	bool header = true;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t ll = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);
		char buf[512], local[80];
		unsigned st;
		unsigned long inode;
		nc_platform_socket_t s;

		if (!header && ll < sizeof(buf)) {
			memcpy(buf, line, ll);
			buf[ll] = '\0';
			/* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode */
			if (sscanf(buf, " %*s %79s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) == 3 &&
			    strlen(local) == (family == AF_INET ? 13u : 37u)) {
				memset(&s, 0, sizeof(s));
				s.proto = proto;
				s.inode = inode;
				if (parse_proc_addr(local, family, &s.local) == 0 && s.local.port != 0 &&
				    (proto != IPPROTO_TCP || st == TCP_STATE_LISTEN) &&
				    push_socket(ret, max, n, &s) < 0)
					return -E2BIG;
			}
		}
		header = false;
		line += ll + 1;
	}
	return 0;
}

int nc_platform_parse_sock_diag(const void *buf, size_t len, uint8_t proto, nc_platform_socket_t *ret, size_t max,
				size_t *n)
{
	const struct nlmsghdr *nh;
	size_t left = len;

	for (nh = buf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
		const struct inet_diag_msg *m;
		nc_platform_socket_t s;
		int alen;

		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			return e->error < 0 ? e->error : -EPROTO;
		}
		if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			return -EPROTO;
		m = NLMSG_DATA(nh);
		memset(&s, 0, sizeof(s));
		s.proto = proto;
		s.inode = m->idiag_inode;
		s.local.family = m->idiag_family;
		s.local.port = ntohs(m->id.idiag_sport);
		if (m->idiag_family == AF_INET)
			memcpy(&s.local.addr.v4, m->id.idiag_src, 4);
		else if (m->idiag_family == AF_INET6)
			memcpy(&s.local.addr.v6, m->id.idiag_src, 16);
		else
			continue;
		if (s.local.port == 0)
			continue;
		alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
				s.v6only = *(const uint8_t *)RTA_DATA(a) != 0;
		if (push_socket(ret, max, n, &s) < 0)
			return -E2BIG;
	}
	return left == 0 ? 0 : -EPROTO;
}

/* One inet_diag dump (family, proto) on fd; appends to ret. */
static int sock_diag_dump(int fd, int family, uint8_t proto, nc_platform_socket_t *ret, size_t max, size_t *n)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} msg;
	char *buf;
	int r = -EPROTO;

	memset(&msg, 0, sizeof(msg));
	msg.nh.nlmsg_len = sizeof(msg);
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nh.nlmsg_seq = 3;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = proto;
	/* TCP: LISTEN only; UDP has no listen state: every socket, bound ones kept */
	msg.req.idiag_states = proto == IPPROTO_TCP ? 1u << TCP_STATE_LISTEN : ~0u;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		return -errno;
	buf = malloc(NL_BUF);
	if (buf == NULL)
		return -ENOMEM;
	/* bounded: a table of NC_PLATFORM_MAX_SOCKETS comes in far fewer reads */
	for (unsigned reads = 0; reads < 4096; reads++) {
		ssize_t len = recv(fd, buf, NL_BUF, 0);

		if (len < 0) {
			r = -errno;
			break;
		}
		r = nc_platform_parse_sock_diag(buf, (size_t)len, proto, ret, max, n);
		if (r != 0)
			break;
	}
	free(buf);
	return r < 0 ? r : 0;
}

static int read_file_bounded(const char *path, char **ret_text, size_t *ret_len)
{
	/* a /proc/net table of NC_PLATFORM_MAX_SOCKETS lines is ~700 KiB */
	const size_t cap = 1u << 21;
	size_t len = 0;
	char *text;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	text = malloc(cap);
	if (text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len < cap) {
		ssize_t k = read(fd, text + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	if (r < 0) {
		free(text);
		return r;
	}
	*ret_text = text;
	*ret_len = len;
	return 0;
}

static int proc_net_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *n)
{
	static const struct {
		const char *name;
		int family;
		uint8_t proto;
	} tables[] = {
		{ "tcp", AF_INET, IPPROTO_TCP },
		{ "tcp6", AF_INET6, IPPROTO_TCP },
		{ "udp", AF_INET, IPPROTO_UDP },
		{ "udp6", AF_INET6, IPPROTO_UDP },
	};
	int r = 0;

	for (size_t i = 0; i < NC_ARRAY_SIZE(tables) && r == 0; i++) {
		char path[64], *text = NULL;
		size_t len = 0;

		if (pid > 0)
			snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, tables[i].name);
		else
			snprintf(path, sizeof(path), "/proc/self/net/%s", tables[i].name);
		r = read_file_bounded(path, &text, &len);
		if (r == -ENOENT && i > 0 && tables[i].family == AF_INET6)
			r = 0; /* a kernel without IPv6 */
		else if (r == 0) {
			r = nc_platform_parse_proc_net(text, len, tables[i].family, tables[i].proto, ret, max, n);
			free(text);
		}
	}
	return r;
}

static int sock_diag_open(int pid)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd, saved = -1, r;

	if (pid > 0) {
		r = nc_platform_netns_enter(pid, &saved);
		if (r < 0)
			return r;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	r = fd < 0 ? -errno : fd;
	if (saved >= 0)
		nc_platform_netns_leave(saved);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return r;
}

int nc_platform_netns_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *ret_n)
{
	static const struct {
		int family;
		uint8_t proto;
	} dumps[] = {
		{ AF_INET, IPPROTO_TCP },
		{ AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP },
		{ AF_INET6, IPPROTO_UDP },
	};
	size_t n = 0;
	int fd, r = 0;

	*ret_n = 0;
	if (pid < 0)
		return -EINVAL;
	fd = sock_diag_open(pid);
	if (fd >= 0) {
		for (size_t i = 0; i < NC_ARRAY_SIZE(dumps) && r == 0; i++) {
			r = sock_diag_dump(fd, dumps[i].family, dumps[i].proto, ret, max, &n);
			/* a kernel without IPv6 or inet_diag for UDP: not an error */
			if (r == -ENOENT || r == -EAFNOSUPPORT)
				r = 0;
		}
		close(fd);
		if (r == 0 || r == -E2BIG) {
			*ret_n = n;
			return r;
		}
		n = 0;
	}
	/* no sock_diag (no module, no CAP_SYS_ADMIN for setns): the /proc view */
	r = proc_net_listeners(pid, ret, max, &n);
	*ret_n = n;
	return r;
}

/* ---- socket timestamps ------------------------------------------------------- */

int nc_platform_enable_rx_timestamps(int fd)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

int nc_platform_rx_timestamp(const struct msghdr *msg, struct timespec *ret)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*ret))) {
			memcpy(ret, CMSG_DATA(c), sizeof(*ret));
			return 0;
		}
	}
	return -ENOENT;
}

int nc_platform_ipvs(char *why, size_t len)
{
	struct utsname u;
	char path[160], line[512];
	FILE *f;
	bool listed;
	int found = 0;

	if (access("/proc/net/ip_vs", F_OK) == 0)
		return 1; /* loaded, or built in */
	if (uname(&u) < 0) {
		snprintf(why, len, "no /proc/net/ip_vs, and the kernel release is unknown");
		return 0;
	}
	/* a module dockerd can load: modules.dep lists it (bounded: one pass) */
	snprintf(path, sizeof(path), "/lib/modules/%.64s/modules.dep", u.release);
	f = fopen(path, "re");
	listed = f != NULL;
	if (f != NULL) {
		for (unsigned n = 0; !found && n < 100000 && fgets(line, sizeof(line), f) != NULL; n++)
			found = strstr(line, "/ip_vs.ko") != NULL && strchr(line, ':') > strstr(line, "/ip_vs.ko");
		fclose(f);
	}
	if (found)
		return 1;
	snprintf(why, len, "this kernel (%.64s) has no IPVS: no /proc/net/ip_vs and no ip_vs module in %s", u.release,
		 listed ? path : "/lib/modules");
	return 0;
}
