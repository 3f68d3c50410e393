/* Unit tests for the conntrack entries of a run's flows
 * (witness-conntrack.c), from the raw ctnetlink dump recorded by
 * tests/fixtures/record-conntrack.sh: one TCP connection to
 * 198.18.0.1:8080 through a DNAT to 198.18.0.2:7004 and a SNAT to
 * 198.18.0.3, and UDP datagrams to 127.0.0.1:7003 that no one got. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "netcheck/witness.h"

static size_t parse(const nc_trace_flow_t *flows, size_t n, nc_witness_ct_entry_t **ret)
{
	char *dump;
	size_t len = fixture_bytes("conntrack-dump.bin", &dump), n_entries = 99;

	assert_int_equal(nc_witness_conntrack_parse(dump, len, flows, n, ret, &n_entries), 0);
	test_free(dump);
	return n_entries;
}

static void test_nat_seen_both_ways(void **state)
{
	const nc_trace_flow_t flows[] = {
		{ 17, { 0 }, ep("127.0.0.1", 7003) },
		{ 6, { 0 }, ep("198.18.0.1", 8080) }, /* the published address */
	};
	nc_witness_ct_entry_t *e = NULL, *tcp, *udp;
	size_t n = parse(flows, 2, &e);

	(void)state;
	/* the TCP connection, and two UDP datagrams: the script's trace recording sent one before */
	assert_int_equal(n, 3);
	tcp = udp = NULL;
	for (size_t i = 0; i < n; i++)
		if (e[i].proto == 6)
			tcp = &e[i];
		else
			udp = &e[i];
	assert_non_null(tcp);
	assert_non_null(udp);
	assert_int_equal(tcp->flow, 1);
	assert_int_equal(tcp->proto, 6);
	assert_true(nc_endpoint_equal(&tcp->orig_dst, &flows[1].dst));
	/* DNAT: the server that answers is not the address the client asked */
	assert_true(tcp->dnat);
	assert_true(nc_endpoint_equal(&tcp->reply_src, &(nc_endpoint_t){ 0 }) == false);
	{
		nc_endpoint_t server = ep("198.18.0.2", 7004), masquerade = ep("198.18.0.3", tcp->orig_src.port);

		assert_true(nc_endpoint_equal(&tcp->reply_src, &server));
		/* SNAT: it answers another source address, same port */
		assert_true(tcp->snat);
		assert_true(nc_endpoint_equal(&tcp->reply_dst, &masquerade));
	}
	assert_string_equal(nc_witness_tcp_state_name(tcp->tcp_state), "ESTABLISHED");
	assert_true(tcp->assured);
	assert_true(tcp->seen_reply);
	assert_true(tcp->timeout > 0);

	assert_int_equal(udp->flow, 0);
	assert_int_equal(udp->proto, 17);
	assert_false(udp->dnat || udp->snat);
	assert_false(udp->seen_reply); /* no one answered */
	assert_int_equal(udp->tcp_state, 0);
	test_free(e);
}

/* A flow as seen after NAT (to the server itself) finds the same entry. */
static void test_flow_after_nat(void **state)
{
	const nc_trace_flow_t flows[] = { { 6, ep("198.18.0.3", 0), ep("198.18.0.2", 7004) } };
	nc_witness_ct_entry_t *e = NULL;

	(void)state;
	assert_int_equal(parse(flows, 1, &e), 1);
	assert_true(e[0].dnat);
	assert_int_equal(e[0].orig_dst.port, 8080);
	test_free(e);
}

static void test_other_flows_and_bad_dumps(void **state)
{
	const nc_trace_flow_t flows[] = {
		{ 6, { 0 }, ep("198.18.0.1", 8081) },
		{ 6, { 0 }, ep("127.0.0.1", 7003) }, /* the UDP one's address, TCP */
		{ 6, ep("198.18.0.2", 7004), { 0 } }, /* the server as a client: the reply direction is not a flow's */
	};
	nc_witness_ct_entry_t *e = NULL;
	char *dump;
	size_t len = fixture_bytes("conntrack-dump.bin", &dump), n = 99;

	(void)state;
	assert_int_equal(parse(flows, NC_ARRAY_SIZE(flows), &e), 0);
	test_free(e);
	assert_int_equal(nc_witness_conntrack_parse(dump, len - 3, flows, 1, &e, &n), -EINVAL);
	assert_null(e);
	assert_int_equal(n, 0);
	test_free(dump);
	assert_string_equal(nc_witness_tcp_state_name(7), "TIME_WAIT");
	assert_string_equal(nc_witness_tcp_state_name(0), "");
	assert_string_equal(nc_witness_tcp_state_name(200), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_seen_both_ways),
		cmocka_unit_test(test_flow_after_nat),
		cmocka_unit_test(test_other_flows_and_bad_dumps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
