/* Integration test for the remote client namespace (platform-netns.c):
 * creates netcheck-<id>, checks what `ip` sees (the namespace listed; inside,
 * a host route to the primary address and no default route), connects by
 * TCP on a libuv loop and by UDP from sockets made inside it to listeners
 * bound to the host's primary address only, and checks the server saw
 * 198.18.<a>.2: the packets came from the namespace.  Then destroy, and
 * nothing is left.  A second run of this binary (--hold ID) creates one
 * and waits; killed with SIGKILL, it leaves a namespace that
 * nc_platform_remote_list finds and nc_platform_remote_destroy_name removes.
 *
 * Traffic: only between 198.18.<a>.2 and this host's own primary address.
 * Needs root and iproute2's `ip` (for the checks only); without them it
 * skips (77), or fails when NC_CI=1 or CI=true. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "netcheck/common.h"
#include "netcheck/platform.h"

#define WATCHDOG_MS 5000

static char self_path[4096]; /* this binary, for --hold; not /proc/self/exe, which is valgrind under it */

/* The first line `cmd` prints that contains want (NULL: any), or "" */
static bool output_has(const char *cmd, const char *want)
{
	char line[512];
	bool found = false;
	FILE *p = popen(cmd, "r");

	if (p == NULL)
		return false;
	for (unsigned n = 0; n < 10000 && fgets(line, sizeof(line), p) != NULL; n++)
		if (want == NULL || strstr(line, want) != NULL)
			found = true;
	pclose(p);
	return found;
}

static bool netns_listed(const char *name)
{
	char want[NC_REMOTE_NAME_MAX + 2];

	snprintf(want, sizeof(want), "%s ", name); /* "name (id: 3)" or "name" */
	return output_has("ip netns list | sed 's/$/ /'", want);
}

static bool link_exists(const char *ifname)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip -o link show dev %s 2>/dev/null", ifname);
	return output_has(cmd, NULL);
}

static bool gone(const nc_platform_remote_t *was)
{
	struct stat st;

	return !netns_listed(was->netns_name) && stat(was->netns_path, &st) < 0 && !link_exists(was->host_ifname);
}

static void test_id(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "t%s%x", what, (unsigned)getpid());
}

/* ---- TCP over libuv: the way probe.c will use it ------------------------- */

typedef struct tcp_case {
	uv_tcp_t server, client, accepted;
	uv_connect_t connect;
	uv_timer_t watchdog;
	nc_endpoint_t peer; /* as the server saw it */
	int connect_status;
	bool accepted_open;
} tcp_case_t;

static void close_all(tcp_case_t *t)
{
	uv_close((uv_handle_t *)&t->server, NULL);
	uv_close((uv_handle_t *)&t->client, NULL);
	if (t->accepted_open)
		uv_close((uv_handle_t *)&t->accepted, NULL);
	uv_close((uv_handle_t *)&t->watchdog, NULL);
}

static void on_watchdog(uv_timer_t *timer)
{
	close_all(timer->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	tcp_case_t *t = server->data;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (status < 0)
		return;
	uv_tcp_init(server->loop, &t->accepted);
	t->accepted_open = true;
	if (uv_accept(server, (uv_stream_t *)&t->accepted) == 0 &&
	    uv_tcp_getpeername(&t->accepted, (struct sockaddr *)&ss, &len) == 0)
		nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &t->peer);
	if (t->connect_status != 1)
		close_all(t);
}

static void on_connect(uv_connect_t *req, int status)
{
	tcp_case_t *t = req->data;

	t->connect_status = status;
	if (t->accepted_open)
		close_all(t);
	else if (status < 0)
		close_all(t);
}

static void check_tcp(const nc_platform_remote_t *r)
{
	tcp_case_t t;
	uv_loop_t loop;
	struct sockaddr_storage ss;
	socklen_t sl;
	int len = sizeof(ss), fd = -1;
	nc_endpoint_t bound;

	memset(&t, 0, sizeof(t));
	t.connect_status = 1; /* pending */
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(uv_tcp_init(&loop, &t.server), 0);
	assert_int_equal(uv_tcp_init(&loop, &t.client), 0);
	assert_int_equal(uv_timer_init(&loop, &t.watchdog), 0);
	t.server.data = t.connect.data = t.watchdog.data = &t;
	/* the host's primary address only: a connection can come from outside
	 * this host's loopback only through the route in the namespace */
	assert_int_equal(nc_endpoint_to_sockaddr(&r->host_address, &ss, &sl), 0);
	assert_int_equal(uv_tcp_bind(&t.server, (struct sockaddr *)&ss, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&t.server, 4, on_connection), 0);
	assert_int_equal(uv_tcp_getsockname(&t.server, (struct sockaddr *)&ss, &len), 0);
	nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &bound);

	assert_int_equal(nc_platform_remote_connect_fd(r, SOCK_STREAM, &fd), 0);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	assert_int_equal(uv_tcp_open(&t.client, fd), 0);
	assert_int_equal(nc_endpoint_to_sockaddr(&bound, &ss, &sl), 0);
	assert_int_equal(uv_tcp_connect(&t.connect, &t.client, (struct sockaddr *)&ss, on_connect), 0);
	assert_int_equal(uv_timer_start(&t.watchdog, on_watchdog, WATCHDOG_MS, 0), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);

	assert_int_equal(t.connect_status, 0);
	assert_int_equal(t.peer.family, AF_INET);
	assert_true(nc_endpoint_addr_equal(&t.peer, &r->client_address));
}

/* ---- UDP: one datagram, its source as the receiver saw it ---------------- */

static void check_udp(const nc_platform_remote_t *r)
{
	struct sockaddr_storage ss, from;
	socklen_t sl, fl = sizeof(from);
	struct pollfd pfd;
	nc_endpoint_t seen;
	char buf[16];
	int server, client = -1;

	server = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(server >= 0);
	assert_int_equal(nc_endpoint_to_sockaddr(&r->host_address, &ss, &sl), 0);
	assert_int_equal(bind(server, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(getsockname(server, (struct sockaddr *)&ss, &sl), 0);
	assert_int_equal(nc_platform_remote_connect_fd(r, SOCK_DGRAM, &client), 0);
	assert_true(sendto(client, "nc", 2, 0, (struct sockaddr *)&ss, sl) == 2);
	pfd = (struct pollfd){ .fd = server, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, WATCHDOG_MS), 1);
	assert_true(recvfrom(server, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) == 2);
	nc_endpoint_from_sockaddr((struct sockaddr *)&from, &seen);
	assert_true(nc_endpoint_addr_equal(&seen, &r->client_address));
	close(client);
	close(server);
}

static void test_create_connect_destroy(void **state)
{
	nc_platform_remote_t r, was;
	nc_error_t err = { { 0 } };
	char id[32], cmd[160], host[NC_ENDPOINT_STRLEN], want[NC_ENDPOINT_STRLEN + 8];
	int rc;

	(void)state;
	test_id(id, sizeof(id), "a");
	rc = nc_platform_remote_create(id, &r, &err);
	if (rc < 0)
		fail_msg("create: %s", err.text);
	was = r;
	assert_true(netns_listed(r.netns_name));
	assert_true(link_exists(r.host_ifname));
	/* inside: the host route to the primary address, no default route */
	nc_endpoint_format(&r.host_address, false, host, sizeof(host));
	snprintf(want, sizeof(want), "%s via ", host);
	snprintf(cmd, sizeof(cmd), "ip -n %s -4 route", r.netns_name);
	assert_true(output_has(cmd, want));
	assert_false(output_has(cmd, "default"));
	snprintf(cmd, sizeof(cmd), "ip -n %s -6 route", r.netns_name);
	assert_false(output_has(cmd, "default"));
	/* the host side's address, and the client's inside */
	assert_int_equal(ntohl(r.client_address.addr.v4.s_addr) & 0xfffe0003u, (198u << 24 | 18u << 16) | 2u);
	assert_int_equal(ntohl(r.host_side_address.addr.v4.s_addr) + 1, ntohl(r.client_address.addr.v4.s_addr));

	check_tcp(&r);
	check_udp(&r);

	/* a second run with the same id is refused, and leaves the first alone */
	{
		nc_platform_remote_t again;
		assert_true(nc_platform_remote_create(id, &again, &err) < 0);
		assert_string_equal(again.netns_name, "");
		assert_true(netns_listed(r.netns_name));
	}

	nc_platform_remote_destroy(&r);
	assert_string_equal(r.netns_name, "");
	assert_true(gone(&was));
	nc_platform_remote_destroy(&r); /* idempotent */
	nc_platform_remote_destroy(NULL);
	assert_int_equal(nc_platform_remote_connect_fd(&r, SOCK_STREAM, &rc), -EINVAL);
}

/* Runs `<self> --hold id`, waits until it has made the namespace, SIGKILLs
 * it and returns once it is reaped. */
static void kill_holder(const char *id)
{
	char line[32] = "";
	int pipefd[2];
	struct pollfd pfd;
	pid_t pid;
	int status;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		execl(self_path, "test-remote-ns", "--hold", id, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, WATCHDOG_MS), 1);
	assert_true(read(pipefd[0], line, sizeof(line) - 1) > 0);
	close(pipefd[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(strncmp(line, "ready", 5) == 0);
}

static bool listed(const char *name)
{
	char names[32][NC_REMOTE_NAME_MAX];
	size_t n = 0;

	assert_int_equal(nc_platform_remote_list(names, 32, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void test_killed_leftover(void **state)
{
	nc_platform_remote_t left;
	char id[32];

	(void)state;
	test_id(id, sizeof(id), "k");
	kill_holder(id);
	memset(&left, 0, sizeof(left));
	snprintf(left.netns_name, sizeof(left.netns_name), "netcheck-%s", id);
	snprintf(left.netns_path, sizeof(left.netns_path), "/run/netns/netcheck-%s", id);
	snprintf(left.host_ifname, sizeof(left.host_ifname), "ncr%.12s", id);
	assert_true(netns_listed(left.netns_name));
	assert_true(link_exists(left.host_ifname));
	assert_true(listed(left.netns_name));
	assert_int_equal(nc_platform_remote_destroy_name(left.netns_name), 0);
	assert_true(gone(&left));
	assert_false(listed(left.netns_name));
	assert_int_equal(nc_platform_remote_destroy_name(left.netns_name), 0); /* already gone */
}

/* What destroy_name relies on only as a second line: a veth whose peer's
 * namespace is freed goes with it, once the kernel's worker gets to it. */
static void test_veth_follows_namespace(void **state)
{
	nc_platform_remote_t r;
	nc_error_t err;
	char id[32];
	bool veth_gone = false;

	(void)state;
	test_id(id, sizeof(id), "v");
	assert_int_equal(nc_platform_remote_create(id, &r, &err), 0);
	assert_int_equal(umount2(r.netns_path, MNT_DETACH), 0);
	assert_int_equal(unlink(r.netns_path), 0);
	for (int i = 0; i < 100 && !veth_gone; i++) { /* up to 5 s */
		veth_gone = !link_exists(r.host_ifname);
		if (!veth_gone)
			usleep(50000);
	}
	nc_platform_remote_destroy(&r); /* whatever is left */
	assert_true(veth_gone);
}

static int hold(const char *id)
{
	nc_platform_remote_t r;
	nc_error_t err;

	if (nc_platform_remote_create(id, &r, &err) < 0) {
		fprintf(stderr, "%s\n", err.text);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sleep(60); /* killed long before; bounded if not */
	nc_platform_remote_destroy(&r);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_connect_destroy),
		cmocka_unit_test(test_killed_leftover),
		cmocka_unit_test(test_veth_follows_namespace),
	};
	const char *ci = getenv("CI"), *nc_ci = getenv("NC_CI");
	bool in_ci = (ci != NULL && strcmp(ci, "true") == 0) || (nc_ci != NULL && strcmp(nc_ci, "1") == 0);
	const char *missing = NULL;

	if (argc == 3 && strcmp(argv[1], "--hold") == 0)
		return hold(argv[2]);
	if (realpath(argv[0], self_path) == NULL)
		return 1;
	if (geteuid() != 0)
		missing = "needs root (namespaces, veth)";
	else if (system("ip -V >/dev/null 2>&1") != 0)
		missing = "iproute2's ip (for the checks)";
	if (missing != NULL) {
		fprintf(stderr, "%s: %s\n", in_ci ? "FAIL: prerequisite missing in CI" : "SKIP", missing);
		return in_ci ? 1 : 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
