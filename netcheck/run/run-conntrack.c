/* The conntrack entries of a run's own connections, read after the probes.
 *
 * Each sent TCP or UDP path knows its exact tuple once its probe is done
 * (its local address and port, its target): the kernel is asked for that
 * one connection (a hash lookup, ~0.04 ms, where a dump walks the whole
 * table in ~10 ms), and both tuples go into the path (model): the DNAT and
 * the SNAT the kernel did, its state.  Asking needs CAP_NET_ADMIN, gone
 * after the drop: the lookups run on the thread that keeps it
 * (run-privileged.c) or, where a watch keeps every privilege, on libuv's
 * pool, queued at attribute and read back before classify.  The entries
 * outlive the probes (a closed TCP connection stays in TIME_WAIT for
 * 120 s, a refused one in CLOSE for 10 s, a UDP one 30 s), so reading them
 * after the probes loses nothing.
 *
 * Without the privilege or conntrack (no nf_conntrack loaded): nothing is
 * recorded and the run goes on; NETCHECK_NO_WITNESS=1 leaves it out with
 * the rest of the witness.
 *
 * May call: witness, result.  Called by: run.c. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/witness.h"

struct run_conntrack {
	uv_work_t work;
	bool pending;                          /* queued: the work writes into entries */
	size_t n;
	size_t path[NC_MAX_PATHS];             /* the result path index of each lookup */
	nc_trace_flow_t tuple[NC_MAX_PATHS];   /* what the probe's client sent */
	nc_witness_ct_entry_t entry[NC_MAX_PATHS];
	int status[NC_MAX_PATHS];              /* the lookup's: 0, -ENOENT, -EPERM... */
};

static void lookup_all(uv_work_t *req)
{
	struct run_conntrack *c = req->data;

	for (size_t i = 0; i < c->n; i++) {
		nc_error_t err = { "" };

		c->status[i] = nc_witness_conntrack_lookup(&c->tuple[i], &c->entry[i], &err);
		/* no privilege or no conntrack: the same for every other path */
		if (c->status[i] == -EPERM || c->status[i] == -EOPNOTSUPP) {
			for (size_t k = i + 1; k < c->n; k++)
				c->status[k] = c->status[i];
			return;
		}
	}
}

static void looked_up(uv_work_t *req, int status)
{
	struct run_conntrack *c = req->data;

	(void)status;
	c->pending = false;
}

/* The exact tuple the path's probe sent, when it has one: TCP and UDP with
 * their own socket's address and port known. */
static bool tuple_of(const nc_path_t *p, nc_trace_flow_t *t)
{
	nc_path_proto_t proto = nc_path_kind_proto(p->kind);

	if (!p->sent || proto == NC_PROTO_ICMP || !nc_endpoint_is_set(&p->local) || p->local.port == 0 ||
	    !nc_endpoint_is_set(&p->target) || p->target.port == 0 || p->local.family != p->target.family)
		return false;
	memset(t, 0, sizeof(*t));
	t->proto = proto == NC_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	t->src = p->local;
	t->dst = p->target;
	return true;
}

void nc_run_conntrack_lookup(run_state_t *s)
{
	struct run_conntrack *c = s->conntrack;

	/* interrupted: the cycle ends without its facts; nothing is queued
	 * that the end would have to wait for */
	if (!nc_run_witness_enabled(s) || nc_run_interrupted(s) || (c != NULL && c->pending))
		return;
	if (c == NULL && (c = s->conntrack = calloc(1, sizeof(*c))) == NULL)
		return;
	c->n = 0;
	for (size_t i = 0; i < nc_result_path_count(s->result) && c->n < NC_MAX_PATHS; i++)
		if (tuple_of(nc_result_path(s->result, i), &c->tuple[c->n]))
			c->path[c->n++] = i;
	if (c->n == 0)
		return;
	c->work.data = c;
	c->pending = nc_run_privileged_queue(s, &c->work, lookup_all, looked_up) == 0;
	if (!c->pending)
		c->n = 0;
}

static void copy_entry(nc_path_conntrack_t *to, const nc_witness_ct_entry_t *e)
{
	memset(to, 0, sizeof(*to));
	to->found = true;
	to->proto = e->proto;
	to->orig_src = e->orig_src;
	to->orig_dst = e->orig_dst;
	to->reply_src = e->reply_src;
	to->reply_dst = e->reply_dst;
	to->dnat = e->dnat;
	to->snat = e->snat;
	to->seen_reply = e->seen_reply;
	to->assured = e->assured;
	snprintf(to->state, sizeof(to->state), "%s", e->proto == IPPROTO_TCP ? nc_witness_tcp_state_name(e->tcp_state) : "");
	to->timeout = e->timeout;
}

/* Whether the kernel tracked some connection of family in this run: an
 * absent entry says something only then (without a rule that needs it,
 * the kernel does not track a family at all: IPv6 often). */
static bool family_tracked(const struct run_conntrack *c, int family)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->status[i] == 0 && c->tuple[i].src.family == family)
			return true;
	return false;
}

void nc_run_conntrack_record(run_state_t *s)
{
	struct run_conntrack *c = s->conntrack;

	if (c == NULL)
		return;
	(void)nc_run_loop_until(s, nc_run_flag_clear, &c->pending, NC_RUN_JOB_WAIT_MS, true);
	for (size_t i = 0; i < c->n && !c->pending; i++) {
		nc_path_t *p = nc_result_path(s->result, c->path[i]);

		if (p == NULL)
			continue;
		if (c->status[i] == 0) {
			copy_entry(&p->conntrack, &c->entry[i]);
		} else if (c->status[i] == -ENOENT && family_tracked(c, c->tuple[i].src.family)) {
			/* asked, and the kernel, which tracks this family, has no such connection */
			memset(&p->conntrack, 0, sizeof(p->conntrack));
			p->conntrack.proto = c->tuple[i].proto;
			p->conntrack.orig_src = c->tuple[i].src;
			p->conntrack.orig_dst = c->tuple[i].dst;
		} else {
			continue;
		}
		p->conntrack.looked = true;
	}
	c->n = 0;
}

void nc_run_conntrack_free(run_state_t *s)
{
	struct run_conntrack *c = s->conntrack;

	if (c == NULL)
		return;
	/* the work writes into c: its after runs first (one that never came
	 * back, bounded: c is left to it) */
	if (nc_run_loop_until(s, nc_run_flag_clear, &c->pending, NC_RUN_JOB_WAIT_MS, false))
		free(c);
	s->conntrack = NULL;
}
