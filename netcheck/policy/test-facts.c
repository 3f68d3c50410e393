/* Unit tests for the diagnoses that rest on the container's facts: its
 * state, network mode, publish addresses and socket table.  The facts come
 * from recorded inspect answers of real containers (tests/fixtures/
 * inspect-state-*.json, record-container-states.sh), copied the way run's
 * gather_facts copies them, and from socket tables as sock_diag reads
 * them; each decision is checked with the observation it cites. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/engine.h"
#include "netcheck/policy.h"
#include "netcheck/result.h"

/* What gather_facts copies from one inspect answer. */
struct recorded {
	nc_container_info_t info;
	nc_publish_binding_t bindings[NC_ENGINE_MAX_PORTS];
	nc_diag_facts_t f;
};

static void inspect(const char *name, struct recorded *rec)
{
	const char *dir = getenv("NC_FIXTURES");
	char path[1024], text[16384];
	nc_error_t err;
	FILE *fp;
	size_t len;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "re");
	assert_non_null(fp);
	len = fread(text, 1, sizeof(text), fp);
	fclose(fp);
	assert_true(len > 0 && len < sizeof(text));
	memset(rec, 0, sizeof(*rec));
	assert_int_equal(nc_engine_parse_inspect_text(text, len, 80, &rec->info, &err), 0);
	rec->f.container.known = true;
	rec->f.container.paused = rec->info.paused;
	rec->f.container.restarting = rec->info.restarting;
	rec->f.container.restart_count = rec->info.restart_count;
	rec->f.container.uptime_s = 3600; /* long up, unless a test says otherwise */
	snprintf(rec->f.container.network_mode, sizeof(rec->f.container.network_mode), "%s", rec->info.network_mode);
	rec->f.exit_code = rec->info.exit_code;
	for (size_t i = 0; i < rec->info.n_ports; i++) {
		rec->bindings[i].container_port = rec->info.ports[i].container_port;
		rec->bindings[i].proto = rec->info.ports[i].proto == NC_ENGINE_UDP ? NC_PROTO_UDP : NC_PROTO_TCP;
		snprintf(rec->bindings[i].host_ip, sizeof(rec->bindings[i].host_ip), "%s", rec->info.ports[i].host_ip);
		rec->bindings[i].host_port = rec->info.ports[i].host_port;
	}
	rec->f.bindings = rec->bindings;
	rec->f.n_bindings = rec->info.n_ports;
}

static nc_path_t *path(nc_result_t *r, nc_path_kind_t kind, const char *target, uint16_t port, nc_verdict_t verdict,
		       uint16_t container_port)
{
	char q[16];
	nc_endpoint_t t;
	nc_path_t *p;

	snprintf(q, sizeof(q), "%zu", nc_result_path_count(r));
	assert_int_equal(nc_endpoint_parse(target, port, &t), 0);
	assert_int_equal(nc_result_add_path_named(r, kind, q, &t, &p), 0);
	p->verdict = verdict;
	p->sent = true;
	p->container_port = container_port;
	return p;
}

static const nc_observation_t *cited(const nc_path_t *p, nc_obs_source_t source)
{
	for (size_t i = 0; i < p->diagnosis.n_observed; i++)
		if (p->diagnosis.observed[i].source == source)
			return &p->diagnosis.observed[i];
	fail_msg("%s: no observation of source %d", nc_diag_code_name(p->diagnosis.code), (int)source);
	return NULL;
}

static void test_paused(void **state)
{
	struct recorded rec;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	inspect("inspect-state-paused.json", &rec);
	/* the kernel completed the handshake: "reachable", and not as expected */
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_REACHABLE, 80);
	p->silent = true; /* what the probe saw: nothing in the banner window */
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_CONTAINER_PAUSED);
	assert_string_equal(cited(p, NC_OBS_CONTAINER)->state, "paused");
	/* silence is no service waiting for its client here: the detail does not say it is fine */
	assert_string_equal(p->detail, "connected; the service sent nothing");
	nc_expect_evaluate(r);
	assert_false(p->expected);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_WARNING);
	/* the reason the report gives is the diagnosis's, not a firewall's */
	assert_string_equal(p->unexpected_reason, "the container is paused");
	/* a probe that timed out waiting for an answer */
	p = path(r, NC_PATH_PUBLISHED_LOOPBACK, "127.0.0.1", 32980, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_CONTAINER_PAUSED);
	assert_non_null(strstr(cited(p, NC_OBS_CONTAINER)->text, "paused"));
	/* the same container running: no such diagnosis */
	rec.f.container.paused = false;
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_REACHABLE, 80);
	p->silent = true;
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	assert_non_null(strstr(p->detail, "sent nothing (that is fine for a service that waits for the client)"));
	nc_expect_evaluate(r);
	assert_true(p->expected);
	assert_string_equal(p->unexpected_reason, "");
	nc_result_free(r);
}

static void test_restarting(void **state)
{
	struct recorded rec;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	inspect("inspect-state-restarting.json", &rec);
	rec.f.last_logs = "listening soon | config missing";
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.3", 80, NC_VERDICT_UNREACHABLE, 80);
	nc_classify_not_sent(p, NC_NOT_SENT_NOT_RUNNING, "not sent: the container is restarting");
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_CONTAINER_RESTARTING);
	assert_non_null(strstr(p->diagnosis.detail, "code 2"));
	assert_non_null(strstr(p->diagnosis.detail, "5 restarts"));
	assert_non_null(strstr(p->diagnosis.detail, "config missing"));
	assert_string_equal(cited(p, NC_OBS_CONTAINER)->state, "restarting");
	assert_int_equal(cited(p, NC_OBS_CONTAINER)->exit_code, 2);
	assert_non_null(strstr(cited(p, NC_OBS_CONTAINER)->text, "restarted 5 times"));
	nc_result_free(r);
}

static void test_network_modes(void **state)
{
	struct recorded rec;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	inspect("inspect-state-none.json", &rec);
	p = path(r, NC_PATH_DIRECT_TCP, "127.0.0.1", 80, NC_VERDICT_UNREACHABLE, 80);
	nc_classify_not_sent(p, NC_NOT_SENT_NOT_RUNNING, "not sent: the container has no network");
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NO_NETWORK);
	assert_non_null(strstr(cited(p, NC_OBS_ENGINE)->text, "none"));

	/* -p 80 on an internal network: the engine dropped it */
	inspect("inspect-state-internal.json", &rec);
	rec.f.container.internal = true;
	snprintf(rec.f.container.internal_network, sizeof(rec.f.container.internal_network), "%s", rec.info.network_mode);
	p = path(r, NC_PATH_PUBLISHED_HOST, "127.0.0.1", 0, NC_VERDICT_UNREACHABLE, 80);
	nc_classify_not_sent(p, NC_NOT_SENT_NOT_PUBLISHED, "not sent: container port 80 is not published");
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_INTERNAL_NETWORK);
	assert_non_null(strstr(p->diagnosis.detail, "ncfix-"));
	assert_non_null(strstr(cited(p, NC_OBS_ENGINE)->text, "internal"));
	/* the same answer on a network that is not internal: not published */
	rec.f.container.internal = false;
	p = path(r, NC_PATH_PUBLISHED_HOST, "127.0.0.1", 0, NC_VERDICT_UNREACHABLE, 80);
	nc_classify_not_sent(p, NC_NOT_SENT_NOT_PUBLISHED, "not sent: container port 80 is not published");
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_PUBLISHED);
	nc_result_free(r);
}

static void test_published_elsewhere(void **state)
{
	struct recorded rec;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	/* -p 127.0.0.1::80: loopback is as published, the host's address is not */
	inspect("inspect-state-loopback.json", &rec);
	p = path(r, NC_PATH_PUBLISHED_LOOPBACK, "127.0.0.1", 32771, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_PUBLISHED_ELSEWHERE);
	p = path(r, NC_PATH_PUBLISHED_HOST, "192.0.2.2", 32771, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_PUBLISHED_ELSEWHERE);
	if (strstr(p->diagnosis.detail, "127.0.0.1:32771 only, not on 192.0.2.2") == NULL)
		fail_msg("%s", p->diagnosis.detail);
	assert_non_null(strstr(cited(p, NC_OBS_ENGINE)->text, "127.0.0.1:32771"));

	/* -p 192.0.2.2::80: loopback is the elsewhere */
	inspect("inspect-state-address.json", &rec);
	p = path(r, NC_PATH_PUBLISHED_LOOPBACK, "127.0.0.1", 32771, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_PUBLISHED_ELSEWHERE);
	assert_non_null(strstr(p->diagnosis.detail, "192.0.2.2:32771 only"));
	p = path(r, NC_PATH_PUBLISHED_HOST, "192.0.2.2", 32771, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_PUBLISHED_ELSEWHERE);

	/* a UDP-only service: its UDP port is published, TCP 80 is not */
	inspect("inspect-state-udp.json", &rec);
	p = path(r, NC_PATH_PUBLISHED_HOST_UDP, "192.0.2.2", 32965, NC_VERDICT_TIMEOUT, 53);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_NOT_PUBLISHED);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_PUBLISHED_ELSEWHERE);
	p = path(r, NC_PATH_PUBLISHED_HOST, "192.0.2.2", 32965, NC_VERDICT_REFUSED, 53);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_PUBLISHED);
	nc_result_free(r);
}

static void listener(nc_listener_t *l, const char *addr, uint16_t port, bool v6only)
{
	l->proto = NC_PROTO_TCP;
	assert_int_equal(nc_endpoint_parse(addr, port, &l->addr), 0);
	l->v6only = v6only;
}

static void test_sockets(void **state)
{
	struct recorded rec;
	nc_listener_t socks[2];
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	inspect("inspect-state-paused.json", &rec);
	rec.f.container.paused = false;
	rec.f.have_listeners = true;
	rec.f.listeners = socks;
	/* an app on [::]:80 with IPV6_V6ONLY: IPv4 clients refused, IPv6 ones served */
	listener(&socks[0], "::", 80, true);
	rec.f.n_listeners = 1;
	p = path(r, NC_PATH_PUBLISHED_LOOPBACK, "127.0.0.1", 32980, NC_VERDICT_RESET, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_IPV6_ONLY);
	assert_true(cited(p, NC_OBS_SOCKET)->v6only);
	assert_non_null(strstr(cited(p, NC_OBS_SOCKET)->text, "(IPv6 only)"));
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_IPV6_ONLY);
	p = path(r, NC_PATH_DIRECT_TCP6, "fd00::2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_IPV6_ONLY);
	/* the same socket without the flag takes both families */
	socks[0].v6only = false;
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_IPV6_ONLY);
	/* and with 0.0.0.0 beside it, IPv4 is served */
	socks[0].v6only = true;
	listener(&socks[1], "0.0.0.0", 80, false);
	rec.f.n_listeners = 2;
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_IPV6_ONLY);

	/* no socket at all: starting while young, not-listening after the bound */
	rec.f.n_listeners = 0;
	rec.f.container.uptime_s = 1.5;
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_STARTING);
	assert_non_null(strstr(p->diagnosis.detail, "1.5 s ago"));
	assert_non_null(strstr(cited(p, NC_OBS_CONTAINER)->text, "up 1.5 s"));
	/* young, but listening on another port: the app started, the port is wrong */
	listener(&socks[0], "0.0.0.0", 8080, false);
	rec.f.n_listeners = 1;
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	cited(p, NC_OBS_SOCKET);
	rec.f.container.uptime_s = NC_DIAG_STARTING_S + 1;
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	nc_result_free(r);
}

/* --network host, httpd -p 127.0.0.1:38080: the socket table is the
 * host's.  127.0.0.1 reaches it, directly; the host's address does not,
 * and only the app's own socket is cited, not every one of the host. */
static void test_host_network(void **state)
{
	struct recorded rec;
	nc_listener_t socks[3];
	nc_result_t *r = nc_result_new();
	nc_container_t c = { 0 };
	nc_path_t *p;
	(void)state;

	inspect("inspect-state-host.json", &rec);
	assert_string_equal(rec.f.container.network_mode, "host");
	rec.f.have_listeners = true;
	rec.f.listeners = socks;
	listener(&socks[0], "127.0.0.53", 53, false); /* the host's resolver */
	listener(&socks[1], "127.0.0.1", 38080, false);
	listener(&socks[2], "0.0.0.0", 22, false);    /* the host's sshd */
	rec.f.n_listeners = 3;
	p = path(r, NC_PATH_DIRECT_TCP, "127.0.0.1", 38080, NC_VERDICT_REACHABLE, 38080);
	snprintf(p->network, sizeof(p->network), "host");
	nc_classify_path(p, &c, NULL);
	assert_int_equal(p->mechanism, NC_MECH_DIRECT);
	p = path(r, NC_PATH_DIRECT_TCP, "192.0.2.2", 38080, NC_VERDICT_REFUSED, 38080);
	snprintf(p->network, sizeof(p->network), "host");
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_LOOPBACK_ONLY);
	assert_non_null(strstr(p->diagnosis.detail, "shares the host's network"));
	assert_non_null(strstr(p->diagnosis.detail, "other machines"));
	assert_null(strstr(p->diagnosis.detail, "nothing from outside the container"));
	assert_int_equal(p->diagnosis.n_observed, 1);
	assert_int_equal(cited(p, NC_OBS_SOCKET)->local.port, 38080);
	/* nothing on the port: said of that port, the host's others not listed */
	rec.f.n_listeners = 1;
	p = path(r, NC_PATH_DIRECT_TCP, "192.0.2.2", 38081, NC_VERDICT_REFUSED, 38081);
	nc_classify_diagnose(p, NULL, &rec.f);
	for (size_t i = 0; i < p->diagnosis.n_observed; i++)
		assert_null(strstr(p->diagnosis.observed[i].text, "127.0.0.53"));
	nc_result_free(r);
}

static void test_address_not_ready(void **state)
{
	struct recorded rec;
	nc_addr_readiness_t ready = { .waited = true, .timed_out = true, .waited_ms = 3000, .flags = 0x40 };
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	inspect("inspect-state-paused.json", &rec);
	rec.f.container.paused = false;
	assert_int_equal(nc_endpoint_parse("fd00:1::1", 0, &ready.address), 0);
	snprintf(ready.ifname, sizeof(ready.ifname), "br-0123456789ab");
	rec.f.ipv6_ready = &ready;
	p = path(r, NC_PATH_DIRECT_TCP6, "fd00:1::2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_ADDRESS_NOT_READY);
	assert_non_null(strstr(p->diagnosis.detail, "fd00:1::1 on br-0123456789ab"));
	assert_non_null(strstr(cited(p, NC_OBS_ROUTE)->text, "flags 0x40"));
	/* an IPv4 path does not rest on it; nor a wait that ended in time */
	p = path(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_ADDRESS_NOT_READY);
	ready.timed_out = false;
	p = path(r, NC_PATH_DIRECT_TCP6, "fd00:1::2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_ADDRESS_NOT_READY);
	/* a failed DAD ends the wait early: the address is never used */
	ready.dad_failed = true;
	ready.flags = 0x48;
	p = path(r, NC_PATH_DIRECT_TCP6, "fd00:1::2", 80, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, NULL, &rec.f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_ADDRESS_NOT_READY);
	assert_non_null(strstr(p->diagnosis.detail, "duplicate address detection failed for fd00:1::1"));
	assert_non_null(strstr(cited(p, NC_OBS_ROUTE)->text, "flags 0x48 (dadfailed)"));
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paused),
		cmocka_unit_test(test_restarting),
		cmocka_unit_test(test_network_modes),
		cmocka_unit_test(test_published_elsewhere),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_host_network),
		cmocka_unit_test(test_address_not_ready),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
