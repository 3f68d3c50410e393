/* netcheck responder: name resolution without NSS, the pure half.
 *
 * Owns no state and never allocates.  Every loop over an untrusted message
 * is bounded by its length, and compression pointers by a hop count. */
#include "dns-parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "netcheck/testing.h"

#define HEADER_LEN 12
#define POINTER_HOPS_MAX 32 /* more than any honest message needs */
#define CNAME_HOPS_MAX 8

bool nc_responder_addr_is_loopback(const nc_responder_addr_t *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a == NULL)
		return false;
	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	if (a->family == AF_INET6)
		return memcmp(a->bytes, v6_loopback, 16) == 0 ||
		       (memcmp(a->bytes, v4_mapped, 12) == 0 && a->bytes[12] == 127);
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next blank-separated word of [*pos, end); false at the end. */
static bool next_word(const char **pos, const char *end, const char **ret_word, size_t *ret_len)
{
	const char *p = *pos;

	while (p < end && is_blank(*p))
		p++;
	if (p == end)
		return false;
	*ret_word = p;
	while (p < end && !is_blank(*p))
		p++;
	*ret_len = (size_t)(p - *ret_word);
	*pos = p;
	return true;
}

static bool parse_addr(const char *word, size_t len, nc_responder_addr_t *ret)
{
	char text[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, word, len);
	text[len] = '\0';
	/* a zone (fe80::1%eth0) is of no use to us: skipped */
	if (inet_pton(AF_INET, text, ret->bytes) == 1) {
		ret->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, ret->bytes) == 1) {
		ret->family = AF_INET6;
		return true;
	}
	return false;
}

/* Calls on_line(line, line_len, user) for each line, comments cut off;
 * stops when it returns true. */
static unsigned for_each_line(const char *text, size_t len,
			      bool (*on_line)(const char *line, size_t line_len, void *user), void *user)
{
	size_t pos = 0;
	unsigned number = 0;

	if (text == NULL)
		return 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl != NULL ? (size_t)(nl - line) : len - pos;
		const char *hash = memchr(line, '#', line_len);

		number++;
		pos += line_len + 1;
		if (hash != NULL)
			line_len = (size_t)(hash - line);
		if (on_line(line, line_len, user))
			return number;
	}
	return 0;
}

typedef struct hosts_search {
	const char *name;
	size_t name_len;
	nc_responder_addr_t v6;
	unsigned v6_line;
	unsigned line;
	nc_responder_addr_t *ret;
} hosts_search_t;

static bool hosts_line(const char *line, size_t line_len, void *user)
{
	hosts_search_t *h = user;
	const char *pos = line, *end = line + line_len, *word;
	nc_responder_addr_t addr;
	size_t word_len;

	h->line++;
	if (!next_word(&pos, end, &word, &word_len) || !parse_addr(word, word_len, &addr))
		return false;
	while (next_word(&pos, end, &word, &word_len)) {
		if (word_len != h->name_len || strncasecmp(word, h->name, word_len) != 0)
			continue;
		if (addr.family == AF_INET) {
			*h->ret = addr;
			return true;
		}
		if (h->v6_line == 0) {
			h->v6 = addr;
			h->v6_line = h->line;
		}
	}
	return false;
}

int nc_responder_hosts_lookup(const char *text, size_t len, const char *name, nc_responder_addr_t *ret,
			      unsigned *ret_line)
{
	hosts_search_t h = { .name = name, .ret = ret };
	unsigned line;

	if (name == NULL || ret == NULL || name[0] == '\0')
		return -EINVAL;
	h.name_len = strlen(name);
	line = for_each_line(text, len, hosts_line, &h);
	if (line == 0 && h.v6_line != 0) {
		*ret = h.v6;
		line = h.v6_line;
	}
	if (line == 0)
		return -ENOENT;
	if (ret_line != NULL)
		*ret_line = line;
	return 0;
}

typedef struct resolv_search {
	nc_responder_addr_t *ret;
	size_t max;
	int found;
} resolv_search_t;

static bool resolv_line(const char *line, size_t line_len, void *user)
{
	resolv_search_t *s = user;
	const char *pos = line, *end = line + line_len, *word;
	nc_responder_addr_t addr;
	size_t word_len;

	if (!next_word(&pos, end, &word, &word_len) || word_len != 10 || memcmp(word, "nameserver", 10) != 0)
		return false;
	if (!next_word(&pos, end, &word, &word_len) || !parse_addr(word, word_len, &addr))
		return false;
	if ((size_t)s->found < s->max)
		s->ret[s->found] = addr;
	s->found++;
	return s->found >= 64; /* enough of a silly file */
}

int nc_responder_pick_nameserver(const nc_responder_addr_t *servers, int n, const char *name, const char *nameserver_for)
{
	for (int i = 0; i < n; i++)
		if (nc_responder_addr_is_loopback(&servers[i]))
			return i;
	if (n > 0 && name != NULL && nameserver_for != NULL && strcasecmp(name, nameserver_for) == 0)
		return 0;
	return -1;
}

int nc_responder_resolv_nameservers(const char *text, size_t len, nc_responder_addr_t *ret, size_t max)
{
	resolv_search_t s = { .ret = ret, .max = ret != NULL ? max : 0 };

	for_each_line(text, len, resolv_line, &s);
	return s.found;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int nc_responder_dns_query(const char *name, uint16_t id, uint16_t qtype, uint8_t *buf, size_t len)
{
	size_t name_len, off = HEADER_LEN, label_start;

	if (name == NULL || buf == NULL)
		return -EINVAL;
	name_len = strnlen(name, NC_DNS_NAME_MAX + 2);
	if (name_len > 0 && name[name_len - 1] == '.')
		name_len--;
	if (name_len == 0 || name_len > NC_DNS_NAME_MAX)
		return -EINVAL;
	/* header, labels (name_len + 1 length bytes + root), type, class */
	if (len < HEADER_LEN + name_len + 2 + 4)
		return -ENOSPC;
	memset(buf, 0, HEADER_LEN);
	put16(buf, id);
	buf[2] = 0x01; /* RD */
	put16(buf + 4, 1); /* QDCOUNT */
	label_start = 0;
	for (size_t i = 0; i <= name_len; i++) {
		if (i == name_len || name[i] == '.') {
			size_t label_len = i - label_start;

			if (label_len == 0 || label_len > 63)
				return -EINVAL;
			buf[off++] = (uint8_t)label_len;
			memcpy(buf + off, name + label_start, label_len);
			off += label_len;
			label_start = i + 1;
		}
	}
	buf[off++] = 0;
	put16(buf + off, qtype);
	put16(buf + off + 2, 1); /* IN */
	return (int)(off + 4);
}

/* Reads the name at *pos into text (NC_DNS_NAME_MAX + 1 bytes, lowercase,
 * no trailing dot; "" for the root) and moves *pos past it. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, char *text)
{
	size_t p = *pos, out = 0, after = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (p >= len)
			return -EBADMSG;
		l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > POINTER_HOPS_MAX)
				return -EBADMSG;
			if (!jumped)
				after = p + 2;
			jumped = true;
			p = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return -EBADMSG; /* extended label types */
		p++;
		if (l == 0)
			break;
		if (p + l > len || out + (out > 0) + l > NC_DNS_NAME_MAX)
			return -EBADMSG;
		if (out > 0)
			text[out++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)msg[p + i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			/* a dot or NUL inside a label could fake another name */
			if (c == '.' || c == '\0')
				return -EBADMSG;
			text[out++] = c;
		}
		p += l;
	}
	text[out] = '\0';
	*pos = jumped ? after : p;
	return 0;
}

static bool name_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

int nc_responder_dns_answer(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
			    nc_responder_addr_t *ret, size_t max)
{
	char owner[NC_DNS_NAME_MAX + 1], current[NC_DNS_NAME_MAX + 1], qname[NC_DNS_NAME_MAX + 1];
	unsigned qdcount, ancount, rcode, cname_hops = 0;
	size_t pos = HEADER_LEN;
	int n = 0, r;

	if (msg == NULL || name == NULL || (ret == NULL && max > 0))
		return -EINVAL;
	if (len < HEADER_LEN)
		return -EBADMSG;
	if (get16(msg) != id || (msg[2] & 0x80) == 0 || (msg[2] & 0x78) != 0)
		return -EAGAIN; /* not a response to a standard query of ours */
	qdcount = get16(msg + 4);
	ancount = get16(msg + 6);
	rcode = msg[3] & 0x0f;
	if (qdcount != 1)
		return -EAGAIN;
	r = read_name(msg, len, &pos, qname);
	if (r < 0)
		return r;
	if (pos + 4 > len)
		return -EBADMSG;
	if (!name_equal(qname, name) || get16(msg + pos) != qtype || get16(msg + pos + 2) != 1)
		return -EAGAIN;
	pos += 4;
	if (rcode == 3)
		return -ENOENT;
	if (rcode != 0 || (msg[2] & 0x02) != 0)
		return -EIO;

	snprintf(current, sizeof(current), "%s", qname);
	for (unsigned i = 0; i < ancount; i++) {
		uint16_t type, class, rdlength;

		r = read_name(msg, len, &pos, owner);
		if (r < 0)
			return r;
		if (pos + 10 > len)
			return -EBADMSG;
		type = get16(msg + pos);
		class = get16(msg + pos + 2);
		rdlength = get16(msg + pos + 8);
		pos += 10;
		if (pos + rdlength > len)
			return -EBADMSG;
		if (class == 1 && name_equal(owner, current)) {
			if (type == NC_DNS_TYPE_CNAME) {
				size_t target_pos = pos;

				if (++cname_hops > CNAME_HOPS_MAX)
					return -EBADMSG;
				r = read_name(msg, len, &target_pos, current);
				if (r < 0)
					return r;
				if (target_pos != pos + rdlength)
					return -EBADMSG;
			} else if (type == qtype && type == NC_DNS_TYPE_A && rdlength == 4) {
				if ((size_t)n < max) {
					ret[n].family = AF_INET;
					memset(ret[n].bytes, 0, sizeof(ret[n].bytes));
					memcpy(ret[n].bytes, msg + pos, 4);
					n++;
				}
			} else if (type == qtype && type == NC_DNS_TYPE_AAAA && rdlength == 16) {
				if ((size_t)n < max) {
					ret[n].family = AF_INET6;
					memcpy(ret[n].bytes, msg + pos, 16);
					n++;
				}
			} else if (type == qtype) {
				return -EBADMSG; /* an A of 5 bytes */
			}
		}
		pos += rdlength;
	}
	return n;
}
