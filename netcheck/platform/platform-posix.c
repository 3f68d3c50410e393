/* The half of the platform interface that is the same on every POSIX
 * system (Linux and macOS; libuv's src/unix/core.c beside linux.c and
 * darwin.c): interface names by index, an interface's address, the OS's
 * name, handing a file to the user who ran us through sudo, and the
 * terminal's width. */
#include "netcheck/platform.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "netcheck/testing.h"

int nc_platform_ifname(int ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (if_indextoname((unsigned)ifindex, name) == NULL)
		return -errno;
	if ((size_t)snprintf(buf, len, "%s", name) >= len)
		return -ENOSPC;
	return 0;
}

int nc_platform_interface_address(const char *ifname, int family, nc_endpoint_t *ret)
{
	struct ifaddrs *list, *a;
	bool found_link = false;
	int r = -ENODEV;

	if (ifname == NULL || *ifname == '\0' || strlen(ifname) >= IF_NAMESIZE ||
	    (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (getifaddrs(&list) < 0)
		return -errno;
	for (a = list; a != NULL; a = a->ifa_next) {
		if (strcmp(a->ifa_name, ifname) != 0)
			continue;
		found_link = true;
		if (a->ifa_addr == NULL || a->ifa_addr->sa_family != family)
			continue;
		memset(ret, 0, sizeof(*ret));
		ret->family = family;
		if (family == AF_INET)
			ret->addr.v4 = ((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr;
		else
			ret->addr.v6 = ((const struct sockaddr_in6 *)(const void *)a->ifa_addr)->sin6_addr;
		r = 0;
		break;
	}
	freeifaddrs(list);
	if (r < 0 && found_link)
		r = -EADDRNOTAVAIL;
	return r;
}

int nc_platform_give_to_invoking_user(int fd)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	char *end;
	long uid, gid;

	if (u == NULL || g == NULL || getuid() != 0)
		return 0;
	uid = strtol(u, &end, 10);
	if (*end != '\0' || uid <= 0 || uid > 0x7fffffff)
		return 0;
	gid = strtol(g, &end, 10);
	if (*end != '\0' || gid < 0 || gid > 0x7fffffff)
		return 0;
	if (fchown(fd, (uid_t)uid, (gid_t)gid) < 0)
		return -errno;
	return 0;
}

int nc_platform_os_description(char *buf, size_t len)
{
	struct utsname u;
	int n;

	if (uname(&u) < 0)
		return -errno;
	n = snprintf(buf, len, "%s %s %s", u.sysname, u.release, u.machine);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int nc_platform_terminal_width(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	if (ws.ws_col == 0) /* a pty nobody sized (some CI runners) */
		return -ENOTTY;
	return ws.ws_col;
}
