/* Unit tests for the parts of capture.c that need no privilege: the BPF
 * filter text (checked to compile with libpcap) and argument checks.  The
 * live part is tests/integration/test-capture-live.c. */
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "netcheck/capture.h"
#include "netcheck/testing.h"

static void assert_compiles(const char *text)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, NC_SNAPLEN);
	struct bpf_program prog;

	assert_non_null(dead);
	assert_int_equal(pcap_compile(dead, &prog, text, 1, PCAP_NETMASK_UNKNOWN), 0);
	pcap_freecode(&prog);
	pcap_close(dead);
}

static void test_filter(void **state)
{
	nc_endpoint_t ctr, ctr6, unset;
	const uint16_t ports[] = { 44482, 0, 44483 };
	char buf[256], tiny[24];

	(void)state;
	memset(&unset, 0, sizeof(unset));
	assert_int_equal(nc_endpoint_parse("172.17.0.2", 80, &ctr), 0);
	assert_int_equal(nc_endpoint_parse("fd00:dead::2", 80, &ctr6), 0);

	assert_int_equal(nc_capture_filter(&ctr, 32768, ports, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(host 172.17.0.2) or (tcp port 32768) or (tcp port 44482 or tcp port 44483)");
	assert_compiles(buf);

	assert_int_equal(nc_capture_filter(&ctr6, 0, NULL, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(host fd00:dead::2)");
	assert_compiles(buf);

	assert_int_equal(nc_capture_filter(NULL, 0, ports, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(tcp port 44482)");
	assert_compiles(buf);

	assert_int_equal(nc_capture_filter(&unset, 8080, NULL, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(tcp port 8080)");

	assert_int_equal(nc_capture_filter(&unset, 0, ports + 1, 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nc_capture_filter(NULL, 0, NULL, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 2, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, NULL, 10), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, buf, 0), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 32768, ports, 3, tiny, sizeof(tiny)), -ENOSPC);
	assert_string_equal(tiny, "");
	/* exactly fits, and one byte less does not */
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, tiny, strlen("(host 172.17.0.2)") + 1), 0);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, tiny, strlen("(host 172.17.0.2)")), -ENOSPC);
}

static void test_arguments(void **state)
{
	uv_loop_t loop;
	nc_capture_t *c = NULL;
	nc_error_t err;
	char name[80], *filter;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(NULL, 10, &c), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, 0, &c), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, SIZE_MAX, &c), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, 10, NULL), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, 10, &c), 0);

	assert_int_equal(nc_capture_add_point(c, NULL, NULL, NULL, NULL, &err), -EINVAL);
	assert_int_equal(nc_capture_add_point(c, "", NULL, NULL, NULL, &err), -EINVAL);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(nc_capture_add_point(c, name, NULL, NULL, NULL, NULL), -EINVAL);
	filter = malloc(NC_CAPTURE_FILTER_MAX + 1);
	assert_non_null(filter);
	memset(filter, ' ', NC_CAPTURE_FILTER_MAX);
	filter[NC_CAPTURE_FILTER_MAX] = '\0';
	assert_int_equal(nc_capture_add_point(c, "lo", NULL, NULL, filter, &err), -EINVAL);
	assert_non_null(strstr(err.text, "filter longer"));
	free(filter);

	assert_int_equal(nc_capture_point_count(c), 0);
	assert_null(nc_capture_point(c, 0));
	assert_int_equal(nc_capture_packet_count(c), 0);
	assert_null(nc_capture_packet(c, 0));
	assert_int_equal(nc_capture_not_stored(c), 0);
	assert_int_equal(nc_capture_sort_by_time(c), 0);
	assert_int_equal(nc_capture_start(c), -EINVAL);
	assert_int_equal(nc_capture_stop(c, NULL, NULL), -EINVAL);
	{
		size_t n = 99;

		(void)nc_capture_packets(c, &n);
		assert_int_equal(n, 0);
	}
	nc_capture_free(c);
	nc_capture_free(NULL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
