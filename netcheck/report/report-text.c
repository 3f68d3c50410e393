/* The terminal view of a result: header, one table row per path, notes
 * and diagnoses, the evidence trail of each path, optionally every packet
 * (tcpdump style), and a one-line summary with the exit code.  Every line
 * fits opt->width: the table drops and shortens columns, the rest wraps
 * with an indent.  In ASCII mode no byte >= 0x80 is written (arrows become
 * "->"/"=>", other text '?').  Reads the result model only; writes only to
 * the FILE* it is given; allocates nothing.  May call: result, endpoint. */
#include "netcheck/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
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

/* Narrower than this, the three columns that matter cannot be told apart. */
#define MIN_WIDTH 20u
#define DEFAULT_WIDTH 80u


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
/* the timings title when the column is narrower than the long one */
#define TIMINGS_SHORT_TITLE "C/FB/TOTAL ms"

/* How narrow a column may get before the table drops columns instead:
 * a target, a verdict, a mechanism and the timings are never cut (a cut
 * number is a wrong number: 172.17.0.2:80… for :8080); EXPECTED keeps
 * room for its short form (EXPECTED_SHORT). 0 = never cut. */
static const size_t col_floor[COL_COUNT] = {
	[COL_PEER_SEEN] = 8, [COL_EXPECTED] = 10,
};
/* what a cut EXPECTED cell says instead, the whole text under the table */
#define EXPECTED_SHORT "UNEXPECTED"
/* which columns shrink first, and which go when shrinking is not enough;
 * whatever goes is named under the table, and the JSON report has it all.
 * A forwarder is whole or gone (the evidence trail names it too).
 * A path's name is its identity (published-loopback and -loopback6 differ
 * at the end): it is cut last, only where nothing else is left to cut. */
static const int shrink_order[] = { COL_EXPECTED, COL_TIMINGS, COL_PEER_SEEN };
static const int drop_order[] = { COL_TIMINGS, COL_PEER_SEEN, COL_FORWARDER, COL_MECHANISM, COL_TARGET };
#define COL_GAP 2

/* Longest cell: a forwarder name (63 bytes) and a pid, or the EXPECTED text
 * with every mechanism named; both well under this. */
#define CELL_MAX 160

typedef struct row {
	char cell[COL_COUNT][CELL_MAX];
	const char *colour; /* for the VERDICT and EXPECTED cells; NULL = none */
} row_t;

typedef struct table_layout {
	size_t width[COL_COUNT];
	bool shown[COL_COUNT];
} table_layout_t;

static void expected_text(const nc_path_t *p, char *buf, size_t len)
{
	char mechanisms[96], others[128];

	/* the policy's judgement (nc_expect_evaluate()), in words */
	if (p->expected) {
		snprintf(buf, len, "ok");
		return;
	}
	if (p->unexpected == NC_UNEXPECTED_FOREIGN) {
		snprintf(buf, len, "UNEXPECTED (answered by another container)");
		return;
	}
	if (p->unexpected == NC_UNEXPECTED_WARNING || p->unexpected == NC_UNEXPECTED_UNSENT) {
		char reason[NC_UNEXPECTED_REASON_MAX];

		CLEAN(p->unexpected_reason, reason);
		snprintf(buf, len, "UNEXPECTED (%s)",
			 reason[0] ? reason : p->unexpected == NC_UNEXPECTED_UNSENT ? "not sent" : "a warning diagnosis");
		return;
	}
	nc_report_mechanisms_text(p->expectation.mechanisms, mechanisms, sizeof(mechanisms));
	nc_report_other_verdicts_text(p->expectation.other_verdicts, others, sizeof(others));
	snprintf(buf, len, "UNEXPECTED (wanted %s%s%s%s)", nc_report_name_or(nc_verdict_name(p->expectation.verdict), "?"),
		 mechanisms[0] != '\0' ? "/" : "", mechanisms, others);
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

static void forwarder_text(const nc_path_t *p, char *buf, size_t len)
{
	char name[sizeof(p->forwarder.name)];

	if (!p->has_forwarder) {
		snprintf(buf, len, "-");
		return;
	}
	CLEAN(p->forwarder.name, name);
	if (p->forwarder.pid > 0)
		snprintf(buf, len, "%s[%d]", name[0] ? name : "?", p->forwarder.pid);
	else
		snprintf(buf, len, "%s", name[0] ? name : "?");
}

static void fill_row(const nc_path_t *p, row_t *row)
{
	char connect[32], first_byte[32], total[32];

	snprintf(row->cell[COL_PATH], CELL_MAX, "%s", nc_report_path_name(p));
	text_endpoint_text(&p->target, nc_report_path_has_ports(p), row->cell[COL_TARGET], CELL_MAX);
	snprintf(row->cell[COL_VERDICT], CELL_MAX, "%s", nc_report_name_or(nc_verdict_name(p->verdict), "?"));
	snprintf(row->cell[COL_MECHANISM], CELL_MAX, "%s", nc_report_name_or(nc_mechanism_name(p->mechanism), "?"));
	forwarder_text(p, row->cell[COL_FORWARDER], CELL_MAX);
	if (nc_endpoint_is_set(&p->peer_seen))
		text_endpoint_text(&p->peer_seen, true, row->cell[COL_PEER_SEEN], CELL_MAX);
	else
		snprintf(row->cell[COL_PEER_SEEN], CELL_MAX, "-");
	ms_text(p->timings.connect_ms, connect, sizeof(connect));
	ms_text(p->timings.first_byte_ms, first_byte, sizeof(first_byte));
	ms_text(p->timings.total_ms, total, sizeof(total));
	snprintf(row->cell[COL_TIMINGS], CELL_MAX, "%s/%s/%s", connect, first_byte, total);
	expected_text(p, row->cell[COL_EXPECTED], CELL_MAX);
	row->colour = row_colour(p);
}

static size_t layout_total(const table_layout_t *t)
{
	size_t total = 0, n = 0;

	for (int c = 0; c < COL_COUNT; c++)
		if (t->shown[c]) {
			total += t->width[c];
			n++;
		}
	return n > 0 ? total + COL_GAP * (n - 1) : 0;
}

/* Shrinks the shown columns, in shrink_order, down to `floors`. */
static void layout_shrink(table_layout_t *t, const size_t *floors, size_t width)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(shrink_order) && layout_total(t) > width; i++) {
		int c = shrink_order[i];
		size_t over = layout_total(t) - width, spare;

		if (!t->shown[c] || t->width[c] <= floors[c])
			continue;
		spare = t->width[c] - floors[c];
		t->width[c] -= over < spare ? over : spare;
	}
}

/* Widest cells first; then shrink, then drop columns (starting again from
 * the natural widths each time) until the table fits the width. */
static void layout_table(const row_t *rows, size_t n, size_t width, table_layout_t *t)
{
	size_t natural[COL_COUNT], floors[COL_COUNT];

	for (int c = 0; c < COL_COUNT; c++) {
		natural[c] = nc_report_display_width(col_titles[c]);
		for (size_t i = 0; i < n; i++) {
			size_t w = nc_report_display_width(rows[i].cell[c]);

			if (w > natural[c])
				natural[c] = w;
		}
		floors[c] = col_floor[c] != 0 && col_floor[c] < natural[c] ? col_floor[c] : natural[c];
		t->shown[c] = true;
	}
	/* the timings title has a short form; the numbers are never cut */
	floors[COL_TIMINGS] = strlen(TIMINGS_SHORT_TITLE);
	for (size_t i = 0; i < n; i++)
		if (nc_report_display_width(rows[i].cell[COL_TIMINGS]) > floors[COL_TIMINGS])
			floors[COL_TIMINGS] = nc_report_display_width(rows[i].cell[COL_TIMINGS]);
	if (floors[COL_TIMINGS] > natural[COL_TIMINGS])
		floors[COL_TIMINGS] = natural[COL_TIMINGS];

	for (size_t d = 0;; d++) {
		memcpy(t->width, natural, sizeof(natural));
		layout_shrink(t, floors, width);
		if (layout_total(t) <= width || d == NC_ARRAY_SIZE(drop_order))
			break;
		t->shown[drop_order[d]] = false;
	}
	/* narrower still (only about 40 columns and below): cut what is left,
	 * the path's name last; the target has gone by then */
	static const int last_resort[] = { COL_EXPECTED, COL_VERDICT, COL_MECHANISM, COL_PATH };
	for (size_t i = 0; i < NC_ARRAY_SIZE(last_resort) && layout_total(t) > width; i++) {
		int c = last_resort[i];
		size_t over = layout_total(t) - width;

		if (t->shown[c] && t->width[c] > 3)
			t->width[c] -= over < t->width[c] - 3 ? over : t->width[c] - 3;
	}
}

/* A cell, cut to w columns with an ellipsis; returns the columns used. */
static size_t print_cell(out_t *o, const char *text, size_t w)
{
	size_t cols = nc_report_display_width(text), mark;

	if (cols <= w) {
		text_emit(o, text);
		return cols;
	}
	mark = o->ascii ? 3 : 1;
	if (w <= mark) {
		text_emit_n(o, text, text_prefix_bytes(text, w));
		return w;
	}
	text_emit_n(o, text, text_prefix_bytes(text, w - mark));
	text_emit(o, text_ellipsis(o));
	return w;
}

static void print_row(out_t *o, const row_t *row, const table_layout_t *t)
{
	int last = -1;

	for (int c = 0; c < COL_COUNT; c++)
		if (t->shown[c])
			last = c;
	for (int c = 0; c <= last; c++) {
		bool paint = o->color && row->colour != NULL && (c == COL_VERDICT || c == COL_EXPECTED);
		size_t used;

		if (!t->shown[c])
			continue;
		if (paint)
			text_emit(o, row->colour);
		if (c == COL_EXPECTED && nc_report_display_width(row->cell[c]) > t->width[c] &&
		    t->width[c] >= strlen(EXPECTED_SHORT) && strncmp(row->cell[c], EXPECTED_SHORT, strlen(EXPECTED_SHORT)) == 0)
			used = print_cell(o, EXPECTED_SHORT, t->width[c]); /* not "UNEXPECTED (w…" */
		else
			used = print_cell(o, row->cell[c], t->width[c]);
		if (paint)
			text_emit(o, ANSI_RESET);
		if (c != last)
			text_spaces(o, t->width[c] - used + COL_GAP);
	}
	fputc('\n', o->f);
}

/* A --swarm run: what it made, instead of the one container. */
static void print_swarm_header(out_t *o, const nc_result_t *r)
{
	const nc_swarm_t *sw = nc_result_swarm_const(r);
	char service[NC_NAME_MAX], image[NC_NAME_MAX], network[NC_NAME_MAX], subnet[64];

	CLEAN(sw->service_name, service);
	nc_report_clean(sw->image, 19, true, image, sizeof(image)); /* "sha256:" and 12 digits */
	CLEAN(sw->network_name, network);
	CLEAN(sw->subnet, subnet);
	text_line_printf(o, 0, 2, "swarm service %s (%s, global) on overlay %s %s, %zu node%s%s", service[0] ? service : "-",
		    image[0] ? image : "?", network[0] ? network : "-", subnet[0] ? subnet : "", sw->n_nodes,
		    sw->n_nodes == 1 ? "" : "s", sw->removed ? "; removed again" : "");
}

/* One node's line above its table: who it is and what its task did. */
static void print_node(out_t *o, const nc_node_t *n)
{
	char host[NC_NAME_MAX], addr[NC_ENDPOINT_STRLEN], task[NC_DETAIL_MAX + 64], error[NC_DETAIL_MAX];

	CLEAN(n->name, host);
	if (nc_endpoint_is_set(&n->address))
		text_endpoint_text(&n->address, false, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "no address");
	CLEAN(n->task_error, error);
	if (n->task_id[0] == '\0') {
		snprintf(task, sizeof(task), "no task");
	} else if (strcmp(n->task_state, "running") == 0) {
		char taddr[NC_ENDPOINT_STRLEN];

		text_endpoint_text(&n->task_address, false, taddr, sizeof(taddr));
		snprintf(task, sizeof(task), "task running at %s, host port %u", taddr, n->host_port);
	} else {
		snprintf(task, sizeof(task), "task %s%s%s", n->task_state, error[0] ? ": " : "", error);
	}
	fputc('\n', o->f);
	text_line_printf(o, 0, 2, "node %s (%s, %s, %s%s%s): %s", host[0] ? host : "?", addr, n->role, n->state,
		    strcmp(n->availability, "active") == 0 ? "" : ", ", strcmp(n->availability, "active") == 0 ? "" : n->availability,
		    task);
}

/* "--paths A,B" or "--skip C" (globs cleaned for the terminal); "" when none */
static void globs_text(const char *option, const char (*globs)[NC_GLOB_MAX], size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		char glob[NC_GLOB_MAX];

		CLEAN(globs[i], glob);
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i == 0 ? option : ",", glob);
	}
}

/* Which paths the user chose: a run that left paths out says so before
 * its table, so "10 of 10" is not read as every path. */
static void print_selection(out_t *o, const nc_result_t *r)
{
	const nc_selection_t *sel = nc_result_selection_const(r);
	char paths[NC_SELECT_MAX * NC_GLOB_MAX], skip[NC_SELECT_MAX * NC_GLOB_MAX];

	if (sel->n_paths == 0 && sel->n_skip == 0)
		return;
	globs_text("--paths ", sel->paths, sel->n_paths, paths, sizeof(paths));
	globs_text("--skip ", sel->skip, sel->n_skip, skip, sizeof(skip));
	text_line_printf(o, 0, 2, "only the paths chosen by %s%s%s", paths, paths[0] && skip[0] ? " " : "", skip);
}

/* Which kernel runs the container: the policy's sentence, and the releases. */
static void print_kernel(out_t *o, const nc_kernel_t *k)
{
	char meaning[NC_DETAIL_MAX], host[NC_KERNEL_RELEASE_MAX], container[NC_KERNEL_RELEASE_MAX];

	if (k->meaning[0] == '\0')
		return;
	CLEAN(k->meaning, meaning);
	CLEAN(k->host, host);
	CLEAN(k->container, container);
	text_line_printf(o, 0, 2, "kernel: %s (here %s, container %s)", meaning, host[0] ? host : "?",
			 container[0] ? container : "?");
}

/* The IPv6 readiness wait before the probes: how long, for which
 * addresses, how it ended.  One line; none when no IPv6 path was probed. */
static void print_ipv6_ready(out_t *o, const nc_addr_readiness_t *w)
{
	char list[512], a[NC_ENDPOINT_STRLEN], ifname[40], err[sizeof(w->error)];
	size_t used = 0, tentative = 0;

	if (!w->checked)
		return;
	list[0] = '\0';
	for (size_t i = 0; i < w->n_addresses; i++) {
		const nc_addr_state_t *st = &w->addresses[i];
		char when[48];
		int n;

		if (!st->was_tentative || nc_endpoint_format(&st->address, false, a, sizeof(a)) < 0)
			continue;
		tentative++;
		CLEAN(st->ifname, ifname);
		if (st->ready_ms >= 0)
			snprintf(when, sizeof(when), "ready at %.0f ms", st->ready_ms);
		else
			snprintf(when, sizeof(when), "%s", st->dad_failed ? "DAD failed" : "still tentative");
		n = snprintf(list + used, sizeof(list) - used, "%s%s on %s%s (%s)", used ? ", " : "", a, ifname,
			     st->container ? " in the container" : "", when);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	CLEAN(w->error, err);
	if (w->n_addresses == 0 && err[0] == '\0')
		return; /* only ::1 (published-loopback6): no address to wait for, nothing to say */
	if (tentative == 0)
		text_line_printf(o, 0, 2, "IPv6 readiness: none of %zu address(es) on the routes was tentative%s%s",
				 w->n_addresses, err[0] ? "; not read: " : "", err);
	else
		text_line_printf(o, 0, 2, "IPv6 readiness: waited %.0f ms (bound %.0f) for %s: %s%s%s", w->waited_ms,
				 w->bound_ms, list,
				 w->dad_failed ? "duplicate address detection failed"
				 : w->timed_out ? "not ready at the bound"
						: "ready",
				 err[0] ? "; not read: " : "", err);
}

/* probe --project: the project, not one of its containers (each
 * service's table names its own); its services in report order. */
static void print_project_header(out_t *o, const nc_result_t *r)
{
	char project[NC_NAME_MAX], services[NC_DETAIL_MAX] = "", service[NC_NAME_MAX];
	const char *prev_service = NULL, *prev_container = NULL;
	size_t n_containers = 0, used = 0;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (prev_container == NULL || strcmp(prev_container, p->container) != 0)
			n_containers++;
		prev_container = p->container;
		if (prev_service != NULL && strcmp(prev_service, p->service) == 0)
			continue;
		prev_service = p->service;
		CLEAN(p->service, service);
		if (used < sizeof(services))
			used += (size_t)snprintf(services + used, sizeof(services) - used, "%s%s", used > 0 ? ", " : "",
						 service);
	}
	CLEAN(nc_result_container_const(r)->project, project);
	text_line_printf(o, 0, 2, "Compose project %s: %zu running container%s (service%s %s)", project, n_containers,
			 n_containers == 1 ? "" : "s", strchr(services, ',') != NULL ? "s" : "",
			 services[0] ? services : "-");
}

static void print_header(out_t *o, const nc_result_t *r)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	const nc_container_t *c = nc_result_container_const(r);
	char engine[NC_NAME_MAX], version[64], api[16], url[NC_DETAIL_MAX];
	char id[16], image[NC_NAME_MAX], ip[NC_ENDPOINT_STRLEN], ports[96];

	CLEAN(env->engine_name, engine);
	CLEAN(env->engine_version, version);
	CLEAN(env->api_version, api);
	CLEAN(env->engine_url, url);
	text_line_printf(o, 0, 2, "netcheck %s: %s, %s %s (API %s) at %s", NC_VERSION,
		    nc_report_name_or(nc_env_kind_name(env->kind), "unknown"), engine[0] ? engine : "unknown engine",
		    version[0] ? version : "?", api[0] ? api : "?", url[0] ? url : "?");
	print_selection(o, r);

	print_kernel(o, &env->kernel);
	if (nc_result_swarm_const(r)->active) {
		print_swarm_header(o, r);
		return;
	}
	if (c->project[0] != '\0') {
		print_project_header(o, r);
		print_ipv6_ready(o, &env->ipv6_ready);
		return;
	}
	/* the short id docker ps shows: 12 characters */
	nc_report_clean(c->id, 12, true, id, sizeof(id));
	CLEAN(c->image, image);
	if (nc_endpoint_is_set(&c->ip))
		text_endpoint_text(&c->ip, true, ip, sizeof(ip));
	else
		snprintf(ip, sizeof(ip), "-");
	if (c->published_port == 0)
		snprintf(ports, sizeof(ports), "no published port");
	else if (c->published_port6 != 0 && c->published_port6 != c->published_port)
		snprintf(ports, sizeof(ports), "published port %u (IPv4), %u (IPv6)", c->published_port,
			 c->published_port6);
	else
		snprintf(ports, sizeof(ports), "published port %u%s", c->published_port,
			 c->published_port6 != 0 ? " (IPv4 and IPv6)" : "");
	text_line_printf(o, 0, 2, "container %s (%s) %s, %s", id[0] ? id : "-", image[0] ? image : "?", ip, ports);
	if (c->from_id[0] != '\0') { /* probe A --to B: the record is B */
		char from[NC_NAME_MAX], from_id[16], name[NC_NAME_MAX];

		CLEAN(c->from_name, from);
		nc_report_clean(c->from_id, 12, true, from_id, sizeof(from_id));
		CLEAN(c->name, name);
		text_line_printf(o, 0, 2, "from container %s (%s) to %s: from inside %s's network namespace, through a "
				 "helper netcheck started there and removed", from, from_id, name, from);
	}
	print_ipv6_ready(o, &env->ipv6_ready);
}

/* probe --project: a header line and a table per service, in result
 * order (the target plans the paths service by service). */
static void print_table(out_t *o, const nc_result_t *r, const char *node, const char *service);
static void print_services(out_t *o, const nc_result_t *r)
{
	const char *prev = NULL;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (prev != NULL && strcmp(prev, p->service) == 0)
			continue;
		prev = p->service;
		fputc('\n', o->f);
		text_line_printf(o, 0, 2, "service %s of Compose project %s (container %s)", p->service,
				 nc_result_container_const(r)->project, p->container);
		print_table(o, r, NULL, p->service);
	}
	if (nc_result_container_const(r)->project_left_out > 0) {
		fputc('\n', o->f);
		text_line_printf(o, 0, 2, "%u more running containers of Compose project %s were not probed: netcheck "
					  "probes the first %d in service order",
				 nc_result_container_const(r)->project_left_out, nc_result_container_const(r)->project,
				 NC_PROJECT_MAX);
	}
}

/* The paths of node (a swarm node's id) or of service (a Compose
 * project's); both NULL: every path. */
static void print_table(out_t *o, const nc_result_t *r, const char *node, const char *service)
{
	row_t title, rows[NC_MAX_PATHS];
	table_layout_t t;
	size_t n = 0;
	bool cut_expected = false;
	char omitted[128] = "";

	for (size_t i = 0; i < nc_result_path_count(r) && n < NC_ARRAY_SIZE(rows); i++)
		if ((node == NULL || strcmp(nc_result_path_const(r, i)->node, node) == 0) &&
		    (service == NULL || strcmp(nc_result_path_const(r, i)->service, service) == 0))
			fill_row(nc_result_path_const(r, i), &rows[n++]);
	layout_table(rows, n, o->width, &t);
	for (int c = 0; c < COL_COUNT; c++) {
		const char *text = col_titles[c];

		if (c == COL_TIMINGS && t.width[c] < nc_report_display_width(text))
			text = TIMINGS_SHORT_TITLE;
		snprintf(title.cell[c], CELL_MAX, "%s", text);
		if (!t.shown[c])
			snprintf(omitted + strlen(omitted), sizeof(omitted) - strlen(omitted), "%s%s",
				 omitted[0] ? ", " : "", col_titles[c]);
	}
	title.colour = NULL;
	print_row(o, &title, &t);
	for (size_t i = 0; i < n; i++) {
		print_row(o, &rows[i], &t);
		if (t.shown[COL_EXPECTED] && nc_report_display_width(rows[i].cell[COL_EXPECTED]) > t.width[COL_EXPECTED])
			cut_expected = true;
	}
	if (omitted[0] != '\0')
		text_line_printf(o, 0, 2, "(%s: not shown in %zu columns; --json has every field)", omitted, o->width);
	/* a shortened EXPECTED cell loses what was wanted: say it in full */
	for (size_t i = 0; cut_expected && i < n; i++)
		if (nc_report_display_width(rows[i].cell[COL_EXPECTED]) > t.width[COL_EXPECTED])
			text_line_printf(o, 2, 4, "%s: %s", rows[i].cell[COL_PATH], rows[i].cell[COL_EXPECTED]);
}

static const char *exit_code_meaning(int code)
{
	switch (code) {
	case NC_EXIT_OK: return "every path behaved as expected";
	case NC_EXIT_UNEXPECTED: return "at least one path did not behave as expected";
	case NC_EXIT_USAGE: return "bad command line";
	case NC_EXIT_ENGINE: return "engine unreachable or unusable";
	case NC_EXIT_INTERNAL: return "internal error";
	case NC_EXIT_CANTCREAT: return "an output file cannot be created";
	case NC_EXIT_NOPERM: return "a privilege a requested step needs is missing";
	case NC_EXIT_SIGINT: return "interrupted (SIGINT)";
	case NC_EXIT_SIGTERM: return "terminated (SIGTERM)";
	default: return code > 128 ? "ended by a signal" : "unknown";
	}
}

int nc_report_text(const nc_result_t *r, const nc_report_options_t *opt, FILE *out)
{
	const nc_environment_t *env = nc_result_environment_const(r);
	size_t n = nc_result_path_count(r), as_expected = 0;
	int code = nc_report_exit_code(r);
	out_t o = { .f = out, .width = DEFAULT_WIDTH };

	if (opt != NULL) {
		o.color = opt->color;
		o.ascii = opt->ascii;
		if (opt->width != 0)
			o.width = opt->width < MIN_WIDTH ? MIN_WIDTH : opt->width;
	}
	print_header(&o, r);
	if (nc_result_swarm_const(r)->active) {
		const nc_swarm_t *sw = nc_result_swarm_const(r);

		/* a table per node */
		for (size_t i = 0; i < sw->n_nodes; i++) {
			print_node(&o, &sw->nodes[i]);
			print_table(&o, r, sw->nodes[i].id, NULL);
		}
	} else if (nc_result_container_const(r)->project[0] != '\0') {
		print_services(&o, r);
	} else {
		fputc('\n', out);
		print_table(&o, r, NULL, NULL);
	}
	text_print_notes(&o, r);
	text_print_evidence(&o, r);
	if (opt != NULL && opt->verbose) {
		text_print_packets(&o, r);
		text_print_conntrack(&o, r);
	}

	for (size_t i = 0; i < n; i++)
		if (nc_result_path_const(r, i)->expected)
			as_expected++;
	fputc('\n', out);
	if (nc_result_error(r) != NULL) {
		char error[NC_DETAIL_MAX];

		nc_report_clean(nc_result_error(r), NC_DETAIL_MAX, true, error, sizeof(error));
		text_line_printf(&o, 0, 2, "run failed: %s", error);
	}
	text_line_printf(&o, 0, 2, "%zu of %zu paths as expected for %s; exit %d: %s", as_expected, n,
		    nc_report_name_or(nc_env_kind_name(env->kind), "unknown"), code, exit_code_meaning(code));
	return ferror(out) ? -EIO : 0;
}
