/* Unit tests for the result model (result.c): paths, names, errors.
 * The policy's own (expectations, exit codes, mechanism, route) are in
 * netcheck/policy/test-policy.c.  Pure: no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"

static void test_paths(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_endpoint_t target = ep("172.17.0.2", 80);
	nc_path_t *p = NULL;
	(void)state;

	assert_non_null(r);
	assert_int_equal(nc_result_exit_code(r), -1);
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, &target, &p), 0);
	assert_non_null(p);
	assert_int_equal(p->kind, NC_PATH_DIRECT_TCP);
	assert_true(nc_endpoint_equal(&p->target, &target));
	assert_int_equal(p->verdict, NC_VERDICT_SKIPPED);
	assert_int_equal(p->mechanism, NC_MECH_NONE);
	assert_true(p->timings.connect_ms < 0 && p->timings.first_byte_ms < 0 && p->timings.total_ms < 0);
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, NULL, NULL), -EEXIST);
	assert_int_equal(nc_result_add_path(r, NC_PATH_KIND_COUNT, NULL, NULL), -EINVAL);
	assert_int_equal(nc_result_path_count(r), 1);
	assert_ptr_equal(nc_result_path(r, 0), p);
	assert_ptr_equal(nc_result_path_const(r, 0), p);
	assert_null(nc_result_path(r, 1));
	assert_null(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST));

	/* evidence is owned by the path and bounded */
	nc_hop_t hop = { .packets = 1 };
	for (int i = 0; i < NC_MAX_HOPS; i++)
		assert_int_equal(nc_path_add_hop(p, &hop), 0);
	assert_int_equal(nc_path_add_hop(p, &hop), -ENOSPC);
	nc_packet_summary_t pkt = { .length = 60 };
	assert_int_equal(nc_path_add_packet(p, &pkt), 0);
	assert_int_equal(p->n_packets, 1);

	nc_result_set_exit_code(r, 3);
	assert_int_equal(nc_result_exit_code(r), 3);
	nc_result_free(r);
	nc_result_free(NULL);
}

/* --- evaluation -------------------------------------------------------- */

static void test_result_error(void **state)
{
	nc_result_t *r = nc_result_new();
	char longer[NC_ERROR_MAX + 100];
	(void)state;

	assert_non_null(r);
	assert_null(nc_result_error(r));
	assert_int_equal(nc_result_error_code(r), 0);
	nc_result_set_error(r, NC_EENGINE, "the engine said no");
	assert_string_equal(nc_result_error(r), "the engine said no");
	assert_int_equal(nc_result_error_code(r), NC_EENGINE);
	/* each code's stable name: the errno's, libuv's, netcheck's enum's */
	assert_string_equal(nc_error_name(NC_EENGINE), "NC_EENGINE");
	assert_string_equal(nc_error_name(NC_EPORTTAKEN), "NC_EPORTTAKEN");
	assert_string_equal(nc_error_name(NC_ECANTCREAT), "NC_ECANTCREAT");
	assert_string_equal(nc_error_name(-ENOENT), "ENOENT");
	assert_string_equal(nc_error_name(-ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(nc_error_name(UV_EOF), "EOF");
	assert_string_equal(nc_error_name(0), "UNKNOWN");
	assert_string_equal(nc_error_name(5), "UNKNOWN");
	assert_string_equal(nc_error_name(-9999), "UNKNOWN");        /* no errno, no UV_E* */
	assert_string_equal(nc_error_name(NC_EBASE - 99), "UNKNOWN"); /* netcheck's band, unused */
	nc_result_set_error(r, -ECONNREFUSED, NULL); /* no text: the code's own words */
	assert_string_equal(nc_result_error(r), nc_strerror(-ECONNREFUSED));
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	nc_result_set_error(r, -EINVAL, longer);
	assert_int_equal(strlen(nc_result_error(r)), NC_ERROR_MAX - 1);
	nc_result_free(r);
}

/* Several paths of one kind (a user's container with two ports, or one
 * per network): each has its own name, and names stay unique. */
static void test_named_paths(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *a, *b;
	char name[NC_POINT_NAME_MAX];
	(void)state;

	assert_non_null(r);
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_HOST, "8080", NULL, &a), 0);
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_HOST, "9090", NULL, &b), 0);
	assert_string_equal(a->name, "published-host:8080");
	assert_string_equal(b->name, "published-host:9090");
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_HOST, "8080", NULL, NULL), -EEXIST);
	assert_ptr_equal(nc_result_path_by_name(r, "published-host:9090"), b);
	assert_null(nc_result_path_by_name(r, "published-host"));
	for (int i = 2; i < NC_MAX_PATHS; i++) {
		char q[16];

		snprintf(q, sizeof(q), "%d", i);
		assert_int_equal(nc_result_add_path_named(r, NC_PATH_DIRECT_TCP, q, NULL, NULL), 0);
	}
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_DIRECT_TCP, "more", NULL, NULL), -ENOSPC);
	nc_result_free(r);

	/* the container's eth0 never reads like the host's */
	assert_string_equal(nc_point_name(NC_POINT_CONTAINER, "eth0", name, sizeof(name)), "eth0@container");
	assert_string_equal(nc_point_name(NC_POINT_DEFAULT_ROUTE, "eth0", name, sizeof(name)), "eth0");
	assert_string_equal(nc_point_name(NC_POINT_PEER_CONTAINER, "eth0", name, sizeof(name)), "eth0@peer");
	/* a project's containers: each eth0 by its owner */
	assert_string_equal(nc_point_name_of(NC_POINT_CONTAINER, "eth0", "web", name, sizeof(name)), "eth0@web");
	assert_string_equal(nc_point_name_of(NC_POINT_CONTAINER, "eth0", "", name, sizeof(name)), "eth0@container");
	assert_string_equal(nc_point_name_of(NC_POINT_VETH, "veth1a2b3c4", "web", name, sizeof(name)), "veth1a2b3c4");
	/* through the agent: the engine host's interfaces say so, the container's eth0 stays itself */
	assert_string_equal(nc_point_name_at(NC_POINT_BRIDGE, NC_WHERE_ENGINE, "docker0", name, sizeof(name)),
			    "docker0@engine");
	assert_string_equal(nc_point_name_at(NC_POINT_VETH, NC_WHERE_ENGINE, "veth1a2b3c4", name, sizeof(name)),
			    "veth1a2b3c4@engine");
	assert_string_equal(nc_point_name_at(NC_POINT_CONTAINER, NC_WHERE_CONTAINER, "eth0", name, sizeof(name)),
			    "eth0@container");
	assert_string_equal(nc_point_name_at(NC_POINT_CONTAINER, NC_WHERE_ENGINE, "eth0", name, sizeof(name)),
			    "eth0@container");
	assert_string_equal(nc_point_name_at(NC_POINT_BRIDGE, NC_WHERE_HOST, "docker0", name, sizeof(name)), "docker0");
	assert_string_equal(nc_point_where_name(NC_WHERE_ENGINE), "engine");
	assert_null(nc_point_where_name(NC_WHERE_COUNT));
	for (int k = 0; k < NC_DIAG_COUNT; k++)
		assert_non_null(nc_diag_code_name((nc_diag_code_t)k));
	assert_string_equal(nc_diag_code_name(NC_DIAG_LISTENING_ON_LOOPBACK_ONLY), "listening-on-loopback-only");
	assert_null(nc_diag_code_name(NC_DIAG_COUNT));
	/* every code and path kind has its one line, and names go back to codes */
	for (int k = 0; k < NC_DIAG_COUNT; k++) {
		nc_diag_code_t c;

		assert_non_null(nc_diag_code_meaning((nc_diag_code_t)k));
		assert_int_equal(nc_diag_code_from_name(nc_diag_code_name((nc_diag_code_t)k), &c), 0);
		assert_int_equal(c, k);
	}
	for (int k = 0; k < NC_PATH_KIND_COUNT; k++)
		assert_non_null(nc_path_kind_meaning((nc_path_kind_t)k));
	assert_null(nc_diag_code_meaning(NC_DIAG_COUNT));
	assert_null(nc_path_kind_meaning(NC_PATH_KIND_COUNT));
	assert_int_equal(nc_diag_code_from_name("sideways", &(nc_diag_code_t){ 0 }), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;

	for (int k = 0; k < NC_PATH_KIND_COUNT; k++) {
		nc_path_kind_t back;
		const char *n = nc_path_kind_name((nc_path_kind_t)k);

		assert_non_null(n);
		assert_int_equal(nc_path_kind_from_name(n, &back), 0);
		assert_int_equal(back, k);
	}
	for (int v = 0; v < NC_VERDICT_COUNT; v++) {
		nc_verdict_t back;
		const char *n = nc_verdict_name((nc_verdict_t)v);

		assert_non_null(n);
		assert_int_equal(nc_verdict_from_name(n, &back), 0);
		assert_int_equal(back, v);
	}
	for (int m = 0; m < NC_MECH_COUNT; m++) {
		nc_mechanism_t back;
		const char *n = nc_mechanism_name((nc_mechanism_t)m);

		assert_non_null(n);
		assert_int_equal(nc_mechanism_from_name(n, &back), 0);
		assert_int_equal(back, m);
	}
	for (int e = 0; e < NC_ENV_KIND_COUNT; e++)
		assert_non_null(nc_env_kind_name((nc_env_kind_t)e));

	assert_string_equal(nc_path_kind_name(NC_PATH_PUBLISHED_LOOPBACK6), "published-loopback6");
	assert_string_equal(nc_verdict_name(NC_VERDICT_UNROUTABLE), "unroutable");
	assert_string_equal(nc_mechanism_name(NC_MECH_OUT_OF_SIGHT), "out-of-sight");
	assert_string_equal(nc_env_kind_name(NC_ENV_NATIVE_LINUX), "native-linux");
	assert_string_equal(nc_env_kind_name(NC_ENV_NOT_ATTACHED), "not-attached");
	assert_string_equal(nc_direction_name(NC_DIR_IN), "in");
	assert_string_equal(nc_direction_name(NC_DIR_OUT), "out");

	assert_null(nc_path_kind_name(NC_PATH_KIND_COUNT));
	assert_null(nc_path_kind_name((nc_path_kind_t)-1));
	assert_null(nc_verdict_name(NC_VERDICT_COUNT));
	assert_null(nc_mechanism_name(NC_MECH_COUNT));
	assert_null(nc_env_kind_name(NC_ENV_KIND_COUNT));
	{
		nc_verdict_t v = NC_VERDICT_TIMEOUT;
		nc_mechanism_t m;
		nc_path_kind_t k;

		assert_int_equal(nc_verdict_from_name("Reachable", &v), -EINVAL);
		assert_int_equal(v, NC_VERDICT_TIMEOUT); /* untouched on error */
		assert_int_equal(nc_verdict_from_name("", &v), -EINVAL);
		assert_int_equal(nc_mechanism_from_name("docker-proxy", &m), -EINVAL);
		assert_int_equal(nc_path_kind_from_name("direct", &k), -EINVAL); /* a group, not a path */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_result_error),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_named_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
