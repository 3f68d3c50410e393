/* Unit tests for the drop reasons without the kernel
 * (witness-drop-collect.c, witness-drop-abi.h): a run's flows in the form
 * the program compares, the comparison itself (the same inline function
 * the kernel runs), events folded into drops, the reason names from BTF
 * (one made here with libbpf's btf__add_* API, and the running kernel's
 * when /sys/kernel/btf/vmlinux is there) and locations named from
 * kallsyms (tests/fixtures/kallsyms-*.txt). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/dropreason.h"

#ifdef NC_HAVE_DROPREASON
#include <bpf/btf.h>

#include "witness-drop-internal.h"

#define TCP 6
#define UDP 17
#define ICMP 1

/* a packet as the program parses one */
static struct drop_packet packet(uint8_t proto, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	nc_drop_flow_t as_flow = { proto, ep(src, sport), ep(dst, dport) };
	struct drop_flow f;
	struct drop_packet p = { 0 };

	assert_int_equal(drop_flow_from_endpoints(&as_flow, &f), 0);
	p.proto = proto;
	p.family = f.family;
	p.sport = sport;
	p.dport = dport;
	memcpy(p.saddr, f.saddr, 16);
	memcpy(p.daddr, f.daddr, 16);
	if (proto == ICMP) /* the echo identifier: the same both ways */
		p.sport = p.dport = sport != 0 ? sport : dport;
	return p;
}

static int match(const nc_drop_flow_t *flow, struct drop_packet p)
{
	struct drop_flow f;

	assert_int_equal(drop_flow_from_endpoints(flow, &f), 0);
	return drop_flow_match(&f, &p);
}

static void test_flows(void **state)
{
	const nc_drop_flow_t no_address = { TCP, { 0 }, { 0 } };
	const nc_drop_flow_t two_families = { TCP, ep("198.18.0.1", 0), ep("::1", 80) };
	const nc_drop_flow_t v6 = { UDP, { 0 }, ep("2001:db8::2", 53) };
	const nc_drop_flow_t any_proto = { 0, ep("198.18.0.1", 5), ep("198.18.0.2", 6) };
	struct drop_flow f;
	unsigned char bytes[16];

	(void)state;
	assert_int_equal(drop_flow_from_endpoints(&no_address, &f), -EINVAL);
	assert_int_equal(drop_flow_from_endpoints(&two_families, &f), -EINVAL);
	assert_int_equal(drop_flow_from_endpoints(&v6, &f), 0);
	assert_int_equal(f.family, 10);
	assert_int_equal(f.proto, UDP);
	assert_int_equal(f.proto_mask, 0xff);
	assert_int_equal(f.saddr_mask[0] | f.saddr_mask[1], 0);
	assert_int_equal(f.daddr_mask[0] & f.daddr_mask[1], UINT64_MAX);
	memcpy(bytes, f.daddr, 16);
	assert_int_equal(bytes[0], 0x20);
	assert_int_equal(bytes[15], 2);
	assert_int_equal(f.ports, 53);
	assert_int_equal(f.ports_mask, 0xffff);
	/* without a protocol, ports are no one's */
	assert_int_equal(drop_flow_from_endpoints(&any_proto, &f), 0);
	assert_int_equal(f.ports_mask, 0);
	assert_int_equal(f.proto_mask, 0);
	assert_int_equal(f.family, 2);
	memcpy(bytes, f.saddr, 16);
	assert_int_equal(bytes[3], 1);
	assert_int_equal(bytes[4], 0);
}

/* Flows added later keep the earlier ones' indices; all or none. */
static void test_append(void **state)
{
	const nc_drop_flow_t two[] = {
		{ UDP, ep("198.18.0.1", 0), ep("198.18.0.2", 9) },
		{ TCP, ep("198.18.0.1", 0), ep("198.18.0.2", 80) },
	};
	const nc_drop_flow_t bad[] = { two[0], { TCP, { 0 }, { 0 } } };
	nc_drop_flow_t many[NC_DROP_MAX_FLOWS];
	nc_dropreason_t *d = NULL;

	(void)state;
	for (size_t i = 0; i < NC_ARRAY_SIZE(many); i++)
		many[i] = two[0];
	assert_int_equal(nc_dropreason_offline(NULL, 0, &d), 0);
	assert_int_equal(nc_dropreason_flow_count(d), 0);
	assert_int_equal(drop_append_flows(d, two, 1), 0);
	assert_int_equal(drop_append_flows(d, bad, 2), -EINVAL);
	assert_int_equal(nc_dropreason_flow_count(d), 1);
	assert_int_equal(drop_append_flows(d, &two[1], 1), 0);
	assert_int_equal(nc_dropreason_flow_count(d), 2);
	assert_int_equal(d->flows[0].proto, UDP);
	assert_int_equal(d->flows[1].proto, TCP);
	assert_int_equal(drop_append_flows(d, many, NC_DROP_MAX_FLOWS - 1), -E2BIG);
	assert_int_equal(drop_append_flows(d, many, NC_DROP_MAX_FLOWS - 2), 0);
	assert_int_equal(nc_dropreason_flow_count(d), NC_DROP_MAX_FLOWS);
	nc_dropreason_free(d);
	assert_int_equal(nc_dropreason_offline(many, NC_DROP_MAX_FLOWS, &d), 0);
	nc_dropreason_free(d);
}

static void test_match(void **state)
{
	const nc_drop_flow_t udp = { UDP, ep("198.18.0.1", 0), ep("198.18.0.2", 9) };
	const nc_drop_flow_t tcp6 = { TCP, ep("2001:db8::1", 40000), ep("2001:db8::2", 80) };
	const nc_drop_flow_t echo = { ICMP, ep("198.18.0.1", 0), ep("198.18.1.2", 77) };
	const nc_drop_flow_t any = { 0, ep("198.18.0.1", 0), ep("198.18.0.2", 0) };

	(void)state;
	assert_int_equal(match(&udp, packet(UDP, "198.18.0.1", 5555, "198.18.0.2", 9)), 1);
	assert_int_equal(match(&udp, packet(UDP, "198.18.0.2", 9, "198.18.0.1", 5555)), 2);
	assert_int_equal(match(&udp, packet(UDP, "198.18.0.1", 5555, "198.18.0.2", 10)), 0);
	assert_int_equal(match(&udp, packet(TCP, "198.18.0.1", 5555, "198.18.0.2", 9)), 0);
	assert_int_equal(match(&udp, packet(UDP, "198.18.0.3", 5555, "198.18.0.2", 9)), 0);
	/* the same 16 bytes in another family are not the address */
	assert_int_equal(match(&udp, packet(UDP, "::", 5555, "::", 9)), 0);
	/* wildcards: any source port, any protocol */
	assert_int_equal(match(&udp, packet(UDP, "198.18.0.1", 1, "198.18.0.2", 9)), 1);
	assert_int_equal(match(&any, packet(TCP, "198.18.0.1", 1, "198.18.0.2", 2)), 1);
	assert_int_equal(match(&any, packet(UDP, "198.18.0.2", 2, "198.18.0.1", 1)), 2);
	assert_int_equal(match(&any, packet(UDP, "198.18.0.2", 2, "198.18.0.3", 1)), 0);
	assert_int_equal(match(&tcp6, packet(TCP, "2001:db8::1", 40000, "2001:db8::2", 80)), 1);
	assert_int_equal(match(&tcp6, packet(TCP, "2001:db8::2", 80, "2001:db8::1", 40000)), 2);
	assert_int_equal(match(&tcp6, packet(TCP, "2001:db8::1", 40001, "2001:db8::2", 80)), 0);
	/* an echo's identifier stands in both ports */
	assert_int_equal(match(&echo, packet(ICMP, "198.18.0.1", 77, "198.18.1.2", 77)), 1);
	assert_int_equal(match(&echo, packet(ICMP, "198.18.1.2", 77, "198.18.0.1", 77)), 2);
	assert_int_equal(match(&echo, packet(ICMP, "198.18.0.1", 78, "198.18.1.2", 78)), 0);
}

static struct drop_event event(uint16_t flow, uint32_t reason, uint64_t location, uint64_t ts, uint8_t reply)
{
	struct drop_event e = { 0 };

	e.flow = flow;
	e.reason = reason;
	e.location = location;
	e.ts_ns = ts;
	e.reply = reply;
	e.ifindex = 2;
	e.netns = 4026531840u;
	e.packet = packet(TCP, "198.18.0.1", 40000, "198.18.1.2", 80);
	e.packet.tcp_flags = 0x02;
	return e;
}

static nc_dropreason_t *offline(void)
{
	const nc_drop_flow_t flows[] = {
		{ UDP, ep("198.18.0.1", 0), ep("198.18.0.2", 9) },
		{ TCP, ep("198.18.0.1", 0), ep("198.18.1.2", 80) },
	};
	nc_dropreason_t *d = NULL;

	assert_int_equal(nc_dropreason_offline(flows, NC_ARRAY_SIZE(flows), &d), 0);
	return d;
}

static void test_collect(void **state)
{
	nc_dropreason_t *d = offline();
	struct drop_event e;
	const nc_drop_t *drop;
	nc_drop_stats_t stats;

	(void)state;
	assert_int_equal(nc_dropreason_flow_count(d), 2);
	e = event(1, 3, 0xffffffff8209e8a0, 100, 0);
	assert_int_equal(drop_collect_event(d, &e), 0);
	e.ts_ns = 300; /* a retransmission: the same drop, counted */
	assert_int_equal(drop_collect_event(d, &e), 0);
	e = event(1, 3, 0xffffffff8209e8a0, 200, 1); /* the other way: another */
	assert_int_equal(drop_collect_event(d, &e), 0);
	e = event(1, 5, 0xffffffff8204f1a0, 400, 0); /* another reason */
	assert_int_equal(drop_collect_event(d, &e), 0);
	e = event(2, 3, 1, 1, 0);
	assert_int_equal(drop_collect_event(d, &e), -EINVAL);

	assert_int_equal(nc_dropreason_drop_count(d, 0), 0);
	assert_int_equal(nc_dropreason_drop_count(d, 1), 3);
	assert_int_equal(nc_dropreason_drop_count(d, 2), 0);
	drop = nc_dropreason_drop(d, 1, 0);
	assert_non_null(drop);
	assert_int_equal(drop->reason, 3);
	assert_int_equal(drop->packets, 2);
	assert_int_equal(drop->first_ns, 100);
	assert_int_equal(drop->last_ns, 300);
	assert_false(drop->reply);
	assert_int_equal(drop->ifindex, 2);
	assert_int_equal(drop->netns, 4026531840u);
	assert_int_equal(drop->tcp_flags, 0x02);
	assert_int_equal(drop->proto, TCP);
	{
		nc_endpoint_t src = ep("198.18.0.1", 40000), dst = ep("198.18.1.2", 80);

		assert_true(nc_endpoint_equal(&drop->src, &src));
		assert_true(nc_endpoint_equal(&drop->dst, &dst));
	}
	assert_true(nc_dropreason_drop(d, 1, 1)->reply);
	assert_int_equal(nc_dropreason_drop(d, 1, 2)->reason, 5);
	assert_null(nc_dropreason_drop(d, 1, 3));
	assert_null(nc_dropreason_drop(d, 5, 0));

	/* past NC_DROP_MAX_KINDS distinct drops: counted, not kept */
	for (uint32_t i = 0; i < NC_DROP_MAX_KINDS + 2; i++) {
		e = event(0, 100 + i, 0, i, 0);
		assert_int_equal(drop_collect_event(d, &e), 0);
	}
	assert_int_equal(nc_dropreason_drop_count(d, 0), NC_DROP_MAX_KINDS);
	nc_dropreason_stats(d, &stats);
	assert_int_equal(stats.kinds_dropped, 2);
	assert_int_equal(stats.events, 4 + NC_DROP_MAX_KINDS + 2);
	nc_dropreason_free(d);
}

/* A watch's next cycle: the flows and their drops forgotten, the indices
 * free for the next cycle's flows; an event of a forgotten flow read
 * meanwhile belongs to none. */
static void test_clear_flows(void **state)
{
	const nc_drop_flow_t next[] = { { UDP, ep("198.18.0.1", 0), ep("198.18.0.3", 53) } };
	nc_dropreason_t *d = offline();
	struct drop_event e = event(1, 3, 0xffffffff8209e8a0, 100, 0);

	(void)state;
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_int_equal(nc_dropreason_drop_count(d, 1), 1);
	assert_int_equal(nc_dropreason_clear_flows(d), 0);
	assert_int_equal(nc_dropreason_flow_count(d), 0);
	assert_int_equal(nc_dropreason_drop_count(d, 1), 0);
	assert_int_equal(drop_collect_event(d, &e), -EINVAL); /* late, of a forgotten flow */
	assert_int_equal(drop_append_flows(d, next, 1), 0);
	assert_int_equal(nc_dropreason_flow_count(d), 1);
	assert_int_equal(nc_dropreason_drop_count(d, 0), 0); /* nothing of the old flow 0 */
	e = event(0, 5, 0xffffffff8204f1a0, 200, 0);
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_int_equal(nc_dropreason_drop_count(d, 0), 1);
	assert_int_equal(nc_dropreason_drop(d, 0, 0)->reason, 5);
	/* once stopped, the program is gone: nothing to clear for a next cycle */
	assert_int_equal(nc_dropreason_stop(d), 0);
	assert_int_equal(nc_dropreason_clear_flows(d), -EINVAL);
	nc_dropreason_free(d);
}

/* A BTF file with the two enums as the kernel has them, a gap and the
 * members that are no reasons (MAX, SUBSYS_MASK, SUBSYS_NUM).  path: at
 * least 32 bytes. */
static void write_btf(char *path)
{
	struct btf *btf = btf__new_empty();
	const void *raw;
	__u32 size;
	FILE *f;
	int fd, id;

	assert_non_null(btf);
	/* other kinds first, for the raw reader to step over */
	id = btf__add_int(btf, "unsigned int", 4, 0);
	assert_true(id > 0);
	assert_true(btf__add_ptr(btf, id) > 0);
	assert_true(btf__add_array(btf, id, id, 16) > 0);
	assert_true(btf__add_struct(btf, "sk_buff", 8) > 0);
	assert_int_equal(btf__add_field(btf, "len", id, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "data_len", id, 32, 0), 0);
	assert_true(btf__add_func_proto(btf, id) > 0);
	assert_int_equal(btf__add_func_param(btf, "skb", id), 0);
	assert_true(btf__add_enum64(btf, "other_reasons", 8, false) > 0);
	assert_int_equal(btf__add_enum64_value(btf, "SKB_DROP_REASON_NOT_THIS_ONE", 3), 0);
	assert_true(btf__add_var(btf, "a_var", 0, id) > 0);
	id = btf__add_enum(btf, "skb_drop_reason", 4);
	assert_true(id > 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_NOT_DROPPED_YET", 0), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_NOT_SPECIFIED", 2), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_NO_SOCKET", 3), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_IP_INADDRERRORS", 40), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_MAX", 41), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_MASK", (__s64)0xffff0000), 0);
	id = btf__add_enum(btf, "skb_drop_reason_subsys", 4);
	assert_true(id > 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_CORE", 0), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", 2), 0);
	assert_int_equal(btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_NUM", 3), 0);
	raw = btf__raw_data(btf, &size);
	assert_non_null(raw);
	strcpy(path, "/tmp/test-dropreason-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
	btf__free(btf);
}

/* The names from a BTF made here, read raw (one walk) and by libbpf. */
static void test_reason_names(void **state)
{
	char path[64];

	(void)state;
	write_btf(path);
	for (int with_libbpf = 0; with_libbpf < 2; with_libbpf++) {
		nc_dropreason_t *d = offline();
		const char *ovs;

		nc_dropreason_set_sources(d, path, "/nonexistent");
		assert_int_equal(drop_read_reason_names(d, with_libbpf), 0);
		assert_string_equal(nc_dropreason_reason_name(d, 3), "NO_SOCKET");
		assert_string_equal(nc_dropreason_reason_name(d, 2), "NOT_SPECIFIED");
		assert_string_equal(nc_dropreason_reason_name(d, 40), "IP_INADDRERRORS");
		/* members without the prefix, MAX, and gaps are no reasons */
		assert_null(nc_dropreason_reason_name(d, 0));
		assert_null(nc_dropreason_reason_name(d, 41));
		assert_null(nc_dropreason_reason_name(d, 7));
		/* a subsystem's reason: its name and number, kept as long as d */
		ovs = nc_dropreason_reason_name(d, 2u << 16 | 3);
		assert_string_equal(ovs, "OPENVSWITCH:3");
		assert_ptr_equal(nc_dropreason_reason_name(d, 2u << 16 | 3), ovs);
		assert_string_equal(nc_dropreason_reason_name(d, 2u << 16 | 4), "OPENVSWITCH:4");
		assert_string_equal(ovs, "OPENVSWITCH:3");
		assert_null(nc_dropreason_reason_name(d, 3u << 16 | 1));
		nc_dropreason_free(d);
	}
	unlink(path);
}

/* Not BTF, or none: no names, no crash. */
static void test_reason_names_unreadable(void **state)
{
	char path[] = "/tmp/test-dropreason-XXXXXX";
	nc_dropreason_t *d = offline();
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not BTF at all, only words", 26), 26);
	close(fd);
	nc_dropreason_set_sources(d, path, "/nonexistent");
	assert_true(drop_read_reason_names(d, false) < 0);
	assert_null(nc_dropreason_reason_name(d, 3));
	nc_dropreason_free(d);
	unlink(path);
	d = offline();
	nc_dropreason_set_sources(d, "/nonexistent", "/nonexistent");
	assert_int_equal(drop_read_reason_names(d, false), -ENOENT);
	assert_null(nc_dropreason_reason_name(d, 3));
	nc_dropreason_free(d);
}

/* A drop as the model's observation: the names, or the numbers. */
static void test_observe(void **state)
{
	nc_dropreason_t *d = offline();
	struct drop_event e = event(1, 3, 0xffffffff820a02ac, 1, 0);
	nc_observation_t o;
	char path[64];

	(void)state;
	write_btf(path);
	nc_dropreason_set_sources(d, path, "/nonexistent");
	snprintf(e.symbol, sizeof(e.symbol), "__udp4_lib_rcv+0x4bc/0x5e0");
	assert_int_equal(drop_collect_event(d, &e), 0);
	e.ts_ns = 2;
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_int_equal(nc_dropreason_observe(d, nc_dropreason_drop(d, 1, 0), &o), 0);
	assert_int_equal(o.source, NC_OBS_DROP_REASON);
	assert_string_equal(o.reason, "NO_SOCKET");
	assert_string_equal(o.location, "__udp4_lib_rcv+0x4bc");
	assert_string_equal(o.text, "the kernel dropped 2 packets: NO_SOCKET in __udp4_lib_rcv+0x4bc on interface 2 "
				    "of network namespace 4026531840");
	/* a reason this kernel does not name, a location no one named, a reply */
	e = event(0, 77, 0xffffffff81000000, 3, 1);
	e.ifindex = 0;
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_int_equal(nc_dropreason_observe(d, nc_dropreason_drop(d, 0, 0), &o), 0);
	assert_string_equal(o.reason, "77");
	assert_string_equal(o.location, "0xffffffff81000000");
	assert_string_equal(o.text, "the kernel dropped 1 reply packet: 77 in 0xffffffff81000000");
	assert_int_equal(nc_dropreason_observe(d, NULL, &o), -EINVAL);
	unlink(path);
	nc_dropreason_free(d);
}


/* The running kernel's names, read the way a run reads them. */
static void test_reason_names_live(void **state)
{
	nc_dropreason_t *d;
	bool no_socket = false, not_specified = false;

	(void)state;
	if (access(DROP_BTF_PATH, R_OK) < 0) {
		print_message("no %s: the live names are not checked\n", DROP_BTF_PATH);
		skip();
	}
	d = offline();
	for (uint32_t v = 0; v < 1024; v++) {
		const char *name = nc_dropreason_reason_name(d, v);

		no_socket = no_socket || (name != NULL && strcmp(name, "NO_SOCKET") == 0);
		not_specified = not_specified || (name != NULL && strcmp(name, "NOT_SPECIFIED") == 0);
		assert_true(name == NULL || strcmp(name, "MAX") != 0);
	}
	assert_true(no_socket);
	assert_true(not_specified);
	/* the raw walk reads what libbpf reads, every member */
	{
		nc_dropreason_t *by_libbpf = offline();

		assert_int_equal(drop_read_reason_names(by_libbpf, true), 0);
		assert_int_equal(by_libbpf->n_reasons, d->n_reasons);
		assert_int_equal(by_libbpf->n_subsystems, d->n_subsystems);
		for (size_t i = 0; i < d->n_reasons; i++) {
			assert_int_equal(by_libbpf->reasons[i].value, d->reasons[i].value);
			assert_string_equal(by_libbpf->reasons[i].name, d->reasons[i].name);
		}
		nc_dropreason_free(by_libbpf);
	}
	nc_dropreason_free(d);
}

static const char *fixture_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("NC_FIXTURES");

	assert_non_null(dir);
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void test_symbols(void **state)
{
	nc_dropreason_t *d = offline();
	struct drop_event e = event(1, 3, 0xffffffff8209e8a0, 1, 0); /* no symbol in it: kallsyms */
	nc_drop_stats_t stats;
	char sample[4096], hidden[4096];

	(void)state;
	nc_dropreason_set_sources(d, "/nonexistent", fixture_path("kallsyms-sample.txt", sample, sizeof(sample)));
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_string_equal(nc_dropreason_symbol(d, 0xffffffff8209e8a0), "udp_queue_rcv_one_skb+0x50");
	/* at the symbol itself, and in a module */
	assert_string_equal(nc_dropreason_symbol(d, 0xffffffff8204f100), "ip_forward+0x0");
	assert_string_equal(nc_dropreason_symbol(d, 0xffffffffc0a01234), "br_handle_frame+0x34");
	/* below every symbol, and far past the last one: unnamed */
	assert_null(nc_dropreason_symbol(d, 0xffffffff80000000));
	assert_null(nc_dropreason_symbol(d, 0xffffffffd0000000));
	assert_null(nc_dropreason_symbol(d, 0));
	nc_dropreason_stats(d, &stats);
	assert_false(stats.symbols_hidden);
	nc_dropreason_free(d);

	/* named by the kernel in the event: kallsyms is not read, the size goes */
	d = offline();
	nc_dropreason_set_sources(d, "/nonexistent", "/nonexistent");
	e = event(0, 3, 0xffffffff820a02ac, 1, 0);
	snprintf(e.symbol, sizeof(e.symbol), "__udp4_lib_rcv+0x4bc/0x5e0");
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_string_equal(nc_dropreason_drop(d, 0, 0)->symbol, "__udp4_lib_rcv+0x4bc");
	assert_string_equal(nc_dropreason_symbol(d, 0xffffffff820a02ac), "__udp4_lib_rcv+0x4bc");
	/* cut to fit, still a string */
	e = event(0, 4, 0xffffffff820a0000, 1, 0);
	memset(e.symbol, 'x', sizeof(e.symbol));
	assert_int_equal(drop_collect_event(d, &e), 0);
	assert_int_equal(strlen(nc_dropreason_drop(d, 0, 1)->symbol), sizeof(e.symbol) - 1);
	nc_dropreason_free(d);

	/* what a reader without CAP_SYSLOG sees: zeroes */
	d = offline();
	nc_dropreason_set_sources(d, "/nonexistent", fixture_path("kallsyms-hidden.txt", hidden, sizeof(hidden)));
	assert_null(nc_dropreason_symbol(d, 0xffffffff8209e8a0));
	nc_dropreason_stats(d, &stats);
	assert_true(stats.symbols_hidden);
	nc_dropreason_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_clear_flows),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_reason_names_unreadable),
		cmocka_unit_test(test_reason_names_live),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_symbols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !NC_HAVE_DROPREASON: not built (see witness/meson.build) */

int main(void)
{
	fprintf(stderr, "test-dropreason: built without eBPF: skipped\n");
	return 77;
}

#endif
