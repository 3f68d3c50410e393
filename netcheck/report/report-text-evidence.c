/* The text view's evidence: each path's trail, hop by hop (⇒ between
 * capture points, the forwarder or kernel NAT where the packets changed),
 * and with -v every packet in tcpdump's style.  Reads the model only. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-internal.h"
#include "report-text-internal.h"
#include "netcheck/testing.h"

static void print_forwarder_marker(out_t *o, const nc_path_t *p)
{
	char name[NC_NAME_MAX];

	if (!p->has_forwarder) {
		text_para_text(o, "[forwarder]");
		return;
	}
	CLEAN(p->forwarder.name, name);
	if (p->forwarder.pid > 0)
		text_para_printf(o, "[%s pid %d]", name[0] ? name : "forwarder", p->forwarder.pid);
	else
		text_para_printf(o, "[%s]", name[0] ? name : "forwarder");
}

static void print_hop(out_t *o, const nc_path_t *p, size_t i)
{
	const nc_hop_t *h = &p->hops[i];
	bool with_port = nc_report_path_has_ports(p);
	char point[NC_POINT_NAME_MAX], src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN], delta_text[48] = "";

	CLEAN(h->capture_point, point);
	text_endpoint_text(&h->src, with_port, src, sizeof(src));
	text_endpoint_text(&h->dst, with_port, dst, sizeof(dst));
	if (i > 0) {
		/* what this hop adds: time from the previous hop's first packet */
		double delta = ((double)h->first_ns - (double)p->hops[i - 1].first_ns) / 1e6;
		double size = delta < 0 ? -delta : delta;

		/* two decimals as for timings, three when that would show +0.00 */
		snprintf(delta_text, sizeof(delta_text), size >= 0.1 ? ", %+.2f ms" : ", %+.3f ms", delta);
	}
	text_para_printf(o, "%s %s%s%s (%" PRIu32 " pkt%s%s)", point[0] ? point : "?", src, text_arrow(o), dst, h->packets,
		    h->packets == 1 ? "" : "s", delta_text);
	if (h->encapsulated) {
		/* the overlay's outer packets: which nodes they went between */
		text_endpoint_text(&h->outer_src, false, src, sizeof(src));
		text_endpoint_text(&h->outer_dst, false, dst, sizeof(dst));
		text_para_printf(o, " in vxlan %s%s%s vni %" PRIu32, src, text_arrow(o), dst, h->vni);
	}
}

static void print_trail(out_t *o, const nc_path_t *p)
{
	bool marked = false;

	text_para_begin(o, 2, 6);
	text_para_printf(o, "%s:", nc_report_path_name(p));
	if (p->n_hops == 0) {
		text_para_text(o, "no packets seen");
		text_para_end(o);
		return;
	}
	for (size_t i = 0; i < p->n_hops; i++) {
		bool to_container = p->hops[i].leg == NC_LEG_PROXY_TO_CONTAINER;
		bool translated = p->hops[i].leg == NC_LEG_TRANSLATED;

		if (i > 0)
			text_para_text(o, text_then(o));
		/* kernel NAT rewrote the destination before the first point we saw
		 * it at (for a local address: in OUTPUT, before any interface) */
		if (translated && !marked) {
			char from[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN];

			text_endpoint_text(&p->target, true, from, sizeof(from));
			text_endpoint_text(&p->hops[i].dst, true, to, sizeof(to));
			text_para_printf(o, "[kernel NAT %s %s %s] %s", from, text_arrow(o), to, text_then(o));
			marked = true;
		}
		/* the forwarder sits between the client leg and its own onward
		 * connection: the first proxy-to-container hop */
		if (to_container && !marked) {
			print_forwarder_marker(o, p);
			text_para_text(o, text_then(o));
			marked = true;
		}
		print_hop(o, p, i);
	}
	text_para_end(o);
}

/* The capture agent's line: why it was or was not used, the points it
 * captured with their packets, and its clock's offset from this host's
 * (its packet times are corrected by it) with the uncertainty. */
static void print_agent(out_t *o, const nc_environment_t *env)
{
	char note[NC_DETAIL_MAX + 1];
	size_t points = env->n_capture_points < NC_ARRAY_SIZE(env->capture_points) ? env->n_capture_points :
											NC_ARRAY_SIZE(env->capture_points);
	size_t listed = 0, agents = 0, nodes = 0;

	if (!env->agent_used && env->agent_note[0] == '\0')
		return; /* not wanted: this host captures the engine's side itself */
	CLEAN(env->agent_note, note);
	text_para_begin(o, 0, 2);
	if (!env->agent_used) {
		text_para_printf(o, "capture agent: not used: %s; this host's capture only", note);
		text_para_end(o);
		return;
	}
	for (size_t i = 0; i < points; i++) {
		const char *node = env->capture_points[i].node;
		bool seen = node[0] == '\0';

		if (env->capture_points[i].where != NC_WHERE_HOST)
			agents++;
		/* --swarm: an agent per node; the nodes counted once each */
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(env->capture_points[k].node, node) == 0;
		nodes += seen ? 0 : 1;
	}
	if (nodes > 0)
		text_para_printf(o, "capture agent: on %zu node%s, %zu point%s%s", nodes, nodes == 1 ? "" : "s", agents,
				 agents == 1 ? "" : "s", agents == 0 ? ";" : "");
	else
		text_para_printf(o, "capture agent: on the engine's side, %zu point%s%s", agents, agents == 1 ? "" : "s",
				 agents == 0 ? ";" : "");
	for (size_t i = 0; i < points; i++) {
		const struct nc_capture_point_summary *cp = &env->capture_points[i];
		char name[NC_POINT_NAME_MAX + 1];

		if (cp->where == NC_WHERE_HOST)
			continue;
		CLEAN(cp->name, name);
		listed++;
		text_para_printf(o, "%s%s %llu%s%s", listed == 1 ? "(" : "", name, (unsigned long long)cp->packets,
				 cp->incomplete ? " incomplete" : "", listed < agents ? "," : " packets);");
	}
	/* the paragraph's words join with a space: the ';' goes on the word before */
	if (env->agent_clock_known)
		text_para_printf(o, "clock offset%s %+.3f ms %s %.3f ms%s", nodes > 1 ? " (the least certain node's)" : "",
				 (double)env->agent_clock_offset_ns / 1e6, o->ascii ? "+/-" : "\u00b1",
				 (double)env->agent_clock_uncertainty_ns / 1e6, note[0] != '\0' ? ";" : "");
	else
		text_para_printf(o, "clock offset unknown (its times are taken as this host's)%s",
				 note[0] != '\0' ? ";" : "");
	if (note[0] != '\0')
		text_para_text(o, note);
	text_para_end(o);
}

void text_print_evidence(out_t *o, const nc_result_t *r)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	size_t n = nc_result_path_count(r), not_captured = 0;
	char note[NC_DETAIL_MAX + 1], reason[NC_DETAIL_MAX + 4];

	CLEAN(env->capture_note, note);
	if (note[0] != '\0')
		snprintf(reason, sizeof(reason), " (%s)", note);
	else
		reason[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (nc_result_path_const(r, i)->evidence_state == NC_EVIDENCE_NOT_CAPTURED)
			not_captured++;
	if (n == 0)
		return;
	fputc('\n', o->f);
	if (env->witness_note[0] != '\0') {
		char wnote[NC_DETAIL_MAX + 1];

		CLEAN(env->witness_note, wnote);
		text_line_printf(o, 0, 2, "kernel witness: %s", wnote);
	}
	print_agent(o, env);
	if (not_captured == n) {
		text_line_printf(o, 0, 2, "evidence: not captured%s", reason);
		return;
	}
	text_line_printf(o, 0, 2, "evidence:");
	if (not_captured > 0) {
		size_t listed = 0;

		text_para_begin(o, 2, 4);
		text_para_text(o, "not captured for");
		for (size_t i = 0; i < n; i++) {
			const nc_path_t *p = nc_result_path_const(r, i);

			if (p->evidence_state != NC_EVIDENCE_NOT_CAPTURED)
				continue;
			listed++;
			text_para_printf(o, "%s%s", nc_report_path_name(p), listed < not_captured ? "," : "");
		}
		text_para_text(o, reason);
		text_para_end(o);
	}
	for (size_t i = 0; i < n; i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->evidence_state == NC_EVIDENCE_CAPTURED)
			print_trail(o, p);
	}
	if (env->n_capture_points > 0) {
		uint64_t dropped = 0, not_stored = 0;

		size_t points = env->n_capture_points < NC_ARRAY_SIZE(env->capture_points) ?
					env->n_capture_points : NC_ARRAY_SIZE(env->capture_points);

		text_para_begin(o, 2, 4);
		text_para_text(o, "captured at:");
		for (size_t i = 0; i < points; i++) {
			char name[NC_POINT_NAME_MAX + 1];

			CLEAN(env->capture_points[i].name, name);
			text_para_printf(o, "%s %llu%s", name, (unsigned long long)env->capture_points[i].packets,
				    i + 1 < points ? "," : "");
			dropped += env->capture_points[i].dropped;
			not_stored += env->capture_points[i].not_stored;
		}
		text_para_printf(o, " packets; %llu dropped by the kernel", (unsigned long long)dropped);
		if (not_stored > 0)
			text_para_printf(o, ", %llu over the storage cap", (unsigned long long)not_stored);
		text_para_end(o);
	}
}

/* tcpdump's "addr.port" */
static void tcpdump_endpoint(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	char addr[NC_ENDPOINT_STRLEN];

	text_endpoint_text(e, false, addr, sizeof(addr));
	if (with_port && nc_endpoint_is_set(e))
		snprintf(buf, len, "%s.%u", addr, e->port);
	else
		snprintf(buf, len, "%s", addr);
}

static const char *icmp_type_name(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP) {
		switch (type) {
		case 0: return "echo reply";
		case 3: return "destination unreachable";
		case 8: return "echo request";
		case 11: return "time exceeded";
		default: return NULL;
		}
	}
	switch (type) {
	case 1: return "destination unreachable";
	case 3: return "time exceeded";
	case 128: return "echo request";
	case 129: return "echo reply";
	default: return NULL;
	}
}

static void print_packet(out_t *o, const nc_packet_summary_t *s)
{
	bool with_port = s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP;
	char ts[32], point[NC_POINT_NAME_MAX], src[NC_ENDPOINT_STRLEN + 8], dst[NC_ENDPOINT_STRLEN + 8];
	char what[96];

	if (nc_report_time_clock(s->ts_ns, ts, sizeof(ts)) < 0)
		snprintf(ts, sizeof(ts), "?");
	CLEAN(s->capture_point, point);
	tcpdump_endpoint(&s->src, with_port, src, sizeof(src));
	tcpdump_endpoint(&s->dst, with_port, dst, sizeof(dst));
	switch (s->proto) {
	case IPPROTO_TCP: {
		char flags[16];

		nc_report_tcp_flags(s->tcp_flags, flags, sizeof(flags));
		snprintf(what, sizeof(what), "Flags [%s], length %" PRIu32, flags, s->length);
		break;
	}
	case IPPROTO_UDP:
		snprintf(what, sizeof(what), "UDP, length %" PRIu32, s->length);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		const char *type = icmp_type_name(s->proto, s->icmp_type);
		const char *label = s->proto == IPPROTO_ICMP ? "ICMP" : "ICMP6";

		if (type != NULL)
			snprintf(what, sizeof(what), "%s %s, length %" PRIu32, label, type, s->length);
		else
			snprintf(what, sizeof(what), "%s type %u, length %" PRIu32, label, s->icmp_type, s->length);
		break;
	}
	default:
		snprintf(what, sizeof(what), "ip-proto-%u, length %" PRIu32, s->proto, s->length);
		break;
	}
	text_line_printf(o, 4, 8, "%s %s %s %s > %s: %s", ts, point[0] ? point : "?", nc_direction_name(s->direction),
		    src, dst, what);
}

void text_print_packets(out_t *o, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->evidence_state != NC_EVIDENCE_CAPTURED)
			continue;
		if (!any)
			fputs("\npackets:\n", o->f);
		any = true;
		text_line_printf(o, 2, 4, "%s: %zu packet%s", nc_report_path_name(p), p->n_packets, p->n_packets == 1 ? "" : "s");
		for (size_t k = 0; k < p->n_packets; k++)
			print_packet(o, &p->packets[k]);
	}
}

/* -v: each path's conntrack entry, the kernel's own word on its NAT. */
void text_print_conntrack(out_t *o, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		const nc_path_conntrack_t *ct = &p->conntrack;
		char os[NC_ENDPOINT_STRLEN], od[NC_ENDPOINT_STRLEN], rs[NC_ENDPOINT_STRLEN], rd[NC_ENDPOINT_STRLEN];

		if (!ct->looked)
			continue;
		if (!any)
			fputs("\nconntrack:\n", o->f);
		any = true;
		tcpdump_endpoint(&ct->orig_src, true, os, sizeof(os));
		tcpdump_endpoint(&ct->orig_dst, true, od, sizeof(od));
		if (!ct->found) {
			text_line_printf(o, 2, 4, "%s: %s %s > %s: no entry", nc_report_path_name(p),
					 ct->proto == IPPROTO_UDP ? "udp" : "tcp", os, od);
			continue;
		}
		tcpdump_endpoint(&ct->reply_src, true, rs, sizeof(rs));
		tcpdump_endpoint(&ct->reply_dst, true, rd, sizeof(rd));
		text_line_printf(o, 2, 4, "%s: %s %s > %s, reply %s > %s%s%s%s%s; %s%stimeout %us", nc_report_path_name(p),
				 ct->proto == IPPROTO_UDP ? "udp" : "tcp", os, od, rs, rd, ct->dnat ? " [DNAT]" : "",
				 ct->snat ? " [SNAT]" : "", ct->seen_reply ? " [seen reply]" : " [no reply]",
				 ct->assured ? " [assured]" : "", ct->state, ct->state[0] ? ", " : "", (unsigned)ct->timeout);
	}
}
