/* Unit tests for path globs and the selection (select.c): what --paths and
 * --skip accept, refuse and leave out, and that a left-out path is never
 * added to a result.  Pure: no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/result.h"

static void test_glob_matches(void **state)
{
	(void)state;
	/* a path's own name, its kind's, or a glob over either */
	assert_true(nc_path_glob_matches("published-host", NC_PATH_PUBLISHED_HOST, "published-host"));
	assert_true(nc_path_glob_matches("published-loopback", NC_PATH_PUBLISHED_LOOPBACK, "published-loopback:8080"));
	assert_true(nc_path_glob_matches("published-loopback:8080", NC_PATH_PUBLISHED_LOOPBACK, "published-loopback:8080"));
	assert_false(nc_path_glob_matches("published-loopback:8080", NC_PATH_PUBLISHED_LOOPBACK, "published-loopback:443"));
	assert_false(nc_path_glob_matches("published-loopback", NC_PATH_PUBLISHED_LOOPBACK6, "published-loopback6"));
	assert_true(nc_path_glob_matches("published-*", NC_PATH_PUBLISHED_NODE, "published-node:worker-1"));
	assert_true(nc_path_glob_matches("*:worker-?", NC_PATH_TASK_TO_TASK, "task-to-task:worker-1"));
	assert_false(nc_path_glob_matches("*:worker-?", NC_PATH_TASK_TO_TASK, "task-to-task:worker-10"));
	assert_true(nc_path_glob_matches("direct-tcp[46]", NC_PATH_DIRECT_TCP6, "direct-tcp6"));
	assert_false(nc_path_glob_matches("direct-tcp[46]", NC_PATH_DIRECT_TCP, "direct-tcp"));
	assert_false(nc_path_glob_matches("direct-*", NC_PATH_PUBLISHED_HOST, "published-host"));
}

static void test_glob_names_a_kind(void **state)
{
	static const char *const good[] = {
		"direct-tcp", "direct-*", "*", "published-?ost", "published-loopback:8080", "published-node:*",
		"*:80", "*80", "d[i]rect-icmp", "direct-tcp[[:digit:]]", "published-node:worker-[0-9]",
		"task-to-*-dns", "*-udp",
	};
	static const char *const bad[] = {
		"direct", "sideways", "direct-sctp", "published-loopback-tcp", "published", "Direct-tcp", "[x]irect-tcp",
		"direct-tcp:", "direct-tcp7", "published-loopback6x", "",
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(good); i++)
		if (!nc_path_glob_names_a_kind(good[i]))
			fail_msg("'%s' names no kind, but it should", good[i]);
	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++)
		if (nc_path_glob_names_a_kind(bad[i]))
			fail_msg("'%s' names a kind, but it should not", bad[i]);
	assert_true(nc_path_glob_is_exact("published-loopback:8080"));
	assert_false(nc_path_glob_is_exact("published-*"));
	assert_false(nc_path_glob_is_exact("direct-tcp[46]"));
}

static void test_selection(void **state)
{
	nc_selection_t s = { 0 };
	nc_error_t err = { "" };
	(void)state;

	/* nothing given: every path */
	assert_true(nc_path_selected(&s, NC_PATH_DIRECT_ICMP, "direct-icmp"));
	assert_int_equal(nc_selection_add(&s, false, "published-*,direct-tcp", &err), 0);
	assert_int_equal(nc_selection_add(&s, true, "published-remote", &err), 0);
	assert_int_equal(s.n_paths, 2);
	assert_string_equal(s.paths[1], "direct-tcp");
	assert_true(nc_path_selected(&s, NC_PATH_PUBLISHED_HOST, "published-host"));
	assert_true(nc_path_selected(&s, NC_PATH_PUBLISHED_LOOPBACK, "published-loopback:8080"));
	assert_true(nc_path_selected(&s, NC_PATH_DIRECT_TCP, "direct-tcp:443"));
	assert_false(nc_path_selected(&s, NC_PATH_PUBLISHED_REMOTE, "published-remote"));
	assert_false(nc_path_selected(&s, NC_PATH_DIRECT_ICMP, "direct-icmp"));
	assert_false(nc_path_selected(&s, NC_PATH_DIRECT_TCP6, "direct-tcp6"));
	/* --skip alone: everything but */
	memset(&s, 0, sizeof(s));
	assert_int_equal(nc_selection_add(&s, true, "*:443,direct-icmp*", &err), 0);
	assert_true(nc_path_selected(&s, NC_PATH_DIRECT_TCP, "direct-tcp:80"));
	assert_false(nc_path_selected(&s, NC_PATH_DIRECT_TCP, "direct-tcp:443"));
	assert_false(nc_path_selected(&s, NC_PATH_DIRECT_ICMP6, "direct-icmp6"));
}

static void test_selection_errors(void **state)
{
	static const struct {
		bool skip;
		const char *list, *says;
	} bad[] = {
		{ false, "", "--paths needs GLOB" },
		{ true, "", "--skip needs GLOB" },
		{ false, "direct-tcp,", "--paths: an empty glob in 'direct-tcp,'" },
		{ false, ",direct-tcp", "an empty glob" },
		{ false, "direct-tcp,,direct-icmp", "an empty glob" },
		{ true, "published-host,sideways", "--skip: 'sideways' matches no path (netcheck paths lists them)" },
		{ false, "publshed-*", "--paths: 'publshed-*' matches no path" },
	};
	char longglob[200];
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++) {
		nc_selection_t s = { 0 };
		nc_error_t err = { "" };

		assert_int_equal(nc_selection_add(&s, bad[i].skip, bad[i].list, &err), -EINVAL);
		if (strstr(err.text, bad[i].says) == NULL)
			fail_msg("'%s': error '%s' does not say '%s'", bad[i].list, err.text, bad[i].says);
	}
	{
		nc_selection_t s = { 0 };
		nc_error_t err = { "" };

		memset(longglob, '*', sizeof(longglob) - 1);
		longglob[sizeof(longglob) - 1] = '\0';
		assert_int_equal(nc_selection_add(&s, false, longglob, &err), -EINVAL);
		assert_non_null(strstr(err.text, "at most 95 characters"));
		for (int i = 0; i < NC_SELECT_MAX; i++)
			assert_int_equal(nc_selection_add(&s, false, "direct-*", &err), 0);
		assert_int_equal(nc_selection_add(&s, false, "direct-*", &err), -EINVAL);
		assert_non_null(strstr(err.text, "at most 16 globs"));
	}
}

/* A path the selection leaves out is never added: nothing plans, probes
 * or counts it. */
static void test_result_leaves_out(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_error_t err = { "" };
	nc_path_t *p = NULL;
	(void)state;

	assert_non_null(r);
	assert_int_equal(nc_selection_add(nc_result_selection(r), false, "published-*", &err), 0);
	assert_int_equal(nc_selection_add(nc_result_selection(r), true, "published-remote", &err), 0);
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, NULL, &p), -ECANCELED);
	assert_null(p);
	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_REMOTE, NULL, NULL), -ECANCELED);
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_LOOPBACK, "8080", NULL, &p), 0);
	assert_string_equal(p->name, "published-loopback:8080");
	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_HOST, NULL, NULL), 0);
	assert_int_equal(nc_result_path_count(r), 2);
	assert_int_equal(nc_result_selection_const(r)->n_skip, 1);
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_matches),
		cmocka_unit_test(test_glob_names_a_kind),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_selection_errors),
		cmocka_unit_test(test_result_leaves_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
