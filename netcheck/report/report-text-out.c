/* The text view's output: every byte passes through text_emit_n(), which
 * keeps ASCII mode free of bytes >= 0x80; paragraphs wrap at the width
 * with an indent.  Writes only to the FILE* in out_t. */
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

/* Writes n bytes of s; in ASCII mode each UTF-8 sequence becomes one '?',
 * so the column count stays what nc_report_display_width() says. */
void text_emit_n(out_t *o, const char *s, size_t n)
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

void text_emit(out_t *o, const char *s) { text_emit_n(o, s, strlen(s)); }

void text_spaces(out_t *o, size_t n)
{
	while (n-- > 0)
		fputc(' ', o->f);
}

/* Bytes of the first `cols` code points of s. */
size_t text_prefix_bytes(const char *s, size_t cols)
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
 * text_para_begin(first, next) starts a line at column `first`; words go on with
 * one space between them and move to a new line starting at column `next`
 * when they would pass the width; a word longer than a whole line is cut. */

void text_para_begin(out_t *o, size_t first_indent, size_t next_indent)
{
	if (first_indent + 1 >= o->width)
		first_indent = 0;
	if (next_indent + 8 > o->width)
		next_indent = o->width / 4;
	text_spaces(o, first_indent);
	o->col = first_indent;
	o->indent = next_indent;
	o->line_started = false;
}

void text_para_newline(out_t *o)
{
	fputc('\n', o->f);
	text_spaces(o, o->indent);
	o->col = o->indent;
	o->line_started = false;
}

void text_para_word(out_t *o, const char *w, size_t len)
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
		const char *a = strstr(word, text_arrow(o));

		if (a != NULL && a[strlen(text_arrow(o))] != '\0') {
			size_t head = (size_t)(a - word) + strlen(text_arrow(o));

			text_para_word(o, word, head);
			o->line_started = true;
			o->col = o->width; /* the rest starts a new line */
			text_para_word(o, word + head, len - head);
			return;
		}
	}
	if (o->line_started && o->col + 1 + cols > o->width)
		text_para_newline(o);
	else if (o->line_started) {
		fputc(' ', o->f);
		o->col++;
	}
	/* longer than what is left of the line: cut it, as a terminal would */
	for (const char *s = word; *s != '\0';) {
		size_t room = o->width - o->col, n;

		if (room == 0) {
			text_para_newline(o);
			continue;
		}
		n = text_prefix_bytes(s, room);
		text_emit_n(o, s, n);
		cols = nc_report_display_width(s) < room ? nc_report_display_width(s) : room;
		o->col += cols;
		o->line_started = true;
		s += n;
	}
}

void text_para_text(out_t *o, const char *s)
{
	while (*s != '\0') {
		const char *end = strchr(s, ' ');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);

		text_para_word(o, s, len);
		s += len;
		while (*s == ' ')
			s++;
	}
}

void text_para_printf(out_t *o, const char *fmt, ...)
{
	char buf[NC_DETAIL_MAX * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_para_text(o, buf);
}

void text_para_end(out_t *o)
{
	fputc('\n', o->f);
	o->col = 0;
	o->line_started = false;
}

/* One wrapped line: first line at `first`, the rest at `next`. */
void text_line_printf(out_t *o, size_t first, size_t next, const char *fmt, ...)
{
	char buf[NC_DETAIL_MAX * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_para_begin(o, first, next);
	text_para_text(o, buf);
	text_para_end(o);
}

/* Model text fields are fixed-size arrays: pass the field, not a pointer.
 * The result is safe to print on a terminal (see nc_report_clean). */

void text_endpoint_text(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	if (nc_endpoint_format(e, with_port, buf, len) < 0)
		snprintf(buf, len, "?");
}
