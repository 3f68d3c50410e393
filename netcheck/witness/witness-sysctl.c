/* witness: the host settings that decide which paths can work.
 *
 * Owns nothing: reads /proc/sys (of the calling thread's network
 * namespace) into the caller's array.  Forwarding off drops every
 * forwarded packet before netfilter sees it; bridge-nf-call-iptables off
 * makes bridged traffic skip iptables; route_localnet decides whether
 * 127.0.0.0/8 may be routed (Docker's published loopback in some modes);
 * rp_filter drops a packet whose source would not route back the way it
 * came.  The policy room says what a value means for a path.
 * May call: libc.  Never prints. */
#include "netcheck/witness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/testing.h"

/* The file under root: dots become slashes, except in the interface name
 * (an interface may be called eth0.100). */
static const struct {
	const char *name, *path; /* path: "%s" where the interface goes */
	bool per_if;
} settings[] = {
	{ "net.ipv4.ip_forward", "net/ipv4/ip_forward", false },
	{ "net.ipv6.conf.all.forwarding", "net/ipv6/conf/all/forwarding", false },
	{ "net.bridge.bridge-nf-call-iptables", "net/bridge/bridge-nf-call-iptables", false },
	{ "net.bridge.bridge-nf-call-ip6tables", "net/bridge/bridge-nf-call-ip6tables", false },
	{ "net.ipv4.conf.IF.route_localnet", "net/ipv4/conf/%s/route_localnet", true },
	{ "net.ipv4.conf.IF.rp_filter", "net/ipv4/conf/%s/rp_filter", true },
	{ "net.ipv4.conf.IF.forwarding", "net/ipv4/conf/%s/forwarding", true },
	{ "net.ipv6.conf.IF.forwarding", "net/ipv6/conf/%s/forwarding", true },
};
#define N_GLOBAL 4
#define N_PER_IF (NC_ARRAY_SIZE(settings) - N_GLOBAL)

size_t nc_witness_settings_count(size_t n_if)
{
	return N_GLOBAL + N_PER_IF * (n_if + 1); /* "all" and each interface */
}

static bool ifname_valid(const char *name)
{
	size_t n = name == NULL ? 0 : strlen(name);

	return n > 0 && n < NC_WITNESS_IFNAME_MAX && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* The integer in root/path, or -1 if it is not there or not a number. */
static int read_value(const char *root, const char *path)
{
	char file[4096], text[32];
	ssize_t got;
	long v;
	char *end;
	int fd;

	if ((size_t)snprintf(file, sizeof(file), "%s/%s", root, path) >= sizeof(file))
		return -1;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	text[got] = '\0';
	v = strtol(text, &end, 10);
	if (end == text || (*end != '\n' && *end != '\0') || v < 0 || v > 1000000)
		return -1;
	return (int)v;
}

int nc_witness_settings_read(const char *root, const char *const *ifnames, size_t n_if, nc_witness_setting_t *ret,
			     size_t max)
{
	size_t n = 0;

	if (root == NULL)
		root = "/proc/sys";
	if (max < nc_witness_settings_count(n_if))
		return -ENOSPC;
	for (size_t i = 0; i < n_if; i++)
		if (!ifname_valid(ifnames[i]) || strcmp(ifnames[i], "all") == 0)
			return -EINVAL;
	for (size_t s = 0; s < NC_ARRAY_SIZE(settings); s++) {
		if (!settings[s].per_if) {
			ret[n++] = (nc_witness_setting_t){ .name = settings[s].name, .value = read_value(root, settings[s].path) };
			continue;
		}
		for (size_t i = 0; i <= n_if; i++) {
			const char *ifname = i == 0 ? "all" : ifnames[i - 1];
			char path[128];

			snprintf(path, sizeof(path), settings[s].path, ifname);
			ret[n] = (nc_witness_setting_t){ .name = settings[s].name, .value = read_value(root, path) };
			snprintf(ret[n].ifname, sizeof(ret[n].ifname), "%s", ifname);
			n++;
		}
	}
	return (int)n;
}

const nc_witness_setting_t *nc_witness_setting_find(const nc_witness_setting_t *list, size_t n, const char *name,
						    const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0 && strcmp(list[i].ifname, ifname != NULL ? ifname : "") == 0)
			return &list[i];
	return NULL;
}
