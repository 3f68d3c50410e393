/* Windows implementation of the platform interface, on the IP Helper API
 * (iphlpapi): GetBestRoute2 for routes and source addresses,
 * GetExtendedTcpTable for the process behind a listening port, interface
 * LUIDs for names (the alias: "Ethernet", "vEthernet (WSL)").  Windows has
 * no network namespaces, no sudo and no capability sets: Docker Desktop's
 * containers run in its WSL 2 / Hyper-V VM, so those questions answer
 * -ENOTSUP, false or a no-op.  Win32 error codes become negative errno.
 *
 * Marked: compiles only where its headers exist; not built or tested on
 * this project's CI (Linux). The rest of netcheck (main.c's
 * sigaction/getopt_long, libpcap capture) is POSIX; this file is the
 * platform half of a port. */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600 /* Vista: GetBestRoute2, ConvertInterface*, QueryFullProcessImageNameW */
#elif _WIN32_WINNT < 0x0600
#error "platform-win.c needs _WIN32_WINNT >= 0x0600 (Vista's IP Helper API)"
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif

#include "netcheck/platform.h" /* endpoint.h brings winsock2.h before windows.h */

#include <windows.h>
#include <iphlpapi.h>
#include <netioapi.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"

#define MAX_TCP_TABLE_BYTES (16u * 1024 * 1024)
#define TCP_TABLE_TRIES 4 /* the table may grow between the size query and the read */
#define SYSTEM_PID 4      /* "System": http.sys listeners; never openable */

static int win_to_errno(DWORD e)
{
	switch (e) {
	case NO_ERROR:
		return 0;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -ENOMEM;
	case ERROR_INVALID_PARAMETER:
		return -EINVAL;
	case ERROR_ACCESS_DENIED:
		return -EACCES;
	case ERROR_NOT_FOUND:
	case ERROR_FILE_NOT_FOUND:
		return -ENOENT;
	case ERROR_NOT_SUPPORTED:
		return -ENOTSUP;
	case ERROR_NETWORK_UNREACHABLE:
		return -ENETUNREACH;
	case ERROR_HOST_UNREACHABLE:
		return -EHOSTUNREACH;
	case ERROR_INSUFFICIENT_BUFFER:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

static void sockaddr_inet_to_endpoint(const SOCKADDR_INET *sa, nc_endpoint_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (sa->si_family == AF_INET) {
		ret->family = AF_INET;
		ret->addr.v4 = sa->Ipv4.sin_addr;
	} else if (sa->si_family == AF_INET6) {
		ret->family = AF_INET6;
		ret->addr.v6 = sa->Ipv6.sin6_addr;
	}
}

static bool sockaddr_inet_is_unspecified(const SOCKADDR_INET *sa)
{
	static const IN6_ADDR any6 = { { { 0 } } };

	if (sa->si_family == AF_INET)
		return sa->Ipv4.sin_addr.s_addr == 0;
	if (sa->si_family == AF_INET6)
		return memcmp(&sa->Ipv6.sin6_addr, &any6, sizeof(any6)) == 0;
	return true;
}

/* The interface's alias, UTF-8, as `netsh`/`Get-NetAdapter` name it. */
static int luid_alias(const NET_LUID *luid, char *buf, size_t len)
{
	WCHAR alias[NDIS_IF_MAX_STRING_SIZE + 1];
	DWORD e = ConvertInterfaceLuidToAlias(luid, alias, NC_ARRAY_SIZE(alias));

	if (e != NO_ERROR)
		return win_to_errno(e);
	if (len == 0 || len > INT_MAX)
		return -EINVAL;
	if (WideCharToMultiByte(CP_UTF8, 0, alias, -1, buf, (int)len, NULL, NULL) == 0)
		return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? -ENOSPC : -EILSEQ;
	return 0;
}

/* The kernel's best route to dst and the source it would use; sends nothing. */
static int best_route(const nc_endpoint_t *dst, MIB_IPFORWARD_ROW2 *ret_row, SOCKADDR_INET *ret_src)
{
	SOCKADDR_INET d;

	memset(&d, 0, sizeof(d));
	memset(ret_row, 0, sizeof(*ret_row));
	memset(ret_src, 0, sizeof(*ret_src));
	if (dst->family == AF_INET) {
		d.Ipv4.sin_family = AF_INET;
		d.Ipv4.sin_addr = dst->addr.v4;
	} else if (dst->family == AF_INET6) {
		d.Ipv6.sin6_family = AF_INET6;
		d.Ipv6.sin6_addr = dst->addr.v6;
	} else {
		return -EAFNOSUPPORT;
	}
	/* no interface, no source: let the stack choose, as it would for a connect() */
	return win_to_errno(GetBestRoute2(NULL, 0, NULL, &d, 0, ret_row, ret_src));
}

static bool is_loopback(const nc_endpoint_t *e)
{
	if (e->family == AF_INET)
		return (ntohl(e->addr.v4.s_addr) >> 24) == 127;
	return e->family == AF_INET6 && memcmp(&e->addr.v6, &in6addr_loopback, sizeof(e->addr.v6)) == 0;
}

int nc_platform_route_get(const nc_endpoint_t *dst, nc_route_t *ret)
{
	MIB_IPFORWARD_ROW2 row;
	SOCKADDR_INET src;
	int r = best_route(dst, &row, &src);

	memset(ret, 0, sizeof(*ret));
	if (r == -ENETUNREACH || r == -EHOSTUNREACH || r == -ENOENT) {
		ret->kind = NC_ROUTE_NONE;
		return 0;
	}
	if (r < 0)
		return r;
	ret->ifindex = (int)row.InterfaceIndex;
	if (luid_alias(&row.InterfaceLuid, ret->ifname, sizeof(ret->ifname)) < 0)
		snprintf(ret->ifname, sizeof(ret->ifname), "if%d", ret->ifindex);
	sockaddr_inet_to_endpoint(&src, &ret->source);
	/* Windows keeps no reject/blackhole routes GetBestRoute2 would return,
	 * so NC_ROUTE_REJECT never comes from here. */
	if (nc_endpoint_addr_equal(&ret->source, dst) || is_loopback(dst)) {
		ret->kind = NC_ROUTE_LOCAL;
	} else if (!sockaddr_inet_is_unspecified(&row.NextHop)) {
		ret->kind = NC_ROUTE_GATEWAY;
		sockaddr_inet_to_endpoint(&row.NextHop, &ret->gateway);
	} else {
		ret->kind = NC_ROUTE_ON_LINK; /* next hop 0.0.0.0 / ::: "On-link" in `route print` */
	}
	/* Unlike rtnetlink, the answer names the matched prefix: /0 is the default route. */
	ret->via_default = ret->kind != NC_ROUTE_LOCAL && row.DestinationPrefix.PrefixLength == 0;
	return 0;
}

int nc_platform_primary_address(int family, nc_endpoint_t *ret_addr, char *ret_ifname, size_t ifname_len)
{
	nc_endpoint_t probe_dst;
	MIB_IPFORWARD_ROW2 row;
	SOCKADDR_INET src;
	int r;

	/* A documentation-range address only the default route matches; the
	 * stack tells us the source it would pick.  No packet is sent. */
	nc_endpoint_parse(family == AF_INET6 ? "2001:db8::fe" : "198.51.100.254", 0, &probe_dst);
	r = best_route(&probe_dst, &row, &src);
	if (r == -ENETUNREACH || r == -EHOSTUNREACH || r == -ENOENT)
		return -ENETUNREACH;
	if (r < 0)
		return r;
	sockaddr_inet_to_endpoint(&src, ret_addr);
	if (ret_addr->family == 0)
		return -EADDRNOTAVAIL;
	if (ret_ifname != NULL && ifname_len > 0 && luid_alias(&row.InterfaceLuid, ret_ifname, ifname_len) < 0)
		snprintf(ret_ifname, ifname_len, "if%lu", (unsigned long)row.InterfaceIndex);
	return 0;
}

/* Executable base name of pid, UTF-8 ("com.docker.backend.exe"); "" if
 * the process is gone or not ours to open. */
static void process_name(DWORD pid, char *buf, size_t len)
{
	WCHAR path[1024];
	DWORD n = NC_ARRAY_SIZE(path);
	const WCHAR *base;
	HANDLE h;

	buf[0] = '\0';
	if (pid == SYSTEM_PID) {
		snprintf(buf, len, "System");
		return;
	}
	/* LIMITED_INFORMATION: granted for most processes of other users too */
	h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
	if (h == NULL)
		return;
	if (QueryFullProcessImageNameW(h, 0, path, &n) && len <= INT_MAX) {
		base = wcsrchr(path, L'\\');
		base = base != NULL ? base + 1 : path;
		if (WideCharToMultiByte(CP_UTF8, 0, base, -1, buf, (int)len, NULL, NULL) == 0)
			buf[0] = '\0';
	}
	CloseHandle(h);
}

/* The owner of a TCP listener on port in family's table; 0 if none. */
static int find_listener_pid(const void *table, DWORD size, uint16_t port, int family, DWORD *ret_pid)
{
	if (family == AF_INET) {
		const MIB_TCPTABLE_OWNER_PID *t = table;
		DWORD max = (DWORD)((size - offsetof(MIB_TCPTABLE_OWNER_PID, table)) / sizeof(t->table[0]));

		for (DWORD i = 0; i < t->dwNumEntries && i < max; i++)
			/* the port sits in network order in the low 16 bits */
			if (t->table[i].dwState == MIB_TCP_STATE_LISTEN &&
			    ntohs((u_short)t->table[i].dwLocalPort) == port) {
				*ret_pid = t->table[i].dwOwningPid;
				return 0;
			}
	} else {
		const MIB_TCP6TABLE_OWNER_PID *t = table;
		DWORD max = (DWORD)((size - offsetof(MIB_TCP6TABLE_OWNER_PID, table)) / sizeof(t->table[0]));

		for (DWORD i = 0; i < t->dwNumEntries && i < max; i++)
			if (t->table[i].dwState == MIB_TCP_STATE_LISTEN &&
			    ntohs((u_short)t->table[i].dwLocalPort) == port) {
				*ret_pid = t->table[i].dwOwningPid;
				return 0;
			}
	}
	return -ENOENT;
}

int nc_platform_tcp_listener_family(uint16_t port, int family, nc_forwarder_t *ret)
{
	void *table = NULL;
	DWORD size = 0, e = ERROR_INSUFFICIENT_BUFFER, pid = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	/* LISTENER rows only.  A dual-mode socket is in the AF_INET6 table, as
	 * in /proc/net/tcp6 on Linux. */
	for (int tries = 0; tries < TCP_TABLE_TRIES && e == ERROR_INSUFFICIENT_BUFFER; tries++) {
		if (size > 0) {
			if (size > MAX_TCP_TABLE_BYTES) {
				e = ERROR_NOT_ENOUGH_MEMORY;
				break;
			}
			free(table);
			table = malloc(size);
			if (table == NULL)
				return -ENOMEM;
		}
		e = GetExtendedTcpTable(table, &size, FALSE, (ULONG)family, TCP_TABLE_OWNER_PID_LISTENER, 0);
	}
	if (e != NO_ERROR || table == NULL) {
		free(table);
		return e == NO_ERROR ? -ENOENT : win_to_errno(e);
	}
	r = find_listener_pid(table, size, port, family, &pid);
	free(table);
	if (r < 0)
		return r;
	ret->pid = (int)pid;
	process_name(pid, ret->name, sizeof(ret->name));
	if (ret->name[0] == '\0')
		snprintf(ret->name, sizeof(ret->name), "pid %d", ret->pid);
	return 0;
}

bool nc_platform_pid_is_container(int pid, const char *container_id)
{
	/* No container runs on the Windows host for Docker Desktop's Linux
	 * engine: its pids belong to the WSL 2 / Hyper-V VM. */
	(void)pid;
	(void)container_id;
	return false;
}

int nc_platform_ifname(int ifindex, char *buf, size_t len)
{
	NET_LUID luid;
	DWORD e;

	if (ifindex <= 0)
		return -EINVAL;
	e = ConvertInterfaceIndexToLuid((NET_IFINDEX)ifindex, &luid);
	if (e != NO_ERROR)
		return win_to_errno(e);
	return luid_alias(&luid, buf, len);
}

int nc_platform_netns_iflink(int pid, const char *ifname, int *ret_iflink)
{
	/* Windows has no network namespaces; a container's veth pair lives in
	 * Docker Desktop's VM, out of the host's sight. */
	(void)pid;
	(void)ifname;
	(void)ret_iflink;
	return -ENOTSUP;
}

int nc_platform_drop_privileges(bool keep_dac_override)
{
	(void)keep_dac_override;
	/* Nothing dropped: Windows has no capability sets or no_new_privs;
	 * its equivalent, removing token privileges with
	 * AdjustTokenPrivileges(SE_PRIVILEGE_REMOVED), is left out until it
	 * can be tested on Windows. */
	return 0;
}

int nc_platform_give_to_invoking_user(int fd)
{
	/* No sudo: an elevated netcheck runs as the same user who started it,
	 * so the file is already theirs. */
	(void)fd;
	return 0;
}

bool nc_platform_socket_needs_override(const char *path)
{
	(void)path; /* no capabilities here: nothing is dropped, nothing needs keeping */
	return false;
}

int nc_platform_terminal_width(int fd)
{
	(void)fd;
	return -ENOTSUP; /* the caller falls back to COLUMNS, then 80 */
}
