/* Unit tests for the nftables trace (witness-trace-collect.c) and the rule
 * text by handle (witness-rules.c).
 *
 * The events are NFT_MSG_TRACE messages recorded by
 * tests/fixtures/record-nftrace.sh in a namespace of its own: netcheck's
 * trace table for four loopback flows, a table `inet rec` that drops TCP
 * 7001 (handle 3), rejects TCP 7002 (handle 4) and jumps UDP (handle 5) to
 * `services`, whose rule 6 accepts 7003 with a comment, and iptables-nft's
 * tables with an xt multiport accept of 7001 in INPUT (handle 5).  The
 * ruleset is that namespace's `nft -a -s list ruleset`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/witness.h"
#include "witness-internal.h"

#define NF_DROP 0
#define NF_ACCEPT 1
#define NFT_CONTINUE (-1)
#define NFT_JUMP (-3)
#define INET 1
#define IP 2

enum { FLOW_DROP, FLOW_REJECT, FLOW_UDP, FLOW_DROP6 };

static char *recorded_table(void)
{
	char *data, *nl;

	fixture_bytes("nftrace-events.table", &data);
	nl = strchr(data, '\n');
	if (nl != NULL)
		*nl = '\0';
	return data;
}

/* The recorder's flows, followed without a kernel: the recording fed once
 * (times times). */
static nc_trace_t *follow(unsigned times)
{
	const nc_trace_flow_t flows[] = {
		[FLOW_DROP] = { 6, ep("127.0.0.1", 0), ep("127.0.0.1", 7001) },
		[FLOW_REJECT] = { 6, ep("127.0.0.1", 0), ep("127.0.0.1", 7002) },
		[FLOW_UDP] = { 17, ep("127.0.0.1", 0), ep("127.0.0.1", 7003) },
		[FLOW_DROP6] = { 6, ep("::1", 0), ep("::1", 7001) },
	};
	char *table = recorded_table(), *events;
	size_t len = fixture_bytes("nftrace-events.bin", &events);
	nc_trace_t *t = NULL;

	assert_int_equal(nc_witness_trace_offline(table, flows, NC_ARRAY_SIZE(flows), &t), 0);
	for (unsigned i = 0; i < times; i++)
		assert_int_equal(nc_witness_trace_feed(t, events, len), 0);
	nc_witness_trace_flush(t);
	test_free(events);
	test_free(table);
	return t;
}

/* The passage of flow whose last step is in table/chain with verdict; NULL if none. */
static const nc_trace_passage_t *ending_in(const nc_trace_t *t, size_t flow, const char *table, const char *chain,
					    int verdict)
{
	for (size_t i = 0; i < nc_witness_trace_passage_count(t, flow); i++) {
		const nc_trace_passage_t *p = nc_witness_trace_passage(t, flow, i);
		const nc_trace_step_t *last = p->n_steps > 0 ? &p->steps[p->n_steps - 1] : NULL;

		if (last != NULL && strcmp(last->table, table) == 0 && strcmp(last->chain, chain) == 0 &&
		    last->verdict == verdict)
			return p;
	}
	return NULL;
}

static void assert_step(const nc_trace_step_t *s, uint8_t family, const char *table, const char *chain,
			uint64_t handle, int verdict, nc_trace_step_type_t type)
{
	assert_int_equal(s->family, family);
	assert_string_equal(s->table, table);
	assert_string_equal(s->chain, chain);
	assert_int_equal(s->handle, handle);
	assert_int_equal(s->verdict, verdict);
	assert_int_equal(s->type, type);
}

static void test_dropped_syn(void **state)
{
	nc_trace_t *t = follow(1);
	const nc_trace_passage_t *p = ending_in(t, FLOW_DROP, "rec", "input", NF_DROP);
	nc_trace_stats_t st;

	(void)state;
	/* the SYN and its retransmission: iptables-nft's xt accept, then rec's drop */
	assert_non_null(p);
	assert_false(p->reply);
	assert_int_equal(p->tcp_flags, 0x02);
	assert_int_equal(p->packets, 2);
	assert_int_equal(p->n_steps, 2);
	assert_step(&p->steps[0], IP, "filter", "INPUT", 5, NF_ACCEPT, NC_TRACE_RULE);
	assert_step(&p->steps[1], INET, "rec", "input", 3, NF_DROP, NC_TRACE_RULE);
	/* the same packets' way out: the first through nat OUTPUT (a new
	 * connection), the retransmission not (conntrack knows it) */
	assert_int_equal(nc_witness_trace_passage_count(t, FLOW_DROP), 3);
	p = nc_witness_trace_passage(t, FLOW_DROP, 0);
	assert_int_equal(p->n_steps, 2);
	assert_step(&p->steps[0], IP, "nat", "OUTPUT", 0, NF_ACCEPT, NC_TRACE_POLICY);
	assert_step(&p->steps[1], IP, "filter", "OUTPUT", 0, NF_ACCEPT, NC_TRACE_POLICY);
	p = nc_witness_trace_passage(t, FLOW_DROP, 2);
	assert_int_equal(p->n_steps, 1);
	assert_step(&p->steps[0], IP, "filter", "OUTPUT", 0, NF_ACCEPT, NC_TRACE_POLICY);

	nc_witness_trace_stats(t, &st);
	assert_true(st.events > 20);
	assert_true(st.matched > 0 && st.matched <= st.events);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.passages_dropped, 0);
	nc_witness_trace_free(t);
}

static void test_rejected_and_its_reset(void **state)
{
	nc_trace_t *t = follow(1);
	const nc_trace_passage_t *p = ending_in(t, FLOW_REJECT, "rec", "input", NF_DROP);
	bool reset_seen = false;

	(void)state;
	/* reject is a drop after sending the reset: the trace says drop, the rule text says reject */
	assert_non_null(p);
	assert_int_equal(p->packets, 1);
	assert_step(&p->steps[p->n_steps - 1], INET, "rec", "input", 4, NF_DROP, NC_TRACE_RULE);
	for (size_t i = 0; i < nc_witness_trace_passage_count(t, FLOW_REJECT); i++) {
		p = nc_witness_trace_passage(t, FLOW_REJECT, i);
		if (p->reply && (p->tcp_flags & 0x04) != 0) /* RST: the reply direction, traced too */
			reset_seen = true;
	}
	assert_true(reset_seen);
	nc_witness_trace_free(t);
}

static void test_jump_then_accept(void **state)
{
	nc_trace_t *t = follow(1);
	const nc_trace_passage_t *p = ending_in(t, FLOW_UDP, "rec", "services", NF_ACCEPT);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->tcp_flags, 0);
	assert_true(p->n_steps >= 2);
	assert_step(&p->steps[p->n_steps - 2], INET, "rec", "input", 5, NFT_JUMP, NC_TRACE_RULE);
	assert_non_null(p->steps[p->n_steps - 2].jump_target);
	assert_string_equal(p->steps[p->n_steps - 2].jump_target, "services");
	assert_step(&p->steps[p->n_steps - 1], INET, "rec", "services", 6, NF_ACCEPT, NC_TRACE_RULE);
	assert_null(p->steps[p->n_steps - 1].jump_target);
	nc_witness_trace_free(t);
}

static void test_ipv6(void **state)
{
	nc_trace_t *t = follow(1);
	const nc_trace_passage_t *p = ending_in(t, FLOW_DROP6, "rec", "input", NF_DROP);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->packets, 2);
	assert_step(&p->steps[0], INET, "rec", "input", 3, NF_DROP, NC_TRACE_RULE);
	/* the way out met no rule at all (no ip6 tables): an empty passage says so */
	p = nc_witness_trace_passage(t, FLOW_DROP6, 0);
	assert_int_equal(p->n_steps, 0);
	assert_int_equal(p->packets, 2);
	nc_witness_trace_free(t);
}

/* The step that dropped each flow's packets, for the diagnosis to cite. */
static void test_drop_found(void **state)
{
	nc_trace_t *t = follow(1);
	const nc_trace_passage_t *p = NULL;
	const nc_trace_step_t *s;

	(void)state;
	s = nc_witness_trace_drop(t, FLOW_DROP, &p);
	assert_non_null(s);
	assert_step(s, INET, "rec", "input", 3, NF_DROP, NC_TRACE_RULE);
	assert_false(p->reply);
	s = nc_witness_trace_drop(t, FLOW_REJECT, NULL);
	assert_non_null(s);
	assert_int_equal(s->handle, 4);
	/* accepted: nothing dropped it */
	assert_null(nc_witness_trace_drop(t, FLOW_UDP, &p));
	assert_null(p);
	assert_null(nc_witness_trace_drop(t, 99, NULL));
	nc_witness_trace_free(t);
}

/* Flows added later are followed like the first ones, after them. */
static void test_flows_added(void **state)
{
	const nc_trace_flow_t first[] = { { 6, ep("127.0.0.1", 0), ep("127.0.0.1", 7001) } };
	const nc_trace_flow_t later[] = { { 17, ep("127.0.0.1", 0), ep("127.0.0.1", 7003) } };
	nc_trace_flow_t too_many[NC_TRACE_MAX_FLOWS];
	char *table = recorded_table(), *events;
	size_t len = fixture_bytes("nftrace-events.bin", &events);
	nc_trace_t *t = NULL;

	(void)state;
	assert_int_equal(nc_witness_trace_offline(table, first, 1, &t), 0);
	assert_int_equal(witness_trace_grow(t, later, 1), 0);
	for (size_t i = 0; i < NC_TRACE_MAX_FLOWS; i++)
		too_many[i] = later[0];
	assert_int_equal(witness_trace_grow(t, too_many, NC_TRACE_MAX_FLOWS - 1), -EINVAL);
	assert_int_equal(nc_witness_trace_flow_count(t), 2);
	assert_int_equal(nc_witness_trace_feed(t, events, len), 0);
	nc_witness_trace_flush(t);
	assert_non_null(ending_in(t, 0, "rec", "input", NF_DROP));
	assert_non_null(ending_in(t, 1, "rec", "services", NF_ACCEPT));
	test_free(events);
	test_free(table);
	nc_witness_trace_free(t);
}

/* The same packets again are counted, not kept twice. */
static void test_same_passages_counted(void **state)
{
	nc_trace_t *once = follow(1), *twice = follow(2);

	(void)state;
	for (size_t f = 0; f < nc_witness_trace_flow_count(once); f++) {
		assert_int_equal(nc_witness_trace_passage_count(twice, f), nc_witness_trace_passage_count(once, f));
		for (size_t i = 0; i < nc_witness_trace_passage_count(once, f); i++)
			assert_int_equal(nc_witness_trace_passage(twice, f, i)->packets,
					 2 * nc_witness_trace_passage(once, f, i)->packets);
	}
	nc_witness_trace_free(once);
	nc_witness_trace_free(twice);
}

/* Run by another netcheck at the same time: its trace table's events are
 * no steps of this run's passages (the recording's table is "another
 * run's" here), the user's rules still are. */
static void test_other_run_table_ignored(void **state)
{
	const nc_trace_flow_t flows[] = { { 6, ep("127.0.0.1", 0), ep("127.0.0.1", 7001) } };
	char *events;
	size_t len = fixture_bytes("nftrace-events.bin", &events);
	nc_trace_t *t = NULL;

	(void)state;
	assert_int_equal(nc_witness_trace_offline("netcheck_trace_1_other", flows, 1, &t), 0);
	assert_int_equal(nc_witness_trace_feed(t, events, len), 0);
	nc_witness_trace_flush(t);
	assert_true(nc_witness_trace_passage_count(t, 0) > 0);
	for (size_t i = 0; i < nc_witness_trace_passage_count(t, 0); i++) {
		const nc_trace_passage_t *p = nc_witness_trace_passage(t, 0, i);

		for (size_t k = 0; k < p->n_steps; k++)
			assert_null(strstr(p->steps[k].table, "netcheck_trace_"));
	}
	assert_non_null(ending_in(t, 0, "rec", "input", NF_DROP));
	test_free(events);
	nc_witness_trace_free(t);
}

/* Flows that are not the packets': nothing is kept. */
static void test_other_flows_ignored(void **state)
{
	const nc_trace_flow_t flows[] = {
		{ 6, ep("127.0.0.1", 0), ep("127.0.0.1", 9999) },
		{ 17, ep("127.0.0.2", 0), ep("127.0.0.1", 0) },
	};
	char *events;
	size_t len = fixture_bytes("nftrace-events.bin", &events);
	nc_trace_t *t = NULL;
	nc_trace_stats_t st;

	(void)state;
	assert_int_equal(nc_witness_trace_offline("no_such_table", flows, 2, &t), 0);
	assert_int_equal(nc_witness_trace_feed(t, events, len), 0);
	nc_witness_trace_flush(t);
	assert_int_equal(nc_witness_trace_passage_count(t, 0), 0);
	assert_int_equal(nc_witness_trace_passage_count(t, 1), 0);
	nc_witness_trace_stats(t, &st);
	assert_int_equal(st.matched, 0);
	/* framing cut in the middle of a message */
	assert_int_equal(nc_witness_trace_feed(t, events, 30), -EINVAL);
	test_free(events);
	nc_witness_trace_free(t);
}

/* Messages the kernel never sends and libnftnl would exit() on (it takes
 * a malformed trace message for a broken kernel ABI) are counted as
 * malformed, and the process lives on. */
static void test_hostile_messages(void **state)
{
	const nc_trace_flow_t flows[] = { { 6, ep("127.0.0.1", 0), ep("127.0.0.1", 7001) } };
	char buf[512];
	nc_trace_t *t = NULL;
	nc_trace_stats_t st;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	(void)state;
	assert_int_equal(nc_witness_trace_offline("x", flows, 1, &t), 0);
	for (int kind = 0; kind < 4; kind++) {
		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE;
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
		if (kind != 0) /* 0: no id */
			mnl_attr_put_u32(nlh, NFTA_TRACE_ID, htonl(1));
		mnl_attr_put_u32(nlh, NFTA_TRACE_TYPE, htonl(NFT_TRACETYPE_RULE));
		if (kind == 1) { /* a table name that does not end */
			mnl_attr_put(nlh, NFTA_TRACE_TABLE, 3, "abc");
		} else if (kind == 2) { /* a jump without its chain */
			nest = mnl_attr_nest_start(nlh, NFTA_TRACE_VERDICT);
			mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((uint32_t)NFT_JUMP));
			mnl_attr_nest_end(nlh, nest);
		} else if (kind == 3) { /* a rule handle of 4 bytes */
			mnl_attr_put_u32(nlh, NFTA_TRACE_RULE_HANDLE, 7);
		}
		assert_int_equal(nc_witness_trace_feed(t, buf, nlh->nlmsg_len), 0);
	}
	nc_witness_trace_stats(t, &st);
	assert_int_equal(st.events, 4);
	assert_int_equal(st.malformed, 4);
	/* a length past INT_MAX: libmnl's own check takes it for negative */
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = 0x80000010u;
	assert_int_equal(nc_witness_trace_feed(t, buf, 64), -EINVAL);
	nc_witness_trace_free(t);
}

/* A flow without addresses is refused; so is one of two families. */
static void test_bad_flows(void **state)
{
	const nc_trace_flow_t none = { 6, { 0 }, { 0 } };
	const nc_trace_flow_t mixed = { 6, ep("127.0.0.1", 0), ep("::1", 80) };
	nc_error_t err = { "" };
	nc_trace_t *t = (nc_trace_t *)&err;

	(void)state;
	assert_int_equal(nc_witness_trace_new("r1", &none, 1, &t, &err), -EINVAL);
	assert_null(t);
	assert_int_equal(nc_witness_trace_new("r1", &mixed, 1, &t, &err), -EINVAL);
	assert_int_equal(nc_witness_trace_new("R!", &mixed, 1, &t, &err), -EINVAL);
	assert_int_equal(nc_witness_trace_offline("x", &none, 0, &t), -EINVAL);
	nc_witness_trace_free(NULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(nc_witness_verdict_name(NF_DROP), "drop");
	assert_string_equal(nc_witness_verdict_name(NF_ACCEPT), "accept");
	assert_string_equal(nc_witness_verdict_name(NFT_CONTINUE), "continue");
	assert_string_equal(nc_witness_verdict_name(NFT_JUMP), "jump");
	assert_string_equal(nc_witness_verdict_name(77), "unknown");
	assert_string_equal(nc_witness_family_name(INET), "inet");
	assert_string_equal(nc_witness_family_name(10), "ip6");
	assert_string_equal(nc_witness_family_name(99), "unknown");
}

/* ---- rule text ------------------------------------------------------------------ */

static nc_witness_rules_t *rules(void)
{
	char *text;
	size_t len = fixture_bytes("nftrace-ruleset.txt", &text);
	nc_witness_rules_t *r = NULL;
	nc_error_t err = { "" };

	assert_int_equal(nc_witness_rules_parse(text, len, &r, &err), 0);
	test_free(text);
	return r;
}

static void test_rule_text(void **state)
{
	nc_witness_rules_t *r = rules();
	const char *comment = "unset";

	(void)state;
	assert_string_equal(nc_witness_rules_text(r, INET, "rec", "input", 3, &comment), "tcp dport 7001 drop");
	assert_null(comment);
	assert_string_equal(nc_witness_rules_text(r, INET, "rec", "input", 4, NULL),
			    "tcp dport 7002 reject with tcp reset");
	/* the comment is part of the text, and given alone; a "# handle" inside it is not the handle */
	assert_string_equal(nc_witness_rules_text(r, INET, "rec", "services", 6, &comment),
			    "udp dport 7003 accept comment \"udp service 7003: allowed # on purpose\"");
	assert_string_equal(comment, "udp service 7003: allowed # on purpose");
	/* iptables-nft's rules as nft prints them, in chains with '-' in their names */
	assert_non_null(strstr(nc_witness_rules_text(r, IP, "filter", "INPUT", 5, NULL), "tcp dport { 7001, 7005 }"));
	assert_string_equal(nc_witness_rules_text(r, IP, "filter", "DOCKER-USER", 7, NULL), "counter return");
	assert_non_null(strstr(nc_witness_rules_text(r, IP, "nat", "DOCKER", 5, NULL), "dnat to 172.17.0.2:80"));
	/* the same handle elsewhere is another rule; none: NULL */
	assert_null(nc_witness_rules_text(r, IP, "filter", "INPUT", 3, NULL));
	assert_null(nc_witness_rules_text(r, 10, "rec", "input", 3, NULL));
	assert_null(nc_witness_rules_text(r, INET, "rec", "services", 5, &comment));
	assert_null(comment);
	nc_witness_rules_free(r);
}

/* Every rule a traced packet met has its text. */
static void test_trace_steps_have_text(void **state)
{
	nc_trace_t *t = follow(1);
	nc_witness_rules_t *r = rules();
	unsigned with_handle = 0;

	(void)state;
	for (size_t f = 0; f < nc_witness_trace_flow_count(t); f++)
		for (size_t i = 0; i < nc_witness_trace_passage_count(t, f); i++) {
			const nc_trace_passage_t *p = nc_witness_trace_passage(t, f, i);

			for (size_t k = 0; k < p->n_steps; k++) {
				const nc_trace_step_t *s = &p->steps[k];

				if (s->handle == 0)
					continue;
				with_handle++;
				assert_non_null(nc_witness_rules_text(r, s->family, s->table, s->chain, s->handle, NULL));
			}
		}
	assert_true(with_handle >= 6);
	nc_witness_rules_free(r);
	nc_witness_trace_free(t);
}

static void test_rules_malformed(void **state)
{
	static const char unbalanced[] = "table inet x { # handle 1\n\tchain c { # handle 2\n\t\taccept # handle 3\n";
	static const char quoted[] = "table ip \"my table\" { # handle 1\n\tchain \"a b\" { # handle 2\n"
				     "\t\tip saddr { 10.0.0.1, 10.0.0.2 } drop # handle 3\n\t}\n"
				     "\tset s { # handle 4\n\t\ttype ipv4_addr\n\t\telements = { 1.2.3.4 } # handle 5\n\t}\n}\n";
	nc_witness_rules_t *r = NULL;
	nc_error_t err = { "" };

	(void)state;
	assert_int_equal(nc_witness_rules_parse(unbalanced, strlen(unbalanced), &r, &err), -EINVAL);
	assert_null(r);
	assert_non_null(strstr(err.text, "braces"));
	assert_int_equal(nc_witness_rules_parse(quoted, strlen(quoted), &r, &err), 0);
	assert_string_equal(nc_witness_rules_text(r, IP, "my table", "a b", 3, NULL), "ip saddr { 10.0.0.1, 10.0.0.2 } drop");
	/* a set's lines are no rules */
	assert_null(nc_witness_rules_text(r, IP, "my table", "s", 5, NULL));
	nc_witness_rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dropped_syn),
		cmocka_unit_test(test_rejected_and_its_reset),
		cmocka_unit_test(test_jump_then_accept),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_drop_found),
		cmocka_unit_test(test_flows_added),
		cmocka_unit_test(test_same_passages_counted),
		cmocka_unit_test(test_other_flows_ignored),
		cmocka_unit_test(test_other_run_table_ignored),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_bad_flows),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rule_text),
		cmocka_unit_test(test_trace_steps_have_text),
		cmocka_unit_test(test_rules_malformed),
	};

#ifndef NC_HAVE_NFTRACE
	fprintf(stderr, "test-nftrace: built without libnftnl and libmnl: skipped\n");
	return 77;
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
