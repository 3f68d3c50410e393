/* Unit tests for the platform layer (platform-*.c).
 *
 * The socket-table parsers read tables recorded in a namespace made for
 * the purpose (tests/fixtures/README.md: netns-*): the /proc/net text and
 * the raw sock_diag answers of the same sockets must give the same table.
 * The live calls (randomness, uname, owner scope, our own namespace's
 * table, the readiness wait, receive stamps) run against this process and
 * loopback only. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/errqueue.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <uv.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/platform.h"
#include "platform-internal.h"

#define ROOM 32

/* The sockets of the recorded namespace (python listening as the fixtures
 * README says), by port. */
typedef struct want {
	uint8_t proto;
	const char *addr;
	uint16_t port;
	unsigned long inode;
} want_t;

static const want_t recorded[] = {
	{ IPPROTO_TCP, "0.0.0.0", 80, 454188 },
	{ IPPROTO_TCP, "10.99.0.2", 5432, 454189 },
	{ IPPROTO_TCP, "127.0.0.1", 8080, 454187 },
	{ IPPROTO_TCP, "::", 443, 454190 },
	{ IPPROTO_TCP, "::1", 9000, 454191 },
};

static const nc_platform_socket_t *find_port(const nc_platform_socket_t *s, size_t n, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].proto == proto && s[i].local.port == port)
			return &s[i];
	return NULL;
}

static void assert_recorded_tcp(const nc_platform_socket_t *s, size_t n)
{
	size_t tcp = 0;

	for (size_t i = 0; i < n; i++)
		tcp += s[i].proto == IPPROTO_TCP;
	/* the connected pair on port 80 is not a listener */
	assert_int_equal(tcp, NC_ARRAY_SIZE(recorded));
	for (size_t i = 0; i < NC_ARRAY_SIZE(recorded); i++) {
		const nc_platform_socket_t *got = find_port(s, n, IPPROTO_TCP, recorded[i].port);
		nc_endpoint_t want = ep(recorded[i].addr, recorded[i].port);

		assert_non_null(got);
		assert_true(nc_endpoint_equal(&got->local, &want));
		assert_int_equal(got->inode, recorded[i].inode);
	}
}

static void assert_recorded_udp(const nc_platform_socket_t *s, size_t n)
{
	nc_endpoint_t any4 = ep("0.0.0.0", 53), lo4 = ep("127.0.0.1", 5353), any6 = ep("::", 123);

	assert_true(nc_endpoint_equal(&find_port(s, n, IPPROTO_UDP, 53)->local, &any4));
	assert_true(nc_endpoint_equal(&find_port(s, n, IPPROTO_UDP, 5353)->local, &lo4));
	assert_true(nc_endpoint_equal(&find_port(s, n, IPPROTO_UDP, 123)->local, &any6));
}

static size_t parse_proc_fixtures(nc_platform_socket_t *s, size_t max)
{
	static const struct {
		const char *name;
		int family;
		uint8_t proto;
	} files[] = {
		{ "netns-proc-net-tcp.txt", AF_INET, IPPROTO_TCP },
		{ "netns-proc-net-tcp6.txt", AF_INET6, IPPROTO_TCP },
		{ "netns-proc-net-udp.txt", AF_INET, IPPROTO_UDP },
		{ "netns-proc-net-udp6.txt", AF_INET6, IPPROTO_UDP },
	};
	size_t n = 0;

	for (size_t i = 0; i < NC_ARRAY_SIZE(files); i++) {
		char *text;
		size_t len = fixture_bytes(files[i].name, &text);

		assert_int_equal(nc_platform_parse_proc_net(text, len, files[i].family, files[i].proto, s, max, &n), 0);
		test_free(text);
	}
	return n;
}

static void test_parse_proc_net(void **state)
{
	nc_platform_socket_t s[ROOM];
	size_t n = parse_proc_fixtures(s, ROOM);
	char *text;
	size_t len;
	(void)state;

	assert_int_equal(n, NC_ARRAY_SIZE(recorded) + 3);
	assert_recorded_tcp(s, n);
	assert_recorded_udp(s, n);

	/* a table larger than the room: the first ones and -E2BIG */
	len = fixture_bytes("netns-proc-net-tcp.txt", &text);
	n = 0;
	assert_int_equal(nc_platform_parse_proc_net(text, len, AF_INET, IPPROTO_TCP, s, 2, &n), -E2BIG);
	assert_int_equal(n, 2);
	/* cut anywhere, it never reads past len */
	for (size_t cut = 0; cut < len; cut += 7) {
		n = 0;
		assert_int_equal(nc_platform_parse_proc_net(text, cut, AF_INET, IPPROTO_TCP, s, ROOM, &n), 0);
		assert_true(n <= 3);
	}
	test_free(text);
	n = 0;
	assert_int_equal(nc_platform_parse_proc_net("hdr\n garbage: ZZ\n0: 0100007F:1F90\n", 33, AF_INET, IPPROTO_TCP,
						    s, ROOM, &n), 0);
	assert_int_equal(n, 0);
}

static void test_parse_sock_diag(void **state)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} files[] = {
		{ "netns-sock-diag-tcp4.bin", IPPROTO_TCP },
		{ "netns-sock-diag-tcp6.bin", IPPROTO_TCP },
		{ "netns-sock-diag-udp4.bin", IPPROTO_UDP },
		{ "netns-sock-diag-udp6.bin", IPPROTO_UDP },
	};
	nc_platform_socket_t s[ROOM], from_proc[ROOM];
	size_t n = 0, n_proc = parse_proc_fixtures(from_proc, ROOM);
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(files); i++) {
		char *bytes;
		size_t len = fixture_bytes(files[i].name, &bytes);

		/* each recording ends with the dump's NLMSG_DONE */
		assert_int_equal(nc_platform_parse_sock_diag(bytes, len, files[i].proto, s, ROOM, &n), 1);
		test_free(bytes);
	}
	assert_recorded_tcp(s, n);
	assert_recorded_udp(s, n);
	/* the same table as /proc's, and v6only, which /proc does not show */
	assert_int_equal(n, n_proc);
	assert_false(find_port(s, n, IPPROTO_TCP, 443)->v6only);
	assert_true(find_port(s, n, IPPROTO_TCP, 9000)->v6only);
	for (size_t i = 0; i < n; i++) {
		const nc_platform_socket_t *p = find_port(from_proc, n_proc, s[i].proto, s[i].local.port);

		assert_non_null(p);
		assert_true(nc_endpoint_equal(&p->local, &s[i].local));
		assert_int_equal(p->inode, s[i].inode);
	}
}

static void test_parse_sock_diag_bad(void **state)
{
	nc_platform_socket_t s[ROOM];
	char *bytes;
	size_t n = 0, len = fixture_bytes("netns-sock-diag-tcp4.bin", &bytes);
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} e;
	(void)state;

	/* truncated inside a message: malformed, never a read past len */
	for (size_t cut = 1; cut < len; cut++) {
		size_t k = 0;
		int r = nc_platform_parse_sock_diag(bytes, cut, IPPROTO_TCP, s, ROOM, &k);

		assert_true(r == 0 || r == -EPROTO);
		assert_true(k <= 3);
	}
	/* more sockets than room */
	assert_int_equal(nc_platform_parse_sock_diag(bytes, len, IPPROTO_TCP, s, 1, &n), -E2BIG);
	assert_int_equal(n, 1);
	test_free(bytes);
	/* the kernel's error comes back as it is */
	memset(&e, 0, sizeof(e));
	e.nh.nlmsg_len = sizeof(e);
	e.nh.nlmsg_type = NLMSG_ERROR;
	e.err.error = -ENOENT;
	n = 0;
	assert_int_equal(nc_platform_parse_sock_diag(&e, sizeof(e), IPPROTO_TCP, s, ROOM, &n), -ENOENT);
	e.nh.nlmsg_len = sizeof(e.nh) + 2; /* too short to hold the error */
	assert_int_equal(nc_platform_parse_sock_diag(&e, sizeof(e), IPPROTO_TCP, s, ROOM, &n), -EPROTO);
}

/* --- live: this process and loopback ------------------------------------ */

static int bound_socket(int type, uint16_t *ret_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

static void test_netns_listeners_live(void **state)
{
	nc_platform_socket_t *s = test_malloc(NC_PLATFORM_MAX_SOCKETS * sizeof(*s));
	uint16_t tport, uport, closed;
	int tfd = bound_socket(SOCK_STREAM, &tport), ufd = bound_socket(SOCK_DGRAM, &uport);
	int cfd = bound_socket(SOCK_STREAM, &closed); /* bound, not listening */
	nc_endpoint_t lo = ep("127.0.0.1", tport);
	size_t n;
	int saved = -1;
	(void)state;

	assert_int_equal(listen(tfd, 1), 0);
	/* our own namespace (0), and through setns into it (our pid) */
	for (int pass = 0; pass < 2; pass++) {
		int pid = pass == 0 ? 0 : (int)getpid();

		assert_int_equal(nc_platform_netns_listeners(pid, s, NC_PLATFORM_MAX_SOCKETS, &n), 0);
		assert_non_null(find_port(s, n, IPPROTO_TCP, tport));
		assert_true(nc_endpoint_equal(&find_port(s, n, IPPROTO_TCP, tport)->local, &lo));
		assert_non_null(find_port(s, n, IPPROTO_UDP, uport));
		assert_null(find_port(s, n, IPPROTO_TCP, closed));
		assert_int_equal(nc_platform_is_listening(pid, tport, IPPROTO_TCP), 1);
		assert_int_equal(nc_platform_is_listening(pid, uport, IPPROTO_UDP), 1);
		assert_int_equal(nc_platform_is_listening(pid, closed, IPPROTO_TCP), 0);
		assert_int_equal(nc_platform_is_listening(pid, tport, IPPROTO_UDP), 0);
	}
	assert_int_equal(nc_platform_is_listening(0, tport, IPPROTO_ICMP), -EPROTONOSUPPORT);
	/* the process behind the port: this one, found by the socket's inode */
	{
		nc_platform_process_t proc;

		assert_int_equal(nc_platform_tcp_listener_family(tport, AF_INET, &proc), 0);
		assert_int_equal(proc.pid, (int)getpid());
		assert_true(proc.name[0] != '\0');
		assert_int_equal(nc_platform_tcp_listener(tport, &proc), 0);
		assert_int_equal(proc.pid, (int)getpid());
		/* not on IPv6, and a bound socket that does not listen has no listener */
		assert_int_equal(nc_platform_tcp_listener_family(tport, AF_INET6, &proc), -ENOENT);
		assert_int_equal(nc_platform_tcp_listener(closed, &proc), -ENOENT);
		/* the UDP socket bound to uport is ours too (ss -ulpn's pid); not on TCP */
		assert_int_equal(nc_platform_udp_listener_family(uport, AF_INET, &proc), 0);
		assert_int_equal(proc.pid, (int)getpid());
		assert_int_equal(nc_platform_udp_listener_family(tport, AF_INET, &proc), -ENOENT);
		/* several at once, in one scan: each found where it is, none where nothing is */
		{
			nc_platform_socket_query_t q[] = {
				{ IPPROTO_TCP, tport, AF_INET }, { IPPROTO_UDP, uport, AF_INET },
				{ IPPROTO_TCP, tport, AF_INET6 }, { IPPROTO_TCP, closed, AF_INET },
			};
			nc_platform_process_t owners[4];

			assert_int_equal(nc_platform_socket_owners(q, 4, owners), 2);
			assert_int_equal(owners[0].pid, (int)getpid());
			assert_int_equal(owners[1].pid, (int)getpid());
			assert_string_equal(owners[0].name, owners[1].name);
			assert_int_equal(owners[2].pid, 0);
			assert_int_equal(owners[3].pid, 0);
			/* where a socket is, whether or not its process was seen */
			assert_true(owners[0].listening && owners[1].listening);
			assert_false(owners[2].listening || owners[3].listening);
			assert_int_equal(nc_platform_socket_owners(q, NC_PLATFORM_MAX_QUERIES + 1, owners), -EINVAL);
		}
	}
	assert_int_equal(nc_platform_netns_listeners(-1, s, 4, &n), -EINVAL);

	assert_int_equal(nc_platform_netns_enter((int)getpid(), &saved), 0);
	assert_true(saved >= 0);
	assert_int_equal(nc_platform_netns_leave(saved), 0);
	assert_int_equal(nc_platform_netns_enter(0, &saved), -EINVAL);
	close(tfd);
	close(ufd);
	close(cfd);
	test_free(s);
}

/* The netlink lookups against this namespace: a route and a link asked
 * through platform-netlink.c, answers the kernel gives every namespace. */
static void test_netlink_live(void **state)
{
	nc_endpoint_t lo = ep("127.0.0.1", 0), lo6 = ep("::1", 0);
	nc_route_t rt;
	int iflink = -1, saved = -1, ns;
	(void)state;

	assert_int_equal(nc_platform_route_get(&lo, &rt), 0);
	assert_int_equal(rt.kind, NC_ROUTE_LOCAL);
	assert_string_equal(rt.ifname, "lo");
	assert_int_equal(rt.ifindex, (int)if_nametoindex("lo"));
	assert_false(rt.via_default);
	if (nc_platform_route_get(&lo6, &rt) == 0) /* a kernel without IPv6 has no answer */
		assert_int_equal(rt.kind, NC_ROUTE_LOCAL);
	rt.kind = NC_ROUTE_GATEWAY;
	assert_int_equal(nc_platform_route_get(&(nc_endpoint_t){ .family = AF_UNIX }, &rt), -EAFNOSUPPORT);

	/* lo is no veth: its "peer" is itself */
	assert_int_equal(nc_platform_netns_iflink((int)getpid(), "lo", &iflink), 0);
	assert_int_equal(iflink, (int)if_nametoindex("lo"));
	assert_int_equal(nc_platform_netns_iflink((int)getpid(), "nc-no-such-if", &iflink), -ENODEV);
	assert_int_equal(nc_platform_netns_iflink((int)getpid(), "a-name-longer-than-ifnamsiz", &iflink), -EINVAL);
	assert_int_equal(nc_platform_netns_iflink(0, "lo", &iflink), -EINVAL);

	/* entering by fd: our own namespace, and back */
	ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(ns >= 0);
	assert_int_equal(nc_platform_netns_enter_fd(ns, &saved), 0);
	assert_true(saved >= 0 && saved != ns);
	assert_int_equal(nc_platform_netns_leave(saved), 0);
	assert_int_equal(nc_platform_netns_enter_fd(-1, &saved), -EBADF);
	close(ns);
}

static void test_wait_listening(void **state)
{
	static const unsigned want[] = { 2, 4, 8, 16, 32, 64, 100, 100, 100 };
	volatile sig_atomic_t cancel = 0;
	uint16_t port, closed;
	int fd = bound_socket(SOCK_STREAM, &port), cfd = bound_socket(SOCK_STREAM, &closed);
	uint64_t t0;
	(void)state;

	for (unsigned i = 0; i < NC_ARRAY_SIZE(want); i++)
		assert_int_equal(nc_platform_wait_step_ms(i), want[i]);
	assert_int_equal(nc_platform_wait_step_ms(1000), 100);

	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(nc_platform_wait_listening(0, port, IPPROTO_TCP, uv_hrtime() / 1000000u + 1000, NULL), 1);
	t0 = uv_hrtime();
	assert_int_equal(nc_platform_wait_listening(0, closed, IPPROTO_TCP, uv_hrtime() / 1000000u + 120, &cancel),
			 -ETIMEDOUT);
	assert_true(uv_hrtime() - t0 >= 110 * 1000000u);
	assert_true(uv_hrtime() - t0 < 1000 * 1000000u);
	cancel = 1;
	assert_int_equal(nc_platform_wait_listening(0, closed, IPPROTO_TCP, uv_hrtime() / 1000000u + 5000, &cancel),
			 -ECANCELED);
	close(fd);
	close(cfd);
}

static void test_rx_timestamp(void **state)
{
	char control[NC_PLATFORM_RX_TIMESTAMP_CMSG_SPACE];
	struct timespec ts, before, after;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	char byte = 'x';
	uint16_t port;
	int fd = bound_socket(SOCK_DGRAM, &port);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	(void)state;

	/* a message with no control data has no stamp */
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(nc_platform_rx_timestamp(&msg, &ts), -ENOENT);
	/* a hand-built one: the stamp is read from it */
	memset(control, 0, sizeof(control));
	msg.msg_control = control;
	msg.msg_controllen = CMSG_SPACE(sizeof(ts));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPNS;
	c->cmsg_len = CMSG_LEN(sizeof(ts));
	memcpy(CMSG_DATA(c), &(struct timespec){ .tv_sec = 7, .tv_nsec = 42 }, sizeof(ts));
	assert_int_equal(nc_platform_rx_timestamp(&msg, &ts), 0);
	assert_int_equal(ts.tv_sec, 7);
	assert_int_equal(ts.tv_nsec, 42);
	c->cmsg_type = SO_TIMESTAMP; /* another kind: not ours */
	assert_int_equal(nc_platform_rx_timestamp(&msg, &ts), -ENOENT);

	/* live: a datagram to ourselves carries CLOCK_REALTIME of its arrival */
	assert_int_equal(nc_platform_enable_rx_timestamps(fd), 0);
	clock_gettime(CLOCK_REALTIME, &before);
	assert_int_equal(sendto(fd, &byte, 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	iov = (struct iovec){ .iov_base = &byte, .iov_len = 1 };
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	assert_int_equal(recvmsg(fd, &msg, 0), 1);
	clock_gettime(CLOCK_REALTIME, &after);
	assert_int_equal(nc_platform_rx_timestamp(&msg, &ts), 0);
	assert_true(ts.tv_sec > before.tv_sec || (ts.tv_sec == before.tv_sec && ts.tv_nsec >= before.tv_nsec));
	assert_true(ts.tv_sec < after.tv_sec || (ts.tv_sec == after.tv_sec && ts.tv_nsec <= after.tv_nsec));
	close(fd);
}

/* A refused datagram's ICMP: its sender from the error queue, hand-built
 * and live (a loopback port nothing is bound to: this host refuses). */
static void test_icmp_refused(void **state)
{
	union {
		char buf[256];
		struct cmsghdr align;
	} control;
	struct sock_extended_err ee = { .ee_errno = ECONNREFUSED, .ee_origin = SO_EE_ORIGIN_ICMP, .ee_type = 3, .ee_code = 3 };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0xac110002) }; /* 172.17.0.2 */
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd;
	struct msghdr msg;
	struct cmsghdr *c;
	nc_endpoint_t who, want;
	uint16_t port;
	char byte = 'x';
	int fd;
	(void)state;

	memset(&msg, 0, sizeof(msg));
	assert_int_equal(nc_platform_icmp_refusal_parse(&msg, &who), -ENOENT);
	memset(&control, 0, sizeof(control));
	msg.msg_control = control.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(ee) + sizeof(from));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_RECVERR;
	c->cmsg_len = CMSG_LEN(sizeof(ee) + sizeof(from));
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c) + sizeof(ee), &from, sizeof(from));
	assert_int_equal(nc_platform_icmp_refusal_parse(&msg, &who), 0);
	assert_int_equal(nc_endpoint_parse("172.17.0.2", 0, &want), 0);
	assert_true(nc_endpoint_equal(&who, &want));
	/* another error (a host unreachable) is not a refusal */
	ee.ee_errno = EHOSTUNREACH;
	memcpy(CMSG_DATA(c), &ee, sizeof(ee));
	assert_int_equal(nc_platform_icmp_refusal_parse(&msg, &who), -ENOENT);

	/* live: a port that was free a moment ago */
	fd = bound_socket(SOCK_DGRAM, &port);
	close(fd);
	to.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(nc_platform_enable_icmp_errors(fd, AF_INET), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(nc_platform_icmp_refused_by(fd, &who), -ENOENT); /* nothing sent yet */
	assert_int_equal(send(fd, &byte, 1, 0), 1);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(recv(fd, &byte, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(nc_platform_icmp_refused_by(fd, &who), 0);
	assert_int_equal(nc_endpoint_parse("127.0.0.1", 0, &want), 0);
	assert_true(nc_endpoint_equal(&who, &want));
	close(fd);
}

static void test_owner_scope(void **state)
{
	char scope[128], boot[64] = "", want[160], tiny[8];
	struct stat st;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	(void)state;

	assert_non_null(f);
	assert_non_null(fgets(boot, sizeof(boot), f));
	fclose(f);
	boot[strcspn(boot, "\n")] = '\0';
	assert_int_equal(strlen(boot), 36); /* a UUID */
	assert_int_equal(stat("/proc/self/ns/pid", &st), 0);
	snprintf(want, sizeof(want), "%s/%lu", boot, (unsigned long)st.st_ino);
	assert_int_equal(nc_platform_owner_scope(scope, sizeof(scope)), 0);
	assert_string_equal(scope, want);
	assert_int_equal(nc_platform_owner_scope(tiny, sizeof(tiny)), -ENOSPC);
}

static void test_process_is_netcheck(void **state)
{
	pid_t child;
	int status;
	(void)state;

	assert_false(nc_platform_process_is_netcheck(getpid())); /* never ourselves */
	assert_false(nc_platform_process_is_netcheck(0));
	assert_false(nc_platform_process_is_netcheck(-5));
	assert_false(nc_platform_process_is_netcheck(1L << 23));
	/* a process whose command line names netcheck (here as sh's $0) */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 5", "netcheck-test-owner", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !nc_platform_process_is_netcheck(child); i++)
		usleep(5000); /* until exec has replaced the forked copy */
	assert_true(nc_platform_process_is_netcheck(child));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_false(nc_platform_process_is_netcheck(child)); /* gone */
}

static void test_random_and_os(void **state)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	char os[128], tiny[4];
	(void)state;

	assert_int_equal(nc_platform_random(a, sizeof(a)), 0);
	assert_int_equal(nc_platform_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(nc_platform_random(a, 0), 0);
	assert_int_equal(nc_platform_os_description(os, sizeof(os)), 0);
	assert_int_equal(strncmp(os, "Linux ", 6), 0);
	assert_non_null(strchr(os + 6, ' ')); /* "Linux <release> <machine>" */
	assert_int_equal(nc_platform_os_description(tiny, sizeof(tiny)), -ENOSPC);
}

static void test_interface_address(void **state)
{
	nc_endpoint_t a, loopback;
	(void)state;

	assert_int_equal(nc_endpoint_parse("127.0.0.1", 0, &loopback), 0);
	assert_int_equal(nc_platform_interface_address("lo", AF_INET, &a), 0);
	assert_true(nc_endpoint_equal(&a, &loopback));
	assert_int_equal(nc_platform_interface_address("nc-no-such-if", AF_INET, &a), -ENODEV);
	assert_int_equal(nc_platform_interface_address("", AF_INET, &a), -EINVAL);
	assert_int_equal(nc_platform_interface_address("a-name-longer-than-ifnamsiz", AF_INET, &a), -EINVAL);
	assert_int_equal(nc_platform_interface_address("lo", AF_UNIX, &a), -EINVAL);
}

/* RTM_NEWADDR as the kernel sends it for a new bridge's address in DAD:
 * ifa_flags holds the low 8 bits, IFA_FLAGS all 32 (it wins). */
static size_t put_newaddr(char *buf, uint8_t family, const char *addr, uint8_t scope, uint8_t flags8, int32_t flags32)
{
	struct nlmsghdr *nh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nh, sizeof(*ifa));
	nc_endpoint_t e;

	nh->nlmsg_type = RTM_NEWADDR;
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_scope = scope;
	ifa->ifa_flags = flags8;
	ifa->ifa_index = 7;
	assert_int_equal(nc_endpoint_parse(addr, 0, &e), 0);
	mnl_attr_put(nh, IFA_ADDRESS, family == AF_INET ? 4 : 16, family == AF_INET ? (void *)&e.addr.v4 : (void *)&e.addr.v6);
	if (flags32 >= 0)
		mnl_attr_put_u32(nh, IFA_FLAGS, (uint32_t)flags32);
	return nh->nlmsg_len;
}

static void test_addr_from_msg(void **state)
{
	char buf[256] = { 0 };
	nc_platform_addr_t a;
	nc_endpoint_t want;
	(void)state;

	/* tentative in both, global */
	put_newaddr(buf, AF_INET6, "fd00:17:6::1", RT_SCOPE_UNIVERSE, 0xc0, 0xc0);
	assert_int_equal(nc_platform_addr_from_msg((struct nlmsghdr *)buf, &a), 1);
	assert_int_equal(nc_endpoint_parse("fd00:17:6::1", 0, &want), 0);
	assert_true(nc_endpoint_equal(&a.address, &want));
	assert_int_equal(a.ifindex, 7);
	assert_true(a.tentative && a.global && !a.dad_failed);
	/* IFA_FLAGS beats ifa_flags: DAD ended (permanent only) */
	memset(buf, 0, sizeof(buf));
	put_newaddr(buf, AF_INET6, "fe80::1", RT_SCOPE_LINK, 0xc0, 0x80);
	assert_int_equal(nc_platform_addr_from_msg((struct nlmsghdr *)buf, &a), 1);
	assert_true(!a.tentative && !a.global && a.flags == 0x80);
	/* a failed one keeps its tentative flag: failed, not pending */
	memset(buf, 0, sizeof(buf));
	put_newaddr(buf, AF_INET6, "fd00:17:6::1", RT_SCOPE_UNIVERSE, 0x48, -1);
	assert_int_equal(nc_platform_addr_from_msg((struct nlmsghdr *)buf, &a), 1);
	assert_true(a.dad_failed && !a.tentative);
	/* another message type: not an address; one cut short: malformed */
	((struct nlmsghdr *)buf)->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(nc_platform_addr_from_msg((struct nlmsghdr *)buf, &a), 0);
	((struct nlmsghdr *)buf)->nlmsg_type = RTM_NEWADDR;
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(nc_platform_addr_from_msg((struct nlmsghdr *)buf, &a), -EPROTO);
}

/* Our own namespace's loopback, read live: 127.0.0.1 in scope host (not
 * global: no route leads to it), never tentative.  A read is one netlink
 * request however many interfaces its addresses are on (the readiness
 * wait reads every 20 ms); naming an interface, for an address the caller
 * keeps, is one more. */
static void test_addrs_live(void **state)
{
	nc_platform_addr_t addrs[64];
	nc_platform_addrs_t *a;
	int lo = (int)if_nametoindex("lo");
	char name[NC_IFNAME_MAX];
	bool other_if = false;
	size_t n = 0;
	(void)state;

	assert_int_equal(nc_platform_addrs_open(0, &a), 0);
	assert_int_equal(nc_platform_addrs_read(a, AF_INET, &lo, 1, addrs, 64, &n), 0);
	assert_int_equal(nc_platform_addrs_requests(a), 1);
	assert_true(n >= 1);
	assert_int_equal(addrs[0].ifindex, lo);
	assert_true(!addrs[0].global && !addrs[0].tentative);
	assert_int_equal(nc_platform_addrs_ifname(a, lo, name), 0);
	assert_string_equal(name, "lo");
	assert_int_equal(nc_platform_addrs_requests(a), 2);
	/* every interface's (lo's 127.0.0.1 and at least a docker bridge's or
	 * an uplink's): one dump all the same */
	assert_int_equal(nc_platform_addrs_read(a, AF_INET, NULL, 0, addrs, 64, &n), 0);
	for (size_t i = 1; i < n && !other_if; i++)
		other_if = addrs[i].ifindex != addrs[0].ifindex;
	assert_true(other_if);
	assert_int_equal(nc_platform_addrs_requests(a), 3);
	/* an index nothing has: the kernel's answer, and a name all the same */
	assert_true(nc_platform_addrs_ifname(a, 0x7ffffff0, name) < 0);
	assert_string_equal(name, "if2147483632");
	assert_int_equal(nc_platform_addrs_read(a, AF_INET, &lo, 1, addrs, 0, &n), -E2BIG);
	assert_int_equal(nc_platform_addrs_read(a, AF_UNIX, NULL, 0, addrs, 64, &n), -EINVAL);
	nc_platform_addrs_close(a);
	nc_platform_addrs_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_proc_net),
		cmocka_unit_test(test_parse_sock_diag),
		cmocka_unit_test(test_parse_sock_diag_bad),
		cmocka_unit_test(test_netns_listeners_live),
		cmocka_unit_test(test_netlink_live),
		cmocka_unit_test(test_wait_listening),
		cmocka_unit_test(test_rx_timestamp),
		cmocka_unit_test(test_icmp_refused),
		cmocka_unit_test(test_owner_scope),
		cmocka_unit_test(test_process_is_netcheck),
		cmocka_unit_test(test_random_and_os),
		cmocka_unit_test(test_interface_address),
		cmocka_unit_test(test_addr_from_msg),
		cmocka_unit_test(test_addrs_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
