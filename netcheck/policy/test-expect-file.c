/* Unit tests for the user's expectations: --expect-file's YAML (good
 * files, and bad ones whose errors must name the line), value sets
 * (nat|proxy, [reachable, unreachable]) on the command line and in the
 * file, and which rule wins.  Pure: the YAML is text here, no I/O. */
#include <errno.h>
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

#define M(x) (1u << (x))

static const char good_file[] =
	"# netcheck.yaml\n"
	"expect:\n"
	"  direct-*: reachable\n"
	"  published-remote: [reachable, unreachable]\n"
	"  published-loopback: nat|proxy\n"
	"environments:            # per environment kind\n"
	"  desktop:\n"
	"    direct-*: unroutable\n"
	"  native-linux:\n"
	"    published-host: [nat, timeout]\n";

static nc_result_t *result_in(nc_env_kind_t env)
{
	static const nc_path_kind_t kinds[] = { NC_PATH_DIRECT_ICMP, NC_PATH_DIRECT_TCP, NC_PATH_PUBLISHED_LOOPBACK,
						NC_PATH_PUBLISHED_HOST, NC_PATH_PUBLISHED_REMOTE };
	nc_result_t *r = nc_result_new();

	assert_non_null(r);
	nc_result_environment(r)->kind = env;
	for (size_t i = 0; i < NC_ARRAY_SIZE(kinds); i++)
		assert_int_equal(nc_result_add_path(r, kinds[i], NULL, NULL), 0);
	return r;
}

/* What each path of result_in() did, in its order (direct-icmp,
 * direct-tcp, published-loopback, published-host, published-remote):
 * "verdict[/mechanism]" each, separated by spaces. */
static void outcomes(nc_result_t *r, const char *text)
{
	char buf[256], *save = NULL, *word = buf;

	snprintf(buf, sizeof(buf), "%s", text);
	for (size_t i = 0; (word = strtok_r(i == 0 ? buf : NULL, " ", &save)) != NULL; i++) {
		nc_path_t *p = nc_result_path(r, i);
		char *slash = strchr(word, '/');

		assert_non_null(p);
		p->mechanism = NC_MECH_NONE;
		if (slash != NULL) {
			*slash = '\0';
			assert_int_equal(nc_mechanism_from_name(slash + 1, &p->mechanism), 0);
		}
		assert_int_equal(nc_verdict_from_name(word, &p->verdict), 0);
	}
}

static void load(nc_result_t *r, const char *text)
{
	nc_error_t err = { "" };

	if (nc_expect_file_parse(r, text, strlen(text), "netcheck.yaml", &err) != 0)
		fail_msg("a good file refused: %s", err.text);
}

static void test_good_file(void **state)
{
	nc_result_t *r = result_in(NC_ENV_NATIVE_LINUX);
	const nc_expect_rule_t *rule;
	nc_path_t *p;
	(void)state;

	load(r, good_file);
	assert_int_equal(nc_result_expect_rule_count(r), 5);
	rule = nc_result_expect_rule(r, 1);
	assert_string_equal(rule->pattern, "published-remote");
	assert_int_equal(rule->line, 4);
	assert_int_equal(rule->source, NC_EXPECT_FROM_FILE);
	rule = nc_result_expect_rule(r, 3);
	assert_int_equal(rule->source, NC_EXPECT_FROM_FILE_ENV);
	assert_int_equal(rule->env, NC_ENV_DOCKER_DESKTOP);
	assert_int_equal(rule->line, 8);

	nc_expect_apply(r);
	p = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_LOOPBACK);
	assert_true(p->expectation.overridden);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_REACHABLE);
	assert_int_equal(p->expectation.mechanisms, M(NC_MECH_NAT) | M(NC_MECH_PROXY));
	p = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_REMOTE);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_REACHABLE);
	assert_int_equal(p->expectation.other_verdicts, M(NC_VERDICT_UNREACHABLE));

	/* native-linux: direct paths reachable (the table's direct mechanism
	 * stays: same verdict); published-remote either way; published-host
	 * by NAT or timing out, not through the proxy */
	outcomes(r, "reachable/direct reachable/direct reachable/proxy timeout unreachable");
	assert_int_equal(nc_expect_evaluate(r), 0);
	outcomes(r, "reachable/direct reachable/direct reachable/proxy reachable/nat reachable/nat");
	assert_int_equal(nc_expect_evaluate(r), 0);
	outcomes(r, "reachable/direct reachable/direct reachable/out-of-sight reachable/proxy timeout");
	assert_int_equal(nc_expect_evaluate(r), 3);
	nc_result_free(r);

	/* docker-desktop: its environments: entry beats the expect: glob */
	r = result_in(NC_ENV_DOCKER_DESKTOP);
	load(r, good_file);
	nc_expect_apply(r);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP)->expectation.verdict, NC_VERDICT_UNROUTABLE);
	/* and native-linux's entry does not apply here */
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST)->expectation.other_verdicts, 0);
	nc_result_free(r);
}

/* --expect beats the file; a path's own name beats a glob of the same
 * source, whatever the order */
static void test_precedence(void **state)
{
	nc_result_t *r = result_in(NC_ENV_NATIVE_LINUX);
	nc_error_t err = { "" };
	(void)state;

	load(r, "expect:\n  direct-tcp: refused\n  direct-*: timeout\n  published-*: unreachable\n");
	assert_int_equal(nc_expect_parse(r, "published-*=nat|proxy,published-host=unreachable|refused", &err), 0);
	nc_expect_apply(r);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP)->expectation.verdict, NC_VERDICT_REFUSED);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_DIRECT_ICMP)->expectation.verdict, NC_VERDICT_TIMEOUT);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_LOOPBACK)->expectation.verdict, NC_VERDICT_REACHABLE);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_LOOPBACK)->expectation.mechanisms,
			 M(NC_MECH_NAT) | M(NC_MECH_PROXY));
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST)->expectation.verdict, NC_VERDICT_UNREACHABLE);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST)->expectation.other_verdicts,
			 M(NC_VERDICT_REFUSED));
	nc_result_free(r);
}

/* --expect takes sets now: the report printed "wanted reachable/nat|proxy"
 * that --expect could not say */
static void test_command_line_sets(void **state)
{
	nc_result_t *r = result_in(NC_ENV_NATIVE_LINUX);
	nc_error_t err = { "" };
	(void)state;

	assert_int_equal(nc_expect_parse(r, "published-loopback=nat|proxy,published-remote=nat|unreachable", &err), 0);
	nc_expect_apply(r);
	outcomes(r, "reachable/direct reachable/direct reachable/nat reachable/nat unreachable");
	assert_int_equal(nc_expect_evaluate(r), 0);
	/* published-remote reachable, but not by NAT */
	outcomes(r, "reachable/direct reachable/direct reachable/nat reachable/nat reachable/proxy");
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(nc_expect_parse(r, "direct-tcp=nat|maybe", &err), -EINVAL);
	assert_non_null(strstr(err.text, "'maybe' is neither a verdict nor a mechanism"));
	nc_result_free(r);
}

static void test_bad_files(void **state)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "expect:\n  direct-*: reachable\n  published-host: reachble\n",
		  "netcheck.yaml:3: unknown verdict 'reachble' (verdicts: reachable, " },
		{ "expect:\n  sideways: reachable\n", "netcheck.yaml:2: unknown path 'sideways'" },
		{ "expect:\n  direct-tcp: [reachable,\n      nat|prxy]\n", "netcheck.yaml:3: unknown verdict 'prxy'" },
		{ "expect:\n  direct-tcp: []\n", "netcheck.yaml:2: an empty list" },
		{ "expect:\n  direct-tcp:\n", "netcheck.yaml:2: a verdict or mechanism is needed" },
		{ "expect:\n  direct-tcp: reachable\n\n  direct-tcp: nat\n", "netcheck.yaml:4: 'direct-tcp' is given twice (first on line 2)" },
		{ "expects:\n  direct-tcp: reachable\n", "netcheck.yaml:1: unknown key 'expects' (expect, environments)" },
		{ "expect:\n  - direct-tcp\n", "netcheck.yaml:2: expect: is a mapping of PATH: VALUE" },
		{ "expect:\n  direct-tcp: reachable\nenvironments:\n  laptop:\n    direct-*: reachable\n",
		  "netcheck.yaml:4: unknown environment 'laptop'" },
		{ "expect:\n  direct-tcp: reachable\nenvironments:\n  desktop: reachable\n",
		  "netcheck.yaml:4: an environment is a mapping" },
		{ "environments:\n  desktop:\n    direct-*: unroutable\n", "netcheck.yaml:1: no expect: mapping" },
		{ "", "netcheck.yaml:1: empty: an expect: mapping is needed" },
		{ "- a\n- b\n", "netcheck.yaml:1: the file is a mapping" },
		{ "expect:\n  direct-tcp: reachable\n published-host: nat\n", "netcheck.yaml:3: not YAML: " },
		{ "expect:\n\tdirect-tcp: reachable\n", "netcheck.yaml:2: not YAML: " },
		{ "expect: {direct-tcp: \"reach\x01\"}\n", "netcheck.yaml:1: not YAML: " },
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++) {
		nc_result_t *r = nc_result_new();
		nc_error_t err = { "" };

		assert_non_null(r);
		assert_int_equal(nc_expect_file_parse(r, bad[i].text, strlen(bad[i].text), "netcheck.yaml", &err), -EINVAL);
		if (strncmp(err.text, bad[i].says, strlen(bad[i].says)) != 0)
			fail_msg("file %zu: error '%s' does not start '%s'", i, err.text, bad[i].says);
		if (strchr(err.text, '\n') != NULL)
			fail_msg("file %zu: error '%s' is more than one line", i, err.text);
		nc_result_free(r);
	}
}

static void test_too_many(void **state)
{
	char text[NC_MAX_EXPECT_RULES * 40 + 64];
	size_t o = (size_t)snprintf(text, sizeof(text), "expect:\n");
	nc_result_t *r = nc_result_new();
	nc_error_t err = { "" };
	(void)state;

	assert_non_null(r);
	for (int i = 0; i <= NC_MAX_EXPECT_RULES; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "  direct-tcp:%d: reachable\n", i + 1);
	assert_int_equal(nc_expect_file_parse(r, text, o, "many.yaml", &err), -EINVAL);
	assert_string_equal(err.text, "many.yaml:66: more than 64 expectations");
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_command_line_sets),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
