/* Unit tests for the host settings (witness-sysctl.c), from copies of
 * /proc/sys recorded by tests/fixtures/record-sysctl.sh: this Docker
 * host's, and a network namespace just made. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/witness.h"

static char root[4096];

static const char *fixture_root(const char *name)
{
	const char *dir = getenv("NC_FIXTURES");

	assert_non_null(dir);
	snprintf(root, sizeof(root), "%s/%s", dir, name);
	return root;
}

static int value(const nc_witness_setting_t *list, size_t n, const char *name, const char *ifname)
{
	const nc_witness_setting_t *s = nc_witness_setting_find(list, n, name, ifname);

	assert_non_null(s);
	return s->value;
}

static void test_docker_host(void **state)
{
	const char *ifnames[] = { "docker0", "veth9" };
	nc_witness_setting_t list[32];
	int n;

	(void)state;
	assert_int_equal(nc_witness_settings_count(2), 16);
	n = nc_witness_settings_read(fixture_root("sysctl-docker-host"), ifnames, 2, list, 32);
	assert_int_equal(n, 16);
	assert_int_equal(value(list, 16, "net.ipv4.ip_forward", ""), 1);
	assert_int_equal(value(list, 16, "net.ipv6.conf.all.forwarding", ""), 1);
	assert_int_equal(value(list, 16, "net.bridge.bridge-nf-call-iptables", ""), 1);
	assert_int_equal(value(list, 16, "net.ipv4.conf.IF.route_localnet", "all"), 0);
	assert_int_equal(value(list, 16, "net.ipv4.conf.IF.forwarding", "docker0"), 1);
	assert_int_equal(value(list, 16, "net.ipv6.conf.IF.forwarding", "docker0"), 1);
	assert_int_equal(value(list, 16, "net.ipv4.conf.IF.rp_filter", "docker0"), 0);
	/* an interface the copy has not: not there, said as -1 */
	assert_int_equal(value(list, 16, "net.ipv4.conf.IF.rp_filter", "veth9"), -1);
	/* a global setting has no interface */
	assert_null(nc_witness_setting_find(list, 16, "net.ipv4.ip_forward", "all"));
	assert_null(nc_witness_setting_find(list, 16, "net.ipv4.conf.IF.rp_filter", ""));
}

static void test_fresh_namespace(void **state)
{
	nc_witness_setting_t list[8];
	int n;

	(void)state;
	n = nc_witness_settings_read(fixture_root("sysctl-fresh-netns"), NULL, 0, list, 8);
	assert_int_equal(n, 8);
	/* IPv6 forwarding starts off in a new namespace */
	assert_int_equal(value(list, 8, "net.ipv6.conf.all.forwarding", ""), 0);
	assert_int_equal(value(list, 8, "net.ipv6.conf.IF.forwarding", "all"), 0);
}

static void test_missing_and_bad(void **state)
{
	const char *bad[] = { "../../etc" };
	const char *all[] = { "all" };
	const char *toolong[] = { "a-name-too-long-for-linux" };
	nc_witness_setting_t list[16];

	(void)state;
	/* a tree with nothing: every value -1, none invented */
	assert_int_equal(nc_witness_settings_read("/nonexistent-netcheck", NULL, 0, list, 16), 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(list[i].value, -1);
	assert_int_equal(nc_witness_settings_read(NULL, bad, 1, list, 16), -EINVAL);
	assert_int_equal(nc_witness_settings_read(NULL, all, 1, list, 16), -EINVAL);
	assert_int_equal(nc_witness_settings_read(NULL, toolong, 1, list, 16), -EINVAL);
	assert_int_equal(nc_witness_settings_read(NULL, NULL, 0, list, 7), -ENOSPC);
	/* the real one: ip_forward is there on any Linux */
	assert_int_equal(nc_witness_settings_read(NULL, NULL, 0, list, 16), 8);
	assert_true(nc_witness_setting_find(list, 8, "net.ipv4.ip_forward", "")->value >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_host),
		cmocka_unit_test(test_fresh_namespace),
		cmocka_unit_test(test_missing_and_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
