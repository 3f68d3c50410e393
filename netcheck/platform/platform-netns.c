/* Linux: the "remote client" namespace of the platform interface.
 *
 * Owns the namespace netcheck-<run id>, its veth pair and the one route
 * inside, for the life of a run.  Made without shelling out: the namespace
 * the way iproute2's `ip netns add` makes it (ip/ipnetns.c: /run/netns made
 * a shared mount point, an empty file bind-mounted over by the new
 * namespace), except that unshare() runs on a thread of its own, so no
 * thread of netcheck ever leaves its namespace for more than one socket().
 * Links, addresses and the route by rtnetlink, every answer bounded and
 * matched to its request.  Nothing here sends a packet, and the namespace
 * gets no default route: it reaches the host's primary address only.
 * May call: libc, the kernel.  Never prints. */
#include "netcheck/platform.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"
#include "platform-internal.h"

#define NETNS_RUN_DIR "/run/netns"
#define HOST_IF_PREFIX "ncr"
#define HOST_IF_ID_MAX 12 /* "ncr" + 12 = IFNAMSIZ - 1 */
#define NS_IFNAME "eth0"
#define SWARM_LAB_OCTET 10 /* 198.18.10.0/24 is the Swarm lab's */
#define SUBNET_ATTEMPTS 16
#define LIST_SCAN_MAX 4096

/* ---- pure parts ---------------------------------------------------------- */

bool nc_platform_remote_run_id_valid(const char *run_id)
{
	size_t n;

	if (run_id == NULL)
		return false;
	for (n = 0; run_id[n] != '\0'; n++) {
		char c = run_id[n];
		if (n >= NC_REMOTE_RUN_ID_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n > 0;
}

int nc_platform_remote_subnet(const char *run_id, unsigned attempt)
{
	uint32_t h = 2166136261u; /* FNV-1a: cheap, and neighbouring ids land far apart */
	unsigned octet;

	if (!nc_platform_remote_run_id_valid(run_id))
		return -EINVAL;
	for (const char *p = run_id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	/* 255 values: 0..255 without 10, so every attempt is another subnet */
	octet = (unsigned)((h + attempt) % 255u);
	if (octet >= SWARM_LAB_OCTET)
		octet++;
	return (int)octet;
}

static int names_for(const char *run_id, nc_platform_remote_t *r)
{
	if (!nc_platform_remote_run_id_valid(run_id))
		return -EINVAL;
	snprintf(r->netns_name, sizeof(r->netns_name), NC_REMOTE_NETNS_PREFIX "%s", run_id);
	snprintf(r->netns_path, sizeof(r->netns_path), NETNS_RUN_DIR "/%s", r->netns_name);
	snprintf(r->host_ifname, sizeof(r->host_ifname), HOST_IF_PREFIX "%.*s", HOST_IF_ID_MAX, run_id);
	return 0;
}

/* ---- rtnetlink ----------------------------------------------------------- */

/* Sends a request that asks for an acknowledgement; 0 or the kernel's
 * negative errno. */
static int nl_change(nc_platform_nl_t *nl, struct nlmsghdr *req)
{
	req->nlmsg_flags |= NLM_F_ACK;
	return nc_platform_nl_call(nl, req, NULL, NULL);
}

static int link_index(nc_platform_nl_t *nl, const char *ifname, int *ret_ifindex)
{
	int r;

	*ret_ifindex = 0;
	r = nc_platform_nl_link(nl, ifname, ret_ifindex, NULL);
	return r < 0 ? r : *ret_ifindex > 0 ? 0 : -ENODEV;
}

static int link_up(nc_platform_nl_t *nl, int ifindex)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(req);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_change(nl, req);
}

static int link_delete(nc_platform_nl_t *nl, const char *ifname)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_DELLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(req);

	ifi->ifi_family = AF_UNSPEC;
	if (!mnl_attr_put_strz_check(req, sizeof(buf), IFLA_IFNAME, ifname))
		return -EINVAL;
	return nl_change(nl, req);
}

/* ip link add <host_ifname> type veth peer name eth0 netns <ns_fd> */
static int veth_create(nc_platform_nl_t *nl, const char *host_ifname, int ns_fd)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
						      sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(req), peer = { .ifi_family = AF_UNSPEC };
	struct nlattr *linkinfo, *data, *peer_attr;

	ifi->ifi_family = AF_UNSPEC;
	/* host_ifname is "ncr" and 12 characters at most: all of it fits */
	mnl_attr_put_strz(req, IFLA_IFNAME, host_ifname);
	linkinfo = mnl_attr_nest_start(req, IFLA_LINKINFO);
	mnl_attr_put_strz(req, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(req, IFLA_INFO_DATA);
	/* the peer: an ifinfomsg, then its own attributes, all in one nest */
	peer_attr = mnl_attr_nest_start(req, VETH_INFO_PEER);
	memcpy(mnl_nlmsg_get_payload_tail(req), &peer, sizeof(peer));
	req->nlmsg_len += MNL_ALIGN(sizeof(peer));
	mnl_attr_put_strz(req, IFLA_IFNAME, NS_IFNAME);
	mnl_attr_put_u32(req, IFLA_NET_NS_FD, (uint32_t)ns_fd);
	mnl_attr_nest_end(req, peer_attr);
	mnl_attr_nest_end(req, data);
	mnl_attr_nest_end(req, linkinfo);
	return nl_change(nl, req);
}

/* ip addr add <addr>/30 dev <ifindex> */
static int addr_add(nc_platform_nl_t *nl, int ifindex, const nc_endpoint_t *addr)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
						      sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(req);

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 30;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(req, IFA_LOCAL, 4, &addr->addr.v4);
	mnl_attr_put(req, IFA_ADDRESS, 4, &addr->addr.v4);
	return nl_change(nl, req);
}

/* ip route add <dst>/32 via <gateway> dev <ifindex>: a host route, never a
 * default one */
static int host_route_add(nc_platform_nl_t *nl, int ifindex, const nc_endpoint_t *dst, const nc_endpoint_t *gateway)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct rtmsg));
	struct rtmsg *rt = mnl_nlmsg_get_payload(req);

	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 32;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(req, RTA_DST, 4, &dst->addr.v4);
	mnl_attr_put(req, RTA_GATEWAY, 4, &gateway->addr.v4);
	mnl_attr_put_u32(req, RTA_OIF, (uint32_t)ifindex);
	return nl_change(nl, req);
}

/* ---- the namespace ------------------------------------------------------- */

static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int read_sysctl_char(const char *path, char *ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, ret, 1);
	close(fd);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

/* /run/netns as iproute2 leaves it: a directory that is a shared mount
 * point, so unmounting a namespace there unmounts it in every mount
 * namespace that copied it and the namespace can be freed. */
static int netns_run_dir(void)
{
	bool made_mount = false;

	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || made_mount)
			return -errno;
		/* not a mount point yet: make it one, then share it */
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		made_mount = true;
	}
	return 0;
}

typedef struct ns_thread {
	const char *path; /* the file to bind the new namespace onto; NULL: none, held by fd */
	nc_platform_nl_t *ns_nl; /* out, new: a netlink socket inside */
	int fd;           /* out, new (path NULL): the namespace, held */
	int r;
} ns_thread_t;

/* Runs on a thread of its own: its namespace is the new one, and it ends
 * there.  Mounts are per process (this thread shares ours), so the bind
 * mount outlives it; so does the netlink socket it opens inside. */
static void *ns_thread_main(void *arg)
{
	ns_thread_t *t = arg;
	char self[64];

	t->ns_nl = NULL;
	if (unshare(CLONE_NEWNET) < 0) {
		t->r = -errno;
		return NULL;
	}
	/* /proc/self would be the process's (the main thread's) namespace */
	snprintf(self, sizeof(self), "/proc/self/task/%ld/ns/net", (long)gettid());
	if (t->path == NULL)
		t->fd = open(self, O_RDONLY | O_CLOEXEC);
	if ((t->path == NULL && t->fd < 0) || (t->path != NULL && mount(self, t->path, "none", MS_BIND, NULL) < 0)) {
		t->r = -errno;
		return NULL;
	}
	/* no IPv6 inside: eth0 would otherwise solicit routers and join
	 * groups, and the probes are IPv4 */
	(void)write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	(void)write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	t->r = nc_platform_nl_open(NETLINK_ROUTE, 0, &t->ns_nl);
	return NULL;
}

/* A new namespace, named at path (a mount point under /run/netns, as `ip
 * netns add` makes), or, where this process may not write there (a
 * member of the package's group: CAP_SYS_ADMIN and CAP_NET_ADMIN, no
 * CAP_DAC_OVERRIDE on root's directory), held from the start by
 * *ret_held_fd (new) and named nowhere.  *ret_held_fd is -1 for a named
 * one. */
static int netns_make(const char *path, nc_platform_nl_t **ret_ns_nl, int *ret_held_fd)
{
	ns_thread_t t = { .path = path, .ns_nl = NULL, .fd = -1, .r = -EIO };
	pthread_t th;
	int fd, r;

	*ret_held_fd = -1;
	r = netns_run_dir();
	if (r == 0) {
		fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		r = fd < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	if (r < 0) {
		if (r != -EACCES && r != -EPERM)
			return r;
		t.path = NULL; /* not ours to name: held instead */
	}
	r = pthread_create(&th, NULL, ns_thread_main, &t);
	if (r != 0) {
		if (t.path != NULL)
			(void)unlink(path);
		return -r;
	}
	(void)pthread_join(th, NULL);
	if (t.r < 0) {
		if (t.fd >= 0)
			close(t.fd);
		if (t.path != NULL) {
			(void)umount2(path, MNT_DETACH);
			(void)unlink(path);
		}
		return t.r;
	}
	*ret_ns_nl = t.ns_nl;
	*ret_held_fd = t.fd;
	return 0;
}

/* Removes one namespace's veth and mount point; each part may already be
 * gone.  The veth first: deleting our end deletes eth0 inside with it,
 * while a namespace only unmounted is freed later, by a kernel worker. */
static int remove_by_names(const char *netns_path, const char *host_ifname)
{
	nc_platform_nl_t *nl;
	int r = nc_platform_nl_open(NETLINK_ROUTE, 0, &nl), k;

	if (r == 0) {
		k = link_delete(nl, host_ifname);
		if (k < 0 && k != -ENODEV)
			r = k;
		nc_platform_nl_close(nl);
	}
	if (umount2(netns_path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT && r == 0)
		r = -errno;
	if (unlink(netns_path) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

/* Is 198.18.<a>.0/30 already on one of this host's links (another run's)? */
static bool subnet_taken(const nc_endpoint_t *host_side)
{
	nc_route_t rt;

	if (nc_platform_route_get(host_side, &rt) < 0)
		return true;
	return rt.kind == NC_ROUTE_LOCAL || (rt.kind == NC_ROUTE_ON_LINK && !rt.via_default);
}

static void subnet_address(int octet, unsigned host, nc_endpoint_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = AF_INET;
	ret->addr.v4.s_addr = htonl((198u << 24) | (18u << 16) | ((unsigned)octet << 8) | host);
}

static int pick_subnet(const char *run_id, nc_platform_remote_t *r)
{
	for (unsigned attempt = 0; attempt < SUBNET_ATTEMPTS; attempt++) {
		int octet = nc_platform_remote_subnet(run_id, attempt);

		if (octet < 0)
			return octet;
		subnet_address(octet, 1, &r->host_side_address);
		if (subnet_taken(&r->host_side_address))
			continue;
		subnet_address(octet, 2, &r->client_address);
		return 0;
	}
	return -EADDRINUSE;
}

/* The client's veth forwards as the uplink does.  The kernel decides
 * forwarding per input interface: ip_route_input_slow() refuses to forward
 * a packet that arrived on a device whose conf/<dev>/forwarding is 0
 * (-EHOSTUNREACH; ip_error() drops it as IP_INADDRERRORS, no ICMP).
 * net.ipv4.ip_forward is conf/all/forwarding, and writing it writes every
 * device's value and default's (inet_forward_change()); a device made later
 * starts with default's.  So the request of netcheck's client, entering on
 * ncr<id> and DNATed to the container, is forwarded when ncr<id> says so,
 * and the container's answer, entering on the Docker bridge, when the
 * bridge says so.  A real remote client enters on the uplink (the
 * interface of the host's primary address): ncr<id> gets the uplink's
 * value, nothing else is touched -- with ip_forward=0 (every device 0) the
 * client's packets are dropped where a real client's would be, and
 * netcheck reports forwarding-disabled instead of fixing it (it used to
 * turn ip_forward on for the run); with ip_forward=0 but the uplink and
 * the bridge on by hand, the path works for both.  The value goes with
 * the veth. */
static int copy_uplink_forwarding(nc_platform_remote_t *r, const char *uplink)
{
	char path[96];
	char c;
	int k;

	if (snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", uplink) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	k = read_sysctl_char(path, &c);
	if (k < 0)
		return k;
	r->forwarding = c == '1';
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", r->host_ifname);
	return write_sysctl(path, r->forwarding ? "1" : "0");
}

int nc_platform_remote_create(const char *run_id, nc_platform_remote_t *ret, nc_error_t *err)
{
	char host_sysctl[96];
	nc_platform_nl_t *host_nl = NULL, *ns_nl = NULL;
	int ns_fd = -1, host_if = 0, ns_if = 0, lo_if = 0, held = -1, r;
	const char *step;

	memset(ret, 0, sizeof(*ret));
	if (names_for(run_id, ret) < 0) {
		memset(ret, 0, sizeof(*ret));
		return nc_error_set(err, -EINVAL, "remote namespace: run id '%.64s' is not 1 to %d of [a-z0-9-]",
				    run_id ? run_id : "(null)", NC_REMOTE_RUN_ID_MAX);
	}
	step = "the host's primary IPv4 address";
	r = nc_platform_primary_address(AF_INET, &ret->host_address, ret->uplink_ifname, sizeof(ret->uplink_ifname));
	if (r < 0)
		goto fail_early;
	step = "a free subnet of 198.18.0.0/15";
	r = pick_subnet(run_id, ret);
	if (r < 0)
		goto fail_early;
	step = "creating the namespace";
	r = netns_make(ret->netns_path, &ns_nl, &held);
	if (r < 0)
		goto fail_early;
	/* from here on, a failure removes what was made */
	if (held > 0)
		ret->held_fd = held; /* nowhere to name it: held from the start */
	else if (held == 0)
		close(held); /* never ours to hold: 0 is "none" in the struct */
	step = "opening the namespace";
	ns_fd = held > 0 ? fcntl(held, F_DUPFD_CLOEXEC, 3) : open(ret->netns_path, O_RDONLY | O_CLOEXEC);
	r = ns_fd < 0 ? -errno : held == 0 ? -EBADF : 0;
	if (r < 0)
		goto fail;
	step = "opening rtnetlink";
	r = nc_platform_nl_open(NETLINK_ROUTE, 0, &host_nl);
	if (r < 0)
		goto fail;
	step = "creating the veth pair";
	r = veth_create(host_nl, ret->host_ifname, ns_fd);
	if (r < 0)
		goto fail;
	snprintf(host_sysctl, sizeof(host_sysctl), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ret->host_ifname);
	(void)write_sysctl(host_sysctl, "1"); /* nothing of ours speaks IPv6 on it */
	step = "configuring the host side";
	if ((r = link_index(host_nl, ret->host_ifname, &host_if)) < 0 ||
	    (r = addr_add(host_nl, host_if, &ret->host_side_address)) < 0 || (r = link_up(host_nl, host_if)) < 0)
		goto fail;
	step = "configuring the namespace side";
	if ((r = link_index(ns_nl, NS_IFNAME, &ns_if)) < 0 || (r = link_index(ns_nl, "lo", &lo_if)) < 0 ||
	    (r = link_up(ns_nl, lo_if)) < 0 || (r = addr_add(ns_nl, ns_if, &ret->client_address)) < 0 ||
	    (r = link_up(ns_nl, ns_if)) < 0)
		goto fail;
	step = "adding the route to the host's primary address";
	r = host_route_add(ns_nl, ns_if, &ret->host_address, &ret->host_side_address);
	if (r < 0)
		goto fail;
	step = "copying the uplink's forwarding setting to the client's veth";
	r = copy_uplink_forwarding(ret, ret->uplink_ifname);
	if (r < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	nc_platform_remote_destroy(ret);
fail_early:
	nc_error_set(err, r, "remote namespace netcheck-%s: %s: %s", run_id, step, nc_strerror(r));
	memset(ret, 0, sizeof(*ret));
out:
	if (ns_fd >= 0)
		close(ns_fd);
	nc_platform_nl_close(ns_nl);
	nc_platform_nl_close(host_nl);
	return r;
}

int nc_platform_remote_hold(nc_platform_remote_t *r)
{
	int fd;

	if (r == NULL || r->netns_name[0] == '\0')
		return -EINVAL;
	if (r->held_fd > 0)
		return 0; /* held from the start, named nowhere (netns_make) */
	fd = open(r->netns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fd == 0) { /* never ours to hold: 0 is "none" in the struct */
		close(fd);
		return -EBADF;
	}
	if (umount2(r->netns_path, MNT_DETACH) < 0 || unlink(r->netns_path) < 0) {
		int k = -errno;

		close(fd);
		return k;
	}
	r->held_fd = fd;
	return 0;
}

void nc_platform_remote_destroy(nc_platform_remote_t *r)
{
	if (r == NULL)
		return;
	if (r->held_fd > 0) {
		/* the last reference: the kernel frees the namespace, and the
		 * veth pair goes with it; the host side too when we still may */
		close(r->held_fd);
		r->held_fd = 0;
		(void)remove_by_names(r->netns_path, r->host_ifname);
	} else if (r->netns_name[0] != '\0') {
		(void)remove_by_names(r->netns_path, r->host_ifname);
	}
	memset(r, 0, sizeof(*r));
}

int nc_platform_remote_connect_fd(const nc_platform_remote_t *r, int type, int *ret_fd)
{
	int saved, target, fd, k;

	if (r == NULL || r->netns_name[0] == '\0' || (type != SOCK_STREAM && type != SOCK_DGRAM))
		return -EINVAL;
	target = r->held_fd > 0 ? r->held_fd : open(r->netns_path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	k = nc_platform_netns_enter_fd(target, &saved);
	if (target != r->held_fd)
		close(target);
	if (k < 0)
		return k;
	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	k = fd < 0 ? -errno : 0;
	(void)nc_platform_netns_leave(saved);
	if (k == 0)
		*ret_fd = fd;
	return k;
}

int nc_platform_remote_list(char names[][NC_REMOTE_NAME_MAX], size_t max, size_t *ret_n)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	*ret_n = 0;
	d = opendir(NETNS_RUN_DIR);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	for (unsigned scanned = 0; n < max && scanned < LIST_SCAN_MAX && (de = readdir(d)) != NULL; scanned++) {
		const char *id = de->d_name + strlen(NC_REMOTE_NETNS_PREFIX);

		if (strncmp(de->d_name, NC_REMOTE_NETNS_PREFIX, strlen(NC_REMOTE_NETNS_PREFIX)) != 0 ||
		    !nc_platform_remote_run_id_valid(id))
			continue;
		memcpy(names[n], de->d_name, strlen(de->d_name) + 1); /* valid: it fits */
		n++;
	}
	closedir(d);
	*ret_n = n;
	return 0;
}

int nc_platform_remote_destroy_name(const char *name)
{
	nc_platform_remote_t r;
	size_t plen = strlen(NC_REMOTE_NETNS_PREFIX);

	if (name == NULL || strncmp(name, NC_REMOTE_NETNS_PREFIX, plen) != 0)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (names_for(name + plen, &r) < 0)
		return -EINVAL;
	/* the host side's name follows from the run id; a veth whose other
	 * end's namespace is freed goes too, but only once the kernel gets
	 * to it, so it is deleted here first */
	return remove_by_names(r.netns_path, r.host_ifname);
}
