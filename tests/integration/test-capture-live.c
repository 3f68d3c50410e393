/* Integration test for capture/: a live capture on both ends of a veth
 * pair, one end in a network namespace made for the test (nctest-*), with
 * 169.254.231.1/30 here and .2 there.  Traffic goes only over that veth:
 * a TCP connection (to a listener made inside the namespace) and an ICMP
 * echo.  Checks the packets seen at both points, their decoded addresses
 * and directions, the attribution of both probes, stop/close on the loop
 * (uv_loop_close() == 0), that the thread stays in its own namespace, and
 * that one handle per point reads each packet once with its direction (on
 * the veth and on the namespace's loopback).
 *
 * Needs root (netns, veth, packet sockets) and iproute2's `ip`; without
 * them it exits 77 (skip), saying why. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "netcheck/attribute.h"
#include "netcheck/capture.h"
#include "netcheck/common.h"
#include "netcheck/platform.h"
#include "netcheck/testing.h"

#define HOST_ADDR "169.254.231.1"
#define NS_ADDR "169.254.231.2"
#define NS_PORT 7777
#define ECHO_ID 0xbeef
#define PAYLOAD "hello-netcheck-nonce-42"
#define FILTER "host " NS_ADDR

static char ns_name[32], host_if[16], ns_if[16], ns_path[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == 0 ? 0 : -1;
}

static int setup_netns(void **state)
{
	(void)state;
	if (sh("ip netns add %s", ns_name) < 0 ||
	    sh("ip link add %s type veth peer name %s netns %s", host_if, ns_if, ns_name) < 0 ||
	    sh("ip addr add %s/30 dev %s && ip link set %s up", HOST_ADDR, host_if, host_if) < 0 ||
	    sh("ip -n %s addr add %s/30 dev %s && ip -n %s link set %s up && ip -n %s link set lo up", ns_name,
	       NS_ADDR, ns_if, ns_name, ns_if, ns_name) < 0) {
		sh("ip netns del %s 2>/dev/null", ns_name);
		return -1;
	}
	return 0;
}

static int teardown_netns(void **state)
{
	(void)state;
	/* deleting the namespace deletes its veth end, and with it ours */
	sh("ip netns del %s", ns_name);
	sh("ip link del %s 2>/dev/null", host_if);
	return 0;
}

/* The caller's part of a point in another namespace: this thread enters
 * it around nc_capture_add_point(), through the platform's one way in
 * (run-capture.c enters by pid; here the namespace has a name). */
static int enter_ns(void)
{
	int target = open(ns_path, O_RDONLY | O_CLOEXEC), self = -1;

	assert_true(target >= 0);
	assert_int_equal(nc_platform_netns_enter_fd(target, &self), 0);
	close(target);
	return self;
}

static void leave_ns(int self)
{
	assert_int_equal(nc_platform_netns_leave(self), 0);
}

static int add_point_in_ns(nc_capture_t *c, const char *ifname, const char *description, const char *filter,
			   nc_error_t *err)
{
	int self = enter_ns();
	int r = nc_capture_add_point(c, ifname, description, true, filter, err);

	leave_ns(self);
	return r;
}

static ino_t netns_inode(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

/* a TCP listener inside the namespace; returns its fd (ours to close) */
static int listen_in_netns(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(NS_PORT) };
	int self = enter_ns(), fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	leave_ns(self);
	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, NS_ADDR, &sin.sin_addr), 1);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static uint16_t checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void send_echo(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t pkt[16] = { 8, 0, 0, 0, ECHO_ID >> 8, ECHO_ID & 0xff, 0, 1, 'n', 'e', 't', 'c', 'h', 'e', 'c', 'k' };
	uint16_t sum = checksum(pkt, sizeof(pkt));
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	assert_true(fd >= 0);
	memcpy(pkt + 2, &sum, 2);
	assert_int_equal(inet_pton(AF_INET, NS_ADDR, &to.sin_addr), 1);
	assert_int_equal(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)sizeof(pkt));
	close(fd);
}

/* connect, send PAYLOAD, accept and read it, close both; returns our
 * local endpoint */
static nc_endpoint_t tcp_exchange(int listener)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(NS_PORT) };
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	char buf[64];
	nc_endpoint_t ret;
	int fd, peer;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, NS_ADDR, &to.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&local, &local_len), 0);
	assert_int_equal(nc_endpoint_from_sockaddr((struct sockaddr *)&local, &ret), 0);
	assert_int_equal(send(fd, PAYLOAD, strlen(PAYLOAD), 0), (ssize_t)strlen(PAYLOAD));
	peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(peer >= 0);
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), (ssize_t)strlen(PAYLOAD));
	close(fd);
	close(peer);
	return ret;
}

typedef struct live {
	nc_capture_t *capture; /* borrowed from the test */
	int listener;
	nc_endpoint_t local;   /* our TCP socket's address */
	int stop_calls;
	int stop_result;
	uv_timer_t timer;
} live_t;

static void on_stopped(nc_capture_t *c, void *data)
{
	live_t *lv = data;

	assert_ptr_equal(c, lv->capture);
	lv->stop_calls++;
}

static void on_timer_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_stop_timer(uv_timer_t *t)
{
	live_t *lv = t->data;

	lv->stop_result = nc_capture_stop(lv->capture, on_stopped, lv);
	/* a second stop is refused and never calls back */
	assert_int_equal(nc_capture_stop(lv->capture, on_stopped, lv), -EALREADY);
	uv_close((uv_handle_t *)t, on_timer_closed);
}

static void on_traffic_timer(uv_timer_t *t)
{
	live_t *lv = t->data;

	lv->local = tcp_exchange(lv->listener);
	send_echo();
	/* replies come back while the loop polls; stop a little later */
	assert_int_equal(uv_timer_start(t, on_stop_timer, 300, 0), 0);
}

static bool is_addr(const nc_endpoint_t *e, const char *addr)
{
	nc_endpoint_t want;

	return nc_endpoint_parse(addr, e->port, &want) == 0 && nc_endpoint_equal(e, &want);
}

/* the packet at point with these flags/type from src to dst, or NULL */
static const nc_packet_t *find(const nc_capture_t *c, uint32_t point, uint8_t proto, uint8_t flags_or_type,
			       const char *src, const char *dst)
{
	for (size_t i = 0; i < nc_capture_packet_count(c); i++) {
		const nc_packet_t *p = nc_capture_packet(c, i);

		if (p->point != point || p->proto != proto || !is_addr(&p->src, src) || !is_addr(&p->dst, dst))
			continue;
		if (proto == IPPROTO_TCP && p->tcp_flags != flags_or_type)
			continue;
		if (proto == IPPROTO_ICMP && p->icmp_type != flags_or_type)
			continue;
		return p;
	}
	return NULL;
}

static void test_live_two_points(void **state)
{
	uv_loop_t loop;
	nc_capture_t *c = NULL;
	nc_error_t err = { "" };
	live_t lv;
	const nc_capture_point_info_t *info;
	const nc_packet_t *p;
	ino_t before = netns_inode();
	bool payload_seen[2] = { false, false };

	(void)state;
	memset(&lv, 0, sizeof(lv));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 10000, &c), 0);
	lv.capture = c;

	/* failures first: nothing is left open, the thread stays at home */
	assert_int_equal(nc_capture_add_point(c, "nctest-nosuch0", NULL, false, NULL, &err), -ENODEV);
	assert_true(strlen(err.text) > 0);
	assert_int_equal(nc_capture_add_point(c, host_if, NULL, false, "host and and", &err), -EINVAL);
	/* the namespace's end is not here, and here's is not there */
	assert_int_equal(nc_capture_add_point(c, ns_if, NULL, false, NULL, &err), -ENODEV);
	assert_int_equal(add_point_in_ns(c, host_if, NULL, NULL, &err), -ENODEV);
	assert_int_equal(netns_inode(), before);
	assert_int_equal(nc_capture_point_count(c), 0);
	assert_int_equal(nc_capture_start(c), -EINVAL);
	assert_int_equal(nc_capture_stop(c, on_stopped, &lv), -EINVAL);

	assert_int_equal(nc_capture_add_point(c, host_if, "host end of the veth", false, FILTER, &err), 0);
	assert_int_equal(add_point_in_ns(c, ns_if, "namespace end", FILTER, &err), 1);
	assert_int_equal(netns_inode(), before);
	for (size_t i = 0; i < 2; i++) {
		info = nc_capture_point(c, i);
		assert_non_null(info);
		/* one handle on "any", SLL2 carrying the packet type */
		assert_int_equal(info->linktype, DLT_LINUX_SLL2);
		assert_true(info->snaplen >= NC_SNAPLEN);
		assert_true(info->ifindex > 0);
		assert_true(info->direction_known);
		assert_int_equal(info->in_netns, i == 1);
	}
	assert_string_equal(nc_capture_point(c, 0)->name, host_if);
	assert_string_equal(nc_capture_point(c, 1)->description, "namespace end");
	assert_null(nc_capture_point(c, 2));

	lv.listener = listen_in_netns();
	assert_int_equal(nc_capture_start(c), 0);
	assert_int_equal(nc_capture_start(c), -EALREADY);
	assert_int_equal(uv_timer_init(&loop, &lv.timer), 0);
	lv.timer.data = &lv;
	assert_int_equal(uv_timer_start(&lv.timer, on_traffic_timer, 50, 0), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	close(lv.listener);

	assert_int_equal(lv.stop_result, 0);
	assert_int_equal(lv.stop_calls, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(nc_capture_add_point(c, host_if, NULL, false, NULL, &err), -EBUSY);

	/* the handshake, both ways, at both ends, with the right direction */
	p = find(c, 0, IPPROTO_TCP, NC_TCP_SYN, HOST_ADDR, NS_ADDR);
	assert_non_null(p);
	assert_int_equal(p->dst.port, NS_PORT);
	assert_int_equal(p->src.port, lv.local.port);
	assert_int_equal(p->direction, NC_DIR_OUT);
	assert_true(p->ts_ns > 1600000000ull * 1000000000ull);
	p = find(c, 0, IPPROTO_TCP, NC_TCP_SYN | NC_TCP_ACK, NS_ADDR, HOST_ADDR);
	assert_non_null(p);
	assert_int_equal(p->direction, NC_DIR_IN);
	p = find(c, 1, IPPROTO_TCP, NC_TCP_SYN, HOST_ADDR, NS_ADDR);
	assert_non_null(p);
	assert_int_equal(p->direction, NC_DIR_IN);
	p = find(c, 1, IPPROTO_TCP, NC_TCP_SYN | NC_TCP_ACK, NS_ADDR, HOST_ADDR);
	assert_non_null(p);
	assert_int_equal(p->direction, NC_DIR_OUT);
	/* the echo and its reply */
	p = find(c, 0, IPPROTO_ICMP, 8, HOST_ADDR, NS_ADDR);
	assert_non_null(p);
	assert_int_equal(p->src.port, ECHO_ID);
	assert_int_equal(p->icmp_seq, 1);
	assert_int_equal(p->direction, NC_DIR_OUT);
	assert_non_null(find(c, 1, IPPROTO_ICMP, 8, HOST_ADDR, NS_ADDR));
	assert_non_null(find(c, 0, IPPROTO_ICMP, 0, NS_ADDR, HOST_ADDR));
	assert_non_null(find(c, 1, IPPROTO_ICMP, 0, NS_ADDR, HOST_ADDR));
	for (size_t i = 0; i < nc_capture_packet_count(c); i++) {
		p = nc_capture_packet(c, i);
		assert_true(p->point < 2);
		if (p->proto == IPPROTO_TCP && p->payload_len == strlen(PAYLOAD) &&
		    memcmp(p->data + p->payload_off, PAYLOAD, p->payload_len) == 0)
			payload_seen[p->point] = true;
	}
	assert_true(payload_seen[0] && payload_seen[1]);
	for (size_t i = 0; i < 2; i++) {
		info = nc_capture_point(c, i);
		assert_true(info->received >= 6);
		assert_int_equal(info->dropped, 0);
		assert_int_equal(info->error, 0);
	}

	/* sorted by time, then attributed: both probes at both ends */
	assert_int_equal(nc_capture_sort_by_time(c), 0);
	{
		size_t n;
		const nc_packet_t *pkts = nc_capture_packets(c, &n);
		nc_attr_probe_t probes[2];
		int *probe_of = calloc(n, sizeof(*probe_of));
		nc_leg_t *leg_of = calloc(n, sizeof(*leg_of));
		size_t seen[2][2] = { { 0, 0 }, { 0, 0 } };

		assert_non_null(probe_of);
		assert_non_null(leg_of);
		for (size_t i = 1; i < n; i++)
			assert_true(pkts[i - 1].ts_ns <= pkts[i].ts_ns);
		memset(probes, 0, sizeof(probes));
		probes[0].proto = IPPROTO_TCP;
		probes[0].local = lv.local;
		assert_int_equal(nc_endpoint_parse(NS_ADDR, NS_PORT, &probes[0].dialled), 0);
		probes[0].container = probes[0].dialled;
		probes[0].nonce = PAYLOAD;
		probes[1].proto = IPPROTO_ICMP;
		probes[1].local.port = ECHO_ID;
		assert_int_equal(nc_endpoint_parse(NS_ADDR, 0, &probes[1].dialled), 0);
		assert_true(nc_attribute(pkts, n, probes, 2, probe_of, leg_of) >= 4 * 2 + 2 * 2);
		for (size_t i = 0; i < n; i++) {
			if (probe_of[i] < 0)
				continue;
			assert_int_equal(leg_of[i], probe_of[i] == 0 ? NC_LEG_CLIENT : NC_LEG_ICMP);
			seen[probe_of[i]][pkts[i].point]++;
		}
		assert_true(seen[0][0] >= 4 && seen[0][1] >= 4 && seen[1][0] == 2 && seen[1][1] == 2);
		free(probe_of);
		free(leg_of);
	}
	nc_capture_free(c);
}

static void on_late_timer(uv_timer_t *t)
{
	live_t *lv = t->data;
	nc_error_t err;

	/* a point added while running is polled from then on */
	assert_int_equal(add_point_in_ns(lv->capture, ns_if, NULL, FILTER, &err), 1);
	send_echo();
	uv_close((uv_handle_t *)t, on_timer_closed);
}

static void on_free_timer(uv_timer_t *t)
{
	live_t *lv = t->data;

	/* freed while running: handles close detached */
	lv->stop_calls = (int)nc_capture_packet_count(lv->capture);
	assert_true(nc_capture_not_stored(lv->capture) >= 2);
	lv->stop_result = (int)nc_capture_point(lv->capture, 1)->not_stored;
	for (size_t i = 0; i < nc_capture_packet_count(lv->capture); i++)
		if (nc_capture_packet(lv->capture, i)->point == 1)
			lv->stop_result++;
	nc_capture_free(lv->capture);
	lv->capture = NULL;
	uv_close((uv_handle_t *)t, on_timer_closed);
}

static void test_live_late_point_and_free(void **state)
{
	uv_loop_t loop;
	uv_timer_t late, stop;
	nc_capture_t *c = NULL;
	nc_error_t err;
	live_t lv;

	(void)state;
	memset(&lv, 0, sizeof(lv));
	assert_int_equal(uv_loop_init(&loop), 0);

	/* never started: free closes the pcap handles, no loop needed */
	assert_int_equal(nc_capture_new(&loop, 1, &c), 0);
	assert_int_equal(nc_capture_add_point(c, host_if, NULL, false, NULL, &err), 0);
	nc_capture_free(c);
	nc_capture_free(NULL);

	assert_int_equal(nc_capture_new(&loop, 2, &c), 0); /* keeps 2, counts the rest */
	lv.capture = c;
	assert_int_equal(nc_capture_add_point(c, host_if, NULL, false, FILTER, &err), 0);
	assert_int_equal(nc_capture_start(c), 0);
	assert_int_equal(uv_timer_init(&loop, &late), 0);
	assert_int_equal(uv_timer_init(&loop, &stop), 0);
	late.data = stop.data = &lv;
	assert_int_equal(uv_timer_start(&late, on_late_timer, 20, 0), 0);
	assert_int_equal(uv_timer_start(&stop, on_free_timer, 250, 0), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(lv.stop_calls, 2); /* kept */
	assert_true(lv.stop_result >= 2);  /* the late point saw the echo and its reply */
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A TCP exchange over the namespace's own loopback: sockets made inside
 * it, used from here. */
static void loopback_exchange_in_ns(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(NS_PORT + 1) };
	int self = enter_ns();
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int peer;
	char buf[64];

	leave_ns(self);
	assert_true(listener >= 0 && fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)), 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(listener, 1), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(send(fd, PAYLOAD, strlen(PAYLOAD), 0), (ssize_t)strlen(PAYLOAD));
	peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(peer >= 0);
	assert_int_equal(recv(peer, buf, sizeof(buf), 0), (ssize_t)strlen(PAYLOAD));
	close(fd);
	close(peer);
	close(listener);
}

static void on_one_handle_traffic(uv_timer_t *t)
{
	live_t *lv = t->data;

	lv->local = tcp_exchange(lv->listener);
	loopback_exchange_in_ns();
	assert_int_equal(uv_timer_start(t, on_stop_timer, 300, 0), 0);
}

static size_t count(const nc_capture_t *c, uint32_t point, uint8_t flags, nc_direction_t dir, size_t *ret_at_point)
{
	size_t n = 0;

	*ret_at_point = 0;
	for (size_t i = 0; i < nc_capture_packet_count(c); i++) {
		const nc_packet_t *p = nc_capture_packet(c, i);

		if (p->point != point)
			continue;
		(*ret_at_point)++;
		if (p->proto == IPPROTO_TCP && p->tcp_flags == flags && p->direction == dir)
			n++;
	}
	return n;
}

/* Capture started, traffic made from the loop (traffic: a timer callback
 * that ends by stopping capture), the loop run until everything closed. */
static void run_live(uv_loop_t *loop, live_t *lv, uv_timer_cb traffic)
{
	lv->listener = listen_in_netns();
	assert_int_equal(nc_capture_start(lv->capture), 0);
	assert_int_equal(uv_timer_init(loop, &lv->timer), 0);
	lv->timer.data = lv;
	assert_int_equal(uv_timer_start(&lv->timer, traffic, 50, 0), 0);
	assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
	close(lv->listener);
	assert_int_equal(lv->stop_calls, 1);
	assert_int_equal(uv_loop_close(loop), 0);
}

/* One handle per point: every packet is read once, with its direction from
 * the kernel's packet type, and the kernel's count matches what was read
 * (on the veth and on a loopback, where the kernel loops each packet out
 * and in again). */
static void test_live_one_handle(void **state)
{
	uv_loop_t loop;
	nc_capture_t *c = NULL;
	nc_error_t err = { "" };
	live_t lv;
	char lo_filter[64];
	size_t at_point;

	(void)state;
	memset(&lv, 0, sizeof(lv));
	snprintf(lo_filter, sizeof(lo_filter), "tcp port %d", NS_PORT + 1);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 1000, &c), 0);
	lv.capture = c;
	assert_int_equal(nc_capture_add_point(c, host_if, NULL, false, "tcp port 7777", &err), 0);
	assert_int_equal(add_point_in_ns(c, "lo", "namespace loopback", lo_filter, &err), 1);
	assert_true(nc_capture_point(c, 0)->direction_known);
	assert_false(nc_capture_point(c, 1)->direction_known);
	run_live(&loop, &lv, on_one_handle_traffic);

	/* the veth: one SYN out, one SYN-ACK in, nothing twice */
	assert_int_equal(count(c, 0, NC_TCP_SYN, NC_DIR_OUT, &at_point), 1);
	assert_int_equal(count(c, 0, NC_TCP_SYN | NC_TCP_ACK, NC_DIR_IN, &at_point), 1);
	assert_int_equal(count(c, 0, NC_TCP_SYN, NC_DIR_IN, &at_point), 0);
	assert_true(at_point >= 6);
	assert_int_equal(nc_capture_point(c, 0)->received, at_point);
	/* the loopback: each packet once, no direction */
	assert_int_equal(count(c, 1, NC_TCP_SYN, NC_DIR_UNKNOWN, &at_point), 1);
	assert_int_equal(count(c, 1, NC_TCP_SYN | NC_TCP_ACK, NC_DIR_UNKNOWN, &at_point), 1);
	assert_true(at_point >= 6);
	assert_int_equal(nc_capture_point(c, 1)->received, at_point);
	nc_capture_free(c);
}

/* The two ways a point opens without waiting for a ring's grace period
 * once its interface exists: a spare opened before (it takes nothing until
 * aimed: an echo sent before is not in it) and then aimed at the veth
 * here, and a ring-less point in the namespace (no ring at all: each
 * packet one recvmsg).  Both read each TCP packet once, with its
 * direction, as SLL2 like any other point; the filters hold (the echo
 * after is in neither); a ring-less point on a loopback is refused. */
static void test_live_spare_and_ringless(void **state)
{
	uv_loop_t loop;
	nc_capture_t *c = NULL;
	nc_capture_opened_t *spare = NULL, *ringless = NULL, *lo = NULL;
	nc_error_t err = { "" };
	live_t lv;
	size_t at_point;
	int self;

	(void)state;
	memset(&lv, 0, sizeof(lv));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 1000, &c), 0);
	lv.capture = c;
	assert_int_equal(nc_capture_open_spare(c, &spare, &err), 0);
	send_echo(); /* before the spare is aimed: not for it */
	assert_int_equal(nc_capture_aim_spare(spare, host_if, "host end", "tcp port 7777", &err), 0);
	self = enter_ns();
	assert_int_equal(nc_capture_open_ringless(c, ns_if, "namespace end", true, "tcp port 7777", &ringless, &err), 0);
	assert_int_equal(nc_capture_open_ringless(c, "lo", NULL, true, NULL, &lo, &err), -ENOTSUP);
	assert_null(lo);
	leave_ns(self);
	assert_int_equal(nc_capture_add_opened(c, spare, &err), 0);
	assert_int_equal(nc_capture_add_opened(c, ringless, &err), 1);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(nc_capture_point(c, i)->linktype, DLT_LINUX_SLL2);
		assert_true(nc_capture_point(c, i)->direction_known);
	}
	assert_string_equal(nc_capture_point(c, 1)->name, ns_if);
	assert_true(nc_capture_point(c, 1)->in_netns);
	run_live(&loop, &lv, on_traffic_timer);

	/* the host end: our SYN out, the answer in; the namespace end the other way */
	assert_int_equal(count(c, 0, NC_TCP_SYN, NC_DIR_OUT, &at_point), 1);
	assert_int_equal(count(c, 0, NC_TCP_SYN | NC_TCP_ACK, NC_DIR_IN, &at_point), 1);
	assert_true(at_point >= 6);
	assert_int_equal(count(c, 1, NC_TCP_SYN, NC_DIR_IN, &at_point), 1);
	assert_int_equal(count(c, 1, NC_TCP_SYN | NC_TCP_ACK, NC_DIR_OUT, &at_point), 1);
	assert_true(at_point >= 6);
	assert_int_equal(nc_capture_point(c, 1)->received, at_point);
	assert_int_equal(nc_capture_point(c, 1)->dropped, 0);
	/* no echo, before the aim or after it: only what the filters let through */
	assert_null(find(c, 0, IPPROTO_ICMP, 8, HOST_ADDR, NS_ADDR));
	assert_null(find(c, 1, IPPROTO_ICMP, 8, HOST_ADDR, NS_ADDR));
	nc_capture_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_two_points),
		cmocka_unit_test(test_live_late_point_and_free),
		cmocka_unit_test(test_live_one_handle),
		cmocka_unit_test(test_live_spare_and_ringless),
	};
	int pid = (int)getpid() % 100000;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root (network namespaces, veth, packet sockets)\n");
		return 77;
	}
	if (system("ip -V >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: needs iproute2's ip\n");
		return 77;
	}
	snprintf(ns_name, sizeof(ns_name), "nctest-cap-%d", pid);
	snprintf(host_if, sizeof(host_if), "nctest-h%d", pid);
	snprintf(ns_if, sizeof(ns_if), "nctest-n%d", pid);
	snprintf(ns_path, sizeof(ns_path), "/var/run/netns/%s", ns_name);
	return cmocka_run_group_tests(tests, setup_netns, teardown_netns);
}
