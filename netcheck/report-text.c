/* The terminal view of a result: header, one table row per path, notes,
 * the evidence trail of each path, optionally every packet (tcpdump
 * style), and a one-line summary with the exit code.  Reads the result
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

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[1;31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"

#define ARROW "\u2192"      /* → between a hop's source and destination */
#define THEN " \u21d2 "     /* ⇒ between hops */


/* Model text fields are fixed-size arrays: pass the field, not a pointer.
 * The result is safe to print on a terminal (see nc_report_clean). */
#define CLEAN(field, buf) nc_report_clean((field), sizeof(field), true, (buf), sizeof(buf))

enum {
	COL_PATH,
	COL_TARGET,
	COL_VERDICT,
	COL_MECHANISM,
	COL_FORWARDER,
	COL_PEER_SEEN,
	COL_TIMINGS,
	COL_EXPECTED,
	COL_COUNT,
};

static const char *const col_titles[COL_COUNT] = {
	[COL_PATH] = "PATH",
	[COL_TARGET] = "TARGET",
	[COL_VERDICT] = "VERDICT",
	[COL_MECHANISM] = "MECHANISM",
	[COL_FORWARDER] = "FORWARDER",
	[COL_PEER_SEEN] = "PEER SEEN",
	[COL_TIMINGS] = "CONNECT/FIRST BYTE/TOTAL ms",
	[COL_EXPECTED] = "EXPECTED",
};

/* Longest cell: a forwarder name (63 bytes) and a pid, or the EXPECTED text
 * with every mechanism named; both well under this. */
#define CELL_MAX 160

typedef struct row {
	char cell[COL_COUNT][CELL_MAX];
	const char *colour; /* for the VERDICT and EXPECTED cells; NULL = none */
} row_t;

static const char *name_or(const char *name, const char *fallback)
{
	return name != NULL ? name : fallback;
}

static const char *path_name(const nc_path_t *p)
{
	return p->name[0] != '\0' ? p->name : name_or(nc_path_kind_name(p->kind), "unknown-path");
}

static void endpoint_text(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	if (nc_endpoint_format(e, with_port, buf, len) < 0)
		snprintf(buf, len, "?");
}

/* "proxy|nat"; "" when mask is 0 (any mechanism) */
static void mechanisms_text(unsigned mask, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int m = 0; m < NC_MECH_COUNT; m++) {
		int n;

		if (!(mask & (1u << m)))
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o > 0 ? "|" : "",
			     name_or(nc_mechanism_name((nc_mechanism_t)m), "?"));
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

static bool matches_expectation(const nc_path_t *p)
{
	const nc_expectation_t *e = &p->expectation;

	return p->verdict == e->verdict && (e->mechanisms == 0 || (e->mechanisms & (1u << p->mechanism)) != 0);
}

static void expected_text(const nc_path_t *p, char *buf, size_t len)
{
	char mechanisms[96];

	if (p->expected) {
		snprintf(buf, len, "ok");
		return;
	}
	if (p->foreign_responder && matches_expectation(p)) {
		snprintf(buf, len, "UNEXPECTED (answered by another container)");
		return;
	}
	mechanisms_text(p->expectation.mechanisms, mechanisms, sizeof(mechanisms));
	snprintf(buf, len, "UNEXPECTED (wanted %s%s%s)", name_or(nc_verdict_name(p->expectation.verdict), "?"),
		 mechanisms[0] != '\0' ? "/" : "", mechanisms);
}

static void ms_text(double ms, char *buf, size_t len)
{
	if (!isfinite(ms) || ms < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", ms);
}

static const char *row_colour(const nc_path_t *p)
{
	if (!p->expected)
		return ANSI_RED;
	if (p->verdict == NC_VERDICT_REACHABLE)
		return ANSI_GREEN;
	return ANSI_YELLOW; /* skipped, or unroutable/refused/timeout as expected */
}

static void fill_row(const nc_path_t *p, row_t *row)
{
	char name[96], connect[32], first_byte[32], total[32];

	snprintf(row->cell[COL_PATH], CELL_MAX, "%s", path_name(p));
	endpoint_text(&p->target, nc_report_path_has_ports(p), row->cell[COL_TARGET], CELL_MAX);
	snprintf(row->cell[COL_VERDICT], CELL_MAX, "%s", name_or(nc_verdict_name(p->verdict), "?"));
	snprintf(row->cell[COL_MECHANISM], CELL_MAX, "%s", name_or(nc_mechanism_name(p->mechanism), "?"));
	if (!p->has_forwarder) {
		snprintf(row->cell[COL_FORWARDER], CELL_MAX, "-");
	} else {
		CLEAN(p->forwarder.name, name);
		if (p->forwarder.pid > 0)
			snprintf(row->cell[COL_FORWARDER], CELL_MAX, "%s[%d]", name[0] ? name : "?", p->forwarder.pid);
		else
			snprintf(row->cell[COL_FORWARDER], CELL_MAX, "%s", name[0] ? name : "?");
	}
	if (nc_endpoint_is_set(&p->peer_seen))
		endpoint_text(&p->peer_seen, true, row->cell[COL_PEER_SEEN], CELL_MAX);
	else
		snprintf(row->cell[COL_PEER_SEEN], CELL_MAX, "-");
	ms_text(p->timings.connect_ms, connect, sizeof(connect));
	ms_text(p->timings.first_byte_ms, first_byte, sizeof(first_byte));
	ms_text(p->timings.total_ms, total, sizeof(total));
	snprintf(row->cell[COL_TIMINGS], CELL_MAX, "%s/%s/%s", connect, first_byte, total);
	expected_text(p, row->cell[COL_EXPECTED], CELL_MAX);
	row->colour = row_colour(p);
}

static void print_row(FILE *out, const row_t *row, const size_t *widths, bool color)
{
	for (int c = 0; c < COL_COUNT; c++) {
		bool paint = color && row->colour != NULL && (c == COL_VERDICT || c == COL_EXPECTED);

		if (paint)
			fputs(row->colour, out);
		fputs(row->cell[c], out);
		if (paint)
			fputs(ANSI_RESET, out);
		if (c + 1 < COL_COUNT)
			fprintf(out, "%*s", (int)(widths[c] - nc_report_display_width(row->cell[c]) + 2), "");
	}
	fputc('\n', out);
}

static void print_header(FILE *out, const nc_result_t *r)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	const nc_container_t *c = nc_result_container_const(r);
	char engine[NC_NAME_MAX], version[64], api[16], url[NC_DETAIL_MAX];
	char id[16], image[NC_NAME_MAX], ip[NC_ENDPOINT_STRLEN];

	CLEAN(env->engine_name, engine);
	CLEAN(env->engine_version, version);
	CLEAN(env->api_version, api);
	CLEAN(env->engine_url, url);
	fprintf(out, "netcheck %s: %s, %s %s (API %s) at %s\n", NC_VERSION,
		name_or(nc_env_kind_name(env->kind), "unknown"), engine[0] ? engine : "unknown engine",
		version[0] ? version : "?", api[0] ? api : "?", url[0] ? url : "?");

	/* the short id docker ps shows: 12 characters */
	nc_report_clean(c->id, 12, true, id, sizeof(id));
	CLEAN(c->image, image);
	if (nc_endpoint_is_set(&c->ip))
		endpoint_text(&c->ip, true, ip, sizeof(ip));
	else
		snprintf(ip, sizeof(ip), "-");
	fprintf(out, "container %s (%s) %s", id[0] ? id : "-", image[0] ? image : "?", ip);
	if (c->published_port != 0)
		if (c->published_port6 != 0 && c->published_port6 != c->published_port)
			fprintf(out, ", published port %u (IPv4), %u (IPv6)\n", c->published_port, c->published_port6);
		else
			fprintf(out, ", published port %u%s\n", c->published_port, c->published_port6 != 0 ? " (IPv4 and IPv6)" : "");
	else
		fputs(", no published port\n", out);
}

static void print_table(FILE *out, const nc_result_t *r, bool color)
{
	row_t title, rows[NC_PATH_KIND_COUNT];
	size_t widths[COL_COUNT], n = nc_result_path_count(r);

	if (n > NC_ARRAY_SIZE(rows))
		n = NC_ARRAY_SIZE(rows); /* one path per kind: cannot happen */
	for (int c = 0; c < COL_COUNT; c++) {
		snprintf(title.cell[c], CELL_MAX, "%s", col_titles[c]);
		widths[c] = nc_report_display_width(title.cell[c]);
	}
	title.colour = NULL;
	for (size_t i = 0; i < n; i++) {
		fill_row(nc_result_path_const(r, i), &rows[i]);
		for (int c = 0; c < COL_COUNT; c++) {
			size_t w = nc_report_display_width(rows[i].cell[c]);
			if (w > widths[c])
				widths[c] = w;
		}
	}
	print_row(out, &title, widths, false);
	for (size_t i = 0; i < n; i++)
		print_row(out, &rows[i], widths, color);
}

/* Route, detail and the plain-words notes, one line each, under the table. */
static void print_notes(FILE *out, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		char text[NC_DETAIL_MAX + 1];

		if (CLEAN(p->route, text) > 0) {
			fprintf(out, "%s  %s: route %s\n", any ? "" : "\n", path_name(p), text);
			any = true;
		}
		if (CLEAN(p->detail, text) > 0) {
			fprintf(out, "%s  %s: %s\n", any ? "" : "\n", path_name(p), text);
			any = true;
		}
		if (p->mechanism == NC_MECH_OUT_OF_SIGHT) {
			fprintf(out, "%s  %s: the forwarder's onward leg is not visible from this host "
				"(a VM or a namespace netcheck cannot enter)\n", any ? "" : "\n", path_name(p));
			any = true;
		}
		if (p->foreign_responder) {
			CLEAN(p->answered_by, text);
			fprintf(out, "%s  %s: answered by container %s, not ours: IP collision\n", any ? "" : "\n",
				path_name(p), text[0] ? text : "(unknown)");
			any = true;
		}
	}
}

static void print_forwarder_marker(FILE *out, const nc_path_t *p)
{
	char name[NC_NAME_MAX];

	if (!p->has_forwarder) {
		fputs("[forwarder]", out);
		return;
	}
	CLEAN(p->forwarder.name, name);
	if (p->forwarder.pid > 0)
		fprintf(out, "[%s pid %d]", name[0] ? name : "forwarder", p->forwarder.pid);
	else
		fprintf(out, "[%s]", name[0] ? name : "forwarder");
}

static void print_hop(FILE *out, const nc_path_t *p, size_t i)
{
	const nc_hop_t *h = &p->hops[i];
	bool with_port = nc_report_path_has_ports(p);
	char point[NC_POINT_NAME_MAX], src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN];

	CLEAN(h->capture_point, point);
	endpoint_text(&h->src, with_port, src, sizeof(src));
	endpoint_text(&h->dst, with_port, dst, sizeof(dst));
	fprintf(out, "%s %s" ARROW "%s (%" PRIu32 " pkt%s", point[0] ? point : "?", src, dst, h->packets,
		h->packets == 1 ? "" : "s");
	if (i > 0) {
		/* what this hop adds: time from the previous hop's first packet */
		double delta = ((double)h->first_ns - (double)p->hops[i - 1].first_ns) / 1e6;

		double size = delta < 0 ? -delta : delta;

		/* two decimals as for timings, three when that would show +0.00 */
		fprintf(out, size >= 0.1 ? ", %+.2f ms" : ", %+.3f ms", delta);
	}
	fputc(')', out);
}

static void print_trail(FILE *out, const nc_path_t *p)
{
	bool marked = false;

	fprintf(out, "  %s: ", path_name(p));
	if (p->n_hops == 0) {
		fputs("no packets seen\n", out);
		return;
	}
	for (size_t i = 0; i < p->n_hops; i++) {
		bool to_container = p->hops[i].leg == NC_LEG_PROXY_TO_CONTAINER;
		bool translated = p->hops[i].leg == NC_LEG_TRANSLATED;

		if (i > 0)
			fputs(THEN, out);
		/* kernel NAT rewrote the destination before the first point we saw
		 * it at (for a local address: in OUTPUT, before any interface) */
		if (translated && !marked) {
			char from[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN];

			endpoint_text(&p->target, true, from, sizeof(from));
			endpoint_text(&p->hops[i].dst, true, to, sizeof(to));
			fprintf(out, "[kernel NAT %s → %s]", from, to);
			fputs(THEN, out);
			marked = true;
		}
		/* the forwarder sits between the client leg and its own onward
		 * connection: the first proxy-to-container hop */
		if (to_container && !marked) {
			print_forwarder_marker(out, p);
			fputs(THEN, out);
			marked = true;
		}
		print_hop(out, p, i);
	}
	fputc('\n', out);
}

static void print_evidence(FILE *out, const nc_result_t *r)
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
	if (not_captured == n) {
		fprintf(out, "\nevidence: not captured%s\n", reason);
		return;
	}
	fputs("\nevidence:\n", out);
	if (not_captured > 0) {
		bool first = true;

		fputs("  not captured for ", out);
		for (size_t i = 0; i < n; i++) {
			const nc_path_t *p = nc_result_path_const(r, i);

			if (p->evidence_state != NC_EVIDENCE_NOT_CAPTURED)
				continue;
			fprintf(out, "%s%s", first ? "" : ", ", path_name(p));
			first = false;
		}
		fprintf(out, "%s\n", reason);
	}
	for (size_t i = 0; i < n; i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->evidence_state == NC_EVIDENCE_CAPTURED)
			print_trail(out, p);
	}
	if (env->n_capture_points > 0) {
		uint64_t dropped = 0, not_stored = 0;

		fputs("  captured at:", out);
		for (size_t i = 0; i < env->n_capture_points && i < NC_ARRAY_SIZE(env->capture_points); i++) {
			char name[NC_POINT_NAME_MAX + 1];

			CLEAN(env->capture_points[i].name, name);
			fprintf(out, "%s %s %llu", i ? "," : "", name,
				(unsigned long long)env->capture_points[i].packets);
			dropped += env->capture_points[i].dropped;
			not_stored += env->capture_points[i].not_stored;
		}
		fprintf(out, " packets; %llu dropped by the kernel", (unsigned long long)dropped);
		if (not_stored > 0)
			fprintf(out, ", %llu over the storage cap", (unsigned long long)not_stored);
		fputc('\n', out);
	}
}

/* tcpdump's "addr.port" */
static void tcpdump_endpoint(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	char addr[NC_ENDPOINT_STRLEN];

	endpoint_text(e, false, addr, sizeof(addr));
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

static void print_packet(FILE *out, const nc_packet_summary_t *s)
{
	bool with_port = s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP;
	char ts[32], point[NC_POINT_NAME_MAX], src[NC_ENDPOINT_STRLEN + 8], dst[NC_ENDPOINT_STRLEN + 8];

	if (nc_report_time_clock(s->ts_ns, ts, sizeof(ts)) < 0)
		snprintf(ts, sizeof(ts), "?");
	CLEAN(s->capture_point, point);
	tcpdump_endpoint(&s->src, with_port, src, sizeof(src));
	tcpdump_endpoint(&s->dst, with_port, dst, sizeof(dst));
	fprintf(out, "    %s %s %s %s > %s: ", ts, point[0] ? point : "?", nc_direction_name(s->direction), src, dst);
	switch (s->proto) {
	case IPPROTO_TCP: {
		char flags[16];

		nc_report_tcp_flags(s->tcp_flags, flags, sizeof(flags));
		fprintf(out, "Flags [%s], length %" PRIu32 "\n", flags, s->length);
		break;
	}
	case IPPROTO_UDP:
		fprintf(out, "UDP, length %" PRIu32 "\n", s->length);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		const char *type = icmp_type_name(s->proto, s->icmp_type);
		const char *label = s->proto == IPPROTO_ICMP ? "ICMP" : "ICMP6";

		if (type != NULL)
			fprintf(out, "%s %s, length %" PRIu32 "\n", label, type, s->length);
		else
			fprintf(out, "%s type %u, length %" PRIu32 "\n", label, s->icmp_type, s->length);
		break;
	}
	default:
		fprintf(out, "ip-proto-%u, length %" PRIu32 "\n", s->proto, s->length);
		break;
	}
}

static void print_packets(FILE *out, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->evidence_state != NC_EVIDENCE_CAPTURED)
			continue;
		if (!any)
			fputs("\npackets:\n", out);
		any = true;
		fprintf(out, "  %s: %zu packet%s\n", path_name(p), p->n_packets, p->n_packets == 1 ? "" : "s");
		for (size_t k = 0; k < p->n_packets; k++)
			print_packet(out, &p->packets[k]);
	}
}

static const char *exit_code_meaning(int code)
{
	switch (code) {
	case NC_EXIT_OK: return "every path behaved as expected";
	case NC_EXIT_UNEXPECTED: return "at least one path did not behave as expected";
	case NC_EXIT_USAGE: return "bad command line";
	case NC_EXIT_ENGINE: return "engine unreachable or unusable";
	case NC_EXIT_INTERNAL: return "internal error";
	case NC_EXIT_NOPERM: return "a privilege a requested step needs is missing";
	case NC_EXIT_SIGINT: return "interrupted (SIGINT)";
	case NC_EXIT_SIGTERM: return "terminated (SIGTERM)";
	default: return code > 128 ? "ended by a signal" : "unknown";
	}
}

int nc_report_text(const nc_result_t *r, const nc_report_options_t *opt, FILE *out)
{
	nc_report_options_t none = { .color = false, .verbose = false };
	const nc_environment_t *env = nc_result_environment_const(r);
	size_t n = nc_result_path_count(r), as_expected = 0;
	int code = nc_report_exit_code(r);

	if (opt == NULL)
		opt = &none;
	print_header(out, r);
	fputc('\n', out);
	print_table(out, r, opt->color);
	print_notes(out, r);
	print_evidence(out, r);
	if (opt->verbose)
		print_packets(out, r);

	for (size_t i = 0; i < n; i++)
		if (nc_result_path_const(r, i)->expected)
			as_expected++;
	fprintf(out, "\n%zu of %zu paths as expected for %s; exit %d: %s\n", as_expected, n,
		name_or(nc_env_kind_name(env->kind), "unknown"), code, exit_code_meaning(code));
	return ferror(out) ? -EIO : 0;
}
