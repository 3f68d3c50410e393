/* Linux: the firewall ruleset of the platform interface, walked.
 *
 * Answers whether a base chain on the input or forward hook drops one new
 * TCP connection, by walking the chains of a ruleset read by
 * platform-firewall-ruleset.c the way the kernel would for that
 * connection, as far as the rules can be read: every expression it does
 * not know makes its rule not match, so what it reports as dropped is
 * dropped.  The rule that drops is put in nft's words.  Pure.
 * May call: jansson, libc.  Never prints. */
#include "netcheck/platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"
#include "platform-firewall-internal.h"

#define MAX_DEPTH 16         /* jumps inside jumps; the kernel allows 16 too */
#define MAX_STEPS (1u << 20) /* rules looked at in one question */
/* ---- one match against the packet ---------------------------------------- */

/* Does an expression hold for the packet?  MAYBE: it names something the
 * question left open (an interface, a client address or port): true for
 * some clients. */
typedef enum tri { NO = 0, MAYBE = 1, YES = 2 } tri_t;

static tri_t tri_min(tri_t a, tri_t b) { return a < b ? a : b; }

/* iptables' "eth+" is nft's "eth*" */
static bool ifname_matches(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

static bool parse_v4(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ret = ntohl(a.s_addr);
	return true;
}

/* One value of a right-hand side against a known address: -1 unreadable. */
static int addr_in(json_t *v, uint32_t addr)
{
	json_t *prefix = json_object_get(v, "prefix"), *range = json_object_get(v, "range");
	uint32_t a, b;

	if (json_is_string(v))
		return parse_v4(json_string_value(v), &a) ? a == addr : -1;
	if (prefix != NULL) {
		json_int_t len = json_integer_value(json_object_get(prefix, "len"));
		uint32_t mask = len <= 0 ? 0 : len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);

		if (!parse_v4(str_of(prefix, "addr"), &a) || len < 0 || len > 32)
			return -1;
		return (a & mask) == (addr & mask);
	}
	if (json_is_array(range) && json_array_size(range) == 2) {
		if (!parse_v4(json_string_value(json_array_get(range, 0)), &a) ||
		    !parse_v4(json_string_value(json_array_get(range, 1)), &b))
			return -1;
		return addr >= a && addr <= b;
	}
	return -1;
}

static int port_in(json_t *v, unsigned port)
{
	json_t *range = json_object_get(v, "range");

	if (json_is_integer(v))
		return json_integer_value(v) == (json_int_t)port;
	if (json_is_array(range) && json_array_size(range) == 2 && json_is_integer(json_array_get(range, 0)) &&
	    json_is_integer(json_array_get(range, 1)))
		return json_integer_value(json_array_get(range, 0)) <= (json_int_t)port &&
		       (json_int_t)port <= json_integer_value(json_array_get(range, 1));
	return -1;
}

/* The members of a right-hand side: a set ({"set": [...]}), a list (ct
 * state's ["established", "related"]) or one value. */
static size_t members(json_t *right, json_t **ret_list)
{
	json_t *set = json_object_get(right, "set");

	if (json_is_array(set)) {
		*ret_list = set;
		return json_array_size(set);
	}
	if (json_is_array(right)) {
		*ret_list = right;
		return json_array_size(right);
	}
	*ret_list = NULL;
	return 1;
}

static json_t *member(json_t *list, json_t *right, size_t i)
{
	return list != NULL ? json_array_get(list, i) : right;
}

/* Any member: a known value.  kind 'a' address, 'p' port, 's' string. */
static int any_member(json_t *right, char kind, uint32_t addr, unsigned port, const char *text)
{
	json_t *list;
	size_t n = members(right, &list);

	for (size_t i = 0; i < n; i++) {
		json_t *v = member(list, right, i);
		int m = kind == 'a'   ? addr_in(v, addr)
			: kind == 'p' ? port_in(v, port)
				      : (json_is_string(v) ? ifname_matches(json_string_value(v), text) : -1);

		if (m != 0)
			return m; /* 1, or -1: one unreadable member makes the whole unreadable */
	}
	return 0;
}

/* Is a value (an address, a prefix, a range) all inside 127.0.0.0/8?
 * -1: unreadable. */
static int loopback_value(json_t *v)
{
	json_t *prefix = json_object_get(v, "prefix"), *range = json_object_get(v, "range");
	uint32_t a, b;

	if (json_is_string(v))
		return parse_v4(json_string_value(v), &a) ? (a >> 24) == 127 : -1;
	if (prefix != NULL) {
		json_int_t len = json_integer_value(json_object_get(prefix, "len"));

		if (!parse_v4(str_of(prefix, "addr"), &a))
			return -1;
		return len >= 8 && (a >> 24) == 127;
	}
	if (json_is_array(range) && json_array_size(range) == 2) {
		if (!parse_v4(json_string_value(json_array_get(range, 0)), &a) ||
		    !parse_v4(json_string_value(json_array_get(range, 1)), &b))
			return -1;
		return (a >> 24) == 127 && (b >> 24) == 127;
	}
	return -1;
}

/* Every member against an open value (an interface other than lo, a
 * client address outside loopback): are they all lo / loopback?  -1:
 * unreadable. */
static int open_member(json_t *right, char kind, bool *ret_only_loopback)
{
	json_t *list;
	size_t n = members(right, &list);
	bool only_lo = true;

	for (size_t i = 0; i < n; i++) {
		json_t *v = member(list, right, i);
		int lo;

		if (kind == 's')
			lo = json_is_string(v) ? strcmp(json_string_value(v), "lo") == 0 : -1;
		else
			lo = loopback_value(v);
		if (lo < 0)
			return -1;
		only_lo = only_lo && lo == 1;
	}
	*ret_only_loopback = only_lo;
	return 0;
}

static tri_t cmp_result(const char *op, int m)
{
	if (m < 0)
		return NO; /* unreadable: the rule is not taken to match */
	if (strcmp(op, "==") == 0 || strcmp(op, "in") == 0)
		return m ? YES : NO;
	if (strcmp(op, "!=") == 0)
		return m ? NO : YES;
	return NO;
}

/* An open field (a client we did not fix): "== lo" never holds, any other
 * "==" holds for some; "!= lo" always does, any other "!=" for most. */
static tri_t open_result(const char *op, json_t *right, char kind)
{
	bool only_lo;

	if (open_member(right, kind, &only_lo) < 0)
		return NO;
	if (strcmp(op, "==") == 0 || strcmp(op, "in") == 0)
		return only_lo ? NO : MAYBE;
	if (strcmp(op, "!=") == 0)
		return only_lo ? YES : MAYBE;
	return NO;
}

static tri_t l4proto_is_tcp(const char *op, json_t *right)
{
	json_t *list;
	size_t n = members(right, &list);
	int m = 0;

	for (size_t i = 0; i < n && m == 0; i++) {
		json_t *v = member(list, right, i);

		if (json_is_string(v))
			m = strcmp(json_string_value(v), "tcp") == 0;
		else if (json_is_integer(v))
			m = json_integer_value(v) == 6;
		else
			m = -1;
	}
	return cmp_result(op, m);
}

static tri_t ct_match(const char *key, const char *op, json_t *right, const nc_platform_fw_packet_t *pkt)
{
	json_t *list;
	size_t n = members(right, &list);
	const char *want = strcmp(key, "state") == 0 ? "new" : strcmp(key, "status") == 0 ? "dnat" : NULL;
	int m = 0;

	if (want == NULL)
		return NO;
	if (strcmp(key, "status") == 0 && !pkt->dnat)
		want = ""; /* no status flag of ours */
	for (size_t i = 0; i < n && m == 0; i++) {
		json_t *v = member(list, right, i);

		m = json_is_string(v) ? strcmp(json_string_value(v), want) == 0 : -1;
	}
	return cmp_result(op, m);
}

static tri_t match_expr(json_t *match, const nc_platform_fw_packet_t *pkt, nc_platform_hook_t hook)
{
	json_t *left = json_object_get(match, "left"), *right = json_object_get(match, "right");
	json_t *meta = json_object_get(left, "meta"), *payload = json_object_get(left, "payload");
	json_t *ct = json_object_get(left, "ct");
	const char *op = str_of(match, "op");

	if (op == NULL || right == NULL)
		return NO;
	if (meta != NULL) {
		const char *key = str_of(meta, "key");
		bool in = key != NULL && (strcmp(key, "iifname") == 0 || strcmp(key, "iif") == 0);
		bool out = key != NULL && (strcmp(key, "oifname") == 0 || strcmp(key, "oif") == 0);

		if (key == NULL)
			return NO;
		if (strcmp(key, "l4proto") == 0)
			return l4proto_is_tcp(op, right);
		if (strcmp(key, "nfproto") == 0 || strcmp(key, "protocol") == 0)
			return cmp_result(op, any_member(right, 's', 0, 0, strcmp(key, "nfproto") == 0 ? "ipv4" : "ip"));
		if (in && pkt->iifname[0] == '\0')
			return open_result(op, right, 's');
		if (in)
			return cmp_result(op, any_member(right, 's', 0, 0, pkt->iifname));
		if (out && hook == NC_PLATFORM_HOOK_INPUT)
			return NO; /* no output interface on the way in */
		if (out)
			return cmp_result(op, any_member(right, 's', 0, 0, pkt->oifname));
		return NO;
	}
	if (payload != NULL) {
		const char *proto = str_of(payload, "protocol"), *field = str_of(payload, "field");

		if (proto == NULL || field == NULL)
			return NO;
		if (strcmp(proto, "ip") == 0) {
			if (strcmp(field, "protocol") == 0)
				return l4proto_is_tcp(op, right);
			if (strcmp(field, "daddr") == 0)
				return cmp_result(op, any_member(right, 'a', ntohl(pkt->dst.addr.v4.s_addr), 0, NULL));
			if (strcmp(field, "saddr") == 0 && pkt->src.family == 0)
				return open_result(op, right, 'a');
			if (strcmp(field, "saddr") == 0)
				return cmp_result(op, any_member(right, 'a', ntohl(pkt->src.addr.v4.s_addr), 0, NULL));
			return NO;
		}
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "th") != 0)
			return NO; /* udp, sctp, icmp, ip6...: implies another protocol */
		if (strcmp(field, "dport") == 0)
			return cmp_result(op, any_member(right, 'p', 0, pkt->dst.port, NULL));
		if (strcmp(field, "sport") == 0 && pkt->src.family != 0 && pkt->src.port != 0)
			return cmp_result(op, any_member(right, 'p', 0, pkt->src.port, NULL));
		if (strcmp(field, "sport") == 0)
			return MAYBE; /* the client's port: any */
		return NO;
	}
	if (ct != NULL && str_of(ct, "key") != NULL)
		return ct_match(str_of(ct, "key"), op, right, pkt);
	return NO; /* fib, sets by name, socket, ...: not read */
}

/* ---- a rule in words ------------------------------------------------------ */

typedef struct text {
	char *buf;
	size_t len, used;
} text_t;

static void tprintf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(text_t *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used + 1 >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used = t->used + (size_t)n < t->len ? t->used + (size_t)n : t->len - 1;
}

static void value_text(text_t *t, json_t *v)
{
	json_t *prefix = json_object_get(v, "prefix"), *range = json_object_get(v, "range");
	json_t *set = json_object_get(v, "set"), *item;
	size_t i;

	if (json_is_string(v))
		tprintf(t, "%s", json_string_value(v));
	else if (json_is_integer(v))
		tprintf(t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (prefix != NULL)
		tprintf(t, "%s/%" JSON_INTEGER_FORMAT, str_of(prefix, "addr") ? str_of(prefix, "addr") : "?",
			json_integer_value(json_object_get(prefix, "len")));
	else if (json_is_array(range) && json_array_size(range) == 2) {
		value_text(t, json_array_get(range, 0));
		tprintf(t, "-");
		value_text(t, json_array_get(range, 1));
	} else if (json_is_array(set) || json_is_array(v)) {
		json_t *list = json_is_array(set) ? set : v;

		tprintf(t, json_is_array(set) ? "{ " : "");
		json_array_foreach(list, i, item) {
			tprintf(t, "%s", i ? ", " : "");
			value_text(t, item);
		}
		tprintf(t, json_is_array(set) ? " }" : "");
	} else {
		tprintf(t, "?");
	}
}

static void left_text(text_t *t, json_t *left)
{
	json_t *meta = json_object_get(left, "meta"), *payload = json_object_get(left, "payload");
	json_t *ct = json_object_get(left, "ct");

	if (meta != NULL) {
		const char *key = str_of(meta, "key") ? str_of(meta, "key") : "?";
		bool bare = strcmp(key, "iifname") == 0 || strcmp(key, "oifname") == 0 || strcmp(key, "iif") == 0 ||
			    strcmp(key, "oif") == 0;

		tprintf(t, "%s%s", bare ? "" : "meta ", key);
	} else if (payload != NULL) {
		tprintf(t, "%s %s", str_of(payload, "protocol") ? str_of(payload, "protocol") : "?",
			str_of(payload, "field") ? str_of(payload, "field") : "?");
	} else if (ct != NULL) {
		tprintf(t, "ct %s", str_of(ct, "key") ? str_of(ct, "key") : "?");
	} else {
		tprintf(t, "(expression)");
	}
}

/* "ip saddr 198.18.0.0/15 meta l4proto tcp drop": the rule as nft would
 * show it, near enough to find it in `nft list ruleset`. */
static void rule_text(json_t *expr, char *buf, size_t len)
{
	text_t t = { .buf = buf, .len = len };
	json_t *e;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(expr, i, e) {
		json_t *match = json_object_get(e, "match"), *xt = json_object_get(e, "xt"), *jump, *go;
		const char *sep = t.used ? " " : "";

		jump = json_object_get(json_object_get(e, "jump"), "target");
		go = json_object_get(json_object_get(e, "goto"), "target");
		if (match != NULL) {
			const char *op = str_of(match, "op");

			tprintf(&t, "%s", sep);
			left_text(&t, json_object_get(match, "left"));
			tprintf(&t, " %s", op != NULL && strcmp(op, "==") != 0 && strcmp(op, "in") != 0 ? op : "");
			if (op != NULL && strcmp(op, "==") != 0 && strcmp(op, "in") != 0)
				tprintf(&t, " ");
			value_text(&t, json_object_get(match, "right"));
		} else if (xt != NULL && !(str_of(xt, "name") != NULL && strcmp(str_of(xt, "name"), "comment") == 0)) {
			tprintf(&t, "%sxt %s %s", sep, str_of(xt, "type") ? str_of(xt, "type") : "?",
				str_of(xt, "name") ? str_of(xt, "name") : "?");
		} else if (json_object_get(e, "drop") != NULL) {
			tprintf(&t, "%sdrop", sep);
		} else if (json_object_get(e, "reject") != NULL) {
			tprintf(&t, "%sreject", sep);
		} else if (json_object_get(e, "accept") != NULL) {
			tprintf(&t, "%saccept", sep);
		} else if (json_is_string(jump)) {
			tprintf(&t, "%sjump %s", sep, json_string_value(jump));
		} else if (json_is_string(go)) {
			tprintf(&t, "%sgoto %s", sep, json_string_value(go));
		}
	}
}

/* ---- walking the chains ---------------------------------------------------- */

typedef enum outcome { GO_ON = 0, ACCEPTED, DROPPED } outcome_t;

typedef struct walk {
	const nc_platform_firewall_t *fw;
	const nc_platform_fw_packet_t *pkt;
	nc_platform_hook_t hook;
	size_t steps;
	bool some_accepted;  /* an accept that holds for some clients was passed */
	bool too_long;
	nc_platform_fw_drop_t *ret;
} walk_t;

typedef enum verdict { V_NONE = 0, V_ACCEPT, V_DROP, V_REJECT, V_JUMP, V_GOTO, V_RETURN, V_STOP } verdict_t;

/* The rule's verdict, and whether its matches hold: unreadable
 * expressions (xt matches, vmaps, ...) make it NO. */
static tri_t rule_eval(const walk_t *w, json_t *expr, verdict_t *ret_v, const char **ret_target)
{
	tri_t holds = YES;
	json_t *e;
	size_t i;

	*ret_v = V_NONE;
	*ret_target = NULL;
	json_array_foreach(expr, i, e) {
		json_t *xt = json_object_get(e, "xt");
		const char *key;
		json_t *value;

		if (json_object_size(e) != 1)
			return NO;
		key = json_object_iter_key(json_object_iter(e));
		value = json_object_iter_value(json_object_iter(e));
		if (strcmp(key, "match") == 0) {
			holds = tri_min(holds, match_expr(value, w->pkt, w->hook));
			if (holds == NO)
				return NO;
		} else if (strcmp(key, "counter") == 0 || strcmp(key, "log") == 0 || strcmp(key, "limit") == 0 ||
			   strcmp(key, "comment") == 0) {
			/* no effect on the way */
		} else if (xt != NULL) {
			const char *type = str_of(xt, "type"), *name = str_of(xt, "name");

			if (type != NULL && strcmp(type, "match") == 0 && name != NULL && strcmp(name, "comment") == 0)
				continue; /* iptables' -m comment: no effect */
			if (type == NULL || strcmp(type, "target") != 0)
				return NO; /* another xt match: not readable */
			if (name != NULL && strcmp(name, "REJECT") == 0)
				*ret_v = V_REJECT;
			else if (name != NULL && (strcmp(name, "LOG") == 0 || strcmp(name, "NFLOG") == 0))
				continue;
			else
				return NO; /* another target: its effect unknown */
		} else if (strcmp(key, "accept") == 0) {
			*ret_v = V_ACCEPT;
		} else if (strcmp(key, "drop") == 0) {
			*ret_v = V_DROP;
		} else if (strcmp(key, "reject") == 0) {
			*ret_v = V_REJECT;
		} else if (strcmp(key, "return") == 0) {
			*ret_v = V_RETURN;
		} else if (strcmp(key, "jump") == 0 || strcmp(key, "goto") == 0) {
			*ret_target = str_of(value, "target");
			if (*ret_target == NULL)
				return NO;
			*ret_v = key[0] == 'j' ? V_JUMP : V_GOTO;
		} else if (strcmp(key, "queue") == 0) {
			*ret_v = V_STOP; /* userspace decides: we cannot */
		} else {
			return NO; /* vmap, mangle, nat, ...: not read */
		}
		if (*ret_v != V_NONE)
			break;
	}
	return holds;
}

static void set_drop(walk_t *w, const fw_chain_t *c, const fw_chain_t *base, const fw_rule_t *rule, bool reject,
		     tri_t holds)
{
	nc_platform_fw_drop_t *d = w->ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->family, sizeof(d->family), "%s", c->family);
	snprintf(d->table, sizeof(d->table), "%s", c->table);
	snprintf(d->chain, sizeof(d->chain), "%s", c->name);
	snprintf(d->base_chain, sizeof(d->base_chain), "%s", base->name);
	d->reject = reject;
	d->conditional = holds != YES || w->some_accepted;
	if (rule != NULL) {
		d->handle = rule->handle;
		rule_text(rule->expr, d->rule, sizeof(d->rule));
	} else {
		d->policy = true;
		snprintf(d->rule, sizeof(d->rule), "policy %s", c->policy);
	}
}

/* One chain, under the conditions that led here (cond).  GO_ON: fell off
 * its end or returned. */
static outcome_t walk_chain(walk_t *w, size_t ci, const fw_chain_t *base, tri_t cond, unsigned depth)
{
	const fw_chain_t *c = &w->fw->chains[ci];

	if (depth > MAX_DEPTH) {
		w->too_long = true;
		return GO_ON;
	}
	for (size_t i = 0; i < c->n_rules && !w->too_long; i++) {
		const fw_rule_t *rule = &w->fw->rules[c->first + i];
		const char *target;
		verdict_t v;
		tri_t holds;
		outcome_t o;
		long next;

		if (++w->steps > MAX_STEPS) {
			w->too_long = true;
			return GO_ON;
		}
		holds = tri_min(cond, rule_eval(w, rule->expr, &v, &target));
		if (holds == NO)
			continue;
		switch (v) {
		case V_DROP:
		case V_REJECT:
			set_drop(w, c, base, rule, v == V_REJECT, holds);
			return DROPPED;
		case V_ACCEPT:
		case V_STOP:
			if (holds == YES)
				return ACCEPTED;
			w->some_accepted = true;
			break;
		case V_RETURN:
			if (holds == YES)
				return GO_ON;
			break;
		case V_JUMP:
		case V_GOTO:
			next = nc_platform_fw_find_chain(w->fw, c->family, c->table, target);
			if (next < 0)
				break;
			o = walk_chain(w, (size_t)next, base, holds, depth + 1);
			if (o != GO_ON)
				return o;
			if (v == V_GOTO && holds == YES)
				return GO_ON; /* a goto's return goes back past this chain */
			break;
		default:
			break;
		}
	}
	return GO_ON;
}

static int by_prio(const void *a, const void *b)
{
	const fw_chain_t *x = *(const fw_chain_t *const *)a, *y = *(const fw_chain_t *const *)b;

	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

int nc_platform_firewall_drops(const nc_platform_firewall_t *fw, nc_platform_hook_t hook,
			       const nc_platform_fw_packet_t *pkt, nc_platform_fw_drop_t *ret)
{
	const char *hook_name = hook == NC_PLATFORM_HOOK_INPUT ? "input" : "forward";
	const fw_chain_t **bases;
	size_t n = 0;
	int r = 0;

	if (pkt->dst.family != AF_INET || (pkt->src.family != 0 && pkt->src.family != AF_INET))
		return -EINVAL;
	bases = calloc(fw->n_chains ? fw->n_chains : 1, sizeof(*bases));
	if (bases == NULL)
		return -ENOMEM;
	/* every base chain on the hook that IPv4 crosses: a drop in any is
	 * final, an accept ends only its own */
	for (size_t i = 0; i < fw->n_chains; i++) {
		const fw_chain_t *c = &fw->chains[i];

		if (c->hook != NULL && strcmp(c->hook, hook_name) == 0 &&
		    (strcmp(c->family, "ip") == 0 || strcmp(c->family, "inet") == 0))
			bases[n++] = c;
	}
	qsort(bases, n, sizeof(*bases), by_prio);
	for (size_t i = 0; i < n && r == 0; i++) {
		walk_t w = { .fw = fw, .pkt = pkt, .hook = hook, .ret = ret };
		outcome_t o = walk_chain(&w, (size_t)(bases[i] - fw->chains), bases[i], YES, 0);

		if (w.too_long)
			r = -ELOOP;
		else if (o == DROPPED)
			r = 1;
		else if (o == GO_ON && bases[i]->policy != NULL && strcmp(bases[i]->policy, "drop") == 0) {
			set_drop(&w, bases[i], bases[i], NULL, false, YES);
			r = 1;
		}
	}
	free(bases);
	return r;
}
