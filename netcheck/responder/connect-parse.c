/* netcheck responder: the connect-out request, its targets and the allow-list.
 *
 * Owns no state and never allocates.  The allow-list is the whole of the
 * connect-out policy: nothing here may widen what a target matches. */
#include "connect-parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/testing.h"

/* The longest query we look at; the request itself is bounded at 4 KiB. */
#define VALUE_MAX (NC_RESPONDER_HOST_MAX + 16)

const char *nc_responder_proto_name(nc_responder_proto_t proto)
{
	switch (proto) {
	case NC_RESPONDER_TCP: return "tcp";
	case NC_RESPONDER_UDP: return "udp";
	case NC_RESPONDER_ICMP: return "icmp";
	}
	return "?";
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

/* A literal v4 or v6 address (no brackets) or a host name. */
static int parse_host(const char *s, size_t len, nc_responder_target_t *ret)
{
	char text[NC_RESPONDER_HOST_MAX + 1];
	unsigned char bytes[sizeof(struct in6_addr)];

	if (len == 0 || len > NC_RESPONDER_HOST_MAX)
		return -EINVAL;
	memcpy(text, s, len);
	text[len] = '\0';
	if (memchr(text, ':', len) != NULL) {
		if (inet_pton(AF_INET6, text, bytes) != 1)
			return -EINVAL;
		ret->family = AF_INET6;
	} else if (inet_pton(AF_INET, text, bytes) == 1) {
		ret->family = AF_INET;
	} else {
		/* a name: no leading dot or dash, no empty label */
		if (text[0] == '.' || text[0] == '-' || strstr(text, "..") != NULL)
			return -EINVAL;
		for (size_t i = 0; i < len; i++) {
			if (!is_name_char((unsigned char)text[i]))
				return -EINVAL;
			if (text[i] >= 'A' && text[i] <= 'Z')
				text[i] = (char)(text[i] - 'A' + 'a');
		}
		/* all digits and dots, yet not an address: 1.2.3 is no name either */
		if (strspn(text, "0123456789.") == len)
			return -EINVAL;
		memcpy(ret->host, text, len + 1);
		ret->is_literal = false;
		ret->family = 0;
		return 0;
	}
	if (inet_ntop(ret->family, bytes, ret->host, sizeof(ret->host)) == NULL)
		return -EINVAL;
	ret->is_literal = true;
	return 0;
}

static int parse_port_text(const char *s, size_t len, uint16_t *ret_port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*ret_port = (uint16_t)v;
	return 0;
}

int nc_responder_parse_host_port(const char *s, size_t len, bool port_optional, nc_responder_target_t *ret)
{
	nc_responder_target_t t = { .port = 0 };
	const char *colon;
	int r;

	if (s == NULL || ret == NULL || len == 0)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);
		size_t host_len;

		if (close == NULL)
			return -EINVAL;
		host_len = (size_t)(close - s - 1);
		r = parse_host(s + 1, host_len, &t);
		if (r < 0 || t.family != AF_INET6)
			return -EINVAL;
		if ((size_t)(close - s) + 1 == len) {
			if (!port_optional)
				return -EINVAL;
		} else {
			if (close[1] != ':')
				return -EINVAL;
			r = parse_port_text(close + 2, len - host_len - 3, &t.port);
			if (r < 0)
				return r;
		}
		*ret = t;
		return 0;
	}
	colon = memchr(s, ':', len);
	if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) != NULL) {
		/* two colons: a bare v6 address, which cannot carry a port */
		if (!port_optional)
			return -EINVAL;
		r = parse_host(s, len, &t);
		if (r < 0)
			return r;
		*ret = t;
		return 0;
	}
	if (colon == NULL) {
		if (!port_optional)
			return -EINVAL;
		r = parse_host(s, len, &t);
	} else {
		r = parse_host(s, (size_t)(colon - s), &t);
		if (r == 0)
			r = parse_port_text(colon + 1, len - (size_t)(colon - s) - 1, &t.port);
	}
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [s, s+len) into ret (ret_size bytes with the NUL).
 * A decoded NUL or a value that does not fit is -EINVAL. */
static int decode_value(const char *s, size_t len, char *ret, size_t ret_size, size_t *ret_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -EINVAL;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (n + 1 >= ret_size)
			return -EINVAL;
		ret[n++] = c;
	}
	ret[n] = '\0';
	*ret_len = n;
	return 0;
}

int nc_responder_parse_connect(const char *target, nc_responder_connect_t *ret)
{
	static const char path[] = "/connect";
	nc_responder_connect_t req = { .timeout_ms = NC_RESPONDER_TIMEOUT_MS_DEFAULT };
	bool have_proto = false, have_target = false, have_nonce = false, have_timeout = false;
	const char *p, *end;
	int r;

	if (target == NULL || ret == NULL)
		return -EINVAL;
	if (strncmp(target, path, sizeof(path) - 1) != 0 ||
	    (target[sizeof(path) - 1] != '?' && target[sizeof(path) - 1] != '\0'))
		return -ENOENT;
	p = target + sizeof(path) - 1;
	if (*p == '\0')
		return -EINVAL;
	p++;
	end = p + strlen(p);

	/* the target is parsed after proto, which decides if a port is needed */
	const char *target_value = NULL;
	size_t target_value_len = 0;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *field_end = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(field_end - p));
		char value[VALUE_MAX + 1];
		size_t key_len, value_len;

		if (eq == NULL)
			return -EINVAL;
		key_len = (size_t)(eq - p);
		r = decode_value(eq + 1, (size_t)(field_end - eq - 1), value, sizeof(value), &value_len);
		if (r < 0)
			return r;
		if (key_len == 5 && memcmp(p, "proto", 5) == 0) {
			if (have_proto)
				return -EINVAL;
			have_proto = true;
			if (strcmp(value, "tcp") == 0)
				req.proto = NC_RESPONDER_TCP;
			else if (strcmp(value, "udp") == 0)
				req.proto = NC_RESPONDER_UDP;
			else if (strcmp(value, "icmp") == 0)
				req.proto = NC_RESPONDER_ICMP;
			else
				return -EINVAL;
		} else if (key_len == 6 && memcmp(p, "target", 6) == 0) {
			if (have_target)
				return -EINVAL;
			have_target = true;
			target_value = eq + 1;
			target_value_len = (size_t)(field_end - eq - 1);
		} else if (key_len == 5 && memcmp(p, "nonce", 5) == 0) {
			if (have_nonce || !nc_responder_nonce_is_valid(value, value_len))
				return -EINVAL;
			have_nonce = true;
			memcpy(req.nonce, value, value_len + 1);
		} else if (key_len == 10 && memcmp(p, "timeout_ms", 10) == 0) {
			unsigned long v = 0;

			if (have_timeout || value_len == 0 || value_len > 9)
				return -EINVAL;
			have_timeout = true;
			for (size_t i = 0; i < value_len; i++) {
				if (value[i] < '0' || value[i] > '9')
					return -EINVAL;
				v = v * 10 + (unsigned long)(value[i] - '0');
			}
			if (v < NC_RESPONDER_TIMEOUT_MS_MIN)
				v = NC_RESPONDER_TIMEOUT_MS_MIN;
			if (v > NC_RESPONDER_TIMEOUT_MS_MAX)
				v = NC_RESPONDER_TIMEOUT_MS_MAX;
			req.timeout_ms = (unsigned)v;
		} else {
			return -EINVAL;
		}
		p = amp != NULL ? amp + 1 : end;
		if (amp != NULL && p == end)
			return -EINVAL; /* a trailing '&': an empty parameter */
	}
	if (!have_proto || !have_target || !have_nonce)
		return -EINVAL;
	{
		char value[VALUE_MAX + 1];
		size_t value_len;

		r = decode_value(target_value, target_value_len, value, sizeof(value), &value_len);
		if (r < 0)
			return r;
		r = nc_responder_parse_host_port(value, value_len, req.proto == NC_RESPONDER_ICMP, &req.target);
		if (r < 0)
			return r;
	}
	*ret = req;
	return 0;
}

/* Do the first bits of two literals of one family agree? */
static bool in_block(const nc_responder_target_t *block, const nc_responder_target_t *t)
{
	unsigned char a[16], b[16];
	unsigned bits = block->prefix_len, whole = bits / 8, rest = bits % 8;

	if (block->family != t->family || inet_pton(block->family, block->host, a) != 1 ||
	    inet_pton(t->family, t->host, b) != 1)
		return false;
	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

bool nc_responder_allow_match(const nc_responder_target_t *list, size_t n, nc_responder_proto_t proto,
			      const nc_responder_target_t *t)
{
	if (list == NULL || t == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const nc_responder_target_t *a = &list[i];

		if (a->prefix_len > 0) {
			if (!t->is_literal || !in_block(a, t))
				continue;
		} else if (a->is_literal != t->is_literal || strcasecmp(a->host, t->host) != 0) {
			continue;
		}
		if (proto == NC_RESPONDER_ICMP || a->port == t->port)
			return true;
	}
	return false;
}

int nc_responder_parse_allow(const char *s, size_t len, nc_responder_target_t *ret)
{
	char in[NC_RESPONDER_HOST_MAX + 16], text[sizeof(in)];
	const char *slash;
	char *end;
	unsigned long prefix;
	size_t head, tail;
	int r;

	if (s == NULL || ret == NULL || len == 0 || len >= sizeof(in))
		return -EINVAL;
	memcpy(in, s, len); /* NUL-terminated from here: strtoul stays inside */
	in[len] = '\0';
	slash = strchr(in, '/');
	if (slash == NULL)
		return nc_responder_parse_host_port(in, len, false, ret);
	/* ADDR/BITS:PORT or [ADDR/BITS]:PORT: the same text without /BITS */
	head = (size_t)(slash - in);
	prefix = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || (*end != ':' && *end != ']') || !(slash[1] >= '0' && slash[1] <= '9'))
		return -EINVAL;
	tail = len - (size_t)(end - in);
	memcpy(text, in, head);
	memcpy(text + head, end, tail);
	text[head + tail] = '\0';
	r = nc_responder_parse_host_port(text, head + tail, false, ret);
	if (r < 0)
		return r;
	if (!ret->is_literal || prefix == 0 || prefix > (ret->family == AF_INET ? 32u : 128u))
		return -EINVAL;
	ret->prefix_len = (uint8_t)prefix;
	return 0;
}
