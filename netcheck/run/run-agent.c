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
	nc_engine_t *engine;         /* borrowed: the engine it runs through (s->engine, or a swarm node's) */
	char node_id[80];            /* --swarm: the node it captures on; "" otherwise */
	char node_name[NC_NAME_MAX]; /* --swarm: names its points "<ifname>@<node>" */
	uint64_t started_ns;         /* when it was asked for: its time to ready */
	/* the request (nc_run_agent_launch), made on a thread of its own
	 * (nc_run_agent_wait): the spec points into the strings below */
	bool requested;
	nc_container_spec_t spec;
	char image[NC_NAME_MAX], name[NC_NAME_MAX];
	nc_run_owner_t owner;        /* the labels' values */
	char args[1024];
	char shared_mode[16 + sizeof(((nc_container_t *)0)->id)]; /* rootless: "container:<the target's id>" (share_target_namespaces) */
	int make_r;                  /* what making it gave: 0 or a negative errno */
	const char *make_step;       /* static: the step that failed */
	nc_error_t make_err;
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
	va_list ap;

	/* every reason, in order: each point may fail for its own */
	va_start(ap, fmt);
	nc_run_note_vappend(env->agent_note, sizeof(env->agent_note), fmt, ap);
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

static bool all_ready(const void *data)
{
	const run_state_t *s = data;

	for (size_t i = 0; i < s->n_agents; i++)
		if (!ready(s->agents[i]))
			return false;
	return true;
}

/* A rootless engine's "host" pid namespace is this host's (rootlesskit
 * makes none), which its user namespace may not mount a /proc for: runc
 * fails with EPERM.  The target's own pid namespace is the engine's to
 * give, and is all the agent needs to enter the target's network. */
static bool in_target_pids(const run_state_t *s)
{
	return nc_result_environment_const(s->result)->rootless && nc_result_container_const(s->result)->id[0] != '\0';
}

/* Rootless Podman's "host" network is the user's own namespace, where
 * its user namespace may not capture (no CAP_NET_RAW there) and from
 * which the container's namespace, once entered, cannot be left; its
 * bridge is in a namespace of Podman's that no container joins.  The
 * agent shares the target's network instead: eth0 and lo inside it. */
static bool in_target_network(const run_state_t *s)
{
	return in_target_pids(s) && nc_result_environment_const(s->result)->kind == NC_ENV_ROOTLESS_PODMAN;
}

static void share_target_namespaces(run_state_t *s, struct nc_run_agent *a)
{
	snprintf(a->shared_mode, sizeof(a->shared_mode), "container:%s", nc_result_container_const(s->result)->id);
	a->spec.pid_mode = a->shared_mode;
	if (!in_target_network(s))
		return;
	a->spec.network_mode = a->shared_mode;
	agent_note(s, "rootless Podman: the agent shares the container's network (Podman's host network is this "
		      "host's, where it may not capture; its bridge's namespace no container joins)");
}

/* The agent's command: the container's points, found on the engine's
 * side from its pid there (rootless: pid 1 of the target's own pid
 * namespace, which the agent shares), and the run's flows to keep. */
static void agent_command(run_state_t *s, nc_container_spec_t *spec, char *pid, size_t pid_len, char *match,
			  size_t match_len, char *ports, size_t ports_len)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	const nc_environment_t *env = nc_result_environment_const(s->result);
	char addr[64];
	size_t o = 0;

	snprintf(pid, pid_len, "%d", in_target_pids(s) ? 1 : c->engine_pid);
	match[0] = '\0';
	if (c->ip.family != 0 && nc_endpoint_format(&c->ip, false, addr, sizeof(addr)) == 0)
		o += (size_t)snprintf(match + o, match_len - o, "%s", addr);
	if (env->host_address.family != 0 && nc_endpoint_format(&env->host_address, false, addr, sizeof(addr)) == 0 &&
	    o < match_len)
		snprintf(match + o, match_len - o, "%s%s", o ? "," : "", addr);
	snprintf(ports, ports_len, "%u", c->ip.port ? c->ip.port : 80);
	if (c->published_port != 0)
		snprintf(ports + strlen(ports), ports_len - strlen(ports), ",%u", c->published_port);
	if (c->engine_pid > 0 || in_target_pids(s)) {
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

int nc_run_agent_launch(run_state_t *s, nc_engine_t *e, const char *image, const char *const *args, size_t n_args,
			const char *node_id, const char *node_name)
{
	const nc_container_t *c = nc_result_container_const(s->result);
	struct nc_run_agent *a;
	nc_container_spec_t *spec;
	size_t o = 0;

	if (s->capture == NULL || s->n_agents >= NC_ARRAY_SIZE(s->agents) || n_args + 4 > NC_ENGINE_MAX_ARGS)
		return 0;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->s = s;
	a->engine = e;
	a->fd = -1;
	a->dead = true; /* until its stream is polled: nothing to wait for */
	a->started_ns = now_ns();
	for (size_t i = 0; i < AGENT_POINTS; i++)
		a->point_of[i] = -1;
	snprintf(a->node_id, sizeof(a->node_id), "%s", node_id != NULL ? node_id : "");
	snprintf(a->node_name, sizeof(a->node_name), "%s", node_name != NULL ? node_name : "");
	s->agents[s->n_agents++] = a;

	/* one per engine: a swarm node's engine holds only this run's one */
	if (node_id != NULL)
		snprintf(a->name, sizeof(a->name), "netcheck-%.100s-agent", c->run_id);
	else
		snprintf(a->name, sizeof(a->name), "%.200s-agent", c->name[0] ? c->name : "netcheck");
	snprintf(a->image, sizeof(a->image), "%s", image);
	spec = &a->spec;
	spec->name = a->name;
	spec->image = a->image;
	nc_run_label_spec(s, spec, &a->owner);
	spec->user = "0"; /* the image runs as nobody: capabilities are root's */
	spec->network_mode = "host";
	spec->pid_mode = "host";
	spec->cap_add[spec->n_cap_add++] = "NET_RAW";
	spec->cap_add[spec->n_cap_add++] = "NET_ADMIN";
	spec->cap_add[spec->n_cap_add++] = "SYS_ADMIN";
	spec->cap_add[spec->n_cap_add++] = "SYS_PTRACE";
	spec->open_stdin = true;
	spec->cmd[spec->n_cmd++] = "/responder";
	spec->cmd[spec->n_cmd++] = "--agent";
	spec->cmd[spec->n_cmd++] = "--snaplen";
	spec->cmd[spec->n_cmd++] = AGENT_SNAPLEN;
	/* the arguments are the caller's for this call only: copied */
	for (size_t i = 0; i < n_args; i++) {
		size_t n = strlen(args[i]) + 1;

		if (o + n > sizeof(a->args)) {
			agent_note(s, "the capture agent's arguments on %s are too long", node_name ? node_name : "the engine");
			return 0;
		}
		memcpy(a->args + o, args[i], n);
		spec->cmd[spec->n_cmd++] = a->args + o;
		o += n;
	}
	a->requested = true;
	return 0;
}

/* On its own thread (each agent's engine is its own): created, attached,
 * started.  Several nodes' agents start side by side, in the time of the
 * slowest instead of the sum. */
static void make_container(void *arg)
{
	struct nc_run_agent *a = arg;

	a->make_step = "refused the capture agent";
	/* not cut short by a signal: the engine may have made the container
	 * before its answer (the id) was read, and teardown removes only what
	 * it knows (seen: SIGINT during create left the agent on a node).  A
	 * create is one short call; attach and start stay cancellable. */
	nc_engine_set_cancel(a->engine, NULL);
	a->make_r = nc_engine_container_create(a->engine, &a->spec, a->id, sizeof(a->id), &a->make_err);
	nc_engine_set_cancel(a->engine, a->s->opt->interrupted);
	if (a->make_r < 0) {
		a->id[0] = '\0';
	} else {
		a->make_step = "did not start the capture agent";
		a->make_r = nc_engine_container_attach(a->engine, a->id, &a->fd, &a->make_err);
		if (a->make_r == 0)
			a->make_r = nc_engine_container_start(a->engine, a->id, &a->make_err);
	}
	nc_engine_set_cancel(a->engine, a->s->opt->interrupted);
}

/* Runs fn(agent) for each agent that wants it, each on a thread of its
 * own, and waits for them all. */
static void each_on_thread(run_state_t *s, bool (*wants)(const struct nc_run_agent *), void (*fn)(void *))
{
	uv_thread_t threads[NC_ARRAY_SIZE(s->agents)];
	bool on_thread[NC_ARRAY_SIZE(s->agents)];

	for (size_t i = 0; i < s->n_agents; i++) {
		on_thread[i] = false;
		if (!wants(s->agents[i]))
			continue;
		on_thread[i] = uv_thread_create(&threads[i], fn, s->agents[i]) == 0;
		if (!on_thread[i])
			fn(s->agents[i]); /* no thread: this one waits alone */
	}
	for (size_t i = 0; i < s->n_agents; i++)
		if (on_thread[i])
			(void)uv_thread_join(&threads[i]);
}

static bool to_make(const struct nc_run_agent *a)
{
	return a->requested;
}

/* --image, or a user's container: the responder image was not needed for
 * the target, and is for its agent.  Loaded here, on the loop's thread
 * (a swarm node's agent has it from the run's own load). */
static void load_image_and_make(run_state_t *s, struct nc_run_agent *a)
{
	if (a->make_r != NC_ENOIMAGE || a->node_id[0] != '\0' || a->engine != s->engine)
		return;
	if (nc_run_ensure_responder_image(s, 0, &a->make_err) < 0) {
		a->make_step = "could not load the capture agent's image";
		return;
	}
	make_container(a);
}

void nc_run_agent_wait(run_state_t *s)
{
	for (size_t i = 0; i < s->n_agents && nc_run_interrupted(s); i++)
		s->agents[i]->requested = false; /* interrupted already: none made */
	each_on_thread(s, to_make, make_container);
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];
		const char *who = a->node_name[0] ? a->node_name : "the engine's side";

		if (!a->requested)
			continue;
		a->requested = false;
		load_image_and_make(s, a);
		if (a->make_r < 0) {
			agent_note(s, "the engine%s%.60s %s: %.300s", a->node_name[0] ? " of " : "", a->node_name,
				   a->make_step, a->make_err.text);
			continue;
		}
		if (uv_poll_init(&s->loop, &a->poll, a->fd) < 0) {
			agent_note(s, "the capture agent's stream on %s cannot be polled", who);
			continue;
		}
		a->dead = false;
		a->poll_open = true;
		a->poll.data = a;
		uv_poll_start(&a->poll, UV_READABLE | UV_DISCONNECT, on_readable);
	}
	(void)nc_run_loop_until(s, all_ready, s, AGENT_READY_MS, true);
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];
		const char *who = a->node_name[0] ? a->node_name : "the engine's side";

		if (a->poll_open && !a->hello)
			agent_note(s, "the capture agent on %s said nothing within %d ms", who, AGENT_READY_MS);
		nc_run_progress(s, "capture agent on %s: %u of %u points in %.0f ms", who, a->answered_points,
				a->expected_points, (double)(now_ns() - a->started_ns) / 1e6);
	}
	if (nc_result_environment(s->result)->agent_note[0] != '\0')
		nc_run_progress(s, "capture agent: %s", nc_result_environment(s->result)->agent_note);
}

int nc_run_agent_start(run_state_t *s)
{
	nc_container_spec_t spec; /* its cmd only: the agent's arguments */
	char image[NC_NAME_MAX], pid[16], match[130], ports[16];
	int r;

	if (s->capture == NULL || s->n_agents > 0)
		return 0;
	if (nc_run_responder_image_ref(image, sizeof(image)) < 0)
		return 0;
	memset(&spec, 0, sizeof(spec));
	agent_command(s, &spec, pid, sizeof(pid), match, sizeof(match), ports, sizeof(ports));
	r = nc_run_agent_launch(s, s->engine, image, spec.cmd, spec.n_cmd, NULL, NULL);
	if (r < 0)
		return r;
	if (s->n_agents > 0 && in_target_pids(s))
		share_target_namespaces(s, s->agents[s->n_agents - 1]);
	nc_run_agent_wait(s);
	return 0;
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

static bool to_remove(const struct nc_run_agent *a)
{
	return a->id[0] != '\0' && a->engine != NULL;
}

/* On its own thread: the container removed (also after a signal: the
 * cancel flag is set aside for it). */
static void remove_container(void *arg)
{
	struct nc_run_agent *a = arg;

	nc_engine_set_cancel(a->engine, NULL);
	/* an agent ending by itself meanwhile (STOP, its stream gone) makes
	 * rootless Podman refuse once, and then the target too, whose
	 * namespaces it shares: the policy tries such a refusal again */
	(void)nc_run_remove_container(a->engine, a->id, false);
	nc_engine_set_cancel(a->engine, a->s->opt->interrupted);
	a->id[0] = '\0';
}

void nc_run_agent_remove(run_state_t *s)
{
	each_on_thread(s, to_remove, remove_container);
}

/* Removes every agent's container, side by side, and frees each once its
 * poll handle is closed.  Their engines are still connected: the target's
 * teardown frees them after this. */
void nc_run_agent_free(run_state_t *s)
{
	each_on_thread(s, to_remove, remove_container);
	for (size_t i = 0; i < s->n_agents; i++) {
		struct nc_run_agent *a = s->agents[i];

		if (a->poll_open) {
			uv_close((uv_handle_t *)&a->poll, on_poll_closed);
			continue;
		}
		if (a->fd >= 0)
			close(a->fd);
		free(a);
	}
	s->n_agents = 0;
}
