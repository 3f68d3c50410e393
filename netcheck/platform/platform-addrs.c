/* Linux: a namespace's addresses and their state (RTM_GETADDR through
 * platform-netlink.c), for the readiness wait before IPv6 probes: an
 * address still in duplicate address detection (IFA_F_TENTATIVE) is not
 * used by the kernel yet, one whose detection failed (IFA_F_DADFAILED)
 * never will be.  The socket is made in the namespace once (entering it
 * needs CAP_SYS_ADMIN) and read from there on without any privilege.
 * May call: libmnl, libc.  Never prints. */
#include "netcheck/platform.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform-internal.h"

struct nc_platform_addrs {
	nc_platform_nl_t *nl; /* owned: a NETLINK_ROUTE socket of the namespace */
};

int nc_platform_addrs_open(int pid, nc_platform_addrs_t **ret)
{
	nc_platform_addrs_t *a = calloc(1, sizeof(*a));
	int r;

	if (a == NULL)
		return -ENOMEM;
	r = nc_platform_nl_open(NETLINK_ROUTE, pid, &a->nl);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret = a;
	return 0;
}

void nc_platform_addrs_close(nc_platform_addrs_t *a)
{
	if (a == NULL)
		return;
	nc_platform_nl_close(a->nl);
	free(a);
}

uint32_t nc_platform_addrs_requests(const nc_platform_addrs_t *a)
{
	return nc_platform_nl_requests(a->nl);
}

int nc_platform_addr_from_msg(const struct nlmsghdr *nh, nc_platform_addr_t *ret)
{
	const struct ifaddrmsg *ifa = nc_platform_nl_header(nh, RTM_NEWADDR, sizeof(*ifa));
	const struct nlattr *attr;
	const void *local = NULL, *address = NULL;
	size_t alen;

	if (ifa == NULL)
		return nh->nlmsg_type == RTM_NEWADDR ? -EPROTO : 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	memset(ret, 0, sizeof(*ret));
	ret->ifindex = (int)ifa->ifa_index;
	ret->flags = ifa->ifa_flags; /* 8 bits; IFA_FLAGS below holds all 32 */
	mnl_attr_for_each(attr, nh, sizeof(*ifa)) {
		uint16_t type = mnl_attr_get_type(attr);
		size_t len = mnl_attr_get_payload_len(attr);

		if (type == IFA_FLAGS && len >= sizeof(uint32_t))
			ret->flags = mnl_attr_get_u32(attr);
		else if (type == IFA_LOCAL && len >= alen)
			local = mnl_attr_get_payload(attr);
		else if (type == IFA_ADDRESS && len >= alen)
			address = mnl_attr_get_payload(attr);
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on
	 * a point-to-point link, and the own one where there is no IFA_LOCAL
	 * (IPv6 never sends it) */
	if (local == NULL)
		local = address;
	if (local == NULL)
		return -EPROTO;
	/* a failed address keeps its tentative flag: it is failed, not pending */
	ret->dad_failed = (ret->flags & IFA_F_DADFAILED) != 0;
	ret->tentative = !ret->dad_failed && (ret->flags & IFA_F_TENTATIVE) != 0;
	ret->global = ifa->ifa_scope == RT_SCOPE_UNIVERSE;
	ret->address.family = ifa->ifa_family;
	memcpy(ifa->ifa_family == AF_INET ? (void *)&ret->address.addr.v4 : (void *)&ret->address.addr.v6, local, alen);
	return 1;
}

struct addr_dump {
	nc_platform_addr_t *out; /* borrowed, max rows */
	size_t max, n;
	const int *only;         /* borrowed: the interfaces asked about; NULL every one */
	size_t n_only;
	bool cut;
};

static int on_addr(const struct nlmsghdr *nh, void *data)
{
	struct addr_dump *d = data;
	nc_platform_addr_t a;
	int r = nc_platform_addr_from_msg(nh, &a);
	bool wanted = d->only == NULL;

	if (r < 0) {
		errno = -r;
		return MNL_CB_ERROR;
	}
	if (r == 0)
		return MNL_CB_OK;
	for (size_t i = 0; i < d->n_only && !wanted; i++)
		wanted = d->only[i] == a.ifindex;
	if (!wanted)
		return MNL_CB_OK;
	if (d->n == d->max) {
		d->cut = true; /* read to the dump's end all the same: the socket stays in step */
		return MNL_CB_OK;
	}
	d->out[d->n++] = a;
	return MNL_CB_OK;
}

int nc_platform_addrs_read(nc_platform_addrs_t *a, int family, const int *ifindexes, size_t n_ifindexes,
			   nc_platform_addr_t *ret, size_t max, size_t *ret_n)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct addr_dump d = { ret, max, 0, ifindexes, n_ifindexes, false };
	struct nlmsghdr *req = nc_platform_nl_request(buf, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(req);
	int r;

	*ret_n = 0;
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	ifa->ifa_family = (uint8_t)family;
	r = nc_platform_nl_call(a->nl, req, on_addr, &d);
	if (r < 0)
		return r;
	*ret_n = d.n;
	return d.cut ? -E2BIG : 0;
}

int nc_platform_addrs_ifname(nc_platform_addrs_t *a, int ifindex, char *ret)
{
	return nc_platform_nl_link_name(a->nl, ifindex, ret);
}
