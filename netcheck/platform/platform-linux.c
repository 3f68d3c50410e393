/* Linux implementation of the platform interface, the parts that are
 * neither routes (platform-route.c), socket tables (platform-sockets.c) nor
 * namespaces and links (platform-links.c): whether a process belongs to a
 * container or is another netcheck, capabilities, randomness, the owner
 * scope of a run, receive timestamps, IPVS.  What only formats or composes
 * is in platform-common.c, what any POSIX system shares in platform-posix.c.
 * May call: libc.  Never prints. */
#include "netcheck/platform.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"

bool nc_platform_pid_is_container(int pid, const char *container_id)
{
	/* cgroup names it for rootful engines; mountinfo names it for all of
	 * Docker's and Podman's (the /etc/hostname bind mount comes from a
	 * directory named by the container id), rootless ones included */
	static const char *const files[] = { "cgroup", "mountinfo" };
	char path[64], line[2048];
	bool found = false;

	if (pid <= 0 || container_id == NULL || strlen(container_id) < 12)
		return false;
	for (size_t i = 0; !found && i < NC_ARRAY_SIZE(files); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		for (unsigned n = 0; !found && n < 4096 && fgets(line, sizeof(line), f) != NULL; n++)
			found = strstr(line, container_id) != NULL;
		fclose(f);
	}
	return found;
}
_Static_assert(NC_PLATFORM_KEEP_DAC_OVERRIDE == 1ull << CAP_DAC_OVERRIDE, "the mask is the kernel's bit");
_Static_assert(NC_PLATFORM_KEEP_NET_ADMIN == 1ull << CAP_NET_ADMIN, "the mask is the kernel's bit");

int nc_platform_drop_privileges(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uint64_t permitted;

	/* Keep a capability only when we hold it: a member of the netcheck
	 * group runs with file capabilities that do not include them all, and
	 * asking capset for a capability not permitted fails the whole drop. */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		keep = 0;
	permitted = (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
	keep &= permitted;
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	/* the bounding set first: it needs CAP_SETPCAP, which goes last */
	for (int cap = 0; cap <= 63; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM)
			return -errno;
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

bool nc_platform_socket_needs_override(const char *path)
{
	struct stat st;
	char dir[512];
	char *slash;

	/* a socket (or a directory on its way) owned by another user, such
	 * as a rootless engine's $XDG_RUNTIME_DIR/docker.sock, is reached by
	 * root only through CAP_DAC_OVERRIDE */
	if (path == NULL || stat(path, &st) != 0)
		return false;
	if (st.st_uid != geteuid())
		return true;
	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return true;
	while ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && st.st_uid != geteuid() && (st.st_mode & S_IXOTH) == 0)
			return true;
	}
	return false;
}

/* ---- randomness, the owner of a run ---------------------------------------- */

int nc_platform_random(void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len > 0) {
		ssize_t n = getrandom(b, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int nc_platform_owner_scope(char *buf, size_t len)
{
	char boot[64] = "?";
	struct stat st;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int n;

	if (f != NULL) {
		if (fgets(boot, sizeof(boot), f) == NULL || boot[0] == '\n')
			snprintf(boot, sizeof(boot), "?");
		boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	n = snprintf(buf, len, "%s/%lu", boot, stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0ul);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

void nc_platform_kernel(char *ret_release, size_t release_len, char *ret_boot_id, size_t boot_id_len)
{
	struct utsname u;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	snprintf(ret_release, release_len, "%s", uname(&u) == 0 ? u.release : "");
	ret_boot_id[0] = '\0';
	if (f != NULL) {
		if (fgets(ret_boot_id, (int)boot_id_len, f) == NULL)
			ret_boot_id[0] = '\0';
		ret_boot_id[strcspn(ret_boot_id, "\n")] = '\0';
		fclose(f);
	}
}

bool nc_platform_process_is_netcheck(long pid)
{
	char path[64], cmd[512];
	size_t n;
	FILE *f;

	if (pid <= 0 || pid > 1 << 22 || pid == (long)getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	/* argv is NUL-separated: "valgrind\0...\0./netcheck\0run" names it too */
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, "netcheck") != NULL;
}
/* ---- socket timestamps ------------------------------------------------------- */

int nc_platform_enable_rx_timestamps(int fd)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

int nc_platform_rx_timestamp(const struct msghdr *msg, struct timespec *ret)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*ret))) {
			memcpy(ret, CMSG_DATA(c), sizeof(*ret));
			return 0;
		}
	}
	return -ENOENT;
}

int nc_platform_enable_icmp_errors(int fd, int family)
{
	int on = 1;

	if (family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on))
			       : setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)))
		return -errno;
	return 0;
}

int nc_platform_icmp_refusal_parse(const struct msghdr *msg, nc_endpoint_t *ret)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		struct sock_extended_err ee;
		bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
		bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
		/* the offender (a sockaddr) follows the error in the same cmsg */
		size_t need = sizeof(ee) + (v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		struct sockaddr_storage from;

		if ((!v4 && !v6) || c->cmsg_len < CMSG_LEN(need))
			continue;
		memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		if (ee.ee_errno != ECONNREFUSED ||
		    (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6))
			continue;
		memset(&from, 0, sizeof(from));
		memcpy(&from, CMSG_DATA(c) + sizeof(ee), need - sizeof(ee));
		if (from.ss_family != (v6 ? AF_INET6 : AF_INET) ||
		    nc_endpoint_from_sockaddr((const struct sockaddr *)&from, ret) < 0)
			continue;
		ret->port = 0; /* an ICMP message has no port */
		return 0;
	}
	return -ENOENT;
}

int nc_platform_icmp_refused_by(int fd, nc_endpoint_t *ret)
{
	int found = -ENOENT;

	/* one error per datagram sent: a probe sends three at most */
	for (int i = 0; i < 8; i++) {
		union { struct cmsghdr align; unsigned char buf[512]; } control; /* CMSG_* need its alignment */
		unsigned char data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
				      .msg_controllen = sizeof(control.buf) };
		nc_endpoint_t e;

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? found : -errno;
		if (nc_platform_icmp_refusal_parse(&msg, &e) == 0) {
			*ret = e;
			found = 0;
		}
	}
	return found;
}

int nc_platform_ipvs(char *why, size_t len)
{
	struct utsname u;
	char path[160], line[512];
	FILE *f;
	bool listed;
	int found = 0;

	if (access("/proc/net/ip_vs", F_OK) == 0)
		return 1; /* loaded, or built in */
	if (uname(&u) < 0) {
		snprintf(why, len, "no /proc/net/ip_vs, and the kernel release is unknown");
		return 0;
	}
	/* a module dockerd can load: modules.dep lists it (bounded: one pass) */
	snprintf(path, sizeof(path), "/lib/modules/%.64s/modules.dep", u.release);
	f = fopen(path, "re");
	listed = f != NULL;
	if (f != NULL) {
		for (unsigned n = 0; !found && n < 100000 && fgets(line, sizeof(line), f) != NULL; n++)
			found = strstr(line, "/ip_vs.ko") != NULL && strchr(line, ':') > strstr(line, "/ip_vs.ko");
		fclose(f);
	}
	if (found)
		return 1;
	snprintf(why, len, "this kernel (%.64s) has no IPVS: no /proc/net/ip_vs and no ip_vs module in %s", u.release,
		 listed ? path : "/lib/modules");
	return 0;
}
