/* witness: the drop reasons without the kernel — a run's flows in the
 * form the program compares, events folded into each flow's drops, and
 * the names: a reason's from BTF (enum skb_drop_reason and
 * enum skb_drop_reason_subsys, read with libbpf's btf__ API from the
 * running kernel's /sys/kernel/btf/vmlinux, never a table of our own that
 * would drift from the kernel's), a location's as the kernel named it in
 * the event, else from /proc/kallsyms.
 * Both are read only when a name is first asked for: a run whose flows
 * lost nothing pays for neither (the BTF walk costs 5-15 ms, the kallsyms
 * scan 100+ ms: the kernel names locations itself, so it is a fallback).
 * May call: libbpf (BTF only), model.  Never prints. */
#include "witness-drop-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "netcheck/testing.h"

/* ---- flows ------------------------------------------------------------------- */

static void put_addr(const nc_endpoint_t *e, __u64 *ret, __u64 *ret_mask)
{
	unsigned char bytes[16] = { 0 };

	if (e->family == AF_INET)
		memcpy(bytes, &e->addr.v4, 4);
	else if (e->family == AF_INET6)
		memcpy(bytes, &e->addr.v6, 16);
	memcpy(ret, bytes, 16);
	ret_mask[0] = ret_mask[1] = e->family != 0 ? UINT64_MAX : 0;
}

int drop_flow_from_endpoints(const nc_drop_flow_t *f, struct drop_flow *ret)
{
	int family = f->src.family != 0 ? f->src.family : f->dst.family;

	memset(ret, 0, sizeof(*ret));
	if ((family != AF_INET && family != AF_INET6) ||
	    (f->src.family != 0 && f->dst.family != 0 && f->src.family != f->dst.family))
		return -EINVAL;
	ret->family = family == AF_INET ? 2 : 10; /* the kernel's numbers, whatever this libc's */
	ret->proto = f->proto;
	ret->proto_mask = f->proto != 0 ? 0xff : 0;
	put_addr(&f->src, ret->saddr, ret->saddr_mask);
	put_addr(&f->dst, ret->daddr, ret->daddr_mask);
	/* without a protocol the ports are no one's: any, as the trace table has it */
	if (f->proto != 0) {
		ret->ports = (uint32_t)f->src.port << 16 | f->dst.port;
		ret->ports_mask = (f->src.port != 0 ? 0xffff0000u : 0) | (f->dst.port != 0 ? 0xffffu : 0);
	}
	return 0;
}

/* ---- the object ---------------------------------------------------------------- */

int drop_append_flows(nc_dropreason_t *d, const nc_drop_flow_t *flows, size_t n)
{
	struct drop_flow converted[NC_DROP_MAX_FLOWS];
	int r;

	if (n > NC_DROP_MAX_FLOWS - d->n_flows)
		return -E2BIG;
	if (n > 0 && flows == NULL)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) /* all or nothing */
		if ((r = drop_flow_from_endpoints(&flows[i], &converted[i])) < 0)
			return r;
	memcpy(&d->flows[d->n_flows], converted, n * sizeof(converted[0]));
	d->n_flows += n;
	return 0;
}

void drop_clear_flows(nc_dropreason_t *d)
{
	memset(d->state, 0, d->n_flows * sizeof(*d->state));
	d->n_flows = 0;
}

int nc_dropreason_offline(const nc_drop_flow_t *flows, size_t n, nc_dropreason_t **ret)
{
	nc_dropreason_t *d;
	int r = -ENOMEM;

	*ret = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->btf_path = DROP_BTF_PATH;
	d->kallsyms_path = DROP_KALLSYMS_PATH;
	d->flows = calloc(NC_DROP_MAX_FLOWS, sizeof(*d->flows));
	d->state = calloc(NC_DROP_MAX_FLOWS, sizeof(*d->state));
	if (d->flows == NULL || d->state == NULL || (r = drop_append_flows(d, flows, n)) < 0) {
		drop_collect_free(d);
		free(d);
		return r == -E2BIG ? -EINVAL : r;
	}
	*ret = d;
	return 0;
}

void nc_dropreason_set_sources(nc_dropreason_t *d, const char *btf_path, const char *kallsyms_path)
{
	d->btf_path = btf_path;
	d->kallsyms_path = kallsyms_path;
}

static void free_names(drop_name_t *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i].name);
	free(names);
}

void drop_collect_free(nc_dropreason_t *d)
{
	free(d->flows);
	free(d->state);
	free_names(d->reasons, d->n_reasons);
	free_names(d->subsystems, d->n_subsystems);
	for (size_t i = 0; i < d->n_symbols; i++)
		free(d->symbols[i].name);
	free(d->symbols);
	d->flows = NULL;
	d->state = NULL;
	d->reasons = d->subsystems = NULL;
	d->symbols = NULL;
	d->n_flows = d->n_reasons = d->n_subsystems = d->n_symbols = 0;
}

/* ---- events ---------------------------------------------------------------------- */

/* A packet's address as an endpoint (family: the kernel's 2 or 10). */
static void get_endpoint(__u8 family, const __u8 *addr, __u16 port, nc_endpoint_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = family == 2 ? AF_INET : family == 10 ? AF_INET6 : 0;
	if (family == 2)
		memcpy(&ret->addr.v4, addr, 4);
	else if (family == 10)
		memcpy(&ret->addr.v6, addr, 16);
	ret->port = port;
}

static bool same_drop(const nc_drop_t *a, const struct drop_event *e)
{
	return a->reason == e->reason && a->location == e->location && a->ifindex == e->ifindex &&
	       a->netns == e->netns && a->reply == (e->reply != 0);
}

int drop_collect_event(nc_dropreason_t *d, const struct drop_event *e)
{
	drop_flow_state_t *s;
	nc_drop_t *drop;

	if (e->flow >= d->n_flows)
		return -EINVAL;
	d->stats.events++;
	s = &d->state[e->flow];
	for (size_t i = 0; i < s->n_drops; i++) {
		drop = &s->drops[i];
		if (same_drop(drop, e)) {
			drop->packets++;
			if (e->ts_ns > drop->last_ns)
				drop->last_ns = e->ts_ns;
			return 0;
		}
	}
	if (s->n_drops == NC_DROP_MAX_KINDS) {
		d->stats.kinds_dropped++;
		return 0;
	}
	drop = &s->drops[s->n_drops++];
	*drop = (nc_drop_t){
		.reason = e->reason,
		.location = e->location,
		.ifindex = e->ifindex,
		.netns = e->netns,
		.reply = e->reply != 0,
		.tcp_flags = e->packet.tcp_flags,
		.icmp_type = e->packet.icmp_type,
		.packets = 1,
		.first_ns = e->ts_ns,
		.last_ns = e->ts_ns,
	};
	drop->proto = e->packet.proto;
	get_endpoint(e->packet.family, e->packet.saddr, e->packet.sport, &drop->src);
	get_endpoint(e->packet.family, e->packet.daddr, e->packet.dport, &drop->dst);
	/* "func+0xoff/0xsize": the size is the function's, not the drop's */
	memcpy(drop->symbol, e->symbol, sizeof(drop->symbol) - 1);
	drop->symbol[strcspn(drop->symbol, "/")] = '\0';
	return 0;
}

size_t nc_dropreason_flow_count(const nc_dropreason_t *d)
{
	return d->n_flows;
}

size_t nc_dropreason_drop_count(const nc_dropreason_t *d, size_t flow)
{
	return flow < d->n_flows ? d->state[flow].n_drops : 0;
}

const nc_drop_t *nc_dropreason_drop(const nc_dropreason_t *d, size_t flow, size_t i)
{
	if (flow >= d->n_flows || i >= d->state[flow].n_drops)
		return NULL;
	return &d->state[flow].drops[i];
}

void nc_dropreason_stats(const nc_dropreason_t *d, nc_drop_stats_t *ret)
{
	*ret = d->stats;
}

/* ---- reason names ------------------------------------------------------------------ */

static char *copy_text(const char *s)
{
	size_t len = strlen(s);
	char *copy = malloc(len + 1); /* not strdup: the unit tests count every allocation */

	if (copy != NULL)
		memcpy(copy, s, len + 1);
	return copy;
}

/* Adds member, less prefix, to names[*n] when it has the prefix and a
 * value a reason can have.  0 or -ENOMEM. */
static int keep_member(drop_name_t *names, size_t *n, const char *member, uint64_t value, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (member == NULL || strncmp(member, prefix, plen) != 0 || value > UINT32_MAX)
		return 0;
	names[*n].value = (uint32_t)value;
	if ((names[*n].name = copy_text(member + plen)) == NULL)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The members of enum `name` whose names start with prefix, less it.
 * 0 (none found: *ret NULL) or -ENOMEM. */
static int read_enum(const struct btf *btf, const char *name, const char *prefix, drop_name_t **ret,
		     size_t *ret_n)
{
	size_t n = 0;
	const struct btf_type *t;
	drop_name_t *names;
	__s32 id;
	int vlen;

	*ret = NULL;
	*ret_n = 0;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
	if (id < 0 || (t = btf__type_by_id(btf, (__u32)id)) == NULL)
		return 0;
	vlen = btf_vlen(t);
	names = calloc(vlen > 0 ? (size_t)vlen : 1, sizeof(*names));
	if (names == NULL)
		return -ENOMEM;
	for (int i = 0; i < vlen; i++) {
		const char *member;
		uint64_t value;

		if (btf_is_enum(t)) {
			member = btf__name_by_offset(btf, btf_enum(t)[i].name_off);
			value = (uint32_t)btf_enum(t)[i].val;
		} else {
			member = btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
			value = btf_enum64_value(&btf_enum64(t)[i]);
		}
		if (keep_member(names, &n, member, value, prefix) < 0) {
			free_names(names, n);
			return -ENOMEM;
		}
	}
	*ret = names;
	*ret_n = n;
	return 0;
}

/* ---- the kernel's BTF, read raw ---------------------------------------------------- */

/* The two enums are found by one walk over the raw BTF (the UAPI format of
 * linux/btf.h): libbpf's btf__parse() validates and indexes all 150,000
 * types of a 6.18 kernel first (29 ms on a 2-CPU VM, of a run that had
 * drops); the walk takes 5-15 ms, most of it reading the 5 MB.  A kind the
 * walk does not know (a kernel newer than it) hands over to libbpf. */
#define BTF_MAGIC_ 0xeB9F
#define BTF_MAX_BYTES (64u << 20)

typedef struct raw_btf {
	unsigned char *data;        /* owned, len bytes */
	size_t len;
	const unsigned char *types; /* borrowed from data */
	size_t types_len;
	const char *strings;        /* borrowed from data */
	size_t strings_len;
} raw_btf_t;

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static const char *raw_name(const raw_btf_t *b, uint32_t off)
{
	if (off >= b->strings_len || memchr(b->strings + off, '\0', b->strings_len - off) == NULL)
		return NULL;
	return b->strings + off;
}

/* 0 and b, -EPROTO (not BTF as this reader knows it), or an errno. */
static int raw_btf_read(const char *path, raw_btf_t *b)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
	size_t cap = 1u << 20;
	FILE *f;

	memset(b, 0, sizeof(*b));
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	for (;;) {
		unsigned char *grown;
		size_t got;

		if ((grown = realloc(b->data, cap)) == NULL) {
			fclose(f);
			return -ENOMEM;
		}
		b->data = grown;
		got = fread(b->data + b->len, 1, cap - b->len, f);
		b->len += got;
		if (b->len < cap || cap >= BTF_MAX_BYTES)
			break;
		cap *= 2;
	}
	fclose(f);
	if (b->len < 24 || (u32_at(b->data) & 0xffff) != BTF_MAGIC_)
		return -EPROTO;
	hdr_len = u32_at(b->data + 4);
	type_off = u32_at(b->data + 8);
	type_len = u32_at(b->data + 12);
	str_off = u32_at(b->data + 16);
	str_len = u32_at(b->data + 20);
	if (hdr_len < 24 || hdr_len > b->len || (uint64_t)type_off + type_len > b->len - hdr_len ||
	    (uint64_t)str_off + str_len > b->len - hdr_len)
		return -EPROTO;
	b->types = b->data + hdr_len + type_off;
	b->types_len = type_len;
	b->strings = (const char *)b->data + hdr_len + str_off;
	b->strings_len = str_len;
	return 0;
}

/* The bytes that follow a type's 12 of its kind, or -1 for a kind unknown here. */
static long raw_type_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case 1: case 14: case 17: return 4;                    /* INT, VAR, DECL_TAG */
	case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
		return 0;                                       /* PTR, FWD, TYPEDEF, qualifiers, FUNC, FLOAT, TYPE_TAG */
	case 3: return 12;                                      /* ARRAY */
	case 4: case 5: case 15: case 19: return 12L * vlen;    /* STRUCT, UNION, DATASEC, ENUM64 */
	case 6: case 13: return 8L * vlen;                      /* ENUM, FUNC_PROTO */
	default: return -1;
	}
}

/* The members of enum `name` whose names start with prefix, less it.
 * 0 (none: *ret NULL), -ENOMEM, or -EPROTO (a kind unknown here). */
static int raw_read_enum(const raw_btf_t *b, const char *name, const char *prefix, drop_name_t **ret, size_t *ret_n)
{
	size_t off = 0;

	*ret = NULL;
	*ret_n = 0;
	while (off + 12 <= b->types_len) {
		const unsigned char *t = b->types + off;
		uint32_t info = u32_at(t + 4), kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
		long extra = raw_type_extra(kind, vlen);
		const char *type_name;
		drop_name_t *names;
		size_t n = 0, step;

		if (extra < 0 || off + 12 + (size_t)extra > b->types_len)
			return -EPROTO;
		off += 12 + (size_t)extra;
		if ((kind != 6 && kind != 19) || (type_name = raw_name(b, u32_at(t))) == NULL || strcmp(type_name, name) != 0)
			continue;
		if ((names = calloc(vlen > 0 ? vlen : 1, sizeof(*names))) == NULL)
			return -ENOMEM;
		step = kind == 6 ? 8 : 12;
		for (uint32_t i = 0; i < vlen; i++) {
			const unsigned char *m = t + 12 + i * step;
			const char *member = raw_name(b, u32_at(m));
			uint64_t value = kind == 6 ? (uint64_t)u32_at(m + 4) : (uint64_t)u32_at(m + 8) << 32 | u32_at(m + 4);

			if (keep_member(names, &n, member, value, prefix) < 0) {
				free_names(names, n);
				return -ENOMEM;
			}
		}
		*ret = names;
		*ret_n = n;
		return 0;
	}
	return 0;
}

static int read_reason_names_raw(nc_dropreason_t *d)
{
	raw_btf_t b;
	int r = raw_btf_read(d->btf_path, &b);

	if (r == 0)
		r = raw_read_enum(&b, "skb_drop_reason", "SKB_DROP_REASON_", &d->reasons, &d->n_reasons);
	if (r == 0)
		r = raw_read_enum(&b, "skb_drop_reason_subsys", "SKB_DROP_REASON_SUBSYS_", &d->subsystems,
				  &d->n_subsystems);
	free(b.data);
	return r;
}

/* libbpf's way: every kind it knows. */
static int read_reason_names_libbpf(nc_dropreason_t *d)
{
	struct btf *btf;
	int r;

	btf = btf__parse(d->btf_path, NULL);
	if (btf == NULL)
		return -errno;
	r = read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", &d->reasons, &d->n_reasons);
	if (r == 0)
		r = read_enum(btf, "skb_drop_reason_subsys", "SKB_DROP_REASON_SUBSYS_", &d->subsystems,
			      &d->n_subsystems);
	btf__free(btf);
	return r;
}

static void forget_names(nc_dropreason_t *d)
{
	free_names(d->reasons, d->n_reasons);
	free_names(d->subsystems, d->n_subsystems);
	d->reasons = d->subsystems = NULL;
	d->n_reasons = d->n_subsystems = 0;
}

int drop_read_reason_names(nc_dropreason_t *d, bool with_libbpf)
{
	int r;

	d->names_read = true;
	forget_names(d);
	r = with_libbpf ? read_reason_names_libbpf(d) : read_reason_names_raw(d);
	if (r == -EPROTO && !with_libbpf) {
		forget_names(d);
		r = read_reason_names_libbpf(d);
	}
	return r;
}

static const char *find_name(const drop_name_t *names, size_t n, uint32_t value, const char *skip)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].value == value && (skip == NULL || strcmp(names[i].name, skip) != 0))
			return names[i].name;
	return NULL;
}

/* The kernel's reasons: 16 bits of reason under 16 bits of subsystem
 * (SKB_DROP_REASON_SUBSYS_SHIFT); a core reason has subsystem 0. */
#define SUBSYS_SHIFT 16

const char *nc_dropreason_reason_name(nc_dropreason_t *d, uint32_t reason)
{
	const char *name, *subsystem;
	drop_name_t *grown;
	char text[64];

	if (!d->names_read && drop_read_reason_names(d, false) < 0)
		return NULL;
	/* SKB_DROP_REASON_MAX and _SUBSYS_MASK are members, not reasons */
	name = find_name(d->reasons, d->n_reasons, reason, "MAX");
	if (name != NULL && strcmp(name, "SUBSYS_MASK") != 0)
		return name;
	if ((reason >> SUBSYS_SHIFT) == 0)
		return NULL;
	subsystem = find_name(d->subsystems, d->n_subsystems, reason >> SUBSYS_SHIFT, "NUM");
	if (subsystem == NULL)
		return NULL;
	/* kept with the reasons, so the text lives as long as d */
	snprintf(text, sizeof(text), "%s:%" PRIu32, subsystem, reason & ((1u << SUBSYS_SHIFT) - 1));
	grown = realloc(d->reasons, (d->n_reasons + 1) * sizeof(*d->reasons));
	if (grown == NULL)
		return NULL;
	d->reasons = grown;
	if ((grown[d->n_reasons].name = copy_text(text)) == NULL)
		return NULL;
	grown[d->n_reasons].value = reason;
	return grown[d->n_reasons++].name;
}

/* ---- symbols ----------------------------------------------------------------------- */

/* Adds location to the symbols to look up, once.  0 or -ENOMEM. */
static int want_symbol(nc_dropreason_t *d, uint64_t location)
{
	drop_symbol_t *grown;

	for (size_t j = 0; j < d->n_symbols; j++)
		if (d->symbols[j].location == location)
			return 0;
	if (d->n_symbols == DROP_MAX_SYMBOLS)
		return 0;
	grown = realloc(d->symbols, (d->n_symbols + 1) * sizeof(*d->symbols));
	if (grown == NULL)
		return -ENOMEM;
	d->symbols = grown;
	d->symbols[d->n_symbols++] = (drop_symbol_t){ .location = location };
	return 0;
}

/* location and every location seen so far: one scan of kallsyms names them all */
static int want_symbols(nc_dropreason_t *d, uint64_t location)
{
	int r = want_symbol(d, location);

	for (size_t f = 0; f < d->n_flows && r == 0; f++)
		for (size_t i = 0; i < d->state[f].n_drops && r == 0; i++)
			r = want_symbol(d, d->state[f].drops[i].location);
	return r;
}

typedef struct best_symbol {
	uint64_t address;
	char name[128];
} best_symbol_t;

/* One line of kallsyms: "ffffffff81000000 T _stext [module]".  0 and the
 * parts, or -1 (not a text symbol). */
static int parse_kallsyms_line(char *line, uint64_t *ret_address, const char **ret_name)
{
	char *end, *name;

	*ret_address = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || (end[1] != 't' && end[1] != 'T') || end[2] != ' ')
		return -1;
	name = end + 3;
	name[strcspn(name, " \t\n")] = '\0';
	*ret_name = name;
	return 0;
}

/* Scans kallsyms once for symbols[from..n_symbols): for each the greatest
 * text symbol at or below it.  0, or a negative errno. */
static int resolve_symbols(nc_dropreason_t *d, size_t from)
{
	size_t n = d->n_symbols - from, bytes = 0;
	bool any_address = false;
	best_symbol_t *best;
	char line[640];
	FILE *f;
	int r = 0;

	if (n == 0)
		return 0;
	f = fopen(d->kallsyms_path, "re");
	if (f == NULL)
		return -errno;
	best = calloc(n, sizeof(*best));
	if (best == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	while (bytes < DROP_KALLSYMS_MAX_BYTES && fgets(line, sizeof(line), f) != NULL) {
		const char *name;
		uint64_t address;

		bytes += strlen(line);
		if (strchr(line, '\n') == NULL) { /* longer than a symbol can be: skip the rest */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				bytes++;
			continue;
		}
		if (parse_kallsyms_line(line, &address, &name) < 0)
			continue;
		any_address = any_address || address != 0;
		for (size_t i = 0; i < n; i++)
			if (address <= d->symbols[from + i].location && address > best[i].address) {
				best[i].address = address;
				snprintf(best[i].name, sizeof(best[i].name), "%s", name);
			}
	}
	fclose(f);
	if (!any_address) /* kptr_restrict: every address reads 0 */
		d->stats.symbols_hidden = true;
	for (size_t i = 0; i < n && any_address; i++) {
		drop_symbol_t *s = &d->symbols[from + i];
		char text[160];

		if (best[i].address == 0 || s->location - best[i].address > DROP_SYMBOL_MAX_OFFSET)
			continue;
		snprintf(text, sizeof(text), "%s+0x%" PRIx64, best[i].name, s->location - best[i].address);
		if ((s->name = copy_text(text)) == NULL) {
			r = -ENOMEM;
			break;
		}
	}
	free(best);
	return r;
}

const char *nc_dropreason_symbol(nc_dropreason_t *d, uint64_t location)
{
	size_t from = d->symbols_resolved;

	if (location == 0)
		return NULL;
	for (size_t f = 0; f < d->n_flows; f++)
		for (size_t i = 0; i < d->state[f].n_drops; i++)
			if (d->state[f].drops[i].location == location && d->state[f].drops[i].symbol[0] != '\0')
				return d->state[f].drops[i].symbol;
	for (size_t i = 0; i < d->n_symbols; i++)
		if (d->symbols[i].location == location && i < d->symbols_resolved)
			return d->symbols[i].name;
	if (d->stats.symbols_hidden || want_symbols(d, location) < 0)
		return NULL;
	d->symbols_resolved = d->n_symbols;
	if (resolve_symbols(d, from) < 0)
		return NULL;
	for (size_t i = from; i < d->n_symbols; i++)
		if (d->symbols[i].location == location)
			return d->symbols[i].name;
	return NULL;
}

/* ---- observations -------------------------------------------------------------------- */

int nc_dropreason_observe(nc_dropreason_t *d, const nc_drop_t *drop, nc_observation_t *ret)
{
	const char *reason, *symbol;
	char where[96] = "";

	memset(ret, 0, sizeof(*ret));
	if (drop == NULL)
		return -EINVAL;
	ret->source = NC_OBS_DROP_REASON;
	reason = nc_dropreason_reason_name(d, drop->reason);
	symbol = nc_dropreason_symbol(d, drop->location);
	if (reason != NULL)
		snprintf(ret->reason, sizeof(ret->reason), "%s", reason);
	else
		snprintf(ret->reason, sizeof(ret->reason), "%" PRIu32, drop->reason);
	if (symbol != NULL)
		snprintf(ret->location, sizeof(ret->location), "%s", symbol);
	else
		snprintf(ret->location, sizeof(ret->location), "0x%" PRIx64, drop->location);
	if (drop->ifindex != 0 && drop->netns != 0)
		snprintf(where, sizeof(where), " on interface %" PRIu32 " of network namespace %" PRIu32, drop->ifindex,
			 drop->netns);
	else if (drop->ifindex != 0)
		snprintf(where, sizeof(where), " on interface %" PRIu32, drop->ifindex);
	snprintf(ret->text, sizeof(ret->text), "the kernel dropped %u %spacket%s: %s in %s%s", drop->packets,
		 drop->reply ? "reply " : "", drop->packets == 1 ? "" : "s", ret->reason, ret->location, where);
	return 0;
}
