/* Unit tests for classification: the environment from recorded (and, for
 * Docker Desktop, modelled) engine answers, the verdicts a Desktop or
 * rootless run must show to exit 0, and the mechanism rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "netcheck/policy.h"
#include "netcheck/common.h"
#include "netcheck/engine.h"
#include "netcheck/result.h"
#include "netcheck/testing.h"

static void load(const char *name, json_t **ret)
{
	const char *dir = getenv("NC_FIXTURES");
	char path[1024];
	json_error_t jerr;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*ret = json_load_file(path, 0, &jerr);
	if (*ret == NULL)
		fail_msg("fixture %s: %s", path, jerr.text);
}

/* version + info fixtures → what the engine says of itself */
static nc_env_kind_t engine_kind(const char *version_fixture, const char *info_fixture, nc_engine_version_t *v,
				 nc_engine_info_t *info)
{
	json_t *jv, *ji;
	char *tv, *ti;
	nc_error_t err;

	load(version_fixture, &jv);
	load(info_fixture, &ji);
	tv = json_dumps(jv, 0);
	ti = json_dumps(ji, 0);
	assert_non_null(tv);
	assert_non_null(ti);
	assert_int_equal(nc_engine_parse_version_text(tv, strlen(tv), v, &err), 0);
	assert_int_equal(nc_engine_parse_info_text(ti, strlen(ti), info, &err), 0);
	{
		json_free_t jfree; /* json_dumps' memory is jansson's (not cmocka's) here */

		json_get_alloc_funcs(NULL, &jfree);
		jfree(tv);
		jfree(ti);
	}
	json_decref(jv);
	json_decref(ji);
	{
		/* the facts run copies from the engine's answers (nc_run_engine_kind()) */
		nc_engine_facts_t facts = { .rootless = info->rootless, .podman = v->podman };

		snprintf(facts.operating_system, sizeof(facts.operating_system), "%s", info->operating_system);
		snprintf(facts.platform_name, sizeof(facts.platform_name), "%s", v->platform_name);
		return nc_classify_engine(&facts);
	}
}

static void test_engine_kinds(void **state)
{
	nc_engine_version_t v;
	nc_engine_info_t info;

	(void)state;
	assert_int_equal(engine_kind("docker-20.10-version.json", "docker-20.10-info.json", &v, &info),
			 NC_ENV_NATIVE_LINUX);
	assert_int_equal(engine_kind("desktop-mac-version.json", "desktop-mac-info.json", &v, &info),
			 NC_ENV_DOCKER_DESKTOP);
	assert_int_equal(engine_kind("desktop-windows-version.json", "desktop-windows-info.json", &v, &info),
			 NC_ENV_DOCKER_DESKTOP);
	assert_int_equal(engine_kind("docker-20.10-version.json", "rootless-docker-info.json", &v, &info),
			 NC_ENV_ROOTLESS_DOCKER);
	/* Podman's compat /info says "Rootless": true at the top (recorded in the lab) */
	assert_int_equal(engine_kind("podman-4.3-version.json", "podman-4.3-rootless-info.json", &v, &info),
			 NC_ENV_ROOTLESS_PODMAN);
	assert_true(v.podman);
	assert_true(info.rootless);
}

static void test_environment_from_route(void **state)
{
	nc_engine_version_t v;
	nc_engine_info_t info;
	nc_env_kind_t kind;
	bool attached;

	(void)state;
	kind = engine_kind("docker-20.10-version.json", "docker-20.10-info.json", &v, &info);
	assert_int_equal(nc_classify_environment(kind, NC_ROUTE_ON_LINK, false, &attached), NC_ENV_NATIVE_LINUX);
	assert_true(attached);
	/* only the default route matches, or a gateway: the bridge is elsewhere */
	assert_int_equal(nc_classify_environment(kind, NC_ROUTE_ON_LINK, true, &attached), NC_ENV_NOT_ATTACHED);
	assert_false(attached);
	assert_int_equal(nc_classify_environment(kind, NC_ROUTE_GATEWAY, true, &attached), NC_ENV_NOT_ATTACHED);
	assert_int_equal(nc_classify_environment(kind, NC_ROUTE_NONE, false, &attached), NC_ENV_NOT_ATTACHED);

	/* Desktop's VM uses 172.17.0.0/16 too: an on-link route here is a
	 * collision with this host's docker0, never the VM's bridge */
	kind = engine_kind("desktop-mac-version.json", "desktop-mac-info.json", &v, &info);
	assert_int_equal(nc_classify_environment(kind, NC_ROUTE_ON_LINK, false, &attached),
			 NC_ENV_DOCKER_DESKTOP);
	assert_false(attached);
	kind = engine_kind("docker-20.10-version.json", "rootless-docker-info.json", &v, &info);
	assert_int_equal(nc_classify_environment(kind, NC_ROUTE_ON_LINK, false, &attached),
			 NC_ENV_ROOTLESS_DOCKER);
	assert_false(attached);
}

static nc_path_t *add(nc_result_t *r, nc_path_kind_t k, const char *addr, uint16_t port)
{
	nc_endpoint_t t;
	nc_path_t *p = NULL;

	assert_int_equal(nc_endpoint_parse(addr, port, &t), 0);
	assert_int_equal(nc_result_add_path(r, k, &t, &p), 0);
	return p;
}

/* What a Docker Desktop run looks like from the host: the container IP is
 * not routed (through the default gateway on a Mac), the published port
 * answers through com.docker.backend, and the container sees the VM's
 * side of the forwarder.  That is exactly what is expected: exit 0. */
static void test_desktop_run_verdicts(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_container_t *c = nc_result_container(r);
	nc_forwarder_t backend = { .name = "com.docker.backend", .pid = 811 };
	nc_path_t *p;

	(void)state;
	nc_result_environment(r)->kind = NC_ENV_DOCKER_DESKTOP;
	snprintf(c->id, sizeof(c->id), "4c9e2d1f0a3b5c7d9e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f");
	c->removed = true; /* a finished run: the exit code counts a container left behind */
	assert_int_equal(nc_endpoint_parse("172.17.0.2", 80, &c->ip), 0);

	p = add(r, NC_PATH_DIRECT_ICMP, "172.17.0.2", 0);
	assert_false(nc_classify_route(p, NC_ROUTE_GATEWAY, true, "en0", nc_result_environment(r), false));
	p = add(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80);
	assert_false(nc_classify_route(p, NC_ROUTE_GATEWAY, true, "en0", nc_result_environment(r), false));
	assert_int_equal(p->verdict, NC_VERDICT_UNROUTABLE);
	assert_non_null(strstr(p->detail, "not sent"));

	p = add(r, NC_PATH_PUBLISHED_LOOPBACK, "127.0.0.1", 32768);
	p->verdict = NC_VERDICT_REACHABLE;
	assert_int_equal(nc_endpoint_parse("127.0.0.1", 50111, &p->local), 0);
	assert_int_equal(nc_endpoint_parse("192.168.65.1", 41234, &p->peer_seen), 0);
	snprintf(p->answered_by, sizeof(p->answered_by), "4c9e2d1f0a3b");
	nc_classify_path(p, c, &backend);
	assert_int_equal(p->mechanism, NC_MECH_PROXY);
	assert_true(p->has_forwarder);
	assert_string_equal(p->forwarder.name, "com.docker.backend");

	assert_int_equal(nc_expect_evaluate(r), 0);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_OK);

	/* were the container IP ever reachable from the host, that is news: exit 1 */
	p = nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_DIRECT;
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_UNEXPECTED);
	nc_result_free(r);
}

/* Rootless Docker: an answer from the host's own container at the same IP
 * is a collision, never "direct". */
static void test_rootless_collision(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_container_t *c = nc_result_container(r);
	nc_path_t *p;

	(void)state;
	nc_result_environment(r)->kind = NC_ENV_ROOTLESS_DOCKER;
	snprintf(c->id, sizeof(c->id), "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999");
	assert_int_equal(nc_endpoint_parse("172.17.0.2", 80, &c->ip), 0);
	p = add(r, NC_PATH_DIRECT_TCP, "172.17.0.2", 80);
	p->verdict = NC_VERDICT_REACHABLE;
	assert_int_equal(nc_endpoint_parse("172.17.0.1", 40000, &p->local), 0);
	p->peer_seen = p->local;
	snprintf(p->answered_by, sizeof(p->answered_by), "0123456789ab"); /* the host's container */
	nc_classify_path(p, c, NULL);
	assert_true(p->foreign_responder);
	/* and the route rule would not have sent it: on-link here is the
	 * host's docker0, not the rootless engine's network */
	nc_result_environment(r)->bridge_attached = false;
	p = add(r, NC_PATH_DIRECT_ICMP, "172.17.0.2", 0);
	assert_false(nc_classify_route(p, NC_ROUTE_ON_LINK, false, "docker0", nc_result_environment(r), false));
	assert_int_equal(p->verdict, NC_VERDICT_UNROUTABLE);
	assert_non_null(strstr(p->detail, "IP collision"));
	assert_true(nc_classify_route(p, NC_ROUTE_ON_LINK, false, "docker0", nc_result_environment(r), true));
	assert_non_null(strstr(p->detail, "collision"));
	assert_int_equal(nc_expect_evaluate(r), 1);
	nc_result_free(r);
}

/* ---- diagnoses ----------------------------------------------------------- */

static nc_endpoint_t ep_(const char *addr, uint16_t port)
{
	nc_endpoint_t e;

	assert_int_equal(nc_endpoint_parse(addr, port, &e), 0);
	return e;
}

static void add_point(nc_environment_t *env, nc_point_kind_t kind, const char *ifname)
{
	struct nc_capture_point_summary *cp = &env->capture_points[env->n_capture_points++];

	cp->kind = kind;
	nc_point_name(kind, ifname, cp->name, sizeof(cp->name));
}

/* lo, docker0, the veth, eth0 inside the container, the host's eth0 */
static void native_points(nc_environment_t *env)
{
	memset(env, 0, sizeof(*env));
	env->kind = NC_ENV_NATIVE_LINUX;
	add_point(env, NC_POINT_LOOPBACK, "lo");
	add_point(env, NC_POINT_BRIDGE, "docker0");
	add_point(env, NC_POINT_VETH, "veth1a2b3c4");
	add_point(env, NC_POINT_CONTAINER, "eth0");
	add_point(env, NC_POINT_DEFAULT_ROUTE, "eth0");
}

static void hop_at(nc_path_t *p, const char *point, nc_leg_t leg)
{
	nc_hop_t h = { .leg = leg, .packets = 2 };

	snprintf(h.capture_point, sizeof(h.capture_point), "%s", point);
	assert_int_equal(nc_path_add_hop(p, &h), 0);
}

static nc_path_t *failed_path(nc_result_t *r, nc_path_kind_t kind, nc_verdict_t verdict, uint16_t port)
{
	char q[16];
	nc_path_t *p;

	snprintf(q, sizeof(q), "%zu", nc_result_path_count(r));
	assert_int_equal(nc_result_add_path_named(r, kind, q, NULL, &p), 0);
	p->verdict = verdict;
	p->container_port = port;
	return p;
}

/* probe --project: native_points' veth and eth0 are web's (eth0@web),
 * then db's own veth and eth0 (eth0@db), each marked with its container */
static void project_points(nc_environment_t *env)
{
	native_points(env);
	add_point(env, NC_POINT_VETH, "veth0db0db0");
	add_point(env, NC_POINT_CONTAINER, "eth0");
	for (size_t i = 2; i < env->n_capture_points; i++) {
		struct nc_capture_point_summary *cp = &env->capture_points[i];
		const char *service = i < 4 ? "web" : "db";

		if (cp->kind != NC_POINT_VETH && cp->kind != NC_POINT_CONTAINER)
			continue;
		snprintf(cp->container, sizeof(cp->container), "proj_%s_1", service);
		if (cp->kind == NC_POINT_CONTAINER)
			nc_point_name_of(cp->kind, "eth0", service, cp->name, sizeof(cp->name));
	}
}

/* One of db's paths is judged on db's points, never web's (listed first). */
static void test_diagnose_dropped_project(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_environment_t env;
	nc_diag_facts_t f = { 0 };
	nc_path_t *p;

	(void)state;
	project_points(&env);
	/* db's SYNs crossed its veth, never its eth0: web's points say nothing of it */
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT, 80);
	snprintf(p->container, sizeof(p->container), "proj_db_1");
	hop_at(p, "docker0", NC_LEG_CLIENT);
	hop_at(p, "veth0db0db0", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "seen on veth0db0db0, never on eth0@db"));
	for (size_t i = 0; i < p->diagnosis.n_observed; i++)
		assert_null(strstr(p->diagnosis.observed[i].text, "web"));

	/* seen as far as the bridge: the next is db's veth, not web's */
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT, 80);
	snprintf(p->container, sizeof(p->container), "proj_db_1");
	hop_at(p, "docker0", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "seen on docker0, never on veth0db0db0"));
	nc_result_free(r);
}

static void test_diagnose_socket_table(void **state)
{
	/* as read from the container's socket table (recorded: busybox httpd
	 * -p 127.0.0.1:80, and one on 8080) */
	/* on a user network, Docker's resolver listens in the container too */
	const nc_listener_t loopback[] = { { NC_PROTO_TCP, ep_("127.0.0.1", 80), false },
					   { NC_PROTO_TCP, ep_("127.0.0.11", 41425), false },
					   { NC_PROTO_UDP, ep_("127.0.0.11", 38523), false } };
	const nc_listener_t other_port[] = { { NC_PROTO_TCP, ep_("0.0.0.0", 8080), false },
					     { NC_PROTO_UDP, ep_("0.0.0.0", 53), false } };
	const nc_listener_t v6_any[] = { { NC_PROTO_TCP, ep_("::1", 80), false }, { NC_PROTO_TCP, ep_("::", 80), false } };
	const uint16_t published[] = { 80 };
	nc_diag_facts_t f = { .have_listeners = true, .published = published, .n_published = 1 };
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	native_points(&env);
	f.listeners = loopback;
	f.n_listeners = 3;
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_LOOPBACK_ONLY);
	assert_non_null(strstr(p->diagnosis.detail, "(127.0.0.1:80/tcp)"));
	/* "listens on port 80 only on loopback" names port 80's sockets, not the resolver's */
	assert_null(strstr(p->diagnosis.detail, "127.0.0.11"));
	assert_non_null(strstr(p->diagnosis.hint, "0.0.0.0"));
	/* it cites the socket it rests on first */
	assert_int_equal(p->diagnosis.n_observed, 2);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_SOCKET);
	assert_true(nc_endpoint_equal(&p->diagnosis.observed[0].local, &loopback[0].addr));
	assert_string_equal(p->diagnosis.observed[0].text, "in the container, 127.0.0.1:80/tcp listens");

	f.listeners = other_port;
	f.n_listeners = 2;
	p = failed_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	assert_non_null(strstr(p->diagnosis.detail, "0.0.0.0:8080/tcp"));
	assert_non_null(strstr(p->diagnosis.detail, "port 80"));
	assert_int_equal(p->diagnosis.n_observed, 1); /* the TCP socket; the UDP one is another protocol */
	assert_string_equal(p->diagnosis.observed[0].text, "in the container, 0.0.0.0:8080/tcp listens");

	/* a published UDP port with no UDP socket on it (docker-proxy took the
	 * datagram; the container's kernel had nowhere to deliver it) */
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK_UDP, NC_VERDICT_TIMEOUT, 5353);
	f.published = (const uint16_t[]){ 5353 };
	nc_classify_diagnose(p, &env, &f);
	f.published = published;
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	assert_non_null(strstr(p->diagnosis.detail, "udp port 5353"));
	assert_non_null(strstr(p->diagnosis.detail, "0.0.0.0:53/udp")); /* what does listen */
	f.listeners = loopback;
	f.n_listeners = 3;
	p = failed_path(r, NC_PATH_DIRECT_UDP, NC_VERDICT_REFUSED, 38523);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_LOOPBACK_ONLY);
	f.listeners = other_port;
	f.n_listeners = 2;

	/* a socket on :: serves IPv4 and IPv6 alike: not a socket-table problem */
	f.listeners = v6_any;
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_TIMEOUT, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_LISTENING_ON_LOOPBACK_ONLY);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);

	/* published, but not this port */
	p = failed_path(r, NC_PATH_PUBLISHED_HOST_UDP, NC_VERDICT_TIMEOUT, 5353);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_PUBLISHED);
	assert_non_null(strstr(p->diagnosis.detail, "published: 80"));
	nc_result_free(r);
}

static void test_diagnose_exited_and_reset(void **state)
{
	nc_diag_facts_t f = { .exited = true, .exit_code = 3, .last_logs = "starting | config missing" };
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	native_points(&env);
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_CONTAINER_EXITED);
	assert_non_null(strstr(p->diagnosis.detail, "code 3"));
	assert_non_null(strstr(p->diagnosis.detail, "config missing"));

	/* no socket table (not visible): who reset it */
	memset(&f, 0, sizeof(f));
	snprintf(f.forwarder.name, sizeof(f.forwarder.name), "docker-proxy");
	f.forwarder.pid = 4242;
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_RESET);
	assert_non_null(strstr(p->diagnosis.detail, "docker-proxy, pid 4242"));
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_RESET);
	assert_non_null(strstr(p->diagnosis.detail, "container's kernel"));
	nc_result_free(r);
}

/* A drop rule on the published port: the SYNs are seen on lo and
 * translated, never on docker0 (recorded trail of such a run). */
static void test_diagnose_dropped(void **state)
{
	nc_diag_facts_t f = { 0 };
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	native_points(&env);
	p = failed_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_TIMEOUT, 80);
	hop_at(p, "lo", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "seen on lo, never on docker0"));
	assert_non_null(strstr(p->diagnosis.detail, "netfilter"));

	/* as far as the veth: lost on the way into the container */
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT, 80);
	hop_at(p, "docker0", NC_LEG_CLIENT);
	hop_at(p, "veth1a2b3c4", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "seen on veth1a2b3c4, never on eth0@container"));

	/* a remote client's SYNs: seen on the host side of its veth, never on
	 * docker0 (a DOCKER-USER drop); lo is not on its way */
	add_point(&env, NC_POINT_REMOTE_HOST_SIDE, "ncr1a2b3c4d5e6f");
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT, 80);
	hop_at(p, "ncr1a2b3c4d5e6f", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "seen on ncr1a2b3c4d5e6f, never on docker0"));
	assert_non_null(strstr(p->diagnosis.detail, "DOCKER-USER"));

	/* nothing seen anywhere, connected: no answer */
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_TIMEOUT, 80);
	p->timings.connect_ms = 0.4;
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NO_ANSWER);

	/* an app that accepts and never answers, behind docker-proxy: the
	 * request was seen reaching the container on the forwarder's own leg,
	 * and the diagnosis says so (no gap: not "dropped") */
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_TIMEOUT, 80);
	p->timings.connect_ms = 0.3;
	hop_at(p, "lo", NC_LEG_CLIENT);
	hop_at(p, "docker0", NC_LEG_PROXY_TO_CONTAINER);
	hop_at(p, "veth1a2b3c4", NC_LEG_PROXY_TO_CONTAINER);
	hop_at(p, "eth0@container", NC_LEG_PROXY_TO_CONTAINER);
	{
		nc_packet_summary_t k = { .leg = NC_LEG_PROXY_TO_CONTAINER, .proto = IPPROTO_TCP,
					  .tcp_flags = NC_TCP_PSH | NC_TCP_ACK, .length = 78 };
		bool cited = false;

		k.dst = ep_("172.17.0.2", 80);
		snprintf(k.capture_point, sizeof(k.capture_point), "%s", "veth1a2b3c4");
		assert_int_equal(nc_path_add_packet(p, &k), 0);
		snprintf(k.capture_point, sizeof(k.capture_point), "%s", "eth0@container");
		assert_int_equal(nc_path_add_packet(p, &k), 0);
		nc_classify_diagnose(p, &env, &f);
		assert_int_equal(p->diagnosis.code, NC_DIAG_NO_ANSWER);
		for (size_t i = 0; i < p->diagnosis.n_observed; i++) {
			const nc_observation_t *o = &p->diagnosis.observed[i];

			if (o->source == NC_OBS_CAPTURE && o->leg == NC_LEG_PROXY_TO_CONTAINER) {
				assert_string_equal(o->point, "eth0@container"); /* the innermost */
				assert_non_null(strstr(o->text, "reached the container"));
				cited = true;
			}
		}
		assert_true(cited);
	}
	nc_result_free(r);
}

static void test_diagnose_reachable(void **state)
{
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	native_points(&env);
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, 80);
	p->mechanism = NC_MECH_NAT;
	p->local = ep_("127.0.0.1", 40000);
	p->peer_seen = ep_("127.0.0.1", 40000);
	nc_classify_diagnose(p, &env, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	/* the masquerade rule dockerd leaves behind (moby#15086) */
	p->peer_seen = ep_("172.17.0.1", 40000);
	nc_classify_diagnose(p, &env, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_SOURCE_ADDRESS_LOST);
	assert_non_null(strstr(p->diagnosis.detail, "172.17.0.1"));
	assert_non_null(strstr(p->diagnosis.hint, "MASQUERADE"));
	nc_result_free(r);
}

/* A drop as platform-firewall.c reports one in iptables' table ip filter. */
static nc_fw_drop_t ip_filter_drop(const char *chain, const char *base_chain, const char *rule)
{
	nc_fw_drop_t d = { .family = "ip", .table = "filter" };

	snprintf(d.chain, sizeof(d.chain), "%s", chain);
	snprintf(d.base_chain, sizeof(d.base_chain), "%s", base_chain);
	snprintf(d.rule, sizeof(d.rule), "%s", rule);
	return d;
}

/* published-remote and the ruleset (as platform-firewall.c answers for
 * tests/fixtures/nft-input-ufw.json and nft-forward-docker-user-source.json) */
static void test_diagnose_firewall(void **state)
{
	nc_diag_firewall_t fw = { .published_port = 18481, .input_drop = true };
	nc_diag_facts_t f = { .firewall = &fw };
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	native_points(&env);
	add_point(&env, NC_POINT_REMOTE_HOST_SIDE, "ncr1a2b3c4d5e6f");
	fw.input = ip_filter_drop("ufw-user-input", "INPUT", "tcp dport 18481 drop");

	/* reached although INPUT drops the port: bypassed, and not as expected */
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_REACHABLE, 80);
	p->mechanism = NC_MECH_NAT;
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_INPUT_FIREWALL_BYPASSED);
	assert_non_null(strstr(p->diagnosis.detail, "`tcp dport 18481 drop` (chain ufw-user-input, from INPUT"));
	assert_non_null(strstr(p->diagnosis.detail, "drops port 18481 for remote clients"));
	assert_non_null(strstr(p->diagnosis.detail, "through FORWARD, not INPUT"));
	assert_non_null(strstr(p->diagnosis.hint, "DOCKER-USER"));
	assert_non_null(strstr(p->diagnosis.hint, "--ctorigdstport 18481"));
	nc_expect_apply(r);
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_false(p->expected);
	/* --expect published-remote=reachable accepts it */
	assert_int_equal(nc_expect_parse(r, "published-remote=reachable", NULL), 0);
	assert_int_equal(nc_expect_evaluate(r), 0);
	assert_true(p->expectation.overridden);

	/* the same rule, another path (from this host, through OUTPUT): nothing to say */
	p = failed_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);

	/* the policy, for some clients */
	fw.input.policy = true;
	fw.input.conditional = true;
	snprintf(fw.input.chain, sizeof(fw.input.chain), "INPUT");
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_REACHABLE, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_INPUT_FIREWALL_BYPASSED);
	assert_non_null(strstr(p->diagnosis.detail, "INPUT's policy drop (table ip filter) drops port 18481 for some remote"));

	/* dropped in DOCKER-USER: the capture's gap, and the chain by name */
	fw.input_drop = false;
	fw.forward_drop = true;
	fw.forward = ip_filter_drop("DOCKER-USER", "FORWARD", "meta l4proto tcp ip saddr 198.18.0.0/15 drop");
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT, 80);
	p->timings.connect_ms = -1;
	hop_at(p, "ncr1a2b3c4d5e6f", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "seen on ncr1a2b3c4d5e6f, never on docker0"));
	assert_non_null(strstr(p->diagnosis.detail,
			       "the rule `meta l4proto tcp ip saddr 198.18.0.0/15 drop` (chain DOCKER-USER, from FORWARD, "
			       "table ip filter) drops it"));
	/* no capture: the ruleset alone */
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT, 80);
	p->timings.connect_ms = -1;
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "chain DOCKER-USER"));

	/* a ruleset that could not be read: said so */
	memset(&fw, 0, sizeof(fw));
	fw.status = -ENOTSUP;
	snprintf(fw.error, sizeof(fw.error), "netcheck was built without libnftables");
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT, 80);
	hop_at(p, "ncr1a2b3c4d5e6f", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "the ruleset could not be read (netcheck was built without libnftables)"));
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_REACHABLE, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	nc_result_free(r);
}

/* Decisions that used to sit in the probes and the run stage: what a
 * recorded socket error means, what a probe not made means, and whether
 * IPv6 loopback is forwarded at all. */
static void test_verdict_from_probe_error(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	(void)state;
	assert_non_null(r);
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_UNREACHABLE, 80);
	p->probe_error = -ECONNREFUSED;
	nc_classify_verdict(p);
	assert_int_equal(p->verdict, NC_VERDICT_REFUSED);
	p->probe_error = -ETIMEDOUT;
	nc_classify_verdict(p);
	assert_int_equal(p->verdict, NC_VERDICT_TIMEOUT);
	p->probe_error = -ECANCELED; /* the probe's own deadline */
	nc_classify_verdict(p);
	assert_int_equal(p->verdict, NC_VERDICT_TIMEOUT);
	p->probe_error = -EHOSTUNREACH;
	nc_classify_verdict(p);
	assert_int_equal(p->verdict, NC_VERDICT_UNREACHABLE);
	/* no error recorded: the probe's own verdict stays */
	p->probe_error = 0;
	p->verdict = NC_VERDICT_RESET;
	nc_classify_verdict(p);
	assert_int_equal(p->verdict, NC_VERDICT_RESET);
	/* a path not sent keeps its reason */
	p->verdict = NC_VERDICT_SKIPPED;
	p->probe_error = -ECONNREFUSED;
	nc_classify_verdict(p);
	assert_int_equal(p->verdict, NC_VERDICT_SKIPPED);

	p = failed_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_SKIPPED, 0);
	nc_classify_not_made(p, -EPERM);
	assert_int_equal(p->verdict, NC_VERDICT_SKIPPED);
	assert_non_null(strstr(p->detail, "CAP_NET_RAW"));
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_SKIPPED, 80);
	nc_classify_not_made(p, -EMFILE);
	assert_int_equal(p->verdict, NC_VERDICT_ERROR);
	assert_non_null(strstr(p->detail, "could not be made"));
	nc_result_free(r);
}

static void test_loopback6_forwarding(void **state)
{
	nc_publish_facts_t v4_only = { .port = 80, .host_port4 = 32768, .forwarder6_known = true };
	nc_publish_facts_t both = { .port = 80, .host_port4 = 32768, .host_port6 = 32768, .forwarder6_known = true,
				    .have_forwarder6 = true };
	nc_publish_facts_t listed = both;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	(void)state;
	assert_non_null(r);
	listed.have_forwarder6 = false; /* the engine lists [::] but no process serves it */
	assert_int_equal(nc_classify_loopback6(NC_ENV_NATIVE_LINUX, &v4_only), NC_LOOPBACK6_NOT_FORWARDED);
	assert_int_equal(nc_classify_loopback6(NC_ENV_NATIVE_LINUX, &both), NC_LOOPBACK6_PROBE);
	assert_int_equal(nc_classify_loopback6(NC_ENV_NATIVE_LINUX, &listed), NC_LOOPBACK6_NOT_FORWARDED);
	/* Podman and the forwarding-only engines: only what the engine lists */
	assert_int_equal(nc_classify_loopback6(NC_ENV_PODMAN, &v4_only), NC_LOOPBACK6_NONE);
	assert_int_equal(nc_classify_loopback6(NC_ENV_DOCKER_DESKTOP, &listed), NC_LOOPBACK6_PROBE);
	/* another port than the one whose forwarder was looked for */
	v4_only.forwarder6_known = listed.forwarder6_known = false;
	assert_int_equal(nc_classify_loopback6(NC_ENV_NATIVE_LINUX, &v4_only), NC_LOOPBACK6_NONE);
	assert_int_equal(nc_classify_loopback6(NC_ENV_NATIVE_LINUX, &listed), NC_LOOPBACK6_PROBE);

	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK6, NC_VERDICT_SKIPPED, 80);
	v4_only.forwarder6_known = true;
	nc_classify_not_forwarded6(p, &v4_only);
	assert_int_equal(p->verdict, NC_VERDICT_SKIPPED);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NO_FORWARDER);
	assert_non_null(strstr(p->detail, "publishes port 32768 on IPv4 only"));
	nc_classify_not_forwarded6(p, &listed);
	assert_non_null(strstr(p->detail, "no process listens on [::]:32768"));
	nc_result_free(r);
}

/* Why a path is unexpected is the policy's, recorded for the reporters. */
static void test_unexpected_reason(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	(void)state;
	assert_non_null(r);
	nc_result_environment(r)->kind = NC_ENV_NATIVE_LINUX;
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REACHABLE, 80);
	p->mechanism = NC_MECH_DIRECT;
	assert_int_equal(nc_expect_evaluate(r), 0);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_NONE);
	p->foreign_responder = true;
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_FOREIGN);
	p->mechanism = NC_MECH_NAT; /* wrong mechanism weighs first */
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_BEHAVIOUR);
	p->foreign_responder = false;
	p->mechanism = NC_MECH_DIRECT;
	p->diagnosis.code = NC_DIAG_INPUT_FIREWALL_BYPASSED;
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_WARNING);
	nc_result_free(r);
}

/* Every diagnosis cites what it rests on (diagnosis.observed), and a
 * failure nothing explains says so, with what was looked at. */
static void test_diagnosis_observations(void **state)
{
	const nc_listener_t any80[] = { { NC_PROTO_TCP, ep_("0.0.0.0", 80), false } };
	nc_diag_firewall_t fw = { .forward_drop = true, .published_port = 18481 };
	nc_diag_facts_t f = { .firewall = &fw };
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	const nc_diagnosis_t *d;
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	native_points(&env);
	add_point(&env, NC_POINT_REMOTE_HOST_SIDE, "ncr1a2b3c4d5e6f");
	fw.forward = ip_filter_drop("DOCKER-USER", "FORWARD", "ip saddr 198.18.0.0/15 drop");
	fw.forward.handle = 7;

	/* dropped: the capture points on its way, then the rule as read */
	p = failed_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT, 80);
	p->timings.connect_ms = -1;
	hop_at(p, "ncr1a2b3c4d5e6f", NC_LEG_CLIENT);
	nc_classify_diagnose(p, &env, &f);
	d = &p->diagnosis;
	assert_int_equal(d->code, NC_DIAG_DROPPED);
	assert_int_equal(d->n_observed, 5); /* ncr…, docker0, veth, eth0@container, the rule */
	assert_int_equal(d->observed[0].source, NC_OBS_CAPTURE);
	assert_string_equal(d->observed[0].point, "ncr1a2b3c4d5e6f");
	assert_int_equal(d->observed[0].packets, 2);
	assert_string_equal(d->observed[1].text, "none of the path's packets seen on docker0");
	assert_int_equal(d->observed[1].packets, 0);
	assert_int_equal(d->observed[4].source, NC_OBS_RULESET);
	assert_string_equal(d->observed[4].chain, "DOCKER-USER");
	assert_string_equal(d->observed[4].verdict, "drop");
	assert_int_equal(d->observed[4].handle, 7);
	assert_string_equal(d->observed[4].rule, "ip saddr 198.18.0.0/15 drop");

	/* exited: the container's state and code */
	f.exited = true;
	f.exit_code = 3;
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REFUSED, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_CONTAINER_EXITED);
	assert_int_equal(p->diagnosis.n_observed, 1);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_CONTAINER);
	assert_string_equal(p->diagnosis.observed[0].state, "exited");
	assert_int_equal(p->diagnosis.observed[0].exit_code, 3);
	f.exited = false;

	/* a timeout before any connection, no packets anywhere, the app
	 * listening on every address: nothing explains it -- no guess */
	f.firewall = NULL;
	f.have_listeners = true;
	f.listeners = any80;
	f.n_listeners = 1;
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT, 80);
	p->timings.connect_ms = -1;
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE); /* never sent: its detail says why */
	p->sent = true;
	nc_classify_diagnose(p, &env, &f);
	d = &p->diagnosis;
	assert_int_equal(d->code, NC_DIAG_UNEXPLAINED);
	assert_string_equal(nc_diag_code_name(d->code), "unexplained");
	assert_non_null(strstr(d->detail, "the probe ended timeout"));
	assert_non_null(strstr(d->detail, "nothing netcheck observed explains it"));
	assert_non_null(strstr(d->detail, "the container's socket table"));
	assert_non_null(strstr(d->detail, "the capture points on its way"));
	assert_int_equal(d->observed[0].source, NC_OBS_CONTAINER);
	assert_string_equal(d->observed[0].state, "running");
	assert_int_equal(d->observed[1].source, NC_OBS_SOCKET);
	assert_string_equal(d->observed[1].text, "in the container, 0.0.0.0:80/tcp listens");
	assert_int_equal(d->observed[2].source, NC_OBS_CAPTURE);
	assert_string_equal(d->observed[2].text, "none of the path's packets seen on docker0");
	assert_int_equal(d->hint[0], '\0'); /* no advice without a cause */

	/* nothing gathered (a swarm path): said so */
	p = failed_path(r, NC_PATH_TASK_TO_TASK, NC_VERDICT_UNREACHABLE, 80);
	nc_path_set_detail(p, "EHOSTUNREACH");
	p->sent = true;
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_UNEXPLAINED);
	assert_non_null(strstr(p->diagnosis.detail, "the probe ended unreachable (EHOSTUNREACH)"));
	assert_non_null(strstr(p->diagnosis.detail, "looked at: nothing"));
	assert_int_equal(p->diagnosis.n_observed, 0);

	/* a probe that could not be made is not "unexplained": its detail says why */
	p = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_ERROR, 80);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	nc_result_free(r);
}

/* The list is bounded: what does not fit is counted as cut, not written past. */
static void test_observations_bounded(void **state)
{
	nc_diagnosis_t d;
	(void)state;

	nc_diagnosis_clear(&d);
	for (int i = 0; i < NC_DIAG_OBSERVED_MAX; i++)
		assert_non_null(nc_diagnosis_observe(&d, NC_OBS_SYSCTL, "setting %d", i));
	assert_null(nc_diagnosis_observe(&d, NC_OBS_SYSCTL, "one too many"));
	assert_true(d.observed_cut);
	assert_int_equal(d.n_observed, NC_DIAG_OBSERVED_MAX);
	assert_string_equal(nc_obs_source_name(NC_OBS_DROP_REASON), "drop-reason");
	assert_null(nc_obs_source_name(NC_OBS_SOURCE_COUNT));
	nc_diagnosis_clear(&d);
	assert_int_equal(d.n_observed, 0);
	assert_false(d.observed_cut);
}

/* A path run did not send: the target's own fault fails it, a limit of
 * this host or of netcheck proves nothing. */
static void test_not_sent(void **state)
{
	static const struct { nc_not_sent_t why; nc_verdict_t want; } cases[] = {
		{ NC_NOT_SENT_NOT_PUBLISHED, NC_VERDICT_SKIPPED },     { NC_NOT_SENT_NOT_RUNNING, NC_VERDICT_UNREACHABLE },
		{ NC_NOT_SENT_TASK_DOWN, NC_VERDICT_UNREACHABLE },     { NC_NOT_SENT_NO_CLIENT, NC_VERDICT_SKIPPED },
		{ NC_NOT_SENT_NO_INGRESS, NC_VERDICT_SKIPPED },        { NC_NOT_SENT_NO_RELAY, NC_VERDICT_SKIPPED },
		{ NC_NOT_SENT_NO_SOURCE, NC_VERDICT_SKIPPED },         { NC_NOT_SENT_NO_NETWORK, NC_VERDICT_SKIPPED },
		{ NC_NOT_SENT_LOOPBACK_ONLY, NC_VERDICT_SKIPPED },
	};
	nc_result_t *r = nc_result_new();
	nc_path_t *p;

	(void)state;
	assert_non_null(r);
	assert_int_equal(NC_ARRAY_SIZE(cases), NC_NOT_SENT_COUNT);
	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		p = failed_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_SKIPPED, 80);
		nc_classify_not_sent(p, cases[i].why, "not sent: case %zu", i);
		assert_int_equal(p->verdict, cases[i].want);
		assert_non_null(strstr(p->detail, "not sent: case"));
		assert_false(p->sent);
	}
	/* NULL keeps the detail the caller composed */
	p = failed_path(r, NC_PATH_PUBLISHED_NODE, NC_VERDICT_SKIPPED, 80);
	nc_path_set_detail(p, "not sent: node n1 is down");
	nc_classify_not_sent(p, NC_NOT_SENT_TASK_DOWN, NULL);
	assert_string_equal(p->detail, "not sent: node n1 is down");
	assert_int_equal(p->verdict, NC_VERDICT_UNREACHABLE);
	/* and no diagnosis guesses at it */
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	nc_result_free(r);
}

/* A port not published, no network: not sent, skipped, and still a
 * finding that fails the run, said by its diagnosis, not by a "wanted
 * reachable" the path was never given the chance to meet; --expect can
 * accept it. */
static void test_unsent_finding(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p, *none, *privilege;

	(void)state;
	assert_non_null(r);
	nc_result_environment(r)->kind = NC_ENV_NATIVE_LINUX;
	p = failed_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, 8080);
	nc_classify_not_sent(p, NC_NOT_SENT_NOT_PUBLISHED, "not sent: container port 8080 is not published");
	assert_int_equal(p->verdict, NC_VERDICT_SKIPPED);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_PUBLISHED);
	assert_non_null(strstr(p->diagnosis.detail, "8080"));
	none = failed_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REACHABLE, 80);
	nc_classify_not_sent(none, NC_NOT_SENT_NO_NETWORK, "not sent: no network");
	assert_int_equal(none->diagnosis.code, NC_DIAG_NO_NETWORK);
	/* no facts: what was said stays */
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_PUBLISHED);
	/* a limit of this host is no finding */
	privilege = failed_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_REACHABLE, 0);
	nc_classify_not_made(privilege, -EPERM);
	assert_true(nc_classify_unsent_finding(p));
	assert_true(nc_classify_unsent_finding(none));
	assert_false(nc_classify_unsent_finding(privilege));

	assert_int_equal(nc_expect_evaluate(r), 2);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_UNSENT);
	assert_string_equal(p->unexpected_reason, "not-published");
	assert_int_equal(none->unexpected, NC_UNEXPECTED_UNSENT);
	assert_true(privilege->expected);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_UNEXPECTED);
	/* the user accepts it */
	assert_int_equal(nc_expect_parse(r, "published-host=skipped,direct-tcp=skipped", NULL), 0);
	assert_int_equal(nc_expect_evaluate(r), 0);
	{
		/* an exited container's path: unreachable as before, its reason
		 * the diagnosis's, not "wanted reachable" */
		nc_path_t *exited = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, 80);

		nc_classify_not_sent(exited, NC_NOT_SENT_NOT_RUNNING, "not sent: the container is not running");
		nc_path_diagnose(exited, NC_DIAG_CONTAINER_EXITED, NULL, "the container exited with code 3");
		assert_int_equal(nc_expect_evaluate(r), 1);
		assert_int_equal(exited->verdict, NC_VERDICT_UNREACHABLE);
		assert_int_equal(exited->unexpected, NC_UNEXPECTED_UNSENT);
		assert_string_equal(exited->unexpected_reason, "container-exited");
		assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_UNEXPECTED);
	}
	nc_result_free(r);
}

/* --swarm: a node whose task the engine rejected, as the run recorded it
 * (a real `docker service ps --no-trunc` error), and a drained node with
 * no task: not sent, unreachable, and said as task-down from the node's
 * record -- counted as an exited container's path (the diagnosis is the
 * reason, exit 1), and kept through the classify stage's diagnosis. */
static void test_task_down(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_node_t rejected = { .state = "ready", .availability = "active", .task_id = "x7k2m9q4w1e8r5t3y6u0",
			       .task_state = "rejected",
			       .task_error = "No such image: sha256:5e1f0c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f",
			       .host_port = 0 };
	nc_node_t drained = { .state = "ready", .availability = "drain" };
	nc_node_t fine = { .state = "ready", .availability = "active", .task_id = "t1", .task_state = "running",
			   .host_port = 31000, .address = ep_("10.0.0.3", 0) };
	nc_path_t *p, *q, *ok;

	(void)state;
	assert_non_null(r);
	snprintf(rejected.name, sizeof(rejected.name), "worker-1");
	snprintf(drained.name, sizeof(drained.name), "worker-2");
	snprintf(fine.name, sizeof(fine.name), "manager");
	p = failed_path(r, NC_PATH_PUBLISHED_NODE, NC_VERDICT_REACHABLE, 80);
	q = failed_path(r, NC_PATH_TASK_TO_TASK, NC_VERDICT_REACHABLE, 80);
	ok = failed_path(r, NC_PATH_PUBLISHED_NODE, NC_VERDICT_REACHABLE, 80);
	ok->sent = true;
	ok->expected = true;
	assert_true(nc_classify_task_down(p, &rejected, "node"));
	assert_true(nc_classify_task_down(q, &drained, "node"));
	assert_false(nc_classify_task_down(ok, &fine, "node"));
	assert_int_equal(ok->diagnosis.code, NC_DIAG_NONE);

	assert_false(p->sent);
	assert_int_equal(p->verdict, NC_VERDICT_UNREACHABLE);
	assert_int_equal(p->diagnosis.code, NC_DIAG_TASK_DOWN);
	assert_non_null(strstr(p->diagnosis.detail, "worker-1"));
	assert_non_null(strstr(p->diagnosis.detail, "rejected: No such image: sha256:5e1f"));
	assert_int_equal(p->diagnosis.n_observed, 1);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_ENGINE);
	assert_non_null(strstr(p->diagnosis.observed[0].text, "task x7k2m9q4w1e8 on node worker-1: rejected: No such image"));
	assert_int_equal(q->diagnosis.code, NC_DIAG_TASK_DOWN);
	assert_non_null(strstr(q->diagnosis.detail, "worker-2 is drain"));
	assert_non_null(strstr(q->diagnosis.hint, "--availability active"));
	assert_string_equal(q->diagnosis.observed[0].text, "node worker-2: ready, drain, no task");

	/* the classify stage's diagnosis (a swarm gathers no facts) keeps it */
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_TASK_DOWN);
	assert_int_equal(p->diagnosis.n_observed, 1);
	/* as an exited container's path: unexpected for its diagnosis's reason, exit 1 */
	assert_true(nc_classify_unsent_state(p));
	assert_int_equal(nc_expect_evaluate(r), 2);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_UNSENT);
	assert_string_equal(p->unexpected_reason, "task-down");
	assert_int_equal(q->unexpected, NC_UNEXPECTED_UNSENT);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_UNEXPECTED);
	nc_result_free(r);
}

static void rst_at(nc_path_t *p, const char *point, nc_leg_t leg, const char *src, uint16_t sport, const char *dst,
		   uint16_t dport)
{
	nc_packet_summary_t k = { .leg = leg, .proto = 6, .tcp_flags = NC_TCP_RST | NC_TCP_ACK };

	snprintf(k.capture_point, sizeof(k.capture_point), "%s", point);
	k.src = ep_(src, sport);
	k.dst = ep_(dst, dport);
	assert_int_equal(nc_path_add_packet(p, &k), 0);
}

/* Who reset a connection, from the captured packets rather than from
 * whether a forwarder exists (issue 17's REJECT in DOCKER-USER). */
static void test_reset_from_packets(void **state)
{
	nc_diag_facts_t f = { .forwarder = { .name = "docker-proxy", .pid = 4242 } };
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	native_points(&env);

	/* kernel NAT, a forwarder listening too: the container sent the reset */
	p = failed_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REFUSED, 80);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	rst_at(p, "eth0@container", NC_LEG_TRANSLATED, "172.17.0.2", 80, "192.168.1.10", 50112);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_RESET);
	assert_non_null(strstr(p->diagnosis.detail, "the container's kernel reset the connection"));
	assert_null(strstr(p->diagnosis.detail, "docker-proxy"));
	assert_string_equal(p->diagnosis.observed[0].text,
			    "a reset from 172.17.0.2:80 to 192.168.1.10:50112, seen on eth0@container");

	/* on the forwarder's own leg: it was refused, then closed ours */
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_RESET, 80);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	rst_at(p, "veth1a2b3c4", NC_LEG_PROXY_TO_CONTAINER, "172.17.0.2", 80, "172.17.0.1", 40100);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_RESET);
	assert_non_null(strstr(p->diagnosis.detail, "refused the forwarder's connection"));
	assert_non_null(strstr(p->diagnosis.detail, "docker-proxy, pid 4242"));
	assert_int_equal(p->diagnosis.observed[1].pid, 4242);

	/* a reset the container never sent (a REJECT with tcp-reset on the way) */
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REFUSED, 80);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	hop_at(p, "lo", NC_LEG_CLIENT);
	rst_at(p, "lo", NC_LEG_CLIENT, "127.0.0.1", 32768, "127.0.0.1", 50111);
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_RESET);
	assert_non_null(strstr(p->diagnosis.detail, "but the container sent none"));
	assert_non_null(strstr(p->diagnosis.hint, "REJECT"));
	assert_null(strstr(p->diagnosis.detail, "docker-proxy"));

	/* captured, refused, and no reset among the packets: no guess */
	p = failed_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_UNREACHABLE, 80);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	p->timings.connect_ms = 0.3;
	p->sent = true;
	nc_classify_diagnose(p, &env, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_UNEXPLAINED);
	assert_non_null(strstr(p->diagnosis.detail, "the process on the published port"));
	nc_result_free(r);
}

/* Task to task: routed (the peer saw the task's own address); inside
 * VXLAN between nodes on one node's uplink: overlay.  Only the inner
 * packets seen (no agent on an uplink): still direct. */
static void test_overlay_from_packets(void **state)
{
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_hop_t hop;
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	native_points(&env);
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_TASK_TO_TASK, "node-b", NULL, &p), 0);
	p->verdict = NC_VERDICT_REACHABLE;
	p->local = ep_str("10.0.1.3:50000");
	p->peer_seen = ep_str("10.0.1.3:50000");
	nc_classify_path(p, NULL, NULL);
	assert_int_equal(p->mechanism, NC_MECH_DIRECT);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	memset(&hop, 0, sizeof(hop));
	snprintf(hop.capture_point, sizeof(hop.capture_point), "eth0@task.node-b");
	hop.leg = NC_LEG_CLIENT;
	hop.src = p->local;
	hop.dst = ep_str("10.0.1.4:80");
	hop.packets = 8;
	assert_int_equal(nc_path_add_hop(p, &hop), 0);
	nc_classify_evidence(p, &env, NULL);
	assert_int_equal(p->mechanism, NC_MECH_DIRECT);
	snprintf(hop.capture_point, sizeof(hop.capture_point), "eth0@node-b");
	hop.encapsulated = true;
	hop.outer_src = ep_str("198.18.10.11:41000");
	hop.outer_dst = ep_str("198.18.10.12:4789");
	assert_int_equal(nc_path_add_hop(p, &hop), 0);
	nc_classify_evidence(p, &env, NULL);
	assert_int_equal(p->mechanism, NC_MECH_OVERLAY);
	assert_string_equal(nc_mechanism_name(p->mechanism), "overlay");
	nc_result_free(r);
}

/* probe A --to B where B is the user's own app (no responder, so no peer
 * seen): A's untranslated connection captured in B is direct, not NAT */
static void test_container_to_container_from_packets(void **state)
{
	nc_environment_t env;
	nc_result_t *r = nc_result_new();
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	native_points(&env);
	assert_int_equal(nc_result_add_path(r, NC_PATH_CONTAINER_TO_CONTAINER, NULL, &p), 0);
	p->verdict = NC_VERDICT_REACHABLE;
	p->local = ep_str("192.168.112.2:38108");
	nc_classify_path(p, NULL, NULL);
	assert_int_equal(p->mechanism, NC_MECH_NONE);
	p->evidence_state = NC_EVIDENCE_CAPTURED;
	hop_at(p, "eth0@container", NC_LEG_CLIENT);
	nc_classify_evidence(p, &env, NULL);
	assert_int_equal(p->mechanism, NC_MECH_DIRECT);
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_kinds),
		cmocka_unit_test(test_overlay_from_packets),
		cmocka_unit_test(test_container_to_container_from_packets),
		cmocka_unit_test(test_reset_from_packets),
		cmocka_unit_test(test_not_sent),
		cmocka_unit_test(test_unsent_finding),
		cmocka_unit_test(test_task_down),
		cmocka_unit_test(test_diagnosis_observations),
		cmocka_unit_test(test_observations_bounded),
		cmocka_unit_test(test_verdict_from_probe_error),
		cmocka_unit_test(test_loopback6_forwarding),
		cmocka_unit_test(test_unexpected_reason),
		cmocka_unit_test(test_environment_from_route),
		cmocka_unit_test(test_desktop_run_verdicts),
		cmocka_unit_test(test_rootless_collision),
		cmocka_unit_test(test_diagnose_socket_table),
		cmocka_unit_test(test_diagnose_exited_and_reset),
		cmocka_unit_test(test_diagnose_dropped),
		cmocka_unit_test(test_diagnose_dropped_project),
		cmocka_unit_test(test_diagnose_reachable),
		cmocka_unit_test(test_diagnose_firewall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
