/* The capture agent's points, found on the engine host: a container's
 * (--container: eth0, its veth, the bridge) and, on a Swarm node
 * (--point-addr, --overlay), which interface holds an address, the
 * overlay's VXLAN device, and the overlay network's own namespace.
 *
 * Docker keeps an overlay's namespace (its bridge br0 and its VXLAN device)
 * as an nsfs file bind-mounted under the engine's exec root
 * (<exec-root>/netns/<n>-<first 10 characters of the network id>): no
 * process lives in it, so it is reached through dockerd's own mount
 * namespace, /proc/<dockerd>/root/<that mount point>, which the agent sees
 * with the engine host's pids and CAP_SYS_PTRACE.  libc only. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-internal.h"

#define OVERLAY_ID_CHARS 10 /* libnetwork's sandbox key: "<n>-" and this much of the network id */

int nc_agent_ifname_by_addr(const struct in6_addr *addr, char *ifname, size_t len)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct ifaddrs *all = NULL;
	int r = -ENODEV;

	if (getifaddrs(&all) < 0)
		return -errno;
	for (struct ifaddrs *i = all; i != NULL; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;
		bool same = false;

		if (sa == NULL || i->ifa_name == NULL)
			continue;
		if (sa->sa_family == AF_INET && memcmp(addr->s6_addr, v4mapped, 12) == 0)
			same = memcmp(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr->s6_addr + 12, 4) == 0;
		else if (sa->sa_family == AF_INET6)
			same = memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr, 16) == 0;
		if (same && strlen(i->ifa_name) < len) {
			memcpy(ifname, i->ifa_name, strlen(i->ifa_name) + 1);
			r = 0;
			break;
		}
	}
	freeifaddrs(all);
	return r;
}

int nc_agent_vxlan_ifname(char *ifname, size_t len)
{
	struct if_nameindex *all = if_nameindex();
	int r = -ENODEV;

	if (all == NULL)
		return -errno;
	/* libnetwork names it vxlan<N> inside the overlay's namespace
	 * ("vx-<vni>-<id>" before it moves it there) */
	for (struct if_nameindex *i = all; i->if_index != 0; i++)
		if ((strncmp(i->if_name, "vxlan", 5) == 0 || strncmp(i->if_name, "vx-", 3) == 0) &&
		    strlen(i->if_name) < len) {
			memcpy(ifname, i->if_name, strlen(i->if_name) + 1);
			r = 0;
			break;
		}
	if_freenameindex(all);
	return r;
}

/* The pid of the engine (a process named dockerd) among the engine host's
 * pids; -ESRCH when none. */
static int dockerd_pid(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = -ESRCH;

	if (d == NULL)
		return -errno;
	for (int seen = 0; (e = readdir(d)) != NULL && seen < 65536 && found < 0; seen++) {
		char path[64], comm[32];
		ssize_t n;
		int fd;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n > 0 && strncmp(comm, "dockerd\n", (size_t)n) == 0 && n == 8)
			found = atoi(e->d_name);
	}
	closedir(d);
	return found;
}

bool nc_agent_is_overlay_key(const char *mount_point, const char *netid)
{
	const char *base = strrchr(mount_point, '/');
	size_t n = strnlen(netid, OVERLAY_ID_CHARS);

	if (base == NULL || base - mount_point < 6 || strncmp(base - 6, "/netns", 6) != 0)
		return false;
	base++;
	if (!isdigit((unsigned char)*base))
		return false;
	while (isdigit((unsigned char)*base))
		base++;
	return *base == '-' && n == OVERLAY_ID_CHARS && strncmp(base + 1, netid, n) == 0 && base[1 + n] == '\0';
}

int nc_agent_overlay_in_mountinfo(FILE *mountinfo, int pid, const char *netid, char *path, size_t len)
{
	char line[1024];

	/* "36 35 0:4 net:[4026532xyz] /run/docker/netns/1-abcdefghij rw ... - nsfs nsfs rw";
	 * bounded: mountinfo of a busy engine is some thousands of lines */
	for (int lines = 0; lines < 100000 && fgets(line, sizeof(line), mountinfo) != NULL; lines++) {
		char *save = NULL, *field = strtok_r(line, " ", &save);

		for (int k = 0; field != NULL && k < 4; k++)
			field = strtok_r(NULL, " ", &save); /* to the 5th: the mount point */
		if (field == NULL || !nc_agent_is_overlay_key(field, netid))
			continue;
		if ((size_t)snprintf(path, len, "/proc/%d/root%s", pid, field) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

int nc_agent_overlay_ns(const char *netid, char *path, size_t len)
{
	char mountinfo[64];
	int pid = dockerd_pid(), r;
	FILE *f;

	if (pid < 0)
		return pid;
	snprintf(mountinfo, sizeof(mountinfo), "/proc/%d/mountinfo", pid);
	f = fopen(mountinfo, "re");
	if (f == NULL)
		return -errno;
	r = nc_agent_overlay_in_mountinfo(f, pid, netid, path, len);
	fclose(f);
	return r;
}

agent_point_t *nc_agent_new_point(agent_t *a, const char *ifname, int pid, uint8_t role)
{
	agent_point_t *p;

	if (a->n_points == AGENT_POINTS_MAX || strlen(ifname) >= IF_NAMESIZE)
		return NULL;
	p = &a->points[a->n_points++];
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->pid = pid;
	p->role = role;
	memcpy(p->ifname, ifname, strlen(ifname) + 1);
	return p;
}

/* Does the agent run in the pid's network namespace itself? */
static bool in_its_network(int pid)
{
	char path[64];
	struct stat self, target;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return stat("/proc/self/ns/net", &self) == 0 && stat(path, &target) == 0 && self.st_dev == target.st_dev &&
	       self.st_ino == target.st_ino;
}

/* A container's points, found from its pid on the engine's side: eth0
 * inside it; the engine side's end of that veth pair (eth0's iflink, read
 * in the container's own sysfs, names an interface here); the bridge that
 * end is a port of.  What cannot be found is said in an ERROR record.
 * When the agent runs in the container's own network: its eth0 and lo. */
void nc_agent_expand_container(agent_t *a, int pid)
{
	char path[128], buf[64], master[256];
	struct ifreq ifr;
	ssize_t n;
	long iflink;
	int fd, sock;

	nc_agent_new_point(a, "eth0", pid, NC_AGENT_ROLE_CONTAINER);
	if (in_its_network(pid)) {
		/* given the container's own network (rootless Podman: the engine's
		 * "host" is the user's, where it may not capture): no veth end
		 * here, and a forwarder inside the container's namespace reaches
		 * it over lo */
		nc_agent_new_point(a, "lo", pid, NC_AGENT_ROLE_CONTAINER);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/root/sys/class/net/eth0/iflink", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		nc_agent_send_error(NC_AGENT_POINT_SELF, -errno, "the container's eth0 iflink");
		return;
	}
	buf[n] = 0;
	iflink = strtol(buf, NULL, 10);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = (int)iflink;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFNAME, &ifr) < 0) {
		nc_agent_send_error(NC_AGENT_POINT_SELF, -errno, "the container's veth on the engine side");
		if (sock >= 0)
			close(sock);
		return;
	}
	close(sock);
	ifr.ifr_name[IF_NAMESIZE - 1] = 0;
	nc_agent_new_point(a, ifr.ifr_name, 0, NC_AGENT_ROLE_VETH);
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", ifr.ifr_name);
	n = readlink(path, master, sizeof(master) - 1);
	if (n > 0) {
		const char *slash;

		master[n] = 0;
		slash = strrchr(master, '/');
		nc_agent_new_point(a, slash != NULL ? slash + 1 : master, 0, NC_AGENT_ROLE_BRIDGE);
	}
}

/* An overlay's VXLAN device, in the overlay's own namespace (found through
 * dockerd's mounts, agent-find.c).  Not found: an ERROR record says why. */
void nc_agent_expand_overlay(agent_t *a, const char *netid)
{
	char path[sizeof(a->points[0].ns_path)];
	agent_point_t *p;
	int r = nc_agent_overlay_ns(netid, path, sizeof(path));

	if (r < 0) {
		nc_agent_send_error(NC_AGENT_POINT_SELF, r,
			   r == -ESRCH ? "the overlay's namespace: no dockerd among the engine host's pids"
				       : "the overlay's namespace among dockerd's mounts");
		return;
	}
	p = nc_agent_new_point(a, "", 0, NC_AGENT_ROLE_OVERLAY);
	if (p == NULL)
		return;
	memcpy(p->ns_path, path, sizeof(path));
	p->find = FIND_VXLAN;
}
