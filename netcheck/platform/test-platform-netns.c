/* Unit tests for the pure parts of the remote client namespace
 * (platform-netns.c): the run id check and the subnet a run id gets.
 * Needs no root and makes nothing; tests/integration/test-remote-ns.c
 * makes the namespace itself. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/platform.h"

static void test_run_id_valid(void **state)
{
	char longest[NC_REMOTE_RUN_ID_MAX + 2];

	(void)state;
	assert_true(nc_platform_remote_run_id_valid("7c1d0b5e3a90"));
	assert_true(nc_platform_remote_run_id_valid("a-b-0"));
	assert_false(nc_platform_remote_run_id_valid(NULL));
	assert_false(nc_platform_remote_run_id_valid(""));
	assert_false(nc_platform_remote_run_id_valid("ABC"));
	assert_false(nc_platform_remote_run_id_valid("a/../b"));
	assert_false(nc_platform_remote_run_id_valid("a b"));
	assert_false(nc_platform_remote_run_id_valid("a_b"));
	assert_false(nc_platform_remote_run_id_valid("a.b"));
	memset(longest, 'a', sizeof(longest));
	longest[NC_REMOTE_RUN_ID_MAX] = '\0';
	assert_true(nc_platform_remote_run_id_valid(longest));
	longest[NC_REMOTE_RUN_ID_MAX] = 'a';
	longest[NC_REMOTE_RUN_ID_MAX + 1] = '\0';
	assert_false(nc_platform_remote_run_id_valid(longest));
	/* nothing is made for a name that could leave /run/netns */
	assert_int_equal(nc_platform_remote_destroy_name("netcheck-../x"), -EINVAL);
	assert_int_equal(nc_platform_remote_destroy_name("other-abc"), -EINVAL);
	assert_int_equal(nc_platform_remote_destroy_name(NULL), -EINVAL);
	assert_int_equal(nc_platform_remote_subnet("Bad", 0), -EINVAL);
}

/* The octet is the third of 198.18.<a>.0/30: always inside 198.18.0.0/15,
 * /30-aligned by construction (.0 network, .1 host side, .2 client) */
static void test_subnet_range(void **state)
{
	char id[32];
	bool seen[256] = { false };
	unsigned distinct = 0;

	(void)state;
	for (unsigned i = 0; i < 5000; i++) {
		int a;

		snprintf(id, sizeof(id), "%08x%04x", i * 2654435761u, i);
		for (unsigned attempt = 0; attempt < 20; attempt++) {
			uint32_t net;

			a = nc_platform_remote_subnet(id, attempt);
			assert_in_range(a, 0, 255);
			assert_int_not_equal(a, 10);
			net = (198u << 24) | (18u << 16) | ((uint32_t)a << 8);
			assert_int_equal(net & 0xfffe0000u, (198u << 24) | (18u << 16)); /* in 198.18.0.0/15 */
			assert_int_equal(net & 3u, 0);                                  /* /30 aligned */
		}
		a = nc_platform_remote_subnet(id, 0);
		if (!seen[a]) {
			seen[a] = true;
			distinct++;
		}
	}
	/* 5000 ids spread over the 255 subnets: nearly all of them used */
	assert_true(distinct > 240);
}

static void test_subnet_distinct(void **state)
{
	(void)state;
	/* the same id always gets the same subnet */
	assert_int_equal(nc_platform_remote_subnet("7c1d0b5e3a90", 0), nc_platform_remote_subnet("7c1d0b5e3a90", 0));
	/* neighbouring ids differ */
	assert_int_not_equal(nc_platform_remote_subnet("7c1d0b5e3a90", 0), nc_platform_remote_subnet("7c1d0b5e3a91", 0));
	assert_int_not_equal(nc_platform_remote_subnet("51aa3c09", 0), nc_platform_remote_subnet("51aa3c08", 0));
	/* each further attempt is another subnet, for 254 attempts */
	for (unsigned attempt = 1; attempt < 255; attempt++)
		assert_int_not_equal(nc_platform_remote_subnet("7c1d0b5e3a90", attempt),
				     nc_platform_remote_subnet("7c1d0b5e3a90", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_id_valid),
		cmocka_unit_test(test_subnet_range),
		cmocka_unit_test(test_subnet_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
