/* Integration test for the kernel's drop reasons (netcheck/witness,
 * witness-drop.c): two network namespaces of the test's own (`ip netns
 * add`, removed at exit and on SIGINT/SIGTERM), a veth pair between them,
 * addresses from 198.18.0.0/15 (and fd00:198:18::/64 for IPv6): the sender
 * 198.18.0.1, the receiver 198.18.0.2 with net.ipv4.ip_forward=0 set in its own namespace (the
 * host's sysctls are never touched) and a route to 198.18.1.0/24 it may
 * not use.  The sender's UDP datagrams to a closed port (IPv4 and IPv6) and
 * to be forwarded, and to an address no one answers ARP for (the sender's
 * ARP gives up after one 100 ms probe, set in its own namespace), must
 * come back as drops of their own flows, with the
 * reason's name as the running kernel says it, the location named from
 * kallsyms, the receiver's device and namespace; a datagram of no flow
 * must not be seen.  Afterwards no program of ours is attached (the
 * kernel's program list, as `bpftool prog list` reads it), also after a
 * run killed with SIGKILL; without privilege the call says so in one line.
 * Prints the cost of load + attach + detach (issue 17: tracing costs at
 * most 10 ms per run).
 *
 * Traffic: only inside the two namespaces.  Needs root, iproute2 and a
 * build with eBPF; without them it skips (77), or fails when NC_CI=1 or
 * CI=true. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#ifdef NC_HAVE_DROPREASON
#include <bpf/bpf.h>
#endif

#include "netcheck/common.h"
#include "netcheck/dropreason.h"

#define RECEIVER "198.18.0.2"
#define SENDER "198.18.0.1"
#define BEYOND "198.18.1.2"       /* behind the receiver, which may not forward */
#define NOBODY "198.18.0.77"      /* on the link, answering no ARP */
#define RECEIVER6 "fd00:198:18::2" /* a unique-local prefix of the test's own */
#define SENDER6 "fd00:198:18::1"
#define CLOSED_PORT 9
#define OTHER_PORT 10
#define PROG_NAME "netcheck_kfree_" /* the kernel keeps 15 characters of netcheck_kfree_skb */
#define LIMIT_MS 10.0
#define SENT 3

static int missing(const char *why)
{
	const char *ci = getenv("CI"), *nc_ci = getenv("NC_CI");
	bool in_ci = (ci != NULL && strcmp(ci, "true") == 0) || (nc_ci != NULL && strcmp(nc_ci, "1") == 0);

	fprintf(stderr, "test-witness-dropreason: %s: %s\n", why, in_ci ? "failing (CI)" : "skipped");
	return in_ci ? 1 : 77;
}

#ifdef NC_HAVE_DROPREASON

enum { FLOW_CLOSED, FLOW_FORWARD, FLOW_UNUSED, FLOW_CLOSED6, FLOW_NEIGH };

static char ns_receiver[32], ns_sender[32];

static void remove_namespaces(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", ns_receiver, ns_sender);
	if (system(cmd) < 0)
		fprintf(stderr, "# could not remove the namespaces %s %s\n", ns_receiver, ns_sender);
}

static void on_signal(int sig)
{
	remove_namespaces(); /* not async-signal-safe; the test ends here either way */
	signal(sig, SIG_DFL);
	raise(sig);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static nc_endpoint_t ep(const char *addr, uint16_t port)
{
	nc_endpoint_t e;

	assert_int_equal(nc_endpoint_parse(addr, port, &e), 0);
	return e;
}

/* The namespace's inode, as the program reports it. */
static uint32_t netns_inode(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	assert_int_equal(stat(path, &st), 0);
	return (uint32_t)st.st_ino;
}

/* Runs f in namespace name, then returns to this one. */
static int in_namespace(const char *name, int (*f)(void *), void *data)
{
	char path[64];
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), there, r;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	there = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(here >= 0 && there >= 0);
	assert_int_equal(setns(there, CLONE_NEWNET), 0);
	r = f(data);
	assert_int_equal(setns(here, CLONE_NEWNET), 0);
	close(here);
	close(there);
	return r;
}

static int interface_index(void *name)
{
	return (int)if_nametoindex(name);
}

static int udp_sender(void *data)
{
	return socket(*(const int *)data, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static void send_udp(int fd, const char *addr, uint16_t port)
{
	nc_endpoint_t e = ep(addr, port);
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(nc_endpoint_to_sockaddr(&e, &ss, &len), 0);
	assert_int_equal(sendto(fd, "netcheck", 8, 0, (struct sockaddr *)&ss, len), 8);
}

/* Programs of ours attached now, by the kernel's program list. */
static unsigned programs_of_ours(void)
{
	unsigned n = 0;
	__u32 id = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strcmp(info.name, PROG_NAME) == 0)
			n++;
		close(fd);
	}
	return n;
}

/* After the last fd closes the kernel releases the program after an RCU
 * grace period: wait for that, at most a second. */
static unsigned programs_of_ours_settled(void)
{
	for (int i = 0; i < 100 && programs_of_ours() != 0; i++)
		usleep(10000);
	return programs_of_ours();
}

static void on_timer(uv_timer_t *timer)
{
	uv_stop(timer->loop);
}

/* Runs loop for ms milliseconds. */
static void run_for(uv_loop_t *loop, uint64_t ms)
{
	uv_timer_t timer;

	assert_int_equal(uv_timer_init(loop, &timer), 0);
	assert_int_equal(uv_timer_start(&timer, on_timer, ms, 0), 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static const nc_drop_flow_t flows[] = {
	[FLOW_CLOSED] = { IPPROTO_UDP, { 0 }, { 0 } },
	[FLOW_FORWARD] = { IPPROTO_UDP, { 0 }, { 0 } },
	[FLOW_UNUSED] = { IPPROTO_TCP, { 0 }, { 0 } },
	[FLOW_CLOSED6] = { IPPROTO_UDP, { 0 }, { 0 } },
	[FLOW_NEIGH] = { IPPROTO_UDP, { 0 }, { 0 } },
};

static void make_flows(nc_drop_flow_t *ret)
{
	memcpy(ret, flows, sizeof(flows));
	ret[FLOW_CLOSED].src = ep(SENDER, 0);
	ret[FLOW_CLOSED].dst = ep(RECEIVER, CLOSED_PORT);
	ret[FLOW_FORWARD].src = ep(SENDER, 0);
	ret[FLOW_FORWARD].dst = ep(BEYOND, CLOSED_PORT);
	ret[FLOW_UNUSED].src = ep(SENDER, 0);
	ret[FLOW_UNUSED].dst = ep(RECEIVER, 7);
	ret[FLOW_CLOSED6].src = ep(SENDER6, 0);
	ret[FLOW_CLOSED6].dst = ep(RECEIVER6, CLOSED_PORT);
	ret[FLOW_NEIGH].src = ep(SENDER, 0);
	ret[FLOW_NEIGH].dst = ep(NOBODY, CLOSED_PORT);
}

/* The drops of flow, all with one reason, SENT packets in all, checked for
 * where they happened; the reason's name. */
static const char *the_drops(nc_dropreason_t *d, size_t flow, int ifindex, uint32_t netns)
{
	unsigned packets = 0;
	const char *reason = NULL;

	assert_true(nc_dropreason_drop_count(d, flow) >= 1);
	for (size_t i = 0; i < nc_dropreason_drop_count(d, flow); i++) {
		const nc_drop_t *drop = nc_dropreason_drop(d, flow, i);
		nc_observation_t o;

		assert_int_equal(drop->ifindex, ifindex);
		assert_int_equal(drop->netns, netns);
		assert_int_equal(nc_dropreason_observe(d, drop, &o), 0);
		fprintf(stderr, "# flow %zu: %s\n", flow, o.text);
		if (reason != NULL)
			assert_string_equal(nc_dropreason_reason_name(d, drop->reason), reason);
		reason = nc_dropreason_reason_name(d, drop->reason);
		packets += drop->packets;
	}
	assert_int_equal(packets, SENT);
	return reason;
}

/* The one drop of flow, checked for where it happened; its reason's name. */
static const char *the_drop(nc_dropreason_t *d, size_t flow, int ifindex, uint32_t netns)
{
	nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
	const nc_drop_t *drop;
	const char *symbol;
	nc_observation_t o;

	assert_int_equal(nc_dropreason_drop_count(d, flow), 1);
	drop = nc_dropreason_drop(d, flow, 0);
	assert_non_null(drop);
	assert_int_equal(drop->packets, SENT);
	assert_false(drop->reply);
	assert_int_equal(drop->ifindex, ifindex);
	assert_int_equal(drop->netns, netns);
	assert_true(drop->first_ns <= drop->last_ns && drop->last_ns <= uv_hrtime());
	assert_true(drop->location != 0);
	assert_true(drop->symbol[0] != '\0'); /* named by the kernel in the event */
	make_flows(f);
	assert_int_equal(drop->proto, f[flow].proto);
	assert_true(nc_endpoint_equal(&drop->dst, &f[flow].dst));
	assert_true(nc_endpoint_addr_equal(&drop->src, &f[flow].src));
	assert_true(drop->src.port != 0);
	symbol = nc_dropreason_symbol(d, drop->location);
	assert_non_null(symbol);
	assert_int_equal(nc_dropreason_observe(d, drop, &o), 0);
	assert_string_equal(o.reason, nc_dropreason_reason_name(d, drop->reason));
	assert_string_equal(o.location, symbol);
	fprintf(stderr, "# flow %zu: %s\n", flow, o.text);
	return nc_dropreason_reason_name(d, drop->reason);
}

/* The end of a test that loaded the program: freed, unloaded (the kernel
 * says so), its sockets closed, the loop closing with no handle left. */
static void finish(nc_dropreason_t *d, int fd, int fd6, uv_loop_t *loop)
{
	nc_dropreason_free(d);
	assert_int_equal(programs_of_ours_settled(), 0);
	close(fd);
	close(fd6);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_drops_named(void **state)
{
	nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
	uint32_t netns = netns_inode(ns_receiver);
	int ifindex = in_namespace(ns_receiver, interface_index, "va");
	int sender_ifindex = in_namespace(ns_sender, interface_index, "vb");
	int inet = AF_INET, inet6 = AF_INET6;
	int fd = in_namespace(ns_sender, udp_sender, &inet), fd6 = in_namespace(ns_sender, udp_sender, &inet6);
	nc_error_t err = { "" };
	nc_dropreason_t *d = NULL;
	nc_drop_stats_t stats;
	const char *forward_reason;
	uint64_t start, named;
	uv_loop_t loop;
	int r;

	(void)state;
	assert_true(ifindex > 0);
	assert_true(fd >= 0 && fd6 >= 0);
	make_flows(f);
	assert_int_equal(uv_loop_init(&loop), 0);
	r = nc_dropreason_new(f, NC_ARRAY_SIZE(f), &d, &err);
	if (r < 0)
		fprintf(stderr, "# %s\n", err.text);
	assert_int_equal(r, 0);
	assert_int_equal(programs_of_ours(), 1);
	assert_int_equal(nc_dropreason_start(d, &loop), 0);
	assert_int_equal(nc_dropreason_start(d, &loop), -EALREADY);
	for (int i = 0; i < SENT; i++) {
		send_udp(fd, RECEIVER, CLOSED_PORT);
		send_udp(fd, BEYOND, CLOSED_PORT);
		send_udp(fd, RECEIVER, OTHER_PORT); /* no flow's: never an event */
		send_udp(fd6, RECEIVER6, CLOSED_PORT);
		send_udp(fd6, RECEIVER6, OTHER_PORT);
		send_udp(fd, NOBODY, CLOSED_PORT);
	}
	/* the sender's ARP for NOBODY gives up after one probe of 100 ms: at
	 * least 600 ms, and on a busy machine (the neighbour timer fires late)
	 * until its drop is in, at most 3 s; the other flows' drops came at
	 * once, and nothing more is sent meanwhile */
	for (int slice = 0; slice < 30; slice++) {
		run_for(&loop, 100);
		if (slice >= 5 && nc_dropreason_drop_count(d, FLOW_NEIGH) > 0)
			break;
	}
	assert_int_equal(nc_dropreason_stop(d), 0);
	assert_int_equal(nc_dropreason_stop(d), 0);

	/* the names are read when first asked for: the kernel's BTF, kallsyms */
	start = uv_hrtime();
	assert_non_null(nc_dropreason_reason_name(d, nc_dropreason_drop(d, FLOW_CLOSED, 0)->reason));
	named = uv_hrtime();
	assert_non_null(nc_dropreason_symbol(d, nc_dropreason_drop(d, FLOW_CLOSED, 0)->location));
	fprintf(stderr, "# naming, once per run with drops: reasons %.2f ms, locations %.2f ms\n",
		(double)(named - start) / 1e6, (double)(uv_hrtime() - named) / 1e6);
	assert_string_equal(the_drop(d, FLOW_CLOSED, ifindex, netns), "NO_SOCKET");
	/* forwarding disabled: the route lookup refuses the packet (6.18:
	 * IP_INADDRERRORS, "host unreachable"; older kernels say less) */
	forward_reason = the_drop(d, FLOW_FORWARD, ifindex, netns);
	assert_non_null(forward_reason);
	assert_string_not_equal(forward_reason, "NO_SOCKET");
	assert_string_equal(the_drop(d, FLOW_CLOSED6, ifindex, netns), "NO_SOCKET");
	/* on the way out, in the sender's namespace: the neighbour failed (its
	 * queue dropped at once, or one by one if a datagram came after) */
	assert_string_equal(the_drops(d, FLOW_NEIGH, sender_ifindex, netns_inode(ns_sender)), "NEIGH_FAILED");
	assert_int_equal(nc_dropreason_drop_count(d, FLOW_UNUSED), 0);
	nc_dropreason_stats(d, &stats);
	assert_int_equal(stats.events, 4 * SENT);
	assert_int_equal(stats.matched, 4 * SENT);
	assert_int_equal(stats.lost, 0);
	assert_true(stats.seen >= 6 * SENT);
	assert_false(stats.symbols_hidden);
	fprintf(stderr, "# load+attach %.2f ms, detach %.2f ms; seen %llu, matched %llu\n",
		(double)stats.attach_ns / 1e6, (double)stats.detach_ns / 1e6, (unsigned long long)stats.seen,
		(unsigned long long)stats.matched);
	finish(d, fd, fd6, &loop);
}

/* A watch's cycles: the program loaded once, each cycle's flows added
 * after the last one's are cleared.  The second cycle records its own
 * drops (NO_SOCKET of the IPv6 flow, now index 0) and none of the first
 * cycle's flow, whose packets keep being dropped. */
static void test_next_cycle_keeps_program(void **state)
{
	nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
	uint32_t netns = netns_inode(ns_receiver);
	int ifindex = in_namespace(ns_receiver, interface_index, "va");
	int inet = AF_INET, inet6 = AF_INET6;
	int fd = in_namespace(ns_sender, udp_sender, &inet), fd6 = in_namespace(ns_sender, udp_sender, &inet6);
	nc_error_t err = { "" };
	nc_dropreason_t *d = NULL;
	const nc_drop_t *drop;
	uv_loop_t loop;

	(void)state;
	assert_true(fd >= 0 && fd6 >= 0);
	make_flows(f);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_dropreason_new(&f[FLOW_CLOSED], 1, &d, &err), 0);
	assert_int_equal(nc_dropreason_start(d, &loop), 0);
	/* cycle 1: the IPv4 flow */
	for (int i = 0; i < SENT; i++)
		send_udp(fd, RECEIVER, CLOSED_PORT);
	run_for(&loop, 100);
	assert_true(nc_dropreason_consume(d) >= 0);
	assert_string_equal(the_drop(d, 0, ifindex, netns), "NO_SOCKET");
	/* between the cycles: forgotten, still attached (never loaded again) */
	assert_int_equal(nc_dropreason_clear_flows(d), 0);
	assert_int_equal(nc_dropreason_flow_count(d), 0);
	assert_int_equal(programs_of_ours(), 1);
	/* and the loop is not kept running by it: nothing to read */
	assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
	for (int i = 0; i < SENT; i++)
		send_udp(fd, RECEIVER, CLOSED_PORT); /* no flow's now */
	run_for(&loop, 50);
	/* cycle 2: the IPv6 flow at index 0, read on the loop again */
	assert_int_equal(nc_dropreason_add_flows(d, &f[FLOW_CLOSED6], 1), 0);
	assert_int_equal(nc_dropreason_start(d, &loop), 0);
	assert_int_equal(nc_dropreason_start(d, &loop), -EALREADY);
	for (int i = 0; i < SENT; i++) {
		send_udp(fd, RECEIVER, CLOSED_PORT);
		send_udp(fd6, RECEIVER6, CLOSED_PORT);
	}
	run_for(&loop, 100);
	assert_int_equal(nc_dropreason_stop(d), 0);
	assert_int_equal(nc_dropreason_drop_count(d, 0), 1);
	drop = nc_dropreason_drop(d, 0, 0);
	assert_int_equal(drop->packets, SENT);
	assert_true(nc_endpoint_equal(&drop->dst, &f[FLOW_CLOSED6].dst));
	assert_string_equal(nc_dropreason_reason_name(d, drop->reason), "NO_SOCKET");
	finish(d, fd, fd6, &loop);
}

/* this process's CPU time, user and system (the verifier runs as system) */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The cost a run pays: new (open, load, attach) + stop (detach, drain) +
 * free, the median of 7 after the first, 100 ms apart. */
static void test_cost(void **state)
{
	nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
	uint64_t total[7], cpu[7], attach[7], detach[7], first = 0;

	(void)state;
	make_flows(f);
	for (int i = -1; i < 7; i++) {
		nc_error_t err = { "" };
		nc_dropreason_t *d = NULL;
		nc_drop_stats_t stats;
		uint64_t start, cpu_start;

		/* a run loads once: let the last one's release (RCU) settle first */
		usleep(100000);
		start = uv_hrtime();
		cpu_start = cpu_ns();

		assert_int_equal(nc_dropreason_new(f, NC_ARRAY_SIZE(f), &d, &err), 0);
		assert_int_equal(nc_dropreason_stop(d), 0);
		nc_dropreason_stats(d, &stats);
		nc_dropreason_free(d);
		if (i < 0) {
			first = uv_hrtime() - start;
			continue;
		}
		total[i] = uv_hrtime() - start;
		cpu[i] = cpu_ns() - cpu_start;
		attach[i] = stats.attach_ns;
		detach[i] = stats.detach_ns;
	}
	qsort(total, 7, sizeof(total[0]), cmp_u64);
	qsort(cpu, 7, sizeof(cpu[0]), cmp_u64);
	qsort(attach, 7, sizeof(attach[0]), cmp_u64);
	qsort(detach, 7, sizeof(detach[0]), cmp_u64);
	fprintf(stderr, "# cost per run (median of 7): %.2f ms wall, %.2f ms CPU (load+attach %.2f, detach %.2f); "
		"first %.2f ms; budget %.0f ms\n", (double)total[3] / 1e6, (double)cpu[3] / 1e6, (double)attach[3] / 1e6,
		(double)detach[3] / 1e6, (double)first / 1e6, LIMIT_MS);
	assert_int_equal(programs_of_ours_settled(), 0);
}

struct loaded {
	nc_dropreason_t *d;
	int status;
	uint64_t at;
	uint64_t last_tick;
	uint64_t longest_gap;  /* the longest the loop went without running a 1 ms timer */
	uv_timer_t ticker;
};

static void on_tick(uv_timer_t *timer)
{
	struct loaded *l = timer->data;
	uint64_t now = uv_hrtime();

	if (now - l->last_tick > l->longest_gap)
		l->longest_gap = now - l->last_tick;
	l->last_tick = now;
}

static void on_loaded(nc_dropreason_t *d, int status, const nc_error_t *err, void *data)
{
	struct loaded *l = data;

	if (status < 0)
		fprintf(stderr, "# %s\n", err->text);
	l->d = d;
	l->status = status;
	l->at = uv_hrtime();
	uv_timer_stop(&l->ticker);
	uv_close((uv_handle_t *)&l->ticker, NULL);
}

static void on_warm(uv_work_t *req)
{
	(void)req;
}

/* Loaded on libuv's pool, the run's loop goes on: the longest it waited
 * (a 1 ms timer's longest gap) is what a run pays on the loop.  The pool's
 * threads are started first (once per process, whoever uses it first: the
 * first queueing otherwise costs their creation, 0.5-12 ms here). */
static void test_async_keeps_the_loop_going(void **state)
{
	nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
	struct loaded l = { 0 };
	uv_loop_t loop;
	uint64_t start, queued;
	uv_work_t warm;

	(void)state;
	make_flows(f);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(uv_queue_work(&loop, &warm, on_warm, NULL), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_timer_init(&loop, &l.ticker), 0);
	l.ticker.data = &l;
	start = l.last_tick = uv_hrtime();
	assert_int_equal(nc_dropreason_new_async(&loop, f, 0, on_loaded, &l, NULL), 0);
	queued = uv_hrtime() - start;
	assert_int_equal(uv_timer_start(&l.ticker, on_tick, 1, 1), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(l.status, 0);
	assert_non_null(l.d);
	/* the flows come later, when the run knows its addresses */
	assert_int_equal(nc_dropreason_add_flows(l.d, f, NC_ARRAY_SIZE(f)), 0);
	assert_int_equal(nc_dropreason_flow_count(l.d), NC_ARRAY_SIZE(f));
	assert_int_equal(nc_dropreason_add_flows(l.d, f, NC_DROP_MAX_FLOWS), -E2BIG);
	fprintf(stderr, "# loaded on the pool in %.2f ms; on the loop: %.3f ms to queue, longest wait %.2f ms\n",
		(double)(l.at - start) / 1e6, (double)queued / 1e6, (double)l.longest_gap / 1e6);
	assert_int_equal(nc_dropreason_stop(l.d), 0);
	assert_int_equal(nc_dropreason_add_flows(l.d, f, 1), -EINVAL);
	nc_dropreason_free(l.d);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(programs_of_ours_settled(), 0);
}

/* A run killed with SIGKILL leaves nothing attached: the link goes with
 * its last fd. */
static void test_killed_run_leaves_nothing(void **state)
{
	int ready[2], status;
	unsigned attached;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
		nc_error_t err = { "" };
		nc_dropreason_t *d = NULL;

		make_flows(f);
		if (nc_dropreason_new(f, NC_ARRAY_SIZE(f), &d, &err) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	attached = read(ready[0], &c, 1) == 1 ? programs_of_ours() : 0;
	close(ready[0]);
	/* killed before any check: a child left behind would hold the test's output open */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(attached, 1);
	assert_int_equal(programs_of_ours_settled(), 0);
}

/* Without privilege: -EPERM and one line that says what is missing. */
static void test_without_privilege(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		nc_drop_flow_t f[NC_ARRAY_SIZE(flows)];
		nc_error_t err = { "" };
		nc_dropreason_t *d = NULL;
		int r;

		make_flows(f);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		r = nc_dropreason_new(f, NC_ARRAY_SIZE(f), &d, &err);
		fprintf(stderr, "# without privilege: %d %s\n", r, err.text);
		_exit(r == -EPERM && d == NULL && strstr(err.text, "CAP_BPF") != NULL && strchr(err.text, '\n') == NULL
			      ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static bool make_namespaces(void)
{
	snprintf(ns_receiver, sizeof(ns_receiver), "ncdrop-%d-r", (int)getpid());
	snprintf(ns_sender, sizeof(ns_sender), "ncdrop-%d-s", (int)getpid());
	atexit(remove_namespaces);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return sh("set -e; R=%s S=%s\n"
		  "ip netns add $R; ip netns add $S\n"
		  "ip -n $R link set lo up; ip -n $S link set lo up\n"
		  "ip -n $R link add va type veth peer name vb netns $S\n"
		  "ip -n $R addr add " RECEIVER "/24 dev va; ip -n $R link set va up\n"
		  "ip -n $S addr add " SENDER "/24 dev vb; ip -n $S link set vb up\n"
		  "ip -n $R addr add " RECEIVER6 "/64 dev va nodad; ip -n $S addr add " SENDER6 "/64 dev vb nodad\n"
		  "ip -n $R route add 198.18.1.0/24 dev va\n"
		  "ip -n $S route add 198.18.1.0/24 via " RECEIVER "\n"
		  "ip netns exec $R sysctl -q -w net.ipv4.ip_forward=0\n"
		  "ip netns exec $S sysctl -q -w net.ipv4.neigh.vb.mcast_solicit=1 net.ipv4.neigh.vb.retrans_time_ms=100\n",
		  ns_receiver, ns_sender) == 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drops_named),
		cmocka_unit_test(test_next_cycle_keeps_program),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_async_keeps_the_loop_going),
		cmocka_unit_test(test_killed_run_leaves_nothing),
		cmocka_unit_test(test_without_privilege),
	};

	if (geteuid() != 0)
		return missing("needs root (namespaces, eBPF)");
	if (sh("command -v ip >/dev/null") != 0)
		return missing("no ip (iproute2)");
	if (programs_of_ours() != 0)
		return missing("a program of ours is attached already (another run?)");
	if (!make_namespaces())
		return missing("could not make the test's namespaces and veth pair");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
	return missing("built without eBPF (libbpf, clang, bpftool)");
}

#endif
