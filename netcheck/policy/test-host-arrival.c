/* Unit tests for container-to-host: how the connection came to netcheck's
 * listener (directly, or through a forwarder on this host) and why it
 * failed (the name did not resolve; it resolved, and nothing arrived).
 * The paths are filled as the relay probe and run-host-end.c fill them:
 * the values are those of real runs (native dockerd: /etc/hosts from
 * host-gateway, the container's own address at the bridge's gateway; the
 * Desktop-like lab: the engine's name server, a loopback peer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/policy.h"
#include "netcheck/result.h"

static nc_endpoint_t ep(const char *addr, uint16_t port)
{
	nc_endpoint_t e;

	assert_int_equal(nc_endpoint_parse(addr, port, &e), 0);
	return e;
}

/* A container-to-host path as the relay leaves it. */
static nc_path_t *host_path(nc_result_t *r, nc_verdict_t verdict, const char *listener, const char *ifname,
			    const char *resolved, const char *resolved_by)
{
	nc_path_t *p = NULL;
	char q[16];

	snprintf(q, sizeof(q), "%zu", nc_result_path_count(r));
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_CONTAINER_TO_HOST, q, NULL, &p), 0);
	p->target = ep(listener, 41234);
	p->verdict = verdict;
	p->sent = true;
	snprintf(p->arrival_interface, sizeof(p->arrival_interface), "%s", ifname);
	snprintf(p->resolved, sizeof(p->resolved), "%s", resolved);
	snprintf(p->resolved_by, sizeof(p->resolved_by), "%s", resolved_by);
	return p;
}

static void test_arrival(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_container_t c = { .id = "abc" };
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	/* native: host-gateway in /etc/hosts, the listener on it, the container itself connects */
	p = host_path(r, NC_VERDICT_REACHABLE, "172.17.0.1", "docker0", "172.17.0.1", "hosts");
	p->local = ep("172.17.0.2", 50000);
	p->peer_seen = ep("172.17.0.2", 50000);
	p->arrivals = 1;
	nc_classify_path(p, &c, NULL);
	assert_int_equal(p->arrival, NC_ARRIVAL_DIRECT);
	assert_int_equal(p->mechanism, NC_MECH_DIRECT);
	assert_string_equal(nc_arrival_name(p->arrival), "direct");

	/* Desktop-like: the engine's name server's address, a process here carried it to loopback */
	p = host_path(r, NC_VERDICT_REACHABLE, "127.0.0.1", "lo", "10.250.250.254", "dns 10.250.250.2");
	p->local = ep("10.251.0.2", 50000);
	p->peer_seen = ep("127.0.0.1", 39000);
	p->arrivals = 1;
	nc_classify_path(p, &c, NULL);
	assert_int_equal(p->arrival, NC_ARRIVAL_FORWARDER);
	assert_int_equal(p->mechanism, NC_MECH_PROXY);
	assert_string_equal(nc_arrival_name(p->arrival), "forwarder");

	/* the name led elsewhere than the listener, a non-loopback peer: carried all the same */
	p = host_path(r, NC_VERDICT_REACHABLE, "10.250.250.1", "nc-vm-host", "10.250.250.254", "dns 10.250.250.2");
	p->local = ep("10.251.0.2", 50000);
	p->peer_seen = ep("10.250.250.2", 50000);
	nc_classify_path(p, &c, NULL);
	assert_int_equal(p->arrival, NC_ARRIVAL_FORWARDER);
	assert_int_equal(p->mechanism, NC_MECH_NAT);

	/* nothing arrived, no listener, another path: none */
	p = host_path(r, NC_VERDICT_TIMEOUT, "127.0.0.1", "lo", "10.250.250.254", "dns 10.250.250.2");
	nc_classify_path(p, &c, NULL);
	assert_int_equal(p->arrival, NC_ARRIVAL_NONE);
	p = host_path(r, NC_VERDICT_REACHABLE, "127.0.0.1", "", "10.250.250.254", "dns 10.250.250.2");
	p->peer_seen = ep("127.0.0.1", 39000);
	assert_int_equal(nc_classify_host_arrival(p), NC_ARRIVAL_NONE);
	p->kind = NC_PATH_CONTAINER_TO_CONTAINER;
	snprintf(p->arrival_interface, sizeof(p->arrival_interface), "lo");
	assert_int_equal(nc_classify_host_arrival(p), NC_ARRIVAL_NONE);
	assert_null(nc_arrival_name(NC_ARRIVAL_NONE));
	assert_null(nc_arrival_name(NC_ARRIVAL_COUNT));
	nc_result_free(r);
}

static void test_diagnose_host(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	/* the name did not resolve: the container's resolver's words, cited */
	p = host_path(r, NC_VERDICT_UNREACHABLE, "127.0.0.1", "lo", "", "");
	nc_path_set_detail(p, "ENOENT: NXDOMAIN");
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NAME_NOT_RESOLVED);
	assert_non_null(strstr(p->diagnosis.detail, "host.docker.internal did not resolve in the container: ENOENT: NXDOMAIN"));
	assert_non_null(strstr(p->diagnosis.hint, "host-gateway"));
	assert_int_equal(p->diagnosis.n_observed, 1);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_ENGINE);

	/* resolved, and the listener answered nothing: where it led and where netcheck listened */
	p = host_path(r, NC_VERDICT_TIMEOUT, "127.0.0.1", "lo", "10.250.250.254", "dns 10.250.250.2");
	nc_path_set_detail(p, "ETIMEDOUT: connect, resolved to 10.250.250.254");
	p->arrivals = 0;
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_HOST_NOT_REACHED);
	assert_non_null(strstr(p->diagnosis.detail, "resolved to 10.250.250.254 (dns 10.250.250.2)"));
	assert_non_null(strstr(p->diagnosis.detail, "listener on 127.0.0.1:41234 (lo)"));
	assert_int_equal(p->diagnosis.n_observed, 2);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_ENGINE);
	assert_int_equal(p->diagnosis.observed[1].source, NC_OBS_SOCKET);
	assert_string_equal(p->diagnosis.observed[1].text,
			    "netcheck's listener on 127.0.0.1:41234 (lo) answered 0 connections");
	assert_string_equal(nc_diag_code_name(p->diagnosis.code), "host-not-reached");

	/* a connection arrived and the path still failed: not this diagnosis */
	p = host_path(r, NC_VERDICT_RESET, "127.0.0.1", "lo", "10.250.250.254", "dns 10.250.250.2");
	p->arrivals = 1;
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_HOST_NOT_REACHED);
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arrival),
		cmocka_unit_test(test_diagnose_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
