/* Unit tests for the reporters (report-text.c, report-json.c).
 *
 * Builds result models by hand for three environments, renders them and
 * checks the text and the JSON.  jansson allocates through cmocka here, so a
 * leaked json_t fails the test like any other leak.
 *
 *   test-report                      run the tests
 *   test-report --write-samples DIR  only write the sample JSON documents
 *                                    (for tests/check-report-schema.py)
 * With NC_REPORT_SAMPLE_DIR set, a normal run writes the samples too. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/policy.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/result.h"
#include "netcheck/testing.h"

/* 2026-11-28T22:41:03.123456789Z */
#define T0 (UINT64_C(1795905663) * 1000000000u + 123456789u)
#define US(n) ((uint64_t)(n) * 1000u)

#define ESC "\033"
#define GREEN ESC "[32m"
#define RED ESC "[1;31m"
#define YELLOW ESC "[33m"

/* --- jansson through cmocka, with failure injection -------------------- */

static long allocations_left = -1; /* < 0: never fail */

static void *json_failing_malloc(size_t size)
{
	if (allocations_left == 0)
		return NULL;
	if (allocations_left > 0)
		allocations_left--;
	return test_malloc(size);
}


/* --- building results -------------------------------------------------- */

static void add_hop(nc_path_t *p, const char *point, const char *leg, nc_direction_t dir, nc_endpoint_t src,
		    nc_endpoint_t dst, uint64_t first_ns, uint64_t last_ns, uint32_t packets)
{
	nc_hop_t h = { .direction = dir, .src = src, .dst = dst, .first_ns = first_ns, .last_ns = last_ns,
		       .packets = packets };

	snprintf(h.capture_point, sizeof(h.capture_point), "%s", point);
	assert_int_equal(nc_leg_from_name(leg, &h.leg), 0);
	assert_int_equal(nc_path_add_hop(p, &h), 0);
}

static void add_packet(nc_path_t *p, uint64_t ts_ns, const char *point, const char *leg, nc_direction_t dir,
		       uint8_t proto, nc_endpoint_t src, nc_endpoint_t dst, uint8_t flags_or_icmp_type,
		       uint32_t length)
{
	nc_packet_summary_t s = { .ts_ns = ts_ns, .direction = dir, .proto = proto, .src = src, .dst = dst,
				  .length = length };

	if (proto == IPPROTO_TCP)
		s.tcp_flags = flags_or_icmp_type;
	else
		s.icmp_type = flags_or_icmp_type;
	snprintf(s.capture_point, sizeof(s.capture_point), "%s", point);
	assert_int_equal(nc_leg_from_name(leg, &s.leg), 0);
	assert_int_equal(nc_path_add_packet(p, &s), 0);
}

static void set_timings(nc_path_t *p, double connect, double first_byte, double total)
{
	p->timings.connect_ms = connect;
	p->timings.first_byte_ms = first_byte;
	p->timings.total_ms = total;
}

static void set_native_environment(nc_result_t *r)
{
	nc_environment_t *env = nc_result_environment(r);
	nc_container_t *c = nc_result_container(r);

	env->kind = NC_ENV_NATIVE_LINUX;
	snprintf(env->engine_url, sizeof(env->engine_url), "unix:///var/run/docker.sock");
	snprintf(env->engine_name, sizeof(env->engine_name), "Docker Engine");
	snprintf(env->engine_version, sizeof(env->engine_version), "24.0.7");
	snprintf(env->api_version, sizeof(env->api_version), "1.43");
	snprintf(env->os, sizeof(env->os), "Debian GNU/Linux 12 (bookworm)");
	env->host_address = ep("192.168.1.10", 0);
	snprintf(env->host_interface, sizeof(env->host_interface), "eth0");
	snprintf(env->bridge, sizeof(env->bridge), "docker0");
	env->bridge_attached = true;

	snprintf(c->id, sizeof(c->id), "3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708");
	snprintf(c->name, sizeof(c->name), "netcheck-7c1d");
	snprintf(c->image, sizeof(c->image), "nginx:alpine");
	snprintf(c->run_id, sizeof(c->run_id), "7c1d0b5e");
	c->ip = ep("172.17.0.2", 80);
	c->published_port = 32768;
	c->published_port6 = 32768;
	c->pid = 4242;
	snprintf(c->bridge, sizeof(c->bridge), "docker0");
	snprintf(c->veth, sizeof(c->veth), "veth1a2b");
	c->removed = true;
}

static void add_capture_point(nc_result_t *r, nc_point_kind_t kind, const char *ifname, const char *description,
			      uint64_t packets, uint64_t dropped)
{
	nc_environment_t *env = nc_result_environment(r);
	struct nc_capture_point_summary *cp;

	assert_true(env->n_capture_points < NC_ARRAY_SIZE(env->capture_points));
	cp = &env->capture_points[env->n_capture_points++];
	cp->kind = kind;
	nc_point_name(kind, ifname, cp->name, sizeof(cp->name));
	snprintf(cp->description, sizeof(cp->description), "%s", description);
	cp->packets = packets;
	cp->received = packets + dropped;
	cp->dropped = dropped;
}

/* (a) native Linux: everything reachable, loopback through docker-proxy,
 * the host address through kernel NAT. */
static nc_result_t *build_native(void)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	assert_non_null(r);
	set_native_environment(r);
	add_capture_point(r, NC_POINT_LOOPBACK, "lo", "loopback", 7, 0);
	add_capture_point(r, NC_POINT_BRIDGE, "docker0", "the container bridge", 13, 0);
	add_capture_point(r, NC_POINT_VETH, "veth1a2b", "the container's host-side veth", 5, 0);

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_ICMP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 0);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_DIRECT;
	set_timings(p, -1, -1, 0.052);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "docker0", "client", NC_DIR_OUT, ep("172.17.0.1", 7), ep("172.17.0.2", 7), T0, T0, 1);
	add_hop(p, "docker0", "client", NC_DIR_IN, ep("172.17.0.2", 7), ep("172.17.0.1", 7), T0 + US(52),
		T0 + US(52), 1);
	add_packet(p, T0, "docker0", "client", NC_DIR_OUT, IPPROTO_ICMP, ep("172.17.0.1", 7), ep("172.17.0.2", 7), 8,
		   64);
	add_packet(p, T0 + US(52), "docker0", "client", NC_DIR_IN, IPPROTO_ICMP, ep("172.17.0.2", 7),
		   ep("172.17.0.1", 7), 0, 64);

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 80);
	p->local = ep("172.17.0.1", 40000);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_DIRECT;
	p->peer_seen = ep("172.17.0.1", 40000);
	p->http_status = 200;
	snprintf(p->answered_by, sizeof(p->answered_by), "3f2a1b4c5d6e");
	snprintf(p->nonce, sizeof(p->nonce), "b1946ac92492d2347c6235b4d2611184");
	snprintf(p->route, sizeof(p->route), "172.17.0.2 dev docker0 src 172.17.0.1");
	set_timings(p, 0.081, 0.412, 0.503);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "docker0", "client", NC_DIR_OUT, ep("172.17.0.1", 40000), ep("172.17.0.2", 80), T0 + US(1000),
		T0 + US(1500), 5);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("127.0.0.1", 32768);
	p->local = ep("127.0.0.1", 44482);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_PROXY;
	p->has_forwarder = true;
	snprintf(p->forwarder.name, sizeof(p->forwarder.name), "docker-proxy");
	p->forwarder.pid = 3262;
	p->peer_seen = ep("172.17.0.1", 38582);
	snprintf(p->answered_by, sizeof(p->answered_by), "3f2a1b4c5d6e");
	set_timings(p, 0.064, 0.588, 0.701);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "lo", "client", NC_DIR_OUT, ep("127.0.0.1", 44482), ep("127.0.0.1", 32768), T0 + US(2000),
		T0 + US(2600), 3);
	add_hop(p, "docker0", "proxy-to-container", NC_DIR_OUT, ep("172.17.0.1", 38582), ep("172.17.0.2", 80),
		T0 + US(2210), T0 + US(2700), 5);
	add_hop(p, "veth1a2b", "proxy-to-container", NC_DIR_OUT, ep("172.17.0.1", 38582), ep("172.17.0.2", 80),
		T0 + US(2230), T0 + US(2720), 5);
	add_packet(p, T0 + US(2000), "lo", "client", NC_DIR_OUT, IPPROTO_TCP, ep("127.0.0.1", 44482),
		   ep("127.0.0.1", 32768), NC_TCP_SYN, 0);
	add_packet(p, T0 + US(2010), "lo", "client", NC_DIR_IN, IPPROTO_TCP, ep("127.0.0.1", 32768),
		   ep("127.0.0.1", 44482), NC_TCP_SYN | NC_TCP_ACK, 0);
	add_packet(p, T0 + US(2100), "lo", "client", NC_DIR_OUT, IPPROTO_TCP, ep("127.0.0.1", 44482),
		   ep("127.0.0.1", 32768), NC_TCP_PSH | NC_TCP_ACK, 78);
	add_packet(p, T0 + US(2210), "docker0", "proxy-to-container", NC_DIR_OUT, IPPROTO_TCP,
		   ep("172.17.0.1", 38582), ep("172.17.0.2", 80), NC_TCP_SYN, 0);
	add_packet(p, T0 + US(2700), "docker0", "proxy-to-container", NC_DIR_OUT, IPPROTO_TCP,
		   ep("172.17.0.1", 38582), ep("172.17.0.2", 80), NC_TCP_FIN | NC_TCP_ACK, 0);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_HOST, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("192.168.1.10", 32768);
	p->local = ep("192.168.1.10", 50112);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_NAT;
	p->peer_seen = ep("192.168.1.10", 50112);
	snprintf(p->answered_by, sizeof(p->answered_by), "3f2a1b4c5d6e");
	set_timings(p, 0.071, 0.390, 0.455);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "lo", "client", NC_DIR_OUT, ep("192.168.1.10", 50112), ep("192.168.1.10", 32768),
		T0 + US(3000), T0 + US(3400), 4);
	add_hop(p, "docker0", "translated", NC_DIR_OUT, ep("192.168.1.10", 50112), ep("172.17.0.2", 80),
		T0 + US(3012), T0 + US(3410), 4);

	assert_int_equal(nc_expect_evaluate(r), 0);
	nc_result_set_exit_code(r, nc_exit_code_for(r, 0, 0));
	return r;
}

/* (b) forwarding only (Docker Desktop): the container IP is not routed
 * from the host; published ports work through a forwarder whose onward leg
 * is out of sight.  published-host timed out, which was not expected. */
static nc_result_t *build_forwarding_only(void)
{
	nc_result_t *r = nc_result_new();
	nc_environment_t *env;
	nc_container_t *c;
	nc_path_t *p;

	assert_non_null(r);
	env = nc_result_environment(r);
	c = nc_result_container(r);
	env->kind = NC_ENV_DOCKER_DESKTOP;
	snprintf(env->engine_url, sizeof(env->engine_url), "unix:///home/ana/.docker/desktop/docker.sock");
	snprintf(env->engine_name, sizeof(env->engine_name), "Docker Desktop 4.35.1 (173168)");
	snprintf(env->engine_version, sizeof(env->engine_version), "27.3.1");
	snprintf(env->api_version, sizeof(env->api_version), "1.47");
	snprintf(env->os, sizeof(env->os), "Docker Desktop");
	env->host_address = ep("192.168.1.10", 0);
	snprintf(env->host_interface, sizeof(env->host_interface), "wlan0");
	env->bridge_attached = false;
	snprintf(c->id, sizeof(c->id), "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d");
	snprintf(c->name, sizeof(c->name), "netcheck-51aa");
	snprintf(c->image, sizeof(c->image), "nginx:alpine");
	snprintf(c->run_id, sizeof(c->run_id), "51aa3c09");
	c->ip = ep("172.17.0.2", 80);
	c->published_port = 55001;
	c->pid = 1771;
	c->removed = true; /* a finished run: the exit code counts a container left behind */
	snprintf(c->bridge, sizeof(c->bridge), "docker0");
	add_capture_point(r, NC_POINT_LOOPBACK, "lo", "loopback", 12, 0);

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_ICMP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 0);
	p->verdict = NC_VERDICT_UNROUTABLE;
	p->mechanism = NC_MECH_NONE;
	snprintf(p->route, sizeof(p->route), "172.17.0.2 via 192.168.1.1 dev wlan0 src 192.168.1.10");
	nc_path_set_detail(p, "not probed: the route leaves through a gateway, the container network is not here");
	p->evidence_state = NC_EVIDENCE_CAPTURED;

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 80);
	p->verdict = NC_VERDICT_UNROUTABLE;
	p->mechanism = NC_MECH_NONE;
	snprintf(p->route, sizeof(p->route), "172.17.0.2 via 192.168.1.1 dev wlan0 src 192.168.1.10");
	p->evidence_state = NC_EVIDENCE_CAPTURED;

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("127.0.0.1", 55001);
	p->local = ep("127.0.0.1", 41000);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_OUT_OF_SIGHT;
	p->has_forwarder = true;
	snprintf(p->forwarder.name, sizeof(p->forwarder.name), "com.docker.back");
	p->forwarder.pid = 1234;
	p->peer_seen = ep("192.168.65.1", 33110);
	snprintf(p->answered_by, sizeof(p->answered_by), "9e8d7c6b5a4f");
	set_timings(p, 0.210, 1.920, 2.101);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "lo", "client", NC_DIR_OUT, ep("127.0.0.1", 41000), ep("127.0.0.1", 55001), T0, T0 + US(2000),
		6);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK6, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("::1", 55001);
	p->local = ep("::1", 41002);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_OUT_OF_SIGHT;
	p->has_forwarder = true;
	snprintf(p->forwarder.name, sizeof(p->forwarder.name), "com.docker.back");
	p->forwarder.pid = 1234;
	p->peer_seen = ep("192.168.65.1", 33112);
	set_timings(p, 0.190, 1.700, 1.880);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "lo", "client", NC_DIR_OUT, ep("::1", 41002), ep("::1", 55001), T0 + US(5000), T0 + US(6000), 6);
	add_packet(p, T0 + US(5000), "lo", "client", NC_DIR_OUT, IPPROTO_TCP, ep("::1", 41002), ep("::1", 55001),
		   NC_TCP_SYN, 0);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_HOST, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("192.168.1.10", 55001);
	p->verdict = NC_VERDICT_TIMEOUT;
	p->mechanism = NC_MECH_NONE;
	nc_path_set_detail(p, "no answer in 2000 ms (the port is published on 127.0.0.1 only?)");
	p->evidence_state = NC_EVIDENCE_CAPTURED;

	/* host.docker.internal from Desktop's DNS, carried by its backend to loopback */
	assert_int_equal(nc_result_add_path(r, NC_PATH_CONTAINER_TO_HOST, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("127.0.0.1", 41234);
	p->local = ep("172.17.0.2", 50000);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_PROXY;
	p->peer_seen = ep("127.0.0.1", 39000);
	snprintf(p->resolved, sizeof(p->resolved), "192.168.65.254");
	snprintf(p->resolved_by, sizeof(p->resolved_by), "dns 192.168.65.7");
	snprintf(p->arrival_interface, sizeof(p->arrival_interface), "lo");
	p->arrivals = 1;
	p->arrival = NC_ARRIVAL_FORWARDER;
	nc_path_set_detail(p, "resolved to 192.168.65.254 by dns 192.168.65.7");

	assert_int_equal(nc_expect_evaluate(r), 1);
	nc_result_set_exit_code(r, nc_exit_code_for(r, 0, 0));
	return r;
}

/* (c) native Linux without privileges: ICMP skipped, nothing captured. */
static nc_result_t *build_skipped_icmp(void)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	assert_non_null(r);
	set_native_environment(r);
	snprintf(nc_result_environment(r)->capture_note, sizeof(nc_result_environment(r)->capture_note),
		 "capture needs CAP_NET_RAW; run as root or with --no-capture");

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_ICMP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 0);
	nc_path_set_detail(p, "skipped: no ICMP socket (net.ipv4.ping_group_range excludes gid 1000)");

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 80);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_DIRECT;
	p->peer_seen = ep("172.17.0.1", 40100);
	/* as a user's service that speaks first would show (no HTTP asked) */
	snprintf(p->banner, sizeof(p->banner), "SSH-2.0-OpenSSH_9.2p1 Debian-2");
	set_timings(p, 0.090, 0.400, 0.480);

	assert_int_equal(nc_expect_evaluate(r), 0);
	nc_result_set_exit_code(r, nc_exit_code_for(r, 0, 0));
	return r;
}

/* (d) native Linux, something broken: the full proxy chain down to eth0 in
 * the container, a NAT path whose packets stop at the bridge (dropped), an
 * app listening on loopback only (refused, reset by the container), and a
 * skipped path.  Every diagnosis the reporters render, with a hint or not. */
/* The IPv6 readiness wait of a fresh user network's first container, as
 * a run on this host recorded it: the bridge's two addresses tentative
 * until DAD ended, the container's (accept_dad=0) ready at once. */
static void set_ipv6_ready(nc_environment_t *env)
{
	nc_addr_readiness_t *w = &env->ipv6_ready;
	static const struct { const char *a, *ifname; bool container, tentative; double ready; } seen[] = {
		{ "fd00:17:6::1", "br-75b6b4f330fd", false, true, 1412.3 },
		{ "fe80::1", "br-75b6b4f330fd", false, true, 1412.3 },
		{ "fd00:17:6::2", "eth0", true, false, 0.2 },
	};

	w->checked = w->waited = true;
	w->waited_ms = 1412.3;
	w->bound_ms = 3000;
	w->polls = 71;
	for (size_t i = 0; i < NC_ARRAY_SIZE(seen); i++) {
		nc_addr_state_t *st = &w->addresses[w->n_addresses++];

		st->address = ep(seen[i].a, 0);
		snprintf(st->ifname, sizeof(st->ifname), "%s", seen[i].ifname);
		st->container = seen[i].container;
		st->was_tentative = seen[i].tentative;
		st->first_flags = seen[i].tentative ? 0xc0 : 0x80;
		st->flags = 0x80;
		st->ready_ms = seen[i].ready;
	}
	w->address = w->addresses[0].address;
	snprintf(w->ifname, sizeof(w->ifname), "%s", w->addresses[0].ifname);
	w->flags = 0xc0;
}

static nc_result_t *build_failed(void)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	assert_non_null(r);
	set_native_environment(r);
	set_ipv6_ready(nc_result_environment(r));
	add_capture_point(r, NC_POINT_LOOPBACK, "lo", "loopback: the client side of published ports", 11, 0);
	add_capture_point(r, NC_POINT_BRIDGE, "docker0", "the container bridge", 9, 0);
	add_capture_point(r, NC_POINT_VETH, "veth1a2b", "the container's host-side veth", 6, 0);
	add_capture_point(r, NC_POINT_CONTAINER, "eth0", "eth0 inside the container", 6, 2);
	add_capture_point(r, NC_POINT_DEFAULT_ROUTE, "eth0", "the default route: must stay silent", 0, 0);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("127.0.0.1", 32768);
	p->local = ep("127.0.0.1", 44482);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_PROXY;
	p->has_forwarder = true;
	snprintf(p->forwarder.name, sizeof(p->forwarder.name), "docker-proxy");
	p->forwarder.pid = 3262;
	p->peer_seen = ep("172.17.0.1", 38582);
	set_timings(p, 0.064, 0.588, 0.701);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "lo", "client", NC_DIR_OUT, ep("127.0.0.1", 44482), ep("127.0.0.1", 32768), T0, T0 + US(600), 5);
	add_hop(p, "docker0", "proxy-to-container", NC_DIR_OUT, ep("172.17.0.1", 38582), ep("172.17.0.2", 80),
		T0 + US(210), T0 + US(700), 3);
	add_hop(p, "veth1a2b", "proxy-to-container", NC_DIR_OUT, ep("172.17.0.1", 38582), ep("172.17.0.2", 80),
		T0 + US(230), T0 + US(720), 3);
	add_hop(p, "eth0@container", "proxy-to-container", NC_DIR_IN, ep("172.17.0.1", 38582), ep("172.17.0.2", 80),
		T0 + US(1264), T0 + US(1750), 3);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_HOST, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("192.168.1.10", 32768);
	p->local = ep("192.168.1.10", 50112);
	p->verdict = NC_VERDICT_TIMEOUT;
	p->mechanism = NC_MECH_NAT;
	set_timings(p, -1, -1, 2000.0);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "lo", "client", NC_DIR_OUT, ep("192.168.1.10", 50112), ep("192.168.1.10", 32768), T0 + US(3000),
		T0 + US(1003000), 3);
	add_hop(p, "docker0", "translated", NC_DIR_OUT, ep("192.168.1.10", 50112), ep("172.17.0.2", 80),
		T0 + US(3012), T0 + US(1003012), 3);
	nc_path_diagnose(p, NC_DIAG_DROPPED, "look for a DROP in the FORWARD chain: iptables -S DOCKER-USER",
			 "3 SYNs to 172.17.0.2:80 were seen at docker0 and never at veth1a2b");
	{
		/* what it rests on: one observation of each source with fields */
		nc_diagnosis_t *d = &p->diagnosis;
		nc_observation_t *o;

		o = nc_diagnosis_observe(d, NC_OBS_CAPTURE, "3 of the path's packets seen on docker0");
		snprintf(o->point, sizeof(o->point), "docker0");
		o->packets = 3;
		o = nc_diagnosis_observe(d, NC_OBS_NFTRACE, "ip filter DOCKER-USER: rule 12 `ip saddr 10.0.0.0/8 drop` dropped it");
		snprintf(o->family, sizeof(o->family), "ip");
		snprintf(o->table, sizeof(o->table), "filter");
		snprintf(o->chain, sizeof(o->chain), "DOCKER-USER");
		snprintf(o->rule, sizeof(o->rule), "ip saddr 10.0.0.0/8 drop");
		snprintf(o->verdict, sizeof(o->verdict), "drop");
		o->handle = 12;
		o = nc_diagnosis_observe(d, NC_OBS_DROP_REASON, "dropped: NETFILTER_DROP at nf_hook_slow");
		snprintf(o->reason, sizeof(o->reason), "NETFILTER_DROP");
		snprintf(o->location, sizeof(o->location), "nf_hook_slow");
		o = nc_diagnosis_observe(d, NC_OBS_SYSCTL, "net.ipv4.ip_forward = 1");
		snprintf(o->name, sizeof(o->name), "net.ipv4.ip_forward");
		snprintf(o->value, sizeof(o->value), "1");
		o = nc_diagnosis_observe(d, NC_OBS_CONTAINER, "the container was running");
		snprintf(o->state, sizeof(o->state), "running");
		nc_diagnosis_observe(d, NC_OBS_ENGINE, "the engine publishes 80/tcp on 0.0.0.0:32768");
	}

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 80);
	p->local = ep("172.17.0.1", 40000);
	p->verdict = NC_VERDICT_REFUSED;
	p->mechanism = NC_MECH_DIRECT;
	set_timings(p, -1, -1, 0.120);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "docker0", "client", NC_DIR_OUT, ep("172.17.0.1", 40000), ep("172.17.0.2", 80), T0 + US(5000),
		T0 + US(5000), 1);
	add_hop(p, "eth0@container", "client", NC_DIR_IN, ep("172.17.0.1", 40000), ep("172.17.0.2", 80),
		T0 + US(5019), T0 + US(5019), 1);
	add_hop(p, "eth0@container", "client", NC_DIR_OUT, ep("172.17.0.2", 80), ep("172.17.0.1", 40000),
		T0 + US(5040), T0 + US(5040), 1);
	nc_path_diagnose(p, NC_DIAG_LISTENING_ON_LOOPBACK_ONLY,
			 "make the app listen on 0.0.0.0 (all addresses) inside the container",
			 "the app in the container listens on 127.0.0.1:80 only, so the container's kernel reset the "
			 "connection from 172.17.0.1");
	{
		nc_observation_t *o = nc_diagnosis_observe(&p->diagnosis, NC_OBS_SOCKET,
							   "in the container, 127.0.0.1:80/tcp listens");

		o->local = ep("127.0.0.1", 80);
		o->proto = NC_PROTO_TCP;
	}

	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_ICMP, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("172.17.0.2", 0);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_DIRECT;
	set_timings(p, -1, -1, 0.052);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "docker0", "icmp", NC_DIR_OUT, ep("172.17.0.1", 7), ep("172.17.0.2", 7), T0 + US(6000),
		T0 + US(6000), 1);
	add_hop(p, "eth0@container", "icmp", NC_DIR_IN, ep("172.17.0.1", 7), ep("172.17.0.2", 7), T0 + US(6021),
		T0 + US(6021), 1);

	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK6, &(nc_endpoint_t){ 0 }, &p), 0);
	p->target = ep("::1", 32768);
	nc_path_diagnose(p, NC_DIAG_NO_FORWARDER, NULL, "nothing forwards [::1]:32768: the engine runs without IPv6");
	nc_path_set_detail(p, "skipped: the port is not published on IPv6");

	assert_int_equal(nc_expect_evaluate(r), 2);
	nc_result_set_exit_code(r, nc_exit_code_for(r, 0, 0));
	return r;
}

/* (e) a swarm run with two nodes, and engine text that is hostile to every
 * markup: the JUnit suites per node, escaping everywhere. */
#define HOSTILE "<script>alert(\"x\")</script> & 'q' \001\033]0;t\007 \302\233"
static nc_result_t *build_swarm(void)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	assert_non_null(r);
	set_native_environment(r);
	snprintf(nc_result_environment(r)->engine_name, sizeof(nc_result_environment(r)->engine_name), "%s",
		 "Docker Engine " HOSTILE);
	snprintf(nc_result_container(r)->image, sizeof(nc_result_container(r)->image), "%s", "img" HOSTILE);
	add_capture_point(r, NC_POINT_BRIDGE, "docker_gwbridge", "the swarm's gateway bridge", 4, 0);

	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_NODE, "node-a", &(nc_endpoint_t){ 0 }, &p), 0);
	snprintf(p->node, sizeof(p->node), "node-a");
	p->target = ep("10.0.0.11", 30080);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_NAT;
	set_timings(p, 0.2, 0.5, 0.9);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "docker_gwbridge", "translated", NC_DIR_OUT, ep("10.0.0.1", 51000), ep("172.18.0.3", 80), T0,
		T0 + US(400), 4);

	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_NODE, "node-b<&>", &(nc_endpoint_t){ 0 }, &p),
			 0);
	snprintf(p->node, sizeof(p->node), "node-b<&>\"");
	p->target = ep("10.0.0.12", 30080);
	p->verdict = NC_VERDICT_TIMEOUT;
	p->mechanism = NC_MECH_NONE;
	set_timings(p, -1, -1, 2000.0);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	nc_path_diagnose(p, NC_DIAG_NO_ANSWER, "hint with " HOSTILE, "nothing came back from " HOSTILE);

	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_INGRESS, "node-b<&>", &(nc_endpoint_t){ 0 }, &p),
			 0);
	snprintf(p->node, sizeof(p->node), "node-b<&>\"");
	p->target = ep("10.0.0.12", 30081);
	nc_path_set_detail(p, "skipped: %s", "no ingress network " HOSTILE);

	assert_int_equal(nc_result_add_path_named(r, NC_PATH_TASK_TO_TASK, "node-a", &(nc_endpoint_t){ 0 }, &p), 0);
	snprintf(p->node, sizeof(p->node), "node-a");
	p->target = ep("10.0.1.5", 80);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_OVERLAY;
	set_timings(p, 0.3, 0.6, 1.0);
	/* seen by the nodes' agents: inside the task, and in VXLAN on the uplink */
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	add_hop(p, "eth0@task.host-a", "client", NC_DIR_OUT, ep("10.0.1.4", 50000), ep("10.0.1.5", 80), 1000, 2000, 8);
	add_hop(p, "eth0@host-a", "client", NC_DIR_OUT, ep("10.0.1.4", 50000), ep("10.0.1.5", 80), 1100, 2100, 8);
	p->hops[1].encapsulated = true;
	p->hops[1].outer_src = ep("10.0.0.12", 41000);
	p->hops[1].outer_dst = ep("10.0.0.11", 4789);
	p->hops[1].vni = 4097;
	{
		nc_environment_t *env = nc_result_environment(r);
		static const char *const names[] = { "eth0@task.host-a", "eth0@host-a" };

		for (size_t i = 0; i < 2; i++) {
			struct nc_capture_point_summary *cp = &env->capture_points[env->n_capture_points++];

			memset(cp, 0, sizeof(*cp));
			cp->kind = i == 0 ? NC_POINT_CONTAINER : NC_POINT_UPLINK;
			cp->where = i == 0 ? NC_WHERE_CONTAINER : NC_WHERE_ENGINE;
			snprintf(cp->name, sizeof(cp->name), "%s", names[i]);
			snprintf(cp->node, sizeof(cp->node), "node-a");
		}
		env->agent_used = true;
		snprintf(env->agent_note, sizeof(env->agent_note), "node host-b not captured: its task is not running");
	}

	/* what the run made: node-a's task runs, node-b's was rejected */
	{
		nc_swarm_t *sw = nc_result_swarm(r);

		sw->active = true;
		snprintf(sw->service_name, sizeof(sw->service_name), "netcheck-abc");
		snprintf(sw->image, sizeof(sw->image), "sha256:0123456789abcdef0123");
		snprintf(sw->network_name, sizeof(sw->network_name), "netcheck-abc");
		snprintf(sw->subnet, sizeof(sw->subnet), "10.0.1.0/24");
		sw->n_nodes = 2;
		snprintf(sw->nodes[0].id, sizeof(sw->nodes[0].id), "node-a");
		snprintf(sw->nodes[0].hostname, sizeof(sw->nodes[0].hostname), "host-a");
		snprintf(sw->nodes[0].role, sizeof(sw->nodes[0].role), "manager");
		snprintf(sw->nodes[0].state, sizeof(sw->nodes[0].state), "ready");
		snprintf(sw->nodes[0].availability, sizeof(sw->nodes[0].availability), "active");
		snprintf(sw->nodes[0].task_id, sizeof(sw->nodes[0].task_id), "t1");
		snprintf(sw->nodes[0].task_state, sizeof(sw->nodes[0].task_state), "running");
		sw->nodes[0].address = ep("10.0.0.11", 0);
		sw->nodes[0].task_address = ep("10.0.1.5", 0);
		sw->nodes[0].host_port = 30080;
		snprintf(sw->nodes[1].id, sizeof(sw->nodes[1].id), "node-b<&>\"");
		snprintf(sw->nodes[1].hostname, sizeof(sw->nodes[1].hostname), "host-b" HOSTILE);
		snprintf(sw->nodes[1].role, sizeof(sw->nodes[1].role), "worker");
		snprintf(sw->nodes[1].state, sizeof(sw->nodes[1].state), "ready");
		snprintf(sw->nodes[1].availability, sizeof(sw->nodes[1].availability), "active");
		snprintf(sw->nodes[1].task_id, sizeof(sw->nodes[1].task_id), "t2");
		snprintf(sw->nodes[1].task_state, sizeof(sw->nodes[1].task_state), "rejected");
		snprintf(sw->nodes[1].task_error, sizeof(sw->nodes[1].task_error), "No such image " HOSTILE);
		sw->nodes[1].address = ep("10.0.0.12", 0);
		nc_swarm_name_nodes(sw);
	}
	nc_expect_evaluate(r);
	/* the run failed part way: the paths so far, and why it stopped */
	nc_result_set_error(r, -ETIMEDOUT, "node node-b stopped answering " HOSTILE);
	nc_result_set_exit_code(r, NC_EXIT_ENGINE);
	return r;
}

/* --- rendering helpers ------------------------------------------------- */

#define TEXT_MAX (64 * 1024)
static char text_buf[TEXT_MAX];

/* returns: borrowed text_buf, valid until the next call */
static const char *render_text_opt(const nc_result_t *r, const nc_report_options_t *opt)
{
	FILE *f;

	memset(text_buf, 0, sizeof(text_buf));
	f = fmemopen(text_buf, sizeof(text_buf) - 1, "w");
	assert_non_null(f);
	assert_int_equal(nc_report_text(r, opt, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(strlen(text_buf) < sizeof(text_buf) - 2); /* not truncated */
	return text_buf;
}

/* Wide enough that nothing wraps: the tests of content see whole lines. */
#define WIDE 1000
static const char *render_text(const nc_result_t *r, bool color, bool verbose)
{
	nc_report_options_t opt = { .color = color, .verbose = verbose, .width = WIDE };

	return render_text_opt(r, &opt);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("expected to find\n  \"%s\"\nin\n%s", needle ? needle : "", haystack ? haystack : "");
}

static void assert_not_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) != NULL)
		fail_msg("did not expect\n  \"%s\"\nin\n%s", needle ? needle : "", haystack ? haystack : "");
}

static size_t count_occurrences(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *s = strstr(haystack, needle); s != NULL; s = strstr(s + 1, needle))
		n++;
	return n;
}

static const char *jget_str(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_t *jpath(json_t *doc, size_t i)
{
	json_t *v = json_array_get(json_object_get(doc, "paths"), i);

	assert_true(json_is_object(v));
	return v;
}

/* --- JSON -------------------------------------------------------------- */

static void test_json_native(void **state)
{
	nc_result_t *r = build_native();
	json_t *doc = nc_report_json(r), *env, *c, *p, *hop, *pkt, *t, *mech;

	(void)state;
	assert_non_null(doc);
	assert_string_equal(jget_str(doc, "schema_version"), NC_REPORT_SCHEMA_VERSION);
	assert_string_equal(jget_str(doc, "netcheck_version"), "0.1.0");

	env = json_object_get(doc, "environment");
	assert_string_equal(jget_str(env, "kind"), "native-linux");
	assert_string_equal(jget_str(env, "engine_name"), "Docker Engine");
	assert_string_equal(jget_str(env, "api_version"), "1.43");
	assert_string_equal(jget_str(env, "host_address"), "192.168.1.10");
	assert_true(json_is_true(json_object_get(env, "bridge_attached")));
	assert_true(json_is_false(json_object_get(env, "rootless")));

	c = json_object_get(doc, "container");
	assert_string_equal(jget_str(c, "ip"), "172.17.0.2");
	assert_int_equal(json_integer_value(json_object_get(c, "port")), 80);
	assert_int_equal(json_integer_value(json_object_get(c, "published_port")), 32768);
	assert_int_equal(json_integer_value(json_object_get(c, "pid")), 4242);
	assert_int_equal(json_array_size(json_object_get(c, "kept_containers")), 0); /* nothing kept */
	assert_int_equal(strlen(jget_str(c, "id")), 64);

	assert_int_equal(json_array_size(json_object_get(doc, "paths")), 4);

	p = jpath(doc, 0); /* direct-icmp */
	assert_string_equal(jget_str(p, "name"), "direct-icmp");
	assert_string_equal(jget_str(p, "target"), "172.17.0.2");
	assert_string_equal(jget_str(p, "mechanism"), "direct");
	assert_true(json_is_null(json_object_get(p, "forwarder")));
	assert_true(json_is_null(json_object_get(p, "peer_seen")));
	t = json_object_get(p, "timings_ms");
	assert_true(json_is_null(json_object_get(t, "connect")));
	assert_true(json_is_null(json_object_get(t, "first_byte")));
	assert_true(json_is_real(json_object_get(t, "total")));
	hop = json_array_get(json_object_get(p, "evidence"), 0);
	assert_string_equal(jget_str(hop, "src"), "172.17.0.1");
	assert_true(json_is_null(json_object_get(hop, "src_port")));
	pkt = json_array_get(json_object_get(p, "packets"), 0);
	assert_string_equal(jget_str(pkt, "proto"), "icmp");
	assert_int_equal(json_integer_value(json_object_get(pkt, "icmp_type")), 8);
	assert_true(json_is_null(json_object_get(pkt, "tcp_flags")));

	p = jpath(doc, 1); /* direct-tcp */
	assert_string_equal(jget_str(p, "target"), "172.17.0.2:80");
	assert_string_equal(jget_str(p, "peer_seen"), "172.17.0.1:40000");
	assert_string_equal(jget_str(p, "local"), "172.17.0.1:40000");
	assert_string_equal(jget_str(p, "route"), "172.17.0.2 dev docker0 src 172.17.0.1");
	assert_true(json_is_null(json_object_get(p, "detail")));
	assert_string_equal(jget_str(p, "nonce"), "b1946ac92492d2347c6235b4d2611184");
	assert_true(json_is_true(json_object_get(p, "expected")));
	mech = json_object_get(json_object_get(p, "expectation"), "mechanisms");
	assert_int_equal(json_array_size(mech), 1);
	assert_string_equal(json_string_value(json_array_get(mech, 0)), "direct");
	t = json_object_get(p, "timings_ms");
	assert_true(json_real_value(json_object_get(t, "first_byte")) == 0.412);

	p = jpath(doc, 2); /* published-loopback */
	assert_string_equal(jget_str(p, "name"), "published-loopback");
	assert_string_equal(jget_str(p, "verdict"), "reachable");
	assert_string_equal(jget_str(p, "mechanism"), "proxy");
	assert_string_equal(jget_str(json_object_get(p, "forwarder"), "name"), "docker-proxy");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "forwarder"), "pid")), 3262);
	assert_string_equal(jget_str(p, "peer_seen"), "172.17.0.1:38582");
	assert_string_equal(jget_str(p, "evidence_state"), "captured");
	mech = json_object_get(json_object_get(p, "expectation"), "mechanisms");
	assert_int_equal(json_array_size(mech), 2);
	assert_string_equal(json_string_value(json_array_get(mech, 0)), "nat");
	assert_string_equal(json_string_value(json_array_get(mech, 1)), "proxy");
	assert_int_equal(json_array_size(json_object_get(p, "evidence")), 3);
	hop = json_array_get(json_object_get(p, "evidence"), 1);
	assert_string_equal(jget_str(hop, "capture_point"), "docker0");
	assert_string_equal(jget_str(hop, "leg"), "proxy-to-container");
	assert_string_equal(jget_str(hop, "direction"), "out");
	assert_string_equal(jget_str(hop, "src"), "172.17.0.1:38582");
	assert_string_equal(jget_str(hop, "dst"), "172.17.0.2:80");
	assert_string_equal(jget_str(hop, "dst_addr"), "172.17.0.2");
	assert_int_equal(json_integer_value(json_object_get(hop, "dst_port")), 80);
	assert_string_equal(jget_str(hop, "first_ts"), "2026-11-28T22:41:03.125666789Z");
	assert_int_equal(json_integer_value(json_object_get(hop, "first_ts_ns")), (json_int_t)(T0 + US(2210)));
	assert_int_equal(json_integer_value(json_object_get(hop, "packets")), 5);
	pkt = json_array_get(json_object_get(p, "packets"), 0);
	assert_string_equal(jget_str(pkt, "ts"), "2026-11-28T22:41:03.125456789Z");
	assert_string_equal(jget_str(pkt, "proto"), "tcp");
	assert_string_equal(jget_str(pkt, "tcp_flags"), "S");
	assert_string_equal(jget_str(pkt, "src"), "127.0.0.1:44482");
	assert_string_equal(jget_str(json_array_get(json_object_get(p, "packets"), 1), "tcp_flags"), "S.");
	assert_string_equal(jget_str(json_array_get(json_object_get(p, "packets"), 2), "tcp_flags"), "P.");
	assert_string_equal(jget_str(json_array_get(json_object_get(p, "packets"), 4), "tcp_flags"), "F.");

	p = jpath(doc, 3); /* published-host */
	assert_string_equal(jget_str(p, "mechanism"), "nat");
	assert_true(json_is_null(json_object_get(p, "forwarder")));

	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "paths")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "as_expected")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "unexpected")), 0);
	assert_int_equal(json_integer_value(json_object_get(doc, "exit_code")), NC_EXIT_OK);

	json_decref(doc);
	nc_result_free(r);
}

/* --keep --peer: both containers are named as kept, the peer too */
static void test_json_kept(void **state)
{
	nc_result_t *r = build_native();
	nc_container_t *c = nc_result_container(r);
	json_t *doc, *kept;

	(void)state;
	c->kept = c->peer_kept = true;
	snprintf(c->peer_id, sizeof(c->peer_id), "%s", "feedbeef0001");
	snprintf(c->peer_name, sizeof(c->peer_name), "%s", "netcheck-r1-peer");
	doc = nc_report_json(r);
	assert_non_null(doc);
	kept = json_object_get(json_object_get(doc, "container"), "kept_containers");
	assert_int_equal(json_array_size(kept), 2);
	assert_string_equal(jget_str(json_array_get(kept, 0), "id"), c->id);
	assert_string_equal(jget_str(json_array_get(kept, 0), "role"), "target");
	assert_string_equal(jget_str(json_array_get(kept, 1), "id"), "feedbeef0001");
	assert_string_equal(jget_str(json_array_get(kept, 1), "name"), "netcheck-r1-peer");
	assert_string_equal(jget_str(json_array_get(kept, 1), "role"), "peer");
	json_decref(doc);
	nc_result_free(r);
}

static void test_json_forwarding_only(void **state)
{
	nc_result_t *r = build_forwarding_only();
	json_t *doc = nc_report_json(r), *p, *e;

	(void)state;
	assert_non_null(doc);
	assert_string_equal(jget_str(json_object_get(doc, "environment"), "kind"), "docker-desktop");
	assert_true(json_is_false(json_object_get(json_object_get(doc, "environment"), "bridge_attached")));
	assert_string_equal(jget_str(json_object_get(doc, "environment"), "bridge"), "");

	p = jpath(doc, 1); /* direct-tcp */
	assert_string_equal(jget_str(p, "verdict"), "unroutable");
	assert_string_equal(jget_str(p, "mechanism"), "none");
	assert_string_equal(jget_str(p, "route"), "172.17.0.2 via 192.168.1.1 dev wlan0 src 192.168.1.10");
	assert_true(json_is_true(json_object_get(p, "expected")));
	e = json_object_get(p, "expectation");
	assert_string_equal(jget_str(e, "verdict"), "unroutable");
	assert_true(json_is_false(json_object_get(e, "overridden")));

	p = jpath(doc, 3); /* published-loopback6 */
	assert_string_equal(jget_str(p, "target"), "[::1]:55001");
	assert_string_equal(jget_str(p, "mechanism"), "out-of-sight");
	assert_string_equal(jget_str(json_array_get(json_object_get(p, "evidence"), 0), "src_addr"), "::1");

	p = jpath(doc, 4); /* published-host */
	assert_string_equal(jget_str(p, "verdict"), "timeout");
	assert_true(json_is_false(json_object_get(p, "expected")));
	assert_true(json_is_null(json_object_get(json_object_get(p, "timings_ms"), "total")));
	assert_null(json_object_get(p, "resolved")); /* only paths from inside a container have it */
	assert_null(json_object_get(p, "arrival"));

	p = jpath(doc, 5); /* container-to-host: what the name gave, where it arrived, how */
	e = json_object_get(p, "resolved");
	assert_string_equal(jget_str(e, "address"), "192.168.65.254");
	assert_string_equal(jget_str(e, "by"), "dns 192.168.65.7");
	e = json_object_get(p, "arrival");
	assert_string_equal(jget_str(e, "listener"), "127.0.0.1:41234");
	assert_string_equal(jget_str(e, "interface"), "lo");
	assert_int_equal(json_integer_value(json_object_get(e, "connections")), 1);
	assert_string_equal(jget_str(e, "peer"), "127.0.0.1:39000");
	assert_string_equal(jget_str(e, "via"), "forwarder");

	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "unexpected")), 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "exit_code")), NC_EXIT_UNEXPECTED);
	json_decref(doc);
	nc_result_free(r);
}

static void test_json_skipped_icmp(void **state)
{
	nc_result_t *r = build_skipped_icmp();
	json_t *doc = nc_report_json(r), *p;

	(void)state;
	assert_non_null(doc);
	p = jpath(doc, 0);
	assert_string_equal(jget_str(p, "verdict"), "skipped");
	assert_string_equal(jget_str(p, "evidence_state"), "not-captured");
	assert_true(json_is_true(json_object_get(p, "expected")));
	assert_int_equal(json_array_size(json_object_get(p, "evidence")), 0);
	assert_string_equal(jget_str(json_object_get(doc, "environment"), "capture_note"),
			    "capture needs CAP_NET_RAW; run as root or with --no-capture");
	json_decref(doc);
	nc_result_free(r);
}

/* the pretty form: indent 2, insertion order, trailing newline */
#define PRETTY_START "{\n  \"schema_version\": \"" NC_REPORT_SCHEMA_VERSION "\",\n  \"netcheck_version\": \"0.1.0\",\n  \"environment\": {\n    \"kind\""
static void test_json_write(void **state)
{
	nc_result_t *r = build_native();
	json_error_t err;
	json_t *back;
	FILE *f;

	(void)state;
	memset(text_buf, 0, sizeof(text_buf));
	f = fmemopen(text_buf, sizeof(text_buf) - 1, "w");
	assert_non_null(f);
	assert_int_equal(nc_report_json_write(r, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(strncmp(text_buf, PRETTY_START, strlen(PRETTY_START)) == 0);
	assert_int_equal(text_buf[strlen(text_buf) - 1], '\n');
	assert_int_not_equal(text_buf[strlen(text_buf) - 2], '\n');
	assert_contains(text_buf, "\"connect\": 0.064,");
	back = json_loads(text_buf, 0, &err);
	assert_non_null(back);
	json_decref(back);

	/* a stream that refuses writes is an I/O error, not a crash or a leak */
	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_int_equal(nc_report_json_write(r, f), -EIO);
	fclose(f);
	nc_result_free(r);
}

/* Every allocation jansson makes may fail: nc_report_json() then returns
 * NULL and frees what it built (cmocka fails the test on any leak). */
static void test_json_enomem(void **state)
{
	nc_result_t *r = build_native();
	json_t *doc = NULL;
	long n;

	(void)state;
	for (n = 0; n < 100000 && doc == NULL; n++) {
		allocations_left = n;
		doc = nc_report_json(r);
	}
	allocations_left = -1;
	assert_non_null(doc);
	assert_true(n > 50); /* the loop did exercise failures */
	json_decref(doc);

	allocations_left = 3;
	memset(text_buf, 0, sizeof(text_buf));
	{
		FILE *f = fmemopen(text_buf, sizeof(text_buf) - 1, "w");
		assert_non_null(f);
		assert_int_equal(nc_report_json_write(r, f), -ENOMEM);
		fclose(f);
	}
	allocations_left = -1;
	nc_result_free(r);
}

/* --- text -------------------------------------------------------------- */

static void test_text_native(void **state)
{
	nc_result_t *r = build_native();
	const char *t = render_text(r, false, false);

	(void)state;
	assert_contains(t, "netcheck 0.1.0: native-linux, Docker Engine 24.0.7 (API 1.43) at "
			   "unix:///var/run/docker.sock\n");
	assert_contains(t, "container 3f2a1b4c5d6e (nginx:alpine) 172.17.0.2:80, published port 32768 "
			   "(IPv4 and IPv6)\n");
	assert_not_contains(t, "3f2a1b4c5d6e7");
	assert_contains(t, "docker-proxy[3262]");
	assert_contains(t, "0.06/0.59/0.70");
	assert_contains(t, "\n  direct-tcp: route 172.17.0.2 dev docker0 src 172.17.0.1\n");
	assert_contains(t, "  published-loopback: lo 127.0.0.1:44482\u2192127.0.0.1:32768 (3 pkts) \u21d2 "
			   "[docker-proxy pid 3262] \u21d2 docker0 172.17.0.1:38582\u2192172.17.0.2:80 "
			   "(5 pkts, +0.21 ms) \u21d2 veth1a2b 172.17.0.1:38582\u2192172.17.0.2:80 "
			   "(5 pkts, +0.020 ms)\n");
	/* NAT: no forwarder between client and translated hops, the kernel rewrote the destination */
	assert_contains(t, "  published-host: lo 192.168.1.10:50112\u2192192.168.1.10:32768 (4 pkts) \u21d2 "
			   "[kernel NAT 192.168.1.10:32768 \u2192 172.17.0.2:80] \u21d2 "
			   "docker0 192.168.1.10:50112\u2192172.17.0.2:80 (4 pkts, +0.012 ms)\n");
	assert_contains(t, "  direct-icmp: docker0 172.17.0.1\u2192172.17.0.2 (1 pkt) \u21d2 ");
	assert_not_contains(t, "UNEXPECTED");
	assert_not_contains(t, ESC);
	assert_not_contains(t, "Flags [");
	assert_not_contains(t, "not captured");
	assert_contains(t, "\n4 of 4 paths as expected for native-linux; exit 0: every path behaved as expected\n");
	nc_result_free(r);
}

/* --paths/--skip and an expectation with other verdicts: the text says
 * which paths were chosen and every verdict that was wanted; the JSON
 * has both. */
static void test_selection_and_sets(void **state)
{
	nc_result_t *r = build_native();
	nc_error_t err = { "" };
	nc_path_t *p = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST);
	json_t *doc, *sel, *e;
	const char *t;

	(void)state;
	assert_int_equal(nc_selection_add(nc_result_selection(r), false, "published-*,direct-tcp", &err), 0);
	assert_int_equal(nc_selection_add(nc_result_selection(r), true, "published-remote", &err), 0);
	assert_int_equal(nc_expect_parse(r, "published-host=proxy|unreachable|refused", &err), 0);
	assert_int_equal(nc_expect_evaluate(r), 1); /* published-host is reachable by NAT */
	t = render_text(r, false, false);
	assert_contains(t, "\nonly the paths chosen by --paths published-*,direct-tcp --skip published-remote\n");
	assert_contains(t, "UNEXPECTED (wanted reachable/proxy or unreachable or refused)");
	doc = nc_report_json(r);
	assert_non_null(doc);
	sel = json_object_get(doc, "selection");
	assert_int_equal(json_array_size(json_object_get(sel, "paths")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(sel, "skip"), 0)), "published-remote");
	e = json_object_get(json_object_get(json_array_get(json_object_get(doc, "paths"), (size_t)(p - nc_result_path(r, 0))),
					    "expectation"), "other_verdicts");
	assert_int_equal(json_array_size(e), 2);
	assert_string_equal(json_string_value(json_array_get(e, 0)), "unreachable");
	json_decref(doc);
	nc_result_free(r);
}

/* Each row's VERDICT starts in the column its title starts in. */
static void test_text_columns_aligned(void **state)
{
	nc_result_t *r = build_native();
	const char *t = render_text(r, false, false);
	const char *title = strstr(t, "PATH  "), *line;
	size_t verdict_col, expected_col;

	(void)state;
	assert_non_null(title);
	verdict_col = (size_t)(strstr(title, "VERDICT") - title);
	expected_col = (size_t)(strstr(title, "EXPECTED") - title);
	line = strchr(title, '\n') + 1;
	for (int i = 0; i < 4; i++) {
		assert_memory_equal(line + verdict_col, "reachable ", 10);
		assert_memory_equal(line + expected_col, "ok\n", 3);
		assert_true(line[verdict_col - 1] == ' ' && line[verdict_col - 2] == ' ');
		line = strchr(line, '\n') + 1;
	}
	nc_result_free(r);
}

static void test_text_color(void **state)
{
	nc_result_t *r = build_native();
	const char *t = render_text(r, true, false);

	(void)state;
	assert_contains(t, GREEN "reachable" ESC "[0m");
	assert_not_contains(t, RED);
	nc_result_free(r);

	r = build_forwarding_only();
	t = render_text(r, true, false);
	assert_contains(t, RED "UNEXPECTED (wanted reachable/proxy|out-of-sight)" ESC "[0m");
	assert_contains(t, YELLOW "unroutable" ESC "[0m");
	nc_result_free(r);

	r = build_skipped_icmp();
	t = render_text(r, true, false);
	assert_contains(t, YELLOW "skipped" ESC "[0m");
	nc_result_free(r);
}

static void test_text_forwarding_only(void **state)
{
	nc_result_t *r = build_forwarding_only();
	const char *t = render_text(r, false, false);

	(void)state;
	assert_not_contains(t, ESC);
	assert_contains(t, "UNEXPECTED (wanted reachable/proxy|out-of-sight)\n");
	assert_contains(t, "  direct-icmp: route 172.17.0.2 via 192.168.1.1 dev wlan0 src 192.168.1.10\n");
	assert_contains(t, "  direct-icmp: not probed: the route leaves through a gateway");
	assert_contains(t, "  published-loopback: the forwarder's onward leg is not visible from this host "
			   "(a VM or a namespace netcheck cannot enter)\n");
	assert_contains(t, "  published-loopback6: lo [::1]:41002\u2192[::1]:55001 (6 pkts)\n");
	assert_contains(t, "  direct-tcp: no packets seen\n");
	assert_contains(t, "com.docker.back[1234]");
	/* where container-to-host arrived, in words */
	assert_contains(t, "  container-to-host: resolved to 192.168.65.254 by dns 192.168.65.7\n");
	assert_contains(t, "  container-to-host: arrived at 127.0.0.1:41234 (lo) from 127.0.0.1:39000: through a "
			   "forwarder on this host (a process here connected for the container)\n");
	assert_contains(t, "\n5 of 6 paths as expected for docker-desktop; exit 1: at least one path did not "
			   "behave as expected\n");
	nc_result_free(r);
}

static void test_text_not_captured(void **state)
{
	nc_result_t *r = build_skipped_icmp();
	const char *t = render_text(r, false, true);

	(void)state;
	assert_int_equal(count_occurrences(t, "not captured"), 1);
	assert_contains(t, "\nevidence: not captured (capture needs CAP_NET_RAW; run as root or with --no-capture)\n");
	assert_contains(t, "  direct-icmp: skipped: no ICMP socket");
	assert_contains(t, "-/-/-");
	assert_not_contains(t, "packets:");
	assert_contains(t, "2 of 2 paths as expected for native-linux; exit 0");
	nc_result_free(r);
}

static void test_text_verbose(void **state)
{
	nc_result_t *r = build_native();
	const char *t = render_text(r, false, true);

	(void)state;
	assert_contains(t, "\npackets:\n");
	assert_contains(t, "  published-loopback: 5 packets\n");
	assert_contains(t, "    22:41:03.125456 lo out 127.0.0.1.44482 > 127.0.0.1.32768: Flags [S], length 0\n");
	assert_contains(t, "    22:41:03.125466 lo in 127.0.0.1.32768 > 127.0.0.1.44482: Flags [S.], length 0\n");
	assert_contains(t, "Flags [P.], length 78\n");
	assert_contains(t, "Flags [F.], length 0\n");
	assert_contains(t, "    22:41:03.123456 docker0 out 172.17.0.1 > 172.17.0.2: ICMP echo request, length 64\n");
	assert_contains(t, "docker0 in 172.17.0.2 > 172.17.0.1: ICMP echo reply, length 64\n");
	assert_contains(t, "  direct-tcp: 0 packets\n");
	nc_result_free(r);

	r = build_forwarding_only();
	t = render_text(r, false, true);
	assert_contains(t, "lo out ::1.41002 > ::1.55001: Flags [S], length 0\n");
	nc_result_free(r);
}

/* Strings from the engine and from a foreign responder reach the terminal
 * without control characters, and the JSON survives text cut mid-character. */
static void test_foreign_and_hostile_strings(void **state)
{
	nc_result_t *r = build_native();
	nc_path_t *p = nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP);
	nc_container_t *c = nc_result_container(r);
	const char *t;
	json_t *doc;

	(void)state;
	p->foreign_responder = true;
	snprintf(p->answered_by, sizeof(p->answered_by), "c0ffee\033]0;pwned\007\302\233");
	snprintf(c->image, sizeof(c->image), "caf\303"); /* "café" cut after the first byte of é */
	assert_int_equal(nc_expect_evaluate(r), 1);
	nc_result_set_exit_code(r, nc_exit_code_for(r, 0, 0));

	t = render_text(r, false, false);
	assert_not_contains(t, ESC);
	assert_not_contains(t, "\007");
	assert_not_contains(t, "\302\233");
	assert_contains(t, "  direct-tcp: answered by container c0ffee?]0;pwned??, not ours: IP collision\n");
	assert_contains(t, "UNEXPECTED (answered by another container)");
	assert_contains(t, "(caf?)");
	assert_contains(t, "3 of 4 paths as expected for native-linux; exit 1");

	doc = nc_report_json(r);
	assert_non_null(doc);
	assert_string_equal(jget_str(json_object_get(doc, "container"), "image"), "caf?");
	assert_string_equal(jget_str(jpath(doc, 1), "answered_by"), "c0ffee\033]0;pwned\007\302\233");
	assert_true(json_is_true(json_object_get(jpath(doc, 1), "foreign_responder")));
	json_decref(doc);
	nc_result_free(r);
}

static void test_empty_result(void **state)
{
	nc_result_t *r = nc_result_new();
	const char *t;
	json_t *doc;

	(void)state;
	assert_non_null(r);
	nc_result_set_exit_code(r, nc_exit_code_for(r, 0, 0)); /* as cli does before rendering */
	t = render_text(r, false, false);
	assert_contains(t, "netcheck 0.1.0: unknown, unknown engine ? (API ?) at ?\n");
	assert_contains(t, "0 of 0 paths as expected for unknown; exit 0");
	{
		/* a stream that refuses writes: -EIO; opt NULL means plain */
		FILE *f = fopen("/dev/null", "re");
		assert_non_null(f);
		assert_int_equal(nc_report_text(r, NULL, f), -EIO);
		fclose(f);
	}
	doc = nc_report_json(r);
	assert_non_null(doc);
	assert_true(json_is_null(json_object_get(json_object_get(doc, "environment"), "host_address")));
	assert_true(json_is_null(json_object_get(json_object_get(doc, "container"), "ip")));
	json_decref(doc);
	nc_result_free(r);
}

/* --- text: width, ASCII, diagnoses -------------------------------------- */

/* (f) a run that failed before any path: the engine went away while the
 * container started.  Every report still shows the run and why. */
static nc_result_t *build_run_failed(void)
{
	nc_result_t *r = nc_result_new();

	assert_non_null(r);
	set_native_environment(r);
	nc_result_set_error(r, -ECONNREFUSED, "the engine stopped answering while the container started");
	assert_int_equal(nc_expect_evaluate(r), 0);
	nc_result_set_exit_code(r, nc_exit_code_for(r, -ECONNREFUSED, 0));
	return r;
}

typedef nc_result_t *(*builder_t)(void);
static const struct {
	const char *name;
	builder_t build;
} samples[] = {
	{ "native-linux", build_native },
	{ "forwarding-only", build_forwarding_only },
	{ "skipped-icmp", build_skipped_icmp },
	{ "failed", build_failed },
	{ "swarm", build_swarm },
	{ "run-failed", build_run_failed },
};

/* Every line of t takes at most width columns (ANSI colours take none). */
static void assert_lines_fit(const char *t, unsigned width, const char *what)
{
	unsigned line_no = 1;

	for (const char *line = t; *line != '\0'; line_no++) {
		const char *end = strchr(line, '\n');
		size_t cols = 0;

		assert_non_null(end); /* every line ends with a newline */
		for (const char *c = line; c < end; c++) {
			if (*c == '\033') {
				while (c < end && *c != 'm')
					c++;
				continue;
			}
			if (((unsigned char)*c & 0xC0) != 0x80)
				cols++;
		}
		if (cols > width)
			fail_msg("%s: line %u is %zu columns, more than %u:\n%.*s\nin\n%s", what, line_no, cols, width,
				 (int)(end - line), line, t);
		line = end + 1;
	}
}

static void test_text_fits_width(void **state)
{
	static const unsigned widths[] = { 40, 80, 120, 200 };

	(void)state;
	for (size_t s = 0; s < NC_ARRAY_SIZE(samples); s++) {
		nc_result_t *r = samples[s].build();

		for (size_t w = 0; w < NC_ARRAY_SIZE(widths); w++)
			for (int variant = 0; variant < 8; variant++) {
				nc_report_options_t opt = { .width = widths[w], .verbose = variant & 1,
							    .ascii = variant & 2, .color = variant & 4 };
				char what[96];

				snprintf(what, sizeof(what), "%s at %u columns (variant %d)", samples[s].name, widths[w],
					 variant);
				assert_lines_fit(render_text_opt(r, &opt), widths[w], what);
			}
		nc_result_free(r);
	}
}

/* What the narrow table keeps, and how it says what it left out. */
static void test_text_narrow_table(void **state)
{
	nc_result_t *r = build_forwarding_only();
	nc_report_options_t opt = { .width = 40 };
	const char *t = render_text_opt(r, &opt);

	(void)state;
	assert_contains(t, "\nPATH ");
	assert_contains(t, "VERDICT");
	assert_contains(t, "EXPECTED");
	assert_contains(t, "\nPATH                 VERDICT     EXPECT\u2026\n");
	assert_contains(t, "\npublished-loopback6  reachable   ok\n");
	assert_contains(t, "(TARGET, MECHANISM, FORWARDER, PEER\n  SEEN, CONNECT/FIRST BYTE/TOTAL ms: not\n"
			   "  shown in 40 columns; --json has every\n  field)\n");
	/* the shortened EXPECTED cell, then what was wanted in full, wrapped */
	assert_contains(t, "\npublished-host       timeout     UNEXPE\u2026\n");
	assert_contains(t, "  published-host: UNEXPECTED (wanted\n    reachable/proxy|out-of-sight)\n");
	/* a trail continues on lines indented under the path's name */
	assert_contains(t, "  published-loopback6: lo\n      [::1]:41002\u2192[::1]:55001 (6 pkts)\n");
	nc_result_free(r);

	/* 80: the forwarder goes whole (the trail names it), the rest stays */
	r = build_native();
	opt.width = 80;
	t = render_text_opt(r, &opt);
	assert_contains(t, "\nPATH                TARGET              VERDICT    MECHANISM  EXPECTED\n"
			   "direct-icmp         172.17.0.2          reachable  direct     ok\n");
	assert_contains(t, "(FORWARDER, PEER SEEN, CONNECT/FIRST BYTE/TOTAL ms: not shown in 80 columns;\n"
			   "  --json has every field)\n");
	nc_result_free(r);

	r = build_native();
	opt.width = 200; /* the whole table, untouched */
	t = render_text_opt(r, &opt);
	assert_contains(t, "CONNECT/FIRST BYTE/TOTAL ms  EXPECTED\n");
	assert_not_contains(t, "not shown");
	assert_not_contains(t, "\u2026");
	nc_result_free(r);
}

static void assert_ascii_only(const char *t, const char *what)
{
	for (const char *c = t; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80)
			fail_msg("%s: byte 0x%02x at offset %zu in\n%s", what, (unsigned char)*c, (size_t)(c - t), t);
}

static void test_text_ascii(void **state)
{
	(void)state;
	for (size_t s = 0; s < NC_ARRAY_SIZE(samples); s++) {
		nc_result_t *r = samples[s].build();
		nc_report_options_t opt = { .ascii = true, .verbose = true, .width = 40 };

		/* engine text that is not ASCII: folded to '?' */
		snprintf(nc_result_container(r)->image, sizeof(nc_result_container(r)->image), "caf\303\251:\342\234\223");
		assert_ascii_only(render_text_opt(r, &opt), samples[s].name);
		opt.width = WIDE;
		assert_ascii_only(render_text_opt(r, &opt), samples[s].name);
		nc_result_free(r);
	}
	{
		nc_result_t *r = build_native();
		nc_report_options_t opt = { .ascii = true, .width = WIDE };
		const char *t = render_text_opt(r, &opt);

		assert_contains(t, "  published-loopback: lo 127.0.0.1:44482->127.0.0.1:32768 (3 pkts) => "
				   "[docker-proxy pid 3262] => docker0 ");
		assert_contains(t, "[kernel NAT 192.168.1.10:32768 -> 172.17.0.2:80] => ");
		opt.width = 40;
		t = render_text_opt(r, &opt);
		assert_contains(t, "  published-host: lo\n      192.168.1.10:50112->\n      192.168.1.10:32768 (4 pkts) =>\n");
		nc_result_free(r);
	}
	{
		nc_result_t *r = build_forwarding_only();
		nc_report_options_t opt = { .ascii = true, .width = 40 };

		assert_contains(render_text_opt(r, &opt), "\npublished-host       timeout     UNEX...\n");
		nc_result_free(r);
	}
}

/* diagnosis.observed: each observation with its source, text and the
 * fields of that source (schema 1.3) */
static void test_json_observed(void **state)
{
	nc_result_t *r = build_failed();
	json_t *doc = nc_report_json(r), *d, *obs, *o;

	(void)state;
	assert_non_null(doc);
	d = json_object_get(jpath(doc, 1), "diagnosis"); /* published-host: dropped */
	assert_string_equal(jget_str(d, "code"), "dropped");
	assert_true(json_is_false(json_object_get(d, "observed_cut")));
	obs = json_object_get(d, "observed");
	assert_int_equal(json_array_size(obs), 6);
	o = json_array_get(obs, 0);
	assert_string_equal(jget_str(o, "source"), "capture");
	assert_string_equal(jget_str(o, "point"), "docker0");
	assert_int_equal(json_integer_value(json_object_get(o, "packets")), 3);
	o = json_array_get(obs, 1);
	assert_string_equal(jget_str(o, "source"), "nftrace");
	assert_string_equal(jget_str(o, "chain"), "DOCKER-USER");
	assert_int_equal(json_integer_value(json_object_get(o, "handle")), 12);
	assert_string_equal(jget_str(o, "verdict"), "drop");
	o = json_array_get(obs, 2);
	assert_string_equal(jget_str(o, "reason"), "NETFILTER_DROP");
	o = json_array_get(obs, 4);
	assert_string_equal(jget_str(o, "state"), "running");
	assert_true(json_is_null(json_object_get(o, "exit_code")));
	o = json_array_get(obs, 5); /* engine: the text alone */
	assert_int_equal(json_object_size(o), 2);
	d = json_object_get(jpath(doc, 2), "diagnosis"); /* direct-tcp: the socket */
	o = json_array_get(json_object_get(d, "observed"), 0);
	assert_string_equal(jget_str(o, "local"), "127.0.0.1:80");
	assert_string_equal(jget_str(o, "proto"), "tcp");
	assert_true(json_is_null(json_object_get(o, "pid")));
	/* a diagnosis with nothing observed has an empty list */
	d = json_object_get(jpath(doc, 4), "diagnosis");
	assert_int_equal(json_array_size(json_object_get(d, "observed")), 0);
	json_decref(doc);
	nc_result_free(r);
}

static void test_text_diagnosis(void **state)
{
	nc_result_t *r = build_failed();
	const char *t = render_text(r, false, false);

	(void)state;
	/* the code first: what `netcheck explain` takes */
	assert_contains(t, "\n  published-host: [dropped] 3 SYNs to 172.17.0.2:80 were seen at docker0 and never at "
			   "veth1a2b; hint: look for a DROP in the FORWARD chain: iptables -S DOCKER-USER\n");
	assert_contains(t, "\n  direct-tcp: [listening-on-loopback-only] the app in the container listens on 127.0.0.1:80 only, so the container's "
			   "kernel reset the connection from 172.17.0.1; hint: make the app listen on 0.0.0.0 (all "
			   "addresses) inside the container\n");
	/* the observations, one line each under their diagnosis */
	assert_contains(t, "DOCKER-USER\n      observed (capture): 3 of the path's packets seen on docker0\n"
			   "      observed (nftrace): ip filter DOCKER-USER: rule 12 `ip saddr 10.0.0.0/8 drop` dropped it\n"
			   "      observed (drop-reason): dropped: NETFILTER_DROP at nf_hook_slow\n"
			   "      observed (sysctl): net.ipv4.ip_forward = 1\n");
	assert_contains(t, "inside the container\n      observed (socket): in the container, 127.0.0.1:80/tcp listens\n");
	assert_int_equal(count_occurrences(t, "observed ("), 7);
	/* no hint: the detail alone */
	assert_contains(t, "\n  published-loopback6: [no-forwarder] nothing forwards [::1]:32768: the engine runs without "
			   "IPv6\n");
	assert_int_equal(count_occurrences(t, "hint:"), 2);
	assert_contains(t, "  captured at: lo 11, docker0 9, veth1a2b 6, eth0@container 6, eth0 0 packets; "
			   "2 dropped by the kernel\n");
	assert_contains(t, "3 of 5 paths as expected for native-linux; exit 1");
	/* paths without a diagnosis say nothing more */
	assert_int_equal(count_occurrences(t, "  published-loopback: "), 1);

	/* wrapped at 80: the sentence goes on, indented, under the path */
	{
		nc_report_options_t opt = { .width = 80 };

		t = render_text_opt(r, &opt);
		assert_contains(t, "\n  published-host: [dropped] 3 SYNs to 172.17.0.2:80 were seen at docker0 and\n"
				   "    never at veth1a2b; hint: look for a DROP in the FORWARD chain: iptables -S\n"
				   "    DOCKER-USER\n");
	}
	/* a detail as long as the model holds (NC_DIAG_DETAIL_MAX) is printed
	 * whole, not cut where a path's plain detail ends (NC_DETAIL_MAX) */
	{
		char longer[NC_DIAG_DETAIL_MAX];
		size_t n = 0;

		while (n + 32 < NC_DETAIL_MAX + 100)
			n += (size_t)snprintf(longer + n, sizeof(longer) - n, "words of a long detail %03zu, ", n);
		snprintf(longer + n, sizeof(longer) - n, "its-last-words");
		nc_path_diagnose(nc_result_path(r, 4), NC_DIAG_NO_FORWARDER, NULL, "%s", longer);
		t = render_text(r, false, false);
		assert_int_equal(count_occurrences(t, "its-last-words"), 1);
	}
	nc_result_free(r);
}

/* The table row of the path named (row starts with it) contains what. */
static void assert_row_has(const char *t, const char *row, const char *what)
{
	char line[512];
	const char *at = strstr(t, row);

	while (at != NULL && at != t && at[-1] != '\n')
		at = strstr(at + 1, row);
	assert_non_null(at);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
	if (strstr(line, what) == NULL)
		fail_msg("row '%s' lacks '%s' in\n%s", line, what, t);
}

/* An address:port is never cut: a cut one reads as another port
 * (172.17.0.2:80… for :8080).  The other columns shorten or go first;
 * EXPECTED becomes its short form, the whole text under the table. */
static void test_text_target_whole(void **state)
{
	static const unsigned widths[] = { 60, 72, 80, 100 };
	(void)state;

	for (size_t w = 0; w < NC_ARRAY_SIZE(widths); w++) {
		nc_result_t *r = build_failed();
		nc_report_options_t opt = { .width = widths[w] };
		const char *t;

		nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP)->target = ep("172.17.0.2", 8080);
		nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST)->target = ep("192.168.100.100", 32768);
		t = render_text_opt(r, &opt);
		/* each row has its target whole, or the TARGET column is gone */
		if (strstr(t, "(TARGET") == NULL) {
			assert_row_has(t, "published-host ", "192.168.100.100:32768 ");
			assert_row_has(t, "direct-tcp ", "172.17.0.2:8080 ");
		}
		assert_not_contains(t, "172.17.0.2:80\u2026");
		assert_lines_fit(t, widths[w], "target whole");
		if (widths[w] == 80) {
			/* the table keeps the target whole at 80 columns, and says UNEXPECTED */
			assert_contains(t, "\ndirect-tcp           172.17.0.2:8080 ");
			assert_contains(t, "  UNEXPECTED\n");
			assert_contains(t, "  published-host: UNEXPECTED (wanted reachable/nat|proxy)\n");
		}
		nc_result_free(r);
	}
}

/* Paths with the same diagnosis, word for word: it is printed once, naming
 * them all; one that differs in a word (an observation) is its own. */
static void test_text_diagnosis_shared(void **state)
{
	nc_result_t *r = build_failed();
	nc_path_t *host = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST);
	nc_path_t *loopback = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_LOOPBACK);
	const char *t;

	(void)state;
	loopback->diagnosis = host->diagnosis;
	t = render_text(r, false, false);
	assert_contains(t, "\n  published-loopback, published-host: [dropped] 3 SYNs to 172.17.0.2:80 were seen at "
			   "docker0 and never at veth1a2b; hint: ");
	assert_int_equal(count_occurrences(t, "3 SYNs to"), 1);
	assert_int_equal(count_occurrences(t, "observed (nftrace)"), 1);
	/* the JSON keeps a diagnosis per path */
	{
		json_t *doc = nc_report_json(r);

		assert_string_equal(jget_str(json_object_get(jpath(doc, 0), "diagnosis"), "code"), "dropped");
		assert_string_equal(jget_str(json_object_get(jpath(doc, 1), "diagnosis"), "code"), "dropped");
		json_decref(doc);
	}
	/* another observation: another diagnosis, printed on its own */
	snprintf(loopback->diagnosis.observed[0].text, sizeof(loopback->diagnosis.observed[0].text),
		 "2 of the path's packets seen on docker0");
	t = render_text(r, false, false);
	assert_int_equal(count_occurrences(t, "3 SYNs to"), 2);
	assert_contains(t, "\n  published-loopback: [dropped] 3 SYNs");
	nc_result_free(r);
}

/* A warning diagnosis's path: the reason is the policy's, as recorded. */
static void test_text_warning_reason(void **state)
{
	nc_result_t *r = build_native();
	nc_path_t *p = nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP);
	const char *t;

	(void)state;
	p->expected = false;
	p->unexpected = NC_UNEXPECTED_WARNING;
	snprintf(p->unexpected_reason, sizeof(p->unexpected_reason), "the container is paused");
	t = render_text(r, false, false);
	assert_contains(t, "UNEXPECTED (the container is paused)\n");
	assert_not_contains(t, "firewall rule");
	nc_result_free(r);
}

/* --- JUnit ------------------------------------------------------------- */

static const char *render_junit(const nc_result_t *r)
{
	FILE *f;

	memset(text_buf, 0, sizeof(text_buf));
	f = fmemopen(text_buf, sizeof(text_buf) - 1, "w");
	assert_non_null(f);
	assert_int_equal(nc_report_junit_write(r, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(strlen(text_buf) < sizeof(text_buf) - 2);
	return text_buf;
}

static void test_junit_failed(void **state)
{
	nc_result_t *r = build_failed();
	const char *x = render_junit(r);

	(void)state;
	assert_contains(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"netcheck\" tests=\"5\" "
			   "failures=\"2\" errors=\"0\" skipped=\"1\" time=\"2.001\">\n");
	assert_int_equal(count_occurrences(x, "<testsuite "), 1);
	assert_contains(x, "<testsuite name=\"netcheck\" tests=\"5\" failures=\"2\" errors=\"0\" skipped=\"1\" "
			   "time=\"2.001\" timestamp=\"2026-11-28T22:41:03\" hostname=\"unix:///var/run/docker.sock\">");
	assert_int_equal(count_occurrences(x, "<testcase "), 5);
	assert_contains(x, "<testcase classname=\"netcheck.native-linux\" name=\"published-loopback\" time=\"0.001\"/>");
	assert_contains(x, "<failure message=\"verdict timeout (nat), expected reachable (nat|proxy): 3 SYNs to "
			   "172.17.0.2:80 were seen at docker0 and never at veth1a2b\" type=\"dropped\">hint: look for a "
			   "DROP in the FORWARD chain: iptables -S DOCKER-USER\n"
			   "observed (capture): 3 of the path&#39;s packets seen on docker0\n"
			   "observed (nftrace): ip filter DOCKER-USER: rule 12 `ip saddr 10.0.0.0/8 drop` dropped it\n"
			   "observed (drop-reason): dropped: NETFILTER_DROP at nf_hook_slow\n"
			   "observed (sysctl): net.ipv4.ip_forward = 1\n"
			   "observed (container): the container was running\n"
			   "observed (engine): the engine publishes 80/tcp on 0.0.0.0:32768\nevidence:\n  lo client out "
			   "192.168.1.10:50112 -&gt; 192.168.1.10:32768: 3 packets from 2026-11-28T22:41:03.126456789Z\n");
	assert_contains(x, "type=\"listening-on-loopback-only\"");
	assert_contains(x, "container&#39;s kernel");
	assert_contains(x, "<skipped message=\"skipped: the port is not published on IPv6\"/>");
	assert_contains(x, "<system-out>environment: native-linux\nengine: Docker Engine 24.0.7 (API 1.43) at "
			   "unix:///var/run/docker.sock\n");
	assert_contains(x, "capture point eth0@container: 6 packets, 2 dropped\n");
	nc_result_free(r);
}

/* A probe that could not be made is a JUnit <error>, not a <failure>; a run
 * that failed before any path is one testcase in error, not an empty suite. */
static void test_junit_errors(void **state)
{
	nc_result_t *r = build_native();
	nc_path_t *p = nc_result_path(r, 0);
	const char *x;

	(void)state;
	p->verdict = NC_VERDICT_ERROR;
	p->expected = false;
	x = render_junit(r);
	assert_contains(x, "errors=\"1\"");
	assert_int_equal(count_occurrences(x, "<error message=\"verdict error"), 1);
	assert_int_equal(count_occurrences(x, "</error>"), 1);
	assert_not_contains(x, "<failure ");
	nc_result_free(r);

	r = build_run_failed();
	x = render_junit(r);
	assert_contains(x, "<testsuites name=\"netcheck\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\"");
	assert_contains(x, "<testcase classname=\"netcheck.run\" name=\"run\" time=\"0.000\">\n"
			   "      <error message=\"run failed: the engine stopped answering while the container started\"");
	assert_int_equal(count_occurrences(x, "<testcase "), 1);
	nc_result_free(r);
}

/* Paths of a node share a suite; engine text cannot break out of markup. */
static void test_junit_swarm_and_escaping(void **state)
{
	nc_result_t *r = build_swarm();
	const char *x = render_junit(r);

	(void)state;
	assert_int_equal(count_occurrences(x, "<testsuite "), 2);
	assert_contains(x, "<testsuite name=\"netcheck:node-a\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\"");
	assert_contains(x, "<testsuite name=\"netcheck:node-b&lt;&amp;&gt;&quot;\" tests=\"2\" failures=\"1\" "
			   "errors=\"0\" skipped=\"1\"");
	assert_contains(x, "hostname=\"node-a\">");
	assert_contains(x, "Docker Engine &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; ]0;t  24.0.7");
	assert_not_contains(x, "<script");
	assert_not_contains(x, "\001");
	assert_not_contains(x, ESC);
	assert_not_contains(x, "\007");
	assert_not_contains(x, "\302\233");
	nc_result_free(r);

	/* no paths: one suite still carries the environment */
	r = nc_result_new();
	assert_non_null(r);
	x = render_junit(r);
	assert_contains(x, "<testsuites name=\"netcheck\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\"");
	assert_int_equal(count_occurrences(x, "<testsuite "), 1);
	assert_contains(x, "hostname=\"unknown\">");
	{
		FILE *f = fopen("/dev/null", "re");

		assert_non_null(f);
		assert_int_equal(nc_report_junit_write(r, f), -EIO);
		fclose(f);
	}
	nc_result_free(r);
}


/* --swarm: a table per node under its task's line; JSON groups the same
 * path objects by node. */
/* probe --project: paths qualified by service; a text table, a JSON
 * "project" entry and a JUnit suite per service. */
static nc_result_t *build_project(void)
{
	nc_result_t *r = nc_result_new();
	static const char *const services[] = { "db", "web" };
	nc_path_t *p;

	assert_non_null(r);
	set_native_environment(r);
	snprintf(nc_result_container(r)->project, sizeof(nc_result_container(r)->project), "shop");
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(nc_result_add_path_named(r, NC_PATH_DIRECT_TCP, services[i], &(nc_endpoint_t){ 0 }, &p), 0);
		snprintf(p->service, sizeof(p->service), "%s", services[i]);
		snprintf(p->container, sizeof(p->container), "shop-%s-1", services[i]);
		p->verdict = NC_VERDICT_REACHABLE;
		p->mechanism = NC_MECH_DIRECT;
		p->expected = true;
		assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_LOOPBACK, services[i], &(nc_endpoint_t){ 0 }, &p), 0);
		snprintf(p->service, sizeof(p->service), "%s", services[i]);
		snprintf(p->container, sizeof(p->container), "shop-%s-1", services[i]);
		p->verdict = i == 0 ? NC_VERDICT_REFUSED : NC_VERDICT_REACHABLE;
		p->expected = i != 0;
	}
	return r;
}

static void test_project_reports(void **state)
{
	nc_result_t *r = build_project();
	const char *x = render_text(r, false, false);
	json_t *doc, *services, *db;

	(void)state;
	assert_contains(x, "service db of Compose project shop (container shop-db-1)\nPATH ");
	assert_contains(x, "service web of Compose project shop (container shop-web-1)\nPATH ");
	assert_int_equal(count_occurrences(x, "\nPATH "), 2);
	assert_null(strstr(x, "were not probed"));
	assert_true(strstr(x, "direct-tcp:db") < strstr(x, "service web"));
	assert_true(strstr(x, "direct-tcp:web") > strstr(x, "service web"));

	doc = nc_report_json(r);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "project"), "name")), "shop");
	services = json_object_get(json_object_get(doc, "project"), "services");
	assert_int_equal(json_array_size(services), 2);
	db = json_array_get(services, 0);
	assert_string_equal(json_string_value(json_object_get(db, "name")), "db");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(db, "containers"), 0), "name")),
			    "shop-db-1");
	/* the same path objects as in "paths" */
	assert_ptr_equal(json_array_get(json_object_get(json_array_get(json_object_get(db, "containers"), 0), "paths"), 1),
			 json_array_get(json_object_get(doc, "paths"), 1));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "project"), "left_out")), 0);
	json_decref(doc);

	/* past NC_PROJECT_MAX running containers: the report says how many were not probed */
	nc_result_container(r)->project_left_out = 3;
	x = render_text(r, false, false);
	assert_contains(x, "3 more running containers of Compose project shop were not probed: netcheck probes the first 16 in "
			   "service order");
	doc = nc_report_json(r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "project"), "left_out")), 3);
	json_decref(doc);
	nc_result_container(r)->project_left_out = 0;

	x = render_junit(r);
	assert_int_equal(count_occurrences(x, "<testsuite "), 2);
	assert_contains(x, "<testsuite name=\"netcheck:db\" tests=\"2\" failures=\"1\"");
	assert_contains(x, "<testsuite name=\"netcheck:web\" tests=\"2\" failures=\"0\"");
	nc_result_free(r);
}

static void test_swarm_text_and_json(void **state)
{
	nc_result_t *r = build_swarm();
	const char *x = render_text(r, false, false);
	json_t *doc, *nodes, *a, *b;

	(void)state;
	assert_contains(x, "swarm service netcheck-abc (sha256:0123456789ab, global) on overlay netcheck-abc 10.0.1.0/24, 2 nodes");
	assert_contains(x, "node host-a (10.0.0.11, manager, ready): task running at 10.0.1.5, host port 30080\nPATH ");
	assert_contains(x, "node host-b");
	assert_contains(x, "task rejected: No such image");
	assert_contains(x, "in vxlan 10.0.0.12");
	assert_contains(x, "capture agent: on 1 node, 2 points (eth0@task.host-a 0, eth0@host-a 0 packets);");
	assert_contains(x, "node host-b not captured: its task is not running");
	assert_int_equal(count_occurrences(x, "\nPATH "), 2);
	/* node-a's table holds node-a's paths only */
	assert_true(strstr(x, "published-node:node-a") < strstr(x, "node host-b"));
	assert_true(strstr(x, "task-to-task:node-a") < strstr(x, "node host-b"));
	assert_true(strstr(x, "published-ingress:node-b") > strstr(x, "node host-b"));
	assert_not_contains(x, ESC);

	doc = nc_report_json(r);
	assert_non_null(doc);
	nodes = json_object_get(json_object_get(doc, "swarm"), "nodes");
	assert_int_equal(json_array_size(nodes), 2);
	a = json_array_get(nodes, 0);
	b = json_array_get(nodes, 1);
	assert_string_equal(jget_str(a, "hostname"), "host-a");
	assert_string_equal(jget_str(a, "name"), "host-a");
	assert_int_equal(json_array_size(json_object_get(a, "paths")), 2);
	assert_string_equal(jget_str(json_array_get(json_object_get(a, "paths"), 0), "name"), "published-node:node-a");
	assert_string_equal(jget_str(json_array_get(json_object_get(a, "paths"), 1), "name"), "task-to-task:node-a");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "task"), "published_port")), 30080);
	assert_int_equal(json_array_size(json_object_get(b, "paths")), 2);
	assert_string_equal(jget_str(json_object_get(b, "task"), "state"), "rejected");
	assert_true(json_is_null(json_object_get(json_object_get(b, "task"), "published_port")));
	/* the very same objects as the top-level list */
	assert_ptr_equal(json_array_get(json_object_get(a, "paths"), 0), jpath(doc, 0));
	assert_string_equal(jget_str(json_object_get(json_object_get(doc, "swarm"), "service"), "image"),
			    "sha256:0123456789abcdef0123");
	/* task to task: overlay, from the outer packets on an uplink */
	{
		json_t *t2t = json_array_get(json_object_get(a, "paths"), 1);
		json_t *hops = json_object_get(t2t, "evidence"), *outer;
		json_t *points = json_object_get(json_object_get(doc, "environment"), "capture_points");

		assert_string_equal(jget_str(t2t, "mechanism"), "overlay");
		assert_null(json_object_get(json_array_get(hops, 0), "outer"));
		outer = json_object_get(json_array_get(hops, 1), "outer");
		assert_non_null(outer);
		assert_string_equal(jget_str(outer, "encapsulation"), "vxlan");
		assert_string_equal(jget_str(outer, "src"), "10.0.0.12:41000");
		assert_string_equal(jget_str(outer, "dst"), "10.0.0.11:4789");
		assert_int_equal(json_integer_value(json_object_get(outer, "vni")), 4097);
		assert_string_equal(jget_str(json_array_get(points, json_array_size(points) - 1), "node"), "node-a");
	}
	json_decref(doc);
	nc_result_free(r);

	/* a single-host run has no "swarm" */
	r = build_native();
	doc = nc_report_json(r);
	assert_null(json_object_get(doc, "swarm"));
	json_decref(doc);
	nc_result_free(r);
}

/* --- HTML -------------------------------------------------------------- */

static const char *render_html(const nc_result_t *r, bool verbose)
{
	nc_report_options_t opt = { .verbose = verbose };
	FILE *f;

	memset(text_buf, 0, sizeof(text_buf));
	f = fmemopen(text_buf, sizeof(text_buf) - 1, "w");
	assert_non_null(f);
	assert_int_equal(nc_report_html_write(r, &opt, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(strlen(text_buf) < sizeof(text_buf) - 2);
	return text_buf;
}

/* the text from needle to the next "</section>" */
static const char *html_section(const char *html, const char *needle, char *buf, size_t len)
{
	const char *start = strstr(html, needle), *end;

	assert_non_null(start);
	end = strstr(start, "</section>");
	assert_non_null(end);
	assert_true((size_t)(end - start) < len);
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
	return buf;
}

static void test_html_failed(void **state)
{
	nc_result_t *r = build_failed();
	const char *h = render_html(r, false);
	static char sec[16 * 1024];

	(void)state;
	assert_true(strncmp(h, "<!DOCTYPE html>\n", 16) == 0);
	/* self-contained: nothing to fetch, nothing to run */
	assert_not_contains(h, "<script");
	assert_not_contains(h, "<link");
	assert_not_contains(h, "src=");
	assert_not_contains(h, "https:");
	assert_int_equal(count_occurrences(h, "<section class=\"path\" id=\"path-"), 5);
	assert_int_equal(count_occurrences(h, "<svg "), 5);
	assert_int_equal(count_occurrences(h, "<svg "), count_occurrences(h, "</svg>"));
	assert_contains(h, "<a href=\"#path-published-host\">published-host</a>");
	/* each diagnosis with what it rests on */
	assert_contains(h, "<ul class=\"observed\">\n<li><b>capture</b>: 3 of the path&#39;s packets seen on docker0</li>\n");
	assert_int_equal(count_occurrences(h, "<ul class=\"observed\">"), 2);
	/* environment: engine, kind, bridge, host address, capture points */
	assert_contains(h, "<dt>engine</dt><dd>Docker Engine 24.0.7 (API 1.43) at <code>unix:///var/run/docker.sock</code>");
	assert_contains(h, "<dt>bridge</dt><dd><code>docker0</code>");
	assert_contains(h, "<code>192.168.1.10</code> on <code>eth0</code>");
	assert_contains(h, "<tr><td class=\"mono\">eth0@container</td><td>eth0 inside the container</td>"
			   "<td class=\"num\">6</td><td class=\"num\">8</td><td class=\"num bad\">2</td>");

	/* the proxy: client, lo, the forwarder, then the onward leg to eth0 */
	html_section(h, "id=\"path-published-loopback\"", sec, sizeof(sec));
	assert_contains(sec, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"");
	assert_contains(sec, "><title>published-loopback: evidence trail, 4 hops</title>");
	assert_true(strstr(sec, ">client</text>") < strstr(sec, ">lo</text>"));
	assert_true(strstr(sec, ">lo</text>") < strstr(sec, ">docker-proxy</text>"));
	assert_true(strstr(sec, ">docker-proxy</text>") < strstr(sec, ">docker0</text>"));
	assert_true(strstr(sec, ">veth1a2b</text>") < strstr(sec, ">eth0@container</text>"));
	assert_contains(sec, ">pid 3262</text>");
	assert_contains(sec, ">3 pkts, +0.210 ms</text>");
	assert_contains(sec, ">3 pkts, +1.034 ms</text>");
	assert_not_contains(sec, "stopped");

	/* NAT between the client leg and the translated one; stopped at docker0 */
	html_section(h, "id=\"path-published-host\"", sec, sizeof(sec));
	assert_true(strstr(sec, ">lo</text>") < strstr(sec, ">NAT</text>"));
	assert_true(strstr(sec, ">NAT</text>") < strstr(sec, ">docker0</text>"));
	assert_contains(sec, "<title>published-host: evidence trail, 2 hops, packets stopped at docker0</title>");
	assert_contains(sec, "<p class=\"diagnosis\">3 SYNs to 172.17.0.2:80 were seen at docker0 and never at veth1a2b "
			     "<b>hint:</b> look for a DROP");
	assert_int_equal(count_occurrences(sec, "class=\"box stopped\""), 1);
	assert_contains(sec, "packets stopped here</text>");
	assert_true(strstr(sec, ">docker0</text>") < strstr(sec, "packets stopped here"));

	assert_int_equal(count_occurrences(h, "packets stopped here"), 2); /* published-host, direct-tcp */
	assert_contains(h, "container&#39;s kernel reset");
	assert_not_contains(h, "<details>"); /* packets only when verbose */
	nc_result_free(r);

	r = build_native();
	h = render_html(r, true);
	assert_contains(h, "<details><summary>5 packets</summary>");
	assert_contains(h, "<td class=\"mono\">S.</td>");
	assert_not_contains(h, "packets stopped here");
	nc_result_free(r);
}

static void test_html_escaping(void **state)
{
	nc_result_t *r = build_swarm();
	const char *h = render_html(r, true);

	(void)state;
	assert_not_contains(h, "<script");
	assert_contains(h, "Docker Engine &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; ]0;t");
	assert_not_contains(h, "\001");
	assert_not_contains(h, ESC);
	assert_not_contains(h, "\302\233");
	assert_contains(h, "id=\"path-published-node:node-b&lt;&amp;&gt;\"");
	assert_contains(h, " on node <code>node-b&lt;&amp;&gt;&quot;</code>");
	assert_contains(h, ">evidence not captured</text>");
	/* task to task's outer packets: the nodes they went between */
	assert_contains(h, "eth0@host-a<br>in vxlan 10.0.0.12 \u2192 10.0.0.11, vni 4097</td>");
	assert_contains(h, "client, out, in vxlan");
	nc_result_free(r);

	r = nc_result_new();
	assert_non_null(r);
	h = render_html(r, false);
	assert_contains(h, "0 of 0 paths as expected");
	assert_contains(h, "</html>\n");
	{
		FILE *f = fopen("/dev/null", "re");

		assert_non_null(f);
		assert_int_equal(nc_report_html_write(r, NULL, f), -EIO);
		fclose(f);
	}
	nc_result_free(r);
}

/* A failed run carries its error into every report; a clean one has none. */
static void test_run_error(void **state)
{
	nc_result_t *r = build_swarm();
	json_t *doc = nc_report_json(r), *error;
	const char *t;

	(void)state;
	assert_non_null(doc);
	error = json_object_get(doc, "error");
	assert_true(json_is_object(error));
	assert_int_equal(json_integer_value(json_object_get(error, "code")), -ETIMEDOUT);
	assert_string_equal(jget_str(error, "name"), "ETIMEDOUT");
	assert_true(strncmp(jget_str(error, "message"), "node node-b stopped answering <script>", 38) == 0);
	assert_int_equal(json_integer_value(json_object_get(doc, "exit_code")), NC_EXIT_ENGINE);
	json_decref(doc);

	t = render_text(r, false, false);
	assert_contains(t, "\nrun failed: node node-b stopped answering <script>alert(\"x\")</script> & 'q' ?");
	assert_not_contains(t, ESC);
	assert_contains(render_junit(r), "run failed: node node-b stopped answering &lt;script&gt;");
	assert_contains(render_junit(r), "(error ETIMEDOUT)"); /* its name, not a number */
	assert_contains(render_html(r, false), "<b>The run failed:</b> node node-b stopped answering &lt;script&gt;");

	/* cleared: gone from the JSON */
	nc_result_set_error(r, 0, NULL);
	assert_null(nc_result_error(r));
	assert_int_equal(nc_result_error_code(r), 0);
	doc = nc_report_json(r);
	assert_non_null(doc);
	assert_null(json_object_get(doc, "error"));
	json_decref(doc);
	nc_result_free(r);

	r = build_native();
	assert_null(nc_result_error(r));
	assert_not_contains(render_text(r, false, false), "run failed");
	nc_result_free(r);
}

/* --- samples for the schema check -------------------------------------- */

typedef int (*writer_t)(const nc_result_t *r, FILE *out);

static int write_json(const nc_result_t *r, FILE *out) { return nc_report_json_write(r, out); }

static int write_html(const nc_result_t *r, FILE *out)
{
	nc_report_options_t opt = { .verbose = true };

	return nc_report_html_write(r, &opt, out);
}

/* report-<sample>.<ext> in dir */
static int write_sample(const char *dir, const char *name, builder_t build, const char *ext, writer_t write)
{
	char path[4096];
	nc_result_t *r;
	FILE *f;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/report-%s.%s", dir, name, ext) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (f == NULL)
		return -errno;
	r = build();
	rc = write(r, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	nc_result_free(r);
	return rc;
}

/* Every sample as JSON (for check-report-schema.py), JUnit XML (for
 * check-report-junit.py) and HTML (for tests/check-report-html.sh). */
static int write_samples(const char *dir)
{
	static const struct { const char *ext; writer_t write; } formats[] = {
		{ "json", write_json },
		{ "xml", nc_report_junit_write },
		{ "html", write_html },
	};
	int rc;

	for (size_t s = 0; s < NC_ARRAY_SIZE(samples); s++)
		for (size_t f = 0; f < NC_ARRAY_SIZE(formats); f++)
			if ((rc = write_sample(dir, samples[s].name, samples[s].build, formats[f].ext, formats[f].write)) < 0)
				return rc;
	return 0;
}

static void test_write_samples(void **state)
{
	const char *dir = getenv("NC_REPORT_SAMPLE_DIR");

	(void)state;
	if (dir == NULL || *dir == '\0')
		skip();
	assert_int_equal(write_samples(dir), 0);
}

/* The kernel, the oldest proof: a modelled Docker Desktop answer (the VM's
 * linuxkit kernel and its own boot id; no Mac here) against this host's,
 * decided by the policy, in the JSON and the text.  And the same boot id:
 * the same kernel instance. */
/* The capture agent's line: its points (where: engine, container) with
 * their packets, the clock offset and its uncertainty, and its note; or
 * why it was not used.  HTML says the same. */
static void test_text_agent(void **state)
{
	nc_result_t *r = build_native();
	nc_environment_t *env = nc_result_environment(r);

	(void)state;
	assert_not_contains(render_text(r, false, false), "capture agent");
	env->bridge_attached = false;
	env->capture_points[1].where = NC_WHERE_ENGINE;
	snprintf(env->capture_points[1].name, sizeof(env->capture_points[1].name), "docker0@engine");
	env->capture_points[2].where = NC_WHERE_CONTAINER;
	env->capture_points[2].incomplete = true;
	snprintf(env->capture_points[2].name, sizeof(env->capture_points[2].name), "eth0@container");
	env->agent_used = true;
	env->agent_clock_known = true;
	env->agent_clock_offset_ns = -1234567;
	env->agent_clock_uncertainty_ns = 45000;
	assert_contains(render_text(r, false, false),
			"\ncapture agent: on the engine's side, 2 points (docker0@engine 13, eth0@container 5 "
			"incomplete packets); clock offset -1.235 ms \u00b1 0.045 ms\n");
	assert_contains(render_text_opt(r, &(nc_report_options_t){ .width = WIDE, .ascii = true }), "clock offset -1.235 ms +/- 0.045 ms\n");
	snprintf(env->agent_note, sizeof(env->agent_note), "capture agent: eth0: setns: Operation not permitted");
	assert_contains(render_text(r, false, false),
			"clock offset -1.235 ms \u00b1 0.045 ms; capture agent: eth0: setns: Operation not permitted\n");

	assert_contains(render_html(r, false), "<dt>capture agent</dt><dd>on the engine's side; clock offset -1.235 ms "
					      "&plusmn; 0.045 ms: capture agent: eth0: setns: Operation not permitted</dd>");

	/* refused: the run goes on with this host's capture, and says why */
	env->agent_used = false;
	env->agent_clock_known = false;
	env->n_capture_points = 1;
	snprintf(env->agent_note, sizeof(env->agent_note), "the engine refused the capture agent: no host network");
	assert_contains(render_text(r, false, false),
			"\ncapture agent: not used: the engine refused the capture agent: no host network; this "
			"host's capture only\n");
	nc_result_free(r);
}

static void test_kernel_desktop(void **state)
{
	/* modelled on Docker Desktop 4.x for Mac: uname -r in its VM is "<version>-linuxkit" */
	const char *answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
			     "{\"peer_addr\":\"192.168.65.1\",\"peer_port\":40126,\"hostname\":\"3556fbea447a\","
			     "\"nonce\":\"n\",\"iflink\":7,\"ifindex\":6,\"local_addr\":\"172.17.0.2\",\"local_port\":80,"
			     "\"kernel\":\"6.10.14-linuxkit\",\"boot_id\":\"5d2f3b1c-0a4e-4c55-8f0e-1b2c3d4e5f60\"}";
	nc_result_t *r = nc_result_new();
	nc_environment_t *env;
	nc_answer_t a;
	json_t *doc, *k;
	(void)state;

	assert_non_null(r);
	env = nc_result_environment(r);
	env->kind = NC_ENV_DOCKER_DESKTOP;
	assert_int_equal(nc_probe_parse_answer(answer, strlen(answer), &a), 0);
	snprintf(env->kernel.host, sizeof(env->kernel.host), "6.1.0-13-amd64");
	snprintf(env->kernel.host_boot_id, sizeof(env->kernel.host_boot_id), "0f3c5c1e-8a8e-4b2e-9a51-2b7d8c1f0a11");
	snprintf(env->kernel.container, sizeof(env->kernel.container), "%s", a.kernel);
	snprintf(env->kernel.container_boot_id, sizeof(env->kernel.container_boot_id), "%s", a.boot_id);
	nc_classify_kernel(env);
	assert_int_equal(env->kernel.same_boot, NC_SAME_BOOT_NO);
	doc = nc_report_json(r);
	k = json_object_get(json_object_get(doc, "environment"), "kernel");
	assert_true(json_is_false(json_object_get(k, "same_boot")));
	assert_string_equal(jget_str(k, "host"), "6.1.0-13-amd64");
	assert_string_equal(jget_str(k, "container"), "6.10.14-linuxkit");
	json_decref(doc);
	assert_contains(render_text(r, false, false),
			"kernel: another kernel: Docker Desktop's VM, whose bridge carries the packets "
			"(here 6.1.0-13-amd64, container 6.10.14-linuxkit)\n");

	/* the same boot id (native): one kernel instance */
	env->kind = NC_ENV_NATIVE_LINUX;
	env->bridge_attached = true;
	snprintf(env->kernel.container_boot_id, sizeof(env->kernel.container_boot_id), "%s", env->kernel.host_boot_id);
	snprintf(env->kernel.container, sizeof(env->kernel.container), "%s", env->kernel.host);
	nc_classify_kernel(env);
	assert_int_equal(env->kernel.same_boot, NC_SAME_BOOT_YES);
	assert_contains(render_text(r, false, false),
			"kernel: the same kernel instance as this host: native, a veth on this host's "
			"bridge carries the packets (here 6.1.0-13-amd64, container 6.1.0-13-amd64)\n");
	doc = nc_report_json(r);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(doc, "environment"), "kernel"), "same_boot")));
	json_decref(doc);

	/* an older responder says nothing: unknown, null */
	env->kernel.container[0] = env->kernel.container_boot_id[0] = '\0';
	nc_classify_kernel(env);
	assert_int_equal(env->kernel.same_boot, NC_SAME_BOOT_UNKNOWN);
	doc = nc_report_json(r);
	k = json_object_get(json_object_get(doc, "environment"), "kernel");
	assert_true(json_is_null(json_object_get(k, "same_boot")));
	assert_true(json_is_null(json_object_get(k, "container")));
	json_decref(doc);
	nc_result_free(r);
}

/* The readiness wait in both views: JSON with every address, one text
 * line naming the ones waited for; nothing when no IPv6 path was probed. */
static void test_ipv6_readiness(void **state)
{
	nc_result_t *r = build_failed();
	nc_addr_readiness_t *w = &nc_result_environment(r)->ipv6_ready;
	json_t *doc, *o, *a;
	(void)state;

	doc = nc_report_json(r);
	o = json_object_get(json_object_get(doc, "environment"), "ipv6_readiness");
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "waited")));
	assert_true(json_is_false(json_object_get(o, "timed_out")));
	assert_int_equal(json_integer_value(json_object_get(o, "polls")), 71);
	a = json_object_get(o, "addresses");
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(jget_str(json_array_get(a, 0), "address"), "fd00:17:6::1");
	assert_string_equal(jget_str(json_array_get(a, 2), "side"), "container");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "first_flags")), 0xc0);
	json_decref(doc);
	assert_contains(render_text(r, false, false),
			"IPv6 readiness: waited 1412 ms (bound 3000) for fd00:17:6::1 on br-75b6b4f330fd (ready at "
			"1412 ms), fe80::1 on br-75b6b4f330fd (ready at 1412 ms): ready\n");
	/* at the bound, one still tentative */
	w->timed_out = true;
	w->waited_ms = 3000;
	w->addresses[1].ready_ms = -1;
	assert_contains(render_text(r, false, false), "fe80::1 on br-75b6b4f330fd (still tentative): not ready at the bound\n");
	doc = nc_report_json(r);
	o = json_object_get(json_object_get(doc, "environment"), "ipv6_readiness");
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(o, "addresses"), 1), "ready_ms")));
	json_decref(doc);
	/* none tentative */
	for (size_t i = 0; i < w->n_addresses; i++)
		w->addresses[i].was_tentative = false;
	w->waited = w->timed_out = false;
	assert_contains(render_text(r, false, false), "IPv6 readiness: none of 3 address(es) on the routes was tentative\n");
	/* no address on the routes (only ::1 was probed): no "none of 0" line */
	w->n_addresses = 0;
	assert_not_contains(render_text(r, false, false), "IPv6 readiness");
	/* no IPv6 path: no line, no member */
	w->checked = false;
	assert_not_contains(render_text(r, false, false), "IPv6 readiness");
	doc = nc_report_json(r);
	assert_null(json_object_get(json_object_get(doc, "environment"), "ipv6_readiness"));
	json_decref(doc);
	nc_result_free(r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_native),
		cmocka_unit_test(test_json_kept),
		cmocka_unit_test(test_json_forwarding_only),
		cmocka_unit_test(test_json_skipped_icmp),
		cmocka_unit_test(test_json_write),
		cmocka_unit_test(test_json_enomem),
		cmocka_unit_test(test_text_native),
		cmocka_unit_test(test_text_columns_aligned),
		cmocka_unit_test(test_selection_and_sets),
		cmocka_unit_test(test_text_color),
		cmocka_unit_test(test_text_forwarding_only),
		cmocka_unit_test(test_text_not_captured),
		cmocka_unit_test(test_text_verbose),
		cmocka_unit_test(test_foreign_and_hostile_strings),
		cmocka_unit_test(test_empty_result),
		cmocka_unit_test(test_json_observed),
		cmocka_unit_test(test_text_fits_width),
		cmocka_unit_test(test_text_narrow_table),
		cmocka_unit_test(test_text_ascii),
		cmocka_unit_test(test_text_diagnosis),
		cmocka_unit_test(test_text_warning_reason),
		cmocka_unit_test(test_text_diagnosis_shared),
		cmocka_unit_test(test_text_target_whole),
		cmocka_unit_test(test_junit_failed),
		cmocka_unit_test(test_junit_errors),
		cmocka_unit_test(test_junit_swarm_and_escaping),
		cmocka_unit_test(test_swarm_text_and_json),
		cmocka_unit_test(test_project_reports),
		cmocka_unit_test(test_html_failed),
		cmocka_unit_test(test_html_escaping),
		cmocka_unit_test(test_run_error),
		cmocka_unit_test(test_write_samples),
		cmocka_unit_test(test_kernel_desktop),
		cmocka_unit_test(test_text_agent),
		cmocka_unit_test(test_ipv6_readiness),
	};

	/* the expected strings hold UTC wall-clock times */
	setenv("TZ", "UTC", 1);
	tzset();
	json_set_alloc_funcs(json_failing_malloc, json_test_free);

	if (argc == 3 && strcmp(argv[1], "--write-samples") == 0) {
		int rc = write_samples(argv[2]);

		if (rc < 0) {
			fprintf(stderr, "test-report: writing samples to %s: %s\n", argv[2], nc_strerror(rc));
			return 1;
		}
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "--print-text") == 0) {
		/* for a look at a sample: --print-text SAMPLE WIDTH [ascii] [verbose] */
		for (size_t s = 0; s < NC_ARRAY_SIZE(samples); s++) {
			nc_report_options_t opt = { .width = (unsigned)atoi(argv[3]) };
			nc_result_t *r;

			if (strcmp(argv[2], samples[s].name) != 0)
				continue;
			for (int i = 4; i < argc; i++) {
				opt.ascii |= strcmp(argv[i], "ascii") == 0;
				opt.verbose |= strcmp(argv[i], "verbose") == 0;
			}
			r = samples[s].build();
			nc_report_text(r, &opt, stdout);
			nc_result_free(r);
			return 0;
		}
		fprintf(stderr, "test-report: no sample %s\n", argv[2]);
		return 2;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--write-samples DIR | --print-text SAMPLE WIDTH [ascii] [verbose]]\n",
			argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
