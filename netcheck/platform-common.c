/* The platform-independent half of the platform interface: what every
 * platform-*.c would otherwise repeat word for word.  It only formats and
 * composes; every host question goes through the platform file built beside
 * it (platform-linux.c, platform-darwin.c or platform-win.c). */
#include "netcheck/platform.h"

#include <errno.h>
#include <stdio.h>

int nc_platform_route_format(const nc_endpoint_t *dst, const nc_route_t *rt, char *buf, size_t len)
{
	char d[NC_ENDPOINT_STRLEN], g[NC_ENDPOINT_STRLEN], s[NC_ENDPOINT_STRLEN];
	int n;

	nc_endpoint_format(dst, false, d, sizeof(d));
	nc_endpoint_format(&rt->gateway, false, g, sizeof(g));
	nc_endpoint_format(&rt->source, false, s, sizeof(s));
	switch (rt->kind) {
	case NC_ROUTE_NONE:
		n = snprintf(buf, len, "%s: no route", d);
		break;
	case NC_ROUTE_REJECT:
		n = snprintf(buf, len, "%s: rejected (unreachable/prohibit/blackhole route)", d);
		break;
	case NC_ROUTE_LOCAL:
		n = snprintf(buf, len, "local %s dev %s (an address of this host)", d, rt->ifname);
		break;
	case NC_ROUTE_GATEWAY:
		n = snprintf(buf, len, "%s via %s dev %s%s%s%s", d, g, rt->ifname,
			     rt->source.family ? " src " : "", rt->source.family ? s : "",
			     rt->via_default ? " (default route)" : "");
		break;
	default:
		n = snprintf(buf, len, "%s dev %s%s%s", d, rt->ifname,
			     rt->source.family ? " src " : "", rt->source.family ? s : "");
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int nc_platform_tcp_listener(uint16_t port, nc_forwarder_t *ret)
{
	if (nc_platform_tcp_listener_family(port, AF_INET, ret) == 0)
		return 0;
	return nc_platform_tcp_listener_family(port, AF_INET6, ret);
}
