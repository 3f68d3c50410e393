/* Unit tests for the capture agent's lookups (agent-find.c): the overlay's
 * namespace among dockerd's mounts (mountinfo lines as a 20.10 dockerd in
 * the Swarm lab has them), and the interface holding an address. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agent-internal.h"

/* agent.c's, which this test does not link: what an ERROR record would say */
int nc_agent_send_error(uint16_t point, int error, const char *what)
{
	(void)point;
	(void)error;
	(void)what;
	return 0;
}

static const char mountinfo[] =
	"22 1 0:21 / / rw,relatime - overlay overlay rw\n"
	"310 22 0:4 net:[4026532711] /run/nclab/node1/exec/netns/ingress_sbox rw - nsfs nsfs rw\n"
	"311 22 0:4 net:[4026532790] /run/nclab/node1/exec/netns/lb_1iusjh68f rw - nsfs nsfs rw\n"
	"312 22 0:4 net:[4026532791] /run/nclab/node1/exec/netns/1-1iusjh68fd rw - nsfs nsfs rw\n"
	"313 22 0:4 net:[4026532850] /run/nclab/node1/exec/netns/1-75bwtl0utr rw - nsfs nsfs rw\n"
	"314 22 0:4 net:[4026532851] /run/nclab/node1/exec/netns/2ec9fa8fade1 rw - nsfs nsfs rw\n";

static int find(const char *text, const char *netid, char *path, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = nc_agent_overlay_in_mountinfo(f, 4242, netid, path, len);
	fclose(f);
	return r;
}

static void test_overlay_in_mountinfo(void **state)
{
	char path[192];

	(void)state;
	/* the network's id is longer than the key's 10 characters */
	assert_int_equal(find(mountinfo, "75bwtl0utrxa5kv7ysqgzkq5e", path, sizeof(path)), 0);
	assert_string_equal(path, "/proc/4242/root/run/nclab/node1/exec/netns/1-75bwtl0utr");
	assert_int_equal(find(mountinfo, "1iusjh68fdq0", path, sizeof(path)), 0);
	assert_string_equal(path, "/proc/4242/root/run/nclab/node1/exec/netns/1-1iusjh68fd");
	/* not the load balancer's namespace, not a container's, no other network */
	assert_int_equal(find(mountinfo, "zzzzzzzzzzzz", path, sizeof(path)), -ENOENT);
	assert_int_equal(find(mountinfo, "2ec9fa8fade1", path, sizeof(path)), -ENOENT);
	assert_int_equal(find("", "75bwtl0utrxa", path, sizeof(path)), -ENOENT);
	assert_int_equal(find(mountinfo, "75bwtl0utrxa", path, 20), -ENAMETOOLONG);
}

static void test_overlay_key(void **state)
{
	(void)state;
	assert_true(nc_agent_is_overlay_key("/var/run/docker/netns/1-abcdefghij", "abcdefghijklmnop"));
	assert_true(nc_agent_is_overlay_key("/var/run/docker/netns/12-abcdefghij", "abcdefghij"));
	assert_false(nc_agent_is_overlay_key("/var/run/docker/netns/1-abcdefghij", "abcdefghi")); /* a short id */
	assert_false(nc_agent_is_overlay_key("/var/run/docker/netns/1-abcdefghijk", "abcdefghijk"));
	assert_false(nc_agent_is_overlay_key("/var/run/docker/netns/x-abcdefghij", "abcdefghij"));
	assert_false(nc_agent_is_overlay_key("/var/run/docker/other/1-abcdefghij", "abcdefghij"));
	assert_false(nc_agent_is_overlay_key("/var/run/docker/netns/lb_abcdefghi", "abcdefghij"));
	assert_false(nc_agent_is_overlay_key("1-abcdefghij", "abcdefghij"));
}

/* loopback's address is on lo in any namespace the test runs in */
static void test_ifname_by_addr(void **state)
{
	struct in6_addr a;
	char name[16];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.s6_addr[10] = a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 127;
	a.s6_addr[15] = 1;
	assert_int_equal(nc_agent_ifname_by_addr(&a, name, sizeof(name)), 0);
	assert_string_equal(name, "lo");
	a.s6_addr[12] = 198; /* 198.0.0.1: held by no interface here */
	assert_int_equal(nc_agent_ifname_by_addr(&a, name, sizeof(name)), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_in_mountinfo),
		cmocka_unit_test(test_overlay_key),
		cmocka_unit_test(test_ifname_by_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
