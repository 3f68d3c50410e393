/* The IPv6 readiness wait before the probes.  An IPv6 address in
 * duplicate address detection (IFA_F_TENTATIVE) is not used by the kernel:
 * a new user network's bridge keeps its addresses tentative until its
 * first container attaches, and DAD then takes a second or more, so the
 * first run's IPv6 probes would time out on a path that works a moment
 * later.  So before the first probe, the global addresses on the route of
 * every IPv6 path (the host's on the interface the route takes, the
 * container's in its namespace) are read again on a timer of the run's loop, until
 * none is tentative, one failed DAD (IFA_F_DADFAILED: it never will be
 * usable), or the bound (3 s; NETCHECK_IPV6_WAIT_MS, 0-3000, for tests)
 * passes.  What was seen goes into the environment (the report) and to
 * the policy (address-not-ready).  The sockets are opened while
 * privileged (entering the container's namespace needs it) and read
 * without.  May call: platform, result. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READY_BOUND_MS 3000
#define READY_POLL_MS 20       /* DAD takes ~1 s (one probe, RetransTimer 1 s): 50 dumps at most a second */
#define READY_HOST_IFS_MAX 8
#define READY_READ_MAX 64      /* addresses read of one namespace per dump */

struct run_ready {
	run_state_t *s;                    /* borrowed */
	nc_platform_addrs_t *host;         /* owned; NULL: not read */
	nc_platform_addrs_t *container;    /* owned; NULL: not read */
	int host_ifs[READY_HOST_IFS_MAX];  /* the interfaces the IPv6 routes take here */
	size_t n_host_ifs;
	uint64_t start_ns;
	uv_timer_t timer;
	bool timer_ready;
	int named_rank;                    /* of the address named this poll (name()); -1 none yet */
	void (*then)(run_state_t *s);      /* the probes' start, once the wait is over */
};

static unsigned bound_ms(void)
{
	const char *v = getenv("NETCHECK_IPV6_WAIT_MS");
	char *end;
	unsigned long n;

	if (v == NULL || v[0] == '\0')
		return READY_BOUND_MS;
	n = strtoul(v, &end, 10);
	return *end == '\0' && n <= READY_BOUND_MS ? (unsigned)n : READY_BOUND_MS;
}

static void error_note(nc_addr_readiness_t *r, const char *what, int err)
{
	nc_run_note_append(r->error, sizeof(r->error), "%s: %s", what, nc_strerror(err));
}

static void add_host_if(struct run_ready *w, const nc_endpoint_t *dst)
{
	nc_route_t rt;

	if (nc_platform_route_get(dst, &rt) < 0 || rt.kind != NC_ROUTE_ON_LINK || rt.via_default ||
	    strcmp(rt.ifname, "lo") == 0)
		return;
	for (size_t i = 0; i < w->n_host_ifs; i++)
		if (w->host_ifs[i] == rt.ifindex)
			return;
	if (w->n_host_ifs < READY_HOST_IFS_MAX)
		w->host_ifs[w->n_host_ifs++] = rt.ifindex;
}

/* The address's record in the report, made at its first sight: only then
 * is its interface named (src: where it was read), a netlink request. */
static nc_addr_state_t *state_of(nc_addr_readiness_t *r, nc_platform_addrs_t *src, const nc_platform_addr_t *a,
				 bool container)
{
	char ifname[NC_IFNAME_MAX];
	nc_addr_state_t *st;

	for (size_t i = 0; i < r->n_addresses; i++)
		if (r->addresses[i].container == container && nc_endpoint_addr_equal(&r->addresses[i].address, &a->address))
			return &r->addresses[i];
	if (r->n_addresses == NC_READY_ADDRS_MAX) {
		r->addresses_cut = true;
		return NULL;
	}
	st = &r->addresses[r->n_addresses++];
	st->address = a->address;
	(void)nc_platform_addrs_ifname(src, a->ifindex, ifname); /* "ifN" when it cannot be named */
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	st->container = container;
	st->first_flags = a->flags;
	st->was_tentative = a->tentative;
	st->ready_ms = -1;
	return st;
}

/* The address the report and the diagnosis name: of this poll's
 * tentative (or failed) ones a failed one first, then a global one (what
 * routes lead to) over a link-local one. */
static void name(struct run_ready *w, const nc_addr_state_t *st, bool global, bool failed)
{
	nc_addr_readiness_t *r = &nc_result_environment(w->s->result)->ipv6_ready;
	int rank = (failed ? 2 : 0) + (global ? 1 : 0);

	if (w->named_rank >= rank)
		return;
	w->named_rank = rank;
	r->address = st->address;
	snprintf(r->ifname, sizeof(r->ifname), st->container ? "%.16s@container" : "%s", st->ifname);
	r->flags = st->flags;
}

/* One dump of one side.  Returns how many of its addresses are still
 * tentative; *failed set when one failed DAD. */
static size_t poll_side(struct run_ready *w, bool container, double now_ms, bool *failed)
{
	nc_addr_readiness_t *r = &nc_result_environment(w->s->result)->ipv6_ready;
	nc_platform_addrs_t *a = container ? w->container : w->host;
	nc_platform_addr_t addrs[READY_READ_MAX];
	size_t n = 0, pending = 0;
	int e;

	if (a == NULL || (!container && w->n_host_ifs == 0))
		return 0;
	e = nc_platform_addrs_read(a, AF_INET6, container ? NULL : w->host_ifs, container ? 0 : w->n_host_ifs, addrs,
				   NC_ARRAY_SIZE(addrs), &n);
	if (e < 0 && e != -E2BIG) {
		error_note(r, container ? "the container's addresses" : "the host's addresses", e);
		if (container)
			nc_platform_addrs_close(w->container), w->container = NULL;
		else
			nc_platform_addrs_close(w->host), w->host = NULL;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		nc_addr_state_t *st;

		/* Only global addresses: every path's packets carry them (the
		 * container's, the bridge's as the host's source and as the
		 * container's gateway).  ::1 is never in DAD; link-local
		 * addresses carry no probe, and the container's eth0 gets one in
		 * DAD on every start, accept_dad=0 or not (the kernel makes it
		 * when the link comes up, before the container's sysctls
		 * apply): waiting for it cost ~1.6 s a run, for nothing. */
		if (!addrs[i].global)
			continue;
		st = state_of(r, a, &addrs[i], container);
		if (st == NULL)
			continue;
		st->flags = addrs[i].flags;
		st->dad_failed = addrs[i].dad_failed;
		if (addrs[i].dad_failed) {
			*failed = true;
			name(w, st, addrs[i].global, true);
		} else if (addrs[i].tentative) {
			pending++;
			r->waited = true;
			name(w, st, addrs[i].global, false);
		} else if (st->ready_ms < 0) {
			st->ready_ms = now_ms;
		}
	}
	return pending;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

/* The one teardown, whether the wait ended or the run did: the sockets
 * go, s->ready lets go of w, and w is freed -- by the timer's close
 * callback once the timer was made (libuv holds the handle, inside w,
 * until then), else here. */
static void release(struct run_ready *w)
{
	nc_platform_addrs_close(w->host);
	nc_platform_addrs_close(w->container);
	w->host = w->container = NULL;
	w->s->ready = NULL;
	if (w->timer_ready) {
		w->timer.data = w;
		uv_close((uv_handle_t *)&w->timer, on_closed);
	} else {
		free(w);
	}
}

/* The wait is over: the sockets go, the probes start. */
static void finish(struct run_ready *w)
{
	run_state_t *s = w->s;
	void (*then)(run_state_t *) = w->then;

	release(w);
	then(s);
}

/* Reads both sides once; true when the wait is over. */
static bool poll_once(struct run_ready *w)
{
	nc_addr_readiness_t *r = &nc_result_environment(w->s->result)->ipv6_ready;
	double now_ms = (double)(uv_hrtime() - w->start_ns) / 1e6;
	bool failed = false;
	size_t pending;

	w->named_rank = -1; /* each poll names afresh: the last one's state is the one reported */
	pending = poll_side(w, false, now_ms, &failed) + poll_side(w, true, now_ms, &failed);

	r->polls++;
	/* after the reads: a wait that found nothing tentative costs their time */
	r->waited_ms = (double)(uv_hrtime() - w->start_ns) / 1e6;
	if (failed) {
		r->dad_failed = true;
		return true;
	}
	if (pending == 0)
		return true;
	if (r->waited_ms >= r->bound_ms || nc_run_interrupted(w->s)) {
		r->timed_out = r->waited_ms >= r->bound_ms;
		return true;
	}
	return false;
}

static void on_poll(uv_timer_t *t)
{
	struct run_ready *w = t->data;

	if (poll_once(w)) {
		uv_timer_stop(t);
		finish(w);
	}
}

void nc_run_ready_open(run_state_t *s)
{
	nc_addr_readiness_t *r = &nc_result_environment(s->result)->ipv6_ready;
	const nc_container_t *c = nc_result_container(s->result);
	nc_platform_addr_t own[READY_READ_MAX];
	struct run_ready *w;
	bool ipv6 = false;
	size_t n = 0;
	int e;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < s->n_probes && !ipv6; i++)
		ipv6 = nc_result_path(s->result, s->probe_path[i])->target.family == AF_INET6;
	if (!ipv6 || s->ready != NULL)
		return;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		error_note(r, "the wait", -ENOMEM);
		return;
	}
	w->s = s;
	r->checked = true;
	r->bound_ms = bound_ms();
	if (c->pid > 0) {
		e = nc_platform_addrs_open(c->pid, &w->container);
		if (e < 0)
			error_note(r, "the container's namespace", e);
	}
	/* the interfaces this host routes the IPv6 paths by: to each address
	 * dialled, and to the container's own (a published path dials ::1) */
	for (size_t i = 0; i < s->n_probes; i++) {
		const nc_path_t *p = nc_result_path(s->result, s->probe_path[i]);

		if (p->target.family == AF_INET6)
			add_host_if(w, &p->target);
	}
	e = w->container != NULL ? nc_platform_addrs_read(w->container, AF_INET6, NULL, 0, own, NC_ARRAY_SIZE(own), &n)
				 : -ENOENT;
	if (e == 0 || e == -E2BIG) /* -E2BIG: the first of them */
		for (size_t i = 0; i < n; i++)
			if (own[i].global) /* global: the ones a host route leads to */
				add_host_if(w, &own[i].address);
	if (w->n_host_ifs > 0) {
		e = nc_platform_addrs_open(0, &w->host);
		if (e < 0)
			error_note(r, "the host's addresses", e);
	}
	s->ready = w;
}

void nc_run_ready_wait(run_state_t *s, void (*then)(run_state_t *s))
{
	struct run_ready *w = s->ready;
	int e;

	if (w == NULL) {
		then(s);
		return;
	}
	w->then = then;
	w->start_ns = uv_hrtime();
	if (poll_once(w)) {
		finish(w);
		return;
	}
	nc_run_progress(s, "waiting up to %.0f ms for IPv6 addresses to leave duplicate address detection",
			nc_result_environment(s->result)->ipv6_ready.bound_ms);
	e = uv_timer_init(&s->loop, &w->timer);
	if (e == 0) {
		w->timer_ready = true;
		w->timer.data = w;
		e = uv_timer_start(&w->timer, on_poll, READY_POLL_MS, READY_POLL_MS);
	}
	if (e < 0) {
		error_note(&nc_result_environment(s->result)->ipv6_ready, "the wait's timer", e);
		finish(w);
	}
}

void nc_run_ready_free(run_state_t *s)
{
	/* a finished wait has let go of s->ready already: nothing twice */
	if (s->ready != NULL)
		release(s->ready);
}
