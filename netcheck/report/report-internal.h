/* Helpers shared by the reporters (report-text.c, report-json.c,
 * report-junit.c, report-html.c).  Private to the report module; small
 * enough to live here as static inline functions.  Never allocate, never
 * print. */
#ifndef NETCHECK_REPORT_INTERNAL_H
#define NETCHECK_REPORT_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netcheck/endpoint.h"
#include "netcheck/result.h"

#ifndef NC_VERSION
#define NC_VERSION "0.1.0"
#endif

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if it is
 * not one.  As strict as jansson (no overlongs, surrogates or > U+10FFFF),
 * since json_string() refuses anything else. */
static inline size_t nc_report_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* Copies the string in a fixed-size model field (in, at most in_max bytes,
 * maybe unterminated) into out, replacing bytes that are not valid UTF-8
 * with '?' (model fields are truncated copies of engine text and may end
 * mid-character).  For the terminal, control characters (C0, DEL, C1) are
 * replaced too: answered_by and image names come from containers we do not
 * control and must not be able to drive the terminal.  Truncates on a
 * character boundary; out is always terminated.  Returns strlen(out). */
static inline size_t nc_report_clean(const char *in, size_t in_max, bool terminal, char *out, size_t out_len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = in != NULL ? strnlen(in, in_max) : 0, i = 0, o = 0;

	if (out_len == 0)
		return 0;
	while (i < n) {
		size_t len = nc_report_utf8_len(s + i, n - i);
		bool replace = len == 0;

		if (terminal && len == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			replace = true;
		if (terminal && len == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0)
			replace = true; /* U+0080..U+009F */
		if (replace) {
			if (o + 1 >= out_len)
				break;
			out[o++] = '?';
			i += len == 0 ? 1 : len;
			continue;
		}
		if (o + len >= out_len)
			break;
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return o;
}

/* Escapes the string in a fixed-size model field (as nc_report_clean takes
 * it) for XML and HTML text and attribute values: & < > " ' become
 * entities; control characters (C0 but tab and newline, DEL, C1) are
 * removed, since XML 1.0 cannot carry most of them and engine text is not
 * ours; invalid UTF-8 becomes '?'.  Newlines become "&#10;" when
 * !keep_newlines, so an attribute keeps them.  Never cuts an entity or a
 * character; out is always terminated.  Returns strlen(out). */
static inline size_t nc_report_xml_escape(const char *in, size_t in_max, bool keep_newlines, char *out,
					  size_t out_len)
{
	char clean[1024];
	size_t o = 0;

	if (out_len == 0)
		return 0;
	nc_report_clean(in, in_max < sizeof(clean) ? in_max : sizeof(clean) - 1, false, clean, sizeof(clean));
	for (const unsigned char *s = (const unsigned char *)clean; *s != '\0';) {
		size_t len = nc_report_utf8_len(s, strlen((const char *)s));
		const char *rep = NULL;
		char one[8];

		if (len == 0)
			len = 1; /* cannot happen after nc_report_clean */
		if (len == 1) {
			switch (*s) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&#39;"; break;
			case '\n': rep = keep_newlines ? "\n" : "&#10;"; break;
			case '\t': rep = "\t"; break;
			default:
				rep = *s < 0x20 || *s == 0x7f ? "" : NULL;
				break;
			}
		} else if (len == 2 && s[0] == 0xC2 && s[1] < 0xA0) {
			rep = ""; /* C1 */
		}
		if (rep == NULL) {
			memcpy(one, s, len);
			one[len] = '\0';
			rep = one;
		}
		if (o + strlen(rep) >= out_len)
			break;
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
		s += len;
	}
	out[o] = '\0';
	return o;
}

/* Number of terminal columns a clean UTF-8 string takes (one per code point;
 * the report prints no wide or combining characters of its own). */
static inline size_t nc_report_display_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* tcpdump's letters, in tcpdump's order: "S", "S.", "P.", "FP.", "R.";
 * "none" when no flag is set. */
static inline void nc_report_tcp_flags(uint8_t flags, char *buf, size_t len)
{
	static const struct { uint8_t bit; char letter; } order[] = {
		{ NC_TCP_FIN, 'F' }, { NC_TCP_SYN, 'S' }, { NC_TCP_RST, 'R' },
		{ NC_TCP_PSH, 'P' }, { NC_TCP_ACK, '.' }, { 0x20, 'U' },
		{ 0x40, 'E' }, { 0x80, 'W' },
	};
	size_t o = 0;

	if (len == 0)
		return;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && o + 1 < len; i++)
		if (flags & order[i].bit)
			buf[o++] = order[i].letter;
	buf[o] = '\0';
	if (o == 0)
		snprintf(buf, len, "none");
}

/* "2026-11-28T22:41:03.123456789Z" (UTC) */
static inline int nc_report_time_rfc3339(uint64_t ts_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_ns / 1000000000u);
	struct tm tm;
	size_t n;

	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || snprintf(buf + n, len - n, ".%09uZ", (unsigned)(ts_ns % 1000000000u)) >= (int)(len - n))
		return -1;
	return 0;
}

/* "22:41:03.123456", local time, as tcpdump prints it so the lines can be
 * laid beside a tcpdump run on the same host. */
static inline int nc_report_time_clock(uint64_t ts_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_ns / 1000000000u);
	struct tm tm;
	size_t n;

	if (localtime_r(&secs, &tm) == NULL)
		return -1;
	n = strftime(buf, len, "%H:%M:%S", &tm);
	if (n == 0 || snprintf(buf + n, len - n, ".%06u", (unsigned)(ts_ns % 1000000000u / 1000u)) >= (int)(len - n))
		return -1;
	return 0;
}

static inline const char *nc_report_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmp6";
	default: return "other";
	}
}

/* ICMP paths have no ports: the endpoint's port is the echo identifier. */
static inline bool nc_report_path_has_ports(const nc_path_t *p)
{
	return nc_path_kind_proto(p->kind) != NC_PROTO_ICMP;
}

static inline const char *nc_report_name_or(const char *name, const char *fallback)
{
	return name != NULL ? name : fallback;
}

/* borrowed: the path's unique name, or its kind's */
static inline const char *nc_report_path_name(const nc_path_t *p)
{
	return p->name[0] != '\0' ? p->name : nc_report_name_or(nc_path_kind_name(p->kind), "unknown-path");
}

/* The names of a bit set of verdicts (1u << nc_verdict_t) or of
 * mechanisms, each after lead (the first) or sep; "" when mask is 0. */
static inline void nc_report_set_text(unsigned mask, bool verdicts, const char *lead, const char *sep, char *buf,
				      size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < (verdicts ? NC_VERDICT_COUNT : NC_MECH_COUNT); i++) {
		const char *name = verdicts ? nc_verdict_name((nc_verdict_t)i) : nc_mechanism_name((nc_mechanism_t)i);
		int n;

		if (!(mask & (1u << i)))
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o > 0 ? sep : lead, nc_report_name_or(name, "?"));
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

/* "proxy|nat"; "" when mask is 0 (any mechanism) */
static inline void nc_report_mechanisms_text(unsigned mask, char *buf, size_t len)
{
	nc_report_set_text(mask, false, "", "|", buf, len);
}

/* " or unreachable or refused" for an expectation's other verdicts; ""
 * when there are none */
static inline void nc_report_other_verdicts_text(unsigned set, char *buf, size_t len)
{
	nc_report_set_text(set, true, " or ", " or ", buf, len);
}

/* The exit code the command ends with: the one cli set from the policy's
 * nc_exit_code() before rendering; a report never decides a code of its
 * own (-1 only when no one set it). */
static inline int nc_report_exit_code(const nc_result_t *r)
{
	return nc_result_exit_code(r);
}

#endif
