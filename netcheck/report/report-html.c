/* The HTML view of a result: one self-contained page (inline <style>, no
 * script, font, image or link to anything) with the environment and its
 * capture points, the verdict table, and per path a <section
 * id="path-NAME"> holding an inline <svg> of its evidence trail: the client,
 * each hop in trail order, the forwarder between the client leg and its
 * onward connection, "NAT" before the first translated hop; packets and
 * latency on each hop; where packets stopped on a path that did not reach
 * its target.  Every string from the model is escaped.  Reads the result
 * model only; writes only to the FILE* it is given; allocates nothing.
 * May call: result, endpoint. */
#include "netcheck/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-internal.h"
#include "netcheck/testing.h"

/* escaped text: a fixed-size model field, or a composed string */
#define ESC_MAX (NC_DETAIL_MAX * 6 + 64)
#define PUT_FIELD(out, field) put_escaped((out), (field), sizeof(field))
#define PUT_STR(out, str) put_escaped((out), (str), strlen(str) + 1)

static void put_escaped(FILE *out, const char *text, size_t max)
{
	char buf[ESC_MAX];

	nc_report_xml_escape(text, max, true, buf, sizeof(buf));
	fputs(buf, out);
}

static void endpoint_text(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	if (!nc_endpoint_is_set(e) || nc_endpoint_format(e, with_port, buf, len) < 0)
		snprintf(buf, len, "-");
}

/* the element id of a path's section: "path-" and its name, with no space */
static void put_path_id(FILE *out, const nc_path_t *p)
{
	char id[NC_PATH_NAME_MAX];

	snprintf(id, sizeof(id), "%s", nc_report_path_name(p));
	for (char *c = id; *c != '\0'; c++)
		if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r' || *c == '\f')
			*c = '_';
	fputs("path-", out);
	PUT_STR(out, id);
}

static const char *verdict_class(const nc_path_t *p)
{
	if (!p->expected)
		return "bad";
	return p->verdict == NC_VERDICT_REACHABLE ? "ok" : "quiet";
}

static const char STYLE[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1240px;padding:16px;color:#1d2430}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px}"
	"code,td.mono,.mono{font-family:ui-monospace,monospace;font-size:13px}"
	"table{border-collapse:collapse;margin:4px 0 12px}"
	"th,td{border:1px solid #d0d7e2;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#eef2f7}td.num{text-align:right}"
	".ok{color:#1b7a35}.bad{color:#c62828;font-weight:bold}.quiet{color:#8a6100}"
	"p.summary{font-size:16px;margin:4px 0 12px}"
	"section.path{border-top:2px solid #d0d7e2;margin-top:18px}"
	"p.diagnosis{background:#fdf1f1;border-left:4px solid #c62828;padding:6px 10px}"
	"p.note{color:#4b5565}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0}dt{font-weight:bold}dd{margin:0}"
	"svg{display:block;max-width:100%;height:auto;margin:8px 0}"
	"svg text{font-family:ui-monospace,monospace;font-size:12px;fill:#1d2430}"
	"svg text.head{font-weight:bold;font-size:13px}svg text.stop{fill:#c62828;font-weight:bold}"
	"svg .box{fill:#eef4ff;stroke:#4a6fa5;stroke-width:1.5}"
	"svg .client{fill:#f4f5f7;stroke:#6b7380}"
	"svg .forwarder{fill:#f3e8ff;stroke:#7b4bb0;stroke-dasharray:6 3}"
	"svg .nat{fill:#fff3e0;stroke:#c77700;stroke-dasharray:6 3}"
	"svg .stopped{fill:#fde8e8;stroke:#c62828;stroke-width:3}"
	"svg .stopped-quiet{fill:#fff6db;stroke:#b26a00;stroke-width:3}"
	"svg .nothing{fill:#fff;stroke:#c62828;stroke-dasharray:4 3}"
	"svg .unknown{fill:#fff;stroke:#9aa3ae;stroke-dasharray:4 3}"
	"svg .link{stroke:#4b5565;stroke-width:1.5;fill:none}";

static void print_environment(FILE *out, const nc_result_t *r)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	const nc_container_t *c = nc_result_container_const(r);
	char addr[NC_ENDPOINT_STRLEN];

	fputs("<section id=\"environment\"><h2>Environment</h2><dl>\n<dt>engine</dt><dd>", out);
	PUT_FIELD(out, env->engine_name);
	fputc(' ', out);
	PUT_FIELD(out, env->engine_version);
	fputs(" (API ", out);
	PUT_FIELD(out, env->api_version);
	fputs(") at <code>", out);
	PUT_FIELD(out, env->engine_url);
	fprintf(out, "</code></dd>\n<dt>kind</dt><dd>%s%s</dd>\n<dt>os</dt><dd>",
		nc_report_name_or(nc_env_kind_name(env->kind), "unknown"), env->rootless ? " (rootless)" : "");
	PUT_FIELD(out, env->os);
	fputs("</dd>\n<dt>bridge</dt><dd><code>", out);
	PUT_STR(out, env->bridge[0] ? env->bridge : "-");
	fprintf(out, "</code>%s</dd>\n<dt>host address</dt><dd><code>",
		env->bridge_attached ? " (attached to this host)" : " (not attached to this host)");
	endpoint_text(&env->host_address, false, addr, sizeof(addr));
	fputs(addr, out);
	fputs("</code> on <code>", out);
	PUT_STR(out, env->host_interface[0] ? env->host_interface : "-");
	fputs("</code></dd>\n<dt>container</dt><dd><code>", out);
	put_escaped(out, c->id, 12);
	fputs("</code> (", out);
	PUT_FIELD(out, c->image);
	endpoint_text(&c->ip, true, addr, sizeof(addr));
	fprintf(out, ") <code>%s</code>", addr);
	if (c->published_port != 0)
		fprintf(out, ", published port %u", c->published_port);
	if (c->published_port6 != 0)
		fprintf(out, ", on IPv6 %u", c->published_port6);
	fputs("</dd>\n", out);
	if (env->capture_note[0] != '\0') {
		fputs("<dt>capture</dt><dd>", out);
		PUT_FIELD(out, env->capture_note);
		fputs("</dd>\n", out);
	}
	if (env->agent_used || env->agent_note[0] != '\0') {
		/* its points are in the table below, where: engine or container */
		fputs("<dt>capture agent</dt><dd>", out);
		if (!env->agent_used)
			fputs("not used; this host's capture only", out);
		else if (env->agent_clock_known)
			fprintf(out, "on the engine's side; clock offset %+.3f ms &plusmn; %.3f ms",
				(double)env->agent_clock_offset_ns / 1e6, (double)env->agent_clock_uncertainty_ns / 1e6);
		else
			fputs("on the engine's side; clock offset unknown", out);
		if (env->agent_note[0] != '\0') {
			fputs(": ", out);
			PUT_FIELD(out, env->agent_note);
		}
		fputs("</dd>\n", out);
	}
	fputs("</dl>\n", out);
	if (env->n_capture_points == 0) {
		fputs("<p class=\"note\">No capture points.</p>\n</section>\n", out);
		return;
	}
	fputs("<table id=\"capture-points\"><tr><th>capture point</th><th>what it is</th><th>packets kept</th>"
	      "<th>received</th><th>dropped by the kernel</th><th>over the storage cap</th></tr>\n",
	      out);
	for (size_t i = 0; i < env->n_capture_points && i < NC_ARRAY_SIZE(env->capture_points); i++) {
		const struct nc_capture_point_summary *cp = &env->capture_points[i];

		fputs("<tr><td class=\"mono\">", out);
		PUT_FIELD(out, cp->name);
		fputs("</td><td>", out);
		PUT_FIELD(out, cp->description);
		fprintf(out, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64 "</td>"
			"<td class=\"num%s\">%" PRIu64 "</td><td class=\"num\">%" PRIu64 "</td></tr>\n",
			cp->packets, cp->received, cp->dropped > 0 ? " bad" : "", cp->dropped, cp->not_stored);
	}
	fputs("</table>\n</section>\n", out);
}

static void print_expected_cell(FILE *out, const nc_path_t *p)
{
	char mechanisms[96], others[128];

	if (p->expected) {
		fputs("<td class=\"ok\">yes</td>", out);
		return;
	}
	nc_report_mechanisms_text(p->expectation.mechanisms, mechanisms, sizeof(mechanisms));
	nc_report_other_verdicts_text(p->expectation.other_verdicts, others, sizeof(others));
	fprintf(out, "<td class=\"bad\">no: wanted %s%s%s%s%s</td>",
		nc_report_name_or(nc_verdict_name(p->expectation.verdict), "?"), mechanisms[0] ? " (" : "", mechanisms,
		mechanisms[0] ? ")" : "", others);
}

static void print_diagnosis_text(FILE *out, const nc_path_t *p)
{
	PUT_FIELD(out, p->diagnosis.detail);
	if (p->diagnosis.hint[0] != '\0') {
		fputs(" <b>hint:</b> ", out);
		PUT_FIELD(out, p->diagnosis.hint);
	}
}

static void print_verdicts(FILE *out, const nc_result_t *r)
{
	fputs("<section id=\"verdicts\"><h2>Verdicts</h2>\n<table><tr><th>path</th><th>target</th><th>verdict</th>"
	      "<th>mechanism</th><th>expected?</th><th>diagnosis</th></tr>\n",
	      out);
	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		char target[NC_ENDPOINT_STRLEN];

		endpoint_text(&p->target, nc_report_path_has_ports(p), target, sizeof(target));
		fputs("<tr><td class=\"mono\"><a href=\"#", out);
		put_path_id(out, p);
		fputs("\">", out);
		PUT_STR(out, nc_report_path_name(p));
		fprintf(out, "</a></td><td class=\"mono\">%s</td><td class=\"%s\">%s</td><td>%s</td>", target,
			verdict_class(p), nc_report_name_or(nc_verdict_name(p->verdict), "?"),
			nc_report_name_or(nc_mechanism_name(p->mechanism), "?"));
		print_expected_cell(out, p);
		fputs("<td>", out);
		if (p->diagnosis.code != NC_DIAG_NONE) {
			fprintf(out, "<code>%s</code>: ", nc_report_name_or(nc_diag_code_name(p->diagnosis.code), "?"));
			print_diagnosis_text(out, p);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
}

/* --- the trail as an SVG ------------------------------------------------ */

#define BOX_W 210
#define BOX_H 112
#define GAP 40
#define PER_ROW 5
#define MARGIN 12
#define ROW_GAP 52
#define LINE_H 17
/* characters of 12px monospace that fit in a box */
#define BOX_CHARS 27

typedef enum node_kind { NODE_CLIENT, NODE_HOP, NODE_FORWARDER, NODE_NAT, NODE_NOTHING } node_kind_t;

typedef struct node {
	node_kind_t kind;
	size_t hop; /* NODE_HOP */
} node_t;

#define MAX_NODES (NC_MAX_HOPS + 4)

/* The trail in drawing order: client, hops, with the forwarder or NAT
 * where the legs change. */
static size_t trail_nodes(const nc_path_t *p, node_t *nodes)
{
	size_t n = 0;
	bool marked = false;

	nodes[n++] = (node_t){ .kind = NODE_CLIENT };
	for (size_t i = 0; i < p->n_hops && i < NC_MAX_HOPS; i++) {
		if (!marked && p->hops[i].leg == NC_LEG_TRANSLATED) {
			nodes[n++] = (node_t){ .kind = NODE_NAT };
			marked = true;
		}
		if (!marked && p->hops[i].leg == NC_LEG_PROXY_TO_CONTAINER) {
			nodes[n++] = (node_t){ .kind = NODE_FORWARDER };
			marked = true;
		}
		nodes[n++] = (node_t){ .kind = NODE_HOP, .hop = i };
	}
	if (p->n_hops == 0)
		nodes[n++] = (node_t){ .kind = NODE_NOTHING };
	return n;
}

/* Did packets stop short of the target?  Then the last hop is where the
 * evidence ends. */
static bool stopped(const nc_path_t *p)
{
	return p->verdict != NC_VERDICT_REACHABLE && p->verdict != NC_VERDICT_SKIPPED;
}

/* One line of text in a box, cut to the box (the full text is in the
 * box's <title>). */
static void svg_line(FILE *out, int x, int y, const char *cls, const char *text)
{
	char cut[NC_DETAIL_MAX], clean[NC_DETAIL_MAX];
	size_t cols = 0, i = 0;

	nc_report_clean(text, strlen(text) + 1, true, clean, sizeof(clean));
	for (; clean[i] != '\0'; i++) {
		if (((unsigned char)clean[i] & 0xC0) != 0x80 && ++cols > BOX_CHARS)
			break;
	}
	if (clean[i] != '\0')
		snprintf(cut, sizeof(cut), "%.*s\u2026", (int)(i - (i > 0 ? 1 : 0)), clean);
	else
		snprintf(cut, sizeof(cut), "%s", clean);
	fprintf(out, "<text x=\"%d\" y=\"%d\"%s%s%s>", x, y, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	PUT_STR(out, cut);
	fputs("</text>\n", out);
}

static void node_position(size_t i, int *x, int *y)
{
	*x = MARGIN + (int)(i % PER_ROW) * (BOX_W + GAP);
	*y = MARGIN + (int)(i / PER_ROW) * (BOX_H + ROW_GAP);
}

static void hop_lines(const nc_path_t *p, size_t i, char lines[5][NC_DETAIL_MAX])
{
	const nc_hop_t *h = &p->hops[i];
	bool with_port = nc_report_path_has_ports(p);
	char src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN];

	endpoint_text(&h->src, with_port, src, sizeof(src));
	endpoint_text(&h->dst, with_port, dst, sizeof(dst));
	nc_report_clean(h->capture_point, sizeof(h->capture_point), true, lines[0], NC_DETAIL_MAX);
	snprintf(lines[1], NC_DETAIL_MAX, "%s, %s%s", nc_report_name_or(nc_leg_name(h->leg), "?"),
		 nc_direction_name(h->direction), h->encapsulated ? ", in vxlan" : "");
	snprintf(lines[2], NC_DETAIL_MAX, "%s", src);
	snprintf(lines[3], NC_DETAIL_MAX, "\u2192 %s", dst);
	if (i == 0)
		snprintf(lines[4], NC_DETAIL_MAX, "%" PRIu32 " pkt%s, first seen", h->packets, h->packets == 1 ? "" : "s");
	else
		snprintf(lines[4], NC_DETAIL_MAX, "%" PRIu32 " pkt%s, %+.3f ms", h->packets, h->packets == 1 ? "" : "s",
			 ((double)h->first_ns - (double)p->hops[i - 1].first_ns) / 1e6);
}

static void print_node(FILE *out, const nc_path_t *p, const node_t *node, size_t i, bool last)
{
	char lines[5][NC_DETAIL_MAX] = { "", "", "", "", "" }, title[5 * NC_DETAIL_MAX + 8];
	const char *cls = "box";
	int x, y;

	node_position(i, &x, &y);
	switch (node->kind) {
	case NODE_CLIENT: {
		char local[NC_ENDPOINT_STRLEN];

		cls = "box client";
		snprintf(lines[0], NC_DETAIL_MAX, "client");
		snprintf(lines[1], NC_DETAIL_MAX, "%s",
			 nc_path_kind_from_container(p->kind) ? "in the container"
			 : nc_path_kind_is_remote(p->kind) ? "in a remote namespace"
							       : "netcheck on this host");
		if (nc_endpoint_is_set(&p->local)) {
			endpoint_text(&p->local, nc_report_path_has_ports(p), local, sizeof(local));
			snprintf(lines[2], NC_DETAIL_MAX, "from %s", local);
		}
		endpoint_text(&p->target, nc_report_path_has_ports(p), local, sizeof(local));
		snprintf(lines[3], NC_DETAIL_MAX, "to %s", local);
		break;
	}
	case NODE_FORWARDER: {
		char name[sizeof(p->forwarder.name)];

		cls = "box forwarder";
		nc_report_clean(p->forwarder.name, sizeof(p->forwarder.name), true, name, sizeof(name));
		snprintf(lines[0], NC_DETAIL_MAX, "%s", p->has_forwarder && name[0] ? name : "forwarder");
		if (p->has_forwarder && p->forwarder.pid > 0)
			snprintf(lines[1], NC_DETAIL_MAX, "pid %d", p->forwarder.pid);
		snprintf(lines[2], NC_DETAIL_MAX, "forwarder: accepts the");
		snprintf(lines[3], NC_DETAIL_MAX, "client's connection, opens");
		snprintf(lines[4], NC_DETAIL_MAX, "its own to the container");
		break;
	}
	case NODE_NAT: {
		char from[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN];

		cls = "box nat";
		endpoint_text(&p->target, true, from, sizeof(from));
		/* the node after NAT is the first translated hop (trail_nodes) */
		endpoint_text(&p->hops[node[1].hop].dst, true, to, sizeof(to));
		snprintf(lines[0], NC_DETAIL_MAX, "NAT");
		snprintf(lines[1], NC_DETAIL_MAX, "kernel DNAT: destination");
		snprintf(lines[2], NC_DETAIL_MAX, "%s", from);
		snprintf(lines[3], NC_DETAIL_MAX, "\u2192 %s", to);
		snprintf(lines[4], NC_DETAIL_MAX, "no process in between");
		break;
	}
	case NODE_NOTHING:
		if (p->evidence_state != NC_EVIDENCE_CAPTURED) {
			cls = "box unknown";
			snprintf(lines[0], NC_DETAIL_MAX, "evidence not captured");
			snprintf(lines[1], NC_DETAIL_MAX, "(no capture for this path)");
			break;
		}
		cls = "box nothing";
		snprintf(lines[0], NC_DETAIL_MAX, "no packets seen");
		snprintf(lines[1], NC_DETAIL_MAX, "at any capture point");
		break;
	case NODE_HOP:
		hop_lines(p, node->hop, lines);
		if (last && stopped(p))
			cls = p->expected ? "box stopped-quiet" : "box stopped";
		break;
	}
	snprintf(title, sizeof(title), "%s; %s; %s %s; %s", lines[0], lines[1], lines[2], lines[3], lines[4]);
	fputs("<g><title>", out);
	PUT_STR(out, title);
	fprintf(out, "</title><rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\"/>\n", cls, x, y,
		BOX_W, BOX_H);
	for (int l = 0; l < 5; l++)
		if (lines[l][0] != '\0')
			svg_line(out, x + 10, y + 22 + l * LINE_H + (l > 0 ? 4 : 0), l == 0 ? "head" : NULL, lines[l]);
	if (node->kind == NODE_HOP && last && stopped(p))
		fprintf(out, "<text class=\"stop\" x=\"%d\" y=\"%d\">\u25b2 packets stopped here</text>\n", x + 10,
			y + BOX_H + 20);
	fputs("</g>\n", out);
}

/* An arrow from node i-1 to node i: straight along a row, or down and
 * back to the start of the next one. */
static void print_link(FILE *out, size_t i, size_t svg_index)
{
	int x0, y0, x1, y1;

	node_position(i - 1, &x0, &y0);
	node_position(i, &x1, &y1);
	if (y0 == y1)
		fprintf(out, "<path class=\"link\" d=\"M%d %d H%d\" marker-end=\"url(#arrow-%zu)\"/>\n", x0 + BOX_W,
			y0 + BOX_H / 2, x1 - 2, svg_index);
	else
		fprintf(out, "<path class=\"link\" d=\"M%d %d V%d H%d V%d\" marker-end=\"url(#arrow-%zu)\"/>\n",
			x0 + BOX_W / 2, y0 + BOX_H, y0 + BOX_H + ROW_GAP / 2, x1 + BOX_W / 2, y1 - 2, svg_index);
}

static void print_svg(FILE *out, const nc_path_t *p, size_t svg_index)
{
	node_t nodes[MAX_NODES];
	size_t n = trail_nodes(p, nodes), rows = (n + PER_ROW - 1) / PER_ROW;
	size_t cols = n < PER_ROW ? n : PER_ROW;
	int width = 2 * MARGIN + (int)cols * BOX_W + (int)(cols - 1) * GAP;
	int height = 2 * MARGIN + (int)rows * BOX_H + (int)(rows - 1) * ROW_GAP + 28;
	char summary[2 * NC_PATH_NAME_MAX + 64];

	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\"><title>", width, height, width, height);
	snprintf(summary, sizeof(summary), "%s: evidence trail, %zu hop%s", nc_report_path_name(p), p->n_hops,
		 p->n_hops == 1 ? "" : "s");
	PUT_STR(out, summary);
	if (stopped(p) && p->n_hops > 0) {
		fputs(", packets stopped at ", out);
		PUT_FIELD(out, p->hops[p->n_hops - 1].capture_point);
	}
	fprintf(out, "</title>\n<defs><marker id=\"arrow-%zu\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
		"markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" "
		"fill=\"#4b5565\"/></marker></defs>\n", svg_index);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			print_link(out, i, svg_index);
		print_node(out, p, &nodes[i], i, i + 1 == n);
	}
	fputs("</svg>\n", out);
}

static void print_hop_table(FILE *out, const nc_path_t *p)
{
	bool with_port = nc_report_path_has_ports(p);

	if (p->n_hops == 0)
		return;
	fputs("<table class=\"hops\"><tr><th>#</th><th>capture point</th><th>leg</th><th>direction</th><th>source</th>"
	      "<th>destination</th><th>packets</th><th>first packet (UTC)</th><th>after the previous hop</th></tr>\n",
	      out);
	for (size_t i = 0; i < p->n_hops; i++) {
		const nc_hop_t *h = &p->hops[i];
		char src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN], ts[40];

		endpoint_text(&h->src, with_port, src, sizeof(src));
		endpoint_text(&h->dst, with_port, dst, sizeof(dst));
		if (nc_report_time_rfc3339(h->first_ns, ts, sizeof(ts)) < 0)
			snprintf(ts, sizeof(ts), "?");
		fprintf(out, "<tr><td class=\"num\">%zu</td><td class=\"mono\">", i + 1);
		PUT_FIELD(out, h->capture_point);
		if (h->encapsulated) {
			/* the overlay's outer packets: which nodes they went between */
			char osrc[NC_ENDPOINT_STRLEN], odst[NC_ENDPOINT_STRLEN];

			endpoint_text(&h->outer_src, false, osrc, sizeof(osrc));
			endpoint_text(&h->outer_dst, false, odst, sizeof(odst));
			fprintf(out, "<br>in vxlan %s \u2192 %s, vni %" PRIu32, osrc, odst, h->vni);
		}
		fprintf(out, "</td><td>%s</td><td>%s</td><td class=\"mono\">%s</td><td class=\"mono\">%s</td>"
			"<td class=\"num\">%" PRIu32 "</td><td class=\"mono\">%s</td>",
			nc_report_name_or(nc_leg_name(h->leg), "?"), nc_direction_name(h->direction), src, dst, h->packets,
			ts);
		if (i > 0)
			fprintf(out, "<td class=\"num\">%+.3f ms</td></tr>\n",
				((double)h->first_ns - (double)p->hops[i - 1].first_ns) / 1e6);
		else
			fputs("<td class=\"num\">-</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void print_packets(FILE *out, const nc_path_t *p)
{
	if (p->n_packets == 0)
		return;
	fprintf(out, "<details><summary>%zu packet%s</summary><table class=\"packets\"><tr><th>time (UTC)</th>"
		"<th>capture point</th><th>leg</th><th>direction</th><th>protocol</th><th>source</th>"
		"<th>destination</th><th>tcp flags</th><th>length</th></tr>\n", p->n_packets, p->n_packets == 1 ? "" : "s");
	for (size_t k = 0; k < p->n_packets; k++) {
		const nc_packet_summary_t *s = &p->packets[k];
		bool with_port = s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP;
		char src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN], ts[40], flags[16] = "";

		endpoint_text(&s->src, with_port, src, sizeof(src));
		endpoint_text(&s->dst, with_port, dst, sizeof(dst));
		if (nc_report_time_rfc3339(s->ts_ns, ts, sizeof(ts)) < 0)
			snprintf(ts, sizeof(ts), "?");
		if (s->proto == IPPROTO_TCP)
			nc_report_tcp_flags(s->tcp_flags, flags, sizeof(flags));
		fprintf(out, "<tr><td class=\"mono\">%s</td><td class=\"mono\">", ts);
		PUT_FIELD(out, s->capture_point);
		fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td class=\"mono\">%s</td><td class=\"mono\">%s</td>"
			"<td class=\"mono\">%s</td><td class=\"num\">%" PRIu32 "</td></tr>\n",
			nc_report_name_or(nc_leg_name(s->leg), "?"), nc_direction_name(s->direction),
			nc_report_proto_name(s->proto), src, dst, flags, s->length);
	}
	fputs("</table></details>\n", out);
}

static void print_path(FILE *out, const nc_path_t *p, size_t index, bool verbose)
{
	char target[NC_ENDPOINT_STRLEN];

	endpoint_text(&p->target, nc_report_path_has_ports(p), target, sizeof(target));
	fputs("<section class=\"path\" id=\"", out);
	put_path_id(out, p);
	fputs("\"><h2><code>", out);
	PUT_STR(out, nc_report_path_name(p));
	fprintf(out, "</code> to <code>%s</code>", target);
	if (p->node[0] != '\0') {
		fputs(" on node <code>", out);
		PUT_FIELD(out, p->node);
		fputs("</code>", out);
	}
	fprintf(out, ": <span class=\"%s\">%s</span>, %s</h2>\n", verdict_class(p),
		nc_report_name_or(nc_verdict_name(p->verdict), "?"), nc_report_name_or(nc_mechanism_name(p->mechanism), "?"));
	if (p->diagnosis.code != NC_DIAG_NONE) {
		fputs("<p class=\"diagnosis\">", out);
		print_diagnosis_text(out, p);
		fputs("</p>\n", out);
		/* what the diagnosis rests on */
		if (p->diagnosis.n_observed > 0)
			fputs("<ul class=\"observed\">\n", out);
		for (size_t k = 0; k < p->diagnosis.n_observed && k < NC_DIAG_OBSERVED_MAX; k++) {
			fprintf(out, "<li><b>%s</b>: ", nc_report_name_or(nc_obs_source_name(p->diagnosis.observed[k].source), "?"));
			PUT_FIELD(out, p->diagnosis.observed[k].text);
			fputs("</li>\n", out);
		}
		if (p->diagnosis.n_observed > 0)
			fputs("</ul>\n", out);
	}
	if (p->route[0] != '\0') {
		fputs("<p class=\"note\">route: <code>", out);
		PUT_FIELD(out, p->route);
		fputs("</code></p>\n", out);
	}
	if (p->detail[0] != '\0') {
		fputs("<p class=\"note\">", out);
		PUT_FIELD(out, p->detail);
		fputs("</p>\n", out);
	}
	if (p->mechanism == NC_MECH_OUT_OF_SIGHT)
		fputs("<p class=\"note\">The forwarder's onward leg is not visible from this host (a VM or a namespace "
		      "netcheck cannot enter).</p>\n", out);
	if (p->foreign_responder) {
		fputs("<p class=\"diagnosis\">Answered by container <code>", out);
		PUT_FIELD(out, p->answered_by);
		fputs("</code>, not ours: IP collision.</p>\n", out);
	}
	if (p->evidence_state != NC_EVIDENCE_CAPTURED)
		fputs("<p class=\"note\">Evidence not captured for this path.</p>\n", out);
	print_svg(out, p, index);
	print_hop_table(out, p);
	if (verbose)
		print_packets(out, p);
	fputs("</section>\n", out);
}

int nc_report_html_write(const nc_result_t *r, const nc_report_options_t *opt, FILE *out)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	size_t n = nc_result_path_count(r), as_expected = 0;
	int code = nc_report_exit_code(r);
	const char *kind = nc_report_name_or(nc_env_kind_name(env->kind), "unknown");

	for (size_t i = 0; i < n; i++)
		if (nc_result_path_const(r, i)->expected)
			as_expected++;
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>netcheck %s: %s, %zu of %zu paths as expected</title>\n<style>%s</style>\n</head>\n<body>\n",
		NC_VERSION, kind, as_expected, n, STYLE);
	fprintf(out, "<h1>netcheck %s: %s</h1>\n<p class=\"summary\"><span class=\"%s\">%zu of %zu paths as "
		"expected</span>; exit code %d</p>\n", NC_VERSION, kind, as_expected == n ? "ok" : "bad", as_expected, n,
		code);
	if (nc_result_error(r) != NULL) {
		fputs("<p class=\"diagnosis\" id=\"error\"><b>The run failed:</b> ", out);
		put_escaped(out, nc_result_error(r), NC_DETAIL_MAX);
		fprintf(out, " (error %s)</p>\n", nc_error_name(nc_result_error_code(r)));
	}
	print_environment(out, r);
	print_verdicts(out, r);
	fputs("<h2>Paths</h2>\n", out);
	for (size_t i = 0; i < n; i++)
		print_path(out, nc_result_path_const(r, i), i, opt != NULL && opt->verbose);
	fputs("</body>\n</html>\n", out);
	return fflush(out) != 0 || ferror(out) ? -EIO : 0;
}
