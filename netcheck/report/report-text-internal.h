/* Private to the text view (report-text*.c): the output every line goes
 * through, wrapped to the width and ASCII-safe.
 *
 *   report-text.c           the header, the table, the summary
 *   report-text-notes.c     the notes and diagnoses under the table
 *   report-text-out.c       the output: bytes, wrapped paragraphs, lines
 *   report-text-evidence.c  each path's trail, and -v's packets tcpdump style
 */
#ifndef NETCHECK_REPORT_TEXT_INTERNAL_H
#define NETCHECK_REPORT_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "netcheck/endpoint.h"
#include "netcheck/result.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[1;31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"


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

static inline const char *text_arrow(const out_t *o) { return o->ascii ? "->" : "\u2192"; } /* a hop's src → dst */
static inline const char *text_then(const out_t *o) { return o->ascii ? "=>" : "\u21d2"; }  /* ⇒ between hops */
static inline const char *text_ellipsis(const out_t *o) { return o->ascii ? "..." : "\u2026"; }

/* a model text field, cleaned for the terminal (nc_report_clean()) into buf */
#define CLEAN(field, buf) nc_report_clean((field), sizeof(field), true, (buf), sizeof(buf))

/* report-text-out.c */
void text_emit_n(out_t *o, const char *s, size_t n);
void text_emit(out_t *o, const char *s);
void text_spaces(out_t *o, size_t n);
/* bytes of s that fill at most cols display columns */
size_t text_prefix_bytes(const char *s, size_t cols);
void text_para_begin(out_t *o, size_t first_indent, size_t next_indent);
void text_para_newline(out_t *o);
void text_para_word(out_t *o, const char *w, size_t len);
void text_para_text(out_t *o, const char *s);
void text_para_printf(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_para_end(out_t *o);
/* one wrapped line: first-line indent, continuation indent */
void text_line_printf(out_t *o, size_t first, size_t next, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* an endpoint, "?" when it cannot be formatted */
void text_endpoint_text(const nc_endpoint_t *e, bool with_port, char *buf, size_t len);

/* report-text-notes.c */
void text_print_notes(out_t *o, const nc_result_t *r);

/* report-text-evidence.c */
void text_print_evidence(out_t *o, const nc_result_t *r);
void text_print_packets(out_t *o, const nc_result_t *r);
void text_print_conntrack(out_t *o, const nc_result_t *r);

#endif
