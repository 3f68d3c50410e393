/* The JSON view of a result: one document per run, shaped as described by
 * docs/report.schema.json (NC_REPORT_SCHEMA_VERSION).  Reads the result
 * model only; builds jansson values and writes only to the FILE* it is
 * given.  May call: result, endpoint, jansson. */
#include "netcheck/report.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-internal.h"
#include "netcheck/testing.h"

/* Every json_object_set_new()/json_array_append_new() takes the new value
 * even when it fails, and fails on a NULL value, so one check per field
 * covers both an allocation failure of the value and of the slot. */
#define SET(obj, key, value)                                          \
	do {                                                          \
		if (json_object_set_new((obj), (key), (value)) < 0)   \
			goto fail;                                    \
	} while (0)
/* For a value the function still holds in var: var is given away either way. */
#define SET_TAKE(obj, key, var)                                       \
	do {                                                          \
		int set_rc_ = json_object_set_new((obj), (key), (var)); \
		(var) = NULL;                                         \
		if (set_rc_ < 0)                                      \
			goto fail;                                    \
	} while (0)
#define APPEND(arr, value)                                            \
	do {                                                          \
		if (json_array_append_new((arr), (value)) < 0)        \
			goto fail;                                    \
	} while (0)

/* Model text fields are fixed-size arrays: pass the field, not a pointer. */
#define JSTR(field) jstr((field), sizeof(field))
#define JSTR_OR_NULL(field) jstr_or_null((field), sizeof(field))

/* returns: new */
static json_t *jstr(const char *field, size_t max)
{
	char buf[2 * NC_DETAIL_MAX];

	/* json_string() rejects invalid UTF-8; the model may hold a string
	 * cut mid-character, so repair it rather than fail the whole report. */
	nc_report_clean(field, max < sizeof(buf) ? max : sizeof(buf) - 1, false, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *jstr_or_null(const char *field, size_t max)
{
	if (field == NULL || max == 0 || field[0] == '\0')
		return json_null();
	return jstr(field, max);
}

static json_t *jname(const char *name)
{
	return json_string(name != NULL ? name : "unknown");
}

static json_t *jendpoint(const nc_endpoint_t *e, bool with_port)
{
	char buf[NC_ENDPOINT_STRLEN];

	if (!nc_endpoint_is_set(e) || nc_endpoint_format(e, with_port, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static json_t *jtime(uint64_t ts_ns)
{
	char buf[64];

	if (nc_report_time_rfc3339(ts_ns, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static json_t *jinteger_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Milliseconds to the microsecond; null when not measured (< 0).
 * json_real() refuses NaN and infinities, so those are null too. */
static json_t *jms(double ms)
{
	if (!isfinite(ms) || ms < 0)
		return json_null();
	if (ms < 1e12)
		ms = (double)(int64_t)(ms * 1000.0 + 0.5) / 1000.0;
	return json_real(ms);
}

/* what each capture point saw, with the kernel's drop count */
static json_t *capture_points_json(const nc_environment_t *env)
{
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < env->n_capture_points && i < NC_ARRAY_SIZE(env->capture_points); i++) {
		const struct nc_capture_point_summary *cp = &env->capture_points[i];
		json_t *o = json_object();

		if (o == NULL || json_array_append_new(a, o) < 0) {
			json_decref(o);
			goto fail;
		}
		SET(o, "name", JSTR(cp->name));
		SET(o, "description", JSTR(cp->description));
		SET(o, "packets", jinteger_u64(cp->packets));
		SET(o, "received", jinteger_u64(cp->received));
		SET(o, "dropped", jinteger_u64(cp->dropped));
		SET(o, "not_stored", jinteger_u64(cp->not_stored));
		SET(o, "control_packets", jinteger_u64(cp->control_packets));
		SET(o, "where", jname(nc_point_where_name(cp->where)));
		if (cp->incomplete)
			SET(o, "incomplete", json_true());
		if (cp->node[0] != '\0')
			SET(o, "node", JSTR(cp->node));
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

/* The IPv6 readiness wait (schema 1.13): every address looked at, its
 * flags when first and last read, when it left DAD. */
static json_t *ipv6_ready_json(const nc_addr_readiness_t *w)
{
	json_t *o = json_object(), *a = json_array();

	if (o == NULL || a == NULL) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	SET(o, "waited", json_boolean(w->waited));
	SET(o, "timed_out", json_boolean(w->timed_out));
	SET(o, "dad_failed", json_boolean(w->dad_failed));
	SET(o, "waited_ms", jms(w->waited_ms));
	SET(o, "bound_ms", jms(w->bound_ms));
	SET(o, "polls", json_integer(w->polls));
	SET(o, "error", JSTR(w->error));
	SET(o, "addresses", a);
	for (size_t i = 0; i < w->n_addresses; i++) {
		const nc_addr_state_t *st = &w->addresses[i];
		json_t *e = json_object();

		if (e == NULL || json_array_append_new(a, e) < 0) {
			json_decref(e);
			goto fail;
		}
		SET(e, "address", jendpoint(&st->address, false));
		SET(e, "interface", JSTR(st->ifname));
		SET(e, "side", json_string(st->container ? "container" : "host"));
		SET(e, "first_flags", json_integer(st->first_flags));
		SET(e, "flags", json_integer(st->flags));
		SET(e, "ready_ms", st->ready_ms >= 0 ? jms(st->ready_ms) : json_null());
	}
	SET(o, "addresses_cut", json_boolean(w->addresses_cut));
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *environment_json(const nc_environment_t *env)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "kind", jname(nc_env_kind_name(env->kind)));
	SET(o, "engine_url", JSTR(env->engine_url));
	SET(o, "engine_name", JSTR(env->engine_name));
	SET(o, "engine_version", JSTR(env->engine_version));
	SET(o, "api_version", JSTR(env->api_version));
	SET(o, "os", JSTR(env->os));
	SET(o, "rootless", json_boolean(env->rootless));
	SET(o, "host_address", jendpoint(&env->host_address, false));
	SET(o, "host_interface", JSTR(env->host_interface));
	SET(o, "bridge", JSTR(env->bridge));
	SET(o, "bridge_attached", json_boolean(env->bridge_attached));
	SET(o, "capture_note", JSTR(env->capture_note));
	SET(o, "witness_note", JSTR(env->witness_note));
	SET(o, "privileges_dropped", json_boolean(env->privileges_dropped));
	SET(o, "capture_points", capture_points_json(env));
	if (env->ipv6_ready.checked)
		SET(o, "ipv6_readiness", ipv6_ready_json(&env->ipv6_ready));
	SET(o, "kernel", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "host", JSTR_OR_NULL(env->kernel.host),
				   "host_boot_id", JSTR_OR_NULL(env->kernel.host_boot_id), "container",
				   JSTR_OR_NULL(env->kernel.container), "container_boot_id",
				   JSTR_OR_NULL(env->kernel.container_boot_id), "same_boot",
				   env->kernel.same_boot == NC_SAME_BOOT_UNKNOWN ? json_null()
										  : json_boolean(env->kernel.same_boot == NC_SAME_BOOT_YES),
				   "meaning", JSTR(env->kernel.meaning)));
	if (env->agent_used || env->agent_note[0] != '\0') {
		json_t *agent = json_object();

		SET(o, "capture_agent", agent);
		SET(agent, "used", json_boolean(env->agent_used));
		SET(agent, "clock_offset_ns", env->agent_clock_known ? json_integer(env->agent_clock_offset_ns) : json_null());
		SET(agent, "clock_uncertainty_ns",
		    env->agent_clock_known ? jinteger_u64(env->agent_clock_uncertainty_ns) : json_null());
		SET(agent, "note", JSTR(env->agent_note));
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Every container --keep left behind: the run's and --peer's. */
static json_t *kept_json(const nc_container_t *c)
{
	json_t *arr = json_array(), *o = NULL;

	if (arr == NULL)
		return NULL;
	if (c->kept && c->id[0] != '\0') {
		o = json_pack("{s:s, s:s, s:s}", "id", c->id, "name", c->name, "role", "target");
		if (o == NULL || json_array_append_new(arr, o) < 0)
			goto fail;
	}
	if (c->peer_kept && c->peer_id[0] != '\0') {
		o = json_pack("{s:s, s:s, s:s}", "id", c->peer_id, "name", c->peer_name, "role", "peer");
		if (o == NULL || json_array_append_new(arr, o) < 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *container_json(const nc_container_t *c)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "id", JSTR(c->id));
	SET(o, "name", JSTR(c->name));
	SET(o, "image", JSTR(c->image));
	SET(o, "run_id", JSTR(c->run_id));
	SET(o, "ip", jendpoint(&c->ip, false));
	SET(o, "port", json_integer(c->ip.port));
	SET(o, "published_port", json_integer(c->published_port));
	SET(o, "published_v6", json_boolean(c->published_port6 != 0));
	SET(o, "published_port6", json_integer(c->published_port6));
	SET(o, "pid", json_integer(c->pid));
	SET(o, "bridge", JSTR(c->bridge));
	SET(o, "veth", JSTR(c->veth));
	SET(o, "removed", json_boolean(c->removed));
	SET(o, "kept", json_boolean(c->kept));
	SET(o, "kept_containers", kept_json(c));
	if (c->from_id[0] != '\0')
		SET(o, "from", json_pack("{s:s, s:s}", "id", c->from_id, "name", c->from_name));
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* the verdicts of a bit set (1u << nc_verdict_t), in the model's order */
static json_t *verdicts_json(unsigned set)
{
	json_t *a = json_array();

	for (int v = 0; v < NC_VERDICT_COUNT && a != NULL; v++)
		if ((set & (1u << v)) != 0 && json_array_append_new(a, jname(nc_verdict_name((nc_verdict_t)v))) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* --paths and --skip as given: globs */
static json_t *globs_json(const char (*globs)[NC_GLOB_MAX], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && a != NULL; i++)
		if (json_array_append_new(a, jstr(globs[i], NC_GLOB_MAX)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *selection_json(const nc_selection_t *s)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "paths", globs_json(s->paths, s->n_paths));
	SET(o, "skip", globs_json(s->skip, s->n_skip));
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *expectation_json(const nc_expectation_t *e)
{
	json_t *o = json_object(), *mechanisms = NULL;

	if (o == NULL)
		return NULL;
	SET(o, "verdict", jname(nc_verdict_name(e->verdict)));
	mechanisms = json_array();
	if (mechanisms == NULL)
		goto fail;
	for (int m = 0; m < NC_MECH_COUNT; m++)
		if (e->mechanisms & (1u << m))
			APPEND(mechanisms, jname(nc_mechanism_name((nc_mechanism_t)m)));
	SET_TAKE(o, "mechanisms", mechanisms);
	SET(o, "other_verdicts", verdicts_json(e->other_verdicts));
	SET(o, "overridden", json_boolean(e->overridden));
	return o;
fail:
	json_decref(mechanisms);
	json_decref(o);
	return NULL;
}

static json_t *timings_json(const nc_timings_t *t)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "connect", jms(t->connect_ms));
	SET(o, "first_byte", jms(t->first_byte_ms));
	SET(o, "total", jms(t->total_ms));
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A conntrack entry: null when not looked up; {"found": false} when the
 * kernel tracks no such connection; else both tuples, NAT, state. */
static json_t *conntrack_json(const nc_path_conntrack_t *ct)
{
	json_t *o, *orig = NULL, *reply = NULL;

	if (!ct->looked)
		return json_null();
	o = json_object();
	if (o == NULL)
		return NULL;
	SET(o, "found", json_boolean(ct->found));
	if (!ct->found)
		return o;
	SET(o, "proto", json_string(ct->proto == IPPROTO_UDP ? "udp" : "tcp"));
	orig = json_pack("{s:o?,s:o?}", "src", jendpoint(&ct->orig_src, true), "dst", jendpoint(&ct->orig_dst, true));
	reply = json_pack("{s:o?,s:o?}", "src", jendpoint(&ct->reply_src, true), "dst", jendpoint(&ct->reply_dst, true));
	SET_TAKE(o, "original", orig);
	SET_TAKE(o, "reply", reply);
	SET(o, "dnat", json_boolean(ct->dnat));
	SET(o, "snat", json_boolean(ct->snat));
	SET(o, "seen_reply", json_boolean(ct->seen_reply));
	SET(o, "assured", json_boolean(ct->assured));
	SET(o, "state", JSTR_OR_NULL(ct->state));
	SET(o, "timeout_s", json_integer(ct->timeout));
	return o;
fail:
	json_decref(orig);
	json_decref(reply);
	json_decref(o);
	return NULL;
}

/* One observation: source and text, then the fields its source has. */
static json_t *observation_json(const nc_observation_t *ob)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "source", jname(nc_obs_source_name(ob->source)));
	SET(o, "text", JSTR(ob->text));
	switch (ob->source) {
	case NC_OBS_NFTRACE:
	case NC_OBS_RULESET:
		SET(o, "family", JSTR_OR_NULL(ob->family));
		SET(o, "table", JSTR_OR_NULL(ob->table));
		SET(o, "chain", JSTR_OR_NULL(ob->chain));
		SET(o, "handle", ob->handle != 0 ? jinteger_u64(ob->handle) : json_null());
		SET(o, "rule", JSTR_OR_NULL(ob->rule));
		SET(o, "verdict", JSTR_OR_NULL(ob->verdict));
		break;
	case NC_OBS_DROP_REASON:
		SET(o, "reason", JSTR_OR_NULL(ob->reason));
		SET(o, "location", JSTR_OR_NULL(ob->location));
		break;
	case NC_OBS_SOCKET:
		SET(o, "local", jendpoint(&ob->local, true));
		SET(o, "proto", json_string(ob->proto == NC_PROTO_UDP ? "udp" : "tcp"));
		SET(o, "v6only", json_boolean(ob->v6only));
		SET(o, "pid", ob->pid > 0 ? json_integer(ob->pid) : json_null());
		SET(o, "process", JSTR_OR_NULL(ob->process));
		break;
	case NC_OBS_CONTAINER:
		SET(o, "state", JSTR_OR_NULL(ob->state));
		SET(o, "exit_code", strcmp(ob->state, "exited") == 0 ? json_integer(ob->exit_code) : json_null());
		break;
	case NC_OBS_CAPTURE:
		SET(o, "point", JSTR_OR_NULL(ob->point));
		SET(o, "packets", json_integer(ob->packets));
		SET(o, "leg", ob->leg != NC_LEG_NONE ? json_string(nc_leg_name(ob->leg)) : json_null());
		break;
	case NC_OBS_SYSCTL:
		SET(o, "name", JSTR_OR_NULL(ob->name));
		SET(o, "value", JSTR_OR_NULL(ob->value));
		break;
	case NC_OBS_CONNTRACK:
		SET(o, "conntrack", conntrack_json(&ob->conntrack));
		break;
	default:
		break; /* route, engine: the text says it */
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *diagnosis_json(const nc_diagnosis_t *d)
{
	json_t *o, *observed;

	if (d->code == NC_DIAG_NONE)
		return json_null();
	o = json_pack("{s:s, s:s, s:o, s:b}", "code", nc_diag_code_name(d->code), "detail", d->detail, "hint",
		      d->hint[0] ? json_string(d->hint) : json_null(), "observed_cut", d->observed_cut);
	observed = json_array();
	if (o == NULL || observed == NULL)
		goto fail;
	for (size_t i = 0; i < d->n_observed && i < NC_DIAG_OBSERVED_MAX; i++)
		APPEND(observed, observation_json(&d->observed[i]));
	SET_TAKE(o, "observed", observed);
	return o;
fail:
	json_decref(observed);
	json_decref(o);
	return NULL;
}

static json_t *forwarder_json(const nc_path_t *p)
{
	json_t *o;

	if (!p->has_forwarder)
		return json_null();
	o = json_object();
	if (o == NULL)
		return NULL;
	SET(o, "name", JSTR(p->forwarder.name));
	SET(o, "pid", json_integer(p->forwarder.pid));
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *port_or_null(const nc_endpoint_t *e, bool with_port)
{
	return with_port && nc_endpoint_is_set(e) ? json_integer(e->port) : json_null();
}

static json_t *hop_json(const nc_hop_t *h, bool with_port)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "capture_point", JSTR(h->capture_point));
	SET(o, "leg", jname(nc_leg_name(h->leg)));
	SET(o, "direction", jname(nc_direction_name(h->direction)));
	SET(o, "src", jendpoint(&h->src, with_port));
	SET(o, "dst", jendpoint(&h->dst, with_port));
	SET(o, "src_addr", jendpoint(&h->src, false));
	SET(o, "src_port", port_or_null(&h->src, with_port));
	SET(o, "dst_addr", jendpoint(&h->dst, false));
	SET(o, "dst_port", port_or_null(&h->dst, with_port));
	SET(o, "first_ts", jtime(h->first_ns));
	SET(o, "last_ts", jtime(h->last_ns));
	SET(o, "first_ts_ns", jinteger_u64(h->first_ns));
	SET(o, "last_ts_ns", jinteger_u64(h->last_ns));
	SET(o, "packets", json_integer(h->packets));
	if (h->encapsulated) {
		/* since 1.7: the overlay's outer packet between the nodes */
		json_t *outer = json_object();

		if (outer == NULL || json_object_set_new(o, "outer", outer) < 0)
			goto fail;
		SET(outer, "encapsulation", json_string("vxlan"));
		SET(outer, "src", jendpoint(&h->outer_src, true));
		SET(outer, "dst", jendpoint(&h->outer_dst, true));
		SET(outer, "vni", json_integer(h->vni));
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *packet_json(const nc_packet_summary_t *s)
{
	bool tcp = s->proto == IPPROTO_TCP;
	bool icmp = s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6;
	bool with_port = tcp || s->proto == IPPROTO_UDP;
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	SET(o, "ts", jtime(s->ts_ns));
	SET(o, "ts_ns", jinteger_u64(s->ts_ns));
	SET(o, "capture_point", JSTR(s->capture_point));
	SET(o, "leg", jname(nc_leg_name(s->leg)));
	SET(o, "direction", jname(nc_direction_name(s->direction)));
	SET(o, "proto", json_string(nc_report_proto_name(s->proto)));
	SET(o, "src", jendpoint(&s->src, with_port));
	SET(o, "dst", jendpoint(&s->dst, with_port));
	if (tcp) {
		char flags[16];

		nc_report_tcp_flags(s->tcp_flags, flags, sizeof(flags));
		SET(o, "tcp_flags", json_string(flags));
	} else {
		SET(o, "tcp_flags", json_null());
	}
	SET(o, "icmp_type", icmp ? json_integer(s->icmp_type) : json_null());
	SET(o, "length", json_integer(s->length));
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A path from inside a container: the address its name gave there. */
static json_t *resolved_json(const nc_path_t *p)
{
	if (p->resolved[0] == '\0')
		return json_null();
	return json_pack("{s:o, s:o}", "address", JSTR_OR_NULL(p->resolved), "by", JSTR_OR_NULL(p->resolved_by));
}

/* container-to-host: where the connection was to arrive on this host and
 * how it came; null when netcheck had no listener. */
static json_t *arrival_json(const nc_path_t *p)
{
	const char *via = nc_arrival_name(p->arrival);

	if (p->arrival_interface[0] == '\0')
		return json_null();
	return json_pack("{s:o, s:o, s:I, s:o, s:o}", "listener", jendpoint(&p->target, true), "interface",
			 JSTR_OR_NULL(p->arrival_interface), "connections", (json_int_t)p->arrivals, "peer",
			 jendpoint(&p->peer_seen, true), "via", via != NULL ? json_string(via) : json_null());
}

json_t *nc_report_json_path(const nc_path_t *p)
{
	bool with_port = nc_report_path_has_ports(p);
	json_t *o = json_object(), *arr = NULL;

	if (o == NULL)
		return NULL;
	SET(o, "name", jname(p->name));
	SET(o, "kind", jname(nc_path_kind_name(p->kind)));
	SET(o, "diagnosis", diagnosis_json(&p->diagnosis));
	SET(o, "target", jendpoint(&p->target, with_port));
	SET(o, "verdict", jname(nc_verdict_name(p->verdict)));
	SET(o, "mechanism", jname(nc_mechanism_name(p->mechanism)));
	SET(o, "forwarder", forwarder_json(p));
	SET(o, "peer_seen", jendpoint(&p->peer_seen, true));
	SET(o, "local", jendpoint(&p->local, with_port));
	SET(o, "answered_by", JSTR_OR_NULL(p->answered_by));
	SET(o, "foreign_responder", json_boolean(p->foreign_responder));
	SET(o, "nonce", JSTR_OR_NULL(p->nonce));
	SET(o, "route", JSTR_OR_NULL(p->route));
	SET(o, "detail", JSTR_OR_NULL(p->detail));
	SET(o, "expected", json_boolean(p->expected));
	SET(o, "expectation", expectation_json(&p->expectation));
	SET(o, "timings_ms", timings_json(&p->timings));
	SET(o, "evidence_state",
	    json_string(p->evidence_state == NC_EVIDENCE_CAPTURED ? "captured" : "not-captured"));

	arr = json_array();
	if (arr == NULL)
		goto fail;
	for (size_t i = 0; i < p->n_hops; i++)
		APPEND(arr, hop_json(&p->hops[i], with_port));
	SET_TAKE(o, "evidence", arr);

	arr = json_array();
	if (arr == NULL)
		goto fail;
	for (size_t i = 0; i < p->n_packets; i++)
		APPEND(arr, packet_json(&p->packets[i]));
	SET_TAKE(o, "packets", arr);
	SET(o, "http_status", p->http_status > 0 ? json_integer(p->http_status) : json_null());
	SET(o, "banner", JSTR_OR_NULL(p->banner));
	if (nc_path_kind_from_container(p->kind))
		SET(o, "resolved", resolved_json(p));
	if (p->kind == NC_PATH_CONTAINER_TO_HOST)
		SET(o, "arrival", arrival_json(p));
	SET(o, "conntrack", conntrack_json(&p->conntrack));
	if (nc_path_kind_proto(p->kind) == NC_PROTO_UDP)
		SET(o, "refused_by", jendpoint(&p->refused_by, false));
	return o;
fail:
	json_decref(arr);
	json_decref(o);
	return NULL;
}

/* A task's state and where it is, or null when the node got none. */
static json_t *task_json(const nc_node_t *n)
{
	json_t *o;

	if (n->task_id[0] == '\0')
		return json_null();
	o = json_object();
	if (o == NULL)
		return NULL;
	SET(o, "id", JSTR(n->task_id));
	SET(o, "state", JSTR(n->task_state));
	SET(o, "error", JSTR_OR_NULL(n->task_error));
	SET(o, "address", jendpoint(&n->task_address, false));
	SET(o, "published_port", n->host_port ? json_integer(n->host_port) : json_null());
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* "swarm": what the run made, and per node its paths: the same objects as
 * in "paths" (all_paths: borrowed, in result order), grouped by node. */
/* "project": a Compose project's services, each with its containers and
 * their paths: the same objects as in "paths" (all_paths: borrowed, in
 * result order, which is service order). */
static json_t *project_json(const nc_result_t *r, json_t *all_paths)
{
	json_t *o = json_object(), *services = json_array(), *service = NULL, *containers = NULL, *container = NULL;
	const nc_path_t *prev = NULL;

	if (o == NULL || services == NULL)
		goto fail;
	SET(o, "name", JSTR(nc_result_container_const(r)->project));
	for (size_t k = 0; k < nc_result_path_count(r) && k < json_array_size(all_paths); k++) {
		const nc_path_t *p = nc_result_path_const(r, k);

		if (prev == NULL || strcmp(prev->service, p->service) != 0) {
			service = json_object();
			APPEND(services, service); /* services owns it */
			SET(service, "name", JSTR(p->service));
			SET(service, "containers", json_array());
			containers = json_object_get(service, "containers"); /* borrowed */
			prev = NULL;
		}
		if (prev == NULL || strcmp(prev->container, p->container) != 0) {
			container = json_object();
			APPEND(containers, container);
			SET(container, "name", JSTR(p->container));
			SET(container, "paths", json_array());
		}
		APPEND(json_object_get(container, "paths"), json_incref(json_array_get(all_paths, k)));
		prev = p;
	}
	SET_TAKE(o, "services", services);
	SET(o, "left_out", json_integer(nc_result_container_const(r)->project_left_out));
	return o;
fail:
	json_decref(services);
	json_decref(o);
	return NULL;
}

static json_t *swarm_json(const nc_result_t *r, json_t *all_paths)
{
	const nc_swarm_t *sw = nc_result_swarm_const(r);
	json_t *o = json_object(), *nodes = NULL;

	if (o == NULL)
		return NULL;
	SET(o, "manager_node_id", JSTR(sw->node_id));
	SET(o, "service", json_pack("{s:o, s:o, s:o}", "id", JSTR(sw->service_id), "name", JSTR(sw->service_name),
				    "image", JSTR(sw->image)));
	SET(o, "network", json_pack("{s:o, s:o, s:o}", "id", JSTR(sw->network_id), "name", JSTR(sw->network_name),
				    "subnet", JSTR_OR_NULL(sw->subnet)));
	SET(o, "ingress_port", sw->ingress_port ? json_integer(sw->ingress_port) : json_null());
	SET(o, "ingress_note", JSTR_OR_NULL(sw->ingress_note));
	SET(o, "removed", json_boolean(sw->removed));
	nodes = json_array();
	if (nodes == NULL)
		goto fail;
	for (size_t i = 0; i < sw->n_nodes; i++) {
		const nc_node_t *n = &sw->nodes[i];
		json_t *node = json_object(), *paths;

		APPEND(nodes, node); /* nodes owns it (or freed it on failure) */
		SET(node, "paths", json_array());
		paths = json_object_get(node, "paths"); /* borrowed: node owns it */
		SET(node, "id", JSTR(n->id));
		SET(node, "hostname", JSTR(n->hostname));
		SET(node, "name", JSTR(n->name));
		SET(node, "address", jendpoint(&n->address, false));
		SET(node, "role", JSTR(n->role));
		SET(node, "state", JSTR(n->state));
		SET(node, "availability", JSTR(n->availability));
		SET(node, "engine", JSTR_OR_NULL(n->engine_url));
		SET(node, "image_loaded", json_boolean(n->image_loaded));
		SET(node, "task", task_json(n));
		for (size_t k = 0; k < nc_result_path_count(r) && k < json_array_size(all_paths); k++)
			if (strcmp(nc_result_path_const(r, k)->node, n->id) == 0)
				APPEND(paths, json_incref(json_array_get(all_paths, k)));
	}
	SET_TAKE(o, "nodes", nodes);
	return o;
fail:
	json_decref(nodes);
	json_decref(o);
	return NULL;
}

json_t *nc_report_json(const nc_result_t *r)
{
	size_t n = nc_result_path_count(r), as_expected = 0;
	json_t *o = json_object(), *paths = NULL, *summary;

	if (o == NULL)
		return NULL;
	SET(o, "schema_version", json_string(NC_REPORT_SCHEMA_VERSION));
	SET(o, "netcheck_version", json_string(NC_VERSION));
	SET(o, "environment", environment_json(nc_result_environment_const(r)));
	SET(o, "container", container_json(nc_result_container_const(r)));
	SET(o, "selection", selection_json(nc_result_selection_const(r)));

	paths = json_array();
	if (paths == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->expected)
			as_expected++;
		APPEND(paths, nc_report_json_path(p));
	}
	if (nc_result_swarm_const(r)->active)
		SET(o, "swarm", swarm_json(r, paths));
	if (nc_result_container_const(r)->project[0] != '\0')
		SET(o, "project", project_json(r, paths));
	SET_TAKE(o, "paths", paths);

	summary = json_object();
	if (summary == NULL)
		goto fail;
	SET(o, "summary", summary); /* borrowed below; o owns it */
	SET(summary, "paths", json_integer((json_int_t)n));
	SET(summary, "as_expected", json_integer((json_int_t)as_expected));
	SET(summary, "unexpected", json_integer((json_int_t)(n - as_expected)));
	SET(o, "exit_code", json_integer(nc_report_exit_code(r)));
	if (nc_result_error(r) != NULL) {
		/* the command failed: say why in the document itself, so a
		 * JSON consumer never has to read stderr */
		json_t *error = json_object();

		if (error == NULL)
			goto fail;
		SET(o, "error", error); /* borrowed below; o owns it */
		SET(error, "message", jstr(nc_result_error(r), NC_DETAIL_MAX));
		SET(error, "code", json_integer(nc_result_error_code(r)));
	}
	return o;
fail:
	json_decref(paths);
	json_decref(o);
	return NULL;
}

int nc_report_json_write(const nc_result_t *r, FILE *out)
{
	json_t *doc = nc_report_json(r);
	int rc;

	if (doc == NULL)
		return -ENOMEM;
	/* 12 significant digits: timings are rounded to the microsecond, and
	 * jansson's default (17) would print 0.21 as 0.20999999999999999. */
	rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(doc);
	if (rc < 0)
		return ferror(out) ? -EIO : -ENOMEM;
	if (fputc('\n', out) == EOF || fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
