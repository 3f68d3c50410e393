/* Unit tests for classification: the environment from recorded (and, for
 * Docker Desktop, modelled) engine answers, the verdicts a Desktop or
 * rootless run must show to exit 0, and the mechanism rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "netcheck/classify.h"
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
	nc_error_t err;

	load(version_fixture, &jv);
	load(info_fixture, &ji);
	assert_int_equal(nc_engine_parse_version(jv, v, &err), 0);
	assert_int_equal(nc_engine_parse_info(ji, info, &err), 0);
	json_decref(jv);
	json_decref(ji);
	return nc_classify_engine(v, info);
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
	bool attached;

	(void)state;
	engine_kind("docker-20.10-version.json", "docker-20.10-info.json", &v, &info);
	assert_int_equal(nc_classify_environment(&v, &info, NC_ROUTE_ON_LINK, false, &attached), NC_ENV_NATIVE_LINUX);
	assert_true(attached);
	/* only the default route matches, or a gateway: the bridge is elsewhere */
	assert_int_equal(nc_classify_environment(&v, &info, NC_ROUTE_ON_LINK, true, &attached), NC_ENV_NOT_ATTACHED);
	assert_false(attached);
	assert_int_equal(nc_classify_environment(&v, &info, NC_ROUTE_GATEWAY, true, &attached), NC_ENV_NOT_ATTACHED);
	assert_int_equal(nc_classify_environment(&v, &info, NC_ROUTE_NONE, false, &attached), NC_ENV_NOT_ATTACHED);

	/* Desktop's VM uses 172.17.0.0/16 too: an on-link route here is a
	 * collision with this host's docker0, never the VM's bridge */
	engine_kind("desktop-mac-version.json", "desktop-mac-info.json", &v, &info);
	assert_int_equal(nc_classify_environment(&v, &info, NC_ROUTE_ON_LINK, false, &attached),
			 NC_ENV_DOCKER_DESKTOP);
	assert_false(attached);
	engine_kind("docker-20.10-version.json", "rootless-docker-info.json", &v, &info);
	assert_int_equal(nc_classify_environment(&v, &info, NC_ROUTE_ON_LINK, false, &attached),
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

	assert_int_equal(nc_result_evaluate(r), 0);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_OK);

	/* were the container IP ever reachable from the host, that is news: exit 1 */
	p = nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP);
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_DIRECT;
	assert_int_equal(nc_result_evaluate(r), 1);
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
	assert_int_equal(nc_result_evaluate(r), 1);
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_kinds),
		cmocka_unit_test(test_environment_from_route),
		cmocka_unit_test(test_desktop_run_verdicts),
		cmocka_unit_test(test_rootless_collision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
