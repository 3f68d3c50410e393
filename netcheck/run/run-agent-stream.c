/* The capture agent's records on the run's loop (run-agent-internal.h):
 * its attach stream demultiplexed (engine-attach.c) into agent-wire
 * records; POINT records become fed capture points (capture-feed.c) and
 * PACKET records their packets, times corrected by the clock's offset
 * (CLOCK samples: the shortest round trip's); STOP asks for its last
 * packets and counters, BYE ends it; a stream that ends first marks its
 * points incomplete.  May call: engine (the demux), capture, model. */
#include "run-agent-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/pcapng.h"

static uint64_t realtime_ns(void)
{
	struct timespec ts; /* the clock capture's own timestamps are in */

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void nc_run_agent_note(run_state_t *s, const char *fmt, ...)
{
	nc_environment_t *env = nc_result_environment(s->result);
	va_list ap;

	/* every reason, in order: each point may fail for its own */
	va_start(ap, fmt);
	nc_run_note_vappend(env->agent_note, sizeof(env->agent_note), fmt, ap);
	va_end(ap);
}

static int send_rec(struct nc_run_agent *a, const nc_agent_rec_t *rec)
{
	uint8_t out[NC_AGENT_HEADER_SIZE + NC_AGENT_TARGET_MAX];
	int n = nc_agent_rec_encode(rec, out, sizeof(out));

	if (n < 0)
		return n;
	if (a->fd < 0 || send(a->fd, out, (size_t)n, MSG_NOSIGNAL) != n)
		return -EPIPE;
	return 0;
}

static void send_clock_request(struct nc_run_agent *a)
{
	nc_agent_rec_t rec = { .type = NC_AGENT_CLOCK_REQ, .point = NC_AGENT_POINT_SELF };

	rec.u.clock.id = a->n_samples;
	a->clock_sent_ns = realtime_ns();
	(void)send_rec(a, &rec);
}

static void take_point(struct nc_run_agent *a, const nc_agent_rec_t *rec)
{
	run_state_t *s = a->s;
	nc_environment_t *env = nc_result_environment(s->result);
	nc_point_kind_t kind = rec->u.point.role == NC_AGENT_ROLE_BRIDGE  ? NC_POINT_BRIDGE :
			       rec->u.point.role == NC_AGENT_ROLE_VETH    ? NC_POINT_VETH :
			       rec->u.point.role == NC_AGENT_ROLE_CONTAINER ? NC_POINT_CONTAINER :
			       rec->u.point.role == NC_AGENT_ROLE_UPLINK  ? NC_POINT_UPLINK :
			       rec->u.point.role == NC_AGENT_ROLE_OVERLAY ? NC_POINT_OVERLAY :
									      NC_POINT_BRIDGE;
	nc_point_where_t where = rec->u.point.where == NC_WHERE_CONTAINER ? NC_WHERE_CONTAINER : NC_WHERE_ENGINE;
	char name[NC_POINT_NAME_MAX], descr[128];
	int idx;

	a->answered_points++;
	if (rec->point >= AGENT_POINTS || s->capture == NULL)
		return;
	if (a->node_name[0] != '\0') {
		/* one agent per swarm node: the node in every point's name */
		snprintf(name, sizeof(name), "%.15s@%s%.40s", rec->u.point.name,
			 where == NC_WHERE_CONTAINER ? "task." : "", a->node_name);
		snprintf(descr, sizeof(descr), "%.40s (%s, node %.30s, capture agent)", name,
			 kind == NC_POINT_UPLINK ? "uplink" : kind == NC_POINT_OVERLAY ? "the overlay's VXLAN" :
			 "the task on the overlay", a->node_name);
	} else {
		nc_point_name_at(kind, where, rec->u.point.name, name, sizeof(name));
		snprintf(descr, sizeof(descr), "%s (%s, through the capture agent)", name,
			 where == NC_WHERE_CONTAINER ? "inside the container" : "the engine's side");
	}
	idx = nc_capture_add_fed_point(s->capture, name, descr, (int)rec->u.point.linktype, rec->u.point.snaplen,
				       rec->u.point.ifindex);
	if (idx < 0) {
		nc_run_agent_note(s, "agent point %s not kept: %s", name, nc_strerror(idx));
		return;
	}
	a->point_of[rec->point] = idx;
	/* netcheck capture streams to its file: the point's interface block
	 * comes now (pcapng allows one after packets) */
	if (s->stream != NULL && idx < NC_CAPTURE_MAX_POINTS)
		s->stream_ids[idx] = nc_pcapng_add_interface(s->stream, name, descr, (int)rec->u.point.linktype,
							     rec->u.point.snaplen);
	if ((size_t)idx < NC_ARRAY_SIZE(env->capture_points)) {
		struct nc_capture_point_summary *cp = &env->capture_points[idx];

		memset(cp, 0, sizeof(*cp));
		cp->kind = kind;
		cp->where = where;
		snprintf(cp->name, sizeof(cp->name), "%s", name);
		snprintf(cp->description, sizeof(cp->description), "%s", descr);
		snprintf(cp->node, sizeof(cp->node), "%s", a->node_id);
		if ((size_t)idx + 1 > env->n_capture_points)
			env->n_capture_points = (size_t)idx + 1;
	}
	env->agent_used = true;
}

static void take_clock(struct nc_run_agent *a, const nc_agent_rec_t *rec)
{
	nc_environment_t *env = nc_result_environment(a->s->result);
	uint64_t received = realtime_ns();

	if (rec->u.clock.id != a->n_samples || a->n_samples >= AGENT_CLOCK_SAMPLES)
		return;
	a->samples[a->n_samples++] = (nc_agent_clock_sample_t){ .sent_ns = a->clock_sent_ns,
								.agent_ns = rec->u.clock.realtime_ns,
								.received_ns = received };
	if (a->n_samples < AGENT_CLOCK_SAMPLES) {
		send_clock_request(a);
		return;
	}
	{
		int64_t offset;
		uint64_t uncertainty;

		if (nc_agent_clock_estimate(a->samples, a->n_samples, &offset, &uncertainty) < 0)
			return;
		a->offset_ns = offset; /* each agent's packets by its own clock's offset */
		/* several agents (swarm nodes): the report shows the least certain */
		if (!env->agent_clock_known || uncertainty > env->agent_clock_uncertainty_ns) {
			env->agent_clock_offset_ns = offset;
			env->agent_clock_uncertainty_ns = uncertainty;
		}
		env->agent_clock_known = true;
	}
}

static int point_index(const struct nc_run_agent *a, uint16_t point)
{
	return point < AGENT_POINTS ? a->point_of[point] : -1;
}

static void take_record(struct nc_run_agent *a, const nc_agent_rec_t *rec)
{
	run_state_t *s = a->s;
	int idx = point_index(a, rec->point);

	switch (rec->type) {
	case NC_AGENT_HELLO:
		a->hello = true;
		a->expected_points = rec->u.hello.n_points;
		send_clock_request(a);
		break;
	case NC_AGENT_POINT:
		take_point(a, rec);
		break;
	case NC_AGENT_PACKET:
		if (idx >= 0)
			(void)nc_capture_feed_packet(s->capture, (uint32_t)idx, rec->u.packet.ts_ns - (uint64_t)a->offset_ns,
						     (nc_direction_t)rec->u.packet.direction, rec->u.packet.bytes,
						     rec->u.packet.caplen, rec->u.packet.origlen);
		break;
	case NC_AGENT_COUNTERS:
		if (idx >= 0)
			(void)nc_capture_feed_counters(s->capture, (uint32_t)idx, rec->u.counters.received,
						       rec->u.counters.dropped);
		break;
	case NC_AGENT_CLOCK:
		take_clock(a, rec);
		break;
	case NC_AGENT_ERROR:
		if (rec->point != NC_AGENT_POINT_SELF)
			a->answered_points++;
		nc_run_agent_note(s, "capture agent: %s", rec->u.error.text);
		break;
	case NC_AGENT_ADDING:
		a->adding_seen = true;
		a->expected_points += rec->u.adding.n_points;
		break;
	case NC_AGENT_BYE:
		a->bye = true;
		break;
	default:
		break; /* a later version's: skipped */
	}
}

static int on_stdout(int stream, const uint8_t *bytes, size_t n, void *data)
{
	struct nc_run_agent *a = data;
	size_t at = 0;

	if (stream != 1)
		return 0; /* stderr: the agent prints only usage errors */
	if (n > sizeof(a->buf) - a->len)
		return -EPROTO;
	memcpy(a->buf + a->len, bytes, n);
	a->len += n;
	for (;;) {
		nc_agent_rec_t rec;
		int r = nc_agent_rec_decode(a->buf + at, a->len - at, &rec);

		if (r < 0)
			return r;
		if (r == 0)
			break;
		take_record(a, &rec);
		at += (size_t)r;
	}
	memmove(a->buf, a->buf + at, a->len - at);
	a->len -= at;
	return 0;
}

/* The agent is gone (EOF, an error): its points keep what they had and
 * say they are incomplete unless it said goodbye. */
static void agent_gone(struct nc_run_agent *a, const char *why)
{
	nc_environment_t *env = nc_result_environment(a->s->result);

	if (a->dead)
		return;
	a->dead = true;
	if (a->poll_open)
		uv_poll_stop(&a->poll);
	if (a->bye)
		return;
	nc_run_agent_note(a->s, "the capture agent stopped before the run did (%s): its points are incomplete", why);
	for (size_t i = 0; i < AGENT_POINTS; i++) {
		int idx = a->point_of[i];

		if (idx < 0)
			continue;
		(void)nc_capture_feed_failed(a->s->capture, (uint32_t)idx, -EPIPE, why);
		if ((size_t)idx < NC_ARRAY_SIZE(env->capture_points))
			env->capture_points[idx].incomplete = true;
	}
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct nc_run_agent *a = p->data;
	uint8_t in[16384];

	(void)events;
	if (status < 0) {
		agent_gone(a, uv_strerror(status));
		return;
	}
	for (int round = 0; round < 16 && !a->dead; round++) {
		ssize_t n = recv(a->fd, in, sizeof(in), MSG_DONTWAIT);
		int r;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			agent_gone(a, n == 0 ? "its stream ended" : strerror(errno));
			return;
		}
		r = nc_engine_demux_feed(&a->demux, in, (size_t)n, on_stdout, a);
		if (r < 0) {
			agent_gone(a, "its stream made no sense");
			return;
		}
		if (a->bye)
			agent_gone(a, "done");
	}
}

static bool ready(const struct nc_run_agent *a)
{
	return a->dead || (a->hello && (a->target_len == 0 || a->adding_seen) &&
			   a->answered_points >= a->expected_points && a->n_samples >= AGENT_CLOCK_SAMPLES);
}

bool nc_run_agent_all_ready(const void *data)
{
	const run_state_t *s = data;

	for (size_t i = 0; i < s->n_agents; i++)
		if (!ready(s->agents[i]))
			return false;
	return true;
}

/* Its stream polled, its TARGET sent. */
void nc_run_agent_listen(run_state_t *s, struct nc_run_agent *a)
{
	const char *who = a->node_name[0] ? a->node_name : "the engine's side";

	if (uv_poll_init(&s->loop, &a->poll, a->fd) < 0) {
		nc_run_agent_note(s, "the capture agent's stream on %s cannot be polled", who);
		return;
	}
	a->dead = false;
	a->poll_open = true;
	a->poll.data = a;
	uv_poll_start(&a->poll, UV_READABLE | UV_DISCONNECT, on_readable);
}

void nc_run_agent_send_target(struct nc_run_agent *a)
{
	nc_agent_rec_t rec = { .type = NC_AGENT_TARGET, .point = NC_AGENT_POINT_SELF };

	if (a->target_len == 0 || a->target_sent || a->dead)
		return;
	rec.u.target.words = a->target;
	rec.u.target.len = (uint32_t)a->target_len;
	a->target_sent = true;
	a->target_ns = nc_run_agent_now_ns();
	if (send_rec(a, &rec) < 0)
		agent_gone(a, "its stdin is closed");
}

/* STOP: its last packets and counters follow, then BYE (nc_run_agent_done). */
void nc_run_agent_stop(run_state_t *s)
{
	nc_agent_rec_t stop = { .type = NC_AGENT_STOP, .point = NC_AGENT_POINT_SELF };

	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		if (a->fd < 0 || a->dead)
			continue;
		if (send_rec(a, &stop) < 0)
			agent_gone(a, "its stdin is closed");
	}
}

bool nc_run_agent_done(run_state_t *s, bool give_up)
{
	bool done = true;

	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		if (a->dead || a->fd < 0)
			continue;
		if (give_up)
			agent_gone(a, "no goodbye after STOP");
		done = done && a->dead;
	}
	return done;
}

static void on_poll_closed(uv_handle_t *h)
{
	struct nc_run_agent *a = (struct nc_run_agent *)h; /* the poll comes first */

	close(a->fd); /* only now: libuv may still watch it until closed */
	free(a);
}

void nc_run_agent_close(struct nc_run_agent *a)
{
	if (a->poll_open) {
		uv_close((uv_handle_t *)&a->poll, on_poll_closed);
		return;
	}
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}
