/* The capture stage: the points the target plans (each with its kind and
 * unique name) and its scope filter, opened at once; attribution of what
 * was seen to the paths, and the pcapng file.  Knows no target by name.
 * What the packets mean for the mechanism is classify.c's.
 * May call: capture, attribute, pcapng, platform, result.  Never prints. */
#include "run-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/attribute.h"
#include "netcheck/pcapng.h"
#include "netcheck/testing.h"

#define MAX_PACKETS 20000
/* After the last probe, capture stops once no packet came for QUIET_MS,
 * and at most GRACE_MS after it.  A probe is done when it saw its answer
 * and closed its socket: on lo, a bridge and a veth the kernel has then put
 * every packet of it in the points' rings (immediate mode: each at once),
 * read at the first look.  What may still be on its way is another
 * process's last segment (a proxy's or the responder's FIN): a packet in
 * that look means look again. */
#define QUIET_MS 2
#define GRACE_MS 10
#define AGENT_BYE_ROUNDS 100 /* of GRACE_MS: the agent's BYE after STOP */
/* netcheck capture without -s: the headers and the start of the payload.
 * Bulk streams are 64 KiB offloaded super-packets; with 16384 bytes of each
 * the file took ~1 GB/s at one TCP stream's rate and every point dropped
 * (docs/performance.md). */
#define STREAM_SNAPLEN NC_SNAPLEN
/* `netcheck capture` of a user's traffic: one TCP stream through the
 * published port at ~600 MB/s dropped nothing with this, where 2 MiB per
 * handle dropped from ~400 MB/s up (docs/performance.md) */
#define BULK_BUFFER_BYTES (16u * 1024 * 1024)

static void note(run_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(run_state_t *s, const char *fmt, ...)
{
	nc_environment_t *env = nc_result_environment(s->result);
	va_list ap;

	if (env->capture_note[0] != '\0')
		return; /* the first reason is the one that matters */
	va_start(ap, fmt);
	vsnprintf(env->capture_note, sizeof(env->capture_note), fmt, ap);
	va_end(ap);
}

/* One point to open: where, and what opening it gave.  The points of a
 * run are opened at once, each on its own thread: the kernel makes every
 * packet socket's ring wait for an RCU grace period (~10 ms here), and
 * side by side they wait for about one instead of one each. */
struct planned_point {
	const nc_capture_t *capture; /* borrowed: its settings only */
	nc_point_kind_t kind;
	char ifname[NC_IFNAME_MAX];
	char description[128];
	int netns_pid;               /* > 0: opened inside that process's network namespace */
	char owner[NC_POINT_NAME_MAX]; /* see nc_run_capture_point_t */
	char container[NC_NAME_MAX];
	const char *filter;          /* borrowed */
	/* what opening it gave */
	nc_capture_opened_t *opened; /* new, until added */
	int result;
	nc_error_t err;
	uv_thread_t thread;
	bool on_thread;
	bool ready;                  /* opened already (a spare aimed at it): no thread */
	bool ringless;               /* opened without a ring (capture-socket.c) where it can be */
};

static void plan_from(struct planned_point *p, const nc_capture_t *capture, const nc_run_capture_point_t *pt,
		      const char *filter)
{
	memset(p, 0, sizeof(*p));
	p->capture = capture;
	p->kind = pt->kind;
	snprintf(p->ifname, sizeof(p->ifname), "%s", pt->ifname);
	snprintf(p->description, sizeof(p->description), "%s", pt->description);
	p->netns_pid = pt->netns_pid;
	snprintf(p->owner, sizeof(p->owner), "%s", pt->owner);
	snprintf(p->container, sizeof(p->container), "%s", pt->container);
	p->filter = filter;
}

/* On its own thread (or the caller's): a point inside a namespace is
 * opened from inside it; the socket stays there, the thread comes back. */
static void open_planned(void *arg)
{
	struct planned_point *p = arg;
	int saved = -1;

	if (p->netns_pid > 0) {
		p->result = nc_platform_netns_enter(p->netns_pid, &saved);
		if (p->result < 0) {
			nc_error_set(&p->err, p->result, "cannot enter the network namespace of pid %d: %s",
				     p->netns_pid, nc_strerror(p->result));
			return;
		}
	}
	p->result = p->ringless ? nc_capture_open_ringless(p->capture, p->ifname, p->description, p->netns_pid > 0,
							   p->filter, &p->opened, &p->err)
				: -ENOTSUP;
	if (p->result == -ENOTSUP) /* not Ethernet: with a ring, as any point */
		p->result = nc_capture_open_point(p->capture, p->ifname, p->description, p->netns_pid > 0, p->filter,
						  &p->opened, &p->err);
	if (saved >= 0)
		(void)nc_platform_netns_leave(saved);
}

static void start_all(struct planned_point *plan, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (plan[i].ready)
			continue;
		plan[i].on_thread = uv_thread_create(&plan[i].thread, open_planned, &plan[i]) == 0;
		if (!plan[i].on_thread)
			open_planned(&plan[i]); /* no thread: this one waits alone */
	}
}

static void join_all(struct planned_point *plan, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (plan[i].on_thread)
			(void)uv_thread_join(&plan[i].thread);
	for (size_t i = 0; i < n; i++)
		plan[i].on_thread = false;
}

/* Spares: handles on "any" in this netns opened while the target is
 * prepared (a container starting takes ~250 ms), each on its own thread,
 * so that their rings' grace periods are paid then; the plan's points in
 * this netns are aimed at them (nc_capture_aim_spare) instead of opening
 * rings after the container is up.  One per point in this netns a run
 * plans at most: loopback, the bridge, the veth, the remote client's
 * veth, the default-route interface. */
#define SPARES 5

struct spare {
	const nc_capture_t *capture; /* borrowed: its settings only */
	nc_capture_opened_t *opened; /* new, until aimed or freed; NULL: it could not be opened */
	nc_error_t err;              /* why not: unused (the point then opens as without a spare) */
	uv_thread_t thread;
	bool on_thread;
};

struct run_capture_spares {
	struct spare spare[SPARES];
	size_t n;
	bool joined;
};

static void open_spare(void *arg)
{
	struct spare *sp = arg;

	(void)nc_capture_open_spare(sp->capture, &sp->opened, &sp->err);
}

void nc_run_capture_spares_begin(run_state_t *s)
{
	struct run_capture_spares *sps;

	/* the default run only: a watch opens its points every cycle, and
	 * `netcheck capture` sizes its rings otherwise */
	if (!s->opt->capture || s->bulk_capture || s->keep_privileges || s->spares != NULL || !s->loop_ready ||
	    !s->target->host_points)
		return;
	s->quick_points = true; /* whether or not a spare can be had below */
	sps = calloc(1, sizeof(*sps));
	if (sps == NULL)
		return; /* the points open as they would without */
	if (s->capture == NULL && nc_capture_new(&s->loop, MAX_PACKETS, &s->capture) < 0) {
		free(sps);
		return;
	}
	for (size_t i = 0; i < SPARES; i++) {
		struct spare *sp = &sps->spare[sps->n++];

		sp->capture = s->capture;
		sp->on_thread = uv_thread_create(&sp->thread, open_spare, sp) == 0;
		if (!sp->on_thread) {
			sps->n--;
			break;
		}
	}
	s->spares = sps;
}

static void spares_join(struct run_capture_spares *sps)
{
	if (sps == NULL || sps->joined)
		return;
	for (size_t i = 0; i < sps->n; i++)
		if (sps->spare[i].on_thread)
			(void)uv_thread_join(&sps->spare[i].thread);
	sps->joined = true;
}

/* A spare opened for this run, taken; NULL when none is left. */
static nc_capture_opened_t *spare_take(run_state_t *s)
{
	struct run_capture_spares *sps = s->spares;

	spares_join(sps);
	for (size_t i = 0; sps != NULL && i < sps->n; i++) {
		nc_capture_opened_t *o = sps->spare[i].opened;

		if (o != NULL) {
			sps->spare[i].opened = NULL;
			return o;
		}
	}
	return NULL;
}

static void close_spare(void *arg)
{
	struct spare *sp = arg;

	nc_capture_opened_free(sp->opened);
	sp->opened = NULL;
}

/* The spares not taken are closed, each on a thread of its own again:
 * closing a packet socket waits for the kernel too (a grace period), which
 * the probes need not wait for.  nc_run_capture_free() joins them. */
static void spares_release(run_state_t *s)
{
	struct run_capture_spares *sps = s->spares;

	if (sps == NULL)
		return;
	spares_join(sps);
	for (size_t i = 0; i < sps->n; i++) {
		struct spare *sp = &sps->spare[i];

		sp->on_thread = false;
		if (sp->opened == NULL)
			continue;
		sp->on_thread = uv_thread_create(&sp->thread, close_spare, sp) == 0;
		if (!sp->on_thread)
			close_spare(sp);
	}
	sps->joined = false;
}

static void spares_free(run_state_t *s)
{
	struct run_capture_spares *sps = s->spares;

	if (sps == NULL)
		return;
	spares_join(sps);
	for (size_t i = 0; i < sps->n; i++)
		nc_capture_opened_free(sps->spare[i].opened);
	free(sps);
	s->spares = NULL;
}

/* The points being opened on their threads, between
 * nc_run_capture_open_begin and _end. */
struct run_capture_opening {
	struct planned_point plan[NC_CAPTURE_MAX_POINTS];
	size_t n;
	bool stream, want_agent;
	char filter[NC_CAPTURE_FILTER_MAX]; /* the target's scope, each point's filter */
};

/* Adds one opened point; a point that could not be opened is noted and
 * skipped, except for missing privilege, which ends capture altogether.
 * Its kind and unique name go to the environment's list in the same order
 * as the capture's points. */
static int add_point(run_state_t *s, struct planned_point *p, nc_error_t *err)
{
	nc_environment_t *env = nc_result_environment(s->result);
	nc_error_t perr = p->err;
	int r = p->result;

	if (r >= 0) {
		r = nc_capture_add_opened(s->capture, p->opened, &perr);
		p->opened = NULL;
	}
	if (r >= 0) {
		if ((size_t)r < NC_ARRAY_SIZE(env->capture_points)) {
			struct nc_capture_point_summary *cp = &env->capture_points[r];

			memset(cp, 0, sizeof(*cp));
			cp->kind = p->kind;
			cp->where = p->netns_pid > 0 && (p->kind == NC_POINT_CONTAINER || p->kind == NC_POINT_PEER_CONTAINER) ?
					    NC_WHERE_CONTAINER :
					    NC_WHERE_HOST;
			nc_point_name_of(p->kind, p->ifname, p->owner, cp->name, sizeof(cp->name));
			snprintf(cp->container, sizeof(cp->container), "%s", p->container);
			snprintf(cp->description, sizeof(cp->description), "%s", p->description);
			if ((size_t)r + 1 > env->n_capture_points)
				env->n_capture_points = (size_t)r + 1;
		}
		return r;
	}
	if (r == -EPERM || r == -EACCES) {
		nc_error_set(err, -EPERM, "packet capture needs CAP_NET_RAW%s: %s",
			     p->netns_pid > 0 ? " and CAP_SYS_ADMIN" : "", perr.text[0] ? perr.text : nc_strerror(r));
		return -EPERM;
	}
	nc_error_set(err, r, "%s: %s", p->ifname, perr.text[0] ? perr.text : nc_strerror(r));
	return r; /* the caller notes it and goes on */
}

static void on_capture_end(nc_capture_t *c, int status, void *data)
{
	run_state_t *s = data;

	(void)c;
	if (status == 0)
		nc_result_environment(s->result)->capture_count_reached = true;
	s->capture_ended = true; /* the watchdog stops the capture */
}

/* What the target plans, between the two points every run on this host
 * has: loopback (the published-port probes to local addresses) first, the
 * default-route interface (nothing for the container should appear
 * there) last.  The user's filter binds to the whole scope:
 * "(scope) and (user)".  *ret: new. */
static int plan_capture(run_state_t *s, nc_run_capture_plan_t **ret, nc_error_t *err)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_run_capture_plan_t *tp = calloc(1, sizeof(*tp));
	int r;

	*ret = NULL;
	if (tp == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	nc_run_plan_point(tp, NC_POINT_LOOPBACK, "lo", "loopback", 0);
	r = s->target->plan_capture(s, s->target_state, tp, err);
	if (r == 0 && tp->none == NULL && s->opt->capture_filter != NULL && s->opt->capture_filter[0] != '\0') {
		char scope[NC_CAPTURE_FILTER_MAX];

		snprintf(scope, sizeof(scope), "%s", tp->filter);
		r = snprintf(tp->filter, sizeof(tp->filter), "(%s) and (%s)", scope, s->opt->capture_filter);
		r = r < 0 || (size_t)r >= sizeof(tp->filter) ? -ENOSPC : 0;
		if (r < 0)
			nc_error_set(err, r, "capture filter: %s", nc_strerror(r));
	}
	if (r < 0) {
		free(tp);
		return r;
	}
	if (env->host_interface[0] != '\0' && strcmp(env->host_interface, "lo") != 0)
		nc_run_plan_point(tp, NC_POINT_DEFAULT_ROUTE, env->host_interface,
				  "default-route interface (should carry none of this run)", 0);
	*ret = tp;
	return 0;
}

/* The plan's points in this netns get the spares opened while the target
 * was prepared; a spare that cannot be aimed is closed and its point
 * opened on a thread as without one.  The rest are closed now. */
static void aim_spares(run_state_t *s, struct run_capture_opening *op)
{
	for (size_t i = 0; i < op->n; i++) {
		struct planned_point *p = &op->plan[i];
		nc_capture_opened_t *o;

		/* the points in another netns exist only now: no ring to wait for */
		p->ringless = p->netns_pid > 0 && s->quick_points;
		if (p->netns_pid > 0 || (o = spare_take(s)) == NULL)
			continue;
		if (nc_capture_aim_spare(o, p->ifname, p->description, p->filter, &p->err) < 0) {
			nc_capture_opened_free(o);
			p->err.text[0] = '\0';
			continue;
		}
		p->opened = o;
		p->result = 0;
		p->ready = true;
	}
	spares_release(s);
}

int nc_run_capture_open_begin(run_state_t *s, nc_error_t *err)
{
	nc_environment_t *env = nc_result_environment(s->result);
	bool stream = s->bulk_capture && s->opt->pcap_fd >= 0;
	bool want_agent = nc_run_agent_wanted(s);
	struct run_capture_opening *op;
	nc_run_capture_plan_t *tp = NULL;
	int r;

	if (!s->opt->capture) {
		note(s, "--no-capture");
		return 0;
	}
	env->n_capture_points = 0;
	r = plan_capture(s, &tp, err);
	if (r < 0 || tp->none != NULL) {
		spares_release(s);
		nc_capture_free(s->capture); /* made with the spares (their settings only) */
		s->capture = NULL;
	}
	if (r < 0)
		return r;
	if (tp->none != NULL) {
		note(s, "%s", tp->none);
		free(tp);
		return 0;
	}
	s->capture_container6 = tp->container6;
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		free(tp);
		spares_release(s);
		return nc_error_set(err, -ENOMEM, "out of memory");
	}
	/* streaming keeps nothing: memory stays bounded however long it runs;
	 * the default run's capture was made with its spares */
	r = s->capture != NULL ? 0 : nc_capture_new(&s->loop, stream ? 0 : MAX_PACKETS, &s->capture);
	if (r < 0) {
		free(tp);
		free(op);
		spares_release(s);
		return nc_error_set(err, r, "capture: %s", nc_strerror(r));
	}
	if (s->bulk_capture)
		(void)nc_capture_set_buffer_size(s->capture, BULK_BUFFER_BYTES);
	if (stream) {
		uint32_t snaplen = s->opt->capture_snaplen ? s->opt->capture_snaplen : STREAM_SNAPLEN;

		if (nc_capture_set_snaplen(s->capture, snaplen) < 0 ||
		    nc_capture_set_packet_cb(s->capture, nc_run_capture_stream_packet, s) < 0 ||
		    nc_capture_set_limit(s->capture, s->opt->capture_count, on_capture_end, s) < 0) {
			nc_capture_free(s->capture);
			s->capture = NULL;
			free(tp);
			free(op);
			return nc_error_set(err, -EINVAL, "snaplen must be %d..%d, not %u", NC_CAPTURE_SNAPLEN_MIN,
					    NC_CAPTURE_SNAPLEN_MAX, snaplen);
		}
	}
	for (size_t k = 0; k < tp->n_points; k++) {
		nc_point_kind_t kind = tp->points[k].kind;

		/* the agent captures the engine's side: its bridge, the veth, eth0 */
		if (want_agent && (kind == NC_POINT_BRIDGE || kind == NC_POINT_VETH || kind == NC_POINT_CONTAINER))
			continue;
		plan_from(&op->plan[op->n++], s->capture, &tp->points[k], op->filter);
	}
	op->stream = stream;
	op->want_agent = want_agent;
	/* the filter is compiled into each point on its thread: op keeps it */
	snprintf(op->filter, sizeof(op->filter), "%s", tp->filter);
	free(tp);
	aim_spares(s, op);
	start_all(op->plan, op->n);
	s->capture_opening = op;
	return 0;
}

/* Waits for the points' threads; a point that could not be opened is
 * noted and skipped, except for missing privilege, which ends capture
 * altogether; then capture starts reading (and the agent, if wanted). */
int nc_run_capture_open_end(run_state_t *s, nc_error_t *err)
{
	nc_environment_t *env = nc_result_environment(s->result);
	struct run_capture_opening *op = s->capture_opening;
	struct planned_point *plan;
	nc_error_t perr = { "" };
	bool denied = false; /* no privilege to capture, rather than a failure */
	bool want_agent;
	size_t i = 0, n;
	int r;

	if (op == NULL)
		return 0;
	s->capture_opening = NULL;
	join_all(op->plan, op->n);
	plan = op->plan;
	n = op->n;
	for (i = 0; i < n; i++) {
		r = add_point(s, &plan[i], &perr);
		if (r >= 0)
			continue;
		if (plan[i].kind == NC_POINT_LOOPBACK && r != -EPERM)
			goto fail_point;
		if (plan[i].kind == NC_POINT_CONTAINER && r == -EPERM)
			/* entering the namespace needs CAP_SYS_ADMIN: the other points still count */
			note(s, "%s in the container not captured: %s", plan[i].ifname, perr.text);
		else if (r == -EPERM && plan[i].kind != NC_POINT_PEER_CONTAINER)
			goto no_privilege;
	}
	if (op->stream) {
		r = nc_run_capture_open_writer(s, &s->stream, s->stream_ids, err);
		if (r < 0) {
			nc_capture_free(s->capture);
			s->capture = NULL;
			free(op);
			return r;
		}
	}
	r = nc_capture_start(s->capture);
	if (r < 0) {
		nc_error_set(&perr, r, "%s", nc_strerror(r));
		goto fail_point;
	}
	s->capture_running = true;
	want_agent = op->want_agent;
	free(op);
	if (s->target->start_agents != NULL) {
		if (s->opt->capture_via != NC_CAPTURE_VIA_HOST)
			return s->target->start_agents(s, s->target_state);
		snprintf(env->agent_note, sizeof(env->agent_note), "--capture-via host: no capture agent on the engines' side");
		return 0;
	}
	return want_agent ? nc_run_agent_start(s) : 0;

no_privilege:
	denied = true;
	r = -EPERM;
fail_point: /* no capture at all: the run goes on without it, unless it was required */
	for (; i < n; i++)
		nc_capture_opened_free(plan[i].opened);
	free(op);
	nc_capture_free(s->capture);
	s->capture = NULL;
	env->n_capture_points = 0;
	if (s->opt->require_capture)
		return nc_error_set(err, r, denied ? "%s (--require-capture)" : "capture failed: %s", perr.text);
	note(s, "%s", perr.text);
	return 0;
}

static void on_capture_stopped(nc_capture_t *c, void *data)
{
	run_state_t *s = data;

	(void)c;
	s->capture_running = false;
}

static void on_grace(uv_timer_t *t)
{
	run_state_t *s = t->data;
	uint64_t read = nc_capture_read_ready(s->capture);

	if (read != s->grace_read && nc_run_now_ms() - s->grace_start_ms < GRACE_MS) {
		s->grace_read = read;
		uv_timer_start(t, on_grace, QUIET_MS, 0);
		return;
	}
	/* the agent's last packets come over its stream: wait for its BYE */
	if (!nc_run_agent_done(s, s->grace_rounds >= AGENT_BYE_ROUNDS)) {
		s->grace_rounds++;
		uv_timer_start(t, on_grace, GRACE_MS, 0);
		return;
	}
	uv_close((uv_handle_t *)t, NULL);
	nc_run_witness_collect(s); /* the trace's and the drops' last events are in too */
	if (s->capture != NULL && nc_capture_stop(s->capture, on_capture_stopped, s) < 0)
		s->capture_running = false;
	/* Every packet and count is read now.  The packet sockets close in
	 * the thread pool (each waits for the kernel, ~2 RCU grace periods):
	 * the run goes on meanwhile, the container's removal included, and
	 * teardown's loop waits for them. */
	uv_stop(t->loop);
}

/* Stops capture once the points are quiet (QUIET_MS, GRACE_MS); with an
 * agent, after GRACE_MS and its BYE.  Once only. */
void nc_run_capture_finish(run_state_t *s)
{
	if (s->capture == NULL || !s->capture_running || s->capture_stopping)
		return;
	s->capture_stopping = true;
	nc_run_agent_stop(s);
	if (uv_timer_init(&s->loop, &s->grace) == 0) {
		s->grace.data = s;
		/* what the rings hold now: the look after QUIET_MS sees what came since */
		s->grace_read = nc_capture_read_ready(s->capture);
		s->grace_start_ms = nc_run_now_ms();
		/* an agent's points are remote: their last packets may still be on their way */
		uv_timer_start(&s->grace, on_grace, s->n_agents > 0 ? GRACE_MS : QUIET_MS, 0);
	} else {
		nc_run_witness_collect(s);
		(void)nc_run_agent_done(s, true);
		if (nc_capture_stop(s->capture, on_capture_stopped, s) < 0)
			s->capture_running = false;
	}
}

static void summarise_points(run_state_t *s)
{
	nc_environment_t *env = nc_result_environment(s->result);
	size_t n_points = nc_capture_point_count(s->capture), n;
	const nc_packet_t *pkts = nc_capture_packets(s->capture, &n);

	for (size_t i = 0; i < n_points && i < env->n_capture_points; i++) {
		const nc_capture_point_info_t *pi = nc_capture_point(s->capture, i);
		struct nc_capture_point_summary *cp = &env->capture_points[i];

		cp->received = pi->received;
		cp->dropped = pi->dropped;
		cp->not_stored = pi->not_stored;
		cp->packets = 0;
		if (s->stream != NULL) {
			/* nothing was stored: every packet read went to the file or was refused */
			cp->packets = pi->written;
			cp->not_stored = pi->not_stored - pi->written;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if (pkts[k].point == i)
				cp->packets++;
	}
}

/* The local address of the direct TCP probe of that family: the host's
 * address on the route to the container.  Unset when there is none. */
static nc_endpoint_t direct_local(const nc_result_t *result, int family)
{
	nc_endpoint_t none = { 0 };

	for (size_t i = 0; i < nc_result_path_count(result); i++) {
		const nc_path_t *p = nc_result_path_const(result, i);

		if (nc_path_kind_is_direct(p->kind) && !nc_path_kind_from_container(p->kind) &&
		    nc_path_kind_proto(p->kind) == NC_PROTO_TCP &&
		    p->local.family == family && nc_endpoint_is_set(&p->local))
			return p->local;
	}
	return none;
}

static bool on_its_way(const nc_environment_t *env, const nc_path_t *p, uint32_t point)
{
	return point >= env->n_capture_points || nc_attribute_point_on_way(env->capture_points[point].kind, p->kind);
}

/* netcheck's own control packets per point: counted apart from the paths' */
static void count_control(run_state_t *s, const nc_packet_t *pkts, size_t n, const nc_leg_t *leg_of)
{
	nc_environment_t *env = nc_result_environment(s->result);

	for (size_t i = 0; i < n; i++)
		if (leg_of[i] == NC_LEG_CONTROL && pkts[i].point < env->n_capture_points)
			env->capture_points[pkts[i].point].control_packets++;
}

int nc_run_capture_evidence(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_attr_probe_t probes[NC_MAX_PATHS];
	int path_of_probe[NC_MAX_PATHS];
	const char *names[NC_CAPTURE_MAX_POINTS];
	const nc_packet_t *pkts;
	size_t n, n_probes = 0, n_points;
	int *probe_of = NULL, *own_of = NULL; /* owned */
	nc_leg_t *leg_of = NULL;
	int r = 0;

	if (s->capture == NULL)
		return 0;
	summarise_points(s);
	if (s->stream != NULL)
		return nc_run_capture_stream_close(s, err);
	(void)nc_capture_sort_by_time(s->capture);
	pkts = nc_capture_packets(s->capture, &n);
	n_points = nc_capture_point_count(s->capture);
	for (size_t i = 0; i < n_points && i < NC_CAPTURE_MAX_POINTS; i++)
		names[i] = i < env->n_capture_points ? env->capture_points[i].name : NULL;

	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);
		nc_attr_probe_t *a = &probes[n_probes];

		if (p->verdict == NC_VERDICT_UNROUTABLE || p->verdict == NC_VERDICT_SKIPPED)
			continue;
		memset(a, 0, sizeof(*a));
		switch (nc_path_kind_proto(p->kind)) {
		case NC_PROTO_ICMP:
			a->proto = p->target.family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
			break;
		case NC_PROTO_UDP:
			a->proto = IPPROTO_UDP;
			break;
		default:
			a->proto = IPPROTO_TCP;
			break;
		}
		a->local = p->local;
		if (a->proto != IPPROTO_TCP && a->proto != IPPROTO_UDP)
			a->local.family = 0; /* any source: only the echo id matters */
		a->dialled = p->target;
		/* a direct path reaches the address it dialled; a published one
		 * the container's address behind the port */
		a->container = nc_path_kind_is_direct(p->kind) ? p->target
			       : nc_endpoint_is_set(&p->container_ip) ? p->container_ip
								    : c->ip;
		/* docker-proxy's [::] listener forwards to the container's IPv6
		 * address when it has one */
		if (!nc_path_kind_is_direct(p->kind) && p->target.family == AF_INET6 && s->capture_container6.family != 0)
			a->container = s->capture_container6;
		if (!nc_path_kind_is_direct(p->kind))
			a->container.port = p->container_port ? p->container_port : c->ip.port;
		/* the nonce also rides the relay's control connection to the
		 * responder: that connection is leg control, and no proxy leg is
		 * looked for on paths that start in a container */
		a->nonce = p->nonce;
		a->relayed = nc_path_kind_from_container(p->kind);
		/* a forwarder connects from the host's address on the route to
		 * the container, as the direct probe of that family does */
		if (!nc_path_kind_is_direct(p->kind))
			a->forwarder_from = direct_local(s->result, a->container.family);
		path_of_probe[n_probes++] = (int)i;
	}
	if (n > 0) {
		probe_of = calloc(n, sizeof(*probe_of));
		leg_of = calloc(n, sizeof(*leg_of));
		if (probe_of == NULL || leg_of == NULL) {
			r = -ENOMEM;
			goto out;
		}
		r = nc_attribute(pkts, n, probes, n_probes, probe_of, leg_of);
		if (r < 0)
			goto out;
		count_control(s, pkts, n, leg_of);
	}
	if (n > 0 && (own_of = malloc(n * sizeof(*own_of))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < n_probes; k++) {
		nc_path_t *p = nc_result_path(s->result, (size_t)path_of_probe[k]);

		/* the bridge floods a frame whose destination it has not learnt
		 * yet to every port: a path from the host seen on the peer's
		 * points was flooded there, and is no hop of its way */
		for (size_t i = 0; i < n; i++)
			own_of[i] = on_its_way(env, p, pkts[i].point) ? probe_of[i] : -1;
		r = nc_attribute_fill_path(p, (int)k, pkts, n, own_of, leg_of, names, n_points);
		if (r < 0)
			goto out;
	}
	r = 0;
	if (s->opt->pcap_fd >= 0)
		r = nc_run_capture_write_pcap(s, pkts, n, probe_of, leg_of, path_of_probe, err);
out:
	free(probe_of);
	free(own_of);
	free(leg_of);
	if (r == -ENOMEM)
		nc_error_set(err, r, "out of memory attributing %zu packets", n);
	return r;
}

/* Points opened but never added (a run stopped between _begin and _end). */
static void forget_opening(run_state_t *s)
{
	struct run_capture_opening *op = s->capture_opening;

	if (op == NULL)
		return;
	join_all(op->plan, op->n);
	for (size_t i = 0; i < op->n; i++)
		nc_capture_opened_free(op->plan[i].opened);
	free(op);
	s->capture_opening = NULL;
}

int nc_run_capture_open(run_state_t *s, nc_error_t *err)
{
	int r = nc_run_capture_open_begin(s, err);

	return r < 0 ? r : nc_run_capture_open_end(s, err);
}

void nc_run_capture_free(run_state_t *s)
{
	spares_free(s);
	forget_opening(s);
	nc_run_agent_free(s);
	nc_capture_free(s->capture);
	s->capture = NULL;
	nc_pcapng_free(s->stream);
	s->stream = NULL;
}
