/* Linux: routes.  The route the kernel would take to an address (one
 * RTM_GETROUTE, as `ip route get` asks; no packet is sent), whether the
 * default route carries it, and the host's primary address (the source the
 * default route would pick).  Through platform-netlink.c.
 * May call: libmnl, libc.  Never prints. */
#include "netcheck/platform.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"
#include "platform-internal.h"

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

/* One RTM_GETROUTE for dst on nl (what `ip route get` does). */
static int route_get_on(nc_platform_nl_t *nl, const nc_endpoint_t *dst, nc_route_t *ret)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct route_answer a = { ret, false };
	size_t alen = dst->family == AF_INET ? 4 : 16;
	struct nlmsghdr *req;
	struct rtmsg *rt;
	int r;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	req = nc_platform_nl_request(buf, RTM_GETROUTE, 0, sizeof(*rt));
	rt = mnl_nlmsg_get_payload(req);
	rt->rtm_family = (unsigned char)dst->family;
	rt->rtm_dst_len = (unsigned char)(alen * 8);
	mnl_attr_put(req, RTA_DST, alen, &dst->addr);
	memset(ret, 0, sizeof(*ret));
	r = nc_platform_nl_call(nl, req, on_route, &a);
	if (r == -ENETUNREACH || r == -EHOSTUNREACH) {
		memset(ret, 0, sizeof(*ret)); /* NC_ROUTE_NONE */
		return 0;
	}
	return r < 0 ? r : a.found ? 0 : -EPROTO;
}

/* The route to an address only the default route can match (a
 * documentation-range one), of dst's family. */
static int default_route_on(nc_platform_nl_t *nl, int family, nc_route_t *ret)
{
	nc_endpoint_t probe_dst;

	nc_endpoint_parse(family == AF_INET6 ? "2001:db8::fe" : "198.51.100.254", 0, &probe_dst);
	return route_get_on(nl, &probe_dst, ret);
}

int nc_platform_route_get(const nc_endpoint_t *dst, nc_route_t *ret)
{
	nc_platform_nl_t *nl;
	nc_route_t def;
	int r;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EAFNOSUPPORT;
	r = nc_platform_nl_open(NETLINK_ROUTE, 0, &nl);
	if (r < 0)
		return r;
	/* Does the default route carry it?  Compare with the default route's
	 * answer, asked on the same socket. */
	r = route_get_on(nl, dst, ret);
	if (r == 0 && (ret->kind == NC_ROUTE_GATEWAY || ret->kind == NC_ROUTE_ON_LINK) &&
	    default_route_on(nl, dst->family, &def) == 0 && def.kind == ret->kind && def.ifindex == ret->ifindex &&
	    (def.kind == NC_ROUTE_ON_LINK || nc_endpoint_addr_equal(&def.gateway, &ret->gateway)))
		ret->via_default = true;
	nc_platform_nl_close(nl);
	return r;
}

int nc_platform_primary_address(int family, nc_endpoint_t *ret_addr, char *ret_ifname, size_t ifname_len)
{
	nc_platform_nl_t *nl;
	nc_route_t rt;
	int r;

	/* the kernel tells us the source the default route would pick; no
	 * packet is sent */
	r = nc_platform_nl_open(NETLINK_ROUTE, 0, &nl);
	if (r < 0)
		return r;
	r = default_route_on(nl, family, &rt);
	nc_platform_nl_close(nl);
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
