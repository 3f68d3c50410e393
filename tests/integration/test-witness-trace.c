/* Integration test for the nftables trace (netcheck/witness): in a network
 * namespace of this process's own (unshare(CLONE_NEWNET): the host's
 * ruleset is never seen, let alone touched), a table of the test's own
 * (`inet nctest`) drops TCP 7101 and rejects TCP 7102, each rule with a
 * comment; the trace of the run's flows must name the dropping and the
 * rejecting rule (handle, chain, comment through the rule text), and
 * afterwards the namespace's ruleset is exactly as before.  A trace whose
 * process is killed with SIGKILL leaves no table (the table is owned by
 * its socket); gc removes a table of a run that is gone; without
 * CAP_NET_ADMIN the trace says so in one line.  Prints the cost: install,
 * reading, removal (issue 17: at most 10 ms per run).
 *
 * Traffic: the namespace's loopback only.  Needs root (a namespace,
 * nf_tables) and libnftables, libnftnl, libmnl at build; without them it
 * skips (77), or fails when NC_CI=1 or CI=true. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#ifdef NC_HAVE_NFTABLES
#include <nftables/libnftables.h>
#endif

#include "netcheck/common.h"
#include "netcheck/witness.h"

#define PORT_DROP 7101
#define PORT_REJECT 7102
#define LIMIT_MS 10.0

#if defined(NC_HAVE_NFTABLES) && defined(NC_HAVE_NFTRACE)

/* `nft -a -s` cmd in this namespace: its output, new (malloc), or NULL */
static char *nft(const char *cmd)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	char *out = NULL;

	assert_non_null(ctx);
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_STATELESS);
	assert_int_equal(nft_ctx_buffer_output(ctx), 0);
	assert_int_equal(nft_ctx_buffer_error(ctx), 0);
	if (nft_run_cmd_from_buffer(ctx, cmd) == 0)
		out = strdup(nft_ctx_get_output_buffer(ctx));
	else
		fprintf(stderr, "nft %s: %s\n", cmd, nft_ctx_get_error_buffer(ctx));
	nft_ctx_free(ctx);
	return out;
}

static nc_endpoint_t ep(const char *addr, uint16_t port)
{
	nc_endpoint_t e;

	assert_int_equal(nc_endpoint_parse(addr, port, &e), 0);
	return e;
}

static int tcp_connect(const char *addr, uint16_t port)
{
	nc_endpoint_t e = ep(addr, port);
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(e.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(nc_endpoint_to_sockaddr(&e, &ss, &len), 0);
	assert_true(connect(fd, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS);
	return fd;
}

static double ms_since(uint64_t start)
{
	return (double)(uv_hrtime() - start) / 1e6;
}

/* this thread's CPU time, ns: a cost the other tenants of the machine cannot inflate */
static uint64_t cpu_now(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_timer(uv_timer_t *timer)
{
	uv_stop(timer->loop);
}

static void on_warm(uv_work_t *req)
{
	(void)req;
}

struct removed {
	unsigned calls;
	int status;
	uint64_t at;
};

static void on_removed(nc_trace_t *t, int status, void *data)
{
	struct removed *r = data;

	(void)t;
	r->calls++;
	r->status = status;
	r->at = uv_hrtime();
}

static const nc_trace_step_t *dropped_at(const nc_trace_t *t, size_t flow)
{
	return nc_witness_trace_drop(t, flow, NULL);
}

static void assert_named(const nc_witness_rules_t *rules, const nc_trace_step_t *s, const char *verb,
			 const char *comment)
{
	const char *text, *got_comment = NULL;

	assert_non_null(s);
	assert_string_equal(s->table, "nctest");
	assert_string_equal(s->chain, "input");
	assert_int_equal(s->family, 1 /* inet */);
	assert_int_equal(s->type, NC_TRACE_RULE);
	text = nc_witness_rules_text(rules, s->family, s->table, s->chain, s->handle, &got_comment);
	assert_non_null(text);
	assert_non_null(strstr(text, verb));
	assert_non_null(got_comment);
	assert_string_equal(got_comment, comment);
	printf("# trace: %s %s %s handle %llu: %s\n", nc_witness_family_name(s->family), s->table, s->chain,
	       (unsigned long long)s->handle, text);
}

static char *before; /* the namespace's ruleset with the test's own table, before any trace */

static void test_trace_names_the_rules(void **state)
{
	const nc_trace_flow_t flows[] = {
		{ IPPROTO_TCP, ep("127.0.0.1", 0), ep("127.0.0.1", PORT_DROP) },
		{ IPPROTO_TCP, ep("127.0.0.1", 0), ep("127.0.0.1", PORT_REJECT) },
		{ IPPROTO_TCP, ep("::1", 0), ep("::1", PORT_DROP) },
	};
	nc_error_t err = { "" };
	nc_trace_t *t = NULL;
	nc_witness_rules_t *rules = NULL;
	nc_trace_stats_t st;
	uv_loop_t loop;
	uv_timer_t timer;
	uint64_t start;
	double install_ms, stop_ms, remove_ms, rules_ms, removed_wall_ms, install_cpu_ms, remove_cpu_ms, cost_cpu_ms;
	uint64_t cpu_start;
	struct removed removed = { 0 };
	uv_work_t warm;
	int fds[3];
	char *during, *after;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	/* a run's loop has libuv's pool running already (capture closes its
	 * pcap handles there): start it here too, so the first use's thread
	 * creation is not counted as the removal's */
	assert_int_equal(uv_queue_work(&loop, &warm, on_warm, NULL), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	start = uv_hrtime();
	cpu_start = cpu_now();
	assert_int_equal(nc_witness_trace_new("it-1", flows, NC_ARRAY_SIZE(flows), &t, &err), 0);
	assert_int_equal(nc_witness_trace_start(t, &loop), 0);
	install_ms = ms_since(start);
	install_cpu_ms = (double)(cpu_now() - cpu_start) / 1e6;
	assert_int_equal(nc_witness_trace_start(t, &loop), -EALREADY);
	assert_non_null(strstr(nc_witness_trace_table(t), "netcheck_trace_"));
	assert_non_null(strstr(nc_witness_trace_table(t), "_it_1"));

	during = nft("list ruleset");
	assert_non_null(strstr(during, nc_witness_trace_table(t)));
	assert_non_null(strstr(during, "meta nftrace set 1"));
	free(during);

	fds[0] = tcp_connect("127.0.0.1", PORT_DROP);
	fds[1] = tcp_connect("127.0.0.1", PORT_REJECT);
	fds[2] = tcp_connect("::1", PORT_DROP);
	assert_int_equal(uv_timer_init(&loop, &timer), 0);
	assert_int_equal(uv_timer_start(&timer, on_timer, 300, 0), 0);
	uv_run(&loop, UV_RUN_DEFAULT);

	start = uv_hrtime();
	assert_int_equal(nc_witness_trace_stop(t), 0);
	stop_ms = ms_since(start);
	/* the run's way: the deletion on the pool, the loop goes on */
	start = uv_hrtime();
	cpu_start = cpu_now();
	assert_int_equal(nc_witness_trace_remove_async(t, on_removed, &removed), 0);
	remove_ms = ms_since(start);
	remove_cpu_ms = (double)(cpu_now() - cpu_start) / 1e6;
	assert_int_equal(nc_witness_trace_remove_async(t, on_removed, &removed), -EALREADY);
	assert_int_equal(nc_witness_trace_owner_fd(t), -1);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(removed.calls, 1);
	assert_int_equal(removed.status, 0);
	removed_wall_ms = (double)(removed.at - start) / 1e6;
	assert_int_equal(nc_witness_trace_remove(t, &err), 0); /* idempotent */

	start = uv_hrtime();
	assert_int_equal(nc_witness_rules_read(&rules, &err), 0);
	rules_ms = ms_since(start);
	assert_named(rules, dropped_at(t, 0), "drop", "nctest drop");
	assert_named(rules, dropped_at(t, 1), "reject with tcp reset", "nctest reject");
	assert_named(rules, dropped_at(t, 2), "drop", "nctest drop");
	assert_int_equal(dropped_at(t, 0)->handle, dropped_at(t, 2)->handle); /* one inet rule, both families */
	assert_true(dropped_at(t, 0)->handle != dropped_at(t, 1)->handle);

	nc_witness_trace_stats(t, &st);
	cost_cpu_ms = install_cpu_ms + (double)st.read_ns / 1e6 + remove_cpu_ms;
	printf("# witness-trace cost on the loop, CPU: install %.2f ms, reading %.2f ms (%u events, %u of the run's), "
	       "queueing the removal %.2f ms: %.2f ms in all (limit %.0f ms); wall: install %.2f ms, final drain "
	       "%.2f ms, queueing the removal %.2f ms; the removal done on the pool %.2f ms later; rule text %.2f ms\n",
	       install_cpu_ms, (double)st.read_ns / 1e6, st.events, st.matched, remove_cpu_ms, cost_cpu_ms, LIMIT_MS,
	       install_ms, stop_ms, remove_ms, removed_wall_ms, rules_ms);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.malformed, 0);
	assert_true(cost_cpu_ms < LIMIT_MS);

	/* the conntrack table of the namespace reads (whatever it holds) */
	{
		nc_witness_ct_entry_t *ct = NULL;
		size_t n_ct = 0;

		start = uv_hrtime();
		assert_int_equal(nc_witness_conntrack_read(flows, NC_ARRAY_SIZE(flows), &ct, &n_ct, &err), 0);
		printf("# conntrack: %zu entries of the run's flows, read in %.2f ms\n", n_ct, ms_since(start));
		free(ct);
	}

	after = nft("list ruleset");
	assert_string_equal(after, before);
	free(after);
	nc_witness_rules_free(rules);
	nc_witness_trace_free(t);
	for (size_t i = 0; i < NC_ARRAY_SIZE(fds); i++)
		close(fds[i]);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* The removal in the calling thread: idempotent, and the ruleset as before. */
static void test_remove_in_place(void **state)
{
	const nc_trace_flow_t flow = { IPPROTO_ICMP, { 0 }, ep("127.0.0.1", 0) };
	nc_error_t err = { "" };
	nc_trace_t *t = NULL;
	uint64_t start;
	char *after;

	const nc_trace_flow_t later[] = {
		{ IPPROTO_TCP, { 0 }, ep("127.0.0.1", PORT_DROP) },
		{ IPPROTO_UDP, ep("::1", 0), ep("::1", 53) },
	};
	nc_trace_flow_t too_many[NC_TRACE_MAX_FLOWS];
	char *during;

	(void)state;
	assert_int_equal(nc_witness_trace_new("it-2", &flow, 1, &t, &err), 0);
	assert_true(nc_witness_trace_owner_fd(t) >= 0);
	/* flows learned later: their rules join the table's */
	assert_int_equal(nc_witness_trace_add_flows(t, later, NC_ARRAY_SIZE(later), &err), 0);
	assert_int_equal(nc_witness_trace_flow_count(t), 3);
	during = nft("list ruleset");
	assert_non_null(strstr(during, "netcheck trace: flow 2 reply"));
	assert_non_null(strstr(during, "tcp dport 7101"));
	free(during);
	for (size_t i = 0; i < NC_TRACE_MAX_FLOWS; i++)
		too_many[i] = later[0];
	assert_int_equal(nc_witness_trace_add_flows(t, too_many, NC_TRACE_MAX_FLOWS - 2, &err), -EINVAL);
	assert_int_equal(nc_witness_trace_flow_count(t), 3);
	assert_int_equal(nc_witness_trace_remove_async(t, NULL, NULL), -EINVAL); /* never started */
	start = uv_hrtime();
	assert_int_equal(nc_witness_trace_remove(t, &err), 0);
	printf("# witness-trace removal in the calling thread: %.2f ms (the kernel's grace period)\n", ms_since(start));
	assert_int_equal(nc_witness_trace_remove(t, &err), 0);
	assert_int_equal(nc_witness_trace_owner_fd(t), -1);
	assert_int_equal(nc_witness_trace_add_flows(t, later, 1, &err), -ENOENT);
	after = nft("list ruleset");
	assert_string_equal(after, before);
	free(after);
	nc_witness_trace_free(t);
}

/* A run killed with SIGKILL: the kernel removes its table with its socket. */
static void test_killed_run_leaves_nothing(void **state)
{
	int ready[2];
	char c;
	pid_t pid;
	char *during, *after;

	(void)state;
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const nc_trace_flow_t flow = { IPPROTO_UDP, { 0 }, ep("127.0.0.1", 7103) };
		nc_error_t err = { "" };
		nc_trace_t *t;

		if (nc_witness_trace_new("it-killed", &flow, 1, &t, &err) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	during = nft("list ruleset");
	assert_non_null(strstr(during, "_it_killed"));
	free(during);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* the socket's release is the kernel's work after the exit: give it a moment */
	for (int i = 0; i < 100; i++) {
		after = nft("list ruleset");
		if (strcmp(after, before) == 0)
			break;
		free(after);
		after = NULL;
		usleep(10000);
	}
	assert_non_null(after);
	assert_string_equal(after, before);
	free(after);
}

/* gc: a trace table of a run that is gone (a kernel without owner tables
 * keeps them) goes; one of a live netcheck stays; other tables stay. */
static void test_gc(void **state)
{
	nc_error_t err = { "" };
	char *after, *listing;

	(void)state;
	free(nft("add table inet netcheck_trace_4000000_gone"));
	free(nft("add table inet netcheck_trace_notapid"));
	free(nft("add table inet netcheck_tracer"));
	assert_int_equal(nc_witness_trace_gc(&err), 2);
	listing = nft("list ruleset");
	assert_null(strstr(listing, "netcheck_trace_4000000_gone"));
	assert_null(strstr(listing, "netcheck_trace_notapid"));
	assert_non_null(strstr(listing, "netcheck_tracer"));
	free(listing);
	free(nft("delete table inet netcheck_tracer"));
	assert_int_equal(nc_witness_trace_gc(&err), 0);
	after = nft("list ruleset");
	assert_string_equal(after, before);
	free(after);
}

/* A connection looked up by its tuple: a hash lookup, not a dump. */
static void test_conntrack_lookup(void **state)
{
	nc_endpoint_t server = ep("127.0.0.1", 7105);
	nc_trace_flow_t exact = { IPPROTO_TCP, { 0 }, server };
	struct sockaddr_storage ss;
	socklen_t len;
	nc_witness_ct_entry_t e;
	nc_error_t err = { "" };
	int listener, client, one = 1;
	uint64_t start;
	double lookup_ms;
	char *after;

	(void)state;
	/* conntrack follows a namespace's packets once a rule asks for it */
	free(nft("table inet nctest_ct {\n chain out {\n type filter hook output priority 0; policy accept;\n"
		 " ct state new counter\n }\n}\n"));
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(nc_endpoint_to_sockaddr(&server, &ss, &len), 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(listener, 1), 0);
	assert_int_equal(connect(client, (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(client, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(nc_endpoint_from_sockaddr((struct sockaddr *)&ss, &exact.src), 0);

	start = uv_hrtime();
	assert_int_equal(nc_witness_conntrack_lookup(&exact, &e, &err), 0);
	lookup_ms = ms_since(start);
	printf("# conntrack lookup of one connection: %.3f ms\n", lookup_ms);
	assert_int_equal(e.proto, IPPROTO_TCP);
	assert_true(nc_endpoint_equal(&e.orig_src, &exact.src));
	assert_true(nc_endpoint_equal(&e.reply_src, &server));
	assert_false(e.dnat || e.snat);
	assert_string_equal(nc_witness_tcp_state_name(e.tcp_state), "ESTABLISHED");
	exact.dst.port = 7106;
	assert_int_equal(nc_witness_conntrack_lookup(&exact, &e, &err), -ENOENT);
	exact.src.family = 0;
	assert_int_equal(nc_witness_conntrack_lookup(&exact, &e, &err), -EINVAL);
	close(client);
	close(listener);

	free(nft("delete table inet nctest_ct"));
	after = nft("list ruleset");
	assert_string_equal(after, before);
	free(after);
}

/* Without CAP_NET_ADMIN: -EPERM and one line that says so. */
static void test_without_privilege(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const nc_trace_flow_t flow = { IPPROTO_TCP, { 0 }, ep("127.0.0.1", 7104) };
		nc_error_t err = { "" };
		nc_trace_t *t = NULL;
		int r;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		nc_witness_ct_entry_t *ct = NULL;
		size_t n_ct = 0;
		nc_error_t ct_err = { "" };
		int ct_r;

		r = nc_witness_trace_new("it-noperm", &flow, 1, &t, &err);
		fprintf(stderr, "# without CAP_NET_ADMIN: %d %s\n", r, err.text);
		ct_r = nc_witness_conntrack_read(&flow, 1, &ct, &n_ct, &ct_err);
		fprintf(stderr, "# without CAP_NET_ADMIN: %d %s\n", ct_r, ct_err.text);
		_exit(r == -EPERM && t == NULL && strstr(err.text, "CAP_NET_ADMIN") != NULL && strchr(err.text, '\n') == NULL &&
			      ct_r == -EPERM && ct == NULL && strstr(ct_err.text, "CAP_NET_ADMIN") != NULL
			      ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static bool lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int missing(const char *why)
{
	const char *ci = getenv("CI"), *nc_ci = getenv("NC_CI");
	bool in_ci = (ci != NULL && strcmp(ci, "true") == 0) || (nc_ci != NULL && strcmp(nc_ci, "1") == 0);

	fprintf(stderr, "test-witness-trace: %s: %s\n", why, in_ci ? "failing (CI)" : "skipped");
	return in_ci ? 1 : 77;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_names_the_rules),
		cmocka_unit_test(test_remove_in_place),
		cmocka_unit_test(test_killed_run_leaves_nothing),
		cmocka_unit_test(test_gc),
		cmocka_unit_test(test_conntrack_lookup),
		cmocka_unit_test(test_without_privilege),
	};
	int r;

	if (unshare(CLONE_NEWNET) < 0)
		return missing("no network namespace of its own (needs root)");
	if (!lo_up())
		return missing("cannot bring the namespace's loopback up");
	free(nft("table inet nctest {\n chain input {\n type filter hook input priority filter; policy accept;\n"
		 " tcp dport 7101 drop comment \"nctest drop\"\n"
		 " tcp dport 7102 reject with tcp reset comment \"nctest reject\"\n }\n}\n"));
	before = nft("list ruleset");
	if (before == NULL || strstr(before, "nctest drop") == NULL)
		return missing("nf_tables refused the test's own table");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	free(before);
	return r;
}

#else

int main(void)
{
	const char *ci = getenv("CI"), *nc_ci = getenv("NC_CI");
	bool in_ci = (ci != NULL && strcmp(ci, "true") == 0) || (nc_ci != NULL && strcmp(nc_ci, "1") == 0);

	fprintf(stderr, "test-witness-trace: built without libnftables or libnftnl/libmnl\n");
	return in_ci ? 1 : 77;
}

#endif
