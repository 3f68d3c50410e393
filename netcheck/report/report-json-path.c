/* The JSON view of one path (report-json.c puts them in the document; the
 * watch's NDJSON line takes them too): its expectation, timings, conntrack
 * entry, diagnosis with its observations, forwarder, hops and packets.
 * Reads the model only.  May call: result, endpoint, jansson. */
#include "netcheck/report.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"
#include "report-json-internal.h"

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

json_t *nc_report_json_path(const nc_path_t *p, bool packets)
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

	if (packets) {
		arr = json_array();
		if (arr == NULL)
			goto fail;
		for (size_t i = 0; i < p->n_packets; i++)
			APPEND(arr, packet_json(&p->packets[i]));
		SET_TAKE(o, "packets", arr);
	}
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
