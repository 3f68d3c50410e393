/* Unit tests for the capture agent's records (agent-wire.c): every type
 * round-trips, a record cut anywhere asks for more, a wrong version or a
 * lying length is refused, an unknown type is skipped; and the clock
 * estimate from synthetic samples. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/agent-wire.h"

static uint8_t buf[NC_AGENT_RECORD_MAX];

static void roundtrip(const nc_agent_rec_t *in, nc_agent_rec_t *out)
{
	int n = nc_agent_rec_encode(in, buf, sizeof(buf));

	assert_true(n >= NC_AGENT_HEADER_SIZE);
	/* every cut short of the whole record asks for more */
	for (int cut = 0; cut < n; cut++)
		assert_int_equal(nc_agent_rec_decode(buf, (size_t)cut, out), 0);
	assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, out), n);
	assert_int_equal(out->type, in->type);
	assert_int_equal(out->point, in->point);
}

static void test_roundtrip(void **state)
{
	nc_agent_rec_t in, out;
	uint8_t frame[1500];
	int n;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_HELLO;
	in.point = NC_AGENT_POINT_SELF;
	in.u.hello.pid = 4242;
	in.u.hello.n_points = 3;
	in.u.hello.version = "netcheck-agent 1";
	roundtrip(&in, &out);
	assert_int_equal(out.u.hello.pid, 4242);
	assert_int_equal(out.u.hello.n_points, 3);
	assert_string_equal(out.u.hello.version, "netcheck-agent 1");

	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_POINT;
	in.point = 2;
	in.u.point.ifindex = 17;
	in.u.point.linktype = 1;
	in.u.point.snaplen = 262;
	in.u.point.where = 1;
	in.u.point.role = NC_AGENT_ROLE_BRIDGE;
	in.u.point.name = "docker0@engine";
	in.u.point.description = "the engine's bridge";
	roundtrip(&in, &out);
	assert_int_equal(out.u.point.ifindex, 17);
	assert_int_equal(out.u.point.snaplen, 262);
	assert_int_equal(out.u.point.where, 1);
	assert_int_equal(out.u.point.role, NC_AGENT_ROLE_BRIDGE);
	assert_string_equal(out.u.point.name, "docker0@engine");
	assert_string_equal(out.u.point.description, "the engine's bridge");

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_PACKET;
	in.point = 1;
	in.u.packet.ts_ns = UINT64_C(1765000000123456789);
	in.u.packet.origlen = 9000;
	in.u.packet.caplen = sizeof(frame);
	in.u.packet.direction = 2;
	in.u.packet.bytes = frame;
	roundtrip(&in, &out);
	assert_true(out.u.packet.ts_ns == UINT64_C(1765000000123456789));
	assert_int_equal(out.u.packet.origlen, 9000);
	assert_int_equal(out.u.packet.caplen, sizeof(frame));
	assert_int_equal(out.u.packet.direction, 2);
	assert_memory_equal(out.u.packet.bytes, frame, sizeof(frame));

	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_COUNTERS;
	in.u.counters.received = UINT64_C(1) << 40;
	in.u.counters.dropped = 3;
	in.u.counters.filtered_out = 99;
	roundtrip(&in, &out);
	assert_true(out.u.counters.received == UINT64_C(1) << 40);
	assert_int_equal(out.u.counters.dropped, 3);
	assert_int_equal(out.u.counters.filtered_out, 99);

	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_CLOCK;
	in.point = NC_AGENT_POINT_SELF;
	in.u.clock.id = 7;
	in.u.clock.realtime_ns = 11;
	in.u.clock.monotonic_ns = 13;
	roundtrip(&in, &out);
	assert_int_equal(out.u.clock.id, 7);
	assert_int_equal(out.u.clock.realtime_ns, 11);
	assert_int_equal(out.u.clock.monotonic_ns, 13);

	in.type = NC_AGENT_CLOCK_REQ;
	roundtrip(&in, &out);
	assert_int_equal(out.u.clock.id, 7);
	assert_int_equal(out.u.clock.realtime_ns, 0);

	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_ERROR;
	in.u.error.error = -EPERM;
	in.u.error.text = "setns: Operation not permitted";
	roundtrip(&in, &out);
	assert_int_equal(out.u.error.error, -EPERM);
	assert_string_equal(out.u.error.text, "setns: Operation not permitted");

	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_BYE;
	roundtrip(&in, &out);

	{
		static const char words[] = "--container\0" "4242\0" "--match-port\0" "80,32768";

		memset(&in, 0, sizeof(in));
		in.type = NC_AGENT_TARGET;
		in.point = NC_AGENT_POINT_SELF;
		in.u.target.words = words;
		in.u.target.len = sizeof(words);
		roundtrip(&in, &out);
		assert_int_equal(out.u.target.len, sizeof(words));
		assert_memory_equal(out.u.target.words, words, sizeof(words));
		/* a last word without its NUL is not whole: refused both ways */
		in.u.target.len = sizeof(words) - 1;
		assert_int_equal(nc_agent_rec_encode(&in, buf, sizeof(buf)), -EINVAL);
		in.u.target.len = sizeof(words);
		n = nc_agent_rec_encode(&in, buf, sizeof(buf));
		buf[n - 1] = 'x';
		assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, &out), -EPROTO);
	}

	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_ADDING;
	in.u.adding.n_points = 3;
	roundtrip(&in, &out);
	assert_int_equal(out.u.adding.n_points, 3);
}

static void test_bounds(void **state)
{
	nc_agent_rec_t in, out;
	char longname[NC_AGENT_NAME_MAX + 1];
	uint8_t small[12];
	int n;

	(void)state;
	/* a name that does not fit its field, a packet over the snaplen the wire carries */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_POINT;
	in.u.point.name = longname;
	in.u.point.description = "";
	assert_int_equal(nc_agent_rec_encode(&in, buf, sizeof(buf)), -EINVAL);
	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_PACKET;
	in.u.packet.caplen = NC_AGENT_SNAPLEN_MAX + 1;
	in.u.packet.origlen = NC_AGENT_SNAPLEN_MAX + 1;
	in.u.packet.bytes = buf;
	assert_int_equal(nc_agent_rec_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.u.packet.caplen = 100;
	in.u.packet.origlen = 50; /* more captured than on the wire */
	assert_int_equal(nc_agent_rec_encode(&in, buf, sizeof(buf)), -EINVAL);
	/* a buffer too small */
	in.u.packet.origlen = 100;
	assert_int_equal(nc_agent_rec_encode(&in, small, sizeof(small)), -ENOSPC);
	in.type = (nc_agent_rec_type_t)99;
	assert_int_equal(nc_agent_rec_encode(&in, buf, sizeof(buf)), -EINVAL);

	/* another version, a length over the bound, a body shorter than its type's */
	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_COUNTERS;
	n = nc_agent_rec_encode(&in, buf, sizeof(buf));
	assert_int_equal(n, NC_AGENT_HEADER_SIZE + 24);
	buf[0] = NC_AGENT_WIRE_VERSION + 1;
	assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, &out), -EPROTO);
	buf[0] = NC_AGENT_WIRE_VERSION;
	buf[4] = 0x7f;
	assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, &out), -EPROTO);
	buf[4] = 0;
	buf[7] = 8;
	assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, &out), -EPROTO);
	/* an unknown type is skipped whole */
	buf[1] = 200;
	assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, &out), NC_AGENT_HEADER_SIZE + 8);
	assert_int_equal(out.type, 200);

	/* text without its NUL */
	memset(&in, 0, sizeof(in));
	in.type = NC_AGENT_ERROR;
	in.u.error.text = "abc";
	n = nc_agent_rec_encode(&in, buf, sizeof(buf));
	assert_int_equal(n, NC_AGENT_HEADER_SIZE + 8);
	buf[n - 1] = 'd';
	assert_int_equal(nc_agent_rec_decode(buf, (size_t)n, &out), -EPROTO);
}

static void test_records_in_a_stream(void **state)
{
	nc_agent_rec_t in, out;
	size_t len = 0, at = 0;
	int n, seen = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	for (uint64_t id = 1; id <= 3; id++) {
		in.type = NC_AGENT_CLOCK;
		in.u.clock.id = id;
		n = nc_agent_rec_encode(&in, buf + len, sizeof(buf) - len);
		assert_true(n > 0);
		len += (size_t)n;
	}
	while ((n = nc_agent_rec_decode(buf + at, len - at, &out)) > 0) {
		assert_int_equal(out.u.clock.id, (uint64_t)++seen);
		at += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(seen, 3);
	assert_int_equal(at, len);
}

static void test_clock_estimate(void **state)
{
	/* the agent's clock runs 5 ms ahead; round trips 4, 0.2 and 1 ms with
	 * the agent's reading anywhere inside: the 0.2 ms one wins */
	const int64_t ahead = 5000000;
	nc_agent_clock_sample_t s[] = {
		{ .sent_ns = 1000000000, .agent_ns = 1000000000 + 3900000 + ahead, .received_ns = 1004000000 },
		{ .sent_ns = 2000000000, .agent_ns = 2000000000 + 150000 + ahead, .received_ns = 2000200000 },
		{ .sent_ns = 3000000000, .agent_ns = 3000000000 + 100 + ahead, .received_ns = 3001000000 },
		{ .sent_ns = 4000000000, .agent_ns = 4000000000, .received_ns = 3999999999 }, /* clock stepped */
	};
	int64_t offset;
	uint64_t uncertainty;

	(void)state;
	assert_int_equal(nc_agent_clock_estimate(s, 4, &offset, &uncertainty), 1);
	assert_int_equal(uncertainty, 100000);
	/* true offset within the stated uncertainty, and the stated one is the midpoint's */
	assert_true(offset - ahead <= (int64_t)uncertainty && ahead - offset <= (int64_t)uncertainty);
	assert_int_equal(offset, ahead + 50000);

	/* an agent behind netcheck's clock: a negative offset */
	nc_agent_clock_sample_t behind = { .sent_ns = 10000, .agent_ns = 5000, .received_ns = 10010 };
	assert_int_equal(nc_agent_clock_estimate(&behind, 1, &offset, &uncertainty), 0);
	assert_int_equal(offset, -5005);
	assert_int_equal(uncertainty, 5);

	/* nothing usable */
	assert_int_equal(nc_agent_clock_estimate(s + 3, 1, &offset, &uncertainty), -EINVAL);
	assert_int_equal(nc_agent_clock_estimate(s, 0, &offset, &uncertainty), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_records_in_a_stream),
		cmocka_unit_test(test_clock_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
