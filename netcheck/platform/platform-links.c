/* Linux: namespaces and links.  The one way into a network namespace
 * (setns, by pid or by fd, and back), and a link's peer inside another
 * namespace and a link's name by index there (RTM_GETLINK through
 * platform-netlink.c).
 * May call: libmnl, libc.  Never prints. */
#include "netcheck/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/testing.h"
#include "platform-internal.h"

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

int nc_platform_netns_inode(uint64_t *ret)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return -errno;
	*ret = (uint64_t)st.st_ino;
	return 0;
}

static int open_netns(int pid)
{
	char path[64];
	int fd;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int nc_platform_netns_enter(int pid, int *ret_saved_fd)
{
	int target = open_netns(pid), r;

	if (target < 0)
		return target;
	r = nc_platform_netns_enter_fd(target, ret_saved_fd);
	close(target);
	return r;
}

bool nc_platform_netns_reachable(int pid)
{
	int fd = open_netns(pid);

	if (fd < 0)
		return false;
	close(fd);
	return true;
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
/* ---- links -------------------------------------------------------------------- */

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

struct link_answer {
	int *ifindex; /* borrowed, may be NULL */
	int *iflink;  /* borrowed, may be NULL */
	char *name;   /* borrowed, NC_IFNAME_MAX bytes, may be NULL */
};

static int on_link(const struct nlmsghdr *nh, void *data)
{
	const struct link_answer *a = data;
	const struct ifinfomsg *ifi = nc_platform_nl_header(nh, RTM_NEWLINK, sizeof(*ifi));
	const struct nlattr *attr;

	if (ifi == NULL)
		return NC_PLATFORM_NL_SKIP_OR_FAIL(nh, RTM_NEWLINK);
	if (a->ifindex != NULL)
		*a->ifindex = ifi->ifi_index;
	if (a->iflink != NULL) {
		*a->iflink = ifi->ifi_index; /* no IFLA_LINK: not a veth, its own index */
		mnl_attr_for_each(attr, nh, sizeof(*ifi))
			if (mnl_attr_get_type(attr) == IFLA_LINK && mnl_attr_get_payload_len(attr) >= sizeof(uint32_t))
				*a->iflink = (int)mnl_attr_get_u32(attr);
	}
	if (a->name != NULL)
		mnl_attr_for_each(attr, nh, sizeof(*ifi))
			if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				snprintf(a->name, NC_IFNAME_MAX, "%s", mnl_attr_get_str(attr));
	return MNL_CB_STOP; /* one link asked, one answer, no acknowledgement */
}

int nc_platform_nl_link(nc_platform_nl_t *nl, const char *ifname, int *ret_ifindex, int *ret_iflink)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct link_answer a = { ret_ifindex, ret_iflink, NULL };
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(req);

	ifi->ifi_family = AF_UNSPEC;
	if (strnlen(ifname, IF_NAMESIZE) >= IF_NAMESIZE || !mnl_attr_put_strz_check(req, sizeof(buf), IFLA_IFNAME, ifname))
		return -EINVAL;
	return nc_platform_nl_call(nl, req, on_link, &a);
}

int nc_platform_nl_link_name(nc_platform_nl_t *nl, int ifindex, char *ret)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct link_answer a = { NULL, NULL, ret };
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(req);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	snprintf(ret, NC_IFNAME_MAX, "if%d", ifindex);
	return nc_platform_nl_call(nl, req, on_link, &a);
}
