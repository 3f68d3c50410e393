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
#include "netcheck/testing.h"
#include "platform-internal.h"

#define MAX_PROCS_SCANNED 65536
#define MAX_FDS_PER_PROC 4096

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

struct route_answer {
	nc_route_t *route; /* borrowed */
	bool found;
};

static int on_route(const struct nlmsghdr *nh, void *data)
{
	struct route_answer *a = data;
	nc_route_t *ret = a->route;
	const struct rtmsg *rt = nc_platform_nl_header(nh, RTM_NEWROUTE, sizeof(*rt));
	const struct nlattr *attr;

	if (rt == NULL)
		return NC_PLATFORM_NL_SKIP_OR_FAIL(nh, RTM_NEWROUTE);
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
	mnl_attr_for_each(attr, nh, sizeof(*rt)) {
		size_t plen = mnl_attr_get_payload_len(attr);

		switch (mnl_attr_get_type(attr)) {
		case RTA_OIF:
			if (plen >= sizeof(uint32_t)) {
				ret->ifindex = (int)mnl_attr_get_u32(attr);
				if (if_indextoname((unsigned)ret->ifindex, ret->ifname) == NULL)
					snprintf(ret->ifname, sizeof(ret->ifname), "if%d", ret->ifindex);
			}
			break;
		case RTA_GATEWAY:
			fill_addr(&ret->gateway, rt->rtm_family, mnl_attr_get_payload(attr), plen);
			if (ret->kind == NC_ROUTE_ON_LINK)
				ret->kind = NC_ROUTE_GATEWAY;
			break;
		case RTA_PREFSRC:
			fill_addr(&ret->source, rt->rtm_family, mnl_attr_get_payload(attr), plen);
			break;
		default:
			break;
		}
	}
	a->found = true;
	return MNL_CB_STOP; /* one route asked, one answer */
}

/* One RTM_GETROUTE for dst (what `ip route get` does). */
static int route_get_once(const nc_endpoint_t *dst, nc_route_t *ret)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct route_answer a = { ret, false };
	size_t alen = dst->family == AF_INET ? 4 : 16;
	struct nlmsghdr *req;
	struct rtmsg *rt;
	nc_platform_nl_t *nl;
	int r;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	req = nc_platform_nl_request(buf, RTM_GETROUTE, 0, sizeof(*rt));
	rt = mnl_nlmsg_get_payload(req);
	rt->rtm_family = (unsigned char)dst->family;
	rt->rtm_dst_len = (unsigned char)(alen * 8);
	mnl_attr_put(req, RTA_DST, alen, &dst->addr);
	r = nc_platform_nl_open(NETLINK_ROUTE, 0, &nl);
	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	r = nc_platform_nl_call(nl, req, on_route, &a);
	nc_platform_nl_close(nl);
	if (r == -ENETUNREACH || r == -EHOSTUNREACH) {
		memset(ret, 0, sizeof(*ret)); /* NC_ROUTE_NONE */
		return 0;
	}
	return r < 0 ? r : a.found ? 0 : -EPROTO;
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

int nc_platform_netns_iflink(int pid, const char *ifname, int *ret_iflink)
{
	nc_platform_nl_t *nl;
	int r;

	if (pid <= 0)
		return -EINVAL;
	r = nc_platform_nl_open(NETLINK_ROUTE, pid, &nl);
	if (r < 0)
		return r;
	r = nc_platform_nl_link(nl, ifname, NULL, ret_iflink);
	nc_platform_nl_close(nl);
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

int nc_platform_netns_enter_fd(int ns_fd, int *ret_saved_fd)
{
	int self, r;

	/* this thread's own namespace, which /proc/self need not be */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		r = -errno;
		close(self);
		return r;
	}
	*ret_saved_fd = self;
	return 0;
}

int nc_platform_netns_enter(int pid, int *ret_saved_fd)
{
	char path[64];
	int target, r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	r = nc_platform_netns_enter_fd(target, ret_saved_fd);
	close(target);
	return r;
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

struct socket_table {
	uint8_t proto;
	nc_platform_socket_t *ret; /* borrowed, max entries */
	size_t max;
	size_t *n;
};

static int on_inet_diag(const struct nlmsghdr *nh, void *data)
{
	const struct socket_table *t = data;
	const struct inet_diag_msg *m = nc_platform_nl_header(nh, SOCK_DIAG_BY_FAMILY, sizeof(*m));
	const struct nlattr *attr;
	nc_platform_socket_t s;

	if (m == NULL)
		return NC_PLATFORM_NL_SKIP_OR_FAIL(nh, SOCK_DIAG_BY_FAMILY);
	memset(&s, 0, sizeof(s));
	s.proto = t->proto;
	s.inode = m->idiag_inode;
	s.local.family = m->idiag_family;
	s.local.port = ntohs(m->id.idiag_sport);
	if (m->idiag_family == AF_INET)
		memcpy(&s.local.addr.v4, m->id.idiag_src, 4);
	else if (m->idiag_family == AF_INET6)
		memcpy(&s.local.addr.v6, m->id.idiag_src, 16);
	else
		return MNL_CB_OK;
	if (s.local.port == 0)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nh, sizeof(*m))
		if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY && mnl_attr_get_payload_len(attr) >= 1)
			s.v6only = mnl_attr_get_u8(attr) != 0;
	if (push_socket(t->ret, t->max, t->n, &s) < 0) {
		errno = E2BIG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int nc_platform_parse_sock_diag(const void *buf, size_t len, uint8_t proto, nc_platform_socket_t *ret, size_t max,
				size_t *n)
{
	struct socket_table t = { proto, ret, max, n };

	return nc_platform_nl_parse(buf, len, 0, on_inet_diag, &t);
}

/* One inet_diag dump (family, proto) on nl; appends to ret. */
static int sock_diag_dump(nc_platform_nl_t *nl, int family, uint8_t proto, nc_platform_socket_t *ret, size_t max,
			  size_t *n)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct socket_table t = { proto, ret, max, n };
	struct nlmsghdr *req = nc_platform_nl_request(buf, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, sizeof(struct inet_diag_req_v2));
	struct inet_diag_req_v2 *q = mnl_nlmsg_get_payload(req);

	q->sdiag_family = (uint8_t)family;
	q->sdiag_protocol = proto;
	/* TCP: LISTEN only; UDP has no listen state: every socket, bound ones kept */
	q->idiag_states = proto == IPPROTO_TCP ? 1u << TCP_STATE_LISTEN : ~0u;
	return nc_platform_nl_call(nl, req, on_inet_diag, &t);
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
	nc_platform_nl_t *nl;
	size_t n = 0;
	int r = 0;

	*ret_n = 0;
	if (pid < 0)
		return -EINVAL;
	if (nc_platform_nl_open(NETLINK_SOCK_DIAG, pid, &nl) == 0) {
		for (size_t i = 0; i < NC_ARRAY_SIZE(dumps) && r == 0; i++) {
			r = sock_diag_dump(nl, dumps[i].family, dumps[i].proto, ret, max, &n);
			/* a kernel without IPv6 or inet_diag for UDP: not an error */
			if (r == -ENOENT || r == -EAFNOSUPPORT)
				r = 0;
		}
		nc_platform_nl_close(nl);
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
