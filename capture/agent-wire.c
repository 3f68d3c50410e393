/* The capture agent's records (include/netcheck/agent-wire.h), encoded and
 * decoded, and the clock estimate from exchanged timestamps.  libc only:
 * the static responder links this file too. */
#include "netcheck/agent-wire.h"

#include <errno.h>
#include <string.h>

/* Big-endian, n bytes of v. */
static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

#define put16(p, v) put_be((p), (v), 2)
#define put32(p, v) put_be((p), (v), 4)
#define put64(p, v) put_be((p), (v), 8)
#define get16(p) ((uint16_t)get_be((p), 2))
#define get32(p) ((uint32_t)get_be((p), 4))
#define get64(p) get_be((p), 8)

/* Three u64 fields: COUNTERS' and CLOCK's bodies. */
static void put3x64(uint8_t *b, uint64_t a, uint64_t c, uint64_t d)
{
	put64(b, a);
	put64(b + 8, c);
	put64(b + 16, d);
}

/* A string field: its bytes and the NUL, if it fits max (which counts the NUL). */
static int put_text(uint8_t *body, size_t *at, size_t room, const char *s, size_t max)
{
	size_t n = strnlen(s != NULL ? s : "", max);

	if (n >= max)
		return -EINVAL;
	if (*at + n + 1 > room)
		return -ENOSPC;
	memcpy(body + *at, s != NULL ? s : "", n);
	body[*at + n] = 0;
	*at += n + 1;
	return 0;
}

static int get_text(const uint8_t *body, size_t *at, size_t len, size_t max, const char **ret)
{
	const uint8_t *nul;
	size_t avail = len - *at;

	if (avail > max)
		avail = max;
	nul = memchr(body + *at, 0, avail);
	if (nul == NULL)
		return -EPROTO;
	*ret = (const char *)(body + *at);
	*at = (size_t)(nul - body) + 1;
	return 0;
}

int nc_agent_rec_encode(const nc_agent_rec_t *rec, uint8_t *buf, size_t size)
{
	uint8_t *b = buf + NC_AGENT_HEADER_SIZE;
	size_t room, at = 0;
	int r = 0;

	if (size < NC_AGENT_HEADER_SIZE)
		return -ENOSPC;
	room = size - NC_AGENT_HEADER_SIZE;
	if (room > NC_AGENT_BODY_MAX)
		room = NC_AGENT_BODY_MAX;
#define NEED(n) do { if (at + (n) > room) return -ENOSPC; } while (0)
	switch (rec->type) {
	case NC_AGENT_HELLO:
		NEED(8);
		put32(b, rec->u.hello.pid);
		put32(b + 4, rec->u.hello.n_points);
		at = 8;
		r = put_text(b, &at, room, rec->u.hello.version, NC_AGENT_TEXT_MAX);
		break;
	case NC_AGENT_POINT:
		NEED(16);
		put32(b, (uint32_t)rec->u.point.ifindex);
		put32(b + 4, rec->u.point.linktype);
		put32(b + 8, rec->u.point.snaplen);
		b[12] = rec->u.point.where;
		b[13] = rec->u.point.role;
		b[14] = b[15] = 0;
		at = 16;
		r = put_text(b, &at, room, rec->u.point.name, NC_AGENT_NAME_MAX);
		if (r == 0)
			r = put_text(b, &at, room, rec->u.point.description, NC_AGENT_DESC_MAX);
		break;
	case NC_AGENT_PACKET:
		if (rec->u.packet.caplen > NC_AGENT_SNAPLEN_MAX || rec->u.packet.caplen > rec->u.packet.origlen)
			return -EINVAL;
		NEED(16 + (size_t)rec->u.packet.caplen);
		put64(b, rec->u.packet.ts_ns);
		put32(b + 8, rec->u.packet.origlen);
		b[12] = rec->u.packet.direction;
		b[13] = b[14] = b[15] = 0;
		if (rec->u.packet.caplen > 0)
			memcpy(b + 16, rec->u.packet.bytes, rec->u.packet.caplen);
		at = 16 + rec->u.packet.caplen;
		break;
	case NC_AGENT_COUNTERS:
		NEED(24);
		put3x64(b, rec->u.counters.received, rec->u.counters.dropped, rec->u.counters.filtered_out);
		at = 24;
		break;
	case NC_AGENT_CLOCK_REQ:
		NEED(8);
		put64(b, rec->u.clock.id);
		at = 8;
		break;
	case NC_AGENT_CLOCK:
		NEED(24);
		put3x64(b, rec->u.clock.id, rec->u.clock.realtime_ns, rec->u.clock.monotonic_ns);
		at = 24;
		break;
	case NC_AGENT_ERROR:
		NEED(4);
		put32(b, (uint32_t)rec->u.error.error);
		at = 4;
		r = put_text(b, &at, room, rec->u.error.text, NC_AGENT_TEXT_MAX);
		break;
	case NC_AGENT_STOP:
	case NC_AGENT_BYE:
		break;
	case NC_AGENT_TARGET:
		/* whole words only: the last one terminated */
		if (rec->u.target.len == 0 || rec->u.target.len > NC_AGENT_TARGET_MAX ||
		    rec->u.target.words[rec->u.target.len - 1] != 0)
			return -EINVAL;
		NEED(rec->u.target.len);
		memcpy(b, rec->u.target.words, rec->u.target.len);
		at = rec->u.target.len;
		break;
	case NC_AGENT_ADDING:
		NEED(4);
		put32(b, rec->u.adding.n_points);
		at = 4;
		break;
	default:
		return -EINVAL;
	}
#undef NEED
	if (r < 0)
		return r;
	buf[0] = NC_AGENT_WIRE_VERSION;
	buf[1] = (uint8_t)rec->type;
	put16(buf + 2, rec->point);
	put32(buf + 4, (uint32_t)at);
	return (int)(NC_AGENT_HEADER_SIZE + at);
}

/* Minimum body of each known type (index: type). */
static const size_t body_min[] = {
	[NC_AGENT_HELLO] = 9, [NC_AGENT_POINT] = 18, [NC_AGENT_PACKET] = 16, [NC_AGENT_COUNTERS] = 24,
	[NC_AGENT_CLOCK_REQ] = 8, [NC_AGENT_CLOCK] = 24, [NC_AGENT_ERROR] = 5, [NC_AGENT_STOP] = 0,
	[NC_AGENT_BYE] = 0, [NC_AGENT_TARGET] = 1, [NC_AGENT_ADDING] = 4,
};

int nc_agent_rec_decode(const uint8_t *buf, size_t len, nc_agent_rec_t *ret)
{
	const uint8_t *b = buf + NC_AGENT_HEADER_SIZE;
	uint32_t body_len;
	size_t at;
	int r = 0;

	if (len < NC_AGENT_HEADER_SIZE)
		return 0;
	if (buf[0] != NC_AGENT_WIRE_VERSION)
		return -EPROTO;
	body_len = get32(buf + 4);
	if (body_len > NC_AGENT_BODY_MAX)
		return -EPROTO;
	if (len - NC_AGENT_HEADER_SIZE < body_len)
		return 0;
	memset(ret, 0, sizeof(*ret));
	ret->type = (nc_agent_rec_type_t)buf[1];
	ret->point = get16(buf + 2);
	if (buf[1] < NC_AGENT_HELLO || buf[1] > NC_AGENT_ADDING)
		return (int)(NC_AGENT_HEADER_SIZE + body_len); /* unknown: the caller skips it */
	if (body_len < body_min[buf[1]])
		return -EPROTO;
	switch (ret->type) {
	case NC_AGENT_HELLO:
		ret->u.hello.pid = get32(b);
		ret->u.hello.n_points = get32(b + 4);
		at = 8;
		r = get_text(b, &at, body_len, NC_AGENT_TEXT_MAX, &ret->u.hello.version);
		break;
	case NC_AGENT_POINT:
		ret->u.point.ifindex = (int32_t)get32(b);
		ret->u.point.linktype = get32(b + 4);
		ret->u.point.snaplen = get32(b + 8);
		ret->u.point.where = b[12];
		ret->u.point.role = b[13];
		at = 16;
		r = get_text(b, &at, body_len, NC_AGENT_NAME_MAX, &ret->u.point.name);
		if (r == 0 && at < body_len)
			r = get_text(b, &at, body_len, NC_AGENT_DESC_MAX, &ret->u.point.description);
		else if (r == 0)
			r = -EPROTO;
		break;
	case NC_AGENT_PACKET:
		ret->u.packet.ts_ns = get64(b);
		ret->u.packet.origlen = get32(b + 8);
		ret->u.packet.direction = b[12];
		ret->u.packet.caplen = body_len - 16;
		ret->u.packet.bytes = b + 16;
		if (ret->u.packet.caplen > ret->u.packet.origlen)
			r = -EPROTO;
		break;
	case NC_AGENT_COUNTERS:
		ret->u.counters.received = get64(b);
		ret->u.counters.dropped = get64(b + 8);
		ret->u.counters.filtered_out = get64(b + 16);
		break;
	case NC_AGENT_CLOCK:
		ret->u.clock.realtime_ns = get64(b + 8);
		ret->u.clock.monotonic_ns = get64(b + 16);
		ret->u.clock.id = get64(b);
		break;
	case NC_AGENT_CLOCK_REQ:
		ret->u.clock.id = get64(b);
		break;
	case NC_AGENT_ERROR:
		ret->u.error.error = (int32_t)get32(b);
		at = 4;
		r = get_text(b, &at, body_len, NC_AGENT_TEXT_MAX, &ret->u.error.text);
		break;
	case NC_AGENT_TARGET:
		if (body_len > NC_AGENT_TARGET_MAX || b[body_len - 1] != 0)
			r = -EPROTO;
		ret->u.target.words = (const char *)b;
		ret->u.target.len = body_len;
		break;
	case NC_AGENT_ADDING:
		ret->u.adding.n_points = get32(b);
		break;
	default:
		break;
	}
	if (r < 0)
		return r;
	return (int)(NC_AGENT_HEADER_SIZE + body_len);
}

int nc_agent_clock_estimate(const nc_agent_clock_sample_t *samples, size_t n, int64_t *ret_offset_ns,
			    uint64_t *ret_uncertainty_ns)
{
	int best = -EINVAL;
	uint64_t best_rtt = 0;

	for (size_t i = 0; i < n && i <= (size_t)INT32_MAX; i++) {
		const nc_agent_clock_sample_t *s = &samples[i];
		uint64_t rtt;

		if (s->received_ns < s->sent_ns)
			continue;
		rtt = s->received_ns - s->sent_ns;
		if (best < 0 || rtt < best_rtt) {
			best = (int)i;
			best_rtt = rtt;
		}
	}
	if (best < 0)
		return best;
	{
		const nc_agent_clock_sample_t *s = &samples[best];
		/* the midpoint without overflow: sent + rtt/2 */
		uint64_t mid = s->sent_ns + best_rtt / 2;

		*ret_offset_ns = (int64_t)(s->agent_ns - mid);
		*ret_uncertainty_ns = (best_rtt + 1) / 2;
	}
	return best;
}
