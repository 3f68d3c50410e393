/* The capture agent: the engine side's points, captured by netcheck's own
 * responder binary (`/responder --agent`, netcheck/responder/agent.c) in a
 * short-lived container with the engine host's network and pids, where
 * this host cannot capture them itself (an engine in a VM or a namespace
 * of its own).  Its records come over the container's attach stream
 * (engine-attach.c) and become fed capture points (capture-feed.c): from
 * there on its packets are attributed and written like local ones.
 * Clock: CLOCK_REQ samples over the same stream; the agent's packet times
 * are corrected by the offset of the shortest round trip.
 * Faults: an engine that refuses the agent, or an agent that dies, leaves
 * the run with this host's capture and a note saying why.
 * May call: engine, capture, model. */
#include "run-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/agent-wire.h"
#include "netcheck/pcapng.h"
#include "netcheck/testing.h"

#define AGENT_CLOCK_SAMPLES 8
#define AGENT_READY_MS 3000 /* the agent's points open within this, or the run goes on without them */
#define AGENT_BYE_MS 1000   /* after STOP: its last packets and counters */
#define AGENT_POINTS 16
#define AGENT_SNAPLEN "512"

struct nc_run_agent {
	uv_poll_t poll;              /* first: its close callback frees the whole struct */
	run_state_t *s;              /* borrowed */
	char id[NC_ENGINE_ID_MAX];   /* the agent's container; "" = none made */
	int fd;                      /* the attach stream; -1 when closed */
	bool poll_open;
	nc_engine_demux_t demux;
	uint8_t buf[2 * NC_AGENT_RECORD_MAX]; /* stdout bytes not yet a whole record */
	size_t len;
	uint32_t expected_points;    /* HELLO's count */
	uint32_t answered_points;    /* POINT or ERROR records for them */
	bool hello, bye, dead;
	int point_of[AGENT_POINTS];  /* the agent's point → the capture's, or -1 */
	nc_agent_clock_sample_t samples[AGENT_CLOCK_SAMPLES];
	size_t n_samples;
	uint64_t clock_sent_ns;
	int64_t offset_ns;
};

static uint64_t now_ns(void)
{
	return uv_hrtime(); /* monotonic: only differences of it are used */
}

static uint64_t realtime_ns(void)
{
	struct timespec ts; /* the clock capture's own timestamps are in */

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void agent_note(run_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void agent_note(run_state_t *s, const char *fmt, ...)
{
	nc_environment_t *env = nc_result_environment(s->result);
	size_t o = strlen(env->agent_note);
	va_list ap;

	/* every reason, in order: each point may fail for its own */
	if (o > 0 && o + 2 < sizeof(env->agent_note)) {
		memcpy(env->agent_note + o, "; ", 3);
		o += 2;
	}
	if (o + 1 >= sizeof(env->agent_note))
		return;
	va_start(ap, fmt);
	vsnprintf(env->agent_note + o, sizeof(env->agent_note) - o, fmt, ap);
	va_end(ap);
}

bool nc_run_agent_wanted(const run_state_t *s)
{
	const nc_environment_t *env = nc_result_environment_const(s->result);

	switch (s->opt->capture_via) {
	case NC_CAPTURE_VIA_HOST:
		return false;
	case NC_CAPTURE_VIA_ENGINE:
		return true;
	default:
		/* this host cannot see the engine's bridge: an engine in a VM
		 * or a namespace of its own, rootless, remote */
		return !env->bridge_attached;
	}
}

static int send_rec(struct nc_run_agent *a, const nc_agent_rec_t *rec)
{
	uint8_t out[64];
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
									      NC_POINT_BRIDGE;
	nc_point_where_t where = rec->u.point.where == NC_WHERE_CONTAINER ? NC_WHERE_CONTAINER : NC_WHERE_ENGINE;
	char name[NC_POINT_NAME_MAX], descr[128];
	int idx;

	a->answered_points++;
	if (rec->point >= AGENT_POINTS || s->capture == NULL)
		return;
	nc_point_name_at(kind, where, rec->u.point.name, name, sizeof(name));
	snprintf(descr, sizeof(descr), "%s (%s, through the capture agent)", name,
		 where == NC_WHERE_CONTAINER ? "inside the container" : "the engine's side");
	idx = nc_capture_add_fed_point(s->capture, name, descr, (int)rec->u.point.linktype, rec->u.point.snaplen,
				       rec->u.point.ifindex);
	if (idx < 0) {
		agent_note(s, "agent point %s not kept: %s", name, nc_strerror(idx));
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
	if (nc_agent_clock_estimate(a->samples, a->n_samples, &env->agent_clock_offset_ns,
				    &env->agent_clock_uncertainty_ns) >= 0) {
		env->agent_clock_known = true;
		a->offset_ns = env->agent_clock_offset_ns;
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
		agent_note(s, "capture agent: %s", rec->u.error.text);
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
	agent_note(a->s, "the capture agent stopped before the run did (%s): its points are incomplete", why);
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
	return a->dead || (a->hello && a->answered_points >= a->expected_points && a->n_samples >= AGENT_CLOCK_SAMPLES);
}

static void on_wait_timer(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Runs the loop until cond(a) or ms passed. */
static void run_until(run_state_t *s, struct nc_run_agent *a, bool (*cond)(const struct nc_run_agent *), uint64_t ms)
{
	uv_timer_t timer;
	bool expired = false;

	if (uv_timer_init(&s->loop, &timer) < 0)
		return;
	timer.data = &expired;
	uv_timer_start(&timer, on_wait_timer, ms, 0);
	while (!expired && !cond(a) && !nc_run_interrupted(s))
		uv_run(&s->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&s->loop, UV_RUN_NOWAIT); /* the timer's close callback */
}

/* The agent's command: the container's points, found on the engine's
 * side from its pid there, and the run's flows to keep. */
static void agent_command(run_state_t *s, nc_container_spec_t *spec, char *pid, size_t pid_len, char *match,
			  size_t match_len, char *ports, size_t ports_len)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	const nc_environment_t *env = nc_result_environment_const(s->result);
	char addr[64];
	size_t o = 0;

	snprintf(pid, pid_len, "%d", c->engine_pid);
	match[0] = '\0';
	if (c->ip.family != 0 && nc_endpoint_format(&c->ip, false, addr, sizeof(addr)) == 0)
		o += (size_t)snprintf(match + o, match_len - o, "%s", addr);
	if (env->host_address.family != 0 && nc_endpoint_format(&env->host_address, false, addr, sizeof(addr)) == 0 &&
	    o < match_len)
		snprintf(match + o, match_len - o, "%s%s", o ? "," : "", addr);
	snprintf(ports, ports_len, "%u", c->ip.port ? c->ip.port : 80);
	if (c->published_port != 0)
		snprintf(ports + strlen(ports), ports_len - strlen(ports), ",%u", c->published_port);
	spec->cmd[spec->n_cmd++] = "/responder";
	spec->cmd[spec->n_cmd++] = "--agent";
	spec->cmd[spec->n_cmd++] = "--snaplen";
	spec->cmd[spec->n_cmd++] = AGENT_SNAPLEN;
	if (c->engine_pid > 0) {
		spec->cmd[spec->n_cmd++] = "--container";
		spec->cmd[spec->n_cmd++] = pid;
	}
	if (match[0] != '\0') {
		spec->cmd[spec->n_cmd++] = "--match";
		spec->cmd[spec->n_cmd++] = match;
	}
	spec->cmd[spec->n_cmd++] = "--match-port";
	spec->cmd[spec->n_cmd++] = ports;
}

int nc_run_agent_start(run_state_t *s)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	nc_container_spec_t spec;
	char image[NC_NAME_MAX], name[NC_NAME_MAX];
	nc_run_owner_t owner;
	char pid[16], match[130], ports[16];
	nc_error_t err = { "" };
	struct nc_run_agent *a;
	uint64_t t0 = now_ns();
	int r;

	if (s->capture == NULL || s->agent != NULL)
		return 0;
	if (nc_run_responder_image_ref(image, sizeof(image)) < 0)
		return 0;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->s = s;
	a->fd = -1;
	for (size_t i = 0; i < AGENT_POINTS; i++)
		a->point_of[i] = -1;
	s->agent = a;

	snprintf(name, sizeof(name), "%.200s-agent", c->name[0] ? c->name : "netcheck");
	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.image = image;
	nc_run_label_spec(s, &spec, &owner);
	spec.user = "0"; /* the image runs as nobody: capabilities are root's */
	spec.network_mode = "host";
	spec.pid_mode = "host";
	spec.cap_add[spec.n_cap_add++] = "NET_RAW";
	spec.cap_add[spec.n_cap_add++] = "NET_ADMIN";
	spec.cap_add[spec.n_cap_add++] = "SYS_ADMIN";
	spec.cap_add[spec.n_cap_add++] = "SYS_PTRACE";
	spec.open_stdin = true;
	agent_command(s, &spec, pid, sizeof(pid), match, sizeof(match), ports, sizeof(ports));

	r = nc_engine_container_create(s->engine, &spec, a->id, sizeof(a->id), &err);
	if (r < 0) {
		a->id[0] = '\0';
		agent_note(s, "the engine refused the capture agent: %.300s", err.text);
		return 0;
	}
	r = nc_engine_container_attach(s->engine, a->id, &a->fd, &err);
	if (r == 0)
		r = nc_engine_container_start(s->engine, a->id, &err);
	if (r < 0) {
		agent_note(s, "the capture agent did not start: %.300s", err.text);
		return 0;
	}
	if (uv_poll_init(&s->loop, &a->poll, a->fd) < 0) {
		agent_note(s, "the capture agent's stream cannot be polled");
		return 0;
	}
	a->poll_open = true;
	a->poll.data = a;
	uv_poll_start(&a->poll, UV_READABLE | UV_DISCONNECT, on_readable);
	run_until(s, a, ready, AGENT_READY_MS);
	if (!a->hello)
		agent_note(s, "the capture agent said nothing within %d ms", AGENT_READY_MS);
	nc_run_progress(s, "capture agent on the engine's side: %u of %u points in %.0f ms%s%s", a->answered_points,
			a->expected_points, (double)(now_ns() - t0) / 1e6,
			nc_result_environment(s->result)->agent_note[0] ? ": " : "",
			nc_result_environment(s->result)->agent_note);
	return 0;
}

/* STOP: its last packets and counters follow, then BYE (nc_run_agent_done). */
void nc_run_agent_stop(run_state_t *s)
{
	struct nc_run_agent *a = s->agent;
	nc_agent_rec_t stop = { .type = NC_AGENT_STOP, .point = NC_AGENT_POINT_SELF };

	if (a == NULL || a->fd < 0 || a->dead)
		return;
	if (send_rec(a, &stop) < 0)
		agent_gone(a, "its stdin is closed");
}

bool nc_run_agent_done(run_state_t *s, bool give_up)
{
	struct nc_run_agent *a = s->agent;

	if (a == NULL || a->dead || a->fd < 0)
		return true;
	if (give_up)
		agent_gone(a, "no goodbye after STOP");
	return a->dead;
}

static void on_poll_closed(uv_handle_t *h)
{
	struct nc_run_agent *a = (struct nc_run_agent *)h; /* the poll comes first */

	close(a->fd); /* only now: libuv may still watch it until closed */
	free(a);
}

/* Removes the agent's container (also after a signal: the cancel flag is
 * set aside for it) and frees it once its poll handle is closed. */
void nc_run_agent_free(run_state_t *s)
{
	struct nc_run_agent *a = s->agent;

	if (a == NULL)
		return;
	s->agent = NULL;
	if (a->id[0] != '\0' && s->engine != NULL) {
		nc_engine_set_cancel(s->engine, NULL);
		(void)nc_engine_container_remove(s->engine, a->id, true, false, NULL);
		nc_engine_set_cancel(s->engine, s->opt->interrupted);
	}
	if (a->poll_open) {
		uv_close((uv_handle_t *)&a->poll, on_poll_closed);
		return;
	}
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}
