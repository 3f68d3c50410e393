/* Linux: socket tables and the process behind a port.  A namespace's
 * listening TCP and bound UDP sockets from NETLINK_SOCK_DIAG (inet_diag,
 * through platform-netlink.c), or, without it, from /proc/<pid>/net/tcp,
 * tcp6, udp and udp6; the process holding a listener, found by its socket's inode among /proc's
 * fds.  Everything read is bounded; no length the kernel or /proc hands
 * back is trusted unchecked.  The parsers the unit tests feed recorded
 * tables are declared in platform-internal.h.
 * May call: libmnl, libc.  Never prints. */
#include "netcheck/platform.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"
#include "platform-internal.h"

#define MAX_PROCS_SCANNED 65536
#define MAX_FDS_PER_PROC 4096

/* ---- socket tables ----------------------------------------------------------- */

#define TCP_STATE_LISTEN 0x0A /* include/net/tcp_states.h: not in uapi */

static int push_socket(nc_platform_socket_t *ret, size_t max, size_t *n, const nc_platform_socket_t *s)
{
	if (*n >= max)
		return -E2BIG;
	ret[(*n)++] = *s;
	return 0;
}

/* "0100007F:1F90" or a 32-digit IPv6 form: each 32-bit word printed as
 * the kernel holds it (network byte order read as a native u32). */
static int parse_proc_addr(const char *text, int family, nc_endpoint_t *ret)
{
	size_t words = family == AF_INET ? 1 : 4;
	uint32_t w[4];
	unsigned port;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < words; i++) {
		char hex[9];

		for (size_t j = 0; j < 8; j++) {
			char c = text[i * 8 + j];
			if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')))
				return -EINVAL;
			hex[j] = c;
		}
		hex[8] = '\0';
		w[i] = (uint32_t)strtoul(hex, NULL, 16);
	}
	text += words * 8;
	if (*text != ':' || sscanf(text + 1, "%4x", &port) != 1 || port > 0xffff)
		return -EINVAL;
	ret->family = family;
	if (family == AF_INET)
		memcpy(&ret->addr.v4, w, 4);
	else
		memcpy(&ret->addr.v6, w, 16);
	ret->port = (uint16_t)port;
	return 0;
}

int nc_platform_parse_proc_net(const char *text, size_t len, int family, uint8_t proto,
			       nc_platform_socket_t *ret, size_t max, size_t *n)
{
	const char *end = text + len, *line = text;
	bool header = true;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t ll = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);
		char buf[512], local[80];
		unsigned st;
		unsigned long inode;
		nc_platform_socket_t s;

		if (!header && ll < sizeof(buf)) {
			memcpy(buf, line, ll);
			buf[ll] = '\0';
			/* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode */
			if (sscanf(buf, " %*s %79s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) == 3 &&
			    strlen(local) == (family == AF_INET ? 13u : 37u)) {
				memset(&s, 0, sizeof(s));
				s.proto = proto;
				s.inode = inode;
				if (parse_proc_addr(local, family, &s.local) == 0 && s.local.port != 0 &&
				    (proto != IPPROTO_TCP || st == TCP_STATE_LISTEN) &&
				    push_socket(ret, max, n, &s) < 0)
					return -E2BIG;
			}
		}
		header = false;
		line += ll + 1;
	}
	return 0;
}

struct socket_table {
	uint8_t proto;
	nc_platform_socket_t *ret; /* borrowed, max entries */
	size_t max;
	size_t *n;
};

static int on_inet_diag(const struct nlmsghdr *nh, void *data)
{
	const struct socket_table *t = data;
	const struct inet_diag_msg *m = nc_platform_nl_header(nh, SOCK_DIAG_BY_FAMILY, sizeof(*m));
	const struct nlattr *attr;
	nc_platform_socket_t s;

	if (m == NULL)
		return NC_PLATFORM_NL_SKIP_OR_FAIL(nh, SOCK_DIAG_BY_FAMILY);
	memset(&s, 0, sizeof(s));
	s.proto = t->proto;
	s.inode = m->idiag_inode;
	s.local.family = m->idiag_family;
	s.local.port = ntohs(m->id.idiag_sport);
	if (m->idiag_family == AF_INET)
		memcpy(&s.local.addr.v4, m->id.idiag_src, 4);
	else if (m->idiag_family == AF_INET6)
		memcpy(&s.local.addr.v6, m->id.idiag_src, 16);
	else
		return MNL_CB_OK;
	if (s.local.port == 0)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nh, sizeof(*m))
		if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY && mnl_attr_get_payload_len(attr) >= 1)
			s.v6only = mnl_attr_get_u8(attr) != 0;
	if (push_socket(t->ret, t->max, t->n, &s) < 0) {
		errno = E2BIG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int nc_platform_parse_sock_diag(const void *buf, size_t len, uint8_t proto, nc_platform_socket_t *ret, size_t max,
				size_t *n)
{
	struct socket_table t = { proto, ret, max, n };

	return nc_platform_nl_parse(buf, len, 0, on_inet_diag, &t);
}

/* One inet_diag dump (family, proto) on nl; appends to ret. */
static int sock_diag_dump(nc_platform_nl_t *nl, int family, uint8_t proto, nc_platform_socket_t *ret, size_t max,
			  size_t *n)
{
	char buf[NC_PLATFORM_NL_REQUEST_MAX];
	struct socket_table t = { proto, ret, max, n };
	struct nlmsghdr *req = nc_platform_nl_request(buf, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, sizeof(struct inet_diag_req_v2));
	struct inet_diag_req_v2 *q = mnl_nlmsg_get_payload(req);

	q->sdiag_family = (uint8_t)family;
	q->sdiag_protocol = proto;
	/* TCP: LISTEN only; UDP has no listen state: every socket, bound ones kept */
	q->idiag_states = proto == IPPROTO_TCP ? 1u << TCP_STATE_LISTEN : ~0u;
	return nc_platform_nl_call(nl, req, on_inet_diag, &t);
}

static int read_file_bounded(const char *path, char **ret_text, size_t *ret_len)
{
	/* a /proc/net table of NC_PLATFORM_MAX_SOCKETS lines is ~700 KiB */
	const size_t cap = 1u << 21;
	size_t len = 0;
	char *text;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	text = malloc(cap);
	if (text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len < cap) {
		ssize_t k = read(fd, text + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	if (r < 0) {
		free(text);
		return r;
	}
	*ret_text = text;
	*ret_len = len;
	return 0;
}

static int proc_net_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *n)
{
	static const struct {
		const char *name;
		int family;
		uint8_t proto;
	} tables[] = {
		{ "tcp", AF_INET, IPPROTO_TCP },
		{ "tcp6", AF_INET6, IPPROTO_TCP },
		{ "udp", AF_INET, IPPROTO_UDP },
		{ "udp6", AF_INET6, IPPROTO_UDP },
	};
	int r = 0;

	for (size_t i = 0; i < NC_ARRAY_SIZE(tables) && r == 0; i++) {
		char path[64], *text = NULL;
		size_t len = 0;

		if (pid > 0)
			snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, tables[i].name);
		else
			snprintf(path, sizeof(path), "/proc/self/net/%s", tables[i].name);
		r = read_file_bounded(path, &text, &len);
		if (r == -ENOENT && i > 0 && tables[i].family == AF_INET6)
			r = 0; /* a kernel without IPv6 */
		else if (r == 0) {
			r = nc_platform_parse_proc_net(text, len, tables[i].family, tables[i].proto, ret, max, n);
			free(text);
		}
	}
	return r;
}

int nc_platform_netns_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *ret_n)
{
	static const struct {
		int family;
		uint8_t proto;
	} dumps[] = {
		{ AF_INET, IPPROTO_TCP },
		{ AF_INET6, IPPROTO_TCP },
		{ AF_INET, IPPROTO_UDP },
		{ AF_INET6, IPPROTO_UDP },
	};
	nc_platform_nl_t *nl;
	size_t n = 0;
	int r = 0;

	*ret_n = 0;
	if (pid < 0)
		return -EINVAL;
	if (nc_platform_nl_open(NETLINK_SOCK_DIAG, pid, &nl) == 0) {
		for (size_t i = 0; i < NC_ARRAY_SIZE(dumps) && r == 0; i++) {
			r = sock_diag_dump(nl, dumps[i].family, dumps[i].proto, ret, max, &n);
			/* a kernel without IPv6 or inet_diag for UDP: not an error */
			if (r == -ENOENT || r == -EAFNOSUPPORT)
				r = 0;
		}
		nc_platform_nl_close(nl);
		if (r == 0 || r == -E2BIG) {
			*ret_n = n;
			return r;
		}
		n = 0;
	}
	/* no sock_diag (no module, no CAP_SYS_ADMIN for setns): the /proc view */
	r = proc_net_listeners(pid, ret, max, &n);
	*ret_n = n;
	return r;
}

/* ---- the process behind a port ------------------------------------------------ */

/* The inode of each socket of q in this namespace (0 where none), from
 * one read of its table: sock_diag's four dumps of listening and bound
 * sockets (a /proc/net/tcp read walks every connection of the host,
 * ~4 ms each here), or /proc/net where sock_diag is missing.  A dual-stack
 * socket is an AF_INET6 one, as in /proc/net/tcp6. */
static int find_inodes(const nc_platform_socket_query_t *q, size_t n, unsigned long *ret)
{
	nc_platform_socket_t *table = malloc(NC_PLATFORM_MAX_SOCKETS * sizeof(*table));
	size_t len = 0;
	int r;

	if (table == NULL)
		return -ENOMEM;
	/* -E2BIG: more sockets than the room; the first ones are searched */
	r = nc_platform_netns_listeners(0, table, NC_PLATFORM_MAX_SOCKETS, &len);
	for (size_t i = 0; i < n; i++) {
		int family = q[i].family == AF_INET6 ? AF_INET6 : AF_INET;

		ret[i] = 0;
		for (size_t k = 0; k < len && ret[i] == 0; k++)
			if (table[k].proto == q[i].proto && table[k].local.family == family &&
			    table[k].local.port == q[i].port)
				ret[i] = table[k].inode;
	}
	free(table);
	return r == -E2BIG ? 0 : r;
}

/* Which of want (n "socket:[inode]" strings) pid's fds hold: found[i]
 * set for each; returns how many it newly found. */
static size_t proc_holds_sockets(int pid, char (*want)[64], size_t n, const bool *done, bool *found)
{
	char path[64], target[64];
	DIR *d;
	struct dirent *de;
	size_t hits = 0;
	unsigned k = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while (k++ < MAX_FDS_PER_PROC && (de = readdir(d)) != NULL) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (len <= 7 || strncmp(target, "socket:", 7) != 0)
			continue;
		target[len] = '\0';
		for (size_t i = 0; i < n; i++)
			if (!done[i] && !found[i] && strcmp(target, want[i]) == 0) {
				found[i] = true;
				hits++;
			}
	}
	closedir(d);
	return hits;
}

static int by_pid_descending(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

/* The pids in /proc, newest (highest) first; *ret new, *ret_n entries. */
static int list_pids_newest_first(int **ret, size_t *ret_n)
{
	size_t n = 0, cap = 256;
	int *pids = malloc(cap * sizeof(*pids));
	struct dirent *de;
	DIR *d;

	if (pids == NULL)
		return -ENOMEM;
	d = opendir("/proc");
	if (d == NULL) {
		free(pids);
		return -errno;
	}
	while (n < MAX_PROCS_SCANNED && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (n == cap) {
			int *more = realloc(pids, 2 * cap * sizeof(*pids));

			if (more == NULL)
				break; /* the ones read are scanned */
			pids = more;
			cap *= 2;
		}
		pids[n++] = atoi(de->d_name);
	}
	closedir(d);
	qsort(pids, n, sizeof(*pids), by_pid_descending);
	*ret = pids;
	*ret_n = n;
	return 0;
}

static void process_name(int pid, nc_platform_process_t *ret)
{
	char comm_path[64];
	FILE *f;

	ret->pid = pid;
	snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", pid);
	f = fopen(comm_path, "re");
	if (f != NULL) {
		if (fgets(ret->name, sizeof(ret->name), f) != NULL)
			ret->name[strcspn(ret->name, "\n")] = '\0';
		fclose(f);
	}
	if (ret->name[0] == '\0')
		snprintf(ret->name, sizeof(ret->name), "pid %d", pid);
}

int nc_platform_socket_owners(const nc_platform_socket_query_t *q, size_t n, nc_platform_process_t *ret)
{
	char want[NC_PLATFORM_MAX_QUERIES][64];
	bool done[NC_PLATFORM_MAX_QUERIES] = { false }, found[NC_PLATFORM_MAX_QUERIES];
	size_t left = 0, pids_n = 0, owned = 0;
	int *pids = NULL, r;

	unsigned long inode[NC_PLATFORM_MAX_QUERIES];

	if (n > NC_PLATFORM_MAX_QUERIES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		memset(&ret[i], 0, sizeof(ret[i]));
	r = find_inodes(q, n, inode);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		ret[i].listening = inode[i] != 0;
		done[i] = inode[i] == 0; /* nothing listens: nothing to look for */
		snprintf(want[i], sizeof(want[i]), "socket:[%lu]", inode[i]);
		left += !done[i];
	}
	if (left == 0)
		return 0;
	/* Newest first: the listener of a port just published (docker-proxy,
	 * rootlessport) was started a moment ago, so the scan of every
	 * process's fds usually ends after a few processes, not ~150; and one
	 * scan for every socket asked for, not one each */
	r = list_pids_newest_first(&pids, &pids_n);
	if (r < 0)
		return r;
	for (size_t p = 0; p < pids_n && left > 0; p++) {
		memset(found, 0, sizeof(found));
		if (proc_holds_sockets(pids[p], want, n, done, found) == 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (found[i]) {
				process_name(pids[p], &ret[i]);
				done[i] = true;
				left--;
				owned++;
			}
	}
	free(pids);
	return (int)owned;
}

static int socket_owner(int proto, uint16_t port, int family, nc_platform_process_t *ret)
{
	nc_platform_socket_query_t q = { .proto = (uint8_t)proto, .port = port, .family = family };
	int r = nc_platform_socket_owners(&q, 1, ret);

	return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int nc_platform_tcp_listener_family(uint16_t port, int family, nc_platform_process_t *ret)
{
	return socket_owner(IPPROTO_TCP, port, family, ret);
}

int nc_platform_udp_listener_family(uint16_t port, int family, nc_platform_process_t *ret)
{
	return socket_owner(IPPROTO_UDP, port, family, ret);
}
