/* The platform-independent half of the platform interface: what every
 * platform-*.c would otherwise repeat word for word.  It only formats and
 * composes; every host question goes through the platform file built beside
 * it (platform-linux.c). */
#include "netcheck/platform.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <uv.h>

#include "netcheck/testing.h"

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

int nc_platform_tcp_listener(uint16_t port, nc_platform_process_t *ret)
{
	if (nc_platform_tcp_listener_family(port, AF_INET, ret) == 0)
		return 0;
	return nc_platform_tcp_listener_family(port, AF_INET6, ret);
}

int nc_platform_is_listening(int pid, uint16_t port, int proto)
{
	nc_platform_socket_t *socks;
	size_t n = 0;
	int r;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	socks = malloc(NC_PLATFORM_MAX_SOCKETS * sizeof(*socks));
	if (socks == NULL)
		return -ENOMEM;
	r = nc_platform_netns_listeners(pid, socks, NC_PLATFORM_MAX_SOCKETS, &n);
	if (r == 0 || r == -E2BIG) {
		r = 0;
		for (size_t i = 0; i < n && r == 0; i++)
			if (socks[i].proto == proto && socks[i].local.port == port)
				r = 1;
	}
	free(socks);
	return r;
}

#define WAIT_FIRST_MS 2
#define WAIT_CAP_MS 100

unsigned nc_platform_wait_step_ms(unsigned n)
{
	unsigned ms = WAIT_FIRST_MS;

	for (unsigned i = 0; i < n && ms < WAIT_CAP_MS; i++)
		ms *= 2;
	return ms < WAIT_CAP_MS ? ms : WAIT_CAP_MS;
}

int nc_platform_wait_listening(int pid, uint16_t port, int proto, uint64_t deadline_ms,
			       const volatile sig_atomic_t *cancel)
{
	/* bounded: at the cap, a day of checks */
	for (unsigned n = 0; n < 1000000; n++) {
		uint64_t now, step;
		struct timespec ts;
		int r = nc_platform_is_listening(pid, port, proto);

		if (r != 0)
			return r;
		if (cancel != NULL && *cancel)
			return -ECANCELED;
		now = uv_hrtime() / 1000000u;
		if (now >= deadline_ms)
			return -ETIMEDOUT;
		step = nc_platform_wait_step_ms(n);
		if (step > deadline_ms - now)
			step = deadline_ms - now;
		ts.tv_sec = (time_t)(step / 1000);
		ts.tv_nsec = (long)(step % 1000) * 1000000L;
		nanosleep(&ts, NULL); /* a signal ends it early: the flag is read next */
	}
	return -ETIMEDOUT;
}
