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
#include "netcheck/testing.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[1;31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"

/* Narrower than this, the three columns that matter cannot be told apart. */
#define MIN_WIDTH 20u
#define DEFAULT_WIDTH 80u

/* Where the report goes and how: every byte passes through emit(). */
typedef struct out {
	FILE *f;
	size_t width;
	bool ascii, color;
	/* the paragraph being wrapped (para_*) */
	size_t col;        /* display column of the cursor */
	size_t indent;     /* continuation lines start at this column */
	bool line_started; /* a word is on the current line */
} out_t;

static const char *arrow(const out_t *o) { return o->ascii ? "->" : "\u2192"; } /* a hop's src → dst */
static const char *then(const out_t *o) { return o->ascii ? "=>" : "\u21d2"; }  /* ⇒ between hops */
static const char *ellipsis(const out_t *o) { return o->ascii ? "..." : "\u2026"; }

/* Writes n bytes of s; in ASCII mode each UTF-8 sequence becomes one '?',
 * so the column count stays what nc_report_display_width() says. */
static void emit_n(out_t *o, const char *s, size_t n)
{
	if (!o->ascii) {
		fwrite(s, 1, n, o->f);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80)
			fputc(c, o->f);
		else if ((c & 0xC0) != 0x80)
			fputc('?', o->f); /* a lead byte (or a stray one); continuations vanish */
	}
}

static void emit(out_t *o, const char *s) { emit_n(o, s, strlen(s)); }

static void spaces(out_t *o, size_t n)
{
	while (n-- > 0)
		fputc(' ', o->f);
}

/* Bytes of the first `cols` code points of s. */
static size_t prefix_bytes(const char *s, size_t cols)
{
	size_t i = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (cols == 0)
				break;
			cols--;
		}
		i++;
	}
	return i;
}

/* --- wrapped paragraphs ------------------------------------------------
 * para_begin(first, next) starts a line at column `first`; words go on with
 * one space between them and move to a new line starting at column `next`
 * when they would pass the width; a word longer than a whole line is cut. */

static void para_begin(out_t *o, size_t first_indent, size_t next_indent)
{
	if (first_indent + 1 >= o->width)
		first_indent = 0;
	if (next_indent + 8 > o->width)
		next_indent = o->width / 4;
	spaces(o, first_indent);
	o->col = first_indent;
	o->indent = next_indent;
	o->line_started = false;
}

static void para_newline(out_t *o)
{
	fputc('\n', o->f);
	spaces(o, o->indent);
	o->col = o->indent;
	o->line_started = false;
}

static void para_word(out_t *o, const char *w, size_t len)
{
	char word[NC_DETAIL_MAX * 2];
	size_t cols;

	if (len == 0)
		return;
	if (len >= sizeof(word))
		len = sizeof(word) - 1;
	memcpy(word, w, len);
	word[len] = '\0';
	cols = nc_report_display_width(word);
	if (cols > o->width - o->indent) {
		/* longer than a whole line: "src→dst" breaks after its arrow */
		const char *a = strstr(word, arrow(o));

		if (a != NULL && a[strlen(arrow(o))] != '\0') {
			size_t head = (size_t)(a - word) + strlen(arrow(o));

			para_word(o, word, head);
			o->line_started = true;
			o->col = o->width; /* the rest starts a new line */
			para_word(o, word + head, len - head);
			return;
		}
	}
	if (o->line_started && o->col + 1 + cols > o->width)
		para_newline(o);
	else if (o->line_started) {
		fputc(' ', o->f);
		o->col++;
	}
	/* longer than what is left of the line: cut it, as a terminal would */
	for (const char *s = word; *s != '\0';) {
		size_t room = o->width - o->col, n;

		if (room == 0) {
			para_newline(o);
			continue;
		}
		n = prefix_bytes(s, room);
		emit_n(o, s, n);
		cols = nc_report_display_width(s) < room ? nc_report_display_width(s) : room;
		o->col += cols;
		o->line_started = true;
		s += n;
	}
}

static void para_text(out_t *o, const char *s)
{
	while (*s != '\0') {
		const char *end = strchr(s, ' ');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);

		para_word(o, s, len);
		s += len;
		while (*s == ' ')
			s++;
	}
}

static void para_printf(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void para_printf(out_t *o, const char *fmt, ...)
{
	char buf[NC_DETAIL_MAX * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	para_text(o, buf);
}

static void para_end(out_t *o)
{
	fputc('\n', o->f);
	o->col = 0;
	o->line_started = false;
}

/* One wrapped line: first line at `first`, the rest at `next`. */
static void line_printf(out_t *o, size_t first, size_t next, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void line_printf(out_t *o, size_t first, size_t next, const char *fmt, ...)
{
	char buf[NC_DETAIL_MAX * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	para_begin(o, first, next);
	para_text(o, buf);
	para_end(o);
}

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
/* the timings title when the column is narrower than the long one */
#define TIMINGS_SHORT_TITLE "C/FB/TOTAL ms"

/* How narrow a column may get before the table drops columns instead:
 * addresses stay recognisable; a verdict, a mechanism and the timings are
 * never cut (a cut number is a wrong number). 0 = never cut. */
static const size_t col_floor[COL_COUNT] = {
	[COL_TARGET] = 14, [COL_PEER_SEEN] = 8, [COL_EXPECTED] = 8,
};
/* which columns shrink first, and which go when shrinking is not enough;
 * whatever goes is named under the table, and the JSON report has it all.
 * A forwarder is whole or gone (the evidence trail names it too).
 * A path's name is its identity (published-loopback and -loopback6 differ
 * at the end): it is cut last, only where nothing else is left to cut. */
static const int shrink_order[] = { COL_EXPECTED, COL_TIMINGS, COL_PEER_SEEN, COL_TARGET };
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

static void endpoint_text(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	if (nc_endpoint_format(e, with_port, buf, len) < 0)
		snprintf(buf, len, "?");
}

static void expected_text(const nc_path_t *p, char *buf, size_t len)
{
	char mechanisms[96];

	/* the policy's judgement (nc_expect_evaluate()), in words */
	if (p->expected) {
		snprintf(buf, len, "ok");
		return;
	}
	if (p->unexpected == NC_UNEXPECTED_FOREIGN) {
		snprintf(buf, len, "UNEXPECTED (answered by another container)");
		return;
	}
	if (p->unexpected == NC_UNEXPECTED_WARNING) {
		snprintf(buf, len, "UNEXPECTED (a firewall rule meant to stop it)");
		return;
	}
	nc_report_mechanisms_text(p->expectation.mechanisms, mechanisms, sizeof(mechanisms));
	snprintf(buf, len, "UNEXPECTED (wanted %s%s%s)", nc_report_name_or(nc_verdict_name(p->expectation.verdict), "?"),
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
	endpoint_text(&p->target, nc_report_path_has_ports(p), row->cell[COL_TARGET], CELL_MAX);
	snprintf(row->cell[COL_VERDICT], CELL_MAX, "%s", nc_report_name_or(nc_verdict_name(p->verdict), "?"));
	snprintf(row->cell[COL_MECHANISM], CELL_MAX, "%s", nc_report_name_or(nc_mechanism_name(p->mechanism), "?"));
	forwarder_text(p, row->cell[COL_FORWARDER], CELL_MAX);
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
	 * the path's name last */
	static const int last_resort[] = { COL_EXPECTED, COL_VERDICT, COL_MECHANISM, COL_TARGET, COL_PATH };
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
		emit(o, text);
		return cols;
	}
	mark = o->ascii ? 3 : 1;
	if (w <= mark) {
		emit_n(o, text, prefix_bytes(text, w));
		return w;
	}
	emit_n(o, text, prefix_bytes(text, w - mark));
	emit(o, ellipsis(o));
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
			emit(o, row->colour);
		used = print_cell(o, row->cell[c], t->width[c]);
		if (paint)
			emit(o, ANSI_RESET);
		if (c != last)
			spaces(o, t->width[c] - used + COL_GAP);
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
	line_printf(o, 0, 2, "swarm service %s (%s, global) on overlay %s %s, %zu node%s%s", service[0] ? service : "-",
		    image[0] ? image : "?", network[0] ? network : "-", subnet[0] ? subnet : "", sw->n_nodes,
		    sw->n_nodes == 1 ? "" : "s", sw->removed ? "; removed again" : "");
}

/* One node's line above its table: who it is and what its task did. */
static void print_node(out_t *o, const nc_node_t *n)
{
	char host[NC_NAME_MAX], addr[NC_ENDPOINT_STRLEN], task[NC_DETAIL_MAX + 64], error[NC_DETAIL_MAX];

	CLEAN(n->hostname, host);
	if (nc_endpoint_is_set(&n->address))
		endpoint_text(&n->address, false, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "no address");
	CLEAN(n->task_error, error);
	if (n->task_id[0] == '\0') {
		snprintf(task, sizeof(task), "no task");
	} else if (strcmp(n->task_state, "running") == 0) {
		char taddr[NC_ENDPOINT_STRLEN];

		endpoint_text(&n->task_address, false, taddr, sizeof(taddr));
		snprintf(task, sizeof(task), "task running at %s, host port %u", taddr, n->host_port);
	} else {
		snprintf(task, sizeof(task), "task %s%s%s", n->task_state, error[0] ? ": " : "", error);
	}
	fputc('\n', o->f);
	line_printf(o, 0, 2, "node %s (%s, %s, %s%s%s): %s", host[0] ? host : "?", addr, n->role, n->state,
		    strcmp(n->availability, "active") == 0 ? "" : ", ", strcmp(n->availability, "active") == 0 ? "" : n->availability,
		    task);
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
	line_printf(o, 0, 2, "netcheck %s: %s, %s %s (API %s) at %s", NC_VERSION,
		    nc_report_name_or(nc_env_kind_name(env->kind), "unknown"), engine[0] ? engine : "unknown engine",
		    version[0] ? version : "?", api[0] ? api : "?", url[0] ? url : "?");

	if (nc_result_swarm_const(r)->active) {
		print_swarm_header(o, r);
		return;
	}
	/* the short id docker ps shows: 12 characters */
	nc_report_clean(c->id, 12, true, id, sizeof(id));
	CLEAN(c->image, image);
	if (nc_endpoint_is_set(&c->ip))
		endpoint_text(&c->ip, true, ip, sizeof(ip));
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
	line_printf(o, 0, 2, "container %s (%s) %s, %s", id[0] ? id : "-", image[0] ? image : "?", ip, ports);
}

/* The paths of node (a swarm node's id; NULL: every path). */
static void print_table(out_t *o, const nc_result_t *r, const char *node)
{
	row_t title, rows[NC_MAX_PATHS];
	table_layout_t t;
	size_t n = 0;
	bool cut_expected = false;
	char omitted[128] = "";

	for (size_t i = 0; i < nc_result_path_count(r) && n < NC_ARRAY_SIZE(rows); i++)
		if (node == NULL || strcmp(nc_result_path_const(r, i)->node, node) == 0)
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
		line_printf(o, 0, 2, "(%s: not shown in %zu columns; --json has every field)", omitted, o->width);
	/* a shortened EXPECTED cell loses what was wanted: say it in full */
	for (size_t i = 0; cut_expected && i < n; i++)
		if (nc_report_display_width(rows[i].cell[COL_EXPECTED]) > t.width[COL_EXPECTED])
			line_printf(o, 2, 4, "%s: %s", rows[i].cell[COL_PATH], rows[i].cell[COL_EXPECTED]);
}

/* Route, detail, diagnosis and the plain-words notes under the table, one
 * wrapped paragraph each. */
static void print_notes(out_t *o, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		char text[NC_DETAIL_MAX + 1], hint[NC_DIAG_HINT_MAX + 1];

#define NOTE(...)                                        \
	do {                                             \
		if (!any)                                \
			fputc('\n', o->f);               \
		any = true;                              \
		line_printf(o, 2, 4, __VA_ARGS__);       \
	} while (0)
		if (CLEAN(p->route, text) > 0)
			NOTE("%s: route %s", nc_report_path_name(p), text);
		if (CLEAN(p->detail, text) > 0)
			NOTE("%s: %s", nc_report_path_name(p), text);
		if (p->diagnosis.code != NC_DIAG_NONE) {
			/* one sentence: what was found, then what to do */
			if (CLEAN(p->diagnosis.detail, text) == 0)
				snprintf(text, sizeof(text), "%s", nc_report_name_or(nc_diag_code_name(p->diagnosis.code), "?"));
			if (CLEAN(p->diagnosis.hint, hint) > 0)
				NOTE("%s: %s; hint: %s", nc_report_path_name(p), text, hint);
			else
				NOTE("%s: %s", nc_report_path_name(p), text);
		}
		if (p->mechanism == NC_MECH_OUT_OF_SIGHT)
			NOTE("%s: the forwarder's onward leg is not visible from this host "
			     "(a VM or a namespace netcheck cannot enter)", nc_report_path_name(p));
		if (p->foreign_responder) {
			CLEAN(p->answered_by, text);
			NOTE("%s: answered by container %s, not ours: IP collision", nc_report_path_name(p),
			     text[0] ? text : "(unknown)");
		}
#undef NOTE
	}
}

static void print_forwarder_marker(out_t *o, const nc_path_t *p)
{
	char name[NC_NAME_MAX];

	if (!p->has_forwarder) {
		para_text(o, "[forwarder]");
		return;
	}
	CLEAN(p->forwarder.name, name);
	if (p->forwarder.pid > 0)
		para_printf(o, "[%s pid %d]", name[0] ? name : "forwarder", p->forwarder.pid);
	else
		para_printf(o, "[%s]", name[0] ? name : "forwarder");
}

static void print_hop(out_t *o, const nc_path_t *p, size_t i)
{
	const nc_hop_t *h = &p->hops[i];
	bool with_port = nc_report_path_has_ports(p);
	char point[NC_POINT_NAME_MAX], src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN], delta_text[48] = "";

	CLEAN(h->capture_point, point);
	endpoint_text(&h->src, with_port, src, sizeof(src));
	endpoint_text(&h->dst, with_port, dst, sizeof(dst));
	if (i > 0) {
		/* what this hop adds: time from the previous hop's first packet */
		double delta = ((double)h->first_ns - (double)p->hops[i - 1].first_ns) / 1e6;
		double size = delta < 0 ? -delta : delta;

		/* two decimals as for timings, three when that would show +0.00 */
		snprintf(delta_text, sizeof(delta_text), size >= 0.1 ? ", %+.2f ms" : ", %+.3f ms", delta);
	}
	para_printf(o, "%s %s%s%s (%" PRIu32 " pkt%s%s)", point[0] ? point : "?", src, arrow(o), dst, h->packets,
		    h->packets == 1 ? "" : "s", delta_text);
}

static void print_trail(out_t *o, const nc_path_t *p)
{
	bool marked = false;

	para_begin(o, 2, 6);
	para_printf(o, "%s:", nc_report_path_name(p));
	if (p->n_hops == 0) {
		para_text(o, "no packets seen");
		para_end(o);
		return;
	}
	for (size_t i = 0; i < p->n_hops; i++) {
		bool to_container = p->hops[i].leg == NC_LEG_PROXY_TO_CONTAINER;
		bool translated = p->hops[i].leg == NC_LEG_TRANSLATED;

		if (i > 0)
			para_text(o, then(o));
		/* kernel NAT rewrote the destination before the first point we saw
		 * it at (for a local address: in OUTPUT, before any interface) */
		if (translated && !marked) {
			char from[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN];

			endpoint_text(&p->target, true, from, sizeof(from));
			endpoint_text(&p->hops[i].dst, true, to, sizeof(to));
			para_printf(o, "[kernel NAT %s %s %s] %s", from, arrow(o), to, then(o));
			marked = true;
		}
		/* the forwarder sits between the client leg and its own onward
		 * connection: the first proxy-to-container hop */
		if (to_container && !marked) {
			print_forwarder_marker(o, p);
			para_text(o, then(o));
			marked = true;
		}
		print_hop(o, p, i);
	}
	para_end(o);
}

static void print_evidence(out_t *o, const nc_result_t *r)
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
	if (not_captured == n) {
		line_printf(o, 0, 2, "evidence: not captured%s", reason);
		return;
	}
	line_printf(o, 0, 2, "evidence:");
	if (not_captured > 0) {
		size_t listed = 0;

		para_begin(o, 2, 4);
		para_text(o, "not captured for");
		for (size_t i = 0; i < n; i++) {
			const nc_path_t *p = nc_result_path_const(r, i);

			if (p->evidence_state != NC_EVIDENCE_NOT_CAPTURED)
				continue;
			listed++;
			para_printf(o, "%s%s", nc_report_path_name(p), listed < not_captured ? "," : "");
		}
		para_text(o, reason);
		para_end(o);
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

		para_begin(o, 2, 4);
		para_text(o, "captured at:");
		for (size_t i = 0; i < points; i++) {
			char name[NC_POINT_NAME_MAX + 1];

			CLEAN(env->capture_points[i].name, name);
			para_printf(o, "%s %llu%s", name, (unsigned long long)env->capture_points[i].packets,
				    i + 1 < points ? "," : "");
			dropped += env->capture_points[i].dropped;
			not_stored += env->capture_points[i].not_stored;
		}
		para_printf(o, " packets; %llu dropped by the kernel", (unsigned long long)dropped);
		if (not_stored > 0)
			para_printf(o, ", %llu over the storage cap", (unsigned long long)not_stored);
		para_end(o);
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
	line_printf(o, 4, 8, "%s %s %s %s > %s: %s", ts, point[0] ? point : "?", nc_direction_name(s->direction),
		    src, dst, what);
}

static void print_packets(out_t *o, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);

		if (p->evidence_state != NC_EVIDENCE_CAPTURED)
			continue;
		if (!any)
			fputs("\npackets:\n", o->f);
		any = true;
		line_printf(o, 2, 4, "%s: %zu packet%s", nc_report_path_name(p), p->n_packets, p->n_packets == 1 ? "" : "s");
		for (size_t k = 0; k < p->n_packets; k++)
			print_packet(o, &p->packets[k]);
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
			print_table(&o, r, sw->nodes[i].id);
		}
	} else {
		fputc('\n', out);
		print_table(&o, r, NULL);
	}
	print_notes(&o, r);
	print_evidence(&o, r);
	if (opt != NULL && opt->verbose)
		print_packets(&o, r);

	for (size_t i = 0; i < n; i++)
		if (nc_result_path_const(r, i)->expected)
			as_expected++;
	fputc('\n', out);
	if (nc_result_error(r) != NULL) {
		char error[NC_DETAIL_MAX];

		nc_report_clean(nc_result_error(r), NC_DETAIL_MAX, true, error, sizeof(error));
		line_printf(&o, 0, 2, "run failed: %s", error);
	}
	line_printf(&o, 0, 2, "%zu of %zu paths as expected for %s; exit %d: %s", as_expected, n,
		    nc_report_name_or(nc_env_kind_name(env->kind), "unknown"), code, exit_code_meaning(code));
	return ferror(out) ? -EIO : 0;
}
