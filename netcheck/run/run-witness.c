/* The witness stage: what the kernel did with the run's own packets.
 *
 * The drop-reason program loads on libuv's pool as soon as the loop exists
 * (while the target is prepared); once the paths are planned, and before
 * privileges are dropped and the first probe leaves, the nftables trace
 * table is installed for every probe's flow, the drop-reason program gets
 * the same flows and the ruleset is read for the rules' text (reading it
 * needs CAP_NET_ADMIN, gone after the drop).  After the probes: the trace
 * and the drops are final, and each path's passage through netfilter, its
 * drop reasons and the host's settings become facts (facts.h) for the
 * policy.  The trace table goes with its owner socket in
 * nc_run_witness_free(): on errors and on SIGINT/SIGTERM (teardown) as on
 * success, and with the process on SIGKILL.
 *
 * Without the privileges or the build feature: one line in the
 * environment's witness_note; the run goes on.  NETCHECK_NO_WITNESS=1
 * leaves it all out (for measuring what it costs).
 *
 * May call: witness, dropreason, result.  Called by: run.c, run-probe.c. */
#include "run-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/dropreason.h"
#include "netcheck/witness.h"

#define MAX_FLOWS NC_TRACE_MAX_FLOWS

struct run_witness {
	bool loading;                     /* the drop-reason program is loading on the pool */
	nc_dropreason_t *drops;           /* owned; NULL: none */
	nc_trace_t *trace;                /* owned; NULL: none */
	nc_witness_rules_t *rules;        /* owned; NULL: none */
	uv_work_t rules_work;             /* the ruleset read on the privileged thread (run-privileged.c) */
	bool rules_pending;
	bool remove_pending;              /* the trace table's removal, on the same thread */
	bool removal_queued;              /* once: nc_run_witness_release() */
	uint8_t nft_family[NC_MAX_PATHS]; /* the family of each path's dropping rule, for its text */
	nc_trace_flow_t flows[MAX_FLOWS];
	size_t path_of_flow[MAX_FLOWS];   /* the result path index of each flow */
	size_t n_flows;
	nc_diag_witness_t facts;
	nc_diag_traced_t traced[NC_MAX_PATHS];
	bool collected;
};

bool nc_run_witness_enabled(const run_state_t *s)
{
	if (s->opt->no_witness)
		return false;
	const char *v = getenv("NETCHECK_NO_WITNESS");

	return v == NULL || v[0] == '\0' || strcmp(v, "0") == 0;
}

static void note(run_state_t *s, const char *what, const nc_error_t *err, int r)
{
	nc_environment_t *env = nc_result_environment(s->result);

	nc_run_note_append(env->witness_note, sizeof(env->witness_note), "%s: %.200s", what,
			   err != NULL && err->text[0] ? err->text : nc_strerror(r));
}

static void on_drops_loaded(nc_dropreason_t *d, int status, const nc_error_t *err, void *data)
{
	run_state_t *s = data;
	struct run_witness *w = s->witness;

	if (w == NULL) { /* freed meanwhile: cannot happen, the loop waits for it */
		nc_dropreason_free(d);
		return;
	}
	w->loading = false;
	w->drops = d;
	w->facts.drop_status = status;
	if (status < 0) {
		snprintf(w->facts.drop_error, sizeof(w->facts.drop_error), "%.250s",
			 err != NULL && err->text[0] ? err->text : nc_strerror(status));
		note(s, "drop reasons off", err, status);
	}
}

/* A witness with nothing in it yet; false: none (left out, or no memory). */
static bool witness_new(run_state_t *s)
{
	int r;

	if (!nc_run_witness_enabled(s) || s->witness != NULL)
		return false;
	s->witness = calloc(1, sizeof(*s->witness));
	if (s->witness == NULL)
		return false;
	s->witness->facts.trace_status = -ENOENT; /* not yet */
	s->witness->facts.ip_forward = s->witness->facts.ip6_forward = -1;
	s->witness->facts.bridge_nf_call_iptables = s->witness->facts.route_localnet = -1;
	/* the one thread that keeps CAP_NET_ADMIN after the drop: the ruleset
	 * read and the table's removal run on it; without it they do not run */
	if (!s->keep_privileges && (r = nc_run_privileged_start(s)) < 0)
		note(s, "no privileged thread for the ruleset read", NULL, r);
	return true;
}

void nc_run_witness_load(run_state_t *s)
{
	nc_error_t err = { "" };
	int r;

	if (!witness_new(s))
		return;
	r = nc_dropreason_new_async(&s->loop, NULL, 0, on_drops_loaded, s, &err);
	if (r == 0) {
		s->witness->loading = true;
		return;
	}
	s->witness->facts.drop_status = r;
	snprintf(s->witness->facts.drop_error, sizeof(s->witness->facts.drop_error), "%.250s",
		 err.text[0] ? err.text : nc_strerror(r));
	note(s, "drop reasons off", &err, r);
}

static uint8_t flow_proto(const nc_path_t *p)
{
	switch (nc_path_kind_proto(p->kind)) {
	case NC_PROTO_ICMP:
		return p->target.family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	case NC_PROTO_UDP:
		return IPPROTO_UDP;
	default:
		return IPPROTO_TCP;
	}
}

static void add_flow(struct run_witness *w, size_t path, uint8_t proto, const nc_endpoint_t *src,
		     const nc_endpoint_t *dst)
{
	nc_trace_flow_t *f;

	if (w->n_flows >= MAX_FLOWS || !nc_endpoint_is_set(dst))
		return;
	if (src != NULL && src->family != 0 && src->family != dst->family)
		return;
	f = &w->flows[w->n_flows];
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->dst = *dst;
	if (src != NULL)
		f->src = *src;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		f->dst.port = 0; /* the echo id is not known yet: any */
	w->path_of_flow[w->n_flows++] = path;
}

/* Every probe's flow: where it goes, and from where when the target knows
 * it (s->witness_src: published-remote's client, whose destination is the
 * same as published-host's); a path with a known source gets its flow
 * after NAT too (the container's address), where the kernel's route lookup
 * drops a forwarded packet.  Paths with a known source first: a packet
 * counts for the first flow it matches. */
static void plan_flows(run_state_t *s, struct run_witness *w)
{
	const nc_container_t *c = nc_result_container(s->result);

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n_probes; i++) {
			size_t pi = s->probe_path[i];
			const nc_path_t *p = nc_result_path(s->result, pi);
			const nc_endpoint_t *src = pi < NC_MAX_PATHS ? &s->witness_src[pi] : NULL;
			bool known = src != NULL && src->family != 0;

			if (known != (pass == 0))
				continue;
			add_flow(w, pi, flow_proto(p), known ? src : NULL, &p->target);
			if (known && !nc_path_kind_is_direct(p->kind) && c->ip.family == src->family) {
				nc_endpoint_t after = c->ip;

				after.port = p->container_port ? p->container_port : c->ip.port;
				add_flow(w, pi, flow_proto(p), src, &after);
			}
		}
}

static void read_rules(uv_work_t *req)
{
	struct run_witness *w = req->data;
	nc_error_t err = { "" };

	if (nc_witness_rules_read(&w->rules, &err) < 0)
		w->rules = NULL;
}

static void rules_read(uv_work_t *req, int status)
{
	struct run_witness *w = req->data;

	(void)status;
	w->rules_pending = false;
}

static int privileged_queue(void *s, uv_work_t *req, uv_work_cb work, uv_after_work_cb after)
{
	return nc_run_privileged_queue(s, req, work, after);
}

static void table_removed(nc_trace_t *t, int status, void *data)
{
	struct run_witness *w = data;

	(void)t;
	(void)status;
	w->remove_pending = false;
}

/* Waits (outside the loop's callbacks) for the ruleset read on the pool;
 * a signal ends the wait at once: the read goes on, its rules unused
 * (teardown waits for it, as libuv's pool must end before the process). */
static void wait_rules(run_state_t *s, struct run_witness *w)
{
	(void)nc_run_loop_until(s, nc_run_flag_clear, &w->rules_pending, NC_RUN_JOB_WAIT_MS, true);
}

void nc_run_witness_start(run_state_t *s)
{
	struct run_witness *w = s->witness;
	nc_error_t err = { "" };
	int r;

	if (w == NULL)
		return;
	/* the program has loaded on the pool meanwhile; wait for its callback
	 * (the probes have not started: only capture reads on the loop) */
	(void)nc_run_loop_until(s, nc_run_flag_clear, &w->loading, NC_RUN_JOB_WAIT_MS, true);
	/* interrupted: the probes are cancelled, nothing is worth tracing,
	 * and nothing more is started that the end would wait for */
	if (nc_run_interrupted(s))
		return;
	plan_flows(s, w);
	if (w->n_flows == 0)
		return;
	if (w->drops != NULL) {
		r = nc_dropreason_add_flows(w->drops, w->flows, w->n_flows);
		if (r == 0) /* a watch's kept program: reading again */
			r = nc_dropreason_start(w->drops, &s->loop);
		if (r < 0) {
			w->facts.drop_status = r;
			snprintf(w->facts.drop_error, sizeof(w->facts.drop_error), "%s", nc_strerror(r));
			note(s, "drop reasons off", NULL, r);
			nc_dropreason_free(w->drops);
			w->drops = NULL;
		}
	}
	r = nc_witness_trace_new(nc_result_container(s->result)->run_id, w->flows, w->n_flows, &w->trace, &err);
	if (r == 0)
		r = nc_witness_trace_start(w->trace, &s->loop);
	if (r < 0) {
		w->facts.trace_status = r;
		snprintf(w->facts.trace_error, sizeof(w->facts.trace_error), "%.250s", err.text[0] ? err.text : nc_strerror(r));
		note(s, "nftables trace off (the ruleset as read speaks instead)", &err, r);
		nc_witness_trace_free(w->trace);
		w->trace = NULL;
		return;
	}
	w->facts.trace_status = 0;
}

static bool contains_reject(const char *text)
{
	for (const char *t = text; t != NULL && *t; t++)
		if (strncasecmp(t, "reject", 6) == 0)
			return true;
	return false;
}

static void copy_nft_drop(struct run_witness *w, size_t path, nc_diag_traced_t *t, const nc_trace_step_t *step,
			  const nc_trace_passage_t *passage)
{
	nc_fw_drop_t *d = &t->rule;

	t->nft_drop = true;
	t->nft_reply = passage != NULL && passage->reply;
	t->nft_packets = passage != NULL ? passage->packets : 0;
	w->nft_family[path] = step->family;
	snprintf(d->family, sizeof(d->family), "%s", nc_witness_family_name(step->family));
	snprintf(d->table, sizeof(d->table), "%s", step->table ? step->table : "");
	snprintf(d->chain, sizeof(d->chain), "%s", step->chain ? step->chain : "");
	snprintf(d->base_chain, sizeof(d->base_chain), "%s", d->chain);
	d->handle = step->handle;
	d->policy = step->type == NC_TRACE_POLICY;
	snprintf(t->verdict, sizeof(t->verdict), "%s", d->policy ? "policy drop" : nc_witness_verdict_name(step->verdict));
}

/* The dropping rule's text and comment, from the ruleset read on the pool;
 * a reject rule's verdict in the trace is a drop: its text says reject. */
static void name_rule(struct run_witness *w, size_t path, nc_diag_traced_t *t)
{
	const char *comment = NULL, *text = NULL;
	nc_fw_drop_t *d = &t->rule;

	if (!t->nft_drop || d->policy || w->rules == NULL)
		return;
	text = nc_witness_rules_text(w->rules, w->nft_family[path], d->table, d->chain, d->handle, &comment);
	snprintf(d->rule, sizeof(d->rule), "%s", text != NULL ? text : "");
	snprintf(t->comment, sizeof(t->comment), "%s", comment != NULL ? comment : "");
	d->reject = text != NULL && contains_reject(text);
	if (d->reject)
		snprintf(t->verdict, sizeof(t->verdict), "reject");
}

/* The interface a drop happened on, named when it is one of this
 * namespace's, and its own IPv4 forwarding setting: ip_route_input_slow()
 * forwards what comes in on a device by that device's value, and writing
 * net.ipv4.ip_forward (conf/all) sets every device's once -- they may
 * differ afterwards. */
static void drop_interface(const nc_drop_t *drop, nc_diag_kernel_drop_t *kd)
{
	nc_witness_setting_t set[16];
	const nc_witness_setting_t *v;
	const char *names[1] = { kd->ifname };
	uint64_t here;
	int n;

	kd->ifname[0] = '\0';
	kd->forwarding = -1;
	if (drop->ifindex == 0 || drop->netns == 0 || nc_platform_netns_inode(&here) < 0 || here != drop->netns ||
	    nc_platform_ifname((int)drop->ifindex, kd->ifname, sizeof(kd->ifname)) < 0) {
		kd->ifname[0] = '\0';
		return;
	}
	n = nc_witness_settings_read(NULL, names, 1, set, NC_ARRAY_SIZE(set));
	v = n > 0 ? nc_witness_setting_find(set, (size_t)n, "net.ipv4.conf.IF.forwarding", kd->ifname) : NULL;
	kd->forwarding = v != NULL ? v->value : -1;
}

static void copy_drops(struct run_witness *w, size_t flow, nc_diag_traced_t *t)
{
	for (size_t k = 0; k < nc_dropreason_drop_count(w->drops, flow); k++) {
		const nc_drop_t *drop = nc_dropreason_drop(w->drops, flow, k);
		nc_observation_t o;

		if (t->n_drops >= NC_WITNESS_DROPS_MAX) {
			t->drops_cut = true;
			return;
		}
		if (drop == NULL || nc_dropreason_observe(w->drops, drop, &o) < 0)
			continue;
		nc_diag_kernel_drop_t *kd = &t->drops[t->n_drops++];
		snprintf(kd->reason, sizeof(kd->reason), "%s", o.reason);
		snprintf(kd->location, sizeof(kd->location), "%s", o.location);
		snprintf(kd->text, sizeof(kd->text), "%s", o.text);
		kd->packets = drop->packets;
		kd->reply = drop->reply;
		drop_interface(drop, kd);
		w->facts.drop_events += drop->packets;
	}
}

static void read_settings(struct run_witness *w)
{
	nc_witness_setting_t set[16];
	const nc_witness_setting_t *v;
	int n = nc_witness_settings_read(NULL, NULL, 0, set, NC_ARRAY_SIZE(set));

	if (n < 0)
		return;
	w->facts.have_sysctls = true;
#define GET(field, name, ifname)                                                  \
	v = nc_witness_setting_find(set, (size_t)n, name, ifname);                \
	w->facts.field = v != NULL ? v->value : -1
	GET(ip_forward, "net.ipv4.ip_forward", "");
	GET(ip6_forward, "net.ipv6.conf.all.forwarding", "");
	GET(bridge_nf_call_iptables, "net.bridge.bridge-nf-call-iptables", "");
	GET(route_localnet, "net.ipv4.conf.all.route_localnet", "all");
#undef GET
}

void nc_run_witness_collect(run_state_t *s)
{
	struct run_witness *w = s->witness;
	nc_trace_stats_t ts;

	if (w == NULL || w->collected)
		return;
	w->collected = true;
	if (w->trace != NULL) {
		(void)nc_witness_trace_stop(w->trace);
	}
	/* a watch keeps the program attached for its next cycle: what the
	 * ring holds now is read instead (a drop still in flight is lost) */
	if (w->drops != NULL && s->keep_privileges)
		(void)nc_dropreason_consume(w->drops);
	else if (w->drops != NULL)
		(void)nc_dropreason_stop(w->drops);
	for (size_t f = 0; f < w->n_flows; f++) {
		size_t pi = w->path_of_flow[f];
		nc_diag_traced_t *t;

		if (pi >= NC_MAX_PATHS)
			continue;
		t = &w->traced[pi];
		if (w->trace != NULL) {
			const nc_trace_passage_t *passage = NULL;
			const nc_trace_step_t *step = nc_witness_trace_drop(w->trace, f, &passage);

			t->traced = true;
			t->passages += (unsigned)nc_witness_trace_passage_count(w->trace, f);
			if (step != NULL && !t->nft_drop)
				copy_nft_drop(w, pi, t, step, passage);
		}
		/* naming a drop reads the kernel's BTF (ms): only for paths the
		 * policy may diagnose */
		if (w->drops != NULL && nc_result_path(s->result, pi)->verdict != NC_VERDICT_REACHABLE)
			copy_drops(w, f, t);
	}
	/* the drops are copied: a watch's program matches no flow until the
	 * next cycle's (the capture sockets, closing, free their copies of the
	 * paths' packets: no drop of theirs, and no event to read), and its
	 * poll stops, keeping the loop no longer than a run's would */
	if (w->drops != NULL && s->keep_privileges)
		(void)nc_dropreason_clear_flows(w->drops);
	if (w->trace != NULL) {
		nc_witness_trace_stats(w->trace, &ts);
		w->facts.trace_events = ts.matched;
	}
	read_settings(w);
}

void nc_run_witness_release(run_state_t *s)
{
	struct run_witness *w = s->witness;

	if (w == NULL || !w->collected || w->trace == NULL || w->remove_pending || w->removal_queued)
		return;
	/* everything read: the table's removal waits for the kernel
	 * (10-30 ms), on the privileged thread, while the run attributes
	 * and removes its container; nothing touches the trace until done */
	w->removal_queued = true;
	w->remove_pending = nc_witness_trace_remove_queued(w->trace, privileged_queue, s, table_removed, w) == 0;
}

void nc_run_witness_name_rules(run_state_t *s)
{
	struct run_witness *w = s->witness;

	bool dropped = false;

	if (w == NULL || !w->collected)
		return;
	for (size_t i = 0; i < NC_MAX_PATHS && !dropped; i++)
		dropped = w->traced[i].nft_drop && !w->traced[i].rule.policy;
	if (!dropped)
		return; /* no rule to name: the ruleset is not read (~4 ms of CPU) */
	/* the rules' text by handle, read now (the rule that dropped is still
	 * there; read during the probes it took a CPU from them), off the loop
	 * by the thread that keeps its privileges (a watch keeps them all: the
	 * pool) */
	w->rules_work.data = w;
	w->rules_pending = nc_run_privileged_queue(s, &w->rules_work, read_rules, rules_read) == 0;
	wait_rules(s, w);
	if (w->rules_pending) /* interrupted, or never back: the read still writes w->rules */
		return;
	for (size_t i = 0; i < NC_MAX_PATHS; i++)
		name_rule(w, i, &w->traced[i]);
	/* the rules' text is copied: the listing can go */
	nc_witness_rules_free(w->rules);
	w->rules = NULL;
}

void nc_run_witness_facts(const run_state_t *s, size_t path, nc_diag_facts_t *f)
{
	const struct run_witness *w = s->witness;

	f->witness = NULL;
	f->traced = NULL;
	if (w == NULL || !w->collected)
		return;
	f->witness = &w->facts;
	if (path < NC_MAX_PATHS && (w->traced[path].traced || w->traced[path].n_drops > 0))
		f->traced = &w->traced[path];
}

void nc_run_witness_next_cycle(run_state_t *s)
{
	struct run_witness *w = s->witness;
	nc_dropreason_t *drops = NULL;

	/* the program stays attached from cycle to cycle, its flows
	 * forgotten (a load and the BTF's relocation cost 3-4 ms of CPU) */
	if (w != NULL && w->drops != NULL && nc_dropreason_clear_flows(w->drops) == 0) {
		drops = w->drops;
		w->drops = NULL;
	}
	nc_run_witness_free(s);
	if (drops == NULL) { /* none loaded (or it stopped): try again */
		nc_run_witness_load(s);
		return;
	}
	if (!witness_new(s)) {
		nc_dropreason_free(drops);
		return;
	}
	s->witness->drops = drops;
}

void nc_run_witness_free(run_state_t *s)
{
	struct run_witness *w = s->witness;

	if (w == NULL)
		return;
	/* a load still on the pool delivers its callback on the loop, the
	 * ruleset read and the table's removal write into w: their afters
	 * first.  One that never came back (bounded): w is left to it. */
	if (!nc_run_loop_until(s, nc_run_flag_clear, &w->loading, NC_RUN_JOB_WAIT_MS, false) ||
	    !nc_run_loop_until(s, nc_run_flag_clear, &w->rules_pending, NC_RUN_JOB_WAIT_MS, false) ||
	    !nc_run_loop_until(s, nc_run_flag_clear, &w->remove_pending, NC_RUN_JOB_WAIT_MS, false)) {
		s->witness = NULL;
		return;
	}
	/* closing the owner socket removes the table (privileges are gone by now) */
	nc_witness_trace_free(w->trace);
	nc_dropreason_free(w->drops);
	nc_witness_rules_free(w->rules);
	free(w);
	s->witness = NULL;
}
