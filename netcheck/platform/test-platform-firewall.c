/* Unit tests for the firewall ruleset (platform-firewall.c).
 *
 * The rulesets are `nft -j list ruleset` as recorded by
 * tests/fixtures/record-nftables.sh: the host's real rules (dockerd's, one
 * container publishing 18481 -> 172.17.0.2:80) copied into a namespace of
 * the script's own, plus each case's iptables or nft rules.  The questions
 * are the two a run asks: does INPUT drop a remote client on the published
 * port, and does FORWARD drop netcheck's own remote client after DNAT. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/platform.h"

#define PUBLISHED 18481

static nc_platform_firewall_t *load(const char *name)
{
	nc_platform_firewall_t *fw = NULL;
	nc_error_t err = { "" };
	char *data;
	size_t len = fixture_bytes(name, &data);

	assert_int_equal(nc_platform_firewall_parse(data, len, &fw, &err), 0);
	test_free(data);
	assert_non_null(fw);
	return fw;
}

/* A remote client anywhere, to this host's address and the published port. */
static nc_platform_fw_packet_t input_packet(uint16_t port)
{
	nc_platform_fw_packet_t p = { .dst = ep("192.0.2.10", port) };

	return p;
}

/* netcheck's remote client after DNAT: from its namespace's veth to docker0. */
static nc_platform_fw_packet_t forward_packet(const char *src)
{
	nc_platform_fw_packet_t p = { .src = ep(src, 40000), .dst = ep("172.17.0.2", 80), .dnat = true };

	strcpy(p.iifname, "ncrabc123");
	strcpy(p.oifname, "docker0");
	return p;
}

static int ask(const char *fixture, nc_platform_hook_t hook, nc_platform_fw_packet_t pkt, nc_platform_fw_drop_t *d)
{
	nc_platform_firewall_t *fw = load(fixture);
	int r;

	memset(d, 0, sizeof(*d));
	r = nc_platform_firewall_drops(fw, hook, &pkt, d);
	nc_platform_firewall_free(fw);
	return r;
}

/* Asserts a drop in chain by rule (NULL: any rule); *d: the answer. */
static void expect_drop(const char *fixture, nc_platform_hook_t hook, nc_platform_fw_packet_t pkt, const char *chain,
			const char *rule, nc_platform_fw_drop_t *d)
{
	assert_int_equal(ask(fixture, hook, pkt, d), 1);
	assert_string_equal(d->chain, chain);
	if (rule != NULL)
		assert_string_equal(d->rule, rule);
}

static void docker_alone_drops_nothing(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	assert_int_equal(ask("nft-docker-published.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), &d), 0);
	/* FORWARD's policy is drop: dockerd's DOCKER chain accepts the container's port */
	assert_int_equal(ask("nft-docker-published.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), &d), 0);
}

static void forward_policy_drops_an_unpublished_port(void **state)
{
	nc_platform_fw_packet_t pkt = forward_packet("198.18.5.2");
	nc_platform_fw_drop_t d;

	(void)state;
	pkt.dst.port = 81;
	expect_drop("nft-docker-published.json", NC_PLATFORM_HOOK_FORWARD, pkt, "FORWARD",
		    "policy drop", &d);
	assert_true(d.policy);
}

static void input_drop_is_found(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-input-drop.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), "INPUT",
		    "tcp dport 18481 drop", &d);
	assert_string_equal(d.family, "ip");
	assert_string_equal(d.table, "filter");
	assert_string_equal(d.base_chain, "INPUT");
	assert_false(d.reject);
	assert_false(d.policy);
	assert_false(d.conditional);
	assert_true(d.handle > 0);
	/* another port, and the forward hook: nothing */
	assert_int_equal(ask("nft-input-drop.json", NC_PLATFORM_HOOK_INPUT, input_packet(18482), &d), 0);
	assert_int_equal(ask("nft-input-drop.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), &d), 0);
}

static void input_rules_for_others_do_not_count(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	/* 18482, daddr 127.0.0.1, iifname lo, udp, and multiport (an xt match
	 * it cannot read): none is a drop of a remote client on 18481 */
	assert_int_equal(ask("nft-input-other-port.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), &d), 0);
	assert_int_equal(ask("nft-input-other-port.json", NC_PLATFORM_HOOK_INPUT, input_packet(18482), &d), 1);
	assert_string_equal(d.rule, "tcp dport 18482 drop");
}

static void input_reject_for_some_clients(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-input-reject.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), "INPUT",
		    "iifname eth0 ip saddr 203.0.113.0/24 tcp dport 18000-18999 xt target REJECT", &d);
	assert_true(d.reject);
	assert_true(d.conditional); /* only from 203.0.113.0/24 on eth0 */
	assert_int_equal(ask("nft-input-reject.json", NC_PLATFORM_HOOK_INPUT, input_packet(19000), &d), 0);
}

static void input_accept_first_wins(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	assert_int_equal(ask("nft-input-accept-first.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), &d), 0);
}

static void ufw_user_input_is_reached_by_jumps(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-input-ufw.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), "ufw-user-input",
		    "tcp dport 18481 drop", &d);
	assert_string_equal(d.base_chain, "INPUT");
	assert_false(d.conditional); /* "iifname lo accept" passed: never a remote client */
	/* ufw's default deny: INPUT's policy */
	expect_drop("nft-input-ufw.json", NC_PLATFORM_HOOK_INPUT, input_packet(18482), "INPUT",
		    NULL, &d);
	assert_true(d.policy);
	/* allowed */
	assert_int_equal(ask("nft-input-ufw.json", NC_PLATFORM_HOOK_INPUT, input_packet(22), &d), 0);
}

static void input_policy_drop(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-input-policy-drop.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), "INPUT",
		    "policy drop", &d);
	assert_true(d.policy);
	assert_int_equal(ask("nft-input-policy-drop.json", NC_PLATFORM_HOOK_INPUT, input_packet(22), &d), 0);
}

static void docker_user_drop_by_source(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-forward-docker-user-source.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), "DOCKER-USER",
		    "meta l4proto tcp ip saddr 198.18.0.0/15 drop", &d);
	assert_string_equal(d.base_chain, "FORWARD");
	assert_false(d.conditional);
	/* a client elsewhere gets through; INPUT is not concerned */
	assert_int_equal(ask("nft-forward-docker-user-source.json", NC_PLATFORM_HOOK_FORWARD,
			     forward_packet("10.1.2.3"), &d), 0);
	assert_int_equal(ask("nft-forward-docker-user-source.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), &d),
			 0);
}

static void docker_user_drop_all_and_container(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-forward-docker-user-all.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), "DOCKER-USER",
		    "drop", &d);
	expect_drop("nft-forward-docker-user-container.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), "DOCKER-USER",
		    NULL, &d);
	assert_true(d.reject);
}

static void forward_chain_drop(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-forward-chain.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), "FORWARD",
		    "oifname docker0 tcp dport 80 drop", &d);
	assert_false(d.policy);
}

static void native_inet_table(void **state)
{
	nc_platform_fw_drop_t d;

	(void)state;
	expect_drop("nft-nft-inet.json", NC_PLATFORM_HOOK_INPUT, input_packet(PUBLISHED), "input",
		    "tcp dport { 22, 18481 } drop", &d);
	assert_string_equal(d.family, "inet");
	expect_drop("nft-nft-inet.json", NC_PLATFORM_HOOK_FORWARD, forward_packet("198.18.5.2"), "forward",
		    "ip daddr 172.17.0.0/16 tcp dport 80 drop", &d);
}

static void bad_input(void **state)
{
	nc_platform_firewall_t *fw = NULL;
	nc_platform_fw_packet_t pkt = { .dst = ep("2001:db8::1", 80) };
	nc_platform_fw_drop_t d;
	nc_error_t err = { "" };
	/* a chain that jumps to itself: the walk stops */
	static const char loop[] =
		"{\"nftables\": [{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"INPUT\", "
		"\"hook\": \"input\", \"prio\": 0, \"policy\": \"accept\"}},"
		"{\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"INPUT\", \"handle\": 2, "
		"\"expr\": [{\"jump\": {\"target\": \"INPUT\"}}]}}]}";

	(void)state;
	assert_int_equal(nc_platform_firewall_parse("not json", 8, &fw, &err), -EBADMSG);
	assert_null(fw);
	assert_int_equal(nc_platform_firewall_parse("{}", 2, &fw, &err), -EBADMSG);
	assert_int_equal(nc_platform_firewall_parse(loop, sizeof(loop) - 1, &fw, &err), 0);
	assert_int_equal(nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_INPUT, &pkt, &d), -EINVAL);
	pkt = input_packet(PUBLISHED);
	assert_int_equal(nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_INPUT, &pkt, &d), -ELOOP);
	assert_false(nc_platform_firewall_legacy_tables(fw));
	nc_platform_firewall_free(fw);
	nc_platform_firewall_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docker_alone_drops_nothing),
		cmocka_unit_test(forward_policy_drops_an_unpublished_port),
		cmocka_unit_test(input_drop_is_found),
		cmocka_unit_test(input_rules_for_others_do_not_count),
		cmocka_unit_test(input_reject_for_some_clients),
		cmocka_unit_test(input_accept_first_wins),
		cmocka_unit_test(ufw_user_input_is_reached_by_jumps),
		cmocka_unit_test(input_policy_drop),
		cmocka_unit_test(docker_user_drop_by_source),
		cmocka_unit_test(docker_user_drop_all_and_container),
		cmocka_unit_test(forward_chain_drop),
		cmocka_unit_test(native_inet_table),
		cmocka_unit_test(bad_input),
	};

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
